// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet-table backend over the native datapath build: maps are the
 * runtime.c tables, the FIB answers from topo.h, time is a variable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/native/datapath.h"
#include "tests/lib/native_ms.h"
#include "tests/lib/pktbuild.h"
#include "backend.h"
#include "topo.h"

static __u32 n_ifindex(int leg)
{
	return leg == GW0 ? 11 : 12;
}

/* ------------------------------------------------------------- FIB -- */

static int in_net(int family, const void *addr, const char *net)
{
	char buf[64];
	__u8 n[16] = {};
	const __u8 *a = addr;
	char *slash;
	int len;

	strcpy(buf, net);
	slash = strchr(buf, '/');
	*slash = '\0';
	len = atoi(slash + 1);
	inet_pton(family == 4 ? AF_INET : AF_INET6, buf, n);
	for (int bit = 0; bit < len; bit++)
		if ((a[bit / 8] ^ n[bit / 8]) & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

static int topo_fib(struct bpf_fib_lookup *p)
{
	int family = p->family == 2 ? 4 : 6;
	const void *dst = family == 4 ? (void *)&p->ipv4_dst : (void *)p->ipv6_dst;

	for (int leg = 0; leg < 2; leg++) {
		const struct topo_if *ifc = &topo_ifs[leg];

		if (!in_net(family, dst, family == 4 ? ifc->net4 : ifc->net6))
			continue;
		for (int h = 0; h < NHOSTS; h++) {
			const struct topo_host *th = &topo_hosts[h];
			__u8 a[16] = {};

			inet_pton(family == 4 ? AF_INET : AF_INET6,
				  family == 4 ? th->ip4 : th->ip6, a);
			if (memcmp(a, dst, family == 4 ? 4 : 16))
				continue;
			if (h == GWA)
				return BPF_FIB_LKUP_RET_NOT_FWDED; /* local */
			if (!th->mac)
				return BPF_FIB_LKUP_RET_NO_NEIGH;
			p->ifindex = n_ifindex(leg);
			pkt_parse_mac(th->mac, p->dmac);
			pkt_parse_mac(ifc->mac, p->smac);
			return BPF_FIB_LKUP_RET_SUCCESS;
		}
		return BPF_FIB_LKUP_RET_NO_NEIGH;
	}
	return BPF_FIB_LKUP_RET_NOT_FWDED;
}

/* ---------------------------------------------------------- events -- */

static int nevents;
static struct xg_event last_ev;

static void on_event(const void *data, __u64 size, void *arg)
{
	if (size == sizeof(last_ev))
		memcpy(&last_ev, data, sizeof(last_ev));
	nevents++;
}

static int n_events(struct xg_event *last)
{
	int n = nevents;

	if (n && last)
		*last = last_ev;
	nevents = 0;
	return n;
}

static int n_init(void)
{
	xg_native_fib = topo_fib;
	xg_native_set_ring(on_event, NULL);
	return 0;
}

static int n_reset(const struct xg_config *cfg)
{
	xg_native_reset();
	nms_release_tables();
	xg_cfg = *cfg;
	xg_native_now_ns = 5000000000ull;
	nevents = 0;
	return 0;
}

static struct xg_mapset *n_maps(void)
{
	return nms_native();
}

static struct xg_xsk_meta last_meta;
static int has_meta;

static int n_run(__u8 *pkt, size_t len, size_t *out_len, int leg)
{
	/* Where the kernel puts a frame: 256 bytes of headroom (metadata
	 * grows into it), then 2 bytes into an aligned buffer. */
	static __u8 frame[256 + 4096 + 8] __attribute__((aligned(8)));
	__u8 *data = frame + 256 + 2;
	struct xg_native_ctx ctx = {
		.data = data,
		.data_end = data + len,
		.frame_end = frame + sizeof(frame),
		.frame_start = frame,
		.ingress_ifindex = n_ifindex(leg),
		.rx_queue_index = 0,
	};
	int act;

	if (len > sizeof(frame) - 256 - 2)
		return -E2BIG;
	memcpy(data, pkt, len);
	act = xg_native_run(&ctx);
	has_meta = ctx.data_meta &&
		   (size_t)((__u8 *)ctx.data - (__u8 *)ctx.data_meta) ==
			   sizeof(last_meta);
	if (has_meta)
		memcpy(&last_meta, ctx.data_meta, sizeof(last_meta));
	/* the program may have resized the frame (replies it writes) */
	len = (size_t)((__u8 *)ctx.data_end - (__u8 *)ctx.data);
	memcpy(pkt, data, len);
	*out_len = len;
	/* Time moves a little with every packet, as it does in the kernel. */
	xg_native_now_ns += 1000;
	return act;
}

static int n_last_meta(struct xg_xsk_meta *m)
{
	if (has_meta)
		*m = last_meta;
	return has_meta;
}

static int n_add_xsk(void)
{
	__u32 q = 0, fd = 1, slot, ifindex;
	long err;

	for (int leg = 0; leg < 2; leg++) {
		slot = (__u32)leg;
		ifindex = n_ifindex(leg);
		err = xg_nmap_update(&xg_ifslots, &ifindex, &slot, 0);
		if (err)
			return (int)err;
	}
	return (int)xg_nmap_update(&xg_xsks, &q, &fd, 0);
}

static int n_advance(__u64 ns)
{
	xg_native_now_ns += ns;
	return 0;
}

static void n_fini(void)
{
	xg_native_reset();
	nms_release_tables();
}

const struct dp_backend backend_native = {
	.name = "native",
	.init = n_init,
	.reset = n_reset,
	.maps = n_maps,
	.run = n_run,
	.events = n_events,
	.ifindex = n_ifindex,
	.add_xsk = n_add_xsk,
	.last_meta = n_last_meta,
	.advance_ns = n_advance,
	.fini = n_fini,
};
