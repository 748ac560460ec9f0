// SPDX-License-Identifier: GPL-2.0-only
/*
 * xgate.conf: defaults, then libconfig's tree walked against one table of
 * known keys per group.  Every value is checked where it is read, so the
 * error names the key and its line; see config.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "maglev.h"

/* Cilium's smallest Maglev table: below it shares get coarse. */
#define MAGLEV_M_MIN 251u

#define OFF(f) offsetof(struct xg_conf, f)

struct ctx {
	const char *file;
	struct xg_conf *c;
	struct xg_err *err;
	bool node_set;
};

struct key;
typedef int (*key_fn)(struct ctx *x, const config_setting_t *s,
		      const char *path, const struct key *k);

struct key {
	const char *name;
	key_fn fn;
	size_t off;	    /* of the field in struct xg_conf */
	long long min, max; /* integers; strings: max is the buffer size */
	const char *unit;   /* integers: "seconds" ... */
	const char *const *words; /* enums, NULL-terminated; values 0.. */
	const int *vals;	  /* enum value of each word */
	const struct key *sub;	  /* groups */
};

__attribute__((format(printf, 4, 5))) static int fail(struct ctx *x,
						      const config_setting_t *s,
						      const char *path,
						      const char *fmt, ...)
{
	struct xg_err *e = x->err;
	va_list ap;

	if (!e)
		return -EINVAL;
	if (path && path[0])
		snprintf(e->where, sizeof(e->where), "%s: %s", x->file, path);
	else
		snprintf(e->where, sizeof(e->where), "%s", x->file);
	e->line = s ? config_setting_source_line(s) : 0;
	e->col = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *type_str(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "nothing";
}

static int bad_type(struct ctx *x, const config_setting_t *s, const char *path,
		    const char *want)
{
	return fail(x, s, path, "must be %s, not %s", want, type_str(s));
}

static void *field(struct ctx *x, const struct key *k)
{
	return (char *)x->c + k->off;
}

/* A key path holds names from the file, which may be long: cut short,
 * it still says which key. */
static void join(char *buf, size_t len, const char *path, const char *name)
{
	if (snprintf(buf, len, "%s%s%s", path, path[0] ? "." : "", name) >=
	    (int)len)
		buf[len - 1] = '\0';
}

/* ------------------------------------------------------ plain values -- */

static int get_int(struct ctx *x, const config_setting_t *s, const char *path,
		   const struct key *k, long long *v)
{
	int t = config_setting_type(s);

	*v = 0;
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return bad_type(x, s, path, "an integer");
	*v = config_setting_get_int64(s);
	if (*v < k->min || *v > k->max)
		return fail(x, s, path, "must be %lld to %lld %s, not %lld",
			    k->min, k->max, k->unit, *v);
	return 0;
}

static int key_u32(struct ctx *x, const config_setting_t *s, const char *path,
		   const struct key *k)
{
	long long v;
	int ret = get_int(x, s, path, k, &v);

	if (!ret)
		*(__u32 *)field(x, k) = (__u32)v;
	return ret;
}

static int key_int(struct ctx *x, const config_setting_t *s, const char *path,
		   const struct key *k)
{
	long long v;
	int ret = get_int(x, s, path, k, &v);

	if (!ret)
		*(int *)field(x, k) = (int)v;
	return ret;
}

static int key_bool(struct ctx *x, const config_setting_t *s, const char *path,
		    const struct key *k)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return bad_type(x, s, path, "true or false");
	*(bool *)field(x, k) = config_setting_get_bool(s);
	return 0;
}

static int get_str(struct ctx *x, const config_setting_t *s, const char *path,
		   const char **v)
{
	*v = "";
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return bad_type(x, s, path, "a string");
	*v = config_setting_get_string(s);
	return 0;
}

static int get_enum(struct ctx *x, const config_setting_t *s, const char *path,
		    const char *const *words, const int *vals, int *out)
{
	char list[128] = "";
	const char *v;
	size_t i, o = 0;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	for (i = 0; words[i]; i++) {
		if (!strcmp(v, words[i])) {
			*out = vals[i];
			return 0;
		}
		o += snprintf(list + o, sizeof(list) - o, "%s\"%s\"",
			      !i	     ? ""
			      : words[i + 1] ? ", "
					     : " or ",
			      words[i]);
		if (o >= sizeof(list))
			o = sizeof(list) - 1;
	}
	return fail(x, s, path, "must be %s, not \"%.64s\"", list, v);
}

static int key_enum(struct ctx *x, const config_setting_t *s, const char *path,
		    const struct key *k)
{
	return get_enum(x, s, path, k->words, k->vals, (int *)field(x, k));
}

/* Printable ASCII, no spaces: what a path, key or URL here may hold. */
static bool graph_only(const char *v)
{
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f)
			return false;
	return true;
}

