// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/entries.c: prefix parsing and printing, the ipcache through a
 * mapset (longest prefix wins, world when nothing matches), the policy
 * revision.
 */
#ifndef XG_NATIVE_EXTERN
#define XG_NATIVE_EXTERN 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctrl/entries.h"
#include "xdp/native/datapath.h"
#include "tests/lib/native_ms.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------- parsing -- */

struct good {
	const char *in;
	__u8 family, len;
	const char *addr; /* as inet_pton reads it */
	const char *str; /* xg_prefix_str's rendering */
};

static const struct good goods[] = {
	{ "10.0.0.0/8", XG_FAMILY_V4, 8, "10.0.0.0", "10.0.0.0/8" },
	{ "198.18.0.0/15", XG_FAMILY_V4, 15, "198.18.0.0", "198.18.0.0/15" },
	{ "1.2.3.4", XG_FAMILY_V4, 32, "1.2.3.4", "1.2.3.4/32" },
	{ "1.2.3.4/32", XG_FAMILY_V4, 32, "1.2.3.4", "1.2.3.4/32" },
	{ "255.255.255.255", XG_FAMILY_V4, 32, "255.255.255.255",
	  "255.255.255.255/32" },
	{ "0.0.0.0/0", XG_FAMILY_V4, 0, "0.0.0.0", "0.0.0.0/0" },
	{ "128.0.0.0/1", XG_FAMILY_V4, 1, "128.0.0.0", "128.0.0.0/1" },
	{ "10.1.2.248/29", XG_FAMILY_V4, 29, "10.1.2.248", "10.1.2.248/29" },
	{ "2001:2::/48", XG_FAMILY_V6, 48, "2001:2::", "2001:2::/48" },
	{ "2001:db8::/32", XG_FAMILY_V6, 32, "2001:db8::", "2001:db8::/32" },
	{ "::/0", XG_FAMILY_V6, 0, "::", "::/0" },
	{ "::1", XG_FAMILY_V6, 128, "::1", "::1/128" },
	{ "fe80::1/128", XG_FAMILY_V6, 128, "fe80::1", "fe80::1/128" },
	{ "FE80::/10", XG_FAMILY_V6, 10, "fe80::", "fe80::/10" },
	{ "2001:db8:0:0:0:0:0:1", XG_FAMILY_V6, 128, "2001:db8::1",
	  "2001:db8::1/128" },
	{ "::ffff:1.2.3.4", XG_FAMILY_V6, 128, "::ffff:1.2.3.4",
	  "::ffff:1.2.3.4/128" },
	{ "2001:db8::8000/113", XG_FAMILY_V6, 113, "2001:db8::8000",
	  "2001:db8::8000/113" },
};

static void test_prefix_parse_valid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];
		struct xg_prefix p;
		struct xg_err err = {};
		__u8 want[16] = {};
		char buf[64];
		int ret;

		memset(&p, 0xaa, sizeof(p));
		ret = xg_prefix_parse(g->in, &p, &err);
		if (ret)
			fail_msg("'%s': %d: %s", g->in, ret, err.msg);
		assert_int_equal(p.family, g->family);
		assert_int_equal(p.len, g->len);
		assert_int_equal(inet_pton(g->family == XG_FAMILY_V4 ? AF_INET :
								       AF_INET6,
					   g->addr, want),
				 1);
		/* The whole 16 bytes: an IPv4 prefix leaves the rest 0. */
		assert_memory_equal(p.addr, want, 16);
		assert_string_equal(xg_prefix_str(&p, buf, sizeof(buf)), g->str);
		/* And printing parses back to the same prefix. */
		{
			struct xg_prefix q;

			assert_int_equal(xg_prefix_parse(buf, &q, NULL), 0);
			assert_memory_equal(&p, &q, sizeof(p));
		}
	}
}

struct bad {
	const char *in;
	const char *word; /* the message says what is wrong */
};

