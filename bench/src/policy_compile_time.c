// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where bench/policy_sync's time goes, without the daemon around it:
 * parse a directory of documents, compile it (ctrl/policy/compile.h) and
 * sync the result into a freshly loaded, unpinned datapath's maps
 * (ctrl/policy/dp_sync.h), the way xgated's control thread does on each
 * apply; then the same apply again with nothing changed, and N applies
 * that each move the port of the bench-probe policy (policy_sync_doc.h).
 * Needs root (it loads the BPF program).
 *
 *   policy_compile_time --dir DIR --ns NS --subject APP --peer APP
 *                       [--updates N]
 *
 * Prints one JSON object: parse_s, first/unchanged apply (compile_ms,
 * sync_ms), and the updates' compile/sync/total p50 and p99 in ms.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl/doc/doc.h"
#include "ctrl/loader.h"
#include "ctrl/log.h"
#include "ctrl/policy/compile.h"
#include "ctrl/policy/dp_sync.h"
#include "bench/src/policy_sync_doc.h"

struct src {
	char *name;
	struct xg_doc_set set;
};

static struct src *srcs;
static size_t n_srcs, cap_srcs;
static size_t root_len;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* ------------------------------------------------ identities (local) -- */

/* Label set -> id, as the local allocator hands them out (256 up), in
 * memory only: the allocator's cost is not the compiler's. */
struct idh {
	char **keys;
	__u32 *ids;
	size_t cap, n;
	__u32 next;
};

static __u64 fnv(const char *s)
{
	__u64 h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int idh_grow(struct idh *h)
{
	struct idh n = { .cap = h->cap ? h->cap * 2 : 1024, .n = h->n,
			 .next = h->next };

	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.ids = calloc(n.cap, sizeof(*n.ids));
	if (!n.keys || !n.ids) {
		free(n.keys);
		free(n.ids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->cap; i++) {
		size_t j;

		if (!h->keys[i])
			continue;
		for (j = fnv(h->keys[i]) & (n.cap - 1); n.keys[j];
		     j = (j + 1) & (n.cap - 1))
			;
		n.keys[j] = h->keys[i];
		n.ids[j] = h->ids[i];
	}
	free(h->keys);
	free(h->ids);
	*h = n;
	return 0;
}

static int id_fn(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct idh *h = arg;
	size_t j;

	if (h->n * 2 >= h->cap && idh_grow(h))
		return -ENOMEM;
	for (j = fnv(labels) & (h->cap - 1); h->keys[j]; j = (j + 1) & (h->cap - 1))
		if (!strcmp(h->keys[j], labels)) {
			*id = h->ids[j];
			return 0;
		}
	h->keys[j] = strdup(labels);
	if (!h->keys[j])
		return -ENOMEM;
	h->ids[j] = *id = h->next++;
	h->n++;
	return 0;
}

/* ------------------------------------------------------- documents -- */

static int add_file(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	size_t n = strlen(path);
	struct xg_err err = {};
	char msg[768];
	struct src *s;

	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".yaml"))
		return 0;
	if (n_srcs == cap_srcs) {
		size_t nc = cap_srcs ? cap_srcs * 2 : 256;
		struct src *v = realloc(srcs, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		srcs = v;
		cap_srcs = nc;
	}
	s = &srcs[n_srcs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(path + root_len);
	if (!s->name)
		return -ENOMEM;
	if (xg_doc_parse_file(path, &s->set, &err)) {
		fprintf(stderr, "policy_compile_time: %s\n",
			xg_err_str(&err, msg, sizeof(msg)));
		return -EINVAL;
	}
	n_srcs++;
	return 0;
}

/* The daemon's document store keeps keys sorted; so do we. */
static int src_cmp(const void *a, const void *b)
{
	return strcmp(((const struct src *)a)->name, ((const struct src *)b)->name);
}

/* ----------------------------------------------------------- timing -- */

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of v[0..n). */
static double pct(double *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dbl_cmp);
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? k - 1 : 0];
}

/* What the daemon's document store keeps for the compiler (docstore.h),
 * so that an apply does not walk 10,000 sets to find their kinds. */
struct index {
	__u32 *pol, *svc;
	unsigned long long *ep_gens;
	struct xg_compile_index idx;
};

struct ctx {
	struct xg_compile_src *cs;
	struct index ix;
	struct xg_dp_sync sync;
	struct xg_mapset *ms;
	struct idh ids;
	struct xg_compiled cur;
	struct xg_compile_cache *cache; /* as control.c keeps one */
};

