// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/lb_scaling, parts 1 and 3: what a new flow to a service costs in
 * the XDP datapath as the number of services grows, and what adding or
 * removing one service costs when N exist.  Prints one JSON object per
 * service count on stdout; bench/lb_scaling turns them into the table.
 *
 * One datapath, filled through the services API (xg_service_put, the
 * path the daemon takes) up to each count in turn and measured there,
 * then emptied (xg_service_del) back down through the counts and
 * measured again.  One datapath rather than one per count: a new flow's
 * cost is mostly cache and TLB misses in the conntrack and svcflow
 * tables, and on this VM the same program ran 0.9 us or 2 us a flow
 * depending on which instance's memory it met (seen with one instance
 * per count: 1 and 10,000 services at 2.0 us, 100,000 at 0.85), which
 * says nothing about service counts.  Up and down, because memory taken
 * by 100,000 Maglev tables can change how the rest performs: measured
 * both before and after, each count sees both states.
 *
 * Other tenants of this 2-vCPU VM move a new flow's cost by 2x over
 * seconds (their cache traffic against our cache misses), more than any
 * service count could.  So every run of the datapath under test sits
 * next to a run of a second datapath that holds one service throughout
 * (the reference), and each count is also given as its runs over the
 * reference runs beside them: what the machine did to both cancels.
 *
 * ns/packet: bench/progs/lb_newflow_driver.bpf.c restores a SYN to the
 * last-added service's VIP, stamps a new source port and address into it
 * and tail-calls the datapath, `repeat` times per bpf_prog_test_run_opts
 * call, alternating with the same driver in front of an XDP_PASS program,
 * whose median is subtracted.  Every iteration is a new flow: a service
 * lookup, a Maglev slot, a svcflow and a conntrack insert, DNAT and the
 * FIB forward.  The flows of one measurement ((runs + 1) x repeat) stay
 * under three quarters of one CPU's share of the conntrack and svcflow
 * tables (per-CPU LRU lists: max_entries / possible CPUs each), so no
 * insert evicts (evictions are a flood's cost, not a service count's),
 * and are undone after it, newest first, which leaves both tables as the
 * first measurement found them, down to the order of their free lists
 * (undo_flows(); "newest" by the driver's counter, which the flow keys
 * carry: sorting by the entries' own timestamps did not restore it).  That order matters: emptied by a batch delete, the
 * free elements come back bucket by bucket, scattered over the table's
 * memory, and a new flow then cost 1.5-3.5 us here instead of 0.9; left
 * to fill up from one measurement to the next, the tables' growing
 * chains made each count slower than the one measured before it.
 *
 * add/remove: xg_service_put of one more service (3 backends, its Maglev
 * table) and xg_service_del of it, timed one call at a time, at every
 * count on the way up and down; medians.
 *
 * LB_NO_UNDO=1 in the environment leaves each measurement's flows in the
 * tables (to see what undoing them is for).
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctrl/entries.h"
#include "ctrl/loader.h"
#include "tests/lib/pktbuild.h"
#include "xdp/proto.h"
#include "bench/src/lb_fill.h"
#include "bench/progs/lb_newflow_driver.skel.h"

#define MAX_COUNTS 16
#define MAX_RUNS 31

/* Which field sets the Maglev table size, if this tree has one yet
 * (bench/lb_scaling.mk looks): the loader option, or the load-time
 * config it carries. */
#if defined(LB_OPTS_MAGLEV_M)
#define LB_SET_M(lo, m) ((lo)->maglev_m = (m))
#elif defined(LB_CFG_MAGLEV_M)
#define LB_SET_M(lo, m) ((lo)->cfg.maglev_m = (m))
#endif

/* One service count; [0] on the way up, [1] on the way down. */
struct point {
	long n;
	const char *skipped; /* why not measured, or NULL */
	char why[200];
	double grow_s; /* adding the services from the previous count */
	long grown;
	double nf[2][MAX_RUNS], ovh[2][MAX_RUNS];
	double ref[2][MAX_RUNS]; /* the 1-service reference, same rounds */
	int nruns[2];
	double *add_us, *del_us;
	int nchurn;
	long flows, svcflow_entries; /* per measurement: driven, recorded */
};

static __u32 ifidx_in;
static int verbose = 1;

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "lb_scaling_ns: '%s' failed\n", cmd);
	return rc;
}

