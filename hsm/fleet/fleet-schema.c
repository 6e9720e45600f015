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
	/* 2: checkpoints checked against the entries held (a running RFC 6962 frontier per station),
	 * each station's checkpoint public keys, lots with a fleet quota, and leases. */
	/* fleet_push: the frontier f of n leaves (its perfect subtrees' roots, largest first, 32
	 * bytes each) with one more leaf; fleet_root: the RFC 6962 root of a frontier */
	"CREATE FUNCTION fleet_push(f bytea, n bigint, leaf bytea) RETURNS bytea"
	" LANGUAGE plpgsql IMMUTABLE STRICT AS $$ DECLARE h bytea := leaf; k bigint := n; l int; BEGIN"
	" WHILE k & 1 = 1 LOOP l := octet_length(f);"
	"  h := sha256('\\x01'::bytea || substring(f FROM l - 31 FOR 32) || h);"
	"  f := substring(f FROM 1 FOR l - 32); k := k >> 1; END LOOP;"
	" RETURN f || h; END $$;"
	"CREATE FUNCTION fleet_root(f bytea) RETURNS bytea"
	" LANGUAGE plpgsql IMMUTABLE STRICT AS $$ DECLARE l int := octet_length(f); r bytea; BEGIN"
	" IF l = 0 THEN RETURN sha256(''::bytea); END IF;"
	" r := substring(f FROM l - 31 FOR 32); l := l - 32;"
	" WHILE l > 0 LOOP r := sha256('\\x01'::bytea || substring(f FROM l - 31 FOR 32) || r);"
	"  l := l - 32; END LOOP; RETURN r; END $$;"
	/* the root over a station's first n entries held, from its leaves (the slow path: a
	 * checkpoint that arrives after later entries) */
	"CREATE FUNCTION fleet_root_at(st text, n bigint) RETURNS bytea LANGUAGE plpgsql STABLE AS $$"
	" DECLARE f bytea := ''::bytea; k bigint := 0; lf bytea; BEGIN"
	" FOR lf IN SELECT leaf FROM entries WHERE station_id = st AND seq < n ORDER BY seq LOOP"
	"  f := fleet_push(f, k, lf); k := k + 1; END LOOP;"
	" IF k <> n THEN RETURN NULL; END IF; RETURN fleet_root(f); END $$;"
	"CREATE TABLE frontiers(station_id entry_text PRIMARY KEY REFERENCES stations(station_id),"
	" size bigint NOT NULL CHECK (size > 0), hashes bytea NOT NULL);"
	/* a frontier moves one entry at a time, to exactly what the entry held gives: whoever
	 * writes it (the entries trigger, or anyone with the role) cannot make it lie */
	"CREATE FUNCTION fleet_frontiers_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE of bytea := ''::bytea; os bigint := 0; lf bytea; BEGIN"
	" IF TG_OP = 'UPDATE' THEN of := OLD.hashes; os := OLD.size;"
	"  IF NEW.station_id <> OLD.station_id THEN"
	"   RAISE EXCEPTION 'fleet registry: frontiers keep their station'; END IF; END IF;"
	" SELECT leaf INTO lf FROM entries WHERE station_id = NEW.station_id AND seq = os;"
	" IF lf IS NULL OR NEW.size <> os + 1 OR NEW.hashes <> fleet_push(of, os, lf) THEN"
	"  RAISE EXCEPTION 'fleet registry: the frontier of station % moves one entry held at a time',"
	"  NEW.station_id; END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER frontiers_guard BEFORE INSERT OR UPDATE ON frontiers"
	" FOR EACH ROW EXECUTE FUNCTION fleet_frontiers_guard();"
	"CREATE TRIGGER frontiers_no_delete BEFORE DELETE ON frontiers"
	" FOR EACH ROW EXECUTE FUNCTION fleet_append_only();"
	"CREATE TRIGGER frontiers_no_truncate BEFORE TRUNCATE ON frontiers"
	" FOR EACH STATEMENT EXECUTE FUNCTION fleet_append_only();"
	"CREATE FUNCTION fleet_entries_frontier() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN IF NEW.seq = 0 THEN INSERT INTO frontiers(station_id, size, hashes)"
	"  VALUES (NEW.station_id, 1, NEW.leaf);"
	" ELSE UPDATE frontiers SET size = size + 1, hashes = fleet_push(hashes, size, NEW.leaf)"
	"  WHERE station_id = NEW.station_id; END IF; RETURN NULL; END $$;"
	"CREATE TRIGGER entries_frontier AFTER INSERT ON entries"
	" FOR EACH ROW EXECUTE FUNCTION fleet_entries_frontier();"
	/* entries of schema 1 get their frontier now */
	"INSERT INTO frontiers(station_id, size, hashes) SELECT station_id, 1, leaf FROM entries"
	" WHERE seq = 0;"
	"DO $$ DECLARE r record; BEGIN FOR r IN SELECT e.station_id, e.seq, e.leaf FROM entries e"
	" WHERE e.seq > 0 ORDER BY e.station_id, e.seq LOOP"
	" UPDATE frontiers SET size = size + 1, hashes = fleet_push(hashes, size, r.leaf)"
	"  WHERE station_id = r.station_id; END LOOP; END $$;"
	/* a checkpoint's root must be the root of the entries held: the server computes it */
	"CREATE FUNCTION fleet_station_root(st text, n bigint) RETURNS bytea LANGUAGE plpgsql STABLE AS $$"
	" DECLARE fs bigint; fh bytea; BEGIN"
	" SELECT size, hashes INTO fs, fh FROM frontiers WHERE station_id = st;"
	" IF fs IS NULL OR n > fs THEN RETURN NULL; END IF;"
	" IF n = fs THEN RETURN fleet_root(fh); END IF; RETURN fleet_root_at(st, n); END $$;"
	"CREATE FUNCTION fleet_checkpoints_root() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE r bytea := fleet_station_root(NEW.station_id, NEW.size); BEGIN"
	" IF r IS NULL OR r <> NEW.root THEN"
	"  RAISE EXCEPTION 'fleet registry: station % checkpoint of size % does not match the entries"
	" held', NEW.station_id, NEW.size; END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER checkpoints_root BEFORE INSERT ON checkpoints"
	" FOR EACH ROW EXECUTE FUNCTION fleet_checkpoints_root();"
	/* the public keys a station signs its checkpoints with, as it exports them (PEM
	 * SubjectPublicKeyInfo); a new key adds a row */
	"CREATE TABLE station_keys(station_id entry_text NOT NULL REFERENCES stations(station_id),"
	" pem text NOT NULL CHECK (pem ~ '^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+"
	"-----END PUBLIC KEY-----\n$'),"
	" sha256 hash32 NOT NULL, first_seen timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY (station_id, sha256), CHECK (sha256 = sha256(convert_to(pem, 'UTF8'))));"
	/* a lot's fleet-wide quota, as the first station to open it in the fleet declared it */
	"CREATE TABLE lots(lot entry_text PRIMARY KEY CHECK (lot <> ''),"
	" quota bigint NOT NULL CHECK (quota > 0),"
	" declared_by entry_text NOT NULL REFERENCES stations(station_id),"
	" declared timestamptz NOT NULL DEFAULT now());"
	/* serial blocks (scope = product: numbers [first, first+count)) and quota (scope = lot:
	 * count certificates), leased to one station each */
	"CREATE TABLE leases(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" station_id entry_text NOT NULL REFERENCES stations(station_id),"
	" kind text NOT NULL CHECK (kind IN ('serials','quota')),"
	" scope entry_text NOT NULL CHECK (scope <> ''),"
	" first bigint NOT NULL CHECK (first >= 0), count bigint NOT NULL CHECK (count > 0),"
	" ttl_s integer NOT NULL CHECK (ttl_s > 0),"
	" granted timestamptz NOT NULL DEFAULT now());"
	"CREATE INDEX leases_scope ON leases(kind, scope);"
	/* blocks never overlap; quota leases of a lot never exceed its quota (serialised per
	 * scope by an advisory lock, so two grants at once cannot both pass) */
	"CREATE FUNCTION fleet_leases_check() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE q bigint; used bigint; BEGIN"
	" PERFORM pg_advisory_xact_lock(hashtext('fleet-lease:' || NEW.kind || ':' || NEW.scope));"
	" IF NEW.kind = 'serials' THEN"
	"  IF EXISTS (SELECT 1 FROM leases WHERE kind = 'serials' AND scope = NEW.scope"
	"   AND first < NEW.first + NEW.count AND NEW.first < first + count) THEN"
	"   RAISE EXCEPTION 'fleet registry: serial block % of % overlaps a block leased before',"
	"   NEW.first, NEW.scope; END IF;"
	" ELSE SELECT quota INTO q FROM lots WHERE lot = NEW.scope;"
	"  IF q IS NULL THEN RAISE EXCEPTION 'fleet registry: lot % has no fleet quota declared',"
	"   NEW.scope; END IF;"
	"  SELECT COALESCE(sum(count), 0) INTO used FROM leases WHERE kind = 'quota'"
	"   AND scope = NEW.scope;"
	"  IF used + NEW.count > q THEN RAISE EXCEPTION"
	"   'fleet registry: lot % quota % would be exceeded (% leased, % asked)',"
	"   NEW.scope, q, used, NEW.count; END IF; END IF; RETURN NEW; END $$;"
	"CREATE TRIGGER leases_check BEFORE INSERT ON leases"
	" FOR EACH ROW EXECUTE FUNCTION fleet_leases_check();"
	"DO $$ DECLARE t text; BEGIN"
	" FOREACH t IN ARRAY ARRAY['station_keys','lots','leases'] LOOP"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_append_only', t);"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_no_truncate', t);"
	" END LOOP; END $$;",
	/* 3: each station ID writes only as the database role that first wrote it (its own
	 * login, e.g. the CN of its client certificate): another station's credentials cannot
	 * write entries, checkpoints, keys, leases, claims, conflicts or forks in its name. */
	"CREATE TABLE station_roles(station_id entry_text PRIMARY KEY REFERENCES stations(station_id),"
	" role name NOT NULL, bound timestamptz NOT NULL DEFAULT now());"
	"CREATE TRIGGER station_roles_append_only BEFORE UPDATE OR DELETE ON station_roles"
	" FOR EACH ROW EXECUTE FUNCTION fleet_append_only();"
	"CREATE TRIGGER station_roles_no_truncate BEFORE TRUNCATE ON station_roles"
	" FOR EACH STATEMENT EXECUTE FUNCTION fleet_append_only();"
	/* SECURITY DEFINER: the writers may not insert bindings themselves (they would bind
	 * station IDs not seen yet); TG_ARGV[0] names the row's station column */
	"CREATE FUNCTION fleet_station_bind() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = public AS $$ DECLARE st text := to_jsonb(NEW) ->> TG_ARGV[0]; r name;"
	" BEGIN IF st IS NULL THEN RETURN NEW; END IF;"
	" SELECT role INTO r FROM station_roles WHERE station_id = st;"
	" IF r IS NULL THEN"
	"  IF EXISTS (SELECT 1 FROM stations WHERE station_id = st) THEN"
	"   INSERT INTO station_roles(station_id, role) VALUES (st, session_user)"
	"   ON CONFLICT DO NOTHING; END IF;"
	"  SELECT role INTO r FROM station_roles WHERE station_id = st; END IF;"
	" IF r IS NOT NULL AND r <> session_user THEN"
	"  RAISE EXCEPTION 'fleet registry: station % writes only as role %, not as %', st, r,"
	"  session_user; END IF;"
	" RETURN NEW; END $$;"
	"DO $$ DECLARE t text; c text; BEGIN"
	" FOREACH t IN ARRAY ARRAY['stations:station_id','entries:station_id',"
	"  'checkpoints:station_id','frontiers:station_id','station_keys:station_id',"
	"  'lots:declared_by','leases:station_id','chips:station_id','serials:station_id',"
	"  'cert_serials:station_id','pubkeys:station_id','pw_commitments:station_id',"
	"  'conflicts:second_station','forks:station_id'] LOOP"
	"  c := split_part(t, ':', 2); t := split_part(t, ':', 1);"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW"
	"   EXECUTE FUNCTION fleet_station_bind(%L)', t || '_station_role', t, c);"
	" END LOOP; END $$;"
	/* the stations of schema 2 bound to the role that owns the registry until then */
	"INSERT INTO station_roles(station_id, role) SELECT station_id, session_user FROM stations;",
	/* 4: leases granted only in READ COMMITTED transactions (under REPEATABLE READ the
	 * trigger's reads would not see a grant committed meanwhile, advisory lock or not); a
	 * station's record checked against the leases the registry granted it: violations. */
	"CREATE OR REPLACE FUNCTION fleet_leases_check() RETURNS trigger LANGUAGE plpgsql AS $$"
	" DECLARE q bigint; used bigint; BEGIN"
	" IF current_setting('transaction_isolation') <> 'read committed' THEN"
	"  RAISE EXCEPTION 'fleet registry: leases are granted only in READ COMMITTED transactions"
	" (this one is %)', current_setting('transaction_isolation'); END IF;"
	" IF NEW.first > 9000000000000000000 - NEW.count THEN"
	"  RAISE EXCEPTION 'fleet registry: serial block % + % is out of range', NEW.first, NEW.count;"
	" END IF;"
	" PERFORM pg_advisory_xact_lock(hashtext('fleet-lease:' || NEW.kind || ':' || NEW.scope));"
	" IF NEW.kind = 'serials' THEN"
	"  IF NEW.count > 1000000 OR NEW.first <> (SELECT COALESCE(max(first + count), 1)"
	"   FROM leases WHERE kind = 'serials' AND scope = NEW.scope) THEN"
	"   RAISE EXCEPTION 'fleet registry: serial block % + % of % does not follow the last one"
	" leased (blocks are contiguous from 1, at most 1000000 numbers)', NEW.first, NEW.count,"
	"   NEW.scope; END IF;"
	" ELSE SELECT quota INTO q FROM lots WHERE lot = NEW.scope;"
	"  IF q IS NULL THEN RAISE EXCEPTION 'fleet registry: lot % has no fleet quota declared',"
	"   NEW.scope; END IF;"
	"  SELECT COALESCE(sum(count), 0) INTO used FROM leases WHERE kind = 'quota'"
	"   AND scope = NEW.scope;"
	"  IF used + NEW.count > q THEN RAISE EXCEPTION"
	"   'fleet registry: lot % quota % would be exceeded (% leased, % asked)',"
	"   NEW.scope, q, used, NEW.count; END IF; END IF; RETURN NEW; END $$;"
	"CREATE TABLE violations(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" station_id entry_text NOT NULL, seq bigint NOT NULL,"
	" what text NOT NULL CHECK (what IN ('lease','serial','quota')),"
	" detail entry_text NOT NULL, detected timestamptz NOT NULL DEFAULT now(),"
	" UNIQUE (station_id, seq, what),"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TRIGGER violations_append_only BEFORE UPDATE OR DELETE ON violations"
	" FOR EACH ROW EXECUTE FUNCTION fleet_append_only();"
	"CREATE TRIGGER violations_no_truncate BEFORE TRUNCATE ON violations"
	" FOR EACH STATEMENT EXECUTE FUNCTION fleet_append_only();"
	"CREATE TRIGGER violations_station_role BEFORE INSERT OR UPDATE ON violations"
	" FOR EACH ROW EXECUTE FUNCTION fleet_station_bind('station_id');",
	/* 5: onboarding credentials (issue #16): each kind's commitments and the Wi-Fi SSIDs are
	 * unique across the fleet; a second station's claim is a conflict like the others. */
	"CREATE TABLE cred_commitments(kind entry_text NOT NULL CHECK (kind IN ('wifi','matter')),"
	" commitment entry_text NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (kind, commitment),"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"CREATE TABLE ssids(ssid entry_text PRIMARY KEY CHECK (ssid <> ''),"
	" station_id entry_text NOT NULL, seq bigint NOT NULL,"
	" FOREIGN KEY (station_id, seq) REFERENCES entries(station_id, seq));"
	"ALTER TABLE conflicts DROP CONSTRAINT conflicts_what_check;"
	"ALTER TABLE conflicts ADD CONSTRAINT conflicts_what_check CHECK (what IN ('chip','serial',"
	" 'cert_serial','pubkey','pw_commitment','cred_commitment','ssid'));"
	"DO $$ DECLARE t text; BEGIN"
	" FOREACH t IN ARRAY ARRAY['cred_commitments','ssids'] LOOP"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_append_only', t);"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT"
	"   EXECUTE FUNCTION fleet_append_only()', t || '_no_truncate', t);"
	"  EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW"
	"   EXECUTE FUNCTION fleet_station_bind(%L)', t || '_station_role', t, 'station_id');"
	" END LOOP; END $$;",
};
/*
 * Privileges, granted again after every migration (GRANT is idempotent), to the group roles a
 * registry's administrator makes (scripts/pg-setup.sh makes them): fleet_writer (the stations'
 * logins: read, append, move their last contact and frontier; never UPDATE or DELETE a record
 * row, never own a table, so never DISABLE TRIGGER) and fleet_reader (auditors: read). A registry
 * without these roles gets no grants (its owner writes, as schema 1 and 2 had it).
 */
