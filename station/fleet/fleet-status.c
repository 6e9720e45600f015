/* fleet-status.c: the fleet's state from the registry; see fleet-status.h. */
#include "fleet-status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* A number column: json integer, or null for SQL NULL; -1 (and *bad) when not a number. */
static json_t *
jnum(const char *s, int *bad)
{
	char *end;
	long long x;

	if (s == NULL)
		return json_null();
	x = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0') {
		*bad = 1;
		return json_null();
	}
	return json_integer(x);
}

static json_t *
jstr(const char *s)
{
	return s == NULL ? json_null() : json_string(s);
}

struct sctx {
	json_t *arr;   /* where rows go */
	json_t *index; /* station -> its object */
	int bad;
};

static int
row_station(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *o, *cp;
	int forks;

	forks = r[8] != NULL && strcmp(r[8], "0") != 0;
	if (r[5] == NULL)
		cp = json_null();
	else
		cp = json_pack("{s:o s:o s:o}", "size", jnum(r[5], &c->bad), "received", jstr(r[6]),
		    "age_s", jnum(r[7], &c->bad));
	o = json_pack("{s:o s:o s:o s:o s:o s:o s:o s:b s:o s:[] s:[]}", "station", jstr(r[0]),
	    "first_seen", jstr(r[1]), "last_contact", jstr(r[2]), "last_contact_age_s",
	    jnum(r[3], &c->bad), "entries", jnum(r[4] ? r[4] : "0", &c->bad), "last_checkpoint", cp,
	    "forks", jnum(r[8], &c->bad), "refused", forks, "conflicts", jnum(r[9], &c->bad),
	    "serial_blocks", "quota");
	if (o == NULL || r[0] == NULL || json_array_append(c->arr, o) != 0 ||
	    json_object_set(c->index, r[0], o) != 0) {
		json_decref(o);
		return FR_ERR_NOMEM;
	}
	json_decref(o);
	return 0;
}

/* quota of a station's lot: the object in its "quota" array, made when absent */
static json_t *
quota_of(struct sctx *c, const char *station, const char *lot)
{
	json_t *st = json_object_get(c->index, station), *q, *x;
	size_t i;

	if (st == NULL || lot == NULL)
		return NULL;
	q = json_object_get(st, "quota");
	json_array_foreach(q, i, x) {
		if (strcmp(json_string_value(json_object_get(x, "lot")), lot) == 0)
			return x;
	}
	x = json_pack("{s:s s:I s:I}", "lot", lot, "granted", (json_int_t)0, "used", (json_int_t)0);
	if (x == NULL || json_array_append_new(q, x) != 0)
		return NULL;
	return x;
}

static int
row_lease(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *st = r[0] ? json_object_get(c->index, r[0]) : NULL, *o, *q;

	if (st == NULL || r[1] == NULL)
		return 0; /* a lease of a station not listed: the FK makes it impossible */
	if (strcmp(r[1], "serials") == 0) {
		o = json_pack("{s:o s:o s:o s:o s:o}", "product", jstr(r[2]), "first", jnum(r[3], &c->bad),
		    "count", jnum(r[4], &c->bad), "ttl_s", jnum(r[5], &c->bad), "granted", jstr(r[6]));
		if (o == NULL || json_array_append_new(json_object_get(st, "serial_blocks"), o) != 0)
			return FR_ERR_NOMEM;
		return 0;
	}
	if ((q = quota_of(c, r[0], r[2])) == NULL)
		return FR_ERR_NOMEM;
	{
		json_t *n = jnum(r[4], &c->bad);

		json_object_set_new(q, "granted", json_integer(json_integer_value(json_object_get(q,
		    "granted")) + json_integer_value(n)));
		json_decref(n);
	}
	return 0;
}

static int
row_used(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *q, *n;

	if (r[0] == NULL || json_object_get(c->index, r[0]) == NULL)
		return 0;
	if ((q = quota_of(c, r[0], r[1])) == NULL)
		return FR_ERR_NOMEM;
	n = jnum(r[2], &c->bad);
	json_object_set_new(q, "used", json_integer(json_integer_value(n)));
	json_decref(n);
	return 0;
}

static int
row_lot(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *o = json_pack("{s:o s:o s:o s:o}", "lot", jstr(r[0]), "quota", jnum(r[1], &c->bad),
	    "declared_by", jstr(r[2]), "leased", jnum(r[3], &c->bad));

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? FR_ERR_NOMEM : 0;
}

static int
row_conflict(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *o = json_pack("{s:o s:o s:o s:{s:o s:o} s:{s:o s:o} s:o}", "id", jnum(r[0], &c->bad),
	    "what", jstr(r[1]), "key", jstr(r[2]), "first", "station", jstr(r[3]), "seq",
	    jnum(r[4], &c->bad), "second", "station", jstr(r[5]), "seq", jnum(r[6], &c->bad),
	    "detected", jstr(r[7]));

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? FR_ERR_NOMEM : 0;
}

static int
row_fork(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *o = json_pack("{s:o s:o s:o s:o s:o s:o s:o}", "id", jnum(r[0], &c->bad), "station",
	    jstr(r[1]), "what", jstr(r[2]), "position", jnum(r[3], &c->bad), "held", jstr(r[4]),
	    "offered", jstr(r[5]), "detected", jstr(r[6]));

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? FR_ERR_NOMEM : 0;
}

