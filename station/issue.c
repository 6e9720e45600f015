/*
 * issue.c: the certificate issuance policy (PRODUCT §3 step 6). Checks a board's CSR, expands the
 * profile's templates, builds the device certificate from the profile and the station's identity
 * (only the public key comes from the CSR), has the CA sign it through the signer's callback and
 * lints the result before anyone else sees it. Helpers shared with issue-crl.c and issue-ca.c
 * (issue_why, issue_sigalg, issue_sign_tbs, ...) live here too.
 */
#include "issue.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define SERIAL_BYTES 16           /* 128 bits from the CSPRNG, top bit cleared */
#define SIG_CAP 512               /* RSA-4096 signature; a DER P-256 ECDSA one is <= 72 */
#define NONCE_MAX 64              /* station nonce bytes (hex in challengePassword: 128 chars) */
#define RSA_FLOOR 2048            /* no profile may go below this */
#define VALIDITY_MAX 36500        /* days */
#define EXPAND_CAP (2 * CAP_TEMPLATE) /* one expanded template value */
#define CLOCK_SKEW 300            /* seconds a freshly issued notBefore may lead this clock */

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

const char *
issue_strerror(int rc)
{
	switch (rc) {
	case ISSUE_OK: return "success";
	case ISSUE_ERR_CSR_PARSE: return "CSR is not a DER PKCS#10 request";
	case ISSUE_ERR_CSR_SIG: return "CSR self-signature does not verify";
	case ISSUE_ERR_KEY_TYPE: return "key type not allowed by the profile";
	case ISSUE_ERR_KEY_WEAK: return "key size below policy";
	case ISSUE_ERR_NONCE: return "CSR does not carry the station nonce";
	case ISSUE_ERR_CSR_ATTR: return "CSR carries an unexpected attribute or critical extension";
	case ISSUE_ERR_TEMPLATE: return "profile template expands to an invalid value";
	case ISSUE_ERR_SIGN: return "CA signature failed";
	case ISSUE_ERR_LINT: return "signed certificate failed the post-signing check";
	case ISSUE_ERR_NOMEM: return "out of memory";
	case ISSUE_ERR_INTERNAL: return "internal error";
	case ISSUE_ERR_CSR_DIGEST: return "CSR signed with a digest weaker than SHA-256";
	}
	return "unknown issuance error";
}

void
issue_why(char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whycap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whycap, fmt, ap);
	va_end(ap);
}

/* OpenSSL 3.0 has no X509_set1_signature_algo (notes §5.6): both AlgorithmIdentifiers are owned
 * by the X509 and writable, only their getters return const. */
static void *
unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

/* ---- templates ---- */

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
		if (n > EXPAND_CAP - len)
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
	if (issue_expand(tmpl, subj, prof->product, out, EXPAND_CAP) != ISSUE_OK) {
		issue_why(why, whycap, "the %s template of profile '%s' is invalid (unknown {field}, "
		    "unbalanced brace, control character or longer than %d bytes once expanded); "
		    "fix the profile", label, prof->product, EXPAND_CAP - 1);
		return ISSUE_ERR_TEMPLATE;
	}
	return ISSUE_OK;
}

static int
profile_check(const struct issue_profile *prof, char *why, size_t whycap)
{
	if (prof->validity_days > VALIDITY_MAX) {
		issue_why(why, whycap, "profile '%s' asks for %u days of validity (at most %d, or 0 "
		    "for no expiry); fix the profile", prof->product, prof->validity_days,
		    VALIDITY_MAX);
		return ISSUE_ERR_TEMPLATE;
	}
	if (prof->subject_cn[0] == '\0') {
		issue_why(why, whycap, "profile '%s' has no subject CN template; fix the profile",
		    prof->product);
		return ISSUE_ERR_TEMPLATE;
	}
	return ISSUE_OK;
}

