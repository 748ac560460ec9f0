/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A set of (subject identity, direction) pairs, for the compiler's "is
 * this subject enforced in this direction" (compile.c).
 *
 * Subjects are endpoint identities, which a cluster numbers densely from
 * 256 up, so a bit per pair indexed by the identity is a few kilobytes
 * at 10,000 label sets and stays in the cache; a hash of 20,000 pairs
 * did not, and cost a cache miss per cached policy source replayed.
 * Identities at or above XG_PAIRSET_DENSE (none a cluster hands out
 * today; CIDR identities, 1 << 24 up, are never subjects) go to a hash,
 * so any 32-bit identity still works, at a probe's cost.
 */
#ifndef XGATE_CTRL_POLICY_PAIRSET_H
#define XGATE_CTRL_POLICY_PAIRSET_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "hashtab.h"
#include "xdp/abi.h"

#define XG_PAIRSET_DENSE (1u << 20) /* bitmap of 256 KB at most */

struct xg_pairset {
	__u64 *bits; /* bit 2 * subject + (dir is egress) */
	size_t words;
	struct xg_u64map big; /* subject << 8 | dir, for the rest */
};

/* dir: XG_DIR_INGRESS or XG_DIR_EGRESS, the only two there are */
static inline __u64 xg_pairset_bit(__u32 subject, __u8 dir)
{
	return 2 * (__u64)subject + (dir == XG_DIR_EGRESS);
}

static inline bool xg_pairset_has(const struct xg_pairset *s, __u32 subject,
				  __u8 dir)
{
	__u64 bit = xg_pairset_bit(subject, dir);

	if (subject >= XG_PAIRSET_DENSE)
		return xg_u64map_get(&s->big, (__u64)subject << 8 | dir) != NULL;
	return bit / 64 < s->words && (s->bits[bit / 64] >> (bit % 64) & 1);
}

/* Adds the pair; *added says whether it was new.  0 or -ENOMEM. */
static inline int xg_pairset_add(struct xg_pairset *s, __u32 subject, __u8 dir,
				 bool *added)
{
	__u64 bit = xg_pairset_bit(subject, dir);
	size_t w = bit / 64;

	if (subject >= XG_PAIRSET_DENSE)
		return xg_u64map_put(&s->big, (__u64)subject << 8 | dir, added) ?
			       0 :
			       -ENOMEM;
	if (w >= s->words) {
		size_t words = s->words ? s->words : 64;
		__u64 *nb;

		while (words <= w)
			words *= 2;
		nb = realloc(s->bits, words * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + s->words, 0, (words - s->words) * sizeof(*nb));
		s->bits = nb;
		s->words = words;
	}
	*added = !(s->bits[w] >> (bit % 64) & 1);
	s->bits[w] |= 1ull << (bit % 64);
	return 0;
}

static inline void xg_pairset_free(struct xg_pairset *s)
{
	free(s->bits);
	xg_u64map_free(&s->big);
	memset(s, 0, sizeof(*s));
}

#endif /* XGATE_CTRL_POLICY_PAIRSET_H */
