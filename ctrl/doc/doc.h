/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The documents the control plane reads, as C structs: Cilium network
 * policies (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) and our
 * own Endpoint and Service (xgate.io/v1), from YAML or JSON files.  This
 * part parses and validates; it resolves and compiles nothing (named
 * ports, selectors and regexes are the compiler's).  Every element keeps
 * the line and column it came from, so the compiler can point at the
 * text too.  The formats are described in docs/documents.md.
 */
#ifndef XGATE_CTRL_DOC_DOC_H
#define XGATE_CTRL_DOC_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "ctrl/entries.h"
#include "ctrl/err.h"

/* Policies are text written by people: anything past these is a mistake
 * or an attack, and each bounds the memory and time one file costs. */
#ifndef XG_DOC_MAX_BYTES
#define XG_DOC_MAX_BYTES (4u << 20) /* one file */
#endif
#ifndef XG_DOC_MAX_ITEMS
#define XG_DOC_MAX_ITEMS 10000 /* entries of one list or map */
#endif
#ifndef XG_DOC_MAX_DEPTH
#define XG_DOC_MAX_DEPTH 64 /* lists and maps inside each other */
#endif
#ifndef XG_DOC_MAX_NODES
#define XG_DOC_MAX_NODES 1000000 /* values in one document */
#endif

struct xg_doc_loc {
	int line, col; /* 1-based */
};

/*
 * A label key as written, and split at its first ':' into the source
 * and the name: "k8s:io.kubernetes.pod.namespace" has source "k8s" and
 * name "io.kubernetes.pod.namespace".  A key without ':' has source ""
 * (Cilium reads that as "any" in a selector) and name == key.
 */
struct xg_doc_lkey {
	const char *key;
	const char *source;
	const char *name;
};

struct xg_doc_label {
	struct xg_doc_lkey k;
	const char *value; /* "" when the label has none */
	struct xg_doc_loc loc;
};

enum xg_doc_sel_op {
	XG_SEL_IN,
	XG_SEL_NOT_IN,
	XG_SEL_EXISTS,
	XG_SEL_DOES_NOT_EXIST,
};

struct xg_doc_sel_expr {
	struct xg_doc_lkey k;
	enum xg_doc_sel_op op;
	const char **values; /* In/NotIn: at least one; else none */
	size_t n_values;
	struct xg_doc_loc loc;
};

/* matchLabels and matchExpressions, all ANDed; nothing at all ({})
 * selects every endpoint. */
struct xg_doc_selector {
	struct xg_doc_label *labels;
	size_t n_labels;
	struct xg_doc_sel_expr *exprs;
	size_t n_exprs;
	struct xg_doc_loc loc;
};

struct xg_doc_cidr {
	struct xg_prefix pfx; /* a bare address is a host prefix */
	struct xg_doc_loc loc;
};

struct xg_doc_cidr_rule {
	struct xg_doc_cidr cidr;
	struct xg_doc_cidr *except; /* each inside cidr, same family */
	size_t n_except;
	struct xg_doc_loc loc;
};

enum xg_doc_entity {
	XG_ENT_WORLD,
	XG_ENT_CLUSTER,
	XG_ENT_HOST,
	XG_ENT_REMOTE_NODE,
	XG_ENT_KUBE_APISERVER,
	XG_ENT_INIT,
	XG_ENT_HEALTH,
	XG_ENT_UNMANAGED,
	XG_ENT_ALL,
	XG_ENT_INGRESS,
};

struct xg_doc_entity_ref {
	enum xg_doc_entity ent;
	struct xg_doc_loc loc;
};

/*
 * One toPorts port.  port 0 without a name means every port.  A range
 * is [port, end_port]; end_port == port when no endPort was given.  A
 * named port ("http") has port 0 and the name, for the compiler to
 * resolve per endpoint (Endpoint spec.ports).
 */
struct xg_doc_port {
	__u16 port;
	__u16 end_port;
	const char *name; /* NULL for a number */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP / IPPROTO_SCTP; 0 = ANY */
	struct xg_doc_loc loc;
};

/* "Name" (must be present) or "Name: value" (exact value). */
struct xg_doc_http_header {
	const char *name;
	const char *value; /* NULL: presence only */
	struct xg_doc_loc loc;
};

enum xg_doc_mismatch {
	XG_MISMATCH_DENY, /* not written: a mismatch denies the request */
	XG_MISMATCH_LOG,
	XG_MISMATCH_ADD,
	XG_MISMATCH_DELETE,
	XG_MISMATCH_REPLACE,
};

struct xg_doc_header_match {
	const char *name;
	const char *value; /* "" when not written */
	enum xg_doc_mismatch mismatch;
	struct xg_doc_loc loc;
};

/* Fields of one rule are ANDed; method, path and host are regexes as
 * written (not compiled here), NULL when not written or written empty
 * (which Cilium reads as "anything"). */
struct xg_doc_http_rule {
	const char *method;
	const char *path;
	const char *host;
	struct xg_doc_http_header *headers;
	size_t n_headers;
	struct xg_doc_header_match *header_matches;
	size_t n_header_matches;
	struct xg_doc_loc loc;
};

struct xg_doc_port_rule {
	struct xg_doc_port *ports;
	size_t n_ports;
	bool has_http; /* rules.http was written, even as [] */
	struct xg_doc_http_rule *http; /* ORed */
	size_t n_http;
	struct xg_doc_loc loc;
};

struct xg_doc_icmp {
	__u8 family; /* XG_FAMILY_V4 (default) / XG_FAMILY_V6 */
	__u8 type; /* names are turned into numbers per family */
	struct xg_doc_loc loc;
};

/*
 * One item of ingress, egress, ingressDeny or egressDeny.  The peers
 * (endpoints, CIDRs, CIDR sets, entities) are ORed with each other and
 * ANDed with the ports; no peer at all means any peer.  from* and to*
 * land in the same fields: the section says the direction.  Items of a
 * deny section never have L7 rules (the parser rejects them).
 */
struct xg_doc_peer_rule {
	struct xg_doc_selector *endpoints; /* fromEndpoints / toEndpoints */
	size_t n_endpoints;
	struct xg_doc_cidr *cidrs; /* fromCIDR / toCIDR */
	size_t n_cidrs;
	struct xg_doc_cidr_rule *cidr_sets; /* fromCIDRSet / toCIDRSet */
	size_t n_cidr_sets;
	struct xg_doc_entity_ref *entities; /* fromEntities / toEntities */
	size_t n_entities;
	struct xg_doc_port_rule *to_ports;
	size_t n_to_ports;
	struct xg_doc_icmp *icmps; /* the fields of every icmps item */
	size_t n_icmps;
	struct xg_doc_loc loc;
};

enum xg_doc_tri {
	XG_TRI_UNSET, /* Cilium's default: on for a direction that has rules */
	XG_TRI_FALSE,
	XG_TRI_TRUE,
};

struct xg_doc_rule {
	struct xg_doc_selector subject; /* endpointSelector */
	struct xg_doc_peer_rule *ingress;
	size_t n_ingress;
	struct xg_doc_peer_rule *egress;
	size_t n_egress;
	struct xg_doc_peer_rule *ingress_deny;
	size_t n_ingress_deny;
	struct xg_doc_peer_rule *egress_deny;
	size_t n_egress_deny;
	enum xg_doc_tri default_deny_ingress; /* enableDefaultDeny */
	enum xg_doc_tri default_deny_egress;
	const char *description; /* NULL when none */
	struct xg_doc_label *labels;
	size_t n_labels;
	struct xg_doc_loc loc;
};

struct xg_cnp {
	const char *name;
	const char *ns; /* NULL for a CiliumClusterwideNetworkPolicy */
	bool clusterwide;
	struct xg_doc_rule *rules; /* spec first, then specs in order */
	size_t n_rules;
	int doc; /* 0-based index of the document in its file */
	struct xg_doc_loc loc;
};

struct xg_doc_addr {
	struct xg_prefix addr; /* full length: /32 or /128 */
	struct xg_doc_loc loc;
};

/* A port an endpoint names, for toPorts entries that use the name. */
struct xg_doc_named_port {
	const char *name;
	__u16 port; /* 1-65535 */
	__u8 proto; /* IPPROTO_TCP (default) / UDP / SCTP */
	struct xg_doc_loc loc;
};

struct xg_endpoint_doc {
	const char *name;
	const char *ns;
	struct xg_doc_addr *addrs; /* at least one, no duplicates */
	size_t n_addrs;
	struct xg_doc_label *labels;
	size_t n_labels;
	struct xg_doc_named_port *ports;
	size_t n_ports;
	int doc;
	struct xg_doc_loc loc;
};

struct xg_doc_svc_port {
	const char *name; /* NULL when none */
	__u16 port;
	__u16 target_port; /* == port when not written */
	__u8 proto; /* IPPROTO_TCP (default) / IPPROTO_UDP */
	struct xg_doc_loc loc;
};

struct xg_doc_backend {
	struct xg_prefix addr; /* full length */
	__u16 weight; /* 1-65535, default 1 */
	__u8 state; /* enum xg_backend_state (xdp/abi.h) */
	struct xg_doc_loc loc;
};

enum xg_doc_affinity {
	XG_AFFINITY_NONE,
	XG_AFFINITY_CLIENT_IP,
};

struct xg_service_doc {
	const char *name;
	const char *ns;
	struct xg_doc_addr *addrs; /* the VIPs: at least one */
	size_t n_addrs;
	struct xg_doc_svc_port *ports; /* at least one */
	size_t n_ports;
	struct xg_doc_backend *backends; /* may be empty */
	size_t n_backends;
	enum xg_doc_affinity affinity;
	__u32 affinity_timeout_s; /* 1-86400, default 10800 */
	int doc;
	struct xg_doc_loc loc;
};

struct xg_doc_mem;

/* Everything one file holds, in file order per kind. */
struct xg_doc_set {
	struct xg_cnp *cnps;
	size_t n_cnps;
	struct xg_endpoint_doc *endpoints;
	size_t n_endpoints;
	struct xg_service_doc *services;
	size_t n_services;
	int n_docs; /* YAML documents in the file */
	/* Unique per parse in this process (never 0 once parsed): what a
	 * compile cache (compile.h) keys on, since a set never changes
	 * after it is parsed. */
	unsigned long long gen;
	struct xg_doc_mem *mem; /* owns every string and array above */
};

/*
 * Parse every document of one file (`---` separated; a Kubernetes List
 * counts as its items).  `name` is used in messages only.  Returns 0 with
 * *out filled, or a negative errno: -EINVAL for a document that is not
 * valid (the file is rejected whole: *out holds nothing), with err
 * naming "<name>: <field path>", the line and column and what is wrong;
 * -ENOMEM; for xg_doc_parse_file, the errno of open/read.  *out is
 * overwritten, not appended to.
 */
int xg_doc_parse_buf(const char *name, const char *buf, size_t len,
		     struct xg_doc_set *out, struct xg_err *err);
int xg_doc_parse_file(const char *path, struct xg_doc_set *out,
		      struct xg_err *err);
/* Frees everything the set holds and zeroes it; a zeroed set is fine. */
void xg_doc_set_free(struct xg_doc_set *s);

#endif /* XGATE_CTRL_DOC_DOC_H */
