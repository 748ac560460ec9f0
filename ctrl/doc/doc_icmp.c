// SPDX-License-Identifier: GPL-2.0-only
/*
 * icmps of a rule item: {fields: [{type, family}]}, with Cilium's names
 * for ICMP and ICMPv6 types.  The fields of every icmps entry are ORed,
 * so they are handed out as one flat list.
 */
#include <errno.h>
#include <string.h>

#include "xdp/abi.h"
#include "doc_int.h"

struct icmp_name {
	const char *name;
	__u8 type;
};

/* Cilium's pkg/policy/api/icmp.go tables. */
static const struct icmp_name v4_names[] = {
	{ "EchoReply", 0 },
	{ "DestinationUnreachable", 3 },
	{ "Redirect", 5 },
	{ "Echo", 8 },
	{ "EchoRequest", 8 },
	{ "RouterAdvertisement", 9 },
	{ "RouterSelection", 10 },
	{ "TimeExceeded", 11 },
	{ "ParameterProblem", 12 },
	{ "Timestamp", 13 },
	{ "TimestampReply", 14 },
	{ "Photuris", 40 },
	{ "ExtendedEchoRequest", 42 },
	{ "ExtendedEchoReply", 43 },
};

static const struct icmp_name v6_names[] = {
	{ "DestinationUnreachable", 1 },
	{ "PacketTooBig", 2 },
	{ "TimeExceeded", 3 },
	{ "ParameterProblem", 4 },
	{ "EchoRequest", 128 },
	{ "EchoReply", 129 },
	{ "MulticastListenerQuery", 130 },
	{ "MulticastListenerReport", 131 },
	{ "MulticastListenerDone", 132 },
	{ "RouterSolicitation", 133 },
	{ "RouterAdvertisement", 134 },
	{ "NeighborSolicitation", 135 },
	{ "NeighborAdvertisement", 136 },
	{ "RedirectMessage", 137 },
	{ "RouterRenumbering", 138 },
	{ "ICMPNodeInformationQuery", 139 },
	{ "ICMPNodeInformationResponse", 140 },
	{ "InverseNeighborDiscoverySolicitation", 141 },
	{ "InverseNeighborDiscoveryAdvertisement", 142 },
	{ "HomeAgentAddressDiscoveryRequest", 144 },
	{ "HomeAgentAddressDiscoveryReply", 145 },
	{ "MobilePrefixSolicitation", 146 },
	{ "MobilePrefixAdvertisement", 147 },
	{ "DuplicateAddressRequestCodeSuffix", 157 },
	{ "DuplicateAddressConfirmationCodeSuffix", 158 },
	{ "ExtendedEchoRequest", 160 },
	{ "ExtendedEchoReply", 161 },
};

static int icmp_type(struct xgd_ctx *c, const struct xgd_node *n,
		     struct xg_doc_icmp *f)
{
	const struct icmp_name *names = v4_names;
	size_t count = ARRAY_SIZE(v4_names);
	bool digits = n->len > 0;
	unsigned long v = 0;
	char buf[48];

	if (xgd_want(c, n, XGD_SCALAR))
		return -EINVAL;
	for (size_t i = 0; i < n->len && digits; i++)
		digits = n->text[i] >= '0' && n->text[i] <= '9';
	if (digits) {
		for (size_t i = 0; i < n->len && v <= 255; i++)
			v = v * 10 + (unsigned long)(n->text[i] - '0');
		if (v > 255)
			return xgd_fail(c, n, "must be 0-255, got %s",
					xgd_show(n, buf, sizeof(buf)));
		f->type = (__u8)v;
		return 0;
	}
	if (f->family == XG_FAMILY_V6) {
		names = v6_names;
		count = ARRAY_SIZE(v6_names);
	}
	for (size_t i = 0; i < count; i++) {
		if (xgd_is(n, names[i].name)) {
			f->type = names[i].type;
			return 0;
		}
	}
	return xgd_fail(c, n,
			"must be 0-255 or an %s type name like EchoRequest, got '%s'",
			f->family == XG_FAMILY_V6 ? "ICMPv6" : "ICMP",
			xgd_show(n, buf, sizeof(buf)));
}

static int field(struct xgd_ctx *c, const struct xgd_node *n,
		 struct xg_doc_icmp *f)
{
	static const char *const keys[] = { "type", "family", NULL };
	const struct xgd_node *fam;
	char buf[48];
	size_t mark;
	int err;

	f->loc = xgd_loc(n);
	f->family = XG_FAMILY_V4;
	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (err)
		return err;
	/* The family first: type names differ between the two. */
	fam = xgd_get(n, "family");
	if (fam) {
		mark = xgd_push_key(c, "family", 6);
		if (xgd_is(fam, "IPv6"))
			f->family = XG_FAMILY_V6;
		else if (!xgd_is(fam, "IPv4"))
			err = xgd_fail(c, fam, "must be IPv4 or IPv6, got '%s'",
				       xgd_show(fam, buf, sizeof(buf)));
		xgd_pop(c, mark);
	}
	if (!err)
		err = xgd_require(c, n, "type");
	if (!err) {
		mark = xgd_push_key(c, "type", 4);
		err = icmp_type(c, xgd_get(n, "type"), f);
		xgd_pop(c, mark);
	}
	return err;
}

static int rule(struct xgd_ctx *c, const struct xgd_node *n, void *elem,
		void *arg)
{
	static const char *const keys[] = { "fields", NULL };
	struct xg_doc_peer_rule *out = arg;
	const struct xgd_node *fields;
	size_t mark;
	int err;

	err = xgd_want(c, n, XGD_MAP);
	if (!err)
		err = xgd_check_keys(c, n, keys, NULL);
	if (!err)
		err = xgd_require(c, n, "fields");
	if (err)
		return err;
	fields = xgd_get(n, "fields");
	mark = xgd_push_key(c, "fields", 6);
	err = xgd_want(c, fields, XGD_SEQ);
	if (!err && !fields->n)
		err = xgd_fail(c, fields, "needs at least one field");
	for (size_t i = 0; i < fields->n && !err; i++) {
		size_t imark = xgd_push_idx(c, i);

		err = field(c, fields->kids[i], &out->icmps[out->n_icmps++]);
		xgd_pop(c, imark);
	}
	xgd_pop(c, mark);
	return err;
}

int xgd_icmps(struct xgd_ctx *c, const struct xgd_node *item,
	      struct xg_doc_peer_rule *out)
{
	const struct xgd_node *v = xgd_get(item, "icmps");
	size_t total = 0, n_rules;
	void *rules;

	if (!v)
		return 0;
	/* Room for every field first; `rule` fills them in order. */
	if (v->type == XGD_SEQ) {
		for (size_t i = 0; i < v->n; i++) {
			const struct xgd_node *f;

			if (v->kids[i]->type != XGD_MAP)
				continue;
			f = xgd_get(v->kids[i], "fields");
			if (f && f->type == XGD_SEQ)
				total += f->n;
		}
	}
	if (total) {
		out->icmps = xgd_alloc_array(c, total, sizeof(*out->icmps));
		if (!out->icmps)
			return -ENOMEM;
	}
	/* The per-entry array is only there to walk the list; a byte each. */
	return xgd_field_list(c, item, "icmps", 1, rule, out, &rules, &n_rules);
}
