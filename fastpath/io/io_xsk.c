// SPDX-License-Identifier: GPL-2.0-only
/*
 * AF_XDP backend of the fast path's I/O (libxdp's xsk.h).  One socket
 * and one UMEM per (interface, queue): the first half of the UMEM's
 * frames feed the fill ring, the second half are send buffers on a free
 * stack, refilled from the completion ring.  The datapath loads its own
 * XDP program (which redirects only L7 flows here), so libxdp is told
 * not to load one, and the caller puts the socket in the XSKMAP.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "fastpath/io/io.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE

struct xsk_port {
	struct xg_io_port pub;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	void *area;
	size_t area_len;
	uint32_t nframes;
	uint64_t *tx_free; /* stack of free send buffers (UMEM addresses) */
	uint32_t n_tx_free;
	uint32_t tx_outstanding; /* queued, not yet completed */
};

static struct xsk_port *xp_of(struct xg_io_port *p)
{
	return (struct xsk_port *)p;
}

static void xp_destroy(struct xsk_port *xp)
{
	if (xp->xsk)
		xsk_socket__delete(xp->xsk);
	if (xp->umem)
		xsk_umem__delete(xp->umem);
	if (xp->area)
		munmap(xp->area, xp->area_len);
	free(xp->tx_free);
	free(xp);
}

/* Hands every receive frame to the kernel up front. */
static int fill_all(struct xsk_port *xp)
{
	uint32_t n = xp->nframes / 2, idx;

	if (xsk_ring_prod__reserve(&xp->fq, n, &idx) != n)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&xp->fq, idx + i) =
			(uint64_t)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&xp->fq, n);
	return 0;
}

static int xsk_open(const struct xg_io_conf *c, struct xg_io_port **out,
		    char *err, size_t errlen)
{
	uint32_t frames = c->frames ? c->frames : 4096;
	struct xsk_umem_config ucfg = {
		.fill_size = frames / 2,
		.comp_size = frames / 2,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = frames / 2,
		.tx_size = frames / 2,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	struct xsk_port *xp;
	int ret;

	/* Ring sizes must be powers of two. */
	if (frames < 64 || (frames & (frames - 1))) {
		snprintf(err, errlen, "frames must be a power of two >= 64");
		return -EINVAL;
	}
	xp = calloc(1, sizeof(*xp));
	if (!xp)
		return -ENOMEM;
	xp->pub.ops = &xg_io_xsk;
	xp->pub.queue = c->queue;
	xp->pub.ifindex = if_nametoindex(c->ifname);
	if (!xp->pub.ifindex) {
		snprintf(err, errlen, "%s: no such interface", c->ifname);
		free(xp);
		return -ENODEV;
	}
	xp->nframes = frames;
	xp->area_len = (size_t)frames * XSK_FRAME_SIZE;
	xp->area = mmap(NULL, xp->area_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	xp->tx_free = calloc(frames / 2, sizeof(*xp->tx_free));
	if (xp->area == MAP_FAILED || !xp->tx_free) {
		if (xp->area == MAP_FAILED)
			xp->area = NULL;
		xp_destroy(xp);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < frames / 2; i++)
		xp->tx_free[xp->n_tx_free++] =
			(uint64_t)(frames / 2 + i) * XSK_FRAME_SIZE;

	ret = xsk_umem__create(&xp->umem, xp->area, xp->area_len, &xp->fq,
			       &xp->cq, &ucfg);
	if (ret) {
		xp->umem = NULL;
		snprintf(err, errlen, "%s/%u: UMEM: %s", c->ifname, c->queue,
			 strerror(-ret));
		goto fail;
	}
	/* Zero-copy when asked and the driver has it; copy mode (veth,
	 * most virtual NICs) otherwise. */
	if (c->zerocopy) {
		scfg.bind_flags |= XDP_ZEROCOPY;
		ret = xsk_socket__create(&xp->xsk, c->ifname, c->queue,
					 xp->umem, &xp->rx, &xp->tx, &scfg);
		scfg.bind_flags &= (__u16)~XDP_ZEROCOPY;
		if (ret)
			xp->xsk = NULL;
	}
	if (!xp->xsk) {
		scfg.bind_flags |= XDP_COPY;
		ret = xsk_socket__create(&xp->xsk, c->ifname, c->queue,
					 xp->umem, &xp->rx, &xp->tx, &scfg);
		if (ret) {
			xp->xsk = NULL;
			snprintf(err, errlen, "%s/%u: AF_XDP socket: %s",
				 c->ifname, c->queue, strerror(-ret));
			goto fail;
		}
	}
	if (c->busy_poll) {
		int fd = xsk_socket__fd(xp->xsk), one = 1, us = 20,
		    budget = 64;

		if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one,
			       sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &us, sizeof(us)) ||
		    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget,
			       sizeof(budget))) {
			ret = -errno;
			snprintf(err, errlen, "%s/%u: busy polling: %s",
				 c->ifname, c->queue, strerror(-ret));
			goto fail;
		}
	}
	ret = fill_all(xp);
	if (ret) {
		snprintf(err, errlen, "%s/%u: fill ring", c->ifname, c->queue);
		goto fail;
	}
	*out = &xp->pub;
	return 0;
