// SPDX-License-Identifier: GPL-2.0-only
/*
 * Workers of the fast path.  A worker waits in poll() (need-wakeup: no
 * core spins unless busy polling is asked for), takes bursts from each
 * of its sockets, runs them through the engine, and sends what the
 * engine lets through in bursts at the end of each round.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>
#include <bpf/bpf.h>

#include "fastpath/fastpath.h"
#include "fastpath/io/io.h"
#include "fastpath/l7/match.h"

#define RX_BURST 64
#define TX_BATCH 64

struct fp_port {
	struct xg_io_port *io;
	struct xg_io_pkt pending[TX_BATCH];
	unsigned n_pending;
};

struct fp_worker {
	struct xg_fastpath *fp;
	unsigned idx;
	pthread_t thread;
	bool started;
	struct fp_port ports[XG_FP_MAX_IFACES];
	unsigned n_ports;
};

struct xg_fastpath {
	struct xg_fastpath_conf conf;
	struct xg_fp_engine engine;
	bool engine_ok;
	struct fp_worker *w;
	unsigned n_w;
	volatile int stop;
	pthread_mutex_t publish_lock;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void flush_port(struct fp_port *p)
{
	unsigned sent;

	if (!p->n_pending)
		return;
	sent = p->io->ops->tx_burst(p->io, p->pending, p->n_pending);
	if (sent < p->n_pending) /* ring full: the peer is slow, drop */
		p->io->ops->free(p->pending + sent, p->n_pending - sent);
	p->n_pending = 0;
}

/* The engine's output: copy into a send buffer of this worker's socket
 * on that interface. */
static int worker_send(void *arg, uint32_t ifindex, const uint8_t *frame,
		       uint32_t len)
{
	struct fp_worker *w = arg;

	for (unsigned i = 0; i < w->n_ports; i++) {
		struct fp_port *p = &w->ports[i];
		struct xg_io_pkt *pkt;
		int ret;

		if (p->io->ifindex != ifindex)
			continue;
		if (p->n_pending == TX_BATCH)
			flush_port(p);
		pkt = &p->pending[p->n_pending];
		ret = p->io->ops->tx_alloc(p->io, pkt, len);
		if (ret)
			return ret;
		memcpy(pkt->data, frame, len);
		pkt->len = len;
		p->n_pending++;
		return 0;
	}
	return -ENODEV;
}

