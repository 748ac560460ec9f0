// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/doc/: the document parser.  Cilium's documentation examples
 * (star-wars L7, CIDR sets, port ranges, ICMP, entity deny, expressions,
 * clusterwide, JSON, multi-document files, Lists), our Endpoint and
 * Service documents with their defaults, the shipped examples under
 * config/examples, and malformed input: each error must name the exact
 * field path, line and column, and say what is wrong; nothing may be
 * returned with it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctrl/doc/doc.h"
#include "xdp/abi.h"

#ifndef XG_SRCDIR
#define XG_SRCDIR "."
#endif

#define NAME "policy.yaml"

/* A policy up to its selector, lines 1-6; tests add from line 7. */
#define CNP_HEAD                                                               \
	"apiVersion: cilium.io/v2\n"                                           \
	"kind: CiliumNetworkPolicy\n"                                          \
	"metadata:\n"                                                          \
	"  name: p\n"                                                          \
	"spec:\n"                                                              \
	"  endpointSelector: {}\n"

/* ------------------------------------------------------- helpers -- */

static void parse_ok(const char *text, struct xg_doc_set *s)
{
	struct xg_err err;
	char buf[512];
	int ret;

	ret = xg_doc_parse_buf(NAME, text, strlen(text), s, &err);
	if (ret)
		fail_msg("parse failed (%d): %s", ret,
			 xg_err_str(&err, buf, sizeof(buf)));
}

/* -EINVAL, nothing returned, and exactly this where, line and column,
 * with msg somewhere in the message. */
