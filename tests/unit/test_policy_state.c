// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/policy_state.c: port ranges to prefixes, rules to policy-map
 * entries (key layout, enforcement markers, merging, deny push-down,
 * validation), and the make-before-break sync of entries to a map,
 * watched through a mapset that records the order of every write.
 */
#ifndef XG_NATIVE_EXTERN
#define XG_NATIVE_EXTERN 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "ctrl/entries.h"
#include "ctrl/policy_state.h"
#include "xdp/native/datapath.h"
#include "xdp/policy.h"
#include "xdp/proto.h"
#include "tests/lib/native_ms.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------- port ranges -- */

/* The minimal number of aligned blocks covering [lo, hi]: walk the
 * binary trie of the port space, counting nodes that lie inside the
 * range and whose parent does not. */
static int ref_count(__u32 a, __u32 b, __u32 lo, __u32 hi)
{
	__u32 mid;

	if (b < lo || a > hi)
		return 0;
	if (lo <= a && b <= hi)
		return 1;
	mid = a + (b - a) / 2;
	return ref_count(a, mid, lo, hi) + ref_count(mid + 1, b, lo, hi);
}

/* Prefixes must tile [lo, hi] in order: each aligned to its size, each
 * starting where the previous ended, the last ending at hi. */
static void check_range(__u32 lo, __u32 hi)
{
	__u16 port[32];
	__u8 plen[32];
	__u32 next = lo;
	int n;

	n = xg_port_range_prefixes((__u16)lo, (__u16)hi, port, plen, 32);
	if (n < 1 || n > 30)
		fail_msg("%u-%u: %d prefixes", lo, hi, n);
	for (int i = 0; i < n; i++) {
		__u32 size;

		if (plen[i] > 16)
			fail_msg("%u-%u: prefix %d has length %u", lo, hi, i,
				 plen[i]);
		size = 1u << (16 - plen[i]);
		if (port[i] != next || (port[i] & (size - 1)))
			fail_msg("%u-%u: prefix %d is %u/%u, expected start %u",
				 lo, hi, i, port[i], plen[i], next);
		next += size;
	}
	if (next != hi + 1)
		fail_msg("%u-%u: prefixes end at %u", lo, hi, next - 1);
	if (n != ref_count(0, 65535, lo, hi))
		fail_msg("%u-%u: %d prefixes, %d suffice", lo, hi, n,
			 ref_count(0, 65535, lo, hi));
}

static void test_ports_edges(void **state)
{
	__u16 port[32];
	__u8 plen[32];

	assert_int_equal(xg_port_range_prefixes(0, 0, port, plen, 32), 1);
	assert_int_equal(port[0], 0);
	assert_int_equal(plen[0], 16);

	assert_int_equal(xg_port_range_prefixes(0, 65535, port, plen, 32), 1);
	assert_int_equal(port[0], 0);
	assert_int_equal(plen[0], 0);

	assert_int_equal(xg_port_range_prefixes(65535, 65535, port, plen, 32),
			 1);
	assert_int_equal(port[0], 65535);
	assert_int_equal(plen[0], 16);

	/* The worst case: 15 blocks growing from 1, 15 shrinking to 65534. */
	assert_int_equal(xg_port_range_prefixes(1, 65534, port, plen, 32), 30);
	assert_int_equal(port[0], 1);
	assert_int_equal(plen[0], 16);
	assert_int_equal(port[29], 65534);
	assert_int_equal(plen[29], 16);

	assert_int_equal(xg_port_range_prefixes(32768, 65535, port, plen, 32),
			 1);
	assert_int_equal(port[0], 32768);
	assert_int_equal(plen[0], 1);

	check_range(0, 0);
	check_range(0, 65535);
	check_range(65535, 65535);
	check_range(1, 65534);
}

/* Every range inside the low and the high 1024 ports, every range that
 * starts at 0 or ends at 65535, and random ones. */
static void test_ports_exhaustive(void **state)
{
	for (__u32 lo = 0; lo < 1024; lo++)
		for (__u32 hi = lo; hi < 1024; hi++)
			check_range(lo, hi);
	for (__u32 lo = 64512; lo <= 65535; lo++)
		for (__u32 hi = lo; hi <= 65535; hi++)
			check_range(lo, hi);
	for (__u32 x = 0; x <= 65535; x++) {
		check_range(0, x);
		check_range(x, 65535);
	}
}

static void test_ports_random(void **state)
{
	__u64 seed = 0x5eed1234abcdull; /* fixed: failures reproduce */

	for (int i = 0; i < 200000; i++) {
		__u32 a, b;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		a = (__u32)(seed & 0xffff);
		b = (__u32)((seed >> 16) & 0xffff);
		if (a > b) {
			__u32 t = a;

			a = b;
			b = t;
		}
		check_range(a, b);
	}
}

/* Fewer slots than prefixes: the count is still the full count and
 * nothing is written past the slots given. */
static void test_ports_max_respected(void **state)
{
	__u16 port[32];
	__u8 plen[32];

	memset(port, 0xab, sizeof(port));
	memset(plen, 0xcd, sizeof(plen));
	assert_int_equal(xg_port_range_prefixes(1, 65534, port, plen, 4), 30);
	assert_int_equal(port[0], 1);
	for (int i = 4; i < 32; i++) {
		assert_int_equal(port[i], 0xabab);
		assert_int_equal(plen[i], 0xcd);
	}
	assert_int_equal(xg_port_range_prefixes(1, 65534, port, plen, 0), 30);
}

/* ------------------------------------------------------- compiling -- */

#define SUBJ 300
#define SUBJ2 301
#define PEER 400
#define PEER2 401

static struct xg_rule rule(__u32 subject, __u32 peer, __u8 dir, __u8 action,
			   __u8 proto, __u16 lo, __u16 hi, __u32 l7,
			   __u32 cookie)
{
	struct xg_rule r = {
		.subject = subject,
		.peer = peer,
		.dir = dir,
		.action = action,
		.proto = proto,
		.port_lo = lo,
		.port_hi = hi,
		.l7_ruleset = l7,
		.cookie = cookie,
	};

	return r;
}

#define ALLOW(subj, peer, proto, lo, hi, cookie)                              \
	rule(subj, peer, XG_DIR_INGRESS, XG_ACT_ALLOW, proto, lo, hi, 0, cookie)
#define DENY(subj, peer, proto, lo, hi, cookie)                               \
	rule(subj, peer, XG_DIR_INGRESS, XG_ACT_DENY, proto, lo, hi, 0, cookie)

static struct xg_policy_key pkey(__u32 plen, __u32 subject, __u32 dir,
				 __u32 peer, __u8 proto, __u16 port)
{
	struct xg_policy_key k;

	memset(&k, 0, sizeof(k));
	k.prefixlen = plen;
	k.subject = subject;
	k.dir = dir;
	k.peer = peer;
	k.proto = proto;
	k.dport = htons(port);
	return k;
}

static const struct xg_policy_entry *find(const struct xg_policy_set *s,
					  struct xg_policy_key k)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->v[i].key, &k, sizeof(k)))
			return &s->v[i];
	return NULL;
}

static const struct xg_policy_entry *must_find(const struct xg_policy_set *s,
					       struct xg_policy_key k)
{
	const struct xg_policy_entry *e = find(s, k);

	if (!e)
		fail_msg("no entry plen %u subject %u dir %u peer %u proto %u port %u",
			 k.prefixlen, k.subject, k.dir, k.peer, k.proto,
			 ntohs(k.dport));
	return e;
}

static size_t count_group(const struct xg_policy_set *s, __u32 subject,
			  __u32 dir)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].key.subject == subject && s->v[i].key.dir == dir;
	return n;
}

static size_t count_markers(const struct xg_policy_set *s, __u32 subject,
			    __u32 dir)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].key.subject == subject && s->v[i].key.dir == dir &&
		     s->v[i].key.prefixlen == XG_POLICY_PLEN_SUBJECT;
	return n;
}

static void compile_ok(const struct xg_rule *rules, size_t n,
		       const struct xg_enforce *enf, size_t nenf,
		       struct xg_policy_set *out)
{
	struct xg_err err = {};
	int ret = xg_policy_compile(rules, n, enf, nenf, out, &err);

	if (ret)
		fail_msg("compile: %d: %s: %s", ret, err.where, err.msg);
}

/* XG_POL_F_NO_ANY_PEER is on every entry of a (subject, direction) with
 * no peer-0 entry longer than the subject-wide one, and on no entry of
 * any other: the datapath skips its any-peer lookup on that promise. */
static void check_any_peer_flags(const struct xg_policy_set *s)
{
	for (size_t g = 0, end; g < s->n; g = end) {
		bool any_peer = false;

		for (end = g; end < s->n && s->v[end].key.subject == s->v[g].key.subject &&
			      s->v[end].key.dir == s->v[g].key.dir;
		     end++)
			any_peer |= !s->v[end].key.peer &&
				    s->v[end].key.prefixlen > XG_POLICY_PLEN_SUBJECT;
		for (size_t e = g; e < end; e++)
			if (!(s->v[e].val.flags & XG_POL_F_NO_ANY_PEER) != any_peer)
				fail_msg("subject %u dir %u entry %zu: flags %#x, any-peer entries %s",
					 s->v[e].key.subject, s->v[e].key.dir, e - g,
					 s->v[e].val.flags, any_peer ? "present" : "absent");
	}
}

