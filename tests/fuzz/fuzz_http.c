// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for fastpath/http/: the input is the client->server
 * byte stream of one connection.  It is judged as a worker does, request
 * after request: head, normalise, follow the body, next head.  Beyond "no
 * sanitizer report": every head, normalised target and body holds what
 * the headers promise (checked against the bytes, not against the
 * parser's own notes), a normalised path normalises to itself, and the
 * whole story (each request's answers and offsets, where it stopped) is
 * the same whether the stream arrives at once, a byte at a time, or in
 * pieces whose sizes come from the input.  All of it twice: with the
 * default limits and with small ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastpath/http/http_body.h"
#include "fastpath/http/http_norm.h"
#include "fastpath/http/http_parse.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/* Requests followed per input: bounds a trace. */
#define MAX_REQS 256

/* What became of one request. */
struct ev {
	size_t off; /* where its head starts in the stream */
	int head_rc;
	const char *head_why;
	size_t head_len, method_off, method_n, target_off, target_n;
	size_t n_hdrs;
	int minor, host, body_kind;
	unsigned long long cl;
	int norm_rc;
	const char *norm_why;
	int form;
	size_t path_n, query, host_n;
	uint64_t path_hash, host_hash;
	int body_rc; /* XG_HTTP_MORE if the stream ended in it */
	const char *body_why;
	size_t body_end; /* where it ended, or where it was refused */
};

struct trace {
	size_t n;	/* whole entries of ev */
	int tail;	/* 0: stopped on a refusal or MAX_REQS */
	size_t tail_at; /* 1: a head not whole at ..., 2: a body */
	struct ev ev[MAX_REQS + 1];
};

static struct trace one, other;

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ull;

	while (n--)
		h = (h ^ *s++) * 1099511628211ull;
	return h;
}

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const struct xg_http_str *s, const char *name)
{
	size_t i, n = strlen(name);

	if (s->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lc((unsigned char)s->p[i]) != lc((unsigned char)name[i]))
			return 0;
	return 1;
}

static int within(const struct xg_http_str *s, const uint8_t *h, size_t n)
{
	return (const uint8_t *)s->p >= h &&
	       (const uint8_t *)s->p + s->n <= h + n;
}

/* A head the parser took, checked against its bytes. */
static void check_head(const uint8_t *h, size_t len,
		       const struct xg_http_limits *lim,
		       const struct xg_http_req *r)
{
	size_t i, k, n = r->head_len, n_host = 0, n_te = 0, n_cl = 0;
	size_t max_hdrs =
		lim->max_headers ? lim->max_headers : XG_HTTP_MAX_HEADERS;
	struct xg_http_req again;
	size_t scan = 0;

	CHECK(!r->why);
	CHECK(n >= 4 && n <= len && n <= (lim->max_head ?: XG_HTTP_MAX_HEAD));
	CHECK(!memcmp(h + n - 4, "\r\n\r\n", 4));
	for (i = 0; i < n; i++) {
		CHECK(h[i]);
		if (h[i] == '\r')
			CHECK(h[i + 1] == '\n');
		if (h[i] == '\n')
			CHECK(i && h[i - 1] == '\r');
	}

	CHECK(r->method.n && within(&r->method, h, n));
	for (i = 0; i < r->method.n; i++)
		CHECK(xg_http_tchar((unsigned char)r->method.p[i]));
	CHECK(r->target.n && within(&r->target, h, n));
	for (i = 0; i < r->target.n; i++) {
		unsigned char c = (unsigned char)r->target.p[i];

		CHECK(c > 0x20 && c < 0x7f && c != '#' && c != '\\');
	}
	CHECK(r->minor == 0 || r->minor == 1);

	CHECK(r->n_hdrs <= max_hdrs);
	for (k = 0; k < r->n_hdrs; k++) {
		const struct xg_http_hdr *f = &r->hdrs[k];

		CHECK(f->name.n && within(&f->name, h, n));
		CHECK(within(&f->value, h, n));
		for (i = 0; i < f->name.n; i++)
			CHECK(xg_http_tchar((unsigned char)f->name.p[i]));
		for (i = 0; i < f->value.n; i++)
			CHECK(xg_http_fvchar((unsigned char)f->value.p[i]));
		if (f->value.n) {
			CHECK(f->value.p[0] != ' ' && f->value.p[0] != '\t');
			CHECK(f->value.p[f->value.n - 1] != ' ' &&
			      f->value.p[f->value.n - 1] != '\t');
		}
		CHECK(xg_http_find(r, "x-no-such-field") == NULL);
		if (ieq(&f->name, "host")) {
			n_host++;
			CHECK(r->host == (int)k);
			CHECK(!xg_http_authority_check(f->value.p, f->value.n,
						       0));
		}
		n_te += ieq(&f->name, "transfer-encoding");
		n_cl += ieq(&f->name, "content-length");
	}
	CHECK(n_host <= 1);
	CHECK(n_host || (!r->minor && r->host == -1));
	if (n_host)
		CHECK(xg_http_find(r, "HOST") == &r->hdrs[r->host]);

	switch (r->body) {
	case XG_HTTP_BODY_CHUNKED:
		CHECK(r->minor == 1 && n_te == 1 && !n_cl);
		CHECK(ieq(&xg_http_find(r, "transfer-encoding")->value,
			  "chunked"));
		break;
	case XG_HTTP_BODY_LENGTH:
		CHECK(!n_te && n_cl);
		CHECK(r->content_length < (1ull << 63));
		break;
	default:
		CHECK(!n_te && !n_cl);
		break;
	}

	/* The head alone says the same. */
	CHECK(xg_http_parse_head(h, n, lim, &again, &scan) == XG_HTTP_OK);
	CHECK(again.head_len == n && again.n_hdrs == r->n_hdrs);
	CHECK(again.body == r->body && again.host == r->host);
}

