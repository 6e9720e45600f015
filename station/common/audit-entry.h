/*
 * audit-entry.h: the canonical bytes of an audit-log entry and its RFC 6962 leaf hash, one
 * definition for the signer that writes the log and the verifier that checks it
 * (docs/auditor-guide.md; stable forever).
 *
 * Canonical entry bytes: the ASCII tag "SPLOG1" and the fields seq, time, station, operator,
 * lot, kind, chip_id, serial, body, each preceded by '\n'. All fields are printable ASCII
 * without '\n' (body is compact JSON with sorted keys). seq is decimal; time is UTC
 * "YYYY-MM-DDTHH:MM:SS.mmmZ". Leaf hash = SHA-256(0x00 || bytes) (merkle.h).
 */
#ifndef AUDIT_ENTRY_H
#define AUDIT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

enum audit_rc {
	AUDIT_OK = 0,
	AUDIT_ERR_DB = -1,         /* SQLite error (logged with sqlite3_errmsg) */
	AUDIT_ERR_CONSTRAINT = -2, /* a UNIQUE/CHECK constraint refused the write */
	AUDIT_ERR_SCHEMA = -3,     /* database made by a newer station */
	AUDIT_ERR_ARG = -4,        /* a field is not printable ASCII or too long */
	AUDIT_ERR_NOMEM = -5,      /* out of memory, or more rows than a CAP_* ceiling */
	AUDIT_ERR_CORRUPT = -6,    /* a stored row is malformed (corrupt or edited database) */
	AUDIT_ERR_CLOCK = -7       /* the clock is behind the last entry: times would go backwards */
};

/* Canonical bytes of an entry into a malloc'd buffer (caller frees). AUDIT_OK, or
 * AUDIT_ERR_NOMEM; *out and *outlen only on success. */
int audit_entry_bytes(int64_t seq, const char *time, const char *station, const char *op,
    const char *lot, const char *kind, const char *chip, const char *serial, const char *body,
    uint8_t **out, size_t *outlen);

/* The leaf hash of an entry: audit_entry_bytes, then merkle_leaf_hash. AUDIT_OK or
 * AUDIT_ERR_NOMEM. */
int audit_entry_leaf(int64_t seq, const char *time, const char *station, const char *op,
    const char *lot, const char *kind, const char *chip, const char *serial, const char *body,
    merkle_hash out);

/* The same leaf hash, computed with the digest context of a merkle stream (no allocation): for
 * a verifier hashing millions of entries. AUDIT_OK or AUDIT_ERR_NOMEM. */
int audit_entry_leaf_with(struct merkle_stream *s, int64_t seq, const char *time,
    const char *station, const char *op, const char *lot, const char *kind, const char *chip,
    const char *serial, const char *body, merkle_hash out);

#endif