/* Every entry's value carries its own prefix length, and the set is
 * grouped by (subject, direction) as the sync's merge walk needs. */
static void check_set_shape(const struct xg_policy_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct xg_policy_entry *e = &s->v[i];

		assert_int_equal(e->val.prefixlen, e->key.prefixlen);
		assert_true(e->key.prefixlen >= XG_POLICY_PLEN_SUBJECT &&
			    e->key.prefixlen <= XG_POLICY_PLEN_FULL);
		assert_int_equal(e->val.pad | e->val.pad2, 0);
		assert_int_equal(e->val.flags & ~XG_POL_F_NO_ANY_PEER, 0);
		assert_int_equal(e->key.pad, 0);
		if (i) {
			const struct xg_policy_key *p = &s->v[i - 1].key;

			assert_true(p->subject < e->key.subject ||
				    (p->subject == e->key.subject &&
				     p->dir <= e->key.dir));
			assert_memory_not_equal(p, &e->key, sizeof(*p));
		}
	}
	check_any_peer_flags(s);
}

static void test_compile_peer_proto_port(void **state)
{
	struct xg_rule r = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 11);
	struct xg_policy_set s;
	const struct xg_policy_entry *e;
	static const __u8 raw_key[20] = {
		128, 0, 0, 0, /* prefixlen, host order (little-endian) */
		0x2c, 0x01, 0, 0, /* subject 300 */
		1, 0, 0, 0, /* ingress */
		0x90, 0x01, 0, 0, /* peer 400 */
		6, 0, /* TCP, pad */
		0x00, 0x50, /* port 80, network order */
	};

	compile_ok(&r, 1, NULL, 0, &s);
	check_set_shape(&s);
	assert_int_equal(s.n, 2); /* the port entry and the marker */
	e = must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS, PEER,
			       XG_IPPROTO_TCP, 80));
	assert_memory_equal(&e->key, raw_key, sizeof(raw_key));
	assert_int_equal(e->val.action, XG_ACT_ALLOW);
	assert_int_equal(e->val.prefixlen, 128);
	assert_int_equal(e->val.l7_ruleset, 0);
	assert_int_equal(e->val.cookie, 11);
	e = must_find(&s, pkey(XG_POLICY_PLEN_SUBJECT, SUBJ, XG_DIR_INGRESS, 0,
			       0, 0));
	assert_int_equal(e->val.action, XG_ACT_DEFAULT_DENY);
	assert_int_equal(e->val.cookie, 0);
	xg_policy_set_free(&s);

	/* 80-81 is one /15 of the port space. */
	r = ALLOW(SUBJ, PEER, XG_IPPROTO_UDP, 80, 81, 12);
	compile_ok(&r, 1, NULL, 0, &s);
	assert_int_equal(s.n, 2);
	e = must_find(&s, pkey(XG_POLICY_PLEN_PROTO + 15, SUBJ, XG_DIR_INGRESS,
			       PEER, XG_IPPROTO_UDP, 80));
	assert_int_equal(e->val.prefixlen, 127);
	xg_policy_set_free(&s);

	/* The widest split: 30 entries plus the marker, all distinct. */
	r = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 1, 65534, 13);
	compile_ok(&r, 1, NULL, 0, &s);
	check_set_shape(&s);
	assert_int_equal(s.n, 31);
	must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 1));
	/* 16384-32767 and 32768-49151 are the two /2 in the middle. */
	must_find(&s, pkey(XG_POLICY_PLEN_PROTO + 2, SUBJ, XG_DIR_INGRESS, PEER,
			   XG_IPPROTO_TCP, 16384));
	must_find(&s, pkey(XG_POLICY_PLEN_PROTO + 2, SUBJ, XG_DIR_INGRESS, PEER,
			   XG_IPPROTO_TCP, 32768));
	must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP,
			   65534));
	xg_policy_set_free(&s);

	/* Any port of a protocol: the proto prefix, port bits free. */
	r = ALLOW(SUBJ, PEER, XG_IPPROTO_SCTP, 0, 65535, 14);
	compile_ok(&r, 1, NULL, 0, &s);
	assert_int_equal(s.n, 2);
	must_find(&s, pkey(XG_POLICY_PLEN_PROTO, SUBJ, XG_DIR_INGRESS, PEER,
			   XG_IPPROTO_SCTP, 0));
	xg_policy_set_free(&s);

	/* ICMP: the type sits where the port does. */
	r = ALLOW(SUBJ, PEER, XG_IPPROTO_ICMP, 8, 8, 15);
	compile_ok(&r, 1, NULL, 0, &s);
	must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_ICMP, 8));
	xg_policy_set_free(&s);

	/* Egress lands in the egress group. */
	r = rule(SUBJ, PEER, XG_DIR_EGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 443,
		 443, 0, 16);
	compile_ok(&r, 1, NULL, 0, &s);
	must_find(&s, pkey(128, SUBJ, XG_DIR_EGRESS, PEER, XG_IPPROTO_TCP, 443));
	must_find(&s, pkey(64, SUBJ, XG_DIR_EGRESS, 0, 0, 0));
	assert_int_equal(count_group(&s, SUBJ, XG_DIR_INGRESS), 0);
	xg_policy_set_free(&s);
}

static void test_compile_peer_any_proto(void **state)
{
	struct xg_rule r = ALLOW(SUBJ, PEER, 0, 0, 65535, 21);
	struct xg_policy_set s;
	const struct xg_policy_entry *e;

	compile_ok(&r, 1, NULL, 0, &s);
	check_set_shape(&s);
	assert_int_equal(s.n, 2);
	e = must_find(&s, pkey(XG_POLICY_PLEN_PEER, SUBJ, XG_DIR_INGRESS, PEER,
			       0, 0));
	assert_int_equal(e->val.action, XG_ACT_ALLOW);
	assert_int_equal(e->val.prefixlen, XG_POLICY_PLEN_PEER);
	assert_int_equal(e->val.cookie, 21);
	xg_policy_set_free(&s);

	/* Any peer, one protocol and port: peer stays 0 under the prefix. */
	r = ALLOW(SUBJ, 0, XG_IPPROTO_UDP, 53, 53, 22);
	compile_ok(&r, 1, NULL, 0, &s);
	assert_int_equal(s.n, 2);
	e = must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS, 0, XG_IPPROTO_UDP, 53));
	assert_int_equal(e->val.cookie, 22);
	xg_policy_set_free(&s);
}

static void test_compile_subject_wide(void **state)
{
	struct xg_rule r = ALLOW(SUBJ, 0, 0, 0, 65535, 31);
	struct xg_policy_set s;
	const struct xg_policy_entry *e;

	/* Allow-all merges with the marker on the same key: one entry. */
	compile_ok(&r, 1, NULL, 0, &s);
	check_set_shape(&s);
	assert_int_equal(s.n, 1);
	e = must_find(&s, pkey(XG_POLICY_PLEN_SUBJECT, SUBJ, XG_DIR_INGRESS, 0,
			       0, 0));
	assert_int_equal(e->val.action, XG_ACT_ALLOW);
	assert_int_equal(e->val.prefixlen, XG_POLICY_PLEN_SUBJECT);
	assert_int_equal(e->val.cookie, 31);
	xg_policy_set_free(&s);

	r = DENY(SUBJ, 0, 0, 0, 65535, 32);
	compile_ok(&r, 1, NULL, 0, &s);
	assert_int_equal(s.n, 1);
	e = must_find(&s, pkey(XG_POLICY_PLEN_SUBJECT, SUBJ, XG_DIR_INGRESS, 0,
			       0, 0));
	assert_int_equal(e->val.action, XG_ACT_DENY);
	assert_int_equal(e->val.cookie, 32);
	xg_policy_set_free(&s);
}

