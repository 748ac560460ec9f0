// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for xg_prefix_parse: the input, NUL-terminated, is
 * the text.  Beyond "no sanitizer report": the answer is 0 or -EINVAL;
 * an error comes with a message; a prefix has a valid family and length,
 * no host bits, was written as address[/digits], and prints to text that
 * parses back to the same prefix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/entries.h"
#include "xdp/abi.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xg_prefix p, q;
	struct xg_err err;
	char out[INET6_ADDRSTRLEN + 8];
	const char *slash;
	unsigned max;
	char *s;
	int ret;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* The endpoint parser ("addr:port", "[v6]:port") on the same input:
	 * an error with a message, or an address and a port 1-65535. */
	{
		__u8 fam = 0, addr[16];
		__u16 port = 0;

		memset(&err, 0, sizeof(err));
		ret = xg_endpoint_parse(s, &fam, addr, &port, &err);
		CHECK(ret == 0 || ret == -EINVAL);
		if (ret)
			CHECK(err.msg[0] != '\0');
		else
			CHECK((fam == XG_FAMILY_V4 || fam == XG_FAMILY_V6) && port);
	}

	memset(&err, 0, sizeof(err));
	ret = xg_prefix_parse(s, &p, &err);
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		CHECK(err.msg[0] && err.where[0]);
		goto out;
	}
	CHECK(p.family == XG_FAMILY_V4 || p.family == XG_FAMILY_V6);
	max = p.family == XG_FAMILY_V4 ? 32 : 128;
	CHECK(p.len <= max);
	for (unsigned bit = p.len; bit < 128; bit++)
		CHECK(!(p.addr[bit / 8] & (0x80 >> (bit % 8))));
	/* What came after the slash was a length: digits only. */
	slash = strchr(s, '/');
	if (slash) {
		CHECK(slash[1]);
		for (const char *c = slash + 1; *c; c++)
			CHECK(*c >= '0' && *c <= '9');
	} else {
		CHECK(p.len == max);
	}
	/* Printing and parsing again gives the same prefix. */
	xg_prefix_str(&p, out, sizeof(out));
	CHECK(xg_prefix_parse(out, &q, NULL) == 0);
	CHECK(!memcmp(&p, &q, sizeof(p)));
out:
	free(s);
	return 0;
}
