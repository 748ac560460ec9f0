// SPDX-License-Identifier: GPL-2.0-only
/* New label sets numbered together; see id_batch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "id_batch.h"
#include "ctrl/policy/hashtab.h"
#include "ctrl/policy/labels.h"

struct wanted {
	char **labels;
	size_t n, cap;
	struct xg_u64map seen; /* hash of a label set -> 1 + index */
};

/* Distinct label sets only: 100,000 endpoints may share 10,000. */
static int want(struct wanted *w, const char *key, size_t len)
{
	__u64 h = xg_hash_bytes(key, len);
	__u32 *slot;
	bool added;

	if (h == XG_U64MAP_EMPTY)
		h = 0;
	slot = xg_u64map_put(&w->seen, h, &added);
	if (!slot)
		return -ENOMEM;
	/* a hash shared by two sets leaves the second to the compile */
	if (!added)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		char **v = realloc(w->labels, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->labels = v;
		w->cap = cap;
	}
	w->labels[w->n] = strndup(key, len);
	if (!w->labels[w->n])
		return -ENOMEM;
	*slot = (__u32)++w->n;
	return 0;
}

long xgd_id_batch(struct xg_id_alloc *a, const struct xg_docstore *docs,
		  struct xg_err *err)
{
	struct wanted w = {};
	char key[4096];
	__u32 id, *ids = NULL;
	long ret = 0;

	for (size_t i = 0; i < docs->n && !ret; i++) {
		const struct xg_doc_set *set = &docs->v[i].set;

		if (!docs->v[i].has_set)
			continue;
		for (size_t e = 0; e < set->n_endpoints && !ret; e++) {
			int len = xg_label_key_of_endpoint(&set->endpoints[e],
							   key, sizeof(key));

			const char *why;

			/* too long, or not a label set: the compile says so,
			 * naming the document */
			if (len == -ENOMEM)
				ret = len;
			else if (len > 0 && !xg_id_known(a, key, &id) &&
				 !xg_id_labels_check(key, &why))
				ret = want(&w, key, (size_t)len);
		}
	}
	if (!ret && w.n) {
		ids = malloc(w.n * sizeof(*ids));
		ret = ids ? xg_id_get_many(a, (const char *const *)w.labels,
					   w.n, ids, err) :
			    -ENOMEM;
	}
	if (ret == -ENOMEM)
		xg_err_set(err, "identity", "out of memory");
	if (!ret)
		ret = (long)w.n;
	for (size_t i = 0; i < w.n; i++)
		free(w.labels[i]);
	free(w.labels);
	free(ids);
	xg_u64map_free(&w.seen);
	return ret;
}
