/* fleet-conn.c: connecting to the fleet registry, and the checked helpers every statement goes
 * through (fleet-int.h); see fleet-registry.h. */
#include "fleet-registry.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-int.h"
#include "log.h"

void
fl_say(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	/* libpq's messages end with a newline and may hold more ("\n\tIs the server running
	 * ..."): one line of printable text for people (and for the signer's replies) */
	{
		char *r, *w;

		for (r = w = why; *r; r++) {
			char c = (unsigned char)*r < 0x20 || (unsigned char)*r > 0x7e ? ' ' : *r;

			if (c == ' ' && (w == why || w[-1] == ' '))
				continue;
			*w++ = c;
		}
		*w = '\0';
	}
	n = strlen(why);
	while (n > 0 && why[n - 1] == ' ')
		why[--n] = '\0';
}

/* The server's notices (CREATE ... IF NOT EXISTS that existed) are not for people. */
static void
fl_quiet(void *arg, const char *msg)
{
	(void)arg;
	log_debug("fleet registry: %s", msg);
}

/* The server's message of a failed result, or the connection's (a lost connection). */
const char *
fl_pg_msg(const struct fleet *f, const PGresult *res)
{
	/* the primary message only: one line (no "ERROR:" prefix, no CONTEXT of the trigger) */
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(f->conn);
	return m && *m ? m : "no message from libpq";
}

/* Runs sql (no parameters, one or more statements); FLEET_OK or FLEET_ERR_DB with why. */
int
fl_exec(struct fleet *f, const char *sql, const char *what, char *why, size_t cap)
{
	PGresult *res = PQexec(f->conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int r = FLEET_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fl_say(why, cap, "fleet registry: %s: %s", what, fl_pg_msg(f, res));
		r = res ? FLEET_ERR_DB : FLEET_ERR_NOMEM;
	}
	PQclear(res);
	return r;
}

void
fl_rollback(struct fleet *f)
{
	PGresult *res;

	if (PQtransactionStatus(f->conn) == PQTRANS_IDLE)
		return;
	res = PQexec(f->conn, "ROLLBACK");
	PQclear(res);
}

/* Parses a non-negative decimal int from the server (untrusted: digits only, bounded). */
int
fl_parse_int(const char *s, int len, long long max, long long *out)
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
int
fl_one_int(struct fleet *f, PGresult *res, long long max, long long *out, const char *what,
    char *why, size_t cap)
{
	if (res == NULL) {
		fl_say(why, cap, "fleet registry: %s: out of memory", what);
		return FLEET_ERR_NOMEM;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fl_say(why, cap, "fleet registry: %s: %s", what, fl_pg_msg(f, res));
		return FLEET_ERR_DB;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
	    PQfformat(res, 0) != 0 ||
	    fl_parse_int(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), max, out) != 0) {
		fl_say(why, cap, "fleet registry: %s: the server answered %d row(s) of %d column(s), not one "
		    "number", what, PQntuples(res), PQnfields(res));
		return FLEET_ERR_CORRUPT;
	}
	return FLEET_OK;
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
		fl_say(why, cap, "fleet registry: no connection string");
		return FLEET_ERR_ARG;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		fl_say(why, cap, "fleet registry: out of memory");
		return FLEET_ERR_NOMEM;
	}
	f->conn = PQconnectdbParams(keys, vals, 1);
	if (f->conn == NULL) {
		fl_say(why, cap, "fleet registry: out of memory");
		r = FLEET_ERR_NOMEM;
		goto fail;
	}
	if (PQstatus(f->conn) != CONNECTION_OK) {
		/* the message names host and port, never the password */
		fl_say(why, cap, "cannot connect to the fleet registry: %s; check the [fleet] connection "
		    "string and that the registry is running (the line keeps running on its local "
		    "record)", PQerrorMessage(f->conn));
		r = FLEET_ERR_CONNECT;
		goto fail;
	}
	PQsetNoticeProcessor(f->conn, fl_quiet, NULL);
	if ((r = fl_exec(f, "SET client_min_messages = warning", "setting up the session", why,
	         cap)) != 0 ||
	    (r = fl_migrate(f, why, cap)) != 0)
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
	return fl_read_version(f, v, why, cap);
}

int
fl_field_ok(const char *s, int may_be_empty)
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
int
fl_run(struct fleet *f, const char *sql, int n, const char *const *params, int leaf_param,
    const uint8_t *leaf, PGresult **res, const char *what, char *why, size_t cap)
{
	const char *v[10];
	int lens[10] = { 0 }, fmts[10] = { 0 }, i;
	ExecStatusType st;

	if (n > 10) {
		fl_say(why, cap, "fleet registry: %s: %d parameters (internal error)", what, n);
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
		fl_say(why, cap, "fleet registry: %s: out of memory", what);
		return FLEET_ERR_NOMEM;
	}
	st = PQresultStatus(*res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fl_say(why, cap, "fleet registry: %s: %s", what, fl_pg_msg(f, *res));
		PQclear(*res);
		*res = NULL;
		return FLEET_ERR_DB;
	}
	return FLEET_OK;
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
	case FLEET_ERR_EXHAUSTED:
		return "the lot's fleet quota is all leased";
	case FLEET_ERR_NOLOT:
		return "the lot has no fleet quota declared";
	default:
		return "unknown fleet registry error";
	}
}

int
fl_station(struct fleet *f, const char *station, const char *refused, char *why, size_t cap)
{
	const char *p[1] = { station };
	PGresult *res = NULL;
	long long nforks = 0;
	int r;

	if ((r = fl_run(f, "INSERT INTO stations(station_id) VALUES($1) ON CONFLICT(station_id)"
	                   " DO UPDATE SET last_contact = now()", 1, p, 0, NULL, &res,
	         "recording the station", why, cap)) != 0)
		return r;
	PQclear(res);
	if ((r = fl_count(f, "SELECT count(*) FROM forks WHERE station_id=$1", station, &nforks,
	         "reading the station's forks", why, cap)) != 0)
		return r;
	if (nforks > 0) {
		fl_say(why, cap, "fleet registry: station %s has a forked history recorded (%lld fork(s)); "
		    "%s until that is resolved", station, nforks, refused);
		return FLEET_ERR_FORK;
	}
	return FLEET_OK;
}

int
fl_count(struct fleet *f, const char *sql, const char *station, long long *out, const char *what,
    char *why, size_t cap)
{
	const char *p[1] = { station };
	PGresult *res = PQexecParams(f->conn, sql, 1, NULL, p, NULL, NULL, 0);
	int r = fl_one_int(f, res, INT64_MAX, out, what, why, cap);

	PQclear(res);
	return r;
}
