// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's document path up to the compiler: the event queue the
 * kvstore threads feed (ctrl/daemon/evq.c), the documents by store key
 * (ctrl/daemon/docstore.c) and the file kvstore (ctrl/daemon/store_file.c)
 * on a real temporary directory with real inotify.  Filesystem tests wait
 * for events with a deadline, never a fixed sleep, and prove that
 * something did NOT happen with a sentinel file: inotify reports in
 * order, so once the sentinel's events are seen, every earlier change's
 * are too.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctrl/daemon/docstore.h"
#include "ctrl/daemon/evq.h"
#include "ctrl/daemon/store_file.h"

/* How long an event may take to show up.  Generous: inotify is
 * immediate, but the sanitized build on a loaded machine is not. */
#define EV_TIMEOUT_MS 2000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *kind_name(enum xg_ev_kind k)
{
	static const char *const names[] = {
		[XG_EVQ_PUT] = "PUT",
		[XG_EVQ_DEL] = "DEL",
		[XG_EVQ_RESYNC_BEGIN] = "RESYNC_BEGIN",
		[XG_EVQ_CATCHUP_BEGIN] = "CATCHUP_BEGIN",
		[XG_EVQ_RESYNC_END] = "RESYNC_END",
		[XG_EVQ_HEALTH] = "HEALTH",
		[XG_EVQ_WAKE] = "WAKE",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ? names[k]
								  : "?";
}

/* ----------------------------------------------------------- evq -- */

static void test_evq_order_and_batch(void **state)
{
	struct xg_evq q;
	struct xg_evq_item *l, *it;

	xg_evq_init(&q);
	assert_int_equal(xg_evq_push(&q, XG_EVQ_RESYNC_BEGIN, NULL, NULL, 0, 0),
			 0);
	assert_int_equal(xg_evq_push(&q, XG_EVQ_PUT, "a", "1", 1, 7), 0);
	assert_int_equal(xg_evq_push(&q, XG_EVQ_DEL, "b", NULL, 0, 8), 0);
	assert_int_equal(xg_evq_push(&q, XG_EVQ_RESYNC_END, NULL, NULL, 0, 0),
			 0);

	/* One take gets the whole burst, oldest first: one compile. */
	l = xg_evq_take(&q, 1000);
	assert_non_null(l);
	it = l;
	assert_int_equal(it->kind, XG_EVQ_RESYNC_BEGIN);
	assert_null(it->key);
	assert_null(it->val);
	it = it->next;
	assert_int_equal(it->kind, XG_EVQ_PUT);
	assert_string_equal(it->key, "a");
	assert_string_equal(it->val, "1");
	assert_int_equal(it->rev, 7);
	it = it->next;
	assert_int_equal(it->kind, XG_EVQ_DEL);
	assert_string_equal(it->key, "b");
	assert_null(it->val);
	assert_int_equal(it->len, 0);
	assert_int_equal(it->rev, 8);
	it = it->next;
	assert_int_equal(it->kind, XG_EVQ_RESYNC_END);
	assert_null(it->next);
	xg_evq_free_list(l);

	/* Nothing left behind, and the queue still works after a take. */
	assert_null(xg_evq_take(&q, 0));
	assert_int_equal(xg_evq_push(&q, XG_EVQ_WAKE, NULL, NULL, 0, 0), 0);
	l = xg_evq_take(&q, 0);
	assert_non_null(l);
	assert_int_equal(l->kind, XG_EVQ_WAKE);
	assert_null(l->next);
	xg_evq_free_list(l);
	xg_evq_destroy(&q);
}

static void test_evq_timeout(void **state)
{
	struct xg_evq q;
	int64_t t0, dt;

	xg_evq_init(&q);
	t0 = now_ms();
	assert_null(xg_evq_take(&q, 0));
	assert_true(now_ms() - t0 < 100);

	t0 = now_ms();
	assert_null(xg_evq_take(&q, 150));
	dt = now_ms() - t0;
	/* Not early (the wait is on CLOCK_MONOTONIC, whole), and not
	 * much late: the control thread's timers depend on it. */
	if (dt < 145 || dt > 1000)
		fail_msg("an empty take of 150 ms took %lld ms", (long long)dt);

	/* Crossing a second boundary in the deadline arithmetic. */
	t0 = now_ms();
	assert_null(xg_evq_take(&q, 1010));
	dt = now_ms() - t0;
	if (dt < 1005 || dt > 2000)
		fail_msg("an empty take of 1010 ms took %lld ms",
			 (long long)dt);
	xg_evq_destroy(&q);
}

static void test_evq_copies(void **state)
{
	struct xg_evq q;
	struct xg_evq_item *l;
	char key[] = "dir/file.yaml";
	char val[] = "abcdef";

	xg_evq_init(&q);
	/* len shorter than the buffer: exactly len bytes, then a NUL. */
	assert_int_equal(xg_evq_push(&q, XG_EVQ_PUT, key, val, 3, 0), 0);
	/* Binary values keep their NULs; len says where they end. */
	assert_int_equal(xg_evq_push(&q, XG_EVQ_PUT, "bin", "x\0y", 3, 0), 0);
	/* An empty value is a value, not none. */
	assert_int_equal(xg_evq_push(&q, XG_EVQ_PUT, "empty", "", 0, 0), 0);
	memset(key, 'X', sizeof(key) - 1);
	memset(val, 'Y', sizeof(val) - 1);

	l = xg_evq_take(&q, 0);
	assert_non_null(l);
	assert_string_equal(l->key, "dir/file.yaml");
	assert_int_equal(l->len, 3);
	assert_memory_equal(l->val, "abc", 4); /* with the NUL */
	assert_ptr_not_equal(l->key, key);
	assert_ptr_not_equal(l->val, val);
	assert_true(l->at.tv_sec || l->at.tv_nsec);

	assert_non_null(l->next);
	assert_int_equal(l->next->len, 3);
	assert_memory_equal(l->next->val, "x\0y", 4);

	assert_non_null(l->next->next);
	assert_non_null(l->next->next->val);
	assert_int_equal(l->next->next->len, 0);
	assert_int_equal(l->next->next->val[0], '\0');
	xg_evq_free_list(l);

	/* What destroy frees: items never taken. */
	assert_int_equal(xg_evq_push(&q, XG_EVQ_PUT, "left", "over", 4, 0), 0);
	xg_evq_destroy(&q);
}

#define N_CONC 10000

static void *producer(void *arg)
{
	struct xg_evq *q = arg;
	char key[32];

	for (int i = 0; i < N_CONC; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (xg_evq_push(q, XG_EVQ_PUT, key, key, strlen(key), i))
			return (void *)1;
		/* Now and then let the consumer run dry and block, so
		 * that both the wake-up and the batch paths are taken. */
		if (i % 1000 == 999)
			usleep(1000);
	}
	return NULL;
}

static void test_evq_concurrent(void **state)
{
	int64_t deadline = now_ms() + 20000;
	struct xg_evq q;
	pthread_t thr;
	void *ret;
	int next = 0, takes = 0;
	char want[32];

	xg_evq_init(&q);
	assert_int_equal(pthread_create(&thr, NULL, producer, &q), 0);
	while (next < N_CONC && now_ms() < deadline) {
		struct xg_evq_item *l = xg_evq_take(&q, 100), *it;

		if (!l)
			continue;
		takes++;
		for (it = l; it; it = it->next) {
			snprintf(want, sizeof(want), "k%d", next);
			if (it->rev != next || strcmp(it->key, want) ||
			    strcmp(it->val, want))
				fail_msg("item %d: got rev %lld key %s", next,
					 (long long)it->rev, it->key);
			next++;
		}
		xg_evq_free_list(l);
	}
	assert_int_equal(pthread_join(thr, &ret), 0);
	assert_null(ret);
	assert_int_equal(next, N_CONC);
	assert_true(takes >= 1);
	assert_null(xg_evq_take(&q, 0));
	xg_evq_destroy(&q);
}

/* A consumer waiting with a long timeout is woken by a push. */
static void *push_later(void *arg)
{
	usleep(50 * 1000);
	xg_evq_push(arg, XG_EVQ_WAKE, NULL, NULL, 0, 0);
	return NULL;
}

static void test_evq_wakes(void **state)
{
	struct xg_evq q;
	struct xg_evq_item *l;
	pthread_t thr;
	int64_t t0;

	xg_evq_init(&q);
	t0 = now_ms();
	assert_int_equal(pthread_create(&thr, NULL, push_later, &q), 0);
	l = xg_evq_take(&q, 10000);
	assert_non_null(l);
	assert_int_equal(l->kind, XG_EVQ_WAKE);
	assert_true(now_ms() - t0 < 5000);
	xg_evq_free_list(l);
	pthread_join(thr, NULL);
	xg_evq_destroy(&q);
}

/* ------------------------------------------------------ docstore -- */

/* An Endpoint: name and port tell the versions apart.  The port is on
 * line 11, its value at column 11. */
static char *ep_doc(char *buf, size_t len, const char *name, long port)
{
	snprintf(buf, len,
		 "apiVersion: xgate.io/v1\n"
		 "kind: Endpoint\n"
		 "metadata:\n"
		 "  name: %s\n"
		 "spec:\n"
		 "  addresses: [198.18.0.11, \"2001:2::11\"]\n"
		 "  labels:\n"
		 "    app: web\n"
		 "  ports:\n"
		 "  - name: http\n"
		 "    port: %ld\n",
		 name, port);
	return buf;
}

static int put_ep(struct xg_docstore *d, const char *key, const char *name,
		  long port)
{
	char buf[512];

	ep_doc(buf, sizeof(buf), name, port);
	return xg_docstore_put(d, key, buf, strlen(buf));
}

static struct xg_docent *ent(struct xg_docstore *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].key, key))
			return &d->v[i];
	return NULL;
}

