/*
 * issue-sign.c: what the certificate, CRL and demo-CA code share to be signed by the CA: random
 * serials, the CA's key identifier, the signature algorithm of the CA key, and the signature from
 * the signer's callback, checked to be an X.509 signature.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>

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
	unsigned kind = pk != NULL ? issue_key_kind(pk, desc, sizeof(desc)) : 0;
	int ok;

	/* The callback hashes the TBS itself and knows only SHA-256 (see issue_sign_fn). */
	if (kind == ISSUE_KEY_EC_P256) /* RFC 5758 §3.2: parameters absent */
		ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL);
	else if (kind == ISSUE_KEY_RSA) /* RFC 4055 §5: parameters NULL */
		ok = X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL,
		    NULL);
	else {
		util_why(why, whycap, "the issuing CA key is %s; only EC P-256 and RSA CA keys "
		    "are supported; use such a key for the issuing CA", pk != NULL ? desc :
		    "unreadable");
		return ISSUE_ERR_SIGN;
	}
	if (!ok) {
		util_why(why, whycap, "out of memory setting the signature algorithm");
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
	uint8_t buf[CAP_SIG];
	size_t len = sizeof(buf);
	int rc;

	if ((rc = ca->sign(ca->sign_ctx, tbs, tbslen, buf, &len)) != 0) {
		util_why(why, whycap, "the CA key did not sign (signer error %d); see the signer "
		    "log for the HSM's reason", rc);
		return ISSUE_ERR_SIGN;
	}
	if (len == 0 || len > sizeof(buf) || (ca_is_ec(ca->cert) && !ecdsa_der_ok(buf, len))) {
		ERR_clear_error();
		util_why(why, whycap, "the signer returned a %zu-byte value that is not a valid "
		    "X.509 signature (a raw ECDSA r||s?); the signer is faulty", len);
		return ISSUE_ERR_SIGN;
	}
	if (!ASN1_BIT_STRING_set(sig, buf, (int)len)) {
		util_why(why, whycap, "out of memory attaching the CA signature");
		return ISSUE_ERR_NOMEM;
	}
	/* What ASN1_item_sign_ctx does: a signature has no unused bits. */
	sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return ISSUE_OK;
}
