/* SPDX-License-Identifier: GPL-2.0-only */
/* The local API's commands and the metrics page (api.c serves them). */
#ifndef XGATE_CTRL_DAEMON_API_CMDS_H
#define XGATE_CTRL_DAEMON_API_CMDS_H

#include <stdio.h>
#include <json-c/json.h>

#include "daemon.h"

struct json_object *xgd_api_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Answers one request: {"cmd": ..., args}. */
struct json_object *xgd_api_dispatch(struct xgd *d, struct json_object *req);
/* Prometheus text exposition format. */
void xgd_metrics_write(struct xgd *d, FILE *f);

#endif /* XGATE_CTRL_DAEMON_API_CMDS_H */
