// SPDX-License-Identifier: GPL-2.0-only
/*
 * CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy documents:
 * metadata, and the rules of spec and specs (selector, the four
 * sections, enableDefaultDeny, description, labels).
 */
#include <errno.h>
#include <string.h>

#include "doc_int.h"

static const struct xgd_section ingress = { .egress = false, .deny = false };
static const struct xgd_section egress = { .egress = true, .deny = false };
static const struct xgd_section ingress_deny = { .egress = false,
						 .deny = true };
static const struct xgd_section egress_deny = { .egress = true, .deny = true };

static int default_deny(struct xgd_ctx *c, const struct xgd_node *n,
			void *elem, void *arg)
{
	static const char *const keys[] = { "ingress", "egress", NULL };
	struct xg_doc_rule *r = elem;
	int err;

	err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_field_tri(c, n, "ingress", &r->default_deny_ingress);
	if (!err)
		err = xgd_field_tri(c, n, "egress", &r->default_deny_egress);
	return err;
}

/* Cilium writes a rule's labels as a LabelArray: each one either
 * "source:key=value" or {key, value, source}. */
static int rule_label(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		      void *arg)
{
	static const char *const keys[] = { "key", "value", "source", NULL };
	struct xg_doc_label *l = elem;
	const char *s, *key, *src = NULL;
	char *eq;
	int err;

	l->loc = xgd_loc(n);
	l->value = "";
	if (n->type == XGD_SCALAR && !n->null) {
		err = xgd_str(c, n, &s);
		if (err)
			return err;
		eq = strchr(s, '=');
		if (eq) {
			l->value = eq + 1;
			*eq = '\0'; /* our copy: the key ends here */
		}
		err = xgd_lkey_parse(c, n, s, &l->k);
		return err ? err : xgd_label_value(c, n, l->value);
	}
	if (n->type != XGD_MAP)
		return xgd_fail(c, n,
				"must be 'source:key=value' or a map with key, value and source, got %s",
				xgd_type_name(n));
	err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "key");
	if (!err)
		err = xgd_field_str(c, n, "key", &key);
	if (!err)
		err = xgd_field_str(c, n, "source", &src);
	if (!err)
		err = xgd_field_str(c, n, "value", &l->value);
	if (err)
		return err;
	if (src && *src) {
		size_t slen = strlen(src), klen = strlen(key);
		char *full = xgd_alloc(c, slen + 1 + klen + 1);

		if (!full)
			return -ENOMEM;
		memcpy(full, src, slen);
		full[slen] = ':';
		memcpy(full + slen + 1, key, klen);
		key = full;
	}
	err = xgd_lkey_parse(c, xgd_get(n, "key"), key, &l->k);
	return err ? err : xgd_label_value(c, n, l->value);
}

static int section(struct xgd_ctx *c, const struct xgd_node *n,
		   const char *key, const struct xgd_section *sec,
		   struct xg_doc_peer_rule **arr, size_t *count)
{
	return xgd_field_list(c, n, key, sizeof(**arr), xgd_peer_rule,
			      (void *)sec, (void **)arr, count);
}

static int rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	static const char *const keys[] = {
		"endpointSelector", "ingress", "ingressDeny",	    "egress",
		"egressDeny",	    "labels",  "enableDefaultDeny", "description",
		NULL
	};
	struct xg_doc_rule *r = elem;
	const struct xgd_node *k;
	int err;

	r->loc = xgd_loc(n);
	err = xgd_want(c, n, XGD_MAP);
	if (err)
		return err;
	k = xgd_key(n, "nodeSelector");
	if (k) {
		size_t mark = xgd_push_key(c, "nodeSelector", 12);

		err = xgd_fail(c, k,
			       "not supported by xgate: nodeSelector (host policies); select endpoints with endpointSelector");
		xgd_pop(c, mark);
		return err;
	}
	err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "endpointSelector");
	if (!err)
		err = xgd_field_map(c, n, "endpointSelector", xgd_selector,
				    &r->subject, NULL);
	if (!err)
		err = section(c, n, "ingress", &ingress, &r->ingress,
			      &r->n_ingress);
	if (!err)
		err = section(c, n, "ingressDeny", &ingress_deny,
			      &r->ingress_deny, &r->n_ingress_deny);
	if (!err)
		err = section(c, n, "egress", &egress, &r->egress,
			      &r->n_egress);
	if (!err)
		err = section(c, n, "egressDeny", &egress_deny,
			      &r->egress_deny, &r->n_egress_deny);
	if (!err)
		err = xgd_field_map(c, n, "enableDefaultDeny", default_deny, r,
				    NULL);
	if (!err)
		err = xgd_field_str(c, n, "description", &r->description);
	if (!err)
		err = xgd_field_list(c, n, "labels", sizeof(*r->labels),
				     rule_label, NULL, (void **)&r->labels,
				     &r->n_labels);
	return err;
}

int xgd_cnp(struct xgd_ctx *c, const struct xgd_node *doc, bool clusterwide)
{
	static const char *const keys[] = { "apiVersion", "kind",  "metadata",
					    "spec",	  "specs", "status",
					    NULL };
	struct xg_doc_rule *spec = NULL, *specs = NULL;
	size_t n_spec = 0, n_specs = 0;
	struct xg_cnp cnp = {}, *slot;
	struct xgd_meta meta;
	size_t mark;
	int err;

	err = xgd_check_keys(c, doc, keys, NULL);
	if (!err)
		err = xgd_metadata(c, doc, &meta);
	if (err)
		return err;
	if (clusterwide && meta.ns) {
		mark = xgd_push_key(c, "metadata", 8);
		xgd_push_key(c, "namespace", 9);
		err = xgd_fail(c, xgd_key(xgd_get(doc, "metadata"), "namespace"),
			       "a CiliumClusterwideNetworkPolicy has no namespace");
		xgd_pop(c, mark);
		return err;
	}
	cnp.ns = clusterwide ? NULL : meta.ns ? meta.ns : "default";
	err = xgd_seen_name(c, doc,
			    clusterwide ? "CiliumClusterwideNetworkPolicy" :
					  "CiliumNetworkPolicy",
			    cnp.ns, meta.name);
	if (err)
		return err;
	if (xgd_get(doc, "spec")) {
		spec = xgd_alloc(c, sizeof(*spec));
		if (!spec)
			return -ENOMEM;
		n_spec = 1;
		mark = xgd_push_key(c, "spec", 4);
		err = rule(c, xgd_get(doc, "spec"), spec, NULL);
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_field_list(c, doc, "specs", sizeof(*specs), rule, NULL,
				     (void **)&specs, &n_specs);
	if (err)
		return err;
	if (!n_spec && !n_specs) {
		mark = xgd_push_key(c, "spec", 4);
		err = xgd_fail(c, doc,
			       "missing: a policy needs spec or specs with at least one rule");
		xgd_pop(c, mark);
		return err;
	}
	cnp.rules = xgd_alloc_array(c, n_spec + n_specs, sizeof(*cnp.rules));
	if (!cnp.rules)
		return -ENOMEM;
	if (n_spec)
		cnp.rules[0] = *spec;
	if (n_specs)
		memcpy(cnp.rules + n_spec, specs, n_specs * sizeof(*specs));
	cnp.n_rules = n_spec + n_specs;
	cnp.name = meta.name;
	cnp.clusterwide = clusterwide;
	cnp.doc = c->doc;
	cnp.loc = meta.loc;
	slot = xgd_grow(c, (void **)&c->set->cnps, &c->set->n_cnps,
			sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = cnp;
	return 0;
}
