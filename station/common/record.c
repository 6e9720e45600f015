/* record.c: loading the audit record for verification; see record.h. */
#include "record.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-entry.h"
#include "caps.h"
#include "log.h"
#include "note.h"
#include "util.h"

static int __attribute__((format(printf, 4, 5)))
fail(char *why, size_t wcap, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && wcap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, wcap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A grow-by-doubling array with the CAP_LOG_ENTRIES ceiling. */
static int
grow(void **p, size_t *alloc, size_t n, size_t elem)
{
	void *q;
	size_t na;

	if (n < *alloc)
		return 0;
	if (n >= CAP_LOG_ENTRIES)
		return -1;
	na = *alloc ? *alloc * 2 : 1024;
	if ((q = realloc(*p, na * elem)) == NULL)
		return -1;
	memset((char *)q + *alloc * elem, 0, (na - *alloc) * elem);
	*p = q;
	*alloc = na;
	return 0;
}

/* Checked text column: TEXT, no NUL inside, at most max bytes. NULL when not. */
static const char *
col_text(sqlite3_stmt *st, int i, size_t max)
{
	const unsigned char *t;
	int n;

	if (sqlite3_column_type(st, i) != SQLITE_TEXT)
		return NULL;
	t = sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	if (t == NULL || n < 0 || (size_t)n > max || strlen((const char *)t) != (size_t)n)
		return NULL;
	return (const char *)t;
}

static char *
dup_text(sqlite3_stmt *st, int i, size_t max)
{
	const char *t = col_text(st, i, max);

	return strdup(t ? t : "");
}

/* The registry rows' strings of a database record live in chunks of one arena (a million-device
 * record has millions of them; one allocation each cost more than the strings). */
struct rec_chunk {
	struct rec_chunk *next;
	size_t used, cap;
	char data[];
};

#define REC_CHUNK (1 << 20)

/* A checked text column (as dup_text) copied into the arena; NULL when out of memory. */
static char *
arena_text(struct record *rc, sqlite3_stmt *st, int i, size_t max)
{
	const char *t = col_text(st, i, max);
	size_t n = t ? strlen(t) + 1 : 1;
	struct rec_chunk *c = rc->chunks;
	char *p;

	if (c == NULL || c->cap - c->used < n) {
		if ((c = malloc(sizeof(*c) + REC_CHUNK)) == NULL)
			return NULL;
		c->next = rc->chunks;
		c->used = 0;
		c->cap = REC_CHUNK; /* n <= CAP_AUDIT_FIELD + 1: always fits */
		rc->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, t ? t : "", n);
	c->used += n;
	return p;
}

/* Fills e from the nine strings, in one allocation. */
static int
entry_set(struct rec_entry *e, const char *const f[9])
{
	size_t len[9], total = 0, i;
	const char **dst[9] = { &e->time, &e->station, &e->op, &e->lot, &e->kind, &e->chip,
		&e->serial, &e->body, NULL };
	char *p;

	for (i = 0; i < 8; i++)
		total += (len[i] = strlen(f[i])) + 1;
	if ((e->mem = p = malloc(total)) == NULL)
		return -1;
	for (i = 0; i < 8; i++) {
		memcpy(p, f[i], len[i] + 1);
		*dst[i] = p;
		p += len[i] + 1;
	}
	return 0;
}

/* Reads one log row (seq,time,station,operator,lot,kind,chip_id,serial,body,leaf) into e, its
 * strings pointing into the statement's row (valid until the next step); f gets them too. */
static void
peek_entry(sqlite3_stmt *st, struct rec_entry *e, const char *f[9])
{
	const void *lf;
	int i;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
		e->bad = "its sequence number is not an integer";
	for (i = 0; i < 8; i++) {
		f[i] = col_text(st, i + 1, i == 7 ? CAP_AUDIT_BODY : CAP_AUDIT_FIELD);
		if (f[i] == NULL) {
			e->bad = "a column is not text of the allowed length";
			f[i] = "";
		}
	}
	f[8] = NULL;
	lf = sqlite3_column_blob(st, 9);
	if (sqlite3_column_type(st, 9) == SQLITE_BLOB && sqlite3_column_bytes(st, 9) == 32 &&
	    lf != NULL) {
		memcpy(e->leaf, lf, 32);
		e->leaf_ok = 1;
	}
	e->time = f[0], e->station = f[1], e->op = f[2], e->lot = f[3], e->kind = f[4];
	e->chip = f[5], e->serial = f[6], e->body = f[7];
}

/* Reads one log row into e, its strings copied (e->mem). */
static int
read_entry(sqlite3_stmt *st, struct rec_entry *e)
{
	const char *f[9];

	peek_entry(st, e, f);
	return entry_set(e, f);
}

int
record_entry_leaf(const struct rec_entry *e, merkle_hash out)
{
	return audit_entry_leaf(e->seq, e->time, e->station, e->op, e->lot, e->kind, e->chip,
	    e->serial, e->body, out) == AUDIT_OK ? 0 : -1;
}

static const char SEL_LOG[] = "SELECT seq,time,station,operator,lot,kind,chip_id,serial,body,leaf"
			      " FROM log ORDER BY seq";

int
record_leaves(sqlite3 *db, merkle_hash **leaves, uint64_t *n, char *why, size_t wcap)
{
	sqlite3_stmt *st = NULL;
	merkle_hash *l = NULL, h;
	size_t alloc = 0, k = 0;
	struct rec_entry e;
	char num[32];
	int r = REC_ERR_OPEN, s;

	if (sqlite3_prepare_v2(db, SEL_LOG, -1, &st, NULL) != SQLITE_OK)
		return fail(why, wcap, REC_ERR_OPEN, "cannot read the log: %s%s", sqlite3_errmsg(db), "");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&l, &alloc, k, sizeof(*l)) != 0) {
			r = fail(why, wcap, REC_ERR_NOMEM, "out of memory reading the log%s%s", "", "");
			goto out;
		}
		if (read_entry(st, &e) != 0) {
			r = REC_ERR_NOMEM;
			goto out;
		}
		snprintf(num, sizeof(num), "%lld", (long long)k);
		if (e.seq != (int64_t)k) {
			r = fail(why, wcap, REC_ERR_LOG, "entry #%s is missing or out of order%s", num, "");
		} else if (e.bad != NULL || !e.leaf_ok) {
			r = fail(why, wcap, REC_ERR_LOG, "entry #%s: %s", num,
			    e.bad ? e.bad : "has no 32-byte leaf hash");
		} else if (record_entry_leaf(&e, h) != 0) {
			r = REC_ERR_NOMEM;
		} else if (memcmp(h, e.leaf, 32) != 0) {
			r = fail(why, wcap, REC_ERR_LOG, "entry #%s: content does not match its leaf "
			    "hash%s", num, "");
		} else {
			memcpy(l[k++], h, 32);
			r = REC_OK;
		}
		free(e.mem);
		if (r != REC_OK)
			goto out;
	}
	if (s != SQLITE_DONE) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot read the log: %s%s", sqlite3_errmsg(db), "");
		goto out;
	}
	*leaves = l;
	*n = k;
	l = NULL;
	r = REC_OK;
