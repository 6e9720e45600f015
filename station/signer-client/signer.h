/*
 * signer.h: the station's side of the signer process (privilege separation, PRODUCT §4).
 * The station never loads PKCS#11 and never writes the audit record: it starts station-signer
 * on a socketpair and reports what it sees at each board; the signer decides (lots, serials,
 * quota, certificates) and records. Calls are thread-safe: each takes one of the signer's
 * sockets (CAP_SIGNER_CHANNELS in run, line and verify mode, one for admin commands) and waits
 * for a free one, so several fixtures' requests are in flight at once and the signer records
 * them with one durable commit (docs/signer-protocol.md S-1).
 */
#ifndef SIGNER_H
#define SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "caps.h"
#include "sigproto.h"

struct signer;

/* Why a call failed: sigproto status, detail code and a sentence for people. */
struct signer_err {
	int status; /* enum sig_status; SIGST_INTERNAL when the signer died */
	int detail;
	char text[CAP_REASON];
};

/* How the launcher starts the signer. */
struct signer_opts {
	int mode;          /* SIGMODE_RUN (provisioning), SIGMODE_ADMIN (lots, CRL, checkpoints,
	                    * releases) or SIGMODE_VERIFY (QA re-verification: LOOKUP, CHECKED) */
	long station_uid;  /* uid the board-facing process runs under (the signer compares) */
	const char *operator_name; /* admin mode: who runs the command (NULL: the profile's) */
	/* Service mode: called in the child between fork and exec to become the signer user
	 * (privsep_become_signer); NULL in developer mode. Nonzero aborts the start. */
	int (*become)(void *arg);
	void *become_arg;
};

/* BOARD reply. */
struct signer_board {
	int disposition; /* SIGB_NEW or SIGB_RESUME */
	char serial[CAP_SERIAL + 1];
	char cert_serial[SIGP_MAX_CERT_SERIAL + 1];
};

/* Starts the signer program (next to this executable, or $STATION_SIGNER) for profile_path in
 * o->mode and waits until it reports ready (HSM logged in, keys found). The profile path is the
 * launcher's, given before any board byte is read; no request ever carries one. On failure err
 * says why. */
int signer_start(const char *profile_path, const struct signer_opts *o, struct signer **out,
    struct signer_err *err);
/* Closes the socket and reaps the process. NULL is a no-op. */
void signer_stop(struct signer *s);
/* signer_stop, and *ru (when not NULL) gets the signer process's resource usage over its whole
 * life (CPU time, peak resident set: what `station run` reports in its summary). s is freed in
 * every case. 0, or -1 when s is NULL or the process could not be waited for (*ru untouched). */
int signer_end(struct signer *s, struct rusage *ru);
/* 1 when the signer reported that it runs under another uid than the station (service mode). */
int signer_separated(const struct signer *s);

/* Any request (tests, and the typed calls below): q encoded with the shared codec, the reply
 * decoded into p; a reply blob is copied into *blob (malloc'd, NUL-terminated; caller frees)
 * when blob is not NULL. 0, or -1 with err (the signer's refusal or why it could not be asked).
 * Thread-safe. */
int signer_call(struct signer *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **blob,
    struct signer_err *err);

/* A request body sent as given, without the encoder's checks: for tests that act as a
 * compromised station. The reply is decoded as the reply to body[0]. 0 or -1 with err. */
int signer_raw(struct signer *s, const uint8_t *body, size_t len, struct sigp_rsp *p,
    struct signer_err *err);

/* SESSION: work on lot (which the signer must have opened) for operator_name. */
int signer_session(struct signer *s, const char *lot, const char *operator_name,
    struct sigp_lot *out, struct signer_err *err);
/* LOT_OPEN / LOT_CLOSE (admin mode) or LOT_STATUS. */
int signer_lot(struct signer *s, uint8_t op, const char *lot, struct sigp_lot *out,
    struct signer_err *err);
/* BOARD: reports what the board said; the signer decides and allocates. */
int signer_board(struct signer *s, const struct sigp_board *b, struct signer_board *out,
    struct signer_err *err);
/* COMMIT_PW: the signer records the HMAC commitment of password for chip's serial. A collision
 * is err->detail SIGR_COLLISION (draw again). */
int signer_commit_pw(struct signer *s, const uint8_t *chip, size_t chip_len, const char *password,
    struct signer_err *err);
/* COMMIT_CRED: the signer records the HMAC commitment of one onboarding credential (kind enum
 * sig_cred; public its clear part: SSID, discriminator) for chip's serial. A collision is
 * err->detail SIGR_COLLISION (draw that credential again). */
int signer_commit_cred(struct signer *s, const uint8_t *chip, size_t chip_len, int kind,
    const char *public, const char *secret, struct signer_err *err);
