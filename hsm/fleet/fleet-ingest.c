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

/* Records that entry e breaks a lease rule (schema 4): reported, the entry kept. */
static int
violation(struct fleet *f, const struct fleet_entry *e, const char *seqs, const char *what,
    const char *detail, char *why, size_t cap)
{
	const char *p[4] = { e->station, seqs, what, detail };
	PGresult *res = NULL;
	int r;

	r = fl_run(f, "INSERT INTO violations(station_id,seq,what,detail) VALUES($1,$2,$3,$4)"
	              " ON CONFLICT DO NOTHING", 4, p, 0, NULL, &res, "recording a violation", why, cap);
	PQclear(res);
	if (r == 0)
		log_warn("fleet registry: station %s entry %s: %s", e->station, seqs, detail);
	return r;
}

/* A station's record against the leases the registry granted it: a fleet.lease entry must be a
 * lease granted to this station as the entry says; a serial allocated under a lease must be a
 * number of that station's block. Anything else is a violation (an insider's forged lease, or a
 * registry restored from an old backup). */
static int
lease_rules(struct fleet *f, const struct fleet_entry *e, json_t *body, const char *seqs,
    char *why, size_t cap)
{
	char id[24], first[24], count[24], detail[256];
	json_t *jid = json_object_get(body, "lease");
	PGresult *res = NULL;
	long long n;
	int r;

	if (!json_is_integer(jid))
		return FLEET_OK; /* a serial of a station without [fleet] */
	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(jid));
	if (strcmp(e->kind, "fleet.lease") == 0) {
		const char *kind = body_str(body, "kind"), *scope = body_str(body, "scope");
		json_t *jf = json_object_get(body, "first"), *jc = json_object_get(body, "count");
		const char *p[6] = { id, e->station, kind, scope, first, count };

		if (kind == NULL || scope == NULL || !json_is_integer(jf) || !json_is_integer(jc))
			return violation(f, e, seqs, "lease", "a fleet.lease entry without its lease's "
			    "kind, scope, first and count", why, cap);
		snprintf(first, sizeof(first), "%lld", (long long)json_integer_value(jf));
		snprintf(count, sizeof(count), "%lld", (long long)json_integer_value(jc));
		if ((r = fl_run(f, "SELECT 1 FROM leases WHERE id=$1::bigint AND station_id=$2 AND kind=$3"
		                   " AND scope=$4 AND first=$5::bigint AND count=$6::bigint", 6, p, 0, NULL,
		         &res, "checking a lease", why, cap)) != 0)
			return r;
		n = PQntuples(res);
		PQclear(res);
		if (n == 1)
			return FLEET_OK;
		snprintf(detail, sizeof(detail), "fleet.lease names lease %s (%.16s %.64s %s+%s), which the "
		    "registry did not grant to this station as such", id, kind, scope, first, count);
		return violation(f, e, seqs, "lease", detail, why, cap);
	}
	{
		/* serial.allocated: the number is the serial's trailing digits */
		const char *product = body_str(body, "product"), *s = e->serial + strlen(e->serial);
		const char *p[3] = { id, e->station, product };
		long long num = 0, lf = 0, lc = 0;

		while (s > e->serial && s[-1] >= '0' && s[-1] <= '9')
			s--;
		if (product == NULL || *s == '\0' || strlen(s) > 18)
			return violation(f, e, seqs, "serial", "a serial allocated under a lease without its "
			    "product or number", why, cap);
		num = strtoll(s, NULL, 10);
		if ((r = fl_run(f, "SELECT first, count FROM leases WHERE id=$1::bigint AND station_id=$2"
		                   " AND kind='serials' AND scope=$3", 3, p, 0, NULL, &res,
		         "checking a serial's lease", why, cap)) != 0)
			return r;
		if (PQntuples(res) == 1 && PQnfields(res) == 2 &&
		    fl_parse_int(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), INT64_MAX, &lf) == 0 &&
		    fl_parse_int(PQgetvalue(res, 0, 1), PQgetlength(res, 0, 1), INT64_MAX, &lc) == 0 &&
		    num >= lf && num < lf + lc) {
			PQclear(res);
			return FLEET_OK;
		}
		PQclear(res);
		snprintf(detail, sizeof(detail), "serial %.64s is not a number of serial lease %s granted "
		    "to this station", e->serial, id);
		return violation(f, e, seqs, "serial", detail, why, cap);
	}
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
	    strcmp(e->kind, "credential.committed") != 0 &&
	    strcmp(e->kind, "cert.issued") != 0 && strcmp(e->kind, "board.verified") != 0 &&
	    strcmp(e->kind, "fleet.lease") != 0)
		return FLEET_OK;
	if ((body = json_loads(e->body, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(body)) {
		fl_say(why, cap, "fleet registry: station %s entry %lld (%s): the body is not a JSON object",
		    e->station, (long long)e->seq, e->kind);
		json_decref(body);
		return FLEET_ERR_ARG;
	}
	if (strcmp(e->kind, "fleet.lease") == 0) {
		r = lease_rules(f, e, body, seqs, why, cap);
	} else if (strcmp(e->kind, "serial.allocated") == 0) {
		struct claim c = { "serial",
			"INSERT INTO serials(serial,product,station_id,seq) VALUES($1,$2,$3,$4)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM serials WHERE serial=$1", 2, 1,
			{ e->serial, body_str(body, "product") } };
		if (*e->serial == '\0' || c.key[1] == NULL)
			goto bad;
		if ((r = claim(f, &c, e->station, seqs, nconf, why, cap)) == 0)
			r = lease_rules(f, e, body, seqs, why, cap);
	} else if (strcmp(e->kind, "password.committed") == 0) {
		struct claim c = { "pw_commitment",
			"INSERT INTO pw_commitments(commitment,station_id,seq) VALUES($1,$2,$3)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM pw_commitments WHERE commitment=$1", 1, 1,
			{ body_str(body, "commitment"), NULL } };
		if (c.key[0] == NULL)
			goto bad;
		r = claim(f, &c, e->station, seqs, nconf, why, cap);
	} else if (strcmp(e->kind, "credential.committed") == 0) {
		struct claim c = { "cred_commitment",
			"INSERT INTO cred_commitments(kind,commitment,station_id,seq) VALUES($1,$2,$3,$4)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM cred_commitments WHERE kind=$1 AND commitment=$2", 2, 2,
			{ body_str(body, "kind"), body_str(body, "commitment") } };
		struct claim k = { "ssid",
			"INSERT INTO ssids(ssid,station_id,seq) VALUES($1,$2,$3)"
			" ON CONFLICT DO NOTHING RETURNING 1",
			"SELECT station_id, seq FROM ssids WHERE ssid=$1", 1, 1,
			{ body_str(body, "public"), NULL } };
		if (c.key[0] == NULL || c.key[1] == NULL || k.key[0] == NULL ||
		    (strcmp(c.key[0], "wifi") != 0 && strcmp(c.key[0], "matter") != 0))
			goto bad;
		if ((r = claim(f, &c, e->station, seqs, nconf, why, cap)) == 0 &&
		    strcmp(c.key[0], "wifi") == 0)
			r = claim(f, &k, e->station, seqs, nconf, why, cap);
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

/* The leaf the server sent as bytea text ("\x" and 64 hex digits) is h. */
static int
hex_is(const char *v, int len, const uint8_t h[32])
{
	char hex[65];
	size_t i;

	if (len != 66 || v[0] != '\\' || v[1] != 'x')
		return 0;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return memcmp(v + 2, hex, 64) == 0;
}

static void
to_hex(const uint8_t h[32], char out[65])
{
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Records a fork in a transaction of its own (the caller's was rolled back): FLEET_ERR_FORK with
 * why, or the error that prevented recording it. */
static int
record_fork(struct fleet *f, const char *station, const char *what, const char *pos,
    const char *held_hex, const char *offered_hex, char *why, size_t cap)
{
	const char *fp[5] = { station, what, pos, held_hex, offered_hex };
	PGresult *res = NULL;
	int r;

	fl_rollback(f);
	if ((r = fl_exec(f, "BEGIN", "recording a fork", why, cap)) != 0)
		return r;
	if ((r = fl_run(f, "INSERT INTO forks(station_id,what,position,held,offered)"
	                   " VALUES($1,$2,$3,decode($4,'hex'),decode($5,'hex')) ON CONFLICT DO NOTHING",
	         5, fp, 0, NULL, &res, "recording a fork", why, cap)) != 0 ||
	    (PQclear(res), r = fl_exec(f, "COMMIT", "committing the fork", why, cap)) != 0) {
		fl_rollback(f);
		return r;
	}
	fl_say(why, cap, "fleet registry: station %s offers %s %s that differs from the one the "
	    "registry holds: its history forks (a database restored from an old backup?); recorded, "
	    "nothing more is taken from it", station, strcmp(what, "entry") == 0 ? "an entry" :
	    "a checkpoint of size", pos);
	return FLEET_ERR_FORK;
}

/* One entry inside the batch's transaction: *was_held, claims and conflicts. FLEET_ERR_FORK has
 * rolled back and recorded the fork. */
static int
ingest_one(struct fleet *f, const struct fleet_entry *e, int *was_held, int *nconf, char *why,
    size_t cap)
{
	char seqs[24];
	const char *p[2];
	PGresult *res = NULL;
	int r;

	if (!fl_field_ok(e->station, 0) || e->seq < 0 || !fl_field_ok(e->time, 0) ||
	    !fl_field_ok(e->operator_name, 1) || !fl_field_ok(e->lot, 1) || !fl_field_ok(e->kind, 0) ||
	    !fl_field_ok(e->chip_id, 1) || !fl_field_ok(e->serial, 1) || !fl_field_ok(e->body, 0)) {
		fl_say(why, cap, "fleet registry: an entry field is missing, not printable ASCII or longer "
		    "than %d", FLEET_FIELD_MAX);
		return FLEET_ERR_ARG;
	}
	snprintf(seqs, sizeof(seqs), "%lld", (long long)e->seq);
	{
		const char *ip[10] = { e->station, seqs, e->time, e->operator_name, e->lot, e->kind,
			e->chip_id, e->serial, e->body, NULL };
		if ((r = fl_run(f, "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,"
		                   "serial,body,leaf) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)"
		                   " ON CONFLICT DO NOTHING RETURNING 1",
		         10, ip, 10, e->leaf, &res, "recording the entry", why, cap)) != 0)
			return r;
	}
	*was_held = PQntuples(res) == 0;
	PQclear(res);
	if (!*was_held)
		return claims(f, e, seqs, nconf, why, cap);
	p[0] = e->station;
	p[1] = seqs;
	if ((r = fl_run(f, "SELECT leaf FROM entries WHERE station_id=$1 AND seq=$2", 2, p, 0, NULL,
	         &res, "reading the entry held", why, cap)) != 0)
		return r;
	/* binary results were not asked for: the leaf comes as bytea hex text "\x" + 64 */
	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
	    PQgetlength(res, 0, 0) != 66) {
		fl_say(why, cap, "fleet registry: the leaf held for station %s entry %s is malformed",
		    e->station, seqs);
		PQclear(res);
		return FLEET_ERR_CORRUPT;
	}
	if (!hex_is(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), e->leaf)) {
		char held_hex[65], off_hex[65];

		memcpy(held_hex, PQgetvalue(res, 0, 0) + 2, 64);
		held_hex[64] = '\0';
		to_hex(e->leaf, off_hex);
		PQclear(res);
		return record_fork(f, e->station, "entry", seqs, held_hex, off_hex, why, cap);
	}
	PQclear(res);
	return FLEET_OK;
}

int
fleet_ingest_batch(struct fleet *f, const struct fleet_entry *e, size_t n, size_t *held,
    int *conflicts, char *why, size_t cap)
{
	size_t i, nheld = 0;
	int r, nconf = 0, h = 0;

	if (n == 0) {
		if (held != NULL)
			*held = 0;
		if (conflicts != NULL)
			*conflicts = 0;
		return FLEET_OK;
	}
	for (i = 0; i < n; i++)
		if (e[i].station == NULL || strcmp(e[i].station, e[0].station) != 0) {
			fl_say(why, cap, "fleet registry: a batch holds the entries of one station");
			return FLEET_ERR_ARG;
		}
	if (!fl_field_ok(e[0].station, 0)) {
		fl_say(why, cap, "fleet registry: the station ID is empty or not printable ASCII");
		return FLEET_ERR_ARG;
	}
	if ((r = fl_exec(f, "BEGIN", "starting an ingest", why, cap)) != 0)
		return r;
	if ((r = fl_station(f, e[0].station, "the registry takes nothing more from it", why, cap)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((r = ingest_one(f, &e[i], &h, &nconf, why, cap)) != 0) {
			if (r == FLEET_ERR_FORK)
				return r;
			goto fail;
		}
		nheld += (size_t)h;
	}
	if ((r = fl_exec(f, "COMMIT", "committing the entries", why, cap)) != 0)
		goto fail;
	if (held != NULL)
		*held = nheld;
	if (conflicts != NULL)
		*conflicts = nconf;
	return FLEET_OK;
fail:
	fl_rollback(f);
	return r;
}

int
fleet_ingest_entry(struct fleet *f, const struct fleet_entry *e, int *held, int *conflicts,
    char *why, size_t cap)
{
	size_t h = 0;
	int r = fleet_ingest_batch(f, e, 1, &h, conflicts, why, cap);

	if (r == FLEET_OK && held != NULL)
		*held = h != 0;
	return r;
}

int
fleet_ingest_checkpoint(struct fleet *f, const char *station, uint64_t size, const uint8_t root[32],
    const char *note, int *held, char *why, size_t cap)
{
	char sizes[24], root_hex[65];
	const char *p[4];
	PGresult *res = NULL;
	int r;

	if (!fl_field_ok(station, 0) || size == 0 || size > INT64_MAX || note == NULL ||
	    *note == '\0' || strlen(note) > FLEET_FIELD_MAX) {
		fl_say(why, cap, "fleet registry: a checkpoint needs a station, a size above 0 and a note");
		return FLEET_ERR_ARG;
	}
	snprintf(sizes, sizeof(sizes), "%llu", (unsigned long long)size);
	to_hex(root, root_hex);
	p[0] = station;
	p[1] = sizes;
	p[2] = root_hex;
	p[3] = note;
	if ((r = fl_exec(f, "BEGIN", "starting a checkpoint", why, cap)) != 0)
		return r;
	if ((r = fl_station(f, station, "the registry takes nothing more from it", why, cap)) != 0)
		goto fail;
	/* held already, or what the server computes over the entries it holds */
	if ((r = fl_run(f, "SELECT (SELECT root FROM checkpoints WHERE station_id=$1 AND size=$2),"
	                   " fleet_station_root($1,$2)", 2, p, 0, NULL, &res,
	         "reading the checkpoint's root", why, cap)) != 0)
		goto fail;
	if (PQntuples(res) != 1 || PQnfields(res) != 2 ||
	    (!PQgetisnull(res, 0, 0) && PQgetlength(res, 0, 0) != 66) ||
	    (!PQgetisnull(res, 0, 1) && PQgetlength(res, 0, 1) != 66)) {
		fl_say(why, cap, "fleet registry: the roots held for station %s are malformed", station);
		r = FLEET_ERR_CORRUPT;
		goto fail;
	}
	{
		int col = PQgetisnull(res, 0, 0) ? 1 : 0;
		char held_hex[65];

		if (PQgetisnull(res, 0, col)) {
			fl_say(why, cap, "fleet registry: station %s checkpoint of size %s is over entries "
			    "the registry does not hold yet (send them first)", station, sizes);
			r = FLEET_ERR_DB;
			goto fail;
		}
		if (!hex_is(PQgetvalue(res, 0, col), PQgetlength(res, 0, col), root)) {
			memcpy(held_hex, PQgetvalue(res, 0, col) + 2, 64);
			held_hex[64] = '\0';
			PQclear(res);
			return record_fork(f, station, "checkpoint", sizes, held_hex, root_hex, why, cap);
		}
		if (held != NULL)
			*held = col == 0;
		PQclear(res);
		res = NULL;
		if (col == 1 &&
		    (r = fl_run(f, "INSERT INTO checkpoints(station_id,size,root,note)"
		                   " VALUES($1,$2,decode($3,'hex'),$4)", 4, p, 0, NULL, &res,
		         "recording the checkpoint", why, cap)) != 0)
			goto fail;
	}
	PQclear(res);
	res = NULL;
	if ((r = fl_exec(f, "COMMIT", "committing the checkpoint", why, cap)) != 0)
		goto fail;
	return FLEET_OK;
fail:
	PQclear(res);
	fl_rollback(f);
	return r;
}

int
fleet_check_root(struct fleet *f, const char *station, uint64_t size, const uint8_t root[32],
    char *why, size_t cap)
{
	char sizes[24], root_hex[65], held_hex[65];
	const char *p[2];
	PGresult *res = NULL;
	int r;

	if (!fl_field_ok(station, 0) || size == 0 || size > INT64_MAX) {
		fl_say(why, cap, "fleet registry: comparing roots needs a station and a size above 0");
		return FLEET_ERR_ARG;
	}
	snprintf(sizes, sizeof(sizes), "%llu", (unsigned long long)size);
	to_hex(root, root_hex);
	p[0] = station;
	p[1] = sizes;
	if ((r = fl_run(f, "SELECT fleet_station_root($1,$2)", 2, p, 0, NULL, &res,
	         "reading the root of the entries held", why, cap)) != 0)
		return r;
	if (PQntuples(res) != 1 || PQnfields(res) != 1 || PQgetisnull(res, 0, 0) ||
	    PQgetlength(res, 0, 0) != 66) {
		fl_say(why, cap, "fleet registry: no root of %s entries of station %s", sizes, station);
		PQclear(res);
		return FLEET_ERR_CORRUPT;
	}
	if (hex_is(PQgetvalue(res, 0, 0), PQgetlength(res, 0, 0), root)) {
		PQclear(res);
		return FLEET_OK;
	}
	memcpy(held_hex, PQgetvalue(res, 0, 0) + 2, 64);
	held_hex[64] = '\0';
	PQclear(res);
	return record_fork(f, station, "checkpoint", sizes, held_hex, root_hex, why, cap);
}

int
fleet_next_seq(struct fleet *f, const char *station, int64_t *next, char *why, size_t cap)
{
	long long v = 0;
	int r = fl_count(f, "SELECT COALESCE(max(seq) + 1, 0) FROM entries WHERE station_id=$1",
	    station, &v, "reading what the registry holds of the station", why, cap);

	if (r == FLEET_OK)
		*next = v;
	return r;
}

int
fleet_station_key(struct fleet *f, const char *station, const char *pem, char *why, size_t cap)
{
	const char *p[2] = { station, pem };
	PGresult *res = NULL;
	int r;

	if (!fl_field_ok(station, 0) || pem == NULL || strlen(pem) > 4096) {
		fl_say(why, cap, "fleet registry: a station key needs a station and a PEM key");
		return FLEET_ERR_ARG;
	}
	if ((r = fl_exec(f, "BEGIN", "recording the station's key", why, cap)) != 0)
		return r;
	if ((r = fl_station(f, station, "the registry takes nothing more from it", why, cap)) != 0 && r != FLEET_ERR_FORK)
		goto fail;
	if ((r = fl_run(f, "INSERT INTO station_keys(station_id,pem,sha256) VALUES($1,$2,"
	                   "sha256(convert_to($2,'UTF8'))) ON CONFLICT DO NOTHING",
	         2, p, 0, NULL, &res, "recording the station's key", why, cap)) != 0)
		goto fail;
	PQclear(res);
	return fl_exec(f, "COMMIT", "committing the station's key", why, cap);
fail:
	fl_rollback(f);
	return r;
}

int
fleet_last_checkpoint(struct fleet *f, const char *station, int64_t *size, char *why, size_t cap)
{
	long long v = 0;
	int r = fl_count(f, "SELECT COALESCE(max(size), 0) FROM checkpoints WHERE station_id=$1",
	    station, &v, "reading the station's last checkpoint", why, cap);

	if (r == FLEET_OK)
		*size = v;
	return r;
}

int
fleet_station_forks(struct fleet *f, const char *station, int64_t *n, char *why, size_t cap)
{
	long long v = 0;
	int r = fl_count(f, "SELECT count(*) FROM forks WHERE station_id=$1",
	    station, &v, "reading the station's forks", why, cap);

	if (r == FLEET_OK)
		*n = v;
	return r;
}