static void parse_bad_len(const char *text, size_t len, const char *where,
			  int line, int col, const char *msg)
{
	struct xg_doc_set s, zero;
	struct xg_err err;
	char buf[512];
	int ret;

	memset(&s, 0xa5, sizeof(s));
	memset(&zero, 0, sizeof(zero));
	ret = xg_doc_parse_buf(NAME, text, len, &s, &err);
	xg_err_str(&err, buf, sizeof(buf));
	if (ret != -EINVAL)
		fail_msg("got %d (%s), want -EINVAL", ret, buf);
	if (memcmp(&s, &zero, sizeof(s)))
		fail_msg("a failed parse left something in the set (%s)", buf);
	if (strcmp(err.where, where))
		fail_msg("where '%s', want '%s' (%s)", err.where, where, buf);
	if (err.line != line || err.col != col)
		fail_msg("at %d:%d, want %d:%d (%s)", err.line, err.col, line,
			 col, buf);
	if (!strstr(err.msg, msg))
		fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void parse_bad(const char *text, const char *where, int line, int col,
		      const char *msg)
{
	parse_bad_len(text, strlen(text), where, line, col, msg);
}

static void assert_loc(struct xg_doc_loc loc, int line, int col)
{
	if (loc.line != line || loc.col != col)
		fail_msg("at %d:%d, want %d:%d", loc.line, loc.col, line, col);
}

static void assert_prefix(const struct xg_prefix *p, const char *want)
{
	char buf[64];

	assert_string_equal(xg_prefix_str(p, buf, sizeof(buf)), want);
}

/* ----------------------------------------------- Cilium examples -- */

/* Cilium's star-wars HTTP example, as its documentation writes it. */
static const char starwars[] =
	"apiVersion: \"cilium.io/v2\"\n"
	"kind: CiliumNetworkPolicy\n"
	"metadata:\n"
	"  name: \"rule1\"\n"
	"spec:\n"
	"  description: \"L7 policy to restrict access to specific HTTP call\"\n"
	"  endpointSelector:\n"
	"    matchLabels:\n"
	"      org: empire\n"
	"      class: deathstar\n"
	"  ingress:\n"
	"  - fromEndpoints:\n"
	"    - matchLabels:\n"
	"        org: empire\n"
	"    toPorts:\n"
	"    - ports:\n"
	"      - port: \"80\"\n"
	"        protocol: TCP\n"
	"      rules:\n"
	"        http:\n"
	"        - method: \"POST\"\n"
	"          path: \"/v1/request-landing\"\n";

static void test_starwars(void **state)
{
	const struct xg_doc_peer_rule *in;
	const struct xg_doc_port_rule *tp;
	const struct xg_doc_rule *r;
	const struct xg_cnp *p;
	struct xg_doc_set s;

	parse_ok(starwars, &s);
	assert_int_equal(s.n_docs, 1);
	assert_int_equal(s.n_cnps, 1);
	assert_int_equal(s.n_endpoints + s.n_services, 0);
	p = &s.cnps[0];
	assert_string_equal(p->name, "rule1");
	assert_string_equal(p->ns, "default");
	assert_false(p->clusterwide);
	assert_int_equal(p->doc, 0);
	assert_int_equal(p->n_rules, 1);
	r = &p->rules[0];
	assert_loc(r->loc, 6, 3);
	assert_string_equal(r->description,
			    "L7 policy to restrict access to specific HTTP call");
	assert_int_equal(r->subject.n_labels, 2);
	assert_string_equal(r->subject.labels[0].k.key, "org");
	assert_string_equal(r->subject.labels[0].k.source, "");
	assert_string_equal(r->subject.labels[0].k.name, "org");
	assert_string_equal(r->subject.labels[0].value, "empire");
	assert_string_equal(r->subject.labels[1].k.key, "class");
	assert_string_equal(r->subject.labels[1].value, "deathstar");
	assert_loc(r->subject.labels[1].loc, 10, 7);
	assert_int_equal(r->subject.n_exprs, 0);
	assert_int_equal(r->default_deny_ingress, XG_TRI_UNSET);
	assert_int_equal(r->default_deny_egress, XG_TRI_UNSET);
	assert_int_equal(r->n_egress + r->n_ingress_deny + r->n_egress_deny, 0);
	assert_int_equal(r->n_ingress, 1);
	in = &r->ingress[0];
	assert_loc(in->loc, 12, 5);
	assert_int_equal(in->n_endpoints, 1);
	assert_string_equal(in->endpoints[0].labels[0].value, "empire");
	assert_int_equal(in->n_cidrs + in->n_cidr_sets + in->n_entities, 0);
	assert_int_equal(in->n_icmps, 0);
	assert_int_equal(in->n_to_ports, 1);
	tp = &in->to_ports[0];
	assert_int_equal(tp->n_ports, 1);
	assert_int_equal(tp->ports[0].port, 80);
	assert_int_equal(tp->ports[0].end_port, 80);
	assert_null(tp->ports[0].name);
	assert_int_equal(tp->ports[0].proto, IPPROTO_TCP);
	assert_loc(tp->ports[0].loc, 17, 9);
	assert_true(tp->has_http);
	assert_int_equal(tp->n_http, 1);
	assert_string_equal(tp->http[0].method, "POST");
	assert_string_equal(tp->http[0].path, "/v1/request-landing");
	assert_null(tp->http[0].host);
	assert_int_equal(tp->http[0].n_headers, 0);
	assert_loc(tp->http[0].loc, 21, 11);
	xg_doc_set_free(&s);
	/* Freed sets are zero, and freeing twice is harmless. */
	assert_null(s.cnps);
	xg_doc_set_free(&s);
}

static void test_cidr_except(void **state)
{
	const struct xg_doc_peer_rule *e;
	struct xg_doc_set s;

	parse_ok(CNP_HEAD
		 "  egress:\n"
		 "  - toCIDR:\n"
		 "    - 20.1.1.1/32\n"
		 "    - 2001:db8::1\n"
		 "  - toCIDRSet:\n"
		 "    - cidr: 10.0.0.0/8\n"
		 "      except:\n"
		 "      - 10.96.0.0/12\n"
		 "      - 10.1.2.3/32\n"
		 "    - cidr: \"2001:db8::/32\"\n",
		 &s);
	assert_int_equal(s.cnps[0].rules[0].n_egress, 2);
	e = &s.cnps[0].rules[0].egress[0];
	assert_int_equal(e->n_cidrs, 2);
	assert_prefix(&e->cidrs[0].pfx, "20.1.1.1/32");
	/* A bare address is a host prefix. */
	assert_prefix(&e->cidrs[1].pfx, "2001:db8::1/128");
	assert_loc(e->cidrs[1].loc, 10, 7);
	e++;
	assert_int_equal(e->n_cidr_sets, 2);
	assert_prefix(&e->cidr_sets[0].cidr.pfx, "10.0.0.0/8");
	assert_int_equal(e->cidr_sets[0].n_except, 2);
	assert_prefix(&e->cidr_sets[0].except[0].pfx, "10.96.0.0/12");
	assert_prefix(&e->cidr_sets[0].except[1].pfx, "10.1.2.3/32");
	assert_int_equal(e->cidr_sets[1].cidr.pfx.family, XG_FAMILY_V6);
	assert_int_equal(e->cidr_sets[1].n_except, 0);
	xg_doc_set_free(&s);
}

static void test_port_ranges(void **state)
{
	const struct xg_doc_port *p;
	struct xg_doc_set s;

	parse_ok(CNP_HEAD
		 "  egress:\n"
		 "  - toPorts:\n"
		 "    - ports:\n"
		 "      - port: \"8080\"\n"
		 "        endPort: 8090\n"
		 "        protocol: TCP\n"
		 "      - port: 53\n"
		 "        protocol: UDP\n"
		 "      - port: \"0\"\n"
		 "      - port: 9000\n"
		 "        endPort: 0\n"
		 "      - port: 2905\n"
		 "        endPort: 2905\n"
		 "        protocol: SCTP\n"
		 "      - port: http-alt\n"
		 "        protocol: ANY\n",
		 &s);
	assert_int_equal(s.cnps[0].rules[0].egress[0].to_ports[0].n_ports, 6);
	p = s.cnps[0].rules[0].egress[0].to_ports[0].ports;
	assert_int_equal(p[0].port, 8080);
	assert_int_equal(p[0].end_port, 8090);
	assert_int_equal(p[0].proto, IPPROTO_TCP);
	assert_int_equal(p[1].port, 53);
	assert_int_equal(p[1].end_port, 53);
	assert_int_equal(p[1].proto, IPPROTO_UDP);
	/* Port 0: every port; no protocol: any. */
	assert_int_equal(p[2].port, 0);
	assert_null(p[2].name);
	assert_int_equal(p[2].proto, 0);
	/* endPort 0 is Cilium's "no range". */
	assert_int_equal(p[3].end_port, 9000);
	assert_int_equal(p[4].end_port, 2905);
	assert_int_equal(p[4].proto, IPPROTO_SCTP);
	assert_string_equal(p[5].name, "http-alt");
	assert_int_equal(p[5].port, 0);
	assert_false(s.cnps[0].rules[0].egress[0].to_ports[0].has_http);
	xg_doc_set_free(&s);
}

static void test_icmps(void **state)
{
	const struct xg_doc_peer_rule *in;
	struct xg_doc_set s;

	parse_ok(CNP_HEAD
		 "  ingress:\n"
		 "  - fromEntities: [world]\n"
		 "    icmps:\n"
		 "    - fields:\n"
		 "      - type: 8\n"
		 "        family: IPv4\n"
		 "      - type: EchoRequest\n"
		 "        family: IPv6\n"
		 "    - fields:\n"
		 "      - type: \"0\"\n"
		 "      - type: DestinationUnreachable\n"
		 "      - type: TimeExceeded\n"
		 "        family: IPv6\n",
		 &s);
	in = &s.cnps[0].rules[0].ingress[0];
	/* Both entries' fields, in order, in one list. */
	assert_int_equal(in->n_icmps, 5);
	assert_int_equal(in->icmps[0].family, XG_FAMILY_V4);
	assert_int_equal(in->icmps[0].type, 8);
	assert_int_equal(in->icmps[1].family, XG_FAMILY_V6);
	assert_int_equal(in->icmps[1].type, 128);
	assert_int_equal(in->icmps[2].family, XG_FAMILY_V4);
	assert_int_equal(in->icmps[2].type, 0);
	assert_int_equal(in->icmps[3].type, 3);
	/* Names are per family: TimeExceeded is 11 in ICMP, 3 in ICMPv6. */
	assert_int_equal(in->icmps[4].type, 3);
	assert_loc(in->icmps[4].loc, 18, 9);
	xg_doc_set_free(&s);
}

static void test_entity_deny(void **state)
{
	const struct xg_doc_rule *r;
	struct xg_doc_set s;

	parse_ok("apiVersion: cilium.io/v2\n"
		 "kind: CiliumNetworkPolicy\n"
		 "metadata:\n"
		 "  name: deny-world\n"
		 "  namespace: prod\n"
		 "spec:\n"
		 "  endpointSelector:\n"
		 "    matchLabels:\n"
		 "      app: web\n"
		 "  ingressDeny:\n"
		 "  - fromEntities:\n"
		 "    - world\n"
		 "    - remote-node\n"
		 "  egressDeny:\n"
		 "  - toEntities: [kube-apiserver, all]\n"
		 "    toPorts:\n"
		 "    - ports:\n"
		 "      - port: \"443\"\n"
		 "        protocol: TCP\n"
		 "  enableDefaultDeny:\n"
		 "    ingress: false\n",
		 &s);
	assert_string_equal(s.cnps[0].ns, "prod");
	r = &s.cnps[0].rules[0];
	assert_int_equal(r->n_ingress_deny, 1);
	assert_int_equal(r->ingress_deny[0].n_entities, 2);
	assert_int_equal(r->ingress_deny[0].entities[0].ent, XG_ENT_WORLD);
	assert_int_equal(r->ingress_deny[0].entities[1].ent,
			 XG_ENT_REMOTE_NODE);
	assert_int_equal(r->egress_deny[0].entities[0].ent,
			 XG_ENT_KUBE_APISERVER);
	assert_int_equal(r->egress_deny[0].entities[1].ent, XG_ENT_ALL);
	assert_int_equal(r->egress_deny[0].to_ports[0].ports[0].port, 443);
	assert_int_equal(r->default_deny_ingress, XG_TRI_FALSE);
	assert_int_equal(r->default_deny_egress, XG_TRI_UNSET);
	xg_doc_set_free(&s);
}

static void test_match_expressions(void **state)
{
	const struct xg_doc_selector *sel;
	struct xg_doc_set s;

	parse_ok("apiVersion: cilium.io/v2\n"
		 "kind: CiliumNetworkPolicy\n"
		 "metadata:\n"
		 "  name: exprs\n"
		 "spec:\n"
		 "  endpointSelector:\n"
		 "    matchLabels:\n"
		 "      k8s:io.kubernetes.pod.namespace: kube-system\n"
		 "      \"app.kubernetes.io/name\": web\n"
		 "    matchExpressions:\n"
		 "    - key: tier\n"
		 "      operator: In\n"
		 "      values: [front, back]\n"
		 "    - {key: \"any:env\", operator: NotIn, values: [dev]}\n"
		 "    - key: canary\n"
		 "      operator: Exists\n"
		 "    - key: legacy\n"
		 "      operator: DoesNotExist\n"
		 "      values: []\n"
		 "  ingress:\n"
		 "  - fromEndpoints:\n"
		 "    - {}\n",
		 &s);
	sel = &s.cnps[0].rules[0].subject;
	assert_int_equal(sel->n_labels, 2);
	/* The key as written, and split into source and name. */
	assert_string_equal(sel->labels[0].k.key,
			    "k8s:io.kubernetes.pod.namespace");
	assert_string_equal(sel->labels[0].k.source, "k8s");
	assert_string_equal(sel->labels[0].k.name,
			    "io.kubernetes.pod.namespace");
	assert_string_equal(sel->labels[0].value, "kube-system");
	assert_string_equal(sel->labels[1].k.source, "");
	assert_string_equal(sel->labels[1].k.name, "app.kubernetes.io/name");
	assert_int_equal(sel->n_exprs, 4);
	assert_int_equal(sel->exprs[0].op, XG_SEL_IN);
	assert_string_equal(sel->exprs[0].k.key, "tier");
	assert_int_equal(sel->exprs[0].n_values, 2);
	assert_string_equal(sel->exprs[0].values[1], "back");
	assert_int_equal(sel->exprs[1].op, XG_SEL_NOT_IN);
	assert_string_equal(sel->exprs[1].k.source, "any");
	assert_string_equal(sel->exprs[1].k.name, "env");
	assert_loc(sel->exprs[1].loc, 14, 7);
	assert_int_equal(sel->exprs[2].op, XG_SEL_EXISTS);
	assert_int_equal(sel->exprs[2].n_values, 0);
	assert_null(sel->exprs[2].values);
	assert_int_equal(sel->exprs[3].op, XG_SEL_DOES_NOT_EXIST);
	/* {} selects every endpoint. */
	sel = &s.cnps[0].rules[0].ingress[0].endpoints[0];
	assert_int_equal(sel->n_labels + sel->n_exprs, 0);
	assert_loc(sel->loc, 22, 7);
	xg_doc_set_free(&s);
}

static void test_clusterwide(void **state)
{
	const struct xg_cnp *p;
	struct xg_doc_set s;

	parse_ok("apiVersion: cilium.io/v2\n"
		 "kind: CiliumClusterwideNetworkPolicy\n"
		 "metadata:\n"
		 "  name: lock-down\n"
		 "  labels: {team: net}\n"
		 "  annotations: {note: \"x: y\"}\n"
		 "  uid: 7d9e2c1a-0000-4000-8000-000000000000\n"
		 "  resourceVersion: \"42\"\n"
		 "specs:\n"
		 "- endpointSelector: {}\n"
		 "  ingress:\n"
		 "  - fromEntities: [cluster]\n"
		 "- endpointSelector:\n"
		 "    matchLabels: {\"k8s:io.kubernetes.pod.namespace\": kube-system}\n"
		 "  egress:\n"
		 "  - toEntities: [host, health, init, unmanaged, ingress]\n"
		 "  labels:\n"
		 "  - \"k8s:policy=lockdown\"\n"
		 "  - {key: owner, value: netops, source: unspec}\n"
		 "status:\n"
		 "  derivativePolicies: {}\n",
		 &s);
	p = &s.cnps[0];
	assert_true(p->clusterwide);
	assert_null(p->ns);
	assert_string_equal(p->name, "lock-down");
	assert_int_equal(p->n_rules, 2);
	assert_int_equal(p->rules[0].ingress[0].entities[0].ent,
			 XG_ENT_CLUSTER);
	assert_int_equal(p->rules[1].egress[0].n_entities, 5);
	assert_int_equal(p->rules[1].egress[0].entities[4].ent,
			 XG_ENT_INGRESS);
	assert_int_equal(p->rules[1].n_labels, 2);
	assert_string_equal(p->rules[1].labels[0].k.source, "k8s");
	assert_string_equal(p->rules[1].labels[0].k.name, "policy");
	assert_string_equal(p->rules[1].labels[0].value, "lockdown");
	assert_string_equal(p->rules[1].labels[1].k.key, "unspec:owner");
	assert_string_equal(p->rules[1].labels[1].value, "netops");
	xg_doc_set_free(&s);
}

/* The star-wars policy as `kubectl get -o json` would print it. */
static void test_json(void **state)
{
	const struct xg_doc_port_rule *tp;
	struct xg_doc_set s;

	parse_ok("{\n"
		 "  \"apiVersion\": \"cilium.io/v2\",\n"
		 "  \"kind\": \"CiliumNetworkPolicy\",\n"
		 "  \"metadata\": {\"name\": \"rule1\", \"namespace\": \"default\"},\n"
		 "  \"spec\": {\n"
		 "    \"endpointSelector\": {\"matchLabels\": {\"org\": \"empire\", \"class\": \"deathstar\"}},\n"
		 "    \"ingress\": [{\n"
		 "      \"fromEndpoints\": [{\"matchLabels\": {\"org\": \"empire\"}}],\n"
		 "      \"toPorts\": [{\n"
		 "        \"ports\": [{\"port\": \"80\", \"protocol\": \"TCP\"}],\n"
		 "        \"rules\": {\"http\": [{\"method\": \"POST\", \"path\": \"/v1/request-landing\",\n"
		 "                   \"headers\": [\"X-Token\", \"X-Mode:  fast \"],\n"
		 "                   \"headerMatches\": [{\"name\": \"X-Id\", \"value\": \"7\", \"mismatch\": \"LOG\"}]}]}\n"
		 "      }]\n"
		 "    }],\n"
		 "    \"enableDefaultDeny\": {\"ingress\": true, \"egress\": false}\n"
		 "  }\n"
		 "}\n",
		 &s);
	assert_int_equal(s.n_cnps, 1);
	assert_int_equal(s.cnps[0].rules[0].default_deny_ingress, XG_TRI_TRUE);
	assert_int_equal(s.cnps[0].rules[0].default_deny_egress, XG_TRI_FALSE);
	tp = &s.cnps[0].rules[0].ingress[0].to_ports[0];
	assert_int_equal(tp->ports[0].port, 80);
	assert_loc(tp->ports[0].loc, 10, 19);
	assert_string_equal(tp->http[0].method, "POST");
	assert_int_equal(tp->http[0].n_headers, 2);
	assert_string_equal(tp->http[0].headers[0].name, "X-Token");
	assert_null(tp->http[0].headers[0].value);
	assert_string_equal(tp->http[0].headers[1].name, "X-Mode");
	assert_string_equal(tp->http[0].headers[1].value, "fast");
	assert_int_equal(tp->http[0].n_header_matches, 1);
	assert_string_equal(tp->http[0].header_matches[0].name, "X-Id");
	assert_string_equal(tp->http[0].header_matches[0].value, "7");
	assert_int_equal(tp->http[0].header_matches[0].mismatch,
			 XG_MISMATCH_LOG);
	xg_doc_set_free(&s);
}

static const char endpoint_doc[] = "apiVersion: xgate.io/v1\n"
				   "kind: Endpoint\n"
				   "metadata:\n"
				   "  name: b1\n"
				   "spec:\n"
				   "  addresses: [198.19.0.11, \"2001:2:0:1::11\"]\n"
				   "  labels:\n"
				   "    app: web\n"
				   "    k8s:tier: \"\"\n"
				   "  ports:\n"
				   "  - name: http\n"
				   "    port: 8080\n"
				   "  - {name: dns, port: 53, protocol: UDP}\n";

static const char service_doc[] = "apiVersion: xgate.io/v1\n"
				  "kind: Service\n"
				  "metadata:\n"
				  "  name: web\n"
				  "  namespace: shop\n"
				  "spec:\n"
				  "  addresses: [198.19.0.100]\n"
				  "  ports:\n"
				  "  - port: 80\n"
				  "    targetPort: 8080\n"
				  "  - {name: dns, port: 53, protocol: UDP}\n"
				  "  backends:\n"
				  "  - address: 198.19.0.11\n"
				  "  - address: 198.19.0.12\n"
				  "    weight: 3\n"
				  "    state: terminating\n"
				  "  sessionAffinity: ClientIP\n";

static void test_endpoint(void **state)
{
	const struct xg_endpoint_doc *ep;
	struct xg_doc_set s;

	parse_ok(endpoint_doc, &s);
	assert_int_equal(s.n_endpoints, 1);
	ep = &s.endpoints[0];
	assert_string_equal(ep->name, "b1");
	assert_string_equal(ep->ns, "default");
	assert_int_equal(ep->n_addrs, 2);
	assert_prefix(&ep->addrs[0].addr, "198.19.0.11/32");
	assert_prefix(&ep->addrs[1].addr, "2001:2:0:1::11/128");
	assert_loc(ep->addrs[1].loc, 6, 28);
	assert_int_equal(ep->n_labels, 2);
	assert_string_equal(ep->labels[1].k.source, "k8s");
	assert_string_equal(ep->labels[1].k.name, "tier");
	assert_string_equal(ep->labels[1].value, "");
	assert_int_equal(ep->n_ports, 2);
	assert_string_equal(ep->ports[0].name, "http");
	assert_int_equal(ep->ports[0].port, 8080);
	assert_int_equal(ep->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(ep->ports[1].proto, IPPROTO_UDP);
	xg_doc_set_free(&s);
}

static void test_service(void **state)
{
	const struct xg_service_doc *svc;
	struct xg_doc_set s;

	parse_ok(service_doc, &s);
	assert_int_equal(s.n_services, 1);
	svc = &s.services[0];
	assert_string_equal(svc->name, "web");
	assert_string_equal(svc->ns, "shop");
	assert_int_equal(svc->n_addrs, 1);
	assert_int_equal(svc->n_ports, 2);
	assert_null(svc->ports[0].name);
	assert_int_equal(svc->ports[0].port, 80);
	assert_int_equal(svc->ports[0].target_port, 8080);
	assert_int_equal(svc->ports[0].proto, IPPROTO_TCP);
	assert_string_equal(svc->ports[1].name, "dns");
	/* targetPort defaults to port. */
	assert_int_equal(svc->ports[1].target_port, 53);
	assert_int_equal(svc->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(svc->n_backends, 2);
	assert_int_equal(svc->backends[0].weight, 1);
	assert_int_equal(svc->backends[0].state, XG_BE_ACTIVE);
	assert_int_equal(svc->backends[1].weight, 3);
	assert_int_equal(svc->backends[1].state, XG_BE_TERMINATING);
	assert_int_equal(svc->affinity, XG_AFFINITY_CLIENT_IP);
	assert_int_equal(svc->affinity_timeout_s, 10800);
	xg_doc_set_free(&s);
}

static void test_service_defaults(void **state)
{
	struct xg_doc_set s;

	parse_ok("apiVersion: xgate.io/v1\n"
		 "kind: Service\n"
		 "metadata: {name: bare}\n"
		 "spec:\n"
		 "  addresses: [\"2001:2:0:1::100\"]\n"
		 "  ports: [{port: 443}]\n",
		 &s);
	assert_string_equal(s.services[0].ns, "default");
	assert_int_equal(s.services[0].n_backends, 0);
	assert_int_equal(s.services[0].affinity, XG_AFFINITY_NONE);
	assert_int_equal(s.services[0].affinity_timeout_s, 10800);
	xg_doc_set_free(&s);
}

/* Three kinds in one file; errors there name the document. */
static void test_multi_doc(void **state)
{
	static const char text[] = "---\n"
				   "apiVersion: cilium.io/v2\n"
				   "kind: CiliumNetworkPolicy\n"
				   "metadata: {name: a}\n"
				   "spec: {endpointSelector: {}}\n"
				   "---\n"
				   "apiVersion: xgate.io/v1\n"
				   "kind: Endpoint\n"
				   "metadata: {name: e}\n"
				   "spec: {addresses: [10.0.0.1]}\n"
				   "---\n"
				   "apiVersion: cilium.io/v2\n"
				   "kind: CiliumNetworkPolicy\n"
				   "metadata: {name: b}\n"
				   "specs:\n"
				   "- endpointSelector: {}\n"
				   "- endpointSelector: {}\n";
	struct xg_doc_set s;

	parse_ok(text, &s);
	assert_int_equal(s.n_docs, 3);
	assert_int_equal(s.n_cnps, 2);
	assert_int_equal(s.n_endpoints, 1);
	assert_string_equal(s.cnps[1].name, "b");
	assert_int_equal(s.cnps[1].doc, 2);
	assert_int_equal(s.cnps[1].n_rules, 2);
	assert_int_equal(s.endpoints[0].doc, 1);
	xg_doc_set_free(&s);

	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata: {name: a}\n"
		  "spec: {endpointSelector: {}}\n"
		  "---\n"
		  "apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata: {name: b}\n"
		  "spec:\n"
		  "  endpointSelector: {}\n"
		  "  ingress:\n"
		  "  - toPorts:\n"
		  "    - ports: [{port: \"99999\"}]\n",
		  NAME ": [1].spec.ingress[0].toPorts[0].ports[0].port", 13, 22,
		  "must be 0-65535, got 99999");
	/* The document after the bad one counts too. */
	parse_bad("apiVersion: v1\n"
		  "kind: Pod\n"
		  "---\n"
		  "{}\n",
		  NAME ": [0].kind", 2, 7, "unknown kind 'Pod'");
}

static void test_list(void **state)
{
	struct xg_doc_set s;

	parse_ok("apiVersion: v1\n"
		 "kind: List\n"
		 "metadata: {resourceVersion: \"\"}\n"
		 "items:\n"
		 "- apiVersion: cilium.io/v2\n"
		 "  kind: CiliumNetworkPolicy\n"
		 "  metadata: {name: one, namespace: a}\n"
		 "  spec: {endpointSelector: {}}\n"
		 "- apiVersion: xgate.io/v1\n"
		 "  kind: Service\n"
		 "  metadata: {name: svc}\n"
		 "  spec: {addresses: [10.0.0.1], ports: [{port: 80}]}\n"
		 "- apiVersion: cilium.io/v2\n"
		 "  kind: CiliumNetworkPolicy\n"
		 "  metadata: {name: one, namespace: b}\n"
		 "  spec: {endpointSelector: {}}\n",
		 &s);
	assert_int_equal(s.n_docs, 1);
	assert_int_equal(s.n_cnps, 2);
	assert_int_equal(s.n_services, 1);
	assert_string_equal(s.cnps[1].ns, "b");
	assert_loc(s.cnps[1].loc, 13, 3);
	xg_doc_set_free(&s);

	parse_ok("apiVersion: cilium.io/v2\n"
		 "kind: CiliumNetworkPolicyList\n"
		 "items: []\n",
		 &s);
	assert_int_equal(s.n_cnps, 0);
	xg_doc_set_free(&s);

	parse_bad("apiVersion: v1\n"
		  "kind: List\n"
		  "items:\n"
		  "- apiVersion: xgate.io/v1\n"
		  "  kind: Endpoint\n"
		  "  metadata: {name: e}\n"
		  "  spec: {addresses: [10.0.0.1]}\n"
		  "- apiVersion: xgate.io/v1\n"
		  "  kind: Endpoint\n"
		  "  metadata: {name: f}\n"
		  "  spec: {addresses: [10.0.0.1/8]}\n",
		  NAME ": items[1].spec.addresses[0]", 11, 22,
		  "without a prefix length");
	parse_bad("apiVersion: v1\n"
		  "kind: List\n"
		  "items:\n"
		  "- {apiVersion: v1, kind: List}\n",
		  NAME ": items[0].kind", 4, 26, "a List inside a List");
}

/* What config/examples ships parses as documented. */
static void test_examples(void **state)
{
	static const struct {
		const char *path;
		size_t cnps, endpoints, services;
	} files[] = {
		{ "config/examples/endpoints.yaml", 0, 5, 0 },
		{ "config/examples/services.yaml", 0, 0, 2 },
		{ "config/examples/policies/deathstar.yaml", 1, 0, 0 },
		{ "config/examples/policies/front-network.yaml", 1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct xg_doc_set s;
		struct xg_err err;
		char path[512], buf[512];

		snprintf(path, sizeof(path), "%s/%s", XG_SRCDIR, files[i].path);
		if (xg_doc_parse_file(path, &s, &err))
			fail_msg("%s", xg_err_str(&err, buf, sizeof(buf)));
		assert_int_equal(s.n_cnps, files[i].cnps);
		assert_int_equal(s.n_endpoints, files[i].endpoints);
		assert_int_equal(s.n_services, files[i].services);
		xg_doc_set_free(&s);
	}
}

static void test_missing_file(void **state)
{
	struct xg_doc_set s;
	struct xg_err err;

	assert_int_equal(xg_doc_parse_file("/nonexistent/p.yaml", &s, &err),
			 -ENOENT);
	assert_string_equal(err.where, "/nonexistent/p.yaml");
	assert_null(s.cnps);
	assert_int_equal(xg_doc_parse_file("/", &s, &err), -EISDIR);
}

/* Scalars in every quoting style read as YAML says.  Single-quoted ones
 * are decoded by the parser itself: libfyaml 0.7.12 gets runs of ''
 * wrong, and leaks while doing it. */
static void test_scalar_styles(void **state)
{
	const struct xg_doc_port_rule *tp;
	const struct xg_doc_http_rule *h;
	struct xg_doc_set s;

	parse_ok(CNP_HEAD
		 "  description: 'it''s ''''''''''''''''''''''''''''''''''''''''''quoted'\n"
		 "  ingress:\n"
		 "  - toPorts:\n"
		 "    - ports: [{port: '80', protocol: TCP}]\n"
		 "      rules:\n"
		 "        http:\n"
		 "        - path: '/a\n"
		 "            b  \n"
		 "\n"
		 "            c'\n"
		 "          method: \"GE\\x54\"\n"
		 "          host: >-\n"
		 "            example.\n"
		 "            com\n"
		 "          headers:\n"
		 "          - |-\n"
		 "            X-A: 1\n"
		 "          - 'X-B: '''\n",
		 &s);
	assert_string_equal(s.cnps[0].rules[0].description,
			    "it's '''''''''''''''''''''quoted");
	tp = &s.cnps[0].rules[0].ingress[0].to_ports[0];
	assert_int_equal(tp->ports[0].port, 80);
	h = &tp->http[0];
	assert_string_equal(h->path, "/a b\nc");
	assert_string_equal(h->method, "GET");
	assert_string_equal(h->host, "example. com");
	assert_string_equal(h->headers[0].name, "X-A");
	assert_string_equal(h->headers[0].value, "1");
	assert_string_equal(h->headers[1].value, "'");
	xg_doc_set_free(&s);
}

/* ---------------------------------------------- malformed input -- */

static void test_bad_port(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: 70000\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 10, 15,
		  "must be 0-65535, got 70000");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: \"-1\"\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 10, 15,
		  "port number 0-65535 or a port name");
	/* Port names are lowercase and at most 15 characters. */
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: a-very-long-port-name\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 10, 15,
		  "port name");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - protocol: TCP\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 10, 9,
		  "missing");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: 80\n"
			   "        protocol: tcp\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].protocol", 11, 19,
		  "must be TCP, UDP, SCTP or ANY, got 'tcp'");
}

