// SPDX-License-Identifier: GPL-2.0-only
/*
 * YAML text -> one value tree per document, from libfyaml's event
 * parser.  libfyaml's own document tree gives no position for a map or a
 * list and no limit on nesting, so we build our own: iteratively (no
 * recursion however deep the input), every node with its line and
 * column, and with the checks that need the raw stream: duplicate keys,
 * keys that are not scalars, anchors, aliases and tags, and the limits
 * of doc.h.  A document's nodes live in chunks freed before the next
 * document is read.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "doc_int.h"

#define CHUNK_SIZE (64u << 10)

struct chunk {
	struct chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

/* An open map or list and where its entries start in `pending`. */
struct frame {
	struct xgd_node *node;
	size_t start;
};

struct xgd_reader {
	const char *buf; /* the input, for single-quoted scalars */
	size_t len;
	struct fy_parser *fyp;
	struct fy_diag *diag;
	struct chunk *chunks;
	/* Entries of every open collection, innermost last; a collection
	 * takes its own when it closes. */
	struct xgd_node **pending;
	size_t n_pending, cap_pending;
	struct frame stack[XG_DOC_MAX_DEPTH];
	int depth;
	size_t nodes;
	int docs; /* documents started */
	int line, col; /* last position seen, for values without one */
	bool done;
};

static void quiet(struct fy_diag *diag, void *user, const char *buf,
		  size_t len)
{
}

int xgd_reader_open(struct xgd_reader **rp, const char *buf, size_t len)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET };
	struct fy_diag_cfg dcfg;
	struct xgd_reader *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* libfyaml prints its diagnostics to stderr unless given a diag
	 * with somewhere else to write; we keep them for the error. */
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = quiet;
	dcfg.colorize = false;
	r->diag = fy_diag_create(&dcfg);
	if (!r->diag)
		goto nomem;
	fy_diag_set_collect_errors(r->diag, true);
	cfg.diag = r->diag;
	r->fyp = fy_parser_create(&cfg);
	if (!r->fyp)
		goto nomem;
	if (fy_parser_set_string(r->fyp, buf, len))
		goto nomem;
	r->line = r->col = 1;
	r->buf = buf;
	r->len = len;
	*rp = r;
	return 0;
nomem:
	xgd_reader_close(r);
	return -ENOMEM;
}

static void free_chunks(struct xgd_reader *r)
{
	while (r->chunks) {
		struct chunk *next = r->chunks->next;

		free(r->chunks);
		r->chunks = next;
	}
}

void xgd_reader_close(struct xgd_reader *r)
{
	if (!r)
		return;
	free_chunks(r);
	free(r->pending);
	if (r->fyp)
		fy_parser_destroy(r->fyp);
	if (r->diag)
		fy_diag_destroy(r->diag);
	free(r);
}

static void *arena_alloc(struct xgd_reader *r, size_t size)
{
	const size_t align = alignof(max_align_t);
	struct chunk *ch = r->chunks;
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (!ch || ch->size - ch->used < size) {
		size_t csize = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;

		ch = malloc(sizeof(*ch) + csize);
		if (!ch)
			return NULL;
		ch->size = csize;
		ch->used = 0;
		/* A big allocation gets a chunk of its own, behind the
		 * current one, so the current one stays in use. */
		if (csize != CHUNK_SIZE && r->chunks) {
			ch->next = r->chunks->next;
			r->chunks->next = ch;
		} else {
			ch->next = r->chunks;
			r->chunks = ch;
		}
	}
	p = ch->data + ch->used;
	ch->used += size;
	return p;
}

/* The path of the entry each open collection is at, for errors raised
 * while reading: frames [0, upto). */
static void set_path(struct xgd_reader *r, struct xgd_ctx *c, int upto)
{
	xgd_pop(c, 0);
	for (int i = 0; i < upto; i++) {
		struct frame *f = &r->stack[i];
		size_t end = i + 1 < r->depth ? r->stack[i + 1].start :
						r->n_pending;
		size_t cnt = end - f->start;
		const struct xgd_node *key;

		if (!cnt)
			break;
		if (f->node->type == XGD_SEQ) {
			xgd_push_idx(c, cnt - 1);
			continue;
		}
		/* Odd: the last entry is a key; even: a value after it. */
		key = r->pending[f->start + ((cnt & 1) ? cnt - 1 : cnt - 2)];
		if (key->type != XGD_SCALAR)
			break;
		xgd_push_key(c, key->text, key->len);
	}
}

static int fail_at(struct xgd_reader *r, struct xgd_ctx *c, int upto,
		   const struct xgd_node *at, const char *what)
{
	set_path(r, c, upto);
	return xgd_fail(c, at, "%s", what);
}

