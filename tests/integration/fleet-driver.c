/*
 * fleet-driver.c: the fleet registry's client (hsm/fleet/fleet-registry.h) driven from a shell
 * test (tests/integration/test-fleet-pg.sh), against a real PostgreSQL:
 *   fleet-driver open CONNINFO
 *       fleet_open twice (the second finds the schema made), prints "open ok schema=N" each time
 *   fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY
 *       one entry (time 2025-01-01T00:00:00.<seq%1000>Z, operator "op", lot "lot-1") with its leaf
 *       computed as audit-entry.h says; prints "ingest ok held=H conflicts=C"
 *   fleet-driver checkpoint CONNINFO STATION SIZE good|bad
 *       a checkpoint over the station's first SIZE entries held, its root computed here (merkle.c)
 *       from the leaves the registry holds (bad: one bit flipped); prints "checkpoint ok held=H"
 *   fleet-driver next-seq CONNINFO STATION          prints "next N"
 *   fleet-driver lot CONNINFO STATION LOT QUOTA     prints "lot quota=Q" (the quota held)
 *   fleet-driver lease serials|quota CONNINFO STATION SCOPE COUNT
 *       prints "lease id=I first=F count=C"
 * Exit 0 on success, 3 for FLEET_ERR_FORK, 4 for FLEET_ERR_SCHEMA, 5 for FLEET_ERR_EXHAUSTED,
 * 6 for FLEET_ERR_NOLOT, 1 for any other error (the message on stderr), 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit-entry.h"
#include "fleet-registry.h"
#include "log.h"
#include "merkle.h"

static int
status(int r)
{
	if (r == FLEET_ERR_FORK)
		return 3;
	if (r == FLEET_ERR_SCHEMA)
		return 4;
	if (r == FLEET_ERR_EXHAUSTED)
		return 5;
	if (r == FLEET_ERR_NOLOT)
		return 6;
	return r == FLEET_OK ? 0 : 1;
}

static int
open_twice(const char *conninfo)
{
	char why[512];
	struct fleet *f = NULL;
	int i, r, v = 0;

	for (i = 0; i < 2; i++) {
		if ((r = fleet_open(conninfo, &f, why, sizeof(why))) != FLEET_OK) {
			fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
			return status(r);
		}
		r = fleet_schema_version(f, &v, why, sizeof(why));
		fleet_close(f);
		f = NULL;
		if (r != FLEET_OK) {
			fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
			return status(r);
		}
		printf("open ok schema=%d\n", v);
	}
	return 0;
}

static int
ingest(char **av)
{
	char why[512], time[32];
	struct fleet_entry e;
	struct fleet *f = NULL;
	char *end;
	int r, held = 0, conf = 0;

	memset(&e, 0, sizeof(e));
	e.station = av[1];
	e.seq = strtoll(av[2], &end, 10);
	if (*av[2] == '\0' || *end != '\0' || e.seq < 0) {
		fprintf(stderr, "fleet-driver: SEQ must be a non-negative number\n");
		return 2;
	}
	snprintf(time, sizeof(time), "2025-01-01T00:00:00.%03dZ", (int)(e.seq % 1000));
	e.time = time;
	e.operator_name = "op";
	e.lot = "lot-1";
	e.kind = av[3];
	e.chip_id = av[4];
	e.serial = av[5];
	e.body = av[6];
	if (audit_entry_leaf(e.seq, e.time, e.station, e.operator_name, e.lot, e.kind, e.chip_id,
	        e.serial, e.body, e.leaf) != AUDIT_OK) {
		fprintf(stderr, "fleet-driver: out of memory\n");
		return 1;
	}
	if ((r = fleet_open(av[0], &f, why, sizeof(why))) != FLEET_OK) {
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
		return status(r);
	}
	r = fleet_ingest_entry(f, &e, &held, &conf, why, sizeof(why));
	fleet_close(f);
	if (r != FLEET_OK) {
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
		return status(r);
	}
	printf("ingest ok held=%d conflicts=%d\n", held, conf);
	return 0;
}

static int
opened(const char *conninfo, struct fleet **f)
{
	char why[512];
	int r;

	if ((r = fleet_open(conninfo, f, why, sizeof(why))) != FLEET_OK)
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
	return r;
}

static int
done(struct fleet *f, int r, const char *why)
{
	fleet_close(f);
	if (r != FLEET_OK)
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
	return status(r);
}

/* The root over the first n leaves the registry holds, computed here with a libpq query of
 * its own (the test's own reading, independent of the server's frontier). */
