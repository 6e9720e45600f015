/* registry.c: provisioning record on top of the audit store; see registry.h. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

static int
st_fail(struct audit *a, sqlite3_stmt *st, const char *what)
{
	int ext = sqlite3_extended_errcode(audit_db(a));

	if ((ext & 0xff) == SQLITE_CONSTRAINT) {
		log_debug("audit database refused %s: %s", what, sqlite3_errmsg(audit_db(a)));
		sqlite3_finalize(st);
		return AUDIT_ERR_CONSTRAINT;
	}
	log_error("audit database: %s: %s", what, sqlite3_errmsg(audit_db(a)));
	sqlite3_finalize(st);
	return AUDIT_ERR_DB;
}

/* Prepares sql and binds the NULL-terminated list of text parameters. */
static int
prep(struct audit *a, const char *sql, sqlite3_stmt **st, const char *const *args)
{
	int i;

	if (sqlite3_prepare_v2(audit_db(a), sql, -1, st, NULL) != SQLITE_OK) {
		log_error("audit database: %s: %s", sql, sqlite3_errmsg(audit_db(a)));
		return AUDIT_ERR_DB;
	}
	for (i = 0; args != NULL && args[i] != NULL; i++)
		sqlite3_bind_text(*st, i + 1, args[i], -1, SQLITE_STATIC);
	return AUDIT_OK;
}

/* Runs a statement that returns no rows. */
static int
run(struct audit *a, const char *sql, const char *const *args, const char *what)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(a, sql, &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_DONE)
		return st_fail(a, st, what);
	sqlite3_finalize(st);
	return AUDIT_OK;
}

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
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

	if ((r = prep(a, "SELECT serial, cert_serial, status FROM devices WHERE product=? AND "
	                 "chip_id=?", &st, args)) != 0)
		return r;
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		copy_col(st, 0, serial, scap);
		copy_col(st, 1, cert_serial, ccap);
		copy_col(st, 2, status, stcap);
		r = 1;
	} else if (s == SQLITE_DONE)
		r = 0;
	else
		return st_fail(a, st, "looking up a device");
	sqlite3_finalize(st);
	return r;
}

static int
finish(struct audit *a, int r)
{
	if (r == 0 && (r = audit_commit(a)) == 0)
		return 0;
	audit_rollback(a);
	return r;
}

int
reg_serial_alloc(struct audit *a, const struct audit_who *w, const char *product,
    const char *prefix, unsigned digits, const char *chip, char *serial, size_t cap)
{
	char name[128], buf[CAP_SERIAL + 1], seqs[24];
	const char *up[] = { name, NULL };
	const char *sel[] = { name, NULL };
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int64_t seq = 0;
	int r;

	snprintf(name, sizeof(name), "serial:%s", product);
	if ((r = audit_begin(a)) != 0)
		return r;
	/* The counter only moves forward inside this transaction: a serial is never reused, even
	 * when the board later fails (it is then recorded void). */
	if ((r = run(a, "INSERT INTO counters(name,value) VALUES(?,0)"
	                " ON CONFLICT(name) DO UPDATE SET value=value+1", up, "counting serials")) != 0)
		goto out;
	if ((r = prep(a, "SELECT value FROM counters WHERE name=?", &st, sel)) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = st_fail(a, st, "reading the serial counter");
		goto out;
	}
	n = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	if (snprintf(buf, sizeof(buf), "%s%0*lld", prefix, (int)digits, n) >= (int)sizeof(buf) ||
	    strlen(buf) >= cap) {
		log_error("product serial '%s%0*lld' is longer than %d characters; shorten "
		    "[product] serial_prefix or serial_digits", prefix, (int)digits, n, CAP_SERIAL);
		r = AUDIT_ERR_ARG;
		goto out;
	}
	if ((r = audit_append(a, w, "serial.allocated", chip, buf, NULL, &seq)) != 0)
		goto out;
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	{
		const char *ins[] = { buf, product, chip, w->lot, seqs, NULL };
		r = run(a, "INSERT INTO serials(serial,product,chip_id,lot,status,seq)"
		           " VALUES(?,?,?,?,'allocated',?)", ins, "recording a serial");
	}
out:
	if ((r = finish(a, r)) == 0)
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
		r = run(a, "INSERT INTO pw_commits(commitment,serial,seq) VALUES(?,?,?)", ins,
		    "recording a password commitment");
	}
	return finish(a, r);
}

