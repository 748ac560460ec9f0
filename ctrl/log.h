/* SPDX-License-Identifier: GPL-2.0-only */
/* One levelled logger for userspace; libbpf and libxdp print through it. */
#ifndef XGATE_CTRL_LOG_H
#define XGATE_CTRL_LOG_H

enum xg_log_level { XG_LOG_WARN = 0, XG_LOG_INFO = 1, XG_LOG_DEBUG = 2 };

void xg_log_set_level(enum xg_log_level lvl);
enum xg_log_level xg_log_get_level(void);
void xg_log(enum xg_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Routes libbpf's and libxdp's messages into xg_log. */
void xg_log_hook_libs(void);

#define pr_warn(...) xg_log(XG_LOG_WARN, __VA_ARGS__)
#define pr_info(...) xg_log(XG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xg_log(XG_LOG_DEBUG, __VA_ARGS__)

#endif /* XGATE_CTRL_LOG_H */
