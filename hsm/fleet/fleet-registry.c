/* fleet-registry.c: the fleet registry's schema and ingestion through libpq; see fleet-registry.h. */
#include "fleet-registry.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct fleet {
	PGconn *conn;
};

/* The advisory lock that serialises migrations: any constant no other application of the same
 * database uses ("STFL"). pg_advisory_xact_lock frees it at COMMIT or ROLLBACK. */
#define FLEET_MIGRATE_LOCK 0x5354464cL

/* A field of an entry: at most this long (a cert.issued body holds the whole certificate in hex). */
#define FLEET_FIELD_MAX (64 * 1024)

/*
 * Schema migrations, index = version reached. Never edit a shipped step; add a new one.
 * The fields of entries are the canonical fields of audit-entry.h, text exactly as the station
 * holds them, so that the leaf hash (checked by the server on every insert) and any verifier can
 * rebuild the canonical bytes from a row.
 */
static const char *const migrations[] = {
	NULL,
	/* 1 */
	"CREATE DOMAIN entry_text AS text CHECK (VALUE ~ '^[ -~]*$');"
	"CREATE DOMAIN hash32 AS bytea CHECK (octet_length(VALUE) = 32);"
	/* append-only tables: UPDATE and DELETE refused row by row, TRUNCATE (which fires no row
	 * trigger) by a statement trigger */
	"CREATE FUNCTION fleet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN RAISE EXCEPTION 'fleet registry: % is append-only (% refused)', TG_TABLE_NAME, TG_OP;"
	" END $$;"
	"CREATE TABLE stations("
	" station_id entry_text PRIMARY KEY CHECK (station_id <> ''),"
	" first_seen timestamptz NOT NULL DEFAULT now(),"
	" last_contact timestamptz NOT NULL DEFAULT now());"
	/* a station is never deleted nor renamed; only its last contact moves */
	"CREATE FUNCTION fleet_stations_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN IF TG_OP <> 'UPDATE' OR NEW.station_id <> OLD.station_id"
	" OR NEW.first_seen <> OLD.first_seen THEN"
	" RAISE EXCEPTION 'fleet registry: stations keep their ID and first contact (% refused)', TG_OP;"
	" END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER stations_guard BEFORE UPDATE OR DELETE ON stations"
	" FOR EACH ROW EXECUTE FUNCTION fleet_stations_guard();"
	"CREATE TRIGGER stations_no_truncate BEFORE TRUNCATE ON stations"
	" FOR EACH STATEMENT EXECUTE FUNCTION fleet_append_only();"
	"CREATE TABLE entries("
	" station_id entry_text NOT NULL REFERENCES stations(station_id),"
	" seq bigint NOT NULL CHECK (seq >= 0),"
	" time entry_text NOT NULL"
	"  CHECK (time ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$'),"
	" operator entry_text NOT NULL,"
	" lot entry_text NOT NULL,"
	" kind entry_text NOT NULL CHECK (kind <> ''),"
	" chip_id entry_text NOT NULL DEFAULT '',"
	" serial entry_text NOT NULL DEFAULT '',"
	" body entry_text NOT NULL,"
	" leaf hash32 NOT NULL,"
	" received timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (station_id, seq),"
	/* audit-entry.h: leaf = SHA-256(0x00 || "SPLOG1\n<seq>\n<time>\n<station>\n..."); a row
	 * whose leaf does not match its fields never gets in */
	" CONSTRAINT entries_leaf CHECK (leaf = sha256('\\x00'::bytea || convert_to(concat_ws(E'\\n',"
	"  'SPLOG1', seq::text, time, station_id, operator, lot, kind, chip_id, serial, body),"
	"  'UTF8'))));"
	"CREATE INDEX entries_chip ON entries(chip_id) WHERE chip_id <> '';"
	"CREATE INDEX entries_serial ON entries(serial) WHERE serial <> '';"
	/* a station's log has no holes: entry 0 first, then each next one */
	"CREATE FUNCTION fleet_entries_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN IF NEW.seq > 0 AND NOT EXISTS (SELECT 1 FROM entries"
	" WHERE station_id = NEW.station_id AND seq = NEW.seq - 1) THEN"
	" RAISE EXCEPTION 'fleet registry: station % entry % arrived before entry %',"
	" NEW.station_id, NEW.seq, NEW.seq - 1; END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER entries_contiguous BEFORE INSERT ON entries"
	" FOR EACH ROW EXECUTE FUNCTION fleet_entries_contiguous();"
	"CREATE TABLE checkpoints("
	" station_id entry_text NOT NULL REFERENCES stations(station_id),"
	" size bigint NOT NULL CHECK (size > 0),"
	" root hash32 NOT NULL,"
	" note text NOT NULL CHECK (note <> ''),"
	" received timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (station_id, size));"
	/* a checkpoint only over entries the registry holds: it can be checked when it arrives */
	"CREATE FUNCTION fleet_checkpoints_covered() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN IF NOT EXISTS (SELECT 1 FROM entries"
	" WHERE station_id = NEW.station_id AND seq = NEW.size - 1) THEN"
	" RAISE EXCEPTION 'fleet registry: station % checkpoint of size % arrived before entry %',"
	" NEW.station_id, NEW.size, NEW.size - 1; END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER checkpoints_covered BEFORE INSERT ON checkpoints"
	" FOR EACH ROW EXECUTE FUNCTION fleet_checkpoints_covered();"
	/* fleet-wide claims: each value once in the fleet, pointing at the entry that claimed it */
	"CREATE TABLE chips(product entry_text NOT NULL, chip_id entry_text NOT NULL CHECK (chip_id <> ''),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (product, chip_id),"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TABLE serials(serial entry_text PRIMARY KEY CHECK (serial <> ''),"
	" product entry_text NOT NULL, station_id entry_text NOT NULL, seq bigint NOT NULL,"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TABLE cert_serials(issuer entry_text NOT NULL CHECK (issuer <> ''),"
	" cert_serial entry_text NOT NULL CHECK (cert_serial <> ''),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (issuer, cert_serial),"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TABLE pubkeys(pubkey_sha256 entry_text PRIMARY KEY CHECK (pubkey_sha256 ~ '^[0-9a-f]{64}$'),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL,"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TABLE pw_commitments(commitment entry_text PRIMARY KEY"
	" CHECK (commitment ~ '^[0-9a-f]{64}$'),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL,"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	/* a value a second station claimed: both claimants are entries the registry holds */
	"CREATE TABLE conflicts(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" what text NOT NULL CHECK (what IN ('chip','serial','cert_serial','pubkey','pw_commitment')),"
	" key entry_text NOT NULL,"
	" first_station entry_text NOT NULL, first_seq bigint NOT NULL,"
	" second_station entry_text NOT NULL, second_seq bigint NOT NULL,"
	" detected timestamptz NOT NULL DEFAULT now(),"
	" CHECK (first_station <> second_station),"
	" UNIQUE (what, key, second_station, second_seq),"
	" FOREIGN KEY (first_station, first_seq) REFERENCES entries(station_id, seq),"
	" FOREIGN KEY (second_station, second_seq) REFERENCES entries(station_id, seq));"
	/* a station offering another entry (seq) or another root (checkpoint size) than the
	 * registry holds: its history forks, nothing more is taken from it */
	"CREATE TABLE forks(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" station_id entry_text NOT NULL REFERENCES stations(station_id),"
	" what text NOT NULL CHECK (what IN ('entry','checkpoint')),"
	" position bigint NOT NULL CHECK (position >= 0),"
	" held hash32 NOT NULL, offered hash32 NOT NULL CHECK (offered <> held),"
	" detected timestamptz NOT NULL DEFAULT now(),"
	" UNIQUE (station_id, what, position, offered));"
	"DO $$ DECLARE t text; BEGIN"
	" FOREACH t IN ARRAY ARRAY['entries','checkpoints','chips','serials','cert_serials','pubkeys',"
	"  'pw_commitments','conflicts','forks'] LOOP"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_append_only', t);"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_no_truncate', t);"
	" END LOOP; END $$;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0]) - 1))

static void
say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	/* libpq's messages end with a newline: one line for people */
	n = strlen(why);
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		why[--n] = '\0';
}

/* The server's notices (CREATE ... IF NOT EXISTS that existed) are not for people. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	log_debug("fleet registry: %s", msg);
}

/* The server's message of a failed result, or the connection's (a lost connection). */
static const char *
pg_msg(const struct fleet *f, const PGresult *res)
{
	/* the primary message only: one line (no "ERROR:" prefix, no CONTEXT of the trigger) */
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(f->conn);
	return m && *m ? m : "no message from libpq";
}

/* Runs sql (no parameters, one or more statements); FLEET_OK or FLEET_ERR_DB with why. */
static int
exec_sql(struct fleet *f, const char *sql, const char *what, char *why, size_t cap)
{
	PGresult *res = PQexec(f->conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int r = FLEET_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		say(why, cap, "fleet registry: %s: %s", what, pg_msg(f, res));
		r = res ? FLEET_ERR_DB : FLEET_ERR_NOMEM;
	}
	PQclear(res);
	return r;
}

static void
rollback(struct fleet *f)
{
	PGresult *res;

	if (PQtransactionStatus(f->conn) == PQTRANS_IDLE)
		return;
	res = PQexec(f->conn, "ROLLBACK");
	PQclear(res);
}

/* Parses a non-negative decimal int from the server (untrusted: digits only, bounded). */
static int
parse_int(const char *s, int len, long long max, long long *out)
{
	long long v = 0;
	int i;

	if (len <= 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* One row, one column, a non-negative integer of at most max: the shape every count and version
 * query here has. */
static int
one_int(struct fleet *f, PGresult *res, long long max, long long *out, const char *what, char *why,
    size_t cap)
{
	if (res == NULL) {
		say(why, cap, "fleet registry: %s: out of memory", what);
		return FLEET_ERR_NOMEM;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		say(why, cap, "fleet registry: %s: %s", what, pg_msg(f, res));
		return FLEET_ERR_DB;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
	    PQfformat(res, 0) != 0 ||
	    parse_int(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), max, out) != 0) {
		say(why, cap, "fleet registry: %s: the server answered %d row(s) of %d column(s), not one "
		    "number", what, PQntuples(res), PQnfields(res));
		return FLEET_ERR_CORRUPT;
	}
	return FLEET_OK;
}

static int
read_version(struct fleet *f, int *v, char *why, size_t cap)
{
	PGresult *res = PQexec(f->conn, "SELECT version FROM fleet_schema");
	long long x = 0;
	int r;

	r = one_int(f, res, 1000000, &x, "reading the schema version", why, cap);
	PQclear(res);
	if (r == FLEET_OK)
		*v = (int)x;
	return r;
}

static int
migrate(struct fleet *f, char *why, size_t cap)
{
	char sql[80];
	int v = 0, r;

	if ((r = exec_sql(f, "BEGIN", "starting the migration", why, cap)) != 0)
		return r;
	/* Two signers starting at once on a new registry: the second waits here, then finds the
	 * schema made (READ COMMITTED: each statement after the lock sees the first one's commit). */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%ld)", FLEET_MIGRATE_LOCK);
	if ((r = exec_sql(f, sql, "locking the schema", why, cap)) != 0 ||
	    (r = exec_sql(f, "CREATE TABLE IF NOT EXISTS fleet_schema("
	                     "one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	                     " version integer NOT NULL CHECK (version >= 0));"
	                     "INSERT INTO fleet_schema(version) VALUES (0) ON CONFLICT DO NOTHING",
	         "creating the schema version table", why, cap)) != 0 ||
	    (r = read_version(f, &v, why, cap)) != 0)
		goto fail;
	if (v > NMIGRATIONS) {
		say(why, cap, "the fleet registry has schema version %d, newer than this signer knows "
		    "(%d); update the station software before connecting it to this registry",
		    v, NMIGRATIONS);
		r = FLEET_ERR_SCHEMA;
		goto fail;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "UPDATE fleet_schema SET version = %d", v + 1);
		if ((r = exec_sql(f, migrations[v + 1], "migrating the schema", why, cap)) != 0 ||
		    (r = exec_sql(f, sql, "recording the schema version", why, cap)) != 0)
			goto fail;
	}
	return exec_sql(f, "COMMIT", "committing the migration", why, cap);
fail:
	rollback(f);
	return r;
}

