// SPDX-License-Identifier: GPL-2.0-only
/*
 * The policy compiler's compile cache (ctrl/policy/compile.h): every
 * xg_compile_cached() must give exactly the struct xg_compiled that a
 * plain xg_compile() of the same sources gives, compile after compile,
 * while the documents change under it.  The cache keeps the endpoint
 * stage while the sets holding endpoints are the same parses (doc.h's
 * gen), and each policy file's rules, origins, enforced pairs and L7
 * rulesets while that stage and the CIDR identities are unchanged; a
 * stale part would put wrong policy into the maps without any error, so
 * this is a differential test: sequences of edits (policies changed,
 * removed, added back, new CIDRs, endpoint changes, compiles that fail,
 * sets with gen 0, services, random edits), each step compiled both
 * ways and compared field by field, and the cache's counters checked to
 * show it really reused what it may.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl/doc/doc.h"
#include "ctrl/policy/compile.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Values compared and steps taken, over the whole run. */
static size_t n_values, n_steps, n_count_checks;

/* ------------------------------------------------------ documents -- */

#define CNP(name)                                                          \
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"            \
	"metadata: {name: " name "}\n"
#define CNP_NS(name, ns)                                                   \
	"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"            \
	"metadata: {name: " name ", namespace: " ns "}\n"
#define CCNP(name)                                                         \
	"apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n" \
	"metadata: {name: " name "}\n"
#define EP(name, ns, addrs, labels)                                        \
	"---\napiVersion: xgate.io/v1\nkind: Endpoint\n"                   \
	"metadata: {name: " name ", namespace: " ns "}\n"                  \
	"spec:\n  addresses: " addrs "\n  labels: " labels "\n"
#define EPP(name, ns, addrs, labels, ports) \
	EP(name, ns, addrs, labels) "  ports: " ports "\n"

static const char eps_a[] =
	EP("c1", "default", "[10.1.0.1, \"2001:db8:1::1\"]",
	   "{app: frontend, org: empire, class: tiefighter}")
	EP("c2", "default", "[10.1.0.2, \"2001:db8:1::2\"]",
	   "{app: intruder, org: alliance, class: xwing}")
	EP("c3", "default", "[10.1.0.3]",
	   "{app: frontend, org: empire, class: tiefighter}");

static const char eps_b[] =
	EPP("b1", "default", "[10.2.0.1, \"2001:db8:2::1\"]",
	    "{app: web, org: empire, class: deathstar}",
	    "[{name: http, port: 8080}]")
	EPP("b2", "default", "[10.2.0.2, \"2001:db8:2::2\"]", "{app: web}",
	    "[{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]")
	EPP("b3", "default", "[10.2.0.3]", "{app: web, tier: canary}",
	    "[{name: http, port: 8081}]")
	EPP("db", "default", "[10.2.0.10]", "{app: db, tier: data}",
	    "[{name: pg, port: 5432}]");

static const char eps_c[] =
	EPP("api", "prod", "[10.3.0.1]", "{app: api}",
	    "[{name: http, port: 9090}, {name: metrics, port: 9100}]")
	EP("web", "prod", "[10.3.0.2]", "{app: web}")
	EP("tools", "ops", "[10.3.0.3]", "{app: tools}");

static const char eps_d[] =
	EPP("batch", "default", "[10.5.0.1, \"2001:db8:5::1\"]",
	    "{app: batch, org: empire}", "[{name: http, port: 8088}]");

/* An address eps_a already gives c1. */
static const char eps_dup[] =
	EP("c9", "default", "[10.9.0.9, 10.1.0.1]", "{app: copycat}");

/* Its label set is one the identity callback refuses (ids.refuse). */
static const char eps_doomed[] =
	EP("doomed", "default", "[10.6.0.1]", "{app: doomed}");

struct pol {
	const char *name, *text;
};

