// SPDX-License-Identifier: GPL-2.0-only
/*
 * The packet table: scenarios of crafted frames with the verdict, drop
 * reason and output bytes each must produce.  Every scenario runs on
 * both datapath builds (BPF via bpf_prog_test_run_opts, native C) and in
 * both families (each IPv4 case has its IPv6 mirror), so the builds
 * cannot drift apart.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/entries.h"
#include "ctrl/services.h"
#include "table.h"

/* ------------------------------------------------------ scenarios -- */

static void sc_default_allow(struct tctx *t)
{
	expect_fwd(t, "no policy: forwarded", mk(t, TCP, C1, B1, 40000, 80, SYN));
	expect_fwd(t, "no policy, world source", mk(t, UDP, C3, B2, 5353, 53, 0));
}

static void sc_l4_allow(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_fwd(t, "allowed port", mk(t, TCP, C1, B1, 40000, 80, SYN));
	expect_drop(t, "other port", mk(t, TCP, C1, B1, 40001, 81, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "other peer", mk(t, TCP, C2, B1, 40000, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "other protocol", mk(t, UDP, C1, B1, 40000, 80, 0),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "unselected subject stays open",
		   mk(t, TCP, C1, B2, 40000, 81, SYN));
}

static void sc_port_ranges(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 8000, 8080),
	      allow_in(ID_B1, ID_C1, UDP, 1024, 65535),
	      allow_in(ID_B1, ID_C2, TCP, 1, 1));
	expect_drop(t, "one below range", mk(t, TCP, C1, B1, 1000, 7999, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "range start", mk(t, TCP, C1, B1, 1001, 8000, SYN));
	expect_fwd(t, "range middle", mk(t, TCP, C1, B1, 1002, 8040, SYN));
	expect_fwd(t, "range end", mk(t, TCP, C1, B1, 1003, 8080, SYN));
	expect_drop(t, "one past range", mk(t, TCP, C1, B1, 1004, 8081, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "udp below 1024", mk(t, UDP, C1, B1, 1005, 1023, 0),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "udp 1024", mk(t, UDP, C1, B1, 1006, 1024, 0));
	expect_fwd(t, "udp 65535", mk(t, UDP, C1, B1, 1007, 65535, 0));
	expect_fwd(t, "single port 1", mk(t, TCP, C2, B1, 1008, 1, SYN));
	expect_drop(t, "port 2 not in 1-1", mk(t, TCP, C2, B1, 1009, 2, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "port 0", mk(t, TCP, C2, B1, 1010, 0, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
}

static void sc_wildcards(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, 0, TCP, 443, 443), /* any peer */
	      allow_in(ID_B1, ID_C1, 0, 0, 0), /* any proto, any port */
	      allow_in(ID_BNET, 0, 0, 0, 0)); /* anything from anyone */
	expect_fwd(t, "any peer: C2", mk(t, TCP, C2, B1, 2000, 443, SYN));
	expect_fwd(t, "any peer: world", mk(t, TCP, C3, B1, 2001, 443, SYN));
	expect_drop(t, "any peer, not that port",
		    mk(t, TCP, C2, B1, 2002, 444, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "peer, any proto: udp", mk(t, UDP, C1, B1, 2003, 9999, 0));
	expect_fwd(t, "peer, any proto: sctp", mk(t, SCTP, C1, B1, 2004, 36412, 0));
	expect_fwd(t, "peer, any proto: icmp", mk_echo(t, C1, B1, 0, 7));
	expect_fwd(t, "allow-all subject", mk(t, UDP, C3, B2, 2005, 7, 0));
}

static void sc_deny_precedence(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80),
	      deny_in(ID_B1, ID_C1, 0, 0, 0), /* peer-wide deny wins */
	      allow_in(ID_B1, 0, TCP, 8080, 8080),
	      deny_in(ID_B1, ID_C2, TCP, 8080, 8080), /* exact deny, any-peer allow */
	      allow_in(ID_BNET, ID_C1, 0, 0, 0),
	      deny_in(ID_BNET, 0, TCP, 22, 22)); /* any-peer deny, peer allow */
	expect_drop(t, "deny beats more specific allow",
		    mk(t, TCP, C1, B1, 3000, 80, SYN), XG_DROP_POLICY_DENY);
	expect_drop(t, "deny beats any-peer allow",
		    mk(t, TCP, C1, B1, 3001, 8080, SYN), XG_DROP_POLICY_DENY);
	expect_drop(t, "exact-peer deny", mk(t, TCP, C2, B1, 3002, 8080, SYN),
		    XG_DROP_POLICY_DENY);
	expect_fwd(t, "any-peer allow for others",
		   mk(t, TCP, C3, B1, 3003, 8080, SYN));
	expect_drop(t, "any-peer deny over peer allow",
		    mk(t, TCP, C1, B2, 3004, 22, SYN), XG_DROP_POLICY_DENY);
	expect_fwd(t, "peer allow elsewhere", mk(t, TCP, C1, B2, 3005, 23, SYN));
	/* Deny of everything from everyone, with allows beneath it. */
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80), deny_in(ID_B1, 0, 0, 0, 0));
	expect_drop(t, "subject-wide deny", mk(t, TCP, C1, B1, 3006, 80, SYN),
		    XG_DROP_POLICY_DENY);
}

static void sc_both_directions(struct tctx *t)
{
	RULES(t, allow_out(ID_C1, ID_B1, TCP, 80, 80),
	      allow_in(ID_B1, ID_C1, TCP, 80, 81),
	      allow_in(ID_B1, ID_C2, TCP, 80, 80));
	expect_fwd(t, "egress and ingress allow", mk(t, TCP, C1, B1, 4000, 80, SYN));
	expect_drop(t, "ingress allows, egress does not",
		    mk(t, TCP, C1, B1, 4001, 81, SYN), XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "egress-enforced source, other destination",
		    mk(t, TCP, C1, B2, 4002, 80, SYN), XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "source without egress policy",
		   mk(t, TCP, C2, B1, 4003, 80, SYN));
	expect_fwd(t, "unselected source and destination",
		   mk(t, TCP, C2, B2, 4004, 80, SYN));
}

static void sc_world_and_cidr(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, XG_ID_WORLD, TCP, 80, 80),
	      allow_out(ID_C1, ID_BNET, TCP, 80, 80));
	expect_fwd(t, "world peer", mk(t, TCP, C3, B1, 5000, 80, SYN));
	expect_drop(t, "known identity is not world",
		    mk(t, TCP, C2, B1, 5001, 80, SYN), XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "CIDR identity", mk(t, TCP, C1, B2, 5002, 80, SYN));
	expect_drop(t, "longer prefix has its own identity",
		    mk(t, TCP, C1, B1, 5003, 80, SYN), XG_DROP_POLICY_DEFAULT_DENY);
}

