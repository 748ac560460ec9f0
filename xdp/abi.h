/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one header shared by the XDP datapath and userspace: map keys and
 * values, constants, counters and event records.  Fixed-width types,
 * explicit padding, no pointers.  Anything here is ABI with pinned maps:
 * changing a layout means a new map name (or a migration), never an
 * in-place edit, because `xgated` adopts pinned maps across restarts.
 */
#ifndef XGATE_XDP_ABI_H
#define XGATE_XDP_ABI_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* ---- map names (pinned under <pin_root>/, e.g. /sys/fs/bpf/xgate/) ---- */
#define XG_MAP_IPCACHE   "xg_ipcache"
#define XG_MAP_POLICY    "xg_policy"
#define XG_MAP_CT        "xg_ct"
#define XG_MAP_DENYCACHE "xg_denycache"
#define XG_MAP_FRAG      "xg_frag"
#define XG_MAP_RUNTIME   "xg_runtime"
#define XG_MAP_DROPS     "xg_drops"
#define XG_MAP_VERDICTS  "xg_verdicts"
#define XG_MAP_EVENTS    "xg_events"
#define XG_MAP_EVRATE    "xg_evrate"
#define XG_MAP_HOTDENY   "xg_hotdeny"
#define XG_MAP_SVC       "xg_svc"
#define XG_MAP_BACKENDS  "xg_backends"
#define XG_MAP_REVNAT    "xg_revnat"
#define XG_MAP_MAGLEV    "xg_maglev"
#define XG_MAP_SVCFLOW   "xg_svcflow"
#define XG_MAP_AFFINITY  "xg_affinity"
#define XG_MAP_TXPORTS   "xg_txports"
#define XG_MAP_XSKS      "xg_xsks"
#define XG_MAP_IFSLOTS   "xg_ifslots"
#define XG_MAP_VCACHE    "xg_vcache"
#define XG_MAP_IPHOST    "xg_iphost"

/* ---- default map sizes (load-time settings; see ctrl/loader.h) ---- */
#ifndef XG_IPCACHE_MAX
#define XG_IPCACHE_MAX (1u << 20) /* address prefixes -> identity */
#endif
#ifndef XG_POLICY_MAX
#define XG_POLICY_MAX (256u << 10) /* compiled policy entries */
#endif
#ifndef XG_CT_MAX
#define XG_CT_MAX (1u << 20) /* tracked flows (LRU) */
#endif
#ifndef XG_DENYCACHE_MAX
/* Denied flows, in an LRU of their own so a flood evicts only other
 * denied flows.  Sized above a 65,536-source flood per CPU list, so such a
 * flood is answered from the cache once each source has been judged. */
#define XG_DENYCACHE_MAX (256u << 10)
#endif
#ifndef XG_VCACHE_SLOTS
/* Verdict cache slots per CPU (a power of two; 0 turns the cache off). */
#define XG_VCACHE_SLOTS 4096u
#endif
#ifndef XG_FRAG_MAX
#define XG_FRAG_MAX (64u << 10) /* first-fragment port records (LRU) */
#endif
#ifndef XG_TXPORTS_MAX
#define XG_TXPORTS_MAX 64 /* egress interfaces XDP may redirect to */
#endif
/* AF_XDP sockets: the XSKMAP slot of (interface, rx queue) is
 * ifslot * XG_XSK_QUEUES + queue, where ifslot is the interface's place in
 * the daemon's list (xg_ifslots).  A socket is bound to one device and
 * queue, and one program serves every interface, so the queue alone
 * cannot name it. */
#ifndef XG_XSK_QUEUES
#define XG_XSK_QUEUES 64 /* rx queues per interface the fast path may serve */
#endif
#ifndef XG_IFSLOTS_MAX
#define XG_IFSLOTS_MAX 16 /* interfaces with fast-path sockets */
#endif
#define XG_XSKS_MAX (XG_XSK_QUEUES * XG_IFSLOTS_MAX)
#ifndef XG_EVENTS_BYTES
#define XG_EVENTS_BYTES (256u << 10) /* ring buffer for sampled events */
#endif
#ifndef XG_EVENTS_WAKEUP_BYTES
#define XG_EVENTS_WAKEUP_BYTES (64u << 10) /* wake readers past this backlog */
#endif

