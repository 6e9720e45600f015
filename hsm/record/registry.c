/* registry.c: provisioning record on top of the audit store; see registry.h. */
#include "registry.h"
#include "registry-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sigproto.h"
#include "util.h"

int
reg_st_fail(struct audit *a, sqlite3_stmt *st, const char *what)
{
	int ext = sqlite3_extended_errcode(audit_db(a));

	if ((ext & 0xff) == SQLITE_CONSTRAINT) {
		log_debug("audit database refused %s: %s", what, sqlite3_errmsg(audit_db(a)));
		audit_finalize(a, st);
		return AUDIT_ERR_CONSTRAINT;
	}
	log_error("audit database: %s: %s%s", what, sqlite3_errmsg(audit_db(a)), audit_db_hint(a));
	audit_finalize(a, st);
	return AUDIT_ERR_DB;
}

/* Prepares sql and binds the NULL-terminated list of text parameters. */
int
reg_prep(struct audit *a, const char *sql, sqlite3_stmt **st, const char *const *args)
{
	int i, r;

	if ((r = audit_prepare(a, sql, st)) != 0)
		return r;
	for (i = 0; args != NULL && args[i] != NULL; i++)
		sqlite3_bind_text(*st, i + 1, args[i], -1, SQLITE_STATIC);
	return AUDIT_OK;
}

/* Runs a statement that returns no rows. */
int
reg_run(struct audit *a, const char *sql, const char *const *args, const char *what)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = reg_prep(a, sql, &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_DONE)
		return reg_st_fail(a, st, what);
	audit_finalize(a, st);
	return AUDIT_OK;
}

void
reg_copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (cap > 0)
		snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int
reg_device_find(struct audit *a, const char *product, const char *chip, char *serial,
    size_t scap, char *cert_serial, size_t ccap, char *status, size_t stcap)
{
	const char *args[] = { product, chip, NULL };
	sqlite3_stmt *st = NULL;
	int r, s;

	if ((r = reg_prep(a, "SELECT serial, cert_serial, status FROM devices WHERE product=? AND "
	                 "chip_id=? AND status<>'released'", &st, args)) != 0)
		return r;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		reg_copy_col(st, 0, serial, scap);
		reg_copy_col(st, 1, cert_serial, ccap);
		reg_copy_col(st, 2, status, stcap);
		r = 1;
	} else if (s == SQLITE_DONE)
		r = 0;
	else
		return reg_st_fail(a, st, "looking up a device");
	audit_finalize(a, st);
	return r;
}

int
reg_finish(struct audit *a, int r)
{
	if (r == 0 && (r = audit_commit(a)) == 0)
		return 0;
	audit_rollback(a);
	return r;
}

int
reg_serial_alloc(struct audit *a, const struct audit_who *w, const char *product,
    const char *prefix, unsigned digits, const char *chip, int64_t expect_n, int64_t number,
    int64_t lease, char *serial, size_t cap)
{
	char name[128], buf[CAP_SERIAL + 1], seqs[24];
	const char *up[] = { name, NULL };
	const char *sel[] = { name, NULL };
	sqlite3_stmt *st = NULL;
	json_t *body = NULL;
	long long n = 0;
	int64_t seq = 0;
	int r;

	snprintf(name, sizeof(name), "serial:%s", product);
	if ((r = audit_begin(a)) != 0)
		return r;
	/* The counter only moves forward inside this transaction: a serial is never reused, even
	 * when the board later fails (it is then recorded void). */
	if ((r = reg_run(a, "INSERT INTO counters(name,value) VALUES(?,0)"
	                " ON CONFLICT(name) DO UPDATE SET value=value+1", up, "counting serials")) != 0)
		goto out;
	if ((r = reg_prep(a, "SELECT value FROM counters WHERE name=?", &st, sel)) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = reg_st_fail(a, st, "reading the serial counter");
		goto out;
	}
	n = sqlite3_column_int64(st, 0) + 1;
	audit_finalize(a, st);
	if (number > 0) {
		if (n != expect_n) {
			log_error("serial position %lld was expected, the counter gives %lld; nothing "
			    "allocated", (long long)expect_n, n);
			r = AUDIT_ERR_CONSTRAINT;
			goto out;
		}
		n = number;
	}
	if (snprintf(buf, sizeof(buf), "%s%0*lld", prefix, (int)digits, n) >= (int)sizeof(buf) ||
	    strlen(buf) >= cap) {
		log_error("product serial '%s%0*lld' is longer than %d characters; shorten "
		    "[product] serial_prefix or serial_digits", prefix, (int)digits, n, CAP_SERIAL);
		r = AUDIT_ERR_ARG;
		goto out;
	}
	/* The product goes into the entry, so a verifier rebuilds serials.product and the
	 * counter from the log alone. */
	if ((body = number > 0 ? json_pack("{s:s,s:I}", "product", product, "lease", (json_int_t)lease) :
	    json_pack("{s:s}", "product", product)) == NULL) {
		r = AUDIT_ERR_NOMEM;
		goto out;
	}
	r = audit_append(a, w, "serial.allocated", chip, buf, body, &seq);
	json_decref(body);
	if (r != 0)
		goto out;
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	{
		const char *ins[] = { buf, product, chip, w->lot, seqs, NULL };
		r = reg_run(a, "INSERT INTO serials(serial,product,chip_id,lot,status,seq)"
		           " VALUES(?,?,?,?,'allocated',?)", ins, "recording a serial");
	}
out:
	if ((r = reg_finish(a, r)) == 0)
		memcpy(serial, buf, strlen(buf) + 1);
	return r;
}

