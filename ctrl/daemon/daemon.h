/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xgated's shared state.  Threads:
 *   - main: signals (SIGTERM/SIGINT stop, SIGHUP reload), start and stop;
 *   - control: the only writer of the maps: takes kvstore events, parses,
 *     compiles, syncs (control.c);
 *   - api: the local unix socket and the metrics endpoint (api.c);
 *   - the kvstore's own watcher thread (store_file.c, store_etcd.c);
 *   - with etcd, the reporter: nodes/<node>, what control applied
 *     (node_report.c), so no status write ever delays enforcement.
 * The API reads what the control thread publishes under `lock`.
 */
#ifndef XGATE_CTRL_DAEMON_DAEMON_H
#define XGATE_CTRL_DAEMON_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctrl/config.h"
#include "ctrl/identity.h"
#include "ctrl/kv/etcd.h"
#include "ctrl/loader.h"
#include "ctrl/policy/compile.h"
#include "ctrl/policy/dp_sync.h"
#include "docstore.h"
#include "evq.h"
#include "node_report.h"

struct xg_store_file;
struct xg_store_etcd;
struct xg_fastpath;

struct xgd_status {
	bool store_up;
	char store_detail[400];
	int64_t store_rev; /* etcd revision applied; 0 for files */
	char compile_error[512]; /* "" when the last compile worked */
	__u32 policy_rev;
	uint64_t applies;
	double last_apply_ms; /* compile + sync */
	double last_compile_ms; /* of it, the compile */
	double last_sync_latency_ms; /* store event -> maps written */
	double sync_latency_sum_ms;
	uint64_t sync_latency_n;
	struct timespec started;
	bool resyncing;
};

struct xgd {
	char conf_path[256];
	struct xg_conf conf;
	struct xg_datapath *dp;
	struct xg_mapset *ms;
	struct xg_id_alloc *ids;
	struct xg_etcd *etcd; /* kvstore etcd only */
	struct xg_evq q;
	pthread_mutex_t docs_mu; /* docs: the control thread, and validate */
	struct xg_docstore docs;
	struct xg_dp_sync sync; /* control thread only */
	/* control thread only: what the next compile may reuse */
	struct xg_compile_cache *ccache;
	/* control thread only: endpoint documents changed (or maybe: not
	 * parsed ahead) since the last apply; many, and their new label
	 * sets are numbered together first (id_batch.h) */
	size_t ep_changed;
	struct xg_store_file *fstore;
	struct xg_store_etcd *estore;
	struct xg_fastpath *fp; /* the L7 fast path; NULL when disabled */
	struct xgd_reporter rep; /* nodes/<node> (etcd only) */

	pthread_rwlock_t lock; /* guards what follows */
	struct xg_compiled compiled; /* what the maps hold */
	struct xgd_status st;
	/* per key: the error of its newest version, for status */
	char **err_keys, **err_msgs;
	size_t n_errs;

	volatile int stop;
	volatile int reload;
};

int xgd_control_start(struct xgd *d, pthread_t *thr);
int xgd_api_start(struct xgd *d, pthread_t *thr);
void xgd_api_stop(struct xgd *d);

#endif /* XGATE_CTRL_DAEMON_DAEMON_H */
