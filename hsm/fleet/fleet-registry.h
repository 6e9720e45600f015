/*
 * fleet-registry.h: the signer's client of the central fleet registry (issue #15, PRODUCT §10), a
 * PostgreSQL database reached through libpq. Only the signer links it: only the signer's identity
 * writes the registry, as only it writes the local record (hsm/record/audit.h).
 *
 * Connecting, the versioned schema (migrations applied in one transaction under a PostgreSQL
 * advisory lock, so that two signers starting at once do not race; a schema newer than this
 * build is refused), ingesting entries and checkpoints, leases of serial blocks and quota.
 *
 * Schema 1 (docs/fleet.md "Schema"): stations; entries (the union of the stations' logs, keyed by
 * (station_id, seq), each row's leaf hash checked against its fields by the server, contiguous
 * per station, append-only); checkpoints (append-only, only over entries held); the fleet-wide
 * claims chips, serials, cert_serials, pubkeys, pw_commitments (each pointing at the entry that
 * made it, append-only); conflicts (a value claimed by a second station) and forks (a station
 * offering a different entry or root where the registry holds one), both append-only.
 *
 * Everything the server sends is checked (result status, row and column counts, lengths) before
 * it is used.
 */
#ifndef FLEET_REGISTRY_H
#define FLEET_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define FLEET_SCHEMA_VERSION 5

enum fleet_rc {
	FLEET_OK = 0,
	FLEET_ERR_CONNECT = -1, /* the server could not be reached or refused the connection */
	FLEET_ERR_DB = -2,      /* a statement failed (the server's message is in why) */
	FLEET_ERR_SCHEMA = -3,  /* the registry's schema is newer than this build */
	FLEET_ERR_ARG = -4,     /* a field is not printable ASCII, empty where it may not be, or too long */
	FLEET_ERR_NOMEM = -5,   /* out of memory */
	FLEET_ERR_CORRUPT = -6, /* the server answered something malformed (wrong shape or length) */
	FLEET_ERR_FORK = -7,    /* the registry holds a different entry at this station's seq, or
	                         * another root for a checkpoint size (recorded in forks), or the
	                         * station is already refused for a fork */
	FLEET_ERR_EXHAUSTED = -8, /* the lot's whole fleet quota is leased */
	FLEET_ERR_NOLOT = -9      /* the lot has no fleet quota declared */
};

struct fleet;

/* Connects to the registry named by conninfo (a libpq connection string or URI; never logged:
 * it may hold a password) and brings its schema to FLEET_SCHEMA_VERSION. Waits at most 10 s for
 * the connection unless conninfo sets connect_timeout. On success *out is the connection (the
 * caller owns it: fleet_close). On failure *out is untouched and why (when not NULL, cap > 0)
 * holds a sentence for people: FLEET_ERR_CONNECT, FLEET_ERR_DB, FLEET_ERR_SCHEMA,
 * FLEET_ERR_CORRUPT or FLEET_ERR_NOMEM. */
int fleet_open(const char *conninfo, struct fleet **out, char *why, size_t cap);

/* Closes the connection; NULL is a no-op. */
void fleet_close(struct fleet *f);

/* The registry's schema version as the server has it now (FLEET_OK and *v), or FLEET_ERR_DB /
 * FLEET_ERR_CORRUPT with why. */
int fleet_schema_version(struct fleet *f, int *v, char *why, size_t cap);

/* One entry of a station's local log, as audit-entry.h defines its fields (all printable ASCII
 * without '\n'; chip_id and serial may be ""), with its leaf hash. */
struct fleet_entry {
	const char *station;
	int64_t seq;
	const char *time;
	const char *operator_name;
	const char *lot;
	const char *kind;
	const char *chip_id;
	const char *serial;
	const char *body;
	uint8_t leaf[32];
};

/* Ingests one entry, idempotently, in one transaction: the station is recorded (first seen, last
 * contact), the entry inserted unless the registry holds it already, and the fleet-wide values it
 * claims (by kind: serial.allocated a serial; password.committed a commitment; cert.issued a
 * certificate serial per issuer and a public key; board.verified a chip per product) recorded, or
 * a conflict recorded when another station claimed the value first (the entry is still kept: a
 * conflict is reported, never merged). The server checks the leaf against the fields and that the
 * station's entries stay contiguous (seq 0, then each next one).
 * *held (when not NULL) is 1 when the registry held this entry already, else 0; *conflicts (when
 * not NULL) the number of conflicts this call recorded.
 * FLEET_OK; FLEET_ERR_FORK (the registry holds another entry at this seq: recorded in forks and
 * committed; or the station has a fork recorded: nothing more is taken from it); FLEET_ERR_ARG
 * (a field the schema would refuse, or a body that is not a JSON object); FLEET_ERR_DB (the
 * server refused: a gap, a wrong leaf, a lost connection; nothing of the entry is recorded);
 * FLEET_ERR_CORRUPT; FLEET_ERR_NOMEM. why as for fleet_open. */
