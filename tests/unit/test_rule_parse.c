// SPDX-License-Identifier: GPL-2.0-only
/*
 * ctrl/rule_parse.c: the hand-written rule line (every field, defaults,
 * comments, blank lines, tabs and CRLF), its errors (the word, the
 * field and the 1-based column they name), and xg_rules_load on whole
 * files (counts, contents, file:line:col errors, long lines, NULs).
 * Every rule the parser accepts must also compile (policy_state.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctrl/policy_state.h"
#include "ctrl/rule_parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_LINE 1024 /* rule_parse.c */

/* ------------------------------------------------------- helpers -- */

/* The rule compiles on its own: what policy_state.c requires of it. */
static void assert_compiles(const struct xg_rule *r, const char *line)
{
	struct xg_policy_set set;
	struct xg_err err = {};
	int ret;

	ret = xg_policy_compile(r, 1, NULL, 0, &set, &err);
	if (ret)
		fail_msg("'%s' parsed but does not compile: %s", line, err.msg);
	assert_true(set.n >= 1);
	xg_policy_set_free(&set);
}

static struct xg_rule parse_ok(const char *line)
{
	struct xg_rule r;
	struct xg_err err = {};
	int ret;

	ret = xg_rule_parse(line, &r, &err);
	if (ret != 1)
		fail_msg("'%s': %d (%s), want a rule", line, ret, err.msg);
	assert_compiles(&r, line);
	return r;
}

/* -EINVAL, a message naming `word`, and err.col == col (0: no column,
 * for what is missing rather than wrong). */
static void parse_bad(const char *line, const char *word, int col)
{
	struct xg_rule r;
	struct xg_err err;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = xg_rule_parse(line, &r, &err);
	if (ret != -EINVAL)
		fail_msg("'%s': %d, want -EINVAL", line, ret);
	if (!err.msg[0])
		fail_msg("'%s': empty message", line);
	if (!strstr(err.msg, word))
		fail_msg("'%s': message '%s' does not name '%s'", line, err.msg,
			 word);
	if (err.col != col)
		fail_msg("'%s': column %d, want %d (%s)", line, err.col, col,
			 err.msg);
}

/* Writes len bytes to a fresh temporary file; path gets its name. */
static void write_file(char path[64], const void *data, size_t len)
{
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/xg_rules_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int load_str(char path[64], const char *text, struct xg_rule **rules,
		    size_t *n, struct xg_err *err)
{
	int ret;

	write_file(path, text, strlen(text));
	memset(err, 0, sizeof(*err));
	*rules = NULL;
	*n = 0;
	ret = xg_rules_load(path, rules, n, err);
	unlink(path);
	return ret;
}

/* ---------------------------------------------------- valid lines -- */

static void test_all_fields(void **state)
{
	struct xg_rule r = parse_ok(
		"ingress allow subject=2001 peer=1001 proto=tcp port=8000-8080 l7=7 cookie=42");

	assert_int_equal(r.dir, XG_DIR_INGRESS);
	assert_int_equal(r.action, XG_ACT_ALLOW);
	assert_int_equal(r.subject, 2001);
	assert_int_equal(r.peer, 1001);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.port_lo, 8000);
	assert_int_equal(r.port_hi, 8080);
	assert_int_equal(r.l7_ruleset, 7);
	assert_int_equal(r.cookie, 42);
}

static void test_egress_deny_single_port(void **state)
{
	struct xg_rule r =
		parse_ok("egress deny subject=5 peer=any proto=udp port=53");

	assert_int_equal(r.dir, XG_DIR_EGRESS);
	assert_int_equal(r.action, XG_ACT_DENY);
	assert_int_equal(r.subject, 5);
	assert_int_equal(r.peer, 0);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.port_lo, 53);
	assert_int_equal(r.port_hi, 53);
	assert_int_equal(r.l7_ruleset, 0);
	assert_int_equal(r.cookie, 0);
}