int
reg_pw_commit(struct audit *a, const struct audit_who *w, const char *serial,
    const char *chip, const char *commit_hex)
{
	json_t *body;
	char seqs[24];
	int64_t seq = 0;
	int r;

	if ((body = json_pack("{s:s}", "commitment", commit_hex)) == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "password.committed", chip, serial, body, &seq);
	json_decref(body);
	if (r == 0) {
		const char *ins[] = { commit_hex, serial, seqs, NULL };
		snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
		r = reg_run(a, "INSERT INTO pw_commits(commitment,serial,seq) VALUES(?,?,?)", ins,
		    "recording a password commitment");
	}
	return reg_finish(a, r);
}

int
reg_quota_used(struct audit *a, const char *lot, unsigned long *used)
{
	const char *args[] = { lot, NULL };
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = reg_prep(a, "SELECT COUNT(*) FROM certs WHERE lot=?", &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return reg_st_fail(a, st, "counting the lot's certificates");
	*used = (unsigned long)sqlite3_column_int64(st, 0);
	audit_finalize(a, st);
	return AUDIT_OK;
}

int
reg_cert_issued(struct audit *a, const struct audit_who *w, const char *issuer,
    const char *cert_serial, const char *product, const char *chip, const char *serial,
    const char *pubkey_sha256, const uint8_t *der, size_t derlen, const char *credentials,
    int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	json_t *body;
	char *hex = NULL;
	int64_t s = 0;
	int r;

	/* The whole certificate goes into the log entry, so the log alone proves what was issued. */
	if ((body = json_pack("{s:s,s:s,s:s,s:s}", "issuer", issuer, "cert_serial", cert_serial,
	         "pubkey_sha256", pubkey_sha256, "product", product)) == NULL)
		return AUDIT_ERR_NOMEM;
	if ((hex = malloc(derlen * 2 + 1)) == NULL) {
		json_decref(body);
		return AUDIT_ERR_NOMEM;
	}
	json_object_set_new(body, "der_hex", json_string(util_hex(der, derlen, hex, derlen * 2 + 1)));
	if (credentials != NULL && *credentials != '\0')
		json_object_set_new(body, "credentials", json_string(credentials));
	free(hex);
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	if ((r = audit_append(a, w, "cert.issued", chip, serial, body, &s)) != 0)
		goto out;
	if ((r = reg_prep(a, "INSERT INTO certs(issuer,cert_serial,product,chip_id,serial,lot,"
	                 "pubkey_sha256,der,status,seq) VALUES(?,?,?,?,?,?,?,?,'issued',?)", &st,
	         NULL)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, cert_serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, product, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, chip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, w->lot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, pubkey_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, der, (int)derlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, s);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = reg_st_fail(a, st, "recording a certificate");
		goto out;
	}
	audit_finalize(a, st);
out:
	json_decref(body);
	if ((r = reg_finish(a, r)) == 0 && seq != NULL)
		*seq = s;
	return r;
}

int
reg_fail(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, const char *step, const char *code,
    const char *reason, int lock_pending, int label)
{
	json_t *body;
	int r;

	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "product", product, "step", step, "code", code,
	    "reason", reason, "cert_serial", cert_serial ? cert_serial : "", "lock_pending",
	    lock_pending != 0);
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	/* S-31: a label made for this attempt (void when the attempt is) */
	if (label != SIGL_NONE && json_object_set_new(body, "label",
	        json_string(sigp_label_name(label))) != 0) {
		json_decref(body);
		return AUDIT_ERR_NOMEM;
	}
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.fail", chip, serial, body, NULL);
	json_decref(body);
	if (r == 0 && serial != NULL && *serial) {
		const char *args[] = { serial, NULL };
		r = reg_run(a, "UPDATE serials SET status='void' WHERE serial=? AND status='allocated'",
		    args, "voiding a serial");
	}
	if (r == 0 && cert_serial != NULL && *cert_serial) {
		const char *args[] = { cert_serial, NULL };
		r = reg_run(a, "UPDATE certs SET status='void' WHERE cert_serial=? AND status='issued'",
		    args, "voiding a certificate");
	}
	return reg_finish(a, r);
}

