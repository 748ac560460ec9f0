/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors about flows we carry: destination unreachable (with
 * "fragmentation needed"), time exceeded and parameter problem; ICMPv6
 * also packet too big.  Such an error belongs to the flow it quotes: it
 * passes when that flow is admitted (as Cilium treats "related" packets),
 * and for a balanced flow it is translated like the flow, so path MTU
 * discovery works through the gateway:
 *
 *  - the error is about a client's packet after DNAT (it quotes
 *    client -> backend): the quote's destination becomes the VIP again,
 *    and if the backend itself sent the error, its source too;
 *  - the error is about a reply after reverse NAT (it quotes
 *    VIP -> client, and is addressed to the VIP): it goes to the backend,
 *    the quote's source becoming the backend.
 *
 * Every checksum follows incrementally: the outer IPv4 header's, the
 * ICMP one (over the whole quote; ICMPv6's also over the pseudo header),
 * the quoted IPv4 header's and a quoted UDP checksum.  A quoted TCP
 * checksum lies past the 8 bytes a router must quote and is left alone,
 * as receivers do not check it.
 */
#ifndef XGATE_XDP_ICMP_ERR_H
#define XGATE_XDP_ICMP_ERR_H

#include "parse.h"
#include "maps.h"
#include "csum.h"
#include "ct.h"

enum {
	XG_REL_NONE = 0, /* not an error about a flow we know: judge it */
	XG_REL_PASS = 1, /* related to an admitted flow: send it on */
	XG_REL_DENIED = 2, /* related to a flow policy cut */
};

XG_INLINE int xg_is_icmp_error(const struct xg_pkt *pkt)
{
	if (pkt->frag != XG_FRAG_NONE)
		return 0;
	if (pkt->proto == XG_IPPROTO_ICMP)
		return pkt->icmp_type == 3 || pkt->icmp_type == 11 ||
		       pkt->icmp_type == 12;
	if (pkt->proto == XG_IPPROTO_ICMPV6)
		return pkt->icmp_type >= 1 && pkt->icmp_type <= 4;
	return 0;
}

/* Folds a 16-bit word's change into a checksum. */
XG_INLINE void xg_csum_word(__sum16 *c, __u16 from, __u16 to)
{
	xg_csum_replace(c, &from, &to, 1);
}

/* The quote's source (dst = 0) or destination becomes addr/port.  Every
 * byte changed in the quote (address, port, the quoted IPv4 header's
 * checksum, a quoted UDP checksum) is folded into the ICMP checksum. */
XG_INLINE int xg_quote_rewrite(xg_ctx_t *ctx, const struct xg_quote *q, int dst,
			       const __u8 *addr, __be16 port)
{
	__u32 aoff = q->l3 + (q->v4 ? (dst ? 16 : 12) : (dst ? 24 : 8));
	__u32 poff = q->l4 + (dst ? 2 : 0);
	__u16 oa[8] = {}, na[8] = {}, op, np = port;
	__sum16 ic, c_old = 0, c_new;
	int udp = q->proto == XG_IPPROTO_UDP;

	if (xg_load_bytes(ctx, q->icsum, &ic, 2) ||
	    xg_load_bytes(ctx, poff, &op, 2) ||
	    (udp && xg_load_bytes(ctx, q->l4 + 6, &c_old, 2)))
		return -1;
	if (q->v4) {
		__sum16 ip_old, ip_new;

		if (xg_load_bytes(ctx, aoff, oa, 4) ||
		    xg_load_bytes(ctx, q->l3 + 10, &ip_old, 2))
			return -1;
		__builtin_memcpy(na, addr, 4);
		ip_new = ip_old;
		xg_csum_replace(&ip_new, oa, na, 2);
		xg_csum_replace(&ic, oa, na, 2);
		xg_csum_word(&ic, ip_old, ip_new);
		if (c_old) { /* a UDP checksum of 0 means none */
			c_new = c_old;
			xg_csum_replace(&c_new, oa, na, 2);
		}
		if (xg_store_bytes(ctx, aoff, na, 4) ||
		    xg_store_bytes(ctx, q->l3 + 10, &ip_new, 2))
			return -1;
	} else {
		if (xg_load_bytes(ctx, aoff, oa, 16))
			return -1;
		__builtin_memcpy(na, addr, 16);
		xg_csum_replace(&ic, oa, na, 8);
		if (c_old) {
			c_new = c_old;
			xg_csum_replace(&c_new, oa, na, 8);
		}
		if (xg_store_bytes(ctx, aoff, na, 16))
			return -1;
	}
	xg_csum_word(&ic, op, np);
	if (c_old) {
		xg_csum_word(&c_new, op, np);
		if (!c_new)
			c_new = (__sum16)0xffff;
		xg_csum_word(&ic, c_old, c_new);
		if (xg_store_bytes(ctx, q->l4 + 6, &c_new, 2))
			return -1;
	}
	if (xg_store_bytes(ctx, poff, &np, 2) ||
	    xg_store_bytes(ctx, q->icsum, &ic, 2))
		return -1;
	return 0;
}

/* The error's own source (dst = 0) or destination becomes addr: the
 * outer IPv4 checksum, or ICMPv6's (its pseudo header), follows. */
XG_INLINE int xg_outer_rewrite(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			       const struct xg_quote *q, int dst, const __u8 *addr)
{
	__u32 l3 = pkt->l3_off;
	__u16 oa[8] = {}, na[8] = {};
	__sum16 c;

	if (q->v4) {
		__u32 aoff = l3 + (dst ? 16 : 12);

		if (xg_load_bytes(ctx, aoff, oa, 4) ||
		    xg_load_bytes(ctx, l3 + 10, &c, 2))
			return -1;
		__builtin_memcpy(na, addr, 4);
		xg_csum_replace(&c, oa, na, 2);
		if (xg_store_bytes(ctx, aoff, na, 4) ||
		    xg_store_bytes(ctx, l3 + 10, &c, 2))
			return -1;
	} else {
		__u32 aoff = l3 + (dst ? 24 : 8);

		if (xg_load_bytes(ctx, aoff, oa, 16) ||
		    xg_load_bytes(ctx, q->icsum, &c, 2))
			return -1;
		__builtin_memcpy(na, addr, 16);
		xg_csum_replace(&c, oa, na, 8);
		if (xg_store_bytes(ctx, aoff, na, 16) ||
		    xg_store_bytes(ctx, q->icsum, &c, 2))
			return -1;
	}
	return 0;
}

/* Reads the quoted packet's headers and tuple; 0 when it is a TCP or UDP
 * packet with its ports quoted. */
XG_INLINE int xg_quote_read(xg_ctx_t *ctx, const struct xg_pkt *pkt,
			    struct xg_quote *q)
{
	__u8 b[2];

	q->v4 = pkt->family == XG_FAMILY_V4;
	q->icsum = pkt->l4_off + 2;
	q->l3 = pkt->l4_off + 8;
	__builtin_memset(q->saddr, 0, 16);
	__builtin_memset(q->daddr, 0, 16);
	if (q->v4) {
		if (xg_load_bytes(ctx, q->l3, b, 1) || (b[0] >> 4) != 4 ||
		    (b[0] & 0xf) < 5 || xg_load_bytes(ctx, q->l3 + 9, &q->proto, 1) ||
		    xg_load_bytes(ctx, q->l3 + 12, q->saddr, 4) ||
		    xg_load_bytes(ctx, q->l3 + 16, q->daddr, 4))
			return -1;
		q->l4 = q->l3 + (__u32)(b[0] & 0xf) * 4;
	} else {
		if (xg_load_bytes(ctx, q->l3, b, 1) || (b[0] >> 4) != 6 ||
		    xg_load_bytes(ctx, q->l3 + 6, &q->proto, 1) ||
		    xg_load_bytes(ctx, q->l3 + 8, q->saddr, 16) ||
		    xg_load_bytes(ctx, q->l3 + 24, q->daddr, 16))
			return -1;
		q->l4 = q->l3 + 40; /* extension headers in a quote: unrelated */
	}
	if ((q->proto != XG_IPPROTO_TCP && q->proto != XG_IPPROTO_UDP) ||
	    q->l4 + 8 > pkt->len || xg_load_bytes(ctx, q->l4, &q->sport, 2) ||
	    xg_load_bytes(ctx, q->l4 + 2, &q->dport, 2))
		return -1;
	return 0;
}

/* The normalised conntrack key of the quote's tuple, with its source
 * and port replaced when saddr is given; returns 1 when swapped. */
XG_INLINE int xg_quote_key(struct xg_quote *q, const __u8 *saddr, __be16 sport)
{
	struct xg_flow_key *k = &q->key;
	const __u8 *src = saddr ? saddr : q->saddr;
	__be16 sp = saddr ? sport : q->sport;
	int swapped = xg_addr_port_gt(src, sp, q->daddr, q->dport);

	__builtin_memcpy(k->a, swapped ? q->daddr : src, 16);
	__builtin_memcpy(k->b, swapped ? src : q->daddr, 16);
	k->aport = swapped ? q->dport : sp;
	k->bport = swapped ? sp : q->dport;
	k->proto = q->proto;
	k->family = q->v4 ? XG_FAMILY_V4 : XG_FAMILY_V6;
	k->pad[0] = k->pad[1] = 0;
	return swapped;
}

XG_INLINE int xg_addr_eq(const __u8 *a, const __u8 *b)
{
	/* 4-byte words: xg_pkt's addresses are only 4-byte aligned */
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* Is this ICMP error about a flow we carry?  Translates it when that
 * flow is balanced.  Returns XG_REL_*. */
XG_NOINLINE int xg_icmp_related(xg_ctx_t *ctx, struct xg_pkt *pkt, __u64 now,
				__u32 rev)
{
	__u32 zero = 0;
	struct xg_quote *q = xg_map_lookup(&xg_quote_scratch, &zero);
	struct xg_ct_entry *ce;
	struct xg_svcflow *sf;
	struct xg_backend *be;
	int swapped;

	if (!q || xg_quote_read(ctx, pkt, q))
		return XG_REL_NONE;
	swapped = xg_quote_key(q, 0, 0);
	ce = xg_map_lookup(&xg_ct, &q->key);
	if (ce && ce->expires_ns > now) {
		/* a flow whose verdict is stale is judged as itself first */
		if (ce->policy_rev != rev)
			return XG_REL_NONE;
		if (ce->flags & XG_CT_F_DENIED)
			return XG_REL_DENIED;
		/* quoting client -> backend: the client must see the VIP */
		if (ce->revnat_id && swapped == !!(ce->flags & XG_CT_F_SWAPPED)) {
			struct xg_revnat *rn =
				xg_map_lookup(&xg_revnat, &ce->revnat_id);

			if (!rn)
				return XG_REL_NONE;
			if (xg_addr_eq(pkt->saddr, q->daddr)) {
				if (xg_outer_rewrite(ctx, pkt, q, 0, rn->addr))
					return XG_REL_NONE;
				__builtin_memcpy(pkt->saddr, rn->addr, 16);
			}
			if (xg_quote_rewrite(ctx, q, 1, rn->addr, rn->port))
				return XG_REL_NONE;
		}
		return XG_REL_PASS;
	}

	/* Quoting VIP -> client, a reply after reverse NAT: the client
	 * flow's backend choice says where the error belongs. */
	__builtin_memcpy(q->key.a, q->daddr, 16);
	__builtin_memcpy(q->key.b, q->saddr, 16);
	q->key.aport = q->dport;
	q->key.bport = q->sport;
	sf = xg_map_lookup(&xg_svcflow, &q->key);
	if (!sf || sf->expires_ns <= now)
		return XG_REL_NONE;
	be = xg_map_lookup(&xg_backends, &sf->backend_id);
	if (!be)
		return XG_REL_NONE;
	xg_quote_key(q, be->addr, be->port);
	ce = xg_map_lookup(&xg_ct, &q->key);
	if (!ce || ce->expires_ns <= now || ce->policy_rev != rev)
		return XG_REL_NONE;
	if (ce->flags & XG_CT_F_DENIED)
		return XG_REL_DENIED;
	if (xg_addr_eq(pkt->daddr, q->saddr)) {
		if (xg_outer_rewrite(ctx, pkt, q, 1, be->addr))
			return XG_REL_NONE;
		__builtin_memcpy(pkt->daddr, be->addr, 16);
	}
	if (xg_quote_rewrite(ctx, q, 0, be->addr, be->port))
		return XG_REL_NONE;
	return XG_REL_PASS;
}

#endif /* XGATE_XDP_ICMP_ERR_H */
