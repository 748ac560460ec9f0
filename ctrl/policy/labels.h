/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Endpoint label sets and Cilium selector semantics.
 *
 * An endpoint's labels are those its document lists plus its namespace,
 * as k8s:io.kubernetes.pod.namespace (Cilium adds the same).  A label
 * written without a source has source "k8s", as Kubernetes labels do.
 * A selector key without a source, or with "any", matches a label of
 * any source; a key with a source matches only that source.
 */
#ifndef XGATE_CTRL_POLICY_LABELS_H
#define XGATE_CTRL_POLICY_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctrl/doc/doc.h"

#define XG_NS_LABEL "io.kubernetes.pod.namespace"

struct xg_label {
	char source[32];
	char name[256];
	char value[256];
};

/* Sorted by (source, name); names unique per source. */
struct xg_label_set {
	struct xg_label *v;
	size_t n;
};

/* The endpoint's labels, with its namespace label. */
int xg_label_set_of_endpoint(const struct xg_endpoint_doc *ep,
			     struct xg_label_set *out);
void xg_label_set_free(struct xg_label_set *s);

/* "k8s:app=web;k8s:io.kubernetes.pod.namespace=default": the canonical
 * text of a label set, the key its identity is allocated under.
 * Returns the length, or -ENOSPC when len is too small. */
int xg_label_set_key(const struct xg_label_set *s, char *buf, size_t len);

/* xg_label_set_key()'s text for xg_label_set_of_endpoint()'s set, built
 * straight from the document: the compiler needs the key of every
 * endpoint but the set of only one endpoint per identity.  Returns the
 * length, -ENOSPC when len is too small, or -ENOMEM. */
int xg_label_key_of_endpoint(const struct xg_endpoint_doc *ep, char *buf,
			     size_t len);

/* Does the selector name the namespace label (so that a namespaced
 * policy's restriction to its namespace does not apply)? */
bool xg_selector_names_namespace(const struct xg_doc_selector *sel);

/* Does the selector select this label set?  ns_restrict, when not NULL,
 * adds "namespace == ns_restrict" unless the selector names the
 * namespace label itself (a namespaced policy's selectors stay in its
 * namespace, as in Cilium). */
bool xg_selector_matches(const struct xg_doc_selector *sel,
			 const struct xg_label_set *s, const char *ns_restrict);

#endif /* XGATE_CTRL_POLICY_LABELS_H */
