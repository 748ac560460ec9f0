// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cheapest receiver: drops every frame.  bench/lib/rig.sh loads it as
 * the "xdp_drop" baseline, the ceiling any XDP receiver can reach.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
