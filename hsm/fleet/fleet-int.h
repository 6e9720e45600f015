/*
 * fleet-int.h: what the fleet registry's client files share (fleet-conn.c, fleet-schema.c,
 * fleet-ingest.c, fleet-lease.c): the connection and the checked helpers every statement goes
 * through. Not for callers outside hsm/fleet/: they use fleet-registry.h.
 */
#ifndef FLEET_INT_H
#define FLEET_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct fleet {
	PGconn *conn;
};

/* A field of an entry: at most this long (a cert.issued body holds the whole certificate in hex). */
#define FLEET_FIELD_MAX (64 * 1024)

/* A sentence for people into why (cap > 0; NULL is a no-op), libpq's trailing newline removed. */
void fl_say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The server's primary message of a failed result, or the connection's (a lost connection). */
const char *fl_pg_msg(const struct fleet *f, const PGresult *res);

/* Runs sql (no parameters, one or more statements); FLEET_OK, or FLEET_ERR_DB / FLEET_ERR_NOMEM
 * with why ("fleet registry: <what>: <server's message>"). */
int fl_exec(struct fleet *f, const char *sql, const char *what, char *why, size_t cap);

/* Rolls back the open transaction, if any (errors ignored: the connection may be lost). */
void fl_rollback(struct fleet *f);

/* A non-negative decimal of at most max from the server (untrusted: digits only, at most 18):
 * 0 and *out, or -1. */
int fl_parse_int(const char *s, int len, long long max, long long *out);

/* The one-row, one-column, non-negative integer answer of every count and version query:
 * FLEET_OK and *out; FLEET_ERR_NOMEM (res NULL), FLEET_ERR_DB (a failed result),
 * FLEET_ERR_CORRUPT (any other shape) with why. res is not cleared. */
int fl_one_int(struct fleet *f, PGresult *res, long long max, long long *out, const char *what,
    char *why, size_t cap);

/* s is printable ASCII, at most FLEET_FIELD_MAX long, and not empty unless may_be_empty. */
int fl_field_ok(const char *s, int may_be_empty);

/* One parameterised statement (at most 10 text parameters; $leaf_param, when > 0, is the
 * 32-byte binary leaf). FLEET_OK and *res (the caller clears it), or FLEET_ERR_DB /
 * FLEET_ERR_NOMEM / FLEET_ERR_ARG with why and *res NULL. */
int fl_run(struct fleet *f, const char *sql, int n, const char *const *params, int leaf_param,
    const uint8_t *leaf, PGresult **res, const char *what, char *why, size_t cap);

/* One non-negative number a query of one parameter (the station) answers: FLEET_OK and *out, or
 * fl_one_int's errors. */
int fl_count(struct fleet *f, const char *sql, const char *station, long long *out, const char *what,
    char *why, size_t cap);

/* Inside a transaction: the station recorded (first seen, last contact); FLEET_ERR_FORK with why
 * ("... has a forked history recorded ...; <refused> until that is resolved") when the registry
 * has a fork of it. */
int fl_station(struct fleet *f, const char *station, const char *refused, char *why, size_t cap);

/* Brings the schema to FLEET_SCHEMA_VERSION in one transaction (fleet-schema.c). */
int fl_migrate(struct fleet *f, char *why, size_t cap);

/* The schema version the server holds. */
int fl_read_version(struct fleet *f, int *v, char *why, size_t cap);

#endif
