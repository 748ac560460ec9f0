// SPDX-License-Identifier: GPL-2.0-only
/*
 * fastpath/l7/match.c, the L7 rule matcher: full-match regexes, rules
 * ORed and fields ANDed, headers, allow-all and empty rulesets, the
 * literal-prefix lookup against Hyperscan alone (differential), tables
 * that share unchanged sets, many workers at once.  And the compiler's
 * side of L7 (ctrl/policy/compile.c): ruleset ids that depend on the
 * rules only, equal rules as one ruleset, merged rulesets, and regexes
 * that do not compile refusing the document.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hs/hs.h>

#include "ctrl/doc/doc.h"
#include "ctrl/policy/compile.h"
#include "ctrl/policy/explain.h"
#include "fastpath/l7/match.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ----------------------------------------------------------- helpers -- */

#define RULE(m, p, h)                                       \
	{                                                   \
		.method = (char *)(m), .path = (char *)(p), \
		.host = (char *)(h)                         \
	}

static struct xg_l7_ruleset set_of(__u32 id, struct xg_l7_http *rules, size_t n)
{
	struct xg_l7_ruleset rs = {.id = id, .rules = rules, .n = n};

	return rs;
}

static struct xg_l7_table *build(const struct xg_l7_ruleset *rs, size_t n,
				 unsigned workers,
				 const struct xg_l7_table *prev)
{
	struct xg_err err = {};
	struct xg_l7_table *t = xg_l7_table_build(rs, n, workers, prev, &err);
	char buf[512];

	if (!t)
		fail_msg("table: %s", xg_err_str(&err, buf, sizeof(buf)));
	return t;
}

static struct xg_l7_request req(const char *method, const char *path,
				const char *host)
{
	struct xg_l7_request r = {
		.method = method,
		.method_n = method ? strlen(method) : 0,
		.path = path,
		.path_n = path ? strlen(path) : 0,
		.host = host,
		.host_n = host ? strlen(host) : 0,
	};

	return r;
}

/* The verdict on rq of set id in t, with worker 0; *rule as matched. */
static int verdict(const struct xg_l7_table *t, __u32 id,
		   struct xg_l7_request rq, int *rule)
{
	int r = -2, ret = xg_l7_match(t, 0, xg_l7_table_find(t, id), &rq, &r);

	assert_true(ret == 0 || ret == 1);
	assert_true(ret == 1 ? r >= 0 : r == -1);
	if (rule)
		*rule = r;
	return ret;
}

#define ALLOWED(t, id, rq) assert_int_equal(verdict(t, id, rq, NULL), 1)
#define DENIED(t, id, rq) assert_int_equal(verdict(t, id, rq, NULL), 0)

/* ------------------------------------------------------- semantics -- */

static void test_full_match(void **state)
{
	struct xg_l7_http r[] = {
		RULE("GET", "/a", NULL),
		RULE(NULL, "/static/.*", NULL),
		RULE(NULL, "/items/[0-9]+", NULL),
	};
	struct xg_l7_ruleset rs = set_of(7, r, ARRAY_SIZE(r));
	struct xg_l7_table *t = build(&rs, 1, 1, NULL);

	ALLOWED(t, 7, req("GET", "/a", NULL));
	DENIED(t, 7, req("GET", "/ab", NULL)); /* the whole value */
	DENIED(t, 7, req("GET", "/", NULL));
	DENIED(t, 7, req("GET", "x/a", NULL));
	DENIED(t, 7, req("GET", "/a\n", NULL)); /* \z, not $ */
	DENIED(t, 7, req("GETS", "/a", NULL));
	DENIED(t, 7, req("get", "/a", NULL)); /* case matters */
	DENIED(t, 7, req(" GET", "/a", NULL));
	ALLOWED(t, 7, req("DELETE", "/static/", NULL));
	ALLOWED(t, 7, req("GET", "/static/x/y", NULL));
	DENIED(t, 7, req("GET", "/static", NULL));
	DENIED(t, 7, req("GET", "/x/static/a", NULL));
	ALLOWED(t, 7, req("GET", "/items/42", NULL));
	DENIED(t, 7, req("GET", "/items/", NULL));
	DENIED(t, 7, req("GET", "/items/42a", NULL));
	DENIED(t, 7, req("GET", "/items/42/", NULL));
	/* a field the request lacks matches no regex */
	DENIED(t, 7, req(NULL, "/a", NULL));
	DENIED(t, 7, req("GET", NULL, NULL));
	/* a set the table does not have denies */
	DENIED(t, 8, req("GET", "/a", NULL));
	assert_null(xg_l7_table_find(t, 8));
	xg_l7_table_free(t);
}

