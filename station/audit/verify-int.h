/*
 * verify-int.h: the verifier's own pieces, shared by its files (verify.c: entries, checkpoints,
 * certificates; verify-state.c: each board's story in the log and the tables; verify-line.c:
 * quarantines and releases). Internal to station/audit.
 */
#ifndef VERIFY_INT_H
#define VERIFY_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "verify.h"

/* A string -> int64 map (open addressing) for uniqueness and per-board state. Keys are (a, b)
 * pairs. Zero-initialise; vmap_free releases it. */
struct vmap {
	char **k;
	int64_t *v;
	size_t cap, n;
};

/* The slot of (a, b): a pointer to its value (0 when *isnew says it was just added), valid
 * until the next vmap_at; NULL when out of memory. */
int64_t *vmap_at(struct vmap *m, const char *a, const char *b, int *isnew);
void vmap_free(struct vmap *m);

/* Counts a problem, and keeps its text among the first CAP_VERIFY_PROBLEMS. */
void verify_problem(struct verify_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s made printable into buf (for messages); returns buf. */
const char *verify_clean(const char *s, char *buf, size_t cap);
/* "entry #seq (kind, chip, serial)" for messages; returns buf. */
const char *verify_describe(const struct rec_entry *e, char *buf, size_t cap);
/* The entry of seq (rc->e sorted by seq), NULL when there is none. */
const struct rec_entry *verify_entry_at(const struct record *rc, int64_t seq);
/* A string member of an entry body, "" when missing or not a string (b may be NULL). */
const char *verify_body_get(json_t *b, const char *k);

/* verify-state.c */
void verify_log_semantics(struct record *rc, struct vmap *m, struct verify_result *r);
void verify_tables(struct record *rc, struct vmap *m, struct verify_result *r);
/* verify-rows.c: every column of every derived table against the log (rebuilt statuses and
 * counters). Call after verify_tables. */
void verify_rows(struct record *rc, struct vmap *m, struct verify_result *r);
/* verify-line.c */
void verify_quarantines(struct record *rc, struct vmap *m, struct verify_result *r);

#endif
