/*
 * registry-int.h: what registry.c, registry-lot.c and registry-cp.c share; not for other
 * callers. Every statement of the record goes through these: prepared statements with bound
 * text parameters only, a failed step is an error (never the end of a loop), and a constraint
 * violation is AUDIT_ERR_CONSTRAINT.
 */
#ifndef REGISTRY_INT_H
#define REGISTRY_INT_H

#include <sqlite3.h>
#include <stddef.h>

#include "audit.h"

/* Finalizes st after a failed step: AUDIT_ERR_CONSTRAINT (logged at debug level) when a UNIQUE
 * or CHECK constraint refused it, else AUDIT_ERR_DB (logged with what and sqlite3_errmsg). */
int reg_st_fail(struct audit *a, sqlite3_stmt *st, const char *what);
/* Prepares sql and binds the NULL-terminated list of text parameters (args may be NULL).
 * AUDIT_OK, or AUDIT_ERR_DB (logged). */
int reg_prep(struct audit *a, const char *sql, sqlite3_stmt **st, const char *const *args);
/* Runs a statement that returns no rows: AUDIT_OK, or reg_st_fail's code. */
int reg_run(struct audit *a, const char *sql, const char *const *args, const char *what);
/* Copies text column col of the current row into dst (cap bytes; "" for NULL). */
void reg_copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap);
/* Ends the caller's transaction: commit when r is 0 (returning the commit's code), else
 * rollback and return r. */
int reg_finish(struct audit *a, int r);
/* One unsigned count from sql with text parameters args into *n: AUDIT_OK or an error. */
int reg_count(struct audit *a, const char *sql, const char *const *args, unsigned long *n);
/* Makes room for element n of a grow-by-doubling array of at most max elements: 0, or
 * AUDIT_ERR_NOMEM (logged when the ceiling is reached). */
int reg_grow(void **p, size_t *alloc, size_t n, size_t elem, size_t max, const char *what);

#endif
