// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTTP/1.x request-head parser (see http_parse.h, and docs/l7.md for the
 * rules).  Two passes over a head, both linear:
 *
 * 1. The scan looks for the end of the head (CRLFCRLF after the request
 *    line) and refuses NUL, bare CR and bare LF on the way.  It keeps no
 *    state but the caller's *scan offset (everything it needs to look back
 *    at is in the buffer), so a head that arrives a byte at a time is
 *    scanned once in all.  Bytes past max_head are never looked at: that
 *    the answer is TOO_LARGE or BAD never depends on them.
 * 2. Once the end is there, the lines are parsed into the request, once.
 *    Line syntax is checked in that pass only: the answer depends on the
 *    bytes of the head, not on how they arrived.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include "fastpath/http/http_parse.h"

/* ------------------------------------------------- character classes -- */

enum { C_TCHAR = 1, C_UNRES = 2 };

static const unsigned char cls[256] = {
	['0' ... '9'] = C_TCHAR | C_UNRES,
	['A' ... 'Z'] = C_TCHAR | C_UNRES,
	['a' ... 'z'] = C_TCHAR | C_UNRES,
	['-'] = C_TCHAR | C_UNRES,
	['.'] = C_TCHAR | C_UNRES,
	['_'] = C_TCHAR | C_UNRES,
	['~'] = C_TCHAR | C_UNRES,
	['!'] = C_TCHAR,
	['#'] = C_TCHAR,
	['$'] = C_TCHAR,
	['%'] = C_TCHAR,
	['&'] = C_TCHAR,
	['\''] = C_TCHAR,
	['*'] = C_TCHAR,
	['+'] = C_TCHAR,
	['^'] = C_TCHAR,
	['`'] = C_TCHAR,
	['|'] = C_TCHAR,
};

int xg_http_tchar(unsigned char c)
{
	return cls[c] & C_TCHAR;
}

int xg_http_unreserved(unsigned char c)
{
	return cls[c] & C_UNRES;
}

int xg_http_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* s[0..n) equals the lower-case NUL-terminated lc, ignoring case. */
static int ieq(const char *s, size_t n, const char *lc)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!lc[i] || lower((unsigned char)s[i]) != lower(lc[i]))
			return 0;
	return !lc[n];
}

/* --------------------------------------------------------- authority -- */

int xg_http_authority_check(const char *p, size_t n, int need_port)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned int port = 0;
	size_t i = 0, j;

	if (!n)
		return XG_HTTP_AUTH_EMPTY;
	if (memchr(p, '@', n))
		return XG_HTTP_AUTH_USERINFO;
	if (s[0] == '[') {
		/* IP-literal; IPvFuture and zone IDs are refused. */
		struct in6_addr a;
		char tmp[INET6_ADDRSTRLEN];
		const char *close = memchr(p, ']', n);
		size_t hl;

		if (!close)
			return XG_HTTP_AUTH_IPV6;
		hl = (size_t)(close - p) - 1;
		if (!hl || hl >= sizeof(tmp))
			return XG_HTTP_AUTH_IPV6;
		for (j = 0; j < hl; j++) {
			if (xg_http_hexval(s[1 + j]) < 0 && s[1 + j] != ':' &&
			    s[1 + j] != '.')
				return XG_HTTP_AUTH_IPV6;
			tmp[j] = (char)s[1 + j];
		}
		tmp[hl] = 0;
		if (inet_pton(AF_INET6, tmp, &a) != 1)
			return XG_HTTP_AUTH_IPV6;
		i = hl + 2;
		if (i < n && s[i] != ':')
			return XG_HTTP_AUTH_IPV6;
	} else {
		/* reg-name or IPv4address: both are unreserved characters. */
		while (i < n && s[i] != ':') {
			if (!xg_http_unreserved(s[i]))
				return XG_HTTP_AUTH_CHAR;
			i++;
		}
		if (!i)
			return XG_HTTP_AUTH_EMPTY;
	}
	if (i == n)
		return need_port ? XG_HTTP_AUTH_PORT : XG_HTTP_AUTH_OK;
	i++; /* ':' */
	if (n - i < 1 || n - i > 5)
		return XG_HTTP_AUTH_PORT;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return XG_HTTP_AUTH_PORT;
		port = port * 10 + (s[i] - '0');
	}
	return port > 65535 ? XG_HTTP_AUTH_PORT : XG_HTTP_AUTH_OK;
}

