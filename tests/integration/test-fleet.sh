#!/bin/sh
# Many stations, one record (issue #15): three stations, each with its own SoftHSM2 token, CA and
# SQLite record, provisioning simulated boards (firmware-stub serve, TCP fixtures) against one
# private PostgreSQL registry (scripts/pg-setup.sh), through their signers' forwarders and
# leases. The registry is killed (kill -9, then restarted) and the forwarders are killed at
# random moments while two stations run in parallel; a third station, partitioned from the
# registry, provisions a chip another station already did and runs out of leased quota; a
# station's database restored from an old backup. Then: every entry of every station in the
# registry exactly once, the conflict reported, no serial allocated twice, the fleet quota held,
# the restored station refused and its fork recorded; station fleet verify passing, then failing on
# an entry the superuser edited. Real PostgreSQL, SoftHSM2, signer, stub.
. "$(dirname "$0")/lib.sh"
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$pgbin/initdb" ] || { echo "SKIP test-fleet: needs PostgreSQL 15 (scripts/deps.sh)"; exit 0; }
P=$(mktemp -d /tmp/station-fleet.XXXXXX)
trap 'touch "$T/stop-chaos" 2>/dev/null; PG_STOP=1 "$top/scripts/pg-setup.sh" "$P" >/dev/null 2>&1 || :;
	pkill -9 -f "forward --profile $T/" 2>/dev/null || :
	[ -n "${KEEP:-}" ] || rm -rf "$T" "$P"' EXIT
conn=$("$top/scripts/pg-setup.sh" "$P" 2>"$T/pg-setup.err") || { cat "$T/pg-setup.err"; fail "pg-setup.sh"; }
# the registry's owner makes the schema; the stations log in as a writer (docs/fleet.md "Roles")
PG_ROLE=fleet_admin "$top/scripts/pg-setup.sh" "$P" >"$T/admin.conn" 2>"$T/pg-setup.err" || { cat "$T/pg-setup.err"; fail "pg-setup.sh"; }
"$BIN/station-signer" fleet-init --registry-file "$T/admin.conn" >"$T/init.out" 2>&1 || { cat "$T/init.out"; fail "fleet-init"; }
sql() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "$conn" -c "$1"; }
rnd() { echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1)); }
QUOTA=30
LOT=LOT-FLEET-1
base=$((20000 + $(rnd 12000)))

# station DIR ID: a station of its own (token, CA, record) whose profile names the registry
# through a connection file (what a partition edits); small leases so that many are taken.
station_setup() {
	mkdir -p "$1"
	sed -e "s/^id = .*/id = $2/" -e "s/^lot = .*/lot = $LOT/" -e "s/^quota = .*/quota = $QUOTA/" \
		"$top/scripts/demo-profile.ini" >"$1/profile.ini"
	printf '\n[fleet]\nregistry_file = fleet.conn\nserial_block = 8\nquota_lease = 4\nlease_ttl = 1h\n' \
		>>"$1/profile.ini"
	printf '%s\n' "$conn" >"$1/fleet.conn"
	chmod 600 "$1/fleet.conn"
	"$top/scripts/hsm-setup.sh" "$1" >"$1/setup.log" 2>&1 || { cat "$1/setup.log"; fail "hsm setup $2"; }
	SOFTHSM2_CONF=$1/softhsm2.conf "$BIN/station" ca init --profile "$1/profile.ini" >"$1/ca.log" 2>&1 ||
		{ cat "$1/ca.log"; fail "ca init $2"; }
	SOFTHSM2_CONF=$1/softhsm2.conf "$BIN/station" lot open --profile "$1/profile.ini" >"$1/lot.log" 2>&1 ||
		{ cat "$1/lot.log"; fail "lot open $2"; }
}
# run DIR BOARDS-DIR N PORT OUT [STUB-OPTION...]: station DIR provisions the N boards of
# BOARDS-DIR over TCP; its exit status is left in OUT.rc (1 when a board failed)
run() {
	_d=$1 _b=$2 _n=$3 _p=$4 _o=$5
	shift 5
	rc=0
	SOFTHSM2_CONF=$_d/softhsm2.conf "$BIN/firmware-stub" serve --boards "$_n" --listen "127.0.0.1:$_p" --dir "$_b" "$@" -- \
		"$BIN/station" run --profile "$_d/profile.ini" --port "tcp:127.0.0.1:$_p-$((_p + _n - 1))" --json \
		>"$_o.json" 2>"$_o.err" || rc=$?
	echo "$rc" >"$_o.rc"
}
passes() { jq -r 'select(.event == "result" and .result == "PASS") | .chip_id' "$@" 2>/dev/null | wc -l; }
# flush DIR: the forwarder once, until the registry holds everything (exit 0)
flush() { SOFTHSM2_CONF=$1/softhsm2.conf "$BIN/station-signer" forward --profile "$1/profile.ini" --once; }

