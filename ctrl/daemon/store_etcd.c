// SPDX-License-Identifier: GPL-2.0-only
/* The etcd kvstore; see store_etcd.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_etcd.h"
#include "ctrl/kv/gone.h"
#include "ctrl/kv/keyset.h"
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
	/*
	 * The document keys etcd held at seen_rev, kept from the last full
	 * read and every event since: after a compacted watch, a catch-up
	 * reads only what changed and counts its way to what is gone
	 * (ctrl/kv/gone.h) instead of reading every key again.
	 */
	struct xg_keyset known;
	pthread_mutex_t known_mu; /* the full read's parts add at once */
	bool known_ok; /* false: a full read is the only way back */
	int64_t seen_rev; /* every event up to here is in known */
	/* How the last read went, for status: "read 110013 keys at ..." */
	char last_read[160];
};

/* What a catch-up found changed, held until all of it is known. */
struct changed {
	struct xg_etcd_kv *kv;
	size_t n, cap;
	struct xg_store_etcd *s;
};

/* Where documents live: nodes/ and identities/ are under the prefix too. */
static const char *const doc_dirs[] = { "endpoints/", "policies/",
					"services/" };
#define N_DOC_DIRS (sizeof(doc_dirs) / sizeof(doc_dirs[0]))

static bool is_doc_key(const struct xg_store_etcd *s, const char *key)
{
	const char *const *dirs = doc_dirs;
	size_t pl = strlen(s->prefix);

	if (strncmp(key, s->prefix, pl))
		return false;
	for (size_t i = 0; i < N_DOC_DIRS; i++)
		if (!strncmp(key + pl, dirs[i], strlen(dirs[i])) &&
		    key[pl + strlen(dirs[i])])
			return true;
	return false;
}

/* Called from the range's part threads at once: the queue locks. */
static int range_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct xg_store_etcd *s = arg;
	int ret;

	if (!is_doc_key(s, kv->key))
		return 0;
	pthread_mutex_lock(&s->known_mu);
	ret = xg_keyset_add(&s->known, kv->key, kv->key_len);
	pthread_mutex_unlock(&s->known_mu);
	if (ret < 0)
		return ret;
	return xg_evq_push(s->q, XG_EVQ_PUT, kv->key, kv->val, kv->val_len,
			   kv->mod_revision);
}

static int on_event(const struct xg_etcd_event *ev, void *arg)
{
	struct xg_store_etcd *s = arg;
	int ret;

	/* Events of one revision come together (etcd.h), so with one of
	 * them here every event up to its revision is. */
	if (ev->kv.mod_revision > s->seen_rev)
		s->seen_rev = ev->kv.mod_revision;
	if (!is_doc_key(s, ev->kv.key))
		return 0;
	if (ev->type == XG_ETCD_EV_PUT) {
		if (xg_keyset_add(&s->known, ev->kv.key, ev->kv.key_len) < 0)
			s->known_ok = false;
		return xg_evq_push(s->q, XG_EVQ_PUT, ev->kv.key, ev->kv.val,
				   ev->kv.val_len, ev->kv.mod_revision);
	}
	xg_keyset_del(&s->known, ev->kv.key, ev->kv.key_len);
	ret = xg_evq_push(s->q, XG_EVQ_DEL, ev->kv.key, NULL, 0,
			  ev->kv.mod_revision);
	return ret;
}

static void on_progress(int64_t rev, void *arg)
{
	struct xg_store_etcd *s = arg;

	if (rev > s->seen_rev)
		s->seen_rev = rev;
}

