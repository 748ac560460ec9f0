/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The documents the daemon enforces, by store key (a file's path under
 * the policy directory, or an etcd key): the last version of each that
 * parsed, and the error of a newer version that did not.  A bad version
 * never replaces a good one: what was enforced stays enforced, and the
 * error is shown (xgatectl status) until the key is fixed or deleted.
 */
#ifndef XGATE_CTRL_DAEMON_DOCSTORE_H
#define XGATE_CTRL_DAEMON_DOCSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "ctrl/doc/doc.h"
#include "ctrl/policy/compile.h"

struct xg_docent {
	char *key;
	struct xg_doc_set set; /* the last good version (may be empty) */
	bool has_set;
	char *text; /* its text, for `xgatectl policy get` */
	size_t text_len; /* bytes in text */
	char *error; /* the newest version's error, or NULL */
	bool seen; /* during a resync */
	__u32 ep_at; /* its place in the view's ep_gens (when it has endpoints) */
};

/* The compiler's view of the store (xg_docstore_view), kept between
 * applies: with etcd every endpoint is a key of its own, and finding the
 * policies among 110,000 sets on every apply would cost more than
 * compiling the one that changed. */
struct xg_docview {
	struct xg_compile_src *src;
	__u32 *pol, *svc;
	unsigned long long *ep_gens;
	size_t n_src, cap;
	struct xg_compile_index idx;
	bool stale; /* rebuilt by the next xg_docstore_view */
};

struct xg_docstore {
	struct xg_docent *v; /* sorted by key */
	size_t n, cap;
	size_t n_errors; /* entries with an error */
	struct xg_docview view;
};

/* Parses buf as the key's new version.  Returns 1 when what is enforced
 * changes, 0 when not (the same text as enforced: not parsed again),
 * -EINVAL when the version is refused (the old one stays; the error is
 * kept), -ENOMEM. */
int xg_docstore_put(struct xg_docstore *d, const char *key, const char *buf,
		    size_t len);
/*
 * Many puts at once (a start or a resync reads every key): parsing is
 * most of their cost and each document parses alone, so they are parsed
 * ahead on several threads, then put one by one, in order, as
 * xg_docstore_put would.  A req whose text the store holds already is
 * not parsed ahead; one whose parse turned out stale (an earlier put in
 * the batch changed the key) is parsed again when it is put.
 */
#define XG_DOCSTORE_MAX_THREADS 16

struct xg_docstore_req {
	const char *key, *buf;
	size_t len;
	/* filled by xg_docstore_parse_ahead: */
	int parsed; /* 0: not yet; 1: set holds it; < 0: the parse error */
	struct xg_doc_set set;
	struct xg_err err;
};

void xg_docstore_parse_ahead(const struct xg_docstore *d,
			     struct xg_docstore_req *r, size_t n,
			     unsigned threads);
/* As xg_docstore_put; takes r's set. */
int xg_docstore_put_req(struct xg_docstore *d, struct xg_docstore_req *r);
/* Frees what a req parsed ahead and was not put. */
void xg_docstore_req_free(struct xg_docstore_req *r);

/* Returns 1 when the key held documents, else 0. */
int xg_docstore_del(struct xg_docstore *d, const char *key);

/* A full resync: mark, put every key, then sweep what was not put.
 * Returns how many keys the sweep removed. */
void xg_docstore_mark(struct xg_docstore *d);
size_t xg_docstore_sweep(struct xg_docstore *d);

/* The good sets, for the compiler (valid until the next change); *out
 * is the caller's to free. */
int xg_docstore_sources(const struct xg_docstore *d,
			struct xg_compile_src **out, size_t *n);
/*
 * The same sets, and their index for xg_compile_indexed, both the store's
 * and valid until the next put, delete or sweep.  A put over a key whose
 * new version holds the same kinds of documents (policies, endpoints,
 * services) as the old costs the view nothing; a key that comes or goes,
 * or changes kinds, has it rebuilt here, once.  NULL without memory.
 */
const struct xg_compile_src *xg_docstore_view(struct xg_docstore *d,
					      size_t *n,
					      const struct xg_compile_index **idx);
size_t xg_docstore_errors(const struct xg_docstore *d);
void xg_docstore_free(struct xg_docstore *d);

#endif /* XGATE_CTRL_DAEMON_DOCSTORE_H */