static void test_compile_markers(void **state)
{
	struct xg_rule rules[] = {
		ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1),
		ALLOW(SUBJ, PEER2, XG_IPPROTO_TCP, 80, 80, 2),
		DENY(SUBJ, 402, 0, 0, 65535, 3),
		rule(SUBJ, PEER, XG_DIR_EGRESS, XG_ACT_ALLOW, XG_IPPROTO_UDP,
		     53, 53, 0, 4),
		ALLOW(SUBJ2, PEER, XG_IPPROTO_TCP, 22, 22, 5),
		ALLOW(SUBJ2, PEER, XG_IPPROTO_TCP, 23, 23, 6),
	};
	struct xg_enforce enf[] = {
		{ .subject = 302, .dir = XG_DIR_EGRESS },
		{ .subject = SUBJ, .dir = XG_DIR_INGRESS }, /* also by rules */
	};
	struct xg_policy_set s;
	const struct xg_policy_entry *e;

	compile_ok(rules, ARRAY_SIZE(rules), enf, ARRAY_SIZE(enf), &s);
	check_set_shape(&s);
	assert_int_equal(count_markers(&s, SUBJ, XG_DIR_INGRESS), 1);
	assert_int_equal(count_markers(&s, SUBJ, XG_DIR_EGRESS), 1);
	assert_int_equal(count_markers(&s, SUBJ2, XG_DIR_INGRESS), 1);
	assert_int_equal(count_markers(&s, SUBJ2, XG_DIR_EGRESS), 0);
	assert_int_equal(count_markers(&s, 302, XG_DIR_EGRESS), 1);
	assert_int_equal(count_markers(&s, 302, XG_DIR_INGRESS), 0);
	/* An enforced subject without rules has only its marker. */
	assert_int_equal(count_group(&s, 302, XG_DIR_EGRESS), 1);
	e = must_find(&s, pkey(64, 302, XG_DIR_EGRESS, 0, 0, 0));
	assert_int_equal(e->val.action, XG_ACT_DEFAULT_DENY);
	/* 3 + marker, 1 + marker, 2 + marker, marker */
	assert_int_equal(s.n, 10);
	xg_policy_set_free(&s);

	/* Nothing in, nothing out. */
	compile_ok(NULL, 0, NULL, 0, &s);
	assert_int_equal(s.n, 0);
	xg_policy_set_free(&s);
}

/* Rules that land on one key, in both input orders. */
static void merge2(struct xg_rule a, struct xg_rule b, struct xg_policy_key k,
		   __u8 action, __u32 l7, __u32 cookie)
{
	struct xg_rule rules[2][2] = { { a, b }, { b, a } };

	for (int o = 0; o < 2; o++) {
		struct xg_policy_set s;
		const struct xg_policy_entry *e;

		compile_ok(rules[o], 2, NULL, 0, &s);
		check_set_shape(&s);
		e = must_find(&s, k);
		assert_int_equal(e->val.action, action);
		assert_int_equal(e->val.l7_ruleset, l7);
		assert_int_equal(e->val.cookie, cookie);
		xg_policy_set_free(&s);
	}
}

static void test_compile_merge(void **state)
{
	struct xg_policy_key k80 =
		pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 80);
	struct xg_policy_key kall = pkey(64, SUBJ, XG_DIR_INGRESS, 0, 0, 0);
	struct xg_rule l7a = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 3);
	struct xg_rule l7b = l7a;
	struct xg_rule rules[2];
	struct xg_policy_set s;
	struct xg_err err = {};
	int ret;

	/* deny > allow */
	merge2(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1),
	       DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), k80, XG_ACT_DENY,
	       0, 2);
	/* allow > default-deny, deny > default-deny on the subject entry */
	merge2(ALLOW(SUBJ, 0, 0, 0, 65535, 4),
	       ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 5), kall, XG_ACT_ALLOW,
	       0, 4);
	merge2(DENY(SUBJ, 0, 0, 0, 65535, 6),
	       ALLOW(SUBJ, 0, 0, 0, 65535, 7), kall, XG_ACT_DENY, 0, 6);
	/* an L7 ruleset is kept over none, whichever comes first */
	l7a.l7_ruleset = 7;
	merge2(l7a, ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 8), k80,
	       XG_ACT_ALLOW, 7, 3);
	/* the same ruleset twice is fine */
	l7b.l7_ruleset = 7;
	merge2(l7a, l7b, k80, XG_ACT_ALLOW, 7, 3);
	/* ... but a deny still wins over it, and drops the ruleset */
	merge2(l7a, DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 9), k80,
	       XG_ACT_DENY, 0, 9);

	/* Two rulesets on one key: an error naming both. */
	l7b.l7_ruleset = 9;
	rules[0] = l7a;
	rules[1] = l7b;
	ret = xg_policy_compile(rules, 2, NULL, 0, &s, &err);
	assert_int_equal(ret, -EINVAL);
	assert_non_null(strstr(err.msg, "7"));
	assert_non_null(strstr(err.msg, "9"));
	assert_non_null(strstr(err.msg, "L7"));
	assert_true(err.where[0]);
	assert_null(s.v);
	assert_int_equal(s.n, 0);

	/* Overlapping ranges meet only on the prefixes they share. */
	rules[0] = l7a; /* 80, L7 7 */
	rules[1] = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 81, 10); /* /15 */
	rules[1].l7_ruleset = 9;
	compile_ok(rules, 2, NULL, 0, &s);
	assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 7);
	assert_int_equal(must_find(&s, pkey(127, SUBJ, XG_DIR_INGRESS, PEER,
					    XG_IPPROTO_TCP, 80))
				 ->val.l7_ruleset,
			 9);
	xg_policy_set_free(&s);
}

/* Compiles allow + deny and returns the allow's entry as compiled. */
static struct xg_policy_val pushed(struct xg_rule allow, struct xg_rule deny,
				   struct xg_policy_key allow_key)
{
	struct xg_rule rules[2] = { allow, deny };
	struct xg_policy_set s;
	struct xg_policy_val v;

	compile_ok(rules, 2, NULL, 0, &s);
	check_set_shape(&s);
	v = must_find(&s, allow_key)->val;
	xg_policy_set_free(&s);
	return v;
}

static void test_compile_deny_pushdown(void **state)
{
	struct xg_rule a80 = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1);
	struct xg_policy_key k80 =
		pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 80);
	struct xg_policy_key kall =
		pkey(112, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 0);
	struct xg_policy_val v;

	a80.l7_ruleset = 5;

	/* Covered: deny of the same peer, any protocol. */
	v = pushed(a80, DENY(SUBJ, PEER, 0, 0, 65535, 99), k80);
	assert_int_equal(v.action, XG_ACT_DENY);
	assert_int_equal(v.cookie, 99);
	assert_int_equal(v.l7_ruleset, 0);
	assert_int_equal(v.prefixlen, 128);
	/* Covered: a port range around it, same peer. */
	v = pushed(a80, DENY(SUBJ, PEER, XG_IPPROTO_TCP, 64, 127, 98), k80);
	assert_int_equal(v.action, XG_ACT_DENY);
	assert_int_equal(v.cookie, 98);
	/* Covered: any-peer deny of the port. */
	v = pushed(a80, DENY(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 97), k80);
	assert_int_equal(v.action, XG_ACT_DENY);
	assert_int_equal(v.cookie, 97);
	/* Covered: any-peer deny of a range around the port. */
	v = pushed(a80, DENY(SUBJ, 0, XG_IPPROTO_TCP, 0, 1023, 96), k80);
	assert_int_equal(v.action, XG_ACT_DENY);
	/* Covered: deny everything (subject-wide). */
	v = pushed(a80, DENY(SUBJ, 0, 0, 0, 65535, 95), k80);
	assert_int_equal(v.action, XG_ACT_DENY);
	assert_int_equal(v.cookie, 95);

	/* Not covered: another peer. */
	v = pushed(a80, DENY(SUBJ, PEER2, 0, 0, 65535, 94), k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	assert_int_equal(v.cookie, 1);
	assert_int_equal(v.l7_ruleset, 5);
	/* Not covered: another port prefix. */
	v = pushed(a80, DENY(SUBJ, PEER, XG_IPPROTO_TCP, 8080, 8080, 93), k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	v = pushed(a80, DENY(SUBJ, PEER, XG_IPPROTO_TCP, 81, 81, 93), k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	/* Not covered: another protocol, same port. */
	v = pushed(a80, DENY(SUBJ, PEER, XG_IPPROTO_UDP, 80, 80, 92), k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	/* Not covered: the deny is the longer prefix (the LPM finds it). */
	v = pushed(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 0, 65535, 2),
		   DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 91), kall);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	assert_int_equal(v.cookie, 2);
	/* Not covered: a longer deny that starts where the allow does. */
	v = pushed(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 81, 5),
		   DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 86),
		   pkey(127, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 80));
	assert_int_equal(v.action, XG_ACT_ALLOW);
	assert_int_equal(v.cookie, 5);
	/* Not covered: an exact-peer deny over an any-peer allow. */
	v = pushed(ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 3),
		   DENY(SUBJ, PEER, 0, 0, 65535, 90),
		   pkey(128, SUBJ, XG_DIR_INGRESS, 0, XG_IPPROTO_TCP, 80));
	assert_int_equal(v.action, XG_ACT_ALLOW);
	/* Not covered: the subject-wide allow under a narrower deny. */
	v = pushed(ALLOW(SUBJ, 0, 0, 0, 65535, 4),
		   DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 89),
		   pkey(64, SUBJ, XG_DIR_INGRESS, 0, 0, 0));
	assert_int_equal(v.action, XG_ACT_ALLOW);
	/* Not covered: other direction, other subject. */
	v = pushed(a80,
		   rule(SUBJ, PEER, XG_DIR_EGRESS, XG_ACT_DENY, 0, 0, 65535, 0,
			88),
		   k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
	v = pushed(a80, DENY(SUBJ2, PEER, 0, 0, 65535, 87), k80);
	assert_int_equal(v.action, XG_ACT_ALLOW);
}

