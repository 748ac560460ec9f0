/* SPDX-License-Identifier: GPL-2.0-only */
/* xgate-pktgen's template frame: Ethernet, IPv4 or IPv6, UDP or TCP SYN. */
#ifndef XGATE_PKTGEN_FRAME_H
#define XGATE_PKTGEN_FRAME_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/types.h>

/* Ethernet FCS: --size counts it, as kernel pktgen and DPDK Pktgen users
 * expect ("64-byte frames"); software frames do not carry it.
 */
#define PG_FCS_LEN 4
#define PG_FRAME_MIN 60		/* ETH_ZLEN */
#define PG_FRAME_MAX 1514	/* 1500-byte MTU, what a veth takes */

struct pg_frame_spec {
	bool ipv6;
	bool tcp;		/* TCP SYN, else UDP */
	__u8 dst_mac[ETH_ALEN];
	__u8 src_mac[ETH_ALEN];
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	__u16 sport, dport;	/* host order */
	unsigned int len;	/* frame length without FCS */
};

/* Bytes of Ethernet + IP + L4 header. */
unsigned int pg_frame_hdr_len(bool ipv6, bool tcp);

/* Writes the frame into buf (fs->len bytes) with valid IP and L4
 * checksums.  A UDP datagram fills the frame; a SYN carries no data and
 * the rest of the frame is Ethernet padding.  Returns the header length,
 * or -EINVAL when fs->len cannot hold the headers.
 */
int pg_frame_build(const struct pg_frame_spec *fs, __u8 *buf);

/* One's complement checksum of buf folded to 16 bits, not inverted;
 * start with sum 0 or a previous partial sum.
 */
__u32 pg_csum_add(__u32 sum, const void *buf, size_t len);
__u16 pg_csum_finish(__u32 sum);

#endif /* XGATE_PKTGEN_FRAME_H */