/* The sources as "key=endpoint,key=endpoint", in their order. */
static const char *sources_str(struct xg_docstore *d, char *buf, size_t len)
{
	struct xg_compile_src *src;
	size_t n, off = 0;

	assert_int_equal(xg_docstore_sources(d, &src, &n), 0);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct xg_doc_set *s = src[i].set;

		assert_non_null(s);
		assert_int_equal(s->n_endpoints, 1);
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%s:%u",
					i ? "," : "", src[i].name,
					s->endpoints[0].name,
					s->endpoints[0].ports[0].port);
		assert_true(off < len);
	}
	free(src);
	return buf;
}

static void test_docstore_put_good(void **state)
{
	struct xg_docstore d = {};
	struct xg_docent *e;
	char text[512], buf[256];

	ep_doc(text, sizeof(text), "a1", 8080);
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", text, strlen(text)),
			 1);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a1:8080");
	assert_int_equal(xg_docstore_errors(&d), 0);
	e = ent(&d, "ep/a.yaml");
	assert_non_null(e);
	assert_true(e->has_set);
	assert_null(e->error);
	assert_string_equal(e->text, text);
	xg_docstore_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
}

static void test_docstore_bad_keeps_good(void **state)
{
	struct xg_docstore d = {};
	struct xg_docent *e;
	char good[512], good2[512], buf[256];

	ep_doc(good, sizeof(good), "a1", 8080);
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", good, strlen(good)),
			 1);

	/* A refused version: what was enforced stays, text included, and
	 * the error says which file, where in it and why. */
	assert_int_equal(put_ep(&d, "ep/a.yaml", "a2", 99999), -EINVAL);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a1:8080");
	assert_int_equal(xg_docstore_errors(&d), 1);
	e = ent(&d, "ep/a.yaml");
	assert_non_null(e);
	assert_true(e->has_set);
	assert_string_equal(e->text, good);
	assert_non_null(e->error);
	if (strncmp(e->error, "ep/a.yaml: ", 11) ||
	    !strstr(e->error, ":11:11:"))
		fail_msg("error '%s' lacks the key or line:col 11:11",
			 e->error);

	/* A second bad version replaces the error, not the set. */
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", "kind: [", 7),
			 -EINVAL);
	assert_int_equal(xg_docstore_errors(&d), 1);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a1:8080");

	/* Fixed: the error goes, the new version is enforced. */
	ep_doc(good2, sizeof(good2), "a3", 9090);
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", good2, strlen(good2)),
			 1);
	e = ent(&d, "ep/a.yaml");
	assert_non_null(e);
	assert_null(e->error);
	assert_string_equal(e->text, good2);
	assert_int_equal(xg_docstore_errors(&d), 0);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a3:9090");

	/* A key whose only version is bad: an error, no source; deleting
	 * it drops the error but changes nothing enforced. */
	assert_int_equal(put_ep(&d, "new.yaml", "n1", 99999), -EINVAL);
	assert_int_equal(xg_docstore_errors(&d), 1);
	e = ent(&d, "new.yaml");
	assert_non_null(e);
	assert_false(e->has_set);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a3:9090");
	assert_int_equal(xg_docstore_del(&d, "new.yaml"), 0);
	assert_int_equal(xg_docstore_errors(&d), 0);
	assert_null(ent(&d, "new.yaml"));
	xg_docstore_free(&d);
}

