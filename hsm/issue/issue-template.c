/*
 * issue-template.c: the profile's templates: expansion of {serial}, {chip}, {model}, {product},
 * and the subject name and subjectAltName they prescribe for a board (never from CSR fields).
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The subject attributes a profile may set, in certificate order. */
struct name_field {
	int nid;
	size_t off; /* of the template in struct issue_profile */
	const char *label;
};

static const struct name_field name_fields[] = {
	{ NID_organizationName, offsetof(struct issue_profile, subject_o), "subject O" },
	{ NID_organizationalUnitName, offsetof(struct issue_profile, subject_ou), "subject OU" },
	{ NID_commonName, offsetof(struct issue_profile, subject_cn), "subject CN" },
	{ NID_serialNumber, offsetof(struct issue_profile, subject_serial), "subject serialNumber" },
};

static const char *
field_value(const char *name, size_t len, const struct issue_subject *subj, const char *product)
{
	static const char *const names[] = { "serial", "chip", "model", "product" };
	const char *vals[4];
	size_t i;

	vals[0] = subj->serial;
	vals[1] = subj->chip_hex;
	vals[2] = subj->model;
	vals[3] = product;
	for (i = 0; i < 4; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return vals[i];
	}
	return NULL;
}

/* One pass over tmpl: writes into out when it is not NULL, always counts. */
static int
expand_pass(const char *tmpl, const struct issue_subject *subj, const char *product, char *out,
    size_t *lenp)
{
	const char *p, *end, *val;
	size_t len = 0, n;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p == '}')
			return ISSUE_ERR_TEMPLATE;
		if (*p != '{') {
			val = p;
			n = 1;
		} else {
			if ((end = strchr(p + 1, '}')) == NULL)
				return ISSUE_ERR_TEMPLATE;
			val = field_value(p + 1, (size_t)(end - p - 1), subj, product);
			if (val == NULL)
				return ISSUE_ERR_TEMPLATE;
			n = strlen(val);
			p = end;
		}
		if (n > CAP_EXPAND - len)
			return ISSUE_ERR_TEMPLATE;
		if (out != NULL)
			memcpy(out + len, val, n);
		len += n;
	}
	*lenp = len;
	return ISSUE_OK;
}

int
issue_expand(const char *tmpl, const struct issue_subject *subj, const char *product,
    char *out, size_t cap)
{
	size_t len, i;
	int r;

	if (tmpl == NULL || subj == NULL || product == NULL || out == NULL)
		return ISSUE_ERR_TEMPLATE;
	/* Measure first so that out is written only when the whole result fits. */
	if ((r = expand_pass(tmpl, subj, product, NULL, &len)) != ISSUE_OK)
		return r;
	if (len >= cap)
		return ISSUE_ERR_TEMPLATE;
	if ((r = expand_pass(tmpl, subj, product, out, &len)) != ISSUE_OK)
		return r;
	out[len] = '\0';
	for (i = 0; i < len; i++) {
		/* Control characters would forge lines in logs and labels; a NUL would cut names. */
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) {
			out[0] = '\0';
			return ISSUE_ERR_TEMPLATE;
		}
	}
	return ISSUE_OK;
}

/* Expands one profile template, with a reason naming the profile on failure. */
static int
expand_field(const struct issue_profile *prof, const char *tmpl, const char *label,
    const struct issue_subject *subj, char *out, char *why, size_t whycap)
{
	if (issue_expand(tmpl, subj, prof->product, out, CAP_EXPAND) != ISSUE_OK) {
		util_why(why, whycap, "the %s template of profile '%s' is invalid (unknown {field}, "
		    "unbalanced brace, control character or longer than %d bytes once expanded); "
		    "fix the profile", label, prof->product, CAP_EXPAND - 1);
		return ISSUE_ERR_TEMPLATE;
	}
	return ISSUE_OK;
}

