// SPDX-License-Identifier: GPL-2.0-only
/*
 * xgatectl's commands that ask the daemon (its unix socket, JSON): what
 * is enforced and why, and writing documents into its kvstore.  Human
 * tables by default; -o json prints the daemon's answer as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"

static const char *sock_path;
static int as_json;

static int call(struct json_object *req, struct json_object **resp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *txt = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "xgatectl: cannot reach xgated at %s: %s (is it running? --socket)\n",
			sock_path, strerror(errno));
		free(buf);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (write(fd, txt, strlen(txt)) < 0 || write(fd, "\n", 1) < 0)
		goto io;
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto io;
			buf = nb;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	close(fd);
	*resp = json_tokener_parse(buf);
	free(buf);
	if (!*resp) {
		fprintf(stderr, "xgatectl: xgated's answer is not JSON\n");
		return 1;
	}
	return 0;
io:
	fprintf(stderr, "xgatectl: %s: %s\n", sock_path, strerror(errno));
	close(fd);
	free(buf);
	return 1;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static struct json_object *jget(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

/* Sends req; prints the answer as JSON when asked, or hands it to
 * human() when it says ok.  Returns the exit code. */
static int run(struct json_object *req, void (*human)(struct json_object *))
{
	struct json_object *resp = NULL;
	struct json_object *okv;
	int rc;

	rc = call(req, &resp);
	json_object_put(req);
	if (rc)
		return rc;
	okv = jget(resp, "ok");
	rc = okv && json_object_get_boolean(okv) ? 0 : 1;
	if (as_json)
		printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PRETTY));
	else if (rc)
		fprintf(stderr, "xgatectl: %s\n", jstr(resp, "error"));
	else if (human)
		human(resp);
	json_object_put(resp);
	return rc;
}

static struct json_object *req_of(const char *cmd)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "cmd", json_object_new_string(cmd));
	return r;
}

static void add(struct json_object *r, const char *k, const char *v)
{
	json_object_object_add(r, k, json_object_new_string(v));
}

/* ------------------------------------------------------------ printers -- */

static void print_errors(struct json_object *errs)
{
	size_t n = errs ? json_object_array_length(errs) : 0;

	if (!n)
		return;
	printf("\nrefused documents (the previous version of each stays enforced):\n");
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", jstr(json_object_array_get_idx(errs, i), "error"));
}

static void h_status(struct json_object *r)
{
	struct json_object *kv = jget(r, "kvstore"), *m = jget(r, "maps");

	printf("node             %s (up %llds)\n", jstr(r, "node"),
	       (long long)jint(r, "uptime_s"));
	printf("kvstore          %s %s: %s, %s\n", jstr(kv, "type"), jstr(kv, "where"),
	       json_object_get_boolean(jget(kv, "healthy")) ? "healthy" : "NOT HEALTHY",
	       jstr(kv, "detail"));
	if (jint(kv, "revision"))
		printf("kvstore revision %lld applied\n", (long long)jint(kv, "revision"));
	printf("policy revision  %lld (%lld applies, last %.1f ms, store-to-map %.1f ms)\n",
	       (long long)jint(r, "policy_revision"), (long long)jint(r, "applies"),
	       json_object_get_double(jget(r, "last_apply_ms")),
	       json_object_get_double(jget(r, "last_sync_latency_ms")));
	printf("compiled         %lld identities, %lld rules\n",
	       (long long)jint(r, "identities"), (long long)jint(r, "rules"));
	printf("maps             ipcache %lld/%lld, policy %lld/%lld, conntrack %lld/%lld, services %lld\n",
	       (long long)jint(m, "ipcache"), (long long)jint(m, "ipcache_max"),
	       (long long)jint(m, "policy"), (long long)jint(m, "policy_max"),
	       (long long)jint(m, "conntrack"), (long long)jint(m, "conntrack_max"),
	       (long long)jint(m, "services"));
	if (jget(r, "fleet")) {
		struct json_object *f = jget(r, "fleet"), *ns = jget(f, "nodes");

		printf("fleet            %lld of %lld reporting nodes at this revision or later\n",
		       (long long)jint(f, "nodes_converged"),
		       (long long)jint(f, "nodes_reporting"));
		for (size_t i = 0; ns && i < json_object_array_length(ns); i++) {
			struct json_object *n = json_object_array_get_idx(ns, i);

			printf("  %-20s revision %lld, policy revision %lld\n",
			       jstr(n, "node"), (long long)jint(n, "revision"),
			       (long long)jint(n, "policy_revision"));
		}
	}
	if (*jstr(r, "compile_error"))
		printf("\nNOT APPLIED (the previous state stays enforced): %s\n",
		       jstr(r, "compile_error"));
	print_errors(jget(r, "errors"));
}

