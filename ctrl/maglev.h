/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016): builds the lookup
 * table of one service from its backends.  Each backend's preference
 * order over the table depends only on its own id, so adding or removing
 * one backend moves few slots of the others, and flows that conntrack
 * does not pin stay on their backend.  Weights give proportional shares.
 */
#ifndef XGATE_CTRL_MAGLEV_H
#define XGATE_CTRL_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

#define XG_MAGLEV_M_DEFAULT 16381 /* prime; a backend's share varies by < 1/M */
/* Cilium's largest choice; 4 bytes a slot, per service. */
#define XG_MAGLEV_M_MAX 131071

struct xg_maglev_backend {
	__u32 id; /* backend id, non-zero: what the table holds */
	__u32 weight; /* 0: not in the table (e.g. terminating) */
};

/* 1 when m is prime (the table size must be, for every skip to visit
 * every slot). */
int xg_maglev_is_prime(__u32 m);

/* Fills table[0..m) with backend ids.  Returns 0, -EINVAL (m not prime,
 * an id of 0, or a duplicate id) or -ENOENT (no backend with weight):
 * then the table is filled with 0, "no backend". */
int xg_maglev_build(const struct xg_maglev_backend *b, size_t n, __u32 m,
		    __u32 *table);

#endif /* XGATE_CTRL_MAGLEV_H */
