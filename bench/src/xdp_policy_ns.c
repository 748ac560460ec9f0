// SPDX-License-Identifier: GPL-2.0-only
/*
 * ns/packet of the XDP datapath under bpf_prog_test_run_opts, for an
 * established flow, a denied packet and a new flow, across table sizes
 * (policy entries x ipcache prefixes).  Prints one JSON object per
 * configuration on stdout; bench/xdp_policy turns them into the table.
 *
 * Established and denied packets repeat one frame (`repeat`), as the
 * datapath sees a flow's second and later packets.  A new flow cannot be
 * repeated (its first run admits it): bench/progs/newflow_driver.bpf.c
 * stamps a new source port into the frame on every iteration and
 * tail-calls the datapath; the driver's own cost (measured with an
 * XDP_PASS program behind it) is subtracted.  The same driver also sends
 * new flows to a port the server does not open (a denied decision per
 * packet) and, as a floor, runs bench/progs/ct_floor.bpf.c: one missing
 * lookup and one insert in this configuration's own conntrack map, what
 * the kernel's hash table alone costs any new flow.  Measuring new flows one
 * syscall each instead would add ~370 ns of cold caches per packet
 * (seen here: an established packet costs 435 ns that way, 68 ns
 * repeated), which a NIC's steady stream does not pay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctrl/entries.h"
#include "ctrl/loader.h"
#include "ctrl/policy_state.h"
#include "tests/lib/pktbuild.h"
#include "xdp/proto.h"
#include "bench/progs/ct_floor.skel.h"
#include "bench/progs/newflow_driver.skel.h"

#define ID_CLIENT 1001
#define ID_SERVER 2001
#define ID_INTRUDER 1002

static __u32 ifidx_in;

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "xdp_policy_ns: '%s' failed\n", cmd);
	return rc;
}

/* A private netns with two legs, so the FIB lookup of the forward path
 * answers as on the gateway. */
static int make_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	if (sh("ip link set lo up && sysctl -qw net.ipv4.conf.all.forwarding=1") ||
	    sh("ip link add b0 address 02:00:00:00:00:01 type veth peer name b0p") ||
	    sh("ip link add b1 address 02:00:00:00:01:01 type veth peer name b1p") ||
	    sh("ip link set b0 up && ip link set b0p up && ip link set b1 up && ip link set b1p up") ||
	    sh("ip addr add 198.18.0.1/24 dev b0 && ip addr add 198.19.0.1/24 dev b1") ||
	    sh("ip neigh replace 198.19.0.11 lladdr 02:00:00:00:01:11 dev b1 nud permanent"))
		return -1;
	ifidx_in = if_nametoindex("b0");
	return 0;
}

static double run_repeat(int prog_fd, const __u8 *pkt, size_t len, __u32 repeat)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifidx_in };
	__u8 out[2048];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o)) {
		perror("bpf_prog_test_run_opts");
		exit(1);
	}
	return (double)o.duration;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t frame(__u8 *buf, const char *src, __u16 sport, __u16 dport,
		    __u8 flags)
{
	struct pkt_spec s = {
		.family = 4, .src = src, .dst = "198.19.0.11", .proto = 6,
		.sport = sport, .dport = dport, .tcp_flags = flags, .payload = 10,
	};

	pkt_parse_mac("02:00:00:00:00:11", s.smac);
	pkt_parse_mac("02:00:00:00:00:01", s.dmac);
	return pkt_build(buf, 2048, &s);
}

static __u64 rnd_state = 88172645463325252ull;

static __u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* n prefixes: most /32 (endpoints), some shorter (CIDR identities),
 * spread over the address space outside the benchmark's own ranges. */
static int fill_ipcache(struct xg_mapset *ms, long n)
{
	struct xg_prefix p = { .family = XG_FAMILY_V4 };
	long done = 0;

	while (done < n) {
		__u32 a = (__u32)rnd();
		__u8 len = (rnd() % 10) ? 32 : (__u8)(16 + rnd() % 13);

		if ((a >> 17) == (0xC612u >> 1))
			continue; /* keep 198.18.0.0/15 to our own entries */
		a &= len ? ~0u << (32 - len) : 0;
		a = htonl(a);
		memcpy(p.addr, &a, 4);
		p.len = len;
		if (xg_ipcache_set(ms, &p, 256 + (__u32)(rnd() % 100000)))
			return -1;
		done++;
	}
	return 0;
}

static int set_ip(struct xg_mapset *ms, const char *s, __u32 id)
{
	struct xg_prefix p;

	return xg_prefix_parse(s, &p, NULL) || xg_ipcache_set(ms, &p, id);
}

/* n policy entries: ours (client may reach server on 80) plus filler
 * rules over other subjects, peers and ports. */
