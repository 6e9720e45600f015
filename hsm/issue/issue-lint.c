/*
 * issue-lint.c: the post-signing check (P-6): a signed certificate leaves only when it decodes,
 * verifies under the CA key and is exactly what the profile prescribes for the board.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int
name_der_eq(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char *da, *db;
	size_t la, lb;

	/* X509_NAME_cmp folds case and spaces; the lint wants the exact bytes. */
	return X509_NAME_get0_der(a, &da, &la) && X509_NAME_get0_der(b, &db, &lb) && la == lb &&
	    memcmp(da, db, la) == 0;
}

/* Whether the subjectAltName san (criticality crit) is exactly want: both absent, or the same
 * names in the same order in a non-critical extension. */
static int
san_eq(GENERAL_NAMES *san, int crit, GENERAL_NAMES *want)
{
	int i;

	if ((want == NULL) != (san == NULL))
		return 0;
	if (san == NULL)
		return 1;
	if (crit != 0 || sk_GENERAL_NAME_num(san) != sk_GENERAL_NAME_num(want))
		return 0;
	for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(san, i), sk_GENERAL_NAME_value(want, i)) != 0)
			return 0;
	}
	return 1;
}

static int
lint_names(const struct issue_profile *prof, X509 *ca_cert, X509 *x,
    const struct issue_subject *subj, char *why, size_t whycap)
{
	X509_NAME *want = NULL;
	GENERAL_NAMES *want_san = NULL, *san = NULL;
	int crit = -1, r;

	if ((r = issue_make_subject(prof, subj, &want, why, whycap)) != ISSUE_OK ||
	    (r = issue_make_san(prof, subj, &want_san, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_LINT;
	if (!name_der_eq(X509_get_issuer_name(x), X509_get_subject_name(ca_cert))) {
		util_why(why, whycap, "the certificate's issuer is not the CA's subject");
		goto out;
	}
	if (!name_der_eq(X509_get_subject_name(x), want)) {
		util_why(why, whycap, "the certificate's subject is not the one profile '%s' gives "
		    "this board", prof->product);
		goto out;
	}
	san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (!san_eq(san, crit, want_san)) {
		util_why(why, whycap, "the certificate's subjectAltName is not the one profile "
		    "'%s' gives this board", prof->product);
		goto out;
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
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(issue_unconst(ext)));
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
		util_why(why, whycap, "the certificate's extensions are malformed, repeated or not "
		    "the ones this station writes");
	} else if (!(flags & EXFLAG_BCONS) || (flags & EXFLAG_CA)) {
		util_why(why, whycap, "the certificate is not marked CA:FALSE");
	} else if (!(flags & EXFLAG_KUSAGE) || X509_get_key_usage(x) != KU_DIGITAL_SIGNATURE) {
		util_why(why, whycap, "the certificate's keyUsage is not digitalSignature alone");
	} else if (!lint_eku(prof, x)) {
		util_why(why, whycap, "the certificate's extendedKeyUsage does not match profile "
		    "'%s'", prof->product);
	} else if (ski == NULL || !X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) ||
	    (unsigned)ASN1_STRING_length(ski) != mdlen ||
	    memcmp(ASN1_STRING_get0_data(ski), md, mdlen) != 0) {
		util_why(why, whycap, "the certificate's subjectKeyIdentifier is not the SHA-1 of "
		    "its key");
	} else if (issue_ca_keyid(ca_cert, &want_aki) != ISSUE_OK || aki == NULL ||
	    ASN1_OCTET_STRING_cmp(aki, want_aki) != 0) {
		util_why(why, whycap, "the certificate's authorityKeyIdentifier is not the CA's "
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
		util_why(why, whycap, "the certificate's validity does not match profile '%s' "
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
		util_why(why, whycap, "the certificate's serial number is not a positive integer "
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

	if (issue_key_check(prof, pk, why, whycap) != ISSUE_OK)
		return ISSUE_ERR_LINT;
	if (pub != NULL && EVP_PKEY_eq(pk, pub) != 1) {
		util_why(why, whycap, "the certificate's public key is not the key of the board's "
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
		util_why(why, whycap, "internal error: lint called without a profile, CA, "
		    "certificate or subject");
		return ISSUE_ERR_INTERNAL;
	}
	if (derlen == 0 || derlen > CAP_CERT_DER ||
	    (x = d2i_X509(NULL, &p, (long)derlen)) == NULL || (size_t)(p - der) != derlen) {
		log_openssl(LOG_DEBUG, "lint: decoding");
		util_why(why, whycap, "the signed certificate is not one DER certificate of at "
		    "most %d bytes", CAP_CERT_DER);
		goto out;
	}
	if (X509_get_version(x) != X509_VERSION_3 ||
	    X509_verify(x, X509_get0_pubkey(ca_cert)) != 1) {
		log_openssl(LOG_DEBUG, "lint: verifying");
		util_why(why, whycap, "the signed certificate does not verify under the issuing CA "
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
