// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TCP byte-stream reassembler (fastpath/flow/reasm.c): in order, out
 * of order with holes, duplicates, retransmissions that differ (in
 * consumed and unconsumed bytes), the bound, forgetting consumed bytes
 * and OLD, segments that straddle base, sequence wrap-around, peek after
 * compaction and the compaction cost.  Positions below are stream
 * offsets from the initial sequence number; S holds the stream.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fastpath/flow/reasm.h"

#define SLEN (1u << 20)

static uint8_t S[SLEN];

static int setup(void **state)
{
	uint32_t x = 0x12345678;

	for (size_t i = 0; i < SLEN; i++) {
		x = x * 1103515245 + 12345;
		S[i] = (uint8_t)(x >> 16);
	}
	return 0;
}

/* Offers stream bytes [from, to). */
static int ins(struct xg_reasm *r, uint32_t isn, size_t from, size_t to)
{
	return xg_reasm_insert(r, isn + (uint32_t)from, S + from, to - from);
}

/* Offers [from, to) with the byte at stream offset bad flipped. */
static int ins_bad(struct xg_reasm *r, uint32_t isn, size_t from, size_t to,
		   size_t bad)
{
	static uint8_t tmp[SLEN];

	assert_true(bad >= from && bad < to);
	memcpy(tmp, S + from, to - from);
	tmp[bad - from] ^= 0x5a;
	return xg_reasm_insert(r, isn + (uint32_t)from, tmp, to - from);
}

/* read is at from, and peek gives exactly stream bytes [from, to). */
static void peek_is(struct xg_reasm *r, uint32_t isn, size_t from, size_t to)
{
	const uint8_t *p = NULL;
	size_t n = xg_reasm_peek(r, &p);

	assert_int_equal(xg_reasm_read_seq(r), (uint32_t)(isn + from));
	assert_int_equal(n, to - from);
	if (n)
		assert_memory_equal(p, S + from, n);
}

struct snap {
	uint32_t read, end, base;
	size_t held, n;
	const uint8_t *p;
	uint8_t bytes[512];
};

static void snap_take(struct xg_reasm *r, struct snap *s)
{
	s->read = xg_reasm_read_seq(r);
	s->end = xg_reasm_end_seq(r);
	s->base = xg_reasm_base_seq(r);
	s->held = xg_reasm_held(r);
	s->n = xg_reasm_peek(r, &s->p);
	assert_true(s->n <= sizeof(s->bytes));
	memcpy(s->bytes, s->p, s->n);
}

static void snap_same(struct xg_reasm *r, const struct snap *s)
{
	const uint8_t *p;

	assert_int_equal(xg_reasm_read_seq(r), s->read);
	assert_int_equal(xg_reasm_end_seq(r), s->end);
	assert_int_equal(xg_reasm_base_seq(r), s->base);
	assert_int_equal(xg_reasm_held(r), s->held);
	assert_int_equal(xg_reasm_peek(r, &p), s->n);
	assert_ptr_equal(p, s->p);
	assert_memory_equal(p, s->bytes, s->n);
}

static void test_init(void **state)
{
	struct xg_reasm r;
	const uint8_t *p;

	assert_int_equal(xg_reasm_init(&r, 1, 0), -EINVAL);
	assert_int_equal(xg_reasm_init(&r, 1, XG_REASM_CAP_MAX + 1), -EINVAL);
	assert_int_equal(xg_reasm_init(&r, 1000, 100), 0);
	assert_int_equal(xg_reasm_read_seq(&r), 1000);
	assert_int_equal(xg_reasm_end_seq(&r), 1000);
	assert_int_equal(xg_reasm_base_seq(&r), 1000);
	assert_int_equal(xg_reasm_held(&r), 0);
	assert_int_equal(xg_reasm_peek(&r, &p), 0);
	assert_int_equal(xg_reasm_mem(&r), 100 + 2 * sizeof(uint64_t));
	xg_reasm_free(&r);
	xg_reasm_free(&r);
	assert_int_equal(xg_reasm_mem(&r), 0);
}

