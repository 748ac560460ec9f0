// SPDX-License-Identifier: GPL-2.0-only
/*
 * One item of a rule's ingress, egress, ingressDeny or egressDeny list:
 * its peers (endpoints, CIDRs, CIDR sets with exceptions, entities) and,
 * through doc_ports.c and doc_icmp.c, its ports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "doc_int.h"

/* Cilium's peer fields we do not implement.  They are refused, never
 * skipped: dropping toFQDNs from an egress rule would leave a rule that
 * allows more (or, in a deny, denies less) than was written. */
static const char *const ingress_keys[] = { "fromEndpoints", "fromCIDR",
					    "fromCIDRSet",   "fromEntities",
					    "toPorts",	     "icmps",
					    NULL };
static const char *const ingress_unsupported[] = {
	"fromRequires", "fromGroups", "fromNodes", "authentication", NULL
};
static const char *const egress_keys[] = { "toEndpoints", "toCIDR",
					   "toCIDRSet",	  "toEntities",
					   "toPorts",	  "icmps",
					   NULL };
static const char *const egress_unsupported[] = {
	"toRequires", "toServices", "toFQDNs",	      "toGroups",
	"toNodes",    "authentication", NULL
};

static const char *const entities[] = {
	[XG_ENT_WORLD] = "world",
	[XG_ENT_CLUSTER] = "cluster",
	[XG_ENT_HOST] = "host",
	[XG_ENT_REMOTE_NODE] = "remote-node",
	[XG_ENT_KUBE_APISERVER] = "kube-apiserver",
	[XG_ENT_INIT] = "init",
	[XG_ENT_HEALTH] = "health",
	[XG_ENT_UNMANAGED] = "unmanaged",
	[XG_ENT_ALL] = "all",
	[XG_ENT_INGRESS] = "ingress",
};

static int cidr(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	struct xg_doc_cidr *out = elem;
	struct xg_err perr = {};
	const char *s;
	int err;

	out->loc = xgd_loc(n);
	err = xgd_str(c, n, &s);
	if (err)
		return err;
	if (xg_prefix_parse(s, &out->pfx, &perr))
		return xgd_fail(c, n, "%s", perr.msg);
	return 0;
}

static bool inside(const struct xg_prefix *in, const struct xg_prefix *out)
{
	unsigned full = out->len / 8, rest = out->len % 8;

	if (in->family != out->family || in->len < out->len)
		return false;
	if (memcmp(in->addr, out->addr, full))
		return false;
	return !rest || !((in->addr[full] ^ out->addr[full]) &
			  (0xff00 >> rest) & 0xff);
}

static int cidr_rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		     void *arg)
{
	static const char *const keys[] = { "cidr", "except", NULL };
	static const char *const unsupported[] = { "cidrGroupRef",
						   "cidrGroupSelector", NULL };
	struct xg_doc_cidr_rule *r = elem;
	const struct xgd_node *v;
	char buf[INET6_ADDRSTRLEN + 8];
	size_t mark;
	int err;

	r->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, unsupported);
	if (!err)
		err = xgd_require(c, n, "cidr");
	if (err)
		return err;
	v = xgd_get(n, "cidr");
	mark = xgd_push_key(c, "cidr", 4);
	err = cidr(c, v, &r->cidr, NULL);
	/* As Cilium: a set is a network, so its length is written out. */
	if (!err && !memchr(v->text, '/', v->len))
		err = xgd_fail(c, v,
			       "must be a prefix with a length, like 10.0.0.0/8");
	xgd_pop(c, mark);
	if (!err)
		err = xgd_field_list(c, n, "except", sizeof(*r->except), cidr,
				     NULL, (void **)&r->except, &r->n_except);
	for (size_t i = 0; i < r->n_except && !err; i++) {
		if (inside(&r->except[i].pfx, &r->cidr.pfx))
			continue;
		mark = xgd_push_key(c, "except", 6);
		xgd_push_idx(c, i);
		err = xgd_fail(c, xgd_get(n, "except")->kids[i],
			       "not inside cidr %s",
			       xg_prefix_str(&r->cidr.pfx, buf, sizeof(buf)));
		xgd_pop(c, mark);
	}
	return err;
}

static int entity(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		  void *arg)
{
	struct xg_doc_entity_ref *e = elem;
	char buf[48];

	e->loc = xgd_loc(n);
	if (xgd_want(c, n, XGD_SCALAR))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(entities); i++) {
		if (xgd_is(n, entities[i])) {
			e->ent = (enum xg_doc_entity)i;
			return 0;
		}
	}
	return xgd_fail(c, n,
			"unknown entity '%s' (world, cluster, host, remote-node, kube-apiserver, init, health, unmanaged, all, ingress)",
			xgd_show(n, buf, sizeof(buf)));
}

int xgd_peer_rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		  void *arg)
{
	const struct xgd_section *sec = arg;
	struct xg_doc_peer_rule *r = elem;
	int err;

	r->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n,
				     sec->egress ? egress_keys : ingress_keys,
				     sec->egress ? egress_unsupported :
						   ingress_unsupported);
	if (!err)
		err = xgd_field_list(c, n,
				     sec->egress ? "toEndpoints" :
						   "fromEndpoints",
				     sizeof(*r->endpoints), xgd_selector, NULL,
				     (void **)&r->endpoints, &r->n_endpoints);
	if (!err)
		err = xgd_field_list(c, n, sec->egress ? "toCIDR" : "fromCIDR",
				     sizeof(*r->cidrs), cidr, NULL,
				     (void **)&r->cidrs, &r->n_cidrs);
	if (!err)
		err = xgd_field_list(c, n,
				     sec->egress ? "toCIDRSet" : "fromCIDRSet",
				     sizeof(*r->cidr_sets), cidr_rule, NULL,
				     (void **)&r->cidr_sets, &r->n_cidr_sets);
	if (!err)
		err = xgd_field_list(c, n,
				     sec->egress ? "toEntities" :
						   "fromEntities",
				     sizeof(*r->entities), entity, NULL,
				     (void **)&r->entities, &r->n_entities);
	if (!err)
		err = xgd_port_rules(c, n, sec->deny, r);
	if (!err)
		err = xgd_icmps(c, n, r);
	/* As Cilium: an ICMP type is not a port, and one item holding
	 * both would read as "these ports AND these types". */
	if (!err && r->n_icmps && r->n_to_ports) {
		size_t mark = xgd_push_key(c, "icmps", 5);

		err = xgd_fail(c, xgd_get(n, "icmps"),
			       "cannot be combined with toPorts in one item; write two items");
		xgd_pop(c, mark);
	}
	return err;
}
