/*
 * verify-body.c: an entry body's top-level string members, for the checks that compare them
 * (see verify-int.h). Millions of bodies go through here in one verification; building a
 * jansson tree for each cost more than hashing the whole log (issue #14). The fast scan takes
 * only what it can vouch for: a compact object of printable-ASCII strings without escapes,
 * integers without sign tricks, true/false/null, arrays and objects at most 16 deep, and
 * nothing after the closing brace. Anything else is handed to json_loads(body, 0), the
 * verifier's reference, so both paths give the same member values (the last of duplicate keys,
 * as jansson without JSON_REJECT_DUPLICATES).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "verify-int.h"

static const char *const vb_keys[VB_NKEYS] = { "product", "cert_serial", "commitment",
	"pubkey_sha256", "issuer", "mode", "fw_version", "fw_sha256", "kind", "public", "credentials" };

/* A string at *p ('"' first): printable ASCII other than '"' and '\\', up to the closing quote,
 * which becomes NUL. Returns the string, or NULL (decline). */
static char *
scan_str(char **p)
{
	char *s = *p + 1, *q;

	for (q = s; *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '\\')
			return NULL;
	*q = '\0';
	*p = q + 1;
	return s;
}

static int scan_value(char **p, int depth);

/* [ v, v, ... ] or { "k": v, ... } at *p; 0, or -1 to decline. */
static int
scan_compound(char **p, int depth)
{
	char close = **p == '[' ? ']' : '}';
	char *q = *p + 1;

	if (depth > 16)
		return -1;
	if (*q == close) {
		*p = q + 1;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (*q != '"' || scan_str(&q) == NULL || *q++ != ':')
				return -1;
		}
		if (scan_value(&q, depth + 1) != 0)
			return -1;
		if (*q == ',') {
			q++;
			continue;
		}
		if (*q != close)
			return -1;
		*p = q + 1;
		return 0;
	}
}

static int
scan_value(char **p, int depth)
{
	char *q = *p;
	int nd = 0;

	switch (*q) {
	case '"':
		return scan_str(p) != NULL ? 0 : -1;
	case '[':
	case '{':
		return scan_compound(p, depth);
	case 't':
		if (strncmp(q, "true", 4) != 0)
			return -1;
		*p = q + 4;
		return 0;
	case 'f':
		if (strncmp(q, "false", 5) != 0)
			return -1;
		*p = q + 5;
		return 0;
	case 'n':
		if (strncmp(q, "null", 4) != 0)
			return -1;
		*p = q + 4;
		return 0;
	default:
		/* a plain integer: 0, or 1-15 digits not starting with 0 (no sign, fraction or
		 * exponent: those go to jansson) */
		if (*q == '0') {
			q++;
		} else {
			while (*q >= '0' && *q <= '9' && nd < 16)
				q++, nd++;
			if (nd == 0 || nd > 15)
				return -1;
		}
		if (*q != ',' && *q != '}' && *q != ']')
			return -1;
		*p = q;
		return 0;
	}
}

/* The top-level object; fills b->val. 0, or -1 to decline. */
static int
scan_body(struct vbody *b)
{
	char *q = b->buf, *k, *v;
	size_t i;

	if (*q++ != '{')
		return -1;
	if (*q == '}')
		return q[1] == '\0' ? 0 : -1;
	for (;;) {
		if (*q != '"' || (k = scan_str(&q)) == NULL || *q++ != ':')
			return -1;
		v = q;
		if (scan_value(&q, 1) != 0)
			return -1;
		for (i = 0; i < VB_NKEYS; i++)
			if (strcmp(k, vb_keys[i]) == 0)
				/* the last of duplicate keys wins; a non-string member reads "" */
				b->val[i] = *v == '"' ? v + 1 : NULL;
		if (*q == ',') {
			q++;
			continue;
		}
		if (*q != '}' || q[1] != '\0')
			return -1;
		return 0;
	}
}

void
vbody_parse(struct vbody *b, const char *body)
{
	size_t n, i;

	json_decref(b->j);
	b->j = NULL;
	for (i = 0; i < VB_NKEYS; i++)
		b->val[i] = NULL;
	if (body == NULL)
		return;
	n = strlen(body);
	if (n + 1 > b->cap && n < CAP_AUDIT_BODY + 1) {
		char *nb = realloc(b->buf, n + 1);

		if (nb != NULL) {
			b->buf = nb;
			b->cap = n + 1;
		}
	}
	if (n + 1 <= b->cap) {
		memcpy(b->buf, body, n + 1);
		if (scan_body(b) == 0)
			return;
		for (i = 0; i < VB_NKEYS; i++)
			b->val[i] = NULL;
	}
	b->j = json_loads(body, 0, NULL);
}

const char *
vbody_get(const struct vbody *b, const char *k)
{
	json_t *v;
	size_t i;

	if (b->j != NULL) {
		v = json_object_get(b->j, k);
		return json_is_string(v) ? json_string_value(v) : "";
	}
	for (i = 0; i < VB_NKEYS; i++)
		if (strcmp(k, vb_keys[i]) == 0)
			return b->val[i] != NULL ? b->val[i] : "";
	return ""; /* not a key this file knows: callers only ask for vb_keys */
}

void
vbody_free(struct vbody *b)
{
	json_decref(b->j);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
