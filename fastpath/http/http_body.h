// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request-body follower of the L7 fast path: after a head
 * (http_parse.h), counts through its body, Content-Length or chunked, to
 * find where the next request of a keep-alive or pipelined connection
 * starts.  The body itself is not kept and not matched.  Incremental:
 * bytes may come in any split, one at a time included, with the same
 * answer; O(1) state, no allocation.  The chunked rules are in
 * docs/l7.md ("HTTP parsing and normalisation").
 */
#ifndef XGATE_FASTPATH_HTTP_HTTP_BODY_H
#define XGATE_FASTPATH_HTTP_HTTP_BODY_H

#include <stddef.h>

#include "fastpath/http/http_parse.h"

/* Bytes of one chunk-size line, extensions and CRLF included: bounds how
 * long a line the follower reads that carries nothing it uses. */
#ifndef XG_HTTP_CHUNK_LINE_MAX
#define XG_HTTP_CHUNK_LINE_MAX 4096
#endif

/* Trailer fields after the last chunk, and bytes of the whole trailer
 * section (its final CRLF included): the same bounds as a head's. */
#ifndef XG_HTTP_MAX_TRAILERS
#define XG_HTTP_MAX_TRAILERS XG_HTTP_MAX_HEADERS
#endif
#ifndef XG_HTTP_TRAILER_MAX
#define XG_HTTP_TRAILER_MAX XG_HTTP_MAX_HEAD
#endif

/* State of one body: what is left of it, or where the chunked decoder
 * is.  Only http_body.c looks inside. */
struct xg_http_body {
	int state;
	unsigned long long left; /* bytes of the body or of this chunk */
	unsigned long long size; /* chunk size being read */
	size_t line;		 /* bytes of this chunk-size line so far */
	size_t trailer;		 /* bytes of the trailer section so far */
	unsigned int digits;	 /* hex digits of this chunk size */
	unsigned int n_trailers;
	/* Why XG_HTTP_BAD, a static string; NULL otherwise. */
	const char *why;
};

/* Starts following the body r's head announces (none, Content-Length
 * or chunked). */
void xg_http_body_start(struct xg_http_body *b, const struct xg_http_req *r);

/*
 * Consumes body bytes from p[0..n).  Returns XG_HTTP_MORE (all n
 * consumed, body not over; *used = n), XG_HTTP_OK (body over after
 * *used bytes; the next request starts right after) or XG_HTTP_BAD
 * (b->why says why; *used is the offset of the byte refused).  Once OK
 * or BAD, it stays so and consumes nothing more.
 */
int xg_http_body_feed(struct xg_http_body *b, const void *p, size_t n,
		      size_t *used);

/* Bytes left of a body whose length is known (Content-Length); 0 for a
 * chunked body or one that is over.  What lies within them is body,
 * whatever order it arrives in. */
unsigned long long xg_http_body_known_left(const struct xg_http_body *b);

#endif /* XGATE_FASTPATH_HTTP_HTTP_BODY_H */
