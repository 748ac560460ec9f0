// SPDX-License-Identifier: GPL-2.0-only
/*
 * What both identity backends share: the pairings known here (id <->
 * label set, two open-addressing hash indexes over one array of
 * entries), the set of ids taken (a bitmap over the whole id space), and
 * the calls that answer from them before asking a backend.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

struct ent {
	__u32 id;
	__u32 len;
	__u64 hash;
	char *labels;
};

struct xg_id_alloc {
	const struct xg_id_ops *ops;
	void *priv;
	struct ent *ents;
	size_t n, cap;
	/* entry index + 1 (0: empty); slots is a power of two, at least
	 * twice n, so that probes stay short */
	__u32 *by_labels, *by_id;
	size_t slots;
	/* bit i: id i is in use (paired here or seen in the store); every
	 * id below `hint` is */
	__u64 *taken;
	__u32 hint;
};

#define TAKEN_WORDS (XG_ID_LIMIT / 64)

/* A 64-bit finaliser (MurmurHash3's), spreading close ids apart. */
static __u64 mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static __u64 hash_labels(const char *s, size_t len)
{
	__u64 h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return mix(h);
}

int xg_id_labels_check(const char *labels, const char **why)
{
	size_t len = strnlen(labels, XG_ID_LABELS_MAX + 1);
	const char *w = NULL;

	if (!len)
		w = "empty label set";
	else if (len > XG_ID_LABELS_MAX)
		w = "label set longer than 4096 bytes";
	for (size_t i = 0; !w && i < len; i++)
		/* the state file is lines of id TAB labels */
		if (labels[i] < 0x20 || labels[i] > 0x7e)
			w = "label set holds a byte that is not printable ASCII";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

int xg_id_alloc_new(const struct xg_id_ops *ops, void *priv,
		    struct xg_id_alloc **out)
{
	struct xg_id_alloc *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	/* 2 MiB of address space; pages are touched only as ids are taken */
	a->taken = calloc(TAKEN_WORDS, sizeof(__u64));
	if (!a->taken) {
		free(a);
		return -ENOMEM;
	}
	a->ops = ops;
	a->priv = priv;
	/* below the first allocatable id everything is "taken" */
	a->hint = XG_ID_FIRST_LOCAL;
	*out = a;
	return 0;
}

void *xg_id_priv(const struct xg_id_alloc *a)
{
	return a->priv;
}

static size_t find_labels(const struct xg_id_alloc *a, const char *labels,
			  size_t len, __u64 h)
{
	size_t mask = a->slots - 1;

	if (!a->slots)
		return SIZE_MAX;
	for (size_t s = h & mask;; s = (s + 1) & mask) {
		__u32 v = a->by_labels[s];
		const struct ent *e;

		if (!v)
			return SIZE_MAX;
		e = &a->ents[v - 1];
		if (e->hash == h && e->len == len &&
		    !memcmp(e->labels, labels, len))
			return v - 1;
	}
}

static size_t find_id(const struct xg_id_alloc *a, __u32 id)
{
	size_t mask = a->slots - 1;

	if (!a->slots)
		return SIZE_MAX;
	for (size_t s = mix(id) & mask;; s = (s + 1) & mask) {
		__u32 v = a->by_id[s];

		if (!v)
			return SIZE_MAX;
		if (a->ents[v - 1].id == id)
			return v - 1;
	}
}

static void index_ent(struct xg_id_alloc *a, size_t i)
{
	size_t mask = a->slots - 1, s;

	for (s = a->ents[i].hash & mask; a->by_labels[s]; s = (s + 1) & mask)
		;
	a->by_labels[s] = (__u32)(i + 1);
	for (s = mix(a->ents[i].id) & mask; a->by_id[s]; s = (s + 1) & mask)
		;
	a->by_id[s] = (__u32)(i + 1);
}

static int reindex(struct xg_id_alloc *a, size_t slots)
{
	__u32 *bl = calloc(slots, sizeof(*bl)),
	      *bi = calloc(slots, sizeof(*bi));

	if (!bl || !bi) {
		free(bl);
		free(bi);
		return -ENOMEM;
	}
	free(a->by_labels);
	free(a->by_id);
	a->by_labels = bl;
	a->by_id = bi;
	a->slots = slots;
	for (size_t i = 0; i < a->n; i++)
		index_ent(a, i);
	return 0;
}

static bool is_taken(const struct xg_id_alloc *a, __u32 id)
{
	return a->taken[id / 64] & (1ull << (id % 64));
}

void xg_id_take(struct xg_id_alloc *a, __u32 id)
{
	if (id >= XG_ID_LIMIT)
		return;
	a->taken[id / 64] |= 1ull << (id % 64);
	while (a->hint < XG_ID_LIMIT && is_taken(a, a->hint))
		a->hint++;
}

static void untake(struct xg_id_alloc *a, __u32 id)
{
	if (id < XG_ID_FIRST_LOCAL || id >= XG_ID_LIMIT)
		return;
	a->taken[id / 64] &= ~(1ull << (id % 64));
	if (id < a->hint)
		a->hint = id;
}

__u32 xg_id_next_free(const struct xg_id_alloc *a, __u32 from)
{
	__u32 id = from > a->hint ? from : a->hint;

	while (id < XG_ID_LIMIT) {
		__u64 w = ~a->taken[id / 64] & (~0ull << (id % 64));

		if (w)
			return (id & ~63u) + (__u32)__builtin_ctzll(w);
		id = (id & ~63u) + 64;
	}
	return XG_ID_LIMIT;
}

int xg_id_learn(struct xg_id_alloc *a, __u32 id, const char *labels)
{
	size_t len = strlen(labels);
	__u64 h = hash_labels(labels, len);
	struct ent *e;
	int ret;

	if (id < XG_ID_FIRST_LOCAL || id >= XG_ID_LIMIT)
		return -EINVAL;
	if (find_labels(a, labels, len, h) != SIZE_MAX ||
	    find_id(a, id) != SIZE_MAX)
		return -EEXIST;
	/* indexes are __u32 entry numbers */
	if (a->n >= XG_ID_LIMIT)
		return -ENOSPC;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct ent *ents = realloc(a->ents, cap * sizeof(*ents));

		if (!ents)
			return -ENOMEM;
		a->ents = ents;
		a->cap = cap;
	}
	e = &a->ents[a->n];
	e->labels = malloc(len + 1);
	if (!e->labels)
		return -ENOMEM;
	memcpy(e->labels, labels, len + 1);
	e->id = id;
	e->len = (__u32)len;
	e->hash = h;
	a->n++;
	if (a->n * 2 > a->slots) {
		ret = reindex(a, a->slots ? a->slots * 2 : 128);
		if (ret) {
			free(e->labels);
			a->n--;
			return ret;
		}
	} else {
		index_ent(a, a->n - 1);
	}
	xg_id_take(a, id);
	return 0;
}

