/*
 * forward.c: the forwarder (issue #15, docs/fleet.md): ships a station's local log and its signed
 * checkpoints to the fleet registry, in order, idempotently, and resumes exactly where the
 * registry stopped after a crash, a restart or an outage (the registry says where: the next seq
 * it lacks of this station). It runs under the signer's identity (`station-signer forward`,
 * started and restarted by the signer when the profile has [fleet]) and only reads the local
 * record: the signer stays its only writer.
 *
 * Its own chain is verified as it goes: each entry's leaf is recomputed from its fields and
 * must equal the leaf stored, seqs are contiguous, each checkpoint's root is recomputed over
 * the leaves (a Merkle stream kept from entry 0) and its note must verify with the station's
 * audit key (<db dir>/audit-key.pem). What does not verify is not shipped: the forwarder says
 * which entry and stops shipping (the line keeps running on its local record).
 */
#include "forward.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit-entry.h"
#include "fleet-registry.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "profile.h"
#include "util.h"

/* Entries per registry transaction. */
#define FWD_BATCH 256

struct fwd {
	const struct profile *prof;
	char conninfo[4096];
	sqlite3 *db;
	struct fleet *f;
	struct merkle_stream ms; /* the local leaves [0, ms.count) shipped and verified */
	char station[65];
	char *pem;               /* the audit public key, as exported */
	EVP_PKEY *key;
	int64_t sent;            /* the registry holds [0, sent) */
	int64_t cp_sent;         /* and its checkpoints up to this size */
	int stopped;             /* FWD_* reason shipping stopped for good (a fork, a bad record) */
};

static volatile sig_atomic_t fwd_stop;
/* Once asked to stop, what the registry has not got yet is shipped for at most this long (the
 * station's stop entries and checkpoint), then the forwarder ends. */
#define FWD_DRAIN_MS 3000
static uint64_t fwd_deadline_ms;


static void
on_term(int sig)
{
	(void)sig;
	fwd_stop = 1;
}

int
forward_conninfo(const struct profile *p, char *out, size_t cap, char *why, size_t wcap)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	struct stat sb;

	if (!p->fleet) {
		util_why(why, wcap, "%s has no [fleet] section: nothing to forward", p->path);
		return -1;
	}
	if (p->fleet_registry[0] != '\0') {
		if (strlen(p->fleet_registry) >= cap)
			return -1;
		memcpy(out, p->fleet_registry, strlen(p->fleet_registry) + 1);
		return 0;
	}
	if (stat(p->fleet_registry_file, &sb) != 0 ||
	    util_read_file(p->fleet_registry_file, cap - 1, &buf, &n) != 0) {
		util_why(why, wcap, "cannot read [fleet] registry_file %s: %s", p->fleet_registry_file,
		    strerror(errno));
		return -1;
	}
	if (sb.st_mode & 077)
		log_warn("[fleet] registry_file %s can be read by other users (mode %03o); it may hold "
		    "a password: chmod 600 it", p->fleet_registry_file, (unsigned)(sb.st_mode & 0777));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	memcpy(out, buf, n);
	out[n] = '\0';
	util_wipe(buf, n);
	free(buf);
	if (n == 0 || strchr(out, '\n') != NULL) {
		util_why(why, wcap, "[fleet] registry_file %s must hold one connection string on one line",
		    p->fleet_registry_file);
		return -1;
	}
	return 0;
}

/* The station's audit key as the signer exported it next to the database (absent before the
 * first checkpoint: checkpoints wait for it). */
static void
load_key(struct fwd *w)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t n = 0;

	if (w->key != NULL || util_sibling(w->prof->database, "audit-key.pem", path, sizeof(path)) != 0 ||
	    access(path, R_OK) != 0 || util_read_file(path, 8192, &buf, &n) != 0)
		return;
	if ((w->pem = realloc(buf, n + 1)) == NULL) {
		free(buf);
		return;
	}
	w->pem[n] = '\0';
	if ((w->key = note_load_pubkey_pem(w->pem, n)) == NULL) {
		log_error("forwarder: %s is not an EC P-256 or Ed25519 public key; checkpoints are not "
		    "forwarded", path);
		free(w->pem);
		w->pem = NULL;
	}
}

