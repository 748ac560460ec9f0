/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Answers the datapath sends back out of the interface a packet came in
 * on, written over that packet: a TCP reset, or an ICMP /
 * ICMPv6 "port unreachable".  Used when a service has no usable backend,
 * so clients fail fast, as they would against a closed port, instead of
 * retrying a silent VIP until their timeout.
 *
 * Headers are rebuilt whole (IPv4 options and IPv6 extension headers are
 * not kept), checksums computed from scratch over a per-CPU scratch
 * buffer: the replies are small and rare, and the packet path's stack is
 * nearly full.
 */
#ifndef XGATE_XDP_REPLY_H
#define XGATE_XDP_REPLY_H

#include "parse.h"
#include "maps.h"
#include "csum.h"

/* Sums len bytes of buf (memory order, as csum.h does) into sum. */
XG_INLINE __u32 xg_csum_bytes(const __u8 *buf, __u32 len, __u32 sum)
{
	__u32 i;

	for (i = 0; i < XG_REPLY_BUF; i += 2) {
		__u16 w = 0;

		if (i >= len)
			break;
		if (i + 1 < len)
			__builtin_memcpy(&w, buf + i, 2);
		else
			__builtin_memcpy(&w, buf + i, 1); /* odd tail, 0-padded */
		sum += w;
	}
	return sum;
}

/* An address from a multicast/broadcast source must never be answered:
 * one packet would fan out into many replies. */
XG_INLINE int xg_reply_src_ok(const struct xg_pkt *pkt)
{
	if (pkt->family == XG_FAMILY_V4)
		return pkt->saddr[0] < 224 && pkt->saddr[0] != 0;
	return pkt->saddr[0] != 0xff;
}

/* Swaps the Ethernet addresses: the reply goes back the way it came. */
XG_INLINE int xg_reply_eth(xg_ctx_t *ctx)
{
	__u8 mac[12], sw[12];

	if (xg_load_bytes(ctx, 0, mac, 12))
		return -1;
	__builtin_memcpy(sw, mac + 6, 6);
	__builtin_memcpy(sw + 6, mac, 6);
	return xg_store_bytes(ctx, 0, sw, 12) ? -1 : 0;
}

/* Writes a fresh IP header at l3 for a reply from pkt->daddr to
 * pkt->saddr carrying l4len bytes of protocol proto; the IPv6 pseudo
 * header sum (or 0) goes to *pseudo. */
XG_INLINE int xg_reply_ip(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			  struct xg_reply_scratch *s, __u8 proto, __u16 l4len,
			  __u32 *pseudo)
{
	/* Built in the scratch map: the stack is the packet path's. */
	__u32 l3 = pkt->l3_off;
	__u32 w = (__u32)bpf_htons(proto) + bpf_htons(l4len);

	if (pkt->family == XG_FAMILY_V4) {
		struct xg_ip4 *ip = (struct xg_ip4 *)s->hdr;

		__builtin_memset(ip, 0, sizeof(*ip));
		ip->ver_ihl = 0x45;
		ip->tot_len = bpf_htons((__u16)(20 + l4len));
		ip->ttl = 64;
		ip->proto = proto;
		__builtin_memcpy(&ip->saddr, pkt->daddr, 4);
		__builtin_memcpy(&ip->daddr, pkt->saddr, 4);
		ip->check = (__sum16)~xg_csum_fold(xg_csum_bytes(s->hdr, 20, 0));
		/* ICMP has no pseudo header; TCP does */
		*pseudo = xg_csum_bytes(s->hdr + 12, 8, w);
		return xg_store_bytes(ctx, l3, s->hdr, 20) ? -1 : 0;
	} else {
		struct xg_ip6 *ip = (struct xg_ip6 *)s->hdr;

		__builtin_memset(ip, 0, sizeof(*ip));
		ip->ver_tc_flow = bpf_htonl(0x60000000);
		ip->payload_len = bpf_htons(l4len);
		ip->nexthdr = proto;
		ip->hop_limit = 64;
		__builtin_memcpy(ip->saddr, pkt->daddr, 16);
		__builtin_memcpy(ip->daddr, pkt->saddr, 16);
		*pseudo = xg_csum_bytes(ip->saddr, 32, w);
		return xg_store_bytes(ctx, l3, s->hdr, 40) ? -1 : 0;
	}
}

/* Sends the rewritten frame back out of the interface it came in on:
 * through the devmap when that is one of our legs, since veth hands
 * XDP_TX frames only to a peer running an XDP program of its own while a
 * redirect's flush always reaches it; XDP_TX otherwise (the map's
 * fallback action). */
XG_INLINE int xg_reply_send(xg_ctx_t *ctx)
{
	return (int)xg_redirect_map(&xg_txports, xg_ifindex(ctx), XDP_TX);
}

/* Resizes the frame (still pkt->len long: nothing before a reply
 * changes its size) so that it ends at new_len. */
XG_INLINE int xg_reply_trim(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			    __u32 new_len)
{
	if (new_len == pkt->len)
		return 0;
	return xg_adjust_tail(ctx, (int)new_len - (int)pkt->len) ? -1 : 0;
}

