// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's configuration (ctrl/config.c): the shipped
 * config/xgate.conf loads with the values it documents; an empty file is
 * every default; each kind of mistake (unknown key, wrong type, value out
 * of range, bad name, address or URL, syntax) is refused with the key
 * path, the line and a message that says what is wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctrl/config.h"

#ifndef XG_SRCDIR
#define XG_SRCDIR "."
#endif

static void test_shipped(void **state)
{
	struct xg_loader_opts o;
	struct xg_err e = {0};
	struct xg_conf c;
	int ret;

	ret = xg_conf_load_file(XG_SRCDIR "/config/xgate.conf", &c, &e);
	if (ret)
		fail_msg("%s:%d: %s", e.where, e.line, e.msg);
	assert_string_equal(c.node, "gw-lab");
	/* the lab's gateway legs (tools/lab.sh) */
	assert_int_equal(c.n_ifaces, 2);
	assert_string_equal(c.ifaces[0].name, "gw0");
	assert_string_equal(c.ifaces[1].name, "gw1");
	assert_int_equal(c.ifaces[0].mode, XG_XDP_NATIVE);
	assert_int_equal(c.ifaces[1].mode, XG_XDP_NATIVE);
	assert_int_equal(c.forward, XG_FWD_FIB);
	/* the lab's bpffs: /sys/fs/bpf is not one inside `ip netns exec` */
	assert_string_equal(c.pin_root, "/run/xgate-lab/xg/bpffs/xgate");
	assert_string_equal(c.state_dir, "/var/lib/xgate");
	assert_int_equal(c.kvstore.type, XG_KV_FILE);
	assert_string_equal(c.kvstore.path, "/etc/xgate/policies");
	assert_int_equal(c.maps.ipcache, 1048576);
	assert_int_equal(c.maps.policy, 262144);
	assert_int_equal(c.maps.conntrack, 1048576);
	assert_int_equal(c.maps.fragments, 65536);
	assert_int_equal(c.maps.deny_cache, 262144);
	assert_int_equal(c.maps.maglev_table_size, 16381);
	assert_int_equal(c.maps.verdict_cache, 4096);
	assert_int_equal(c.timeouts.tcp_syn, 60);
	assert_int_equal(c.timeouts.tcp_established, 21600);
	assert_int_equal(c.timeouts.tcp_close, 10);
	assert_int_equal(c.timeouts.other, 60);
	assert_int_equal(c.timeouts.deny_cache, 10);
	assert_int_equal(c.timeouts.fragments, 30);
	assert_int_equal(c.events.per_second, 1000);
	assert_true(c.events.verdicts);
	assert_string_equal(c.api.socket, "/run/xgate/xgate.sock");
	assert_string_equal(c.api.metrics, "127.0.0.1:9966");
	assert_string_equal(c.api.metrics_host, "127.0.0.1");
	assert_int_equal(c.api.metrics_port, 9966);
	assert_true(c.fastpath.enabled);
	assert_int_equal(c.fastpath.queues, 1);
	assert_int_equal(c.fastpath.frames, 4096);
	assert_true(c.fastpath.zerocopy);
	assert_false(c.fastpath.busy_poll);
	assert_int_equal(c.fastpath.stream_buffer, 65536);
	assert_int_equal(c.fastpath.max_head, 8192);
	assert_int_equal(c.fastpath.max_headers, 64);
	assert_int_equal(c.fastpath.max_held, 1024);
	assert_int_equal(c.fastpath.idle_timeout, 300);
	assert_int_equal(c.log.level, XG_LOG_INFO);

	xg_conf_to_loader_opts(&c, &o);
	assert_string_equal(o.pin_root, c.pin_root);
	assert_int_equal(o.ipcache_max, 1048576);
	assert_int_equal(o.policy_max, 262144);
	assert_int_equal(o.ct_max, 1048576);
	assert_int_equal(o.frag_max, 65536);
	assert_int_equal(o.denycache_max, 262144);
	assert_int_equal(o.cfg.fwd_mode, XG_FWD_FIB);
	assert_int_equal(o.cfg.events_per_sec, 1000);
	assert_int_equal(o.cfg.verdict_events, 1);
	assert_int_equal(o.cfg.ct_tcp_syn_s, 60);
	assert_int_equal(o.cfg.ct_tcp_est_s, 21600);
	assert_int_equal(o.cfg.ct_tcp_close_s, 10);
	assert_int_equal(o.cfg.ct_other_s, 60);
	assert_int_equal(o.cfg.deny_cache_s, 10);
	assert_int_equal(o.cfg.frag_s, 30);
	assert_int_equal(o.cfg.maglev_m, 16381);
	assert_int_equal(o.cfg.vcache_slots, 4096);
	xg_conf_free(&c);
}

