// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/kv's etcd client against a real etcd, one scenario per command
 * (tests/integration/etcd_client_test.sh starts the servers):
 *
 *   etcd_client kv|range|create|lease|watch EP
 *   etcd_client failover DEAD_EP EP
 *   etcd_client compacted EP PREFIX      (PREFIX compacted past its keys)
 *   etcd_client watch-restart EP         (the script kills and restarts EP)
 *   etcd_client cluster EP1 EP2 EP3      (the script kills one member)
 *
 * The report ("ok"/"FAIL" lines) goes to stderr; stdout carries only
 * requests to the script ("KILL", "KILL <endpoint>"), answered with "GO"
 * on stdin.  Exit 0 when every check passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctrl/kv/etcd.h"

static int failures;

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (cond) {                                              \
			fprintf(stderr, "ok   - ");                      \
		} else {                                                 \
			failures++;                                      \
			fprintf(stderr, "FAIL - %s:%d: (%s) ", __FILE__, \
				__LINE__, #cond);                        \
		}                                                        \
		fprintf(stderr, __VA_ARGS__);                            \
		fprintf(stderr, "\n");                                   \
	} while (0)

/* Checks a call, printing etcd's error when it failed. */
#define CALL(expect, call, err, what)                                   \
	do {                                                            \
		int ret_ = (call);                                      \
		CHECK(ret_ == (expect), "%s: %d%s%s%s%s", what, ret_,   \
		      ret_ < 0 ? " " : "", ret_ < 0 ? (err).where : "", \
		      ret_ < 0 ? ": " : "", ret_ < 0 ? (err).msg : ""); \
	} while (0)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static struct xg_etcd *open_eps(const char *const *eps, size_t n)
{
	struct xg_etcd_cfg cfg = {
		.endpoints = eps,
		.n_endpoints = n,
		.timeout_ms = 2000,
		.watch_idle_ms = 5000,
	};
	struct xg_etcd *e = NULL;
	struct xg_err err = {0};
	int ret = xg_etcd_open(&cfg, &e, &err);

	if (ret) {
		fprintf(stderr, "FAIL - xg_etcd_open: %s\n", err.msg);
		exit(1);
	}
	return e;
}

/* A unary call may meet an election: retried the way a caller would. */
static int put_retry(struct xg_etcd *e, const char *key, const char *val,
		     int64_t *rev)
{
	struct xg_err err = {0};
	int ret = -EIO;

	for (int i = 0; i < 20; i++) {
		ret = xg_etcd_put(e, key, val, strlen(val), 0, rev, &err);
		if (!ret)
			return 0;
		fprintf(stderr, "     put %s: %s: %s (retrying)\n", key,
			err.where, err.msg);
		sleep_ms(300);
	}
	return ret;
}

/* Watch recorder: a thread running xg_etcd_watch, what it saw. */

struct rec_ev {
	enum xg_etcd_ev_type type;
	char *key, *val;
	int64_t rev;
};

struct rec {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rec_ev ev[4096];
	size_t n;
	int connects, disconnects, progress;
	int64_t progress_rev;
	char ep[128];
	/* Hold the watch in its first disconnect until released. */
	bool hold, holding, released;
	struct xg_etcd *e;
	const char *prefix;
	int64_t start;
	volatile int stop;
	int ret;
	pthread_t th;
};