static const char *const host_why[] = {
	[XG_HTTP_AUTH_EMPTY] = "empty Host",
	[XG_HTTP_AUTH_USERINFO] = "userinfo (user@) in Host",
	[XG_HTTP_AUTH_CHAR] = "invalid character in Host",
	[XG_HTTP_AUTH_IPV6] = "invalid IPv6 address in Host",
	[XG_HTTP_AUTH_PORT] = "invalid port in Host",
};

/* ------------------------------------------------------------- lines -- */

static int bad(struct xg_http_req *out, const char *why)
{
	out->why = why;
	return XG_HTTP_BAD;
}

static int too_large(struct xg_http_req *out, const char *why)
{
	out->why = why;
	return XG_HTTP_TOO_LARGE;
}

/* method SP request-target SP HTTP-version, l[0..n) without its CRLF. */
static int parse_request_line(const unsigned char *l, size_t n,
			      struct xg_http_req *out)
{
	size_t i = 0, t;

	while (i < n && xg_http_tchar(l[i]))
		i++;
	if (!i)
		return bad(out, "request line does not start with a method");
	if (i == n)
		return bad(out, "request line has only a method");
	if (l[i] != ' ')
		return bad(out, "invalid character in method");
	out->method.p = (const char *)l;
	out->method.n = i;

	t = ++i;
	for (; i < n && l[i] != ' '; i++) {
		if (l[i] == '#')
			return bad(out, "fragment (#) in request-target");
		/* A backslash is a separator to some servers: a path
		 * policy would not see the path they serve. */
		if (l[i] == '\\')
			return bad(out, "backslash in request-target");
		if (l[i] < 0x21 || l[i] > 0x7e)
			return bad(out, "invalid character in request-target");
	}
	if (i == t)
		return bad(out, "empty request-target (more than one SP?)");
	out->target.p = (const char *)l + t;
	out->target.n = i - t;
	if (i == n)
		return bad(out, "no HTTP version in the request line");

	i++;
	if (n - i != 8 || memcmp(l + i, "HTTP/1.", 7) ||
	    (l[i + 7] != '0' && l[i + 7] != '1'))
		return bad(out, "HTTP version is not HTTP/1.0 or HTTP/1.1");
	out->minor = l[i + 7] - '0';
	return XG_HTTP_OK;
}

/* field-name ":" OWS field-value OWS, l[0..n) without its CRLF (n > 0). */
static int parse_field(const unsigned char *l, size_t n, struct xg_http_hdr *h,
		       struct xg_http_req *out)
{
	size_t i = 0, e;

	if (is_ows(l[0]))
		return bad(out,
			   "obs-fold (header line starting with SP or HT)");
	while (i < n && xg_http_tchar(l[i]))
		i++;
	if (i < n && is_ows(l[i])) {
		e = i;
		while (e < n && is_ows(l[e]))
			e++;
		if (e < n && l[e] == ':' && i)
			return bad(out,
				   "whitespace between field name and colon");
		return bad(out, "invalid character in field name");
	}
	if (i == n)
		return bad(out, "header line without colon");
	if (l[i] != ':')
		return bad(out, "invalid character in field name");
	if (!i)
		return bad(out, "empty field name");
	h->name.p = (const char *)l;
	h->name.n = i;