/* An absolute path; k->max is the size of the buffer. */
static int key_path(struct ctx *x, const config_setting_t *s, const char *path,
		    const struct key *k)
{
	const char *v;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (v[0] != '/')
		return fail(x, s, path,
			    "must be an absolute path, not \"%.64s\"", v);
	if (strlen(v) >= (size_t)k->max)
		return fail(x, s, path, "longer than %lld characters",
			    k->max - 1);
	if (!graph_only(v))
		return fail(x, s, path,
			    "holds a space or a control character: \"%.64s\"",
			    v);
	memcpy(field(x, k), v, strlen(v) + 1);
	return 0;
}

/* ---------------------------------------------------------- groups -- */

/* Levenshtein distance, for "did you mean"; names here are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], i, j;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j],
			       best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int unknown(struct ctx *x, const config_setting_t *s, const char *path,
		   const char *name, const struct key *keys)
{
	const struct key *best = NULL;
	size_t d, best_d = 3; /* a typo, not another word */

	for (const struct key *k = keys; k->name; k++) {
		d = distance(name, k->name);
		if (d < best_d && d < strlen(k->name)) {
			best_d = d;
			best = k;
		}
	}
	if (best && strlen(path) >= strlen(name)) {
		char sugg[160];

		snprintf(sugg, sizeof(sugg), "%.*s%s",
			 (int)(strlen(path) - strlen(name)), path, best->name);
		return fail(x, s, path, "unknown key '%s' (did you mean '%s'?)",
			    path, sugg);
	}
	return fail(x, s, path, "unknown key '%s'", path);
}

static int walk_group(struct ctx *x, const config_setting_t *g,
		      const char *path, const struct key *keys)
{
	int n = config_setting_length(g);

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return bad_type(x, g, path, "a group { ... }");
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *name = config_setting_name(s);
		const struct key *k;
		char sub[160];
		int ret;

		join(sub, sizeof(sub), path, name);
		for (k = keys; k->name && strcmp(k->name, name); k++)
			;
		if (!k->name)
			return unknown(x, s, sub, name, keys);
		ret = k->fn(x, s, sub, k);
		if (ret)
			return ret;
	}
	return 0;
}

static int key_group(struct ctx *x, const config_setting_t *s, const char *path,
		     const struct key *k)
{
	return walk_group(x, s, path, k->sub);
}

/* ---------------------------------------------------- special keys -- */

static bool node_name_ok(const char *v)
{
	size_t len = strlen(v);

	if (!len || len > XG_CONF_NODE_MAX)
		return false;
	if (!((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z') ||
	      (v[0] >= '0' && v[0] <= '9')))
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '.' || *v == '-' ||
		      *v == '_'))
			return false;
	return true;
}

#define NODE_RULE                                                            \
	"1 to 253 letters, digits, '.', '-' or '_', starting with a letter " \
	"or digit"

/* Becomes an etcd key (nodes/<node>): no '/', nothing odd. */
static int key_node(struct ctx *x, const config_setting_t *s, const char *path,
		    const struct key *k)
{
	const char *v;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (!node_name_ok(v))
		return fail(x, s, path, "must be " NODE_RULE ", not \"%.64s\"",
			    v);
	memcpy(x->c->node, v, strlen(v) + 1);
	x->node_set = true;
	return 0;
}

/* A name under /run/netns, as `ip netns` makes them. */
static int key_netns(struct ctx *x, const config_setting_t *s, const char *path,
		     const struct key *k)
{
	const char *v;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (strlen(v) > XG_CONF_NETNS_MAX || !strcmp(v, ".") || !strcmp(v, ".."))
		goto bad;
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			goto bad;
	memcpy(x->c->netns, v, strlen(v) + 1);
	return 0;
bad:
	return fail(x, s, path,
		    "must be a network namespace name (letters, digits, '-', '_', '.'; at most %d), not \"%.64s\"",
		    XG_CONF_NETNS_MAX, v);
}

static const char *const mode_words[] = {"native", "generic", "offload", NULL};
static const int mode_vals[] = {XG_XDP_NATIVE, XG_XDP_GENERIC, XG_XDP_OFFLOAD};

static const struct key iface_keys[] = {
	{.name = "name"}, /* both read by iface_elem itself */
	{.name = "mode"},
	{.name = NULL},
};

/* What the kernel's dev_valid_name() takes, within printable ASCII. */
static bool ifname_ok(const char *v)
{
	if (!v[0] || strlen(v) > XG_CONF_IFNAME_MAX || !strcmp(v, ".") ||
	    !strcmp(v, ".."))
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || *v == '/' || *v == ':')
			return false;
	return true;
}

static int iface_name(struct ctx *x, const config_setting_t *s,
		      const char *path, unsigned int idx)
{
	struct xg_conf_iface *ifc = &x->c->ifaces[idx];
	const char *v;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (!ifname_ok(v))
		return fail(
			x, s, path,
			"\"%.64s\" is not an interface name (1 to %d characters, no spaces, '/' or ':')",
			v, XG_CONF_IFNAME_MAX);
	for (unsigned int i = 0; i < idx; i++)
		if (!strcmp(x->c->ifaces[i].name, v))
			return fail(x, s, path, "\"%s\" is listed twice", v);
	memcpy(ifc->name, v, strlen(v) + 1);
	return 0;
}

