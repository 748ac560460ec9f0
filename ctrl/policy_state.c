// SPDX-License-Identifier: GPL-2.0-only
/* Rules -> LPM policy entries -> map, as policy_state.h describes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "entries.h"
#include "policy_state.h"

int xg_port_range_prefixes(__u16 lo, __u16 hi, __u16 *port, __u8 *plen,
			   int max)
{
	__u32 cur = lo, end = hi;
	int n = 0;

	while (cur <= end) {
		__u32 size = cur ? (cur & -cur) : 0x10000;
		__u8 bits = 16;

		while (cur + size - 1 > end)
			size >>= 1;
		for (__u32 s = size; s > 1; s >>= 1)
			bits--;
		if (n < max) {
			port[n] = (__u16)cur;
			plen[n] = bits;
		}
		n++;
		cur += size;
	}
	return n;
}

static int set_push(struct xg_policy_set *s, const struct xg_policy_entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct xg_policy_entry *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *e;
	return 0;
}

void xg_policy_set_free(struct xg_policy_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int key_cmp(const struct xg_policy_key *a, const struct xg_policy_key *b)
{
	/* Group by subject and direction first (deny resolution walks
	 * groups), then by everything else. */
	if (a->subject != b->subject)
		return a->subject < b->subject ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	return memcmp(a, b, sizeof(*a));
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct xg_policy_entry *)a)->key,
		       &((const struct xg_policy_entry *)b)->key);
}

static void base_key(struct xg_policy_key *k, __u32 subject, __u8 dir)
{
	memset(k, 0, sizeof(*k));
	k->subject = subject;
	k->dir = dir;
}

static int check_rule(const struct xg_rule *r, size_t i, struct xg_err *err)
{
	char where[48];

	snprintf(where, sizeof(where), "rule[%zu]", i);
	if (!r->subject)
		return xg_err_set(err, where, "subject identity 0 is not valid"),
		       -EINVAL;
	if (r->dir != XG_DIR_INGRESS && r->dir != XG_DIR_EGRESS)
		return xg_err_set(err, where, "direction %u is not ingress/egress",
				  r->dir),
		       -EINVAL;
	if (r->action != XG_ACT_ALLOW && r->action != XG_ACT_DENY)
		return xg_err_set(err, where, "action %u is not allow/deny",
				  r->action),
		       -EINVAL;
	if (r->port_lo > r->port_hi)
		return xg_err_set(err, where, "port range %u-%u is reversed",
				  r->port_lo, r->port_hi),
		       -EINVAL;
	if (!r->proto && (r->port_lo != 0 || r->port_hi != 65535))
		return xg_err_set(err, where,
				  "a port needs a protocol (TCP, UDP, SCTP)"),
		       -EINVAL;
	if (r->action == XG_ACT_DENY && r->l7_ruleset)
		return xg_err_set(err, where, "deny rules carry no L7 rules"),
		       -EINVAL;
	return 0;
}

static int expand_rule(const struct xg_rule *r, struct xg_policy_set *out)
{
	struct xg_policy_entry e = {};
	__u16 ports[32];
	__u8 plens[32];
	int n, err;

	base_key(&e.key, r->subject, r->dir);
	e.val.action = r->action;
	e.val.l7_ruleset = r->l7_ruleset;
	e.val.cookie = r->cookie;

	if (!r->peer && !r->proto) {
		/* Everything from everyone: the subject-wide entry. */
		e.key.prefixlen = XG_POLICY_PLEN_SUBJECT;
		e.val.prefixlen = (__u8)e.key.prefixlen;
		return set_push(out, &e);
	}
	e.key.peer = r->peer;
	if (!r->proto) {
		e.key.prefixlen = XG_POLICY_PLEN_PEER;
		e.val.prefixlen = (__u8)e.key.prefixlen;
		return set_push(out, &e);
	}
	e.key.proto = r->proto;
	n = xg_port_range_prefixes(r->port_lo, r->port_hi, ports, plens, 32);
	for (int i = 0; i < n; i++) {
		e.key.dport = htons(ports[i]);
		e.key.prefixlen = XG_POLICY_PLEN_PROTO + plens[i];
		e.val.prefixlen = (__u8)e.key.prefixlen;
		err = set_push(out, &e);
		if (err)
			return err;
	}
	return 0;
}

static int action_rank(__u8 a)
{
	return a == XG_ACT_DENY ? 3 : a == XG_ACT_ALLOW ? 2 : 1;
}