static void test_bad_end_port(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: 8080\n"
			   "        endPort: 80\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].endPort", 11, 18,
		  "must be at least port (8080), got 80");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: http\n"
			   "        endPort: 90\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].endPort", 11, 18,
		  "numeric port");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: 80\n"
			   "        endPort: 65536\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].endPort", 11, 18,
		  "must be 0-65535, got 65536");
}

static void test_unknown_field(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEndpoint: []\n",
		  NAME ": spec.ingress[0].fromEndpoint", 8, 5, "unknown field");
	/* A direction's fields do not belong to the other. */
	parse_bad(CNP_HEAD "  egress:\n"
			   "  - fromCIDR: [10.0.0.0/8]\n",
		  NAME ": spec.egress[0].fromCIDR", 8, 5, "unknown field");
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata: {name: p}\n"
		  "spec: {endpointSelector: {}}\n"
		  "extra: 1\n",
		  NAME ": extra", 5, 1, "unknown field");
}

static void test_unsupported_field(void **state)
{
	static const struct {
		const char *text, *where, *msg;
		int line, col;
	} cases[] = {
		{ "  egress:\n  - toFQDNs:\n    - matchName: example.com\n",
		  NAME ": spec.egress[0].toFQDNs", "not supported by xgate: toFQDNs",
		  8, 5 },
		{ "  egress:\n  - toServices: []\n",
		  NAME ": spec.egress[0].toServices",
		  "not supported by xgate: toServices", 8, 5 },
		{ "  ingress:\n  - fromRequires: [{}]\n",
		  NAME ": spec.ingress[0].fromRequires",
		  "not supported by xgate: fromRequires", 8, 5 },
		{ "  egressDeny:\n  - toNodes: [{}]\n",
		  NAME ": spec.egressDeny[0].toNodes",
		  "not supported by xgate: toNodes", 8, 5 },
		{ "  ingress:\n  - authentication: {mode: required}\n",
		  NAME ": spec.ingress[0].authentication",
		  "not supported by xgate: authentication", 8, 5 },
		{ "  egress:\n  - toPorts:\n    - ports: [{port: \"53\"}]\n"
		  "      rules: {dns: [{matchPattern: \"*\"}]}\n",
		  NAME ": spec.egress[0].toPorts[0].rules.dns",
		  "not supported by xgate: dns", 10, 15 },
		{ "  ingress:\n  - toPorts:\n    - ports: [{port: \"9092\"}]\n"
		  "      rules: {kafka: [{topic: t}]}\n",
		  NAME ": spec.ingress[0].toPorts[0].rules.kafka",
		  "not supported by xgate: kafka", 10, 15 },
		{ "  ingress:\n  - toPorts:\n    - ports: [{port: \"443\"}]\n"
		  "      serverNames: [a.example]\n",
		  NAME ": spec.ingress[0].toPorts[0].serverNames",
		  "not supported by xgate: serverNames", 10, 7 },
		{ "  ingress:\n  - toPorts:\n    - ports: [{port: \"80\", protocol: TCP}]\n"
		  "      rules:\n        http:\n        - headerMatches:\n"
		  "          - {name: X-Key, secret: {name: s}}\n",
		  NAME ": spec.ingress[0].toPorts[0].rules.http[0].headerMatches[0].secret",
		  "not supported by xgate: secret", 13, 27 },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", CNP_HEAD, cases[i].text);
		parse_bad(text, cases[i].where, cases[i].line, cases[i].col,
			  cases[i].msg);
	}
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumClusterwideNetworkPolicy\n"
		  "metadata: {name: host}\n"
		  "spec:\n"
		  "  nodeSelector: {}\n",
		  NAME ": spec.nodeSelector", 5, 3,
		  "not supported by xgate: nodeSelector");
}

