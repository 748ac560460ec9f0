// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp/native/runtime.c: the map semantics the datapath relies on when
 * built as native C, held to what the kernel does: update flags, full
 * maps (hash refuses, LRU evicts), LPM longest match with masked host
 * bits, array bounds, devmap/xskmap presence and the redirect fallback,
 * deleting entries while walking.
 */
#ifndef XG_NATIVE_EXTERN
#define XG_NATIVE_EXTERN 1
#endif

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xdp/native/datapath.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct xg_nmap hmap = {
	.name = "t_hash",
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

static struct xg_nmap bighash = {
	.name = "t_bighash",
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 1000,
};

static struct xg_nmap lru = {
	.name = "t_lru",
	.type = BPF_MAP_TYPE_LRU_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

struct lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

static struct xg_nmap lpm = {
	.name = "t_lpm",
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = sizeof(struct lpm4_key),
	.value_size = 4,
	.max_entries = 16,
};

static struct xg_nmap arr = {
	.name = "t_array",
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 12, /* not a multiple of 8: storage is padded */
	.max_entries = 4,
};

static struct xg_nmap pcpu = {
	.name = "t_pcpu",
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = 4,
	.value_size = 16,
	.max_entries = 3,
};

static struct xg_nmap xsk = {
	.name = "t_xsk",
	.type = BPF_MAP_TYPE_XSKMAP,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 4,
};

static struct xg_nmap devmap = {
	.name = "t_devmap",
	.type = BPF_MAP_TYPE_DEVMAP,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 8,
};

static int clear_all(void **state)
{
	struct xg_nmap *maps[] = { &hmap, &bighash, &lru, &lpm,
				   &arr,  &pcpu,    &xsk, &devmap };

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		xg_nmap_clear(maps[i]);
	xg_native_reset();
	xg_native_last_redirect = 0;
	return 0;
}

static __u64 hval(struct xg_nmap *m, __u32 k)
{
	__u64 *v = xg_nmap_lookup(m, &k);

	if (!v)
		fail_msg("%s: key %u missing", m->name, k);
	return *v;
}

static long hput(struct xg_nmap *m, __u32 k, __u64 v, __u64 flags)
{
	return xg_nmap_update(m, &k, &v, flags);
}

/* ------------------------------------------------------------ hash -- */

static void test_hash_flags(void **state)
{
	__u32 k1 = 1, k2 = 2;
	__u64 *p;

	/* Nothing stored yet: lookups miss, deletes say so. */
	assert_null(xg_nmap_lookup(&hmap, &k1));
	assert_int_equal(xg_nmap_delete(&hmap, &k1), -ENOENT);

	assert_int_equal(hput(&hmap, k1, 10, BPF_NOEXIST), 0);
	assert_int_equal(hput(&hmap, k1, 11, BPF_NOEXIST), -EEXIST);
	assert_int_equal(hval(&hmap, k1), 10); /* untouched by the refusal */

	assert_int_equal(hput(&hmap, k2, 20, BPF_EXIST), -ENOENT);
	assert_null(xg_nmap_lookup(&hmap, &k2)); /* not created */
	assert_int_equal(xg_nmap_count(&hmap), 1);

	assert_int_equal(hput(&hmap, k1, 12, BPF_EXIST), 0);
	assert_int_equal(hval(&hmap, k1), 12);
	assert_int_equal(hput(&hmap, k1, 13, BPF_ANY), 0);
	assert_int_equal(hput(&hmap, k2, 21, BPF_ANY), 0);
	assert_int_equal(hval(&hmap, k1), 13);
	assert_int_equal(hval(&hmap, k2), 21);
	assert_int_equal(xg_nmap_count(&hmap), 2);

	/* The datapath writes through the looked-up pointer (ct entries). */
	p = xg_nmap_lookup(&hmap, &k2);
	assert_non_null(p);
	*p = 99;
	assert_int_equal(hval(&hmap, k2), 99);

	assert_int_equal(xg_nmap_delete(&hmap, &k1), 0);
	assert_int_equal(xg_nmap_delete(&hmap, &k1), -ENOENT);
	assert_null(xg_nmap_lookup(&hmap, &k1));
	assert_int_equal(xg_nmap_count(&hmap), 1);
	/* Gone means NOEXIST works again. */
	assert_int_equal(hput(&hmap, k1, 14, BPF_NOEXIST), 0);
	assert_int_equal(hval(&hmap, k1), 14);
}

static void test_hash_full(void **state)
{
	for (__u32 k = 0; k < 4; k++)
		assert_int_equal(hput(&hmap, k, k, BPF_ANY), 0);
	assert_int_equal(hput(&hmap, 4, 4, BPF_ANY), -E2BIG);
	assert_int_equal(hput(&hmap, 4, 4, BPF_NOEXIST), -E2BIG);
	assert_int_equal(xg_nmap_count(&hmap), 4);
	assert_null(xg_nmap_lookup(&hmap, &(__u32){ 4 }));
	for (__u32 k = 0; k < 4; k++)
		assert_int_equal(hval(&hmap, k), k); /* nothing evicted */
	assert_int_equal(hmap.evictions, 0);

	/* Full still takes updates of existing keys. */
	assert_int_equal(hput(&hmap, 2, 200, BPF_ANY), 0);
	assert_int_equal(hput(&hmap, 3, 300, BPF_EXIST), 0);
	assert_int_equal(hval(&hmap, 2), 200);
	assert_int_equal(hval(&hmap, 3), 300);

	/* A delete makes room. */
	assert_int_equal(xg_nmap_delete(&hmap, &(__u32){ 0 }), 0);
	assert_int_equal(hput(&hmap, 4, 4, BPF_NOEXIST), 0);
	assert_int_equal(hval(&hmap, 4), 4);
	assert_int_equal(xg_nmap_count(&hmap), 4);
}

/* Many keys in few buckets: chains hold, deletes unlink the right one. */
static void test_hash_many(void **state)
{
	for (__u32 k = 0; k < 1000; k++) {
		__u32 v = k * 7;

		assert_int_equal(xg_nmap_update(&bighash, &k, &v, BPF_NOEXIST),
				 0);
	}
	assert_int_equal(xg_nmap_count(&bighash), 1000);
	for (__u32 k = 1; k < 1000; k += 2)
		assert_int_equal(xg_nmap_delete(&bighash, &k), 0);
	assert_int_equal(xg_nmap_count(&bighash), 500);
	for (__u32 k = 0; k < 1000; k++) {
		__u32 *v = xg_nmap_lookup(&bighash, &k);

		if (k & 1) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(*v, k * 7);
		}
	}
}

/* ------------------------------------------------------------- LRU -- */

static void test_lru_full_evicts(void **state)
{
	for (__u32 k = 0; k < 4; k++)
		assert_int_equal(hput(&lru, k, k, BPF_ANY), 0);
	assert_int_equal(lru.evictions, 0);

	/* Full: every new key still goes in, some old one leaves. */
	for (__u32 k = 4; k < 12; k++) {
		assert_int_equal(hput(&lru, k, k * 10, BPF_NOEXIST), 0);
		assert_int_equal(hval(&lru, k), k * 10);
		assert_int_equal(xg_nmap_count(&lru), 4);
	}
	assert_int_equal(lru.evictions, 8);
	{
		int present = 0;

		for (__u32 k = 0; k < 12; k++)
			present += xg_nmap_lookup(&lru, &k) != NULL;
		assert_int_equal(present, 4);
	}

	/* Updating a present key evicts nothing. */
	assert_int_equal(hput(&lru, 11, 1, BPF_ANY), 0);
	assert_int_equal(hput(&lru, 11, 2, BPF_EXIST), 0);
	assert_int_equal(hval(&lru, 11), 2);
	assert_int_equal(lru.evictions, 8);
	/* Flags still hold when full. */
	assert_int_equal(hput(&lru, 11, 3, BPF_NOEXIST), -EEXIST);
	assert_int_equal(hput(&lru, 1000, 3, BPF_EXIST), -ENOENT);
	assert_int_equal(lru.evictions, 8);
	assert_int_equal(xg_nmap_count(&lru), 4);
}

/* ------------------------------------------------------------- LPM -- */

static struct lpm4_key k4(__u8 a, __u8 b, __u8 c, __u8 d, __u32 plen)
{
	struct lpm4_key k = { .prefixlen = plen, .addr = { a, b, c, d } };

	return k;
}

static long lput(struct lpm4_key k, __u32 v, __u64 flags)
{
	return xg_nmap_update(&lpm, &k, &v, flags);
}

/* The value found for a full-length lookup of a.b.c.d, 0 when none. */
static __u32 lget(__u8 a, __u8 b, __u8 c, __u8 d)
{
	struct lpm4_key k = k4(a, b, c, d, 32);
	__u32 *v = xg_nmap_lookup(&lpm, &k);

	return v ? *v : 0;
}

static void test_lpm_longest_match(void **state)
{
	struct lpm4_key k;

	assert_int_equal(lget(10, 1, 2, 3), 0);
	assert_int_equal(lput(k4(10, 0, 0, 0, 8), 8, BPF_ANY), 0);
	assert_int_equal(lput(k4(10, 1, 0, 0, 16), 16, BPF_ANY), 0);
	assert_int_equal(lput(k4(10, 1, 2, 3, 32), 32, BPF_ANY), 0);
	assert_int_equal(lput(k4(10, 1, 2, 0, 27), 27, BPF_ANY), 0);
	assert_int_equal(lput(k4(10, 8, 0, 0, 13), 13, BPF_ANY), 0);

	assert_int_equal(lget(10, 1, 2, 3), 32);
	assert_int_equal(lget(10, 1, 2, 31), 27);
	assert_int_equal(lget(10, 1, 2, 32), 16); /* just past the /27 */
	assert_int_equal(lget(10, 1, 200, 1), 16);
	assert_int_equal(lget(10, 15, 255, 255), 13); /* 10.8/13 ends at 10.15 */
	assert_int_equal(lget(10, 16, 0, 0), 8);
	assert_int_equal(lget(10, 7, 255, 255), 8);
	assert_int_equal(lget(11, 0, 0, 0), 0);

	/* Prefix 0 matches everything, but loses to anything longer. */
	assert_int_equal(lput(k4(0, 0, 0, 0, 0), 100, BPF_ANY), 0);
	assert_int_equal(lget(11, 0, 0, 0), 100);
	assert_int_equal(lget(255, 255, 255, 255), 100);
	assert_int_equal(lget(10, 1, 2, 3), 32);

	/* The lookup key's own prefix length bounds the match. */
	k = k4(10, 1, 2, 3, 16);
	assert_int_equal(*(__u32 *)xg_nmap_lookup(&lpm, &k), 16);
	k = k4(10, 1, 2, 3, 15);
	assert_int_equal(*(__u32 *)xg_nmap_lookup(&lpm, &k), 8);
	k = k4(10, 1, 2, 3, 0);
	assert_int_equal(*(__u32 *)xg_nmap_lookup(&lpm, &k), 100);
	/* ... and a length past the key is the full key. */
	k = k4(10, 1, 2, 3, 200);
	assert_int_equal(*(__u32 *)xg_nmap_lookup(&lpm, &k), 32);

	/* Delete: the next shorter prefix takes over. */
	k = k4(10, 1, 2, 3, 32);
	assert_int_equal(xg_nmap_delete(&lpm, &k), 0);
	assert_int_equal(xg_nmap_delete(&lpm, &k), -ENOENT);
	assert_int_equal(lget(10, 1, 2, 3), 27);
	k = k4(10, 1, 2, 0, 27);
	assert_int_equal(xg_nmap_delete(&lpm, &k), 0);
	assert_int_equal(lget(10, 1, 2, 3), 16);
	k = k4(0, 0, 0, 0, 0);
	assert_int_equal(xg_nmap_delete(&lpm, &k), 0);
	assert_int_equal(lget(11, 0, 0, 0), 0);
	assert_int_equal(xg_nmap_count(&lpm), 3);
	/* A prefix length of another entry is not the entry. */
	k = k4(10, 0, 0, 0, 9);
	assert_int_equal(xg_nmap_delete(&lpm, &k), -ENOENT);
	assert_int_equal(xg_nmap_count(&lpm), 3);
}

struct collect4 {
	struct lpm4_key keys[16];
	int n;
};

static int collect_lpm(const void *key, void *val, void *arg)
{
	struct collect4 *c = arg;

	if (c->n < 16)
		memcpy(&c->keys[c->n], key, sizeof(c->keys[0]));
	c->n++;
	return 0;
}

/* Bits past the prefix length are no part of the key. */
static void test_lpm_host_bits_ignored(void **state)
{
	struct lpm4_key k;
	struct collect4 c = {};

	assert_int_equal(lput(k4(192, 168, 1, 77, 24), 24, BPF_ANY), 0);
	assert_int_equal(lget(192, 168, 1, 5), 24);
	assert_int_equal(lget(192, 168, 1, 77), 24);
	assert_int_equal(lget(192, 168, 2, 77), 0);
	/* The same entry under other host bits. */
	assert_int_equal(lput(k4(192, 168, 1, 0, 24), 25, BPF_NOEXIST), -EEXIST);
	assert_int_equal(lput(k4(192, 168, 1, 255, 24), 26, BPF_EXIST), 0);
	assert_int_equal(lget(192, 168, 1, 5), 26);
	assert_int_equal(xg_nmap_count(&lpm), 1);
	/* Within a byte, too. */
	assert_int_equal(lput(k4(172, 31, 255, 255, 12), 12, BPF_ANY), 0);
	assert_int_equal(lget(172, 16, 0, 1), 12);
	assert_int_equal(lget(172, 32, 0, 1), 0);
	/* Walks show the stored (masked) keys. */
	xg_nmap_foreach(&lpm, collect_lpm, &c);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < 2; i++) {
		struct lpm4_key want = c.keys[i].prefixlen == 24 ?
					       k4(192, 168, 1, 0, 24) :
					       k4(172, 16, 0, 0, 12);

		assert_memory_equal(&c.keys[i], &want, sizeof(want));
	}
	/* Delete under yet other host bits. */
	k = k4(192, 168, 1, 200, 24);
	assert_int_equal(xg_nmap_delete(&lpm, &k), 0);
	assert_int_equal(lget(192, 168, 1, 5), 0);
	assert_int_equal(xg_nmap_count(&lpm), 1);
}

