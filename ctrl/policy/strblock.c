// SPDX-License-Identifier: GPL-2.0-only
/* Records and their strings in one refcounted block: strblock.h. */
#include <errno.h>
#include <string.h>

#include "strblock.h"

#define STR_FIELD(rec, size, i, off)                                           \
	((const char **)((char *)(rec) + (i) * (size) + (off)))

static size_t strings_len(const void *recs, size_t n, size_t size,
			  const size_t *offs, size_t n_offs)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < n_offs; f++) {
			const char *s = *STR_FIELD(recs, size, i, offs[f]);

			if (!i || s != *STR_FIELD(recs, size, i - 1, offs[f]))
				len += strlen(s) + 1;
		}
	return len;
}

/* The strings recs point to copied to `to`, and recs pointed there. */
static void strings_move(void *recs, size_t n, size_t size, const size_t *offs,
			 size_t n_offs, char *to)
{
	size_t len = 0;

	for (size_t f = 0; f < n_offs; f++) {
		const char *prev = NULL, *moved = NULL;

		for (size_t i = 0; i < n; i++) {
			const char **s = STR_FIELD(recs, size, i, offs[f]);

			if (!i || *s != prev) {
				size_t l = strlen(*s) + 1;

				prev = *s;
				memcpy(to + len, *s, l);
				moved = to + len;
				len += l;
			}
			*s = moved;
		}
	}
}

int xg_strblock_pack(size_t pre, const void *recs, size_t n, size_t size,
		     const size_t *offs, size_t n_offs,
		     struct xg_strblock **out, void **copy)
{
	size_t rec_at = XG_ALIGN16(pre), rec_len = XG_ALIGN16(n * size);
	size_t len = strings_len(recs, n, size, offs, n_offs);
	struct xg_strblock *b = malloc(sizeof(*b) + rec_at + rec_len + len + 1);

	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = rec_at + rec_len + len;
	if (n)
		memcpy(b->v + rec_at, recs, n * size);
	strings_move(b->v + rec_at, n, size, offs, n_offs,
		     b->v + rec_at + rec_len);
	*out = b;
	*copy = b->v + rec_at;
	return 0;
}

int xg_strblock_pack_strings(void *recs, size_t n, size_t size,
			     const size_t *offs, size_t n_offs,
			     struct xg_strblock **out)
{
	size_t len = strings_len(recs, n, size, offs, n_offs);
	struct xg_strblock *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = len;
	strings_move(recs, n, size, offs, n_offs, b->v);
	*out = b;
	return 0;
}
