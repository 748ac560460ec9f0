// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pieces every document kind shares: metadata (name, namespace), label
 * keys and label maps, bare addresses, protocols and port names.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "xdp/abi.h"
#include "doc_int.h"

#define LABEL_KEY_MAX (253 + 1 + 63) /* DNS prefix, '/', name */
#define LABEL_VALUE_MAX 253

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])? */
static bool dns_label_ok(const char *s, size_t len)
{
	if (!len || len > 63 || !is_lower_alnum(s[0]) ||
	    !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* RFC 1123 subdomain: labels joined by dots, 253 at most.  Names end
 * up in kvstore keys (policies/<ns>/<name>), so no '/' can get in. */
static bool dns_name_ok(const char *s, size_t len)
{
	size_t start = 0;

	if (!len || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!dns_label_ok(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

bool xgd_port_name_ok(const char *s, size_t len)
{
	bool letter = false;

	/* IANA service name (RFC 6335), as Kubernetes checks port names. */
	if (!len || len > 15 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (s[i] == '-' && i + 1 < len && s[i + 1] == '-')
			return false;
		else if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return letter;
}

int xgd_metadata(struct xgd_ctx *c, const struct xgd_node *doc,
		 struct xgd_meta *out)
{
	const struct xgd_node *m;
	size_t mark;
	int err;

	memset(out, 0, sizeof(*out));
	out->loc = xgd_loc(doc);
	err = xgd_require(c, doc, "metadata");
	if (err)
		return err;
	m = xgd_get(doc, "metadata");
	mark = xgd_push_key(c, "metadata", 8);
	err = xgd_want(c, m, XGD_MAP);
	if (!err)
		err = xgd_require(c, m, "name");
	if (!err)
		err = xgd_field_str(c, m, "name", &out->name);
	if (!err && !dns_name_ok(out->name, strlen(out->name))) {
		xgd_push_key(c, "name", 4);
		err = xgd_fail(c, xgd_get(m, "name"),
			       "must be a DNS name (lowercase letters, digits, '-' and '.', at most 253), got '%.64s'",
			       out->name);
	}
	if (!err)
		err = xgd_field_str(c, m, "namespace", &out->ns);
	if (!err && out->ns && !dns_label_ok(out->ns, strlen(out->ns))) {
		xgd_push_key(c, "namespace", 9);
		err = xgd_fail(c, xgd_get(m, "namespace"),
			       "must be a DNS label (lowercase letters, digits and '-', at most 63), got '%.64s'",
			       out->ns);
	}
	xgd_pop(c, mark);
	return err;
}

static bool key_char_ok(char ch, bool source)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
	       ch == '_' || (!source && ch == '/');
}

int xgd_lkey_parse(struct xgd_ctx *c, const struct xgd_node *at,
		   const char *key, struct xg_doc_lkey *out)
{
	const char *colon, *name;
	size_t slen;

	colon = strchr(key, ':');
	name = colon ? colon + 1 : key;
	slen = colon ? (size_t)(colon - key) : 0;
	if (strlen(key) > LABEL_KEY_MAX || !*name || (colon && !slen))
		goto bad;
	for (size_t i = 0; i < slen; i++)
		if (!key_char_ok(key[i], true))
			goto bad;
	for (const char *p = name; *p; p++)
		if (!key_char_ok(*p, false))
			goto bad;
	out->key = key;
	out->source = colon ? xgd_strndup(c, key, slen) : "";
	out->name = name;
	return out->source ? 0 : -ENOMEM;
bad:
	return xgd_fail(c, at,
			"not a label key ([source:]name; letters, digits, '.', '-', '_', '/'): '%.64s'",
			key);
}

int xgd_label_key(struct xgd_ctx *c, const struct xgd_node *n,
		  struct xg_doc_lkey *out)
{
	const char *key;
	int err;

	err = xgd_str(c, n, &key);
	return err ? err : xgd_lkey_parse(c, n, key, out);
}

int xgd_label_value(struct xgd_ctx *c, const struct xgd_node *at,
		    const char *value)
{
	if (strlen(value) > LABEL_VALUE_MAX)
		return xgd_fail(c, at, "longer than %u characters",
				LABEL_VALUE_MAX);
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return xgd_fail(c, at,
					"must not hold control characters");
	return 0;
}

static int label_value(struct xgd_ctx *c, const struct xgd_node *v,
		       const char **out)
{
	int err;

	if (!v || (v->type == XGD_SCALAR && v->null)) {
		*out = "";
		return 0;
	}
	err = xgd_str(c, v, out);
	return err ? err : xgd_label_value(c, v, *out);
}

int xgd_label_map(struct xgd_ctx *c, const struct xgd_node *m,
		  const char *key, struct xg_doc_label **out, size_t *n)
{
	const struct xgd_node *v = xgd_get(m, key);
	struct xg_doc_label *labels;
	size_t mark;
	int err;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_want(c, v, XGD_MAP);
	if (err || !v->n)
		goto out;
	labels = xgd_alloc_array(c, v->n, sizeof(*labels));
	if (!labels) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n && !err; i++) {
		const struct xgd_node *k = v->kids[2 * i];
		size_t kmark = xgd_push_key(c, k->text, k->len);

		labels[i].loc = xgd_loc(k);
		err = xgd_label_key(c, k, &labels[i].k);
		if (!err)
			err = label_value(c, v->kids[2 * i + 1],
					  &labels[i].value);
		xgd_pop(c, kmark);
	}
	if (!err) {
		*out = labels;
		*n = v->n;
	}
out:
	xgd_pop(c, mark);
	return err;
}

int xgd_addr(struct xgd_ctx *c, const struct xgd_node *n,
	     struct xg_prefix *out)
{
	struct xg_err perr = {};
	const char *s;
	int err;

	err = xgd_str(c, n, &s);
	if (err)
		return err;
	if (strchr(s, '/'))
		return xgd_fail(c, n,
				"must be an address without a prefix length, got '%.64s'",
				s);
	if (xg_prefix_parse(s, out, &perr))
		return xgd_fail(c, n, "%s", perr.msg);
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
	__u8 proto;
} protos[] = {
	{ "TCP", XGD_P_TCP, IPPROTO_TCP },
	{ "UDP", XGD_P_UDP, IPPROTO_UDP },
	{ "SCTP", XGD_P_SCTP, IPPROTO_SCTP },
	{ "ANY", XGD_P_ANY, 0 },
};

int xgd_field_proto(struct xgd_ctx *c, const struct xgd_node *m,
		    const char *key, unsigned allowed, __u8 *out)
{
	const struct xgd_node *v = xgd_get(m, key);
	char want[48] = "", buf[48];
	size_t mark, len = 0;
	int err, left = 0;

	if (!v)
		return 0;
	mark = xgd_push_key(c, key, strlen(key));
	err = xgd_want(c, v, XGD_SCALAR);
	for (size_t i = 0; i < ARRAY_SIZE(protos) && !err; i++) {
		if ((allowed & protos[i].bit) && xgd_is(v, protos[i].name)) {
			*out = protos[i].proto;
			goto out;
		}
	}
	if (err)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		left += !!(allowed & protos[i].bit);
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		if (!(allowed & protos[i].bit))
			continue;
		left--;
		len += snprintf(want + len, sizeof(want) - len, "%s%s",
				protos[i].name,
				left > 1 ? ", " : left == 1 ? " or " : "");
	}
	err = xgd_fail(c, v, "must be %s, got '%s'", want,
		       xgd_show(v, buf, sizeof(buf)));
out:
	xgd_pop(c, mark);
	return err;
}