/* The subject the profile prescribes for this board. */
static int
make_subject(const struct issue_profile *prof, const struct issue_subject *subj,
    X509_NAME **out, char *why, size_t whycap)
{
	char val[EXPAND_CAP];
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
			issue_why(why, whycap, "the %s of profile '%s' expands to '%s', which is empty, "
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
static int
make_san(const struct issue_profile *prof, const struct issue_subject *subj,
    GENERAL_NAMES **out, char *why, size_t whycap)
{
	char uri[EXPAND_CAP], dns[EXPAND_CAP];
	GENERAL_NAMES *gens = NULL;
	int r = ISSUE_ERR_NOMEM;

	uri[0] = dns[0] = '\0';
	if ((r = expand_field(prof, prof->san_uri, "SAN URI", subj, uri, why, whycap)) != 0 ||
	    (r = expand_field(prof, prof->san_dns, "SAN DNS", subj, dns, why, whycap)) != 0)
		goto out;
	if ((prof->san_uri[0] != '\0' && !valid_uri(uri)) ||
	    (prof->san_dns[0] != '\0' && !valid_dns(dns))) {
		issue_why(why, whycap, "the SAN templates of profile '%s' expand to URI '%s' and "
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

/* ---- CSR ---- */

/* Maps a key to its profile bit (0 if no profile can allow it) and a name for people. */
static unsigned
key_kind(const EVP_PKEY *pk, char *desc, size_t cap)
{
	char group[64];
	size_t glen;
	int id = EVP_PKEY_get_base_id(pk);

	if (id == EVP_PKEY_RSA) {
		snprintf(desc, cap, "RSA-%d", EVP_PKEY_get_bits(pk));
		return ISSUE_KEY_RSA;
	}
	if (id != EVP_PKEY_EC) {
		snprintf(desc, cap, "%s", id == NID_undef ? "(unknown)" : OBJ_nid2sn(id));
		return 0;
	}
	/* Explicit curve parameters have no name and are never allowed (RFC 5480 §2.1.1). */
	if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen))
		snprintf(group, sizeof(group), "with explicit parameters");
	if (strcmp(group, "prime256v1") == 0) {
		snprintf(desc, cap, "EC P-256");
		return ISSUE_KEY_EC_P256;
	}
	if (strcmp(group, "secp384r1") == 0) {
		snprintf(desc, cap, "EC P-384");
		return ISSUE_KEY_EC_P384;
	}
	snprintf(desc, cap, "EC %s", group);
	return 0;
}

/* "EC P-256, RSA >= 2048 bits" for reasons. */
static void
allowed_list(unsigned types, unsigned rsa_min, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s%s%s", types & ISSUE_KEY_EC_P256 ? "EC P-256" : "",
	    (types & ISSUE_KEY_EC_P256) && (types & ~ISSUE_KEY_EC_P256 & 7) ? ", " : "",
	    types & ISSUE_KEY_EC_P384 ? "EC P-384" : "",
	    (types & ISSUE_KEY_EC_P384) && (types & ISSUE_KEY_RSA) ? ", " : "",
	    types & ISSUE_KEY_RSA ? "RSA" : "");
	if (types & ISSUE_KEY_RSA)
		snprintf(out + strlen(out), cap - strlen(out), " >= %u bits", rsa_min);
	if ((types & 7) == 0)
		snprintf(out, cap, "none");
}

static int
key_check(const struct issue_profile *prof, const EVP_PKEY *pk, char *why, size_t whycap)
{
	unsigned kind, min = prof->rsa_min_bits > RSA_FLOOR ? prof->rsa_min_bits : RSA_FLOOR;
	char desc[96], allowed[64];

	if (pk == NULL) {
		issue_why(why, whycap, "the CSR's public key uses an algorithm this station cannot "
		    "decode; profile '%s' must allow the board's key type", prof->product);
		return ISSUE_ERR_KEY_TYPE;
	}
	kind = key_kind(pk, desc, sizeof(desc));
	if (kind == 0 || (prof->key_types & kind) == 0) {
		allowed_list(prof->key_types, min, allowed, sizeof(allowed));
		issue_why(why, whycap, "key type %s is not allowed by profile '%s' (allowed: %s); "
		    "check the board firmware's key settings", desc, prof->product, allowed);
		return ISSUE_ERR_KEY_TYPE;
	}
	if (kind == ISSUE_KEY_RSA && EVP_PKEY_get_bits(pk) < (int)min) {
		issue_why(why, whycap, "key %s is weaker than profile '%s' allows (RSA keys need at "
		    "least %u bits); check the board firmware's key settings", desc, prof->product,
		    min);
		return ISSUE_ERR_KEY_WEAK;
	}
	return ISSUE_OK;
}

static int
csr_parse(const uint8_t *csr, size_t csrlen, X509_REQ **out, char *why, size_t whycap)
{
	const unsigned char *p = csr;
	X509_REQ *req = NULL;

	if (csrlen == 0 || csrlen > CAP_CSR_DER) {
		issue_why(why, whycap, "the board sent a %zu-byte CSR (1 to %d expected); re-run the "
		    "board; if it repeats, the board's firmware is faulty", csrlen, CAP_CSR_DER);
		return ISSUE_ERR_CSR_PARSE;
	}
	/* DER decoders must consume the whole input: trailing bytes are an error (STYLE). */
	req = d2i_X509_REQ(NULL, &p, (long)csrlen);
	if (req == NULL || (size_t)(p - csr) != csrlen ||
	    X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		log_openssl(LOG_DEBUG, "CSR rejected by the decoder");
		X509_REQ_free(req);
		issue_why(why, whycap, "the board's CSR is not one well-formed DER PKCS#10 v1 "
		    "request (%zu bytes); re-run the board; if it repeats, the board's firmware is "
		    "faulty", csrlen);
		return ISSUE_ERR_CSR_PARSE;
	}
	*out = req;
	return ISSUE_OK;
}

static int
check_nonce(const X509_ATTRIBUTE *attr, const uint8_t *nonce, size_t noncelen, char *why,
    size_t whycap)
{
	static const char hex[] = "0123456789abcdef";
	char want[2 * NONCE_MAX];
	const ASN1_TYPE *t;
	size_t i;

	for (i = 0; i < noncelen; i++) {
		want[2 * i] = hex[nonce[i] >> 4];
		want[2 * i + 1] = hex[nonce[i] & 0x0f];
	}
	/* PKCS#9 challengePassword is a single-valued DirectoryString; the board uses one of the
	 * two types a nonce in lower-case hex can take. */
	if (X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(unconst(attr), 0)) == NULL ||
	    (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING) ||
	    (size_t)ASN1_STRING_length(t->value.asn1_string) != 2 * noncelen ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(t->value.asn1_string), want, 2 * noncelen) != 0) {
		issue_why(why, whycap, "the CSR does not carry this session's nonce (replayed or "
		    "stale CSR); re-run the board");
		return ISSUE_ERR_NONCE;
	}
	return ISSUE_OK;
}