/* One interface: "gw0", or { name = "gw0"; mode = "generic"; }. */
static int iface_elem(struct ctx *x, const config_setting_t *e,
		      const char *path, unsigned int idx)
{
	struct xg_conf_iface *ifc = &x->c->ifaces[idx];
	const config_setting_t *name;
	char sub[160];
	int ret;

	ifc->mode = XG_XDP_NATIVE;
	if (config_setting_type(e) == CONFIG_TYPE_STRING)
		return iface_name(x, e, path, idx);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP)
		return bad_type(
			x, e, path,
			"a group { name = ...; mode = ...; } or a name");
	for (int i = 0; i < config_setting_length(e); i++) {
		const config_setting_t *s = config_setting_get_elem(e, i);
		const char *n = config_setting_name(s);
		int mode;

		join(sub, sizeof(sub), path, n);
		if (!strcmp(n, "name"))
			continue;
		if (strcmp(n, "mode"))
			return unknown(x, s, sub, n, iface_keys);
		ret = get_enum(x, s, sub, mode_words, mode_vals, &mode);
		if (ret)
			return ret;
		ifc->mode = (enum xg_xdp_mode)mode;
	}
	name = config_setting_get_member(e, "name");
	if (!name)
		return fail(x, e, path, "has no name");
	join(sub, sizeof(sub), path, "name");
	return iface_name(x, name, sub, idx);
}

static int key_ifaces(struct ctx *x, const config_setting_t *s,
		      const char *path, const struct key *k)
{
	int n = config_setting_length(s);

	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_setting_type(s) != CONFIG_TYPE_ARRAY)
		return bad_type(x, s, path, "a list ( { name = ...; }, ... )");
	if (n < 1 || n > XG_CONF_IFACES_MAX)
		return fail(
			x, s, path,
			"must list 1 to %d interfaces, not %d (leave the key out to attach to none)",
			XG_CONF_IFACES_MAX, n);
	for (int i = 0; i < n; i++) {
		char sub[160];
		int ret;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		ret = iface_elem(x, config_setting_get_elem(s, i), sub,
				 (unsigned int)i);
		if (ret)
			return ret;
	}
	x->c->n_ifaces = (unsigned int)n;
	return 0;
}

