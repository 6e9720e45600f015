#!/bin/sh
# The fleet registry's foundation (issue #15) on a real PostgreSQL: a private cluster made by
# scripts/pg-setup.sh in this test's directory (Unix socket only, no TCP port; as root it runs as
# station-pg), the schema made by fleet_open and made again idempotently, the append-only tables
# refusing UPDATE, DELETE and TRUNCATE, the server refusing an entry whose leaf does not match its
# fields or that leaves a gap, fleet_ingest_entry recording claims, a conflict between two stations
# and a fork, a newer schema refused; the cluster stopped and removed (also when a check fails).
set -eu
: "${FLEET_DRIVER:?FLEET_DRIVER must point at the fleet-driver test program}"
: "${BIN:?BIN must point at the build's bin directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$pgbin/initdb" ] || { echo "SKIP test-fleet-pg: needs PostgreSQL 15 (scripts/deps.sh)"; exit 0; }
T=$(mktemp -d /tmp/station-fleet.XXXXXX)
trap 'PG_STOP=1 "$top/scripts/pg-setup.sh" "$T" >/dev/null 2>&1 || :; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
D=$FLEET_DRIVER
# sql SQL: psql as the registry's role; its output (unaligned, tuples only) on stdout
sql() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "$conn" -c "$1"; }
# asql SQL: as the registry's owner (fleet_admin); sqlas ROLE SQL: as any role (pgadmin makes them)
asql() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "$admin" -c "$1"; }
sqlas() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "host=$T port=5432 dbname=fleet user=$1" -c "$2"; }
# refused NAME SQL PATTERN: the server must refuse SQL with a message matching PATTERN
# (RCONN: another role's connection string)
refused() {
	if "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "${RCONN:-$conn}" -c "$2" >"$T/$1.out" 2>&1; then
		fail "$1: the server took: $2"
	fi
	grep -q "$3" "$T/$1.out" || { cat "$T/$1.out"; fail "$1: refused, but not for '$3'"; }
}

echo "-- a private cluster: Unix socket only"
conn=$("$top/scripts/pg-setup.sh" "$T" 2>"$T/setup.err") || { cat "$T/setup.err"; fail "pg-setup.sh"; }
[ "$conn" = "host=$T port=5432 dbname=fleet user=fleet" ] || fail "connection string '$conn'"
conn2=$("$top/scripts/pg-setup.sh" "$T" 2>"$T/setup2.err") || { cat "$T/setup2.err"; fail "pg-setup.sh again"; }
[ "$conn2" = "$conn" ] || fail "second pg-setup.sh printed '$conn2'"
pid=$(head -n 1 "$T/pg/postmaster.pid")
case "$pid" in '' | *[!0-9]*) fail "no postmaster PID in $T/pg/postmaster.pid" ;; esac
kill -0 "$pid" 2>/dev/null || fail "the postmaster ($pid) is not running"
[ "$(sql "SHOW listen_addresses")" = "" ] || fail "listen_addresses is '$(sql "SHOW listen_addresses")'"
grep -q "^unix_socket_directories = '$T'" "$T/pg/postgresql.conf" || fail "socket directory"
grep -q "^listen_addresses = ''" "$T/pg/postgresql.conf" || fail "postgresql.conf does not set listen_addresses ''"
[ -S "$T/.s.PGSQL.5432" ] || fail "no socket in $T"
if command -v ss >/dev/null; then
	# any TCP socket of the cluster's processes, listening or not
	for p in $pid $(pgrep -P "$pid" || :); do
		! ss -Htanp 2>/dev/null | grep -q "pid=$p," || fail "process $p of the cluster has a TCP socket: $(ss -Htanp | grep "pid=$p,")"
	done
fi
owner=$(stat -c %U "$T/pg")
[ "$(id -u)" != 0 ] || [ "$owner" = station-pg ] || fail "as root the cluster belongs to $owner, not station-pg"
[ "$(sql "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = f ] || fail "the role fleet is a superuser"
ok "pg-setup.sh twice: '$conn', postmaster $pid run by $owner, listen_addresses '', no TCP socket, role fleet not a superuser"

