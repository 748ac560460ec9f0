/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which keys of a set we hold are gone from etcd, found by having etcd
 * count spans of the keyspace instead of listing it.
 *
 * After a lost watch whose history was compacted, a store reads what
 * changed since its last revision with one filtered range (cheap: etcd
 * sends only those keys).  What that cannot show is a deleted key.  A
 * count of a span is cheap too (etcd counts from its in-memory index),
 * and with every key etcd holds in the span already in our set, a count
 * equal to ours means nothing in the span is gone; a lower one is split
 * at our median key and each half counted, down to spans small enough
 * to list.  A few deletions among 100,000 keys cost a few dozen counts
 * where listing every key takes etcd's JSON gateway seconds.
 *
 * The ops are etcd's (store_etcd.c) or a test's.
 */
#ifndef XGATE_CTRL_KV_GONE_H
#define XGATE_CTRL_KV_GONE_H

#include <stddef.h>
#include <stdint.h>

#include "ctrl/err.h"

/* A key of a listing, in key order.  Non-zero stops the listing. */
typedef int (*xg_gone_key_cb)(const char *key, size_t len, void *arg);

struct xg_gone_ops {
	/* How many keys [lo, hi) holds at rev. */
	int (*count)(void *arg, const char *lo, size_t lo_len, const char *hi,
		     size_t hi_len, int64_t rev, int64_t *n,
		     struct xg_err *err);
	/* Every key in [lo, hi) at rev, in key order, to cb; returns cb's
	 * non-zero value if it stopped the listing. */
	int (*list)(void *arg, const char *lo, size_t lo_len, const char *hi,
		    size_t hi_len, int64_t rev, xg_gone_key_cb cb, void *cb_arg,
		    struct xg_err *err);
};

/* What a search cost: requests, and keys listed. */
struct xg_gone_stats {
	size_t counts, lists, listed;
};

/* Spans of at most this many of our keys are listed, not split. */
#define XG_GONE_LEAF 256

/*
 * known: n keys, NUL-terminated, sorted by strcmp (etcd's byte order),
 * each in [lo, hi).  They are the span's keys at some earlier revision
 * brought up to rev with every key changed since, so every key etcd
 * holds there at rev is among them.  gone() gets each key that etcd no
 * longer holds at rev, in order.
 *
 * Returns 0; -ESTALE when etcd holds a key in the span that known lacks
 * (the set was wrong: the caller must read the span whole, and forget
 * what gone() said); or an op's error, with err set.  st (may be NULL)
 * gets the cost.
 */
int xg_gone_find(const struct xg_gone_ops *ops, void *arg, const char *lo,
		 size_t lo_len, const char *hi, size_t hi_len,
		 const char *const *known, size_t n, int64_t rev,
		 void (*gone)(const char *key, void *arg), void *gone_arg,
		 struct xg_gone_stats *st, struct xg_err *err);

#endif /* XGATE_CTRL_KV_GONE_H */
