// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the TCP byte-stream reassembler
 * (fastpath/flow/reasm.c).  The input is a script: a header (initial
 * sequence number, window size, stream seed) and operations: insert a
 * slice of the reference stream near the window, insert one with a byte
 * altered, insert far away in sequence space (either side, up to 2^31),
 * retransmit remembered bytes, insert in order, consume part or all.
 *
 * A simple model runs beside it: one flag and one byte per stream
 * position.  Where the reassembler may choose (how far base moves when
 * the window slides), the model reads the choice and checks that it is
 * allowed: base never goes back or past read, moves only for a segment
 * that needed room, and then makes room.  Checked after every operation:
 * the return code is the model's (OLD when wholly before base, CONFLICT
 * exactly when some byte differs from a byte held, consumed or not, FULL
 * when it ends past read + cap, else OK), read, end and the count of
 * unconsumed bytes agree, peek gives the model's contiguous bytes (and
 * so the reference stream as long as no altered byte was taken), the
 * window stays within cap bytes, and insert, peek and consume allocate
 * nothing.
 */
#include <sanitizer/allocator_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath/flow/reasm.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

#define CAP_MAX 4096
#define MAXS (1 << 20) /* model positions: stream offsets [0, MAXS) */

static uint8_t val[MAXS];  /* byte held at each position */
static uint8_t pres[MAXS]; /* 1: held */
static uint8_t seg[CAP_MAX * 2 + 512];

static struct {
	uint32_t isn, seed;
	size_t cap;
	int64_t base, rd, hi; /* stream offsets from isn */
	size_t held;
	int altered; /* an altered byte was taken */
} m;

static volatile int counting;
static volatile size_t allocs;

static void malloc_hook(const volatile void *p, size_t size)
{
	if (counting)
		allocs++;
}

static void free_hook(const volatile void *p)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
	return 0;
}

struct in {
	const uint8_t *p;
	size_t n;
};

static uint32_t get(struct in *in, int bytes)
{
	uint32_t v = 0;

	while (bytes--) {
		v <<= 8;
		if (in->n) {
			v |= *in->p++;
			in->n--;
		}
	}
	return v;
}

/* The reference stream, for any offset (negative ones too). */
static uint8_t ref(int64_t pos)
{
	uint64_t x = (uint64_t)pos * 0x9e3779b97f4a7c15ull + m.seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(x >> 32);
}

static int64_t model_nxt(void)
{
	int64_t p = m.rd;

	while (p < m.hi && pres[p])
		p++;
	return p;
}

static int model_insert(int64_t pos, const uint8_t *d, size_t len)
{
	int64_t lo, end = pos + (int64_t)len;

	if (!len)
		return XG_REASM_OK;
	if (end <= m.base)
		return XG_REASM_OLD;
	lo = pos > m.base ? pos : m.base;
	for (int64_t p = lo; p < end && p < m.hi; p++)
		if (pres[p] && val[p] != d[p - pos])
			return XG_REASM_CONFLICT;
	if (end > m.rd + (int64_t)m.cap)
		return XG_REASM_FULL;
	for (int64_t p = lo; p < end; p++) {
		if (!pres[p]) {
			pres[p] = 1;
			val[p] = d[p - pos];
			m.held++;
			m.altered |= d[p - pos] != ref(p);
		}
	}
	if (end > m.hi)
		m.hi = end;
	return XG_REASM_OK;
}

static void check_state(const struct xg_reasm *r, size_t mem)
{
	int64_t nxt = model_nxt();
	const uint8_t *p;
	size_t n;

	counting = 1;
	n = xg_reasm_peek(r, &p);
	counting = 0;
	CHECK(xg_reasm_read_seq(r) == (uint32_t)(m.isn + m.rd));
	CHECK(xg_reasm_end_seq(r) == (uint32_t)(m.isn + m.hi));
	CHECK(xg_reasm_base_seq(r) == (uint32_t)(m.isn + m.base));
	CHECK(xg_reasm_held(r) == m.held);
	CHECK(m.held <= m.cap);
	CHECK(m.hi - m.base <= (int64_t)m.cap);
	CHECK(xg_reasm_mem(r) == mem);
	CHECK(n == (size_t)(nxt - m.rd));
	if (!n)
		return;
	CHECK(p != NULL);
	CHECK(!memcmp(p, val + m.rd, n));
	if (!m.altered)
		for (size_t i = 0; i < n; i++)
			CHECK(p[i] == ref(m.rd + (int64_t)i));
}