/* Words may come in any order. */
static void test_any_order(void **state)
{
	struct xg_rule r =
		parse_ok("cookie=3 port=1-2 proto=sctp subject=9 allow peer=4 egress");

	assert_int_equal(r.dir, XG_DIR_EGRESS);
	assert_int_equal(r.action, XG_ACT_ALLOW);
	assert_int_equal(r.subject, 9);
	assert_int_equal(r.peer, 4);
	assert_int_equal(r.proto, 132);
	assert_int_equal(r.port_lo, 1);
	assert_int_equal(r.port_hi, 2);
	assert_int_equal(r.cookie, 3);
}

static void test_protocols(void **state)
{
	static const struct {
		const char *name;
		__u8 num;
	} t[] = {
		{ "tcp", 6 },	 { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 },
		{ "icmpv6", 58 }, { "any", 0 },	{ "0", 0 },	 { "47", 47 },
		{ "255", 255 },	 { "6", 6 },
	};
	char line[96];

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct xg_rule r;

		snprintf(line, sizeof(line), "ingress allow subject=1 proto=%s",
			 t[i].name);
		r = parse_ok(line);
		if (r.proto != t[i].num)
			fail_msg("proto=%s: %u, want %u", t[i].name, r.proto,
				 t[i].num);
		/* No port= means every port. */
		assert_int_equal(r.port_lo, 0);
		assert_int_equal(r.port_hi, 65535);
	}
}

static void test_defaults(void **state)
{
	struct xg_rule r = parse_ok("ingress allow subject=1");

	assert_int_equal(r.subject, 1);
	assert_int_equal(r.peer, 0);
	assert_int_equal(r.proto, 0);
	assert_int_equal(r.port_lo, 0);
	assert_int_equal(r.port_hi, 65535);
	assert_int_equal(r.l7_ruleset, 0);
	assert_int_equal(r.cookie, 0);
	assert_int_equal(r.pad, 0);

	/* peer=0 is "any" too. */
	r = parse_ok("egress deny subject=1 peer=0");
	assert_int_equal(r.peer, 0);
	/* A deny with l7=0 carries no L7 ruleset: fine. */
	r = parse_ok("egress deny subject=1 l7=0");
	assert_int_equal(r.l7_ruleset, 0);
}

static void test_port_forms(void **state)
{
	static const struct {
		const char *port;
		__u16 lo, hi;
	} t[] = {
		{ "0", 0, 0 },		 { "65535", 65535, 65535 },
		{ "0-65535", 0, 65535 }, { "80-80", 80, 80 },
		{ "1-65535", 1, 65535 }, { "1024-2047", 1024, 2047 },
	};
	char line[96];

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct xg_rule r;

		snprintf(line, sizeof(line),
			 "ingress allow subject=1 proto=tcp port=%s", t[i].port);
		r = parse_ok(line);
		if (r.port_lo != t[i].lo || r.port_hi != t[i].hi)
			fail_msg("port=%s: %u-%u", t[i].port, r.port_lo,
				 r.port_hi);
	}
	/* ICMP: the port is the type. */
	parse_ok("ingress allow subject=1 proto=icmp port=8");
}

static void test_id_bounds(void **state)
{
	struct xg_rule r = parse_ok(
		"ingress allow subject=4294967295 peer=4294967295 l7=4294967295 cookie=4294967295");

	assert_int_equal(r.subject, 4294967295u);
	assert_int_equal(r.peer, 4294967295u);
	assert_int_equal(r.l7_ruleset, 4294967295u);
	assert_int_equal(r.cookie, 4294967295u);
	r = parse_ok("ingress allow subject=0000000001 cookie=0");
	assert_int_equal(r.subject, 1);
	assert_int_equal(r.cookie, 0);
}

