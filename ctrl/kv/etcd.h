/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * etcd v3 client over etcd's JSON gateway (libcurl + json-c): unary key
 * and lease calls, and a blocking watch for the control thread that
 * reconnects, fails over and resumes on its own.
 *
 * Unary calls take the configured timeout per endpoint and move on to
 * the next endpoint when one cannot be reached or says it is unavailable
 * (no leader, stopping), so a call may take up to n_endpoints timeouts.
 * They are serialized on one connection and may be called from any
 * thread, watch callbacks included.  A retried put or create may have
 * been applied by the endpoint that timed out: puts are idempotent, and
 * create then answers "existed" with our own value.
 *
 * Errors are negative errnos with a message in the xg_err: -ECONNREFUSED,
 * -ETIMEDOUT, -EHOSTUNREACH, -EIO when no endpoint answered; -EAGAIN when
 * every one was unavailable; -EBADMSG when an answer was not what etcd
 * sends; -E2BIG for an answer over XG_ETCD_BODY_MAX; otherwise etcd's own
 * refusal mapped by xg_etcd_grpc_errno().
 */
#ifndef XGATE_CTRL_KV_ETCD_H
#define XGATE_CTRL_KV_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctrl/err.h"
#include "ctrl/kv/etcd_stream.h"

/* Largest unary answer we hold; a range page over it is re-read smaller. */
#ifndef XG_ETCD_BODY_MAX
#define XG_ETCD_BODY_MAX (64u << 20)
#endif

/* Keys per range request.  etcd counts the whole range for every page
 * (O(keys)), so small pages make a large range quadratic: at 110,000
 * keys behind the JSON gateway (etcd 3.4, 2 vCPUs, curl) a page of
 * 1,000 took 0.08 s and one of 10,000 0.24 s: 8.8 s or 2.6 s for all. */
#ifndef XG_ETCD_PAGE
#define XG_ETCD_PAGE 10000
#endif

struct xg_etcd;

struct xg_etcd_cfg {
	const char *const *endpoints; /* "http://127.0.0.1:2379" */
	size_t n_endpoints;
	int timeout_ms; /* per request and endpoint; 0: 5000 */
	/*
	 * A watch that hears nothing, not even a progress notification, for
	 * this long is taken as dead and reconnected.  Set it above the
	 * server's --experimental-watch-progress-notify-interval (10 min by
	 * default); 0 leaves dead peers to TCP keepalive.
	 */
	int watch_idle_ms;
	size_t page_size; /* keys per range page; 0: XG_ETCD_PAGE */
};

/* Copies what cfg points to.  Connects only when first used. */
int xg_etcd_open(const struct xg_etcd_cfg *cfg, struct xg_etcd **out,
		 struct xg_err *err);
/* After every call and watch on e has returned. */
void xg_etcd_close(struct xg_etcd *e);

/* lease 0: none.  *rev (may be NULL): the revision of the write. */
int xg_etcd_put(struct xg_etcd *e, const char *key, const void *val, size_t len,
		int64_t lease, int64_t *rev, struct xg_err *err);
/* The key, or every key under it with prefix; deleting nothing is 0. */
int xg_etcd_delete(struct xg_etcd *e, const char *key, bool prefix,
		   int64_t *rev, struct xg_err *err);

/* kv is valid during the call only.  Non-zero stops the range, returned. */
typedef int (*xg_etcd_kv_cb)(const struct xg_etcd_kv *kv, void *arg);

/*
 * Every kv under prefix ("" is the whole keyspace), in key order, read
 * page by page at one revision, which *rev gets: a watch of the prefix
 * starts at *rev + 1.  On error cb may have seen some of the keys: throw
 * them away and start over.
 */
int xg_etcd_range_prefix(struct xg_etcd *e, const char *prefix,
			 xg_etcd_kv_cb cb, void *arg, int64_t *rev,
			 struct xg_err *err);
/* What a range asks for beyond its keys. */
struct xg_etcd_range_opts {
	int64_t revision;	  /* read at this revision; 0: the newest */
	int64_t min_mod_revision; /* only keys changed at or after it; 0: all */
	bool keys_only;		  /* keys and revisions, no values */
};

/*
 * Every kv in [lo, hi) (raw key bytes) that o selects, page by page at
 * one revision (o->revision, or the first page's), which *rev gets.  A
 * filtered range costs etcd a walk of the whole span, but sends only
 * what passes: after a lost watch, min_mod_revision reads what changed
 * in a 110,000-key prefix in 0.2 s where all of it takes 2.4.
 */
int xg_etcd_range_span(struct xg_etcd *e, const void *lo, size_t lo_len,
		       const void *hi, size_t hi_len,
		       const struct xg_etcd_range_opts *o, xg_etcd_kv_cb cb,
		       void *arg, int64_t *rev, struct xg_err *err);
/* How many keys [lo, hi) holds at revision (0: the newest, *rev says
 * which); etcd counts from its in-memory index, without reading values. */
