/*
 * hcrypto.h: the reference board's crypto, on OpenSSL: the dev_platform hooks of the host stub
 * (board.c) that are pure computation, in a file of their own so that the crypto known-answer
 * vectors of docs/protocol.md §7.6 are checked against this very code (tests/unit/test-device.c).
 * Each has the signature and the contract of its struct dev_platform member (device.h); ctx is
 * not used. The private key blob is OpenSSL's DER of the key (i2d_PrivateKey: SEC1
 * ECPrivateKey for EC, PKCS#1 RSAPrivateKey for RSA).
 */
#ifndef HCRYPTO_H
#define HCRYPTO_H

#include <openssl/evp.h>

#include "device.h"

int hcrypto_rng(void *ctx, uint8_t *out, size_t n);
int hcrypto_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN]);
/* P-42: PBKDF2-HMAC-SHA-256, 32 bytes. */
int hcrypto_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN]);
int hcrypto_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen);
/* P-41: version 1 (0), subject one CN (UTF8String) = chip_hex, challengePassword
 * (PrintableString) = nonce_hex, no other attribute; ECDSA/RSA with SHA-256. */
int hcrypto_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen);
/* P-40: ECDSA with SHA-256 (DER Ecdsa-Sig-Value) or RSASSA-PKCS1-v1_5 with SHA-256. */
int hcrypto_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t cap, size_t *siglen);
/* P-17, P-24: chain = device certificate, then one or more CA certificates, concatenated DER
 * filling n exactly. The device certificate's public key must equal the key's (by value:
 * curve and point, or modulus and exponent: PERR_KEY_MISMATCH) and its signature must verify
 * under the second certificate's key (PERR_CHAIN_INVALID, as for anything unparsable); further
 * certificates are parsed but not checked. Returns 0, PERR_KEY_MISMATCH, PERR_CHAIN_INVALID or
 * PERR_INTERNAL (the key blob does not load). */
int hcrypto_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain,
    size_t n);
/* The key blob as an EVP_PKEY (caller frees), NULL when it does not parse. */
EVP_PKEY *hcrypto_load_key(const uint8_t *key, size_t keylen);

#endif