#ifndef XG_SVC_MAX
#define XG_SVC_MAX (64u << 10) /* services (VIP, port, protocol) */
#endif
#ifndef XG_BACKENDS_MAX
#define XG_BACKENDS_MAX (256u << 10) /* backends of all services */
#endif
#ifndef XG_MAGLEV_M
#define XG_MAGLEV_M 16381 /* Maglev table size per service, a prime */
#endif
#ifndef XG_AFFINITY_MAX
#define XG_AFFINITY_MAX (256u << 10) /* (client, service) -> backend (LRU) */
#endif
#ifndef XG_SVCFLOW_MAX
#define XG_SVCFLOW_MAX (1u << 20) /* client flows to a VIP -> their backend (LRU) */
#endif

/* Parser bounds.  Each is a verifier loop bound, so keep them small. */
#ifndef XG_MAX_VLAN_DEPTH
#define XG_MAX_VLAN_DEPTH 2 /* 802.1Q + QinQ; a third tag is dropped */
#endif
#ifndef XG_MAX_V6_EXTHDRS
#define XG_MAX_V6_EXTHDRS 6 /* hop-by-hop, routing, dest-opts x2, fragment, spare */
#endif

/* ---- reserved identities, numbered as Cilium numbers them ---- */
enum xg_reserved_identity {
	XG_ID_UNKNOWN = 0,
	XG_ID_HOST = 1,
	XG_ID_WORLD = 2,
	XG_ID_UNMANAGED = 3,
	XG_ID_HEALTH = 4,
	XG_ID_INIT = 5,
	XG_ID_REMOTE_NODE = 6,
	XG_ID_KUBE_APISERVER = 7,
	XG_ID_INGRESS = 8,
	XG_ID_WORLD_IPV4 = 9,
	XG_ID_WORLD_IPV6 = 10,
	XG_ID_FIRST_LOCAL = 256, /* label-set identities start here */
};

/* Our own family tags (AF_* values differ between libcs; these do not). */
#define XG_FAMILY_V4 4
#define XG_FAMILY_V6 6

/* ---- ipcache: LPM trie, address prefix -> identity ---- */
struct xg_ipcache_key {
	__u32 prefixlen; /* 32 (family + pad) + address prefix length */
	__u8 pad[3];
	__u8 family; /* XG_FAMILY_V4 / XG_FAMILY_V6 */
	__u8 addr[16]; /* IPv4 in the first 4 bytes, network order */
};
#define XG_IPCACHE_PREFIX_BASE 32

struct xg_ipcache_val {
	__u32 identity;
	__u32 flags; /* reserved, 0 */
};

/* Host entries (/32, /128) live in a hash of their own, xg_iphost, under
 * the same key with the full prefix length: most of an ipcache is
 * endpoints, and a hash answers them in one probe where the trie walks a
 * path as long as the table is big.  The trie keeps the shorter
 * prefixes (and any host entry an older xgate wrote there). */

/* ---- policy: LPM trie ----
 * Byte order of the key is the order of specificity: subject, direction,
 * peer, protocol, port.  An entry's prefix length says how much of it is
 * fixed, so one LPM lookup finds the most specific port-range entry for a
 * (subject, direction, peer) and a second lookup with peer 0 finds the
 * most specific "any peer" entry.  The entry that fixes only subject and
 * direction (XG_POLICY_PLEN_SUBJECT) exists exactly when the subject is
 * enforced in that direction: it holds "allow all", "deny all" or
 * XG_ACT_DEFAULT_DENY.  No such entry in either lookup means the subject
 * is not selected in that direction and stays default-allow.
 *
 * Deny precedence inside one lookup is resolved by userspace when it
 * writes the map (an allow covered by a deny is written as a deny; see
 * ctrl/policy_state.c); across the two lookups the datapath lets a deny
 * win.
 */
