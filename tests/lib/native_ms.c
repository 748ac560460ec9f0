// SPDX-License-Identifier: GPL-2.0-only
/* Native mapset and the recording wrapper; see native_ms.h. */
#ifndef XG_NATIVE_EXTERN
#define XG_NATIVE_EXTERN 1 /* declare datapath.c's maps, do not define them */
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/native/datapath.h"
#include "tests/lib/native_ms.h"

struct xg_nmap *nms_map(enum xg_map_id m)
{
	switch (m) {
	case XG_M_IPCACHE:
		return &xg_ipcache;
	case XG_M_POLICY:
		return &xg_policy;
	case XG_M_CT:
		return &xg_ct;
	case XG_M_DENYCACHE:
		return &xg_denycache;
	case XG_M_FRAG:
		return &xg_frag;
	case XG_M_RUNTIME:
		return &xg_runtime;
	case XG_M_DROPS:
		return &xg_drops;
	case XG_M_VERDICTS:
		return &xg_verdicts;
	case XG_M_TXPORTS:
		return &xg_txports;
	case XG_M_XSKS:
		return &xg_xsks;
	default:
		return NULL;
	}
}

static int n_update(void *priv, enum xg_map_id m, const void *key,
		    const void *val, __u64 flags)
{
	struct xg_nmap *nm = nms_map(m);

	return nm ? (int)xg_nmap_update(nm, key, val, flags) : -EBADF;
}

static int n_lookup(void *priv, enum xg_map_id m, const void *key, void *val)
{
	struct xg_nmap *nm = nms_map(m);
	void *v;

	if (!nm)
		return -EBADF;
	/* On an LPM trie this matches by prefix, as the kernel's
	 * bpf_map_lookup_elem from userspace does. */
	v = xg_nmap_lookup(nm, key);
	if (!v)
		return -ENOENT;
	memcpy(val, v, nm->value_size);
	return 0;
}

static int n_remove(void *priv, enum xg_map_id m, const void *key)
{
	struct xg_nmap *nm = nms_map(m);

	return nm ? (int)xg_nmap_delete(nm, key) : -EBADF;
}

struct walk_arg {
	xg_map_walk_fn fn;
	void *arg;
};

static int walk_one(const void *key, void *val, void *arg)
{
	struct walk_arg *w = arg;

	return w->fn(key, val, w->arg);
}

static int n_walk(void *priv, enum xg_map_id m, xg_map_walk_fn fn, void *arg)
{
	struct xg_nmap *nm = nms_map(m);
	struct walk_arg w = { fn, arg };

	return nm ? xg_nmap_foreach(nm, walk_one, &w) : -EBADF;
}

static const struct xg_mapset_ops native_ops = {
	.update = n_update,
	.lookup = n_lookup,
	.remove = n_remove,
	.walk = n_walk,
};

static struct xg_mapset native_ms = { .ops = &native_ops };

struct xg_mapset *nms_native(void)
{
	return &native_ms;
}

/* -------------------------------------------------------- recorder -- */

static size_t key_size_of(enum xg_map_id m)
{
	struct xg_nmap *nm = nms_map(m);

	return nm ? nm->key_size : 0;
}

static size_t val_size_of(enum xg_map_id m)
{
	struct xg_nmap *nm = nms_map(m);

	return nm ? nm->value_size : 0;
}

static struct rec_entry *rec_push(struct rec_ms *r, enum rec_op op,
				  enum xg_map_id m, const void *key,
				  const void *val)
{
	struct rec_entry *e;
	size_t ks = key_size_of(m), vs = val_size_of(m);

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct rec_entry *v = realloc(r->log, cap * sizeof(*v));

		if (!v)
			abort();
		r->log = v;
		r->cap = cap;
	}
	e = &r->log[r->n++];
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->map = m;
	if (key)
		memcpy(e->key, key, ks < sizeof(e->key) ? ks : sizeof(e->key));
	if (val)
		memcpy(e->val, val, vs < sizeof(e->val) ? vs : sizeof(e->val));
	return e;
}

static int r_update(void *priv, enum xg_map_id m, const void *key,
		    const void *val, __u64 flags)
{
	struct rec_ms *r = priv;
	struct rec_entry *e = rec_push(r, REC_UPDATE, m, key, val);

	if (m == r->fail_map && r->fail_at > 0 &&
	    ++r->updates_seen == r->fail_at)
		e->ret = r->fail_err;
	else
		e->ret = xg_ms_update(r->inner, m, key, val, flags);
	return e->ret;
}

static int r_lookup(void *priv, enum xg_map_id m, const void *key, void *val)
{
	struct rec_ms *r = priv;

	return xg_ms_lookup(r->inner, m, key, val);
}

static int r_remove(void *priv, enum xg_map_id m, const void *key)
{
	struct rec_ms *r = priv;
	struct rec_entry *e = rec_push(r, REC_REMOVE, m, key, NULL);

	e->ret = xg_ms_remove(r->inner, m, key);
	return e->ret;
}

static int r_walk(void *priv, enum xg_map_id m, xg_map_walk_fn fn, void *arg)
{
	struct rec_ms *r = priv;

	return xg_ms_walk(r->inner, m, fn, arg);
}

static const struct xg_mapset_ops rec_ops = {
	.update = r_update,
	.lookup = r_lookup,
	.remove = r_remove,
	.walk = r_walk,
};

void rec_init(struct rec_ms *r, struct xg_mapset *inner)
{
	memset(r, 0, sizeof(*r));
	r->ms.ops = &rec_ops;
	r->ms.priv = r;
	r->inner = inner;
	r->fail_map = XG_M__MAX;
}

void rec_clear(struct rec_ms *r)
{
	r->n = 0;
	r->updates_seen = 0;
}

void rec_free(struct rec_ms *r)
{
	free(r->log);
	r->log = NULL;
	r->n = r->cap = 0;
}
