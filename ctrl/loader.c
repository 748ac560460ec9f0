// SPDX-License-Identifier: GPL-2.0-only
/* Skeleton load, libxdp attach, pinning: see loader.h. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "loader.h"
#include "log.h"
#include "maglev.h"
/* after abi.h (via loader.h): the skeleton names its types */
#include "xdp/xgate.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define XG_PROG_NAME "xgate_xdp"
#define XG_MAX_ATTACH 16

struct xg_datapath {
	struct xgate_bpf *skel;
	struct xdp_program *xprog; /* set once attached through libxdp */
	int loaded;
	__u32 maglev_m;
	int maglev_tmpl_fd; /* inner-map template, -1 when none */
	char pin_root[256];
	struct xg_mapset ms;
	struct xg_mapset_bpf ms_priv;
	struct {
		int ifindex;
		enum xdp_attach_mode mode;
	} attached[XG_MAX_ATTACH];
	int nattached;
};

void xg_loader_opts_default(struct xg_loader_opts *o)
{
	struct xg_config def = XG_CONFIG_DEFAULT;

	memset(o, 0, sizeof(*o));
	o->pin_root = XG_PIN_ROOT_DEFAULT;
	o->cfg = def;
}

int xg_xdp_mode_parse(const char *s, enum xg_xdp_mode *mode)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = XG_XDP_NATIVE;
	else if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		*mode = XG_XDP_GENERIC;
	else if (!strcmp(s, "offload") || !strcmp(s, "hw"))
		*mode = XG_XDP_OFFLOAD;
	else
		return -EINVAL;
	return 0;
}

const char *xg_xdp_mode_str(enum xg_xdp_mode mode)
{
	switch (mode) {
	case XG_XDP_NATIVE:
		return "native";
	case XG_XDP_GENERIC:
		return "generic";
	case XG_XDP_OFFLOAD:
		return "offload";
	}
	return "?";
}

static enum xdp_attach_mode to_libxdp_mode(enum xg_xdp_mode m)
{
	switch (m) {
	case XG_XDP_GENERIC:
		return XDP_MODE_SKB;
	case XG_XDP_OFFLOAD:
		return XDP_MODE_HW;
	default:
		return XDP_MODE_NATIVE;
	}
}

/* The pin root must sit on a bpffs; make the directory if it does not
 * exist yet. */
static int check_pin_root(const char *root, struct xg_err *err)
{
	char parent[256], *slash;
	struct statfs sfs;

	if (!statfs(root, &sfs)) {
		if (sfs.f_type != BPF_FS_MAGIC) {
			xg_err_set(err, root,
				   "not on a bpffs: mount one (mount -t bpf bpf %s) or set the pin root to a directory inside one",
				   root);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(parent, sizeof(parent), "%s", root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		xg_err_set(err, root,
			   "bpffs is not mounted at %s: mount -t bpf bpf %s",
			   parent, parent);
		return -ENOENT;
	}
	if (mkdir(root, 0700) && errno != EEXIST) {
		int e = -errno;

		xg_err_set(err, root, "cannot create pin directory: %s",
			   strerror(-e));
		return e;
	}
	return 0;
}

/* The verdict cache has one slot per hash value: a power of two, or 0
 * for none (the map keeps one slot, never looked up). */
static int set_vcache(struct xg_datapath *dp, __u32 slots, struct xg_err *err)
{
	if (slots & (slots - 1)) {
		xg_err_set(err, "datapath",
			   "verdict cache: %u slots is not a power of two",
			   slots);
		return -EINVAL;
	}
	return bpf_map__set_max_entries(dp->skel->maps.xg_vcache,
					slots ? slots : 1);
}

/* Every inner table of a map-in-map must match the template the program
 * was loaded with, so the table size is fixed per load.  The template is
 * made here rather than resized through bpf_map__inner_map(): libbpf 1.1
 * crashes resizing an inner map (it has no object behind it). */
static int set_maglev_m(struct xg_datapath *dp, __u32 m, struct xg_err *err)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	struct xg_config *cfg = (struct xg_config *)&dp->skel->rodata->xg_cfg;
	int fd;

	if (!m)
		m = XG_MAGLEV_M;
	if (!xg_maglev_is_prime(m) || m > XG_MAGLEV_M_MAX) {
		xg_err_set(err, "maglev_table_size",
			   "must be a prime no larger than %u, got %u",
			   XG_MAGLEV_M_MAX, m);
		return -EINVAL;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "xg_maglev_tmpl", sizeof(__u32),
			    sizeof(struct xg_maglev_block), XG_MAGLEV_BLOCKS(m),
			    &mo);
	if (fd < 0 || bpf_map__set_inner_map_fd(dp->skel->maps.xg_maglev, fd)) {
		int e = fd < 0 ? -errno : -EINVAL;

		if (fd >= 0)
			close(fd);
		xg_err_set(err, "maglev_table_size",
			   "cannot make the Maglev table template: %s",
			   strerror(-e));
		return e;
	}
	dp->maglev_tmpl_fd = fd;
	cfg->maglev_m = m;
	dp->maglev_m = m;
	return 0;
}

/* The pinned runtime entry says which table size the pinned service
 * tables were built with; a load with another would make every existing
 * table unusable (and the kernel refuses inner maps of another size). */
static int check_pinned_maglev_m(struct xg_datapath *dp, struct xg_err *err)
{
	const char *path = bpf_map__pin_path(dp->skel->maps.xg_runtime);
	struct xg_runtime rt = {};
	__u32 zero = 0;
	int fd, ret = 0;

	if (!path)
		return 0;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!bpf_map_lookup_elem(fd, &zero, &rt) && rt.maglev_m &&
	    rt.maglev_m != dp->maglev_m) {
		xg_err_set(err, "maglev_table_size",
			   "the pinned service tables under %s have %u slots, this load wants %u: keep the old size, or detach and remove the pins",
			   dp->pin_root, rt.maglev_m, dp->maglev_m);
		ret = -EINVAL;
	}
	close(fd);
	return ret;
}

