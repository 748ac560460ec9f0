// SPDX-License-Identifier: GPL-2.0-only
/* The file kvstore; see store_file.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_file.h"
#include "ctrl/doc/doc.h"
#include "ctrl/log.h"

#define WATCH_MASK                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
	 IN_DELETE_SELF | IN_ONLYDIR)
#define MAX_DIRS 4096

struct xg_store_file {
	char root[PATH_MAX];
	struct xg_evq *q;
	int ifd, efd;
	pthread_t thr;
	int running;
	struct {
		int wd;
		char *rel; /* "" for the root */
	} dirs[MAX_DIRS];
	int ndirs;
};

/* Documents only: a backup or swap file is not a policy. */
static bool is_doc_name(const char *name)
{
	size_t n = strlen(name);

	if (!n || name[0] == '.' || name[n - 1] == '~')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static void rel_join(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s%s%s", dir, *dir ? "/" : "", name);
}

static void put_file(struct xg_store_file *s, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;
	char *buf = NULL;
	ssize_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) /* gone again before we looked */
			xg_evq_push(s->q, XG_EVQ_DEL, rel, NULL, 0, 0);
		else
			pr_warn("%s: %s\n", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	/* One byte past the parser's limit: it says "too large" itself. */
	if (st.st_size > XG_DOC_MAX_BYTES)
		st.st_size = XG_DOC_MAX_BYTES + 1;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	while (got < st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)(st.st_size - got));

		if (r <= 0)
			break;
		got += r;
	}
	xg_evq_push(s->q, XG_EVQ_PUT, rel, buf, (size_t)got, 0);
out:
	free(buf);
	close(fd);
}

static int add_watch(struct xg_store_file *s, const char *rel)
{
	char path[PATH_MAX * 2];
	int wd;

	snprintf(path, sizeof(path), "%s%s%s", s->root, *rel ? "/" : "", rel);
	wd = inotify_add_watch(s->ifd, path, WATCH_MASK);
	if (wd < 0)
		return -errno;
	for (int i = 0; i < s->ndirs; i++)
		if (s->dirs[i].wd == wd)
			return 0;
	/* Every slot has a name: unwatch_tree() compares them. */
	if (s->ndirs == MAX_DIRS || !(s->dirs[s->ndirs].rel = strdup(rel))) {
		inotify_rm_watch(s->ifd, wd);
		return s->ndirs == MAX_DIRS ? -ENOSPC : -ENOMEM;
	}
	s->dirs[s->ndirs].wd = wd;
	s->ndirs++;
	return 0;
}

static void drop_dir(struct xg_store_file *s, int i)
{
	free(s->dirs[i].rel);
	s->dirs[i] = s->dirs[--s->ndirs];
}

/*
 * A directory moved away stays watched wherever it went, and its events
 * would keep coming under its old name: unwatch it and everything under
 * it.  If it only moved within the tree, the scans that follow watch it
 * again under the new name.
 */
static void unwatch_tree(struct xg_store_file *s, const char *rel)
{
	size_t n = strlen(rel);

	for (int i = 0; i < s->ndirs;) {
		const char *r = s->dirs[i].rel;

		if (!strncmp(r, rel, n) && (r[n] == '\0' || r[n] == '/')) {
			inotify_rm_watch(s->ifd, s->dirs[i].wd);
			drop_dir(s, i);
		} else {
			i++;
		}
	}
}