static const struct pol pols[] = {
	{"p01-deathstar.yaml",
	 CNP("rule1")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {org: empire, class: deathstar}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {org: empire}}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: http, protocol: TCP}]\n"
	 "      rules:\n"
	 "        http:\n"
	 "        - {method: POST, path: /v1/request-landing}\n"
	 "  - fromEndpoints: [{matchLabels: {org: empire}}]\n"
	 "    icmps: [{fields: [{type: EchoRequest}, "
	 "{type: EchoRequest, family: IPv6}]}]\n"},
	{"p02-front-network.yaml",
	 CNP("front-network")
	 "spec:\n"
	 "  endpointSelector:\n"
	 "    matchLabels: {app: web}\n"
	 "    matchExpressions:\n"
	 "    - {key: class, operator: NotIn, values: [deathstar]}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {org: empire}}]\n"
	 "    toPorts: [{ports: [{port: \"8080\", protocol: TCP}]}]\n"
	 "  - fromCIDRSet:\n"
	 "    - {cidr: 10.1.0.0/24, except: [10.1.0.2/32]}\n"
	 "    - {cidr: \"2001:db8:1::/64\", except: [\"2001:db8:1::2/128\"]}\n"
	 "    toPorts: [{ports: [{port: \"8080\", protocol: TCP}]}]\n"
	 "  - fromCIDR: [10.1.0.0/24, \"2001:db8:1::/64\"]\n"
	 "    icmps: [{fields: [{type: 8}, {type: EchoRequest, family: IPv6}]}]\n"
	 "  egressDeny:\n"
	 "  - toCIDR: [10.1.0.2/32, \"2001:db8:1::2/128\"]\n"
	 "  enableDefaultDeny: {egress: false}\n"},
	{"p03-db-range.yaml",
	 CNP("db-range")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: db}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {app: web}}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: \"5432\", endPort: 5440, protocol: TCP}]\n"},
	{"p04-front-egress-named.yaml",
	 CNP("front-egress-named")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: frontend}}\n"
	 "  egress:\n"
	 "  - toEndpoints: [{matchLabels: {app: web}}]\n"
	 "    toPorts: [{ports: [{port: http}]}]\n"},
	{"p05-expressions.yaml",
	 CNP("expressions")
	 "spec:\n"
	 "  endpointSelector:\n"
	 "    matchExpressions: [{key: app, operator: In, values: [web, db]}]\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchExpressions: [{key: org, operator: "
	 "Exists}]}]\n"
	 "    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n"
	 "  - fromEndpoints:\n"
	 "    - matchExpressions:\n"
	 "      - {key: tier, operator: DoesNotExist}\n"
	 "      - {key: app, operator: NotIn, values: [intruder]}\n"
	 "    toPorts: [{ports: [{port: \"9000\", endPort: 9010, protocol: "
	 "UDP}]}]\n"},
	{"p06-deny-intruder.yaml",
	 CNP("deny-intruder")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: web}}\n"
	 "  ingressDeny:\n"
	 "  - fromEndpoints: [{matchLabels: {app: intruder}}]\n"},
	{"p07-front-entities.yaml",
	 CNP("front-entities")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: frontend}}\n"
	 "  egress:\n"
	 "  - toEntities: [cluster]\n"
	 "  egressDeny:\n"
	 "  - toEntities: [world]\n"
	 "    toPorts: [{ports: [{port: \"25\", protocol: TCP}]}]\n"},
	{"p08-web-world.yaml",
	 CNP("web-world")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: web}}\n"
	 "  egress:\n"
	 "  - toEntities: [world]\n"
	 "    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n"
	 "  - toEndpoints: [{matchLabels: {app: db}}]\n"
	 "    toPorts: [{ports: [{port: pg}]}]\n"},
	{"p09-l7-headers.yaml",
	 CNP("l7-headers")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: web}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {org: empire}}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: \"80\", protocol: TCP}]\n"
	 "      rules:\n"
	 "        http:\n"
	 "        - method: GET\n"
	 "          path: \"/api/.*\"\n"
	 "          headers: [\"X-Token\", \"X-Env: prod\"]\n"
	 "        - {method: \"PUT|PATCH\", path: \"/items/[0-9]+\"}\n"},
	{"p10-udp-sctp.yaml",
	 CNP("udp-sctp")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: db}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: \"53\", protocol: UDP}, {port: \"9999\", "
	 "protocol: SCTP}]\n"},
	{"p11-cidr-egress.yaml",
	 CNP("cidr-egress")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: frontend}}\n"
	 "  egress:\n"
	 "  - toCIDR: [192.0.2.0/24]\n"
	 "    toPorts: [{ports: [{port: \"80\", protocol: TCP}]}]\n"
	 "  - toCIDRSet: [{cidr: 198.51.100.0/24, except: [198.51.100.128/25]}]\n"},
	{"p12-prod-api.yaml",
	 CNP_NS("api", "prod")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: api}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints:\n"
	 "    - {matchLabels: {app: web}}\n"
	 "    - matchLabels: {k8s:io.kubernetes.pod.namespace: ops}\n"
	 "      matchExpressions: [{key: app, operator: In, values: [tools]}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: http, protocol: TCP}]\n"
	 "      rules: {http: [{path: \"/v2/.*\"}]}\n"},
	{"p13-intruder-open.yaml",
	 CNP("intruder-open")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: intruder}}\n"
	 "  enableDefaultDeny: {ingress: false}\n"
	 "  ingressDeny: [{toPorts: [{ports: [{port: \"23\"}]}]}]\n"},
	{"p14-db-icmp.yaml",
	 CNP("db-icmp")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: db}}\n"
	 "  ingress:\n"
	 "  - fromEntities: [cluster]\n"
	 "    icmps: [{fields: [{type: EchoRequest}]}]\n"},
	{"p15-specs.yaml",
	 CNP("specs")
	 "specs:\n"
	 "- endpointSelector: {matchLabels: {tier: canary}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: \"8081\", protocol: TCP}]\n"
	 "      rules: {http: [{method: GET}]}\n"
	 "- endpointSelector: {matchLabels: {app: db}}\n"
	 "  enableDefaultDeny: {egress: true}\n"},
	{"p16-two-docs.yaml",
	 CNP("ops-a")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: web}}\n"
	 "  ingress: [{fromEntities: [host]}]\n"
	 "---\n"
	 CNP("ops-b")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: frontend}}\n"
	 "  ingress:\n"
	 "  - fromEndpoints: [{matchLabels: {app: web}}]\n"
	 "    toPorts: [{ports: [{port: \"3000\", endPort: 3100}]}]\n"},
	{"p17-clusterwide.yaml",
	 CCNP("cw-block")
	 "spec:\n"
	 "  endpointSelector: {}\n"
	 "  ingressDeny:\n"
	 "  - fromCIDR: [203.0.113.0/24]\n"
	 "  egress:\n"
	 "  - toEndpoints: [{matchLabels: {app: api}}]\n"
	 "    toPorts: [{ports: [{port: metrics, protocol: TCP}]}]\n"
	 "  enableDefaultDeny: {ingress: false, egress: false}\n"},
	{"p18-deathstar-status.yaml",
	 CNP("deathstar-status")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {class: deathstar}}\n"
	 "  ingress:\n"
	 "  - toPorts:\n"
	 "    - ports: [{port: \"80\", protocol: TCP}]\n"
	 "      rules: {http: [{path: /status}, {method: GET, path: /v1/.*}]}\n"},
	{"p19-v6.yaml",
	 CNP("v6")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: web}}\n"
	 "  ingress:\n"
	 "  - fromCIDRSet: [{cidr: \"2001:db8::/32\", except: "
	 "[\"2001:db8:1::/48\"]}]\n"
	 "    toPorts: [{ports: [{port: \"8080\", protocol: TCP}]}]\n"},
	{"p20-ops-tools.yaml",
	 CNP_NS("tools", "ops")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: tools}}\n"
	 "  egress:\n"
	 "  - toEndpoints:\n"
	 "    - matchLabels: {k8s:io.kubernetes.pod.namespace: prod, app: api}\n"
	 "    toPorts: [{ports: [{port: metrics}]}]\n"},
	{"p21-world-ingress.yaml",
	 CNP("world-ingress")
	 "spec:\n"
	 "  endpointSelector: {matchLabels: {app: frontend}}\n"
	 "  ingress:\n"
	 "  - fromEntities: [world]\n"
	 "    toPorts:\n"
	 "    - ports: [{port: \"8443\", protocol: TCP}]\n"
	 "      rules:\n"
	 "        http: [{method: GET, path: /, headers: [X-Real-IP]}]\n"},
};

/* A policy that names a CIDR no other does. */
static const char pol_new_cidr[] =
	CNP("new-cidr")
	"spec:\n"
	"  endpointSelector: {matchLabels: {app: db}}\n"
	"  egress:\n"
	"  - toCIDR: [100.64.0.0/10]\n"
	"    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]\n";

/* A path regex the compiler refuses (a back-reference). */
static const char pol_bad_regex[] =
	CNP("bad-regex")
	"spec:\n"
	"  endpointSelector: {matchLabels: {app: db}}\n"
	"  ingress:\n"
	"  - fromEndpoints: [{matchLabels: {app: web}}]\n"
	"    toPorts:\n"
	"    - ports: [{port: \"8000\", protocol: TCP}]\n"
	"      rules: {http: [{path: \"/(a)\\\\1\"}]}\n";

#define SVC_HEAD(name) \
	"apiVersion: xgate.io/v1\nkind: Service\nmetadata: {name: " name "}\n"

static const char svc_web[] =
	SVC_HEAD("web")
	"spec:\n"
	"  addresses: [10.2.0.100, \"2001:db8:2::100\"]\n"
	"  ports:\n"
	"  - {name: http, port: 80, targetPort: 8080, protocol: TCP}\n"
	"  backends:\n"
	"  - {address: 10.2.0.1}\n"
	"  - {address: 10.2.0.2, weight: 3}\n"
	"  - {address: 10.2.0.3, state: terminating}\n"
	"  - {address: \"2001:db8:2::1\"}\n"
	"  - {address: \"2001:db8:2::2\", weight: 2}\n";

