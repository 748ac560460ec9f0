// SPDX-License-Identifier: GPL-2.0-only
/*
 * Adds services to a running (attached, pinned) datapath in bulk, for
 * bench/lb_scaling's lab runs: `xgatectl service put` costs a process,
 * a map open and a pin walk per service, which at 100,000 services is
 * most of a benchmark's time budget.  The services are those of
 * bench/src/lb_fill.h.  With FROM < TO, services FROM..TO-1 are added,
 * the last one on the lab's answering backends, so runs can grow a
 * datapath from one service count to the next and always reach the
 * newest service; with FROM > TO, services TO..FROM-1 are removed,
 * newest first, which takes it back down to a count it went through
 * (whose newest service is on the lab backends too).
 *
 *   lb_populate --pin-root DIR --to N [--from K]
 *
 * Prints {"from": K, "to": N, "seconds": S} on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl/loader.h"
#include "bench/src/lb_fill.h"

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void usage(void)
{
	fprintf(stderr, "usage: lb_populate --pin-root DIR --to N [--from K]\n");
}

int main(int argc, char **argv)
{
	const char *pin_root = NULL;
	long from = 0, to = -1;
	struct xg_mapset_bpf priv;
	struct xg_mapset ms;
	struct xg_err e = {};
	double t0, last;
	int err;

	for (int a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--pin-root"))
			pin_root = argv[a + 1];
		else if (!strcmp(argv[a], "--from"))
			from = atol(argv[a + 1]);
		else if (!strcmp(argv[a], "--to"))
			to = atol(argv[a + 1]);
		else
			return usage(), 2;
	}
	if (argc % 2 == 0 || !pin_root || from < 0 || to < 0 || to == from ||
	    to > (long)LB_MAX_SERVICES || from > (long)LB_MAX_SERVICES)
		return usage(), 2;
	err = xg_maps_open_pinned(pin_root, &ms, &priv, &e);
	if (err) {
		fprintf(stderr, "lb_populate: %s\n", e.msg);
		return 1;
	}
	t0 = last = now_s();
	for (long i = from - 1; i >= to; i--) {
		err = lb_svc_del(&ms, (__u32)i);
		if (err) {
			fprintf(stderr, "lb_populate: removing service %ld: %s\n",
				i + 1, strerror(-err));
			xg_maps_close_pinned(&priv);
			return 1;
		}
	}
	for (long i = from; i < to; i++) {
		err = lb_svc_put(&ms, (__u32)i, i == to - 1);
		if (err) {
			fprintf(stderr, "lb_populate: service %ld: %s\n", i + 1,
				strerror(-err));
			xg_maps_close_pinned(&priv);
			return 1;
		}
		if (now_s() - last > 10) {
			last = now_s();
			fprintf(stderr, "lb_populate: %ld of %ld services in %.0f s\n",
				i + 1, to, last - t0);
		}
	}
	printf("{\"from\": %ld, \"to\": %ld, \"seconds\": %.3f}\n", from, to,
	       now_s() - t0);
	xg_maps_close_pinned(&priv);
	return 0;
}