/* Merges entries with the same key in a sorted set. */
static int merge_dups(struct xg_policy_set *s, struct xg_err *err)
{
	size_t w = 0;

	for (size_t r = 0; r < s->n; r++) {
		struct xg_policy_entry *cur = &s->v[r], *last;

		if (!w || key_cmp(&s->v[w - 1].key, &cur->key)) {
			s->v[w++] = *cur;
			continue;
		}
		last = &s->v[w - 1];
		if (action_rank(cur->val.action) > action_rank(last->val.action)) {
			*last = *cur;
			continue;
		}
		if (cur->val.action != XG_ACT_ALLOW ||
		    last->val.action != XG_ACT_ALLOW)
			continue;
		/* Two allows on one key.  An L7 ruleset wins over none (the
		 * compiler folds the plain allow into that ruleset); two
		 * different rulesets must have been merged by the compiler. */
		if (cur->val.l7_ruleset && last->val.l7_ruleset &&
		    cur->val.l7_ruleset != last->val.l7_ruleset) {
			xg_err_set(err, "policy",
				   "L7 rulesets %u and %u meet on one subject/peer/port: merge them into one",
				   last->val.l7_ruleset, cur->val.l7_ruleset);
			return -EINVAL;
		}
		if (cur->val.l7_ruleset)
			last->val = cur->val;
	}
	s->n = w;
	return 0;
}

static __u32 l4_word(const struct xg_policy_key *k)
{
	return ((__u32)k->proto << 24) | ((__u32)k->pad << 16) |
	       ntohs(k->dport);
}

/* Does deny d cover allow e (same subject and direction)? */
static int covers(const struct xg_policy_key *d, const struct xg_policy_key *e)
{
	__u32 bits, mask;

	if (d->prefixlen == XG_POLICY_PLEN_SUBJECT)
		return 1;
	if (e->prefixlen == XG_POLICY_PLEN_SUBJECT)
		return 0;
	if (d->peer && d->peer != e->peer)
		return 0;
	if (d->prefixlen > e->prefixlen)
		return 0;
	bits = d->prefixlen - XG_POLICY_PLEN_PEER;
	if (!bits)
		return 1;
	mask = bits >= 32 ? ~0u : ~0u << (32 - bits);
	return (l4_word(d) & mask) == (l4_word(e) & mask);
}

static void resolve_denies(struct xg_policy_set *s)
{
	size_t g = 0;

	while (g < s->n) {
		size_t end = g;

		while (end < s->n && s->v[end].key.subject == s->v[g].key.subject &&
		       s->v[end].key.dir == s->v[g].key.dir)
			end++;
		for (size_t d = g; d < end; d++) {
			if (s->v[d].val.action != XG_ACT_DENY)
				continue;
			for (size_t e = g; e < end; e++) {
				struct xg_policy_entry *a = &s->v[e];

				if (a->val.action != XG_ACT_ALLOW ||
				    !covers(&s->v[d].key, &a->key))
					continue;
				a->val.action = XG_ACT_DENY;
				a->val.l7_ruleset = 0;
				a->val.cookie = s->v[d].val.cookie;
			}
		}
		g = end;
	}
}

int xg_policy_compile(const struct xg_rule *rules, size_t nrules,
		      const struct xg_enforce *enf, size_t nenf,
		      struct xg_policy_set *out, struct xg_err *err)
{
	struct xg_policy_entry marker = {};
	int ret;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nrules; i++) {
		ret = check_rule(&rules[i], i, err);
		if (ret)
			goto fail;
		ret = expand_rule(&rules[i], out);
		if (ret)
			goto fail_nomem;
		/* A rule selecting its subject enforces that direction. */
		base_key(&marker.key, rules[i].subject, rules[i].dir);
		marker.key.prefixlen = XG_POLICY_PLEN_SUBJECT;
		marker.val.action = XG_ACT_DEFAULT_DENY;
		marker.val.prefixlen = XG_POLICY_PLEN_SUBJECT;
		ret = set_push(out, &marker);
		if (ret)
			goto fail_nomem;
	}
	for (size_t i = 0; i < nenf; i++) {
		if (!enf[i].subject || (enf[i].dir != XG_DIR_INGRESS &&
					enf[i].dir != XG_DIR_EGRESS)) {
			xg_err_set(err, "enforce", "entry %zu is not valid", i);
			ret = -EINVAL;
			goto fail;
		}
		base_key(&marker.key, enf[i].subject, enf[i].dir);
		marker.key.prefixlen = XG_POLICY_PLEN_SUBJECT;
		marker.val.action = XG_ACT_DEFAULT_DENY;
		marker.val.prefixlen = XG_POLICY_PLEN_SUBJECT;
		ret = set_push(out, &marker);
		if (ret)
			goto fail_nomem;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	ret = merge_dups(out, err);
	if (ret)
		goto fail;
	resolve_denies(out);
	return 0;

fail_nomem:
	xg_err_set(err, "policy", "out of memory");
fail:
	xg_policy_set_free(out);
	return ret;
}

/* ------------------------------------------------------------- sync -- */

static int adopt_one(const void *key, const void *val, void *arg)
{
	struct xg_policy_entry e;

	memcpy(&e.key, key, sizeof(e.key));
	memcpy(&e.val, val, sizeof(e.val));
	return set_push(arg, &e);
}

int xg_policy_sync_adopt(struct xg_policy_sync *s, struct xg_mapset *ms)
{
	int err;

	xg_policy_set_free(&s->shadow);
	err = xg_ms_walk(ms, XG_M_POLICY, adopt_one, &s->shadow);
	if (err) {
		xg_policy_set_free(&s->shadow);
		return err;
	}
	if (s->shadow.n)
		qsort(s->shadow.v, s->shadow.n, sizeof(*s->shadow.v),
		      entry_cmp);
	return 0;
}

