/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside ctrl/doc/ only: the value tree one YAML document becomes
 * (doc_tree.c), and the walking context that turns it into the structs
 * of doc.h while keeping the field path for errors (doc_walk.c).
 */
#ifndef XGATE_CTRL_DOC_DOC_INT_H
#define XGATE_CTRL_DOC_DOC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

enum xgd_type {
	XGD_SCALAR,
	XGD_SEQ,
	XGD_MAP,
};

/*
 * One value of a document, with where it starts.  A map keeps its keys
 * and values interleaved in kids (2 * n); keys are always scalars, and
 * no key appears twice (the reader checks both).  Scalars keep their
 * text NUL-terminated; `null` is set for what YAML reads as null (an
 * empty or ~ or null plain scalar), which the walkers take as absent.
 */
struct xgd_node {
	unsigned char type; /* enum xgd_type */
	bool null;
	bool plain; /* a scalar written without quotes */
	int line, col;
	size_t n; /* items, or pairs of a map */
	size_t len; /* bytes of text, which may hold a NUL byte */
	const char *text;
	struct xgd_node **kids;
};

/* Room for "items[9999].spec.ingress[9999].toPorts[...]..." and more;
 * a longer path is cut, never overflowed. */
#define XGD_PATH_MAX 160

struct xgd_ctx {
	struct xg_doc_set *set; /* where allocations go */
	struct xg_err *err;
	char path[XGD_PATH_MAX]; /* of the value being walked */
	size_t plen;
	char fail_path[XGD_PATH_MAX]; /* path at the error */
	struct xgd_seen *seen; /* names and addresses so far (doc_seen.c) */
	int doc; /* index of the document being walked */
	unsigned obj; /* objects walked so far: scopes per-object keys */
	bool failed;
	bool oom;
};

/* ---- doc_tree.c: libfyaml events -> one document's value tree ---- */
struct xgd_reader;

int xgd_reader_open(struct xgd_reader **r, const char *buf, size_t len);
/* 1 and the root of the next document (valid until the next call), 0 at
 * the end, or a negative errno with c->err filled (syntax, limits,
 * duplicate keys, anchors and tags). */
int xgd_reader_next(struct xgd_reader *r, struct xgd_ctx *c,
		    const struct xgd_node **root);
/* Documents started so far, plus those after the current one when the
 * stream still parses: decides whether error paths name the document. */
int xgd_reader_count_docs(struct xgd_reader *r);
void xgd_reader_close(struct xgd_reader *r);

/* ---- doc_mem.c: memory owned by a doc set ---- */
void *xgd_alloc(struct xgd_ctx *c, size_t size); /* zeroed */
void *xgd_alloc_array(struct xgd_ctx *c, size_t n, size_t size);
char *xgd_strndup(struct xgd_ctx *c, const char *s, size_t len);
/* Appends one zeroed element to set-level array *arr of *n. */
void *xgd_grow(struct xgd_ctx *c, void **arr, size_t *n, size_t size);

/* ---- doc_walk.c: paths, errors and typed access ---- */
size_t xgd_push_key(struct xgd_ctx *c, const char *key, size_t len);
size_t xgd_push_idx(struct xgd_ctx *c, size_t i);
void xgd_pop(struct xgd_ctx *c, size_t mark);

/* Records the first error (at the current path) and returns -EINVAL,
 * or -ENOMEM when an allocation failed first. */
__attribute__((format(printf, 3, 4))) int
xgd_fail(struct xgd_ctx *c, const struct xgd_node *at, const char *fmt, ...);
__attribute__((format(printf, 4, 5))) int
xgd_fail_pos(struct xgd_ctx *c, int line, int col, const char *fmt, ...);
int xgd_nomem(struct xgd_ctx *c);

/* A scalar's text made printable and cut short, for messages. */
const char *xgd_show(const struct xgd_node *n, char *buf, size_t size);
const char *xgd_type_name(const struct xgd_node *n);
struct xg_doc_loc xgd_loc(const struct xgd_node *n);

bool xgd_is(const struct xgd_node *n, const char *s);
/* The value of key in map m; NULL when absent or null. */
const struct xgd_node *xgd_get(const struct xgd_node *m, const char *key);
/* The key node itself, even when its value is null; NULL when absent. */
const struct xgd_node *xgd_key(const struct xgd_node *m, const char *key);

/* Every key of m must be in known[]; keys in unsupported[] are Cilium
 * fields xgate does not implement ("not supported by xgate: <key>"). */
int xgd_check_keys(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *const *known, const char *const *unsupported);

int xgd_want(struct xgd_ctx *c, const struct xgd_node *n, enum xgd_type t);
/* A non-null scalar without NUL bytes, copied. */
int xgd_str(struct xgd_ctx *c, const struct xgd_node *n, const char **out);
/* An unquoted decimal number in [min, max]. */
int xgd_uint(struct xgd_ctx *c, const struct xgd_node *n, unsigned long min,
	     unsigned long max, unsigned long *out);