fail:
	xp_destroy(xp);
	return ret;
}

static unsigned xsk_rx_burst(struct xg_io_port *p, struct xg_io_pkt *pkts,
			     unsigned n)
{
	struct xsk_port *xp = xp_of(p);
	uint32_t idx, got;

	got = xsk_ring_cons__peek(&xp->rx, n, &idx);
	if (!got) {
		/* An empty fill ring stops the kernel until we wake it. */
		if (xsk_ring_prod__needs_wakeup(&xp->fq))
			recvfrom(xsk_socket__fd(xp->xsk), NULL, 0,
				 MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	for (uint32_t i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xp->rx, idx + i);
		uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);

		pkts[i].data = xsk_umem__get_data(xp->area, addr);
		pkts[i].len = d->len;
		/* Copy mode puts the frame after the kernel's headroom, so
		 * the metadata before it is within the same UMEM frame. */
		pkts[i].headroom = (uint32_t)(addr % XSK_FRAME_SIZE);
		pkts[i].port = p;
		pkts[i].handle = xsk_umem__extract_addr(d->addr);
	}
	xsk_ring_cons__release(&xp->rx, got);
	p->rx += got;
	return got;
}

static void xsk_free(struct xg_io_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct xsk_port *xp = xp_of(pkts[i].port);
		uint64_t frame = pkts[i].handle - pkts[i].handle % XSK_FRAME_SIZE;
		uint32_t idx;

		if (frame >= (uint64_t)(xp->nframes / 2) * XSK_FRAME_SIZE) {
			xp->tx_free[xp->n_tx_free++] = frame;
			continue;
		}
		/* The fill ring has room for every receive frame. */
		if (xsk_ring_prod__reserve(&xp->fq, 1, &idx) == 1) {
			*xsk_ring_prod__fill_addr(&xp->fq, idx) = frame;
			xsk_ring_prod__submit(&xp->fq, 1);
		}
	}
}

static void xsk_tx_reclaim(struct xg_io_port *p)
{
	struct xsk_port *xp = xp_of(p);
	uint32_t idx, n;

	n = xsk_ring_cons__peek(&xp->cq, xp->nframes / 2, &idx);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = *xsk_ring_cons__comp_addr(&xp->cq, idx + i);

		xp->tx_free[xp->n_tx_free++] = a - a % XSK_FRAME_SIZE;
	}
	if (n) {
		xsk_ring_cons__release(&xp->cq, n);
		xp->tx_outstanding -= n;
	}
}

static int xsk_tx_alloc(struct xg_io_port *p, struct xg_io_pkt *pkt,
			uint32_t len)
{
	struct xsk_port *xp = xp_of(p);

	if (len > XSK_FRAME_SIZE)
		return -EMSGSIZE;
	if (!xp->n_tx_free)
		xsk_tx_reclaim(p);
	if (!xp->n_tx_free) {
		p->tx_nobufs++;
		return -ENOBUFS;
	}
	pkt->handle = xp->tx_free[--xp->n_tx_free];
	pkt->data = xsk_umem__get_data(xp->area, pkt->handle);
	pkt->len = len;
	pkt->headroom = 0;
	pkt->port = p;
	return 0;
}

static unsigned xsk_tx_burst(struct xg_io_port *p, struct xg_io_pkt *pkts,
			     unsigned n)
{
	struct xsk_port *xp = xp_of(p);
	uint32_t idx;

	if (!n)
		return 0;
	if (xsk_ring_prod__reserve(&xp->tx, n, &idx) != n) {
		xsk_tx_reclaim(p);
		p->tx_nobufs += n;
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&xp->tx, idx + i);

		d->addr = pkts[i].handle;
		d->len = pkts[i].len;
		d->options = 0;
	}
	xsk_ring_prod__submit(&xp->tx, n);
	xp->tx_outstanding += n;
	p->tx += n;
	/* Copy mode always wants the kick; zero-copy only when the driver
	 * asked for it.  In copy mode one kick sends a bounded batch (32 on
	 * Linux) and answers EAGAIN while more wait: kick until the ring is
	 * drained, or frames would sit there until the next round. */
	if (xsk_ring_prod__needs_wakeup(&xp->tx)) {
		for (unsigned i = 0; i <= n / 16 + 2; i++) {
			if (sendto(xsk_socket__fd(xp->xsk), NULL, 0,
				   MSG_DONTWAIT, NULL, 0) >= 0 ||
			    (errno != EAGAIN && errno != EBUSY))
				break;
		}
	}
	return n;
}

static int xsk_poll_fd(const struct xg_io_port *p)
{
	return xsk_socket__fd(((const struct xsk_port *)p)->xsk);
}

static void xsk_close(struct xg_io_port *p)
{
	if (p)
		xp_destroy(xp_of(p));
}

const struct xg_io_ops xg_io_xsk = {
	.name = "af_xdp",
	.open = xsk_open,
	.rx_burst = xsk_rx_burst,
	.free = xsk_free,
	.tx_alloc = xsk_tx_alloc,
	.tx_burst = xsk_tx_burst,
	.tx_reclaim = xsk_tx_reclaim,
	.poll_fd = xsk_poll_fd,
	.xsk_fd = xsk_poll_fd,
	.close = xsk_close,
};