/* scheme://host[:port][/], host a name, an IPv4 address or [IPv6]. */
static bool url_ok(const char *v)
{
	const char *h, *p, *end;
	long port = 0;

	if (!strncmp(v, "http://", 7))
		h = v + 7;
	else if (!strncmp(v, "https://", 8))
		h = v + 8;
	else
		return false;
	if (!graph_only(h))
		return false;
	end = h + strlen(h);
	if (end > h && end[-1] == '/')
		end--;
	if (*h == '[') {
		p = memchr(h, ']', (size_t)(end - h));
		if (!p || p == h + 1)
			return false;
		p++;
	} else {
		for (p = h; p < end && *p != ':'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '.' ||
			      *p == '-' || *p == '_'))
				return false;
		if (p == h)
			return false;
	}
	if (p == end)
		return true;
	if (*p != ':' || p + 1 == end || end - p > 6)
		return false;
	for (p++; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

static int endpoint(struct ctx *x, const config_setting_t *s, const char *path,
		    unsigned int idx)
{
	const char *v;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (strlen(v) > XG_CONF_URL_MAX)
		return fail(x, s, path, "longer than %d characters",
			    XG_CONF_URL_MAX);
	if (!url_ok(v))
		return fail(
			x, s, path,
			"\"%.64s\" is not an http:// or https:// URL of the form scheme://host[:port]",
			v);
	for (unsigned int i = 0; i < idx; i++)
		if (!strcmp(x->c->kvstore.endpoints[i], v))
			return fail(x, s, path, "\"%.64s\" is listed twice", v);
	memcpy(x->c->kvstore.endpoints[idx], v, strlen(v) + 1);
	return 0;
}

/* A list of URLs, or one URL as a plain string. */
static int key_endpoints(struct ctx *x, const config_setting_t *s,
			 const char *path, const struct key *k)
{
	int n = config_setting_length(s);

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		x->c->kvstore.n_endpoints = 1;
		return endpoint(x, s, path, 0);
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return bad_type(x, s, path,
				"an array of URLs [ \"http://...\" ]");
	if (n < 1 || n > XG_CONF_ENDPOINTS_MAX)
		return fail(x, s, path, "must list 1 to %d endpoints, not %d",
			    XG_CONF_ENDPOINTS_MAX, n);
	for (int i = 0; i < n; i++) {
		char sub[160];
		int ret;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		ret = endpoint(x, config_setting_get_elem(s, i), sub,
			       (unsigned int)i);
		if (ret)
			return ret;
	}
	x->c->kvstore.n_endpoints = (unsigned int)n;
	return 0;
}

static int key_prefix(struct ctx *x, const config_setting_t *s,
		      const char *path, const struct key *k)
{
	const char *v;
	size_t len;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	len = strlen(v);
	if (!len || v[0] != '/' || v[len - 1] != '/')
		return fail(
			x, s, path,
			"must start and end with '/' (\"/xgate/v1/\"), not \"%.64s\"",
			v);
	if (len > XG_CONF_PREFIX_MAX)
		return fail(x, s, path, "longer than %d characters",
			    XG_CONF_PREFIX_MAX);
	if (!graph_only(v))
		return fail(x, s, path,
			    "holds a space or a control character: \"%.64s\"",
			    v);
	memcpy(x->c->kvstore.prefix, v, len + 1);
	return 0;
}

static const char *const kv_words[] = {"file", "etcd", NULL};
static const int kv_vals[] = {XG_KV_FILE, XG_KV_ETCD};

static const struct key kv_keys[] = {
	{.name = "type",
	 .fn = key_enum,
	 .off = OFF(kvstore.type),
	 .words = kv_words,
	 .vals = kv_vals},
	{.name = "path",
	 .fn = key_path,
	 .off = OFF(kvstore.path),
	 .max = XG_CONF_PATH_MAX + 1},
	{.name = "endpoints", .fn = key_endpoints},
	{.name = "prefix", .fn = key_prefix},
	{.name = "timeout_ms",
	 .fn = key_int,
	 .off = OFF(kvstore.timeout_ms),
	 .min = 100,
	 .max = 60000,
	 .unit = "milliseconds"},
	{.name = NULL},
};

/*
 * A key of the other type is refused rather than ignored: whoever wrote
 * endpoints under type "file" meant something that would not happen.
 */
static int key_kvstore(struct ctx *x, const config_setting_t *s,
		       const char *path, const struct key *k)
{
	static const char *const etcd_only[] = {"endpoints", "prefix",
						"timeout_ms"};
	const config_setting_t *m;
	char sub[160];
	int ret = walk_group(x, s, path, k->sub);

	if (ret)
		return ret;
	if (x->c->kvstore.type == XG_KV_FILE) {
		for (size_t i = 0; i < 3; i++) {
			m = config_setting_get_member(s, etcd_only[i]);
			if (!m)
				continue;
			join(sub, sizeof(sub), path, etcd_only[i]);
			return fail(
				x, m, sub,
				"is a setting of type \"etcd\", and type is \"file\"");
		}
	} else {
		m = config_setting_get_member(s, "path");
		if (m) {
			join(sub, sizeof(sub), path, "path");
			return fail(
				x, m, sub,
				"is a setting of type \"file\", and type is \"etcd\"");
		}
	}
	return 0;
}

static __u32 prime_below(__u32 m)
{
	while (m > 2 && !xg_maglev_is_prime(--m))
		;
	return m;
}

static __u32 prime_above(__u32 m)
{
	while (m < XG_MAGLEV_M_MAX && !xg_maglev_is_prime(++m))
		;
	return m;
}

/* Every slot sequence must visit every slot: the size must be prime. */
static int key_maglev(struct ctx *x, const config_setting_t *s,
		      const char *path, const struct key *k)
{
	long long v;
	int ret = get_int(x, s, path, k, &v);

	if (ret)
		return ret;
	if (!xg_maglev_is_prime((__u32)v)) {
		__u32 lo = prime_below((__u32)v), hi = prime_above((__u32)v);

		if (lo < MAGLEV_M_MIN)
			return fail(
				x, s, path,
				"must be a prime, and %lld is not (nearest: %u)",
				v, hi);
		if (!xg_maglev_is_prime(hi))
			return fail(
				x, s, path,
				"must be a prime, and %lld is not (nearest: %u)",
				v, lo);
		return fail(
			x, s, path,
			"must be a prime, and %lld is not (nearest: %u or %u)",
			v, lo, hi);
	}
	x->c->maps.maglev_table_size = (__u32)v;
	return 0;
}

/* AF_XDP rings hold a power of two of descriptors. */
static int key_pow2(struct ctx *x, const config_setting_t *s, const char *path,
		    const struct key *k)
{
	long long v, lo;
	int ret = get_int(x, s, path, k, &v);

	if (ret)
		return ret;
	if (v & (v - 1)) {
		/* the range's ends are powers of two: both are within it */
		for (lo = 1; lo * 2 < v; lo *= 2)
			;
		return fail(
			x, s, path,
			"must be a power of two, and %lld is not (nearest: %lld or %lld)",
			v, lo, lo * 2);
	}
	*(__u32 *)field(x, k) = (__u32)v;
	return 0;
}

/*
 * A request head is reassembled whole in its flow's stream buffer before
 * it is judged: one larger than the buffer could never be.  The error is
 * on whichever of the two keys the file sets, max_head first.
 */
static int key_fastpath(struct ctx *x, const config_setting_t *s,
			const char *path, const struct key *k)
{
	const config_setting_t *m;
	char head[160], buf[160];
	const char *at = head;
	int ret = walk_group(x, s, path, k->sub);

	if (ret)
		return ret;
	if (x->c->fastpath.max_head <= x->c->fastpath.stream_buffer)
		return 0;
	join(head, sizeof(head), path, "max_head");
	join(buf, sizeof(buf), path, "stream_buffer");
	m = config_setting_get_member(s, "max_head");
	if (!m) {
		m = config_setting_get_member(s, "stream_buffer");
		at = buf;
	}
	return fail(
		x, m, at,
		"%s (%u bytes) is larger than %s (%u bytes): a request head must fit in a flow's stream buffer",
		head, x->c->fastpath.max_head, buf,
		x->c->fastpath.stream_buffer);
}

/*
 * Metrics are served on loopback only (a project rule): the endpoint
 * has no authentication, so exposing it is a proxy's job.  Only address
 * literals, so that nothing depends on what "localhost" resolves to.
 */
static int key_metrics(struct ctx *x, const config_setting_t *s,
		       const char *path, const struct key *k)
{
	char host[sizeof(((struct xg_conf *)0)->api.metrics_host)];
	const char *v, *port;
	struct in6_addr a6;
	struct in_addr a4;
	long p = 0;
	int ret = get_str(x, s, path, &v);

	if (ret)
		return ret;
	if (!v[0]) {
		x->c->api.metrics[0] = x->c->api.metrics_host[0] = '\0';
		x->c->api.metrics_port = 0;
		return 0;
	}
	if (strlen(v) >= sizeof(x->c->api.metrics))
		goto bad;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		if (!close || close[1] != ':' ||
		    (size_t)(close - v - 1) >= sizeof(host))
			goto bad;
		memcpy(host, v + 1, (size_t)(close - v - 1));
		host[close - v - 1] = '\0';
		port = close + 2;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			goto bad;
		if (!IN6_IS_ADDR_LOOPBACK(&a6))
			goto not_loopback;
	} else {
		const char *colon = strchr(v, ':');

		if (!colon || strchr(colon + 1, ':') ||
		    (size_t)(colon - v) >= sizeof(host))
			goto bad;
		memcpy(host, v, (size_t)(colon - v));
		host[colon - v] = '\0';
		port = colon + 1;
		if (inet_pton(AF_INET, host, &a4) != 1)
			goto bad;
		if ((ntohl(a4.s_addr) >> 24) != 127)
			goto not_loopback;
	}
	if (!port[0] || strlen(port) > 5)
		goto bad;
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9')
			goto bad;
		p = p * 10 + (*c - '0');
	}
	if (p < 1 || p > 65535)
		goto bad;
	memcpy(x->c->api.metrics, v, strlen(v) + 1);
	memcpy(x->c->api.metrics_host, host, strlen(host) + 1);
	x->c->api.metrics_port = (__u16)p;
	return 0;
