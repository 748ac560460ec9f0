/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Native (userspace) stand-ins for what the XDP datapath gets from the
 * kernel: maps with BPF semantics (hash, LRU hash, array, LPM trie,
 * devmap/xskmap, ring buffer) and helper doubles (clock, FIB, redirect).
 * Single-threaded: the native build is for tests, fuzzing and the
 * verdict-equivalence table, where one "CPU" is all there is.
 */
#ifndef XGATE_XDP_NATIVE_RUNTIME_H
#define XGATE_XDP_NATIVE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/bpf.h>

struct xg_native_ctx {
	void *data;
	void *data_end;
	void *frame_end; /* how far data_end may grow; NULL: not at all */
	void *frame_start; /* how far metadata may grow down; NULL: none */
	void *data_meta; /* start of the metadata; NULL: none yet (= data) */
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
};

struct xg_nnode;

struct xg_nmap {
	const char *name;
	__u32 type; /* BPF_MAP_TYPE_* */
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	/* private */
	__u32 nbuckets;
	__u32 count;
	struct xg_nnode **buckets;
	__u8 *array; /* ARRAY / PERCPU_ARRAY storage */
	__u32 plen_used[2049]; /* LPM: entries per prefix length */
	__u64 evictions;
};

void *xg_nmap_lookup(struct xg_nmap *m, const void *key);
/* HASH_OF_MAPS: the value is a struct xg_nmap *; NULL when absent. */
struct xg_nmap *xg_nmap_lookup_inner(struct xg_nmap *outer, const void *key);
/* Returns 0 or a negative errno, as bpf_map_update_elem does. */
long xg_nmap_update(struct xg_nmap *m, const void *key, const void *val,
		    __u64 flags);
long xg_nmap_delete(struct xg_nmap *m, const void *key);
/* Calls fn for every entry until it returns non-zero; that value is returned. */
int xg_nmap_foreach(struct xg_nmap *m,
		    int (*fn)(const void *key, void *val, void *arg), void *arg);
void xg_nmap_clear(struct xg_nmap *m);
__u32 xg_nmap_count(const struct xg_nmap *m);

/* Helper doubles. */
extern __u64 xg_native_now_ns;
__u64 xg_native_ktime_ns(void);

typedef int (*xg_native_fib_fn)(struct bpf_fib_lookup *params);
/* The test sets a FIB; NULL answers BPF_FIB_LKUP_RET_NOT_FWDED. */
extern xg_native_fib_fn xg_native_fib;
long xg_native_fib_lookup(struct xg_native_ctx *ctx,
			  struct bpf_fib_lookup *params);

/* bpf_redirect_map: XDP_REDIRECT when key is in the map, else the low
 * bits of flags (the fallback action).  The target is remembered. */
extern __u32 xg_native_last_redirect;
long xg_native_redirect_map(struct xg_nmap *m, __u32 key, __u64 flags);

/* bpf_xdp_load_bytes / bpf_xdp_store_bytes: -EFAULT outside the frame. */
long xg_native_load_bytes(struct xg_native_ctx *ctx, __u32 off, void *buf,
			  __u32 len);
long xg_native_store_bytes(struct xg_native_ctx *ctx, __u32 off,
			   const void *buf, __u32 len);

/* bpf_xdp_adjust_meta: as the kernel, 4-byte multiples up to 255 bytes,
 * never past frame_start. */
long xg_native_adjust_meta(struct xg_native_ctx *ctx, int delta);
void *xg_native_data_meta(struct xg_native_ctx *ctx);

/* bpf_xdp_adjust_tail: -EINVAL past frame_end or below 14 bytes. */
long xg_native_adjust_tail(struct xg_native_ctx *ctx, int delta);

typedef void (*xg_native_ring_fn)(const void *data, __u64 size, void *arg);
void xg_native_set_ring(xg_native_ring_fn fn, void *arg);
long xg_native_ringbuf_output(struct xg_nmap *m, const void *data, __u64 size);

#endif /* XGATE_XDP_NATIVE_RUNTIME_H */
