// SPDX-License-Identifier: GPL-2.0-only
/* Levelled logger to stderr, with libbpf/libxdp routed into it. */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum xg_log_level cur_level = XG_LOG_INFO;

void xg_log_set_level(enum xg_log_level lvl)
{
	cur_level = lvl;
}

enum xg_log_level xg_log_get_level(void)
{
	return cur_level;
}

static void vlog(enum xg_log_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "warn", "info", "debug", "trace" };

	if (lvl > cur_level)
		return;
	fprintf(stderr, "xgate: %s: ", tag[lvl]);
	vfprintf(stderr, fmt, ap);
}

void xg_log(enum xg_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's warnings are often expected probes (e.g. a pinned map
	 * being reused); we report failures ourselves, so they are debug. */
	vlog(level == LIBBPF_DEBUG ? XG_LOG_DEBUG + 1 : XG_LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	vlog(level == LIBXDP_DEBUG ? XG_LOG_DEBUG + 1 : XG_LOG_DEBUG, fmt, ap);
	return 0;
}

void xg_log_hook_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