static void test_lpm_bounds(void **state)
{
	struct lpm4_key k = k4(1, 2, 3, 4, 33);
	__u32 v = 1;

	/* Longer than the key: refused, as the kernel refuses it. */
	assert_int_equal(xg_nmap_update(&lpm, &k, &v, BPF_ANY), -EINVAL);
	assert_int_equal(xg_nmap_delete(&lpm, &k), -EINVAL);
	assert_int_equal(xg_nmap_count(&lpm), 0);

	/* Full refuses new prefixes (the kernel: -ENOSPC), keeps updates. */
	for (__u32 i = 0; i < 16; i++)
		assert_int_equal(lput(k4(10, (__u8)i, 0, 0, 16), i, BPF_ANY), 0);
	assert_true(lput(k4(11, 0, 0, 0, 16), 99, BPF_ANY) < 0);
	assert_int_equal(lget(11, 0, 0, 0), 0);
	assert_int_equal(lput(k4(10, 3, 0, 0, 16), 33, BPF_ANY), 0);
	assert_int_equal(lget(10, 3, 9, 9), 33);
	assert_int_equal(xg_nmap_count(&lpm), 16);
}

static struct xg_nmap lpm_big = {
	.name = "t_lpm_big",
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = sizeof(struct lpm4_key),
	.value_size = 4,
	.max_entries = 1024,
};