static int rec_event(const struct xg_etcd_event *ev, void *arg)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->mu);
	if (r->n < sizeof(r->ev) / sizeof(r->ev[0])) {
		r->ev[r->n].type = ev->type;
		r->ev[r->n].key = strdup(ev->kv.key);
		r->ev[r->n].val = strdup(ev->kv.val);
		r->ev[r->n].rev = ev->kv.mod_revision;
		r->n++;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void rec_state(enum xg_etcd_conn st, const char *ep,
		      const struct xg_err *why, void *arg)
{
	struct rec *r = arg;

	fprintf(stderr, "     watch %s %s%s%s\n",
		st == XG_ETCD_CONNECTED ? "connected to" : "lost", ep,
		why ? ": " : "", why ? why->msg : "");
	pthread_mutex_lock(&r->mu);
	if (st == XG_ETCD_CONNECTED) {
		r->connects++;
		snprintf(r->ep, sizeof(r->ep), "%s", ep);
	} else {
		r->disconnects++;
		if (r->hold && !r->released) {
			r->holding = true;
			pthread_cond_broadcast(&r->cv);
			while (!r->released)
				pthread_cond_wait(&r->cv, &r->mu);
		}
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void rec_progress(int64_t rev, void *arg)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->mu);
	r->progress++;
	r->progress_rev = rev;
	pthread_mutex_unlock(&r->mu);
}

static const struct xg_etcd_watch_ops rec_ops = {
	.on_event = rec_event,
	.on_state = rec_state,
	.on_progress = rec_progress,
};

static void *rec_main(void *arg)
{
	struct rec *r = arg;

	r->ret =
		xg_etcd_watch(r->e, r->prefix, r->start, &rec_ops, r, &r->stop);
	return NULL;
}

static struct rec *rec_start(struct xg_etcd *e, const char *prefix,
			     int64_t start, bool hold)
{
	struct rec *r = calloc(1, sizeof(*r));

	if (!r)
		exit(1);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->e = e;
	r->prefix = prefix;
	r->start = start;
	r->hold = hold;
	if (pthread_create(&r->th, NULL, rec_main, r))
		exit(1);
	return r;
}

/* Waits until cond(r) holds, or timeout_ms: whether it did. */
static bool rec_wait(struct rec *r, bool (*cond)(struct rec *, size_t),
		     size_t arg, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	struct timespec ts;
	bool ok;

	pthread_mutex_lock(&r->mu);
	while (!(ok = cond(r, arg)) && now_ms() < end) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static bool has_events(struct rec *r, size_t n)
{
	return r->n >= n;
}

static bool is_connected(struct rec *r, size_t n)
{
	return r->connects > r->disconnects && (size_t)r->connects >= n;
}

static bool is_holding(struct rec *r, size_t n)
{
	return r->holding;
}

static void rec_release(struct rec *r)
{
	pthread_mutex_lock(&r->mu);
	r->released = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Stops the watch; returns how long xg_etcd_watch took to return. */
static uint64_t rec_stop(struct rec *r)
{
	uint64_t t0 = now_ms();

	r->stop = 1;
	rec_release(r);
	pthread_join(r->th, NULL);
	return now_ms() - t0;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->ev[i].key);
		free(r->ev[i].val);
	}
	free(r);
}

/*
 * What the watch saw against the store: revisions strictly rising (one
 * write per revision here, so a repeat is a duplicate), and every key's
 * last event equal to what a range reads.
 */
struct final_kv {
	char key[64], val[64];
	int64_t rev;
	bool seen;
};

static int collect_final(const struct xg_etcd_kv *kv, void *arg)
{
	struct final_kv *f = arg;

	for (; f->key[0]; f++) {
		if (!strcmp(f->key, kv->key)) {
			snprintf(f->val, sizeof(f->val), "%s", kv->val);
			f->rev = kv->mod_revision;
			f->seen = true;
		}
	}
	return 0;
}

static void check_against_store(struct xg_etcd *e, struct rec *r,
				const char *prefix, char keys[][64],
				size_t n_keys)
{
	struct final_kv *f = calloc(n_keys + 1, sizeof(*f));
	struct xg_err err = {0};
	bool rising = true, match = true;
	int64_t rev;
	size_t i, j;

	if (!f)
		exit(1);
	for (i = 0; i < n_keys; i++)
		snprintf(f[i].key, sizeof(f[i].key), "%s", keys[i]);
	CALL(0, xg_etcd_range_prefix(e, prefix, collect_final, f, &rev, &err),
	     err, "range to compare");
	for (i = 1; i < r->n; i++)
		rising &= r->ev[i].rev > r->ev[i - 1].rev;
	CHECK(rising, "%zu events, revisions strictly rising", r->n);
	for (i = 0; i < n_keys; i++) {
		for (j = r->n; j-- > 0;)
			if (!strcmp(r->ev[j].key, f[i].key))
				break;
		if (j == (size_t)-1 || !f[i].seen || r->ev[j].rev != f[i].rev ||
		    strcmp(r->ev[j].val, f[i].val)) {
			fprintf(stderr, "     %s: store %s@%" PRId64 "\n",
				f[i].key, f[i].val, f[i].rev);
			match = false;
		}
	}
	CHECK(match, "last event of each of %zu keys matches the store",
	      n_keys);
	free(f);
}

/* Scenarios */

static int t_kv(const char *ep)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	static const char bin[] = "a\0b\xff\n\"";
	struct xg_err err = {0};
	int64_t r1, r2, r3, mod;
	size_t len;
	char *v;

	CALL(0, xg_etcd_put(e, "/t/kv/a", "one", 3, 0, &r1, &err), err, "put");
	CALL(0, xg_etcd_get(e, "/t/kv/a", &v, &len, &mod, &err), err, "get");
	CHECK(v && len == 3 && !strcmp(v, "one") && mod == r1,
	      "get reads what put wrote, at its revision %" PRId64, r1);
	free(v);
	CALL(0, xg_etcd_put(e, "/t/kv/a", "two", 3, 0, &r2, &err), err,
	     "overwrite");
	CHECK(r2 > r1, "a later put has a later revision");
	CALL(0, xg_etcd_put(e, "/t/kv/bin", bin, sizeof(bin), 0, NULL, &err),
	     err, "binary value");
	CALL(0, xg_etcd_get(e, "/t/kv/bin", &v, &len, NULL, &err), err,
	     "get binary");
	CHECK(v && len == sizeof(bin) && !memcmp(v, bin, len),
	      "binary value comes back byte for byte");
	free(v);
	CALL(0, xg_etcd_put(e, "/t/kv/empty", NULL, 0, 0, NULL, &err), err,
	     "empty value");
	CALL(0, xg_etcd_get(e, "/t/kv/empty", &v, &len, NULL, &err), err,
	     "get empty");
	CHECK(v && len == 0 && !v[0], "empty value is \"\"");
	free(v);
	CALL(-ENOENT, xg_etcd_get(e, "/t/kv/none", &v, &len, NULL, &err), err,
	     "get absent");
	CHECK(!v, "no value for an absent key");

	CALL(0, xg_etcd_delete(e, "/t/kv/a", false, &r3, &err), err, "delete");
	CHECK(r3 > r2, "delete has a later revision");
	CALL(-ENOENT, xg_etcd_get(e, "/t/kv/a", &v, &len, NULL, &err), err,
	     "get deleted");
	CALL(0, xg_etcd_delete(e, "/t/kv/a", false, NULL, &err), err,
	     "deleting nothing");
	CALL(0, xg_etcd_delete(e, "/t/kv/", true, NULL, &err), err,
	     "delete prefix");
	CALL(-ENOENT, xg_etcd_get(e, "/t/kv/bin", &v, &len, NULL, &err), err,
	     "prefix gone");
	CALL(-EINVAL, xg_etcd_put(e, "", "x", 1, 0, NULL, &err), err,
	     "empty key refused");
	CALL(-ENOENT, xg_etcd_put(e, "/t/kv/l", "x", 1, 12345, NULL, &err), err,
	     "put with an unknown lease");
	xg_etcd_close(e);
	return failures;
}

