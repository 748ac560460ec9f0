// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/kv/gone and ctrl/kv/keyset: what a catch-up after a compacted
 * etcd watch relies on.  The search runs against a fake etcd (a sorted
 * array answering counts and listings of byte ranges) and must name
 * exactly the keys the fake no longer holds, at a cost that follows the
 * number of deletions, not of keys; and must refuse when etcd holds a
 * key it was never told of.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl/kv/gone.h"
#include "ctrl/kv/keyset.h"

/* ------------------------------------------------------------ fake etcd -- */

struct fake {
	const char **k; /* sorted */
	size_t n;
	int64_t rev; /* the one revision it answers at */
	int fail_at; /* the fail_at-th request fails (1-based); 0: none */
	int requests;
	int64_t lie; /* added to every count after the first */
};

/* Bytewise order with lengths, as etcd compares keys. */
static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static int in_span(const char *k, const char *lo, size_t lo_len,
		   const char *hi, size_t hi_len)
{
	size_t kl = strlen(k);

	return cmp_bytes(k, kl, lo, lo_len) >= 0 &&
	       cmp_bytes(k, kl, hi, hi_len) < 0;
}

static int fake_request(struct fake *f, int64_t rev, struct xg_err *err)
{
	assert_int_equal(rev, f->rev);
	if (++f->requests == f->fail_at) {
		xg_err_set(err, "fake", "connection refused");
		return -ECONNREFUSED;
	}
	return 0;
}

static int fake_count(void *arg, const char *lo, size_t lo_len,
		      const char *hi, size_t hi_len, int64_t rev, int64_t *n,
		      struct xg_err *err)
{
	struct fake *f = arg;
	int ret = fake_request(f, rev, err);

	if (ret)
		return ret;
	*n = f->requests > 1 ? f->lie : 0;
	for (size_t i = 0; i < f->n; i++)
		*n += in_span(f->k[i], lo, lo_len, hi, hi_len);
	return 0;
}

static int fake_list(void *arg, const char *lo, size_t lo_len, const char *hi,
		     size_t hi_len, int64_t rev, xg_gone_key_cb cb,
		     void *cb_arg, struct xg_err *err)
{
	struct fake *f = arg;
	int ret = fake_request(f, rev, err);

	for (size_t i = 0; i < f->n && !ret; i++)
		if (in_span(f->k[i], lo, lo_len, hi, hi_len))
			ret = cb(f->k[i], strlen(f->k[i]), cb_arg);
	return ret;
}

static const struct xg_gone_ops fake_ops = { .count = fake_count,
					     .list = fake_list };

/* ------------------------------------------------------------- helpers -- */

struct found {
	const char *k[4096];
	size_t n;
};

static void on_gone(const char *key, void *arg)
{
	struct found *f = arg;

	assert_true(f->n < 4096);
	f->k[f->n++] = key;
}

/* n keys "/p/endpoints/10.x.y.z", in the order made (callers sort). */
static char **make_keys(size_t n)
{
	char **k = calloc(n, sizeof(*k));

	assert_non_null(k);
	for (size_t i = 0; i < n; i++) {
		assert_true(asprintf(&k[i], "/p/endpoints/10.%zu.%zu.%zu",
				     i >> 16, (i >> 8) & 255, i & 255) > 0);
	}
	return k;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_keys(char **k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i]);
	free(k);
}

static const char LO[] = "/p/endpoints/", HI[] = "/p/endpoints0";

/* known: the n keys; etcd: those with keep[i]; checks the search names
 * exactly the others, in order.  Returns the stats. */
static struct xg_gone_stats search(char **known, size_t n, const char *keep)
{
	const char **server = malloc((n ? n : 1) * sizeof(*server));
	struct fake f = { .k = server, .rev = 42 };
	struct found got = {0};
	struct xg_gone_stats st = {0};
	struct xg_err err = {0};
	size_t expect = 0;

	assert_non_null(server);
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			server[f.n++] = known[i];
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1, HI,
				      sizeof(HI) - 1,
				      (const char *const *)known, n, 42,
				      on_gone, &got, &st, &err),
			 0);
	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			continue;
		assert_true(expect < got.n);
		assert_string_equal(got.k[expect], known[i]);
		expect++;
	}
	assert_int_equal(got.n, expect);
	assert_int_equal(st.counts + st.lists, (size_t)f.requests);
	free(server);
	return st;
}

/* --------------------------------------------------------------- tests -- */

static void test_nothing_gone_is_one_count(void **state)
{
	size_t n = 10000;
	char **k = make_keys(n);
	char *keep = malloc(n);
	struct xg_gone_stats st;

	(void)state;
	qsort(k, n, sizeof(*k), by_str);
	memset(keep, 1, n);
	st = search(k, n, keep);
	assert_int_equal(st.counts, 1);
	assert_int_equal(st.lists, 0);
	free(keep);
	free_keys(k, n);
}

