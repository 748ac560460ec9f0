// SPDX-License-Identifier: GPL-2.0-only
/*
 * xgatectl: attach the datapath, write its entries by hand, and show what
 * it is doing (counters, conntrack, live events).  Talks to the pinned
 * maps directly; the daemon's API (issue 4) will sit beside this.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp/abi.h"
#include "ctrl/entries.h"
#include "ctrl/loader.h"
#include "ctrl/log.h"
#include "ctrl/policy_state.h"
#include "ctrl/rule_parse.h"
#include "ctrl/services.h"
#include "api.h"

static const char *pin_root = XG_PIN_ROOT_DEFAULT;

static const char *const drop_text[] = {
#define X(name, text) [XG_DROP_##name] = text,
	XG_DROP_REASONS(X)
#undef X
};
static const char *const drop_name[] = {
#define X(name, text) [XG_DROP_##name] = #name,
	XG_DROP_REASONS(X)
#undef X
};
static const char *const verdict_name[] = {
#define X(name, text) [XG_VERDICT_##name] = text,
	XG_VERDICTS(X)
#undef X
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xgatectl [--socket PATH] [-o json] [--pin-root DIR] COMMAND ...\n"
		"with xgated (its socket, default %s, env XGATE_SOCKET):\n"
		"  status\n"
		"  policy list | get KEY | apply -f FILE [--key KEY] | delete KEY\n"
		"         | validate -f FILE [--key KEY]     (KEY: policies/NAME.yaml)\n"
		"  endpoint list | identity list\n"
		"  explain SRC DST tcp|udp|sctp|icmp PORT\n"
		"  l7 [EVENTS]        the L7 fast path: counters, the last verdicts\n"
		"on the datapath's pinned maps (with or without xgated):\n"
		"  attach [--mode native|generic|offload] [--fwd fib|pass]\n"
		"         [--ipcache-max N] [--policy-max N] [--ct-max N]\n"
		"         [--denycache-max N] [--frag-max N] [--svc-max N]\n"
		"         [--backends-max N] [--maglev-m PRIME]\n"
		"         IFACE...\n"
		"  detach IFACE...\n"
		"  ipcache set PREFIX IDENTITY | del PREFIX | list\n"
		"  rules apply FILE | list     (low-level rule lines; xgated owns the\n"
		"                              policy map when it runs)\n"
		"  service put ID VIP:PORT tcp|udp [affinity=SECONDS] BID=ADDR:PORT[/WEIGHT][/terminating]...\n"
		"  service del ID VIP:PORT tcp|udp | list\n"
		"  counters\n"
		"  ct list | flush\n"
		"  monitor [--count N] [--timeout SECONDS]\n"
		"pin root default %s (env XGATE_PIN_ROOT)\n",
		XG_SOCKET_DEFAULT, XG_PIN_ROOT_DEFAULT);
}

static int report(int err, const struct xg_err *e)
{
	char buf[512];

	fprintf(stderr, "xgatectl: %s\n", xg_err_str(e, buf, sizeof(buf)));
	return err;
}

static int open_maps(struct xg_mapset *ms, struct xg_mapset_bpf *priv)
{
	struct xg_err e = {};
	int err = xg_maps_open_pinned(pin_root, ms, priv, &e);

	return err ? report(err, &e) : 0;
}

/* "a.b.c.d" or "[v6]", ready for ":port" */
static void addr_str(__u8 family, const __u8 *a, char *buf, size_t len)
{
	char t[INET6_ADDRSTRLEN];

	inet_ntop(family == XG_FAMILY_V4 ? AF_INET : AF_INET6, a, t, sizeof(t));
	snprintf(buf, len, family == XG_FAMILY_V4 ? "%s" : "[%s]", t);
}

/* ---------------------------------------------------------- attach -- */

