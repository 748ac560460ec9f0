// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy compiler, table-driven: documents (Cilium policies and our
 * endpoints and services, in YAML) and flows with the verdict each should
 * get.  Every flow is checked twice: against the compiled state
 * (xg_explain_flow) and by the datapath itself, after dp_sync wrote the
 * compiled state into its maps: the native build and the real XDP
 * program (bpf_prog_test_run), IPv4 and IPv6.  So the compiler, the
 * explainer and the datapath cannot drift apart.
 *
 * Documents name hosts of the test topology (topo.c) with placeholders
 * replaced per family: {C1} an address, {C1/} its host prefix, {NET0}
 * and {NET1} the two legs' networks.
 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* terse rows */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/doc/doc.h"
#include "ctrl/entries.h"
#include "ctrl/policy/compile.h"
#include "ctrl/policy/dp_sync.h"
#include "ctrl/policy/explain.h"
#include "table.h"

enum want { ALLOW, DENY, DEFAULT_DENY, L7 };

struct flow {
	int src, dst, proto; /* ICMP: an echo request */
	__u16 port;
	enum want want;
	int via_vip; /* sent to the VIP, arrives at dst (a backend) */
	const char *l7; /* L7: the ruleset's rules (l7_str), when given */
};

struct row {
	const char *name;
	const char *yaml;
	struct flow flows[8];
};

#define EP(name, host, labels)                                                 \
	"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: " name      \
	"}\nspec:\n  addresses: [\"{" host "}\"]\n  labels: " labels "\n---\n"

