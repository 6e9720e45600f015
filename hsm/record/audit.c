/* audit.c: SQLite audit store; see audit.h. */
#include "audit.h"

#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "log.h"
#include "util.h"


/* Prepared statements kept for reuse (issue #14: a board's requests ran about 25 statements,
 * each parsed and planned again): found by their SQL text, reset when given back. */
#define STMT_CACHE 48

struct stmt_slot {
	sqlite3_stmt *st; /* NULL: free */
	int busy;         /* handed out and not given back yet */
};

struct audit {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
	sqlite3_stmt *ins;
	sqlite3_stmt *next;
	sqlite3_stmt *prev; /* the time of entry ?1 */
	int batch;          /* inside audit_batch_begin .. audit_batch_end */
	int depth;          /* savepoints open inside the batch (audit_begin without its end) */
	int batch_lost;     /* SQLite rolled the batch's transaction back (disk full, I/O error) */
};

/* A clock that went back by at most this much (an NTP step, a leap second smeared late) is
 * absorbed: the entry takes its predecessor's time. More is refused (issue #12's campaign):
 * the record's times must not go backwards, nor certificates be dated by a wrong clock. */
#define CLOCK_SLACK_MS 1000

/* Schema migrations, index = version reached. Never edit a shipped step; add a new one. */
static const char *const migrations[] = {
	NULL,
	/* 1 */
	"CREATE TABLE log(seq INTEGER PRIMARY KEY, time TEXT NOT NULL, station TEXT NOT NULL,"
	" operator TEXT NOT NULL, lot TEXT NOT NULL, kind TEXT NOT NULL,"
	" chip_id TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '', body TEXT NOT NULL);"
	"CREATE INDEX log_chip ON log(chip_id);"
	"CREATE INDEX log_serial ON log(serial);"
	"CREATE TRIGGER log_no_update BEFORE UPDATE ON log"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER log_no_delete BEFORE DELETE ON log"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE serials(serial TEXT PRIMARY KEY, product TEXT NOT NULL, chip_id TEXT NOT NULL,"
	" lot TEXT NOT NULL, status TEXT NOT NULL CHECK(status IN ('allocated','used','void')),"
	" seq INTEGER NOT NULL);"
	"CREATE TABLE devices(product TEXT NOT NULL, chip_id TEXT NOT NULL,"
	" serial TEXT NOT NULL UNIQUE, lot TEXT NOT NULL, cert_serial TEXT NOT NULL,"
	" fw_version TEXT NOT NULL, fw_digest TEXT NOT NULL, seq INTEGER NOT NULL,"
	" PRIMARY KEY(product, chip_id));"
	"CREATE TABLE certs(issuer TEXT NOT NULL, cert_serial TEXT NOT NULL, product TEXT NOT NULL,"
	" chip_id TEXT NOT NULL, serial TEXT NOT NULL, lot TEXT NOT NULL,"
	" pubkey_sha256 TEXT NOT NULL UNIQUE, der BLOB NOT NULL,"
	" status TEXT NOT NULL CHECK(status IN ('issued','confirmed','void')),"
	" seq INTEGER NOT NULL, PRIMARY KEY(issuer, cert_serial));"
	"CREATE INDEX certs_lot ON certs(lot);"
	"CREATE TABLE pw_commits(commitment TEXT PRIMARY KEY, serial TEXT NOT NULL UNIQUE,"
	" seq INTEGER NOT NULL);"
	"CREATE TABLE checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL,"
	" time TEXT NOT NULL);",
	/* 2: each entry's RFC 6962 leaf hash, so a verifier names the exact entry whose bytes no
	 * longer match; checkpoints become append-only too. */
	"ALTER TABLE log ADD COLUMN leaf BLOB;"
	"CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
	"CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
	" BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;",
	/* 3: a device is recorded 'verified' (every check passed, lock pending) before it is
	 * locked, and 'pass' once the lock is confirmed: a crash in between never leaves a locked
	 * board without a record (PRODUCT §7 crash safety). */
	"ALTER TABLE devices ADD COLUMN status TEXT NOT NULL DEFAULT 'pass'"
	" CHECK(status IN ('verified','pass'));",
	/* 4: lots open and close through log entries (lot.opened, lot.closed); find them fast. */
	"CREATE INDEX log_kind_lot ON log(kind, lot);",
	/* 5: the signer counts a chip's certificates before every allocation and issuance. */
	"CREATE INDEX certs_product_chip ON certs(product, chip_id);",
	/* 6: quarantine (docs/signer-protocol.md S-25): a device may be 'quarantined' (it failed at
	 * or after its lock: never ships) and then 'released' by an admin session, after which the
	 * chip is provisioned again from scratch; so (product, chip_id) is unique only among the
	 * rows that are not released. SQLite cannot change a CHECK: the table is rebuilt. */
	"CREATE TABLE devices_v6(product TEXT NOT NULL, chip_id TEXT NOT NULL,"
	" serial TEXT NOT NULL UNIQUE, lot TEXT NOT NULL, cert_serial TEXT NOT NULL,"
	" fw_version TEXT NOT NULL, fw_digest TEXT NOT NULL, seq INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pass'"
	" CHECK(status IN ('verified','pass','quarantined','released')));"
	"INSERT INTO devices_v6(product,chip_id,serial,lot,cert_serial,fw_version,fw_digest,seq,status)"
	" SELECT product,chip_id,serial,lot,cert_serial,fw_version,fw_digest,seq,status FROM devices;"
	"DROP TABLE devices;"
	"ALTER TABLE devices_v6 RENAME TO devices;"
	"CREATE UNIQUE INDEX devices_chip ON devices(product, chip_id) WHERE status<>'released';",
	/* 7: onboarding credentials (issue #16): one commitment per kind and serial, each kind's
	 * commitments unique (two boards never share a passphrase or passcode), SSIDs unique. */
	"CREATE TABLE cred_commits(kind TEXT NOT NULL CHECK(kind IN ('wifi','matter')),"
	" commitment TEXT NOT NULL, serial TEXT NOT NULL, public TEXT NOT NULL,"
	" seq INTEGER NOT NULL, PRIMARY KEY(kind, commitment), UNIQUE(kind, serial));"
	"CREATE UNIQUE INDEX cred_ssid ON cred_commits(public) WHERE kind='wifi';",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]) - 1)