static void test_in_order(void **state)
{
	const uint32_t isn = 7;
	struct xg_reasm r;

	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	peek_is(&r, isn, 0, 100);
	assert_int_equal(ins(&r, isn, 100, 150), XG_REASM_OK);
	peek_is(&r, isn, 0, 150);
	assert_int_equal(xg_reasm_held(&r), 150);
	xg_reasm_consume(&r, 120);
	peek_is(&r, isn, 120, 150);
	assert_int_equal(xg_reasm_held(&r), 30);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 150);
	xg_reasm_consume(&r, 30);
	peek_is(&r, isn, 150, 150);
	assert_int_equal(xg_reasm_held(&r), 0);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 150);
	xg_reasm_free(&r);
}

static void test_out_of_order(void **state)
{
	const uint32_t isn = 1u << 31;
	struct xg_reasm r;

	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 50, 80), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 120, 150), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 10, 20), XG_REASM_OK);
	peek_is(&r, isn, 0, 0);
	assert_int_equal(xg_reasm_held(&r), 70);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 150);
	assert_int_equal(ins(&r, isn, 0, 10), XG_REASM_OK);
	peek_is(&r, isn, 0, 20);
	assert_int_equal(ins(&r, isn, 20, 50), XG_REASM_OK);
	peek_is(&r, isn, 0, 80);
	xg_reasm_consume(&r, 30);
	peek_is(&r, isn, 30, 80);
	assert_int_equal(ins(&r, isn, 80, 120), XG_REASM_OK);
	peek_is(&r, isn, 30, 150);
	assert_int_equal(xg_reasm_held(&r), 120);
	xg_reasm_free(&r);

	/* One segment over several holes and held runs counts each byte
	 * once. */
	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 0, 10), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 20, 30), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 40, 50), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 70, 200), XG_REASM_OK);
	peek_is(&r, isn, 0, 10);
	assert_int_equal(ins(&r, isn, 5, 45), XG_REASM_OK);
	peek_is(&r, isn, 0, 50);
	assert_int_equal(xg_reasm_held(&r), 180);
	assert_int_equal(ins(&r, isn, 50, 70), XG_REASM_OK);
	peek_is(&r, isn, 0, 200);
	xg_reasm_free(&r);
}

static void test_duplicate(void **state)
{
	const uint32_t isn = 99;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 150, 160), XG_REASM_OK);
	xg_reasm_consume(&r, 40);
	snap_take(&r, &s);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	snap_same(&r, &s);
	assert_int_equal(ins(&r, isn, 30, 60), XG_REASM_OK);
	snap_same(&r, &s);
	assert_int_equal(ins(&r, isn, 150, 160), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 152, 153), XG_REASM_OK);
	snap_same(&r, &s);
	assert_int_equal(xg_reasm_held(&r), 70);
	xg_reasm_free(&r);
}

static void test_zero_len(void **state)
{
	const uint32_t isn = 5;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 64), 0);
	assert_int_equal(ins(&r, isn, 0, 10), XG_REASM_OK);
	snap_take(&r, &s);
	assert_int_equal(xg_reasm_insert(&r, isn + 5, NULL, 0), XG_REASM_OK);
	assert_int_equal(xg_reasm_insert(&r, isn - 1000, NULL, 0), XG_REASM_OK);
	assert_int_equal(xg_reasm_insert(&r, isn + 100000, NULL, 0),
			 XG_REASM_OK);
	snap_same(&r, &s);
	xg_reasm_free(&r);
}