int
reg_verified(struct audit *a, const struct audit_who *w, const char *product,
    const char *chip, const char *serial, const char *cert_serial, const char *fw_version,
    const char *fw_digest)
{
	json_t *body;
	char seqs[24];
	int64_t s = 0;
	int r;

	/* The checks flow.c made before this entry: the board installed the chain whose SHA-256
	 * the station sent (it refuses another), signed a fresh challenge with the certified key,
	 * and verified the password against its verifier. */
	body = json_pack("{s:s,s:s,s:s,s:s,s:[s,s,s]}", "product", product, "cert_serial",
	    cert_serial, "fw_version", fw_version, "fw_sha256", fw_digest, "checks",
	    "chain_sha256_installed", "key_proven", "password_verified");
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.verified", chip, serial, body, &s);
	json_decref(body);
	snprintf(seqs, sizeof(seqs), "%lld", (long long)s);
	if (r == 0) {
		const char *args[] = { product, chip, serial, w->lot, cert_serial, fw_version,
			fw_digest, seqs, NULL };
		r = reg_run(a, "INSERT INTO devices(product,chip_id,serial,lot,cert_serial,fw_version,"
		           "fw_digest,seq,status) VALUES(?,?,?,?,?,?,?,?,'verified')", args,
		    "recording a device");
	}
	if (r == 0) {
		const char *args[] = { serial, NULL };
		r = reg_run(a, "UPDATE serials SET status='used' WHERE serial=?", args, "using a serial");
	}
	if (r == 0) {
		const char *args[] = { cert_serial, NULL };
		r = reg_run(a, "UPDATE certs SET status='confirmed' WHERE cert_serial=?", args,
		    "confirming a certificate");
	}
	return reg_finish(a, r);
}

int
reg_pass(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, int resumed, int label, int64_t *seq)
{
	json_t *body;
	int64_t s = 0;
	int r;

	/* What the lock confirmation established (flow.c lock()): the board reports LOCKED with
	 * its debug port closed, and a harmless write was refused (ETSI EN 303 645 5.6); and what
	 * became of its label (S-31). */
	body = json_pack("{s:s,s:s,s:b,s:{s:s,s:b,s:b},s:s}", "product", product, "cert_serial",
	    cert_serial, "resumed", resumed, "lock", "state", "LOCKED", "debug_locked", 1,
	    "write_refused", 1, "label", sigp_label_name(label));
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.pass", chip, serial, body, &s);
	json_decref(body);
	if (r == 0) {
		const char *args[] = { product, chip, NULL };
		r = reg_run(a, "UPDATE devices SET status='pass' WHERE product=? AND chip_id=?"
		           " AND status='verified'", args,
		    "recording a pass");
	}
	if ((r = reg_finish(a, r)) == 0 && seq != NULL)
		*seq = s;
	return r;
}

