// SPDX-License-Identifier: GPL-2.0-only
/*
 * xgated: loads (or adopts) the datapath, keeps its maps in sync with the
 * kvstore, serves the local API.  Stopping it leaves the datapath
 * attached and its maps pinned: traffic flows on while it is away, and
 * the next xgated adopts the maps and changes only what differs (see
 * `xgatectl detach` to remove the datapath).
 *
 *   xgated [--config FILE] [--log-level warn|info|debug]
 *
 * SIGTERM/SIGINT stop it; SIGHUP rereads the config (log level, a full
 * kvstore resync; settings that need a restart are named in the log).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "fastpath/fastpath.h"
#include "store_etcd.h"
#include "store_file.h"
#include "ctrl/entries.h"
#include "ctrl/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: xgated [--config FILE] [--log-level warn|info|debug]\n"
		   "config default %s\n",
		XG_CONF_PATH_DEFAULT);
}

static int fail(const char *what, const struct xg_err *e, int ret)
{
	char buf[768];

	fprintf(stderr, "xgated: %s%s%s\n", what, *what ? ": " : "",
		xg_err_str(e, buf, sizeof(buf)));
	return ret;
}

/* Enters the configured network namespace for what needs the
 * interfaces (attach, the devmap's ifindexes); *home keeps ours.  Only
 * the calling thread moves, and it comes back before any other starts. */
static int netns_enter(const struct xgd *d, int *home)
{
	char path[128];
	int fd, ret = 0;

	*home = -1;
	if (!d->conf.netns[0])
		return 0;
	snprintf(path, sizeof(path), "/run/netns/%s", d->conf.netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || *home < 0 || setns(fd, CLONE_NEWNET))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		fprintf(stderr, "xgated: netns %s: %s\n", d->conf.netns,
			strerror(-ret));
	return ret;
}

static void netns_leave(int home)
{
	if (home < 0)
		return;
	if (setns(home, CLONE_NEWNET))
		pr_warn("netns: cannot return: %s\n", strerror(errno));
	close(home);
}

static int datapath_attach(struct xgd *d);
static int fastpath_up(struct xgd *d);

/* Attaches where xgate is not attached yet; adopts where it is.  Either
 * way the maps are the pinned ones. */
static int datapath_up(struct xgd *d)
{
	int home, ret = netns_enter(d, &home);

	if (!ret)
		ret = datapath_attach(d);
	/* The sockets bind to interfaces by index: in their namespace. */
	if (!ret)
		ret = fastpath_up(d);
	netns_leave(home);
	return ret;
}

static int fastpath_up(struct xgd *d)
{
	struct xg_fastpath_conf fc = {
		.n_ifaces = d->conf.n_ifaces,
		.queues = d->conf.fastpath.queues,
		.frames = d->conf.fastpath.frames,
		.zerocopy = d->conf.fastpath.zerocopy,
		.busy_poll = d->conf.fastpath.busy_poll,
		.lim = {
			.stream_buffer = d->conf.fastpath.stream_buffer,
			.max_head = d->conf.fastpath.max_head,
			.max_headers = d->conf.fastpath.max_headers,
			.max_held = d->conf.fastpath.max_held,
			.idle_ns = (uint64_t)d->conf.fastpath.idle_timeout *
				   1000000000ull,
		},
		.xsks_fd = xg_dp_map_fd(d->dp, XG_M_XSKS),
		.ifslots_fd = xg_dp_map_fd(d->dp, XG_M_IFSLOTS),
		.revnat_fd = xg_dp_map_fd(d->dp, XG_M_REVNAT),
		.ct_fd = xg_dp_map_fd(d->dp, XG_M_CT),
	};
	struct xg_err err = {};
	int ret;

	if (!d->conf.fastpath.enabled || !d->conf.n_ifaces) {
		pr_info("L7 fast path off: flows with HTTP rules are dropped\n");
		return 0;
	}
	for (unsigned i = 0; i < d->conf.n_ifaces; i++)
		fc.ifnames[i] = d->conf.ifaces[i].name;
	ret = xg_fastpath_start(&fc, &d->fp, &err);
	if (ret)
		return fail("fastpath", &err, ret);
	pr_info("L7 fast path: %u worker(s) on %u interface(s)\n", fc.queues,
		fc.n_ifaces);
	return 0;
}

