/*
 * registry.h: the provisioning record built on the audit store: serial allocation, password
 * commitments, certificates, device outcomes, lots and checkpoints. The only SQL of the signer
 * is here and in audit.c. Each function that writes does its table row(s) and its log entry in
 * one transaction (BEGIN IMMEDIATE ... COMMIT), so the log and the tables never disagree.
 * Returns AUDIT_* codes; AUDIT_ERR_CONSTRAINT means a uniqueness rule refused the write.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "audit.h"
#include "caps.h"

/* Finds the record of (product, chip), a released one aside. Returns 1 and fills serial,
 * cert_serial and status ("verified": checks passed, lock not yet confirmed; "pass";
 * "quarantined": never ships) when found, 0 when not, <0 on error. */
int reg_device_find(struct audit *a, const char *product, const char *chip, char *serial,
    size_t scap, char *cert_serial, size_t ccap, char *status, size_t stcap);

/* Allocates the next product serial "<prefix><n zero-padded to digits>" for chip; never reused.
 * n is the product's allocation count, or, with a fleet registry (number > 0), number: the
 * number that position takes in the serial blocks the registry leased to this station (lease is
 * then its lease ID, recorded in the entry), and the allocation must be at position expect_n
 * (reg_serial_next), else AUDIT_ERR_CONSTRAINT and nothing allocated. */
int reg_serial_alloc(struct audit *a, const struct audit_who *w, const char *product,
    const char *prefix, unsigned digits, const char *chip, int64_t expect_n, int64_t number,
    int64_t lease, char *serial, size_t cap);

/* registry-fleet.c: the position (1-based count) the next serial of product takes. */
int reg_serial_next(struct audit *a, const char *product, int64_t *n);

/* A lease of the fleet registry as the log recorded it (entry fleet.lease): serial numbers
 * [first, first+count) of product scope, or count certificates of lot scope (quota). */
struct reg_lease {
	int quota;
	char scope[129];
	char time[32];   /* the entry's time: the lease runs ttl_s from it */
	int64_t id, first, count, ttl_s;
};

/* Calls fn for each fleet.lease entry in log order (fn returns nonzero to stop: that value is
 * returned). AUDIT_ERR_CORRUPT for a malformed entry (said). */
int reg_fleet_leases(struct audit *a, int (*fn)(void *ctx, const struct reg_lease *l), void *ctx);

/* Records the password commitment (hex HMAC) for serial; AUDIT_ERR_CONSTRAINT on a collision. */
int reg_pw_commit(struct audit *a, const struct audit_who *w, const char *serial,
    const char *chip, const char *commit_hex);

/* Records the commitment (hex HMAC) of one onboarding credential of serial (registry-cred.c):
 * kind "wifi" or "matter", public its clear part (SSID, discriminator). AUDIT_ERR_CONSTRAINT
 * when that kind's commitment, that serial's credential of that kind, or (wifi) that SSID is
 * already recorded: the station draws again. */
int reg_cred_commit(struct audit *a, const struct audit_who *w, const char *serial,
    const char *chip, const char *kind, const char *public, const char *commit_hex);

/* Number of certificates issued in lot (any status): the quota counter. */
int reg_quota_used(struct audit *a, const char *lot, unsigned long *used);

/* Records an issued certificate (DER) and its log entry; credentials ("wifi,matter", "" for
 * none) names the onboarding credentials committed for serial, so that an auditor checks each
 * has its entry. */
int reg_cert_issued(struct audit *a, const struct audit_who *w, const char *issuer,
    const char *cert_serial, const char *product, const char *chip, const char *serial,
    const char *pubkey_sha256, const uint8_t *der, size_t derlen, const char *credentials,
    int64_t *seq);

/* Marks the board's attempt failed: the serial void and, when a certificate was issued, the
 * certificate void (it goes on the CRL). step/code/reason are logged, and lock_pending (the
 * board's lock was pending in this session: only such failures count toward CAP_RESUME_FAILS),
 * and label (enum sig_label; logged when not SIGL_NONE: that label is void with the attempt). */