int
reg_recover(struct audit *a, const struct audit_who *w, unsigned *n)
{
	sqlite3_stmt *st = NULL;
	json_t *body;
	unsigned count = 0;
	int r;

	*n = 0;
	if ((r = audit_begin(a)) != 0)
		return r;
	if ((r = reg_prep(a, "SELECT s.serial, s.chip_id, COALESCE(c.cert_serial,'') FROM serials s"
	                 " LEFT JOIN certs c ON c.serial=s.serial AND c.status='issued'"
	                 " WHERE s.status='allocated' ORDER BY s.seq", &st, NULL)) != 0)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *serial = (const char *)sqlite3_column_text(st, 0);
		const char *chip = (const char *)sqlite3_column_text(st, 1);
		const char *cs = (const char *)sqlite3_column_text(st, 2);

		body = json_pack("{s:s,s:s}", "cert_serial", cs ? cs : "", "outcome",
		    "interrupted before verification: serial and certificate void");
		r = body ? audit_append(a, w, "crash.recovered", chip, serial, body, NULL) :
		    AUDIT_ERR_NOMEM;
		json_decref(body);
		if (r != 0)
			goto out;
		count++;
	}
	if (r != SQLITE_DONE) {
		r = reg_st_fail(a, st, "finding interrupted attempts");
		st = NULL;
		goto out;
	}
	audit_finalize(a, st);
	st = NULL;
	if ((r = reg_run(a, "UPDATE certs SET status='void' WHERE status='issued'", NULL,
	         "voiding interrupted certificates")) != 0 ||
	    (r = reg_run(a, "UPDATE serials SET status='void' WHERE status='allocated'", NULL,
	         "voiding interrupted serials")) != 0)
		goto out;
	*n = count;
out:
	audit_finalize(a, st);
	return reg_finish(a, r);
}

int
reg_cert_der(struct audit *a, const char *cert_serial, uint8_t **der, size_t *len)
{
	const char *args[] = { cert_serial, NULL };
	sqlite3_stmt *st = NULL;
	const void *blob;
	int n, r;

	if ((r = reg_prep(a, "SELECT der FROM certs WHERE cert_serial=?", &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		audit_finalize(a, st);
		return AUDIT_ERR_DB;
	}
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	/* The database is untrusted input too: bound what it hands back. */
	if (blob == NULL || n <= 0 || n > CAP_CERT_DER || (*der = malloc((size_t)n)) == NULL) {
		audit_finalize(a, st);
		return AUDIT_ERR_DB;
	}
	memcpy(*der, blob, (size_t)n);
	*len = (size_t)n;
	audit_finalize(a, st);
	return AUDIT_OK;
}

/* One unsigned count from sql with text parameters args. */
int
reg_count(struct audit *a, const char *sql, const char *const *args, unsigned long *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = reg_prep(a, sql, &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) < 0)
		return reg_st_fail(a, st, "counting");
	*n = (unsigned long)sqlite3_column_int64(st, 0);
	audit_finalize(a, st);
	return AUDIT_OK;
}

int
reg_chip_certs(struct audit *a, const char *product, const char *chip, unsigned long *n)
{
	const char *args[] = { product, chip, NULL };

	return reg_count(a, "SELECT COUNT(*) FROM certs WHERE product=? AND chip_id=?", args, n);
}

int
reg_product_certs(struct audit *a, const char *product, unsigned long *n)
{
	const char *args[] = { product, NULL };

	return reg_count(a, "SELECT COUNT(*) FROM certs WHERE product=?", args, n);
}

int
reg_last_seen_fw(struct audit *a, const char *chip, char *version, size_t vcap, char *digest,
    size_t dcap)
{
	const char *args[] = { chip, NULL };
	sqlite3_stmt *st = NULL;
	int r, x;

	if ((r = reg_prep(a, "SELECT json_extract(body,'$.fw_version'), json_extract(body,'$.fw_sha256')"
	                 " FROM log WHERE kind='board.seen' AND chip_id=? ORDER BY seq DESC LIMIT 1",
	         &st, args)) != 0)
		return r;
	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		audit_finalize(a, st);
		return -1;
	}
	if (x != SQLITE_ROW)
		return reg_st_fail(a, st, "reading a board's firmware");
	reg_copy_col(st, 0, version, vcap);
	reg_copy_col(st, 1, digest, dcap);
	audit_finalize(a, st);
	return AUDIT_OK;
}

/* Makes room for element n of a grow-by-doubling array of at most max elements: 0, or
 * AUDIT_ERR_NOMEM (logged when the ceiling is reached). */
int
reg_grow(void **p, size_t *alloc, size_t n, size_t elem, size_t max, const char *what)
{
	size_t na;
	void *q;

	if (n < *alloc)
		return AUDIT_OK;
	if (n >= max) {
		log_error("audit database: more than %zu %s; refusing to load them", max, what);
		return AUDIT_ERR_NOMEM;
	}
	na = *alloc ? *alloc * 2 : 64;
	if (na > max)
		na = max;
	if ((q = realloc(*p, na * elem)) == NULL)
		return AUDIT_ERR_NOMEM;
	*p = q;
	*alloc = na;
	return AUDIT_OK;
}
