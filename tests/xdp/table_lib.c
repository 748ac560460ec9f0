// SPDX-License-Identifier: GPL-2.0-only
/* Helpers the packet-table scenarios are written in; see table.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ctrl/entries.h"
#include "table.h"

__u8 icmp_proto(const struct tctx *t)
{
	return t->fam == 4 ? XG_IPPROTO_ICMP : XG_IPPROTO_ICMPV6;
}

__u8 echo_req(const struct tctx *t)
{
	return t->fam == 4 ? XG_ICMP_ECHO : XG_ICMPV6_ECHO;
}

__u8 echo_rep(const struct tctx *t)
{
	return t->fam == 4 ? XG_ICMP_ECHOREPLY : XG_ICMPV6_ECHOREPLY;
}

struct pk mk(const struct tctx *t, int proto, int src, int dst, __u16 sport,
	     __u16 dport, __u8 flags)
{
	const struct topo_host *hs = &topo_hosts[src], *hd = &topo_hosts[dst];
	struct pk p = { .src = src, .dst = dst };

	p.s.family = t->fam;
	p.s.src = t->fam == 4 ? hs->ip4 : hs->ip6;
	p.s.dst = t->fam == 4 ? hd->ip4 : hd->ip6;
	p.s.proto = proto == ICMP ? icmp_proto(t) : (__u8)proto;
	p.s.sport = sport;
	p.s.dport = dport;
	p.s.tcp_flags = flags;
	p.s.payload = 16;
	pkt_parse_mac(hs->mac ? hs->mac : "02:00:00:00:ee:ee", p.s.smac);
	pkt_parse_mac(topo_ifs[hs->leg].mac, p.s.dmac);
	return p;
}

struct pk mk_echo(const struct tctx *t, int src, int dst, int reply, __u16 id)
{
	struct pk p = mk(t, ICMP, src, dst, 0, 0, 0);

	p.s.icmp_type = reply ? echo_rep(t) : echo_req(t);
	p.s.icmp_id = id;
	return p;
}

static struct xg_rule rule(__u32 subj, __u32 peer, int proto, __u16 lo,
			   __u16 hi, __u8 dir, __u8 act)
{
	struct xg_rule r = {
		.subject = subj,
		.peer = peer,
		.dir = dir,
		.action = act,
		.proto = (__u8)proto,
		.port_lo = lo,
		.port_hi = hi,
		.cookie = subj * 100 + (act == XG_ACT_DENY ? 1 : 0),
	};

	if (!proto)
		r.port_lo = 0, r.port_hi = 65535;
	return r;
}

struct xg_rule allow_in(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi)
{
	return rule(subj, peer, proto, lo, hi, XG_DIR_INGRESS, XG_ACT_ALLOW);
}

struct xg_rule allow_out(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi)
{
	return rule(subj, peer, proto, lo, hi, XG_DIR_EGRESS, XG_ACT_ALLOW);
}

struct xg_rule deny_in(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi)
{
	return rule(subj, peer, proto, lo, hi, XG_DIR_INGRESS, XG_ACT_DENY);
}

void set_rules(struct tctx *t, const struct xg_rule *r, size_t n)
{
	struct xg_rule fixed[64];
	struct xg_policy_set set;
	struct xg_err e = {};
	int err;

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		fixed[i] = r[i];
		/* ICMP placeholder resolved per family */
		if (fixed[i].proto == (__u8)ICMP)
			fixed[i].proto = icmp_proto(t);
	}
	err = xg_policy_compile(fixed, n, NULL, 0, &set, &e);
	if (err)
		fail_msg("compile: %s: %s", e.where, e.msg);
	err = xg_policy_sync_apply(&t->sync, t->bk->maps(), &set, NULL);
	xg_policy_set_free(&set);
	if (err)
		fail_msg("policy sync: %d", err);
}

size_t build(const struct pk *p, __u8 *buf, size_t cap)
{
	size_t n = pkt_build(buf, cap, &p->s);

	if (!n)
		fail_msg("pkt_build failed");
	return n;
}

