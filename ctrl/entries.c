// SPDX-License-Identifier: GPL-2.0-only
/* Datapath entries written by hand: ipcache, revision, egress ports. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/abi.h"
#include "entries.h"

int xg_prefix_parse(const char *s, struct xg_prefix *out, struct xg_err *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	size_t alen;
	unsigned long len;
	char *end;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		xg_err_set(err, "prefix", "empty address");
		return -EINVAL;
	}
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf)) {
		xg_err_set(err, "prefix", "'%s' is not an address", s);
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = XG_FAMILY_V4;
		out->len = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = XG_FAMILY_V6;
		out->len = 128;
	} else {
		xg_err_set(err, "prefix", "'%s' is not an IPv4 or IPv6 address",
			   buf);
		return -EINVAL;
	}
	if (slash) {
		unsigned max = out->len;

		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno ||
		    len > max) {
			xg_err_set(err, "prefix",
				   "'%s': prefix length must be 0..%u", s, max);
			return -EINVAL;
		}
		out->len = (__u8)len;
	}
	for (unsigned bit = out->len; bit < 128; bit++) {
		if (out->addr[bit / 8] & (0x80 >> (bit % 8))) {
			xg_err_set(err, "prefix",
				   "'%s' has host bits set beyond /%u", s,
				   out->len);
			return -EINVAL;
		}
	}
	return 0;
}

int xg_endpoint_parse(const char *s, __u8 *family, __u8 *addr, __u16 *port,
		      struct xg_err *err)
{
	char buf[INET6_ADDRSTRLEN + 2];
	const char *colon, *a = s;
	size_t alen;
	unsigned long p;
	char *end;

	if (!s || !*s)
		return xg_err_set(err, "endpoint", "empty"), -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return xg_err_set(err, "endpoint",
					  "'%.64s': IPv6 needs the form [addr]:port", s),
			       -EINVAL;
		a = s + 1;
		alen = (size_t)(close - a);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return xg_err_set(err, "endpoint",
					  "'%.64s': expected addr:port (IPv6: [addr]:port)", s),
			       -EINVAL;
		alen = (size_t)(colon - s);
	}
	if (!alen || alen >= sizeof(buf))
		return xg_err_set(err, "endpoint", "'%.64s': no address", s), -EINVAL;
	memcpy(buf, a, alen);
	buf[alen] = '\0';
	memset(addr, 0, 16);
	if (*s != '[' && inet_pton(AF_INET, buf, addr) == 1)
		*family = XG_FAMILY_V4;
	else if (*s == '[' && inet_pton(AF_INET6, buf, addr) == 1)
		*family = XG_FAMILY_V6;
	else
		return xg_err_set(err, "endpoint", "'%.64s' is not an address", buf),
		       -EINVAL;
	if (colon[1] < '0' || colon[1] > '9')
		return xg_err_set(err, "endpoint", "'%.64s': port must be 1-65535", s),
		       -EINVAL;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (*end || errno || !p || p > 65535)
		return xg_err_set(err, "endpoint", "'%.64s': port must be 1-65535", s),
		       -EINVAL;
	*port = (__u16)p;
	return 0;
}

const char *xg_prefix_str(const struct xg_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family == XG_FAMILY_V4 ? AF_INET : AF_INET6, p->addr, a,
		  sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

static void ipcache_key(struct xg_ipcache_key *k, const struct xg_prefix *p)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = XG_IPCACHE_PREFIX_BASE + p->len;
	k->family = p->family;
	memcpy(k->addr, p->addr, 16);
}

static int is_host(const struct xg_prefix *p)
{
	return p->len == (p->family == XG_FAMILY_V4 ? 32 : 128);
}

int xg_ipcache_set(struct xg_mapset *ms, const struct xg_prefix *p,
		   __u32 identity)
{
	struct xg_ipcache_key k;
	struct xg_ipcache_val v = { .identity = identity };

	ipcache_key(&k, p);
	return xg_ms_update(ms, is_host(p) ? XG_M_IPHOST : XG_M_IPCACHE, &k,
			    &v, 0);
}

int xg_ipcache_del(struct xg_mapset *ms, const struct xg_prefix *p)
{
	struct xg_ipcache_key k;
	int err, old;

	ipcache_key(&k, p);
	if (!is_host(p))
		return xg_ms_remove(ms, XG_M_IPCACHE, &k);
	/* A host entry may still sit in the trie, written there by an older
	 * xgate whose maps this one adopted: it goes too. */
	err = xg_ms_remove(ms, XG_M_IPHOST, &k);
	old = xg_ms_remove(ms, XG_M_IPCACHE, &k);
	return err == -ENOENT ? old : err;
}

int xg_ipcache_walk(struct xg_mapset *ms, xg_map_walk_fn fn, void *arg)
{
	int err = xg_ms_walk(ms, XG_M_IPHOST, fn, arg);

	return err ?: xg_ms_walk(ms, XG_M_IPCACHE, fn, arg);
}

__u32 xg_ipcache_resolve(struct xg_mapset *ms, __u8 family, const __u8 *addr)
{
	struct xg_ipcache_key k = {
		.prefixlen = XG_IPCACHE_PREFIX_BASE +
			     (family == XG_FAMILY_V4 ? 32 : 128),
		.family = family,
	};
	struct xg_ipcache_val v;

	memcpy(k.addr, addr, family == XG_FAMILY_V4 ? 4 : 16);
	if (xg_ms_lookup(ms, XG_M_IPHOST, &k, &v) &&
	    xg_ms_lookup(ms, XG_M_IPCACHE, &k, &v))
		return XG_ID_WORLD;
	return v.identity;
}

int xg_policy_rev_get(struct xg_mapset *ms, __u32 *rev)
{
	struct xg_runtime rt;
	__u32 zero = 0;
	int err;

	err = xg_ms_lookup(ms, XG_M_RUNTIME, &zero, &rt);
	if (err)
		return err;
	*rev = rt.policy_rev;
	return 0;
}

int xg_policy_rev_bump(struct xg_mapset *ms, __u32 *new_rev)
{
	struct xg_runtime rt;
	__u32 zero = 0;
	int err;

	err = xg_ms_lookup(ms, XG_M_RUNTIME, &zero, &rt);
	if (err)
		return err;
	rt.policy_rev++;
	err = xg_ms_update(ms, XG_M_RUNTIME, &zero, &rt, 0);
	if (!err && new_rev)
		*new_rev = rt.policy_rev;
	return err;
}

int xg_txport_add(struct xg_mapset *ms, __u32 ifindex)
{
	return xg_ms_update(ms, XG_M_TXPORTS, &ifindex, &ifindex, 0);
}

int xg_txport_del(struct xg_mapset *ms, __u32 ifindex)
{
	return xg_ms_remove(ms, XG_M_TXPORTS, &ifindex);
}