static void test_prefix_parse_malformed(void **state)
{
	static const struct bad bads[] = {
		{ "", "empty" },
		{ "1.2.3.4/", "length" },
		{ "/24", "address" },
		{ "/", "address" },
		{ "1.2.3.4/33", "0..32" },
		{ "1.2.3.4/100", "0..32" },
		{ "::/129", "0..128" },
		{ "1.2.3.4/abc", "length" },
		{ "1.2.3.4/24x", "length" },
		{ "1.2.3.4/2 4", "length" },
		{ "1.2.3.4/-1", "length" },
		{ "1.2.3.4/0x20", "length" },
		{ "1.2.3.4/24/", "length" },
		{ "1.2.3.4/24", "host bits" },
		{ "10.1.2.3/8", "host bits" },
		{ "128.0.0.0/0", "host bits" },
		{ "2001:db8::1/32", "host bits" },
		{ "::1/127", "host bits" },
		{ "300.1.1.1", "not an IPv4 or IPv6" },
		{ "1.2.3", "not an IPv4 or IPv6" },
		{ "1.2.3.4.5", "not an IPv4 or IPv6" },
		{ "01.2.3.4", "not an IPv4 or IPv6" },
		{ " 1.2.3.4", "not an IPv4 or IPv6" },
		{ "1.2.3.4 ", "not an IPv4 or IPv6" },
		{ "1.2.3.4 /24", "not an IPv4 or IPv6" },
		{ "garbage", "not an IPv4 or IPv6" },
		{ "::g", "not an IPv4 or IPv6" },
		{ "1::2::3", "not an IPv4 or IPv6" },
		{ "localhost", "not an IPv4 or IPv6" },
		{ "2001:db8::/", "length" },
		{ "\xff\xfe/8", "not an IPv4 or IPv6" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct xg_prefix p;
		struct xg_err err;
		int ret;

		memset(&err, 0, sizeof(err));
		memset(&p, 0xaa, sizeof(p));
		ret = xg_prefix_parse(bads[i].in, &p, &err);
		if (ret != -EINVAL)
			fail_msg("'%s': got %d, want -EINVAL", bads[i].in, ret);
		if (!strstr(err.msg, bads[i].word))
			fail_msg("'%s': message '%s' lacks '%s'", bads[i].in,
				 err.msg, bads[i].word);
		assert_string_equal(err.where, "prefix");
		/* No error record: the same answer. */
		assert_int_equal(xg_prefix_parse(bads[i].in, &p, NULL), -EINVAL);
	}
	assert_int_equal(xg_prefix_parse(NULL, &(struct xg_prefix){}, NULL),
			 -EINVAL);
}

/* strtoul() skips blanks and takes a sign; a prefix length is digits. */
static void test_prefix_parse_length_is_digits(void **state)
{
	static const char *const bads[] = {
		"1.2.3.4/ 32", "1.2.3.4/+32", "1.2.3.4/\n32", "0.0.0.0/-0",
		"::1/ 128",    "::/+0",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct xg_prefix p;
		struct xg_err err = {};

		if (xg_prefix_parse(bads[i], &p, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bads[i]);
		assert_true(err.msg[0]);
	}
}

static void test_prefix_parse_long(void **state)
{
	char s[4096];
	struct xg_prefix p;
	struct xg_err err;
	size_t n;

	/* A long address, with and without a length. */
	memset(s, '1', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(xg_prefix_parse(s, &p, &err), -EINVAL);
	assert_true(err.msg[0]);
	s[100] = '/';
	assert_int_equal(xg_prefix_parse(s, &p, &err), -EINVAL);

	/* A long length. */
	n = (size_t)snprintf(s, sizeof(s), "10.0.0.0/");
	memset(s + n, '9', sizeof(s) - n - 1);
	s[sizeof(s) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(xg_prefix_parse(s, &p, &err), -EINVAL);
	assert_true(err.msg[0]);
	assert_true(strlen(err.msg) < sizeof(err.msg));
	/* 2^64 + 8 wraps in 64 bits; it must not come out as /8. */
	assert_int_equal(xg_prefix_parse("10.0.0.0/18446744073709551624", &p,
					 NULL),
			 -EINVAL);

	/* Just at and past the address buffer (INET6_ADDRSTRLEN + 8). */
	for (size_t len = 40; len < 70; len++) {
		memset(s, ':', len);
		s[len] = '\0';
		assert_int_equal(xg_prefix_parse(s, &p, NULL), -EINVAL);
		memcpy(s, "::", 2);
		memset(s + 2, '0', len - 2);
		s[len] = '\0';
		/* "::000...": not an address (each group has at most 4). */
		assert_int_equal(xg_prefix_parse(s, &p, NULL), -EINVAL);
	}
	/* The longest text form of an IPv6 address is fine. */
	assert_int_equal(xg_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
					 &p, NULL),
			 0);
	assert_int_equal(p.len, 128);
	/* The message of a long input is cut, not overflowed. */
	memset(s, 'x', 3000);
	s[3000] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(xg_prefix_parse(s, &p, &err), -EINVAL);
	assert_true(strlen(err.msg) < sizeof(err.msg));
}

/* Every IPv4 prefix length around a few addresses: valid exactly when
 * the host bits are clear; printing round-trips. */
static void test_prefix_roundtrip_all_lengths(void **state)
{
	static const char *const addrs4[] = { "0.0.0.0", "10.0.0.0",
					      "192.168.128.0", "255.255.255.255",
					      "172.16.0.1" };
	static const char *const addrs6[] = { "::", "2001:db8::",
					      "ffff:ffff:ffff:ffff::", "::1",
					      "fe80::8000:0:0:0" };

	for (int fam = 0; fam < 2; fam++) {
		const char *const *addrs = fam ? addrs6 : addrs4;
		unsigned max = fam ? 128 : 32;

		for (size_t a = 0; a < 5; a++) {
			__u8 raw[16] = {};

			inet_pton(fam ? AF_INET6 : AF_INET, addrs[a], raw);
			for (unsigned len = 0; len <= max; len++) {
				char in[80], out[80];
				struct xg_prefix p, q;
				int clear = 1, ret;

				for (unsigned b = len; b < max; b++)
					if (raw[b / 8] & (0x80 >> (b % 8)))
						clear = 0;
				snprintf(in, sizeof(in), "%s/%u", addrs[a], len);
				ret = xg_prefix_parse(in, &p, NULL);
				if (ret != (clear ? 0 : -EINVAL))
					fail_msg("'%s': %d", in, ret);
				if (ret)
					continue;
				assert_int_equal(p.len, len);
				xg_prefix_str(&p, out, sizeof(out));
				assert_int_equal(xg_prefix_parse(out, &q, NULL),
						 0);
				assert_memory_equal(&p, &q, sizeof(p));
			}
		}
	}
}

static void test_prefix_str_truncates(void **state)
{
	struct xg_prefix p;
	char buf[8];

	assert_int_equal(xg_prefix_parse("192.168.100.0/24", &p, NULL), 0);
	memset(buf, 'z', sizeof(buf));
	assert_ptr_equal(xg_prefix_str(&p, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "192.168");
}

/* --------------------------------------------------------- ipcache -- */

static int ms_setup(void **state)
{
	xg_native_reset();
	return 0;
}

static void set(const char *prefix, __u32 id)
{
	struct xg_prefix p;

	assert_int_equal(xg_prefix_parse(prefix, &p, NULL), 0);
	assert_int_equal(xg_ipcache_set(nms_native(), &p, id), 0);
}

static int del(const char *prefix)
{
	struct xg_prefix p;

	assert_int_equal(xg_prefix_parse(prefix, &p, NULL), 0);
	return xg_ipcache_del(nms_native(), &p);
}

static __u32 resolve(const char *addr)
{
	__u8 raw[16];
	int v6 = strchr(addr, ':') != NULL;

	memset(raw, 0xee, sizeof(raw)); /* bytes past an IPv4 address */
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, addr, raw), 1);
	return xg_ipcache_resolve(nms_native(),
				  v6 ? XG_FAMILY_V6 : XG_FAMILY_V4, raw);
}

static void test_ipcache_longest_prefix(void **state)
{
	assert_int_equal(resolve("10.1.2.3"), XG_ID_WORLD);

	set("10.0.0.0/8", 1000);
	set("10.1.0.0/16", 1001);
	set("10.1.2.3", 1002);
	set("10.1.2.0/25", 1003);
	assert_int_equal(resolve("10.1.2.3"), 1002);
	assert_int_equal(resolve("10.1.2.4"), 1003);
	assert_int_equal(resolve("10.1.2.128"), 1001);
	assert_int_equal(resolve("10.200.0.1"), 1000);
	assert_int_equal(resolve("11.0.0.1"), XG_ID_WORLD);
	assert_int_equal(resolve("9.255.255.255"), XG_ID_WORLD);

	set("2001:db8::/32", 2000);
	set("2001:db8:1::/48", 2001);
	assert_int_equal(resolve("2001:db8:1::5"), 2001);
	assert_int_equal(resolve("2001:db8:2::5"), 2000);
	assert_int_equal(resolve("2001:db9::1"), XG_ID_WORLD);

	/* A family's /0 catches only that family. */
	set("0.0.0.0/0", 9);
	assert_int_equal(resolve("11.0.0.1"), 9);
	assert_int_equal(resolve("2001:db9::1"), XG_ID_WORLD);
	set("::/0", 10);
	assert_int_equal(resolve("2001:db9::1"), 10);
	assert_int_equal(resolve("11.0.0.1"), 9);
	/* An IPv6 address whose first byte is 10 is not in IPv4's 10/8. */
	assert_int_equal(resolve("a00::1"), 10);

	/* Set again: the identity changes, nothing else. */
	set("10.1.0.0/16", 1501);
	assert_int_equal(resolve("10.1.2.128"), 1501);
	assert_int_equal(resolve("10.1.2.3"), 1002);
}

static void test_ipcache_del(void **state)
{
	set("10.0.0.0/8", 1000);
	set("10.1.0.0/16", 1001);
	assert_int_equal(resolve("10.1.0.1"), 1001);

	assert_int_equal(del("10.1.0.0/16"), 0);
	assert_int_equal(resolve("10.1.0.1"), 1000);
	assert_int_equal(del("10.1.0.0/16"), -ENOENT);
	/* Deleting the /8 is not deleting a /9 inside it. */
	assert_int_equal(del("10.0.0.0/9"), -ENOENT);
	assert_int_equal(resolve("10.1.0.1"), 1000);
	assert_int_equal(del("10.0.0.0/8"), 0);
	assert_int_equal(resolve("10.1.0.1"), XG_ID_WORLD);
	assert_int_equal(xg_nmap_count(nms_map(XG_M_IPCACHE)), 0);
}

/* What xg_ipcache_resolve answers is what the datapath finds. */
static void test_ipcache_matches_datapath_key(void **state)
{
	struct xg_ipcache_key k = {
		.prefixlen = XG_IPCACHE_PREFIX_BASE + 32,
		.family = XG_FAMILY_V4,
		.addr = { 192, 0, 2, 77 },
	};
	struct xg_ipcache_val *v;

	set("192.0.2.0/24", 4242);
	v = xg_nmap_lookup(nms_map(XG_M_IPCACHE), &k);
	assert_non_null(v);
	assert_int_equal(v->identity, 4242);
	assert_int_equal(v->flags, 0);
	k.family = XG_FAMILY_V6;
	assert_null(xg_nmap_lookup(nms_map(XG_M_IPCACHE), &k));
}

static int count_entry(const void *key, const void *val, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Host entries go to the hash, shorter prefixes to the trie; a host
 * entry wins over any prefix; a delete also takes a host entry an older
 * xgate left in the trie; a walk sees both maps. */
static void test_ipcache_hosts_in_hash(void **state)
{
	struct xg_ipcache_key k = {
		.prefixlen = XG_IPCACHE_PREFIX_BASE + 32,
		.family = XG_FAMILY_V4,
		.addr = { 198, 18, 7, 9 },
	};
	struct xg_ipcache_val old = { .identity = 7000 };
	int n = 0;

	set("198.18.7.0/24", 3000);
	set("198.18.7.9/32", 3001);
	set("2001:db8::9/128", 3002);
	assert_int_equal(xg_nmap_count(nms_map(XG_M_IPHOST)), 2);
	assert_int_equal(xg_nmap_count(nms_map(XG_M_IPCACHE)), 1);
	assert_int_equal(resolve("198.18.7.9"), 3001);
	assert_int_equal(resolve("198.18.7.10"), 3000);
	assert_int_equal(resolve("2001:db8::9"), 3002);
	assert_int_equal(xg_ipcache_walk(nms_native(), count_entry, &n), 0);
	assert_int_equal(n, 3);

	assert_int_equal(del("198.18.7.9/32"), 0);
	assert_int_equal(resolve("198.18.7.9"), 3000);
	assert_int_equal(del("198.18.7.9/32"), -ENOENT);
	/* a /32 in the trie, as an older xgate wrote it: found, deleted */
	assert_int_equal(xg_nmap_update(nms_map(XG_M_IPCACHE), &k, &old,
					BPF_ANY), 0);
	assert_int_equal(resolve("198.18.7.9"), 7000);
	assert_int_equal(del("198.18.7.9/32"), 0);
	assert_int_equal(resolve("198.18.7.9"), 3000);
	assert_int_equal(del("2001:db8::9/128"), 0);
	assert_int_equal(del("198.18.7.0/24"), 0);
	assert_int_equal(xg_nmap_count(nms_map(XG_M_IPHOST)), 0);
	assert_int_equal(xg_nmap_count(nms_map(XG_M_IPCACHE)), 0);
}

/* A map the mapset cannot reach: errors come back as they are. */
static int none_update(void *priv, enum xg_map_id m, const void *key,
		       const void *val, __u64 flags)
{
	return -EBADF;
}

static int none_lookup(void *priv, enum xg_map_id m, const void *key,
		       void *val)
{
	return -EBADF;
}

static int none_remove(void *priv, enum xg_map_id m, const void *key)
{
	return -EBADF;
}

static int none_walk(void *priv, enum xg_map_id m, xg_map_walk_fn fn,
		     void *arg)
{
	return -EBADF;
}

static const struct xg_mapset_ops none_ops = {
	.update = none_update,
	.lookup = none_lookup,
	.remove = none_remove,
	.walk = none_walk,
};

static void test_errors_pass_through(void **state)
{
	struct xg_mapset none = { .ops = &none_ops };
	struct xg_prefix p;
	__u32 rev = 77;
	__u8 addr[16] = { 10 };

	assert_int_equal(xg_prefix_parse("10.0.0.0/8", &p, NULL), 0);
	assert_int_equal(xg_ipcache_set(&none, &p, 5), -EBADF);
	assert_int_equal(xg_ipcache_del(&none, &p), -EBADF);
	assert_int_equal(xg_ipcache_resolve(&none, XG_FAMILY_V4, addr),
			 XG_ID_WORLD);
	assert_int_equal(xg_policy_rev_get(&none, &rev), -EBADF);
	assert_int_equal(xg_policy_rev_bump(&none, &rev), -EBADF);
	assert_int_equal(rev, 77);
	assert_int_equal(xg_txport_add(&none, 3), -EBADF);
}

/* -------------------------------------------------------- revision -- */

static void test_rev_bump(void **state)
{
	struct xg_mapset *ms = nms_native();
	__u32 rev = 99, got;
	__u32 zero = 0;
	struct xg_runtime *rt;

	assert_int_equal(xg_policy_rev_get(ms, &rev), 0);
	assert_int_equal(rev, 0);
	for (__u32 i = 1; i <= 5; i++) {
		assert_int_equal(xg_policy_rev_bump(ms, &got), 0);
		assert_int_equal(got, i);
		assert_int_equal(xg_policy_rev_get(ms, &rev), 0);
		assert_int_equal(rev, i);
	}
	/* NULL is fine for the new value. */
	assert_int_equal(xg_policy_rev_bump(ms, NULL), 0);
	assert_int_equal(xg_policy_rev_get(ms, &rev), 0);
	assert_int_equal(rev, 6);
	/* It is the word the datapath reads; the table size beside it is left alone. */
	rt = xg_nmap_lookup(nms_map(XG_M_RUNTIME), &zero);
	assert_non_null(rt);
	assert_int_equal(rt->policy_rev, 6);
	rt->maglev_m = 251;
	rt->policy_rev = 41;
	assert_int_equal(xg_policy_rev_bump(ms, &got), 0);
	assert_int_equal(got, 42);
	assert_int_equal(rt->policy_rev, 42);
	assert_int_equal(rt->maglev_m, 251);
}

static void test_txports(void **state)
{
	struct xg_mapset *ms = nms_native();

	assert_int_equal(xg_native_redirect_map(nms_map(XG_M_TXPORTS), 12,
						XDP_PASS),
			 XDP_PASS);
	assert_int_equal(xg_txport_add(ms, 12), 0);
	assert_int_equal(xg_native_redirect_map(nms_map(XG_M_TXPORTS), 12,
						XDP_PASS),
			 XDP_REDIRECT);
	assert_int_equal(xg_txport_del(ms, 12), 0);
	assert_int_equal(xg_txport_del(ms, 12), -ENOENT);
	assert_int_equal(xg_native_redirect_map(nms_map(XG_M_TXPORTS), 12,
						XDP_PASS),
			 XDP_PASS);
}

static void test_endpoint_parse(void **state)
{
	static const char *const bad[] = {
		"", "198.19.0.1", "198.19.0.1:", "198.19.0.1:0", "198.19.0.1:65536",
		"198.19.0.1:+80", "198.19.0.1: 80", "198.19.0.1:80x", ":80",
		"2001:2::1:80", "[2001:2::1]", "[2001:2::1]80", "[198.19.0.1]:80",
		"[]:80", "300.1.1.1:80", "host:80", "[2001:2::1:80",
	};
	__u8 fam, addr[16], want[16] = { 198, 19, 0, 1 };
	struct xg_err err;
	__u16 port;

	assert_int_equal(xg_endpoint_parse("198.19.0.1:80", &fam, addr, &port, NULL), 0);
	assert_int_equal(fam, XG_FAMILY_V4);
	assert_int_equal(port, 80);
	assert_memory_equal(addr, want, 16);
	assert_int_equal(xg_endpoint_parse("[2001:2::1]:65535", &fam, addr, &port, NULL), 0);
	assert_int_equal(fam, XG_FAMILY_V6);
	assert_int_equal(port, 65535);
	assert_int_equal(addr[0], 0x20);
	assert_int_equal(addr[15], 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (xg_endpoint_parse(bad[i], &fam, addr, &port, &err) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(err.msg[0]);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, ms_setup, ms_setup)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse_valid),
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_prefix_parse_malformed),
		cmocka_unit_test(test_prefix_parse_length_is_digits),
		cmocka_unit_test(test_prefix_parse_long),
		cmocka_unit_test(test_prefix_roundtrip_all_lengths),
		cmocka_unit_test(test_prefix_str_truncates),
		T(test_ipcache_longest_prefix),
		T(test_ipcache_del),
		T(test_ipcache_matches_datapath_key),
		T(test_ipcache_hosts_in_hash),
		T(test_errors_pass_through),
		T(test_rev_bump),
		T(test_txports),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
