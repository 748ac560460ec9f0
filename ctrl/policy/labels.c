// SPDX-License-Identifier: GPL-2.0-only
/* Endpoint label sets and selector matching; see labels.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

static int label_cmp(const void *a, const void *b)
{
	const struct xg_label *x = a, *y = b;
	int c = strcmp(x->source, y->source);

	return c ? c : strcmp(x->name, y->name);
}

static void label_fill(struct xg_label *l, const char *source,
		       const char *name, const char *value)
{
	snprintf(l->source, sizeof(l->source), "%s",
		 source && *source ? source : "k8s");
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->value, sizeof(l->value), "%s", value ? value : "");
}

int xg_label_set_of_endpoint(const struct xg_endpoint_doc *ep,
			     struct xg_label_set *out)
{
	struct xg_label *v = calloc(ep->n_labels + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ep->n_labels; i++) {
		const struct xg_doc_label *l = &ep->labels[i];

		/* the namespace is the document's, not a label's to claim */
		if (!strcmp(l->k.name, XG_NS_LABEL))
			continue;
		label_fill(&v[n++], l->k.source, l->k.name, l->value);
	}
	label_fill(&v[n++], "k8s", XG_NS_LABEL, ep->ns ? ep->ns : "default");
	qsort(v, n, sizeof(*v), label_cmp);
	out->v = v;
	out->n = n;
	return 0;
}

void xg_label_set_free(struct xg_label_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int xg_label_set_key(const struct xg_label_set *s, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		int w = snprintf(buf + off, len - off, "%s%s:%s=%s",
				 i ? ";" : "", s->v[i].source, s->v[i].name,
				 s->v[i].value);

		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += (size_t)w;
	}
	return (int)off;
}

/* A label as label_fill() would store it, by reference: each part cut
 * to what its xg_label field holds, so that sorting and printing give
 * byte for byte what the struct path gives. */
struct lref {
	const char *p[3]; /* source, name, value */
	int n[3];
};

static void lref_fill(struct lref *r, const char *source, const char *name,
		      const char *value)
{
	static const int max[3] = { sizeof(((struct xg_label *)0)->source) - 1,
				    sizeof(((struct xg_label *)0)->name) - 1,
				    sizeof(((struct xg_label *)0)->value) - 1 };

	r->p[0] = source && *source ? source : "k8s";
	r->p[1] = name;
	r->p[2] = value ? value : "";
	for (int i = 0; i < 3; i++)
		r->n[i] = (int)strnlen(r->p[i], (size_t)max[i]);
}

static int part_cmp(const char *a, int na, const char *b, int nb)
{
	int c = memcmp(a, b, (size_t)(na < nb ? na : nb));

	return c ? c : na - nb;
}

/* label_cmp() on references */
static int lref_cmp(const struct lref *x, const struct lref *y)
{
	int c = part_cmp(x->p[0], x->n[0], y->p[0], y->n[0]);

	return c ? c : part_cmp(x->p[1], x->n[1], y->p[1], y->n[1]);
}

/* Labels per endpoint sorted in place; more than this take the struct
 * path (insertion sort is quadratic). */
#define LREF_MAX 32

int xg_label_key_of_endpoint(const struct xg_endpoint_doc *ep, char *buf,
			     size_t len)
{
	struct lref v[LREF_MAX + 1];
	size_t n = 0, off = 0;

	if (ep->n_labels > LREF_MAX) {
		struct xg_label_set s;
		int ret = xg_label_set_of_endpoint(ep, &s);

		if (ret)
			return ret;
		ret = xg_label_set_key(&s, buf, len);
		xg_label_set_free(&s);
		return ret;
	}
	for (size_t i = 0; i < ep->n_labels; i++) {
		const struct xg_doc_label *l = &ep->labels[i];

		if (!strcmp(l->k.name, XG_NS_LABEL))
			continue;
		lref_fill(&v[n++], l->k.source, l->k.name, l->value);
	}
	lref_fill(&v[n++], "k8s", XG_NS_LABEL, ep->ns ? ep->ns : "default");
	/* Stable, as glibc's qsort (a merge sort) is for these: labels
	 * that tie (app and k8s:app) keep their document order. */
	for (size_t i = 1; i < n; i++) {
		struct lref t = v[i];
		size_t j = i;

		for (; j && lref_cmp(&v[j - 1], &t) > 0; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		/* "%s%s:%s=%s", as xg_label_set_key() */
		size_t need = (i ? 1 : 0) + (size_t)v[i].n[0] + 1 +
			      (size_t)v[i].n[1] + 1 + (size_t)v[i].n[2];

		if (off + need >= len)
			return -ENOSPC;
		if (i)
			buf[off++] = ';';
		memcpy(buf + off, v[i].p[0], (size_t)v[i].n[0]);
		off += (size_t)v[i].n[0];
		buf[off++] = ':';
		memcpy(buf + off, v[i].p[1], (size_t)v[i].n[1]);
		off += (size_t)v[i].n[1];
		buf[off++] = '=';
		memcpy(buf + off, v[i].p[2], (size_t)v[i].n[2]);
		off += (size_t)v[i].n[2];
		buf[off] = '\0';
	}
	return (int)off;
}

/* The label a selector key names, or NULL.  No source or "any" matches
 * any source (the first such label: Kubernetes names are unique per
 * source, and endpoints here carry k8s labels). */
static const struct xg_label *find(const struct xg_label_set *s,
				   const struct xg_doc_lkey *k)
{
	bool any = !k->source || !*k->source || !strcmp(k->source, "any");

	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, k->name))
			continue;
		if (any || !strcmp(s->v[i].source, k->source))
			return &s->v[i];
	}
	return NULL;
}

static bool value_in(const struct xg_doc_sel_expr *e, const char *v)
{
	for (size_t i = 0; i < e->n_values; i++)
		if (!strcmp(e->values[i], v))
			return true;
	return false;
}

bool xg_selector_names_namespace(const struct xg_doc_selector *sel)
{
	for (size_t i = 0; i < sel->n_labels; i++)
		if (!strcmp(sel->labels[i].k.name, XG_NS_LABEL))
			return true;
	for (size_t i = 0; i < sel->n_exprs; i++)
		if (!strcmp(sel->exprs[i].k.name, XG_NS_LABEL))
			return true;
	return false;
}

bool xg_selector_matches(const struct xg_doc_selector *sel,
			 const struct xg_label_set *s, const char *ns_restrict)
{
	if (ns_restrict && !xg_selector_names_namespace(sel)) {
		struct xg_doc_lkey nk = { .key = XG_NS_LABEL, .source = "k8s",
					  .name = XG_NS_LABEL };
		const struct xg_label *l = find(s, &nk);

		if (!l || strcmp(l->value, ns_restrict))
			return false;
	}
	for (size_t i = 0; i < sel->n_labels; i++) {
		const struct xg_label *l = find(s, &sel->labels[i].k);

		if (!l || strcmp(l->value, sel->labels[i].value))
			return false;
	}
	for (size_t i = 0; i < sel->n_exprs; i++) {
		const struct xg_doc_sel_expr *e = &sel->exprs[i];
		const struct xg_label *l = find(s, &e->k);

		switch (e->op) {
		case XG_SEL_IN:
			if (!l || !value_in(e, l->value))
				return false;
			break;
		case XG_SEL_NOT_IN:
			if (l && value_in(e, l->value))
				return false;
			break;
		case XG_SEL_EXISTS:
			if (!l)
				return false;
			break;
		case XG_SEL_DOES_NOT_EXIST:
			if (l)
				return false;
			break;
		}
	}
	return true;
}