bad:
	return fail(
		x, s, path,
		"must be address:port (\"127.0.0.1:9966\", \"[::1]:9966\") or \"\" for none, not \"%.64s\"",
		v);
not_loopback:
	return fail(
		x, s, path,
		"\"%.64s\" is not on loopback: metrics listen on 127.0.0.0/8 or [::1] only (put a proxy in front to expose them)",
		v);
}

/* ----------------------------------------------------------- tables -- */

static const char *const fwd_words[] = {"fib", "pass", NULL};
static const int fwd_vals[] = {XG_FWD_FIB, XG_FWD_PASS};
static const char *const level_words[] = {"warn", "info", "debug", NULL};
static const int level_vals[] = {XG_LOG_WARN, XG_LOG_INFO, XG_LOG_DEBUG};

#define MAP(n, f)                                               \
	{                                                       \
		.name = n, .fn = key_u32, .off = OFF(maps.f),   \
		.min = XG_CONF_MAP_MIN, .max = XG_CONF_MAP_MAX, \
		.unit = "entries"                               \
	}
#define SECS(n, f, lo, hi)                                                   \
	{                                                                    \
		.name = n, .fn = key_u32, .off = OFF(timeouts.f), .min = lo, \
		.max = hi, .unit = "seconds"                                 \
	}

static const struct key maps_keys[] = {
	MAP("ipcache", ipcache),
	MAP("policy", policy),
	MAP("conntrack", conntrack),
	MAP("fragments", fragments),
	MAP("deny_cache", deny_cache),
	MAP("services", services),
	MAP("backends", backends),
	{.name = "maglev_table_size",
	 .fn = key_maglev,
	 .min = MAGLEV_M_MIN,
	 .max = XG_MAGLEV_M_MAX,
	 .unit = "slots"},
	{.name = "verdict_cache",
	 .fn = key_pow2,
	 .off = OFF(maps.verdict_cache),
	 .min = 0,
	 .max = XG_CONF_VCACHE_MAX,
	 .unit = "slots"},
	{.name = NULL},
};