/* An anchor or tag is reported where it is written, before the value;
 * back is 1 for an anchor, whose mark is after its '&'. */
static int fail_tok(struct xgd_reader *r, struct xgd_ctx *c,
		    const struct xgd_node *at, struct fy_token *tok, int back,
		    const char *what)
{
	const struct fy_mark *m = fy_token_start_mark(tok);

	set_path(r, c, r->depth);
	if (!m || m->column < back)
		return xgd_fail(c, at, "%s", what);
	return xgd_fail_pos(c, m->line + 1, m->column + 1 - back, "%s", what);
}

static struct xgd_node *new_node(struct xgd_reader *r, struct xgd_ctx *c,
				 enum xgd_type type, struct fy_event *ev)
{
	const struct fy_mark *m = fy_event_start_mark(ev);
	struct xgd_node *n;

	if (m) {
		r->line = m->line + 1;
		r->col = m->column + 1;
	}
	if (++r->nodes > XG_DOC_MAX_NODES) {
		/* The path of the collection the value was going into. */
		set_path(r, c, r->depth - 1);
		xgd_fail_pos(c, r->line, r->col,
			     "document has more than %u values",
			     XG_DOC_MAX_NODES);
		return NULL;
	}
	n = arena_alloc(r, sizeof(*n));
	if (!n) {
		xgd_nomem(c);
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = r->line;
	n->col = r->col;
	return n;
}

static int push_pending(struct xgd_reader *r, struct xgd_ctx *c,
			struct xgd_node *n)
{
	if (r->n_pending == r->cap_pending) {
		size_t cap = r->cap_pending ? 2 * r->cap_pending : 256;
		void *p = realloc(r->pending, cap * sizeof(*r->pending));

		if (!p)
			return xgd_nomem(c);
		r->pending = p;
		r->cap_pending = cap;
	}
	r->pending[r->n_pending++] = n;
	return 0;
}

/* Hangs n below the innermost open collection, or makes it the root. */
static int attach(struct xgd_reader *r, struct xgd_ctx *c, struct xgd_node *n,
		  const struct xgd_node **root)
{
	struct frame *f;
	size_t cnt, max;

	if (!r->depth) {
		*root = n;
		return 0;
	}
	f = &r->stack[r->depth - 1];
	cnt = r->n_pending - f->start;
	max = f->node->type == XGD_MAP ? 2 * XG_DOC_MAX_ITEMS :
					 XG_DOC_MAX_ITEMS;
	if (cnt >= max) {
		char msg[64];

		snprintf(msg, sizeof(msg), "more than %u entries",
			 XG_DOC_MAX_ITEMS);
		return fail_at(r, c, r->depth - 1, n, msg);
	}
	if (f->node->type == XGD_MAP && !(cnt & 1) && n->type != XGD_SCALAR)
		return fail_at(r, c, r->depth - 1, n,
			       "a key must be a string, not a map or list");
	return push_pending(r, c, n);
}

static int key_cmp(const void *a, const void *b)
{
	const struct xgd_node *x = *(const struct xgd_node *const *)a;
	const struct xgd_node *y = *(const struct xgd_node *const *)b;
	size_t len = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->text, y->text, len);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->col > y->col) - (x->col < y->col);
}

static bool same_key(const struct xgd_node *x, const struct xgd_node *y)
{
	return x->len == y->len && !memcmp(x->text, y->text, x->len);
}

static bool before(const struct xgd_node *x, const struct xgd_node *y)
{
	return x->line < y->line || (x->line == y->line && x->col < y->col);
}

/* A duplicate key would let the second value silently win (or the
 * first, depending on the reader), so neither is taken.  Sorting keeps
 * a 10,000-key map from costing 50 million comparisons. */
static int check_dups(struct xgd_reader *r, struct xgd_ctx *c,
		      const struct xgd_node *map)
{
	const struct xgd_node **keys, *dup = NULL, *first = NULL;

	if (map->n < 2)
		return 0;
	keys = malloc(map->n * sizeof(*keys));
	if (!keys)
		return xgd_nomem(c);
	for (size_t i = 0; i < map->n; i++)
		keys[i] = map->kids[2 * i];
	qsort(keys, map->n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < map->n; i++) {
		if (!same_key(keys[i - 1], keys[i]))
			continue;
		/* Report the duplicate that comes first in the file. */
		if (!dup || before(keys[i], dup)) {
			size_t j = i - 1;

			while (j > 0 && same_key(keys[j - 1], keys[i]))
				j--;
			dup = keys[i];
			first = keys[j];
		}
	}
	if (dup) {
		int line = first->line;

		set_path(r, c, r->depth - 1);
		xgd_push_key(c, dup->text, dup->len);
		free(keys);
		return xgd_fail(c, dup, "duplicate key (first at line %d)",
				line);
	}
	free(keys);
	return 0;
}