static const char svc_sticky[] =
	SVC_HEAD("web-sticky")
	"spec:\n"
	"  addresses: [10.2.0.101]\n"
	"  ports: [{port: 80, targetPort: 8080}, {port: 53, protocol: UDP}]\n"
	"  backends: [{address: 10.2.0.1}, {address: 10.2.0.2}]\n"
	"  sessionAffinity: ClientIP\n"
	"  sessionAffinityTimeoutSeconds: 600\n";

static const char svc_udp[] =
	SVC_HEAD("dns")
	"spec:\n"
	"  addresses: [10.2.0.53, \"2001:db8:2::53\"]\n"
	"  ports: [{name: dns, port: 53, targetPort: 5353, protocol: UDP}]\n"
	"  backends: [{address: \"2001:db8:2::2\"}, {address: 10.2.0.2}]\n";

/* svc_web's first VIP and port again, under another name. */
static const char svc_dup[] =
	SVC_HEAD("web-again")
	"spec:\n"
	"  addresses: [10.2.0.100]\n"
	"  ports: [{port: 80}]\n"
	"  backends: [{address: 10.2.0.3}]\n";

/* Endpoints, a service and a policy in one file. */
static const char mixed[] =
	EPP("m1", "default", "[10.4.0.1]", "{app: mixed}",
	    "[{name: http, port: 7070}]")
	"---\n"
	SVC_HEAD("mixed")
	"spec:\n"
	"  addresses: [10.4.0.100]\n"
	"  ports: [{port: 80, targetPort: 7070}]\n"
	"  backends: [{address: 10.4.0.1}]\n"
	"---\n"
	CNP("mixed")
	"spec:\n"
	"  endpointSelector: {matchLabels: {app: mixed}}\n"
	"  ingress:\n"
	"  - fromEndpoints: [{matchLabels: {app: frontend}}]\n"
	"    toPorts:\n"
	"    - ports: [{port: http, protocol: TCP}]\n"
	"      rules: {http: [{method: GET, path: /m}]}\n";

/* ------------------------------------------------------- identities -- */

/* Label key -> id from 256 up, in the order first asked; both compiles
 * of a step share it, as xgated's compiles share one allocator. */
struct ids {
	char **keys;
	size_t n, cap;
	const char *refuse; /* keys holding it get an error instead */
};

static int id_get(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct ids *s = arg;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], labels)) {
			*id = 256 + (__u32)i;
			return 0;
		}
	if (s->refuse && strstr(labels, s->refuse)) {
		xg_err_set(err, "identity", "no identity for %s", labels);
		return -ENOSPC;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->keys = realloc(s->keys, s->cap * sizeof(*s->keys));
		assert_non_null(s->keys);
	}
	s->keys[s->n] = strdup(labels);
	assert_non_null(s->keys[s->n]);
	*id = 256 + (__u32)s->n++;
	return 0;
}