/* Hundreds of entries with one prefix length (host routes, single
 * ports) stay visible, also while they are deleted again. */
static void test_lpm_many_same_length(void **state)
{
	struct lpm4_key k;

	for (__u32 i = 0; i < 600; i++) {
		k = k4(10, 0, (__u8)(i >> 8), (__u8)i, 32);
		assert_int_equal(xg_nmap_update(&lpm_big, &k, &i, BPF_NOEXIST),
				 0);
	}
	for (__u32 n = 600; n > 0; n--) {
		for (__u32 i = 0; i < n; i += 37) {
			__u32 *v;

			k = k4(10, 0, (__u8)(i >> 8), (__u8)i, 32);
			v = xg_nmap_lookup(&lpm_big, &k);
			if (!v || *v != i)
				fail_msg("with %u entries, 10.0.%u.%u is lost", n,
					 i >> 8, i & 0xff);
		}
		k = k4(10, 0, (__u8)((n - 1) >> 8), (__u8)(n - 1), 32);
		assert_int_equal(xg_nmap_delete(&lpm_big, &k), 0);
	}
	assert_int_equal(xg_nmap_count(&lpm_big), 0);
	xg_nmap_clear(&lpm_big);
}

/* The kernel takes LPM keys of up to 256 data bytes (2048 bits). */
struct lpm_wide_key {
	__u32 prefixlen;
	__u8 data[256];
};