/* Defaults are the datapath's own, and the ones config/xgate.conf names. */
static void check_defaults(const struct xg_conf *c)
{
	struct xg_config def = XG_CONFIG_DEFAULT;
	char host[256] = "";

	gethostname(host, sizeof(host));
	assert_string_equal(c->node, host);
	assert_int_equal(c->n_ifaces, 0);
	assert_int_equal(c->forward, XG_FWD_FIB);
	assert_string_equal(c->pin_root, "/sys/fs/bpf/xgate");
	assert_string_equal(c->state_dir, "/var/lib/xgate");
	assert_int_equal(c->kvstore.type, XG_KV_FILE);
	assert_string_equal(c->kvstore.path, "/etc/xgate/policies");
	assert_int_equal(c->kvstore.n_endpoints, 1);
	assert_string_equal(c->kvstore.endpoints[0], "http://127.0.0.1:2379");
	assert_string_equal(c->kvstore.prefix, "/xgate/v1/");
	assert_int_equal(c->kvstore.timeout_ms, 2000);
	assert_int_equal(c->maps.ipcache, XG_IPCACHE_MAX);
	assert_int_equal(c->maps.policy, XG_POLICY_MAX);
	assert_int_equal(c->maps.conntrack, XG_CT_MAX);
	assert_int_equal(c->maps.fragments, XG_FRAG_MAX);
	assert_int_equal(c->maps.deny_cache, XG_DENYCACHE_MAX);
	assert_int_equal(c->maps.maglev_table_size, XG_MAGLEV_M);
	assert_int_equal(c->maps.verdict_cache, XG_VCACHE_SLOTS);
	assert_int_equal(c->timeouts.tcp_syn, def.ct_tcp_syn_s);
	assert_int_equal(c->timeouts.tcp_established, def.ct_tcp_est_s);
	assert_int_equal(c->timeouts.tcp_close, def.ct_tcp_close_s);
	assert_int_equal(c->timeouts.other, def.ct_other_s);
	assert_int_equal(c->timeouts.deny_cache, def.deny_cache_s);
	assert_int_equal(c->timeouts.fragments, def.frag_s);
	assert_int_equal(c->events.per_second, def.events_per_sec);
	assert_int_equal(c->events.verdicts, def.verdict_events);
	assert_string_equal(c->api.socket, "/run/xgate/xgate.sock");
	assert_string_equal(c->api.metrics, "127.0.0.1:9966");
	assert_int_equal(c->api.metrics_port, 9966);
	/* the fast path's: fastpath/engine/engine.h XG_FP_LIMITS_DEFAULT */
	assert_true(c->fastpath.enabled);
	assert_int_equal(c->fastpath.queues, 1);
	assert_int_equal(c->fastpath.frames, 4096);
	assert_true(c->fastpath.zerocopy);
	assert_false(c->fastpath.busy_poll);
	assert_int_equal(c->fastpath.stream_buffer, 64 << 10);
	assert_int_equal(c->fastpath.max_head, 8192);
	assert_int_equal(c->fastpath.max_headers, 64);
	assert_int_equal(c->fastpath.max_held, 1024);
	assert_int_equal(c->fastpath.idle_timeout, 300);
	assert_int_equal(c->log.level, XG_LOG_INFO);
}

static void test_empty(void **state)
{
	char path[] = "/tmp/xgate-conf-XXXXXX";
	struct xg_conf c, d;
	struct xg_err e = {0};
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(xg_conf_load_file(path, &c, &e), 0);
	check_defaults(&c);
	xg_conf_default(&d);
	assert_memory_equal(&c, &d, sizeof(c));
	/* comments only, and empty groups, are empty too */
	assert_int_equal(xg_conf_load_string("t.conf",
					     "# nothing\n/* at */ // all\n"
					     "maps = { };\nlog = { };\n",
					     &c, &e),
			 0);
	assert_memory_equal(&c, &d, sizeof(c));
	unlink(path);
}