/* The enforcement marker is no deny: it covers nothing. */
/* Which groups promise the datapath that an any-peer lookup would find
 * nothing new (check_set_shape checks the rule on every compiled set;
 * this pins it down on the three shapes). */
static void test_compile_no_any_peer_flag(void **state)
{
	struct xg_rule rules[] = {
		/* peer-specific only */
		ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1),
		/* a port open to every peer */
		ALLOW(SUBJ2, PEER, XG_IPPROTO_TCP, 80, 80, 2),
		ALLOW(SUBJ2, 0, XG_IPPROTO_TCP, 443, 443, 3),
		/* subject-wide: peer 0, but only at the subject's length */
		rule(SUBJ, 0, XG_DIR_EGRESS, XG_ACT_ALLOW, 0, 0, 65535, 0, 4),
	};
	struct xg_policy_set s;
	const struct xg_policy_entry *e;

	compile_ok(rules, ARRAY_SIZE(rules), NULL, 0, &s);
	check_set_shape(&s);
	e = must_find(&s, pkey(XG_POLICY_PLEN_FULL, SUBJ, XG_DIR_INGRESS, PEER,
			       XG_IPPROTO_TCP, 80));
	assert_true(e->val.flags & XG_POL_F_NO_ANY_PEER);
	e = must_find(&s, pkey(XG_POLICY_PLEN_SUBJECT, SUBJ, XG_DIR_INGRESS, 0, 0, 0));
	assert_true(e->val.flags & XG_POL_F_NO_ANY_PEER);
	e = must_find(&s, pkey(XG_POLICY_PLEN_FULL, SUBJ2, XG_DIR_INGRESS, PEER,
			       XG_IPPROTO_TCP, 80));
	assert_false(e->val.flags & XG_POL_F_NO_ANY_PEER);
	e = must_find(&s, pkey(XG_POLICY_PLEN_FULL, SUBJ2, XG_DIR_INGRESS, 0,
			       XG_IPPROTO_TCP, 443));
	assert_false(e->val.flags & XG_POL_F_NO_ANY_PEER);
	e = must_find(&s, pkey(XG_POLICY_PLEN_SUBJECT, SUBJ, XG_DIR_EGRESS, 0, 0, 0));
	assert_int_equal(e->val.action, XG_ACT_ALLOW);
	assert_true(e->val.flags & XG_POL_F_NO_ANY_PEER);
	xg_policy_set_free(&s);
}

static void test_compile_marker_covers_nothing(void **state)
{
	struct xg_rule rules[] = {
		ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1),
		ALLOW(SUBJ, PEER, 0, 0, 65535, 2),
	};
	struct xg_policy_set s;

	compile_ok(rules, ARRAY_SIZE(rules), NULL, 0, &s);
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].key.prefixlen != XG_POLICY_PLEN_SUBJECT)
			assert_int_equal(s.v[i].val.action, XG_ACT_ALLOW);
	xg_policy_set_free(&s);
}

struct bad_case {
	const char *what;
	struct xg_rule r;
	const char *word; /* the message names the field */
};

static void test_compile_validation(void **state)
{
	struct bad_case cases[] = {
		{ "subject 0", ALLOW(0, PEER, XG_IPPROTO_TCP, 80, 80, 1),
		  "subject" },
		{ "dir 0",
		  rule(SUBJ, PEER, 0, XG_ACT_ALLOW, XG_IPPROTO_TCP, 80, 80, 0, 1),
		  "direction" },
		{ "dir 3",
		  rule(SUBJ, PEER, 3, XG_ACT_ALLOW, XG_IPPROTO_TCP, 80, 80, 0, 1),
		  "direction" },
		{ "action 0",
		  rule(SUBJ, PEER, XG_DIR_INGRESS, XG_ACT_NONE, XG_IPPROTO_TCP,
		       80, 80, 0, 1),
		  "action" },
		{ "action default-deny",
		  rule(SUBJ, PEER, XG_DIR_INGRESS, XG_ACT_DEFAULT_DENY,
		       XG_IPPROTO_TCP, 80, 80, 0, 1),
		  "action" },
		{ "reversed range", ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 81, 80, 1),
		  "reversed" },
		{ "port without proto", ALLOW(SUBJ, PEER, 0, 80, 80, 1),
		  "protocol" },
		{ "port without proto, lo only", ALLOW(SUBJ, PEER, 0, 1, 65535, 1),
		  "protocol" },
		{ "deny with L7",
		  rule(SUBJ, PEER, XG_DIR_INGRESS, XG_ACT_DENY, XG_IPPROTO_TCP,
		       80, 80, 7, 1),
		  "L7" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xg_rule rules[3] = {
			ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1),
			ALLOW(SUBJ2, PEER, 0, 0, 65535, 2),
			cases[i].r,
		};
		struct xg_policy_set s;
		struct xg_err err;
		char buf[512];
		int ret;

		memset(&err, 0, sizeof(err));
		ret = xg_policy_compile(rules, 3, NULL, 0, &s, &err);
		if (ret != -EINVAL)
			fail_msg("%s: got %d", cases[i].what, ret);
		if (!strstr(err.where, "rule[2]"))
			fail_msg("%s: where '%s'", cases[i].what, err.where);
		if (!err.msg[0] || !strstr(err.msg, cases[i].word))
			fail_msg("%s: message '%s' does not mention '%s'",
				 cases[i].what, err.msg, cases[i].word);
		assert_non_null(strstr(xg_err_str(&err, buf, sizeof(buf)),
				       "rule[2]: "));
		assert_null(s.v);
		assert_int_equal(s.n, 0);
		/* No error record: the same return, no crash. */
		assert_int_equal(xg_policy_compile(rules, 3, NULL, 0, &s, NULL),
				 -EINVAL);
	}
}

static void test_compile_validation_enforce(void **state)
{
	struct xg_rule r = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1);
	struct xg_enforce bad[] = {
		{ .subject = 0, .dir = XG_DIR_INGRESS },
		{ .subject = SUBJ, .dir = 0 },
		{ .subject = SUBJ, .dir = 7 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct xg_enforce enf[2] = {
			{ .subject = SUBJ2, .dir = XG_DIR_EGRESS },
			bad[i],
		};
		struct xg_policy_set s;
		struct xg_err err = {};

		assert_int_equal(xg_policy_compile(&r, 1, enf, 2, &s, &err),
				 -EINVAL);
		assert_non_null(strstr(err.where, "enforce"));
		assert_non_null(strstr(err.msg, "1"));
		assert_null(s.v);
	}
}

/* ------------------------------------------------------------- sync -- */

struct sync_fixture {
	struct rec_ms rec;
	struct xg_policy_sync sync;
};

static int sync_setup(void **state)
{
	struct sync_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	xg_native_reset();
	rec_init(&f->rec, nms_native());
	*state = f;
	return 0;
}

static int sync_teardown(void **state)
{
	struct sync_fixture *f = *state;

	xg_policy_sync_free(&f->sync);
	rec_free(&f->rec);
	xg_native_reset();
	free(f);
	return 0;
}

static int ekey_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct xg_policy_entry *)a)->key,
		      &((const struct xg_policy_entry *)b)->key,
		      sizeof(struct xg_policy_key));
}

static int collect(const void *key, const void *val, void *arg)
{
	struct xg_policy_set *s = arg;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(&s->v[s->n].key, key, sizeof(s->v[s->n].key));
	memcpy(&s->v[s->n].val, val, sizeof(s->v[s->n].val));
	s->n++;
	return 0;
}

/* The policy map's content, sorted by key bytes. */
static struct xg_policy_set map_content(void)
{
	struct xg_policy_set s = {};

	assert_int_equal(xg_ms_walk(nms_native(), XG_M_POLICY, collect, &s), 0);
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), ekey_cmp);
	return s;
}

static void assert_same_set(const struct xg_policy_set *a,
			    const struct xg_policy_set *b, const char *what)
{
	struct xg_policy_set x = {}, y = {};

	x.v = malloc((a->n + 1) * sizeof(*x.v));
	y.v = malloc((b->n + 1) * sizeof(*y.v));
	assert_non_null(x.v);
	assert_non_null(y.v);
	if (a->n)
		memcpy(x.v, a->v, a->n * sizeof(*x.v));
	if (b->n)
		memcpy(y.v, b->v, b->n * sizeof(*y.v));
	x.n = a->n;
	y.n = b->n;
	qsort(x.v, x.n, sizeof(*x.v), ekey_cmp);
	qsort(y.v, y.n, sizeof(*y.v), ekey_cmp);
	if (x.n != y.n)
		fail_msg("%s: %zu entries vs %zu", what, x.n, y.n);
	for (size_t i = 0; i < x.n; i++)
		if (memcmp(&x.v[i], &y.v[i], sizeof(x.v[i])))
			fail_msg("%s: entry %zu differs (plen %u subject %u peer %u)",
				 what, i, x.v[i].key.prefixlen,
				 x.v[i].key.subject, x.v[i].key.peer);
	free(x.v);
	free(y.v);
}

