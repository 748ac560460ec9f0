/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Address -> security identity, by longest prefix; world when unknown. */
#ifndef XGATE_XDP_IPCACHE_H
#define XGATE_XDP_IPCACHE_H

#include "ctx.h"
#include "abi.h"
#include "maps.h"

XG_INLINE __u32 xg_identity_of(const __u8 *addr, __u8 family)
{
	struct xg_ipcache_key k = {
		.prefixlen = XG_IPCACHE_PREFIX_BASE +
			     (family == XG_FAMILY_V4 ? 32 : 128),
		.family = family,
	};
	struct xg_ipcache_val *v;

	__builtin_memcpy(k.addr, addr, 16);
	/* A host entry is the longest prefix there is: it wins outright. */
	v = xg_map_lookup(&xg_iphost, &k);
	if (!v)
		v = xg_map_lookup(&xg_ipcache, &k);
	return v ? v->identity : XG_ID_WORLD;
}

#endif /* XGATE_XDP_IPCACHE_H */