/* Rules are ORed, fields of one rule ANDed. */
static void test_or_and(void **state)
{
	struct xg_l7_http r[] = {
		RULE("GET", "/a", NULL),
		RULE("POST", "/b", "api\\.example\\.com"),
		RULE("PUT|PATCH", NULL, ".*\\.internal"),
	};
	struct xg_l7_ruleset rs = set_of(3, r, ARRAY_SIZE(r));
	struct xg_l7_table *t = build(&rs, 1, 1, NULL);
	int rule;

	assert_int_equal(verdict(t, 3, req("GET", "/a", "x"), &rule), 1);
	assert_int_equal(rule, 0);
	DENIED(t, 3, req("POST", "/a", "api.example.com"));
	assert_int_equal(
		verdict(t, 3, req("POST", "/b", "api.example.com"), &rule), 1);
	assert_int_equal(rule, 1);
	DENIED(t, 3, req("POST", "/b", "apixexample.com"));
	DENIED(t, 3, req("POST", "/b", "api.example.com.evil"));
	DENIED(t, 3, req("POST", "/b", NULL));
	DENIED(t, 3, req("GET", "/b", "api.example.com"));
	assert_int_equal(
		verdict(t, 3, req("PATCH", "/any", "db.internal"), &rule), 1);
	assert_int_equal(rule, 2);
	ALLOWED(t, 3, req("PUT", NULL, "x.internal"));
	DENIED(t, 3, req("PUTPATCH", "/", "x.internal"));
	DENIED(t, 3, req("PUT", "/", "internal"));
	xg_l7_table_free(t);
}

static void test_headers(void **state)
{
	char *h0[] = {"x-token: abc", "X-Present"};
	char *h1[] = {"x-only"};
	char *h2[] = {"x-empty:"};
	struct xg_l7_http r[] = {
		{.path = "/h", .headers = h0, .n_headers = 2},
		{.headers = h1, .n_headers = 1}, /* headers alone */
		{.path = "/e", .headers = h2, .n_headers = 1},
	};
	struct xg_l7_ruleset rs = set_of(9, r, ARRAY_SIZE(r));
	struct xg_l7_table *t = build(&rs, 1, 1, NULL);
	struct xg_l7_hdr ok[] = {
		{"X-Token", 7, "abc", 3},
		{"x-present", 9, "", 0},
	};
	struct xg_l7_hdr bad_case[] = {
		{"x-token", 7, "ABC", 3},
		{"x-present", 9, "1", 1},
	};
	struct xg_l7_hdr two[] = {
		{"x-token", 7, "nope", 4},
		{"X-PRESENT", 9, "1", 1},
		{"X-TOKEN", 7, "abc", 3},
	};
	struct xg_l7_hdr missing[] = {{"x-token", 7, "abc", 3}};
	struct xg_l7_hdr longer[] = {
		{"x-token", 7, "abcd", 4},
		{"x-present", 9, "", 0},
	};
	struct xg_l7_hdr only[] = {{"X-Only", 6, NULL, 0}};
	struct xg_l7_hdr prefix_name[] = {{"x-onl", 5, "", 0}};
	struct xg_l7_hdr empty[] = {{"X-Empty", 7, "", 0}};
	struct xg_l7_hdr not_empty[] = {{"X-Empty", 7, "v", 1}};
	struct xg_l7_request rq = req("GET", "/h", NULL);
	int rule;

	rq.hdrs = ok;
	rq.n_hdrs = ARRAY_SIZE(ok);
	assert_int_equal(verdict(t, 9, rq, &rule), 1);
	assert_int_equal(rule, 0);
	rq.hdrs = bad_case; /* values are case-sensitive */
	rq.n_hdrs = ARRAY_SIZE(bad_case);
	DENIED(t, 9, rq);
	rq.hdrs = two; /* one of them has it */
	rq.n_hdrs = ARRAY_SIZE(two);
	ALLOWED(t, 9, rq);
	rq.hdrs = missing;
	rq.n_hdrs = ARRAY_SIZE(missing);
	DENIED(t, 9, rq);
	rq.hdrs = longer;
	rq.n_hdrs = ARRAY_SIZE(longer);
	DENIED(t, 9, rq);
	rq.hdrs = NULL;
	rq.n_hdrs = 0;
	DENIED(t, 9, rq);
	/* a rule of headers alone: any method, path, host */
	rq = req(NULL, NULL, NULL);
	rq.hdrs = only;
	rq.n_hdrs = 1;
	assert_int_equal(verdict(t, 9, rq, &rule), 1);
	assert_int_equal(rule, 1);
	rq.hdrs = prefix_name;
	DENIED(t, 9, rq);
	/* "Name:" with nothing after it: present with an empty value */
	rq = req("GET", "/e", NULL);
	rq.hdrs = empty;
	rq.n_hdrs = 1;
	ALLOWED(t, 9, rq);
	rq.hdrs = not_empty;
	DENIED(t, 9, rq);
	xg_l7_table_free(t);
}

