/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One packet's way through the datapath (DESIGN.md, "Data flow"):
 * parse -> fragments -> [service LB: issue 3] -> conntrack -> identity ->
 * policy -> verdict.  One exit: every path sets `act`, `verdict` and, for
 * drops, `reason`, then falls through to the accounting at `out`.
 */
#ifndef XGATE_XDP_PIPELINE_H
#define XGATE_XDP_PIPELINE_H

#include "parse.h"
#include "frag.h"
#include "ipcache.h"
#include "policy.h"
#include "ct.h"
#include "drop.h"
#include "redirect.h"
#include "lb.h"
#include "reply.h"
#include "icmp_err.h"
#include "vcache.h"

XG_INLINE int xg_is_icmp6_nd(const struct xg_pkt *pkt)
{
	return pkt->proto == XG_IPPROTO_ICMPV6 &&
	       pkt->icmp_type >= XG_ICMPV6_ND_FIRST &&
	       pkt->icmp_type <= XG_ICMPV6_ND_LAST;
}

XG_INLINE __u32 xg_policy_rev(void)
{
	__u32 zero = 0;
	struct xg_runtime *rt = xg_map_lookup(&xg_runtime, &zero);

	return rt ? rt->policy_rev : 0;
}

/* Judge a flow in its original direction: identities, then policy.  A
 * subprogram: only new flows and re-checks come here, and its LPM keys
 * would otherwise sit in the packet path's stack frame. */
XG_NOINLINE void xg_judge(struct xg_judgment *j)
{
	j->src_id = xg_identity_of(j->src, j->family);
	j->dst_id = xg_identity_of(j->dst, j->family);
	xg_policy_check(j->src_id, j->dst_id, j->proto, j->port, &j->vi);
}

/* xg_judge through the verdict cache, for re-checks: a revision bump
 * re-judges every established flow, most of them between pairs already
 * judged under the new revision. */
XG_INLINE void xg_judge_cached(struct xg_judgment *j, __u32 rev)
{
	if (xg_vcache_probe(j, rev))
		return;
	xg_judge(j);
	xg_vcache_fill(j, rev);
}

XG_INLINE int xg_deny_valid(const struct xg_deny_entry *d, __u32 rev, __u64 now,
			    int swapped)
{
	return d->policy_rev == rev && d->expires_ns > now &&
	       d->swapped == (__u16)swapped;
}

