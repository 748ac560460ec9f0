// SPDX-License-Identifier: GPL-2.0-only
/* The policy compiler; semantics in compile.h. */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "compile.h"
#include "hashtab.h"
#include "labels.h"
#include "pairset.h"
#include "strblock.h"
#include "fastpath/l7/regex.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Grows *v (of *cap elements of size sz) to hold n + 1. */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
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

#define PUSH(arr, n, cap, val)                                                 \
	({                                                                     \
		int _e = grow((void **)&(arr), &(cap), (n), sizeof(*(arr)));   \
		if (!_e)                                                       \
			(arr)[(n)++] = (val);                                  \
		_e;                                                            \
	})

/*
 * At 10,000 policies over 100,000 endpoints nothing here may compare
 * each with each: every "is it there already" is a hash lookup
 * (hashtab.h), and every "which of them" walks an index built once per
 * compile.  The indexes narrow, the original tests decide: selectors are
 * still matched by xg_selector_matches, CIDR containment by pfx_within,
 * and every list is produced in the order the plain loops produced it,
 * so the compiled state is the same, entry for entry.
 */

/* An endpoint as the compiler sees it. */
struct ep {
	const struct xg_endpoint_doc *doc;
	const char *file;
	__u32 id;
	__u32 next; /* 1 + the next endpoint with this identity; 0: last */
};

/* An identity that endpoints share, and the labels selectors see. */
struct epid {
	__u32 id;
	struct xg_label_set ls; /* of its first endpoint */
	__u32 first, last; /* 1 + its first and last endpoint */
	__u32 key; /* its label key, in cc.lkeys */
};

struct cidr_id {
	struct xg_prefix pfx;
	__u32 id;
};

/* The identities whose labels hold one (name, value), any source; keyed
 * by a hash of the pair, so a collision only widens a list that
 * xg_selector_matches then narrows. */
struct lpost {
	__u32 start, n; /* in cc.post_ids, ascending identity index */
	__u32 last; /* 1 + the identity index added last (build only) */
};

/* Label key -> identity, so that the identity callback is asked once
 * per label set rather than once per endpoint. */
struct lkey {
	char *key;
	__u32 id;
	__u32 next; /* 1 + the next key with the same hash */
};

/* While a source's policies are compiled for the cache: where its part
 * of the output starts, and the (subject, direction) pairs it enforces
 * (its own, even those an earlier source enforced too). */
struct src_rec {
	size_t rules0, origins0, own0; /* own0: in out->own_origins */
	struct xg_enforce *enf;
	size_t n_enf, cap_enf;
	struct xg_u64map seen;
};

/* What the endpoints alone decide: their identities, addresses and the
 * index selectors are matched through.  It depends on nothing else, so
 * a compile cache keeps it while no endpoint document changes. */
struct ep_stage {
	struct ep *eps;
	size_t n_eps, cap_eps;
	struct epid *ids;
	size_t n_ids, cap_ids;
	struct xg_u64map id_idx; /* identity -> index in ids */
	struct xg_bmap addrs; /* endpoint address -> endpoint index */
	size_t n_addrs; /* endpoint addresses */
	struct lkey *lkeys;
	size_t n_lkeys, cap_lkeys;
	struct xg_u64map lkey_idx; /* key hash -> 1 + first lkey */
	struct lpost *posts;
	__u32 *post_ids;
	struct xg_u64map post_idx; /* (name, value) hash -> index in posts */
};

struct cc {
	const struct xg_compile_src *src;
	size_t n_src;
	struct ep_stage ep; /* cached across compiles (compile.h) */
	struct cidr_id *cidrs;
	size_t n_cidrs, cap_cidrs;
	__u32 *cidr_by_addr; /* indices in cidrs, by (family, addr, len) */
	__u32 *scratch; /* n_cidrs */
	struct xg_pairset enf_set; /* (subject, dir) in out->enf */
	/* L7 rulesets, out->l7 in the order made; until the end of the
	 * compile a ruleset id is its handle: 1 + its index there.
	 * l7_idx: content hash -> 1 + the first with it; per ruleset,
	 * l7_hash its content hash and l7_next 1 + the next in its chain;
	 * l7_unions: (a, b) -> their union, once made. */
	struct xg_u64map l7_idx;
	__u64 *l7_hash;
	__u32 *l7_next;
	size_t cap_l7_aux;
	struct xg_u64map l7_unions;
	struct xg_compiled *out;
	size_t cap_rules, cap_enf, cap_origins, cap_l7, cap_ipc, cap_idents,
		cap_svcs, cap_blocks, cap_ospans;
	struct xg_err *err;
	struct src_rec *rec; /* the source being compiled, when cached */
	/* With a cache: per source, its part in the cache (or NULL), and
	 * where the CIDRs it names are in raw_cidrs */
	/* the sources that hold policies, and services: at 110,000 sources
	 * (etcd: a key per endpoint) walking them all is not free */
	const __u32 *pol, *svc;
	size_t n_pol, n_svc;
	__u32 *pol_own, *svc_own; /* when found here rather than given */
	/* With a cache, per policy source (pol order): its slot in the
	 * cache (1 +; 0: none), and where its CIDRs are in raw_cidrs */
	struct xg_compile_cache *k;
	__u32 *found;
	struct span { __u32 start, n; } *cspan;
	struct xg_prefix *raw_cidrs; /* as named, before sorting */
	size_t n_raw_cidrs;
	/* origin_names: the last policy and file named, and their names */
	const struct xg_cnp *o_cnp;
	const char *o_policy, *o_file_key, *o_file;
};

/* A list of u32 (peer identities, ...) without repeats, in the order
 * they came. */
struct idv {
	__u32 *v;
	size_t n, cap;
	struct xg_u64map seen; /* once it is long */
};

#define IDV_LINEAR 16 /* below this, a scan is cheaper than a table */

static int idv_add(struct idv *s, __u32 id)
{
	bool added;

	if (!s->seen.cap && s->n < IDV_LINEAR) {
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i] == id)
				return 0;
		return PUSH(s->v, s->n, s->cap, id);
	}
	if (!s->seen.cap)
		for (size_t i = 0; i < s->n; i++)
			if (!xg_u64map_put(&s->seen, s->v[i], &added))
				return -ENOMEM;
	if (!xg_u64map_put(&s->seen, id, &added))
		return -ENOMEM;
	return added ? PUSH(s->v, s->n, s->cap, id) : 0;
}

static void idv_free(struct idv *s)
{
	free(s->v);
	xg_u64map_free(&s->seen);
	memset(s, 0, sizeof(*s));
}

static __u64 subj_dir(__u32 subject, __u8 dir)
{
	return (__u64)subject << 8 | dir;
}

static void doc_err(struct cc *c, const char *file, struct xg_doc_loc loc,
		    const char *field, const char *fmt, const char *arg)
{
	char where[192];

	snprintf(where, sizeof(where), "%s: %s", file, field);
	xg_err_set(c->err, where, fmt, arg);
	c->err->line = loc.line;
	c->err->col = loc.col;
}

/* ---------------------------------------------------------- endpoints -- */

static bool same_addr(const struct xg_prefix *a, const struct xg_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, 16);
}

/* The identity of a label key: from the keys seen in this compile, else
 * from the callback. */
static int key_identity(struct cc *c, const char *key, size_t len,
			xg_identity_fn id_fn, void *id_arg, __u32 *id,
			__u32 *at)
{
	__u64 h = xg_hash_bytes(key, len);
	struct lkey k = {};
	__u32 *head;
	bool added;
	int ret;

	if (h == XG_U64MAP_EMPTY)
		h = 0;
	head = xg_u64map_put(&c->ep.lkey_idx, h, &added);
	if (!head)
		return -ENOMEM;
	for (__u32 i = added ? 0 : *head; i; i = c->ep.lkeys[i - 1].next)
		if (!strcmp(c->ep.lkeys[i - 1].key, key)) {
			*id = c->ep.lkeys[i - 1].id;
			*at = i - 1;
			return 0;
		}
	ret = id_fn(id_arg, key, id, c->err);
	if (ret) {
		if (added) /* no key behind it: take the slot back */
			*head = 0;
		return ret;
	}
	k.key = strdup(key);
	k.id = *id;
	k.next = added ? 0 : *head;
	if (!k.key || PUSH(c->ep.lkeys, c->ep.n_lkeys, c->ep.cap_lkeys, k)) {
		free(k.key);
		return -ENOMEM;
	}
	*head = (__u32)c->ep.n_lkeys;
	*at = (__u32)c->ep.n_lkeys - 1;
	return 0;
}

/* The first endpoint with an identity makes it: its label set is what
 * selectors see. */
static int add_identity(struct cc *c, size_t e, __u32 key)
{
	struct epid x = { .id = c->ep.eps[e].id, .first = (__u32)e + 1,
			  .last = (__u32)e + 1, .key = key };
	__u32 *slot;
	bool added;
	int ret;

	slot = xg_u64map_put(&c->ep.id_idx, x.id, &added);
	if (!slot)
		return -ENOMEM;
	if (!added) {
		struct epid *d = &c->ep.ids[*slot];

		c->ep.eps[d->last - 1].next = (__u32)e + 1;
		d->last = (__u32)e + 1;
		return 0;
	}
	ret = xg_label_set_of_endpoint(c->ep.eps[e].doc, &x.ls);
	if (ret)
		return ret;
	*slot = (__u32)c->ep.n_ids;
	ret = PUSH(c->ep.ids, c->ep.n_ids, c->ep.cap_ids, x);
	if (ret)
		xg_label_set_free(&x.ls);
	return ret;
}

/* An address given twice: the error names the earliest endpoint that
 * had it, and this endpoint's first address that it had. */
static int check_addrs(struct cc *c, const struct xg_endpoint_doc *d,
		       const char *file, size_t self)
{
	size_t best = SIZE_MAX, best_a = 0;
	char t[64];
	bool added;

	for (size_t a = 0; a < d->n_addrs; a++) {
		__u32 *o = xg_bmap_put(&c->ep.addrs, &d->addrs[a].addr, &added);

		if (!o)
			return -ENOMEM;
		if (added)
			*o = (__u32)self;
		else if (*o < best) {
			best = *o;
			best_a = a;
		}
	}
	if (best == SIZE_MAX)
		return 0;
	/* the compile fails here: what went into the table does not matter */
	xg_prefix_str(&d->addrs[best_a].addr, t, sizeof(t));
	doc_err(c, file, d->addrs[best_a].loc, "spec.addresses",
		"address %s is already another endpoint's", t);
	return -EINVAL;
}

/* Sizes known up front, so the big arrays are allocated once: copying
 * them as they double costs more than filling them. */
