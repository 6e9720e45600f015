/*
 * p11-uri.c: strict parser for RFC 7512 "pkcs11:" URIs.
 *
 * URIs come from station profiles, i.e. untrusted text: every length is checked against the
 * fixed fields of struct p11_uri, bad input is an error (never an assert), and the query part is
 * refused outright so that a PIN or a module path can never be smuggled in through a URI.
 * Error messages name the offending attribute but never echo a value (it might be a PIN).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "p11.h"
#include "util.h"

#define URI_SCHEME "pkcs11:"
#define URI_SCHEME_LEN (sizeof(URI_SCHEME) - 1)
/* Decoded attribute values never exceed CAP_P11_URI_VALUE bytes (p11.h). */

enum attr_kind { A_STRING, A_BYTES, A_TYPE, A_SLOT };

struct attr_def {
	const char *name;
	enum attr_kind kind;
	size_t off;     /* offset of the field in struct p11_uri (A_STRING) */
	size_t max;     /* longest decoded value that fits struct p11_uri */
	unsigned bit;   /* to refuse repeated attributes (RFC 7512 section 2.3) */
};

static const struct attr_def attr_defs[] = {
	{ "token", A_STRING, offsetof(struct p11_uri, token), CAP_P11_URI_VALUE, 1u << 0 },
	{ "manufacturer", A_STRING, offsetof(struct p11_uri, manufacturer), CAP_P11_URI_VALUE,
	    1u << 1 },
	{ "serial", A_STRING, offsetof(struct p11_uri, serial), CAP_P11_URI_VALUE, 1u << 2 },
	{ "model", A_STRING, offsetof(struct p11_uri, model), CAP_P11_URI_VALUE, 1u << 3 },
	{ "object", A_STRING, offsetof(struct p11_uri, object), CAP_P11_URI_VALUE, 1u << 4 },
	{ "id", A_BYTES, 0, sizeof(((struct p11_uri *)0)->id), 1u << 5 },
	{ "type", A_TYPE, 0, CAP_P11_URI_VALUE, 1u << 6 },
	{ "slot-id", A_SLOT, 0, CAP_P11_URI_VALUE, 1u << 7 },
};

/* RFC 7512 attributes that are valid but deliberately not supported (strict: refused). */
static const char *const attr_unsupported[] = {
	"library-manufacturer", "library-description", "library-version",
	"slot-manufacturer", "slot-description",
};

/* Copy an attribute name for a message: bounded, and anything odd shown as '?'. */
static void
printable_name(const char *s, size_t n, char *buf, size_t cap)
{
	size_t i;

	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') ? (char)c : '?';
	}
	buf[n] = '\0';
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

/* pk11-pchar minus '%' (RFC 7512: unreserved / pk11-p-res-avail). */
static int
is_path_char(unsigned char c)
{
	return is_unreserved(c) || (c != '\0' && strchr(":[]@!$'()*+,=&", c) != NULL);
}

/* pk11-qchar minus '%' (RFC 7512: unreserved / pk11-q-res-avail). */
static int
is_query_char(unsigned char c)
{
	return is_unreserved(c) || (c != '\0' && strchr(":[]@!$'()*+,=/?|", c) != NULL);
}

/*
 * Percent-decode v[0..n) into out (capacity cap). Checks the escape syntax and the character set;
 * refuses a decoded NUL unless allow_nul. Returns the decoded length, or -1 after logging.
 */
static int
pct_decode(const char *name, const char *v, size_t n, uint8_t *out, size_t cap, int allow_nul)
{
	size_t i = 0, o = 0;
	int hi, lo;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)v[i];
		if (c == '%') {
			if (n - i < 3 || (hi = util_hexdigit((unsigned char)v[i + 1])) < 0 ||
			    (lo = util_hexdigit((unsigned char)v[i + 2])) < 0) {
				log_error("pkcs11: URI: attribute '%s' has a bad percent escape "
				    "(need %%XX with two hex digits); fix the URI in the profile",
				    name);
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			if (c == '\0' && !allow_nul) {
				log_error("pkcs11: URI: attribute '%s' contains an encoded NUL "
				    "(%%00); fix the URI in the profile", name);
				return -1;
			}
			i += 3;
		} else if (is_path_char(c)) {
			i++;
		} else {
			log_error("pkcs11: URI: attribute '%s' contains a character that must "
			    "be percent-encoded (e.g. a space as %%20); fix the URI in the profile",
			    name);
			return -1;
		}
		if (o >= cap) {
			log_error("pkcs11: URI: attribute '%s' is longer than %zu bytes after "
			    "decoding; fix the URI in the profile", name, cap);
			return -1;
		}
		out[o++] = c;
	}
	return (int)o;
}

