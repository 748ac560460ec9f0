// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the L7 flow engine (fastpath/engine/engine.c).
 * The input is a client byte stream and a script of what happens to it:
 * segments of the stream (anywhere near it, any length, in any order,
 * with FIN, RST or SYN now and then), segments with a byte altered,
 * time passing with xg_fp_tick, a conntrack stub that moves, expiry, a
 * ruleset id the table does not have, frames without metadata.  Two
 * flows share the stream, IPv4 or IPv6, with the engine's limits from
 * the header (the stream buffer and the hold limit small or not).
 *
 * Checked for every frame the engine sends: it parses, its checksums
 * verify, and
 * - toward the server (out_ifindex) it is one of the frames fed in, byte
 *   for byte; or one of them cut short (the same headers but for the
 *   lengths, the checksums and FIN; its payload a prefix of the
 *   original's); or the engine's own reset (flags RST alone, no
 *   payload), after which nothing more goes to that server until the
 *   flow is forgotten;
 * - toward the client (in_ifindex) it comes from the server to the
 *   client and is a reset, a bare ACK (the engine acknowledging held
 *   bytes in the server's name) or one of the three answers (403, 400,
 *   431) with FIN.
 * Nothing else goes anywhere.  When the engine resets the server at a
 * sequence number, every stream byte before it has reached the server
 * (unless the flow may have been forgotten and met again, or a frame
 * was dropped over the hold limit).  And no crash, no leak (every flow is
 * freed by xg_fp_engine_fini, which waits for call_rcu).
 *
 * Layout: cfg (1 byte), isn (4, little-endian), stream length (2), the
 * stream, then 6-byte operations (see run()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "fastpath/engine/engine.h"
#include "fastpath/l7/match.h"
#include "fastpath/pkt/frame.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

#define IF_IN 2
#define IF_OUT 3
#define RULESET 7
#define STREAM_MAX 4096
#define SEG_MAX 1460
#define OPS_MAX 400
#define FLOWS 2
#define COVER (STREAM_MAX + 64)

static const uint8_t CLI_MAC[6] = { 0x02, 0, 0, 0, 0xc1, 0x01 };
static const uint8_t GW_IN_MAC[6] = { 0x02, 0, 0, 0, 0x91, 0x02 };
static const uint8_t GW_OUT_MAC[6] = { 0x02, 0, 0, 0, 0x90, 0x03 };
static const uint8_t SRV_MAC[6] = { 0x02, 0, 0, 0, 0x5e, 0x04 };

static const char *const ANSWERS[] = {
	"HTTP/1.1 403 Forbidden\r\ncontent-length: 15\r\n"
	"content-type: text/plain\r\nconnection: close\r\n\r\n"
	"Access denied\r\n",
	"HTTP/1.1 400 Bad Request\r\ncontent-length: 13\r\n"
	"content-type: text/plain\r\nconnection: close\r\n\r\n"
	"Bad Request\r\n",
	"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 33\r\n"
	"content-type: text/plain\r\nconnection: close\r\n\r\n"
	"Request Header Fields Too Large\r\n",
};

static struct xg_l7_table *table;

/* What was fed in, to recognise what comes out. */
struct input {
	uint32_t len;
	uint8_t *b;
};

static struct {
	int family;
	uint8_t cli[16], srv[16];
	uint32_t isn;
	uint32_t ack;
	uint32_t ruleset;
	bool no_isn;
	struct input in[OPS_MAX];
	size_t n_in;
	bool srv_reset[FLOWS]; /* the engine reset that server */
	/* stream bytes [0, COVER) that reached the server, per flow */
	uint8_t covered[FLOWS][COVER];
	bool recreated[FLOWS]; /* the engine may have forgotten the flow */
	struct xg_fp_engine *e;
	bool removed; /* a flow may have been handed to call_rcu */
	/* conntrack stub */
	int ct_rc;
	uint32_t srv_nxt, cli_ack, srv_ack;
} S;

static size_t alen(void)
{
	return S.family == 4 ? 4 : 16;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_csums(const uint8_t *f, const struct xg_tcp_frame *t)
{
	uint32_t sum, seglen = t->len - t->l4;

	if (t->family == 4) {
		CHECK(csum_fold(csum_add(0, f + t->l3, t->l4 - t->l3)) == 0xffff);
		sum = csum_add(0, f + t->l3 + 12, 8);
	} else {
		sum = csum_add(0, f + t->l3 + 8, 32);
	}
	sum += 6 + seglen;
	CHECK(csum_fold(csum_add(sum, f + t->l4, seglen)) == 0xffff);
}

static int flow_of(uint16_t cport)
{
	CHECK(cport >= 40000 && cport < 40000 + FLOWS);
	return cport - 40000;
}

/* o cut short to t: equal but for the IP length and checksum, FIN and
 * the TCP checksum; the payload a proper prefix. */
static bool is_cut(const uint8_t *f, const struct xg_tcp_frame *t,
		   const struct input *in)
{
	struct xg_tcp_frame o;
	uint8_t a[128], b[128];
	uint32_t h = t->payload;

	if (xg_tcp_frame_parse(in->b, in->len, &o) || o.payload != t->payload ||
	    t->payload_len >= o.payload_len || h > sizeof(a))
		return false;
	memcpy(a, f, h);
	memcpy(b, in->b, h);
	if (t->family == 4) {
		memset(a + t->l3 + 2, 0, 2);
		memset(b + t->l3 + 2, 0, 2);
		memset(a + t->l3 + 10, 0, 2);
		memset(b + t->l3 + 10, 0, 2);
	} else {
		memset(a + t->l3 + 4, 0, 2);
		memset(b + t->l3 + 4, 0, 2);
	}
	a[t->l4 + 13] &= (uint8_t)~0x01;
	b[t->l4 + 13] &= (uint8_t)~0x01;
	memset(a + t->l4 + 16, 0, 2);
	memset(b + t->l4 + 16, 0, 2);
	return !memcmp(a, b, h) &&
	       !memcmp(f + h, in->b + h, t->payload_len);
}

/* A frame toward the server carries these stream bytes. */
static void cover(int fl, const struct xg_tcp_frame *t)
{
	int64_t off = (int32_t)(t->seq + !!(t->flags & 0x02) - S.isn);

	for (uint32_t i = 0; i < t->payload_len; i++)
		if (off + i >= 0 && off + i < COVER)
			S.covered[fl][off + i] = 1;
}

/* The engine resets the server at seq: the server is to have had every
 * byte before it (they were judged allowed, or a body of an allowed
 * request), unless the engine may have forgotten the flow, or took bytes
 * in whose frame it then dropped (HELD_FULL: TCP would resend it, but a
 * refused flow's frames go nowhere). */
static void check_covered(int fl, uint32_t seq)
{
	uint64_t c[XG_FP_C__MAX];
	int64_t end = (int32_t)(seq - S.isn);

	xg_fp_counters(S.e, c);
	if (S.no_isn || S.recreated[fl] || c[XG_FP_C_HELD_FULL])
		return;
	CHECK(end >= 0);
	for (int64_t i = 0; i < end && i < COVER; i++)
		if (!S.covered[fl][i]) {
			fprintf(stderr, "flow %d: reset at +%lld, byte +%lld "
				"never sent\n", fl, (long long)end,
				(long long)i);
			CHECK(!"a byte before the server's reset never reached it");
		}
}

static int out_send(void *arg, uint32_t ifindex, const uint8_t *f,
		    uint32_t len)
{
	struct xg_tcp_frame t;
	int fl;

	(void)arg;
	CHECK(!xg_tcp_frame_parse(f, len, &t));
	CHECK(t.len == len);
	CHECK(t.family == S.family);
	check_csums(f, &t);
	if (ifindex == IF_OUT) {
		CHECK(!memcmp(f, SRV_MAC, 6) && !memcmp(f + 6, GW_OUT_MAC, 6));
		CHECK(!memcmp(t.saddr, S.cli, alen()));
		CHECK(!memcmp(t.daddr, S.srv, alen()));
		fl = flow_of(t.sport);
		if (t.flags == 0x04) { /* the engine's reset */
			CHECK(t.payload_len == 0);
			check_covered(fl, t.seq);
			S.srv_reset[fl] = true;
			return 0;
		}
		CHECK(!S.srv_reset[fl]);
		for (size_t i = 0; i < S.n_in; i++) {
			const struct input *in = &S.in[i];

			if (in->len == len && !memcmp(in->b, f, len)) {
				if (t.flags & 0x04) { /* the client's: flow gone */
					S.srv_reset[fl] = false;
					S.recreated[fl] = true;
				}
				cover(fl, &t);
				return 0;
			}
		}
		for (size_t i = 0; i < S.n_in; i++)
			if (is_cut(f, &t, &S.in[i])) {
				cover(fl, &t);
				return 0;
			}
		CHECK(!"a frame to the server that was not fed in");
	}
	CHECK(ifindex == IF_IN);
	CHECK(!memcmp(f, CLI_MAC, 6) && !memcmp(f + 6, GW_IN_MAC, 6));
	CHECK(!memcmp(t.saddr, S.srv, alen()));
	CHECK(!memcmp(t.daddr, S.cli, alen()));
	CHECK(t.sport == 80);
	(void)flow_of(t.dport);
	if (t.flags & 0x04 || t.flags == 0x10) {
		/* a reset, or an acknowledgment in the server's name */
		CHECK(t.payload_len == 0);
		return 0;
	}
	CHECK(t.flags == 0x19);
	for (size_t i = 0; i < sizeof(ANSWERS) / sizeof(ANSWERS[0]); i++)
		if (t.payload_len == strlen(ANSWERS[i]) &&
		    !memcmp(f + t.payload, ANSWERS[i], t.payload_len))
			return 0;
	CHECK(!"an answer that is none of the three");
	return 0;
}

static int ct_stub(void *arg, const struct xg_flow_key *key,
		   struct xg_fp_ct_view *v)
{
	(void)arg;
	(void)key;
	if (S.ct_rc)
		return S.ct_rc;
	v->srv_nxt = S.srv_nxt;
	v->cli_ack = S.cli_ack;
	v->srv_ack = S.srv_ack;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct xg_l7_http rules[] = {
		{ .method = (char *)"GET", .path = (char *)"/public(/.*)?" },
		{ .method = (char *)"POST", .path = (char *)"/upload" },
	};
	struct xg_l7_ruleset rs = { .id = RULESET, .rules = rules, .n = 2 };
	struct xg_err err = {};

	(void)argc;
	(void)argv;
	rcu_register_thread(); /* for good: libFuzzer's thread */
	table = xg_l7_table_build(&rs, 1, 1, NULL, &err);
	CHECK(table);
	return 0;
}

static void feed(struct xg_fp_engine *e, const struct xg_fp_out *out,
		 int flow, int32_t off, const uint8_t *p, uint32_t n,
		 uint8_t flags, int meta_kind, uint64_t now)
{
	struct xg_tcp_seg s = { .family = S.family };
	struct xg_xsk_meta m;
	uint8_t *buf;
	uint32_t cap = 14 + 40 + 20 + n, len;

	if (S.n_in == OPS_MAX)
		return;
	memcpy(s.src.mac, GW_OUT_MAC, 6);
	memcpy(s.dst.mac, SRV_MAC, 6);
	memcpy(s.src.addr, S.cli, alen());
	memcpy(s.dst.addr, S.srv, alen());
	s.src.port = (uint16_t)(40000 + flow);
	s.dst.port = 80;
	s.seq = S.isn + (uint32_t)off - !!(flags & 0x02);
	s.ack = S.ack;
	s.flags = flags;
	s.window = 502;
	s.payload = p;
	s.payload_len = n;
	buf = malloc(cap);
	CHECK(buf);
	len = xg_tcp_seg_build(buf, cap, &s);
	CHECK(len);
	S.in[S.n_in].b = buf;
	S.in[S.n_in].len = len;
	S.n_in++;

	memset(&m, 0, sizeof(m));
	m.magic = meta_kind == 1 ? 0 : XG_XSK_META_MAGIC;
	m.l7_ruleset = S.ruleset;
	m.isn = S.isn;
	m.in_ifindex = IF_IN;
	m.out_ifindex = IF_OUT;
	m.flow_created_ns = 1ull << 62;
	m.flags = S.no_isn ? 0 : XG_XSK_META_F_ISN;
	memcpy(m.in_src, CLI_MAC, 6);
	memcpy(m.in_dst, GW_IN_MAC, 6);
	memcpy(m.ct_key.a, S.cli, alen());
	memcpy(m.ct_key.b, S.srv, alen());
	m.ct_key.family = (uint8_t)S.family;
	m.ct_key.proto = 6;
	xg_fp_handle(e, 0, out, meta_kind == 2 ? NULL : &m, buf, len, now);
}

static void run(const uint8_t *data, size_t size)
{
	struct xg_fp_limits lim = XG_FP_LIMITS_DEFAULT;
	struct xg_fp_out out = { .send = out_send };
	struct xg_fp_engine e;
	uint8_t seg[SEG_MAX];
	const uint8_t *stream;
	uint64_t now = 1000ull * 1000000000ull;
	size_t L, pos;
	uint8_t cfg;

	if (size < 7)
		return;
	cfg = data[0];
	memset(&S, 0, sizeof(S));
	S.family = cfg & 1 ? 6 : 4;
	if (S.family == 4) {
		const uint8_t c[4] = { 10, 0, 0, 1 }, s[4] = { 10, 0, 1, 2 };

		memcpy(S.cli, c, 4);
		memcpy(S.srv, s, 4);
	} else {
		inet_pton(AF_INET6, "2001:db8::c1", S.cli);
		inet_pton(AF_INET6, "2001:db8:1::5e", S.srv);
	}
	S.no_isn = cfg & 4;
	S.isn = (uint32_t)data[1] | (uint32_t)data[2] << 8 |
		(uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
	S.ack = 0x5000;
	S.ruleset = RULESET;
	L = (size_t)data[5] | (size_t)data[6] << 8;
	if (L > STREAM_MAX)
		L = STREAM_MAX;
	if (L > size - 7)
		L = size - 7;
	stream = data + 7;
	pos = 7 + L;
	switch ((cfg >> 3) & 3) {
	case 1:
		lim.stream_buffer = 1024;
		lim.max_head = 512;
		break;
	case 2:
		lim.max_held = 4;
		break;
	case 3:
		lim.stream_buffer = 2048;
		lim.max_head = 1024;
		lim.max_held = 16;
		lim.idle_ns = 1000000000ull;
		break;
	}
	CHECK(!xg_fp_engine_init(&e, &lim, 1));
	S.e = &e;
	rcu_assign_pointer(e.table, table); /* shared: taken back below */
	if (cfg & 2) {
		e.ct_lookup = ct_stub;
		e.ct_arg = NULL;
	}

	for (; pos + 6 <= size && S.n_in < OPS_MAX; pos += 6) {
		const uint8_t *op = data + pos;
		uint32_t a = (uint32_t)op[1] | (uint32_t)op[2] << 8;
		uint32_t b = (uint32_t)op[3] | (uint32_t)(op[4] & 0x07) << 8;
		int flow = (op[5] >> 1) & 1;

		switch (op[0] & 7) {
		case 0:
		case 1:
		case 2:
		case 3: {
			/* a slice of the stream, from a little before its
			 * start to a little past its end */
			int32_t off = (int32_t)(a % (L + 64)) - 32;
			uint32_t n = b % SEG_MAX, lo, hi;
			uint8_t flags = 0x18;

			lo = off < 0 ? 0 : (uint32_t)off;
			hi = (uint32_t)((int64_t)off + n);
			if ((int64_t)off + n < 0)
				hi = 0;
			if (hi > L)
				hi = (uint32_t)L;
			if (hi < lo)
				hi = lo;
			/* bytes before the stream's start are zeros */
			memset(seg, 0, sizeof(seg));
			n = off < 0 ? (uint32_t)(hi - off) : hi - lo;
			if (n > SEG_MAX)
				n = SEG_MAX;
			if (hi > lo)
				memcpy(seg + (off < 0 ? -off : 0), stream + lo,
				       hi - lo);
			if ((op[0] & 7) == 3 && n)
				seg[op[5] % n] ^= (uint8_t)(op[4] | 1);
			if (op[5] & 0x01)
				flags |= 0x01; /* FIN */
			if ((op[5] & 0xf0) == 0xf0)
				flags = 0x14; /* RST */
			if ((op[5] & 0xf0) == 0xe0 && off == 0)
				flags = 0x02; /* SYN with data */
			feed(&e, &out, flow, off, seg, n, flags, 0, now);
			if (flags & 0x04) /* a reset ends the flow */
				S.removed = true;
			break;
		}
		case 4:
			now += (uint64_t)a * 100000ull; /* up to 6.5 s */
			/* time passes: so do grace periods (what was handed to
			 * call_rcu is freed, for ASan to see any later use) */
			if (S.removed) {
				rcu_barrier();
				S.removed = false;
			}
			xg_fp_tick(&e, 0, &out, now);
			break;
		case 5:
			if (op[3] & 4) /* the server acknowledges up to a point */
				S.srv_ack = op[3] & 8 ?
						    S.isn + (uint32_t)(a % (L + 1)) :
						    0;
			S.srv_nxt += a;
			S.cli_ack = op[3] & 1 ? S.srv_nxt : S.cli_ack + b;
			S.ct_rc = op[3] & 2 ? -ENOENT : 0;
			break;
		case 6: {
			unsigned long before = xg_fp_flow_count(&e);

			now += (uint64_t)a * 100000000ull; /* up to 6500 s */
			xg_fp_expire(&e, now);
			S.removed = true;
			if (xg_fp_flow_count(&e) < before) {
				memset(S.srv_reset, 0, sizeof(S.srv_reset));
				memset(S.recreated, 1, sizeof(S.recreated));
			}
			break;
		}
		case 7:
			if (op[1] & 1)
				S.ruleset = S.ruleset == RULESET ? 99 : RULESET;
			if (op[1] & 2)
				S.ack += b;
			if (op[1] & 4) /* a frame without (valid) metadata */
				feed(&e, &out, flow, 0, stream, L < 10 ? (uint32_t)L : 10,
				     0x18, 1 + (op[1] >> 3 & 1), now);
			break;
		}
	}
	/* everything waiting goes */
	while (xg_fp_tick(&e, 0, &out, now += 100000000ull))
		;
	rcu_assign_pointer(e.table, NULL);
	xg_fp_engine_fini(&e);
	for (size_t i = 0; i < S.n_in; i++)
		free(S.in[i].b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}