	i++;
	while (i < n && is_ows(l[i]))
		i++;
	e = n;
	while (e > i && is_ows(l[e - 1]))
		e--;
	h->value.p = (const char *)l + i;
	h->value.n = e - i;
	for (; i < e; i++)
		if (!xg_http_fvchar(l[i]))
			return bad(out, "invalid character in field value");
	return XG_HTTP_OK;
}

/*
 * Content-Length = 1*DIGIT, or a list of them that all say the same
 * (RFC 9110 8.6).  0, or -1 if not that, -2 if 2^63 or more, -3 if the
 * list disagrees with itself or with *v (when *have).
 */
static int parse_cl(const char *p, size_t n, unsigned long long *v, int *have)
{
	size_t i = 0;

	for (;;) {
		unsigned long long x = 0;

		while (i < n && is_ows((unsigned char)p[i]))
			i++;
		if (i == n || p[i] < '0' || p[i] > '9')
			return -1;
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			unsigned int d = (unsigned int)(p[i] - '0');

			if (x > ((unsigned long long)LLONG_MAX - d) / 10)
				return -2;
			x = x * 10 + d;
		}
		if (*have && x != *v)
			return -3;
		*v = x;
		*have = 1;
		while (i < n && is_ows((unsigned char)p[i]))
			i++;
		if (i == n)
			return 0;
		if (p[i] != ',')
			return -1;
		i++;
	}
}

/* What the fields say together: framing and Host. */
static int check_fields(struct xg_http_req *out)
{
	unsigned long long cl = 0;
	size_t k, n_te = 0, te = 0;
	int have_cl = 0, rc;

	for (k = 0; k < out->n_hdrs; k++) {
		const struct xg_http_hdr *h = &out->hdrs[k];

		if (ieq(h->name.p, h->name.n, "host")) {
			if (out->host >= 0)
				return bad(out, "more than one Host field");
			out->host = (int)k;
		} else if (ieq(h->name.p, h->name.n, "transfer-encoding")) {
			n_te++;
			te = k;
		} else if (ieq(h->name.p, h->name.n, "content-length")) {
			rc = parse_cl(h->value.p, h->value.n, &cl, &have_cl);
			if (rc == -2)
				return bad(out,
					   "Content-Length of 2^63 or more");
			if (rc == -3)
				return bad(out,
					   "conflicting Content-Length values");
			if (rc)
				return bad(out, "invalid Content-Length");
		}
	}

	if (n_te && have_cl)
		return bad(out, "both Content-Length and Transfer-Encoding");
	if (n_te) {
		const struct xg_http_str *v = &out->hdrs[te].value;

		if (!out->minor)
			return bad(out,
				   "Transfer-Encoding in an HTTP/1.0 request");
		if (n_te > 1)
			return bad(out,
				   "more than one Transfer-Encoding field");
		if (!ieq(v->p, v->n, "chunked"))
			return bad(out, "Transfer-Encoding other than chunked");
		out->body = XG_HTTP_BODY_CHUNKED;
	} else if (have_cl) {
		out->body = XG_HTTP_BODY_LENGTH;
		out->content_length = cl;
	}

	if (out->host < 0) {
		if (out->minor)
			return bad(out, "HTTP/1.1 request without Host");
	} else {
		const struct xg_http_str *v = &out->hdrs[out->host].value;

		rc = xg_http_authority_check(v->p, v->n, 0);
		if (rc)
			return bad(out, host_why[rc]);
	}
	return XG_HTTP_OK;
}

/*
 * b[pos..end) is a whole head after its leading empty lines: the scan has
 * checked that every CR in it is followed by LF, every LF preceded by CR,
 * that it holds no NUL and that its only empty line is the last.
 */