static void test_l7_in_deny(void **state)
{
	parse_bad(CNP_HEAD "  ingressDeny:\n"
			   "  - toPorts:\n"
			   "    - ports:\n"
			   "      - port: \"80\"\n"
			   "        protocol: TCP\n"
			   "      rules:\n"
			   "        http: [{method: GET}]\n",
		  NAME ": spec.ingressDeny[0].toPorts[0].rules", 12, 7,
		  "not allowed in a deny");
	/* L7 rules need TCP ports other than 0, as in Cilium. */
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports: [{port: \"80\"}]\n"
			   "      rules: {http: [{}]}\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].protocol", 9, 15,
		  "TCP only");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts:\n"
			   "    - ports: [{port: \"0\", protocol: TCP}]\n"
			   "      rules: {http: [{}]}\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 9, 22,
		  "port 0");
}

static void test_bad_cidr(void **state)
{
	parse_bad(CNP_HEAD "  egress:\n"
			   "  - toCIDR:\n"
			   "    - 10.0.0.0/33\n",
		  NAME ": spec.egress[0].toCIDR[0]", 9, 7,
		  "prefix length must be 0..32");
	parse_bad(CNP_HEAD "  egress:\n"
			   "  - toCIDR: [10.1.2.3/8]\n",
		  NAME ": spec.egress[0].toCIDR[0]", 8, 14, "host bits");
	parse_bad(CNP_HEAD "  egress:\n"
			   "  - toCIDRSet: [{cidr: 10.0.0.1}]\n",
		  NAME ": spec.egress[0].toCIDRSet[0].cidr", 8, 24,
		  "with a length");
}

