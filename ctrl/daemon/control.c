// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control thread: kvstore events in, maps out.  Everything queued is
 * taken at once and costs one compile; a document that does not parse
 * is refused alone (docstore.h) and a state that does not compile is not
 * applied: what the maps hold stays enforced, and status says why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "id_batch.h"
#include "fastpath/fastpath.h"
#include "store_etcd.h"
#include "ctrl/log.h"

static double ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

static int id_fn(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct xgd *d = arg;

	return xg_id_get(d->ids, labels, id, err);
}

/* Publishes the per-key errors for status. */
static void publish_errors(struct xgd *d)
{
	size_t n = xg_docstore_errors(&d->docs), k = 0;
	char **keys, **msgs;

	if (!n && !d->n_errs)
		return; /* nothing to say, nothing said: no walk over the keys */
	keys = calloc(n + 1, sizeof(char *));
	msgs = calloc(n + 1, sizeof(char *));
	if (!keys || !msgs) {
		free(keys);
		free(msgs);
		return;
	}
	for (size_t i = 0; i < d->docs.n && k < n; i++)
		if (d->docs.v[i].error) {
			keys[k] = strdup(d->docs.v[i].key);
			msgs[k] = strdup(d->docs.v[i].error);
			k++;
		}
	pthread_rwlock_wrlock(&d->lock);
	for (size_t i = 0; i < d->n_errs; i++) {
		free(d->err_keys[i]);
		free(d->err_msgs[i]);
	}
	free(d->err_keys);
	free(d->err_msgs);
	d->err_keys = keys;
	d->err_msgs = msgs;
	d->n_errs = k;
	pthread_rwlock_unlock(&d->lock);
}

/* Publishes the rulesets of `now` (and of `also`, when given) to the
 * fast path. */
static int publish_rulesets(struct xgd *d, const struct xg_compiled *also,
			    const struct xg_compiled *now, struct xg_err *err)
{
	struct xg_l7_ruleset *rs;
	size_t n = now->n_l7 + (also ? also->n_l7 : 0);
	int ret;

	if (!d->fp)
		return 0;
	rs = calloc(n ? n : 1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	if (n)
		memcpy(rs, now->l7, now->n_l7 * sizeof(*rs));
	if (also && also->n_l7)
		memcpy(rs + now->n_l7, also->l7, also->n_l7 * sizeof(*rs));
	ret = xg_fastpath_set_rulesets(d->fp, rs, n, err);
	free(rs);
	return ret;
}

/* Compile everything and apply it.  Returns 0 when the maps now hold the
 * documents' state. */
static int apply(struct xgd *d, const struct timespec *oldest)
{
	const struct xg_compile_index *idx = NULL;
	const struct xg_compile_src *src;
	struct xg_compiled c = {}, old;
	struct xg_dp_sync_stats st = {};
	struct xg_err err = {};
	struct timespec t0;
	double compile_ms;
	char msg[512];
	size_t n = 0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (d->ep_changed >= XGD_ID_BATCH_MIN) {
		long made = xgd_id_batch(d->ids, &d->docs, &err);

		if (made < 0)
			pr_warn("identity: %s: %s (the compile asks again, one by one)\n",
				err.where, err.msg);
		else if (made)
			pr_info("identity: %ld new label sets numbered together in %.0f ms\n",
				made, ms_since(&t0));
	}
	d->ep_changed = 0;
	src = xg_docstore_view(&d->docs, &n, &idx);
	ret = src ? 0 : -ENOMEM;
	/* without a cache (out of memory) every compile is a full one */
	if (!d->ccache)
		d->ccache = xg_compile_cache_new();
	if (!ret)
		ret = xg_compile_indexed(d->ccache, src, n, idx, id_fn, d, &c,
					 &err);
	compile_ms = ms_since(&t0);
	if (ret) {
		xg_err_str(&err, msg, sizeof(msg));
		pr_warn("compile: %s; the previous state stays enforced\n", msg);
		pthread_rwlock_wrlock(&d->lock);
		snprintf(d->st.compile_error, sizeof(d->st.compile_error), "%s", msg);
		pthread_rwlock_unlock(&d->lock);
		return ret;
	}
	/* The fast path learns the new rulesets before the maps name them,
	 * and forgets the old ones only after: ids are content hashes, so
	 * a frame judged under either state finds its ruleset. */
	ret = publish_rulesets(d, &d->compiled, &c, &err);
	if (ret) {
		xg_err_str(&err, msg, sizeof(msg));
		pr_warn("L7 rulesets: %s; the previous state stays enforced\n",
			msg);
		pthread_rwlock_wrlock(&d->lock);
		snprintf(d->st.compile_error, sizeof(d->st.compile_error), "%s",
			 msg);
		pthread_rwlock_unlock(&d->lock);
		xg_compiled_free(&c);
		return ret;
	}
	ret = xg_dp_sync_apply(&d->sync, d->ms, &c, &st);
	if (!ret)
		publish_rulesets(d, NULL, &c, &err);
	if (ret) {
		pr_warn("sync: %s (will retry)\n", strerror(-ret));
		xg_compiled_free(&c);
		/* start over from what the maps really hold */
		xg_dp_sync_adopt(&d->sync, d->ms);
		return ret;
	}
	pthread_rwlock_wrlock(&d->lock);
	old = d->compiled;
	d->compiled = c;
	d->st.compile_error[0] = '\0';
	d->st.policy_rev = st.revision;
	d->st.applies++;
	d->st.last_apply_ms = ms_since(&t0);
	d->st.last_compile_ms = compile_ms;
	if (oldest) {
		d->st.last_sync_latency_ms = ms_since(oldest);
		d->st.sync_latency_sum_ms += d->st.last_sync_latency_ms;
		d->st.sync_latency_n++;
	}
	pthread_rwlock_unlock(&d->lock);
	xg_compiled_free(&old);
	pr_info("applied: %zu rules, %zu identities, %zu services; ipcache +%zu -%zu, policy +%zu -%zu, services +%zu -%zu; revision %u (%.1f ms, compile %.1f)\n",
		c.n_rules, c.n_idents, c.n_svcs, st.ipc_written, st.ipc_deleted,
		st.policy_written, st.policy_deleted, st.svc_written,
		st.svc_deleted, st.revision, d->st.last_apply_ms, compile_ms);
	return 0;
}

/* The puts of a batch, parsed ahead on every CPU when there are many
 * (docstore.h); NULL when there are few, or without memory: each is then
 * parsed as it is put. */
static struct xg_docstore_req *parse_ahead(struct xgd *d,
					   struct xg_evq_item *it)
{
	struct xg_docstore_req *r;
	size_t n = 0;
	long cpus;

	for (struct xg_evq_item *i = it; i; i = i->next)
		n += i->kind == XG_EVQ_PUT;
	if (n < 64)
		return NULL;
	/* asked only here: glibc reads it from sysfs every time, which
	 * was 1% of a one-policy apply */
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 2)
		return NULL;
	r = calloc(n, sizeof(*r));
	if (!r)
		return NULL;
	n = 0;
	for (struct xg_evq_item *i = it; i; i = i->next)
		if (i->kind == XG_EVQ_PUT)
			r[n++] = (struct xg_docstore_req){ .key = i->key,
							   .buf = i->val,
							   .len = i->len };
	xg_docstore_parse_ahead(&d->docs, r, n, (unsigned)cpus);
	return r;
}

