// SPDX-License-Identifier: GPL-2.0-only
/*
 * fastpath/http/: the request-head parser, the request-target and host
 * normaliser and the body follower.  Every rule of docs/l7.md ("HTTP
 * parsing and normalisation") is a row below: valid heads and what they
 * say, each malformed case with its answer and a why that names the
 * problem, heads and bodies fed in every split (one byte at a time
 * included) with the one-shot answer, the scan hint's resume contract,
 * the normaliser's table, and pipelined requests found one after the
 * other.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fastpath/http/http_body.h"
#include "fastpath/http/http_norm.h"
#include "fastpath/http/http_parse.h"

#define H11 " HTTP/1.1\r\nHost: h\r\n"

/* ------------------------------------------------------- helpers -- */

static int parse_n(const char *s, size_t n, const struct xg_http_limits *lim,
		   struct xg_http_req *r)
{
	size_t scan = 0;

	return xg_http_parse_head(s, n, lim, r, &scan);
}

static int parse(const char *s, struct xg_http_req *r)
{
	return parse_n(s, strlen(s), NULL, r);
}

static int str_is(const struct xg_http_str *s, const char *want)
{
	return s->n == strlen(want) && !memcmp(s->p, want, s->n);
}

static const char *rc_name(int rc)
{
	switch (rc) {
	case XG_HTTP_MORE:
		return "MORE";
	case XG_HTTP_OK:
		return "OK";
	case XG_HTTP_BAD:
		return "BAD";
	case XG_HTTP_TOO_LARGE:
		return "TOO_LARGE";
	}
	return "?";
}

static void parse_ok_n(const char *s, size_t n, struct xg_http_req *r)
{
	int rc = parse_n(s, n, NULL, r);

	if (rc != XG_HTTP_OK)
		fail_msg("'%.*s': %s (%s), want OK", (int)n, s, rc_name(rc),
			 r->why ? r->why : "-");
	assert_null(r->why);
}

static void parse_ok(const char *s, struct xg_http_req *r)
{
	parse_ok_n(s, strlen(s), r);
}

/* rc, and a why that says what. */
static void expect_n(const char *s, size_t n, const struct xg_http_limits *lim,
		     int want, const char *what)
{
	struct xg_http_req r;
	int rc = parse_n(s, n, lim, &r);

	if (rc != want)
		fail_msg("'%.*s': %s (%s), want %s (%s)", (int)n, s,
			 rc_name(rc), r.why ? r.why : "-", rc_name(want), what);
	if (!r.why || !strstr(r.why, what))
		fail_msg("'%.*s': why '%s' lacks '%s'", (int)n, s,
			 r.why ? r.why : "(null)", what);
}

static void bad(const char *s, const char *what)
{
	expect_n(s, strlen(s), NULL, XG_HTTP_BAD, what);
}

/* ---------------------------------------------------- valid heads -- */

static void test_get(void **state)
{
	const char *s = "GET /index.html?q=1 HTTP/1.1\r\n"
			"Host: example.com\r\n"
			"User-Agent: curl/8.0\r\n"
			"Accept: */*\r\n"
			"\r\n"
			"GET /next HTTP/1.1\r\n";
	struct xg_http_req r;
	const struct xg_http_hdr *h;

	parse_ok(s, &r);
	assert_true(str_is(&r.method, "GET"));
	assert_true(str_is(&r.target, "/index.html?q=1"));
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.n_hdrs, 3);
	assert_int_equal(r.head_len, strstr(s, "GET /next") - s);
	assert_int_equal(r.body, XG_HTTP_BODY_NONE);
	assert_int_equal(r.host, 0);
	assert_true(str_is(&r.hdrs[1].name, "User-Agent"));
	assert_true(str_is(&r.hdrs[1].value, "curl/8.0"));

	h = xg_http_find(&r, "ACCEPT");
	assert_non_null(h);
	assert_ptr_equal(h, &r.hdrs[2]);
	assert_true(str_is(&h->value, "*/*"));
	assert_null(xg_http_find(&r, "Accep"));
	assert_null(xg_http_find(&r, "Accept-Encoding"));
	/* Pointers into the caller's buffer. */
	assert_ptr_equal(r.method.p, s);
	/* No hint and no limits: a one-shot parse with the defaults. */
	assert_int_equal(xg_http_parse_head(s, strlen(s), NULL, &r, NULL),
			 XG_HTTP_OK);
	assert_int_equal(r.head_len, strstr(s, "GET /next") - s);
	assert_int_equal(xg_http_parse_head(s, 10, NULL, &r, NULL),
			 XG_HTTP_MORE);
}

static void test_post_content_length(void **state)
{
	const char *s = "POST /submit HTTP/1.1\r\nHost: a\r\n"
			"Content-Length: 11\r\n\r\nhello world";
	struct xg_http_req r;

	parse_ok(s, &r);
	assert_true(str_is(&r.method, "POST"));
	assert_int_equal(r.body, XG_HTTP_BODY_LENGTH);
	assert_int_equal(r.content_length, 11);
	assert_int_equal(r.head_len, strlen(s) - 11);

	/* The largest length there is. */
	parse_ok("POST / HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: 9223372036854775807\r\n\r\n",
		 &r);
	assert_true(r.content_length == 9223372036854775807ull);
	/* Leading zeros are digits too; 0 is a (empty) body. */
	parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n",
		 &r);
	assert_int_equal(r.content_length, 7);
	parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r);
	assert_int_equal(r.body, XG_HTTP_BODY_LENGTH);
	assert_int_equal(r.content_length, 0);
}

static void test_content_length_repeated(void **state)
{
	struct xg_http_req r;

	parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		 "Content-Length: 5\r\n\r\n",
		 &r);
	assert_int_equal(r.body, XG_HTTP_BODY_LENGTH);
	assert_int_equal(r.content_length, 5);
	parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ,5,\t05\r\n"
		 "\r\n",
		 &r);
	assert_int_equal(r.content_length, 5);
}

