/*
 * audit.h: the audit store (PRODUCT §7): SQLite in WAL mode with synchronous=FULL, a versioned
 * schema with forward migrations, and an append-only log table (triggers refuse UPDATE/DELETE).
 * Writes use BEGIN IMMEDIATE and a busy timeout; readers (the checkpoint snapshot, auditors)
 * never block the writer in WAL mode.
 * Written only by the signer (PRODUCT §4). Entry bytes and leaf hash: audit-entry.h.
 * Schema 1: tables; schema 2: log.leaf (RFC 6962 leaf hash) and append-only checkpoints;
 * schema 3: devices.status (verified -> pass); schema 4: index of the log by (kind, lot);
 * schema 5: index of certs by (product, chip_id); schema 6: devices.status also 'quarantined' and
 * 'released', (product, chip_id) unique among the rows not released.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "audit-entry.h"

#define AUDIT_SCHEMA_VERSION 6


/* Who and where, stamped on every entry. */
struct audit_who {
	const char *station;
	const char *operator_name;
	const char *lot;
};

struct audit;

/* Takes the station lock of the database at path (flock on "<path>.lock"): one provisioning
 * station per database, so start-up recovery never voids another station's attempts. Returns
 * the lock fd (held until the process exits) or -1 with a message. */
int audit_station_lock(const char *path);

/* Opens (creating and migrating as needed) the database at path. */
int audit_open(const char *path, struct audit **out);
void audit_close(struct audit *a); /* NULL is a no-op */
sqlite3 *audit_db(struct audit *a);
/* A prepared statement for sql, kept by a for reuse (found again by its text): give it back
 * with audit_finalize, which resets it and clears its bindings (a statement not from the cache,
 * or NULL, is finalized / ignored). A statement still handed out is never handed out twice: a
 * second one is prepared. AUDIT_OK, or AUDIT_ERR_DB (logged; *st NULL). */
int audit_prepare(struct audit *a, const char *sql, sqlite3_stmt **st);
void audit_finalize(struct audit *a, sqlite3_stmt *st);
/* What to do about the last failed SQLite call on a's connection, for a log line (issue #12's
 * campaign: a lock held by another process, a full disk, a read-only or failing disk): a static
 * string starting with " (", or "" for other errors. */
const char *audit_db_hint(struct audit *a);

/* BEGIN IMMEDIATE; inside a batch (below) a savepoint of the batch's transaction instead.
 * Fails (AUDIT_ERR_DB) inside a batch whose transaction SQLite has rolled back. */
int audit_begin(struct audit *a);
/* BEGIN (deferred): the first read takes a snapshot that later appends do not change; end it
 * with audit_commit. Readers never block the writer in WAL mode. */
int audit_begin_read(struct audit *a);
int audit_commit(struct audit *a);
void audit_rollback(struct audit *a);

/* Group commit (issue #14): between audit_batch_begin and audit_batch_end, every transaction
 * of audit_begin/audit_commit/audit_rollback is a savepoint of one transaction, which
 * audit_batch_end commits durably (one fsync for all). Nothing of the batch is durable before
 * audit_batch_end returns 0: its caller must not release any reply before that. audit_batch_end
 * returns AUDIT_ERR_DB (logged) when the commit failed or SQLite had rolled the transaction
 * back: then NOTHING of the batch is recorded, whatever the callers inside were told.
 * audit_begin_read is refused inside a batch. Not nestable (AUDIT_ERR_ARG). */
int audit_batch_begin(struct audit *a);
int audit_batch_end(struct audit *a);

/* Appends one entry inside the caller's transaction. chip/serial may be NULL (stored as "").
 * body (borrowed) is a JSON object; NULL means {}. *seq (if not NULL) gets the entry number. */
int audit_append(struct audit *a, const struct audit_who *w, const char *kind, const char *chip,
    const char *serial, json_t *body, int64_t *seq);
/* begin + append + commit; the body reference is stolen (json_decref'd), for one-line callers. */
/* Milliseconds since the epoch of an entry time (YYYY-MM-DDTHH:MM:SS.mmmZ), or -1. */
int64_t audit_time_ms(const char *t);

int audit_log(struct audit *a, const struct audit_who *w, const char *kind, const char *chip,
    const char *serial, json_t *body);

const char *audit_strerror(int rc);

#endif
