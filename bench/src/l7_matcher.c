// SPDX-License-Identifier: GPL-2.0-only
/*
 * The L7 matcher's cost per request as the ruleset grows: rulesets of
 * 1, 100 and 10,000 distinct path regexes (/api/v1/svc<N>/items/[0-9]+,
 * as an API gateway's routes look) plus a few method and host rules,
 * and a fixed mix of matching and non-matching requests.  One worker,
 * one thread; the table is built as the fast path builds it.
 *
 *   l7_matcher [--json] [--runs N] [--requests N]
 *
 * Prints a table; with --json one object:
 *   {"matcher_ns_1": x, "matcher_ns_100": y, "matcher_ns_10000": z}
 * each the median over the runs (default 5) of the mean ns per request
 * over --requests requests (default 200,000), in the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID): on a busy machine the time others take the
 * CPU does not count, what they do to the caches still does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fastpath/l7/match.h"

#define N_REQ 4096 /* distinct requests, cycled */

static const size_t sizes[] = {1, 100, 10000};

struct rq {
	struct xg_l7_request r;
	char path[96], host[64];
	const char *method;
	int want; /* whether it should be allowed */
};

static const struct xg_l7_hdr hdrs[] = {
	{"User-Agent", 10, "curl/8.5.0", 10},
	{"Accept", 6, "*/*", 3},
	{"X-Request-Id", 12, "4f0b6c1e-94d1-4f3e-8e41-3b1f2c9d7a10", 36},
};

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* n path rules, then the few others. */
static struct xg_l7_http *rules_of(size_t n, size_t *total)
{
	static const struct xg_l7_http extra[] = {
		{.method = "GET|HEAD", .path = "/healthz"},
		{.method = "POST",
		 .path = "/admin/.*",
		 .host = "admin\\.example\\.com"},
		{.method = "GET", .host = "[a-z0-9-]+\\.internal"},
		{.method = "OPTIONS"},
	};
	size_t k = sizeof(extra) / sizeof(extra[0]);
	struct xg_l7_http *r = calloc(n + k, sizeof(*r));

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (asprintf(&r[i].path, "/api/v1/svc%zu/items/[0-9]+", i) < 0)
			return NULL;
	for (size_t i = 0; i < k; i++) {
		r[n + i] = extra[i];
		r[n + i].method =
			r[n + i].method ? strdup(r[n + i].method) : NULL;
		r[n + i].path = r[n + i].path ? strdup(r[n + i].path) : NULL;
		r[n + i].host = r[n + i].host ? strdup(r[n + i].host) : NULL;
	}
	*total = n + k;
	return r;
}

static void rules_free(struct xg_l7_http *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].method);
		free(r[i].path);
		free(r[i].host);
	}
	free(r);
}

/* The same mix for every size: half the requests should be allowed. */
static void requests(struct rq *q, size_t n_rules)
{
	unsigned seed = 42;

	for (int i = 0; i < N_REQ; i++) {
		unsigned k = (unsigned)rand_r(&seed), kind = k % 20,
			 svc = (unsigned)rand_r(&seed) % (unsigned)n_rules,
			 item = (unsigned)rand_r(&seed) % 100000;

		q[i].method = "GET";
		snprintf(q[i].host, sizeof(q[i].host), "api.example.com");
		q[i].want = 0;
		if (kind < 8) { /* a route */
			snprintf(q[i].path, sizeof(q[i].path),
				 "/api/v1/svc%u/items/%u", svc, item);
			q[i].want = 1;
		} else if (kind < 11) { /* a route's sibling */
			snprintf(q[i].path, sizeof(q[i].path),
				 "/api/v1/svc%u/items/%u/edit", svc, item);
		} else if (kind < 13) { /* a service there is no route for */
			snprintf(q[i].path, sizeof(q[i].path),
				 "/api/v1/svc%zu/items/%u", n_rules + svc,
				 item);
		} else if (kind < 14) {
			snprintf(q[i].path, sizeof(q[i].path), "/healthz");
			q[i].method = k & 32 ? "HEAD" : "GET";
			q[i].want = 1;
		} else if (kind < 15) {
			snprintf(q[i].path, sizeof(q[i].path), "/healthz");
			q[i].method = "POST";
		} else if (kind < 16) {
			snprintf(q[i].path, sizeof(q[i].path),
				 "/admin/users/%u", item);
			q[i].method = "POST";
			q[i].want = !(k & 32);
			if (!q[i].want)
				snprintf(q[i].host, sizeof(q[i].host),
					 "admin.example.com.evil");
			else
				snprintf(q[i].host, sizeof(q[i].host),
					 "admin.example.com");
		} else if (kind < 18) {
			snprintf(q[i].path, sizeof(q[i].path),
				 "/static/app.%u.js", item);
			snprintf(q[i].host, sizeof(q[i].host),
				 "web-%u.internal", item % 7);
			q[i].want = !(k & 32);
			if (!q[i].want)
				q[i].method = "PUT";
		} else {
			snprintf(q[i].path, sizeof(q[i].path),
				 "/api/v2/svc%u/items", svc);
			q[i].method = kind == 19 ? "OPTIONS" : "DELETE";
			q[i].want = kind == 19;
		}
		q[i].r = (struct xg_l7_request){
			.method = q[i].method,
			.method_n = strlen(q[i].method),
			.path = q[i].path,
			.path_n = strlen(q[i].path),
			.host = q[i].host,
			.host_n = strlen(q[i].host),
			.hdrs = hdrs,
			.n_hdrs = sizeof(hdrs) / sizeof(hdrs[0]),
		};
	}
}