int
reg_quota_used(struct audit *a, const char *lot, unsigned long *used)
{
	const char *args[] = { lot, NULL };
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(a, "SELECT COUNT(*) FROM certs WHERE lot=?", &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return st_fail(a, st, "counting the lot's certificates");
	*used = (unsigned long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return AUDIT_OK;
}

int
reg_cert_issued(struct audit *a, const struct audit_who *w, const char *issuer,
    const char *cert_serial, const char *product, const char *chip, const char *serial,
    const char *pubkey_sha256, const uint8_t *der, size_t derlen, int64_t *seq)
{
	sqlite3_stmt *st = NULL;
	json_t *body;
	char *hex = NULL;
	int64_t s = 0;
	int r;

	/* The whole certificate goes into the log entry, so the log alone proves what was issued. */
	if ((body = json_pack("{s:s,s:s,s:s}", "issuer", issuer, "cert_serial", cert_serial,
	         "pubkey_sha256", pubkey_sha256)) == NULL)
		return AUDIT_ERR_NOMEM;
	if ((hex = malloc(derlen * 2 + 1)) == NULL) {
		json_decref(body);
		return AUDIT_ERR_NOMEM;
	}
	json_object_set_new(body, "der_hex", json_string(util_hex(der, derlen, hex, derlen * 2 + 1)));
	free(hex);
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	if ((r = audit_append(a, w, "cert.issued", chip, serial, body, &s)) != 0)
		goto out;
	if ((r = prep(a, "INSERT INTO certs(issuer,cert_serial,product,chip_id,serial,lot,"
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
		r = st_fail(a, st, "recording a certificate");
		goto out;
	}
	sqlite3_finalize(st);
out:
	json_decref(body);
	if ((r = finish(a, r)) == 0 && seq != NULL)
		*seq = s;
	return r;
}

int
reg_fail(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, const char *step, const char *code,
    const char *reason)
{
	json_t *body;
	int r;

	body = json_pack("{s:s,s:s,s:s,s:s,s:s}", "product", product, "step", step, "code", code,
	    "reason", reason, "cert_serial", cert_serial ? cert_serial : "");
	if (body == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "board.fail", chip, serial, body, NULL);
	json_decref(body);
	if (r == 0 && serial != NULL && *serial) {
		const char *args[] = { serial, NULL };
		r = run(a, "UPDATE serials SET status='void' WHERE serial=? AND status='allocated'",
		    args, "voiding a serial");
	}
	if (r == 0 && cert_serial != NULL && *cert_serial) {
		const char *args[] = { cert_serial, NULL };
		r = run(a, "UPDATE certs SET status='void' WHERE cert_serial=? AND status='issued'",
		    args, "voiding a certificate");
	}
	return finish(a, r);
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
		r = run(a, "INSERT INTO devices(product,chip_id,serial,lot,cert_serial,fw_version,"
		           "fw_digest,seq,status) VALUES(?,?,?,?,?,?,?,?,'verified')", args,
		    "recording a device");
	}
	if (r == 0) {
		const char *args[] = { serial, NULL };
		r = run(a, "UPDATE serials SET status='used' WHERE serial=?", args, "using a serial");
	}
	if (r == 0) {
		const char *args[] = { cert_serial, NULL };
		r = run(a, "UPDATE certs SET status='confirmed' WHERE cert_serial=?", args,
		    "confirming a certificate");
	}
	return finish(a, r);
}

int
reg_pass(struct audit *a, const struct audit_who *w, const char *product, const char *chip,
    const char *serial, const char *cert_serial, int resumed, int64_t *seq)
{
	json_t *body;
	int64_t s = 0;
	int r;

	/* What the lock confirmation established (flow.c lock()): the board reports LOCKED with
	 * its debug port closed, and a harmless write was refused (ETSI EN 303 645 5.6). */
	body = json_pack("{s:s,s:s,s:b,s:{s:s,s:b,s:b}}", "product", product, "cert_serial",
	    cert_serial, "resumed", resumed, "lock", "state", "LOCKED", "debug_locked", 1,
	    "write_refused", 1);
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
		r = run(a, "UPDATE devices SET status='pass' WHERE product=? AND chip_id=?", args,
		    "recording a pass");
	}
	if ((r = finish(a, r)) == 0 && seq != NULL)
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
	if ((r = prep(a, "SELECT s.serial, s.chip_id, COALESCE(c.cert_serial,'') FROM serials s"
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
		r = st_fail(a, st, "finding interrupted attempts");
		st = NULL;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = run(a, "UPDATE certs SET status='void' WHERE status='issued'", NULL,
	         "voiding interrupted certificates")) != 0 ||
	    (r = run(a, "UPDATE serials SET status='void' WHERE status='allocated'", NULL,
	         "voiding interrupted serials")) != 0)
		goto out;
	*n = count;
out:
	sqlite3_finalize(st);
	return finish(a, r);
}

int
reg_cert_der(struct audit *a, const char *cert_serial, uint8_t **der, size_t *len)
{
	const char *args[] = { cert_serial, NULL };
	sqlite3_stmt *st = NULL;
	const void *blob;
	int n, r;

	if ((r = prep(a, "SELECT der FROM certs WHERE cert_serial=?", &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return AUDIT_ERR_DB;
	}
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	/* The database is untrusted input too: bound what it hands back. */
	if (blob == NULL || n <= 0 || n > CAP_CERT_DER || (*der = malloc((size_t)n)) == NULL) {
		sqlite3_finalize(st);
		return AUDIT_ERR_DB;
	}
	memcpy(*der, blob, (size_t)n);
	*len = (size_t)n;
	sqlite3_finalize(st);
	return AUDIT_OK;
}

/* One unsigned count from sql with text parameters args. */
static int
count(struct audit *a, const char *sql, const char *const *args, unsigned long *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(a, sql, &st, args)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) < 0)
		return st_fail(a, st, "counting");
	*n = (unsigned long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return AUDIT_OK;
}

int
reg_lot_closed(struct audit *a, const char *lot, int *closed, char *when, size_t wcap)
{
	const char *args[] = { lot, NULL };
	sqlite3_stmt *st = NULL;
	int r;

	*closed = 0;
	if ((r = prep(a, "SELECT time FROM log WHERE kind='lot.closed' AND lot=? ORDER BY seq LIMIT 1",
	         &st, args)) != 0)
		return r;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*closed = 1;
		if (when != NULL)
			copy_col(st, 0, when, wcap);
	} else if (r != SQLITE_DONE)
		return st_fail(a, st, "reading the lot's state");
	sqlite3_finalize(st);
	return AUDIT_OK;
}

int
reg_station_start(struct audit *a, const struct audit_who *w, const char *profile,
    const char *digest_hex)
{
	char last[80] = "";
	sqlite3_stmt *st = NULL;
	json_t *body;
	int r, x;

	if ((r = audit_begin(a)) != 0)
		return r;
	r = prep(a, "SELECT json_extract(body,'$.profile_sha256') FROM log WHERE kind='station.start' "
	            "ORDER BY seq DESC LIMIT 1", &st, NULL);
	if (r == 0) {
		if ((x = sqlite3_step(st)) == SQLITE_ROW) {
			copy_col(st, 0, last, sizeof(last));
			sqlite3_finalize(st);
		} else if (x == SQLITE_DONE)
			sqlite3_finalize(st);
		else
			r = st_fail(a, st, "reading the last station.start");
	}
	if (r == 0 && last[0] != '\0' && strcmp(last, digest_hex) != 0) {
		body = json_pack("{s:s,s:s,s:s}", "profile", profile, "from_sha256", last, "to_sha256",
		    digest_hex);
		r = body ? audit_append(a, w, "profile.changed", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	if (r == 0) {
		body = json_pack("{s:s,s:s}", "profile", profile, "profile_sha256", digest_hex);
		r = body ? audit_append(a, w, "station.start", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return finish(a, r);
}

int
reg_lot_open(struct audit *a, const struct audit_who *w, unsigned long quota)
{
	const char *args[] = { w->lot, NULL };
	unsigned long n = 0;
	json_t *body;
	int r;

	if ((r = audit_begin(a)) != 0)
		return r;
	r = count(a, "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot=?", args, &n);
	if (r == 0 && n == 0) {
		body = json_pack("{s:I}", "quota", (json_int_t)quota);
		r = body ? audit_append(a, w, "lot.opened", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return finish(a, r);
}

int
reg_lot_summary(struct audit *a, const char *lot, struct reg_lot_summary *s)
{
	const char *args[] = { lot, NULL };
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = count(a, "SELECT COUNT(*) FROM certs WHERE lot=?", args, &s->certs)) != 0 ||
	    (r = count(a, "SELECT COUNT(*) FROM certs WHERE lot=? AND status='void'", args,
	         &s->certs_void)) != 0 ||
	    (r = count(a, "SELECT COUNT(*) FROM devices WHERE lot=? AND status='pass'", args,
	         &s->devices_pass)) != 0 ||
	    (r = count(a, "SELECT COUNT(*) FROM devices WHERE lot=? AND status='verified'", args,
	         &s->devices_verified)) != 0 ||
	    (r = count(a, "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND lot=?", args,
	         &s->failures)) != 0)
		return r;
	return AUDIT_OK;
}

int
reg_lot_close(struct audit *a, const struct audit_who *w, unsigned long quota,
    struct reg_lot_summary *s)
{
	json_t *body;
	int closed = 0, r;

	if ((r = audit_begin(a)) != 0)
		return r;
	if ((r = reg_lot_closed(a, w->lot, &closed, NULL, 0)) == 0 && closed)
		r = AUDIT_ERR_CONSTRAINT;
	if (r == 0)
		r = reg_lot_summary(a, w->lot, s);
	if (r == 0) {
		body = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "quota", (json_int_t)quota,
		    "certificates", (json_int_t)s->certs, "certificates_void", (json_int_t)s->certs_void,
		    "devices_pass", (json_int_t)s->devices_pass, "devices_verified",
		    (json_int_t)s->devices_verified, "failures", (json_int_t)s->failures);
		r = body ? audit_append(a, w, "lot.closed", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return finish(a, r);
}

int
reg_chip_certs(struct audit *a, const char *product, const char *chip, unsigned long *n)
{
	const char *args[] = { product, chip, NULL };

	return count(a, "SELECT COUNT(*) FROM certs WHERE product=? AND chip_id=?", args, n);
}

int
reg_product_certs(struct audit *a, const char *product, unsigned long *n)
{
	const char *args[] = { product, NULL };

	return count(a, "SELECT COUNT(*) FROM certs WHERE product=?", args, n);
}

int
reg_lot_opened(struct audit *a, const char *lot, int *opened)
{
	const char *args[] = { lot, NULL };
	unsigned long n = 0;
	int r;

	if ((r = count(a, "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot=?", args, &n)) != 0)
		return r;
	*opened = n > 0;
	return AUDIT_OK;
}

int
reg_last_seen_fw(struct audit *a, const char *chip, char *version, size_t vcap, char *digest,
    size_t dcap)
{
	const char *args[] = { chip, NULL };
	sqlite3_stmt *st = NULL;
	int r, x;

	if ((r = prep(a, "SELECT json_extract(body,'$.fw_version'), json_extract(body,'$.fw_sha256')"
	                 " FROM log WHERE kind='board.seen' AND chip_id=? ORDER BY seq DESC LIMIT 1",
	         &st, args)) != 0)
		return r;
	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_finalize(st);
		return -1;
	}
	if (x != SQLITE_ROW)
		return st_fail(a, st, "reading a board's firmware");
	copy_col(st, 0, version, vcap);
	copy_col(st, 1, digest, dcap);
	sqlite3_finalize(st);
	return AUDIT_OK;
}

int
reg_log_sizes(struct audit *a, uint64_t *log_size, uint64_t *cp_size)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(a, "SELECT (SELECT COALESCE(MAX(seq)+1,0) FROM log),"
	                 " (SELECT COALESCE(MAX(size),0) FROM checkpoints)", &st, NULL)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) < 0 ||
	    sqlite3_column_int64(st, 1) < 0)
		return st_fail(a, st, "reading the log size");
	*log_size = (uint64_t)sqlite3_column_int64(st, 0);
	*cp_size = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return AUDIT_OK;
}

/* Makes room for element n of a grow-by-doubling array of at most max elements: 0, or
 * AUDIT_ERR_NOMEM (logged when the ceiling is reached). */
static int
grow(void **p, size_t *alloc, size_t n, size_t elem, size_t max, const char *what)
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

int
reg_void_certs(struct audit *a, const char *issuer, struct reg_cert_serial **out, size_t *n)
{
	const char *args[] = { issuer, NULL };
	struct reg_cert_serial *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t k = 0, alloc = 0;
	const unsigned char *t;
	int r, x, len;

	if ((r = prep(a, "SELECT cert_serial FROM certs WHERE status='void' AND issuer=?"
	                 " ORDER BY cert_serial", &st, args)) != 0)
		return r;
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&v, &alloc, k, sizeof(*v), CAP_LOG_ENTRIES,
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
		r = st_fail(a, st, "reading the void certificates");
		st = NULL;
		goto out;
	}
	*out = v;
	*n = k;
	v = NULL; /* owned by the caller */
	r = AUDIT_OK;
out:
	sqlite3_finalize(st);
	free(v);
	return r;
}

int
reg_cp_state(struct audit *a, int64_t *count, uint64_t *max)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = prep(a, "SELECT COUNT(*), COALESCE(MAX(size),0) FROM checkpoints", &st, NULL)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return st_fail(a, st, "counting the checkpoints");
	if (sqlite3_column_int64(st, 1) < 0) {
		log_error("audit database: a stored checkpoint has a negative size; run 'station "
		    "audit verify'");
		sqlite3_finalize(st);
		return AUDIT_ERR_CORRUPT;
	}
	*count = sqlite3_column_int64(st, 0);
	*max = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
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

	if ((r = prep(a, "SELECT root, note FROM checkpoints WHERE size=?", &st, NULL)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	if ((x = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (x != SQLITE_ROW)
		return st_fail(a, st, "reading a checkpoint");
	t = sqlite3_column_text(st, 1);
	len = sqlite3_column_bytes(st, 1);
	if ((rt = col_root(st, 0)) == NULL || t == NULL || len < 0 || (size_t)len >= cap ||
	    strlen((const char *)t) != (size_t)len) {
		log_error("audit database: the stored checkpoint of size %llu is malformed (root or "
		    "note); run 'station audit verify'", (unsigned long long)size);
		sqlite3_finalize(st);
		return AUDIT_ERR_CORRUPT;
	}
	memcpy(root, rt, 32);
	memcpy(note, t, (size_t)len + 1);
	sqlite3_finalize(st);
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

	if ((r = prep(a, "SELECT size, root FROM checkpoints WHERE size<=? ORDER BY size", &st,
	         NULL)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&sz, &alloc, k, sizeof(*sz), CAP_CHECKPOINTS, "checkpoints")) != 0 ||
		    (r = grow((void **)&rt, &alloc2, k, sizeof(*rt), CAP_CHECKPOINTS, "checkpoints")) != 0)
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
		r = st_fail(a, st, "reading the checkpoints");
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
	sqlite3_finalize(st);
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
	if ((r = prep(a, "INSERT INTO checkpoints(size,root,note,time) VALUES(?,?,?,?)", &st,
	         NULL)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = st_fail(a, st, "storing a checkpoint");
	else
		sqlite3_finalize(st);
out:
	free(theirs);
	if (r == 1) {
		audit_rollback(a);
		return 1;
	}
	return finish(a, r);
}
