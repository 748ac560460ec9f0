// SPDX-License-Identifier: GPL-2.0-only
/* The local API's commands and the metrics page; see api_cmds.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_cmds.h"
#include "api_l7.h"
#include "api_l7.h"
#include "ctrl/entries.h"
#include "ctrl/log.h"
#include "ctrl/policy/explain.h"

static const char *const drop_name[] = {
#define X(name, text) [XG_DROP_##name] = #name,
	XG_DROP_REASONS(X)
#undef X
};
static const char *const verdict_name[] = {
#define X(name, text) [XG_VERDICT_##name] = #name,
	XG_VERDICTS(X)
#undef X
};

struct json_object *xgd_api_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static const char *str_arg(struct json_object *req, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static const char *addr_str(__u8 family, const __u8 *a, char *buf, size_t len)
{
	return inet_ntop(family == XG_FAMILY_V4 ? AF_INET : AF_INET6, a, buf,
			 (socklen_t)len);
}

static size_t map_count(struct xgd *d, enum xg_map_id m);

static int64_t jint_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

/* ------------------------------------------------------------- status -- */

static int node_cb(const struct xg_etcd_kv *kv, void *arg)
{
	struct json_object *a = arg, *n = json_tokener_parse(kv->val);

	if (n && json_object_is_type(n, json_type_object))
		json_object_array_add(a, n);
	else
		json_object_put(n);
	return 0;
}

/* With etcd: every node's report (nodes/<node>, on its lease) and
 * whether it has applied the revision this node has. */
static struct json_object *fleet(struct xgd *d, int64_t mine)
{
	struct json_object *a = json_object_new_array(), *f;
	char prefix[256];
	size_t conv = 0, n;

	snprintf(prefix, sizeof(prefix), "%snodes/", d->conf.kvstore.prefix);
	xg_etcd_range_prefix(d->etcd, prefix, node_cb, a, NULL, NULL);
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v;

		if (json_object_object_get_ex(json_object_array_get_idx(a, i),
					      "revision", &v) &&
		    json_object_get_int64(v) >= mine)
			conv++;
	}
	f = json_object_new_object();
	add_int(f, "nodes_reporting", (int64_t)n);
	add_int(f, "nodes_converged", (int64_t)conv);
	json_object_object_add(f, "nodes", a);
	return f;
}

static struct json_object *cmd_status(struct xgd *d)
{
	struct json_object *o = ok(), *kv = json_object_new_object(),
			   *maps = json_object_new_object(),
			   *errs = json_object_new_array();
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_rwlock_rdlock(&d->lock);
	add_str(o, "node", d->conf.node);
	add_int(o, "uptime_s", now.tv_sec - d->st.started.tv_sec);
	add_str(kv, "type", xg_kv_type_str(d->conf.kvstore.type));
	add_str(kv, "where", d->conf.kvstore.type == XG_KV_FILE ?
				     d->conf.kvstore.path :
				     d->conf.kvstore.endpoints[0]);
	json_object_object_add(kv, "healthy", json_object_new_boolean(d->st.store_up));
	add_str(kv, "detail", d->st.store_detail);
	add_int(kv, "revision", d->st.store_rev);
	json_object_object_add(o, "kvstore", kv);
	add_int(o, "policy_revision", d->st.policy_rev);
	add_int(o, "applies", (int64_t)d->st.applies);
	json_object_object_add(o, "last_apply_ms",
			       json_object_new_double(d->st.last_apply_ms));
	json_object_object_add(o, "last_compile_ms",
			       json_object_new_double(d->st.last_compile_ms));
	json_object_object_add(o, "last_sync_latency_ms",
			       json_object_new_double(d->st.last_sync_latency_ms));
	add_str(o, "compile_error", d->st.compile_error);
	add_int(maps, "ipcache", (int64_t)d->compiled.n_ipc);
	add_int(maps, "ipcache_max", d->conf.maps.ipcache);
	add_int(maps, "policy", (int64_t)d->compiled.policy.n);
	add_int(maps, "policy_max", d->conf.maps.policy);
	add_int(maps, "services", (int64_t)d->compiled.n_svcs);
	add_int(o, "identities", (int64_t)d->compiled.n_idents);
	add_int(o, "rules", (int64_t)d->compiled.n_rules);
	for (size_t i = 0; i < d->n_errs; i++) {
		struct json_object *e = json_object_new_object();

		add_str(e, "key", d->err_keys[i]);
		add_str(e, "error", d->err_msgs[i]);
		json_object_array_add(errs, e);
	}
	pthread_rwlock_unlock(&d->lock);
	add_int(maps, "conntrack", (int64_t)map_count(d, XG_M_CT));
	add_int(maps, "conntrack_max", d->conf.maps.conntrack);
	json_object_object_add(o, "maps", maps);
	json_object_object_add(o, "errors", errs);
	if (d->etcd)
		json_object_object_add(o, "fleet",
				       fleet(d, jint_of(kv, "revision")));
	return o;
}