/* Watches dir and everything under it, putting every document. */
static void scan(struct xg_store_file *s, const char *rel)
{
	char path[PATH_MAX * 2], sub[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err;

	err = add_watch(s, rel);
	if (err)
		pr_warn("%s/%s: cannot watch: %s\n", s->root, rel,
			strerror(-err));
	snprintf(path, sizeof(path), "%s%s%s", s->root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		rel_join(sub, sizeof(sub), rel, de->d_name);
		if (de->d_type == DT_DIR)
			scan(s, sub);
		else if (is_doc_name(de->d_name))
			put_file(s, sub);
	}
	closedir(d);
}

static void full_resync(struct xg_store_file *s)
{
	xg_evq_push(s->q, XG_EVQ_RESYNC_BEGIN, NULL, NULL, 0, 0);
	scan(s, "");
	xg_evq_push(s->q, XG_EVQ_RESYNC_END, NULL, NULL, 0, 0);
}

static const char *dir_of(struct xg_store_file *s, int wd)
{
	for (int i = 0; i < s->ndirs; i++)
		if (s->dirs[i].wd == wd)
			return s->dirs[i].rel;
	return NULL;
}

static void handle(struct xg_store_file *s, const struct inotify_event *ev)
{
	const char *dir = dir_of(s, ev->wd);
	char rel[PATH_MAX];

	if (ev->mask & IN_Q_OVERFLOW) {
		pr_warn("%s: inotify queue overflow: resync\n", s->root);
		full_resync(s);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		/* The watch is gone (the directory was deleted, or
		 * unwatched): free its slot, or the table fills up with
		 * dead ones and new directories go unwatched. */
		for (int i = 0; i < s->ndirs; i++)
			if (s->dirs[i].wd == ev->wd) {
				drop_dir(s, i);
				break;
			}
		return;
	}
	if (!dir || !ev->len)
		return;
	rel_join(rel, sizeof(rel), dir, ev->name);
	if (ev->mask & IN_ISDIR) {
		/* Hidden directories hold no documents, as in scan(). */
		if (ev->name[0] == '.')
			return;
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			scan(s, rel); /* files may be there already */
		} else if (ev->mask & IN_MOVED_FROM) {
			unwatch_tree(s, rel);
			full_resync(s); /* a subtree left: its files are gone */
		}
		return;
	}
	if (!is_doc_name(ev->name))
		return;
	if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
		put_file(s, rel);
	else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
		xg_evq_push(s->q, XG_EVQ_DEL, rel, NULL, 0, 0);
}

static void *run(void *arg)
{
	struct xg_store_file *s = arg;
	char buf[64 * 1024] __attribute__((aligned(8)));

	full_resync(s);
	xg_evq_push(s->q, XG_EVQ_HEALTH, "watching", NULL, 0, 1);
	while (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE)) {
		struct pollfd p[2] = { { .fd = s->ifd, .events = POLLIN },
				       { .fd = s->efd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, 1000) <= 0)
			continue;
		if (p[1].revents & POLLIN) {
			__u64 v;

			if (read(s->efd, &v, sizeof(v)) == sizeof(v) &&
			    __atomic_load_n(&s->running, __ATOMIC_ACQUIRE))
				full_resync(s);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		n = read(s->ifd, buf, sizeof(buf));
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev = (void *)(buf + off);

			handle(s, ev);
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	return NULL;
}

int xg_store_file_start(const char *dir, struct xg_evq *q,
			struct xg_store_file **out)
{
	struct xg_store_file *s = calloc(1, sizeof(*s));
	struct stat st;
	int err;

	if (!s)
		return -ENOMEM;
	s->ifd = s->efd = -1;
	/* errno only when stat failed: a stale one would name a file
	 * given for the directory ENOENT. */
	err = stat(dir, &st) ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (err) {
		free(s);
		return err;
	}
	snprintf(s->root, sizeof(s->root), "%s", dir);
	s->q = q;
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ifd < 0 || s->efd < 0) {
		err = -errno;
		goto fail;
	}
	s->running = 1;
	err = -pthread_create(&s->thr, NULL, run, s);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	if (s->ifd >= 0)
		close(s->ifd);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
	return err;
}

void xg_store_file_resync(struct xg_store_file *s)
{
	__u64 one = 1;

	if (write(s->efd, &one, sizeof(one)) < 0)
		pr_warn("store: cannot request a resync: %s\n", strerror(errno));
}

void xg_store_file_stop(struct xg_store_file *s)
{
	__u64 one = 1;

	if (!s)
		return;
	__atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
	if (write(s->efd, &one, sizeof(one)) < 0)
		pr_debug("store: wake: %s\n", strerror(errno));
	pthread_join(s->thr, NULL);
	for (int i = 0; i < s->ndirs; i++)
		free(s->dirs[i].rel);
	close(s->ifd);
	close(s->efd);
	free(s);
}
