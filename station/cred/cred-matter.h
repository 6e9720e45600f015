/*
 * cred-matter.h: a board's Matter onboarding credentials ([matter] in the profile, struct
 * matter_profile): a setup passcode and discriminator drawn per board, the onboarding payload
 * printed on the label as a QR code ("MT:...") and as the manual pairing code, and the SPAKE2+
 * verifier the board stores instead of the passcode. Pure functions: no I/O; randomness from
 * the OS CSPRNG without bias (cred-rand.h). References: Matter Core specification 5.1 (onboarding
 * payload), 3.10 (SPAKE2+); connectedhomeip src/setup_payload/ and src/crypto/CHIPCryptoPAL.cpp,
 * whose published test values tests/unit/test-cred.c reproduces.
 *
 * Files: cred-matter.c (passcode, discriminator), cred-matter-qr.c (QR payload and its decoder,
 * base-38), cred-matter-code.c (manual pairing code, Verhoeff), cred-spake2p.c (verifier).
 */
#ifndef CRED_MATTER_H
#define CRED_MATTER_H

#include <stddef.h>
#include <stdint.h>

#define MATTER_PASSCODE_MAX 99999998u   /* valid passcodes: 1..99999998 minus the trivial ones */
#define MATTER_DISCRIMINATOR_MAX 4095u  /* 12 bits */
#define MATTER_FLOW_STANDARD 0
#define MATTER_FLOW_USER_INTENT 1
#define MATTER_FLOW_CUSTOM 2
#define MATTER_RV_SOFTAP 1u             /* discovery capabilities (rendezvous) bits */
#define MATTER_RV_BLE 2u
#define MATTER_RV_ON_NETWORK 4u
#define MATTER_QR_LEN 22                /* "MT:" + 19 base-38 characters (88 bits, no TLV) */
#define MATTER_CODE_SHORT 11            /* manual pairing code digits, without VID/PID */
#define MATTER_CODE_LONG 21             /* with VID/PID (custom flow) */
#define MATTER_SALT_MIN 16              /* SPAKE2+ PBKDF2 salt bytes */
#define MATTER_SALT_MAX 32
#define MATTER_ITER_MIN 1000u           /* SPAKE2+ PBKDF2 iterations */
#define MATTER_ITER_MAX 100000u
#define MATTER_VERIFIER_LEN 97          /* w0 (32 bytes, big-endian) || L (65 bytes, 04||X||Y) */

/* What the QR code carries (its 88-bit packed form, Matter Core 5.1.3): version 0; the
 * product's vendor and product IDs; the commissioning flow (0 standard, 1 user intent, 2
 * custom; 3 is reserved); the discovery capabilities (MATTER_RV_* bits; every 8-bit value is
 * carried as it is); the 12-bit discriminator; the setup passcode. */
struct matter_setup {
	uint8_t version;
	uint16_t vendor_id, product_id;
	uint8_t flow, rendezvous;
	uint16_t discriminator;
	uint32_t passcode;
};

/* 1 when passcode may be used: 1..99999998 and none of 11111111, 22222222, ..., 88888888,
 * 12345678, 87654321 (the trivial values; 00000000 and 99999999 are out of range anyway).
 * 0 otherwise. */
int matter_passcode_valid(uint32_t passcode);

/* A passcode uniform over the valid ones (about 26.6 bits) into *passcode. 0, or -1 when the
 * CSPRNG fails (*passcode unchanged). The passcode is a secret until printed: wipe copies. */
int matter_passcode_generate(uint32_t *passcode);

/* A discriminator uniform over 0..4095 into *d. 0, or -1 when the CSPRNG fails. */
int matter_discriminator_generate(uint16_t *d);

/* The QR payload "MT:" + base-38 of the 11 packed bytes (MATTER_QR_LEN characters, upper
 * case, digits, '-' and '.', so QR alphanumeric mode holds it) and a NUL into out. 0, or -1
 * (out unchanged) when s->version is not 0, s->flow above 2, s->discriminator above 4095,
 * the passcode invalid (matter_passcode_valid) or cap <= MATTER_QR_LEN. */
int matter_qr_payload(const struct matter_setup *s, char *out, size_t cap);

/* Decodes a QR payload (untrusted text, NUL-terminated; at most MATTER_QR_LEN + 1 bytes of it
 * are read) into *s. Only the exact form matter_qr_payload writes is accepted: "MT:" and 19
 * characters of the base-38 alphabet (upper case), each chunk within its byte range, version 0,
 * flow 0..2, zero padding, a valid passcode, nothing after (a payload with optional TLV data
 * is refused). 0, or -1 (*s unchanged) otherwise. */
int matter_qr_decode(const char *payload, struct matter_setup *s);

/* The manual pairing code (Matter Core 5.1.4), digits only, and a NUL into out: 11 digits for
 * flows 0 and 1, 21 (with vendor and product IDs) for the custom flow 2; the last digit is the
 * Verhoeff check digit. It carries only the discriminator's upper 4 bits and the passcode.
 * (connectedhomeip's current generator gives flow 1 the 21-digit form too unless told to force
 * the short one; here flow 1 gets 11 digits, as the interface says.) 0, or -1 (out
 * unchanged) when the flow is above 2, the discriminator above 4095, the passcode invalid, or
 * cap too small for the digits and NUL. */
int matter_manual_code(const struct matter_setup *s, char *out, size_t cap);

/* The Verhoeff check digit ('0'..'9') of a string of decimal digits (1..32 of them), or -1
 * when digits is NULL, empty, too long or has a non-digit. */
int matter_verhoeff(const char *digits);

/* Matter's serialized SPAKE2+ verifier (Matter Core 3.10, connectedhomeip Spake2pVerifier):
 * w0s || w1s = PBKDF2-HMAC-SHA256(passcode as 4 little-endian bytes, salt, iterations, 80);
 * w0 = w0s mod n, w1 = w1s mod n (P-256 order n, 40-byte big-endian halves); out = w0 (32 bytes
 * big-endian) || L = w1*G (65 bytes, uncompressed). 0, or -1 (out unchanged) when the passcode
 * is invalid, salt_len is outside MATTER_SALT_MIN..MATTER_SALT_MAX, iterations outside
 * MATTER_ITER_MIN..MATTER_ITER_MAX, w0 or w1 is 0, or OpenSSL fails (its error queue is left
 * for the caller's log). The verifier lets its holder test passcodes offline: treat it as a
 * secret; every intermediate is wiped. */
int matter_spake2p_verifier(uint32_t passcode, const uint8_t *salt, size_t salt_len, uint32_t iterations,
    uint8_t out[MATTER_VERIFIER_LEN]);

#endif
