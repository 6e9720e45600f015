/*
 * verify-int.h: the verifier's own pieces, shared by its files (verify.c: the one pass over the
 * log, checkpoints, certificates; verify-state.c: each board's story in the log and the tables;
 * verify-line.c: quarantines and releases; verify-rows.c: every column of the derived tables;
 * verify-body.c: entry bodies). Internal to station/audit.
 *
 * The log is read once, in seq order, and never held in memory (issue #14): every check that
 * walks the log is a per-entry step called from that pass; the table checks that need the entry
 * a row names read it by its seq. Each check keeps its own phase, so problems are reported in
 * the order the checks are listed in docs/auditor-guide.md §4 whatever the pass interleaves.
 */
#ifndef VERIFY_INT_H
#define VERIFY_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "verify.h"

/* A string -> int64 map (open addressing) for uniqueness and per-board state. Keys are (a, b)
 * pairs, kept in one growing arena (no allocation per key); a slot holds the key's arena
 * offset, a hash tag and the value side by side (one cache line per probe). Zero-initialise;
 * vmap_free releases it. */
struct vmap_slot {
	uint64_t k; /* 0 = empty, else (arena offset + 1) << 24 | the top 24 bits of the key's hash */
	int64_t v;
};
struct vmap {
	struct vmap_slot *s;
	size_t cap, n;
	char *arena;      /* each key: its namespace's number (one byte), then b and its NUL */
	size_t alen, acap;
	const char *ns[64]; /* the namespaces (ours: string literals), numbered 1.. */
	unsigned nns;
};

/* a, the namespace, is one of the verifier's string literals (the map keeps the pointer). */
/* The slot of (a, b): a pointer to its value (0 when *isnew says it was just added), valid
 * until the next vmap_at; NULL when out of memory. */
int64_t *vmap_at(struct vmap *m, const char *a, const char *b, int *isnew);
/* The value of (a, b), 0 when it has none; never adds it. */
int64_t vmap_get(const struct vmap *m, const char *a, const char *b);
void vmap_free(struct vmap *m);

/* The phases of a verification, in report order (docs/auditor-guide.md §4). */
enum vphase { VP_ENTRIES = 1, VP_CHECKPOINTS, VP_RUNS, VP_CERTS, VP_SEMANTICS, VP_TABLES,
	VP_QUARANTINES, VP_ROWS };

/* Counts a problem, and keeps its text among the first CAP_VERIFY_PROBLEMS in phase order; the
 * phase is r->phase. */
void verify_problem(struct verify_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s made printable into buf (for messages); returns buf. */
const char *verify_clean(const char *s, char *buf, size_t cap);
/* "entry #seq (kind, chip, serial)" for messages; returns buf. */
const char *verify_describe(const struct rec_entry *e, char *buf, size_t cap);
/* The entry of seq, NULL when there is none (record_entry_at: buf is reused). */
const struct rec_entry *verify_entry_at(struct record *rc, int64_t seq, struct rec_entry *buf);

/* An entry body's top-level string members. Bodies are compact JSON the signer wrote; a flat
 * scan reads those without building a tree, and anything it does not take for certain
 * (whitespace, escapes, numbers it cannot vouch for, deep nesting) goes to jansson, so the
 * values are exactly what json_loads(body, 0) and json_object_get would give. Zero-initialise;
 * vbody_free releases it. */
#define VB_NKEYS 11
struct vbody {
	char *buf;               /* copy of the body the fast scan cuts into strings */
	size_t cap;
	json_t *j;               /* jansson's tree when the fast scan declined */
	const char *val[VB_NKEYS];
};
/* Reads body (NULL: none, every member ""). */
void vbody_parse(struct vbody *b, const char *body);
/* The string member k ("product", "cert_serial", "commitment", "pubkey_sha256", "issuer",
 * "mode", "fw_version", "fw_sha256", "kind", "public", "credentials"), "" when missing or not
 * a string. */
const char *vbody_get(const struct vbody *b, const char *k);
void vbody_free(struct vbody *b);

/* A quarantine or release the pass found, checked against the tables after it. */
struct vqev {
	char *desc;  /* verify_describe of the entry */
	char *cs;    /* board.quarantined: the certificate serial it names; NULL: a release
	              * with no admin session before it */
	char *chip;
};

/* What the checks share. */
struct vctx {
	struct record *rc;
	struct vmap *m;
	struct vmap *mlog;        /* verify-state's log checks: dropped after the pass */
	struct verify_result *r;
	struct rec_entry eb, eb2; /* buffers of verify_entry_at */
	struct vbody body;        /* of the entry of the pass */
	struct vbody body2;       /* of an entry read by seq */
	int stop_sem, stop_q, stop_rows; /* a check that ran out of memory stops (as before) */
	int admin;                /* verify-line: an admin session has logged in */
	int64_t *qseq;            /* verify-line: seqs of the board.quarantined entries */
	size_t nq, qcap;
	struct vqev *qev;         /* verify-line: what the tables must answer, in log order */
	size_t nqev, qevcap;
	int64_t ncred;            /* verify-state: credential.committed entries in the log */
	int64_t declared;         /* verify-state: the credential kinds (F_WIFI|F_MATTER) the last
	                           * station.start declared: each cert.issued after it names them */
	char **cprod;             /* verify-rows: products of serial.allocated, by first entry */
	int64_t *cseq;
	size_t ncp, cpcap;
};

/* verify-state.c */
void verify_log_entry(struct vctx *x, const struct rec_entry *e);
void verify_tables(struct vctx *x);
/* verify-rows.c: the log replayed entry by entry (statuses, counters), then every column of
 * every derived table against the log. Call verify_rows after verify_tables. */
void verify_replay_entry(struct vctx *x, const struct rec_entry *e);
void verify_rows(struct vctx *x);
/* verify-line.c: the quarantines in the log (per entry), then against the tables (loaded after
 * the pass); verify_quarantines_free releases what the pass kept. */
void verify_quarantine_entry(struct vctx *x, const struct rec_entry *e);
void verify_quarantines(struct vctx *x);
void verify_quarantines_free(struct vctx *x);

#endif
