/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Service load balancing (DESIGN.md step 2): a packet to a service VIP
 * gets its backend (the flow's earlier choice, else the service's Maglev
 * table by flow hash) and is DNATed to it, checksums updated
 * incrementally; replies of such flows get the VIP back (reverse NAT).
 * TCP and UDP; other protocols to a VIP pass through unbalanced.
 */
#ifndef XGATE_XDP_LB_H
#define XGATE_XDP_LB_H

#include "parse.h"
#include "maps.h"
#include "csum.h"

XG_INLINE __u32 xg_flow_hash(const struct xg_pkt *pkt)
{
	__u32 w[4], h = 0x9e3779b9u ^ pkt->proto;
	int i;

	XG_UNROLL
	for (i = 0; i < 4; i++) {
		__builtin_memcpy(&w[0], pkt->saddr + i * 4, 4);
		__builtin_memcpy(&w[1], pkt->daddr + i * 4, 4);
		h = (h ^ w[0]) * 0x01000193u;
		h = (h ^ w[1]) * 0x01000193u;
	}
	h = (h ^ ((__u32)pkt->sport << 16 | pkt->dport)) * 0x01000193u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* Rewrites the destination (dst) or source address and port of the
 * packet, keeping the IPv4 header and L4 checksums right.  Returns 0, or
 * -1 when the bytes are not where the parser said (never expected). */
XG_INLINE int xg_nat_rewrite(xg_ctx_t *ctx, const struct xg_pkt *pkt, int dst,
			     const __u8 *new_addr, __be16 new_port)
{
	__u32 l3 = pkt->l3_off, l4 = pkt->l4_off;
	__u32 port_off = l4 + (dst ? 2 : 0);
	__u32 csum_off = l4 + (pkt->proto == XG_IPPROTO_TCP ? 16 : 6);
	__u16 old_a[8] = {}, new_a[8] = {}, old_p, new_p = new_port;
	__sum16 l4csum, ipcsum;
	/* IPv4 UDP may carry no checksum: then it stays 0. */
	int fix_l4;

	if (xg_load_bytes(ctx, port_off, &old_p, 2) ||
	    xg_load_bytes(ctx, csum_off, &l4csum, 2))
		return -1;
	fix_l4 = pkt->proto == XG_IPPROTO_TCP || l4csum ||
		 pkt->family == XG_FAMILY_V6;
	if (pkt->family == XG_FAMILY_V4) {
		__u32 aoff = l3 + (dst ? 16 : 12);

		if (xg_load_bytes(ctx, aoff, old_a, 4) ||
		    xg_load_bytes(ctx, l3 + 10, &ipcsum, 2))
			return -1;
		__builtin_memcpy(new_a, new_addr, 4);
		xg_csum_replace(&ipcsum, old_a, new_a, 2);
		if (fix_l4)
			xg_csum_replace(&l4csum, old_a, new_a, 2);
		if (xg_store_bytes(ctx, aoff, new_a, 4) ||
		    xg_store_bytes(ctx, l3 + 10, &ipcsum, 2))
			return -1;
	} else {
		__u32 aoff = l3 + (dst ? 24 : 8);

		if (xg_load_bytes(ctx, aoff, old_a, 16))
			return -1;
		__builtin_memcpy(new_a, new_addr, 16);
		xg_csum_replace(&l4csum, old_a, new_a, 8);
		if (xg_store_bytes(ctx, aoff, new_a, 16))
			return -1;
	}
	if (fix_l4) {
		xg_csum_replace(&l4csum, &old_p, &new_p, 1);
		/* UDP's "no checksum" value is 0; a computed 0 goes out as
		 * all ones. */
		if (pkt->proto == XG_IPPROTO_UDP && !l4csum)
			l4csum = (__sum16)0xffff;
	}
	if (xg_store_bytes(ctx, port_off, &new_p, 2) ||
	    xg_store_bytes(ctx, csum_off, &l4csum, 2))
		return -1;
	return 0;
}

/* The service packet's slow path (a subprogram: own stack frame): its
 * backend, the DNAT.  Returns a drop reason. */
XG_NOINLINE int xg_lb_service(xg_ctx_t *ctx, struct xg_pkt *pkt,
			      struct xg_svc_val *svc, __u32 *revnat_id, __u64 now)
{
	struct xg_flow_key fk = {};
	struct xg_svcflow *sf, nsf = {};
	struct xg_backend *be = 0;
	struct xg_affinity_key ak = {};
	__u32 be_id = 0;
	int from_flow = 0;

	/* The flow's earlier choice stands while its backend exists, even
	 * terminating: existing flows finish where they started. */
	__builtin_memcpy(fk.a, pkt->saddr, 16);
	__builtin_memcpy(fk.b, pkt->daddr, 16);
	fk.aport = pkt->sport;
	fk.bport = pkt->dport;
	fk.proto = pkt->proto;
	fk.family = pkt->family;
	sf = xg_map_lookup(&xg_svcflow, &fk);
	if (sf && sf->svc_id == svc->svc_id && sf->expires_ns > now) {
		be_id = sf->backend_id;
		be = xg_map_lookup(&xg_backends, &be_id);
		from_flow = be != 0;
	}
	if (!be && svc->affinity_s) {
		struct xg_affinity *af;

		ak.svc_id = svc->svc_id;
		ak.family = pkt->family;
		__builtin_memcpy(ak.client, pkt->saddr, 16);
		af = xg_map_lookup(&xg_affinity, &ak);
		if (af && af->expires_ns > now) {
			be_id = af->backend_id;
			be = xg_map_lookup(&xg_backends, &be_id);
			/* a terminating backend takes no new flow, affinity
			 * or not: choose again below */
			if (be && be->state != XG_BE_ACTIVE)
				be = 0;
			if (be)
				af->expires_ns = now + (__u64)svc->affinity_s * 1000000000ull;
		}
	}
	if (!be) {
		__u32 m = xg_cfg.maglev_m ? xg_cfg.maglev_m : XG_MAGLEV_M;
		__u32 slot = xg_flow_hash(pkt) % m;
		__u32 blk = slot / XG_MAGLEV_BLOCK;
		void *table = xg_map_lookup_inner(&xg_maglev, &svc->svc_id);
		struct xg_maglev_block *b;

		if (!table)
			return XG_DROP_LB_NO_BACKEND;
		b = xg_map_lookup(table, &blk);
		if (!b)
			return XG_DROP_LB_NO_BACKEND;
		be_id = b->id[slot & (XG_MAGLEV_BLOCK - 1)];
		if (!be_id)
			return XG_DROP_LB_NO_BACKEND;
		/* No state check: the table holds this service's active
		 * backends only, and a backend entry shared by services may
		 * be terminating in another one. */
		be = xg_map_lookup(&xg_backends, &be_id);
		if (!be)
			return XG_DROP_LB_NO_BACKEND;
		if (svc->affinity_s) {
			/* ak was filled by the lookup above */
			struct xg_affinity naf = {
				.backend_id = be_id,
				.expires_ns = now + (__u64)svc->affinity_s * 1000000000ull,
			};

			xg_map_update(&xg_affinity, &ak, &naf, BPF_ANY);
		}
	}
	if (!from_flow) {
		nsf.backend_id = be_id;
		nsf.svc_id = svc->svc_id;
		nsf.expires_ns = now + (__u64)xg_cfg.ct_tcp_est_s * 1000000000ull;
		xg_map_update(&xg_svcflow, &fk, &nsf, BPF_ANY);
	}
	if (xg_nat_rewrite(ctx, pkt, 1, be->addr, be->port))
		return XG_DROP_L4_TRUNC;
	__builtin_memcpy(pkt->daddr, be->addr, 16);
	pkt->dport = be->port;
	pkt->policy_port = be->port;
	*revnat_id = svc->revnat_id;
	return XG_DROP_NONE;
}

/* Step 2.  A service packet gets its backend and is DNATed; *revnat_id
 * says which service (0: not a service packet).  Returns a drop reason.
 * The lookup is inline: most packets are not to a VIP and should not pay
 * for a call. */
XG_INLINE int xg_lb(xg_ctx_t *ctx, struct xg_pkt *pkt, __u32 *revnat_id,
		    __u64 now)
{
	struct xg_svc_key sk = {};
	struct xg_svc_val *svc;

	*revnat_id = 0;
	if ((pkt->proto != XG_IPPROTO_TCP && pkt->proto != XG_IPPROTO_UDP) ||
	    pkt->frag != XG_FRAG_NONE)
		return XG_DROP_NONE;
	__builtin_memcpy(sk.addr, pkt->daddr, 16);
	sk.port = pkt->dport;
	sk.proto = pkt->proto;
	sk.family = pkt->family;
	svc = xg_map_lookup(&xg_svc, &sk);
	if (!svc)
		return XG_DROP_NONE;
	return xg_lb_service(ctx, pkt, svc, revnat_id, now);
}

/* A reply of a balanced flow: the source becomes the VIP again. */
XG_NOINLINE void xg_lb_reverse(xg_ctx_t *ctx, struct xg_pkt *pkt,
				__u32 revnat_id)
{
	struct xg_revnat *rn = xg_map_lookup(&xg_revnat, &revnat_id);

	if (!rn || xg_nat_rewrite(ctx, pkt, 0, rn->addr, rn->port))
		return;
	__builtin_memcpy(pkt->saddr, rn->addr, 16);
	pkt->sport = rn->port;
}

#endif /* XGATE_XDP_LB_H */