static int datapath_attach(struct xgd *d)
{
	struct xg_loader_opts lo;
	struct xg_err err = {};
	int attach = 0, ret;

	xg_loader_opts_default(&lo);
	xg_conf_to_loader_opts(&d->conf, &lo);
	ret = xg_dp_open(&lo, &d->dp, &err);
	if (ret)
		return fail("datapath", &err, ret);
	for (unsigned i = 0; i < d->conf.n_ifaces; i++) {
		ret = xg_dp_attached_here(d->conf.ifaces[i].name);
		if (ret < 0) {
			xg_err_set(&err, d->conf.ifaces[i].name,
				   "interface does not exist");
			return fail("interfaces", &err, ret);
		}
		attach |= !ret;
	}
	if (!attach) {
		/* every interface already runs xgate: a restart.  Load for
		 * the maps only; the running program stays (no packet sees
		 * a gap). */
		ret = xg_dp_load(d->dp, &err);
		if (ret)
			return fail("datapath", &err, ret);
		pr_info("datapath already attached on every interface: adopted\n");
	}
	for (unsigned i = 0; i < d->conf.n_ifaces && attach; i++) {
		const struct xg_conf_iface *ifc = &d->conf.ifaces[i];

		if (xg_dp_attached_here(ifc->name) == 1) {
			pr_info("%s: xgate already attached: kept\n", ifc->name);
			continue;
		}
		ret = xg_dp_attach(d->dp, ifc->name, ifc->mode, &err);
		if (ret)
			return fail("attach", &err, ret);
	}
	d->ms = xg_dp_maps(d->dp);
	if (!attach && !d->conf.n_ifaces)
		pr_info("no interfaces configured: datapath loaded, attached nowhere\n");
	for (unsigned i = 0; i < d->conf.n_ifaces; i++)
		xg_txport_add(d->ms, if_nametoindex(d->conf.ifaces[i].name));
	return 0;
}

static int kvstore_up(struct xgd *d)
{
	struct xg_err err = {};
	char path[512];
	int ret;

	if (d->conf.kvstore.type == XG_KV_FILE) {
		snprintf(path, sizeof(path), "%s/identities", d->conf.state_dir);
		mkdir(d->conf.state_dir, 0755);
		ret = xg_id_alloc_local_open(path, &d->ids, &err);
		if (ret)
			return fail("identities", &err, ret);
		mkdir(d->conf.kvstore.path, 0755);
		ret = xg_store_file_start(d->conf.kvstore.path, &d->q, &d->fstore);
		if (ret) {
			xg_err_set(&err, d->conf.kvstore.path, "%s", strerror(-ret));
			return fail("kvstore", &err, ret);
		}
		return 0;
	} else {
		const char *eps[XG_CONF_ENDPOINTS_MAX];
		struct xg_etcd_cfg ec = { .endpoints = eps,
					  .n_endpoints = d->conf.kvstore.n_endpoints,
					  .timeout_ms = d->conf.kvstore.timeout_ms,
					  .watch_idle_ms = 30000 };

		for (unsigned i = 0; i < d->conf.kvstore.n_endpoints; i++)
			eps[i] = d->conf.kvstore.endpoints[i];
		ret = xg_etcd_open(&ec, &d->etcd, &err);
		if (ret)
			return fail("etcd", &err, ret);
		ret = xg_id_alloc_etcd_open(d->etcd, d->conf.kvstore.prefix, &d->ids,
					    &err);
		if (ret)
			return fail("identities", &err, ret);
		ret = xg_store_etcd_start(d->etcd, d->conf.kvstore.prefix, &d->q,
					  &d->estore);
		if (ret) {
			xg_err_set(&err, "etcd", "%s", strerror(-ret));
			return fail("kvstore", &err, ret);
		}
		return 0;
	}
}