static void sc_conntrack_replies(struct tctx *t)
{
	/* C1 may reach B1; nobody may open anything towards C1. */
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80),
	      allow_in(ID_B1, ID_C1, UDP, 53, 53),
	      allow_in(ID_B1, ID_C1, ICMP, echo_req(t), echo_req(t)),
	      allow_in(ID_C1, ID_C2, TCP, 1, 1));
	expect_fwd(t, "syn", mk(t, TCP, C1, B1, 6000, 80, SYN));
	expect_fwd(t, "syn-ack reply", mk(t, TCP, B1, C1, 80, 6000, SYNACK));
	expect_fwd(t, "ack", mk(t, TCP, C1, B1, 6000, 80, ACK));
	expect_fwd(t, "data reply", mk(t, TCP, B1, C1, 80, 6000, ACK));
	expect_drop(t, "new flow towards C1",
		    mk(t, TCP, B1, C1, 80, 6001, SYN), XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "udp query", mk(t, UDP, C1, B1, 6002, 53, 0));
	expect_fwd(t, "udp answer", mk(t, UDP, B1, C1, 53, 6002, 0));
	expect_drop(t, "udp from another port is new",
		    mk(t, UDP, B1, C1, 54, 6002, 0), XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "echo request", mk_echo(t, C1, B1, 0, 77));
	expect_fwd(t, "echo reply", mk_echo(t, B1, C1, 1, 77));
	expect_drop(t, "echo reply, other id", mk_echo(t, B1, C1, 1, 78),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "fin", mk(t, TCP, C1, B1, 6000, 80, FIN));
	expect_fwd(t, "fin reply", mk(t, TCP, B1, C1, 80, 6000, FIN));
}

static void sc_revision_recheck(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_fwd(t, "syn", mk(t, TCP, C1, B1, 7000, 80, SYN));
	expect_fwd(t, "syn-ack", mk(t, TCP, B1, C1, 80, 7000, SYNACK));
	/* Same verdict under a new revision: the flow carries on. */
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80),
	      allow_in(ID_B1, ID_C2, TCP, 80, 80));
	expect_fwd(t, "still allowed", mk(t, TCP, C1, B1, 7000, 80, ACK));
	/* A deny cuts the established flow, both ways. */
	RULES(t, deny_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_drop(t, "established flow cut", mk(t, TCP, C1, B1, 7000, 80, ACK),
		    XG_DROP_POLICY_DENY);
	expect_drop(t, "its replies too", mk(t, TCP, B1, C1, 80, 7000, ACK),
		    XG_DROP_POLICY_DENY);
	/* Removing an allow (no deny) cuts too. */
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_fwd(t, "new syn admitted", mk(t, TCP, C1, B1, 7001, 80, SYN));
	RULES(t, allow_in(ID_B1, ID_C2, TCP, 80, 80));
	expect_drop(t, "allow withdrawn", mk(t, TCP, C1, B1, 7001, 80, ACK),
		    XG_DROP_POLICY_DEFAULT_DENY);
}

/* Finds the conntrack entry of the flow on `port` and stamps it `ahead`
 * revisions past the current one, marked denied: what a CPU that judged
 * it under a newer revision would have left. */
struct restamp {
	__be16 port;
	struct xg_flow_key key;
	struct xg_ct_entry ce;
	int found;
};

static int restamp_find(const void *key, const void *val, void *arg)
{
	const struct xg_flow_key *k = key;
	struct restamp *r = arg;

	if (k->aport == r->port || k->bport == r->port) {
		r->key = *k;
		memcpy(&r->ce, val, sizeof(r->ce));
		r->found = 1;
	}
	return 0;
}

static void ct_restamp(struct tctx *t, __u16 port, __u32 ahead)
{
	struct restamp r = { .port = htons(port) };
	struct xg_mapset *ms = t->bk->maps();
	__u32 rev = 0;

	if (xg_policy_rev_get(ms, &rev))
		fail_msg("%s: reading the revision", t->bk->name);
	xg_ms_walk(ms, XG_M_CT, restamp_find, &r);
	if (!r.found)
		fail_msg("%s/%d: no conntrack entry on port %u", t->bk->name,
			 t->fam, port);
	r.ce.policy_rev = rev + ahead;
	r.ce.flags |= XG_CT_F_DENIED;
	r.ce.deny_reason = XG_DROP_POLICY_DENY;
	if (xg_ms_update(ms, XG_M_CT, &r.key, &r.ce, 0))
		fail_msg("%s: writing the conntrack entry", t->bk->name);
}

/* A packet that read the revision just before a bump meets an entry
 * another CPU has judged under the new one: it keeps that verdict rather
 * than writing its older one over it.  A stamp far ahead is no such race
 * (a reset counter): judged again. */
static void sc_revision_ahead(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_fwd(t, "syn", mk(t, TCP, C1, B1, 7100, 80, SYN));
	ct_restamp(t, 7100, 1);
	expect_drop(t, "entry judged one revision ahead: its verdict stands",
		    mk(t, TCP, C1, B1, 7100, 80, ACK), XG_DROP_POLICY_DENY);
	ct_restamp(t, 7100, XG_REV_AHEAD_MAX + 1);
	expect_fwd(t, "a stamp too far ahead is judged again",
		   mk(t, TCP, C1, B1, 7100, 80, ACK));
	expect_fwd(t, "and stays judged", mk(t, TCP, B1, C1, 80, 7100, ACK));
}

static void sc_denycache(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C2, UDP, 9, 9));
	for (int i = 0; i < 3; i++)
		expect_drop(t, "denied flood packet",
			    mk(t, UDP, C1, B1, 8000, 9, 0),
			    XG_DROP_POLICY_DEFAULT_DENY);
	RULES(t, allow_in(ID_B1, ID_C2, UDP, 9, 9),
	      allow_in(ID_B1, ID_C1, UDP, 9, 9));
	expect_fwd(t, "cached deny invalidated by the revision",
		   mk(t, UDP, C1, B1, 8000, 9, 0));
	/* The reverse direction of a denied flow is its own decision. */
	RULES(t, allow_in(ID_C2, ID_B1, UDP, 9, 9), allow_in(ID_B1, ID_C1, TCP, 1, 1));
	expect_drop(t, "denied", mk(t, UDP, C2, B1, 9, 9, 0),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "reverse tuple admitted on its own",
		   mk(t, UDP, B1, C2, 9, 9, 0));
}

/* The verdict cache: new flows of a pair judged before take its slot's
 * answer, identities and rule included, only under the revision it was
 * written in.  (The whole table also runs with one slot, where every
 * pair evicts the last, and with none.) */