static void test_allow_all_and_empty(void **state)
{
	struct xg_l7_http all[] = {RULE("GET", "/x", NULL),
				   RULE(NULL, NULL, NULL)};
	struct xg_l7_http any_path[] = {RULE(NULL, ".*", NULL),
					RULE(NULL, NULL, ".*")};
	struct xg_l7_ruleset rs[] = {
		set_of(1, all, 2),
		set_of(2, NULL, 0), /* no rules: nothing is allowed */
		set_of(3, any_path, 2),
	};
	struct xg_l7_table *t = build(rs, ARRAY_SIZE(rs), 1, NULL);
	int rules[4], rule;

	assert_int_equal(verdict(t, 1, req(NULL, NULL, NULL), &rule), 1);
	assert_int_equal(rule, 1);
	ALLOWED(t, 1, req("BREW", "/pot", "tea"));
	assert_int_equal(
		xg_l7_match_all(t, 0, xg_l7_table_find(t, 1),
				&(struct xg_l7_request){.method = "GET",
							.method_n = 3,
							.path = "/x",
							.path_n = 2},
				rules, 4),
		2);
	assert_int_equal(rules[0], 0);
	assert_int_equal(rules[1], 1);
	DENIED(t, 2, req("GET", "/", "h"));
	DENIED(t, 2, req(NULL, NULL, NULL));
	assert_int_equal(
		xg_l7_match(t, 0, NULL, &(struct xg_l7_request){}, &rule), 0);
	/* ".*" matches an empty value, but not a missing one */
	ALLOWED(t, 3, req("GET", "", NULL));
	ALLOWED(t, 3, req("GET", NULL, ""));
	DENIED(t, 3, req("GET", NULL, NULL));
	/* a worker the table does not have */
	assert_int_equal(xg_l7_match(t, 1, xg_l7_table_find(t, 1),
				     &(struct xg_l7_request){}, &rule),
			 -EINVAL);
	xg_l7_table_free(t);
}

/* ---------------------------------------- against Hyperscan alone -- */

/* Regexes that probe the literal-prefix split: quantifiers right after
 * the literal, escapes, classes holding '|', top-level alternations,
 * inline options, quoting, comments, rests shared or not. */
static const char *const diff_re[] = {
	"/api/v1/svc1/items/[0-9]+",
	"/api/v1/svc2/items/[0-9]+",
	"/api/v1/svc12/items/[0-9]+",
	"/api/v1/svc1/items/[0-9]{2,3}",
	"/api/v1/svc1/items/",
	"/api/v1/svc1/items/1",
	"/api/v1/svc1/items/[0-9]+|/x",
	"/api/(v1|v2)/x",
	"^/api/v1/.*",
	"/api/v1/.*$",
	"/api/v1/svc1/.*",
	"/ab*c",
	"/ab+",
	"/ab?",
	"/ab{2}",
	"/ab{",
	"/a\\.b",
	"/a[|]b",
	"/a[]|]b",
	"/a[^]|]b",
	"/a[[:alpha:]|]b",
	"/a\\|b",
	"/a(?i)B",
	"(?i)/API/V1/SVC1/items/1",
	"/a\\Q.|\\E",
	"/a\\Q.|",
	"/a(?#x|y)b",
	"/a(?#x|y|b",
	"/a|",
	"|/a",
	"/exact",
	"/exact/",
	"/exact/x",
	"",
	"[/]api/.*",
	".*",
	"/a(?x) b # c",
	"/é+",
	"/a{1,}",
	"/sta\\*r",
	"/(a)|b",
	"/a)|(b",
	"/x[a-c]*",
	"/x[a-c]*|/y",
	"/x((a|b)|c)",
	"/z$",
	"/z\\z",
	"/a.",
	"/a..",
	"/a|/ab|/exact",
	"/ab|/a",
	"/a||/b",
	"/a|/b\\.c",
	"/a|/ab",
};

static const char *const diff_in[] = {
	"/api/v1/svc1/items/1",
	"/api/v1/svc1/items/12",
	"/api/v1/svc1/items/123",
	"/api/v1/svc1/items/1234",
	"/api/v1/svc1/items/",
	"/api/v1/svc2/items/9",
	"/api/v1/svc12/items/9",
	"/api/v1/svc1/other",
	"/API/V1/SVC1/ITEMS/1",
	"/API/V1/SVC1/items/1",
	"/api/v1/x",
	"/api/v2/x",
	"/api/v3/x",
	"/x",
	"/ac",
	"/abc",
	"/abbbc",
	"/ab",
	"/abb",
	"/a",
	"/ab{",
	"/a.b",
	"/axb",
	"/a|b",
	"/a]b",
	"/a.|",
	"/ab",
	"/aB",
	"/exact",
	"/exact/",
	"/exact/x",
	"",
	"/a b",
	"/ab",
	"/é",
	"/éé",
	"/é\xa9",
	"/sta*r",
	"/star",
	"/b",
	"/xabc",
	"/xa",
	"/y",
	"/xc",
	"/z",
	"/z\n",
	"/a\n",
	"/aa",
	"/aaa",
	"a",
	"b",
	"/",
};