static void test_except_outside(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromCIDRSet:\n"
			   "    - cidr: 10.0.0.0/8\n"
			   "      except: [10.1.0.0/16, 192.168.0.0/16]\n",
		  NAME ": spec.ingress[0].fromCIDRSet[0].except[1]", 10, 29,
		  "not inside cidr 10.0.0.0/8");
	/* Wider than the cidr it is cut from. */
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromCIDRSet:\n"
			   "    - cidr: 10.0.0.0/8\n"
			   "      except: [10.0.0.0/7]\n",
		  NAME ": spec.ingress[0].fromCIDRSet[0].except[0]", 10, 16,
		  "not inside cidr");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromCIDRSet:\n"
			   "    - cidr: 10.0.0.0/8\n"
			   "      except: [\"::/0\"]\n",
		  NAME ": spec.ingress[0].fromCIDRSet[0].except[0]", 10, 16,
		  "not inside cidr");
}

static void test_bad_entity(void **state)
{
	parse_bad(CNP_HEAD "  ingressDeny:\n"
			   "  - fromEntities: [world, moon]\n",
		  NAME ": spec.ingressDeny[0].fromEntities[1]", 8, 27,
		  "unknown entity 'moon'");
}

static void test_bad_operator(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEndpoints:\n"
			   "    - matchExpressions:\n"
			   "      - key: app\n"
			   "        operator: Equals\n",
		  NAME ": spec.ingress[0].fromEndpoints[0].matchExpressions[0].operator",
		  11, 19, "must be In, NotIn, Exists or DoesNotExist");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEndpoints:\n"
			   "    - matchExpressions:\n"
			   "      - key: app\n"
			   "        operator: In\n",
		  NAME ": spec.ingress[0].fromEndpoints[0].matchExpressions[0].values",
		  10, 9, "needs at least one value");
}