static void *worker_main(void *arg)
{
	struct fp_worker *w = arg;
	struct xg_fastpath *fp = w->fp;
	struct xg_fp_out out = { .send = worker_send, .arg = w };
	struct pollfd pfd[XG_FP_MAX_IFACES];
	struct xg_io_pkt pkts[RX_BURST];
	uint64_t last_expire = now_ns();
	unsigned waiting = 0;

	rcu_register_thread();
	for (unsigned i = 0; i < w->n_ports; i++) {
		pfd[i].fd = w->ports[i].io->ops->poll_fd(w->ports[i].io);
		pfd[i].events = POLLIN;
	}
	while (!__atomic_load_n(&fp->stop, __ATOMIC_RELAXED)) {
		uint64_t now;

		/* Refusals waiting for a server: look again soon. */
		if (!fp->conf.busy_poll)
			poll(pfd, w->n_ports, waiting ? 5 : 100);
		now = now_ns();
		for (unsigned i = 0; i < w->n_ports; i++) {
			struct xg_io_port *io = w->ports[i].io;
			unsigned n = io->ops->rx_burst(io, pkts, RX_BURST);

			for (unsigned k = 0; k < n; k++) {
				const struct xg_xsk_meta *m = NULL;

				if (pkts[k].headroom >= sizeof(*m))
					m = (const void *)(pkts[k].data -
							   sizeof(*m));
				xg_fp_handle(&fp->engine, w->idx, &out, m,
					     pkts[k].data, pkts[k].len, now);
			}
			if (n)
				io->ops->free(pkts, n);
		}
		waiting = xg_fp_tick(&fp->engine, w->idx, &out, now);
		for (unsigned i = 0; i < w->n_ports; i++) {
			flush_port(&w->ports[i]);
			w->ports[i].io->ops->tx_reclaim(w->ports[i].io);
		}
		if (w->idx == 0 && now - last_expire > 1000000000ull) {
			xg_fp_expire(&fp->engine, now);
			last_expire = now;
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static int revnat_lookup(void *arg, uint32_t id, uint8_t addr[16],
			 uint16_t *port)
{
	struct xg_fastpath *fp = arg;
	struct xg_revnat r;

	if (fp->conf.revnat_fd < 0 ||
	    bpf_map_lookup_elem(fp->conf.revnat_fd, &id, &r))
		return -ENOENT;
	memcpy(addr, r.addr, 16);
	*port = r.port;
	return 0;
}

static int ct_lookup(void *arg, const struct xg_flow_key *key,
		     struct xg_fp_ct_view *v)
{
	struct xg_fastpath *fp = arg;
	struct xg_ct_entry ce;

	if (fp->conf.ct_fd < 0 || bpf_map_lookup_elem(fp->conf.ct_fd, key, &ce))
		return -ENOENT;
	v->srv_nxt = ce.l7_srv_nxt;
	v->cli_ack = ce.l7_cli_ack;
	v->srv_ack = ce.l7_srv_ack;
	return 0;
}

static void unregister_sockets(struct xg_fastpath *fp)
{
	for (unsigned s = 0; s < fp->conf.n_ifaces; s++)
		for (unsigned q = 0; q < fp->n_w; q++) {
			__u32 key = s * XG_XSK_QUEUES + q;

			bpf_map_delete_elem(fp->conf.xsks_fd, &key);
		}
}

void xg_fastpath_stop(struct xg_fastpath *fp)
{
	if (!fp)
		return;
	__atomic_store_n(&fp->stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < fp->n_w; i++)
		if (fp->w[i].started)
			pthread_join(fp->w[i].thread, NULL);
	unregister_sockets(fp);
	for (unsigned i = 0; i < fp->n_w; i++)
		for (unsigned p = 0; p < fp->w[i].n_ports; p++) {
			struct xg_io_port *io = fp->w[i].ports[p].io;

			io->ops->close(io);
		}
	if (fp->engine_ok) {
		/* the engine's teardown reads the flow table as RCU does */
		rcu_register_thread();
		xg_fp_engine_fini(&fp->engine);
		rcu_unregister_thread();
	}
	pthread_mutex_destroy(&fp->publish_lock);
	free(fp->w);
	free(fp);
}

int xg_fastpath_start(const struct xg_fastpath_conf *c, struct xg_fastpath **out,
		      struct xg_err *err)
{
	struct xg_fastpath *fp;
	char msg[256];
	int ret;

	if (!c->n_ifaces || c->n_ifaces > XG_FP_MAX_IFACES || !c->queues ||
	    c->queues > XG_XSK_QUEUES) {
		xg_err_set(err, "fastpath", "1 to %d interfaces and 1 to %d queues",
			   XG_FP_MAX_IFACES, XG_XSK_QUEUES);
		return -EINVAL;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return -ENOMEM;
	fp->conf = *c;
	pthread_mutex_init(&fp->publish_lock, NULL);
	fp->w = calloc(c->queues, sizeof(*fp->w));
	if (!fp->w) {
		ret = -ENOMEM;
		goto fail;
	}
	fp->n_w = c->queues;
	ret = xg_fp_engine_init(&fp->engine, &c->lim, c->queues);
	if (ret) {
		xg_err_set(err, "fastpath", "engine: %s", strerror(-ret));
		goto fail;
	}
	fp->engine_ok = true;
	fp->engine.revnat = revnat_lookup;
	fp->engine.revnat_arg = fp;
	if (c->ct_fd >= 0) {
		fp->engine.ct_lookup = ct_lookup;
		fp->engine.ct_arg = fp;
	}

	for (unsigned s = 0; s < c->n_ifaces; s++) {
		for (unsigned q = 0; q < c->queues; q++) {
			struct fp_worker *w = &fp->w[q];
			struct xg_io_conf ioc = {
				.ifname = c->ifnames[s], .queue = q,
				.frames = c->frames, .zerocopy = c->zerocopy,
				.busy_poll = c->busy_poll,
			};
			struct xg_io_port *io;
			__u32 key = s * XG_XSK_QUEUES + q;
			int fd;

			ret = xg_io_xsk.open(&ioc, &io, msg, sizeof(msg));
			if (ret) {
				xg_err_set(err, c->ifnames[s], "%s", msg);
				goto fail;
			}
			w->ports[w->n_ports++].io = io;
			w->fp = fp;
			w->idx = q;
			fd = io->ops->xsk_fd(io);
			if (bpf_map_update_elem(c->xsks_fd, &key, &fd, 0)) {
				ret = -errno;
				xg_err_set(err, c->ifnames[s],
					   "queue %u: cannot register the socket: %s",
					   q, strerror(-ret));
				goto fail;
			}
		}
		{
			__u32 slot = s, ifindex = fp->w[0].ports[s].io->ifindex;

			if (bpf_map_update_elem(c->ifslots_fd, &ifindex, &slot, 0)) {
				ret = -errno;
				xg_err_set(err, c->ifnames[s],
					   "cannot register the interface: %s",
					   strerror(-ret));
				goto fail;
			}
		}
	}
	for (unsigned q = 0; q < c->queues; q++) {
		ret = -pthread_create(&fp->w[q].thread, NULL, worker_main,
				      &fp->w[q]);
		if (ret) {
			xg_err_set(err, "fastpath", "worker %u: %s", q,
				   strerror(-ret));
			goto fail;
		}
		fp->w[q].started = true;
	}
	*out = fp;
	return 0;
fail:
	xg_fastpath_stop(fp);
	return ret;
}

int xg_fastpath_set_rulesets(struct xg_fastpath *fp,
			     const struct xg_l7_ruleset *rs, size_t n,
			     struct xg_err *err)
{
	struct xg_l7_table *t;

	pthread_mutex_lock(&fp->publish_lock);
	t = xg_l7_table_build(rs, n, fp->n_w, xg_fp_table(&fp->engine), err);
	if (t)
		xg_fp_publish(&fp->engine, t);
	pthread_mutex_unlock(&fp->publish_lock);
	return t ? 0 : -EINVAL;
}

struct xg_fp_engine *xg_fastpath_engine(struct xg_fastpath *fp)
{
	return &fp->engine;
}

unsigned xg_fastpath_workers(const struct xg_fastpath *fp)
{
	return fp->n_w;
}

void xg_fastpath_io_counters(struct xg_fastpath *fp, uint64_t *rx,
			     uint64_t *tx, uint64_t *tx_nobufs)
{
	*rx = *tx = *tx_nobufs = 0;
	for (unsigned i = 0; i < fp->n_w; i++)
		for (unsigned p = 0; p < fp->w[i].n_ports; p++) {
			const struct xg_io_port *io = fp->w[i].ports[p].io;

			*rx += __atomic_load_n(&io->rx, __ATOMIC_RELAXED);
			*tx += __atomic_load_n(&io->tx, __ATOMIC_RELAXED);
			*tx_nobufs += __atomic_load_n(&io->tx_nobufs,
						      __ATOMIC_RELAXED);
		}
}
