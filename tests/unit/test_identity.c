// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local identity allocator (ctrl/identity_local.c over
 * ctrl/identity.c): ids from 256 up, lowest free first; the same label
 * set always gets the same id, across reopening too; the state file is
 * what it says (one "id<TAB>labels" line each), and one that does not
 * parse is refused with its line rather than renumbered; an id whose
 * write failed is never handed out; 10,000 label sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctrl/identity.h"
#include "ctrl/daemon/docstore.h"
#include "ctrl/daemon/id_batch.h"
#include "ctrl/policy/labels.h"

struct dir {
	char path[64];
	char state[96];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	const char *tmp = getenv("TMPDIR");

	snprintf(d->path, sizeof(d->path), "%s/xgate-id-XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(d->path))
		return -1;
	snprintf(d->state, sizeof(d->state), "%s/identities", d->path);
	*state = d;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct dir *d = *state;
	int ret = nftw(d->path, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	free(d);
	return ret;
}

static struct xg_id_alloc *open_ok(const char *path)
{
	struct xg_id_alloc *a = NULL;
	struct xg_err e = {0};
	int ret = xg_id_alloc_local_open(path, &a, &e);

	if (ret)
		fail_msg("open %s: %d %s:%d: %s", path, ret, e.where, e.line,
			 e.msg);
	return a;
}

static __u32 get_ok(struct xg_id_alloc *a, const char *labels)
{
	struct xg_err e = {0};
	__u32 id = 0;
	int ret = xg_id_get(a, labels, &id, &e);

	if (ret)
		fail_msg("get %s: %d %s: %s", labels, ret, e.where, e.msg);
	return id;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct walk {
	__u32 last;
	size_t n;
	int stop_at;
};

static int walk_cb(__u32 id, const char *labels, void *arg)
{
	struct walk *w = arg;

	assert_true(id > w->last); /* in id order */
	assert_true(labels[0]);
	w->last = id;
	w->n++;
	return w->stop_at && (int)w->n == w->stop_at ? 42 : 0;
}

static void test_basic(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	struct walk w = {0};
	char buf[64];

	assert_int_equal(get_ok(a, "k8s:app=web;k8s:ns=default"), 256);
	assert_int_equal(get_ok(a, "k8s:app=db;k8s:ns=default"), 257);
	/* same labels, same id; only the namespace differs: another one */
	assert_int_equal(get_ok(a, "k8s:app=web;k8s:ns=default"), 256);
	assert_int_equal(get_ok(a, "k8s:app=web;k8s:ns=prod"), 258);
	assert_int_equal(xg_id_count(a), 3);

	assert_int_equal(xg_id_lookup(a, 257, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "k8s:app=db;k8s:ns=default");
	assert_int_equal(xg_id_lookup(a, 259, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xg_id_lookup(a, XG_ID_WORLD, buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(xg_id_lookup(a, 257, buf, 10), -ENOSPC);

	assert_int_equal(xg_id_walk(a, walk_cb, &w), 0);
	assert_int_equal(w.n, 3);
	w = (struct walk){.stop_at = 2};
	assert_int_equal(xg_id_walk(a, walk_cb, &w), 42);
	assert_int_equal(w.n, 2);

	/* what the file holds: a comment header, then id TAB labels */
	assert_non_null(strstr(read_file(d->state),
			       "\n256\tk8s:app=web;k8s:ns=default\n"
			       "257\tk8s:app=db;k8s:ns=default\n"
			       "258\tk8s:app=web;k8s:ns=prod\n"));
	assert_int_equal(read_file(d->state)[0], '#');
	xg_id_alloc_close(a);
}

static void test_bad_labels(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	static char big[XG_ID_LABELS_MAX + 2];
	struct xg_err e = {0};
	__u32 id;

	assert_int_equal(xg_id_get(a, "", &id, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "empty"));
	assert_int_equal(xg_id_get(a, "a\nb", &id, &e), -EINVAL);
	assert_int_equal(xg_id_get(a, "a\tb", &id, &e), -EINVAL);
	assert_int_equal(xg_id_get(a, "caf\xc3\xa9", &id, &e), -EINVAL);
	memset(big, 'x', XG_ID_LABELS_MAX + 1);
	assert_int_equal(xg_id_get(a, big, &id, &e), -EINVAL);
	big[XG_ID_LABELS_MAX] = '\0'; /* exactly the limit */
	assert_int_equal(get_ok(a, big), 256);
	assert_int_equal(xg_id_count(a), 1);
	xg_id_alloc_close(a);

	/* and it reads back */
	a = open_ok(d->state);
	assert_int_equal(get_ok(a, big), 256);
	xg_id_alloc_close(a);
}

static void test_reopen(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	char labels[64];
	__u32 ids[50];

	for (int i = 0; i < 50; i++) {
		snprintf(labels, sizeof(labels), "k8s:app=svc%d", i);
		ids[i] = get_ok(a, labels);
		assert_int_equal(ids[i], 256 + i);
	}
	xg_id_alloc_close(a);

	/* asked in another order, each keeps its number */
	a = open_ok(d->state);
	assert_int_equal(xg_id_count(a), 50);
	for (int i = 49; i >= 0; i--) {
		snprintf(labels, sizeof(labels), "k8s:app=svc%d", i);
		assert_int_equal(get_ok(a, labels), ids[i]);
	}
	assert_int_equal(get_ok(a, "k8s:app=new"), 306);
	xg_id_alloc_close(a);

	a = open_ok(d->state);
	assert_int_equal(get_ok(a, "k8s:app=new"), 306);
	assert_int_equal(xg_id_count(a), 51);
	xg_id_alloc_close(a);
}

static void test_lowest_free(void **state)
{
	static const char text[] = "# by hand, with holes\n"
				   "\n"
				   "256\ta\n"
				   "258\tb\n"
				   "300\tc\n"
				   "259\td"; /* no final newline: fine */
	struct dir *d = *state;
	struct xg_id_alloc *a;

	write_file(d->state, text, sizeof(text) - 1);
	a = open_ok(d->state);
	assert_int_equal(get_ok(a, "c"), 300);
	assert_int_equal(get_ok(a, "x1"), 257);
	assert_int_equal(get_ok(a, "x2"), 260);
	for (int i = 261; i < 300; i++) {
		char l[16];

		snprintf(l, sizeof(l), "y%d", i);
		assert_int_equal(get_ok(a, l), i);
	}
	assert_int_equal(get_ok(a, "x3"), 301);
	xg_id_alloc_close(a);
}

struct corrupt {
	const char *text;
	size_t len; /* 0: strlen */
	int line;
	const char *msg;
};

static const struct corrupt corrupt[] = {
	{"256 k8s:app=web\n", 0, 1, "not an identity line"},
	{"# header\n\n256\ta\nweb\tb\n", 0, 4, "bad id \"web\""},
	{"0256\ta\n", 0, 1, "bad id \"0256\""},
	{"-256\ta\n", 0, 1, "bad id"},
	{"\ta\n", 0, 1, "bad id"},
	{"255\ta\n", 0, 1,
	 "id 255 is outside the allocated range 256..16777215"},
	{"16777216\ta\n", 0, 1, "outside the allocated range"},
	{"256\ta\n257\tb\n256\tc\n", 0, 3,
	 "id 256 appears twice (first for \"a\")"},
	{"256\ta\n257\ta\n", 0, 2, "label set appears twice (first as id 256)"},
	{"256\t\n", 0, 1, "empty label set"},
	{"256\ta\r\n", 0, 1, "not printable"},
	{"256\ta\tb\n", 0, 1, "not printable"},
	{"256\ta\n257\tb\0c\n", 13, 2, "holds a NUL byte"},
};

static void test_corrupt(void **state)
{
	struct dir *d = *state;
	int failed = 0;

	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		const struct corrupt *c = &corrupt[i];
		struct xg_id_alloc *a = (void *)1;
		struct xg_err e = {0};
		size_t len = c->len ? c->len : strlen(c->text);
		int ret;

		write_file(d->state, c->text, len);
		ret = xg_id_alloc_local_open(d->state, &a, &e);
		if (ret != -EINVAL || a || strcmp(e.where, d->state) ||
		    e.line != c->line || !strstr(e.msg, c->msg)) {
			print_error("case %zu: got %d '%s' line %d: %s\n", i,
				    ret, e.where, e.line, e.msg);
			failed++;
		}
		/* left as it was, for a human to mend */
		if (memcmp(read_file(d->state), c->text, len))
			failed++;
	}
	assert_int_equal(failed, 0);

	/* labels longer than the limit are corrupt too */
	{
		static char line[XG_ID_LABELS_MAX + 16];
		struct xg_id_alloc *a = NULL;
		struct xg_err e = {0};

		memset(line, 'x', sizeof(line) - 1);
		memcpy(line, "256\t", 4);
		line[sizeof(line) - 2] = '\n';
		write_file(d->state, line, sizeof(line) - 1);
		assert_int_equal(xg_id_alloc_local_open(d->state, &a, &e),
				 -EINVAL);
		assert_non_null(strstr(e.msg, "longer than 4096"));
		assert_int_equal(e.line, 1);
	}
}

static void test_lock(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state), *b = NULL;
	struct xg_err e = {0};

	assert_int_equal(xg_id_alloc_local_open(d->state, &b, &e), -EBUSY);
	assert_null(b);
	assert_non_null(strstr(e.msg, "locked by another process"));
	xg_id_alloc_close(a);
	b = open_ok(d->state);
	xg_id_alloc_close(b);

	/* no directory: said at open, not at the first allocation */
	assert_int_equal(
		xg_id_alloc_local_open("/nonexistent/dir/identities", &b, &e),
		-ENOENT);
	assert_string_equal(e.where, "/nonexistent/dir/identities.lock");
}

/* An id whose write failed was never handed out: it comes again. */
static void test_write_fails(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	const char *two[] = {"b", "c"};
	struct xg_err e = {0};
	char tmp[128], buf[16];
	__u32 id = 0, ids[2];

	assert_int_equal(get_ok(a, "a"), 256);
	/* the temp file's name taken by a directory: the write fails */
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->state);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_true(xg_id_get(a, "b", &id, &e) < 0);
	assert_string_equal(e.where, tmp);
	assert_true(xg_id_get_many(a, two, 2, ids, &e) < 0);
	assert_int_equal(xg_id_count(a), 1);
	assert_int_equal(xg_id_lookup(a, 257, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(rmdir(tmp), 0);

	assert_int_equal(get_ok(a, "c"), 257);
	assert_int_equal(get_ok(a, "b"), 258);
	xg_id_alloc_close(a);
	a = open_ok(d->state);
	assert_int_equal(xg_id_count(a), 3);
	assert_int_equal(get_ok(a, "b"), 258);
	xg_id_alloc_close(a);
}

static void test_many(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	const char *l[] = {"x", "y", "x", "z", "y"};
	struct xg_err e = {0};
	__u32 ids[5];

	assert_int_equal(get_ok(a, "z"), 256);
	assert_int_equal(xg_id_get_many(a, l, 5, ids, &e), 0);
	assert_int_equal(ids[0], 257);
	assert_int_equal(ids[1], 258);
	assert_int_equal(ids[2], 257);
	assert_int_equal(ids[3], 256);
	assert_int_equal(ids[4], 258);
	assert_int_equal(xg_id_get_many(a, l, 0, ids, &e), 0);
	l[2] = "";
	assert_int_equal(xg_id_get_many(a, l, 5, ids, &e), -EINVAL);
	xg_id_alloc_close(a);
}

#define N10K 10000

static void labels_of(char *buf, size_t len, int i)
{
	/* Cilium-like label sets, sorted, several per namespace */
	snprintf(
		buf, len,
		"k8s:app=app%d;k8s:io.kubernetes.pod.namespace=ns%d;k8s:tier=%s",
		i / 7, i % 7, i % 2 ? "backend" : "frontend");
}

static void test_10k(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	static char store[N10K][96];
	static const char *l[N10K];
	static __u32 ids[N10K];
	struct xg_err e = {0};
	struct walk w = {0};
	char buf[128];

	for (int i = 0; i < N10K; i++) {
		labels_of(store[i], sizeof(store[i]), i);
		l[i] = store[i];
	}
	/* the first 200 one by one (a write each), the rest in batches */
	for (int i = 0; i < 200; i++)
		assert_int_equal(get_ok(a, l[i]), 256 + i);
	for (int i = 200; i < N10K; i += 1960) {
		int n = N10K - i < 1960 ? N10K - i : 1960;

		assert_int_equal(
			xg_id_get_many(a, l + i, (size_t)n, ids + i, &e), 0);
	}
	for (int i = 0; i < N10K; i++) {
		ids[i] = get_ok(a, l[i]);
		assert_int_equal(ids[i], 256 + i); /* distinct, dense */
	}
	assert_int_equal(xg_id_count(a), N10K);
	assert_int_equal(xg_id_walk(a, walk_cb, &w), 0);
	assert_int_equal(w.n, N10K);
	xg_id_alloc_close(a);

	a = open_ok(d->state);
	assert_int_equal(xg_id_count(a), N10K);
	for (int i = N10K - 1; i >= 0; i--) {
		assert_int_equal(get_ok(a, l[i]), ids[i]);
		assert_int_equal(xg_id_lookup(a, ids[i], buf, sizeof(buf)), 0);
		assert_string_equal(buf, l[i]);
	}
	assert_int_equal(get_ok(a, "k8s:app=one-more"), 256 + N10K);
	xg_id_alloc_close(a);
}

/* An Endpoint document with one label, app=APP. */
static void put_ep(struct xg_docstore *ds, const char *key, const char *name,
		   const char *app, int octet)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf),
			 "apiVersion: xgate.io/v1\nkind: Endpoint\n"
			 "metadata:\n  name: %s\n  namespace: ns\n"
			 "spec:\n  addresses: [198.18.1.%d]\n"
			 "  labels:\n    app: \"%s\"\n",
			 name, octet, app);

	assert_int_equal(xg_docstore_put(ds, key, buf, (size_t)n), 1);
}

static bool ep_known(struct xg_id_alloc *a, struct xg_docstore *ds,
		     const char *key)
{
	char lk[4096];
	__u32 id;

	for (size_t i = 0; i < ds->n; i++)
		if (!strcmp(ds->v[i].key, key)) {
			assert_true(xg_label_key_of_endpoint(
					    &ds->v[i].set.endpoints[0], lk,
					    sizeof(lk)) > 0);
			return xg_id_known(a, lk, &id);
		}
	fail_msg("no document %s", key);
	return false;
}

/* The daemon's batch: every distinct new label set once, none twice;
 * a label set the allocator refuses is left to the compile. */
static void test_id_batch(void **state)
{
	struct dir *d = *state;
	struct xg_id_alloc *a = open_ok(d->state);
	struct xg_docstore ds = {};
	struct xg_err e = {0};
	size_t before;

	put_ep(&ds, "ep/1", "a1", "web", 1);
	put_ep(&ds, "ep/2", "a2", "web", 2); /* the same label set */
	put_ep(&ds, "ep/3", "b", "db", 3);
	put_ep(&ds, "ep/4", "c", "caf\u00e9", 4); /* not ASCII: refused */
	get_ok(a, "k8s:app=db;k8s:io.kubernetes.pod.namespace=ns");
	before = xg_id_count(a);
	/* web is new; db was known; café is the compile's to refuse */
	assert_int_equal(xgd_id_batch(a, &ds, &e), 1);
	assert_int_equal(xg_id_count(a), before + 1);
	assert_true(ep_known(a, &ds, "ep/1"));
	assert_true(ep_known(a, &ds, "ep/2"));
	assert_true(ep_known(a, &ds, "ep/3"));
	assert_false(ep_known(a, &ds, "ep/4"));
	/* asked again: nothing new */
	assert_int_equal(xgd_id_batch(a, &ds, &e), 0);
	assert_int_equal(xg_id_count(a), before + 1);
	/* and the numbers survive a reopen: they were written */
	xg_id_alloc_close(a);
	a = open_ok(d->state);
	assert_int_equal(xg_id_count(a), before + 1);
	assert_true(ep_known(a, &ds, "ep/2"));
	xg_id_alloc_close(a);
	xg_docstore_free(&ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_labels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lowest_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_10k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
