/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Security identities: the number of a label set, as Cilium numbers
 * them.  Endpoints with the same labels (their namespace label included)
 * share one identity, and policy is written in identities only.  Numbers
 * from XG_ID_FIRST_LOCAL up to XG_ID_LIMIT are allocated here, by one of
 * two backends: a state file for a single box, so numbers survive
 * restarts, or etcd for a fleet, so every gateway agrees on them.  Once
 * given, a number stays its label set's: nothing is freed.
 *
 * The label set is a string the caller makes canonical (sorted, e.g.
 * "k8s:app=web;k8s:io.kubernetes.pod.namespace=default"); here it is
 * opaque: 1 to XG_ID_LABELS_MAX printable ASCII bytes.  Reserved
 * identities (reserved:host is 1, ...) are the caller's to map.
 *
 * One allocator is used by one thread at a time.
 */
#ifndef XGATE_CTRL_IDENTITY_H
#define XGATE_CTRL_IDENTITY_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp/abi.h"
#include "err.h"

#define XG_ID_LABELS_MAX 4096
/* Allocated ids are below; CIDR identities are numbered from here. */
#define XG_ID_LIMIT (1u << 24)

struct xg_id_alloc;
struct xg_etcd;

/*
 * The local allocator, persisted to state_path (one "id<TAB>labels" line
 * each), which is read now: a file that does not parse is an error with
 * its line, never renumbered.  A missing file is an empty one; its
 * directory must exist.  The file is locked (state_path.lock) while the
 * allocator is open, so two daemons cannot hand out the same number.
 */
int xg_id_alloc_local_open(const char *state_path, struct xg_id_alloc **out,
			   struct xg_err *err);

/*
 * The etcd allocator: <prefix>identities/<id> holds the label set and
 * <prefix>identities-by-labels/<label set, '%' and '/' escaped> the id,
 * written with create-if-absent transactions so that gateways racing for
 * the same label set agree on one number.  Reads both prefixes now.  e
 * must outlive the allocator.
 */
int xg_id_alloc_etcd_open(struct xg_etcd *e, const char *prefix,
			  struct xg_id_alloc **out, struct xg_err *err);

/*
 * The identity of a label set, allocating one the first time.  Once this
 * returns a new id it is stored (state file written and synced, or etcd
 * keys created), so it is safe to program into the datapath.  -EINVAL
 * for a malformed label set, -ENOSPC when every id is taken, the store's
 * errno otherwise.
 */
int xg_id_get(struct xg_id_alloc *a, const char *labels, __u32 *id,
	      struct xg_err *err);
/*
 * xg_id_get for n label sets: ids[i] is labels[i]'s.  The local
 * allocator writes its file once for all of them (a restart that brings
 * thousands of endpoints back should not cost thousands of fsyncs).  On
 * error ids[] is not to be used; the local allocator then keeps none of
 * the batch, the etcd one keeps those it stored (asked again, they come
 * back the same).
 */
int xg_id_get_many(struct xg_id_alloc *a, const char *const *labels, size_t n,
		   __u32 *ids, struct xg_err *err);
/* The label set of an id (for listings); -ENOENT if unknown, -ENOSPC if
 * len is too small. */
int xg_id_lookup(struct xg_id_alloc *a, __u32 id, char *labels, size_t len);
/* Every id known here, in id order.  A non-zero fn return stops the walk
 * and is returned.  fn must not allocate. */
int xg_id_walk(struct xg_id_alloc *a,
	       int (*fn)(__u32 id, const char *labels, void *arg), void *arg);
size_t xg_id_count(const struct xg_id_alloc *a);
void xg_id_alloc_close(struct xg_id_alloc *a);

/* 0 when labels is a label set as xg_id_get takes it; else -EINVAL with
 * why in *why. */
int xg_id_labels_check(const char *labels, const char **why);

/* ---- for the backends (identity_local.c, identity_etcd.c) only ---- */

struct xg_id_ops {
	/*
	 * Ids for labels[0..n), which are checked and not yet known here;
	 * a label set may come twice (xg_id_known answers the second).
	 * Each pairing is recorded with xg_id_learn; on error the backend
	 * undoes those it did not make durable.
	 */
	int (*alloc)(struct xg_id_alloc *a, const char *const *labels, size_t n,
		     __u32 *ids, struct xg_err *err);
	/* An id not known here: ask the store (NULL: none to ask). */
	int (*fetch)(struct xg_id_alloc *a, __u32 id);
	void (*destroy)(void *priv);
};

int xg_id_alloc_new(const struct xg_id_ops *ops, void *priv,
		    struct xg_id_alloc **out);
void *xg_id_priv(const struct xg_id_alloc *a);
/* Records that id is the identity of labels (and takes id).  -EEXIST
 * when either is already paired otherwise; -ENOMEM. */
int xg_id_learn(struct xg_id_alloc *a, __u32 id, const char *labels);
/* 1 and *id when labels is known, else 0. */
int xg_id_known(const struct xg_id_alloc *a, const char *labels, __u32 *id);
/* The known labels of id, or NULL. */
const char *xg_id_known_labels(const struct xg_id_alloc *a, __u32 id);
/* Pairings learned so far, in order: xg_id_forget_since(a, mark) drops
 * those learned after xg_id_learned() returned mark. */
size_t xg_id_learned(const struct xg_id_alloc *a);
void xg_id_forget_since(struct xg_id_alloc *a, size_t mark);
/* The pairing learned i-th (i < xg_id_learned()). */
void xg_id_learned_at(const struct xg_id_alloc *a, size_t i, __u32 *id,
		      const char **labels);
/* Ids in use that are not (yet) paired here, e.g. seen in etcd. */
void xg_id_take(struct xg_id_alloc *a, __u32 id);
/* The lowest id >= from not taken, or XG_ID_LIMIT when none is left. */
__u32 xg_id_next_free(const struct xg_id_alloc *a, __u32 from);

#endif /* XGATE_CTRL_IDENTITY_H */
