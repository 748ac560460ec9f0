/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Verdict cache: what identity and policy answered for (source,
 * destination, protocol, policy port) under the current policy revision,
 * so that the next new flow between the same pair -- another source port
 * of the same client, the usual way a client opens connections -- costs
 * one per-CPU slot compare instead of two ipcache and up to four policy
 * trie walks, and a denied one no deny-cache insert either.
 *
 * Sound because a judgment is a function of the ipcache and policy maps
 * alone, and every change to them bumps the revision once it is written
 * (ctrl/policy/dp_sync.c, ctrl/services.c): a slot written under an older
 * revision is never used.  While a sync is writing, a slot may keep the
 * old answer until the bump, as conntrack entries do.
 *
 * Direct-mapped and per CPU: a fill is a plain store, with no lock, no
 * LRU list and no memory to allocate; a collision just overwrites.
 */
#ifndef XGATE_XDP_VCACHE_H
#define XGATE_XDP_VCACHE_H

#include "ctx.h"
#include "abi.h"
#include "maps.h"
#include "policy.h"

/* What a judgment needs and gives: BPF calls take five arguments. */
struct xg_judgment {
	const __u8 *src, *dst; /* original direction; 4-byte aligned */
	__u8 family, proto;
	__be16 port;
	__u32 src_id, dst_id; /* out */
	struct xg_verdict_info vi; /* out */
	__u32 vslot; /* verdict cache: the slot probed, + 1; 0: none */
};

XG_INLINE __u32 xg_vcache_hash(const struct xg_judgment *j)
{
	const __u32 *s = (const __u32 *)j->src, *d = (const __u32 *)j->dst;
	__u32 h = s[0] ^ (d[0] * 0x9e3779b1u);

	if (j->family == XG_FAMILY_V6)
		h ^= s[1] ^ s[2] ^ s[3] ^ ((d[1] ^ d[2] ^ d[3]) * 0x85ebca6bu);
	h ^= ((__u32)j->proto << 16 | j->port) * 0xc2b2ae35u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 13);
}

XG_INLINE int xg_vcache_addr_eq(const __u8 *slot, const __u8 *addr)
{
	const __u32 *a = (const __u32 *)slot, *b = (const __u32 *)addr;

	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* 1 when j's pair has a slot of this revision: j's outputs are filled
 * from it.  On a miss the caller judges and calls xg_vcache_fill, which
 * writes the slot probed here.  Subprograms, like xg_judge: they keep
 * their locals out of the packet path's stack frame. */
XG_NOINLINE int xg_vcache_probe(struct xg_judgment *j, __u32 rev)
{
	struct xg_vcache_slot *s;
	__u32 idx;

	j->vslot = 0;
	if (!xg_cfg.vcache_slots)
		return 0;
	idx = xg_vcache_hash(j) & (xg_cfg.vcache_slots - 1);
	s = xg_map_lookup(&xg_vcache, &idx);
	if (!s)
		return 0;
	j->vslot = idx + 1;
	if (s->family != j->family || s->policy_rev != rev ||
	    s->proto != j->proto || s->port != j->port ||
	    !xg_vcache_addr_eq(s->saddr, j->src) ||
	    !xg_vcache_addr_eq(s->daddr, j->dst))
		return 0;
	j->src_id = s->src_identity;
	j->dst_id = s->dst_identity;
	j->vi.allowed = s->allowed;
	j->vi.reason = s->reason;
	j->vi.l7_ruleset = s->l7_ruleset;
	j->vi.l7_egress = s->l7_egress;
	j->vi.cookie = s->cookie;
	return 1;
}

XG_NOINLINE void xg_vcache_fill(const struct xg_judgment *j, __u32 rev)
{
	const __u32 *src = (const __u32 *)j->src, *dst = (const __u32 *)j->dst;
	struct xg_vcache_slot *s;
	__u32 idx = j->vslot - 1;
	__u32 *ss, *sd;

	if (!j->vslot)
		return;
	s = xg_map_lookup(&xg_vcache, &idx);
	if (!s)
		return;
	ss = (__u32 *)s->saddr;
	sd = (__u32 *)s->daddr;
	ss[0] = src[0];
	ss[1] = src[1];
	ss[2] = src[2];
	ss[3] = src[3];
	sd[0] = dst[0];
	sd[1] = dst[1];
	sd[2] = dst[2];
	sd[3] = dst[3];
	s->family = j->family;
	s->proto = j->proto;
	s->port = j->port;
	s->policy_rev = rev;
	s->src_identity = j->src_id;
	s->dst_identity = j->dst_id;
	s->l7_ruleset = j->vi.l7_ruleset;
	s->l7_egress = j->vi.l7_egress;
	s->cookie = j->vi.cookie;
	s->allowed = j->vi.allowed;
	s->reason = j->vi.reason;
}

#endif /* XGATE_XDP_VCACHE_H */