struct range_acc {
	size_t n;
	bool ordered, values;
	char last[64];
};

static int range_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct range_acc *a = arg;
	char want[64];

	if (a->n && strcmp(a->last, kv->key) >= 0)
		a->ordered = false;
	snprintf(a->last, sizeof(a->last), "%s", kv->key);
	snprintf(want, sizeof(want), "v%s", kv->key + strlen("/t/rg/k"));
	if (!kv->val || strcmp(kv->val, want))
		a->values = false;
	a->n++;
	return 0;
}

static int stop_cb(const struct xg_etcd_kv *kv, void *arg)
{
	return ++*(int *)arg == 3 ? -ECANCELED : 0;
}

/* For ranges read in parts: callbacks come from several threads. */
struct seen_acc {
	pthread_mutex_t mu;
	unsigned char seen[1234];
	size_t n, dup, bad;
};

static int seen_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct seen_acc *a = arg;
	unsigned long i = strtoul(kv->key + strlen("/t/rg/k"), NULL, 10);
	char want[64];

	snprintf(want, sizeof(want), "v%05lu", i);
	pthread_mutex_lock(&a->mu);
	if (i >= 1234 || strcmp(kv->val, want))
		a->bad++;
	else if (a->seen[i]++)
		a->dup++;
	a->n++;
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static int stop_atomic_cb(const struct xg_etcd_kv *kv, void *arg)
{
	return __atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST) == 3 ?
		       -ECANCELED :
		       0;
}

/* Cuts in order, inside the prefix, each part within a quarter +- an
 * eighth of the 1,234 keys. */
static void check_cuts(const struct xg_etcd_splits *sp, const char *what)
{
	unsigned long prev = 0, at;
	bool ok = sp->n == XG_ETCD_RANGE_PARTS - 1;

	for (size_t i = 0; ok && i < sp->n; i++) {
		ok = !strncmp(sp->key[i], "/t/rg/k", 7);
		at = strtoul(sp->key[i] + 7, NULL, 10);
		ok = ok && at > prev && at - prev > 1234 / 8 &&
		     at - prev < 1234 * 3 / 8;
		prev = at;
	}
	ok = ok && 1234 - prev > 1234 / 8 && 1234 - prev < 1234 * 3 / 8;
	CHECK(ok, "%s: %zu cuts at even steps (%s, ...)", what, sp->n,
	      sp->n ? sp->key[0] : "-");
}