void xg_policy_sync_free(struct xg_policy_sync *s)
{
	xg_policy_set_free(&s->shadow);
}

enum sync_phase {
	PH_WRITE_ALLOW, /* widen: new and changed allows */
	PH_DELETE_DENY, /* widen: stale denies and enforcement markers */
	PH_WRITE_DENY, /* narrow: new denies and markers */
	PH_DELETE_ALLOW, /* narrow: stale allows */
	PH__MAX
};

/* One difference between the map and what is wanted: entry idx of the
 * old set (a delete) or of the wanted one (a write). */
struct sync_op {
	__u32 idx;
	__u8 phase;
};

struct sync_ops {
	struct sync_op *v;
	size_t n, cap;
};

static int ops_add(struct sync_ops *o, size_t idx, enum sync_phase ph)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct sync_op *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].idx = (__u32)idx;
	o->v[o->n].phase = ph;
	o->n++;
	return 0;
}

/* One walk over both sorted sets finds every difference, each tagged
 * with the phase it belongs to, in key order; the phases then run over
 * the differences alone.  A change of one policy among tens of
 * thousands of entries is a handful of operations, not four walks. */
static int diff_sets(const struct xg_policy_set *old,
		     const struct xg_policy_set *want, struct sync_ops *ops)
{
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < old->n || j < want->n)) {
		int c;

		if (i == old->n)
			c = 1;
		else if (j == want->n)
			c = -1;
		else
			c = key_cmp(&old->v[i].key, &want->v[j].key);

		if (c < 0) { /* only in the map: delete */
			err = ops_add(ops, i, old->v[i].val.action == XG_ACT_ALLOW ?
						      PH_DELETE_ALLOW : PH_DELETE_DENY);
			i++;
			continue;
		}
		/* only wanted, or in both: write when new or changed */
		if (c > 0 || memcmp(&old->v[i].val, &want->v[j].val,
				    sizeof(want->v[j].val)))
			err = ops_add(ops, j, want->v[j].val.action == XG_ACT_ALLOW ?
						      PH_WRITE_ALLOW : PH_WRITE_DENY);
		if (c == 0)
			i++;
		j++;
	}
	return err;
}

static int run_phase(enum sync_phase ph, const struct sync_ops *ops,
		     const struct xg_policy_set *old,
		     const struct xg_policy_set *want, struct xg_mapset *ms,
		     struct xg_sync_stats *st)
{
	int err;

	for (size_t k = 0; k < ops->n; k++) {
		const struct sync_op *op = &ops->v[k];

		if (op->phase != ph)
			continue;
		if (ph == PH_DELETE_ALLOW || ph == PH_DELETE_DENY) {
			err = xg_ms_remove(ms, XG_M_POLICY, &old->v[op->idx].key);
			if (err && err != -ENOENT)
				return err;
			st->deleted++;
		} else {
			err = xg_ms_update(ms, XG_M_POLICY, &want->v[op->idx].key,
					   &want->v[op->idx].val, 0);
			if (err)
				return err;
			st->written++;
		}
	}
	return 0;
}

int xg_policy_sync_apply(struct xg_policy_sync *s, struct xg_mapset *ms,
			 const struct xg_policy_set *desired,
			 struct xg_sync_stats *st)
{
	struct xg_sync_stats local = {};
	struct xg_policy_set copy = {};
	struct sync_ops ops = {};
	int err;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	err = diff_sets(&s->shadow, desired, &ops);
	if (err) {
		free(ops.v);
		return err; /* nothing written: the map is as it was */
	}
	for (int ph = 0; ph < PH__MAX; ph++) {
		err = run_phase(ph, &ops, &s->shadow, desired, ms, st);
		if (err)
			break;
	}
	free(ops.v);
	if (err)
		goto resync;
	/* The map now holds `desired`: make it the shadow. */
	copy.v = malloc((desired->n ? desired->n : 1) * sizeof(*copy.v));
	if (!copy.v) {
		err = -ENOMEM;
		goto resync;
	}
	if (desired->n)
		memcpy(copy.v, desired->v, desired->n * sizeof(*copy.v));
	copy.n = copy.cap = desired->n;
	xg_policy_set_free(&s->shadow);
	s->shadow = copy;
	/* Nothing moved (a resync that found the map right) and no earlier
	 * bump is owed: established flows need no second look. */
	if (!st->written && !st->deleted && !s->bump_owed)
		return xg_policy_rev_get(ms, &st->revision);
	s->bump_owed = 1;
	err = xg_policy_rev_bump(ms, &st->revision);
	if (!err)
		s->bump_owed = 0;
	return err;

resync:
	/* A failed write left the map between two states; read back what
	 * is really there so the next apply starts from the truth, and bump
	 * the revision anyway: denies already written must reach
	 * established flows too, not only new ones. */
	xg_policy_sync_adopt(s, ms);
	s->bump_owed = xg_policy_rev_bump(ms, &st->revision) != 0;
	return err;
}
