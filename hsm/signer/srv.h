/*
 * srv.h: the signer process's state and request handlers (PRODUCT §4, §6). The signer is the
 * authority: it holds the only HSM session and the only writable connection to the audit record,
 * loads the product policy from its own configuration, opens and closes lots, allocates serials
 * and binds them to chip IDs, enforces the lot quota, the product total and the per-chip limit,
 * and records every step a board takes. It accepts only the requests of sigproto.h, checks each
 * against the recorded state, logs every refusal with its reason, and writes every issuance to
 * the audit record (durably) before releasing a certificate.
 *
 * Files: srv.c opens and closes the state and hands each request to its handler: srv-lot.c,
 * srv-board.c, srv-line.c, srv-checkpoint.c, srv-ca.c. What the handlers share is in files of
 * its own (srv-refuse.c, srv-sign.c, srv-attempt.c, srv-challenge.c), so no handler calls back
 * into srv.c.
 */
#ifndef SRV_H
#define SRV_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

#include "audit.h"
#include "p11.h"
#include "profile.h"
#include "sigproto.h"

/* One board's open attempt in a run session (srv-attempt.c). */
struct srv_attempt {
	char chip[2 * MSG_MAX_CHIP_ID + 1];
	char serial[CAP_SERIAL + 1];
	char cert_serial[SIGP_MAX_CERT_SERIAL + 1]; /* "" until ISSUE */
	int committed;                              /* COMMIT_PW recorded */
	unsigned creds;                             /* COMMIT_CRED recorded: 1 << enum sig_cred */
	int in_use;
};

/* A challenge a LOOKUP gave for a PASS chip (srv-challenge.c), until a CHECKED spends it. */
struct srv_challenge {
	char chip[2 * MSG_MAX_CHIP_ID + 1]; /* "" when the slot is free */
	uint8_t c[SIGP_CHALLENGE];
	uint64_t seq;                       /* when it was given: the oldest is replaced first */
};

struct srv {
	struct profile prof;
	struct p11 *p11;
	CK_OBJECT_HANDLE ca_key, commit_key;
	CK_OBJECT_HANDLE audit_key; /* checkpoint signing key (one key, one purpose) */
	int have_audit_key;
	unsigned hsm_recoveries;    /* p11_recoveries already recorded (hsm.recovered) */
	int audit_is_ed25519;       /* else EC P-256 (signed-note types 0x01 / 0x02) */
	X509 *ca_cert;
	int ca_is_ec;
	char issuer[128]; /* CA key identifier (hex SKI), names the issuer in the record */
	struct audit *audit;
	int mode;         /* enum sig_mode, fixed by the launcher before any board byte was read */
	int separated;    /* the station runs under another uid than this process */
	int session;      /* run mode: SESSION bound a lot and an operator */
	char lot[SIGP_MAX_NAME + 1], operator_name[SIGP_MAX_NAME + 1];
	struct audit_who who; /* stamped on every entry this process writes */
	uint64_t last_cp_ms;  /* when this process last signed a checkpoint (due rule) */
	struct srv_attempt att[CAP_ATTEMPTS];
	unsigned voided;      /* attempts of this session that ended void (with or without a certificate) */
	/* Chips whose lock is pending in this session: recorded VERIFIED, or resumed (BOARD said
	 * RESUME), and not yet PASS or FAIL. Only their FAIL may quarantine (S-25): a station
	 * cannot quarantine, and so revoke, any other board by naming its chip. */
	char lock_pending[CAP_ATTEMPTS][2 * MSG_MAX_CHIP_ID + 1];
	/* Certificates of the session's lot and of the product: counted from the record at SESSION,
	 * then kept here (the run session is the only one that issues on its database: station
	 * lock), so no count runs over the whole certs table for every board. */
	unsigned long lot_used, product_used;
	/* S-29: challenges outstanding in this session, each used once. */
	struct srv_challenge chal[CAP_ATTEMPTS];
	uint64_t chal_seq;
	/* S-30: LOOKUPs of this session and those that found no record (reported by STOP); at
	 * CAP_LOOKUP_MISSES misses every further LOOKUP is refused, logged the first time. */
	unsigned long lookups, lookup_misses;
	int lookups_refused;
	/* A group commit was lost (audit_batch_end failed): requests of it were answered as if
	 * recorded in this process's state (attempts, counts) but are not in the record, so every
	 * later request is refused until the station is restarted and the state re-read. */
	int record_lost;
	uint8_t *crl;         /* the CRL last signed for this connection, sent in chunks */
	size_t crl_len;
	/* [fleet] (srv-fleet.c): the forwarder child, when to start it again, and the registry
	 * connection leases are asked on (opened when needed, dropped when it fails) */
	int fwd_pid;
	uint64_t fwd_next_ms;
	unsigned fwd_starts;
	struct fleet *fleet;
	uint64_t fleet_retry_ms; /* no registry call before this after a failure */
	char fleet_why[CAP_REASON]; /* why the registry could not be used last */
	int fleet_behind;         /* the registry holds more of this log than the record (restored), or
	                           * has a fork of it recorded: no issuing (fleet_why says which) */
	/* the leases of the session's product and lot, from the record (srv_fleet_session) */
	int64_t (*blocks)[3];     /* serial blocks in lease order: first, count, lease ID */
	size_t nblocks, ablocks;
	int64_t block_total;      /* serial positions the blocks cover */
	int64_t quota_leased;     /* certificates of the lot leased to this station */
	int64_t quota_until;      /* epoch s the newest quota lease of the lot runs to (0: none) */
};