/* A normalised target, checked against what it must look like. */
static void check_norm(const struct xg_http_req *r,
		       const struct xg_http_norm *nm)
{
	size_t i;

	CHECK(nm->path_n < sizeof(nm->path) && !nm->path[nm->path_n]);
	CHECK(nm->host_n < sizeof(nm->host) && !nm->host[nm->host_n]);
	CHECK(nm->query <= nm->path_n);
	CHECK(nm->query == nm->path_n || nm->path[nm->query] == '?');
	CHECK(strlen(nm->path) == nm->path_n);
	CHECK(strlen(nm->host) == nm->host_n);
	for (i = 0; i < nm->host_n; i++)
		CHECK(nm->host[i] < 'A' || nm->host[i] > 'Z');
	if (nm->host_n)
		CHECK(!xg_http_authority_check(nm->host, nm->host_n,
					       nm->form ==
						       XG_HTTP_FORM_AUTHORITY));
	CHECK(nm->host_n || (r->host < 0 && nm->form != XG_HTTP_FORM_ABSOLUTE));

	switch (nm->form) {
	case XG_HTTP_FORM_AUTHORITY:
		CHECK(r->method.n == 7 && !memcmp(r->method.p, "CONNECT", 7));
		CHECK(!nm->path_n && nm->host_n);
		return;
	case XG_HTTP_FORM_ASTERISK:
		CHECK(r->method.n == 7 && !memcmp(r->method.p, "OPTIONS", 7));
		CHECK(!strcmp(nm->path, "*"));
		return;
	default:
		break;
	}

	/* origin- and absolute-form: a path without dot-segments, each
	 * escape upper-case and of a reserved character, then the query. */
	CHECK(nm->path[0] == '/');
	for (i = 0; i < nm->query; i++) {
		char c = nm->path[i];
		size_t e;

		CHECK(c != '?' && c != '#');
		if (c == '%') {
			int hi, lo;

			CHECK(i + 2 < nm->query);
			hi = xg_http_hexval((unsigned char)nm->path[i + 1]);
			lo = xg_http_hexval((unsigned char)nm->path[i + 2]);
			CHECK(hi >= 0 && lo >= 0);
			CHECK(!(nm->path[i + 1] >= 'a' &&
				nm->path[i + 1] <= 'f'));
			CHECK(!(nm->path[i + 2] >= 'a' &&
				nm->path[i + 2] <= 'f'));
			CHECK(!xg_http_unreserved(
				(unsigned char)(hi << 4 | lo)));
		}
		if (c != '/')
			continue;
		for (e = i + 1; e < nm->query && nm->path[e] != '/'; e++)
			;
		CHECK(!(e - i == 2 && nm->path[i + 1] == '.'));
		CHECK(!(e - i == 3 && nm->path[i + 1] == '.' &&
			nm->path[i + 2] == '.'));
	}
}

/* Normalising a normalised path (as an origin-form target) changes
 * nothing. */
static void check_idempotent(const struct xg_http_norm *nm)
{
	static struct xg_http_norm again;
	struct xg_http_req r;
	const char *why = NULL;

	if (nm->form != XG_HTTP_FORM_ORIGIN &&
	    nm->form != XG_HTTP_FORM_ABSOLUTE)
		return;
	memset(&r, 0, sizeof(r));
	r.method.p = "GET";
	r.method.n = 3;
	r.host = -1;
	r.target.p = nm->path;
	r.target.n = nm->path_n;
	CHECK(xg_http_normalise(&r, &again, &why) == 0);
	CHECK(again.path_n == nm->path_n && again.query == nm->query);
	CHECK(!memcmp(again.path, nm->path, nm->path_n));
}