static __u64 counter(struct tctx *t, enum xg_map_id m, __u32 idx)
{
	struct xg_counter c = {};

	xg_ms_lookup(t->bk->maps(), m, &idx, &c);
	return c.packets;
}

__u64 drop_count(struct tctx *t, int reason)
{
	return counter(t, XG_M_DROPS, (__u32)reason);
}

static const char *act_str(int act)
{
	switch (act) {
	case XDP_DROP:
		return "DROP";
	case XDP_PASS:
		return "PASS";
	case XDP_REDIRECT:
		return "REDIRECT";
	case XDP_TX:
		return "TX";
	default:
		return "?";
	}
}

/* Runs a frame and checks action, verdict counter and drop reason. */
static void run_check(struct tctx *t, const char *what, __u8 *buf, size_t len,
		      size_t *out_len, int leg, int act, int verdict, int reason)
{
	__u64 v0 = counter(t, XG_M_VERDICTS, (__u32)verdict);
	__u64 d0 = reason >= 0 ? drop_count(t, reason) : 0;
	int got = t->bk->run(buf, len, out_len, leg);

	if (got != act)
		fail_msg("%s/%d %s: action %s, want %s", t->bk->name, t->fam,
			 what, act_str(got), act_str(act));
	if (counter(t, XG_M_VERDICTS, (__u32)verdict) != v0 + 1)
		fail_msg("%s/%d %s: verdict counter %d did not move",
			 t->bk->name, t->fam, what, verdict);
	if (reason > 0 && drop_count(t, reason) != d0 + 1) {
		int other = -1;

		for (int r = 1; r < XG_DROP__MAX; r++)
			if (drop_count(t, r))
				other = r;
		fail_msg("%s/%d %s: drop reason %d not counted (a count exists for %d)",
			 t->bk->name, t->fam, what, reason, other);
	}
}

static void expect_same(struct tctx *t, const char *what, const __u8 *got,
			size_t glen, const __u8 *want, size_t wlen)
{
	if (glen != wlen)
		fail_msg("%s/%d %s: output %zu bytes, want %zu", t->bk->name,
			 t->fam, what, glen, wlen);
	for (size_t i = 0; i < wlen; i++)
		if (got[i] != want[i])
			fail_msg("%s/%d %s: output byte %zu is %02x, want %02x",
				 t->bk->name, t->fam, what, i, got[i], want[i]);
}

void expect_fwd_as(struct tctx *t, const char *what, struct pk p, struct pk want)
{
	const struct topo_host *hd = &topo_hosts[want.dst];
	__u8 buf[2048], wbuf[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len, wlen;
	struct pk w = want;

	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg,
		  XDP_REDIRECT, XG_VERDICT_FORWARD, -1);
	/* What a router puts on the wire: new MACs, TTL one less, and
	 * checksums that verify (built from scratch, not incrementally). */
	w.s.ttl = (__u8)((p.s.ttl ? p.s.ttl : 64) - 1);
	pkt_parse_mac(hd->mac, w.s.dmac);
	pkt_parse_mac(topo_ifs[hd->leg].mac, w.s.smac);
	wlen = build(&w, wbuf, sizeof(wbuf));
	expect_same(t, what, buf, out_len, wbuf, wlen);
	if (!pkt_csums_ok(buf, out_len, &w.s))
		fail_msg("%s/%d %s: checksums do not verify", t->bk->name,
			 t->fam, what);
}

void expect_fwd(struct tctx *t, const char *what, struct pk p)
{
	expect_fwd_as(t, what, p, p);
}