/* A group given in part keeps the defaults of the keys left out. */
static void test_partial(void **state)
{
	struct xg_err e = {0};
	struct xg_conf c;

	assert_int_equal(xg_conf_load_string("t.conf",
					     "maps = { conntrack = 2048; };\n"
					     "timeouts = { other = 30; };\n",
					     &c, &e),
			 0);
	assert_int_equal(c.maps.conntrack, 2048);
	assert_int_equal(c.maps.ipcache, XG_IPCACHE_MAX);
	assert_int_equal(c.maps.maglev_table_size, XG_MAGLEV_M);
	assert_int_equal(c.timeouts.other, 30);
	assert_int_equal(c.timeouts.tcp_syn, 60);
}

/* Other spellings that mean what they say. */
static void test_forms(void **state)
{
	static const char text[] =
		"node = \"edge-1.dc2\";\n"
		"interfaces = ( \"eth0\", { name = \"eth1\"; mode = \"generic\"; },\n"
		"               { mode = \"offload\"; name = \"ens1f0\"; } );\n"
		"forward = \"pass\";\n"
		"kvstore = { type = \"etcd\";\n"
		"  endpoints = \"https://etcd.example:2379\";\n"
		"  prefix = \"/\"; timeout_ms = 100; };\n"
		"maps = { ipcache = 0x100000; policy = 1048576L;\n"
		"  conntrack = 67108864; maglev_table_size = 131071;\n"
		"  verdict_cache = 0; };\n"
		"api = { metrics = \"[::1]:9966\"; };\n"
		"fastpath = { queues = 4; busy_poll = true; };\n"
		"log = { level = \"debug\"; };\n";
	struct xg_err e = {0};
	struct xg_conf c;
	int ret = xg_conf_load_string("t.conf", text, &c, &e);

	if (ret)
		fail_msg("%s:%d: %s", e.where, e.line, e.msg);
	assert_string_equal(c.node, "edge-1.dc2");
	assert_int_equal(c.n_ifaces, 3);
	assert_string_equal(c.ifaces[0].name, "eth0");
	assert_int_equal(c.ifaces[0].mode, XG_XDP_NATIVE);
	assert_string_equal(c.ifaces[1].name, "eth1");
	assert_int_equal(c.ifaces[1].mode, XG_XDP_GENERIC);
	assert_string_equal(c.ifaces[2].name, "ens1f0");
	assert_int_equal(c.ifaces[2].mode, XG_XDP_OFFLOAD);
	assert_int_equal(c.forward, XG_FWD_PASS);
	assert_int_equal(c.kvstore.type, XG_KV_ETCD);
	assert_int_equal(c.kvstore.n_endpoints, 1);
	assert_string_equal(c.kvstore.endpoints[0],
			    "https://etcd.example:2379");
	assert_string_equal(c.kvstore.prefix, "/");
	assert_int_equal(c.kvstore.timeout_ms, 100);
	assert_int_equal(c.maps.ipcache, 0x100000);
	assert_int_equal(c.maps.policy, 1048576);
	assert_int_equal(c.maps.conntrack, 1 << 26);
	assert_int_equal(c.maps.maglev_table_size, 131071);
	assert_int_equal(c.maps.verdict_cache, 0);
	assert_string_equal(c.api.metrics_host, "::1");
	assert_int_equal(c.api.metrics_port, 9966);
	assert_int_equal(c.fastpath.queues, 4);
	assert_true(c.fastpath.busy_poll);
	assert_int_equal(c.fastpath.frames, 4096);
	assert_int_equal(c.log.level, XG_LOG_DEBUG);

	assert_int_equal(
		xg_conf_load_string(
			"t.conf",
			"kvstore = { type = \"etcd\"; endpoints = [\n"
			"  \"http://10.0.0.1:2379\", \"http://[fd00::2]:2379/\",\n"
			"  \"http://etcd-3\" ]; };\n"
			"api = { metrics = \"127.3.2.1:1\"; };\n",
			&c, &e),
		0);
	assert_int_equal(c.kvstore.n_endpoints, 3);
	assert_string_equal(c.kvstore.endpoints[1], "http://[fd00::2]:2379/");
	assert_string_equal(c.api.metrics_host, "127.3.2.1");
	assert_int_equal(c.api.metrics_port, 1);

	/* "" turns metrics off */
	assert_int_equal(xg_conf_load_string("t.conf",
					     "api = { metrics = \"\"; };", &c,
					     &e),
			 0);
	assert_string_equal(c.api.metrics, "");
	assert_int_equal(c.api.metrics_port, 0);
}