static const struct row rows[] = {
	{"star-wars L7 (Cilium's example)",
	 EP("tiefighter", "C1", "{org: empire, class: tiefighter}") EP(
		 "xwing", "C2", "{org: alliance, class: xwing}")
		 EP("deathstar", "B1",
		    "{org: empire, class: deathstar}") "apiVersion: "
						       "cilium.io/v2\nkind: "
						       "CiliumNetworkPolicy\n"
						       "metadata: {name: "
						       "rule1, namespace: "
						       "default}\n"
						       "spec:\n"
						       "  endpointSelector: "
						       "{matchLabels: {org: "
						       "empire, class: "
						       "deathstar}}\n"
						       "  ingress:\n"
						       "  - fromEndpoints: "
						       "[{matchLabels: {org: "
						       "empire}}]\n"
						       "    toPorts:\n"
						       "    - ports: [{port: "
						       "\"80\", protocol: "
						       "TCP}]\n"
						       "      rules: {http: "
						       "[{method: POST, path: "
						       "/v1/"
						       "request-landing}]}\n",
	 {{C1, B1, TCP, 80, L7, 0, "method=POST,path=/v1/request-landing"},
	  {C2, B1, TCP, 80, DEFAULT_DENY},
	  {C1, B1, TCP, 443, DEFAULT_DENY},
	  {B1, C1, TCP, 80, ALLOW},
	  {C3, B1, TCP, 80, DEFAULT_DENY}}},
	{"HTTP rules of two policies on one port are ORed",
	 EP("tiefighter", "C1", "{org: empire, class: tiefighter}") EP(
		 "deathstar", "B1",
		 "{org: empire, class: deathstar}") "apiVersion: "
						    "cilium.io/v2\nkind: "
						    "CiliumNetworkPolicy\n"
						    "metadata: {name: land, "
						    "namespace: default}\n"
						    "spec:\n"
						    "  endpointSelector: "
						    "{matchLabels: {class: "
						    "deathstar}}\n"
						    "  ingress:\n"
						    "  - fromEndpoints: "
						    "[{matchLabels: {org: "
						    "empire}}]\n"
						    "    toPorts:\n"
						    "    - ports: [{port: "
						    "\"80\", protocol: TCP}]\n"
						    "      rules: {http: "
						    "[{method: POST, path: "
						    "/v1/request-landing}]}\n"
						    "---\n"
						    "apiVersion: "
						    "cilium.io/v2\nkind: "
						    "CiliumNetworkPolicy\n"
						    "metadata: {name: status, "
						    "namespace: default}\n"
						    "spec:\n"
						    "  endpointSelector: "
						    "{matchLabels: {class: "
						    "deathstar}}\n"
						    "  ingress:\n"
						    "  - fromEndpoints: "
						    "[{matchLabels: {class: "
						    "tiefighter}}]\n"
						    "    toPorts:\n"
						    "    - ports: [{port: "
						    "\"80\", protocol: TCP}]\n"
						    "      rules: {http: "
						    "[{method: GET, path: "
						    "/v1/status, headers: "
						    "[X-Fleet]},\n"
						    "                     "
						    "{method: POST, path: "
						    "/v1/request-landing}]}\n",
	 {{C1, B1, TCP, 80, L7, 0,
	   "method=GET,path=/v1/status,header=x-fleet | "
	   "method=POST,path=/v1/request-landing"},
	  {C1, B1, TCP, 81, DEFAULT_DENY}}},
	{"a plain allow meeting an HTTP allow: all HTTP, still parsed",
	 EP("tiefighter", "C1", "{org: empire, class: tiefighter}") EP(
		 "xwing", "C2", "{org: alliance, class: xwing}")
		 EP("deathstar", "B1",
		    "{org: empire, class: deathstar}") "apiVersion: "
						       "cilium.io/v2\nkind: "
						       "CiliumNetworkPolicy\n"
						       "metadata: {name: http, "
						       "namespace: default}\n"
						       "spec:\n"
						       "  endpointSelector: "
						       "{matchLabels: {class: "
						       "deathstar}}\n"
						       "  ingress:\n"
						       "  - toPorts:\n"
						       "    - ports: [{port: "
						       "\"80\", protocol: "
						       "TCP}]\n"
						       "      rules: {http: "
						       "[{method: GET, path: "
						       "\"/v1/.*\"}]}\n"
						       "---\n"
						       "apiVersion: "
						       "cilium.io/v2\nkind: "
						       "CiliumNetworkPolicy\n"
						       "metadata: {name: "
						       "empire-l3, namespace: "
						       "default}\n"
						       "spec:\n"
						       "  endpointSelector: "
						       "{matchLabels: {class: "
						       "deathstar}}\n"
						       "  ingress:\n"
						       "  - fromEndpoints: "
						       "[{matchLabels: {org: "
						       "empire}}]\n",
	 /* C1's own L3 allow covers port 80: the any-peer HTTP rules do
	  * not bind it; C2 has only those */
	 {{C1, B1, TCP, 80, L7, 0, "any"},
	  {C2, B1, TCP, 80, L7, 0, "method=GET,path=/v1/.*"},
	  {C1, B1, TCP, 443, ALLOW},
	  {C2, B1, TCP, 443, DEFAULT_DENY},
	  {C3, B1, TCP, 80, L7, 0, "method=GET,path=/v1/.*"}}},
	{"CIDR set with except",
	 EP("db", "B1",
	    "{app: db}") "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
			 "metadata: {name: from-clients}\n"
			 "spec:\n"
			 "  endpointSelector: {matchLabels: {app: db}}\n"
			 "  ingress:\n"
			 "  - fromCIDRSet: [{cidr: \"{NET0}\", except: "
			 "[\"{C3/}\"]}]\n"
			 "    toPorts: [{ports: [{port: \"5432\", protocol: "
			 "TCP}]}]\n",
	 {{C1, B1, TCP, 5432, ALLOW},
	  {C2, B1, TCP, 5432, ALLOW},
	  {C3, B1, TCP, 5432, DEFAULT_DENY},
	  {C1, B1, TCP, 22, DEFAULT_DENY}}},
	{"port range, protocol ANY",
	 EP("client", "C1", "{app: client}")
		 EP("server", "B1",
		    "{app: server}") "apiVersion: cilium.io/v2\nkind: "
				     "CiliumNetworkPolicy\n"
				     "metadata: {name: range}\n"
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: "
				     "server}}\n"
				     "  ingress:\n"
				     "  - fromEndpoints: [{matchLabels: {app: "
				     "client}}]\n"
				     "    toPorts: [{ports: [{port: \"8000\", "
				     "endPort: 8080}]}]\n",
	 {{C1, B1, TCP, 8050, ALLOW},
	  {C1, B1, UDP, 8000, ALLOW},
	  {C1, B1, TCP, 8080, ALLOW},
	  {C1, B1, TCP, 8081, DEFAULT_DENY},
	  {C1, B1, UDP, 7999, DEFAULT_DENY}}},
	{"ICMP echo only",
	 EP("client", "C1", "{app: client}")
		 EP("server", "B1",
		    "{app: server}") "apiVersion: cilium.io/v2\nkind: "
				     "CiliumNetworkPolicy\n"
				     "metadata: {name: ping}\n"
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: "
				     "server}}\n"
				     "  ingress:\n"
				     "  - fromEndpoints: [{matchLabels: {app: "
				     "client}}]\n"
				     "    icmps: [{fields: [{type: 8, family: "
				     "IPv4}, {type: EchoRequest, family: "
				     "IPv6}]}]\n",
	 {{C1, B1, ICMP, 0, ALLOW}, {C1, B1, TCP, 80, DEFAULT_DENY}}},
	{"entity deny: world, with everything else allowed",
	 EP("client", "C1", "{app: client}")
		 EP("server", "B1",
		    "{app: server}") "apiVersion: cilium.io/v2\nkind: "
				     "CiliumNetworkPolicy\n"
				     "metadata: {name: no-world}\n"
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: "
				     "client}}\n"
				     "  egress: [{toEntities: [all]}]\n"
				     "  egressDeny: [{toEntities: [world]}]\n",
	 {{C1, B1, TCP, 80, ALLOW},
	  {C1, C3, TCP, 80, DENY},
	  {C1, B2, UDP, 53, DENY}}},
	{"namespaces: selectors stay in the policy's unless they name one",
	 "apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: web, "
	 "namespace: prod}\n"
	 "spec: {addresses: [\"{C1}\"], labels: {app: web}}\n---\n"
	 "apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: web, "
	 "namespace: dev}\n"
	 "spec: {addresses: [\"{C2}\"], labels: {app: web}}\n---\n"
	 "apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: tools, "
	 "namespace: ops}\n"
	 "spec: {addresses: [\"{C3}\"], labels: {app: tools}}\n---\n"
	 "apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: api, "
	 "namespace: prod}\n"
	 "spec: {addresses: [\"{B1}\"], labels: {app: api}}\n---\n"
	 "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
	 "metadata: {name: api, namespace: prod}\n"
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: api}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints:\n"
	 "    - {matchLabels: {app: web}}\n"
	 "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
	 "      matchExpressions: [{key: app, operator: In, values: [tools, "
	 "debug]}]\n",
	 {{C1, B1, TCP, 443, ALLOW},
	  {C2, B1, TCP, 443, DEFAULT_DENY},
	  {C3, B1, TCP, 443, ALLOW}}},
	{"deny beats allow; enableDefaultDeny false keeps the rest open",
	 EP("client", "C1", "{app: client}") EP("server", "B1", "{app: server}")
		 EP("other", "B2",
		    "{app: other}") "apiVersion: cilium.io/v2\nkind: "
				    "CiliumNetworkPolicy\n"
				    "metadata: {name: no-ssh}\n"
				    "spec:\n"
				    "  endpointSelector: {matchLabels: {app: "
				    "server}}\n"
				    "  ingress: [{fromEndpoints: "
				    "[{matchLabels: {app: client}}]}]\n"
				    "  ingressDeny:\n"
				    "  - fromEndpoints: [{}]\n"
				    "    toPorts: [{ports: [{port: \"22\", "
				    "protocol: TCP}]}]\n"
				    "---\n"
				    "apiVersion: cilium.io/v2\nkind: "
				    "CiliumNetworkPolicy\n"
				    "metadata: {name: other-web}\n"
				    "spec:\n"
				    "  endpointSelector: {matchLabels: {app: "
				    "other}}\n"
				    "  enableDefaultDeny: {ingress: false}\n"
				    "  ingressDeny: [{toPorts: [{ports: "
				    "[{port: \"23\"}]}]}]\n",
	 {{C1, B1, TCP, 80, ALLOW},
	  {C1, B1, TCP, 22, DENY},
	  {C3, B1, TCP, 80, DEFAULT_DENY},
	  {C3, B2, TCP, 80, ALLOW},
	  {C1, B2, TCP, 23, DENY}}},
	{"named port from the endpoint",
	 EP("client", "C1",
	    "{app: client}") "apiVersion: xgate.io/v1\nkind: "
			     "Endpoint\nmetadata: {name: server}\n"
			     "spec:\n  addresses: [\"{B1}\"]\n  labels: {app: "
			     "server}\n"
			     "  ports: [{name: http-alt, port: 8080, protocol: "
			     "TCP}]\n---\n"
			     "apiVersion: cilium.io/v2\nkind: "
			     "CiliumNetworkPolicy\n"
			     "metadata: {name: named}\n"
			     "spec:\n"
			     "  endpointSelector: {matchLabels: {app: "
			     "server}}\n"
			     "  ingress:\n"
			     "  - fromEndpoints: [{matchLabels: {app: "
			     "client}}]\n"
			     "    toPorts: [{ports: [{port: http-alt}]}]\n",
	 {{C1, B1, TCP, 8080, ALLOW},
	  {C1, B1, TCP, 80, DEFAULT_DENY},
	  {C1, B1, UDP, 8080, DEFAULT_DENY}}},
	{"a service: policy sees the backend",
	 EP("client", "C1", "{app: client}") EP("other", "C2", "{app: other}")
		 EP("server", "B1",
		    "{app: server}") "apiVersion: xgate.io/v1\nkind: "
				     "Service\nmetadata: {name: web}\n"
				     "spec:\n  addresses: [\"{VIP}\"]\n"
				     "  ports: [{port: 80, targetPort: 8080}]\n"
				     "  backends: [{address: \"{B1}\"}]\n---\n"
				     "apiVersion: cilium.io/v2\nkind: "
				     "CiliumNetworkPolicy\n"
				     "metadata: {name: web}\n"
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: "
				     "server}}\n"
				     "  ingress:\n"
				     "  - fromEndpoints: [{matchLabels: {app: "
				     "client}}]\n"
				     "    toPorts: [{ports: [{port: \"8080\", "
				     "protocol: TCP}]}]\n",
	 {{C1, B1, TCP, 80, ALLOW, 1}, {C2, B1, TCP, 80, DEFAULT_DENY, 1}}},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---------------------------------------------------------- helpers -- */

