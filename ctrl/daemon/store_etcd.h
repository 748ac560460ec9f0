/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The etcd kvstore: documents under <prefix>policies/, endpoints/ and
 * services/ (any key below them; the key is the document's name in
 * errors).  A full range first (one snapshot revision), then a watch from
 * the next revision.  A watch that must resume from a compacted revision
 * catches up from the keys it knows: what changed since its revision,
 * read alone, and what is gone, found by counting (ctrl/kv/gone.h); if
 * that cannot be trusted (a key it never saw), or the watch failed any
 * other way, or SIGHUP asked, it reads every key again.  Either way the
 * control thread applies the result as one change.  While etcd is away
 * nothing changes in the maps and status says so.
 */
#ifndef XGATE_CTRL_DAEMON_STORE_ETCD_H
#define XGATE_CTRL_DAEMON_STORE_ETCD_H

#include "evq.h"
#include "ctrl/kv/etcd.h"

struct xg_store_etcd;

int xg_store_etcd_start(struct xg_etcd *e, const char *prefix,
			struct xg_evq *q, struct xg_store_etcd **out);
void xg_store_etcd_resync(struct xg_store_etcd *s);
void xg_store_etcd_stop(struct xg_store_etcd *s);

#endif /* XGATE_CTRL_DAEMON_STORE_ETCD_H */
