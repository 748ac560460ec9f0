/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Two small open-addressing hash tables for the policy compiler and the
 * map sync, which meet tens of thousands of identities and hundreds of
 * thousands of addresses and must not compare each with each:
 *   - xg_u64map: a u64 key (an identity, a subject and direction) to a
 *     u32 (an index, a count);
 *   - xg_bmap: a fixed-size byte key (an address prefix, a service key),
 *     copied into the table, to a u32.
 * Linear probing, power-of-two sizes, at most half full; no deletion
 * (both are built, used and thrown away, or only grow).
 */
#ifndef XGATE_CTRL_POLICY_HASHTAB_H
#define XGATE_CTRL_POLICY_HASHTAB_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

/* splitmix64's finalizer: every input bit moves every output bit, so
 * identities that differ in their high bits spread too. */
static inline __u64 xg_hash_mix(__u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Eight bytes a step, each step one multiply, and the mix at the end:
 * keys here are addresses (18 bytes) and label texts (tens of bytes). */
static inline __u64 xg_hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	__u64 h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (n) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	return xg_hash_mix(h);
}

/* --------------------------------------------------------- u64 keys -- */

#define XG_U64MAP_EMPTY (~0ull) /* not a key: identities are 32 bits */

struct xg_u64map {
	__u64 *k;
	__u32 *v;
	size_t cap, n;
};

static inline __u32 *xg_u64map_get(const struct xg_u64map *m, __u64 key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = xg_hash_mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == key)
			return &m->v[i];
		if (m->k[i] == XG_U64MAP_EMPTY)
			return NULL;
	}
}

static inline int xg_u64map_grow(struct xg_u64map *m, size_t want)
{
	struct xg_u64map n = { .cap = m->cap ? m->cap : 16 };

	while (n.cap < 2 * want)
		n.cap *= 2;
	if (n.cap == m->cap)
		return 0;
	n.k = malloc(n.cap * sizeof(*n.k));
	n.v = malloc(n.cap * sizeof(*n.v));
	if (!n.k || !n.v) {
		free(n.k);
		free(n.v);
		return -ENOMEM;
	}
	memset(n.k, 0xff, n.cap * sizeof(*n.k));
	for (size_t j = 0; j < m->cap; j++) {
		size_t i;

		if (m->k[j] == XG_U64MAP_EMPTY)
			continue;
		for (i = xg_hash_mix(m->k[j]) & (n.cap - 1); n.k[i] != XG_U64MAP_EMPTY;
		     i = (i + 1) & (n.cap - 1))
			;
		n.k[i] = m->k[j];
		n.v[i] = m->v[j];
	}
	n.n = m->n;
	free(m->k);
	free(m->v);
	*m = n;
	return 0;
}

/* The value slot of key, added (value 0, *added true) when it was not
 * there; NULL when out of memory. */
static inline __u32 *xg_u64map_put(struct xg_u64map *m, __u64 key, bool *added)
{
	size_t i;

	*added = false;
	if (2 * (m->n + 1) > m->cap && xg_u64map_grow(m, m->n + 1))
		return NULL;
	for (i = xg_hash_mix(key) & (m->cap - 1); m->k[i] != XG_U64MAP_EMPTY;
	     i = (i + 1) & (m->cap - 1))
		if (m->k[i] == key)
			return &m->v[i];
	m->k[i] = key;
	m->v[i] = 0;
	m->n++;
	*added = true;
	return &m->v[i];
}

