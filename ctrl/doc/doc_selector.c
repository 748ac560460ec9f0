// SPDX-License-Identifier: GPL-2.0-only
/*
 * Endpoint selectors (endpointSelector, fromEndpoints, toEndpoints):
 * matchLabels and matchExpressions, as Kubernetes label selectors.
 */
#include <errno.h>
#include <string.h>

#include "doc_int.h"

static const struct {
	const char *name;
	enum xg_doc_sel_op op;
	bool values; /* takes values (else must have none) */
} ops[] = {
	{ "In", XG_SEL_IN, true },
	{ "NotIn", XG_SEL_NOT_IN, true },
	{ "Exists", XG_SEL_EXISTS, false },
	{ "DoesNotExist", XG_SEL_DOES_NOT_EXIST, false },
};

static int expr(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	static const char *const keys[] = { "key", "operator", "values", NULL };
	struct xg_doc_sel_expr *e = elem;
	const struct xgd_node *op;
	char buf[48];
	size_t mark, i;
	int err;

	e->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "key");
	if (!err) {
		mark = xgd_push_key(c, "key", 3);
		err = xgd_label_key(c, xgd_get(n, "key"), &e->k);
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_require(c, n, "operator");
	if (err)
		return err;
	op = xgd_get(n, "operator");
	mark = xgd_push_key(c, "operator", 8);
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (xgd_is(op, ops[i].name))
			break;
	if (i == ARRAY_SIZE(ops))
		err = xgd_fail(c, op,
			       "must be In, NotIn, Exists or DoesNotExist, got '%s'",
			       xgd_show(op, buf, sizeof(buf)));
	xgd_pop(c, mark);
	if (err)
		return err;
	e->op = ops[i].op;
	err = xgd_field_strs(c, n, "values", &e->values, &e->n_values);
	if (err)
		return err;
	mark = xgd_push_key(c, "values", 6);
	/* Kubernetes rejects both: In with nothing matches nothing, and
	 * values given to Exists would be ignored. */
	if (ops[i].values && !e->n_values)
		err = xgd_fail(c, n, "operator %s needs at least one value",
			       ops[i].name);
	else if (!ops[i].values && e->n_values)
		err = xgd_fail(c, xgd_get(n, "values"),
			       "must be empty with operator %s", ops[i].name);
	xgd_pop(c, mark);
	for (size_t j = 0; j < e->n_values && !err; j++) {
		mark = xgd_push_key(c, "values", 6);
		xgd_push_idx(c, j);
		err = xgd_label_value(c, xgd_get(n, "values")->kids[j],
				      e->values[j]);
		xgd_pop(c, mark);
	}
	return err;
}

int xgd_selector(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		 void *arg)
{
	static const char *const keys[] = { "matchLabels", "matchExpressions",
					     NULL };
	struct xg_doc_selector *s = elem;
	int err;

	s->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_label_map(c, n, "matchLabels", &s->labels,
				    &s->n_labels);
	if (!err)
		err = xgd_field_list(c, n, "matchExpressions", sizeof(*s->exprs),
				     expr, NULL, (void **)&s->exprs,
				     &s->n_exprs);
	return err;
}
