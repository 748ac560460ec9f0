/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking.  One LRU entry per flow under a normalised key
 * (lower (address, port) first), so a packet from either side finds its
 * flow in one lookup.  Entries remember the policy revision they were
 * admitted under; the pipeline re-checks a flow when the revision moves.
 * Lifetimes follow TCP state so closed flows leave sooner; an expired
 * entry counts as absent (userspace garbage-collects them).
 */
#ifndef XGATE_XDP_CT_H
#define XGATE_XDP_CT_H

#include "parse.h"
#include "maps.h"

#define XG_NSEC 1000000000ull
/* Refresh an entry's expiry at most this often: writing it on every
 * packet would bounce the cache line between CPUs for nothing. */
#define XG_CT_REFRESH_NS XG_NSEC

/* A packet that read the policy revision just before a bump can meet an
 * entry another CPU has already judged under the new one; written over
 * with its older answer, the entry would keep that answer under the new
 * stamp (the fields are written one by one) until the next bump.  So an
 * entry is judged again only when this packet's revision is not behind
 * it.  A stamp more than XG_REV_AHEAD_MAX revisions ahead (abi.h) is no
 * such race (a reset counter, say): judged again too. */

XG_INLINE int xg_ct_rev_stale(__u32 entry_rev, __u32 rev)
{
	return entry_rev != rev && entry_rev - rev > XG_REV_AHEAD_MAX;
}

/* 1 when (a, ap) sorts after (b, bp).  Any total order will do, so the
 * words are compared as they lie in memory: four compares, not sixteen. */
XG_INLINE int xg_addr_port_gt(const __u8 *a, __be16 ap, const __u8 *b,
			      __be16 bp)
{
	const __u32 *wa = (const __u32 *)a, *wb = (const __u32 *)b;
	int i;

	XG_UNROLL
	for (i = 0; i < 4; i++) {
		if (wa[i] != wb[i])
			return wa[i] > wb[i];
	}
	return bpf_ntohs(ap) > bpf_ntohs(bp);
}

/* Fills the normalised key; returns 1 when the packet's sender is "b". */
XG_INLINE int xg_flow_key_of(struct xg_flow_key *k, const struct xg_pkt *pkt)
{
	int swapped = xg_addr_port_gt(pkt->saddr, pkt->sport, pkt->daddr,
				      pkt->dport);

	if (swapped) {
		__builtin_memcpy(k->a, pkt->daddr, 16);
		__builtin_memcpy(k->b, pkt->saddr, 16);
		k->aport = pkt->dport;
		k->bport = pkt->sport;
	} else {
		__builtin_memcpy(k->a, pkt->saddr, 16);
		__builtin_memcpy(k->b, pkt->daddr, 16);
		k->aport = pkt->sport;
		k->bport = pkt->dport;
	}
	k->proto = pkt->proto;
	k->family = pkt->family;
	return swapped;
}

XG_INLINE int xg_flow_key_eq(const struct xg_flow_key *x,
			     const struct xg_flow_key *y)
{
	const __u64 *a = (const __u64 *)x, *b = (const __u64 *)y;

	/* 40 bytes: five words */
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] &&
	       a[4] == b[4];
}

XG_INLINE __u64 xg_ct_lifetime_ns(const struct xg_ct_entry *e, __u8 proto)
{
	if (proto != XG_IPPROTO_TCP)
		return (__u64)xg_cfg.ct_other_s * XG_NSEC;
	if ((e->flags & XG_CT_F_RST) ||
	    ((e->flags & XG_CT_F_FIN_ORIG) && (e->flags & XG_CT_F_FIN_REPLY)))
		return (__u64)xg_cfg.ct_tcp_close_s * XG_NSEC;
	if (e->flags & XG_CT_F_SYNACK || e->flags & XG_CT_F_SEEN_REPLY)
		return (__u64)xg_cfg.ct_tcp_est_s * XG_NSEC;
	return (__u64)xg_cfg.ct_tcp_syn_s * XG_NSEC;
}

/* A TCP flow that has closed and now sees a fresh SYN from its originator
 * is a new connection reusing the tuple: judge it again. */
XG_INLINE int xg_ct_reopened(const struct xg_ct_entry *e,
			     const struct xg_pkt *pkt, int is_reply)
{
	if (pkt->proto != XG_IPPROTO_TCP || is_reply)
		return 0;
	if ((pkt->tcp_flags & (XG_TCP_SYN | XG_TCP_ACK)) != XG_TCP_SYN)
		return 0;
	return (e->flags & XG_CT_F_RST) ||
	       ((e->flags & XG_CT_F_FIN_ORIG) && (e->flags & XG_CT_F_FIN_REPLY));
}

/* Account a packet of a known flow: TCP state, counters, expiry. */
XG_INLINE void xg_ct_touch(struct xg_ct_entry *e, const struct xg_pkt *pkt,
			   int is_reply, __u64 now)
{
	__u16 flags = e->flags;
	__u64 expires;

	if (is_reply) {
		flags |= XG_CT_F_SEEN_REPLY;
		e->packets_reply++;
	} else {
		e->packets_orig++;
	}
	if (pkt->proto == XG_IPPROTO_TCP) {
		__u8 tf = pkt->tcp_flags;

		if (tf & XG_TCP_RST)
			flags |= XG_CT_F_RST;
		if (tf & XG_TCP_FIN)
			flags |= is_reply ? XG_CT_F_FIN_REPLY : XG_CT_F_FIN_ORIG;
		if ((tf & XG_TCP_SYN) && !is_reply)
			flags |= XG_CT_F_SYN;
		if ((tf & (XG_TCP_SYN | XG_TCP_ACK)) ==
			    (XG_TCP_SYN | XG_TCP_ACK) &&
		    is_reply)
			flags |= XG_CT_F_SYNACK;
	}
	if (flags != e->flags)
		e->flags = flags;
	expires = now + xg_ct_lifetime_ns(e, pkt->proto);
	/* Shorter lifetimes (closing) apply at once; longer ones lazily. */
	if (expires < e->expires_ns || expires > e->expires_ns + XG_CT_REFRESH_NS)
		e->expires_ns = expires;
}

XG_INLINE void xg_ct_create(const struct xg_flow_key *k, int swapped,
			    const struct xg_pkt *pkt, __u32 rev, __u32 src_id,
			    __u32 dst_id, __u32 l7, __u32 cookie, __u32 revnat_id,
			    __u64 now, __u32 l7_isn, int has_isn, __u32 l7_egress)
{
	struct xg_ct_entry e = {
		.policy_rev = rev,
		.src_identity = src_id,
		.dst_identity = dst_id,
		.l7_ruleset = l7,
		.cookie = cookie,
		.flags = (__u16)((swapped ? XG_CT_F_SWAPPED : 0) |
				 (l7 || l7_egress ? XG_CT_F_L7 : 0) |
				 (has_isn ? XG_CT_F_ISN : 0)),
		.l7_isn = l7_isn,
		.l7_egress = l7_egress,
		.policy_port = pkt->policy_port,
		.revnat_id = revnat_id,
		.created_ns = now,
	};

	xg_ct_touch(&e, pkt, 0, now);
	xg_map_update(&xg_ct, k, &e, BPF_ANY);
}

#endif /* XGATE_XDP_CT_H */
