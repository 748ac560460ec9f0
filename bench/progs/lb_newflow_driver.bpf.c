// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark driver for bench/lb_scaling: makes every run of the datapath
 * see a new flow to a service VIP.  bpf_prog_test_run `repeat` runs the
 * program again on the same buffer, and the datapath rewrites it (DNAT to
 * the backend, TTL, MACs of the forward path), so stamping a new source
 * port is not enough here as it is for bench/progs/newflow_driver.bpf.c:
 * from the second iteration on the frame would go to the backend, not to
 * the VIP, and the service lookup would never be reached.  So each
 * iteration first copies the frame head back from a template userspace
 * wrote, then stamps a fresh source port and address from a counter,
 * fixes the IPv4 header checksum and tail-calls the program in slot 0.
 * Its own cost is measured by putting an XDP_PASS program in slot 0.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* Ethernet (14) + IPv4 without options (20) + the TCP header up to and
 * including its sequence number: everything the datapath reads or
 * rewrites on a SYN, in 8-byte words. */
#define TMPL_WORDS 5
#define TMPL_BYTES (TMPL_WORDS * 8)
#define IP_OFF 14
#define TCP_OFF (14 + 20)

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

__u32 counter;
__u64 tmpl[TMPL_WORDS];

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("xdp")
int lb_newflow_driver(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u16 *w;
	__u32 c, sum = 0;
	int i;

	if (p + TCP_OFF + 20 > (__u8 *)data_end)
		return XDP_ABORTED;
#pragma unroll
	for (i = 0; i < TMPL_WORDS; i++)
		__builtin_memcpy(p + i * 8, &tmpl[i], 8);
	c = counter++;
	/* 65,536 ports x 254 addresses (x.x.x.1-254 of the template's /24)
	 * before a tuple repeats: 16.6M new flows.  Userspace starts each
	 * measurement at a counter value no earlier one used. */
	p[TCP_OFF] = (__u8)(c >> 8);
	p[TCP_OFF + 1] = (__u8)c;
	p[IP_OFF + 15] = (__u8)(1 + ((c >> 16) % 254));
	p[IP_OFF + 10] = 0;
	p[IP_OFF + 11] = 0;
	w = (__u16 *)(p + IP_OFF);
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	w[5] = csum_fold(sum);
	bpf_tail_call(ctx, &target, 0);
	return XDP_ABORTED;
}

/* What the driver's own cost is measured with. */
SEC("xdp")
int lb_newflow_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
