// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request-target and host normaliser of the L7 fast path: turns a parsed
 * head (http_parse.h) into the path and host that L7 policies match,
 * the way docs/l7.md ("HTTP parsing and normalisation") writes down:
 * the form of the target checked against the method, unreserved
 * percent-escapes decoded and the others upper-cased, dot-segments
 * removed, the query kept as sent, the host lower-cased.  So that
 * `path: /public/.*` means the same whatever spelling a client chooses.
 */
#ifndef XGATE_FASTPATH_HTTP_HTTP_NORM_H
#define XGATE_FASTPATH_HTTP_HTTP_NORM_H

#include <stddef.h>

#include "fastpath/http/http_parse.h"

/*
 * Bytes of the normalised path and query, plus its NUL: bounds struct
 * xg_http_norm.  A target is at most a head long and normalising only
 * shrinks a path, so with the default max_head nothing a head can carry
 * is refused for length; a target whose percent-decoded path plus query
 * does not fit is BAD.
 */
#ifndef XG_HTTP_NORM_MAX
#define XG_HTTP_NORM_MAX XG_HTTP_MAX_HEAD
#endif

/* A host name is at most 255 bytes (RFC 1035); a port and brackets are
 * counted in it too, and one byte is for the NUL. */
#define XG_HTTP_HOST_MAX 256

enum xg_http_form {
	XG_HTTP_FORM_ORIGIN,	/* /path?query */
	XG_HTTP_FORM_ABSOLUTE,	/* http://authority/path?query */
	XG_HTTP_FORM_AUTHORITY, /* host:port, CONNECT only */
	XG_HTTP_FORM_ASTERISK,	/* *, OPTIONS only */
};

/* What a policy matches.  path and host are also NUL-terminated. */
struct xg_http_norm {
	/* Normalised path, then '?' and the query as sent if there is one;
	 * "*" for asterisk-form, "" for authority-form. */
	char path[XG_HTTP_NORM_MAX];
	size_t path_n;
	size_t query; /* index of the '?' in path, path_n if none */
	/* Lower-case host with its port as sent, from the target's
	 * authority if it has one, else from Host.  host_n is 0 only when
	 * the request names no host at all (HTTP/1.0 without Host): a
	 * matcher should see that as "no host", not as "". */
	char host[XG_HTTP_HOST_MAX];
	size_t host_n;
	enum xg_http_form form;
};

/* Fills n from r (a request xg_http_parse_head() said XG_HTTP_OK of);
 * returns 0 or XG_HTTP_BAD, and then sets *why (if why) to a static
 * string saying why.  n is not to be used after XG_HTTP_BAD. */
int xg_http_normalise(const struct xg_http_req *r, struct xg_http_norm *n,
		      const char **why);

#endif /* XGATE_FASTPATH_HTTP_HTTP_NORM_H */