static const char *host_addr(int fam, int h)
{
	return fam == 4 ? topo_hosts[h].ip4 : topo_hosts[h].ip6;
}

/* The row's YAML with placeholders filled for the family. */
static char *expand(const char *in, int fam)
{
	static const struct {
		const char *name;
		int host;
	} hosts[] = { { "C1", C1 }, { "C2", C2 }, { "C3", C3 }, { "B1", B1 },
		      { "B2", B2 }, { "VIP", VIP } };
	size_t cap = strlen(in) * 2 + 256, n = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	while (*in) {
		const char *rep = NULL;
		char tmp[96];
		size_t skip = 0;

		if (*in == '{') {
			const char *end = strchr(in, '}');
			size_t len = end ? (size_t)(end - in - 1) : 0;

			for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
				size_t hl = strlen(hosts[i].name);

				if (len == hl && !strncmp(in + 1, hosts[i].name, hl))
					rep = host_addr(fam, hosts[i].host);
				if (len == hl + 1 && !strncmp(in + 1, hosts[i].name, hl) &&
				    in[1 + hl] == '/') {
					snprintf(tmp, sizeof(tmp), "%s/%d",
						 host_addr(fam, hosts[i].host),
						 fam == 4 ? 32 : 128);
					rep = tmp;
				}
			}
			if (len == 4 && !strncmp(in + 1, "NET0", 4))
				rep = fam == 4 ? topo_ifs[GW0].net4 : topo_ifs[GW0].net6;
			if (len == 4 && !strncmp(in + 1, "NET1", 4))
				rep = fam == 4 ? topo_ifs[GW1].net4 : topo_ifs[GW1].net6;
			if (rep)
				skip = len + 2;
		}
		if (rep) {
			n += (size_t)snprintf(out + n, cap - n, "%s", rep);
			in += skip;
		} else {
			out[n++] = *in++;
		}
		assert_true(n < cap - 1);
	}
	out[n] = '\0';
	return out;
}

