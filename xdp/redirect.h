/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where an allowed packet goes: straight out of another interface
 * (FIB lookup + devmap redirect), up to the kernel when XDP cannot
 * forward it, or into an AF_XDP socket for the L7 fast path.
 */
#ifndef XGATE_XDP_REDIRECT_H
#define XGATE_XDP_REDIRECT_H

#include "parse.h"
#include "maps.h"

/* IPv4 TTL decrement with the incremental checksum update the kernel
 * uses (ip_decrease_ttl). */
XG_INLINE void xg_ip4_dec_ttl(struct xg_ip4 *iph)
{
	__u32 check = (__u32)iph->check;

	check += (__u32)bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/* Which legs a routed frame may leave by. */
enum xg_route_legs {
	XG_LEGS_TX = 0, /* xg_txports: interfaces XDP forwards on */
	XG_LEGS_L7 = 1, /* xg_ifslots: interfaces with fast-path sockets */
};

/* Routes the frame in place: FIB lookup, MACs of the egress leg, TTL or
 * hop limit decremented.  Returns the egress ifindex, or 0 when the FIB
 * has no answer XDP can act on or the egress is not one of `legs`; then
 * the frame is unchanged, since the kernel may get it.  Its own
 * function: the lookup's parameters are a big part of a stack frame,
 * and both the forward and the L7 path need it. */
XG_NOINLINE __u32 xg_fib_route(xg_ctx_t *ctx, const struct xg_pkt *pkt,
				__u32 legs)
{
	void *data = xg_data(ctx);
	void *data_end = xg_data_end(ctx);
	struct xg_eth *eth = data;
	struct bpf_fib_lookup fib = {};
	long rc;

	/* VLAN-tagged frames and expiring TTLs are the kernel's: it knows
	 * the sub-interfaces and sends time-exceeded. */
	if (pkt->l3_off != sizeof(struct xg_eth) || pkt->ttl <= 1)
		return 0;

	fib.ifindex = xg_ifindex(ctx);
	fib.l4_protocol = pkt->proto;
	fib.sport = pkt->sport;
	fib.dport = pkt->dport;
	if (pkt->family == XG_FAMILY_V4) {
		struct xg_ip4 *iph = (void *)(eth + 1);

		if (!xg_has(iph, sizeof(*iph), data_end))
			return 0;
		fib.family = XG_AF_INET;
		fib.tos = iph->tos;
		fib.tot_len = bpf_ntohs(iph->tot_len);
		__builtin_memcpy(&fib.ipv4_src, pkt->saddr, 4);
		__builtin_memcpy(&fib.ipv4_dst, pkt->daddr, 4);
	} else {
		fib.family = XG_AF_INET6;
		fib.tot_len = (__u16)(pkt->len - pkt->l3_off);
		__builtin_memcpy(fib.ipv6_src, pkt->saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, pkt->daddr, 16);
	}

	rc = xg_fib_lookup(ctx, &fib);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return 0; /* local, unreachable, no neighbour yet ... */
	/* Not an interface we drive: one lookup call per map, so the
	 * verifier can inline each. */
	if (legs == XG_LEGS_L7) {
		if (!xg_map_lookup(&xg_ifslots, &fib.ifindex))
			return 0;
	} else if (!xg_map_lookup(&xg_txports, &fib.ifindex)) {
		return 0;
	}

	if (pkt->family == XG_FAMILY_V4) {
		struct xg_ip4 *iph = (void *)(eth + 1);

		if (!xg_has(iph, sizeof(*iph), data_end))
			return 0;
		xg_ip4_dec_ttl(iph);
	} else {
		struct xg_ip6 *ip6h = (void *)(eth + 1);

		if (!xg_has(ip6h, sizeof(*ip6h), data_end))
			return 0;
		ip6h->hop_limit--;
	}
	if (!xg_has(eth, sizeof(*eth), data_end))
		return 0;
	__builtin_memcpy(eth->dst, fib.dmac, XG_ETH_ALEN);
	__builtin_memcpy(eth->src, fib.smac, XG_ETH_ALEN);
	return fib.ifindex;
}

/* Returns the XDP action; *verdict says which way it went. */
XG_INLINE int xg_forward(xg_ctx_t *ctx, const struct xg_pkt *pkt, __u8 *verdict)
{
	__u32 out;

	*verdict = XG_VERDICT_PASS;
	if (xg_cfg.fwd_mode != XG_FWD_FIB)
		return XDP_PASS;
	out = xg_fib_route(ctx, pkt, XG_LEGS_TX);
	if (!out)
		return XDP_PASS;
	*verdict = XG_VERDICT_FORWARD;
	return (int)xg_redirect_map(&xg_txports, out, XDP_PASS);
}

/* Payload length of a TCP segment in the high 32 bits, its sequence
 * number in the low ones; -1: not one we can read.  One return value
 * rather than an out-parameter: a local whose address is taken costs
 * the caller stack, and the main program has none to spare. */
XG_NOINLINE __s64 xg_tcp_seq_len(xg_ctx_t *ctx, const struct xg_pkt *pkt)
{
	__u8 th[13];
	__be16 iplen;
	__u32 end, hdr;

	if (pkt->proto != XG_IPPROTO_TCP || pkt->frag != XG_FRAG_NONE)
		return -1;
	if (xg_load_bytes(ctx, pkt->l4_off, th, sizeof(th)))
		return -1;
	if (pkt->family == XG_FAMILY_V4) {
		if (xg_load_bytes(ctx, (__u32)pkt->l3_off + 2, &iplen, 2))
			return -1;
		end = (__u32)pkt->l3_off + bpf_ntohs(iplen);
	} else {
		if (xg_load_bytes(ctx, (__u32)pkt->l3_off + 4, &iplen, 2))
			return -1;
		end = (__u32)pkt->l3_off + 40 + bpf_ntohs(iplen);
	}
	hdr = (__u32)pkt->l4_off + (__u32)(th[12] >> 4) * 4;
	if (end < hdr || end > pkt->len)
		return -1;
	return (__s64)((__u64)(end - hdr) << 32 |
		       ((__u32)th[4] << 24) | ((__u32)th[5] << 16) |
		       ((__u32)th[6] << 8) | th[7]);
}

/* Where both sides of an L7 flow stand (see xg_ct_entry.l7_srv_nxt):
 * a subprogram, so its loads stay off the main stack. */
XG_NOINLINE int xg_l7_track(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			    struct xg_ct_entry *ce, int is_reply, __u64 now)
{
	__s64 sl = xg_tcp_seq_len(ctx, pkt);
	__u32 seq = (__u32)sl, len = (__u32)(sl >> 32), ack, nxt;
	__u8 th[14];

	if (sl < 0 || xg_load_bytes(ctx, pkt->l4_off, th, sizeof(th)))
		return 0;
	/* A fresh SYN on a flow conntrack still holds open (the client
	 * reuses its port after a refusal, which the server never saw
	 * close) starts a new connection: its stream starts anew, and the
	 * new admission time tells the fast path to forget the old one. */
	if (!is_reply && (th[13] & (XG_TCP_SYN | XG_TCP_ACK)) == XG_TCP_SYN) {
		if (!(ce->flags & XG_CT_F_ISN) || ce->l7_isn != seq + 1) {
			ce->l7_isn = seq + 1;
			ce->flags |= XG_CT_F_ISN;
			ce->created_ns = now;
			ce->l7_srv_nxt = 0;
			ce->l7_cli_ack = 0;
			ce->l7_srv_ack = 0;
		}
		return 0;
	}
	ack = ((__u32)th[8] << 24) | ((__u32)th[9] << 16) |
	      ((__u32)th[10] << 8) | th[11];
	if (is_reply) {
		nxt = seq + len +
		      ((th[13] & (XG_TCP_SYN | XG_TCP_FIN)) ? 1 : 0);
		if ((__s32)(nxt - ce->l7_srv_nxt) > 0 || !ce->l7_srv_nxt)
			ce->l7_srv_nxt = nxt;
		if ((th[13] & XG_TCP_ACK) &&
		    ((__s32)(ack - ce->l7_srv_ack) > 0 || !ce->l7_srv_ack))
			ce->l7_srv_ack = ack;
	} else if (th[13] & XG_TCP_ACK) {
		if ((__s32)(ack - ce->l7_cli_ack) > 0 || !ce->l7_cli_ack)
			ce->l7_cli_ack = ack;
	}
	return 0;
}

/* L7-flagged flows go to the AF_XDP socket of this interface and rx
 * queue, routed, with what the fast path needs in the metadata.  Only
 * segments that carry bytes (or end the stream) go there: a SYN or a
 * bare ACK has nothing to judge and is forwarded here, so the kernel
 * still resolves neighbours for the flow.  With no socket the packet is
 * dropped: it must never pass unfiltered. */
XG_INLINE int xg_redirect_l7_do(xg_ctx_t *ctx, const struct xg_pkt *pkt,
				const struct xg_flow_key *key, __u32 rev,
				__u8 *verdict, __u16 *reason)
{
	struct xg_ct_entry *ce;
	struct xg_xsk_meta *meta;
	struct xg_eth *eth;
	__u32 *slot, out, xkey, in = xg_ifindex(ctx);
	__s64 sl = xg_tcp_seq_len(ctx, pkt);
	long act;

	if (sl >= 0 && !(sl >> 32) &&
	    !(pkt->tcp_flags & (XG_TCP_FIN | XG_TCP_RST)))
		return xg_forward(ctx, pkt, verdict);

	*verdict = XG_VERDICT_DROP;
	*reason = XG_DROP_NO_XSK;
	slot = xg_map_lookup(&xg_ifslots, &in);
	if (!slot || xg_rxq(ctx) >= XG_XSK_QUEUES)
		return XDP_DROP;
	xkey = *slot * XG_XSK_QUEUES + xg_rxq(ctx);
	/* What the fast path needs of the flow is in its conntrack entry
	 * (looked up again: the main stack has no room to carry it). */
	ce = xg_map_lookup(&xg_ct, key);
	if (!ce)
		return XDP_DROP;
	if (xg_adjust_meta(ctx, -(int)sizeof(*meta)))
		return XDP_DROP;
	meta = xg_data_meta(ctx);
	eth = xg_data(ctx);
	if (!xg_has(meta, sizeof(*meta), (void *)eth) ||
	    !xg_has(eth, sizeof(*eth), xg_data_end(ctx)))
		return XDP_DROP;
	meta->magic = XG_XSK_META_MAGIC;
	meta->l7_ruleset = ce->l7_ruleset;
	meta->l7_egress = ce->l7_egress;
	meta->isn = ce->l7_isn;
	meta->in_ifindex = in;
	meta->src_identity = ce->src_identity;
	meta->dst_identity = ce->dst_identity;
	meta->cookie = ce->cookie;
	meta->policy_rev = rev;
	meta->revnat_id = ce->revnat_id;
	meta->flow_created_ns = ce->created_ns;
	__builtin_memcpy(&meta->ct_key, key, sizeof(*key));
	meta->flags = (ce->flags & XG_CT_F_ISN) ? XG_XSK_META_F_ISN : 0;
	__builtin_memcpy(meta->in_src, eth->src, XG_ETH_ALEN);
	__builtin_memcpy(meta->in_dst, eth->dst, XG_ETH_ALEN);
	meta->pad[0] = 0;
	meta->pad[1] = 0;

	out = xg_fib_route(ctx, pkt, XG_LEGS_L7);
	if (!out) {
		*reason = XG_DROP_L7_NO_ROUTE;
		return XDP_DROP;
	}
	meta = xg_data_meta(ctx);
	if (!xg_has(meta, sizeof(*meta), xg_data(ctx)))
		return XDP_DROP;
	meta->out_ifindex = out;

	act = xg_redirect_map(&xg_xsks, xkey, XDP_DROP);
	if (act != XDP_REDIRECT)
		return XDP_DROP;
	*verdict = XG_VERDICT_L7;
	*reason = XG_DROP_NONE;
	return XDP_REDIRECT;
}

/* The above as a subprogram, its own stack frame: the action in the low
 * byte, the verdict in the next, the drop reason above. */
XG_NOINLINE int xg_redirect_l7(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			       const struct xg_flow_key *key, __u32 rev)
{
	__u8 verdict = XG_VERDICT_DROP;
	__u16 reason = XG_DROP_NO_XSK;
	int act = xg_redirect_l7_do(ctx, pkt, key, rev, &verdict, &reason);

	return act | (int)verdict << 8 | (int)reason << 16;
}

#endif /* XGATE_XDP_REDIRECT_H */