const char *
audit_db_hint(struct audit *a)
{
	/* SQLite reports a full disk as SQLITE_FULL, or as an I/O error (writing the WAL, growing
	 * the -shm file): the errno tells. */
	if (sqlite3_system_errno(a->db) == ENOSPC)
		return " (the file system that holds the database is full: free space there, then "
		    "run again; nothing recorded is lost)";
	switch (sqlite3_errcode(a->db)) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return " (another process has held a lock on the database for 10 s: close the sqlite3 "
		    "shell, backup or other program that has it open, then run again; nothing "
		    "recorded is lost)";
	case SQLITE_FULL:
		return " (the file system that holds the database is full: free space there, then "
		    "run again; nothing recorded is lost)";
	case SQLITE_READONLY:
		return " (the database or its directory cannot be written: check its permissions "
		    "and mount)";
	case SQLITE_IOERR:
		return " (the disk reported an I/O error: check the disk and the kernel log)";
	default:
		return "";
	}
}

static int
db_fail(struct audit *a, const char *what)
{
	int ext = sqlite3_extended_errcode(a->db);

	log_error("audit database: %s: %s%s", what, sqlite3_errmsg(a->db), audit_db_hint(a));
	if ((ext & 0xff) == SQLITE_CONSTRAINT)
		return AUDIT_ERR_CONSTRAINT;
	return AUDIT_ERR_DB;
}

static int
exec(struct audit *a, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(a->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("audit database: %s%s", msg ? msg : sqlite3_errmsg(a->db), audit_db_hint(a));
		sqlite3_free(msg);
		return AUDIT_ERR_DB;
	}
	return AUDIT_OK;
}

static int
user_version(struct audit *a, int *v)
{
	sqlite3_stmt *st = NULL;
	int r = AUDIT_ERR_DB;

	if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		r = AUDIT_OK;
	} else
		r = db_fail(a, "reading the schema version");
	sqlite3_finalize(st);
	return r;
}