static void sc_vcache(struct tctx *t)
{
	struct xg_event ev;

	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	for (__u16 sp = 9000; sp < 9003; sp++)
		expect_fwd(t, "pair allowed, new source ports",
			   mk(t, TCP, C1, B1, sp, 80, SYN));
	t->bk->events(NULL);
	for (__u16 sp = 9003; sp < 9006; sp++)
		expect_drop(t, "pair denied, new source ports",
			    mk(t, TCP, C2, B1, sp, 80, SYN),
			    XG_DROP_POLICY_DEFAULT_DENY);
	/* the event of an answer from the cache names the same identities */
	assert_int_equal(t->bk->events(&ev), 3);
	assert_int_equal(ev.reason, XG_DROP_POLICY_DEFAULT_DENY);
	assert_int_equal(ev.src_identity, ID_C2);
	assert_int_equal(ev.dst_identity, ID_B1);
	assert_int_equal(ntohs(ev.sport), 9005);
	expect_fwd(t, "admitted with its rule", mk(t, TCP, C1, B1, 9006, 80, SYN));
	assert_int_equal(t->bk->events(&ev), 1);
	assert_int_equal(ev.type, XG_EV_VERDICT);
	assert_int_equal(ev.src_identity, ID_C1);
	assert_int_equal(ev.cookie, ID_B1 * 100);
	/* a new revision: the allowed pair is denied, the denied one let in */
	RULES(t, allow_in(ID_B1, ID_C2, TCP, 80, 80));
	expect_drop(t, "allow withdrawn: next new flow of the pair",
		    mk(t, TCP, C1, B1, 9007, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "deny lifted: next new flow of the pair",
		   mk(t, TCP, C2, B1, 9008, 80, SYN));
	/* an identity moved with a bump of its own (as dp_sync does) */
	{
		struct xg_mapset *ms = t->bk->maps();
		struct xg_prefix p;

		assert_int_equal(xg_prefix_parse(t->fam == 4 ?
							 topo_hosts[C1].ip4 :
							 topo_hosts[C1].ip6,
						 &p, NULL), 0);
		assert_int_equal(xg_ipcache_set(ms, &p, ID_C2), 0);
		assert_int_equal(xg_policy_rev_bump(ms, NULL), 0);
	}
	expect_fwd(t, "source now has the allowed identity",
		   mk(t, TCP, C1, B1, 9009, 80, SYN));
	/* the pair key holds protocol and port: siblings are judged apart */
	expect_drop(t, "same pair, other port",
		    mk(t, TCP, C1, B1, 9010, 81, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_drop(t, "same pair, other protocol",
		    mk(t, UDP, C1, B1, 9011, 80, 0),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd(t, "same pair, the port again",
		   mk(t, TCP, C1, B1, 9012, 80, SYN));
}

static void sc_l7(struct tctx *t)
{
	struct xg_rule r = allow_in(ID_B1, ID_C1, TCP, 80, 80);
	struct pk data = mk(t, TCP, C1, B1, 9000, 80, ACK | XG_TCP_PSH);
	struct pk pickup = mk(t, TCP, C1, B1, 9003, 80, ACK | XG_TCP_PSH);
	struct pk fin = mk(t, TCP, C1, B1, 9000, 80, ACK | FIN);
	struct pk syn = mk(t, TCP, C1, B1, 9000, 80, SYN);
	struct pk bare = mk(t, TCP, C1, B1, 9000, 80, ACK);

	syn.s.payload = 0;
	bare.s.payload = 0;
	fin.s.payload = 0;
	data.s.payload = 40;
	pickup.s.payload = 40;
	r.l7_ruleset = 7;
	set_rules(t, &r, 1);
	expect_fwd(t, "an L7 flow's SYN has nothing to judge: forwarded", syn);
	expect_fwd(t, "server side stays in XDP",
		   mk(t, TCP, B1, C1, 80, 9000, SYNACK));
	expect_drop(t, "bytes of an L7 flow without a socket are dropped",
		    data, XG_DROP_NO_XSK);
	if (t->bk->add_xsk())
		fail_msg("%s: could not set up an AF_XDP socket", t->bk->name);
	expect_fwd(t, "a bare ACK has nothing to judge: forwarded", bare);
	expect_l7(t, "bytes go to the socket, with the stream's start",
		  data, 7, 1);
	{
		/* Conntrack follows both ends for the fast path: the
		 * server's next sequence number and acknowledgment, the
		 * client's acknowledgment.  pktbuild's segments carry seq
		 * 1000, ack 2000 and 16 bytes: the furthest the server got
		 * is its SYN-ACK's, 1000 + 16 + 1 for the SYN. */
		struct pk reply = mk(t, TCP, B1, C1, 80, 9000, ACK);
		struct xg_xsk_meta m;
		struct xg_ct_entry ce = {};

		if (!t->bk->last_meta(&m))
			fail_msg("%s: no metadata", t->bk->name);
		expect_fwd(t, "the server's answer stays in XDP", reply);
		if (xg_ms_lookup(t->bk->maps(), XG_M_CT, &m.ct_key, &ce))
			fail_msg("%s/%d: the metadata's conntrack key finds nothing",
				 t->bk->name, t->fam);
		if (ce.l7_srv_nxt != 1000 + 16 + 1 || ce.l7_srv_ack != 2000 ||
		    ce.l7_cli_ack != 2000)
			fail_msg("%s/%d: conntrack srv_nxt %u srv_ack %u cli_ack %u",
				 t->bk->name, t->fam, ce.l7_srv_nxt,
				 ce.l7_srv_ack, ce.l7_cli_ack);
	}
	expect_l7(t, "a FIN goes too (it follows the bytes)", fin, 7, 1);
	expect_fwd(t, "non-L7 port of the same subject",
		   mk(t, TCP, C1, B2, 9002, 80, SYN));
	/* A flow conntrack met mid-stream: no start to give. */
	expect_l7(t, "bytes of a flow met mid-stream", pickup, 7, 0);
	r.l7_ruleset = 9;
	set_rules(t, &r, 1);
	expect_l7(t, "a policy change gives the flow the new ruleset",
		  data, 9, 1);
	{
		/* HTTP rules on both sides: the source's egress set travels
		 * with the destination's ingress one (a request must pass
		 * both). */
		struct xg_rule two[2] = { r, allow_out(ID_C1, ID_B1, TCP, 80, 80) };
		struct xg_xsk_meta m;

		two[1].l7_ruleset = 5;
		set_rules(t, two, 2);
		expect_l7(t, "rulesets of both sides", data, 9, 1);
		if (!t->bk->last_meta(&m) || m.l7_egress != 5)
			fail_msg("%s/%d: egress ruleset %u, want 5", t->bk->name,
				 t->fam, m.l7_egress);
		set_rules(t, &r, 1);
	}
	{
		struct pk old = data;

		old.s.ttl = 1;
		expect_drop(t, "an expiring TTL cannot be routed to the fast path",
			    old, XG_DROP_L7_NO_ROUTE);
	}
}

static void sc_fragments(struct tctx *t)
{
	struct pk first, mid, last, orphan, shortf, bad;
	__u8 buf[2048];
	size_t len;

	RULES(t, allow_in(ID_B1, ID_C1, UDP, 53, 53));
	first = mk(t, UDP, C1, B1, 10000, 53, 0);
	first.s.frag = PKT_FRAG_FIRST;
	first.s.frag_id = 0x1234;
	first.s.payload = 64;
	mid = first;
	mid.s.frag = PKT_FRAG_MIDDLE;
	mid.s.frag_off8 = 9;
	last = mid;
	last.s.frag = PKT_FRAG_LAST;
	last.s.frag_off8 = 18;

	expect_drop(t, "last before first", last, XG_DROP_FRAG_NO_FIRST);
	expect_fwd(t, "first fragment", first);
	expect_fwd(t, "last fragment", last);
	expect_fwd(t, "middle after last", mid);

	orphan = mid;
	orphan.s.frag_id = 0x9999;
	expect_drop(t, "fragment without a first", orphan, XG_DROP_FRAG_NO_FIRST);

	bad = first;
	bad.s.dport = 54;
	bad.s.frag_id = 0x2222;
	expect_drop(t, "denied first fragment", bad, XG_DROP_POLICY_DEFAULT_DENY);
	bad.s.frag = PKT_FRAG_LAST;
	bad.s.frag_off8 = 9;
	expect_drop(t, "its later fragment: same verdict", bad,
		    XG_DROP_POLICY_DEFAULT_DENY);

	/* A first fragment too short to hold the UDP header. */
	shortf = first;
	shortf.s.frag_id = 0x3333;
	shortf.s.payload = 0;
	len = build(&shortf, buf, sizeof(buf));
	len -= 4; /* cut the UDP header in half */
	if (t->fam == 4) {
		buf[pkt_l3_off(&shortf.s) + 3] -= 4; /* tot_len */
		buf[pkt_l3_off(&shortf.s) + 10] = 0; /* checksum not checked */
	} else {
		buf[pkt_l3_off(&shortf.s) + 5] -= 4; /* payload_len */
	}
	expect_raw(t, "first fragment too short", buf, len, GW0, XDP_DROP,
		   XG_DROP_FRAG_SHORT);
}

static void sc_fib_fallbacks(struct tctx *t)
{
	struct pk p;
	__u8 buf[2048];
	size_t len;

	expect_pass(t, "no neighbour: kernel resolves",
		    mk(t, TCP, C1, B9, 11000, 80, SYN));
	expect_pass(t, "to the gateway itself", mk(t, TCP, C1, GWA, 11001, 22, SYN));
	p = mk(t, TCP, C1, B1, 11002, 80, SYN);
	p.s.ttl = 1;
	expect_pass(t, "ttl 1: kernel sends time exceeded", p);
	p = mk(t, TCP, C1, B1, 11003, 80, SYN);
	p.s.vlans = 1;
	expect_pass(t, "vlan-tagged: kernel forwards", p);
	/* An egress interface that is not ours to drive. */
	xg_txport_del(t->bk->maps(), t->bk->ifindex(GW1));
	expect_pass(t, "egress not in devmap", mk(t, TCP, C1, B1, 11004, 80, SYN));
	/* Non-IP passes without a look. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 12, "\x08\x06", 2); /* ARP */
	len = 60;
	expect_raw(t, "arp", buf, len, GW0, XDP_PASS, 0);
}

static void sc_icmp_types(struct tctx *t)
{
	struct pk p;

	RULES(t, allow_in(ID_B1, 0, ICMP, echo_req(t), echo_req(t)));
	expect_fwd(t, "echo request allowed", mk_echo(t, C2, B1, 0, 1));
	p = mk(t, ICMP, C2, B1, 0, 0, 0);
	p.s.icmp_type = t->fam == 4 ? 13 : 139; /* timestamp / node info */
	expect_drop(t, "other type denied", p, XG_DROP_POLICY_DEFAULT_DENY);
	if (t->fam == 6) {
		/* Neighbour discovery must work whatever the policy. */
		p = mk(t, ICMP, C2, B1, 0, 0, 0);
		p.s.icmp_type = 135;
		p.s.ttl = 255;
		expect_pass(t, "neighbour solicitation", p);
	}
}

static void sc_tcp_reopen(struct tctx *t)
{
	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	expect_fwd(t, "syn", mk(t, TCP, C1, B1, 12000, 80, SYN));
	expect_fwd(t, "rst", mk(t, TCP, B1, C1, 80, 12000, RST | ACK));
	/* Without a revision bump a closed flow is still judged anew on a
	 * fresh SYN: here the policy is unchanged, so it is admitted. */
	expect_fwd(t, "syn after rst", mk(t, TCP, C1, B1, 12000, 80, SYN));
}

static void sc_events(struct tctx *t)
{
	struct xg_event ev;
	__u8 want_src[16] = {}, want_dst[16] = {};

	RULES(t, allow_in(ID_B1, ID_C1, TCP, 80, 80));
	t->bk->events(NULL);
	expect_drop(t, "denied", mk(t, TCP, C2, B1, 13000, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	if (t->bk->events(&ev) != 1)
		fail_msg("%s/%d: one drop event expected", t->bk->name, t->fam);
	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[C2].ip4 : topo_hosts[C2].ip6, want_src);
	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[B1].ip4 : topo_hosts[B1].ip6, want_dst);
	assert_int_equal(ev.type, XG_EV_DROP);
	assert_int_equal(ev.reason, XG_DROP_POLICY_DEFAULT_DENY);
	assert_int_equal(ev.src_identity, ID_C2);
	assert_int_equal(ev.dst_identity, ID_B1);
	assert_int_equal(ev.family, t->fam);
	assert_int_equal(ev.proto, XG_IPPROTO_TCP);
	assert_int_equal(ntohs(ev.sport), 13000);
	assert_int_equal(ntohs(ev.dport), 80);
	assert_memory_equal(ev.saddr, want_src, 16);
	assert_memory_equal(ev.daddr, want_dst, 16);
	assert_int_equal(ev.ifindex, t->bk->ifindex(GW0));

	expect_fwd(t, "admitted", mk(t, TCP, C1, B1, 13001, 80, SYN));
	if (t->bk->events(&ev) != 1)
		fail_msg("%s/%d: one verdict event expected", t->bk->name, t->fam);
	assert_int_equal(ev.type, XG_EV_VERDICT);
	assert_int_equal(ev.verdict, XG_VERDICT_FORWARD);
	assert_int_equal(ev.cookie, ID_B1 * 100);
	expect_fwd(t, "established: no event", mk(t, TCP, C1, B1, 13001, 80, ACK));
	assert_int_equal(t->bk->events(NULL), 0);
}

/* ---------------------------------------------- malformed packets -- */

static void sc_malformed_common(struct tctx *t)
{
	struct pk p = mk(t, TCP, C1, B1, 14000, 80, SYN);
	size_t l3 = pkt_l3_off(&p.s), l4 = pkt_l4_off(&p.s), len;
	__u8 buf[2048], orig[2048];

	len = build(&p, orig, sizeof(orig));
#define FRESH() memcpy(buf, orig, len)
	FRESH();
	expect_raw(t, "ethernet truncated", buf, 10, GW0, XDP_DROP,
		   XG_DROP_ETH_TRUNC);
	FRESH();
	expect_raw(t, "ip header truncated", buf, l3 + 10, GW0, XDP_DROP,
		   t->fam == 4 ? XG_DROP_IP4_TRUNC : XG_DROP_IP6_TRUNC);
	FRESH();
	buf[l3] = (__u8)((buf[l3] & 0x0f) | 0x50); /* version 5 */
	expect_raw(t, "wrong version", buf, len, GW0, XDP_DROP,
		   t->fam == 4 ? XG_DROP_IP4_VERSION : XG_DROP_IP6_VERSION);
	FRESH();
	if (t->fam == 4)
		buf[l3 + 2] = 0x7f; /* tot_len far past the frame */
	else
		buf[l3 + 4] = 0x7f; /* payload_len */
	expect_raw(t, "length past the frame", buf, len, GW0, XDP_DROP,
		   t->fam == 4 ? XG_DROP_IP4_TOTLEN : XG_DROP_IP6_PAYLOAD_LEN);
	FRESH();
	expect_raw(t, "tcp truncated", buf, l4 + 12, GW0, XDP_DROP,
		   t->fam == 4 ? XG_DROP_IP4_TOTLEN : XG_DROP_IP6_PAYLOAD_LEN);
	FRESH();
	/* Cut inside TCP, with the IP length agreeing: an L4 problem. */
	if (t->fam == 4) {
		buf[l3 + 2] = 0;
		buf[l3 + 3] = (__u8)(l4 - l3 + 12);
	} else {
		buf[l3 + 4] = 0;
		buf[l3 + 5] = 12;
	}
	expect_raw(t, "tcp truncated, length consistent", buf, l4 + 12, GW0,
		   XDP_DROP, XG_DROP_L4_TRUNC);
	FRESH();
	buf[l4 + 12] = 4 << 4; /* data offset 16 bytes */
	expect_raw(t, "tcp data offset below 5", buf, len, GW0, XDP_DROP,
		   XG_DROP_TCP_DOFF);
	FRESH();
	buf[l4 + 12] = 15 << 4; /* 60 bytes: past the frame */
	expect_raw(t, "tcp data offset past the end", buf, len, GW0, XDP_DROP,
		   XG_DROP_TCP_DOFF);

	/* Frames cut at every offset end in a drop or, for the few cuts
	 * that leave a valid shorter frame, never in a crash. */
	for (size_t cut = 0; cut < l4 + 20; cut++) {
		size_t out;
		int act;

		FRESH();
		act = t->bk->run(buf, cut, &out, GW0);
		if (cut < 14 && act < 0 && !strcmp(t->bk->name, "bpf"))
			continue; /* see expect_raw */
		if (act != XDP_DROP)
			fail_msg("%s/%d: frame cut at %zu: action %d, want drop",
				 t->bk->name, t->fam, cut, act);
	}

	/* VLAN: one and two tags are parsed, three are too many. */
	p.s.vlans = 2;
	len = build(&p, buf, sizeof(buf));
	expect_raw(t, "qinq parsed (then passed: tagged)", buf, len, GW0,
		   XDP_PASS, 0);
	p.s.vlans = 3;
	len = build(&p, buf, sizeof(buf));
	expect_raw(t, "three tags", buf, len, GW0, XDP_DROP, XG_DROP_VLAN_DEPTH);
	expect_raw(t, "vlan tag truncated", buf, 16, GW0, XDP_DROP,
		   XG_DROP_VLAN_TRUNC);
	/* Other L4 lengths */
	p = mk(t, UDP, C1, B1, 14001, 53, 0);
	l4 = pkt_l4_off(&p.s);
	len = build(&p, buf, sizeof(buf));
	if (t->fam == 4) {
		buf[pkt_l3_off(&p.s) + 3] = (__u8)(l4 - pkt_l3_off(&p.s) + 4);
		buf[pkt_l3_off(&p.s) + 2] = 0;
	} else {
		buf[pkt_l3_off(&p.s) + 4] = 0;
		buf[pkt_l3_off(&p.s) + 5] = 4;
	}
	expect_raw(t, "udp truncated", buf, l4 + 4, GW0, XDP_DROP,
		   XG_DROP_L4_TRUNC);
	p = mk_echo(t, C1, B1, 0, 5);
	l4 = pkt_l4_off(&p.s);
	len = build(&p, buf, sizeof(buf));
	if (t->fam == 4) {
		buf[pkt_l3_off(&p.s) + 3] = (__u8)(l4 - pkt_l3_off(&p.s) + 4);
		buf[pkt_l3_off(&p.s) + 2] = 0;
	} else {
		buf[pkt_l3_off(&p.s) + 4] = 0;
		buf[pkt_l3_off(&p.s) + 5] = 4;
	}
	expect_raw(t, "icmp truncated", buf, l4 + 4, GW0, XDP_DROP,
		   XG_DROP_L4_TRUNC);
	/* Trailing link padding after the IP packet is fine. */
	p = mk(t, UDP, C1, B1, 14002, 53, 0);
	len = build(&p, buf, sizeof(buf));
	memset(buf + len, 0, 8);
	expect_raw(t, "padding after the packet", buf, len + 8, GW0,
		   XDP_REDIRECT, 0);
#undef FRESH
}

static void sc_malformed_v4(struct tctx *t)
{
	struct pk p = mk(t, TCP, C1, B1, 15000, 80, SYN);
	size_t l3 = pkt_l3_off(&p.s), len;
	__u8 buf[2048];

	if (t->fam != 4)
		skip();
	len = build(&p, buf, sizeof(buf));
	buf[l3] = 0x44; /* IHL 4 */
	expect_raw(t, "ihl below 5", buf, len, GW0, XDP_DROP, XG_DROP_IP4_IHL);
	len = build(&p, buf, sizeof(buf));
	buf[l3] = 0x4f; /* 60-byte header in a 20+20+16 packet */
	expect_raw(t, "options past the frame", buf, l3 + 40, GW0, XDP_DROP,
		   XG_DROP_IP4_OPTS_TRUNC);
	len = build(&p, buf, sizeof(buf));
	buf[l3 + 2] = 0;
	buf[l3 + 3] = 16; /* total length below the header */
	expect_raw(t, "total length below header", buf, len, GW0, XDP_DROP,
		   XG_DROP_IP4_TOTLEN);
	p.s.ip4_optlen = 8;
	expect_fwd(t, "options are parsed over", p);
	p.s.ip4_optlen = 40;
	p.s.sport = 15001;
	expect_fwd(t, "maximum options", p);
}

static void sc_malformed_v6(struct tctx *t)
{
	struct pk p = mk(t, TCP, C1, B1, 16000, 80, SYN);
	__u8 buf[2048];
	size_t len;

	if (t->fam != 6)
		skip();
	p.s.nexts = 3;
	p.s.exts[0] = XG_IPPROTO_HOPOPTS;
	p.s.exts[1] = XG_IPPROTO_ROUTING;
	p.s.exts[2] = XG_IPPROTO_DSTOPTS;
	expect_fwd(t, "hop-by-hop, routing, dest-opts walked", p);
	p.s.sport = 16001;
	p.s.nexts = 4;
	p.s.exts[3] = XG_IPPROTO_FRAGMENT; /* atomic fragment */
	expect_fwd(t, "atomic fragment header", p);
	p.s.nexts = XG_MAX_V6_EXTHDRS;
	for (int i = 0; i < XG_MAX_V6_EXTHDRS; i++)
		p.s.exts[i] = XG_IPPROTO_DSTOPTS;
	p.s.sport = 16002;
	expect_fwd(t, "as many extension headers as allowed", p);
	p.s.nexts = XG_MAX_V6_EXTHDRS + 1;
	p.s.exts[XG_MAX_V6_EXTHDRS] = XG_IPPROTO_DSTOPTS;
	len = build(&p, buf, sizeof(buf));
	expect_raw(t, "one extension header too many", buf, len, GW0, XDP_DROP,
		   XG_DROP_IP6_EXTHDR_LIMIT);
	p.s.nexts = 2;
	len = build(&p, buf, sizeof(buf));
	expect_raw(t, "extension header cut", buf, 14 + 40 + 8 + 4, GW0,
		   XDP_DROP, XG_DROP_IP6_PAYLOAD_LEN);
	/* payload_len agrees with the cut: the walk itself must notice */
	buf[14 + 4] = 0;
	buf[14 + 5] = 12;
	expect_raw(t, "extension header past payload", buf, 14 + 40 + 12, GW0,
		   XDP_DROP, XG_DROP_IP6_EXTHDR_TRUNC);
}

/* ------------------------------------------------- load balancing -- */

static struct xg_svc_key vip_key(struct tctx *t, __u8 proto)
{
	struct xg_svc_key k = { .port = htons(80), .proto = proto,
				.family = (__u8)t->fam };

	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[VIP].ip4 : topo_hosts[VIP].ip6, k.addr);
	return k;
}

static struct xg_svc_backend backend(struct tctx *t, __u32 id, int host,
				     __u8 state)
{
	struct xg_svc_backend b = { .id = id, .weight = 1 };

	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[host].ip4 : topo_hosts[host].ip6,
		  b.be.addr);
	b.be.port = htons(8080);
	b.be.family = (__u8)t->fam;
	b.be.state = state;
	return b;
}

static void sc_lb_nat(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP), ku = vip_key(t, UDP);
	struct xg_svc_backend b1 = backend(t, 1, B1, XG_BE_ACTIVE);

	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, &b1, 1, 0), 0);
	assert_int_equal(xg_service_put(t->bk->maps(), &ku, 11, &b1, 1, 0), 0);
	expect_fwd_as(t, "syn to the VIP: DNAT to the backend",
		      mk(t, TCP, C1, VIP, 30000, 80, SYN),
		      mk(t, TCP, C1, B1, 30000, 8080, SYN));
	expect_fwd_as(t, "syn-ack: the VIP back as source",
		      mk(t, TCP, B1, C1, 8080, 30000, SYNACK),
		      mk(t, TCP, VIP, C1, 80, 30000, SYNACK));
	expect_fwd_as(t, "ack: same backend", mk(t, TCP, C1, VIP, 30000, 80, ACK),
		      mk(t, TCP, C1, B1, 30000, 8080, ACK));
	expect_fwd_as(t, "udp: DNAT", mk(t, UDP, C2, VIP, 30001, 80, 0),
		      mk(t, UDP, C2, B1, 30001, 8080, 0));
	expect_fwd_as(t, "udp answer: reverse NAT",
		      mk(t, UDP, B1, C2, 8080, 30001, 0),
		      mk(t, UDP, VIP, C2, 80, 30001, 0));
	expect_fwd(t, "other port of the VIP: not a service",
		   mk(t, TCP, C1, B2, 30002, 81, SYN));
	if (t->fam == 4) {
		/* IPv4 UDP without a checksum keeps none. */
		struct pk p = mk(t, UDP, C2, VIP, 30003, 80, 0);
		__u8 buf[2048];
		size_t len = build(&p, buf, sizeof(buf)), out, l4 = pkt_l4_off(&p.s);

		buf[l4 + 6] = buf[l4 + 7] = 0;
		assert_int_equal(t->bk->run(buf, len, &out, GW0), XDP_REDIRECT);
		assert_int_equal(buf[l4 + 6] | buf[l4 + 7], 0);
		assert_int_equal(buf[l4 + 2] << 8 | buf[l4 + 3], 8080);
	}
}