static int ref_hit(unsigned int id, unsigned long long from,
		   unsigned long long to, unsigned int flags, void *arg)
{
	*(int *)arg = 1;
	return 0;
}

/* re compiled alone as the matcher compiles it; NULL: it does not
 * compile. */
static hs_database_t *ref_db(const char *re)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	char *full = xg_l7_anchored(re, strlen(re));

	assert_non_null(full);
	if (hs_compile(full, XG_L7_HS_FLAGS, HS_MODE_BLOCK, NULL, &db, &ce)) {
		hs_free_compile_error(ce);
		db = NULL;
	}
	free(full);
	return db;
}

static int ref_match(const hs_database_t *db, hs_scratch_t *sc, const char *in)
{
	int hit = 0;

	assert_int_equal(
		hs_scan(db, in, (unsigned)strlen(in), 0, sc, ref_hit, &hit),
		HS_SUCCESS);
	return hit;
}

/* One ruleset of a rule per regex (as its path) that Hyperscan takes:
 * for every input, the rules that allow it are those whose regex,
 * compiled alone, matches it. */
static void diff_check(const char *const *re, size_t n_re,
		       const char *const *in, size_t n_in)
{
	struct xg_l7_http *r = calloc(n_re, sizeof(*r));
	int *want = calloc(n_re, sizeof(*want)),
	    *got = calloc(n_re, sizeof(*got));
	int *ok = calloc(n_re, sizeof(*ok));
	hs_database_t **db = calloc(n_re, sizeof(*db));
	hs_scratch_t *sc = NULL;
	size_t n = 0;
	struct xg_l7_ruleset rs;
	struct xg_l7_table *t;
	const struct xg_l7_set *s;

	assert_true(r && want && got && ok && db);
	for (size_t i = 0; i < n_re; i++) {
		char msg[128];

		if (xg_l7_regex_check(re[i], msg, sizeof(msg)))
			continue;
		db[n] = ref_db(re[i]);
		assert_non_null(db[n]);
		assert_int_equal(hs_alloc_scratch(db[n], &sc), HS_SUCCESS);
		r[n].path = (char *)re[i];
		ok[n++] = (int)i;
	}
	rs = set_of(1, r, n);
	t = build(&rs, 1, 1, NULL);
	s = xg_l7_table_find(t, 1);
	assert_non_null(s);
	for (size_t k = 0; k < n_in; k++) {
		struct xg_l7_request rq = req("GET", in[k], NULL);
		size_t nw = 0;
		int ng;

		for (size_t i = 0; i < n; i++)
			if (ref_match(db[i], sc, in[k]))
				want[nw++] = (int)i;
		ng = xg_l7_match_all(t, 0, s, &rq, got, n);
		if (ng != (int)nw || memcmp(want, got, nw * sizeof(*got))) {
			for (size_t i = 0; i < nw; i++)
				print_message("want: %s\n", re[ok[want[i]]]);
			for (int i = 0; i < ng && i < (int)n; i++)
				print_message("got:  %s\n", re[ok[got[i]]]);
			fail_msg("input '%s': %d rules match, want %zu", in[k],
				 ng, nw);
		}
	}
	xg_l7_table_free(t);
	for (size_t i = 0; i < n; i++)
		hs_free_database(db[i]);
	hs_free_scratch(sc);
	free(db);
	free(r);
	free(want);
	free(got);
	free(ok);
}

static void test_prefix_split_differential(void **state)
{
	/* every input, and every prefix of it */
	size_t cap = 0, n = 0;
	const char **in = NULL;
	char **own = NULL;

	for (size_t k = 0; k < ARRAY_SIZE(diff_in); k++)
		cap += strlen(diff_in[k]) + 1;
	in = calloc(cap, sizeof(*in));
	own = calloc(cap, sizeof(*own));
	assert_true(in && own);
	for (size_t k = 0; k < ARRAY_SIZE(diff_in); k++)
		for (size_t l = 0; l <= strlen(diff_in[k]); l++) {
			own[n] = strndup(diff_in[k], l);
			in[n] = own[n];
			n++;
		}
	diff_check(diff_re, ARRAY_SIZE(diff_re), in, n);
	for (size_t k = 0; k < n; k++)
		free(own[k]);
	free(own);
	free(in);
}

/* More distinct rests than the matcher gives databases: the rest are
 * scanned whole, with the same answers. */