/* ------------------------------------------------------------ listings -- */

static struct json_object *cmd_identities(struct xgd *d)
{
	struct json_object *o = ok(), *a = json_object_new_array();

	pthread_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < d->compiled.n_idents; i++) {
		struct json_object *e = json_object_new_object();

		add_int(e, "id", d->compiled.idents[i].id);
		add_str(e, "labels", d->compiled.idents[i].labels);
		json_object_array_add(a, e);
	}
	pthread_rwlock_unlock(&d->lock);
	json_object_object_add(o, "identities", a);
	return o;
}

static const char *ident_labels(const struct xg_compiled *c, __u32 id)
{
	for (size_t i = 0; i < c->n_idents; i++)
		if (c->idents[i].id == id)
			return c->idents[i].labels;
	return "";
}

static struct json_object *cmd_endpoints(struct xgd *d)
{
	struct json_object *o = ok(), *a = json_object_new_array();
	char buf[64];

	pthread_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < d->compiled.n_ipc; i++) {
		const struct xg_ipc_entry *e = &d->compiled.ipc[i];
		struct json_object *j = json_object_new_object();

		add_str(j, "prefix", xg_prefix_str(&e->pfx, buf, sizeof(buf)));
		add_int(j, "identity", e->id);
		add_str(j, "labels", ident_labels(&d->compiled, e->id));
		json_object_array_add(a, j);
	}
	pthread_rwlock_unlock(&d->lock);
	json_object_object_add(o, "endpoints", a);
	return o;
}

static struct json_object *cmd_services(struct xgd *d)
{
	struct json_object *o = ok(), *a = json_object_new_array();
	char buf[64];

	pthread_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < d->compiled.n_svcs; i++) {
		const struct xg_service_spec *s = &d->compiled.svcs[i];
		struct json_object *j = json_object_new_object(),
				   *bs = json_object_new_array();

		add_str(j, "name", s->name);
		add_str(j, "vip", addr_str(s->key.family, s->key.addr, buf, sizeof(buf)));
		add_int(j, "port", ntohs(s->key.port));
		add_str(j, "protocol", s->key.proto == 17 ? "udp" : "tcp");
		add_int(j, "affinity_s", s->affinity_s);
		for (size_t k = 0; k < s->n; k++) {
			struct json_object *b = json_object_new_object();

			add_str(b, "address", addr_str(s->b[k].family, s->b[k].addr,
						       buf, sizeof(buf)));
			add_int(b, "port", ntohs(s->b[k].port));
			add_int(b, "weight", s->b[k].weight);
			add_str(b, "state", s->b[k].state == XG_BE_ACTIVE ?
						    "active" : "terminating");
			json_object_array_add(bs, b);
		}
		json_object_object_add(j, "backends", bs);
		json_object_array_add(a, j);
	}
	pthread_rwlock_unlock(&d->lock);
	json_object_object_add(o, "services", a);
	return o;
}

static struct json_object *origin_json(const struct xg_compiled *c, __u32 cookie)
{
	struct json_object *j = json_object_new_object();
	const struct xg_rule_origin *r;

