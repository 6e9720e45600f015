/*
 * crypto.h: the crypto hooks of struct dev_platform (firmware-stub/core/device.h) on Mbed TLS
 * (built from Debian's source package; configuration in mbedtls-config.h). EC P-256 only:
 * keygen of another key type fails (the port does not announce it in HELLO's caps).
 * Each hook returns 0, or -1 (the core answers PERR_CRYPTO), or for chain_check a PERR_* code.
 * Not reentrant: one request at a time, from the main loop.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include "device.h"

/* Entropy source for the DRBG: fills buf with n bytes of full entropy; 0 or -1. */
typedef int (*crypto_entropy_fn)(void *ctx, uint8_t *buf, size_t n);

/* Sets up the heap pool and the DRBG (personalised with pers, e.g. the chip ID); 0 or -1 (the
 * entropy source failed: the board must not answer key or password requests then). */
int crypto_init(crypto_entropy_fn entropy, void *ectx, const uint8_t *pers, size_t perslen);

int crypto_rng(void *ctx, uint8_t *out, size_t n);
int crypto_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN]);
int crypto_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN]);
int crypto_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen);
int crypto_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen);
int crypto_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t cap, size_t *siglen);
int crypto_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain,
    size_t n);
/* How far into its pool the Mbed TLS heap has ever reached, in bytes (its high-water mark). */
size_t crypto_heap_peak(void);

#endif