static void t_range_split(struct xg_etcd *e, struct xg_etcd *small,
			  int64_t last)
{
	struct xg_etcd_splits sp = {0}, stale = {0};
	struct xg_err err = {0};
	struct seen_acc a;
	int64_t rev = 0;
	int n = 0;

	memset(&a, 0, sizeof(a));
	pthread_mutex_init(&a.mu, NULL);
	CALL(0, xg_etcd_range_prefix_split(e, "/t/rg/", &sp, seen_cb, &a, &rev,
					   &err),
	     err, "range in one part, cuts learnt");
	CHECK(a.n == 1234 && !a.dup && !a.bad && rev == last,
	      "one part: %zu keys, %zu twice, %zu wrong", a.n, a.dup, a.bad);
	check_cuts(&sp, "after one part");

	memset(a.seen, 0, sizeof(a.seen));
	a.n = a.dup = a.bad = 0;
	CALL(0, xg_etcd_range_prefix_split(e, "/t/rg/", &sp, seen_cb, &a, &rev,
					   &err),
	     err, "range in parts");
	CHECK(a.n == 1234 && !a.dup && !a.bad && rev == last,
	      "parts: %zu keys, %zu twice, %zu wrong, revision %" PRId64, a.n,
	      a.dup, a.bad, rev);
	check_cuts(&sp, "after parts");

	/* parts paged in small pages: every page boundary and cut once */
	memset(a.seen, 0, sizeof(a.seen));
	a.n = a.dup = a.bad = 0;
	CALL(0, xg_etcd_range_prefix_split(small, "/t/rg/", &sp, seen_cb, &a,
					   &rev, &err),
	     err, "parts in pages of 7");
	CHECK(a.n == 1234 && !a.dup && !a.bad,
	      "parts of pages: %zu keys, %zu twice, %zu wrong", a.n, a.dup,
	      a.bad);

	/* cuts of another prefix are not used: one part, all keys */
	stale.key[0] = strdup("/t/zz/a");
	stale.n = 1;
	memset(a.seen, 0, sizeof(a.seen));
	a.n = a.dup = a.bad = 0;
	CALL(0, xg_etcd_range_prefix_split(e, "/t/rg/", &stale, seen_cb, &a,
					   &rev, &err),
	     err, "stale cuts");
	CHECK(a.n == 1234 && !a.dup && !a.bad && stale.n == sp.n,
	      "stale cuts ignored: %zu keys, new cuts %zu", a.n, stale.n);

	CALL(-ECANCELED,
	     xg_etcd_range_prefix_split(e, "/t/rg/", &sp, stop_atomic_cb, &n,
					&rev, &err),
	     err, "a callback stops every part");
	xg_etcd_splits_free(&sp);
	xg_etcd_splits_free(&stale);
	pthread_mutex_destroy(&a.mu);
}

/* What a catch-up asks of etcd (store_etcd.c): the keys changed since a
 * revision, in pages; counts of spans, now and at a revision; keys only. */
static void t_range_catchup(struct xg_etcd *e, struct xg_etcd *small,
			    int64_t last)
{
	static const char lo[] = "/t/rg/", hi[] = "/t/rg0";
	struct xg_etcd_range_opts o = { .min_mod_revision = last + 1 };
	static const int again[] = { 5, 500, 1000 };
	struct xg_err err = {0};
	struct range_acc a;
	int64_t rev, n, before;
	char key[64], val[64];

	for (size_t i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "/t/rg/k%05d", again[i]);
		snprintf(val, sizeof(val), "v%05d", again[i]);
		CALL(0, xg_etcd_put(e, key, val, strlen(val), 0, &before, &err),
		     err, "put again");
	}
	for (int pass = 0; pass < 2; pass++) {
		memset(&a, 0, sizeof(a));
		a.ordered = a.values = true;
		CALL(0,
		     xg_etcd_range_span(pass ? small : e, lo, strlen(lo), hi,
					strlen(hi), &o, range_cb, &a, &rev,
					&err),
		     err, "keys changed since a revision");
		CHECK(a.n == 3 && a.ordered && a.values &&
			      !strcmp(a.last, "/t/rg/k01000") && rev == before,
		      "only the %zu put again, in order, with values, at %" PRId64
		      "%s",
		      a.n, rev, pass ? " (pages of 7)" : "");
	}
	CALL(0, xg_etcd_count(e, lo, strlen(lo), hi, strlen(hi), 0, &n, &rev, &err),
	     err, "count");
	CHECK(n == 1234 && rev == before, "%" PRId64 " keys counted at %" PRId64, n, rev);
	CALL(0,
	     xg_etcd_count(e, "/t/rg/k00100", 12, "/t/rg/k00200", 12, rev, &n,
			   NULL, &err),
	     err, "count of a span");
	CHECK(n == 100, "%" PRId64 " keys in [k00100, k00200)", n);
	CALL(0, xg_etcd_delete(e, "/t/rg/k00150", false, NULL, &err), err,
	     "delete one");
	CALL(0,
	     xg_etcd_count(e, "/t/rg/k00100", 12, "/t/rg/k00200", 12, rev, &n,
			   NULL, &err),
	     err, "count at the revision before");
	CHECK(n == 100, "%" PRId64 " keys there at that revision", n);
	CALL(0,
	     xg_etcd_count(e, "/t/rg/k00100", 12, "/t/rg/k00200", 12, 0, &n,
			   NULL, &err),
	     err, "count now");
	CHECK(n == 99, "%" PRId64 " keys there now", n);
	memset(&a, 0, sizeof(a));
	a.ordered = true;
	o = (struct xg_etcd_range_opts){ .revision = rev, .keys_only = true };
	CALL(0,
	     xg_etcd_range_span(small, "/t/rg/k00100", 12, "/t/rg/k00200", 12,
				&o, range_cb, &a, NULL, &err),
	     err, "keys only, at the revision before");
	CHECK(a.n == 100 && a.ordered && !a.values,
	      "%zu keys, no values", a.n);
	CALL(-EINVAL,
	     xg_etcd_range_span(e, lo, strlen(lo), hi, strlen(hi),
				&(struct xg_etcd_range_opts){ .revision = -1 },
				range_cb, &a, NULL, &err),
	     err, "a negative revision refused");
}

