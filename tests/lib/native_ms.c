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
	case XG_M_IPHOST:
		return &xg_iphost;
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
	case XG_M_SVC:
		return &xg_svc;
	case XG_M_BACKENDS:
		return &xg_backends;
	case XG_M_REVNAT:
		return &xg_revnat;
	case XG_M_SVCFLOW:
		return &xg_svcflow;
	case XG_M_IFSLOTS:
		return &xg_ifslots;
	case XG_M_MAGLEV:
		return &xg_maglev;
	default:
		return NULL;
	}
}

/* Inner tables this map-set made, so they can be freed: the native
 * datapath only holds pointers to them. */
#define NMS_TABLES_MAX 4096
static struct xg_nmap *tables[NMS_TABLES_MAX];
static size_t ntables;

static void table_free(struct xg_nmap *t)
{
	for (size_t i = 0; i < ntables; i++) {
		if (tables[i] != t)
			continue;
		tables[i] = tables[--ntables];
		break;
	}
	xg_nmap_clear(t);
	free(t);
}

void nms_release_tables(void)
{
	while (ntables) {
		struct xg_nmap *t = tables[--ntables];

		xg_nmap_clear(t);
		free(t);
	}
}

static int n_set_table(void *priv, enum xg_map_id m, __u32 key,
		       const __u32 *vals, __u32 n)
{
	struct xg_nmap *outer = nms_map(m), *old, *t;
	int err;

	if (!outer || outer->type != BPF_MAP_TYPE_HASH_OF_MAPS)
		return -EBADF;
	old = xg_nmap_lookup_inner(outer, &key);
	if (!vals) {
		err = (int)xg_nmap_delete(outer, &key);
		if (!err && old)
			table_free(old);
		return err;
	}
	if (ntables == NMS_TABLES_MAX)
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->name = "xg_maglev_in";
	t->type = BPF_MAP_TYPE_ARRAY;
	t->key_size = sizeof(__u32);
	/* the layout of xdp/abi.h: XG_MAGLEV_BLOCK slots to an element */
	t->value_size = sizeof(struct xg_maglev_block);
	t->max_entries = XG_MAGLEV_BLOCKS(n);
	for (__u32 i = 0; i < t->max_entries; i++) {
		struct xg_maglev_block blk = {};

		for (__u32 j = 0; j < XG_MAGLEV_BLOCK; j++)
			if (i * XG_MAGLEV_BLOCK + j < n)
				blk.id[j] = vals[i * XG_MAGLEV_BLOCK + j];
		err = (int)xg_nmap_update(t, &i, &blk, 0);
		if (err) {
			xg_nmap_clear(t);
			free(t);
			return err;
		}
	}
	err = (int)xg_nmap_update(outer, &key, &t, 0);
	if (err) {
		xg_nmap_clear(t);
		free(t);
		return err;
	}
	tables[ntables++] = t;
	if (old)
		table_free(old);
	return 0;
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
	.set_table = n_set_table,
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

static int r_set_table(void *priv, enum xg_map_id m, __u32 key,
		       const __u32 *vals, __u32 n)
{
	struct rec_ms *r = priv;

	return xg_ms_set_table(r->inner, m, key, vals, n);
}

static const struct xg_mapset_ops rec_ops = {
	.update = r_update,
	.lookup = r_lookup,
	.remove = r_remove,
	.walk = r_walk,
	.set_table = r_set_table,
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