static void test_one_gone_costs_a_path_not_a_listing(void **state)
{
	size_t n = 100000;
	char **k = make_keys(n);
	char *keep = malloc(n);

	(void)state;
	qsort(k, n, sizeof(*k), by_str);
	for (size_t at = 0; at < n; at += 33331) {
		struct xg_gone_stats st;

		memset(keep, 1, n);
		keep[at] = 0;
		st = search(k, n, keep);
		/* down one path of halvings to a leaf: a count a level */
		assert_true(st.counts <= 2 + 17);
		assert_int_equal(st.lists, 1);
		assert_true(st.listed <= XG_GONE_LEAF);
	}
	free(keep);
	free_keys(k, n);
}

static void test_random_deletions_named_exactly(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 255, 256, 257, 600, 5000 };
	/* deletions per 1,000 keys: none, few, many, all */
	static const unsigned rates[] = { 0, 1, 20, 300, 999, 1000 };
	unsigned seed = 7;

	(void)state;
	for (size_t a = 0; a < sizeof(sizes) / sizeof(sizes[0]); a++) {
		size_t n = sizes[a];
		char **k = make_keys(n ? n : 1);
		char *keep = malloc(n ? n : 1);

		qsort(k, n, sizeof(*k), by_str);
		for (size_t b = 0; b < sizeof(rates) / sizeof(rates[0]); b++) {
			for (int round = 0; round < 3; round++) {
				struct xg_gone_stats st;
				size_t n_gone = 0;

				for (size_t i = 0; i < n; i++) {
					keep[i] = (unsigned)rand_r(&seed) % 1000 >=
						  rates[b];
					n_gone += !keep[i];
				}
				if (n_gone > 4000)
					continue;
				st = search(k, n, keep);
				/* never more keys listed than there were */
				assert_true(st.listed <= n);
			}
		}
		free(keep);
		free_keys(k, n ? n : 1);
	}
}

/* etcd holds a key we were never told of: the count is over ours. */
static void test_unknown_key_by_count_is_stale(void **state)
{
	const char *known[] = { "/p/endpoints/a", "/p/endpoints/c" };
	const char *server[] = { "/p/endpoints/a", "/p/endpoints/b",
				 "/p/endpoints/c" };
	struct fake f = { .k = server, .n = 3, .rev = 9 };
	struct found got = {0};
	struct xg_err err = {0};

	(void)state;
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1, HI,
				      sizeof(HI) - 1, known, 2, 9, on_gone,
				      &got, NULL, &err),
			 -ESTALE);
	assert_non_null(strstr(err.msg, "etcd holds 3 keys where we know 2"));
}

/* ... or shows in a listing, where a deletion hides it from the count. */
static void test_unknown_key_in_listing_is_stale(void **state)
{
	const char *known[] = { "/p/endpoints/a", "/p/endpoints/c",
				"/p/endpoints/d" };
	const char *server[] = { "/p/endpoints/b", "/p/endpoints/d" };
	struct fake f = { .k = server, .n = 2, .rev = 9 };
	struct found got = {0};
	struct xg_err err = {0};

	(void)state;
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1, HI,
				      sizeof(HI) - 1, known, 3, 9, on_gone,
				      &got, NULL, &err),
			 -ESTALE);
	assert_non_null(strstr(err.msg, "a key we never saw"));
}

/* A key that is a prefix of another sorts first, in both orders used. */
static void test_prefix_keys(void **state)
{
	const char *known[] = { "/p/endpoints/a", "/p/endpoints/a/b",
				"/p/endpoints/ab" };
	const char *server[] = { "/p/endpoints/a", "/p/endpoints/ab" };
	struct fake f = { .k = server, .n = 2, .rev = 9 };
	struct found got = {0};

	(void)state;
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1, HI,
				      sizeof(HI) - 1, known, 3, 9, on_gone,
				      &got, NULL, NULL),
			 0);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.k[0], "/p/endpoints/a/b");
}

static void test_request_error_returned(void **state)
{
	size_t n = 3000;
	char **k = make_keys(n);
	const char **server = malloc(n * sizeof(*server));
	struct fake f = { .k = server, .rev = 5 };
	struct xg_err err = {0};
	struct found got = {0};

	(void)state;
	qsort(k, n, sizeof(*k), by_str);
	for (size_t i = 0; i < n; i++)
		if (i != 1234)
			server[f.n++] = k[i];
	for (int at = 1; at <= 3; at++) {
		f.requests = 0;
		f.fail_at = at;
		got.n = 0;
		assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1,
					      HI, sizeof(HI) - 1,
					      (const char *const *)k, n, 5,
					      on_gone, &got, NULL, &err),
				 -ECONNREFUSED);
		assert_string_equal(err.msg, "connection refused");
	}
	free(server);
	free_keys(k, n);
}