/* The text enforced already, put again (a resync reads every key): no
 * change, no parse (the set and its generation stay, so the compile
 * cache keeps its part), and an error from a bad version in between
 * goes, since what the key holds is good again. */
static void test_docstore_same_text(void **state)
{
	struct xg_docstore d = {};
	struct xg_docent *e;
	const struct xg_endpoint_doc *eps;
	unsigned long long gen;
	char good[512], buf[256];

	ep_doc(good, sizeof(good), "a1", 8080);
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", good, strlen(good)),
			 1);
	e = ent(&d, "ep/a.yaml");
	gen = e->set.gen;
	eps = e->set.endpoints;
	assert_true(gen != 0);
	assert_int_equal(xg_docstore_put(&d, "ep/a.yaml", good, strlen(good)),
			 0);
	e = ent(&d, "ep/a.yaml");
	assert_true(e->set.gen == gen);
	assert_ptr_equal(e->set.endpoints, eps);

	assert_int_equal(put_ep(&d, "ep/a.yaml", "a1", 8080), 0);
	assert_int_equal(put_ep(&d, "ep/a.yaml", "a2", 99999), -EINVAL);
	assert_int_equal(xg_docstore_errors(&d), 1);
	assert_int_equal(put_ep(&d, "ep/a.yaml", "a1", 8080), 0);
	assert_int_equal(xg_docstore_errors(&d), 0);
	assert_true(ent(&d, "ep/a.yaml")->set.gen == gen);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a1:8080");

	/* a resync that finds every key as it was sweeps nothing */
	xg_docstore_mark(&d);
	assert_int_equal(put_ep(&d, "ep/a.yaml", "a1", 8080), 0);
	assert_int_equal(xg_docstore_sweep(&d), 0);
	assert_true(ent(&d, "ep/a.yaml")->set.gen == gen);

	/* another text is parsed: a new set, a new generation */
	assert_int_equal(put_ep(&d, "ep/a.yaml", "a1", 8081), 1);
	assert_true(ent(&d, "ep/a.yaml")->set.gen > gen);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "ep/a.yaml=a1:8081");
	xg_docstore_free(&d);
}

/* Puts parsed ahead on several threads end as the same puts one by one:
 * every return value, set, text and error alike.  The batch has what a
 * resync brings: new keys, keys as they are held, a key put twice (the
 * second parse ahead is stale once the first is put, and a later put
 * back to the held text), bad versions. */
static void test_docstore_parse_ahead(void **state)
{
	enum { N = 300 };
	struct xg_docstore seq = {}, par = {};
	struct xg_docstore_req *r = calloc(N, sizeof(*r));
	static char text[N][512], key[N][32];
	char b1[8192], b2[8192];

	assert_non_null(r);
	/* both hold k000..k099 at port 1000 + i first */
	for (int i = 0; i < 100; i++) {
		char nm[8];

		snprintf(nm, sizeof(nm), "k%03d", i);
		memcpy(key[i], nm, sizeof(nm));
		ep_doc(text[i], sizeof(text[i]), nm, 1000 + i);
		assert_int_equal(xg_docstore_put(&seq, key[i], text[i],
						 strlen(text[i])), 1);
		assert_int_equal(xg_docstore_put(&par, key[i], text[i],
						 strlen(text[i])), 1);
	}
	for (int i = 0; i < N; i++) {
		int k = i % 150; /* k000..k149: old, new, and twice */
		long port = i < 100 && i % 3 ? 1000 + i : 2000 + i;
		char nm[8];

		if (i % 17 == 0)
			port = 99999; /* refused */
		if (i >= 250)
			port = 1000 + k; /* back to the first text */
		if (i >= 280) { /* held when parsed ahead, not when put */
			k = i - 280;
			port = 1000 + k;
		}
		snprintf(nm, sizeof(nm), "k%03d", k);
		memcpy(key[i], nm, sizeof(nm));
		ep_doc(text[i], sizeof(text[i]), nm, port);
		r[i] = (struct xg_docstore_req){ .key = key[i], .buf = text[i],
						 .len = strlen(text[i]) };
	}
	xg_docstore_parse_ahead(&par, r, N, 4);
	for (int i = 0; i < N; i++) {
		int a = xg_docstore_put(&seq, key[i], text[i], strlen(text[i]));
		int b = xg_docstore_put_req(&par, &r[i]);

		if (a != b)
			fail_msg("put %d (%s): %d one by one, %d parsed ahead", i,
				 key[i], a, b);
	}
	assert_int_equal(seq.n, par.n);
	for (size_t i = 0; i < seq.n; i++) {
		assert_string_equal(seq.v[i].key, par.v[i].key);
		assert_int_equal(seq.v[i].has_set, par.v[i].has_set);
		assert_string_equal(seq.v[i].text ? seq.v[i].text : "(none)",
				    par.v[i].text ? par.v[i].text : "(none)");
		assert_string_equal(seq.v[i].error ? seq.v[i].error : "(none)",
				    par.v[i].error ? par.v[i].error : "(none)");
	}
	assert_string_equal(sources_str(&seq, b1, sizeof(b1)),
			    sources_str(&par, b2, sizeof(b2)));
	assert_int_equal(xg_docstore_errors(&seq), xg_docstore_errors(&par));
	free(r);
	xg_docstore_free(&seq);
	xg_docstore_free(&par);
}