int xg_etcd_count(struct xg_etcd *e, const void *lo, size_t lo_len,
		  const void *hi, size_t hi_len, int64_t revision,
		  int64_t *count, int64_t *rev, struct xg_err *err);
/* The first key after every key starting with prefix, malloc'd (and
 * NUL-terminated after its *len bytes). */
int xg_etcd_prefix_end(const char *prefix, char **end, size_t *len);

/* A prefix read in parts, in parallel: the keys it is cut at. */
#ifndef XG_ETCD_RANGE_PARTS
#define XG_ETCD_RANGE_PARTS 4
#endif
struct xg_etcd_splits {
	size_t n;
	char *key[XG_ETCD_RANGE_PARTS - 1]; /* in order, malloc'd */
};

/*
 * xg_etcd_range_prefix in parts: with sp holding cuts of the prefix, its
 * sub-ranges are read at one revision, each on a connection and thread
 * of its own (so cb runs on several threads at once, and in key order
 * only within a part).  With sp empty (or NULL, or cuts that no longer
 * fit) it reads in one part, as xg_etcd_range_prefix does.  Either way,
 * on success sp (if not NULL) gets cuts for XG_ETCD_RANGE_PARTS parts of
 * about equal size, from keys seen on the way, for the next read.
 */
int xg_etcd_range_prefix_split(struct xg_etcd *e, const char *prefix,
			       struct xg_etcd_splits *sp, xg_etcd_kv_cb cb,
			       void *arg, int64_t *rev, struct xg_err *err);
void xg_etcd_splits_free(struct xg_etcd_splits *sp);

/* *val is malloc'd, NUL-terminated.  -ENOENT when the key is absent. */
int xg_etcd_get(struct xg_etcd *e, const char *key, char **val, size_t *len,
		int64_t *mod_rev, struct xg_err *err);
/*
 * Puts key = val only if the key does not exist, in one transaction.
 * Returns 1 created; 0 existed, and *existing (if not NULL) gets the
 * value there, malloc'd and NUL-terminated; <0 error.
 */
int xg_etcd_create(struct xg_etcd *e, const char *key, const void *val,
		   size_t len, char **existing, size_t *existing_len,
		   struct xg_err *err);

/* etcd's default --max-txn-ops: compares (and puts) in one transaction. */
#define XG_ETCD_TXN_OPS 128
/*
 * Puts keys[i] = vals[i] (strings) for i < n (at most XG_ETCD_TXN_OPS),
 * all in one transaction, only if none of the keys exists.  Returns 1
 * created all; 0 one existed, and nothing was written; <0 error.
 */
int xg_etcd_create_all(struct xg_etcd *e, const char *const *keys,
		       const char *const *vals, size_t n, struct xg_err *err);

int xg_etcd_lease_grant(struct xg_etcd *e, int ttl_s, int64_t *lease,
			struct xg_err *err);
/* One refresh.  -ENOENT when the lease has expired or was revoked. */
int xg_etcd_lease_keepalive(struct xg_etcd *e, int64_t lease,
			    struct xg_err *err);
/* Deletes the lease's keys.  -ENOENT when there is no such lease. */
int xg_etcd_lease_revoke(struct xg_etcd *e, int64_t lease, struct xg_err *err);

/* Returned by xg_etcd_watch: resync with a range, then watch again. */
#define XG_ETCD_COMPACTED 1

enum xg_etcd_conn { XG_ETCD_CONNECTED, XG_ETCD_DISCONNECTED };

struct xg_etcd_watch_ops {
	/*
	 * Each event once, in revision order.  ev is valid during the call
	 * only.  A non-zero return stops the watch, which returns it: use
	 * a negative errno, XG_ETCD_COMPACTED is taken.
	 */
	int (*on_event)(const struct xg_etcd_event *ev, void *arg);
	/* The watch is established on / lost from endpoint; why (may be
	 * NULL) says what ended it. */
	void (*on_state)(enum xg_etcd_conn st, const char *endpoint,
			 const struct xg_err *why, void *arg);
	/* Every event up to rev has been delivered; may be NULL. */
	void (*on_progress)(int64_t rev, void *arg);
};

/*
 * Watches every key under prefix from start_rev (0: from now on) until
 * *stop becomes non-zero (then it returns 0 within ~50 ms).  A dropped
 * stream or a failed connect is retried on the next endpoint after
 * 50 ms, doubling to 2 s, with jitter; the new watch starts after the
 * last revision delivered, so no event is lost or repeated.  Returns
 * XG_ETCD_COMPACTED when etcd no longer has the revision to resume from,
 * on_event's non-zero value, or a negative errno for what retrying
 * cannot mend (bad arguments, -ENOMEM, etcd refusing the request as
 * invalid or not permitted).
 */
int xg_etcd_watch(struct xg_etcd *e, const char *prefix, int64_t start_rev,
		  const struct xg_etcd_watch_ops *ops, void *arg,
		  volatile int *stop);

#endif /* XGATE_CTRL_KV_ETCD_H */