static int reserve(void **v, size_t *cap, size_t n, size_t sz)
{
	void *nv;

	if (n <= *cap)
		return 0;
	nv = realloc(*v, n * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

static int collect_endpoints(struct cc *c, xg_identity_fn id_fn, void *id_arg)
{
	size_t n_eps = 0, n_addrs = 0;
	char key[4096];
	int ret, len;
	__u32 at;

	for (size_t s = 0; s < c->n_src; s++)
		for (size_t i = 0; i < c->src[s].set->n_endpoints; i++) {
			n_eps++;
			n_addrs += c->src[s].set->endpoints[i].n_addrs;
		}
	ret = reserve((void **)&c->ep.eps, &c->ep.cap_eps, n_eps, sizeof(*c->ep.eps));
	if (!ret && n_addrs)
		ret = xg_bmap_grow(&c->ep.addrs, n_addrs);
	if (ret)
		return ret;
	c->ep.n_addrs = n_addrs;
	for (size_t s = 0; s < c->n_src; s++) {
		const struct xg_doc_set *set = c->src[s].set;

		for (size_t i = 0; i < set->n_endpoints; i++) {
			const struct xg_endpoint_doc *d = &set->endpoints[i];
			struct ep e = { .doc = d, .file = c->src[s].name };

			ret = check_addrs(c, d, e.file, c->ep.n_eps);
			if (ret)
				return ret;
			len = xg_label_key_of_endpoint(d, key, sizeof(key));
			if (len == -ENOMEM)
				return len;
			if (len < 0) {
				doc_err(c, e.file, d->loc, "metadata.labels",
					"labels too long (%s)", "over 4 KiB");
				return -EINVAL;
			}
			ret = key_identity(c, key, (size_t)len, id_fn, id_arg,
					   &e.id, &at);
			ret = ret ?: PUSH(c->ep.eps, c->ep.n_eps, c->ep.cap_eps, e);
			ret = ret ?: add_identity(c, c->ep.n_eps - 1, at);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Hash of a (label name, value) pair, as the postings are keyed. */
static __u64 nv_hash(const char *name, const char *value)
{
	__u64 h = xg_hash_mix(xg_hash_bytes(name, strlen(name)) * 31 +
			      xg_hash_bytes(value, strlen(value)));

	return h == XG_U64MAP_EMPTY ? 0 : h;
}

/* Which identities hold which (name, value): counted, then filled, in
 * identity order. */
static int build_postings(struct cc *c)
{
	size_t n_posts = 0, cap_posts = 0, total = 0;
	struct lpost *p;
	__u32 *slot;
	bool added;

	for (size_t j = 0; j < c->ep.n_ids; j++)
		for (size_t l = 0; l < c->ep.ids[j].ls.n; l++) {
			const struct xg_label *lb = &c->ep.ids[j].ls.v[l];

			slot = xg_u64map_put(&c->ep.post_idx, nv_hash(lb->name, lb->value),
					     &added);
			if (!slot)
				return -ENOMEM;
			if (added) {
				struct lpost z = {};

				*slot = (__u32)n_posts;
				if (PUSH(c->ep.posts, n_posts, cap_posts, z))
					return -ENOMEM;
			}
			p = &c->ep.posts[*slot];
			if (p->last == j + 1)
				continue; /* twice in one label set */
			p->last = (__u32)j + 1;
			p->n++;
			total++;
		}
	c->ep.post_ids = malloc((total ? total : 1) * sizeof(*c->ep.post_ids));
	if (!c->ep.post_ids)
		return -ENOMEM;
	total = 0;
	for (size_t i = 0; i < n_posts; i++) {
		c->ep.posts[i].start = (__u32)total;
		total += c->ep.posts[i].n;
		c->ep.posts[i].n = 0;
		c->ep.posts[i].last = 0;
	}
	for (size_t j = 0; j < c->ep.n_ids; j++)
		for (size_t l = 0; l < c->ep.ids[j].ls.n; l++) {
			const struct xg_label *lb = &c->ep.ids[j].ls.v[l];

			/* every pair is there: the first walk put it */
			p = &c->ep.posts[*xg_u64map_get(&c->ep.post_idx,
						     nv_hash(lb->name, lb->value))];
			if (p->last == j + 1)
				continue;
			p->last = (__u32)j + 1;
			c->ep.post_ids[p->start + p->n++] = (__u32)j;
		}
	return 0;
}

/* The identities (indices in c->ep.ids, ascending) a selector may select:
 * the shortest posting among its matchLabels and its namespace.  NULL
 * when nothing narrows it: every identity, *n of them. */
static const __u32 *candidates(const struct cc *c,
			       const struct xg_doc_selector *sel,
			       const char *ns_restrict, size_t *n)
{
	static const __u32 none[1];
	const struct lpost *best = NULL;
	const __u32 *slot;

	*n = c->ep.n_ids;
	for (size_t i = 0; i <= sel->n_labels; i++) {
		const char *name, *value;

		if (i == sel->n_labels) {
			if (!ns_restrict || xg_selector_names_namespace(sel))
				break;
			name = XG_NS_LABEL;
			value = ns_restrict;
		} else {
			name = sel->labels[i].k.name;
			value = sel->labels[i].value;
		}
		slot = xg_u64map_get(&c->ep.post_idx, nv_hash(name, value));
		if (!slot) { /* no identity holds it */
			*n = 0;
			return none;
		}
		if (!best || c->ep.posts[*slot].n < best->n)
			best = &c->ep.posts[*slot];
	}
	if (!best)
		return NULL;
	*n = best->n;
	return c->ep.post_ids + best->start;
}

/* Every identity the selector selects, in identity order. */
static int select_ids(struct cc *c, const struct xg_doc_selector *sel,
		      const char *ns_restrict, struct idv *out)
{
	size_t n;
	const __u32 *cand = candidates(c, sel, ns_restrict, &n);
	int ret = 0;

	for (size_t k = 0; k < n && !ret; k++) {
		const struct epid *x = &c->ep.ids[cand ? cand[k] : k];

		if (xg_selector_matches(sel, &x->ls, ns_restrict))
			ret = idv_add(out, x->id);
	}
	return ret;
}

/* -------------------------------------------------------------- CIDRs -- */

static int pfx_cmp(const void *a, const void *b)
{
	const struct xg_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->len != y->len)
		return x->len - y->len;
	return memcmp(x->addr, y->addr, 16);
}

/* Is p inside c (c's bits equal, p at least as long)? */
static bool pfx_within(const struct xg_prefix *p, const struct xg_prefix *c)
{
	int full = c->len / 8, rest = c->len % 8;

	if (p->family != c->family || p->len < c->len)
		return false;
	if (memcmp(p->addr, c->addr, (size_t)full))
		return false;
	return !rest || ((p->addr[full] ^ c->addr[full]) & (0xff << (8 - rest))) == 0;
}

/* Repeats go in too: sorting brings them together, and they go then. */
static int add_cidr(struct cc *c, const struct xg_prefix *p)
{
	struct cidr_id x = { .pfx = *p };

	return PUSH(c->cidrs, c->n_cidrs, c->cap_cidrs, x);
}

/* By address first: the prefixes inside one are then a run. */
static int addr_cmp(const struct xg_prefix *x, const struct xg_prefix *y)
{
	int d = memcmp(x->addr, y->addr, 16);

	if (x->family != y->family)
		return x->family - y->family;
	return d ? d : x->len - y->len;
}

static int by_addr_cmp(const void *a, const void *b, void *arg)
{
	const struct cidr_id *v = arg;

	return addr_cmp(&v[*(const __u32 *)a].pfx, &v[*(const __u32 *)b].pfx);
}

static int peer_cidrs_each(struct cc *c, const struct xg_doc_peer_rule *pr)
{
	int ret = 0;

	for (size_t i = 0; i < pr->n_cidrs && !ret; i++)
		ret = add_cidr(c, &pr->cidrs[i].pfx);
	for (size_t i = 0; i < pr->n_cidr_sets && !ret; i++) {
		ret = add_cidr(c, &pr->cidr_sets[i].cidr.pfx);
		for (size_t j = 0; j < pr->cidr_sets[i].n_except && !ret; j++)
			ret = add_cidr(c, &pr->cidr_sets[i].except[j].pfx);
	}
	return ret;
}

/* Every CIDR any policy names gets an identity, numbered in prefix order
 * so the same documents always give the same numbers. */
struct src_out;
static const struct src_out *src_found(const struct cc *c, size_t p);
static int src_cidrs_from_cache(struct cc *c, const struct src_out *o);

/* The CIDRs a set's policies name, in the order they name them. */
static int src_cidrs_walk(struct cc *c, const struct xg_doc_set *set)
{
	int ret = 0;

	for (size_t p = 0; p < set->n_cnps; p++) {
		const struct xg_cnp *cnp = &set->cnps[p];

		for (size_t r = 0; r < cnp->n_rules; r++) {
			const struct xg_doc_rule *ru = &cnp->rules[r];
			const struct xg_doc_peer_rule *secs[4] = {
				ru->ingress, ru->egress, ru->ingress_deny,
				ru->egress_deny
			};
			size_t ns[4] = { ru->n_ingress, ru->n_egress,
					 ru->n_ingress_deny, ru->n_egress_deny };

			for (int k = 0; k < 4; k++)
				for (size_t i = 0; i < ns[k] && !ret; i++)
					ret = peer_cidrs_each(c, &secs[k][i]);
		}
	}
	return ret;
}

static bool cidrs_as_last(struct cc *c);

static int collect_cidrs(struct cc *c)
{
	int ret = 0;

	for (size_t p = 0; p < c->n_pol && !ret; p++) {
		size_t start = c->n_cidrs;

		if (c->found && c->found[p])
			ret = src_cidrs_from_cache(c, src_found(c, p));
		else
			ret = src_cidrs_walk(c, c->src[c->pol[p]].set);
		if (c->cspan)
			c->cspan[p] = (struct span){ (__u32)start,
						     (__u32)(c->n_cidrs - start) };
	}
	if (ret)
		return ret;
	if (c->cspan) { /* each source's list, for the cache */
		c->raw_cidrs = malloc((c->n_cidrs + 1) * sizeof(*c->raw_cidrs));
		if (!c->raw_cidrs)
			return -ENOMEM;
		for (size_t i = 0; i < c->n_cidrs; i++)
			c->raw_cidrs[i] = c->cidrs[i].pfx;
		c->n_raw_cidrs = c->n_cidrs;
	}
	if (cidrs_as_last(c))
		return 0;
	if (c->n_cidrs) {
		size_t w = 1;

		qsort(c->cidrs, c->n_cidrs, sizeof(*c->cidrs), pfx_cmp);
		for (size_t i = 1; i < c->n_cidrs; i++)
			if (!same_addr(&c->cidrs[i].pfx, &c->cidrs[w - 1].pfx))
				c->cidrs[w++] = c->cidrs[i];
		c->n_cidrs = w;
	}
	c->cidr_by_addr = malloc((c->n_cidrs + 1) * sizeof(*c->cidr_by_addr));
	c->scratch = malloc((c->n_cidrs + 1) * sizeof(*c->scratch));
	if (!c->cidr_by_addr || !c->scratch)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_cidrs; i++)
		c->cidr_by_addr[i] = (__u32)i;
	if (c->n_cidrs)
		qsort_r(c->cidr_by_addr, c->n_cidrs, sizeof(*c->cidr_by_addr),
			by_addr_cmp, c->cidrs);
	for (size_t i = 0; i < c->n_cidrs; i++)
		c->cidrs[i].id = XG_ID_CIDR_BASE + (__u32)i + 1;
	return 0;
}

/* The identities in use: the endpoints' in the order they first
 * appear, then the CIDRs'. */
static int fill_idents(struct cc *c)
{
	struct xg_compiled *o = c->out;
	int ret;

	ret = reserve((void **)&o->idents, &c->cap_idents, c->ep.n_ids + c->n_cidrs,
		      sizeof(*o->idents));
	if (ret)
		return ret;
	for (size_t j = 0; j < c->ep.n_ids; j++) {
		struct xg_ident *in = &o->idents[o->n_idents++];
		const char *key = c->ep.lkeys[c->ep.ids[j].key].key;

		in->id = c->ep.ids[j].id;
		in->labels = xg_strpool_add(&o->strs, key, strlen(key));
		if (!in->labels)
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_cidrs; i++) {
		struct xg_ident *in = &o->idents[o->n_idents++];
		char t[64];

		in->id = c->cidrs[i].id;
		xg_prefix_str(&c->cidrs[i].pfx, t, sizeof(t));
		in->labels = xg_strpool_join(&o->strs, "cidr", ':', t);
		if (!in->labels)
			return -ENOMEM;
	}
	return 0;
}

static int build_ipcache(struct cc *c)
{
	int ret = reserve((void **)&c->out->ipc, &c->cap_ipc,
			  c->ep.n_addrs + c->n_cidrs, sizeof(*c->out->ipc));

	for (size_t i = 0; i < c->ep.n_eps && !ret; i++)
		for (size_t a = 0; a < c->ep.eps[i].doc->n_addrs && !ret; a++) {
			struct xg_ipc_entry e = { .pfx = c->ep.eps[i].doc->addrs[a].addr,
						  .id = c->ep.eps[i].id };

			ret = PUSH(c->out->ipc, c->out->n_ipc, c->cap_ipc, e);
		}
	for (size_t i = 0; i < c->n_cidrs && !ret; i++) {
		struct xg_ipc_entry e = { .pfx = c->cidrs[i].pfx,
					  .id = c->cidrs[i].id };

		/* an endpoint's own host prefix stays the endpoint's */
		if (!xg_bmap_get(&c->ep.addrs, &e.pfx))
			ret = PUSH(c->out->ipc, c->out->n_ipc, c->cap_ipc, e);
	}
	return ret;
}

/* -------------------------------------------------------------- peers -- */

static int add_entity(struct cc *c, enum xg_doc_entity ent, struct idv *peers)
{
	static const __u32 cluster[] = { XG_ID_HOST, XG_ID_REMOTE_NODE,
					 XG_ID_HEALTH, XG_ID_INIT,
					 XG_ID_KUBE_APISERVER, XG_ID_INGRESS,
					 XG_ID_UNMANAGED };
	int ret = 0;

	switch (ent) {
	case XG_ENT_ALL:
		return idv_add(peers, 0);
	case XG_ENT_WORLD:
		ret = idv_add(peers, XG_ID_WORLD);
		ret = ret ?: idv_add(peers, XG_ID_WORLD_IPV4);
		ret = ret ?: idv_add(peers, XG_ID_WORLD_IPV6);
		for (size_t i = 0; i < c->n_cidrs && !ret; i++)
			ret = idv_add(peers, c->cidrs[i].id);
		return ret;
	case XG_ENT_CLUSTER:
		for (size_t i = 0; i < sizeof(cluster) / sizeof(cluster[0]) && !ret; i++)
			ret = idv_add(peers, cluster[i]);
		for (size_t i = 0; i < c->ep.n_ids && !ret; i++)
			ret = idv_add(peers, c->ep.ids[i].id);
		return ret;
	case XG_ENT_HOST:
		return idv_add(peers, XG_ID_HOST);
	case XG_ENT_REMOTE_NODE:
		return idv_add(peers, XG_ID_REMOTE_NODE);
	case XG_ENT_KUBE_APISERVER:
		return idv_add(peers, XG_ID_KUBE_APISERVER);
	case XG_ENT_INIT:
		return idv_add(peers, XG_ID_INIT);
	case XG_ENT_HEALTH:
		return idv_add(peers, XG_ID_HEALTH);
	case XG_ENT_UNMANAGED:
		return idv_add(peers, XG_ID_UNMANAGED);
	case XG_ENT_INGRESS:
		return idv_add(peers, XG_ID_INGRESS);
	}
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* The CIDR identities inside `in` and in none of its excepts, in
 * c->cidrs order: the run of c->cidr_by_addr that shares in's bits. */
static int add_cidr_peers(struct cc *c, const struct xg_prefix *in,
			  const struct xg_doc_cidr *except, size_t n_except,
			  struct idv *peers)
{
	size_t lo = 0, hi = c->n_cidrs, n = 0;
	struct xg_prefix first = *in;
	int ret = 0;

	first.len = 0; /* sorts before every prefix at in's address */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr_cmp(&c->cidrs[c->cidr_by_addr[mid]].pfx, &first) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < c->n_cidrs; k++) {
		const struct xg_prefix *p = &c->cidrs[c->cidr_by_addr[k]].pfx;
		struct xg_prefix cut = *p;

		cut.len = in->len;
		if (!pfx_within(&cut, in))
			break; /* past the run */
		if (pfx_within(p, in))
			c->scratch[n++] = c->cidr_by_addr[k];
	}
	if (n > 1)
		qsort(c->scratch, n, sizeof(*c->scratch), u32_cmp);
	for (size_t k = 0; k < n && !ret; k++) {
		const struct cidr_id *x = &c->cidrs[c->scratch[k]];
		bool out = false;

		for (size_t e = 0; e < n_except && !out; e++)
			out = pfx_within(&x->pfx, &except[e].pfx);
		if (!out)
			ret = idv_add(peers, x->id);
	}
	return ret;
}

/* The peers of one item: {0} for any peer; empty when its selectors
 * select nothing (the item then allows nothing). */
static int item_peers(struct cc *c, const struct xg_doc_peer_rule *pr,
		      const char *ns_restrict, struct idv *peers)
{
	int ret = 0;

	if (!pr->n_endpoints && !pr->n_cidrs && !pr->n_cidr_sets &&
	    !pr->n_entities)
		return idv_add(peers, 0);
	for (size_t i = 0; i < pr->n_endpoints && !ret; i++)
		ret = select_ids(c, &pr->endpoints[i], ns_restrict, peers);
	for (size_t i = 0; i < pr->n_cidrs && !ret; i++)
		ret = add_cidr_peers(c, &pr->cidrs[i].pfx, NULL, 0, peers);
	for (size_t i = 0; i < pr->n_cidr_sets && !ret; i++)
		ret = add_cidr_peers(c, &pr->cidr_sets[i].cidr.pfx,
				     pr->cidr_sets[i].except,
				     pr->cidr_sets[i].n_except, peers);
	for (size_t i = 0; i < pr->n_entities && !ret; i++)
		ret = add_entity(c, pr->entities[i].ent, peers);
	if (!ret)
		for (size_t i = 0; i < peers->n; i++)
			if (!peers->v[i]) { /* any peer covers the rest */
				peers->v[0] = 0;
				peers->n = 1;
				xg_u64map_free(&peers->seen); /* done adding */
				break;
			}
	return ret;
}

/* ---------------------------------------------------------------- L4 -- */

struct l4 {
	__u8 proto;
	__u16 lo, hi;
	__u32 l7;
};

struct l4v {
	struct l4 *v;
	size_t n, cap;
};

static int l4_add(struct l4v *s, __u8 proto, __u16 lo, __u16 hi, __u32 l7)
{
	struct l4 x = { .proto = proto, .lo = lo, .hi = hi, .l7 = l7 };

	return PUSH(s->v, s->n, s->cap, x);
}

/* Named ports of the endpoints with identity id (0: every endpoint). */
static int resolve_named(struct cc *c, const struct xg_doc_port *p, __u32 id,
			 __u32 l7, struct l4v *out)
{
	const __u32 *x = id ? xg_u64map_get(&c->ep.id_idx, id) : NULL;
	int ret = 0;

	if (id && !x)
		return 0; /* no endpoint has it (a CIDR, an entity) */
	/* id 0: every endpoint, in order; else its own, in order */
	for (size_t i = x ? c->ep.ids[*x].first - 1 : 0; i < c->ep.n_eps && !ret;
	     i = x ? (size_t)c->ep.eps[i].next - 1 : i + 1) {
		const struct xg_endpoint_doc *d = c->ep.eps[i].doc;

		for (size_t j = 0; j < d->n_ports && !ret; j++) {
			const struct xg_doc_named_port *np = &d->ports[j];

			if (strcmp(np->name, p->name) ||
			    (p->proto && p->proto != np->proto))
				continue;
			if (l7 && np->proto != IPPROTO_TCP)
				continue;
			ret = l4_add(out, np->proto, np->port, np->port,
				     np->proto == IPPROTO_TCP ? l7 : 0);
		}
	}
	return ret;
}

/* ---------------------------------------------------------------- L7 -- */

/*
 * An L7 ruleset's id is a function of its rules, so that an id means the
 * same rules in every compile (the fast path's table and the maps change
 * at different instants).  The rules are first put in canonical form:
 * header names lower case, each rule's headers sorted and unique, the
 * rules sorted and unique, and a set holding a rule without fields
 * (which allows every request) only that rule.  The id is 64-bit FNV-1a
 * of that form folded to 31 bits, never 0.  Equal rules are one ruleset
 * however many items and policies give them.  Two different rulesets
 * whose ids collide (rare: 10,000 rulesets collide with probability
 * about 1 in 40) are numbered in the order of their 64-bit hashes, the
 * later one taking the next free id: a collision may renumber a ruleset
 * when the other one comes or goes.
 */

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define L7_ID_MAX 0x7fffffffu

static __u64 fnv_bytes(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h;
}

static __u64 fnv_u32(__u64 h, __u32 v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8),
			      (unsigned char)(v >> 16),
			      (unsigned char)(v >> 24)};

	return fnv_bytes(h, b, 4);
}

/* NULL and "" hash apart. */
static __u64 fnv_str(__u64 h, const char *s)
{
	if (!s)
		return fnv_bytes(h, "", 1);
	h = fnv_bytes(h, "\1", 1);
	h = fnv_u32(h, (__u32)strlen(s));
	return fnv_bytes(h, s, strlen(s));
}

static __u64 l7_hash(const struct xg_l7_ruleset *rs)
{
	__u64 h = fnv_u32(FNV_BASIS, (__u32)rs->n);

	for (size_t i = 0; i < rs->n; i++) {
		const struct xg_l7_http *r = &rs->rules[i];

		h = fnv_str(h, r->method);
		h = fnv_str(h, r->path);
		h = fnv_str(h, r->host);
		h = fnv_u32(h, (__u32)r->n_headers);
		for (size_t k = 0; k < r->n_headers; k++)
			h = fnv_str(h, r->headers[k]);
	}
	return h;
}

static __u32 l7_id_of(__u64 h)
{
	__u32 id = (__u32)(h ^ (h >> 32)) & L7_ID_MAX;

	return id ? id : 1;
}

static int cstr_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return !!a - !!b;
	return strcmp(a, b);
}