static void test_many_rests(void **state)
{
	enum { N = 300, M = 100 };
	char **re = calloc(N + M, sizeof(*re)),
	     **in = calloc(3 * N + M, sizeof(*in));
	char xs[N + 2];

	assert_true(re && in);
	memset(xs, 'x', sizeof(xs) - 1);
	xs[sizeof(xs) - 1] = '\0';
	for (int i = 0; i < N; i++) {
		/* a literal and a rest of its own each: /p0/ x{1}, ... */
		assert_true(asprintf(&re[i], "/p%d/x{%d}", i, 1 + i) > 0);
		assert_true(asprintf(&in[3 * i], "/p%d/%.*s", i, 1 + i, xs) >
			    0);
		assert_true(asprintf(&in[3 * i + 1], "/p%d/%.*s", i, 2 + i,
				     xs) > 0);
		assert_true(asprintf(&in[3 * i + 2], "/p%d/", i) > 0);
	}
	for (int i = 0; i < M; i++) { /* and many sharing one */
		assert_true(asprintf(&re[N + i], "/q%d/[0-9]+", i) > 0);
		assert_true(asprintf(&in[3 * N + i], "/q%d/%d", i, i) > 0);
	}
	diff_check((const char *const *)re, N + M, (const char *const *)in,
		   3 * N + M);
	for (int i = 0; i < N + M; i++)
		free(re[i]);
	for (int i = 0; i < 3 * N + M; i++)
		free(in[i]);
	free(re);
	free(in);
}

/* ---------------------------------------------------------- tables -- */

static void test_table_reuse(void **state)
{
	struct xg_l7_http a[] = {RULE("GET", "/a", NULL)};
	struct xg_l7_http b1[] = {RULE("GET", "/b", NULL)};
	struct xg_l7_http b2[] = {RULE("GET", "/b2", NULL)};
	struct xg_l7_http c[] = {RULE(NULL, "/c/.*", NULL)};
	/* unsorted on purpose; a's id given twice, the same rules */
	struct xg_l7_ruleset v1[] = {set_of(20, b1, 1), set_of(10, a, 1),
				     set_of(10, a, 1)};
	struct xg_l7_ruleset v2[] = {set_of(30, c, 1), set_of(10, a, 1),
				     set_of(20, b2, 1)};
	struct xg_l7_ruleset bad[] = {set_of(10, a, 1), set_of(10, b1, 1)};
	struct xg_l7_table *t1 = build(v1, ARRAY_SIZE(v1), 2, NULL), *t2, *t3;
	struct xg_err err = {};

	assert_int_equal(xg_l7_table_size(t1), 2);
	assert_int_equal(xg_l7_table_workers(t1), 2);
	t2 = build(v2, ARRAY_SIZE(v2), 4, t1);
	assert_int_equal(xg_l7_table_size(t2), 3);
	/* unchanged: the same set; changed or new: its own */
	assert_ptr_equal(xg_l7_table_find(t2, 10), xg_l7_table_find(t1, 10));
	assert_ptr_not_equal(xg_l7_table_find(t2, 20),
			     xg_l7_table_find(t1, 20));
	assert_int_equal(xg_l7_set_id(xg_l7_table_find(t2, 30)), 30);
	assert_int_equal(xg_l7_set_rules(xg_l7_table_find(t2, 30)), 1);
	ALLOWED(t1, 20, req("GET", "/b", NULL));
	DENIED(t2, 20, req("GET", "/b", NULL));
	ALLOWED(t2, 20, req("GET", "/b2", NULL));
	/* the old table goes (after its grace period): the new one still
	 * holds the shared set */
	xg_l7_table_free(t1);
	ALLOWED(t2, 10, req("GET", "/a", NULL));
	ALLOWED(t2, 30, req("PUT", "/c/d", NULL));
	/* an empty table, from a full one */
	t3 = build(NULL, 0, 1, t2);
	assert_int_equal(xg_l7_table_size(t3), 0);
	DENIED(t3, 10, req("GET", "/a", NULL));
	xg_l7_table_free(t2);
	xg_l7_table_free(t3);
	/* one id, two rulesets: refused */
	assert_null(xg_l7_table_build(bad, 2, 1, NULL, &err));
	assert_non_null(strstr(err.msg, "10"));
	assert_null(xg_l7_table_build(v1, 1, 0, NULL, &err));
}

/* Workers run at once, each with its own index; two tables live. */
#define N_WORKERS 16
#define N_THREADS 8

struct wctx {
	const struct xg_l7_table *t;
	unsigned worker;
	int fails;
};

