// SPDX-License-Identifier: GPL-2.0-only
/*
 * The entry points: a file or buffer, document after document, each
 * (or each item of a List) handed to its kind; on the first error the
 * whole file is dropped and the error says where, as
 * "<file>: [doc].<field path>" with the line and column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doc_int.h"

#define CILIUM_API "cilium.io/v2"
#define XGATE_API "xgate.io/v1"

static int api_version(struct xgd_ctx *c, const struct xgd_node *n,
		       const char *want, const struct xgd_node *kind)
{
	const struct xgd_node *v = xgd_get(n, "apiVersion");
	char buf[48];
	size_t mark;
	int err;

	if (xgd_is(v, want))
		return 0;
	mark = xgd_push_key(c, "apiVersion", 10);
	/* kind is one of ours here: printable. */
	err = xgd_fail(c, v, "must be %s for %s, got '%s'", want, kind->text,
		       xgd_show(v, buf, sizeof(buf)));
	xgd_pop(c, mark);
	return err;
}

static int object(struct xgd_ctx *c, const struct xgd_node *n, bool in_list);

/* kubectl's way of writing several objects as one: {kind: List, items}. */
static int list(struct xgd_ctx *c, const struct xgd_node *n)
{
	static const char *const keys[] = { "apiVersion", "kind", "metadata",
					    "items", NULL };
	const struct xgd_node *items;
	size_t mark;
	int err;

	err = xgd_check_keys(c, n, keys, NULL);
	items = xgd_get(n, "items");
	if (err || !items)
		return err;
	mark = xgd_push_key(c, "items", 5);
	err = xgd_want(c, items, XGD_SEQ);
	for (size_t i = 0; i < items->n && !err; i++) {
		size_t imark = xgd_push_idx(c, i);

		err = object(c, items->kids[i], true);
		xgd_pop(c, imark);
	}
	xgd_pop(c, mark);
	return err;
}

static bool ends_with(const struct xgd_node *n, const char *suffix)
{
	size_t len = strlen(suffix);

	return n->len >= len && !memcmp(n->text + n->len - len, suffix, len);
}

static int object(struct xgd_ctx *c, const struct xgd_node *n, bool in_list)
{
	const struct xgd_node *kind;
	char buf[48];
	size_t mark;
	int err;

	if (n->type == XGD_SCALAR && n->null && !in_list)
		return xgd_fail(c, n, "empty document");
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_require(c, n, "apiVersion");
	if (!err)
		err = xgd_require(c, n, "kind");
	if (err)
		return err;
	kind = xgd_get(n, "kind");
	mark = xgd_push_key(c, "kind", 4);
	err = xgd_want(c, kind, XGD_SCALAR);
	if (!err && memchr(kind->text, '\0', kind->len))
		err = xgd_fail(c, kind, "must not contain a NUL byte");
	xgd_pop(c, mark);
	if (err)
		return err;
	c->obj++;
	if (xgd_is(kind, "CiliumNetworkPolicy") ||
	    xgd_is(kind, "CiliumClusterwideNetworkPolicy")) {
		err = api_version(c, n, CILIUM_API, kind);
		return err ? err :
			     xgd_cnp(c, n,
				     xgd_is(kind, "CiliumClusterwideNetworkPolicy"));
	}
	if (xgd_is(kind, "Endpoint") || xgd_is(kind, "Service")) {
		err = api_version(c, n, XGATE_API, kind);
		if (err)
			return err;
		return xgd_is(kind, "Endpoint") ? xgd_endpoint(c, n) :
						  xgd_service(c, n);
	}
	mark = xgd_push_key(c, "kind", 4);
	if (ends_with(kind, "List") && in_list)
		err = xgd_fail(c, kind, "a List inside a List is not supported");
	else if (!ends_with(kind, "List"))
		err = xgd_fail(c, kind,
			       "unknown kind '%s' (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, Endpoint, Service, or a List of them)",
			       xgd_show(kind, buf, sizeof(buf)));
	xgd_pop(c, mark);
	return err ? err : list(c, n);
}

/* "<file>", "<file>: <path>", or with several documents
 * "<file>: [i].<path>". */