/* A private netns with two legs, so the FIB lookup of the forward path
 * answers as on the gateway: b0 faces the clients, b1 the backends. */
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
	    sh("for h in 11 12 13; do ip neigh replace 198.19.0.$h lladdr 02:00:00:00:01:$h dev b1 nud permanent || exit 1; done"))
		return -1;
	ifidx_in = if_nametoindex("b0");
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double *s = malloc((size_t)n * sizeof(*s));
	double r;

	if (!s || !n) {
		free(s);
		return 0;
	}
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	r = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return r;
}

static double pct(const double *v, int n, double p)
{
	double *s = malloc((size_t)n * sizeof(*s));
	double r;

	if (!s || !n) {
		free(s);
		return 0;
	}
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	r = s[(int)(p * (n - 1) + 0.5)];
	free(s);
	return r;
}

static long mem_available_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Kernel memory one service costs, roughly: its Maglev array (the data
 * page-aligned, as a mappable array is, plus the map itself) and its
 * hash entries.  Only for the check before filling; what the kernel
 * really took is in the figures' "m". */
static double svc_bytes(__u32 m)
{
	return (double)((m * 4 + 4095) / 4096 * 4096) + 4096 + 1024;
}

/* A SYN from the client side to the last-added service's VIP. */
static size_t syn_frame(__u8 *buf, long n)
{
	struct xg_svc_key k;
	char vip[INET_ADDRSTRLEN];
	struct pkt_spec s = {
		.family = 4, .src = "198.18.0.2", .proto = 6, .sport = 1,
		.tcp_flags = XG_TCP_SYN, .payload = 10,
	};

	lb_svc_key((__u32)(n - 1), &k);
	inet_ntop(AF_INET, k.addr, vip, sizeof(vip));
	s.dst = vip;
	s.dport = ntohs(k.port);
	pkt_parse_mac("02:00:00:00:00:11", s.smac);
	pkt_parse_mac("02:00:00:00:00:01", s.dmac);
	return pkt_build(buf, 2048, &s);
}

static int run_once(int prog_fd, const __u8 *pkt, size_t len, __u32 repeat,
		    __u8 *out, __u32 *out_len, __u32 *retval, __u32 *dur)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifidx_in };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = 2048, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	if (retval)
		*retval = o.retval;
	if (dur)
		*dur = o.duration;
	return 0;
}

/* Runs the driver `repeat` times with `prog` in its slot; ns per
 * iteration (the kernel reports the mean). */
static double driven(struct lb_newflow_driver_bpf *drv, int prog, long n,
		     __u32 repeat, __u32 *retval, __u8 *out)
{
	static __u32 next_flow; /* no tuple is ever used twice */
	__u8 buf[2048];
	__u32 zero = 0, dur = 0, rv = 0, olen = 0;
	__u8 scratch[2048];
	size_t len = syn_frame(buf, n);
	int err;

	/* The template is the untouched frame; the driver copies it back
	 * before every iteration. */
	memcpy(drv->bss->tmpl, buf, sizeof(drv->bss->tmpl));
	drv->bss->counter = next_flow;
	next_flow += repeat;
	if (bpf_map_update_elem(bpf_map__fd(drv->maps.target), &zero, &prog, 0)) {
		perror("prog array");
		exit(1);
	}
	err = run_once(bpf_program__fd(drv->progs.lb_newflow_driver), buf, len,
		       repeat, out ? out : scratch, &olen, &rv, &dur);
	if (err) {
		fprintf(stderr, "bpf_prog_test_run_opts: %s\n", strerror(-err));
		exit(1);
	}
	if (retval)
		*retval = rv;
	return (double)dur;
}

static long count_entries(int fd, size_t key_size)
{
	__u8 k[64], nk[64];
	long n = 0;
	void *prev = NULL;

	if (key_size > sizeof(k))
		return -1;
	while (!bpf_map_get_next_key(fd, prev, nk)) {
		memcpy(k, nk, key_size);
		prev = k;
		n++;
	}
	return n;
}