/* A version of key k of one kind: 0 endpoint, 1 policy, 2 service,
 * 3 endpoint and policy, 4 refused; v tells versions apart. */
static void any_doc(char *buf, size_t len, int kind, int k, int v)
{
	static const char *const ep =
		"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata:\n"
		"  name: e%d\nspec:\n  addresses: [198.18.0.%d]\n"
		"  labels:\n    app: a%d\n";
	static const char *const pol =
		"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
		"metadata:\n  name: p%d\n  namespace: default\nspec:\n"
		"  endpointSelector:\n    matchLabels:\n      app: a%d\n"
		"  ingress:\n  - toPorts:\n    - ports:\n      - port: \"%d\"\n";
	static const char *const svc =
		"apiVersion: xgate.io/v1\nkind: Service\nmetadata:\n"
		"  name: s%d\nspec:\n  addresses: [198.19.0.%d]\n"
		"  ports:\n  - port: %d\n  backends:\n  - address: 198.19.0.11\n";
	int n = 0;

	switch (kind) {
	case 0:
		n = snprintf(buf, len, ep, k, 1 + k % 250, v);
		break;
	case 1:
		n = snprintf(buf, len, pol, k, v % 3, 1 + v);
		break;
	case 2:
		n = snprintf(buf, len, svc, k, 1 + k % 250, 1 + v);
		break;
	case 3:
		n = snprintf(buf, len, ep, k, 1 + k % 250, v);
		n += snprintf(buf + n, len - (size_t)n, "---\n");
		n += snprintf(buf + n, len - (size_t)n, pol, k, v % 3, 1 + v);
		break;
	default:
		n = snprintf(buf, len, "kind: Nonsense %d\n", v);
	}
	assert_true(n > 0 && (size_t)n < len);
}

/* The view must be what the sources and a walk over them give. */
static void check_view(struct xg_docstore *d, int op)
{
	const struct xg_compile_index *idx = NULL;
	const struct xg_compile_src *view;
	struct xg_compile_src *src;
	size_t n, nv = 0, n_pol = 0, n_svc = 0, n_ep = 0;

	assert_int_equal(xg_docstore_sources(d, &src, &n), 0);
	view = xg_docstore_view(d, &nv, &idx);
	assert_non_null(view);
	assert_non_null(idx);
	if (nv != n)
		fail_msg("op %d: the view has %zu sources, the store %zu", op, nv,
			 n);
	for (size_t i = 0; i < n; i++) {
		const struct xg_doc_set *s = src[i].set;

		if (view[i].name != src[i].name || view[i].set != s)
			fail_msg("op %d: source %zu is %s in the view, %s in the store",
				 op, i, view[i].name, src[i].name);
		if (s->n_cnps && (n_pol >= idx->n_pol || idx->pol[n_pol++] != i))
			fail_msg("op %d: %s (policies) is not at %zu of pol", op,
				 src[i].name, n_pol - 1);
		if (s->n_services &&
		    (n_svc >= idx->n_svc || idx->svc[n_svc++] != i))
			fail_msg("op %d: %s (services) is not at %zu of svc", op,
				 src[i].name, n_svc - 1);
		if (s->n_endpoints &&
		    (n_ep >= idx->n_ep_gens || idx->ep_gens[n_ep++] != s->gen))
			fail_msg("op %d: %s (endpoints): generation %zu is not its %llu",
				 op, src[i].name, n_ep - 1, s->gen);
	}
	if (idx->n_pol != n_pol || idx->n_svc != n_svc || idx->n_ep_gens != n_ep)
		fail_msg("op %d: the index counts %zu/%zu/%zu, the walk %zu/%zu/%zu",
			 op, idx->n_pol, idx->n_svc, idx->n_ep_gens, n_pol, n_svc,
			 n_ep);
	free(src);
}

/* The view the store keeps for the compiler follows every kind of
 * change: versions of the same kinds (kept in place), kinds changing,
 * keys coming and going, refused versions, resyncs, parse-ahead puts. */