static int
parse_type(const uint8_t *v, size_t n, int *out)
{
	static const struct {
		const char *name;
		int cls;
	} types[] = {
		{ "private", CKO_PRIVATE_KEY },
		{ "public", CKO_PUBLIC_KEY },
		{ "secret-key", CKO_SECRET_KEY },
		{ "cert", CKO_CERTIFICATE },
		{ "data", CKO_DATA },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) == n && memcmp(types[i].name, v, n) == 0) {
			*out = types[i].cls;
			return 0;
		}
	}
	log_error("pkcs11: URI: type= must be one of private, public, secret-key, cert, data; "
	    "fix the URI in the profile");
	return -1;
}

static int
parse_slot(const uint8_t *v, size_t n, long *out)
{
	long x = 0;
	size_t i;

	if (n == 0)
		goto bad;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			goto bad;
		if (x > (LONG_MAX - (v[i] - '0')) / 10)
			goto bad;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
 bad:
	log_error("pkcs11: URI: slot-id= must be a decimal number up to %ld; "
	    "fix the URI in the profile", LONG_MAX);
	return -1;
}

/* One "name=value" path attribute s[0..n). */
static int
parse_attr(const char *s, size_t n, struct p11_uri *u, unsigned *seen)
{
	const struct attr_def *d = NULL;
	const char *eq;
	char pname[40];
	uint8_t val[CAP_P11_URI_VALUE];
	size_t i, nlen;
	int dl;

	if (n == 0) {
		log_error("pkcs11: URI: empty path attribute (';;', or ';' at the start or end); "
		    "fix the URI in the profile");
		return -1;
	}
	if ((eq = memchr(s, '=', n)) == NULL) {
		printable_name(s, n, pname, sizeof(pname));
		log_error("pkcs11: URI: path attribute '%s' has no '='; attributes are "
		    "name=value separated by ';'", pname);
		return -1;
	}
	nlen = (size_t)(eq - s);
	printable_name(s, nlen, pname, sizeof(pname));
	for (i = 0; i < sizeof(attr_defs) / sizeof(attr_defs[0]); i++) {
		if (strlen(attr_defs[i].name) == nlen && memcmp(attr_defs[i].name, s, nlen) == 0) {
			d = &attr_defs[i];
			break;
		}
	}
	if (d == NULL) {
		for (i = 0; i < sizeof(attr_unsupported) / sizeof(attr_unsupported[0]); i++) {
			if (strlen(attr_unsupported[i]) == nlen &&
			    memcmp(attr_unsupported[i], s, nlen) == 0) {
				log_error("pkcs11: URI: attribute '%s' is not supported here; "
				    "select the token with token=, manufacturer=, model=, serial= "
				    "or slot-id=", pname);
				return -1;
			}
		}
		log_error("pkcs11: URI: unknown path attribute '%s'; supported: token, "
		    "manufacturer, serial, model, object, id, type, slot-id", pname);
		return -1;
	}
	if (*seen & d->bit) {
		log_error("pkcs11: URI: attribute '%s' appears twice (RFC 7512 allows it once); "
		    "fix the URI in the profile", d->name);
		return -1;
	}
	*seen |= d->bit;

	if ((dl = pct_decode(d->name, eq + 1, n - nlen - 1, val, d->max, d->kind == A_BYTES)) < 0)
		return -1;
	switch (d->kind) {
	case A_STRING:
		/* Empty value = absent attribute (RFC 7512 section 3.3 has "serial="). */
		memcpy((char *)u + d->off, val, (size_t)dl);
		((char *)u + d->off)[dl] = '\0';
		break;
	case A_BYTES:
		memcpy(u->id, val, (size_t)dl);
		u->id_len = (size_t)dl;
		break;
	case A_TYPE:
		return parse_type(val, (size_t)dl, &u->type);
	case A_SLOT:
		return parse_slot(val, (size_t)dl, &u->slot_id);
	}
	return 0;
}