static int http_cmp(const struct xg_l7_http *a, const struct xg_l7_http *b)
{
	int d = cstr_cmp(a->method, b->method);

	d = d ?: cstr_cmp(a->path, b->path);
	d = d ?: cstr_cmp(a->host, b->host);
	for (size_t i = 0; !d && i < a->n_headers && i < b->n_headers; i++)
		d = strcmp(a->headers[i], b->headers[i]);
	if (!d && a->n_headers != b->n_headers)
		d = a->n_headers < b->n_headers ? -1 : 1;
	return d;
}

static int http_qcmp(const void *a, const void *b)
{
	return http_cmp(a, b);
}

static int str_qcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int l7_cmp(const struct xg_l7_ruleset *a, const struct xg_l7_ruleset *b)
{
	int d = 0;

	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (size_t i = 0; !d && i < a->n; i++)
		d = http_cmp(&a->rules[i], &b->rules[i]);
	return d;
}

static void http_free(struct xg_l7_http *h)
{
	free(h->method);
	free(h->path);
	free(h->host);
	for (size_t k = 0; h->headers && k < h->n_headers; k++)
		free(h->headers[k]);
	free(h->headers);
	memset(h, 0, sizeof(*h));
}

static void l7_free(struct xg_l7_ruleset *rs)
{
	for (size_t i = 0; rs->rules && i < rs->n; i++)
		http_free(&rs->rules[i]);
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}

