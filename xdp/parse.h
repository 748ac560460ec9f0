/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parser: Ethernet, up to XG_MAX_VLAN_DEPTH VLAN tags, IPv4 with
 * options, IPv6 with a bounded walk over extension headers, and the first
 * bytes of TCP/UDP/SCTP/ICMP/ICMPv6.  It fills a struct xg_pkt and says
 * why when the packet is malformed; it never looks at maps (fragments'
 * ports are frag.h's job).  Every header is bounds-checked against
 * data_end right before it is read.
 */
#ifndef XGATE_XDP_PARSE_H
#define XGATE_XDP_PARSE_H

#include "ctx.h"
#include "abi.h"
#include "proto.h"

struct xg_pkt {
	__u8 family; /* 0: not IP, pass it on */
	__u8 proto; /* L4 protocol after extension headers */
	__u8 tcp_flags;
	__u8 frag; /* XG_FRAG_* */
	__u8 has_ports; /* sport/dport are known (from L4 or frag record) */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 ttl; /* IPv4 TTL / IPv6 hop limit */
	__u16 l3_off;
	__u16 l4_off;
	__be16 sport; /* conntrack ports; ICMP echo: id on the requester's side */
	__be16 dport;
	__be16 policy_port; /* what the policy matches: dport, ICMP type */
	__u16 pad;
	__u32 frag_id;
	__u32 len; /* frame length */
	__u8 saddr[16];
	__u8 daddr[16];
};

enum {
	XG_FRAG_NONE = 0,
	XG_FRAG_FIRST = 1, /* offset 0, more fragments follow */
	XG_FRAG_LATER = 2, /* offset > 0 */
};

/* L4 header: ports and flags.  `limit` is where the IP payload ends
 * (frame end, or less when the IP length says so). */
XG_INLINE int xg_parse_l4(void *l4, void *data_end, __u32 avail,
			  struct xg_pkt *pkt)
{
	int short_reason =
		pkt->frag == XG_FRAG_FIRST ? XG_DROP_FRAG_SHORT : XG_DROP_L4_TRUNC;

	switch (pkt->proto) {
	case XG_IPPROTO_TCP: {
		struct xg_tcp *th = l4;
		__u32 doff;

		if (!xg_has(th, sizeof(*th), data_end) || avail < sizeof(*th))
			return short_reason;
		doff = (th->doff_res >> 4) * 4;
		if (doff < sizeof(*th) || doff > avail)
			return XG_DROP_TCP_DOFF;
		pkt->sport = th->source;
		pkt->dport = th->dest;
		pkt->policy_port = th->dest;
		pkt->tcp_flags = th->flags;
		break;
	}
	case XG_IPPROTO_UDP: {
		struct xg_udp *uh = l4;

		if (!xg_has(uh, sizeof(*uh), data_end) || avail < sizeof(*uh))
			return short_reason;
		pkt->sport = uh->source;
		pkt->dport = uh->dest;
		pkt->policy_port = uh->dest;
		break;
	}
	case XG_IPPROTO_SCTP: {
		struct xg_sctp *sh = l4;

		if (!xg_has(sh, sizeof(*sh), data_end) || avail < sizeof(*sh))
			return short_reason;
		pkt->sport = sh->source;
		pkt->dport = sh->dest;
		pkt->policy_port = sh->dest;
		break;
	}
	case XG_IPPROTO_ICMP:
	case XG_IPPROTO_ICMPV6: {
		struct xg_icmp *ih = l4;
		__u8 echo = pkt->proto == XG_IPPROTO_ICMP ? XG_ICMP_ECHO :
							      XG_ICMPV6_ECHO;
		__u8 reply = pkt->proto == XG_IPPROTO_ICMP ?
				     XG_ICMP_ECHOREPLY :
				     XG_ICMPV6_ECHOREPLY;

		if (!xg_has(ih, sizeof(*ih), data_end) || avail < sizeof(*ih))
			return short_reason;
		pkt->icmp_type = ih->type;
		pkt->icmp_code = ih->code;
		pkt->policy_port = bpf_htons(ih->type);
		/* Echo request and reply are one flow: the identifier sits
		 * on the requester's side of the tuple. */
		if (ih->type == echo) {
			pkt->sport = ih->id;
			pkt->dport = 0;
		} else if (ih->type == reply) {
			pkt->sport = 0;
			pkt->dport = ih->id;
		} else {
			pkt->sport = 0;
			pkt->dport = bpf_htons(((__u16)ih->type << 8) | ih->code);
		}
		break;
	}
	default:
		/* Other protocols have no ports: policy sees port 0. */
		break;
	}
	pkt->has_ports = 1;
	return XG_DROP_NONE;
}

XG_INLINE int xg_parse_ip4(void *l3, void *data, void *data_end,
			   struct xg_pkt *pkt)
{
	struct xg_ip4 *iph = l3;
	__u32 ihl, tot_len, frag_off, l3_off, frame_left;

	if (!xg_has(iph, sizeof(*iph), data_end))
		return XG_DROP_IP4_TRUNC;
	if ((iph->ver_ihl >> 4) != 4)
		return XG_DROP_IP4_VERSION;
	ihl = (iph->ver_ihl & 0x0f) * 4;
	if (ihl < sizeof(*iph))
		return XG_DROP_IP4_IHL;
	if (!xg_has(iph, ihl, data_end))
		return XG_DROP_IP4_OPTS_TRUNC;
	l3_off = (__u32)((__u8 *)l3 - (__u8 *)data);
	frame_left = (__u32)((__u8 *)data_end - (__u8 *)l3);
	tot_len = bpf_ntohs(iph->tot_len);
	/* Bytes after tot_len are link padding; fewer than tot_len means
	 * the packet was cut, and a length below the header is a lie. */
	if (tot_len < ihl || tot_len > frame_left)
		return XG_DROP_IP4_TOTLEN;

	pkt->family = XG_FAMILY_V4;
	pkt->proto = iph->proto;
	pkt->ttl = iph->ttl;
	pkt->l3_off = (__u16)l3_off;
	pkt->l4_off = (__u16)(l3_off + ihl);
	__builtin_memcpy(pkt->saddr, &iph->saddr, 4);
	__builtin_memcpy(pkt->daddr, &iph->daddr, 4);

	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & (XG_IP_MF | XG_IP_OFFMASK)) {
		pkt->frag_id = bpf_ntohs(iph->id);
		if (frag_off & XG_IP_OFFMASK) {
			pkt->frag = XG_FRAG_LATER;
			return XG_DROP_NONE; /* no L4 header in this one */
		}
		pkt->frag = XG_FRAG_FIRST;
	}
	return xg_parse_l4((__u8 *)l3 + ihl, data_end, tot_len - ihl, pkt);
}

