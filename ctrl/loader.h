/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading the XDP datapath: open the skeleton, apply load-time settings
 * (map sizes, .rodata config, pin root), load, and attach through libxdp
 * so xgate shares interfaces with other XDP programs via the dispatcher.
 * Maps are pinned by name under the pin root, so a restarted daemon finds
 * the same tables (and flows) it left.
 */
#ifndef XGATE_CTRL_LOADER_H
#define XGATE_CTRL_LOADER_H

#include <linux/types.h>

#include "xdp/abi.h"
#include "err.h"
#include "mapset.h"

#define XG_PIN_ROOT_DEFAULT "/sys/fs/bpf/xgate"

struct xg_loader_opts {
	const char *pin_root; /* NULL: XG_PIN_ROOT_DEFAULT; "" : no pinning */
	__u32 ipcache_max, policy_max, ct_max, denycache_max, frag_max; /* 0: default */
	__u32 svc_max, backends_max; /* 0: default; svc_max also sizes reverse NAT
				      * and the Maglev tables' outer map */
	/* .rodata settings; cfg.maglev_m is also the Maglev table size
	 * (slots per service, a prime; 0: 16381) */
	struct xg_config cfg;
};

enum xg_xdp_mode {
	XG_XDP_NATIVE,
	XG_XDP_GENERIC,
	XG_XDP_OFFLOAD,
};

struct xg_datapath;

void xg_loader_opts_default(struct xg_loader_opts *o);
/* "native" | "generic" | "offload" */
int xg_xdp_mode_parse(const char *s, enum xg_xdp_mode *mode);
const char *xg_xdp_mode_str(enum xg_xdp_mode mode);

int xg_dp_open(const struct xg_loader_opts *o, struct xg_datapath **out,
	       struct xg_err *err);
/* Loads the program as a plain XDP program (for bpf_prog_test_run and
 * benchmarks).  Attaching loads it itself; call one or the other. */
int xg_dp_load(struct xg_datapath *dp, struct xg_err *err);
int xg_dp_attach(struct xg_datapath *dp, const char *ifname,
		 enum xg_xdp_mode mode, struct xg_err *err);
int xg_dp_detach(struct xg_datapath *dp, const char *ifname,
		 struct xg_err *err);
/* Detaches xgate from an interface without the handle that attached it
 * (another process, a previous daemon). */
int xg_dp_detach_ifname(const char *ifname, struct xg_err *err);
/* 1 when an xgate program is attached to ifname (this or an earlier
 * process's), 0 when not, -ENODEV. */
int xg_dp_attached_here(const char *ifname);
int xg_dp_prog_fd(const struct xg_datapath *dp);
int xg_dp_map_fd(const struct xg_datapath *dp, enum xg_map_id m);
int xg_dp_events_fd(const struct xg_datapath *dp);
struct xg_mapset *xg_dp_maps(struct xg_datapath *dp);
/* Releases the handle.  Attached programs stay attached (libxdp pins
 * them) and pinned maps stay: that is what makes restarts hitless. */
void xg_dp_close(struct xg_datapath *dp);

/* Opens the pinned maps of a running datapath (for xgatectl). */
int xg_maps_open_pinned(const char *pin_root, struct xg_mapset *ms,
			struct xg_mapset_bpf *priv, struct xg_err *err);
void xg_maps_close_pinned(struct xg_mapset_bpf *priv);

#endif /* XGATE_CTRL_LOADER_H */
