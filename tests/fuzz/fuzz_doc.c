// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the document parser (ctrl/doc/): the input is a
 * file's bytes.  Beyond "no sanitizer report, no leak": the answer is 0
 * or -EINVAL; an error names the file, says something, and leaves the
 * set empty; a parsed set holds only what doc.h promises (names, counts
 * that match arrays, positions, ranges, exceptions inside their CIDR,
 * selector operators with the right values), and parsing the same bytes
 * again gives the same answer.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/doc/doc.h"
#include "xdp/abi.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#define NAME "fuzz.yaml"

static void check_loc(struct xg_doc_loc l)
{
	CHECK(l.line >= 1 && l.col >= 1);
}

static void check_str(const char *s)
{
	CHECK(s != NULL);
	(void)strlen(s);
}

static void check_prefix(const struct xg_prefix *p)
{
	unsigned max;

	CHECK(p->family == XG_FAMILY_V4 || p->family == XG_FAMILY_V6);
	max = p->family == XG_FAMILY_V4 ? 32 : 128;
	CHECK(p->len <= max);
	for (unsigned bit = p->len; bit < 128; bit++)
		CHECK(!(p->addr[bit / 8] & (0x80 >> (bit % 8))));
}

static void check_addr(const struct xg_doc_addr *a)
{
	check_prefix(&a->addr);
	CHECK(a->addr.len == (a->addr.family == XG_FAMILY_V4 ? 32 : 128));
	check_loc(a->loc);
}

static void check_label(const struct xg_doc_label *l)
{
	size_t slen;

	check_str(l->k.key);
	check_str(l->k.source);
	check_str(l->k.name);
	check_str(l->value);
	CHECK(l->k.name[0]);
	slen = strlen(l->k.source);
	/* key is source:name, or name alone. */
	if (slen)
		CHECK(!strncmp(l->k.key, l->k.source, slen) &&
		      l->k.key[slen] == ':' &&
		      !strcmp(l->k.key + slen + 1, l->k.name));
	else
		CHECK(!strcmp(l->k.key, l->k.name));
	check_loc(l->loc);
}

static void check_selector(const struct xg_doc_selector *s)
{
	check_loc(s->loc);
	CHECK(!s->n_labels || s->labels);
	CHECK(!s->n_exprs || s->exprs);
	for (size_t i = 0; i < s->n_labels; i++)
		check_label(&s->labels[i]);
	for (size_t i = 0; i < s->n_exprs; i++) {
		const struct xg_doc_sel_expr *e = &s->exprs[i];
		bool takes = e->op == XG_SEL_IN || e->op == XG_SEL_NOT_IN;

		CHECK(e->op <= XG_SEL_DOES_NOT_EXIST);
		CHECK(takes ? e->n_values > 0 : e->n_values == 0);
		for (size_t j = 0; j < e->n_values; j++)
			check_str(e->values[j]);
		check_str(e->k.key);
		check_loc(e->loc);
	}
}

static bool inside(const struct xg_prefix *in, const struct xg_prefix *out)
{
	if (in->family != out->family || in->len < out->len)
		return false;
	for (unsigned bit = 0; bit < out->len; bit++)
		if ((in->addr[bit / 8] ^ out->addr[bit / 8]) &
		    (0x80 >> (bit % 8)))
			return false;
	return true;
}

static void check_peer(const struct xg_doc_peer_rule *r, bool deny)
{
	check_loc(r->loc);
	for (size_t i = 0; i < r->n_endpoints; i++)
		check_selector(&r->endpoints[i]);
	for (size_t i = 0; i < r->n_cidrs; i++) {
		check_prefix(&r->cidrs[i].pfx);
		check_loc(r->cidrs[i].loc);
	}
	for (size_t i = 0; i < r->n_cidr_sets; i++) {
		const struct xg_doc_cidr_rule *cs = &r->cidr_sets[i];

		check_prefix(&cs->cidr.pfx);
		for (size_t j = 0; j < cs->n_except; j++)
			CHECK(inside(&cs->except[j].pfx, &cs->cidr.pfx));
	}
	for (size_t i = 0; i < r->n_entities; i++)
		CHECK(r->entities[i].ent <= XG_ENT_INGRESS);
	for (size_t i = 0; i < r->n_to_ports; i++) {
		const struct xg_doc_port_rule *pr = &r->to_ports[i];

		CHECK(!pr->n_ports || pr->ports);
		for (size_t j = 0; j < pr->n_ports; j++) {
			const struct xg_doc_port *p = &pr->ports[j];

			CHECK(p->end_port >= p->port);
			CHECK(!p->name || (p->port == 0 && p->end_port == 0));
			CHECK(p->proto == 0 || p->proto == IPPROTO_TCP ||
			      p->proto == IPPROTO_UDP ||
			      p->proto == IPPROTO_SCTP);
			if (pr->n_http)
				CHECK(p->proto == IPPROTO_TCP &&
				      (p->port || p->name));
			check_loc(p->loc);
		}
		CHECK(!deny || (!pr->has_http && !pr->n_http));
		CHECK(!pr->n_http || pr->has_http);
		for (size_t j = 0; j < pr->n_http; j++) {
			const struct xg_doc_http_rule *h = &pr->http[j];

			CHECK(!h->method || h->method[0]);
			CHECK(!h->path || h->path[0]);
			for (size_t k = 0; k < h->n_headers; k++)
				CHECK(h->headers[k].name[0]);
			for (size_t k = 0; k < h->n_header_matches; k++)
				check_str(h->header_matches[k].value);
		}
	}
	CHECK(!(r->n_icmps && r->n_to_ports));
	for (size_t i = 0; i < r->n_icmps; i++)
		CHECK(r->icmps[i].family == XG_FAMILY_V4 ||
		      r->icmps[i].family == XG_FAMILY_V6);
}