int xg_id_known(const struct xg_id_alloc *a, const char *labels, __u32 *id)
{
	size_t len = strlen(labels);
	size_t i = find_labels(a, labels, len, hash_labels(labels, len));

	if (i == SIZE_MAX)
		return 0;
	*id = a->ents[i].id;
	return 1;
}

const char *xg_id_known_labels(const struct xg_id_alloc *a, __u32 id)
{
	size_t i = find_id(a, id);

	return i == SIZE_MAX ? NULL : a->ents[i].labels;
}

size_t xg_id_learned(const struct xg_id_alloc *a)
{
	return a->n;
}

void xg_id_learned_at(const struct xg_id_alloc *a, size_t i, __u32 *id,
		      const char **labels)
{
	*id = a->ents[i].id;
	*labels = a->ents[i].labels;
}

void xg_id_forget_since(struct xg_id_alloc *a, size_t mark)
{
	if (mark >= a->n)
		return;
	while (a->n > mark) {
		a->n--;
		untake(a, a->ents[a->n].id);
		free(a->ents[a->n].labels);
	}
	/* Open addressing has no cheap delete: clear both indexes and
	 * index what is left, in place, so that undoing cannot fail. */
	memset(a->by_labels, 0, a->slots * sizeof(*a->by_labels));
	memset(a->by_id, 0, a->slots * sizeof(*a->by_id));
	for (size_t i = 0; i < a->n; i++)
		index_ent(a, i);
}

