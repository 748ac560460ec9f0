/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Identities for many new label sets at once.  The compiler asks for an
 * endpoint's identity as it meets it, one by one; with etcd a new label
 * set then costs three round trips, and a first start over 10,000 new
 * label sets half a minute.  When many endpoint documents changed, the
 * control thread first finds the label sets no identity is known for
 * and has them numbered together (xg_id_get_many: with etcd, 64 to a
 * transaction); the compile then finds every one known.
 */
#ifndef XGATE_CTRL_DAEMON_ID_BATCH_H
#define XGATE_CTRL_DAEMON_ID_BATCH_H

#include <stddef.h>

#include "ctrl/identity.h"
#include "docstore.h"

/* Endpoint documents changed since the last apply before the documents
 * are walked for new label sets. */
#define XGD_ID_BATCH_MIN 64

/*
 * Numbers the label sets of every endpoint in docs that a has no
 * identity for.  Returns how many it numbered, or a negative errno with
 * err set (the compile that follows then meets the same error, and the
 * previous state stays enforced).
 */
long xgd_id_batch(struct xg_id_alloc *a, const struct xg_docstore *docs,
		  struct xg_err *err);

#endif /* XGATE_CTRL_DAEMON_ID_BATCH_H */