static int t_range(const char *ep)
{
	struct xg_etcd_cfg cfg = {.endpoints = &ep, .n_endpoints = 1};
	struct xg_etcd *e = open_eps(&ep, 1), *small;
	struct xg_err err = {0};
	struct range_acc a;
	int64_t rev, last = 0;
	char key[64], val[64];
	int n = 0;
	size_t i;

	/* More than a page of 1,000 (the default page is bigger: puts one
	 * by one would make this test slow), and a neighbour that must stay
	 * out. */
	for (i = 0; i < 1234; i++) {
		snprintf(key, sizeof(key), "/t/rg/k%05zu", i);
		snprintf(val, sizeof(val), "v%05zu", i);
		if (xg_etcd_put(e, key, val, strlen(val), 0, &last, &err))
			break;
	}
	CHECK(i == 1234, "%zu puts (%s)", i, err.msg);
	CALL(0, xg_etcd_put(e, "/t/rh", "x", 1, 0, &last, &err), err,
	     "neighbour key");

	memset(&a, 0, sizeof(a));
	a.ordered = a.values = true;
	CALL(0, xg_etcd_range_prefix(e, "/t/rg/", range_cb, &a, &rev, &err),
	     err, "range, default page");
	CHECK(a.n == 1234 && a.ordered && a.values,
	      "%zu keys in one page, in order, with their values", a.n);
	CHECK(rev == last, "range revision %" PRId64 " is the store's", rev);

	cfg.page_size = 1000;
	CALL(0, xg_etcd_open(&cfg, &small, &err), err, "open, 1000 keys a page");
	memset(&a, 0, sizeof(a));
	a.ordered = a.values = true;
	CALL(0, xg_etcd_range_prefix(small, "/t/rg/", range_cb, &a, &rev, &err),
	     err, "range, pages of 1000");
	CHECK(a.n == 1234 && a.ordered && a.values,
	      "%zu keys over two pages, in order, with their values", a.n);
	CHECK(rev == last, "paged range revision %" PRId64 " is the store's",
	      rev);
	xg_etcd_close(small);

	cfg.page_size = 7;
	CALL(0, xg_etcd_open(&cfg, &small, &err), err, "open, 7 keys a page");
	memset(&a, 0, sizeof(a));
	a.ordered = a.values = true;
	CALL(0,
	     xg_etcd_range_prefix(small, "/t/rg/k001", range_cb, &a, &rev,
				  &err),
	     err, "range, small pages");
	CHECK(a.n == 100 && a.ordered && a.values, "%zu keys in 15 pages", a.n);
	t_range_split(e, small, last);
	CALL(-ECANCELED,
	     xg_etcd_range_prefix(small, "/t/rg/", stop_cb, &n, &rev, &err),
	     err, "callback stops the range");
	CHECK(n == 3, "no key after the stop");
	memset(&a, 0, sizeof(a));
	CALL(0,
	     xg_etcd_range_prefix(small, "/t/none/", range_cb, &a, &rev, &err),
	     err, "empty range");
	CHECK(a.n == 0 && rev == last, "no keys, still a revision");
	t_range_catchup(e, small, last);
	xg_etcd_close(small);
	CALL(0, xg_etcd_delete(e, "/t/r", true, NULL, &err), err, "cleanup");
	xg_etcd_close(e);
	return failures;
}

static int t_create(const char *ep)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	struct xg_err err = {0};
	char *cur = NULL;
	size_t len = 0;

	xg_etcd_delete(e, "/t/id/42", false, NULL, &err);
	CALL(1, xg_etcd_create(e, "/t/id/42", "labels-a", 8, &cur, &len, &err),
	     err, "first create");
	CHECK(!cur, "nothing existed");
	CALL(0, xg_etcd_create(e, "/t/id/42", "labels-b", 8, &cur, &len, &err),
	     err, "second create");
	CHECK(cur && len == 8 && !strcmp(cur, "labels-a"),
	      "second sees the first value (%s)", cur ? cur : "(null)");
	free(cur);
	CALL(0, xg_etcd_create(e, "/t/id/42", "x", 1, NULL, NULL, &err), err,
	     "existing not asked for");
	CALL(0, xg_etcd_delete(e, "/t/id/", true, NULL, &err), err, "cleanup");
	xg_etcd_close(e);
	return failures;
}

