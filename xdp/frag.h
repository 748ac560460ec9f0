/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fragments: only the first fragment carries the L4 header, so it leaves
 * its ports in xg_frag keyed by (src, dst, id, proto) and later fragments
 * take them from there.  A later fragment with no record is dropped: it
 * cannot be judged, and passing it would let fragments bypass policy.
 */
#ifndef XGATE_XDP_FRAG_H
#define XGATE_XDP_FRAG_H

#include "parse.h"
#include "maps.h"

XG_INLINE void xg_frag_key_of(struct xg_frag_key *k, const struct xg_pkt *pkt)
{
	__builtin_memcpy(k->saddr, pkt->saddr, 16);
	__builtin_memcpy(k->daddr, pkt->daddr, 16);
	k->id = pkt->frag_id;
	k->proto = pkt->proto;
	k->family = pkt->family;
}

/* A subprogram: fragments are rare, and their key would sit in the
 * packet path's stack frame. */
XG_NOINLINE int xg_frag_ports(struct xg_pkt *pkt, __u64 now)
{
	struct xg_frag_key k = {};
	struct xg_frag_val *v;

	if (pkt->frag == XG_FRAG_NONE)
		return XG_DROP_NONE;
	xg_frag_key_of(&k, pkt);
	if (pkt->frag == XG_FRAG_FIRST) {
		struct xg_frag_val nv = {
			.sport = pkt->sport,
			.dport = pkt->dport,
			.policy_port = pkt->policy_port,
			.expires_ns = now + (__u64)xg_cfg.frag_s * 1000000000ull,
		};

		xg_map_update(&xg_frag, &k, &nv, BPF_ANY);
		return XG_DROP_NONE;
	}
	v = xg_map_lookup(&xg_frag, &k);
	if (!v || v->expires_ns < now)
		return XG_DROP_FRAG_NO_FIRST;
	pkt->sport = v->sport;
	pkt->dport = v->dport;
	pkt->policy_port = v->policy_port;
	pkt->has_ports = 1;
	return XG_DROP_NONE;
}

#endif /* XGATE_XDP_FRAG_H */
