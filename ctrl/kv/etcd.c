// SPDX-License-Identifier: GPL-2.0-only
/*
 * etcd v3 client over the JSON gateway (see etcd.h): requests with
 * failover, range paging at one revision, create as a transaction,
 * leases, and the watch loop with its reconnects.  Decoding is in
 * etcd_stream.c; this file only talks.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctrl/log.h"
#include "etcd.h"

#define DEFAULT_TIMEOUT_MS 5000
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
/* How long the watch loop may go without looking at *stop. */
#define POLL_MS 20
/* A peer that vanished without a FIN or RST (power loss, partition) is
 * found by keepalive probes: after 10 s idle, every 3 s. */
#define KEEPIDLE_S 10L
#define KEEPINTVL_S 3L

struct xg_etcd {
	char **ep;
	size_t n_ep;
	int timeout_ms, watch_idle_ms;
	size_t page;
	struct curl_slist *hdrs, *watch_hdrs;
	pthread_mutex_t lock; /* curl, errbuf and cur */
	CURL *curl; /* unary calls: one handle keeps its connections */
	char errbuf[CURL_ERROR_SIZE];
	size_t cur; /* where unary calls start: the last one that answered */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *b64(const void *p, size_t n)
{
	char *s = malloc(xg_etcd_b64_enc_len(n) + 1);

	if (s)
		xg_etcd_b64_encode(p, n, s);
	return s;
}

/*
 * The end of the range of every key starting with p (n bytes): p with its
 * last byte below 0xff incremented and the rest cut; "\0", etcd's "to the
 * end of the keyspace", when there is no such byte.  *end is malloc'd.
 */
static int prefix_end(const char *p, size_t n, unsigned char **end,
		      size_t *len)
{
	size_t l = n;
	unsigned char *e = malloc(n + 1);

	if (!e)
		return -ENOMEM;
	memcpy(e, p, n);
	while (l && e[l - 1] == 0xff)
		l--;
	if (l)
		e[l - 1]++;
	else
		e[l++] = 0;
	*end = e;
	*len = l;
	return 0;
}

/* The range of every key starting with p, from p (or "\0", the first key
 * there is, for ""), base64 for the gateway. */
static int prefix_range(const char *p, char **key64, char **end64)
{
	size_t n = strlen(p), len;
	unsigned char *end = NULL;

	*key64 = n ? b64(p, n) : b64("", 1);
	if (!*key64 || prefix_end(p, n, &end, &len))
		goto nomem;
	*end64 = b64(end, len);
	free(end);
	if (!*end64)
		goto nomem;
	return 0;
nomem:
	free(*key64);
	*key64 = NULL;
	return -ENOMEM;
}

int xg_etcd_prefix_end(const char *prefix, char **end, size_t *len)
{
	unsigned char *e;
	int ret = prefix_end(prefix, strlen(prefix), &e, len);

	if (ret)
		return ret;
	/* NUL-terminated too, for callers that keep keys as strings */
	*end = realloc(e, *len + 1);
	if (!*end) {
		free(e);
		return -ENOMEM;
	}
	(*end)[*len] = '\0';
	return 0;
}

/* Where the decoder's JSON path came from: "etcd /v3/kv/range: kvs[0].key". */
static void in_answer(struct xg_err *err, const char *api)
{
	char w[sizeof(err->where)];

	snprintf(w, sizeof(w), "etcd %s%s%.150s", api,
		 err->where[0] ? ": " : "", err->where);
	memcpy(err->where, w, sizeof(w));
}

/* Transfer errors */

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Another endpoint may do better. */
static bool failover(int ret)
{
	return ret == -ECONNREFUSED || ret == -ETIMEDOUT ||
	       ret == -EHOSTUNREACH || ret == -EIO || ret == -EAGAIN;
}

/* A non-200 answer: etcd's error object, or the bare status. */
static int http_error(const char *ep, const char *api, long status,
		      const char *body, size_t len, struct xg_err *err)
{
	int ret = xg_etcd_decode_error(body, len, err);

	if (ret != -EBADMSG)
		return ret;
	xg_err_set(err, ep, "HTTP %ld from %s", status, api);
	if (status >= 500)
		return -EAGAIN;
	/* No v3 gateway at this path: etcd before 3.4 spells it v3beta. */
	if (status == 404)
		return -EOPNOTSUPP;
	return -EPROTO;
}

static void common_opts(const struct xg_etcd *e, CURL *c, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* etcd traffic goes straight to the member, whatever http_proxy
	 * the daemon's environment happens to hold. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, KEEPIDLE_S);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, KEEPINTVL_S);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

/* Unary calls */

struct body {
	char *p;
	size_t len, cap;
	bool over, nomem;
};

static size_t body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n, cap;
	char *p;

	if (add > XG_ETCD_BODY_MAX - b->len) {
		b->over = true;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + add + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->nomem = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* One POST to one endpoint; e->lock held. */
static int post(struct xg_etcd *e, size_t ep, const char *api, const char *json,
		struct body *b, struct xg_err *err)
{
	long status = 0;
	char *url;
	CURLcode rc;

	b->len = 0;
	b->over = b->nomem = false;
	if (asprintf(&url, "%s%s", e->ep[ep], api) < 0)
		return -ENOMEM;
	e->errbuf[0] = '\0';
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, b);
	rc = curl_easy_perform(e->curl);
	free(url);
	if (b->nomem)
		return -ENOMEM;
	if (b->over) {
		xg_err_set(err, e->ep[ep], "answer to %s over %u bytes", api,
			   XG_ETCD_BODY_MAX);
		return -E2BIG;
	}
	if (rc != CURLE_OK) {
		xg_err_set(err, e->ep[ep], "%s",
			   e->errbuf[0] ? e->errbuf : curl_easy_strerror(rc));
		return curl_errno(rc);
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return http_error(e->ep[ep], api, status, b->p ? b->p : "",
				  b->len, err);
	/* A stream call (lease keepalive) reports errors inside a 200, as
	 * {"error":{...}}; grpc-gateway writes that key first.  Seen here,
	 * "unavailable" fails over like any other. */
	if (b->len > 9 && !strncmp(b->p, "{\"error\":", 9))
		return xg_etcd_decode_error(b->p, b->len, err);
	return 0;
}

/* One call, tried on each endpoint in turn: 0 with a 200 answer in b. */
static int call(struct xg_etcd *e, const char *api, const char *json,
		struct body *b, struct xg_err *err)
{
	size_t i, ep, first;
	int ret = -EIO;

	pthread_mutex_lock(&e->lock);
	first = e->cur;
	for (i = 0; i < e->n_ep; i++) {
		ep = (first + i) % e->n_ep;
		ret = post(e, ep, api, json, b, err);
		if (!ret) {
			e->cur = ep;
			break;
		}
		if (!failover(ret))
			break;
		pr_debug("etcd: %s%s: %s\n", e->ep[ep], api, err->msg);
		/* The next call starts past an endpoint known to fail. */
		e->cur = (ep + 1) % e->n_ep;
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int xg_etcd_put(struct xg_etcd *e, const char *key, const void *val, size_t len,
		int64_t lease, int64_t *rev, struct xg_err *err)
{
	char *k = NULL, *v = NULL, *req = NULL;
	struct body b = {0};
	struct xg_err tmp;
	int64_t r;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || !key || !key[0] || (!val && len) || lease < 0) {
		xg_err_set(err, "etcd put", "invalid arguments");
		return -EINVAL;
	}
	k = b64(key, strlen(key));
	v = b64(val, len);
	ret = -ENOMEM;
	if (!k || !v ||
	    asprintf(&req,
		     "{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%" PRId64
		     "\"}",
		     k, v, lease) < 0) {
		req = NULL;
		goto out;
	}
	ret = call(e, "/v3/kv/put", req, &b, err);
	if (ret)
		goto out;
	ret = xg_etcd_decode_header(b.p, b.len, &r, err);
	if (ret) {
		in_answer(err, "/v3/kv/put");
		goto out;
	}
	if (rev)
		*rev = r;
out:
	free(b.p);
	free(req);
	free(v);
	free(k);
	return ret;
}

int xg_etcd_delete(struct xg_etcd *e, const char *key, bool prefix,
		   int64_t *rev, struct xg_err *err)
{
	char *k = NULL, *end = NULL, *req = NULL;
	struct body b = {0};
	struct xg_err tmp;
	int64_t r;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || !key || (!key[0] && !prefix)) {
		xg_err_set(err, "etcd delete", "invalid arguments");
		return -EINVAL;
	}
	if (prefix)
		ret = prefix_range(key, &k, &end);
	else
		ret = (k = b64(key, strlen(key))) ? 0 : -ENOMEM;
	if (ret)
		goto out;
	ret = prefix ? asprintf(&req, "{\"key\":\"%s\",\"range_end\":\"%s\"}",
				k, end)
		     : asprintf(&req, "{\"key\":\"%s\"}", k);
	if (ret < 0) {
		req = NULL;
		ret = -ENOMEM;
		goto out;
	}
	ret = call(e, "/v3/kv/deleterange", req, &b, err);
	if (ret)
		goto out;
	ret = xg_etcd_decode_header(b.p, b.len, &r, err);
	if (ret) {
		in_answer(err, "/v3/kv/deleterange");
		goto out;
	}
	if (rev)
		*rev = r;
out:
	free(b.p);
	free(req);
	free(end);
	free(k);
	return ret;
}

/* One range request, decoded. */
static int range(struct xg_etcd *e, const char *req, struct xg_etcd_range *r,
		 struct xg_err *err)
{
	struct body b = {0};
	int ret;

	memset(r, 0, sizeof(*r));
	ret = call(e, "/v3/kv/range", req, &b, err);
	if (!ret) {
		ret = xg_etcd_decode_range(b.p, b.len, r, err);
		if (ret)
			in_answer(err, "/v3/kv/range");
	}
	free(b.p);
	return ret;
}

/* Keys a range remembers, at even steps through it, so that the next
 * read of the same prefix can be cut into parts of about equal size. */
#define SAMPLES_PER_PART 8

struct part {
	struct xg_etcd *e;
	char *lo64; /* owned; moves on page by page */
	char *hi64; /* owned */
	int64_t at; /* in: 0 = take the first page's; out: the revision read */
	const char *filter; /* more request fields, ",\"keys_only\":true"; or "" */
	xg_etcd_kv_cb cb;
	void *arg;
	volatile int *abort; /* another part failed */
	int64_t count, seen;
	char *sample[SAMPLES_PER_PART];
	int64_t sample_pos[SAMPLES_PER_PART];
	int n_samples;
	int ret;
	struct xg_err err;
};

static void sample(struct part *p, const struct xg_etcd_kv *kv)
{
	int j = p->n_samples;

	if (j >= SAMPLES_PER_PART ||
	    p->seen < p->count * (j + 1) / (SAMPLES_PER_PART + 1))
		return;
	p->sample[j] = strndup(kv->key, kv->key_len);
	if (p->sample[j])
		p->sample_pos[p->n_samples++] = p->seen;
}

/* Every kv in [lo64, hi64), page by page at one revision. */
static int range_pages(struct part *p)
{
	struct xg_etcd_range r = {0};
	struct xg_etcd_kv *last;
	struct xg_err *err = &p->err;
	size_t i, limit = p->e->page;
	char *req = NULL;
	int ret;

	for (;;) {
		if (p->abort && *p->abort) {
			ret = -ECANCELED;
			xg_err_set(err, "etcd range", "another part failed");
			break;
		}
		/* Pages after the first read at the first one's revision:
		 * one consistent snapshot for the watch to follow. */
		if (asprintf(&req,
			     "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":"
			     "\"%zu\",\"revision\":\"%" PRId64 "\"%s}",
			     p->lo64, p->hi64, limit, p->at,
			     p->filter ? p->filter : "") < 0) {
			req = NULL;
			ret = -ENOMEM;
			break;
		}
		ret = range(p->e, req, &r, err);
		free(req);
		req = NULL;
		if (ret == -E2BIG && limit > 1) {
			limit /= 2;
			continue;
		}
		if (ret)
			break;
		if (!p->at)
			p->at = r.revision;
		if (!p->seen)
			p->count = r.count;
		for (i = 0; i < r.n_kvs && !ret; i++) {
			sample(p, &r.kvs[i]);
			p->seen++;
			ret = p->cb(&r.kvs[i], p->arg);
		}
		if (ret || !r.more)
			break;
		if (!r.n_kvs) {
			ret = -EBADMSG;
			xg_err_set(err, "etcd /v3/kv/range",
				   "\"more\" with no keys");
			break;
		}
		/* The next page starts right after the last key: key + "\0". */
		last = &r.kvs[r.n_kvs - 1];
		free(p->lo64);
		p->lo64 = malloc(xg_etcd_b64_enc_len(last->key_len + 1) + 1);
		if (!p->lo64) {
			ret = -ENOMEM;
			break;
		}
		xg_etcd_b64_encode(last->key, last->key_len + 1, p->lo64);
		xg_etcd_range_free(&r);
	}
	xg_etcd_range_free(&r);
	return ret;
}

static void *part_thread(void *arg)
{
	struct part *p = arg;

	p->ret = range_pages(p);
	if (p->ret && p->abort)
		*p->abort = 1;
	return NULL;
}

int xg_etcd_range_prefix(struct xg_etcd *e, const char *prefix,
			 xg_etcd_kv_cb cb, void *arg, int64_t *rev,
			 struct xg_err *err)
{
	return xg_etcd_range_prefix_split(e, prefix, NULL, cb, arg, rev, err);
}

int xg_etcd_range_span(struct xg_etcd *e, const void *lo, size_t lo_len,
		       const void *hi, size_t hi_len,
		       const struct xg_etcd_range_opts *o, xg_etcd_kv_cb cb,
		       void *arg, int64_t *rev, struct xg_err *err)
{
	struct part p = { .e = e, .cb = cb, .arg = arg };
	char filter[96];
	struct xg_err tmp;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || !lo || !hi || !cb || !o || o->revision < 0 ||
	    o->min_mod_revision < 0) {
		xg_err_set(err, "etcd range", "invalid arguments");
		return -EINVAL;
	}
	snprintf(filter, sizeof(filter), "%s,\"min_mod_revision\":\"%" PRId64 "\"",
		 o->keys_only ? ",\"keys_only\":true" : "", o->min_mod_revision);
	p.filter = filter;
	p.at = o->revision;
	p.lo64 = b64(lo, lo_len);
	p.hi64 = b64(hi, hi_len);
	if (!p.lo64 || !p.hi64)
		ret = -ENOMEM;
	else
		ret = range_pages(&p);
	if (ret && p.err.msg[0])
		*err = p.err;
	else if (ret)
		xg_err_set(err, "etcd range", "out of memory");
	if (!ret && rev)
		*rev = p.at;
	free(p.lo64);
	free(p.hi64);
	for (int k = 0; k < p.n_samples; k++)
		free(p.sample[k]);
	return ret;
}

int xg_etcd_count(struct xg_etcd *e, const void *lo, size_t lo_len,
		  const void *hi, size_t hi_len, int64_t revision,
		  int64_t *count, int64_t *rev, struct xg_err *err)
{
	char *lo64 = b64(lo, lo_len), *hi64 = b64(hi, hi_len), *req = NULL;
	struct xg_etcd_range r;
	struct xg_err tmp;
	int ret = -ENOMEM;

	if (!err)
		err = &tmp;
	if (!lo64 || !hi64 ||
	    asprintf(&req,
		     "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true,"
		     "\"revision\":\"%" PRId64 "\"}",
		     lo64, hi64, revision) < 0) {
		req = NULL;
		xg_err_set(err, "etcd range", "out of memory");
		goto out;
	}
	ret = range(e, req, &r, err);
	if (!ret) {
		*count = r.count;
		if (rev)
			*rev = r.revision;
		xg_etcd_range_free(&r);
	}
out:
	free(req);
	free(lo64);
	free(hi64);
	return ret;
}

void xg_etcd_splits_free(struct xg_etcd_splits *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->key[i]);
	memset(sp, 0, sizeof(*sp));
}

/* Hints from an earlier read are used only if they still cut prefix's
 * range in order; anything else reads it in one part. */
static size_t usable_splits(const struct xg_etcd_splits *sp, const char *prefix)
{
	size_t pl = strlen(prefix);

	if (!sp || !sp->n || sp->n >= XG_ETCD_RANGE_PARTS)
		return 0;
	for (size_t i = 0; i < sp->n; i++)
		if (!sp->key[i] || strncmp(sp->key[i], prefix, pl) ||
		    !sp->key[i][pl] ||
		    (i && strcmp(sp->key[i - 1], sp->key[i]) >= 0))
			return 0;
	return sp->n;
}

/* The samples nearest to even cuts of the whole become the next hints. */
static void make_splits(struct part *parts, size_t n, struct xg_etcd_splits *sp)
{
	int64_t total = 0, base = 0;
	const char *best[XG_ETCD_RANGE_PARTS - 1] = {0};
	int64_t dist[XG_ETCD_RANGE_PARTS - 1];
	size_t i, j;
	int k;

	for (i = 0; i < n; i++)
		total += parts[i].seen;
	for (j = 0; j + 1 < XG_ETCD_RANGE_PARTS; j++)
		dist[j] = INT64_MAX;
	for (i = 0; i < n; base += parts[i].seen, i++)
		for (k = 0; k < parts[i].n_samples; k++)
			for (j = 0; j + 1 < XG_ETCD_RANGE_PARTS; j++) {
				int64_t want = total * (int64_t)(j + 1) /
					       XG_ETCD_RANGE_PARTS;
				int64_t d = base + parts[i].sample_pos[k] - want;

				d = d < 0 ? -d : d;
				if (d < dist[j]) {
					dist[j] = d;
					best[j] = parts[i].sample[k];
				}
			}
	xg_etcd_splits_free(sp);
	for (j = 0; j + 1 < XG_ETCD_RANGE_PARTS; j++) {
		/* in order, each once: a small prefix has fewer cuts */
		if (!best[j] || (sp->n && strcmp(sp->key[sp->n - 1], best[j]) >= 0))
			continue;
		sp->key[sp->n] = strdup(best[j]);
		if (!sp->key[sp->n])
			break;
		sp->n++;
	}
}

int xg_etcd_range_prefix_split(struct xg_etcd *e, const char *prefix,
			       struct xg_etcd_splits *sp, xg_etcd_kv_cb cb,
			       void *arg, int64_t *rev, struct xg_err *err)
{
	struct part parts[XG_ETCD_RANGE_PARTS] = {0};
	pthread_t thr[XG_ETCD_RANGE_PARTS];
	bool started[XG_ETCD_RANGE_PARTS] = {0};
	char *key64 = NULL, *end64 = NULL, *req = NULL;
	volatile int abort_all = 0;
	size_t n, i;
	int64_t at = 0;
	struct xg_err tmp;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || !prefix || !cb) {
		xg_err_set(err, "etcd range", "invalid arguments");
		return -EINVAL;
	}
	ret = prefix_range(prefix, &key64, &end64);
	if (ret)
		return ret;
	n = usable_splits(sp, prefix) + 1;
	if (n > 1) {
		/* Every part reads at one revision: today's, from a count. */
		struct xg_etcd_range r;

		if (asprintf(&req,
			     "{\"key\":\"%s\",\"range_end\":\"%s\",\"count_only\":true}",
			     key64, end64) < 0) {
			req = NULL;
			ret = -ENOMEM;
			goto out;
		}
		ret = range(e, req, &r, err);
		free(req);
		if (ret)
			goto out;
		at = r.revision;
		xg_etcd_range_free(&r);
	}
	for (i = 0; i < n; i++) {
		struct part *p = &parts[i];

		p->e = e;
		p->at = at;
		p->cb = cb;
		p->arg = arg;
		p->abort = n > 1 ? &abort_all : NULL;
		p->lo64 = i ? b64(sp->key[i - 1], strlen(sp->key[i - 1])) :
			      strdup(key64);
		p->hi64 = i + 1 < n ? b64(sp->key[i], strlen(sp->key[i])) :
				      strdup(end64);
		if (!p->lo64 || !p->hi64) {
			ret = -ENOMEM;
			goto out;
		}
	}
	/* Every part but the first on a connection and thread of its own:
	 * etcd's JSON gateway serialises one request on one core, so a
	 * resync of a big prefix goes as fast as the cores allow. */
	for (i = 1; i < n; i++) {
		struct xg_etcd_cfg cfg = {
			.endpoints = (const char *const *)e->ep,
			.n_endpoints = e->n_ep,
			.timeout_ms = e->timeout_ms,
			.page_size = e->page,
		};

		ret = xg_etcd_open(&cfg, &parts[i].e, err);
		if (ret)
			goto join;
		ret = -pthread_create(&thr[i], NULL, part_thread, &parts[i]);
		if (ret) {
			xg_err_set(err, "etcd range", "cannot start a thread");
			goto join;
		}
		started[i] = true;
	}
	parts[0].ret = range_pages(&parts[0]);
	if (parts[0].ret)
		abort_all = 1;
join:
	if (ret)
		abort_all = 1;
	for (i = 1; i < n; i++)
		if (started[i])
			pthread_join(thr[i], NULL);
	if (!ret) {
		/* the first failure, in key order, is the one reported */
		for (i = 0; i < n && !ret; i++) {
			if (parts[i].ret && parts[i].ret != -ECANCELED) {
				ret = parts[i].ret;
				*err = parts[i].err;
			}
		}
		for (i = 0; i < n && !ret; i++) {
			if (parts[i].ret) {
				ret = parts[i].ret;
				*err = parts[i].err;
			}
		}
	}
	if (!ret) {
		at = parts[0].at;
		if (sp)
			make_splits(parts, n, sp);
	}
out:
	for (i = 0; i < n; i++) {
		if (i && parts[i].e)
			xg_etcd_close(parts[i].e);
		free(parts[i].lo64);
		free(parts[i].hi64);
		for (int k = 0; k < parts[i].n_samples; k++)
			free(parts[i].sample[k]);
	}
	free(key64);
	free(end64);
	if (!ret && rev)
		*rev = at;
	return ret;
}

