// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/identity_etcd.c against a real etcd, one scenario per command
 * (tests/integration/identity_etcd_test.sh starts the server):
 *
 *   identity_etcd alloc EP PREFIX N ORDER START_MS
 *       waits until START_MS (ms since the epoch, so that several
 *       processes start together), then asks for the ids of label sets
 *       0..N-1 in ORDER (fwd, rev or a number: a shuffle with that seed),
 *       one xg_id_get each; prints "i id" for i = 0..N-1 on stdout.
 *   identity_etcd check EP PREFIX N
 *       a fresh allocator: knows exactly the N sets from its first read
 *       of etcd, allocates nothing for them, and prints "i id" likewise.
 *   identity_etcd fetch EP PREFIX
 *       an id another allocator makes after this one has read etcd is
 *       found by lookup, and get gives the same id without a new one.
 *   identity_etcd down DEAD_EP
 *       no etcd: open fails with the client's errno, and says where.
 *
 * The report ("ok"/"FAIL" lines) goes to stderr, with the allocator's
 * debug log when XG_DEBUG is set.  Exit 0 when every check passed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl/identity.h"
#include "ctrl/kv/etcd.h"
#include "ctrl/log.h"

static int failures;

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			failures++;                                      \
			fprintf(stderr, "FAIL - %s:%d: (%s) ", __FILE__, \
				__LINE__, #cond);                        \
			fprintf(stderr, __VA_ARGS__);                    \
			fprintf(stderr, "\n");                           \
		}                                                        \
	} while (0)

#define OK(...)                                         \
	do {                                            \
		fprintf(stderr, "ok   - " __VA_ARGS__); \
		fprintf(stderr, "\n");                  \
	} while (0)

/*
 * Cilium-like label sets.  Some hold '/' (label keys such as
 * app.kubernetes.io/name) and '%', which the by-labels key escapes.
 */
static void labels_of(char *buf, size_t len, int i)
{
	if (i % 10 == 3)
		snprintf(
			buf, len,
			"k8s:app.kubernetes.io/name=svc%d;k8s:io.kubernetes.pod.namespace=ns%d",
			i, i % 5);
	else if (i % 10 == 7)
		snprintf(
			buf, len,
			"k8s:app=svc%d;k8s:canary=50%%;k8s:io.kubernetes.pod.namespace=ns%d",
			i, i % 5);
	else
		snprintf(buf, len,
			 "k8s:app=svc%d;k8s:io.kubernetes.pod.namespace=ns%d",
			 i, i % 5);
}

static struct xg_etcd *open_etcd(const char *ep)
{
	const char *eps[] = {ep};
	struct xg_etcd_cfg cfg = {
		.endpoints = eps,
		.n_endpoints = 1,
		.timeout_ms = 2000,
	};
	struct xg_err err = {0};
	struct xg_etcd *e = NULL;

	if (xg_etcd_open(&cfg, &e, &err)) {
		fprintf(stderr, "FAIL - xg_etcd_open: %s: %s\n", err.where,
			err.msg);
		exit(1);
	}
	return e;
}

static struct xg_id_alloc *open_alloc(struct xg_etcd *e, const char *prefix)
{
	struct xg_id_alloc *a = NULL;
	struct xg_err err = {0};
	int ret = xg_id_alloc_etcd_open(e, prefix, &a, &err);

	if (ret) {
		fprintf(stderr, "FAIL - xg_id_alloc_etcd_open: %d %s: %s\n",
			ret, err.where, err.msg);
		exit(1);
	}
	return a;
}

static __u32 get(struct xg_id_alloc *a, const char *labels)
{
	struct xg_err err = {0};
	__u32 id = 0;
	int ret = xg_id_get(a, labels, &id, &err);

	CHECK(!ret, "get %s: %d %s: %s", labels, ret, err.where, err.msg);
	return ret ? 0 : id;
}