static __u32 map_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* Bytes of the Maglev table the kernel holds for svc_id (its layout,
 * slots or blocks of slots, is the services code's business). */
static __u64 table_bytes(struct xg_datapath *dp, __u32 svc_id)
{
	struct bpf_map_info info = {};
	__u32 inner_id = 0, len = sizeof(info);
	int fd;

	if (bpf_map_lookup_elem(xg_dp_map_fd(dp, XG_M_MAGLEV), &svc_id, &inner_id))
		return 0;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.max_entries = 0;
	close(fd);
	return (__u64)info.max_entries * info.value_size;
}

struct made {
	__u32 c; /* the driver's counter when it made this flow */
	struct xg_flow_key key;
};

static int cmp_newest_first(const void *a, const void *b)
{
	__u32 x = ((const struct made *)a)->c, y = ((const struct made *)b)->c;

	return x > y ? -1 : x < y;
}

/* Which driver iteration made a flow: its client side (198.18.0.x:port,
 * conntrack may list it as either side) carries the counter. */
static __u32 flow_counter(const struct xg_flow_key *k)
{
	static const __u8 net[3] = { 198, 18, 0 };
	const __u8 *addr = k->a;
	__u16 port = ntohs(k->aport);

	if (memcmp(k->a, net, 3)) {
		addr = k->b;
		port = ntohs(k->bport);
	}
	return (__u32)(addr[3] - 1) << 16 | port;
}

/* Takes an LRU flow table (keyed by struct xg_flow_key) back to the
 * state it had before a measurement's flows: deletes them in the reverse
 * of the order the driver made them.  A per-CPU LRU hands out free
 * elements from the head of its free list and a delete puts one back at
 * the head, so undoing the inserts in reverse restores the free list's
 * order too: the next measurement meets the very elements, in the very
 * order, the first one met.  Emptying the table any other way scatters
 * that order (see the top of this file).  Returns the entries removed. */
static long undo_flows(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), chunk = 8192, cnt;
	struct made *e = NULL;
	__u8 *keys = NULL, *vals = NULL;
	long n = 0, cap = 0;
	__u64 in = 0, out = 0;
	int first = 1, err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.key_size != sizeof(struct xg_flow_key))
		return -EINVAL;
	keys = malloc((size_t)info.key_size * chunk);
	vals = malloc((size_t)info.value_size * chunk);
	if (!keys || !vals)
		goto nomem;
	do {
		cnt = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals,
					   &cnt, NULL);
		if (err && errno != ENOENT) {
			n = -errno;
			goto out;
		}
		first = 0;
		in = out;
		if (n + cnt > cap) {
			struct made *ne;

			cap = (n + cnt) * 2;
			ne = realloc(e, (size_t)cap * sizeof(*e));
			if (!ne)
				goto nomem;
			e = ne;
		}
		for (__u32 i = 0; i < cnt; i++, n++) {
			memcpy(&e[n].key, keys + (size_t)i * info.key_size, info.key_size);
			e[n].c = flow_counter(&e[n].key);
		}
	} while (!err);
	qsort(e, (size_t)n, sizeof(*e), cmp_newest_first);
	for (long i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &e[i].key)) {
			n = -errno;
			break;
		}
	goto out;
nomem:
	n = -ENOMEM;
out:
	free(e);
	free(keys);
	free(vals);
	return n;
}

/* Both flow tables of a datapath back to empty, in their first order. */
static int undo_all(struct xg_datapath *dp)
{
	long a = undo_flows(xg_dp_map_fd(dp, XG_M_SVCFLOW));
	long b = undo_flows(xg_dp_map_fd(dp, XG_M_CT));

	if (a < 0 || b < 0) {
		fprintf(stderr, "lb_scaling_ns: undoing the flows failed: %s\n",
			strerror((int)-(a < 0 ? a : b)));
		return -1;
	}
	return 0;
}

/* One SYN through the driver: the datapath must forward it to one of the
 * lab backends, DNATed; else the figures would time something else. */
