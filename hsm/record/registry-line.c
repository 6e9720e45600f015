/* registry-line.c: quarantine, release and end-of-line re-checks in the record; see registry.h. */
#include "registry.h"
#include "registry-int.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

int
reg_quarantine_find(struct audit *a, const char *product, const char *chip, char *serial,
    size_t scap, char *code, size_t ccap, char *reason, size_t rcap, char *since, size_t tcap)
{
	const char *args[] = { chip, product, NULL };
	sqlite3_stmt *st = NULL;
	const unsigned char *kind;
	int r, x;

	/* The log is the truth (append-only, in the Merkle tree): a table edit cannot release. */
	if ((r = reg_prep(a, "SELECT kind, serial, json_extract(body,'$.code'),"
	                 " json_extract(body,'$.reason'), time FROM log WHERE chip_id=? AND"
	                 " kind IN ('board.quarantined','board.released') AND"
	                 " json_extract(body,'$.product')=? ORDER BY seq DESC LIMIT 1", &st, args)) != 0)
		return r;
	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		audit_finalize(a, st);
		return 0;
	}
	if (x != SQLITE_ROW)
		return reg_st_fail(a, st, "reading a board's quarantine");
	kind = sqlite3_column_text(st, 0);
	if (kind == NULL || strcmp((const char *)kind, "board.quarantined") != 0) {
		audit_finalize(a, st);
		return 0;
	}
	reg_copy_col(st, 1, serial, scap);
	reg_copy_col(st, 2, code, ccap);
	reg_copy_col(st, 3, reason, rcap);
	reg_copy_col(st, 4, since, tcap);
	audit_finalize(a, st);
	return 1;
}

int
reg_quarantine(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, const char *code,
    const char *reason)
{
	json_t *body;
	int r;

	body = json_pack("{s:s,s:s,s:s,s:s}", "product", product, "code", code, "reason", reason,
	    "cert_serial", cert_serial);
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.quarantined", chip, serial, body, NULL);
	json_decref(body);
	if (r == 0) {
		const char *args[] = { product, chip, NULL };
		r = reg_run(a, "UPDATE devices SET status='quarantined' WHERE product=? AND chip_id=?"
		           " AND status = 'verified'", args, "quarantining a device");
	}
	/* Revoked: the certificate the board may hold is on the next CRL. */
	if (r == 0 && *cert_serial) {
		const char *args[] = { cert_serial, NULL };
		r = reg_run(a, "UPDATE certs SET status='void' WHERE cert_serial=? AND status<>'void'",
		    args, "voiding a quarantined board's certificate");
	}
	return reg_finish(a, r);
}

int
reg_release(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *reason)
{
	json_t *body;
	int r;

	body = json_pack("{s:s,s:s,s:s}", "product", product, "reason", reason, "operator",
	    w->operator_name);
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.released", chip, serial, body, NULL);
	json_decref(body);
	if (r == 0) {
		const char *args[] = { product, chip, NULL };
		r = reg_run(a, "UPDATE devices SET status='released' WHERE product=? AND chip_id=?"
		           " AND status='quarantined'", args, "releasing a device");
	}
	return reg_finish(a, r);
}

int
reg_checked(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, int ok, const char *proof,
    const char *fixture, const char *code, const char *reason)
{
	json_t *body;

	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "product", product, "result", ok ? "PASS" :
	    "FAIL", "proof", proof, "code", code, "reason", reason, "fixture", fixture, "cert_serial",
	    cert_serial);
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	return audit_log(a, w, "board.checked", chip, serial, body);
}

int
reg_fails_since_verified(struct audit *a, const char *product, const char *chip, unsigned long *n)
{
	const char *args[] = { chip, chip, product, NULL };

	return reg_count(a, "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND chip_id=? AND"
	                 " json_extract(body,'$.lock_pending')=1 AND seq >"
	                 " (SELECT COALESCE(MAX(seq), 0) FROM log WHERE kind='board.verified' AND"
	                 " chip_id=? AND json_extract(body,'$.product')=?)", args, n);
}
