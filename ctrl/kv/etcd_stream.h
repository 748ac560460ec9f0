/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What etcd's v3 JSON gateway sends us, decoded without any I/O: the
 * watch stream cut into lines, one watch message turned into events, the
 * unary answers (range, txn, lease, plain header), gRPC error objects,
 * and the base64 that keys and values travel in.  No I/O so that unit
 * tests and the fuzzer can drive it with captured and hostile bytes.
 *
 * Every decoder returns 0, -EBADMSG when the text is not what etcd 3.4
 * sends (not JSON, a field missing or of the wrong type, bad base64; the
 * error names the JSON path), -ENOMEM, or, when the text is a gRPC error
 * object, the errno that xg_etcd_grpc_errno() maps its code to (with the
 * server's message in the error).  On failure the output holds nothing
 * to free.
 */
#ifndef XGATE_CTRL_KV_ETCD_STREAM_H
#define XGATE_CTRL_KV_ETCD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrl/err.h"

/*
 * Longest watch message held while waiting for its newline.  One message
 * batches the events of many revisions, so it may be far over etcd's
 * 1.5 MiB request limit; past this we drop the stream rather than grow
 * without bound.
 */
#ifndef XG_ETCD_LINE_MAX
#define XG_ETCD_LINE_MAX (16u << 20)
#endif

/* Splits a byte stream arriving in arbitrary chunks into lines. */
struct xg_etcd_lines {
	char *buf; /* the unfinished line */
	size_t len, cap, max;
	int err; /* sticky: -E2BIG or -ENOMEM until reset */
};

/* A line without its "\n" (and "\r"), not NUL-terminated.  Non-zero stops. */
typedef int (*xg_etcd_line_fn)(const char *line, size_t len, void *arg);

void xg_etcd_lines_init(struct xg_etcd_lines *l, size_t max);
/*
 * Calls fn for every complete line that is not blank.  Returns 0; fn's
 * non-zero value, in which case the rest of data is dropped (reset before
 * feeding the next stream); or -E2BIG when a line grows past max, -ENOMEM.
 */
int xg_etcd_lines_feed(struct xg_etcd_lines *l, const void *data, size_t len,
		       xg_etcd_line_fn fn, void *arg);
/* At a clean end of stream: an unfinished last line is a line too. */
int xg_etcd_lines_flush(struct xg_etcd_lines *l, xg_etcd_line_fn fn, void *arg);
/* Forgets an unfinished line and a sticky error: a new stream begins. */
void xg_etcd_lines_reset(struct xg_etcd_lines *l);
void xg_etcd_lines_free(struct xg_etcd_lines *l);

/*
 * One key-value.  key and val are malloc'd and NUL-terminated (etcd keys
 * and values may hold NUL bytes, so the lengths are what counts); val is
 * "" for a deletion.  Fields etcd leaves out (zero in proto3) are 0.
 */
struct xg_etcd_kv {
	char *key, *val;
	size_t key_len, val_len;
	int64_t create_revision, mod_revision, version, lease;
};

enum xg_etcd_ev_type { XG_ETCD_EV_PUT, XG_ETCD_EV_DELETE };

struct xg_etcd_event {
	enum xg_etcd_ev_type type;
	struct xg_etcd_kv kv;
};

/*
 * One watch message.  A message with no events that is neither created
 * nor canceled is a progress notification: every event up to revision
 * has been sent.
 */
struct xg_etcd_watch_msg {
	int64_t revision; /* header.revision; etcd omits it on some cancels */
	int64_t watch_id; /* -1 on a progress_request answer */
	bool created, canceled;
	/* Set with canceled when the start revision was compacted away. */
	int64_t compact_revision;
	char cancel_reason[128];
	struct xg_etcd_event *events; /* in mod_revision order */
	size_t n_events;
};

static inline bool
xg_etcd_watch_msg_is_progress(const struct xg_etcd_watch_msg *m)
{
	return !m->created && !m->canceled && !m->n_events;
}

int xg_etcd_decode_watch(const char *text, size_t len,
			 struct xg_etcd_watch_msg *m, struct xg_err *err);
void xg_etcd_watch_msg_free(struct xg_etcd_watch_msg *m);

/* A RangeResponse. */
struct xg_etcd_range {
	int64_t revision; /* header.revision: the store's, at the read */
	int64_t count;	  /* keys in the range, not only this page */
	bool more;	  /* the limit cut the answer short */
	struct xg_etcd_kv *kvs;
	size_t n_kvs;
};

int xg_etcd_decode_range(const char *text, size_t len, struct xg_etcd_range *r,
			 struct xg_err *err);
void xg_etcd_range_free(struct xg_etcd_range *r);
void xg_etcd_kv_free(struct xg_etcd_kv *kv);

/* A TxnResponse; range is the first response_range among its answers. */
struct xg_etcd_txn {
	int64_t revision;
	bool succeeded;
	struct xg_etcd_range range;
};

int xg_etcd_decode_txn(const char *text, size_t len, struct xg_etcd_txn *t,
		       struct xg_err *err);
void xg_etcd_txn_free(struct xg_etcd_txn *t);

/* header.revision of a put, deleterange or lease revoke answer. */
int xg_etcd_decode_header(const char *text, size_t len, int64_t *revision,
			  struct xg_err *err);
/* ID and TTL of a lease grant or keepalive answer (the latter wrapped in
 * "result"); TTL is 0 when etcd leaves it out, as for an expired lease. */
int xg_etcd_decode_lease(const char *text, size_t len, int64_t *id,
			 int64_t *ttl, struct xg_err *err);
/*
 * A gRPC error object, in either of the gateway's shapes: {"error": msg,
 * "message": msg, "code": n} before a stream starts, {"error": {"grpc_code":
 * n, "message": msg, ...}} within one.  Returns the mapped errno, or
 * -EBADMSG when text is not an error object.
 */
int xg_etcd_decode_error(const char *text, size_t len, struct xg_err *err);
/* gRPC status code -> negative errno; UNAVAILABLE is -EAGAIN. */
int xg_etcd_grpc_errno(int code);

/* Standard base64 with padding, as Go's encoding/json writes []byte. */
static inline size_t xg_etcd_b64_enc_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Writes xg_etcd_b64_enc_len(n) characters and a NUL; returns the former. */
size_t xg_etcd_b64_encode(const void *src, size_t n, char *dst);
/*
 * Strict: length a multiple of 4, only the 64 letters, '=' only as the
 * last one or two and then with zero bits left over.  dst needs n / 4 * 3
 * bytes.  Returns 0 or -EINVAL.
 */
int xg_etcd_b64_decode(const char *src, size_t n, void *dst, size_t *out_len);

#endif /* XGATE_CTRL_KV_ETCD_STREAM_H */
