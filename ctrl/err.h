/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Structured errors from parsers and compilers: what went wrong and
 * where (a field path, and for documents a file, line and column), so a
 * caller can print it as it is.
 */
#ifndef XGATE_CTRL_ERR_H
#define XGATE_CTRL_ERR_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct xg_err {
	char where[192]; /* file, field path: "policy.yaml: spec.ingress[0].toPorts" */
	int line, col; /* 0 when not from a document */
	char msg[256];
};

__attribute__((format(printf, 3, 4))) static inline int
xg_err_set(struct xg_err *e, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return 0;
	snprintf(e->where, sizeof(e->where), "%s", where ? where : "");
	e->line = e->col = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* "where:line:col: msg", or "where: msg", or "msg". */
static inline const char *xg_err_str(const struct xg_err *e, char *buf,
				     size_t len)
{
	if (e->where[0] && e->line)
		snprintf(buf, len, "%s:%d:%d: %s", e->where, e->line, e->col,
			 e->msg);
	else if (e->where[0])
		snprintf(buf, len, "%s: %s", e->where, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}

#endif /* XGATE_CTRL_ERR_H */
