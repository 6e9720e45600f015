/* fleet-lease.c: lots with a fleet-wide quota, and the serial blocks and quota the registry leases
 * to each station; see fleet-registry.h. The registry's triggers (fleet-schema.c, schema 2) refuse
 * an overlapping block or a lease beyond a lot's quota whoever inserts it; the advisory lock taken
 * here first makes two stations asking at once wait for each other instead of failing. */
#include "fleet-registry.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "fleet-int.h"

static int
lock_scope(struct fleet *f, const char *kind, const char *scope, char *why, size_t cap)
{
	const char *p[2] = { kind, scope };
	PGresult *res = NULL;
	int r;

	r = fl_run(f, "SELECT pg_advisory_xact_lock(hashtext('fleet-lease:' || $1 || ':' || $2))", 2,
	    p, 0, NULL, &res, "locking the lease scope", why, cap);
	PQclear(res);
	return r;
}

/* The lease row RETURNING id, first, count: checked, into out. */
static int
lease_row(PGresult *res, struct fleet_lease *out, char *why, size_t cap)
{
	long long v[3];
	int i;

	if (PQntuples(res) != 1 || PQnfields(res) != 3) {
		fl_say(why, cap, "fleet registry: a lease came back as %d row(s) of %d column(s)",
		    PQntuples(res), PQnfields(res));
		return FLEET_ERR_CORRUPT;
	}
	for (i = 0; i < 3; i++)
		if (PQgetisnull(res, 0, i) ||
		    fl_parse_int(PQgetvalue(res, 0, i), PQgetlength(res, 0, i), INT64_MAX, &v[i]) != 0) {
			fl_say(why, cap, "fleet registry: a lease's numbers are malformed");
			return FLEET_ERR_CORRUPT;
		}
	if (v[2] <= 0) {
		fl_say(why, cap, "fleet registry: a lease of nothing");
		return FLEET_ERR_CORRUPT;
	}
	out->id = v[0];
	out->first = v[1];
	out->count = v[2];
	return FLEET_OK;
}

static int
scope_ok(const char *station, const char *scope, int64_t count, unsigned ttl_s, char *why,
    size_t cap)
{
	if (!fl_field_ok(station, 0) || !fl_field_ok(scope, 0) || strlen(scope) > 256 || count <= 0 ||
	    count > 1000000000 || ttl_s == 0 || ttl_s > 365u * 86400u) {
		fl_say(why, cap, "fleet registry: a lease needs a station, a product or lot, a count "
		    "from 1 to 10^9 and a lifetime from 1 s to a year");
		return FLEET_ERR_ARG;
	}
	return FLEET_OK;
}

int
fleet_declare_lot(struct fleet *f, const char *station, const char *lot, int64_t quota,
    int64_t *held, char *why, size_t cap)
{
	char q[24];
	const char *p[3] = { lot, q, station };
	PGresult *res = NULL;
	long long v = 0;
	int r;

	if ((r = scope_ok(station, lot, quota, 1, why, cap)) != 0)
		return r;
	snprintf(q, sizeof(q), "%lld", (long long)quota);
	if ((r = fl_exec(f, "BEGIN", "declaring the lot", why, cap)) != 0)
		return r;
	if ((r = fl_station(f, station, "it gets no lease", why, cap)) != 0 ||
	    (r = fl_run(f, "INSERT INTO lots(lot,quota,declared_by) VALUES($1,$2,$3)"
	                   " ON CONFLICT DO NOTHING", 3, p, 0, NULL, &res, "declaring the lot", why,
	         cap)) != 0)
		goto fail;
	PQclear(res);
	res = PQexecParams(f->conn, "SELECT quota FROM lots WHERE lot=$1", 1, NULL, p, NULL, NULL, 0);
	r = fl_one_int(f, res, INT64_MAX, &v, "reading the lot's quota", why, cap);
	PQclear(res);
	if (r != 0 || (r = fl_exec(f, "COMMIT", "committing the lot", why, cap)) != 0)
		goto fail;
	*held = v;
	return FLEET_OK;
fail:
	fl_rollback(f);
	return r;
}

