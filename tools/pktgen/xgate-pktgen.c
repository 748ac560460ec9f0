// SPDX-License-Identifier: GPL-2.0-only
/* xgate-pktgen: a packet generator on BPF_PROG_RUN's live-frames mode.
 *
 * One template frame is handed to the kernel with a repeat count; the
 * kernel runs xgate_pktgen.bpf.c on it once per packet (with the given
 * interface as ingress) and transmits what the program returns XDP_TX for.
 * The program varies (src addr, src port) per packet for many-flow floods.
 * Rate control sends chunks of `repeat` packets and sleeps between them.
 *
 * Live traffic belongs to the benchmarking ranges (198.18.0.0/15, RFC 2544;
 * 2001:2::/48, RFC 5180): sources must be inside them and destinations too
 * unless --allow-any-dst says otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame.h"
#include "netdev.h"
#include "pktgen.h"
#include "xgate_pktgen.skel.h"

#define DEFAULT_DURATION 10.0	/* seconds, when neither --count nor --duration */
#define DEFAULT_SPORT 1024
#define DEFAULT_DPORT 9		/* discard */
#define DEFAULT_SIZE 64		/* with FCS */
#define DEFAULT_BATCH 256	/* the most the kernel takes */
#define MAX_BATCH 256		/* the kernel refuses more */
#define AUTO_ADDRS 256		/* --flows alone: addresses per port */

/* Packets per BPF_PROG_RUN call at full speed: long enough to hide the
 * call's set-up (a page pool; about 35 us here), short enough to stop on
 * time and notice signals.
 */
#define CHUNK_FIRST 65536
#define CHUNK_MIN 1024
#define CHUNK_MAX (1 << 24)
#define CHUNK_SECONDS 0.02

/* --rate.  A burst of more than the veth ring (256 frames) into a receiver
 * slower than the generator loses frames even when the average rate is
 * below what the receiver takes, so above SLEEP_PACE_MAX_PPS the BPF
 * program spaces packets itself (spinning between them, as kernel pktgen
 * does) and each call lasts CHUNK_SECONDS.  Below it the CPU sleeps
 * between calls of one SLEEP_TICK's worth of packets: bursts of at most
 * ten frames.  After a stall the program catches up by at most PACE_BURST
 * packets at once.
 */
#define SLEEP_PACE_MAX_PPS 10000.0
#define SLEEP_TICK 0.001
#define PACE_BURST 64

enum pace_mode {
	PACE_NONE,	/* as fast as the kernel goes */
	PACE_SLEEP,	/* small calls, sleeps between them */
	PACE_BPF,	/* the program spaces packets */
};

enum log_level { LOG_WARN, LOG_INFO, LOG_DEBUG };

static enum log_level log_level = LOG_INFO;