int xg_etcd_get(struct xg_etcd *e, const char *key, char **val, size_t *len,
		int64_t *mod_rev, struct xg_err *err)
{
	struct xg_etcd_range r;
	struct xg_err tmp;
	char *k, *req;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || !key || !key[0] || !val) {
		xg_err_set(err, "etcd get", "invalid arguments");
		return -EINVAL;
	}
	*val = NULL;
	k = b64(key, strlen(key));
	if (!k || asprintf(&req, "{\"key\":\"%s\"}", k) < 0) {
		free(k);
		return -ENOMEM;
	}
	ret = range(e, req, &r, err);
	free(req);
	free(k);
	if (ret)
		return ret;
	if (!r.n_kvs) {
		xg_err_set(err, key, "not found");
		ret = -ENOENT;
	} else {
		*val = r.kvs[0].val;
		r.kvs[0].val = NULL;
		if (len)
			*len = r.kvs[0].val_len;
		if (mod_rev)
			*mod_rev = r.kvs[0].mod_revision;
	}
	xg_etcd_range_free(&r);
	return ret;
}

int xg_etcd_create(struct xg_etcd *e, const char *key, const void *val,
		   size_t len, char **existing, size_t *existing_len,
		   struct xg_err *err)
{
	char *k = NULL, *v = NULL, *req = NULL;
	struct xg_etcd_txn t = {0};
	struct body b = {0};
	struct xg_err tmp;
	int ret;