int fleet_ingest_entry(struct fleet *f, const struct fleet_entry *e, int *held, int *conflicts,
    char *why, size_t cap);

/* Ingests entries e[0..n) of one station in order, in one transaction, each as
 * fleet_ingest_entry does; *held (when not NULL) is how many the registry held already. The same
 * return codes; on any error nothing of the batch is recorded (a fork: only the fork). */
int fleet_ingest_batch(struct fleet *f, const struct fleet_entry *e, size_t n, size_t *held,
    int *conflicts, char *why, size_t cap);

/* Ingests one of the station's signed checkpoints (size entries, their RFC 6962 root, the signed
 * note as the station holds it). The server computes the root over the entries it holds (a
 * running frontier per station; schema 2) and refuses any other: a root that differs from that,
 * or from a checkpoint of the same size held, is recorded in forks (FLEET_ERR_FORK). *held (when
 * not NULL) is 1 when it was held already. FLEET_ERR_DB when the registry does not hold entry
 * size-1 yet (send the entries first). The note's signature is not checked here (PostgreSQL
 * has no ECDSA): `station fleet verify` checks it against station_keys. */
int fleet_ingest_checkpoint(struct fleet *f, const char *station, uint64_t size,
    const uint8_t root[32], const char *note, int *held, char *why, size_t cap);

/* The seq after the last entry the registry holds of station (0: none): where a forwarder
 * resumes. */
int fleet_next_seq(struct fleet *f, const char *station, int64_t *next, char *why, size_t cap);

/* Compares root with the root the registry computes over the station's first size entries held:
 * FLEET_OK when they are the same; FLEET_ERR_FORK when not (recorded in forks as a checkpoint
 * fork at size: the two histories differ somewhere before it); FLEET_ERR_CORRUPT when the
 * registry holds fewer entries. Nothing else is recorded. */
int fleet_check_root(struct fleet *f, const char *station, uint64_t size, const uint8_t root[32],
    char *why, size_t cap);

/* How many forks of station the registry has recorded (0: none; else it takes nothing more from
 * it and leases it nothing). */
int fleet_station_forks(struct fleet *f, const char *station, int64_t *n, char *why, size_t cap);

/* The size of the station's largest checkpoint the registry holds (0: none). */
int fleet_last_checkpoint(struct fleet *f, const char *station, int64_t *size, char *why,
    size_t cap);

/* Records a public key station signs its checkpoints with (PEM SubjectPublicKeyInfo, as the
 * station exports it to <db dir>/audit-key.pem); idempotent, a new key adds a row. */
int fleet_station_key(struct fleet *f, const char *station, const char *pem, char *why, size_t cap);

/* A lease: serials (numbers [first, first + count) of a product, never leased twice) or quota
 * (count certificates of a lot; first is 0). */
struct fleet_lease {
	int64_t id;
	int64_t first;
	int64_t count;
};

/* Declares lot's fleet-wide quota; the first declaration stands: *held is the quota the
 * registry holds (another station's when it declared first). */
int fleet_declare_lot(struct fleet *f, const char *station, const char *lot, int64_t quota,
    int64_t *held, char *why, size_t cap);

/* Leases the next block of count serial numbers of product to station (blocks follow each other
 * from 1, fleet-wide). ttl_s is recorded (the station stops using a lease older than that). */
int fleet_lease_serials(struct fleet *f, const char *station, const char *product, int64_t count,
    unsigned ttl_s, struct fleet_lease *out, char *why, size_t cap);

/* Leases up to count certificates of lot's quota to station: out->count is what was left when
 * less. FLEET_ERR_EXHAUSTED (nothing left), FLEET_ERR_NOLOT (no quota declared). */
int fleet_lease_quota(struct fleet *f, const char *station, const char *lot, int64_t count,
    unsigned ttl_s, struct fleet_lease *out, char *why, size_t cap);

const char *fleet_strerror(int rc);

#endif
