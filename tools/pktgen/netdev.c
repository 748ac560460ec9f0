// SPDX-License-Identifier: GPL-2.0-only
/* Interface queries for xgate-pktgen over ioctl and rtnetlink. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "netdev.h"

#define RTNL_BUF 32768

int nd_ifindex(const char *dev)
{
	unsigned int idx = if_nametoindex(dev);

	return idx ? (int)idx : -errno;
}

static int ifreq_ioctl(const char *dev, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	if (strlen(dev) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(ifr->ifr_name, dev, IFNAMSIZ - 1);
	if (ioctl(fd, req, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int nd_mac(const char *dev, __u8 mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int err;

	err = ifreq_ioctl(dev, SIOCGIFHWADDR, &ifr);
	if (err)
		return err;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

struct link_info {
	int link;		/* IFLA_LINK: the peer's index */
	int link_netnsid;	/* -1: the peer is in our namespace */
	bool veth;
	bool has_mac;
	__u8 mac[ETH_ALEN];
};

static void parse_linkinfo(struct rtattr *nest, struct link_info *li)
{
	int len = RTA_PAYLOAD(nest);
	struct rtattr *rta;

	for (rta = RTA_DATA(nest); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_INFO_KIND &&
		    !strncmp(RTA_DATA(rta), "veth", RTA_PAYLOAD(rta)))
			li->veth = true;
}

static void parse_link(struct nlmsghdr *nh, struct link_info *li)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int len = IFLA_PAYLOAD(nh);
	struct rtattr *rta;

	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		switch (rta->rta_type) {
		case IFLA_LINK:
			memcpy(&li->link, RTA_DATA(rta), sizeof(li->link));
			break;
		case IFLA_LINK_NETNSID:
			memcpy(&li->link_netnsid, RTA_DATA(rta),
			       sizeof(li->link_netnsid));
			break;
		case IFLA_ADDRESS:
			if (RTA_PAYLOAD(rta) == ETH_ALEN) {
				memcpy(li->mac, RTA_DATA(rta), ETH_ALEN);
				li->has_mac = true;
			}
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(rta, li);
			break;
		}
	}
}

/* RTM_GETLINK for one index, in the namespace netnsid names (as seen from
 * ours) or in ours when netnsid < 0.
 */
static int rtnl_getlink(int ifindex, int netnsid, struct link_info *li)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(sizeof(__s32))];
	} req = {};
	struct nlmsghdr *nh;
	struct rtattr *rta;
	char *buf = NULL;
	int fd, err = 0;
	ssize_t len;

	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (netnsid >= 0) {
		rta = (struct rtattr *)((char *)&req +
					NLMSG_ALIGN(req.nh.nlmsg_len));
		rta->rta_type = IFLA_TARGET_NETNSID;
		rta->rta_len = RTA_LENGTH(sizeof(__s32));
		memcpy(RTA_DATA(rta), &netnsid, sizeof(__s32));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) +
				   RTA_SPACE(sizeof(__s32));
	}

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	buf = malloc(RTNL_BUF);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	len = recv(fd, buf, RTNL_BUF, 0);
	if (len < 0) {
		err = -errno;
		goto out;
	}
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)len)) {
		err = -EPROTO;
		goto out;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		if (!err)
			err = -EPROTO;
		goto out;
	}
	if (nh->nlmsg_type != RTM_NEWLINK) {
		err = -EPROTO;
		goto out;
	}
	li->link = 0;
	li->link_netnsid = -1;
	parse_link(nh, li);
out:
	free(buf);
	close(fd);
	return err;
}

int nd_veth_peer_mac(int ifindex, __u8 mac[ETH_ALEN])
{
	struct link_info li = {}, peer = {};
	int err;

	err = rtnl_getlink(ifindex, -1, &li);
	if (err)
		return err;
	if (!li.veth || !li.link)
		return -EOPNOTSUPP;
	err = rtnl_getlink(li.link, li.link_netnsid, &peer);
	if (err)
		return err;
	if (!peer.has_mac)
		return -ENODATA;
	memcpy(mac, peer.mac, ETH_ALEN);
	return 0;
}

/* Is name "tx_queue_<digits>_<what>"? */
static bool txq_stat(const char *name, const char *what)
{
	const char *p = name + strlen("tx_queue_");

	if (strncmp(name, "tx_queue_", strlen("tx_queue_")))
		return false;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '_' && !strcmp(p + 1, what);
}

int nd_ethtool_txq_sum(const char *dev, const char *what, __u64 *sum)
{
	struct ethtool_gstrings *names = NULL;
	struct ethtool_drvinfo drv = {};
	struct ethtool_stats *vals = NULL;
	struct ifreq ifr = {};
	bool found = false;
	__u32 i, n;
	int err;

	drv.cmd = ETHTOOL_GDRVINFO;
	ifr.ifr_data = (void *)&drv;
	err = ifreq_ioctl(dev, SIOCETHTOOL, &ifr);
	if (err)
		return err;
	n = drv.n_stats;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)n * sizeof(__u64));
	if (!names || !vals) {
		err = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	ifr.ifr_data = (void *)names;
	err = ifreq_ioctl(dev, SIOCETHTOOL, &ifr);
	if (err)
		goto out;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	ifr.ifr_data = (void *)vals;
	err = ifreq_ioctl(dev, SIOCETHTOOL, &ifr);
	if (err)
		goto out;

	*sum = 0;
	for (i = 0; i < n && i < names->len; i++) {
		char name[ETH_GSTRING_LEN + 1] = {};

		memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN,
		       ETH_GSTRING_LEN);
		if (txq_stat(name, what)) {
			*sum += vals->data[i];
			found = true;
		}
	}
	if (!found)
		err = -ENOENT;
out:
	free(names);
	free(vals);
	return err;
}
