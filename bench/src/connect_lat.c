// SPDX-License-Identifier: GPL-2.0-only
/*
 * TCP connection-setup latency, for bench/lb_scaling.
 *
 *   connect_lat --connect IP:PORT [--count N] [--warmup W] [--gap-us G]
 *               [--timeout-ms T] [--json]
 *   connect_lat --target NAME:NETNS:IP:PORT --target ... [--start K] [...]
 *   connect_lat --listen PORT [--backlog B]
 *
 * The client times, with CLOCK_MONOTONIC, from connect() on a nonblocking
 * socket to the socket becoming writable (SYN-ACK received, ACK sent: the
 * connection is established), N times one after another, and prints
 * p50/p90/p99/mean in microseconds.  Every socket is closed with
 * SO_LINGER 0: an RST instead of a FIN, so the client leaves no TIME_WAIT
 * behind and thousands of connects never run out of ports; the kernel
 * picks a new source port for each.  A pause between connects (--gap-us)
 * lets the RST and the server's close cross the gateway before the next
 * SYN does, so one connect's teardown is not timed as the next one's
 * setup.
 *
 * With several --target, the connects take turns between them, one by
 * one (connect i goes to target (i + K) % targets), each from a socket
 * made in that target's network namespace (/run/netns/NETNS, entered
 * with setns() before the socket is made, outside the timed part).  The
 * machine's noise then lands on every target alike, down to the
 * millisecond: how gateways compare is measured under the same load.
 * Prints one line (or JSON object) per target, N connects each.
 *
 * The server accepts and closes: the handshake itself completes in the
 * kernel, but a connection nobody accepts stays in the accept queue, and
 * once the backlog is full new SYNs are dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void close_rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int serve(int port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, backlog)) {
		perror("connect_lat: listen");
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);

		/* A plain close: an RST could reach the client before it
		 * has looked at its socket, and fail a connect that worked.
		 * The client's own RST then ends this side too. */
		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			usleep(1000); /* EMFILE and friends: do not spin */
	}
}

/* One connect on socket fd (nonblocking); its latency in us, or a
 * negative errno. */
