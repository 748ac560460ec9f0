// SPDX-License-Identifier: GPL-2.0-only
/* Builds xgate-pktgen's template frame with valid checksums. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "frame.h"

#define PG_TTL 64
#define PG_TCP_SEQ 0x78676174	/* "xgat": easy to spot in a capture */
#define PG_TCP_WINDOW 64240

unsigned int pg_frame_hdr_len(bool ipv6, bool tcp)
{
	return sizeof(struct ethhdr) +
	       (ipv6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) +
	       (tcp ? sizeof(struct tcphdr) : sizeof(struct udphdr));
}

/* Sums 16-bit big-endian words; a trailing odd byte is the high half. */
__u32 pg_csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u64 s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (__u32)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u32)s;
}

__u16 pg_csum_finish(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

/* Pseudo-header sum for the L4 checksum. */
static __u32 pseudo_sum(const struct pg_frame_spec *fs, __u8 proto,
			unsigned int l4_len)
{
	__u32 sum;

	if (fs->ipv6) {
		sum = pg_csum_add(0, &fs->src6, sizeof(fs->src6));
		sum = pg_csum_add(sum, &fs->dst6, sizeof(fs->dst6));
	} else {
		sum = pg_csum_add(0, &fs->src4, sizeof(fs->src4));
		sum = pg_csum_add(sum, &fs->dst4, sizeof(fs->dst4));
	}
	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

int pg_frame_build(const struct pg_frame_spec *fs, __u8 *buf)
{
	unsigned int hdr_len = pg_frame_hdr_len(fs->ipv6, fs->tcp);
	__u8 proto = fs->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	struct ethhdr *eth = (struct ethhdr *)buf;
	unsigned int ip_len, l4_len, l4_off;
	__u8 *l4;
	__u32 sum;

	if (fs->len < hdr_len || fs->len < PG_FRAME_MIN)
		return -EINVAL;
	memset(buf, 0, fs->len);

	memcpy(eth->h_dest, fs->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, fs->src_mac, ETH_ALEN);
	eth->h_proto = htons(fs->ipv6 ? ETH_P_IPV6 : ETH_P_IP);

	l4_off = hdr_len - (fs->tcp ? sizeof(struct tcphdr) :
				     sizeof(struct udphdr));
	l4 = buf + l4_off;
	/* A SYN stops at its header; a datagram takes the whole frame. */
	l4_len = fs->tcp ? sizeof(struct tcphdr) : fs->len - l4_off;

	if (fs->ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);

		ip6->version = 6;
		ip6->payload_len = htons(l4_len);
		ip6->nexthdr = proto;
		ip6->hop_limit = PG_TTL;
		ip6->saddr = fs->src6;
		ip6->daddr = fs->dst6;
	} else {
		struct iphdr *iph = (struct iphdr *)(eth + 1);

		ip_len = sizeof(*iph) + l4_len;
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tot_len = htons(ip_len);
		iph->ttl = PG_TTL;
		iph->protocol = proto;
		iph->saddr = fs->src4.s_addr;
		iph->daddr = fs->dst4.s_addr;
		iph->check = pg_csum_finish(pg_csum_add(0, iph, sizeof(*iph)));
	}

	if (fs->tcp) {
		struct tcphdr *th = (struct tcphdr *)l4;

		th->source = htons(fs->sport);
		th->dest = htons(fs->dport);
		th->seq = htonl(PG_TCP_SEQ);
		th->doff = sizeof(*th) / 4;
		th->syn = 1;
		th->window = htons(PG_TCP_WINDOW);
		sum = pg_csum_add(pseudo_sum(fs, proto, l4_len), th, l4_len);
		th->check = pg_csum_finish(sum);
	} else {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(fs->sport);
		uh->dest = htons(fs->dport);
		uh->len = htons(l4_len);
		sum = pg_csum_add(pseudo_sum(fs, proto, l4_len), uh, l4_len);
		uh->check = pg_csum_finish(sum);
		/* Zero means "no checksum" in UDP; its complement is the same
		 * value in one's complement.
		 */
		if (!uh->check)
			uh->check = 0xffff;
	}
	return hdr_len;
}