out:
	sqlite3_finalize(st);
	free(l);
	return r;
}

static int
load_entries(sqlite3 *db, struct record *rc)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int s, r = REC_ERR_FORMAT;

	if (sqlite3_prepare_v2(db, SEL_LOG, -1, &st, NULL) != SQLITE_OK)
		return REC_ERR_FORMAT;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&rc->e, &alloc, rc->ne, sizeof(*rc->e)) != 0 ||
		    read_entry(st, &rc->e[rc->ne]) != 0) {
			r = REC_ERR_NOMEM;
			goto out;
		}
		rc->ne++;
	}
	r = s == SQLITE_DONE ? REC_OK : REC_ERR_OPEN;
out:
	sqlite3_finalize(st);
	return r;
}

enum { LOAD_ROWS = 1, LOAD_CHECKPOINTS = 2 };

/* 1 when db has the table name (tables a later schema added are absent from older records). */
static int
has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1,
	        &st, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
		r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

static int
load_tables(sqlite3 *db, struct record *rc, int what)
{
	sqlite3_stmt *st = NULL;
	size_t alloc;
	int s;

#define PREP(sql)                                                                   \
	do {                                                                            \
		alloc = 0;                                                              \
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)            \
			return REC_ERR_FORMAT;                                          \
	} while (0)