static int
checkpoint(char **av)
{
	char why[512], sql[160], note[64];
	long long n = atoll(av[2]);
	merkle_hash *leaves = NULL, root;
	struct fleet *f = NULL;
	PGconn *c;
	PGresult *res;
	int r, i, held = 0;

	if (n <= 0 || (leaves = calloc((size_t)n, sizeof(*leaves))) == NULL)
		return 2;
	c = PQconnectdb(av[0]);
	snprintf(sql, sizeof(sql), "SELECT encode(leaf,'hex') FROM entries WHERE station_id=$1"
	    " AND seq < %lld ORDER BY seq", n);
	res = PQexecParams(c, sql, 1, NULL, (const char *const *)&av[1], NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != n) {
		fprintf(stderr, "fleet-driver: reading %lld leaves: %s\n", n, PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
		free(leaves);
		return 1;
	}
	for (i = 0; i < (int)n; i++)
		for (r = 0; r < 32; r++)
			sscanf(PQgetvalue(res, i, 0) + 2 * r, "%2hhx", &leaves[i][r]);
	PQclear(res);
	PQfinish(c);
	r = merkle_root((const merkle_hash *)leaves, (uint64_t)n, root);
	free(leaves);
	if (r != MERKLE_OK)
		return 1;
	if (strcmp(av[3], "bad") == 0)
		root[7] ^= 0x20;
	snprintf(note, sizeof(note), "test note %lld", n);
	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	r = fleet_ingest_checkpoint(f, av[1], (uint64_t)n, root, note, &held, why, sizeof(why));
	if (r == FLEET_OK)
		printf("checkpoint ok held=%d\n", held);
	return done(f, r, why);
}

static int
next_seq(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	int64_t next = -1;
	int r;

	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	if ((r = fleet_next_seq(f, av[1], &next, why, sizeof(why))) == FLEET_OK)
		printf("next %lld\n", (long long)next);
	return done(f, r, why);
}

static int
lot(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	int64_t held = 0;
	int r;

	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	if ((r = fleet_declare_lot(f, av[1], av[2], atoll(av[3]), &held, why, sizeof(why))) == 0)
		printf("lot quota=%lld\n", (long long)held);
	return done(f, r, why);
}

static int
lease(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	struct fleet_lease l;
	int r;

	if ((r = opened(av[1], &f)) != FLEET_OK)
		return status(r);
	if (strcmp(av[0], "serials") == 0)
		r = fleet_lease_serials(f, av[2], av[3], atoll(av[4]), 3600, &l, why, sizeof(why));
	else
		r = fleet_lease_quota(f, av[2], av[3], atoll(av[4]), 3600, &l, why, sizeof(why));
	if (r == FLEET_OK)
		printf("lease id=%lld first=%lld count=%lld\n", (long long)l.id, (long long)l.first,
		    (long long)l.count);
	return done(f, r, why);
}

int
main(int argc, char **argv)
{
	log_init("fleet-driver", LOG_WARN);
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return open_twice(argv[2]);
	if (argc == 9 && strcmp(argv[1], "ingest") == 0)
		return ingest(argv + 2);
	if (argc == 6 && strcmp(argv[1], "checkpoint") == 0)
		return checkpoint(argv + 2);
	if (argc == 4 && strcmp(argv[1], "next-seq") == 0)
		return next_seq(argv + 2);
	if (argc == 6 && strcmp(argv[1], "lot") == 0)
		return lot(argv + 2);
	if (argc == 7 && strcmp(argv[1], "lease") == 0)
		return lease(argv + 2);
	fprintf(stderr, "usage: fleet-driver open CONNINFO\n"
	                "       fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY\n"
	                "       fleet-driver checkpoint CONNINFO STATION SIZE good|bad\n"
	                "       fleet-driver next-seq CONNINFO STATION\n"
	                "       fleet-driver lot CONNINFO STATION LOT QUOTA\n"
	                "       fleet-driver lease serials|quota CONNINFO STATION SCOPE COUNT\n");
	return 2;
}