static int cmd_attach(int argc, char **argv)
{
	struct xg_loader_opts lo;
	static const struct option opts[] = {
		{ "mode", required_argument, 0, 'm' },
		{ "fwd", required_argument, 0, 'f' },
		{ "ipcache-max", required_argument, 0, 'I' },
		{ "policy-max", required_argument, 0, 'P' },
		{ "ct-max", required_argument, 0, 'C' },
		{ "denycache-max", required_argument, 0, 'D' },
		{ "frag-max", required_argument, 0, 'F' },
		{ "maglev-m", required_argument, 0, 'M' },
		{ "svc-max", required_argument, 0, 'S' },
		{ "backends-max", required_argument, 0, 'B' },
		{ 0 },
	};
	__u32 *sizes[128] = {
		['I'] = &lo.ipcache_max, ['P'] = &lo.policy_max, ['C'] = &lo.ct_max,
		['D'] = &lo.denycache_max, ['F'] = &lo.frag_max,
		['M'] = &lo.cfg.maglev_m, /* the loader checks it is prime */
		['S'] = &lo.svc_max, ['B'] = &lo.backends_max,
	};
	enum xg_xdp_mode mode = XG_XDP_NATIVE;
	struct xg_datapath *dp = NULL;
	struct xg_err e = {};
	int c, err = 0;

	xg_loader_opts_default(&lo);
	lo.pin_root = pin_root;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'm' && !xg_xdp_mode_parse(optarg, &mode))
			continue;
		if (c > 0 && c < 128 && sizes[c]) {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg >= '1' && *optarg <= '9' && !*end &&
			    v <= (1ul << 26)) {
				*sizes[c] = (__u32)v;
				continue;
			}
		}
		if (c == 'f' && !strcmp(optarg, "fib")) {
			lo.cfg.fwd_mode = XG_FWD_FIB;
			continue;
		}
		if (c == 'f' && !strcmp(optarg, "pass")) {
			lo.cfg.fwd_mode = XG_FWD_PASS;
			continue;
		}
		fprintf(stderr, "xgatectl attach: bad option value '%s'\n",
			optarg ? optarg : "");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "xgatectl attach: name at least one interface\n");
		return 2;
	}
	err = xg_dp_open(&lo, &dp, &e);
	if (err)
		return report(-err, &e);
	for (int i = optind; i < argc; i++) {
		err = xg_dp_attach(dp, argv[i], mode, &e);
		if (err) {
			report(-err, &e);
			goto out;
		}
		/* Every leg we attach to may also be a forwarding target. */
		err = xg_txport_add(xg_dp_maps(dp), if_nametoindex(argv[i]));
		if (err) {
			fprintf(stderr, "xgatectl: devmap entry for %s: %s\n",
				argv[i], strerror(-err));
			goto out;
		}
		printf("attached to %s (%s)\n", argv[i], xg_xdp_mode_str(mode));
	}
out:
	xg_dp_close(dp);
	return err ? 1 : 0;
}

static int cmd_detach(int argc, char **argv)
{
	struct xg_err e = {};
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "xgatectl detach: name an interface\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int err = xg_dp_detach_ifname(argv[i], &e);

		if (err) {
			report(err, &e);
			rc = 1;
		} else {
			printf("detached from %s\n", argv[i]);
		}
	}
	return rc;
}

/* --------------------------------------------------------- ipcache -- */

static int print_ipcache(const void *key, const void *val, void *arg)
{
	const struct xg_ipcache_key *k = key;
	const struct xg_ipcache_val *v = val;
	struct xg_prefix p = { .family = k->family,
			       .len = (__u8)(k->prefixlen - XG_IPCACHE_PREFIX_BASE) };
	char buf[64];

	memcpy(p.addr, k->addr, 16);
	printf("%-45s %u\n", xg_prefix_str(&p, buf, sizeof(buf)), v->identity);
	return 0;
}