static void test_docstore_view(void **state)
{
	enum { KEYS = 40, OPS = 3000 };
	struct xg_docstore d = {};
	char text[2048], key[32];
	unsigned seed = 7;

	check_view(&d, -1);
	for (int op = 0; op < OPS; op++) {
		int r = (int)(rand_r(&seed) % 100), k = (int)(rand_r(&seed) % KEYS);
		int kind = (int)(rand_r(&seed) % 4), v = (int)(rand_r(&seed) % 4);

		/* mostly new versions of the same kind: the in-place case;
		 * now and then a refused one (which logs a warning) */
		if (r < 60)
			kind = k % 4;
		if (op % 40 == 0)
			kind = 4;
		snprintf(key, sizeof(key), "k/%03d", k);
		if (r < 85) {
			any_doc(text, sizeof(text), kind, k, v);
			xg_docstore_put(&d, key, text, strlen(text));
		} else if (r < 93) {
			xg_docstore_del(&d, key);
		} else if (r < 97) {
			/* a resync that finds two thirds of the keys */
			xg_docstore_mark(&d);
			for (int j = 0; j < KEYS; j++) {
				if (j % 3 == op % 3)
					continue;
				snprintf(key, sizeof(key), "k/%03d", j);
				any_doc(text, sizeof(text), j % 4, j, v);
				xg_docstore_put(&d, key, text, strlen(text));
			}
			xg_docstore_sweep(&d);
		} else {
			struct xg_docstore_req rq[8];
			static char t[8][2048], kk[8][32];

			for (int j = 0; j < 8; j++) {
				snprintf(kk[j], sizeof(kk[j]), "k/%03d",
					 (k + j * 5) % KEYS);
				any_doc(t[j], sizeof(t[j]), (k + j) % 5, k + j, v);
				rq[j] = (struct xg_docstore_req){
					.key = kk[j], .buf = t[j], .len = strlen(t[j])
				};
			}
			xg_docstore_parse_ahead(&d, rq, 8, 2);
			for (int j = 0; j < 8; j++)
				xg_docstore_put_req(&d, &rq[j]);
		}
		/* not after every op: changes also pile up between views */
		if (rand_r(&seed) % 3 == 0)
			check_view(&d, op);
	}
	check_view(&d, OPS);
	xg_docstore_free(&d);
}

static void test_docstore_del(void **state)
{
	struct xg_docstore d = {};
	char buf[256];

	assert_int_equal(put_ep(&d, "a.yaml", "a", 1), 1);
	assert_int_equal(put_ep(&d, "b.yaml", "b", 2), 1);
	assert_int_equal(put_ep(&d, "c.yaml", "c", 3), 1);
	assert_int_equal(xg_docstore_del(&d, "b.yaml"), 1);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "a.yaml=a:1,c.yaml=c:3");
	assert_int_equal(xg_docstore_del(&d, "nope.yaml"), 0);
	assert_int_equal(xg_docstore_del(&d, "b.yaml"), 0);
	/* The last and the first: the array's edges. */
	assert_int_equal(xg_docstore_del(&d, "c.yaml"), 1);
	assert_int_equal(xg_docstore_del(&d, "a.yaml"), 1);
	assert_int_equal(d.n, 0);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)), "");
	/* Empty again, and still usable. */
	assert_int_equal(put_ep(&d, "a.yaml", "a", 4), 1);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)), "a.yaml=a:4");
	xg_docstore_free(&d);
}

static void test_docstore_resync(void **state)
{
	struct xg_docstore d = {};
	char buf[256];

	assert_int_equal(put_ep(&d, "a.yaml", "a", 1), 1);
	assert_int_equal(put_ep(&d, "b.yaml", "b", 2), 1);
	assert_int_equal(put_ep(&d, "c.yaml", "c", 3), 1);
	assert_int_equal(put_ep(&d, "d.yaml", "d", 4), 1);
	assert_int_equal(put_ep(&d, "e.yaml", "e", 5), 1);

	xg_docstore_mark(&d);
	assert_int_equal(put_ep(&d, "a.yaml", "a", 11), 1);
	assert_int_equal(put_ep(&d, "c.yaml", "c", 13), 1);
	/* Still in the store, only broken: its good version stays. */
	assert_int_equal(put_ep(&d, "d.yaml", "d", 99999), -EINVAL);
	/* New during the resync. */
	assert_int_equal(put_ep(&d, "f.yaml", "f", 16), 1);
	assert_int_equal(xg_docstore_sweep(&d), 2);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "a.yaml=a:11,c.yaml=c:13,d.yaml=d:4,f.yaml=f:16");
	assert_int_equal(xg_docstore_errors(&d), 1);

	/* Nothing put: everything goes. */
	xg_docstore_mark(&d);
	assert_int_equal(xg_docstore_sweep(&d), 4);
	assert_int_equal(d.n, 0);
	assert_int_equal(xg_docstore_errors(&d), 0);
	/* And with nothing to sweep. */
	xg_docstore_mark(&d);
	assert_int_equal(xg_docstore_sweep(&d), 0);
	xg_docstore_free(&d);
}

static void test_docstore_sorted(void **state)
{
	static const char *const keys[] = {
		"z.yaml", "a.yaml", "m/b.yaml", "b.yaml", "m.yaml", "0.json",
	};
	struct xg_docstore d = {};
	char buf[512];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_int_equal(put_ep(&d, keys[i], "x", (long)i + 1), 1);
	assert_string_equal(sources_str(&d, buf, sizeof(buf)),
			    "0.json=x:6,a.yaml=x:2,b.yaml=x:4,m.yaml=x:5,"
			    "m/b.yaml=x:3,z.yaml=x:1");
	for (size_t i = 1; i < d.n; i++)
		assert_true(strcmp(d.v[i - 1].key, d.v[i].key) < 0);

	/* Past the first allocation (16), in reverse order: every insert
	 * lands at the front and moves the rest. */
	for (int i = 40; i > 0; i--) {
		char key[32];

		snprintf(key, sizeof(key), "n/%02d.yaml", i);
		assert_int_equal(put_ep(&d, key, "n", i), 1);
	}
	assert_int_equal(d.n, 46);
	for (size_t i = 1; i < d.n; i++)
		assert_true(strcmp(d.v[i - 1].key, d.v[i].key) < 0);
	xg_docstore_free(&d);
}

/* ---------------------------------------------------- store_file -- */