echo "-- three stations, one registry"
S1=$T/line-1 S2=$T/line-2 S3=$T/line-3
station_setup "$S1" line-1
station_setup "$S2" line-2
station_setup "$S3" line-3
ok "line-1, line-2, line-3: tokens, CAs, records; lot $LOT (quota $QUOTA) open on each; registry $conn"

echo "-- phase 1: connected, one after the other"
# the boards of line-1's first fixture exist before anything is provisioned, so that a copy of
# one of them (same chip ID) can later be seated at line-3
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$base" --dir "$T/A" >"$T/pre.out" 2>&1 &
pre=$!
wait_file "$T/pre.out" "^listening" || { cat "$T/pre.out"; fail "the stub did not start"; }
kill "$pre"; wait "$pre" 2>/dev/null || :
mkdir -p "$T/C"
cp "$T/A/board-0.flash" "$T/C/board-0.flash"
dupchip=$("$BIN/firmware-stub" show --flash "$T/A/board-0.flash" | jq -r .chip_id)
run "$S1" "$T/A" 1 "$base" "$T/p1-line-1"
run "$S3" "$T/B3" 2 $((base + 10)) "$T/p1-line-3"
[ "$(cat "$T/p1-line-1.rc") $(cat "$T/p1-line-3.rc")" = "0 0" ] && [ "$(passes "$T/p1-line-1.json" "$T/p1-line-3.json")" = 3 ] ||
	{ cat "$T"/p1-*.err; fail "phase 1: 3 PASS expected"; }
[ "$(sql "SELECT string_agg(station_id || ':' || kind || ':' || first || '+' || count, ' ' ORDER BY id) FROM leases")" = \
	"line-1:quota:0+4 line-1:serials:1+8 line-3:quota:0+4 line-3:serials:9+8" ] ||
	fail "leases after phase 1: $(sql "SELECT string_agg(station_id || ':' || kind || ':' || first || '+' || count, ' ' ORDER BY id) FROM leases")"
ok "line-1 provisioned chip $dupchip, line-3 two boards: leases quota 4 + serials 1-8 to line-1, quota 4 + serials 9-16 to line-3"

echo "-- phase 2: line-1 and line-2 in parallel; the registry and the forwarders killed at random"
rm -f "$T/stop-chaos"
(
	k=0
	while [ ! -e "$T/stop-chaos" ] && [ $k -lt 40 ]; do
		k=$((k + 1))
		sleep "0.$(rnd 3)$(rnd 10)"
		if [ $((k % 3)) = 0 ]; then
			# the registry dies as a power cut would have it (kill -9 every process), then comes back
			pm=$(head -n 1 "$P/pg/postmaster.pid" 2>/dev/null || :)
			if [ -n "$pm" ]; then
				# stopped first, so that it forks no backend between the two kills; then
				# wait until none is left holding the shared memory a new server needs
				kill -STOP "$pm" 2>/dev/null || :
				kids=$(pgrep -P "$pm" || :)
				kill -9 "$pm" $kids 2>/dev/null || :
				for p in $pm $kids; do
					while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
				done
				echo "registry killed" >>"$T/chaos.log"
				sleep "0.$(rnd 10)"
				"$top/scripts/pg-setup.sh" "$P" >/dev/null 2>>"$T/chaos.log" || echo "restart failed" >>"$T/chaos.log"
			fi
		else
			pkill -9 -f "forward --profile $T/line-[12]/" 2>/dev/null && echo "forwarder killed" >>"$T/chaos.log" || :
		fi
	done
) &
chaos=$!
# boards that take 1.5 s to make their key: the chaos has time to strike mid-run
run "$S1" "$T/A2" 6 $((base + 20)) "$T/p2-line-1" --keygen-ms 1500 &
r1=$!
run "$S2" "$T/B2" 6 $((base + 30)) "$T/p2-line-2" --keygen-ms 1500 &
r2=$!
wait "$r1" "$r2" || :
touch "$T/stop-chaos"
wait "$chaos" || :
"$top/scripts/pg-setup.sh" "$P" >/dev/null 2>>"$T/chaos.log" || fail "the registry does not come back"
p2=$(passes "$T/p2-line-1.json" "$T/p2-line-2.json")
[ "$p2" -ge 1 ] || { cat "$T"/p2-*.err; fail "phase 2: no board passed"; }
# every board that did not pass says why: the fleet quota, or the registry it could not reach
fails=$(jq -r 'select(.event == "result" and .result != "PASS") | .reason' "$T/p2-line-1.json" "$T/p2-line-2.json")
echo "$fails" | grep -v -e '^$' -e 'fleet quota' -e 'fleet registry' -e 'registry' | grep . &&
	{ echo "$fails"; fail "phase 2: a board failed for another reason"; }