static bool http_any(const struct xg_l7_http *h)
{
	return !h->method && !h->path && !h->host && !h->n_headers;
}

/* Canonical form, in place (see above). */
static void l7_canon(struct xg_l7_ruleset *rs)
{
	size_t w;

	for (size_t i = 0; i < rs->n; i++) {
		struct xg_l7_http *h = &rs->rules[i];

		if (h->n_headers > 1)
			qsort(h->headers, h->n_headers, sizeof(*h->headers),
			      str_qcmp);
		for (size_t k = w = 0; k < h->n_headers; k++) {
			if (w && !strcmp(h->headers[w - 1], h->headers[k]))
				free(h->headers[k]);
			else
				h->headers[w++] = h->headers[k];
		}
		if (h->n_headers)
			h->n_headers = w;
	}
	for (size_t i = 0; i < rs->n; i++) {
		if (!http_any(&rs->rules[i]))
			continue;
		/* allows every request: the rest says nothing more */
		for (size_t j = 0; j < rs->n; j++)
			if (j != i)
				http_free(&rs->rules[j]);
		rs->rules[0] = rs->rules[i];
		rs->n = 1;
		return;
	}
	if (rs->n > 1)
		qsort(rs->rules, rs->n, sizeof(*rs->rules), http_qcmp);
	for (size_t i = w = 0; i < rs->n; i++) {
		if (w && !http_cmp(&rs->rules[w - 1], &rs->rules[i]))
			http_free(&rs->rules[i]);
		else
			rs->rules[w++] = rs->rules[i];
	}
	if (rs->n)
		rs->n = w;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

static int http_copy(struct xg_l7_http *d, const struct xg_l7_http *s)
{
	memset(d, 0, sizeof(*d));
	if (dup_opt(&d->method, s->method) || dup_opt(&d->path, s->path) ||
	    dup_opt(&d->host, s->host))
		return -ENOMEM;
	d->headers = calloc(s->n_headers + 1, sizeof(*d->headers));
	if (!d->headers)
		return -ENOMEM;
	for (size_t k = 0; k < s->n_headers; k++) {
		d->headers[k] = strdup(s->headers[k]);
		if (!d->headers[k])
			return -ENOMEM;
		d->n_headers++;
	}
	return 0;
}

/* Takes rs (canonical, emptied here); *handle is that of the ruleset
 * with its rules: an earlier one, or rs made one. */
static int l7_intern(struct cc *c, struct xg_l7_ruleset *rs, __u32 *handle)
{
	struct xg_compiled *o = c->out;
	__u64 h = l7_hash(rs), key = h == XG_U64MAP_EMPTY ? 0 : h;
	const __u32 *head = xg_u64map_get(&c->l7_idx, key);
	size_t cap;
	__u32 *slot;
	bool added;

	for (__u32 i = head ? *head : 0; i; i = c->l7_next[i - 1])
		if (c->l7_hash[i - 1] == h && !l7_cmp(&o->l7[i - 1], rs)) {
			l7_free(rs);
			*handle = i;
			return 0;
		}
	if (o->n_l7 >= L7_ID_MAX - 1 ||
	    grow((void **)&o->l7, &c->cap_l7, o->n_l7, sizeof(*o->l7)))
		goto nomem;
	cap = c->cap_l7_aux;
	if (grow((void **)&c->l7_hash, &cap, o->n_l7, sizeof(*c->l7_hash)))
		goto nomem;
	cap = c->cap_l7_aux;
	if (grow((void **)&c->l7_next, &cap, o->n_l7, sizeof(*c->l7_next)))
		goto nomem;
	c->cap_l7_aux = cap;
	slot = xg_u64map_put(&c->l7_idx, key, &added);
	if (!slot)
		goto nomem;
	c->l7_hash[o->n_l7] = h;
	c->l7_next[o->n_l7] = added ? 0 : *slot;
	o->l7[o->n_l7] = *rs;
	o->l7[o->n_l7].id = (__u32)o->n_l7 + 1;
	*slot = (__u32)++o->n_l7;
	*handle = *slot;
	memset(rs, 0, sizeof(*rs));
	return 0;
nomem:
	l7_free(rs);
	return -ENOMEM;
}

static int l7_copy(struct xg_l7_ruleset *d, const struct xg_l7_ruleset *s);

/* As l7_intern, of a cached source's ruleset (canonical, as compiled):
 * copied only when the compile has none with its rules yet.  At 10,000
 * policies most rulesets are the same few, and copying each cached one
 * to find it there already was most of replaying them. */
static int l7_intern_copy(struct cc *c, const struct xg_l7_ruleset *src,
			  __u32 *handle)
{
	__u64 h = l7_hash(src), key = h == XG_U64MAP_EMPTY ? 0 : h;
	const __u32 *head = xg_u64map_get(&c->l7_idx, key);
	struct xg_l7_ruleset rs;

	for (__u32 i = head ? *head : 0; i; i = c->l7_next[i - 1])
		if (c->l7_hash[i - 1] == h && !l7_cmp(&c->out->l7[i - 1], src)) {
			*handle = i;
			return 0;
		}
	if (l7_copy(&rs, src))
		return -ENOMEM;
	return l7_intern(c, &rs, handle);
}

/* xg_l7_union_fn for xg_policy_compile_l7: the ruleset of a's rules and
 * b's (b == 0: and a rule allowing everything), made on demand. */
static int l7_union(void *arg, __u32 a, __u32 b, __u32 *out)
{
	struct cc *c = arg;
	__u64 key = (__u64)a << 32 | b;
	struct xg_l7_ruleset u = {};
	const struct xg_l7_ruleset *x, *y;
	__u32 *memo;
	bool added;
	int ret = 0;

	if (a == b) {
		*out = a;
		return 0;
	}
	if (!a || a > c->out->n_l7 || b > c->out->n_l7)
		return -EINVAL;
	memo = xg_u64map_get(&c->l7_unions, key);
	if (memo) {
		*out = *memo;
		return 0;
	}
	x = &c->out->l7[a - 1];
	y = b ? &c->out->l7[b - 1] : NULL;
	u.rules = calloc(x->n + (y ? y->n : 1), sizeof(*u.rules));
	if (!u.rules)
		return -ENOMEM;
	for (size_t i = 0; i < x->n && !ret; i++, u.n++)
		ret = http_copy(&u.rules[u.n], &x->rules[i]);
	for (size_t i = 0; y && i < y->n && !ret; i++, u.n++)
		ret = http_copy(&u.rules[u.n], &y->rules[i]);
	if (!y)
		u.n++; /* the empty rule: everything */
	if (ret) {
		l7_free(&u);
		return ret;
	}
	l7_canon(&u);
	ret = l7_intern(c, &u, out);
	if (ret)
		return ret;
	memo = xg_u64map_put(&c->l7_unions, key, &added);
	if (!memo)
		return -ENOMEM;
	*memo = *out;
	return 0;
}

struct l7_ord {
	__u64 hash;
	size_t idx;
};

static int l7_ord_cmp(const void *a, const void *b, void *arg)
{
	const struct l7_ord *x = a, *y = b;
	const struct xg_l7_ruleset *v = arg;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return l7_cmp(&v[x->idx], &v[y->idx]);
}

static int l7_by_id(const void *a, const void *b)
{
	__u32 x = ((const struct xg_l7_ruleset *)a)->id,
	      y = ((const struct xg_l7_ruleset *)b)->id;

	return x < y ? -1 : x > y;
}

/* Handles become ids, in every rule and policy entry; the rulesets no
 * policy entry uses any more (merged into a union, or under a deny) go,
 * and the rest are sorted by id. */
static int l7_finish(struct cc *c)
{
	struct xg_compiled *o = c->out;
	struct xg_u64map taken = {};
	struct l7_ord *ord;
	__u32 *final;
	bool *used, added;
	size_t n = o->n_l7, w = 0;
	int ret = -ENOMEM;

	if (!n)
		return 0;
	ord = malloc(n * sizeof(*ord));
	final = malloc(n * sizeof(*final));
	used = calloc(n, sizeof(*used));
	if (!ord || !final || !used)
		goto out;
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct l7_ord){c->l7_hash[i], i};
	qsort_r(ord, n, sizeof(*ord), l7_ord_cmp, o->l7);
	for (size_t k = 0; k < n; k++) {
		__u32 id = l7_id_of(ord[k].hash), *slot;

		while (xg_u64map_get(&taken, id))
			id = id == L7_ID_MAX ? 1 : id + 1;
		slot = xg_u64map_put(&taken, id, &added);
		if (!slot)
			goto out;
		final[ord[k].idx] = id;
	}
	for (size_t i = 0; i < o->n_rules; i++)
		if (o->rules[i].l7_ruleset)
			o->rules[i].l7_ruleset =
				final[o->rules[i].l7_ruleset - 1];
	for (size_t i = 0; i < o->policy.n; i++) {
		__u32 *l7 = &o->policy.v[i].val.l7_ruleset;

		if (!*l7)
			continue;
		used[*l7 - 1] = true;
		*l7 = final[*l7 - 1];
	}
	for (size_t i = 0; i < n; i++) {
		if (!used[i]) {
			l7_free(&o->l7[i]);
			continue;
		}
		o->l7[w] = o->l7[i];
		o->l7[w++].id = final[i];
	}
	o->n_l7 = w;
	if (w > 1)
		qsort(o->l7, w, sizeof(*o->l7), l7_by_id);
	ret = 0;
out:
	free(ord);
	free(final);
	free(used);
	xg_u64map_free(&taken);
	return ret;
}

/* Where an item is, for errors in its fields. */
struct item_at {
	const char *file, *section;
	const struct xg_cnp *cnp;
	int rule, item;
};

/* "spec.ingress[0].toPorts[1].rules.http[2].path".  The document's
 * spec and specs come as one list of rules, without saying which was
 * which: a policy with one rule is taken to have written it as spec,
 * any other to have written specs (the line number is right either
 * way). */
static void http_field(char *buf, size_t len, const struct item_at *at,
		       size_t port, size_t http, const char *field)
{
	char spec[24];

	if (at->cnp->n_rules == 1)
		snprintf(spec, sizeof(spec), "spec");
	else
		snprintf(spec, sizeof(spec), "specs[%d]", at->rule);
	snprintf(buf, len, "%s.%s[%d].toPorts[%zu].rules.http[%zu].%s", spec,
		 at->section, at->item, port, http, field);
}

/* A regex field: checked (it must compile as the fast path compiles
 * it), then copied. */
static int copy_regex(struct cc *c, const struct item_at *at, size_t port,
		      size_t http, struct xg_doc_loc loc, const char *field,
		      const char *re, char **out)
{
	char msg[160], text[256], where[128];
	int ret;

	*out = NULL;
	if (!re)
		return 0;
	ret = xg_l7_regex_check(re, msg, sizeof(msg));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		http_field(where, sizeof(where), at, port, http, field);
		snprintf(text, sizeof(text),
			 "regex '%.48s%s' does not compile: %s", re,
			 strlen(re) > 48 ? "..." : "", msg);
		doc_err(c, at->file, loc, where, "%s", text);
		return -EINVAL;
	}
	*out = strdup(re);
	return *out ? 0 : -ENOMEM;
}

