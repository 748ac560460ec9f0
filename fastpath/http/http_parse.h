// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTTP/1.x request-head parser of the L7 fast path.  A worker holds the
 * client->server bytes of a flow (in order, from fastpath/flow/) until a
 * whole request head is there, then this says where the head ends, what
 * it says, and how its body is framed (fastpath/http/http_body.h follows
 * the body to the next request).
 *
 * Strict on purpose: whatever a server could read differently from us
 * (bare LF, obs-fold, two framings, two Hosts, ...) is refused, since a
 * policy decision taken on our reading must hold for the server's.  The
 * rules are listed, one by one, in docs/l7.md ("HTTP parsing and
 * normalisation").  Bounded: no allocation, no recursion, nothing read
 * past len, and feeding a head one byte at a time costs O(head) in all.
 */
#ifndef XGATE_FASTPATH_HTTP_HTTP_PARSE_H
#define XGATE_FASTPATH_HTTP_HTTP_PARSE_H

#include <stddef.h>

/*
 * Header fields one head may carry: bounds xg_http_req.hdrs, and so the
 * size of a request on a worker's stack (32 bytes a field on 64-bit).
 * xg_http_limits.max_headers may lower it, not raise it.
 */
#ifndef XG_HTTP_MAX_HEADERS
#define XG_HTTP_MAX_HEADERS 64
#endif

/* Bytes of a head (leading empty lines and the final CRLFCRLF included)
 * when the caller's limits say 0: what a worker holds before deciding. */
#ifndef XG_HTTP_MAX_HEAD
#define XG_HTTP_MAX_HEAD 8192
#endif

/* Empty lines (CRLF) skipped before a request line, as RFC 9112 2.2 asks
 * of a server for robustness (a client's stray CRLF after a body); one
 * more is BAD.  Bounded so that a stream of CRLFs is no request. */
#ifndef XG_HTTP_MAX_EMPTY_LINES
#define XG_HTTP_MAX_EMPTY_LINES 2
#endif

enum xg_http_rc {
	XG_HTTP_MORE = 0,
	XG_HTTP_OK = 1,
	XG_HTTP_BAD = -400,
	XG_HTTP_TOO_LARGE = -431,
};

enum xg_http_body_kind {
	XG_HTTP_BODY_NONE,
	XG_HTTP_BODY_LENGTH,
	XG_HTTP_BODY_CHUNKED,
};

/* Points into the caller's buffer; not NUL-terminated. */
struct xg_http_str {
	const char *p;
	size_t n;
};

struct xg_http_hdr {
	struct xg_http_str name;
	struct xg_http_str value; /* without leading/trailing OWS */
};

/* A zero field takes its default; max_headers above XG_HTTP_MAX_HEADERS
 * is taken as XG_HTTP_MAX_HEADERS. */
struct xg_http_limits {
	size_t max_head;    /* bytes incl. the final CRLFCRLF, default 8192 */
	size_t max_headers; /* <= XG_HTTP_MAX_HEADERS */
};

struct xg_http_req {
	struct xg_http_str method, target;
	int minor; /* HTTP/1.<minor>, 0 or 1 */
	struct xg_http_hdr hdrs[XG_HTTP_MAX_HEADERS];
	size_t n_hdrs;
	int host;	 /* index in hdrs of the Host field, -1 if none */
	size_t head_len; /* bytes of the head including the blank line */
	enum xg_http_body_kind body;
	unsigned long long content_length; /* XG_HTTP_BODY_LENGTH */
	/* Why BAD / TOO_LARGE, a static string; NULL otherwise. */
	const char *why;
};

/*
 * Parses the head at the start of buf[0..len).  *scan is a resume hint
 * the caller keeps per request (0 for a new request; an offset, so it
 * stays right if the buffer moves): after MORE, bytes before it are
 * known to hold no end of head and no stray CR, LF or NUL, and are not
 * looked at again until the head is complete, so feeding one more byte
 * at a time stays linear.  buf must hold the same bytes from 0 on every
 * call.
 *
 * Returns XG_HTTP_MORE (need more bytes, and len < max_head), XG_HTTP_OK
 * (*out describes the head, which is out->head_len bytes), XG_HTTP_BAD
 * (malformed) or XG_HTTP_TOO_LARGE (no end of head within max_head
 * bytes, or too many header fields); out->why says why for the last two.
 * The answer for a given byte string does not depend on how it arrived.
 * lim may be NULL (defaults), and scan NULL for a one-shot parse.
 */
int xg_http_parse_head(const void *buf, size_t len,
		       const struct xg_http_limits *lim,
		       struct xg_http_req *out, size_t *scan);

/* The first field named name (case-insensitive), or NULL. */
const struct xg_http_hdr *xg_http_find(const struct xg_http_req *r,
				       const char *name);

/*
 * Authority check shared by the Host field and the request-target forms
 * that carry one (absolute-form, authority-form): host [":" port], host
 * a reg-name of unreserved characters, an IPv4 address or an IPv6
 * address in brackets, port 1 to 5 digits up to 65535 (required when
 * need_port).  Returns 0 or one of these reasons.
 */
enum xg_http_auth_err {
	XG_HTTP_AUTH_OK = 0,
	XG_HTTP_AUTH_EMPTY,    /* no host */
	XG_HTTP_AUTH_USERINFO, /* "user@host" */
	XG_HTTP_AUTH_CHAR,     /* a reg-name character outside unreserved */
	XG_HTTP_AUTH_IPV6,     /* bad "[...]" */
	XG_HTTP_AUTH_PORT,     /* bad port, or none when one is needed */
};
int xg_http_authority_check(const char *p, size_t n, int need_port);

/* Character classes, shared with the normaliser and the body follower. */
int xg_http_tchar(unsigned char c);	 /* RFC 9110 token character */
int xg_http_unreserved(unsigned char c); /* RFC 3986 unreserved */
int xg_http_hexval(unsigned char c);	 /* 0..15, or -1 */
/* VCHAR, obs-text, SP or HT: what a field value may hold. */
static inline int xg_http_fvchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

#endif /* XGATE_FASTPATH_HTTP_HTTP_PARSE_H */
