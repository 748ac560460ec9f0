// SPDX-License-Identifier: GPL-2.0-only
/* The policy compiler; semantics in compile.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "compile.h"
#include "labels.h"

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

/* An endpoint as the compiler sees it. */
struct ep {
	const struct xg_endpoint_doc *doc;
	const char *file;
	struct xg_label_set ls;
	__u32 id;
};

/* An identity that endpoints share, and the labels selectors see. */
struct epid {
	__u32 id;
	const struct xg_label_set *ls; /* of its first endpoint */
};

struct cidr_id {
	struct xg_prefix pfx;
	__u32 id;
};

struct cc {
	const struct xg_compile_src *src;
	size_t n_src;
	struct ep *eps;
	size_t n_eps, cap_eps;
	struct epid *ids;
	size_t n_ids, cap_ids;
	struct cidr_id *cidrs;
	size_t n_cidrs, cap_cidrs;
	struct xg_compiled *out;
	size_t cap_rules, cap_enf, cap_origins, cap_l7, cap_ipc, cap_idents,
		cap_svcs;
	struct xg_err *err;
};

/* A list of u32 (peer identities, ...). */
struct idv {
	__u32 *v;
	size_t n, cap;
};

static int idv_add(struct idv *s, __u32 id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return 0;
	return PUSH(s->v, s->n, s->cap, id);
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

static int collect_endpoints(struct cc *c, xg_identity_fn id_fn, void *id_arg)
{
	char key[4096];
	int ret;

	for (size_t s = 0; s < c->n_src; s++) {
		const struct xg_doc_set *set = c->src[s].set;

		for (size_t i = 0; i < set->n_endpoints; i++) {
			const struct xg_endpoint_doc *d = &set->endpoints[i];
			struct ep e = { .doc = d, .file = c->src[s].name };

			for (size_t j = 0; j < c->n_eps; j++)
				for (size_t a = 0; a < d->n_addrs; a++)
					for (size_t b = 0; b < c->eps[j].doc->n_addrs; b++) {
						char t[64];

						if (!same_addr(&d->addrs[a].addr,
							       &c->eps[j].doc->addrs[b].addr))
							continue;
						xg_prefix_str(&d->addrs[a].addr, t, sizeof(t));
						doc_err(c, e.file, d->addrs[a].loc,
							"spec.addresses",
							"address %s is already another endpoint's",
							t);
						return -EINVAL;
					}
			ret = xg_label_set_of_endpoint(d, &e.ls);
			if (ret)
				return ret;
			if (xg_label_set_key(&e.ls, key, sizeof(key)) < 0) {
				xg_label_set_free(&e.ls);
				doc_err(c, e.file, d->loc, "metadata.labels",
					"labels too long (%s)", "over 4 KiB");
				return -EINVAL;
			}
			ret = id_fn(id_arg, key, &e.id, c->err);
			if (!ret)
				ret = PUSH(c->eps, c->n_eps, c->cap_eps, e);
			if (ret) {
				xg_label_set_free(&e.ls);
				return ret;
			}
		}
	}
	for (size_t i = 0; i < c->n_eps; i++) {
		struct epid x = { .id = c->eps[i].id, .ls = &c->eps[i].ls };
		struct xg_ident in = { .id = x.id };
		bool seen = false;

		for (size_t j = 0; j < c->n_ids && !seen; j++)
			seen = c->ids[j].id == x.id;
		if (seen)
			continue;
		xg_label_set_key(x.ls, in.labels, sizeof(in.labels));
		ret = PUSH(c->ids, c->n_ids, c->cap_ids, x);
		if (!ret)
			ret = PUSH(c->out->idents, c->out->n_idents, c->cap_idents, in);
		if (ret)
			return ret;
	}
	return 0;
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

static int add_cidr(struct cc *c, const struct xg_prefix *p)
{
	struct cidr_id x = { .pfx = *p };

	for (size_t i = 0; i < c->n_cidrs; i++)
		if (same_addr(&c->cidrs[i].pfx, p))
			return 0;
	return PUSH(c->cidrs, c->n_cidrs, c->cap_cidrs, x);
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
static int collect_cidrs(struct cc *c)
{
	int ret = 0;

	for (size_t s = 0; s < c->n_src; s++) {
		const struct xg_doc_set *set = c->src[s].set;

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
	}
	if (ret)
		return ret;
	if (c->n_cidrs)
		qsort(c->cidrs, c->n_cidrs, sizeof(*c->cidrs), pfx_cmp);
	for (size_t i = 0; i < c->n_cidrs; i++) {
		struct xg_ident in = { .id = XG_ID_CIDR_BASE + (__u32)i + 1 };
		char t[64];

		c->cidrs[i].id = in.id;
		xg_prefix_str(&c->cidrs[i].pfx, t, sizeof(t));
		snprintf(in.labels, sizeof(in.labels), "cidr:%s", t);
		ret = PUSH(c->out->idents, c->out->n_idents, c->cap_idents, in);
		if (ret)
			return ret;
	}
	return 0;
}

static int build_ipcache(struct cc *c)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_eps && !ret; i++)
		for (size_t a = 0; a < c->eps[i].doc->n_addrs && !ret; a++) {
			struct xg_ipc_entry e = { .pfx = c->eps[i].doc->addrs[a].addr,
						  .id = c->eps[i].id };

			ret = PUSH(c->out->ipc, c->out->n_ipc, c->cap_ipc, e);
		}
	for (size_t i = 0; i < c->n_cidrs && !ret; i++) {
		struct xg_ipc_entry e = { .pfx = c->cidrs[i].pfx,
					  .id = c->cidrs[i].id };
		bool taken = false;

		/* an endpoint's own host prefix stays the endpoint's */
		for (size_t j = 0; j < c->out->n_ipc && !taken; j++)
			taken = same_addr(&c->out->ipc[j].pfx, &e.pfx);
		if (!taken)
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
		for (size_t i = 0; i < c->n_ids && !ret; i++)
			ret = idv_add(peers, c->ids[i].id);
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

static int add_cidr_peers(struct cc *c, const struct xg_prefix *in,
			  const struct xg_doc_cidr *except, size_t n_except,
			  struct idv *peers)
{
	int ret = 0;

	for (size_t i = 0; i < c->n_cidrs && !ret; i++) {
		bool out = !pfx_within(&c->cidrs[i].pfx, in);

		for (size_t e = 0; e < n_except && !out; e++)
			out = pfx_within(&c->cidrs[i].pfx, &except[e].pfx);
		if (!out)
			ret = idv_add(peers, c->cidrs[i].id);
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
		for (size_t j = 0; j < c->n_ids && !ret; j++)
			if (xg_selector_matches(&pr->endpoints[i], c->ids[j].ls,
						ns_restrict))
				ret = idv_add(peers, c->ids[j].id);
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
	int ret = 0;

	for (size_t i = 0; i < c->n_eps && !ret; i++) {
		const struct xg_endpoint_doc *d = c->eps[i].doc;

		if (id && c->eps[i].id != id)
			continue;
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

static int copy_http(const struct xg_doc_port_rule *pr, __u32 id,
		     struct xg_l7_ruleset *rs)
{
	rs->id = id;
	rs->n = pr->n_http;
	rs->rules = calloc(pr->n_http ? pr->n_http : 1, sizeof(*rs->rules));
	if (!rs->rules)
		return -ENOMEM;
	for (size_t i = 0; i < pr->n_http; i++) {
		const struct xg_doc_http_rule *h = &pr->http[i];
		struct xg_l7_http *o = &rs->rules[i];

		o->method = h->method ? strdup(h->method) : NULL;
		o->path = h->path ? strdup(h->path) : NULL;
		o->host = h->host ? strdup(h->host) : NULL;
		o->headers = calloc(h->n_headers + h->n_header_matches + 1,
				    sizeof(char *));
		if (!o->headers)
			return -ENOMEM;
		for (size_t j = 0; j < h->n_headers; j++) {
			const struct xg_doc_http_header *hd = &h->headers[j];

			if (asprintf(&o->headers[o->n_headers++], "%s%s%s",
				     hd->name, hd->value ? ": " : "",
				     hd->value ? hd->value : "") < 0)
				return -ENOMEM;
		}
		/* headerMatches without secrets: an exact value (or
		 * presence when empty) the request must have */
		for (size_t j = 0; j < h->n_header_matches; j++) {
			const struct xg_doc_header_match *m = &h->header_matches[j];

			if (asprintf(&o->headers[o->n_headers++], "%s%s%s",
				     m->name, *m->value ? ": " : "", m->value) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* The item's numeric L4 part (named ports come per subject or peer). */
static int item_l4(struct cc *c, const struct xg_doc_peer_rule *pr, bool allow,
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
			struct xg_l7_ruleset rs;

			l7 = (__u32)c->out->n_l7 + 1;
			ret = grow((void **)&c->out->l7, &c->cap_l7,
				   c->out->n_l7, sizeof(rs));
			if (ret)
				return ret;
			memset(&c->out->l7[c->out->n_l7], 0, sizeof(rs));
			ret = copy_http(pt, l7, &c->out->l7[c->out->n_l7]);
			c->out->n_l7++;
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

static int compile_item(struct cc *c, const struct xg_cnp *cnp, const char *file,
			int rule, const char *section, int item,
			const struct xg_doc_peer_rule *pr, __u8 dir, __u8 action,
			const struct idv *subjects)
{
	const char *ns = cnp->clusterwide ? NULL : cnp->ns;
	struct xg_rule_origin o = { .rule = rule, .item = item,
				    .line = pr->loc.line };
	struct idv peers = {};
	struct l4v l4 = {};
	__u32 *l7s = calloc(pr->n_to_ports + 1, sizeof(*l7s));
	__u32 cookie;
	int ret;

	if (!l7s)
		return -ENOMEM;
	if (cnp->clusterwide)
		snprintf(o.policy, sizeof(o.policy), "%s", cnp->name);
	else
		snprintf(o.policy, sizeof(o.policy), "%s/%s", cnp->ns, cnp->name);
	snprintf(o.file, sizeof(o.file), "%s", file);
	snprintf(o.section, sizeof(o.section), "%s", section);
	ret = PUSH(c->out->origins, c->out->n_origins, c->cap_origins, o);
	cookie = (__u32)c->out->n_origins;
	ret = ret ?: item_peers(c, pr, ns, &peers);
	ret = ret ?: item_l4(c, pr, action == XG_ACT_ALLOW, &l4, l7s);
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
	free(peers.v);
	free(l4.v);
	free(l7s);
	return ret;
}

static int enforce(struct cc *c, const struct idv *subjects, __u8 dir)
{
	int ret = 0;

	for (size_t s = 0; s < subjects->n && !ret; s++) {
		struct xg_enforce e = { .subject = subjects->v[s], .dir = dir };
		bool seen = false;

		for (size_t i = 0; i < c->out->n_enf && !seen; i++)
			seen = c->out->enf[i].subject == e.subject &&
			       c->out->enf[i].dir == dir;
		if (!seen)
			ret = PUSH(c->out->enf, c->out->n_enf, c->cap_enf, e);
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

	for (size_t j = 0; j < c->n_ids && !ret; j++)
		if (xg_selector_matches(&ru->subject, c->ids[j].ls, ns))
			ret = idv_add(&subjects, c->ids[j].id);
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
	free(subjects.v);
	return ret;
}

/* Every rule makes its subject enforced in its direction in the policy
 * map (policy_state.c).  Where no rule asked for that (all that touch it
 * say enableDefaultDeny: false), an allow-everything entry keeps the
 * direction open except for what rules deny. */
static int keep_open(struct cc *c)
{
	size_t n = c->out->n_rules;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		const struct xg_rule *r = &c->out->rules[i];
		struct l4 all = { .proto = 0, .lo = 0, .hi = 65535 };
		bool covered = false;

		for (size_t j = 0; j < c->out->n_enf && !covered; j++)
			covered = c->out->enf[j].subject == r->subject &&
				  c->out->enf[j].dir == r->dir;
		/* one allow-everything per subject and direction */
		for (size_t j = n; j < c->out->n_rules && !covered; j++)
			covered = c->out->rules[j].subject == r->subject &&
				  c->out->rules[j].dir == r->dir;
		if (!covered)
			ret = emit(c, r->subject, 0, r->dir, XG_ACT_ALLOW, &all, 0);
	}
	return ret;
}

/* ------------------------------------------------------------ services -- */

static int compile_services(struct cc *c)
{
	int ret = 0;

	for (size_t s = 0; s < c->n_src && !ret; s++) {
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
					for (size_t k = 0; k < c->out->n_svcs; k++)
						if (!memcmp(&c->out->svcs[k].key, &sv.key,
							    sizeof(sv.key))) {
							doc_err(c, c->src[s].name,
								sp->loc, "spec.ports",
								"this address and port are already service %s",
								c->out->svcs[k].name);
							return -EINVAL;
						}
					sv.b = calloc(d->n_backends + 1, sizeof(*sv.b));
					if (!sv.b)
						return -ENOMEM;
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
	return ret;
}

/* ------------------------------------------------------------------ -- */

int xg_compile(const struct xg_compile_src *src, size_t n_src,
	       xg_identity_fn id_fn, void *id_arg, struct xg_compiled *out,
	       struct xg_err *err)
{
	struct xg_err dummy = {};
	struct cc c = { .src = src, .n_src = n_src, .out = out,
			.err = err ? err : &dummy };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = collect_endpoints(&c, id_fn, id_arg);
	ret = ret ?: collect_cidrs(&c);
	ret = ret ?: build_ipcache(&c);
	for (size_t s = 0; s < n_src && !ret; s++)
		for (size_t p = 0; p < src[s].set->n_cnps && !ret; p++)
			for (size_t r = 0; r < src[s].set->cnps[p].n_rules && !ret; r++)
				ret = compile_rule(&c, &src[s].set->cnps[p],
						   src[s].name, (int)r);
	ret = ret ?: keep_open(&c);
	ret = ret ?: compile_services(&c);
	if (!ret) {
		ret = xg_policy_compile(out->rules, out->n_rules, out->enf,
					out->n_enf, &out->policy, c.err);
		if (ret && !c.err->where[0])
			snprintf(c.err->where, sizeof(c.err->where), "policies");
	}
	for (size_t i = 0; i < c.n_eps; i++)
		xg_label_set_free(&c.eps[i].ls);
	free(c.eps);
	free(c.ids);
	free(c.cidrs);
	if (ret)
		xg_compiled_free(out);
	return ret;
}

void xg_compiled_free(struct xg_compiled *c)
{
	for (size_t i = 0; i < c->n_l7; i++) {
		for (size_t j = 0; j < c->l7[i].n; j++) {
			struct xg_l7_http *h = &c->l7[i].rules[j];

			free(h->method);
			free(h->path);
			free(h->host);
			for (size_t k = 0; k < h->n_headers; k++)
				free(h->headers[k]);
			free(h->headers);
		}
		free(c->l7[i].rules);
	}
	for (size_t i = 0; i < c->n_svcs; i++)
		free(c->svcs[i].b);
	free(c->ipc);
	free(c->idents);
	free(c->rules);
	free(c->enf);
	xg_policy_set_free(&c->policy);
	free(c->origins);
	free(c->l7);
	free(c->svcs);
	memset(c, 0, sizeof(*c));
}