/* Requested extensions are ignored for the certificate, but a critical one means the board
 * expects something the profile will not give it: refuse rather than issue a surprise. */
static int
check_ext_req(const X509_ATTRIBUTE *attr, char *why, size_t whycap)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const unsigned char *p;
	const ASN1_TYPE *t;
	char name[80];
	int i, r = ISSUE_ERR_CSR_ATTR;

	if (X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(unconst(attr), 0)) == NULL ||
	    t->type != V_ASN1_SEQUENCE) {
		issue_why(why, whycap, "the CSR's extensionRequest attribute is malformed; the "
		    "board's firmware is faulty");
		return ISSUE_ERR_CSR_ATTR;
	}
	p = t->value.sequence->data;
	exts = d2i_X509_EXTENSIONS(NULL, &p, t->value.sequence->length);
	if (exts == NULL || p != t->value.sequence->data + t->value.sequence->length) {
		log_openssl(LOG_DEBUG, "extensionRequest rejected by the decoder");
		issue_why(why, whycap, "the CSR's extensionRequest attribute is malformed; the "
		    "board's firmware is faulty");
		goto out;
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		const X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		if (X509_EXTENSION_get_critical(ext)) {
			OBJ_obj2txt(name, sizeof(name),
			    X509_EXTENSION_get_object(unconst(ext)), 0);
			issue_why(why, whycap, "the CSR requests a critical %s extension; certificates "
			    "are built from the profile only, so the board's firmware expects "
			    "something it will not get", name);
			goto out;
		}
	}
	r = ISSUE_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

static int
csr_attrs(const X509_REQ *req, const uint8_t *nonce, size_t noncelen, char *why,
    size_t whycap)
{
	const X509_ATTRIBUTE *attr;
	int i, nid, seen_pw = 0, seen_ext = 0, r;
	char name[80];

	for (i = 0; i < X509_REQ_get_attr_count(req); i++) {
		attr = X509_REQ_get_attr(req, i);
		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(unconst(attr)));
		if ((nid == NID_pkcs9_challengePassword && seen_pw++ > 0) ||
		    (nid == NID_ext_req && seen_ext++ > 0)) {
			issue_why(why, whycap, "the CSR repeats the %s attribute; the board's "
			    "firmware is faulty", OBJ_nid2sn(nid));
			return ISSUE_ERR_CSR_ATTR;
		}
		if (nid == NID_pkcs9_challengePassword)
			r = check_nonce(attr, nonce, noncelen, why, whycap);
		else if (nid == NID_ext_req)
			r = check_ext_req(attr, why, whycap);
		else {
			OBJ_obj2txt(name, sizeof(name), X509_ATTRIBUTE_get0_object(unconst(attr)), 0);
			issue_why(why, whycap, "the CSR carries an unexpected %s attribute (only "
			    "challengePassword and extensionRequest are accepted); the board's "
			    "firmware is not the approved one", name);
			r = ISSUE_ERR_CSR_ATTR;
		}
		if (r != ISSUE_OK)
			return r;
	}
	if (!seen_pw) {
		issue_why(why, whycap, "the CSR does not carry this session's nonce (no "
		    "challengePassword); re-run the board; if it repeats, the board's firmware is "
		    "faulty");
		return ISSUE_ERR_NONCE;
	}
	return ISSUE_OK;
}

/* The CSR's proof of possession must use SHA-256 or stronger (protocol P-41): a SHA-1 or MD5
 * self-signature is refused even where OpenSSL would still verify it. */
static int
sig_digest_check(const X509_REQ *req, char *why, size_t whycap)
{
	int md = NID_undef, pk = NID_undef, nid = X509_REQ_get_signature_nid(req);

	if (OBJ_find_sigid_algs(nid, &md, &pk) == 1 &&
	    (md == NID_sha256 || md == NID_sha384 || md == NID_sha512))
		return ISSUE_OK;
	issue_why(why, whycap, "the board's CSR is signed with %s; the protocol asks for SHA-256 or "
	    "stronger: the board's firmware is faulty or outdated", nid == NID_undef ? "an unknown "
	    "algorithm" : OBJ_nid2sn(nid));
	return ISSUE_ERR_CSR_DIGEST;
}

