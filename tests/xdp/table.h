/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers the packet-table scenarios are written in. */
#ifndef XGATE_TESTS_XDP_TABLE_H
#define XGATE_TESTS_XDP_TABLE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <linux/bpf.h>

#include "xdp/abi.h"
#include "xdp/proto.h"
#include "ctrl/policy_state.h"
#include "tests/lib/pktbuild.h"
#include "backend.h"
#include "topo.h"

struct tctx {
	const struct dp_backend *bk;
	int fam; /* 4 or 6 */
	struct xg_policy_sync sync;
};

/* A frame to send: spec plus who sends it to whom. */
struct pk {
	struct pkt_spec s;
	int src, dst;
};

enum { TCP = XG_IPPROTO_TCP, UDP = XG_IPPROTO_UDP, SCTP = XG_IPPROTO_SCTP,
       ICMP = 1000 /* the family's ICMP */ };

#define SYN XG_TCP_SYN
#define ACK XG_TCP_ACK
#define SYNACK (XG_TCP_SYN | XG_TCP_ACK)
#define FIN (XG_TCP_FIN | XG_TCP_ACK)
#define RST XG_TCP_RST

__u8 icmp_proto(const struct tctx *t);
__u8 echo_req(const struct tctx *t);
__u8 echo_rep(const struct tctx *t);

struct pk mk(const struct tctx *t, int proto, int src, int dst, __u16 sport,
	     __u16 dport, __u8 flags);
struct pk mk_echo(const struct tctx *t, int src, int dst, int reply, __u16 id);

/* Rules: proto 0 means any protocol and any port. */
struct xg_rule allow_in(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi);
struct xg_rule allow_out(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi);
struct xg_rule deny_in(__u32 subj, __u32 peer, int proto, __u16 lo, __u16 hi);
void set_rules(struct tctx *t, const struct xg_rule *r, size_t n);
#define RULES(t, ...)                                                          \
	do {                                                                   \
		struct xg_rule _r[] = { __VA_ARGS__ };                         \
		set_rules(t, _r, sizeof(_r) / sizeof(_r[0]));                  \
	} while (0)

/* Expectations.  `what` names the step in failure messages. */
void expect_fwd(struct tctx *t, const char *what, struct pk p);
/* Forwarded, leaving as `want` (addresses and ports after NAT) would
 * leave a router: MACs of want.dst's leg, TTL one less. */
void expect_fwd_as(struct tctx *t, const char *what, struct pk p, struct pk want);
/* Runs p; returns the action and copies the output's destination (or
 * source) address and port out. */
int run_addr(struct tctx *t, struct pk p, int dst, __u8 *addr, __u16 *port);
void expect_pass(struct tctx *t, const char *what, struct pk p);
void expect_drop(struct tctx *t, const char *what, struct pk p, int reason);
/* Redirected to the fast path's socket, routed, with metadata naming
 * the ruleset (and the stream's start when conntrack saw the SYN). */
void expect_l7(struct tctx *t, const char *what, struct pk p, __u32 ruleset,
	       int has_isn);
/* An ICMP error (type, code) from src to dst quoting the first qlen
 * bytes (from the IP header on) of the packet q. */
struct pk mk_icmp_err(const struct tctx *t, int src, int dst, __u8 type,
		      __u8 code, const struct pk *q, size_t qlen);
/* p is forwarded to want.dst as want (with a router's MAC and TTL
 * changes); the bytes from the IP header on must match exactly. */
void expect_fwd_built(struct tctx *t, const char *what, struct pk p,
		      struct pk want);
/* The datapath drops p with reason and answers it itself (redirected back out): a
 * TCP reset, or an ICMP port unreachable; every field of the answer and
 * its checksums are checked. */
void expect_tcp_rst(struct tctx *t, const char *what, struct pk p, int reason);
void expect_port_unreach(struct tctx *t, const char *what, struct pk p,
			 int reason);
/* Raw frames (malformed ones): act and, for drops, the reason. */
void expect_raw(struct tctx *t, const char *what, __u8 *buf, size_t len,
		int leg, int act, int reason);
size_t build(const struct pk *p, __u8 *buf, size_t cap);

__u64 drop_count(struct tctx *t, int reason);

#endif /* XGATE_TESTS_XDP_TABLE_H */