static int parse_lines(const unsigned char *b, size_t pos, size_t end,
		       size_t max_hdrs, struct xg_http_req *out)
{
	const unsigned char *eol;
	int rc;

	eol = memchr(b + pos, '\r', end - pos);
	rc = parse_request_line(b + pos, (size_t)(eol - b) - pos, out);
	if (rc != XG_HTTP_OK)
		return rc;
	pos = (size_t)(eol - b) + 2;

	while (pos < end - 2) {
		eol = memchr(b + pos, '\r', end - pos);
		if (out->n_hdrs == max_hdrs)
			return too_large(out, "too many header fields");
		rc = parse_field(b + pos, (size_t)(eol - b) - pos,
				 &out->hdrs[out->n_hdrs], out);
		if (rc != XG_HTTP_OK)
			return rc;
		out->n_hdrs++;
		pos = (size_t)(eol - b) + 2;
	}
	return check_fields(out);
}

/* --------------------------------------------------------------- API -- */

int xg_http_parse_head(const void *buf, size_t len,
		       const struct xg_http_limits *lim,
		       struct xg_http_req *out, size_t *scan)
{
	const unsigned char *b = buf;
	size_t max_head = XG_HTTP_MAX_HEAD, max_hdrs = XG_HTTP_MAX_HEADERS;
	size_t win, lead = 0, i, end = 0, zero = 0;
	unsigned int empty = 0;
	int rc;

	if (!scan)
		scan = &zero;

	if (lim && lim->max_head)
		max_head = lim->max_head;
	if (lim && lim->max_headers && lim->max_headers < max_hdrs)
		max_hdrs = lim->max_headers;
	win = len < max_head ? len : max_head;

	out->method.p = out->target.p = NULL;
	out->method.n = out->target.n = 0;
	out->minor = 0;
	out->n_hdrs = 0;
	out->host = -1;
	out->head_len = 0;
	out->body = XG_HTTP_BODY_NONE;
	out->content_length = 0;
	out->why = NULL;

	/* Leading empty lines: at most a few, so this is O(1). */
	for (;;) {
		if (lead >= win || (b[lead] == '\r' && lead + 1 >= win)) {
			i = lead;
			goto incomplete;
		}
		if (b[lead] != '\r')
			break;
		if (b[lead + 1] != '\n')
			return bad(out, "bare CR in the head");
		if (empty == XG_HTTP_MAX_EMPTY_LINES)
			return bad(
				out,
				"too many empty lines before the request line");
		empty++;
		lead += 2;
	}

	/* A hint past the window would skip bytes never scanned. */
	i = *scan > lead && *scan <= win ? *scan : lead;
	for (; i < win; i++) {
		unsigned char c = b[i];

		if (c > '\r')
			continue;
		if (c == '\n') {
			if (i == 0 || b[i - 1] != '\r')
				return bad(out, "bare LF in the head");
			if (i >= lead + 3 && b[i - 2] == '\n' &&
			    b[i - 3] == '\r') {
				end = i + 1;
				break;
			}
		} else if (c == '\r') {
			if (i + 1 >= win)
				break; /* look again when the next byte is in */
			if (b[i + 1] != '\n')
				return bad(out, "bare CR in the head");
		} else if (!c) {
			return bad(out, "NUL in the head");
		}
	}
	if (!end)
		goto incomplete;

	out->head_len = end;
	*scan = end;
	rc = parse_lines(b, lead, end, max_hdrs, out);
	if (rc != XG_HTTP_OK) {
		/* Nothing of a refused head is to be used. */
		out->n_hdrs = 0;
		out->host = -1;
		out->body = XG_HTTP_BODY_NONE;
		out->content_length = 0;
	}
	return rc;

incomplete:
	*scan = i;
	if (len >= max_head)
		return too_large(out, "no end of head within max_head bytes");
	return XG_HTTP_MORE;
}

const struct xg_http_hdr *xg_http_find(const struct xg_http_req *r,
				       const char *name)
{
	size_t k, n = strlen(name);

	for (k = 0; k < r->n_hdrs; k++) {
		const struct xg_http_str *s = &r->hdrs[k].name;
		size_t j;

		if (s->n != n)
			continue;
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s->p[j]) !=
			    lower((unsigned char)name[j]))
				break;
		if (j == n)
			return &r->hdrs[k];
	}
	return NULL;
}