/* Parses and checks a CSR; *out gets the request on success. */
static int
csr_load(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, X509_REQ **out, char *why, size_t whycap)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk;
	int r = ISSUE_ERR_INTERNAL;

	if (prof == NULL || csr == NULL || nonce == NULL || noncelen == 0 ||
	    noncelen > NONCE_MAX) {
		issue_why(why, whycap, "internal error: CSR check called without a profile, CSR or "
		    "a 1..%d byte nonce", NONCE_MAX);
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = csr_parse(csr, csrlen, &req, why, whycap)) != ISSUE_OK)
		return r;
	/* The key policy first: it is cheap and keeps odd keys away from the verifier. */
	pk = X509_REQ_get0_pubkey(req);
	if ((r = key_check(prof, pk, why, whycap)) != ISSUE_OK)
		goto out;
	if ((r = sig_digest_check(req, why, whycap)) != ISSUE_OK)
		goto out;
	if (X509_REQ_verify(req, pk) != 1) {
		log_openssl(LOG_DEBUG, "CSR self-signature check");
		issue_why(why, whycap, "the board's CSR is signed with a key it does not hold "
		    "(signature check failed); re-run the board; if it repeats, the board's firmware "
		    "is faulty");
		r = ISSUE_ERR_CSR_SIG;
		goto out;
	}
	if ((r = csr_attrs(req, nonce, noncelen, why, whycap)) != ISSUE_OK)
		goto out;
	*out = req;
	req = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	X509_REQ_free(req);
	return r;
}

int
issue_csr_check(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, EVP_PKEY **pub, char *why, size_t whycap)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk = NULL;
	int r;

	if ((r = csr_load(prof, csr, csrlen, nonce, noncelen, &req, why, whycap)) != ISSUE_OK)
		return r;
	if (pub != NULL && (pk = X509_REQ_get_pubkey(req)) == NULL) {
		log_openssl(LOG_ERROR, "CSR public key");
		issue_why(why, whycap, "internal error reading the CSR's public key; see the log");
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	if (pub != NULL) {
		*pub = pk;
		pk = NULL; /* owned by caller */
	}
	r = ISSUE_OK;
out:
	EVP_PKEY_free(pk);
	X509_REQ_free(req);
	return r;
}

/* ---- shared signing helpers ---- */

int
issue_rand_serial(ASN1_INTEGER *serial)
{
	uint8_t rnd[SERIAL_BYTES], any;
	BIGNUM *bn = NULL;
	size_t i;
	int ok;

	do {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return ISSUE_ERR_INTERNAL;
		/* RFC 5280 §4.1.2.2: positive, at most 20 octets; clearing the top bit keeps the
		 * DER at 16 octets (no sign pad). */
		rnd[0] &= 0x7f;
		for (any = 0, i = 0; i < sizeof(rnd); i++)
			any |= rnd[i];
	} while (any == 0);
	ok = (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, serial) != NULL;
	BN_free(bn);
	return ok ? ISSUE_OK : ISSUE_ERR_NOMEM;
}

int
issue_ca_keyid(X509 *ca_cert, ASN1_OCTET_STRING **keyid)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca_cert);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	ASN1_OCTET_STRING *id = NULL;

	/* RFC 5280 §4.2.1.1: AKI keyid is the issuer's SKI; method (1) of §4.2.1.2 otherwise. */
	if (ski != NULL)
		id = ASN1_OCTET_STRING_dup(ski);
	else if (X509_pubkey_digest(ca_cert, EVP_sha1(), md, &mdlen) &&
	    (id = ASN1_OCTET_STRING_new()) != NULL && !ASN1_OCTET_STRING_set(id, md, (int)mdlen)) {
		ASN1_OCTET_STRING_free(id);
		id = NULL;
	}
	if (id == NULL)
		return ISSUE_ERR_NOMEM;
	*keyid = id;
	return ISSUE_OK;
}

static int
ca_is_ec(const X509 *ca_cert)
{
	const EVP_PKEY *pk = X509_get0_pubkey(ca_cert);

	return pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC;
}

int
issue_sigalg(const X509 *ca_cert, X509_ALGOR *alg, char *why, size_t whycap)
{
	const EVP_PKEY *pk = X509_get0_pubkey(ca_cert);
	char desc[96];
	unsigned kind = pk != NULL ? key_kind(pk, desc, sizeof(desc)) : 0;
	int ok;

	/* The callback hashes the TBS itself and knows only SHA-256 (see issue_sign_fn). */
	if (kind == ISSUE_KEY_EC_P256) /* RFC 5758 §3.2: parameters absent */
		ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL);
	else if (kind == ISSUE_KEY_RSA) /* RFC 4055 §5: parameters NULL */
		ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL,
		    NULL);
	else {
		issue_why(why, whycap, "the issuing CA key is %s; only EC P-256 and RSA CA keys "
		    "are supported; use such a key for the issuing CA", pk != NULL ? desc :
		    "unreadable");
		return ISSUE_ERR_SIGN;
	}
	if (!ok) {
		issue_why(why, whycap, "out of memory setting the signature algorithm");
		return ISSUE_ERR_NOMEM;
	}
	return ISSUE_OK;
}

/* A PKCS#11 CKM_ECDSA signature is raw r||s; X.509 needs the DER Ecdsa-Sig-Value. Catching a
 * signer that forgot the conversion here names the bug instead of a failed verify. */
static int
ecdsa_der_ok(const uint8_t *sig, size_t len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int ok = es != NULL && (size_t)(p - sig) == len;

	ECDSA_SIG_free(es);
	return ok;
}