/* Counts that do not add up (a part over the whole, or below zero) are
 * etcd's answers gone wrong, not deletions. */
static void test_counts_that_do_not_add_up(void **state)
{
	static const int64_t lies[] = { 5000, -5000 };
	size_t n = 3000;
	char **k = make_keys(n);
	const char **server = malloc(n * sizeof(*server));

	(void)state;
	qsort(k, n, sizeof(*k), by_str);
	for (size_t i = 0; i < n; i++)
		server[i] = k[i];
	for (size_t l = 0; l < 2; l++) {
		/* one gone, so the search goes past its first count */
		struct fake f = { .k = server, .n = n - 1, .rev = 5,
				  .lie = lies[l] };
		struct xg_err err = {0};
		struct found got = {0};

		assert_int_equal(xg_gone_find(&fake_ops, &f, LO, sizeof(LO) - 1,
					      HI, sizeof(HI) - 1,
					      (const char *const *)k, n, 5,
					      on_gone, &got, NULL, &err),
				 -EBADMSG);
		assert_non_null(strstr(err.msg, "a count of part of a span"));
	}
	free(server);
	free_keys(k, n);
}

static void test_bad_arguments(void **state)
{
	struct fake f = { .rev = 1 };
	struct found got = {0};

	(void)state;
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, 3, HI, 3, NULL, 1, 1,
				      on_gone, &got, NULL, NULL),
			 -EINVAL);
	assert_int_equal(xg_gone_find(&fake_ops, &f, LO, 3, HI, 3, NULL, 0, 0,
				      on_gone, &got, NULL, NULL),
			 -EINVAL);
	assert_int_equal(f.requests, 0);
}

/* -------------------------------------------------------------- keyset -- */

static void test_keyset_add_del_has(void **state)
{
	struct xg_keyset s = {0};

	(void)state;
	assert_false(xg_keyset_has(&s, "a", 1));
	assert_int_equal(xg_keyset_del(&s, "a", 1), 0);
	assert_int_equal(xg_keyset_add(&s, "a", 1), 1);
	assert_int_equal(xg_keyset_add(&s, "a", 1), 0);
	/* the length says where the key ends */
	assert_int_equal(xg_keyset_add(&s, "ab", 1), 0);
	assert_int_equal(xg_keyset_add(&s, "ab", 2), 1);
	assert_true(xg_keyset_has(&s, "ab", 2));
	assert_int_equal(s.n, 2);
	assert_int_equal(xg_keyset_del(&s, "a", 1), 1);
	assert_false(xg_keyset_has(&s, "a", 1));
	assert_true(xg_keyset_has(&s, "ab", 2));
	assert_int_equal(s.n, 1);
	xg_keyset_clear(&s);
	assert_int_equal(s.n, 0);
	assert_false(xg_keyset_has(&s, "ab", 2));
}

static void test_keyset_many_sorted(void **state)
{
	size_t n = 100000, got;
	char **k = make_keys(n);
	struct xg_keyset s = {0};
	const char **v;

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(xg_keyset_add(&s, k[i], strlen(k[i])), 1);
	for (size_t i = 0; i < n; i += 2)
		assert_int_equal(xg_keyset_del(&s, k[i], strlen(k[i])), 1);
	assert_int_equal(s.n, n / 2);
	v = xg_keyset_sorted(&s, &got);
	assert_non_null(v);
	assert_int_equal(got, n / 2);
	/* what is left, in strcmp order */
	for (size_t i = 1; i < got; i++)
		assert_true(strcmp(v[i - 1], v[i]) < 0);
	for (size_t i = 0; i < got; i++)
		assert_true(xg_keyset_has(&s, v[i], strlen(v[i])));
	free((void *)v);
	xg_keyset_clear(&s);
	v = xg_keyset_sorted(&s, &got);
	assert_null(v);
	assert_int_equal(got, 0);
	free_keys(k, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_gone_is_one_count),
		cmocka_unit_test(test_one_gone_costs_a_path_not_a_listing),
		cmocka_unit_test(test_random_deletions_named_exactly),
		cmocka_unit_test(test_unknown_key_by_count_is_stale),
		cmocka_unit_test(test_unknown_key_in_listing_is_stale),
		cmocka_unit_test(test_prefix_keys),
		cmocka_unit_test(test_request_error_returned),
		cmocka_unit_test(test_counts_that_do_not_add_up),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_keyset_add_del_has),
		cmocka_unit_test(test_keyset_many_sorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