static inline void xg_u64map_free(struct xg_u64map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* -------------------------------------------------------- byte keys -- */

struct xg_bmap {
	__u8 *k; /* cap keys of ksz bytes */
	__u32 *v;
	__u8 *used; /* 0: free; else 8 bits of the key's hash, never 0 */
	size_t ksz, cap, n;
};

/* A slot's tag: most probes then end without touching the key, which is
 * the cache miss in a table of a hundred thousand addresses. */
/* Slots in an array (each `size` bytes, a u64 key at `key_off`; key 0
 * marks a free slot) indexed by idx (key -> slot): packs the live ones
 * to the front, in order, and rebuilds idx for them.  Returns 0, or
 * -ENOMEM with nothing changed. */
static inline int xg_slots_pack(void *slots, size_t *n, size_t size,
				size_t key_off, struct xg_u64map *idx)
{
	struct xg_u64map nidx = {};
	char *v = (char *)slots;
	size_t w = 0, live = 0;
	__u64 key;
	__u32 *slot;
	bool added;

	for (size_t i = 0; i < *n; i++) {
		memcpy(&key, v + i * size + key_off, sizeof(key));
		live += key != 0;
	}
	if (xg_u64map_grow(&nidx, live + 16))
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		memcpy(&key, v + i * size + key_off, sizeof(key));
		if (!key)
			continue;
		slot = xg_u64map_put(&nidx, key, &added);
		if (!slot) {
			xg_u64map_free(&nidx);
			return -ENOMEM;
		}
		*slot = (__u32)w;
		if (w != i)
			memcpy(v + w * size, v + i * size, size);
		w++;
	}
	*n = w;
	xg_u64map_free(idx);
	*idx = nidx;
	return 0;
}

static inline __u8 xg_bmap_tag(__u64 h)
{
	return (__u8)(h >> 56) | 1;
}

static inline void xg_bmap_init(struct xg_bmap *m, size_t ksz)
{
	memset(m, 0, sizeof(*m));
	m->ksz = ksz;
}

static inline __u32 *xg_bmap_get(const struct xg_bmap *m, const void *key)
{
	__u64 h;
	__u8 tag;

	if (!m->cap)
		return NULL;
	h = xg_hash_bytes(key, m->ksz);
	tag = xg_bmap_tag(h);
	for (size_t i = h & (m->cap - 1); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->used[i] == tag && !memcmp(m->k + i * m->ksz, key, m->ksz))
			return &m->v[i];
	return NULL;
}

static inline int xg_bmap_grow(struct xg_bmap *m, size_t want)
{
	struct xg_bmap n = { .ksz = m->ksz, .cap = m->cap ? m->cap : 16 };

	while (n.cap < 2 * want)
		n.cap *= 2;
	if (n.cap == m->cap)
		return 0;
	n.k = malloc(n.cap * n.ksz);
	n.v = malloc(n.cap * sizeof(*n.v));
	n.used = calloc(n.cap, 1);
	if (!n.k || !n.v || !n.used) {
		free(n.k);
		free(n.v);
		free(n.used);
		return -ENOMEM;
	}
	for (size_t j = 0; j < m->cap; j++) {
		const __u8 *key = m->k + j * m->ksz;
		size_t i;

		if (!m->used[j])
			continue;
		for (i = xg_hash_bytes(key, n.ksz) & (n.cap - 1); n.used[i];
		     i = (i + 1) & (n.cap - 1))
			;
		memcpy(n.k + i * n.ksz, key, n.ksz);
		n.v[i] = m->v[j];
		n.used[i] = m->used[j];
	}
	n.n = m->n;
	free(m->k);
	free(m->v);
	free(m->used);
	*m = n;
	return 0;
}

/* As xg_u64map_put. */
static inline __u32 *xg_bmap_put(struct xg_bmap *m, const void *key, bool *added)
{
	size_t i;
	__u64 h;
	__u8 tag;

	*added = false;
	if (2 * (m->n + 1) > m->cap && xg_bmap_grow(m, m->n + 1))
		return NULL;
	h = xg_hash_bytes(key, m->ksz);
	tag = xg_bmap_tag(h);
	for (i = h & (m->cap - 1); m->used[i]; i = (i + 1) & (m->cap - 1))
		if (m->used[i] == tag && !memcmp(m->k + i * m->ksz, key, m->ksz))
			return &m->v[i];
	memcpy(m->k + i * m->ksz, key, m->ksz);
	m->used[i] = tag;
	m->v[i] = 0;
	m->n++;
	*added = true;
	return &m->v[i];
}

static inline void xg_bmap_free(struct xg_bmap *m)
{
	free(m->k);
	free(m->v);
	free(m->used);
	m->k = NULL;
	m->v = NULL;
	m->used = NULL;
	m->cap = m->n = 0;
}

#endif /* XGATE_CTRL_POLICY_HASHTAB_H */