/* RFC 9293 3.10.7.1: a reset for a segment to a port with no listener.
 * Returns the action (a redirect back out), or XDP_DROP when no reset is due (the segment was a
 * reset itself) or it could not be built. */
XG_NOINLINE int xg_reply_tcp_rst(xg_ctx_t *ctx, const struct xg_pkt *pkt)
{
	__u32 zero = 0, ip_hlen = pkt->family == XG_FAMILY_V4 ? 20 : 40;
	struct xg_reply_scratch *s = xg_map_lookup(&xg_reply_scratch, &zero);
	struct xg_tcp th, rst = {};
	__u32 seglen, pseudo;
	__u16 iplen;

	if (!s || pkt->tcp_flags & XG_TCP_RST || !xg_reply_src_ok(pkt) ||
	    xg_load_bytes(ctx, pkt->l4_off, &th, sizeof(th)))
		return XDP_DROP;
	/* The segment's length: its payload plus SYN and FIN. */
	if (pkt->family == XG_FAMILY_V4) {
		if (xg_load_bytes(ctx, pkt->l3_off + 2, &iplen, 2))
			return XDP_DROP;
		seglen = bpf_ntohs(iplen) - (pkt->l4_off - pkt->l3_off);
	} else {
		if (xg_load_bytes(ctx, pkt->l3_off + 4, &iplen, 2))
			return XDP_DROP;
		seglen = bpf_ntohs(iplen) + 40 - (pkt->l4_off - pkt->l3_off);
	}
	seglen -= (__u32)(th.doff_res >> 4) * 4;
	seglen += !!(th.flags & XG_TCP_SYN) + !!(th.flags & XG_TCP_FIN);

	rst.source = th.dest;
	rst.dest = th.source;
	rst.doff_res = 5 << 4;
	if (th.flags & XG_TCP_ACK) {
		rst.seq = th.ack_seq;
		rst.flags = XG_TCP_RST;
	} else {
		rst.ack_seq = bpf_htonl(bpf_ntohl(th.seq) + seglen);
		rst.flags = XG_TCP_RST | XG_TCP_ACK;
	}
	if (xg_reply_trim(ctx, pkt, pkt->l3_off + ip_hlen + 20) || xg_reply_eth(ctx) ||
	    xg_reply_ip(ctx, pkt, s, XG_IPPROTO_TCP, 20, &pseudo))
		return XDP_DROP;
	rst.check = (__sum16)~xg_csum_fold(
		xg_csum_bytes((const __u8 *)&rst, 20, pseudo));
	if (xg_store_bytes(ctx, pkt->l3_off + ip_hlen, &rst, 20))
		return XDP_DROP;
	return xg_reply_send(ctx);
}

/* ICMP destination unreachable / port unreachable (RFC 792, RFC 4443
 * 3.1) quoting the start of the datagram: its IP headers and the first 8
 * bytes of its payload, at most XG_REPLY_QUOTE bytes. */
XG_NOINLINE int xg_reply_port_unreach(xg_ctx_t *ctx, const struct xg_pkt *pkt)
{
	__u32 zero = 0, ip_hlen, qlen, avail, pseudo, sum;
	struct xg_reply_scratch *s = xg_map_lookup(&xg_reply_scratch, &zero);
	int v4 = pkt->family == XG_FAMILY_V4;
	__u8 icmp[8] = {};

	if (!s || !xg_reply_src_ok(pkt))
		return XDP_DROP;
	ip_hlen = v4 ? 20 : 40;
	qlen = pkt->l4_off - pkt->l3_off + 8;
	avail = pkt->len - pkt->l3_off;
	if (qlen > avail)
		qlen = avail;
	if (qlen > XG_REPLY_QUOTE)
		qlen = XG_REPLY_QUOTE;
	xg_barrier_var(qlen);
	qlen &= XG_REPLY_BUF - 1; /* a bound the verifier can see */
	if (!qlen || xg_load_bytes(ctx, pkt->l3_off, s->buf, qlen))
		return XDP_DROP;

	icmp[0] = v4 ? 3 : 1; /* destination unreachable */
	icmp[1] = v4 ? 3 : 4; /* port unreachable */
	if (xg_reply_trim(ctx, pkt, pkt->l3_off + ip_hlen + 8 + qlen) ||
	    xg_reply_eth(ctx) ||
	    xg_reply_ip(ctx, pkt, s, v4 ? XG_IPPROTO_ICMP : XG_IPPROTO_ICMPV6,
			(__u16)(8 + qlen), &pseudo))
		return XDP_DROP;
	/* ICMPv6 sums the pseudo header too; ICMP does not. */
	sum = xg_csum_bytes(s->buf, qlen, v4 ? 0 : pseudo);
	sum = xg_csum_bytes(icmp, 8, sum);
	icmp[2] = 0;
	{
		__u16 c = (__u16)~xg_csum_fold(sum);

		__builtin_memcpy(icmp + 2, &c, 2);
	}
	if (xg_store_bytes(ctx, pkt->l3_off + ip_hlen, icmp, 8) ||
	    xg_store_bytes(ctx, pkt->l3_off + ip_hlen + 8, s->buf, qlen))
		return XDP_DROP;
	return xg_reply_send(ctx);
}

#endif /* XGATE_XDP_REPLY_H */