	r = xg_compiled_origin(c, cookie);
	if (!r)
		return j;
	add_str(j, "policy", r->policy);
	add_str(j, "file", r->file);
	add_str(j, "section", r->section);
	add_int(j, "rule", r->rule);
	add_int(j, "item", r->item);
	add_int(j, "line", r->line);
	return j;
}

struct origin_at {
	const struct xg_rule_origin *r;
	size_t i; /* its cookie - 1 */
};

/* By (policy, file), then by cookie. */
static int origin_at_cmp(const void *a, const void *b)
{
	const struct origin_at *x = a, *y = b;
	int c = strcmp(x->r->policy, y->r->policy);

	c = c ?: strcmp(x->r->file, y->r->file);
	return c ?: (x->i > y->i) - (x->i < y->i);
}

/* Each (policy, file) that has rules, once, in the order of its first
 * rule.  Sorted rather than compared each with each: 10,000 policies
 * have 20,000 origins, and the control thread waits for this lock.
 * Returns 0 or -ENOMEM. */
static int list_policies(const struct xg_compiled *c, struct json_object *a)
{
	size_t n = c->n_origins;
	struct origin_at *p = malloc((n + 1) * sizeof(*p));
	bool *first = calloc(n + 1, sizeof(*first));
	int ret = -ENOMEM;

	if (!p || !first)
		goto out;
	for (size_t i = 0; i < n; i++)
		p[i] = (struct origin_at){ xg_compiled_origin(c, (__u32)i + 1), i };
	qsort(p, n, sizeof(*p), origin_at_cmp);
	for (size_t i = 0; i < n; i++)
		first[p[i].i] = !i || strcmp(p[i].r->policy, p[i - 1].r->policy) ||
				strcmp(p[i].r->file, p[i - 1].r->file);
	for (size_t i = 0; i < n; i++) {
		const struct xg_rule_origin *r = xg_compiled_origin(c, (__u32)i + 1);
		struct json_object *j;

		if (!first[i])
			continue;
		j = json_object_new_object();
		add_str(j, "policy", r->policy);
		add_str(j, "key", r->file);
		json_object_array_add(a, j);
	}
	ret = 0;
out:
	free(p);
	free(first);
	return ret;
}

static struct json_object *cmd_policies(struct xgd *d)
{
	struct json_object *o = ok(), *a = json_object_new_array(),
			   *errs = json_object_new_array();

	pthread_rwlock_rdlock(&d->lock);
	if (list_policies(&d->compiled, a)) {
		pthread_rwlock_unlock(&d->lock);
		json_object_put(o);
		json_object_put(a);
		json_object_put(errs);
		return xgd_api_error("policy list: out of memory");
	}
	for (size_t i = 0; i < d->n_errs; i++) {
		struct json_object *e = json_object_new_object();

		add_str(e, "key", d->err_keys[i]);
		add_str(e, "error", d->err_msgs[i]);
		json_object_array_add(errs, e);
	}
	pthread_rwlock_unlock(&d->lock);
	json_object_object_add(o, "policies", a);
	json_object_object_add(o, "errors", errs);
	return o;
}

/* ------------------------------------------------------------- explain -- */

static int parse_proto(const char *s, __u8 *p)
{
	static const struct {
		const char *n;
		__u8 v;
	} t[] = { { "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 },
		  { "icmpv6", 58 } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcasecmp(s, t[i].n)) {
			*p = t[i].v;
			return 0;
		}
	return -EINVAL;
}

static struct json_object *dir_json(const struct xg_compiled *c,
				    const struct xg_explain_dir *x)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "enforced", json_object_new_boolean(x->enforced));
	json_object_object_add(j, "allowed", json_object_new_boolean(x->allowed));
	if (!x->allowed)
		add_str(j, "reason", drop_name[x->reason]);
	if (x->cookie)
		json_object_object_add(j, "rule", origin_json(c, x->cookie));
	if (x->l7_ruleset)
		add_int(j, "l7_ruleset", x->l7_ruleset);
	return j;
}

