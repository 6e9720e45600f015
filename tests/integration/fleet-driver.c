/*
 * fleet-driver.c: the fleet registry's client (hsm/fleet/fleet-registry.h) driven from a shell
 * test (tests/integration/test-fleet-pg.sh), against a real PostgreSQL:
 *   fleet-driver open CONNINFO
 *       fleet_open twice (the second finds the schema made), prints "open ok schema=N" each time
 *   fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY
 *       one entry (time 2025-01-01T00:00:00.<seq%1000>Z, operator "op", lot "lot-1") with its leaf
 *       computed as audit-entry.h says; prints "ingest ok held=H conflicts=C"
 * Exit 0 on success, 3 for FLEET_ERR_FORK, 4 for FLEET_ERR_SCHEMA, 1 for any other error (the
 * message on stderr), 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-entry.h"
#include "fleet-registry.h"
#include "log.h"

static int
status(int r)
{
	if (r == FLEET_ERR_FORK)
		return 3;
	if (r == FLEET_ERR_SCHEMA)
		return 4;
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

int
main(int argc, char **argv)
{
	log_init("fleet-driver", LOG_WARN);
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return open_twice(argv[2]);
	if (argc == 9 && strcmp(argv[1], "ingest") == 0)
		return ingest(argv + 2);
	fprintf(stderr, "usage: fleet-driver open CONNINFO\n"
	                "       fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY\n");
	return 2;
}
