// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The datapath built as native C: the same pipeline as xgate.bpf.c over
 * the map and helper doubles of runtime.c.  Tests and fuzz targets call
 * xg_native_run() as they would bpf_prog_test_run_opts().
 */
#include "../maps.h"
#include "../pipeline.h"
#include "datapath.h"

int xg_native_run(struct xg_native_ctx *ctx)
{
	return xg_process(ctx);
}

void xg_native_reset(void)
{
	struct xg_nmap *maps[] = {
		&xg_ipcache, &xg_policy, &xg_ct,      &xg_denycache,
		&xg_frag,    &xg_runtime, &xg_drops,  &xg_verdicts,
		&xg_evrate,  &xg_txports, &xg_xsks,    &xg_ifslots, &xg_hotdeny,
		&xg_svc,     &xg_backends, &xg_revnat, &xg_svcflow, &xg_affinity,
		&xg_vcache,  &xg_iphost,
	};
	struct xg_config def = XG_CONFIG_DEFAULT;

	/* Inner Maglev tables belong to whoever created them (the test's
	 * map-set); forget the references. */
	xg_nmap_clear(&xg_maglev);
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		xg_nmap_clear(maps[i]);
	xg_cfg = def;
}