static struct xg_nmap lpm_wide = {
	.name = "t_lpm_wide",
	.type = BPF_MAP_TYPE_LPM_TRIE,
	.key_size = sizeof(struct lpm_wide_key),
	.value_size = 4,
	.max_entries = 8,
};

static void test_lpm_wide_keys(void **state)
{
	struct lpm_wide_key k = { .prefixlen = 2048 };
	__u32 v = 7, *p;

	memset(k.data, 0x5a, sizeof(k.data));
	assert_int_equal(xg_nmap_update(&lpm_wide, &k, &v, BPF_ANY), 0);
	k.prefixlen = 300;
	v = 3;
	assert_int_equal(xg_nmap_update(&lpm_wide, &k, &v, BPF_ANY), 0);
	k.prefixlen = 2048;
	p = xg_nmap_lookup(&lpm_wide, &k);
	assert_non_null(p);
	assert_int_equal(*p, 7);
	k.data[200] ^= 1; /* past bit 300: the /300 matches */
	p = xg_nmap_lookup(&lpm_wide, &k);
	assert_non_null(p);
	assert_int_equal(*p, 3);
	k.prefixlen = 2049;
	assert_int_equal(xg_nmap_update(&lpm_wide, &k, &v, BPF_ANY), -EINVAL);
	k.prefixlen = 300;
	assert_int_equal(xg_nmap_delete(&lpm_wide, &k), 0);
	xg_nmap_clear(&lpm_wide);
}