static void test_values_with_exists(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEndpoints:\n"
			   "    - matchExpressions:\n"
			   "      - key: app\n"
			   "        operator: Exists\n"
			   "        values: [a]\n",
		  NAME ": spec.ingress[0].fromEndpoints[0].matchExpressions[0].values",
		  12, 17, "must be empty with operator Exists");
}

static void test_wrong_type(void **state)
{
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata:\n"
		  "  name: p\n"
		  "spec:\n"
		  "  endpointSelector:\n"
		  "  - app: web\n",
		  NAME ": spec.endpointSelector", 7, 3,
		  "must be a map, got a list");
	parse_bad(CNP_HEAD "  ingress: {fromEntities: [world]}\n",
		  NAME ": spec.ingress", 7, 12, "must be a list, got a map");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEntities: world\n",
		  NAME ": spec.ingress[0].fromEntities", 8, 19,
		  "must be a list, got 'world'");
	parse_bad(CNP_HEAD "  enableDefaultDeny: {ingress: \"yes\"}\n",
		  NAME ": spec.enableDefaultDeny.ingress", 7, 32,
		  "must be true or false");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - null\n",
		  NAME ": spec.ingress[0]", 8, 5, "must be a map, got null");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Service\n"
		  "metadata: {name: s}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  ports: [{port: \"80\"}]\n",
		  NAME ": spec.ports[0].port", 6, 18, "without quotes");
	parse_bad("- a\n- b\n", NAME, 1, 1, "must be a map, got a list");
}