/* ISSUE: *cert malloc'd (caller frees). */
int signer_issue(struct signer *s, const uint8_t *chip, size_t chip_len, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *csr, size_t csr_len, uint8_t **cert, size_t *certlen,
    char *cert_serial, size_t cscap, struct signer_err *err);
/* CERT: the recorded certificate of a board awaiting its lock; *der malloc'd. */
int signer_cert(struct signer *s, const uint8_t *chip, size_t chip_len, uint8_t **der,
    size_t *len, struct signer_err *err);
/* VERIFIED, PASS, FAIL, FIXTURE_ERROR, STOP: events with no reply fields. */
int signer_report(struct signer *s, const struct sigp_req *event, struct signer_err *err);
/* malloc'd NUL-terminated JSON text. */
int signer_info(struct signer *s, char **json, struct signer_err *err);
int signer_crl(struct signer *s, uint8_t **der, size_t *len, struct signer_err *err);
/* CHECKPOINT: force = 1 signs now, 0 only when [audit] says one is due. 0 and *note (malloc'd
 * signed note text) and *size when signed, 1 when not due, -1 with err. */
int signer_checkpoint(struct signer *s, int force, const char *trigger, char **note,
    uint64_t *size, struct signer_err *err);
/* LOOKUP reply: what the record says of a chip (docs/signer-protocol.md §4.14). */
struct signer_record {
	int kind; /* SIGREC_* */
	char serial[CAP_SERIAL + 1];                /* "" for SIGREC_NONE */
	char cert_serial[SIGP_MAX_CERT_SERIAL + 1]; /* "" when no certificate is recorded */
	uint8_t *cert;                              /* recorded DER, or NULL */
	size_t cert_len; /* malloc'd, caller frees */
	char reason[SIGP_MAX_TEXT + 1];             /* SIGREC_QUARANTINED: "E_CODE: why"; else "" */
	uint8_t challenge[32];  /* SIGREC_PASS: the signer's challenge for the board's proof (S-29) */
	size_t challenge_len;   /* 32 (SIGP_CHALLENGE) for SIGREC_PASS, else 0 */
};

/* LOOKUP (run mode, with or without SESSION; verify and admin mode): the record of chip, read
 * only and not logged (but counted, S-30). For a PASS chip the signer gives a fresh challenge,
 * the only one of that chip it will accept a proof over in a CHECKED. 0 with *out set
 * (out->cert malloc'd or NULL: the caller frees it), or -1 with err (SIGST_QUOTA/LOOKUPS: the
 * session's LOOKUPs found no record CAP_LOOKUP_MISSES times; SIGST_LOG: the record could not be
 * read; SIGST_INTERNAL: the signer's random generator failed, or the stream failed). */
int signer_lookup(struct signer *s, const uint8_t *chip, size_t chip_len, struct signer_record *out,
    struct signer_err *err);
/* CHECKED (run and verify mode): records board.checked for a provisioned chip: ok = 1, code ""
 * (or NULL) and sig the board's signature (1..SIGP_MAX_SIG bytes) over PROVE_PREFIX || the
 * challenge of this chip's last LOOKUP when the re-check passed (recorded "proof":"verified"
 * only once the signer has verified it with the recorded certificate's key); ok = 0, its E_*
 * code and no signature (NULL, 0) when not. fixture 1..64 and reason 0..255 printable
 * characters. 0, or -1 with err: SIGST_STATE/SEQUENCE when the chip has no PASS device row or
 * (ok) no challenge outstanding (LOOKUP first; each is used once), SIGST_POLICY/PROOF when the
 * signature does not verify, SIGST_STATE/MODE in another mode, SIGST_REQUEST when ok and code
 * or ok and sig disagree or a field is out of its limits (then nothing is sent), SIGST_LOG. */
int signer_checked(struct signer *s, const uint8_t *chip, size_t chip_len, int ok, const char *fixture,
    const char *code, const char *reason, const uint8_t *sig, size_t sig_len,
    struct signer_err *err);
/* RELEASE (admin mode): lifts chip's quarantine (board.released, with reason, 1..255 printable
 * characters, and the admin session's operator); a new BOARD then provisions it from scratch
 * with a new serial. 0, or -1 with err: SIGST_STATE/SEQUENCE when the chip is not in
 * quarantine, SIGST_STATE/MODE outside admin mode, SIGST_REQUEST for a reason out of limits,
 * SIGST_LOG. */
int signer_release(struct signer *s, const uint8_t *chip, size_t chip_len, const char *reason,
    struct signer_err *err);

/* Path of the station-signer program: $STATION_SIGNER, else next to this executable, else
 * ../libexec/station/. 0, or -1 when not found. */
int signer_program(char *path, size_t cap);
/* pid of the signer process (for tests that inspect its memory maps). */
int signer_pid(const struct signer *s);

#endif
