// SPDX-License-Identifier: GPL-2.0-only
/* A set of key strings; see keyset.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"

struct xg_keyset_node {
	struct xg_keyset_node *next;
	uint64_t h;
	size_t len;
	char key[]; /* NUL-terminated */
};

/* FNV-1a: keys are short paths; the bucket count is a power of two, so
 * the product's high bits are folded in. */
static uint64_t hash(const char *k, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static struct xg_keyset_node **slot(const struct xg_keyset *s, uint64_t h,
				    const char *key, size_t len)
{
	struct xg_keyset_node **p = &s->b[h & (s->n_b - 1)];

	for (; *p; p = &(*p)->next)
		if ((*p)->h == h && (*p)->len == len &&
		    !memcmp((*p)->key, key, len))
			break;
	return p;
}

static int grow(struct xg_keyset *s)
{
	size_t n_b = s->n_b ? s->n_b * 2 : 64;
	struct xg_keyset_node **b = calloc(n_b, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_b; i++) {
		struct xg_keyset_node *x = s->b[i], *next;

		for (; x; x = next) {
			next = x->next;
			x->next = b[x->h & (n_b - 1)];
			b[x->h & (n_b - 1)] = x;
		}
	}
	free(s->b);
	s->b = b;
	s->n_b = n_b;
	return 0;
}

int xg_keyset_add(struct xg_keyset *s, const char *key, size_t len)
{
	uint64_t h = hash(key, len);
	struct xg_keyset_node **p, *x;

	if (s->n >= s->n_b && grow(s))
		return -ENOMEM;
	p = slot(s, h, key, len);
	if (*p)
		return 0;
	x = malloc(sizeof(*x) + len + 1);
	if (!x)
		return -ENOMEM;
	x->next = NULL;
	x->h = h;
	x->len = len;
	memcpy(x->key, key, len);
	x->key[len] = '\0';
	*p = x;
	s->n++;
	return 1;
}

int xg_keyset_del(struct xg_keyset *s, const char *key, size_t len)
{
	struct xg_keyset_node **p, *x;

	if (!s->n)
		return 0;
	p = slot(s, hash(key, len), key, len);
	if (!*p)
		return 0;
	x = *p;
	*p = x->next;
	free(x);
	s->n--;
	return 1;
}

bool xg_keyset_has(const struct xg_keyset *s, const char *key, size_t len)
{
	return s->n && *slot(s, hash(key, len), key, len);
}

void xg_keyset_clear(struct xg_keyset *s)
{
	for (size_t i = 0; i < s->n_b; i++) {
		struct xg_keyset_node *x = s->b[i], *next;

		for (; x; x = next) {
			next = x->next;
			free(x);
		}
	}
	free(s->b);
	memset(s, 0, sizeof(*s));
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **xg_keyset_sorted(const struct xg_keyset *s, size_t *n)
{
	const char **v;
	size_t j = 0;

	*n = 0;
	if (!s->n)
		return NULL;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n_b; i++)
		for (struct xg_keyset_node *x = s->b[i]; x; x = x->next)
			v[j++] = x->key;
	qsort(v, j, sizeof(*v), by_key);
	*n = j;
	return v;
}
