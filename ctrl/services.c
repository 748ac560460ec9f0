// SPDX-License-Identifier: GPL-2.0-only
/* Services and backends in the datapath's maps; see services.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "entries.h"
#include "services.h"

int xg_backend_put(struct xg_mapset *ms, __u32 id, const struct xg_backend *be)
{
	if (!id || (be->family != XG_FAMILY_V4 && be->family != XG_FAMILY_V6))
		return -EINVAL;
	return xg_ms_update(ms, XG_M_BACKENDS, &id, be, 0);
}

int xg_backend_del(struct xg_mapset *ms, __u32 id)
{
	return xg_ms_remove(ms, XG_M_BACKENDS, &id);
}

/* FNV-1a over everything the table and the service entry derive from. */
__u32 xg_service_digest(const struct xg_svc_backend *b, size_t n,
			__u32 affinity_s, __u32 table_size)
{
	__u32 h = 2166136261u;
	const __u8 *p;

#define MIX(v)                                                                 \
	do {                                                                   \
		p = (const __u8 *)&(v);                                        \
		for (size_t k_ = 0; k_ < sizeof(v); k_++)                      \
			h = (h ^ p[k_]) * 16777619u;                           \
	} while (0)
	MIX(affinity_s);
	MIX(table_size);
	for (size_t i = 0; i < n; i++) {
		MIX(b[i].id);
		MIX(b[i].weight);
		MIX(b[i].be);
	}
#undef MIX
	return h ? h : 1; /* 0: no digest (written by hand) */
}

__u32 xg_service_table_size(struct xg_mapset *ms)
{
	struct xg_runtime rt = {};
	__u32 zero = 0;

	if (xg_ms_lookup(ms, XG_M_RUNTIME, &zero, &rt) || !rt.maglev_m)
		return XG_MAGLEV_M;
	return rt.maglev_m;
}

int xg_service_put(struct xg_mapset *ms, const struct xg_svc_key *key,
		   __u32 svc_id, const struct xg_svc_backend *b, size_t n,
		   __u32 affinity_s)
{
	const __u32 m = xg_service_table_size(ms);
	struct xg_maglev_backend *mb = NULL;
	struct xg_svc_val val = { .svc_id = svc_id, .revnat_id = svc_id,
				  .affinity_s = affinity_s };
	struct xg_revnat rn = { .port = key->port, .family = key->family };
	__u32 *table = NULL;
	int err;

	if (!svc_id || (key->proto != 6 && key->proto != 17) ||
	    (key->family != XG_FAMILY_V4 && key->family != XG_FAMILY_V6))
		return -EINVAL;
	mb = calloc(n ? n : 1, sizeof(*mb));
	table = malloc((size_t)m * sizeof(*table));
	if (!mb || !table) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!b[i].weight || b[i].be.family != key->family) {
			err = -EINVAL;
			goto out;
		}
		mb[i].id = b[i].id;
		mb[i].weight = b[i].be.state == XG_BE_ACTIVE ? b[i].weight : 0;
		err = xg_backend_put(ms, b[i].id, &b[i].be);
		if (err)
			goto out;
	}
	val.digest = xg_service_digest(b, n, affinity_s, m);
	err = xg_maglev_build(mb, n, m, table);
	if (err && err != -ENOENT)
		goto out; /* -ENOENT: no active backend, the table says so */
	err = xg_ms_set_table(ms, XG_M_MAGLEV, svc_id, table, m);
	if (err)
		goto out;
	memcpy(rn.addr, key->addr, sizeof(rn.addr));
	err = xg_ms_update(ms, XG_M_REVNAT, &svc_id, &rn, 0);
	if (!err)
		err = xg_ms_update(ms, XG_M_SVC, key, &val, 0);
	/* What policy sees changed (a VIP now leads elsewhere): cached
	 * verdicts must not outlive it. */
	if (!err)
		err = xg_policy_rev_bump(ms, NULL);
out:
	free(mb);
	free(table);
	return err;
}

int xg_service_del(struct xg_mapset *ms, const struct xg_svc_key *key,
		   __u32 svc_id)
{
	int err = xg_ms_remove(ms, XG_M_SVC, key);

	if (err && err != -ENOENT)
		return err;
	err = xg_ms_set_table(ms, XG_M_MAGLEV, svc_id, NULL, 0);
	if (err && err != -ENOENT)
		return err;
	err = xg_ms_remove(ms, XG_M_REVNAT, &svc_id);
	if (err && err != -ENOENT)
		return err;
	return xg_policy_rev_bump(ms, NULL);
}
