/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small C API to write datapath entries by hand: address prefixes to
 * identities, the policy revision, egress ports.  Tests and xgatectl use
 * it until the policy compiler takes over; the compiler uses it too.
 */
#ifndef XGATE_CTRL_ENTRIES_H
#define XGATE_CTRL_ENTRIES_H

#include <linux/types.h>

#include "err.h"
#include "mapset.h"

struct xg_prefix {
	__u8 family; /* XG_FAMILY_V4 / XG_FAMILY_V6 */
	__u8 len; /* prefix length in bits */
	__u8 addr[16]; /* host bits beyond len are zero */
};

/* "198.18.0.0/15", "2001:2::/48", or a bare address (a host prefix).
 * Host bits set beyond the length are an error: "10.1.2.3/8" is
 * almost always a typo, and silently masking it hides it. */
int xg_prefix_parse(const char *s, struct xg_prefix *out, struct xg_err *err);
/* Writes "addr/len" into buf. */
const char *xg_prefix_str(const struct xg_prefix *p, char *buf, size_t len);

/* "198.19.0.100:80" or "[2001:2::100]:80": an address and a port
 * (1-65535).  addr gets 16 bytes (IPv4 in the first 4). */
int xg_endpoint_parse(const char *s, __u8 *family, __u8 *addr, __u16 *port,
		      struct xg_err *err);

int xg_ipcache_set(struct xg_mapset *ms, const struct xg_prefix *p,
		   __u32 identity);
int xg_ipcache_del(struct xg_mapset *ms, const struct xg_prefix *p);
/* Every ipcache entry, host entries (their own hash) first, then the
 * trie's; fn gets a struct xg_ipcache_key and a struct xg_ipcache_val. */
int xg_ipcache_walk(struct xg_mapset *ms, xg_map_walk_fn fn, void *arg);
/* Identity for an address as the datapath would find it (LPM), or
 * XG_ID_WORLD. */
__u32 xg_ipcache_resolve(struct xg_mapset *ms, __u8 family, const __u8 *addr);

int xg_policy_rev_get(struct xg_mapset *ms, __u32 *rev);
/* Bumps the revision so established flows are judged again. */
int xg_policy_rev_bump(struct xg_mapset *ms, __u32 *new_rev);

/* Interfaces XDP may forward to (devmap). */
int xg_txport_add(struct xg_mapset *ms, __u32 ifindex);
int xg_txport_del(struct xg_mapset *ms, __u32 ifindex);

#endif /* XGATE_CTRL_ENTRIES_H */
