/* SPDX-License-Identifier: GPL-2.0-only */
/* What xgate-pktgen asks about its interface: index, MACs (its own and its
 * veth peer's, which may sit in another namespace) and ethtool counters.
 * Everything goes through sockets, so it answers for the caller's network
 * namespace even where /sys shows another one.
 */
#ifndef XGATE_PKTGEN_NETDEV_H
#define XGATE_PKTGEN_NETDEV_H

#include <linux/if_ether.h>
#include <linux/types.h>

/* Returns the interface index or -errno. */
int nd_ifindex(const char *dev);

/* The interface's own MAC address. */
int nd_mac(const char *dev, __u8 mac[ETH_ALEN]);

/* The MAC of the other end of veth ifindex.  -EOPNOTSUPP when ifindex is
 * not a veth, -errno when the kernel does not answer.
 */
int nd_veth_peer_mac(int ifindex, __u8 mac[ETH_ALEN]);

/* Sum of the ethtool -S counters named tx_queue_<N>_<what>, e.g. "xdp_xmit".
 * -ENOENT when the driver has none.
 */
int nd_ethtool_txq_sum(const char *dev, const char *what, __u64 *sum);

#endif /* XGATE_PKTGEN_NETDEV_H */
