/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The native datapath's entry points and maps, for tests and fuzzing. */
#ifndef XGATE_XDP_NATIVE_DATAPATH_H
#define XGATE_XDP_NATIVE_DATAPATH_H

#include "runtime.h"

/* Test code is built with -DXG_NATIVE_EXTERN, so this declares the
 * maps that datapath.c defines. */
#include "../maps.h"

/* Runs the pipeline on ctx->data..data_end (modified in place). */
int xg_native_run(struct xg_native_ctx *ctx);
/* Empties every map and restores the default config. */
void xg_native_reset(void);

#endif /* XGATE_XDP_NATIVE_DATAPATH_H */
