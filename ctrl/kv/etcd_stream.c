// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding of what etcd's JSON gateway sends (see etcd_stream.h).  The
 * gateway is Go's grpc-gateway over proto3: fields holding a zero value
 * are left out, int64s are JSON strings, bytes are base64, enums are
 * names (and the zero one, PUT, is left out too).  So "absent" reads as
 * zero here, but a field that is present must have the right type.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "etcd_stream.h"

/* Deeper than anything etcd sends (events[].kv is four levels). */
#define JSON_DEPTH 16
/* A JSON path for errors: "responses[0].response_range.kvs[12].key". */
#define PATH_LEN 128

/* Line splitter */

void xg_etcd_lines_init(struct xg_etcd_lines *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max ? max : XG_ETCD_LINE_MAX;
}

static int emit(const char *s, size_t n, xg_etcd_line_fn fn, void *arg)
{
	size_t i;

	while (n && s[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return fn(s, n, arg);
	return 0;
}

static int append(struct xg_etcd_lines *l, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (n > l->max - l->len)
		return -E2BIG;
	if (l->len + n <= l->cap)
		goto copy;
	cap = l->cap ? l->cap : 4096;
	while (cap < l->len + n)
		cap *= 2;
	if (cap > l->max)
		cap = l->max;
	p = realloc(l->buf, cap);
	if (!p)
		return -ENOMEM;
	l->buf = p;
	l->cap = cap;
copy:
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return 0;
}

/* A watch idles for hours after one big burst: give the memory back. */
static void shrink(struct xg_etcd_lines *l)
{
	if (l->cap > (1u << 20)) {
		free(l->buf);
		l->buf = NULL;
		l->cap = 0;
	}
}

int xg_etcd_lines_feed(struct xg_etcd_lines *l, const void *data, size_t len,
		       xg_etcd_line_fn fn, void *arg)
{
	const char *p = data;
	int ret;

	if (l->err)
		return l->err;
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t take = nl ? (size_t)(nl - p) : len;

		if (!nl || l->len) {
			ret = append(l, p, take);
			if (ret)
				goto fail;
			if (!nl)
				return 0;
			/* Cleared first: fn may stop us, and the next feed
			 * must not see this line again. */
			take = l->len;
			l->len = 0;
			ret = emit(l->buf, take, fn, arg);
			shrink(l);
			take = (size_t)(nl - p);
		} else if (take > l->max) {
			ret = -E2BIG;
			goto fail;
		} else {
			/* The whole line is in this chunk: no copy. */
			ret = emit(p, take, fn, arg);
		}
		if (ret)
			return ret;
		p += take + 1;
		len -= take + 1;
	}
	return 0;
fail:
	l->err = ret;
	l->len = 0;
	free(l->buf);
	l->buf = NULL;
	l->cap = 0;
	return ret;
}

int xg_etcd_lines_flush(struct xg_etcd_lines *l, xg_etcd_line_fn fn, void *arg)
{
	size_t n = l->len;
	int ret;

	if (l->err)
		return l->err;
	l->len = 0;
	ret = n ? emit(l->buf, n, fn, arg) : 0;
	shrink(l);
	return ret;
}

void xg_etcd_lines_reset(struct xg_etcd_lines *l)
{
	l->len = 0;
	l->err = 0;
	shrink(l);
}

void xg_etcd_lines_free(struct xg_etcd_lines *l)
{
	free(l->buf);
	xg_etcd_lines_init(l, l->max);
}

/* Base64 */

static const char b64_abc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t xg_etcd_b64_encode(const void *src, size_t n, char *dst)
{
	const unsigned char *s = src;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		dst[o++] = b64_abc[v >> 18 & 63];
		dst[o++] = b64_abc[v >> 12 & 63];
		dst[o++] = b64_abc[v >> 6 & 63];
		dst[o++] = b64_abc[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		dst[o++] = b64_abc[v >> 18 & 63];
		dst[o++] = b64_abc[v >> 12 & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		dst[o++] = b64_abc[v >> 18 & 63];
		dst[o++] = b64_abc[v >> 12 & 63];
		dst[o++] = b64_abc[v >> 6 & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int xg_etcd_b64_decode(const char *src, size_t n, void *dst, size_t *out_len)
{
	unsigned char *d = dst;
	size_t i, o = 0;
	int a, b, c, v;

	*out_len = 0;
	if (n % 4)
		return -EINVAL;
	for (i = 0; i < n; i += 4) {
		bool last = i + 4 == n;

		a = b64_val(src[i]);
		b = b64_val(src[i + 1]);
		if (a < 0 || b < 0)
			return -EINVAL;
		d[o++] = (unsigned char)(a << 2 | b >> 4);
		/* Padding ends the input, and the bits it leaves over are
		 * zero: one encoding per value, as etcd writes it. */
		if (last && src[i + 2] == '=') {
			if (src[i + 3] != '=' || (b & 15))
				return -EINVAL;
			break;
		}
		c = b64_val(src[i + 2]);
		if (c < 0)
			return -EINVAL;
		d[o++] = (unsigned char)((b & 15) << 4 | c >> 2);
		if (last && src[i + 3] == '=') {
			if (c & 3)
				return -EINVAL;
			break;
		}
		v = b64_val(src[i + 3]);
		if (v < 0)
			return -EINVAL;
		d[o++] = (unsigned char)((c & 3) << 6 | v);
	}
	*out_len = o;
	return 0;
}

/* JSON */

static int bad_at(struct xg_err *err, const char *parent, const char *key,
		  const char *what)
{
	char where[sizeof(err->where)];

	snprintf(where, sizeof(where), "%s%s%s", parent,
		 parent[0] && key ? "." : "", key ? key : "");
	xg_err_set(err, where, "%s", what);
	return -EBADMSG;
}

int xg_etcd_grpc_errno(int code)
{
	switch (code) {
	case 1: /* CANCELLED */
		return -ECANCELED;
	case 3: /* INVALID_ARGUMENT */
	case 9: /* FAILED_PRECONDITION */
		return -EINVAL;
	case 4: /* DEADLINE_EXCEEDED */
		return -ETIMEDOUT;
	case 5: /* NOT_FOUND */
		return -ENOENT;
	case 6: /* ALREADY_EXISTS */
		return -EEXIST;
	case 7: /* PERMISSION_DENIED */
		return -EPERM;
	case 8: /* RESOURCE_EXHAUSTED: "database space exceeded" */
		return -ENOSPC;
	case 10: /* ABORTED */
	case 14: /* UNAVAILABLE: no leader, request timed out, stopping */
		return -EAGAIN;
	case 11: /* OUT_OF_RANGE: compacted or future revision */
		return -ERANGE;
	case 12: /* UNIMPLEMENTED */
		return -EOPNOTSUPP;
	case 16: /* UNAUTHENTICATED */
		return -EACCES;
	default: /* UNKNOWN, INTERNAL, DATA_LOSS, and codes we do not know */
		return -EIO;
	}
}

/* Absent and null read alike: both are "zero" in proto3. */
static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static int parse(const char *text, size_t len, json_object **out,
		 struct xg_err *err)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	json_object *o;
	int ret = 0;

	*out = NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
		       text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len > INT_MAX)
		return bad_at(err, "", NULL, "response too long");
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue)
		ret = bad_at(err, "", NULL, "not JSON: truncated");
	else if (jerr != json_tokener_success)
		ret = bad_at(err, "", NULL, json_tokener_error_desc(jerr));
	else if (json_tokener_get_parse_end(tok) < len)
		ret = bad_at(err, "", NULL, "not JSON: bytes after the value");
	else if (!json_object_is_type(o, json_type_object))
		ret = bad_at(err, "", NULL, "not a JSON object");
	json_tokener_free(tok);
	if (ret) {
		json_object_put(o);
		return ret;
	}
	*out = o;
	return 0;
}

static int get_int(json_object *o, const char *parent, const char *key,
		   int *out, struct xg_err *err)
{
	json_object *v = field(o, key);
	int64_t i;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad_at(err, parent, key, "not an integer");
	i = json_object_get_int64(v);
	if (i < INT_MIN || i > INT_MAX)
		return bad_at(err, parent, key, "out of range");
	*out = (int)i;
	return 0;
}

/* A gRPC error object is the answer: 0 when top is not one. */
static int check_error(json_object *top, struct xg_err *err)
{
	json_object *e = field(top, "error"), *v;
	const char *msg = NULL;
	int code = 2; /* UNKNOWN */
	int ret;

	if (!e)
		return 0;
	if (json_object_is_type(e, json_type_string)) {
		msg = json_object_get_string(e);
		v = field(top, "message");
		if (v && json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
		ret = get_int(top, "", "code", &code, err);
	} else if (json_object_is_type(e, json_type_object)) {
		v = field(e, "message");
		if (v && json_object_is_type(v, json_type_string))
			msg = json_object_get_string(v);
		ret = get_int(e, "error", "grpc_code", &code, err);
	} else {
		return bad_at(err, "", "error",
			      "neither a string nor an object");
	}
	if (ret)
		return ret;
	xg_err_set(err, "etcd", "%s (gRPC code %d)",
		   msg && msg[0] ? msg : "error", code);
	return xg_etcd_grpc_errno(code);
}

static int parse_msg(const char *text, size_t len, json_object **out,
		     struct xg_err *err)
{
	int ret = parse(text, len, out, err);

	if (ret)
		return ret;
	ret = check_error(*out, err);
	if (ret) {
		json_object_put(*out);
		*out = NULL;
	}
	return ret;
}

int xg_etcd_decode_error(const char *text, size_t len, struct xg_err *err)
{
	json_object *top;
	int ret = parse(text, len, &top, err);

	if (ret)
		return ret;
	ret = check_error(top, err);
	if (!ret)
		ret = bad_at(err, "", NULL, "not an error object");
	json_object_put(top);
	return ret;
}

/* Decimal, as Go's jsonpb writes an int64: no sign but '-', no blanks. */
static bool str_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	size_t i = neg;

	if (i == n)
		return false;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* An int64 field >= min; absent is 0, unless required. */
static int get_i64(json_object *o, const char *parent, const char *key,
		   bool required, int64_t min, int64_t *out, struct xg_err *err)
{
	json_object *v = field(o, key);
	int64_t i;

	*out = 0;
	if (!v)
		return required ? bad_at(err, parent, key, "missing") : 0;
	switch (json_object_get_type(v)) {
	case json_type_string:
		if (!str_i64(json_object_get_string(v),
			     (size_t)json_object_get_string_len(v), &i))
			return bad_at(err, parent, key, "not an int64");
		break;
	case json_type_int:
		i = json_object_get_int64(v);
		/* json-c keeps a uint64 past INT64_MAX and clamps it here. */
		if (i == INT64_MAX && json_object_get_uint64(v) != INT64_MAX)
			return bad_at(err, parent, key, "not an int64");
		break;
	default:
		return bad_at(err, parent, key, "not an integer");
	}
	if (i < min)
		return bad_at(err, parent, key, "out of range");
	*out = i;
	return 0;
}

static int get_bool(json_object *o, const char *parent, const char *key,
		    bool *out, struct xg_err *err)
{
	json_object *v = field(o, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad_at(err, parent, key, "not a boolean");
	*out = json_object_get_boolean(v);
	return 0;
}

/* An object field; absent is NULL, unless required. */
static int get_obj(json_object *o, const char *parent, const char *key,
		   bool required, json_object **out, struct xg_err *err)
{
	json_object *v = field(o, key);

	*out = NULL;
	if (!v)
		return required ? bad_at(err, parent, key, "missing") : 0;
	if (!json_object_is_type(v, json_type_object))
		return bad_at(err, parent, key, "not an object");
	*out = v;
	return 0;
}

static int get_array(json_object *o, const char *parent, const char *key,
		     json_object **out, size_t *n, struct xg_err *err)
{
	json_object *v = field(o, key);

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return bad_at(err, parent, key, "not an array");
	*out = v;
	*n = json_object_array_length(v);
	return 0;
}

/* Bytes: malloc'd, NUL-terminated; absent is "", unless required. */
static int get_b64(json_object *o, const char *parent, const char *key,
		   bool required, char **out, size_t *len, struct xg_err *err)
{
	json_object *v = field(o, key);
	const char *s = "";
	size_t n = 0;
	char *buf;

	*out = NULL;
	*len = 0;
	if (!v && required)
		return bad_at(err, parent, key, "missing");
	if (v) {
		if (!json_object_is_type(v, json_type_string))
			return bad_at(err, parent, key, "not a string");
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
	}
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	if (xg_etcd_b64_decode(s, n, buf, len)) {
		free(buf);
		return bad_at(err, parent, key, "bad base64");
	}
	buf[*len] = '\0';
	*out = buf;
	return 0;
}

void xg_etcd_kv_free(struct xg_etcd_kv *kv)
{
	free(kv->key);
	free(kv->val);
	memset(kv, 0, sizeof(*kv));
}

static int decode_kv(json_object *o, const char *path, struct xg_etcd_kv *kv,
		     struct xg_err *err)
{
	int ret;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(o, json_type_object))
		return bad_at(err, path, NULL, "not an object");
	ret = get_b64(o, path, "key", true, &kv->key, &kv->key_len, err);
	if (!ret)
		ret = get_b64(o, path, "value", false, &kv->val, &kv->val_len,
			      err);
	/* Watchers resume after the last mod_revision they saw. */
	if (!ret)
		ret = get_i64(o, path, "mod_revision", true, 1,
			      &kv->mod_revision, err);
	if (!ret)
		ret = get_i64(o, path, "create_revision", false, 0,
			      &kv->create_revision, err);
	if (!ret)
		ret = get_i64(o, path, "version", false, 0, &kv->version, err);
	if (!ret)
		ret = get_i64(o, path, "lease", false, 0, &kv->lease, err);
	if (ret)
		xg_etcd_kv_free(kv);
	return ret;
}

static int header_rev(json_object *o, const char *parent, bool required,
		      int64_t *rev, struct xg_err *err)
{
	char path[PATH_LEN];
	json_object *h;
	int ret;

	*rev = 0;
	ret = get_obj(o, parent, "header", required, &h, err);
	if (ret || !h)
		return ret;
	snprintf(path, sizeof(path), "%.80s%sheader", parent,
		 parent[0] ? "." : "");
	return get_i64(h, path, "revision", required, required ? 1 : 0, rev,
		       err);
}

/* Watch messages */

static int decode_event(json_object *o, const char *path,
			struct xg_etcd_event *ev, struct xg_err *err)
{
	char kvpath[PATH_LEN];
	json_object *t, *kv;
	int ret;

	if (!json_object_is_type(o, json_type_object))
		return bad_at(err, path, NULL, "not an object");
	t = field(o, "type");
	ev->type = XG_ETCD_EV_PUT;
	if (t && json_object_is_type(t, json_type_string)) {
		if (!strcmp(json_object_get_string(t), "DELETE"))
			ev->type = XG_ETCD_EV_DELETE;
		else if (strcmp(json_object_get_string(t), "PUT"))
			return bad_at(err, path, "type", "unknown event type");
	} else if (t && json_object_is_type(t, json_type_int)) {
		/* jsonpb with EnumsAsInts; the same enum. */
		if (json_object_get_int64(t) == 1)
			ev->type = XG_ETCD_EV_DELETE;
		else if (json_object_get_int64(t) != 0)
			return bad_at(err, path, "type", "unknown event type");
	} else if (t) {
		return bad_at(err, path, "type", "not a string");
	}
	ret = get_obj(o, path, "kv", true, &kv, err);
	if (ret)
		return ret;
	snprintf(kvpath, sizeof(kvpath), "%.80s.kv", path);
	return decode_kv(kv, kvpath, &ev->kv, err);
}

void xg_etcd_watch_msg_free(struct xg_etcd_watch_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_events; i++)
		xg_etcd_kv_free(&m->events[i].kv);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

static int decode_events(json_object *res, struct xg_etcd_watch_msg *m,
			 struct xg_err *err)
{
	json_object *arr;
	char path[PATH_LEN];
	size_t i, n;
	int ret;

	ret = get_array(res, "result", "events", &arr, &n, err);
	if (ret || !n)
		return ret;
	m->events = calloc(n, sizeof(*m->events));
	if (!m->events)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "result.events[%zu]", i);
		ret = decode_event(json_object_array_get_idx(arr, i), path,
				   &m->events[i], err);
		if (ret)
			return ret;
		m->n_events++;
		/* Resuming after the last revision seen relies on it. */
		if (i && m->events[i].kv.mod_revision <
				 m->events[i - 1].kv.mod_revision)
			return bad_at(err, path, "kv.mod_revision",
				      "events out of revision order");
	}
	return 0;
}

int xg_etcd_decode_watch(const char *text, size_t len,
			 struct xg_etcd_watch_msg *m, struct xg_err *err)
{
	json_object *top, *res, *v;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = parse_msg(text, len, &top, err);
	if (ret)
		return ret;
	ret = get_obj(top, "", "result", true, &res, err);
	if (!ret)
		ret = header_rev(res, "result", false, &m->revision, err);
	if (!ret)
		ret = get_i64(res, "result", "watch_id", false, INT64_MIN,
			      &m->watch_id, err);
	if (!ret)
		ret = get_bool(res, "result", "created", &m->created, err);
	if (!ret)
		ret = get_bool(res, "result", "canceled", &m->canceled, err);
	if (!ret)
		ret = get_i64(res, "result", "compact_revision", false, 0,
			      &m->compact_revision, err);
	if (!ret && (v = field(res, "cancel_reason"))) {
		if (json_object_is_type(v, json_type_string))
			snprintf(m->cancel_reason, sizeof(m->cancel_reason),
				 "%s", json_object_get_string(v));
		else
			ret = bad_at(err, "result", "cancel_reason",
				     "not a string");
	}
	if (!ret)
		ret = decode_events(res, m, err);
	/* A progress notification is only worth its revision. */
	if (!ret && xg_etcd_watch_msg_is_progress(m) && m->revision <= 0)
		ret = bad_at(err, "result.header", "revision", "missing");
	json_object_put(top);
	if (ret)
		xg_etcd_watch_msg_free(m);
	return ret;
}

/* Unary answers */

void xg_etcd_range_free(struct xg_etcd_range *r)
{
	size_t i;

	for (i = 0; i < r->n_kvs; i++)
		xg_etcd_kv_free(&r->kvs[i]);
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

static int decode_range_obj(json_object *o, const char *parent,
			    bool need_header, struct xg_etcd_range *r,
			    struct xg_err *err)
{
	char path[PATH_LEN], arrpath[PATH_LEN];
	json_object *arr;
	size_t i, n;
	int ret;

	ret = header_rev(o, parent, need_header, &r->revision, err);
	if (!ret)
		ret = get_bool(o, parent, "more", &r->more, err);
	if (!ret)
		ret = get_i64(o, parent, "count", false, 0, &r->count, err);
	if (!ret)
		ret = get_array(o, parent, "kvs", &arr, &n, err);
	if (ret || !n)
		return ret;
	r->kvs = calloc(n, sizeof(*r->kvs));
	if (!r->kvs)
		return -ENOMEM;
	snprintf(arrpath, sizeof(arrpath), "%.80s%skvs", parent,
		 parent[0] ? "." : "");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%.90s[%zu]", arrpath, i);
		ret = decode_kv(json_object_array_get_idx(arr, i), path,
				&r->kvs[i], err);
		if (ret)
			return ret;
		r->n_kvs++;
	}
	return 0;
}

int xg_etcd_decode_range(const char *text, size_t len, struct xg_etcd_range *r,
			 struct xg_err *err)
{
	json_object *top;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse_msg(text, len, &top, err);
	if (ret)
		return ret;
	ret = decode_range_obj(top, "", true, r, err);
	json_object_put(top);
	if (ret)
		xg_etcd_range_free(r);
	return ret;
}

void xg_etcd_txn_free(struct xg_etcd_txn *t)
{
	xg_etcd_range_free(&t->range);
	memset(t, 0, sizeof(*t));
}

int xg_etcd_decode_txn(const char *text, size_t len, struct xg_etcd_txn *t,
		       struct xg_err *err)
{
	json_object *top, *arr, *o, *rr;
	bool have_range = false;
	char path[PATH_LEN];
	size_t i, n;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = parse_msg(text, len, &top, err);
	if (ret)
		return ret;
	ret = header_rev(top, "", true, &t->revision, err);
	if (!ret)
		ret = get_bool(top, "", "succeeded", &t->succeeded, err);
	if (!ret)
		ret = get_array(top, "", "responses", &arr, &n, err);
	for (i = 0; !ret && i < n; i++) {
		snprintf(path, sizeof(path), "responses[%zu]", i);
		o = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(o, json_type_object)) {
			ret = bad_at(err, path, NULL, "not an object");
			break;
		}
		ret = get_obj(o, path, "response_range", false, &rr, err);
		if (ret || !rr || have_range)
			continue;
		snprintf(path, sizeof(path), "responses[%zu].response_range",
			 i);
		ret = decode_range_obj(rr, path, false, &t->range, err);
		have_range = true;
	}
	json_object_put(top);
	if (ret)
		xg_etcd_txn_free(t);
	return ret;
}

int xg_etcd_decode_header(const char *text, size_t len, int64_t *revision,
			  struct xg_err *err)
{
	json_object *top;
	int ret;

	*revision = 0;
	ret = parse_msg(text, len, &top, err);
	if (ret)
		return ret;
	ret = header_rev(top, "", true, revision, err);
	json_object_put(top);
	return ret;
}

int xg_etcd_decode_lease(const char *text, size_t len, int64_t *id,
			 int64_t *ttl, struct xg_err *err)
{
	json_object *top, *o;
	const char *parent = "";
	int ret;

	*id = *ttl = 0;
	ret = parse_msg(text, len, &top, err);
	if (ret)
		return ret;
	/* The keepalive stream wraps its answers; grant does not. */
	ret = get_obj(top, "", "result", false, &o, err);
	if (!ret && o)
		parent = "result";
	else
		o = top;
	if (!ret)
		ret = get_i64(o, parent, "ID", true, 1, id, err);
	if (!ret)
		ret = get_i64(o, parent, "TTL", false, INT64_MIN, ttl, err);
	json_object_put(top);
	if (ret)
		*id = *ttl = 0;
	return ret;
}
