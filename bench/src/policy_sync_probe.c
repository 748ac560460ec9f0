// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/policy_sync's stopwatch: how long a policy change takes from
 * the kvstore to the datapath's policy map, seen from outside xgated.
 *
 *   policy_sync_probe run --pin-root DIR --socket PATH
 *                         (--dir POLICYDIR | --etcd URL [--prefix P])
 *                         --ns NS --subject APP --peer APP
 *                         [--updates N] [--max-s S] [--gap-ms MS]
 *                         [--samples FILE]
 *   policy_sync_probe wait-apply --socket PATH --applies N
 *                         [--since-ns REALTIME_NS] [--timeout S]
 *
 * run: writes the bench-probe policy (policy_sync_doc.h) once and finds
 * its entry in the pinned policy map by walking it, which gives the
 * subject and peer identities; then N times moves its port (40000 <->
 * 40001) and times, on CLOCK_MONOTONIC, from just before the write to
 * the moment an LPM lookup of {subject, ingress, peer, TCP, new port}
 * answers with the port's own entry (prefix length 128).  A file update
 * is a write to a temp name in the watched directory and a rename over
 * bench-probe.yaml (what editors and config tools do); an etcd update is
 * one put (ctrl/kv/etcd.h) of policies/NS/bench-probe.  Before the next
 * update it waits for that apply to finish (the revision bump, then
 * status's apply count), so each figure is one change on an idle daemon,
 * then sleeps --gap-ms plus up to as much again, at random, so updates
 * do not fall into step with anything periodic.  With --max-s, no new
 * update starts after S seconds: a daemon that needs a long time per
 * apply then gets fewer updates, and the output says so (time_boxed).
 * Prints one JSON object (percentiles in ms); --samples writes every
 * latency, one a line.
 *
 * wait-apply: asks xgated's status (its unix socket) every 5 ms until it
 * reports N applies; prints the time since REALTIME_NS (the moment the
 * caller started xgated or sent SIGHUP, from `date +%s%N`) and the
 * daemon's own last_apply_ms.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ctrl/entries.h"
#include "ctrl/kv/etcd.h"
#include "ctrl/loader.h"
#include "ctrl/log.h"
#include "bench/src/policy_sync_doc.h"

/* A lookup is a syscall of about a microsecond; between two, sleep this
 * long so two vCPUs are left to xgated (and etcd). */
#define POLL_NS 100000L
#define UPDATE_TIMEOUT_S 60.0

struct opts {
	const char *pin_root, *sock, *dir, *etcd, *prefix, *ns, *subj, *peer,
		*samples;
	long updates, gap_ms, applies, timeout_s, max_s;
	long long since_ns;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void nap(long ns)
{
	struct timespec t = { .tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

/* ------------------------------------------------------ xgated's API -- */

/* One status call; 0 with *applies and *apply_ms, or -errno. */
static int status(const char *sock, long long *applies, double *apply_ms)
{
	static const char req[] = "{\"cmd\":\"status\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct json_object *o, *v;
	char buf[65536];
	size_t n = 0;
	ssize_t r;
	int fd, err = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		err = -errno;
		close(fd);
		return err;
	}
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	o = json_tokener_parse(buf);
	if (!o)
		return -EBADMSG;
	*applies = json_object_object_get_ex(o, "applies", &v) ?
			   json_object_get_int64(v) : 0;
	*apply_ms = json_object_object_get_ex(o, "last_apply_ms", &v) ?
			    json_object_get_double(v) : 0;
	json_object_put(o);
	return 0;
}

static int wait_apply(const struct opts *o)
{
	double until = now_ms() + (double)o->timeout_s * 1e3, apply_ms = 0;
	long long applies = -1;
	struct timespec rt;

	while (now_ms() < until) {
		if (!status(o->sock, &applies, &apply_ms) && applies >= o->applies)
			break;
		nap(5000000L);
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	if (applies < o->applies) {
		fprintf(stderr, "policy_sync_probe: no apply %ld within %ld s (at %lld)\n",
			o->applies, o->timeout_s, applies);
		return 1;
	}
	printf("{\"applies\": %lld, \"elapsed_s\": %.3f, \"last_apply_ms\": %.1f}\n",
	       applies,
	       o->since_ns ? ((double)rt.tv_sec * 1e9 + (double)rt.tv_nsec -
			      (double)o->since_ns) / 1e9 : 0.0,
	       apply_ms);
	return 0;
}

/* ---------------------------------------------------------- writers -- */

struct writer {
	const struct opts *o;
	struct xg_etcd *e;
	char key[512];
};

static int write_file(const char *dir, const char *text, size_t len)
{
	char tmp[4096], path[4096];
	FILE *f;

	/* a dot name: the file store ignores it until the rename */
	snprintf(tmp, sizeof(tmp), "%s/.bench-probe.yaml.tmp", dir);
	snprintf(path, sizeof(path), "%s/bench-probe.yaml", dir);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -EIO;
	}
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

static int write_probe(struct writer *w, unsigned int port)
{
	struct xg_err err = {};
	char text[1024], msg[768];
	int n = ps_probe_doc(text, sizeof(text), w->o->ns, w->o->subj,
			     w->o->peer, port);
	int ret;

	if (!w->e)
		return write_file(w->o->dir, text, (size_t)n);
	ret = xg_etcd_put(w->e, w->key, text, (size_t)n, 0, NULL, &err);
	if (ret)
		fprintf(stderr, "policy_sync_probe: put: %s\n",
			xg_err_str(&err, msg, sizeof(msg)));
	return ret;
}

/* ------------------------------------------------------------- maps -- */

struct found {
	__u32 subject, peer;
	int hit;
};

static int find_probe(const void *key, const void *val, void *arg)
{
	const struct xg_policy_key *k = key;
	struct found *f = arg;

	if (k->dir == XG_DIR_INGRESS && k->proto == IPPROTO_TCP &&
	    k->prefixlen == XG_POLICY_PLEN_FULL && k->peer &&
	    k->dport == htons(PS_PROBE_PORT0)) {
		f->subject = k->subject;
		f->peer = k->peer;
		f->hit++;
	}
	return 0;
}

/* Is the probe's entry for this port there?  An LPM lookup with every
 * bit set answers the longest entry that covers the key: the port's own
 * entry when it is there, a wider one (the subject's marker) when not. */
static int probe_there(struct xg_mapset *ms, const struct found *f,
		       unsigned int port)
{
	struct xg_policy_key k = { .prefixlen = XG_POLICY_PLEN_FULL,
				   .subject = f->subject, .dir = XG_DIR_INGRESS,
				   .peer = f->peer, .proto = IPPROTO_TCP,
				   .dport = htons((__u16)port) };
	struct xg_policy_val v;

	if (xg_ms_lookup(ms, XG_M_POLICY, &k, &v))
		return 0;
	return v.prefixlen == XG_POLICY_PLEN_FULL && v.action == XG_ACT_ALLOW;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p% at or below it. */
static double pct(const double *sorted, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	return n ? sorted[k ? k - 1 : 0] : 0;
}

static int run(const struct opts *o)
{
	struct xg_mapset_bpf priv;
	struct xg_mapset ms;
	struct writer w = { .o = o };
	struct found f = {};
	struct xg_err err = {};
	double *lat = NULL, *wr = NULL, *ap = NULL, t0, until, stop_at;
	long long applies = 0;
	bool boxed = false;
	double apply_ms;
	size_t fails = 0, n = 0;
	char msg[768];
	int ret = 1;

	if (xg_maps_open_pinned(o->pin_root, &ms, &priv, &err)) {
		fprintf(stderr, "policy_sync_probe: %s\n", xg_err_str(&err, msg, sizeof(msg)));
		return 1;
	}
	if (o->etcd) {
		const char *eps[1] = { o->etcd };
		struct xg_etcd_cfg ec = { .endpoints = eps, .n_endpoints = 1,
					  .timeout_ms = 5000 };

		if (xg_etcd_open(&ec, &w.e, &err)) {
			fprintf(stderr, "policy_sync_probe: etcd: %s\n",
				xg_err_str(&err, msg, sizeof(msg)));
			goto out;
		}
		snprintf(w.key, sizeof(w.key), "%spolicies/%s/bench-probe",
			 o->prefix, o->ns);
	}
	lat = calloc((size_t)o->updates, sizeof(double));
	wr = calloc((size_t)o->updates, sizeof(double));
	ap = calloc((size_t)o->updates, sizeof(double));
	if (!lat || !wr || !ap)
		goto out;

	/* Once: the probe's identities, from its first entry. */
	if (status(o->sock, &applies, &apply_ms)) {
		fprintf(stderr, "policy_sync_probe: xgated does not answer at %s\n",
			o->sock);
		goto out;
	}
	if (write_probe(&w, PS_PROBE_PORT0))
		goto out;
	until = now_ms() + 120e3;
	while (!f.hit && now_ms() < until) {
		nap(10000000L);
		memset(&f, 0, sizeof(f));
		xg_ms_walk(&ms, XG_M_POLICY, find_probe, &f);
	}
	if (f.hit != 1) {
		fprintf(stderr, "policy_sync_probe: the probe's entry %s in the policy map\n",
			f.hit ? "is there more than once" : "never appeared");
		goto out;
	}
	/* and that apply finished, with no other behind it for 300 ms (a
	 * probe document already holding this text costs no apply at all) */
	until = now_ms() + 120e3;
	for (long long a0 = -1, quiet = 0; now_ms() < until; nap(10000000L)) {
		if (status(o->sock, &applies, &apply_ms))
			continue;
		quiet = applies == a0 ? quiet + 1 : 0;
		a0 = applies;
		if (quiet == 30)
			break;
	}

	srand48(42);
	stop_at = o->max_s ? now_ms() + (double)o->max_s * 1e3 : 0;
	for (long u = 0; u < o->updates; u++) {
		unsigned int port = PS_PROBE_PORT0 + (unsigned)(u + 1) % PS_PROBE_PORTS;
		__u32 rev0 = 0, rev = 0;
		double t1;
		bool seen;

		if (stop_at && now_ms() > stop_at) {
			boxed = true;
			break;
		}
		xg_policy_rev_get(&ms, &rev0);
		t0 = now_ms();
		if (write_probe(&w, port))
			goto out;
		t1 = now_ms();
		until = t0 + UPDATE_TIMEOUT_S * 1e3;
		while (!(seen = probe_there(&ms, &f, port)) && now_ms() < until)
			nap(POLL_NS);
		if (!seen) {
			fails++;
			fprintf(stderr, "policy_sync_probe: update %ld not seen in %.0f s\n",
				u, UPDATE_TIMEOUT_S);
			continue;
		}
		lat[n] = now_ms() - t0;
		wr[n] = t1 - t0;
		/* the apply ends with the revision bump and then counts
		 * itself in status; the next update starts after both */
		while (!xg_policy_rev_get(&ms, &rev) && rev == rev0 && now_ms() < until)
			nap(POLL_NS);
		for (long long want = applies + 1; now_ms() < until; nap(1000000L))
			if (!status(o->sock, &applies, &apply_ms) && applies >= want)
				break;
		ap[n] = apply_ms;
		n++;
		nap((o->gap_ms + (long)(drand48() * (double)o->gap_ms)) * 1000000L);
	}

	if (o->samples) {
		FILE *s = fopen(o->samples, "w");

		for (size_t i = 0; s && i < n; i++)
			fprintf(s, "%.3f %.3f %.3f\n", lat[i], wr[i], ap[i]);
		if (s)
			fclose(s);
	}
	qsort(lat, n, sizeof(*lat), dbl_cmp);
	qsort(wr, n, sizeof(*wr), dbl_cmp);
	qsort(ap, n, sizeof(*ap), dbl_cmp);
	printf("{\"store\": \"%s\", \"updates\": %zu, \"requested\": %ld, "
	       "\"time_boxed\": %s, \"max_s\": %ld, \"failed\": %zu, "
	       "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
	       "\"write_p50_ms\": %.3f, \"write_p99_ms\": %.3f, "
	       "\"apply_p50_ms\": %.3f, \"apply_p99_ms\": %.3f, "
	       "\"subject_id\": %u, \"peer_id\": %u}\n",
	       o->etcd ? "etcd" : "file", n, o->updates, boxed ? "true" : "false",
	       o->max_s, fails, pct(lat, n, 50), pct(lat, n, 90),
	       pct(lat, n, 99), n ? lat[n - 1] : 0, pct(wr, n, 50), pct(wr, n, 99),
	       pct(ap, n, 50), pct(ap, n, 99), f.subject, f.peer);
	ret = fails ? 1 : 0;
out:
	if (w.e)
		xg_etcd_close(w.e);
	xg_maps_close_pinned(&priv);
	free(lat);
	free(wr);
	free(ap);
	return ret;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: policy_sync_probe run --pin-root DIR --socket PATH\n"
		"           (--dir POLICYDIR | --etcd URL [--prefix P]) --ns NS\n"
		"           --subject APP --peer APP [--updates N] [--max-s S]\n"
		"           [--gap-ms MS] [--samples FILE]\n"
		"       policy_sync_probe wait-apply --socket PATH --applies N\n"
		"           [--since-ns REALTIME_NS] [--timeout S]\n");
}

int main(int argc, char **argv)
{
	struct opts o = { .prefix = "/xgate/v1/", .updates = 1000, .gap_ms = 10,
			  .timeout_s = 600 };

	if (argc < 2)
		return usage(), 2;
	for (int a = 2; a + 1 < argc; a += 2) {
		const char *k = argv[a], *v = argv[a + 1];

		if (!strcmp(k, "--pin-root"))
			o.pin_root = v;
		else if (!strcmp(k, "--socket"))
			o.sock = v;
		else if (!strcmp(k, "--dir"))
			o.dir = v;
		else if (!strcmp(k, "--etcd"))
			o.etcd = v;
		else if (!strcmp(k, "--prefix"))
			o.prefix = v;
		else if (!strcmp(k, "--ns"))
			o.ns = v;
		else if (!strcmp(k, "--subject"))
			o.subj = v;
		else if (!strcmp(k, "--peer"))
			o.peer = v;
		else if (!strcmp(k, "--samples"))
			o.samples = v;
		else if (!strcmp(k, "--updates"))
			o.updates = atol(v);
		else if (!strcmp(k, "--gap-ms"))
			o.gap_ms = atol(v);
		else if (!strcmp(k, "--max-s"))
			o.max_s = atol(v);
		else if (!strcmp(k, "--applies"))
			o.applies = atol(v);
		else if (!strcmp(k, "--timeout"))
			o.timeout_s = atol(v);
		else if (!strcmp(k, "--since-ns"))
			o.since_ns = atoll(v);
		else
			return usage(), 2;
	}
	if (argc % 2 || !o.sock)
		return usage(), 2;
	xg_log_set_level(XG_LOG_WARN);
	xg_log_hook_libs();
	if (!strcmp(argv[1], "wait-apply"))
		return o.applies > 0 ? wait_apply(&o) : (usage(), 2);
	if (strcmp(argv[1], "run") || !o.pin_root || !!o.dir == !!o.etcd || !o.ns ||
	    !o.subj || !o.peer || o.updates < 1 || o.gap_ms < 0 || o.max_s < 0)
		return usage(), 2;
	return run(&o);
}
