/*
 * record.h: the audit record as a verifier sees it: every log entry, the registry tables
 * (certs, devices, serials, pw_commits) and the checkpoints, loaded from a database (read-only,
 * never migrated) or from an audit bundle (docs/auditor-guide.md). Both are untrusted input:
 * every column is type- and length-checked; a bad row is kept with a reason (rec_entry.bad) so
 * the verifier can name it, rather than aborting the load.
 */
#ifndef RECORD_H
#define RECORD_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "merkle.h"

enum rec_rc {
	REC_OK = 0,
	REC_ERR_OPEN = -1,  /* cannot open/read the input (file missing, not a database, ...) */
	REC_ERR_FORMAT = -2, /* input is not an audit record (schema, bundle format) */
	REC_ERR_NOMEM = -3,
	REC_ERR_LOG = -4    /* record_leaves: an entry does not match its leaf or seq has a gap */
};

struct rec_entry {
	int64_t seq;
	const char *time, *station, *op, *lot, *kind, *chip, *serial, *body; /* in mem */
	uint8_t leaf[32];  /* as stored */
	int leaf_ok;       /* the stored leaf is 32 bytes */
	const char *bad;   /* NULL, or why a column could not be read (static text) */
	char *mem;
};

struct rec_cert {
	char *issuer, *cert_serial, *product, *chip, *serial, *lot, *pubkey, *status;
	uint8_t *der;
	size_t derlen;
	int64_t seq;
};

struct rec_device {
	char *product, *chip, *serial, *lot, *cert_serial, *fw_version, *fw_digest;
	char *status; /* verified|pass|quarantined|released; "" when the record predates it */
	int64_t seq;
};

struct rec_serial {
	char *serial, *product, *chip, *lot, *status;
	int64_t seq;
};

struct rec_pw {
	char *commitment, *serial;
	int64_t seq;
};

/* cred_commits (issue #16): one onboarding credential of a serial, its kind ("wifi",
 * "matter"), the HMAC commitment of its secret and its clear part (SSID, discriminator). */
struct rec_cred {
	char *kind, *commitment, *serial, *public;
	int64_t seq;
};

/* counters(name, value): the serial counter of each product ("serial:<product>"). */
struct rec_counter {
	char *name;
	int64_t value;
};

struct rec_checkpoint {
	int64_t size;
	uint8_t root[32];
	int root_ok;
	char *note;
	char *time;
};

struct rec_chunk;

struct record {
	struct rec_entry *e;
	size_t ne;
	struct rec_cert *c;
	size_t nc;
	struct rec_device *d;
	size_t nd;
	struct rec_serial *s;
	size_t ns;
	struct rec_pw *p;
	size_t np;
	struct rec_cred *cr;  /* none in a record written before schema 7 */
	size_t ncr;
	struct rec_checkpoint *k;
	size_t nk;
	struct rec_counter *n;
	size_t nn;
	int have_counters;   /* the counters table was read (a database; a bundle has none) */
	struct rec_chunk *chunks; /* a database's rows: their strings (record.c) */
	int arena_rows;      /* the rows' strings are in chunks, not allocated one by one */
	size_t ncerts;       /* certificate rows (record_open_db: counted before they are loaded) */
	sqlite3 *db;         /* record_open_db: the database, in a read transaction */
	sqlite3_stmt *at;    /* record_open_db: the entry of one seq */
	char *ca_pem;        /* bundle only: the CA chain (PEM) */
	char *audit_key_pem; /* bundle only: the audit public key (PEM SPKI) */
};

/* Loads the database at path read-only. why gets a sentence on failure. */
int record_load_db(const char *path, struct record **out, char *why, size_t wcap);
/* Loads an audit bundle ("station-audit-bundle/1" JSON) of len <= CAP_BUNDLE bytes. */
int record_load_bundle(const uint8_t *buf, size_t len, struct record **out, char *why,
    size_t wcap);
/* Like record_load_db, but for a verifier that streams the log: only the checkpoints are
 * loaded (and rc->ncerts counted); the log is not (rc->e stays NULL, rc->ne 0), the other
 * tables are loaded by record_load_rows when the caller is done with the log. Every table is
 * checked readable here, as record_load_db would. The database stays open in one read
 * transaction (a snapshot) until record_free. Read the log with record_each_entry and one
 * entry with record_entry_at. */
int record_open_db(const char *path, struct record **out, char *why, size_t wcap);
/* The certs, devices, serials, pw_commits and counters rows of a record_open_db record (a
 * no-op for a bundle). REC_OK, REC_ERR_OPEN or REC_ERR_NOMEM (why names path). */
int record_load_rows(struct record *rc, const char *path, char *why, size_t wcap);
/* Calls fn(arg, e) for every entry in seq order, with the same column checks as
 * record_load_db (e->bad, e->leaf_ok); e and its strings are valid during the call only. From
 * the database (record_open_db) or from rc->e (a bundle, sorted by seq). fn returns 0 to go on,
 * anything else stops the walk and is returned. *n gets the count of entries walked. REC_OK,
 * REC_ERR_OPEN (why says it), REC_ERR_NOMEM (more than CAP_LOG_ENTRIES entries), or fn's. */
int record_each_entry(struct record *rc, int (*fn)(void *arg, const struct rec_entry *e),
    void *arg, size_t *n, char *why, size_t wcap);
/* The entry of seq: a pointer into rc->e (loaded records) or into buf (record_open_db; buf is
 * zero-initialised by the caller, reused across calls, and released with record_entry_clear).
 * NULL when there is no such entry or it cannot be read. */
const struct rec_entry *record_entry_at(struct record *rc, int64_t seq, struct rec_entry *buf);
void record_entry_clear(struct rec_entry *buf);
void record_free(struct record *r); /* NULL is a no-op */

/* Recomputes the leaf hash of e from its fields (audit.h canonical bytes). */
int record_entry_leaf(const struct rec_entry *e, merkle_hash out);

/* For the signer and proof tools: every log row of db in seq order, each leaf recomputed from
 * the row and compared with the stored one. REC_ERR_LOG (why names the entry) when a stored
 * leaf differs, a column is unreadable or seq is not 0,1,2,... *leaves is malloc'd (caller
 * frees) and holds *n hashes. */
int record_leaves(sqlite3 *db, merkle_hash **leaves, uint64_t *n, char *why, size_t wcap);

#endif
