/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The regex flavour of L7 rules (`method`, `path`, `host`): Hyperscan's
 * PCRE subset, each regex matching the whole value.  Shared by the
 * policy compiler, which refuses a document whose regex does not
 * compile, and the matcher (match.h), which compiles it; this part needs
 * only libhs, so the compiler links it without the fast path.
 *
 * A regex `re` is compiled as `^(?:re)\z` with XG_L7_HS_FLAGS:
 *  - `\z`, not `$`: `$` would also match before a final newline;
 *  - HS_FLAG_SINGLEMATCH: a rule is reported once per scan;
 *  - HS_FLAG_ALLOWEMPTY: `.*` and the like may match an empty value;
 *  - no HS_FLAG_DOTALL: `.` does not match a newline, as in RE2 (what
 *    Cilium's proxy uses).  Method, path and host never hold one.
 */
#ifndef XGATE_FASTPATH_L7_REGEX_H
#define XGATE_FASTPATH_L7_REGEX_H

#include <stddef.h>

#define XG_L7_HS_FLAGS (HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY)

/* "^(?:" re ")\z", malloc'd; NULL when out of memory. */
char *xg_l7_anchored(const char *re, size_t len);

/* 0 when re compiles (as the matcher compiles it); else -EINVAL with
 * Hyperscan's message in msg, or -ENOMEM.  Successes are remembered
 * (process-wide, thread-safe): a recompile of 10,000 policies does not
 * compile their regexes again. */
int xg_l7_regex_check(const char *re, char *msg, size_t msglen);

#endif /* XGATE_FASTPATH_L7_REGEX_H */
