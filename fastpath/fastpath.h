/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fast path as xgated runs it: one worker thread per rx queue, each
 * owning that queue's AF_XDP socket on every interface (so it can send
 * a frame out of any leg without locks), all sharing one flow engine.
 * The daemon's control thread hands it the compiled L7 rulesets.
 */
#ifndef XGATE_FASTPATH_FASTPATH_H
#define XGATE_FASTPATH_FASTPATH_H

#include <stdbool.h>

#include "ctrl/err.h"
#include "ctrl/policy/compile.h"
#include "fastpath/engine/engine.h"

#define XG_FP_MAX_IFACES 16

struct xg_fastpath_conf {
	const char *ifnames[XG_FP_MAX_IFACES];
	unsigned n_ifaces;
	unsigned queues; /* workers; queue q of every interface is worker q's */
	unsigned frames;
	bool zerocopy;
	bool busy_poll;
	struct xg_fp_limits lim;
	int xsks_fd; /* the datapath's XSKMAP */
	int ifslots_fd; /* and its ifindex -> slot map */
	int revnat_fd; /* xg_revnat, for answering balanced flows; -1: none */
	int ct_fd; /* xg_ct, for ordering refusals after responses; -1: none */
};

struct xg_fastpath;

/* Opens every socket (in the caller's network namespace), registers
 * them with the datapath and starts the workers. */
int xg_fastpath_start(const struct xg_fastpath_conf *c, struct xg_fastpath **out,
		      struct xg_err *err);
/* Stops the workers, takes the sockets out of the datapath, closes. */
void xg_fastpath_stop(struct xg_fastpath *fp);

/* Builds the rulesets table (reusing unchanged sets of the current one)
 * and publishes it.  On error the current table stays. */
int xg_fastpath_set_rulesets(struct xg_fastpath *fp,
			     const struct xg_l7_ruleset *rs, size_t n,
			     struct xg_err *err);

struct xg_fp_engine *xg_fastpath_engine(struct xg_fastpath *fp);
unsigned xg_fastpath_workers(const struct xg_fastpath *fp);
/* Port counters summed: received, sent, sends refused for lack of
 * buffers. */
void xg_fastpath_io_counters(struct xg_fastpath *fp, uint64_t *rx,
			     uint64_t *tx, uint64_t *tx_nobufs);

#endif /* XGATE_FASTPATH_FASTPATH_H */
