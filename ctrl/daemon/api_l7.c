// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "api_l7.h"
#include "fastpath/fastpath.h"

static struct json_object *event_json(const struct xg_fp_event *ev)
{
	struct json_object *o = json_object_new_object();
	int af = ev->family == 4 ? AF_INET : AF_INET6;
	char c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];

	inet_ntop(af, ev->client, c, sizeof(c));
	inet_ntop(af, ev->server, s, sizeof(s));
	json_object_object_add(o, "ts_ns", json_object_new_int64((int64_t)ev->ts_ns));
	json_object_object_add(o, "client", json_object_new_string(c));
	json_object_object_add(o, "client_port", json_object_new_int(ev->cport));
	json_object_object_add(o, "server", json_object_new_string(s));
	json_object_object_add(o, "server_port", json_object_new_int(ev->sport));
	json_object_object_add(o, "ruleset", json_object_new_int64(ev->ruleset));
	json_object_object_add(o, "rule", json_object_new_int(ev->rule));
	json_object_object_add(o, "status", json_object_new_int(ev->status));
	json_object_object_add(o, "method", json_object_new_string(ev->method));
	json_object_object_add(o, "path", json_object_new_string(ev->path));
	json_object_object_add(o, "host", json_object_new_string(ev->host));
	return o;
}

struct json_object *xgd_api_l7(struct xgd *d, struct json_object *req)
{
	struct json_object *o = json_object_new_object(), *c, *a, *v;
	uint64_t cnt[XG_FP_C__MAX], rx, tx, nobufs;
	struct xg_fp_event *evs;
	struct xg_fp_engine *e;
	int64_t want = 20;
	size_t n;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "enabled", json_object_new_boolean(d->fp != NULL));
	if (!d->fp)
		return o;
	if (json_object_object_get_ex(req, "events", &v))
		want = json_object_get_int64(v);
	if (want < 0 || want > XG_FP_EVENTS)
		want = XG_FP_EVENTS;
	e = xg_fastpath_engine(d->fp);
	json_object_object_add(o, "workers",
			       json_object_new_int((int)xg_fastpath_workers(d->fp)));
	json_object_object_add(o, "flows",
			       json_object_new_int64((int64_t)xg_fp_flow_count(e)));
	xg_fastpath_io_counters(d->fp, &rx, &tx, &nobufs);
	json_object_object_add(o, "frames_in", json_object_new_int64((int64_t)rx));
	json_object_object_add(o, "frames_out", json_object_new_int64((int64_t)tx));
	json_object_object_add(o, "frames_no_buffer",
			       json_object_new_int64((int64_t)nobufs));
	xg_fp_counters(e, cnt);
	c = json_object_new_object();
	for (int i = 0; i < XG_FP_C__MAX; i++)
		json_object_object_add(c, xg_fp_counter_key[i],
				       json_object_new_int64((int64_t)cnt[i]));
	json_object_object_add(o, "counters", c);
	a = json_object_new_array();
	evs = calloc((size_t)want + 1, sizeof(*evs));
	n = evs ? xg_fp_events(e, evs, (size_t)want) : 0;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, event_json(&evs[i]));
	free(evs);
	json_object_object_add(o, "events", a);
	return o;
}

void xgd_metrics_l7(struct xgd *d, FILE *f)
{
	uint64_t cnt[XG_FP_C__MAX], rx, tx, nobufs;

	if (!d->fp)
		return;
	xg_fp_counters(xg_fastpath_engine(d->fp), cnt);
	fprintf(f, "# HELP xgate_l7_total L7 fast path verdicts and events.\n"
		   "# TYPE xgate_l7_total counter\n");
	for (int i = 0; i < XG_FP_C__MAX; i++)
		fprintf(f, "xgate_l7_total{what=\"%s\"} %llu\n",
			xg_fp_counter_key[i], (unsigned long long)cnt[i]);
	xg_fastpath_io_counters(d->fp, &rx, &tx, &nobufs);
	fprintf(f, "# HELP xgate_l7_frames_total Frames through the AF_XDP sockets.\n"
		   "# TYPE xgate_l7_frames_total counter\n"
		   "xgate_l7_frames_total{dir=\"in\"} %llu\n"
		   "xgate_l7_frames_total{dir=\"out\"} %llu\n"
		   "xgate_l7_frames_total{dir=\"no_buffer\"} %llu\n",
		(unsigned long long)rx, (unsigned long long)tx,
		(unsigned long long)nobufs);
	fprintf(f, "# HELP xgate_l7_flows Flows the L7 fast path follows.\n"
		   "# TYPE xgate_l7_flows gauge\nxgate_l7_flows %lu\n",
		xg_fp_flow_count(xg_fastpath_engine(d->fp)));
}