static void test_conflict_unconsumed(void **state)
{
	const uint32_t isn = 0x10000;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 200, 210), XG_REASM_OK);
	snap_take(&r, &s);
	assert_int_equal(ins_bad(&r, isn, 50, 70, 60), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* The new part after the conflict is not taken either. */
	assert_int_equal(ins_bad(&r, isn, 90, 130, 95), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* Nor the hole before a differing out-of-order byte. */
	assert_int_equal(ins_bad(&r, isn, 100, 215, 205), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* The first and the last byte held. */
	assert_int_equal(ins_bad(&r, isn, 0, 1, 0), XG_REASM_CONFLICT);
	assert_int_equal(ins_bad(&r, isn, 209, 210, 209), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* A differing byte in a hole is new content, not a conflict. */
	assert_int_equal(ins_bad(&r, isn, 190, 205, 195), XG_REASM_OK);
	assert_int_equal(xg_reasm_held(&r), 100 + 20);
	assert_int_equal(ins(&r, isn, 190, 205), XG_REASM_CONFLICT);
	/* Still judged by what is held, whatever came first. */
	assert_int_equal(ins_bad(&r, isn, 194, 196, 195), XG_REASM_OK);
	xg_reasm_free(&r);
}

static void test_conflict_consumed(void **state)
{
	const uint32_t isn = 0xabcdef;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 256), 0);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	xg_reasm_consume(&r, 100);
	assert_int_equal(ins(&r, isn, 120, 130), XG_REASM_OK);
	snap_take(&r, &s);
	assert_int_equal(ins_bad(&r, isn, 10, 20, 15), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* Consumed part differs, unconsumed part is new: nothing taken. */
	assert_int_equal(ins_bad(&r, isn, 90, 120, 99), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	assert_int_equal(ins(&r, isn, 10, 20), XG_REASM_OK);
	snap_same(&r, &s);
	assert_int_equal(ins(&r, isn, 90, 120), XG_REASM_OK);
	peek_is(&r, isn, 100, 130);
	xg_reasm_free(&r);
}

static void test_full(void **state)
{
	const uint32_t isn = 1;
	struct xg_reasm r;
	struct snap s;

	/* cap bytes unconsumed fit, one more does not. */
	assert_int_equal(xg_reasm_init(&r, isn, 128), 0);
	assert_int_equal(ins(&r, isn, 0, 128), XG_REASM_OK);
	assert_int_equal(xg_reasm_held(&r), 128);
	snap_take(&r, &s);
	assert_int_equal(ins(&r, isn, 128, 129), XG_REASM_FULL);
	assert_int_equal(ins(&r, isn, 100, 129), XG_REASM_FULL);
	snap_same(&r, &s);
	/* Consuming makes room: the window slides. */
	xg_reasm_consume(&r, 1);
	assert_int_equal(ins(&r, isn, 128, 129), XG_REASM_OK);
	peek_is(&r, isn, 1, 129);
	assert_int_equal(xg_reasm_held(&r), 128);
	assert_int_equal(ins(&r, isn, 129, 130), XG_REASM_FULL);
	xg_reasm_free(&r);

	/* The bound is on the span from read, holes included; a segment
	 * that does not fit is rejected whole. */
	assert_int_equal(xg_reasm_init(&r, isn, 128), 0);
	assert_int_equal(ins(&r, isn, 127, 128), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 128, 129), XG_REASM_FULL);
	assert_int_equal(ins(&r, isn, 100, 200), XG_REASM_FULL);
	assert_int_equal(xg_reasm_held(&r), 1);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 128);
	assert_int_equal(ins(&r, isn, 0, 127), XG_REASM_OK);
	peek_is(&r, isn, 0, 128);
	/* A segment bigger than the window. */
	assert_int_equal(ins(&r, isn, 0, 300), XG_REASM_FULL);
	/* Far ahead in sequence space (just under 2^31). */
	assert_int_equal(xg_reasm_insert(&r, isn + 0x7ffffff0u, S, 4),
			 XG_REASM_FULL);
	peek_is(&r, isn, 0, 128);
	xg_reasm_free(&r);
}

static void test_forget_then_old(void **state)
{
	const uint32_t isn = 1000;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 64), 0);
	assert_int_equal(ins(&r, isn, 0, 64), XG_REASM_OK);
	/* Unconsumed bytes are never forgotten. */
	assert_int_equal(ins(&r, isn, 64, 65), XG_REASM_FULL);
	xg_reasm_consume(&r, 64);
	/* Consumed bytes are: they never refuse a segment. */
	assert_int_equal(ins(&r, isn, 64, 128), XG_REASM_OK);
	peek_is(&r, isn, 64, 128);
	assert_int_equal(xg_reasm_base_seq(&r), isn + 64);
	assert_int_equal(r.compactions, 1);
	snap_take(&r, &s);
	assert_int_equal(ins(&r, isn, 0, 10), XG_REASM_OLD);
	assert_int_equal(ins(&r, isn, 0, 64), XG_REASM_OLD);
	assert_int_equal(ins_bad(&r, isn, 0, 64, 63), XG_REASM_OLD);
	/* Far behind in sequence space (2^31 before). */
	assert_int_equal(xg_reasm_insert(&r, isn + 64 - 0x80000000u, S, 64),
			 XG_REASM_OLD);
	snap_same(&r, &s);
	/* The first remembered byte is still compared. */
	assert_int_equal(ins_bad(&r, isn, 0, 65, 64), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	xg_reasm_free(&r);
}