static int check_path(struct lb_newflow_driver_bpf *drv, struct xg_datapath *dp,
		      long n)
{
	__u8 out[2048];
	__u32 rv = 0, dst;
	unsigned int port;

	driven(drv, xg_dp_prog_fd(dp), n, 1, &rv, out);
	memcpy(&dst, out + 14 + 16, 4);
	dst = ntohl(dst);
	port = (unsigned int)out[14 + 20 + 2] << 8 | out[14 + 20 + 3];
	if (rv != XDP_REDIRECT || dst < LB_REAL_BASE ||
	    dst >= LB_REAL_BASE + LB_BACKENDS || port != LB_REAL_PORT) {
		fprintf(stderr, "lb_scaling_ns: N=%ld: the SYN to the VIP came back with verdict %u, destination %u.%u.%u.%u:%u: not forwarded to a backend\n",
			n, rv, dst >> 24, (dst >> 16) & 255, (dst >> 8) & 255,
			dst & 255, port);
		return -1;
	}
	return 0;
}

/* ns/packet at the current count (sweep 0 up, 1 down), and add/remove. */
static int measure(struct lb_newflow_driver_bpf *drv, struct xg_datapath *dp,
		   struct xg_datapath *ref, int pass_fd, struct point *p,
		   int sweep, int runs, __u32 repeat, int churn)
{
	struct xg_mapset *ms = xg_dp_maps(dp);
	int fd = xg_dp_prog_fd(dp);

	if (check_path(drv, dp, p->n))
		return -1;
	/* thrown away: the first run after a fill meets cold caches */
	driven(drv, fd, p->n, repeat, NULL, NULL);
	driven(drv, xg_dp_prog_fd(ref), 1, repeat, NULL, NULL);
	driven(drv, pass_fd, p->n, repeat, NULL, NULL);
	for (int r = 0; r < runs; r++) {
		/* which of the two goes first alternates */
		if (r % 2)
			p->ref[sweep][r] = driven(drv, xg_dp_prog_fd(ref), 1,
						  repeat, NULL, NULL);
		p->nf[sweep][r] = driven(drv, fd, p->n, repeat, NULL, NULL);
		if (!(r % 2))
			p->ref[sweep][r] = driven(drv, xg_dp_prog_fd(ref), 1,
						  repeat, NULL, NULL);
		p->ovh[sweep][r] = driven(drv, pass_fd, p->n, repeat, NULL, NULL);
	}
	p->nruns[sweep] = runs;
	/* Every iteration must have been a new flow that took the service
	 * path: each leaves one svcflow entry. */
	p->flows = 1 + (long)(runs + 1) * repeat;
	p->svcflow_entries = count_entries(xg_dp_map_fd(dp, XG_M_SVCFLOW),
					   sizeof(struct xg_flow_key));
	if (p->svcflow_entries != p->flows)
		fprintf(stderr, "lb_scaling_ns: N=%ld: warning: %ld new flows driven, %ld svcflow entries\n",
			p->n, p->flows, p->svcflow_entries);
	if (!getenv("LB_NO_UNDO") && (undo_all(dp) || undo_all(ref)))
		return -1;
	for (int k = 0; k < churn; k++) {
		double t0, t1, t2;
		int err;

		t0 = now_s();
		err = lb_svc_put(ms, (__u32)p->n, 0);
		t1 = now_s();
		if (!err)
			err = lb_svc_del(ms, (__u32)p->n);
		t2 = now_s();
		if (err) {
			fprintf(stderr, "lb_scaling_ns: N=%ld: add/remove: %s\n",
				p->n, strerror(-err));
			return -1;
		}
		p->add_us[p->nchurn] = (t1 - t0) * 1e6;
		p->del_us[p->nchurn++] = (t2 - t1) * 1e6;
	}
	if (verbose)
		fprintf(stderr, "lb_scaling_ns: N=%ld (%s): %.0f ns a new flow (reference %.0f), add %.0f us, remove %.0f us\n",
			p->n, sweep ? "down" : "up",
			median(p->nf[sweep], runs) - median(p->ovh[sweep], runs),
			median(p->ref[sweep], runs) - median(p->ovh[sweep], runs),
			median(p->add_us + p->nchurn - churn, churn),
			median(p->del_us + p->nchurn - churn, churn));
	return 0;
}