static void assert_map_is(const struct xg_policy_set *want, const char *what)
{
	struct xg_policy_set m = map_content();

	assert_same_set(&m, want, what);
	free(m.v);
}

static __u32 rev_now(void)
{
	__u32 rev = 0;

	assert_int_equal(xg_policy_rev_get(nms_native(), &rev), 0);
	return rev;
}

/* Before: subject 300 ingress with allows (kept, stale, changed, to
 * become a deny) and denies (stale, to become an allow); subject 301
 * egress, dropped entirely. */
static const struct xg_rule p1_rules[] = {
	{ SUBJ, 400, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 80, 80, 0, 1 },
	{ SUBJ, 401, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 443, 443, 0, 2 },
	{ SUBJ, 402, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_UDP, 0, 53, 53, 0, 3 },
	{ SUBJ, 403, XG_DIR_INGRESS, XG_ACT_DENY, 0, 0, 0, 65535, 0, 4 },
	{ SUBJ, 404, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 22, 22, 0, 5 },
	{ SUBJ, 405, XG_DIR_INGRESS, XG_ACT_DENY, XG_IPPROTO_TCP, 0, 23, 23, 0, 6 },
	{ SUBJ2, 400, XG_DIR_EGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 80, 80, 0, 7 },
};

/* After: 400 kept, 401 gone, 402 new cookie, 403's deny gone, 404 denied
 * (its allow becomes a deny), 405 allowed, subject 301 gone, subject 302
 * new with an L7 allow. */
static const struct xg_rule p2_rules[] = {
	{ SUBJ, 400, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 80, 80, 0, 1 },
	{ SUBJ, 402, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_UDP, 0, 53, 53, 0, 33 },
	{ SUBJ, 404, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 22, 22, 0, 5 },
	{ SUBJ, 404, XG_DIR_INGRESS, XG_ACT_DENY, 0, 0, 0, 65535, 0, 34 },
	{ SUBJ, 405, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 23, 23, 0, 6 },
	{ 302, 400, XG_DIR_INGRESS, XG_ACT_ALLOW, XG_IPPROTO_TCP, 0, 8080, 8080, 9, 8 },
};

static void compile_rules(const struct xg_rule *r, size_t n,
			  struct xg_policy_set *s)
{
	compile_ok(r, n, NULL, 0, s);
}

static const struct xg_policy_entry *set_find_key(const struct xg_policy_set *s,
						  const void *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->v[i].key, key, sizeof(s->v[i].key)))
			return &s->v[i];
	return NULL;
}

enum { PH_W_ALLOW, PH_D_DENY, PH_W_DENY, PH_D_ALLOW };

/* Checks the log of one apply from `old` to `want`: phases in order,
 * exactly the changed entries written and the stale ones deleted, once
 * each, and one revision bump at the end. */
static void check_apply_log(const struct rec_ms *r,
			    const struct xg_policy_set *old,
			    const struct xg_policy_set *want, int need_all)
{
	int phase = PH_W_ALLOW, seen[4] = {}, bumps = 0;
	size_t writes = 0, deletes = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct rec_entry *e = &r->log[i];
		const struct xg_policy_entry *o, *w;
		int ph;

		if (e->map == XG_M_RUNTIME) {
			assert_int_equal(e->op, REC_UPDATE);
			assert_int_equal(i, r->n - 1); /* the last thing */
			bumps++;
			continue;
		}
		assert_int_equal(e->map, XG_M_POLICY);
		o = set_find_key(old, e->key);
		w = set_find_key(want, e->key);
		if (e->op == REC_UPDATE) {
			const struct xg_policy_val *v = (const void *)e->val;

			/* Only what is wanted and new or changed is written. */
			assert_non_null(w);
			assert_memory_equal(v, &w->val, sizeof(*v));
			if (o)
				assert_memory_not_equal(&o->val, &w->val,
							sizeof(*v));
			ph = v->action == XG_ACT_ALLOW ? PH_W_ALLOW : PH_W_DENY;
			writes++;
		} else {
			/* Only what is stale is deleted. */
			assert_non_null(o);
			assert_null(w);
			ph = o->val.action == XG_ACT_ALLOW ? PH_D_ALLOW :
							     PH_D_DENY;
			deletes++;
		}
		if (ph < phase)
			fail_msg("op %zu (%s, action %u) in phase %d after phase %d",
				 i, e->op == REC_UPDATE ? "write" : "delete",
				 e->op == REC_UPDATE ?
					 ((const struct xg_policy_val *)e->val)
						 ->action :
					 o->val.action,
				 ph, phase);
		phase = ph;
		seen[ph]++;
		/* Each key at most once per apply. */
		for (size_t j = 0; j < i; j++)
			if (r->log[j].map == XG_M_POLICY &&
			    !memcmp(r->log[j].key, e->key,
				    sizeof(struct xg_policy_key)))
				fail_msg("op %zu touches a key op %zu did", i, j);
	}
	assert_int_equal(bumps, 1);
	if (need_all)
		for (int p = 0; p < 4; p++)
			if (!seen[p])
				fail_msg("scenario has no op in phase %d", p);

	/* And nothing that should have happened is missing. */
	{
		size_t want_w = 0, want_d = 0;

		for (size_t j = 0; j < want->n; j++) {
			const struct xg_policy_entry *o =
				set_find_key(old, &want->v[j].key);

			want_w += !o || memcmp(&o->val, &want->v[j].val,
					       sizeof(o->val));
		}
		for (size_t j = 0; j < old->n; j++)
			want_d += !set_find_key(want, &old->v[j].key);
		assert_int_equal(writes, want_w);
		assert_int_equal(deletes, want_d);
	}
}

static void test_sync_make_before_break(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_policy_set p1, p2;
	struct xg_sync_stats st;
	struct xg_policy_key kept =
		pkey(128, SUBJ, XG_DIR_INGRESS, 400, XG_IPPROTO_TCP, 80);
	struct xg_policy_key marker = pkey(64, SUBJ, XG_DIR_INGRESS, 0, 0, 0);

	compile_rules(p1_rules, ARRAY_SIZE(p1_rules), &p1);
	compile_rules(p2_rules, ARRAY_SIZE(p2_rules), &p2);

	/* From an empty map. */
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, &st),
			 0);
	assert_int_equal(st.written, p1.n);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(st.revision, 1);
	assert_int_equal(rev_now(), 1);
	assert_map_is(&p1, "after p1");
	{
		struct xg_policy_set empty = {};

		check_apply_log(&f->rec, &empty, &p1, 0);
	}

	/* p1 -> p2: all four phases, in order. */
	rec_clear(&f->rec);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2, &st),
			 0);
	check_apply_log(&f->rec, &p1, &p2, 1);
	assert_int_equal(st.revision, 2);
	assert_int_equal(rev_now(), 2);
	assert_map_is(&p2, "after p2");
	/* Unchanged entries are not rewritten. */
	for (size_t i = 0; i < f->rec.n; i++) {
		assert_memory_not_equal(f->rec.log[i].key, &kept, sizeof(kept));
		assert_memory_not_equal(f->rec.log[i].key, &marker,
					sizeof(marker));
	}
	{
		size_t w = 0, d = 0;

		for (size_t i = 0; i < f->rec.n; i++) {
			w += f->rec.log[i].map == XG_M_POLICY &&
			     f->rec.log[i].op == REC_UPDATE;
			d += f->rec.log[i].op == REC_REMOVE;
		}
		assert_int_equal(st.written, w);
		assert_int_equal(st.deleted, d);
	}

	/* p2 again: nothing to do, not even a revision bump (a resync
	 * that finds the map right must not make every flow be judged
	 * again). */
	rec_clear(&f->rec);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2, &st),
			 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(st.revision, 2);

	/* p2 -> p1: the way back is just as ordered. */
	rec_clear(&f->rec);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, &st),
			 0);
	check_apply_log(&f->rec, &p2, &p1, 0);
	assert_map_is(&p1, "back to p1");
	assert_int_equal(rev_now(), 3);

	/* -> nothing: every entry deleted, denies before allows. */
	rec_clear(&f->rec);
	{
		struct xg_policy_set empty = {};

		assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms,
						      &empty, &st),
				 0);
		check_apply_log(&f->rec, &p1, &empty, 0);
		assert_int_equal(st.deleted, p1.n);
		assert_map_is(&empty, "emptied");
	}
	xg_policy_set_free(&p1);
	xg_policy_set_free(&p2);
}

/* A new control plane adopts what the map holds: the first apply
 * changes only what differs. */
