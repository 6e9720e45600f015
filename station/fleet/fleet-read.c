/* fleet-read.c: rows of the fleet registry, from the server or from an export; see fleet-read.h. */
#include "fleet-read.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "fleet-pq.h"
#include "util.h"

#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define ST(c) c " COLLATE \"C\""

static const struct fleet_table_spec specs[FT_N] = {
	[FT_STATIONS] = { "stations", 3, { "station_id", "first_seen", "last_contact" },
	    "SELECT station_id, " TS("first_seen") ", " TS("last_contact")
	    " FROM stations ORDER BY " ST("station_id") },
	[FT_ENTRIES] = { "entries", 11,
	    { "station_id", "seq", "time", "operator", "lot", "kind", "chip_id", "serial", "body",
	        "leaf", "received" },
	    "SELECT station_id, seq, time, operator, lot, kind, chip_id, serial, body,"
	    " encode(leaf, 'hex'), " TS("received") " FROM entries ORDER BY " ST("station_id") ", seq" },
	[FT_CHECKPOINTS] = { "checkpoints", 5, { "station_id", "size", "root", "note", "received" },
	    "SELECT station_id, size, encode(root, 'hex'), note, " TS("received")
	    " FROM checkpoints ORDER BY " ST("station_id") ", size" },
	[FT_STATION_KEYS] = { "station_keys", 4, { "station_id", "pem", "sha256", "first_seen" },
	    "SELECT station_id, pem, encode(sha256, 'hex'), " TS("first_seen")
	    " FROM station_keys ORDER BY " ST("station_id") ", sha256" },
	[FT_CHIPS] = { "chips", 4, { "product", "chip_id", "station_id", "seq" },
	    "SELECT product, chip_id, station_id, seq FROM chips ORDER BY " ST("station_id") ", seq" },
	[FT_SERIALS] = { "serials", 4, { "serial", "product", "station_id", "seq" },
	    "SELECT serial, product, station_id, seq FROM serials ORDER BY " ST("station_id") ", seq" },
	[FT_CERT_SERIALS] = { "cert_serials", 4, { "issuer", "cert_serial", "station_id", "seq" },
	    "SELECT issuer, cert_serial, station_id, seq FROM cert_serials"
	    " ORDER BY " ST("station_id") ", seq" },
	[FT_PUBKEYS] = { "pubkeys", 3, { "pubkey_sha256", "station_id", "seq" },
	    "SELECT pubkey_sha256, station_id, seq FROM pubkeys ORDER BY " ST("station_id") ", seq" },
	[FT_PW_COMMITMENTS] = { "pw_commitments", 3, { "commitment", "station_id", "seq" },
	    "SELECT commitment, station_id, seq FROM pw_commitments"
	    " ORDER BY " ST("station_id") ", seq" },
	[FT_CONFLICTS] = { "conflicts", 8,
	    { "id", "what", "key", "first_station", "first_seq", "second_station", "second_seq",
	        "detected" },
	    "SELECT id, what, key, first_station, first_seq, second_station, second_seq, "
	    TS("detected") " FROM conflicts ORDER BY id" },
	[FT_FORKS] = { "forks", 7,
	    { "id", "station_id", "what", "position", "held", "offered", "detected" },
	    "SELECT id, station_id, what, position, encode(held, 'hex'), encode(offered, 'hex'), "
	    TS("detected") " FROM forks ORDER BY id" },
	[FT_LOTS] = { "lots", 4, { "lot", "quota", "declared_by", "declared" },
	    "SELECT lot, quota, declared_by, " TS("declared") " FROM lots ORDER BY " ST("lot") },
	[FT_LEASES] = { "leases", 8,
	    { "id", "station_id", "kind", "scope", "first", "count", "ttl_s", "granted" },
	    "SELECT id, station_id, kind, scope, first, count, ttl_s, " TS("granted")
	    " FROM leases ORDER BY id" },
	[FT_CRED_COMMITMENTS] = { "cred_commitments", 4, { "kind", "commitment", "station_id", "seq" },
	    "SELECT kind, commitment, station_id, seq FROM cred_commitments"
	    " ORDER BY " ST("station_id") ", seq" },
	[FT_SSIDS] = { "ssids", 3, { "ssid", "station_id", "seq" },
	    "SELECT ssid, station_id, seq FROM ssids ORDER BY " ST("station_id") ", seq" },
};

/* The first registry schema that has table t */
static int
table_schema(enum fleet_table t)
{
	return t == FT_CRED_COMMITMENTS || t == FT_SSIDS ? 5 : 2;
}

