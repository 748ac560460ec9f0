// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request-target and host normaliser (see http_norm.h and docs/l7.md).
 * Everything happens in n->path: the path is percent-normalised into it
 * (which never lengthens it), its dot-segments removed in place (the
 * write position never passes the read position), then the query is
 * appended.  Linear in the target; no recursion, no allocation.
 */
#include <string.h>

#include "fastpath/http/http_norm.h"

static const char *const auth_why[] = {
	[XG_HTTP_AUTH_EMPTY] = "no host in the request-target authority",
	[XG_HTTP_AUTH_USERINFO] = "userinfo (user@) in the request-target",
	[XG_HTTP_AUTH_CHAR] = "invalid character in the request-target host",
	[XG_HTTP_AUTH_IPV6] = "invalid IPv6 address in the request-target",
	[XG_HTTP_AUTH_PORT] = "invalid port in the request-target",
};

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return XG_HTTP_BAD;
}

static int is_method(const struct xg_http_req *r, const char *m)
{
	size_t n = strlen(m);

	return r->method.n == n && !memcmp(r->method.p, m, n);
}

/*
 * RFC 3986 5.2.4 on p[0..len), which starts with '/': every segment is
 * looked at once, and the output (p[0..w), w never past the read
 * position) only ever loses what it got.  Repeated slashes are empty
 * segments and stay.  Returns the new length.
 */
static size_t remove_dots(char *p, size_t len)
{
	size_t r = 0, w = 0;

	while (r < len) {
		size_t s = r + 1, e = s;

		while (e < len && p[e] != '/')
			e++;
		if (e - s == 1 && p[s] == '.') {
			/* "/./" -> "/", a final "/." -> "/" */
			if (e == len)
				p[w++] = '/';
		} else if (e - s == 2 && p[s] == '.' && p[s + 1] == '.') {
			/* "/../" -> "/" and the last output segment goes;
			 * nothing to remove above the root. */
			while (w > 0 && p[--w] != '/')
				;
			if (e == len)
				p[w++] = '/';
		} else {
			memmove(p + w, p + r, e - r);
			w += e - r;
		}
		r = e;
	}
	return w;
}

/*
 * The path part of src[0..len) (up to its first '?'), percent-normalised
 * into n->path after a '/' if slash, dot-segments removed, then the
 * query as sent.
 */
static int norm_path(struct xg_http_norm *n, const char *src, size_t len,
		     int slash, const char **why)
{
	const size_t cap = XG_HTTP_NORM_MAX - 1;
	const char *q = memchr(src, '?', len);
	size_t plen = q ? (size_t)(q - src) : len, i, w = 0;
	char *o = n->path;

	if (slash)
		o[w++] = '/';
	for (i = 0; i < plen; i++) {
		int hi, lo, v;

		if (src[i] != '%') {
			if (w >= cap)
				goto too_long;
			o[w++] = src[i];
			continue;
		}
		if (plen - i < 3)
			return fail(why, "invalid percent-encoding in path");
		hi = xg_http_hexval((unsigned char)src[i + 1]);
		lo = xg_http_hexval((unsigned char)src[i + 2]);
		if (hi < 0 || lo < 0)
			return fail(why, "invalid percent-encoding in path");
		v = hi << 4 | lo;
		if (xg_http_unreserved((unsigned char)v)) {
			if (w >= cap)
				goto too_long;
			o[w++] = (char)v;
		} else {
			if (cap - w < 3)
				goto too_long;
			o[w++] = '%';
			o[w++] = "0123456789ABCDEF"[hi];
			o[w++] = "0123456789ABCDEF"[lo];
		}
		i += 2;
	}
	w = remove_dots(o, w);
	n->query = w;
	if (q) {
		size_t qn = len - plen;

		if (cap - w < qn)
			goto too_long;
		memcpy(o + w, q, qn);
		w += qn;
	}
	o[w] = 0;
	n->path_n = w;
	return 0;

too_long:
	return fail(why, "request-target too long once normalised");
}

static int set_host(struct xg_http_norm *n, const char *p, size_t len,
		    const char **why)
{
	size_t i;

	if (len >= sizeof(n->host))
		return fail(why, "host longer than 255 bytes");
	for (i = 0; i < len; i++) {
		char c = p[i];

		n->host[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	}
	n->host[len] = 0;
	n->host_n = len;
	return 0;
}

/* "http://" or "https://" at the start of t, any case: its length. */
static size_t http_scheme(const char *t, size_t n)
{
	static const char *const schemes[] = {"https://", "http://"};
	size_t k, j;

	for (k = 0; k < 2; k++) {
		size_t sl = strlen(schemes[k]);

		if (n < sl)
			continue;
		for (j = 0; j < sl; j++) {
			char c = t[j];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != schemes[k][j])
				break;
		}
		if (j == sl)
			return sl;
	}
	return 0;
}

/* scheme ":" at the start of t (RFC 3986 3.1). */
static int has_scheme(const char *t, size_t n)
{
	size_t i;

	if (!n || !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < n; i++) {
		char c = t[i];

		if (c == ':')
			return 1;
		if (!(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 0;
}

int xg_http_normalise(const struct xg_http_req *r, struct xg_http_norm *n,
		      const char **why)
{
	const char *t = r->target.p, *auth = NULL;
	size_t tn = r->target.n, an = 0, sl;
	int rc;

	n->path[0] = 0;
	n->path_n = 0;
	n->query = 0;
	n->host[0] = 0;
	n->host_n = 0;

	if (is_method(r, "CONNECT")) {
		rc = xg_http_authority_check(t, tn, 1);
		if (rc)
			return fail(why, rc == XG_HTTP_AUTH_PORT
						 ? "CONNECT needs host:port"
						 : auth_why[rc]);
		n->form = XG_HTTP_FORM_AUTHORITY;
		auth = t;
		an = tn;
	} else if (tn == 1 && t[0] == '*') {
		if (!is_method(r, "OPTIONS"))
			return fail(why, "asterisk-form (*) only with OPTIONS");
		n->form = XG_HTTP_FORM_ASTERISK;
		n->path[0] = '*';
		n->path[1] = 0;
		n->path_n = n->query = 1;
	} else if (tn && t[0] == '/') {
		n->form = XG_HTTP_FORM_ORIGIN;
		rc = norm_path(n, t, tn, 0, why);
		if (rc)
			return rc;
	} else if ((sl = http_scheme(t, tn))) {
		size_t e = sl;

		while (e < tn && t[e] != '/' && t[e] != '?')
			e++;
		auth = t + sl;
		an = e - sl;
		rc = xg_http_authority_check(auth, an, 0);
		if (rc)
			return fail(why, auth_why[rc]);
		n->form = XG_HTTP_FORM_ABSOLUTE;
		/* An empty path is "/" (RFC 9112 3.2.1). */
		rc = norm_path(n, t + e, tn - e, e == tn || t[e] == '?', why);
		if (rc)
			return rc;
	} else if (!xg_http_authority_check(t, tn, 1)) {
		return fail(why, "authority-form only with CONNECT");
	} else if (has_scheme(t, tn)) {
		return fail(why,
			    "absolute-form other than http:// or https://");
	} else {
		return fail(why, "request-target of no known form");
	}

	/* The target's authority overrides Host (RFC 9112 3.2.2). */
	if (!auth && r->host >= 0) {
		auth = r->hdrs[r->host].value.p;
		an = r->hdrs[r->host].value.n;
	}
	if (auth)
		return set_host(n, auth, an, why);
	return 0;
}