static void test_straddle(void **state)
{
	const uint32_t isn = 3000;
	struct xg_reasm r;
	struct snap s;

	assert_int_equal(xg_reasm_init(&r, isn, 64), 0);
	assert_int_equal(ins(&r, isn, 0, 64), XG_REASM_OK);
	xg_reasm_consume(&r, 64);
	assert_int_equal(ins(&r, isn, 64, 100), XG_REASM_OK);
	assert_int_equal(xg_reasm_base_seq(&r), isn + 64);
	xg_reasm_consume(&r, 10);
	snap_take(&r, &s);
	/* Identical: nothing new. */
	assert_int_equal(ins(&r, isn, 50, 80), XG_REASM_OK);
	snap_same(&r, &s);
	/* Differs before base, where it cannot be compared: taken. */
	assert_int_equal(ins_bad(&r, isn, 50, 80, 63), XG_REASM_OK);
	snap_same(&r, &s);
	/* Differs in remembered (consumed) bytes, or unconsumed ones. */
	assert_int_equal(ins_bad(&r, isn, 50, 80, 64), XG_REASM_CONFLICT);
	assert_int_equal(ins_bad(&r, isn, 50, 80, 79), XG_REASM_CONFLICT);
	assert_int_equal(ins_bad(&r, isn, 50, 110, 99), XG_REASM_CONFLICT);
	snap_same(&r, &s);
	/* The rest is taken. */
	assert_int_equal(ins(&r, isn, 40, 110), XG_REASM_OK);
	peek_is(&r, isn, 74, 110);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 110);
	/* Straddling, but ending past read + cap: FULL. */
	assert_int_equal(ins(&r, isn, 40, 74 + 65), XG_REASM_FULL);
	assert_int_equal(ins(&r, isn, 40, 74 + 64), XG_REASM_OK);
	peek_is(&r, isn, 74, 138);
	xg_reasm_free(&r);
}

/* A stream that crosses 2^32: pairs of segments swapped, everything
 * consumed as soon as it is in order. */
