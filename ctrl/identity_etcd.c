// SPDX-License-Identifier: GPL-2.0-only
/*
 * The etcd identity allocator: gateways of a fleet agree on the number
 * of each label set through two create-if-absent writes.
 *
 *   <prefix>identities/<id>                  = labels   reserves the number
 *   <prefix>identities-by-labels/<escaped>   = id       binds the label set
 *
 * The by-labels key is the authority: whoever creates it first decides,
 * and everyone else adopts its id.  An id key whose label set is bound to
 * another id is an orphan of a lost race: the node that created it
 * deletes it.  An id key left by a node that died between the two writes
 * stays taken (a lost number, no harm).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "kv/etcd.h"
#include "log.h"

/* Consecutive ids found taken before re-reading which ones are: our view
 * of the fleet's allocations is stale. */
#define RESYNC_AFTER 16
/* Candidates tried for one label set before giving up (-EAGAIN). */
#define MAX_TRIES 4096

struct etcd_alloc {
	struct xg_etcd *e;
	char *id_prefix;  /* <prefix>identities/ */
	char *lbl_prefix; /* <prefix>identities-by-labels/ */
};

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

/* One key segment per label set: '%' and '/' as %25 and %2F. */
static char *lbl_key(const struct etcd_alloc *ea, const char *labels)
{
	size_t lp = strlen(ea->lbl_prefix), o = lp;
	char *k = malloc(lp + strlen(labels) * 3 + 1);

	if (!k)
		return NULL;
	memcpy(k, ea->lbl_prefix, lp);
	for (const char *p = labels; *p; p++) {
		if (*p == '%' || *p == '/') {
			k[o++] = '%';
			k[o++] = '2';
			k[o++] = *p == '%' ? '5' : 'F';
		} else {
			k[o++] = *p;
		}
	}
	k[o] = '\0';
	return k;
}

/* The inverse of lbl_key, refusing any other spelling: 0, -EINVAL or
 * -ENOMEM. */
static int unescape(const char *s, size_t len, char **labels)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' || !s[i])
			goto bad;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 < len && s[i + 1] == '2' && s[i + 2] == '5')
			out[o++] = '%';
		else if (i + 2 < len && s[i + 1] == '2' && s[i + 2] == 'F')
			out[o++] = '/';
		else
			goto bad;
		i += 2;
	}
	out[o] = '\0';
	*labels = out;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

/* A decimal id as we write it, in the allocated range; 0 if not. */
static __u32 parse_id(const char *s, size_t len)
{
	unsigned long v = 0;

	if (!len || len > 8 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= XG_ID_FIRST_LOCAL && v < XG_ID_LIMIT ? (__u32)v : 0;
}

/* ----------------------------------------------------------- loading -- */

struct pair {
	__u32 id;
	char *labels;
};

struct pairs {
	struct pair *p;
	size_t n, cap;
	struct xg_id_alloc *a; /* id keys: every id seen is taken */
	size_t plen;	       /* prefix length to strip from keys */
	bool by_labels;
};

static int pairs_add(struct pairs *ps, __u32 id, char *labels)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 256;
		struct pair *p = realloc(ps->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ps->p = p;
		ps->cap = cap;
	}
	ps->p[ps->n].id = id;
	ps->p[ps->n].labels = labels;
	ps->n++;
	return 0;
}

static void pairs_free(struct pairs *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->p[i].labels);
	free(ps->p);
	ps->p = NULL;
	ps->n = ps->cap = 0;
}

static int range_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct pairs *ps = arg;
	const char *suffix = kv->key + ps->plen, *text;
	size_t slen = kv->key_len - ps->plen, tlen;
	char *labels = NULL;
	__u32 id;
	int ret;

	if (kv->key_len < ps->plen)
		return 0;
	if (ps->by_labels) {
		id = parse_id(kv->val, kv->val_len);
		text = suffix;
		tlen = slen;
	} else {
		id = parse_id(suffix, slen);
		if (id)
			xg_id_take(ps->a, id);
		text = kv->val;
		tlen = kv->val_len;
	}
	if (!id)
		goto bad;
	if (ps->by_labels) {
		ret = unescape(text, tlen, &labels);
	} else if (memchr(text, '\0', tlen)) {
		ret = -EINVAL;
	} else {
		labels = strndup(text, tlen);
		ret = labels ? 0 : -ENOMEM;
	}
	if (ret == -ENOMEM)
		return ret;
	if (ret || xg_id_labels_check(labels, NULL))
		goto bad;
	if (pairs_add(ps, id, labels)) {
		free(labels);
		return -ENOMEM;
	}
	return 0;
