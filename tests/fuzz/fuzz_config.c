// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for ctrl/config.c: the input is the text of an
 * xgate.conf.  Beyond "no sanitizer report": the answer is 0 or -EINVAL;
 * an error names the file and says something; a config that loads holds
 * only values the checks allow (so no check can be skipped by some path
 * through the parser); and loading the same text twice gives the same
 * config, byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/config.h"
#include "ctrl/maglev.h"

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/*
 * libconfig 1.5 leaks the strings it has read when the parse then fails
 * (bison drops their values on a syntax error): a few bytes per refused
 * file in the daemon, but a report on every such input here.  Leaks
 * through our own code are still reported.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

/* ... without a table of them after every such input. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

static int in(long long v, long long lo, long long hi)
{
	return v >= lo && v <= hi;
}

static void check_conf(const struct xg_conf *c)
{
	CHECK(c->node[0]);
	CHECK(c->n_ifaces <= XG_CONF_IFACES_MAX);
	for (unsigned int i = 0; i < c->n_ifaces; i++) {
		CHECK(in((long long)strlen(c->ifaces[i].name), 1,
			 XG_CONF_IFNAME_MAX));
		CHECK(!strchr(c->ifaces[i].name, '/'));
		CHECK(in(c->ifaces[i].mode, XG_XDP_NATIVE, XG_XDP_OFFLOAD));
		for (unsigned int j = 0; j < i; j++)
			CHECK(strcmp(c->ifaces[i].name, c->ifaces[j].name));
	}
	CHECK(c->forward == XG_FWD_FIB || c->forward == XG_FWD_PASS);
	CHECK(c->pin_root[0] == '/' && c->state_dir[0] == '/');
	CHECK(c->kvstore.type == XG_KV_FILE || c->kvstore.type == XG_KV_ETCD);
	CHECK(c->kvstore.path[0] == '/');
	CHECK(in(c->kvstore.n_endpoints, 1, XG_CONF_ENDPOINTS_MAX));
	for (unsigned int i = 0; i < c->kvstore.n_endpoints; i++)
		CHECK(!strncmp(c->kvstore.endpoints[i], "http://", 7) ||
		      !strncmp(c->kvstore.endpoints[i], "https://", 8));
	CHECK(c->kvstore.prefix[0] == '/' &&
	      c->kvstore.prefix[strlen(c->kvstore.prefix) - 1] == '/');
	CHECK(in(c->kvstore.timeout_ms, 100, 60000));
	CHECK(in(c->maps.ipcache, XG_CONF_MAP_MIN, XG_CONF_MAP_MAX));
	CHECK(in(c->maps.policy, XG_CONF_MAP_MIN, XG_CONF_MAP_MAX));
	CHECK(in(c->maps.conntrack, XG_CONF_MAP_MIN, XG_CONF_MAP_MAX));
	CHECK(in(c->maps.fragments, XG_CONF_MAP_MIN, XG_CONF_MAP_MAX));
	CHECK(in(c->maps.deny_cache, XG_CONF_MAP_MIN, XG_CONF_MAP_MAX));
	CHECK(xg_maglev_is_prime(c->maps.maglev_table_size) &&
	      c->maps.maglev_table_size <= XG_MAGLEV_M_MAX);
	CHECK(in(c->timeouts.tcp_syn, 1, 3600));
	CHECK(in(c->timeouts.tcp_established, 1, 7 * 86400));
	CHECK(in(c->timeouts.tcp_close, 1, 3600));
	CHECK(in(c->timeouts.other, 1, 7 * 86400));
	CHECK(in(c->timeouts.deny_cache, 1, 3600));
	CHECK(in(c->timeouts.fragments, 1, 300));
	CHECK(c->events.per_second <= 1000000);
	CHECK(c->api.socket[0] == '/');
	/* The project rule: metrics on loopback or nowhere. */
	if (c->api.metrics[0]) {
		struct in6_addr a6;
		struct in_addr a4;

		if (inet_pton(AF_INET, c->api.metrics_host, &a4) == 1)
			CHECK(ntohl(a4.s_addr) >> 24 == 127);
		else
			CHECK(inet_pton(AF_INET6, c->api.metrics_host, &a6) ==
				      1 &&
			      IN6_IS_ADDR_LOOPBACK(&a6));
		CHECK(c->api.metrics_port);
	}
	CHECK(in(c->fastpath.queues, 1, XG_CONF_FP_QUEUES_MAX));
	CHECK(in(c->fastpath.frames, 256, 65536) &&
	      !(c->fastpath.frames & (c->fastpath.frames - 1)));
	CHECK(in(c->fastpath.stream_buffer, 4096, 16 << 20));
	CHECK(in(c->fastpath.max_head, 1024, 65536));
	CHECK(c->fastpath.max_head <= c->fastpath.stream_buffer);
	CHECK(in(c->fastpath.max_headers, 1, XG_CONF_FP_HEADERS_MAX));
	CHECK(in(c->fastpath.max_held, 16, 65536));
	CHECK(in(c->fastpath.idle_timeout, 1, 86400));
	CHECK(in(c->log.level, XG_LOG_WARN, XG_LOG_DEBUG));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xg_conf a, b;
	struct xg_err err = {0};
	char *text = malloc(size + 1);
	int ret, ret2;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ret = xg_conf_load_string("fuzz.conf", text, &a, &err);
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		CHECK(!strncmp(err.where, "fuzz.conf", 9));
		CHECK(err.msg[0]);
		CHECK(err.line >= 0);
	} else {
		check_conf(&a);
	}
	ret2 = xg_conf_load_string("fuzz.conf", text, &b, NULL);
	CHECK(ret2 == ret);
	if (!ret)
		CHECK(!memcmp(&a, &b, sizeof(a)));
	xg_conf_free(&a);
	xg_conf_free(&b);
	free(text);
	return 0;
}