	if (!err)
		err = &tmp;
	if (existing)
		*existing = NULL;
	if (!e || !key || !key[0] || (!val && len)) {
		xg_err_set(err, "etcd create", "invalid arguments");
		return -EINVAL;
	}
	k = b64(key, strlen(key));
	v = b64(val, len);
	/* create_revision == 0: the key does not exist.  The failure branch
	 * reads the key in the same transaction, so the winner's value comes
	 * back with the "no". */
	if (!k || !v ||
	    asprintf(&req,
		     "{\"compare\":[{\"key\":\"%s\",\"target\":\"CREATE\","
		     "\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
		     "\"success\":[{\"request_put\":{\"key\":\"%s\","
		     "\"value\":\"%s\"}}],"
		     "\"failure\":[{\"request_range\":{\"key\":\"%s\"}}]}",
		     k, k, v, k) < 0) {
		req = NULL;
		ret = -ENOMEM;
		goto out;
	}
	ret = call(e, "/v3/kv/txn", req, &b, err);
	if (ret)
		goto out;
	ret = xg_etcd_decode_txn(b.p, b.len, &t, err);
	if (ret) {
		in_answer(err, "/v3/kv/txn");
		goto out;
	}
	if (t.succeeded) {
		ret = 1;
		goto out;
	}
	if (!t.range.n_kvs) {
		xg_err_set(err, "etcd /v3/kv/txn",
			   "compare failed but the key was not there");
		ret = -EBADMSG;
		goto out;
	}
	if (existing) {
		*existing = t.range.kvs[0].val;
		t.range.kvs[0].val = NULL;
	}
	if (existing_len)
		*existing_len = t.range.kvs[0].val_len;
	ret = 0;
out:
	xg_etcd_txn_free(&t);
	free(b.p);
	free(req);
	free(v);
	free(k);
	return ret;
}