static void h_policies(struct json_object *r)
{
	struct json_object *a = jget(r, "policies");

	printf("%-40s %s\n", "POLICY", "DOCUMENT");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		printf("%-40s %s\n", jstr(p, "policy"), jstr(p, "key"));
	}
	print_errors(jget(r, "errors"));
}

static void h_identities(struct json_object *r)
{
	struct json_object *a = jget(r, "identities");

	printf("%-10s %s\n", "IDENTITY", "LABELS");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		printf("%-10lld %s\n", (long long)jint(p, "id"), jstr(p, "labels"));
	}
}

static void h_endpoints(struct json_object *r)
{
	struct json_object *a = jget(r, "endpoints");

	printf("%-28s %-10s %s\n", "PREFIX", "IDENTITY", "LABELS");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *p = json_object_array_get_idx(a, i);

		printf("%-28s %-10lld %s\n", jstr(p, "prefix"),
		       (long long)jint(p, "identity"), jstr(p, "labels"));
	}
}

static void h_rule(const char *what, struct json_object *rule)
{
	if (!rule || !*jstr(rule, "policy"))
		return;
	printf("  %s: policy %s, %s[%lld] (%s:%lld)\n", what, jstr(rule, "policy"),
	       jstr(rule, "section"), (long long)jint(rule, "item"),
	       jstr(rule, "file"), (long long)jint(rule, "line"));
}

static void h_dir(const char *name, struct json_object *d)
{
	if (!json_object_get_boolean(jget(d, "enforced"))) {
		printf("%-8s not enforced (no policy selects it): allowed\n", name);
		return;
	}
	printf("%-8s %s%s%s\n", name,
	       json_object_get_boolean(jget(d, "allowed")) ? "allowed" : "DENIED ",
	       json_object_get_boolean(jget(d, "allowed")) ? "" : " ",
	       jstr(d, "reason"));
	h_rule("by", jget(d, "rule"));
}

static void h_explain(struct json_object *r)
{
	printf("verdict  %s%s%s\n", jstr(r, "verdict"), *jstr(r, "reason") ? " " : "",
	       jstr(r, "reason"));
	printf("source   identity %lld  %s\n", (long long)jint(r, "src_identity"),
	       jstr(r, "src_labels"));
	printf("dest     identity %lld  %s\n", (long long)jint(r, "dst_identity"),
	       jstr(r, "dst_labels"));
	h_dir("egress", jget(r, "egress"));
	h_dir("ingress", jget(r, "ingress"));
}

static void h_validate(struct json_object *r)
{
	struct json_object *a = jget(r, "rules");
	size_t n = a ? json_object_array_length(a) : 0;

	printf("valid: %lld document(s), %zu rule(s), %lld policy map entries in all\n",
	       (long long)jint(r, "documents"), n, (long long)jint(r, "policy_entries"));
	if (n)
		printf("%-24s %-11s %-8s %-8s %-6s %-13s %-6s %s\n", "POLICY",
		       "SECTION", "SUBJECT", "PEER", "PROTO", "PORTS", "ACTION",
		       "L7");
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(a, i);
		char ports[16];

		snprintf(ports, sizeof(ports), "%lld-%lld", (long long)jint(p, "port_lo"),
			 (long long)jint(p, "port_hi"));
		printf("%-24s %-11s %-8lld %-8lld %-6lld %-13s %-6s %lld\n",
		       jstr(p, "policy"), jstr(p, "section"), (long long)jint(p, "subject"),
		       (long long)jint(p, "peer"), (long long)jint(p, "protocol"),
		       ports, jstr(p, "action"), (long long)jint(p, "l7_ruleset"));
	}
}

static void h_get(struct json_object *r)
{
	fputs(jstr(r, "text"), stdout);
}

static void h_ok(struct json_object *r)
{
	printf("ok\n");
}

/* ---------------------------------------------------------- commands -- */

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 65536, n = 0, r;
	char *buf;

	if (!f) {
		fprintf(stderr, "xgatectl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

/* "policies/<file name>" unless --key says otherwise. */
static void default_key(const char *file, char *key, size_t len)
{
	const char *base = strrchr(file, '/');

	snprintf(key, len, "policies/%s", base ? base + 1 : file);
}

static int policy(int argc, char **argv)
{
	const char *file = NULL, *key = NULL;
	char kbuf[256];
	struct json_object *r;

	if (argc < 2)
		return 2;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-f") && i + 1 < argc)
			file = argv[++i];
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!key && argv[i][0] != '-')
			key = argv[i];
		else
			return 2;
	}
	if (!strcmp(argv[1], "list"))
		return run(req_of("policies"), h_policies);
	if (!strcmp(argv[1], "get") && key) {
		r = req_of("get");
		add(r, "key", key);
		return run(r, h_get);
	}
	if (!strcmp(argv[1], "delete") && key) {
		r = req_of("delete");
		add(r, "key", key);
		return run(r, h_ok);
	}
	if ((!strcmp(argv[1], "apply") || !strcmp(argv[1], "validate")) && file) {
		char *text = slurp(file);

		if (!text)
			return 1;
		if (!key) {
			default_key(file, kbuf, sizeof(kbuf));
			key = kbuf;
		}
		r = req_of(argv[1][0] == 'a' ? "apply" : "validate");
		add(r, "key", key);
		add(r, "text", text);
		free(text);
		return run(r, argv[1][0] == 'a' ? h_ok : h_validate);
	}
	return 2;
}