bad:
	/* Another writer got it wrong: skipped, not fatal, so that one bad
	 * key does not stop every gateway of the fleet from starting. */
	pr_warn("identity: skipping malformed key %.200s\n", kv->key);
	free(labels);
	return 0;
}

static int cmp_pair_id(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

static int range(struct etcd_alloc *ea, struct pairs *ps, const char *prefix,
		 struct xg_err *err)
{
	int ret;

	ps->plen = strlen(prefix);
	ret = xg_etcd_range_prefix(ea->e, prefix, range_cb, ps, NULL, err);
	if (ret == -ENOMEM)
		xg_err_set(err, "identity", "out of memory");
	return ret;
}

/*
 * Every id key taken, and every pairing both keys agree on learned.  The
 * two reads are at different revisions: an allocation finishing between
 * them is simply not known yet, and its by-labels key answers later.
 */
static int load(struct xg_id_alloc *a, struct etcd_alloc *ea,
		struct xg_err *err)
{
	struct pairs bl = {.a = a, .by_labels = true}, ids = {.a = a};
	int ret;

	ret = range(ea, &bl, ea->lbl_prefix, err);
	if (!ret)
		ret = range(ea, &ids, ea->id_prefix, err);
	if (ret || !ids.n)
		goto out;
	qsort(ids.p, ids.n, sizeof(*ids.p), cmp_pair_id);
	for (size_t i = 0; i < bl.n; i++) {
		struct pair key = {.id = bl.p[i].id}, *p;

		p = bsearch(&key, ids.p, ids.n, sizeof(*ids.p), cmp_pair_id);
		if (!p || strcmp(p->labels, bl.p[i].labels))
			continue; /* id key gone or reused: not usable */
		ret = xg_id_learn(a, p->id, p->labels);
		if (ret == -ENOMEM) {
			xg_err_set(err, "identity", "out of memory");
			goto out;
		}
		ret = 0; /* -EEXIST: a duplicate written by hand; first wins */
	}
out:
	pairs_free(&bl);
	pairs_free(&ids);
	return ret;
}

/* Only the taken ids, again: after many candidates were found taken. */
static int resync_taken(struct xg_id_alloc *a, struct etcd_alloc *ea,
			struct xg_err *err)
{
	struct pairs ids = {.a = a};
	int ret = range(ea, &ids, ea->id_prefix, err);

	pairs_free(&ids);
	return ret;
}

/* -------------------------------------------------------- allocating -- */

static char *id_key(const struct etcd_alloc *ea, __u32 id)
{
	size_t lp = strlen(ea->id_prefix);
	char *k = malloc(lp + 12);

	if (k)
		snprintf(k, lp + 12, "%s%u", ea->id_prefix, id);
	return k;
}

/*
 * Deletes the id key we created and lost the label set with.  Only its
 * creator deletes it (one node per incarnation of the key), and only
 * while it still holds our labels, so a number freed and taken anew is
 * not deleted from under its new owner.  A delete the client retries
 * after it was applied leaves a window of one retry; and a failed delete
 * leaves a lost number.  Both are logged, neither is an error.
 */
static void drop_orphan(struct etcd_alloc *ea, __u32 id, const char *labels)
{
	struct xg_err err = {0};
	char *key = id_key(ea, id), *val = NULL;
	size_t len;
	int ret;

	if (!key)
		return;
	ret = xg_etcd_get(ea->e, key, &val, &len, NULL, &err);
	if (!ret && len == strlen(labels) && !memcmp(val, labels, len)) {
		ret = xg_etcd_delete(ea->e, key, false, NULL, &err);
		if (!ret)
			pr_debug(
				"identity: %s lost the race for its labels: deleted\n",
				key);
	}
	if (ret && ret != -ENOENT)
		pr_warn("identity: leaving orphan %s: %s: %s\n", key, err.where,
			err.msg);
	free(val);
	free(key);
}

/* Reserves a number for labels: one we create, or one another node
 * created for the same labels.  *created says which. */
static int reserve(struct xg_id_alloc *a, struct etcd_alloc *ea,
		   const char *labels, __u32 *id, bool *created,
		   struct xg_err *err)
{
	size_t len = strlen(labels), misses = 0;
	__u32 cand = XG_ID_FIRST_LOCAL;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		char *key, *val = NULL;
		size_t vlen = 0;
		int ret;

		cand = xg_id_next_free(a, cand);
		if (cand >= XG_ID_LIMIT) {
			xg_err_set(err, ea->id_prefix,
				   "every identity up to %u is taken",
				   XG_ID_LIMIT - 1);
			return -ENOSPC;
		}
		key = id_key(ea, cand);
		if (!key) {
			xg_err_set(err, "identity", "out of memory");
			return -ENOMEM;
		}
		ret = xg_etcd_create(ea->e, key, labels, len, &val, &vlen, err);
		free(key);
		if (ret < 0)
			return ret;
		xg_id_take(a, cand);
		/*
		 * "Existed" with our labels is another node allocating the
		 * same set with the same candidate (or our own create,
		 * retried by the client after it was applied): share it.
		 */
		if (ret == 1 || (vlen == len && !memcmp(val, labels, len))) {
			free(val);
			*id = cand;
			*created = ret == 1;
			return 0;
		}
		free(val);
		if (++misses % RESYNC_AFTER == 0) {
			ret = resync_taken(a, ea, err);
			if (ret)
				return ret;
		}
	}
	xg_err_set(err, ea->id_prefix, "no free identity found after %d tries",
		   MAX_TRIES);
	return -EAGAIN;
}

