/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Builds test frames: Ethernet, VLAN tags, IPv4 (with options) or IPv6
 * (with extension headers), TCP/UDP/SCTP/ICMP/ICMPv6, fragments, all with
 * correct checksums, so tests can compare a datapath's output bytes
 * against a frame built the way it should look.
 */
#ifndef XGATE_TESTS_PKTBUILD_H
#define XGATE_TESTS_PKTBUILD_H

#include <stddef.h>
#include <linux/types.h>

enum pkt_frag {
	PKT_FRAG_NONE = 0,
	PKT_FRAG_FIRST, /* offset 0, more fragments */
	PKT_FRAG_MIDDLE, /* offset > 0, more fragments */
	PKT_FRAG_LAST, /* offset > 0, no more */
};

struct pkt_spec {
	int family; /* 4 or 6 */
	const char *src, *dst;
	__u8 proto;
	__u16 sport, dport; /* host order */
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	__u16 icmp_id;
	int vlans; /* number of tags: first 0x88a8 when 2+, then 0x8100 */
	int ip4_optlen; /* bytes of IPv4 options (multiple of 4, <= 40) */
	int payload; /* L4 payload bytes (pattern-filled) */
	const __u8 *payload_bytes; /* or these bytes (e.g. an ICMP error's quote) */
	__u8 ttl; /* 0 = 64 */
	enum pkt_frag frag;
	__u16 frag_off8; /* offset in 8-byte units (MIDDLE/LAST) */
	__u32 frag_id;
	int nexts; /* IPv6 extension headers before L4 */
	__u8 exts[10];
	__u8 smac[6], dmac[6];
};

/* Returns the frame length, 0 when it does not fit. */
size_t pkt_build(__u8 *buf, size_t cap, const struct pkt_spec *s);
/* Offset of the IP header (after Ethernet and VLAN tags). */
size_t pkt_l3_off(const struct pkt_spec *s);
/* Offset of the L4 header. */
size_t pkt_l4_off(const struct pkt_spec *s);
/* Internet checksum helpers, exposed for tests that verify them. */
__u16 pkt_csum(const void *data, size_t len, __u32 sum);
/* 1 when the IPv4 header checksum and the L4 checksum of the frame verify. */
int pkt_csums_ok(const __u8 *frame, size_t len, const struct pkt_spec *s);
int pkt_parse_mac(const char *s, __u8 mac[6]);

#endif /* XGATE_TESTS_PKTBUILD_H */