/* The fast path: every key set, the limits' ends, and a group given in
 * part. */
static void test_fastpath(void **state)
{
	static const char text[] = "fastpath = {\n"
				   "  enabled = false;\n"
				   "  queues = 8;\n"
				   "  frames = 2048;\n"
				   "  zerocopy = false;\n"
				   "  busy_poll = true;\n"
				   "  stream_buffer = 1048576;\n"
				   "  max_head = 16384;\n"
				   "  max_headers = 32;\n"
				   "  max_held = 256;\n"
				   "  idle_timeout = 60;\n"
				   "};\n";
	struct xg_err e = {0};
	struct xg_conf c, d;
	int ret = xg_conf_load_string("t.conf", text, &c, &e);

	if (ret)
		fail_msg("%s:%d: %s", e.where, e.line, e.msg);
	assert_false(c.fastpath.enabled);
	assert_int_equal(c.fastpath.queues, 8);
	assert_int_equal(c.fastpath.frames, 2048);
	assert_false(c.fastpath.zerocopy);
	assert_true(c.fastpath.busy_poll);
	assert_int_equal(c.fastpath.stream_buffer, 1 << 20);
	assert_int_equal(c.fastpath.max_head, 16384);
	assert_int_equal(c.fastpath.max_headers, 32);
	assert_int_equal(c.fastpath.max_held, 256);
	assert_int_equal(c.fastpath.idle_timeout, 60);

	/* the ends of each range; max_head may equal stream_buffer */
	ret = xg_conf_load_string("t.conf",
				  "fastpath = { queues = 64; frames = 65536;\n"
				  "  stream_buffer = 16777216; max_head = 65536;\n"
				  "  max_headers = 64; max_held = 65536;\n"
				  "  idle_timeout = 86400; };\n",
				  &c, &e);
	if (ret)
		fail_msg("%s:%d: %s", e.where, e.line, e.msg);
	assert_int_equal(c.fastpath.queues, XG_CONF_FP_QUEUES_MAX);
	assert_int_equal(c.fastpath.frames, 65536);
	assert_int_equal(c.fastpath.stream_buffer, 16 << 20);
	assert_int_equal(c.fastpath.max_head, 65536);
	assert_int_equal(c.fastpath.max_held, 65536);
	assert_int_equal(c.fastpath.idle_timeout, 86400);
	ret = xg_conf_load_string("t.conf",
				  "fastpath = { queues = 1; frames = 256;\n"
				  "  stream_buffer = 4096; max_head = 4096;\n"
				  "  max_headers = 1; max_held = 16;\n"
				  "  idle_timeout = 1; };\n",
				  &c, &e);
	if (ret)
		fail_msg("%s:%d: %s", e.where, e.line, e.msg);
	assert_int_equal(c.fastpath.frames, 256);
	assert_int_equal(c.fastpath.stream_buffer, 4096);
	assert_int_equal(c.fastpath.max_head, 4096);
	assert_int_equal(c.fastpath.max_headers, 1);
	assert_int_equal(c.fastpath.max_held, 16);
	assert_int_equal(c.fastpath.idle_timeout, 1);

	/* one key changed, the rest at their defaults */
	assert_int_equal(xg_conf_load_string("t.conf",
					     "fastpath = { enabled = false; };\n",
					     &c, &e),
			 0);
	xg_conf_default(&d);
	d.fastpath.enabled = false;
	assert_memory_equal(&c, &d, sizeof(c));
	/* an empty group is every default */
	assert_int_equal(xg_conf_load_string("t.conf", "fastpath = { };\n", &c,
					     &e),
			 0);
	xg_conf_default(&d);
	assert_memory_equal(&c, &d, sizeof(c));
}