int
issue_sign_tbs(const struct issue_ca *ca, const uint8_t *tbs, size_t tbslen,
    ASN1_BIT_STRING *sig, char *why, size_t whycap)
{
	uint8_t buf[SIG_CAP];
	size_t len = sizeof(buf);
	int rc;

	if ((rc = ca->sign(ca->sign_ctx, tbs, tbslen, buf, &len)) != 0) {
		issue_why(why, whycap, "the CA key did not sign (signer error %d); see the signer "
		    "log for the HSM's reason", rc);
		return ISSUE_ERR_SIGN;
	}
	if (len == 0 || len > sizeof(buf) || (ca_is_ec(ca->cert) && !ecdsa_der_ok(buf, len))) {
		ERR_clear_error();
		issue_why(why, whycap, "the signer returned a %zu-byte value that is not a valid "
		    "X.509 signature (a raw ECDSA r||s?); the signer is faulty", len);
		return ISSUE_ERR_SIGN;
	}
	if (!ASN1_BIT_STRING_set(sig, buf, (int)len)) {
		issue_why(why, whycap, "out of memory attaching the CA signature");
		return ISSUE_ERR_NOMEM;
	}
	/* What ASN1_item_sign_ctx does: a signature has no unused bits. */
	sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return ISSUE_OK;
}

/* ---- certificate ---- */

static int
set_validity(X509 *x, unsigned days)
{
	time_t now = time(NULL);

	if (ASN1_TIME_adj(X509_getm_notBefore(x), now, 0, 0) == NULL)
		return ISSUE_ERR_NOMEM;
	/* RFC 5280 §4.1.2.5: 99991231235959Z means no well-defined expiration. */
	if (days == 0)
		return ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "99991231235959Z") ?
		    ISSUE_OK : ISSUE_ERR_NOMEM;
	return ASN1_TIME_adj(X509_getm_notAfter(x), now, (int)days, 0) != NULL ? ISSUE_OK :
	    ISSUE_ERR_NOMEM;
}

/* X509_set_pubkey costs ~300 us in OpenSSL 3.0 (an encoder round trip, notes §3b); copying the
 * CSR's AlgorithmIdentifier and key bits is exact and ~free. key_check admitted only named EC
 * curves (OID parameter) and RSA (NULL parameter). */
static int
copy_pubkey(X509 *x, X509_REQ *req)
{
	const unsigned char *bits;
	const ASN1_OBJECT *aobj;
	const void *pval;
	ASN1_OBJECT *obj = NULL, *param = NULL;
	unsigned char *copy = NULL;
	X509_ALGOR *alg;
	int len, ptype;

	if (!X509_PUBKEY_get0_param(NULL, &bits, &len, &alg, X509_REQ_get_X509_PUBKEY(req)))
		return ISSUE_ERR_INTERNAL;
	X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
	if (ptype != V_ASN1_OBJECT && ptype != V_ASN1_NULL)
		return ISSUE_ERR_INTERNAL;
	if ((obj = OBJ_dup(aobj)) == NULL ||
	    (ptype == V_ASN1_OBJECT && (param = OBJ_dup(pval)) == NULL) ||
	    (copy = OPENSSL_memdup(bits, (size_t)len)) == NULL ||
	    !X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), obj, ptype, param, copy, len)) {
		ASN1_OBJECT_free(obj);
		ASN1_OBJECT_free(param);
		OPENSSL_free(copy);
		return ISSUE_ERR_NOMEM;
	}
	return ISSUE_OK;
}

static int
add_ext(X509 *x, int nid, void *value, int crit)
{
	return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1 ? ISSUE_OK :
	    ISSUE_ERR_NOMEM;
}

static int
add_eku(const struct issue_profile *prof, X509 *x)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	int r = ISSUE_ERR_NOMEM;

	if (!prof->eku_client_auth && !prof->eku_server_auth)
		return ISSUE_OK;
	if ((eku = sk_ASN1_OBJECT_new_null()) == NULL ||
	    (prof->eku_server_auth && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth))) ||
	    (prof->eku_client_auth && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth))))
		goto out;
	r = add_ext(x, NID_ext_key_usage, eku, 0);
out:
	sk_ASN1_OBJECT_free(eku); /* the OIDs are OpenSSL's static table entries */
	return r;
}