static void sc_lb_policy(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP);
	struct xg_svc_backend b1 = backend(t, 1, B1, XG_BE_ACTIVE);

	/* Policy sees the backend, on the backend's port. */
	RULES(t, allow_in(ID_B1, ID_C2, TCP, 8080, 8080));
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, &b1, 1, 0), 0);
	expect_drop(t, "backend's ingress policy applies through the VIP",
		    mk(t, TCP, C1, VIP, 31000, 80, SYN),
		    XG_DROP_POLICY_DEFAULT_DENY);
	expect_fwd_as(t, "allowed peer reaches the backend",
		      mk(t, TCP, C2, VIP, 31001, 80, SYN),
		      mk(t, TCP, C2, B1, 31001, 8080, SYN));
}

static void sc_lb_spread(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP);
	struct xg_svc_backend b[2] = { backend(t, 1, B1, XG_BE_ACTIVE),
				       backend(t, 2, B2, XG_BE_ACTIVE) };
	__u8 a1[16] = {}, a2[16] = {}, got[16];
	int on1 = 0, on2 = 0, was2[64] = {};
	__u16 port;

	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[B1].ip4 : topo_hosts[B1].ip6, a1);
	inet_pton(t->fam == 4 ? AF_INET : AF_INET6,
		  t->fam == 4 ? topo_hosts[B2].ip4 : topo_hosts[B2].ip6, a2);
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, b, 2, 0), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, (__u16)(32000 + i), 80, SYN),
					  1, got, &port), XDP_REDIRECT);
		assert_int_equal(port, 8080);
		if (!memcmp(got, a1, t->fam == 4 ? 4 : 16))
			on1++;
		else if (!memcmp(got, a2, t->fam == 4 ? 4 : 16))
			on2++, was2[i] = 1;
		else
			fail_msg("flow %d went to neither backend", i);
	}
	if (on1 < 16 || on2 < 16)
		fail_msg("64 flows split %d/%d between two backends", on1, on2);

	/* B2 terminating: its flows stay, new flows avoid it. */
	b[1].be.state = XG_BE_TERMINATING;
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, b, 2, 0), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, (__u16)(32000 + i), 80, ACK),
					  1, got, &port), XDP_REDIRECT);
		if (!memcmp(got, was2[i] ? a2 : a1, t->fam == 4 ? 4 : 16))
			continue;
		fail_msg("flow %d changed backend", i);
	}
	for (int i = 0; i < 32; i++) {
		assert_int_equal(run_addr(t, mk(t, TCP, C2, VIP, (__u16)(33000 + i), 80, SYN),
					  1, got, &port), XDP_REDIRECT);
		if (memcmp(got, a1, t->fam == 4 ? 4 : 16))
			fail_msg("new flow %d went to the terminating backend", i);
	}

	/* No usable backend: new flows are dropped, with the reason. */
	b[0].be.state = XG_BE_TERMINATING;
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, b, 2, 0), 0);
	expect_tcp_rst(t, "no active backend: SYN is reset",
		       mk(t, TCP, C3, VIP, 34000, 80, SYN), XG_DROP_LB_NO_BACKEND);

	/* Service removed: the VIP is an ordinary address again. */
	assert_int_equal(xg_service_del(t->bk->maps(), &k, 10), 0);
	expect_pass(t, "no service: VIP has no neighbour, kernel's",
		    mk(t, TCP, C3, VIP, 34001, 80, SYN));
}