struct bad {
	const char *text;
	const char *key; /* "" when the error has none (syntax) */
	int line;
	const char *msg; /* a part of the message */
};

static const struct bad bad[] = {
	/* unknown keys, anywhere, with a guess when it is a typo */
	{"kvstore = {\n  type = \"file\";\n  pth = \"/x\";\n};\n",
	 "kvstore.pth", 3,
	 "unknown key 'kvstore.pth' (did you mean 'kvstore.path'?)"},
	{"nodes = \"a\";\n", "nodes", 1,
	 "unknown key 'nodes' (did you mean 'node'?)"},
	{"\n\nbandwidth = 5;\n", "bandwidth", 3, "unknown key 'bandwidth'"},
	{"interfaces = (\n { name = \"gw0\";\n   mdoe = \"native\"; } );\n",
	 "interfaces[0].mdoe", 3, "unknown key 'interfaces[0].mdoe'"},
	{"maps = {\n  conntrak = 2048;\n};\n", "maps.conntrak", 2,
	 "did you mean 'maps.conntrack'?"},
	{"fastpath = { l7 = { max = 1; }; };\n", "fastpath.l7", 1,
	 "unknown key 'fastpath.l7'"},
	{"fastpath = {\n  queues = 2;\n  queue = 2;\n};\n", "fastpath.queue",
	 3, "unknown key 'fastpath.queue' (did you mean 'fastpath.queues'?)"},
	{"fastpath = { workers = 4; };\n", "fastpath.workers", 1,
	 "unknown key 'fastpath.workers'"},

	/* wrong types */
	{"maps = {\n  ipcache = \"big\";\n};\n", "maps.ipcache", 2,
	 "must be an integer, not a string"},
	{"timeouts = { tcp_syn = 1.5; };\n", "timeouts.tcp_syn", 1,
	 "must be an integer, not a number with a fraction"},
	{"forward = 1;\n", "forward", 1, "must be a string, not an integer"},
	{"events = {\n verdicts = 1;\n};\n", "events.verdicts", 2,
	 "must be true or false, not an integer"},
	{"fastpath = {\n  zerocopy = \"yes\";\n};\n", "fastpath.zerocopy", 2,
	 "must be true or false, not a string"},
	{"fastpath = { queues = \"4\"; };\n", "fastpath.queues", 1,
	 "must be an integer, not a string"},
	{"fastpath = true;\n", "fastpath", 1,
	 "must be a group { ... }, not a boolean"},
	{"maps = 5;\n", "maps", 1, "must be a group { ... }, not an integer"},
	{"interfaces = \"gw0\";\n", "interfaces", 1,
	 "must be a list ( { name = ...; }, ... ), not a string"},
	{"interfaces = ( 5 );\n", "interfaces[0]", 1,
	 "must be a group { name = ...; mode = ...; } or a name, not an integer"},
	{"kvstore = { type = \"etcd\"; endpoints = 2379; };\n",
	 "kvstore.endpoints", 1, "must be an array of URLs"},
	{"node = [ \"a\" ];\n", "node", 1, "must be a string, not an array"},

	/* out of range */
	{"maps = { ipcache = 0; };\n", "maps.ipcache", 1,
	 "must be 1024 to 67108864 entries, not 0"},
	{"maps = {\n\n conntrack = 67108865; };\n", "maps.conntrack", 3,
	 "must be 1024 to 67108864 entries, not 67108865"},
	{"maps = { deny_cache = -1; };\n", "maps.deny_cache", 1, "not -1"},
	{"maps = { fragments = 5000000000L; };\n", "maps.fragments", 1,
	 "not 5000000000"},
	{"maps = { maglev_table_size = 16380; };\n", "maps.maglev_table_size",
	 1, "must be a prime, and 16380 is not (nearest: 16369 or 16381)"},
	{"maps = { maglev_table_size = 131101; };\n", "maps.maglev_table_size",
	 1, "must be 251 to 131071 slots"},
	{"maps = { maglev_table_size = 13; };\n", "maps.maglev_table_size", 1,
	 "must be 251 to 131071 slots, not 13"},
	{"maps = { verdict_cache = 3000; };\n", "maps.verdict_cache", 1,
	 "must be a power of two, and 3000 is not (nearest: 2048 or 4096)"},
	{"maps = { verdict_cache = 131072; };\n", "maps.verdict_cache", 1,
	 "must be 0 to 65536 slots, not 131072"},
	{"timeouts = { tcp_established = 0; };\n", "timeouts.tcp_established",
	 1, "must be 1 to 604800 seconds, not 0"},
	{"timeouts = { fragments = 301; };\n", "timeouts.fragments", 1,
	 "must be 1 to 300 seconds"},
	{"events = { per_second = 1000001; };\n", "events.per_second", 1,
	 "must be 0 to 1000000 events per second"},
	{"kvstore = { type = \"etcd\"; timeout_ms = 50; };\n",
	 "kvstore.timeout_ms", 1, "must be 100 to 60000 milliseconds"},
	{"fastpath = { queues = 0; };\n", "fastpath.queues", 1,
	 "must be 1 to 64 queues, not 0"},
	{"fastpath = {\n  queues = 65;\n};\n", "fastpath.queues", 2,
	 "must be 1 to 64 queues, not 65"},
	{"fastpath = { frames = 128; };\n", "fastpath.frames", 1,
	 "must be 256 to 65536 frames, not 128"},
	{"fastpath = { frames = 131072; };\n", "fastpath.frames", 1,
	 "must be 256 to 65536 frames, not 131072"},
	{"fastpath = {\n\n  frames = 3000;\n};\n", "fastpath.frames", 3,
	 "must be a power of two, and 3000 is not (nearest: 2048 or 4096)"},
	{"fastpath = { frames = 65535; };\n", "fastpath.frames", 1,
	 "must be a power of two, and 65535 is not (nearest: 32768 or 65536)"},
	{"fastpath = { stream_buffer = 16777217; };\n",
	 "fastpath.stream_buffer", 1,
	 "must be 4096 to 16777216 bytes, not 16777217"},
	{"fastpath = { max_head = 512; };\n", "fastpath.max_head", 1,
	 "must be 1024 to 65536 bytes, not 512"},
	{"fastpath = { max_headers = 65; };\n", "fastpath.max_headers", 1,
	 "must be 1 to 64 headers, not 65"},
	{"fastpath = { max_held = 15; };\n", "fastpath.max_held", 1,
	 "must be 16 to 65536 frames, not 15"},
	{"fastpath = { idle_timeout = 0; };\n", "fastpath.idle_timeout", 1,
	 "must be 1 to 86400 seconds, not 0"},
	/* a head must fit in the stream buffer: at max_head when it is
	 * set, whichever comes first, else at stream_buffer */
	{"fastpath = {\n  max_head = 16384;\n  stream_buffer = 8192;\n};\n",
	 "fastpath.max_head", 2,
	 "fastpath.max_head (16384 bytes) is larger than fastpath.stream_buffer (8192 bytes)"},
	{"fastpath = {\n  stream_buffer = 4096;\n};\n",
	 "fastpath.stream_buffer", 2,
	 "fastpath.max_head (8192 bytes) is larger than fastpath.stream_buffer (4096 bytes)"},
	/* libconfig 1.5 would read this as 1024 (atoi): caught before */
	{"node = \"a\";\nmaps = { ipcache = 4294968320; };\n", "", 2,
	 "integer 4294968320 is out of range for any setting"},
	{"maps = { policy = 0x100000400; };\n", "", 1,
	 "integer 0x100000400 is out of range"},

	/* interfaces */
	{"interfaces = ( \"abcdefghijklmnop\" );\n", "interfaces[0]", 1,
	 "\"abcdefghijklmnop\" is not an interface name (1 to 15 characters"},
	{"interfaces = ( { name = \"a/b\"; } );\n", "interfaces[0].name", 1,
	 "is not an interface name"},
	{"interfaces = ( { name = \"\"; } );\n", "interfaces[0].name", 1,
	 "is not an interface name"},
	{"interfaces = ( \"gw0\",\n \"gw1\",\n \"gw0\" );\n", "interfaces[2]",
	 3, "\"gw0\" is listed twice"},
	{"interfaces = ( );\n", "interfaces", 1,
	 "must list 1 to 16 interfaces, not 0"},
	{"interfaces = ( \"e0\", \"e1\", \"e2\", \"e3\", \"e4\", \"e5\",\n"
	 "  \"e6\", \"e7\", \"e8\", \"e9\", \"e10\", \"e11\", \"e12\",\n"
	 "  \"e13\", \"e14\", \"e15\", \"e16\" );\n",
	 "interfaces", 1, "must list 1 to 16 interfaces, not 17"},
	{"interfaces = ( { mode = \"generic\"; } );\n", "interfaces[0]", 1,
	 "has no name"},
	{"interfaces = ( { name = \"gw0\"; mode = \"xdpdrv\"; } );\n",
	 "interfaces[0].mode", 1,
	 "must be \"native\", \"generic\" or \"offload\", not \"xdpdrv\""},

	/* enums */
	{"forward = \"route\";\n", "forward", 1,
	 "must be \"fib\" or \"pass\", not \"route\""},
	{"log = { level = \"trace\"; };\n", "log.level", 1,
	 "must be \"warn\", \"info\" or \"debug\", not \"trace\""},

	/* kvstore */
	{"kvstore = { type = \"consul\"; };\n", "kvstore.type", 1,
	 "must be \"file\" or \"etcd\", not \"consul\""},
	{"kvstore = { type = \"etcd\";\n endpoints = [ \"ftp://x:21\" ]; };\n",
	 "kvstore.endpoints[0]", 2,
	 "\"ftp://x:21\" is not an http:// or https:// URL"},
	{"kvstore = { type = \"etcd\"; endpoints = [ \"http://a:99999\" ]; };\n",
	 "kvstore.endpoints[0]", 1, "is not an http:// or https:// URL"},
	{"kvstore = { type = \"etcd\"; endpoints = [ \"http://a/v3\" ]; };\n",
	 "kvstore.endpoints[0]", 1, "is not an http:// or https:// URL"},
	{"kvstore = { type = \"etcd\"; endpoints = [ \"http://\" ]; };\n",
	 "kvstore.endpoints[0]", 1, "is not an http:// or https:// URL"},
	{"kvstore = { type = \"etcd\"; endpoints = [ ]; };\n",
	 "kvstore.endpoints", 1, "must list 1 to 16 endpoints, not 0"},
	{"kvstore = { type = \"etcd\"; endpoints = [ \"http://a\", \"http://a\" ]; };\n",
	 "kvstore.endpoints[1]", 1, "listed twice"},
	{"kvstore = { type = \"etcd\"; prefix = \"xgate/v1/\"; };\n",
	 "kvstore.prefix", 1, "must start and end with '/'"},
	{"kvstore = { type = \"etcd\"; prefix = \"/xgate/v1\"; };\n",
	 "kvstore.prefix", 1, "must start and end with '/'"},
	{"kvstore = {\n endpoints = [ \"http://a:1\" ];\n};\n",
	 "kvstore.endpoints", 2,
	 "is a setting of type \"etcd\", and type is \"file\""},
	{"kvstore = { type = \"etcd\";\n path = \"/srv\"; };\n", "kvstore.path",
	 2, "is a setting of type \"file\", and type is \"etcd\""},
	{"kvstore = { path = \"policies\"; };\n", "kvstore.path", 1,
	 "must be an absolute path, not \"policies\""},

	/* metrics: loopback literals only */
	{"api = {\n metrics = \"0.0.0.0:9966\"; };\n", "api.metrics", 2,
	 "\"0.0.0.0:9966\" is not on loopback"},
	{"api = { metrics = \"10.1.2.3:9966\"; };\n", "api.metrics", 1,
	 "is not on loopback: metrics listen on 127.0.0.0/8 or [::1] only"},
	{"api = { metrics = \"[::]:9966\"; };\n", "api.metrics", 1,
	 "is not on loopback"},
	{"api = { metrics = \"[::ffff:127.0.0.1]:9966\"; };\n", "api.metrics",
	 1, "is not on loopback"},
	{"api = { metrics = \"localhost:9966\"; };\n", "api.metrics", 1,
	 "must be address:port"},
	{"api = { metrics = \"127.0.0.1\"; };\n", "api.metrics", 1,
	 "must be address:port"},
	{"api = { metrics = \"127.0.0.1:0\"; };\n", "api.metrics", 1,
	 "must be address:port"},
	{"api = { metrics = \"::1:9966\"; };\n", "api.metrics", 1,
	 "must be address:port"},
	{"api = { metrics = \":9966\"; };\n", "api.metrics", 1,
	 "must be address:port"},
	{"api = { socket = \"/run/xgate/a-socket-path-that-is-far-too-long-to-fit-in-sun-path-which-holds-only-108-bytes-with-its-nul.sock\"; };\n",
	 "api.socket", 1, "longer than 107 characters"},

	/* names and paths */
	{"node = \"gw/1\";\n", "node", 1, "must be 1 to 253 letters, digits"},
	{"node = \"\";\n", "node", 1, "must be 1 to 253 letters"},
	{"state_dir = \"var/lib/xgate\";\n", "state_dir", 1,
	 "must be an absolute path"},
	{"pin_root = \"/sys/fs/bpf/x gate\";\n", "pin_root", 1,
	 "holds a space"},

	/* syntax: the line, from libconfig */
	{"node = \"a\";\nmaps = {\n  ipcache = ;\n};\n", "", 3, "syntax error"},
	{"node = \"a\";\nforward = = \"fib\";\n", "", 2, "syntax error"},
	{"maps = { ipcache = 2048; };\nmaps = { policy = 2048; };\n", "", 2,
	 "duplicate setting name"},
	{"# comment\n@include \"/etc/passwd\"\n", "", 2,
	 "@include is not supported"},
	{"node = \"a;\nforward = \"fib\";\n", "", 2,
	 "string opened here is never closed"},
	/* libconfig would take the rest of the file as comment */
	{"node = \"a\";\n/* never closed\nmaps = { ipcache = 1; };\n", "", 2,
	 "comment opened here is never closed"},
};

