// SPDX-License-Identifier: GPL-2.0-only
/* Rules -> LPM policy entries -> map, as policy_state.h describes. */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "entries.h"
#include "policy_state.h"
#include "policy/hashtab.h"

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

/* x and y as memcmp orders their bytes in memory. */
static int mem_order(__u32 x, __u32 y)
{
	x = be32toh(x); /* the first byte in memory most significant */
	y = be32toh(y);
	return x < y ? -1 : x > y;
}

static int key_cmp(const struct xg_policy_key *a, const struct xg_policy_key *b)
{
	int d;

	/* Group by subject and direction first (deny resolution walks
	 * groups), then by everything else, in the order a memcmp of the
	 * whole key gives (what the set was always sorted by), without
	 * calling it: this runs about a million times an apply. */
	if (a->subject != b->subject)
		return a->subject < b->subject ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	d = mem_order(a->prefixlen, b->prefixlen);
	d = d ?: mem_order(a->peer, b->peer);
	d = d ?: (a->proto > b->proto) - (a->proto < b->proto);
	d = d ?: (a->pad > b->pad) - (a->pad < b->pad);
	d = d ?: (ntohs(a->dport) > ntohs(b->dport)) -
			 (ntohs(a->dport) < ntohs(b->dport));
	return d;
}

static int entry_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct xg_policy_entry *)a)->key,
		       &((const struct xg_policy_entry *)b)->key);
}

/* Insertion sort: stable, and the fastest for the few entries one
 * (subject, direction) has. */
