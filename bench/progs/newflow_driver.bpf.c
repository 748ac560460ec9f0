// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark driver: makes every run of the datapath see a new flow.  Each
 * iteration stamps a fresh TCP source port and source address (from a
 * counter) into the IPv4/TCP frame, restores the TTL the datapath's
 * forward path decremented, fixes the IPv4 header checksum, and
 * tail-calls the program in slot 0.  Run with bpf_prog_test_run `repeat`
 * its cost is the datapath's new-flow cost plus this driver's, which is
 * measured by putting an XDP_PASS program in slot 0 instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

__u32 counter;

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int newflow_driver(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u16 *w;
	__u32 c, sum = 0;
	int i;

	/* Ethernet (14) + IPv4 without options (20) + TCP ports (4) */
	if (p + 14 + 20 + 4 > (__u8 *)data_end)
		return XDP_ABORTED;
	c = counter++;
	/* 65,536 ports x 254 addresses (198.18.0.1-254, the client /24)
	 * before a tuple repeats: 16.6M new flows.  The caller starts each
	 * measurement at a fresh counter value. */
	p[14 + 20] = (__u8)(c >> 8);
	p[14 + 21] = (__u8)c;
	p[14 + 15] = (__u8)(1 + ((c >> 16) % 254));
	p[14 + 8] = 64; /* TTL */
	p[14 + 10] = 0;
	p[14 + 11] = 0;
	w = (__u16 *)(p + 14);
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	w[5] = csum_fold(sum);
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

/* What the driver's own cost is measured with. */
SEC("xdp")
int newflow_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