static void ids_free(struct ids *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------ comparison -- */

#define DIFF(...)                                 \
	do {                                      \
		snprintf(why, len, __VA_ARGS__);  \
		return true;                      \
	} while (0)

/* Counts: a->f vs b->f, both size_t. */
#define CMP_N(f)                                                       \
	do {                                                           \
		n_values++;                                            \
		if (a->f != b->f)                                      \
			DIFF(#f ": %zu (plain) != %zu (cached)", a->f, \
			     b->f);                                    \
	} while (0)

/* An integer field of element i of array arr (x and y its two sides). */
#define CMP_U(arr, i, f)                                                    \
	do {                                                                \
		n_values++;                                                 \
		if ((unsigned long)(x->f) != (unsigned long)(y->f))         \
			DIFF("%s[%zu]." #f ": %lu (plain) != %lu (cached)", \
			     arr, (size_t)(i), (unsigned long)(x->f),       \
			     (unsigned long)(y->f));                        \
	} while (0)

/* Bytes of a field (addresses, fixed strings). */
#define CMP_MEM(arr, i, f)                                                 \
	do {                                                               \
		n_values++;                                                \
		if (memcmp(&x->f, &y->f, sizeof(x->f)))                    \
			DIFF("%s[%zu]." #f ": bytes differ", arr, (size_t)(i)); \
	} while (0)

static bool str_differ(const char *p, const char *q)
{
	if (!p || !q)
		return p != q;
	return strcmp(p, q) != 0;
}

/* Strings are compared as strings, whether a field is an array or a
 * pointer (into the compiled state's string pool). */
static const char *str_or_null(const char *s)
{
	return s ? s : "(null)";
}

#define CMP_S(arr, i, f)                                                   \
	do {                                                               \
		n_values++;                                                \
		if (str_differ(x->f, y->f))                                \
			DIFF("%s[%zu]." #f ": \"%s\" (plain) != \"%s\" (cached)", \
			     arr, (size_t)(i), str_or_null(x->f), str_or_null(y->f));      \
	} while (0)

static bool diff_l7(const struct xg_l7_ruleset *a, const struct xg_l7_ruleset *b,
		    size_t k, char *why, size_t len)
{
	char arr[64];

	snprintf(arr, sizeof(arr), "l7[%zu].rules", k);
	for (size_t i = 0; i < a->n; i++) {
		const struct xg_l7_http *x = &a->rules[i], *y = &b->rules[i];

		CMP_S(arr, i, method);
		CMP_S(arr, i, path);
		CMP_S(arr, i, host);
		CMP_U(arr, i, n_headers);
		for (size_t h = 0; h < x->n_headers; h++) {
			n_values++;
			if (str_differ(x->headers[h], y->headers[h]))
				DIFF("%s[%zu].headers[%zu]: \"%s\" (plain) != "
				     "\"%s\" (cached)",
				     arr, i, h, str_or_null(x->headers[h]),
				     str_or_null(y->headers[h]));
		}
	}
	return false;
}

static bool diff_backends(const struct xg_service_spec *a,
			  const struct xg_service_spec *b, size_t k, char *why,
			  size_t len)
{
	char arr[64];

	snprintf(arr, sizeof(arr), "svcs[%zu].b", k);
	for (size_t j = 0; j < a->n; j++) {
		const struct xg_backend_spec *x = &a->b[j], *y = &b->b[j];

		CMP_U(arr, j, family);
		CMP_U(arr, j, state);
		CMP_U(arr, j, weight);
		CMP_MEM(arr, j, addr);
		CMP_U(arr, j, port);
	}
	return false;
}

/* Is the cached result (b) other than the plain one (a)?  why: the
 * first difference. */
/* The origin spans tile 0..n_origins - 1 in order, and cookies outside
 * it name nothing. */
static bool spans_wrong(const struct xg_compiled *c, char *why, size_t len)
{
	size_t next = 0;

	for (size_t i = 0; i < c->n_ospans; i++) {
		if (c->ospans[i].first != next || !c->ospans[i].n ||
		    !c->ospans[i].v)
			DIFF("origin span %zu: first %zu, n %zu (expected first %zu)",
			     i, c->ospans[i].first, c->ospans[i].n, next);
		next += c->ospans[i].n;
	}
	if (next != c->n_origins)
		DIFF("origin spans hold %zu origins of %zu", next, c->n_origins);
	if (xg_compiled_origin(c, 0) ||
	    xg_compiled_origin(c, (__u32)c->n_origins + 1))
		DIFF("an origin for cookie 0 or %zu", c->n_origins + 1);
	return false;
}

static bool diff_compiled(const struct xg_compiled *a,
			  const struct xg_compiled *b, char *why, size_t len)
{
	CMP_N(n_ipc);
	for (size_t i = 0; i < a->n_ipc; i++) {
		const struct xg_ipc_entry *x = &a->ipc[i], *y = &b->ipc[i];

		CMP_U("ipc", i, pfx.family);
		CMP_U("ipc", i, pfx.len);
		CMP_MEM("ipc", i, pfx.addr);
		CMP_U("ipc", i, id);
	}
	CMP_N(n_idents);
	for (size_t i = 0; i < a->n_idents; i++) {
		const struct xg_ident *x = &a->idents[i], *y = &b->idents[i];

		CMP_U("idents", i, id);
		CMP_S("idents", i, labels);
	}
	CMP_N(n_rules);
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct xg_rule *x = &a->rules[i], *y = &b->rules[i];

		CMP_U("rules", i, subject);
		CMP_U("rules", i, peer);
		CMP_U("rules", i, dir);
		CMP_U("rules", i, action);
		CMP_U("rules", i, proto);
		CMP_U("rules", i, pad);
		CMP_U("rules", i, port_lo);
		CMP_U("rules", i, port_hi);
		CMP_U("rules", i, l7_ruleset);
		CMP_U("rules", i, cookie);
	}
	CMP_N(n_enf);
	for (size_t i = 0; i < a->n_enf; i++) {
		const struct xg_enforce *x = &a->enf[i], *y = &b->enf[i];

		CMP_U("enf", i, subject);
		CMP_U("enf", i, dir);
	}
	CMP_N(policy.n);
	for (size_t i = 0; i < a->policy.n; i++) {
		const struct xg_policy_entry *x = &a->policy.v[i],
					     *y = &b->policy.v[i];

		CMP_U("policy.v", i, key.prefixlen);
		CMP_U("policy.v", i, key.subject);
		CMP_U("policy.v", i, key.dir);
		CMP_U("policy.v", i, key.peer);
		CMP_U("policy.v", i, key.proto);
		CMP_U("policy.v", i, key.pad);
		CMP_U("policy.v", i, key.dport);
		CMP_U("policy.v", i, val.action);
		CMP_U("policy.v", i, val.prefixlen);
		CMP_U("policy.v", i, val.flags);
		CMP_U("policy.v", i, val.pad);
		CMP_U("policy.v", i, val.l7_ruleset);
		CMP_U("policy.v", i, val.cookie);
		CMP_U("policy.v", i, val.pad2);
	}
	CMP_N(n_origins);
	if (spans_wrong(a, why, len) || spans_wrong(b, why, len))
		return true;
	for (size_t i = 0; i < a->n_origins; i++) {
		const struct xg_rule_origin *x = xg_compiled_origin(a, (__u32)i + 1),
					    *y = xg_compiled_origin(b, (__u32)i + 1);

		if (!x || !y)
			DIFF("origin %zu not found", i);
		CMP_S("origins", i, policy);
		CMP_S("origins", i, file);
		CMP_S("origins", i, section);
		CMP_U("origins", i, rule);
		CMP_U("origins", i, item);
		CMP_U("origins", i, line);
	}
	CMP_N(n_l7);
	for (size_t i = 0; i < a->n_l7; i++) {
		const struct xg_l7_ruleset *x = &a->l7[i], *y = &b->l7[i];

		CMP_U("l7", i, id);
		CMP_U("l7", i, n);
		if (diff_l7(x, y, i, why, len))
			return true;
	}
	CMP_N(n_svcs);
	for (size_t i = 0; i < a->n_svcs; i++) {
		const struct xg_service_spec *x = &a->svcs[i], *y = &b->svcs[i];

		CMP_MEM("svcs", i, key.addr);
		CMP_U("svcs", i, key.port);
		CMP_U("svcs", i, key.proto);
		CMP_U("svcs", i, key.family);
		CMP_S("svcs", i, name);
		CMP_U("svcs", i, affinity_s);
		CMP_U("svcs", i, n);
		if (diff_backends(x, y, i, why, len))
			return true;
	}
	return false;
}

/* ----------------------------------------------------------- world -- */

/* One file of the store: its text and its current parse. */
struct file {
	char *name;
	char *text; /* NULL: a hand-built (zeroed) set */
	struct xg_doc_set set;
	bool gen0; /* passed as a copy of set with gen 0 */
};

#define MAX_FILES 64

struct world {
	const char *scen;
	int step;
	const char *what;
	struct file *f[MAX_FILES];
	size_t n;
	struct ids ids;
	struct xg_compile_cache *k;
	/* a second cache, compiled through with an index the test finds
	 * (as the daemon's document store keeps one) */
	struct xg_compile_cache *k_idx;
	struct xg_compile_cache_counts last;
	struct xg_compiled plain, cached; /* of the last step */
};

struct delta {
	long ep_reused, ep_made, src_reused, src_compiled;
};

/* The world lives in cmocka's state, so that teardown frees it after a
 * failed step as well. */
static int world_setup(void **state)
{
	*state = calloc(1, sizeof(struct world));
	return *state ? 0 : -1;
}

static void world_free(struct world *w);

static int world_teardown(void **state)
{
	world_free(*state);
	free(*state);
	return 0;
}

static void world_init(struct world *w, const char *scen)
{
	w->scen = scen;
	w->k = xg_compile_cache_new();
	w->k_idx = xg_compile_cache_new();
	assert_non_null(w->k);
	assert_non_null(w->k_idx);
}

static void file_free(struct file *f)
{
	if (!f)
		return;
	xg_doc_set_free(&f->set);
	free(f->text);
	free(f->name);
	free(f);
}

static void world_free(struct world *w)
{
	if (!w->scen)
		return;
	xg_compiled_free(&w->plain);
	xg_compiled_free(&w->cached);
	xg_compile_cache_free(w->k);
	xg_compile_cache_free(w->k_idx);
	for (size_t i = 0; i < w->n; i++)
		file_free(w->f[i]);
	ids_free(&w->ids);
	printf("[   INFO   ] %s: %d steps\n", w->scen, w->step);
	memset(w, 0, sizeof(*w));
}

static struct file *find(struct world *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->f[i]->name, name))
			return w->f[i];
	return NULL;
}

/* Puts (or replaces) a file: a new parse, so a new gen; the old set is
 * freed at once, as a store does when a file changes. */
static struct file *put(struct world *w, const char *name, const char *text)
{
	struct file *f = find(w, name);
	struct xg_doc_set set = {};
	struct xg_err err = {};
	char buf[512];

