/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy compiler: from every document the store holds (Cilium
 * network policies, endpoints, services) to what the datapath's maps
 * should hold.  Pure: it reads documents and asks for identities, and
 * writes nothing; dp_sync.h applies the result.
 *
 * Semantics (DESIGN.md, "Control plane"; docs/policy.md):
 *  - an endpoint's identity is that of its labels plus its namespace;
 *  - a rule selects subjects with endpointSelector; a namespaced
 *    policy's selectors stay in its namespace unless they name the
 *    namespace label; a clusterwide one's do not;
 *  - a subject selected by a rule with an ingress (egress) section,
 *    allow or deny, is enforced in that direction (default deny) unless
 *    enableDefaultDeny says false; enableDefaultDeny true enforces it
 *    even without rules;
 *  - in one item, peers and ports are ANDed; peers with each other,
 *    items, rules and policies are ORed; deny beats allow;
 *  - every CIDR a policy names gets a local identity (2^24 and up) and
 *    an ipcache entry; a CIDR peer selects the identities of the
 *    prefixes inside it, minus those inside an `except`; the world
 *    entity selects world and every CIDR identity; CIDR peers do not
 *    select endpoints (an endpoint's own entry is more specific);
 *  - protocol ANY means TCP, UDP and SCTP; a named port resolves against
 *    the endpoints on the side that owns it (the subject for ingress,
 *    the peer for egress); an item with L7 rules gets an L7 ruleset id
 *    on its TCP entries (L7 is HTTP over TCP);
 *  - an L7 ruleset's id is a function of its rules (compile.c: equal
 *    rules are one ruleset, with the same id in every compile); where
 *    allows meet (one key, or a less specific allow covering a more
 *    specific one) the entry the datapath picks carries the union of
 *    their rulesets, or all HTTP when one of them is a plain L3/L4 allow
 *    (policy_state.h);
 *  - `method`, `path` and `host` must compile as the fast path compiles
 *    them (fastpath/l7/regex.h), or the document is refused.
 */
#ifndef XGATE_CTRL_POLICY_COMPILE_H
#define XGATE_CTRL_POLICY_COMPILE_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp/abi.h"
#include "ctrl/doc/doc.h"
#include "ctrl/entries.h"
#include "ctrl/err.h"
#include "ctrl/policy_state.h"
#include "ctrl/policy/strpool.h"

#define XG_ID_CIDR_BASE (1u << 24) /* local CIDR identities, as Cilium's */

/* One file's (or kvstore key's) documents. */
struct xg_compile_src {
	const char *name;
	const struct xg_doc_set *set;
};

/* The identity of a canonical label set (labels.h), allocating it the
 * first time. */
typedef int (*xg_identity_fn)(void *arg, const char *labels, __u32 *id,
			      struct xg_err *err);

struct xg_ipc_entry {
	struct xg_prefix pfx;
	__u32 id;
};

/* An identity the compiled state uses, for listings. */
struct xg_ident {
	__u32 id;
	const char *labels; /* label-set key, or "cidr:198.51.100.0/24" */
};

/* What a rule cookie (cookie - 1 indexes these) stands for. */
struct xg_rule_origin {
	const char *policy; /* "ns/name", or "name" when clusterwide */
	const char *file;
	const char *section; /* ingress, egress, ingressDeny, egressDeny */
	int rule, item; /* indices in specs and in the section */
	int line;
};

struct xg_l7_http {
	char *method, *path, *host; /* regexes (whole value); NULL: anything */
	char **headers; /* "name" or "name: value", name in lower case */
	size_t n_headers;
};

/* An L7 ruleset: its rules are ORed; fastpath/l7/match.h enforces it.
 * As compiled: canonical (rules sorted and unique; a rule without any
 * field, which allows everything, is then the only one), and the id,
 * 1 .. 2^31 - 1, a hash of the rules (compile.c). */
struct xg_l7_ruleset {
	__u32 id;
	struct xg_l7_http *rules;
	size_t n;
};

struct xg_backend_spec {
	__u8 family;
	__u8 state; /* enum xg_backend_state */
	__u16 weight;
	__u8 addr[16];
	__be16 port;
};

struct xg_service_spec {
	struct xg_svc_key key;
	char name[192]; /* "ns/name:port/proto" */
	__u32 affinity_s;
	struct xg_backend_spec *b;
	size_t n;
};

struct xg_env_blob;

/* Origins first .. first + n - 1, at v. */
struct xg_origin_span {
	size_t first, n;
	const struct xg_rule_origin *v;
};
struct xg_strblock;