static void check_set(const struct xg_doc_set *s)
{
	CHECK(s->n_docs >= 1);
	CHECK(s->mem || !(s->n_cnps + s->n_endpoints + s->n_services));
	for (size_t i = 0; i < s->n_cnps; i++) {
		const struct xg_cnp *p = &s->cnps[i];

		check_str(p->name);
		CHECK(p->clusterwide == !p->ns);
		CHECK(p->n_rules >= 1 && p->doc >= 0 && p->doc < s->n_docs);
		for (size_t j = 0; j < p->n_rules; j++) {
			const struct xg_doc_rule *r = &p->rules[j];

			check_selector(&r->subject);
			for (size_t k = 0; k < r->n_ingress; k++)
				check_peer(&r->ingress[k], false);
			for (size_t k = 0; k < r->n_egress; k++)
				check_peer(&r->egress[k], false);
			for (size_t k = 0; k < r->n_ingress_deny; k++)
				check_peer(&r->ingress_deny[k], true);
			for (size_t k = 0; k < r->n_egress_deny; k++)
				check_peer(&r->egress_deny[k], true);
			for (size_t k = 0; k < r->n_labels; k++)
				check_label(&r->labels[k]);
		}
	}
	for (size_t i = 0; i < s->n_endpoints; i++) {
		const struct xg_endpoint_doc *e = &s->endpoints[i];

		check_str(e->name);
		check_str(e->ns);
		CHECK(e->n_addrs >= 1);
		for (size_t j = 0; j < e->n_addrs; j++)
			check_addr(&e->addrs[j]);
		for (size_t j = 0; j < e->n_labels; j++)
			check_label(&e->labels[j]);
		for (size_t j = 0; j < e->n_ports; j++)
			CHECK(e->ports[j].port >= 1 && e->ports[j].name[0]);
	}
	for (size_t i = 0; i < s->n_services; i++) {
		const struct xg_service_doc *v = &s->services[i];

		check_str(v->name);
		CHECK(v->n_addrs >= 1 && v->n_ports >= 1);
		for (size_t j = 0; j < v->n_addrs; j++)
			check_addr(&v->addrs[j]);
		for (size_t j = 0; j < v->n_ports; j++)
			CHECK(v->ports[j].port && v->ports[j].target_port);
		for (size_t j = 0; j < v->n_backends; j++) {
			check_prefix(&v->backends[j].addr);
			CHECK(v->backends[j].weight >= 1);
			CHECK(v->backends[j].state == XG_BE_ACTIVE ||
			      v->backends[j].state == XG_BE_TERMINATING);
		}
		CHECK(v->affinity_timeout_s >= 1 &&
		      v->affinity_timeout_s <= 86400);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xg_doc_set s, again, zero;
	struct xg_err err, err2;
	char buf[512];
	int ret, ret2;

	memset(&zero, 0, sizeof(zero));
	ret = xg_doc_parse_buf(NAME, (const char *)data, size, &s, &err);
	CHECK(ret == 0 || ret == -EINVAL);
	if (ret) {
		CHECK(err.msg[0]);
		CHECK(!strncmp(err.where, NAME, strlen(NAME)));
		CHECK(err.line >= 0 && err.col >= 0);
		CHECK(!memcmp(&s, &zero, sizeof(s)));
		xg_err_str(&err, buf, sizeof(buf));
	} else {
		check_set(&s);
	}

	/* The same bytes, the same answer. */
	ret2 = xg_doc_parse_buf(NAME, (const char *)data, size, &again, &err2);
	CHECK(ret2 == ret);
	if (ret) {
		CHECK(!strcmp(err.where, err2.where) &&
		      !strcmp(err.msg, err2.msg) && err.line == err2.line &&
		      err.col == err2.col);
	} else {
		CHECK(again.n_cnps == s.n_cnps &&
		      again.n_endpoints == s.n_endpoints &&
		      again.n_services == s.n_services &&
		      again.n_docs == s.n_docs);
	}
	xg_doc_set_free(&again);
	xg_doc_set_free(&s);
	CHECK(!memcmp(&s, &zero, sizeof(s)));
	return 0;
}
