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

/* Returns the XDP action; *verdict says which way it went. */
XG_INLINE int xg_forward(xg_ctx_t *ctx, const struct xg_pkt *pkt, __u8 *verdict)
{
	void *data = xg_data(ctx);
	void *data_end = xg_data_end(ctx);
	struct xg_eth *eth = data;
	struct bpf_fib_lookup fib = {};
	long rc;

	*verdict = XG_VERDICT_PASS;
	if (xg_cfg.fwd_mode != XG_FWD_FIB)
		return XDP_PASS;
	/* VLAN-tagged frames and expiring TTLs are the kernel's: it knows
	 * the sub-interfaces and sends time-exceeded. */
	if (pkt->l3_off != sizeof(struct xg_eth) || pkt->ttl <= 1)
		return XDP_PASS;

	fib.ifindex = xg_ifindex(ctx);
	fib.l4_protocol = pkt->proto;
	fib.sport = pkt->sport;
	fib.dport = pkt->dport;
	if (pkt->family == XG_FAMILY_V4) {
		struct xg_ip4 *iph = (void *)(eth + 1);

		if (!xg_has(iph, sizeof(*iph), data_end))
			return XDP_PASS;
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
		return XDP_PASS; /* local, unreachable, no neighbour yet ... */
	if (!xg_map_lookup(&xg_txports, &fib.ifindex))
		return XDP_PASS; /* not an interface we drive */

	if (pkt->family == XG_FAMILY_V4) {
		struct xg_ip4 *iph = (void *)(eth + 1);

		if (!xg_has(iph, sizeof(*iph), data_end))
			return XDP_PASS;
		xg_ip4_dec_ttl(iph);
	} else {
		struct xg_ip6 *ip6h = (void *)(eth + 1);

		if (!xg_has(ip6h, sizeof(*ip6h), data_end))
			return XDP_PASS;
		ip6h->hop_limit--;
	}
	if (!xg_has(eth, sizeof(*eth), data_end))
		return XDP_PASS;
	__builtin_memcpy(eth->dst, fib.dmac, XG_ETH_ALEN);
	__builtin_memcpy(eth->src, fib.smac, XG_ETH_ALEN);
	*verdict = XG_VERDICT_FORWARD;
	return (int)xg_redirect_map(&xg_txports, fib.ifindex, XDP_PASS);
}

/* L7-flagged flows go to the AF_XDP socket of this rx queue.  With no
 * socket there the packet is dropped: it must never pass unfiltered. */
XG_INLINE int xg_redirect_l7(xg_ctx_t *ctx, __u8 *verdict, __u16 *reason)
{
	int act = (int)xg_redirect_map(&xg_xsks, xg_rxq(ctx), XDP_DROP);

	if (act == XDP_REDIRECT) {
		*verdict = XG_VERDICT_L7;
	} else {
		*verdict = XG_VERDICT_DROP;
		*reason = XG_DROP_NO_XSK;
		act = XDP_DROP;
	}
	return act;
}

#endif /* XGATE_XDP_REDIRECT_H */