static void pg_log(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pg_log(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	fprintf(stderr, "xgate-pktgen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

#define pr_warn(...) pg_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...) pg_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pg_log(LOG_DEBUG, __VA_ARGS__)

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (log_level < LOG_DEBUG || level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "xgate-pktgen: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

/* An address in either family; v4 in network order. */
struct pg_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

struct pg_opts {
	const char *dev;
	const char *src, *dst, *src_range;
	bool ipv6, tcp, json, allow_any_dst;
	bool have_dst_mac, have_src_mac, have_sport_range;
	__u8 dst_mac[ETH_ALEN], src_mac[ETH_ALEN];
	unsigned int sport_first, sport_last, dport;
	unsigned long long flows;	/* 0: from the ranges */
	unsigned int size;
	double rate;			/* packets per second, 0: max */
	double duration;		/* seconds, 0: unbounded */
	bool have_duration;
	unsigned long long count;	/* 0: unbounded */
	int cpu;			/* -1: not pinned */
	unsigned int batch;
};

/* The flow cycle as the BPF program walks it. */
struct pg_flows {
	struct pg_addr first;
	__u32 nr_addrs, nr_ports, nr_flows;
	__u16 port_first;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: xgate-pktgen --dev DEV --dst ADDR (--src ADDR | --src-range A-B) [options]\n"
"\n"
"Sends one flood out of DEV (into its veth peer) with BPF_PROG_RUN live frames.\n"
"\n"
"  -i, --dev DEV          interface to send from (in the current namespace)\n"
"  -s, --src ADDR         source address (first of the flow cycle)\n"
"      --src-range A-B    source addresses cycled through (IPv6: low 32 bits vary)\n"
"  -d, --dst ADDR         destination address\n"
"      --sport P[-Q]      source port or range cycled through (default %d)\n"
"      --dport P          destination port (default %d)\n"
"  -f, --flows N          distinct (src addr, src port) pairs; without ranges\n"
"                         %d addresses x N/%d ports from --src/--sport\n"
"  -S, --size BYTES       frame size with FCS (default %d)\n"
"  -r, --rate PPS         packets per second, k/M suffix, 0 = max (default 0)\n"
"  -t, --duration SEC     stop after SEC seconds, 0 = no limit (default %.0f,\n"
"                         or no limit with --count)\n"
"  -n, --count N          stop after N packets\n"
"  -p, --proto udp|tcp-syn\n"
"  -6, --ipv6             addresses are IPv6\n"
"      --dst-mac MAC      default: the veth peer's address\n"
"      --src-mac MAC      default: DEV's address\n"
"  -c, --cpu N            pin the generator to CPU N\n"
"  -b, --batch N          frames per kernel batch, 1-%d (default %d)\n"
"      --allow-any-dst    allow destinations outside 198.18.0.0/15 and 2001:2::/48\n"
"  -j, --json             print the result as one JSON object\n"
"  -v, --verbose          more messages (twice: libbpf's too)\n"
"  -h, --help\n",
		DEFAULT_SPORT, DEFAULT_DPORT, AUTO_ADDRS, AUTO_ADDRS,
		DEFAULT_SIZE, DEFAULT_DURATION, MAX_BATCH, DEFAULT_BATCH);
}

enum {
	OPT_SRC_RANGE = 256,
	OPT_SPORT,
	OPT_DPORT,
	OPT_DST_MAC,
	OPT_SRC_MAC,
	OPT_ALLOW_ANY_DST,
};

static const struct option long_opts[] = {
	{ "dev", required_argument, NULL, 'i' },
	{ "src", required_argument, NULL, 's' },
	{ "src-range", required_argument, NULL, OPT_SRC_RANGE },
	{ "dst", required_argument, NULL, 'd' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "flows", required_argument, NULL, 'f' },
	{ "size", required_argument, NULL, 'S' },
	{ "rate", required_argument, NULL, 'r' },
	{ "duration", required_argument, NULL, 't' },
	{ "count", required_argument, NULL, 'n' },
	{ "proto", required_argument, NULL, 'p' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "cpu", required_argument, NULL, 'c' },
	{ "batch", required_argument, NULL, 'b' },
	{ "allow-any-dst", no_argument, NULL, OPT_ALLOW_ANY_DST },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static const char *opt_name(int val)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/* Whole decimal number in [min, max]. */
static int parse_ull(const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Non-negative number with an optional k/M/G multiplier. */
static int parse_scaled(const char *s, double *out)
{
	double v, mul = 1;
	char *end;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		mul = 1e3;
		end++;
		break;
	case 'm': case 'M':
		mul = 1e6;
		end++;
		break;
	case 'g': case 'G':
		mul = 1e9;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int parse_port_range(const char *s, unsigned int *first,
			    unsigned int *last, bool *is_range)
{
	unsigned long long a, b;
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_ull(buf, 1, 65535, &a))
		return -EINVAL;
	b = a;
	if (dash && parse_ull(dash + 1, a, 65535, &b))
		return -EINVAL;
	*first = a;
	*last = b;
	*is_range = dash != NULL;
	return 0;
}

static int parse_mac(const char *s, __u8 mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != ETH_ALEN)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

static int parse_addr(const char *s, bool ipv6, struct pg_addr *a)
{
	if (ipv6)
		return inet_pton(AF_INET6, s, &a->v6) == 1 ? 0 : -EINVAL;
	return inet_pton(AF_INET, s, &a->v4) == 1 ? 0 : -EINVAL;
}

/* The part of an address the flow cycle varies: all of IPv4, the low
 * 32 bits of IPv6.  Host order.
 */
static __u32 addr_low(const struct pg_addr *a, bool ipv6)
{
	return ntohl(ipv6 ? a->v6.s6_addr32[3] : a->v4.s_addr);
}

static void addr_set_low(struct pg_addr *a, bool ipv6, __u32 low)
{
	if (ipv6)
		a->v6.s6_addr32[3] = htonl(low);
	else
		a->v4.s_addr = htonl(low);
}

/* 198.18.0.0/15 (RFC 2544) or 2001:2::/48 (RFC 5180). */
static bool addr_in_bench(const struct pg_addr *a, bool ipv6)
{
	static const __u8 pfx6[6] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };

	if (ipv6)
		return !memcmp(a->v6.s6_addr, pfx6, sizeof(pfx6));
	return (ntohl(a->v4.s_addr) & 0xfffe0000) == 0xc6120000;
}

static const char *addr_str(const struct pg_addr *a, bool ipv6, char *buf,
			    size_t len)
{
	return inet_ntop(ipv6 ? AF_INET6 : AF_INET,
			 ipv6 ? (const void *)&a->v6 : (const void *)&a->v4,
			 buf, len);
}

static int parse_args(int argc, char **argv, struct pg_opts *o)
{
	unsigned long long v;
	bool range;
	int c;

	*o = (struct pg_opts){
		.sport_first = DEFAULT_SPORT,
		.sport_last = DEFAULT_SPORT,
		.dport = DEFAULT_DPORT,
		.size = DEFAULT_SIZE,
		.cpu = -1,
		.batch = DEFAULT_BATCH,
	};

	while ((c = getopt_long(argc, argv, "i:s:d:f:S:r:t:n:p:6c:b:jvh",
				long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->dev = optarg;
			break;
		case 's':
			o->src = optarg;
			break;
		case OPT_SRC_RANGE:
			o->src_range = optarg;
			break;
		case 'd':
			o->dst = optarg;
			break;
		case OPT_SPORT:
			if (parse_port_range(optarg, &o->sport_first,
					     &o->sport_last, &range))
				goto bad;
			o->have_sport_range = range;
			break;
		case OPT_DPORT:
			if (parse_ull(optarg, 1, 65535, &v))
				goto bad;
			o->dport = v;
			break;
		case 'f':
			if (parse_ull(optarg, 1, UINT32_MAX, &o->flows))
				goto bad;
			break;
		case 'S':
			if (parse_ull(optarg, PG_FRAME_MIN + PG_FCS_LEN,
				      PG_FRAME_MAX + PG_FCS_LEN, &v))
				goto bad;
			o->size = v;
			break;
		case 'r':
			if (parse_scaled(optarg, &o->rate))
				goto bad;
			break;
		case 't':
			if (parse_scaled(optarg, &o->duration))
				goto bad;
			o->have_duration = true;
			break;
		case 'n':
			if (parse_ull(optarg, 1, ULLONG_MAX, &o->count))
				goto bad;
			break;
		case 'p':
			if (!strcmp(optarg, "udp"))
				o->tcp = false;
			else if (!strcmp(optarg, "tcp-syn"))
				o->tcp = true;
			else
				goto bad;
			break;
		case '6':
			o->ipv6 = true;
			break;
		case OPT_DST_MAC:
			if (parse_mac(optarg, o->dst_mac))
				goto bad;
			o->have_dst_mac = true;
			break;
		case OPT_SRC_MAC:
			if (parse_mac(optarg, o->src_mac))
				goto bad;
			o->have_src_mac = true;
			break;
		case 'c':
			if (parse_ull(optarg, 0, CPU_SETSIZE - 1, &v))
				goto bad;
			o->cpu = v;
			break;
		case 'b':
			if (parse_ull(optarg, 1, MAX_BATCH, &v))
				goto bad;
			o->batch = v;
			break;
		case OPT_ALLOW_ANY_DST:
			o->allow_any_dst = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			if (log_level < LOG_DEBUG)
				log_level++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->dev || !o->dst || (!o->src && !o->src_range)) {
		pr_warn("--dev, --dst and --src (or --src-range) are required\n");
		return -EINVAL;
	}
	if (!o->have_duration)
		o->duration = o->count ? 0 : DEFAULT_DURATION;
	return 0;
bad:
	pr_warn("bad value '%s' for --%s\n", optarg, opt_name(c));
	return -EINVAL;
}

/* Works out which addresses and ports the flow cycle walks:
 * both ranges given: their product (or its first --flows pairs);
 * one range given: it, times as many of the other as --flows needs;
 * neither: up to AUTO_ADDRS addresses from --src, then ports from --sport.
 */
static int plan_flows(const struct pg_opts *o, struct pg_flows *fl)
{
	unsigned long long addrs = 1, ports, flows, last_port;
	struct pg_addr last;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	bool have_addr_range = false;

	if (o->src_range) {
		char buf[2 * INET6_ADDRSTRLEN + 2], *dash;

		if (strlen(o->src_range) >= sizeof(buf))
			goto bad_range;
		strcpy(buf, o->src_range);
		dash = strchr(buf, '-');
		if (!dash)
			goto bad_range;
		*dash = '\0';
		if (parse_addr(buf, o->ipv6, &fl->first) ||
		    parse_addr(dash + 1, o->ipv6, &last))
			goto bad_range;
		if (o->ipv6 && memcmp(&fl->first.v6, &last.v6, 12))
			goto bad_range;
		if (addr_low(&last, o->ipv6) < addr_low(&fl->first, o->ipv6))
			goto bad_range;
		addrs = (unsigned long long)addr_low(&last, o->ipv6) -
			addr_low(&fl->first, o->ipv6) + 1;
		have_addr_range = true;
		if (o->src)
			pr_info("--src-range given: the cycle starts at %s, not --src\n",
				buf);
	} else if (parse_addr(o->src, o->ipv6, &fl->first)) {
		pr_warn("bad source address '%s'%s\n", o->src,
			o->ipv6 ? "" : " (IPv6 needs --ipv6)");
		return -EINVAL;
	}
	ports = o->sport_last - o->sport_first + 1;
	flows = o->flows;

	if (have_addr_range && o->have_sport_range) {
		if (!flows)
			flows = addrs * ports;
		if (flows > addrs * ports) {
			pr_warn("--flows %llu is more than %llu addresses x %llu ports\n",
				flows, addrs, ports);
			return -EINVAL;
		}
	} else if (have_addr_range) {
		if (!flows)
			flows = addrs;
		ports = (flows + addrs - 1) / addrs;
	} else if (o->have_sport_range) {
		if (!flows)
			flows = ports;
		addrs = (flows + ports - 1) / ports;
	} else {
		if (!flows)
			flows = 1;
		addrs = flows < AUTO_ADDRS ? flows : AUTO_ADDRS;
		ports = (flows + addrs - 1) / addrs;
	}
	/* Never more addresses or ports than the flows use. */
	if (addrs > flows)
		addrs = flows;
	if (ports > (flows + addrs - 1) / addrs)
		ports = (flows + addrs - 1) / addrs;

	last_port = o->sport_first + ports - 1;
	if (last_port > 65535) {
		pr_warn("%llu flows need source ports %u-%llu: past 65535\n",
			flows, o->sport_first, last_port);
		return -EINVAL;
	}
	if (addr_low(&fl->first, o->ipv6) + (addrs - 1) > UINT32_MAX) {
		pr_warn("%llu flows need %llu source addresses: past the end of the address space\n",
			flows, addrs);
		return -EINVAL;
	}
	last = fl->first;
	addr_set_low(&last, o->ipv6, addr_low(&fl->first, o->ipv6) + addrs - 1);
	if (!addr_in_bench(&fl->first, o->ipv6) ||
	    !addr_in_bench(&last, o->ipv6)) {
		pr_warn("source addresses %s-%s leave %s: refused\n",
			addr_str(&fl->first, o->ipv6, a, sizeof(a)),
			addr_str(&last, o->ipv6, b, sizeof(b)),
			o->ipv6 ? "2001:2::/48" : "198.18.0.0/15");
		return -EINVAL;
	}
	fl->nr_addrs = addrs;
	fl->nr_ports = ports;
	fl->nr_flows = flows;
	fl->port_first = o->sport_first;
	pr_debug("flows %u: %u addresses %s-%s x %u ports %u-%llu\n",
		 fl->nr_flows, fl->nr_addrs,
		 addr_str(&fl->first, o->ipv6, a, sizeof(a)),
		 addr_str(&last, o->ipv6, b, sizeof(b)), fl->nr_ports,
		 o->sport_first, last_port);
	return 0;

bad_range:
	pr_warn("bad --src-range '%s': want FIRST-LAST%s\n", o->src_range,
		o->ipv6 ? " differing in the low 32 bits" : "");
	return -EINVAL;
}

static int resolve_macs(const struct pg_opts *o, int ifindex,
			__u8 dst[ETH_ALEN], __u8 src[ETH_ALEN])
{
	int err;

	if (o->have_src_mac) {
		memcpy(src, o->src_mac, ETH_ALEN);
	} else {
		err = nd_mac(o->dev, src);
		if (err) {
			pr_warn("reading %s's MAC: %s\n", o->dev, strerror(-err));
			return err;
		}
	}
	if (o->have_dst_mac) {
		memcpy(dst, o->dst_mac, ETH_ALEN);
		return 0;
	}
	err = nd_veth_peer_mac(ifindex, dst);
	if (err) {
		pr_warn("%s: no veth peer to take the MAC of (%s); give --dst-mac\n",
			o->dev, strerror(-err));
		return err;
	}
	return 0;
}

static enum pace_mode pace_mode(const struct pg_opts *o)
{
	if (o->rate <= 0)
		return PACE_NONE;
	return o->rate <= SLEEP_PACE_MAX_PPS ? PACE_SLEEP : PACE_BPF;
}

/* Splits the template into what the BPF program writes per packet. */
static void fill_cfg(struct pg_cfg *cfg, const __u8 *frame,
		     unsigned int frame_len, unsigned int hdr_len,
		     const struct pg_opts *o, const struct pg_flows *fl)
{
	unsigned int words = (hdr_len + 7) / 8;

	if (words * 8 > frame_len)
		words = frame_len / 8;
	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->tmpl, frame, words * 8);
	cfg->tmpl_words = words;
	if (hdr_len > words * 8) {
		cfg->tail_len = hdr_len - words * 8;
		memcpy(cfg->tail, frame + words * 8, cfg->tail_len);
	}
	cfg->flags = (o->ipv6 ? PG_F_IPV6 : 0) | (o->tcp ? PG_F_TCP : 0);
	cfg->nr_flows = fl->nr_flows;
	cfg->nr_addrs = fl->nr_addrs;
	cfg->nr_ports = fl->nr_ports;
	cfg->addr_base = addr_low(&fl->first, o->ipv6);
	cfg->addr_base_be = htonl(cfg->addr_base);
	cfg->port_base = fl->port_first;
	cfg->port_base_be = htons(fl->port_first);
	if (pace_mode(o) == PACE_BPF) {
		cfg->gap = (__u64)(1e9 * PG_PACE_SCALE / o->rate + 0.5);
		cfg->burst = cfg->gap * PACE_BURST;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - (time_t)t) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR && !stop)
		;
}

struct pg_result {
	unsigned long long sent;
	double seconds;
	bool have_xmit;
	unsigned long long xmit, xmit_errors;
};

/* The program's state lives in .bss, which libbpf maps into our memory;
 * the program only runs inside our own BPF_PROG_RUN calls, so plain
 * accesses between calls see all it wrote.
 */
static void state_reset(struct xgate_pktgen_bpf *skel, unsigned long long quota)
{
	memset(&skel->bss->state, 0, sizeof(skel->bss->state));
	skel->bss->state.quota = quota;
}

/* The send loop.  Stops on --count, --duration or a signal.  A call's
 * repeat is packets, except with PACE_BPF where it is iterations of which
 * the program sends some and counts them.
 */
static int run(struct xgate_pktgen_bpf *skel, int ifindex, const __u8 *frame,
	       unsigned int frame_len, const struct pg_opts *o,
	       struct pg_result *res)
{
	struct xdp_md ctx_in = {
		.data_end = frame_len,
		.ingress_ifindex = ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = frame_len,
		.ctx_in = &ctx_in,
		.ctx_size_in = sizeof(ctx_in),
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = o->batch,
	);
	int prog_fd = bpf_program__fd(skel->progs.xgate_pktgen);
	enum pace_mode mode = pace_mode(o);
	unsigned long long chunk = CHUNK_FIRST, tick = 1;
	double start, end = 0, t0, t1, elapsed;
	int err = 0;

	if (mode == PACE_SLEEP && o->rate * SLEEP_TICK > 1)
		tick = (unsigned long long)(o->rate * SLEEP_TICK);
	if (mode == PACE_BPF)
		state_reset(skel, o->count ? o->count : ULLONG_MAX);

	start = now_s();
	if (o->duration > 0)
		end = start + o->duration;
	res->sent = 0;
	while (!stop) {
		unsigned long long n = chunk;

		if (mode == PACE_SLEEP) {
			double due = start + (res->sent + tick) / o->rate;
			unsigned long long owed;

			if (end && due > end)
				due = end;
			if (now_s() < due) {
				sleep_until(due);
				if (end && now_s() >= end)
					break;
				continue;
			}
			owed = (unsigned long long)((now_s() - start) * o->rate);
			n = owed > res->sent ? owed - res->sent : 1;
		}
		if (mode != PACE_BPF && o->count && o->count - res->sent < n)
			n = o->count - res->sent;
		if (n > INT_MAX)
			n = INT_MAX;

		opts.repeat = n;
		t0 = now_s();
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err) {
			err = -errno;
			/* The kernel stops a run on a pending signal; only
			 * the pacing program counts what that run sent.
			 */
			if (err == -EINTR) {
				err = 0;
				if (mode == PACE_BPF)
					res->sent = skel->bss->state.sent;
				break;
			}
			pr_warn("BPF_PROG_RUN on %s: %s\n", o->dev,
				strerror(-err));
			goto out;
		}
		t1 = now_s();
		if (mode == PACE_BPF)
			res->sent = skel->bss->state.sent;
		else
			res->sent += n;
		pr_debug("call: %llu iterations in %.6f s, %llu sent so far\n",
			 n, t1 - t0, res->sent);

		elapsed = t1 - start;
		if (o->count && res->sent >= o->count)
			break;
		if (end && t1 >= end)
			break;
		if (mode == PACE_SLEEP || t1 <= t0)
			continue;
		/* Size the next call to CHUNK_SECONDS, and so that it does
		 * not overrun --duration by more than one small call.
		 */
		chunk = (unsigned long long)(n / (t1 - t0) * CHUNK_SECONDS);
		if (end) {
			unsigned long long left = (unsigned long long)
				(n / (t1 - t0) * (o->duration - elapsed));

			if (left < chunk)
				chunk = left;
		}
		if (chunk < CHUNK_MIN)
			chunk = CHUNK_MIN;
		if (chunk > CHUNK_MAX)
			chunk = CHUNK_MAX;
	}
out:
	res->seconds = now_s() - start;
	return err;
}

static void print_result(const struct pg_opts *o, const struct pg_flows *fl,
			 const struct pg_result *r)
{
	double pps = r->seconds > 0 ? r->sent / r->seconds : 0;

	if (o->json) {
		printf("{\"dev\":\"%s\",\"proto\":\"%s\",\"ipv6\":%s,\"size\":%u,"
		       "\"flows\":%u,\"rate\":%.0f,\"sent\":%llu,"
		       "\"seconds\":%.6f,\"pps\":%.0f,\"mpps\":%.4f",
		       o->dev, o->tcp ? "tcp-syn" : "udp",
		       o->ipv6 ? "true" : "false", o->size, fl->nr_flows,
		       o->rate, r->sent, r->seconds, pps, pps / 1e6);
		if (r->have_xmit)
			printf(",\"xmit\":%llu,\"xmit_errors\":%llu",
			       r->xmit, r->xmit_errors);
		printf("}\n");
		return;
	}
	printf("sent %llu packets in %.3f s: %.3f Mpps (%s, %u-byte frames, %u flow%s)\n",
	       r->sent, r->seconds, pps / 1e6, o->tcp ? "tcp-syn" : "udp",
	       o->size, fl->nr_flows, fl->nr_flows == 1 ? "" : "s");
	if (r->have_xmit)
		printf("%s handed %llu frames to its peer, %llu refused (peer ring full or peer not ready)\n",
		       o->dev, r->xmit, r->xmit_errors);
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		err = -errno;
		pr_warn("pinning to CPU %d: %s\n", cpu, strerror(-err));
		return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct xgate_pktgen_bpf *skel = NULL;
	__u64 xmit0 = 0, xerr0 = 0, xmit1, xerr1;
	unsigned int frame_len, hdr_len;
	__u8 frame[PG_FRAME_MAX];
	struct pg_frame_spec fs = {};
	struct pg_result res = {};
	struct pg_flows fl = {};
	struct pg_addr dst = {};
	struct sigaction sa = {};
	struct pg_opts o;
	char a[INET6_ADDRSTRLEN];
	int err, ifindex;
	bool stats;

	err = parse_args(argc, argv, &o);
	if (err)
		goto out;
	libbpf_set_print(libbpf_print);

	if (parse_addr(o.dst, o.ipv6, &dst)) {
		pr_warn("bad destination address '%s'%s\n", o.dst,
			o.ipv6 ? "" : " (IPv6 needs --ipv6)");
		err = -EINVAL;
		goto out;
	}
	if (!o.allow_any_dst && !addr_in_bench(&dst, o.ipv6)) {
		pr_warn("destination %s is outside %s: refused (--allow-any-dst to override)\n",
			addr_str(&dst, o.ipv6, a, sizeof(a)),
			o.ipv6 ? "2001:2::/48" : "198.18.0.0/15");
		err = -EINVAL;
		goto out;
	}
	err = plan_flows(&o, &fl);
	if (err)
		goto out;

	frame_len = o.size - PG_FCS_LEN;
	hdr_len = pg_frame_hdr_len(o.ipv6, o.tcp);
	if (frame_len < hdr_len) {
		pr_warn("--size %u cannot hold the %u bytes of headers: use at least %u\n",
			o.size, hdr_len, hdr_len + PG_FCS_LEN);
		err = -EINVAL;
		goto out;
	}

	ifindex = nd_ifindex(o.dev);
	if (ifindex < 0) {
		err = ifindex;
		pr_warn("interface %s: %s\n", o.dev, strerror(-err));
		goto out;
	}
	err = resolve_macs(&o, ifindex, fs.dst_mac, fs.src_mac);
	if (err)
		goto out;

	fs.ipv6 = o.ipv6;
	fs.tcp = o.tcp;
	fs.src4 = fl.first.v4;
	fs.src6 = fl.first.v6;
	fs.dst4 = dst.v4;
	fs.dst6 = dst.v6;
	fs.sport = fl.port_first;
	fs.dport = o.dport;
	fs.len = frame_len;
	err = pg_frame_build(&fs, frame);
	if (err < 0) {
		pr_warn("building the template frame: %s\n", strerror(-err));
		goto out;
	}

	skel = xgate_pktgen_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("opening the BPF program: %s\n", strerror(-err));
		goto out;
	}
	fill_cfg((struct pg_cfg *)&skel->rodata->cfg, frame, frame_len,
		 hdr_len, &o, &fl);
	err = xgate_pktgen_bpf__load(skel);
	if (err) {
		pr_warn("loading the BPF program: %s (-v -v shows the verifier)\n",
			strerror(-err));
		goto out;
	}

	if (o.cpu >= 0) {
		err = pin_cpu(o.cpu);
		if (err)
			goto out;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Sleeps between rate-limited chunks should end on time. */
	prctl(PR_SET_TIMERSLACK, 1UL);

	stats = !nd_ethtool_txq_sum(o.dev, "xdp_xmit", &xmit0) &&
		!nd_ethtool_txq_sum(o.dev, "xdp_xmit_errors", &xerr0);
	pr_debug("%s: %u flows, %u-byte frames, batch %u, rate %.0f\n",
		 o.dev, fl.nr_flows, o.size, o.batch, o.rate);

	err = run(skel, ifindex, frame, frame_len, &o, &res);
	if (err)
		goto out;

	if (stats && !nd_ethtool_txq_sum(o.dev, "xdp_xmit", &xmit1) &&
	    !nd_ethtool_txq_sum(o.dev, "xdp_xmit_errors", &xerr1)) {
		res.have_xmit = true;
		res.xmit = xmit1 - xmit0;
		res.xmit_errors = xerr1 - xerr0;
	}
	print_result(&o, &fl, &res);
out:
	xgate_pktgen_bpf__destroy(skel);
	return err < 0 ? -err : 0;
}
