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

/* Writes the record to out. 0, or -1 on a write error / out of memory. */
int export_write(const struct record *rc, const struct export_opts *o, FILE *out);

#endif