static void test_duplicate_key(void **state)
{
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - fromEntities: [world]\n"
			   "    fromEntities: [host]\n",
		  NAME ": spec.ingress[0].fromEntities", 9, 5,
		  "duplicate key (first at line 8)");
	parse_bad("{\"apiVersion\": \"cilium.io/v2\", \"apiVersion\": \"v1\"}",
		  NAME ": apiVersion", 1, 32, "duplicate key (first at line 1)");
	/* The same object twice in one file. */
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec: {addresses: [10.0.0.1]}\n"
		  "---\n"
		  "apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e, namespace: default}\n"
		  "spec: {addresses: [10.0.0.2]}\n",
		  NAME ": [1].metadata.name", 8, 18,
		  "Endpoint default/e is already defined at line 3");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec: {addresses: [10.0.0.1]}\n"
		  "---\n"
		  "apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: f}\n"
		  "spec: {addresses: [\"10.0.0.1\"]}\n",
		  NAME ": [1].spec.addresses[0]", 9, 20,
		  "address 10.0.0.1 is given to an endpoint twice");
}

static void test_syntax_error(void **state)
{
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: [CiliumNetworkPolicy\n",
		  NAME, 3, 1, "invalid YAML");
	parse_bad("apiVersion: cilium.io/v2\n"
		  "  kind: x\n",
		  NAME, 1, 13, "invalid YAML");
	parse_bad("a: \"unterminated\n", NAME, 1, 5, "invalid YAML");
	parse_bad("%FOO x\n---\na: [1\n", NAME, 4, 1,
		  "flow sequence without a closing bracket");
}

static void test_truncated(void **state)
{
	/* Cut inside JSON: a syntax error at the end. */
	parse_bad("{\"apiVersion\": \"cilium.io/v2\", \"kind\": \"CiliumNetworkPolicy\",\n"
		  " \"metadata\": {\"name\": \"x\"}, \"spec\": {\"endpointSel",
		  NAME, 2, 39, "invalid YAML");
	/* Cut after the metadata: valid YAML, not a policy. */
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata:\n"
		  "  name: p\n",
		  NAME ": spec", 1, 1, "needs spec or specs");
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata:\n"
		  "  name: p\n"
		  "spec:\n",
		  NAME ": spec", 1, 1, "needs spec or specs");
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata:\n"
		  "  name: p\n"
		  "spec:\n"
		  "  ingress: []\n",
		  NAME ": spec.endpointSelector", 6, 3, "missing");
}

static void test_empty(void **state)
{
	parse_bad("", NAME, 1, 1, "no documents");
	parse_bad("# nothing here\n\n", NAME, 1, 1, "no documents");
	parse_bad("---\n", NAME, 1, 1, "empty document");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec: {addresses: [10.0.0.1]}\n"
		  "---\n",
		  NAME ": [1]", 5, 1, "empty document");
	parse_bad("null\n", NAME, 1, 1, "empty document");
}

static void test_deep_nesting(void **state)
{
	static const size_t depth = 100000;
	static const char prefix[] = NAME ": metadata[0][0][0]";
	char *text = malloc(2 * depth + 64);
	char where[256];
	struct xg_doc_set s;
	struct xg_err err;
	size_t len;

	/* Flow style: no recursion and no stack to run out of.  The 64th
	 * level (a map and 63 lists) is the last one allowed.  The path is
	 * cut to fit, but still says where it starts. */
	assert_non_null(text);
	len = (size_t)sprintf(text, "metadata: ");
	memset(text + len, '[', depth);
	memset(text + len + depth, ']', depth);
	text[len + 2 * depth] = '\0';
	assert_int_equal(xg_doc_parse_buf(NAME, text, strlen(text), &s, &err),
			 -EINVAL);
	free(text);
	assert_memory_equal(err.where, prefix, strlen(prefix));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 11 + 63);
	assert_non_null(strstr(err.msg, "nested more than 64 levels deep"));
	assert_null(s.mem);

	/* Block style, one level per line. */
	text = malloc(200 * 200);
	assert_non_null(text);
	len = 0;
	for (int i = 0; i < 100; i++)
		len += (size_t)sprintf(text + len, "%*sk:\n", i, "");
	/* The path: the key of each of the 64 maps. */
	len = (size_t)sprintf(where, "%s: k", NAME);
	for (int i = 1; i < 64; i++)
		len += (size_t)sprintf(where + len, ".k");
	parse_bad(text, where, 65, 65, "nested more than 64 levels deep");
	free(text);
}

static void test_missing_name(void **state)
{
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumNetworkPolicy\n"
		  "metadata:\n"
		  "  namespace: x\n"
		  "spec: {endpointSelector: {}}\n",
		  NAME ": metadata.name", 4, 3, "missing (required)");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "spec: {addresses: [10.0.0.1]}\n",
		  NAME ": metadata", 1, 1, "missing (required)");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: Web_1}\n"
		  "spec: {addresses: [10.0.0.1]}\n",
		  NAME ": metadata.name", 3, 18, "must be a DNS name");
	parse_bad("apiVersion: cilium.io/v2\n"
		  "kind: CiliumClusterwideNetworkPolicy\n"
		  "metadata: {name: a, namespace: b}\n"
		  "spec: {endpointSelector: {}}\n",
		  NAME ": metadata.namespace", 3, 21, "has no namespace");
	parse_bad("kind: CiliumNetworkPolicy\n"
		  "metadata: {name: a}\n",
		  NAME ": apiVersion", 1, 1, "missing (required)");
	parse_bad("apiVersion: cilium.io/v1\n"
		  "kind: CiliumNetworkPolicy\n",
		  NAME ": apiVersion", 1, 13,
		  "must be cilium.io/v2 for CiliumNetworkPolicy");
}