int xg_etcd_create_all(struct xg_etcd *e, const char *const *keys,
		       const char *const *vals, size_t n, struct xg_err *err)
{
	struct xg_etcd_txn t = {0};
	struct body b = {0};
	struct xg_err tmp;
	char *req = NULL;
	size_t req_len;
	FILE *f;
	int ret = -ENOMEM;

	if (!err)
		err = &tmp;
	if (!e || !keys || !vals || !n || n > XG_ETCD_TXN_OPS) {
		xg_err_set(err, "etcd create", "invalid arguments");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!keys[i] || !keys[i][0] || !vals[i]) {
			xg_err_set(err, "etcd create", "invalid arguments");
			return -EINVAL;
		}
	f = open_memstream(&req, &req_len);
	if (!f)
		goto nomem;
	/* every key absent (create_revision 0), then every put */
	fputs("{\"compare\":[", f);
	for (size_t i = 0; i < n; i++) {
		char *k = b64(keys[i], strlen(keys[i]));

		if (!k)
			goto nomem_f;
		fprintf(f, "%s{\"key\":\"%s\",\"target\":\"CREATE\","
			   "\"result\":\"EQUAL\",\"create_revision\":\"0\"}",
			i ? "," : "", k);
		free(k);
	}
	fputs("],\"success\":[", f);
	for (size_t i = 0; i < n; i++) {
		char *k = b64(keys[i], strlen(keys[i]));
		char *v = b64(vals[i], strlen(vals[i]));

		if (!k || !v) {
			free(k);
			free(v);
			goto nomem_f;
		}
		fprintf(f, "%s{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}",
			i ? "," : "", k, v);
		free(k);
		free(v);
	}
	fputs("]}", f);
	if (fclose(f))
		goto nomem;
	ret = call(e, "/v3/kv/txn", req, &b, err);
	if (!ret) {
		ret = xg_etcd_decode_txn(b.p, b.len, &t, err);
		if (ret)
			in_answer(err, "/v3/kv/txn");
		else
			ret = t.succeeded ? 1 : 0;
	}
	xg_etcd_txn_free(&t);
	free(b.p);
	free(req);
	return ret;
nomem_f:
	fclose(f);
nomem:
	free(req);
	xg_err_set(err, "etcd create", "out of memory");
	return -ENOMEM;
}