/* Applies a batch of events to the document store.  Returns whether
 * what is enforced may have changed.
 * in_resync: a resync or catch-up is being read, applied at its end;
 * marked: a full one, whose end sweeps what it did not put. */
static bool take(struct xgd *d, struct xg_evq_item *it, int64_t *rev,
		 const struct timespec **oldest, bool *in_resync, bool *marked)
{
	struct xg_docstore_req *reqs = parse_ahead(d, it), one;
	size_t n_put = 0;
	bool changed = false, maybe_ep;

	for (; it; it = it->next) {
		struct xg_docstore_req *r = reqs ? &reqs[n_put] : &one;

		switch (it->kind) {
		case XG_EVQ_PUT:
			if (!reqs)
				one = (struct xg_docstore_req){ .key = it->key,
								.buf = it->val,
								.len = it->len };
			maybe_ep = !reqs || r->parsed != 1 || r->set.n_endpoints;
			if (xg_docstore_put_req(&d->docs, r) > 0) {
				changed = true;
				d->ep_changed += maybe_ep;
			}
			n_put++;
			break;
		case XG_EVQ_DEL:
			changed |= xg_docstore_del(&d->docs, it->key) > 0;
			break;
		case XG_EVQ_RESYNC_BEGIN:
			xg_docstore_mark(&d->docs);
			*in_resync = *marked = true;
			break;
		case XG_EVQ_CATCHUP_BEGIN:
			/* its puts and deletes say all; nothing is swept */
			*in_resync = true;
			break;
		case XG_EVQ_RESYNC_END:
			if (*marked)
				changed |= xg_docstore_sweep(&d->docs) > 0;
			*in_resync = *marked = false;
			changed = true; /* a resync always ends in one apply */
			break;
		case XG_EVQ_HEALTH:
			pthread_rwlock_wrlock(&d->lock);
			d->st.store_up = it->rev != 0;
			snprintf(d->st.store_detail, sizeof(d->st.store_detail),
				 "%s", it->key ? it->key : "");
			pthread_rwlock_unlock(&d->lock);
			continue;
		case XG_EVQ_WAKE:
			continue;
		}
		if (it->rev > *rev)
			*rev = it->rev;
		if (!*oldest)
			*oldest = &it->at;
	}
	free(reqs); /* every req was put, which took its set */
	return changed;
}

static void *run(void *arg)
{
	struct xgd *d = arg;
	bool in_resync = false, marked = false, pending = false;
	int64_t rev = 0, applied_rev = -1;

	while (!d->stop) {
		struct xg_evq_item *list = xg_evq_take(&d->q, 500);
		const struct timespec *oldest = NULL;

		pthread_mutex_lock(&d->docs_mu);
		pending |= take(d, list, &rev, &oldest, &in_resync, &marked);
		publish_errors(d);
		/* A resync applies once, when its snapshot is complete: a
		 * half-read store would look like deleted policies. */
		if (pending && !in_resync) {
			if (!apply(d, oldest))
				applied_rev = rev;
			pending = false;
			pthread_rwlock_wrlock(&d->lock);
			d->st.store_rev = applied_rev > 0 ? applied_rev : 0;
			d->st.resyncing = false;
			pthread_rwlock_unlock(&d->lock);
			/* the fleet hears of it from the reporter's thread */
			xgd_report_applied(&d->rep, applied_rev, d->st.policy_rev);
		}
		pthread_mutex_unlock(&d->docs_mu);
		xg_evq_free_list(list);
	}
	return NULL;
}

int xgd_control_start(struct xgd *d, pthread_t *thr)
{
	return -pthread_create(thr, NULL, run, d);
}