struct xg_policy_key {
	__u32 prefixlen;
	__u32 subject; /* identity the policy selects */
	__u32 dir; /* XG_DIR_INGRESS / XG_DIR_EGRESS */
	__u32 peer; /* peer identity, 0 = any */
	__u8 proto; /* IPPROTO_*, 0 = any (then port must be any too) */
	__u8 pad;
	__be16 dport; /* destination port, network order; ICMP: type */
};
#define XG_POLICY_PLEN_SUBJECT 64 /* subject + dir fixed */
#define XG_POLICY_PLEN_PEER 96 /* + peer fixed: any proto, any port */
#define XG_POLICY_PLEN_PROTO 112 /* + proto (and pad) fixed: any port */
#define XG_POLICY_PLEN_FULL 128 /* + all 16 port bits */

enum xg_policy_dir {
	XG_DIR_INGRESS = 1,
	XG_DIR_EGRESS = 2,
};

enum xg_policy_action {
	XG_ACT_NONE = 0,
	XG_ACT_ALLOW = 1,
	XG_ACT_DENY = 2,
	XG_ACT_DEFAULT_DENY = 3, /* subject enforced, nothing matched */
};

/* On every entry of a (subject, direction) that has no "any peer" entry
 * besides its subject-wide one: the datapath's second lookup (peer 0)
 * could only find that subject-wide entry, which changes nothing the
 * first lookup found (a subject-wide deny is already folded into every
 * allow it covers), so it is skipped.  Set by userspace only as a
 * promise; an entry without it (one an older xgate wrote) gets both
 * lookups, as before the flag existed. */
enum xg_policy_flags {
	XG_POL_F_NO_ANY_PEER = 1,
};

struct xg_policy_val {
	__u8 action; /* enum xg_policy_action */
	__u8 prefixlen; /* the entry's own prefix length: specificity */
	__u8 flags; /* enum xg_policy_flags */
	__u8 pad;
	__u32 l7_ruleset; /* 0 = none; else the flow goes to the L7 fast path */
	__u32 cookie; /* rule id assigned by the compiler, reported in events */
	__u32 pad2;
};

/* ---- conntrack: LRU hash, one entry per flow, both directions ----
 * The key is normalised (lower address/port first) so that one lookup
 * finds a flow from either direction; XG_CT_F_SWAPPED says whether the
 * original sender is the "b" side.
 */
