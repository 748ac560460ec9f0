// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for ctrl/kv/etcd_stream: the input after its first
 * byte is a watch stream as etcd's gateway might send it; the first byte
 * picks how it is cut into chunks.  Beyond "no sanitizer report":
 * chunking changes nothing (same lines, same end state as feeding it
 * whole); a line is never blank, never holds '\n', never passes the
 * limit; every line goes through every decoder, whose answer is 0 with
 * a well-formed result, or an error with a message and nothing to free;
 * and base64 that decodes re-encodes to the same text (one encoding per
 * value).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/kv/etcd_stream.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/* Small, so that over-long lines are reached often. */
#define LINE_MAX_FUZZ 2048

struct seen {
	uint64_t hash;
	size_t n;
	bool decode; /* run the decoders (once per input is enough) */
};

static bool errno_ok(int ret)
{
	switch (ret) {
	case -EBADMSG:
	case -ENOMEM:
	case -ECANCELED:
	case -EINVAL:
	case -ETIMEDOUT:
	case -ENOENT:
	case -EEXIST:
	case -EPERM:
	case -ENOSPC:
	case -EAGAIN:
	case -ERANGE:
	case -EOPNOTSUPP:
	case -EACCES:
	case -EIO:
		return true;
	default:
		return false;
	}
}

static void check_kv(const struct xg_etcd_kv *kv)
{
	CHECK(kv->key && kv->val);
	CHECK(kv->key[kv->key_len] == '\0');
	CHECK(kv->val[kv->val_len] == '\0');
	CHECK(kv->mod_revision > 0);
	CHECK(kv->create_revision >= 0 && kv->version >= 0 && kv->lease >= 0);
}

static void decode_all(const char *line, size_t len)
{
	struct xg_etcd_watch_msg m;
	struct xg_etcd_range r;
	struct xg_etcd_txn t;
	struct xg_err err;
	int64_t a, b;
	size_t i;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = xg_etcd_decode_watch(line, len, &m, &err);
	if (ret) {
		CHECK(errno_ok(ret) && err.msg[0]);
		CHECK(!m.events && !m.n_events);
	} else {
		for (i = 0; i < m.n_events; i++) {
			check_kv(&m.events[i].kv);
			CHECK(!i || m.events[i].kv.mod_revision >=
					    m.events[i - 1].kv.mod_revision);
		}
		if (xg_etcd_watch_msg_is_progress(&m))
			CHECK(m.revision > 0);
		xg_etcd_watch_msg_free(&m);
	}

	memset(&err, 0, sizeof(err));
	ret = xg_etcd_decode_range(line, len, &r, &err);
	if (ret) {
		CHECK(errno_ok(ret) && err.msg[0] && !r.kvs);
	} else {
		CHECK(r.revision > 0 && r.count >= 0);
		for (i = 0; i < r.n_kvs; i++)
			check_kv(&r.kvs[i]);
		xg_etcd_range_free(&r);
	}

	memset(&err, 0, sizeof(err));
	ret = xg_etcd_decode_txn(line, len, &t, &err);
	if (ret) {
		CHECK(errno_ok(ret) && err.msg[0] && !t.range.kvs);
	} else {
		CHECK(t.revision > 0);
		for (i = 0; i < t.range.n_kvs; i++)
			check_kv(&t.range.kvs[i]);
		xg_etcd_txn_free(&t);
	}

	ret = xg_etcd_decode_lease(line, len, &a, &b, &err);
	CHECK(ret ? errno_ok(ret) && !a && !b : a > 0);
	ret = xg_etcd_decode_header(line, len, &a, &err);
	CHECK(ret ? errno_ok(ret) : a > 0);
	ret = xg_etcd_decode_error(line, len, &err);
	CHECK(ret < 0 && errno_ok(ret));
}

static void check_b64(const char *s, size_t len)
{
	char *dec = malloc(len / 4 * 3 + 1), *enc;
	size_t n;

	if (!dec)
		return;
	if (!xg_etcd_b64_decode(s, len, dec, &n)) {
		CHECK(n <= len / 4 * 3);
		enc = malloc(xg_etcd_b64_enc_len(n) + 1);
		if (enc) {
			CHECK(xg_etcd_b64_encode(dec, n, enc) == len);
			CHECK(!memcmp(enc, s, len));
			free(enc);
		}
	}
	free(dec);
}

static int on_line(const char *line, size_t len, void *arg)
{
	struct seen *s = arg;
	size_t i;
	bool blank = true;

	CHECK(len && len <= LINE_MAX_FUZZ);
	CHECK(!memchr(line, '\n', len));
	CHECK(line[len - 1] != '\r');
	for (i = 0; i < len; i++) {
		blank &= line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
		s->hash = (s->hash ^ (unsigned char)line[i]) * 1099511628211ULL;
	}
	CHECK(!blank);
	s->hash = (s->hash ^ 0x100) * 1099511628211ULL; /* line end */
	s->n++;
	if (s->decode) {
		decode_all(line, len);
		check_b64(line, len);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen whole = {14695981039346656037ULL, 0, true};
	struct seen cut = {14695981039346656037ULL, 0, false};
	struct xg_etcd_lines l;
	int ret_whole, ret_cut = 0;
	uint32_t rnd;
	size_t off, n;

	if (!size)
		return 0;
	rnd = data[0] * 2654435761u + 1;
	data++;
	size--;

	xg_etcd_lines_init(&l, LINE_MAX_FUZZ);
	ret_whole = xg_etcd_lines_feed(&l, data, size, on_line, &whole);
	if (!ret_whole)
		ret_whole = xg_etcd_lines_flush(&l, on_line, &whole);
	CHECK(ret_whole == 0 || ret_whole == -E2BIG);
	xg_etcd_lines_free(&l);

	/* The same bytes in chunks of 1 to 64, a second time after a reset
	 * mid-way to check that reset leaves nothing behind. */
	xg_etcd_lines_init(&l, LINE_MAX_FUZZ);
	for (off = 0; off < size && !ret_cut; off += n) {
		rnd = rnd * 1103515245u + 12345u;
		n = (rnd >> 16) % 64 + 1;
		if (n > size - off)
			n = size - off;
		ret_cut = xg_etcd_lines_feed(&l, data + off, n, on_line, &cut);
	}
	if (!ret_cut)
		ret_cut = xg_etcd_lines_flush(&l, on_line, &cut);
	CHECK(ret_cut == ret_whole);
	CHECK(cut.n == whole.n && cut.hash == whole.hash);
	xg_etcd_lines_reset(&l);
	CHECK(l.len == 0 && l.err == 0);
	xg_etcd_lines_free(&l);
	return 0;
}