struct fx {
	char top[64];  /* the temporary directory; removed at the end */
	char root[96]; /* top/root: the store */
	struct xg_evq q;
	struct xg_store_file *s;
	struct xg_evq_item **ev; /* every event taken, in order */
	size_t n, cap, pos;	 /* pos: the next one a wait looks at */
	int sync_n;
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->top, sizeof(f->top), "/tmp/xg-dstore.XXXXXX");
	if (!mkdtemp(f->top)) {
		free(f);
		return -1;
	}
	snprintf(f->root, sizeof(f->root), "%s/root", f->top);
	if (mkdir(f->root, 0700)) {
		rmdir(f->top);
		free(f);
		return -1;
	}
	xg_evq_init(&f->q);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	xg_store_file_stop(f->s);
	for (size_t i = 0; i < f->n; i++) {
		f->ev[i]->next = NULL;
		xg_evq_free_list(f->ev[i]);
	}
	free(f->ev);
	xg_evq_destroy(&f->q);
	nftw(f->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void dump(struct fx *f, size_t from)
{
	for (size_t i = from; i < f->n; i++)
		print_message("  event %zu: %s %s (%zu bytes)\n", i,
			      kind_name(f->ev[i]->kind),
			      f->ev[i]->key ? f->ev[i]->key : "-",
			      f->ev[i]->len);
}

/* The next event not yet looked at, taking more until the deadline. */
static struct xg_evq_item *next_ev(struct fx *f, int64_t deadline)
{
	while (f->pos == f->n) {
		int64_t left = deadline - now_ms();
		struct xg_evq_item *l;

		if (left <= 0)
			return NULL;
		l = xg_evq_take(&f->q, (int)left);
		while (l) {
			if (f->n == f->cap) {
				f->cap = f->cap ? f->cap * 2 : 64;
				f->ev = realloc(f->ev, f->cap * sizeof(*f->ev));
				assert_non_null(f->ev);
			}
			f->ev[f->n++] = l;
			l = l->next;
		}
	}
	return f->ev[f->pos++];
}

static bool ev_is(const struct xg_evq_item *it, enum xg_ev_kind kind,
		  const char *key, const char *val)
{
	if (it->kind != kind)
		return false;
	if (key && (!it->key || strcmp(it->key, key)))
		return false;
	return !val || (it->val && it->len == strlen(val) &&
			!memcmp(it->val, val, it->len));
}

/* Skips to the first event that matches (val NULL: any value); fails
 * the test, listing what came, when none does in time. */
static struct xg_evq_item *wait_ev(struct fx *f, enum xg_ev_kind kind,
				   const char *key, const char *val,
				   int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	size_t from = f->pos;
	struct xg_evq_item *it;

	while ((it = next_ev(f, deadline)))
		if (ev_is(it, kind, key, val))
			return it;
	dump(f, from);
	fail_msg("no %s %s within %d ms", kind_name(kind), key ? key : "",
		 timeout_ms);
	return NULL;
}

/* How many events since `from` match (kind -1: PUT or DEL); a key
 * ending in '/' matches every key under it. */
static int count_ev(struct fx *f, size_t from, int kind, const char *key)
{
	size_t kl = strlen(key);
	int c = 0;

	for (size_t i = from; i < f->n; i++) {
		const struct xg_evq_item *it = f->ev[i];

		if (kind < 0 ? it->kind != XG_EVQ_PUT && it->kind != XG_EVQ_DEL
			     : it->kind != (enum xg_ev_kind)kind)
			continue;
		if (!it->key)
			continue;
		if (key[kl - 1] == '/' ? !strncmp(it->key, key, kl)
				       : !strcmp(it->key, key))
			c++;
	}
	return c;
}

static void write_at(struct fx *f, const char *rel, const char *text)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static void mkdir_at(struct fx *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	if (mkdir(path, 0700))
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void unlink_at(struct fx *f, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->root, rel);
	if (unlink(path))
		fail_msg("unlink %s: %s", path, strerror(errno));
}

static void rename_at(struct fx *f, const char *from, const char *to)
{
	char a[256], b[256];

	snprintf(a, sizeof(a), "%s/%s", f->root, from);
	snprintf(b, sizeof(b), "%s/%s", f->root, to);
	if (rename(a, b))
		fail_msg("rename %s %s: %s", a, b, strerror(errno));
}

/* Waits until the watcher has handled every change made so far: a
 * sentinel file's PUT and DEL come after them all. */
static void settle(struct fx *f)
{
	char name[32], text[32];

	snprintf(name, sizeof(name), "zz-sync-%d.yaml", f->sync_n);
	snprintf(text, sizeof(text), "sync %d\n", f->sync_n++);
	write_at(f, name, text);
	wait_ev(f, XG_EVQ_PUT, name, text, EV_TIMEOUT_MS);
	unlink_at(f, name);
	wait_ev(f, XG_EVQ_DEL, name, NULL, EV_TIMEOUT_MS);
}

static void start(struct fx *f)
{
	assert_int_equal(xg_store_file_start(f->root, &f->q, &f->s), 0);
	assert_non_null(f->s);
}

/* A full resync from here: BEGIN, exactly the PUTs of want (any order,
 * each with its text "<key>\n"), END.  Returns the index after END. */
static size_t expect_resync(struct fx *f, const char *const *want, size_t n)
{
	int64_t deadline = now_ms() + EV_TIMEOUT_MS;
	size_t from = f->pos, puts = 0;
	struct xg_evq_item *it;

	wait_ev(f, XG_EVQ_RESYNC_BEGIN, NULL, NULL, EV_TIMEOUT_MS);
	while ((it = next_ev(f, deadline)) && it->kind == XG_EVQ_PUT) {
		char text[128];
		size_t i;

		for (i = 0; i < n; i++)
			if (!strcmp(it->key, want[i]))
				break;
		if (i == n) {
			dump(f, from);
			fail_msg("resync put %s", it->key);
		}
		snprintf(text, sizeof(text), "%s\n", it->key);
		if (!ev_is(it, XG_EVQ_PUT, it->key, text))
			fail_msg("resync put %s with the wrong text", it->key);
		puts++;
	}
	if (!it || it->kind != XG_EVQ_RESYNC_END) {
		dump(f, from);
		fail_msg("the resync did not end with RESYNC_END");
	}
	if (puts != n) {
		dump(f, from);
		fail_msg("resync put %zu files, want %zu", puts, n);
	}
	return f->pos;
}

static void test_file_start_resync(void **state)
{
	static const char *const docs[] = {
		"a.yaml", "b.yml", "c.json", "sub/d.yaml", "sub/deeper/e.yaml",
	};
	/* Not documents: hidden, an editor's backup, another suffix, a
	 * bare suffix, anything in a hidden directory. */
	static const char *const others[] = {
		".hidden.yaml", "foo.yaml~",   "foo.txt",
		".yaml",	"sub/.x.json", ".git/f.yaml",
	};
	struct fx *f = *state;
	struct xg_evq_item *it;
	char text[64];

	mkdir_at(f, "sub");
	mkdir_at(f, "sub/deeper");
	mkdir_at(f, ".git");
	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "%s\n", docs[i]);
		write_at(f, docs[i], text);
	}
	for (size_t i = 0; i < 6; i++)
		write_at(f, others[i], "not: a document\n");

	start(f);
	expect_resync(f, docs, 5);
	/* BEGIN, five PUTs, END: nothing came before the resync. */
	assert_int_equal(f->pos, 7);
	it = next_ev(f, now_ms() + EV_TIMEOUT_MS);
	assert_non_null(it);
	assert_true(ev_is(it, XG_EVQ_HEALTH, "watching", NULL));
	assert_int_equal(it->rev, 1);

	/* On request, again: the same files, nothing else. */
	xg_store_file_resync(f->s);
	expect_resync(f, docs, 5);

	/* And after changes, what is there now. */
	unlink_at(f, "sub/deeper/e.yaml");
	write_at(f, "f.yaml", "f.yaml\n");
	settle(f);
	xg_store_file_resync(f->s);
	expect_resync(f,
		      (const char *const[]){"a.yaml", "b.yml", "c.json",
					    "sub/d.yaml", "f.yaml"},
		      5);
}