static int
migrate(struct audit *a)
{
	char sql[64];
	int v = 0, r;

	if ((r = exec(a, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = user_version(a, &v)) != 0)
		goto fail;
	if (v > (int)NMIGRATIONS) {
		log_error("audit database has schema version %d, newer than this station (%d); "
		    "use the station version that wrote it", v, (int)NMIGRATIONS);
		r = AUDIT_ERR_SCHEMA;
		goto fail;
	}
	for (; v < (int)NMIGRATIONS; v++) {
		if ((r = exec(a, migrations[v + 1])) != 0)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
		if ((r = exec(a, sql)) != 0)
			goto fail;
	}
	return exec(a, "COMMIT");
fail:
	exec(a, "ROLLBACK");
	return r;
}

int
audit_station_lock(const char *path)
{
	char lp[4096];
	int fd;

	if (snprintf(lp, sizeof(lp), "%s.lock", path) >= (int)sizeof(lp))
		return -1;
	if ((fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_error("cannot create the station lock '%s': %s", lp, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_error("another station is already running on '%s'; one station per database "
		    "(stop it first, or give this one its own [station] database)", path);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The record is the signer's: chip IDs, commitments and certificates are nobody else's to read.
 * A new database is created 0600 here, before SQLite (which would make it 0644 under umask 022,
 * and a descriptor opened in that instant would outlive a later chmod); an existing one is made
 * 0600. SQLite gives the -wal and -shm files the database's mode when it creates them; those a
 * crash left behind keep theirs, so they are made 0600 too. No descriptor is opened on an
 * existing file: closing it would drop this process's SQLite (POSIX) locks on it.
 */
static void
make_private(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char p[4096];
	struct stat st;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	else
		(void)chmod(path, 0600);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
		if (snprintf(p, sizeof(p), "%s%s", path, sfx[i]) < (int)sizeof(p) &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) != 0600)
			(void)chmod(p, 0600);
}

int
audit_open(const char *path, struct audit **out)
{
	struct audit *a;
	int r = AUDIT_ERR_DB;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return AUDIT_ERR_NOMEM;
	make_private(path);
	if (sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	        SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_error("cannot open the audit database '%s': %s; check the [station] database path",
		    path, a->db ? sqlite3_errmsg(a->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(a->db, 10000);
	/* PRODUCT §7: WAL with full sync, so a committed PASS survives power loss. */
	if ((r = exec(a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                 " PRAGMA foreign_keys=ON;")) != 0 ||
	    (r = migrate(a)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(a->db,
	        "INSERT INTO log(seq,time,station,operator,lot,kind,chip_id,serial,body,leaf)"
	        " VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &a->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "SELECT COALESCE(MAX(seq)+1,0) FROM log", -1, &a->next,
	        NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "SELECT time FROM log WHERE seq = ?", -1, &a->prev, NULL) !=
	        SQLITE_OK) {
		r = db_fail(a, "preparing statements");
		goto fail;
	}
	*out = a;
	return AUDIT_OK;
fail:
	audit_close(a);
	return r;
}

int
audit_prepare(struct audit *a, const char *sql, sqlite3_stmt **st)
{
	struct stmt_slot *free_slot = NULL;
	size_t i;

	*st = NULL;
	for (i = 0; i < STMT_CACHE; i++) {
		if (a->cache[i].st == NULL) {
			if (free_slot == NULL)
				free_slot = &a->cache[i];
			continue;
		}
		if (!a->cache[i].busy && strcmp(sqlite3_sql(a->cache[i].st), sql) == 0) {
			a->cache[i].busy = 1;
			*st = a->cache[i].st;
			return AUDIT_OK;
		}
	}
	if (sqlite3_prepare_v3(a->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0, st,
	        NULL) != SQLITE_OK) {
		log_error("audit database: %s: %s", sql, sqlite3_errmsg(a->db));
		sqlite3_finalize(*st);
		*st = NULL;
		return AUDIT_ERR_DB;
	}
	if (free_slot != NULL) {
		free_slot->st = *st;
		free_slot->busy = 1;
	}
	return AUDIT_OK;
}

void
audit_finalize(struct audit *a, sqlite3_stmt *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		if (a->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			a->cache[i].busy = 0;
			return;
		}
	sqlite3_finalize(st);
}

void
audit_close(struct audit *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(a->cache[i].st);
	sqlite3_finalize(a->ins);
	sqlite3_finalize(a->next);
	sqlite3_finalize(a->prev);
	sqlite3_close(a->db);
	free(a);
}

sqlite3 *
audit_db(struct audit *a)
{
	return a->db;
}

/*
 * Group commit (issue #14): inside a batch, a transaction of the callers is a savepoint of the
 * batch's one transaction, so the requests of several fixtures cost one durable commit. SQLite
 * may roll a whole transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM): from then on every audit_begin of the batch fails, so that nothing later in
 * the batch is committed on its own (autocommit) while the earlier work is gone, and
 * audit_batch_end reports the loss.
 */
int
audit_begin(struct audit *a)
{
	int r;

	if (!a->batch)
		return exec(a, "BEGIN IMMEDIATE");
	if (a->batch_lost || sqlite3_get_autocommit(a->db)) {
		a->batch_lost = 1;
		log_error("audit database: the group commit's transaction was rolled back by SQLite "
		    "(see the message before); nothing more is written in it");
		return AUDIT_ERR_DB;
	}
	if ((r = exec(a, "SAVEPOINT req")) == 0)
		a->depth++;
	return r;
}

int
audit_begin_read(struct audit *a)
{
	if (a->batch) {
		log_error("audit database: a read snapshot cannot be taken inside a group commit");
		return AUDIT_ERR_ARG;
	}
	return exec(a, "BEGIN DEFERRED");
}

int
audit_commit(struct audit *a)
{
	int r;

	if (!a->batch)
		return exec(a, "COMMIT");
	if (a->depth == 0 || a->batch_lost || sqlite3_get_autocommit(a->db)) {
		a->batch_lost = a->batch_lost || sqlite3_get_autocommit(a->db);
		return AUDIT_ERR_DB;
	}
	r = exec(a, "RELEASE req");
	a->depth--;
	return r;
}

void
audit_rollback(struct audit *a)
{
	if (!a->batch) {
		if (!sqlite3_get_autocommit(a->db))
			(void)exec(a, "ROLLBACK");
		return;
	}
	if (a->depth == 0)
		return;
	if (!a->batch_lost && !sqlite3_get_autocommit(a->db)) {
		(void)exec(a, "ROLLBACK TO req");
		(void)exec(a, "RELEASE req");
	} else
		a->batch_lost = 1;
	a->depth--;
}

int
audit_batch_begin(struct audit *a)
{
	int r;

	if (a->batch)
		return AUDIT_ERR_ARG;
	if ((r = exec(a, "BEGIN IMMEDIATE")) != 0)
		return r;
	a->batch = 1;
	a->depth = 0;
	a->batch_lost = 0;
	return AUDIT_OK;
}

int
audit_batch_end(struct audit *a)
{
	int r = AUDIT_OK, lost;

	if (!a->batch)
		return AUDIT_ERR_ARG;
	a->batch = 0;
	lost = a->batch_lost || a->depth != 0 || sqlite3_get_autocommit(a->db);
	a->depth = 0;
	a->batch_lost = 0;
	if (lost) {
		log_error("audit database: a group commit was lost before it was written; none of "
		    "its requests is recorded");
		r = AUDIT_ERR_DB;
	} else if ((r = exec(a, "COMMIT")) != 0)
		log_error("audit database: a group commit failed; none of its requests is recorded");
	if (!sqlite3_get_autocommit(a->db))
		(void)exec(a, "ROLLBACK");
	return r;
}

static int
field_ok(const char *s)
{
	return s != NULL && strlen(s) <= CAP_AUDIT_FIELD && util_printable(s);
}

int64_t
audit_time_ms(const char *t)
{
	struct tm tm;
	int ms = 0;
	char z = 0;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z) != 8 || z != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* The time for entry seq: now, or its predecessor's when the clock went back by at most
 * CLOCK_SLACK_MS. AUDIT_ERR_CLOCK (logged, with what to do) when it went back by more. */
static int
entry_time(struct audit *a, int64_t seq, char *now, size_t cap)
{
	const char *prev;
	int64_t pm, nm;
	int r = AUDIT_OK;

	util_utc_now(now, cap);
	if (seq == 0)
		return AUDIT_OK;
	sqlite3_reset(a->prev);
	sqlite3_bind_int64(a->prev, 1, seq - 1);
	if (sqlite3_step(a->prev) != SQLITE_ROW) {
		r = db_fail(a, "reading the last entry's time");
		goto out;
	}
	prev = (const char *)sqlite3_column_text(a->prev, 0);
	if ((pm = audit_time_ms(prev)) < 0 || (nm = audit_time_ms(now)) < 0 || nm >= pm)
		goto out;
	if (pm - nm <= CLOCK_SLACK_MS) {
		snprintf(now, cap, "%s", prev);
		goto out;
	}
	log_error("the system clock (%s) is %lld s behind the last audit entry (#%lld, %s): the "
	    "record's times must not go backwards, so nothing more is recorded or issued. Set the "
	    "clock right (timedatectl; NTP), then run again; nothing recorded is lost. If that entry's "
	    "time is the wrong one (the clock was ahead), call the engineer", now,
	    (long long)((pm - nm + 999) / 1000), (long long)(seq - 1), prev);
	r = AUDIT_ERR_CLOCK;
out:
	sqlite3_reset(a->prev);
	return r;
}

int
audit_append(struct audit *a, const struct audit_who *w, const char *kind, const char *chip,
    const char *serial, json_t *body, int64_t *seq)
{
	char now[32], *js = NULL;
	merkle_hash leaf;
	int64_t next;
	int r = AUDIT_ERR_DB;

	chip = chip ? chip : "";
	serial = serial ? serial : "";
	if (!field_ok(w->station) || !field_ok(w->operator_name) || !field_ok(w->lot) ||
	    !field_ok(kind) || !field_ok(chip) || !field_ok(serial)) {
		log_error("audit entry '%s' refused: a field is empty, too long or not printable",
		    field_ok(kind) ? kind : "?");
		return AUDIT_ERR_ARG;
	}
	js = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) :
	    strdup("{}");
	if (js == NULL || strlen(js) > CAP_AUDIT_BODY) {
		free(js);
		return AUDIT_ERR_NOMEM;
	}
	sqlite3_reset(a->next);
	if (sqlite3_step(a->next) != SQLITE_ROW) {
		r = db_fail(a, "numbering a log entry");
		goto out;
	}
	next = sqlite3_column_int64(a->next, 0);
	sqlite3_reset(a->next);
	if ((r = entry_time(a, next, now, sizeof(now))) != 0)
		goto out;
	sqlite3_reset(a->ins);
	sqlite3_bind_int64(a->ins, 1, next);
	sqlite3_bind_text(a->ins, 2, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(a->ins, 3, w->station, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 4, w->operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 5, w->lot, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 6, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 7, chip, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 8, serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(a->ins, 9, js, -1, SQLITE_STATIC);
	if ((r = audit_entry_leaf(next, now, w->station, w->operator_name, w->lot, kind, chip, serial,
	         js, leaf)) != 0)
		goto out;
	sqlite3_bind_blob(a->ins, 10, leaf, sizeof(leaf), SQLITE_STATIC);
	r = AUDIT_ERR_DB;
	if (sqlite3_step(a->ins) != SQLITE_DONE) {
		r = db_fail(a, "appending a log entry");
		goto out;
	}
	if (seq != NULL)
		*seq = next;
	r = AUDIT_OK;
out:
	sqlite3_reset(a->ins);
	sqlite3_clear_bindings(a->ins);
	free(js);
	return r;
}

int
audit_log(struct audit *a, const struct audit_who *w, const char *kind, const char *chip,
    const char *serial, json_t *body)
{
	int r;

	if ((r = audit_begin(a)) == 0) {
		if ((r = audit_append(a, w, kind, chip, serial, body, NULL)) == 0)
			r = audit_commit(a);
		if (r != 0)
			audit_rollback(a);
	}
	json_decref(body);
	return r;
}

const char *
audit_strerror(int rc)
{
	switch (rc) {
	case AUDIT_OK: return "success";
	case AUDIT_ERR_DB: return "audit database error";
	case AUDIT_ERR_CONSTRAINT: return "audit database refused a duplicate";
	case AUDIT_ERR_SCHEMA: return "audit database schema is newer than this station";
	case AUDIT_ERR_ARG: return "invalid audit field";
	case AUDIT_ERR_NOMEM: return "out of memory";
	case AUDIT_ERR_CORRUPT: return "audit database holds a malformed row";
	case AUDIT_ERR_CLOCK: return "the clock is behind the last audit entry";
	default: return "unknown audit error";
	}
}
