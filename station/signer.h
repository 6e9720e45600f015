/*
 * signer.h: the station's side of the signer process (privilege separation, PRODUCT §4).
 * The station never loads PKCS#11: it starts station-signer on a socketpair and sends it
 * issuance requests; the signer holds the HSM session, re-checks policy, enforces the quota and
 * logs every issuance before it returns a certificate. Calls are serialised (thread-safe).
 */
#ifndef SIGNER_H
#define SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"

struct signer;

/* Why a call failed: sigproto status, detail code and a sentence for people. */
struct signer_err {
	int status; /* enum sig_status; SIGST_INTERNAL when the signer died */
	int detail;
	char text[CAP_REASON];
};

struct signer_issue {
	const char *lot, *operator_name, *chip_hex, *serial, *model;
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *csr;
	size_t csr_len;
};

/* Starts the signer program (next to this executable, or $STATION_SIGNER) for profile_path and
 * waits until it reports ready (HSM logged in, keys found). On failure err says why. */
int signer_start(const char *profile_path, struct signer **out, struct signer_err *err);
/* Closes the socket and reaps the process. NULL is a no-op. */
void signer_stop(struct signer *s);

int signer_issue(struct signer *s, const struct signer_issue *rq, uint8_t **cert,
    size_t *certlen, char *cert_serial, size_t cscap, struct signer_err *err);
/* HMAC-SHA-256 commitment of a password under the HSM commitment key. */
int signer_commit_pw(struct signer *s, const char *password, uint8_t out[32],
    struct signer_err *err);
/* malloc'd NUL-terminated JSON text. */
int signer_info(struct signer *s, char **json, struct signer_err *err);
int signer_crl(struct signer *s, uint8_t **der, size_t *len, struct signer_err *err);
/* Asks the signer to sign a checkpoint of the whole audit log now (SIGOP_CHECKPOINT): *note gets
 * the C2SP signed note text, malloc'd and NUL-terminated (caller frees). */
int signer_checkpoint(struct signer *s, char **note, struct signer_err *err);
/* Path of the station-signer program: $STATION_SIGNER, else next to this executable, else
 * ../libexec/station/. 0, or -1 when not found. */
int signer_program(char *path, size_t cap);
/* pid of the signer process (for tests that inspect its memory maps). */
int signer_pid(const struct signer *s);

#endif