struct xg_flow_key {
	__u8 a[16];
	__u8 b[16];
	__be16 aport;
	__be16 bport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

enum xg_ct_flags {
	XG_CT_F_SWAPPED = 1 << 0, /* original direction is b -> a */
	XG_CT_F_SYN = 1 << 1, /* SYN seen from the originator */
	XG_CT_F_SYNACK = 1 << 2, /* SYN+ACK seen from the responder */
	XG_CT_F_FIN_ORIG = 1 << 3,
	XG_CT_F_FIN_REPLY = 1 << 4,
	XG_CT_F_RST = 1 << 5,
	XG_CT_F_L7 = 1 << 6, /* originator's packets go to the L7 fast path */
	XG_CT_F_SEEN_REPLY = 1 << 7,
	XG_CT_F_DENIED = 1 << 8, /* cut by a re-check: both directions drop */
	XG_CT_F_ISN = 1 << 9, /* l7_isn holds the originator's first byte */
};

struct xg_ct_entry {
	__u64 expires_ns; /* CLOCK_MONOTONIC; an expired entry counts as absent */
	__u32 policy_rev; /* revision the flow was last admitted under */
	__u32 src_identity; /* originator */
	__u32 dst_identity;
	__u32 l7_ruleset;
	__u32 cookie; /* rule that admitted the flow */
	__u16 flags; /* enum xg_ct_flags */
	__be16 policy_port; /* what policy matched at admission (re-checks) */
	__u16 deny_reason; /* with XG_CT_F_DENIED */
	__u16 pad;
	__u32 revnat_id; /* service flow: replies get the VIP back; 0 = none */
	__u64 created_ns;
	__u64 packets_orig;
	__u64 packets_reply;
	/* Sequence number of the originator's first stream byte (its SYN's
	 * + 1), for the L7 fast path, which sees no SYN: it is where the
	 * first request starts.  Valid with XG_CT_F_ISN. */
	__u32 l7_isn;
	/* L7 flows: the server's next sequence number (one past the last
	 * byte or FIN it sent) and the highest acknowledgment the client
	 * sent.  The fast path answers a refused pipelined request only
	 * once the server has said all it will about the allowed ones. */
	__u32 l7_srv_nxt;
	__u32 l7_cli_ack;
	/* and the highest acknowledgment the server sent: bytes the fast
	 * path acknowledged to the client itself are its to resend until
	 * the server has them */
	__u32 l7_srv_ack;
	__u32 l7_egress; /* the source's egress ruleset (l7_ruleset: the
			  * destination's ingress one) */
	__u32 pad3;
};

/* Denied-flow cache: the verdict of a denied flow, valid while the policy
 * revision does not move.  Kept apart from conntrack so that a flood of
 * denied packets can only evict other denied flows, never admitted ones.
 * Keyed by the flow key as sent (not normalised). */
struct xg_deny_entry {
	__u64 expires_ns;
	__u32 policy_rev;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 cookie;
	__u16 reason; /* enum xg_drop_reason */
	__u16 swapped; /* the denied sender is the key's "b" side */
	__u32 pad2;
};

/* Per-CPU slot holding the last denied flow: a flood of one flow is
 * answered by one key compare, before any hash table is touched.  Valid
 * under the same rules as a deny-cache entry. */
struct xg_hot_deny {
	struct xg_flow_key key;
	struct xg_deny_entry deny;
};

/* Verdict cache (xdp/vcache.h): per CPU, direct-mapped, one slot per
 * hash of (source, destination, protocol, policy port) holding what the
 * identity and policy lookups answered for it under one policy revision.
 * A new flow from a pair already judged (another source port of the same
 * client, say) skips the ipcache and policy tries and the deny cache.
 * One cache line a slot; not pinned: derived state, refilled on demand. */
struct xg_vcache_slot {
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 family; /* 0: empty slot */
	__u8 proto;
	__be16 port; /* the policy port (ICMP: type and code) */
	__u32 policy_rev;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 l7_ruleset;
	__u32 l7_egress;
	__u32 cookie;
	__u8 allowed;
	__u8 reason; /* enum xg_drop_reason, when !allowed */
	__u16 pad;
};

/* Scratch for replies the datapath writes itself (xdp/reply.h): the
 * quoted start of a datagram in an ICMP error. */
#define XG_REPLY_QUOTE 128 /* IPv4: header + 8 bytes always fit */
#define XG_REPLY_BUF 256 /* a power of two above XG_REPLY_QUOTE */
struct xg_reply_scratch {
	__u8 buf[XG_REPLY_BUF];
	__u8 hdr[64]; /* the IP header being written */
};

/* The packet an ICMP error quotes (xdp/icmp_err.h): where its parts
 * are, and its tuple.  Per-CPU scratch, not stack: that code runs as a
 * subprogram on top of the packet path's frame. */
struct xg_quote {
	struct xg_flow_key key; /* lookups use it in place */
	__u8 saddr[16], daddr[16];
	__be16 sport, dport;
	__u32 l3, l4; /* offsets in the frame */
	__u32 icsum; /* offset of the ICMP checksum */
	__u8 proto;
	__u8 v4;
	__u8 pad[2];
};

/* ---- service load balancing ----
 * A packet to (VIP, port, proto) in xg_svc is a service packet: its
 * backend comes from xg_svcflow (the client flow's earlier choice, so a
 * flow stays on its backend whatever the table does), else from the
 * service's Maglev table (xg_maglev: svc_id -> inner array of M backend
 * ids, in blocks) by flow hash.  The destination is rewritten
 * (DNAT) before identity and policy, which so see the backend; the
 * conntrack entry remembers revnat_id, and replies get the VIP back. */
/* A Maglev table's slots, XG_MAGLEV_BLOCK to an array element: array
 * elements are 8-byte aligned, so single u32 values would waste half the
 * table and could not be written with one memcpy through a mapping.
 * Slot s is block s / XG_MAGLEV_BLOCK, id[s % XG_MAGLEV_BLOCK]; the last
 * block's tail past M is 0 and never read. */
#define XG_MAGLEV_BLOCK 16
struct xg_maglev_block {
	__u32 id[XG_MAGLEV_BLOCK];
};
#define XG_MAGLEV_BLOCKS(m) (((m) + XG_MAGLEV_BLOCK - 1) / XG_MAGLEV_BLOCK)

struct xg_svc_key {
	__u8 addr[16]; /* VIP; IPv4 in the first 4 bytes */
	__be16 port;
	__u8 proto;
	__u8 family;
};

struct xg_svc_val {
	__u32 svc_id; /* key of the service's Maglev table */
	__u32 revnat_id; /* key of xg_revnat: what replies are rewritten to */
	/* The control plane's digest of what built the table (backends,
	 * weights, states, affinity, table size): a restarted daemon knows
	 * the table is current without rewriting it.  Not read here. */
	__u32 digest;
	__u32 affinity_s; /* ClientIP affinity timeout; 0 = none */
};

/* ClientIP session affinity: a client's new flows to a service go to the
 * backend its last new flow went to, within affinity_s of it (LRU). */
struct xg_affinity_key {
	__u8 client[16];
	__u32 svc_id;
	__u8 family;
	__u8 pad[3];
};

struct xg_affinity {
	__u32 backend_id;
	__u32 pad;
	__u64 expires_ns;
};

enum xg_backend_state {
	XG_BE_ACTIVE = 0,
	XG_BE_TERMINATING = 1, /* no new flows; its flows finish */
};

struct xg_backend {
	__u8 addr[16];
	__be16 port;
	__u8 family;
	__u8 state; /* enum xg_backend_state */
};

struct xg_revnat {
	__u8 addr[16]; /* the VIP */
	__be16 port;
	__u8 family;
	__u8 pad;
};

/* Keyed by the client's flow as sent to the VIP (struct xg_flow_key,
 * a = client, b = VIP, not normalised). */
struct xg_svcflow {
	__u32 backend_id;
	__u32 svc_id;
	__u64 expires_ns;
};

/* ---- fragments: first fragment's ports, for the later fragments ---- */
struct xg_frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id; /* IPv4: 16-bit id; IPv6: 32-bit identification */
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

struct xg_frag_val {
	__be16 sport;
	__be16 dport;
	__be16 policy_port; /* ICMP: the type, as the first fragment had it */
	__u16 pad;
	__u64 expires_ns;
};

/* ---- runtime state written by userspace (array map, one entry) ---- */
struct xg_runtime {
	__u32 policy_rev; /* bumped after every applied policy change */
	/* Slots per Maglev table, written by the loader from its setting:
	 * the control plane sizes every table by it (0: XG_MAGLEV_M). */
	__u32 maglev_m;
};

/* A conntrack entry stamped at most this many revisions ahead of what a
 * packet read was judged by another CPU after a bump the packet has not
 * seen yet: its verdict stands (xdp/ct.h, xg_ct_rev_stale). */
#define XG_REV_AHEAD_MAX 16

/* ---- the L7 fast path's frames ---- */
/*
 * What XDP tells the fast path about a frame it redirects to an AF_XDP
 * socket, in the XDP metadata area right before the frame (copy mode
 * keeps it too).  The frame itself is already routed: FIB lookup done,
 * MACs rewritten for the egress leg, TTL / hop limit decremented, DNAT
 * applied, so an allowed frame leaves unchanged on out_ifindex.
 * Only 2-byte aligned: it ends where the frame starts, and a frame may
 * start 2 bytes into a word (NET_IP_ALIGN) to align the IP header.
 */
#define XG_XSK_META_MAGIC 0x78676d31u /* "xgm1" */

enum xg_xsk_meta_flags {
	XG_XSK_META_F_ISN = 1 << 0, /* isn is known (the SYN was seen) */
};

struct xg_xsk_meta {
	__u32 magic; /* XG_XSK_META_MAGIC */
	__u32 l7_ruleset; /* the server's ingress ruleset (0: none) */
	__u32 l7_egress; /* the client's egress ruleset (0: none); a request
			  * must pass both */
	__u32 isn; /* host order: sequence number of the client's first byte */
	__u32 in_ifindex; /* where the frame came in (replies to the client) */
	__u32 out_ifindex; /* where an allowed frame goes */
	__u32 src_identity;
	__u32 dst_identity;
	__u32 cookie; /* the L3/L4 rule that admitted the flow */
	__u32 policy_rev;
	__u32 revnat_id; /* balanced flow: xg_revnat has the VIP the client
			  * used (a reply to it must come from there) */
	/* When conntrack admitted the flow (CLOCK_MONOTONIC ns): a flow
	 * older than the fast path's start was met by an earlier daemon,
	 * so its stream is taken up where it stands, not at isn. */
	__u64 flow_created_ns;
	struct xg_flow_key ct_key; /* the flow's conntrack key */
	__u16 flags; /* enum xg_xsk_meta_flags */
	__u8 in_src[6]; /* MACs as received: a reply to the client swaps them */
	__u8 in_dst[6];
	__u8 pad[2];
} __attribute__((packed, aligned(2)));

/* ---- load-time settings (.rodata of the program) ---- */
enum xg_fwd_mode {
	XG_FWD_PASS = 0, /* allowed traffic goes up the kernel stack */
	XG_FWD_FIB = 1, /* FIB lookup + devmap redirect, kernel as fallback */
};

struct xg_config {
	__u32 fwd_mode; /* enum xg_fwd_mode */
	__u32 events_per_sec; /* per CPU budget of ring-buffer events, 0 = off */
	__u32 verdict_events; /* also report admitted new flows */
	__u32 ct_tcp_syn_s; /* lifetime of a TCP flow before the handshake completes */
	__u32 ct_tcp_est_s;
	__u32 ct_tcp_close_s; /* after FIN from both sides or RST */
	__u32 ct_other_s; /* UDP, ICMP, SCTP, other */
	__u32 deny_cache_s;
	__u32 frag_s;
	__u32 maglev_m; /* slots per Maglev table (a prime); 0: XG_MAGLEV_M */
	__u32 vcache_slots; /* verdict cache slots per CPU, a power of two;
			     * 0: no verdict cache */
};

#define XG_CONFIG_DEFAULT                                                      \
	{                                                                      \
		.fwd_mode = XG_FWD_FIB, .events_per_sec = 1000,                \
		.verdict_events = 1, .ct_tcp_syn_s = 60,                       \
		.ct_tcp_est_s = 21600, .ct_tcp_close_s = 10,                   \
		.ct_other_s = 60, .deny_cache_s = 10, .frag_s = 30,            \
		.maglev_m = XG_MAGLEV_M, .vcache_slots = XG_VCACHE_SLOTS,      \
	}

/* ---- drop reasons: one list for counters, events and `xgatectl monitor` ----
 * X(NAME, "text").  Append only: the value indexes a pinned counter map. */
#define XG_DROP_REASONS(X)                                                     \
	X(NONE, "not dropped")                                                 \
	X(ETH_TRUNC, "ethernet header truncated")                              \
	X(VLAN_TRUNC, "VLAN tag truncated")                                    \
	X(VLAN_DEPTH, "more VLAN tags than supported")                         \
	X(IP4_TRUNC, "IPv4 header truncated")                                  \
	X(IP4_VERSION, "IPv4 version field is not 4")                          \
	X(IP4_IHL, "IPv4 header length below 20 bytes")                        \
	X(IP4_OPTS_TRUNC, "IPv4 options run past the frame")                   \
	X(IP4_TOTLEN, "IPv4 total length inconsistent with frame")             \
	X(IP6_TRUNC, "IPv6 header truncated")                                  \
	X(IP6_VERSION, "IPv6 version field is not 6")                          \
	X(IP6_PAYLOAD_LEN, "IPv6 payload length past the frame")               \
	X(IP6_EXTHDR_TRUNC, "IPv6 extension header truncated")                 \
	X(IP6_EXTHDR_LIMIT, "too many IPv6 extension headers")                 \
	X(L4_TRUNC, "L4 header truncated")                                     \
	X(TCP_DOFF, "TCP data offset invalid")                                 \
	X(FRAG_NO_FIRST, "fragment without a recorded first fragment")         \
	X(FRAG_SHORT, "first fragment too short for the L4 header")            \
	X(POLICY_DENY, "denied by policy")                                     \
	X(POLICY_DEFAULT_DENY, "no policy rule allows")                        \
	X(NO_XSK, "L7 flow but no AF_XDP socket on this queue")                \
	X(L7_NO_ROUTE, "L7 flow but the FIB has no route or neighbour")        \
	X(CT_FULL, "conntrack update failed")                                  \
	X(LB_NO_BACKEND, "service has no usable backend")                      \
	X(RELATED_DENIED, "ICMP error about a flow policy denied")

enum xg_drop_reason {
#define XG__DROP_ENUM(name, text) XG_DROP_##name,
	XG_DROP_REASONS(XG__DROP_ENUM)
#undef XG__DROP_ENUM
	XG_DROP__MAX
};

/* Counter maps are sized with room to grow, so that appending a reason
 * does not make a pinned map incompatible with the new program. */
#define XG_DROPS_SLOTS 64
#define XG_VERDICT_SLOTS 16

/* Verdict counters: what happened to every packet. */
#define XG_VERDICTS(X)                                                         \
	X(PASS, "pass")                                                        \
	X(DROP, "drop")                                                        \
	X(FORWARD, "forward")                                                  \
	X(L7, "redirect-l7")

enum xg_verdict {
#define XG__VERDICT_ENUM(name, text) XG_VERDICT_##name,
	XG_VERDICTS(XG__VERDICT_ENUM)
#undef XG__VERDICT_ENUM
	XG_VERDICT__MAX
};

struct xg_counter {
	__u64 packets;
	__u64 bytes;
};

/* ---- ring-buffer event ---- */
enum xg_event_type {
	XG_EV_DROP = 1, /* reason says why */
	XG_EV_VERDICT = 2, /* a new flow was admitted; verdict says where it went */
};

struct xg_event {
	__u64 ts_ns;
	__u8 type; /* enum xg_event_type */
	__u8 verdict; /* enum xg_verdict */
	__u16 reason; /* enum xg_drop_reason */
	__u8 family;
	__u8 proto;
	__be16 sport;
	__be16 dport;
	__u16 pad;
	__u32 ifindex;
	__u32 src_identity;
	__u32 dst_identity;
	__u32 cookie; /* policy rule that decided, 0 = none */
	__u32 policy_rev;
	__u32 pkt_len;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Per-CPU token bucket for events, so a flood cannot flood the ring. */
struct xg_evrate {
	__u64 last_ns;
	__u64 tokens;
};

#endif /* XGATE_XDP_ABI_H */
