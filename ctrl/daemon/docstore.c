// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's documents by store key; see docstore.h. */
#include <errno.h>
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

int xg_docstore_put(struct xg_docstore *d, const char *key, const char *buf,
		    size_t len)
{
	struct xg_doc_set set = {};
	struct xg_err err = {};
	struct xg_docent *e;
	char msg[512];
	int ret;

	/* The text enforced already (a resync reads every key again): no
	 * parse, and the set keeps its generation, so the compile cache
	 * keeps what it made of it. */
	e = find(d, key, &(size_t){ 0 });
	if (e && e->has_set && e->text && e->text_len == len &&
	    !memcmp(e->text, buf, len)) {
		e->seen = true;
		free(e->error); /* a newer bad version was replaced by this */
		e->error = NULL;
		return 0;
	}
	ret = xg_doc_parse_buf(key, buf, len, &set, &err);
	e = insert(d, key);
	if (!e) {
		xg_doc_set_free(&set);
		return -ENOMEM;
	}
	e->seen = true;
	free(e->error);
	e->error = NULL;
	if (ret) {
		e->error = strdup(xg_err_str(&err, msg, sizeof(msg)));
		pr_warn("%s: rejected, the previous version stays enforced\n",
			e->error ? e->error : key);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	if (e->has_set)
		xg_doc_set_free(&e->set);
	e->set = set;
	e->has_set = true;
	free(e->text);
	e->text = malloc(len + 1);
	e->text_len = e->text ? len : 0;
	if (e->text) {
		memcpy(e->text, buf, len);
		e->text[len] = '\0';
	}
	return 1;
}

static void ent_free(struct xg_docent *e)
{
	if (e->has_set)
		xg_doc_set_free(&e->set);
	free(e->text);
	free(e->error);
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
	ent_free(e);
	memmove(&d->v[pos], &d->v[pos + 1], (d->n - pos - 1) * sizeof(*d->v));
	d->n--;
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
		ent_free(&d->v[i]);
		gone++;
	}
	d->n = w;
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
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].error != NULL;
	return n;
}

void xg_docstore_free(struct xg_docstore *d)
{
	for (size_t i = 0; i < d->n; i++)
		ent_free(&d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}