/* The datapath's own tries: the policy key (128 bits of data) and the
 * ipcache key (160) reach their full lengths. */
static void test_lpm_datapath_keys(void **state)
{
	struct xg_policy_key pk = {
		.prefixlen = XG_POLICY_PLEN_FULL,
		.subject = 7,
		.dir = 1,
		.peer = 9,
		.proto = 6,
		.dport = 0x5000,
	};
	struct xg_policy_val pv = { .action = XG_ACT_ALLOW, .cookie = 1 };
	struct xg_ipcache_key ik = {
		.prefixlen = XG_IPCACHE_PREFIX_BASE + 128,
		.family = XG_FAMILY_V6,
		.addr = { 0x20, 0x01, [15] = 1 },
	};
	struct xg_ipcache_val iv = { .identity = 77 };
	struct xg_policy_val *pvp;
	struct xg_ipcache_val *ivp;

	assert_int_equal(xg_nmap_update(&xg_policy, &pk, &pv, BPF_ANY), 0);
	pvp = xg_nmap_lookup(&xg_policy, &pk);
	assert_non_null(pvp);
	assert_int_equal(pvp->cookie, 1);
	pk.dport = 0x5100;
	assert_null(xg_nmap_lookup(&xg_policy, &pk));

	assert_int_equal(xg_nmap_update(&xg_ipcache, &ik, &iv, BPF_ANY), 0);
	ivp = xg_nmap_lookup(&xg_ipcache, &ik);
	assert_non_null(ivp);
	assert_int_equal(ivp->identity, 77);
	ik.addr[15] = 2;
	assert_null(xg_nmap_lookup(&xg_ipcache, &ik));
	ik.prefixlen = XG_IPCACHE_PREFIX_BASE + 129;
	assert_int_equal(xg_nmap_update(&xg_ipcache, &ik, &iv, BPF_ANY),
			 -EINVAL);
}

/* ----------------------------------------------------------- array -- */

