/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fast path's packet I/O: one port is one (interface, queue) of a
 * backend, used by one worker thread.  Packets move in bursts; a
 * descriptor knows the port its buffer belongs to, so whoever holds it
 * can give it back.  AF_XDP (io_xsk.c) is the default backend; a DPDK
 * one fits the same table of operations.
 */
#ifndef XGATE_FASTPATH_IO_H
#define XGATE_FASTPATH_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xg_io_port;

struct xg_io_pkt {
	uint8_t *data; /* the frame, from its Ethernet header */
	uint32_t len;
	uint32_t headroom; /* bytes of the buffer before data: XDP metadata,
			    * when there is any, ends where data starts */
	struct xg_io_port *port; /* whose buffer this is */
	uint64_t handle; /* the backend's name for the buffer */
};

struct xg_io_conf {
	const char *ifname;
	uint32_t queue;
	uint32_t frames; /* buffers, half for receiving, half for sending */
	bool zerocopy; /* ask for zero-copy; copy mode when the driver lacks it */
	bool busy_poll; /* SO_PREFER_BUSY_POLL with a budget (needs a NIC) */
};

struct xg_io_ops {
	const char *name;
	/* 0, or a negative errno with err filled. */
	int (*open)(const struct xg_io_conf *c, struct xg_io_port **out,
		    char *err, size_t errlen);
	/* Up to n received frames; their buffers go back with free. */
	unsigned (*rx_burst)(struct xg_io_port *p, struct xg_io_pkt *pkts,
			     unsigned n);
	/* Gives buffers back: received ones to be filled again, send
	 * buffers that were not sent. */
	void (*free)(struct xg_io_pkt *pkts, unsigned n);
	/* A send buffer of at least len bytes; -ENOBUFS while every buffer
	 * is in flight (the peer is slow: the caller drops). */
	int (*tx_alloc)(struct xg_io_port *p, struct xg_io_pkt *pkt,
			uint32_t len);
	/* Queues n filled send buffers (pkt->len set) and kicks the
	 * device; returns how many were taken, the rest are the caller's. */
	unsigned (*tx_burst)(struct xg_io_port *p, struct xg_io_pkt *pkts,
			     unsigned n);
	/* Reclaims sent buffers; called from the worker's loop. */
	void (*tx_reclaim)(struct xg_io_port *p);
	/* A descriptor to poll for received frames. */
	int (*poll_fd)(const struct xg_io_port *p);
	/* The socket to put in the datapath's XSKMAP (AF_XDP), or -1. */
	int (*xsk_fd)(const struct xg_io_port *p);
	void (*close)(struct xg_io_port *p);
};

/* Every backend's port starts with this. */
struct xg_io_port {
	const struct xg_io_ops *ops;
	uint32_t ifindex;
	uint32_t queue;
	uint64_t rx, tx, tx_nobufs; /* counters of this port (one writer) */
};

extern const struct xg_io_ops xg_io_xsk;

static inline void xg_io_free(struct xg_io_pkt *pkt)
{
	pkt->port->ops->free(pkt, 1);
}

#endif /* XGATE_FASTPATH_IO_H */