/* Adds services have..n-1 (n-1 on the lab backends). */
static int grow(struct xg_mapset *ms, long have, long n, double *secs)
{
	double t0 = now_s(), last = t0;

	for (long i = have; i < n; i++) {
		int err = lb_svc_put(ms, (__u32)i, i == n - 1);

		if (err) {
			fprintf(stderr, "lb_scaling_ns: service %ld of %ld: %s\n",
				i + 1, n, strerror(-err));
			return -1;
		}
		if (verbose && now_s() - last > 10) {
			last = now_s();
			fprintf(stderr, "lb_scaling_ns: %ld of %ld services in %.0f s\n",
				i + 1, n, last - t0);
		}
	}
	*secs = now_s() - t0;
	return 0;
}

/* Removes services n..have-1, newest first. */
static int shrink(struct xg_mapset *ms, long have, long n)
{
	for (long i = have - 1; i >= n; i--) {
		int err = lb_svc_del(ms, (__u32)i);

		if (err) {
			fprintf(stderr, "lb_scaling_ns: removing service %ld: %s\n",
				i + 1, strerror(-err));
			return -1;
		}
	}
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Sorted, duplicates dropped. */
static int parse_counts(const char *s, long *v, int *n)
{
	char *dup = strdup(s), *tok, *save = NULL;
	int k = 0;

	*n = 0;
	for (tok = strtok_r(dup, ",", &save); tok && *n < MAX_COUNTS;
	     tok = strtok_r(NULL, ",", &save)) {
		v[*n] = atol(tok);
		if (v[*n] < 1 || v[*n] > (long)LB_MAX_SERVICES - 1) {
			free(dup);
			return -1;
		}
		(*n)++;
	}
	free(dup);
	qsort(v, (size_t)*n, sizeof(*v), cmp_long);
	for (int i = 0; i < *n; i++)
		if (!k || v[i] != v[k - 1])
			v[k++] = v[i];
	*n = k;
	return k ? 0 : -1;
}

/* What this build's datapath can hold, for the script to decide on a
 * build with a larger service map before spending minutes filling. */
static int print_limits(void)
{
	struct xg_loader_opts lo;
	struct xg_datapath *dp;
	struct xg_err e = {};

	xg_loader_opts_default(&lo);
	lo.pin_root = "";
	if (xg_dp_open(&lo, &dp, &e) || xg_dp_load(dp, &e)) {
		fprintf(stderr, "lb_scaling_ns: load: %s\n", e.msg);
		return 1;
	}
	printf("{\"svc_max\": %u, \"backends_max\": %u, \"maglev_m\": %u, \"maglev_m_settable\": %d}\n",
	       map_max_entries(xg_dp_map_fd(dp, XG_M_SVC)),
	       map_max_entries(xg_dp_map_fd(dp, XG_M_BACKENDS)), XG_MAGLEV_M,
#ifdef LB_SET_M
	       1
#else
	       0
#endif
	);
	xg_dp_close(dp);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lb_scaling_ns [--quick] [--counts N,N,...] [--runs R] [--repeat N]\n"
		"                     [--churn K] [--maglev-m PRIME] [--mem-frac F] [--quiet]\n"
		"       lb_scaling_ns --limits\n");
}

