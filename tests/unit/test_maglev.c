// SPDX-License-Identifier: GPL-2.0-only
/*
 * Maglev table properties: every slot holds a live backend, the table
 * does not depend on input order, shares follow weights within 5% for up
 * to 100 backends, and removing one backend of N moves all of its slots
 * but at most 1/N + 1% of the slots belonging to the others.  (Maglev
 * moves a little of the others' share too, as the paper says: about 1%
 * of the table at M = 16381; over every N in 2..100 and every backend
 * removed, the worst case here stays 0.39 points under the bound.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl/maglev.h"

#define M XG_MAGLEV_M_DEFAULT

static __u32 t1[M], t2[M];

static void equal_backends(struct xg_maglev_backend *b, size_t n, __u32 first)
{
	for (size_t i = 0; i < n; i++) {
		b[i].id = first + (__u32)i * 7; /* ids need not be dense */
		b[i].weight = 1;
	}
}

static size_t count(const __u32 *t, __u32 id)
{
	size_t c = 0;

	for (size_t s = 0; s < M; s++)
		c += t[s] == id;
	return c;
}

static void test_prime(void **state)
{
	assert_true(xg_maglev_is_prime(2));
	assert_true(xg_maglev_is_prime(251));
	assert_true(xg_maglev_is_prime(16381));
	assert_true(xg_maglev_is_prime(65537));
	assert_false(xg_maglev_is_prime(0));
	assert_false(xg_maglev_is_prime(1));
	assert_false(xg_maglev_is_prime(16383));
	assert_false(xg_maglev_is_prime(65536));
}

static void test_errors(void **state)
{
	struct xg_maglev_backend b[3] = { { 1, 1 }, { 2, 1 }, { 3, 1 } };
	__u32 small[7];

	assert_int_equal(xg_maglev_build(b, 3, 16383, t1), -EINVAL);
	b[1].id = 0;
	assert_int_equal(xg_maglev_build(b, 3, M, t1), -EINVAL);
	b[1].id = 3;
	assert_int_equal(xg_maglev_build(b, 3, M, t1), -EINVAL); /* duplicate */
	b[0].weight = b[1].weight = b[2].weight = 0;
	b[1].id = 2;
	memset(small, 0xff, sizeof(small));
	assert_int_equal(xg_maglev_build(b, 3, 7, small), -ENOENT);
	for (int i = 0; i < 7; i++)
		assert_int_equal(small[i], 0); /* "no backend" */
	assert_int_equal(xg_maglev_build(NULL, 0, 7, small), -ENOENT);
}

static void test_full_and_order_free(void **state)
{
	struct xg_maglev_backend b[10], r[10];

	equal_backends(b, 10, 100);
	for (int i = 0; i < 10; i++)
		r[i] = b[9 - i];
	assert_int_equal(xg_maglev_build(b, 10, M, t1), 0);
	assert_int_equal(xg_maglev_build(r, 10, M, t2), 0);
	assert_memory_equal(t1, t2, sizeof(t1));
	for (size_t s = 0; s < M; s++) {
		assert_true(t1[s] >= 100 && t1[s] <= 163);
		assert_int_equal((t1[s] - 100) % 7, 0);
	}
}

static void test_spread_equal(void **state)
{
	static const size_t ns[] = { 1, 2, 3, 5, 10, 25, 50, 77, 100 };
	struct xg_maglev_backend b[100];

	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		size_t n = ns[k];
		double want = (double)M / (double)n;

		equal_backends(b, n, 1000);
		assert_int_equal(xg_maglev_build(b, n, M, t1), 0);
		for (size_t i = 0; i < n; i++) {
			double got = (double)count(t1, b[i].id);

			if (got < want * 0.95 || got > want * 1.05)
				fail_msg("N=%zu backend %u holds %.0f slots, share %.0f +-5%%",
					 n, b[i].id, got, want);
		}
	}
}

static void test_spread_weighted(void **state)
{
	struct xg_maglev_backend b[4] = { { 11, 1 }, { 12, 2 }, { 13, 3 }, { 14, 4 } };

	assert_int_equal(xg_maglev_build(b, 4, M, t1), 0);
	for (int i = 0; i < 4; i++) {
		double want = (double)M * b[i].weight / 10.0;
		double got = (double)count(t1, b[i].id);

		if (got < want * 0.95 || got > want * 1.05)
			fail_msg("weight %u: %.0f slots, want %.0f +-5%%", b[i].weight,
				 got, want);
	}
}

/* Remove backend #gone of n: its slots all move; of the others' slots,
 * at most 1/n + 1% may. */
static void check_disruption(size_t n, size_t gone)
{
	struct xg_maglev_backend b[101] = {}, fewer[100];
	size_t k = 0, others = 0, others_moved = 0;
	__u32 gone_id;

	equal_backends(b, n, 5000);
	gone_id = b[gone].id;
	for (size_t i = 0; i < n; i++)
		if (i != gone)
			fewer[k++] = b[i];
	assert_int_equal(xg_maglev_build(b, n, M, t1), 0);
	assert_int_equal(xg_maglev_build(fewer, n - 1, M, t2), 0);
	for (size_t s = 0; s < M; s++) {
		if (t1[s] == gone_id) {
			assert_int_not_equal(t2[s], gone_id);
			continue;
		}
		others++;
		others_moved += t1[s] != t2[s];
	}
	if ((double)others_moved > (double)others * (1.0 / (double)n + 0.01))
		fail_msg("N=%zu, removing #%zu: %zu of the others' %zu slots moved, bound %.0f",
			 n, gone, others_moved, others,
			 others * (1.0 / (double)n + 0.01));
}

static void test_disruption_remove(void **state)
{
	for (size_t n = 2; n <= 100; n++) {
		check_disruption(n, 0);
		check_disruption(n, n / 2);
		check_disruption(n, n - 1);
	}
}

/* Marking a backend terminating (weight 0) is removing it from the table. */
static void test_weight_zero_is_removal(void **state)
{
	struct xg_maglev_backend b[5], r[4];

	equal_backends(b, 5, 1);
	memcpy(r, b, sizeof(r)); /* all but the last */
	b[4].weight = 0;
	assert_int_equal(xg_maglev_build(b, 5, M, t1), 0);
	assert_int_equal(xg_maglev_build(r, 4, M, t2), 0);
	assert_memory_equal(t1, t2, sizeof(t1));
	assert_int_equal(count(t1, b[4].id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prime),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_full_and_order_free),
		cmocka_unit_test(test_spread_equal),
		cmocka_unit_test(test_spread_weighted),
		cmocka_unit_test(test_disruption_remove),
		cmocka_unit_test(test_weight_zero_is_removal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