static void wait_until(long long start_ms)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_REALTIME, &now);
	ms = start_ms - ((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	if (ms > 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
}

/* Distinct sets, distinct ids, all in the allocated range. */
static void check_ids(const __u32 *ids, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		if (ids[i] < XG_ID_FIRST_LOCAL || ids[i] >= XG_ID_LIMIT)
			bad++;
		for (int j = 0; j < i; j++)
			if (ids[i] == ids[j])
				bad++;
	}
	CHECK(!bad, "%d ids out of range or shared by two label sets", bad);
	if (!bad)
		OK("%d label sets, %d distinct ids in range", n, n);
}

static void print_ids(const __u32 *ids, int n)
{
	for (int i = 0; i < n; i++)
		printf("%d %u\n", i, ids[i]);
}

static int cmd_alloc(const char *ep, const char *prefix, int n,
		     const char *order, long long start_ms)
{
	struct xg_etcd *e = open_etcd(ep);
	struct xg_id_alloc *a = open_alloc(e, prefix);
	__u32 *ids = calloc((size_t)n, sizeof(*ids));
	int *seq = calloc((size_t)n, sizeof(*seq));
	char labels[160];
	/* "many:SEED": shuffled, asked 50 at a time with xg_id_get_many
	 * (with etcd, new sets numbered in one transaction per batch) */
	bool many = !strncmp(order, "many:", 5);

	if (many)
		order += 5;
	for (int i = 0; i < n; i++)
		seq[i] = !strcmp(order, "rev") ? n - 1 - i : i;
	if (strcmp(order, "fwd") && strcmp(order, "rev")) {
		srand((unsigned)atoi(order));
		for (int i = n - 1; i > 0; i--) {
			int j = rand() % (i + 1), t = seq[i];

			seq[i] = seq[j];
			seq[j] = t;
		}
	}
	wait_until(start_ms);
	for (int k = 0; k < n && !many; k++) {
		labels_of(labels, sizeof(labels), seq[k]);
		ids[seq[k]] = get(a, labels);
	}
	for (int k = 0; k < n && many; k += 50) {
		char *set[50];
		__u32 got[50];
		struct xg_err err = {0};
		int m = n - k < 50 ? n - k : 50, ret;

		for (int j = 0; j < m; j++) {
			labels_of(labels, sizeof(labels), seq[k + j]);
			set[j] = strdup(labels);
		}
		ret = xg_id_get_many(a, (const char *const *)set, (size_t)m, got,
				     &err);
		CHECK(ret == 0, "get_many of %d sets: %d %s: %s", m, ret,
		      err.where, err.msg);
		for (int j = 0; j < m; j++) {
			ids[seq[k + j]] = ret ? 0 : got[j];
			free(set[j]);
		}
	}
	check_ids(ids, n);
	/* asked again: answered from what is known, the same */
	for (int i = 0; i < n; i++) {
		labels_of(labels, sizeof(labels), i);
		CHECK(get(a, labels) == ids[i], "set %d changed id", i);
	}
	print_ids(ids, n);
	xg_id_alloc_close(a);
	xg_etcd_close(e);
	free(ids);
	free(seq);
	return failures ? 1 : 0;
}

static int cmd_check(const char *ep, const char *prefix, int n)
{
	struct xg_etcd *e = open_etcd(ep);
	struct xg_id_alloc *a = open_alloc(e, prefix);
	__u32 *ids = calloc((size_t)n, sizeof(*ids));
	char labels[160], back[160];

	CHECK(xg_id_count(a) == (size_t)n,
	      "the first read knows %zu sets, not %d", xg_id_count(a), n);
	for (int i = 0; i < n; i++) {
		labels_of(labels, sizeof(labels), i);
		CHECK(xg_id_known(a, labels, &ids[i]), "set %d not known", i);
		CHECK(get(a, labels) == ids[i], "set %d: get differs", i);
		CHECK(!xg_id_lookup(a, ids[i], back, sizeof(back)) &&
			      !strcmp(back, labels),
		      "lookup %u", ids[i]);
	}
	CHECK(xg_id_count(a) == (size_t)n, "gets allocated: %zu sets now",
	      xg_id_count(a));
	check_ids(ids, n);
	print_ids(ids, n);
	xg_id_alloc_close(a);
	xg_etcd_close(e);
	free(ids);
	return failures ? 1 : 0;
}

static int cmd_fetch(const char *ep, const char *prefix)
{
	struct xg_etcd *e = open_etcd(ep);
	struct xg_id_alloc *early = open_alloc(e, prefix);
	struct xg_id_alloc *late = open_alloc(e, prefix);
	const char *l = "k8s:app=late;k8s:io.kubernetes.pod.namespace=x";
	size_t before = xg_id_count(early);
	char back[160];
	__u32 id, id2;
	int ret;

	id = get(late, l);
	ret = xg_id_lookup(early, id, back, sizeof(back));
	CHECK(!ret && !strcmp(back, l), "lookup of a newer id: %d", ret);
	id2 = get(early, l);
	CHECK(id2 == id, "the other allocator says %u, not %u", id2, id);
	CHECK(xg_id_count(early) == before + 1, "count %zu, want %zu",
	      xg_id_count(early), before + 1);
	CHECK(xg_id_lookup(early, XG_ID_LIMIT - 1, back, sizeof(back)) ==
		      -ENOENT,
	      "an id nobody made is unknown");
	if (!failures)
		OK("an id made elsewhere is found by lookup and by get");
	xg_id_alloc_close(early);
	xg_id_alloc_close(late);
	xg_etcd_close(e);
	return failures ? 1 : 0;
}

static int cmd_down(const char *ep)
{
	struct xg_etcd *e = open_etcd(ep);
	struct xg_id_alloc *a = NULL;
	struct xg_err err = {0};
	int ret = xg_id_alloc_etcd_open(e, "/xgate/v1/", &a, &err);

	CHECK(ret == -ECONNREFUSED && !a && err.msg[0],
	      "open against a dead endpoint: %d %s: %s", ret, err.where,
	      err.msg);
	if (!failures)
		OK("no etcd: open fails (%s: %s)", err.where, err.msg);
	xg_etcd_close(e);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* XG_DEBUG=1: the allocator says when it drops an orphan */
	if (getenv("XG_DEBUG"))
		xg_log_set_level(XG_LOG_DEBUG);
	if (argc == 7 && !strcmp(argv[1], "alloc"))
		return cmd_alloc(argv[2], argv[3], atoi(argv[4]), argv[5],
				 atoll(argv[6]));
	if (argc == 5 && !strcmp(argv[1], "check"))
		return cmd_check(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "fetch"))
		return cmd_fetch(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "down"))
		return cmd_down(argv[2]);
	fprintf(stderr,
		"usage: identity_etcd alloc EP PREFIX N fwd|rev|SEED START_MS\n"
		"       identity_etcd check EP PREFIX N\n"
		"       identity_etcd fetch EP PREFIX\n"
		"       identity_etcd down DEAD_EP\n");
	return 2;
}