static void test_wraparound(void **state)
{
	const uint32_t isn = 0xffffff00u;
	const size_t total = 4096, seg = 100;
	struct xg_reasm r;
	size_t done = 0;
	int crossed = 0;

	assert_int_equal(xg_reasm_init(&r, isn, 512), 0);
	for (size_t at = 0; at < total; at += 2 * seg) {
		size_t a = at, b = at + seg, c = at + 2 * seg;
		const uint8_t *p;
		size_t n;

		if (c > total)
			c = total;
		if (b > total)
			b = total;
		assert_int_equal(ins(&r, isn, b, c), XG_REASM_OK);
		peek_is(&r, isn, done, done);
		assert_int_equal(ins(&r, isn, a, b), XG_REASM_OK);
		n = xg_reasm_peek(&r, &p);
		assert_int_equal(n, c - done);
		assert_memory_equal(p, S + done, n);
		assert_int_equal(xg_reasm_end_seq(&r), (uint32_t)(isn + c));
		xg_reasm_consume(&r, n);
		done += n;
		crossed |= xg_reasm_read_seq(&r) < isn;
	}
	assert_true(crossed);
	assert_int_equal(xg_reasm_read_seq(&r), (uint32_t)(isn + total));
	assert_true(r.compactions > 0);
	/* Numerically larger, but 4 KiB before in serial terms. */
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OLD);
	/* Remembered bytes, past 2^32, are still compared. */
	assert_int_equal(xg_reasm_base_seq(&r) < isn, 1);
	assert_int_equal(ins(&r, isn, total - 300, total), XG_REASM_OK);
	assert_int_equal(ins_bad(&r, isn, total - 300, total, total - 2),
			 XG_REASM_CONFLICT);
	peek_is(&r, isn, total, total);
	xg_reasm_free(&r);

	/* The window itself across 2^32, holes on both sides of it. */
	assert_int_equal(xg_reasm_init(&r, 0xfffffff0u, 64), 0);
	assert_int_equal(ins(&r, 0xfffffff0u, 20, 30), XG_REASM_OK);
	assert_int_equal(xg_reasm_end_seq(&r), 14);
	assert_int_equal(ins(&r, 0xfffffff0u, 5, 10), XG_REASM_OK);
	assert_int_equal(ins(&r, 0xfffffff0u, 0, 5), XG_REASM_OK);
	peek_is(&r, 0xfffffff0u, 0, 10);
	assert_int_equal(ins(&r, 0xfffffff0u, 10, 20), XG_REASM_OK);
	peek_is(&r, 0xfffffff0u, 0, 30);
	assert_int_equal(ins_bad(&r, 0xfffffff0u, 14, 18, 16),
			 XG_REASM_CONFLICT);
	xg_reasm_free(&r);
}

static void test_peek_after_compaction(void **state)
{
	const uint32_t isn = 0x55555555;
	struct xg_reasm r;

	/* Less than half unconsumed: consumed bytes are kept back to
	 * need - cap/2. */
	assert_int_equal(xg_reasm_init(&r, isn, 100), 0);
	assert_int_equal(ins(&r, isn, 0, 90), XG_REASM_OK);
	xg_reasm_consume(&r, 90);
	assert_int_equal(ins(&r, isn, 90, 105), XG_REASM_OK);
	assert_int_equal(r.compactions, 1);
	assert_int_equal(xg_reasm_base_seq(&r), isn + 55);
	peek_is(&r, isn, 90, 105);
	assert_int_equal(xg_reasm_held(&r), 15);
	/* Remembered: compared.  Forgotten: not. */
	assert_int_equal(ins_bad(&r, isn, 50, 60, 57), XG_REASM_CONFLICT);
	assert_int_equal(ins_bad(&r, isn, 50, 60, 52), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 105, 150), XG_REASM_OK);
	peek_is(&r, isn, 90, 150);
	assert_int_equal(r.compactions, 1);
	xg_reasm_free(&r);

	/* More than half unconsumed, with holes: base goes to read, the
	 * bytes after the holes move with their presence bits. */
	assert_int_equal(xg_reasm_init(&r, isn, 100), 0);
	assert_int_equal(ins(&r, isn, 0, 100), XG_REASM_OK);
	xg_reasm_consume(&r, 60);
	assert_int_equal(ins(&r, isn, 130, 150), XG_REASM_OK);
	assert_int_equal(r.compactions, 1);
	assert_int_equal(xg_reasm_base_seq(&r), isn + 60);
	peek_is(&r, isn, 60, 100);
	assert_int_equal(xg_reasm_held(&r), 60);
	assert_int_equal(xg_reasm_end_seq(&r), isn + 150);
	assert_int_equal(ins(&r, isn, 100, 130), XG_REASM_OK);
	peek_is(&r, isn, 60, 150);
	assert_int_equal(ins_bad(&r, isn, 135, 136, 135), XG_REASM_CONFLICT);
	xg_reasm_consume(&r, 90);
	assert_int_equal(ins(&r, isn, 150, 250), XG_REASM_OK);
	assert_int_equal(r.compactions, 2);
	peek_is(&r, isn, 150, 250);
	xg_reasm_free(&r);

	/* Bit-level: shifts that are not multiples of 64 keep holes where
	 * they were. */
	assert_int_equal(xg_reasm_init(&r, isn, 200), 0);
	assert_int_equal(ins(&r, isn, 0, 37), XG_REASM_OK);
	xg_reasm_consume(&r, 37);
	for (size_t i = 40; i < 230; i += 3)
		assert_int_equal(ins(&r, isn, i, i + 1), XG_REASM_OK);
	assert_int_equal(xg_reasm_base_seq(&r), isn + 37);
	assert_int_equal(xg_reasm_held(&r), (230 - 40) / 3 + 1);
	for (size_t i = 37; i < 230; i++)
		if (i < 40 || (i - 40) % 3)
			assert_int_equal(ins(&r, isn, i, i + 1), XG_REASM_OK);
	peek_is(&r, isn, 37, 230);
	xg_reasm_free(&r);
}