int xgd_bool(struct xgd_ctx *c, const struct xgd_node *n, bool *out);

/* The same for field `key` of map m, with the path extended by it.
 * Absent or null: 0, and *out keeps the caller's default. */
int xgd_field_str(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, const char **out);
int xgd_field_uint(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, unsigned long min, unsigned long max,
		   unsigned long *out);
int xgd_field_tri(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, enum xg_doc_tri *out);
/* "missing (required)", at m, when key is absent or null. */
int xgd_require(struct xgd_ctx *c, const struct xgd_node *m, const char *key);

/* Field `key` as a list: an array of n elements of `size` bytes, each
 * filled by fn from its item (path "key[i]").  Absent: NULL, 0. */
typedef int (*xgd_item_fn)(struct xgd_ctx *c, const struct xgd_node *item,
			   void *elem, void *arg);
int xgd_field_list(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, size_t size, xgd_item_fn fn, void *arg,
		   void **arr, size_t *n);
int xgd_field_strs(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, const char ***arr, size_t *n);
/* Field `key` as a map, handed to fn (path "key").  Absent: fn is not
 * called. */
int xgd_field_map(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, xgd_item_fn fn, void *elem, void *arg);

/* ---- doc_meta.c: parts every kind shares ---- */
struct xgd_meta {
	const char *name;
	const char *ns; /* NULL when not written */
	struct xg_doc_loc loc;
};

/* metadata: name is required; other keys than name and namespace are
 * Kubernetes bookkeeping and ignored. */
int xgd_metadata(struct xgd_ctx *c, const struct xgd_node *doc,
		 struct xgd_meta *out);
int xgd_label_key(struct xgd_ctx *c, const struct xgd_node *n,
		  struct xg_doc_lkey *out);
/* The same for a key taken from text (rule labels "k8s:a=b"); errors
 * point at `at`. */
int xgd_lkey_parse(struct xgd_ctx *c, const struct xgd_node *at,
		   const char *key, struct xg_doc_lkey *out);
int xgd_label_value(struct xgd_ctx *c, const struct xgd_node *at,
		    const char *value);
/* A map of label key -> value (matchLabels, endpoint labels). */
int xgd_label_map(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, struct xg_doc_label **out, size_t *n);
/* An address without prefix length: an endpoint's, a VIP, a backend. */
int xgd_addr(struct xgd_ctx *c, const struct xgd_node *n,
	     struct xg_prefix *out);
/* Field `key` as a protocol name, one of those the XGD_P_* mask allows;
 * *out gets its IPPROTO_* number (0 for ANY). */
#define XGD_P_TCP 1u
#define XGD_P_UDP 2u
#define XGD_P_SCTP 4u
#define XGD_P_ANY 8u
int xgd_field_proto(struct xgd_ctx *c, const struct xgd_node *m,
		    const char *key, unsigned allowed, __u8 *out);
bool xgd_port_name_ok(const char *s, size_t len);

/* ---- doc_seen.c: what must be unique within a file ---- */
struct xgd_seen;
/* 0 when key is new (now recorded with line), 1 with *first = the line
 * it was recorded with, or -ENOMEM.  Callers prefix their keys with a
 * tag of their own. */
int xgd_seen(struct xgd_ctx *c, const void *key, size_t len, int line,
	     int *first);
/* An error at doc's metadata.name when kind/ns/name came before. */
int xgd_seen_name(struct xgd_ctx *c, const struct xgd_node *doc,
		  const char *kind, const char *ns, const char *name);
/* An error at `at` when an endpoint address came before. */
int xgd_seen_addr(struct xgd_ctx *c, const struct xgd_node *at,
		  const struct xg_prefix *a);
void xgd_seen_free(struct xgd_ctx *c);

/* ---- the kinds ---- */
/* Item functions for xgd_field_list. */
int xgd_selector(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		 void *arg);
/* arg: the section's struct xgd_section. */
struct xgd_section {
	bool egress;
	bool deny;
};
int xgd_peer_rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		  void *arg);
int xgd_port_rules(struct xgd_ctx *c, const struct xgd_node *item,
		   bool deny, struct xg_doc_peer_rule *out);
int xgd_icmps(struct xgd_ctx *c, const struct xgd_node *item,
	      struct xg_doc_peer_rule *out);
int xgd_cnp(struct xgd_ctx *c, const struct xgd_node *doc, bool clusterwide);
int xgd_endpoint(struct xgd_ctx *c, const struct xgd_node *doc);
int xgd_service(struct xgd_ctx *c, const struct xgd_node *doc);

#endif /* XGATE_CTRL_DOC_DOC_INT_H */
