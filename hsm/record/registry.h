/*
 * registry.h: the provisioning record built on the audit store: serial allocation, password
 * commitments, certificates and device outcomes. Each function writes its table row(s) and its log
 * entry in one transaction (BEGIN IMMEDIATE ... COMMIT), so the log and the tables never disagree.
 * Returns AUDIT_* codes; AUDIT_ERR_CONSTRAINT means a uniqueness rule refused the write.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include "audit.h"
#include "caps.h"

/* Finds the record of (product, chip). Returns 1 and fills serial, cert_serial and status
 * ("verified": checks passed, lock not yet confirmed; "pass") when found, 0 when not, <0 on error. */
int reg_device_find(struct audit *a, const char *product, const char *chip, char *serial,
    size_t scap, char *cert_serial, size_t ccap, char *status, size_t stcap);

/* Allocates the next product serial "<prefix><n zero-padded to digits>" for chip; never reused. */
int reg_serial_alloc(struct audit *a, const struct audit_who *w, const char *product,
    const char *prefix, unsigned digits, const char *chip, char *serial, size_t cap);

/* Records the password commitment (hex HMAC) for serial; AUDIT_ERR_CONSTRAINT on a collision. */
int reg_pw_commit(struct audit *a, const struct audit_who *w, const char *serial,
    const char *chip, const char *commit_hex);

/* Number of certificates issued in lot (any status): the quota counter. */
int reg_quota_used(struct audit *a, const char *lot, unsigned long *used);

/* Records an issued certificate (DER) and its log entry. */
int reg_cert_issued(struct audit *a, const struct audit_who *w, const char *issuer,
    const char *cert_serial, const char *product, const char *chip, const char *serial,
    const char *pubkey_sha256, const uint8_t *der, size_t derlen, int64_t *seq);

/* Marks the board's attempt failed: the serial void and, when a certificate was issued, the
 * certificate void (it goes on the CRL). step/code/reason are logged. */
int reg_fail(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, const char *step, const char *code,
    const char *reason);

/* Records that every check passed and the board is about to be locked: device row 'verified',
 * serial used, certificate confirmed, entry board.verified. Durable before LOCK is sent. */
int reg_verified(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, const char *fw_version,
    const char *fw_digest);

/* Records the confirmed lock: device row 'pass', entry board.pass (resumed = 1 when a re-inserted
 * board finished its lock after an interruption). Durable before the fixture shows PASS. */
int reg_pass(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, int resumed, int64_t *seq);

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

/* Records station.start {profile, profile_sha256}, preceded by profile.changed {profile,
 * from_sha256, to_sha256} when the last station.start in this log had another digest, in one
 * transaction (PRODUCT §7: configuration changes with their digest). */
int reg_station_start(struct audit *a, const struct audit_who *w, const char *profile,
    const char *digest_hex);

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

#endif
