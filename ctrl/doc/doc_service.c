// SPDX-License-Identifier: GPL-2.0-only
/*
 * Service documents (xgate.io/v1): virtual addresses and ports, the
 * backends behind them with their weights and states, and session
 * affinity.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "xdp/abi.h"
#include "doc_int.h"

#define AFFINITY_DEFAULT_S 10800 /* Kubernetes' default: 3 hours */
#define AFFINITY_MAX_S 86400

/* 1 when this service already has key (error raised at `at`). */
static int twice(struct xgd_ctx *c, const struct xgd_node *at, char tag,
		 const void *val, size_t len, const char *what)
{
	char key[64];
	size_t klen;
	int first, ret;

	klen = (size_t)snprintf(key, sizeof(key), "%c%u:", tag, c->obj);
	if (len > sizeof(key) - klen)
		len = sizeof(key) - klen;
	memcpy(key + klen, val, len);
	ret = xgd_seen(c, key, klen + len, at->line, &first);
	if (ret <= 0)
		return ret;
	return xgd_fail(c, at, "%s is listed twice (first at line %d)", what,
			first);
}

static int vip(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
	       void *arg)
{
	struct xg_doc_addr *a = elem;
	int err;

	a->loc = xgd_loc(n);
	err = xgd_addr(c, n, &a->addr);
	return err ? err : twice(c, n, 'V', &a->addr, sizeof(a->addr),
				 "this address");
}

