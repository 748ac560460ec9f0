// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local API: a unix socket taking one JSON request per connection
 * ({"cmd": "status", ...}) and answering one JSON object, for xgatectl;
 * and a Prometheus text endpoint on loopback.  One thread serves both
 * with poll: requests are small and rare, and every answer comes from
 * what the control thread published (read under its lock) or from the
 * counters in the maps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "api_cmds.h"
#include "ctrl/log.h"

static int api_fd = -1, metrics_fd = -1;

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	unlink(path); /* a previous daemon's socket */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int e = -errno;

		close(fd);
		return e;
	}
	chmod(path, 0600); /* the API changes policy: root only */
	return fd;
}

static int listen_tcp(const char *host, __u16 port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd, v6 = strchr(host, ':') != NULL;

	if (v6 ? inet_pton(AF_INET6, host, &s6.sin6_addr) != 1 :
		 inet_pton(AF_INET, host, &s4.sin_addr) != 1)
		return -EINVAL;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4,
		 v6 ? sizeof(s6) : sizeof(s4)) ||
	    listen(fd, 16)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Reads one request (up to a newline, EOF or 8 MiB: documents ride in
 * it) with a deadline, so a silent client cannot hold the thread. */
static char *read_request(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 2000) <= 0)
			break;
		if (n + 1 == cap) {
			char *nb = cap < (8u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf + n - (size_t)r, '\n', (size_t)r))
			break;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(fd, s, len);

		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

static void serve_api(struct xgd *d, int fd)
{
	size_t len = 0;
	char *req = read_request(fd, &len);
	struct json_object *in = req ? json_tokener_parse(req) : NULL;
	struct json_object *out;
	const char *txt;

	if (!in || !json_object_is_type(in, json_type_object))
		out = xgd_api_error("request is not a JSON object");
	else
		out = xgd_api_dispatch(d, in);
	txt = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
	write_all(fd, txt, strlen(txt));
	write_all(fd, "\n", 1);
	json_object_put(out);
	json_object_put(in);
	free(req);
}

static void serve_metrics(struct xgd *d, int fd)
{
	size_t len = 0;
	char *req = read_request(fd, &len), *body = NULL, head[256];
	size_t blen = 0;
	FILE *f;

	if (!req || strncmp(req, "GET /metrics", 12)) {
		static const char nf[] =
			"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";

		write_all(fd, nf, sizeof(nf) - 1);
		free(req);
		return;
	}
	f = open_memstream(&body, &blen);
	if (f) {
		xgd_metrics_write(d, f);
		fclose(f);
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
		 blen);
	write_all(fd, head, strlen(head));
	if (body)
		write_all(fd, body, blen);
	free(body);
	free(req);
}

static void *run(void *arg)
{
	struct xgd *d = arg;

	while (!d->stop) {
		struct pollfd p[2] = { { .fd = api_fd, .events = POLLIN },
				       { .fd = metrics_fd, .events = POLLIN } };
		int c;

		if (poll(p, 2, 500) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			c = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			if (i == 0)
				serve_api(d, c);
			else
				serve_metrics(d, c);
			close(c);
		}
	}
	return NULL;
}

int xgd_api_start(struct xgd *d, pthread_t *thr)
{
	api_fd = listen_unix(d->conf.api.socket);
	if (api_fd < 0) {
		pr_warn("api: %s: %s\n", d->conf.api.socket, strerror(-api_fd));
		return api_fd;
	}
	if (d->conf.api.metrics[0]) {
		metrics_fd = listen_tcp(d->conf.api.metrics_host,
					d->conf.api.metrics_port);
		if (metrics_fd < 0)
			pr_warn("metrics: %s: %s (metrics off)\n",
				d->conf.api.metrics, strerror(-metrics_fd));
	}
	return -pthread_create(thr, NULL, run, d);
}

void xgd_api_stop(struct xgd *d)
{
	if (api_fd >= 0) {
		close(api_fd);
		unlink(d->conf.api.socket);
	}
	if (metrics_fd >= 0)
		close(metrics_fd);
	api_fd = metrics_fd = -1;
}
