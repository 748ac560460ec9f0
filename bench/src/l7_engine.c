// SPDX-License-Identifier: GPL-2.0-only
/*
 * The L7 flow engine alone (fastpath/engine/): its cost per allowed
 * request, with no kernel in the way.  N keep-alive flows, each sent one
 * request after another, one segment a request (as wrk sends them),
 * round robin over the flows, go through xg_fp_handle() with the
 * metadata XDP puts before them; what the engine sends is counted, not
 * sent.  What is timed: finding the flow, reassembly, parsing,
 * normalising, matching (GET /public/.* as in bench/l7), the verdict's
 * event and the copy out.  What bench/l7 adds on top: XDP, the AF_XDP
 * copies in and out, and the worker's wakeup.
 *
 *   l7_engine [--json] [--runs N] [--requests N] [--flows N]
 *
 * Flows: 1, 50 (bench/l7's wrk connections) and 10,000, or only the
 * --flows given (up to 1,000,000).  Prints a table;
 * with --json one object {"engine_ns_1": x, "engine_ns_50": y,
 * "engine_ns_10000": z}, each the median over the runs (default 5) of the
 * mean ns per request over --requests requests (default 200,000), in the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), as l7_matcher measures.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "fastpath/engine/engine.h"
#include "fastpath/l7/match.h"
#include "fastpath/pkt/frame.h"

#define RULESET 1
#define IF_IN 2
#define IF_OUT 3
#define MAX_RUNS 99

static size_t flow_counts[] = { 1, 50, 10000 };

static const char REQUEST[] =
	"GET /public/small HTTP/1.1\r\nHost: 198.19.0.11\r\n"
	"User-Agent: wrk\r\nAccept: */*\r\n\r\n";

/* One client connection: its frame, rebuilt in place for each request
 * (only the sequence number moves; the engine does not check sums). */
struct flow {
	struct xg_xsk_meta m;
	uint8_t frame[256];
	uint32_t len;
	uint32_t next; /* stream offset of the next request */
};

static unsigned long long frames_out;

