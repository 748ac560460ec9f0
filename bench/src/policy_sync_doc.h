/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one policy bench/policy_sync updates: bench-probe, allowing the
 * peer app into the subject app on one TCP port.  Each update moves the
 * port, so each one really changes the compiled policy map (a new entry
 * in, the old one out).  Shared by the probe and the compile timer so
 * both time the same change.  The names come from
 * bench/lib/policy_sync_gen.py --describe.
 */
#ifndef XGATE_BENCH_POLICY_SYNC_DOC_H
#define XGATE_BENCH_POLICY_SYNC_DOC_H

#include <stdio.h>

/* Ports the background documents never use. */
#define PS_PROBE_PORT0 40000u
#define PS_PROBE_PORTS 2u

static inline int ps_probe_doc(char *buf, size_t len, const char *ns,
			       const char *subject, const char *peer,
			       unsigned int port)
{
	return snprintf(buf, len,
			"apiVersion: cilium.io/v2\n"
			"kind: CiliumNetworkPolicy\n"
			"metadata: {name: bench-probe, namespace: %s}\n"
			"spec:\n"
			"  endpointSelector: {matchLabels: {app: %s}}\n"
			"  ingress:\n"
			"  - fromEndpoints: [{matchLabels: {app: %s}}]\n"
			"    toPorts: [{ports: [{port: \"%u\", protocol: TCP}]}]\n",
			ns, subject, peer, port);
}

#endif /* XGATE_BENCH_POLICY_SYNC_DOC_H */
