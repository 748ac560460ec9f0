// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bounded TCP byte-stream reassembler: the client->server stream of one
 * flow, in order, for the L7 fast path (which does not terminate TCP; it
 * holds segments until an HTTP request head is there, then forwards them).
 *
 * The reassembler holds a window of the stream, [base, base + cap):
 * bytes before read are consumed (judged by the caller and kept only to
 * compare retransmissions with), bytes from read on are unconsumed and
 * may have any number of holes.  A segment is taken only if every byte
 * of it that is already held (consumed or not) is identical: a
 * retransmission that carries different bytes is an evasion attempt and
 * answers XG_REASM_CONFLICT.  Sequence numbers are 32-bit serial numbers
 * (RFC 1982): a is before b when (int32_t)(a - b) < 0.
 *
 * Memory is one buffer of cap bytes and a presence bitmap of cap bits,
 * both allocated by xg_reasm_init(); nothing else is ever allocated.
 * The buffer is linear, so xg_reasm_peek() always gives one pointer.
 * buf[0] is the byte at base.  Consumed bytes stay there, to be
 * compared, until a segment would run past the buffer's end; then the
 * window slides ("compaction"): the front is forgotten and what is held
 * is moved down with memmove.  With need one past the highest byte to
 * hold, the new base is need - cap/2, which leaves half the buffer free
 * and keeps the most recent consumed bytes, unless that would forget
 * unconsumed bytes; then it is read.  Cost: in the first case (at most
 * cap/2 unconsumed) a compaction moves at most cap/2 bytes and the next
 * one comes after the stream has grown by cap/2 more: at most one byte
 * moved per stream byte, amortised.  In the second (more than cap/2
 * waiting unconsumed) it moves the unconsumed bytes, at most cap, and
 * the next one needs a consume first: at most one compaction per
 * xg_reasm_consume() call, so a caller that leaves most of the window
 * waiting and consumes it in small steps pays O(cap) per step.  The
 * bitmap moves with the bytes (cap/64 words).  An MSS-sized stream
 * through 4 KiB, consumed as it comes, moves about 0.5 byte per byte.
 *
 * Not thread-safe: one flow's reassembler belongs to one worker.
 */
#ifndef XGATE_FASTPATH_FLOW_REASM_H
#define XGATE_FASTPATH_FLOW_REASM_H

#include <stddef.h>
#include <stdint.h>

/* The largest window: serial-number arithmetic needs the whole window
 * (and the segments around it) well inside half the sequence space. */
#define XG_REASM_CAP_MAX ((size_t)1 << 30)

enum xg_reasm_rc {
	XG_REASM_OK = 0, /* taken (or nothing new: a duplicate) */
	/* Would put unconsumed bytes past read + cap; nothing taken (the
	 * caller drops the packet, TCP retransmits later). */
	XG_REASM_FULL = 1,
	XG_REASM_OLD = 2, /* wholly before base: nothing to compare with */
	/* Differs from bytes already held; nothing taken (reset the flow). */
	XG_REASM_CONFLICT = 3,
};

struct xg_reasm {
	uint8_t *buf;  /* cap bytes; buf[i] is the stream byte at base + i */
	uint64_t *map; /* bit i set: buf[i] held */
	size_t cap;
	uint32_t base; /* seq of buf[0] */
	/* Offsets from base: rd <= nxt <= hi <= cap.  [0, nxt) all held. */
	size_t rd;   /* first unconsumed byte */
	size_t nxt;  /* first hole at or after rd (or hi) */
	size_t hi;   /* one past the highest byte held, >= rd */
	size_t held; /* unconsumed bytes held */
	/* Counters: compactions and the bytes they moved. */
	uint64_t compactions;
	uint64_t moved;
};

/* isn_next: the seq of the first stream byte (the SYN's seq + 1).
 * 0, -EINVAL (cap 0 or over XG_REASM_CAP_MAX) or -ENOMEM. */
int xg_reasm_init(struct xg_reasm *r, uint32_t isn_next, size_t cap);
/* Frees the buffers; r may then be initialised again.  Safe on a zeroed
 * struct and twice. */
void xg_reasm_free(struct xg_reasm *r);

/*
 * Offers the segment [seq, seq + len).  In this order:
 * - len 0: XG_REASM_OK, nothing changes;
 * - wholly before base: XG_REASM_OLD;
 * - any byte held (consumed or not) differs: XG_REASM_CONFLICT;
 * - it ends past read + cap (len > INT32_MAX counts as that):
 *   XG_REASM_FULL;
 * - else XG_REASM_OK: the part before base (if any) is dropped
 *   unchecked, the rest taken.  O(len) plus compaction (see above).
 * On every rc but OK, nothing changes.
 */
int xg_reasm_insert(struct xg_reasm *r, uint32_t seq, const void *data,
		    size_t len);

/* The contiguous unconsumed bytes from read (up to the first hole): *p
 * and the count.  *p stays valid until the next insert or consume. */
size_t xg_reasm_peek(const struct xg_reasm *r, const uint8_t **p);
/* Marks the first n peeked bytes consumed; n is capped to what peek
 * gives.  O(1): consumed bytes stay for comparison until room is
 * needed. */
void xg_reasm_consume(struct xg_reasm *r, size_t n);

uint32_t xg_reasm_read_seq(const struct xg_reasm *r); /* first unconsumed */
/* One past the highest byte held (in order or not); read when none. */
uint32_t xg_reasm_end_seq(const struct xg_reasm *r);
/* The oldest byte remembered (consumed bytes before it are forgotten). */
uint32_t xg_reasm_base_seq(const struct xg_reasm *r);
size_t xg_reasm_held(const struct xg_reasm *r); /* unconsumed bytes held */
/* Bytes allocated: cap plus the bitmap; fixed from init on. */
size_t xg_reasm_mem(const struct xg_reasm *r);

#endif /* XGATE_FASTPATH_FLOW_REASM_H */