/* Identities for label sets, in first-seen order from 256 up. */
struct ids {
	char *keys[64];
	int n;
};

static int id_get(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct ids *s = arg;

	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], labels)) {
			*id = XG_ID_FIRST_LOCAL + (__u32)i;
			return 0;
		}
	if (s->n == 64)
		return -ENOSPC;
	s->keys[s->n] = strdup(labels);
	*id = XG_ID_FIRST_LOCAL + (__u32)s->n++;
	return 0;
}

static const char *want_str(enum want w)
{
	static const char *const s[] = { "allow", "deny", "default deny", "L7" };

	return s[w];
}

/* A ruleset's rules: "method=GET,path=/a,header=x-b | ...", a rule
 * without fields "any". */
static void l7_str(const struct xg_compiled *c, __u32 id, char *buf, size_t len)
{
	const struct xg_l7_ruleset *rs = NULL;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_l7; i++)
		if (c->l7[i].id == id)
			rs = &c->l7[i];
	if (!rs) {
		snprintf(buf, len, "(no ruleset %u)", id);
		return;
	}
	for (size_t i = 0; i < rs->n && n < len; i++) {
		const struct xg_l7_http *h = &rs->rules[i];
		const char *sep = "";

		n += (size_t)snprintf(buf + n, len - n, "%s", i ? " | " : "");
		if (h->method && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%smethod=%s",
					      sep, h->method),
				sep = ",";
		if (h->path && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%spath=%s",
					      sep, h->path),
				sep = ",";
		if (h->host && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%shost=%s",
					      sep, h->host),
				sep = ",";
		for (size_t k = 0; k < h->n_headers && n < len; k++)
			n += (size_t)snprintf(buf + n, len - n, "%sheader=%s",
					      sep, h->headers[k]),
				sep = ",";
		if (!*sep && n < len)
			n += (size_t)snprintf(buf + n, len - n, "any");
	}
}