	if (xg_doc_parse_buf(name, text, strlen(text), &set, &err))
		fail_msg("%s: parse: %s", w->scen,
			 xg_err_str(&err, buf, sizeof(buf)));
	assert_int_not_equal(set.gen, 0);
	if (!f) {
		assert_true(w->n < MAX_FILES);
		f = calloc(1, sizeof(*f));
		assert_non_null(f);
		f->name = strdup(name);
		assert_non_null(f->name);
		w->f[w->n++] = f;
	} else {
		assert_int_not_equal(set.gen, f->set.gen);
		xg_doc_set_free(&f->set);
		free(f->text);
	}
	f->text = strdup(text);
	assert_non_null(f->text);
	f->set = set;
	f->gen0 = false;
	return f;
}

/* A file whose set was built by hand: zeroed, gen 0. */
static void put_zeroed(struct world *w, const char *name)
{
	struct file *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_null(find(w, name));
	assert_true(w->n < MAX_FILES);
	f->name = strdup(name);
	assert_non_null(f->name);
	w->f[w->n++] = f;
}

/* Takes a file out of the store, keeping it (set, gen, name) aside. */
static struct file *detach(struct world *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->f[i]->name, name)) {
			struct file *f = w->f[i];

			memmove(&w->f[i], &w->f[i + 1],
				(w->n - i - 1) * sizeof(w->f[0]));
			w->n--;
			return f;
		}
	fail_msg("%s: no file %s", w->scen, name);
	return NULL;
}

static void attach(struct world *w, struct file *f)
{
	assert_null(find(w, f->name));
	assert_true(w->n < MAX_FILES);
	w->f[w->n++] = f;
}

static void del(struct world *w, const char *name)
{
	file_free(detach(w, name));
}

static char *subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *r;

	if (!p)
		fail_msg("'%s' is not in the text", from);
	assert_true(asprintf(&r, "%.*s%s%s", (int)(p - s), s, to,
			     p + strlen(from)) > 0);
	return r;
}

/* Replaces the first `from` in the file's text with `to`, reparsed. */
static void edit(struct world *w, const char *name, const char *from,
		 const char *to)
{
	struct file *f = find(w, name);
	char *t;

	if (!f)
		fail_msg("%s: no file %s", w->scen, name);
	t = subst(f->text, from, to);
	put(w, name, t);
	free(t);
}

/* The same text parsed again: same documents, a new gen. */
static void reparse(struct world *w, const char *name)
{
	struct file *f = find(w, name);
	char *t;

	assert_non_null(f);
	t = strdup(f->text);
	assert_non_null(t);
	put(w, name, t);
	free(t);
}

static void put_all_policies(struct world *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(pols); i++)
		put(w, pols[i].name, pols[i].text);
}

/* Sources the cache may keep: parsed sets with policies, passed as
 * parsed. */
static long n_pol(const struct world *w)
{
	long n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += w->f[i]->set.n_cnps && w->f[i]->set.gen && !w->f[i]->gen0;
	return n;
}

static int src_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xg_compile_src *)a)->name,
		      ((const struct xg_compile_src *)b)->name);
}

/* What xg_compile_indexed is told instead of walking the sources: found
 * here from the definition in compile.h. */
struct index_buf {
	__u32 pol[MAX_FILES], svc[MAX_FILES];
	unsigned long long gens[MAX_FILES];
	struct xg_compile_index idx;
};

static void index_of(const struct xg_compile_src *src, size_t n,
		     struct index_buf *b)
{
	size_t n_gens = 0;
	bool gen0 = false;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < n; i++) {
		if (src[i].set->n_cnps)
			b->pol[b->idx.n_pol++] = (__u32)i;
		if (src[i].set->n_services)
			b->svc[b->idx.n_svc++] = (__u32)i;
		if (src[i].set->n_endpoints) {
			gen0 |= !src[i].set->gen;
			b->gens[n_gens++] = src[i].set->gen;
		}
	}
	b->idx.pol = b->pol;
	b->idx.svc = b->svc;
	b->idx.ep_gens = b->gens;
	b->idx.n_ep_gens = gen0 ? SIZE_MAX : n_gens;
}

static bool compiled_empty(const struct xg_compiled *c)
{
	static const struct xg_compiled zero;

	return !memcmp(c, &zero, sizeof(zero));
}

/*
 * One step: every file as a source, sorted by name, compiled plain and
 * with the cache (which first alternates, the identity allocator being
 * shared), the two results compared.  want: the return both must give.
 * Returns how the cache's counters moved.
 */
static struct delta step(struct world *w, const char *what, int want)
{
	struct xg_compile_src src[MAX_FILES];
	struct xg_doc_set *zero = calloc(w->n + 1, sizeof(*zero));
	struct xg_err e_plain = {}, e_cached = {};
	struct xg_compile_cache_counts now;
	char why[512], b1[512], b2[512];
	struct delta d;
	int r_plain, r_cached;

	assert_non_null(zero);
	w->step++;
	w->what = what;
	n_steps++;
	xg_compiled_free(&w->plain);
	xg_compiled_free(&w->cached);
	for (size_t i = 0; i < w->n; i++) {
		const struct xg_doc_set *set = &w->f[i]->set;

		if (w->f[i]->gen0) { /* a copy that does not say its parse */
			zero[i] = *set;
			zero[i].gen = 0;
			set = &zero[i];
		}
		src[i] = (struct xg_compile_src){ w->f[i]->name, set };
	}
	qsort(src, w->n, sizeof(*src), src_cmp);
	if (w->step % 2) {
		r_cached = xg_compile_cached(w->k, src, w->n, id_get, &w->ids,
					     &w->cached, &e_cached);
		r_plain = xg_compile(src, w->n, id_get, &w->ids, &w->plain,
				     &e_plain);
	} else {
		r_plain = xg_compile(src, w->n, id_get, &w->ids, &w->plain,
				     &e_plain);
		r_cached = xg_compile_cached(w->k, src, w->n, id_get, &w->ids,
					     &w->cached, &e_cached);
	}
	{
		/* the same through the caller's index, on its own cache */
		struct xg_compiled indexed;
		struct xg_err e_idx = {};
		struct index_buf *ib = malloc(sizeof(*ib));
		int r_idx;

		assert_non_null(ib);
		index_of(src, w->n, ib);
		r_idx = xg_compile_indexed(w->k_idx, src, w->n, &ib->idx, id_get,
					   &w->ids, &indexed, &e_idx);
		free(ib);
		if (r_idx != want)
			fail_msg("%s, step %d (%s): indexed compile returned %d, want %d: %s",
				 w->scen, w->step, what, r_idx, want,
				 xg_err_str(&e_idx, b1, sizeof(b1)));
		if (!r_idx && !r_plain) {
			if (diff_compiled(&w->plain, &indexed, why, sizeof(why)))
				fail_msg("%s, step %d (%s): indexed differs from plain at %s",
					 w->scen, w->step, what, why);
			n_values++;
		}
		xg_compiled_free(&indexed);
	}
	free(zero); /* the cache must not keep pointers into gen-0 sets */