/* Tells the control plane (this one and xgatectl's) the table size. */
static int publish_maglev_m(struct xg_datapath *dp, struct xg_err *err)
{
	int fd = bpf_map__fd(dp->skel->maps.xg_runtime);
	struct xg_runtime rt = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &rt) && errno != ENOENT)
		goto fail;
	rt.maglev_m = dp->maglev_m;
	if (bpf_map_update_elem(fd, &zero, &rt, 0))
		goto fail;
	return 0;
fail:
	xg_err_set(err, XG_MAP_RUNTIME, "cannot record the Maglev table size: %s",
		   strerror(errno));
	return -errno;
}

static void fill_mapset(struct xg_datapath *dp)
{
	struct xgate_bpf *s = dp->skel;

	for (int i = 0; i < XG_M__MAX; i++)
		dp->ms_priv.fd[i] = -1;
	dp->ms_priv.fd[XG_M_IPCACHE] = bpf_map__fd(s->maps.xg_ipcache);
	dp->ms_priv.fd[XG_M_IPHOST] = bpf_map__fd(s->maps.xg_iphost);
	dp->ms_priv.fd[XG_M_POLICY] = bpf_map__fd(s->maps.xg_policy);
	dp->ms_priv.fd[XG_M_CT] = bpf_map__fd(s->maps.xg_ct);
	dp->ms_priv.fd[XG_M_DENYCACHE] = bpf_map__fd(s->maps.xg_denycache);
	dp->ms_priv.fd[XG_M_FRAG] = bpf_map__fd(s->maps.xg_frag);
	dp->ms_priv.fd[XG_M_RUNTIME] = bpf_map__fd(s->maps.xg_runtime);
	dp->ms_priv.fd[XG_M_DROPS] = bpf_map__fd(s->maps.xg_drops);
	dp->ms_priv.fd[XG_M_VERDICTS] = bpf_map__fd(s->maps.xg_verdicts);
	dp->ms_priv.fd[XG_M_TXPORTS] = bpf_map__fd(s->maps.xg_txports);
	dp->ms_priv.fd[XG_M_XSKS] = bpf_map__fd(s->maps.xg_xsks);
	dp->ms_priv.fd[XG_M_IFSLOTS] = bpf_map__fd(s->maps.xg_ifslots);
	dp->ms_priv.fd[XG_M_SVC] = bpf_map__fd(s->maps.xg_svc);
	dp->ms_priv.fd[XG_M_BACKENDS] = bpf_map__fd(s->maps.xg_backends);
	dp->ms_priv.fd[XG_M_REVNAT] = bpf_map__fd(s->maps.xg_revnat);
	dp->ms_priv.fd[XG_M_SVCFLOW] = bpf_map__fd(s->maps.xg_svcflow);
	dp->ms_priv.fd[XG_M_MAGLEV] = bpf_map__fd(s->maps.xg_maglev);
	xg_mapset_bpf_init(&dp->ms, &dp->ms_priv);
}