/* Whether the query q contains an attribute named name (values are never looked at). */
static int
query_has(const char *q, const char *name)
{
	const char *a;
	size_t n, len = strlen(name);

	for (a = q;; a++) {
		n = strcspn(a, "=&");
		if (n == len && memcmp(a, name, len) == 0)
			return 1;
		if ((a = strchr(a, '&')) == NULL)
			return 0;
	}
}

/*
 * The query part: every attribute is refused. The PIN and module attributes get their own
 * message (even when they are not first) since they are the ones people will try.
 */
static int
check_query(const char *q)
{
	static const char *const pin_attrs[] = { "pin-value", "pin-source" };
	static const char *const mod_attrs[] = { "module-path", "module-name" };
	char pname[40];
	size_t i;

	for (i = 0; i < sizeof(pin_attrs) / sizeof(pin_attrs[0]); i++) {
		if (query_has(q, pin_attrs[i])) {
			log_error("pkcs11: URI: query attribute '%s' refused: PINs are read from "
			    "a file, the environment or a prompt, never from a URI; remove it "
			    "and set the PIN file in the profile", pin_attrs[i]);
			return -1;
		}
	}
	for (i = 0; i < sizeof(mod_attrs) / sizeof(mod_attrs[0]); i++) {
		if (query_has(q, mod_attrs[i])) {
			log_error("pkcs11: URI: query attribute '%s' refused: the PKCS#11 module "
			    "comes from the profile's [hsm] module=, never from a URI; remove it",
			    mod_attrs[i]);
			return -1;
		}
	}
	if (*q == '\0')
		return 0;
	for (i = 0; q[i] != '\0'; i++) {
		if (q[i] != '&' && q[i] != '%' && !is_query_char((unsigned char)q[i])) {
			log_error("pkcs11: URI: the query part contains a character that must be "
			    "percent-encoded; fix the URI in the profile");
			return -1;
		}
	}
	printable_name(q, strcspn(q, "=&"), pname, sizeof(pname));
	log_error("pkcs11: URI: query attribute '%s' is not supported (URIs here take no "
	    "query part); remove everything from '?'", pname);
	return -1;
}

int
p11_uri_parse(const char *s, struct p11_uri *out)
{
	struct p11_uri u;
	const char *path, *q, *a, *end;
	unsigned seen = 0;

	if (s == NULL || out == NULL) {
		log_error("pkcs11: URI: no URI given; set the key URI in the profile");
		return P11_ERR_URI;
	}
	memset(&u, 0, sizeof(u));
	u.type = -1;
	u.slot_id = -1;
	if (strncasecmp(s, URI_SCHEME, URI_SCHEME_LEN) != 0) {
		log_error("pkcs11: URI: does not start with \"pkcs11:\"; write the key or token as "
		    "an RFC 7512 URI such as pkcs11:token=factory-ca;object=ca;type=private");
		return P11_ERR_URI;
	}
	path = s + URI_SCHEME_LEN;
	if ((q = strchr(path, '?')) != NULL && check_query(q + 1) != 0)
		return P11_ERR_URI;
	if (q == NULL)
		q = path + strlen(path);
	/* An empty path ("pkcs11:") is valid and matches everything. */
	if (q != path) {
		for (a = path;; a = end + 1) {
			if ((end = memchr(a, ';', (size_t)(q - a))) == NULL)
				end = q;
			if (parse_attr(a, (size_t)(end - a), &u, &seen) != 0)
				return P11_ERR_URI;
			if (end == q)
				break;
		}
	}
	*out = u;
	return P11_OK;
}