XG_INLINE int xg_process(xg_ctx_t *ctx)
{
	struct xg_pkt pkt = {};
	struct xg_flow_key key = {};
	struct xg_verdict_info vi = {};
	struct xg_ct_entry *ce;
	struct xg_deny_entry *de;
	struct xg_hot_deny *hot;
	__u32 zero = 0;
	__u32 src_id = 0, dst_id = 0, rev = 0, revnat = 0;
	__u64 now = xg_ktime_coarse_ns();
	__u16 reason = XG_DROP_NONE;
	__u8 verdict = XG_VERDICT_PASS;
	int act = XDP_PASS, swapped, is_reply, to_l7 = 0, admitted = 0, vhit;

	reason = (__u16)xg_parse(ctx, &pkt);
	if (reason != XG_DROP_NONE)
		goto drop;
	if (!pkt.family)
		goto out; /* ARP, LLDP, ...: not ours to judge */
	if (xg_is_icmp6_nd(&pkt))
		goto out; /* neighbour discovery must work for anything to */

	if (pkt.frag != XG_FRAG_NONE) {
		reason = (__u16)xg_frag_ports(&pkt, now);
		if (reason != XG_DROP_NONE)
			goto drop;
	}

	rev = xg_policy_rev();

	/* An error about a flow we carry follows that flow's verdict (and
	 * its NAT); anything else is judged as ICMP below. */
	if (xg_is_icmp_error(&pkt)) {
		int rel = xg_icmp_related(ctx, &pkt, now, rev);

		if (rel == XG_REL_PASS)
			goto deliver;
		if (rel == XG_REL_DENIED) {
			reason = XG_DROP_RELATED_DENIED;
			goto drop_flow;
		}
	}

	swapped = xg_flow_key_of(&key, &pkt);

	/* A flood of one denied flow ends here, before any hash table.
	 * Safe before the LB step: a slot holds a tuple as policy saw it,
	 * after any DNAT, so a packet still addressed to a VIP cannot match
	 * it; and service changes bump the revision. */
	hot = xg_map_lookup(&xg_hotdeny, &zero);
	if (hot && xg_deny_valid(&hot->deny, rev, now, swapped) &&
	    xg_flow_key_eq(&hot->key, &key)) {
		reason = hot->deny.reason;
		src_id = hot->deny.src_identity;
		dst_id = hot->deny.dst_identity;
		vi.cookie = hot->deny.cookie;
		goto drop_flow;
	}

	/* Step 2, service load balancing: the backend (DNAT'ed) is what
	 * identity and policy see below, and what conntrack keys on. */
	reason = (__u16)xg_lb(ctx, &pkt, &revnat, now);
	if (reason != XG_DROP_NONE)
		goto drop;
	if (revnat)
		swapped = xg_flow_key_of(&key, &pkt);

	ce = xg_map_lookup(&xg_ct, &key);
	if (ce && ce->expires_ns > now) {
		is_reply = swapped != !!(ce->flags & XG_CT_F_SWAPPED);
		if (xg_ct_reopened(ce, &pkt, is_reply))
			goto new_flow;
		if (xg_ct_rev_stale(ce->policy_rev, rev)) {
			/* Policy moved since this flow was admitted: judge
			 * it again, in its original direction, so that a new
			 * deny cuts it.  The entry stays, marked denied, so
			 * the other side's packets are cut too rather than
			 * judged as a new flow of their own. */
			const __u8 *osrc = is_reply ? pkt.daddr : pkt.saddr;
			const __u8 *odst = is_reply ? pkt.saddr : pkt.daddr;
			struct xg_judgment j = {
				.src = osrc, .dst = odst, .family = pkt.family,
				.proto = pkt.proto, .port = ce->policy_port,
			};

			xg_judge_cached(&j, rev);
			src_id = j.src_id;
			dst_id = j.dst_id;
			vi = j.vi;
			ce->policy_rev = rev;
			ce->src_identity = src_id;
			ce->dst_identity = dst_id;
			ce->l7_ruleset = vi.l7_ruleset;
			ce->l7_egress = vi.l7_egress;
			ce->cookie = vi.cookie;
			if (!vi.allowed) {
				ce->flags |= XG_CT_F_DENIED;
				ce->deny_reason = vi.reason;
				ce->expires_ns =
					now + (__u64)xg_cfg.ct_tcp_close_s * XG_NSEC;
			} else {
				ce->flags &= (__u16)~XG_CT_F_DENIED;
			}
			if (vi.l7_ruleset || vi.l7_egress)
				ce->flags |= XG_CT_F_L7;
			else
				ce->flags &= (__u16)~XG_CT_F_L7;
		}
		if (ce->flags & XG_CT_F_DENIED) {
			reason = ce->deny_reason;
			src_id = ce->src_identity;
			dst_id = ce->dst_identity;
			vi.cookie = ce->cookie;
			goto drop_flow;
		}
		xg_ct_touch(ce, &pkt, is_reply, now);
		if (ce->flags & XG_CT_F_L7)
			xg_l7_track(ctx, &pkt, ce, is_reply, now);
		/* Replies of a balanced flow leave with the VIP as source. */
		if (is_reply && ce->revnat_id)
			xg_lb_reverse(ctx, &pkt, ce->revnat_id);
		/* Only the client -> server direction needs the L7 engine;
		 * replies stay in XDP. */
		to_l7 = !is_reply && (ce->flags & XG_CT_F_L7);
		goto deliver;
	}

new_flow:
	{
		struct xg_judgment j = {
			.src = pkt.saddr, .dst = pkt.daddr, .family = pkt.family,
			.proto = pkt.proto, .port = pkt.policy_port,
		};

		vhit = xg_vcache_probe(&j, rev);
		if (!vhit) {
			/* Judged before, but its pair's slot has been taken
			 * since: the deny cache still knows it. */
			de = xg_map_lookup(&xg_denycache, &key);
			if (de && xg_deny_valid(de, rev, now, swapped)) {
				if (hot) {
					hot->key = key;
					hot->deny = *de;
				}
				reason = de->reason;
				src_id = de->src_identity;
				dst_id = de->dst_identity;
				vi.cookie = de->cookie;
				goto drop_flow;
			}
			xg_judge(&j);
			xg_vcache_fill(&j, rev);
		}
		src_id = j.src_id;
		dst_id = j.dst_id;
		vi = j.vi;
	}
	if (!vi.allowed) {
		struct xg_deny_entry nd = {
			.expires_ns = now +
				      (__u64)xg_cfg.deny_cache_s * XG_NSEC,
			.policy_rev = rev,
			.src_identity = src_id,
			.dst_identity = dst_id,
			.cookie = vi.cookie,
			.reason = vi.reason,
			.swapped = (__u16)swapped,
		};

		/* A cache hit needs no deny-cache entry: its slot answers
		 * the next flow of the pair, and a flood of new source
		 * ports must not churn an LRU. */
		if (!vhit)
			xg_map_update(&xg_denycache, &key, &nd, BPF_ANY);
		if (hot) {
			hot->key = key;
			hot->deny = nd;
		}
		reason = vi.reason;
		goto drop_flow;
	}
	to_l7 = vi.l7_ruleset || vi.l7_egress;
	{
		/* The fast path never sees the SYN: conntrack keeps where
		 * the client's stream starts. */
		__s64 sl = to_l7 && (pkt.tcp_flags & (XG_TCP_SYN | XG_TCP_ACK)) ==
						   XG_TCP_SYN ?
				   xg_tcp_seq_len(ctx, &pkt) :
				   -1;

		xg_ct_create(&key, swapped, &pkt, rev, src_id, dst_id,
			     vi.l7_ruleset, vi.cookie, revnat, now,
			     sl >= 0 ? (__u32)sl + 1 : 0, sl >= 0, vi.l7_egress);
	}
	admitted = 1;

deliver:
	/* One place that sends an allowed packet on, so the forward path is
	 * inlined once (its FIB parameters are a big part of the stack). */
	if (to_l7) {
		act = xg_redirect_l7(ctx, &pkt, &key, rev);
		verdict = (__u8)(act >> 8);
		reason = (__u16)(act >> 16);
		act &= 0xff;
	} else {
		act = xg_forward(ctx, &pkt, &verdict);
	}
	if (act == XDP_DROP)
		goto drop_counted;
	if (admitted && xg_cfg.verdict_events) {
		struct xg_ev_info ei = {
			.now = now, .src_id = src_id, .dst_id = dst_id,
			.cookie = vi.cookie, .rev = rev, .type = XG_EV_VERDICT,
			.verdict = verdict,
		};

		xg_emit(ctx, &pkt, &ei);
	}
	goto out;

drop:
	/* Malformed: nothing is known beyond what the parser got to. */
drop_flow:
	verdict = XG_VERDICT_DROP;
	act = XDP_DROP;
drop_counted:
	xg_count(&xg_drops, reason, pkt.len);
	{
		struct xg_ev_info ei = {
			.now = now, .src_id = src_id, .dst_id = dst_id,
			.cookie = vi.cookie, .rev = rev, .reason = reason,
			.type = XG_EV_DROP, .verdict = XG_VERDICT_DROP,
		};

		xg_emit(ctx, &pkt, &ei);
	}
	/* A service with no backend answers like a closed port: the client
	 * fails now rather than after its retries.  Written over the packet,
	 * so only after the event has been taken from it. */
	if (reason == XG_DROP_LB_NO_BACKEND)
		act = pkt.proto == XG_IPPROTO_TCP ?
			      xg_reply_tcp_rst(ctx, &pkt) :
			      xg_reply_port_unreach(ctx, &pkt);
out:
	xg_count(&xg_verdicts, verdict, pkt.len);
	return act;
}

#endif /* XGATE_XDP_PIPELINE_H */