static int
add_key_ids(X509 *ca_cert, X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	ASN1_OCTET_STRING *ski = NULL;
	AUTHORITY_KEYID *aki = NULL;
	int r = ISSUE_ERR_NOMEM;

	/* RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
	if (!X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) ||
	    (ski = ASN1_OCTET_STRING_new()) == NULL || !ASN1_OCTET_STRING_set(ski, md, (int)mdlen) ||
	    (r = add_ext(x, NID_subject_key_identifier, ski, 0)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_NOMEM;
	if ((aki = AUTHORITY_KEYID_new()) == NULL ||
	    (r = issue_ca_keyid(ca_cert, &aki->keyid)) != ISSUE_OK)
		goto out;
	r = add_ext(x, NID_authority_key_identifier, aki, 0);
out:
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(aki);
	return r;
}

static int
add_exts(const struct issue_profile *prof, X509 *ca_cert, X509 *x, GENERAL_NAMES *san)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	int r = ISSUE_ERR_NOMEM;

	if ((bc = BASIC_CONSTRAINTS_new()) == NULL || (ku = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set_bit(ku, 0, 1)) /* bit 0: digitalSignature */
		goto out;
	bc->ca = 0;
	if ((r = add_ext(x, NID_basic_constraints, bc, 1)) != ISSUE_OK ||
	    (r = add_ext(x, NID_key_usage, ku, 1)) != ISSUE_OK ||
	    (r = add_eku(prof, x)) != ISSUE_OK ||
	    (san != NULL && (r = add_ext(x, NID_subject_alt_name, san, 0)) != ISSUE_OK) ||
	    (r = add_key_ids(ca_cert, x)) != ISSUE_OK)
		goto out;
	r = ISSUE_OK;
out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return r;
}

/* The unsigned certificate: everything from the profile and subj, the key from req. */
static int
cert_body(const struct issue_profile *prof, X509 *ca_cert, const struct issue_subject *subj,
    X509_REQ *req, X509 **out, char *why, size_t whycap)
{
	X509_NAME *name = NULL;
	GENERAL_NAMES *san = NULL;
	X509 *x = NULL;
	int r = ISSUE_ERR_INTERNAL;

	if ((r = profile_check(prof, why, whycap)) != ISSUE_OK ||
	    (r = make_subject(prof, subj, &name, why, whycap)) != ISSUE_OK ||
	    (r = make_san(prof, subj, &san, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_NOMEM;
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    (r = issue_rand_serial(X509_get_serialNumber(x))) != ISSUE_OK ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca_cert)) ||
	    !X509_set_subject_name(x, name) ||
	    (r = set_validity(x, prof->validity_days)) != ISSUE_OK ||
	    (r = copy_pubkey(x, req)) != ISSUE_OK ||
	    (r = add_exts(prof, ca_cert, x, san)) != ISSUE_OK) {
		if (r == ISSUE_OK) /* a plain OpenSSL setter failed after a helper succeeded */
			r = ISSUE_ERR_NOMEM;
		log_openssl(LOG_ERROR, "building the certificate");
		issue_why(why, whycap, "internal error building the certificate (%s); see the log",
		    issue_strerror(r));
		goto out;
	}
	*out = x;
	x = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	X509_free(x);
	X509_NAME_free(name);
	GENERAL_NAMES_free(san);
	return r;
}

/* Sets both AlgorithmIdentifiers, encodes the TBS and attaches the callback's signature. */
static int
cert_sign(const struct issue_ca *ca, X509 *x, char *why, size_t whycap)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	unsigned char *tbs = NULL;
	int tbslen, r;

	X509_get0_signature(&sig, &alg, x);
	if ((r = issue_sigalg(ca->cert, unconst(X509_get0_tbs_sigalg(x)), why, whycap)) != 0 ||
	    (r = issue_sigalg(ca->cert, unconst(alg), why, whycap)) != 0)
		return r;
	if ((tbslen = i2d_re_X509_tbs(x, &tbs)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the tbsCertificate");
		issue_why(why, whycap, "internal error encoding the certificate; see the log");
		return ISSUE_ERR_INTERNAL;
	}
	r = issue_sign_tbs(ca, tbs, (size_t)tbslen, unconst(sig), why, whycap);
	OPENSSL_free(tbs);
	return r;
}

static int
serial_hex(const X509 *x, char **out)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL; /* upper case */

	BN_free(bn);
	if (hex == NULL)
		return ISSUE_ERR_NOMEM;
	*out = hex;
	return ISSUE_OK;
}