static const struct key timeout_keys[] = {
	SECS("tcp_syn", tcp_syn, 1, 3600),
	SECS("tcp_established", tcp_established, 1, 7 * 86400),
	SECS("tcp_close", tcp_close, 1, 3600),
	SECS("other", other, 1, 7 * 86400),
	SECS("deny_cache", deny_cache, 1, 3600),
	SECS("fragments", fragments, 1, 300),
	{.name = NULL},
};

static const struct key events_keys[] = {
	{.name = "per_second",
	 .fn = key_u32,
	 .off = OFF(events.per_second),
	 .min = 0,
	 .max = 1000000,
	 .unit = "events per second"},
	{.name = "verdicts", .fn = key_bool, .off = OFF(events.verdicts)},
	{.name = NULL},
};

static const struct key api_keys[] = {
	{.name = "socket",
	 .fn = key_path,
	 .off = OFF(api.socket),
	 .max = XG_CONF_SOCKET_MAX + 1},
	{.name = "metrics", .fn = key_metrics},
	{.name = NULL},
};

#define FP(n, lo, hi, u)                                           \
	{                                                          \
		.name = #n, .fn = key_u32, .off = OFF(fastpath.n), \
		.min = lo, .max = hi, .unit = u                    \
	}

static const struct key fastpath_keys[] = {
	{.name = "enabled", .fn = key_bool, .off = OFF(fastpath.enabled)},
	FP(queues, 1, XG_CONF_FP_QUEUES_MAX, "queues"),
	{.name = "frames",
	 .fn = key_pow2,
	 .off = OFF(fastpath.frames),
	 .min = 256,
	 .max = 65536,
	 .unit = "frames"},
	{.name = "zerocopy", .fn = key_bool, .off = OFF(fastpath.zerocopy)},
	{.name = "busy_poll", .fn = key_bool, .off = OFF(fastpath.busy_poll)},
	FP(stream_buffer, 4096, 16 << 20, "bytes"),
	FP(max_head, 1024, 65536, "bytes"),
	FP(max_headers, 1, XG_CONF_FP_HEADERS_MAX, "headers"),
	FP(max_held, 16, 65536, "frames"),
	FP(idle_timeout, 1, 86400, "seconds"),
	{.name = NULL},
};

static const struct key log_keys[] = {
	{.name = "level",
	 .fn = key_enum,
	 .off = OFF(log.level),
	 .words = level_words,
	 .vals = level_vals},
	{.name = NULL},
};

static const struct key root_keys[] = {
	{.name = "node", .fn = key_node},
	{.name = "interfaces", .fn = key_ifaces},
	{.name = "netns", .fn = key_netns},
	{.name = "forward",
	 .fn = key_enum,
	 .off = OFF(forward),
	 .words = fwd_words,
	 .vals = fwd_vals},
	{.name = "pin_root",
	 .fn = key_path,
	 .off = OFF(pin_root),
	 .max = XG_CONF_PATH_MAX + 1},
	{.name = "state_dir",
	 .fn = key_path,
	 .off = OFF(state_dir),
	 .max = XG_CONF_PATH_MAX + 1},
	{.name = "kvstore", .fn = key_kvstore, .sub = kv_keys},
	{.name = "maps", .fn = key_group, .sub = maps_keys},
	{.name = "timeouts", .fn = key_group, .sub = timeout_keys},
	{.name = "events", .fn = key_group, .sub = events_keys},
	{.name = "api", .fn = key_group, .sub = api_keys},
	{.name = "fastpath", .fn = key_fastpath, .sub = fastpath_keys},
	{.name = "log", .fn = key_group, .sub = log_keys},
	{.name = NULL},
};

/* ---------------------------------------------------------- loading -- */

