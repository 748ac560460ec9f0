// SPDX-License-Identifier: GPL-2.0-only
/* Parser for hand-written rule lines; see rule_parse.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_parse.h"

#define MAX_LINE 1024

static int parse_u32(const char *s, size_t len, __u32 max, __u32 *out)
{
	__u64 v = 0;

	if (!len || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (__u64)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static int word_is(const char *w, size_t len, const char *lit)
{
	return strlen(lit) == len && !strncmp(w, lit, len);
}

static int bad(struct xg_err *err, size_t col, const char *w, size_t len,
	       const char *why)
{
	xg_err_set(err, "rule", "column %zu: '%.*s': %s", col + 1,
		   (int)(len > 64 ? 64 : len), w, why);
	err->col = (int)col + 1;
	return -EINVAL;
}

static int parse_proto(const char *v, size_t len, __u8 *proto)
{
	__u32 n;

	if (word_is(v, len, "tcp"))
		*proto = 6;
	else if (word_is(v, len, "udp"))
		*proto = 17;
	else if (word_is(v, len, "sctp"))
		*proto = 132;
	else if (word_is(v, len, "icmp"))
		*proto = 1;
	else if (word_is(v, len, "icmpv6"))
		*proto = 58;
	else if (word_is(v, len, "any"))
		*proto = 0;
	else if (!parse_u32(v, len, 255, &n))
		*proto = (__u8)n;
	else
		return -EINVAL;
	return 0;
}

static int parse_ports(const char *v, size_t len, __u16 *lo, __u16 *hi)
{
	const char *dash = memchr(v, '-', len);
	__u32 a, b;

	if (!dash) {
		if (parse_u32(v, len, 65535, &a))
			return -EINVAL;
		*lo = *hi = (__u16)a;
		return 0;
	}
	if (parse_u32(v, (size_t)(dash - v), 65535, &a) ||
	    parse_u32(dash + 1, len - (size_t)(dash - v) - 1, 65535, &b) || a > b)
		return -EINVAL;
	*lo = (__u16)a;
	*hi = (__u16)b;
	return 0;
}

int xg_rule_parse(const char *line, struct xg_rule *out, struct xg_err *err)
{
	int have_dir = 0, have_act = 0, have_subject = 0, have_port = 0;
	unsigned seen = 0;
	const char *p = line;

	memset(out, 0, sizeof(*out));
	out->port_hi = 65535;
	if (strnlen(line, MAX_LINE + 1) > MAX_LINE)
		return xg_err_set(err, "rule", "line longer than %d bytes",
				  MAX_LINE),
		       -EINVAL;
	for (;;) {
		const char *w, *eq;
		size_t len, col;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' &&
		       *p != '\n' && *p != '#')
			p++;
		len = (size_t)(p - w);
		col = (size_t)(w - line);
		eq = memchr(w, '=', len);

		if (!eq) {
			if (word_is(w, len, "ingress") || word_is(w, len, "egress")) {
				if (have_dir++)
					return bad(err, col, w, len, "direction given twice");
				out->dir = w[0] == 'i' ? XG_DIR_INGRESS : XG_DIR_EGRESS;
			} else if (word_is(w, len, "allow") || word_is(w, len, "deny")) {
				if (have_act++)
					return bad(err, col, w, len, "action given twice");
				out->action = w[0] == 'a' ? XG_ACT_ALLOW : XG_ACT_DENY;
			} else {
				return bad(err, col, w, len,
					   "expected ingress, egress, allow, deny or key=value");
			}
			continue;
		}
		{
			size_t klen = (size_t)(eq - w), vlen = len - klen - 1;
			static const char *const keys[] = { "subject", "peer", "proto",
							    "port", "l7", "cookie" };
			const char *v = eq + 1;
			__u32 n;

			/* A key given twice is an error, as a second direction
			 * is: "last one wins" hides typos. */
			for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				if (!word_is(w, klen, keys[k]))
					continue;
				if (seen & (1u << k))
					return bad(err, col, w, len, "key given twice");
				seen |= 1u << k;
			}

			if (word_is(w, klen, "subject")) {
				if (parse_u32(v, vlen, 0xffffffffu, &n) || !n)
					return bad(err, col, w, len, "subject must be an identity 1..4294967295");
				out->subject = n;
				have_subject = 1;
			} else if (word_is(w, klen, "peer")) {
				if (word_is(v, vlen, "any"))
					out->peer = 0;
				else if (parse_u32(v, vlen, 0xffffffffu, &out->peer))
					return bad(err, col, w, len, "peer must be an identity or 'any'");
			} else if (word_is(w, klen, "proto")) {
				if (parse_proto(v, vlen, &out->proto))
					return bad(err, col, w, len, "unknown protocol");
			} else if (word_is(w, klen, "port")) {
				if (parse_ports(v, vlen, &out->port_lo, &out->port_hi))
					return bad(err, col, w, len, "port must be N or N-M with N <= M <= 65535");
				have_port = 1;
			} else if (word_is(w, klen, "l7")) {
				if (parse_u32(v, vlen, 0xffffffffu, &out->l7_ruleset))
					return bad(err, col, w, len, "l7 must be a ruleset id");
			} else if (word_is(w, klen, "cookie")) {
				if (parse_u32(v, vlen, 0xffffffffu, &out->cookie))
					return bad(err, col, w, len, "cookie must be a number");
			} else {
				return bad(err, col, w, len, "unknown key");
			}
		}
	}
	if (p == line + strspn(line, " \t\r\n"))
		return 0; /* blank or comment: no word before the end or '#' */
	if (!have_dir)
		return xg_err_set(err, "rule", "missing direction (ingress or egress)"), -EINVAL;
	if (!have_act)
		return xg_err_set(err, "rule", "missing action (allow or deny)"), -EINVAL;
	if (!have_subject)
		return xg_err_set(err, "rule", "missing subject=ID"), -EINVAL;
	if (have_port && !out->proto)
		return xg_err_set(err, "rule", "port= needs proto= (tcp, udp, sctp, icmp)"), -EINVAL;
	if (out->action == XG_ACT_DENY && out->l7_ruleset)
		return xg_err_set(err, "rule", "deny rules carry no l7"), -EINVAL;
	if (!have_port)
		out->port_lo = 0, out->port_hi = 65535;
	return 1;
}