static void test_errors(void **state)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		struct xg_err e = {0};
		char where[256];
		struct xg_conf c;
		int ret = xg_conf_load_string("t.conf", b->text, &c, &e);

		snprintf(where, sizeof(where), "t.conf%s%s",
			 b->key[0] ? ": " : "", b->key);
		if (ret != -EINVAL || strcmp(e.where, where) ||
		    e.line != b->line || !strstr(e.msg, b->msg)) {
			print_error("case %zu: %s\n  got %d, '%s' line %d: %s\n"
				    "  want -EINVAL, '%s' line %d: ...%s...\n",
				    i, b->text, ret, e.where, e.line, e.msg,
				    where, b->line, b->msg);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_file_errors(void **state)
{
	char path[] = "/tmp/xgate-conf-XXXXXX";
	struct xg_err e = {0};
	struct xg_conf c;
	int fd;

	assert_int_equal(xg_conf_load_file("/nonexistent/xgate.conf", &c, &e),
			 -ENOENT);
	assert_string_equal(e.where, "/nonexistent/xgate.conf");
	assert_non_null(strstr(e.msg, "No such file"));

	assert_int_equal(xg_conf_load_file("/tmp", &c, &e), -EINVAL);
	assert_string_equal(e.msg, "not a regular file");

	/* errors from a file name it, and the key */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	{
		const char *t = "node = \"a\";\nlog = { level = \"loud\"; };\n";

		assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	}
	close(fd);
	assert_int_equal(xg_conf_load_file(path, &c, &e), -EINVAL);
	{
		char where[256];

		snprintf(where, sizeof(where), "%s: log.level", path);
		assert_string_equal(e.where, where);
	}
	assert_int_equal(e.line, 2);

	/* libconfig would stop at a NUL and never see the rest */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "node = \"a\";\n\0bogus = 1;\n", 24), 24);
	close(fd);
	assert_int_equal(xg_conf_load_file(path, &c, &e), -EINVAL);
	assert_string_equal(e.msg, "holds a NUL byte");
	assert_int_equal(e.line, 2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_fastpath),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