int
fleet_open(const char *conninfo, struct fleet **out, char *why, size_t cap)
{
	/* conninfo is expanded in place of dbname: what it sets overrides the defaults before it */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "station-signer", conninfo, NULL };
	struct fleet *f;
	int r;

	if (conninfo == NULL) {
		say(why, cap, "fleet registry: no connection string");
		return FLEET_ERR_ARG;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		say(why, cap, "fleet registry: out of memory");
		return FLEET_ERR_NOMEM;
	}
	f->conn = PQconnectdbParams(keys, vals, 1);
	if (f->conn == NULL) {
		say(why, cap, "fleet registry: out of memory");
		r = FLEET_ERR_NOMEM;
		goto fail;
	}
	if (PQstatus(f->conn) != CONNECTION_OK) {
		/* the message names host and port, never the password */
		say(why, cap, "cannot connect to the fleet registry: %s; check the [fleet] connection "
		    "string and that the registry is running (the line keeps running on its local "
		    "record)", PQerrorMessage(f->conn));
		r = FLEET_ERR_CONNECT;
		goto fail;
	}
	PQsetNoticeProcessor(f->conn, quiet, NULL);
	if ((r = exec_sql(f, "SET client_min_messages = warning", "setting up the session", why,
	         cap)) != 0 ||
	    (r = migrate(f, why, cap)) != 0)
		goto fail;
	*out = f;
	return FLEET_OK;
