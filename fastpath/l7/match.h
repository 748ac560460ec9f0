/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The L7 rule matcher: is this HTTP request allowed by this L7 ruleset?
 *
 * Semantics (DESIGN.md, "Control plane"; docs/policy.md): the rules of a
 * set are ORed, the fields of a rule ANDed; `method`, `path` and `host`
 * are regexes that must match the whole value (regex.h has the flavour);
 * a header "Name" must be present, "Name: value" present with exactly
 * that value (name case-insensitive, value case-sensitive; one of the
 * request's headers of that name must have it); a rule without any
 * field allows every request; a set without rules allows none.  A field
 * the request lacks (NULL) matches no regex; an empty one ("") is a
 * value like any other.
 *
 * Cost.  Per set and field, the distinct regexes are split into a
 * literal prefix and the rest (`/api/v1/svc7/items/[0-9]+` into
 * `/api/v1/svc7/items/` and `[0-9]+`).  A request's value is hashed
 * once, byte by byte; at each length some prefix has, one table lookup
 * finds the prefix; the rests after it are one Hyperscan database
 * (block mode, every pattern anchored `^(?:rest)\z`), shared by every
 * prefix with the same rests.  Regexes without a usable prefix (a
 * top-level `|`, a leading `(` or `.`, ...) are one more database,
 * scanned over the whole value.  A request costs the hashing, the
 * lookups, and the scans of the prefixes it has (typically one), and
 * then O(1) per rule a matched regex names: a rule is checked from the
 * one field whose regex it shares with the fewest rules, against
 * generation-stamped per-worker marks of the other fields' regexes, so
 * nothing is cleared per request.  It does not grow with the number of
 * rules.  (A single database of 10,000 anchored path regexes scans 20
 * times slower than one of one regex, and takes 13 s to compile; here
 * the 10,000 share one database of `[0-9]+`.)
 *
 * Tables.  A table holds every ruleset of one compiled state, sorted by
 * id, and per worker a Hyperscan scratch (allocated for every database
 * of the table) and the mark arrays.  The control thread builds one;
 * the fast path publishes it with rcu_assign_pointer and frees the old
 * one after a grace period.  Sets are refcounted and shared between
 * tables: building from a previous table reuses each of its sets whose
 * id and rules are unchanged, so a change to one ruleset compiles that
 * one only.  Tables and sets are read-only once built; a worker may
 * only use its own worker index, and one table at a time.
 */
#ifndef XGATE_FASTPATH_L7_MATCH_H
#define XGATE_FASTPATH_L7_MATCH_H

#include <stddef.h>
#include <linux/types.h>

#include "ctrl/err.h"
#include "ctrl/policy/compile.h"
#include "fastpath/l7/regex.h"

struct xg_l7_hdr {
	const char *name;
	size_t name_n;
	const char *value;
	size_t value_n;
};

/* A parsed request head.  NULL: the request has no such field. */
struct xg_l7_request {
	const char *method;
	size_t method_n;
	const char *path;
	size_t path_n;
	const char *host;
	size_t host_n;
	const struct xg_l7_hdr *hdrs;
	size_t n_hdrs;
};

struct xg_l7_set;
struct xg_l7_table;

/* A table of rs[0..n) (any order; an id given twice must have the same
 * rules both times, and is kept once) with n_workers workers (>= 1).
 * prev, if not NULL, is a table whose unchanged sets are shared rather
 * than compiled again; it stays valid and is freed on its own.  NULL on
 * error, with err naming the ruleset and rule. */
struct xg_l7_table *xg_l7_table_build(const struct xg_l7_ruleset *rs, size_t n,
				      unsigned n_workers,
				      const struct xg_l7_table *prev,
				      struct xg_err *err);
void xg_l7_table_free(struct xg_l7_table *t);

size_t xg_l7_table_size(const struct xg_l7_table *t);
unsigned xg_l7_table_workers(const struct xg_l7_table *t);

/* The set with this id, or NULL (the caller denies). */
const struct xg_l7_set *xg_l7_table_find(const struct xg_l7_table *t, __u32 id);

__u32 xg_l7_set_id(const struct xg_l7_set *s);
size_t xg_l7_set_rules(const struct xg_l7_set *s);

/* 1 allowed (by rule *rule, an index in the ruleset), 0 denied (also
 * when s is NULL), <0 error (scan failure: treated as deny by the
 * caller).  s must come from t; worker < the table's workers, used by
 * one thread at a time. */
int xg_l7_match(const struct xg_l7_table *t, unsigned worker,
		const struct xg_l7_set *s, const struct xg_l7_request *rq,
		int *rule);

/* Every rule that allows rq, ascending, up to max in rules; returns how
 * many there are, or <0 on error.  For explaining a verdict and for
 * tests; the fast path wants xg_l7_match, which stops at the first. */
int xg_l7_match_all(const struct xg_l7_table *t, unsigned worker,
		    const struct xg_l7_set *s, const struct xg_l7_request *rq,
		    int *rules, size_t max);

#endif /* XGATE_FASTPATH_L7_MATCH_H */