static int file_err(struct xg_err *err, const char *path, int lineno,
		    int col, const char *msg)
{
	xg_err_set(err, path, "%s", msg);
	err->line = lineno;
	err->col = col;
	return -EINVAL;
}

int xg_rules_load(const char *path, struct xg_rule **rules, size_t *n,
		  struct xg_err *err)
{
	struct xg_rule *v = NULL;
	size_t cap = 0, cnt = 0, bufsz = 0;
	char *line = NULL;
	int lineno = 0, ret = 0;
	ssize_t len;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		ret = -errno;
		xg_err_set(err, path, "cannot open: %s", strerror(-ret));
		return ret;
	}
	/* getline, not fgets: it says how much it read, so a NUL inside a
	 * line is seen and refused instead of silently ending the line. */
	while ((len = getline(&line, &bufsz, f)) >= 0) {
		struct xg_rule r;
		size_t text;

		lineno++;
		text = (size_t)len;
		if (text && line[text - 1] == '\n')
			text--;
		if (text && line[text - 1] == '\r')
			text--;
		line[text] = '\0';
		if (strlen(line) != text) {
			ret = file_err(err, path, lineno, (int)strlen(line) + 1,
				       "NUL byte inside the line");
			goto out;
		}
		if (text > MAX_LINE) {
			char msg[64];

			snprintf(msg, sizeof(msg), "line longer than %d bytes", MAX_LINE);
			ret = file_err(err, path, lineno, 1, msg);
			goto out;
		}
		ret = xg_rule_parse(line, &r, err);
		if (ret < 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			ret = file_err(err, path, lineno, err->col ? err->col : 1, msg);
			goto out;
		}
		if (!ret)
			continue;
		if (cnt == cap) {
			struct xg_rule *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				xg_err_set(err, path, "out of memory");
				goto out;
			}
			v = nv;
		}
		v[cnt++] = r;
	}
	ret = 0;
out:
	free(line);
	fclose(f);
	if (ret) {
		free(v);
		return ret;
	}
	*rules = v;
	*n = cnt;
	return 0;
}
