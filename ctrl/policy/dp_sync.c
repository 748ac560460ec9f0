// SPDX-License-Identifier: GPL-2.0-only
/* Applying compiled state to the maps; see dp_sync.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sync.h"
#include "ctrl/entries.h"
#include "ctrl/log.h"
#include "ctrl/services.h"

struct xg_dp_svc {
	struct xg_svc_key key;
	__u32 svc_id;
	__u32 affinity_s;
	__u32 digest; /* what the service entry says built its table */
	struct xg_svc_backend *b; /* NULL after adopt: not known */
	size_t n;
};

/* A backend id is an (address, port): services sharing one share it. */
struct xg_dp_be {
	__u32 id;
	struct xg_backend be;
};

static bool same_pfx(const struct xg_prefix *a, const struct xg_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, 16);
}

/* ------------------------------------------------------------- adopt -- */

static int adopt_ipc(const void *key, const void *val, void *arg)
{
	const struct xg_ipcache_key *k = key;
	const struct xg_ipcache_val *v = val;
	struct xg_dp_sync *s = arg;
	struct xg_ipc_entry *n = realloc(s->ipc, (s->n_ipc + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->ipc = n;
	memset(&n[s->n_ipc], 0, sizeof(*n));
	n[s->n_ipc].pfx.family = k->family;
	n[s->n_ipc].pfx.len = (__u8)(k->prefixlen - XG_IPCACHE_PREFIX_BASE);
	memcpy(n[s->n_ipc].pfx.addr, k->addr, 16);
	n[s->n_ipc].id = v->identity;
	s->n_ipc++;
	return 0;
}

static int adopt_svc(const void *key, const void *val, void *arg)
{
	const struct xg_svc_val *v = val;
	struct xg_dp_sync *s = arg;
	struct xg_dp_svc *n = realloc(s->svcs, (s->n_svcs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->svcs = n;
	memset(&n[s->n_svcs], 0, sizeof(*n));
	memcpy(&n[s->n_svcs].key, key, sizeof(n->key));
	n[s->n_svcs].svc_id = v->svc_id;
	n[s->n_svcs].affinity_s = v->affinity_s;
	n[s->n_svcs].digest = v->digest;
	s->n_svcs++;
	return 0;
}

static int adopt_be(const void *key, const void *val, void *arg)
{
	struct xg_dp_sync *s = arg;
	struct xg_dp_be *n = realloc(s->bes, (s->n_bes + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->bes = n;
	memcpy(&n[s->n_bes].id, key, sizeof(__u32));
	memcpy(&n[s->n_bes].be, val, sizeof(struct xg_backend));
	s->n_bes++;
	return 0;
}

int xg_dp_sync_adopt(struct xg_dp_sync *s, struct xg_mapset *ms)
{
	int err;

	xg_dp_sync_free(s);
	err = xg_ms_walk(ms, XG_M_IPCACHE, adopt_ipc, s);
	err = err ?: xg_ms_walk(ms, XG_M_SVC, adopt_svc, s);
	err = err ?: xg_ms_walk(ms, XG_M_BACKENDS, adopt_be, s);
	err = err ?: xg_policy_sync_adopt(&s->pol, ms);
	if (err) {
		xg_dp_sync_free(s);
		return err;
	}
	s->adopted = 1;
	return 0;
}

/* ---------------------------------------------------------- services -- */

static __u32 be_id_of(struct xg_dp_sync *s, const struct xg_backend_spec *b,
		      int *err)
{
	__u32 id = 1;
	struct xg_dp_be *n;

	for (size_t i = 0; i < s->n_bes; i++)
		if (s->bes[i].be.family == b->family &&
		    s->bes[i].be.port == b->port &&
		    !memcmp(s->bes[i].be.addr, b->addr, 16))
			return s->bes[i].id;
	/* the lowest free id: ids stay small and reusable */
	for (bool taken = true; taken; id++) {
		taken = false;
		for (size_t i = 0; i < s->n_bes && !taken; i++)
			taken = s->bes[i].id == id;
		if (!taken)
			break;
	}
	n = realloc(s->bes, (s->n_bes + 1) * sizeof(*n));
	if (!n) {
		*err = -ENOMEM;
		return 0;
	}
	s->bes = n;
	memset(&n[s->n_bes], 0, sizeof(*n));
	n[s->n_bes].id = id;
	n[s->n_bes].be.family = b->family;
	n[s->n_bes].be.port = b->port;
	memcpy(n[s->n_bes].be.addr, b->addr, 16);
	s->n_bes++;
	return id;
}

static __u32 free_svc_id(const struct xg_dp_sync *s)
{
	for (__u32 id = 1;; id++) {
		bool taken = false;

		for (size_t i = 0; i < s->n_svcs && !taken; i++)
			taken = s->svcs[i].svc_id == id;
		if (!taken)
			return id;
	}
}

static bool same_backends(const struct xg_dp_svc *o, const struct xg_svc_backend *b,
			  size_t n, __u32 affinity_s, __u32 digest)
{
	/* adopted from the maps: the digest tells */
	if (!o->b)
		return o->digest && o->digest == digest;
	if (o->n != n || o->affinity_s != affinity_s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (o->b[i].id != b[i].id || o->b[i].weight != b[i].weight ||
		    o->b[i].be.state != b[i].be.state)
			return false;
	return true;
}

static int put_service(struct xg_dp_sync *s, struct xg_mapset *ms,
		       const struct xg_service_spec *sp, size_t *written)
{
	struct xg_svc_backend *b = calloc(sp->n + 1, sizeof(*b));
	struct xg_dp_svc *o = NULL;
	__u32 digest;
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < sp->n && !err; i++) {
		b[i].id = be_id_of(s, &sp->b[i], &err);
		b[i].weight = sp->b[i].weight;
		b[i].be.family = sp->b[i].family;
		b[i].be.state = sp->b[i].state;
		b[i].be.port = sp->b[i].port;
		memcpy(b[i].be.addr, sp->b[i].addr, 16);
	}
	for (size_t i = 0; i < s->n_svcs && !o; i++)
		if (!memcmp(&s->svcs[i].key, &sp->key, sizeof(sp->key)))
			o = &s->svcs[i];
	digest = xg_service_digest(b, sp->n, sp->affinity_s,
				   xg_service_table_size(ms));
	if (err || (o && same_backends(o, b, sp->n, sp->affinity_s, digest))) {
		if (!err && o && !o->b) { /* now known */
			o->b = b;
			o->n = sp->n;
			return 0;
		}
		free(b);
		return err;
	}
	if (!o) {
		struct xg_dp_svc *n = realloc(s->svcs, (s->n_svcs + 1) * sizeof(*n));

		if (!n) {
			free(b);
			return -ENOMEM;
		}
		s->svcs = n;
		o = &n[s->n_svcs];
		memset(o, 0, sizeof(*o));
		o->key = sp->key;
		o->svc_id = free_svc_id(s);
		s->n_svcs++;
	}
	err = xg_service_put(ms, &sp->key, o->svc_id, b, sp->n, sp->affinity_s);
	if (err) {
		pr_warn("service %s: %s\n", sp->name, strerror(-err));
		free(b);
		free(o->b);
		o->b = NULL; /* unknown now: rewritten next time */
		return err;
	}
	free(o->b);
	o->b = b;
	o->n = sp->n;
	o->affinity_s = sp->affinity_s;
	o->digest = digest;
	(*written)++;
	return 0;
}

static bool svc_wanted(const struct xg_compiled *c, const struct xg_svc_key *k)
{
	for (size_t i = 0; i < c->n_svcs; i++)
		if (!memcmp(&c->svcs[i].key, k, sizeof(*k)))
			return true;
	return false;
}

static bool be_used(const struct xg_dp_sync *s, __u32 id)
{
	for (size_t i = 0; i < s->n_svcs; i++) {
		if (!s->svcs[i].b)
			return true; /* unknown backends: keep everything */
		for (size_t j = 0; j < s->svcs[i].n; j++)
			if (s->svcs[i].b[j].id == id)
				return true;
	}
	return false;
}

static int sync_services(struct xg_dp_sync *s, struct xg_mapset *ms,
			 const struct xg_compiled *c, struct xg_dp_sync_stats *st)
{
	int err = 0, first = 0;

	for (size_t i = 0; i < c->n_svcs; i++) {
		err = put_service(s, ms, &c->svcs[i], &st->svc_written);
		if (err && !first)
			first = err; /* the others still go in */
	}
	for (size_t i = 0; i < s->n_svcs;) {
		if (svc_wanted(c, &s->svcs[i].key)) {
			i++;
			continue;
		}
		err = xg_service_del(ms, &s->svcs[i].key, s->svcs[i].svc_id);
		if (err && err != -ENOENT) {
			first = first ?: err;
			i++;
			continue;
		}
		free(s->svcs[i].b);
		s->svcs[i] = s->svcs[--s->n_svcs];
		st->svc_deleted++;
	}
	for (size_t i = 0; i < s->n_bes;) {
		if (be_used(s, s->bes[i].id)) {
			i++;
			continue;
		}
		err = xg_backend_del(ms, s->bes[i].id);
		if (err && err != -ENOENT) {
			first = first ?: err;
			i++;
			continue;
		}
		s->bes[i] = s->bes[--s->n_bes];
	}
	return first;
}

/* ------------------------------------------------------------- apply -- */

static const struct xg_ipc_entry *ipc_find(const struct xg_ipc_entry *v,
					   size_t n, const struct xg_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (same_pfx(&v[i].pfx, p))
			return &v[i];
	return NULL;
}

int xg_dp_sync_apply(struct xg_dp_sync *s, struct xg_mapset *ms,
		     const struct xg_compiled *c, struct xg_dp_sync_stats *st)
{
	struct xg_dp_sync_stats local = {};
	struct xg_sync_stats pst = {};
	struct xg_ipc_entry *copy;
	int err = 0, first = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	/* 1. identities first: policy entries may name them */
	for (size_t i = 0; i < c->n_ipc; i++) {
		const struct xg_ipc_entry *o = ipc_find(s->ipc, s->n_ipc, &c->ipc[i].pfx);

		if (o && o->id == c->ipc[i].id)
			continue;
		err = xg_ipcache_set(ms, &c->ipc[i].pfx, c->ipc[i].id);
		if (err)
			return err; /* nothing else moved yet */
		st->ipc_written++;
	}
	/* 2. policy, make-before-break */
	err = xg_policy_sync_apply(&s->pol, ms, &c->policy, &pst);
	st->policy_written = pst.written;
	st->policy_deleted = pst.deleted;
	if (err)
		first = err;
	/* 3. services */
	err = sync_services(s, ms, c, st);
	first = first ?: err;
	/* 4. identities no longer named */
	for (size_t i = 0; i < s->n_ipc; i++) {
		if (ipc_find(c->ipc, c->n_ipc, &s->ipc[i].pfx))
			continue;
		err = xg_ipcache_del(ms, &s->ipc[i].pfx);
		if (err && err != -ENOENT)
			first = first ?: err;
		else
			st->ipc_deleted++;
	}
	copy = malloc((c->n_ipc ? c->n_ipc : 1) * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	if (c->n_ipc)
		memcpy(copy, c->ipc, c->n_ipc * sizeof(*copy));
	free(s->ipc);
	s->ipc = copy;
	s->n_ipc = c->n_ipc;
	/* 5. a changed identity or service changes verdicts too (services
	 * bump on their own, in services.c) */
	if ((st->ipc_written || st->ipc_deleted) && !pst.written && !pst.deleted)
		err = xg_policy_rev_bump(ms, &st->revision);
	else
		err = xg_policy_rev_get(ms, &st->revision);
	return first ?: err;
}

void xg_dp_sync_free(struct xg_dp_sync *s)
{
	xg_policy_sync_free(&s->pol);
	for (size_t i = 0; i < s->n_svcs; i++)
		free(s->svcs[i].b);
	free(s->svcs);
	free(s->ipc);
	free(s->bes);
	memset(s, 0, sizeof(*s));
}
