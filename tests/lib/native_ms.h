/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control plane's map interface (ctrl/mapset.h) over the native
 * datapath's tables (xdp/native/), for unit tests and fuzz targets that
 * write entries with ctrl/ code and then look at, or run, the datapath.
 * Also a wrapper that records every operation and can fail one on cue,
 * for tests that care about the order of writes.
 */
#ifndef XGATE_TESTS_LIB_NATIVE_MS_H
#define XGATE_TESTS_LIB_NATIVE_MS_H

#include <stddef.h>
#include <linux/types.h>

#include "ctrl/mapset.h"
#include "xdp/abi.h"

/* The native datapath's maps (datapath.c) as a mapset. */
struct xg_mapset *nms_native(void);
/* The native map behind a map id, NULL when the native build has none. */
struct xg_nmap *nms_map(enum xg_map_id m);
/* Frees the inner tables set through this map-set (after the datapath's
 * maps were reset, which only drops the references). */
void nms_release_tables(void);

enum rec_op { REC_UPDATE = 1, REC_REMOVE };

struct rec_entry {
	enum rec_op op;
	enum xg_map_id map;
	__u8 key[64];
	__u8 val[64];
	int ret; /* what the call returned */
};

/* Records every update and remove on its way to `inner`; lookups and
 * walks pass through unrecorded.  fail_at > 0 makes the fail_at-th
 * update to fail_map return fail_err instead (and not reach `inner`). */
struct rec_ms {
	struct xg_mapset ms; /* hand &r->ms to the code under test */
	struct xg_mapset *inner;
	struct rec_entry *log;
	size_t n, cap;
	enum xg_map_id fail_map;
	int fail_at, fail_err, updates_seen;
};

void rec_init(struct rec_ms *r, struct xg_mapset *inner);
void rec_clear(struct rec_ms *r); /* forget the log, keep the settings */
void rec_free(struct rec_ms *r);

#endif /* XGATE_TESTS_LIB_NATIVE_MS_H */