/* One apply, as control.c's: compile everything, sync, drop the old. */
static int apply(struct ctx *c, double *compile_ms, double *sync_ms)
{
	struct xg_compiled nc;
	struct xg_err err = {};
	char msg[768];
	double t0 = now_ms(), t1;
	int ret;

	ret = xg_compile_indexed(c->cache, c->cs, n_srcs, &c->ix.idx, id_fn,
				 &c->ids, &nc, &err);
	t1 = now_ms();
	if (ret) {
		fprintf(stderr, "policy_compile_time: compile: %s\n",
			xg_err_str(&err, msg, sizeof(msg)));
		return ret;
	}
	ret = xg_dp_sync_apply(&c->sync, c->ms, &nc, NULL);
	if (ret) {
		fprintf(stderr, "policy_compile_time: sync: %s\n", strerror(-ret));
		xg_compiled_free(&nc);
		return ret;
	}
	xg_compiled_free(&c->cur);
	c->cur = nc;
	*compile_ms = t1 - t0;
	*sync_ms = now_ms() - t1;
	return 0;
}

static int index_build(struct index *x, const struct xg_compile_src *cs,
		       size_t n)
{
	size_t n_pol = 0, n_svc = 0, n_ep = 0;
	bool gen0 = false;

	x->pol = calloc(n + 1, sizeof(*x->pol));
	x->svc = calloc(n + 1, sizeof(*x->svc));
	x->ep_gens = calloc(n + 1, sizeof(*x->ep_gens));
	if (!x->pol || !x->svc || !x->ep_gens)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct xg_doc_set *s = cs[i].set;

		if (s->n_cnps)
			x->pol[n_pol++] = (__u32)i;
		if (s->n_services)
			x->svc[n_svc++] = (__u32)i;
		if (s->n_endpoints) {
			gen0 |= !s->gen;
			x->ep_gens[n_ep++] = s->gen;
		}
	}
	x->idx = (struct xg_compile_index){
		.pol = x->pol, .n_pol = n_pol, .svc = x->svc, .n_svc = n_svc,
		.ep_gens = x->ep_gens,
		.n_ep_gens = gen0 ? SIZE_MAX : n_ep,
	};
	return 0;
}

static void index_free(struct index *x)
{
	free(x->pol);
	free(x->svc);
	free(x->ep_gens);
}