int run_addr(struct tctx *t, struct pk p, int dst, __u8 *addr, __u16 *port)
{
	__u8 buf[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len;
	size_t l3 = pkt_l3_off(&p.s), l4 = pkt_l4_off(&p.s);
	int act = t->bk->run(buf, len, &out_len, topo_hosts[p.src].leg);

	if (t->fam == 4)
		memcpy(addr, buf + l3 + (dst ? 16 : 12), 4);
	else
		memcpy(addr, buf + l3 + (dst ? 24 : 8), 16);
	*port = (__u16)(buf[l4 + (dst ? 2 : 0)] << 8 | buf[l4 + (dst ? 3 : 1)]);
	return act;
}

void expect_pass(struct tctx *t, const char *what, struct pk p)
{
	__u8 buf[2048], want[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len;

	memcpy(want, buf, len);
	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg, XDP_PASS,
		  XG_VERDICT_PASS, -1);
	expect_same(t, what, buf, out_len, want, len);
}

void expect_drop(struct tctx *t, const char *what, struct pk p, int reason)
{
	__u8 buf[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len;

	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg, XDP_DROP,
		  XG_VERDICT_DROP, reason);
}

/* Shared checks of a reply: back to the sender's MAC from ours, fresh IP
 * header from the original destination to the original source. */
static size_t check_reply_ip(struct tctx *t, const char *what, const __u8 *orig,
			     const __u8 *out, size_t out_len,
			     const struct pk *p, __u8 proto)
{
	size_t l3 = pkt_l3_off(&p->s), alen = t->fam == 4 ? 4 : 16;
	size_t sa = l3 + (t->fam == 4 ? 12 : 8), da = l3 + (t->fam == 4 ? 16 : 24);

	if (memcmp(out, orig + 6, 6) || memcmp(out + 6, orig, 6))
		fail_msg("%s/%d %s: MACs not swapped", t->bk->name, t->fam, what);
	if (out_len < l3 + (t->fam == 4 ? 20 : 40))
		fail_msg("%s/%d %s: reply of %zu bytes", t->bk->name, t->fam,
			 what, out_len);
	if (memcmp(out + sa, orig + da, alen) || memcmp(out + da, orig + sa, alen))
		fail_msg("%s/%d %s: addresses not swapped", t->bk->name, t->fam,
			 what);
	if (t->fam == 4 ? (out[l3] != 0x45 || out[l3 + 9] != proto) :
			  ((out[l3] >> 4) != 6 || out[l3 + 6] != proto))
		fail_msg("%s/%d %s: IP header: version/length or protocol",
			 t->bk->name, t->fam, what);
	return l3 + (t->fam == 4 ? 20 : 40);
}

/* The spec that describes the reply, for pkt_csums_ok. */
static struct pkt_spec reply_spec(const struct pk *p, __u8 proto)
{
	struct pkt_spec w = { .family = p->s.family, .proto = proto,
			      .vlans = p->s.vlans };

	return w;
}

void expect_tcp_rst(struct tctx *t, const char *what, struct pk p, int reason)
{
	__u8 buf[2048], orig[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len, l4;
	size_t ol4 = pkt_l4_off(&p.s);
	struct pkt_spec w = reply_spec(&p, XG_IPPROTO_TCP);
	__u32 seq, want_ack;

	memcpy(orig, buf, len);
	/* back out of the leg it came in on, through the devmap */
	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg,
		  XDP_REDIRECT, XG_VERDICT_DROP, reason);
	l4 = check_reply_ip(t, what, orig, buf, out_len, &p, XG_IPPROTO_TCP);
	if (out_len != l4 + 20)
		fail_msg("%s/%d %s: reset of %zu bytes, want %zu", t->bk->name,
			 t->fam, what, out_len, l4 + 20);
	if (memcmp(buf + l4, orig + ol4 + 2, 2) || memcmp(buf + l4 + 2, orig + ol4, 2))
		fail_msg("%s/%d %s: ports not swapped", t->bk->name, t->fam, what);
	memcpy(&seq, orig + ol4 + 4, 4);
	/* A SYN without ACK: RST|ACK acknowledging the SYN; with ACK: RST
	 * at the sequence number acknowledged. */
	if (p.s.tcp_flags & XG_TCP_ACK) {
		if (buf[l4 + 13] != XG_TCP_RST || memcmp(buf + l4 + 4, orig + ol4 + 8, 4))
			fail_msg("%s/%d %s: want RST with seq = the ACK", t->bk->name,
				 t->fam, what);
	} else {
		want_ack = htonl(ntohl(seq) + p.s.payload +
				 !!(p.s.tcp_flags & XG_TCP_SYN) +
				 !!(p.s.tcp_flags & XG_TCP_FIN));
		if (buf[l4 + 13] != (XG_TCP_RST | XG_TCP_ACK) ||
		    memcmp(buf + l4 + 8, &want_ack, 4))
			fail_msg("%s/%d %s: want RST|ACK acknowledging the segment (flags %02x)",
				 t->bk->name, t->fam, what, buf[l4 + 13]);
	}
	if (!pkt_csums_ok(buf, out_len, &w))
		fail_msg("%s/%d %s: reset checksums do not verify", t->bk->name,
			 t->fam, what);
}

void expect_port_unreach(struct tctx *t, const char *what, struct pk p,
			 int reason)
{
	__u8 buf[2048], orig[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len, l4, quote;
	size_t l3 = pkt_l3_off(&p.s), ol4 = pkt_l4_off(&p.s);
	__u8 proto = t->fam == 4 ? XG_IPPROTO_ICMP : XG_IPPROTO_ICMPV6;
	struct pkt_spec w = reply_spec(&p, proto);

	memcpy(orig, buf, len);
	/* back out of the leg it came in on, through the devmap */
	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg,
		  XDP_REDIRECT, XG_VERDICT_DROP, reason);
	l4 = check_reply_ip(t, what, orig, buf, out_len, &p, proto);
	/* the datagram's IP headers and 8 bytes of payload, at most 128 */
	quote = ol4 - l3 + 8;
	if (quote > len - l3)
		quote = len - l3;
	if (quote > 128)
		quote = 128;
	if (out_len != l4 + 8 + quote)
		fail_msg("%s/%d %s: ICMP error of %zu bytes, want %zu",
			 t->bk->name, t->fam, what, out_len, l4 + 8 + quote);
	if (buf[l4] != (t->fam == 4 ? 3 : 1) || buf[l4 + 1] != (t->fam == 4 ? 3 : 4))
		fail_msg("%s/%d %s: ICMP type/code %u/%u, want port unreachable",
			 t->bk->name, t->fam, what, buf[l4], buf[l4 + 1]);
	if (memcmp(buf + l4 + 8, orig + l3, quote))
		fail_msg("%s/%d %s: the quoted datagram differs", t->bk->name,
			 t->fam, what);
	if (!pkt_csums_ok(buf, out_len, &w))
		fail_msg("%s/%d %s: ICMP checksums do not verify", t->bk->name,
			 t->fam, what);
}

struct pk mk_icmp_err(const struct tctx *t, int src, int dst, __u8 type,
		      __u8 code, const struct pk *q, size_t qlen)
{
	static __u8 quotes[8][2048]; /* outlive the pk that points at them */
	static int next;
	__u8 *qb = quotes[next++ % 8], frame[2048];
	size_t len = build(q, frame, sizeof(frame));
	struct pk p = mk(t, ICMP, src, dst, 0, 0, 0);

	if (qlen > len - pkt_l3_off(&q->s))
		qlen = len - pkt_l3_off(&q->s);
	memcpy(qb, frame + pkt_l3_off(&q->s), qlen);
	p.s.icmp_type = type;
	p.s.icmp_code = code;
	p.s.icmp_id = 0;
	p.s.payload = (int)qlen;
	p.s.payload_bytes = qb;
	return p;
}

void expect_fwd_built(struct tctx *t, const char *what, struct pk p,
		      struct pk want)
{
	const struct topo_host *hd = &topo_hosts[want.dst];
	__u8 buf[2048], wbuf[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len, wlen;

	run_check(t, what, buf, len, &out_len, topo_hosts[p.src].leg,
		  XDP_REDIRECT, XG_VERDICT_FORWARD, -1);
	want.s.ttl = (__u8)((p.s.ttl ? p.s.ttl : 64) - 1);
	pkt_parse_mac(hd->mac, want.s.dmac);
	pkt_parse_mac(topo_ifs[hd->leg].mac, want.s.smac);
	/* built from scratch: every checksum in it is computed, not updated */
	wlen = build(&want, wbuf, sizeof(wbuf));
	expect_same(t, what, buf, out_len, wbuf, wlen);
}

void expect_l7(struct tctx *t, const char *what, struct pk p, __u32 ruleset,
	       int has_isn)
{
	const struct topo_host *hs = &topo_hosts[p.src], *hd = &topo_hosts[p.dst];
	__u8 buf[2048], wbuf[2048];
	size_t len = build(&p, buf, sizeof(buf)), out_len, wlen;
	struct xg_xsk_meta m;
	struct pk w = p;
	__u8 mac[6];

	run_check(t, what, buf, len, &out_len, hs->leg, XDP_REDIRECT,
		  XG_VERDICT_L7, -1);
	/* Routed as a forwarded frame would be: the fast path sends it on
	 * as it is. */
	w.s.ttl = (__u8)((p.s.ttl ? p.s.ttl : 64) - 1);
	pkt_parse_mac(hd->mac, w.s.dmac);
	pkt_parse_mac(topo_ifs[hd->leg].mac, w.s.smac);
	wlen = build(&w, wbuf, sizeof(wbuf));
	expect_same(t, what, buf, out_len, wbuf, wlen);
	if (!t->bk->last_meta(&m))
		fail_msg("%s/%d %s: no metadata before the frame", t->bk->name,
			 t->fam, what);
	if (m.magic != XG_XSK_META_MAGIC || m.l7_ruleset != ruleset ||
	    m.in_ifindex != t->bk->ifindex(hs->leg) ||
	    m.out_ifindex != t->bk->ifindex(hd->leg))
		fail_msg("%s/%d %s: metadata magic %#x ruleset %u in %u out %u",
			 t->bk->name, t->fam, what, m.magic, m.l7_ruleset,
			 m.in_ifindex, m.out_ifindex);
	/* pktbuild's segments all carry sequence number 1000, so a SYN
	 * seen by conntrack puts the stream at 1001. */
	if (!!(m.flags & XG_XSK_META_F_ISN) != !!has_isn ||
	    (has_isn && m.isn != 1001))
		fail_msg("%s/%d %s: isn flag %d isn %u, want %d", t->bk->name,
			 t->fam, what, m.flags & XG_XSK_META_F_ISN, m.isn,
			 has_isn);
	pkt_parse_mac(hs->mac, mac);
	if (memcmp(m.in_src, mac, 6))
		fail_msg("%s/%d %s: metadata lost the client's MAC",
			 t->bk->name, t->fam, what);
	pkt_parse_mac(topo_ifs[hs->leg].mac, mac);
	if (memcmp(m.in_dst, mac, 6))
		fail_msg("%s/%d %s: metadata lost the gateway's MAC",
			 t->bk->name, t->fam, what);
}

void expect_raw(struct tctx *t, const char *what, __u8 *buf, size_t len,
		int leg, int act, int reason)
{
	if (len < 14 && !strcmp(t->bk->name, "bpf")) {
		size_t out_len;

		/* The kernel never hands XDP a frame shorter than an
		 * Ethernet header; bpf_prog_test_run refuses to as well. */
		if (t->bk->run(buf, len, &out_len, leg) >= 0)
			fail_msg("bpf %s: %zu-byte frame was run", what, len);
		return;
	}
	int verdict = act == XDP_DROP ? XG_VERDICT_DROP :
		      act == XDP_PASS ? XG_VERDICT_PASS :
					XG_VERDICT_FORWARD;
	size_t out_len;

	run_check(t, what, buf, len, &out_len, leg, act, verdict,
		  act == XDP_DROP ? reason : -1);
}
