/* SPDX-License-Identifier: GPL-2.0-only */
/* What the L7 fast path reports through the local API and the metrics. */
#ifndef XGATE_CTRL_DAEMON_API_L7_H
#define XGATE_CTRL_DAEMON_API_L7_H

#include <stdio.h>
#include <json-c/json.h>

#include "daemon.h"

/* {"cmd": "l7"}: workers, flows, counters, and the last verdicts (at
 * most "events" of them, default 20). */
struct json_object *xgd_api_l7(struct xgd *d, struct json_object *req);
void xgd_metrics_l7(struct xgd *d, FILE *f);

#endif /* XGATE_CTRL_DAEMON_API_L7_H */
