/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records (rule origins, identities) and the strings they point to, in
 * one refcounted block of their own, so the records can outlive the pool
 * their strings came from and be shared rather than copied: the compile
 * cache keeps a policy file's origins in one, and every compiled state
 * that replays that file points into it and holds a reference
 * (compile.c).
 *
 * The strings are the fields at the given offsets of each record, each a
 * NUL-terminated `const char *`, never NULL.  A field whose pointer
 * equals the same field's in the record before is stored once (an
 * item's policy and file are the previous item's).
 */
#ifndef XGATE_CTRL_POLICY_STRBLOCK_H
#define XGATE_CTRL_POLICY_STRBLOCK_H

#include <stddef.h>
#include <stdlib.h>

struct xg_strblock {
	unsigned refs; /* one control thread takes and drops them */
	size_t len; /* bytes in v */
	char v[] __attribute__((aligned(16))); /* [pre][records][strings] */
};

#define XG_ALIGN16(n) (((n) + 15) & ~(size_t)15)

/*
 * A block of `pre` bytes for the caller (at v, 16-byte aligned), then a
 * copy of recs[0..n) (*copy, 16-byte aligned) pointing at copies of
 * their strings, then the strings.  recs is not changed.  0 or -ENOMEM.
 */
int xg_strblock_pack(size_t pre, const void *recs, size_t n, size_t size,
		     const size_t *offs, size_t n_offs,
		     struct xg_strblock **out, void **copy);
/* A block of the strings recs point to, recs pointed there.  0 or
 * -ENOMEM (recs unchanged). */
int xg_strblock_pack_strings(void *recs, size_t n, size_t size,
			     const size_t *offs, size_t n_offs,
			     struct xg_strblock **out);

static inline void xg_strblock_unref(struct xg_strblock *b)
{
	if (b && !--b->refs)
		free(b);
}

#endif /* XGATE_CTRL_POLICY_STRBLOCK_H */
