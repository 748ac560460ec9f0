/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The file kvstore: a directory of YAML/JSON documents (*.yaml, *.yml,
 * *.json; subdirectories too; hidden and editor backup files ignored),
 * watched with inotify.  A file's key is its path under the directory.
 * It starts with a full resync, then sends a PUT when a file is written
 * and closed or moved in, a DEL when it is deleted or moved out.  Files
 * written in place are read when closed, so a half-written file is not
 * taken for a bad one; writing to a temporary name and renaming it is
 * the atomic way.
 */
#ifndef XGATE_CTRL_DAEMON_STORE_FILE_H
#define XGATE_CTRL_DAEMON_STORE_FILE_H

#include "evq.h"

struct xg_store_file;

/* Starts the watcher thread on dir; events go to q. */
int xg_store_file_start(const char *dir, struct xg_evq *q,
			struct xg_store_file **out);
/* Queues a full resync (SIGHUP, or after an inotify overflow). */
void xg_store_file_resync(struct xg_store_file *s);
void xg_store_file_stop(struct xg_store_file *s);

#endif /* XGATE_CTRL_DAEMON_STORE_FILE_H */