static void test_blank_and_comments(void **state)
{
	static const char *const blank[] = {
		"",	    " ",	   "\t \t",    "\n",	     "\r\n",
		"# a comment", "   # ingress allow subject=1", "#",
		"\t#x\r\n", "#ingress bogus=1",
	};
	struct xg_rule r;
	struct xg_err err = {};

	for (size_t i = 0; i < ARRAY_SIZE(blank); i++) {
		int ret = xg_rule_parse(blank[i], &r, &err);

		if (ret != 0)
			fail_msg("'%s': %d, want 0 (blank)", blank[i], ret);
	}
	/* A comment after a rule, spaced or glued to the last word. */
	r = parse_ok("ingress allow subject=3 # trailing");
	assert_int_equal(r.subject, 3);
	r = parse_ok("ingress allow subject=3#port=80");
	assert_int_equal(r.subject, 3);
	assert_int_equal(r.port_hi, 65535);
}

static void test_tabs_and_crlf(void **state)
{
	struct xg_rule r =
		parse_ok("\tingress\tallow\t subject=9\tproto=udp\tport=7\r\n");

	assert_int_equal(r.dir, XG_DIR_INGRESS);
	assert_int_equal(r.subject, 9);
	assert_int_equal(r.proto, 17);
	assert_int_equal(r.port_lo, 7);
	assert_int_equal(r.port_hi, 7);
	r = parse_ok("egress deny subject=2\r");
	assert_int_equal(r.subject, 2);
	/* Columns count bytes: a tab is one. */
	parse_bad("\tingress\tbogus", "bogus", 10);
}

/* ----------------------------------------------- malformed lines -- */