/* A service without a usable backend answers like a closed port: TCP
 * gets a reset, UDP an ICMP port unreachable quoting the datagram; the
 * drop is counted with its reason either way. */
static void sc_lb_no_backend(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP), ku = vip_key(t, UDP);
	struct pk p;

	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, NULL, 0, 0), 0);
	assert_int_equal(xg_service_put(t->bk->maps(), &ku, 11, NULL, 0, 0), 0);
	expect_tcp_rst(t, "SYN: RST|ACK acknowledging it",
		       mk(t, TCP, C1, VIP, 35000, 80, SYN), XG_DROP_LB_NO_BACKEND);
	p = mk(t, TCP, C1, VIP, 35001, 80, ACK);
	p.s.payload = 100;
	expect_tcp_rst(t, "stray ACK with data: RST at its ACK number", p,
		       XG_DROP_LB_NO_BACKEND);
	p = mk(t, TCP, C1, VIP, 35002, 80, SYN);
	p.s.vlans = 1;
	expect_tcp_rst(t, "tagged SYN: the tag stays", p, XG_DROP_LB_NO_BACKEND);
	expect_drop(t, "a RST is never answered",
		    mk(t, TCP, C1, VIP, 35003, 80, XG_TCP_RST),
		    XG_DROP_LB_NO_BACKEND);
	expect_port_unreach(t, "UDP: port unreachable (frame grows)",
			    mk(t, UDP, C1, VIP, 35004, 80, 0),
			    XG_DROP_LB_NO_BACKEND);
	p = mk(t, UDP, C1, VIP, 35005, 80, 0);
	p.s.payload = 1000;
	expect_port_unreach(t, "big UDP: quote of the headers + 8 bytes", p,
			    XG_DROP_LB_NO_BACKEND);
	if (t->fam == 4) {
		p = mk(t, UDP, C1, VIP, 35006, 80, 0);
		p.s.ip4_optlen = 8;
		expect_port_unreach(t, "IPv4 options are quoted", p,
				    XG_DROP_LB_NO_BACKEND);
	} else {
		p = mk(t, UDP, C1, VIP, 35006, 80, 0);
		p.s.nexts = 2;
		p.s.exts[0] = XG_IPPROTO_DSTOPTS;
		p.s.exts[1] = XG_IPPROTO_DSTOPTS;
		expect_port_unreach(t, "extension headers are quoted", p,
				    XG_DROP_LB_NO_BACKEND);
	}
}