static int alloc_one(struct xg_id_alloc *a, struct etcd_alloc *ea,
		     const char *labels, __u32 *id, struct xg_err *err)
{
	char *lkey = NULL, *val = NULL, num[16];
	__u32 cand, winner;
	size_t vlen = 0;
	bool created;
	int ret;

	if (xg_id_known(a, labels, id))
		return 0;
	lkey = lbl_key(ea, labels);
	if (!lkey) {
		xg_err_set(err, "identity", "out of memory");
		return -ENOMEM;
	}
	/* Most label sets are already numbered by another gateway. */
	ret = xg_etcd_get(ea->e, lkey, &val, &vlen, NULL, err);
	if (!ret) {
		winner = parse_id(val, vlen);
		goto bound;
	}
	if (ret != -ENOENT)
		goto out;

	ret = reserve(a, ea, labels, &cand, &created, err);
	if (ret)
		goto out;
	snprintf(num, sizeof(num), "%u", cand);
	ret = xg_etcd_create(ea->e, lkey, num, strlen(num), &val, &vlen, err);
	if (ret < 0)
		goto out; /* our id key stays: a lost number */
	winner = ret == 1 ? cand : parse_id(val, vlen);
	if (winner && winner != cand && created)
		drop_orphan(ea, cand, labels);
bound:
	if (!winner) {
		xg_err_set(err, lkey, "holds \"%.20s\", not an identity",
			   val ? val : "");
		ret = -EBADMSG;
		goto out;
	}
	ret = xg_id_learn(a, winner, labels);
	if (ret == -EEXIST) {
		xg_err_set(err, lkey,
			   "says %u, which is known here for another label set",
			   winner);
		ret = -EBADMSG;
	} else if (ret) {
		xg_err_set(err, "identity", "%s", strerror(-ret));
	} else {
		*id = winner;
	}
out:
	free(val);
	free(lkey);
	return ret;
}

/* Label sets numbered in one transaction: both keys of each. */
#define BATCH (XG_ETCD_TXN_OPS / 2)

/*
 * Numbers n label sets no gateway had numbered when we last looked, in
 * one transaction that creates both keys of each only if none of them
 * exists: a start that meets 10,000 new label sets makes 160 writes,
 * not 30,000 round trips.  Returns 1 when all are numbered (and
 * learned); 0 when some key was there (another gateway got in first:
 * nothing was written, and the caller numbers them one by one, as
 * alloc_one settles such races); <0 error.
 */
static int alloc_batch(struct xg_id_alloc *a, struct etcd_alloc *ea,
		       const char *const *labels, size_t n, __u32 *ids,
		       struct xg_err *err)
{
	char *keys[2 * BATCH] = {0}, nums[BATCH][16];
	const char *vals[2 * BATCH];
	__u32 cand = XG_ID_FIRST_LOCAL - 1;
	int ret = -ENOMEM;
	size_t i;

	for (i = 0; i < n; i++) {
		cand = xg_id_next_free(a, cand + 1);
		if (cand >= XG_ID_LIMIT) {
			ret = 0; /* one by one, which says why */
			goto out;
		}
		ids[i] = cand;
		snprintf(nums[i], sizeof(nums[i]), "%u", cand);
		keys[2 * i] = id_key(ea, cand);
		vals[2 * i] = labels[i];
		keys[2 * i + 1] = lbl_key(ea, labels[i]);
		vals[2 * i + 1] = nums[i];
		if (!keys[2 * i] || !keys[2 * i + 1]) {
			xg_err_set(err, "identity", "out of memory");
			goto out;
		}
	}
	ret = xg_etcd_create_all(ea->e, (const char *const *)keys, vals,
				 2 * n, err);
	if (ret == 1)
		pr_debug("identity: %zu label sets numbered in one transaction (%u-%u)\n",
			 n, ids[0], ids[n - 1]);
	else if (!ret)
		pr_debug("identity: a batch of %zu met a key another made: one by one\n",
			 n);
	for (i = 0; ret == 1 && i < n; i++) {
		int r = xg_id_learn(a, ids[i], labels[i]);

		if (r) {
			/* written in etcd, so kept there: the next load
			 * learns what this one could not */
			xg_err_set(err, "identity", "%s", strerror(-r));
			ret = r == -EEXIST ? -EBADMSG : r;
		}
	}
out:
	for (i = 0; i < 2 * n; i++)
		free(keys[i]);
	return ret;
}

