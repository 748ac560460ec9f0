// SPDX-License-Identifier: GPL-2.0-only
/* The L7 rule matcher; how it works is in match.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hs/hs.h>

#include "match.h"

enum { F_METHOD, F_PATH, F_HOST, F__N };

static const char *const field_name[F__N] = {"method", "path", "host"};

/* A rule is checked from the field whose regex fewest rules share; on a
 * tie, the first of these (paths say the most). */
static const int field_pref[F__N] = {F_PATH, F_HOST, F_METHOD};

#define LIT_MAX 255 /* longest literal prefix looked up */
#define RDB_MAX 256 /* databases of rests per field; the rest scan whole */

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* One literal prefix of a field's regexes. */
struct l7_grp {
	const char *lit; /* in the regex's text */
	__u32 len;
	__u64 hash;	/* FNV-1a of the len bytes */
	__u32 ex, n_ex; /* regexes that are this literal alone: exv[ex ..) */
	__s32 rdb;	/* the database of the rests after it, or -1 */
	__u32 map;	/* that database's pattern k is regex pmap[map + k] */
};

/* A lookup slot: most misses end on the tag, without the group. */
struct l7_slot {
	__u32 tag; /* of the hash; 0: empty */
	__u32 grp;
};

struct l7_field {
	__u32 n_pat;	   /* distinct regexes */
	__u32 *drv_start;  /* n_pat + 1: rules checked from regex p are */
	__u32 *drv;	   /*   drv[drv_start[p] .. drv_start[p + 1]) */
	hs_database_t *fb; /* regexes scanned whole, NULL: none */
	__u32 *fb_map;	   /* its pattern k is regex fb_map[k] */
	struct l7_grp *grp;
	__u32 n_grp;
	struct l7_slot *tab; /* open addressing by (len, hash) */
	__u32 tab_mask;
	__u32 max_len;
	__u64 lens[4]; /* bit l: some prefix is l bytes long */
	hs_database_t **rdb;
	__u32 n_rdb;
	__u32 *pmap;
	__u32 *exv;
};

struct l7_hspec {
	const char *name, *value; /* value NULL: presence */
	size_t name_n, value_n;
};

struct l7_rule {
	__s32 pat[F__N];  /* regex per field, -1: the rule has none */
	__u32 hdr, n_hdr; /* in set->hdrs */
};

struct xg_l7_set {
	__u32 id;
	int refs;		  /* tables holding it */
	int allow_all;		  /* a rule without fields, or -1 */
	struct xg_l7_ruleset src; /* as given: reuse compares it */
	struct l7_rule *rules;
	size_t n_rules;
	struct l7_hspec *hdrs;
	__u32 *free_rules; /* rules with headers and no regex */
	size_t n_free;
	struct l7_field f[F__N];
};

struct l7_worker {
	hs_scratch_t *scratch;
	__u32 gen;
	__u32 *stamp[F__N]; /* regex p matched in this request: == gen */
	__u32 *hit[F__N];   /* the regexes that did, in order */
	__u32 n_hit[F__N];
} __attribute__((aligned(64)));

struct xg_l7_table {
	struct xg_l7_set **sets; /* by id */
	size_t n;
	unsigned n_workers;
	__u32 max_pat[F__N];
	struct l7_worker *w;
};

/* ------------------------------------------------------------ sets -- */

static const char *rule_field(const struct xg_l7_http *h, int f)
{
	return f == F_METHOD ? h->method : f == F_PATH ? h->path : h->host;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool ruleset_eq(const struct xg_l7_ruleset *a,
		       const struct xg_l7_ruleset *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct xg_l7_http *x = &a->rules[i], *y = &b->rules[i];

		if (!str_eq(x->method, y->method) ||
		    !str_eq(x->path, y->path) || !str_eq(x->host, y->host) ||
		    x->n_headers != y->n_headers)
			return false;
		for (size_t k = 0; k < x->n_headers; k++)
			if (strcmp(x->headers[k], y->headers[k]))
				return false;
	}
	return true;
}

static void ruleset_free(struct xg_l7_ruleset *rs)
{
	for (size_t i = 0; rs->rules && i < rs->n; i++) {
		struct xg_l7_http *h = &rs->rules[i];

		free(h->method);
		free(h->path);
		free(h->host);
		for (size_t k = 0; h->headers && k < h->n_headers; k++)
			free(h->headers[k]);
		free(h->headers);
	}
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int ruleset_copy(struct xg_l7_ruleset *dst,
			const struct xg_l7_ruleset *src)
{
	dst->id = src->id;
	dst->n = src->n;
	dst->rules = calloc(src->n ? src->n : 1, sizeof(*dst->rules));
	if (!dst->rules)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		const struct xg_l7_http *s = &src->rules[i];
		struct xg_l7_http *d = &dst->rules[i];

		if (dup_str(&d->method, s->method) ||
		    dup_str(&d->path, s->path) || dup_str(&d->host, s->host))
			return -ENOMEM;
		d->headers = calloc(s->n_headers + 1, sizeof(*d->headers));
		if (!d->headers)
			return -ENOMEM;
		for (size_t k = 0; k < s->n_headers; k++) {
			if (!s->headers[k])
				return -EINVAL;
			if (dup_str(&d->headers[k], s->headers[k]))
				return -ENOMEM;
			d->n_headers++;
		}
	}
	return 0;
}