static int fill_policy(struct xg_mapset *ms, long n)
{
	struct xg_policy_sync sync = {};
	struct xg_policy_set set;
	struct xg_rule *r = calloc((size_t)n + 2, sizeof(*r));
	struct xg_err e = {};
	long i;
	int err;

	if (!r)
		return -1;
	r[0] = (struct xg_rule){ .subject = ID_SERVER, .peer = ID_CLIENT,
				 .dir = XG_DIR_INGRESS, .action = XG_ACT_ALLOW,
				 .proto = 6, .port_lo = 80, .port_hi = 80 };
	r[1] = (struct xg_rule){ .subject = ID_SERVER, .peer = ID_CLIENT,
				 .dir = XG_DIR_EGRESS, .action = XG_ACT_ALLOW,
				 .proto = 6, .port_lo = 1, .port_hi = 1 };
	for (i = 2; i < n; i++) {
		r[i] = (struct xg_rule){
			.subject = 3000 + (__u32)(rnd() % 2000),
			.peer = 256 + (__u32)(rnd() % 100000),
			.dir = (__u8)(1 + rnd() % 2),
			.action = XG_ACT_ALLOW,
			.proto = 6,
		};
		r[i].port_lo = r[i].port_hi = (__u16)(1 + rnd() % 65535);
	}
	err = xg_policy_compile(r, (size_t)(n < 2 ? 2 : n), NULL, 0, &set, &e);
	free(r);
	if (err) {
		fprintf(stderr, "compile: %s\n", e.msg);
		return -1;
	}
	err = xg_policy_sync_apply(&sync, ms, &set, NULL);
	xg_policy_set_free(&set);
	xg_policy_sync_free(&sync);
	return err;
}

static int pass_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 2 }, /* r0 = XDP_PASS */
		{ .code = 0x95 }, /* exit */
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "xg_bench_pass", "GPL", insns, 2,
			     NULL);
}

/* ns per iteration of the driver with `prog` behind it.  The datapath's
 * conntrack is emptied first by the caller's choice of a fresh counter
 * range: 1M tuples before one repeats. */
static double driven_ns(struct newflow_driver_bpf *drv, int prog, __u32 repeat,
			__u16 dport)
{
	static __u32 next_flow; /* never reuse a tuple across measurements */
	__u8 buf[2048];
	__u32 zero = 0;
	size_t len;

	drv->bss->counter = next_flow;
	next_flow += repeat;

	if (bpf_map_update_elem(bpf_map__fd(drv->maps.target), &zero, &prog, 0)) {
		fprintf(stderr, "prog fd %d: ", prog);
		perror("prog array");
		exit(1);
	}
	len = frame(buf, "198.18.0.2", 1, dport, XG_TCP_SYN);
	return run_repeat(bpf_program__fd(drv->progs.newflow_driver), buf, len,
			  repeat);
}

/* Mean ns per run over `n` distinct new flows, each run once (one
 * syscall per packet: cold caches; kept for the debug comparison). */
static double new_flows_ns(int prog_fd, int n, __u32 base)
{
	__u8 buf[2048];
	double sum = 0;
	char src[32];

	for (int i = 0; i < n; i++) {
		__u32 k = base + (__u32)i;
		size_t len;

		/* 198.18.0.0/24 clients: their /24 is in the ipcache */
		snprintf(src, sizeof(src), "198.18.%u.%u", 0u, 2 + (k / 60000) % 250);
		len = frame(buf, src, (__u16)(1024 + k % 60000), 80, XG_TCP_SYN);
		sum += run_repeat(prog_fd, buf, len, 1);
	}
	return sum / n;
}

#define NCONF 6 /* policies x prefixes */
#define MAX_RUNS 9

/* One table size, loaded for the whole run: the datapath as shipped, and
 * a twin without the verdict cache on the same (pinned, adopted) maps, so
 * a new flow judged in full is measured on the very same tables. */
struct conf {
	long policies, prefixes;
	struct xg_datapath *dp, *twin;
	int fd, twin_fd;
	char pin[96];
	double est[MAX_RUNS], den[MAX_RUNS], nf[MAX_RUNS], ovh[MAX_RUNS];
	double nf_full[MAX_RUNS], nfd[MAX_RUNS], floor[MAX_RUNS];
	struct ct_floor_bpf *floor_prog; /* on this configuration's xg_ct */
};

/* The twins share maps through pins under here; removed at exit. */
static char pin_base[64];

static void unpin_all(void)
{
	char cmd[128];

	if (!pin_base[0])
		return;
	/* only pins this process made, in its own directory; it is made
	 * again for the next configuration */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'/c*", pin_base);
	if (system(cmd))
		fprintf(stderr, "xdp_policy_ns: could not empty %s\n", pin_base);
}

static void unpin_exit(void)
{
	unpin_all();
	if (pin_base[0])
		rmdir(pin_base);
}

