/*
 * fleet-read.h: reading the fleet registry (issue #15, docs/fleet.md) for the people-facing
 * commands `station fleet status|verify|export`, from either
 *   - the registry itself (libpq; read-only: one REPEATABLE READ READ ONLY transaction, so every
 *     table is read from one snapshot), or
 *   - an export made by `station fleet export --format json|bundle` (one JSON Lines file per
 *     table, and for a bundle a manifest.json with each file's row count and SHA-256).
 * Rows are streamed through cursors (a registry cursor fetches CAP_FLEET_FETCH rows at a time), in
 * the fixed order of each table's spec below, so that a verifier keeps per-station state only.
 * Every value is text (or NULL) of at most CAP_FLEET_FIELD bytes, checked before it is handed out;
 * nothing the registry or an export holds is trusted beyond that.
 */
#ifndef FLEET_READ_H
#define FLEET_READ_H

#include <stddef.h>
#include <stdint.h>

/* The registry schemas these commands read (hsm/fleet/fleet-registry.h FLEET_SCHEMA_VERSION):
 * 2 to 5 (3 adds station_roles, 4 violations: neither is read here yet; 5 cred_commitments and
 * ssids, read and exported like the other claim tables). */
#define FLEET_READ_SCHEMA_MIN 2
#define FLEET_READ_SCHEMA_MAX 5

enum fleet_table {
	FT_STATIONS,
	FT_ENTRIES,
	FT_CHECKPOINTS,
	FT_STATION_KEYS,
	FT_CHIPS,
	FT_SERIALS,
	FT_CERT_SERIALS,
	FT_PUBKEYS,
	FT_PW_COMMITMENTS,
	FT_CONFLICTS,
	FT_FORKS,
	FT_LOTS,
	FT_LEASES,
	/* schema 5 (issue #16), last so that an export made before them keeps its files' order: from
	 * a registry of schema 2 to 4, or an export without their file (or a bundle whose manifest
	 * does not list them), they read as empty */
	FT_CRED_COMMITMENTS,
	FT_SSIDS,
	FT_N
};

/* The tables an export made before schema 5 was read holds: FT_STATIONS .. FT_LEASES */
#define FT_N_SCHEMA4 FT_CRED_COMMITMENTS

#define FLEET_MAX_COLS 12

/* A table as the commands read and export it: its name (the registry's table, and the export's
 * file <name>.jsonl / <name>.csv), its columns in order, and the order of its rows (per-station
 * tables by station ID in byte order (COLLATE "C", like strcmp), then seq/size/id). Hashes are
 * lowercase hex, times UTC "YYYY-MM-DDTHH:MM:SSZ". */
struct fleet_table_spec {
	const char *name;
	int ncols;
	const char *cols[FLEET_MAX_COLS];
	const char *select; /* the registry's query, columns in the order of cols */
};

const struct fleet_table_spec *fleet_read_spec(enum fleet_table t);

enum fleet_read_rc {
	FR_OK = 0,
	FR_ERR_CONNECT = -1, /* the registry cannot be reached, or the export directory read */
	FR_ERR_DB = -2,      /* a query failed, or a file cannot be read */
	FR_ERR_SCHEMA = -3,  /* the registry's schema (or the export's) is not one read here */
	FR_ERR_CORRUPT = -4, /* a row is malformed: wrong shape, too long, not text; or an export's
	                      * file does not match its manifest */
	FR_ERR_NOMEM = -5
};

struct fleet_src;
struct fleet_cur;

/* Connects to the registry (conninfo: a libpq connection string; never logged or echoed, it may
 * hold a password; connect_timeout 10 s unless it sets one), starts one REPEATABLE READ READ ONLY
 * transaction and checks the schema version. *out owned by the caller (fleet_read_close). On
 * failure why holds a sentence for people and a FR_ERR_* code is returned. */
int fleet_read_open_registry(const char *conninfo, struct fleet_src **out, char *why, size_t cap);

/* Opens an export directory. When it holds a manifest.json (a bundle), every file listed is
 * checked against its row count and SHA-256 first (FR_ERR_CORRUPT naming the file). */
int fleet_read_open_dir(const char *dir, struct fleet_src **out, char *why, size_t cap);

/* The schema version of the registry (or of the export, from its manifest; 0 without one). */
int fleet_read_schema(const struct fleet_src *src);

/* 1 when src reads a registry (fleet_read_query works), 0 for an export. */
int fleet_read_is_registry(const struct fleet_src *src);

void fleet_read_close(struct fleet_src *src);

/* A cursor over table t in its spec's order; at most one open per table at a time. A table an
 * export lacks is an error (FR_ERR_DB), except the schema-5 tables (FT_CRED_COMMITMENTS,
 * FT_SSIDS): those read as empty when the export lacks their file or a bundle's manifest does
 * not list them, and from a registry of schema 2 to 4. *out owned by the caller (fleet_read_cursor_close, also
 * before the source is closed). */
int fleet_read_cursor(struct fleet_src *src, enum fleet_table t, struct fleet_cur **out,
    char *why, size_t cap);

/* The next row: 1 and *row (ncols values, NULL for SQL NULL, valid until the next call on this
 * cursor), 0 at the end, or a negative FR_ERR_* with why. */
int fleet_read_next(struct fleet_cur *c, const char *const **row, char *why, size_t cap);

void fleet_read_cursor_close(struct fleet_cur *c);

/* Registry only: runs sql (at most 4 text parameters) in the read transaction; 1 row at a time
 * through fn(ctx, row, ncols) (values as fleet_read_next; fn returns 0 to go on, else stops and
 * that value is returned). ncols is checked against want. FR_OK, FR_ERR_DB, FR_ERR_CORRUPT. */
int fleet_read_query(struct fleet_src *src, const char *sql, int nparams, const char *const *params,
    int want, int (*fn)(void *ctx, const char *const *row), void *ctx, char *why, size_t cap);

const char *fleet_read_strerror(int rc);

/* Reads the connection string: the --registry argument, or the first line of --registry-file
 * (which may hold a password: it is read, not echoed). *out malloc'd (the caller frees and
 * wipes it). -1 with why when neither or both are given or the file cannot be read. */
int fleet_read_conninfo(const char *arg, const char *file, char **out, char *why, size_t cap);

/* Lowercase hex of 32 bytes into out[65]. */
void fleet_read_hex32(const uint8_t h[32], char out[65]);

/* 0 and h when s is exactly 64 hex digits. */
int fleet_read_unhex32(const char *s, uint8_t h[32]);

#endif
