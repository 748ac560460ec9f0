// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The XDP entry program.  Thin on purpose: all logic lives in the
 * header-only pieces that also build as native C (see ctx.h).
 */
#include "maps.h"
#include "pipeline.h"

#include <xdp/xdp_helpers.h>

SEC("xdp")
int xgate_xdp(struct xdp_md *ctx)
{
	return xg_process(ctx);
}

/* libxdp: run after other programs' default priority; continue the
 * dispatcher chain on XDP_PASS so later programs still see passed
 * traffic. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xgate_xdp);

char LICENSE[] SEC("license") = "Dual BSD/GPL";