static void check_flow(struct tctx *t, const struct xg_compiled *c,
		       const struct row *r, const struct flow *f, __u16 sport)
{
	__u8 sa[16] = {}, da[16] = {};
	int af = t->fam == 4 ? AF_INET : AF_INET6;
	__u8 proto = f->proto == ICMP ? (t->fam == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6) :
					(__u8)f->proto;
	__u16 port = f->proto == ICMP ? echo_req(t) : f->port;
	struct xg_explain ex;
	char what[256];
	struct pk p;

	/* a service flow is judged as the backend and its target port */
	if (f->via_vip)
		port = 8080;
	inet_pton(af, host_addr(t->fam, f->src), sa);
	inet_pton(af, host_addr(t->fam, f->dst), da);
	xg_explain_flow(c, (__u8)t->fam, sa, da, proto, port, &ex);
	snprintf(what, sizeof(what), "%s: %s -> %s %u/%u: want %s", r->name,
		 host_addr(t->fam, f->src), host_addr(t->fam, f->dst), proto,
		 port, want_str(f->want));
	switch (f->want) {
	case ALLOW:
		if (!ex.allowed || ex.l7_ruleset)
			fail_msg("%s; explain says %s (reason %u, l7 %u)", what,
				 ex.allowed ? "allow" : "drop", ex.reason,
				 ex.l7_ruleset);
		break;
	case L7:
		if (!ex.allowed || !ex.l7_ruleset)
			fail_msg("%s; explain says %s, l7 %u", what,
				 ex.allowed ? "allow" : "drop", ex.l7_ruleset);
		if (f->l7) {
			char rules[512];

			l7_str(c, ex.l7_ruleset, rules, sizeof(rules));
			if (strcmp(rules, f->l7))
				fail_msg(
					"%s; ruleset %u is \"%s\", want \"%s\"",
					what, ex.l7_ruleset, rules, f->l7);
		}
		break;
	case DENY:
	case DEFAULT_DENY:
		if (ex.allowed || ex.reason != (f->want == DENY ? XG_DROP_POLICY_DENY :
								  XG_DROP_POLICY_DEFAULT_DENY))
			fail_msg("%s; explain says %s (reason %u)", what,
				 ex.allowed ? "allow" : "drop", ex.reason);
		break;
	}

	/* and the datapath agrees */
	if (f->proto == ICMP)
		p = mk_echo(t, f->src, f->dst, 0, sport);
	else
		p = mk(t, f->proto, f->src, f->via_vip ? VIP : f->dst, sport,
		       f->port, f->proto == TCP ? XG_TCP_SYN : 0);
	switch (f->want) {
	case ALLOW:
		if (f->via_vip)
			expect_fwd_as(t, what, p,
				      mk(t, f->proto, f->src, f->dst, sport, 8080,
					 f->proto == TCP ? XG_TCP_SYN : 0));
		else
			expect_fwd(t, what, p);
		break;
	case L7:
		/* no AF_XDP socket here: redirected to none, so dropped */
		expect_drop(t, what, p, XG_DROP_NO_XSK);
		break;
	case DENY:
		expect_drop(t, what, p, XG_DROP_POLICY_DENY);
		break;
	case DEFAULT_DENY:
		expect_drop(t, what, p, XG_DROP_POLICY_DEFAULT_DENY);
		break;
	}
}