static void test_sync_adopt(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_policy_sync fresh = {};
	struct xg_policy_set p1, p2;
	struct xg_sync_stats st;

	compile_rules(p1_rules, ARRAY_SIZE(p1_rules), &p1);
	compile_rules(p2_rules, ARRAY_SIZE(p2_rules), &p2);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, NULL),
			 0);

	assert_int_equal(xg_policy_sync_adopt(&fresh, &f->rec.ms), 0);
	assert_same_set(&fresh.shadow, &p1, "adopted shadow");
	rec_clear(&f->rec);
	assert_int_equal(xg_policy_sync_apply(&fresh, &f->rec.ms, &p1, &st), 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.deleted, 0);

	rec_clear(&f->rec);
	assert_int_equal(xg_policy_sync_apply(&fresh, &f->rec.ms, &p2, &st), 0);
	check_apply_log(&f->rec, &p1, &p2, 1);
	assert_map_is(&p2, "after adopt + p2");

	xg_policy_sync_free(&fresh);
	xg_policy_set_free(&p1);
	xg_policy_set_free(&p2);
}

/* An entry the shadow remembers but somebody removed from the map:
 * deleting it again is no error. */
static void test_sync_stale_already_gone(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_policy_set p1, p2;
	struct xg_policy_key gone =
		pkey(128, SUBJ, XG_DIR_INGRESS, 401, XG_IPPROTO_TCP, 443);

	compile_rules(p1_rules, ARRAY_SIZE(p1_rules), &p1);
	compile_rules(p2_rules, ARRAY_SIZE(p2_rules), &p2);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, NULL),
			 0);
	assert_int_equal(xg_ms_remove(nms_native(), XG_M_POLICY, &gone), 0);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2, NULL),
			 0);
	assert_map_is(&p2, "after p2");
	xg_policy_set_free(&p1);
	xg_policy_set_free(&p2);
}

/* Fails each policy write of p1 -> p2 in turn: the apply reports it, does
 * not bump the revision, and re-reads the map, so the shadow is what the
 * map really holds and the retry writes only what is still missing. */
static void test_sync_failed_write_readopts(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_policy_set p1, p2;
	struct xg_sync_stats st;
	size_t total_w, total_d;

	compile_rules(p1_rules, ARRAY_SIZE(p1_rules), &p1);
	compile_rules(p2_rules, ARRAY_SIZE(p2_rules), &p2);

	/* A clean run, to count the writes. */
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, NULL),
			 0);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2, &st),
			 0);
	total_w = st.written;
	total_d = st.deleted;
	assert_true(total_w >= 4);

	for (int k = 1; k <= (int)total_w; k++) {
		struct xg_policy_set m;
		size_t done_w = 0, done_d = 0;
		__u32 rev;

		xg_policy_sync_free(&f->sync);
		xg_native_reset();
		rec_clear(&f->rec);
		f->rec.fail_at = 0;
		assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1,
						      NULL),
				 0);
		rev = rev_now();

		rec_clear(&f->rec);
		f->rec.fail_map = XG_M_POLICY;
		f->rec.fail_at = k;
		f->rec.fail_err = -ENOSPC;
		assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2,
						      &st),
				 -ENOSPC);
		/* Bumped anyway: what was written (denies included) must
		 * reach established flows, not only new ones. */
		assert_int_equal(rev_now(), rev + 1);
		for (size_t i = 0; i < f->rec.n; i++) {
			if (f->rec.log[i].map != XG_M_POLICY)
				continue; /* the revision bump */
			done_w += f->rec.log[i].op == REC_UPDATE &&
				  !f->rec.log[i].ret;
			done_d += f->rec.log[i].op == REC_REMOVE;
		}
		assert_int_equal(done_w, (size_t)k - 1);

		/* The shadow is the map, not p1 and not p2. */
		m = map_content();
		assert_same_set(&f->sync.shadow, &m, "shadow after failure");
		free(m.v);

		f->rec.fail_at = 0;
		rec_clear(&f->rec);
		assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p2,
						      &st),
				 0);
		assert_int_equal(st.written, total_w - done_w);
		assert_int_equal(st.deleted, total_d - done_d);
		assert_int_equal(rev_now(), rev + 2);
		assert_map_is(&p2, "after retry");
	}
	xg_policy_set_free(&p1);
	xg_policy_set_free(&p2);
}

/* The revision write fails after the policy is in: the apply says so;
 * the shadow matches the map, and the next apply bumps. */
static void test_sync_failed_bump(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_policy_set p1;
	struct xg_sync_stats st;
	struct xg_policy_set m;

	compile_rules(p1_rules, ARRAY_SIZE(p1_rules), &p1);
	f->rec.fail_map = XG_M_RUNTIME;
	f->rec.fail_at = 1;
	f->rec.fail_err = -EIO;
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, &st),
			 -EIO);
	assert_int_equal(rev_now(), 0);
	m = map_content();
	assert_same_set(&f->sync.shadow, &m, "shadow after failed bump");
	free(m.v);

	f->rec.fail_at = 0;
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &p1, &st),
			 0);
	assert_int_equal(st.written, 0);
	assert_int_equal(rev_now(), 1);
	xg_policy_set_free(&p1);
}

/* End to end: what the compiler writes, the datapath's policy decision
 * (xdp/policy.h over the native map) reads as the rules say, deny
 * winning within one lookup (push-down) and across the two. */
static void test_sync_then_datapath_decides(void **state)
{
	struct sync_fixture *f = *state;
	struct xg_rule rules[] = {
		ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 90, 1),
		DENY(SUBJ, PEER, XG_IPPROTO_TCP, 85, 85, 2),
		DENY(SUBJ, 0, XG_IPPROTO_TCP, 88, 88, 3),
		ALLOW(SUBJ, 0, XG_IPPROTO_UDP, 53, 53, 4),
		DENY(SUBJ, 0, XG_IPPROTO_TCP, 90, 90, 5),
	};
	struct {
		__u32 subject, peer;
		__u8 proto;
		__u16 port;
		__u8 allowed, reason;
		__u32 cookie;
	} cases[] = {
		{ SUBJ, PEER, XG_IPPROTO_TCP, 80, 1, XG_DROP_NONE, 1 },
		{ SUBJ, PEER, XG_IPPROTO_TCP, 89, 1, XG_DROP_NONE, 1 },
		{ SUBJ, PEER, XG_IPPROTO_TCP, 85, 0, XG_DROP_POLICY_DENY, 2 },
		/* 88-89 is one allow prefix; the any-peer deny is longer
		 * and found by the second lookup */
		{ SUBJ, PEER, XG_IPPROTO_TCP, 88, 0, XG_DROP_POLICY_DENY, 3 },
		/* 90 is pushed down onto the exact peer's entry */
		{ SUBJ, PEER, XG_IPPROTO_TCP, 90, 0, XG_DROP_POLICY_DENY, 5 },
		{ SUBJ, PEER, XG_IPPROTO_TCP, 91, 0,
		  XG_DROP_POLICY_DEFAULT_DENY, 0 },
		{ SUBJ, PEER, XG_IPPROTO_TCP, 79, 0,
		  XG_DROP_POLICY_DEFAULT_DENY, 0 },
		{ SUBJ, PEER2, XG_IPPROTO_TCP, 80, 0,
		  XG_DROP_POLICY_DEFAULT_DENY, 0 },
		{ SUBJ, PEER2, XG_IPPROTO_UDP, 53, 1, XG_DROP_NONE, 4 },
		{ SUBJ, PEER, XG_IPPROTO_UDP, 53, 1, XG_DROP_NONE, 4 },
		{ SUBJ, PEER2, XG_IPPROTO_TCP, 88, 0, XG_DROP_POLICY_DENY, 3 },
		{ SUBJ, PEER2, XG_IPPROTO_UDP, 54, 0,
		  XG_DROP_POLICY_DEFAULT_DENY, 0 },
		/* not selected: default allow */
		{ SUBJ2, PEER, XG_IPPROTO_TCP, 85, 1, XG_DROP_NONE, 0 },
	};
	struct xg_policy_set s;

	compile_ok(rules, ARRAY_SIZE(rules), NULL, 0, &s);
	assert_int_equal(xg_policy_sync_apply(&f->sync, &f->rec.ms, &s, NULL),
			 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xg_verdict_info vi;

		memset(&vi, 0xff, sizeof(vi));
		xg_policy_dir(cases[i].subject, XG_DIR_INGRESS, cases[i].peer,
			      cases[i].proto, htons(cases[i].port), &vi);
		if (vi.allowed != cases[i].allowed ||
		    vi.reason != cases[i].reason ||
		    vi.cookie != cases[i].cookie)
			fail_msg("case %zu: subject %u peer %u proto %u port %u: "
				 "allowed %u reason %u cookie %u, want %u %u %u",
				 i, cases[i].subject, cases[i].peer,
				 cases[i].proto, cases[i].port, vi.allowed,
				 vi.reason, vi.cookie, cases[i].allowed,
				 cases[i].reason, cases[i].cookie);
	}
	xg_policy_set_free(&s);
}

/* ------------------------------------------------------- L7 merging -- */

/* A stand-in for the compiler's rulesets: a ruleset is a set of base
 * rulesets (bits), L7_ALL the one that allows every request (which,
 * canonical, is all a set holding it says). */
#define L7_ALL (1u << 30)

static int l7_calls;