	if (r_plain != want)
		fail_msg("%s, step %d (%s): plain compile returned %d, want %d: %s",
			 w->scen, w->step, what, r_plain, want,
			 xg_err_str(&e_plain, b1, sizeof(b1)));
	if (r_cached != r_plain)
		fail_msg("%s, step %d (%s): cached compile returned %d, plain %d: "
			 "cached '%s', plain '%s'",
			 w->scen, w->step, what, r_cached, r_plain,
			 xg_err_str(&e_cached, b1, sizeof(b1)),
			 xg_err_str(&e_plain, b2, sizeof(b2)));
	if (r_plain) {
		n_values += 4;
		if (strcmp(e_plain.where, e_cached.where) ||
		    strcmp(e_plain.msg, e_cached.msg) ||
		    e_plain.line != e_cached.line || e_plain.col != e_cached.col)
			fail_msg("%s, step %d (%s): errors differ: plain '%s', "
				 "cached '%s'",
				 w->scen, w->step, what,
				 xg_err_str(&e_plain, b1, sizeof(b1)),
				 xg_err_str(&e_cached, b2, sizeof(b2)));
		if (!compiled_empty(&w->plain) || !compiled_empty(&w->cached))
			fail_msg("%s, step %d (%s): a failed compile left output",
				 w->scen, w->step, what);
	} else if (diff_compiled(&w->plain, &w->cached, why, sizeof(why))) {
		fail_msg("%s, step %d (%s): cached differs from plain at %s",
			 w->scen, w->step, what, why);
	}
	xg_compiled_free(&w->cached);

	xg_compile_cache_counts(w->k, &now);
	d.ep_reused = (long)(now.endpoints_reused - w->last.endpoints_reused);
	d.ep_made = (long)(now.endpoints_made - w->last.endpoints_made);
	d.src_reused = (long)(now.sources_reused - w->last.sources_reused);
	d.src_compiled =
		(long)(now.sources_compiled - w->last.sources_compiled);
	w->last = now;
	return d;
}

#define ANY (-1L)

/* The counters' moves in the last step; ANY: not checked. */
static void expect(const struct world *w, struct delta d, long ep_reused,
		   long ep_made, long src_reused, long src_compiled)
{
	const struct {
		const char *name;
		long got, want;
	} c[] = {
		{ "endpoints_reused", d.ep_reused, ep_reused },
		{ "endpoints_made", d.ep_made, ep_made },
		{ "sources_reused", d.src_reused, src_reused },
		{ "sources_compiled", d.src_compiled, src_compiled },
	};

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		if (c[i].want == ANY)
			continue;
		n_count_checks++;
		if (c[i].got != c[i].want)
			fail_msg("%s, step %d (%s): %s went up by %ld, want %ld "
				 "(counts: endpoints %ld reused / %ld made, "
				 "sources %ld reused / %ld compiled)",
				 w->scen, w->step, w->what, c[i].name, c[i].got,
				 c[i].want, d.ep_reused, d.ep_made, d.src_reused,
				 d.src_compiled);
	}
}

/* A step that must change nothing but reuse: everything comes from the
 * cache. */
static void step_unchanged(struct world *w, const char *what)
{
	struct delta d = step(w, what, 0);

	expect(w, d, 1, 0, n_pol(w), 0);
}

/* One policy file changed (or reparsed): it alone is compiled. */
static void step_one_policy(struct world *w, const char *what)
{
	struct delta d = step(w, what, 0);

	expect(w, d, 1, 0, n_pol(w) - 1, 1);
}

/* ------------------------------------------------------- scenarios -- */

static void put_endpoints(struct world *w)
{
	put(w, "eps-a.yaml", eps_a);
	put(w, "eps-b.yaml", eps_b);
	put(w, "eps-c.yaml", eps_c);
}

static bool has_cidr_ident(const struct xg_compiled *c)
{
	for (size_t i = 0; i < c->n_idents; i++)
		if (!strncmp(c->idents[i].labels, "cidr:", 5))
			return true;
	return false;
}