/* ----------------------------------------------------------- runner -- */

struct rstate {
	struct tctx t;
	const struct row *r;
};

static void run_row(void **state)
{
	struct rstate *s = *state;
	struct tctx *t = &s->t;
	char *yaml = expand(s->r->yaml, t->fam);
	struct xg_doc_set set = {};
	struct xg_compiled c = {};
	struct xg_dp_sync sync = {};
	struct xg_err err = {};
	struct ids ids = {};
	char buf[512];
	struct xg_compile_src src = { .name = "row.yaml", .set = &set };

	if (xg_doc_parse_buf("row.yaml", yaml, strlen(yaml), &set, &err))
		fail_msg("%s: %s", s->r->name, xg_err_str(&err, buf, sizeof(buf)));
	if (xg_compile(&src, 1, id_get, &ids, &c, &err))
		fail_msg("%s: compile: %s", s->r->name,
			 xg_err_str(&err, buf, sizeof(buf)));
	assert_int_equal(xg_dp_sync_adopt(&sync, t->bk->maps()), 0);
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c, NULL), 0);
	for (size_t i = 0; i < 8 && s->r->flows[i].proto; i++)
		check_flow(t, &c, s->r, &s->r->flows[i], (__u16)(41000 + i));

	/* A second apply of the same state changes nothing. */
	{
		struct xg_dp_sync_stats st;

		assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c, &st), 0);
		assert_int_equal(st.ipc_written + st.ipc_deleted + st.policy_written +
					 st.policy_deleted + st.svc_written + st.svc_deleted,
				 0);
	}
	xg_dp_sync_free(&sync);
	xg_compiled_free(&c);
	xg_doc_set_free(&set);
	for (int i = 0; i < ids.n; i++)
		free(ids.keys[i]);
	free(yaml);
}

/* Parses and compiles one document set (placeholders expanded). */
static void compile_yaml(struct tctx *t, const char *text, struct ids *ids,
			 struct xg_doc_set *set, struct xg_compiled *c)
{
	char *yaml = expand(text, t->fam);
	struct xg_compile_src src = { .name = "row.yaml", .set = set };
	struct xg_err err = {};
	char buf[512];

	if (xg_doc_parse_buf("row.yaml", yaml, strlen(yaml), set, &err))
		fail_msg("%s", xg_err_str(&err, buf, sizeof(buf)));
	if (xg_compile(&src, 1, id_get, ids, c, &err))
		fail_msg("compile: %s", xg_err_str(&err, buf, sizeof(buf)));
	free(yaml);
}

#define ALLOW_FROM(labels)                                                     \
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"               \
	"metadata: {name: p, namespace: default}\nspec:\n"                    \
	"  endpointSelector: {matchLabels: {app: b}}\n  ingress:\n"           \
	"  - fromEndpoints: [{matchLabels: " labels "}]\n"

/* An endpoint that goes in the same apply as a policy change: its
 * identity is deleted after the policy's bump, so conntrack re-checks
 * and verdict-cache slots made in between would keep it for good
 * without a bump of its own.  The revision must move after it. */