static int bit_union(void *arg, __u32 a, __u32 b, __u32 *out)
{
	assert_true(a && a != b);
	l7_calls++;
	*out = b ? a | b : L7_ALL;
	if (*out & L7_ALL)
		*out = L7_ALL;
	return 0;
}

/* The merge cache (policy_state.h) gives xg_policy_compile_l7's set,
 * entry for entry, merge after merge while the rules change under it:
 * random rules over a few subjects (some with L7 rulesets, some denies,
 * some enforce-only subjects), each round changing a few, adding and
 * dropping some; and the groups it may keep are really kept. */
static __u32 rnd_state = 12345;

static __u32 rnd(__u32 n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static struct xg_rule rnd_rule(void)
{
	struct xg_rule r = { .subject = 256 + rnd(40),
			     .peer = rnd(4) ? 300 + rnd(10) : 0,
			     .dir = rnd(2) ? XG_DIR_INGRESS : XG_DIR_EGRESS,
			     .action = rnd(6) ? XG_ACT_ALLOW : XG_ACT_DENY,
			     .cookie = 1 + rnd(100) };

	switch (rnd(4)) {
	case 0:
		r.proto = 0;
		r.port_hi = 65535;
		break;
	case 1:
		r.proto = IPPROTO_UDP;
		r.port_lo = (__u16)(1000 + rnd(50));
		r.port_hi = r.port_lo;
		break;
	default:
		r.proto = IPPROTO_TCP;
		r.port_lo = (__u16)(70 + rnd(20));
		r.port_hi = (__u16)(r.port_lo + rnd(300));
	}
	if (r.action == XG_ACT_ALLOW && r.proto == IPPROTO_TCP && !rnd(5))
		r.l7_ruleset = 1u << rnd(6);
	return r;
}

static void test_merge_cache_matches(void **state)
{
	struct xg_merge_cache *mc = xg_merge_cache_new();
	struct xg_rule rules[400];
	struct xg_enforce enf[8];
	size_t n = 300, n_enf = 0, hits, misses, last_hits = 0;

	assert_non_null(mc);
	for (size_t i = 0; i < n; i++)
		rules[i] = rnd_rule();
	for (int round = 0; round < 60; round++) {
		struct xg_policy_set a, b;
		struct xg_err ea = {}, eb = {};
		int ra, rb;

		ra = xg_policy_compile_l7(rules, n, enf, n_enf, bit_union, NULL,
					  &a, &ea);
		rb = xg_policy_compile_l7_cached(mc, rules, n, enf, n_enf,
						 bit_union, NULL, &b, &eb);
		assert_int_equal(ra, 0);
		assert_int_equal(rb, 0);
		check_set_shape(&b);
		if (a.n != b.n || memcmp(a.v, b.v, a.n * sizeof(*a.v)))
			fail_msg("round %d: %zu entries plain, %zu cached%s", round,
				 a.n, b.n, a.n == b.n ? " (contents differ)" : "");
		xg_merge_cache_counts(mc, &hits, &misses);
		if (round >= 2 && round % 10 != 0 && hits <= last_hits)
			fail_msg("round %d: nothing reused (%zu hits)", round, hits);
		last_hits = hits;
		xg_policy_set_free(&a);
		xg_policy_set_free(&b);
		/* the next round: a few rules change, some come and go */
		for (int k = 0; k < 3; k++)
			rules[rnd((__u32)n)] = rnd_rule();
		if (round % 7 == 3 && n < 400)
			rules[n++] = rnd_rule();
		if (round % 5 == 4 && n > 100)
			n--;
		if (round % 10 == 9) { /* everything moves: cookies shift */
			for (size_t i = 0; i < n; i++)
				rules[i].cookie++;
		}
		n_enf = (size_t)(round % 4);
		for (size_t i = 0; i < n_enf; i++)
			enf[i] = (struct xg_enforce){ .subject = 500 + (__u32)i,
						      .dir = XG_DIR_INGRESS };
	}
	xg_merge_cache_free(mc);
}

/* Merging sorts by subject: in one counting pass where subjects are
 * dense, as a cluster numbers them, else by radix.  The same rules under
 * subjects spread far apart, in the same order, must give the same
 * entries, subject for subject, plain and through the merge cache. */
static void test_sort_spread_subjects(void **state)
{
	enum { N = 300, SPREAD = 65537 };
	static struct xg_rule dense[N], spread[N];

	rnd_state = 777;
	for (size_t i = 0; i < N; i++) {
		dense[i] = rnd_rule();
		spread[i] = dense[i];
		spread[i].subject = 256 + (dense[i].subject - 256) * SPREAD;
	}
	for (int cached = 0; cached < 2; cached++) {
		struct xg_merge_cache *mc = cached ? xg_merge_cache_new() : NULL;
		struct xg_policy_set a, b;
		struct xg_err ea = {}, eb = {};

		assert_int_equal(xg_policy_compile_l7_cached(mc, dense, N, NULL, 0,
							     bit_union, NULL,
							     &a, &ea),
				 0);
		xg_merge_cache_free(mc);
		mc = cached ? xg_merge_cache_new() : NULL;
		assert_int_equal(xg_policy_compile_l7_cached(mc, spread, N, NULL,
							     0, bit_union, NULL,
							     &b, &eb),
				 0);
		xg_merge_cache_free(mc);
		check_set_shape(&a);
		check_set_shape(&b);
		assert_true(a.n > 256); /* enough to be sorted, not insertion */
		assert_int_equal(a.n, b.n);
		for (size_t i = 0; i < a.n; i++) {
			struct xg_policy_entry e = b.v[i];

			assert_int_equal((e.key.subject - 256) % SPREAD, 0);
			e.key.subject = 256 + (e.key.subject - 256) / SPREAD;
			if (memcmp(&e, &a.v[i], sizeof(e)))
				fail_msg("%s: entry %zu differs", cached ? "cached" : "plain", i);
		}
		xg_policy_set_free(&a);
		xg_policy_set_free(&b);
	}
}

static void compile_l7_ok(const struct xg_rule *rules, size_t n,
			  struct xg_policy_set *out)
{
	struct xg_err err = {};
	int ret = xg_policy_compile_l7(rules, n, NULL, 0, bit_union, NULL, out,
				       &err);

	if (ret)
		fail_msg("compile: %d: %s: %s", ret, err.where, err.msg);
	check_set_shape(out);
}

static struct xg_rule l7r(struct xg_rule r, __u32 l7)
{
	r.l7_ruleset = l7;
	return r;
}

/* Allows on one key: union of their rulesets; with a plain allow, all
 * HTTP; a deny still wins and drops it. */
static void test_l7_merge_one_key(void **state)
{
	struct xg_policy_key k80 =
		pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 80);
	struct xg_rule a = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 1);
	struct xg_rule b = ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2);
	struct xg_rule d = DENY(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 3);
	struct xg_rule orders[2][2];
	struct xg_policy_set s;

	/* two rulesets, both orders: their union, an L7 allow's cookie */
	orders[0][0] = orders[1][1] = l7r(a, 1);
	orders[0][1] = orders[1][0] = l7r(b, 2);
	for (int o = 0; o < 2; o++) {
		compile_l7_ok(orders[o], 2, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 3);
		assert_int_equal(must_find(&s, k80)->val.action, XG_ACT_ALLOW);
		xg_policy_set_free(&s);
	}
	/* a plain allow and a ruleset: all HTTP, still parsed; the
	 * cookie is the L7 allow's */
	orders[0][0] = orders[1][1] = l7r(a, 4);
	orders[0][1] = orders[1][0] = b;
	for (int o = 0; o < 2; o++) {
		compile_l7_ok(orders[o], 2, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, L7_ALL);
		assert_int_equal(must_find(&s, k80)->val.cookie, 1);
		xg_policy_set_free(&s);
	}
	/* the same ruleset twice: no union asked */
	orders[0][0] = l7r(a, 4);
	orders[0][1] = l7r(b, 4);
	l7_calls = 0;
	compile_l7_ok(orders[0], 2, &s);
	assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 4);
	assert_int_equal(l7_calls, 0);
	xg_policy_set_free(&s);
	/* plain allows only: no L7, no union asked */
	orders[0][0] = a;
	orders[0][1] = b;
	compile_l7_ok(orders[0], 2, &s);
	assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 0);
	assert_int_equal(l7_calls, 0);
	xg_policy_set_free(&s);
	/* a deny wins over the merged allows */
	{
		struct xg_rule r3[3] = {l7r(a, 1), l7r(b, 2), d};

		compile_l7_ok(r3, 3, &s);
		assert_int_equal(must_find(&s, k80)->val.action, XG_ACT_DENY);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 0);
		xg_policy_set_free(&s);
	}
}

/* Across keys: a less specific allow covering an L7 allow adds its
 * part to it; an any-peer allow more specific than a peer's covering
 * allow gets an entry for that peer. */
