/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet table's world: two gateway interfaces, hosts behind them,
 * their identities.  The BPF backend builds it for real in a private
 * network namespace (so bpf_fib_lookup answers from a real FIB); the
 * native backend answers FIB lookups from the same table.
 */
#ifndef XGATE_TESTS_XDP_TOPO_H
#define XGATE_TESTS_XDP_TOPO_H

#include <linux/types.h>

enum { GW0 = 0, GW1 = 1 }; /* front and back leg */

struct topo_if {
	const char *name, *peer, *mac;
	const char *ip4, *ip6; /* address/len */
	const char *net4, *net6; /* connected prefix */
};

enum host_id { C1, C2, C3, B1, B2, B9, GWA, VIP, NHOSTS };

struct topo_host {
	const char *ip4, *ip6, *mac; /* mac NULL: no neighbour entry */
	int leg; /* GW0 / GW1 */
	__u32 identity; /* what the table's ipcache resolves it to */
};

extern const struct topo_if topo_ifs[2];
extern const struct topo_host topo_hosts[NHOSTS];

#define ID_C1 1001
#define ID_C2 1002
#define ID_B1 2001
#define ID_BNET 2000 /* the backend /24 (/64): a CIDR identity */

#endif /* XGATE_TESTS_XDP_TOPO_H */