static struct json_object *cmd_explain(struct xgd *d, struct json_object *req)
{
	const char *src = str_arg(req, "src"), *dst = str_arg(req, "dst"),
		   *proto = str_arg(req, "proto"), *port = str_arg(req, "port");
	__u8 sa[16] = {}, da[16] = {}, p;
	struct xg_explain ex;
	struct json_object *o;
	int af, pv;
	char *end;

	if (!src || !dst || !proto || !port)
		return xgd_api_error("explain needs src, dst, proto and port");
	af = strchr(src, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, src, sa) != 1 || inet_pton(af, dst, da) != 1)
		return xgd_api_error("src and dst must be addresses of one family");
	if (parse_proto(proto, &p))
		return xgd_api_error("protocol '%s': tcp, udp, sctp, icmp or icmpv6",
				     proto);
	pv = (int)strtol(port, &end, 10);
	if (*end || pv < 0 || pv > 65535)
		return xgd_api_error("port '%s': 0-65535 (ICMP: the type)", port);
	if (af == AF_INET6 && p == 1)
		p = 58;
	pthread_rwlock_rdlock(&d->lock);
	xg_explain_flow(&d->compiled, af == AF_INET ? XG_FAMILY_V4 : XG_FAMILY_V6,
			sa, da, p, (__u16)pv, &ex);
	o = ok();
	json_object_object_add(o, "verdict",
			       json_object_new_string(!ex.allowed ? "drop" :
						      ex.l7_ruleset ? "l7" : "allow"));
	if (!ex.allowed)
		add_str(o, "reason", drop_name[ex.reason]);
	add_int(o, "src_identity", ex.src_id);
	add_str(o, "src_labels", ident_labels(&d->compiled, ex.src_id));
	add_int(o, "dst_identity", ex.dst_id);
	add_str(o, "dst_labels", ident_labels(&d->compiled, ex.dst_id));
	json_object_object_add(o, "egress", dir_json(&d->compiled, &ex.egress));
	json_object_object_add(o, "ingress", dir_json(&d->compiled, &ex.ingress));
	if (ex.cookie)
		json_object_object_add(o, "rule", origin_json(&d->compiled, ex.cookie));
	pthread_rwlock_unlock(&d->lock);
	return o;
}

/* ----------------------------------------------- validate, apply, delete -- */

/* Identities for a dry run: known ones by their number, new ones get
 * placeholders, so validating allocates nothing. */
struct dry_ids {
	struct xgd *d;
	char **keys;
	size_t n;
};

struct walk_find {
	const char *labels;
	__u32 id;
};

static int find_cb(__u32 id, const char *labels, void *arg)
{
	struct walk_find *w = arg;

	if (strcmp(labels, w->labels))
		return 0;
	w->id = id;
	return 1;
}