/* The open attempt of chip, or NULL. */
struct srv_attempt *srv_att_find(struct srv *s, const char *chip);
/* A new attempt of chip with serial: NULL when CAP_ATTEMPTS are open (or a field is too long). */
struct srv_attempt *srv_att_new(struct srv *s, const char *chip, const char *serial);
/* Ends an attempt; NULL is a no-op. */
void srv_att_drop(struct srv_attempt *a);
/* Chips with their lock pending in this session (srv-attempt.c): add (0, or -1 when
 * CAP_ATTEMPTS are pending already) and take (1 when chip was pending; it no longer is). */
int srv_pending_add(struct srv *s, const char *chip);
int srv_pending_take(struct srv *s, const char *chip);
int srv_pending_has(const struct srv *s, const char *chip); /* 1 when chip's lock is pending */

/* srv-challenge.c (S-29). srv_chal_new draws a fresh challenge for chip from the CSPRNG into
 * out and keeps it among the session's outstanding ones (with CAP_ATTEMPTS outstanding, the
 * oldest is replaced): 0, or -1 when the generator failed or chip is empty or too long (nothing
 * kept). srv_chal_use calls proves(arg, challenge) for each challenge outstanding for chip until
 * one returns nonzero: that one is spent and the result is 1; when none does, all of chip's are
 * spent and the result is 0; -1 when chip has none outstanding (nothing called). */
int srv_chal_new(struct srv *s, const char *chip, uint8_t out[SIGP_CHALLENGE]);
int srv_chal_use(struct srv *s, const char *chip, int (*proves)(void *arg, const uint8_t *c),
    void *arg);

/* Ends an attempt that was voided, counting it in s->voided whether or not it had a certificate;
 * NULL is a no-op. */
void srv_att_void(struct srv *s, struct srv_attempt *a);

/* srv.c: loads the profile, reads the PIN (file, $STATION_HSM_PIN, or prompt), opens the module,
 * logs in, finds the CA and commitment keys, loads the CA certificate and opens the audit store.
 * need_keys = 0 for the key ceremony (keys may not exist yet). On failure why says what to do. */
int srv_open(const char *profile_path, int need_keys, struct srv **out, char *why, size_t cap);
void srv_close(struct srv *s);
/* 1 when the request may share a group commit with others (signer-main.c): the per-board
 * requests, which write through audit_begin/audit_commit only and reply after their entries. */
int srv_batchable(const uint8_t *req, size_t reqlen);
/* The reply to a request of a group commit that was lost (audit_batch_end failed): SIGST_LOG,
 * nothing recorded; sets s->record_lost. */
void srv_batch_lost(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen);

/* srv-fleet.c: the forwarder (hsm/fleet/forward.c) runs as a child of a run-mode signer whose
 * profile has [fleet]. srv_fleet_start starts it; srv_fleet_tick (called at least once a second
 * while serving) reaps it and starts it again when it died (1 s, then up to 30 s apart);
 * srv_fleet_stop ends it (SIGTERM) and closes the registry connection. srv_fleet_wait_ms is the
 * poll timeout serving needs (-1: none). */
void srv_fleet_start(struct srv *s);
void srv_fleet_tick(struct srv *s);
void srv_fleet_stop(struct srv *s);
int srv_fleet_wait_ms(const struct srv *s);
/* Reads the leases of the session's product and lot from the record (at SESSION): 0, or -1 on a
 * database error (said). A no-op without [fleet]. */
int srv_fleet_session(struct srv *s);
/* The serial the next allocation takes with [fleet]: its position (*expect_n), its number in the
 * leased blocks (*number) and lease ID, a new block asked of the registry when the blocks run
 * low. 0 (*number 0 without [fleet]); -1 with why when no block covers it and the registry
 * cannot lease one, or the registry holds more of this station's log than its record. */
int srv_fleet_serial(struct srv *s, int64_t *expect_n, int64_t *number, int64_t *lease, char *why,
    size_t cap);
/* With [fleet], whether the lot's leased quota allows one more certificate (s->lot_used so
 * far), a new quota lease asked when it runs low or the newest expired. 0, or -1 with why. */
int srv_fleet_quota(struct srv *s, char *why, size_t cap);