/* The subject the profile prescribes for this board. */
int
issue_make_subject(const struct issue_profile *prof, const struct issue_subject *subj,
    X509_NAME **out, char *why, size_t whycap)
{
	char val[CAP_EXPAND];
	const char *tmpl;
	X509_NAME *name = NULL;
	size_t i;
	int r = ISSUE_ERR_NOMEM;

	if ((name = X509_NAME_new()) == NULL)
		goto out;
	for (i = 0; i < sizeof(name_fields) / sizeof(name_fields[0]); i++) {
		tmpl = (const char *)prof + name_fields[i].off;
		if (tmpl[0] == '\0')
			continue;
		if ((r = expand_field(prof, tmpl, name_fields[i].label, subj, val, why,
		    whycap)) != ISSUE_OK)
			goto out;
		/* The string table enforces each attribute's upper bound and character set. */
		if (val[0] == '\0' || !X509_NAME_add_entry_by_NID(name, name_fields[i].nid,
		    MBSTRING_UTF8, (const unsigned char *)val, -1, -1, 0)) {
			log_openssl(LOG_DEBUG, "%s '%s' rejected", name_fields[i].label, val);
			util_why(why, whycap, "the %s of profile '%s' expands to '%s', which is empty, "
			    "too long or has characters that attribute does not allow; fix the profile",
			    name_fields[i].label, prof->product, val);
			r = ISSUE_ERR_TEMPLATE;
			goto out;
		}
	}
	*out = name;
	name = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	X509_NAME_free(name);
	return r;
}

static int
valid_dns(const char *s)
{
	size_t label = 0, total = strlen(s);
	const char *p;

	if (total == 0 || total > 253)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return 0;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || (*p == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && p[-1] != '-';
}

/* RFC 3986 scheme ':' followed by visible ASCII (IA5String, no spaces). */
static int
valid_uri(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (p = s; *p != ':'; p++) {
		if (*p == '\0' || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	}
	for (p++; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	}
	return p[-1] != ':';
}

static int
san_push(GENERAL_NAMES *gens, int type, const char *val)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;

	if ((gn = GENERAL_NAME_new()) == NULL || (ia5 = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(ia5, val, -1)) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(ia5);
		return ISSUE_ERR_NOMEM;
	}
	GENERAL_NAME_set0_value(gn, type, ia5);
	if (!sk_GENERAL_NAME_push(gens, gn)) {
		GENERAL_NAME_free(gn);
		return ISSUE_ERR_NOMEM;
	}
	return ISSUE_OK;
}

/* The subjectAltName the profile prescribes; *out stays NULL when the profile has none. */
int
issue_make_san(const struct issue_profile *prof, const struct issue_subject *subj,
    GENERAL_NAMES **out, char *why, size_t whycap)
{
	char uri[CAP_EXPAND], dns[CAP_EXPAND];
	GENERAL_NAMES *gens = NULL;
	int r = ISSUE_ERR_NOMEM;

	uri[0] = dns[0] = '\0';
	if ((r = expand_field(prof, prof->san_uri, "SAN URI", subj, uri, why, whycap)) != 0 ||
	    (r = expand_field(prof, prof->san_dns, "SAN DNS", subj, dns, why, whycap)) != 0)
		goto out;
	if ((prof->san_uri[0] != '\0' && !valid_uri(uri)) ||
	    (prof->san_dns[0] != '\0' && !valid_dns(dns))) {
		util_why(why, whycap, "the SAN templates of profile '%s' expand to URI '%s' and "
		    "DNS '%s'; a non-empty template must give a valid URI or host name; fix the "
		    "profile", prof->product, uri, dns);
		r = ISSUE_ERR_TEMPLATE;
		goto out;
	}
	r = ISSUE_ERR_NOMEM;
	if (uri[0] == '\0' && dns[0] == '\0') {
		*out = NULL;
		r = ISSUE_OK;
		goto out;
	}
	if ((gens = sk_GENERAL_NAME_new_null()) == NULL ||
	    (uri[0] != '\0' && san_push(gens, GEN_URI, uri) != ISSUE_OK) ||
	    (dns[0] != '\0' && san_push(gens, GEN_DNS, dns) != ISSUE_OK))
		goto out;
	*out = gens;
	gens = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	GENERAL_NAMES_free(gens);
	return r;
}