XG_INLINE int xg_parse_ip6(void *l3, void *data, void *data_end,
			   struct xg_pkt *pkt)
{
	struct xg_ip6 *ip6h = l3;
	__u32 l3_off, payload, frame_left, walked = 0;
	__u8 *cur;
	__u8 nexthdr;
	int i;

	if (!xg_has(ip6h, sizeof(*ip6h), data_end))
		return XG_DROP_IP6_TRUNC;
	if ((bpf_ntohl(ip6h->ver_tc_flow) >> 28) != 6)
		return XG_DROP_IP6_VERSION;
	l3_off = (__u32)((__u8 *)l3 - (__u8 *)data);
	frame_left = (__u32)((__u8 *)data_end - (__u8 *)l3) - sizeof(*ip6h);
	payload = bpf_ntohs(ip6h->payload_len);
	if (payload > frame_left)
		return XG_DROP_IP6_PAYLOAD_LEN;

	pkt->family = XG_FAMILY_V6;
	pkt->ttl = ip6h->hop_limit;
	pkt->l3_off = (__u16)l3_off;
	__builtin_memcpy(pkt->saddr, ip6h->saddr, 16);
	__builtin_memcpy(pkt->daddr, ip6h->daddr, 16);

	nexthdr = ip6h->nexthdr;
	cur = (__u8 *)(ip6h + 1);
	XG_UNROLL
	for (i = 0; i < XG_MAX_V6_EXTHDRS; i++) {
		if (nexthdr == XG_IPPROTO_HOPOPTS ||
		    nexthdr == XG_IPPROTO_ROUTING ||
		    nexthdr == XG_IPPROTO_DSTOPTS) {
			struct xg_ip6_opt *opt = (void *)cur;
			__u32 len;

			if (!xg_has(opt, sizeof(*opt), data_end))
				return XG_DROP_IP6_EXTHDR_TRUNC;
			len = ((__u32)opt->hdrlen + 1) * 8;
			if (walked + len > payload || !xg_has(opt, len, data_end))
				return XG_DROP_IP6_EXTHDR_TRUNC;
			nexthdr = opt->nexthdr;
			cur += len;
			walked += len;
			continue;
		}
		if (nexthdr == XG_IPPROTO_FRAGMENT) {
			struct xg_ip6_frag *fh = (void *)cur;
			__u16 off;

			if (!xg_has(fh, sizeof(*fh), data_end) ||
			    walked + sizeof(*fh) > payload)
				return XG_DROP_IP6_EXTHDR_TRUNC;
			off = bpf_ntohs(fh->frag_off);
			nexthdr = fh->nexthdr;
			cur += sizeof(*fh);
			walked += sizeof(*fh);
			/* An atomic fragment (offset 0, no M) is whole. */
			if (off & 0xfff9) {
				pkt->frag_id = bpf_ntohl(fh->id);
				if (off & 0xfff8) {
					pkt->frag = XG_FRAG_LATER;
					pkt->proto = nexthdr;
					pkt->l4_off = (__u16)(l3_off +
							      sizeof(*ip6h) +
							      walked);
					return XG_DROP_NONE;
				}
				pkt->frag = XG_FRAG_FIRST;
			}
			continue;
		}
		break;
	}
	if (nexthdr == XG_IPPROTO_HOPOPTS || nexthdr == XG_IPPROTO_ROUTING ||
	    nexthdr == XG_IPPROTO_DSTOPTS || nexthdr == XG_IPPROTO_FRAGMENT)
		return XG_DROP_IP6_EXTHDR_LIMIT;

