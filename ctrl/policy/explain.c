// SPDX-License-Identifier: GPL-2.0-only
/* Explaining a verdict from compiled state; see explain.h. */
#include <arpa/inet.h>
#include <string.h>

#include "explain.h"

/* Do the first plen bits of a and b agree? */
static bool bits_eq(const __u8 *a, const __u8 *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full))
		return false;
	return !rest || !((a[full] ^ b[full]) & (0xff << (8 - rest)));
}

__u32 xg_explain_identity(const struct xg_compiled *c, __u8 family,
			  const __u8 *addr)
{
	const struct xg_ipc_entry *best = NULL;

	for (size_t i = 0; i < c->n_ipc; i++) {
		const struct xg_ipc_entry *e = &c->ipc[i];

		if (e->pfx.family != family ||
		    !bits_eq(e->pfx.addr, addr, e->pfx.len))
			continue;
		if (!best || e->pfx.len > best->pfx.len)
			best = e;
	}
	return best ? best->id : XG_ID_WORLD;
}

/* The LPM trie's answer: the longest entry whose prefix matches. */
static const struct xg_policy_val *lpm(const struct xg_policy_set *s,
				       const struct xg_policy_key *k)
{
	const struct xg_policy_entry *best = NULL;
	const __u8 *kd = (const __u8 *)&k->subject;

	for (size_t i = 0; i < s->n; i++) {
		const struct xg_policy_entry *e = &s->v[i];

		if (!bits_eq((const __u8 *)&e->key.subject, kd, e->key.prefixlen))
			continue;
		if (!best || e->key.prefixlen > best->key.prefixlen)
			best = e;
	}
	return best ? &best->val : NULL;
}

/* xdp/policy.h's xg_policy_dir, over the compiled entries. */
static void one_dir(const struct xg_compiled *c, __u32 subject, __u32 dir,
		    __u32 peer, __u8 proto, __u16 port, struct xg_explain_dir *o)
{
	struct xg_policy_key k = { .prefixlen = XG_POLICY_PLEN_FULL,
				   .subject = subject, .dir = dir, .peer = peer,
				   .proto = proto, .dport = htons(port) };
	const struct xg_policy_val *exact, *any = NULL, *allow = NULL;

	memset(o, 0, sizeof(*o));
	o->allowed = true;
	exact = lpm(&c->policy, &k);
	if (exact && peer && !(exact->flags & XG_POL_F_NO_ANY_PEER)) {
		k.peer = 0;
		any = lpm(&c->policy, &k);
	}
	if (!exact && !any)
		return;
	o->enforced = true;
	if ((exact && exact->action == XG_ACT_DENY) ||
	    (any && any->action == XG_ACT_DENY)) {
		o->allowed = false;
		o->reason = XG_DROP_POLICY_DENY;
		o->cookie = exact && exact->action == XG_ACT_DENY ? exact->cookie :
								   any->cookie;
		return;
	}
	if (exact && exact->action == XG_ACT_ALLOW)
		allow = exact;
	if (any && any->action == XG_ACT_ALLOW &&
	    (!allow || any->prefixlen > allow->prefixlen))
		allow = any;
	if (!allow) {
		o->allowed = false;
		o->reason = XG_DROP_POLICY_DEFAULT_DENY;
		return;
	}
	o->l7_ruleset = allow->l7_ruleset;
	o->cookie = allow->cookie;
}

void xg_explain_flow(const struct xg_compiled *c, __u8 family,
		     const __u8 *src, const __u8 *dst, __u8 proto, __u16 port,
		     struct xg_explain *out)
{
	memset(out, 0, sizeof(*out));
	out->src_id = xg_explain_identity(c, family, src);
	out->dst_id = xg_explain_identity(c, family, dst);
	one_dir(c, out->src_id, XG_DIR_EGRESS, out->dst_id, proto, port,
		&out->egress);
	one_dir(c, out->dst_id, XG_DIR_INGRESS, out->src_id, proto, port,
		&out->ingress);
	/* as xg_policy_check: egress first, ingress's L7 and cookie win */
	if (!out->egress.allowed) {
		out->reason = out->egress.reason;
		out->cookie = out->egress.cookie;
		return;
	}
	if (!out->ingress.allowed) {
		out->reason = out->ingress.reason;
		out->cookie = out->ingress.cookie;
		return;
	}
	out->allowed = true;
	out->l7_ruleset = out->ingress.l7_ruleset ?: out->egress.l7_ruleset;
	out->cookie = out->ingress.cookie ?: out->egress.cookie;
}