/* One backend in two services, terminating in one of them: the other
 * service's new flows still reach it (its table decides, not the
 * shared entry's state). */
static void sc_lb_shared_backend(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP), k2 = vip_key(t, TCP);
	struct xg_svc_backend b = backend(t, 1, B1, XG_BE_ACTIVE);
	struct xg_svc_backend bt = backend(t, 1, B1, XG_BE_TERMINATING);
	struct xg_svc_backend b2 = backend(t, 2, B2, XG_BE_ACTIVE);
	struct xg_svc_backend two[2] = { bt, b2 };

	k2.port = htons(81);
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, &b, 1, 0), 0);
	assert_int_equal(xg_service_put(t->bk->maps(), &k2, 11, two, 2, 0), 0);
	for (int i = 0; i < 8; i++)
		expect_fwd_as(t, "service 10 still sends new flows to its active backend",
			      mk(t, TCP, C1, VIP, (__u16)(37000 + i), 80, SYN),
			      mk(t, TCP, C1, B1, (__u16)(37000 + i), 8080, SYN));
}

/* ICMP errors about balanced flows are translated like the flow, so
 * path MTU discovery works through the gateway. */
static void sc_lb_icmp_errors(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP), ku = vip_key(t, UDP);
	struct xg_svc_backend b1 = backend(t, 1, B1, XG_BE_ACTIVE);
	__u8 unreach = t->fam == 4 ? 3 : 1, too_big = t->fam == 4 ? 3 : 2;
	__u8 frag_needed = t->fam == 4 ? 4 : 0;
	size_t ipl = t->fam == 4 ? 20 : 40;
	struct pk q, wq, e, w;

	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, &b1, 1, 0), 0);
	assert_int_equal(xg_service_put(t->bk->maps(), &ku, 11, &b1, 1, 0), 0);
	expect_fwd_as(t, "a TCP flow to the VIP", mk(t, TCP, C1, VIP, 36000, 80, SYN),
		      mk(t, TCP, C1, B1, 36000, 8080, SYN));
	expect_fwd_as(t, "a UDP flow to the VIP", mk(t, UDP, C1, VIP, 36001, 80, 0),
		      mk(t, UDP, C1, B1, 36001, 8080, 0));

	/* The backend says "too big" about the client's packet: the client
	 * sees it from the VIP, about its packet to the VIP. */
	q = mk(t, TCP, C1, B1, 36000, 8080, ACK);
	wq = mk(t, TCP, C1, VIP, 36000, 80, ACK);
	e = mk_icmp_err(t, B1, C1, too_big, frag_needed, &q, ipl + 8);
	w = mk_icmp_err(t, VIP, C1, too_big, frag_needed, &wq, ipl + 8);
	w.dst = C1;
	expect_fwd_built(t, "too big from the backend: from the VIP, quoting the VIP", e, w);

	/* A router on the backend side: its own address stays; the whole
	 * UDP datagram quoted, so its checksum is translated too. */
	q = mk(t, UDP, C1, B1, 36001, 8080, 0);
	wq = mk(t, UDP, C1, VIP, 36001, 80, 0);
	e = mk_icmp_err(t, B2, C1, unreach, t->fam == 4 ? 1 : 3, &q, 2048);
	w = mk_icmp_err(t, B2, C1, unreach, t->fam == 4 ? 1 : 3, &wq, 2048);
	expect_fwd_built(t, "unreachable from a router: quote and UDP checksum translated", e, w);

	/* The client side says "too big" about a reply from the VIP: it
	 * goes to the backend, about the backend's packet. */
	q = mk(t, TCP, VIP, C1, 80, 36000, ACK);
	wq = mk(t, TCP, B1, C1, 8080, 36000, ACK);
	e = mk_icmp_err(t, C1, VIP, too_big, frag_needed, &q, ipl + 8);
	w = mk_icmp_err(t, C1, B1, too_big, frag_needed, &wq, ipl + 8);
	expect_fwd_built(t, "too big about a reply: to the backend, quoting it", e, w);

	/* Unrelated errors are ordinary ICMP: judged, not translated. */
	q = mk(t, TCP, C2, B1, 36002, 8080, ACK);
	e = mk_icmp_err(t, B1, C2, unreach, 1, &q, ipl + 8);
	expect_fwd(t, "an error about no known flow goes as it is", e);
}