int main(int argc, char **argv)
{
	double ns[sizeof(sizes) / sizeof(sizes[0])];
	int json = 0, runs = 5;
	long n_req = 200000;
	struct rq *q = calloc(N_REQ, sizeof(*q));

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--requests") && i + 1 < argc)
			n_req = atol(argv[++i]);
		else {
			fprintf(stderr, "usage: l7_matcher [--json] [--runs N] "
					"[--requests N]\n");
			return 2;
		}
	}
	if (!q || runs < 1 || runs > 99 || n_req < 1)
		return 2;
	if (!json) {
		printf("| rules | table build ms | CPU ns/request "
		       "(median of %d x %ld) | allowed |\n",
		       runs, n_req);
		printf("|---:|---:|---:|---:|\n");
	}
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		size_t n_rules;
		struct xg_l7_http *r = rules_of(sizes[z], &n_rules);
		struct xg_l7_ruleset rs = {.id = 1, .rules = r, .n = n_rules};
		struct xg_err err = {};
		struct xg_l7_table *t;
		const struct xg_l7_set *s;
		double t0, build_ms, run_ns[99];
		long allowed = 0;
		char buf[512];

		if (!r)
			return 1;
		requests(q, sizes[z]);
		t0 = now_ns(CLOCK_MONOTONIC);
		t = xg_l7_table_build(&rs, 1, 1, NULL, &err);
		build_ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
		if (!t) {
			fprintf(stderr, "l7_matcher: %s\n",
				xg_err_str(&err, buf, sizeof(buf)));
			return 1;
		}
		s = xg_l7_table_find(t, 1);
		/* every request gets the verdict it should */
		for (int i = 0; i < N_REQ; i++) {
			int rule, ret = xg_l7_match(t, 0, s, &q[i].r, &rule);

			if (ret != q[i].want) {
				fprintf(stderr,
					"l7_matcher: %s %s host %s: %d, want "
					"%d\n",
					q[i].method, q[i].path, q[i].host, ret,
					q[i].want);
				return 1;
			}
		}
		for (int k = 0; k < runs; k++) {
			allowed = 0;
			t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			for (long i = 0; i < n_req; i++) {
				int rule;

				allowed += xg_l7_match(t, 0, s,
						       &q[i & (N_REQ - 1)].r,
						       &rule) == 1;
			}
			run_ns[k] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - t0) /
				    (double)n_req;
		}
		qsort(run_ns, (size_t)runs, sizeof(*run_ns), dbl_cmp);
		ns[z] = run_ns[runs / 2];
		if (!json)
			printf("| %zu paths + 4 | %.1f | %.1f | %.0f%% |\n",
			       sizes[z], build_ms, ns[z],
			       100.0 * (double)allowed / (double)n_req);
		xg_l7_table_free(t);
		rules_free(r, n_rules);
	}
	if (json)
		printf("{\"matcher_ns_1\": %.1f, \"matcher_ns_100\": %.1f, "
		       "\"matcher_ns_10000\": %.1f}\n",
		       ns[0], ns[1], ns[2]);
	free(q);
	return 0;
}