int reg_fail(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, const char *step, const char *code,
    const char *reason, int lock_pending, int label);

/* Records that every check passed and the board is about to be locked: device row 'verified',
 * serial used, certificate confirmed, entry board.verified. Durable before LOCK is sent. */
int reg_verified(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, const char *fw_version,
    const char *fw_digest);

/* Records the confirmed lock: device row 'pass', entry board.pass (resumed = 1 when a re-inserted
 * board finished its lock after an interruption) and what became of its label (enum sig_label).
 * Durable before the fixture shows PASS. */
int reg_pass(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, int resumed, int label, int64_t *seq);

/* The DER of a recorded certificate (malloc'd; caller frees). */
int reg_cert_der(struct audit *a, const char *cert_serial, uint8_t **der, size_t *len);

/* Start-up recovery (PRODUCT §7): attempts that a crash interrupted before board.verified
 * (certificate 'issued', serial 'allocated') are recorded void with an entry crash.recovered
 * each; their certificates go on the CRL. *n gets how many. Call only when this process holds
 * the station lock (no other station writes this database). */
int reg_recover(struct audit *a, const struct audit_who *w, unsigned *n);

/* Lots (docs/auditor-guide.md): a lot is opened by its first run (entry lot.opened, with the
 * quota) and closed once by `station lot close` (entry lot.closed, with its summary); a closed lot
 * takes no more boards. */
struct reg_lot_summary {
	unsigned long certs, certs_void;          /* certificates issued in the lot, of which void */
	unsigned long devices_pass, devices_verified;
	unsigned long failures;                   /* board.fail entries */
};

/* Records station.start {profile, profile_sha256, credentials}, preceded by profile.changed
 * {profile, from_sha256, to_sha256} when the last station.start in this log had another digest,
 * in one transaction (PRODUCT §7: configuration changes with their digest). credentials
 * ("wifi,matter"; "" or NULL for none, then not written) names the onboarding credentials the
 * profile declares: every certificate of the session names them (audit verify checks it). */
int reg_station_start(struct audit *a, const struct audit_who *w, const char *profile,
    const char *digest_hex, const char *credentials);

/* *closed = 1 when lot has a lot.closed entry; when (may be NULL) gets its UTC time. */
int reg_lot_closed(struct audit *a, const char *lot, int *closed, char *when, size_t wcap);
/* Records lot.opened (body: quota) unless the lot already has one. */
int reg_lot_open(struct audit *a, const struct audit_who *w, unsigned long quota);
int reg_lot_summary(struct audit *a, const char *lot, struct reg_lot_summary *s);
/* Records lot.closed with the lot's summary (also returned in *s), in the transaction that
 * checks it was still open: AUDIT_ERR_CONSTRAINT when it was already closed. */
int reg_lot_close(struct audit *a, const struct audit_who *w, unsigned long quota,
    struct reg_lot_summary *s);

/* Certificates issued (any status) to chip of product, to product over all lots: the signer's
 * per-chip limit and product total. */
int reg_chip_certs(struct audit *a, const char *product, const char *chip, unsigned long *n);
int reg_product_certs(struct audit *a, const char *product, unsigned long *n);

/* *opened = 1 when lot has a lot.opened entry. */
int reg_lot_opened(struct audit *a, const char *lot, int *opened);

/* Firmware version and digest (hex) of chip's last board.seen entry; -1 when none. */
int reg_last_seen_fw(struct audit *a, const char *chip, char *version, size_t vcap,
    char *digest, size_t dcap);

/* Log size (entries) and the size of the newest stored checkpoint (0 when none). */
int reg_log_sizes(struct audit *a, uint64_t *log_size, uint64_t *cp_size);

/* The CRL's input: serials (upper-case hex, as issued) of issuer's void certificates, in order.
 * *out gets a malloc'd array of *n (caller frees; on error nothing is returned). Fails with
 * AUDIT_ERR_DB when a step fails (a CRL missing entries is never returned), AUDIT_ERR_CORRUPT
 * when a serial is not text of 1 to CAP_CERT_SERIAL_HEX characters, AUDIT_ERR_NOMEM. */