/*
 * Label sets not yet known come in batches of up to BATCH distinct ones;
 * then each is looked up (a batch that went is known now) or numbered
 * alone.  Each pairing is durable in etcd as soon as it is made: nothing
 * to undo when a later one fails.
 */
static int etcd_alloc(struct xg_id_alloc *a, const char *const *labels,
		      size_t n, __u32 *ids, struct xg_err *err)
{
	struct etcd_alloc *ea = xg_id_priv(a);
	const char *batch[BATCH];
	__u32 batch_ids[BATCH];

	for (size_t i = 0, end; i < n; i = end) {
		size_t nb = 0;
		int ret;

		for (end = i; end < n && nb < BATCH; end++) {
			bool dup = false;

			for (size_t j = 0; j < nb && !dup; j++)
				dup = !strcmp(batch[j], labels[end]);
			if (!dup && !xg_id_known(a, labels[end], &ids[end]))
				batch[nb++] = labels[end];
		}
		if (nb > 1) {
			ret = alloc_batch(a, ea, batch, nb, batch_ids, err);
			if (ret < 0)
				return ret;
		}
		for (size_t j = i; j < end; j++) {
			ret = alloc_one(a, ea, labels[j], &ids[j], err);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* An id numbered by another gateway since we loaded: both keys agree,
 * or it is not (yet) an identity. */
static int etcd_fetch(struct xg_id_alloc *a, __u32 id)
{
	struct etcd_alloc *ea = xg_id_priv(a);
	struct xg_err err = {0};
	char *key = id_key(ea, id), *labels = NULL, *lkey = NULL, *val = NULL;
	size_t len, vlen;
	int ret;

	if (!key)
		return -ENOMEM;
	ret = xg_etcd_get(ea->e, key, &labels, &len, NULL, &err);
	if (ret)
		goto out;
	ret = -ENOENT;
	if (strlen(labels) != len || xg_id_labels_check(labels, NULL))
		goto out;
	lkey = lbl_key(ea, labels);
	if (!lkey) {
		ret = -ENOMEM;
		goto out;
	}
	ret = xg_etcd_get(ea->e, lkey, &val, &vlen, NULL, &err);
	if (ret)
		goto out;
	ret = parse_id(val, vlen) == id ? xg_id_learn(a, id, labels) : -ENOENT;
	if (ret == -EEXIST)
		ret = -ENOENT;
out:
	free(val);
	free(lkey);
	free(labels);
	free(key);
	return ret;
}

static void etcd_destroy(void *priv)
{
	struct etcd_alloc *ea = priv;

	if (!ea)
		return;
	free(ea->id_prefix);
	free(ea->lbl_prefix);
	free(ea);
}

static const struct xg_id_ops etcd_ops = {
	.alloc = etcd_alloc,
	.fetch = etcd_fetch,
	.destroy = etcd_destroy,
};

int xg_id_alloc_etcd_open(struct xg_etcd *e, const char *prefix,
			  struct xg_id_alloc **out, struct xg_err *err)
{
	struct xg_id_alloc *a = NULL;
	struct etcd_alloc *ea;
	size_t plen;
	int ret;

	*out = NULL;
	plen = prefix ? strlen(prefix) : 0;
	if (!e || !plen || prefix[0] != '/' || prefix[plen - 1] != '/') {
		xg_err_set(err, "identity",
			   "etcd prefix must start and end with '/'");
		return -EINVAL;
	}
	ea = calloc(1, sizeof(*ea));
	if (!ea)
		goto nomem;
	ea->e = e;
	ea->id_prefix = concat(prefix, "identities/");
	ea->lbl_prefix = concat(prefix, "identities-by-labels/");
	if (!ea->id_prefix || !ea->lbl_prefix)
		goto nomem;
	ret = xg_id_alloc_new(&etcd_ops, ea, &a);
	if (ret)
		goto nomem;
	ret = load(a, ea, err);
	if (ret) {
		xg_id_alloc_close(a);
		return ret;
	}
	*out = a;
	return 0;
nomem:
	etcd_destroy(ea);
	xg_err_set(err, "identity", "out of memory");
	return -ENOMEM;
}
