// SPDX-License-Identifier: GPL-2.0-only
/* Maglev lookup-table builder; see maglev.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"

int xg_maglev_is_prime(__u32 m)
{
	if (m < 2)
		return 0;
	for (__u32 d = 2; (__u64)d * d <= m; d++)
		if (m % d == 0)
			return 0;
	return 1;
}

/* splitmix64's finaliser: a well-mixed 64-bit hash of the id and a seed. */
static __u64 mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int xg_maglev_build(const struct xg_maglev_backend *b, size_t n, __u32 m,
		    __u32 *table)
{
	struct perm {
		__u64 cur, skip; /* next preference: offset + j * skip, mod m */
		__u32 id, weight;
		__u64 credit;
	} *p = NULL;
	__u32 *ids = NULL, maxw = 0;
	size_t live = 0, filled = 0;
	int err = 0;

	if (!xg_maglev_is_prime(m))
		return -EINVAL;
	memset(table, 0, (size_t)m * sizeof(*table));
	ids = malloc((n ? n : 1) * sizeof(*ids));
	p = calloc(n ? n : 1, sizeof(*p));
	if (!ids || !p) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!b[i].id) {
			err = -EINVAL;
			goto out;
		}
		ids[i] = b[i].id;
	}
	qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 1; i < n; i++) {
		if (ids[i] == ids[i - 1]) {
			err = -EINVAL;
			goto out;
		}
	}
	/* Visit backends in id order, so the table does not depend on the
	 * order the caller listed them in. */
	for (size_t i = 0; i < n; i++) {
		const struct xg_maglev_backend *be = NULL;

		for (size_t k = 0; k < n; k++)
			if (b[k].id == ids[i])
				be = &b[k];
		if (!be->weight)
			continue;
		p[live].id = be->id;
		p[live].weight = be->weight;
		p[live].cur = mix(be->id) % m;
		p[live].skip = mix((__u64)be->id << 32 | 0x5bd1e995u) % (m - 1) + 1;
		if (be->weight > maxw)
			maxw = be->weight;
		live++;
	}
	if (!live) {
		err = -ENOENT;
		goto out;
	}
	/* Rounds: every backend earns its weight in credit and takes one
	 * slot (its next free preference) per max-weight of credit, so its
	 * share is weight / sum of weights. */
	while (filled < m) {
		for (size_t i = 0; i < live && filled < m; i++) {
			p[i].credit += p[i].weight;
			while (p[i].credit >= maxw && filled < m) {
				__u64 slot;

				p[i].credit -= maxw;
				/* stepping by skip with a subtraction, not a
				 * division per probe: the build is most of a
				 * service change's cost */
				do {
					slot = p[i].cur;
					p[i].cur += p[i].skip;
					if (p[i].cur >= m)
						p[i].cur -= m;
				} while (table[slot]);
				table[slot] = p[i].id;
				filled++;
			}
		}
	}
out:
	free(ids);
	free(p);
	return err;
}