/* Scenario 1: many policies, edited one at a time. */
static void test_policy_edits(void **state)
{
	struct world *w = *state;
	struct file *aside;
	struct delta d;
	long p;

	world_init(w, "policy edits");
	put_endpoints(w);
	put_all_policies(w);
	d = step(w, "first compile", 0);
	expect(w, d, 0, 1, 0, n_pol(w));
	/* the documents compile to something worth comparing */
	assert_int_equal(n_pol(w), (long)ARRAY_SIZE(pols));
	assert_true(w->plain.n_rules > 50);
	assert_true(w->plain.policy.n > 50);
	assert_true(w->plain.n_l7 >= 3);
	assert_true(w->plain.n_enf > 5);
	assert_true(w->plain.n_origins > 20);
	assert_true(has_cidr_ident(&w->plain));

	step_unchanged(w, "nothing changed");

	edit(w, "p03-db-range.yaml", "endPort: 5440", "endPort: 5450");
	step_one_policy(w, "one policy's port range changed");

	edit(w, "p09-l7-headers.yaml", "\"/api/.*\"", "\"/api/v2/.*\"");
	step_one_policy(w, "another policy's L7 path changed");

	aside = detach(w, "p10-udp-sctp.yaml");
	step_unchanged(w, "a policy source removed");

	attach(w, aside);
	d = step(w, "the same source added back", 0);
	p = n_pol(w);
	expect(w, d, 1, 0, ANY, ANY);
	n_count_checks += 2;
	if (d.src_reused + d.src_compiled != p || d.src_reused < p - 1)
		fail_msg("%s, step %d: sources %ld reused, %ld compiled; want "
			 "%ld in all, at least %ld reused",
			 w->scen, w->step, d.src_reused, d.src_compiled, p, p - 1);

	put(w, "p22-new-cidr.yaml", pol_new_cidr);
	d = step(w, "a policy with a new CIDR (CIDR identities renumber)", 0);
	expect(w, d, 1, 0, 0, n_pol(w));

	step_unchanged(w, "nothing changed after the new CIDR");

	edit(w, "p17-clusterwide.yaml", "203.0.113.0/24", "203.0.113.0/25");
	d = step(w, "the clusterwide policy's CIDR changed (same count)", 0);
	expect(w, d, 1, 0, 0, n_pol(w));

	edit(w, "eps-b.yaml", "tier: canary", "tier: stable");
	d = step(w, "an endpoint file's labels changed", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	reparse(w, "p05-expressions.yaml");
	step_one_policy(w, "a policy reparsed from the same text");

	del(w, "p22-new-cidr.yaml");
	d = step(w, "the new-CIDR policy deleted", 0);
	expect(w, d, 1, 0, 0, n_pol(w));

	edit(w, "eps-a.yaml", "[10.1.0.3]", "[10.1.0.4]");
	d = step(w, "an endpoint's address changed (same labels)", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	edit(w, "eps-b.yaml", "port: 8081", "port: 8082");
	d = step(w, "an endpoint's named port changed", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	put(w, "eps-d.yaml", eps_d);
	d = step(w, "an endpoint file with new labels added", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	edit(w, "p16-two-docs.yaml", "endPort: 3100", "endPort: 3200");
	step_one_policy(w, "the second document of a two-policy file changed");

	edit(w, "p01-deathstar.yaml", "/v1/request-landing", "/v1/request-.*");
	step_one_policy(w, "an L7 rule on a named port changed");

	edit(w, "p04-front-egress-named.yaml", "port: http", "port: dns");
	edit(w, "p08-web-world.yaml", "\"443\"", "\"8443\"");
	d = step(w, "two policies changed at once", 0);
	expect(w, d, 1, 0, n_pol(w) - 2, 2);

	del(w, "eps-d.yaml");
	d = step(w, "an endpoint file deleted", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	step_unchanged(w, "nothing changed, at the end");
}

/* Scenario 2: compiles that fail, and the good ones after them. */
static void test_failures(void **state)
{
	struct world *w = *state;
	struct delta d;

	world_init(w, "failures");
	put_endpoints(w);
	for (size_t i = 0; i < 8; i++)
		put(w, pols[i].name, pols[i].text);
	put(w, "svc-web.yaml", svc_web);
	d = step(w, "first compile", 0);
	expect(w, d, 0, 1, 0, n_pol(w));
	step_unchanged(w, "nothing changed");

	/* the endpoint stage fails */
	put(w, "eps-dup.yaml", eps_dup);
	step(w, "an endpoint address in two files", -EINVAL);
	step(w, "the same again", -EINVAL);
	del(w, "eps-dup.yaml");
	step(w, "the duplicate removed", 0);
	step_unchanged(w, "nothing changed after the duplicate");

	/* a policy fails, after others were compiled or replayed */
	put(w, "p05-bad-regex.yaml", pol_bad_regex);
	step(w, "a policy with a bad regex", -EINVAL);
	step(w, "the same again", -EINVAL);
	edit(w, "p05-bad-regex.yaml", "/(a)\\\\1", "/(a)+");
	step(w, "the regex fixed", 0);
	step_unchanged(w, "nothing changed after the regex");

	/* services fail, after every policy compiled */
	put(w, "svc-zdup.yaml", svc_dup);
	step(w, "a service on another's VIP and port", -EINVAL);
	edit(w, "p03-db-range.yaml", "\"5432\"", "\"5431\"");
	step(w, "a policy changed, the service still bad", -EINVAL);
	del(w, "svc-zdup.yaml");
	step(w, "the service removed", 0);
	step_unchanged(w, "nothing changed after the service");

	/* the identity callback fails */
	w->ids.refuse = "doomed";
	put(w, "eps-doomed.yaml", eps_doomed);
	step(w, "an identity the allocator refuses", -ENOSPC);
	del(w, "eps-doomed.yaml");
	step(w, "that endpoint removed", 0);
	step_unchanged(w, "nothing changed after the identity");

	/* new endpoints and a bad policy at once: the endpoint stage made
	 * by a compile that failed, used by the next */
	edit(w, "eps-b.yaml", "tier: canary", "tier: stable");
	put(w, "p05-bad-regex.yaml", pol_bad_regex);
	step(w, "endpoints changed and a bad regex", -EINVAL);
	edit(w, "p05-bad-regex.yaml", "/(a)\\\\1", "/(b)+");
	step(w, "the regex fixed, endpoints as in the failed compile", 0);
	step_unchanged(w, "nothing changed at the end");

	/* a failure with no change before it, then back */
	put(w, "eps-dup.yaml", eps_dup);
	step(w, "the duplicate address again", -EINVAL);
	del(w, "eps-dup.yaml");
	edit(w, "p06-deny-intruder.yaml", "app: intruder", "app: db");
	step(w, "the duplicate removed, a policy changed", 0);
	step_unchanged(w, "nothing changed, at the end");
}

/* Scenario 3: sets with gen 0 are never reused, and still compile the
 * same. */
static void test_gen_zero(void **state)
{
	struct world *w = *state;
	struct file *orig;
	struct delta d;
	char *t;

	world_init(w, "gen 0");
	put_endpoints(w);
	for (size_t i = 0; i < 10; i++)
		put(w, pols[i].name, pols[i].text);
	d = step(w, "first compile", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	find(w, "p02-front-network.yaml")->gen0 = true;
	d = step(w, "a policy set passed with gen 0", 0);
	expect(w, d, 1, 0, n_pol(w), 0); /* n_pol leaves it out */
	d = step(w, "the same again", 0);
	expect(w, d, 1, 0, n_pol(w), 0);

	/* another set behind gen 0 under the same name */
	edit(w, "p02-front-network.yaml", "\"8080\"", "\"8090\"");
	find(w, "p02-front-network.yaml")->gen0 = true;
	d = step(w, "other documents behind gen 0, same name", 0);
	expect(w, d, 1, 0, n_pol(w), 0);

	/* endpoints behind gen 0: the stage is made each time */
	orig = detach(w, "eps-b.yaml");
	t = subst(orig->text, "tier: canary", "tier: gen-zero");
	put(w, "eps-b.yaml", t)->gen0 = true;
	free(t);
	d = step(w, "an endpoint set with gen 0 (other labels)", 0);
	expect(w, d, 0, 1, 0, n_pol(w));
	d = step(w, "the same again", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	/* Back to the parse the cache still holds its endpoint stage from
	 * (the gen-0 compiles could not replace it).  What the cache made in
	 * those compiles (ipcache, identities, the sources' rules) came from
	 * the gen-0 endpoints, not from this stage: it may not be used with
	 * it. */
	del(w, "eps-b.yaml");
	attach(w, orig);
	step(w, "the endpoint set back to its earlier parse", 0);
	step_unchanged(w, "nothing changed after it");

	put_zeroed(w, "zz-empty.yaml");
	d = step(w, "a hand-built zeroed set added", 0);
	expect(w, d, 1, 0, n_pol(w), 0);

	for (size_t i = 0; i < w->n; i++)
		w->f[i]->gen0 = true;
	d = step(w, "every set with gen 0", 0);
	expect(w, d, 0, 1, 0, 0);
	d = step(w, "the same again", 0);
	expect(w, d, 0, 1, 0, 0);

	for (size_t i = 0; i < w->n; i++)
		w->f[i]->gen0 = false;
	step(w, "every set as parsed again", 0);
	step_unchanged(w, "nothing changed after it");

	/* policies behind gen 0 while the endpoints change */
	for (size_t i = 0; i < w->n; i++)
		w->f[i]->gen0 = w->f[i]->set.n_cnps > 0;
	edit(w, "eps-a.yaml", "[10.1.0.3]", "[10.1.0.7]");
	d = step(w, "every policy with gen 0, endpoints changed", 0);
	expect(w, d, 0, 1, 0, 0);
	for (size_t i = 0; i < w->n; i++)
		w->f[i]->gen0 = false;
	d = step(w, "policies as parsed again", 0);
	expect(w, d, 1, 0, ANY, ANY);
	step_unchanged(w, "nothing changed, at the end");
}

/* Scenario 4: services go through unchanged, alone or in files with
 * endpoints and policies. */
static void test_services(void **state)
{
	struct world *w = *state;
	struct delta d;

	world_init(w, "services");
	put_endpoints(w);
	for (size_t i = 0; i < 12; i++)
		put(w, pols[i].name, pols[i].text);
	put(w, "svc-web.yaml", svc_web);
	put(w, "svc-web-sticky.yaml", svc_sticky);
	d = step(w, "first compile", 0);
	expect(w, d, 0, 1, 0, n_pol(w));
	assert_int_equal(w->plain.n_svcs, 4);
	step_unchanged(w, "nothing changed");

	edit(w, "svc-web.yaml", "weight: 3", "weight: 5");
	d = step(w, "a backend's weight changed", 0);
	expect(w, d, 1, 0, n_pol(w), 0);

	put(w, "svc-dns.yaml", svc_udp);
	d = step(w, "a UDP service added", 0);
	expect(w, d, 1, 0, n_pol(w), 0);
	assert_int_equal(w->plain.n_svcs, 6);

	del(w, "svc-web-sticky.yaml");
	d = step(w, "the sticky service deleted", 0);
	expect(w, d, 1, 0, n_pol(w), 0);

	edit(w, "p03-db-range.yaml", "\"5432\"", "\"5433\"");
	step_one_policy(w, "a policy changed among services");

	put(w, "mixed.yaml", mixed);
	d = step(w, "a file with endpoints, a service and a policy", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	edit(w, "mixed.yaml", "targetPort: 7070", "targetPort: 7071");
	d = step(w, "the mixed file's service changed", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	edit(w, "mixed.yaml", "path: /m", "path: /n");
	d = step(w, "the mixed file's policy changed", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	edit(w, "p04-front-egress-named.yaml", "app: web", "app: mixed");
	step_one_policy(w, "a policy now selecting the mixed endpoint");

	put(w, "svc-web-sticky.yaml", svc_sticky);
	d = step(w, "the sticky service back", 0);
	expect(w, d, 1, 0, n_pol(w), 0);
	assert_int_equal(w->plain.n_svcs, 7);
	step_unchanged(w, "nothing changed, at the end");
}

/* Scenario 5: random edits (a fixed seed): policies changed, removed
 * and added, endpoints changed, sets reparsed, CIDRs coming and going. */
static __u32 rnd_state = 12345;

static __u32 rnd(__u32 n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* Policy i with variant v: 0 as written; 1, 2 with one more policy
 * (its port by v); 3 with one more policy naming a CIDR of its own. */
static char *policy_variant(size_t i, __u32 v)
{
	static const char *subj[] = { "web", "db", "frontend", "intruder" };
	static const char *peer[] = { "frontend", "web", "db", "web" };
	char *s;

	if (!v)
		s = strdup(pols[i].text);
	else if (v < 3)
		assert_true(asprintf(&s,
				     "%s---\n" CNP("extra-%zu")
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: %s}}\n"
				     "  ingress:\n"
				     "  - fromEndpoints: [{matchLabels: {app: %s}}]\n"
				     "    toPorts: [{ports: [{port: \"%u\", "
				     "protocol: TCP}]}]\n",
				     pols[i].text, i, subj[i % 4], peer[i % 4],
				     7000 + 10 * (unsigned)i + v) > 0);
	else
		assert_true(asprintf(&s,
				     "%s---\n" CNP("extra-%zu")
				     "spec:\n"
				     "  endpointSelector: {matchLabels: {app: %s}}\n"
				     "  egress:\n"
				     "  - toCIDR: [100.64.%zu.0/24]\n",
				     pols[i].text, i, subj[i % 4], i) > 0);
	assert_non_null(s);
	return s;
}

static void test_random_edits(void **state)
{
	static const char *eps_names[] = { "eps-a.yaml", "eps-b.yaml" };
	static const char *eps_from[] = { "[10.1.0.3]", "tier: canary" };
	static const char *eps_to[] = { "[10.1.0.8]", "tier: blue" };
	bool eps_alt[2] = {};
	struct world *w = *state;
	struct delta d;
	char what[128];

	world_init(w, "random edits");
	put_endpoints(w);
	put_all_policies(w);
	put(w, "svc-web.yaml", svc_web);
	d = step(w, "first compile", 0);
	expect(w, d, 0, 1, 0, n_pol(w));

	for (int s = 0; s < 80; s++) {
		__u32 op = rnd(100);
		size_t i = rnd(ARRAY_SIZE(pols));
		struct file *f = find(w, pols[i].name);
		char *t;

		if (op < 35) {
			__u32 v = rnd(4);

			if (!f)
				continue;
			t = policy_variant(i, v);
			put(w, pols[i].name, t);
			free(t);
			snprintf(what, sizeof(what), "%s as variant %u",
				 pols[i].name, v);
		} else if (op < 50) {
			if (f) {
				del(w, pols[i].name);
				snprintf(what, sizeof(what), "%s deleted",
					 pols[i].name);
			} else {
				put(w, pols[i].name, pols[i].text);
				snprintf(what, sizeof(what), "%s added",
					 pols[i].name);
			}
		} else if (op < 60) {
			__u32 e = rnd(2);

			if (eps_alt[e])
				edit(w, eps_names[e], eps_to[e], eps_from[e]);
			else
				edit(w, eps_names[e], eps_from[e], eps_to[e]);
			eps_alt[e] = !eps_alt[e];
			snprintf(what, sizeof(what), "%s changed", eps_names[e]);
		} else if (op < 75) {
			const char *name = w->f[rnd((__u32)w->n)]->name;

			snprintf(what, sizeof(what), "%s reparsed", name);
			reparse(w, name);
		} else if (op < 85) {
			snprintf(what, sizeof(what), "nothing changed");
		} else if (op < 92) {
			if (find(w, "svc-web.yaml"))
				del(w, "svc-web.yaml");
			else
				put(w, "svc-web.yaml", svc_web);
			snprintf(what, sizeof(what), "service toggled");
		} else {
			size_t j = (i + 1 + rnd(ARRAY_SIZE(pols) - 1)) %
				   ARRAY_SIZE(pols);

			if (f) {
				t = policy_variant(i, 1 + rnd(2));
				put(w, pols[i].name, t);
				free(t);
			}
			if (find(w, pols[j].name)) {
				t = policy_variant(j, rnd(3));
				put(w, pols[j].name, t);
				free(t);
			}
			snprintf(what, sizeof(what), "%s and %s changed",
				 pols[i].name, pols[j].name);
		}
		d = step(w, what, 0);
		/* every parsed source with policies was either reused or
		 * compiled; nothing else */
		n_count_checks++;
		if (d.src_reused + d.src_compiled != n_pol(w) ||
		    d.ep_reused + d.ep_made != 1)
			fail_msg("%s, step %d (%s): sources %ld reused + %ld "
				 "compiled, want %ld; endpoint stage %ld + %ld",
				 w->scen, w->step, what, d.src_reused,
				 d.src_compiled, n_pol(w), d.ep_reused,
				 d.ep_made);
	}
}

static int report(void **state)
{
	printf("[   INFO   ] %zu steps, %zu values compared, %zu counter "
	       "checks\n",
	       n_steps, n_values, n_count_checks);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_edits, world_setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_failures, world_setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_gen_zero, world_setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_services, world_setup,
						world_teardown),
		cmocka_unit_test_setup_teardown(test_random_edits, world_setup,
						world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, report) ? 1 : 0;
}
