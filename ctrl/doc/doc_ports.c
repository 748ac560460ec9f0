// SPDX-License-Identifier: GPL-2.0-only
/*
 * toPorts of a rule item: ports with their ranges and protocols, and the
 * HTTP rules an allow may carry.  Regexes are kept as written; the L7
 * compiler owns their syntax.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "doc_int.h"

static const char *const tls_unsupported[] = { "terminatingTLS",
					       "originatingTLS", "serverNames",
					       "listener", NULL };

/* A port is a number or an IANA service name, and Cilium writes it as
 * a string, so "80" and 80 are both the number. */
static int port_value(struct xgd_ctx *c, const struct xgd_node *n,
		      struct xg_doc_port *p)
{
	bool digits = n->type == XGD_SCALAR && n->len;
	unsigned long v = 0;
	char buf[48];

	if (xgd_want(c, n, XGD_SCALAR))
		return -EINVAL;
	for (size_t i = 0; i < n->len && digits; i++)
		digits = n->text[i] >= '0' && n->text[i] <= '9';
	if (digits) {
		for (size_t i = 0; i < n->len && v <= 65535; i++)
			v = v * 10 + (unsigned long)(n->text[i] - '0');
		if (v > 65535)
			return xgd_fail(c, n, "must be 0-65535, got %s",
					xgd_show(n, buf, sizeof(buf)));
		p->port = (__u16)v;
		return 0;
	}
	if (xgd_port_name_ok(n->text, n->len)) {
		p->name = xgd_strndup(c, n->text, n->len);
		return p->name ? 0 : -ENOMEM;
	}
	return xgd_fail(c, n,
			"must be a port number 0-65535 or a port name (at most 15 lowercase letters, digits and '-'), got '%s'",
			xgd_show(n, buf, sizeof(buf)));
}

static int port_item(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		     void *arg)
{
	static const char *const keys[] = { "port", "endPort", "protocol",
					    NULL };
	struct xg_doc_port *p = elem;
	unsigned long end = 0;
	const char *why = NULL;
	size_t mark;
	int err;

	p->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "port");
	if (!err) {
		mark = xgd_push_key(c, "port", 4);
		err = port_value(c, xgd_get(n, "port"), p);
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_field_uint(c, n, "endPort", 0, 65535, &end);
	if (!err)
		err = xgd_field_proto(c, n, "protocol",
				      XGD_P_TCP | XGD_P_UDP | XGD_P_SCTP |
					      XGD_P_ANY,
				      &p->proto);
	if (err)
		return err;
	p->end_port = p->port;
	/* endPort 0 is how Cilium writes "no range". */
	if (!end)
		return 0;
	if (p->name)
		why = "needs a numeric port, not a port name";
	else if (!p->port)
		why = "needs a port other than 0 (port 0 is every port)";
	if (why || end < p->port) {
		mark = xgd_push_key(c, "endPort", 7);
		if (why)
			err = xgd_fail(c, xgd_get(n, "endPort"), "%s", why);
		else
			err = xgd_fail(c, xgd_get(n, "endPort"),
				       "must be at least port (%u), got %lu",
				       p->port, end);
		xgd_pop(c, mark);
		return err;
	}
	p->end_port = (__u16)end;
	return 0;
}

static bool tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* An HTTP field name (RFC 9110 token). */
static bool header_name_ok(const char *s, size_t len)
{
	if (!len || len > 256)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!tchar(s[i]))
			return false;
	return true;
}

static bool header_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static int header(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		  void *arg)
{
	struct xg_doc_http_header *h = elem;
	const char *s, *colon, *v;
	size_t nlen, vlen;
	int err;

	h->loc = xgd_loc(n);
	err = xgd_str(c, n, &s);
	if (err)
		return err;
	colon = strchr(s, ':');
	nlen = colon ? (size_t)(colon - s) : strlen(s);
	while (nlen && (s[nlen - 1] == ' ' || s[nlen - 1] == '\t'))
		nlen--;
	if (!header_name_ok(s, nlen))
		return xgd_fail(c, n,
				"must be 'Name' or 'Name: value' with an HTTP header name, got '%.64s'",
				s);
	h->name = xgd_strndup(c, s, nlen);
	if (!h->name)
		return -ENOMEM;
	if (!colon)
		return 0;
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	vlen = strlen(v);
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (!header_value_ok(v))
		return xgd_fail(c, n,
				"header value must not hold control characters");
	h->value = xgd_strndup(c, v, vlen);
	return h->value ? 0 : -ENOMEM;
}

static int header_match(struct xgd_ctx *c, const struct xgd_node *n,
			void *elem, void *arg)
{
	static const char *const keys[] = { "name", "value", "mismatch", NULL };
	static const char *const unsupported[] = { "secret", NULL };
	static const char *const mismatch[] = {
		[XG_MISMATCH_LOG] = "LOG",
		[XG_MISMATCH_ADD] = "ADD",
		[XG_MISMATCH_DELETE] = "DELETE",
		[XG_MISMATCH_REPLACE] = "REPLACE",
	};
	struct xg_doc_header_match *m = elem;
	const struct xgd_node *v;
	char buf[48];
	size_t mark;
	int err;

	m->loc = xgd_loc(n);
	m->value = "";
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, unsupported);
	if (!err)
		err = xgd_require(c, n, "name");
	if (!err)
		err = xgd_field_str(c, n, "name", &m->name);
	if (!err && !header_name_ok(m->name, strlen(m->name))) {
		mark = xgd_push_key(c, "name", 4);
		err = xgd_fail(c, xgd_get(n, "name"),
			       "not an HTTP header name: '%.64s'", m->name);
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_field_str(c, n, "value", &m->value);
	if (!err && !header_value_ok(m->value)) {
		mark = xgd_push_key(c, "value", 5);
		err = xgd_fail(c, xgd_get(n, "value"),
			       "must not hold control characters");
		xgd_pop(c, mark);
	}
	v = xgd_get(n, "mismatch");
	if (err || !v)
		return err;
	mark = xgd_push_key(c, "mismatch", 8);
	err = -EINVAL;
	for (size_t i = 1; i < ARRAY_SIZE(mismatch); i++) {
		if (xgd_is(v, mismatch[i])) {
			m->mismatch = (enum xg_doc_mismatch)i;
			err = 0;
		}
	}
	if (err)
		err = xgd_fail(c, v,
			       "must be LOG, ADD, DELETE or REPLACE, got '%s'",
			       xgd_show(v, buf, sizeof(buf)));
	xgd_pop(c, mark);
	return err;
}

