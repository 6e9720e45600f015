/* crypto.c: the device core's crypto hooks on Mbed TLS; see crypto.h. */
#include "crypto.h"

#include <string.h>

#include "mbedtls/asn1write.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/md.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/oid.h"
#include "mbedtls/pk.h"
#include "mbedtls/pkcs5.h"
#include "mbedtls/platform_util.h"
#include "mbedtls/sha256.h"
#include "mbedtls/x509_crt.h"

/* Heap for Mbed TLS only: key generation, signing and two parsed certificates fit in it with
 * room to spare (docs/port-mps2.md gives the measured peak). */
#define HEAP_SIZE (12 * 1024)
/* challengePassword, PKCS #9 (RFC 2985 5.4.1) */
#define OID_CHALLENGE_PASSWORD MBEDTLS_OID_PKCS9 "\x07"
/* a certificationRequestInfo of a P-256 key with a 64-digit CN and a 64-digit nonce: ~300 bytes */
#define CRI_MAX 512
/* the allocator's first block header is at the start of the pool; 64 bytes hold it */
#define HEAP_PAINT_FROM 64u
#define HEAP_PAINT 0xA5

static unsigned char heap[HEAP_SIZE] __attribute__((aligned(8)));
static mbedtls_ctr_drbg_context drbg;
static int drbg_ready;
static crypto_entropy_fn entropy_fn;
static void *entropy_ctx;

static int
entropy_cb(void *ctx, unsigned char *buf, size_t n)
{
	return entropy_fn(entropy_ctx, buf, n) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int
crypto_init(crypto_entropy_fn entropy, void *ectx, const uint8_t *pers, size_t perslen)
{
	mbedtls_memory_buffer_alloc_init(heap, sizeof(heap));
	/* paint the pool past its first block header (crypto_heap_peak) */
	memset(heap + HEAP_PAINT_FROM, HEAP_PAINT, sizeof(heap) - HEAP_PAINT_FROM);
	entropy_fn = entropy;
	entropy_ctx = ectx;
	mbedtls_ctr_drbg_init(&drbg);
	/* reseeds from the entropy source every MBEDTLS_CTR_DRBG_RESEED_INTERVAL requests */
	if (mbedtls_ctr_drbg_seed(&drbg, entropy_cb, NULL, pers, perslen) != 0)
		return -1;
	drbg_ready = 1;
	return 0;
}

int
crypto_rng(void *ctx, uint8_t *out, size_t n)
{
	size_t k;

	if (!drbg_ready)
		return -1;
	while (n > 0) {
		k = n < MBEDTLS_CTR_DRBG_MAX_REQUEST ? n : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&drbg, out, k) != 0)
			return -1;
		out += k;
		n -= k;
	}
	return 0;
}

static int
drbg_cb(void *ctx, unsigned char *out, size_t n)
{
	return crypto_rng(ctx, out, n) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

int
crypto_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN])
{
	return mbedtls_sha256_ret(p, n, out, 0) == 0 ? 0 : -1;
}

int
crypto_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN])
{
	mbedtls_md_context_t md;
	int r = -1;

	mbedtls_md_init(&md);
	if (mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1) == 0 &&
	    mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)pw, pwlen, salt, saltlen,
	        (unsigned int)iterations, MSG_DIGEST_LEN, out) == 0)
		r = 0;
	mbedtls_md_free(&md); /* wipes the HMAC state, which holds the password's pads */
	return r;
}

int
crypto_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen)
{
	mbedtls_pk_context pk;
	unsigned char der[160]; /* ECPrivateKey of P-256 with its public point: 121 bytes */
	int n, r = -1;

	if (key_type != KEY_EC_P256 || !drbg_ready)
		return -1;
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), drbg_cb, NULL) != 0)
		goto out;
	/* the writer fills the buffer from its end */
	if ((n = mbedtls_pk_write_key_der(&pk, der, sizeof(der))) <= 0 || (size_t)n > cap)
		goto out;
	memcpy(key, der + sizeof(der) - (size_t)n, (size_t)n);
	*keylen = (size_t)n;
	r = 0;
