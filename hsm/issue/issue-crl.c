/*
 * issue-crl.c: the CA's revocation list (PRODUCT §3 step 9: certificates issued to boards that
 * then failed are void and listed). Signed through the same callback as certificates.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include "log.h"


/* An ASN1_ANY of type SEQUENCE or OTHER holds its whole encoding, tag and length included. */
static int
push_der(ASN1_SEQUENCE_ANY *seq, int type, const unsigned char *der, int len)
{
	ASN1_TYPE *t = NULL;
	ASN1_STRING *s = NULL;

	if ((t = ASN1_TYPE_new()) == NULL || (s = ASN1_STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, der, len)) {
		ASN1_STRING_free(s);
		ASN1_TYPE_free(t);
		return 0;
	}
	ASN1_TYPE_set(t, type, s);
	if (!sk_ASN1_TYPE_push(seq, t)) {
		ASN1_TYPE_free(t);
		return 0;
	}
	return 1;
}

/* DER SEQUENCE { items... } */
static int
seq_der(const unsigned char *const *items, const int *lens, int n, unsigned char **out)
{
	ASN1_SEQUENCE_ANY *seq = sk_ASN1_TYPE_new_null();
	int i, len = -1;

	for (i = 0; seq != NULL && i < n && push_der(seq, V_ASN1_OTHER, items[i], lens[i]); i++)
		;
	if (i == n)
		len = i2d_ASN1_SEQUENCE_ANY(seq, out);
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return len;
}

/*
 * An empty v2 CRL whose two AlgorithmIdentifiers are the CA's: the only way to get them into an
 * X509_CRL in OpenSSL 3.0 is to decode them (there is no X509_CRL_get0_tbs_sigalg). The caller
 * then fills it with the setters, as for any CRL, and i2d_re_X509_CRL_tbs re-encodes it all.
 */