static void test_bad_endpoint(void **state)
{
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec: {addresses: []}\n",
		  NAME ": spec.addresses", 4, 19, "at least one address");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec: {addresses: [10.0.0.300]}\n",
		  NAME ": spec.addresses[0]", 4, 20, "not an IPv4 or IPv6");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  ports: [{name: web, port: 80}, {name: web, port: 81}]\n",
		  NAME ": spec.ports[1].name", 6, 41, "used twice");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Endpoint\n"
		  "metadata: {name: e}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  labels: {\"bad key\": x}\n",
		  NAME ": spec.labels[\"bad key\"]", 6, 12, "not a label key");
}

static void test_bad_weight(void **state)
{
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Service\n"
		  "metadata: {name: s}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  ports: [{port: 80}]\n"
		  "  backends:\n"
		  "  - address: 10.1.0.1\n"
		  "    weight: 0\n",
		  NAME ": spec.backends[0].weight", 9, 13,
		  "must be 1-65535, got 0");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Service\n"
		  "metadata: {name: s}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  ports: [{port: 80}]\n"
		  "  backends:\n"
		  "  - {address: 10.1.0.1, state: draining}\n",
		  NAME ": spec.backends[0].state", 8, 32,
		  "must be active or terminating");
	parse_bad("apiVersion: xgate.io/v1\n"
		  "kind: Service\n"
		  "metadata: {name: s}\n"
		  "spec:\n"
		  "  addresses: [10.0.0.1]\n"
		  "  ports: [{port: 80}]\n"
		  "  backends:\n"
		  "  - address: \"2001:db8::1\"\n",
		  NAME ": spec.backends[0].address", 8, 14,
		  "an IPv6 backend needs an IPv6 address");
}

static void test_bad_affinity(void **state)
{
	static const char head[] = "apiVersion: xgate.io/v1\n"
				   "kind: Service\n"
				   "metadata: {name: s}\n"
				   "spec:\n"
				   "  addresses: [10.0.0.1]\n"
				   "  ports: [{port: 80}]\n";
	char text[512];

	snprintf(text, sizeof(text), "%s%s", head,
		 "  sessionAffinity: ClientIP\n"
		 "  sessionAffinityTimeoutSeconds: 86401\n");
	parse_bad(text, NAME ": spec.sessionAffinityTimeoutSeconds", 8, 34,
		  "must be 1-86400, got 86401");
	snprintf(text, sizeof(text), "%s%s", head,
		 "  sessionAffinityTimeoutSeconds: 60\n");
	parse_bad(text, NAME ": spec.sessionAffinityTimeoutSeconds", 7, 34,
		  "needs sessionAffinity: ClientIP");
	snprintf(text, sizeof(text), "%s%s", head,
		 "  sessionAffinity: clientip\n");
	parse_bad(text, NAME ": spec.sessionAffinity", 7, 20,
		  "must be None or ClientIP");
}

/* Things YAML allows that our documents do not, and the limits. */
static void test_refused_yaml(void **state)
{
	static const char nul[] = "apiVersion: v1\nkind: \0List\n";
	char *big;
	size_t len;

	parse_bad_len(nul, sizeof(nul) - 1, NAME, 2, 7, "NUL byte");
	/* libfyaml 0.7.12 loops forever on this directive. */
	parse_bad("a:\n% n\xc6" "ame: x\n", NAME, 2, 4, "not valid UTF-8");
	/* ... and drops this value without a word. */
	parse_bad("a: \xc3\xa9t\xe9\n", NAME, 1, 6, "not valid UTF-8");
	parse_bad("a: \xed\xa0\x80\n", NAME, 1, 4, "not valid UTF-8");
	parse_bad(CNP_HEAD "  description: &d hello\n", NAME ": spec.description",
		  7, 16, "anchors and aliases");
	parse_bad(CNP_HEAD "  description: *d\n", NAME ": spec.description", 7,
		  16, "anchors and aliases");
	parse_bad(CNP_HEAD "  ingress:\n"
			   "  - toPorts: [{ports: [{port: !!str 80}]}]\n",
		  NAME ": spec.ingress[0].toPorts[0].ports[0].port", 8, 31,
		  "tags are not supported");
	parse_bad("? [a, b]\n: c\n", NAME, 1, 3, "a key must be a string");
	parse_bad(CNP_HEAD "  description: \"a\\0b\"\n", NAME ": spec.description",
		  7, 16, "NUL byte");

	/* 10,000 entries are fine, 10,001 are not. */
	big = malloc(64 + 10001 * 8);
	assert_non_null(big);
	len = (size_t)sprintf(big, "apiVersion: v1\nkind: List\nitems: [");
	for (int i = 0; i < 10001; i++)
		len += (size_t)sprintf(big + len, "%s{}", i ? ", " : "");
	strcpy(big + len, "]\n");
	parse_bad(big, NAME ": items", 3, 9 + 4 * 10000, "more than 10000 entries");
	free(big);

	/* A million values in one document, in lists small enough. */
	big = malloc(64 + 101 * 20002);
	assert_non_null(big);
	len = (size_t)sprintf(big, "metadata: [");
	for (int i = 0; i < 101; i++) {
		big[len++] = '[';
		for (int j = 0; j < 9999; j++)
			big[len++] = '1', big[len++] = ',';
		len += (size_t)sprintf(big + len, "1],");
	}
	strcpy(big + len, "]\n");
	parse_bad(big, NAME ": metadata[99]", 1, 12 + 99 * 20002 + 1 + 2 * 9897,
		  "more than 1000000 values");
	free(big);

	/* One value bigger than the parser's chunks: 100 KiB. */
	big = malloc(200 << 10);
	assert_non_null(big);
	len = (size_t)sprintf(big, CNP_HEAD "  description: \"");
	memset(big + len, 'd', 100 << 10);
	strcpy(big + len + (100 << 10), "\"\n  ingress: [{}]\n");
	{
		struct xg_doc_set s;

		parse_ok(big, &s);
		assert_int_equal(strlen(s.cnps[0].rules[0].description),
				 100 << 10);
		assert_int_equal(s.cnps[0].rules[0].n_ingress, 1);
		xg_doc_set_free(&s);
	}
	free(big);

	len = XG_DOC_MAX_BYTES + 1;
	big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	parse_bad_len(big, len, NAME, 0, 0, "larger than");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starwars),
		cmocka_unit_test(test_cidr_except),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_icmps),
		cmocka_unit_test(test_entity_deny),
		cmocka_unit_test(test_match_expressions),
		cmocka_unit_test(test_clusterwide),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_service_defaults),
		cmocka_unit_test(test_multi_doc),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_scalar_styles),
		cmocka_unit_test(test_bad_port),
		cmocka_unit_test(test_bad_end_port),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_unsupported_field),
		cmocka_unit_test(test_l7_in_deny),
		cmocka_unit_test(test_bad_cidr),
		cmocka_unit_test(test_except_outside),
		cmocka_unit_test(test_bad_entity),
		cmocka_unit_test(test_bad_operator),
		cmocka_unit_test(test_values_with_exists),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_missing_name),
		cmocka_unit_test(test_bad_endpoint),
		cmocka_unit_test(test_bad_weight),
		cmocka_unit_test(test_bad_affinity),
		cmocka_unit_test(test_refused_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
