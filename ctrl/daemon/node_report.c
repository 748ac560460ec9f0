// SPDX-License-Identifier: GPL-2.0-only
/*
 * nodes/<node>: see node_report.h.  The control thread only records what
 * it applied and signals; this thread decides when to write and does the
 * etcd calls, with the mutex released.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "node_report.h"
#include "ctrl/err.h"
#include "ctrl/kv/etcd.h"

static void ts_add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The next moment a write is due (called with mu held). */
static struct timespec next_write(const struct xgd_reporter *r)
{
	struct timespec at = r->last_write;

	ts_add_ms(&at, XG_REPORT_KEEPALIVE_MS);
	if (r->due) {
		struct timespec settled = r->last_apply, oldest = r->first_due;

		ts_add_ms(&settled, XG_REPORT_SETTLE_MS);
		ts_add_ms(&oldest, XG_REPORT_MAX_DELAY_MS);
		if (ts_before(&settled, &at))
			at = settled;
		if (ts_before(&oldest, &at))
			at = oldest;
	}
	return at;
}

/* One write, outside the mutex.  A lease that is gone (etcd restarted,
 * or away longer than its TTL) is replaced; the key rides on it, so a
 * gateway that stops reporting drops out of the fleet by itself. */
static void write_report(struct xgd_reporter *r, int64_t rev, __u32 policy_rev,
			 bool keepalive)
{
	struct xg_err err = {};
	char val[512];

	if (keepalive && r->lease &&
	    xg_etcd_lease_keepalive(r->etcd, r->lease, &err))
		r->lease = 0;
	if (!r->lease &&
	    xg_etcd_lease_grant(r->etcd, XG_REPORT_LEASE_S, &r->lease, &err))
		return;
	snprintf(val, sizeof(val),
		 "{\"node\":\"%s\",\"revision\":%lld,\"policy_revision\":%u}",
		 r->node, (long long)rev, policy_rev);
	if (xg_etcd_put(r->etcd, r->key, val, strlen(val), r->lease, NULL, &err))
		r->lease = 0; /* expired or etcd away: a new one next time */
}

static void *run(void *arg)
{
	struct xgd_reporter *r = arg;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec now, at = next_write(r), ka = r->last_write;
		int64_t rev;
		__u32 prev;
		bool keepalive;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_before(&now, &at)) {
			pthread_cond_timedwait(&r->cv, &r->mu, &at);
			continue;
		}
		ts_add_ms(&ka, XG_REPORT_KEEPALIVE_MS);
		keepalive = !ts_before(&now, &ka);
		rev = r->rev;
		prev = r->policy_rev;
		r->due = false;
		r->last_write = now;
		pthread_mutex_unlock(&r->mu);
		write_report(r, rev, prev, keepalive);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int xgd_report_start(struct xgd_reporter *r, struct xg_etcd *etcd,
		     const char *prefix, const char *node)
{
	pthread_condattr_t ca;
	int ret;

	memset(r, 0, sizeof(*r));
	r->rev = -1;
	if (!etcd)
		return 0;
	r->etcd = etcd;
	snprintf(r->key, sizeof(r->key), "%snodes/%s", prefix, node);
	snprintf(r->node, sizeof(r->node), "%s", node);
	clock_gettime(CLOCK_MONOTONIC, &r->last_write);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&r->thr, NULL, run, r);
	if (ret) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		r->etcd = NULL;
		return ret;
	}
	r->started = true;
	return 0;
}

void xgd_report_applied(struct xgd_reporter *r, int64_t rev, __u32 policy_rev)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->mu);
	clock_gettime(CLOCK_MONOTONIC, &r->last_apply);
	if (!r->due)
		r->first_due = r->last_apply;
	r->due = true;
	r->rev = rev;
	r->policy_rev = policy_rev;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void xgd_report_stop(struct xgd_reporter *r)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thr, NULL);
	if (r->lease)
		xg_etcd_lease_revoke(r->etcd, r->lease, NULL);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	r->started = false;
}