static void test_consume_clamp(void **state)
{
	const uint32_t isn = 42;
	struct xg_reasm r;

	assert_int_equal(xg_reasm_init(&r, isn, 64), 0);
	assert_int_equal(ins(&r, isn, 0, 10), XG_REASM_OK);
	assert_int_equal(ins(&r, isn, 20, 30), XG_REASM_OK);
	xg_reasm_consume(&r, 25);
	peek_is(&r, isn, 10, 10);
	assert_int_equal(xg_reasm_held(&r), 10);
	xg_reasm_consume(&r, 1);
	peek_is(&r, isn, 10, 10);
	assert_int_equal(ins(&r, isn, 10, 20), XG_REASM_OK);
	peek_is(&r, isn, 10, 30);
	xg_reasm_free(&r);
}

/* 1 MiB through a 4 KiB window in MSS-sized segments, a little
 * reordered, consumed as it comes: every byte right, and compaction
 * moves less than a byte per stream byte. */
static void test_long_stream(void **state)
{
	const uint32_t isn = 0xfff00000u;
	const size_t cap = 4096;
	struct xg_reasm r;
	size_t at = 0, done = 0;
	uint32_t x = 1;

	assert_int_equal(xg_reasm_init(&r, isn, cap), 0);
	while (at < SLEN) {
		size_t l1, l2, n;
		const uint8_t *p;

		x = x * 1103515245 + 12345;
		l1 = 1 + (x >> 8) % 1460;
		l2 = 1 + (x >> 20) % 1460;
		if (at + l1 + l2 > SLEN)
			l1 = l2 = (SLEN - at) / 2, l2 = SLEN - at - l1;
		assert_int_equal(ins(&r, isn, at + l1, at + l1 + l2),
				 XG_REASM_OK);
		assert_int_equal(ins(&r, isn, at, at + l1), XG_REASM_OK);
		/* A duplicate now and then. */
		if (x & 1)
			assert_int_equal(ins(&r, isn, at, at + l1 + l2),
					 XG_REASM_OK);
		at += l1 + l2;
		n = xg_reasm_peek(&r, &p);
		assert_int_equal(n, at - done);
		assert_memory_equal(p, S + done, n);
		assert_true(xg_reasm_held(&r) <= cap);
		xg_reasm_consume(&r, n);
		done += n;
	}
	assert_int_equal(xg_reasm_read_seq(&r), (uint32_t)(isn + SLEN));
	assert_true(r.compactions >= SLEN / cap);
	assert_true(r.moved <= SLEN);
	xg_reasm_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_zero_len),
		cmocka_unit_test(test_conflict_unconsumed),
		cmocka_unit_test(test_conflict_consumed),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_forget_then_old),
		cmocka_unit_test(test_straddle),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_peek_after_compaction),
		cmocka_unit_test(test_consume_clamp),
		cmocka_unit_test(test_long_stream),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
