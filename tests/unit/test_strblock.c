// SPDX-License-Identifier: GPL-2.0-only
/* ctrl/policy/strblock.h: records and their strings in one block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl/policy/strblock.h"

struct rec {
	const char *a;
	int n;
	const char *b;
};

static const size_t offs[] = { offsetof(struct rec, a),
			       offsetof(struct rec, b) };

static bool inside(const struct xg_strblock *blk, const void *p, size_t len)
{
	return (const char *)p >= blk->v &&
	       (const char *)p + len <= blk->v + blk->len;
}

/* Copies point into the block at equal strings; the source records are
 * left as they were; a string repeated by pointer from the record before
 * is stored once, one repeated by value only is stored again. */
static void test_pack(void **state)
{
	char again[] = "policy-1"; /* equal to p1, another pointer */
	const char *p1 = "policy-1", *f = "file.yaml";
	const struct rec recs[4] = {
		{ p1, 1, f }, { p1, 2, f }, { again, 3, f }, { "policy-2", 4, "other" },
	};
	const struct rec *copy;
	struct xg_strblock *blk;
	void *c;

	assert_int_equal(xg_strblock_pack(40, recs, 4, sizeof(*recs), offs, 2,
					  &blk, &c),
			 0);
	copy = c;
	assert_int_equal(blk->refs, 1);
	/* the caller's bytes first, the records 16-byte aligned after */
	assert_true((const char *)copy >= blk->v + 40);
	assert_int_equal((uintptr_t)copy % 16, 0);
	assert_int_equal((uintptr_t)blk->v % 16, 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(copy[i].n, recs[i].n);
		assert_string_equal(copy[i].a, recs[i].a);
		assert_string_equal(copy[i].b, recs[i].b);
		assert_true(inside(blk, copy[i].a, strlen(copy[i].a) + 1));
		assert_true(inside(blk, copy[i].b, strlen(copy[i].b) + 1));
		assert_ptr_not_equal(copy[i].a, recs[i].a);
	}
	assert_ptr_equal(copy[0].a, copy[1].a); /* the same pointer: once */
	assert_ptr_not_equal(copy[1].a, copy[2].a); /* equal text: twice */
	assert_ptr_equal(copy[0].b, copy[2].b);
	assert_ptr_equal(recs[2].a, again); /* the source is not touched */
	/* nothing written past what len says: the strings end the block */
	assert_ptr_equal(copy[3].b + strlen("other") + 1, blk->v + blk->len);
	memset(blk->v, 0xa5, 40); /* the caller's part is its own */
	assert_string_equal(copy[0].a, "policy-1");
	blk->refs++;
	xg_strblock_unref(blk);
	assert_int_equal(blk->refs, 1);
	xg_strblock_unref(blk); /* ASan: freed once, here */
	xg_strblock_unref(NULL);
}

/* In place: the records themselves are pointed into the block. */
static void test_pack_strings(void **state)
{
	char *owned = strdup("labels=a");
	struct rec recs[2] = { { owned, 1, "x" }, { owned, 2, "y" } };
	struct xg_strblock *blk;

	assert_non_null(owned);
	assert_int_equal(xg_strblock_pack_strings(recs, 2, sizeof(*recs), offs, 2,
						  &blk),
			 0);
	free(owned); /* the records no longer need it */
	assert_string_equal(recs[0].a, "labels=a");
	assert_ptr_equal(recs[0].a, recs[1].a);
	assert_string_equal(recs[1].b, "y");
	assert_true(inside(blk, recs[1].b, 2));
	assert_int_equal(blk->len, strlen("labels=a") + 1 + 2 + 2);
	xg_strblock_unref(blk);
}

/* No records: a block of the caller's bytes alone. */
static void test_empty(void **state)
{
	struct xg_strblock *blk;
	void *c;

	assert_int_equal(xg_strblock_pack(24, NULL, 0, sizeof(struct rec), offs,
					  2, &blk, &c),
			 0);
	assert_int_equal(blk->len, 32);
	assert_ptr_equal(c, blk->v + 32);
	xg_strblock_unref(blk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack),
		cmocka_unit_test(test_pack_strings),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
