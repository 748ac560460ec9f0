/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy decision for a new flow: the source's egress policy and the
 * destination's ingress policy must both let it through.  See the key
 * layout in abi.h: per direction, one LPM lookup with the exact peer and
 * one with "any peer" (0) bound the cost whatever the number of rules,
 * port ranges included.
 */
#ifndef XGATE_XDP_POLICY_H
#define XGATE_XDP_POLICY_H

#include "ctx.h"
#include "abi.h"
#include "maps.h"

struct xg_verdict_info {
	__u8 allowed;
	__u8 reason; /* drop reason when !allowed */
	__u16 pad;
	__u32 l7_ruleset; /* the destination's ingress ruleset (one direction:
			   * that direction's) */
	__u32 l7_egress; /* both directions: the source's egress ruleset */
	__u32 cookie; /* rule that decided */
};

/* One direction.  Sets out->allowed/reason/cookie/l7_ruleset. */
XG_INLINE void xg_policy_dir(__u32 subject, __u32 dir, __u32 peer, __u8 proto,
			     __be16 port, struct xg_verdict_info *out)
{
	struct xg_policy_key k = {
		.prefixlen = XG_POLICY_PLEN_FULL,
		.subject = subject,
		.dir = dir,
		.peer = peer,
		.proto = proto,
		.dport = port,
	};
	struct xg_policy_val *exact, *any = 0, *allow = 0;

	exact = xg_map_lookup(&xg_policy, &k);
	/* No match at all means no subject-wide entry, which matches every
	 * lookup of an enforced subject: not enforced here, and the any-peer
	 * lookup cannot change that.  (While a sync writes a newly enforced
	 * subject's entries, this may keep the old answer a moment longer:
	 * narrowing lands at the end of a sync by design.) */
	if (exact && peer && !(exact->flags & XG_POL_F_NO_ANY_PEER)) {
		k.peer = 0;
		any = xg_map_lookup(&xg_policy, &k);
	}

	out->allowed = 1;
	out->reason = XG_DROP_NONE;
	out->l7_ruleset = 0;
	out->l7_egress = 0;
	out->cookie = 0;
	if (!exact && !any)
		return; /* subject not selected in this direction */

	/* Deny wins across the two lookups (within one, userspace has
	 * already written covered allows as denies). */
	if (exact && exact->action == XG_ACT_DENY) {
		out->allowed = 0;
		out->reason = XG_DROP_POLICY_DENY;
		out->cookie = exact->cookie;
		return;
	}
	if (any && any->action == XG_ACT_DENY) {
		out->allowed = 0;
		out->reason = XG_DROP_POLICY_DENY;
		out->cookie = any->cookie;
		return;
	}
	/* The more specific allow decides the L7 ruleset, as in Cilium a
	 * port rule with HTTP rules wins over an L3-only allow; on a tie
	 * the exact peer's entry does. */
	if (exact && exact->action == XG_ACT_ALLOW)
		allow = exact;
	if (any && any->action == XG_ACT_ALLOW &&
	    (!allow || any->prefixlen > allow->prefixlen))
		allow = any;
	if (!allow) {
		out->allowed = 0;
		out->reason = XG_DROP_POLICY_DEFAULT_DENY;
		return;
	}
	out->l7_ruleset = allow->l7_ruleset;
	out->cookie = allow->cookie;
}

/* Both directions.  Egress of src first: a flow the sender may not open
 * is reported against the sender's policy. */
XG_INLINE void xg_policy_check(__u32 src_id, __u32 dst_id, __u8 proto,
			       __be16 port, struct xg_verdict_info *out)
{
	struct xg_verdict_info in;

	xg_policy_dir(src_id, XG_DIR_EGRESS, dst_id, proto, port, out);
	if (!out->allowed)
		return;
	xg_policy_dir(dst_id, XG_DIR_INGRESS, src_id, proto, port, &in);
	if (!in.allowed) {
		*out = in;
		return;
	}
	/* As in Cilium, a request must pass the HTTP rules of both sides:
	 * the fast path checks the two rulesets. */
	out->l7_egress = out->l7_ruleset;
	out->l7_ruleset = in.l7_ruleset;
	if (in.cookie)
		out->cookie = in.cookie;
}

#endif /* XGATE_XDP_POLICY_H */