/* srv.c: handles one request body, handing it to the handler of its op below; writes the reply
 * body into out (cap) and its length to *outlen (always a reply: a malformed request gets
 * SIGST_REQUEST and is logged). */
void srv_handle(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen);

/* srv-cred.c: COMMIT_CRED (S-33): commits one onboarding credential of chip's attempt, once
 * per kind, only the kinds the profile declares, before ISSUE; fills p (SIGR_COLLISION: the
 * station draws again). srv_cred_needed: the kinds the profile declares (1 << enum sig_cred);
 * srv_cred_list writes them as "wifi,matter" ("" for none). */
void srv_commit_cred(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p);
unsigned srv_cred_needed(const struct srv *s);
void srv_cred_list(unsigned kinds, char *out, size_t cap);

/* srv-refuse.c: sets an error reply (status, detail, text) in p and logs it as kind
 * ("request.refused" or "cert.refused") with the op, the refusal's stable name and the text.
 * chip/serial may be NULL. */
void srv_refuse(struct srv *s, struct sigp_rsp *p, const char *kind, int op, const char *chip,
    const char *serial, int status, int detail, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

/* Per-board requests (srv-board.c): BOARD, COMMIT_PW, ISSUE, VERIFIED, PASS, FAIL, CERT. Each
 * checks the session and the board's recorded state, writes the record, and fills p. A refusal
 * after a serial was allocated voids the attempt (board.fail) so nothing is left half-issued.
 * A certificate in the reply (p->blob) lives in *owned, which the caller frees after encoding. */
void srv_board(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **owned);

/* Line-mode requests (srv-line.c): LOOKUP (run, verify and admin mode; read-only and not
 * logged, but counted, with a challenge for a PASS chip, and refused QUOTA/LOOKUPS after
 * CAP_LOOKUP_MISSES misses), CHECKED (run and verify mode: board.checked for a PASS device; a
 * pass only with the board's proof over its outstanding challenge, else refused STATE/SEQUENCE
 * or POLICY/PROOF), RELEASE (admin mode: board.released for a chip in quarantine, else refused
 * STATE). A certificate in the LOOKUP reply (p->blob) lives in *owned, which the caller frees
 * after encoding. */
void srv_line(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **owned);
/* Puts chip in quarantine (S-25) unless it already is: its device row, when it has one, is
 * quarantined with its certificate voided; else serial and cert_serial (the failed attempt's,
 * may be NULL) are named in the board.quarantined entry. 0, or an AUDIT_* code (nothing
 * recorded). */
int srv_quarantine(struct srv *s, const char *chip, const char *serial, const char *cert_serial,
    const char *code, const char *reason);

/* Session and lot requests (srv-lot.c): SESSION, LOT_OPEN, LOT_CLOSE, LOT_STATUS, STOP,
 * FIXTURE_ERROR. */
void srv_lot(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p);

/* SIGOP_CHECKPOINT (srv-checkpoint.c): when forced or due ([audit] checkpoint_entries /
 * checkpoint_interval), recomputes the Merkle tree of the whole log (refusing when a stored leaf
 * differs or seq has a gap), checks it against the last checkpoint this signer signed (kept in
 * its own state file, not in the database), signs a C2SP checkpoint with the audit key, stores it
 * in the checkpoints table and as <db dir>/checkpoints/<size>.checkpoint, exports
 * <db dir>/audit-key.pem once, and replies with the note. Never signs two roots for one size. */
void srv_checkpoint(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, char **note);

/* SIGOP_INFO and SIGOP_CRL (srv-ca.c). INFO: the token, key URIs, CA subject and quotas as
 * compact JSON in *js (malloc'd, the reply's blob; the caller frees it after encoding). CRL at
 * offset 0: the void certificates of this CA (registry.h reg_void_certs) in a CRL signed with the
 * CA key, kept in s->crl; at every offset: total = its length and the chunk from offset (at most
 * SIGP_MAX_BLOB bytes, pointing into s->crl). On failure p says why (SIGST_LOG: the record could
 * not be read, no CRL signed; SIGST_HSM; SIGST_STATE: an offset past the CRL, or none signed). */
void srv_info(struct srv *s, struct sigp_rsp *p, char **js);
void srv_crl(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p);

/* srv-sign.c: SHA-256 then CKM_ECDSA with key; the raw r||s from the module is returned as a
 * DER Ecdsa-Sig-Value in sig (*siglen: in capacity, out length). 0 or -1 (logged by p11). */
int srv_ecdsa_sign(struct srv *s, CK_OBJECT_HANDLE key, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t *siglen);

/* srv-sign.c: CA signature callback for issue.h over PKCS#11 (ctx is the struct srv; RSA:
 * CKM_SHA256_RSA_PKCS; EC: srv_ecdsa_sign with the CA key). 0 or -1 (logged by p11). */
int srv_sign_cb(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen);

#endif
