// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory of a doc set: every string and array the parser hands out is a
 * separate allocation linked into the set, so one xg_doc_set_free
 * releases them all and a failed parse releases a half-built set the
 * same way.  (Separate allocations rather than an arena: the sanitizer
 * then catches an overrun of any one array.)
 */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc_int.h"

struct blk {
	struct blk *next;
	alignas(max_align_t) unsigned char data[];
};

struct xg_doc_mem {
	struct blk *head;
};

void *xgd_alloc(struct xgd_ctx *c, size_t size)
{
	struct xg_doc_set *s = c->set;
	struct blk *b;

	if (!s->mem) {
		s->mem = calloc(1, sizeof(*s->mem));
		if (!s->mem)
			goto nomem;
	}
	if (size > SIZE_MAX - sizeof(*b))
		goto nomem;
	b = malloc(sizeof(*b) + size);
	if (!b)
		goto nomem;
	memset(b->data, 0, size);
	b->next = s->mem->head;
	s->mem->head = b;
	return b->data;
nomem:
	xgd_nomem(c);
	return NULL;
}

void *xgd_alloc_array(struct xgd_ctx *c, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		xgd_nomem(c);
		return NULL;
	}
	return xgd_alloc(c, n * size);
}

char *xgd_strndup(struct xgd_ctx *c, const char *s, size_t len)
{
	char *p = xgd_alloc(c, len + 1);

	if (p)
		memcpy(p, s, len);
	return p;
}

/* The set-level arrays grow by doubling: the capacity is the power of
 * two at or above n, so it needs no field of its own. */
void *xgd_grow(struct xgd_ctx *c, void **arr, size_t *n, size_t size)
{
	unsigned char *p = *arr;

	if (*n == 0 || (*n >= 4 && !(*n & (*n - 1)))) {
		size_t cap = *n ? 2 * *n : 4;

		if (cap > SIZE_MAX / size) {
			xgd_nomem(c);
			return NULL;
		}
		p = realloc(p, cap * size);
		if (!p) {
			xgd_nomem(c);
			return NULL;
		}
		*arr = p;
	}
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

void xg_doc_set_free(struct xg_doc_set *s)
{
	if (!s)
		return;
	if (s->mem) {
		while (s->mem->head) {
			struct blk *next = s->mem->head->next;

			free(s->mem->head);
			s->mem->head = next;
		}
		free(s->mem);
	}
	free(s->cnps);
	free(s->endpoints);
	free(s->services);
	memset(s, 0, sizeof(*s));
}