#define F(i) arena_text(rc, st, i, CAP_AUDIT_FIELD)

	rc->arena_rows = 1;
	if (!(what & LOAD_ROWS))
		goto checkpoints;
	PREP("SELECT issuer,cert_serial,product,chip_id,serial,lot,pubkey_sha256,status,seq,der"
	     " FROM certs ORDER BY seq");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_cert *c;
		int n = sqlite3_column_bytes(st, 9);

		if (grow((void **)&rc->c, &alloc, rc->nc, sizeof(*rc->c)) != 0)
			goto nomem;
		c = &rc->c[rc->nc++];
		c->issuer = F(0), c->cert_serial = F(1), c->product = F(2), c->chip = F(3);
		c->serial = F(4), c->lot = F(5), c->pubkey = F(6), c->status = F(7);
		c->seq = sqlite3_column_int64(st, 8);
		if (!c->issuer || !c->cert_serial || !c->product || !c->chip || !c->serial ||
		    !c->lot || !c->pubkey || !c->status)
			goto nomem;
		if (sqlite3_column_type(st, 9) == SQLITE_BLOB && n > 0 && n <= CAP_CERT_DER &&
		    (c->der = malloc((size_t)n)) != NULL) {
			memcpy(c->der, sqlite3_column_blob(st, 9), (size_t)n);
			c->derlen = (size_t)n;
		}
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return REC_ERR_OPEN;
	/* devices.status exists from schema 3 on; a record written before reads as "". */
	alloc = 0;
	if (sqlite3_prepare_v2(db, "SELECT product,chip_id,serial,lot,cert_serial,fw_version,"
	        "fw_digest,seq,status FROM devices ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		PREP("SELECT product,chip_id,serial,lot,cert_serial,fw_version,fw_digest,seq,'' FROM"
		     " devices ORDER BY seq");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_device *d;

		if (grow((void **)&rc->d, &alloc, rc->nd, sizeof(*rc->d)) != 0)
			goto nomem;
		d = &rc->d[rc->nd++];
		d->product = F(0), d->chip = F(1), d->serial = F(2), d->lot = F(3);
		d->cert_serial = F(4), d->fw_version = F(5), d->fw_digest = F(6);
		d->seq = sqlite3_column_int64(st, 7);
		d->status = F(8);
		if (!d->product || !d->chip || !d->serial || !d->lot || !d->cert_serial ||
		    !d->fw_version || !d->fw_digest || !d->status)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return REC_ERR_OPEN;
	PREP("SELECT serial,product,chip_id,lot,status,seq FROM serials ORDER BY seq");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_serial *x;

		if (grow((void **)&rc->s, &alloc, rc->ns, sizeof(*rc->s)) != 0)
			goto nomem;
		x = &rc->s[rc->ns++];
		x->serial = F(0), x->product = F(1), x->chip = F(2), x->lot = F(3), x->status = F(4);
		x->seq = sqlite3_column_int64(st, 5);
		if (!x->serial || !x->product || !x->chip || !x->lot || !x->status)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return REC_ERR_OPEN;
	PREP("SELECT commitment,serial,seq FROM pw_commits ORDER BY seq");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_pw *p;

		if (grow((void **)&rc->p, &alloc, rc->np, sizeof(*rc->p)) != 0)
			goto nomem;
		p = &rc->p[rc->np++];
		p->commitment = F(0), p->serial = F(1);
		p->seq = sqlite3_column_int64(st, 2);
		if (!p->commitment || !p->serial)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return REC_ERR_OPEN;
	/* cred_commits exists from schema 7 on (check_tables told which) */
	if (has_table(db, "cred_commits")) {
		PREP("SELECT kind,commitment,serial,public,seq FROM cred_commits ORDER BY seq");
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			struct rec_cred *c;

			if (grow((void **)&rc->cr, &alloc, rc->ncr, sizeof(*rc->cr)) != 0)
				goto nomem;
			c = &rc->cr[rc->ncr++];
			c->kind = F(0), c->commitment = F(1), c->serial = F(2), c->public = F(3);
			c->seq = sqlite3_column_int64(st, 4);
			if (!c->kind || !c->commitment || !c->serial || !c->public)
				goto nomem;
		}
		sqlite3_finalize(st);
		if (s != SQLITE_DONE)
			return REC_ERR_OPEN;
	}
