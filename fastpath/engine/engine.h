/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The L7 flow engine: what happens to one client -> server frame that
 * XDP sent to the fast path.  Workers share one flow table (liburcu's
 * lock-free hash table; a flow's frames may reach different queues)
 * and read the L7 rulesets from one RCU-published table.  A flow's
 * bytes are reassembled in order and held until a whole request head
 * is there; an allowed request's frames go on unchanged (and its body
 * after it), a denied one's are dropped, the client gets a 403 and the
 * server a reset.  I/O is the caller's: frames leave through `send`,
 * so the engine runs the same under the workers and under unit tests.
 *
 * Every thread that calls into the engine must be an RCU reader
 * (rcu_register_thread).
 */
#ifndef XGATE_FASTPATH_ENGINE_H
#define XGATE_FASTPATH_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdp/abi.h"

struct xg_l7_table;
struct cds_lfht;

/* The fast path's limits (config: l7 { ... }). */
struct xg_fp_limits {
	uint32_t stream_buffer; /* bytes per flow waiting or remembered */
	uint32_t max_head; /* request head bytes, incl. the blank line */
	uint32_t max_headers;
	uint32_t max_held; /* frames held per flow while a head is judged */
	uint64_t idle_ns; /* a flow without frames this long is forgotten */
};

#define XG_FP_LIMITS_DEFAULT                                                   \
	{ .stream_buffer = 64 << 10, .max_head = 8192, .max_headers = 64,      \
	  .max_held = 1024, .idle_ns = 300ull * 1000000000ull }

/* Verdicts and troubles, counted; one list so the API and the metrics
 * name them the same. */
#define XG_FP_COUNTERS(X)                                                      \
	X(ALLOWED, "allowed", "requests allowed")                              \
	X(DENIED, "denied", "requests denied by policy (403)")                 \
	X(BAD_REQUEST, "bad_request", "malformed requests (400)")              \
	X(TOO_LARGE, "too_large", "request heads over the limit (431)")        \
	X(NO_RULESET, "no_ruleset", "requests whose ruleset is unknown (403)") \
	X(CONFLICT, "conflict", "retransmissions with different bytes: reset") \
	X(WINDOW_FULL, "window_full", "frames beyond the stream buffer")       \
	X(OLD_DATA, "old_data", "retransmissions older than the buffer")       \
	X(OLD_BODY, "old_body", "resent body bytes older than the buffer")    \
	X(HELD_FULL, "held_full", "frames beyond the per-flow hold limit")     \
	X(AFTER_DENY, "after_deny", "frames of a flow already denied")         \
	X(BAD_FRAME, "bad_frame", "frames that are not a TCP segment")         \
	X(NO_META, "no_meta", "frames without the datapath's metadata")        \
	X(TX_FAIL, "tx_fail", "frames that could not be sent")                 \
	X(FLOWS, "flows", "flows created")                                     \
	X(EXPIRED, "expired", "flows forgotten after idling")                  \
	X(ACKED, "acked", "held bytes acknowledged to the client")             \
	X(RESENT, "resent", "acknowledged frames sent to the server again")    \
	X(RESEND_FAIL, "resend_fail", "acknowledged frames the server never took")

enum xg_fp_counter {
#define XG__FP_ENUM(name, key, text) XG_FP_C_##name,
	XG_FP_COUNTERS(XG__FP_ENUM)
#undef XG__FP_ENUM
	XG_FP_C__MAX
};

extern const char *const xg_fp_counter_key[XG_FP_C__MAX];
extern const char *const xg_fp_counter_text[XG_FP_C__MAX];

/* A verdict, for the monitor. */
struct xg_fp_event {
	uint64_t ts_ns;
	uint8_t family;
	uint8_t client[16], server[16];
	uint16_t cport, sport;
	uint32_t ruleset;
	int rule; /* rule index that allowed, -1 when denied */
	uint16_t status; /* 0 allowed, else the answer: 403, 400, 431 */
	char method[16];
	char path[128];
	char host[64];
};

#define XG_FP_EVENTS 256 /* the last verdicts kept for the monitor */