static void usage(void)
{
	fprintf(stderr, "usage: policy_compile_time --dir DIR --ns NS --subject APP "
			"--peer APP [--updates N]\n");
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *ns = NULL, *subj = NULL, *peer = NULL;
	struct xg_loader_opts lo;
	struct xg_datapath *dp = NULL;
	struct ctx c = { .ids = { .next = 256 } };
	struct xg_err err = {};
	double t0, parse_s, cm0, sm0, cm1, sm1;
	double *cms = NULL, *sms = NULL, *tms = NULL;
	struct xg_compile_cache_counts cn;
	long updates = 200;
	size_t probe;
	char msg[768];
	int ret = 1;

	/* As xgated does (ctrl/daemon/main.c): freed apply memory stays in
	 * the heap.  Without it every apply faults its arrays in afresh and
	 * this tool reported apply p50 2.7-3.1 ms where xgated takes 1.6. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	for (int a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--dir"))
			dir = argv[a + 1];
		else if (!strcmp(argv[a], "--ns"))
			ns = argv[a + 1];
		else if (!strcmp(argv[a], "--subject"))
			subj = argv[a + 1];
		else if (!strcmp(argv[a], "--peer"))
			peer = argv[a + 1];
		else if (!strcmp(argv[a], "--updates"))
			updates = atol(argv[a + 1]);
		else
			return usage(), 2;
	}
	if (argc % 2 == 0 || !dir || !ns || !subj || !peer || updates < 1)
		return usage(), 2;
	xg_log_set_level(XG_LOG_WARN);
	xg_log_hook_libs();

	t0 = now_ms();
	root_len = strlen(dir) + 1;
	if (nftw(dir, add_file, 32, FTW_PHYS))
		return 1;
	parse_s = (now_ms() - t0) / 1e3;
	/* room for the probe's own document, sorted in like a key */
	srcs = realloc(srcs, (n_srcs + 1) * sizeof(*srcs));
	if (!srcs)
		return 1;
	memset(&srcs[n_srcs], 0, sizeof(*srcs));
	srcs[n_srcs].name = strdup("bench-probe.yaml");
	probe = n_srcs++;
	qsort(srcs, n_srcs, sizeof(*srcs), src_cmp);
	for (size_t i = 0; i < n_srcs; i++)
		if (!strcmp(srcs[i].name, "bench-probe.yaml"))
			probe = i;

	c.cs = calloc(n_srcs, sizeof(*c.cs));
	c.cache = xg_compile_cache_new();
	cms = calloc((size_t)updates, sizeof(double));
	sms = calloc((size_t)updates, sizeof(double));
	tms = calloc((size_t)updates, sizeof(double));
	if (!c.cs || !c.cache || !cms || !sms || !tms)
		goto out;
	for (size_t i = 0; i < n_srcs; i++) {
		c.cs[i].name = srcs[i].name;
		c.cs[i].set = &srcs[i].set;
	}

	xg_loader_opts_default(&lo);
	lo.pin_root = ""; /* private maps: nothing else sees them */
	if (xg_dp_open(&lo, &dp, &err) || xg_dp_load(dp, &err)) {
		fprintf(stderr, "policy_compile_time: datapath: %s\n",
			xg_err_str(&err, msg, sizeof(msg)));
		goto out;
	}
	c.ms = xg_dp_maps(dp);
	if (xg_dp_sync_adopt(&c.sync, c.ms))
		goto out;

	for (long u = -2; u < updates; u++) {
		char text[1024];
		double cm, sm;
		/* the first apply and the unchanged one use port 0; then
		 * every update moves it */
		unsigned int idx = u < 0 ? 0 : (unsigned)(u + 1) % PS_PROBE_PORTS;
		int n = ps_probe_doc(text, sizeof(text), ns, subj, peer,
				     PS_PROBE_PORT0 + idx);

		/* as the document store does: parse the new version, then
		 * drop the old one */
		if (u != -1) {
			struct xg_doc_set ns_set = {};

			if (xg_doc_parse_buf("bench-probe.yaml", text, (size_t)n,
					     &ns_set, &err)) {
				fprintf(stderr, "policy_compile_time: probe: %s\n",
					xg_err_str(&err, msg, sizeof(msg)));
				goto out;
			}
			xg_doc_set_free(&srcs[probe].set);
			srcs[probe].set = ns_set;
			/* the index holds kinds, which the probe keeps */
			if (u == -2 && index_build(&c.ix, c.cs, n_srcs))
				goto out;
		}
		t0 = now_ms();
		if (apply(&c, &cm, &sm))
			goto out;
		if (u == -2) {
			cm0 = cm;
			sm0 = sm;
		} else if (u == -1) {
			cm1 = cm;
			sm1 = sm;
		} else {
			cms[u] = cm;
			sms[u] = sm;
			tms[u] = now_ms() - t0;
		}
	}
	xg_compile_cache_counts(c.cache, &cn);
	printf("{\"files\": %zu, \"rules\": %zu, \"identities\": %zu, \"ipcache\": %zu, "
	       "\"policy_entries\": %zu, \"parse_s\": %.3f, "
	       "\"first_compile_ms\": %.2f, \"first_sync_ms\": %.2f, "
	       "\"same_compile_ms\": %.2f, \"same_sync_ms\": %.2f, \"updates\": %ld, "
	       "\"compile_p50_ms\": %.3f, \"compile_p99_ms\": %.3f, "
	       "\"sync_p50_ms\": %.3f, \"sync_p99_ms\": %.3f, "
	       "\"apply_p50_ms\": %.3f, \"apply_p99_ms\": %.3f, "
	       "\"cache\": {\"endpoints_reused\": %zu, \"endpoints_made\": %zu, "
	       "\"sources_reused\": %zu, \"sources_compiled\": %zu}}\n",
	       n_srcs - 1, c.cur.n_rules, c.cur.n_idents, c.cur.n_ipc,
	       c.cur.policy.n, parse_s, cm0, sm0, cm1, sm1, updates,
	       pct(cms, (size_t)updates, 50), pct(cms, (size_t)updates, 99),
	       pct(sms, (size_t)updates, 50), pct(sms, (size_t)updates, 99),
	       pct(tms, (size_t)updates, 50), pct(tms, (size_t)updates, 99),
	       cn.endpoints_reused, cn.endpoints_made, cn.sources_reused,
	       cn.sources_compiled);
	ret = 0;
out:
	xg_compile_cache_free(c.cache);
	index_free(&c.ix);
	xg_compiled_free(&c.cur);
	xg_dp_sync_free(&c.sync);
	if (dp)
		xg_dp_close(dp);
	for (size_t i = 0; i < n_srcs; i++) {
		xg_doc_set_free(&srcs[i].set);
		free(srcs[i].name);
	}
	for (size_t i = 0; i < c.ids.cap; i++)
		free(c.ids.keys[i]);
	free(c.ids.keys);
	free(c.ids.ids);
	free(srcs);
	free(c.cs);
	free(cms);
	free(sms);
	free(tms);
	return ret;
}
