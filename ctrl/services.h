/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Services and backends in the datapath's maps.  Every change costs O(1)
 * map writes plus, when a service's backend set changes, one Maglev table
 * rewrite for that service alone.  Writes go in make-before-break order:
 * backends before the tables that name them, tables before the service
 * entry that points at them; removal the other way round.  Each put or
 * del then bumps the policy revision, as a policy change does: flows and
 * cached verdicts are judged again against what the VIP now leads to.
 */
#ifndef XGATE_CTRL_SERVICES_H
#define XGATE_CTRL_SERVICES_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp/abi.h"
#include "maglev.h"
#include "mapset.h"

/* A backend of a service, as the table builder sees it: active backends
 * get their weight's share of the table, terminating ones none (their
 * existing flows stay on them through the flow map). */
struct xg_svc_backend {
	__u32 id; /* non-zero, unique across services */
	__u32 weight; /* >= 1 */
	struct xg_backend be; /* address, port, family, state */
};

/* Creates or replaces a backend entry (e.g. to mark it terminating). */
int xg_backend_put(struct xg_mapset *ms, __u32 id, const struct xg_backend *be);
int xg_backend_del(struct xg_mapset *ms, __u32 id);

/* Slots per Maglev table, as the datapath was loaded (the runtime entry
 * the loader writes): every inner table of a BPF map-in-map must have the
 * size of the template the program was loaded with. */
__u32 xg_service_table_size(struct xg_mapset *ms);

/* What xg_service_put records in the service entry about its table. */
__u32 xg_service_digest(const struct xg_svc_backend *b, size_t n,
			__u32 affinity_s, __u32 table_size);

/* Creates or updates the service `key` (svc_id also keys its table and
 * its reverse-NAT entry) with these backends and a Maglev table of
 * xg_service_table_size() slots.  affinity_s > 0
 * gives ClientIP session affinity with that timeout (Kubernetes
 * sessionAffinity: ClientIP).  Backends are written first. */
int xg_service_put(struct xg_mapset *ms, const struct xg_svc_key *key,
		   __u32 svc_id, const struct xg_svc_backend *b, size_t n,
		   __u32 affinity_s);
/* Removes the service entry, then its table and reverse-NAT entry.
 * Backends stay (they may serve other services): delete them apart. */
int xg_service_del(struct xg_mapset *ms, const struct xg_svc_key *key,
		   __u32 svc_id);

#endif /* XGATE_CTRL_SERVICES_H */
