// SPDX-License-Identifier: GPL-2.0-only
/*
 * Endpoint documents (xgate.io/v1): the addresses and labels of one
 * workload, which give it its identity, and the named ports policies
 * may refer to.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "doc_int.h"

static int address(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		   void *arg)
{
	struct xg_doc_addr *a = elem;
	int err;

	a->loc = xgd_loc(n);
	err = xgd_addr(c, n, &a->addr);
	return err ? err : xgd_seen_addr(c, n, &a->addr);
}

static int named_port(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		      void *arg)
{
	static const char *const keys[] = { "name", "port", "protocol", NULL };
	struct xg_doc_named_port *p = elem;
	unsigned long port = 0;
	size_t mark;
	int err;

	p->loc = xgd_loc(n);
	p->proto = IPPROTO_TCP;
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "name");
	if (!err)
		err = xgd_field_str(c, n, "name", &p->name);
	if (!err && !xgd_port_name_ok(p->name, strlen(p->name))) {
		mark = xgd_push_key(c, "name", 4);
		err = xgd_fail(c, xgd_get(n, "name"),
			       "must be a port name (at most 15 lowercase letters, digits and '-', with a letter), got '%.64s'",
			       p->name);
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_require(c, n, "port");
	if (!err)
		err = xgd_field_uint(c, n, "port", 1, 65535, &port);
	if (!err)
		err = xgd_field_proto(c, n, "protocol",
				      XGD_P_TCP | XGD_P_UDP | XGD_P_SCTP,
				      &p->proto);
	p->port = (__u16)port;
	return err;
}

/* A name resolves to one port, as Kubernetes requires of a pod. */
static int unique_port_names(struct xgd_ctx *c, const struct xgd_node *spec,
			     const struct xg_endpoint_doc *ep)
{
	for (size_t i = 0; i < ep->n_ports; i++) {
		const struct xg_doc_named_port *p = &ep->ports[i];
		char key[48];
		size_t mark;
		int first, ret;

		/* Names are 15 characters at most (xgd_port_name_ok). */
		ret = snprintf(key, sizeof(key), "P%u:%s", c->obj, p->name);
		ret = xgd_seen(c, key, (size_t)ret, p->loc.line, &first);
		if (ret <= 0) {
			if (ret)
				return ret;
			continue;
		}
		mark = xgd_push_key(c, "ports", 5);
		xgd_push_idx(c, i);
		xgd_push_key(c, "name", 4);
		ret = xgd_fail(c,
			       xgd_get(xgd_get(spec, "ports")->kids[i], "name"),
			       "port name '%s' is used twice (first at line %d)",
			       p->name, first);
		xgd_pop(c, mark);
		return ret;
	}
	return 0;
}

static int spec(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	static const char *const keys[] = { "addresses", "labels", "ports",
					    NULL };
	struct xg_endpoint_doc *ep = elem;
	int err;

	err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "addresses");
	if (!err)
		err = xgd_field_list(c, n, "addresses", sizeof(*ep->addrs),
				     address, NULL, (void **)&ep->addrs,
				     &ep->n_addrs);
	if (!err && !ep->n_addrs) {
		size_t mark = xgd_push_key(c, "addresses", 9);

		err = xgd_fail(c, xgd_get(n, "addresses"),
			       "needs at least one address");
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_label_map(c, n, "labels", &ep->labels, &ep->n_labels);
	if (!err)
		err = xgd_field_list(c, n, "ports", sizeof(*ep->ports),
				     named_port, NULL, (void **)&ep->ports,
				     &ep->n_ports);
	if (!err)
		err = unique_port_names(c, n, ep);
	return err;
}

int xgd_endpoint(struct xgd_ctx *c, const struct xgd_node *doc)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
					    "spec", NULL };
	struct xg_endpoint_doc ep = {}, *slot;
	struct xgd_meta meta;
	int err;

	err = xgd_check_keys(c, doc, keys, NULL);
	if (!err)
		err = xgd_metadata(c, doc, &meta);
	if (err)
		return err;
	ep.name = meta.name;
	ep.ns = meta.ns ? meta.ns : "default";
	ep.doc = c->doc;
	ep.loc = meta.loc;
	err = xgd_seen_name(c, doc, "Endpoint", ep.ns, ep.name);
	if (!err)
		err = xgd_require(c, doc, "spec");
	if (!err)
		err = xgd_field_map(c, doc, "spec", spec, &ep, NULL);
	if (err)
		return err;
	slot = xgd_grow(c, (void **)&c->set->endpoints, &c->set->n_endpoints,
			sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = ep;
	return 0;
}