int
issue_build(const struct issue_profile *prof, const struct issue_ca *ca,
    const struct issue_subject *subj, const uint8_t *csr, size_t csrlen, const uint8_t *nonce,
    size_t noncelen, uint8_t **der, size_t *derlen, char **serial_hexp, char *why, size_t whycap)
{
	X509_REQ *req = NULL;
	X509 *x = NULL;
	unsigned char *out = NULL;
	char *hex = NULL;
	int len, r = ISSUE_ERR_INTERNAL;

	if (prof == NULL || ca == NULL || ca->cert == NULL || ca->sign == NULL || subj == NULL ||
	    der == NULL || derlen == NULL) {
		issue_why(why, whycap, "internal error: issue_build called without a profile, CA, "
		    "signer, subject or output");
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = csr_load(prof, csr, csrlen, nonce, noncelen, &req, why, whycap)) != ISSUE_OK ||
	    (r = cert_body(prof, ca->cert, subj, req, &x, why, whycap)) != ISSUE_OK ||
	    (r = cert_sign(ca, x, why, whycap)) != ISSUE_OK)
		goto out;
	if ((len = i2d_X509(x, &out)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the certificate");
		issue_why(why, whycap, "internal error encoding the certificate; see the log");
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	/* P-6: nothing leaves unless it decodes, verifies and matches the profile. */
	if ((r = issue_lint_pub(prof, ca->cert, out, (size_t)len, subj, X509_REQ_get0_pubkey(req),
	    why, whycap)) != ISSUE_OK)
		goto out;
	if (serial_hexp != NULL && (r = serial_hex(x, &hex)) != ISSUE_OK) {
		issue_why(why, whycap, "out of memory formatting the serial number");
		goto out;
	}
	*der = out;
	out = NULL; /* owned by caller */
	*derlen = (size_t)len;
	if (serial_hexp != NULL) {
		*serial_hexp = hex;
		hex = NULL; /* owned by caller */
	}
	r = ISSUE_OK;
out:
	OPENSSL_free(out);
	OPENSSL_free(hex);
	X509_free(x);
	X509_REQ_free(req);
	return r;
}

/* ---- lint ---- */

static int
name_der_eq(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char *da, *db;
	size_t la, lb;

	/* X509_NAME_cmp folds case and spaces; the lint wants the exact bytes. */
	return X509_NAME_get0_der(a, &da, &la) && X509_NAME_get0_der(b, &db, &lb) && la == lb &&
	    memcmp(da, db, la) == 0;
}

static int
lint_names(const struct issue_profile *prof, X509 *ca_cert, X509 *x,
    const struct issue_subject *subj, char *why, size_t whycap)
{
	X509_NAME *want = NULL;
	GENERAL_NAMES *want_san = NULL, *san = NULL;
	int i, crit = -1, r;

	if ((r = make_subject(prof, subj, &want, why, whycap)) != ISSUE_OK ||
	    (r = make_san(prof, subj, &want_san, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_LINT;
	if (!name_der_eq(X509_get_issuer_name(x), X509_get_subject_name(ca_cert))) {
		issue_why(why, whycap, "the certificate's issuer is not the CA's subject");
		goto out;
	}
	if (!name_der_eq(X509_get_subject_name(x), want)) {
		issue_why(why, whycap, "the certificate's subject is not the one profile '%s' gives "
		    "this board", prof->product);
		goto out;
	}
	san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if ((want_san == NULL) != (san == NULL) || (san != NULL && crit != 0) ||
	    (san != NULL && sk_GENERAL_NAME_num(san) != sk_GENERAL_NAME_num(want_san))) {
		issue_why(why, whycap, "the certificate's subjectAltName is not the one profile "
		    "'%s' gives this board", prof->product);
		goto out;
	}
	for (i = 0; san != NULL && i < sk_GENERAL_NAME_num(san); i++) {
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(san, i),
		    sk_GENERAL_NAME_value(want_san, i)) != 0) {
			issue_why(why, whycap, "the certificate's subjectAltName is not the one "
			    "profile '%s' gives this board", prof->product);
			goto out;
		}
	}
	r = ISSUE_OK;
out:
	X509_NAME_free(want);
	GENERAL_NAMES_free(want_san);
	GENERAL_NAMES_free(san);
	return r;
}

static int
lint_eku(const struct issue_profile *prof, X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = -1, n, i, nid = NID_undef, prev, ok;

	n = !!prof->eku_client_auth + !!prof->eku_server_auth;
	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL)
		return n == 0 && crit == -1;
	ok = n > 0 && crit == 0 && sk_ASN1_OBJECT_num(eku) == n;
	for (i = 0, prev = NID_undef; ok && i < n; i++, prev = nid) {
		nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		ok = nid != prev && ((nid == NID_client_auth && prof->eku_client_auth) ||
		    (nid == NID_server_auth && prof->eku_server_auth));
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ok;
}

/* Exactly the extensions issue_build writes, each once, with the expected criticality. */
static int
lint_ext_set(X509 *x)
{
	static const int allowed[] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
		NID_subject_alt_name, NID_subject_key_identifier, NID_authority_key_identifier };
	const X509_EXTENSION *ext;
	size_t k;
	int i, nid;

	for (i = 0; i < X509_get_ext_count(x); i++) {
		ext = X509_get_ext(x, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(unconst(ext)));
		for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]) && allowed[k] != nid; k++)
			;
		if (k == sizeof(allowed) / sizeof(allowed[0]) ||
		    X509_get_ext_by_NID(x, nid, i) != -1 ||
		    X509_EXTENSION_get_critical(ext) !=
		    (nid == NID_basic_constraints || nid == NID_key_usage))
			return 0;
	}
	return 1;
}

static int
lint_exts(const struct issue_profile *prof, X509 *ca_cert, X509 *x, char *why, size_t whycap)
{
	uint32_t flags = X509_get_extension_flags(x);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
	ASN1_OCTET_STRING *want_aki = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int r = ISSUE_ERR_LINT;

	if ((flags & EXFLAG_INVALID) || !lint_ext_set(x)) {
		issue_why(why, whycap, "the certificate's extensions are malformed, repeated or not "
		    "the ones this station writes");
	} else if (!(flags & EXFLAG_BCONS) || (flags & EXFLAG_CA)) {
		issue_why(why, whycap, "the certificate is not marked CA:FALSE");
	} else if (!(flags & EXFLAG_KUSAGE) || X509_get_key_usage(x) != KU_DIGITAL_SIGNATURE) {
		issue_why(why, whycap, "the certificate's keyUsage is not digitalSignature alone");
	} else if (!lint_eku(prof, x)) {
		issue_why(why, whycap, "the certificate's extendedKeyUsage does not match profile "
		    "'%s'", prof->product);
	} else if (ski == NULL || !X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) ||
	    (unsigned)ASN1_STRING_length(ski) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(ski), md, mdlen) != 0) {
		issue_why(why, whycap, "the certificate's subjectKeyIdentifier is not the SHA-1 of "
		    "its key");
	} else if (issue_ca_keyid(ca_cert, &want_aki) != ISSUE_OK || aki == NULL ||
	    ASN1_OCTET_STRING_cmp(aki, want_aki) != 0) {
		issue_why(why, whycap, "the certificate's authorityKeyIdentifier is not the CA's "
		    "key identifier");
	} else
		r = ISSUE_OK;
	ASN1_OCTET_STRING_free(want_aki);
	return r;
}

