/* registry-cp.c: the checkpoints table, log sizes and the CRL's void certificates; see
 * registry.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"
#include "registry-int.h"
#include "util.h"

int
reg_log_sizes(struct audit *a, uint64_t *log_size, uint64_t *cp_size)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = reg_prep(a, "SELECT (SELECT COALESCE(MAX(seq)+1,0) FROM log),"
	                 " (SELECT COALESCE(MAX(size),0) FROM checkpoints)", &st, NULL)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) < 0 ||
	    sqlite3_column_int64(st, 1) < 0)
		return reg_st_fail(a, st, "reading the log size");
	*log_size = (uint64_t)sqlite3_column_int64(st, 0);
	*cp_size = (uint64_t)sqlite3_column_int64(st, 1);
	audit_finalize(a, st);
	return AUDIT_OK;
}

int
reg_void_certs(struct audit *a, const char *issuer, struct reg_cert_serial **out, size_t *n)
{
	const char *args[] = { issuer, NULL };
	struct reg_cert_serial *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t k = 0, alloc = 0;
	const unsigned char *t;
	int r, x, len;

	if ((r = reg_prep(a, "SELECT cert_serial FROM certs WHERE status='void' AND issuer=?"
	                 " ORDER BY cert_serial", &st, args)) != 0)
		return r;
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = reg_grow((void **)&v, &alloc, k, sizeof(*v), CAP_LOG_ENTRIES,
		         "void certificates")) != 0)
			goto out;
		t = sqlite3_column_text(st, 0);
		len = sqlite3_column_bytes(st, 0);
		if (sqlite3_column_type(st, 0) != SQLITE_TEXT || t == NULL || len <= 0 ||
		    len > CAP_CERT_SERIAL_HEX || strlen((const char *)t) != (size_t)len) {
			log_error("audit database: a void certificate's serial is not text of 1 to %d "
			    "characters; run 'station audit verify'", CAP_CERT_SERIAL_HEX);
			r = AUDIT_ERR_CORRUPT;
			goto out;
		}
		memcpy(v[k++].hex, t, (size_t)len + 1);
	}
	if (x != SQLITE_DONE) {
		r = reg_st_fail(a, st, "reading the void certificates");
		st = NULL;
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL; /* owned by the caller */
	r = AUDIT_OK;
out:
	audit_finalize(a, st);
	free(v);
	return r;
}

int
reg_cp_state(struct audit *a, int64_t *count, uint64_t *max)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = reg_prep(a, "SELECT COUNT(*), COALESCE(MAX(size),0) FROM checkpoints", &st, NULL)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return reg_st_fail(a, st, "counting the checkpoints");
	if (sqlite3_column_int64(st, 1) < 0) {
		log_error("audit database: a stored checkpoint has a negative size; run 'station "
		    "audit verify'");
		audit_finalize(a, st);
		return AUDIT_ERR_CORRUPT;
	}
	*count = sqlite3_column_int64(st, 0);
	*max = (uint64_t)sqlite3_column_int64(st, 1);
	audit_finalize(a, st);
	return AUDIT_OK;
}

/* Checked checkpoint root: a 32-byte BLOB in column col, or NULL. */
static const void *
col_root(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != 32)
		return NULL;
	return sqlite3_column_blob(st, col);
}

int
reg_cp_find(struct audit *a, uint64_t size, uint8_t root[32], char *note, size_t cap)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	const void *rt;
	int r, x, len;

	if ((r = reg_prep(a, "SELECT root, note FROM checkpoints WHERE size=?", &st, NULL)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		audit_finalize(a, st);
		return 0;
	}
	if (x != SQLITE_ROW)
		return reg_st_fail(a, st, "reading a checkpoint");
	t = sqlite3_column_text(st, 1);
	len = sqlite3_column_bytes(st, 1);
	if ((rt = col_root(st, 0)) == NULL || t == NULL || len < 0 || (size_t)len >= cap ||
	    strlen((const char *)t) != (size_t)len) {
		log_error("audit database: the stored checkpoint of size %llu is malformed (root or "
		    "note); run 'station audit verify'", (unsigned long long)size);
		audit_finalize(a, st);
		return AUDIT_ERR_CORRUPT;
	}
	memcpy(root, rt, 32);
	memcpy(note, t, (size_t)len + 1);
	audit_finalize(a, st);
	return 1;
}

int
reg_cp_roots(struct audit *a, uint64_t upto, uint64_t **sizes, merkle_hash **roots, size_t *n)
{
	sqlite3_stmt *st = NULL;
	uint64_t *sz = NULL;
	merkle_hash *rt = NULL;
	size_t k = 0, alloc = 0, alloc2 = 0;
	const void *b;
	int r, x;

	if ((r = reg_prep(a, "SELECT size, root FROM checkpoints WHERE size<=? ORDER BY size", &st,
	         NULL)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = reg_grow((void **)&sz, &alloc, k, sizeof(*sz), CAP_CHECKPOINTS, "checkpoints")) != 0 ||
		    (r = reg_grow((void **)&rt, &alloc2, k, sizeof(*rt), CAP_CHECKPOINTS, "checkpoints")) != 0)
			goto out;
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || sqlite3_column_int64(st, 0) < 0 ||
		    (b = col_root(st, 1)) == NULL) {
			log_error("audit database: a stored checkpoint row is malformed; run 'station "
			    "audit verify'");
			r = AUDIT_ERR_CORRUPT;
			goto out;
		}
		sz[k] = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(rt[k++], b, 32);
	}
	if (x != SQLITE_DONE) {
		r = reg_st_fail(a, st, "reading the checkpoints");
		st = NULL;
		goto out;
	}
	*sizes = sz;
	*roots = rt;
	*n = k;
	sz = NULL; /* owned by the caller */
	rt = NULL;
	r = AUDIT_OK;
out:
	audit_finalize(a, st);
	free(sz);
	free(rt);
	return r;
}

int
reg_cp_store(struct audit *a, int64_t snap_count, uint64_t size, const uint8_t root[32],
    char *note, size_t cap)
{
	sqlite3_stmt *st = NULL;
	uint8_t old[32];
	char now[32], *theirs = NULL;
	int64_t cnt = 0;
	uint64_t max = 0;
	int have, r;

	if ((theirs = malloc(cap)) == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		free(theirs);
		return r;
	}
	if ((r = reg_cp_state(a, &cnt, &max)) != 0)
		goto out;
	if (cnt != snap_count) {
		r = 1; /* stored nothing: the caller checks again on a new snapshot */
		goto out;
	}
	if ((have = reg_cp_find(a, size, old, theirs, cap)) < 0) {
		r = have;
		goto out;
	}
	if (have && memcmp(old, root, 32) != 0) {
		r = AUDIT_ERR_CONSTRAINT;
		goto out;
	}
	if (have) {
		memcpy(note, theirs, strlen(theirs) + 1);
		goto out;
	}
	util_utc_now(now, sizeof(now));
	if ((r = reg_prep(a, "INSERT INTO checkpoints(size,root,note,time) VALUES(?,?,?,?)", &st,
	         NULL)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = reg_st_fail(a, st, "storing a checkpoint");
	else
		audit_finalize(a, st);
out:
	free(theirs);
	if (r == 1) {
		audit_rollback(a);
		return 1;
	}
	return reg_finish(a, r);
}