out:
	mbedtls_platform_zeroize(der, sizeof(der));
	mbedtls_pk_free(&pk);
	return r;
}

/* Parses our own key blob (written by crypto_keygen). */
static int
load_key(mbedtls_pk_context *pk, const uint8_t *key, size_t keylen)
{
	mbedtls_pk_init(pk);
	if (mbedtls_pk_parse_key(pk, key, keylen, NULL, 0) != 0 ||
	    mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY) {
		mbedtls_pk_free(pk);
		return -1;
	}
	return 0;
}

/* DER ECDSA-SHA-256 signature of p[0..n) into sig (MBEDTLS_PK_SIGNATURE_MAX_SIZE bytes). */
static int
sign_sha256(mbedtls_pk_context *pk, const uint8_t *p, size_t n, unsigned char *sig, size_t *siglen)
{
	unsigned char h[32];
	int r;

	if (mbedtls_sha256_ret(p, n, h, 0) != 0)
		return -1;
	r = mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, h, sizeof(h), sig, siglen, drbg_cb, NULL);
	return r == 0 ? 0 : -1;
}

/* certificationRequestInfo (RFC 2986 4.1), written backwards from *p down to start:
 * version 0, subject CN=<chip hex> (UTF8String), the key, and one attribute, challengePassword =
 * <nonce hex> (PrintableString, RFC 2985 5.4.1). */
static int
write_cri(unsigned char **p, unsigned char *start, mbedtls_pk_context *pk, const char *nonce_hex,
    const char *chip_hex)
{
	unsigned char spki[128];
	size_t len = 0, sub;
	int ret, n;

	/* attributes [0] { SEQUENCE { challengePassword, SET { PrintableString } } } */
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_printable_string(p, start, nonce_hex,
	    strlen(nonce_hex)));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_oid(p, start, OID_CHALLENGE_PASSWORD,
	    MBEDTLS_OID_SIZE(OID_CHALLENGE_PASSWORD)));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0));
	len += sub;

	/* subjectPublicKeyInfo */
	if ((n = mbedtls_pk_write_pubkey_der(pk, spki, sizeof(spki))) <= 0)
		return n < 0 ? n : -1;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start,
	    spki + sizeof(spki) - (size_t)n, (size_t)n));

	/* subject: SEQUENCE { SET { SEQUENCE { commonName, UTF8String } } } */
	sub = 0;
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_utf8_string(p, start, chip_hex,
	    strlen(chip_hex)));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_oid(p, start, MBEDTLS_OID_AT_CN,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN)));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_len(p, start, sub));
	MBEDTLS_ASN1_CHK_ADD(sub, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	len += sub;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(p, start, 0)); /* version v1 */
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
 * with ecdsa-with-SHA256 and no parameters (RFC 5758 3.2), written backwards from *p. */
static int
write_req(unsigned char **p, unsigned char *start, const unsigned char *cri, size_t crilen,
    const unsigned char *sig, size_t siglen)
{
	size_t len = 0, alg = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_bitstring(p, start, sig, siglen * 8));
	MBEDTLS_ASN1_CHK_ADD(alg, mbedtls_asn1_write_oid(p, start, MBEDTLS_OID_ECDSA_SHA256,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_ECDSA_SHA256)));
	MBEDTLS_ASN1_CHK_ADD(alg, mbedtls_asn1_write_len(p, start, alg));
	MBEDTLS_ASN1_CHK_ADD(alg, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	len += alg;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_raw_buffer(p, start, cri, crilen));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start,
	    MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

int
crypto_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen)
{
	static unsigned char cri[CRI_MAX];
	unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE], *p, *q;
	mbedtls_pk_context pk;
	size_t siglen = 0;
	int cl, n, r = -1;

	if (load_key(&pk, key, keylen) != 0)
		return -1;
	p = cri + sizeof(cri);
	q = out + cap;
	if ((cl = write_cri(&p, cri, &pk, nonce_hex, chip_hex)) <= 0 ||
	    sign_sha256(&pk, p, (size_t)cl, sig, &siglen) != 0 ||
	    (n = write_req(&q, out, p, (size_t)cl, sig, siglen)) <= 0)
		goto out;
	memmove(out, q, (size_t)n);
	*outlen = (size_t)n;
	r = 0;
