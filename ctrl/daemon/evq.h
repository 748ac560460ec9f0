/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kvstore threads tell the control thread: a document put or
 * deleted, a full resync or a catch-up starting or ending, the store's
 * health.  A
 * mutex-and-condvar queue: stores never wait on the control thread, and
 * the control thread takes everything queued at once, so a burst of
 * writes costs one compile.
 */
#ifndef XGATE_CTRL_DAEMON_EVQ_H
#define XGATE_CTRL_DAEMON_EVQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum xg_ev_kind {
	XG_EVQ_PUT,
	XG_EVQ_DEL,
	XG_EVQ_RESYNC_BEGIN, /* every key not put before END is gone */
	XG_EVQ_CATCHUP_BEGIN, /* changes up to END's revision, applied whole */
	XG_EVQ_RESYNC_END, /* ends either */
	XG_EVQ_HEALTH, /* key: a short status text; rev: 1 up, 0 down */
	XG_EVQ_WAKE, /* nothing: look at the stop flag, reload requests */
};

struct xg_evq_item {
	struct xg_evq_item *next;
	enum xg_ev_kind kind;
	char *key;
	char *val;
	size_t len;
	int64_t rev; /* the store's revision of this change (etcd), or 0 */
	struct timespec at; /* when the store saw it: sync latency */
};

struct xg_evq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct xg_evq_item *head, **tail;
};

void xg_evq_init(struct xg_evq *q);
void xg_evq_destroy(struct xg_evq *q);
/* Copies key and val.  Returns 0 or -ENOMEM. */
int xg_evq_push(struct xg_evq *q, enum xg_ev_kind kind, const char *key,
		const void *val, size_t len, int64_t rev);
/* Takes everything queued, waiting up to timeout_ms for the first item.
 * Returns the list (oldest first) or NULL on timeout. */
struct xg_evq_item *xg_evq_take(struct xg_evq *q, int timeout_ms);
void xg_evq_free_list(struct xg_evq_item *it);

#endif /* XGATE_CTRL_DAEMON_EVQ_H */
