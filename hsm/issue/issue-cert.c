/*
 * issue-cert.c: build the device certificate from the profile and the station's identity (only
 * the public key comes from the CSR), have the CA sign it, and lint it before anyone sees it.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "log.h"

static int
profile_check(const struct issue_profile *prof, char *why, size_t whycap)
{
	if (prof->validity_days > CAP_VALIDITY_DAYS) {
		util_why(why, whycap, "profile '%s' asks for %u days of validity (at most %d, or 0 "
		    "for no expiry); fix the profile", prof->product, prof->validity_days,
		    CAP_VALIDITY_DAYS);
		return ISSUE_ERR_TEMPLATE;
	}
	if (prof->subject_cn[0] == '\0') {
		util_why(why, whycap, "profile '%s' has no subject CN template; fix the profile",
		    prof->product);
		return ISSUE_ERR_TEMPLATE;
	}
	return ISSUE_OK;
}

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
 * CSR's AlgorithmIdentifier and key bits is exact and ~free. issue_key_check admitted only named EC
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
	    (r = issue_make_subject(prof, subj, &name, why, whycap)) != ISSUE_OK ||
	    (r = issue_make_san(prof, subj, &san, why, whycap)) != ISSUE_OK)
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
		util_why(why, whycap, "internal error building the certificate (%s); see the log",
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
	if ((r = issue_sigalg(ca->cert, issue_unconst(X509_get0_tbs_sigalg(x)), why,
	    whycap)) != 0 || (r = issue_sigalg(ca->cert, issue_unconst(alg), why, whycap)) != 0)
		return r;
	if ((tbslen = i2d_re_X509_tbs(x, &tbs)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the tbsCertificate");
		util_why(why, whycap, "internal error encoding the certificate; see the log");
		return ISSUE_ERR_INTERNAL;
	}
	r = issue_sign_tbs(ca, tbs, (size_t)tbslen, issue_unconst(sig), why, whycap);
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
		util_why(why, whycap, "internal error: issue_build called without a profile, CA, "
		    "signer, subject or output");
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = issue_csr_load_ex(prof, csr, csrlen, nonce, noncelen, 1, &req, why,
	    whycap)) != ISSUE_OK ||
	    (r = cert_body(prof, ca->cert, subj, req, &x, why, whycap)) != ISSUE_OK ||
	    (r = cert_sign(ca, x, why, whycap)) != ISSUE_OK)
		goto out;
	if ((len = i2d_X509(x, &out)) <= 0) {
		log_openssl(LOG_ERROR, "encoding the certificate");
		util_why(why, whycap, "internal error encoding the certificate; see the log");
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	/* P-6: nothing leaves unless it decodes, verifies and matches the profile. */
	if ((r = issue_lint_pub(prof, ca->cert, out, (size_t)len, subj, X509_REQ_get0_pubkey(req),
	    why, whycap)) != ISSUE_OK)
		goto out;
	if (serial_hexp != NULL && (r = serial_hex(x, &hex)) != ISSUE_OK) {
		util_why(why, whycap, "out of memory formatting the serial number");
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