static int count_send(void *arg, uint32_t ifindex, const uint8_t *frame,
		      uint32_t len)
{
	(void)arg;
	(void)ifindex;
	(void)frame;
	(void)len;
	frames_out++;
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct xg_l7_table *table(void)
{
	static struct xg_l7_http rules[] = {
		{ .method = (char *)"GET", .path = (char *)"/public/.*" },
	};
	struct xg_l7_ruleset rs = { .id = RULESET, .rules = rules, .n = 1 };
	struct xg_err err = {};
	struct xg_l7_table *t = xg_l7_table_build(&rs, 1, 1, NULL, &err);
	char buf[512];

	if (!t)
		fprintf(stderr, "l7_engine: ruleset: %s\n",
			xg_err_str(&err, buf, sizeof(buf)));
	return t;
}

/* Flow i: client 198.18.(i / 250).(i % 250 + 2):(40000 + i) to the
 * server 198.19.0.11:80, isn 1000 * i. */
static void flow_init(struct flow *f, size_t i)
{
	uint8_t cli[4] = { 198, 18, (uint8_t)(i / 250), (uint8_t)(i % 250 + 2) };
	uint8_t srv[4] = { 198, 19, 0, 11 };

	memset(f, 0, sizeof(*f));
	f->m.magic = XG_XSK_META_MAGIC;
	f->m.l7_ruleset = RULESET;
	f->m.isn = (uint32_t)(1000 * i);
	f->m.in_ifindex = IF_IN;
	f->m.out_ifindex = IF_OUT;
	f->m.src_identity = 100;
	f->m.dst_identity = 200;
	f->m.flow_created_ns = 1ull << 62; /* after the engine started */
	memcpy(f->m.ct_key.a, cli, 4);
	memcpy(f->m.ct_key.b, srv, 4);
	f->m.ct_key.aport = htons((uint16_t)(40000 + i));
	f->m.ct_key.bport = htons(80);
	f->m.ct_key.proto = 6;
	f->m.ct_key.family = 4;
	f->m.flags = XG_XSK_META_F_ISN;
}

static int flow_build(struct flow *f, size_t i)
{
	struct xg_tcp_seg s = { .family = 4 };

	memcpy(s.src.addr, f->m.ct_key.a, 4);
	memcpy(s.dst.addr, f->m.ct_key.b, 4);
	s.src.port = (uint16_t)(40000 + i);
	s.dst.port = 80;
	s.seq = f->m.isn + f->next;
	s.ack = 0x5000;
	s.flags = 0x18; /* PSH ACK */
	s.window = 502;
	s.payload = REQUEST;
	s.payload_len = sizeof(REQUEST) - 1;
	f->len = xg_tcp_seg_build(f->frame, sizeof(f->frame), &s);
	return f->len ? 0 : -1;
}

/* The TCP sequence number of a built IPv4 frame, rewritten in place. */
static void flow_set_seq(struct flow *f)
{
	uint32_t seq = htonl(f->m.isn + f->next);

	memcpy(f->frame + 14 + 20 + 4, &seq, 4);
}

/* One request on flow f; returns whether the engine let it through. */
static int request(struct xg_fp_engine *e, const struct xg_fp_out *out,
		   struct flow *f, uint64_t now)
{
	unsigned long long before = frames_out;

	flow_set_seq(f);
	xg_fp_handle(e, 0, out, &f->m, f->frame, f->len, now);
	f->next += (uint32_t)(sizeof(REQUEST) - 1);
	return frames_out == before + 1;
}

/* Mean ns per request for n flows, median over runs; -1 on error. */
static double measure(size_t n, int runs, long requests)
{
	struct xg_fp_limits lim = XG_FP_LIMITS_DEFAULT;
	struct xg_fp_out out = { .send = count_send };
	struct xg_fp_engine e;
	struct xg_l7_table *t = table();
	struct flow *flows = calloc(n, sizeof(*flows));
	double per[MAX_RUNS], result = -1;
	uint64_t now = 1000ull * 1000000000ull;
	size_t k = 0;

	if (!t || !flows || xg_fp_engine_init(&e, &lim, 1)) {
		fprintf(stderr, "l7_engine: setup failed\n");
		free(flows);
		return -1;
	}
	xg_fp_publish(&e, t);
	for (size_t i = 0; i < n; i++) {
		flow_init(&flows[i], i);
		/* the first request makes the flow: not timed */
		if (flow_build(&flows[i], i) ||
		    !request(&e, &out, &flows[i], now)) {
			fprintf(stderr, "l7_engine: flow %zu: not allowed\n", i);
			goto done;
		}
	}
	for (int r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (long q = 0; q < requests; q++) {
			if (!request(&e, &out, &flows[k], now)) {
				fprintf(stderr, "l7_engine: a request was not let through\n");
				goto done;
			}
			if (++k == n)
				k = 0;
		}
		per[r] = (now_ns() - t0) / (double)requests;
	}
	qsort(per, (size_t)runs, sizeof(per[0]), cmp_double);
	result = per[runs / 2];
done:
	xg_fp_engine_fini(&e);
	free(flows);
	return result;
}

int main(int argc, char **argv)
{
	int json = 0, runs = 5;
	long requests = 200000;
	size_t n_counts = sizeof(flow_counts) / sizeof(flow_counts[0]);
	double ns[sizeof(flow_counts) / sizeof(flow_counts[0])];
	long one = -1; /* --flows: only that count */

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--requests") && i + 1 < argc) {
			requests = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--flows") && i + 1 < argc) {
			one = atol(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: l7_engine [--json] [--runs N] [--requests N] [--flows N]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || requests < 1 ||
	    (one != -1 && (one < 1 || one > 1000000))) {
		fprintf(stderr,
			"l7_engine: --runs 1..%d, --requests >= 1, --flows 1..1000000\n",
			MAX_RUNS);
		return 2;
	}
	if (one != -1) {
		flow_counts[0] = (size_t)one;
		n_counts = 1;
	}
	rcu_register_thread(); /* xg_fp_handle reads under RCU */
	for (size_t i = 0; i < n_counts; i++) {
		ns[i] = measure(flow_counts[i], runs, requests);
		if (ns[i] < 0) {
			rcu_unregister_thread();
			return 1;
		}
	}
	rcu_unregister_thread();
	if (json) {
		printf("{");
		for (size_t i = 0; i < n_counts; i++)
			printf("%s\"engine_ns_%zu\": %.1f", i ? ", " : "",
			       flow_counts[i], ns[i]);
		printf("}\n");
		return 0;
	}
	printf("%8s %14s\n", "flows", "ns/request");
	for (size_t i = 0; i < n_counts; i++)
		printf("%8zu %14.1f\n", flow_counts[i], ns[i]);
	return 0;
}
