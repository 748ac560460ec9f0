/* SPDX-License-Identifier: GPL-2.0-only */
/* xgatectl's commands answered by the daemon (api.c). */
#ifndef XGATE_TOOLS_XGATECTL_API_H
#define XGATE_TOOLS_XGATECTL_API_H

#define XG_SOCKET_DEFAULT "/run/xgate/xgate.sock"

/* Runs argv[0] (status, policy, identity, endpoint, explain) against the
 * daemon at socket.  Returns the exit code: 0, 1 (failed), 2 (usage), or
 * -1 when argv[0] is not one of these. */
int xgctl_api_cmd(const char *socket, int json, int argc, char **argv);
/* Names of the daemon's rule cookies ("default/web ingress[0]" at index
 * cookie - 1), or NULL when no daemon answers. */
char **xgctl_api_origins(const char *socket, size_t *n);

#endif /* XGATE_TOOLS_XGATECTL_API_H */