static void field_free(struct l7_field *F)
{
	hs_free_database(F->fb);
	for (__u32 i = 0; F->rdb && i < F->n_rdb; i++)
		hs_free_database(F->rdb[i]);
	free(F->rdb);
	free(F->drv_start);
	free(F->drv);
	free(F->fb_map);
	free(F->grp);
	free(F->tab);
	free(F->pmap);
	free(F->exv);
	memset(F, 0, sizeof(*F));
}

static void set_free(struct xg_l7_set *s)
{
	if (!s)
		return;
	for (int f = 0; f < F__N; f++)
		field_free(&s->f[f]);
	ruleset_free(&s->src);
	free(s->rules);
	free(s->hdrs);
	free(s->free_rules);
	free(s);
}

static void set_put(struct xg_l7_set *s)
{
	if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		set_free(s);
}

/* ------------------------------------------------- literal prefixes -- */

/* p is at a '['; the ']' that closes the class, or NULL. */
static const char *class_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return NULL;
			if (p[1] == 'Q') {
				p = strstr(p + 2, "\\E");
				if (!p)
					return NULL;
			}
			p++;
			continue;
		}
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char end[3] = {p[1], ']', 0};
			const char *e = strstr(p + 2, end);

			if (e) {
				p = e + 1;
				continue;
			}
		}
		if (*p == ']')
			return p;
	}
	return NULL;
}

/* Does the regex have an alternation outside any group, or anything
 * this does not follow (extended mode, where '#' starts a comment)?
 * Either way its literal prefix is not used: a shorter prefix, even
 * none, is always right. */