/*
 * The stream d[0..size), given to the parser and the follower as it
 * arrives: the first chunk is d[0..cut(0)), and so on.  step 0: all at
 * once; 1: a byte at a time; else sizes from the PRNG seeded with seed.
 */
static void run(const uint8_t *d, size_t size, const struct xg_http_limits *lim,
		int step, uint64_t seed, int checks, struct trace *t)
{
	static struct xg_http_req r;
	static struct xg_http_norm nm;
	struct xg_http_body b;
	size_t have = 0, off = 0, fed = 0, scan = 0, used;
	int in_body = 0, rc;
	struct ev *e = &t->ev[0];

	t->n = 0;
	t->tail = 0;
	t->tail_at = 0;
	for (;;) {
		size_t k = size - have;

		if (step == 1 && k > 1)
			k = 1;
		if (step > 1) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			k = 1 + ((seed >> 33) % (1u << ((seed >> 20) % 11)));
			if (k > size - have)
				k = size - have;
		}
		have += k;

		for (;;) {
			if (!in_body) {
				rc = xg_http_parse_head(d + off, have - off,
							lim, &r, &scan);
				if (rc == XG_HTTP_MORE) {
					CHECK(!r.why && scan <= have - off);
					break;
				}
				/* Zeroed padding too: traces are compared
				 * with memcmp. */
				memset(e, 0, sizeof(*e));
				e->off = off;
				e->head_rc = rc;
				e->head_why = r.why;
				e->head_len = r.head_len;
				if (rc != XG_HTTP_OK) {
					CHECK(r.why);
					t->n++;
					goto out;
				}
				if (checks)
					check_head(d + off, have - off, lim,
						   &r);
				e->method_off =
					(size_t)((const uint8_t *)r.method.p -
						 d);
				e->method_n = r.method.n;
				e->target_off =
					(size_t)((const uint8_t *)r.target.p -
						 d);
				e->target_n = r.target.n;
				e->n_hdrs = r.n_hdrs;
				e->minor = r.minor;
				e->host = r.host;
				e->body_kind = r.body;
				e->cl = r.content_length;

				e->norm_why = NULL;
				e->norm_rc = xg_http_normalise(&r, &nm,
							       &e->norm_why);
				CHECK(e->norm_rc == 0 ||
				      e->norm_rc == XG_HTTP_BAD);
				CHECK(!e->norm_rc == !e->norm_why);
				if (!e->norm_rc) {
					if (checks) {
						check_norm(&r, &nm);
						check_idempotent(&nm);
					}
					e->form = nm.form;
					e->path_n = nm.path_n;
					e->query = nm.query;
					e->host_n = nm.host_n;
					e->path_hash = fnv(nm.path, nm.path_n);
					e->host_hash = fnv(nm.host, nm.host_n);
				}
				/* A worker would deny here; the framing is
				 * still known, so the next request too. */
				xg_http_body_start(&b, &r);
				fed = off + r.head_len;
				in_body = 1;
			}
			rc = xg_http_body_feed(&b, d + fed, have - fed, &used);
			CHECK(used <= have - fed);
			fed += used;
			if (rc == XG_HTTP_MORE) {
				CHECK(fed == have && !b.why);
				break;
			}
			e->body_rc = rc;
			e->body_why = b.why;
			e->body_end = fed;
			t->n++;
			/* Done is done. */
			CHECK(xg_http_body_feed(&b, d, size ? 1 : 0, &used) ==
				      rc &&
			      !used);
			if (rc != XG_HTTP_OK) {
				CHECK(rc == XG_HTTP_BAD && b.why);
				goto out;
			}
			CHECK(!b.why);
			if (t->n == MAX_REQS)
				goto out;
			e = &t->ev[t->n];
			off = fed;
			scan = 0;
			in_body = 0;
		}
		if (have == size)
			break;
	}
	/* The stream ended in a head or a body. */
	t->tail = in_body ? 2 : 1;
	t->tail_at = in_body ? fed : off;
	if (in_body) {
		e->body_rc = XG_HTTP_MORE;
		t->n++;
	}
out:
	return;
}

static void same(const struct trace *a, const struct trace *b)
{
	CHECK(a->n == b->n);
	CHECK(a->tail == b->tail && a->tail_at == b->tail_at);
	CHECK(!memcmp(a->ev, b->ev, a->n * sizeof(a->ev[0])));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xg_http_limits lims[] = {
		{0, 0},
		{.max_head = 128, .max_headers = 4},
	};
	uint64_t seed = fnv(data, size);
	size_t i;

	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		run(data, size, &lims[i], 0, 0, 1, &one);
		run(data, size, &lims[i], 1, 0, 0, &other);
		same(&one, &other);
		run(data, size, &lims[i], 2, seed, 0, &other);
		same(&one, &other);
	}
	return 0;
}
