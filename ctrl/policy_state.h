/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From policy rules to policy-map entries, and from entries to the map.
 *
 * A rule is one allow or deny: subject identity, direction, peer (0 =
 * any), protocol (0 = any) and a port range.  Compiling rules
 *   - expands port ranges into LPM prefixes (at most 30 per range),
 *   - adds the "enforced" entry (abi.h) for every (subject, direction)
 *     some rule selects, so unselected subjects stay default-allow,
 *   - merges rules that land on one key (deny > allow; L7 rulesets as
 *     below), and
 *   - writes every allow that a deny covers as a deny, because the LPM
 *     trie returns only the longest match and deny must win.
 * L7, with a union callback (xg_policy_compile_l7), as Cilium does it:
 * every allow that applies to a flow counts, and the datapath sees only
 * the one it picks (the longer of the exact-peer and the any-peer
 * match), so that one must carry what they all say together:
 *   - the union of their L7 rulesets, when every one has a ruleset;
 *   - "all HTTP" (the union with an allow-all rule) when one of them is
 *     a plain L3/L4 allow: the flow is still parsed, so what is not
 *     HTTP is still refused;
 *   - nothing, when none has a ruleset.
 * On one key that merges the two entries.  Across keys, an entry whose
 * region a less specific allow covers (the same peer or any peer, a
 * wider port prefix) takes that allow's part, and where an any-peer
 * entry is more specific than a peer's own entry that covers it (the
 * datapath would pick the any-peer one for that peer), an entry for the
 * peer on the any-peer entry's key is added to carry the peer's part.
 * Without a callback (xg_policy_compile, for rules written with numeric
 * ruleset ids) a ruleset is kept over a plain allow on one key, two
 * different rulesets on one key are an error, and nothing is folded
 * across keys.
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

/* The id of the ruleset that allows what ruleset a or ruleset b allows
 * (a != b, a != 0); b == 0 stands for a plain allow: every request.
 * Returns 0 or a negative errno. */
typedef int (*xg_l7_union_fn)(void *arg, __u32 a, __u32 b, __u32 *out);

/* xg_policy_compile, merging L7 rulesets with l7_union (NULL: as
 * xg_policy_compile). */
int xg_policy_compile_l7(const struct xg_rule *rules, size_t nrules,
			 const struct xg_enforce *enf, size_t nenf,
			 xg_l7_union_fn l7_union, void *arg,
			 struct xg_policy_set *out, struct xg_err *err);
void xg_policy_set_free(struct xg_policy_set *s);

/*
 * A merge cache: every step of the merge after the sort works on one
 * (subject, direction) at a time, so a group whose rules and enforce
 * entries are the very ones of the last merge gets the entries it got
 * then, and only the groups a change touched are merged again.  Groups
 * with an L7 ruleset are always merged (their ids are handles of the
 * compile that made them, and unions add rulesets).  The result is
 * xg_policy_compile_l7's, entry for entry; mc NULL: it is that.
 */
struct xg_merge_cache;

struct xg_merge_cache *xg_merge_cache_new(void);
void xg_merge_cache_free(struct xg_merge_cache *mc);
int xg_policy_compile_l7_cached(struct xg_merge_cache *mc,
				const struct xg_rule *rules, size_t nrules,
				const struct xg_enforce *enf, size_t nenf,
				xg_l7_union_fn l7_union, void *arg,
				struct xg_policy_set *out, struct xg_err *err);
/* Groups taken from the cache / merged again, so far. */
void xg_merge_cache_counts(const struct xg_merge_cache *mc, size_t *hits,
			   size_t *misses);

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