static int
crl_template(X509 *ca_cert, X509_CRL **out, char *why, size_t whycap)
{
	static const unsigned char version[] = { 0x02, 0x01, 0x01 }, name[] = { 0x30, 0x00 },
	    nosig[] = { 0x03, 0x01, 0x00 };
	const unsigned char *items[4], *p;
	unsigned char *alg = NULL, *when = NULL, *tbs = NULL, *der = NULL;
	int lens[4], alglen, whenlen, tbslen, len, r = ISSUE_ERR_INTERNAL;
	X509_ALGOR *a = NULL;
	ASN1_TIME *t = NULL;
	X509_CRL *crl = NULL;

	if ((a = X509_ALGOR_new()) == NULL ||
	    (r = issue_sigalg(ca_cert, a, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_INTERNAL;
	if ((alglen = i2d_X509_ALGOR(a, &alg)) <= 0 || (t = ASN1_TIME_set(NULL, 0)) == NULL ||
	    (whenlen = i2d_ASN1_TIME(t, &when)) <= 0)
		goto out;
	items[0] = version, lens[0] = sizeof(version);
	items[1] = alg, lens[1] = alglen;
	items[2] = name, lens[2] = sizeof(name);
	items[3] = when, lens[3] = whenlen;
	if ((tbslen = seq_der(items, lens, 4, &tbs)) <= 0)
		goto out;
	items[0] = tbs, lens[0] = tbslen;
	items[1] = alg, lens[1] = alglen;
	items[2] = nosig, lens[2] = sizeof(nosig);
	if ((len = seq_der(items, lens, 3, &der)) <= 0)
		goto out;
	p = der;
	if ((crl = d2i_X509_CRL(NULL, &p, len)) == NULL)
		goto out;
	*out = crl;
	r = ISSUE_OK;
out:
	if (r == ISSUE_ERR_INTERNAL) {
		log_openssl(LOG_ERROR, "CRL template");
		util_why(why, whycap, "internal error building the CRL; see the log");
	}
	X509_ALGOR_free(a);
	ASN1_TIME_free(t);
	OPENSSL_free(alg);
	OPENSSL_free(when);
	OPENSSL_free(tbs);
	OPENSSL_free(der);
	return r;
}

static int
add_revoked(X509_CRL *crl, const struct issue_revoked *rev, char *why, size_t whycap)
{
	X509_REVOKED *rv = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *when = NULL;
	BIGNUM *bn = NULL;
	size_t len = rev->serial_hex != NULL ? strlen(rev->serial_hex) : 0;
	int r = ISSUE_ERR_INTERNAL;

	/* BN_hex2bn stops at the first non-hex digit and accepts a sign: check it all consumed. */
	if (len == 0 || len > CAP_CERT_SERIAL_HEX || rev->serial_hex[0] == '-' ||
	    BN_hex2bn(&bn, rev->serial_hex) != (int)len || BN_is_zero(bn) || rev->revoked_at < 0) {
		util_why(why, whycap, "revocation entry '%.*s' (revoked at %lld) is not a positive "
		    "hex serial of at most %d digits with a revocation time; check the audit "
		    "database", CAP_CERT_SERIAL_HEX, rev->serial_hex != NULL ? rev->serial_hex : "",
		    (long long)rev->revoked_at, CAP_CERT_SERIAL_HEX);
		goto out;
	}
	r = ISSUE_ERR_NOMEM;
	if ((serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (when = ASN1_TIME_adj(NULL, (time_t)rev->revoked_at, 0, 0)) == NULL ||
	    (rv = X509_REVOKED_new()) == NULL || !X509_REVOKED_set_serialNumber(rv, serial) ||
	    !X509_REVOKED_set_revocationDate(rv, when) || !X509_CRL_add0_revoked(crl, rv))
		goto out;
	rv = NULL; /* owned by crl */
	r = ISSUE_OK;
out:
	X509_REVOKED_free(rv);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(when);
	BN_free(bn);
	return r;
}

static int
no_duplicates(X509_CRL *crl)
{
	STACK_OF(X509_REVOKED) *sk = X509_CRL_get_REVOKED(crl);
	int i;

	for (i = 1; i < sk_X509_REVOKED_num(sk); i++) {
		if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sk, i - 1)),
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sk, i))) == 0)
			return 0;
	}
	return 1;
}

/* RFC 5280 §5.2: authorityKeyIdentifier and cRLNumber are required in conforming CRLs. */
static int
add_crl_exts(X509 *ca_cert, X509_CRL *crl, unsigned long number)
{
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *aki = NULL;
	int r = ISSUE_ERR_NOMEM;

	if ((num = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_uint64(num, number) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_DEFAULT) != 1 ||
	    (aki = AUTHORITY_KEYID_new()) == NULL ||
	    issue_ca_keyid(ca_cert, &aki->keyid) != ISSUE_OK ||
	    X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = ISSUE_OK;
out:
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(aki);
	return r;
}

/* The unsigned CRL: issuer, dates, sorted entries, extensions. */
static int
crl_body(const struct issue_ca *ca, const struct issue_revoked *rev, size_t nrev,
    unsigned long number, unsigned next_days, X509_CRL **out, char *why, size_t whycap)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *t = NULL;
	time_t now = time(NULL);
	size_t i;
	int r = ISSUE_ERR_NOMEM;

	if ((r = crl_template(ca->cert, &crl, why, whycap)) != ISSUE_OK)
		goto out;
	r = ISSUE_ERR_NOMEM;
	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
	    (t = ASN1_TIME_adj(NULL, now, 0, 0)) == NULL || !X509_CRL_set1_lastUpdate(crl, t) ||
	    ASN1_TIME_adj(t, now, (int)next_days, 0) == NULL || !X509_CRL_set1_nextUpdate(crl, t))
		goto fail;
	for (i = 0; i < nrev; i++) {
		if ((r = add_revoked(crl, &rev[i], why, whycap)) != ISSUE_OK)
			goto out;
	}
	/* Sorted by serial (X509_CRL_sort), so that readers can search and diffs stay stable. */
	r = ISSUE_ERR_NOMEM;
	if (!X509_CRL_sort(crl))
		goto fail;
	if (!no_duplicates(crl)) {
		util_why(why, whycap, "the revocation list names a serial twice; check the audit "
		    "database");
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	if ((r = add_crl_exts(ca->cert, crl, number)) != ISSUE_OK)
		goto fail;
	*out = crl;
	crl = NULL; /* owned by caller */
	r = ISSUE_OK;
	goto out;
fail:
	log_openssl(LOG_ERROR, "building the CRL");
	util_why(why, whycap, "internal error building the CRL; see the log");
out:
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return r;
}