	pkt->proto = nexthdr;
	pkt->l4_off = (__u16)(l3_off + sizeof(*ip6h) + walked);
	return xg_parse_l4(cur, data_end, payload - walked, pkt);
}

/* Returns XG_DROP_NONE or the reason to drop.  pkt->family == 0 after a
 * clean return means "not IP" (ARP, LLDP, ...): the caller passes it. */
XG_INLINE int xg_parse(xg_ctx_t *ctx, struct xg_pkt *pkt)
{
	void *data = xg_data(ctx);
	void *data_end = xg_data_end(ctx);
	struct xg_eth *eth = data;
	__u8 *cur;
	__u16 proto;
	int i;

	pkt->len = (__u32)((__u8 *)data_end - (__u8 *)data);
	if (!xg_has(eth, sizeof(*eth), data_end))
		return XG_DROP_ETH_TRUNC;
	proto = bpf_ntohs(eth->proto);
	cur = (__u8 *)(eth + 1);

	XG_UNROLL
	for (i = 0; i < XG_MAX_VLAN_DEPTH; i++) {
		struct xg_vlan *vh = (void *)cur;

		if (proto != XG_ETH_P_8021Q && proto != XG_ETH_P_8021AD)
			break;
		if (!xg_has(vh, sizeof(*vh), data_end))
			return XG_DROP_VLAN_TRUNC;
		proto = bpf_ntohs(vh->proto);
		cur += sizeof(*vh);
	}
	if (proto == XG_ETH_P_8021Q || proto == XG_ETH_P_8021AD)
		return XG_DROP_VLAN_DEPTH;

	if (proto == XG_ETH_P_IP)
		return xg_parse_ip4(cur, data, data_end, pkt);
	if (proto == XG_ETH_P_IPV6)
		return xg_parse_ip6(cur, data, data_end, pkt);
	return XG_DROP_NONE; /* not IP: family stays 0 */
}

#endif /* XGATE_XDP_PARSE_H */
