/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hand-written rule line, until the CiliumNetworkPolicy compiler
 * (issue 4) takes over:
 *
 *   <ingress|egress> <allow|deny> subject=ID [peer=ID|any] [proto=tcp|udp|sctp|icmp|icmpv6|any|NUM]
 *                    [port=N|N-M] [l7=ID] [cookie=ID]
 *
 * e.g. "ingress allow subject=2001 peer=1001 proto=tcp port=8000-8080".
 * `#` starts a comment; blank lines are skipped.
 */
#ifndef XGATE_CTRL_RULE_PARSE_H
#define XGATE_CTRL_RULE_PARSE_H

#include "err.h"
#include "policy_state.h"

/* Returns 1 with *out filled, 0 for a blank/comment line, or -EINVAL
 * with err naming the column and the word. */
int xg_rule_parse(const char *line, struct xg_rule *out, struct xg_err *err);

/* Parses a whole file; rules are appended to a malloc'ed array.  Errors
 * carry the file name, line and column. */
int xg_rules_load(const char *path, struct xg_rule **rules, size_t *n,
		  struct xg_err *err);

#endif /* XGATE_CTRL_RULE_PARSE_H */
