// SPDX-License-Identifier: GPL-2.0-only
/* struct xg_mapset over kernel map fds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp/abi.h"
#include "mapset.h"

static int bpf_fd(struct xg_mapset_bpf *p, enum xg_map_id m)
{
	return (m >= 0 && m < XG_M__MAX) ? p->fd[m] : -1;
}

static int ms_update(void *priv, enum xg_map_id m, const void *key,
		     const void *val, __u64 flags)
{
	int fd = bpf_fd(priv, m);

	if (fd < 0)
		return -EBADF;
	return bpf_map_update_elem(fd, key, val, flags) ? -errno : 0;
}

static int is_percpu(enum xg_map_id m)
{
	return m == XG_M_DROPS || m == XG_M_VERDICTS;
}

static int sum_counters(struct xg_mapset_bpf *p, int fd, const void *key,
			void *val)
{
	struct xg_counter *pc, *out = val;
	int err = 0;

	pc = calloc((size_t)p->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, pc)) {
		err = -errno;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->ncpus; i++) {
		out->packets += pc[i].packets;
		out->bytes += pc[i].bytes;
	}
out:
	free(pc);
	return err;
}

static int ms_lookup(void *priv, enum xg_map_id m, const void *key, void *val)
{
	struct xg_mapset_bpf *p = priv;
	int fd = bpf_fd(p, m);

	if (fd < 0)
		return -EBADF;
	if (is_percpu(m))
		return sum_counters(p, fd, key, val);
	return bpf_map_lookup_elem(fd, key, val) ? -errno : 0;
}

static int ms_remove(void *priv, enum xg_map_id m, const void *key)
{
	int fd = bpf_fd(priv, m);

	if (fd < 0)
		return -EBADF;
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

/* Collects all keys first, so fn may delete entries as it goes. */
static int ms_walk(void *priv, enum xg_map_id m, xg_map_walk_fn fn, void *arg)
{
	struct xg_mapset_bpf *p = priv;
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info), n = 0, cap = 1024;
	__u8 *keys = NULL, *val = NULL;
	int fd = bpf_fd(p, m), err = 0;
	void *prev = NULL;

	if (fd < 0)
		return -EBADF;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	val = calloc(1, is_percpu(m) ? sizeof(struct xg_counter) :
				       info.value_size);
	keys = malloc((size_t)cap * info.key_size);
	if (!keys || !val) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			__u8 *nk = realloc(keys, (size_t)cap * 2 * info.key_size);

			if (!nk) {
				err = -ENOMEM;
				goto out;
			}
			keys = nk;
			cap *= 2;
		}
		if (bpf_map_get_next_key(fd, prev, keys + (size_t)n * info.key_size)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		prev = keys + (size_t)n * info.key_size;
		n++;
	}
	for (__u32 i = 0; !err && i < n; i++) {
		const void *k = keys + (size_t)i * info.key_size;

		if (ms_lookup(p, m, k, val))
			continue; /* went away meanwhile */
		err = fn(k, val, arg);
	}
out:
	free(keys);
	free(val);
	return err;
}

/* A fresh inner array, filled, then swapped in with one update of the
 * outer map: the datapath sees the old table or the new one, never a
 * half-written one. */
static int ms_set_table(void *priv, enum xg_map_id m, __u32 key,
			const __u32 *vals, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	int outer = bpf_fd(priv, m), inner, err = 0;
	size_t len;
	void *mem;

	if (outer < 0)
		return -EBADF;
	if (!vals)
		return bpf_map_delete_elem(outer, &key) ? -errno : 0;
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xg_maglev_in", sizeof(__u32),
			       sizeof(struct xg_maglev_block),
			       XG_MAGLEV_BLOCKS(n), &opts);
	if (inner < 0)
		return -errno;
	/* One memcpy through a mapping instead of n update syscalls: this is
	 * what keeps a service change well under a millisecond.  The table
	 * is not visible to the datapath until the outer update below. */
	len = (size_t)XG_MAGLEV_BLOCKS(n) * sizeof(struct xg_maglev_block);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, inner, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	/* A new array is zeroed: the tail of the last block stays 0. */
	memcpy(mem, vals, (size_t)n * sizeof(__u32));
	munmap(mem, len);
	if (bpf_map_update_elem(outer, &key, &inner, 0))
		err = -errno;
out:
	close(inner); /* the outer map holds its own reference */
	return err;
}

static const struct xg_mapset_ops bpf_ops = {
	.update = ms_update,
	.lookup = ms_lookup,
	.remove = ms_remove,
	.walk = ms_walk,
	.set_table = ms_set_table,
};

void xg_mapset_bpf_init(struct xg_mapset *ms, struct xg_mapset_bpf *priv)
{
	int n = libbpf_num_possible_cpus();

	priv->ncpus = n > 0 ? n : 1;
	ms->ops = &bpf_ops;
	ms->priv = priv;
}