static void print_point(const struct point *p, __u32 m, __u64 tbytes, __u32 repeat)
{
	double all_nf[2 * MAX_RUNS], all_ovh[2 * MAX_RUNS], all_ref[2 * MAX_RUNS];
	double rel[2 * MAX_RUNS];
	int n = 0;

	if (p->skipped) {
		printf("{\"services\": %ld, \"skipped\": \"%s\"}\n", p->n, p->skipped);
		return;
	}
	for (int s = 0; s < 2; s++)
		for (int r = 0; r < p->nruns[s]; r++) {
			all_nf[n] = p->nf[s][r];
			all_ref[n] = p->ref[s][r];
			all_ovh[n] = p->ovh[s][r];
			/* this run over the reference's run next to it */
			rel[n++] = (p->nf[s][r] - p->ovh[s][r]) /
				   (p->ref[s][r] - p->ovh[s][r]);
		}
	printf("{\"services\": %ld, \"new_flow_ns\": %.1f, \"new_flow_driven_ns\": %.1f, "
	       "\"driver_ns\": %.1f, \"reference_ns\": %.1f, \"vs_reference\": %.4f",
	       p->n, median(all_nf, n) - median(all_ovh, n), median(all_nf, n),
	       median(all_ovh, n), median(all_ref, n) - median(all_ovh, n),
	       median(rel, n));
	for (int s = 0; s < 2; s++) {
		printf(", \"new_flow_ns_%s\": %.1f, \"new_flow_ns_%s_runs\": [",
		       s ? "down" : "up",
		       median(p->nf[s], p->nruns[s]) - median(p->ovh[s], p->nruns[s]),
		       s ? "down" : "up");
		for (int r = 0; r < p->nruns[s]; r++)
			printf("%s%.1f", r ? ", " : "", p->nf[s][r] - p->ovh[s][r]);
		printf("]");
	}
	printf(", \"runs\": %d, \"repeat\": %u, \"maglev_m\": %u, \"table_bytes\": %llu, "
	       "\"grow_s\": %.2f, \"grown\": %ld, \"add_us\": %.1f, \"add_us_p90\": %.1f, "
	       "\"remove_us\": %.1f, \"remove_us_p90\": %.1f, \"churn_samples\": %d, "
	       "\"flows\": %ld, \"svcflow_entries\": %ld}\n",
	       n, repeat, m, (unsigned long long)tbytes, p->grow_s, p->grown,
	       median(p->add_us, p->nchurn), pct(p->add_us, p->nchurn, 0.9),
	       median(p->del_us, p->nchurn), pct(p->del_us, p->nchurn, 0.9),
	       p->nchurn, p->flows, p->svcflow_entries);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long counts[MAX_COUNTS] = { 1, 100, 1000, 2768, 10000, 100000 };
	int ncounts = 6, runs = 7, churn = 100, top = -1;
	__u32 repeat = 0, want_m = 0, m, svc_max;
	double mem_frac = 0.7;
	struct point pts[MAX_COUNTS] = {};
	struct lb_newflow_driver_bpf *drv;
	struct xg_loader_opts lo;
	struct xg_datapath *dp, *ref;
	struct xg_mapset *ms;
	struct xg_err e = {};
	__u64 tbytes = 0;
	long have = 0;
	int pass_fd;

	for (int a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--quick")) {
			runs = 3, repeat = 10000, churn = 25;
		} else if (!strcmp(argv[a], "--counts") && v) {
			if (parse_counts(v, counts, &ncounts))
				return usage(), 2;
			a++;
		} else if (!strcmp(argv[a], "--runs") && v) {
			runs = atoi(v), a++;
		} else if (!strcmp(argv[a], "--repeat") && v) {
			repeat = (__u32)atol(v), a++;
		} else if (!strcmp(argv[a], "--churn") && v) {
			churn = atoi(v), a++;
		} else if (!strcmp(argv[a], "--maglev-m") && v) {
			want_m = (__u32)atol(v), a++;
		} else if (!strcmp(argv[a], "--mem-frac") && v) {
			mem_frac = atof(v), a++;
		} else if (!strcmp(argv[a], "--quiet")) {
			verbose = 0;
		} else if (!strcmp(argv[a], "--limits")) {
			return print_limits();
		} else {
			return usage(), 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || churn < 1)
		return usage(), 2;
#ifndef LB_SET_M
	if (want_m && want_m != XG_MAGLEV_M) {
		fprintf(stderr, "lb_scaling_ns: this tree has no run-time Maglev table size (M is %u)\n",
			XG_MAGLEV_M);
		return 2;
	}
#endif
	m = want_m ? want_m : XG_MAGLEV_M;
	/* (runs + 1) x repeat + 1 new flows per measurement, all from this
	 * thread and undone after it: keep them under 3/4 of one CPU's
	 * share of the LRUs (svcflow and conntrack, 1M each), so no insert
	 * evicts. */
	{
		long cpus = libbpf_num_possible_cpus();
		long cap = (long)(XG_SVCFLOW_MAX < XG_CT_MAX ? XG_SVCFLOW_MAX : XG_CT_MAX) /
			   (cpus > 0 ? cpus : 1) * 3 / 4;

		if (!repeat)
			repeat = 20000;
		if ((long)(runs + 1) * repeat + 1 > cap) {
			fprintf(stderr, "lb_scaling_ns: (runs + 1) x repeat over %ld flows would evict\n",
				cap);
			return 2;
		}
	}
	if (make_netns())
		return 1;
	drv = lb_newflow_driver_bpf__open_and_load();
	if (!drv) {
		perror("loading the new-flow driver");
		return 1;
	}
	pass_fd = bpf_program__fd(drv->progs.lb_newflow_pass);
	xg_loader_opts_default(&lo);
	lo.pin_root = "";
#ifdef LB_SET_M
	if (want_m)
		LB_SET_M(&lo, want_m);
#endif
	/* The reference first: one service, for good. */
	if (xg_dp_open(&lo, &ref, &e) || xg_dp_load(ref, &e) ||
	    xg_dp_open(&lo, &dp, &e) || xg_dp_load(dp, &e)) {
		fprintf(stderr, "lb_scaling_ns: load: %s\n", e.msg);
		return 1;
	}
	ms = xg_dp_maps(dp);
	if (xg_txport_add(ms, if_nametoindex("b1")) ||
	    xg_txport_add(xg_dp_maps(ref), if_nametoindex("b1")) ||
	    lb_svc_put(xg_dp_maps(ref), 0, 1) || check_path(drv, ref, 1)) {
		fprintf(stderr, "lb_scaling_ns: setting up the datapaths failed\n");
		return 1;
	}
	svc_max = map_max_entries(xg_dp_map_fd(dp, XG_M_SVC));
	for (int c = 0; c < ncounts; c++) {
		pts[c].n = counts[c];
		pts[c].add_us = calloc(2 * (size_t)churn, sizeof(double));
		pts[c].del_us = calloc(2 * (size_t)churn, sizeof(double));
		if (!pts[c].add_us || !pts[c].del_us)
			return 1;
	}

	/* Up, measuring at every count that fits: the service map (the
	 * count plus the one added and removed), and the kernel memory the
	 * next services' Maglev tables need; a failed allocation halfway
	 * through 100,000 services would cost minutes and prove nothing. */
	for (int c = 0; c < ncounts; c++) {
		struct point *p = &pts[c];
		double need = (double)(p->n - have) * svc_bytes(m);
		double avail = (double)mem_available_kb() * 1024;

		if ((__u64)p->n + 1 > svc_max) {
			snprintf(p->why, sizeof(p->why),
				 "the service map holds %u services (XG_SVC_MAX); build the datapath with -DXG_SVC_MAX=131072",
				 svc_max);
		} else if (need > avail * mem_frac) {
			snprintf(p->why, sizeof(p->why),
				 "needs about %.1f GB more kernel memory for Maglev tables (M=%u), %.1f GB available: not measured",
				 need / 1e9, m, avail / 1e9);
		}
		if (p->why[0]) {
			fprintf(stderr, "lb_scaling_ns: N=%ld: %s\n", p->n, p->why);
			for (int d = c; d < ncounts; d++)
				if (!pts[d].why[0])
					snprintf(pts[d].why, sizeof(pts[d].why), "%s", p->why);
			for (int d = c; d < ncounts; d++)
				pts[d].skipped = pts[d].why;
			break;
		}
		if (grow(ms, have, p->n, &p->grow_s))
			return 1;
		p->grown = p->n - have;
		have = p->n;
		if (!tbytes)
			tbytes = table_bytes(dp, (__u32)p->n);
		if (verbose && p->grown > 1)
			fprintf(stderr, "lb_scaling_ns: N=%ld: %ld services added in %.1f s\n",
				p->n, p->grown, p->grow_s);
		if (measure(drv, dp, ref, pass_fd, p, 0, runs, repeat, churn))
			return 1;
		top = c;
	}
	/* ... and down again. */
	for (int c = top; c >= 0; c--) {
		if (shrink(ms, have, pts[c].n))
			return 1;
		have = pts[c].n;
		if (measure(drv, dp, ref, pass_fd, &pts[c], 1, runs, repeat, churn))
			return 1;
	}
	for (int c = 0; c < ncounts; c++) {
		print_point(&pts[c], m, tbytes, repeat);
		free(pts[c].add_us);
		free(pts[c].del_us);
	}
	xg_dp_close(dp);
	xg_dp_close(ref);
	lb_newflow_driver_bpf__destroy(drv);
	return 0;
}
