/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The service set of bench/lb_scaling, shared by the ns/packet benchmark
 * (lb_scaling_ns.c) and the lab populator (lb_populate.c), and mirrored by
 * the iptables generator (bench/lib/kube_proxy_rules.py), so that xgate
 * and kube-proxy's rules describe the very same services.
 *
 * Service i (0-based) is ClusterIP 198.18.128.0/17 address 1 + i % 32766,
 * port 80 + i / 32766, TCP: distinct (VIP, port) for up to 131,064
 * services, all off the lab's own /24s so that a client routes them to
 * the gateway.  The last-added service of a run (index N - 1) is served
 * by the lab backends 198.19.0.11-13:8080, which answer; every other
 * service by 3 of a pool of dummy backends in 198.19.128.0/17 that
 * nothing ever sends to.  The pool is shared between services because
 * the backend map holds 256k entries and 100,000 services x 3 backends
 * would not fit; a backend may serve several services.
 */
#ifndef XGATE_BENCH_LB_FILL_H
#define XGATE_BENCH_LB_FILL_H

#include <arpa/inet.h>
#include <string.h>

#include "ctrl/services.h"

#define LB_VIP_BASE 0xC6128000u /* 198.18.128.0 */
#define LB_VIPS 32766u
#define LB_PORT_BASE 80
#define LB_BACKENDS 3
#define LB_REAL_BASE 0xC613000Bu /* 198.19.0.11, .12, .13: lab b1-b3 */
#define LB_REAL_PORT 8080
#define LB_REAL_ID 1 /* ids 1..3 */
#define LB_POOL_BASE 0xC6138000u /* 198.19.128.0 */
#define LB_POOL 12288u
#define LB_POOL_ID 16 /* ids 16..16 + LB_POOL - 1 */
#define LB_MAX_SERVICES (LB_VIPS * 4)

static inline void lb_svc_key(__u32 i, struct xg_svc_key *k)
{
	__u32 vip = htonl(LB_VIP_BASE + 1 + i % LB_VIPS);

	memset(k, 0, sizeof(*k));
	memcpy(k->addr, &vip, 4);
	k->port = htons((__u16)(LB_PORT_BASE + i / LB_VIPS));
	k->proto = 6;
	k->family = XG_FAMILY_V4;
}

/* The backends of service i; real: the lab's answering backends. */
static inline void lb_svc_backends(__u32 i, int real,
				   struct xg_svc_backend b[LB_BACKENDS])
{
	for (__u32 j = 0; j < LB_BACKENDS; j++) {
		__u32 slot = (i * LB_BACKENDS + j) % LB_POOL;
		__u32 a = htonl(real ? LB_REAL_BASE + j : LB_POOL_BASE + 1 + slot);

		memset(&b[j], 0, sizeof(b[j]));
		b[j].id = real ? LB_REAL_ID + j : LB_POOL_ID + slot;
		b[j].weight = 1;
		memcpy(b[j].be.addr, &a, 4);
		b[j].be.port = htons(LB_REAL_PORT);
		b[j].be.family = XG_FAMILY_V4;
		b[j].be.state = XG_BE_ACTIVE;
	}
}

/* Adds service i (svc_id i + 1) through the services API. */
static inline int lb_svc_put(struct xg_mapset *ms, __u32 i, int real)
{
	struct xg_svc_backend b[LB_BACKENDS];
	struct xg_svc_key k;

	lb_svc_key(i, &k);
	lb_svc_backends(i, real, b);
	return xg_service_put(ms, &k, i + 1, b, LB_BACKENDS, 0);
}

static inline int lb_svc_del(struct xg_mapset *ms, __u32 i)
{
	struct xg_svc_key k;

	lb_svc_key(i, &k);
	return xg_service_del(ms, &k, i + 1);
}

#endif /* XGATE_BENCH_LB_FILL_H */