checkpoints:
	if (!(what & LOAD_CHECKPOINTS))
		goto counters;
	PREP("SELECT size,root,note,time FROM checkpoints ORDER BY size");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_checkpoint *k;

		if (rc->nk >= CAP_CHECKPOINTS ||
		    grow((void **)&rc->k, &alloc, rc->nk, sizeof(*rc->k)) != 0)
			goto nomem;
		k = &rc->k[rc->nk++];
		k->size = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_BLOB && sqlite3_column_bytes(st, 1) == 32) {
			memcpy(k->root, sqlite3_column_blob(st, 1), 32);
			k->root_ok = 1;
		}
		k->note = dup_text(st, 2, CAP_NOTE);
		k->time = F(3);
		if (!k->note || !k->time)
			goto nomem;
	}
	sqlite3_finalize(st);
	if (s != SQLITE_DONE)
		return REC_ERR_OPEN;
counters:
	if (!(what & LOAD_ROWS))
		return REC_OK;
	PREP("SELECT name,value FROM counters ORDER BY name");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct rec_counter *n;

		if (grow((void **)&rc->n, &alloc, rc->nn, sizeof(*rc->n)) != 0)
			goto nomem;
		n = &rc->n[rc->nn++];
		n->name = F(0);
		n->value = sqlite3_column_int64(st, 1);
		if (!n->name)
			goto nomem;
	}
	sqlite3_finalize(st);
	rc->have_counters = 1;
	return s == SQLITE_DONE ? REC_OK : REC_ERR_OPEN;
nomem:
	sqlite3_finalize(st);
	return REC_ERR_NOMEM;
#undef PREP
#undef F
}

int
record_load_db(const char *path, struct record **out, char *why, size_t wcap)
{
	struct record *rc = NULL;
	sqlite3 *db = NULL;
	int r;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return REC_ERR_NOMEM;
	/* Read-only and no URI tricks: a verifier never creates, migrates or repairs. */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot open the database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot read the database '%s': %s", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	if ((r = load_entries(db, rc)) != 0 ||
	    (r = load_tables(db, rc, LOAD_ROWS | LOAD_CHECKPOINTS)) != 0) {
		r = fail(why, wcap, r == REC_ERR_NOMEM ? r : REC_ERR_OPEN,
		    "cannot read the audit record in '%s': %s", path, sqlite3_errmsg(db));
		goto out;
	}
	(void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	*out = rc;
	rc = NULL;
	r = REC_OK;
out:
	sqlite3_close(db);
	record_free(rc);
	return r;
}

/* What record_load_db would find unreadable, before the pass (every statement prepares: the
 * tables and columns are there), and the number of certificate rows. */
static int
check_tables(sqlite3 *db, size_t *ncerts)
{
	static const char *const sql[] = { SEL_LOG,
		"SELECT COUNT(*) FROM certs",
		"SELECT product,chip_id,serial,lot,cert_serial,fw_version,fw_digest,seq FROM devices",
		"SELECT serial,product,chip_id,lot,status,seq FROM serials",
		"SELECT commitment,serial,seq FROM pw_commits",
		"SELECT size,root,note,time FROM checkpoints",
		"SELECT kind,commitment,serial,public,seq FROM cred_commits",
		"SELECT name,value FROM counters" };
	sqlite3_stmt *st = NULL;
	size_t i;
	int s;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (strstr(sql[i], "cred_commits") != NULL && !has_table(db, "cred_commits"))
			continue; /* a record written before schema 7 */
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return REC_ERR_FORMAT;
		if (i == 1) {
			if ((s = sqlite3_step(st)) != SQLITE_ROW) {
				sqlite3_finalize(st);
				return REC_ERR_OPEN;
			}
			*ncerts = (size_t)sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
	}
	return REC_OK;
}