static void test_file_write_and_delete(void **state)
{
	struct fx *f = *state;
	struct xg_evq_item *it;
	size_t from;
	int64_t t0;

	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);
	from = f->pos;

	/* Written and closed: one PUT with what was written, at once. */
	t0 = now_ms();
	write_at(f, "new.yaml", "kind: Endpoint\n");
	it = wait_ev(f, XG_EVQ_PUT, "new.yaml", "kind: Endpoint\n", 1000);
	assert_int_equal(it->val[it->len], '\0');
	assert_true(now_ms() - t0 < 1000);

	/* Rewritten in place. */
	write_at(f, "new.yaml", "kind: Service\n");
	wait_ev(f, XG_EVQ_PUT, "new.yaml", "kind: Service\n", 1000);

	/* Not documents, live: nothing. */
	write_at(f, ".hidden.yaml", "x\n");
	write_at(f, "foo.yaml~", "x\n");
	write_at(f, "foo.txt", "x\n");
	unlink_at(f, "foo.txt");

	/* An empty file is an (invalid) document, not nothing. */
	write_at(f, "empty.json", "");
	wait_ev(f, XG_EVQ_PUT, "empty.json", "", 1000);

	unlink_at(f, "new.yaml");
	wait_ev(f, XG_EVQ_DEL, "new.yaml", NULL, 1000);
	settle(f);
	assert_int_equal(count_ev(f, from, XG_EVQ_PUT, "new.yaml"), 2);
	assert_int_equal(count_ev(f, from, XG_EVQ_DEL, "new.yaml"), 1);
	for (size_t i = from; i < f->n; i++) {
		const char *k = f->ev[i]->key;

		if (k && (!strcmp(k, ".hidden.yaml") ||
			  !strcmp(k, "foo.yaml~") || !strcmp(k, "foo.txt"))) {
			dump(f, from);
			fail_msg("an event for %s", k);
		}
		if (f->ev[i]->kind == XG_EVQ_RESYNC_BEGIN)
			fail_msg("a resync nobody asked for");
	}
}

static void test_file_rename_into_place(void **state)
{
	struct fx *f = *state;
	size_t from;

	write_at(f, "r.yaml", "old\n");
	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);
	from = f->pos;

	/* The atomic way: a hidden temporary, renamed over the file. */
	write_at(f, ".r.yaml.tmp", "new\n");
	rename_at(f, ".r.yaml.tmp", "r.yaml");
	wait_ev(f, XG_EVQ_PUT, "r.yaml", "new\n", 1000);
	/* Or a temporary that is not hidden, only not named a document. */
	write_at(f, "s.yaml.tmp", "s\n");
	rename_at(f, "s.yaml.tmp", "s.yaml");
	wait_ev(f, XG_EVQ_PUT, "s.yaml", "s\n", 1000);
	settle(f);
	assert_int_equal(count_ev(f, from, XG_EVQ_PUT, "r.yaml"), 1);
	assert_int_equal(count_ev(f, from, XG_EVQ_PUT, "s.yaml"), 1);
	assert_int_equal(count_ev(f, from, XG_EVQ_DEL, "r.yaml"), 0);
	assert_int_equal(count_ev(f, from, XG_EVQ_PUT, ".r.yaml.tmp"), 0);
	assert_int_equal(count_ev(f, from, XG_EVQ_DEL, "s.yaml.tmp"), 0);

	/* Moved out of the way under a non-document name: gone. */
	rename_at(f, "s.yaml", "s.yaml.bak");
	wait_ev(f, XG_EVQ_DEL, "s.yaml", NULL, 1000);
}