/* Encodes the tbsCertList, has the CA sign it, attaches the signature, encodes the CRL. */
static int
crl_sign(const struct issue_ca *ca, X509_CRL *crl, unsigned char **out, int *outlen,
    char *why, size_t whycap)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	unsigned char *tbs = NULL;
	int tbslen, len, r;

	if ((tbslen = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the tbsCertList");
		util_why(why, whycap, "internal error encoding the CRL; see the log");
		return ISSUE_ERR_INTERNAL;
	}
	X509_CRL_get0_signature(crl, &sig, &alg);
	r = issue_sign_tbs(ca, tbs, (size_t)tbslen, issue_unconst(sig), why, whycap);
	OPENSSL_free(tbs);
	if (r != ISSUE_OK)
		return r;
	if ((len = i2d_X509_CRL(crl, out)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the CRL");
		util_why(why, whycap, "internal error encoding the CRL; see the log");
		return ISSUE_ERR_INTERNAL;
	}
	*outlen = len;
	return ISSUE_OK;
}

/* Post-signing check: one DER CRL that verifies under the CA key and lists nrev entries. */
static int
crl_lint(X509 *ca_cert, const unsigned char *der, int len, size_t nrev, char *why,
    size_t whycap)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, len);
	int ok;

	/* An empty list decodes to no stack at all (-1 entries). */
	ok = crl != NULL && p == der + len && X509_CRL_verify(crl, X509_get0_pubkey(ca_cert)) == 1 &&
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) == (nrev == 0 ? -1 : (int)nrev);
	X509_CRL_free(crl);
	if (!ok) {
		log_openssl(LOG_ERROR, "checking the signed CRL");
		util_why(why, whycap, "the signed CRL does not decode or does not verify under the "
		    "issuing CA certificate's key; check that the HSM key and the CA certificate "
		    "match");
		return ISSUE_ERR_LINT;
	}
	return ISSUE_OK;
}

int
issue_crl(const struct issue_ca *ca, const struct issue_revoked *rev, size_t nrev,
    unsigned long crl_number, unsigned next_days, uint8_t **der, size_t *derlen, char *why,
    size_t whycap)
{
	X509_CRL *crl = NULL;
	unsigned char *out = NULL;
	int len = 0, r = ISSUE_ERR_INTERNAL;

	if (ca == NULL || ca->cert == NULL || ca->sign == NULL || (rev == NULL && nrev > 0) ||
	    nrev > INT_MAX || der == NULL || derlen == NULL || next_days == 0 ||
	    next_days > CAP_VALIDITY_DAYS) {
		util_why(why, whycap, "internal error: issue_crl called without a CA, entries or "
		    "output, or with a next update not 1..%d days away", CAP_VALIDITY_DAYS);
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = crl_body(ca, rev, nrev, crl_number, next_days, &crl, why, whycap)) != ISSUE_OK)
		goto out;
	if ((r = crl_sign(ca, crl, &out, &len, why, whycap)) != ISSUE_OK ||
	    (r = crl_lint(ca->cert, out, len, nrev, why, whycap)) != ISSUE_OK)
		goto out;
	*der = out;
	out = NULL; /* owned by caller */
	*derlen = (size_t)len;
	r = ISSUE_OK;
out:
	OPENSSL_free(out);
	X509_CRL_free(crl);
	return r;
}
