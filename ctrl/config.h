/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's configuration, /etc/xgate/xgate.conf (libconfig syntax):
 * every setting with its default, parsed and checked in one pass.  A file
 * with an unknown key, a wrong type or a value out of range is refused
 * whole, with the file, the key path and the line in the xg_err, so a
 * typo never turns into a silent default.  config/xgate.conf documents
 * each setting.
 */
#ifndef XGATE_CTRL_CONFIG_H
#define XGATE_CTRL_CONFIG_H

#include <stdbool.h>
#include <linux/types.h>

#include "err.h"
#include "loader.h"
#include "log.h"

#define XG_CONF_PATH_DEFAULT "/etc/xgate/xgate.conf"

#define XG_CONF_IFACES_MAX 16
#define XG_CONF_IFNAME_MAX 15  /* IFNAMSIZ - 1 */
#define XG_CONF_NODE_MAX 253   /* a Kubernetes node name (DNS subdomain) */
#define XG_CONF_PATH_MAX 255   /* paths; the loader's pin root buffer is 256 */
#define XG_CONF_SOCKET_MAX 107 /* sizeof(sun_path) - 1 */
#define XG_CONF_ENDPOINTS_MAX 16
#define XG_CONF_NETNS_MAX 63
#define XG_CONF_URL_MAX 255
#define XG_CONF_PREFIX_MAX 127
/* Bigger maps than this are a typo: 2^26 conntrack entries are ~5 GiB. */
#define XG_CONF_MAP_MAX (1u << 26)
#define XG_CONF_VCACHE_MAX (1u << 16) /* verdict cache slots per CPU */
/* LRU maps keep per-CPU free lists; far below this they thrash. */
#define XG_CONF_MAP_MIN 1024u
/* The file is read whole; a config this large is not a config. */
#define XG_CONF_FILE_MAX (1u << 20)
/* fastpath: worker threads per interface, one per rx queue. */
#define XG_CONF_FP_QUEUES_MAX 64
/* fastpath.max_headers: the HTTP parser's XG_HTTP_MAX_HEADERS. */
#define XG_CONF_FP_HEADERS_MAX 64

enum xg_kv_type { XG_KV_FILE, XG_KV_ETCD };

struct xg_conf_iface {
	char name[XG_CONF_IFNAME_MAX + 1];
	enum xg_xdp_mode mode;
};

struct xg_conf {
	char node[XG_CONF_NODE_MAX + 1]; /* default: the hostname */
	/* None by default: the datapath is loaded and pinned, attached nowhere
	 */
	struct xg_conf_iface ifaces[XG_CONF_IFACES_MAX];
	unsigned int n_ifaces;
	/* "": the interfaces are in the daemon's own network namespace.
	 * Else a name under /run/netns: the datapath is attached there
	 * while the daemon (its API, metrics, etcd connection) stays in
	 * its own, e.g. the host's loopback. */
	char netns[XG_CONF_NETNS_MAX + 1];
	enum xg_fwd_mode forward;
	char pin_root[XG_CONF_PATH_MAX + 1];
	char state_dir[XG_CONF_PATH_MAX + 1];
	struct {
		enum xg_kv_type type;
		char path[XG_CONF_PATH_MAX + 1]; /* file */
		char endpoints[XG_CONF_ENDPOINTS_MAX][XG_CONF_URL_MAX + 1];
		unsigned int n_endpoints;	     /* etcd: at least one */
		char prefix[XG_CONF_PREFIX_MAX + 1]; /* etcd: "/xgate/v1/" */
		int timeout_ms;			     /* etcd */
	} kvstore;
	struct {
		__u32 ipcache, policy, conntrack, fragments, deny_cache;
		__u32 services, backends; /* services: also reverse NAT, tables */
		__u32 maglev_table_size; /* a prime */
		__u32 verdict_cache; /* slots per CPU, a power of two; 0: off */
	} maps;
	struct { /* seconds */
		__u32 tcp_syn, tcp_established, tcp_close, other, deny_cache,
			fragments;
	} timeouts;
	struct {
		__u32 per_second; /* per CPU; 0: no events */
		bool verdicts;
	} events;
	struct {
		char socket[XG_CONF_SOCKET_MAX + 1];
		/* "" when metrics are off; else metrics_host is a loopback
		 * address literal (no brackets) and metrics_port its port */
		char metrics[64];
		char metrics_host[46];
		__u16 metrics_port;
	} api;
	/*
	 * The L7 fast path: flows whose policy has HTTP rules go over AF_XDP
	 * to worker threads in xgated that parse and judge each request.
	 */
	struct {
		bool enabled; /* default true: L7 policies need it */
		/* rx queues served per interface = worker threads,
		 * 1..64, default 1 */
		__u32 queues;
		/* AF_XDP buffers per socket, a power of two, 256..65536,
		 * default 4096 */
		__u32 frames;
		/* ask for zero-copy (falls back to copy mode), default true */
		bool zerocopy;
		/* SO_PREFER_BUSY_POLL; default false (spins a core: not on
		 * small machines) */
		bool busy_poll;
		/* bytes per flow, 4096..16 MiB, default 65536 */
		__u32 stream_buffer;
		/* request head limit, 1024..65536, default 8192;
		 * must be <= stream_buffer */
		__u32 max_head;
		/* 1..64 (the parser's hard limit XG_HTTP_MAX_HEADERS is 64),
		 * default 64 */
		__u32 max_headers;
		/* frames held per flow while a head is judged, 16..65536,
		 * default 1024 */
		__u32 max_held;
		/* seconds before an idle flow is forgotten, 1..86400,
		 * default 300 */
		__u32 idle_timeout;
	} fastpath;
	struct {
		enum xg_log_level level;
	} log;
};

/* Every setting at its default (node: the hostname). */
void xg_conf_default(struct xg_conf *c);

/*
 * Defaults, then the file over them.  0, or -EINVAL for a config error;
 * the file's own errno (-ENOENT, -EACCES, ...) or -EFBIG when it cannot
 * be read; -ENOMEM.  err->where is "<file>: <key path>" ("<file>" alone
 * for syntax errors and unreadable files), err->line the line (0 when
 * there is none) and err->msg what is wrong.  On error *c holds
 * defaults and whatever was parsed before the error: do not use it.
 */
int xg_conf_load_file(const char *path, struct xg_conf *c, struct xg_err *err);
/* The same from text; name stands for the file in errors. */
int xg_conf_load_string(const char *name, const char *text, struct xg_conf *c,
			struct xg_err *err);
/* Releases what a load allocated; c stays readable until reloaded. */
void xg_conf_free(struct xg_conf *c);

/*
 * Map sizes, timeouts, events, forwarding and the Maglev table size for
 * the loader.  o->pin_root points into c: keep c while o is used.
 */
void xg_conf_to_loader_opts(const struct xg_conf *c, struct xg_loader_opts *o);

const char *xg_kv_type_str(enum xg_kv_type t);

#endif /* XGATE_CTRL_CONFIG_H */
