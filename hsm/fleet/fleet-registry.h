/*
 * fleet-registry.h: the signer's client of the central fleet registry (issue #15, PRODUCT §10), a
 * PostgreSQL database reached through libpq. Only the signer links it: only the signer's identity
 * writes the registry, as only it writes the local record (hsm/record/audit.h).
 *
 * What exists: connecting, the versioned schema (migrations applied in one transaction under a
 * PostgreSQL advisory lock, so that two signers starting at once do not race; a schema newer than
 * this build is refused) and one entry's ingestion. The forwarder, the checkpoints' consistency
 * check, leases and the fleet commands are still to be built (docs/fleet.md).
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

#define FLEET_SCHEMA_VERSION 1

enum fleet_rc {
	FLEET_OK = 0,
	FLEET_ERR_CONNECT = -1, /* the server could not be reached or refused the connection */
	FLEET_ERR_DB = -2,      /* a statement failed (the server's message is in why) */
	FLEET_ERR_SCHEMA = -3,  /* the registry's schema is newer than this build */
	FLEET_ERR_ARG = -4,     /* a field is not printable ASCII, empty where it may not be, or too long */
	FLEET_ERR_NOMEM = -5,   /* out of memory */
	FLEET_ERR_CORRUPT = -6, /* the server answered something malformed (wrong shape or length) */
	FLEET_ERR_FORK = -7     /* the registry holds a different entry at this station's seq (recorded
	                         * in forks), or the station is already refused for a fork */
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

const char *fleet_strerror(int rc);

#endif
