/*
 * port-config.h: what a port chooses at build time (docs/porting.md "Configuration"). The core's
 * RAM is sized from these values, so that a product with EC keys only does not pay for RSA.
 *
 * A port overrides them without editing core files, in either of two ways:
 *   - on the compiler's command line: -DDEV_CFG_KEY_RSA_2048=0 -DDEV_CFG_MAX_CHAIN=2048
 *   - in a header of its own, named by -DDEV_PORT_CONFIG='"my-port-config.h"', included first.
 * Every value has a default (the host stub's: all key types, protocol maxima). Values are checked
 * at compile time (device.c): a configuration that cannot work does not build.
 */
#ifndef PORT_CONFIG_H
#define PORT_CONFIG_H

#ifdef DEV_PORT_CONFIG
/* cppcheck-suppress preprocessorErrorDirective ; it tries the macro defined without a value */
#include DEV_PORT_CONFIG
#endif

/* Key types the firmware can generate (1) or not (0). A type compiled out is refused by GEN_KEY
 * with PERR_UNSUPPORTED even when the identity's caps announce it; announce only what is built. */
#ifndef DEV_CFG_KEY_EC_P256
#define DEV_CFG_KEY_EC_P256 1
#endif
#ifndef DEV_CFG_KEY_EC_P384
#define DEV_CFG_KEY_EC_P384 1
#endif
#ifndef DEV_CFG_KEY_RSA_2048
#define DEV_CFG_KEY_RSA_2048 1
#endif

/* Onboarding credentials (SET_CREDENTIAL, CONFIRM_CREDENTIAL; P-53, P-54): 1 builds them, 0
 * leaves them out: HELLO then never announces CAP_CRED_WIFI or CAP_CRED_MATTER, whatever the
 * identity's caps say, and both requests are answered PERR_UNSUPPORTED. The stored record keeps
 * its credential fields either way (one layout, §4.1; they stay zero). */
#ifndef DEV_CFG_CRED
#define DEV_CFG_CRED 1
#endif

/*
 * Private key blob, as the platform's keygen writes it and its csr/sign/chain_check read it
 * (the core never looks inside). The defaults fit OpenSSL's DER (host stub): RSA-2048 PKCS#1
 * about 1190..1220 bytes, EC SEC1 ECPrivateKey with public key 121 (P-256) / 167 (P-384). A port
 * storing the raw scalar needs 32 / 48 bytes. Multiple of 4.
 */
#ifndef DEV_CFG_MAX_KEY
#if DEV_CFG_KEY_RSA_2048
#define DEV_CFG_MAX_KEY 1280
#elif DEV_CFG_KEY_EC_P384
#define DEV_CFG_MAX_KEY 192
#else
#define DEV_CFG_MAX_KEY 128
#endif
#endif

/*
 * The CSR (P-41), at most MSG_MAX_CSR (2048). Measured with OpenSSL for the longest chip id (32
 * bytes: a 64-character CN) and nonce (32 bytes): EC P-256 at most 348, P-384 410, RSA-2048 741
 * bytes. Multiple of 4.
 */
#ifndef DEV_CFG_MAX_CSR
#if DEV_CFG_KEY_RSA_2048
#define DEV_CFG_MAX_CSR 2048
#else
#define DEV_CFG_MAX_CSR 768
#endif
#endif

/*
 * The certificate chain the board keeps (P-24), at most MSG_MAX_CHAIN (4096): device certificate
 * and CA certificates concatenated. It depends on the product's CA, not on the board's key type:
 * with an EC P-256 CA a chain of device and issuing CA certificate is about 1 KB; an RSA CA needs
 * about 1.6 KB per certificate. A longer chain is refused by WRITE_OBJECT with PERR_BAD_ARG.
 * The same size is the staging buffer, which GEN_KEY also uses as scratch for the new key and CSR
 * (so it must hold DEV_CFG_MAX_KEY + DEV_CFG_MAX_CSR). Multiple of 4.
 */
#ifndef DEV_CFG_MAX_CHAIN
#define DEV_CFG_MAX_CHAIN 4096
#endif

/* Largest signature the platform's sign writes (PROVE): ECDSA DER P-256 72, P-384 104 bytes;
 * RSA-2048 256 bytes. At most MSG_MAX_SIG (512). */
#ifndef DEV_CFG_MAX_SIG
#if DEV_CFG_KEY_RSA_2048
#define DEV_CFG_MAX_SIG 256
#elif DEV_CFG_KEY_EC_P384
#define DEV_CFG_MAX_SIG 104
#else
#define DEV_CFG_MAX_SIG 72
#endif
#endif

#endif