int xg_dp_open(const struct xg_loader_opts *o, struct xg_datapath **out,
	       struct xg_err *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct xg_datapath *dp;
	const char *root = o->pin_root ? o->pin_root : XG_PIN_ROOT_DEFAULT;
	int ret;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->maglev_tmpl_fd = -1;
	xg_log_hook_libs();
	snprintf(dp->pin_root, sizeof(dp->pin_root), "%s", root);
	if (root[0]) {
		ret = check_pin_root(root, err);
		if (ret)
			goto fail;
		oo.pin_root_path = dp->pin_root;
	}

	dp->skel = xgate_bpf__open_opts(&oo);
	if (!dp->skel) {
		ret = -errno;
		xg_err_set(err, "datapath", "cannot open the XDP object: %s",
			   strerror(-ret));
		goto fail;
	}
	memcpy((void *)&dp->skel->rodata->xg_cfg, &o->cfg, sizeof(o->cfg));
#define SET_MAX(field, map)                                                    \
	do {                                                                   \
		if (o->field)                                                  \
			bpf_map__set_max_entries(dp->skel->maps.map, o->field); \
	} while (0)
	SET_MAX(ipcache_max, xg_ipcache);
	SET_MAX(ipcache_max, xg_iphost);
	SET_MAX(policy_max, xg_policy);
	SET_MAX(ct_max, xg_ct);
	SET_MAX(denycache_max, xg_denycache);
	SET_MAX(frag_max, xg_frag);
	SET_MAX(svc_max, xg_svc);
	SET_MAX(svc_max, xg_revnat);
	SET_MAX(svc_max, xg_maglev);
	SET_MAX(backends_max, xg_backends);
#undef SET_MAX
	ret = set_vcache(dp, o->cfg.vcache_slots, err);
	if (ret)
		goto fail_skel;
	ret = set_maglev_m(dp, o->cfg.maglev_m, err);
	if (ret)
		goto fail_skel;
	if (!root[0]) {
		struct bpf_map *m;

		bpf_object__for_each_map(m, dp->skel->obj)
			bpf_map__set_pin_path(m, NULL);
	}
	/* The kernel adds BPF_F_RDONLY_PROG to every devmap but refuses it
	 * at creation, and libbpf 1.1 compares flags exactly, so a pinned
	 * devmap could never be reused.  It is derived state (the legs we
	 * attach to), rebuilt on every attach, so it is not pinned. */
	bpf_map__set_pin_path(dp->skel->maps.xg_txports, NULL);
	/* Derived state too, valid for one policy revision at a time; and
	 * its size may change with any restart. */
	bpf_map__set_pin_path(dp->skel->maps.xg_vcache, NULL);
	*out = dp;
	return 0;
fail_skel:
	xgate_bpf__destroy(dp->skel);
	if (dp->maglev_tmpl_fd >= 0)
		close(dp->maglev_tmpl_fd);
fail:
	free(dp);
	return ret;
}

/* A pinned map that differs from what this load defines would make
 * libbpf refuse the load with a bare EINVAL.  Say which map and what
 * differs, before trying. */
static int check_pinned_compat(struct xg_datapath *dp, struct xg_err *err)
{
	struct bpf_map *m;
	int ret = check_pinned_maglev_m(dp, err);

	if (ret)
		return ret;
	bpf_object__for_each_map(m, dp->skel->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		const char *path = bpf_map__pin_path(m);
		int fd;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* not pinned yet: it will be created */
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		if (info.type != bpf_map__type(m) ||
		    info.key_size != bpf_map__key_size(m) ||
		    info.value_size != bpf_map__value_size(m)) {
			xg_err_set(err, path,
				   "pinned map has another layout (an older xgate?): remove it to start that table empty");
			return -EINVAL;
		}
		if (info.max_entries != bpf_map__max_entries(m)) {
			xg_err_set(err, path,
				   "pinned map has another size (%u entries, this load wants %u): keep the old size, or remove it to start that table empty",
				   info.max_entries, bpf_map__max_entries(m));
			return -EINVAL;
		}
		if (info.map_flags != bpf_map__map_flags(m)) {
			xg_err_set(err, path,
				   "pinned map has other flags (0x%x, this load wants 0x%x): remove it to start that table empty",
				   info.map_flags, bpf_map__map_flags(m));
			return -EINVAL;
		}
	}
	return 0;
}

static int explain_load_error(struct xg_datapath *dp, int ret,
			      struct xg_err *err)
{
	if (ret == -EINVAL && dp->pin_root[0])
		xg_err_set(err, dp->pin_root,
			   "loading failed (%s); if a pinned map there has another size or layout (e.g. map sizes changed in the config), remove it or keep the old setting",
			   strerror(-ret));
	else if (ret == -EPERM)
		xg_err_set(err, "datapath",
			   "loading failed: permission denied (needs root or CAP_BPF+CAP_NET_ADMIN)");
	else
		xg_err_set(err, "datapath", "loading the XDP program failed: %s",
			   strerror(-ret));
	return ret;
}

