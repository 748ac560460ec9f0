// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the input is one Ethernet frame.  It goes through
 * the parser (xdp/parse.h) and then, three times, through the whole
 * native pipeline under a small fixed policy: as a new flow, as a packet
 * of the flow it created, and after a policy revision bump (the
 * re-check path).  The frame sits in a heap block of exactly its size,
 * 2 bytes in (NET_IP_ALIGN; the block itself is 16-aligned), so ASan
 * sees any read past data_end and UBSan any misaligned header access.
 *
 * Invariants checked beyond "no sanitizer report":
 *   - the parser returns a reason < XG_DROP__MAX and never writes;
 *   - on success, family is 0, 4 or 6, and for IP the offsets lie inside
 *     the frame, with a whole L4 header when ports were read from it;
 *   - the pipeline returns XDP_DROP, XDP_PASS or XDP_REDIRECT, drops
 *     whatever the parser rejects, and counts every packet once (and
 *     every drop once, under a valid reason);
 *   - events carry a valid type, verdict and reason.
 */
#ifndef XG_NATIVE_EXTERN
#define XG_NATIVE_EXTERN 1
#endif

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/entries.h"
#include "ctrl/policy_state.h"
#include "xdp/native/datapath.h"
#include "xdp/parse.h"
#include "tests/lib/native_ms.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* The world the seeds are written for (tests/fuzz/gen_seeds.c). */
#define ID_CLIENT 1001
#define ID_BACKEND 2001
#define ID_LOCKED 2009 /* enforced, nothing allowed */
#define IF_FRONT 11
#define IF_BACK 12

static const struct {
	const char *prefix;
	__u32 id;
} ipcache[] = {
	{ "10.0.0.0/24", ID_CLIENT },	   { "10.0.1.0/24", ID_BACKEND },
	{ "10.0.1.9", ID_LOCKED },	   { "2001:db8::/64", ID_CLIENT },
	{ "2001:db8:1::/64", ID_BACKEND }, { "2001:db8:1::9", ID_LOCKED },
};

#define IN(peer, proto, lo, hi, l7, cookie)                                    \
	{ ID_BACKEND, peer, XG_DIR_INGRESS, XG_ACT_ALLOW, proto, 0,            \
	  lo,	      hi,   l7,		    cookie }

static const struct xg_rule rules[] = {
	IN(ID_CLIENT, XG_IPPROTO_TCP, 80, 80, 0, 1),
	IN(ID_CLIENT, XG_IPPROTO_TCP, 8080, 8080, 5, 2), /* L7: to the xsk */
	IN(ID_CLIENT, XG_IPPROTO_TCP, 9000, 9000, 6, 3), /* L7, queue 1: none */
	IN(0, XG_IPPROTO_UDP, 53, 53, 0, 4),
	IN(ID_CLIENT, XG_IPPROTO_ICMP, 8, 8, 0, 5),
	IN(ID_CLIENT, XG_IPPROTO_ICMPV6, 128, 128, 0, 6),
	IN(ID_CLIENT, XG_IPPROTO_SCTP, 1000, 2000, 0, 7),
	IN(ID_CLIENT, XG_IPPROTO_UDP, 1024, 65535, 0, 8),
	{ ID_BACKEND, ID_CLIENT, XG_DIR_INGRESS, XG_ACT_DENY, XG_IPPROTO_TCP, 0,
	  22, 22, 0, 9 },
	{ ID_CLIENT, 0, XG_DIR_EGRESS, XG_ACT_ALLOW, 0, 0, 0, 65535, 0, 10 },
	{ ID_CLIENT, ID_LOCKED, XG_DIR_EGRESS, XG_ACT_DENY, 0, 0, 0, 65535, 0,
	  11 },
};

static const struct xg_enforce enforce[] = {
	{ .subject = ID_LOCKED, .dir = XG_DIR_INGRESS },
};