int
fleet_lease_serials(struct fleet *f, const char *station, const char *product, int64_t count,
    unsigned ttl_s, struct fleet_lease *out, char *why, size_t cap)
{
	char c[24], t[24];
	const char *p[4] = { station, product, c, t };
	PGresult *res = NULL;
	int r;

	if ((r = scope_ok(station, product, count, ttl_s, why, cap)) != 0)
		return r;
	snprintf(c, sizeof(c), "%lld", (long long)count);
	snprintf(t, sizeof(t), "%u", ttl_s);
	/* READ COMMITTED whatever the database's default: the lease trigger refuses any other */
	if ((r = fl_exec(f, "BEGIN ISOLATION LEVEL READ COMMITTED", "leasing serials", why, cap)) != 0)
		return r;
	/* blocks follow each other from 1: the next starts where the last one leased ends */
	if ((r = fl_station(f, station, "it gets no lease", why, cap)) != 0 ||
	    (r = lock_scope(f, "serials", product, why, cap)) != 0 ||
	    (r = fl_run(f, "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s)"
	                   " SELECT $1::text,'serials',$2::text,COALESCE(max(first + count), 1),$3::bigint,"
	                   "$4::integer FROM leases WHERE kind='serials' AND scope=$2::text"
	                   " RETURNING id, first, count",
	         4, p, 0, NULL, &res, "leasing serials", why, cap)) != 0)
		goto fail;
	r = lease_row(res, out, why, cap);
	PQclear(res);
	if (r != 0 || (r = fl_exec(f, "COMMIT", "committing the lease", why, cap)) != 0)
		goto fail;
	return FLEET_OK;
fail:
	fl_rollback(f);
	return r;
}

int
fleet_lease_quota(struct fleet *f, const char *station, const char *lot, int64_t count,
    unsigned ttl_s, struct fleet_lease *out, char *why, size_t cap)
{
	char c[24], t[24];
	const char *p[4] = { station, lot, c, t };
	PGresult *res = NULL;
	long long left = 0;
	int r;

	if ((r = scope_ok(station, lot, count, ttl_s, why, cap)) != 0)
		return r;
	if ((r = fl_exec(f, "BEGIN ISOLATION LEVEL READ COMMITTED", "leasing quota", why, cap)) != 0)
		return r;
	if ((r = fl_station(f, station, "it gets no lease", why, cap)) != 0 ||
	    (r = lock_scope(f, "quota", lot, why, cap)) != 0 ||
	    (r = fl_run(f, "SELECT quota - (SELECT COALESCE(sum(count), 0) FROM leases"
	                   " WHERE kind='quota' AND scope=$1) FROM lots WHERE lot=$1",
	         1, p + 1, 0, NULL, &res, "reading the lot's quota", why, cap)) != 0)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fl_say(why, cap, "fleet registry: lot %s has no fleet quota declared (open the lot on a "
		    "station connected to the registry)", lot);
		r = FLEET_ERR_NOLOT;
		goto fail;
	}
	r = fl_one_int(f, res, INT64_MAX, &left, "reading the lot's quota", why, cap);
	PQclear(res);
	if (r != 0)
		goto fail;
	if (left <= 0) {
		fl_say(why, cap, "fleet registry: lot %s: its whole fleet quota is leased", lot);
		r = FLEET_ERR_EXHAUSTED;
		goto fail;
	}
	snprintf(c, sizeof(c), "%lld", (long long)(count < left ? count : left));
	snprintf(t, sizeof(t), "%u", ttl_s);
	if ((r = fl_run(f, "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s)"
	                   " VALUES($1,'quota',$2,0,$3,$4) RETURNING id, first, count",
	         4, p, 0, NULL, &res, "leasing quota", why, cap)) != 0)
		goto fail;
	r = lease_row(res, out, why, cap);
	PQclear(res);
	if (r != 0 || (r = fl_exec(f, "COMMIT", "committing the lease", why, cap)) != 0)
		goto fail;
	return FLEET_OK;
fail:
	fl_rollback(f);
	return r;
}