struct fleet_src {
	PGconn *conn; /* a registry, or */
	char *dir;    /* an export directory */
	unsigned cursors; /* a bit per table with an open cursor */
	unsigned absent;  /* a bit per table that reads as empty (schema 5's, when not there) */
	int schema;
};

struct fleet_cur {
	struct fleet_src *src;
	enum fleet_table t;
	int ncols;
	const char *row[FLEET_MAX_COLS];
	/* registry */
	PGresult *res;
	int i, n, done;
	int empty; /* a table this source does not have, read as empty */
	/* export */
	FILE *fp;
	char *line;
	json_t *obj;
	long long lineno;
};

static void
say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* The server's message, on one line. */
static const char *
pgmsg(PGconn *c)
{
	static char m[512];
	char *p;

	snprintf(m, sizeof(m), "%s", c ? PQerrorMessage(c) : "no connection");
	for (p = m; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
	return m;
}

const struct fleet_table_spec *
fleet_read_spec(enum fleet_table t)
{
	return (unsigned)t < FT_N ? &specs[t] : NULL;
}

const char *
fleet_read_strerror(int rc)
{
	switch (rc) {
	case FR_OK: return "ok";
	case FR_ERR_CONNECT: return "cannot reach the registry";
	case FR_ERR_DB: return "cannot read the registry";
	case FR_ERR_SCHEMA: return "unexpected registry schema";
	case FR_ERR_CORRUPT: return "malformed registry data";
	case FR_ERR_NOMEM: return "out of memory";
	}
	return "unknown error";
}

void
fleet_read_hex32(const uint8_t h[32], char out[65])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = x[h[i] >> 4];
		out[2 * i + 1] = x[h[i] & 15];
	}
	out[64] = '\0';
}

int
fleet_read_unhex32(const char *s, uint8_t h[32])
{
	uint8_t t[32];
	int i, a, b;

	if (s == NULL || strlen(s) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if ((a = util_hexdigit(s[2 * i])) < 0 || (b = util_hexdigit(s[2 * i + 1])) < 0)
			return -1;
		t[i] = (uint8_t)(a << 4 | b);
	}
	memcpy(h, t, 32);
	return 0;
}