static void run_identity_gone(void **state)
{
	struct rstate *s = *state;
	struct tctx *t = &s->t;
	struct xg_doc_set set1 = {}, set2 = {};
	struct xg_compiled c1 = {}, c2 = {};
	struct xg_dp_sync sync = {};
	struct xg_dp_sync_stats st;
	struct ids ids = {};
	__u32 rev1;

	compile_yaml(t, EP("c1", "C1", "{app: a}") EP("b1", "B1", "{app: b}")
			 ALLOW_FROM("{app: a}"), &ids, &set1, &c1);
	compile_yaml(t, EP("b1", "B1", "{app: b}") ALLOW_FROM("{app: z}"), &ids,
		     &set2, &c2);
	assert_int_equal(xg_dp_sync_adopt(&sync, t->bk->maps()), 0);
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c1, &st), 0);
	rev1 = st.revision;
	expect_fwd(t, "endpoint allowed", mk(t, TCP, C1, B1, 42000, 80, SYN));
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c2, &st), 0);
	assert_true(st.policy_written + st.policy_deleted > 0);
	assert_true(st.ipc_deleted > 0);
	/* one bump for the policy, one after the identity went */
	assert_int_equal(st.revision, rev1 + 2);
	expect_drop(t, "endpoint gone: world now, not allowed",
		    mk(t, TCP, C1, B1, 42001, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	xg_dp_sync_free(&sync);
	xg_compiled_free(&c1);
	xg_compiled_free(&c2);
	xg_doc_set_free(&set1);
	xg_doc_set_free(&set2);
	for (int i = 0; i < ids.n; i++)
		free(ids.keys[i]);
}

/* Parses one named document set (placeholders expanded). */
static void parse_yaml(struct tctx *t, const char *name, const char *text,
		       struct xg_doc_set *set)
{
	char *yaml = expand(text, t->fam);
	size_t len = strlen(yaml);
	struct xg_err err = {};
	char buf[512];

	/* EP ends each document with a separator: not the file's last */
	if (len >= 4 && !strcmp(yaml + len - 4, "---\n"))
		len -= 4;
	if (xg_doc_parse_buf(name, yaml, len, set, &err))
		fail_msg("%s", xg_err_str(&err, buf, sizeof(buf)));
	free(yaml);
}

/* With a compile cache, a policy change reuses the endpoint stage and so
 * shares its ipcache: the sync knows by the serial that no ipcache entry
 * moved.  A change of endpoints makes a new one, which the sync must
 * still write and delete as it would compare it. */
static void run_shared_ipcache(void **state)
{
	struct rstate *s = *state;
	struct tctx *t = &s->t;
	struct xg_doc_set eps1 = {}, eps2 = {}, pol1 = {}, pol2 = {};
	struct xg_compile_src src[2] = { { .name = "eps.yaml" },
					 { .name = "pol.yaml" } };
	struct xg_compiled c1 = {}, c2 = {}, c3 = {};
	struct xg_compile_cache *k = xg_compile_cache_new();
	struct xg_dp_sync sync = {};
	struct xg_dp_sync_stats st;
	struct xg_err err = {};
	struct ids ids = {};

	assert_non_null(k);
	parse_yaml(t, "eps.yaml", EP("c1", "C1", "{app: a}") EP("b1", "B1", "{app: b}"),
		   &eps1);
	parse_yaml(t, "eps.yaml", EP("b1", "B1", "{app: b}"), &eps2);
	parse_yaml(t, "pol.yaml", ALLOW_FROM("{app: a}"), &pol1);
	parse_yaml(t, "pol.yaml", ALLOW_FROM("{app: z}"), &pol2);
	src[0].set = &eps1;
	src[1].set = &pol1;
	assert_int_equal(xg_compile_cached(k, src, 2, id_get, &ids, &c1, &err), 0);
	assert_int_equal(xg_dp_sync_adopt(&sync, t->bk->maps()), 0);
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c1, &st), 0);
	assert_true(st.ipc_written > 0);
	expect_fwd(t, "allowed", mk(t, TCP, C1, B1, 42100, 80, SYN));

	/* the policy changes, the endpoints do not: the cache's ipcache,
	 * found equal (by comparing: the first compile's was its own) */
	src[1].set = &pol2;
	assert_int_equal(xg_compile_cached(k, src, 2, id_get, &ids, &c2, &err), 0);
	assert_int_not_equal(xg_compiled_ipc_serial(&c2), 0);
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c2, &st), 0);
	assert_int_equal(st.ipc_written + st.ipc_deleted, 0);
	assert_true(st.policy_written + st.policy_deleted > 0);
	expect_drop(t, "no longer allowed", mk(t, TCP, C1, B1, 42101, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);

	/* and again: the same serial, so the entries are not compared.  To
	 * see that, the sync's record of the ipcache is made wrong behind
	 * its back: a comparison would rewrite the entry, the serial says
	 * nothing moved. */
	src[1].set = &pol1;
	assert_int_equal(xg_compile_cached(k, src, 2, id_get, &ids, &c3, &err), 0);
	assert_int_equal(xg_compiled_ipc_serial(&c3), xg_compiled_ipc_serial(&c2));
	assert_true(sync.n_ipc > 0);
	sync.ipc[0].id ^= 0x40000000;
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c3, &st), 0);
	assert_int_equal(st.ipc_written + st.ipc_deleted, 0);
	sync.ipc[0].id ^= 0x40000000;
	expect_fwd(t, "allowed again", mk(t, TCP, C1, B1, 42102, 80, SYN));
	xg_compiled_free(&c3);

	/* c1 goes: a new ipcache, whose difference is applied */
	src[0].set = &eps2;
	assert_int_equal(xg_compile_cached(k, src, 2, id_get, &ids, &c3, &err), 0);
	assert_int_not_equal(xg_compiled_ipc_serial(&c3), xg_compiled_ipc_serial(&c2));
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c3, &st), 0);
	assert_int_equal(st.ipc_written, 0);
	assert_int_equal(st.ipc_deleted, 1);
	/* and the same state again moves nothing */
	assert_int_equal(xg_dp_sync_apply(&sync, t->bk->maps(), &c3, &st), 0);
	assert_int_equal(st.ipc_written + st.ipc_deleted + st.policy_written +
				 st.policy_deleted,
			 0);

	xg_dp_sync_free(&sync);
	xg_compiled_free(&c1);
	xg_compiled_free(&c2);
	xg_compiled_free(&c3);
	xg_compile_cache_free(k);
	xg_doc_set_free(&eps1);
	xg_doc_set_free(&eps2);
	xg_doc_set_free(&pol1);
	xg_doc_set_free(&pol2);
	for (int i = 0; i < ids.n; i++)
		free(ids.keys[i]);
}

