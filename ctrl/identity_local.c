// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local identity allocator: the lowest free id for a new label set,
 * and the state file that keeps numbers stable across restarts.  The
 * file is rewritten whole (temp file, fsync, rename, fsync of the
 * directory) before a new id is returned, so after a crash it holds
 * either every id handed out or the state before the one that was not.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "identity.h"

#define HEADER                                                            \
	"# xgate identities: id, a tab, the label set; one a line.\n"     \
	"# Written by xgated; edit only while it is stopped, and never\n" \
	"# renumber (running datapaths and policies use these ids).\n"

struct local {
	char *path, *tmp, *lock, *dir;
	int lock_fd;
	/* The file's contents as last written, plus lines not yet written
	 * during an allocation. */
	char *text;
	size_t len, cap;
};

static int append(struct local *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		char *t;

		while (cap < l->len + n + 1)
			cap *= 2;
		t = realloc(l->text, cap);
		if (!t)
			return -ENOMEM;
		l->text = t;
		l->cap = cap;
	}
	memcpy(l->text + l->len, s, n);
	l->len += n;
	l->text[l->len] = '\0';
	return 0;
}

static int append_line(struct local *l, __u32 id, const char *labels)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%u\t", id);

	if (append(l, num, (size_t)n) || append(l, labels, strlen(labels)) ||
	    append(l, "\n", 1))
		return -ENOMEM;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int persist(struct local *l, struct xg_err *err)
{
	const char *what = "cannot write";
	int fd, dfd, ret;

	fd = open(l->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		what = "cannot create";
		goto fail;
	}
	ret = write_all(fd, l->text, l->len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		goto fail_unlink;
	if (rename(l->tmp, l->path)) {
		ret = -errno;
		what = "cannot rename into place";
		goto fail_unlink;
	}
	/* the rename itself is durable only once the directory is synced */
	dfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd)) {
		ret = -errno;
		if (dfd >= 0)
			close(dfd);
		xg_err_set(err, l->dir, "cannot sync the directory: %s",
			   strerror(-ret));
		return ret;
	}
	close(dfd);
	return 0;
fail_unlink:
	unlink(l->tmp);
fail:
	xg_err_set(err, l->tmp, "%s: %s", what, strerror(-ret));
	return ret;
}

static int local_alloc(struct xg_id_alloc *a, const char *const *labels,
		       size_t n, __u32 *ids, struct xg_err *err)
{
	struct local *l = xg_id_priv(a);
	size_t mark = xg_id_learned(a), len0 = l->len;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		__u32 id;

		if (xg_id_known(a, labels[i], &ids[i]))
			continue; /* twice in one batch */
		id = xg_id_next_free(a, XG_ID_FIRST_LOCAL);
		if (id >= XG_ID_LIMIT) {
			ret = -ENOSPC;
			xg_err_set(err, l->path,
				   "every identity up to %u is taken",
				   XG_ID_LIMIT - 1);
			goto undo;
		}
		ret = xg_id_learn(a, id, labels[i]);
		if (!ret)
			ret = append_line(l, id, labels[i]);
		if (ret) {
			xg_err_set(err, l->path, "%s", strerror(-ret));
			goto undo;
		}
		ids[i] = id;
	}
	if (xg_id_learned(a) == mark)
		return 0;
	ret = persist(l, err);
	if (!ret)
		return 0;
undo:
	/* Not durable, so never handed out: the same ids come next time. */
	xg_id_forget_since(a, mark);
	l->len = len0;
	if (l->text)
		l->text[len0] = '\0';
	return ret;
}

static void local_destroy(void *priv)
{
	struct local *l = priv;

	if (!l)
		return;
	if (l->lock_fd >= 0)
		close(l->lock_fd); /* drops the flock */
	free(l->path);
	free(l->tmp);
	free(l->lock);
	free(l->dir);
	free(l->text);
	free(l);
}

static const struct xg_id_ops local_ops = {
	.alloc = local_alloc,
	.destroy = local_destroy,
};

