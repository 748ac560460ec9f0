/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Applying a compiled state to the datapath's maps, as a difference
 * against what they hold, in an order that never drops a packet of an
 * allowed flow:
 *   1. ipcache entries that are new or changed (identities before the
 *      policy entries that name them);
 *   2. the policy map, make-before-break (policy_state.h);
 *   3. services: new and changed ones (backends, then the Maglev table,
 *      then the service entry), then removed ones, then backends no
 *      service uses any more;
 *   4. ipcache entries no longer wanted;
 *   5. one policy revision bump when anything changed.
 * A restarted daemon adopts what the pinned maps hold first, so its first
 * apply changes only what differs; service and backend ids found there
 * are kept, so conntrack's reverse-NAT ids stay valid.
 */
#ifndef XGATE_CTRL_POLICY_DP_SYNC_H
#define XGATE_CTRL_POLICY_DP_SYNC_H

#include "compile.h"
#include "ctrl/mapset.h"
#include "ctrl/policy_state.h"

struct xg_dp_svc; /* dp_sync.c */
struct xg_dp_be;

struct xg_dp_sync {
	struct xg_policy_sync pol;
	struct xg_ipc_entry *ipc; /* what the ipcache holds */
	size_t n_ipc, cap_ipc;
	/* xg_compiled_ipc_serial of the state ipc was copied from (0: none
	 * known): the same serial again means the same entries */
	unsigned long long ipc_serial;
	struct xg_dp_svc *svcs; /* what the service maps hold */
	size_t n_svcs, cap_svcs;
	struct xg_dp_be *bes; /* backend ids in use */
	size_t n_bes, cap_bes;
	int adopted;
};

struct xg_dp_sync_stats {
	size_t ipc_written, ipc_deleted;
	size_t policy_written, policy_deleted;
	size_t svc_written, svc_deleted;
	__u32 revision;
};

int xg_dp_sync_adopt(struct xg_dp_sync *s, struct xg_mapset *ms);
int xg_dp_sync_apply(struct xg_dp_sync *s, struct xg_mapset *ms,
		     const struct xg_compiled *c, struct xg_dp_sync_stats *st);
void xg_dp_sync_free(struct xg_dp_sync *s);

#endif /* XGATE_CTRL_POLICY_DP_SYNC_H */