static void *worker_run(void *arg)
{
	struct wctx *w = arg;
	const struct xg_l7_set *s = xg_l7_table_find(w->t, 77);
	char path[64];

	for (int i = 0; i < 20000; i++) {
		int n = i % 1000, rule = -1, want = (i % 3) != 0;
		struct xg_l7_request rq;

		snprintf(path, sizeof(path),
			 want ? "/api/v1/svc%d/items/%d"
			      : "/api/v1/svc%d/other/%d",
			 n, i);
		rq = req("GET", path, "h");
		if (xg_l7_match(w->t, w->worker, s, &rq, &rule) != want ||
		    (want && rule != n))
			w->fails++;
	}
	return NULL;
}

static void test_many_workers(void **state)
{
	enum { N = 1000 };
	struct xg_l7_http *r = calloc(N, sizeof(*r));
	struct xg_l7_ruleset rs;
	struct xg_l7_table *t;
	pthread_t th[N_THREADS];
	struct wctx w[N_THREADS];

	assert_non_null(r);
	for (int i = 0; i < N; i++)
		assert_true(asprintf(&r[i].path, "/api/v1/svc%d/items/[0-9]+",
				     i) > 0);
	rs = set_of(77, r, N);
	t = build(&rs, 1, N_WORKERS, NULL);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct wctx){.t = t, .worker = (unsigned)(2 * i + 1)};
		assert_int_equal(
			pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].fails, 0);
	}
	xg_l7_table_free(t);
	for (int i = 0; i < N; i++)
		free(r[i].path);
	free(r);
}

/* -------------------------------------------------------- compiler -- */

static const char eps[] =
	"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: web}\n"
	"spec: {addresses: [\"10.0.0.1\"], labels: {app: web}}\n---\n"
	"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: api}\n"
	"spec: {addresses: [\"10.0.0.2\"], labels: {app: api}}\n---\n"
	"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: db}\n"
	"spec: {addresses: [\"10.0.0.3\"], labels: {app: db}}\n---\n"
	"apiVersion: xgate.io/v1\nkind: Endpoint\nmetadata: {name: ops}\n"
	"spec: {addresses: [\"10.0.0.4\"], labels: {app: ops}}\n";

/* A policy on subject app=<subj> allowing TCP/80 from <from> (or any
 * peer when NULL) with the http rules given as a YAML flow list (or
 * none). */
static char *pol(const char *name, const char *subj, const char *from,
		 const char *http)
{
	char *s;

	assert_true(
		asprintf(&s,
			 "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
			 "metadata: {name: %s, namespace: default}\n"
			 "spec:\n"
			 "  endpointSelector: {matchLabels: {app: %s}}\n"
			 "  ingress:\n"
			 "  - %s%s%s\n"
			 "    toPorts:\n"
			 "    - ports: [{port: \"80\", protocol: TCP}]\n"
			 "%s%s%s",
			 name, subj,
			 from ? "fromEndpoints: [{matchLabels: {app: " : "",
			 from ? from : "fromEntities: [all]", from ? "}}]" : "",
			 http ? "      rules: {http: " : "", http ? http : "",
			 http ? "}\n" : "") > 0);
	return s;
}

struct ids {
	char *keys[16];
	int n;
};

static int id_get(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct ids *s = arg;

	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], labels)) {
			*id = XG_ID_FIRST_LOCAL + (__u32)i;
			return 0;
		}
	assert_true(s->n < 16);
	s->keys[s->n] = strdup(labels);
	*id = XG_ID_FIRST_LOCAL + (__u32)s->n++;
	return 0;
}

struct docs {
	struct xg_doc_set set[8];
	struct xg_compile_src src[8];
	size_t n;
	struct ids ids;
};

/* Compiles the endpoints and the documents given (each its own file,
 * p<i>.yaml); 0 or the error, err filled. */
static int compile(struct docs *d, struct xg_compiled *c, struct xg_err *err,
		   const char *const *yaml, size_t n)
{
	char buf[512];

	memset(d->set, 0, sizeof(d->set));
	d->n = 0;
	assert_true(n < 8);
	for (size_t i = 0; i <= n; i++) {
		const char *y = i ? yaml[i - 1] : eps;
		static char names[8][16];

		snprintf(names[i], sizeof(names[i]),
			 i ? "p%zu.yaml" : "eps.yaml", i);
		if (xg_doc_parse_buf(names[i], y, strlen(y), &d->set[i], err))
			fail_msg("parse: %s",
				 xg_err_str(err, buf, sizeof(buf)));
		d->src[i] = (struct xg_compile_src){names[i], &d->set[i]};
		d->n++;
	}
	return xg_compile(d->src, d->n, id_get, &d->ids, c, err);
}

static void docs_free(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		xg_doc_set_free(&d->set[i]);
	d->n = 0;
}

static void ids_free(struct ids *ids)
{
	for (int i = 0; i < ids->n; i++)
		free(ids->keys[i]);
	ids->n = 0;
}