static int t_lease(const char *ep)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	struct xg_err err = {0};
	int64_t kept, lapsed, rev;
	size_t len;
	char *v;
	int i;

	CALL(0, xg_etcd_lease_grant(e, 2, &kept, &err), err, "grant kept");
	CALL(0, xg_etcd_lease_grant(e, 2, &lapsed, &err), err, "grant lapsed");
	CALL(0, xg_etcd_put(e, "/t/ls/kept", "k", 1, kept, &rev, &err), err,
	     "put on kept");
	CALL(0, xg_etcd_put(e, "/t/ls/lapsed", "l", 1, lapsed, &rev, &err), err,
	     "put on lapsed");
	/* 5 s, past two TTLs, refreshing one of them. */
	for (i = 0; i < 10; i++) {
		sleep_ms(500);
		if (xg_etcd_lease_keepalive(e, kept, &err))
			break;
	}
	CHECK(i == 10, "10 keepalives (%s)", err.msg);
	CALL(0, xg_etcd_get(e, "/t/ls/kept", &v, &len, NULL, &err), err,
	     "key with keepalive stays");
	free(v);
	CALL(-ENOENT, xg_etcd_get(e, "/t/ls/lapsed", &v, &len, NULL, &err), err,
	     "key without keepalive expired");
	CALL(-ENOENT, xg_etcd_lease_keepalive(e, lapsed, &err), err,
	     "keepalive of an expired lease");

	CALL(0, xg_etcd_lease_revoke(e, kept, &err), err, "revoke");
	CALL(-ENOENT, xg_etcd_get(e, "/t/ls/kept", &v, &len, NULL, &err), err,
	     "revoke deletes the key");
	CALL(-ENOENT, xg_etcd_lease_revoke(e, kept, &err), err, "revoke again");
	CALL(-EINVAL, xg_etcd_lease_grant(e, 0, &kept, &err), err,
	     "TTL 0 refused");
	xg_etcd_close(e);
	return failures;
}

static void expect_ev(struct rec *r, size_t i, enum xg_etcd_ev_type type,
		      const char *key, const char *val, int64_t rev)
{
	struct rec_ev *ev = &r->ev[i];

	CHECK(i < r->n && ev->type == type && !strcmp(ev->key, key) &&
		      !strcmp(ev->val, val) && ev->rev == rev,
	      "event %zu: %s %s=%s @%" PRId64, i,
	      type == XG_ETCD_EV_PUT ? "PUT" : "DELETE", key, val, rev);
}

static int t_watch(const char *ep)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	struct xg_err err = {0};
	int64_t rev0, r[6], d;
	struct rec *w, *now;
	int progress;
	uint64_t ms;

	xg_etcd_delete(e, "/t/w/", true, NULL, &err);
	CALL(0, xg_etcd_put(e, "/t/w/before", "0", 1, 0, NULL, &err), err,
	     "put before");
	CALL(0,
	     xg_etcd_range_prefix(e, "/t/w/", collect_final,
				  &(struct final_kv){0}, &rev0, &err),
	     err, "range for the start revision");
	w = rec_start(e, "/t/w/", rev0 + 1, false);
	CHECK(rec_wait(w, is_connected, 1, 5000), "watch connected");

	xg_etcd_put(e, "/t/w/a", "1", 1, 0, &r[0], &err);
	xg_etcd_put(e, "/t/wx", "out", 3, 0, NULL, &err); /* not ours */
	xg_etcd_put(e, "/t/w/b", "2", 1, 0, &r[1], &err);
	xg_etcd_put(e, "/t/w/a", "3", 1, 0, &r[2], &err);
	xg_etcd_delete(e, "/t/w/b", false, &r[3], &err);
	xg_etcd_put(e, "/t/w/c", "", 0, 0, &r[4], &err);
	/* One revision, three deletions. */
	xg_etcd_delete(e, "/t/w/", true, &d, &err);
	CHECK(rec_wait(w, has_events, 8, 5000), "8 events (%zu)", w->n);
	expect_ev(w, 0, XG_ETCD_EV_PUT, "/t/w/a", "1", r[0]);
	expect_ev(w, 1, XG_ETCD_EV_PUT, "/t/w/b", "2", r[1]);
	expect_ev(w, 2, XG_ETCD_EV_PUT, "/t/w/a", "3", r[2]);
	expect_ev(w, 3, XG_ETCD_EV_DELETE, "/t/w/b", "", r[3]);
	expect_ev(w, 4, XG_ETCD_EV_PUT, "/t/w/c", "", r[4]);
	expect_ev(w, 5, XG_ETCD_EV_DELETE, "/t/w/a", "", d);
	expect_ev(w, 6, XG_ETCD_EV_DELETE, "/t/w/before", "", d);
	expect_ev(w, 7, XG_ETCD_EV_DELETE, "/t/w/c", "", d);

	/* The server notifies progress every second (the script's etcd
	 * flag); the 5 s idle limit is never reached. */
	pthread_mutex_lock(&w->mu);
	progress = w->progress;
	pthread_mutex_unlock(&w->mu);
	sleep_ms(2500);
	pthread_mutex_lock(&w->mu);
	CHECK(w->progress > progress && w->progress_rev == d,
	      "progress notified on a quiet watch (%d, at %" PRId64 ")",
	      w->progress - progress, w->progress_rev);
	CHECK(w->disconnects == 0 && w->n == 8,
	      "quiet watch stays connected, nothing repeated");
	pthread_mutex_unlock(&w->mu);

	/* From now on: only what comes after. */
	now = rec_start(e, "/t/w/", 0, false);
	CHECK(rec_wait(now, is_connected, 1, 5000), "watch from now connected");
	xg_etcd_put(e, "/t/w/late", "9", 1, 0, &r[5], &err);
	CHECK(rec_wait(now, has_events, 1, 5000), "watch from now sees a put");
	expect_ev(now, 0, XG_ETCD_EV_PUT, "/t/w/late", "9", r[5]);
	CHECK(rec_wait(w, has_events, 9, 5000), "first watch sees it too");

	ms = rec_stop(w);
	CHECK(ms <= 100 && w->ret == 0,
	      "watch returns %d, %" PRIu64 " ms after stop", w->ret, ms);
	ms = rec_stop(now);
	CHECK(ms <= 100 && now->ret == 0,
	      "watch from now returns %d, %" PRIu64 " ms after stop", now->ret,
	      ms);
	rec_free(w);
	rec_free(now);
	xg_etcd_delete(e, "/t/w/", true, NULL, &err);
	xg_etcd_close(e);
	return failures;
}