static int file_fail(struct ctx *x, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int file_fail(struct ctx *x, int line, const char *fmt, ...)
{
	va_list ap;

	if (!x->err)
		return -EINVAL;
	snprintf(x->err->where, sizeof(x->err->where), "%s", x->file);
	x->err->line = line;
	x->err->col = 0;
	va_start(ap, fmt);
	vsnprintf(x->err->msg, sizeof(x->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned int xdigit_val(char c)
{
	return is_digit(c) ? (unsigned int)(c - '0')
			   : (unsigned int)((c | 0x20) - 'a' + 10);
}

/*
 * What libconfig lets through that a config checked whole must not.
 * Version 1.5 reads an integer literal with atoi(), so 4294967297 becomes
 * 1 and passes every range check; @include reads another file (from
 * xg_conf_load_string too); and a comment left open hides the rest of
 * the file, whose keys then silently take their defaults.  A string left
 * open is caught here too, to name the line it starts on.  All are found
 * here, before libconfig runs, by lexing the text as its scanner does:
 * strings, comments, names, numbers.
 */
static int prescan(struct ctx *x, const char *p)
{
	int line = 1;

	while (*p) {
		const char *start = p;

		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '"') {
			int open = line;

			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				else if (*p == '\n')
					line++;
			}
			/* libconfig would say "syntax error" at the end of the
			 * file (and, in 1.5, leak the string) */
			if (!*p)
				return file_fail(
					x, open,
					"string opened here is never closed (\")");
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			int open = line;

			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			/* libconfig takes the rest of the file as comment */
			if (!*p)
				return file_fail(
					x, open,
					"comment opened here is never closed (*/)");
			p += 2;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (*p == '@') {
			if (!strncmp(p, "@include", 8))
				return file_fail(
					x, line,
					"@include is not supported: keep the configuration in one file");
			p++;
		} else if (*p == '.' && is_digit(p[1])) {
			/* a float (.5e3): its digits are no integer */
			while (is_digit(*p) || *p == '.' || *p == 'e' ||
			       *p == 'E' ||
			       ((*p == '+' || *p == '-') &&
				(p[-1] == 'e' || p[-1] == 'E')))
				p++;
		} else if (is_name_start(*p)) {
			while (is_name_char(*p))
				p++;
		} else if (is_digit(*p) ||
			   ((*p == '-' || *p == '+') && is_digit(p[1]))) {
			unsigned long long v = 0, lim;
			bool big = false, digits = false, neg = *p == '-';

			if (*p == '-' || *p == '+')
				p++;
			if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
			    is_xdigit(p[2])) {
				/* strtoul, then cast to int */
				for (p += 2; is_xdigit(*p); p++) {
					v = v * 16 + xdigit_val(*p);
					big |= v > INT_MAX;
				}
			} else {
				lim = neg ? (unsigned long long)INT_MAX + 1
					  : INT_MAX;
				for (; is_digit(*p); p++) {
					v = v * 10 + (unsigned)(*p - '0');
					big |= v > lim;
					digits = true;
				}
				if (digits &&
				    (*p == '.' || *p == 'e' || *p == 'E'))
					big = false; /* a float */
			}
			/* 64-bit literals (1L) are read right */
			if (*p == 'L')
				big = false;
			while (is_name_char(*p) || *p == '.' ||
			       ((*p == '+' || *p == '-') &&
				(p[-1] == 'e' || p[-1] == 'E')))
				p++;
			if (big)
				return file_fail(
					x, line,
					"integer %.*s is out of range for any setting",
					(int)(p - start > 40 ? 40 : p - start),
					start);
		} else {
			p++;
		}
	}
	return 0;
}

static int check_node(struct ctx *x)
{
	if (x->node_set || node_name_ok(x->c->node))
		return 0;
	return fail(
		x, NULL, "node",
		"not set, and the hostname \"%.64s\" is not a node name (" NODE_RULE
		"): set node",
		x->c->node);
}

static int load(struct ctx *x, const char *text)
{
	config_t cfg;
	int ret;

	xg_conf_default(x->c);
	ret = prescan(x, text);
	if (ret)
		return ret;
	config_init(&cfg);
	if (!config_read_string(&cfg, text)) {
		ret = file_fail(x, config_error_line(&cfg), "%s",
				config_error_text(&cfg));
		goto out;
	}
	ret = walk_group(x, config_root_setting(&cfg), "", root_keys);
	if (!ret)
		ret = check_node(x);
out:
	config_destroy(&cfg);
	return ret;
}

int xg_conf_load_string(const char *name, const char *text, struct xg_conf *c,
			struct xg_err *err)
{
	struct ctx x = {.file = name ? name : "<config>", .c = c, .err = err};

	return load(&x, text);
}

int xg_conf_load_file(const char *path, struct xg_conf *c, struct xg_err *err)
{
	struct ctx x = {.file = path, .c = c, .err = err};
	char *text = NULL;
	struct stat st;
	size_t got = 0;
	int fd, ret;

	xg_conf_default(c);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		file_fail(&x, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		file_fail(&x, 0, "cannot stat: %s", strerror(-ret));
		goto out;
	}
	/* A FIFO or a device would block or never end. */
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		file_fail(&x, 0, "not a regular file");
		goto out;
	}
	if (st.st_size > XG_CONF_FILE_MAX) {
		ret = -EFBIG;
		file_fail(&x, 0, "larger than %u bytes", XG_CONF_FILE_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		file_fail(&x, 0, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			file_fail(&x, 0, "cannot read: %s", strerror(-ret));
			goto out;
		}
		if (!n)
			break; /* shrank under us: parse what is there */
		got += (size_t)n;
	}
	text[got] = '\0';
	/* libconfig would stop at a NUL and ignore the rest of the file. */
	if (strlen(text) != got) {
		int line = 1;

		for (const char *q = text; *q; q++)
			line += *q == '\n';
		ret = file_fail(&x, line, "holds a NUL byte");
		goto out;
	}
	ret = load(&x, text);
out:
	free(text);
	close(fd);
	return ret;
}

void xg_conf_default(struct xg_conf *c)
{
	struct xg_config def = XG_CONFIG_DEFAULT;

	memset(c, 0, sizeof(*c));
	if (gethostname(c->node, sizeof(c->node)))
		c->node[0] = '\0';
	c->node[sizeof(c->node) - 1] = '\0';
	c->forward = (enum xg_fwd_mode)def.fwd_mode;
	snprintf(c->pin_root, sizeof(c->pin_root), "%s", XG_PIN_ROOT_DEFAULT);
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/xgate");

	c->kvstore.type = XG_KV_FILE;
	snprintf(c->kvstore.path, sizeof(c->kvstore.path),
		 "/etc/xgate/policies");
	snprintf(c->kvstore.endpoints[0], sizeof(c->kvstore.endpoints[0]),
		 "http://127.0.0.1:2379");
	c->kvstore.n_endpoints = 1;
	snprintf(c->kvstore.prefix, sizeof(c->kvstore.prefix), "/xgate/v1/");
	c->kvstore.timeout_ms = 2000;

	/* The datapath's own defaults, so a missing key changes nothing. */
	c->maps.ipcache = XG_IPCACHE_MAX;
	c->maps.policy = XG_POLICY_MAX;
	c->maps.conntrack = XG_CT_MAX;
	c->maps.fragments = XG_FRAG_MAX;
	c->maps.deny_cache = XG_DENYCACHE_MAX;
	c->maps.services = XG_SVC_MAX;
	c->maps.backends = XG_BACKENDS_MAX;
	c->maps.maglev_table_size = XG_MAGLEV_M;
	c->maps.verdict_cache = def.vcache_slots;

	c->timeouts.tcp_syn = def.ct_tcp_syn_s;
	c->timeouts.tcp_established = def.ct_tcp_est_s;
	c->timeouts.tcp_close = def.ct_tcp_close_s;
	c->timeouts.other = def.ct_other_s;
	c->timeouts.deny_cache = def.deny_cache_s;
	c->timeouts.fragments = def.frag_s;

	c->events.per_second = def.events_per_sec;
	c->events.verdicts = def.verdict_events;

	snprintf(c->api.socket, sizeof(c->api.socket), "/run/xgate/xgate.sock");
	snprintf(c->api.metrics, sizeof(c->api.metrics), "127.0.0.1:9966");
	snprintf(c->api.metrics_host, sizeof(c->api.metrics_host), "127.0.0.1");
	c->api.metrics_port = 9966;

	/* fastpath/engine/engine.h's XG_FP_LIMITS_DEFAULT */
	c->fastpath.enabled = true;
	c->fastpath.queues = 1;
	c->fastpath.frames = 4096;
	c->fastpath.zerocopy = true;
	c->fastpath.busy_poll = false;
	c->fastpath.stream_buffer = 65536;
	c->fastpath.max_head = 8192;
	c->fastpath.max_headers = XG_CONF_FP_HEADERS_MAX;
	c->fastpath.max_held = 1024;
	c->fastpath.idle_timeout = 300;

	c->log.level = XG_LOG_INFO;
}

void xg_conf_free(struct xg_conf *c)
{
	/* Every field is fixed-size today; kept so callers need not change
	 * when one is not. */
	(void)c;
}

void xg_conf_to_loader_opts(const struct xg_conf *c, struct xg_loader_opts *o)
{
	struct xg_config def = XG_CONFIG_DEFAULT;

	/* Not xg_loader_opts_default(): that would tie the config to the
	 * loader's object and its skeleton. */
	memset(o, 0, sizeof(*o));
	o->pin_root = c->pin_root;
	o->ipcache_max = c->maps.ipcache;
	o->policy_max = c->maps.policy;
	o->ct_max = c->maps.conntrack;
	o->denycache_max = c->maps.deny_cache;
	o->frag_max = c->maps.fragments;
	o->svc_max = c->maps.services;
	o->backends_max = c->maps.backends;
	o->cfg = def;
	o->cfg.fwd_mode = c->forward;
	o->cfg.events_per_sec = c->events.per_second;
	o->cfg.verdict_events = c->events.verdicts;
	o->cfg.ct_tcp_syn_s = c->timeouts.tcp_syn;
	o->cfg.ct_tcp_est_s = c->timeouts.tcp_established;
	o->cfg.ct_tcp_close_s = c->timeouts.tcp_close;
	o->cfg.ct_other_s = c->timeouts.other;
	o->cfg.deny_cache_s = c->timeouts.deny_cache;
	o->cfg.frag_s = c->timeouts.fragments;
	o->cfg.maglev_m = c->maps.maglev_table_size;
	o->cfg.vcache_slots = c->maps.verdict_cache;
}

const char *xg_kv_type_str(enum xg_kv_type t)
{
	return t == XG_KV_ETCD ? "etcd" : "file";
}
