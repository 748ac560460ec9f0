/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A set of key strings, copied in: the keys a kvstore thread has seen,
 * so that after a lost watch it can tell which are gone (gone.h).
 * Chained hashing: adds and deletes come one by one from the watch, and
 * a whole snapshot (100,000 keys and more) at a resync.
 */
#ifndef XGATE_CTRL_KV_KEYSET_H
#define XGATE_CTRL_KV_KEYSET_H

#include <stdbool.h>
#include <stddef.h>

struct xg_keyset_node;

struct xg_keyset {
	struct xg_keyset_node **b;
	size_t n_b, n;
};

/* A zeroed struct is an empty set. */
/* 1 added, 0 was there, -ENOMEM. */
int xg_keyset_add(struct xg_keyset *s, const char *key, size_t len);
/* 1 removed, 0 was not there. */
int xg_keyset_del(struct xg_keyset *s, const char *key, size_t len);
bool xg_keyset_has(const struct xg_keyset *s, const char *key, size_t len);
void xg_keyset_clear(struct xg_keyset *s);
/*
 * The keys sorted by strcmp, in a malloc'd array of s->n pointers into
 * the set (valid until it next changes).  NULL without memory, or with
 * *n = 0 for an empty set.
 */
const char **xg_keyset_sorted(const struct xg_keyset *s, size_t *n);

#endif /* XGATE_CTRL_KV_KEYSET_H */