static void print_runs(const char *name, const double *v, int n)
{
	printf(", \"%s\": [", name);
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", v[i]);
	printf("]");
}

int main(int argc, char **argv)
{
	long policies[] = { 10, 10000, 200000 }, prefixes[] = { 10, 1000000 };
	static struct conf confs[NCONF];
	int runs = 5, repeat = 2000000, flows = 20000;
	/* New flows per measurement: all runs of a configuration together
	 * (runs x 3 x this: the datapath, its cache-off twin and the
	 * conntrack floor insert into one conntrack; denied flows insert
	 * nothing) stay under one CPU's share of the conntrack size set
	 * below, so every iteration is an insert into a table with room,
	 * never an eviction (evictions are a flood's cost, measured live). */
	int newflow_repeat = 100000;
	struct newflow_driver_bpf *drv;
	int pass_fd;

	__u32 fwd = XG_FWD_FIB, events = 1000;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--quick"))
			runs = 3, repeat = 200000, flows = 5000,
			newflow_repeat = 50000;
		else if (!strcmp(argv[a], "--fwd-pass"))
			fwd = XG_FWD_PASS;
		else if (!strcmp(argv[a], "--no-events"))
			events = 0;
	}
	if (make_netns())
		return 1;
	pass_fd = pass_prog();
	if (pass_fd < 0) {
		perror("loading the XDP_PASS baseline");
		return 1;
	}
	drv = newflow_driver_bpf__open_and_load();
	if (!drv) {
		perror("loading the new-flow driver");
		return 1;
	}
	pass_fd = bpf_program__fd(drv->progs.newflow_pass);
	snprintf(pin_base, sizeof(pin_base), "/sys/fs/bpf/xg-bench-ns-%d",
		 (int)getpid());
	if (mkdir(pin_base, 0700)) {
		fprintf(stderr, "xdp_policy_ns: %s: %s (is bpffs mounted?)\n",
			pin_base, strerror(errno));
		pin_base[0] = 0;
		return 1;
	}
	atexit(unpin_exit);
	/* Every configuration is loaded first and the runs go round them:
	 * this VM's speed wanders by tens of percent over a minute, so a
	 * ratio between two sizes is only fair from runs seconds apart
	 * (the report takes the median of per-run ratios). */
	for (int c = 0; c < NCONF; c++) {
		struct xg_loader_opts lo;
		struct xg_err e = {};
		struct xg_mapset *ms;
		struct conf *k = &confs[c];

		k->policies = policies[c / 2];
		k->prefixes = prefixes[c % 2];
		xg_loader_opts_default(&lo);
		snprintf(k->pin, sizeof(k->pin), "%s/c%d", pin_base, c);
		lo.pin_root = k->pin;
		lo.ipcache_max = 1100000;
		lo.policy_max = 262144;
		lo.ct_max = 4u << 20; /* 2M per CPU list: no eviction */
		if (getenv("XG_BENCH_CT_MAX"))
			lo.ct_max = (__u32)atol(getenv("XG_BENCH_CT_MAX"));
		lo.cfg.fwd_mode = fwd;
		lo.cfg.events_per_sec = events;
		if (xg_dp_open(&lo, &k->dp, &e) || xg_dp_load(k->dp, &e)) {
			fprintf(stderr, "load: %s\n", e.msg);
			return 1;
		}
		ms = xg_dp_maps(k->dp);
		k->fd = xg_dp_prog_fd(k->dp);
		if (set_ip(ms, "198.18.0.0/24", ID_CLIENT) ||
		    set_ip(ms, "198.18.0.99", ID_INTRUDER) ||
		    set_ip(ms, "198.19.0.11", ID_SERVER) ||
		    xg_txport_add(ms, if_nametoindex("b1")) ||
		    fill_ipcache(ms, k->prefixes - 3) ||
		    fill_policy(ms, k->policies)) {
			fprintf(stderr, "filling tables failed\n");
			return 1;
		}
		lo.cfg.vcache_slots = 0;
		if (xg_dp_open(&lo, &k->twin, &e) || xg_dp_load(k->twin, &e)) {
			fprintf(stderr, "load (twin): %s\n", e.msg);
			return 1;
		}
		k->twin_fd = xg_dp_prog_fd(k->twin);
		k->floor_prog = ct_floor_bpf__open();
		if (!k->floor_prog ||
		    bpf_map__reuse_fd(k->floor_prog->maps.ct, xg_dp_map_fd(k->dp, XG_M_CT)) ||
		    ct_floor_bpf__load(k->floor_prog)) {
			perror("loading the conntrack floor");
			return 1;
		}
		/* both hold the maps now: the pins have done their job */
		unpin_all();
	}
	if (getenv("XG_BENCH_PROFILE_EST")) {
		__u8 buf[2048];
		size_t len;
		int fd = confs[NCONF - 1].fd;

		len = frame(buf, "198.18.0.20", 40000, 80, XG_TCP_SYN);
		run_repeat(fd, buf, len, 1);
		len = frame(buf, "198.18.0.20", 40000, 80, XG_TCP_ACK);
		for (int k = 0; k < 30; k++)
			run_repeat(fd, buf, len, 1000000);
		return 0;
	}
	if (getenv("XG_BENCH_PROFILE")) {
		/* new flows for perf record: XG_BENCH_PROFILE=N rounds of
		 * 200,000 (about 0.1 s each) */
		int rounds = atoi(getenv("XG_BENCH_PROFILE"));

		for (int k = 0; k < (rounds > 0 ? rounds : 20); k++)
			driven_ns(drv, confs[NCONF - 1].fd, 200000,
				  getenv("XG_BENCH_PROFILE_DENY") ? 81 : 80);
		return 0;
	}
	for (int r = 0; r < runs; r++) {
		for (int c = 0; c < NCONF; c++) {
			struct conf *k = &confs[c];
			__u8 buf[2048];
			size_t len;
			int fd = k->fd;

			/* established: admit once, then repeat */
			len = frame(buf, "198.18.0.20", 40000, 80, XG_TCP_SYN);
			run_repeat(fd, buf, len, 1);
			len = frame(buf, "198.18.0.20", 40000, 80, XG_TCP_ACK);
			k->est[r] = run_repeat(fd, buf, len, (__u32)repeat);
			/* denied: the intruder, repeated */
			len = frame(buf, "198.18.0.99", 40001, 80, XG_TCP_SYN);
			k->den[r] = run_repeat(fd, buf, len, (__u32)repeat);
			k->nf[r] = driven_ns(drv, fd, (__u32)newflow_repeat, 80);
			k->nf_full[r] = driven_ns(drv, k->twin_fd,
						  (__u32)newflow_repeat, 80);
			/* new flows to a port the server does not open: each
			 * a policy decision, what a flood of new sources costs */
			k->nfd[r] = driven_ns(drv, fd, (__u32)newflow_repeat, 81);
			k->floor[r] = driven_ns(
				drv, bpf_program__fd(k->floor_prog->progs.ct_floor),
				(__u32)newflow_repeat, 80);
			k->ovh[r] = driven_ns(drv, pass_fd, (__u32)newflow_repeat,
					      80);
			if (getenv("XG_BENCH_DEBUG")) {
				double sum = 0;

				len = frame(buf, "198.18.0.20", 40000, 80, XG_TCP_ACK);
				for (int f = 0; f < flows; f++)
					sum += run_repeat(fd, buf, len, 1);
				fprintf(stderr, "one syscall per packet: established %.1f ns, new flow %.1f ns\n",
					sum / flows,
					new_flows_ns(fd, flows, (__u32)((r * NCONF + c) * flows)));
			}
		}
	}
	for (int c = 0; c < NCONF; c++) {
		struct conf *k = &confs[c];
		double nfo[MAX_RUNS], nff[MAX_RUNS], nfdo[MAX_RUNS],
			flo[MAX_RUNS];
		double o, n;

		for (int r = 0; r < runs; r++) {
			nfo[r] = k->nf[r] - k->ovh[r];
			nff[r] = k->nf_full[r] - k->ovh[r];
			nfdo[r] = k->nfd[r] - k->ovh[r];
			flo[r] = k->floor[r] - k->ovh[r];
		}
		o = median(k->ovh, runs);
		n = median(k->nf, runs);
		printf("{\"policy_entries\": %ld, \"ipcache_prefixes\": %ld, "
		       "\"established_ns\": %.1f, \"denied_ns\": %.1f, "
		       "\"new_flow_ns\": %.1f, \"new_flow_driven_ns\": %.1f, "
		       "\"driver_ns\": %.1f, \"runs\": %d",
		       k->policies, k->prefixes, median(k->est, runs),
		       median(k->den, runs), n - o, n, o, runs);
		print_runs("established_runs", k->est, runs);
		print_runs("denied_runs", k->den, runs);
		print_runs("new_flow_runs", nfo, runs);
		printf(", \"new_flow_full_ns\": %.1f", median(nff, runs));
		print_runs("new_flow_full_runs", nff, runs);
		printf(", \"new_flow_denied_ns\": %.1f", median(nfdo, runs));
		print_runs("new_flow_denied_runs", nfdo, runs);
		printf(", \"ct_floor_ns\": %.1f", median(flo, runs));
		print_runs("ct_floor_runs", flo, runs);
		printf("}\n");
		fflush(stdout);
		ct_floor_bpf__destroy(k->floor_prog);
		xg_dp_close(k->twin);
		xg_dp_close(k->dp);
	}
	return 0;
}