static int open_coll(struct xgd_reader *r, struct xgd_ctx *c,
		     struct xgd_node *n, const struct xgd_node **root)
{
	int err = attach(r, c, n, root);

	if (err)
		return err;
	if (r->depth == XG_DOC_MAX_DEPTH) {
		char msg[64];

		snprintf(msg, sizeof(msg), "nested more than %u levels deep",
			 XG_DOC_MAX_DEPTH);
		return fail_at(r, c, r->depth, n, msg);
	}
	r->stack[r->depth].node = n;
	r->stack[r->depth].start = r->n_pending;
	r->depth++;
	return 0;
}

static int close_coll(struct xgd_reader *r, struct xgd_ctx *c)
{
	struct frame *f = &r->stack[r->depth - 1];
	struct xgd_node *n = f->node;
	size_t cnt = r->n_pending - f->start;
	int err = 0;

	if (cnt) {
		n->kids = arena_alloc(r, cnt * sizeof(*n->kids));
		if (!n->kids)
			return xgd_nomem(c);
		memcpy(n->kids, r->pending + f->start, cnt * sizeof(*n->kids));
	}
	n->n = n->type == XGD_MAP ? cnt / 2 : cnt;
	if (n->type == XGD_MAP)
		err = check_dups(r, c, n);
	r->n_pending = f->start;
	r->depth--;
	return err;
}

static bool is_null(const char *s, size_t len)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strlen(nulls[i]) == len && !memcmp(s, nulls[i], len))
			return true;
	return false;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* One line of a single-quoted scalar, '' unescaped; returns the end. */
static char *sq_line(char *out, const char *s, const char *end)
{
	while (s < end) {
		*out++ = *s;
		s += (*s == '\'' && s + 1 < end && s[1] == '\'') ? 2 : 1;
	}
	return out;
}

/*
 * The value of a single-quoted scalar from its raw text (YAML 1.2,
 * 7.3.2): '' is a quote; across lines, blanks around a line break go, a
 * break between two lines becomes a space and each empty line a newline.
 * libfyaml 0.7.12 leaks memory formatting scalars with runs of '', so
 * this one kind is decoded here.  out must hold len bytes.
 */
static size_t sq_decode(char *out, const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	char *o = out;
	int empty = -1; /* -1: on the first line */

	while (p <= end) {
		const char *eol = p, *s = p, *e;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		e = eol;
		if (empty >= 0)
			while (s < e && is_blank(*s))
				s++;
		if (eol < end)
			while (e > s && is_blank(e[-1]))
				e--;
		if (empty >= 0) {
			if (s == e && eol < end) {
				empty++;
				goto next;
			}
			if (!empty)
				*o++ = ' ';
			for (; empty > 0; empty--)
				*o++ = '\n';
		}
		o = sq_line(o, s, e);
		empty = 0;
next:
		if (eol == end)
			break;
		p = eol + 1;
		if (*eol == '\r' && p < end && *p == '\n')
			p++;
	}
	return (size_t)(o - out);
}

static struct xgd_node *new_scalar(struct xgd_reader *r, struct xgd_ctx *c,
				   struct fy_event *ev)
{
	struct fy_token *tok = ev->scalar.value;
	enum fy_node_style style = fy_event_get_node_style(ev);
	const char *text = NULL;
	struct xgd_node *n;
	size_t len = 0;
	char *copy;