struct xg_compiled {
	struct xg_ipc_entry *ipc;
	size_t n_ipc;
	struct xg_ident *idents;
	size_t n_idents;
	struct xg_rule *rules;
	size_t n_rules;
	struct xg_enforce *enf;
	size_t n_enf;
	struct xg_policy_set policy; /* the policy map's entries */
	/* Rule origins: cookie c names origin c - 1 of n_origins, found in
	 * the span that holds it (xg_compiled_origin).  A cached policy
	 * file's origins are pointed at, not copied; those compiled now are
	 * in own_origins. */
	size_t n_origins;
	struct xg_origin_span *ospans; /* by first, ascending */
	size_t n_ospans;
	struct xg_rule_origin *own_origins;
	size_t n_own_origins;
	struct xg_l7_ruleset *l7; /* those policy entries use, by id */
	size_t n_l7;
	struct xg_service_spec *svcs;
	size_t n_svcs;
	struct xg_strpool strs; /* the strings idents and origins point to */
	/* and the compile cache's blocks that spans of origins replayed
	 * from it point into (compile.c), one reference each */
	struct xg_strblock **blocks;
	size_t n_blocks;
	/* When set, ipc and idents (and their labels) are a compile cache's,
	 * shared and read only (compile.c); xg_compiled_free lets go. */
	struct xg_env_blob *shared;
};

/* Compiles everything.  Returns 0, or a negative errno with err naming
 * the document (file: field, line) that could not be compiled; *out is
 * then empty. */
int xg_compile(const struct xg_compile_src *src, size_t n_src,
	       xg_identity_fn id_fn, void *id_arg, struct xg_compiled *out,
	       struct xg_err *err);
void xg_compiled_free(struct xg_compiled *c);

/* The origin of the rule with this cookie; NULL for cookie 0 (rules the
 * compiler added, e.g. keep-open) or one out of range. */
const struct xg_rule_origin *xg_compiled_origin(const struct xg_compiled *c,
					       __u32 cookie);

/* Nonzero when c's ipcache is a compile cache's shared one: two compiled
 * states with the same nonzero serial hold the very same ipc entries, so
 * a sync need not compare 110,000 of them to know nothing moved.  Serials
 * are never reused in a process. */
unsigned long long xg_compiled_ipc_serial(const struct xg_compiled *c);

/*
 * A compile cache: what one compile worked out that the next can use
 * unchanged, so that one policy changed among 10,000 costs a fraction of
 * a full compile:
 *  - the endpoint stage (identities of the endpoints' label sets, their
 *    addresses, the selector index), kept while the sets that hold
 *    endpoints are the same ones (by their parse generation, doc.h) in
 *    the same order;
 *  - per set with policies, the rules, origins, enforced pairs and L7
 *    rulesets its policies compiled to, used again while the endpoint
 *    stage was reused and the CIDR identities are the same: a policy's
 *    rules depend on nothing else.
 *  - the merge into policy-map entries, per (subject, direction) whose
 *    rules are the very ones of the last compile (policy_state.h).
 * What stays global is cheap next to it: CIDRs, the ipcache, putting
 * the parts together.  The cache points into those
 * sets and at their names, so a set must stay alive and unchanged, under
 * the same name, for as long as it is passed again; a set that was not
 * parsed (gen 0) is never cached.  The result is the same as
 * xg_compile's, entry for entry (tests/unit/test_compile_cache.c).
 * Identities are not asked for again on a hit: a label set's identity
 * never changes once allocated.
 */
struct xg_compile_cache;

struct xg_compile_cache *xg_compile_cache_new(void);
void xg_compile_cache_free(struct xg_compile_cache *k);
int xg_compile_cached(struct xg_compile_cache *k,
		      const struct xg_compile_src *src, size_t n_src,
		      xg_identity_fn id_fn, void *id_arg,
		      struct xg_compiled *out, struct xg_err *err);

/*
 * What a compile first finds in its source list, for a caller that keeps
 * it up to date between compiles (the daemon's document store does):
 * with etcd every endpoint is its own key, and walking 110,000 sources
 * to find the 10,000 with policies costs more than compiling the one
 * policy that changed.  It must be exactly what the walk would find:
 *  - pol, svc: the positions in src of the sets with policies and with
 *    services, ascending;
 *  - ep_gens: the generations of the sets with endpoints, in src order,
 *    or n_ep_gens SIZE_MAX (ep_gens unused) when one of them has gen 0.
 * The compiler only reads it, during the call.
 */
struct xg_compile_index {
	const __u32 *pol, *svc;
	size_t n_pol, n_svc;
	const unsigned long long *ep_gens;
	size_t n_ep_gens;
};

/* xg_compile_cached with the caller's index (NULL: found by walking). */
int xg_compile_indexed(struct xg_compile_cache *k,
		       const struct xg_compile_src *src, size_t n_src,
		       const struct xg_compile_index *idx, xg_identity_fn id_fn,
		       void *id_arg, struct xg_compiled *out,
		       struct xg_err *err);

struct xg_compile_cache_counts {
	size_t endpoints_reused, endpoints_made; /* the endpoint stage */
	size_t sources_reused, sources_compiled; /* sources with policies */
	size_t groups_reused, groups_merged; /* (subject, direction) merges */
};

void xg_compile_cache_counts(const struct xg_compile_cache *k,
			     struct xg_compile_cache_counts *n);

#endif /* XGATE_CTRL_POLICY_COMPILE_H */