/* Cilium treats an empty regex as not written (anything matches); kept
 * as "" it would read as "must be empty". */
static int regex_field(struct xgd_ctx *c, const struct xgd_node *n,
		       const char *key, const char **out)
{
	int err = xgd_field_str(c, n, key, out);

	if (!err && *out && !**out)
		*out = NULL;
	return err;
}

static int http_rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		     void *arg)
{
	static const char *const keys[] = { "method",  "path",	       "host",
					    "headers", "headerMatches", NULL };
	struct xg_doc_http_rule *h = elem;
	int err;

	h->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = regex_field(c, n, "method", &h->method);
	if (!err)
		err = regex_field(c, n, "path", &h->path);
	if (!err)
		err = regex_field(c, n, "host", &h->host);
	if (!err)
		err = xgd_field_list(c, n, "headers", sizeof(*h->headers),
				     header, NULL, (void **)&h->headers,
				     &h->n_headers);
	if (!err)
		err = xgd_field_list(c, n, "headerMatches",
				     sizeof(*h->header_matches), header_match,
				     NULL, (void **)&h->header_matches,
				     &h->n_header_matches);
	return err;
}

static int l7_rules(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		    void *arg)
{
	static const char *const keys[] = { "http", NULL };
	static const char *const unsupported[] = { "kafka", "dns", "l7proto",
						   "l7", NULL };
	struct xg_doc_port_rule *r = elem;
	int err;

	err = xgd_check_keys(c, n, keys, unsupported);
	if (err)
		return err;
	r->has_http = xgd_get(n, "http") != NULL;
	return xgd_field_list(c, n, "http", sizeof(*r->http), http_rule, NULL,
			      (void **)&r->http, &r->n_http);
}

/* What Cilium requires of ports that carry HTTP rules: the proxy sees
 * TCP streams on known ports only. */
static int l7_ports(struct xgd_ctx *c, const struct xgd_node *n,
		    const struct xg_doc_port_rule *r)
{
	const struct xgd_node *ports = xgd_get(n, "ports");
	size_t mark;
	int err = 0;

	if (!r->n_http)
		return 0;
	if (!r->n_ports) {
		mark = xgd_push_key(c, "rules", 5);
		err = xgd_fail(c, xgd_get(n, "rules"),
			       "L7 rules need at least one port in ports");
		xgd_pop(c, mark);
		return err;
	}
	for (size_t i = 0; i < r->n_ports && !err; i++) {
		const struct xg_doc_port *p = &r->ports[i];
		const struct xgd_node *item = ports->kids[i];

		mark = xgd_push_key(c, "ports", 5);
		xgd_push_idx(c, i);
		if (p->proto != IPPROTO_TCP) {
			xgd_push_key(c, "protocol", 8);
			err = xgd_fail(c,
				       xgd_get(item, "protocol") ?
					       xgd_get(item, "protocol") :
					       item,
				       "L7 rules apply to TCP only: write protocol: TCP");
		} else if (!p->port && !p->name) {
			xgd_push_key(c, "port", 4);
			err = xgd_fail(c, xgd_get(item, "port"),
				       "L7 rules cannot apply to port 0 (every port)");
		}
		xgd_pop(c, mark);
	}
	return err;
}

static int port_rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		     void *arg)
{
	static const char *const keys[] = { "ports", "rules", NULL };
	static const char *const deny_keys[] = { "ports", NULL };
	const bool deny = *(const bool *)arg;
	struct xg_doc_port_rule *r = elem;
	const struct xgd_node *rules_key;
	int err;

	r->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (err)
		return err;
	rules_key = xgd_key(n, "rules");
	if (deny && rules_key) {
		size_t mark = xgd_push_key(c, "rules", 5);

		err = xgd_fail(c, rules_key,
			       "L7 rules are not allowed in a deny rule (a deny carries no L7)");
		xgd_pop(c, mark);
		return err;
	}
	err = xgd_check_keys(c, n, deny ? deny_keys : keys, tls_unsupported);
	if (!err)
		err = xgd_field_list(c, n, "ports", sizeof(*r->ports),
				     port_item, NULL, (void **)&r->ports,
				     &r->n_ports);
	if (!err)
		err = xgd_field_map(c, n, "rules", l7_rules, r, NULL);
	if (!err)
		err = l7_ports(c, n, r);
	return err;
}

int xgd_port_rules(struct xgd_ctx *c, const struct xgd_node *item,
		   bool deny, struct xg_doc_peer_rule *out)
{
	return xgd_field_list(c, item, "toPorts", sizeof(*out->to_ports),
			      port_rule, &deny, (void **)&out->to_ports,
			      &out->n_to_ports);
}