static const char fleet_grants[] =
	"DO $$ BEGIN"
	" IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_writer') THEN"
	"  GRANT USAGE ON SCHEMA public TO fleet_writer;"
	"  GRANT SELECT ON ALL TABLES IN SCHEMA public TO fleet_writer;"
	"  GRANT INSERT ON stations, entries, checkpoints, frontiers, station_keys, lots, leases,"
	"   chips, serials, cert_serials, pubkeys, pw_commitments, conflicts, forks TO fleet_writer;"
	"  IF to_regclass('cred_commitments') IS NOT NULL THEN"
	"   GRANT INSERT ON cred_commitments, ssids TO fleet_writer; END IF;"
	"  IF to_regclass('violations') IS NOT NULL THEN"
	"   GRANT INSERT ON violations TO fleet_writer; END IF;"
	"  GRANT UPDATE (last_contact) ON stations TO fleet_writer;"
	"  GRANT UPDATE (size, hashes) ON frontiers TO fleet_writer;"
	"  GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO fleet_writer;"
	" END IF;"
	" IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fleet_reader') THEN"
	"  GRANT USAGE ON SCHEMA public TO fleet_reader;"
	"  GRANT SELECT ON ALL TABLES IN SCHEMA public TO fleet_reader;"
	" END IF; END $$";

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0]) - 1))
_Static_assert(NMIGRATIONS == FLEET_SCHEMA_VERSION, "a migration per schema version");

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
	PGresult *res;

	/* Up to date (the usual case, and the only one a writer's role may meet): no DDL, no lock */
	res = PQexec(f->conn, "SELECT version FROM fleet_schema");
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    fl_one_int(f, res, 1000000, &(long long){ 0 }, "reading the schema version", NULL, 0) == 0)
		v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (v == NMIGRATIONS)
		return FLEET_OK;
	if (v > NMIGRATIONS) {
		fl_say(why, cap, "the fleet registry has schema version %d, newer than this signer knows "
		    "(%d); update the station software before connecting it to this registry",
		    v, NMIGRATIONS);
		return FLEET_ERR_SCHEMA;
	}
	v = 0;
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
	if ((r = fl_exec(f, fleet_grants, "granting the registry's roles", why, cap)) != 0)
		goto fail;
	return fl_exec(f, "COMMIT", "committing the migration", why, cap);
fail:
	fl_rollback(f);
	if (why != NULL && (strstr(why, "permission denied") != NULL || strstr(why, "must be owner")))
		fl_say(why, cap, "the fleet registry's schema is version %d, this build needs %d, and "
		    "this role may not change it: the registry's owner runs `station-signer fleet-init` "
		    "first (docs/fleet.md)", v, NMIGRATIONS);
	return r;
}