/* Backends are one hop away on the back leg; 10.0.2.0/24 has no
 * neighbour yet; everything else is not ours to forward. */
static int fib(struct bpf_fib_lookup *p)
{
	static const __u8 mac[6] = { 2, 0, 0, 0, 1, 1 };
	__u8 d[16] = {};

	if (p->family == 2) {
		memcpy(d, &p->ipv4_dst, 4);
		if (d[0] == 10 && d[1] == 0 && d[2] == 2)
			return BPF_FIB_LKUP_RET_NO_NEIGH;
		if (!(d[0] == 10 && d[1] == 0 && d[2] == 1))
			return BPF_FIB_LKUP_RET_NOT_FWDED;
	} else {
		static const __u8 net[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };

		memcpy(d, p->ipv6_dst, 16);
		if (memcmp(d, net, 8))
			return BPF_FIB_LKUP_RET_NOT_FWDED;
	}
	p->ifindex = IF_BACK;
	memcpy(p->dmac, mac, 6);
	memcpy(p->smac, mac, 6);
	return BPF_FIB_LKUP_RET_SUCCESS;
}

static void on_event(const void *data, __u64 size, void *arg)
{
	const struct xg_event *ev = data;

	CHECK(size == sizeof(*ev));
	CHECK(ev->type == XG_EV_DROP || ev->type == XG_EV_VERDICT);
	CHECK(ev->verdict < XG_VERDICT__MAX);
	CHECK(ev->reason < XG_DROP__MAX);
	if (ev->type == XG_EV_DROP)
		CHECK(ev->reason != XG_DROP_NONE &&
		      ev->verdict == XG_VERDICT_DROP);
	else
		CHECK(ev->reason == XG_DROP_NONE);
	(*(unsigned long *)arg)++;
}

static unsigned long nevents;

static void setup(void)
{
	struct xg_mapset *ms = nms_native();
	struct xg_policy_sync sync = {};
	struct xg_policy_set set;
	struct xg_err err = {};
	__u32 q = 0, fd = 3, ifx = IF_BACK;

	xg_native_reset();
	for (size_t i = 0; i < ARRAY_SIZE(ipcache); i++) {
		struct xg_prefix p;

		if (xg_prefix_parse(ipcache[i].prefix, &p, &err) ||
		    xg_ipcache_set(ms, &p, ipcache[i].id))
			abort();
	}
	if (xg_policy_compile(rules, ARRAY_SIZE(rules), enforce,
			      ARRAY_SIZE(enforce), &set, &err)) {
		fprintf(stderr, "fuzz_parse: policy: %s: %s\n", err.where,
			err.msg);
		abort();
	}
	if (xg_policy_sync_apply(&sync, ms, &set, NULL))
		abort();
	xg_policy_sync_free(&sync);
	xg_policy_set_free(&set);
	if (xg_txport_add(ms, ifx) || xg_nmap_update(&xg_xsks, &q, &fd, 0))
		abort();
	xg_native_fib = fib;
	xg_native_set_ring(on_event, &nevents);
}

static __u64 total(struct xg_nmap *m, __u32 slots)
{
	__u64 n = 0;

	for (__u32 i = 0; i < slots; i++) {
		struct xg_counter *c = xg_nmap_lookup(m, &i);

		if (c)
			n += c->packets;
	}
	return n;
}

