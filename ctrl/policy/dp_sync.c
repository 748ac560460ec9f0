// SPDX-License-Identifier: GPL-2.0-only
/* Applying compiled state to the maps; see dp_sync.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sync.h"
#include "hashtab.h"
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

/* Room for one more in *v (of *cap elements of size sz): grows by
 * doubling, as an adopt walks hundreds of thousands of entries. */
static int room(void **v, size_t *cap, size_t n, size_t sz)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	nv = realloc(*v, nc * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

static int adopt_ipc(const void *key, const void *val, void *arg)
{
	const struct xg_ipcache_key *k = key;
	const struct xg_ipcache_val *v = val;
	struct xg_dp_sync *s = arg;
	struct xg_ipc_entry *n;

	if (room((void **)&s->ipc, &s->cap_ipc, s->n_ipc, sizeof(*n)))
		return -ENOMEM;
	n = s->ipc;
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
	struct xg_dp_svc *n;

	if (room((void **)&s->svcs, &s->cap_svcs, s->n_svcs, sizeof(*n)))
		return -ENOMEM;
	n = s->svcs;
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
	struct xg_dp_be *n;

	if (room((void **)&s->bes, &s->cap_bes, s->n_bes, sizeof(*n)))
		return -ENOMEM;
	n = s->bes;
	memcpy(&n[s->n_bes].id, key, sizeof(__u32));
	memcpy(&n[s->n_bes].be, val, sizeof(struct xg_backend));
	s->n_bes++;
	return 0;
}

int xg_dp_sync_adopt(struct xg_dp_sync *s, struct xg_mapset *ms)
{
	int err;

	xg_dp_sync_free(s);
	err = xg_ipcache_walk(ms, adopt_ipc, s);
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

/* What one sync_services looks things up in, built when it starts:
 * thousands of services and backends must not be compared each with
 * each.  Within one sync ids are only taken (freed ones go at its end),
 * so the lowest free id only moves up and a cursor finds it. */
struct svc_index {
	struct xg_bmap be_by_addr; /* (family, port, addr) -> index in bes */
	struct xg_u64map be_ids; /* backend ids taken */
	struct xg_bmap svc_by_key; /* key -> index in svcs */
	struct xg_u64map svc_ids; /* service ids taken */
	__u32 be_next, svc_next; /* no free id below these */
};

/* A backend's (address, port) as an index key. */
struct be_key {
	__u8 family;
	__u8 pad;
	__be16 port;
	__u8 addr[16];
};

static struct be_key be_key_of(__u8 family, __be16 port, const __u8 *addr)
{
	struct be_key k = { .family = family, .port = port };

	memcpy(k.addr, addr, 16);
	return k;
}

static int index_build(struct svc_index *x, const struct xg_dp_sync *s)
{
	bool added, id_added;

	memset(x, 0, sizeof(*x));
	xg_bmap_init(&x->be_by_addr, sizeof(struct be_key));
	xg_bmap_init(&x->svc_by_key, sizeof(struct xg_svc_key));
	x->be_next = x->svc_next = 1;
	for (size_t i = 0; i < s->n_bes; i++) {
		struct be_key k = be_key_of(s->bes[i].be.family, s->bes[i].be.port,
					    s->bes[i].be.addr);
		__u32 *v = xg_bmap_put(&x->be_by_addr, &k, &added);

		if (!v || !xg_u64map_put(&x->be_ids, s->bes[i].id, &id_added))
			return -ENOMEM;
		if (added)
			*v = (__u32)i; /* the first, as a scan would find */
	}
	for (size_t i = 0; i < s->n_svcs; i++) {
		__u32 *v = xg_bmap_put(&x->svc_by_key, &s->svcs[i].key, &added);

		if (!v)
			return -ENOMEM;
		if (added)
			*v = (__u32)i;
		if (!xg_u64map_put(&x->svc_ids, s->svcs[i].svc_id, &id_added))
			return -ENOMEM;
	}
	return 0;
}

static void index_free(struct svc_index *x)
{
	xg_bmap_free(&x->be_by_addr);
	xg_u64map_free(&x->be_ids);
	xg_bmap_free(&x->svc_by_key);
	xg_u64map_free(&x->svc_ids);
}

static __u32 be_id_of(struct xg_dp_sync *s, struct svc_index *x,
		      const struct xg_backend_spec *b, int *err)
{
	struct be_key k = be_key_of(b->family, b->port, b->addr);
	struct xg_dp_be *n;
	__u32 *v, id;
	bool added;

	v = xg_bmap_get(&x->be_by_addr, &k);
	if (v)
		return s->bes[*v].id;
	/* the lowest free id: ids stay small and reusable */
	while (xg_u64map_get(&x->be_ids, x->be_next))
		x->be_next++;
	id = x->be_next;
	/* room first: the index must never point past the end */
	if (room((void **)&s->bes, &s->cap_bes, s->n_bes, sizeof(*n)) ||
	    !xg_u64map_put(&x->be_ids, id, &added) ||
	    !(v = xg_bmap_put(&x->be_by_addr, &k, &added))) {
		*err = -ENOMEM;
		return 0;
	}
	n = s->bes;
	memset(&n[s->n_bes], 0, sizeof(*n));
	n[s->n_bes].id = id;
	n[s->n_bes].be.family = b->family;
	n[s->n_bes].be.port = b->port;
	memcpy(n[s->n_bes].be.addr, b->addr, 16);
	*v = (__u32)s->n_bes++;
	return id;
}

static __u32 free_svc_id(struct svc_index *x)
{
	while (xg_u64map_get(&x->svc_ids, x->svc_next))
		x->svc_next++;
	return x->svc_next;
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

static int put_service(struct xg_dp_sync *s, struct svc_index *x,
		       struct xg_mapset *ms, const struct xg_service_spec *sp,
		       size_t *written)
{
	struct xg_svc_backend *b = calloc(sp->n + 1, sizeof(*b));
	struct xg_dp_svc *o = NULL;
	const __u32 *at;
	__u32 digest;
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < sp->n && !err; i++) {
		b[i].id = be_id_of(s, x, &sp->b[i], &err);
		b[i].weight = sp->b[i].weight;
		b[i].be.family = sp->b[i].family;
		b[i].be.state = sp->b[i].state;
		b[i].be.port = sp->b[i].port;
		memcpy(b[i].be.addr, sp->b[i].addr, 16);
	}
	at = xg_bmap_get(&x->svc_by_key, &sp->key);
	if (at)
		o = &s->svcs[*at];
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
		__u32 *v, id = free_svc_id(x);
		bool added;

		/* room first: the index must never point past the end */
		if (room((void **)&s->svcs, &s->cap_svcs, s->n_svcs, sizeof(*o)) ||
		    !xg_u64map_put(&x->svc_ids, id, &added) ||
		    !(v = xg_bmap_put(&x->svc_by_key, &sp->key, &added))) {
			free(b);
			return -ENOMEM;
		}
		o = &s->svcs[s->n_svcs];
		memset(o, 0, sizeof(*o));
		o->key = sp->key;
		o->svc_id = id;
		*v = (__u32)s->n_svcs++;
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

static int sync_services(struct xg_dp_sync *s, struct xg_mapset *ms,
			 const struct xg_compiled *c, struct xg_dp_sync_stats *st)
{
	struct xg_bmap wanted; /* the compiled services' keys */
	struct xg_u64map used = {}; /* backend ids some service uses */
	struct svc_index x;
	bool keep_all = false, added;
	int err = 0, first = 0;

	xg_bmap_init(&wanted, sizeof(struct xg_svc_key));
	err = index_build(&x, s);
	for (size_t i = 0; i < c->n_svcs && !err; i++)
		if (!xg_bmap_put(&wanted, &c->svcs[i].key, &added))
			err = -ENOMEM;
	if (err)
		goto out;
	for (size_t i = 0; i < c->n_svcs; i++) {
		err = put_service(s, &x, ms, &c->svcs[i], &st->svc_written);
		if (err && !first)
			first = err; /* the others still go in */
	}
	for (size_t i = 0; i < s->n_svcs;) {
		if (xg_bmap_get(&wanted, &s->svcs[i].key)) {
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
	for (size_t i = 0; i < s->n_svcs && !keep_all; i++) {
		keep_all = !s->svcs[i].b; /* unknown backends: keep everything */
		for (size_t j = 0; j < s->svcs[i].n && !keep_all; j++)
			if (!xg_u64map_put(&used, s->svcs[i].b[j].id, &added))
				keep_all = true; /* out of memory: delete nothing */
	}
	for (size_t i = 0; i < s->n_bes && !keep_all;) {
		if (xg_u64map_get(&used, s->bes[i].id)) {
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
	err = 0;
out:
	xg_u64map_free(&used);
	xg_bmap_free(&wanted);
	index_free(&x);
	return first ?: err;
}

/* ------------------------------------------------------------- apply -- */

/* The same entries in the same order: what a change to policies alone
 * compiles, every time, so it costs one pass and no index. */
static bool same_ipc(const struct xg_ipc_entry *a, size_t na,
		     const struct xg_ipc_entry *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].id != b[i].id || !same_pfx(&a[i].pfx, &b[i].pfx))
			return false;
	return true;
}

/* Prefix -> index of its first entry in v. */
static int ipc_index(struct xg_bmap *x, const struct xg_ipc_entry *v, size_t n)
{
	bool added;

	xg_bmap_init(x, sizeof(struct xg_prefix));
	if (n && xg_bmap_grow(x, n))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		__u32 *at = xg_bmap_put(x, &v[i].pfx, &added);

		if (!at) {
			xg_bmap_free(x);
			return -ENOMEM;
		}
		if (added)
			*at = (__u32)i;
	}
	return 0;
}

int xg_dp_sync_apply(struct xg_dp_sync *s, struct xg_mapset *ms,
		     const struct xg_compiled *c, struct xg_dp_sync_stats *st)
{
	struct xg_dp_sync_stats local = {};
	struct xg_sync_stats pst = {};
	unsigned long long serial = xg_compiled_ipc_serial(c);
	struct xg_ipc_entry *copy;
	struct xg_bmap x;
	int err = 0, first = 0;
	bool same;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	same = (serial && serial == s->ipc_serial) ||
	       same_ipc(s->ipc, s->n_ipc, c->ipc, c->n_ipc);
	if (same)
		s->ipc_serial = serial;
	/* 1. identities first: policy entries may name them */
	if (!same) {
		err = ipc_index(&x, s->ipc, s->n_ipc);
		if (err)
			return err;
		for (size_t i = 0; i < c->n_ipc; i++) {
			const __u32 *o = xg_bmap_get(&x, &c->ipc[i].pfx);

			if (o && s->ipc[*o].id == c->ipc[i].id)
				continue;
			err = xg_ipcache_set(ms, &c->ipc[i].pfx, c->ipc[i].id);
			if (err)
				break;
			st->ipc_written++;
		}
		xg_bmap_free(&x);
		if (err)
			return err; /* nothing else moved yet */
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
	if (!same) {
		err = ipc_index(&x, c->ipc, c->n_ipc);
		if (err)
			return err; /* the next apply starts from an adopt */
		for (size_t i = 0; i < s->n_ipc; i++) {
			if (xg_bmap_get(&x, &s->ipc[i].pfx))
				continue;
			err = xg_ipcache_del(ms, &s->ipc[i].pfx);
			if (err && err != -ENOENT)
				first = first ?: err;
			else
				st->ipc_deleted++;
		}
		xg_bmap_free(&x);
		copy = malloc((c->n_ipc ? c->n_ipc : 1) * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		if (c->n_ipc)
			memcpy(copy, c->ipc, c->n_ipc * sizeof(*copy));
		free(s->ipc);
		s->ipc = copy;
		s->n_ipc = s->cap_ipc = c->n_ipc;
		s->ipc_serial = serial;
	}
	/* 5. a changed identity or service changes verdicts too (services
	 * bump on their own, in services.c).  Identities deleted in step 4
	 * went after the policy's bump: conntrack re-checks and verdict-cache
	 * slots made in between still hold them, so they take a bump of
	 * their own. */
	if (st->ipc_deleted ||
	    (st->ipc_written && !pst.written && !pst.deleted))
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