int
record_open_db(const char *path, struct record **out, char *why, size_t wcap)
{
	struct record *rc = NULL;
	int r;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return REC_ERR_NOMEM;
	/* Read-only and no URI tricks: a verifier never creates, migrates or repairs. */
	if (sqlite3_open_v2(path, &rc->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot open the database '%s': %s", path,
		    rc->db ? sqlite3_errmsg(rc->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(rc->db, 10000);
	if (sqlite3_exec(rc->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot read the database '%s': %s", path,
		    sqlite3_errmsg(rc->db));
		goto out;
	}
	if ((r = check_tables(rc->db, &rc->ncerts)) != 0 ||
	    (r = load_tables(rc->db, rc, LOAD_CHECKPOINTS)) != 0 ||
	    (sqlite3_prepare_v2(rc->db, "SELECT seq,time,station,operator,lot,kind,chip_id,serial,"
	        "body,leaf FROM log WHERE seq=? LIMIT 1", -1, &rc->at, NULL) != SQLITE_OK &&
	        (r = REC_ERR_FORMAT) != 0)) {
		r = fail(why, wcap, r == REC_ERR_NOMEM ? r : REC_ERR_OPEN,
		    "cannot read the audit record in '%s': %s", path, sqlite3_errmsg(rc->db));
		goto out;
	}
	*out = rc;
	rc = NULL;
	r = REC_OK;
out:
	record_free(rc);
	return r;
}

int
record_load_rows(struct record *rc, const char *path, char *why, size_t wcap)
{
	int r;

	if (rc->db == NULL)
		return REC_OK; /* a bundle: loaded with the rest */
	if ((r = load_tables(rc->db, rc, LOAD_ROWS)) != 0)
		return fail(why, wcap, r == REC_ERR_NOMEM ? r : REC_ERR_OPEN,
		    "cannot read the audit record in '%s': %s", path, sqlite3_errmsg(rc->db));
	rc->ncerts = rc->nc;
	return REC_OK;
}

int
record_each_entry(struct record *rc, int (*fn)(void *arg, const struct rec_entry *e),
    void *arg, size_t *n, char *why, size_t wcap)
{
	sqlite3_stmt *st = NULL;
	struct rec_entry e;
	const char *f[9];
	size_t k = 0;
	int r, s;

	*n = 0;
	if (rc->db == NULL) {
		for (k = 0; k < rc->ne; k++)
			if ((r = fn(arg, &rc->e[k])) != 0)
				return r;
		*n = k;
		return REC_OK;
	}
	if (sqlite3_prepare_v2(rc->db, SEL_LOG, -1, &st, NULL) != SQLITE_OK)
		return fail(why, wcap, REC_ERR_OPEN, "cannot read the log: %s%s",
		    sqlite3_errmsg(rc->db), "");
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		/* the same ceiling as a loaded record */
		if (k + 1 >= CAP_LOG_ENTRIES) {
			r = fail(why, wcap, REC_ERR_NOMEM, "the log has more than %d entries%s",
			    CAP_LOG_ENTRIES, "");
			goto out;
		}
		peek_entry(st, &e, f);
		if ((r = fn(arg, &e)) != 0)
			goto out;
		k++;
	}
	if (s != SQLITE_DONE) {
		r = fail(why, wcap, REC_ERR_OPEN, "cannot read the log: %s%s", sqlite3_errmsg(rc->db), "");
		goto out;
	}
	*n = k;
	r = REC_OK;
out:
	sqlite3_finalize(st);
	return r;
}

const struct rec_entry *
record_entry_at(struct record *rc, int64_t seq, struct rec_entry *buf)
{
	size_t lo = 0, hi = rc->ne;
	int ok;

	if (rc->db == NULL) {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (rc->e[mid].seq == seq)
				return &rc->e[mid];
			if (rc->e[mid].seq < seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		return NULL;
	}
	record_entry_clear(buf);
	sqlite3_reset(rc->at);
	sqlite3_bind_int64(rc->at, 1, seq);
	ok = sqlite3_step(rc->at) == SQLITE_ROW && sqlite3_column_type(rc->at, 0) == SQLITE_INTEGER &&
	    read_entry(rc->at, buf) == 0;
	sqlite3_reset(rc->at);
	return ok ? buf : NULL;
}

void
record_entry_clear(struct rec_entry *buf)
{
	free(buf->mem);
	memset(buf, 0, sizeof(*buf));
}

/* ---- bundles ---- */

static const char *
jstr(json_t *o, const char *key, size_t max)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (json_string_length(v) > max || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

static char *
jdup(json_t *o, const char *key, int *bad)
{
	const char *s = jstr(o, key, CAP_AUDIT_FIELD);

	if (s == NULL)
		*bad = 1;
	return strdup(s ? s : "");
}

static int
jseq(json_t *o, const char *key, int64_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*v = (int64_t)json_integer_value(j);
	return 0;
}

static int
bundle_entries(json_t *arr, struct record *rc)
{
	size_t i, alloc = 0;
	json_t *o;

	json_array_foreach(arr, i, o) {
		static const char *const keys[8] = { "time", "station", "operator", "lot", "kind",
			"chip_id", "serial", "body" };
		struct rec_entry *e;
		const char *f[9], *lh;
		size_t k;

		if (grow((void **)&rc->e, &alloc, rc->ne, sizeof(*rc->e)) != 0)
			return REC_ERR_NOMEM;
		e = &rc->e[rc->ne];
		memset(e, 0, sizeof(*e));
		if (!json_is_object(o) || jseq(o, "seq", &e->seq) != 0)
			e->bad = "its sequence number is not a non-negative integer";
		for (k = 0; k < 8; k++) {
			f[k] = jstr(o, keys[k], k == 7 ? CAP_AUDIT_BODY : CAP_AUDIT_FIELD);
			if (f[k] == NULL) {
				e->bad = "a field is not text of the allowed length";
				f[k] = "";
			}
		}
		f[8] = NULL;
		if ((lh = jstr(o, "leaf", 64)) != NULL && strlen(lh) == 64 &&
		    util_unhex(lh, e->leaf, 32) == 32)
			e->leaf_ok = 1;
		if (entry_set(e, f) != 0)
			return REC_ERR_NOMEM;
		rc->ne++;
	}
	return REC_OK;
}

static int
bundle_tables(json_t *root, struct record *rc)
{
	size_t i, alloc;
	json_t *o;
	int bad = 0;

	alloc = 0;
	json_array_foreach(json_object_get(root, "certs"), i, o) {
		struct rec_cert *c;
		const char *der;

		if (grow((void **)&rc->c, &alloc, rc->nc, sizeof(*rc->c)) != 0)
			return REC_ERR_NOMEM;
		c = &rc->c[rc->nc++];
		c->issuer = jdup(o, "issuer", &bad), c->cert_serial = jdup(o, "cert_serial", &bad);
		c->product = jdup(o, "product", &bad), c->chip = jdup(o, "chip_id", &bad);
		c->serial = jdup(o, "serial", &bad), c->lot = jdup(o, "lot", &bad);
		c->pubkey = jdup(o, "pubkey_sha256", &bad), c->status = jdup(o, "status", &bad);
		if (jseq(o, "seq", &c->seq) != 0)
			c->seq = -1;
		if ((der = jstr(o, "der_hex", 2 * CAP_CERT_DER)) != NULL && strlen(der) % 2 == 0 &&
		    (c->der = malloc(strlen(der) / 2 + 1)) != NULL) {
			int n = util_unhex(der, c->der, CAP_CERT_DER);
			c->derlen = n > 0 ? (size_t)n : 0;
		}
	}
	alloc = 0;
	json_array_foreach(json_object_get(root, "devices"), i, o) {
		struct rec_device *d;

		if (grow((void **)&rc->d, &alloc, rc->nd, sizeof(*rc->d)) != 0)
			return REC_ERR_NOMEM;
		d = &rc->d[rc->nd++];
		d->product = jdup(o, "product", &bad), d->chip = jdup(o, "chip_id", &bad);
		d->serial = jdup(o, "serial", &bad), d->lot = jdup(o, "lot", &bad);
		d->cert_serial = jdup(o, "cert_serial", &bad);
		d->fw_version = jdup(o, "fw_version", &bad), d->fw_digest = jdup(o, "fw_digest", &bad);
		/* Optional: bundles exported before schema 6 carry no status. */
		d->status = strdup(jstr(o, "status", CAP_AUDIT_FIELD) ? jstr(o, "status",
		    CAP_AUDIT_FIELD) : "");
		if (jseq(o, "seq", &d->seq) != 0)
			d->seq = -1;
	}
	alloc = 0;
	json_array_foreach(json_object_get(root, "serials"), i, o) {
		struct rec_serial *x;

		if (grow((void **)&rc->s, &alloc, rc->ns, sizeof(*rc->s)) != 0)
			return REC_ERR_NOMEM;
		x = &rc->s[rc->ns++];
		x->serial = jdup(o, "serial", &bad), x->product = jdup(o, "product", &bad);
		x->chip = jdup(o, "chip_id", &bad), x->lot = jdup(o, "lot", &bad);
		x->status = jdup(o, "status", &bad);
		if (jseq(o, "seq", &x->seq) != 0)
			x->seq = -1;
	}
	alloc = 0;
	json_array_foreach(json_object_get(root, "pw_commits"), i, o) {
		struct rec_pw *p;

		if (grow((void **)&rc->p, &alloc, rc->np, sizeof(*rc->p)) != 0)
			return REC_ERR_NOMEM;
		p = &rc->p[rc->np++];
		p->commitment = jdup(o, "commitment", &bad), p->serial = jdup(o, "serial", &bad);
		if (jseq(o, "seq", &p->seq) != 0)
			p->seq = -1;
	}
	alloc = 0;
	json_array_foreach(json_object_get(root, "cred_commits"), i, o) {
		struct rec_cred *c;

		if (grow((void **)&rc->cr, &alloc, rc->ncr, sizeof(*rc->cr)) != 0)
			return REC_ERR_NOMEM;
		c = &rc->cr[rc->ncr++];
		c->kind = jdup(o, "kind", &bad), c->commitment = jdup(o, "commitment", &bad);
		c->serial = jdup(o, "serial", &bad), c->public = jdup(o, "public", &bad);
		if (jseq(o, "seq", &c->seq) != 0)
			c->seq = -1;
	}
	alloc = 0;
	json_array_foreach(json_object_get(root, "checkpoints"), i, o) {
		struct note_checkpoint *cp;
		struct rec_checkpoint *k;
		const char *t = json_is_string(o) ? json_string_value(o) : NULL;

		if (rc->nk >= CAP_CHECKPOINTS ||
		    grow((void **)&rc->k, &alloc, rc->nk, sizeof(*rc->k)) != 0)
			return REC_ERR_NOMEM;
		k = &rc->k[rc->nk++];
		k->size = -1;
		if (t == NULL || json_string_length(o) > CAP_NOTE || strlen(t) != json_string_length(o))
			t = "";
		k->note = strdup(t);
		k->time = strdup("");
		/* The bundle carries notes only; size and root come from the (parsed) note. */
		if ((cp = malloc(sizeof(*cp))) == NULL)
			return REC_ERR_NOMEM;
		if (note_parse(t, strlen(t), cp, NULL, 0) == NOTE_OK) {
			k->size = (int64_t)cp->size;
			memcpy(k->root, cp->root, 32);
			k->root_ok = 1;
		}
		free(cp);
	}
	/* A missing field in a table row leaves "" in place: the cross-checks against the log
	 * then name the row. */
	(void)bad;
	return REC_OK;
}

int
record_load_bundle(const uint8_t *buf, size_t len, struct record **out, char *why,
    size_t wcap)
{
	struct record *rc = NULL;
	json_error_t je;
	json_t *root = NULL, *v;
	const char *s;
	int r = REC_ERR_FORMAT;

	if (len > CAP_BUNDLE)
		return fail(why, wcap, REC_ERR_FORMAT, "bundle is larger than %s%s", "1 GiB", "");
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		char at[32];
		snprintf(at, sizeof(at), "%d", je.line);
		return fail(why, wcap, REC_ERR_FORMAT, "bundle is not valid JSON (line %s): %s", at,
		    je.text);
	}
	if (!json_is_object(root) || (s = jstr(root, "format", 64)) == NULL ||
	    strcmp(s, "station-audit-bundle/1") != 0 ||
	    !json_is_array(json_object_get(root, "entries"))) {
		r = fail(why, wcap, REC_ERR_FORMAT, "not a station audit bundle (format "
		    "\"station-audit-bundle/1\" with an entries array expected)%s%s", "", "");
		goto out;
	}
	v = json_object_get(root, "checkpoints");
	if ((v != NULL && !json_is_array(v)) ||
	    json_array_size(json_object_get(root, "entries")) > CAP_LOG_ENTRIES) {
		r = fail(why, wcap, REC_ERR_FORMAT, "bundle checkpoints or entries malformed%s%s", "", "");
		goto out;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		r = REC_ERR_NOMEM;
		goto out;
	}
	if ((r = bundle_entries(json_object_get(root, "entries"), rc)) != 0 ||
	    (r = bundle_tables(root, rc)) != 0)
		goto out;
	rc->ncerts = rc->nc;
	if ((s = jstr(root, "ca_chain_pem", CAP_PEM)) != NULL && (rc->ca_pem = strdup(s)) == NULL)
		r = REC_ERR_NOMEM;
	if ((s = jstr(root, "audit_key_pem", CAP_PEM)) != NULL &&
	    (rc->audit_key_pem = strdup(s)) == NULL)
		r = REC_ERR_NOMEM;
	if (r != 0)
		goto out;
	*out = rc;
	rc = NULL;
	r = REC_OK;
out:
	json_decref(root);
	record_free(rc);
	return r;
}

void
record_free(struct record *rc)
{
	struct rec_chunk *ch;
	size_t i;
	int own = 0; /* the rows' strings are their own allocations (a bundle) */

	if (rc == NULL)
		return;
	own = !rc->arena_rows;
	for (i = 0; i < rc->ne; i++)
		free(rc->e[i].mem);
	for (i = 0; i < rc->nc; i++) {
		struct rec_cert *c = &rc->c[i];
		if (own) {
			free(c->issuer), free(c->cert_serial), free(c->product), free(c->chip);
			free(c->serial), free(c->lot), free(c->pubkey), free(c->status);
		}
		free(c->der);
	}
	for (i = 0; own && i < rc->nd; i++) {
		struct rec_device *d = &rc->d[i];
		free(d->product), free(d->chip), free(d->serial), free(d->lot);
		free(d->cert_serial), free(d->fw_version), free(d->fw_digest), free(d->status);
	}
	for (i = 0; own && i < rc->ns; i++) {
		struct rec_serial *x = &rc->s[i];
		free(x->serial), free(x->product), free(x->chip), free(x->lot), free(x->status);
	}
	for (i = 0; own && i < rc->np; i++)
		free(rc->p[i].commitment), free(rc->p[i].serial);
	for (i = 0; own && i < rc->ncr; i++)
		free(rc->cr[i].kind), free(rc->cr[i].commitment), free(rc->cr[i].serial),
		    free(rc->cr[i].public);
	for (i = 0; i < rc->nk; i++) {
		free(rc->k[i].note);
		if (own)
			free(rc->k[i].time);
	}
	for (i = 0; own && i < rc->nn; i++)
		free(rc->n[i].name);
	while ((ch = rc->chunks) != NULL) {
		rc->chunks = ch->next;
		free(ch);
	}
	free(rc->e), free(rc->c), free(rc->d), free(rc->s), free(rc->p), free(rc->k), free(rc->n);
	free(rc->cr);
	free(rc->ca_pem);
	free(rc->audit_key_pem);
	sqlite3_finalize(rc->at);
	if (rc->db != NULL) {
		(void)sqlite3_exec(rc->db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(rc->db);
	}
	free(rc);
}