char **xgctl_api_origins(const char *socket, size_t *n)
{
	struct json_object *resp = NULL, *a;
	int saved = dup(2), devnull;
	char **names = NULL;

	sock_path = socket;
	*n = 0;
	/* no daemon is fine: events then show the bare cookie */
	devnull = open("/dev/null", O_WRONLY);
	if (devnull >= 0)
		dup2(devnull, 2);
	if (call(req_of("origins"), &resp))
		resp = NULL;
	if (saved >= 0) {
		dup2(saved, 2);
		close(saved);
	}
	if (devnull >= 0)
		close(devnull);
	a = resp ? jget(resp, "origins") : NULL;
	if (a && (names = calloc(json_object_array_length(a) + 1, sizeof(char *)))) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *o = json_object_array_get_idx(a, i);

			if (asprintf(&names[i], "%s %s[%lld]", jstr(o, "policy"),
				     jstr(o, "section"), (long long)jint(o, "item")) < 0)
				names[i] = NULL;
		}
		*n = json_object_array_length(a);
	}
	json_object_put(resp);
	return names;
}

static void h_l7(struct json_object *r)
{
	struct json_object *c = jget(r, "counters"), *a = jget(r, "events");

	if (!json_object_get_boolean(jget(r, "enabled"))) {
		printf("L7 fast path off: flows with HTTP rules are dropped\n");
		return;
	}
	printf("workers %lld, flows %lld, frames in %lld out %lld (no buffer %lld)\n",
	       (long long)jint(r, "workers"), (long long)jint(r, "flows"),
	       (long long)jint(r, "frames_in"), (long long)jint(r, "frames_out"),
	       (long long)jint(r, "frames_no_buffer"));
	json_object_object_foreach(c, k, v)
		if (json_object_get_int64(v))
			printf("  %-12s %lld\n", k,
			       (long long)json_object_get_int64(v));
	if (!a || !json_object_array_length(a))
		return;
	printf("%-6s %-7s %-30s %-24s %-20s %s\n", "STATUS", "METHOD", "PATH",
	       "CLIENT", "HOST", "RULE");
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		char who[80];
		long long rule = jint(e, "rule");

		snprintf(who, sizeof(who), "%s:%lld", jstr(e, "client"),
			 (long long)jint(e, "client_port"));
		printf("%-6lld %-7s %-30s %-24s %-20s ",
		       (long long)(jint(e, "status") ? jint(e, "status") : 200),
		       jstr(e, "method"), jstr(e, "path"), who, jstr(e, "host"));
		if (rule >= 0)
			printf("ruleset %lld rule %lld\n",
			       (long long)jint(e, "ruleset"), rule);
		else
			printf("ruleset %lld: no rule allows\n",
			       (long long)jint(e, "ruleset"));
	}
}

int xgctl_api_cmd(const char *socket, int json, int argc, char **argv)
{
	struct json_object *r;

	sock_path = socket;
	as_json = json;
	if (!strcmp(argv[0], "status"))
		return run(req_of("status"), h_status);
	if (!strcmp(argv[0], "policy"))
		return policy(argc, argv);
	if (!strcmp(argv[0], "identity") && argc == 2 && !strcmp(argv[1], "list"))
		return run(req_of("identities"), h_identities);
	if (!strcmp(argv[0], "endpoint") && argc == 2 && !strcmp(argv[1], "list"))
		return run(req_of("endpoints"), h_endpoints);
	if (!strcmp(argv[0], "l7") && (argc == 1 || argc == 2)) {
		r = req_of("l7");
		if (argc == 2)
			json_object_object_add(r, "events",
					       json_object_new_int64(atoll(argv[1])));
		return run(r, h_l7);
	}
	if (!strcmp(argv[0], "explain") && argc == 5) {
		r = req_of("explain");
		add(r, "src", argv[1]);
		add(r, "dst", argv[2]);
		add(r, "proto", argv[3]);
		add(r, "port", argv[4]);
		return run(r, h_explain);
	}
	return -1;
}