static int setup(void **state)
{
	struct rstate *s = *state;
	struct xg_config cfg = XG_CONFIG_DEFAULT;
	struct xg_mapset *ms;

	if (s->t.bk->reset(&cfg))
		return -1;
	ms = s->t.bk->maps();
	assert_int_equal(xg_txport_add(ms, s->t.bk->ifindex(GW0)), 0);
	assert_int_equal(xg_txport_add(ms, s->t.bk->ifindex(GW1)), 0);
	return 0;
}

static int run_backend(const struct dp_backend *bk)
{
	static struct rstate st[2][NROWS + 2];
	static char names[2][NROWS + 2][96];
	struct CMUnitTest tests[2 * (NROWS + 2)];
	char group[32];
	int fails;

	if (bk->init()) {
		fprintf(stderr, "%s backend: init failed\n", bk->name);
		return 1;
	}
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < NROWS; i++) {
			struct CMUnitTest *u = &tests[f * NROWS + i];

			st[f][i].t.bk = bk;
			st[f][i].t.fam = f ? 6 : 4;
			st[f][i].r = &rows[i];
			snprintf(names[f][i], sizeof(names[f][i]), "%s (IPv%d)",
				 rows[i].name, f ? 6 : 4);
			u->name = names[f][i];
			u->test_func = run_row;
			u->setup_func = setup;
			u->teardown_func = NULL;
			u->initial_state = &st[f][i];
		}
	for (int x = 0; x < 2; x++)
		for (int f = 0; f < 2; f++) {
			struct CMUnitTest *u = &tests[2 * NROWS + 2 * x + f];
			size_t i = NROWS + x;

			st[f][i].t.bk = bk;
			st[f][i].t.fam = f ? 6 : 4;
			snprintf(names[f][i], sizeof(names[f][i]), "%s (IPv%d)",
				 x ? "cached compile, shared ipcache" :
				     "identity gone with a policy change",
				 f ? 6 : 4);
			u->name = names[f][i];
			u->test_func = x ? run_shared_ipcache : run_identity_gone;
			u->setup_func = setup;
			u->teardown_func = NULL;
			u->initial_state = &st[f][i];
		}
	snprintf(group, sizeof(group), "compile_%s", bk->name);
	fails = _cmocka_run_group_tests(group, tests, 2 * (NROWS + 2), NULL,
					NULL);
	bk->fini();
	return fails;
}

int main(int argc, char **argv)
{
	int fails = 0;

	if (argc < 2 || !strcmp(argv[1], "native"))
		fails += run_backend(&backend_native);
	if (argc < 2 || !strcmp(argv[1], "bpf"))
		fails += run_backend(&backend_bpf);
	return fails ? 1 : 0;
}