fail:
	fleet_close(f);
	return r;
}

void
fleet_close(struct fleet *f)
{
	if (f == NULL)
		return;
	PQfinish(f->conn);
	free(f);
}

int
fleet_schema_version(struct fleet *f, int *v, char *why, size_t cap)
{
	return read_version(f, v, why, cap);
}

/* ---- ingestion ---- */

static int
field_ok(const char *s, int may_be_empty)
{
	size_t i;

	if (s == NULL || (!may_be_empty && *s == '\0'))
		return 0;
	for (i = 0; s[i]; i++)
		if (i >= FLEET_FIELD_MAX || s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Runs one parameterised statement (text parameters, except the leaf: binary, $n given by
 * leaf_param, 0 for none). *res gets the result on FLEET_OK (the caller clears it). */
static int
run(struct fleet *f, const char *sql, int n, const char *const *params, int leaf_param,
    const uint8_t *leaf, PGresult **res, const char *what, char *why, size_t cap)
{
	const char *v[10];
	int lens[10] = { 0 }, fmts[10] = { 0 }, i;
	ExecStatusType st;

	if (n > 10) {
		say(why, cap, "fleet registry: %s: %d parameters (internal error)", what, n);
		return FLEET_ERR_ARG;
	}
	for (i = 0; i < n; i++)
		v[i] = params[i];
	if (leaf_param > 0 && leaf_param <= n) {
		v[leaf_param - 1] = (const char *)leaf;
		lens[leaf_param - 1] = 32;
		fmts[leaf_param - 1] = 1;
	}
	*res = PQexecParams(f->conn, sql, n, NULL, v, lens, fmts, 0);
	if (*res == NULL) {
		say(why, cap, "fleet registry: %s: out of memory", what);
		return FLEET_ERR_NOMEM;
	}
	st = PQresultStatus(*res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		say(why, cap, "fleet registry: %s: %s", what, pg_msg(f, *res));
		PQclear(*res);
		*res = NULL;
		return FLEET_ERR_DB;
	}
	return FLEET_OK;
}

/* A fleet-wide value an entry claims. */
struct claim {
	const char *what;   /* conflicts.what */
	const char *insert; /* $1.. key columns, then station, seq: RETURNING 1 when inserted */
	const char *holder; /* $1..$nhold: station_id, seq of the claim held */
	int nkey;           /* parameters of insert before station, seq */
	int nhold;          /* the first nhold of them: the unique key (holder's parameters, conflict key) */
	const char *key[2];
};

/* Records one claim of entry (station, seqs); a conflict when another station holds it. */
static int
claim(struct fleet *f, const struct claim *c, const char *station, const char *seqs, int *nconf,
    char *why, size_t cap)
{
	const char *p[4];
	char key[256];
	PGresult *res = NULL;
	long long hseq = 0;
	int r, i;

	for (i = 0; i < c->nkey; i++)
		p[i] = c->key[i];
	p[c->nkey] = station;
	p[c->nkey + 1] = seqs;
	if ((r = run(f, c->insert, c->nkey + 2, p, 0, NULL, &res, "recording a claim", why, cap)) != 0)
		return r;
	i = PQntuples(res);
	PQclear(res);
	if (i == 1)
		return FLEET_OK;
	if ((r = run(f, c->holder, c->nhold, p, 0, NULL, &res, "reading a claim", why, cap)) != 0)
		return r;
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
	    PQgetisnull(res, 0, 1) ||
	    parse_int(PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1), INT64_MAX, &hseq) != 0) {
		say(why, cap, "fleet registry: the holder of a %s claim is malformed", c->what);
		PQclear(res);
		return FLEET_ERR_CORRUPT;
	}
	/* the same station again (a released chip provisioned anew; this very entry): its own
	 * record's rules hold, not a fleet conflict */
	if (strcmp(PQgetvalue(res, 0, 0), station) == 0) {
		PQclear(res);
		return FLEET_OK;
	}
	if (c->nhold == 2)
		snprintf(key, sizeof(key), "%s/%s", c->key[0], c->key[1]);
	else
		snprintf(key, sizeof(key), "%s", c->key[0]);
	{
		char hs[24];
		const char *cp[6] = { c->what, key, PQgetvalue(res, 0, 0), hs, station, seqs };
		PGresult *res2 = NULL;

		snprintf(hs, sizeof(hs), "%lld", hseq);
		r = run(f, "INSERT INTO conflicts(what,key,first_station,first_seq,second_station,"
		           "second_seq) VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING RETURNING 1",
		    6, cp, 0, NULL, &res2, "recording a conflict", why, cap);
		if (r == 0 && PQntuples(res2) == 1)
			(*nconf)++;
		PQclear(res2);
	}
	if (r == 0)
		log_warn("fleet registry: %s %s claimed by station %s (entry %lld) was claimed before by "
		    "station %s (entry %lld): conflict recorded", c->what, key, station,
		    strtoll(seqs, NULL, 10), PQgetvalue(res, 0, 0), hseq);
	PQclear(res);
	return r;
}