static void on_state(enum xg_etcd_conn st, const char *endpoint,
		     const struct xg_err *why, void *arg)
{
	struct xg_store_etcd *s = arg;
	char msg[400];

	if (st == XG_ETCD_CONNECTED)
		snprintf(msg, sizeof(msg), "connected to %s%s%s", endpoint,
			 s->last_read[0] ? "; last " : "", s->last_read);
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

/* ---------------------------------------------------------- catch-up -- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int changed_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct changed *c = arg;
	struct xg_etcd_kv *x;

	if (!is_doc_key(c->s, kv->key))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		x = realloc(c->kv, cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		c->kv = x;
		c->cap = cap;
	}
	x = &c->kv[c->n];
	*x = *kv;
	x->key = strndup(kv->key, kv->key_len);
	x->val = malloc(kv->val_len + 1);
	if (!x->key || !x->val) {
		free(x->key);
		free(x->val);
		return -ENOMEM;
	}
	memcpy(x->val, kv->val, kv->val_len);
	x->val[kv->val_len] = '\0';
	c->n++;
	return 0;
}

static void changed_free(struct changed *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		free(c->kv[i].val);
	}
	free(c->kv);
}

static int gone_count(void *arg, const char *lo, size_t lo_len,
		      const char *hi, size_t hi_len, int64_t rev, int64_t *n,
		      struct xg_err *err)
{
	struct xg_store_etcd *s = arg;

	return xg_etcd_count(s->e, lo, lo_len, hi, hi_len, rev, n, NULL, err);
}

struct listing {
	xg_gone_key_cb cb;
	void *arg;
};

static int listing_kv(const struct xg_etcd_kv *kv, void *arg)
{
	struct listing *l = arg;

	return l->cb(kv->key, kv->key_len, l->arg);
}

static int gone_list(void *arg, const char *lo, size_t lo_len, const char *hi,
		     size_t hi_len, int64_t rev, xg_gone_key_cb cb,
		     void *cb_arg, struct xg_err *err)
{
	struct xg_store_etcd *s = arg;
	struct xg_etcd_range_opts o = { .revision = rev, .keys_only = true };
	struct listing l = { cb, cb_arg };

	return xg_etcd_range_span(s->e, lo, lo_len, hi, hi_len, &o,
				  listing_kv, &l, NULL, err);
}

struct gone {
	char **key;
	size_t n, cap;
	bool nomem;
};

static void gone_cb(const char *key, void *arg)
{
	struct gone *g = arg;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		char **k = realloc(g->key, cap * sizeof(*k));

		if (!k) {
			g->nomem = true;
			return;
		}
		g->key = k;
		g->cap = cap;
	}
	/* a pointer into known, whose keys stay until it next changes */
	g->key[g->n++] = (char *)key;
}

/* Retrying mends these; anything else means the next read is whole. */
static bool transient(int ret)
{
	return ret == -ECONNREFUSED || ret == -ETIMEDOUT ||
	       ret == -EHOSTUNREACH || ret == -EIO || ret == -EAGAIN;
}

/*
 * After a compacted watch: what changed since seen_rev (one filtered
 * range) and what is gone (counts, gone.h), queued as one batch the
 * control thread applies whole, as it does a full read.  Nothing is
 * queued, and nothing leaves known, unless all of it worked.
 */
static int catch_up(struct xg_store_etcd *s, int64_t *rev, struct xg_err *err)
{
	static const struct xg_gone_ops ops = { .count = gone_count,
						.list = gone_list };
	struct xg_etcd_range_opts o = { .min_mod_revision = s->seen_rev + 1 };
	struct changed c = { .s = s };
	struct xg_gone_stats st = {0};
	struct gone g = {0};
	const char **sorted = NULL;
	char *end = NULL;
	size_t n = 0, end_len, i;
	uint64_t t0 = now_us();
	int64_t at = 0;
	int ret;

	ret = xg_etcd_prefix_end(s->prefix, &end, &end_len);
	if (!ret)
		ret = xg_etcd_range_span(s->e, s->prefix, strlen(s->prefix),
					 end, end_len, &o, changed_cb, &c, &at,
					 err);
	if (ret)
		goto out;
	/* Keys made since join known before the search, which wants every
	 * key etcd holds among ours.  A key made and gone again since a
	 * failed try is found gone by the next. */
	for (i = 0; i < c.n; i++) {
		ret = xg_keyset_add(&s->known, c.kv[i].key, c.kv[i].key_len);
		if (ret < 0)
			goto out;
		ret = 0;
	}
	sorted = xg_keyset_sorted(&s->known, &n);
	if (!sorted && s->known.n) {
		ret = -ENOMEM;
		goto out;
	}
	/* Each directory of documents is searched alone: known holds
	 * nothing of the rest of the prefix. */
	for (size_t d = 0, j = 0; d < N_DOC_DIRS && !ret; d++) {
		char lo[sizeof(s->prefix) + 16], hi[sizeof(lo)];
		size_t first, lo_len;

		/* [dir + "\0", dir with its '/' made '0'): a document has a
		 * name after its directory; the directory's own key is none */
		lo_len = (size_t)snprintf(lo, sizeof(lo), "%s%s", s->prefix,
					  doc_dirs[d]) + 1;
		memcpy(hi, lo, lo_len - 1);
		hi[lo_len - 2] = '/' + 1;
		for (; j < n && strncmp(sorted[j], lo, lo_len - 1) < 0; j++)
			;
		for (first = j; j < n && !strncmp(sorted[j], lo, lo_len - 1); j++)
			;
		ret = xg_gone_find(&ops, s, lo, lo_len, hi, lo_len - 1,
				   sorted + first, j - first, at, gone_cb, &g,
				   &st, err);
		if (!ret && g.nomem)
			ret = -ENOMEM;
	}
	if (ret)
		goto out;
	xg_evq_push(s->q, XG_EVQ_CATCHUP_BEGIN, NULL, NULL, 0, 0);
	for (i = 0; i < c.n; i++)
		xg_evq_push(s->q, XG_EVQ_PUT, c.kv[i].key, c.kv[i].val,
			    c.kv[i].val_len, c.kv[i].mod_revision);
	for (i = 0; i < g.n; i++)
		xg_evq_push(s->q, XG_EVQ_DEL, g.key[i], NULL, 0, at);
	pr_info("etcd: caught up from revision %" PRId64 " to %" PRId64
		": %zu changed, %zu gone of %zu (%zu counts, %zu listings of %zu keys) in %.0f ms\n",
		s->seen_rev, at, c.n, g.n, n, st.counts, st.lists, st.listed,
		(double)(now_us() - t0) / 1000);
	snprintf(s->last_read, sizeof(s->last_read),
		 "catch-up from revision %" PRId64 " to %" PRId64
		 ": %zu changed, %zu gone, in %.0f ms",
		 s->seen_rev, at, c.n, g.n, (double)(now_us() - t0) / 1000);
	/* forgotten last: g.key points into known */
	for (i = 0; i < g.n; i++)
		xg_keyset_del(&s->known, g.key[i], strlen(g.key[i]));
	s->seen_rev = at;
	*rev = at;
out:
	if (ret == -ENOMEM)
		xg_err_set(err, "etcd catch-up", "out of memory");
	free(g.key);
	free(sorted);
	free(end);
	changed_free(&c);
	return ret;
}