static int cmd_ipcache(int argc, char **argv)
{
	struct xg_mapset ms;
	struct xg_mapset_bpf priv;
	struct xg_prefix p;
	struct xg_err e = {};
	int err;

	if (argc < 2)
		return usage(stderr), 2;
	err = open_maps(&ms, &priv);
	if (err)
		return 1;
	if (!strcmp(argv[1], "list")) {
		printf("%-45s %s\n", "PREFIX", "IDENTITY");
		err = xg_ipcache_walk(&ms, print_ipcache, NULL);
	} else if (!strcmp(argv[1], "set") && argc == 4) {
		char *end;
		unsigned long id = strtoul(argv[3], &end, 10);

		err = xg_prefix_parse(argv[2], &p, &e);
		if (err) {
			report(err, &e);
			goto out;
		}
		if (*end || !id || id > 0xffffffffUL) {
			fprintf(stderr, "xgatectl: '%s' is not an identity\n", argv[3]);
			err = -EINVAL;
			goto out;
		}
		err = xg_ipcache_set(&ms, &p, (__u32)id);
	} else if (!strcmp(argv[1], "del") && argc == 3) {
		err = xg_prefix_parse(argv[2], &p, &e);
		if (err) {
			report(err, &e);
			goto out;
		}
		err = xg_ipcache_del(&ms, &p);
	} else {
		usage(stderr);
		err = -EINVAL;
	}
	/* Flows and the verdict cache keep identities per revision: a new
	 * one makes them look again. */
	if (!err && strcmp(argv[1], "list"))
		err = xg_policy_rev_bump(&ms, NULL);
	if (err && err != -EINVAL)
		fprintf(stderr, "xgatectl ipcache: %s\n", strerror(-err));
out:
	xg_maps_close_pinned(&priv);
	return err ? 1 : 0;
}

/* ---------------------------------------------------------- policy -- */

static const char *dir_str(__u32 d)
{
	return d == XG_DIR_INGRESS ? "ingress" : d == XG_DIR_EGRESS ? "egress" : "?";
}

static const char *act_str(__u8 a)
{
	switch (a) {
	case XG_ACT_ALLOW:
		return "allow";
	case XG_ACT_DENY:
		return "deny";
	case XG_ACT_DEFAULT_DENY:
		return "default-deny";
	default:
		return "?";
	}
}

static int print_policy(const void *key, const void *val, void *arg)
{
	const struct xg_policy_key *k = key;
	const struct xg_policy_val *v = val;
	char peer[16], what[48];

	snprintf(peer, sizeof(peer), "%u", k->peer);
	if (k->prefixlen == XG_POLICY_PLEN_SUBJECT)
		snprintf(what, sizeof(what), "* (everything)");
	else if (k->prefixlen == XG_POLICY_PLEN_PEER)
		snprintf(what, sizeof(what), "any");
	else if (k->prefixlen == XG_POLICY_PLEN_PROTO)
		snprintf(what, sizeof(what), "%u/any", k->proto);
	else
		snprintf(what, sizeof(what), "%u/%u/%u", k->proto, ntohs(k->dport),
			 k->prefixlen - XG_POLICY_PLEN_PROTO);
	printf("%-10u %-8s %-10s %-18s %-13s %-6u %u\n", k->subject,
	       dir_str(k->dir),
	       k->prefixlen == XG_POLICY_PLEN_SUBJECT ? "*" : (k->peer ? peer : "any"),
	       what, act_str(v->action), v->l7_ruleset, v->cookie);
	return 0;
}