static int svc_port(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		    void *arg)
{
	static const char *const keys[] = { "name", "port", "targetPort",
					    "protocol", NULL };
	struct xg_doc_svc_port *p = elem;
	unsigned long port = 0, target = 0;
	__u8 pp[3];
	size_t mark;
	int err;

	p->loc = xgd_loc(n);
	p->proto = IPPROTO_TCP;
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_field_str(c, n, "name", &p->name);
	if (!err && p->name) {
		mark = xgd_push_key(c, "name", 4);
		if (!xgd_port_name_ok(p->name, strlen(p->name)))
			err = xgd_fail(c, xgd_get(n, "name"),
				       "must be a port name (at most 15 lowercase letters, digits and '-', with a letter), got '%.64s'",
				       p->name);
		else
			err = twice(c, xgd_get(n, "name"), 'n', p->name,
				    strlen(p->name), "this port name");
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_require(c, n, "port");
	if (!err)
		err = xgd_field_uint(c, n, "port", 1, 65535, &port);
	target = port;
	if (!err)
		err = xgd_field_uint(c, n, "targetPort", 1, 65535, &target);
	if (!err)
		err = xgd_field_proto(c, n, "protocol", XGD_P_TCP | XGD_P_UDP,
				      &p->proto);
	if (err)
		return err;
	p->port = (__u16)port;
	p->target_port = (__u16)target;
	pp[0] = (__u8)(port >> 8);
	pp[1] = (__u8)port;
	pp[2] = p->proto;
	return twice(c, n, 'p', pp, sizeof(pp), "this port and protocol");
}

static int backend(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		   void *arg)
{
	static const char *const keys[] = { "address", "weight", "state",
					    NULL };
	struct xg_doc_backend *b = elem;
	const struct xgd_node *st;
	unsigned long weight = 1;
	char buf[48];
	size_t mark;
	int err;

	b->loc = xgd_loc(n);
	b->state = XG_BE_ACTIVE;
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "address");
	if (!err) {
		mark = xgd_push_key(c, "address", 7);
		err = xgd_addr(c, xgd_get(n, "address"), &b->addr);
		if (!err)
			err = twice(c, xgd_get(n, "address"), 'B', &b->addr,
				    sizeof(b->addr), "this backend address");
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_field_uint(c, n, "weight", 1, 65535, &weight);
	b->weight = (__u16)weight;
	st = xgd_get(n, "state");
	if (err || !st)
		return err;
	mark = xgd_push_key(c, "state", 5);
	if (xgd_is(st, "terminating"))
		b->state = XG_BE_TERMINATING;
	else if (!xgd_is(st, "active"))
		err = xgd_fail(c, st, "must be active or terminating, got '%s'",
			       xgd_show(st, buf, sizeof(buf)));
	xgd_pop(c, mark);
	return err;
}

/* The datapath translates addresses within a family only. */
static int backend_families(struct xgd_ctx *c, const struct xgd_node *spec,
			    const struct xg_service_doc *s)
{
	bool v4 = false, v6 = false;

	for (size_t i = 0; i < s->n_addrs; i++) {
		v4 |= s->addrs[i].addr.family == XG_FAMILY_V4;
		v6 |= s->addrs[i].addr.family == XG_FAMILY_V6;
	}
	for (size_t i = 0; i < s->n_backends; i++) {
		bool is_v4 = s->backends[i].addr.family == XG_FAMILY_V4;
		size_t mark;
		int err;

		if (is_v4 ? v4 : v6)
			continue;
		mark = xgd_push_key(c, "backends", 8);
		xgd_push_idx(c, i);
		xgd_push_key(c, "address", 7);
		err = xgd_fail(c,
			       xgd_get(xgd_get(spec, "backends")->kids[i],
				       "address"),
			       "an %s backend needs an %s address in addresses",
			       is_v4 ? "IPv4" : "IPv6", is_v4 ? "IPv4" : "IPv6");
		xgd_pop(c, mark);
		return err;
	}
	return 0;
}

static int affinity(struct xgd_ctx *c, const struct xgd_node *n,
		    struct xg_service_doc *s)
{
	const struct xgd_node *v = xgd_get(n, "sessionAffinity");
	unsigned long timeout = AFFINITY_DEFAULT_S;
	char buf[48];
	size_t mark;
	int err = 0;

	if (v) {
		mark = xgd_push_key(c, "sessionAffinity", 15);
		if (xgd_is(v, "ClientIP"))
			s->affinity = XG_AFFINITY_CLIENT_IP;
		else if (!xgd_is(v, "None"))
			err = xgd_fail(c, v,
				       "must be None or ClientIP, got '%s'",
				       xgd_show(v, buf, sizeof(buf)));
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_field_uint(c, n, "sessionAffinityTimeoutSeconds", 1,
				     AFFINITY_MAX_S, &timeout);
	v = xgd_get(n, "sessionAffinityTimeoutSeconds");
	if (!err && v && s->affinity != XG_AFFINITY_CLIENT_IP) {
		/* A timeout that does nothing is a misunderstanding. */
		mark = xgd_push_key(c, "sessionAffinityTimeoutSeconds", 29);
		err = xgd_fail(c, v, "needs sessionAffinity: ClientIP");
		xgd_pop(c, mark);
	}
	s->affinity_timeout_s = (__u32)timeout;
	return err;
}

static int need_one(struct xgd_ctx *c, const struct xgd_node *n,
		    const char *key, size_t count)
{
	size_t mark;
	int err;

	if (count)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_fail(c, xgd_get(n, key), "needs at least one entry");
	xgd_pop(c, mark);
	return err;
}

static int spec(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	static const char *const keys[] = { "addresses",
					    "ports",
					    "backends",
					    "sessionAffinity",
					    "sessionAffinityTimeoutSeconds",
					    NULL };
	struct xg_service_doc *s = elem;
	int err;

	err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "addresses");
	if (!err)
		err = xgd_field_list(c, n, "addresses", sizeof(*s->addrs), vip,
				     NULL, (void **)&s->addrs, &s->n_addrs);
	if (!err)
		err = need_one(c, n, "addresses", s->n_addrs);
	if (!err)
		err = xgd_require(c, n, "ports");
	if (!err)
		err = xgd_field_list(c, n, "ports", sizeof(*s->ports), svc_port,
				     NULL, (void **)&s->ports, &s->n_ports);
	if (!err)
		err = need_one(c, n, "ports", s->n_ports);
	if (!err)
		err = xgd_field_list(c, n, "backends", sizeof(*s->backends),
				     backend, NULL, (void **)&s->backends,
				     &s->n_backends);
	if (!err)
		err = backend_families(c, n, s);
	if (!err)
		err = affinity(c, n, s);
	return err;
}

int xgd_service(struct xgd_ctx *c, const struct xgd_node *doc)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
					    "spec", NULL };
	struct xg_service_doc svc = {}, *slot;
	struct xgd_meta meta;
	int err;

	err = xgd_check_keys(c, doc, keys, NULL);
	if (!err)
		err = xgd_metadata(c, doc, &meta);
	if (err)
		return err;
	svc.name = meta.name;
	svc.ns = meta.ns ? meta.ns : "default";
	svc.doc = c->doc;
	svc.loc = meta.loc;
	err = xgd_seen_name(c, doc, "Service", svc.ns, svc.name);
	if (!err)
		err = xgd_require(c, doc, "spec");
	if (!err)
		err = xgd_field_map(c, doc, "spec", spec, &svc, NULL);
	if (err)
		return err;
	slot = xgd_grow(c, (void **)&c->set->services, &c->set->n_services,
			sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = svc;
	return 0;
}
