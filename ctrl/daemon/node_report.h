/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fleet's view of this gateway: nodes/<node> in etcd, on a lease,
 * saying which revision it has applied.  Written by a thread of its own,
 * so that enforcement never waits on a status write (an etcd put takes
 * milliseconds, a failing endpoint a whole timeout).
 */
#ifndef XGATE_CTRL_DAEMON_NODE_REPORT_H
#define XGATE_CTRL_DAEMON_NODE_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <linux/types.h>

struct xg_etcd;

/* When to write, all from the last apply's point of view: once a burst of
 * changes has settled, at least every max_delay while they keep coming
 * (one write per apply would multiply the fleet's etcd writes by its
 * size), and every keepalive in any case (it also renews the lease). */
#define XG_REPORT_SETTLE_MS 50
#define XG_REPORT_MAX_DELAY_MS 1000
#define XG_REPORT_KEEPALIVE_MS 5000
#define XG_REPORT_LEASE_S 15

struct xgd_reporter {
	struct xg_etcd *etcd;
	char key[512]; /* <prefix>nodes/<node> */
	char node[256];

	pthread_t thr;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	/* under mu */
	bool stop;
	bool due; /* an apply not reported yet */
	int64_t rev; /* etcd revision applied; -1: none yet */
	__u32 policy_rev;
	struct timespec first_due, last_apply, last_write;
	/* the thread's own */
	int64_t lease; /* 0: none (yet, or lost) */
};

/* Starts the thread (nothing when etcd is NULL).  0 or -errno. */
int xgd_report_start(struct xgd_reporter *r, struct xg_etcd *etcd,
		     const char *prefix, const char *node);
/* The control thread, after each apply: what the maps now hold. */
void xgd_report_applied(struct xgd_reporter *r, int64_t rev, __u32 policy_rev);
/* Stops the thread and revokes the lease (the key goes with it). */
void xgd_report_stop(struct xgd_reporter *r);

#endif /* XGATE_CTRL_DAEMON_NODE_REPORT_H */
