/* hcrypto.c: the reference board's crypto on OpenSSL; see hcrypto.h. */
#include "hcrypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

int
hcrypto_rng(void *ctx, uint8_t *out, size_t n)
{
	/* P-49: OpenSSL's CTR_DRBG, seeded from the kernel's entropy */
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int
hcrypto_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

int
hcrypto_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN])
{
	if (iterations < MSG_MIN_PW_ITER || iterations > MSG_MAX_PW_ITER)
		return -1;
	return PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)saltlen, (int)iterations, EVP_sha256(),
	    MSG_DIGEST_LEN, out) == 1 ? 0 : -1;
}

int
hcrypto_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen)
{
	EVP_PKEY *k = NULL;
	unsigned char *p = key;
	int n, r = -1;

	if (key_type == KEY_EC_P256)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (key_type == KEY_EC_P384)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (key_type == KEY_RSA_2048)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (k == NULL)
		return -1;
	if ((n = i2d_PrivateKey(k, NULL)) > 0 && (size_t)n <= cap && i2d_PrivateKey(k, &p) == n) {
		*keylen = (size_t)n;
		r = 0;
	}
	EVP_PKEY_free(k);
	return r;
}

EVP_PKEY *
hcrypto_load_key(const uint8_t *key, size_t keylen)
{
	const unsigned char *p = key;

	return d2i_AutoPrivateKey(NULL, &p, (long)keylen);
}

int
hcrypto_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen)
{
	EVP_PKEY *k = hcrypto_load_key(key, keylen);
	X509_REQ *rq = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	unsigned char *p = out;
	int n, r = -1;

	/* P-41: CN as UTF8String (RFC 5280 §4.1.2.6), challengePassword as PrintableString */
	if (k == NULL || rq == NULL || nm == NULL ||
	    X509_NAME_add_entry_by_txt(nm, "CN", V_ASN1_UTF8STRING, (const unsigned char *)chip_hex,
	        -1, -1, 0) != 1 ||
	    X509_REQ_set_version(rq, X509_REQ_VERSION_1) != 1 || X509_REQ_set_subject_name(rq, nm) != 1 ||
	    X509_REQ_set_pubkey(rq, k) != 1 ||
	    /* P-14: the nonce binds this CSR to this session. */
	    /* (an explicit length: with -1 and a non-MBSTRING type OpenSSL reads an ASN1_STRING) */
	    X509_REQ_add1_attr_by_NID(rq, NID_pkcs9_challengePassword, V_ASN1_PRINTABLESTRING,
	        (const unsigned char *)nonce_hex, (int)strlen(nonce_hex)) != 1 ||
	    X509_REQ_sign(rq, k, EVP_sha256()) <= 0)
		goto out;
	if ((n = i2d_X509_REQ(rq, NULL)) > 0 && (size_t)n <= cap && i2d_X509_REQ(rq, &p) == n) {
		*outlen = (size_t)n;
		r = 0;
	}
out:
	X509_NAME_free(nm);
	X509_REQ_free(rq);
	EVP_PKEY_free(k);
	return r;
}

int
hcrypto_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t cap, size_t *siglen)
{
	EVP_PKEY *k = hcrypto_load_key(key, keylen);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sl = 0;
	int r = -1;

	/* the size first: EVP_DigestSign does not check cap against an RSA signature */
	if (k != NULL && md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(md, NULL, &sl, msg, n) == 1 && sl <= cap &&
	    EVP_DigestSign(md, sig, &sl, msg, n) == 1) {
		*siglen = sl;
		r = 0;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return r;
}

int
hcrypto_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain, size_t n)
{
	const unsigned char *p = chain, *end = chain + n;
	EVP_PKEY *k = hcrypto_load_key(key, keylen);
	X509 *leaf = NULL, *ca = NULL, *more;
	int r = PERR_CHAIN_INVALID;

	if (k == NULL)
		return PERR_INTERNAL;
	if ((leaf = d2i_X509(NULL, &p, end - p)) == NULL ||
	    (ca = d2i_X509(NULL, &p, end - p)) == NULL)
		goto out;
	/* P-24: any further CA certificates (up to the root) are kept, not checked; each must be
	 * one whole certificate and together they fill the object */
	while (p < end) {
		if ((more = d2i_X509(NULL, &p, end - p)) == NULL)
			goto out;
		X509_free(more);
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(leaf), k) != 1) {
		r = PERR_KEY_MISMATCH;
		goto out;
	}
	if (X509_verify(leaf, X509_get0_pubkey(ca)) == 1)
		r = 0;
out:
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(k);
	return r;
}
