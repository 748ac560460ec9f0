// SPDX-License-Identifier: GPL-2.0-only
/* Deleted keys found by counting spans; see gone.h. */
#include <errno.h>
#include <string.h>

#include "gone.h"

/*
 * Keys etcd's JSON gateway lists in the time of one count request: on a
 * 2-vCPU VM with etcd 3.4 a count takes about a millisecond and a listed
 * key about 17 us.  Splitting a span costs each gone key a count per
 * level down to a leaf; listing it costs every key in it.
 */
#define KEYS_PER_COUNT 64

struct search {
	const struct xg_gone_ops *ops;
	void *arg;
	int64_t rev;
	void (*gone)(const char *key, void *arg);
	void *gone_arg;
	struct xg_gone_stats *st;
	struct xg_err *err;
};

/* The walk of one listing against our keys, both in order. */
struct merge {
	struct search *s;
	const char *const *k;
	size_t n, i;
};

static size_t log2_floor(size_t x)
{
	size_t l = 0;

	while (x >>= 1)
		l++;
	return l;
}

/* A listing is cheaper than splitting when a good share of the span is
 * gone: n keys listed against about log2(n / leaf) counts a gone key. */
static int list_cheaper(size_t n, size_t n_gone)
{
	return n <= XG_GONE_LEAF ||
	       n <= n_gone * KEYS_PER_COUNT * log2_floor(n / XG_GONE_LEAF);
}

static int merge_key(const char *key, size_t len, void *arg)
{
	struct merge *m = arg;
	int c = 1;

	m->s->st->listed++;
	while (m->i < m->n) {
		c = strncmp(m->k[m->i], key, len);
		if (!c && m->k[m->i][len])
			c = 1; /* ours is longer: it sorts after */
		if (c >= 0)
			break;
		m->s->gone(m->k[m->i++], m->s->gone_arg);
	}
	if (c)
		return -ESTALE; /* etcd has it, we do not */
	m->i++;
	return 0;
}

static int list_span(struct search *s, const char *lo, size_t lo_len,
		     const char *hi, size_t hi_len, const char *const *k,
		     size_t n)
{
	struct merge m = { .s = s, .k = k, .n = n };
	int ret;

	s->st->lists++;
	ret = s->ops->list(s->arg, lo, lo_len, hi, hi_len, s->rev, merge_key,
			   &m, s->err);
	if (ret == -ESTALE) {
		xg_err_set(s->err, "etcd catch-up",
			   "a key we never saw, older than our revision");
		return ret;
	}
	if (ret)
		return ret;
	while (m.i < n)
		s->gone(k[m.i++], s->gone_arg);
	return 0;
}

/* Our keys k[0..n) in [lo, hi), of which etcd holds have. */
static int find(struct search *s, const char *lo, size_t lo_len,
		const char *hi, size_t hi_len, const char *const *k, size_t n,
		int64_t have)
{
	size_t mid = n / 2, i;
	int64_t first;
	int ret;

	if (have > (int64_t)n) {
		xg_err_set(s->err, "etcd catch-up",
			   "etcd holds %lld keys where we know %zu",
			   (long long)have, n);
		return -ESTALE;
	}
	if (have == (int64_t)n)
		return 0;
	if (!have) {
		for (i = 0; i < n; i++)
			s->gone(k[i], s->gone_arg);
		return 0;
	}
	if (list_cheaper(n, n - (size_t)have))
		return list_span(s, lo, lo_len, hi, hi_len, k, n);
	/* [lo, k[mid]) holds k[0..mid), [k[mid], hi) the rest: one count
	 * tells both halves. */
	s->st->counts++;
	ret = s->ops->count(s->arg, lo, lo_len, k[mid], strlen(k[mid]), s->rev,
			    &first, s->err);
	if (ret)
		return ret;
	if (first < 0 || first > have) {
		xg_err_set(s->err, "etcd catch-up",
			   "a count of part of a span above the whole");
		return -EBADMSG;
	}
	ret = find(s, lo, lo_len, k[mid], strlen(k[mid]), k, mid, first);
	if (ret)
		return ret;
	return find(s, k[mid], strlen(k[mid]), hi, hi_len, k + mid, n - mid,
		    have - first);
}

int xg_gone_find(const struct xg_gone_ops *ops, void *arg, const char *lo,
		 size_t lo_len, const char *hi, size_t hi_len,
		 const char *const *known, size_t n, int64_t rev,
		 void (*gone)(const char *key, void *arg), void *gone_arg,
		 struct xg_gone_stats *st, struct xg_err *err)
{
	struct xg_gone_stats tmp_st = {0};
	struct xg_err tmp_err;
	struct search s = { .ops = ops, .arg = arg, .rev = rev, .gone = gone,
			    .gone_arg = gone_arg, .st = st ? st : &tmp_st,
			    .err = err ? err : &tmp_err };
	int64_t have;
	int ret;

	if (!ops || !ops->count || !ops->list || !gone || !lo || !hi ||
	    (n && !known) || rev <= 0) {
		xg_err_set(s.err, "etcd catch-up", "invalid arguments");
		return -EINVAL;
	}
	s.st->counts++;
	ret = ops->count(arg, lo, lo_len, hi, hi_len, rev, &have, s.err);
	if (ret)
		return ret;
	if (have < 0) {
		xg_err_set(s.err, "etcd catch-up", "a negative count");
		return -EBADMSG;
	}
	return find(&s, lo, lo_len, hi, hi_len, known, n, have);
}
