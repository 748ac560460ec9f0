/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Wire formats the parser reads, defined here rather than taken from
 * vmlinux.h or the UAPI headers so both builds see identical layouts and
 * no bit-fields (whose order depends on the host).
 */
#ifndef XGATE_XDP_PROTO_H
#define XGATE_XDP_PROTO_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

#define XG_ETH_ALEN 6
#define XG_ETH_P_IP 0x0800
#define XG_ETH_P_IPV6 0x86DD
#define XG_ETH_P_8021Q 0x8100
#define XG_ETH_P_8021AD 0x88A8

#define XG_IPPROTO_HOPOPTS 0
#define XG_IPPROTO_ICMP 1
#define XG_IPPROTO_TCP 6
#define XG_IPPROTO_UDP 17
#define XG_IPPROTO_ROUTING 43
#define XG_IPPROTO_FRAGMENT 44
#define XG_IPPROTO_ICMPV6 58
#define XG_IPPROTO_NONE 59
#define XG_IPPROTO_DSTOPTS 60
#define XG_IPPROTO_SCTP 132

#define XG_IP_MF 0x2000
#define XG_IP_OFFMASK 0x1fff

#define XG_TCP_FIN 0x01
#define XG_TCP_SYN 0x02
#define XG_TCP_RST 0x04
#define XG_TCP_PSH 0x08
#define XG_TCP_ACK 0x10

#define XG_ICMP_ECHOREPLY 0
#define XG_ICMP_ECHO 8
#define XG_ICMPV6_ECHO 128
#define XG_ICMPV6_ECHOREPLY 129
#define XG_ICMPV6_ND_FIRST 133 /* router solicitation */
#define XG_ICMPV6_ND_LAST 137 /* redirect */

struct xg_eth {
	__u8 dst[XG_ETH_ALEN];
	__u8 src[XG_ETH_ALEN];
	__be16 proto;
};

struct xg_vlan {
	__be16 tci;
	__be16 proto; /* encapsulated ethertype */
};

struct xg_ip4 {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 proto;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

struct xg_ip6 {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct xg_ip6_opt { /* hop-by-hop, routing, destination options */
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-octet units, not counting the first 8 */
};

struct xg_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

struct xg_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset in the high nibble */
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

struct xg_udp {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
};

struct xg_sctp {
	__be16 source;
	__be16 dest;
	__be32 vtag;
	__le32 checksum;
};

struct xg_icmp { /* ICMP and ICMPv6 share the first 8 bytes' shape */
	__u8 type;
	__u8 code;
	__sum16 check;
	__be16 id;
	__be16 seq;
};

#endif /* XGATE_XDP_PROTO_H */
