// SPDX-License-Identifier: GPL-2.0-only
/*
 * Walking a document's value tree: the field path kept for errors
 * ("spec.ingress[0].toPorts[0].ports[0].port"), the first error and
 * where it is, and typed access to fields that checks the type of what
 * was written before using it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doc_int.h"

/* ------------------------------------------------------------ paths -- */

static size_t append(struct xgd_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t append(struct xgd_ctx *c, const char *fmt, ...)
{
	size_t mark = c->plen, room = sizeof(c->path) - c->plen;
	va_list ap;
	int n;

	if (room <= 1)
		return mark;
	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->plen += (size_t)n < room ? (size_t)n : room - 1;
	return mark;
}

static bool plain_key(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Keys with dots or slashes (label keys) are quoted, so the path still
 * reads as a path: matchLabels["app.kubernetes.io/name"]. */
size_t xgd_push_key(struct xgd_ctx *c, const char *key, size_t len)
{
	char shown[48];
	size_t j = 0;

	if (plain_key(key, len))
		return append(c, "%s%.*s", c->plen ? "." : "", (int)len, key);
	for (size_t i = 0; i < len && j < sizeof(shown) - 4; i++) {
		unsigned char ch = (unsigned char)key[i];

		shown[j++] = ch < 0x20 || ch >= 0x7f || ch == '"' ? '?' : ch;
	}
	if (j < len)
		memcpy(shown + j, "...", 3), j += 3;
	shown[j] = '\0';
	return append(c, "[\"%s\"]", shown);
}

size_t xgd_push_idx(struct xgd_ctx *c, size_t i)
{
	return append(c, "[%zu]", i);
}

void xgd_pop(struct xgd_ctx *c, size_t mark)
{
	if (mark < sizeof(c->path)) {
		c->plen = mark;
		c->path[mark] = '\0';
	}
}

/* ----------------------------------------------------------- errors -- */

static int vfail(struct xgd_ctx *c, int line, int col, const char *fmt,
		 va_list ap)
{
	if (c->failed)
		return c->oom ? -ENOMEM : -EINVAL;
	c->failed = true;
	memcpy(c->fail_path, c->path, sizeof(c->path));
	c->err->line = line;
	c->err->col = col;
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	return -EINVAL;
}

int xgd_fail(struct xgd_ctx *c, const struct xgd_node *at, const char *fmt,
	     ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, at ? at->line : 0, at ? at->col : 0, fmt, ap);
	va_end(ap);
	return ret;
}

int xgd_fail_pos(struct xgd_ctx *c, int line, int col, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vfail(c, line, col, fmt, ap);
	va_end(ap);
	return ret;
}

int xgd_nomem(struct xgd_ctx *c)
{
	if (!c->failed) {
		c->failed = true;
		c->oom = true;
		memcpy(c->fail_path, c->path, sizeof(c->path));
		c->err->line = c->err->col = 0;
		snprintf(c->err->msg, sizeof(c->err->msg), "out of memory");
	}
	return -ENOMEM;
}

const char *xgd_show(const struct xgd_node *n, char *buf, size_t size)
{
	size_t j = 0, max = size > 4 ? size - 4 : 0;

	if (n->type != XGD_SCALAR)
		return xgd_type_name(n);
	for (size_t i = 0; i < n->len && j < max; i++) {
		unsigned char ch = (unsigned char)n->text[i];

		buf[j++] = ch < 0x20 || ch >= 0x7f ? '?' : ch;
	}
	if (j < n->len && size >= 4)
		memcpy(buf + j, "...", 3), j += 3;
	buf[j] = '\0';
	return buf;
}

const char *xgd_type_name(const struct xgd_node *n)
{
	if (n->type == XGD_MAP)
		return "a map";
	if (n->type == XGD_SEQ)
		return "a list";
	return n->null ? "null" : "a string";
}

struct xg_doc_loc xgd_loc(const struct xgd_node *n)
{
	return (struct xg_doc_loc){ .line = n->line, .col = n->col };
}

/* ----------------------------------------------------------- access -- */

bool xgd_is(const struct xgd_node *n, const char *s)
{
	return n->type == XGD_SCALAR && n->len == strlen(s) &&
	       !memcmp(n->text, s, n->len);
}

static const struct xgd_node *get_pair(const struct xgd_node *m,
				       const char *key,
				       const struct xgd_node **keyn)
{
	if (m->type != XGD_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		if (xgd_is(m->kids[2 * i], key)) {
			if (keyn)
				*keyn = m->kids[2 * i];
			return m->kids[2 * i + 1];
		}
	}
	return NULL;
}

const struct xgd_node *xgd_key(const struct xgd_node *m, const char *key)
{
	const struct xgd_node *k = NULL;

	get_pair(m, key, &k);
	return k;
}

const struct xgd_node *xgd_get(const struct xgd_node *m, const char *key)
{
	const struct xgd_node *v = get_pair(m, key, NULL);

	return v && !(v->type == XGD_SCALAR && v->null) ? v : NULL;
}

static bool in_list(const struct xgd_node *key, const char *const *list)
{
	for (; list && *list; list++)
		if (xgd_is(key, *list))
			return true;
	return false;
}

int xgd_check_keys(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *const *known, const char *const *unsupported)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct xgd_node *key = m->kids[2 * i];
		size_t mark;
		int err;

		if (in_list(key, known))
			continue;
		mark = xgd_push_key(c, key->text, key->len);
		/* A field we do not enforce must never be dropped quietly:
		 * the user may have meant it to deny something. */
		if (in_list(key, unsupported))
			err = xgd_fail(c, key, "not supported by xgate: %s",
				       key->text);
		else
			err = xgd_fail(c, key, "unknown field");
		xgd_pop(c, mark);
		return err;
	}
	return 0;
}

