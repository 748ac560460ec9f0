/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The datapath's maps seen from the control plane, behind a small
 * interface: the kernel's (map fds, mapset_bpf.c) or the native build's
 * userspace tables (tests).  Everything that writes entries (ipcache,
 * policy sync, revision) goes through here, so one piece of code feeds
 * both datapath builds and the tests can hold them to the same verdicts.
 */
#ifndef XGATE_CTRL_MAPSET_H
#define XGATE_CTRL_MAPSET_H

#include <linux/types.h>

enum xg_map_id {
	XG_M_IPCACHE,
	XG_M_POLICY,
	XG_M_CT,
	XG_M_DENYCACHE,
	XG_M_FRAG,
	XG_M_RUNTIME,
	XG_M_DROPS,
	XG_M_VERDICTS,
	XG_M_TXPORTS,
	XG_M_XSKS,
	XG_M_SVC,
	XG_M_BACKENDS,
	XG_M_REVNAT,
	XG_M_SVCFLOW,
	XG_M_IFSLOTS, /* ifindex -> fast-path socket slot */
	XG_M_MAGLEV, /* map-in-map: use xg_ms_set_table */
	XG_M_IPHOST, /* the ipcache's host entries (abi.h) */
	XG_M__MAX
};

/* Called per entry; non-zero stops the walk and is returned. */
typedef int (*xg_map_walk_fn)(const void *key, const void *val, void *arg);

struct xg_mapset_ops {
	/* All return 0 or a negative errno. */
	int (*update)(void *priv, enum xg_map_id m, const void *key,
		      const void *val, __u64 flags);
	int (*lookup)(void *priv, enum xg_map_id m, const void *key, void *val);
	int (*remove)(void *priv, enum xg_map_id m, const void *key);
	/* Per-CPU maps: val receives the sum over CPUs (counters only). */
	int (*walk)(void *priv, enum xg_map_id m, xg_map_walk_fn fn, void *arg);
	/* Map-in-map: a new inner array of n u32 values under key (replacing
	 * any previous one in one step), or removes it when vals is NULL. */
	int (*set_table)(void *priv, enum xg_map_id m, __u32 key,
			 const __u32 *vals, __u32 n);
};

struct xg_mapset {
	const struct xg_mapset_ops *ops;
	void *priv;
};

static inline int xg_ms_update(struct xg_mapset *ms, enum xg_map_id m,
			       const void *key, const void *val, __u64 flags)
{
	return ms->ops->update(ms->priv, m, key, val, flags);
}

static inline int xg_ms_lookup(struct xg_mapset *ms, enum xg_map_id m,
			       const void *key, void *val)
{
	return ms->ops->lookup(ms->priv, m, key, val);
}

static inline int xg_ms_remove(struct xg_mapset *ms, enum xg_map_id m,
			       const void *key)
{
	return ms->ops->remove(ms->priv, m, key);
}

static inline int xg_ms_walk(struct xg_mapset *ms, enum xg_map_id m,
			     xg_map_walk_fn fn, void *arg)
{
	return ms->ops->walk(ms->priv, m, fn, arg);
}

static inline int xg_ms_set_table(struct xg_mapset *ms, enum xg_map_id m,
				  __u32 key, const __u32 *vals, __u32 n)
{
	return ms->ops->set_table(ms->priv, m, key, vals, n);
}

/* Kernel maps by fd (index by enum xg_map_id; -1 = absent). */
struct xg_mapset_bpf {
	int fd[XG_M__MAX];
	int ncpus;
};
void xg_mapset_bpf_init(struct xg_mapset *ms, struct xg_mapset_bpf *priv);

#endif /* XGATE_CTRL_MAPSET_H */