static bool prefix_unsafe(const char *re)
{
	int depth = 0;

	for (const char *p = re; *p; p++) {
		if (*p == '\\') {
			if (p[1] == 'Q') {
				p = strstr(p + 2, "\\E");
				if (!p)
					return false; /* literal to the end */
				p++;
			} else if (p[1]) {
				p++;
			}
			continue;
		}
		if (*p == '[') {
			p = class_end(p);
			if (!p)
				return true;
			continue;
		}
		if (*p == '(' && p[1] == '?' && p[2] == '#') {
			p = strchr(p, ')');
			if (!p)
				return true;
			continue;
		}
		if (*p == '(' && p[1] == '?') {
			for (const char *o = p + 2;
			     *o && *o != ')' && *o != ':'; o++)
				if (*o == 'x')
					return true;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return true;
		else if (*p == '|' && !depth)
			return true;
	}
	return depth != 0;
}

/* The literal every match starts with: re[*off .. *off + *len).  After
 * a leading '^' (the match is anchored anyway), the bytes up to the
 * first that is not a plain literal, less the last one when a
 * quantifier follows it.  The rest of the regex, re + *off + *len, is
 * then a regex of its own, and re matches v exactly when v starts with
 * the literal and the rest matches what follows it. */
static void lit_prefix(const char *re, size_t *off, size_t *len)
{
	size_t i = re[0] == '^', n;

	*off = 0;
	*len = 0;
	if (prefix_unsafe(re))
		return;
	for (n = i; re[n] && !strchr("\\^$.[]|()?*+{}", re[n]); n++)
		;
	if (n > i && re[n] && strchr("?*+{", re[n]))
		n--;
	if (n - i > LIT_MAX)
		n = i + LIT_MAX;
	if (n > i) {
		*off = i;
		*len = n - i;
	}
}

/* Is re literals joined by '|' ("GET|HEAD"), none empty?  Then each
 * is a literal the value must be, with nothing after it. */
static bool alt_literals(const char *re)
{
	size_t len = 0;

	if (!strchr(re, '|'))
		return false;
	for (const char *p = re;; p++) {
		if (!*p || *p == '|') {
			if (!len || len > LIT_MAX)
				return false;
			if (!*p)
				return true;
			len = 0;
			continue;
		}
		if (strchr("\\^$.[]()?*+{}", *p))
			return false;
		len++;
	}
}

static __u64 fnv(const char *p, size_t n)
{
	__u64 h = FNV_BASIS;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
	return h;
}

/* splitmix64's finalizer: FNV-1a's low bits alone cluster for keys
 * that differ in a few digits. */
static __u64 tab_mix(__u64 h, __u32 len)
{
	h ^= len;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static __u32 tab_tag(__u64 m)
{
	return (__u32)(m >> 32) | 1;
}

/* --------------------------------------------------- field databases -- */

struct lp {
	const char *lit, *rest;
	__u32 len, pat;
};

static int lp_cmp(const void *a, const void *b)
{
	const struct lp *x = a, *y = b;
	int d = memcmp(x->lit, y->lit, x->len < y->len ? x->len : y->len);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	d = strcmp(x->rest, y->rest);
	return d ? d : (x->pat > y->pat) - (x->pat < y->pat);
}

/* A group's rests (those not empty), for grouping groups. */
struct gref {
	const struct lp *v;
	__u32 n, grp, cls;
};

static int gref_cmp(const void *a, const void *b)
{
	const struct gref *x = a, *y = b;

	for (__u32 i = 0; i < x->n && i < y->n; i++) {
		int d = strcmp(x->v[i].rest, y->v[i].rest);

		if (d)
			return d;
	}
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->grp < y->grp ? -1 : x->grp > y->grp;
}

struct cls {
	__u32 first, n_grp; /* in the sorted grefs */
	__s32 rdb;
};

static int cls_cmp(const void *a, const void *b)
{
	const struct cls *x = a, *y = b;

	if (x->n_grp != y->n_grp)
		return x->n_grp > y->n_grp ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Compiles patterns (anchored here) with ids 0..n-1. */
static int compile_db(const char *const *re, __u32 n, hs_database_t **db,
		      __u32 *bad, char *msg, size_t msglen)
{
	char **full = calloc(n, sizeof(*full));
	unsigned *flags = calloc(n, sizeof(*flags)),
		 *ids = calloc(n, sizeof(*ids));
	hs_compile_error_t *ce = NULL;
	int ret = -ENOMEM;

	*db = NULL;
	if (!full || !flags || !ids)
		goto out;
	for (__u32 k = 0; k < n; k++) {
		full[k] = xg_l7_anchored(re[k], strlen(re[k]));
		if (!full[k])
			goto out;
		flags[k] = XG_L7_HS_FLAGS;
		ids[k] = k;
	}
	ret = 0;
	if (hs_compile_multi((const char *const *)full, flags, ids, n,
			     HS_MODE_BLOCK, NULL, db, &ce) != HS_SUCCESS) {
		*bad = ce && ce->expression >= 0 ? (__u32)ce->expression : 0;
		snprintf(msg, msglen, "%s",
			 ce && ce->message ? ce->message : "does not compile");
		hs_free_compile_error(ce);
		*db = NULL;
		ret = -EINVAL;
	}
out:
	for (__u32 k = 0; full && k < n; k++)
		free(full[k]);
	free(full);
	free(flags);
	free(ids);
	return ret;
}

/* Splits the regexes by literal prefix and compiles the databases. */
static int field_index(struct l7_field *F, const char *const *pats,
		       struct xg_err *err, const char *what)
{
	size_t cap_lp = F->n_pat + 1;
	struct lp *lps;
	const char **fb_re = calloc(F->n_pat + 1, sizeof(*fb_re));
	struct gref *gr = NULL;
	struct cls *cl = NULL;
	const char **re = NULL;
	__u32 n_lp = 0, n_fb = 0, n_gr = 0, n_cl = 0, n_map = 0, n_ex = 0;
	char msg[256];
	int ret = -ENOMEM;

	for (__u32 p = 0; p < F->n_pat; p++)
		for (const char *c = strchr(pats[p], '|'); c;
		     c = strchr(c + 1, '|'))
			cap_lp++;
	lps = calloc(cap_lp, sizeof(*lps));
	F->exv = calloc(cap_lp, sizeof(*F->exv));
	F->fb_map = calloc(F->n_pat + 1, sizeof(*F->fb_map));
	F->pmap = calloc(F->n_pat + 1, sizeof(*F->pmap));
	re = calloc(F->n_pat + 1, sizeof(*re));
	F->grp = calloc(cap_lp, sizeof(*F->grp));
	if (!lps || !F->exv || !fb_re || !F->fb_map || !F->pmap || !F->grp ||
	    !re)
		goto out;
	for (__u32 p = 0; p < F->n_pat; p++) {
		size_t off, len;

		lit_prefix(pats[p], &off, &len);
		if (!len && alt_literals(pats[p])) {
			/* each alternative: an exact literal */
			for (const char *a = pats[p], *e;; a = e + 1) {
				e = strchr(a, '|');
				lps[n_lp].lit = a;
				lps[n_lp].len = (__u32)(e ? (size_t)(e - a)
							  : strlen(a));
				lps[n_lp].rest = "";
				lps[n_lp].pat = p;
				n_lp++;
				if (!e)
					break;
			}
			continue;
		}
		if (!len) {
			F->fb_map[n_fb] = p;
			fb_re[n_fb++] = pats[p];
			continue;
		}
		lps[n_lp].lit = pats[p] + off;
		lps[n_lp].len = (__u32)len;
		lps[n_lp].rest = pats[p] + off + len;
		lps[n_lp].pat = p;
		n_lp++;
	}
	if (n_lp)
		qsort(lps, n_lp, sizeof(*lps), lp_cmp);

	/* groups: one per literal; exact regexes sort first (rest "") */
	gr = calloc(n_lp + 1, sizeof(*gr));
	if (!gr)
		goto out;
	for (__u32 i = 0; i < n_lp;) {
		struct l7_grp *g = &F->grp[F->n_grp];
		__u32 j = i;

		while (j < n_lp && lps[j].len == lps[i].len &&
		       !memcmp(lps[j].lit, lps[i].lit, lps[i].len))
			j++;
		g->lit = lps[i].lit;
		g->len = lps[i].len;
		g->hash = fnv(g->lit, g->len);
		g->rdb = -1;
		g->ex = n_ex;
		for (; i < j && !lps[i].rest[0]; i++)
			if (!g->n_ex || F->exv[n_ex - 1] != lps[i].pat) {
				F->exv[n_ex++] = lps[i].pat;
				g->n_ex++;
			}
		if (i < j) {
			gr[n_gr].v = &lps[i];
			gr[n_gr].n = j - i;
			gr[n_gr].grp = F->n_grp;
			n_gr++;
		}
		F->n_grp++;
		i = j;
	}

	/* groups with the same rests share a database: the most shared
	 * RDB_MAX of them get one, the others' regexes are scanned whole */
	if (n_gr)
		qsort(gr, n_gr, sizeof(*gr), gref_cmp);
	cl = calloc(n_gr + 1, sizeof(*cl));
	if (!cl)
		goto out;
	for (__u32 i = 0; i < n_gr;) {
		__u32 j = i + 1;
		struct gref a = gr[i], b;

		while (j < n_gr) {
			b = gr[j];
			a.grp = b.grp = 0;
			if (gref_cmp(&a, &b))
				break;
			j++;
		}
		cl[n_cl].first = i;
		cl[n_cl].n_grp = j - i;
		cl[n_cl].rdb = -1;
		for (__u32 k = i; k < j; k++)
			gr[k].cls = n_cl;
		n_cl++;
		i = j;
	}
	if (n_cl)
		qsort(cl, n_cl, sizeof(*cl), cls_cmp);
	F->rdb = calloc(n_cl < RDB_MAX ? n_cl + 1 : RDB_MAX, sizeof(*F->rdb));
	if (!F->rdb)
		goto out;
	for (__u32 c = 0; c < n_cl && c < RDB_MAX; c++) {
		const struct gref *rep = &gr[cl[c].first];
		__u32 bad = 0;

		for (__u32 k = 0; k < rep->n; k++)
			re[k] = rep->v[k].rest;
		ret = compile_db(re, rep->n, &F->rdb[F->n_rdb], &bad, msg,
				 sizeof(msg));
		if (ret == -ENOMEM)
			goto out;
		if (ret) /* should not happen: then scan these whole */
			continue;
		cl[c].rdb = (__s32)F->n_rdb++;
		for (__u32 k = cl[c].first; k < cl[c].first + cl[c].n_grp;
		     k++) {
			struct l7_grp *g = &F->grp[gr[k].grp];

			g->rdb = cl[c].rdb;
			g->map = n_map;
			for (__u32 m = 0; m < gr[k].n; m++)
				F->pmap[n_map++] = gr[k].v[m].pat;
		}
	}
	for (__u32 k = 0; k < n_gr; k++) {
		if (F->grp[gr[k].grp].rdb >= 0)
			continue;
		for (__u32 m = 0; m < gr[k].n; m++) {
			F->fb_map[n_fb] = gr[k].v[m].pat;
			fb_re[n_fb++] = pats[gr[k].v[m].pat];
		}
	}
	if (n_fb) {
		__u32 bad = 0;

		ret = compile_db(fb_re, n_fb, &F->fb, &bad, msg, sizeof(msg));
		if (ret == -EINVAL)
			xg_err_set(err, what, "regex '%.64s': %s", fb_re[bad],
				   msg);
		if (ret)
			goto out;
	}

	/* the lookup table of the groups that have something to do */
	F->tab_mask = 1;
	while (F->tab_mask + 1 < 2 * F->n_grp)
		F->tab_mask = 2 * F->tab_mask + 1;
	F->tab = calloc((size_t)F->tab_mask + 1, sizeof(*F->tab));
	if (!F->tab)
		goto out;
	for (__u32 i = 0; i < F->n_grp; i++) {
		const struct l7_grp *g = &F->grp[i];
		__u64 m = tab_mix(g->hash, g->len);
		__u32 slot;

		if (!g->n_ex && g->rdb < 0)
			continue;
		for (slot = (__u32)m & F->tab_mask; F->tab[slot].tag;
		     slot = (slot + 1) & F->tab_mask)
			;
		F->tab[slot].tag = tab_tag(m);
		F->tab[slot].grp = i;
		F->lens[g->len >> 6] |= 1ull << (g->len & 63);
		if (g->len > F->max_len)
			F->max_len = g->len;
	}
	ret = 0;
out:
	if (ret == -ENOMEM)
		xg_err_set(err, what, "out of memory");
	free(lps);
	free(fb_re);
	free(gr);
	free(cl);
	free(re);
	return ret;
}

struct pref {
	const char *re;
	__u32 rule;
};

static int pref_cmp(const void *a, const void *b)
{
	const struct pref *x = a, *y = b;
	int d = strcmp(x->re, y->re);

	return d ? d : (x->rule > y->rule) - (x->rule < y->rule);
}

static int parse_headers(struct xg_l7_set *s)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < s->src.n; i++)
		n += s->src.rules[i].n_headers;
	s->hdrs = calloc(n + 1, sizeof(*s->hdrs));
	if (!s->hdrs)
		return -ENOMEM;
	for (size_t i = 0; i < s->src.n; i++) {
		const struct xg_l7_http *h = &s->src.rules[i];

		s->rules[i].hdr = (__u32)k;
		s->rules[i].n_hdr = (__u32)h->n_headers;
		for (size_t j = 0; j < h->n_headers; j++, k++) {
			const char *t = h->headers[j], *colon = strchr(t, ':');
			struct l7_hspec *o = &s->hdrs[k];

			o->name = t;
			o->name_n = colon ? (size_t)(colon - t) : strlen(t);
			while (o->name_n && (t[o->name_n - 1] == ' ' ||
					     t[o->name_n - 1] == '\t'))
				o->name_n--;
			if (!colon)
				continue;
			o->value = colon + 1;
			while (*o->value == ' ' || *o->value == '\t')
				o->value++;
			o->value_n = strlen(o->value);
		}
	}
	return 0;
}

static struct xg_l7_set *set_build(const struct xg_l7_ruleset *rs,
				   struct xg_err *err)
{
	struct xg_l7_set *s = calloc(1, sizeof(*s));
	struct pref *pr = calloc(rs->n + 1, sizeof(*pr));
	const char **pats = calloc(rs->n + 1, sizeof(*pats));
	__u32 *share[F__N] = {};
	__u8 *drv = calloc(rs->n + 1, 1);
	char what[48];
	int ret = -ENOMEM;

	snprintf(what, sizeof(what), "l7 ruleset %u", rs->id);
	if (!s || !pr || !pats || !drv)
		goto fail;
	s->refs = 1;
	s->id = rs->id;
	s->allow_all = -1;
	ret = ruleset_copy(&s->src, rs);
	if (ret == -EINVAL)
		xg_err_set(err, what, "a header is NULL");
	if (ret)
		goto fail;
	ret = -ENOMEM;
	s->n_rules = rs->n;
	s->rules = calloc(rs->n + 1, sizeof(*s->rules));
	s->free_rules = calloc(rs->n + 1, sizeof(*s->free_rules));
	if (!s->rules || !s->free_rules || parse_headers(s))
		goto fail;

	for (int f = 0; f < F__N; f++) {
		struct l7_field *F = &s->f[f];
		size_t n = 0;

		for (size_t i = 0; i < rs->n; i++) {
			s->rules[i].pat[f] = -1;
			if (rule_field(&s->src.rules[i], f))
				pr[n++] = (struct pref){
					rule_field(&s->src.rules[i], f),
					(__u32)i};
		}
		if (!n)
			continue;
		qsort(pr, n, sizeof(*pr), pref_cmp);
		share[f] = calloc(n + 1, sizeof(*share[f]));
		if (!share[f])
			goto fail;
		for (size_t i = 0; i < n; i++) {
			if (!i || strcmp(pr[i].re, pr[i - 1].re))
				pats[F->n_pat++] = pr[i].re;
			s->rules[pr[i].rule].pat[f] = (__s32)F->n_pat - 1;
			share[f][F->n_pat - 1]++;
		}
		snprintf(what, sizeof(what), "l7 ruleset %u: %s", rs->id,
			 field_name[f]);
		ret = field_index(F, pats, err, what);
		if (ret)
			goto fail;
		ret = -ENOMEM;
	}

	/* each rule is checked from one field: the least shared regex */
	for (size_t i = 0; i < rs->n; i++) {
		struct l7_rule *r = &s->rules[i];
		__u32 best = UINT32_MAX;

		drv[i] = F__N;
		for (int k = 0; k < F__N; k++) {
			int f = field_pref[k];

			if (r->pat[f] >= 0 && share[f][r->pat[f]] < best) {
				best = share[f][r->pat[f]];
				drv[i] = (__u8)f;
			}
		}
		if (drv[i] != F__N)
			continue;
		if (!r->n_hdr) {
			if (s->allow_all < 0)
				s->allow_all = (int)i;
		} else {
			s->free_rules[s->n_free++] = (__u32)i;
		}
	}
	for (int f = 0; f < F__N; f++) {
		struct l7_field *F = &s->f[f];

		if (!F->n_pat)
			continue;
		/* rules by their regex, in rule order within one */
		F->drv_start = calloc(F->n_pat + 1, sizeof(*F->drv_start));
		F->drv = calloc(rs->n + 1, sizeof(*F->drv));
		free(share[f]);
		share[f] =
			calloc(F->n_pat, sizeof(*share[f])); /* now: cursors */
		if (!F->drv_start || !F->drv || !share[f])
			goto fail;
		for (size_t i = 0; i < rs->n; i++)
			if (drv[i] == f)
				F->drv_start[s->rules[i].pat[f] + 1]++;
		for (__u32 p = 0; p < F->n_pat; p++)
			F->drv_start[p + 1] += F->drv_start[p];
		for (size_t i = 0; i < rs->n; i++) {
			__u32 p;

			if (drv[i] != f)
				continue;
			p = (__u32)s->rules[i].pat[f];
			F->drv[F->drv_start[p] + share[f][p]++] = (__u32)i;
		}
	}
	ret = 0;
fail:
	for (int f = 0; f < F__N; f++)
		free(share[f]);
	free(pr);
	free(pats);
	free(drv);
	if (ret) {
		if (ret == -ENOMEM)
			xg_err_set(err, what, "out of memory");
		set_free(s);
		return NULL;
	}
	return s;
}

__u32 xg_l7_set_id(const struct xg_l7_set *s)
{
	return s->id;
}

size_t xg_l7_set_rules(const struct xg_l7_set *s)
{
	return s->n_rules;
}

/* ----------------------------------------------------------- tables -- */

static int rs_ptr_cmp(const void *a, const void *b)
{
	const struct xg_l7_ruleset *x = *(const struct xg_l7_ruleset *const *)a;
	const struct xg_l7_ruleset *y = *(const struct xg_l7_ruleset *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct xg_l7_set *find_set(struct xg_l7_set *const *v, size_t n,
				  __u32 id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->id == id)
			return v[mid];
		if (v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int scratch_for(hs_database_t *db, hs_scratch_t **proto)
{
	return !db || hs_alloc_scratch(db, proto) == HS_SUCCESS ? 0 : -ENOMEM;
}

static int table_workers(struct xg_l7_table *t, struct xg_err *err)
{
	hs_scratch_t *proto = NULL;
	int ret = 0;

	for (size_t i = 0; i < t->n && !ret; i++)
		for (int f = 0; f < F__N && !ret; f++) {
			const struct l7_field *F = &t->sets[i]->f[f];

			if (F->n_pat > t->max_pat[f])
				t->max_pat[f] = F->n_pat;
			ret = scratch_for(F->fb, &proto);
			for (__u32 k = 0; k < F->n_rdb && !ret; k++)
				ret = scratch_for(F->rdb[k], &proto);
		}
	if (ret)
		goto fail;
	t->w = aligned_alloc(64, t->n_workers * sizeof(*t->w));
	if (!t->w) {
		ret = -ENOMEM;
		goto fail;
	}
	memset(t->w, 0, t->n_workers * sizeof(*t->w));
	for (unsigned k = 0; k < t->n_workers; k++) {
		struct l7_worker *w = &t->w[k];

		if (proto && hs_clone_scratch(proto, &w->scratch) != HS_SUCCESS)
			ret = -ENOMEM;
		for (int f = 0; f < F__N && !ret; f++) {
			w->stamp[f] =
				calloc(t->max_pat[f] + 1, sizeof(*w->stamp[f]));
			w->hit[f] =
				calloc(t->max_pat[f] + 1, sizeof(*w->hit[f]));
			if (!w->stamp[f] || !w->hit[f])
				ret = -ENOMEM;
		}
		if (ret)
			break;
	}
fail:
	hs_free_scratch(proto);
	if (ret)
		xg_err_set(err, "l7 table",
			   "out of memory (Hyperscan scratch or marks)");
	return ret;
}

void xg_l7_table_free(struct xg_l7_table *t)
{
	if (!t)
		return;
	for (unsigned k = 0; t->w && k < t->n_workers; k++) {
		hs_free_scratch(t->w[k].scratch);
		for (int f = 0; f < F__N; f++) {
			free(t->w[k].stamp[f]);
			free(t->w[k].hit[f]);
		}
	}
	free(t->w);
	for (size_t i = 0; i < t->n; i++)
		set_put(t->sets[i]);
	free(t->sets);
	free(t);
}

struct xg_l7_table *xg_l7_table_build(const struct xg_l7_ruleset *rs, size_t n,
				      unsigned n_workers,
				      const struct xg_l7_table *prev,
				      struct xg_err *err)
{
	struct xg_l7_table *t = calloc(1, sizeof(*t));
	const struct xg_l7_ruleset **ord = calloc(n + 1, sizeof(*ord));

	if (!t || !ord) {
		xg_err_set(err, "l7 table", "out of memory");
		goto fail;
	}
	if (!n_workers) {
		xg_err_set(err, "l7 table", "no workers");
		goto fail;
	}
	t->n_workers = n_workers;
	t->sets = calloc(n + 1, sizeof(*t->sets));
	if (!t->sets) {
		xg_err_set(err, "l7 table", "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = &rs[i];
	if (n)
		qsort(ord, n, sizeof(*ord), rs_ptr_cmp);
	for (size_t i = 0; i < n; i++) {
		struct xg_l7_set *s;

		if (t->n && t->sets[t->n - 1]->id == ord[i]->id) {
			if (ruleset_eq(&t->sets[t->n - 1]->src, ord[i]))
				continue;
			xg_err_set(err, "l7 table",
				   "ruleset id %u is given twice with "
				   "different rules",
				   ord[i]->id);
			goto fail;
		}
		s = prev ? find_set(prev->sets, prev->n, ord[i]->id) : NULL;
		if (s && ruleset_eq(&s->src, ord[i])) {
			__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
		} else {
			s = set_build(ord[i], err);
			if (!s)
				goto fail;
		}
		t->sets[t->n++] = s;
	}
	if (table_workers(t, err))
		goto fail;
	free(ord);
	return t;

fail:
	free(ord);
	xg_l7_table_free(t);
	return NULL;
}

size_t xg_l7_table_size(const struct xg_l7_table *t)
{
	return t->n;
}

unsigned xg_l7_table_workers(const struct xg_l7_table *t)
{
	return t->n_workers;
}

const struct xg_l7_set *xg_l7_table_find(const struct xg_l7_table *t, __u32 id)
{
	return t ? find_set(t->sets, t->n, id) : NULL;
}

/* --------------------------------------------------------- matching -- */

struct mctx {
	const __u32 *map; /* database pattern -> regex */
	__u32 *stamp, *hit, *n_hit;
	__u32 gen;
};

static void mark(struct mctx *m, __u32 p)
{
	if (m->stamp[p] == m->gen)
		return;
	m->stamp[p] = m->gen;
	m->hit[(*m->n_hit)++] = p;
}

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *arg)
{
	struct mctx *m = arg;

	mark(m, m->map[id]);
	return 0;
}

static const struct l7_grp *grp_find(const struct l7_field *F, __u32 len,
				     __u64 h, const char *v)
{
	__u64 m = tab_mix(h, len);
	__u32 tag = tab_tag(m);

	for (__u32 i = (__u32)m & F->tab_mask; F->tab[i].tag;
	     i = (i + 1) & F->tab_mask) {
		const struct l7_grp *g;

		if (F->tab[i].tag != tag)
			continue;
		g = &F->grp[F->tab[i].grp];
		if (g->hash == h && g->len == len && !memcmp(g->lit, v, len))
			return g;
	}
	return NULL;
}

/* Marks every regex of F that matches v whole. */
static int field_scan(const struct l7_field *F, const char *v, size_t n,
		      hs_scratch_t *scratch, struct mctx *m)
{
	size_t lim = n < F->max_len ? n : F->max_len;
	__u64 h = FNV_BASIS;

	m->map = F->fb_map;
	if (F->fb && hs_scan(F->fb, v, (unsigned int)n, 0, scratch, on_match,
			     m) != HS_SUCCESS)
		return -EIO;
	for (size_t l = 1; l <= lim; l++) {
		const struct l7_grp *g;

		h = (h ^ (unsigned char)v[l - 1]) * FNV_PRIME;
		if (!(F->lens[l >> 6] >> (l & 63) & 1))
			continue;
		g = grp_find(F, (__u32)l, h, v);
		if (!g)
			continue;
		for (__u32 k = 0; l == n && k < g->n_ex; k++)
			mark(m, F->exv[g->ex + k]);
		if (g->rdb < 0)
			continue;
		m->map = F->pmap + g->map;
		if (hs_scan(F->rdb[g->rdb], v + l, (unsigned int)(n - l), 0,
			    scratch, on_match, m) != HS_SUCCESS)
			return -EIO;
	}
	return 0;
}

static bool hdrs_ok(const struct xg_l7_set *s, const struct l7_rule *r,
		    const struct xg_l7_request *rq)
{
	for (__u32 k = 0; k < r->n_hdr; k++) {
		const struct l7_hspec *want = &s->hdrs[r->hdr + k];
		bool ok = false;

		for (size_t j = 0; j < rq->n_hdrs && !ok; j++) {
			const struct xg_l7_hdr *h = &rq->hdrs[j];

			if (h->name_n != want->name_n ||
			    strncasecmp(h->name, want->name, want->name_n))
				continue;
			ok = !want->value ||
			     (h->value_n == want->value_n &&
			      (!h->value_n ||
			       !memcmp(h->value, want->value, h->value_n)));
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool others_ok(const struct l7_worker *w, const struct l7_rule *r,
		      int from)
{
	for (int f = 0; f < F__N; f++)
		if (f != from && r->pat[f] >= 0 &&
		    w->stamp[f][r->pat[f]] != w->gen)
			return false;
	return true;
}

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Rules that allow rq: the first (max == 0) or every one. */
static int eval(const struct xg_l7_table *t, unsigned worker,
		const struct xg_l7_set *s, const struct xg_l7_request *rq,
		int *rules, size_t max, bool all)
{
	const char *val[F__N] = {rq->method, rq->path, rq->host};
	size_t len[F__N] = {rq->method_n, rq->path_n, rq->host_n};
	struct l7_worker *w;
	int found = 0;

	if (!t || !rq || worker >= t->n_workers)
		return -EINVAL;
	if (!s || !s->n_rules)
		return 0;
	if (s->allow_all >= 0 && !all) {
		rules[0] = s->allow_all;
		return 1;
	}
	w = &t->w[worker];
	if (++w->gen == 0) { /* once in 2^32 requests */
		for (int f = 0; f < F__N; f++)
			memset(w->stamp[f], 0,
			       (t->max_pat[f] + 1) * sizeof(__u32));
		w->gen = 1;
	}
	for (int f = 0; f < F__N; f++) {
		struct mctx m = {.stamp = w->stamp[f],
				 .hit = w->hit[f],
				 .n_hit = &w->n_hit[f],
				 .gen = w->gen};

		w->n_hit[f] = 0;
		if (!s->f[f].n_pat || !val[f])
			continue;
		if (len[f] > UINT32_MAX ||
		    field_scan(&s->f[f], val[f], len[f], w->scratch, &m))
			return -EIO;
	}

#define FOUND(r)                                 \
	do {                                     \
		if (!all) {                      \
			rules[0] = (int)(r);     \
			return 1;                \
		}                                \
		if ((size_t)found < max)         \
			rules[found] = (int)(r); \
		found++;                         \
	} while (0)

	if (all && s->allow_all >= 0)
		for (size_t i = 0; i < s->n_rules; i++) /* every rule */
			if (s->rules[i].pat[F_METHOD] < 0 &&
			    s->rules[i].pat[F_PATH] < 0 &&
			    s->rules[i].pat[F_HOST] < 0 && !s->rules[i].n_hdr)
				FOUND(i);
	for (size_t i = 0; i < s->n_free; i++)
		if (hdrs_ok(s, &s->rules[s->free_rules[i]], rq))
			FOUND(s->free_rules[i]);
	for (int f = 0; f < F__N; f++) {
		const struct l7_field *F = &s->f[f];

		for (__u32 k = 0; k < w->n_hit[f]; k++) {
			__u32 p = w->hit[f][k];

			for (__u32 j = F->drv_start[p]; j < F->drv_start[p + 1];
			     j++) {
				const struct l7_rule *r = &s->rules[F->drv[j]];

				if (others_ok(w, r, f) && hdrs_ok(s, r, rq))
					FOUND(F->drv[j]);
			}
		}
	}
#undef FOUND
	if (found > 1)
		qsort(rules, (size_t)found < max ? (size_t)found : max,
		      sizeof(*rules), int_cmp);
	return found;
}

int xg_l7_match(const struct xg_l7_table *t, unsigned worker,
		const struct xg_l7_set *s, const struct xg_l7_request *rq,
		int *rule)
{
	int r = -1, ret = eval(t, worker, s, rq, &r, 1, false);

	if (rule)
		*rule = ret == 1 ? r : -1;
	return ret;
}

int xg_l7_match_all(const struct xg_l7_table *t, unsigned worker,
		    const struct xg_l7_set *s, const struct xg_l7_request *rq,
		    int *rules, size_t max)
{
	return eval(t, worker, s, rq, rules, max, true);
}
