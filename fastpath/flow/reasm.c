// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bounded TCP byte-stream reassembler: a linear buffer of cap bytes with
 * a presence bitmap, compacted by memmove when the window slides.  The
 * contract and the costs are in reasm.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath/flow/reasm.h"

#define WBITS 64

static size_t map_words(size_t cap)
{
	return (cap + WBITS - 1) / WBITS;
}

/* Mask of bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(size_t lo, size_t hi)
{
	uint64_t m = hi == WBITS ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1;

	return m & ~(((uint64_t)1 << lo) - 1);
}

/* First bit in [from, to) that is set (want 1) or clear (want 0); to
 * when there is none. */
static size_t map_find(const uint64_t *map, size_t from, size_t to, int want)
{
	size_t i = from / WBITS;
	uint64_t w;

	if (from >= to)
		return to;
	w = want ? map[i] : ~map[i];
	w &= ~(((uint64_t)1 << (from % WBITS)) - 1);
	for (;;) {
		if (w) {
			size_t b = i * WBITS + (size_t)__builtin_ctzll(w);

			return b < to ? b : to;
		}
		if (++i * WBITS >= to)
			return to;
		w = want ? map[i] : ~map[i];
	}
}

/* Sets bits [lo, hi); returns how many were clear. */
static size_t map_set(uint64_t *map, size_t lo, size_t hi)
{
	size_t fresh = 0;

	while (lo < hi) {
		size_t i = lo / WBITS, b = lo % WBITS;
		size_t e = hi - i * WBITS < WBITS ? hi - i * WBITS : WBITS;
		uint64_t m = word_mask(b, e);

		fresh += (size_t)__builtin_popcountll(m & ~map[i]);
		map[i] |= m;
		lo = i * WBITS + e;
	}
	return fresh;
}

/* Moves the bitmap down by sh bits: bit i takes bit i + sh, for the
 * words that hold bits [0, n); bits >= n must be clear, and the top sh
 * bits below n become clear. */
static void map_shift_down(uint64_t *map, size_t n, size_t sh)
{
	size_t nw = (n + WBITS - 1) / WBITS, ws = sh / WBITS, bs = sh % WBITS;

	for (size_t i = 0; i < nw; i++) {
		uint64_t lo = i + ws < nw ? map[i + ws] : 0;
		uint64_t hi = i + ws + 1 < nw ? map[i + ws + 1] : 0;

		map[i] = bs ? (lo >> bs) | (hi << (WBITS - bs)) : lo;
	}
}

int xg_reasm_init(struct xg_reasm *r, uint32_t isn_next, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (!cap || cap > XG_REASM_CAP_MAX)
		return -EINVAL;
	r->buf = malloc(cap);
	r->map = calloc(map_words(cap), sizeof(*r->map));
	if (!r->buf || !r->map) {
		xg_reasm_free(r);
		return -ENOMEM;
	}
	r->cap = cap;
	r->base = isn_next;
	return 0;
}

void xg_reasm_free(struct xg_reasm *r)
{
	free(r->buf);
	free(r->map);
	memset(r, 0, sizeof(*r));
}

/* 1 when a held byte in [lo, hi) (offsets, hi <= r->hi) differs from
 * data, which starts at offset lo. */
static int conflicts(const struct xg_reasm *r, size_t lo, size_t hi,
		     const uint8_t *data)
{
	size_t p = map_find(r->map, lo, hi, 1);

	while (p < hi) {
		size_t q = map_find(r->map, p, hi, 0);

		if (memcmp(r->buf + p, data + (p - lo), q - p))
			return 1;
		p = map_find(r->map, q, hi, 1);
	}
	return 0;
}

/* Slides the window so that offset need (> cap, <= rd + cap) fits; see
 * reasm.h for the choice of the new base and its cost.  Returns how far
 * base moved. */
static size_t compact(struct xg_reasm *r, size_t need)
{
	size_t half = r->cap / 2;
	size_t nb = r->rd + half >= need ? need - half : r->rd;

	/* rd >= nb; nb > 0 as need > cap. */
	memmove(r->buf, r->buf + nb, r->hi - nb);
	map_shift_down(r->map, r->hi, nb);
	r->base += (uint32_t)nb;
	r->rd -= nb;
	r->nxt -= nb;
	r->hi -= nb;
	r->compactions++;
	r->moved += r->hi;
	return nb;
}

int xg_reasm_insert(struct xg_reasm *r, uint32_t seq, const void *data,
		    size_t len)
{
	const uint8_t *d = data;
	int64_t off, end;
	size_t s, e;

	if (!len)
		return XG_REASM_OK;
	if (len > INT32_MAX)
		return XG_REASM_FULL;
	off = (int32_t)(seq - r->base);
	end = off + (int64_t)len;
	if (end <= 0)
		return XG_REASM_OLD;
	/* The part before base cannot be compared: it is dropped. */
	if (off < 0) {
		d += -off;
		off = 0;
	}
	s = (size_t)off;
	if (s < r->hi &&
	    conflicts(r, s, (size_t)end < r->hi ? (size_t)end : r->hi, d))
		return XG_REASM_CONFLICT;
	if (end > (int64_t)(r->rd + r->cap))
		return XG_REASM_FULL;
	e = (size_t)end;
	if (e > r->cap) {
		size_t sh = compact(r, e > r->hi ? e : r->hi);

		e -= sh;
		/* Bytes of the segment now forgotten were compared equal. */
		if (s < sh) {
			d += sh - s;
			s = 0;
		} else {
			s -= sh;
		}
	}
	/* Overlapping held bytes are equal: copying over them is harmless. */
	memcpy(r->buf + s, d, e - s);
	r->held += map_set(r->map, s, e);
	if (e > r->hi)
		r->hi = e;
	if (s <= r->nxt && e > r->nxt)
		r->nxt = map_find(r->map, e, r->hi, 0);
	return XG_REASM_OK;
}

size_t xg_reasm_peek(const struct xg_reasm *r, const uint8_t **p)
{
	*p = r->buf ? r->buf + r->rd : NULL;
	return r->nxt - r->rd;
}

void xg_reasm_consume(struct xg_reasm *r, size_t n)
{
	if (n > r->nxt - r->rd)
		n = r->nxt - r->rd;
	r->rd += n;
	r->held -= n;
}

uint32_t xg_reasm_read_seq(const struct xg_reasm *r)
{
	return r->base + (uint32_t)r->rd;
}

uint32_t xg_reasm_end_seq(const struct xg_reasm *r)
{
	return r->base + (uint32_t)r->hi;
}

uint32_t xg_reasm_base_seq(const struct xg_reasm *r)
{
	return r->base;
}

size_t xg_reasm_held(const struct xg_reasm *r)
{
	return r->held;
}

size_t xg_reasm_mem(const struct xg_reasm *r)
{
	return r->buf ? r->cap + map_words(r->cap) * sizeof(*r->map) : 0;
}
