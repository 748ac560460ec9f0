/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The thin layer between the datapath logic and its target.  Every logic
 * header in xdp/ reaches packets, maps, time and helpers only through
 * what this file defines, so the same source compiles
 *   - for BPF (clang -target bpf): the XDP program, and
 *   - as native C (-DXG_NATIVE): maps become userspace tables
 *     (xdp/native/runtime.c) and helpers become test doubles, so the
 *     packet table runs under sanitizers and the parser can be fuzzed.
 * A verdict must never differ between the two; tests/xdp checks it.
 */
#ifndef XGATE_XDP_CTX_H
#define XGATE_XDP_CTX_H

#if defined(__bpf__)
/* ------------------------------------------------------------ BPF -- */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define XG_INLINE static __always_inline
/* A BPF-to-BPF call: its own stack frame (the 512-byte stack is per
 * frame), for steps most packets skip. */
#define XG_NOINLINE static __attribute__((noinline))
#define XG_RODATA const volatile
#define XG_UNROLL _Pragma("unroll")
/* A macro, not a typedef: CO-RE relocates ctx fields by type name. */
#define xg_ctx_t struct xdp_md

#define XG_MAP(_name, _type, _key, _val, _max, ...)                           \
	struct {                                                               \
		__uint(type, _type);                                           \
		__type(key, _key);                                             \
		__type(value, _val);                                           \
		__uint(max_entries, _max);                                     \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                           \
		__VA_ARGS__                                                    \
	} _name SEC(".maps")

#define XG_RINGBUF(_name, _bytes)                                              \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                            \
		__uint(max_entries, _bytes);                                   \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                           \
	} _name SEC(".maps")

#define XG_MAP_FLAGS(f) __uint(map_flags, f);

#define xg_data(ctx) ((void *)(long)(ctx)->data)
#define xg_data_end(ctx) ((void *)(long)(ctx)->data_end)
#define xg_ifindex(ctx) ((ctx)->ingress_ifindex)
#define xg_rxq(ctx) ((ctx)->rx_queue_index)

#define xg_map_lookup(map, key) bpf_map_lookup_elem(map, key)
/* Map-in-map: the inner map for key, or NULL. */
#define xg_map_lookup_inner(outer, key) bpf_map_lookup_elem(outer, key)
#define xg_map_update(map, key, val, fl) bpf_map_update_elem(map, key, val, fl)
#define xg_map_delete(map, key) bpf_map_delete_elem(map, key)
#define xg_ktime_ns() bpf_ktime_get_ns()
/* CLOCK_MONOTONIC_COARSE: a tick's resolution, a fraction of the cost
 * (the precise clock is ~20 ns a read on a kvm-clock VM).  Lifetimes,
 * caches and rate limits need no better. */
#define xg_ktime_coarse_ns() bpf_ktime_get_coarse_ns()
#define xg_redirect_map(map, key, fl) bpf_redirect_map(map, key, fl)
/* No wakeup per event (an irq_work each: microseconds); readers poll
 * with a timeout, and a filling ring wakes them. */
#define xg_ringbuf_output(rb, d, sz)                                           \
	bpf_ringbuf_output(rb, d, sz,                                          \
			   bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >          \
					   XG_EVENTS_WAKEUP_BYTES ?            \
				   BPF_RB_FORCE_WAKEUP :                       \
				   BPF_RB_NO_WAKEUP)
#define xg_fib_lookup(ctx, p) bpf_fib_lookup(ctx, p, sizeof(*(p)), 0)
/* Packet bytes at a variable offset (headers after VLAN tags, options,
 * extension headers): copies, so no packet-pointer range to prove. */
#define xg_load_bytes(ctx, off, buf, len) bpf_xdp_load_bytes(ctx, off, buf, len)
#define xg_store_bytes(ctx, off, buf, len) bpf_xdp_store_bytes(ctx, off, buf, len)
/* Moves the frame's end by delta bytes (grow or shrink). */
#define xg_adjust_tail(ctx, delta) bpf_xdp_adjust_tail(ctx, delta)
/* The metadata area before the frame: negative delta grows it. */
#define xg_data_meta(ctx) ((void *)(long)(ctx)->data_meta)
#define xg_adjust_meta(ctx, delta) bpf_xdp_adjust_meta(ctx, delta)

#define XG_AF_INET 2
#define XG_AF_INET6 10

#else
/* --------------------------------------------------------- native -- */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include "native/runtime.h"

#define XG_INLINE static inline __attribute__((always_inline))
#define XG_NOINLINE static __attribute__((noinline))
#define XG_RODATA
#define XG_UNROLL
typedef struct xg_native_ctx xg_ctx_t;

#if defined(XG_NATIVE_EXTERN)
/* Declarations only: for test code that reaches the native maps. */
#define XG_MAP(_name, ...) extern struct xg_nmap _name
#define XG_RINGBUF(_name, _bytes) extern struct xg_nmap _name
#else
#define XG_MAP(_name, _type, _key, _val, _max, ...)                           \
	struct xg_nmap _name = {                                               \
		.name = #_name,                                                \
		.type = _type,                                                 \
		.key_size = sizeof(_key),                                      \
		.value_size = sizeof(_val),                                    \
		.max_entries = _max,                                           \
	}

#define XG_RINGBUF(_name, _bytes)                                              \
	struct xg_nmap _name = {                                               \
		.name = #_name,                                                \
		.type = BPF_MAP_TYPE_RINGBUF,                                  \
		.max_entries = _bytes,                                         \
	}
#endif

#define XG_MAP_FLAGS(f)

#define xg_data(ctx) ((ctx)->data)
#define xg_data_end(ctx) ((ctx)->data_end)
#define xg_ifindex(ctx) ((ctx)->ingress_ifindex)
#define xg_rxq(ctx) ((ctx)->rx_queue_index)

#define xg_map_lookup(map, key) xg_nmap_lookup(map, key)
#define xg_map_lookup_inner(outer, key) xg_nmap_lookup_inner(outer, key)
#define xg_map_update(map, key, val, fl) xg_nmap_update(map, key, val, fl)
#define xg_map_delete(map, key) xg_nmap_delete(map, key)
#define xg_ktime_ns() xg_native_ktime_ns()
#define xg_ktime_coarse_ns() xg_native_ktime_ns()
#define xg_redirect_map(map, key, fl) xg_native_redirect_map(map, key, fl)
#define xg_ringbuf_output(rb, d, sz) xg_native_ringbuf_output(rb, d, sz)
#define xg_fib_lookup(ctx, p) xg_native_fib_lookup(ctx, p)
#define xg_load_bytes(ctx, off, buf, len) xg_native_load_bytes(ctx, off, buf, len)
#define xg_store_bytes(ctx, off, buf, len) xg_native_store_bytes(ctx, off, buf, len)
#define xg_adjust_tail(ctx, delta) xg_native_adjust_tail(ctx, delta)
#define xg_data_meta(ctx) xg_native_data_meta(ctx)
#define xg_adjust_meta(ctx, delta) xg_native_adjust_meta(ctx, delta)

#define XG_AF_INET 2
#define XG_AF_INET6 10

#ifndef SEC
#define SEC(x)
#endif

#endif /* target */

/* Hides a value from the optimiser, so a bound written in the source
 * (a mask) stays in the code for the verifier to see. */
#define xg_barrier_var(v) __asm__ volatile("" : "+r"(v))

/* Bounds check: true when [p, p + len) lies inside the packet. */
#define xg_has(p, len, end) ((void *)((const __u8 *)(p) + (len)) <= (end))

#endif /* XGATE_XDP_CTX_H */
