/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From policy rules to policy-map entries, and from entries to the map.
 *
 * A rule is one allow or deny: subject identity, direction, peer (0 =
 * any), protocol (0 = any) and a port range.  Compiling rules
 *   - expands port ranges into LPM prefixes (at most 30 per range),
 *   - adds the "enforced" entry (abi.h) for every (subject, direction)
 *     some rule selects, so unselected subjects stay default-allow,
 *   - merges rules that land on one key (deny > allow; an L7 ruleset is
 *     kept), and
 *   - writes every allow that a deny covers as a deny, because the LPM
 *     trie returns only the longest match and deny must win.
 * Syncing applies the difference to the map make-before-break (widen
 * before narrowing) and then bumps the policy revision.
 */
#ifndef XGATE_CTRL_POLICY_STATE_H
#define XGATE_CTRL_POLICY_STATE_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp/abi.h"
#include "err.h"
#include "mapset.h"

struct xg_rule {
	__u32 subject;
	__u32 peer; /* 0 = any peer */
	__u8 dir; /* XG_DIR_INGRESS / XG_DIR_EGRESS */
	__u8 action; /* XG_ACT_ALLOW / XG_ACT_DENY */
	__u8 proto; /* 0 = any protocol (then any port) */
	__u8 pad;
	__u16 port_lo, port_hi; /* inclusive; ICMP: the type; 0-65535 = any */
	__u32 l7_ruleset; /* allow only */
	__u32 cookie; /* reported in events: which rule decided */
};

/* A subject selected in a direction without any rule allowing anything
 * there (e.g. an empty ingress section) is still enforced. */
struct xg_enforce {
	__u32 subject;
	__u8 dir;
};

struct xg_policy_entry {
	struct xg_policy_key key;
	struct xg_policy_val val;
};

struct xg_policy_set {
	struct xg_policy_entry *v; /* sorted by key */
	size_t n, cap;
};

int xg_policy_compile(const struct xg_rule *rules, size_t nrules,
		      const struct xg_enforce *enf, size_t nenf,
		      struct xg_policy_set *out, struct xg_err *err);
void xg_policy_set_free(struct xg_policy_set *s);

/* Splits [lo, hi] into aligned prefixes of the 16-bit port space.
 * Fills at most max pairs (port, plen); returns how many it needed. */
int xg_port_range_prefixes(__u16 lo, __u16 hi, __u16 *port, __u8 *plen,
			   int max);

struct xg_sync_stats {
	size_t written, deleted;
	__u32 revision;
};

/* What this control plane believes is in the policy map. */
struct xg_policy_sync {
	struct xg_policy_set shadow;
	int bump_owed; /* entries changed but the revision bump failed */
};

/* Reads the map as it is (after a restart: the pinned map) as the
 * starting point, so the first sync changes only what differs. */
int xg_policy_sync_adopt(struct xg_policy_sync *s, struct xg_mapset *ms);
int xg_policy_sync_apply(struct xg_policy_sync *s, struct xg_mapset *ms,
			 const struct xg_policy_set *desired,
			 struct xg_sync_stats *st);
void xg_policy_sync_free(struct xg_policy_sync *s);

#endif /* XGATE_CTRL_POLICY_STATE_H */