__attribute__((format(printf, 4, 5))) static int
corrupt(struct xg_err *err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	snprintf(err->where, sizeof(err->where), "%s", path);
	err->line = line;
	err->col = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* One "id<TAB>labels" line (without its newline). */
static int parse_line(struct xg_id_alloc *a, const char *path, int lineno,
		      const char *s, struct xg_err *err)
{
	const char *tab = strchr(s, '\t'), *why, *known;
	unsigned long id = 0;
	__u32 other;

	if (!tab)
		return corrupt(err, path, lineno,
			       "not an identity line (id, a tab, labels)");
	/* digits only, no sign or leading zero: one spelling per id */
	if (tab == s || tab - s > 8 || (s[0] == '0'))
		return corrupt(err, path, lineno, "bad id \"%.*s\"",
			       (int)(tab - s > 16 ? 16 : tab - s), s);
	for (const char *p = s; p < tab; p++) {
		if (*p < '0' || *p > '9')
			return corrupt(err, path, lineno, "bad id \"%.*s\"",
				       (int)(tab - s > 16 ? 16 : tab - s), s);
		id = id * 10 + (unsigned long)(*p - '0');
	}
	if (id < XG_ID_FIRST_LOCAL || id >= XG_ID_LIMIT)
		return corrupt(err, path, lineno,
			       "id %lu is outside the allocated range %u..%u",
			       id, XG_ID_FIRST_LOCAL, XG_ID_LIMIT - 1);
	if (xg_id_labels_check(tab + 1, &why))
		return corrupt(err, path, lineno, "%s", why);
	known = xg_id_known_labels(a, (__u32)id);
	if (known)
		return corrupt(err, path, lineno,
			       "id %lu appears twice (first for \"%.60s\")", id,
			       known);
	if (xg_id_known(a, tab + 1, &other))
		return corrupt(err, path, lineno,
			       "label set appears twice (first as id %u)",
			       other);
	if (xg_id_learn(a, (__u32)id, tab + 1))
		return -ENOMEM;
	return 0;
}

static int load(struct xg_id_alloc *a, struct local *l, struct xg_err *err)
{
	size_t cap = 0;
	char *line = NULL;
	ssize_t n;
	int lineno = 0, ret = 0;
	FILE *f = fopen(l->path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		xg_err_set(err, l->path, "cannot open: %s", strerror(-ret));
		return ret;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if ((size_t)n != strlen(line)) {
			ret = corrupt(err, l->path, lineno, "holds a NUL byte");
			break;
		}
		if (!n || line[0] == '#')
			continue;
		ret = parse_line(a, l->path, lineno, line, err);
		if (ret == -ENOMEM)
			xg_err_set(err, l->path, "out of memory");
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		xg_err_set(err, l->path, "cannot read");
	}
	free(line);
	fclose(f);
	return ret;
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

int xg_id_alloc_local_open(const char *state_path, struct xg_id_alloc **out,
			   struct xg_err *err)
{
	struct xg_id_alloc *a = NULL;
	struct local *l;
	char *slash;
	int ret;

	*out = NULL;
	if (!state_path || !state_path[0] || strlen(state_path) >= PATH_MAX) {
		xg_err_set(err, "identity", "bad state file path");
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		goto nomem;
	l->lock_fd = -1;
	l->path = strdup(state_path);
	l->tmp = concat(state_path, ".tmp");
	l->lock = concat(state_path, ".lock");
	l->dir = strdup(state_path);
	if (!l->path || !l->tmp || !l->lock || !l->dir)
		goto nomem;
	slash = strrchr(l->dir, '/');
	if (!slash)
		strcpy(l->dir, ".");
	else if (slash == l->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	ret = xg_id_alloc_new(&local_ops, l, &a);
	if (ret) {
		local_destroy(l);
		goto nomem_set;
	}

	/* The file is replaced on every write, so the lock is a file of its
	 * own that stays. */
	l->lock_fd = open(l->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (l->lock_fd < 0) {
		ret = -errno;
		xg_err_set(err, l->lock, "cannot create the lock file: %s",
			   strerror(-ret));
		goto fail;
	}
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		xg_err_set(
			err, l->lock,
			"locked by another process (another xgated on this state directory?)");
		goto fail;
	}
	ret = load(a, l, err);
	if (ret)
		goto fail;
	ret = append(l, HEADER, strlen(HEADER));
	for (size_t i = 0; !ret && i < xg_id_learned(a); i++) {
		const char *labels;
		__u32 id;

		xg_id_learned_at(a, i, &id, &labels);
		ret = append_line(l, id, labels);
	}
	if (ret) {
		xg_err_set(err, l->path, "out of memory");
		goto fail;
	}
	*out = a;
	return 0;
nomem:
	local_destroy(l);
nomem_set:
	xg_err_set(err, "identity", "out of memory");
	return -ENOMEM;
fail:
	xg_id_alloc_close(a);
	return ret;
}
