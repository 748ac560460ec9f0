// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "fastpath/pkt/frame.h"

#define ETH_HLEN 14
#define IP4_HLEN 20
#define IP6_HLEN 40
#define TCP_HLEN 20
#define PROTO_TCP 6

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int xg_tcp_frame_parse(const uint8_t *f, uint32_t len, struct xg_tcp_frame *t)
{
	uint32_t l3 = ETH_HLEN, l4, end, doff;
	uint16_t et;

	memset(t, 0, sizeof(*t));
	if (len < ETH_HLEN)
		return -EINVAL;
	et = rd16(f + 12);
	if (et == 0x0800) {
		uint32_t ihl;

		if (len < l3 + IP4_HLEN || (f[l3] >> 4) != 4)
			return -EINVAL;
		ihl = (uint32_t)(f[l3] & 0xf) * 4;
		/* fragments never come here: XDP reassembles nothing and
		 * sends only whole segments of an L7 flow */
		if (ihl < IP4_HLEN || f[l3 + 9] != PROTO_TCP ||
		    (rd16(f + l3 + 6) & 0x3fff))
			return -EINVAL;
		end = l3 + rd16(f + l3 + 2);
		l4 = l3 + ihl;
		t->family = 4;
		t->saddr = f + l3 + 12;
		t->daddr = f + l3 + 16;
	} else if (et == 0x86dd) {
		if (len < l3 + IP6_HLEN || (f[l3] >> 4) != 6 ||
		    f[l3 + 6] != PROTO_TCP)
			return -EINVAL;
		end = l3 + IP6_HLEN + rd16(f + l3 + 4);
		l4 = l3 + IP6_HLEN;
		t->family = 6;
		t->saddr = f + l3 + 8;
		t->daddr = f + l3 + 24;
	} else {
		return -EINVAL;
	}
	if (end > len || l4 + TCP_HLEN > end)
		return -EINVAL;
	doff = (uint32_t)(f[l4 + 12] >> 4) * 4;
	if (doff < TCP_HLEN || l4 + doff > end)
		return -EINVAL;
	t->l3 = (uint16_t)l3;
	t->l4 = (uint16_t)l4;
	t->payload = (uint16_t)(l4 + doff);
	t->payload_len = end - l4 - doff;
	t->len = end;
	t->sport = rd16(f + l4);
	t->dport = rd16(f + l4 + 2);
	t->seq = rd32(f + l4 + 4);
	t->ack = rd32(f + l4 + 8);
	t->flags = f[l4 + 13];
	t->window = rd16(f + l4 + 14);
	return 0;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* TCP checksum over the pseudo header and the segment at f + l4. */
static void tcp_csum(uint8_t *f, int family, uint32_t l3, uint32_t l4,
		     uint32_t seglen)
{
	uint32_t sum = 0;
	uint8_t *c = f + l4 + 16;

	c[0] = c[1] = 0;
	if (family == 4)
		sum = csum_add(sum, f + l3 + 12, 8);
	else
		sum = csum_add(sum, f + l3 + 8, 32);
	sum += PROTO_TCP + seglen;
	sum = csum_add(sum, f + l4, seglen);
	wr16(c, csum_fold(sum));
}

static void ip4_csum(uint8_t *ip, uint32_t hlen)
{
	ip[10] = ip[11] = 0;
	wr16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
}

uint32_t xg_tcp_seg_size(const struct xg_tcp_seg *s)
{
	return ETH_HLEN + (s->family == 4 ? IP4_HLEN : IP6_HLEN) + TCP_HLEN +
	       s->payload_len;
}

uint32_t xg_tcp_seg_build(uint8_t *f, uint32_t cap, const struct xg_tcp_seg *s)
{
	uint32_t l3 = ETH_HLEN, l4, len = xg_tcp_seg_size(s);
	uint32_t seglen = TCP_HLEN + s->payload_len;

	if (len > cap)
		return 0;
	memset(f, 0, len - s->payload_len);
	memcpy(f, s->dst.mac, 6);
	memcpy(f + 6, s->src.mac, 6);
	if (s->family == 4) {
		uint8_t *ip = f + l3;

		wr16(f + 12, 0x0800);
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(IP4_HLEN + seglen));
		wr16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = PROTO_TCP;
		memcpy(ip + 12, s->src.addr, 4);
		memcpy(ip + 16, s->dst.addr, 4);
		ip4_csum(ip, IP4_HLEN);
		l4 = l3 + IP4_HLEN;
	} else {
		uint8_t *ip = f + l3;

		wr16(f + 12, 0x86dd);
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)seglen);
		ip[6] = PROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, s->src.addr, 16);
		memcpy(ip + 24, s->dst.addr, 16);
		l4 = l3 + IP6_HLEN;
	}
	wr16(f + l4, s->src.port);
	wr16(f + l4 + 2, s->dst.port);
	wr32(f + l4 + 4, s->seq);
	wr32(f + l4 + 8, s->ack);
	f[l4 + 12] = (TCP_HLEN / 4) << 4;
	f[l4 + 13] = s->flags;
	wr16(f + l4 + 14, s->window);
	if (s->payload_len)
		memcpy(f + l4 + TCP_HLEN, s->payload, s->payload_len);
	tcp_csum(f, s->family, l3, l4, seglen);
	return len;
}

uint32_t xg_tcp_frame_trim(uint8_t *f, const struct xg_tcp_frame *t,
			   uint32_t keep)
{
	uint32_t seglen, hdr = (uint32_t)(t->payload - t->l4);

	if (keep >= t->payload_len)
		return t->len;
	seglen = hdr + keep;
	if (t->family == 4) {
		uint32_t ihl = (uint32_t)(t->l4 - t->l3);

		wr16(f + t->l3 + 2, (uint16_t)(ihl + seglen));
		ip4_csum(f + t->l3, ihl);
	} else {
		wr16(f + t->l3 + 4, (uint16_t)seglen);
	}
	/* A cut segment no longer ends the stream. */
	f[t->l4 + 13] &= (uint8_t)~0x01;
	tcp_csum(f, t->family, t->l3, t->l4, seglen);
	return t->payload + keep;
}
