// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark floor: what the kernel's LRU hash alone costs a new flow in
 * the datapath's own conntrack map.  Behind newflow_driver (which stamps a
 * fresh tuple per iteration) it does what xgate must do for any new flow,
 * and nothing else: one lookup that misses, one insert.  The loader points
 * `ct` at the datapath's xg_ct (bpf_map__reuse_fd), so the floor sees the
 * same table, at the same fill, as the measurement it is set against.  The
 * entries it writes carry expires_ns 0, which the datapath reads as absent.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1); /* replaced by the datapath's map */
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, struct xg_flow_key);
	__type(value, struct xg_ct_entry);
} ct SEC(".maps");

SEC("xdp")
int ct_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct xg_flow_key k = {};
	struct xg_ct_entry e = {};
	__u8 *p = data;

	/* Ethernet (14) + IPv4 without options (20) + TCP ports (4) */
	if (p + 14 + 20 + 4 > (__u8 *)data_end)
		return XDP_ABORTED;
	__builtin_memcpy(k.a, p + 14 + 12, 4);
	__builtin_memcpy(k.b, p + 14 + 16, 4);
	__builtin_memcpy(&k.aport, p + 14 + 20, 2);
	__builtin_memcpy(&k.bport, p + 14 + 22, 2);
	k.proto = p[14 + 9];
	k.family = 4;
	if (bpf_map_lookup_elem(&ct, &k))
		return XDP_PASS;
	bpf_map_update_elem(&ct, &k, &e, BPF_ANY);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