int xg_dp_load(struct xg_datapath *dp, struct xg_err *err)
{
	int ret;

	if (dp->loaded)
		return 0;
	ret = check_pinned_compat(dp, err);
	if (ret)
		return ret;
	ret = xgate_bpf__load(dp->skel);
	if (ret)
		return explain_load_error(dp, ret < 0 ? ret : -errno, err);
	dp->loaded = 1;
	fill_mapset(dp);
	return publish_maglev_m(dp, err);
}

int xg_dp_attach(struct xg_datapath *dp, const char *ifname,
		 enum xg_xdp_mode mode, struct xg_err *err)
{
	enum xdp_attach_mode xmode = to_libxdp_mode(mode);
	int ifindex, ret;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		xg_err_set(err, ifname, "interface does not exist");
		return -ENODEV;
	}
	if (dp->nattached == XG_MAX_ATTACH) {
		xg_err_set(err, ifname, "too many interfaces (max %d)",
			   XG_MAX_ATTACH);
		return -E2BIG;
	}
	if (dp->loaded && !dp->xprog) {
		xg_err_set(err, ifname,
			   "this handle loaded the program for test runs; open another to attach");
		return -EBUSY;
	}
	if (!dp->xprog) {
		DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = dp->skel->obj,
				    .prog_name = XG_PROG_NAME);

		ret = check_pinned_compat(dp, err);
		if (ret)
			return ret;

		dp->xprog = xdp_program__create(&xo);
		ret = (int)libxdp_get_error(dp->xprog);
		if (ret) {
			dp->xprog = NULL;
			xg_err_set(err, "datapath",
				   "cannot prepare the program for libxdp: %s",
				   strerror(-ret));
			return ret;
		}
	}
	ret = xdp_program__attach(dp->xprog, ifindex, xmode, 0);
	if (ret) {
		if (ret == -EOPNOTSUPP || (ret == -EINVAL && mode == XG_XDP_OFFLOAD))
			xg_err_set(err, ifname,
				   "XDP mode '%s' is not supported by this interface's driver; try mode generic",
				   xg_xdp_mode_str(mode));
		else if (ret == -EEXIST || ret == -EBUSY)
			xg_err_set(err, ifname,
				   "another XDP program is attached in a way that cannot be shared (%s); detach it or use libxdp",
				   strerror(-ret));
		else
			xg_err_set(err, ifname, "attaching XDP (%s mode) failed: %s",
				   xg_xdp_mode_str(mode), strerror(-ret));
		return ret;
	}
	if (!dp->loaded) {
		dp->loaded = 1;
		fill_mapset(dp);
		ret = publish_maglev_m(dp, err);
		if (ret)
			return ret;
	}
	dp->attached[dp->nattached].ifindex = ifindex;
	dp->attached[dp->nattached].mode = xmode;
	dp->nattached++;
	pr_info("attached to %s (%s mode)\n", ifname, xg_xdp_mode_str(mode));
	return 0;
}

int xg_dp_detach(struct xg_datapath *dp, const char *ifname,
		 struct xg_err *err)
{
	int ifindex = (int)if_nametoindex(ifname);

	for (int i = 0; dp->xprog && i < dp->nattached; i++) {
		int ret;

		if (dp->attached[i].ifindex != ifindex)
			continue;
		ret = xdp_program__detach(dp->xprog, ifindex,
					  dp->attached[i].mode, 0);
		if (ret) {
			xg_err_set(err, ifname, "detaching failed: %s",
				   strerror(-ret));
			return ret;
		}
		dp->attached[i] = dp->attached[--dp->nattached];
		return 0;
	}
	return xg_dp_detach_ifname(ifname, err);
}

int xg_dp_detach_ifname(const char *ifname, struct xg_err *err)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ifindex, ret = -ENOENT;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		xg_err_set(err, ifname, "interface does not exist");
		return -ENODEV;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp)) {
		xg_err_set(err, ifname, "no XDP program attached");
		return -ENOENT;
	}
	for (p = xdp_multiprog__next_prog(NULL, mp); p;
	     p = xdp_multiprog__next_prog(p, mp)) {
		if (strcmp(xdp_program__name(p), XG_PROG_NAME))
			continue;
		ret = xdp_program__detach(p, ifindex,
					  xdp_multiprog__attach_mode(mp), 0);
		break;
	}
	if (ret == -ENOENT && xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XG_PROG_NAME))
			ret = xdp_multiprog__detach(mp);
	}
	xdp_multiprog__close(mp);
	if (ret == -ENOENT)
		xg_err_set(err, ifname, "xgate is not attached here");
	else if (ret)
		xg_err_set(err, ifname, "detaching failed: %s", strerror(-ret));
	return ret;
}