/* One header as "name" or "name: value", the name in lower case. */
static int copy_header(char **out, const char *name, const char *value)
{
	if (asprintf(out, "%s%s%s", name, value ? ": " : "",
		     value ? value : "") < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	for (char *p = *out; *p && *p != ':'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

/* The ruleset of toPorts[port] (not yet canonical). */
static int copy_http(struct cc *c, const struct item_at *at, size_t port,
		     const struct xg_doc_port_rule *pr,
		     struct xg_l7_ruleset *rs)
{
	int ret = 0;

	rs->n = pr->n_http;
	rs->rules = calloc(pr->n_http ? pr->n_http : 1, sizeof(*rs->rules));
	if (!rs->rules)
		return -ENOMEM;
	for (size_t i = 0; i < pr->n_http && !ret; i++) {
		const struct xg_doc_http_rule *h = &pr->http[i];
		struct xg_l7_http *o = &rs->rules[i];

		ret = copy_regex(c, at, port, i, h->loc, "method", h->method,
				 &o->method);
		if (!ret)
			ret = copy_regex(c, at, port, i, h->loc, "path",
					 h->path, &o->path);
		if (!ret)
			ret = copy_regex(c, at, port, i, h->loc, "host",
					 h->host, &o->host);
		if (ret)
			break;
		o->headers = calloc(h->n_headers + h->n_header_matches + 1,
				    sizeof(char *));
		if (!o->headers)
			return -ENOMEM;
		for (size_t j = 0; j < h->n_headers && !ret; j++) {
			const struct xg_doc_http_header *hd = &h->headers[j];

			ret = copy_header(&o->headers[o->n_headers], hd->name,
					  hd->value);
			o->n_headers += !ret;
		}
		/* headerMatches without secrets: an exact value (or
		 * presence when empty) the request must have */
		for (size_t j = 0; j < h->n_header_matches && !ret; j++) {
			const struct xg_doc_header_match *m = &h->header_matches[j];

			ret = copy_header(&o->headers[o->n_headers], m->name,
					  *m->value ? m->value : NULL);
			o->n_headers += !ret;
		}
	}
	return ret;
}

/* The item's numeric L4 part (named ports come per subject or peer). */
static int item_l4(struct cc *c, const struct item_at *at,
		   const struct xg_doc_peer_rule *pr, bool allow,
		   struct l4v *out, __u32 *l7_of_rule)
{
	static const __u8 any[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	int ret = 0;

	if (!pr->n_to_ports && !pr->n_icmps)
		return l4_add(out, 0, 0, 65535, 0);
	for (size_t i = 0; i < pr->n_to_ports && !ret; i++) {
		const struct xg_doc_port_rule *pt = &pr->to_ports[i];
		__u32 l7 = 0;

		if (allow && pt->has_http && pt->n_http) {
			struct xg_l7_ruleset rs = {};

			ret = copy_http(c, at, i, pt, &rs);
			if (ret) {
				l7_free(&rs);
				return ret;
			}
			l7_canon(&rs);
			ret = l7_intern(c, &rs, &l7);
			if (ret)
				return ret;
		}
		l7_of_rule[i] = l7;
		if (!pt->n_ports) {
			ret = l4_add(out, l7 ? IPPROTO_TCP : 0, 0, 65535, l7);
			continue;
		}
		for (size_t j = 0; j < pt->n_ports && !ret; j++) {
			const struct xg_doc_port *p = &pt->ports[j];
			__u16 lo = p->port, hi = p->port ? p->end_port : 65535;

			if (p->name)
				continue;
			if (p->proto) {
				if (l7 && p->proto != IPPROTO_TCP)
					continue;
				ret = l4_add(out, p->proto, lo, hi, l7);
				continue;
			}
			for (size_t k = 0; k < 3 && !ret; k++)
				if (!l7 || any[k] == IPPROTO_TCP)
					ret = l4_add(out, any[k], lo, hi,
						     any[k] == IPPROTO_TCP ? l7 : 0);
		}
	}
	for (size_t i = 0; i < pr->n_icmps && !ret; i++) {
		__u8 proto = pr->icmps[i].family == XG_FAMILY_V6 ?
				     IPPROTO_ICMPV6 : IPPROTO_ICMP;

		ret = l4_add(out, proto, pr->icmps[i].type, pr->icmps[i].type, 0);
	}
	return ret;
}

static bool has_named(const struct xg_doc_peer_rule *pr)
{
	for (size_t i = 0; i < pr->n_to_ports; i++)
		for (size_t j = 0; j < pr->to_ports[i].n_ports; j++)
			if (pr->to_ports[i].ports[j].name)
				return true;
	return false;
}

/* --------------------------------------------------------------- rules -- */

static int emit(struct cc *c, __u32 subj, __u32 peer, __u8 dir, __u8 action,
		const struct l4 *l, __u32 cookie)
{
	struct xg_rule r = {
		.subject = subj, .peer = peer, .dir = dir, .action = action,
		.proto = l->proto, .port_lo = l->lo, .port_hi = l->hi,
		.l7_ruleset = action == XG_ACT_ALLOW ? l->l7 : 0,
		.cookie = cookie,
	};

	return PUSH(c->out->rules, c->out->n_rules, c->cap_rules, r);
}

/* The policy's and the file's names, in the output's pool: once per
 * policy and file, since their items come one after another. */
static int origin_names(struct cc *c, const struct xg_cnp *cnp,
			const char *file, struct xg_rule_origin *o)
{
	struct xg_strpool *p = &c->out->strs;

	if (c->o_cnp != cnp) {
		c->o_policy = cnp->clusterwide ?
				      xg_strpool_add(p, cnp->name, strlen(cnp->name)) :
				      xg_strpool_join(p, cnp->ns, '/', cnp->name);
		c->o_cnp = c->o_policy ? cnp : NULL;
	}
	if (c->o_file_key != file) {
		c->o_file = xg_strpool_add(p, file, strlen(file));
		c->o_file_key = c->o_file ? file : NULL;
	}
	if (!c->o_policy || !c->o_file)
		return -ENOMEM;
	o->policy = c->o_policy;
	o->file = c->o_file;
	return 0;
}

/* Appends an origin made by this compile: to the own ones, in a span of
 * them (its v set when the compile ends: own_origins may move). */
static int own_origin(struct cc *c, const struct xg_rule_origin *o)
{
	struct xg_compiled *out = c->out;
	struct xg_origin_span *last = out->n_ospans ?
					      &out->ospans[out->n_ospans - 1] :
					      NULL;
	int ret;

	ret = PUSH(out->own_origins, out->n_own_origins, c->cap_origins, *o);
	if (ret)
		return ret;
	if (last && !last->v && last->first + last->n == out->n_origins) {
		last->n++;
	} else {
		struct xg_origin_span sp = { .first = out->n_origins, .n = 1 };

		ret = PUSH(out->ospans, out->n_ospans, c->cap_ospans, sp);
		if (ret) {
			out->n_own_origins--;
			return ret;
		}
	}
	out->n_origins++;
	return 0;
}

/* Own spans in order hold the own origins in order. */
static void own_spans_fix(struct xg_compiled *out)
{
	size_t at = 0;

	for (size_t i = 0; i < out->n_ospans; i++)
		if (!out->ospans[i].v) {
			out->ospans[i].v = out->own_origins + at;
			at += out->ospans[i].n;
		}
}

const struct xg_rule_origin *xg_compiled_origin(const struct xg_compiled *c,
					       __u32 cookie)
{
	size_t lo = 0, hi = c->n_ospans, i = (size_t)cookie - 1;

	if (!cookie || i >= c->n_origins)
		return NULL;
	while (hi - lo > 1) { /* the last span with first <= i */
		size_t mid = lo + (hi - lo) / 2;

		if (c->ospans[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return &c->ospans[lo].v[i - c->ospans[lo].first];
}

static int compile_item(struct cc *c, const struct xg_cnp *cnp, const char *file,
			int rule, const char *section, int item,
			const struct xg_doc_peer_rule *pr, __u8 dir, __u8 action,
			const struct idv *subjects)
{
	const char *ns = cnp->clusterwide ? NULL : cnp->ns;
	struct xg_rule_origin o = { .rule = rule, .item = item,
				    .line = pr->loc.line };
	struct item_at at = {.file = file,
			     .section = section,
			     .cnp = cnp,
			     .rule = rule,
			     .item = item};
	struct idv peers = {};
	struct l4v l4 = {};
	__u32 l7_few[8] = {};
	__u32 *l7s = pr->n_to_ports < 8 ? l7_few :
					  calloc(pr->n_to_ports + 1, sizeof(*l7s));
	__u32 cookie;
	int ret;

	if (!l7s)
		return -ENOMEM;
	o.section = section; /* a literal: lives as long as the program */
	ret = origin_names(c, cnp, file, &o);
	ret = ret ?: own_origin(c, &o);
	cookie = (__u32)c->out->n_origins;
	ret = ret ?: item_peers(c, pr, ns, &peers);
	ret = ret ?: item_l4(c, &at, pr, action == XG_ACT_ALLOW, &l4, l7s);
	for (size_t s = 0; s < subjects->n && !ret; s++) {
		for (size_t p = 0; p < peers.n && !ret; p++) {
			struct l4v named = {};

			for (size_t k = 0; k < l4.n && !ret; k++)
				ret = emit(c, subjects->v[s], peers.v[p], dir,
					   action, &l4.v[k], cookie);
			if (!has_named(pr))
				continue;
			/* ingress: the subject's port names; egress: the
			 * peer's */
			for (size_t i = 0; i < pr->n_to_ports && !ret; i++)
				for (size_t j = 0; j < pr->to_ports[i].n_ports && !ret; j++) {
					const struct xg_doc_port *pt =
						&pr->to_ports[i].ports[j];

					if (!pt->name)
						continue;
					ret = resolve_named(c, pt,
							    dir == XG_DIR_INGRESS ?
								    subjects->v[s] :
								    peers.v[p],
							    l7s[i], &named);
				}
			for (size_t k = 0; k < named.n && !ret; k++)
				ret = emit(c, subjects->v[s], peers.v[p], dir,
					   action, &named.v[k], cookie);
			free(named.v);
		}
	}
	idv_free(&peers);
	free(l4.v);
	if (l7s != l7_few)
		free(l7s);
	return ret;
}

static int enforce(struct cc *c, const struct idv *subjects, __u8 dir)
{
	int ret = 0;
	bool added;

	for (size_t s = 0; s < subjects->n && !ret; s++) {
		struct xg_enforce e = { .subject = subjects->v[s], .dir = dir };

		if (xg_pairset_add(&c->enf_set, e.subject, dir, &added))
			return -ENOMEM;
		if (added)
			ret = PUSH(c->out->enf, c->out->n_enf, c->cap_enf, e);
		if (ret || !c->rec)
			continue;
		if (!xg_u64map_put(&c->rec->seen, subj_dir(e.subject, dir), &added))
			return -ENOMEM;
		if (added)
			ret = PUSH(c->rec->enf, c->rec->n_enf, c->rec->cap_enf, e);
	}
	return ret;
}

static bool enforced(size_t n_allow, size_t n_deny, enum xg_doc_tri dd)
{
	if (dd == XG_TRI_TRUE)
		return true;
	return dd != XG_TRI_FALSE && (n_allow || n_deny);
}

static int compile_rule(struct cc *c, const struct xg_cnp *cnp, const char *file,
			int r)
{
	const struct xg_doc_rule *ru = &cnp->rules[r];
	const char *ns = cnp->clusterwide ? NULL : cnp->ns;
	struct {
		const char *name;
		const struct xg_doc_peer_rule *v;
		size_t n;
		__u8 dir, action;
	} secs[4] = {
		{ "ingress", ru->ingress, ru->n_ingress, XG_DIR_INGRESS, XG_ACT_ALLOW },
		{ "egress", ru->egress, ru->n_egress, XG_DIR_EGRESS, XG_ACT_ALLOW },
		{ "ingressDeny", ru->ingress_deny, ru->n_ingress_deny,
		  XG_DIR_INGRESS, XG_ACT_DENY },
		{ "egressDeny", ru->egress_deny, ru->n_egress_deny,
		  XG_DIR_EGRESS, XG_ACT_DENY },
	};
	struct idv subjects = {};
	int ret = 0;

	ret = select_ids(c, &ru->subject, ns, &subjects);
	if (!ret && enforced(ru->n_ingress, ru->n_ingress_deny,
			     ru->default_deny_ingress))
		ret = enforce(c, &subjects, XG_DIR_INGRESS);
	if (!ret && enforced(ru->n_egress, ru->n_egress_deny,
			     ru->default_deny_egress))
		ret = enforce(c, &subjects, XG_DIR_EGRESS);
	for (int k = 0; k < 4 && !ret; k++)
		for (size_t i = 0; i < secs[k].n && !ret; i++)
			ret = compile_item(c, cnp, file, r, secs[k].name, (int)i,
					   &secs[k].v[i], secs[k].dir,
					   secs[k].action, &subjects);
	idv_free(&subjects);
	return ret;
}

/* Every rule makes its subject enforced in its direction in the policy
 * map (policy_state.c).  Where no rule asked for that (all that touch it
 * say enableDefaultDeny: false), an allow-everything entry keeps the
 * direction open except for what rules deny. */
static int keep_open(struct cc *c)
{
	struct xg_pairset opened = {}; /* (subject, dir) given one here */
	size_t n = c->out->n_rules;
	__u64 last = 0;
	int ret = 0;
	bool added;

	for (size_t i = 0; i < n && !ret; i++) {
		const struct xg_rule *r = &c->out->rules[i];
		struct l4 all = { .proto = 0, .lo = 0, .hi = 65535 };
		__u64 k = subj_dir(r->subject, r->dir);

		/* runs of rules share their subject: one probe a run */
		if (i && k == last)
			continue;
		last = k;
		if (xg_pairset_has(&c->enf_set, r->subject, r->dir))
			continue;
		/* one allow-everything per subject and direction */
		ret = xg_pairset_add(&opened, r->subject, r->dir, &added);
		if (!ret && added)
			ret = emit(c, r->subject, 0, r->dir, XG_ACT_ALLOW, &all, 0);
	}
	xg_pairset_free(&opened);
	return ret;
}

/* ------------------------------------------------------------ services -- */

static int compile_services(struct cc *c)
{
	struct xg_bmap seen; /* key -> index in out->svcs, the first */
	int ret = 0;
	bool added;

	xg_bmap_init(&seen, sizeof(struct xg_svc_key));

	for (size_t v = 0; v < c->n_svc && !ret; v++) {
		size_t s = c->svc[v];
		const struct xg_doc_set *set = c->src[s].set;

		for (size_t i = 0; i < set->n_services && !ret; i++) {
			const struct xg_service_doc *d = &set->services[i];

			for (size_t a = 0; a < d->n_addrs && !ret; a++)
				for (size_t p = 0; p < d->n_ports && !ret; p++) {
					const struct xg_doc_svc_port *sp = &d->ports[p];
					struct xg_service_spec sv = {
						.affinity_s = d->affinity == XG_AFFINITY_CLIENT_IP ?
								      d->affinity_timeout_s : 0,
					};

					sv.key.family = d->addrs[a].addr.family;
					memcpy(sv.key.addr, d->addrs[a].addr.addr, 16);
					sv.key.port = htons(sp->port);
					sv.key.proto = sp->proto;
					snprintf(sv.name, sizeof(sv.name), "%s/%s:%u/%s",
						 d->ns, d->name, sp->port,
						 sp->proto == IPPROTO_UDP ? "udp" : "tcp");
					__u32 *k = xg_bmap_put(&seen, &sv.key, &added);

					if (!k) {
						ret = -ENOMEM;
						break;
					}
					if (!added) {
						doc_err(c, c->src[s].name,
							sp->loc, "spec.ports",
							"this address and port are already service %s",
							c->out->svcs[*k].name);
						ret = -EINVAL;
						break;
					}
					*k = (__u32)c->out->n_svcs;
					sv.b = calloc(d->n_backends + 1, sizeof(*sv.b));
					if (!sv.b) {
						ret = -ENOMEM;
						break;
					}
					/* a VIP's backends are those of its family */
					for (size_t b = 0; b < d->n_backends; b++) {
						const struct xg_doc_backend *db = &d->backends[b];
						struct xg_backend_spec *o = &sv.b[sv.n];

						if (db->addr.family != sv.key.family)
							continue;
						o->family = db->addr.family;
						memcpy(o->addr, db->addr.addr, 16);
						o->port = htons(sp->target_port);
						o->weight = db->weight;
						o->state = db->state;
						sv.n++;
					}
					ret = PUSH(c->out->svcs, c->out->n_svcs,
						   c->cap_svcs, sv);
					if (ret)
						free(sv.b);
				}
		}
	}
	xg_bmap_free(&seen);
	return ret;
}

/* ------------------------------------------------------------------ -- */


static void ep_stage_free(struct ep_stage *e)
{
	for (size_t i = 0; i < e->n_ids; i++)
		xg_label_set_free(&e->ids[i].ls);
	for (size_t i = 0; i < e->n_lkeys; i++)
		free(e->lkeys[i].key);
	free(e->eps);
	free(e->ids);
	free(e->lkeys);
	free(e->posts);
	free(e->post_ids);
	xg_u64map_free(&e->id_idx);
	xg_u64map_free(&e->lkey_idx);
	xg_u64map_free(&e->post_idx);
	xg_bmap_free(&e->addrs);
	memset(e, 0, sizeof(*e));
	xg_bmap_init(&e->addrs, sizeof(struct xg_prefix));
}

static void *dup_array(const void *v, size_t n, size_t size)
{
	void *d = malloc((n ? n : 1) * size);

	if (d && n)
		memcpy(d, v, n * size);
	return d;
}

static const size_t origin_strs[] = {
	offsetof(struct xg_rule_origin, policy),
	offsetof(struct xg_rule_origin, file),
};
static const size_t ident_strs[] = { offsetof(struct xg_ident, labels) };

/* An ipcache and identity list (labels in strs), shared by the cache
 * and the compiled states made from it: refs counts them all. */
struct xg_env_blob {
	unsigned refs;
	unsigned long long serial; /* xg_compiled_ipc_serial */
	struct xg_ipc_entry *ipc;
	size_t n_ipc;
	struct xg_ident *idents;
	size_t n_idents;
	struct xg_strblock *strs;
};

static void env_unref(struct xg_env_blob *b)
{
	if (!b || --b->refs)
		return;
	free(b->ipc);
	free(b->idents);
	xg_strblock_unref(b->strs);
	free(b);
}

/* What one source's policies compiled to, as it can be put in again:
 * cookies count from 1 in its own origins, L7 rulesets are indices + 1
 * in its own l7. */
struct src_out {
	unsigned long long gen; /* of the set; 0: a free slot */
	unsigned long long epoch; /* of the last compile that used it */
	/* everything below but l7 is in block (src_record) */
	struct xg_strblock *block;
	struct xg_rule *rules;
	size_t n_rules;
	const struct xg_rule_origin *origins; /* strings too (not section) */
	size_t n_origins;
	struct xg_prefix *cidrs; /* those its policies name, as named */
	size_t n_cidrs;
	struct xg_enforce *enf;
	size_t n_enf;
	struct xg_l7_ruleset *l7;
	size_t n_l7;
};

struct xg_compile_cache {
	/* The generations of the sets that held endpoints, in order, when
	 * `ep` was made; n_gens == SIZE_MAX: nothing kept. */
	unsigned long long *gens;
	size_t n_gens;
	struct ep_stage ep;
	/* Per source with policies, what it compiled to, valid while the
	 * endpoint stage and the CIDR identities (cidrs) stay as they were
	 * when it was made: a policy's rules depend on nothing else. */
	struct src_out *outs; /* slots, some free (gen 0) */
	size_t n_outs, cap_outs, live_outs;
	struct xg_u64map out_idx; /* gen -> slot (stale for freed slots) */
	unsigned long long epoch; /* compiles that used outs */
	struct cidr_id *cidrs;
	size_t n_cidrs;
	/* The CIDRs the last compile met, as named (raw, n_raw), and its
	 * cidrs' address order (by_addr): the same list met again sorts to
	 * the same cidrs, so the next compile copies them rather than sort
	 * every policy's CIDRs again.  Kept with cidrs (NULL: none). */
	struct xg_prefix *raw;
	size_t n_raw;
	__u32 *by_addr;
	/* The ipcache and identities they made (they depend on nothing
	 * else either), shared with every compiled state that uses them. */
	struct xg_env_blob *env;
	/* the merge into policy-map entries, group by group */
	struct xg_merge_cache *merge;
	size_t hits, misses, src_hits, src_misses;
};

static void src_out_free(struct src_out *o)
{
	for (size_t i = 0; i < o->n_l7; i++)
		l7_free(&o->l7[i]);
	free(o->l7);
	xg_strblock_unref(o->block);
	memset(o, 0, sizeof(*o));
}

static void cache_outs_free(struct xg_compile_cache *k)
{
	for (size_t i = 0; i < k->n_outs; i++)
		src_out_free(&k->outs[i]);
	free(k->outs);
	k->outs = NULL;
	k->n_outs = k->cap_outs = k->live_outs = 0;
	xg_u64map_free(&k->out_idx);
	free(k->cidrs);
	k->cidrs = NULL;
	k->n_cidrs = 0;
	free(k->raw);
	free(k->by_addr);
	k->raw = NULL;
	k->by_addr = NULL;
	k->n_raw = 0;
	env_unref(k->env);
	k->env = NULL;
}

static int l7_copy(struct xg_l7_ruleset *d, const struct xg_l7_ruleset *s)
{
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->id = s->id;
	d->rules = calloc(s->n + 1, sizeof(*d->rules));
	if (!d->rules)
		return -ENOMEM;
	for (size_t i = 0; i < s->n && !ret; i++, d->n++)
		ret = http_copy(&d->rules[i], &s->rules[i]);
	if (ret)
		l7_free(d);
	return ret;
}

/* Takes what the source just compiled (since rec's marks) into o. */
static int src_record(struct cc *c, struct src_rec *rec, size_t p,
		      struct src_out *o)
{
	struct xg_compiled *out = c->out;
	struct xg_u64map local = {}; /* handle -> 1 + index in o->l7 */
	size_t cap = 0;
	int ret = -ENOMEM;

	memset(o, 0, sizeof(*o));
	o->gen = c->src[c->pol[p]].set->gen;
	o->n_cidrs = c->cspan[p].n;
	o->n_rules = out->n_rules - rec->rules0;
	o->n_enf = rec->n_enf;
	o->n_origins = out->n_origins - rec->origins0;
	/* All in one block, in the order the next compiles read them: at
	 * 10,000 sources every separate allocation was a cache miss of its
	 * own on every apply.  Cidrs first (collect_cidrs), then rules and
	 * enforced pairs (src_replay), then the origins that compiled
	 * states point at. */
	{
		size_t rules_at = XG_ALIGN16(o->n_cidrs * sizeof(*o->cidrs));
		size_t enf_at = rules_at + XG_ALIGN16(o->n_rules * sizeof(*o->rules));
		size_t pre = enf_at + o->n_enf * sizeof(*o->enf);

		if (xg_strblock_pack(pre, out->own_origins + rec->own0,
				 o->n_origins, sizeof(*o->origins), origin_strs,
				 ARRAY_SIZE(origin_strs), &o->block,
				 (void **)&o->origins))
			goto out;
		o->cidrs = (struct xg_prefix *)o->block->v;
		o->rules = (struct xg_rule *)(o->block->v + rules_at);
		o->enf = (struct xg_enforce *)(o->block->v + enf_at);
	}
	if (o->n_cidrs)
		memcpy(o->cidrs, c->raw_cidrs + c->cspan[p].start,
		       o->n_cidrs * sizeof(*o->cidrs));
	if (o->n_enf)
		memcpy(o->enf, rec->enf, o->n_enf * sizeof(*o->enf));
	for (size_t i = 0; i < o->n_rules; i++) {
		struct xg_rule r = out->rules[rec->rules0 + i];
		__u32 *slot;
		bool added;

		if (r.cookie)
			r.cookie -= (__u32)rec->origins0;
		if (r.l7_ruleset) {
			slot = xg_u64map_put(&local, r.l7_ruleset, &added);
			if (!slot)
				goto out;
			if (added) {
				if (grow((void **)&o->l7, &cap, o->n_l7,
					 sizeof(*o->l7)) ||
				    l7_copy(&o->l7[o->n_l7],
					    &out->l7[r.l7_ruleset - 1])) {
					*slot = 0;
					goto out;
				}
				*slot = (__u32)++o->n_l7;
			}
			r.l7_ruleset = *slot;
		}
		o->rules[i] = r;
	}
	ret = 0;
out:
	xg_u64map_free(&local);
	if (ret)
		src_out_free(o);
	return ret;
}

/* Puts a cached source's part into the output, as compiling it would. */
static int src_replay(struct cc *c, const struct src_out *o)
{
	struct xg_compiled *out = c->out;
	__u32 base = (__u32)out->n_origins, *handle, few[8];
	int ret = 0;
	bool added;

	handle = o->n_l7 <= ARRAY_SIZE(few) ? few :
					      calloc(o->n_l7, sizeof(*handle));
	if (!handle)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_l7 && !ret; i++)
		ret = l7_intern_copy(c, &o->l7[i], &handle[i]);
	if (!ret && o->n_origins) {
		/* pointed at, in o->block, which out now holds too */
		struct xg_origin_span sp = { .first = out->n_origins,
					     .n = o->n_origins,
					     .v = o->origins };

		ret = PUSH(out->blocks, out->n_blocks, c->cap_blocks, o->block);
		if (!ret)
			o->block->refs++;
		ret = ret ?: PUSH(out->ospans, out->n_ospans, c->cap_ospans, sp);
		if (!ret)
			out->n_origins += o->n_origins;
	}
	if (!ret && out->n_rules + o->n_rules > c->cap_rules)
		ret = reserve((void **)&out->rules, &c->cap_rules,
			      out->n_rules + o->n_rules + c->cap_rules,
			      sizeof(*out->rules));
	for (size_t i = 0; i < o->n_rules && !ret; i++) {
		struct xg_rule r = o->rules[i];

		if (r.cookie)
			r.cookie += base;
		if (r.l7_ruleset)
			r.l7_ruleset = handle[r.l7_ruleset - 1];
		out->rules[out->n_rules++] = r;
	}
	for (size_t i = 0; i < o->n_enf && !ret; i++) {
		ret = xg_pairset_add(&c->enf_set, o->enf[i].subject,
				     o->enf[i].dir, &added);
		if (!ret && added)
			ret = PUSH(out->enf, out->n_enf, c->cap_enf, o->enf[i]);
	}
	if (handle != few)
		free(handle);
	return ret;
}

static const struct src_out *src_found(const struct cc *c, size_t p)
{
	return c->found[p] ? &c->k->outs[c->found[p] - 1] : NULL;
}

/* A source's CIDRs, as the cache kept them when it walked the source. */
static int src_cidrs_from_cache(struct cc *c, const struct src_out *o)
{
	int ret = 0;

	for (size_t i = 0; i < o->n_cidrs && !ret; i++)
		ret = add_cidr(c, &o->cidrs[i]);
	return ret;
}

/* Per source, its slot in the cache, if it has one (made under the
 * same identities or not: compile_sources decides whether it may be
 * used; its CIDRs and origin count may always be). */
static int find_sources(struct cc *c, struct xg_compile_cache *k)
{
	c->k = k;
	c->found = calloc(c->n_pol + 1, sizeof(*c->found));
	c->cspan = calloc(c->n_pol + 1, sizeof(*c->cspan));
	if (!c->found || !c->cspan)
		return -ENOMEM;
	/* Sources come in the order their slots were made in, mostly: try
	 * the slot after the last one found before the index (at 10,000
	 * policies a probe of it is a cache miss). */
	for (size_t p = 0, next = 0; p < c->n_pol; p++) {
		const struct xg_doc_set *set = c->src[c->pol[p]].set;
		const __u32 *at;
		size_t i;

		if (!set->gen)
			continue;
		if (next < k->n_outs && k->outs[next].gen == set->gen) {
			i = next;
		} else {
			at = xg_u64map_get(&k->out_idx, set->gen);
			if (!at || k->outs[*at].gen != set->gen)
				continue;
			i = *at;
		}
		c->found[p] = (__u32)i + 1;
		next = i + 1;
	}
	return 0;
}

/* A new slot for a source's part (the array may move). */
static struct src_out *slot_new(struct xg_compile_cache *k, __u32 *slot)
{
	if (grow((void **)&k->outs, &k->cap_outs, k->n_outs, sizeof(*k->outs)))
		return NULL;
	memset(&k->outs[k->n_outs], 0, sizeof(*k->outs));
	*slot = (__u32)k->n_outs;
	return &k->outs[k->n_outs++];
}

/* After a compile: the parts it did not use go (their sources changed
 * or left), and once most slots are free the rest are packed. */
static int slots_sweep(struct xg_compile_cache *k)
{
	k->live_outs = 0;
	for (size_t i = 0; i < k->n_outs; i++) {
		if (k->outs[i].gen && k->outs[i].epoch != k->epoch)
			src_out_free(&k->outs[i]);
		k->live_outs += k->outs[i].gen != 0;
	}
	if (k->n_outs <= 2 * k->live_outs + 64)
		return 0;
	return xg_slots_pack(k->outs, &k->n_outs, sizeof(*k->outs),
			     offsetof(struct src_out, gen), &k->out_idx);
}

static int compile_source(struct cc *c, size_t s)
{
	const struct xg_doc_set *set = c->src[s].set;
	int ret = 0;

	for (size_t p = 0; p < set->n_cnps && !ret; p++)
		for (size_t r = 0; r < set->cnps[p].n_rules && !ret; r++)
			ret = compile_rule(c, &set->cnps[p], c->src[s].name, (int)r);
	return ret;
}

/* Every source's policies, each from the cache where it may be used
 * (reuse), else compiled (and kept for the next compile when k). */
static int compile_sources(struct cc *c, struct xg_compile_cache *k,
			   bool reuse)
{
	int ret = 0;

	if (k)
		k->epoch++;
	for (size_t p = 0; p < c->n_pol && !ret; p++) {
		size_t s = c->pol[p];
		const struct xg_doc_set *set = c->src[s].set;
		struct src_out *o;
		struct src_rec rec = {};
		__u32 slot, *at;
		bool added;

		if (!k || !set->gen) {
			ret = compile_source(c, s);
			continue;
		}
		if (reuse && c->found[p]) {
			o = &k->outs[c->found[p] - 1];
			k->src_hits++;
			o->epoch = k->epoch;
			ret = src_replay(c, o);
			continue;
		}
		k->src_misses++;
		if (c->found[p]) /* made under other identities */
			src_out_free(&k->outs[c->found[p] - 1]);
		rec.rules0 = c->out->n_rules;
		rec.origins0 = c->out->n_origins;
		rec.own0 = c->out->n_own_origins;
		c->rec = &rec;
		ret = compile_source(c, s);
		c->rec = NULL;
		o = ret ? NULL : slot_new(k, &slot);
		if (!ret && !o)
			ret = -ENOMEM;
		ret = ret ?: src_record(c, &rec, p, o);
		free(rec.enf);
		xg_u64map_free(&rec.seen);
		if (ret)
			break;
		o->epoch = k->epoch;
		at = xg_u64map_put(&k->out_idx, set->gen, &added);
		if (!at)
			ret = -ENOMEM;
		else
			*at = slot;
	}
	if (k && !ret)
		ret = slots_sweep(k);
	if (k && ret)
		cache_outs_free(k); /* the next compile starts over */
	return ret;
}

/* After a good compile: what the cache needs besides the sources' parts
 * to be used next time (or nothing, which only costs the next one). */
static void cache_keep_env(struct cc *c, struct xg_compile_cache *k,
			   bool reused)
{
	const struct xg_compiled *o = c->out;
	struct xg_env_blob *b;

	if (reused)
		return; /* it holds these already */
	free(k->cidrs);
	env_unref(k->env);
	k->env = b = calloc(1, sizeof(*b));
	k->cidrs = dup_array(c->cidrs, c->n_cidrs, sizeof(*c->cidrs));
	k->n_cidrs = c->n_cidrs;
	if (b) {
		static unsigned long long serials;

		b->refs = 1;
		b->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
		b->ipc = dup_array(o->ipc, o->n_ipc, sizeof(*o->ipc));
		b->idents = dup_array(o->idents, o->n_idents, sizeof(*o->idents));
		b->n_ipc = o->n_ipc;
		b->n_idents = o->n_idents;
	}
	if (!k->cidrs || !b || !b->ipc || !b->idents ||
	    xg_strblock_pack_strings(b->idents, b->n_idents, sizeof(*b->idents),
				     ident_strs, ARRAY_SIZE(ident_strs),
				     &b->strs))
		cache_outs_free(k);
}

/* When the CIDRs met are those the last compile met, in the same order:
 * its sorted list (with the identities it numbered) and its address
 * order, copied. */
static bool cidrs_as_last(struct cc *c)
{
	const struct xg_compile_cache *k = c->k;

	if (!k || !k->cidrs || !k->raw || !k->by_addr || !c->raw_cidrs ||
	    k->n_raw != c->n_cidrs ||
	    (c->n_cidrs &&
	     memcmp(k->raw, c->raw_cidrs, c->n_cidrs * sizeof(*k->raw))))
		return false;
	c->cidr_by_addr = dup_array(k->by_addr, k->n_cidrs, sizeof(*k->by_addr));
	c->scratch = malloc((k->n_cidrs + 1) * sizeof(*c->scratch));
	if (!c->cidr_by_addr || !c->scratch) {
		free(c->cidr_by_addr);
		free(c->scratch);
		c->cidr_by_addr = c->scratch = NULL;
		return false; /* sorted anew, which fails the same way */
	}
	if (k->n_cidrs)
		memcpy(c->cidrs, k->cidrs, k->n_cidrs * sizeof(*c->cidrs));
	c->n_cidrs = k->n_cidrs;
	return true;
}

/* After a good compile, with k->cidrs what it sorted: what it met. */
static void cache_keep_cidrs(struct cc *c, struct xg_compile_cache *k)
{
	free(k->raw);
	free(k->by_addr);
	k->raw = NULL;
	k->by_addr = NULL;
	k->n_raw = 0;
	if (!k->cidrs || !c->raw_cidrs || !c->cidr_by_addr)
		return;
	k->raw = c->raw_cidrs; /* taken */
	k->n_raw = c->n_raw_cidrs;
	k->by_addr = c->cidr_by_addr;
	c->raw_cidrs = NULL;
	c->cidr_by_addr = NULL;
}

static int ipc_and_idents(struct cc *c, struct xg_compile_cache *k,
			  bool reuse)
{
	struct xg_compiled *o = c->out;
	int ret;

	if (!reuse || !k->env) {
		ret = fill_idents(c);
		return ret ?: build_ipcache(c);
	}
	/* the cache's, shared: read only, freed with the last user */
	o->shared = k->env;
	o->shared->refs++;
	o->ipc = o->shared->ipc;
	o->n_ipc = o->shared->n_ipc;
	o->idents = o->shared->idents;
	o->n_idents = o->shared->n_idents;
	return 0;
}

unsigned long long xg_compiled_ipc_serial(const struct xg_compiled *c)
{
	return c->shared ? c->shared->serial : 0;
}

struct xg_compile_cache *xg_compile_cache_new(void)
{
	struct xg_compile_cache *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->n_gens = SIZE_MAX;
	xg_bmap_init(&k->ep.addrs, sizeof(struct xg_prefix));
	k->merge = xg_merge_cache_new(); /* NULL: every merge is whole */
	return k;
}

void xg_compile_cache_free(struct xg_compile_cache *k)
{
	if (!k)
		return;
	ep_stage_free(&k->ep);
	free(k->gens);
	cache_outs_free(k);
	xg_merge_cache_free(k->merge);
	free(k);
}

void xg_compile_cache_counts(const struct xg_compile_cache *k,
			     struct xg_compile_cache_counts *n)
{
	memset(n, 0, sizeof(*n));
	if (!k)
		return;
	n->endpoints_reused = k->hits;
	n->endpoints_made = k->misses;
	n->sources_reused = k->src_hits;
	n->sources_compiled = k->src_misses;
	xg_merge_cache_counts(k->merge, &n->groups_reused, &n->groups_merged);
}

/* One walk over the sources: which hold policies and services, and
 * (gens != NULL) the generations of the sets that hold endpoints, in
 * source order; *n_gens = SIZE_MAX when one set cannot be told from
 * another (not parsed: gen 0) or without memory. */
static int index_sources(struct cc *c, unsigned long long **gens,
			 size_t *n_gens)
{
	unsigned long long *g = NULL;
	__u32 *pol, *svc;
	size_t k = 0;

	c->pol = pol = c->pol_own = malloc((c->n_src + 1) * sizeof(*pol));
	c->svc = svc = c->svc_own = malloc((c->n_src + 1) * sizeof(*svc));
	if (!pol || !svc)
		return -ENOMEM;
	if (gens)
		g = malloc((c->n_src + 1) * sizeof(*g));
	for (size_t s = 0; s < c->n_src; s++) {
		const struct xg_doc_set *set = c->src[s].set;

		if (set->n_cnps)
			pol[c->n_pol++] = (__u32)s;
		if (set->n_services)
			svc[c->n_svc++] = (__u32)s;
		if (!g || !set->n_endpoints)
			continue;
		if (!set->gen) {
			free(g);
			g = NULL;
			gens = NULL;
			continue;
		}
		g[k++] = set->gen;
	}
	*n_gens = g ? k : SIZE_MAX;
	if (gens)
		*gens = g;
	return 0;
}

/* The endpoint stage: the cache's when the same endpoint sets made it,
 * else made now. */
static int endpoint_stage(struct cc *c, struct xg_compile_cache *k,
			  const unsigned long long *gens, size_t n_gens,
			  xg_identity_fn id_fn, void *id_arg, bool *hit)
{
	int ret;

	*hit = false;
	if (k && n_gens != SIZE_MAX && k->n_gens == n_gens &&
	    !memcmp(k->gens, gens, n_gens * sizeof(*gens))) {
		c->ep = k->ep;
		memset(&k->ep, 0, sizeof(k->ep));
		xg_bmap_init(&k->ep.addrs, sizeof(struct xg_prefix));
		k->n_gens = SIZE_MAX;
		k->hits++;
		*hit = true;
		return 0;
	}
	if (k) { /* what it kept is not these endpoints' */
		k->misses++;
		ep_stage_free(&k->ep);
		free(k->gens);
		k->gens = NULL;
		k->n_gens = SIZE_MAX;
	}
	ret = collect_endpoints(c, id_fn, id_arg);
	return ret ?: build_postings(c);
}

/* After the compile: the endpoint stage goes back to the cache, keyed by
 * gens (which it owns when gens_owned, else copies unless they are what
 * it holds already: an endpoint stage hit). */
static void endpoint_stage_keep(struct cc *c, struct xg_compile_cache *k,
				const unsigned long long *gens, size_t n_gens,
				bool gens_owned, bool hit, bool complete)
{
	unsigned long long *keep = NULL;

	if (!k || !complete || n_gens == SIZE_MAX)
		goto drop;
	if (hit && k->gens && !gens_owned) {
		keep = k->gens; /* the same generations: endpoint_stage */
	} else if (gens_owned) {
		keep = (unsigned long long *)gens;
		gens_owned = false;
	} else {
		keep = dup_array(gens, n_gens, sizeof(*gens));
		if (!keep && n_gens)
			goto drop;
	}
	ep_stage_free(&k->ep);
	if (k->gens != keep)
		free(k->gens);
	k->ep = c->ep;
	k->gens = keep;
	k->n_gens = n_gens;
	memset(&c->ep, 0, sizeof(c->ep));
	return;
drop:
	ep_stage_free(&c->ep);
	if (gens_owned)
		free((void *)gens);
}

/* One origin per item compiled now: allocated at once; and room for the
 * rules and origin spans the cache's parts bring. */
static int reserve_origins(struct cc *c)
{
	size_t n = 0, n_rules = 0;

	for (size_t q = 0; q < c->n_pol; q++) {
		const struct xg_doc_set *set = c->src[c->pol[q]].set;

		if (c->found && c->found[q]) {
			n += src_found(c, q)->n_origins;
			n_rules += src_found(c, q)->n_rules;
			continue;
		}
		for (size_t p = 0; p < set->n_cnps; p++)
			for (size_t r = 0; r < set->cnps[p].n_rules; r++) {
				const struct xg_doc_rule *ru = &set->cnps[p].rules[r];

				n += ru->n_ingress + ru->n_egress + ru->n_ingress_deny +
				     ru->n_egress_deny;
			}
	}
	if (n_rules && reserve((void **)&c->out->rules, &c->cap_rules,
			       n_rules + n_rules / 8 + 16,
			       sizeof(*c->out->rules)))
		return -ENOMEM;
	/* a span per source at most: one source's own origins are one */
	if (reserve((void **)&c->out->ospans, &c->cap_ospans, c->n_pol + 1,
		    sizeof(*c->out->ospans)))
		return -ENOMEM;
	return reserve((void **)&c->out->own_origins, &c->cap_origins, n,
		       sizeof(*c->out->own_origins));
}

int xg_compile_indexed(struct xg_compile_cache *k,
		       const struct xg_compile_src *src, size_t n_src,
		       const struct xg_compile_index *idx, xg_identity_fn id_fn,
		       void *id_arg, struct xg_compiled *out,
		       struct xg_err *err)
{
	struct xg_err dummy = {};
	struct cc c = { .src = src, .n_src = n_src, .out = out,
			.err = err ? err : &dummy };
	unsigned long long *found_gens = NULL;
	const unsigned long long *gens = NULL;
	size_t n_gens = SIZE_MAX;
	bool ep_done, ep_hit = false, reuse;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	xg_bmap_init(&c.ep.addrs, sizeof(struct xg_prefix));
	if (idx) {
		c.pol = idx->pol;
		c.n_pol = idx->n_pol;
		c.svc = idx->svc;
		c.n_svc = idx->n_svc;
		gens = idx->ep_gens;
		n_gens = idx->n_ep_gens;
	} else {
		ret = index_sources(&c, k ? &found_gens : NULL, &n_gens);
		gens = found_gens;
	}
	ret = ret ?: endpoint_stage(&c, k, gens, n_gens, id_fn, id_arg,
				    &ep_hit);
	ep_done = !ret;
	if (!ret && k)
		ret = find_sources(&c, k);
	ret = ret ?: collect_cidrs(&c);
	/* the cache's parts were made from these very identities */
	reuse = !ret && ep_hit && k->cidrs && k->env && k->n_cidrs == c.n_cidrs &&
		(!c.n_cidrs ||
		 !memcmp(k->cidrs, c.cidrs, c.n_cidrs * sizeof(*c.cidrs)));
	ret = ret ?: ipc_and_idents(&c, k, reuse);
	ret = ret ?: reserve_origins(&c);
	ret = ret ?: compile_sources(&c, k, reuse);
	ret = ret ?: keep_open(&c);
	ret = ret ?: compile_services(&c);
	if (!ret) {
		ret = xg_policy_compile_l7_cached(k ? k->merge : NULL,
						  out->rules, out->n_rules,
						  out->enf, out->n_enf,
						  l7_union, &c, &out->policy,
						  c.err);
		if (ret && !c.err->where[0])
			snprintf(c.err->where, sizeof(c.err->where), "policies");
	}
	if (!ret) {
		ret = l7_finish(&c);
		if (ret)
			xg_err_set(c.err, "policies", "out of memory");
	}
	if (!ret)
		own_spans_fix(out);
	if (!ret && k) {
		cache_keep_env(&c, k, reuse);
		cache_keep_cidrs(&c, k);
	}
	endpoint_stage_keep(&c, k, gens, n_gens, !idx, ep_hit, ep_done);
	free(c.pol_own);
	free(c.svc_own);
	free(c.found);
	free(c.cspan);
	free(c.raw_cidrs);
	free(c.cidrs);
	free(c.cidr_by_addr);
	free(c.scratch);
	xg_pairset_free(&c.enf_set);
	xg_u64map_free(&c.l7_idx);
	xg_u64map_free(&c.l7_unions);
	free(c.l7_hash);
	free(c.l7_next);
	if (ret)
		xg_compiled_free(out);
	return ret;
}

int xg_compile_cached(struct xg_compile_cache *k,
		      const struct xg_compile_src *src, size_t n_src,
		      xg_identity_fn id_fn, void *id_arg,
		      struct xg_compiled *out, struct xg_err *err)
{
	return xg_compile_indexed(k, src, n_src, NULL, id_fn, id_arg, out, err);
}

int xg_compile(const struct xg_compile_src *src, size_t n_src,
	       xg_identity_fn id_fn, void *id_arg, struct xg_compiled *out,
	       struct xg_err *err)
{
	return xg_compile_cached(NULL, src, n_src, id_fn, id_arg, out, err);
}

void xg_compiled_free(struct xg_compiled *c)
{
	for (size_t i = 0; i < c->n_l7; i++)
		l7_free(&c->l7[i]);
	for (size_t i = 0; i < c->n_svcs; i++)
		free(c->svcs[i].b);
	if (c->shared) {
		env_unref(c->shared);
	} else {
		free(c->ipc);
		free(c->idents);
	}
	free(c->rules);
	free(c->enf);
	xg_policy_set_free(&c->policy);
	free(c->own_origins);
	free(c->ospans);
	free(c->l7);
	free(c->svcs);
	xg_strpool_free(&c->strs);
	for (size_t i = 0; i < c->n_blocks; i++)
		xg_strblock_unref(c->blocks[i]);
	free(c->blocks);
	memset(c, 0, sizeof(*c));
}