static void compile_ok(struct docs *d, struct xg_compiled *c,
		       const char *const *yaml, size_t n)
{
	struct xg_err err = {};
	char buf[512];

	if (compile(d, c, &err, yaml, n))
		fail_msg("compile: %s", xg_err_str(&err, buf, sizeof(buf)));
	/* sorted by id, ids in 1 .. 2^31 - 1 */
	for (size_t i = 0; i < c->n_l7; i++) {
		assert_true(c->l7[i].id && c->l7[i].id <= 0x7fffffff);
		if (i)
			assert_true(c->l7[i - 1].id < c->l7[i].id);
	}
}

/* The L7 ruleset of a TCP/80 flow between two of eps' hosts (last
 * byte of 10.0.0.x), 0 for none; fails when the flow is dropped. */
static __u32 l7_of(const struct xg_compiled *c, int src, int dst)
{
	__u8 sa[16] = {10, 0, 0, (__u8)src}, da[16] = {10, 0, 0, (__u8)dst};
	struct xg_explain ex;

	xg_explain_flow(c, XG_FAMILY_V4, sa, da, 6, 80, &ex);
	if (!ex.allowed)
		fail_msg("10.0.0.%d -> 10.0.0.%d: dropped (reason %u)", src,
			 dst, ex.reason);
	return ex.l7_ruleset;
}

static const struct xg_l7_ruleset *ruleset(const struct xg_compiled *c,
					   __u32 id)
{
	for (size_t i = 0; i < c->n_l7; i++)
		if (c->l7[i].id == id)
			return &c->l7[i];
	fail_msg("no ruleset %u", id);
	return NULL;
}

enum { WEB = 1, API = 2, DB = 3, OPS = 4 };

/* Ids depend on the rules alone: adding a policy, or giving the files
 * in another order, changes none; equal rules are one ruleset. */
static void test_compile_ids_stable(void **state)
{
	char *p1 = pol("p1", "api", "web", "[{method: GET, path: \"/v1/.*\"}]");
	char *p2 = pol("p2", "db", "web", "[{method: POST, path: /q}]");
	/* p1's rules again, in another order, with a repeat and header
	 * names in other cases */
	char *p3 = pol("p3", "ops", NULL,
		       "[{path: \"/v1/.*\", method: GET}, {method: GET, path: "
		       "\"/v1/.*\"}]");
	char *p4 = pol("p4", "ops", "web",
		       "[{path: /h, headers: [\"X-A: 1\", X-B]}, {path: /h, "
		       "headers: [x-b, \"x-a: 1\"]}]");
	const char *v1[] = {p1}, *v2[] = {p2, p1}, *v3[] = {p1, p3};
	const char *v4[] = {p4};
	struct xg_compiled c1, c2, c3, c4;
	struct docs d = {};
	__u32 id1, id2;

	compile_ok(&d, &c1, v1, 1);
	docs_free(&d);
	id1 = l7_of(&c1, WEB, API);
	assert_int_not_equal(id1, 0);
	assert_int_equal(c1.n_l7, 1);
	assert_int_equal(ruleset(&c1, id1)->n, 1);

	compile_ok(&d, &c2, v2, 2);
	docs_free(&d);
	assert_int_equal(l7_of(&c2, WEB, API), id1);
	id2 = l7_of(&c2, WEB, DB);
	assert_int_not_equal(id2, 0);
	assert_int_not_equal(id2, id1);
	assert_int_equal(c2.n_l7, 2);

	compile_ok(&d, &c3, v3, 2);
	docs_free(&d);
	assert_int_equal(l7_of(&c3, WEB, API), id1);
	assert_int_equal(l7_of(&c3, WEB, OPS), id1);
	assert_int_equal(l7_of(&c3, API, OPS), id1);
	assert_int_equal(c3.n_l7, 1);

	/* headers: names in lower case, sorted, repeats gone */
	compile_ok(&d, &c4, v4, 1);
	docs_free(&d);
	{
		const struct xg_l7_ruleset *rs =
			ruleset(&c4, l7_of(&c4, WEB, OPS));

		assert_int_equal(rs->n, 1);
		assert_int_equal(rs->rules[0].n_headers, 2);
		assert_string_equal(rs->rules[0].headers[0], "x-a: 1");
		assert_string_equal(rs->rules[0].headers[1], "x-b");
	}
	xg_compiled_free(&c1);
	xg_compiled_free(&c2);
	xg_compiled_free(&c3);
	xg_compiled_free(&c4);
	ids_free(&d.ids);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
}

/* Where allows meet, the rulesets are ORed; a plain allow makes it all
 * HTTP; the fast path's table of the result says so too. */