/* A lease call with {"ID"} or {"TTL"} as its body. */
static int lease_call(struct xg_etcd *e, const char *api, const char *field,
		      int64_t n, int64_t *id, int64_t *ttl, struct xg_err *err)
{
	struct body b = {0};
	int64_t rev;
	char *req;
	int ret;

	if (asprintf(&req, "{\"%s\":\"%" PRId64 "\"}", field, n) < 0)
		return -ENOMEM;
	ret = call(e, api, req, &b, err);
	free(req);
	if (!ret) {
		ret = id ? xg_etcd_decode_lease(b.p, b.len, id, ttl, err)
			 : xg_etcd_decode_header(b.p, b.len, &rev, err);
		if (ret)
			in_answer(err, api);
	}
	free(b.p);
	return ret;
}

int xg_etcd_lease_grant(struct xg_etcd *e, int ttl_s, int64_t *lease,
			struct xg_err *err)
{
	struct xg_err tmp;
	int64_t id, ttl;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || ttl_s <= 0 || !lease) {
		xg_err_set(err, "etcd lease grant", "invalid arguments");
		return -EINVAL;
	}
	ret = lease_call(e, "/v3/lease/grant", "TTL", ttl_s, &id, &ttl, err);
	if (!ret)
		*lease = id;
	return ret;
}

