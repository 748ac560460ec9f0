/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Why would a packet pass or drop?  Answers from a compiled state (what
 * the maps hold, or would hold), with the datapath's own decision:
 * identities by longest prefix, then the source's egress and the
 * destination's ingress, each one exact-peer and one any-peer lookup,
 * deny over allow (xdp/policy.h).  Tests check it against the XDP
 * program, so the two cannot drift apart unnoticed.
 */
#ifndef XGATE_CTRL_POLICY_EXPLAIN_H
#define XGATE_CTRL_POLICY_EXPLAIN_H

#include <stdbool.h>

#include "compile.h"

struct xg_explain_dir {
	bool enforced; /* the subject is selected in this direction */
	bool allowed;
	__u8 reason; /* XG_DROP_* when !allowed */
	__u32 cookie; /* the deciding rule (origins[cookie - 1]), 0: none */
	__u32 l7_ruleset;
};

struct xg_explain {
	__u32 src_id, dst_id;
	struct xg_explain_dir egress; /* of the source */
	struct xg_explain_dir ingress; /* of the destination */
	bool allowed;
	__u8 reason;
	__u32 cookie;
	__u32 l7_ruleset;
};

/* addr: 16 bytes, IPv4 in the first 4.  port in host order (ICMP: the
 * type). */
void xg_explain_flow(const struct xg_compiled *c, __u8 family,
		     const __u8 *src, const __u8 *dst, __u8 proto, __u16 port,
		     struct xg_explain *out);
/* The identity of an address, as the ipcache would give it. */
__u32 xg_explain_identity(const struct xg_compiled *c, __u8 family,
			  const __u8 *addr);

#endif /* XGATE_CTRL_POLICY_EXPLAIN_H */