/* Offers [pos, pos + len) of the reference stream, with the byte at
 * index alt flipped by mask when mask is not 0. */
static void op_insert(struct xg_reasm *r, int64_t pos, size_t len, size_t alt,
		      uint8_t mask)
{
	int64_t end = pos + (int64_t)len, base;
	int rc, want;

	for (size_t i = 0; i < len; i++)
		seg[i] = ref(pos + (int64_t)i);
	if (len && mask)
		seg[alt % len] ^= mask;
	want = model_insert(pos, seg, len);
	counting = 1;
	rc = xg_reasm_insert(r, (uint32_t)(m.isn + pos), seg, len);
	counting = 0;
	CHECK(rc == want);
	CHECK(allocs == 0);

	/* The reassembler's choice of base, checked. */
	base = m.base +
	       (int32_t)(xg_reasm_base_seq(r) - (uint32_t)(m.isn + m.base));
	CHECK(base >= m.base);
	CHECK(base <= m.rd);
	if (base != m.base) {
		CHECK(rc == XG_REASM_OK);
		CHECK(end > m.base + (int64_t)m.cap);
	}
	for (int64_t p = m.base; p < base; p++)
		pres[p] = 0;
	m.base = base;
}

static void op_consume(struct xg_reasm *r, size_t n)
{
	size_t avail = (size_t)(model_nxt() - m.rd);

	counting = 1;
	xg_reasm_consume(r, n);
	counting = 0;
	CHECK(allocs == 0);
	if (n > avail)
		n = avail;
	m.rd += (int64_t)n;
	m.held -= n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in;
	struct xg_reasm r;
	uint32_t capsel;
	size_t mem;

	in.p = data;
	in.n = size;
	memset(&m, 0, sizeof(m));
	m.isn = get(&in, 4);
	capsel = get(&in, 2);
	m.cap = capsel & 0x8000 ? 1 + capsel % 64 : 1 + capsel % CAP_MAX;
	m.seed = get(&in, 1);
	CHECK(xg_reasm_init(&r, m.isn, m.cap) == 0);
	mem = xg_reasm_mem(&r);
	CHECK(mem >= m.cap && mem <= m.cap + m.cap / 8 + 8);
	allocs = 0;
	check_state(&r, mem);

	while (in.n && m.rd + 4 * (int64_t)m.cap + 512 < MAXS) {
		uint32_t op = get(&in, 1), a, b;
		int64_t pos;
		size_t len;

		switch (op % 8) {
		case 0:
		case 1: /* near the window, as sent */
		case 2: /* the same with one byte altered */
			a = get(&in, 2);
			b = get(&in, 2);
			pos = m.base - 16 + a % (2 * m.cap + 48);
			len = b % (m.cap + 16);
			op_insert(&r, pos, len, get(&in, 1),
				  op % 8 == 2 ? get(&in, 1) | 1 : 0);
			break;
		case 3: /* in order, at the first hole */
			len = 1 + get(&in, 2) % (m.cap / 2 + 1);
			op_insert(&r, model_nxt(), len, 0, 0);
			break;
		case 4: { /* consume part of what peek gives */
			const uint8_t *p;
			size_t n = xg_reasm_peek(&r, &p);

			op_consume(&r, n * get(&in, 1) / 255);
			break;
		}
		case 5: /* consume everything, or more than there is */
			op_consume(&r, op & 0x80 ? SIZE_MAX : m.cap);
			break;
		case 6: /* far away in sequence space, either side */
			pos = m.base + (int32_t)get(&in, 4);
			len = get(&in, 1);
			op_insert(&r, pos, len, op >> 3, op & 0x80 ? 0x20 : 0);
			break;
		case 7: /* a retransmission around what is remembered */
			a = get(&in, 2);
			b = get(&in, 1);
			pos = m.base - 4 + a % (m.hi - m.base + 8);
			op_insert(&r, pos, 1 + b % 64, get(&in, 1),
				  op & 0x80 ? 0x01 : 0);
			break;
		}
		check_state(&r, mem);
	}
	xg_reasm_free(&r);
	/* Leave the model clean for the next input: positions before base
	 * were cleared as they were forgotten. */
	memset(pres + m.base, 0, (size_t)(m.hi - m.base));
	return 0;
}