int xg_etcd_lease_keepalive(struct xg_etcd *e, int64_t lease,
			    struct xg_err *err)
{
	struct xg_err tmp;
	int64_t id, ttl;
	int ret;

	if (!err)
		err = &tmp;
	if (!e || lease <= 0) {
		xg_err_set(err, "etcd lease keepalive", "invalid arguments");
		return -EINVAL;
	}
	ret = lease_call(e, "/v3/lease/keepalive", "ID", lease, &id, &ttl, err);
	/* etcd answers an unknown lease with TTL 0 rather than an error. */
	if (!ret && ttl <= 0) {
		xg_err_set(err, "etcd lease keepalive",
			   "lease %" PRId64 " expired", lease);
		ret = -ENOENT;
	}
	return ret;
}

int xg_etcd_lease_revoke(struct xg_etcd *e, int64_t lease, struct xg_err *err)
{
	struct xg_err tmp;

	if (!err)
		err = &tmp;
	if (!e || lease <= 0) {
		xg_err_set(err, "etcd lease revoke", "invalid arguments");
		return -EINVAL;
	}
	return lease_call(e, "/v3/lease/revoke", "ID", lease, NULL, NULL, err);
}

/* Watch */

struct watch {
	struct xg_etcd *e;
	const struct xg_etcd_watch_ops *ops;
	void *arg;
	const char *ep;
	CURL *c;
	char errbuf[CURL_ERROR_SIZE];
	struct xg_etcd_lines lines;
	long status;
	int64_t last_rev; /* every event up to here has been delivered */
	bool from_now;	  /* start_rev 0 and no watch established yet */
	bool created;	  /* this stream's watch is established */
	bool end;	  /* this stream is done with: why says why */
	bool final;	  /* and so is the watch: it returns result */
	int result;
	uint64_t last_data_ms;
	struct xg_err why;
};

/* What retrying cannot mend. */
static bool permanent(int ret)
{
	return ret == -EINVAL || ret == -EPERM || ret == -EACCES ||
	       ret == -EOPNOTSUPP || ret == -ENOMEM || ret == -EPROTO;
}

static void watch_end(struct watch *w, int result)
{
	w->end = true;
	if (result && permanent(result)) {
		w->final = true;
		w->result = result;
	}
}

static void watch_final(struct watch *w, int result)
{
	w->end = w->final = true;
	w->result = result;
}

static int on_msg(struct watch *w, const struct xg_etcd_watch_msg *m)
{
	const struct xg_etcd_event *ev;
	int64_t seen = w->last_rev;
	size_t i;
	int ret;

	if (m->canceled && m->compact_revision > 0) {
		xg_err_set(&w->why, w->ep,
			   "revision %" PRId64 " compacted; oldest is %" PRId64,
			   w->last_rev + 1, m->compact_revision);
		watch_final(w, XG_ETCD_COMPACTED);
		return 1;
	}
	if (m->canceled) {
		xg_err_set(&w->why, w->ep, "watch canceled by etcd%s%s",
			   m->cancel_reason[0] ? ": " : "", m->cancel_reason);
		watch_end(w, 0);
		return 1;
	}
	if (m->created && !w->created) {
		if (w->from_now && m->revision <= 0) {
			xg_err_set(&w->why, w->ep,
				   "watch created with no revision");
			watch_end(w, 0);
			return 1;
		}
		w->created = true;
		/* "From now on" is now a revision to resume after. */
		if (w->from_now) {
			w->last_rev = seen = m->revision;
			w->from_now = false;
		}
		if (w->ops->on_state)
			w->ops->on_state(XG_ETCD_CONNECTED, w->ep, NULL,
					 w->arg);
	}
	/* A resumed watch may be sent again what we had: skip it.  Events of
	 * one revision always come in one message, so "seen" is per message. */
	for (i = 0; i < m->n_events; i++) {
		ev = &m->events[i];
		if (ev->kv.mod_revision <= seen)
			continue;
		if (ev->kv.mod_revision > w->last_rev)
			w->last_rev = ev->kv.mod_revision;
		ret = w->ops->on_event(ev, w->arg);
		if (ret) {
			xg_err_set(&w->why, w->ep, "stopped by on_event (%d)",
				   ret);
			watch_final(w, ret);
			return 1;
		}
	}
	/* Progress: every event up to its revision has been sent. */
	if (xg_etcd_watch_msg_is_progress(m)) {
		if (m->revision > w->last_rev && !w->from_now)
			w->last_rev = m->revision;
		if (w->ops->on_progress)
			w->ops->on_progress(w->last_rev, w->arg);
	}
	return 0;
}

