// SPDX-License-Identifier: GPL-2.0-only
/*
 * What must be unique within one file: an object (kind, namespace,
 * name), which becomes one kvstore key, and an endpoint address, which
 * can map to one endpoint only.  A small open-addressing hash table, so
 * a List of 10,000 endpoints costs 10,000 lookups, not 50 million
 * comparisons.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/abi.h"
#include "doc_int.h"

struct seen_ent {
	uint64_t hash;
	char *key; /* NULL: free slot */
	size_t len;
	int line;
};

struct xgd_seen {
	struct seen_ent *ents;
	size_t cap, n;
};

static uint64_t fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct seen_ent *slot(struct seen_ent *ents, size_t cap, uint64_t h,
			     const void *key, size_t len)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct seen_ent *e = &ents[i];

		if (!e->key || (e->hash == h && e->len == len &&
				!memcmp(e->key, key, len)))
			return e;
	}
}

static int grow(struct xgd_seen *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	struct seen_ent *ents = calloc(cap, sizeof(*ents));

	if (!ents)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		struct seen_ent *e = &s->ents[i];

		if (e->key)
			*slot(ents, cap, e->hash, e->key, e->len) = *e;
	}
	free(s->ents);
	s->ents = ents;
	s->cap = cap;
	return 0;
}

int xgd_seen(struct xgd_ctx *c, const void *key, size_t len, int line,
	     int *first)
{
	struct xgd_seen *s = c->seen;
	uint64_t h = fnv1a(key, len);
	struct seen_ent *e;

	if (!s) {
		s = c->seen = calloc(1, sizeof(*s));
		if (!s)
			return xgd_nomem(c);
	}
	if (2 * (s->n + 1) > s->cap && grow(s))
		return xgd_nomem(c);
	e = slot(s->ents, s->cap, h, key, len);
	if (e->key) {
		*first = e->line;
		return 1;
	}
	e->key = malloc(len);
	if (!e->key)
		return xgd_nomem(c);
	memcpy(e->key, key, len);
	e->hash = h;
	e->len = len;
	e->line = line;
	s->n++;
	return 0;
}

void xgd_seen_free(struct xgd_ctx *c)
{
	struct xgd_seen *s = c->seen;

	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->ents[i].key);
	free(s->ents);
	free(s);
	c->seen = NULL;
}

int xgd_seen_name(struct xgd_ctx *c, const struct xgd_node *doc,
		  const char *kind, const char *ns, const char *name)
{
	const struct xgd_node *meta = xgd_get(doc, "metadata");
	const struct xgd_node *at = xgd_get(meta, "name");
	char key[512];
	size_t mark;
	int n, first, ret;

	/* NUL-separated: no name can contain a NUL byte. */
	n = snprintf(key, sizeof(key), "N%s%c%s%c%s", kind, 0, ns ? ns : "",
		     0, name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return 0; /* longer than any valid name */
	ret = xgd_seen(c, key, (size_t)n, at->line, &first);
	if (ret <= 0)
		return ret;
	mark = xgd_push_key(c, "metadata", 8);
	xgd_push_key(c, "name", 4);
	ret = xgd_fail(c, at, "%s %s%s%s is already defined at line %d", kind,
		       ns ? ns : "", ns ? "/" : "", name, first);
	xgd_pop(c, mark);
	return ret;
}

int xgd_seen_addr(struct xgd_ctx *c, const struct xgd_node *at,
		  const struct xg_prefix *a)
{
	char key[2 + 16], buf[INET6_ADDRSTRLEN];
	int first, ret;

	key[0] = 'A';
	key[1] = (char)a->family;
	memcpy(key + 2, a->addr, 16);
	ret = xgd_seen(c, key, sizeof(key), at->line, &first);
	if (ret <= 0)
		return ret;
	inet_ntop(a->family == XG_FAMILY_V4 ? AF_INET : AF_INET6, a->addr, buf,
		  sizeof(buf));
	return xgd_fail(c, at,
			"address %s is given to an endpoint twice in this file (first at line %d)",
			buf, first);
}