echo "-- the schema, twice"
admin=$(PG_ROLE=fleet_admin "$top/scripts/pg-setup.sh" "$T" 2>"$T/setup3.err") || { cat "$T/setup3.err"; fail "pg-setup.sh PG_ROLE"; }
rc=0; "$D" open "$conn" >"$T/writer.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "this role may not change it: the registry's owner runs .station-signer fleet-init. first" "$T/writer.out" ||
	{ cat "$T/writer.out"; fail "a station's role made the schema ($rc)"; }
printf '%s\n' "$admin" >"$T/admin.conn"
"$BIN/station-signer" fleet-init --registry-file "$T/admin.conn" >"$T/init.out" 2>&1 && [ "$(cat "$T/init.out")" = "fleet registry schema 5" ] ||
	{ cat "$T/init.out"; fail "station-signer fleet-init"; }
"$D" open "$conn" >"$T/open.out" 2>&1 || { cat "$T/open.out"; fail "fleet_open"; }
[ "$(grep -c '^open ok schema=5$' "$T/open.out")" = 2 ] || { cat "$T/open.out"; fail "fleet_open twice"; }
tables="cert_serials checkpoints chips conflicts cred_commitments entries fleet_schema forks frontiers leases lots pubkeys pw_commitments serials ssids station_keys station_roles stations violations"
got=$(sql "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
[ "$got" = "$tables" ] || fail "tables: '$got', expected '$tables'"
[ "$(sql "SELECT version FROM fleet_schema")" = 5 ] || fail "schema version"
ok "a station's role may not make the schema; fleet-init as fleet_admin makes it; fleet_open twice as the station's role: schema 5, tables $tables"

echo "-- entries, claims, a conflict, a fork"
ing() { "$D" ingest "$conn" "$@"; }
pk=$(printf 'a%.0s' $(seq 64))
cm=$(printf 'c%.0s' $(seq 64))
{
	ing line-1 0 station.start "" "" '{}'
	ing line-1 1 serial.allocated chip-7 SN001 '{"product":"thermo"}'
	ing line-1 2 password.committed chip-7 SN001 "{\"commitment\":\"$cm\"}"
	ing line-1 3 cert.issued chip-7 SN001 "{\"cert_serial\":\"0a1b\",\"issuer\":\"k1\",\"product\":\"thermo\",\"pubkey_sha256\":\"$pk\"}"
	ing line-1 4 board.verified chip-7 SN001 '{"product":"thermo"}'
	ing line-1 4 board.verified chip-7 SN001 '{"product":"thermo"}'
	ing line-2 0 board.verified chip-7 SN900 '{"product":"thermo"}'
} >"$T/ingest.out" 2>"$T/ingest.err" || { cat "$T/ingest.out" "$T/ingest.err"; fail "ingest"; }
[ "$(grep -c '^ingest ok held=0 conflicts=0$' "$T/ingest.out")" = 5 ] &&
[ "$(sed -n 6p "$T/ingest.out")" = "ingest ok held=1 conflicts=0" ] &&
[ "$(sed -n 7p "$T/ingest.out")" = "ingest ok held=0 conflicts=1" ] || { cat "$T/ingest.out"; fail "ingest results"; }
[ "$(sql "SELECT count(*) FROM entries")" = 6 ] || fail "entries held: $(sql "SELECT count(*) FROM entries")"
[ "$(sql "SELECT (SELECT count(*) FROM serials) || ' ' || (SELECT count(*) FROM pw_commitments) || ' ' ||
	(SELECT count(*) FROM cert_serials) || ' ' || (SELECT count(*) FROM pubkeys) || ' ' || (SELECT count(*) FROM chips)")" = "1 1 1 1 1" ] ||
	fail "claims"
[ "$(sql "SELECT what || ' ' || key || ' ' || first_station || ':' || first_seq || ' ' || second_station || ':' || second_seq FROM conflicts")" = \
	"chip thermo/chip-7 line-1:4 line-2:0" ] || fail "conflict: $(sql "SELECT * FROM conflicts")"
rc=0; ing line-2 2 station.stop "" "" '{}' >"$T/gap.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "station line-2 entry 2 arrived before entry 1" "$T/gap.out" || { cat "$T/gap.out"; fail "a gap was not refused ($rc)"; }
rc=0; ing line-2 0 board.verified chip-8 SN901 '{"product":"thermo"}' >"$T/fork.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "station line-2 offers an entry 0 that differs" "$T/fork.out" || { cat "$T/fork.out"; fail "fork ($rc)"; }
rc=0; ing line-2 1 station.stop "" "" '{}' >"$T/fork2.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "station line-2 has a forked history recorded" "$T/fork2.out" || { cat "$T/fork2.out"; fail "after a fork ($rc)"; }
[ "$(sql "SELECT station_id || ' ' || what || ' ' || position FROM forks")" = "line-2 entry 0" ] || fail "forks"
ok "5 entries and 5 claims from line-1, one re-sent (held), line-2's chip-7: conflict recorded, entry kept; a gap refused; a different entry 0 from line-2: fork recorded, then nothing taken from it"

echo "-- onboarding credentials claimed across stations (issue #16)"
wc=$(printf 'd%.0s' $(seq 64))
mc=$(printf 'e%.0s' $(seq 64))
{
	ing line-5 0 station.start "" "" '{}'
	ing line-5 1 serial.allocated chip-50 SN501 '{"product":"thermo"}'
	ing line-5 2 credential.committed chip-50 SN501 "{\"kind\":\"wifi\",\"commitment\":\"$wc\",\"public\":\"TH2-AAAAAA\"}"
	ing line-5 3 credential.committed chip-50 SN501 "{\"kind\":\"matter\",\"commitment\":\"$mc\",\"public\":\"3840\"}"
	ing line-6 0 station.start "" "" '{}'
	ing line-6 1 serial.allocated chip-60 SN601 '{"product":"thermo"}'
	ing line-6 2 credential.committed chip-60 SN601 "{\"kind\":\"matter\",\"commitment\":\"$mc\",\"public\":\"100\"}"
	ing line-6 3 credential.committed chip-60 SN601 "{\"kind\":\"wifi\",\"commitment\":\"$(printf 'f%.0s' $(seq 64))\",\"public\":\"TH2-AAAAAA\"}"
} >"$T/cred.out" 2>"$T/cred.err" || { cat "$T/cred.out" "$T/cred.err"; fail "ingest of credentials"; }
[ "$(sed -n 1,6p "$T/cred.out" | grep -c '^ingest ok held=0 conflicts=0$')" = 6 ] &&
[ "$(sed -n 7,8p "$T/cred.out" | grep -c '^ingest ok held=0 conflicts=1$')" = 2 ] || { cat "$T/cred.out"; fail "credential ingest results"; }
[ "$(sql "SELECT string_agg(what || ' ' || first_station || ':' || first_seq || ' ' || second_station || ':' || second_seq, ',' ORDER BY what) FROM conflicts WHERE what IN ('cred_commitment','ssid')")" = \
	"cred_commitment line-5:3 line-6:2,ssid line-5:2 line-6:3" ] || fail "credential conflicts: $(sql "SELECT * FROM conflicts")"
[ "$(sql "SELECT count(*) FROM cred_commitments")" = 3 ] && [ "$(sql "SELECT count(*) FROM ssids")" = 1 ] || fail "credential claims"
rc=0; ing line-6 4 credential.committed chip-60 SN601 "{\"kind\":\"pin\",\"commitment\":\"$wc\",\"public\":\"\"}" >"$T/credk.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && [ "$(sql "SELECT count(*) FROM entries WHERE station_id = 'line-6'")" = 4 ] || { cat "$T/credk.out"; fail "an unknown credential kind was taken ($rc)"; }
ok "a Matter passcode commitment and a Wi-Fi SSID of line-5 claimed again by line-6: 2 conflicts recorded; an unknown credential kind refused ($rc)"

echo "-- checkpoints against the entries held, leases"
for n in 1 3 4; do
	"$D" checkpoint "$conn" line-1 $n good >>"$T/cp.out" 2>&1 || { cat "$T/cp.out"; fail "checkpoint of size $n"; }
done
"$D" checkpoint "$conn" line-1 4 good >>"$T/cp.out" 2>&1 || { cat "$T/cp.out"; fail "checkpoint of size 4 again"; }
[ "$(grep -c '^checkpoint ok held=0$' "$T/cp.out")" = 3 ] && [ "$(tail -n 1 "$T/cp.out")" = "checkpoint ok held=1" ] ||
	{ cat "$T/cp.out"; fail "checkpoints 1, 3, 4 and 4 again"; }
"$D" ingest "$conn" line-3 0 station.start "" "" '{}' >/dev/null || fail "line-3 entry 0"
"$D" ingest "$conn" line-3 1 station.stop "" "" '{}' >/dev/null || fail "line-3 entry 1"
rc=0; "$D" checkpoint "$conn" line-3 2 bad >"$T/cpbad.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "station line-3 offers a checkpoint of size 2 that differs" "$T/cpbad.out" ||
	{ cat "$T/cpbad.out"; fail "a checkpoint with a wrong root ($rc)"; }
[ "$(sql "SELECT what || ' ' || position FROM forks WHERE station_id = 'line-3'")" = "checkpoint 2" ] || fail "checkpoint fork"
[ "$("$D" next-seq "$conn" line-1)" = "next 5" ] && [ "$("$D" next-seq "$conn" nobody)" = "next 0" ] || fail "next-seq"
ok "checkpoints of sizes 1, 3, 4 (roots computed here from the leaves held) taken, 4 again held; a wrong root recorded as a fork; next-seq 5"
lease() { k=$1; shift; "$D" lease "$k" "$conn" "$@" || echo "rc=$?"; }
out=$({ lease serials line-1 thermo 100; lease serials line-4 thermo 50; lease serials line-1 thermo 100; lease serials line-1 other 10; } 2>&1 | sed 's/id=[0-9]* //')
[ "$out" = "lease first=1 count=100
lease first=101 count=50
lease first=151 count=100
lease first=1 count=10" ] || { echo "$out"; fail "serial blocks"; }
rc=0; "$D" lease quota "$conn" line-1 lot-9 5 >"$T/nolot.out" 2>&1 || rc=$?
[ "$rc" = 6 ] && grep -q "lot lot-9 has no fleet quota declared" "$T/nolot.out" || { cat "$T/nolot.out"; fail "quota of an undeclared lot ($rc)"; }
[ "$("$D" lot "$conn" line-1 lot-9 10)" = "lot quota=10" ] && [ "$("$D" lot "$conn" line-4 lot-9 99)" = "lot quota=10" ] || fail "lot declared"
out=$({ lease quota line-1 lot-9 4; lease quota line-4 lot-9 4; lease quota line-1 lot-9 4; lease quota line-4 lot-9 4; } 2>&1 | sed 's/id=[0-9]* //')
echo "$out" | grep -q "whole fleet quota is leased" || { echo "$out"; fail "quota exhausted"; }
[ "$(echo "$out" | grep '^lease' | tr '\n' ' ')" = "lease first=0 count=4 lease first=0 count=4 lease first=0 count=2 " ] || { echo "$out"; fail "quota leases"; }
refused over "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s) VALUES('line-1','quota','lot-9',0,1,60)" 'lot lot-9 quota 10 would be exceeded'
refused overlap "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s) VALUES('line-1','serials','thermo',200,5,60)" 'does not follow the last one leased'
refused far "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s) VALUES('line-1','serials','thermo',9223372036854775000,800,60)" 'out of range'
refused huge "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s) VALUES('line-1','serials','thermo',251,100000000,60)" 'does not follow the last one leased'
refused rr "BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO leases(station_id,kind,scope,first,count,ttl_s) VALUES('line-1','serials','thermo',251,5,60); COMMIT" 'only in READ COMMITTED'
ok "serial blocks 1-100, 101-150, 151-250 of thermo and 1-10 of other; lot-9 declared 10 (a second declaration keeps it), leases 4+4+2 then refused; the server refuses an overlapping, a far, a huge block, a lease in REPEATABLE READ, a lease over the quota"

echo "-- the server's own checks"
refused leaf "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,serial,body,leaf)
	VALUES('line-1',5,'2025-01-01T00:00:00.005Z','op','lot-1','x','','','{}',sha256('x'))" 'entries_leaf'
refused ascii "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,serial,body,leaf)
	VALUES('line-1',5,'2025-01-01T00:00:00.005Z',E'o\\np','lot-1','x','','','{}',sha256('x'))" 'entry_text'
refused cp-root "INSERT INTO checkpoints(station_id,size,root,note) VALUES('line-1',5,sha256('r'),'note')" \
	'checkpoint of size 5 does not match the entries held'
refused frontier "UPDATE frontiers SET hashes = sha256('x') WHERE station_id = 'line-1'" \
	'moves one entry held at a time'
refused cp-ahead "INSERT INTO checkpoints(station_id,size,root,note) VALUES('line-1',9,sha256('r'),'note')" \
	'checkpoint of size 9 arrived before entry 8'
"$D" checkpoint "$conn" line-1 5 good >>"$T/cp.out" 2>&1 || { cat "$T/cp.out"; fail "checkpoint good"; }
# even the owner meets the triggers (it could drop them: the registry's administrator); a
# station's role may not even try
for t in entries checkpoints chips serials cert_serials pubkeys pw_commitments cred_commitments ssids conflicts forks lots leases station_roles; do
	c=station_id
	[ "$t" != conflicts ] || c=key
	[ "$t" != lots ] || c=lot
	# every table has rows by now: row triggers fire
	[ "$(sql "SELECT count(*) > 0 FROM $t")" = t ] || fail "$t is empty"
	RCONN=$admin refused "upd-$t" "UPDATE $t SET $c = $c" "$t is append-only (UPDATE refused)"
	RCONN=$admin refused "del-$t" "DELETE FROM $t" "$t is append-only (DELETE refused)"
	RCONN=$admin refused "trunc-$t" "TRUNCATE $t CASCADE" "is append-only (TRUNCATE refused)"
	refused "wupd-$t" "UPDATE $t SET $c = $c" "permission denied"
	refused "wdel-$t" "DELETE FROM $t" "permission denied"
	refused "wtrig-$t" "ALTER TABLE $t DISABLE TRIGGER USER" "must be owner"
done
RCONN=$admin refused upd-stations "UPDATE stations SET station_id = 'x'" 'stations keep their ID'
RCONN=$admin refused del-stations "DELETE FROM stations WHERE station_id = 'line-2'" 'stations keep their ID'
refused wupd-stations "UPDATE stations SET station_id = 'x'" 'permission denied'
sql "UPDATE stations SET last_contact = now() WHERE station_id = 'line-1'" >/dev/null || fail "last_contact cannot move"
refused session-role "SET session_replication_role = replica" 'permission denied'
[ "$(sql "SELECT count(*) FROM entries")" = 16 ] || fail "entries changed"
ok "a wrong leaf, a newline in a field, a checkpoint ahead of the entries refused; UPDATE, DELETE, TRUNCATE refused on the 12 append-only tables even to the owner, UPDATE, DELETE, DISABLE TRIGGER to a station's role; stations keep their ID; triggers cannot be skipped by the role"

echo "-- a station's record against its leases"
l4=$(sql "SELECT id FROM leases WHERE station_id = 'line-4' AND kind = 'serials'")
l1=$(sql "SELECT id FROM leases WHERE station_id = 'line-1' AND kind = 'serials' AND scope = 'thermo' ORDER BY id LIMIT 1")
{
	ing line-4 0 fleet.lease "" "" "{\"count\":50,\"first\":101,\"kind\":\"serials\",\"lease\":$l4,\"scope\":\"thermo\",\"ttl_s\":3600}"
	ing line-4 1 serial.allocated chip-8 SN-00000142 "{\"lease\":$l4,\"product\":\"thermo\"}"
	ing line-4 2 fleet.lease "" "" "{\"count\":100,\"first\":1,\"kind\":\"serials\",\"lease\":$l1,\"scope\":\"thermo\",\"ttl_s\":3600}"
	ing line-4 3 serial.allocated chip-9 SN-00000020 "{\"lease\":$l1,\"product\":\"thermo\"}"
	ing line-4 4 serial.allocated chip-9 SN-00000777 "{\"lease\":$l4,\"product\":\"thermo\"}"
} >"$T/viol.out" 2>&1 || { cat "$T/viol.out"; fail "ingesting lease entries"; }
[ "$(sql "SELECT string_agg(seq || ':' || what, ' ' ORDER BY seq) FROM violations")" = "2:lease 3:serial 4:serial" ] ||
	fail "violations: $(sql "SELECT seq, what, detail FROM violations")"
ok "line-4's own lease and a serial in it taken; a fleet.lease naming line-1's block, a serial of it and a serial outside line-4's block recorded as violations"

echo "-- each station writes only as its own role"
"$pgbin/psql" -X -q -tA "host=$T port=5432 dbname=fleet user=pgadmin" -c "CREATE ROLE fleet2 LOGIN IN ROLE fleet_writer" >/dev/null ||
	fail "CREATE ROLE fleet2"
[ "$(sql "SELECT role FROM station_roles WHERE station_id = 'line-1'")" = fleet ] || fail "line-1 is not bound to fleet"
RCONN="host=$T port=5432 dbname=fleet user=fleet2" refused bind-entry "INSERT INTO entries(station_id,seq,time,operator,lot,kind,chip_id,serial,body,leaf)
	VALUES('line-1',5,'2025-01-01T00:00:00.005Z','op','lot-1','x','','','{}',sha256('x'))" 'station line-1 writes only as role fleet, not as fleet2'
RCONN="host=$T port=5432 dbname=fleet user=fleet2" refused bind-fork "INSERT INTO forks(station_id,what,position,held,offered)
	VALUES('line-1','entry',0,sha256('a'),sha256('b'))" 'station line-1 writes only as role fleet, not as fleet2'
RCONN="host=$T port=5432 dbname=fleet user=fleet2" refused bind-lease "INSERT INTO leases(station_id,kind,scope,first,count,ttl_s)
	VALUES('line-1','serials','thermo',251,5,60)" 'station line-1 writes only as role fleet, not as fleet2'
RCONN="host=$T port=5432 dbname=fleet user=fleet2" refused bind-role "INSERT INTO station_roles(station_id, role) VALUES('line-1','fleet2')" 'permission denied'
rc=0; "$D" ingest "host=$T port=5432 dbname=fleet user=fleet2" line-1 5 station.stop "" "" '{}' >"$T/bind.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "station line-1 writes only as role fleet, not as fleet2" "$T/bind.out" || { cat "$T/bind.out"; fail "fleet2 ingesting as line-1 ($rc)"; }
"$D" ingest "host=$T port=5432 dbname=fleet user=fleet2" line-9 0 station.start "" "" '{}' >/dev/null || fail "fleet2 as a new station"
[ "$(sql "SELECT role FROM station_roles WHERE station_id = 'line-9'")" = fleet2 ] || fail "line-9 is not bound to fleet2"
ok "line-1 bound to fleet: fleet2 (another station's writer) refused an entry, a fork, a lease and a binding in line-1's name; a new station line-9 bound to fleet2"

echo "-- a newer schema"
asql "UPDATE fleet_schema SET version = 6"
rc=0; "$D" open "$conn" >"$T/newer.out" 2>&1 || rc=$?
[ "$rc" = 4 ] && grep -q "schema version 6, newer than this signer knows (5)" "$T/newer.out" || { cat "$T/newer.out"; fail "a newer schema ($rc)"; }
asql "UPDATE fleet_schema SET version = 5"
ok "schema 6 refused: '$(head -n 1 "$T/newer.out")'"

echo "-- stop"
PG_STOP=1 "$top/scripts/pg-setup.sh" "$T" || fail "PG_STOP=1"
i=0
while kill -0 "$pid" 2>/dev/null; do i=$((i + 1)); [ $i -lt 50 ] || fail "postmaster $pid still running"; sleep 0.1; done
[ ! -e "$T/.s.PGSQL.5432" ] || fail "the socket is left"
PG_STOP=1 "$top/scripts/pg-setup.sh" "$T" || fail "PG_STOP=1 again"
ok "PG_STOP=1: postmaster $pid gone, socket removed; again: nothing to do"