static void set_where(const struct xgd_ctx *c, const char *name, int ndocs)
{
	const char *path = c->fail_path;
	char doc[16] = "";

	if (c->doc >= 0 && ndocs > 1)
		snprintf(doc, sizeof(doc), "[%d]", c->doc);
	if (!doc[0] && !path[0])
		snprintf(c->err->where, sizeof(c->err->where), "%s", name);
	else
		snprintf(c->err->where, sizeof(c->err->where), "%s: %s%s%s",
			 name, doc, doc[0] && path[0] && path[0] != '[' ? "." : "",
			 path);
}

/* Length of the UTF-8 sequence at p (at most end), 0 when invalid:
 * overlong forms, surrogates and code points past U+10FFFF included. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n = *p < 0x80 ? 1 : *p < 0xc2 ? 0 : *p < 0xe0 ? 2 :
		   *p < 0xf0 ? 3 : *p < 0xf5 ? 4 : 0;

	if (!n || (size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
	    (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
	    (n == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/*
 * What libfyaml 0.7.12 mishandles is refused before it sees it: at a NUL
 * byte it stops as if the input ended there (the rest would be dropped
 * silently), bytes that are not UTF-8 can vanish from a plain scalar or
 * send its directive scanner into an endless loop.  Columns count
 * characters, as libfyaml's do.
 */
static int check_text(struct xgd_ctx *c, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	int line = 1, col = 1;

	while (p < end) {
		size_t n = utf8_len(p, end);

		if (!*p)
			return xgd_fail_pos(c, line, col, "contains a NUL byte");
		if (!n)
			return xgd_fail_pos(c, line, col, "not valid UTF-8");
		if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
			line++, col = 1;
		else if (*p != '\r')
			col++;
		p += n;
	}
	return 0;
}

static unsigned long long doc_gen;

int xg_doc_parse_buf(const char *name, const char *buf, size_t len,
		     struct xg_doc_set *out, struct xg_err *err)
{
	struct xgd_ctx c = { .set = out, .doc = -1 };
	struct xgd_reader *r = NULL;
	const struct xgd_node *root;
	struct xg_err local;
	int ret, ndocs = 0;

	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	c.err = err;
	name = name ? name : "<input>";
	if (!buf && len)
		ret = xgd_fail_pos(&c, 0, 0, "no buffer");
	else if (len > XG_DOC_MAX_BYTES)
		ret = xgd_fail_pos(&c, 0, 0,
				   "larger than %u bytes: %zu (documents are text, not data)",
				   XG_DOC_MAX_BYTES, len);
	else
		ret = check_text(&c, buf, len);
	if (!ret)
		ret = xgd_reader_open(&r, len ? buf : "", len);
	if (ret == -ENOMEM)
		xgd_nomem(&c);
	while (!ret && (ret = xgd_reader_next(r, &c, &root)) == 1)
		ret = object(&c, root, false);
	if (r)
		ndocs = xgd_reader_count_docs(r);
	if (!ret && !ndocs) {
		c.doc = -1;
		ret = xgd_fail_pos(&c, 1, 1, "no documents: the file is empty");
	}
	if (ret) {
		set_where(&c, name, ndocs);
		xg_doc_set_free(out);
	} else {
		out->n_docs = ndocs;
		out->gen = __atomic_add_fetch(&doc_gen, 1, __ATOMIC_RELAXED);
	}
	xgd_reader_close(r);
	xgd_seen_free(&c);
	return ret;
}

/* The file as one buffer, refused before reading once it is too big. */
static int read_all(int fd, char **bufp, size_t *lenp)
{
	size_t cap = XG_DOC_MAX_BYTES + 1, len = 0;
	struct stat st;
	char *buf;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (size_t)st.st_size < cap)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	/* Read one byte past the limit: a file that grew, or a pipe. */
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			if (cap > XG_DOC_MAX_BYTES)
				break;
			cap = cap * 2 > XG_DOC_MAX_BYTES + 1 ?
				      XG_DOC_MAX_BYTES + 1 :
				      cap * 2;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int xg_doc_parse_file(const char *path, struct xg_doc_set *out,
		      struct xg_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = read_all(fd, &buf, &len);
	close(fd);
	if (ret)
		goto fail;
	ret = xg_doc_parse_buf(path, buf, len, out, err);
	free(buf);
	return ret;
fail:
	xg_err_set(err, path, "%s", strerror(-ret));
	return ret;
}