static void test_file_new_subdir(void **state)
{
	struct fx *f = *state;
	size_t from;

	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);
	from = f->pos;

	/* Made with a file at once: the file may be found by the scan of
	 * the new directory or reported by its new watch (or both: more
	 * than one PUT is fine, the last one must be whole). */
	mkdir_at(f, "d");
	mkdir_at(f, "d/e");
	write_at(f, "d/e/x.yaml", "x\n");
	wait_ev(f, XG_EVQ_PUT, "d/e/x.yaml", "x\n", 1000);
	settle(f);
	/* And it stays watched. */
	write_at(f, "d/y.yaml", "y\n");
	wait_ev(f, XG_EVQ_PUT, "d/y.yaml", "y\n", 1000);
	write_at(f, "d/e/x.yaml", "x2\n");
	wait_ev(f, XG_EVQ_PUT, "d/e/x.yaml", "x2\n", 1000);
	unlink_at(f, "d/e/x.yaml");
	wait_ev(f, XG_EVQ_DEL, "d/e/x.yaml", NULL, 1000);

	/* A hidden directory is no more a document than a hidden file:
	 * the first scan skips it, so must the watch. */
	mkdir_at(f, ".cfg");
	write_at(f, ".cfg/a.yaml", "a\n");
	settle(f);
	write_at(f, ".cfg/b.yaml", "b\n");
	settle(f);
	if (count_ev(f, from, -1, ".cfg/")) {
		dump(f, from);
		fail_msg("a document in a hidden directory was put");
	}
}

static void test_file_subdir_moved(void **state)
{
	struct fx *f = *state;
	char out[160], path[200];
	size_t from;

	mkdir_at(f, "old");
	write_at(f, "old/a.yaml", "a\n");
	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);

	/* Renamed inside the store: its files are under the new name,
	 * and so are later changes to them (made once the rename is
	 * handled, so that only the watch can report them). */
	rename_at(f, "old", "new");
	wait_ev(f, XG_EVQ_PUT, "new/a.yaml", "a\n", 1000);
	settle(f);
	from = f->pos;
	write_at(f, "new/b.yaml", "b\n");
	wait_ev(f, XG_EVQ_PUT, "new/b.yaml", "b\n", 1000);
	settle(f);
	if (count_ev(f, from, -1, "old/")) {
		dump(f, 0);
		fail_msg("an event under a directory's old name");
	}
	from = f->pos;

	/* Moved out of the store: a resync without it, and nothing more
	 * from it, wherever it is now. */
	snprintf(out, sizeof(out), "%s/away", f->top);
	snprintf(path, sizeof(path), "%s/new", f->root);
	assert_int_equal(rename(path, out), 0);
	expect_resync(f, NULL, 0);
	snprintf(path, sizeof(path), "%s/c.yaml", out);
	assert_int_equal(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	settle(f);
	if (count_ev(f, from, -1, "new/")) {
		dump(f, from);
		fail_msg("an event from a directory moved out");
	}
}

/* Directories come and go (tools, editors, a checkout): a watcher that
 * kept a slot for every one it ever saw would stop watching new ones. */
static void test_file_many_subdirs(void **state)
{
	struct fx *f = *state;
	char rel[32];

	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);
	/* Rounds small enough for the kernel's queue of 16384 events
	 * (an rmdir costs three). */
	for (int round = 0; round < 5; round++) {
		/* Seen while they exist, each gets a watch... */
		for (int i = 0; i < 850; i++) {
			snprintf(rel, sizeof(rel), "t%d", i);
			mkdir_at(f, rel);
		}
		settle(f);
		for (int i = 0; i < 850; i++) {
			char path[256];

			snprintf(path, sizeof(path), "%s/t%d", f->root, i);
			assert_int_equal(rmdir(path), 0);
		}
	}
	settle(f);
	/* ...4250 in all, past the watcher's table of 4096. */
	mkdir_at(f, "last");
	settle(f);
	write_at(f, "last/x.yaml", "x\n");
	wait_ev(f, XG_EVQ_PUT, "last/x.yaml", "x\n", 1000);
}

static void test_file_stop_prompt(void **state)
{
	struct fx *f = *state;
	int64_t t0;

	start(f);
	wait_ev(f, XG_EVQ_HEALTH, NULL, NULL, EV_TIMEOUT_MS);
	/* The watcher polls with a 1 s timeout: a stop that waited for
	 * it would take up to that. */
	t0 = now_ms();
	xg_store_file_stop(f->s);
	f->s = NULL;
	if (now_ms() - t0 > 300)
		fail_msg("stop took %lld ms", (long long)(now_ms() - t0));

	/* Right after a start, before the first resync is done. */
	start(f);
	t0 = now_ms();
	xg_store_file_stop(f->s);
	f->s = NULL;
	assert_true(now_ms() - t0 < 300);
	xg_store_file_stop(NULL);
}

static void test_file_start_errors(void **state)
{
	struct fx *f = *state;
	struct xg_store_file *s = NULL;
	char path[200];

	snprintf(path, sizeof(path), "%s/missing", f->top);
	assert_int_equal(xg_store_file_start(path, &f->q, &s), -ENOENT);
	write_at(f, "plain.yaml", "x\n");
	snprintf(path, sizeof(path), "%s/plain.yaml", f->root);
	assert_int_equal(xg_store_file_start(path, &f->q, &s), -ENOTDIR);
	assert_null(s);
	assert_null(xg_evq_take(&f->q, 0));
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evq_order_and_batch),
		cmocka_unit_test(test_evq_timeout),
		cmocka_unit_test(test_evq_copies),
		cmocka_unit_test(test_evq_concurrent),
		cmocka_unit_test(test_evq_wakes),
		cmocka_unit_test(test_docstore_put_good),
		cmocka_unit_test(test_docstore_bad_keeps_good),
		cmocka_unit_test(test_docstore_same_text),
		cmocka_unit_test(test_docstore_parse_ahead),
		cmocka_unit_test(test_docstore_view),
		cmocka_unit_test(test_docstore_del),
		cmocka_unit_test(test_docstore_resync),
		cmocka_unit_test(test_docstore_sorted),
		FX_TEST(test_file_start_resync),
		FX_TEST(test_file_write_and_delete),
		FX_TEST(test_file_rename_into_place),
		FX_TEST(test_file_new_subdir),
		FX_TEST(test_file_subdir_moved),
		FX_TEST(test_file_many_subdirs),
		FX_TEST(test_file_stop_prompt),
		FX_TEST(test_file_start_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