struct reg_cert_serial {
	char hex[CAP_CERT_SERIAL_HEX + 1];
};
int reg_void_certs(struct audit *a, const char *issuer, struct reg_cert_serial **out, size_t *n);

/* Quarantine and re-verification (registry-line.c; docs/auditor-guide.md). */

/* *n = board.fail entries of chip since its last board.verified (of product) that were
 * recorded while its lock was pending in a session (lock_pending): the failed attempts to finish
 * it, not failures a station merely named. 0, or AUDIT_ERR_DB. */
int reg_fails_since_verified(struct audit *a, const char *product, const char *chip,
    unsigned long *n);

/* Whether (product, chip) is in quarantine, as the log says: 1 when its last board.quarantined
 * entry is not followed by a board.released entry, with that entry's serial (may be ""), code,
 * reason and UTC time copied (each truncated to its cap); 0 when it is not; AUDIT_ERR_DB. */
int reg_quarantine_find(struct audit *a, const char *product, const char *chip, char *serial,
    size_t scap, char *code, size_t ccap, char *reason, size_t rcap, char *since, size_t tcap);
/* Puts chip in quarantine in one transaction: entry board.quarantined {product, code, reason,
 * cert_serial}; its device row, when it has one, 'quarantined'; cert_serial (may be "") void, so
 * it is on the next CRL. The serial stays spent. AUDIT_* codes. */
int reg_quarantine(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, const char *code,
    const char *reason);
/* Lifts a quarantine: entry board.released {product, reason, operator}; the device row, when
 * there is one, 'released' (the chip may then be provisioned again, with a new serial). */
int reg_release(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *reason);
/* Records an end-of-line re-verification of a provisioned board: entry board.checked {product,
 * result PASS|FAIL, proof ("verified": the signer checked the board's proof over its own
 * challenge, S-29; "none": a failed re-check, reported), code, reason, fixture, cert_serial}.
 * Changes no table. 0 or an AUDIT_* code (nothing recorded). */
int reg_checked(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, int ok, const char *proof,
    const char *fixture, const char *code, const char *reason);

/* Checkpoints (srv-checkpoint.c). Readers run inside the caller's transaction (a read snapshot
 * or the write lock); a malformed row (root not a 32-byte blob, negative size, note not text
 * that fits) is AUDIT_ERR_CORRUPT, logged. */

/* How many checkpoints are stored, and the largest size (0 when none). AUDIT_OK, AUDIT_ERR_DB,
 * AUDIT_ERR_CORRUPT. */
int reg_cp_state(struct audit *a, int64_t *count, uint64_t *max);
/* The stored checkpoint of size: 1 with root and note (NUL-terminated, shorter than cap) copied,
 * 0 when there is none, AUDIT_ERR_DB or AUDIT_ERR_CORRUPT (also when the note does not fit). */
int reg_cp_find(struct audit *a, uint64_t size, uint8_t root[32], char *note, size_t cap);
/* Every stored checkpoint of size <= upto, by size: *sizes and *roots are malloc'd arrays of *n
 * (caller frees both; set only on success). AUDIT_ERR_NOMEM also when more than CAP_CHECKPOINTS
 * are stored. */
int reg_cp_roots(struct audit *a, uint64_t upto, uint64_t **sizes, merkle_hash **roots,
    size_t *n);
/* Stores the signed note for (size, root) in one write transaction. The caller checked it
 * against the snap_count checkpoints of its read snapshot: when another writer stored one since,
 * returns 1 and stores nothing (check again on a new snapshot). When this size already has this
 * root, stores nothing and copies the stored note into note (cap). 0 when done;
 * AUDIT_ERR_CONSTRAINT when this size was stored with another root (the log was altered);
 * AUDIT_ERR_DB, AUDIT_ERR_CORRUPT, AUDIT_ERR_NOMEM. */
int reg_cp_store(struct audit *a, int64_t snap_count, uint64_t size, const uint8_t root[32],
    char *note, size_t cap);

#endif