static void sort_small(struct xg_policy_entry *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct xg_policy_entry x = v[i];
		size_t j = i;

		while (j && key_cmp(&v[j - 1].key, &x.key) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* A key and where it came from, for a stable radix sort. */
struct kref {
	__u64 key;
	size_t idx;
};

/*
 * The keys sorted here are (subject << 32 | direction), and a cluster
 * numbers subjects densely from 256: where the keys' compact form
 * subject * (max direction + 1) + direction spans few values (up to a
 * few per key), one counting pass sorts them, with a histogram that
 * stays in the cache, where the radix sort below takes three passes
 * over 30,000 keys on every apply.  Returns 1 when it sorted, 0 when
 * the keys are not of that form (nothing moved), -ENOMEM.
 */
static int kref_sort_dense(struct kref **a, size_t n)
{
	struct kref *x = *a, *y;
	__u64 max_hi = 0, max_lo = 0, range;
	__u32 *pos;

	for (size_t i = 0; i < n; i++) {
		__u64 hi = x[i].key >> 32, lo = x[i].key & 0xffffffffu;

		max_hi = hi > max_hi ? hi : max_hi;
		max_lo = lo > max_lo ? lo : max_lo;
	}
	if (max_lo > 255 || max_hi >= 1u << 24)
		return 0;
	range = (max_hi + 1) * (max_lo + 1);
	if (range > 4 * (__u64)n + 1024)
		return 0;
#define KREF_DENSE(k) (((k) >> 32) * (max_lo + 1) + ((k) & 0xffffffffu))
	pos = calloc(range + 1, sizeof(*pos));
	y = malloc((n + 1) * sizeof(*y));
	if (!pos || !y) {
		free(pos);
		free(y);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		pos[KREF_DENSE(x[i].key) + 1]++;
	for (__u64 d = 1; d <= range; d++)
		pos[d] += pos[d - 1];
	for (size_t i = 0; i < n; i++)
		y[pos[KREF_DENSE(x[i].key)]++] = x[i];
#undef KREF_DENSE
	free(pos);
	free(x);
	*a = y;
	return 1;
}

/* Sorts a[0..n) by key, stably, in time linear in n; *a may change to
 * the other buffer (the caller frees *a).  Returns 0 or -ENOMEM. */
static int kref_sort(struct kref **a, size_t n)
{
	struct kref *x, *y, *t;
	int dense = kref_sort_dense(a, n);

	if (dense)
		return dense < 0 ? dense : 0;
	x = *a;
	y = malloc((n + 1) * sizeof(*y));
	if (!y)
		return -ENOMEM;
	for (int shift = 0; shift < 64 && n; shift += 8) {
		size_t pos[256] = {}, sum = 0;

		for (size_t i = 0; i < n; i++)
			pos[(x[i].key >> shift) & 0xff]++;
		if (pos[(x[0].key >> shift) & 0xff] == n)
			continue; /* this byte is the same in every key */
		for (int d = 0; d < 256; d++) {
			size_t c = pos[d];

			pos[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			y[pos[(x[i].key >> shift) & 0xff]++] = x[i];
		t = x;
		x = y;
		y = t;
	}
	free(y);
	*a = x;
	return 0;
}

/*
 * Sorts s as a stable sort by entry_cmp would (glibc's qsort is a merge
 * sort), in time linear in s->n: a radix sort by (subject, direction),
 * the first thing entry_cmp compares, then each group on its own.  At
 * 10,000 policies the merge runs on every apply, and a plain sort of
 * its 50,000 entries was most of an apply's time.
 */
static int sort_entries(struct xg_policy_set *s)
{
	struct xg_policy_entry *v;
	struct kref *a;
	size_t n = s->n;

	if (n < 256) {
		if (n > 1)
			qsort(s->v, n, sizeof(*s->v), entry_cmp);
		return 0;
	}
	a = malloc(n * sizeof(*a));
	v = malloc(n * sizeof(*v));
	if (!a || !v) {
		free(a);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct kref){ (__u64)s->v[i].key.subject << 32 |
					      s->v[i].key.dir,
				      i };
	if (kref_sort(&a, n)) {
		free(a);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = s->v[a[i].idx];
	for (size_t g = 0, end; g < n; g = end) {
		for (end = g + 1; end < n && a[end].key == a[g].key; end++)
			;
		if (end - g > 32)
			qsort(v + g, end - g, sizeof(*v), entry_cmp);
		else
			sort_small(v + g, end - g);
	}
	free(a);
	free(s->v);
	s->v = v;
	s->cap = n;
	return 0;
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

	if (r->subject && (r->dir == XG_DIR_INGRESS || r->dir == XG_DIR_EGRESS) &&
	    (r->action == XG_ACT_ALLOW || r->action == XG_ACT_DENY) &&
	    r->port_lo <= r->port_hi &&
	    (r->proto || (r->port_lo == 0 && r->port_hi == 65535)) &&
	    !(r->action == XG_ACT_DENY && r->l7_ruleset))
		return 0; /* the common case, without formatting `where` */
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
static int merge_dups(struct xg_policy_set *s, xg_l7_union_fn l7_union,
		      void *arg, struct xg_err *err)
{
	size_t w = 0;
	__u32 a, b, u;
	int ret;

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
		a = last->val.l7_ruleset;
		b = cur->val.l7_ruleset;
		if (a == b)
			continue;
		if (l7_union) {
			/* Both allow: what either allows (a plain allow: all
			 * HTTP).  The entry keeps the cookie of an L7 allow. */
			ret = l7_union(arg, a ? a : b, a ? b : 0, &u);
			if (ret) {
				xg_err_set(err, "policy",
					   "merging L7 rulesets %u and %u: %s",
					   a, b, strerror(-ret));
				return ret;
			}
			if (!a)
				last->val = cur->val;
			last->val.l7_ruleset = u;
			continue;
		}
		/* No way to merge: an L7 ruleset wins over none; two
		 * different rulesets are an error. */
		if (a && b) {
			xg_err_set(err, "policy",
				   "L7 rulesets %u and %u meet on one subject/peer/port: merge them into one",
				   a, b);
			return -EINVAL;
		}
		if (b)
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

/* ------------------------------------------------------ L7 folding -- */

/* What some allows say together about L7: their rulesets, and whether
 * one of them is a plain allow. */
struct l7m {
	__u32 *ids;
	size_t n, cap;
	bool plain;
};

static int l7m_add(struct l7m *m, __u32 l7)
{
	if (!l7) {
		m->plain = true;
		return 0;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->ids[i] == l7)
			return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 4;
		__u32 *v = realloc(m->ids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->ids = v;
		m->cap = cap;
	}
	m->ids[m->n++] = l7;
	return 0;
}

static bool l7m_has(const struct l7m *m, __u32 l7)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->ids[i] == l7)
			return true;
	return false;
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* The ruleset m stands for (0: none, the allows are plain). */
static int l7m_result(struct l7m *m, xg_l7_union_fn un, void *arg, __u32 *out)
{
	int ret = 0;

	*out = 0;
	if (!m->n)
		return 0;
	qsort(m->ids, m->n, sizeof(*m->ids), u32_cmp);
	*out = m->ids[0];
	if (m->plain) /* all HTTP, whatever the rulesets say */
		return un(arg, m->ids[0], 0, out);
	for (size_t i = 1; i < m->n && !ret; i++)
		ret = un(arg, *out, m->ids[i], out);
	return ret;
}

/* An allow of a group, for folding. */
struct aref {
	size_t i; /* in the set */
	__u32 peer, plen;
};

static int aref_cmp(const void *a, const void *b)
{
	const struct aref *x = a, *y = b;

	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static bool group_has(const struct xg_policy_set *s, size_t g, size_t end,
		      const struct xg_policy_key *k)
{
	while (g < end) {
		size_t mid = g + (end - g) / 2;
		int c = key_cmp(&s->v[mid].key, k);

		if (!c)
			return true;
		if (c < 0)
			g = mid + 1;
		else
			end = mid;
	}
	return false;
}

/*
 * One subject and direction, s->v[g, end), sorted: the L7 part of every
 * allow becomes what it and the allows covering it say together
 * (policy_state.h), after adding an entry for each peer whose own allow
 * covers a more specific any-peer allow when the two disagree.  The
 * added entries go to the end of the set.
 */
static int fold_group(struct xg_policy_set *s, size_t g, size_t end,
		      xg_l7_union_fn un, void *arg)
{
	struct aref *al = NULL;
	struct l7m *ma = NULL, m = {};
	struct xg_policy_entry *adds = NULL;
	__u32 *l7 = NULL;
	size_t n = 0, n_any = 0, n_adds = 0, cap_adds = 0;
	bool any_l7 = false;
	int ret = 0;

	for (size_t i = g; i < end; i++)
		if (s->v[i].val.action == XG_ACT_ALLOW) {
			n++;
			any_l7 |= s->v[i].val.l7_ruleset != 0;
		}
	if (!any_l7)
		return 0;
	al = calloc(n, sizeof(*al));
	if (!al)
		return -ENOMEM;
	n = 0;
	for (size_t i = g; i < end; i++)
		if (s->v[i].val.action == XG_ACT_ALLOW)
			al[n++] = (struct aref){i, s->v[i].key.peer,
						s->v[i].key.prefixlen};
	qsort(al, n, sizeof(*al), aref_cmp);
	while (n_any < n && !al[n_any].peer)
		n_any++;

	/* what the any-peer allows covering each any-peer allow say */
	ma = calloc(n_any + 1, sizeof(*ma));
	if (!ma) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t a = 0; a < n_any && !ret; a++)
		for (size_t f = 0; f < n_any && !ret; f++)
			if (covers(&s->v[al[f].i].key, &s->v[al[a].i].key))
				ret = l7m_add(&ma[a],
					      s->v[al[f].i].val.l7_ruleset);

	/* a peer's allow under a more specific any-peer allow */
	for (size_t r = n_any; r < n && !ret;) {
		size_t re = r;

		while (re < n && al[re].peer == al[r].peer)
			re++;
		for (size_t a = 0; a < n_any && !ret; a++) {
			const struct xg_policy_entry *A = &s->v[al[a].i];
			struct xg_policy_entry e = *A;
			bool differs = false;

			if (A->key.prefixlen < XG_POLICY_PLEN_PROTO)
				continue;
			e.key.peer = al[r].peer;
			if (group_has(s, g, end, &e.key))
				continue; /* folded below */
			m.n = 0;
			m.plain = false;
			for (size_t b = r; b < re && !ret; b++)
				if (covers(&s->v[al[b].i].key, &e.key))
					ret = l7m_add(
						&m,
						s->v[al[b].i].val.l7_ruleset);
			if (ret || (!m.n && !m.plain))
				continue; /* the peer has nothing there */
			/* does the peer's part change what A says?  (A plain
			 * allow with a ruleset is all HTTP, whatever else.) */
			if (!ma[a].n)
				differs = m.n != 0;
			else if (!ma[a].plain)
				differs = m.plain;
			for (size_t k = 0; k < m.n && ma[a].n && !ma[a].plain;
			     k++)
				differs |= !l7m_has(&ma[a], m.ids[k]);
			if (!differs)
				continue;
			if (n_adds == cap_adds) {
				size_t cap = cap_adds ? 2 * cap_adds : 8;
				void *v = realloc(adds, cap * sizeof(*adds));

				if (!v) {
					ret = -ENOMEM;
					break;
				}
				adds = v;
				cap_adds = cap;
			}
			adds[n_adds++] = e;
		}
		r = re;
	}
	if (ret)
		goto out;
	if (n_adds) {
		void *v = realloc(al, (n + n_adds) * sizeof(*al));

		if (!v) {
			ret = -ENOMEM;
			goto out;
		}
		al = v;
		for (size_t k = 0; k < n_adds && !ret; k++) {
			al[n++] = (struct aref){s->n, adds[k].key.peer,
						adds[k].key.prefixlen};
			ret = set_push(s, &adds[k]);
		}
		if (ret)
			goto out;
		qsort(al, n, sizeof(*al), aref_cmp);
	}

	/* every allow: itself and what covers it (any peer, its peer) */
	l7 = calloc(n, sizeof(*l7));
	if (!l7) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t r = 0; r < n && !ret;) {
		size_t re = r;

		while (re < n && al[re].peer == al[r].peer)
			re++;
		for (size_t e = r; e < re && !ret; e++) {
			const struct xg_policy_key *k = &s->v[al[e].i].key;

			m.n = 0;
			m.plain = false;
			for (size_t f = 0; f < n_any && !ret; f++)
				if (covers(&s->v[al[f].i].key, k))
					ret = l7m_add(
						&m,
						s->v[al[f].i].val.l7_ruleset);
			for (size_t f = r; al[r].peer && f < re && !ret; f++)
				if (covers(&s->v[al[f].i].key, k))
					ret = l7m_add(
						&m,
						s->v[al[f].i].val.l7_ruleset);
			if (!ret)
				ret = l7m_result(&m, un, arg, &l7[e]);
		}
		r = re;
	}
	for (size_t e = 0; e < n && !ret; e++)
		if (l7[e])
			s->v[al[e].i].val.l7_ruleset = l7[e];
out:
	for (size_t a = 0; ma && a < n_any; a++)
		free(ma[a].ids);
	free(ma);
	free(m.ids);
	free(adds);
	free(al);
	free(l7);
	return ret;
}

static int fold_l7(struct xg_policy_set *s, xg_l7_union_fn un, void *arg,
		   struct xg_err *err)
{
	size_t n0 = s->n, g = 0;
	int ret = 0;

	while (g < n0 && !ret) {
		size_t end = g;

		while (end < n0 &&
		       s->v[end].key.subject == s->v[g].key.subject &&
		       s->v[end].key.dir == s->v[g].key.dir)
			end++;
		ret = fold_group(s, g, end, un, arg);
		g = end;
	}
	if (ret) {
		xg_err_set(err, "policy", "merging L7 rulesets: %s",
			   strerror(-ret));
		return ret;
	}
	if (s->n != n0 && sort_entries(s)) {
		xg_err_set(err, "policy", "out of memory");
		return -ENOMEM;
	}
	return 0;
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

/* XG_POL_F_NO_ANY_PEER on every entry of each (subject, direction) with
 * no peer-0 entry longer than its subject-wide one (see abi.h). */
static void mark_no_any_peer(struct xg_policy_set *s)
{
	size_t g = 0;

	while (g < s->n) {
		size_t end = g;
		bool any_peer = false;

		while (end < s->n && s->v[end].key.subject == s->v[g].key.subject &&
		       s->v[end].key.dir == s->v[g].key.dir) {
			any_peer |= !s->v[end].key.peer &&
				    s->v[end].key.prefixlen > XG_POLICY_PLEN_SUBJECT;
			end++;
		}
		for (size_t e = g; e < end; e++) {
			if (any_peer)
				s->v[e].val.flags &= (__u8)~XG_POL_F_NO_ANY_PEER;
			else
				s->v[e].val.flags |= XG_POL_F_NO_ANY_PEER;
		}
		g = end;
	}
}

int xg_policy_compile(const struct xg_rule *rules, size_t nrules,
		      const struct xg_enforce *enf, size_t nenf,
		      struct xg_policy_set *out, struct xg_err *err)
{
	return xg_policy_compile_l7(rules, nrules, enf, nenf, NULL, NULL, out,
				    err);
}

/* A rule's entries, and the marker that makes its subject enforced in
 * its direction. */
static int expand_with_marker(const struct xg_rule *r, struct xg_policy_set *out,
			      bool marker_too)
{
	struct xg_policy_entry marker = {};
	int ret = expand_rule(r, out);

	if (ret || !marker_too)
		return ret;
	base_key(&marker.key, r->subject, r->dir);
	marker.key.prefixlen = XG_POLICY_PLEN_SUBJECT;
	marker.val.action = XG_ACT_DEFAULT_DENY;
	marker.val.prefixlen = XG_POLICY_PLEN_SUBJECT;
	return set_push(out, &marker);
}

static int push_marker(struct xg_policy_set *out, __u32 subject, __u8 dir)
{
	struct xg_policy_entry marker = {};

	base_key(&marker.key, subject, dir);
	marker.key.prefixlen = XG_POLICY_PLEN_SUBJECT;
	marker.val.action = XG_ACT_DEFAULT_DENY;
	marker.val.prefixlen = XG_POLICY_PLEN_SUBJECT;
	return set_push(out, &marker);
}

static bool enf_ok(const struct xg_enforce *e)
{
	return e->subject && (e->dir == XG_DIR_INGRESS || e->dir == XG_DIR_EGRESS);
}

/* Expanded entries (any order) -> the merged, sorted set. */
static int finish_set(struct xg_policy_set *out, xg_l7_union_fn l7_union,
		      void *arg, struct xg_err *err)
{
	int ret = sort_entries(out);

	if (ret) {
		xg_err_set(err, "policy", "out of memory");
		return ret;
	}
	ret = merge_dups(out, l7_union, arg, err);
	if (!ret && l7_union)
		ret = fold_l7(out, l7_union, arg, err);
	if (!ret) {
		resolve_denies(out);
		mark_no_any_peer(out);
	}
	return ret;
}

int xg_policy_compile_l7(const struct xg_rule *rules, size_t nrules,
			 const struct xg_enforce *enf, size_t nenf,
			 xg_l7_union_fn l7_union, void *arg,
			 struct xg_policy_set *out, struct xg_err *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nrules; i++) {
		ret = check_rule(&rules[i], i, err);
		if (ret)
			goto fail;
		/* A rule selecting its subject enforces that direction.
		 * Rules come in runs with one subject: one marker a run
		 * (merge_dups would fold the repeats into it anyway). */
		ret = expand_with_marker(&rules[i], out,
					 !i || rules[i].subject != rules[i - 1].subject ||
						 rules[i].dir != rules[i - 1].dir);
		if (ret)
			goto fail_nomem;
	}
	for (size_t i = 0; i < nenf; i++) {
		if (!enf_ok(&enf[i])) {
			xg_err_set(err, "enforce", "entry %zu is not valid", i);
			ret = -EINVAL;
			goto fail;
		}
		ret = push_marker(out, enf[i].subject, enf[i].dir);
		if (ret)
			goto fail_nomem;
	}
	ret = finish_set(out, l7_union, arg, err);
	if (ret)
		goto fail;
	return 0;

fail_nomem:
	xg_err_set(err, "policy", "out of memory");
fail:
	xg_policy_set_free(out);
	return ret;
}

/* ------------------------------------------------------- merge cache -- */

/* One (subject, direction)'s inputs and what they merged to, kept while
 * neither carries an L7 ruleset (their handles are the compile's own). */
struct mgroup {
	__u64 key; /* subject << 32 | dir; 0: a free slot */
	unsigned long long epoch;
	struct xg_rule *in;
	size_t n_in;
	size_t n_enf; /* enforce entries for it */
	struct xg_policy_entry *v;
	size_t n;
};

struct xg_merge_cache {
	struct mgroup *g;
	size_t n, cap, live;
	struct xg_u64map idx; /* key -> slot (stale for freed slots) */
	unsigned long long epoch;
	size_t hits, misses;
	size_t last_n; /* entries the last merge made: room for the next */
	/* Groups are met in key order, and the slots were made in key
	 * order: the slot after the last one used is most often the next
	 * group's, which saves a probe of idx (too big for the cache). */
	size_t next;
};

struct xg_merge_cache *xg_merge_cache_new(void)
{
	return calloc(1, sizeof(struct xg_merge_cache));
}

static void mgroup_free(struct mgroup *g)
{
	free(g->in); /* v is in the same block */
	memset(g, 0, sizeof(*g));
}

static void merge_cache_clear(struct xg_merge_cache *mc)
{
	for (size_t i = 0; i < mc->n; i++)
		mgroup_free(&mc->g[i]);
	free(mc->g);
	xg_u64map_free(&mc->idx);
	mc->g = NULL;
	mc->n = mc->cap = mc->live = 0;
}

void xg_merge_cache_free(struct xg_merge_cache *mc)
{
	if (!mc)
		return;
	merge_cache_clear(mc);
	free(mc);
}

void xg_merge_cache_counts(const struct xg_merge_cache *mc, size_t *hits,
			   size_t *misses)
{
	*hits = mc ? mc->hits : 0;
	*misses = mc ? mc->misses : 0;
}

/* Which input (a rule, or nrules + an enforce entry) belongs to which
 * (subject, direction): the inputs grouped, each group in input order,
 * the groups in key order. */
static struct kref *group_inputs(const struct xg_rule *rules, size_t nrules,
				 const struct xg_enforce *enf, size_t nenf)
{
	size_t n = nrules + nenf;
	struct kref *a = malloc((n + 1) * sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < nrules; i++)
		a[i] = (struct kref){ (__u64)rules[i].subject << 32 | rules[i].dir, i };
	for (size_t i = 0; i < nenf; i++)
		a[nrules + i] = (struct kref){ (__u64)enf[i].subject << 32 | enf[i].dir,
					       nrules + i };
	if (kref_sort(&a, n)) {
		free(a);
		return NULL;
	}
	return a;
}

/* The cached group that had these very inputs, or NULL. */
static struct mgroup *group_hit(struct xg_merge_cache *mc, __u64 key,
				const struct xg_rule *rules, size_t nrules,
				const struct kref *r, size_t n)
{
	struct mgroup *g;
	size_t k = 0, e = 0;

	if (mc->next < mc->n && mc->g[mc->next].key == key) {
		g = &mc->g[mc->next];
	} else {
		const __u32 *at = xg_u64map_get(&mc->idx, key);

		if (!at || mc->g[*at].key != key)
			return NULL;
		g = &mc->g[*at];
	}
	mc->next = (size_t)(g - mc->g) + 1;
	for (size_t i = 0; i < n; i++) {
		if (r[i].idx >= nrules) {
			e++;
			continue;
		}
		if (k >= g->n_in || memcmp(&g->in[k], &rules[r[i].idx],
					   sizeof(*g->in)))
			return NULL;
		k++;
	}
	return k == g->n_in && e == g->n_enf ? g : NULL;
}

/* Keeps what a group merged to (no L7 in it), in its old slot or a new. */
static int group_keep(struct xg_merge_cache *mc, __u64 key,
		      const struct xg_rule *rules, size_t nrules,
		      const struct kref *r, size_t n,
		      const struct xg_policy_entry *v, size_t nv)
{
	const __u32 *old = xg_u64map_get(&mc->idx, key);
	struct mgroup *g;
	size_t in_len;
	__u32 *slot;
	bool added;

	if (old && mc->g[*old].key == key) {
		g = &mc->g[*old];
		mgroup_free(g);
	} else {
		if (mc->n == mc->cap) {
			size_t cap = mc->cap ? mc->cap * 2 : 1024;
			struct mgroup *ng = realloc(mc->g, cap * sizeof(*ng));

			if (!ng)
				return -ENOMEM;
			mc->g = ng;
			mc->cap = cap;
		}
		g = &mc->g[mc->n];
		memset(g, 0, sizeof(*g));
		slot = xg_u64map_put(&mc->idx, key, &added);
		if (!slot)
			return -ENOMEM;
		*slot = (__u32)mc->n++;
	}
	g->key = key;
	g->epoch = mc->epoch;
	/* inputs and entries in one block: every apply compares the one and
	 * copies the other, for each of 15,000 groups at 10,000 policies,
	 * and two allocations were two cache misses */
	in_len = ((n + 1) * sizeof(*g->in) + 15) & ~(size_t)15;
	g->in = malloc(in_len + (nv + 1) * sizeof(*g->v));
	if (!g->in) {
		mgroup_free(g);
		return -ENOMEM;
	}
	g->v = (struct xg_policy_entry *)((char *)g->in + in_len);
	for (size_t i = 0; i < n; i++) {
		if (r[i].idx >= nrules)
			g->n_enf++;
		else
			g->in[g->n_in++] = rules[r[i].idx];
	}
	memcpy(g->v, v, nv * sizeof(*v));
	g->n = nv;
	return 0;
}

/* Groups no compile used since the last: gone; packed once most are. */
static int merge_cache_sweep(struct xg_merge_cache *mc)
{
	mc->live = 0;
	for (size_t i = 0; i < mc->n; i++) {
		if (mc->g[i].key && mc->g[i].epoch != mc->epoch)
			mgroup_free(&mc->g[i]);
		mc->live += mc->g[i].key != 0;
	}
	if (mc->n <= 2 * mc->live + 1024)
		return 0;
	return xg_slots_pack(mc->g, &mc->n, sizeof(*mc->g),
			     offsetof(struct mgroup, key), &mc->idx);
}

static int set_append(struct xg_policy_set *s, const struct xg_policy_entry *v,
		      size_t n)
{
	if (s->n + n > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		struct xg_policy_entry *nv;

		while (cap < s->n + n)
			cap *= 2;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	memcpy(s->v + s->n, v, n * sizeof(*v));
	s->n += n;
	return 0;
}

/* One group merged on its own: the same pipeline as the whole set's
 * (every step after the sort works group by group). */
static int merge_group(const struct xg_rule *rules, size_t nrules,
		       const struct kref *r, size_t n, xg_l7_union_fn l7_union,
		       void *arg, struct xg_policy_set *g, struct xg_err *err)
{
	int ret = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < n && !ret; i++) {
		if (r[i].idx < nrules)
			ret = expand_with_marker(&rules[r[i].idx], g, !i);
		else
			ret = push_marker(g, (__u32)(r[i].key >> 32),
					  (__u8)r[i].key);
	}
	if (ret) {
		xg_err_set(err, "policy", "out of memory");
		return ret;
	}
	return finish_set(g, l7_union, arg, err);
}

int xg_policy_compile_l7_cached(struct xg_merge_cache *mc,
				const struct xg_rule *rules, size_t nrules,
				const struct xg_enforce *enf, size_t nenf,
				xg_l7_union_fn l7_union, void *arg,
				struct xg_policy_set *out, struct xg_err *err)
{
	struct kref *r;
	int ret = 0;

	if (!mc)
		return xg_policy_compile_l7(rules, nrules, enf, nenf, l7_union,
					    arg, out, err);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nrules; i++) {
		ret = check_rule(&rules[i], i, err);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < nenf; i++)
		if (!enf_ok(&enf[i])) {
			xg_err_set(err, "enforce", "entry %zu is not valid", i);
			return -EINVAL;
		}
	r = group_inputs(rules, nrules, enf, nenf);
	if (!r) {
		xg_err_set(err, "policy", "out of memory");
		return -ENOMEM;
	}
	mc->epoch++;
	if (mc->last_n) {
		out->v = malloc((mc->last_n + mc->last_n / 8 + 64) * sizeof(*out->v));
		out->cap = out->v ? mc->last_n + mc->last_n / 8 + 64 : 0;
	}
	for (size_t g = 0, e; g < nrules + nenf && !ret; g = e) {
		struct xg_policy_set one;
		struct mgroup *hit;
		bool l7 = false;

		for (e = g; e < nrules + nenf && r[e].key == r[g].key; e++)
			l7 |= r[e].idx < nrules && rules[r[e].idx].l7_ruleset;
		hit = l7 ? NULL : group_hit(mc, r[g].key, rules, nrules,
					     r + g, e - g);
		if (hit) {
			mc->hits++;
			hit->epoch = mc->epoch;
			ret = set_append(out, hit->v, hit->n);
			continue;
		}
		mc->misses++;
		ret = merge_group(rules, nrules, r + g, e - g, l7_union, arg,
				  &one, err);
		ret = ret ?: set_append(out, one.v, one.n);
		if (!ret && !l7 &&
		    group_keep(mc, r[g].key, rules, nrules, r + g, e - g,
			       one.v, one.n))
			merge_cache_clear(mc); /* only the next merge pays */
		xg_policy_set_free(&one);
	}
	free(r);
	mc->last_n = ret ? 0 : out->n;
	if (!ret && merge_cache_sweep(mc))
		merge_cache_clear(mc);
	if (ret) {
		if (!err->msg[0])
			xg_err_set(err, "policy", "out of memory");
		xg_policy_set_free(out);
		merge_cache_clear(mc);
	}
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
