/* fleet-ingest.c: a station's entries into the fleet registry, their fleet-wide claims, conflicts and
 * forks; see fleet-registry.h. */
#include "fleet-registry.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-int.h"
#include "log.h"

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
	if ((r = fl_run(f, c->insert, c->nkey + 2, p, 0, NULL, &res, "recording a claim", why, cap)) != 0)
		return r;
	i = PQntuples(res);
	PQclear(res);
	if (i == 1)
		return FLEET_OK;
	if ((r = fl_run(f, c->holder, c->nhold, p, 0, NULL, &res, "reading a claim", why, cap)) != 0)
		return r;
	if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 0) ||
	    PQgetisnull(res, 0, 1) ||
	    fl_parse_int(PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1), INT64_MAX, &hseq) != 0) {
		fl_say(why, cap, "fleet registry: the holder of a %s claim is malformed", c->what);
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
		r = fl_run(f, "INSERT INTO conflicts(what,key,first_station,first_seq,second_station,"
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

	return s != NULL && fl_field_ok(s, 0) ? s : NULL;
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
		fl_say(why, cap, "fleet registry: station %s entry %lld (%s): the body is not a JSON object",
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
	fl_say(why, cap, "fleet registry: station %s entry %lld (%s) lacks a field its kind claims",
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

	if (!fl_field_ok(e->station, 0) || e->seq < 0 || !fl_field_ok(e->time, 0) ||
	    !fl_field_ok(e->operator_name, 1) || !fl_field_ok(e->lot, 1) || !fl_field_ok(e->kind, 0) ||
	    !fl_field_ok(e->chip_id, 1) || !fl_field_ok(e->serial, 1) || !fl_field_ok(e->body, 0)) {
		fl_say(why, cap, "fleet registry: an entry field is missing, not printable ASCII or longer "
		    "than %d", FLEET_FIELD_MAX);
		return FLEET_ERR_ARG;
	}
	snprintf(seqs, sizeof(seqs), "%lld", (long long)e->seq);
	if ((r = fl_exec(f, "BEGIN", "starting an ingest", why, cap)) != 0)
		return r;
	p[0] = e->station;
	if ((r = fl_run(f, "INSERT INTO stations(station_id) VALUES($1) ON CONFLICT(station_id)"
	                " DO UPDATE SET last_contact = now()", 1, p, 0, NULL, &res,
	         "recording the station", why, cap)) != 0)
		goto fail;
	PQclear(res);
	res = PQexecParams(f->conn, "SELECT count(*) FROM forks WHERE station_id=$1", 1, NULL, p, NULL,
	    NULL, 0);
	r = fl_one_int(f, res, INT64_MAX, &nforks, "reading the station's forks", why, cap);
	PQclear(res);
	res = NULL;
	if (r != 0)
		goto fail;
	if (nforks > 0) {
		fl_say(why, cap, "fleet registry: station %s has a forked history recorded (%lld fork(s)); "
		    "the registry takes nothing more from it until that is resolved", e->station, nforks);
		r = FLEET_ERR_FORK;
		goto fail;
	}
	{
		const char *ip[10] = { e->station, seqs, e->time, e->operator_name, e->lot, e->kind,
			e->chip_id, e->serial, e->body, NULL };
		if ((r = fl_run(f, "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,serial,"
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
		if ((r = fl_run(f, "SELECT leaf FROM entries WHERE station_id=$1 AND seq=$2", 2, p, 0, NULL,
		         &res, "reading the entry held", why, cap)) != 0)
			goto fail;
		/* binary results were not asked for: the leaf comes as bytea hex text "\x" + 64 */
		if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
		    PQgetlength(res, 0, 0) != 66) {
			fl_say(why, cap, "fleet registry: the leaf held for station %s entry %s is malformed",
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
				if ((r = fl_run(f, "INSERT INTO forks(station_id,what,position,held,offered)"
				                " VALUES($1,'entry',$2,$3::bytea,decode($4,'hex'))"
				                " ON CONFLICT DO NOTHING",
				         4, fp, 0, NULL, &res2, "recording a fork", why, cap)) != 0)
					goto fail;
				PQclear(res2);
				if ((r = fl_exec(f, "COMMIT", "committing the fork", why, cap)) != 0)
					goto fail;
				fl_say(why, cap, "fleet registry: station %s offers an entry %s that differs from the "
				    "one the registry holds: its history forks (a database restored from an old "
				    "backup?); recorded, nothing more is taken from it", e->station, seqs);
				return FLEET_ERR_FORK;
			}
		}
		PQclear(res);
		res = NULL;
	} else if ((r = claims(f, e, seqs, &nconf, why, cap)) != 0)
		goto fail;
	if ((r = fl_exec(f, "COMMIT", "committing the entry", why, cap)) != 0)
		goto fail;
	if (held != NULL)
		*held = was_held;
	if (conflicts != NULL)
		*conflicts = nconf;
	return FLEET_OK;
fail:
	PQclear(res);
	fl_rollback(f);
	return r;
}