static int cmd_policy(int argc, char **argv)
{
	struct xg_policy_sync sync = {};
	struct xg_policy_set set = {};
	struct xg_sync_stats st;
	struct xg_rule *rules = NULL;
	struct xg_mapset ms;
	struct xg_mapset_bpf priv;
	struct xg_err e = {};
	size_t n = 0;
	int err;

	if (argc < 2)
		return usage(stderr), 2;
	if (!strcmp(argv[1], "apply") && argc == 3) {
		/* Validate before touching anything: a bad file changes
		 * nothing. */
		err = xg_rules_load(argv[2], &rules, &n, &e);
		if (!err)
			err = xg_policy_compile(rules, n, NULL, 0, &set, &e);
		free(rules);
		if (err)
			return report(err, &e), 1;
	} else if (strcmp(argv[1], "list")) {
		return usage(stderr), 2;
	}
	if (open_maps(&ms, &priv)) {
		xg_policy_set_free(&set);
		return 1;
	}
	if (!strcmp(argv[1], "list")) {
		printf("%-10s %-8s %-10s %-18s %-13s %-6s %s\n", "SUBJECT", "DIR",
		       "PEER", "PROTO/PORT/PLEN", "ACTION", "L7", "COOKIE");
		err = xg_ms_walk(&ms, XG_M_POLICY, print_policy, NULL);
		goto out;
	}
	err = xg_policy_sync_adopt(&sync, &ms);
	if (!err)
		err = xg_policy_sync_apply(&sync, &ms, &set, &st);
	if (err)
		fprintf(stderr, "xgatectl policy: sync failed: %s\n", strerror(-err));
	else
		printf("applied %zu rules: %zu entries written, %zu deleted, revision %u\n",
		       n, st.written, st.deleted, st.revision);
out:
	xg_policy_sync_free(&sync);
	xg_policy_set_free(&set);
	xg_maps_close_pinned(&priv);
	return err ? 1 : 0;
}

/* --------------------------------------------------------- service -- */

static int parse_u32_arg(const char *s, __u32 *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || !v || v > 0xffffffffUL)
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static int parse_svc_key(const char *ep, const char *proto,
			 struct xg_svc_key *k, struct xg_err *e)
{
	__u16 port;

	memset(k, 0, sizeof(*k));
	if (xg_endpoint_parse(ep, &k->family, k->addr, &port, e))
		return -EINVAL;
	k->port = htons(port);
	if (!strcmp(proto, "tcp"))
		k->proto = 6;
	else if (!strcmp(proto, "udp"))
		k->proto = 17;
	else
		return xg_err_set(e, "service", "protocol '%s': tcp or udp", proto),
		       -EINVAL;
	return 0;
}

/* BID=ADDR:PORT[/WEIGHT][/terminating] */
static int parse_backend(char *arg, struct xg_svc_backend *b, struct xg_err *e)
{
	char *eq = strchr(arg, '='), *opt;
	__u16 port;

	memset(b, 0, sizeof(*b));
	b->weight = 1;
	if (!eq)
		return xg_err_set(e, "backend", "'%s': expected ID=ADDR:PORT", arg),
		       -EINVAL;
	*eq = '\0';
	if (parse_u32_arg(arg, &b->id))
		return xg_err_set(e, "backend", "'%s': backend id must be 1..4294967295", arg),
		       -EINVAL;
	opt = strchr(eq + 1, '/');
	if (opt)
		*opt++ = '\0';
	if (xg_endpoint_parse(eq + 1, &b->be.family, b->be.addr, &port, e))
		return -EINVAL;
	b->be.port = htons(port);
	while (opt) {
		char *next = strchr(opt, '/');

		if (next)
			*next++ = '\0';
		if (!strcmp(opt, "terminating"))
			b->be.state = XG_BE_TERMINATING;
		else if (parse_u32_arg(opt, &b->weight))
			return xg_err_set(e, "backend", "'%s': weight (1..) or 'terminating'", opt),
			       -EINVAL;
		opt = next;
	}
	return 0;
}

static int print_svc(const void *key, const void *val, void *arg)
{
	const struct xg_svc_key *k = key;
	const struct xg_svc_val *v = val;
	char a[64];

	addr_str(k->family, k->addr, a, sizeof(a));
	printf("%-8u %s:%u/%s\n", v->svc_id, a, ntohs(k->port),
	       k->proto == 6 ? "tcp" : "udp");
	return 0;
}

