/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What xgate-pktgen's userspace and its XDP frame writer share: the
 * load-time configuration (.rodata) and the run-time state (.bss).
 */
#ifndef XGATE_PKTGEN_H
#define XGATE_PKTGEN_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Header bytes rewritten on every packet, in u64 words.  Ethernet + IPv6 +
 * TCP is 74 bytes, the longest head we build.
 */
#ifndef PG_TMPL_WORDS
#define PG_TMPL_WORDS 10
#endif

/* Bytes of the head past the last whole word (at most 7). */
#define PG_TAIL_MAX 8

enum pg_flags {
	PG_F_IPV6 = 1 << 0,
	PG_F_TCP = 1 << 1,
};

/* Load-time settings of the frame writer.  Addresses and ports are host
 * order; the *_be fields are the template's values as they sit in the
 * frame, the base the checksums were computed with.
 */
struct pg_cfg {
	__u64 tmpl[PG_TMPL_WORDS];	/* the frame's first bytes */
	__u8 tail[PG_TAIL_MAX];		/* head bytes after tmpl_words */
	__u32 tmpl_words;		/* whole words of tmpl to write */
	__u32 tail_len;			/* bytes of tail to write */
	__u32 flags;			/* enum pg_flags */
	__u32 nr_flows;			/* distinct (src addr, src port) pairs */
	__u32 nr_addrs;			/* source addresses cycled through */
	__u32 nr_ports;			/* source ports cycled through */
	__u32 addr_base;		/* first source address (IPv6: low 32 bits) */
	__u32 addr_base_be;
	__u16 port_base;		/* first source port */
	__u16 port_base_be;
	__u32 pad;
	/* Pacing (--rate): the gap between packets and the largest catch-up
	 * after a stall, both in 1/PG_PACE_SCALE ns; gap 0 = no pacing.
	 */
	__u64 gap;
	__u64 burst;
};

#define PG_PACE_SHIFT 4
#define PG_PACE_SCALE (1 << PG_PACE_SHIFT)

/* Run-time state: position in the flow cycle (the next packet uses it)
 * and, when pacing, the schedule and what was sent.
 */
struct pg_state {
	__u32 idx;	/* 0 .. nr_flows - 1 */
	__u32 addr;	/* 0 .. nr_addrs - 1 */
	__u32 port;	/* 0 .. nr_ports - 1 */
	__u32 pad;
	__u64 next;	/* pacing: when the next packet is due, ns << PG_PACE_SHIFT */
	__u64 quota;	/* pacing: packets still allowed */
	__u64 sent;	/* pacing: packets sent */
};

#endif /* XGATE_PKTGEN_H */
