/*
 * fleet-export.h: the fleet registry dumped to a directory (`station fleet export`, docs/fleet.md
 * "Exports"), one file per table (fleet-read.h lists them and their columns), streamed:
 *   json    <table>.jsonl: one JSON object per row per line, every value a string or null
 *   csv     <table>.csv: RFC 4180, a header line, NULL as an empty field
 *   bundle  the json files and manifest.json ({"format":"fleet-bundle","schema":N (the registry's),"created",
 *           "files":[{"name","rows","sha256"}]}), what `station fleet verify --from DIR` checks
 *           first; an auditor's self-contained copy.
 * A json or bundle export verifies offline (`station fleet verify --from DIR`); csv is for people.
 */
#ifndef FLEET_EXPORT_H
#define FLEET_EXPORT_H

#include <stddef.h>

#include "fleet-read.h"

enum fleet_export_format { FE_JSON, FE_CSV, FE_BUNDLE };

/* Writes every table of src into dir (created with mode 0750 when absent; when present it must
 * be empty). rows[FT_N] (may be NULL) gets each table's row count. FR_OK, or FR_ERR_DB (a file
 * cannot be written: why names it), or the source's error. Files of a failed export are left
 * for inspection, without a manifest. */
int fleet_export_run(struct fleet_src *src, enum fleet_export_format fmt, const char *dir,
    long long *rows, char *why, size_t cap);

#endif