static int print_backend(const void *key, const void *val, void *arg)
{
	const struct xg_backend *b = val;
	char a[64];

	addr_str(b->family, b->addr, a, sizeof(a));
	printf("  backend %-8u %s:%u%s\n", *(const __u32 *)key, a, ntohs(b->port),
	       b->state == XG_BE_TERMINATING ? " terminating" : "");
	return 0;
}

static int cmd_service(int argc, char **argv)
{
	struct xg_svc_backend *b = NULL;
	struct xg_mapset ms;
	struct xg_mapset_bpf priv;
	struct xg_svc_key k;
	struct xg_err e = {};
	__u32 id, affinity = 0;
	int err = 0, n = 0;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		if (open_maps(&ms, &priv))
			return 1;
		printf("%-8s %s\n", "ID", "SERVICE");
		err = xg_ms_walk(&ms, XG_M_SVC, print_svc, NULL);
		if (!err)
			err = xg_ms_walk(&ms, XG_M_BACKENDS, print_backend, NULL);
		xg_maps_close_pinned(&priv);
		return err ? 1 : 0;
	}
	if (argc < 5 || (strcmp(argv[1], "put") && strcmp(argv[1], "del")))
		return usage(stderr), 2;
	if (parse_u32_arg(argv[2], &id)) {
		fprintf(stderr, "xgatectl service: '%s' is not a service id\n", argv[2]);
		return 2;
	}
	if (parse_svc_key(argv[3], argv[4], &k, &e))
		return report(2, &e);
	if (!strcmp(argv[1], "put")) {
		n = argc - 5;
		b = calloc(n ? (size_t)n : 1, sizeof(*b));
		if (!b)
			return 1;
		for (int i = 5, k = 0; i < argc; i++) {
			if (!strncmp(argv[i], "affinity=", 9)) {
				if (parse_u32_arg(argv[i] + 9, &affinity)) {
					fprintf(stderr, "xgatectl service: '%s': seconds, 1..\n",
						argv[i]);
					free(b);
					return 2;
				}
				n--;
				continue;
			}
			if (parse_backend(argv[i], &b[k++], &e)) {
				free(b);
				return report(2, &e);
			}
		}
	} else if (argc != 5) {
		return usage(stderr), 2;
	}
	if (open_maps(&ms, &priv)) {
		free(b);
		return 1;
	}
	if (!strcmp(argv[1], "put"))
		err = xg_service_put(&ms, &k, id, b, (size_t)n, affinity);
	else
		err = xg_service_del(&ms, &k, id);
	if (err)
		fprintf(stderr, "xgatectl service %s: %s\n", argv[1], strerror(-err));
	xg_maps_close_pinned(&priv);
	free(b);
	return err ? 1 : 0;
}

/* -------------------------------------------------------- counters -- */

static int cmd_counters(int argc, char **argv)
{
	struct xg_mapset ms;
	struct xg_mapset_bpf priv;

	if (open_maps(&ms, &priv))
		return 1;
	printf("%-14s %12s %14s\n", "VERDICT", "PACKETS", "BYTES");
	for (__u32 i = 0; i < XG_VERDICT__MAX; i++) {
		struct xg_counter c = {};

		xg_ms_lookup(&ms, XG_M_VERDICTS, &i, &c);
		printf("%-14s %12llu %14llu\n", verdict_name[i],
		       (unsigned long long)c.packets, (unsigned long long)c.bytes);
	}
	printf("\n%-20s %12s  %s\n", "DROP REASON", "PACKETS", "MEANING");
	for (__u32 i = 1; i < XG_DROP__MAX; i++) {
		struct xg_counter c = {};

		xg_ms_lookup(&ms, XG_M_DROPS, &i, &c);
		if (c.packets)
			printf("%-20s %12llu  %s\n", drop_name[i],
			       (unsigned long long)c.packets, drop_text[i]);
	}
	xg_maps_close_pinned(&priv);
	return 0;
}