static void test_chunked(void **state)
{
	struct xg_http_req r;

	parse_ok("POST /up HTTP/1.1\r\nHost: a\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 &r);
	assert_int_equal(r.body, XG_HTTP_BODY_CHUNKED);
	parse_ok("POST /up HTTP/1.1\r\nHost: a\r\n"
		 "transfer-encoding:   ChUnKeD \t\r\n\r\n",
		 &r);
	assert_int_equal(r.body, XG_HTTP_BODY_CHUNKED);
}

static void test_http10_without_host(void **state)
{
	struct xg_http_req r;
	struct xg_http_norm n;

	parse_ok("GET / HTTP/1.0\r\n\r\n", &r);
	assert_int_equal(r.minor, 0);
	assert_int_equal(r.n_hdrs, 0);
	assert_int_equal(r.host, -1);
	assert_int_equal(r.head_len, 18);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_string_equal(n.path, "/");
	assert_int_equal(n.host_n, 0);
	assert_string_equal(n.host, "");

	/* With one, it is checked and used. */
	parse_ok("GET / HTTP/1.0\r\nHost: H\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_string_equal(n.host, "h");
	bad("GET / HTTP/1.0\r\nHost: a b\r\n\r\n", "invalid character in Host");
}

/* A head with host and then k more fields X-<i>: <i>. */
static size_t many(char *buf, size_t cap, int k)
{
	size_t n = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\nHost: h\r\n");
	int i;

	for (i = 0; i < k; i++)
		n += (size_t)snprintf(buf + n, cap - n, "X-%d: %d\r\n", i, i);
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	return n;
}

static void test_many_headers(void **state)
{
	struct xg_http_limits lim = {.max_headers = 4};
	struct xg_http_req r;
	char buf[4096];
	size_t n;

	n = many(buf, sizeof(buf), XG_HTTP_MAX_HEADERS - 1);
	parse_ok_n(buf, n, &r);
	assert_int_equal(r.n_hdrs, XG_HTTP_MAX_HEADERS);
	assert_true(str_is(&r.hdrs[63].name, "X-62"));
	assert_true(str_is(&r.hdrs[63].value, "62"));

	n = many(buf, sizeof(buf), XG_HTTP_MAX_HEADERS);
	expect_n(buf, n, NULL, XG_HTTP_TOO_LARGE, "too many header fields");

	/* The caller's limit. */
	n = many(buf, sizeof(buf), 3);
	assert_int_equal(parse_n(buf, n, &lim, &r), XG_HTTP_OK);
	n = many(buf, sizeof(buf), 4);
	expect_n(buf, n, &lim, XG_HTTP_TOO_LARGE, "too many header fields");

	/* A limit above the array is the array. */
	lim.max_headers = 1000;
	n = many(buf, sizeof(buf), XG_HTTP_MAX_HEADERS);
	expect_n(buf, n, &lim, XG_HTTP_TOO_LARGE, "too many header fields");
}

static void test_field_values(void **state)
{
	struct xg_http_req r;

	parse_ok("GET / HTTP/1.1\r\nHost: h\r\nX-A:  a \t b \t\r\nX-B:\r\n"
		 "X-C: \t \r\nX-D: caf\xc3\xa9\r\nX-E:\"q\"!~\r\n\r\n",
		 &r);
	assert_int_equal(r.n_hdrs, 6);
	assert_true(str_is(&r.hdrs[1].value, "a \t b"));
	assert_int_equal(r.hdrs[2].value.n, 0);
	assert_int_equal(r.hdrs[3].value.n, 0);
	/* obs-text is allowed in values. */
	assert_true(str_is(&r.hdrs[4].value, "caf\xc3\xa9"));
	assert_true(str_is(&r.hdrs[5].value, "\"q\"!~"));
	/* Every tchar may be in a method and in a field name. */
	parse_ok("M!#$%&'*+-.^_`|~09az / HTTP/1.1\r\nHost: h\r\n"
		 "!#$%&'*+-.^_`|~09aZ: v\r\n\r\n",
		 &r);
	assert_true(str_is(&r.method, "M!#$%&'*+-.^_`|~09az"));
}

static void test_leading_empty_lines(void **state)
{
	struct xg_http_req r;

	parse_ok("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_true(str_is(&r.method, "GET"));
	assert_int_equal(r.head_len, 2 + 27);
	parse_ok("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_int_equal(r.head_len, 4 + 27);
	bad("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
	    "too many empty lines");
	bad("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "bare LF");
	bad("\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", "bare CR");
	/* Empty lines alone are no request yet. */
	assert_int_equal(parse("\r\n\r\n", &r), XG_HTTP_MORE);
	assert_int_equal(parse("\r\n\r", &r), XG_HTTP_MORE);
}

static void test_host_forms(void **state)
{
	static const char *const ok[] = {
		"example.com",
		"Example.COM:8080",
		"a",
		"1.2.3.4",
		"1.2.3.4:80",
		"[::1]",
		"[::1]:8443",
		"[2001:db8::ffff:1.2.3.4]",
		"h:0",
		"h:65535",
		"my_host-1.~x",
	};
	char buf[256];
	struct xg_http_req r;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
			 ok[i]);
		parse_ok(buf, &r);
		assert_true(str_is(&r.hdrs[r.host].value, ok[i]));
	}
}

/* ------------------------------------------------ malformed heads -- */

static void test_bad_request_line(void **state)
{
	bad(" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	    "does not start with a method");
	bad("GET\r\nHost: h\r\n\r\n", "only a method");
	bad("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in method");
	bad("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in method");
	bad("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "empty request-target");
	bad("GET /\r\nHost: h\r\n\r\n", "no HTTP version");
	bad("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET / HTTP/2.0\r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET / HTTP/1.2\r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET / http/1.1\r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET / HTTP/1.10\r\nHost: h\r\n\r\n", "HTTP version");
	bad("GET / HTTP/1\r\nHost: h\r\n\r\n", "HTTP version");
	bad("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP version");
}

static void test_bad_target(void **state)
{
	bad("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in request-target");
	bad("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in request-target");
	bad("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in request-target");
	bad("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
	    "invalid character in request-target");
	bad("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", "fragment");
	bad("GET /a?b#frag HTTP/1.1\r\nHost: h\r\n\r\n", "fragment");
	bad("GET /public\\..\\admin HTTP/1.1\r\nHost: h\r\n\r\n", "backslash");
}

static void test_bad_line_ends(void **state)
{
	static const char nul1[] = "GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char nul2[] =
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
	static const char nul3[] = "\0GET / HTTP/1.1\r\nHost: h\r\n\r\n";

	bad("GET / HTTP/1.1\nHost: h\r\n\r\n", "bare LF");
	bad("GET / HTTP/1.1\r\nHost: h\n\r\n", "bare LF");
	bad("GET / HTTP/1.1\r\nHost: h\r\n\n", "bare LF");
	bad("GET / HTTP/1.1\r\nHost: h\n\n", "bare LF");
	bad("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "bare LF");
	bad("GET / HTTP/1.1\r\nHost: h\rX: b\r\n\r\n", "bare CR");
	bad("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", "bare CR");
	bad("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", "bare CR");
	expect_n(nul1, sizeof(nul1) - 1, NULL, XG_HTTP_BAD, "NUL");
	expect_n(nul2, sizeof(nul2) - 1, NULL, XG_HTTP_BAD, "NUL");
	expect_n(nul3, sizeof(nul3) - 1, NULL, XG_HTTP_BAD, "NUL");
	/* Refused as soon as seen, without waiting for the end. */
	expect_n("GET / HTTP/1.1\nHo", 17, NULL, XG_HTTP_BAD, "bare LF");
	expect_n(nul2, 30, NULL, XG_HTTP_BAD, "NUL");
}

static void test_bad_fields(void **state)
{
	bad("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", "obs-fold");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", "obs-fold");
	bad("GET / HTTP/1.1\r\n Host: h\r\n\r\n", "obs-fold");
	bad("GET / HTTP/1.1\r\nHost : h\r\n\r\n",
	    "whitespace between field name and colon");
	bad("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n",
	    "whitespace between field name and colon");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX Y: a\r\n\r\n",
	    "invalid character in field name");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX(: a\r\n\r\n",
	    "invalid character in field name");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: a\r\n\r\n",
	    "invalid character in field name");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX-Foo\r\n\r\n",
	    "header line without colon");
	bad("GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", "empty field name");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",
	    "invalid character in field value");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n",
	    "invalid character in field value");
	bad("GET / HTTP/1.1\r\nHost: h\r\nX: a\x1b\r\n\r\n",
	    "invalid character in field value");
}

static void test_too_large(void **state)
{
	struct xg_http_limits lim = {.max_head = 64};
	struct xg_http_req r;
	char buf[XG_HTTP_MAX_HEAD + 64];
	size_t n, pad;

	/* A head of exactly max_head bytes is fine, one more is not. */
	n = (size_t)snprintf(buf, sizeof(buf),
			     "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	pad = XG_HTTP_MAX_HEAD - n - 4;
	memset(buf + n, 'a', pad);
	memcpy(buf + n + pad, "\r\n\r\n", 4);
	parse_ok_n(buf, XG_HTTP_MAX_HEAD, &r);
	assert_int_equal(r.head_len, XG_HTTP_MAX_HEAD);
	assert_int_equal(r.hdrs[1].value.n, pad);

	memset(buf + n, 'a', pad + 1);
	memcpy(buf + n + pad + 1, "\r\n\r\n", 4);
	/* Even with the rest of it there. */
	expect_n(buf, XG_HTTP_MAX_HEAD + 1, NULL, XG_HTTP_TOO_LARGE,
		 "no end of head within max_head");
	expect_n(buf, XG_HTTP_MAX_HEAD + 4, NULL, XG_HTTP_TOO_LARGE,
		 "no end of head within max_head");
	/* len >= max_head without an end: TOO_LARGE, not MORE... */
	expect_n(buf, XG_HTTP_MAX_HEAD, NULL, XG_HTTP_TOO_LARGE,
		 "no end of head within max_head");
	/* ... but MORE below it. */
	assert_int_equal(parse_n(buf, XG_HTTP_MAX_HEAD - 1, NULL, &r),
			 XG_HTTP_MORE);
	assert_null(r.why);

	/* The caller's limit; what is past it is never looked at. */
	n = (size_t)snprintf(
		buf, sizeof(buf),
		"GET / HTTP/1.1\r\nHost: h\r\nX-Pad: "
		"0123456789012345678901234567890123456789\r\n\r\n");
	assert_int_equal(parse_n(buf, n, NULL, &r), XG_HTTP_OK);
	expect_n(buf, n, &lim, XG_HTTP_TOO_LARGE, "max_head");
	buf[70] = '\0';
	expect_n(buf, n, &lim, XG_HTTP_TOO_LARGE, "max_head");
	buf[63] = '\n';
	expect_n(buf, n, &lim, XG_HTTP_BAD, "bare LF");
}

static void test_bad_framing(void **state)
{
	bad("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "both Content-Length and Transfer-Encoding");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n",
	    "both Content-Length and Transfer-Encoding");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n"
	    "\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n"
	    "\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
	    "Transfer-Encoding other than chunked");
	bad("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n",
	    "more than one Transfer-Encoding");
	bad("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "Transfer-Encoding in an HTTP/1.0 request");
}

static void test_bad_content_length(void **state)
{
	static const char *const invalid[] = {
		"+5", "-1", "5a",   "",	   "0x10",     "1 2",
		"5,", ",5", "5,,5", "1e3", "\xd9\xa5", /* ARABIC-INDIC DIGIT
							  FIVE */
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n"
			 "\r\n",
			 invalid[i]);
		bad(buf, "invalid Content-Length");
	}
	bad("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 9223372036854775808\r\n\r\n",
	    "Content-Length of 2^63 or more");
	bad("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 184467440737095516160\r\n\r\n",
	    "Content-Length of 2^63 or more");
	bad("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n",
	    "conflicting Content-Length values");
	bad("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n",
	    "conflicting Content-Length values");
}

static void test_bad_host(void **state)
{
	bad("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 request without Host");
	bad("GET / HTTP/1.1\r\nX-Host: h\r\n\r\n",
	    "HTTP/1.1 request without Host");
	bad("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
	    "more than one Host");
	bad("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
	    "more than one Host");
	bad("GET / HTTP/1.1\r\nHost:\r\n\r\n", "empty Host");
	bad("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", "empty Host");
	bad("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "invalid character in Host");
	bad("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", "invalid character in Host");
	bad("GET / HTTP/1.1\r\nHost: ex%61mple.com\r\n\r\n",
	    "invalid character in Host");
	bad("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", "invalid character in Host");
	bad("GET / HTTP/1.1\r\nHost: user@h\r\n\r\n", "userinfo");
	bad("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: [zz::1]\r\n\r\n", "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: []\r\n\r\n", "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: [1:2:3]\r\n\r\n", "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n",
	    "invalid IPv6 address");
	bad("GET / HTTP/1.1\r\nHost: h:\r\n\r\n", "invalid port");
	bad("GET / HTTP/1.1\r\nHost: h:65536\r\n\r\n", "invalid port");
	bad("GET / HTTP/1.1\r\nHost: h:123456\r\n\r\n", "invalid port");
	bad("GET / HTTP/1.1\r\nHost: h:8a\r\n\r\n", "invalid port");
	bad("GET / HTTP/1.1\r\nHost: h:80:80\r\n\r\n", "invalid port");
}

/* --------------------------------------------- incremental heads -- */

/* Fed one byte more at a time, with the caller's hint: MORE until the
 * answer, which comes with the byte that decides it and equals the
 * one-shot answer over all of s. */
static void check_bytewise(const char *s, size_t n, size_t decide)
{
	struct xg_http_req one, r;
	size_t len, scan = 0;
	int rc1, rc;

	rc1 = parse_n(s, n, NULL, &one);
	for (len = 0; len <= n; len++) {
		rc = xg_http_parse_head(s, len, NULL, &r, &scan);
		if (len < decide) {
			if (rc != XG_HTTP_MORE)
				fail_msg("'%s' at %zu: %s (%s) before %zu", s,
					 len, rc_name(rc), r.why, decide);
			/* The hint has taken in all but a pending CR. */
			assert_true(scan + 1 >= len);
			continue;
		}
		break;
	}
	assert_int_equal(rc, rc1);
	assert_int_equal(len, decide);
	assert_ptr_equal(r.why, one.why);
	assert_int_equal(r.head_len, one.head_len);
	assert_int_equal(r.n_hdrs, one.n_hdrs);
	assert_int_equal(r.body, one.body);
	assert_true(r.content_length == one.content_length);
	if (rc == XG_HTTP_OK) {
		assert_ptr_equal(r.method.p, one.method.p);
		assert_int_equal(r.method.n, one.method.n);
		assert_ptr_equal(r.target.p, one.target.p);
		assert_int_equal(r.target.n, one.target.n);
		assert_int_equal(r.minor, one.minor);
		assert_memory_equal(r.hdrs, one.hdrs,
				    r.n_hdrs * sizeof(r.hdrs[0]));
	}
}

static void test_bytewise(void **state)
{
	static const char *const ok[] = {
		"GET / HTTP/1.0\r\n\r\n",
		"GET /a?b HTTP/1.1\r\nHost: h\r\nX: 1\r\n\r\n",
		"\r\n\r\nPOST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
		"3\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
		"chunked\r\n\r\n",
	};
	size_t i;
	const char *s;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_bytewise(ok[i], strlen(ok[i]), strlen(ok[i]));

	/* Refused with the byte that makes it wrong. */
	s = "GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n";
	check_bytewise(s, strlen(s), strchr(s, 'h') - s + 2);
	s = "GET / HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n";
	check_bytewise(s, strlen(s), strchr(s, 'h') - s + 3);
	/* ... or with the end of a head it finds wrong. */
	s = "GET / HTTP/1.1\r\nHost : h\r\n\r\n";
	check_bytewise(s, strlen(s), strlen(s));
	s = "\r\n\r\n\r\nGET / HTTP/1.1\r\n";
	check_bytewise(s, strlen(s), 6);
}

static void test_scan_hint(void **state)
{
	char buf[XG_HTTP_MAX_HEAD];
	struct xg_http_req r;
	size_t n, len, scan = 0;
	int rc;

	/* A long head (38 fields of 210 bytes) a byte at a time: the hint
	 * follows the data, so each call looks at what is new only. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < 8000)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "X-Long: %0200d\r\n", 7);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	for (len = 1; len < n; len++) {
		rc = xg_http_parse_head(buf, len, NULL, &r, &scan);
		assert_int_equal(rc, XG_HTTP_MORE);
		if (buf[len - 1] == '\r')
			assert_int_equal(scan, len - 1);
		else
			assert_int_equal(scan, len);
	}
	rc = xg_http_parse_head(buf, n, NULL, &r, &scan);
	assert_int_equal(rc, XG_HTTP_OK);
	assert_int_equal(r.head_len, n);
	assert_int_equal(scan, n);

	/*
	 * Bytes before the hint are not scanned again: a NUL put there
	 * after a MORE is not seen as "NUL in the head" (a one-shot parse
	 * says so); only the line parse, once the head is whole, finds a
	 * bad value character.
	 */
	strcpy(buf, "GET / HTTP/1.1\r\nHost: h\r\nX: abc\r\n\r\n");
	n = strlen(buf);
	scan = 0;
	assert_int_equal(xg_http_parse_head(buf, 30, NULL, &r, &scan),
			 XG_HTTP_MORE);
	assert_int_equal(scan, 30);
	buf[28] = '\0';
	rc = xg_http_parse_head(buf, n, NULL, &r, &scan);
	assert_int_equal(rc, XG_HTTP_BAD);
	assert_string_equal(r.why, "invalid character in field value");
	expect_n(buf, n, NULL, XG_HTTP_BAD, "NUL in the head");

	/* A hint past the data is not trusted. */
	strcpy(buf, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
	scan = 1000;
	assert_int_equal(xg_http_parse_head(buf, strlen(buf), NULL, &r, &scan),
			 XG_HTTP_OK);
}

/* ---------------------------------------------------- normaliser -- */

struct norm_case {
	const char *method, *target, *host; /* host NULL: HTTP/1.0, none */
	const char *path, *want_host;	    /* path NULL: BAD with why */
	const char *why;
};

static const struct norm_case norm_cases[] = {
	/* origin-form, dot-segments (RFC 3986 5.2.4) */
	{"GET", "/a/b/../c/./d", "h", "/a/c/d", "h", NULL},
	{"GET", "/", "h", "/", "h", NULL},
	{"GET", "/a/b", "h", "/a/b", "h", NULL},
	{"GET", "/a/.", "h", "/a/", "h", NULL},
	{"GET", "/a/..", "h", "/", "h", NULL},
	{"GET", "/a/b/..", "h", "/a/", "h", NULL},
	{"GET", "/./a", "h", "/a", "h", NULL},
	{"GET", "/.", "h", "/", "h", NULL},
	{"GET", "/..", "h", "/", "h", NULL},
	{"GET", "/../../x", "h", "/x", "h", NULL},
	{"GET", "/a/../../b", "h", "/b", "h", NULL},
	{"GET", "/a/b/c/../../d", "h", "/a/d", "h", NULL},
	{"GET", "/.a/..b/.../a.", "h", "/.a/..b/.../a.", "h", NULL},
	/* repeated slashes are kept (and are segments) */
	{"GET", "/a//b", "h", "/a//b", "h", NULL},
	{"GET", "//", "h", "//", "h", NULL},
	{"GET", "/a//../b", "h", "/a/b", "h", NULL},
	/* percent-escapes: unreserved decoded, others upper-cased */
	{"GET", "/%2e%2E/x", "h", "/x", "h", NULL},
	{"GET", "/a/.%2e/b", "h", "/b", "h", NULL},
	{"GET", "/a/%2e", "h", "/a/", "h", NULL},
	{"GET", "/%7e", "h", "/~", "h", NULL},
	{"GET", "/%7Euser", "h", "/~user", "h", NULL},
	{"GET", "/%41%62%30%2d%5f", "h", "/Ab0-_", "h", NULL},
	{"GET", "/a%2fb", "h", "/a%2Fb", "h", NULL},
	{"GET", "/a%2Fb", "h", "/a%2Fb", "h", NULL},
	{"GET", "/a/..%2f..%2fb", "h", "/a/..%2F..%2Fb", "h", NULL},
	{"GET", "/a%20b%3f%23", "h", "/a%20b%3F%23", "h", NULL},
	{"GET", "/%25", "h", "/%25", "h", NULL},
	{"GET", "/%252e%252e/x", "h", "/%252e%252e/x", "h", NULL},
	{"GET", "/%c3%a9", "h", "/%C3%A9", "h", NULL},
	{"GET", "/%00", "h", "/%00", "h", NULL},
	{"GET", "/%zz", "h", NULL, NULL, "invalid percent-encoding"},
	{"GET", "/%4", "h", NULL, NULL, "invalid percent-encoding"},
	{"GET", "/a%", "h", NULL, NULL, "invalid percent-encoding"},
	{"GET", "/%4?x", "h", NULL, NULL, "invalid percent-encoding"},
	{"GET", "/%g0", "h", NULL, NULL, "invalid percent-encoding"},
	/* the query, as sent */
	{"GET", "/a?x=1", "h", "/a?x=1", "h", NULL},
	{"GET", "/a?", "h", "/a?", "h", NULL},
	{"GET", "/a/../b?x=/../%2e&%zz", "h", "/b?x=/../%2e&%zz", "h", NULL},
	{"GET", "/p%7e?q%7e", "h", "/p~?q%7e", "h", NULL},
	{"GET", "/?a?b", "h", "/?a?b", "h", NULL},
	/* host: lower-cased, port as sent */
	{"GET", "/", "WWW.Example.Com:080", "/", "www.example.com:080", NULL},
	{"GET", "/", "[::FFFF:1.2.3.4]:80", "/", "[::ffff:1.2.3.4]:80", NULL},
	{"GET", "/", NULL, "/", "", NULL},
	/* absolute-form: reduced to its path, its authority is the host */
	{"GET", "http://Example.COM:8080/a/../b?q", "other", "/b?q",
	 "example.com:8080", NULL},
	{"GET", "HTTPS://h2", "h", "/", "h2", NULL},
	{"GET", "hTTp://h2?x=1", "h", "/?x=1", "h2", NULL},
	{"GET", "http://h2/%7e", NULL, "/~", "h2", NULL},
	{"GET", "http://[::1]:80/", "h", "/", "[::1]:80", NULL},
	{"GET", "ftp://h/", "h", NULL, NULL, "other than http:// or https://"},
	{"GET", "http:/x", "h", NULL, NULL, "other than http:// or https://"},
	{"GET", "http://u@h/", "h", NULL, NULL, "userinfo"},
	{"GET", "http:///x", "h", NULL, NULL, "no host"},
	{"GET", "http://h:99999/", "h", NULL, NULL, "invalid port"},
	{"GET", "http://h%41/", "h", NULL, NULL, "invalid character"},
	{"GET", "http://h/%zz", "h", NULL, NULL, "invalid percent-encoding"},
	/* asterisk-form only with OPTIONS */
	{"OPTIONS", "*", "h", "*", "h", NULL},
	{"GET", "*", "h", NULL, NULL, "asterisk-form"},
	{"OPTIONS", "*x", "h", NULL, NULL, "no known form"},
	/* authority-form only with CONNECT */
	{"CONNECT", "Proxy.Example:443", "h", "", "proxy.example:443", NULL},
	{"CONNECT", "[::1]:443", "h", "", "[::1]:443", NULL},
	{"CONNECT", "h2", "h", NULL, NULL, "CONNECT needs host:port"},
	{"CONNECT", "/x", "h", NULL, NULL, "invalid character"},
	{"CONNECT", "http://h2/", "h", NULL, NULL, "CONNECT needs host:port"},
	{"GET", "h2:443", "h", NULL, NULL, "authority-form only with CONNECT"},
	{"connect", "h2:443", "h", NULL, NULL, "authority-form"},
	/* anything else */
	{"GET", "a/b", "h", NULL, NULL, "no known form"},
	{"GET", "?x", "h", NULL, NULL, "no known form"},
};

static void test_normalise_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct xg_http_req r;
		struct xg_http_norm n;
		const char *why = NULL;
		char buf[512];
		int rc;

		if (c->host)
			snprintf(buf, sizeof(buf),
				 "%s %s HTTP/1.1\r\nHost: %s\r\n\r\n",
				 c->method, c->target, c->host);
		else
			snprintf(buf, sizeof(buf), "%s %s HTTP/1.0\r\n\r\n",
				 c->method, c->target);
		parse_ok(buf, &r);
		rc = xg_http_normalise(&r, &n, &why);
		if (!c->path) {
			if (rc != XG_HTTP_BAD)
				fail_msg("%s %s: %d, path '%s', want BAD (%s)",
					 c->method, c->target, rc, n.path,
					 c->why);
			if (!why || !strstr(why, c->why))
				fail_msg("%s %s: why '%s' lacks '%s'",
					 c->method, c->target,
					 why ? why : "(null)", c->why);
			continue;
		}
		if (rc)
			fail_msg("%s %s: BAD (%s), want '%s'", c->method,
				 c->target, why, c->path);
		if (strcmp(n.path, c->path) || n.path_n != strlen(c->path))
			fail_msg("%s %s: path '%s' (%zu), want '%s'", c->method,
				 c->target, n.path, n.path_n, c->path);
		if (strcmp(n.host, c->want_host) ||
		    n.host_n != strlen(c->want_host))
			fail_msg("%s %s: host '%s', want '%s'", c->method,
				 c->target, n.host, c->want_host);
	}
}

static void test_normalise_query_and_form(void **state)
{
	struct xg_http_req r;
	struct xg_http_norm n;

	parse_ok("GET /a/./b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_int_equal(n.form, XG_HTTP_FORM_ORIGIN);
	assert_string_equal(n.path, "/a/b?x=1");
	assert_int_equal(n.query, 4);
	assert_int_equal(n.path[n.query], '?');

	parse_ok("GET /a/./b HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_int_equal(n.query, n.path_n);

	parse_ok("GET http://x/ HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_int_equal(n.form, XG_HTTP_FORM_ABSOLUTE);
	parse_ok("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_int_equal(n.form, XG_HTTP_FORM_ASTERISK);
	parse_ok("CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n\r\n", &r);
	assert_int_equal(xg_http_normalise(&r, &n, NULL), 0);
	assert_int_equal(n.form, XG_HTTP_FORM_AUTHORITY);
	assert_int_equal(n.path_n, 0);
}

static void test_normalise_too_long(void **state)
{
	static char target[XG_HTTP_NORM_MAX + 512];
	struct xg_http_req r;
	struct xg_http_norm n;
	const char *why = NULL;
	size_t k;

	/* A request built by hand: a head this long needs a larger
	 * max_head than the default. */
	memset(&r, 0, sizeof(r));
	r.method.p = "GET";
	r.method.n = 3;
	r.host = -1;
	r.minor = 0;
	r.target.p = target;

	/* Exactly what fits (the NUL aside), then one more. */
	target[0] = '/';
	memset(target + 1, 'a', sizeof(target) - 1);
	r.target.n = XG_HTTP_NORM_MAX - 1;
	assert_int_equal(xg_http_normalise(&r, &n, &why), 0);
	assert_int_equal(n.path_n, XG_HTTP_NORM_MAX - 1);
	assert_int_equal(n.path[n.path_n], 0);
	r.target.n = XG_HTTP_NORM_MAX;
	assert_int_equal(xg_http_normalise(&r, &n, &why), XG_HTTP_BAD);
	assert_non_null(strstr(why, "too long"));

	/* The query counts too. */
	target[100] = '?';
	why = NULL;
	assert_int_equal(xg_http_normalise(&r, &n, &why), XG_HTTP_BAD);
	assert_non_null(strstr(why, "too long"));

	/* Decoding shrinks: %7e is one byte out. */
	for (k = 0; k + 3 <= XG_HTTP_NORM_MAX + 300; k += 3)
		memcpy(target + 1 + k, "%7e", 3);
	r.target.n = 1 + k;
	assert_int_equal(xg_http_normalise(&r, &n, &why), 0);
	assert_int_equal(n.path_n, 1 + k / 3);

	/* A host of 255 bytes fits, 256 do not. */
	memcpy(target, "http://", 7);
	memset(target + 7, 'h', 256);
	target[7 + 255] = '/';
	r.target.n = 7 + 256;
	assert_int_equal(xg_http_normalise(&r, &n, &why), 0);
	assert_int_equal(n.host_n, 255);
	target[7 + 255] = 'h';
	target[7 + 256] = '/';
	r.target.n = 7 + 257;
	assert_int_equal(xg_http_normalise(&r, &n, &why), XG_HTTP_BAD);
	assert_non_null(strstr(why, "host longer than 255"));
}

/* Normalising what the normaliser gave changes nothing. */
static void test_normalise_idempotent(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct xg_http_req r;
		struct xg_http_norm n1, n2;

		if (!c->path || c->path[0] != '/')
			continue;
		memset(&r, 0, sizeof(r));
		r.method.p = "GET";
		r.method.n = 3;
		r.host = -1;
		r.target.p = c->path;
		r.target.n = strlen(c->path);
		assert_int_equal(xg_http_normalise(&r, &n1, NULL), 0);
		assert_string_equal(n1.path, c->path);
		r.target.p = n1.path;
		r.target.n = n1.path_n;
		assert_int_equal(xg_http_normalise(&r, &n2, NULL), 0);
		assert_string_equal(n2.path, n1.path);
	}
}

/* ---------------------------------------------------------- bodies -- */

static void body_req(struct xg_http_req *r, enum xg_http_body_kind kind,
		     unsigned long long cl)
{
	memset(r, 0, sizeof(*r));
	r->body = kind;
	r->content_length = cl;
}

/* One feed of all of s: rc, *used, why. */
static int body_once(enum xg_http_body_kind kind, unsigned long long cl,
		     const char *s, size_t n, size_t *used, const char **why)
{
	struct xg_http_req r;
	struct xg_http_body b;
	int rc;

	body_req(&r, kind, cl);
	xg_http_body_start(&b, &r);
	rc = xg_http_body_feed(&b, s, n, used);
	*why = b.why;
	return rc;
}

/* Fed in pieces of `step` bytes (and, if split, as s[0..split) then the
 * rest): the same answer, at the same offset, as in one feed. */
static void body_pieces(enum xg_http_body_kind kind, unsigned long long cl,
			const char *s, size_t n, size_t step, size_t split,
			int want, size_t want_end, const char *want_why)
{
	struct xg_http_req r;
	struct xg_http_body b;
	size_t off = 0, used, k;
	int rc = XG_HTTP_MORE;

	body_req(&r, kind, cl);
	xg_http_body_start(&b, &r);
	while (off < n) {
		k = step;
		if (split && off < split && off + k > split)
			k = split - off;
		if (k > n - off)
			k = n - off;
		rc = xg_http_body_feed(&b, s + off, k, &used);
		if (rc == XG_HTTP_MORE)
			assert_int_equal(used, k);
		off += used;
		if (rc != XG_HTTP_MORE)
			break;
	}
	if (n == 0)
		rc = xg_http_body_feed(&b, s, 0, &used);
	if (rc != want || off != want_end)
		fail_msg("'%.*s' in %zu-byte pieces: %s at %zu, want %s at %zu",
			 (int)n, s, step, rc_name(rc), off, rc_name(want),
			 want_end);
	if (want_why && (!b.why || !strstr(b.why, want_why)))
		fail_msg("'%.*s': why '%s' lacks '%s'", (int)n, s, b.why,
			 want_why);
	if (!want_why)
		assert_null(b.why);
}

/* The one-shot answer, then the same in every split and a byte at a
 * time. */
static void body_check(enum xg_http_body_kind kind, unsigned long long cl,
		       const char *s, size_t n, int want, size_t want_end,
		       const char *want_why)
{
	const char *why;
	size_t used, sp;
	int rc;

	rc = body_once(kind, cl, s, n, &used, &why);
	if (rc != want || used != want_end)
		fail_msg("'%.*s': %s at %zu (%s), want %s at %zu", (int)n, s,
			 rc_name(rc), used, why ? why : "-", rc_name(want),
			 want_end);
	body_pieces(kind, cl, s, n, 1, 0, want, want_end, want_why);
	body_pieces(kind, cl, s, n, 7, 0, want, want_end, want_why);
	/* Every split of a short body, some hundreds of a long one. */
	for (sp = 1; sp < n; sp += n / 256 + 1)
		body_pieces(kind, cl, s, n, n, sp, want, want_end, want_why);
}

static void chunked_ok(const char *s, size_t end)
{
	body_check(XG_HTTP_BODY_CHUNKED, 0, s, strlen(s), XG_HTTP_OK, end,
		   NULL);
}

static void chunked_more(const char *s)
{
	body_check(XG_HTTP_BODY_CHUNKED, 0, s, strlen(s), XG_HTTP_MORE,
		   strlen(s), NULL);
}

/* BAD at the byte at s + at. */
static void chunked_bad_n(const char *s, size_t n, size_t at, const char *why)
{
	body_check(XG_HTTP_BODY_CHUNKED, 0, s, n, XG_HTTP_BAD, at, why);
}

static void chunked_bad(const char *s, size_t at, const char *why)
{
	chunked_bad_n(s, strlen(s), at, why);
}

static void test_body_length(void **state)
{
	const char *s = "hello worldGET / HTTP/1.1\r\n";

	body_check(XG_HTTP_BODY_LENGTH, 11, s, strlen(s), XG_HTTP_OK, 11, NULL);
	body_check(XG_HTTP_BODY_LENGTH, 11, s, 10, XG_HTTP_MORE, 10, NULL);
	body_check(XG_HTTP_BODY_LENGTH, 0, s, strlen(s), XG_HTTP_OK, 0, NULL);
	body_check(XG_HTTP_BODY_NONE, 0, s, strlen(s), XG_HTTP_OK, 0, NULL);
	body_check(XG_HTTP_BODY_NONE, 0, s, 0, XG_HTTP_OK, 0, NULL);
	/* A body longer than a size_t's worth of feeds is just counted. */
	body_check(XG_HTTP_BODY_LENGTH, 9223372036854775807ull, s, strlen(s),
		   XG_HTTP_MORE, strlen(s), NULL);
}

static void test_body_chunked(void **state)
{
	const char *s;

	s = "5\r\nhello\r\n0\r\n\r\n";
	chunked_ok(s, strlen(s));
	s = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
	chunked_ok(s, strstr(s, "GET") - s);
	s = "A\r\n0123456789\r\na\r\n0123456789\r\n000\r\n\r\n";
	chunked_ok(s, strlen(s));
	s = "0\r\n\r\n";
	chunked_ok(s, strlen(s));
	/* Data is opaque: CRLFs, NULs, anything. */
	s = "4\r\n\r\n\r\n\r\n0\r\n\r\n";
	chunked_ok(s, strlen(s));
	/* Extensions are skipped; whitespace only before a ';'. */
	s = "5;foo=bar\r\nhello\r\n0;x=\"a b\";y\r\n\r\n";
	chunked_ok(s, strlen(s));
	s = "5 \t;foo\r\nhello\r\n0\r\n\r\n";
	chunked_ok(s, strlen(s));
	/* Trailer fields. */
	s = "1\r\na\r\n0\r\nX-Sum: 1\r\nY:\r\nZ: a \t b\r\n\r\nNEXT";
	chunked_ok(s, strstr(s, "NEXT") - s);
	/* 16 hex digits is the most, and fits. */
	chunked_more("ffffffffffffffff\r\n");
	chunked_more("0000000000000001\r\nx");
	/* Not over yet. */
	chunked_more("5\r\nhel");
	chunked_more("5\r\nhello\r\n0\r\n");
	chunked_more("5\r\nhello\r\n0\r\nX: 1\r\n");
	chunked_more("5\r\nhello\r\n0\r\n\r");
}

static void test_body_chunked_bad(void **state)
{
	static const char nul[] = "0\r\nX: a\0\r\n\r\n";
	static char buf[XG_HTTP_TRAILER_MAX + 64];
	size_t n, i;

	chunked_bad("g\r\n", 0, "invalid chunk size");
	chunked_bad("\r\n", 0, "invalid chunk size");
	chunked_bad("-1\r\n", 0, "invalid chunk size");
	chunked_bad("+1\r\n", 0, "invalid chunk size");
	chunked_bad(" 1\r\n", 0, "invalid chunk size");
	chunked_bad("0x1\r\n", 1, "invalid chunk size");
	chunked_bad("1g\r\n", 1, "invalid chunk size");
	chunked_bad("10000000000000000\r\n", 16, "more than 16 hex digits");
	chunked_bad("00000000000000001\r\n", 16, "more than 16 hex digits");
	chunked_bad("5 \r\nhello", 2, "whitespace after chunk size");
	chunked_bad("5 x\r\nhello", 2, "whitespace after chunk size");
	chunked_bad("5\nhello", 1, "bare LF");
	chunked_bad("5;a\nhello", 3, "bare LF");
	chunked_bad("5\rhello", 2, "bare CR");
	chunked_bad("5;a\x01\r\nhello", 3, "invalid character in chunk ext");
	chunked_bad("5;a\x7f\r\nhello", 3, "invalid character in chunk ext");
	chunked_bad("5\r\nhelloX\r\n", 8, "chunk data not followed by CRLF");
	chunked_bad("5\r\nhello\rX", 9, "chunk data not followed by CRLF");
	chunked_bad("5\r\nhello\n0\r\n\r\n", 8,
		    "chunk data not followed by CRLF");
	chunked_bad("5\r\nhello\r\n\r\n", 10, "invalid chunk size");
	/* The final CRLF. */
	chunked_bad("0\r\n\rX", 4, "bare CR");
	chunked_bad("0\r\n\n", 3, "bare LF");
	/* Trailer lines are header lines. */
	chunked_bad("0\r\nX: 1\r\n y\r\n\r\n", 9, "obs-fold");
	chunked_bad("0\r\nX : 1\r\n\r\n", 4, "whitespace between trailer");
	chunked_bad("0\r\nX\r\n\r\n", 4, "without colon");
	chunked_bad("0\r\n: v\r\n\r\n", 3, "empty trailer field name");
	chunked_bad("0\r\n(: v\r\n\r\n", 3, "invalid character in trailer");
	chunked_bad("0\r\nX(: v\r\n\r\n", 4, "invalid character in trailer");
	chunked_bad("0\r\nX: \x01\r\n\r\n", 6, "invalid character in trailer");
	chunked_bad("0\r\nX: 1\n\r\n", 7, "bare LF");
	chunked_bad("0\r\nX: 1\rY\r\n", 8, "bare CR");
	chunked_bad_n(nul, sizeof(nul) - 1, 7, "invalid character in trailer");

	/* A chunk-size line of 4096 bytes (CRLF included) is the most. */
	n = 0;
	buf[n++] = '1';
	buf[n++] = ';';
	while (n < XG_HTTP_CHUNK_LINE_MAX - 2)
		buf[n++] = 'e';
	memcpy(buf + n, "\r\nx\r\n0\r\n\r\n", 10);
	chunked_ok(buf, n + 10);
	memcpy(buf + n, "e\r\nx\r\n0\r\n\r\n", 11);
	chunked_bad(buf, XG_HTTP_CHUNK_LINE_MAX, "longer than 4096 bytes");

	/* As many trailer fields as header fields, not one more. */
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\n");
	for (i = 0; i < XG_HTTP_MAX_TRAILERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "T: %zu\r\n",
				      i);
	memcpy(buf + n, "\r\n", 3);
	chunked_ok(buf, n + 2);
	memcpy(buf + n, "U: x\r\n\r\n", 9);
	chunked_bad(buf, n, "too many trailer fields");

	/* And a trailer section no longer than a head. */
	n = (size_t)snprintf(buf, sizeof(buf), "0\r\nT: ");
	while (n < 3 + XG_HTTP_TRAILER_MAX - 4)
		buf[n++] = 'v';
	memcpy(buf + n, "\r\n\r\n", 5);
	chunked_ok(buf, n + 4);
	memcpy(buf + n, "v\r\n\r\n", 6);
	chunked_bad(buf, n + 4, "trailer section too long");
}

static void test_body_sticky(void **state)
{
	struct xg_http_req r;
	struct xg_http_body b;
	size_t used = 99;

	body_req(&r, XG_HTTP_BODY_CHUNKED, 0);
	xg_http_body_start(&b, &r);
	assert_int_equal(xg_http_body_feed(&b, "0\r\n\r\nX", 6, &used),
			 XG_HTTP_OK);
	assert_int_equal(used, 5);
	assert_int_equal(xg_http_body_feed(&b, "0\r\n\r\n", 5, &used),
			 XG_HTTP_OK);
	assert_int_equal(used, 0);

	xg_http_body_start(&b, &r);
	assert_int_equal(xg_http_body_feed(&b, "z", 1, &used), XG_HTTP_BAD);
	assert_int_equal(xg_http_body_feed(&b, "0\r\n\r\n", 5, &used),
			 XG_HTTP_BAD);
	assert_int_equal(used, 0);
	assert_non_null(b.why);
}

/* ------------------------------------------------------- pipelines -- */

/*
 * A connection's stream judged request after request, as a worker does:
 * head, normalise, follow the body, next.  Bytes arrive `step` at a time
 * (all at once when step is 0).  Returns how many requests were whole
 * and writes their normalised paths, space-separated, to out.
 */
static int pipeline(const char *s, size_t n, size_t step, char *out, size_t cap,
		    int *last_rc)
{
	struct xg_http_req r;
	struct xg_http_norm nm;
	struct xg_http_body b;
	size_t have = 0, off = 0, fed = 0, scan = 0, used, o = 0;
	int in_body = 0, count = 0, rc = XG_HTTP_MORE;

	out[0] = 0;
	while (have < n) {
		have = step && n - have > step ? have + step : n;
		for (;;) {
			if (!in_body) {
				rc = xg_http_parse_head(s + off, have - off,
							NULL, &r, &scan);
				if (rc != XG_HTTP_OK)
					break;
				assert_int_equal(
					xg_http_normalise(&r, &nm, NULL), 0);
				o += (size_t)snprintf(out + o, cap - o, "%s%s",
						      o ? " " : "", nm.path);
				xg_http_body_start(&b, &r);
				fed = off + r.head_len;
				in_body = 1;
			}
			rc = xg_http_body_feed(&b, s + fed, have - fed, &used);
			fed += used;
			if (rc != XG_HTTP_OK)
				break;
			count++;
			off = fed;
			scan = 0;
			in_body = 0;
		}
		if (rc != XG_HTTP_MORE)
			break;
	}
	*last_rc = rc;
	return count;
}

static void test_pipelined(void **state)
{
	const char *s = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
			"POST /b/../c HTTP/1.1\r\nHost: h\r\n"
			"Content-Length: 27\r\n\r\n"
			"GET /not-a-request HTTP/1.1"
			"PUT /%7ed HTTP/1.1\r\nHost: h\r\n"
			"Transfer-Encoding: chunked\r\n\r\n"
			"1e\r\nGET /smuggled HTTP/1.1\r\nX: y\r\n\r\n0\r\n\r\n"
			"\r\n" /* a stray CRLF after a body */
			"GET /e?q HTTP/1.0\r\n\r\n"
			"GET /f HTTP/1.1\r\nHost: h\r\n";
	static const size_t steps[] = {0, 1, 2, 3, 5, 8, 13, 64};
	char paths[256];
	size_t i;
	int rc, count;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		count = pipeline(s, strlen(s), steps[i], paths, sizeof(paths),
				 &rc);
		assert_int_equal(count, 4);
		assert_int_equal(rc, XG_HTTP_MORE);
		/* The last head is not whole: seen but not counted. */
		assert_string_equal(paths, "/a /c /~d /e?q");
	}

	/* A refused head stops the connection where it is. */
	s = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		count = pipeline(s, strlen(s), steps[i], paths, sizeof(paths),
				 &rc);
		assert_int_equal(count, 1);
		assert_int_equal(rc, XG_HTTP_BAD);
		assert_string_equal(paths, "/a");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_post_content_length),
		cmocka_unit_test(test_content_length_repeated),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_http10_without_host),
		cmocka_unit_test(test_many_headers),
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_host_forms),
		cmocka_unit_test(test_bad_request_line),
		cmocka_unit_test(test_bad_target),
		cmocka_unit_test(test_bad_line_ends),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_bad_framing),
		cmocka_unit_test(test_bad_content_length),
		cmocka_unit_test(test_bad_host),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_scan_hint),
		cmocka_unit_test(test_normalise_table),
		cmocka_unit_test(test_normalise_query_and_form),
		cmocka_unit_test(test_normalise_too_long),
		cmocka_unit_test(test_normalise_idempotent),
		cmocka_unit_test(test_body_length),
		cmocka_unit_test(test_body_chunked),
		cmocka_unit_test(test_body_chunked_bad),
		cmocka_unit_test(test_body_sticky),
		cmocka_unit_test(test_pipelined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