ok "phase 2: $p2 of 12 boards PASS; chaos: $(grep -c 'registry killed' "$T/chaos.log" || :) registry kills, $(grep -c 'forwarder killed' "$T/chaos.log" || :) forwarder kills; others refused: $(echo "$fails" | grep -c . || :)"

echo "-- phase 3: line-3 partitioned from the registry"
printf 'host=%s/nowhere port=5432 dbname=fleet user=fleet connect_timeout=2\n' "$P" >"$S3/fleet.conn"
run "$S3" "$T/C" 1 $((base + 40)) "$T/p3-line-3"
[ "$(jq -r "select(.event == \"result\" and .chip_id == \"$dupchip\") | .result" "$T/p3-line-3.json")" = PASS ] ||
	{ cat "$T/p3-line-3.json" "$T/p3-line-3.err"; fail "phase 3: the partitioned station did not provision chip $dupchip"; }
run "$S3" "$T/C2" 2 $((base + 45)) "$T/p3b-line-3"
[ "$(passes "$T/p3b-line-3.json")" = 1 ] &&
	jq -r 'select(.event == "result" and .result != "PASS") | .reason' "$T/p3b-line-3.json" | grep -q "fleet quota leased to it, and the fleet registry leases no more" ||
	{ cat "$T/p3b-line-3.json"; fail "phase 3: one board PASS and one refused for want of a lease expected"; }
ok "partitioned line-3 provisioned chip $dupchip (line-1's) on its remaining lease, then one of two more boards, and refused the other: '$(jq -r 'select(.event == "result" and .result != "PASS") | .reason' "$T/p3b-line-3.json" | cut -c1-90)...'"

echo "-- reconnected: every entry once, the conflict, serials, quota"
printf '%s\n' "$conn" >"$S3/fleet.conn"
for s in "$S1" "$S2" "$S3"; do
	n=0
	until flush "$s" 2>"$T/flush.err"; do
		n=$((n + 1)); [ $n -lt 5 ] || { cat "$T/flush.err"; fail "forward --once for $s"; }; sleep 1
	done
done
for id in line-1 line-2 line-3; do
	sqlite3 "$T/$id/station.db" "SELECT seq || ' ' || lower(hex(leaf)) FROM log ORDER BY seq" >"$T/$id.local"
	sql "SELECT seq || ' ' || encode(leaf, 'hex') FROM entries WHERE station_id = '$id' ORDER BY seq" >"$T/$id.registry"
	cmp -s "$T/$id.local" "$T/$id.registry" || { diff "$T/$id.local" "$T/$id.registry" | head; fail "$id: the registry does not hold its log exactly"; }
	[ "$(sql "SELECT count(*) FROM checkpoints WHERE station_id = '$id'")" = \
		"$(sqlite3 "$T/$id/station.db" "SELECT count(*) FROM checkpoints")" ] || fail "$id: checkpoints"
done
[ "$(sql "SELECT what || ' ' || key || ' ' || first_station || ' ' || second_station FROM conflicts")" = \
	"chip thermostat-v2/$dupchip line-1 line-3" ] || fail "conflicts: $(sql "SELECT * FROM conflicts")"
[ "$(sql "SELECT count(*) FROM (SELECT serial FROM entries WHERE kind = 'serial.allocated' GROUP BY serial HAVING count(*) > 1) d")" = 0 ] ||
	fail "a serial allocated twice: $(sql "SELECT serial FROM entries WHERE kind = 'serial.allocated' GROUP BY serial HAVING count(*) > 1")"
issued=$(sql "SELECT count(*) FROM entries WHERE kind = 'cert.issued' AND lot = '$LOT'")
leased=$(sql "SELECT COALESCE(sum(count), 0) FROM leases WHERE kind = 'quota' AND scope = '$LOT'")
[ "$issued" -le "$QUOTA" ] && [ "$leased" -le "$QUOTA" ] || fail "fleet quota $QUOTA: $issued issued, $leased leased"
total=$(passes "$T"/p*-line-*.json)
[ "$(sql "SELECT count(*) FROM entries WHERE kind = 'board.pass'")" = "$total" ] || fail "board.pass entries vs $total PASS"
for id in line-1 line-2 line-3; do
	"$BIN/station" audit verify --db "$T/$id/station.db" >"$T/$id.verify" 2>&1 || { cat "$T/$id.verify"; fail "$id: audit verify"; }
done
ok "each station's log and checkpoints in the registry exactly (leaf for leaf); conflict chip $dupchip line-1/line-3; no serial twice; quota $QUOTA: $issued issued, $leased leased; $total PASS; audit verify passes on the three records"

echo "-- a station's database restored from an old backup"
sqlite3 "$S2/station.db" ".backup '$T/line-2.backup'"
run "$S2" "$T/B5" 1 $((base + 50)) "$T/p5-line-2"
flush "$S2" 2>/dev/null || :
before=$(sql "SELECT count(*) FROM entries WHERE station_id = 'line-2'")
cp "$T/line-2.backup" "$S2/station.db"
rm -f "$S2/station.db-wal" "$S2/station.db-shm" "$S2/station.db.signer-state"
# restored while the registry cannot be reached: the station goes on on the leases its old
# record holds, and writes a history of its own (as long as, or longer than, the registry's)
printf 'host=%s/nowhere port=5432 dbname=fleet user=fleet connect_timeout=2\n' "$P" >"$S2/fleet.conn"
for k in 6 7 8; do
	run "$S2" "$T/B$k" 1 $((base + 50 + k * 5)) "$T/p$k-line-2"
done
[ "$(sqlite3 "$S2/station.db" "SELECT count(*) FROM log")" -ge "$before" ] ||
	fail "the restored station's log is shorter than the registry's: the test proves nothing"
printf '%s\n' "$conn" >"$S2/fleet.conn"
rc=0; flush "$S2" 2>"$T/fork.err" || rc=$?
[ "$rc" = 3 ] && grep -q -e "its history forks" -e "has a forked history recorded" "$T/fork.err" ||
	{ cat "$T/fork.err"; fail "the restored station's history was not seen to fork (forward rc $rc)"; }
[ "$(sql "SELECT DISTINCT station_id FROM forks")" = "line-2" ] || fail "forks: $(sql "SELECT * FROM forks")"
[ "$(sql "SELECT count(*) FROM entries WHERE station_id = 'line-2'")" = "$before" ] || fail "the registry took entries of the forked station"
run "$S2" "$T/B9" 1 $((base + 100)) "$T/p9-line-2"
jq -r 'select(.event == "result") | .result + " " + .reason' "$T/p9-line-2.json" | grep -q -e "^FAIL the fleet registry recorded 1 fork(s) of this station" -e "^FAIL database restored" ||
	{ cat "$T/p9-line-2.json" "$T/p9-line-2.err"; fail "the forked station issued"; }
ok "line-2 restored from a backup and run offline to $(sqlite3 "$S2/station.db" "SELECT count(*) FROM log") entries (the registry holds $before): on reconnection its fork is recorded ($(sql "SELECT what || ' at ' || position FROM forks" | tr '\n' ' ')), nothing more taken, and its next board refused: '$(jq -r 'select(.event == "result") | .reason' "$T/p9-line-2.json" | cut -c1-80)...'"

echo "-- station fleet verify: the fleet as the registry holds it, then an entry edited"
audit=$(PG_ROLE=fleet_audit "$top/scripts/pg-setup.sh" "$P" 2>>"$T/pg-setup.err") || fail "pg-setup.sh PG_ROLE=fleet_audit"
printf '%s\n' "$audit" >"$T/audit.conn"
rc=0; "$BIN/station" fleet verify --registry-file "$T/audit.conn" >"$T/fv1.out" 2>&1 || rc=$?
# 10: everything holds, and conflicts or forks are recorded (the chip twice, the restored line-2)
[ "$rc" = 10 ] && ! grep -q "^PROBLEM" "$T/fv1.out" || { cat "$T/fv1.out"; fail "fleet verify: exit $rc, 10 and no problem expected"; }
"$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "host=$P port=5432 dbname=fleet user=pgadmin" -c \
	"ALTER TABLE entries DISABLE TRIGGER USER; ALTER TABLE entries DROP CONSTRAINT entries_leaf;
	 UPDATE entries SET body = '{\"edited\":1}' WHERE station_id = 'line-3' AND seq = 3" >/dev/null ||
	fail "editing the registry as its superuser"
rc=0; "$BIN/station" fleet verify --registry-file "$T/audit.conn" >"$T/fv2.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station line-3 seq 3" "$T/fv2.out" || { cat "$T/fv2.out"; fail "fleet verify after an edit: exit $rc, 7 naming line-3 seq 3 expected"; }
ok "station fleet verify (as fleet_audit): exit 10, no problem, $(grep -c '' "$T/fv1.out") lines; an entry of line-3 edited by the superuser: exit 7, '$(grep -m1 '^PROBLEM' "$T/fv2.out" | cut -c1-90)'"