static void test_l7_merge_across_keys(void **state)
{
	struct xg_policy_key k80 =
		pkey(128, SUBJ, XG_DIR_INGRESS, PEER, XG_IPPROTO_TCP, 80);
	struct xg_policy_key any80 =
		pkey(128, SUBJ, XG_DIR_INGRESS, 0, XG_IPPROTO_TCP, 80);
	struct xg_policy_key peer_all =
		pkey(96, SUBJ, XG_DIR_INGRESS, PEER, 0, 0);
	struct xg_policy_set s;

	/* any-peer plain allow of port 80, exact-peer L7 allow of it:
	 * the exact entry (the one the datapath picks) allows all HTTP */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 1),
			l7r(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), 1),
		};

		compile_l7_ok(r, 2, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, L7_ALL);
		assert_int_equal(must_find(&s, any80)->val.l7_ruleset, 0);
		xg_policy_set_free(&s);
	}
	/* any-peer L7 allow, exact-peer L7 allow: the exact one ORs both;
	 * other peers keep the any-peer ruleset */
	{
		struct xg_rule r[] = {
			l7r(ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 1), 1),
			l7r(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), 2),
		};

		compile_l7_ok(r, 2, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 3);
		assert_int_equal(must_find(&s, any80)->val.l7_ruleset, 1);
		xg_policy_set_free(&s);
	}
	/* a wider port range of the same peer, plain, covers the L7 port */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 0, 1023, 1),
			l7r(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), 2),
		};

		compile_l7_ok(r, 2, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, L7_ALL);
		xg_policy_set_free(&s);
	}
	/* the peer's plain L3 allow (every port) and an any-peer L7 allow
	 * of port 80: the datapath would pick the any-peer entry for the
	 * peer too, so the peer gets its own entry on port 80 */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, PEER, 0, 0, 65535, 1),
			l7r(ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 2), 4),
		};
		const struct xg_policy_entry *e;

		compile_l7_ok(r, 2, &s);
		e = must_find(&s, k80);
		assert_int_equal(e->val.action, XG_ACT_ALLOW);
		assert_int_equal(e->val.l7_ruleset, L7_ALL);
		assert_int_equal(e->val.cookie, 2);
		assert_int_equal(must_find(&s, any80)->val.l7_ruleset, 4);
		assert_int_equal(must_find(&s, peer_all)->val.l7_ruleset, 0);
		xg_policy_set_free(&s);
	}
	/* ... and none when they agree: both plain */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, PEER, 0, 0, 65535, 1),
			ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 2),
		};

		compile_l7_ok(r, 2, &s);
		assert_null(find(&s, k80));
		xg_policy_set_free(&s);
	}
	/* a subject-wide plain allow covers everything */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, 0, 0, 0, 65535, 1),
			l7r(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), 8),
			l7r(ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 443, 443, 3), 2),
		};

		compile_l7_ok(r, 3, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, L7_ALL);
		assert_int_equal(must_find(&s, pkey(128, SUBJ, XG_DIR_INGRESS,
						    0, XG_IPPROTO_TCP, 443))
					 ->val.l7_ruleset,
				 L7_ALL);
		xg_policy_set_free(&s);
	}
	/* without a callback: as before (no folding across keys) */
	{
		struct xg_rule r[] = {
			ALLOW(SUBJ, 0, XG_IPPROTO_TCP, 80, 80, 1),
			l7r(ALLOW(SUBJ, PEER, XG_IPPROTO_TCP, 80, 80, 2), 1),
		};

		compile_ok(r, 2, NULL, 0, &s);
		assert_int_equal(must_find(&s, k80)->val.l7_ruleset, 1);
		xg_policy_set_free(&s);
	}
}

/* What Cilium says of a flow, from the rules alone: denied when a deny
 * matches; else allowed when an allow does, with the union of the
 * matching allows' rulesets, or all HTTP when one of them is plain. */
static void oracle(const struct xg_rule *r, size_t n, __u32 peer, __u8 proto,
		   __u16 port, int *allowed, __u32 *l7)
{
	bool plain = false, deny = false, allow = false;
	__u32 bits = 0;

	for (size_t i = 0; i < n; i++) {
		if ((r[i].peer && r[i].peer != peer) ||
		    (r[i].proto && r[i].proto != proto) ||
		    port < r[i].port_lo || port > r[i].port_hi)
			continue;
		if (r[i].action == XG_ACT_DENY) {
			deny = true;
			continue;
		}
		allow = true;
		if (r[i].l7_ruleset)
			bits |= r[i].l7_ruleset;
		else
			plain = true;
	}
	*allowed = !deny && allow;
	*l7 = !*allowed || !bits ? 0 : plain ? L7_ALL : bits;
}

/* Random rule sets, written to the native map: for every flow the
 * datapath's one lookup per peer kind finds what all the matching
 * allows say together. */
static void test_l7_fold_datapath(void **state)
{
	static const __u32 peers[] = {0, PEER, PEER2};
	static const __u8 protos[] = {0, XG_IPPROTO_TCP, XG_IPPROTO_UDP};
	struct sync_fixture *f = *state;
	unsigned seed = 12345;

	for (int iter = 0; iter < 1500; iter++) {
		struct xg_rule r[8];
		size_t n = 1 + rand_r(&seed) % 7;
		struct xg_policy_set s;

		for (size_t i = 0; i < n; i++) {
			__u8 proto = protos[rand_r(&seed) % 3];
			__u16 lo = 0, hi = 65535;
			bool deny = rand_r(&seed) % 6 == 0;

			if (proto) {
				lo = (__u16)(76 + rand_r(&seed) % 12);
				hi = (__u16)(lo + rand_r(&seed) % 6);
				if (rand_r(&seed) % 5 == 0) {
					lo = 0;
					hi = 1023;
				}
			}
			r[i] = rule(SUBJ, peers[rand_r(&seed) % 3],
				    XG_DIR_INGRESS,
				    deny ? XG_ACT_DENY : XG_ACT_ALLOW, proto,
				    lo, hi, 0, (__u32)i + 1);
			if (!deny && proto == XG_IPPROTO_TCP &&
			    rand_r(&seed) % 3)
				r[i].l7_ruleset = 1u << (rand_r(&seed) % 4);
		}
		compile_l7_ok(r, n, &s);
		assert_int_equal(
			xg_policy_sync_apply(&f->sync, &f->rec.ms, &s, NULL),
			0);
		for (__u32 pi = 1; pi < 4; pi++)
			for (int pr = 1; pr < 3; pr++)
				for (__u16 port = 72; port < 96; port++) {
					__u32 peer =
						pi < 3 ? peers[pi] : PEER2 + 7;
					struct xg_verdict_info vi;
					__u32 want_l7;
					int want;

					oracle(r, n, peer, protos[pr], port,
					       &want, &want_l7);
					xg_policy_dir(SUBJ, XG_DIR_INGRESS,
						      peer, protos[pr],
						      htons(port), &vi);
					if (vi.allowed == want &&
					    (!want || vi.l7_ruleset == want_l7))
						continue;
					for (size_t i = 0; i < n; i++)
						print_message(
							"rule %zu: peer %u %s "
							"proto %u %u-%u l7 "
							"%#x\n",
							i, r[i].peer,
							r[i].action == XG_ACT_DENY
								? "deny"
								: "allow",
							r[i].proto,
							r[i].port_lo,
							r[i].port_hi,
							r[i].l7_ruleset);
					fail_msg("iter %d: peer %u proto %u "
						 "port %u: allowed %u l7 %#x, "
						 "want %d %#x",
						 iter, peer, protos[pr], port,
						 vi.allowed, vi.l7_ruleset,
						 want, want_l7);
				}
		xg_policy_set_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_edges),
		cmocka_unit_test(test_ports_exhaustive),
		cmocka_unit_test(test_ports_random),
		cmocka_unit_test(test_ports_max_respected),
		cmocka_unit_test(test_compile_peer_proto_port),
		cmocka_unit_test(test_compile_peer_any_proto),
		cmocka_unit_test(test_compile_subject_wide),
		cmocka_unit_test(test_compile_markers),
		cmocka_unit_test(test_compile_merge),
		cmocka_unit_test(test_compile_deny_pushdown),
		cmocka_unit_test(test_compile_no_any_peer_flag),
		cmocka_unit_test(test_compile_marker_covers_nothing),
		cmocka_unit_test(test_compile_validation),
		cmocka_unit_test(test_compile_validation_enforce),
		cmocka_unit_test_setup_teardown(test_sync_make_before_break,
						sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_sync_adopt, sync_setup,
						sync_teardown),
		cmocka_unit_test_setup_teardown(test_sync_stale_already_gone,
						sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_sync_failed_write_readopts,
						sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_sync_failed_bump,
						sync_setup, sync_teardown),
		cmocka_unit_test_setup_teardown(test_sync_then_datapath_decides,
						sync_setup, sync_teardown),
		cmocka_unit_test(test_l7_merge_one_key),
		cmocka_unit_test(test_merge_cache_matches),
		cmocka_unit_test(test_sort_spread_subjects),
		cmocka_unit_test(test_l7_merge_across_keys),
		cmocka_unit_test_setup_teardown(test_l7_fold_datapath,
						sync_setup, sync_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