static int
row_totals(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;
	json_t *o = json_pack("{s:o s:o s:o s:o s:o}", "stations", jnum(r[0], &c->bad), "entries",
	    jnum(r[1], &c->bad), "devices", jnum(r[2], &c->bad), "conflicts", jnum(r[3], &c->bad),
	    "forks", jnum(r[4], &c->bad));

	return o == NULL || json_array_append_new(c->arr, o) != 0 ? FR_ERR_NOMEM : 0;
}

static int
row_now(void *ctx, const char *const *r)
{
	struct sctx *c = ctx;

	return json_array_append_new(c->arr, jstr(r[0])) != 0 ? FR_ERR_NOMEM : 0;
}

int
fleet_status_get(struct fleet_src *src, json_t **out, char *why, size_t cap)
{
	static const char q_stations[] =
	    "SELECT s.station_id, " TS("s.first_seen") ", " TS("s.last_contact") ","
	    " floor(extract(epoch FROM now() - s.last_contact))::bigint,"
	    " (SELECT max(seq) + 1 FROM entries e WHERE e.station_id = s.station_id),"
	    " cp.size, " TS("cp.received") ", floor(extract(epoch FROM now() - cp.received))::bigint,"
	    " (SELECT count(*) FROM forks f WHERE f.station_id = s.station_id),"
	    " (SELECT count(*) FROM conflicts k WHERE k.first_station = s.station_id"
	    "   OR k.second_station = s.station_id)"
	    " FROM stations s LEFT JOIN LATERAL (SELECT size, received FROM checkpoints c"
	    "   WHERE c.station_id = s.station_id ORDER BY size DESC LIMIT 1) cp ON true"
	    " ORDER BY s.station_id COLLATE \"C\"";
	static const char q_leases[] =
	    "SELECT station_id, kind, scope, first, count, ttl_s, " TS("granted")
	    " FROM leases ORDER BY id";
	/* quota used: the certificates a station issued in a lot (its cert.issued entries held) */
	static const char q_used[] =
	    "SELECT station_id, lot, count(*) FROM entries WHERE kind = 'cert.issued'"
	    " GROUP BY station_id, lot";
	static const char q_lots[] =
	    "SELECT l.lot, l.quota, l.declared_by, (SELECT COALESCE(sum(count), 0) FROM leases x"
	    "   WHERE x.kind = 'quota' AND x.scope = l.lot) FROM lots l ORDER BY l.lot COLLATE \"C\"";
	static const char q_conflicts[] =
	    "SELECT id, what, key, first_station, first_seq, second_station, second_seq, "
	    TS("detected") " FROM conflicts ORDER BY id";
	static const char q_forks[] =
	    "SELECT id, station_id, what, position, encode(held, 'hex'), encode(offered, 'hex'), "
	    TS("detected") " FROM forks ORDER BY id";
	static const char q_totals[] =
	    "SELECT (SELECT count(*) FROM stations), (SELECT count(*) FROM entries),"
	    " (SELECT count(*) FROM entries WHERE kind = 'board.pass'),"
	    " (SELECT count(*) FROM conflicts), (SELECT count(*) FROM forks)";
	struct sctx c;
	json_t *st = json_array(), *lots = json_array(), *conf = json_array(), *forks = json_array(),
	       *tot = json_array(), *now = json_array(), *o = NULL;
	int r = FR_ERR_NOMEM;

	memset(&c, 0, sizeof(c));
	if ((c.index = json_object()) == NULL || st == NULL || lots == NULL || conf == NULL ||
	    forks == NULL || tot == NULL || now == NULL)
		goto out;
	c.arr = now;
	if ((r = fleet_read_query(src, "SELECT " TS("now()"), 0, NULL, 1, row_now, &c, why, cap)) != 0)
		goto out;
	c.arr = st;
	if ((r = fleet_read_query(src, q_stations, 0, NULL, 10, row_station, &c, why, cap)) != 0 ||
	    (r = fleet_read_query(src, q_leases, 0, NULL, 7, row_lease, &c, why, cap)) != 0 ||
	    (r = fleet_read_query(src, q_used, 0, NULL, 3, row_used, &c, why, cap)) != 0)
		goto out;
	c.arr = lots;
	if ((r = fleet_read_query(src, q_lots, 0, NULL, 4, row_lot, &c, why, cap)) != 0)
		goto out;
	c.arr = conf;
	if ((r = fleet_read_query(src, q_conflicts, 0, NULL, 8, row_conflict, &c, why, cap)) != 0)
		goto out;
	c.arr = forks;
	if ((r = fleet_read_query(src, q_forks, 0, NULL, 7, row_fork, &c, why, cap)) != 0)
		goto out;
	c.arr = tot;
	if ((r = fleet_read_query(src, q_totals, 0, NULL, 5, row_totals, &c, why, cap)) != 0)
		goto out;
	if (c.bad || json_array_size(tot) != 1 || json_array_size(now) != 1) {
		snprintf(why, cap, "fleet registry: a count or number answered is malformed");
		r = FR_ERR_CORRUPT;
		goto out;
	}
	o = json_pack("{s:i s:O s:O s:O s:O s:O s:O}", "schema", fleet_read_schema(src), "now",
	    json_array_get(now, 0), "stations", st, "lots", lots, "totals", json_array_get(tot, 0),
	    "conflicts", conf, "forks", forks);
	if (o == NULL) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	*out = o;
	r = FR_OK;
out:
	json_decref(c.index);
	json_decref(st);
	json_decref(lots);
	json_decref(conf);
	json_decref(forks);
	json_decref(tot);
	json_decref(now);
	return r;
}
