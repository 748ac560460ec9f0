// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for xg_rule_parse: the input, NUL-terminated, is the
 * rule line.  Beyond "no sanitizer report": the answer is 1, 0 or
 * -EINVAL; 0 only for a line with no word before its end or '#'; an
 * error comes with a message, and a column, when given, is the start of
 * a word that the message quotes; a rule is one the policy compiler
 * takes (xg_policy_compile on it alone succeeds), with every port when
 * it names no protocol and no L7 ruleset when it denies.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/policy_state.h"
#include "ctrl/rule_parse.h"
#include "xdp/abi.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#define BLANKS " \t\r\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xg_policy_set set;
	struct xg_rule r;
	struct xg_err err;
	size_t start, len;
	char *s, word[65];
	int ret;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(&err, 0, sizeof(err));
	ret = xg_rule_parse(s, &r, &err);
	CHECK(ret == 1 || ret == 0 || ret == -EINVAL);
	start = strspn(s, BLANKS);

	if (ret == 0) {
		/* Blank or comment, and short enough to look at. */
		CHECK(!s[start] || s[start] == '#');
		CHECK(strlen(s) <= 1024);
		goto out;
	}
	if (ret < 0) {
		CHECK(err.msg[0]);
		if (err.col) {
			/* A word starts there, and the message quotes it
			 * (up to 64 bytes). */
			CHECK(err.col >= 1 && (size_t)err.col <= strlen(s));
			CHECK(!strchr(BLANKS "#", s[err.col - 1]));
			CHECK(err.col == 1 || strchr(BLANKS, s[err.col - 2]));
			len = strcspn(s + err.col - 1, BLANKS "#");
			if (len > 64)
				len = 64;
			memcpy(word, s + err.col - 1, len);
			word[len] = '\0';
			CHECK(strstr(err.msg, word));
		}
		goto out;
	}

	CHECK(strlen(s) <= 1024);
	CHECK(s[start] && s[start] != '#');
	CHECK(r.dir == XG_DIR_INGRESS || r.dir == XG_DIR_EGRESS);
	CHECK(r.action == XG_ACT_ALLOW || r.action == XG_ACT_DENY);
	CHECK(r.subject != 0);
	CHECK(r.port_lo <= r.port_hi);
	CHECK(r.proto || (r.port_lo == 0 && r.port_hi == 65535));
	CHECK(r.action != XG_ACT_DENY || !r.l7_ruleset);
	CHECK(r.pad == 0);

	memset(&err, 0, sizeof(err));
	ret = xg_policy_compile(&r, 1, NULL, 0, &set, &err);
	if (ret)
		fprintf(stderr, "compile: %s: %s\n", err.where, err.msg);
	CHECK(ret == 0);
	CHECK(set.n >= 1);
	xg_policy_set_free(&set);
out:
	free(s);
	return 0;
}