int xg_dp_attached_here(const char *ifname)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ifindex = (int)if_nametoindex(ifname), found = 0;

	if (!ifindex)
		return -ENODEV;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp))
		return 0;
	for (p = xdp_multiprog__next_prog(NULL, mp); p && !found;
	     p = xdp_multiprog__next_prog(p, mp))
		found = !strcmp(xdp_program__name(p), XG_PROG_NAME);
	if (!found && xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		found = p && !strcmp(xdp_program__name(p), XG_PROG_NAME);
	}
	xdp_multiprog__close(mp);
	return found;
}

int xg_dp_prog_fd(const struct xg_datapath *dp)
{
	return dp->loaded ? bpf_program__fd(dp->skel->progs.xgate_xdp) : -1;
}

int xg_dp_map_fd(const struct xg_datapath *dp, enum xg_map_id m)
{
	return dp->loaded ? dp->ms_priv.fd[m] : -1;
}

int xg_dp_events_fd(const struct xg_datapath *dp)
{
	return dp->loaded ? bpf_map__fd(dp->skel->maps.xg_events) : -1;
}

struct xg_mapset *xg_dp_maps(struct xg_datapath *dp)
{
	return dp->loaded ? &dp->ms : NULL;
}

void xg_dp_close(struct xg_datapath *dp)
{
	if (!dp)
		return;
	/* xdp_program__close does not detach; the dispatcher keeps its
	 * reference to the program. */
	xdp_program__close(dp->xprog);
	xgate_bpf__destroy(dp->skel);
	if (dp->maglev_tmpl_fd >= 0)
		close(dp->maglev_tmpl_fd);
	free(dp);
}

static const char *const pinned_names[XG_M__MAX] = {
	[XG_M_IPCACHE] = XG_MAP_IPCACHE,     [XG_M_POLICY] = XG_MAP_POLICY,
	[XG_M_CT] = XG_MAP_CT,               [XG_M_DENYCACHE] = XG_MAP_DENYCACHE,
	[XG_M_FRAG] = XG_MAP_FRAG,           [XG_M_RUNTIME] = XG_MAP_RUNTIME,
	[XG_M_DROPS] = XG_MAP_DROPS,         [XG_M_VERDICTS] = XG_MAP_VERDICTS,
	[XG_M_TXPORTS] = XG_MAP_TXPORTS,     [XG_M_XSKS] = XG_MAP_XSKS,
	[XG_M_IFSLOTS] = XG_MAP_IFSLOTS,
	[XG_M_SVC] = XG_MAP_SVC,             [XG_M_BACKENDS] = XG_MAP_BACKENDS,
	[XG_M_REVNAT] = XG_MAP_REVNAT,       [XG_M_SVCFLOW] = XG_MAP_SVCFLOW,
	[XG_M_MAGLEV] = XG_MAP_MAGLEV,       [XG_M_IPHOST] = XG_MAP_IPHOST,
};

int xg_maps_open_pinned(const char *pin_root, struct xg_mapset *ms,
			struct xg_mapset_bpf *priv, struct xg_err *err)
{
	char path[512];

	if (!pin_root)
		pin_root = XG_PIN_ROOT_DEFAULT;
	for (int i = 0; i < XG_M__MAX; i++)
		priv->fd[i] = -1;
	for (int i = 0; i < XG_M__MAX; i++) {
		if (i == XG_M_TXPORTS)
			continue; /* not pinned: see xg_dp_open */
		snprintf(path, sizeof(path), "%s/%s", pin_root, pinned_names[i]);
		priv->fd[i] = bpf_obj_get(path);
		if (priv->fd[i] < 0) {
			int ret = -errno;

			xg_err_set(err, path,
				   "cannot open pinned map (%s): is the datapath loaded with this pin root?",
				   strerror(-ret));
			xg_maps_close_pinned(priv);
			return ret;
		}
	}
	xg_mapset_bpf_init(ms, priv);
	return 0;
}

void xg_maps_close_pinned(struct xg_mapset_bpf *priv)
{
	for (int i = 0; i < XG_M__MAX; i++) {
		if (priv->fd[i] >= 0)
			close(priv->fd[i]);
		priv->fd[i] = -1;
	}
}