static void test_malformed_words(void **state)
{
	static const struct {
		const char *line, *word;
		int col;
	} t[] = {
		/* unknown word / key, key without '=' */
		{ "ingress allow subject=1 bogus", "bogus", 25 },
		{ "INGRESS allow subject=1", "INGRESS", 1 },
		{ "ingress allow subject=1 foo=1", "foo=1", 25 },
		{ "ingress allow subject=1 =5", "=5", 25 },
		{ "ingress allow subject", "subject", 15 },
		{ "ingress allow subject=1 proto", "proto", 25 },
		/* duplicates */
		{ "ingress egress allow subject=1", "egress", 9 },
		{ "ingress allow ingress subject=1", "ingress", 15 },
		{ "allow ingress deny subject=1", "deny", 15 },
		{ "ingress allow allow subject=1", "allow", 15 },
		/* subject */
		{ "ingress allow subject=0", "subject=0", 15 },
		{ "ingress allow subject=4294967296", "subject=4294967296", 15 },
		{ "ingress allow subject=99999999999", "subject=99999999999", 15 },
		{ "ingress allow subject=-1", "subject=-1", 15 },
		{ "ingress allow subject=1x", "subject=1x", 15 },
		{ "ingress allow subject=0x10", "subject=0x10", 15 },
		{ "ingress allow subject=", "subject=", 15 },
		/* peer */
		{ "ingress allow subject=1 peer=-1", "peer=-1", 25 },
		{ "ingress allow subject=1 peer=4294967296", "peer=4294967296", 25 },
		{ "ingress allow subject=1 peer=ANY", "peer=ANY", 25 },
		{ "ingress allow subject=1 peer=", "peer=", 25 },
		/* proto */
		{ "ingress allow subject=1 proto=256", "proto=256", 25 },
		{ "ingress allow subject=1 proto=xyz", "proto=xyz", 25 },
		{ "ingress allow subject=1 proto=TCP", "proto=TCP", 25 },
		{ "ingress allow subject=1 proto=-6", "proto=-6", 25 },
		{ "ingress allow subject=1 proto=", "proto=", 25 },
		/* port */
		{ "ingress allow subject=1 proto=tcp port=65536", "port=65536", 35 },
		{ "ingress allow subject=1 proto=tcp port=10-5", "port=10-5", 35 },
		{ "ingress allow subject=1 proto=tcp port=-5", "port=-5", 35 },
		{ "ingress allow subject=1 proto=tcp port=5-", "port=5-", 35 },
		{ "ingress allow subject=1 proto=tcp port=-", "port=-", 35 },
		{ "ingress allow subject=1 proto=tcp port=1-2-3", "port=1-2-3", 35 },
		{ "ingress allow subject=1 proto=tcp port=1-65536", "port=1-65536", 35 },
		{ "ingress allow subject=1 proto=tcp port=http", "port=http", 35 },
		{ "ingress allow subject=1 proto=tcp port=", "port=", 35 },
		/* l7, cookie */
		{ "ingress allow subject=1 l7=x", "l7=x", 25 },
		{ "ingress allow subject=1 l7=", "l7=", 25 },
		{ "ingress allow subject=1 l7=4294967296", "l7=4294967296", 25 },
		{ "ingress allow subject=1 cookie=-1", "cookie=-1", 25 },
		{ "ingress allow subject=1 cookie=", "cookie=", 25 },
		/* the first bad word is the one reported */
		{ "ingress allow subject=0 bogus", "subject=0", 15 },
		{ "  ingress  allow  subject=1  nope  port=1", "nope", 30 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		parse_bad(t[i].line, t[i].word, t[i].col);
}

/* What is missing or inconsistent has no column; the message names the
 * field. */
static void test_missing_and_inconsistent(void **state)
{
	static const struct {
		const char *line, *field;
	} t[] = {
		{ "allow subject=1", "direction" },
		{ "ingress subject=1", "action" },
		{ "ingress allow", "subject" },
		{ "ingress", "action" },
		{ "deny", "direction" },
		{ "subject=5", "direction" },
		{ "ingress allow peer=3 proto=tcp", "subject" },
		{ "ingress allow subject=1 port=80", "proto" },
		{ "ingress allow subject=1 proto=any port=80", "proto" },
		{ "ingress allow subject=1 proto=0 port=0-65535", "proto" },
		{ "ingress deny subject=1 l7=3", "l7" },
		/* Keys on their own are not a blank line. */
		{ "port=80", "direction" },
		{ "proto=tcp", "direction" },
		{ "peer=5", "direction" },
		{ "peer=any", "direction" },
		{ "l7=3", "direction" },
		{ "cookie=9 # a comment", "direction" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		parse_bad(t[i].line, t[i].field, 0);
}

static void test_long_line(void **state)
{
	char line[5000];
	struct xg_rule r;
	struct xg_err err = {};

	/* Exactly the limit: fine. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "ingress allow subject=7", 23);
	line[MAX_LINE] = '\0';
	parse_ok(line);
	/* One more byte, even of blanks or comment: rejected. */
	line[MAX_LINE] = ' ';
	line[MAX_LINE + 1] = '\0';
	assert_int_equal(xg_rule_parse(line, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer"));
	assert_non_null(strstr(err.msg, "1024"));
	memset(line, '#', sizeof(line));
	line[sizeof(line) - 1] = '\0';
	memset(&err, 0, sizeof(err));
	assert_int_equal(xg_rule_parse(line, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "longer"));
}

/* ----------------------------------------------------- whole files -- */

static void test_load_file(void **state)
{
	static const char text[] =
		"# xgate rules\n"
		"\n"
		"ingress allow subject=2001 peer=1001 proto=tcp port=8000-8080 l7=7\n"
		"   \t\n"
		"  # indented comment\n"
		"egress deny subject=2001 proto=udp port=53 cookie=9 # dns\n"
		"ingress allow subject=3\n";
	struct xg_rule *r;
	struct xg_err err;
	char path[64];
	size_t n;

	assert_int_equal(load_str(path, text, &r, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_non_null(r);
	assert_int_equal(r[0].dir, XG_DIR_INGRESS);
	assert_int_equal(r[0].action, XG_ACT_ALLOW);
	assert_int_equal(r[0].subject, 2001);
	assert_int_equal(r[0].peer, 1001);
	assert_int_equal(r[0].proto, 6);
	assert_int_equal(r[0].port_lo, 8000);
	assert_int_equal(r[0].port_hi, 8080);
	assert_int_equal(r[0].l7_ruleset, 7);
	assert_int_equal(r[1].dir, XG_DIR_EGRESS);
	assert_int_equal(r[1].action, XG_ACT_DENY);
	assert_int_equal(r[1].proto, 17);
	assert_int_equal(r[1].port_lo, 53);
	assert_int_equal(r[1].port_hi, 53);
	assert_int_equal(r[1].cookie, 9);
	assert_int_equal(r[2].subject, 3);
	assert_int_equal(r[2].proto, 0);
	assert_int_equal(r[2].port_hi, 65535);
	free(r);
}

/* More rules than the first allocation holds, in file order. */
static void test_load_many(void **state)
{
	char *text = malloc(100 * 40 + 1), path[64];
	struct xg_rule *r;
	struct xg_err err;
	size_t n, off = 0;

	assert_non_null(text);
	for (int i = 1; i <= 100; i++)
		off += (size_t)sprintf(text + off, "%s allow subject=%d\n",
				       i % 2 ? "ingress" : "egress", i);
	assert_int_equal(load_str(path, text, &r, &n, &err), 0);
	assert_int_equal(n, 100);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r[i].subject, i + 1);
		assert_int_equal(r[i].dir,
				 i % 2 ? XG_DIR_EGRESS : XG_DIR_INGRESS);
	}
	free(r);
	free(text);
}

static void test_load_empty(void **state)
{
	struct xg_rule *r;
	struct xg_err err;
	char path[64];
	size_t n;

	assert_int_equal(load_str(path, "", &r, &n, &err), 0);
	assert_int_equal(n, 0);
	free(r);
	assert_int_equal(load_str(path, "# nothing\n\n", &r, &n, &err), 0);
	assert_int_equal(n, 0);
	free(r);
}

static void test_load_error_position(void **state)
{
	struct xg_rule *r = NULL;
	struct xg_err err;
	char path[64], buf[512];
	size_t n;

	assert_int_equal(load_str(path,
				  "ingress allow subject=1\n"
				  "# fine\n"
				  "egress allow subject=2 proto=bogus\n"
				  "ingress allow subject=4\n",
				  &r, &n, &err),
			 -EINVAL);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 24);
	assert_non_null(strstr(err.msg, "proto=bogus"));
	/* Printed as file:line:col: msg. */
	xg_err_str(&err, buf, sizeof(buf));
	assert_true(!strncmp(buf, path, strlen(path)));
	assert_non_null(strstr(buf, ":3:24: "));

	/* An error without a column reports column 1. */
	assert_int_equal(load_str(path, "\ningress subject=1\n", &r, &n, &err),
			 -EINVAL);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 1);
	assert_non_null(strstr(err.msg, "action"));

	/* Columns count from the line's start, through CRLF lines. */
	assert_int_equal(load_str(path, "ingress allow subject=1\r\n\r\n"
					"\tegress deny subject=2 peer=x\r\n",
				  &r, &n, &err),
			 -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 24);
	assert_non_null(strstr(err.msg, "peer=x"));
}

static void test_load_missing_file(void **state)
{
	struct xg_rule *r = NULL;
	struct xg_err err = {};
	size_t n = 0;
	int ret;

	ret = xg_rules_load("/nonexistent/xgate/rules.txt", &r, &n, &err);
	assert_int_equal(ret, -ENOENT);
	assert_string_equal(err.where, "/nonexistent/xgate/rules.txt");
	assert_true(err.msg[0]);
	assert_null(r);
}

static void test_load_no_final_newline(void **state)
{
	struct xg_rule *r;
	struct xg_err err;
	char path[64];
	size_t n;

	assert_int_equal(load_str(path, "ingress allow subject=1\negress deny subject=2 proto=icmp",
				  &r, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].dir, XG_DIR_EGRESS);
	assert_int_equal(r[1].action, XG_ACT_DENY);
	assert_int_equal(r[1].subject, 2);
	assert_int_equal(r[1].proto, 1);
	free(r);
	/* CRLF, last line without its newline. */
	assert_int_equal(load_str(path, "ingress allow subject=1\r\negress allow subject=5\r",
				  &r, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].subject, 5);
	free(r);
}

/* Line `lineno` of a file of short rules holds `len` bytes (a rule and
 * blanks), then a newline if nl. */
static int load_with_line(size_t lineno, size_t len, int nl,
			  struct xg_rule **r, size_t *n, struct xg_err *err,
			  char path[64])
{
	char *text = malloc(lineno * 32 + len + 2);
	size_t off = 0;
	int ret;

	assert_non_null(text);
	for (size_t i = 1; i < lineno; i++)
		off += (size_t)sprintf(text + off, "ingress allow subject=%zu\n", i);
	memset(text + off, ' ', len);
	memcpy(text + off, "egress allow subject=77", 23);
	off += len;
	if (nl)
		text[off++] = '\n';
	write_file(path, text, off);
	free(text);
	memset(err, 0, sizeof(*err));
	*r = NULL;
	*n = 0;
	ret = xg_rules_load(path, r, n, err);
	unlink(path);
	return ret;
}

static void test_load_long_line(void **state)
{
	struct xg_rule *r;
	struct xg_err err;
	char path[64];
	size_t n;

	/* At the limit, with or without the newline: fine. */
	assert_int_equal(load_with_line(2, MAX_LINE, 1, &r, &n, &err, path), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[1].subject, 77);
	free(r);
	assert_int_equal(load_with_line(2, MAX_LINE, 0, &r, &n, &err, path), 0);
	assert_int_equal(n, 2);
	free(r);
	/* Over it, in the middle or at the end: rejected on its line. */
	for (int nl = 0; nl <= 1; nl++) {
		assert_int_equal(load_with_line(3, MAX_LINE + 1, nl, &r, &n,
						&err, path),
				 -EINVAL);
		assert_string_equal(err.where, path);
		assert_int_equal(err.line, 3);
		assert_non_null(strstr(err.msg, "longer"));
		assert_null(r);
	}
	assert_int_equal(load_with_line(4, 3 * MAX_LINE, 1, &r, &n, &err, path),
			 -EINVAL);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "longer"));
}

/* A NUL byte is not text: the line is rejected, never cut short. */
static void test_load_nul(void **state)
{
	static const char mid[] = "ingress allow subject=1\n"
				  "egress allow subject=2\0 bogus\n"
				  "ingress allow subject=3\n";
	struct xg_rule *r = NULL;
	struct xg_err err = {};
	char path[64];
	size_t n = 0;

	write_file(path, mid, sizeof(mid) - 1);
	assert_int_equal(xg_rules_load(path, &r, &n, &err), -EINVAL);
	unlink(path);
	assert_string_equal(err.where, path);
	assert_int_equal(err.line, 2);
	assert_true(err.msg[0]);
	assert_null(r);
}

/* A NUL inside the last line (no newline after it) is refused, not
 * taken as the end of the line: "deny ... \0 <anything>" must not load as a rule.
 */
static void test_load_nul_last_line(void **state)
{
	static const char last[] = "ingress allow subject=1\n"
				   "egress deny subject=2\0 bogus";
	struct xg_rule *r = NULL;
	struct xg_err err = {};
	char path[64];
	size_t n = 0;
	int ret;

	write_file(path, last, sizeof(last) - 1);
	ret = xg_rules_load(path, &r, &n, &err);
	unlink(path);
	if (!ret)
		free(r);
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void test_key_twice(void **state)
{
	struct xg_rule r;
	struct xg_err err = {};

	assert_int_equal(xg_rule_parse("ingress allow subject=1 subject=2", &r, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	assert_int_equal(err.col, 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_fields),
		cmocka_unit_test(test_egress_deny_single_port),
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_port_forms),
		cmocka_unit_test(test_id_bounds),
		cmocka_unit_test(test_blank_and_comments),
		cmocka_unit_test(test_tabs_and_crlf),
		cmocka_unit_test(test_malformed_words),
		cmocka_unit_test(test_missing_and_inconsistent),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_many),
		cmocka_unit_test(test_load_empty),
		cmocka_unit_test(test_load_error_position),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_no_final_newline),
		cmocka_unit_test(test_load_long_line),
		cmocka_unit_test(test_load_nul),
		cmocka_unit_test(test_load_nul_last_line),
		cmocka_unit_test(test_key_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
