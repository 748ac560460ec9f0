/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Accounting: per-CPU counters per verdict and per drop reason, and
 * sampled events on the ring buffer for `xgatectl monitor`.  Events go
 * through a per-CPU token bucket (xg_cfg.events_per_sec) so that a flood
 * costs a counter increment, not a ring-buffer write per packet.
 */
#ifndef XGATE_XDP_DROP_H
#define XGATE_XDP_DROP_H

#include "parse.h"
#include "maps.h"

XG_INLINE void xg_count(void *map, __u32 idx, __u32 len)
{
	struct xg_counter *c = xg_map_lookup(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

XG_INLINE int xg_event_allowed(__u64 now)
{
	__u32 zero = 0;
	struct xg_evrate *r;
	__u64 rate = xg_cfg.events_per_sec, elapsed;

	if (!rate)
		return 0;
	r = xg_map_lookup(&xg_evrate, &zero);
	if (!r)
		return 0;
	elapsed = now - r->last_ns;
	if (elapsed >= 1000000000ull) {
		r->tokens = rate;
		r->last_ns = now;
	} else {
		__u64 add = elapsed * rate / 1000000000ull;

		if (add) {
			r->tokens += add;
			if (r->tokens > rate)
				r->tokens = rate;
			r->last_ns = now;
		}
	}
	if (!r->tokens)
		return 0;
	r->tokens--;
	return 1;
}

/* What an event says beyond the packet itself. */
struct xg_ev_info {
	__u64 now;
	__u32 src_id, dst_id, cookie, rev;
	__u16 reason;
	__u8 type, verdict;
};

/* A subprogram: events are rare, and the record is big for the stack of
 * the packet path.  (BPF calls take five arguments: hence ev.) */
XG_NOINLINE void xg_emit(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			 const struct xg_ev_info *ei)
{
	struct xg_event ev;

	/* Ask the rate limit first: building the event reads the precise
	 * clock, which costs more than everything else a drop does. */
	if (!xg_event_allowed(ei->now))
		return;
	ev = (struct xg_event){
		.ts_ns = xg_ktime_ns(), /* precise: events are rare */
		.type = ei->type,
		.verdict = ei->verdict,
		.reason = ei->reason,
		.family = pkt->family,
		.proto = pkt->proto,
		.sport = pkt->sport,
		.dport = pkt->dport,
		.ifindex = xg_ifindex(ctx),
		.src_identity = ei->src_id,
		.dst_identity = ei->dst_id,
		.cookie = ei->cookie,
		.policy_rev = ei->rev,
		.pkt_len = pkt->len,
	};
	__builtin_memcpy(ev.saddr, pkt->saddr, 16);
	__builtin_memcpy(ev.daddr, pkt->daddr, 16);
	xg_ringbuf_output(&xg_events, &ev, sizeof(ev));
}

#endif /* XGATE_XDP_DROP_H */