static void sc_lb_affinity(struct tctx *t)
{
	struct xg_svc_key k = vip_key(t, TCP);
	struct xg_svc_backend b[2] = { backend(t, 1, B1, XG_BE_ACTIVE),
				       backend(t, 2, B2, XG_BE_ACTIVE) };
	size_t alen = t->fam == 4 ? 4 : 16;
	__u8 first[16], got[16], other[16];
	__u16 port;

	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, b, 2, 30), 0);
	assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, 35000, 80, SYN), 1,
				  first, &port), XDP_REDIRECT);
	for (int i = 1; i < 24; i++) {
		assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, (__u16)(35000 + i), 80, SYN),
					  1, got, &port), XDP_REDIRECT);
		if (memcmp(got, first, alen))
			fail_msg("%s/%d: flow %d of the same client left its backend",
				 t->bk->name, t->fam, i);
	}
	/* The backend goes terminating: the client's next flow goes to the
	 * other one, and sticks there. */
	if (!memcmp(first, b[0].be.addr, alen))
		b[0].be.state = XG_BE_TERMINATING;
	else
		b[1].be.state = XG_BE_TERMINATING;
	assert_int_equal(xg_service_put(t->bk->maps(), &k, 10, b, 2, 30), 0);
	assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, 36000, 80, SYN), 1,
				  other, &port), XDP_REDIRECT);
	if (!memcmp(other, first, alen))
		fail_msg("%s/%d: affinity sent a new flow to a terminating backend",
			 t->bk->name, t->fam);
	for (int i = 1; i < 8; i++) {
		assert_int_equal(run_addr(t, mk(t, TCP, C1, VIP, (__u16)(36000 + i), 80, SYN),
					  1, got, &port), XDP_REDIRECT);
		assert_memory_equal(got, other, alen);
	}
}