/* -------------------------------------------------------------- ct -- */

static const char *proto_str(__u8 p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}


static int print_ct(const void *key, const void *val, void *arg)
{
	const struct xg_flow_key *k = key;
	const struct xg_ct_entry *v = val;
	__u64 now = *(__u64 *)arg;
	int sw = !!(v->flags & XG_CT_F_SWAPPED);
	char s[64], d[64], pb[8];

	addr_str(k->family, sw ? k->b : k->a, s, sizeof(s));
	addr_str(k->family, sw ? k->a : k->b, d, sizeof(d));
	printf("%-6s %s:%u -> %s:%u ids %u->%u rev %u pkts %llu/%llu expires %llds%s%s\n",
	       proto_str(k->proto, pb, sizeof(pb)), s,
	       ntohs(sw ? k->bport : k->aport), d, ntohs(sw ? k->aport : k->bport),
	       v->src_identity, v->dst_identity, v->policy_rev,
	       (unsigned long long)v->packets_orig,
	       (unsigned long long)v->packets_reply,
	       (long long)((__s64)(v->expires_ns - now) / 1000000000),
	       v->flags & XG_CT_F_L7 ? " l7" : "",
	       v->flags & XG_CT_F_DENIED ? " denied" : "");
	return 0;
}

struct keys {
	struct xg_flow_key *v;
	size_t n, cap;
};

static int collect_key(const void *key, const void *val, void *arg)
{
	struct keys *k = arg;

	if (k->n == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 1024;
		struct xg_flow_key *nv = realloc(k->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		k->v = nv;
		k->cap = nc;
	}
	memcpy(&k->v[k->n++], key, sizeof(*k->v));
	return 0;
}

/* Forgets every tracked flow and cached denial: each flow's next packet
 * is judged again as a new one. */
static int ct_flush(struct xg_mapset *ms)
{
	static const enum xg_map_id maps[] = { XG_M_CT, XG_M_DENYCACHE };
	size_t gone = 0;
	int err = 0;

	for (size_t m = 0; m < 2 && !err; m++) {
		struct keys k = {};

		err = xg_ms_walk(ms, maps[m], collect_key, &k);
		for (size_t i = 0; i < k.n && !err; i++) {
			int e = xg_ms_remove(ms, maps[m], &k.v[i]);

			if (e && e != -ENOENT)
				err = e;
			else if (m == 0)
				gone++;
		}
		free(k.v);
	}
	/* The verdict cache is per CPU and not pinned: a new revision is
	 * what empties it (every slot names the revision it was made in). */
	if (!err)
		err = xg_policy_rev_bump(ms, NULL);
	if (err)
		fprintf(stderr, "xgatectl: ct flush: %s\n", strerror(-err));
	else
		printf("%zu flows flushed\n", gone);
	return err ? 1 : 0;
}

static int cmd_ct(int argc, char **argv)
{
	struct xg_mapset ms;
	struct xg_mapset_bpf priv;
	struct timespec ts;
	__u64 now;
	int err;

	if (argc != 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "flush")))
		return usage(stderr), 2;
	if (open_maps(&ms, &priv))
		return 1;
	if (!strcmp(argv[1], "flush")) {
		err = ct_flush(&ms);
		xg_maps_close_pinned(&priv);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	err = xg_ms_walk(&ms, XG_M_CT, print_ct, &now);
	xg_maps_close_pinned(&priv);
	return err ? 1 : 0;
}

/* --------------------------------------------------------- monitor -- */

static volatile sig_atomic_t stop;
static long remaining = -1;
static char **rule_names; /* from xgated, when it runs */
static size_t n_rule_names;
static const char *sock_path;