static double one_connect(int fd, const struct sockaddr_in *dst, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);
	double t0, t1;
	int rc;

	t0 = now_us();
	rc = connect(fd, (const struct sockaddr *)dst, sizeof(*dst));
	if (rc && errno != EINPROGRESS) {
		err = errno;
		close_rst(fd);
		return -err;
	}
	if (rc) {
		rc = poll(&p, 1, timeout_ms);
		t1 = now_us();
		if (rc <= 0) {
			err = rc ? errno : ETIMEDOUT;
			close_rst(fd);
			return -err;
		}
		/* A reset after the handshake (the server's close can
		 * beat us here) is ECONNRESET; a refused or lost SYN is
		 * ECONNREFUSED or a timeout.  Only those failed. */
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    (err && err != ECONNRESET)) {
			close_rst(fd);
			return -(err ? err : EIO);
		}
	} else {
		t1 = now_us(); /* loopback can connect at once */
	}
	close_rst(fd);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, int n, double p)
{
	int i = (int)ceil(p / 100 * n) - 1;

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static int parse_dst(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 && a->sin_port ? 0 : -1;
}

#define MAX_TARGETS 8

struct target {
	char name[32];
	int ns_fd; /* -1: this process's namespace */
	struct sockaddr_in dst;
	double *lat, sum;
	int ok, fails, first_err;
};

/* NAME:NETNS:IP:PORT */
static int parse_target(const char *s, struct target *t)
{
	char buf[256], path[300], *name = buf, *ns, *ep;

	snprintf(buf, sizeof(buf), "%s", s);
	ns = strchr(name, ':');
	if (!ns)
		return -1;
	*ns++ = '\0';
	ep = strchr(ns, ':');
	if (!ep)
		return -1;
	*ep++ = '\0';
	if (strlen(name) >= sizeof(t->name))
		return -1;
	memcpy(t->name, name, strlen(name) + 1);
	snprintf(path, sizeof(path), "%s%s", ns[0] == '/' ? "" : "/run/netns/", ns);
	t->ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->ns_fd < 0) {
		fprintf(stderr, "connect_lat: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return parse_dst(ep, &t->dst);
}

/* A nonblocking TCP socket in the target's namespace. */
static int target_socket(const struct target *t, int home_fd)
{
	int fd, e;

	if (t->ns_fd >= 0 && setns(t->ns_fd, CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	e = errno;
	if (t->ns_fd >= 0 && setns(home_fd, CLONE_NEWNET))
		return -errno;
	return fd < 0 ? -e : fd;
}

static void report(const struct target *t, int count, int json, int named)
{
	if (json && named)
		printf("{\"target\": \"%s\", ", t->name);
	else if (json)
		printf("{");
	else if (named)
		printf("%s: ", t->name);
	if (!t->ok) {
		printf(json ? "\"count\": %d, \"ok\": 0, \"fail\": %d}\n" :
			      "%d connects, all %d failed\n", count, t->fails);
		return;
	}
	if (json)
		printf("\"count\": %d, \"ok\": %d, \"fail\": %d, \"p50_us\": %.1f, "
		       "\"p90_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, "
		       "\"min_us\": %.1f, \"max_us\": %.1f}\n",
		       count, t->ok, t->fails, pct(t->lat, t->ok, 50),
		       pct(t->lat, t->ok, 90), pct(t->lat, t->ok, 99),
		       t->sum / t->ok, t->lat[0], t->lat[t->ok - 1]);
	else
		printf("%d connects (%d failed): p50 %.1f us, p90 %.1f, p99 %.1f, mean %.1f, min %.1f, max %.1f\n",
		       t->ok, t->fails, pct(t->lat, t->ok, 50), pct(t->lat, t->ok, 90),
		       pct(t->lat, t->ok, 99), t->sum / t->ok, t->lat[0],
		       t->lat[t->ok - 1]);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: connect_lat --connect IP:PORT [--count N] [--warmup W] [--gap-us G]\n"
		"                   [--timeout-ms T] [--json]\n"
		"       connect_lat --target NAME:NETNS:IP:PORT --target ... [--start K]\n"
		"                   [--count N] [--warmup W] [--gap-us G] [--timeout-ms T] [--json]\n"
		"       connect_lat --listen PORT [--backlog B]\n");
}

int main(int argc, char **argv)
{
	int count = 2000, warmup = 50, gap_us = 100, timeout_ms = 1000;
	int json = 0, listen_port = 0, backlog = 4096, start = 0, rc = 0;
	struct target t[MAX_TARGETS] = {};
	int nt = 0, named = 0, home_fd;

	for (int a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--json")) {
			json = 1;
			continue;
		}
		if (!v)
			return usage(), 2;
		if (!strcmp(argv[a], "--connect") || !strcmp(argv[a], "--target")) {
			if (nt == MAX_TARGETS)
				return usage(), 2;
			if (argv[a][2] == 't') {
				if (parse_target(v, &t[nt]))
					return usage(), 2;
				named = 1;
			} else {
				t[nt].ns_fd = -1;
				if (parse_dst(v, &t[nt].dst))
					return usage(), 2;
			}
			nt++;
		} else if (!strcmp(argv[a], "--count")) {
			count = atoi(v);
		} else if (!strcmp(argv[a], "--warmup")) {
			warmup = atoi(v);
		} else if (!strcmp(argv[a], "--gap-us")) {
			gap_us = atoi(v);
		} else if (!strcmp(argv[a], "--timeout-ms")) {
			timeout_ms = atoi(v);
		} else if (!strcmp(argv[a], "--start")) {
			start = atoi(v);
		} else if (!strcmp(argv[a], "--listen")) {
			listen_port = atoi(v);
		} else if (!strcmp(argv[a], "--backlog")) {
			backlog = atoi(v);
		} else {
			return usage(), 2;
		}
		a++;
	}
	if (listen_port)
		return serve(listen_port, backlog);
	if (!nt || count < 1 || warmup < 0 || gap_us < 0 || start < 0)
		return usage(), 2;
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0) {
		perror("connect_lat: /proc/self/ns/net");
		return 1;
	}
	for (int k = 0; k < nt; k++) {
		t[k].lat = calloc((size_t)count, sizeof(double));
		if (!t[k].lat)
			return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < (warmup + count) * nt; i++) {
		struct target *c = &t[(i + start) % nt];
		int fd = target_socket(c, home_fd);
		double us = fd < 0 ? fd : one_connect(fd, &c->dst, timeout_ms);

		if (us < 0) {
			if (i >= warmup * nt) {
				c->fails++;
				if (!c->first_err)
					c->first_err = (int)-us;
			}
		} else if (i >= warmup * nt) {
			c->lat[c->ok++] = us;
			c->sum += us;
		}
		if (gap_us) {
			struct timespec g = { .tv_nsec = (long)gap_us * 1000 };

			nanosleep(&g, NULL);
		}
	}
	for (int k = 0; k < nt; k++) {
		qsort(t[k].lat, (size_t)t[k].ok, sizeof(double), cmp_double);
		report(&t[k], count, json, named);
		if (t[k].fails)
			fprintf(stderr, "connect_lat: %s%s%d of %d connects failed (first: %s)\n",
				t[k].name, named ? ": " : "", t[k].fails, count,
				strerror(t[k].first_err));
		/* none answered, or more than 1% failed */
		if (!t[k].ok || t[k].fails * 100 > count)
			rc = 1;
		free(t[k].lat);
	}
	return rc;
}