/* ---------------------------------------------------- native only -- */

static void sc_ct_expiry(struct tctx *t)
{
	if (t->bk->advance_ns(0))
		skip(); /* needs a clock the test controls */
	RULES(t, allow_in(ID_B1, ID_C1, UDP, 53, 53), allow_in(ID_C1, ID_C2, TCP, 1, 1));
	expect_fwd(t, "query", mk(t, UDP, C1, B1, 17000, 53, 0));
	t->bk->advance_ns(59ull * 1000000000ull);
	expect_fwd(t, "answer within 60 s", mk(t, UDP, B1, C1, 53, 17000, 0));
	t->bk->advance_ns(61ull * 1000000000ull);
	expect_drop(t, "answer after expiry is a new flow",
		    mk(t, UDP, B1, C1, 53, 17000, 0), XG_DROP_POLICY_DEFAULT_DENY);
}

/* ---------------------------------------------------------- runner -- */

typedef void (*scenario_fn)(struct tctx *t);

static const struct {
	const char *name;
	scenario_fn fn;
} scenarios[] = {
#define S(n) { #n, sc_##n }
	S(default_allow),    S(l4_allow),         S(port_ranges),
	S(wildcards),        S(deny_precedence),  S(both_directions),
	S(world_and_cidr),   S(conntrack_replies), S(revision_recheck),
	S(revision_ahead),
	S(denycache),        S(l7),               S(fragments),
	S(fib_fallbacks),    S(icmp_types),       S(tcp_reopen),
	S(events),           S(malformed_common), S(malformed_v4),
	S(malformed_v6),     S(ct_expiry),        S(lb_nat),
	S(lb_policy),        S(lb_spread),        S(lb_affinity),
	S(lb_no_backend),     S(lb_icmp_errors),   S(lb_shared_backend),
	S(vcache),
#undef S
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

struct tstate {
	struct tctx t;
	scenario_fn fn;
	__u32 vcache_slots;
};

/* Verdict cache sizes the table runs under: the default, one slot (every
 * pair evicts the one before: a hit must never be another pair's
 * answer) and none (every new flow judged in full). */
static const __u32 vcache_sizes[] = { XG_VCACHE_SLOTS, 1, 0 };
#define NVC (sizeof(vcache_sizes) / sizeof(vcache_sizes[0]))

static void install_identities(struct tctx *t)
{
	struct xg_mapset *ms = t->bk->maps();
	struct xg_prefix p;
	static const int hosts[] = { C1, C2, B1 };

	for (size_t i = 0; i < 3; i++) {
		const struct topo_host *h = &topo_hosts[hosts[i]];

		assert_int_equal(xg_prefix_parse(t->fam == 4 ? h->ip4 : h->ip6,
						 &p, NULL), 0);
		assert_int_equal(xg_ipcache_set(ms, &p, h->identity), 0);
	}
	assert_int_equal(xg_prefix_parse(t->fam == 4 ? topo_ifs[GW1].net4 :
						       topo_ifs[GW1].net6,
					 &p, NULL), 0);
	assert_int_equal(xg_ipcache_set(ms, &p, ID_BNET), 0);
	assert_int_equal(xg_prefix_parse(t->fam == 4 ? topo_hosts[GWA].ip4 :
						       topo_hosts[GWA].ip6,
					 &p, NULL), 0);
	assert_int_equal(xg_ipcache_set(ms, &p, XG_ID_HOST), 0);
	assert_int_equal(xg_txport_add(ms, t->bk->ifindex(GW0)), 0);
	assert_int_equal(xg_txport_add(ms, t->bk->ifindex(GW1)), 0);
}

static int setup(void **state)
{
	struct tstate *s = *state;
	struct xg_config cfg = XG_CONFIG_DEFAULT;

	cfg.vcache_slots = s->vcache_slots;
	if (s->t.bk->reset(&cfg))
		return -1;
	memset(&s->t.sync, 0, sizeof(s->t.sync));
	install_identities(&s->t);
	return 0;
}

static int teardown(void **state)
{
	struct tstate *s = *state;

	xg_policy_sync_free(&s->t.sync);
	return 0;
}

static void run_scenario(void **state)
{
	struct tstate *s = *state;

	s->fn(&s->t);
}

static int run_backend(const struct dp_backend *bk)
{
	static struct tstate st[NVC][2][NSCEN];
	static struct CMUnitTest tests[NVC * 2 * NSCEN];
	static char names[NVC][2][NSCEN][80];
	char group[32];
	int fails;
	size_t n = 0;

	if (bk->init()) {
		fprintf(stderr, "%s backend: init failed\n", bk->name);
		return 1;
	}
	/* The BPF build skips the cache-off run: each BPF scenario costs a
	 * verifier pass, and the off switch is one test at the top. */
	for (size_t v = 0; v < NVC - (bk == &backend_bpf); v++) {
		for (int f = 0; f < 2; f++) {
			for (size_t i = 0; i < NSCEN; i++) {
				struct CMUnitTest *u = &tests[n++];
				struct tstate *ts = &st[v][f][i];

				ts->t.bk = bk;
				ts->t.fam = f ? 6 : 4;
				ts->fn = scenarios[i].fn;
				ts->vcache_slots = vcache_sizes[v];
				snprintf(names[v][f][i], sizeof(names[v][f][i]),
					 "%s_ipv%d_vcache%u", scenarios[i].name,
					 f ? 6 : 4, vcache_sizes[v]);
				u->name = names[v][f][i];
				u->test_func = run_scenario;
				u->setup_func = setup;
				u->teardown_func = teardown;
				u->initial_state = ts;
			}
		}
	}
	snprintf(group, sizeof(group), "xdp_table_%s", bk->name);
	fails = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	bk->fini();
	return fails;
}

int main(int argc, char **argv)
{
	/* argv[1]: "native", "bpf" or nothing for both */
	int fails = 0;

	if (argc < 2 || !strcmp(argv[1], "native"))
		fails += run_backend(&backend_native);
	if (argc < 2 || !strcmp(argv[1], "bpf"))
		fails += run_backend(&backend_bpf);
	return fails ? 1 : 0;
}
