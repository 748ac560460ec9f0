/* SPDX-License-Identifier: GPL-2.0-only */
/* One datapath build behind a common face, for the packet table. */
#ifndef XGATE_TESTS_XDP_BACKEND_H
#define XGATE_TESTS_XDP_BACKEND_H

#include <stddef.h>
#include <linux/types.h>

#include "xdp/abi.h"
#include "ctrl/mapset.h"

struct dp_backend {
	const char *name;
	int (*init)(void); /* once per process */
	int (*reset)(const struct xg_config *cfg); /* empty maps, new config */
	struct xg_mapset *(*maps)(void);
	/* Runs one frame arriving on leg (GW0/GW1), rewriting pkt in place;
	 * returns the XDP action or a negative errno. */
	int (*run)(__u8 *pkt, size_t len, size_t *out_len, int leg);
	/* Events since the last call: returns the count, *last = newest. */
	int (*events)(struct xg_event *last);
	__u32 (*ifindex)(int leg);
	/* Puts an AF_XDP socket (or a stand-in) on the front leg's rx queue
	 * 0 and gives both legs fast-path slots (front 0, back 1);
	 * -EOPNOTSUPP where the backend cannot. */
	int (*add_xsk)(void);
	/* The metadata the last run left before the frame: 1 and *m filled
	 * when it left a struct xg_xsk_meta, 0 when none. */
	int (*last_meta)(struct xg_xsk_meta *m);
	/* Moves the clock (native only; -EOPNOTSUPP elsewhere). */
	int (*advance_ns)(__u64 ns);
	void (*fini)(void);
};

extern const struct dp_backend backend_native;
extern const struct dp_backend backend_bpf;

#endif /* XGATE_TESTS_XDP_BACKEND_H */