static int
lint_validity(const struct issue_profile *prof, X509 *x, char *why, size_t whycap)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	ASN1_TIME *never = NULL;
	time_t limit = time(NULL) + CLOCK_SKEW;
	int days = -1, secs = -1, ok;

	if (prof->validity_days == 0)
		ok = (never = ASN1_TIME_new()) != NULL &&
		    ASN1_TIME_set_string_X509(never, "99991231235959Z") &&
		    ASN1_TIME_compare(na, never) == 0;
	else
		ok = ASN1_TIME_diff(&days, &secs, nb, na) && days == (int)prof->validity_days &&
		    secs == 0;
	ASN1_TIME_free(never);
	if (!ok || X509_cmp_time(nb, &limit) != -1) {
		issue_why(why, whycap, "the certificate's validity does not match profile '%s' "
		    "(%u days from issuance); check the station clock", prof->product,
		    prof->validity_days);
		return ISSUE_ERR_LINT;
	}
	return ISSUE_OK;
}

static int
lint_serial(const X509 *x, char *why, size_t whycap)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	const unsigned char *d = ASN1_STRING_get0_data(s);
	int i, len = ASN1_STRING_length(s), any = 0;

	for (i = 0; i < len; i++)
		any |= d[i];
	if (ASN1_STRING_type(s) != V_ASN1_INTEGER || len < 1 || len > SERIAL_BYTES || !any) {
		issue_why(why, whycap, "the certificate's serial number is not a positive integer "
		    "of at most %d bytes", SERIAL_BYTES);
		return ISSUE_ERR_LINT;
	}
	return ISSUE_OK;
}

static int
lint_key(const struct issue_profile *prof, X509 *x, const EVP_PKEY *pub, char *why,
    size_t whycap)
{
	const EVP_PKEY *pk = X509_get0_pubkey(x);

	if (key_check(prof, pk, why, whycap) != ISSUE_OK)
		return ISSUE_ERR_LINT;
	if (pub != NULL && EVP_PKEY_eq(pk, pub) != 1) {
		issue_why(why, whycap, "the certificate's public key is not the key of the board's "
		    "CSR");
		return ISSUE_ERR_LINT;
	}
	return ISSUE_OK;
}

int
issue_lint_pub(const struct issue_profile *prof, X509 *ca_cert, const uint8_t *der,
    size_t derlen, const struct issue_subject *subj, const EVP_PKEY *pub, char *why,
    size_t whycap)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	int r = ISSUE_ERR_LINT;

	if (prof == NULL || ca_cert == NULL || der == NULL || subj == NULL) {
		issue_why(why, whycap, "internal error: lint called without a profile, CA, "
		    "certificate or subject");
		return ISSUE_ERR_INTERNAL;
	}
	if (derlen == 0 || derlen > CAP_CERT_DER ||
	    (x = d2i_X509(NULL, &p, (long)derlen)) == NULL || (size_t)(p - der) != derlen) {
		log_openssl(LOG_DEBUG, "lint: decoding");
		issue_why(why, whycap, "the signed certificate is not one DER certificate of at "
		    "most %d bytes", CAP_CERT_DER);
		goto out;
	}
	if (X509_get_version(x) != X509_VERSION_3 ||
	    X509_verify(x, X509_get0_pubkey(ca_cert)) != 1) {
		log_openssl(LOG_DEBUG, "lint: verifying");
		issue_why(why, whycap, "the signed certificate does not verify under the issuing CA "
		    "certificate's key; check that the HSM key and the CA certificate match");
		goto out;
	}
	if ((r = lint_names(prof, ca_cert, x, subj, why, whycap)) != ISSUE_OK ||
	    (r = lint_exts(prof, ca_cert, x, why, whycap)) != ISSUE_OK ||
	    (r = lint_validity(prof, x, why, whycap)) != ISSUE_OK ||
	    (r = lint_serial(x, why, whycap)) != ISSUE_OK ||
	    (r = lint_key(prof, x, pub, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_OK;
out:
	ERR_clear_error();
	X509_free(x);
	return r;
}

int
issue_lint(const struct issue_profile *prof, X509 *ca_cert, const uint8_t *der, size_t derlen,
    const struct issue_subject *subj, char *why, size_t whycap)
{
	return issue_lint_pub(prof, ca_cert, der, derlen, subj, NULL, why, whycap);
}
