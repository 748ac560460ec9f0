// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* xgate-pktgen's frame writer.  BPF_PROG_RUN runs it in live-frames mode
 * with the generator's interface as ingress: it rewrites the frame's head
 * from the template, gives the packet the next (src addr, src port) of the
 * flow cycle with incrementally fixed checksums, and returns XDP_TX, which
 * the kernel turns into a transmit out of that interface (into its veth
 * peer, or onto the wire).
 *
 * With --rate it also paces: an iteration that comes before the next
 * packet is due returns XDP_DROP (the page goes straight back to the pool),
 * so the run spins between packets instead of sending bursts that a veth's
 * 256-frame ring would cut.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pktgen.h"

const volatile struct pg_cfg cfg;

/* The kernel copies the template into a page once, when its page pool
 * hands the page out the first time; a recycled page comes back with what
 * the last owner left in it.  A receiver that rewrites headers (NAT, MAC
 * swap) would change what we send, hence the full head rewrite below, and
 * the cursor lives here rather than in the frame.  One generator thread
 * runs the program (never two at once), so a plain global does: unlike a
 * per-CPU slot it follows the thread when it migrates between runs, and
 * userspace reads it through the mmap'ed .bss without a syscall.
 */
struct pg_state state;

static __always_inline __u16 csum_fold(__u64 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), on 16-bit words taken in frame
 * byte order: one's complement sums do not depend on it (RFC 1071 2.B).
 */
static __always_inline void csum_replace4(__u16 *sum, __u32 from, __u32 to)
{
	__u64 s = (__u16)~*sum;

	s += (__u16)~(from & 0xffff) + (__u16)~(from >> 16);
	s += (to & 0xffff) + (to >> 16);
	*sum = ~csum_fold(s);
}

static __always_inline void csum_replace2(__u16 *sum, __u16 from, __u16 to)
{
	__u64 s = (__u16)~*sum;

	s += (__u16)~from;
	s += to;
	*sum = ~csum_fold(s);
}

static __always_inline int write_head(void *data, void *data_end)
{
	__u64 *w = data;
	__u8 *b;
	int i;

	for (i = 0; i < PG_TMPL_WORDS; i++) {
		if (i >= cfg.tmpl_words)
			break;
		if ((void *)(w + i + 1) > data_end)
			return -1;
		w[i] = cfg.tmpl[i];
	}
	b = data + cfg.tmpl_words * sizeof(__u64);
	for (i = 0; i < PG_TAIL_MAX; i++) {
		if (i >= cfg.tail_len)
			break;
		if ((void *)(b + i + 1) > data_end)
			return -1;
		b[i] = cfg.tail[i];
	}
	return 0;
}

/* Moves the cursor: addresses change fastest, then ports; the whole cycle
 * restarts after nr_flows packets.
 */
static __always_inline void flow_advance(struct pg_state *st)
{
	if (++st->idx >= cfg.nr_flows) {
		st->idx = 0;
		st->addr = 0;
		st->port = 0;
		return;
	}
	if (++st->addr >= cfg.nr_addrs) {
		st->addr = 0;
		if (++st->port >= cfg.nr_ports)
			st->port = 0;
	}
}

static __always_inline int set_flow(struct pg_state *st, void *data,
				    void *data_end)
{
	__u16 port, *l4sum;
	__u32 addr;
	void *l4;

	addr = bpf_htonl(cfg.addr_base + st->addr);
	port = bpf_htons(cfg.port_base + st->port);
	flow_advance(st);

	if (cfg.flags & PG_F_IPV6) {
		struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);

		l4 = ip6 + 1;
		if (l4 > data_end)
			return -1;
		ip6->saddr.in6_u.u6_addr32[3] = addr;
	} else {
		struct iphdr *iph = data + sizeof(struct ethhdr);

		l4 = iph + 1;
		if (l4 > data_end)
			return -1;
		iph->saddr = addr;
		csum_replace4(&iph->check, cfg.addr_base_be, addr);
	}

	if (cfg.flags & PG_F_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return -1;
		th->source = port;
		l4sum = &th->check;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return -1;
		uh->source = port;
		l4sum = &uh->check;
	}
	/* Both L4 checksums cover the source address (pseudo-header). */
	csum_replace4(l4sum, cfg.addr_base_be, addr);
	csum_replace2(l4sum, cfg.port_base_be, port);
	/* In UDP a zero checksum means "none" (and is invalid over IPv6). */
	if (!(cfg.flags & PG_F_TCP) && *l4sum == 0)
		*l4sum = 0xffff;
	return 0;
}

/* Is a packet due?  After a stall (between two runs, or preempted) the
 * schedule catches up by at most cfg.burst; the rest of the debt is
 * forgiven, and shows as a lower rate than asked.
 */
static __always_inline bool pace(struct pg_state *st)
{
	__u64 now = bpf_ktime_get_ns() << PG_PACE_SHIFT;

	if (!st->quota || now < st->next)
		return false;
	if (now - st->next > cfg.burst)
		st->next = now - cfg.burst;
	st->next += cfg.gap;
	st->quota--;
	return true;
}

SEC("xdp")
int xgate_pktgen(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	int act = XDP_TX;

	if (cfg.gap && !pace(&state)) {
		act = XDP_DROP;
		goto out;
	}
	if (write_head(data, data_end) < 0) {
		act = XDP_ABORTED;
		goto out;
	}
	if (cfg.nr_flows > 1 && set_flow(&state, data, data_end) < 0) {
		act = XDP_ABORTED;
		goto out;
	}
	if (cfg.gap)
		state.sent++;
out:
	return act;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