static void test_compile_merged(void **state)
{
	char *a = pol("a", "api", "web", "[{method: GET, path: /a}]");
	char *b = pol("b", "api", "web", "[{method: POST, path: /b}]");
	char *plain = pol("plain", "api", "ops", NULL);
	char *any = pol("any", "api", NULL, "[{method: GET, path: /any}]");
	const char *v1[] = {a, b}, *v2[] = {a, b, plain, any};
	struct xg_compiled c1, c2;
	struct docs d = {};
	struct xg_l7_table *t;
	__u32 u, all, other;
	const struct xg_l7_ruleset *rs;

	compile_ok(&d, &c1, v1, 2);
	docs_free(&d);
	u = l7_of(&c1, WEB, API);
	rs = ruleset(&c1, u);
	assert_int_equal(rs->n, 2);
	assert_string_equal(rs->rules[0].method, "GET");
	assert_string_equal(rs->rules[1].method, "POST");
	/* only what the map uses: a's and b's own rulesets went */
	assert_int_equal(c1.n_l7, 1);
	t = build(c1.l7, c1.n_l7, 1, NULL);
	ALLOWED(t, u, req("GET", "/a", NULL));
	ALLOWED(t, u, req("POST", "/b", NULL));
	DENIED(t, u, req("GET", "/b", NULL));

	compile_ok(&d, &c2, v2, 4);
	docs_free(&d);
	/* web: a, b and the any-peer allow */
	rs = ruleset(&c2, l7_of(&c2, WEB, API));
	assert_int_equal(rs->n, 3);
	/* ops: a plain allow of its own, and the any-peer L7 allow: all
	 * HTTP, one rule without fields */
	all = l7_of(&c2, OPS, API);
	rs = ruleset(&c2, all);
	assert_int_equal(rs->n, 1);
	assert_null(rs->rules[0].method);
	assert_null(rs->rules[0].path);
	assert_int_equal(rs->rules[0].n_headers, 0);
	/* db: only the any-peer allow */
	other = l7_of(&c2, DB, API);
	rs = ruleset(&c2, other);
	assert_int_equal(rs->n, 1);
	assert_string_equal(rs->rules[0].path, "/any");
	/* web's is new: a's, b's and the any-peer allow's rules */
	assert_int_not_equal(l7_of(&c2, WEB, API), u);
	{
		struct xg_l7_table *t2 = build(c2.l7, c2.n_l7, 1, t);

		ALLOWED(t2, all, req("BREW", "/coffee", "pot"));
		ALLOWED(t2, other, req("GET", "/any", NULL));
		DENIED(t2, other, req("GET", "/a", NULL));
		ALLOWED(t2, l7_of(&c2, WEB, API), req("GET", "/any", NULL));
		xg_l7_table_free(t2);
	}
	xg_l7_table_free(t);
	xg_compiled_free(&c1);
	xg_compiled_free(&c2);
	ids_free(&d.ids);
	free(a);
	free(b);
	free(plain);
	free(any);
}

/* A regex Hyperscan cannot compile refuses the document, naming the
 * field and line. */
static void test_compile_bad_regex(void **state)
{
	static const struct {
		const char *http, *field, *msg;
		int line;
	} cases[] = {
		{"[{path: /ok}, {path: \"/(a)\\\\1\"}]",
		 "p1.yaml: spec.ingress[0].toPorts[0].rules.http[1].path",
		 "Back-reference", 10},
		{"[{method: \"GET(\"}]",
		 "p1.yaml: spec.ingress[0].toPorts[0].rules.http[0].method",
		 "regex 'GET(' does not compile", 10},
		{"\n        [{method: GET}, {method: GET, path: /x},\n         "
		 "{host: \"a)|(b\"}]",
		 "p1.yaml: spec.ingress[0].toPorts[0].rules.http[2].host",
		 "does not compile", 12},
		{"[{path: \"/a++\"}]",
		 "p1.yaml: spec.ingress[0].toPorts[0].rules.http[0].path",
		 "Possessive", 10},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = pol("p1", "api", "web", cases[i].http);
		const char *v[] = {p};
		struct xg_compiled c;
		struct xg_err err = {};
		struct docs d = {};
		char buf[512];

		assert_int_equal(compile(&d, &c, &err, v, 1), -EINVAL);
		xg_err_str(&err, buf, sizeof(buf));
		if (strcmp(err.where, cases[i].field) ||
		    !strstr(err.msg, cases[i].msg) || err.line != cases[i].line)
			fail_msg("case %zu: %s", i, buf);
		assert_int_equal(c.n_l7, 0);
		assert_null(c.policy.v);
		docs_free(&d);
		ids_free(&d.ids);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_match),
		cmocka_unit_test(test_or_and),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_allow_all_and_empty),
		cmocka_unit_test(test_prefix_split_differential),
		cmocka_unit_test(test_many_rests),
		cmocka_unit_test(test_table_reuse),
		cmocka_unit_test(test_many_workers),
		cmocka_unit_test(test_compile_ids_stable),
		cmocka_unit_test(test_compile_merged),
		cmocka_unit_test(test_compile_bad_regex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