/* Every key again, after a fresh start of known. */
static int full_read(struct xg_store_etcd *s, int64_t *rev, struct xg_err *err)
{
	uint64_t t0 = now_us();
	int ret;

	xg_keyset_clear(&s->known);
	s->known_ok = true;
	xg_evq_push(s->q, XG_EVQ_RESYNC_BEGIN, NULL, NULL, 0, 0);
	ret = xg_etcd_range_prefix_split(s->e, s->prefix, &s->splits, range_cb,
					 s, rev, err);
	if (ret) {
		/* The snapshot is incomplete: no RESYNC_END, so the control
		 * thread applies nothing from it; the next attempt starts the
		 * resync over. */
		s->known_ok = false;
		return ret;
	}
	s->seen_rev = *rev;
	snprintf(s->last_read, sizeof(s->last_read),
		 "full read at revision %" PRId64 ": %zu documents, in %.0f ms",
		 *rev, s->known.n, (double)(now_us() - t0) / 1000);
	return 0;
}

static void *run(void *arg)
{
	static const struct xg_etcd_watch_ops ops = {
		.on_event = on_event,
		.on_state = on_state,
		.on_progress = on_progress,
	};
	struct xg_store_etcd *s = arg;
	int wait_ms = 100;
	bool whole = true; /* the next read is a full one */

	while (!s->stop) {
		struct xg_err err = {};
		int64_t rev = 0;
		int ret;

		s->resync = 0;
		s->watch_stop = 0;
		if (!whole) {
			ret = catch_up(s, &rev, &err);
			if (ret && !transient(ret)) {
				pr_warn("etcd: catch-up from revision %" PRId64
					": %s: %s (%s); reading every key\n",
					s->seen_rev, err.where, err.msg,
					strerror(-ret));
				whole = true;
			}
		}
		if (whole)
			ret = full_read(s, &rev, &err);
		if (ret) {
			char msg[400];

			snprintf(msg, sizeof(msg), "disconnected: %s", err.msg);
			xg_evq_push(s->q, XG_EVQ_HEALTH, msg, NULL, 0, 0);
			backoff(s, &wait_ms);
			continue;
		}
		xg_evq_push(s->q, XG_EVQ_RESYNC_END, NULL, NULL, 0, rev);
		wait_ms = 100;
		ret = xg_etcd_watch(s->e, s->prefix, rev + 1, &ops, s,
				    &s->watch_stop);
		/* A compacted history can be caught up with from what we
		 * know; SIGHUP, or a watch that failed otherwise, reads all. */
		whole = ret != XG_ETCD_COMPACTED || !s->known_ok || s->resync;
		if (s->resync && !s->stop)
			pr_info("etcd: full resync requested: reading every key\n");
		else if (ret == XG_ETCD_COMPACTED)
			pr_info("etcd: revision %lld compacted: %s\n",
				(long long)s->seen_rev + 1,
				whole ? "full resync" : "catching up");
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
	pthread_mutex_init(&s->known_mu, NULL);
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	err = -pthread_create(&s->thr, NULL, run, s);
	if (err) {
		pthread_mutex_destroy(&s->known_mu);
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
	xg_keyset_clear(&s->known);
	pthread_mutex_destroy(&s->known_mu);
	free(s);
}
