/*
 * mbedtls-config.h: the Mbed TLS 2.28 configuration of the mps2-an386 reference port (passed as
 * MBEDTLS_CONFIG_FILE; it replaces the library's default config.h whole). Only what the platform
 * hooks of firmware-stub/core/device.h need, for EC P-256 boards whose CA signs with ECDSA P-256
 * and SHA-256 (the station's own CA, hsm/signer/ceremony.c):
 *   rng         CTR_DRBG (AES-256) seeded from the board's entropy source
 *   sha256      SHA-256
 *   pw_hash     PBKDF2-HMAC-SHA-256 (PKCS5 over MD)
 *   keygen      ECP key generation on secp256r1, key kept as DER ECPrivateKey (PK write/parse)
 *   csr, sign   ECDSA with SHA-256 (ASN.1 writer; the CSR is assembled by crypto.c)
 *   chain_check X.509 certificate parsing (no time checks: the board has no clock)
 * Memory comes from a static pool (MEMORY_BUFFER_ALLOC), never the C library's heap.
 */
#ifndef PORT_MBEDTLS_CONFIG_H
#define PORT_MBEDTLS_CONFIG_H

/* System */
#define MBEDTLS_HAVE_ASM /* bn_mul.h: UMAAL inner loops on the M4 (DSP extension) */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8

/* Hashes, MAC, KDF, DRBG */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER /* ~2 KB less code for a slower SHA-256 */
#define MBEDTLS_MD_C
#define MBEDTLS_CIPHER_C /* only for PKCS5 PBES2, which the port does not call (dropped at link) */
#define MBEDTLS_PKCS5_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES /* tables in flash, not 8 KB of RAM */
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_CTR_DRBG_C

/* Public key: EC P-256 only */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0 /* no precomputed table in RAM */
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_ECDSA_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* ASN.1 and X.509 */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_MAX_INTERMEDIATE_CA 1

#include "mbedtls/check_config.h"

#endif