int xgd_want(struct xgd_ctx *c, const struct xgd_node *n, enum xgd_type t)
{
	static const char *const names[] = {
		[XGD_SCALAR] = "a string",
		[XGD_SEQ] = "a list",
		[XGD_MAP] = "a map",
	};
	char buf[48];

	if (n->type == t && !(t == XGD_SCALAR && n->null))
		return 0;
	if (n->type == XGD_SCALAR && !n->null)
		return xgd_fail(c, n, "must be %s, got '%s'", names[t],
				xgd_show(n, buf, sizeof(buf)));
	return xgd_fail(c, n, "must be %s, got %s", names[t],
			xgd_type_name(n));
}

int xgd_str(struct xgd_ctx *c, const struct xgd_node *n, const char **out)
{
	const char *s;

	if (xgd_want(c, n, XGD_SCALAR))
		return -EINVAL;
	/* The C strings we hand out would end early, and what follows the
	 * NUL would never be looked at. */
	if (memchr(n->text, '\0', n->len))
		return xgd_fail(c, n, "must not contain a NUL byte");
	s = xgd_strndup(c, n->text, n->len);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

int xgd_uint(struct xgd_ctx *c, const struct xgd_node *n, unsigned long min,
	     unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	char buf[48];

	if (n->type != XGD_SCALAR || n->null)
		return xgd_fail(c, n, "must be a number %lu-%lu, got %s", min,
				max, xgd_type_name(n));
	if (!n->plain)
		return xgd_fail(c, n,
				"must be a number %lu-%lu without quotes, got \"%s\"",
				min, max, xgd_show(n, buf, sizeof(buf)));
	for (size_t i = 0; i < n->len; i++) {
		if (n->text[i] < '0' || n->text[i] > '9' || i >= 12)
			return xgd_fail(c, n,
					"must be a number %lu-%lu, got '%s'",
					min, max,
					xgd_show(n, buf, sizeof(buf)));
		v = v * 10 + (unsigned long)(n->text[i] - '0');
	}
	if (v < min || v > max)
		return xgd_fail(c, n, "must be %lu-%lu, got %lu", min, max, v);
	*out = v;
	return 0;
}

int xgd_bool(struct xgd_ctx *c, const struct xgd_node *n, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char buf[48];

	if (n->type == XGD_SCALAR && n->plain) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (xgd_is(n, yes[i]))
				return *out = true, 0;
			if (xgd_is(n, no[i]))
				return *out = false, 0;
		}
	}
	return xgd_fail(c, n, "must be true or false, got %s%s%s",
			n->type == XGD_SCALAR && !n->null ? "'" : "",
			xgd_show(n, buf, sizeof(buf)),
			n->type == XGD_SCALAR && !n->null ? "'" : "");
}

/* ----------------------------------------------------------- fields -- */

int xgd_field_str(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, const char **out)
{
	const struct xgd_node *v = xgd_get(m, key);
	size_t mark;
	int err;

	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_str(c, v, out);
	xgd_pop(c, mark);
	return err;
}

int xgd_field_uint(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	const struct xgd_node *v = xgd_get(m, key);
	size_t mark;
	int err;

	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_uint(c, v, min, max, out);
	xgd_pop(c, mark);
	return err;
}

int xgd_field_tri(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, enum xg_doc_tri *out)
{
	const struct xgd_node *v = xgd_get(m, key);
	size_t mark;
	bool b;
	int err;

	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_bool(c, v, &b);
	if (!err)
		*out = b ? XG_TRI_TRUE : XG_TRI_FALSE;
	xgd_pop(c, mark);
	return err;
}

int xgd_require(struct xgd_ctx *c, const struct xgd_node *m, const char *key)
{
	size_t mark;
	int err;

	if (xgd_get(m, key))
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_fail(c, m, "missing (required)");
	xgd_pop(c, mark);
	return err;
}

int xgd_field_list(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, size_t size, xgd_item_fn fn, void *arg,
		   void **arr, size_t *n)
{
	const struct xgd_node *v = xgd_get(m, key);
	unsigned char *elems = NULL;
	size_t mark;
	int err = 0;

	*arr = NULL;
	*n = 0;
	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	if (xgd_want(c, v, XGD_SEQ)) {
		err = -EINVAL;
		goto out;
	}
	if (v->n) {
		elems = xgd_alloc_array(c, v->n, size);
		if (!elems) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < v->n && !err; i++) {
		size_t imark = xgd_push_idx(c, i);

		err = fn(c, v->kids[i], elems + i * size, arg);
		xgd_pop(c, imark);
	}
	if (!err) {
		*arr = elems;
		*n = v->n;
	}
out:
	xgd_pop(c, mark);
	return err;
}

static int str_item(struct xgd_ctx *c, const struct xgd_node *item,
		    void *elem, void *arg)
{
	return xgd_str(c, item, elem);
}

int xgd_field_strs(struct xgd_ctx *c, const struct xgd_node *m,
		   const char *key, const char ***arr, size_t *n)
{
	return xgd_field_list(c, m, key, sizeof(**arr), str_item, NULL,
			      (void **)arr, n);
}

int xgd_field_map(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, xgd_item_fn fn, void *elem, void *arg)
{
	const struct xgd_node *v = xgd_get(m, key);
	size_t mark;
	int err;

	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_want(c, v, XGD_MAP);
	if (!err)
		err = fn(c, v, elem, arg);
	xgd_pop(c, mark);
	return err;
}