	n = new_node(r, c, XGD_SCALAR, ev);
	if (!n)
		return NULL;
	if (tok && style == FYNS_SINGLE_QUOTED) {
		const struct fy_mark *s = fy_token_start_mark(tok);
		const struct fy_mark *e = fy_token_end_mark(tok);

		if (s && e && s->input_pos <= e->input_pos &&
		    e->input_pos <= r->len) {
			len = e->input_pos - s->input_pos;
			copy = arena_alloc(r, len + 1);
			if (!copy) {
				xgd_nomem(c);
				return NULL;
			}
			len = sq_decode(copy, r->buf + s->input_pos, len);
			copy[len] = '\0';
			goto done;
		}
	}
	if (tok)
		text = fy_token_get_text(tok, &len);
	if (!text)
		len = 0;
	copy = arena_alloc(r, len + 1);
	if (!copy) {
		xgd_nomem(c);
		return NULL;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
done:
	n->text = copy;
	n->len = len;
	/* An empty value ("key:") comes with no style at all. */
	n->plain = style == FYNS_PLAIN || style == FYNS_ANY;
	/* libfyaml places a quoted scalar after its opening quote, which is
	 * always on the same line: point at the quote, as an editor would. */
	if ((style == FYNS_SINGLE_QUOTED || style == FYNS_DOUBLE_QUOTED) &&
	    n->col > 1)
		n->col--;
	n->null = n->plain && is_null(copy, len);
	return n;
}

/* The error that stopped libfyaml, as ours: the last one it collected
 * (an ignored directive leaves one before it). */
static int syntax_error(struct xgd_reader *r, struct xgd_ctx *c)
{
	struct fy_diag_error *de = NULL, *next;
	void *it = NULL;
	int line = r->line, col = r->col;
	const char *msg = "not valid YAML";

	while ((next = fy_diag_errors_iterate(r->diag, &it)))
		de = next;
	if (de) {
		if (de->line > 0) {
			line = de->line;
			col = de->column > 0 ? de->column : 1;
		}
		if (de->msg && de->msg[0])
			msg = de->msg;
	}
	xgd_pop(c, 0);
	c->doc = -1; /* the position says where; no document path */
	return xgd_fail_pos(c, line, col, "invalid YAML: %s", msg);
}

static int handle(struct xgd_reader *r, struct xgd_ctx *c, struct fy_event *ev,
		  const struct xgd_node **root, bool *doc_end)
{
	struct xgd_node *n;

	switch (ev->type) {
	case FYET_DOCUMENT_START:
		/* An empty document has only this position ("---"). */
		if (fy_event_start_mark(ev)) {
			r->line = fy_event_start_mark(ev)->line + 1;
			r->col = fy_event_start_mark(ev)->column + 1;
		}
		r->docs++;
		c->doc = r->docs - 1;
		*root = NULL;
		return 0;
	case FYET_DOCUMENT_END:
		*doc_end = true;
		return 0;
	case FYET_STREAM_END:
		r->done = true;
		return 0;
	case FYET_MAPPING_START:
	case FYET_SEQUENCE_START:
		n = new_node(r, c,
			     ev->type == FYET_MAPPING_START ? XGD_MAP : XGD_SEQ,
			     ev);
		if (!n)
			return -EINVAL;
		if (open_coll(r, c, n, root))
			return -EINVAL;
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		return close_coll(r, c);
	case FYET_SCALAR:
		n = new_scalar(r, c, ev);
		if (!n || attach(r, c, n, root))
			return -EINVAL;
		break;
	case FYET_ALIAS:
		n = new_node(r, c, XGD_SCALAR, ev);
		if (!n)
			return -EINVAL;
		n->text = "";
		/* Placed after the '*', like a quoted scalar's quote. */
		if (n->col > 1)
			n->col--;
		return fail_at(r, c, r->depth, n,
			       "anchors and aliases are not supported");
	default:
		return 0;
	}
	/* Anchors exist to be aliased, and tags change what a value means
	 * ("!!str 80"); both are left out of our documents. */
	if (fy_event_get_anchor_token(ev))
		return fail_tok(r, c, n, fy_event_get_anchor_token(ev), 1,
				"anchors and aliases are not supported");
	if (fy_event_get_tag_token(ev))
		return fail_tok(r, c, n, fy_event_get_tag_token(ev), 0,
				"YAML tags are not supported");
	return 0;
}

int xgd_reader_next(struct xgd_reader *r, struct xgd_ctx *c,
		    const struct xgd_node **root)
{
	bool doc_end = false;

	free_chunks(r);
	r->n_pending = 0;
	r->depth = 0;
	r->nodes = 0;
	*root = NULL;
	while (!r->done) {
		struct fy_event *ev = fy_parser_parse(r->fyp);
		int err;

		if (!ev) {
			r->done = true;
			if (fy_parser_get_stream_error(r->fyp))
				return syntax_error(r, c);
			break;
		}
		err = handle(r, c, ev, root, &doc_end);
		fy_parser_event_free(r->fyp, ev);
		if (err)
			return c->oom ? -ENOMEM : -EINVAL;
		if (doc_end)
			return *root ? 1 : 0;
	}
	return 0;
}

int xgd_reader_count_docs(struct xgd_reader *r)
{
	while (!r->done) {
		struct fy_event *ev = fy_parser_parse(r->fyp);

		if (!ev) {
			r->done = true;
			break;
		}
		if (ev->type == FYET_DOCUMENT_START)
			r->docs++;
		else if (ev->type == FYET_STREAM_END)
			r->done = true;
		fy_parser_event_free(r->fyp, ev);
	}
	return r->docs;
}