static void check_parse(const __u8 *frame, size_t len, int reason,
			const struct xg_pkt *pkt)
{
	size_t l3min, l4hdr = 0;

	CHECK(reason >= 0 && reason < XG_DROP__MAX);
	CHECK(pkt->len == len);
	if (reason != XG_DROP_NONE)
		return;
	CHECK(pkt->family == 0 || pkt->family == XG_FAMILY_V4 ||
	      pkt->family == XG_FAMILY_V6);
	if (!pkt->family)
		return;
	l3min = pkt->family == XG_FAMILY_V4 ? 20 : 40;
	CHECK(pkt->l3_off >= sizeof(struct xg_eth));
	CHECK(pkt->l3_off <= sizeof(struct xg_eth) + 4 * XG_MAX_VLAN_DEPTH);
	CHECK((size_t)pkt->l3_off + l3min <= pkt->l4_off);
	CHECK(pkt->l4_off <= len);
	CHECK(pkt->frag <= XG_FRAG_LATER);
	if (pkt->frag == XG_FRAG_LATER) {
		CHECK(!pkt->has_ports);
		return;
	}
	CHECK(pkt->has_ports);
	switch (pkt->proto) {
	case XG_IPPROTO_TCP:
		l4hdr = sizeof(struct xg_tcp);
		break;
	case XG_IPPROTO_UDP:
		l4hdr = sizeof(struct xg_udp);
		break;
	case XG_IPPROTO_SCTP:
		l4hdr = sizeof(struct xg_sctp);
		break;
	case XG_IPPROTO_ICMP:
	case XG_IPPROTO_ICMPV6:
		l4hdr = sizeof(struct xg_icmp);
		break;
	}
	CHECK((size_t)pkt->l4_off + l4hdr <= len);
	if (pkt->proto == XG_IPPROTO_TCP) {
		/* The ports are the frame's, where l4_off says. */
		CHECK(!memcmp(&pkt->sport, frame + pkt->l4_off, 2));
		CHECK(!memcmp(&pkt->dport, frame + pkt->l4_off + 2, 2));
	}
}

/* One pass through the pipeline; returns the action. */
static int run(struct xg_native_ctx *ctx, size_t len)
{
	__u64 v0 = total(&xg_verdicts, XG_VERDICT_SLOTS);
	__u64 d0 = total(&xg_drops, XG_DROPS_SLOTS);
	struct xg_pkt pkt = {};
	int reason, act;

	reason = xg_parse(ctx, &pkt);
	act = xg_native_run(ctx);
	CHECK(act == XDP_DROP || act == XDP_PASS || act == XDP_REDIRECT);
	if (reason != XG_DROP_NONE)
		CHECK(act == XDP_DROP);
	if (reason == XG_DROP_NONE && !pkt.family)
		CHECK(act == XDP_PASS);
	CHECK(total(&xg_verdicts, XG_VERDICT_SLOTS) == v0 + 1);
	CHECK(total(&xg_drops, XG_DROPS_SLOTS) == d0 + (act == XDP_DROP));
	CHECK(ctx->data_end == (__u8 *)ctx->data + len);
	xg_native_now_ns += 1000000; /* 1 ms */
	return act;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct xg_native_ctx ctx = { .ingress_ifindex = IF_FRONT };
	struct xg_pkt pkt = {};
	__u8 *block, *frame;
	int reason;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size > 0xffff)
		return 0; /* a frame's offsets are 16-bit */

	/* Flow state from earlier inputs would make crashes depend on the
	 * order inputs ran in: start each input from the policy alone. */
	xg_nmap_clear(&xg_ct);
	xg_nmap_clear(&xg_denycache);
	xg_nmap_clear(&xg_frag);
	xg_nmap_clear(&xg_evrate);

	block = malloc(size + 2);
	if (!block)
		return 0;
	frame = block + 2;
	memcpy(frame, data, size);
	ctx.data = frame;
	ctx.data_end = frame + size;

	reason = xg_parse(&ctx, &pkt);
	check_parse(frame, size, reason, &pkt);
	CHECK(!memcmp(frame, data, size)); /* the parser only reads */

	/* New flow, then the flow's next packet, then a policy change. */
	ctx.rx_queue_index = size & 1; /* queue 1 has no AF_XDP socket */
	run(&ctx, size);
	run(&ctx, size);
	if (xg_policy_rev_bump(nms_native(), NULL))
		abort();
	run(&ctx, size);

	free(block);
	return 0;
}