static const char *
body_str(json_t *body, const char *name)
{
	const char *s = json_string_value(json_object_get(body, name));

	return s != NULL && field_ok(s, 0) ? s : NULL;
}

/* The claims of an entry, by its kind (docs/auditor-guide.md, the entry kinds). */
static int
claims(struct fleet *f, const struct fleet_entry *e, const char *seqs, int *nconf, char *why,
    size_t cap)
{
	json_error_t jerr;
	json_t *body;
	int r = FLEET_OK;

	if (strcmp(e->kind, "serial.allocated") != 0 && strcmp(e->kind, "password.committed") != 0 &&
	    strcmp(e->kind, "cert.issued") != 0 && strcmp(e->kind, "board.verified") != 0)
		return FLEET_OK;
	if ((body = json_loads(e->body, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(body)) {
		say(why, cap, "fleet registry: station %s entry %lld (%s): the body is not a JSON object",
		    e->station, (long long)e->seq, e->kind);
		json_decref(body);
		return FLEET_ERR_ARG;
	}
	if (strcmp(e->kind, "serial.allocated") == 0) {
		struct claim c = { "serial",
			"INSERT INTO serials(serial,product,station_id,seq) VALUES($1,$2,$3,$4)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM serials WHERE serial=$1", 2, 1,
			{ e->serial, body_str(body, "product") } };
		if (*e->serial == '\0' || c.key[1] == NULL)
			goto bad;
		r = claim(f, &c, e->station, seqs, nconf, why, cap);
	} else if (strcmp(e->kind, "password.committed") == 0) {
		struct claim c = { "pw_commitment",
			"INSERT INTO pw_commitments(commitment,station_id,seq) VALUES($1,$2,$3)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM pw_commitments WHERE commitment=$1", 1, 1,
			{ body_str(body, "commitment"), NULL } };
		if (c.key[0] == NULL)
			goto bad;
		r = claim(f, &c, e->station, seqs, nconf, why, cap);
	} else if (strcmp(e->kind, "cert.issued") == 0) {
		struct claim c = { "cert_serial",
			"INSERT INTO cert_serials(issuer,cert_serial,station_id,seq) VALUES($1,$2,$3,$4)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM cert_serials WHERE issuer=$1 AND cert_serial=$2", 2, 2,
			{ body_str(body, "issuer"), body_str(body, "cert_serial") } };
		struct claim k = { "pubkey",
			"INSERT INTO pubkeys(pubkey_sha256,station_id,seq) VALUES($1,$2,$3)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM pubkeys WHERE pubkey_sha256=$1", 1, 1,
			{ body_str(body, "pubkey_sha256"), NULL } };
		if (c.key[0] == NULL || c.key[1] == NULL || k.key[0] == NULL)
			goto bad;
		if ((r = claim(f, &c, e->station, seqs, nconf, why, cap)) == 0)
			r = claim(f, &k, e->station, seqs, nconf, why, cap);
	} else {
		struct claim c = { "chip",
			"INSERT INTO chips(product,chip_id,station_id,seq) VALUES($1,$2,$3,$4)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM chips WHERE product=$1 AND chip_id=$2", 2, 2,
			{ body_str(body, "product"), e->chip_id } };
		if (c.key[0] == NULL || *e->chip_id == '\0')
			goto bad;
		r = claim(f, &c, e->station, seqs, nconf, why, cap);
	}
	json_decref(body);
	return r;
bad:
	say(why, cap, "fleet registry: station %s entry %lld (%s) lacks a field its kind claims",
	    e->station, (long long)e->seq, e->kind);
	json_decref(body);
	return FLEET_ERR_ARG;
}

int
fleet_ingest_entry(struct fleet *f, const struct fleet_entry *e, int *held, int *conflicts,
    char *why, size_t cap)
{
	char seqs[24];
	const char *p[10];
	PGresult *res = NULL;
	long long nforks = 0;
	int r, nconf = 0, was_held = 0;

	if (!field_ok(e->station, 0) || e->seq < 0 || !field_ok(e->time, 0) ||
	    !field_ok(e->operator_name, 1) || !field_ok(e->lot, 1) || !field_ok(e->kind, 0) ||
	    !field_ok(e->chip_id, 1) || !field_ok(e->serial, 1) || !field_ok(e->body, 0)) {
		say(why, cap, "fleet registry: an entry field is missing, not printable ASCII or longer "
		    "than %d", FLEET_FIELD_MAX);
		return FLEET_ERR_ARG;
	}
	snprintf(seqs, sizeof(seqs), "%lld", (long long)e->seq);
	if ((r = exec_sql(f, "BEGIN", "starting an ingest", why, cap)) != 0)
		return r;
	p[0] = e->station;
	if ((r = run(f, "INSERT INTO stations(station_id) VALUES($1) ON CONFLICT(station_id)"
	                " DO UPDATE SET last_contact = now()", 1, p, 0, NULL, &res,
	         "recording the station", why, cap)) != 0)
		goto fail;
	PQclear(res);
	res = PQexecParams(f->conn, "SELECT count(*) FROM forks WHERE station_id=$1", 1, NULL, p, NULL,
	    NULL, 0);
	r = one_int(f, res, INT64_MAX, &nforks, "reading the station's forks", why, cap);
	PQclear(res);
	res = NULL;
	if (r != 0)
		goto fail;
	if (nforks > 0) {
		say(why, cap, "fleet registry: station %s has a forked history recorded (%lld fork(s)); "
		    "the registry takes nothing more from it until that is resolved", e->station, nforks);
		r = FLEET_ERR_FORK;
		goto fail;
	}
	{
		const char *ip[10] = { e->station, seqs, e->time, e->operator_name, e->lot, e->kind,
			e->chip_id, e->serial, e->body, NULL };
		if ((r = run(f, "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,serial,"
		                "body,leaf) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
		                " ON CONFLICT DO NOTHING RETURNING 1",
		         10, ip, 10, e->leaf, &res, "recording the entry", why, cap)) != 0)
			goto fail;
	}
	was_held = PQntuples(res) == 0;
	PQclear(res);
	res = NULL;
	if (was_held) {
		const uint8_t *lv;
		int same;

		p[1] = seqs;
		if ((r = run(f, "SELECT leaf FROM entries WHERE station_id=$1 AND seq=$2", 2, p, 0, NULL,
		         &res, "reading the entry held", why, cap)) != 0)
			goto fail;
		/* binary results were not asked for: the leaf comes as bytea hex text "\x" + 64 */
		if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
		    PQgetlength(res, 0, 0) != 66) {
			say(why, cap, "fleet registry: the leaf held for station %s entry %s is malformed",
			    e->station, seqs);
			r = FLEET_ERR_CORRUPT;
			goto fail;
		}
		{
			char hex[65];
			size_t i;

			lv = (const uint8_t *)PQgetvalue(res, 0, 0);
			for (i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", e->leaf[i]);
			same = lv[0] == '\\' && lv[1] == 'x' && memcmp(lv + 2, hex, 64) == 0;
			if (!same) {
				const char *fp[4] = { e->station, seqs, (const char *)lv, hex };
				PGresult *res2 = NULL;

				PQclear(res);
				res = NULL;
				if ((r = run(f, "INSERT INTO forks(station_id,what,position,held,offered)"
				                " VALUES($1,'entry',$2,$3::bytea,decode($4,'hex'))"
				                " ON CONFLICT DO NOTHING",
				         4, fp, 0, NULL, &res2, "recording a fork", why, cap)) != 0)
					goto fail;
				PQclear(res2);
				if ((r = exec_sql(f, "COMMIT", "committing the fork", why, cap)) != 0)
					goto fail;
				say(why, cap, "fleet registry: station %s offers an entry %s that differs from the "
				    "one the registry holds: its history forks (a database restored from an old "
				    "backup?); recorded, nothing more is taken from it", e->station, seqs);
				return FLEET_ERR_FORK;
			}
		}
		PQclear(res);
		res = NULL;
	} else if ((r = claims(f, e, seqs, &nconf, why, cap)) != 0)
		goto fail;
	if ((r = exec_sql(f, "COMMIT", "committing the entry", why, cap)) != 0)
		goto fail;
	if (held != NULL)
		*held = was_held;
	if (conflicts != NULL)
		*conflicts = nconf;
	return FLEET_OK;
fail:
	PQclear(res);
	rollback(f);
	return r;
}

const char *
fleet_strerror(int rc)
{
	switch (rc) {
	case FLEET_OK:
		return "ok";
	case FLEET_ERR_CONNECT:
		return "cannot connect to the fleet registry";
	case FLEET_ERR_DB:
		return "fleet registry error";
	case FLEET_ERR_SCHEMA:
		return "fleet registry schema newer than this build";
	case FLEET_ERR_ARG:
		return "invalid entry for the fleet registry";
	case FLEET_ERR_NOMEM:
		return "out of memory";
	case FLEET_ERR_CORRUPT:
		return "malformed answer from the fleet registry";
	case FLEET_ERR_FORK:
		return "station history forks from the fleet registry's";
	default:
		return "unknown fleet registry error";
	}
}