static int t_failover(const char *dead, const char *live)
{
	const char *eps[] = {dead, live};
	struct xg_etcd *e = open_eps(eps, 2);
	struct xg_err err = {0};
	int64_t rev;
	size_t len;
	char *v;
	struct rec *w;

	CALL(0, xg_etcd_put(e, "/t/fo/a", "1", 1, 0, &rev, &err), err,
	     "put past the dead endpoint");
	CALL(0, xg_etcd_get(e, "/t/fo/a", &v, &len, NULL, &err), err, "get");
	free(v);
	w = rec_start(e, "/t/fo/", rev + 1, false);
	CHECK(rec_wait(w, is_connected, 1, 5000) && !strcmp(w->ep, live),
	      "watch connected to %s", w->ep);
	xg_etcd_put(e, "/t/fo/b", "2", 1, 0, &rev, &err);
	CHECK(rec_wait(w, has_events, 1, 5000), "watch sees a put");
	expect_ev(w, 0, XG_ETCD_EV_PUT, "/t/fo/b", "2", rev);
	rec_stop(w);
	rec_free(w);
	xg_etcd_delete(e, "/t/fo/", true, NULL, &err);
	xg_etcd_close(e);

	/* Nothing alive: an error, in about one timeout per endpoint. */
	{
		const char *none[] = {dead, dead};
		uint64_t t0;

		e = open_eps(none, 2);
		t0 = now_ms();
		CALL(-ECONNREFUSED,
		     xg_etcd_put(e, "/t/fo/a", "1", 1, 0, NULL, &err), err,
		     "no endpoint alive");
		CHECK(now_ms() - t0 < 4000, "and quickly");
		xg_etcd_close(e);
	}
	return failures;
}

static bool returned(struct rec *r, size_t n)
{
	return r->stop == 2;
}

static void *rec_main_mark(void *arg)
{
	struct rec *r = arg;

	rec_main(r);
	pthread_mutex_lock(&r->mu);
	r->stop = 2;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int t_compacted(const char *ep, const char *prefix)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	struct xg_err err = {0};
	struct range_acc a = {0};
	struct rec *w = calloc(1, sizeof(*w));
	int64_t rev, r1;
	char key[128];

	if (!w)
		exit(1);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->e = e;
	w->prefix = prefix;
	w->start = 1;
	pthread_create(&w->th, NULL, rec_main_mark, w);
	CHECK(rec_wait(w, returned, 0, 5000), "watch from revision 1 returns");
	if (w->stop != 2) {
		w->stop = 1;
		pthread_join(w->th, NULL);
		return ++failures;
	}
	pthread_join(w->th, NULL);
	CHECK(w->ret == XG_ETCD_COMPACTED, "with XG_ETCD_COMPACTED (%d)",
	      w->ret);
	CHECK(w->n == 0, "and no events");
	rec_free(w);

	/* The resync that answers it: a range, then a watch after it. */
	CALL(0, xg_etcd_range_prefix(e, prefix, range_cb, &a, &rev, &err), err,
	     "range");
	CHECK(a.n == 3, "3 keys");
	w = rec_start(e, prefix, rev + 1, false);
	snprintf(key, sizeof(key), "%sk4", prefix);
	CHECK(!put_retry(e, key, "v4", &r1), "put after");
	CHECK(rec_wait(w, has_events, 1, 5000), "rewatch sees the next put");
	expect_ev(w, 0, XG_ETCD_EV_PUT, key, "v4", r1);
	rec_stop(w);
	rec_free(w);
	xg_etcd_close(e);
	return failures;
}

/* Asks the script to do something; true when it answered "GO". */
static bool ask(const char *what)
{
	char line[64];

	printf("%s\n", what);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return !strncmp(line, "GO", 2);
}

