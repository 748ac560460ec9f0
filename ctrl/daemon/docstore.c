// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's documents by store key; see docstore.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docstore.h"
#include "ctrl/log.h"

static struct xg_docent *find(struct xg_docstore *d, const char *key,
			      size_t *pos)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->v[mid].key, key);

		if (!c)
			return &d->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return NULL;
}

static struct xg_docent *insert(struct xg_docstore *d, const char *key)
{
	size_t pos = 0;
	struct xg_docent *e = find(d, key, &pos);

	if (e)
		return e;
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;
		struct xg_docent *nv = realloc(d->v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		d->v = nv;
		d->cap = nc;
		d->view.stale = true; /* it points into the old array */
	}
	memmove(&d->v[pos + 1], &d->v[pos], (d->n - pos) * sizeof(*d->v));
	memset(&d->v[pos], 0, sizeof(*d->v));
	d->v[pos].key = strdup(key);
	if (!d->v[pos].key) {
		memmove(&d->v[pos], &d->v[pos + 1], (d->n - pos) * sizeof(*d->v));
		return NULL;
	}
	d->n++;
	return &d->v[pos];
}

/* Every change of an entry's error goes through here: the store counts
 * them, so that asking for the count costs nothing at 110,000 keys. */
static void set_error(struct xg_docstore *d, struct xg_docent *e, char *error)
{
	d->n_errors -= e->error != NULL;
	free(e->error);
	e->error = error;
	d->n_errors += e->error != NULL;
}

/* Holds the text enforced already? */
static bool holds(const struct xg_docent *e, const char *buf, size_t len)
{
	return e && e->has_set && e->text && e->text_len == len &&
	       !memcmp(e->text, buf, len);
}

static void parse_req(struct xg_docstore_req *r)
{
	int ret = xg_doc_parse_buf(r->key, r->buf, r->len, &r->set, &r->err);

	r->parsed = ret ? ret : 1;
}

struct parse_pool {
	struct xg_docstore_req **todo;
	size_t n;
	size_t next; /* atomic */
};

static void *parse_worker(void *arg)
{
	struct parse_pool *p = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->n)
		parse_req(p->todo[i]);
	return NULL;
}

void xg_docstore_parse_ahead(const struct xg_docstore *d,
			     struct xg_docstore_req *r, size_t n,
			     unsigned threads)
{
	struct parse_pool p = {};
	pthread_t thr[XG_DOCSTORE_MAX_THREADS];
	unsigned started = 0;

	p.todo = malloc((n + 1) * sizeof(*p.todo));
	if (!p.todo)
		return; /* each is parsed when it is put */
	for (size_t i = 0; i < n; i++)
		if (!r[i].parsed &&
		    !holds(find((struct xg_docstore *)d, r[i].key, &(size_t){ 0 }),
			   r[i].buf, r[i].len))
			p.todo[p.n++] = &r[i];
	if (threads > XG_DOCSTORE_MAX_THREADS)
		threads = XG_DOCSTORE_MAX_THREADS;
	/* a thread is worth starting for a few dozen documents, not one */
	while (started + 1 < threads && (started + 1) * 32 < p.n &&
	       !pthread_create(&thr[started], NULL, parse_worker, &p))
		started++;
	parse_worker(&p);
	for (unsigned t = 0; t < started; t++)
		pthread_join(thr[t], NULL);
	free(p.todo);
}

void xg_docstore_req_free(struct xg_docstore_req *r)
{
	if (r->parsed == 1)
		xg_doc_set_free(&r->set);
	r->parsed = 0;
}

/* What kinds of documents a set holds: the view's index depends on
 * these only, and on the generations of the sets with endpoints. */
static unsigned kinds(const struct xg_doc_set *s)
{
	return (s->n_cnps ? 1u : 0) | (s->n_endpoints ? 2u : 0) |
	       (s->n_services ? 4u : 0);
}

/* e's set is about to become next: keep the view or mark it stale. */
static void view_put(struct xg_docstore *d, struct xg_docent *e,
		     size_t n_before, const struct xg_doc_set *next)
{
	struct xg_docview *w = &d->view;

	if (w->stale || !w->src)
		return; /* built from scratch when asked for */
	if (d->n != n_before || !e->has_set || kinds(&e->set) != kinds(next) ||
	    (next->n_endpoints && !next->gen) ||
	    w->idx.n_ep_gens == SIZE_MAX) {
		w->stale = true;
		return;
	}
	if (next->n_endpoints)
		w->ep_gens[e->ep_at] = next->gen;
}

static void view_free(struct xg_docview *w)
{
	free(w->src);
	free(w->pol);
	free(w->svc);
	free(w->ep_gens);
	memset(w, 0, sizeof(*w));
	w->stale = true;
}

