// SPDX-License-Identifier: GPL-2.0-only
/* ctrl/policy/pairset.h: the compiler's set of (subject, direction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctrl/policy/pairset.h"

/* Ingress and egress of one subject are two pairs. */
static void test_directions_apart(void **state)
{
	struct xg_pairset s = {};
	bool added;

	assert_false(xg_pairset_has(&s, 300, XG_DIR_INGRESS));
	assert_int_equal(xg_pairset_add(&s, 300, XG_DIR_INGRESS, &added), 0);
	assert_true(added);
	assert_true(xg_pairset_has(&s, 300, XG_DIR_INGRESS));
	assert_false(xg_pairset_has(&s, 300, XG_DIR_EGRESS));
	assert_false(xg_pairset_has(&s, 301, XG_DIR_INGRESS));
	assert_false(xg_pairset_has(&s, 299, XG_DIR_EGRESS));
	assert_int_equal(xg_pairset_add(&s, 300, XG_DIR_INGRESS, &added), 0);
	assert_false(added);
	assert_int_equal(xg_pairset_add(&s, 300, XG_DIR_EGRESS, &added), 0);
	assert_true(added);
	assert_true(xg_pairset_has(&s, 300, XG_DIR_EGRESS));
	xg_pairset_free(&s);
	assert_false(xg_pairset_has(&s, 300, XG_DIR_INGRESS));
}

/* Identities on both sides of the bitmap's end, the largest one a
 * 32-bit identity can be, and subjects met in growing order (the
 * bitmap grows under pairs already in it). */
static void test_dense_and_hashed(void **state)
{
	static const __u32 ids[] = { 0, 1, 63, 64, 255, 256, 4095, 65535, 65536,
				     XG_PAIRSET_DENSE - 1, XG_PAIRSET_DENSE,
				     XG_PAIRSET_DENSE + 1, 1u << 24, 0xffffffffu };
	struct xg_pairset s = {};
	bool added;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_false(xg_pairset_has(&s, ids[i], XG_DIR_EGRESS));
		assert_int_equal(xg_pairset_add(&s, ids[i], XG_DIR_EGRESS, &added), 0);
		assert_true(added);
		for (size_t j = 0; j <= i; j++) {
			assert_true(xg_pairset_has(&s, ids[j], XG_DIR_EGRESS));
			assert_false(xg_pairset_has(&s, ids[j], XG_DIR_INGRESS));
		}
	}
	assert_false(xg_pairset_has(&s, XG_PAIRSET_DENSE + 2, XG_DIR_EGRESS));
	assert_false(xg_pairset_has(&s, 2, XG_DIR_EGRESS));
	xg_pairset_free(&s);
}

/* Against a plain list: random pairs, most dense, some hashed. */
static void test_random_against_list(void **state)
{
	enum { N = 20000 };
	static __u32 subj[N];
	static __u8 dir[N];
	struct xg_pairset s = {};
	unsigned seed = 12345;
	bool added;

	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		subj[i] = (seed >> 8) % 20 ? 256 + (seed >> 4) % 5000 :
					     (1u << 24) + (seed >> 4) % 500;
		dir[i] = (seed >> 3) & 1 ? XG_DIR_INGRESS : XG_DIR_EGRESS;
	}
	for (size_t i = 0; i < N; i++) {
		bool before = false;

		for (size_t j = 0; j < i && !before; j++)
			before = subj[j] == subj[i] && dir[j] == dir[i];
		assert_int_equal(xg_pairset_has(&s, subj[i], dir[i]), before);
		assert_int_equal(xg_pairset_add(&s, subj[i], dir[i], &added), 0);
		assert_int_equal(added, !before);
	}
	xg_pairset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directions_apart),
		cmocka_unit_test(test_dense_and_hashed),
		cmocka_unit_test(test_random_against_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
