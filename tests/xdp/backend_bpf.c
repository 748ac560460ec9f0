// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet-table backend over the real XDP program, run with
 * bpf_prog_test_run_opts inside a private network namespace that holds
 * the topology of topo.h, so bpf_fib_lookup answers from a real FIB.
 */
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "ctrl/loader.h"
#include "ctrl/log.h"
#include "backend.h"
#include "topo.h"

static struct xg_datapath *dp;
static struct ring_buffer *rb;
static int nevents;
static struct xg_event last_ev;
static __u32 ifidx[2];

static struct xsk_umem *umem;
static struct xsk_socket *xsk;
static void *umem_area;
#define UMEM_FRAMES 64
#define UMEM_FRAME_SIZE 4096

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "backend_bpf: '%s' failed (%d)\n", cmd, rc);
	return rc ? -EIO : 0;
}

static int b_init(void)
{
	int err = 0;

	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr, "backend_bpf: unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return err;
	}
	err |= sh("ip link set lo up");
	err |= sh("sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1");
	for (int leg = 0; leg < 2; leg++) {
		const struct topo_if *t = &topo_ifs[leg];

		err |= sh("ip link add %s address %s type veth peer name %s",
			  t->name, t->mac, t->peer);
		err |= sh("ip link set %s up && ip link set %s up", t->name,
			  t->peer);
		err |= sh("ip addr add %s dev %s", t->ip4, t->name);
		err |= sh("ip -6 addr add %s dev %s nodad", t->ip6, t->name);
		ifidx[leg] = if_nametoindex(t->name);
	}
	for (int h = 0; h < NHOSTS; h++) {
		const struct topo_host *th = &topo_hosts[h];

		if (!th->mac)
			continue;
		err |= sh("ip neigh replace %s lladdr %s dev %s nud permanent",
			  th->ip4, th->mac, topo_ifs[th->leg].name);
		err |= sh("ip -6 neigh replace %s lladdr %s dev %s nud permanent",
			  th->ip6, th->mac, topo_ifs[th->leg].name);
	}
	return err ? -EIO : 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(last_ev))
		memcpy(&last_ev, data, sizeof(last_ev));
	nevents++;
	return 0;
}

static void drop_xsk(void)
{
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (umem_area)
		munmap(umem_area, UMEM_FRAMES * UMEM_FRAME_SIZE);
	xsk = NULL;
	umem = NULL;
	umem_area = NULL;
}

static void close_dp(void)
{
	__u32 q = 0;

	if (xsk && dp)
		bpf_map_delete_elem(xg_dp_map_fd(dp, XG_M_XSKS), &q);
	ring_buffer__free(rb);
	rb = NULL;
	xg_dp_close(dp);
	dp = NULL;
}

static void b_fini(void)
{
	close_dp();
	drop_xsk();
}

static int b_reset(const struct xg_config *cfg)
{
	struct xg_loader_opts o;
	struct xg_err e = {};
	char msg[512];
	int err;

	close_dp();
	xg_loader_opts_default(&o);
	o.pin_root = ""; /* tests never pin */
	o.ipcache_max = 4096;
	o.policy_max = 4096;
	o.ct_max = 4096;
	o.denycache_max = 1024;
	o.frag_max = 1024;
	o.cfg = *cfg;
	err = xg_dp_open(&o, &dp, &e);
	if (!err)
		err = xg_dp_load(dp, &e);
	if (err) {
		fprintf(stderr, "backend_bpf: %s\n", xg_err_str(&e, msg, sizeof(msg)));
		return err;
	}
	rb = ring_buffer__new(xg_dp_events_fd(dp), on_event, NULL, NULL);
	if (!rb)
		return -errno;
	nevents = 0;
	return 0;
}

static struct xg_mapset *b_maps(void)
{
	return xg_dp_maps(dp);
}

static struct xg_xsk_meta last_meta;
static int has_meta;

static int b_run(__u8 *pkt, size_t len, size_t *out_len, int leg)
{
	static __u8 out[4096];
	struct xdp_md ctx_out = {};
	/* The kernel wants data_end to be the frame size when a context
	 * is given (it checks, to place metadata). */
	struct xdp_md ctx = {
		.data_end = (__u32)len,
		.ingress_ifindex = ifidx[leg],
		.rx_queue_index = 0,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(xg_dp_prog_fd(dp), &opts);
	if (err)
		return -errno;
	/* The output starts with the metadata the program left; ctx_out's
	 * data is its length. */
	if (ctx_out.data > opts.data_size_out)
		return -EINVAL;
	has_meta = ctx_out.data == sizeof(last_meta);
	if (has_meta)
		memcpy(&last_meta, out, sizeof(last_meta));
	memcpy(pkt, out + ctx_out.data, opts.data_size_out - ctx_out.data);
	*out_len = opts.data_size_out - ctx_out.data;
	return (int)opts.retval;
}

static int b_events(struct xg_event *last)
{
	int n;

	ring_buffer__consume(rb);
	n = nevents;
	if (n && last)
		*last = last_ev;
	nevents = 0;
	return n;
}

static __u32 b_ifindex(int leg)
{
	return ifidx[leg];
}

/* A real AF_XDP socket on the front leg's queue 0, in the XSKMAP. */
static int b_add_xsk(void)
{
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	int err, fd;
	__u32 q = 0;

	/* One socket for the whole run: a closed socket's queue binding is
	 * released from a kernel work queue, later than a rebind would come. */
	if (xsk)
		goto insert;
	umem_area = mmap(NULL, UMEM_FRAMES * UMEM_FRAME_SIZE,
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem_area == MAP_FAILED) {
		umem_area = NULL;
		return -ENOMEM;
	}
	err = xsk_umem__create(&umem, umem_area, UMEM_FRAMES * UMEM_FRAME_SIZE,
			       &fq, &cq, NULL);
	if (err)
		goto fail;
	err = xsk_socket__create(&xsk, topo_ifs[GW0].name, 0, umem, &rx, &tx,
				 &cfg);
	if (err)
		goto fail;
insert:
	for (__u32 leg = 0; leg < 2; leg++) {
		err = bpf_map_update_elem(xg_dp_map_fd(dp, XG_M_IFSLOTS),
					  &ifidx[leg], &leg, 0);
		if (err)
			return -errno;
	}
	fd = xsk_socket__fd(xsk);
	err = bpf_map_update_elem(xg_dp_map_fd(dp, XG_M_XSKS), &q, &fd, 0);
	if (err)
		return -errno;
	return 0;
fail:
	fprintf(stderr, "backend_bpf: AF_XDP socket: %s\n", strerror(-err));
	drop_xsk();
	return err;
}

static int b_last_meta(struct xg_xsk_meta *m)
{
	if (has_meta)
		*m = last_meta;
	return has_meta;
}

static int b_advance(__u64 ns)
{
	return -EOPNOTSUPP;
}

const struct dp_backend backend_bpf = {
	.name = "bpf",
	.init = b_init,
	.reset = b_reset,
	.maps = b_maps,
	.run = b_run,
	.events = b_events,
	.ifindex = b_ifindex,
	.add_xsk = b_add_xsk,
	.last_meta = b_last_meta,
	.advance_ns = b_advance,
	.fini = b_fini,
};