static int dry_id(void *arg, const char *labels, __u32 *id, struct xg_err *err)
{
	struct dry_ids *s = arg;
	struct walk_find w = { .labels = labels };
	char **nk;

	xg_id_walk(s->d->ids, find_cb, &w);
	if (w.id) {
		*id = w.id;
		return 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->keys[i], labels)) {
			*id = XG_ID_CIDR_BASE - 1 - (__u32)i;
			return 0;
		}
	nk = realloc(s->keys, (s->n + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	s->keys = nk;
	s->keys[s->n] = strdup(labels);
	*id = XG_ID_CIDR_BASE - 1 - (__u32)s->n++;
	return 0;
}

static const char *key_arg(struct json_object *req)
{
	const char *k = str_arg(req, "key");

	return k && *k ? k : "stdin.yaml";
}

static struct json_object *cmd_validate(struct xgd *d, struct json_object *req)
{
	const char *text = str_arg(req, "text"), *key = key_arg(req);
	struct xg_compile_src *src = NULL, *all;
	struct xg_doc_set set = {};
	struct xg_compiled c = {};
	struct dry_ids ids = { .d = d };
	struct xg_err err = {};
	struct json_object *o, *rules;
	size_t n = 0, k = 0;
	char msg[512];
	int ret;

	if (!text)
		return xgd_api_error("validate needs text");
	if (xg_doc_parse_buf(key, text, strlen(text), &set, &err))
		return xgd_api_error("%s", xg_err_str(&err, msg, sizeof(msg)));
	pthread_mutex_lock(&d->docs_mu);
	ret = xg_docstore_sources(&d->docs, &src, &n);
	all = ret ? NULL : calloc(n + 1, sizeof(*all));
	if (all) {
		/* the candidate replaces the key's current version */
		for (size_t i = 0; i < n; i++)
			if (strcmp(src[i].name, key))
				all[k++] = src[i];
		all[k].name = key;
		all[k].set = &set;
		k++;
		ret = xg_compile(all, k, dry_id, &ids, &c, &err);
	} else {
		ret = -ENOMEM;
	}
	pthread_mutex_unlock(&d->docs_mu);
	free(src);
	free(all);
	if (ret) {
		o = xgd_api_error("%s", err.msg[0] ? xg_err_str(&err, msg, sizeof(msg)) :
						   strerror(-ret));
		goto out;
	}
	o = ok();
	rules = json_object_new_array();
	for (size_t i = 0; i < c.n_rules; i++) {
		const struct xg_rule *r = &c.rules[i];
		const struct xg_rule_origin *from = xg_compiled_origin(&c, r->cookie);
		struct json_object *j;

		if (!from || strcmp(from->file, key))
			continue;
		j = json_object_new_object();
		add_str(j, "policy", from->policy);
		add_str(j, "section", from->section);
		add_int(j, "subject", r->subject);
		add_str(j, "subject_labels", ident_labels(&c, r->subject));
		add_int(j, "peer", r->peer);
		add_int(j, "protocol", r->proto);
		add_int(j, "port_lo", r->port_lo);
		add_int(j, "port_hi", r->port_hi);
		add_str(j, "action", r->action == XG_ACT_DENY ? "deny" : "allow");
		if (r->l7_ruleset)
			add_int(j, "l7_ruleset", r->l7_ruleset);
		json_object_array_add(rules, j);
	}
	json_object_object_add(o, "rules", rules);
	add_int(o, "policy_entries", (int64_t)c.policy.n);
	add_int(o, "documents", set.n_docs);
out:
	xg_compiled_free(&c);
	xg_doc_set_free(&set);
	for (size_t i = 0; i < ids.n; i++)
		free(ids.keys[i]);
	free(ids.keys);
	return o;
}

/* A store key from a client: relative, no "..", a document name. */
static bool key_ok(const char *k)
{
	size_t n = strlen(k);

	if (!n || n > 200 || k[0] == '/' || strstr(k, "..") || strstr(k, "//"))
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-_./", *p)))
			return false;
	return (n > 5 && !strcmp(k + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(k + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(k + n - 5, ".json"));
}

static int write_file_atomic(const char *dir, const char *key, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], sub[PATH_MAX], *slash;
	size_t len = strlen(text);
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	snprintf(sub, sizeof(sub), "%s", path);
	slash = strrchr(sub, '/');
	if (slash) {
		*slash = '\0';
		mkdir(sub, 0755);
	}
	/* a dot name: the watcher ignores it until the rename */
	snprintf(tmp, sizeof(tmp), "%s/.xgate-%d.tmp", sub, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		ret = -errno ?: -EIO;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static struct json_object *cmd_apply(struct xgd *d, struct json_object *req)
{
	const char *text = str_arg(req, "text"), *key = str_arg(req, "key");
	struct xg_doc_set set = {};
	struct xg_err err = {};
	char msg[512], ek[512];
	int ret;

	if (!text || !key || !key_ok(key))
		return xgd_api_error("apply needs text and a key like policies/web.yaml");
	/* refuse here what the store would refuse: the caller hears why */
	if (xg_doc_parse_buf(key, text, strlen(text), &set, &err))
		return xgd_api_error("%s", xg_err_str(&err, msg, sizeof(msg)));
	xg_doc_set_free(&set);
	if (d->conf.kvstore.type == XG_KV_FILE) {
		ret = write_file_atomic(d->conf.kvstore.path, key, text);
	} else {
		snprintf(ek, sizeof(ek), "%s%s", d->conf.kvstore.prefix, key);
		ret = xg_etcd_put(d->etcd, ek, text, strlen(text), 0, NULL, &err);
	}
	if (ret)
		return xgd_api_error("%s: %s", key, err.msg[0] ? err.msg : strerror(-ret));
	return ok();
}

static struct json_object *cmd_delete(struct xgd *d, struct json_object *req)
{
	const char *key = str_arg(req, "key");
	struct xg_err err = {};
	char path[PATH_MAX];
	int ret;

	if (!key || !key_ok(key))
		return xgd_api_error("delete needs a key like policies/web.yaml");
	if (d->conf.kvstore.type == XG_KV_FILE) {
		snprintf(path, sizeof(path), "%s/%s", d->conf.kvstore.path, key);
		ret = unlink(path) ? -errno : 0;
	} else {
		snprintf(path, sizeof(path), "%s%s", d->conf.kvstore.prefix, key);
		ret = xg_etcd_delete(d->etcd, path, false, NULL, &err);
	}
	if (ret)
		return xgd_api_error("%s: %s", key, strerror(-ret));
	return ok();
}

static struct json_object *cmd_get(struct xgd *d, struct json_object *req)
{
	const char *key = str_arg(req, "key");
	struct json_object *o;
	char *text = NULL;

	if (!key)
		return xgd_api_error("get needs a key");
	pthread_mutex_lock(&d->docs_mu);
	for (size_t i = 0; i < d->docs.n; i++)
		if (!strcmp(d->docs.v[i].key, key) && d->docs.v[i].text)
			text = strdup(d->docs.v[i].text);
	pthread_mutex_unlock(&d->docs_mu);
	if (!text)
		return xgd_api_error("%s: no such document enforced", key);
	o = ok();
	add_str(o, "text", text);
	free(text);
	return o;
}

/* Every rule cookie and what it stands for (xgatectl monitor names the
 * rule behind an event with it). */
static struct json_object *cmd_origins(struct xgd *d)
{
	struct json_object *o = ok(), *a = json_object_new_array();

	pthread_rwlock_rdlock(&d->lock);
	for (size_t i = 0; i < d->compiled.n_origins; i++) {
		struct json_object *j = origin_json(&d->compiled, (__u32)i + 1);

		add_int(j, "cookie", (int64_t)i + 1);
		json_object_array_add(a, j);
	}
	add_int(o, "policy_revision", d->st.policy_rev);
	pthread_rwlock_unlock(&d->lock);
	json_object_object_add(o, "origins", a);
	return o;
}

struct json_object *xgd_api_dispatch(struct xgd *d, struct json_object *req)
{
	const char *cmd = str_arg(req, "cmd");

	if (!cmd)
		return xgd_api_error("no cmd");
	if (!strcmp(cmd, "status"))
		return cmd_status(d);
	if (!strcmp(cmd, "identities"))
		return cmd_identities(d);
	if (!strcmp(cmd, "endpoints"))
		return cmd_endpoints(d);
	if (!strcmp(cmd, "services"))
		return cmd_services(d);
	if (!strcmp(cmd, "policies"))
		return cmd_policies(d);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(d, req);
	if (!strcmp(cmd, "validate"))
		return cmd_validate(d, req);
	if (!strcmp(cmd, "apply"))
		return cmd_apply(d, req);
	if (!strcmp(cmd, "delete"))
		return cmd_delete(d, req);
	if (!strcmp(cmd, "get"))
		return cmd_get(d, req);
	if (!strcmp(cmd, "origins"))
		return cmd_origins(d);
	if (!strcmp(cmd, "l7"))
		return xgd_api_l7(d, req);
	return xgd_api_error("unknown cmd '%s'", cmd);
}

/* ------------------------------------------------------------- metrics -- */

static int count_cb(const void *k, const void *v, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

static size_t map_count(struct xgd *d, enum xg_map_id m)
{
	/* conntrack is big: walked at most every 10 s */
	static size_t cached;
	static time_t at;
	size_t n = 0;

	if (m == XG_M_CT && at && time(NULL) - at < 10)
		return cached;
	xg_ms_walk(d->ms, m, count_cb, &n);
	if (m == XG_M_CT) {
		cached = n;
		at = time(NULL);
	}
	return n;
}

void xgd_metrics_write(struct xgd *d, FILE *f)
{
	fprintf(f, "# HELP xgate_drops_total Packets dropped, by reason.\n"
		   "# TYPE xgate_drops_total counter\n");
	for (__u32 i = 1; i < XG_DROP__MAX; i++) {
		struct xg_counter c = {};

		xg_ms_lookup(d->ms, XG_M_DROPS, &i, &c);
		fprintf(f, "xgate_drops_total{reason=\"%s\"} %llu\n", drop_name[i],
			(unsigned long long)c.packets);
	}
	fprintf(f, "# HELP xgate_verdicts_total Packets by verdict.\n"
		   "# TYPE xgate_verdicts_total counter\n");
	for (__u32 i = 0; i < XG_VERDICT__MAX; i++) {
		struct xg_counter c = {};

		xg_ms_lookup(d->ms, XG_M_VERDICTS, &i, &c);
		fprintf(f, "xgate_verdicts_total{verdict=\"%s\"} %llu\n",
			verdict_name[i], (unsigned long long)c.packets);
	}
	pthread_rwlock_rdlock(&d->lock);
	fprintf(f, "# HELP xgate_map_entries Entries in a datapath map.\n"
		   "# TYPE xgate_map_entries gauge\n"
		   "xgate_map_entries{map=\"ipcache\"} %zu\n"
		   "xgate_map_entries{map=\"policy\"} %zu\n"
		   "xgate_map_entries{map=\"services\"} %zu\n",
		d->compiled.n_ipc, d->compiled.policy.n, d->compiled.n_svcs);
	fprintf(f, "# HELP xgate_map_capacity Size of a datapath map.\n"
		   "# TYPE xgate_map_capacity gauge\n"
		   "xgate_map_capacity{map=\"ipcache\"} %u\n"
		   "xgate_map_capacity{map=\"policy\"} %u\n"
		   "xgate_map_capacity{map=\"conntrack\"} %u\n",
		d->conf.maps.ipcache, d->conf.maps.policy, d->conf.maps.conntrack);
	fprintf(f, "# HELP xgate_kvstore_up 1 when the kvstore is reachable.\n"
		   "# TYPE xgate_kvstore_up gauge\nxgate_kvstore_up %d\n",
		d->st.store_up);
	fprintf(f, "# HELP xgate_policy_revision The datapath's policy revision.\n"
		   "# TYPE xgate_policy_revision gauge\nxgate_policy_revision %u\n",
		d->st.policy_rev);
	fprintf(f, "# HELP xgate_kvstore_sync_latency_seconds From a kvstore change to the maps.\n"
		   "# TYPE xgate_kvstore_sync_latency_seconds summary\n"
		   "xgate_kvstore_sync_latency_seconds_sum %.6f\n"
		   "xgate_kvstore_sync_latency_seconds_count %llu\n",
		d->st.sync_latency_sum_ms / 1e3,
		(unsigned long long)d->st.sync_latency_n);
	fprintf(f, "# HELP xgate_document_errors Documents refused (the previous version is enforced).\n"
		   "# TYPE xgate_document_errors gauge\nxgate_document_errors %zu\n",
		d->n_errs);
	pthread_rwlock_unlock(&d->lock);
	fprintf(f, "# HELP xgate_map_entries_conntrack Conntrack entries (counted every 10 s).\n"
		   "# TYPE xgate_map_entries_conntrack gauge\nxgate_map_entries_conntrack %zu\n",
		map_count(d, XG_M_CT));
	xgd_metrics_l7(d, f);
}