static void test_array_bounds(void **state)
{
	__u8 v[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, zero[12] = {};
	__u32 idx;

	/* Every slot exists from the start, zeroed. */
	for (idx = 0; idx < 4; idx++) {
		__u8 *p = xg_nmap_lookup(&arr, &idx);

		assert_non_null(p);
		assert_memory_equal(p, zero, sizeof(zero));
	}
	idx = 4;
	assert_null(xg_nmap_lookup(&arr, &idx));
	assert_int_equal(xg_nmap_update(&arr, &idx, v, BPF_ANY), -E2BIG);
	idx = 0xffffffffu;
	assert_null(xg_nmap_lookup(&arr, &idx));
	assert_int_equal(xg_nmap_update(&arr, &idx, v, BPF_ANY), -E2BIG);

	/* Slots always exist: NOEXIST never succeeds, EXIST always can. */
	idx = 3;
	assert_int_equal(xg_nmap_update(&arr, &idx, v, BPF_NOEXIST), -EEXIST);
	assert_memory_equal(xg_nmap_lookup(&arr, &idx), zero, sizeof(zero));
	assert_int_equal(xg_nmap_update(&arr, &idx, v, BPF_EXIST), 0);
	assert_memory_equal(xg_nmap_lookup(&arr, &idx), v, sizeof(v));
	/* Neighbours untouched (12-byte values in padded slots). */
	idx = 2;
	assert_memory_equal(xg_nmap_lookup(&arr, &idx), zero, sizeof(zero));

	/* Array elements cannot be deleted. */
	idx = 3;
	assert_int_equal(xg_nmap_delete(&arr, &idx), -EINVAL);
	assert_memory_equal(xg_nmap_lookup(&arr, &idx), v, sizeof(v));
	idx = 4;
	assert_int_equal(xg_nmap_delete(&arr, &idx), -EINVAL);

	/* Per-CPU arrays: the same, one CPU. */
	idx = 2;
	assert_non_null(xg_nmap_lookup(&pcpu, &idx));
	idx = 3;
	assert_null(xg_nmap_lookup(&pcpu, &idx));
}

static int count_cb(const void *key, void *val, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_array_foreach(void **state)
{
	int n = 0;
	__u32 idx = 1;

	/* Touch it once so storage exists, then all slots are walked. */
	assert_non_null(xg_nmap_lookup(&arr, &idx));
	assert_int_equal(xg_nmap_foreach(&arr, count_cb, &n), 0);
	assert_int_equal(n, 4);
}

/* ---------------------------------------------- devmap / xskmap -- */

static void test_xskmap_redirect(void **state)
{
	__u32 q = 0, fd = 7;

	/* Empty slot: absent, and the redirect falls back. */
	assert_null(xg_nmap_lookup(&xsk, &q));
	assert_int_equal(xg_native_redirect_map(&xsk, 0, XDP_DROP), XDP_DROP);
	assert_int_equal(xg_native_redirect_map(&xsk, 0, XDP_PASS), XDP_PASS);

	assert_int_equal(xg_nmap_update(&xsk, &q, &fd, BPF_ANY), 0);
	assert_non_null(xg_nmap_lookup(&xsk, &q));
	xg_native_last_redirect = 99;
	assert_int_equal(xg_native_redirect_map(&xsk, 0, XDP_DROP),
			 XDP_REDIRECT);
	assert_int_equal(xg_native_last_redirect, 0);
	/* Other queues are still empty; out of range falls back too. */
	assert_int_equal(xg_native_redirect_map(&xsk, 1, XDP_DROP), XDP_DROP);
	assert_int_equal(xg_native_redirect_map(&xsk, 4, XDP_DROP), XDP_DROP);
	assert_int_equal(xg_native_redirect_map(&xsk, 0xffffffffu, XDP_PASS),
			 XDP_PASS);

	/* Delete empties the slot. */
	assert_int_equal(xg_nmap_delete(&xsk, &q), 0);
	assert_null(xg_nmap_lookup(&xsk, &q));
	assert_int_equal(xg_native_redirect_map(&xsk, 0, XDP_DROP), XDP_DROP);
	q = 4;
	assert_int_equal(xg_nmap_delete(&xsk, &q), -EINVAL);
	assert_int_equal(xg_nmap_update(&xsk, &q, &fd, BPF_ANY), -E2BIG);
}

static void test_devmap_redirect(void **state)
{
	__u32 i = 5, ifindex = 12;

	assert_int_equal(xg_native_redirect_map(&devmap, 5, XDP_PASS),
			 XDP_PASS);
	assert_int_equal(xg_nmap_update(&devmap, &i, &ifindex, BPF_ANY), 0);
	assert_int_equal(xg_native_redirect_map(&devmap, 5, XDP_PASS),
			 XDP_REDIRECT);
	assert_int_equal(xg_native_last_redirect, 5);
	assert_int_equal(xg_native_redirect_map(&devmap, 4, XDP_ABORTED),
			 XDP_ABORTED);

	/* The datapath's txports is a DEVMAP_HASH keyed by ifindex. */
	assert_int_equal(xg_native_redirect_map(&xg_txports, 12, XDP_PASS),
			 XDP_PASS);
	assert_int_equal(xg_nmap_update(&xg_txports, &ifindex, &ifindex,
					BPF_ANY),
			 0);
	assert_int_equal(xg_native_redirect_map(&xg_txports, 12, XDP_PASS),
			 XDP_REDIRECT);
	assert_int_equal(xg_native_last_redirect, 12);
	assert_int_equal(xg_native_redirect_map(&xg_txports, 13, XDP_PASS),
			 XDP_PASS);
	assert_int_equal(xg_nmap_delete(&xg_txports, &ifindex), 0);
	assert_int_equal(xg_native_redirect_map(&xg_txports, 12, XDP_PASS),
			 XDP_PASS);
}

/* --------------------------------------------------------- walking -- */

struct del_arg {
	struct xg_nmap *m;
	int seen;
};

static int delete_cur(const void *key, void *val, void *arg)
{
	struct del_arg *d = arg;
	__u8 copy[64];

	/* The key may live in the node being freed: copy it first, as the
	 * caller of a walk must. */
	memcpy(copy, key, d->m->key_size);
	d->seen++;
	return (int)xg_nmap_delete(d->m, copy);
}

static int delete_cur_direct(const void *key, void *val, void *arg)
{
	struct del_arg *d = arg;

	d->seen++;
	return (int)xg_nmap_delete(d->m, key);
}

static void test_foreach_delete_current(void **state)
{
	struct del_arg d = { .m = &bighash };

	for (__u32 k = 0; k < 500; k++)
		assert_int_equal(xg_nmap_update(&bighash, &k, &k, BPF_ANY), 0);
	assert_int_equal(xg_nmap_foreach(&bighash, delete_cur_direct, &d), 0);
	assert_int_equal(d.seen, 500);
	assert_int_equal(xg_nmap_count(&bighash), 0);
	for (__u32 k = 0; k < 500; k++)
		assert_null(xg_nmap_lookup(&bighash, &k));

	/* LPM too (its delete masks a copy of the key). */
	for (__u32 i = 0; i < 16; i++)
		assert_int_equal(lput(k4(10, (__u8)i, 0, 0, 16 + i % 3), i,
				      BPF_ANY),
				 0);
	d.m = &lpm;
	d.seen = 0;
	assert_int_equal(xg_nmap_foreach(&lpm, delete_cur, &d), 0);
	assert_int_equal(d.seen, 16);
	assert_int_equal(xg_nmap_count(&lpm), 0);
	assert_int_equal(lget(10, 1, 0, 0), 0);

	/* LRU, as the conntrack GC walks it. */
	for (__u32 k = 0; k < 4; k++)
		assert_int_equal(hput(&lru, k, k, BPF_ANY), 0);
	d.m = &lru;
	d.seen = 0;
	assert_int_equal(xg_nmap_foreach(&lru, delete_cur_direct, &d), 0);
	assert_int_equal(d.seen, 4);
	assert_int_equal(xg_nmap_count(&lru), 0);
}

struct stop_arg {
	int seen, stop_at;
};

static int stop_cb(const void *key, void *val, void *arg)
{
	struct stop_arg *s = arg;

	return ++s->seen == s->stop_at ? 42 : 0;
}

static void test_foreach_stops(void **state)
{
	struct stop_arg s = { .stop_at = 3 };

	for (__u32 k = 0; k < 10; k++)
		assert_int_equal(xg_nmap_update(&bighash, &k, &k, BPF_ANY), 0);
	assert_int_equal(xg_nmap_foreach(&bighash, stop_cb, &s), 42);
	assert_int_equal(s.seen, 3);
	s.seen = 0;
	s.stop_at = 100;
	assert_int_equal(xg_nmap_foreach(&bighash, stop_cb, &s), 0);
	assert_int_equal(s.seen, 10);
}

static void test_clear(void **state)
{
	__u32 k = 1, v = 1;

	assert_int_equal(xg_nmap_update(&bighash, &k, &v, BPF_ANY), 0);
	assert_int_equal(lput(k4(10, 0, 0, 0, 8), 8, BPF_ANY), 0);
	xg_nmap_clear(&bighash);
	xg_nmap_clear(&lpm);
	assert_int_equal(xg_nmap_count(&bighash), 0);
	assert_null(xg_nmap_lookup(&bighash, &k));
	assert_int_equal(lget(10, 1, 1, 1), 0);
	/* Usable again after a clear. */
	assert_int_equal(xg_nmap_update(&bighash, &k, &v, BPF_NOEXIST), 0);
	assert_int_equal(lput(k4(10, 0, 0, 0, 8), 9, BPF_NOEXIST), 0);
	assert_int_equal(lget(10, 1, 1, 1), 9);
}

/* The map types the pipeline's logic assumes (LRU for flow state, so a
 * flood evicts instead of failing; LPM for prefixes). */
static void test_datapath_map_types(void **state)
{
	assert_int_equal(xg_ct.type, BPF_MAP_TYPE_LRU_HASH);
	assert_int_equal(xg_denycache.type, BPF_MAP_TYPE_LRU_HASH);
	assert_int_equal(xg_frag.type, BPF_MAP_TYPE_LRU_HASH);
	assert_int_equal(xg_ipcache.type, BPF_MAP_TYPE_LPM_TRIE);
	assert_int_equal(xg_policy.type, BPF_MAP_TYPE_LPM_TRIE);
	assert_int_equal(xg_xsks.type, BPF_MAP_TYPE_XSKMAP);
	assert_int_equal(xg_runtime.max_entries, 1);
	assert_int_equal(xg_policy.key_size, sizeof(struct xg_policy_key));
	assert_int_equal(xg_ipcache.key_size, sizeof(struct xg_ipcache_key));
}

/* The clock and FIB doubles. */
static int fib_ok(struct bpf_fib_lookup *p)
{
	p->ifindex = 33;
	return BPF_FIB_LKUP_RET_SUCCESS;
}

static void test_helper_doubles(void **state)
{
	struct bpf_fib_lookup p = {};
	struct xg_native_ctx ctx = {};

	xg_native_now_ns = 123;
	assert_int_equal(xg_native_ktime_ns(), 123);
	xg_native_fib = NULL;
	assert_int_equal(xg_native_fib_lookup(&ctx, &p),
			 BPF_FIB_LKUP_RET_NOT_FWDED);
	xg_native_fib = fib_ok;
	assert_int_equal(xg_native_fib_lookup(&ctx, &p),
			 BPF_FIB_LKUP_RET_SUCCESS);
	assert_int_equal(p.ifindex, 33);
	xg_native_fib = NULL;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, clear_all, clear_all)
	const struct CMUnitTest tests[] = {
		T(test_hash_flags),
		T(test_hash_full),
		T(test_hash_many),
		T(test_lru_full_evicts),
		T(test_lpm_longest_match),
		T(test_lpm_host_bits_ignored),
		T(test_lpm_bounds),
		T(test_lpm_many_same_length),
		T(test_lpm_wide_keys),
		T(test_lpm_datapath_keys),
		T(test_array_bounds),
		T(test_array_foreach),
		T(test_xskmap_redirect),
		T(test_devmap_redirect),
		T(test_foreach_delete_current),
		T(test_foreach_stops),
		T(test_clear),
		T(test_datapath_map_types),
		T(test_helper_doubles),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}