struct xg_fp_out {
	/* Sends a frame out of ifindex (copied; the caller keeps frame).
	 * 0, or a negative errno (counted as TX_FAIL). */
	int (*send)(void *arg, uint32_t ifindex, const uint8_t *frame,
		    uint32_t len);
	void *arg;
};

/* The VIP a balanced flow's client addressed: 0 with addr and port
 * (network order) filled, or -ENOENT. */
typedef int (*xg_fp_revnat_fn)(void *arg, uint32_t id, uint8_t addr[16],
			       uint16_t *port);

/* Where both ends of a flow stand, as conntrack saw them. */
struct xg_fp_ct_view {
	uint32_t srv_nxt; /* the server's next sequence number */
	uint32_t cli_ack; /* the client's highest acknowledgment */
	uint32_t srv_ack; /* the server's highest acknowledgment */
};

/* 0 with v filled, or -ENOENT when the flow is not there. */
typedef int (*xg_fp_ct_fn)(void *arg, const struct xg_flow_key *key,
			   struct xg_fp_ct_view *v);

/* Refusals waiting for the server, per worker. */
#define XG_FP_PENDING_MAX 256

struct fp_flow;

struct xg_fp_engine {
	struct xg_fp_limits lim;
	struct cds_lfht *flows;
	struct xg_l7_table *table; /* RCU: read with rcu_dereference */
	xg_fp_revnat_fn revnat;
	void *revnat_arg;
	/* NULL: refusals never wait, and the fast path never acknowledges
	 * for the server (it could not know when to resend) */
	xg_fp_ct_fn ct_lookup;
	void *ct_arg;
	struct fp_flow *(*pending)[XG_FP_PENDING_MAX]; /* per worker */
	unsigned *n_pending;
	/* flows holding bytes the fast path acknowledged, per worker */
	struct fp_flow *(*duty)[XG_FP_PENDING_MAX];
	unsigned *n_duty;
	unsigned n_workers;
	uint64_t started_ns; /* CLOCK_MONOTONIC_COARSE, as conntrack's */
	uint64_t (*count)[XG_FP_C__MAX]; /* per worker, one writer each */
	pthread_mutex_t ev_lock;
	struct xg_fp_event ev[XG_FP_EVENTS];
	uint64_t ev_next;
};

int xg_fp_engine_init(struct xg_fp_engine *e, const struct xg_fp_limits *lim,
		      unsigned n_workers);
/* After every worker has stopped. */
void xg_fp_engine_fini(struct xg_fp_engine *e);

/* One frame from worker's socket; meta is what XDP put before it (NULL
 * when there was none).  Whatever leaves goes through out. */
void xg_fp_handle(struct xg_fp_engine *e, unsigned worker,
		  const struct xg_fp_out *out, const struct xg_xsk_meta *meta,
		  const uint8_t *frame, uint32_t len, uint64_t now_ns);

/* Sends the refusals of this worker whose server has gone quiet, and
 * resends what the server has not acknowledged of the bytes the fast
 * path acknowledged itself; call it often while it returns non-zero
 * (how many flows still wait). */
unsigned xg_fp_tick(struct xg_fp_engine *e, unsigned worker,
		    const struct xg_fp_out *out, uint64_t now_ns);

/* Forgets flows idle since before now - idle_ns, and closed ones. */
void xg_fp_expire(struct xg_fp_engine *e, uint64_t now_ns);

/* Publishes a new rulesets table; the old one is freed after a grace
 * period (this waits for it).  The engine owns t from here. */
void xg_fp_publish(struct xg_fp_engine *e, struct xg_l7_table *t);

/* The table now published, for building the next (reuse); only from
 * the thread that publishes. */
const struct xg_l7_table *xg_fp_table(const struct xg_fp_engine *e);

/* Sums over workers. */
void xg_fp_counters(const struct xg_fp_engine *e, uint64_t out[XG_FP_C__MAX]);
unsigned long xg_fp_flow_count(struct xg_fp_engine *e);
/* The last n (<= XG_FP_EVENTS) verdicts, oldest first; returns how many. */
size_t xg_fp_events(struct xg_fp_engine *e, struct xg_fp_event *out, size_t n);

#endif /* XGATE_FASTPATH_ENGINE_H */
