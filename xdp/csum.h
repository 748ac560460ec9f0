/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Incremental Internet checksum updates (RFC 1624): when bytes of a
 * header change, the checksum follows without summing the packet again.
 * Words are taken in memory order throughout, which the one's-complement
 * sum allows (RFC 1071), so both builds agree on any host.
 */
#ifndef XGATE_XDP_CSUM_H
#define XGATE_XDP_CSUM_H

#include "ctx.h"

XG_INLINE __u16 xg_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* Folds the change of n 16-bit words (from -> to) into a checksum
 * field: csum' = ~(~csum + ~from + to).  Callers pass copies on the
 * stack and a constant n, so the loop unrolls. */
XG_INLINE void xg_csum_replace(__sum16 *csum, const __u16 *from,
			       const __u16 *to, int n)
{
	__u32 s = (__u16)~(__u16)*csum;
	int i;

	XG_UNROLL
	for (i = 0; i < n; i++) {
		s += (__u16)~from[i];
		s += to[i];
	}
	*csum = (__sum16)~xg_csum_fold(s);
}

#endif /* XGATE_XDP_CSUM_H */