out:
	mbedtls_pk_free(&pk);
	return r;
}

int
crypto_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t cap, size_t *siglen)
{
	unsigned char s[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	mbedtls_pk_context pk;
	size_t sl = 0;
	int r = -1;

	if (load_key(&pk, key, keylen) != 0)
		return -1;
	if (sign_sha256(&pk, msg, n, s, &sl) == 0 && sl > 0 && sl <= cap) {
		memcpy(sig, s, sl);
		*siglen = sl;
		r = 0;
	}
	mbedtls_pk_free(&pk);
	return r;
}

/* Length of the DER SEQUENCE at the start of p[0..n), header included; 0 when there is none. */
static size_t
der_seq_len(const uint8_t *p, size_t n)
{
	unsigned char *q = (unsigned char *)(uintptr_t)p;
	size_t len;

	if (mbedtls_asn1_get_tag(&q, p + n, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
		return 0;
	return (size_t)(q - p) + len; /* get_tag checked len against what remains */
}

/* The chain is the leaf then its issuer, nothing else (as the host stub); the leaf must carry our
 * public key and its signature must verify under the issuer's key. The issuer is not checked
 * further: the station checked it, and the board has no clock for validity dates. */
int
crypto_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain, size_t n)
{
	unsigned char a[128], b[128], h[MBEDTLS_MD_MAX_SIZE];
	const mbedtls_md_info_t *md;
	mbedtls_x509_crt leaf, ca;
	mbedtls_pk_context pk;
	size_t l1, l2;
	int na, nb, r = PERR_CHAIN_INVALID;

	if (load_key(&pk, key, keylen) != 0)
		return PERR_INTERNAL;
	mbedtls_x509_crt_init(&leaf);
	mbedtls_x509_crt_init(&ca);
	if ((l1 = der_seq_len(chain, n)) == 0 || (l2 = der_seq_len(chain + l1, n - l1)) == 0 ||
	    l1 + l2 != n)
		goto out;
	/* no copy: the parsed certificates point into the chain buffer */
	if (mbedtls_x509_crt_parse_der_nocopy(&leaf, chain, l1) != 0 ||
	    mbedtls_x509_crt_parse_der_nocopy(&ca, chain + l1, l2) != 0)
		goto out;
	na = mbedtls_pk_write_pubkey_der(&pk, a, sizeof(a));
	nb = mbedtls_pk_write_pubkey_der(&leaf.pk, b, sizeof(b));
	if (na <= 0 || nb != na ||
	    memcmp(a + sizeof(a) - (size_t)na, b + sizeof(b) - (size_t)nb, (size_t)na) != 0) {
		r = PERR_KEY_MISMATCH;
		goto out;
	}
	if ((md = mbedtls_md_info_from_type(leaf.sig_md)) == NULL ||
	    mbedtls_md(md, leaf.tbs.p, leaf.tbs.len, h) != 0 ||
	    mbedtls_pk_verify_ext(leaf.sig_pk, leaf.sig_opts, &ca.pk, leaf.sig_md, h,
	        mbedtls_md_get_size(md), leaf.sig.p, leaf.sig.len) != 0)
		goto out;
	r = 0;
out:
	mbedtls_x509_crt_free(&leaf);
	mbedtls_x509_crt_free(&ca);
	mbedtls_pk_free(&pk);
	return r;
}

size_t
crypto_heap_peak(void)
{
	size_t n = sizeof(heap);

	/* the allocator zeroes what it hands out (calloc) and writes a header after each block it
	 * splits off; nothing paints the pool again, so the highest byte that is not paint marks the
	 * furthest the heap has ever reached */
	while (n > HEAP_PAINT_FROM && heap[n - 1] == HEAP_PAINT)
		n--;
	return n;
}
