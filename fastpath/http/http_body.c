// SPDX-License-Identifier: GPL-2.0-only
/*
 * Request-body follower (see http_body.h).  A byte-driven state machine
 * over the chunked framing (RFC 9112 7.1), whose data bytes, like a
 * Content-Length body's, are skipped in bulk: where it is depends only
 * on the bytes it has been given, never on how they were split.
 */
#include "fastpath/http/http_body.h"

/*
 * B_LENGTH and B_DATA skip left bytes (a Content-Length body, a chunk's
 * data); B_SIZE0..B_SIZE_LF read a chunk-size line (first digit, more
 * digits, whitespace that only ';' may follow, extensions, LF);
 * B_DATA_CR/LF the CRLF after a chunk's data; B_TRL_* a trailer line or,
 * at B_TRL_START, the final CRLF whose LF B_END_LF waits for.
 */
enum {
	B_DONE,
	B_BAD,
	B_LENGTH,
	B_SIZE0,
	B_SIZE,
	B_SIZE_BWS,
	B_EXT,
	B_SIZE_LF,
	B_DATA,
	B_DATA_CR,
	B_DATA_LF,
	B_TRL_START,
	B_TRL_NAME,
	B_TRL_VALUE,
	B_TRL_LF,
	B_END_LF,
};

void xg_http_body_start(struct xg_http_body *b, const struct xg_http_req *r)
{
	b->left = 0;
	b->size = 0;
	b->line = 0;
	b->trailer = 0;
	b->digits = 0;
	b->n_trailers = 0;
	b->why = NULL;
	switch (r->body) {
	case XG_HTTP_BODY_LENGTH:
		b->left = r->content_length;
		b->state = b->left ? B_LENGTH : B_DONE;
		break;
	case XG_HTTP_BODY_CHUNKED:
		b->state = B_SIZE0;
		break;
	default:
		b->state = B_DONE;
		break;
	}
}

static int is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* One byte of a chunk-size line (size, extensions, CRLF). */
static const char *size_line(struct xg_http_body *b, unsigned char c)
{
	int h = xg_http_hexval(c);

	if (++b->line > XG_HTTP_CHUNK_LINE_MAX)
		return "chunk-size line longer than 4096 bytes";
	if (c == '\n' && b->state != B_SIZE_LF)
		return "bare LF in chunk-size line";

	switch (b->state) {
	case B_SIZE0:
		if (h < 0)
			return "invalid chunk size";
		b->size = (unsigned long long)h;
		b->digits = 1;
		b->state = B_SIZE;
		return NULL;
	case B_SIZE:
		if (h >= 0) {
			/* 16 digits fill 64 bits: no overflow. */
			if (++b->digits > 16)
				return "chunk size of more than 16 hex digits";
			b->size = b->size << 4 | (unsigned long long)h;
		} else if (c == ';') {
			b->state = B_EXT;
		} else if (is_ows(c)) {
			b->state = B_SIZE_BWS;
		} else if (c == '\r') {
			b->state = B_SIZE_LF;
		} else {
			return "invalid chunk size";
		}
		return NULL;
	case B_SIZE_BWS:
		if (c == ';')
			b->state = B_EXT;
		else if (!is_ows(c))
			return "whitespace after chunk size without extension";
		return NULL;
	case B_EXT:
		if (c == '\r')
			b->state = B_SIZE_LF;
		else if (!xg_http_fvchar(c))
			return "invalid character in chunk extension";
		return NULL;
	default: /* B_SIZE_LF */
		if (c != '\n')
			return "bare CR in chunk-size line";
		b->line = 0;
		if (b->size) {
			b->left = b->size;
			b->state = B_DATA;
		} else {
			b->state = B_TRL_START;
		}
		return NULL;
	}
}

/* One byte of the trailer section (lines like header lines, then CRLF). */
static const char *trailer(struct xg_http_body *b, unsigned char c)
{
	if (++b->trailer > XG_HTTP_TRAILER_MAX)
		return "trailer section too long";
	if (c == '\n' && b->state != B_TRL_LF && b->state != B_END_LF)
		return "bare LF in trailer section";

	switch (b->state) {
	case B_TRL_START:
		if (c == '\r') {
			b->state = B_END_LF;
		} else if (is_ows(c)) {
			return "obs-fold (trailer line starting with SP or HT)";
		} else if (c == ':') {
			return "empty trailer field name";
		} else if (xg_http_tchar(c)) {
			if (++b->n_trailers > XG_HTTP_MAX_TRAILERS)
				return "too many trailer fields";
			b->state = B_TRL_NAME;
		} else {
			return "invalid character in trailer field name";
		}
		return NULL;
	case B_TRL_NAME:
		if (c == ':')
			b->state = B_TRL_VALUE;
		else if (is_ows(c))
			return "whitespace between trailer field name and "
			       "colon";
		else if (c == '\r')
			return "trailer line without colon";
		else if (!xg_http_tchar(c))
			return "invalid character in trailer field name";
		return NULL;
	case B_TRL_VALUE:
		if (c == '\r')
			b->state = B_TRL_LF;
		else if (!xg_http_fvchar(c))
			return "invalid character in trailer field value";
		return NULL;
	case B_TRL_LF:
		if (c != '\n')
			return "bare CR in trailer section";
		b->state = B_TRL_START;
		return NULL;
	default: /* B_END_LF */
		if (c != '\n')
			return "bare CR in trailer section";
		b->state = B_DONE;
		return NULL;
	}
}

int xg_http_body_feed(struct xg_http_body *b, const void *p, size_t n,
		      size_t *used)
{
	const unsigned char *s = p;
	const char *why;
	size_t i = 0;

	while (i < n && b->state != B_DONE && b->state != B_BAD) {
		unsigned long long take;

		switch (b->state) {
		case B_LENGTH:
		case B_DATA:
			take = n - i < b->left ? n - i : b->left;
			i += (size_t)take;
			b->left -= take;
			if (b->left)
				continue;
			if (b->state == B_LENGTH)
				b->state = B_DONE;
			else
				b->state = B_DATA_CR;
			continue;
		case B_DATA_CR:
		case B_DATA_LF:
			if (s[i] != (b->state == B_DATA_CR ? '\r' : '\n')) {
				why = "chunk data not followed by CRLF";
				goto bad;
			}
			b->state = b->state == B_DATA_CR ? B_DATA_LF : B_SIZE0;
			break;
		case B_SIZE0:
		case B_SIZE:
		case B_SIZE_BWS:
		case B_EXT:
		case B_SIZE_LF:
			why = size_line(b, s[i]);
			if (why)
				goto bad;
			break;
		default:
			why = trailer(b, s[i]);
			if (why)
				goto bad;
			break;
		}
		i++;
	}
	*used = i;
	if (b->state == B_DONE)
		return XG_HTTP_OK;
	if (b->state == B_BAD)
		return XG_HTTP_BAD;
	return XG_HTTP_MORE;

bad:
	b->state = B_BAD;
	b->why = why;
	*used = i;
	return XG_HTTP_BAD;
}

unsigned long long xg_http_body_known_left(const struct xg_http_body *b)
{
	return b->state == B_LENGTH ? b->left : 0;
}