static int view_build(struct xg_docstore *d)
{
	struct xg_docview *w = &d->view;
	size_t n_ep = 0, n_pol = 0, n_svc = 0, k = 0;
	bool gen0 = false;

	if (w->cap < d->n + 1) {
		size_t cap = d->n + 1 + d->n / 4;

		view_free(w);
		w->src = malloc(cap * sizeof(*w->src));
		w->pol = malloc(cap * sizeof(*w->pol));
		w->svc = malloc(cap * sizeof(*w->svc));
		w->ep_gens = malloc(cap * sizeof(*w->ep_gens));
		if (!w->src || !w->pol || !w->svc || !w->ep_gens) {
			view_free(w);
			return -ENOMEM;
		}
		w->cap = cap;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct xg_docent *e = &d->v[i];

		if (!e->has_set)
			continue;
		w->src[k].name = e->key;
		w->src[k].set = &e->set;
		if (e->set.n_cnps)
			w->pol[n_pol++] = (__u32)k;
		if (e->set.n_services)
			w->svc[n_svc++] = (__u32)k;
		if (e->set.n_endpoints) {
			gen0 |= !e->set.gen;
			e->ep_at = (__u32)n_ep;
			w->ep_gens[n_ep++] = e->set.gen;
		}
		k++;
	}
	w->n_src = k;
	w->idx = (struct xg_compile_index){
		.pol = w->pol, .n_pol = n_pol, .svc = w->svc, .n_svc = n_svc,
		.ep_gens = w->ep_gens, .n_ep_gens = gen0 ? SIZE_MAX : n_ep,
	};
	w->stale = false;
	return 0;
}

const struct xg_compile_src *xg_docstore_view(struct xg_docstore *d,
					      size_t *n,
					      const struct xg_compile_index **idx)
{
	if ((d->view.stale || !d->view.src) && view_build(d))
		return NULL;
	*n = d->view.n_src;
	*idx = &d->view.idx;
	return d->view.src;
}

int xg_docstore_put_req(struct xg_docstore *d, struct xg_docstore_req *r)
{
	struct xg_docent *e;
	size_t n_before;
	char msg[512];
	int ret;

	/* The text enforced already (a resync reads every key again): no
	 * parse, and the set keeps its generation, so the compile cache
	 * keeps what it made of it. */
	e = find(d, r->key, &(size_t){ 0 });
	if (holds(e, r->buf, r->len)) {
		xg_docstore_req_free(r); /* parsed ahead of an earlier put */
		e->seen = true;
		set_error(d, e, NULL); /* a newer bad version was replaced */
		return 0;
	}
	if (!r->parsed)
		parse_req(r);
	ret = r->parsed == 1 ? 0 : r->parsed;
	r->parsed = 0; /* the set is ours now */
	n_before = d->n;
	e = insert(d, r->key);
	if (d->n != n_before)
		d->view.stale = true; /* entries moved */
	if (!e) {
		if (!ret)
			xg_doc_set_free(&r->set);
		return -ENOMEM;
	}
	e->seen = true;
	set_error(d, e, NULL);
	if (ret) {
		set_error(d, e, strdup(xg_err_str(&r->err, msg, sizeof(msg))));
		pr_warn("%s: rejected, the previous version stays enforced\n",
			e->error ? e->error : r->key);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	view_put(d, e, n_before, &r->set);
	if (e->has_set)
		xg_doc_set_free(&e->set);
	e->set = r->set;
	memset(&r->set, 0, sizeof(r->set));
	e->has_set = true;
	free(e->text);
	e->text = malloc(r->len + 1);
	e->text_len = e->text ? r->len : 0;
	if (e->text) {
		memcpy(e->text, r->buf, r->len);
		e->text[r->len] = '\0';
	}
	return 1;
}

int xg_docstore_put(struct xg_docstore *d, const char *key, const char *buf,
		    size_t len)
{
	struct xg_docstore_req r = { .key = key, .buf = buf, .len = len };

	return xg_docstore_put_req(d, &r);
}

static void ent_free(struct xg_docstore *d, struct xg_docent *e)
{
	if (e->has_set)
		xg_doc_set_free(&e->set);
	free(e->text);
	set_error(d, e, NULL);
	free(e->key);
}

int xg_docstore_del(struct xg_docstore *d, const char *key)
{
	size_t pos = 0;
	struct xg_docent *e = find(d, key, &pos);
	int had;

	if (!e)
		return 0;
	had = e->has_set;
	pos = (size_t)(e - d->v);
	ent_free(d, e);
	memmove(&d->v[pos], &d->v[pos + 1], (d->n - pos - 1) * sizeof(*d->v));
	d->n--;
	d->view.stale = true;
	return had;
}

void xg_docstore_mark(struct xg_docstore *d)
{
	for (size_t i = 0; i < d->n; i++)
		d->v[i].seen = false;
}

size_t xg_docstore_sweep(struct xg_docstore *d)
{
	size_t w = 0, gone = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].seen) {
			d->v[w++] = d->v[i];
			continue;
		}
		ent_free(d, &d->v[i]);
		gone++;
	}
	d->n = w;
	if (gone)
		d->view.stale = true;
	return gone;
}

int xg_docstore_sources(const struct xg_docstore *d,
			struct xg_compile_src **out, size_t *n)
{
	struct xg_compile_src *v = calloc(d->n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].has_set) {
			v[k].name = d->v[i].key;
			v[k].set = &d->v[i].set;
			k++;
		}
	*out = v;
	*n = k;
	return 0;
}

size_t xg_docstore_errors(const struct xg_docstore *d)
{
	return d->n_errors;
}

void xg_docstore_free(struct xg_docstore *d)
{
	for (size_t i = 0; i < d->n; i++)
		ent_free(d, &d->v[i]);
	free(d->v);
	view_free(&d->view);
	memset(d, 0, sizeof(*d));
}
