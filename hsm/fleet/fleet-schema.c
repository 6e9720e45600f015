/* fleet-schema.c: the fleet registry's versioned schema and its migrations; see fleet-registry.h
 * and docs/fleet.md "Schema". */
#include "fleet-registry.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet-int.h"
#include "log.h"

/* The advisory lock that serialises migrations: any constant no other application of the same
 * database uses ("STFL"). pg_advisory_xact_lock frees it at COMMIT or ROLLBACK. */
#define FLEET_MIGRATE_LOCK 0x5354464cL

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

int
fl_read_version(struct fleet *f, int *v, char *why, size_t cap)
{
	PGresult *res = PQexec(f->conn, "SELECT version FROM fleet_schema");
	long long x = 0;
	int r;

	r = fl_one_int(f, res, 1000000, &x, "reading the schema version", why, cap);
	PQclear(res);
	if (r == FLEET_OK)
		*v = (int)x;
	return r;
}

int
fl_migrate(struct fleet *f, char *why, size_t cap)
{
	char sql[80];
	int v = 0, r;

	if ((r = fl_exec(f, "BEGIN", "starting the migration", why, cap)) != 0)
		return r;
	/* Two signers starting at once on a new registry: the second waits here, then finds the
	 * schema made (READ COMMITTED: each statement after the lock sees the first one's commit). */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%ld)", FLEET_MIGRATE_LOCK);
	if ((r = fl_exec(f, sql, "locking the schema", why, cap)) != 0 ||
	    (r = fl_exec(f, "CREATE TABLE IF NOT EXISTS fleet_schema("
	                     "one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	                     " version integer NOT NULL CHECK (version >= 0));"
	                     "INSERT INTO fleet_schema(version) VALUES (0) ON CONFLICT DO NOTHING",
	         "creating the schema version table", why, cap)) != 0 ||
	    (r = fl_read_version(f, &v, why, cap)) != 0)
		goto fail;
	if (v > NMIGRATIONS) {
		fl_say(why, cap, "the fleet registry has schema version %d, newer than this signer knows "
		    "(%d); update the station software before connecting it to this registry",
		    v, NMIGRATIONS);
		r = FLEET_ERR_SCHEMA;
		goto fail;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "UPDATE fleet_schema SET version = %d", v + 1);
		if ((r = fl_exec(f, migrations[v + 1], "migrating the schema", why, cap)) != 0 ||
		    (r = fl_exec(f, sql, "recording the schema version", why, cap)) != 0)
			goto fail;
	}
	return fl_exec(f, "COMMIT", "committing the migration", why, cap);
fail:
	fl_rollback(f);
	return r;
}