static void on_signal(int sig)
{
	stop = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct xg_event *ev = data;
	char s[64], d[64], pb[8];

	if (size < sizeof(*ev))
		return 0;
	addr_str(ev->family, ev->saddr, s, sizeof(s));
	addr_str(ev->family, ev->daddr, d, sizeof(d));
	if (ev->type == XG_EV_DROP)
		printf("DROP    %-22s", ev->reason < XG_DROP__MAX ?
					    drop_name[ev->reason] : "?");
	else
		printf("%-7s %-22s", "ALLOW",
		       ev->verdict < XG_VERDICT__MAX ? verdict_name[ev->verdict] : "?");
	printf(" %s %s:%u -> %s:%u ids %u->%u if %u rule %u rev %u",
	       proto_str(ev->proto, pb, sizeof(pb)), s, ntohs(ev->sport), d,
	       ntohs(ev->dport), ev->src_identity, ev->dst_identity, ev->ifindex,
	       ev->cookie, ev->policy_rev);
	if (ev->cookie && ev->cookie <= n_rule_names && rule_names[ev->cookie - 1])
		printf(" (%s)", rule_names[ev->cookie - 1]);
	putchar('\n');
	fflush(stdout);
	if (remaining > 0 && --remaining == 0)
		stop = 1;
	return 0;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, 0, 'c' },
		{ "timeout", required_argument, 0, 't' },
		{ 0 },
	};
	struct ring_buffer *rb;
	char path[512];
	double timeout = -1;
	struct timespec t0, t;
	int c, fd;

	/* With xgated running, events name the policy rule behind their
	 * cookie (as compiled when the monitor starts). */
	rule_names = xgctl_api_origins(sock_path, &n_rule_names);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			remaining = atol(optarg);
		else if (c == 't')
			timeout = atof(optarg);
		else
			return usage(stderr), 2;
	}
	snprintf(path, sizeof(path), "%s/%s", pin_root, XG_MAP_EVENTS);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "xgatectl monitor: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "xgatectl monitor: ring buffer: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		/* The datapath wakes readers only when the ring fills, so
		 * poll is mostly a 100 ms sleep: consume after it. */
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
		if (ring_buffer__consume(rb) < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (timeout >= 0 && (double)(t.tv_sec - t0.tv_sec) +
					    (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >=
				    timeout)
			break;
	}
	ring_buffer__free(rb);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("XGATE_PIN_ROOT"), *sock = getenv("XGATE_SOCKET");
	int i = 1, json = 0, rc;

	if (env && *env)
		pin_root = env;
	if (!sock || !*sock)
		sock = XG_SOCKET_DEFAULT;
	xg_log_hook_libs();
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--pin-root") && i + 1 < argc) {
			pin_root = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc &&
			   !strcmp(argv[i + 1], "json")) {
			json = 1;
			i += 2;
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			/* one past debug: libbpf's and libxdp's own debug too */
			xg_log_set_level((enum xg_log_level)(XG_LOG_DEBUG + 1));
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	argc -= i;
	argv += i;
	sock_path = sock;
	rc = xgctl_api_cmd(sock, json, argc, argv);
	if (rc == 2)
		usage(stderr);
	if (rc >= 0)
		return rc;
	if (!strcmp(argv[0], "attach"))
		return cmd_attach(argc, argv);
	if (!strcmp(argv[0], "detach"))
		return cmd_detach(argc, argv);
	if (!strcmp(argv[0], "ipcache"))
		return cmd_ipcache(argc, argv);
	if (!strcmp(argv[0], "rules"))
		return cmd_policy(argc, argv);
	if (!strcmp(argv[0], "counters"))
		return cmd_counters(argc, argv);
	if (!strcmp(argv[0], "service"))
		return cmd_service(argc, argv);
	if (!strcmp(argv[0], "ct"))
		return cmd_ct(argc, argv);
	if (!strcmp(argv[0], "monitor"))
		return cmd_monitor(argc, argv);
	fprintf(stderr, "xgatectl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}
