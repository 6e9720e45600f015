/*
 * export.h: the audit record for people (CSV, JSON) and for auditors (a self-contained bundle
 * that `station audit verify --bundle` checks on a machine without the HSM).
 * Bundle ("station-audit-bundle/1"): {"format", "entries":[{seq,time,station,operator,lot,kind,
 * chip_id,serial,body (verbatim text),leaf (hex)}], "certs":[...with der_hex], "devices",
 * "serials", "pw_commits", "checkpoints":[note text...], "ca_chain_pem", "audit_key_pem"}.
 * A bundle is always the whole log (lot/time filters apply to CSV and JSON only).
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdio.h>

#include "record.h"

enum export_format { EXPORT_CSV, EXPORT_JSON, EXPORT_BUNDLE };

struct export_opts {
	enum export_format format;
	const char *lot;   /* NULL = every lot */
	const char *since; /* inclusive UTC time prefix, e.g. "2026-11-01"; NULL = from the start */
	const char *until; /* exclusive */
	const char *ca_pem;        /* bundle: CA chain text (borrowed, may be NULL) */
	const char *audit_key_pem; /* bundle: audit public key text (borrowed, may be NULL) */
};

/* Reads an RFC 3339 date ("2026-11-01") or date-time ("2026-11-01T08:00:00Z",
 * "2026-11-01T09:00:00.5+01:00"; 'T' or a space between) and writes into out the UTC form the
 * log's times compare with ("2026-11-01", or "2026-11-01T07:00:00.500Z"). Returns 0, or -1
 * with why set (nothing else is accepted: "yesterday", "2026-13-01", "2026-11-01T25:00Z"). */
int export_parse_time(const char *in, char *out, size_t cap, char *why, size_t wcap);

/* Writes the record to out. 0, or -1 on a write error / out of memory. */
int export_write(const struct record *rc, const struct export_opts *o, FILE *out);

#endif
