/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the datapath and its load-time settings.  Included once by
 * each target's entry file (xgate.bpf.c, native/datapath.c); sizes are
 * the defaults that the loader overrides from the config.
 */
#ifndef XGATE_XDP_MAPS_H
#define XGATE_XDP_MAPS_H

#include "ctx.h"
#include "abi.h"

XG_MAP(xg_ipcache, BPF_MAP_TYPE_LPM_TRIE, struct xg_ipcache_key,
       struct xg_ipcache_val, XG_IPCACHE_MAX,
       XG_MAP_FLAGS(BPF_F_NO_PREALLOC));
XG_MAP(xg_iphost, BPF_MAP_TYPE_HASH, struct xg_ipcache_key,
       struct xg_ipcache_val, XG_IPCACHE_MAX, XG_MAP_FLAGS(BPF_F_NO_PREALLOC));
XG_MAP(xg_policy, BPF_MAP_TYPE_LPM_TRIE, struct xg_policy_key,
       struct xg_policy_val, XG_POLICY_MAX, XG_MAP_FLAGS(BPF_F_NO_PREALLOC));
#ifndef XG_CT_LRU_FLAGS
#define XG_CT_LRU_FLAGS BPF_F_NO_COMMON_LRU
#endif
XG_MAP(xg_ct, BPF_MAP_TYPE_LRU_HASH, struct xg_flow_key, struct xg_ct_entry,
       XG_CT_MAX, XG_MAP_FLAGS(XG_CT_LRU_FLAGS));
XG_MAP(xg_denycache, BPF_MAP_TYPE_LRU_HASH, struct xg_flow_key,
       struct xg_deny_entry, XG_DENYCACHE_MAX, XG_MAP_FLAGS(XG_CT_LRU_FLAGS));
XG_MAP(xg_frag, BPF_MAP_TYPE_LRU_HASH, struct xg_frag_key, struct xg_frag_val,
       XG_FRAG_MAX);
XG_MAP(xg_runtime, BPF_MAP_TYPE_ARRAY, __u32, struct xg_runtime, 1);
XG_MAP(xg_drops, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_counter,
       XG_DROPS_SLOTS);
XG_MAP(xg_verdicts, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_counter,
       XG_VERDICT_SLOTS);
XG_MAP(xg_evrate, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_evrate, 1);
XG_MAP(xg_hotdeny, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_hot_deny, 1);
/* Sized by the loader from xg_cfg.vcache_slots (1 when the cache is off). */
XG_MAP(xg_vcache, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_vcache_slot,
       XG_VCACHE_SLOTS);
XG_MAP(xg_reply_scratch, BPF_MAP_TYPE_PERCPU_ARRAY, __u32,
       struct xg_reply_scratch, 1);
XG_MAP(xg_quote_scratch, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct xg_quote, 1);
XG_MAP(xg_txports, BPF_MAP_TYPE_DEVMAP_HASH, __u32, __u32, XG_TXPORTS_MAX);
XG_MAP(xg_xsks, BPF_MAP_TYPE_XSKMAP, __u32, __u32, XG_XSKS_MAX);
/* ifindex -> slot of its sockets in xg_xsks, written by the daemon. */
XG_MAP(xg_ifslots, BPF_MAP_TYPE_HASH, __u32, __u32, XG_IFSLOTS_MAX);
XG_RINGBUF(xg_events, XG_EVENTS_BYTES);

XG_MAP(xg_svc, BPF_MAP_TYPE_HASH, struct xg_svc_key, struct xg_svc_val,
       XG_SVC_MAX);
XG_MAP(xg_backends, BPF_MAP_TYPE_HASH, __u32, struct xg_backend,
       XG_BACKENDS_MAX);
XG_MAP(xg_revnat, BPF_MAP_TYPE_HASH, __u32, struct xg_revnat, XG_SVC_MAX);
XG_MAP(xg_svcflow, BPF_MAP_TYPE_LRU_HASH, struct xg_flow_key,
       struct xg_svcflow, XG_SVCFLOW_MAX, XG_MAP_FLAGS(XG_CT_LRU_FLAGS));
XG_MAP(xg_affinity, BPF_MAP_TYPE_LRU_HASH, struct xg_affinity_key,
       struct xg_affinity, XG_AFFINITY_MAX);
#if defined(__bpf__)
/* One Maglev table per service: inner arrays of M backend ids (M is a
 * load-time setting: the loader resizes this template), created by the
 * control plane, so a service costs memory only while it exists and a
 * backend change rewrites its table alone.  Mappable, so the control
 * plane writes a table with one memcpy instead of M syscalls. */
struct xg_maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XG_MAGLEV_BLOCKS(XG_MAGLEV_M));
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	/* by size: clang emits only a forward declaration of a struct seen
	 * through this pointer alone, and libbpf cannot size that */
	__uint(value_size, sizeof(struct xg_maglev_block));
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, XG_SVC_MAX);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xg_maglev_inner); /* must come last */
} xg_maglev SEC(".maps");
#else
XG_MAP(xg_maglev, BPF_MAP_TYPE_HASH_OF_MAPS, __u32, struct xg_nmap *,
       XG_SVC_MAX);
#endif

#if defined(XG_NATIVE_EXTERN)
extern struct xg_config xg_cfg;
#else
/* Load-time settings: .rodata in BPF, set by the loader before load. */
XG_RODATA struct xg_config xg_cfg = XG_CONFIG_DEFAULT;
#endif

#endif /* XGATE_XDP_MAPS_H */
