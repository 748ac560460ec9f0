// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The cheapest receiver that reads a frame: drops IPv4 frames from
 * 198.18.0.0/15 (every flood source), passes the rest.  No map, no rule
 * table.  bench/lib/rig.sh loads it as the "xdp_parse_drop" baseline: set
 * against the bare XDP_DROP, it shows what touching the headers costs on
 * the rig (the generator wrote them on the other core), a cost every
 * filter pays, xgate included.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_parse_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	if ((bpf_ntohl(ip->saddr) & 0xfffe0000) == 0xc6120000)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