static int on_line(const char *line, size_t len, void *arg)
{
	struct watch *w = arg;
	struct xg_etcd_watch_msg m;
	int ret;

	ret = xg_etcd_decode_watch(line, len, &m, &w->why);
	if (ret == -EBADMSG && w->status != 200) {
		ret = http_error(w->ep, "/v3/watch", w->status, line, len,
				 &w->why);
	} else if (ret == -EBADMSG) {
		in_answer(&w->why, "/v3/watch");
		pr_warn("etcd: %s: %s: %s\n", w->ep, w->why.where, w->why.msg);
	}
	if (ret) {
		watch_end(w, ret);
		return 1;
	}
	ret = on_msg(w, &m);
	xg_etcd_watch_msg_free(&m);
	return ret;
}

static size_t watch_write(char *data, size_t size, size_t n, void *arg)
{
	struct watch *w = arg;
	int ret;

	w->last_data_ms = now_ms();
	if (!w->status)
		curl_easy_getinfo(w->c, CURLINFO_RESPONSE_CODE, &w->status);
	ret = xg_etcd_lines_feed(&w->lines, data, size * n, on_line, w);
	if (ret < 0) {
		xg_err_set(&w->why, w->ep, "watch message: %s", strerror(-ret));
		watch_end(w, 0);
	}
	/* Short of the full size: curl ends the transfer. */
	return w->end ? 0 : size * n;
}

static int watch_setup(struct watch *w, size_t ep, const char *req)
{
	struct xg_etcd *e = w->e;
	char *url;

	if (asprintf(&url, "%s/v3/watch", e->ep[ep]) < 0)
		return -ENOMEM;
	w->c = curl_easy_init();
	if (!w->c) {
		free(url);
		return -ENOMEM;
	}
	common_opts(e, w->c, w->errbuf);
	curl_easy_setopt(w->c, CURLOPT_URL, url);
	/* curl copies it: url is ours to free now. */
	free(url);
	curl_easy_setopt(w->c, CURLOPT_COPYPOSTFIELDS, req);
	curl_easy_setopt(w->c, CURLOPT_HTTPHEADER, e->watch_hdrs);
	curl_easy_setopt(w->c, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(w->c, CURLOPT_WRITEDATA, w);
	return 0;
}

/* One stream, until it ends or *stop. */
static int watch_once(struct watch *w, size_t ep, const char *key64,
		      const char *end64, volatile int *stop)
{
	struct xg_etcd *e = w->e;
	CURLM *m = NULL;
	CURLcode rc = CURLE_OK;
	CURLMcode mc;
	bool was_created;
	uint64_t t0, now;
	char *req = NULL;
	CURLMsg *msg;
	int running, q, ret;

	w->ep = e->ep[ep];
	w->created = w->end = false;
	w->status = 0;
	w->errbuf[0] = '\0';
	memset(&w->why, 0, sizeof(w->why));
	xg_etcd_lines_reset(&w->lines);
	if (asprintf(&req,
		     "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\","
		     "\"start_revision\":\"%" PRId64
		     "\",\"progress_notify\":true}}",
		     key64, end64, w->from_now ? 0 : w->last_rev + 1) < 0)
		return -ENOMEM;
	ret = watch_setup(w, ep, req);
	free(req);
	if (ret)
		return ret;
	m = curl_multi_init();
	if (!m || curl_multi_add_handle(m, w->c) != CURLM_OK) {
		ret = -ENOMEM;
		goto out;
	}
	t0 = w->last_data_ms = now_ms();
	for (;;) {
		mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			xg_err_set(&w->why, w->ep, "%s",
				   curl_multi_strerror(mc));
			break;
		}
		if (w->end)
			break;
		if (!running) {
			while ((msg = curl_multi_info_read(m, &q)))
				if (msg->msg == CURLMSG_DONE)
					rc = msg->data.result;
			/* A clean end may leave an error object with no
			 * newline behind; a broken one only half a message. */
			if (rc == CURLE_OK)
				xg_etcd_lines_flush(&w->lines, on_line, w);
			if (w->end)
				break;
			if (rc == CURLE_OK)
				xg_err_set(&w->why, w->ep,
					   "watch stream ended");
			else
				xg_err_set(&w->why, w->ep, "%s",
					   w->errbuf[0]
						   ? w->errbuf
						   : curl_easy_strerror(rc));
			break;
		}
		if (*stop)
			break;
		now = now_ms();
		if (!w->created && now - t0 > (uint64_t)e->timeout_ms) {
			xg_err_set(&w->why, w->ep,
				   "no watch created within %d ms",
				   e->timeout_ms);
			break;
		}
		if (w->created && e->watch_idle_ms &&
		    now - w->last_data_ms > (uint64_t)e->watch_idle_ms) {
			xg_err_set(&w->why, w->ep, "watch silent for %d ms",
				   e->watch_idle_ms);
			break;
		}
		mc = curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
		if (mc != CURLM_OK) {
			xg_err_set(&w->why, w->ep, "%s",
				   curl_multi_strerror(mc));
			break;
		}
	}
	ret = 0;
out:
	was_created = w->created;
	if (m) {
		curl_multi_remove_handle(m, w->c);
		curl_multi_cleanup(m);
	}
	curl_easy_cleanup(w->c);
	w->c = NULL;
	if (was_created && w->ops->on_state)
		w->ops->on_state(XG_ETCD_DISCONNECTED, w->ep,
				 w->why.msg[0] ? &w->why : NULL, w->arg);
	return ret;
}