/* Local log size (max seq + 1) and the station ID of entry 0. */
static int
local_size(struct fwd *w, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(w->db, "SELECT COALESCE(MAX(seq) + 1, 0), (SELECT station FROM log"
	                              " WHERE seq = 0) FROM log", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		if (w->station[0] == '\0' && sqlite3_column_type(st, 1) == SQLITE_TEXT) {
			const char *s = (const char *)sqlite3_column_text(st, 1);

			if (s != NULL && strlen(s) < sizeof(w->station) && util_printable(s))
				memcpy(w->station, s, strlen(s) + 1);
		}
		r = 0;
	} else
		log_error("forwarder: reading the local record %s: %s", w->prof->database,
		    sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return r;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s != NULL ? s : "";
}

/* Reads local entries [from, to) into e (strings owned by *keep, freed by the caller with
 * free_batch), each checked: contiguous, one station, leaf recomputed = leaf stored. 0, or -1
 * after saying which entry does not verify (w->stopped set). */
struct row {
	char *f[8];
};

static void
free_batch(struct row *rows, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < 8; k++)
			free(rows[i].f[k]);
}

static int
read_batch(struct fwd *w, int64_t from, int64_t to, struct fleet_entry *e, struct row *rows,
    size_t *n)
{
	sqlite3_stmt *st = NULL;
	merkle_hash leaf;
	size_t k = 0, i;
	int r = -1, sr;

	*n = 0;
	if (sqlite3_prepare_v2(w->db, "SELECT seq,time,station,operator,lot,kind,chip_id,serial,body,"
	                              "leaf FROM log WHERE seq >= ? AND seq < ? ORDER BY seq", -1, &st,
	        NULL) != SQLITE_OK) {
		log_error("forwarder: reading the local record: %s", sqlite3_errmsg(w->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	while ((sr = sqlite3_step(st)) == SQLITE_ROW && k < FWD_BATCH) {
		int64_t seq = sqlite3_column_int64(st, 0);

		if (seq != from + (int64_t)k) {
			log_error("forwarder: the local record has no entry #%lld (the next is #%lld): it was "
			    "edited; run `station audit verify`; nothing more is forwarded",
			    (long long)(from + (int64_t)k), (long long)seq);
			w->stopped = 1;
			goto out;
		}
		for (i = 0; i < 8; i++)
			if ((rows[k].f[i] = strdup(col(st, (int)i + 1))) == NULL)
				goto out;
		e[k] = (struct fleet_entry){ .station = rows[k].f[1], .seq = seq, .time = rows[k].f[0],
			.operator_name = rows[k].f[2], .lot = rows[k].f[3], .kind = rows[k].f[4],
			.chip_id = rows[k].f[5], .serial = rows[k].f[6], .body = rows[k].f[7] };
		k++;
		if (strcmp(e[k - 1].station, w->station) != 0) {
			log_error("forwarder: local entry #%lld names station '%s', entry 0 '%s': the registry "
			    "keys a log by one station ID; nothing more is forwarded", (long long)seq,
			    e[k - 1].station, w->station);
			w->stopped = 1;
			goto out;
		}
		if (audit_entry_leaf_with(&w->ms, seq, e[k - 1].time, e[k - 1].station,
		        e[k - 1].operator_name, e[k - 1].lot, e[k - 1].kind, e[k - 1].chip_id,
		        e[k - 1].serial, e[k - 1].body, leaf) != AUDIT_OK)
			goto out;
		if (sqlite3_column_type(st, 9) != SQLITE_BLOB || sqlite3_column_bytes(st, 9) != 32 ||
		    memcmp(sqlite3_column_blob(st, 9), leaf, 32) != 0) {
			log_error("forwarder: local entry #%lld does not match its leaf hash: the record was "
			    "edited; run `station audit verify`; nothing more is forwarded", (long long)seq);
			w->stopped = 1;
			goto out;
		}
		memcpy(e[k - 1].leaf, leaf, 32);
	}
	if (sr != SQLITE_ROW && sr != SQLITE_DONE) {
		log_error("forwarder: reading the local record: %s", sqlite3_errmsg(w->db));
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	*n = k;
	return r;
}

/* The smallest local checkpoint of size > after: 1 and its size, root and note (malloc'd), 0
 * when none, -1 on error. */
static int
next_checkpoint(struct fwd *w, int64_t after, int64_t *size, uint8_t root[32], char **note)
{
	sqlite3_stmt *st = NULL;
	int r = -1, sr;

	if (sqlite3_prepare_v2(w->db, "SELECT size, root, note FROM checkpoints WHERE size > ?"
	                              " ORDER BY size LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, after);
	if ((sr = sqlite3_step(st)) == SQLITE_DONE) {
		r = 0;
		goto out;
	}
	if (sr != SQLITE_ROW)
		goto out;
	if (sqlite3_column_bytes(st, 1) != 32 || sqlite3_column_type(st, 2) != SQLITE_TEXT ||
	    sqlite3_column_int64(st, 0) <= 0) {
		log_error("forwarder: local checkpoint of size %lld is malformed: run `station audit "
		    "verify`; nothing more is forwarded", (long long)sqlite3_column_int64(st, 0));
		w->stopped = 1;
		goto out;
	}
	*size = sqlite3_column_int64(st, 0);
	memcpy(root, sqlite3_column_blob(st, 1), 32);
	if ((*note = strdup(col(st, 2))) == NULL)
		goto out;
	r = 1;
out:
	if (r < 0 && !w->stopped)
		log_error("forwarder: reading the local checkpoints: %s", sqlite3_errmsg(w->db));
	sqlite3_finalize(st);
	return r;
}

/* Rebuilds the Merkle stream over the local leaves [0, upto) (a new forwarder resuming at
 * upto), verifying each. */
static int
rebuild(struct fwd *w, int64_t upto)
{
	static struct fleet_entry e[FWD_BATCH];
	static struct row rows[FWD_BATCH];
	size_t n, i;
	int r;

	while ((int64_t)w->ms.count < upto) {
		memset(rows, 0, sizeof(rows));
		r = read_batch(w, (int64_t)w->ms.count, upto, e, rows, &n);
		for (i = 0; r == 0 && i < n; i++)
			if (merkle_stream_push(&w->ms, e[i].leaf) != 0)
				r = -1;
		free_batch(rows, n);
		if (r != 0 || n == 0)
			return -1;
	}
	return 0;
}

/* The checkpoint (size, root, note) against mine (the root the forwarder computed over size
 * leaves; NULL when it could not) and the audit key: 0, or -1 after saying so (w->stopped). */
static int
checkpoint_ok(struct fwd *w, const uint8_t *mine, int64_t size, const uint8_t root[32],
    const char *note)
{
	struct note_checkpoint cp;

	if (mine == NULL || memcmp(mine, root, 32) != 0 || note_parse(note, strlen(note), &cp, NULL, 0) != NOTE_OK ||
	    cp.size != (uint64_t)size || memcmp(cp.root, root, 32) != 0 ||
	    note_verify(note, &cp, w->key) != NOTE_OK) {
		log_error("forwarder: local checkpoint of size %lld does not verify against the entries "
		    "and the audit key: run `station audit verify`; nothing more is forwarded",
		    (long long)size);
		w->stopped = 1;
		return -1;
	}
	return 0;
}

/* The audit key, or -1 (a checkpoint waits for it). */
static int
have_key(struct fwd *w, int64_t size)
{
	load_key(w);
	if (w->key != NULL)
		return 0;
	log_warn("forwarder: no audit-key.pem beside %s yet: checkpoint %lld waits", w->prof->database,
	    (long long)size);
	return -1;
}

/* The checkpoint (size, root, note) must verify over the stream plus the batch e[0..n) before
 * the batch is shipped: the stream is pushed on a copy of its state, then put back. 0, or -1
 * (w->stopped when it does not verify; a missing key waits). */
static int
check_ahead(struct fwd *w, const struct fleet_entry *e, size_t n, int64_t size,
    const uint8_t root[32], const char *note)
{
	struct merkle_stream saved = w->ms;
	merkle_hash mine;
	size_t i;
	int bad = 0;

	if (have_key(w, size) != 0)
		return -1;
	for (i = 0; i < n && !bad; i++)
		bad = merkle_stream_push(&w->ms, e[i].leaf) != 0;
	bad = bad || merkle_stream_root(&w->ms, mine) != 0 || (int64_t)w->ms.count != size;
	memcpy(w->ms.h, saved.h, sizeof(saved.h));
	w->ms.n = saved.n;
	w->ms.count = saved.count;
	return checkpoint_ok(w, bad ? NULL : mine, size, root, note);
}

/* Ships the local checkpoint (size, root, note): the root must be the stream's (over exactly
 * size leaves) and the note must verify with the audit key. */
static int
ship_checkpoint(struct fwd *w, int64_t size, const uint8_t root[32], const char *note)
{
	merkle_hash mine;
	char why[1024];
	int r, held = 0;

	if (have_key(w, size) != 0)
		return -1;
	if (checkpoint_ok(w, merkle_stream_root(&w->ms, mine) == 0 && (int64_t)w->ms.count == size ?
	        mine : NULL, size, root, note) != 0)
		return -1;
	r = fleet_ingest_checkpoint(w->f, w->station, (uint64_t)size, root, note, &held, why,
	    sizeof(why));
	if (r == FLEET_OK) {
		w->cp_sent = size;
		return 0;
	}
	log_error("forwarder: %s", why);
	if (r == FLEET_ERR_FORK)
		w->stopped = 1;
	return r;
}

/* Connects, registers the station's key, learns where to resume. */
static int
connect_registry(struct fwd *w)
{
	char why[1024];
	int64_t next = 0, have = 0;
	int r;

	if ((r = fleet_open(w->conninfo, &w->f, why, sizeof(why))) != FLEET_OK) {
		log_warn("forwarder: %s", why);
		return -1;
	}
	if (local_size(w, &have) != 0 || w->station[0] == '\0') {
		fleet_close(w->f);
		w->f = NULL;
		return -1;
	}
	load_key(w);
	if ((w->pem != NULL && (r = fleet_station_key(w->f, w->station, w->pem, why, sizeof(why))) != 0) ||
	    (r = fleet_next_seq(w->f, w->station, &next, why, sizeof(why))) != 0 ||
	    (r = fleet_last_checkpoint(w->f, w->station, &w->cp_sent, why, sizeof(why))) != 0) {
		log_warn("forwarder: %s", why);
		fleet_close(w->f);
		w->f = NULL;
		return -1;
	}
	if (next > have) {
		/* Shipping the last local entries shows whether they are the registry's (a record
		 * restored from a backup: behind, or forked) */
		log_error("forwarder: the registry holds %lld entries of station %s, its local record "
		    "only %lld: the database was restored from an old backup or replaced; this station "
		    "must not issue (its serials and leases are the registry's); docs/fleet.md",
		    (long long)next, w->station, (long long)have);
		next = have > 16 ? have - 16 : 0;
	}
	/* the stream holds the leaves shipped so far: a reconnection after an outage goes on from
	 * there; only a registry that now holds fewer (restored) makes it start again from 0 */
	if (w->ms.ctx == NULL || (int64_t)w->ms.count > next) {
		merkle_stream_done(&w->ms);
		memset(&w->ms, 0, sizeof(w->ms));
		if (merkle_stream_init(&w->ms) != 0) {
			fleet_close(w->f);
			w->f = NULL;
			return -1;
		}
	}
	if (rebuild(w, next) != 0) {
		fleet_close(w->f);
		w->f = NULL;
		return -1;
	}
	/* the registry's history of this station must be a prefix of the local one: the root of
	 * the first next entries, the registry's against the record's (a database restored from a
	 * backup and written since has the same length, another history) */
	if (next > 0 && next <= have) {
		merkle_hash mine;

		if (merkle_stream_root(&w->ms, mine) != 0) {
			fleet_close(w->f);
			w->f = NULL;
			return -1;
		}
		if ((r = fleet_check_root(w->f, w->station, (uint64_t)next, mine, why,
		         sizeof(why))) != FLEET_OK) {
			log_error("forwarder: %s", why);
			if (r == FLEET_ERR_FORK)
				w->stopped = 1;
			fleet_close(w->f);
			w->f = NULL;
			return -1;
		}
	}
	w->sent = next;
	log_info("forwarder: connected to the fleet registry; station %s resumes at entry #%lld",
	    w->station, (long long)next);
	return 0;
}

/* One round: ships what the local record holds beyond what the registry holds. Returns the
 * entries shipped (0: nothing left), -1 when the registry is lost or something failed. */
static long
round_once(struct fwd *w)
{
	static struct fleet_entry e[FWD_BATCH];
	static struct row rows[FWD_BATCH];
	char why[1024], *note = NULL;
	uint8_t root[32];
	int64_t have = 0, cpsize = 0, to;
	size_t n = 0, held = 0, i;
	long shipped = 0;
	int r, conf = 0, havecp;

	if (local_size(w, &have) != 0)
		return -1;
	for (;;) {
		havecp = next_checkpoint(w, w->cp_sent, &cpsize, root, &note);
		if (havecp < 0)
			return -1;
		if (havecp && cpsize <= w->sent) {
			/* a checkpoint over entries held (a crash between the two): the registry
			 * recomputes its root from the leaves it holds */
			r = fleet_ingest_checkpoint(w->f, w->station, (uint64_t)cpsize, root, note, NULL, why,
			    sizeof(why));
			free(note);
			note = NULL;
			if (r != FLEET_OK) {
				log_error("forwarder: %s", why);
				if (r == FLEET_ERR_FORK)
					w->stopped = 1;
				return -1;
			}
			w->cp_sent = cpsize;
			continue;
		}
		if (w->sent >= have || (fwd_deadline_ms != 0 && util_ms() >= fwd_deadline_ms)) {
			free(note);
			return shipped;
		}
		to = have;
		if (havecp && cpsize < to)
			to = cpsize;
		if (to - w->sent > FWD_BATCH)
			to = w->sent + FWD_BATCH;
		memset(rows, 0, sizeof(rows));
		r = read_batch(w, w->sent, to, e, rows, &n);
		/* the batch that completes a checkpoint goes only when the checkpoint verifies over
		 * it: an entry edited with its leaf recomputed is not shipped */
		if (r == 0 && n > 0 && havecp && w->sent + (int64_t)n == cpsize &&
		    check_ahead(w, e, n, cpsize, root, note) != 0)
			r = -1;
		if (r == 0 && n > 0)
			r = fleet_ingest_batch(w->f, e, n, &held, &conf, why, sizeof(why));
		else if (r == 0)
			r = -1;
		for (i = 0; r == FLEET_OK && i < n; i++)
			if (merkle_stream_push(&w->ms, e[i].leaf) != 0)
				r = -1;
		free_batch(rows, n);
		if (r != FLEET_OK) {
			if (r < -1 || r == FLEET_ERR_DB || r == FLEET_ERR_FORK)
				log_error("forwarder: %s", why);
			if (r == FLEET_ERR_FORK)
				w->stopped = 1;
			free(note);
			return -1;
		}
		if (conf > 0)
			log_warn("forwarder: the registry recorded %d conflict(s) with other stations; "
			    "`station fleet status` lists them", conf);
		w->sent += (int64_t)n;
		shipped += (long)n;
		if (havecp && w->sent == cpsize && ship_checkpoint(w, cpsize, root, note) != 0) {
			free(note);
			return -1;
		}
		free(note);
		note = NULL;
	}
}

int
forward_run(const struct profile *prof, int once)
{
	struct fwd w;
	char why[1024];
	unsigned backoff = 1;
	long r;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.prof = prof;
	if (forward_conninfo(prof, w.conninfo, sizeof(w.conninfo), why, sizeof(why)) != 0) {
		log_error("forwarder: %s", why);
		return 2;
	}
	if (sqlite3_open_v2(prof->database, &w.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		log_error("forwarder: cannot open the local record %s read-only: %s", prof->database,
		    w.db ? sqlite3_errmsg(w.db) : "out of memory");
		sqlite3_close(w.db);
		return 2;
	}
	sqlite3_busy_timeout(w.db, 5000);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	{
		sigset_t ends;

		/* started by a signer that inherited them blocked, they must still end it */
		sigemptyset(&ends);
		sigaddset(&ends, SIGTERM);
		sigaddset(&ends, SIGINT);
		(void)sigprocmask(SIG_UNBLOCK, &ends, NULL);
	}
	while (!fwd_stop) {
		if (w.stopped) {
			rc = 3;
			if (once)
				break;
			sleep(60); /* said already; someone must look at the record or the registry */
			continue;
		}
		if (w.f == NULL && connect_registry(&w) != 0) {
			rc = 1;
			if (once && !w.stopped)
				break;
		} else if ((r = round_once(&w)) < 0) {
			fleet_close(w.f);
			w.f = NULL;
			rc = w.stopped ? 3 : 1;
			if (once && !w.stopped)
				break;
		} else {
			backoff = 1;
			rc = 0;
			if (once && r == 0)
				break;
			if (r == 0)
				sleep(1);
			continue;
		}
		if (w.stopped)
			continue;
		sleep(backoff);
		backoff = backoff >= 30 ? 30 : backoff * 2;
	}
	/* asked to stop while connected: what the station wrote last (its stop, its checkpoint)
	 * goes now rather than at the next start, within FWD_DRAIN_MS */
	if (fwd_stop && w.f != NULL && !w.stopped && !once) {
		fwd_deadline_ms = util_ms() + FWD_DRAIN_MS;
		(void)round_once(&w);
	}
	util_wipe(w.conninfo, sizeof(w.conninfo));
	fleet_close(w.f);
	merkle_stream_done(&w.ms);
	EVP_PKEY_free(w.key);
	free(w.pem);
	sqlite3_close(w.db);
	return rc;
}