/* SIGHUP: what can change live changes; the rest is named. */
static void reload(struct xgd *d)
{
	struct xg_conf nc;
	struct xg_err err = {};

	if (xg_conf_load_file(d->conf_path, &nc, &err)) {
		fail("reload refused, the running config stays", &err, 0);
		xg_conf_free(&nc);
		return;
	}
	xg_log_set_level(nc.log.level);
	if (nc.kvstore.type != d->conf.kvstore.type ||
	    strcmp(nc.kvstore.path, d->conf.kvstore.path) ||
	    strcmp(nc.pin_root, d->conf.pin_root) ||
	    memcmp(&nc.maps, &d->conf.maps, sizeof(nc.maps)) ||
	    nc.n_ifaces != d->conf.n_ifaces)
		pr_warn("reload: kvstore, pin root, map sizes and interfaces take effect at the next start\n");
	d->conf.log = nc.log;
	xg_conf_free(&nc);
	if (d->fstore)
		xg_store_file_resync(d->fstore);
	if (d->estore)
		xg_store_etcd_resync(d->estore);
	pr_info("reloaded %s\n", d->conf_path);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' },
		{ "log-level", required_argument, 0, 'l' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	static struct xgd d; /* big; and signal-safe to reach */
	const char *level = NULL;
	pthread_t ctl, api;
	struct xg_err err = {};
	sigset_t set;
	int c, ret, sig;

	/* Every apply allocates and frees the same few megabytes (compile.h):
	 * keep freed memory in the heap rather than handing it back and
	 * faulting it in again on the next policy change. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	snprintf(d.conf_path, sizeof(d.conf_path), "%s", XG_CONF_PATH_DEFAULT);
	while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
		if (c == 'c') {
			snprintf(d.conf_path, sizeof(d.conf_path), "%s", optarg);
		} else if (c == 'l') {
			level = optarg;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	ret = xg_conf_load_file(d.conf_path, &d.conf, &err);
	if (ret)
		return fail("config", &err, 2);
	xg_log_set_level(d.conf.log.level);
	if (level) {
		if (!strcmp(level, "warn"))
			xg_log_set_level(XG_LOG_WARN);
		else if (!strcmp(level, "info"))
			xg_log_set_level(XG_LOG_INFO);
		else if (!strcmp(level, "debug"))
			xg_log_set_level(XG_LOG_DEBUG);
		else {
			usage(stderr);
			return 2;
		}
	}

	/* Signals are taken by the main thread alone. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	clock_gettime(CLOCK_MONOTONIC, &d.st.started);
	xg_evq_init(&d.q);
	pthread_rwlock_init(&d.lock, NULL);
	pthread_mutex_init(&d.docs_mu, NULL);
	if (datapath_up(&d))
		return 1;
	/* The maps as they are (after a restart: as the last daemon left
	 * them) are the starting point: the first apply writes only what
	 * differs. */
	ret = xg_dp_sync_adopt(&d.sync, d.ms);
	if (ret) {
		xg_err_set(&err, "maps", "cannot read the maps: %s", strerror(-ret));
		return fail("", &err, 1);
	}
	if (kvstore_up(&d))
		return 1;
	ret = xgd_report_start(&d.rep, d.etcd, d.conf.kvstore.prefix,
			       d.conf.node);
	ret = ret ?: xgd_control_start(&d, &ctl);
	if (!ret)
		ret = xgd_api_start(&d, &api);
	if (ret) {
		xg_err_set(&err, "threads", "%s", strerror(-ret));
		return fail("", &err, 1);
	}
	pr_info("xgated running: node %s, kvstore %s, api %s\n", d.conf.node,
		xg_kv_type_str(d.conf.kvstore.type), d.conf.api.socket);

	while (!d.stop) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP)
			reload(&d);
		else
			d.stop = 1;
	}
	pr_info("stopping; the datapath stays attached\n");
	xg_evq_push(&d.q, XG_EVQ_WAKE, NULL, NULL, 0, 0);
	xg_store_file_stop(d.fstore);
	xg_store_etcd_stop(d.estore);
	pthread_join(ctl, NULL);
	pthread_join(api, NULL);
	xgd_api_stop(&d);
	/* L7 flows wait (their frames are dropped, TCP resends them) until
	 * the next daemon's fast path takes them up. */
	xg_fastpath_stop(d.fp);
	xgd_report_stop(&d.rep);
	xg_id_alloc_close(d.ids);
	if (d.etcd)
		xg_etcd_close(d.etcd);
	xg_dp_sync_free(&d.sync);
	xg_compile_cache_free(d.ccache);
	xg_docstore_free(&d.docs);
	xg_compiled_free(&d.compiled);
	xg_dp_close(d.dp);
	xg_evq_destroy(&d.q);
	xg_conf_free(&d.conf);
	return 0;
}
