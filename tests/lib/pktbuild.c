// SPDX-License-Identifier: GPL-2.0-only
/* Test frame builder: see pktbuild.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "xdp/proto.h"
#include "pktbuild.h"

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (__u32)(p[len - 1] << 8);
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u16 pkt_csum(const void *data, size_t len, __u32 sum)
{
	return csum_fold(csum_add(sum, data, len));
}

size_t pkt_l3_off(const struct pkt_spec *s)
{
	return sizeof(struct xg_eth) + 4 * (size_t)s->vlans;
}

static size_t ext_len(__u8 t)
{
	return t == XG_IPPROTO_FRAGMENT ? 8 : 8; /* one 8-byte unit each */
}

size_t pkt_l4_off(const struct pkt_spec *s)
{
	size_t off = pkt_l3_off(s);

	if (s->family == 4)
		return off + 20 + (size_t)s->ip4_optlen;
	off += 40;
	for (int i = 0; i < s->nexts; i++)
		off += ext_len(s->exts[i]);
	if (s->frag != PKT_FRAG_NONE)
		off += 8;
	return off;
}

static size_t l4_hdr_len(const struct pkt_spec *s)
{
	switch (s->proto) {
	case XG_IPPROTO_TCP:
		return 20;
	case XG_IPPROTO_UDP:
		return 8;
	case XG_IPPROTO_SCTP:
		return 12;
	case XG_IPPROTO_ICMP:
	case XG_IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static void pseudo_sum(const struct pkt_spec *s, const __u8 *sa, const __u8 *da,
		       size_t l4len, __u32 *sum)
{
	__u8 ph[40];

	if (s->family == 4) {
		memcpy(ph, sa, 4);
		memcpy(ph + 4, da, 4);
		ph[8] = 0;
		ph[9] = s->proto;
		ph[10] = (__u8)(l4len >> 8);
		ph[11] = (__u8)l4len;
		*sum = csum_add(*sum, ph, 12);
	} else {
		memcpy(ph, sa, 16);
		memcpy(ph + 16, da, 16);
		ph[32] = (__u8)(l4len >> 24);
		ph[33] = (__u8)(l4len >> 16);
		ph[34] = (__u8)(l4len >> 8);
		ph[35] = (__u8)l4len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = s->proto;
		*sum = csum_add(*sum, ph, 40);
	}
}

static size_t build_aligned(__u8 *buf, size_t cap, const struct pkt_spec *s);

/* Frames are built 2 bytes into an 8-aligned scratch buffer, where the
 * kernel puts them too (NET_IP_ALIGN), so the IP header is aligned and
 * header structs can be written in place. */
size_t pkt_build(__u8 *out, size_t cap, const struct pkt_spec *s)
{
	static __u8 scratch[4096 + 8] __attribute__((aligned(8)));
	size_t len = build_aligned(scratch + 2, sizeof(scratch) - 2, s);

	if (!len || len > cap)
		return 0;
	memcpy(out, scratch + 2, len);
	return len;
}

static size_t build_aligned(__u8 *buf, size_t cap, const struct pkt_spec *s)
{
	__u8 sa[16] = {}, da[16] = {};
	size_t l3 = pkt_l3_off(s), l4 = pkt_l4_off(s), hl, len;
	int later = s->frag == PKT_FRAG_MIDDLE || s->frag == PKT_FRAG_LAST;
	__u8 *p;

	hl = later ? 0 : l4_hdr_len(s);
	len = l4 + hl + (size_t)s->payload;
	if (len > cap)
		return 0;
	memset(buf, 0, len);
	if (inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->src, sa) != 1 ||
	    inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->dst, da) != 1) {
		fprintf(stderr, "pkt_build: bad address %s or %s\n", s->src,
			s->dst);
		return 0;
	}

	/* Ethernet and VLAN tags */
	memcpy(buf, s->dmac, 6);
	memcpy(buf + 6, s->smac, 6);
	p = buf + 12;
	for (int i = 0; i < s->vlans; i++) {
		__u16 tpid = (s->vlans >= 2 && i == 0) ? XG_ETH_P_8021AD :
							  XG_ETH_P_8021Q;

		p[0] = (__u8)(tpid >> 8);
		p[1] = (__u8)tpid;
		p[2] = 0;
		p[3] = (__u8)(10 + i); /* VLAN id */
		p += 4;
	}
	{
		__u16 et = s->family == 4 ? XG_ETH_P_IP : XG_ETH_P_IPV6;

		p[0] = (__u8)(et >> 8);
		p[1] = (__u8)et;
	}

	/* L4 header and payload */
	p = buf + l4;
	for (int i = 0; i < s->payload; i++)
		p[hl + (size_t)i] = s->payload_bytes ? s->payload_bytes[i] :
						       (__u8)('a' + i % 26);
	if (!later) {
		switch (s->proto) {
		case XG_IPPROTO_TCP: {
			struct xg_tcp *t = (void *)p;

			t->source = htons(s->sport);
			t->dest = htons(s->dport);
			t->seq = htonl(1000);
			t->ack_seq = (s->tcp_flags & XG_TCP_ACK) ? htonl(2000) : 0;
			t->doff_res = 5 << 4;
			t->flags = s->tcp_flags;
			t->window = htons(65535);
			break;
		}
		case XG_IPPROTO_UDP: {
			struct xg_udp *u = (void *)p;

			u->source = htons(s->sport);
			u->dest = htons(s->dport);
			u->len = htons((__u16)(8 + s->payload));
			break;
		}
		case XG_IPPROTO_SCTP: {
			struct xg_sctp *c = (void *)p;

			c->source = htons(s->sport);
			c->dest = htons(s->dport);
			c->vtag = htonl(0x11223344);
			break;
		}
		case XG_IPPROTO_ICMP:
		case XG_IPPROTO_ICMPV6: {
			struct xg_icmp *ic = (void *)p;

			ic->type = s->icmp_type;
			ic->code = s->icmp_code;
			ic->id = htons(s->icmp_id);
			ic->seq = htons(1);
			break;
		}
		}
	}

	/* IP header */
	if (s->family == 4) {
		struct xg_ip4 *ip = (void *)(buf + l3);
		__u16 fo = 0;

		ip->ver_ihl = (__u8)(0x40 | (5 + s->ip4_optlen / 4));
		ip->tot_len = htons((__u16)(len - l3));
		ip->id = htons((__u16)s->frag_id);
		if (s->frag == PKT_FRAG_FIRST)
			fo = XG_IP_MF;
		else if (s->frag == PKT_FRAG_MIDDLE)
			fo = XG_IP_MF | s->frag_off8;
		else if (s->frag == PKT_FRAG_LAST)
			fo = s->frag_off8;
		ip->frag_off = htons(fo);
		ip->ttl = s->ttl ? s->ttl : 64;
		ip->proto = s->proto;
		memcpy(&ip->saddr, sa, 4);
		memcpy(&ip->daddr, da, 4);
		for (int i = 0; i < s->ip4_optlen; i++)
			buf[l3 + 20 + (size_t)i] = 1; /* NOP options */
		ip->check = htons(pkt_csum(ip, 20 + (size_t)s->ip4_optlen, 0));
	} else {
		struct xg_ip6 *ip6 = (void *)(buf + l3);
		__u8 *e = buf + l3 + 40;
		__u8 *nh = &ip6->nexthdr;

		ip6->ver_tc_flow = htonl(6u << 28);
		ip6->payload_len = htons((__u16)(len - l3 - 40));
		ip6->hop_limit = s->ttl ? s->ttl : 64;
		memcpy(ip6->saddr, sa, 16);
		memcpy(ip6->daddr, da, 16);
		for (int i = 0; i < s->nexts; i++) {
			*nh = s->exts[i];
			if (s->exts[i] == XG_IPPROTO_FRAGMENT) {
				/* an atomic fragment header (offset 0, no M) */
				nh = e;
			} else {
				e[1] = 0; /* 8 bytes */
				e[2] = 1; /* PadN option filling the rest */
				e[3] = 4;
				nh = e;
			}
			e += 8;
		}
		if (s->frag != PKT_FRAG_NONE) {
			__u16 fo = 0;

			if (s->frag == PKT_FRAG_FIRST)
				fo = 1;
			else if (s->frag == PKT_FRAG_MIDDLE)
				fo = (__u16)(s->frag_off8 << 3 | 1);
			else
				fo = (__u16)(s->frag_off8 << 3);
			*nh = XG_IPPROTO_FRAGMENT;
			e[2] = (__u8)(fo >> 8);
			e[3] = (__u8)fo;
			e[4] = (__u8)(s->frag_id >> 24);
			e[5] = (__u8)(s->frag_id >> 16);
			e[6] = (__u8)(s->frag_id >> 8);
			e[7] = (__u8)s->frag_id;
			nh = e;
			e += 8;
		}
		*nh = s->proto;
	}

	/* L4 checksum over what this frame carries */
	if (!later && hl) {
		size_t l4len = len - l4;
		__u32 sum = 0;

		switch (s->proto) {
		case XG_IPPROTO_TCP:
		case XG_IPPROTO_UDP:
			pseudo_sum(s, sa, da, l4len, &sum);
			{
				__u16 c = pkt_csum(p, l4len, sum);

				if (s->proto == XG_IPPROTO_UDP && c == 0)
					c = 0xffff;
				p[s->proto == XG_IPPROTO_TCP ? 16 : 6] = (__u8)(c >> 8);
				p[s->proto == XG_IPPROTO_TCP ? 17 : 7] = (__u8)c;
			}
			break;
		case XG_IPPROTO_ICMPV6:
			pseudo_sum(s, sa, da, l4len, &sum);
			/* fall through */
		case XG_IPPROTO_ICMP: {
			__u16 c = pkt_csum(p, l4len, sum);

			p[2] = (__u8)(c >> 8);
			p[3] = (__u8)c;
			break;
		}
		}
	}
	return len;
}

int pkt_csums_ok(const __u8 *frame, size_t len, const struct pkt_spec *s)
{
	size_t l3 = pkt_l3_off(s), l4 = pkt_l4_off(s);
	__u32 sum = 0;

	if (s->family == 4 &&
	    pkt_csum(frame + l3, 20 + (size_t)s->ip4_optlen, 0) != 0)
		return 0;
	if (s->frag == PKT_FRAG_MIDDLE || s->frag == PKT_FRAG_LAST)
		return 1;
	if (s->proto == XG_IPPROTO_TCP || s->proto == XG_IPPROTO_UDP ||
	    s->proto == XG_IPPROTO_ICMPV6) {
		const __u8 *sa, *da;

		sa = frame + l3 + (s->family == 4 ? 12 : 8);
		da = frame + l3 + (s->family == 4 ? 16 : 24);
		pseudo_sum(s, sa, da, len - l4, &sum);
	}
	if (s->proto == XG_IPPROTO_SCTP || !l4_hdr_len(s))
		return 1;
	return pkt_csum(frame + l4, len - l4, sum) == 0;
}

int pkt_parse_mac(const char *s, __u8 mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)v[i];
	return 0;
}