/* Sleeps ms, or less if *stop: 1 when stopped. */
static int nap(unsigned ms, volatile int *stop)
{
	uint64_t end = now_ms() + ms;
	struct timespec ts;
	uint64_t now;

	while (!*stop && (now = now_ms()) < end) {
		uint64_t d = end - now < POLL_MS ? end - now : POLL_MS;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)d * 1000000;
		nanosleep(&ts, NULL);
	}
	return *stop != 0;
}

int xg_etcd_watch(struct xg_etcd *e, const char *prefix, int64_t start_rev,
		  const struct xg_etcd_watch_ops *ops, void *arg,
		  volatile int *stop)
{
	unsigned backoff = BACKOFF_MIN_MS, seed, delay;
	char *key64 = NULL, *end64 = NULL;
	struct watch w;
	bool quiet = false;
	size_t ep;
	int ret;

	if (!e || !prefix || start_rev < 0 || !ops || !ops->on_event || !stop)
		return -EINVAL;
	ret = prefix_range(prefix, &key64, &end64);
	if (ret)
		return ret;
	memset(&w, 0, sizeof(w));
	w.e = e;
	w.ops = ops;
	w.arg = arg;
	w.from_now = !start_rev;
	w.last_rev = start_rev ? start_rev - 1 : 0;
	xg_etcd_lines_init(&w.lines, XG_ETCD_LINE_MAX);
	seed = (unsigned)now_ms() ^ (unsigned)getpid() ^
	       (unsigned)(uintptr_t)&w;
	pthread_mutex_lock(&e->lock);
	ep = e->cur;
	pthread_mutex_unlock(&e->lock);

	while (!*stop) {
		ret = watch_once(&w, ep, key64, end64, stop);
		if (ret)
			break;
		if (w.final) {
			ret = w.result;
			break;
		}
		if (*stop)
			break;
		/* A stream that worked earns a quick retry; a string of
		 * failures, a slower one and one log line. */
		if (w.created) {
			backoff = BACKOFF_MIN_MS;
			quiet = false;
		}
		if (!quiet)
			pr_warn("etcd: watch %s: %s; reconnecting\n",
				w.why.where, w.why.msg);
		else
			pr_debug("etcd: watch %s: %s\n", w.why.where,
				 w.why.msg);
		quiet = true;
		ep = (ep + 1) % e->n_ep;
		/* Jitter, so a fleet that lost etcd together does not come
		 * back in one wave. */
		delay = backoff / 2 +
			(unsigned)rand_r(&seed) % (backoff / 2 + 1);
		if (nap(delay, stop))
			break;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
						       : backoff * 2;
	}
	xg_etcd_lines_free(&w.lines);
	free(key64);
	free(end64);
	return ret;
}

/* Handle */

void xg_etcd_close(struct xg_etcd *e)
{
	size_t i;

	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->hdrs);
	curl_slist_free_all(e->watch_hdrs);
	for (i = 0; e->ep && i < e->n_ep; i++)
		free(e->ep[i]);
	free(e->ep);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static struct curl_slist *headers(bool watch)
{
	/* No "Expect: 100-continue" round trip before large bodies. */
	static const char *const h[] = {"Content-Type: application/json",
					"Expect:"};
	struct curl_slist *l = NULL, *n;
	size_t i;

	for (i = 0; i < 2 + (size_t)watch; i++) {
		/* A watch on a member cut off from its leader would hang
		 * there silently; with this etcd ends it, and we fail
		 * over. */
		n = curl_slist_append(
			l, i < 2 ? h[i] : "Grpc-Metadata-Hasleader: true");
		if (!n) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = n;
	}
	return l;
}

int xg_etcd_open(const struct xg_etcd_cfg *cfg, struct xg_etcd **out,
		 struct xg_err *err)
{
	struct xg_etcd *e;
	struct xg_err tmp;
	size_t i, n;

	if (!err)
		err = &tmp;
	if (out)
		*out = NULL;
	if (!out || !cfg || !cfg->endpoints || !cfg->n_endpoints) {
		xg_err_set(err, "etcd", "no endpoints");
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_endpoints; i++) {
		if (!cfg->endpoints[i] || !cfg->endpoints[i][0]) {
			xg_err_set(err, "etcd", "endpoint %zu is empty", i);
			return -EINVAL;
		}
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		xg_err_set(err, "etcd", "curl_global_init: %s",
			   curl_easy_strerror(curl_init_rc));
		return -EIO;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	e->timeout_ms =
		cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	e->watch_idle_ms = cfg->watch_idle_ms > 0 ? cfg->watch_idle_ms : 0;
	e->page = cfg->page_size ? cfg->page_size : XG_ETCD_PAGE;
	e->ep = calloc(cfg->n_endpoints, sizeof(*e->ep));
	if (!e->ep)
		goto nomem;
	for (i = 0; i < cfg->n_endpoints; i++) {
		e->ep[i] = strdup(cfg->endpoints[i]);
		if (!e->ep[i])
			goto nomem;
		e->n_ep++;
		/* We append "/v3/...". */
		n = strlen(e->ep[i]);
		while (n > 1 && e->ep[i][n - 1] == '/')
			e->ep[i][--n] = '\0';
	}
	e->hdrs = headers(false);
	e->watch_hdrs = headers(true);
	e->curl = curl_easy_init();
	if (!e->hdrs || !e->watch_hdrs || !e->curl)
		goto nomem;
	common_opts(e, e->curl, e->errbuf);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->hdrs);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, body_write);
	*out = e;
	return 0;
nomem:
	xg_etcd_close(e);
	xg_err_set(err, "etcd", "out of memory");
	return -ENOMEM;
}
