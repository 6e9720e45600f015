/*
 * srv.h: the signer process's state and request handlers (PRODUCT §4, §6). Holds the only HSM
 * session; accepts only the requests of sigproto.h; re-checks issuance policy; enforces the lot
 * quota; writes every issuance to the audit record (durably) before releasing a certificate.
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "audit.h"
#include "p11.h"
#include "profile.h"

struct srv {
	struct profile prof;
	struct p11 *p11;
	CK_OBJECT_HANDLE ca_key, commit_key;
	CK_OBJECT_HANDLE audit_key; /* checkpoint signing key (one key, one purpose) */
	int have_audit_key;
	int audit_is_ed25519;       /* else EC P-256 (signed-note types 0x01 / 0x02) */
	X509 *ca_cert;
	int ca_is_ec;
	char issuer[128]; /* CA key identifier (hex SKI), names the issuer in the record */
	struct audit *audit;
};

/* Loads the profile, reads the PIN (file, $STATION_HSM_PIN, or prompt), opens the module, logs
 * in, finds the CA and commitment keys, loads the CA certificate and opens the audit store.
 * need_keys = 0 for the key ceremony (keys may not exist yet). On failure why says what to do. */
int srv_open(const char *profile_path, int need_keys, struct srv **out, char *why, size_t cap);
void srv_close(struct srv *s);

/* Handles one request body; writes the reply body into out (cap) and its length to *outlen. */
void srv_handle(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen);

/* SIGOP_CHECKPOINT (srv-checkpoint.c): recomputes the Merkle tree of the whole log (refusing
 * when a stored leaf differs or seq has a gap), signs a C2SP checkpoint with the audit key,
 * stores it in the checkpoints table and as <db dir>/checkpoints/<size>.checkpoint, exports
 * <db dir>/audit-key.pem once, and replies OK + the note. Never signs two roots for one size. */
void srv_checkpoint(struct srv *s, uint8_t *out, size_t cap, size_t *outlen);

/* SHA-256 then CKM_ECDSA with key; the raw r||s from the module is returned as a DER
 * Ecdsa-Sig-Value in sig (*siglen: in capacity, out length). 0 or -1 (logged by p11). */
int srv_ecdsa_sign(struct srv *s, CK_OBJECT_HANDLE key, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t *siglen);

/* CA signature callback for issue.h over PKCS#11 (ECDSA: SHA-256 then CKM_ECDSA, r||s -> DER). */
int srv_sign_cb(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);

#endif
