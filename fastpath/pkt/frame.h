/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the fast path reads from and writes into TCP frames: parsing a
 * routed client segment (Ethernet, IPv4 or IPv6 without extension
 * headers, TCP), building the segments it answers with (the 403 to the
 * client, the reset to the server) and cutting a segment's payload
 * short (a pipelined segment whose tail is a denied request).
 */
#ifndef XGATE_FASTPATH_FRAME_H
#define XGATE_FASTPATH_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct xg_tcp_frame {
	int family; /* 4 or 6 */
	uint16_t l3, l4, payload; /* offsets */
	uint32_t payload_len;
	uint32_t len; /* frame bytes that belong to the packet */
	uint32_t seq, ack; /* host order */
	uint8_t flags;
	uint16_t window;
	const uint8_t *saddr, *daddr; /* into the frame: 4 or 16 bytes */
	uint16_t sport, dport; /* host order */
};

/* 0, or -EINVAL for anything but a well-formed untagged TCP segment. */
int xg_tcp_frame_parse(const uint8_t *f, uint32_t len, struct xg_tcp_frame *t);

/* One side of a connection as a reply addresses it. */
struct xg_tcp_end {
	uint8_t mac[6];
	uint8_t addr[16];
	uint16_t port; /* host order */
};

struct xg_tcp_seg {
	int family;
	struct xg_tcp_end src, dst;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	const void *payload;
	uint32_t payload_len;
};

/* Frame size a segment needs. */
uint32_t xg_tcp_seg_size(const struct xg_tcp_seg *s);
/* Writes the segment with every checksum; returns its length, 0 when
 * cap is too small. */
uint32_t xg_tcp_seg_build(uint8_t *f, uint32_t cap, const struct xg_tcp_seg *s);

/* Cuts the payload to keep bytes, fixing IP length and TCP checksum;
 * returns the new frame length. */
uint32_t xg_tcp_frame_trim(uint8_t *f, const struct xg_tcp_frame *t,
			   uint32_t keep);

/* Serial-number comparison of 32-bit sequence numbers. */
static inline int xg_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int xg_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

#endif /* XGATE_FASTPATH_FRAME_H */
