// SPDX-License-Identifier: GPL-2.0-only
/* String pool: see strpool.h. */
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

#define XG_STRBLK_MIN (64 * 1024)

struct xg_strblk {
	struct xg_strblk *next;
	size_t used, cap;
	char data[];
};

/* Room for n bytes at the end of the newest block (a new block when
 * it has none). */
static char *room(struct xg_strpool *p, size_t n)
{
	struct xg_strblk *b = p->blk;
	char *at;

	if (!b || b->cap - b->used < n) {
		size_t cap = n > XG_STRBLK_MIN ? n : XG_STRBLK_MIN;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = p->blk;
		b->used = 0;
		b->cap = cap;
		p->blk = b;
	}
	at = b->data + b->used;
	b->used += n;
	return at;
}

char *xg_strpool_add(struct xg_strpool *p, const char *s, size_t len)
{
	char *d = room(p, len + 1);

	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *xg_strpool_join(struct xg_strpool *p, const char *a, char sep,
		      const char *b)
{
	size_t la = strlen(a), lb = strlen(b), ls = sep != 0;
	char *d = room(p, la + ls + lb + 1);

	if (!d)
		return NULL;
	memcpy(d, a, la);
	if (ls)
		d[la] = sep;
	memcpy(d + la + ls, b, lb);
	d[la + ls + lb] = '\0';
	return d;
}

char *xg_strpool_copy(struct xg_strpool *p, const char *strs, size_t n)
{
	char *d = room(p, n ? n : 1);

	if (d && n)
		memcpy(d, strs, n);
	return d;
}

void xg_strpool_free(struct xg_strpool *p)
{
	while (p->blk) {
		struct xg_strblk *next = p->blk->next;

		free(p->blk);
		p->blk = next;
	}
}
