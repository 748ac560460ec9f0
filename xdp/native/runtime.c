// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Native map and helper doubles for the datapath built as C (see
 * runtime.h).  Semantics follow the kernel's where the datapath can
 * observe them: update flags, LRU eviction when full (of some entry,
 * not necessarily the least recent), LPM longest-prefix match, devmap
 * fallback action.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct xg_nnode {
	struct xg_nnode *next;
	__u64 hash;
	__u8 data[]; /* key, padded to 8, then value */
};

#define ALIGN8(x) (((x) + 7u) & ~7u)

static __u64 hash_bytes(const void *p, size_t n)
{
	const __u8 *b = p;
	__u64 h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static int is_array(const struct xg_nmap *m)
{
	return m->type == BPF_MAP_TYPE_ARRAY ||
	       m->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       m->type == BPF_MAP_TYPE_XSKMAP || m->type == BPF_MAP_TYPE_DEVMAP;
}

static int is_lru(const struct xg_nmap *m)
{
	return m->type == BPF_MAP_TYPE_LRU_HASH ||
	       m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int ensure_storage(struct xg_nmap *m)
{
	if (is_array(m)) {
		if (!m->array) {
			m->array = calloc(m->max_entries, ALIGN8(m->value_size));
			if (!m->array)
				return -ENOMEM;
		}
		return 0;
	}
	if (!m->buckets) {
		__u32 n = 64;

		while (n < m->max_entries && n < (1u << 16))
			n <<= 1;
		m->buckets = calloc(n, sizeof(*m->buckets));
		if (!m->buckets)
			return -ENOMEM;
		m->nbuckets = n;
	}
	return 0;
}

static __u8 *node_val(const struct xg_nmap *m, struct xg_nnode *n)
{
	return n->data + ALIGN8(m->key_size);
}

static struct xg_nnode **find_slot(struct xg_nmap *m, const void *key,
				   __u64 h)
{
	struct xg_nnode **pp = &m->buckets[h & (m->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && !memcmp((*pp)->data, key, m->key_size))
			return pp;
	return pp;
}

/* LPM keys are {__u32 prefixlen; data[]}: mask data beyond prefixlen. */
static void lpm_mask(const struct xg_nmap *m, __u8 *key, __u32 plen)
{
	__u32 dbytes = m->key_size - 4;
	__u8 *d = key + 4;

	for (__u32 i = 0; i < dbytes; i++) {
		__u32 bit0 = i * 8;

		if (bit0 >= plen)
			d[i] = 0;
		else if (bit0 + 8 > plen)
			d[i] &= (__u8)(0xff << (8 - (plen - bit0)));
	}
	memcpy(key, &plen, 4);
}

static void *hash_lookup(struct xg_nmap *m, const void *key)
{
	struct xg_nnode **pp;

	if (!m->buckets)
		return NULL;
	pp = find_slot(m, key, hash_bytes(key, m->key_size));
	return *pp ? node_val(m, *pp) : NULL;
}

void *xg_nmap_lookup(struct xg_nmap *m, const void *key)
{
	if (is_array(m)) {
		__u32 idx;

		memcpy(&idx, key, sizeof(idx));
		if (idx >= m->max_entries || ensure_storage(m))
			return NULL;
		if (m->type == BPF_MAP_TYPE_XSKMAP ||
		    m->type == BPF_MAP_TYPE_DEVMAP) {
			__u32 v;

			memcpy(&v, m->array + (size_t)idx * ALIGN8(m->value_size),
			       sizeof(v));
			if (!v)
				return NULL;
		}
		return m->array + (size_t)idx * ALIGN8(m->value_size);
	}
	if (m->type == BPF_MAP_TYPE_LPM_TRIE) {
		__u8 buf[260];
		__u32 plen;

		if (m->key_size > sizeof(buf))
			return NULL;
		memcpy(&plen, key, 4);
		if (plen > (m->key_size - 4) * 8)
			plen = (m->key_size - 4) * 8;
		for (int l = (int)plen; l >= 0; l--) {
			void *v;

			if (!m->plen_used[l])
				continue;
			memcpy(buf, key, m->key_size);
			lpm_mask(m, buf, (__u32)l);
			v = hash_lookup(m, buf);
			if (v)
				return v;
		}
		return NULL;
	}
	return hash_lookup(m, key);
}

struct xg_nmap *xg_nmap_lookup_inner(struct xg_nmap *outer, const void *key)
{
	struct xg_nmap **inner = xg_nmap_lookup(outer, key);

	return inner ? *inner : NULL;
}

static void evict_one(struct xg_nmap *m)
{
	/* Walk from a rotating bucket; the kernel's LRU is per-CPU
	 * approximate too, and the datapath must not rely on which goes. */
	static __u32 cursor;

	for (__u32 i = 0; i < m->nbuckets; i++) {
		struct xg_nnode **pp =
			&m->buckets[(cursor + i) & (m->nbuckets - 1)];

		if (*pp) {
			struct xg_nnode *n = *pp;

			*pp = n->next;
			free(n);
			m->count--;
			m->evictions++;
			cursor += i + 1;
			return;
		}
	}
}

long xg_nmap_update(struct xg_nmap *m, const void *key, const void *val,
		    __u64 flags)
{
	struct xg_nnode **pp, *n;
	__u8 buf[260];
	__u64 h;
	int err;

	err = ensure_storage(m);
	if (err)
		return err;
	if (is_array(m)) {
		__u32 idx;

		memcpy(&idx, key, sizeof(idx));
		if (idx >= m->max_entries)
			return -E2BIG;
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(m->array + (size_t)idx * ALIGN8(m->value_size), val,
		       m->value_size);
		return 0;
	}
	if (m->type == BPF_MAP_TYPE_LPM_TRIE) {
		__u32 plen;

		if (m->key_size > sizeof(buf))
			return -EINVAL;
		memcpy(&plen, key, 4);
		if (plen > (m->key_size - 4) * 8)
			return -EINVAL;
		memcpy(buf, key, m->key_size);
		lpm_mask(m, buf, plen);
		key = buf;
	}
	h = hash_bytes(key, m->key_size);
	pp = find_slot(m, key, h);
	if (*pp) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		memcpy(node_val(m, *pp), val, m->value_size);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (m->count >= m->max_entries) {
		/* the kernel's LPM trie says ENOSPC, its hash tables E2BIG */
		if (m->type == BPF_MAP_TYPE_LPM_TRIE)
			return -ENOSPC;
		if (!is_lru(m))
			return -E2BIG;
		evict_one(m);
		pp = find_slot(m, key, h);
	}
	n = calloc(1, sizeof(*n) + ALIGN8(m->key_size) + ALIGN8(m->value_size));
	if (!n)
		return -ENOMEM;
	n->hash = h;
	memcpy(n->data, key, m->key_size);
	memcpy(node_val(m, n), val, m->value_size);
	*pp = n;
	m->count++;
	if (m->type == BPF_MAP_TYPE_LPM_TRIE) {
		__u32 plen;

		memcpy(&plen, key, 4);
		m->plen_used[plen]++;
	}
	return 0;
}

long xg_nmap_delete(struct xg_nmap *m, const void *key)
{
	struct xg_nnode **pp, *n;
	__u8 buf[260];

	if (is_array(m)) {
		__u32 idx;

		memcpy(&idx, key, sizeof(idx));
		if (idx >= m->max_entries)
			return -EINVAL;
		if (m->type != BPF_MAP_TYPE_XSKMAP &&
		    m->type != BPF_MAP_TYPE_DEVMAP)
			return -EINVAL;
		if (!m->array)
			return -ENOENT;
		memset(m->array + (size_t)idx * ALIGN8(m->value_size), 0,
		       m->value_size);
		return 0;
	}
	if (!m->buckets)
		return -ENOENT;
	if (m->type == BPF_MAP_TYPE_LPM_TRIE) {
		__u32 plen;

		memcpy(&plen, key, 4);
		if (plen > (m->key_size - 4) * 8 || m->key_size > sizeof(buf))
			return -EINVAL;
		memcpy(buf, key, m->key_size);
		lpm_mask(m, buf, plen);
		key = buf;
	}
	pp = find_slot(m, key, hash_bytes(key, m->key_size));
	if (!*pp)
		return -ENOENT;
	n = *pp;
	*pp = n->next;
	if (m->type == BPF_MAP_TYPE_LPM_TRIE) {
		__u32 plen;

		memcpy(&plen, n->data, 4);
		m->plen_used[plen]--;
	}
	free(n);
	m->count--;
	return 0;
}

int xg_nmap_foreach(struct xg_nmap *m,
		    int (*fn)(const void *key, void *val, void *arg), void *arg)
{
	if (is_array(m)) {
		if (!m->array)
			return 0;
		for (__u32 i = 0; i < m->max_entries; i++) {
			int r = fn(&i, m->array + (size_t)i * ALIGN8(m->value_size),
				   arg);
			if (r)
				return r;
		}
		return 0;
	}
	for (__u32 b = 0; m->buckets && b < m->nbuckets; b++) {
		struct xg_nnode *n = m->buckets[b], *next;

		for (; n; n = next) {
			int r;

			next = n->next; /* fn may delete n */
			r = fn(n->data, node_val(m, n), arg);
			if (r)
				return r;
		}
	}
	return 0;
}

void xg_nmap_clear(struct xg_nmap *m)
{
	for (__u32 b = 0; m->buckets && b < m->nbuckets; b++) {
		struct xg_nnode *n = m->buckets[b], *next;

		for (; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(m->buckets);
	free(m->array);
	m->buckets = NULL;
	m->array = NULL;
	m->nbuckets = 0;
	m->count = 0;
	m->evictions = 0;
	memset(m->plen_used, 0, sizeof(m->plen_used));
}

__u32 xg_nmap_count(const struct xg_nmap *m)
{
	return m->count;
}

/* ---------------------------------------------------------- helpers -- */

__u64 xg_native_now_ns = 1000000000ull;

__u64 xg_native_ktime_ns(void)
{
	return xg_native_now_ns;
}

xg_native_fib_fn xg_native_fib;

long xg_native_fib_lookup(struct xg_native_ctx *ctx,
			  struct bpf_fib_lookup *params)
{
	(void)ctx;
	if (!xg_native_fib)
		return BPF_FIB_LKUP_RET_NOT_FWDED;
	return xg_native_fib(params);
}

__u32 xg_native_last_redirect;

long xg_native_redirect_map(struct xg_nmap *m, __u32 key, __u64 flags)
{
	if (!xg_nmap_lookup(m, &key))
		return (long)(flags & 0xff);
	xg_native_last_redirect = key;
	return XDP_REDIRECT;
}

static int frame_has(struct xg_native_ctx *ctx, __u32 off, __u32 len)
{
	size_t size = (size_t)((__u8 *)ctx->data_end - (__u8 *)ctx->data);

	return (size_t)off + len <= size;
}

long xg_native_adjust_tail(struct xg_native_ctx *ctx, int delta)
{
	__u8 *end = (__u8 *)ctx->data_end + delta;
	__u8 *limit = ctx->frame_end ? ctx->frame_end : ctx->data_end;

	if (end < (__u8 *)ctx->data + 14 || end > limit)
		return -EINVAL;
	/* the kernel zeroes what a frame grows into */
	if (delta > 0)
		memset(ctx->data_end, 0, (size_t)delta);
	ctx->data_end = end;
	return 0;
}

void *xg_native_data_meta(struct xg_native_ctx *ctx)
{
	return ctx->data_meta ? ctx->data_meta : ctx->data;
}

long xg_native_adjust_meta(struct xg_native_ctx *ctx, int delta)
{
	__u8 *meta = (__u8 *)xg_native_data_meta(ctx) + delta;
	size_t len = (size_t)((__u8 *)ctx->data - meta);

	if (!ctx->frame_start || meta < (__u8 *)ctx->frame_start ||
	    meta > (__u8 *)ctx->data || (len & 3) || len > 255)
		return -EINVAL;
	ctx->data_meta = meta;
	return 0;
}

long xg_native_load_bytes(struct xg_native_ctx *ctx, __u32 off, void *buf,
			  __u32 len)
{
	if (!frame_has(ctx, off, len))
		return -EFAULT;
	memcpy(buf, (__u8 *)ctx->data + off, len);
	return 0;
}

long xg_native_store_bytes(struct xg_native_ctx *ctx, __u32 off,
			   const void *buf, __u32 len)
{
	if (!frame_has(ctx, off, len))
		return -EFAULT;
	memcpy((__u8 *)ctx->data + off, buf, len);
	return 0;
}

static xg_native_ring_fn ring_fn;
static void *ring_arg;

void xg_native_set_ring(xg_native_ring_fn fn, void *arg)
{
	ring_fn = fn;
	ring_arg = arg;
}

long xg_native_ringbuf_output(struct xg_nmap *m, const void *data, __u64 size)
{
	(void)m;
	if (ring_fn)
		ring_fn(data, size, ring_arg);
	return 0;
}
