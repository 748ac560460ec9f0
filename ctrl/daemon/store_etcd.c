// SPDX-License-Identifier: GPL-2.0-only
/* The etcd kvstore; see store_etcd.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_etcd.h"
#include "ctrl/log.h"

struct xg_store_etcd {
	struct xg_etcd *e;
	char prefix[256];
	struct xg_evq *q;
	pthread_t thr;
	volatile int stop; /* the thread ends */
	volatile int resync; /* the watch ends for a full resync */
	volatile int watch_stop; /* stop || resync: what the watch polls */
	/* Where the last full read cut the prefix: the next one (a
	 * reconnect, a compaction, SIGHUP) reads its parts in parallel. */
	struct xg_etcd_splits splits;
};

/* Only documents: nodes/ and identities/ live under the prefix too. */
static bool is_doc_key(const struct xg_store_etcd *s, const char *key)
{
	static const char *const dirs[] = { "policies/", "endpoints/",
					    "services/" };
	size_t pl = strlen(s->prefix);

	if (strncmp(key, s->prefix, pl))
		return false;
	for (size_t i = 0; i < 3; i++)
		if (!strncmp(key + pl, dirs[i], strlen(dirs[i])) &&
		    key[pl + strlen(dirs[i])])
			return true;
	return false;
}

/* Called from the range's part threads at once: the queue locks. */
static int range_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct xg_store_etcd *s = arg;

	if (is_doc_key(s, kv->key))
		return xg_evq_push(s->q, XG_EVQ_PUT, kv->key, kv->val,
				   kv->val_len, kv->mod_revision);
	return 0;
}

static int on_event(const struct xg_etcd_event *ev, void *arg)
{
	struct xg_store_etcd *s = arg;

	if (!is_doc_key(s, ev->kv.key))
		return 0;
	if (ev->type == XG_ETCD_EV_PUT)
		return xg_evq_push(s->q, XG_EVQ_PUT, ev->kv.key, ev->kv.val,
				   ev->kv.val_len, ev->kv.mod_revision);
	return xg_evq_push(s->q, XG_EVQ_DEL, ev->kv.key, NULL, 0,
			   ev->kv.mod_revision);
}

static void on_state(enum xg_etcd_conn st, const char *endpoint,
		     const struct xg_err *why, void *arg)
{
	struct xg_store_etcd *s = arg;
	char msg[400];

	if (st == XG_ETCD_CONNECTED)
		snprintf(msg, sizeof(msg), "connected to %s", endpoint);
	else
		snprintf(msg, sizeof(msg), "disconnected from %s%s%s", endpoint,
			 why && why->msg[0] ? ": " : "", why ? why->msg : "");
	xg_evq_push(s->q, XG_EVQ_HEALTH, msg, NULL, 0, st == XG_ETCD_CONNECTED);
}

static void backoff(struct xg_store_etcd *s, int *ms)
{
	for (int waited = 0; waited < *ms && !s->stop; waited += 50)
		usleep(50000);
	*ms = *ms < 2000 ? *ms * 2 : 2000;
}

static void *run(void *arg)
{
	static const struct xg_etcd_watch_ops ops = { .on_event = on_event,
						      .on_state = on_state };
	struct xg_store_etcd *s = arg;
	int wait_ms = 100;

	while (!s->stop) {
		struct xg_err err = {};
		int64_t rev = 0;
		int ret;

		s->resync = 0;
		s->watch_stop = 0;
		xg_evq_push(s->q, XG_EVQ_RESYNC_BEGIN, NULL, NULL, 0, 0);
		ret = xg_etcd_range_prefix_split(s->e, s->prefix, &s->splits,
						 range_cb, s, &rev, &err);
		if (ret) {
			char msg[400];

			/* The snapshot is incomplete: no RESYNC_END, so the
			 * control thread applies nothing from it; the next
			 * attempt starts the resync over. */
			snprintf(msg, sizeof(msg), "disconnected: %s", err.msg);
			xg_evq_push(s->q, XG_EVQ_HEALTH, msg, NULL, 0, 0);
			backoff(s, &wait_ms);
			continue;
		}
		xg_evq_push(s->q, XG_EVQ_RESYNC_END, NULL, NULL, 0, rev);
		wait_ms = 100;
		ret = xg_etcd_watch(s->e, s->prefix, rev + 1, &ops, s,
				    &s->watch_stop);
		if (ret == XG_ETCD_COMPACTED)
			pr_info("etcd: revision %lld compacted: full resync\n",
				(long long)rev + 1);
		else if (ret < 0 && !s->stop)
			backoff(s, &wait_ms);
	}
	return NULL;
}

int xg_store_etcd_start(struct xg_etcd *e, const char *prefix,
			struct xg_evq *q, struct xg_store_etcd **out)
{
	struct xg_store_etcd *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->e = e;
	s->q = q;
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	err = -pthread_create(&s->thr, NULL, run, s);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void xg_store_etcd_resync(struct xg_store_etcd *s)
{
	s->resync = 1;
	s->watch_stop = 1;
}

void xg_store_etcd_stop(struct xg_store_etcd *s)
{
	if (!s)
		return;
	s->stop = 1;
	s->watch_stop = 1;
	pthread_join(s->thr, NULL);
	xg_etcd_splits_free(&s->splits);
	free(s);
}