static int
exec_ok(PGconn *c, const char *sql, char *why, size_t cap)
{
	PGresult *res = PQexec(c, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		say(why, cap, "fleet registry: %s", pgmsg(c));
	PQclear(res);
	return ok ? FR_OK : FR_ERR_DB;
}

int
fleet_read_open_registry(const char *conninfo, struct fleet_src **out, char *why, size_t cap)
{
	/* conninfo last: what it sets overrides the default timeout */
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { "10", conninfo, NULL };
	struct fleet_src *s = NULL;
	PGresult *res = NULL;
	const char *v;
	PGconn *c;
	int r = FR_ERR_CONNECT, i;

	if (fleet_pq_load(why, cap) != 0)
		return FR_ERR_CONNECT;
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		say(why, cap, "cannot connect to the fleet registry: %s", pgmsg(c));
		goto fail;
	}
	if ((r = exec_ok(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", why, cap)) != 0)
		goto fail;
	res = PQexec(c, "SELECT version FROM fleet_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) != 1 ||
	    PQgetisnull(res, 0, 0)) {
		say(why, cap, "the fleet registry has no schema version (is this a fleet registry, made "
		    "by a station-signer?): %s", pgmsg(c));
		r = FR_ERR_SCHEMA;
		goto fail;
	}
	v = PQgetvalue(res, 0, 0);
	if (strlen(v) != 1 || *v < '0' + FLEET_READ_SCHEMA_MIN || *v > '0' + FLEET_READ_SCHEMA_MAX) {
		say(why, cap, "the fleet registry has schema version %.12s; this station reads versions "
		    "%d to %d (update the station software, or the signers)", v, FLEET_READ_SCHEMA_MIN,
		    FLEET_READ_SCHEMA_MAX);
		r = FR_ERR_SCHEMA;
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = FR_ERR_NOMEM;
		goto fail;
	}
	s->schema = *v - '0';
	for (i = 0; i < FT_N; i++)
		if (table_schema((enum fleet_table)i) > s->schema)
			s->absent |= 1u << i;
	PQclear(res);
	s->conn = c;
	*out = s;
	return FR_OK;
fail:
	PQclear(res);
	PQfinish(c);
	return r;
}

/* A bundle's manifest: each file's rows and SHA-256 as written. */
static int
check_file(const char *dir, const char *name, long long rows, const char *sha, char *why, size_t cap)
{
	char path[CAP_PATH + 64], hex[65], buf[65536];
	uint8_t md[32];
	unsigned mdlen = 0;
	long long lines = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *fp = NULL;
	size_t n, i;
	int r = FR_ERR_CORRUPT;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    strchr(name, '/') != NULL) {
		say(why, cap, "the export's manifest names a file '%.80s' that cannot be in it", name);
		return FR_ERR_CORRUPT;
	}
	if ((fp = fopen(path, "rb")) == NULL) {
		say(why, cap, "cannot read %s: %s", path, strerror(errno));
		return FR_ERR_DB;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (EVP_DigestUpdate(ctx, buf, n) != 1) {
			r = FR_ERR_NOMEM;
			goto out;
		}
	}
	if (ferror(fp)) {
		say(why, cap, "cannot read %s: %s", path, strerror(errno));
		r = FR_ERR_DB;
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	fleet_read_hex32(md, hex);
	if (strcmp(hex, sha) != 0 || lines != rows) {
		say(why, cap, "the export's file %s does not match its manifest (%lld rows, sha256 %.16s..."
		    " listed; %lld rows, sha256 %.16s... found): edited or damaged", name, rows, sha,
		    lines, hex);
		goto out;
	}
	r = FR_OK;
out:
	EVP_MD_CTX_free(ctx);
	fclose(fp);
	return r;
}

static int
check_manifest(const char *dir, int *schema, unsigned *absent, char *why, size_t cap)
{
	char path[CAP_PATH + 32];
	json_error_t jerr;
	json_t *m = NULL, *files, *f;
	struct stat sb;
	char want[64];
	size_t i, nf = 0;
	unsigned miss = 0;
	int r = FR_ERR_CORRUPT, t;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (stat(path, &sb) != 0 && errno == ENOENT)
		return FR_OK; /* a json export: no manifest */
	if ((m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		say(why, cap, "the export's manifest %s cannot be read: %s", path, jerr.text);
		return FR_ERR_CORRUPT;
	}
	*schema = (int)json_integer_value(json_object_get(m, "schema"));
	if (*schema < FLEET_READ_SCHEMA_MIN || *schema > FLEET_READ_SCHEMA_MAX) {
		say(why, cap, "the export's manifest is not of a registry schema %d to %d",
		    FLEET_READ_SCHEMA_MIN, FLEET_READ_SCHEMA_MAX);
		r = FR_ERR_SCHEMA;
		goto out;
	}
	/* a bundle made before the schema-5 tables were exported lists the others only: those
	 * read as empty, whatever files the directory holds besides */
	if (!json_is_array(files = json_object_get(m, "files")) ||
	    ((nf = json_array_size(files)) != FT_N && nf != FT_N_SCHEMA4)) {
		say(why, cap, "the export's manifest does not list the %d tables' files", FT_N);
		goto out;
	}
	for (t = (int)nf; t < FT_N; t++)
		miss |= 1u << t;
	json_array_foreach(files, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		json_t *rows = json_object_get(f, "rows");

		snprintf(want, sizeof(want), "%s.jsonl", specs[i].name);
		if (name == NULL || sha == NULL || !json_is_integer(rows) ||
		    json_integer_value(rows) < 0 || strcmp(name, want) != 0) {
			say(why, cap, "the export's manifest entry %zu is malformed", i);
			goto out;
		}
		if ((r = check_file(dir, name, json_integer_value(rows), sha, why, cap)) != FR_OK)
			goto out;
	}
	*absent = miss;
	r = FR_OK;
out:
	json_decref(m);
	return r;
}

int
fleet_read_open_dir(const char *dir, struct fleet_src **out, char *why, size_t cap)
{
	struct fleet_src *s;
	unsigned absent = 0;
	int r, schema = 0;

	if (strlen(dir) > CAP_PATH) {
		say(why, cap, "the export directory's path is too long");
		return FR_ERR_CONNECT;
	}
	if ((r = check_manifest(dir, &schema, &absent, why, cap)) != FR_OK)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->dir = strdup(dir)) == NULL) {
		free(s);
		return FR_ERR_NOMEM;
	}
	s->schema = schema;
	s->absent = absent;
	*out = s;
	return FR_OK;
}

int
fleet_read_schema(const struct fleet_src *src)
{
	return src->schema;
}

int
fleet_read_is_registry(const struct fleet_src *src)
{
	return src->conn != NULL;
}

void
fleet_read_close(struct fleet_src *src)
{
	if (src == NULL)
		return;
	if (src->conn != NULL) {
		PQclear(PQexec(src->conn, "ROLLBACK"));
		PQfinish(src->conn);
	}
	free(src->dir);
	free(src);
}

int
fleet_read_cursor(struct fleet_src *src, enum fleet_table t, struct fleet_cur **out, char *why,
    size_t cap)
{
	struct fleet_cur *c;
	char sql[1200];
	int r;

	if ((unsigned)t >= FT_N || (src->cursors & (1u << t)))
		return FR_ERR_DB;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return FR_ERR_NOMEM;
	c->src = src;
	c->t = t;
	c->ncols = specs[t].ncols;
	if (src->absent & (1u << t)) {
		c->empty = 1;
	} else if (src->conn != NULL) {
		snprintf(sql, sizeof(sql), "DECLARE fc_%s NO SCROLL CURSOR FOR %s", specs[t].name,
		    specs[t].select);
		if ((r = exec_ok(src->conn, sql, why, cap)) != FR_OK) {
			free(c);
			return r;
		}
	} else {
		snprintf(sql, sizeof(sql), "%s/%s.jsonl", src->dir, specs[t].name);
		if ((c->fp = fopen(sql, "r")) == NULL && errno == ENOENT && table_schema(t) > 2) {
			c->empty = 1; /* an export made before the table was exported */
		} else if (c->fp == NULL) {
			say(why, cap, "cannot read %s: %s (an export made by `station fleet export "
			    "--format json` or `--format bundle` has one per table)", sql, strerror(errno));
			free(c);
			return FR_ERR_DB;
		} else if ((c->line = malloc(CAP_FLEET_LINE + 2)) == NULL) {
			fclose(c->fp);
			free(c);
			return FR_ERR_NOMEM;
		}
	}
	src->cursors |= 1u << t;
	*out = c;
	return FR_OK;
}

static int
next_registry(struct fleet_cur *c, char *why, size_t cap)
{
	const struct fleet_table_spec *sp = &specs[c->t];
	PGconn *conn = c->src->conn;
	char sql[96];
	int j;

	if (c->i >= c->n) {
		if (c->done)
			return 0;
		PQclear(c->res);
		snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM fc_%s", CAP_FLEET_FETCH, sp->name);
		c->res = PQexec(conn, sql);
		if (PQresultStatus(c->res) != PGRES_TUPLES_OK) {
			say(why, cap, "fleet registry: reading %s: %s", sp->name, pgmsg(conn));
			return FR_ERR_DB;
		}
		if (PQnfields(c->res) != sp->ncols) {
			say(why, cap, "fleet registry: %s answered %d columns, not %d", sp->name,
			    PQnfields(c->res), sp->ncols);
			return FR_ERR_CORRUPT;
		}
		c->n = PQntuples(c->res);
		c->i = 0;
		if (c->n < CAP_FLEET_FETCH)
			c->done = 1;
		if (c->n == 0)
			return 0;
	}
	for (j = 0; j < sp->ncols; j++) {
		if (PQgetisnull(c->res, c->i, j)) {
			c->row[j] = NULL;
			continue;
		}
		if (PQgetlength(c->res, c->i, j) > CAP_FLEET_FIELD) {
			say(why, cap, "fleet registry: a %s.%s value is longer than %d bytes", sp->name,
			    sp->cols[j], CAP_FLEET_FIELD);
			return FR_ERR_CORRUPT;
		}
		c->row[j] = PQgetvalue(c->res, c->i, j);
	}
	c->i++;
	return 1;
}

static int
next_file(struct fleet_cur *c, char *why, size_t cap)
{
	const struct fleet_table_spec *sp = &specs[c->t];
	json_error_t jerr;
	size_t len;
	int j;

	json_decref(c->obj);
	c->obj = NULL;
	if (fgets(c->line, CAP_FLEET_LINE + 2, c->fp) == NULL) {
		if (ferror(c->fp)) {
			say(why, cap, "cannot read %s.jsonl: %s", sp->name, strerror(errno));
			return FR_ERR_DB;
		}
		return 0;
	}
	c->lineno++;
	len = strlen(c->line);
	if (len == 0 || c->line[len - 1] != '\n' || len > CAP_FLEET_LINE) {
		say(why, cap, "%s.jsonl line %lld: longer than %d bytes, or not ended by a newline "
		    "(a NUL byte, or a truncated file)", sp->name, c->lineno, CAP_FLEET_LINE);
		return FR_ERR_CORRUPT;
	}
	c->obj = json_loadb(c->line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (c->obj == NULL || !json_is_object(c->obj) ||
	    json_object_size(c->obj) != (size_t)sp->ncols) {
		say(why, cap, "%s.jsonl line %lld: not an object of the table's %d columns%s%s",
		    sp->name, c->lineno, sp->ncols, c->obj == NULL ? ": " : "",
		    c->obj == NULL ? jerr.text : "");
		return FR_ERR_CORRUPT;
	}
	for (j = 0; j < sp->ncols; j++) {
		json_t *v = json_object_get(c->obj, sp->cols[j]);

		if (json_is_null(v)) {
			c->row[j] = NULL;
		} else if (json_is_string(v) && json_string_length(v) <= CAP_FLEET_FIELD) {
			c->row[j] = json_string_value(v);
		} else {
			say(why, cap, "%s.jsonl line %lld: %s is missing, not a string or longer than %d",
			    sp->name, c->lineno, sp->cols[j], CAP_FLEET_FIELD);
			return FR_ERR_CORRUPT;
		}
	}
	return 1;
}

int
fleet_read_next(struct fleet_cur *c, const char *const **row, char *why, size_t cap)
{
	int r;

	if (c->empty)
		return 0;
	r = c->src->conn != NULL ? next_registry(c, why, cap) : next_file(c, why, cap);

	if (r == 1)
		*row = c->row;
	return r;
}

void
fleet_read_cursor_close(struct fleet_cur *c)
{
	char sql[64];

	if (c == NULL)
		return;
	if (c->src->conn != NULL && !c->empty) {
		snprintf(sql, sizeof(sql), "CLOSE fc_%s", specs[c->t].name);
		PQclear(PQexec(c->src->conn, sql));
	}
	c->src->cursors &= ~(1u << c->t);
	PQclear(c->res);
	json_decref(c->obj);
	if (c->fp != NULL)
		fclose(c->fp);
	free(c->line);
	free(c);
}

int
fleet_read_query(struct fleet_src *src, const char *sql, int nparams, const char *const *params,
    int want, int (*fn)(void *ctx, const char *const *row), void *ctx, char *why, size_t cap)
{
	const char *row[FLEET_MAX_COLS];
	PGresult *res;
	int i, j, r = FR_OK;

	if (src->conn == NULL || want > FLEET_MAX_COLS || nparams > 4)
		return FR_ERR_DB;
	res = PQexecParams(src->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		say(why, cap, "fleet registry: %s", pgmsg(src->conn));
		PQclear(res);
		return FR_ERR_DB;
	}
	if (PQnfields(res) != want) {
		say(why, cap, "fleet registry: a query answered %d columns, not %d", PQnfields(res), want);
		PQclear(res);
		return FR_ERR_CORRUPT;
	}
	for (i = 0; i < PQntuples(res) && r == FR_OK; i++) {
		for (j = 0; j < want; j++) {
			if (PQgetlength(res, i, j) > CAP_FLEET_FIELD) {
				say(why, cap, "fleet registry: a value is longer than %d bytes", CAP_FLEET_FIELD);
				PQclear(res);
				return FR_ERR_CORRUPT;
			}
			row[j] = PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
		}
		r = fn(ctx, row);
	}
	PQclear(res);
	return r;
}

int
fleet_read_conninfo(const char *arg, const char *file, char **out, char *why, size_t cap)
{
	uint8_t *b = NULL;
	size_t n = 0, k;
	char *s;

	if ((arg == NULL) == (file == NULL)) {
		say(why, cap, "give the registry with --registry CONNINFO or --registry-file FILE (a "
		    "file holding the connection string, mode 0600 if it holds a password), not both");
		return -1;
	}
	if (arg != NULL) {
		if ((s = strdup(arg)) == NULL)
			return -1;
		*out = s;
		return 0;
	}
	if (util_read_file(file, 4096, &b, &n) != 0) {
		say(why, cap, "cannot read the registry file %s (at most 4 KiB)", file);
		return -1;
	}
	for (k = 0; k < n && b[k] != '\n' && b[k] != '\r' && b[k] != '\0'; k++)
		;
	if (k == 0 || (s = malloc(k + 1)) == NULL) {
		say(why, cap, "the registry file %s holds no connection string on its first line", file);
		OPENSSL_cleanse(b, n);
		free(b);
		return -1;
	}
	memcpy(s, b, k);
	s[k] = '\0';
	OPENSSL_cleanse(b, n);
	free(b);
	*out = s;
	return 0;
}
