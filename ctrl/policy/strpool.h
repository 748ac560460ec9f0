/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A string pool: many short strings that live and die together (a
 * compiled state's rule origins and identity labels), copied into large
 * blocks rather than allocated one by one.  A string's address never
 * changes while the pool lives.
 */
#ifndef XGATE_CTRL_POLICY_STRPOOL_H
#define XGATE_CTRL_POLICY_STRPOOL_H

#include <stddef.h>

struct xg_strblk;

struct xg_strpool {
	struct xg_strblk *blk; /* the newest block first */
};

/* A NUL-terminated copy of s[0..len) (len bytes, then a NUL), or NULL
 * when out of memory. */
char *xg_strpool_add(struct xg_strpool *p, const char *s, size_t len);
/* a, then sep (when not 0), then b. */
char *xg_strpool_join(struct xg_strpool *p, const char *a, char sep,
		      const char *b);
/* n bytes holding NUL-terminated strings, copied as they are. */
char *xg_strpool_copy(struct xg_strpool *p, const char *strs, size_t n);
void xg_strpool_free(struct xg_strpool *p);

#endif /* XGATE_CTRL_POLICY_STRPOOL_H */
