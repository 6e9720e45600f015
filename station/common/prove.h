/*
 * prove.h: the check of a board's key-possession proof (docs/protocol.md P-40, PRODUCT §3.7):
 * the board signs PROVE_PREFIX || challenge with SHA-256 under the key its certificate
 * certifies. One function, linked by both processes, so the station (flow_prove) and the signer
 * (CHECKED, docs/signer-protocol.md S-29) check exactly the same bytes.
 */
#ifndef PROVE_H
#define PROVE_H

#include <stddef.h>
#include <stdint.h>

#define PROVE_OK 0
#define PROVE_ERR_CERT (-1) /* cert is not one DER certificate (trailing bytes included), or its
                             * key cannot verify; challenge length out of P-40's range */
#define PROVE_ERR_SIG (-2)  /* the signature does not verify under the certified key */

/* Checks that sig (sig_len bytes) is the signature of PROVE_PREFIX || challenge (clen bytes,
 * MSG_MIN_CHALLENGE..MSG_MAX_CHALLENGE) with SHA-256 under the public key of cert (DER), ECDSA
 * or RSA PKCS#1 v1.5 as that key is. PROVE_OK, PROVE_ERR_CERT or PROVE_ERR_SIG; reads only its
 * arguments, keeps nothing, leaves the OpenSSL error queue empty. */
int prove_check(const uint8_t *cert, size_t cert_len, const uint8_t *challenge, size_t clen,
    const uint8_t *sig, size_t sig_len);

#endif