static int t_watch_restart(const char *ep)
{
	struct xg_etcd *e = open_eps(&ep, 1);
	struct xg_err err = {0};
	char keys[30][64], val[16];
	struct rec *w;
	int64_t rev;
	uint64_t ms;
	int i;

	xg_etcd_delete(e, "/t/wr/", true, NULL, &err);
	CALL(0,
	     xg_etcd_range_prefix(e, "/t/wr/", collect_final,
				  &(struct final_kv){0}, &rev, &err),
	     err, "range");
	/* Held in its disconnect, so that the writes after the restart
	 * happen while it is away and must come from the resumed watch. */
	w = rec_start(e, "/t/wr/", rev + 1, true);
	CHECK(rec_wait(w, is_connected, 1, 5000), "watch connected");
	for (i = 0; i < 30; i++)
		snprintf(keys[i], sizeof(keys[i]), "/t/wr/k%02d", i % 15);
	for (i = 0; i < 10; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		put_retry(e, keys[i], val, NULL);
	}
	CHECK(rec_wait(w, has_events, 10, 5000), "10 events before the kill");

	CHECK(ask("KILL"), "etcd killed and restarted");
	CHECK(rec_wait(w, is_holding, 0, 10000), "watch saw the stream drop");
	for (i = 10; i < 20; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		CHECK(!put_retry(e, keys[i], val, NULL), "put %s while away",
		      keys[i]);
	}
	rec_release(w);
	CHECK(rec_wait(w, is_connected, 2, 10000), "watch reconnected");
	for (i = 20; i < 30; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		put_retry(e, keys[i], val, NULL);
	}
	CHECK(rec_wait(w, has_events, 30, 10000), "30 events (%zu)", w->n);
	sleep_ms(300); /* room for a duplicate to show */
	CHECK(w->n == 30, "exactly 30");
	for (i = 0; i < 30 && i < (int)w->n; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		if (strcmp(w->ev[i].key, keys[i]) || strcmp(w->ev[i].val, val))
			break;
	}
	CHECK(i == 30, "in the order written (first difference: %d)", i);
	check_against_store(e, w, "/t/wr/", keys, 15);
	ms = rec_stop(w);
	CHECK(ms <= 100, "stopped in %" PRIu64 " ms", ms);
	rec_free(w);
	xg_etcd_close(e);
	return failures;
}

static int t_cluster(const char *const *eps)
{
	struct xg_etcd *e = open_eps(eps, 3);
	struct xg_err err = {0};
	char keys[40][64], val[16], kill[160];
	struct rec *w;
	int64_t rev;
	int i;

	CALL(0,
	     xg_etcd_range_prefix(e, "/t/cl/", collect_final,
				  &(struct final_kv){0}, &rev, &err),
	     err, "range");
	w = rec_start(e, "/t/cl/", rev + 1, false);
	CHECK(rec_wait(w, is_connected, 1, 5000), "watch connected to %s",
	      w->ep);
	for (i = 0; i < 40; i++)
		snprintf(keys[i], sizeof(keys[i]), "/t/cl/k%02d", i);
	for (i = 0; i < 20; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		put_retry(e, keys[i], val, NULL);
	}
	CHECK(rec_wait(w, has_events, 20, 5000), "20 events");
	/* The member both the watch and the unary calls are on. */
	pthread_mutex_lock(&w->mu);
	snprintf(kill, sizeof(kill), "KILL %s", w->ep);
	pthread_mutex_unlock(&w->mu);
	CHECK(ask(kill), "member killed");
	for (i = 20; i < 40; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		CHECK(!put_retry(e, keys[i], val, NULL), "put %s", keys[i]);
	}
	CHECK(rec_wait(w, has_events, 40, 15000), "40 events (%zu)", w->n);
	CHECK(rec_wait(w, is_connected, 2, 5000), "watch moved to %s", w->ep);
	sleep_ms(300);
	check_against_store(e, w, "/t/cl/", keys, 40);
	rec_stop(w);
	rec_free(w);
	xg_etcd_close(e);
	return failures;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(cmd, "kv"))
		return t_kv(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(cmd, "range"))
		return t_range(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(cmd, "create"))
		return t_create(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(cmd, "lease"))
		return t_lease(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(cmd, "watch"))
		return t_watch(argv[2]) ? 1 : 0;
	if (argc == 4 && !strcmp(cmd, "failover"))
		return t_failover(argv[2], argv[3]) ? 1 : 0;
	if (argc == 4 && !strcmp(cmd, "compacted"))
		return t_compacted(argv[2], argv[3]) ? 1 : 0;
	if (argc == 3 && !strcmp(cmd, "watch-restart"))
		return t_watch_restart(argv[2]) ? 1 : 0;
	if (argc == 5 && !strcmp(cmd, "cluster"))
		return t_cluster((const char *const *)argv + 2) ? 1 : 0;
	fprintf(stderr,
		"usage: %s kv|range|create|lease|watch|watch-restart EP\n"
		"       %s failover DEAD_EP EP | compacted EP PREFIX\n"
		"       %s cluster EP1 EP2 EP3\n",
		argv[0], argv[0], argv[0]);
	return 2;
}