/* ------------------------------------------------------ public calls -- */

int xg_id_get_many(struct xg_id_alloc *a, const char *const *labels, size_t n,
		   __u32 *ids, struct xg_err *err)
{
	const char **miss = NULL;
	__u32 *mids = NULL;
	size_t m = 0, j = 0;
	const char *why;
	int ret;

	for (size_t i = 0; i < n; i++) {
		if (xg_id_labels_check(labels[i], &why)) {
			xg_err_set(err, "identity", "%s: \"%.80s\"", why,
				   labels[i]);
			return -EINVAL;
		}
		if (!xg_id_known(a, labels[i], &ids[i]))
			m++;
	}
	if (!m)
		return 0;
	miss = malloc(m * sizeof(*miss));
	mids = malloc(m * sizeof(*mids));
	if (!miss || !mids) {
		ret = -ENOMEM;
		xg_err_set(err, "identity", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!xg_id_known(a, labels[i], &ids[i]))
			miss[j++] = labels[i];
	ret = a->ops->alloc(a, miss, m, mids, err);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!xg_id_known(a, labels[i], &ids[i])) {
			/* a backend that did not learn what it returned */
			xg_err_set(err, "identity", "allocator lost \"%.80s\"",
				   labels[i]);
			ret = -EIO;
			goto out;
		}
out:
	free(miss);
	free(mids);
	return ret;
}

int xg_id_get(struct xg_id_alloc *a, const char *labels, __u32 *id,
	      struct xg_err *err)
{
	const char *why;

	if (xg_id_labels_check(labels, &why)) {
		xg_err_set(err, "identity", "%s: \"%.80s\"", why, labels);
		return -EINVAL;
	}
	if (xg_id_known(a, labels, id))
		return 0;
	return a->ops->alloc(a, &labels, 1, id, err);
}

int xg_id_lookup(struct xg_id_alloc *a, __u32 id, char *labels, size_t len)
{
	const char *l = xg_id_known_labels(a, id);
	int ret;

	if (!l && a->ops->fetch && id >= XG_ID_FIRST_LOCAL &&
	    id < XG_ID_LIMIT) {
		ret = a->ops->fetch(a, id);
		if (ret)
			return ret;
		l = xg_id_known_labels(a, id);
	}
	if (!l)
		return -ENOENT;
	if (strlen(l) >= len)
		return -ENOSPC;
	memcpy(labels, l, strlen(l) + 1);
	return 0;
}

struct order {
	__u32 id;
	__u32 i;
};

static int cmp_order(const void *x, const void *y)
{
	const struct order *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

int xg_id_walk(struct xg_id_alloc *a,
	       int (*fn)(__u32 id, const char *labels, void *arg), void *arg)
{
	size_t n = a->n;
	struct order *o;
	int ret = 0;

	if (!n)
		return 0;
	o = malloc(n * sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		o[i].id = a->ents[i].id;
		o[i].i = (__u32)i;
	}
	qsort(o, n, sizeof(*o), cmp_order);
	/* labels are looked up again: fn may have made a->ents move */
	for (size_t i = 0; i < n && !ret; i++)
		ret = fn(o[i].id, a->ents[o[i].i].labels, arg);
	free(o);
	return ret;
}

size_t xg_id_count(const struct xg_id_alloc *a)
{
	return a->n;
}

void xg_id_alloc_close(struct xg_id_alloc *a)
{
	if (!a)
		return;
	if (a->ops && a->ops->destroy)
		a->ops->destroy(a->priv);
	for (size_t i = 0; i < a->n; i++)
		free(a->ents[i].labels);
	free(a->ents);
	free(a->by_labels);
	free(a->by_id);
	free(a->taken);
	free(a);
}
