#!/bin/sh
# `station fleet status|verify|export` (issue #15, docs/fleet.md) against a private PostgreSQL
# registry (scripts/pg-setup.sh) filled with real station records: two stations provisioning
# simulated boards (each its own SoftHSM token), their SQLite logs and signed checkpoints pushed by the
# fleet-driver as a forwarder would (the second station's serials repeat the first's: conflicts),
# and a synthetic third station. Status against the registry's own counts; verify passing (exit 10:
# conflicts recorded), then failing, naming station and seq, when an export is edited (an entry, a
# claim row, a bundle file, a checkpoint signature) and when
# the registry itself is edited by its superuser (an entry with its leaf, an entry without, a
# claim row); export json/csv/bundle and verification offline. Both real stations' profiles
# declare [wifi] and [matter] (issue #16): their credential.committed entries are claims verify
# replays (cred_commitments, ssids), and a fourth station repeating their values is a conflict of
# each kind. Last, the registry made a schema-4 one (no credential tables): export and verify
# read them as empty.
set -eu
: "${FLEET_DRIVER:?FLEET_DRIVER must point at the fleet-driver test program}"
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$pgbin/initdb" ] || { echo "SKIP test-fleet-cli: needs PostgreSQL 15 (scripts/deps.sh)"; exit 0; }
. "$(dirname "$0")/lib.sh"
# the cluster in a directory of its own (as root it runs as station-pg, which cannot enter $T)
R=$(mktemp -d /tmp/station-fleetcli.XXXXXX)
trap 'PG_STOP=1 "$top/scripts/pg-setup.sh" "$R" >/dev/null 2>&1 || :; [ -n "${KEEP:-}" ] || rm -rf "$T" "$R"' EXIT
D=$FLEET_DRIVER
S=$BIN/station
# roles (docs/fleet.md "Roles"): the schema made by its owner (fleet_admin), the stations' entries
# written as a station's login (fleet), the commands run as an auditor's (fleet_audit: read only)
conn=$("$top/scripts/pg-setup.sh" "$R" 2>"$T/pg.err") || { cat "$T/pg.err"; fail "pg-setup.sh"; }
PG_ROLE=fleet_admin "$top/scripts/pg-setup.sh" "$R" >"$T/admin.conn" 2>"$T/pg.err" || { cat "$T/pg.err"; fail "pg-setup.sh admin"; }
audit=$(PG_ROLE=fleet_audit "$top/scripts/pg-setup.sh" "$R" 2>"$T/pg.err") || { cat "$T/pg.err"; fail "pg-setup.sh audit"; }
"$BIN/station-signer" fleet-init --registry-file "$T/admin.conn" >"$T/init.out" 2>&1 || { cat "$T/init.out"; fail "fleet-init"; }
su="host=$R port=5432 dbname=fleet user=pgadmin"
sql() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "$conn" -c "$1"; }
susql() { "$pgbin/psql" -X -q -tA -v ON_ERROR_STOP=1 "$su" -c "$1"; }
# the auditor's connection string in a file, as a password would be
printf '%s\n' "$audit" >"$T/registry"
chmod 600 "$T/registry"
REG="--registry-file $T/registry"

echo "-- two real stations, pushed to the registry"
# demo-station-1 is lib.sh's station; line-2 a station of its own (its own SoftHSM token, CA and record, as lib.sh makes them)
T2=$T/s2
P2=$T2/profile.ini
mkdir "$T2"
# onboarding credentials on both stations (the demo label's fixed size does not fit their codes)
sed -i '/^width_mm = /d; /^height_mm = /d' "$PROFILE"
cat >>"$PROFILE" <<'EOF'

[wifi]
ssid_prefix = TH2-
ssid_suffix = 6

[matter]
vendor_id = 0xFFF1
product_id = 0x8001
EOF
sed -e 's/^id = .*/id = line-2/' "$PROFILE" >"$P2"
"$top/scripts/hsm-setup.sh" "$T2" >"$T2/setup.log" 2>&1 || { cat "$T2/setup.log"; fail "line-2's hsm setup"; }
{ SOFTHSM2_CONF=$T2/softhsm2.conf "$S" ca init --profile "$P2" &&
	SOFTHSM2_CONF=$T2/softhsm2.conf "$S" lot open --profile "$P2"; } >"$T2/init.log" 2>&1 || { cat "$T2/init.log"; fail "line-2's ca init and lot open"; }
stub 3 "$T/b1" -- "$S" run --profile "$PROFILE" >"$T/run1.log" 2>&1 || { cat "$T/run1.log"; fail "demo-station-1 run"; }
SOFTHSM2_CONF=$T2/softhsm2.conf stub 2 "$T/b2" -- "$S" run --profile "$P2" >"$T/run2.log" 2>&1 || { cat "$T/run2.log"; fail "line-2 run"; }
n1=$(sqlite3 "$T/station.db" 'SELECT COUNT(*) FROM log')
n2=$(sqlite3 "$T2/station.db" 'SELECT COUNT(*) FROM log')
"$D" ingest-db "$conn" "$T/station.db" >"$T/ing1.out" 2>&1 || { cat "$T/ing1.out"; fail "ingest-db demo-station-1"; }
"$D" ingest-db "$conn" "$T2/station.db" >"$T/ing2.out" 2>&1 || { cat "$T/ing2.out"; fail "ingest-db line-2"; }
grep -q "^ingest-db ok station=demo-station-1 entries=$n1 held=0 checkpoints=[1-9]" "$T/ing1.out" || { cat "$T/ing1.out"; fail "demo-station-1 pushed"; }
grep -q "^ingest-db ok station=line-2 entries=$n2 held=0 " "$T/ing2.out" || { cat "$T/ing2.out"; fail "line-2 pushed"; }
# pushed again: all held, nothing new
"$D" ingest-db "$conn" "$T/station.db" | grep -q "entries=0 held=0" || fail "a second push of demo-station-1"
"$D" synth "$conn" line-3 100 20 25 "$T/k3.pem" >"$T/syn.out" 2>&1 || { cat "$T/syn.out"; fail "synth line-3"; }
"$D" lot "$conn" demo-station-1 LOT-DEMO-1 1000 >/dev/null && "$D" lease quota "$conn" demo-station-1 LOT-DEMO-1 40 >/dev/null &&
	"$D" lease serials "$conn" line-2 thermostat-v2 500 >/dev/null || fail "lot and leases"
# line-3 offers another entry 5 than the registry holds: a fork, recorded
rc=0; "$D" ingest "$conn" line-3 5 board.pass "" "" '{}' >"$T/fork.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$T/fork.out"; fail "line-3's fork ($rc)"; }
# line-4 (no checkpoint) draws demo-station-1's Wi-Fi credential and SSID and line-2's Matter
# setup code again: a cred_commitment conflict of each kind and an ssid conflict
ncred=$(sqlite3 "$T/station.db" "SELECT COUNT(*) FROM log WHERE kind='credential.committed'")
[ "$ncred" -ge 2 ] && [ "$(sql "SELECT count(*) FROM cred_commitments WHERE station_id='line-2'")" -ge 2 ] ||
	fail "the stations committed no onboarding credentials ($ncred)"
w1=$(sqlite3 "$T/station.db" "SELECT seq || ' ' || body FROM log WHERE kind='credential.committed' AND body LIKE '%\"wifi\"%' ORDER BY seq LIMIT 1")
m2=$(sqlite3 "$T2/station.db" "SELECT seq || ' ' || body FROM log WHERE kind='credential.committed' AND body LIKE '%\"matter\"%' ORDER BY seq LIMIT 1")
w1seq=${w1%% *}; w1body=$(printf '%s' "${w1#* }" | jq -c '{kind,commitment,public}')
m2seq=${m2%% *}; m2body=$(printf '%s' "${m2#* }" | jq -c '{kind,commitment,public}')
wc1=$(printf '%s' "$w1body" | jq -r .commitment); ssid1=$(printf '%s' "$w1body" | jq -r .public)
mc2=$(printf '%s' "$m2body" | jq -r .commitment)
"$D" ingest "$conn" line-4 0 station.start "" "" '{}' >/dev/null &&
	"$D" ingest "$conn" line-4 1 credential.committed 0102030405060708 "" "$w1body" >"$T/l4.out" 2>"$T/l4.err" &&
	"$D" ingest "$conn" line-4 2 credential.committed 0102030405060708 "" "$m2body" >>"$T/l4.out" 2>>"$T/l4.err" || fail "line-4's entries"
[ "$(sed -n 1p "$T/l4.out")" = "ingest ok held=0 conflicts=2" ] && [ "$(sed -n 2p "$T/l4.out")" = "ingest ok held=0 conflicts=1" ] ||
	{ cat "$T/l4.out" "$T/l4.err"; fail "line-4's credential conflicts"; }
nconf=$(sql "SELECT count(*) FROM conflicts")
[ "$nconf" -gt 0 ] || fail "line-2's serials repeat demo-station-1's: no conflict recorded"
ok "demo-station-1 ($n1 entries, $(grep -o 'checkpoints=[0-9]*' "$T/ing1.out")) and line-2 ($n2) from their SQLite records, line-3 synthetic, line-4 repeating their credentials; $nconf conflicts"

echo "-- status"
"$S" fleet status $REG >"$T/status.txt" 2>&1 || { cat "$T/status.txt"; fail "status"; }
"$S" fleet status $REG --json >"$T/status.json" || fail "status --json"
for st in demo-station-1 line-2 line-3; do grep -q "^$st " "$T/status.txt" || { cat "$T/status.txt"; fail "status lists no $st"; }; done
[ "$(jq .schema "$T/status.json")" = "$(sql "SELECT version FROM fleet_schema")" ] || fail "status: schema $(jq .schema "$T/status.json")"
[ "$(jq -r '.stations[] | select(.station=="demo-station-1") | .entries' "$T/status.json")" = "$n1" ] &&
[ "$(jq -r '.stations[] | select(.station=="line-2") | .entries' "$T/status.json")" = "$n2" ] || fail "entries held"
[ "$(jq -r '.stations[] | select(.station=="demo-station-1") | .last_checkpoint.size' "$T/status.json")" = \
	"$(sqlite3 "$T/station.db" 'SELECT MAX(size) FROM checkpoints')" ] || fail "demo-station-1's last checkpoint"
used=$(sqlite3 "$T/station.db" "SELECT COUNT(*) FROM log WHERE kind='cert.issued' AND lot='LOT-DEMO-1'")
[ "$(jq -c '.stations[] | select(.station=="demo-station-1") | .quota' "$T/status.json")" = "[{\"lot\":\"LOT-DEMO-1\",\"granted\":40,\"used\":$used}]" ] ||
	{ jq -c '.stations[0].quota' "$T/status.json"; fail "demo-station-1's quota (used $used)"; }
[ "$(jq -c '.stations[] | select(.station=="line-2") | .serial_blocks[] | [.product,.first,.count]' "$T/status.json")" = '["thermostat-v2",1,500]' ] ||
	fail "line-2's serial block"
dev=$(($(sqlite3 "$T/station.db" "SELECT COUNT(*) FROM log WHERE kind='board.pass'") + $(sqlite3 "$T2/station.db" "SELECT COUNT(*) FROM log WHERE kind='board.pass'") + 20))
[ "$(jq '.totals.devices' "$T/status.json")" = "$dev" ] && [ "$(jq '.totals.conflicts' "$T/status.json")" = "$nconf" ] &&
[ "$(jq '.conflicts | length' "$T/status.json")" = "$nconf" ] || fail "totals: $(jq -c .totals "$T/status.json"), expected $dev devices"
[ "$(jq -r '.conflicts[0] | .first.station + " " + .second.station' "$T/status.json")" = "demo-station-1 line-2" ] || fail "a conflict's claimants"
grep -q "first station demo-station-1 entry [0-9]*, then station line-2 entry" "$T/status.txt" || fail "conflicts in the table"
# the registry named by a profile's [fleet] section (a copy: the stations' own profiles have none)
PF=$T/profile-fleet.ini
cp "$PROFILE" "$PF"
printf '[fleet]\nregistry_file = %s\n' "$T/registry" >>"$PF"
[ "$("$S" fleet status --profile "$PF" --json | jq -c .totals)" = "$(jq -c .totals "$T/status.json")" ] || fail "status --profile"
rc=0; "$S" fleet status --profile "$PROFILE" >"$T/nofleet.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "has no \[fleet\] registry" "$T/nofleet.out" || { cat "$T/nofleet.out"; fail "a profile without [fleet] ($rc)"; }
ok "status: entries, last checkpoint, quota (40 granted, $used used), serial block, $dev devices, $nconf conflicts with both claimants; by --profile's [fleet]; none: exit 3"

echo "-- verify"
rc=0; "$S" fleet verify $REG >"$T/v.out" 2>"$T/v.err" || rc=$?
[ "$rc" = 10 ] || { cat "$T/v.out" "$T/v.err"; fail "verify exit $rc, expected 10 (conflicts recorded)"; }
[ ! -s "$T/v.err" ] || { cat "$T/v.err"; fail "verify named problems"; }
grep -q "^fleet verified: 4 stations, $((n1 + n2 + 104)) entries, .* 0 problems$" "$T/v.out" || { cat "$T/v.out"; fail "verify summary"; }
[ "$(grep -c '^conflict: ' "$T/v.out")" = "$nconf" ] || fail "conflicts listed"
grep -q "^conflict: conflict [0-9]*: cred_commitment wifi/$wc1 claimed by station demo-station-1 entry $w1seq, then by station line-4 entry 1$" "$T/v.out" &&
grep -q "^conflict: conflict [0-9]*: ssid $ssid1 claimed by station demo-station-1 entry $w1seq, then by station line-4 entry 1$" "$T/v.out" &&
grep -q "^conflict: conflict [0-9]*: cred_commitment matter/$mc2 claimed by station line-2 entry $m2seq, then by station line-4 entry 2$" "$T/v.out" ||
	{ grep '^conflict' "$T/v.out"; fail "the credential conflicts listed with both claimants"; }
grep -q "^fork: fork [0-9]*: station line-3 offered another entry 5 " "$T/v.out" || fail "the fork listed"
rc=0; "$S" fleet verify $REG --json >"$T/v.json" || rc=$?
[ "$rc" = 10 ] && [ "$(jq -c '[.verified,.problems_total,.exit,.stations]' "$T/v.json")" = "[true,0,10,4]" ] || fail "verify --json"
# every claim row is one the pass matched to its entry: the credential rows too
[ "$(jq .claims "$T/v.json")" = "$(sql "SELECT (SELECT count(*) FROM chips) + (SELECT count(*) FROM serials) +
	(SELECT count(*) FROM cert_serials) + (SELECT count(*) FROM pubkeys) + (SELECT count(*) FROM pw_commitments) +
	(SELECT count(*) FROM cred_commitments) + (SELECT count(*) FROM ssids)")" ] || fail "verify: claims $(jq .claims "$T/v.json")"
[ "$(jq '.checkpoints' "$T/v.json")" -ge 3 ] && [ "$(jq '.keys' "$T/v.json")" = 3 ] || fail "checkpoints and keys checked"
ok "verify: $(tail -n 1 "$T/v.out")"

echo "-- export, offline verify"
for f in json csv bundle; do
	"$S" fleet export $REG --format $f --out "$T/ex-$f" >"$T/ex-$f.out" 2>&1 || { cat "$T/ex-$f.out"; fail "export $f"; }
done
[ "$(wc -l <"$T/ex-json/entries.jsonl")" = $((n1 + n2 + 104)) ] || fail "entries.jsonl"
[ "$(head -n 1 "$T/ex-csv/conflicts.csv" | tr -d '\r')" = "id,what,key,first_station,first_seq,second_station,second_seq,detected" ] || fail "conflicts.csv header"
[ -s "$T/ex-bundle/manifest.json" ] && [ ! -e "$T/ex-json/manifest.json" ] || fail "the bundle's manifest"
for tb in cred_commitments ssids; do
	[ "$(wc -l <"$T/ex-json/$tb.jsonl")" = "$(sql "SELECT count(*) FROM $tb")" ] && [ -s "$T/ex-json/$tb.jsonl" ] || fail "$tb.jsonl"
	[ "$(jq -r --arg f "$tb.jsonl" '.files[] | select(.name == $f) | .rows' "$T/ex-bundle/manifest.json")" = "$(sql "SELECT count(*) FROM $tb")" ] || fail "the manifest's $tb"
done
[ "$(head -n 1 "$T/ex-csv/cred_commitments.csv" | tr -d '\r')" = "kind,commitment,station_id,seq" ] &&
[ "$(head -n 1 "$T/ex-csv/ssids.csv" | tr -d '\r')" = "ssid,station_id,seq" ] || fail "the credential tables' csv headers"
[ "$(jq -r --arg c "$wc1" 'select(.kind == "wifi" and .commitment == $c and .station_id == "demo-station-1") | .seq' "$T/ex-json/cred_commitments.jsonl")" = "$w1seq" ] &&
[ "$(jq -r --arg s "$ssid1" 'select(.ssid == $s and .station_id == "demo-station-1") | .seq' "$T/ex-json/ssids.jsonl")" = "$w1seq" ] || fail "the credential claims exported"
rc=0; "$S" fleet export $REG --format json --out "$T/ex-json" >"$T/ex-again.out" 2>&1 || rc=$?
[ "$rc" = 5 ] && grep -q "is not empty" "$T/ex-again.out" || fail "export into a non-empty directory ($rc)"
for f in json bundle; do
	rc=0; "$S" fleet verify --from "$T/ex-$f" >"$T/vo-$f.out" 2>&1 || rc=$?
	[ "$rc" = 10 ] && grep -q "0 problems$" "$T/vo-$f.out" || { cat "$T/vo-$f.out"; fail "offline verify of the $f export ($rc)"; }
done
# an entry's body edited in the export: named by station and seq
seq=$(jq -r 'select(.station_id=="demo-station-1" and .kind=="board.pass") | .seq' "$T/ex-json/entries.jsonl" | head -n 1)
sed -i "/\"station_id\":\"demo-station-1\",\"seq\":\"$seq\",/s/\"body\":\"{/\"body\":\"{\\\\\"x\\\\\":1,/" "$T/ex-json/entries.jsonl"
rc=0; "$S" fleet verify --from "$T/ex-json" >"$T/vo-ed.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq $seq: its fields (board.pass) do not hash to the leaf held" "$T/vo-ed.out" ||
	{ cat "$T/vo-ed.out"; fail "an edited export entry ($rc)"; }
# the bundle: the manifest names the edited file first
sed -i 's/"chip_id":"[^"]*"/"chip_id":"chip-forged"/' "$T/ex-bundle/chips.jsonl"
rc=0; "$S" fleet verify --from "$T/ex-bundle" >"$T/vo-b.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "chips.jsonl does not match its manifest" "$T/vo-b.out" || { cat "$T/vo-b.out"; fail "an edited bundle ($rc)"; }
# the same claim edit without the manifest: the claim check names it
rm "$T/ex-bundle/manifest.json"
rc=0; "$S" fleet verify --from "$T/ex-bundle" >"$T/vo-c.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq [0-9]*: the chip claim row (.*/chip-forged) differs from what the entry claims" "$T/vo-c.out" ||
	{ cat "$T/vo-c.out"; fail "an edited claim in an export ($rc)"; }
# a checkpoint's signature altered (the bytes before its last base64 group): forged
"$S" fleet export $REG --format json --out "$T/ex-sig" >/dev/null || fail "export for the signature"
sed -i '/"station_id":"line-3","size":"25",/s/....\(...=\\n","received"\)/AAAA\1/' "$T/ex-sig/checkpoints.jsonl"
rc=0; "$S" fleet verify --from "$T/ex-sig" >"$T/vo-sig.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station line-3 seq 24: checkpoint of size 25: its signature does not verify: forged or altered" "$T/vo-sig.out" ||
	{ cat "$T/vo-sig.out"; fail "a forged checkpoint signature ($rc)"; }
# an export without the credential tables' files (as made before they were exported) reads them as
# empty: every credential.committed entry is named as claiming without a claim row
"$S" fleet export $REG --format json --out "$T/ex-old" >/dev/null || fail "export for the old layout"
rm "$T/ex-old/cred_commitments.jsonl" "$T/ex-old/ssids.jsonl"
rc=0; "$S" fleet verify --from "$T/ex-old" >"$T/vo-old.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq $w1seq: it claims cred_commitment wifi/$wc1, but no claim row" "$T/vo-old.out" &&
	grep -q "^PROBLEM: station demo-station-1 seq $w1seq: it claims ssid $ssid1, but no claim row" "$T/vo-old.out" ||
	{ cat "$T/vo-old.out"; fail "an export without the credential tables ($rc)"; }
# and a bundle whose manifest lists the 13 older files only: the two read as empty, whatever files are there
"$S" fleet export $REG --format bundle --out "$T/ex-oldb" >/dev/null || fail "bundle for the old layout"
jq '.files |= map(select(.name != "cred_commitments.jsonl" and .name != "ssids.jsonl"))' "$T/ex-oldb/manifest.json" >"$T/m.json" &&
	mv "$T/m.json" "$T/ex-oldb/manifest.json" || fail "the old manifest"
rc=0; "$S" fleet verify --from "$T/ex-oldb" >"$T/vo-oldb.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq $w1seq: it claims ssid $ssid1, but no claim row" "$T/vo-oldb.out" ||
	{ cat "$T/vo-oldb.out"; fail "a bundle of the older layout ($rc)"; }
ok "json, csv and bundle exports (cred_commitments, ssids too); offline verify passes; an edited entry (seq $seq), a bundle file, a claim row, a forged checkpoint signature and missing credential tables are named"

echo "-- the registry edited by its superuser"
# an entry changed together with its leaf (the server's check holds): the signed checkpoints catch it
seq=$(sql "SELECT min(seq) FROM entries WHERE station_id='demo-station-1' AND kind='board.pass'")
susql "ALTER TABLE entries DISABLE TRIGGER USER;
	UPDATE entries SET body = replace(body, '{', '{\"x\":1,'),
	  leaf = sha256('\\x00'::bytea || convert_to(concat_ws(E'\\n', 'SPLOG1', seq::text, time, station_id,
	  operator, lot, kind, chip_id, serial, replace(body, '{', '{\"x\":1,')), 'UTF8'))
	  WHERE station_id = 'demo-station-1' AND seq = $seq;
	ALTER TABLE entries ENABLE TRIGGER USER;" || fail "the superuser's edit"
rc=0; "$S" fleet verify $REG >"$T/ve1.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq [0-9]*: checkpoint of size [0-9]* (signature valid): its root is not the root of the entries held: an entry of seq [0-9]*\.\.[0-9]* was changed" "$T/ve1.out" ||
	{ cat "$T/ve1.out"; fail "an entry edited with its leaf ($rc)"; }
# an entry changed alone (the leaf check dropped): named by its seq
susql "ALTER TABLE entries DISABLE TRIGGER USER; ALTER TABLE entries DROP CONSTRAINT entries_leaf;
	UPDATE entries SET operator = 'mallory' WHERE station_id = 'line-2' AND seq = 3;
	ALTER TABLE entries ENABLE TRIGGER USER;" || fail "the superuser's second edit"
rc=0; "$S" fleet verify $REG --json >"$T/ve2.json" 2>/dev/null || rc=$?
[ "$rc" = 7 ] && [ "$(jq -r '.problems[] | select(.station=="line-2" and .seq==3) | .what' "$T/ve2.json")" != "" ] &&
	jq -r '.problems[].what' "$T/ve2.json" | grep -q "do not hash to the leaf held" || { jq . "$T/ve2.json"; fail "an entry edited alone ($rc)"; }
# a claim row repointed
susql "ALTER TABLE serials DISABLE TRIGGER USER;
	UPDATE serials SET serial = 'TH2-99999999' WHERE station_id = 'line-3' AND seq = 1;
	ALTER TABLE serials ENABLE TRIGGER USER;" || fail "the superuser's claim edit"
rc=0; "$S" fleet verify $REG >"$T/ve3.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station line-3 seq 1: the serial claim row (TH2-99999999/thermo) differs" "$T/ve3.out" ||
	{ cat "$T/ve3.out"; fail "an edited claim row ($rc)"; }
# a conflict hidden: its row deleted and the second claimant given a claim row of its own (the
# primary key dropped); every entry then has its row: only the values' uniqueness shows it
key=$(sql "SELECT key FROM conflicts WHERE what = 'serial' ORDER BY id LIMIT 1")
susql "ALTER TABLE serials DROP CONSTRAINT serials_pkey; ALTER TABLE serials DISABLE TRIGGER USER;
	INSERT INTO serials(serial, product, station_id, seq) SELECT s.serial, s.product, c.second_station,
	  c.second_seq FROM conflicts c JOIN serials s ON s.serial = c.key WHERE c.what = 'serial' AND c.key = '$key';
	ALTER TABLE serials ENABLE TRIGGER USER; ALTER TABLE conflicts DISABLE TRIGGER USER;
	DELETE FROM conflicts WHERE what = 'serial' AND key = '$key';
	ALTER TABLE conflicts ENABLE TRIGGER USER;" || fail "the superuser's hidden conflict"
rc=0; "$S" fleet verify $REG >"$T/ve4.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: serial $key is claimed by 2 rows" "$T/ve4.out" || { cat "$T/ve4.out"; fail "a hidden conflict ($rc)"; }
# a false fork (a station's writer could record one against itself): its held hash is not entry 7's
susql "ALTER TABLE forks DISABLE TRIGGER USER;
	INSERT INTO forks(station_id, what, position, held, offered) VALUES ('line-3', 'entry', 7, sha256('x'), sha256('y'));
	ALTER TABLE forks ENABLE TRIGGER USER;" || fail "the superuser's false fork"
rc=0; "$S" fleet verify $REG >"$T/ve5.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station line-3 seq 7: fork [0-9]* says the registry held entry 7 with hash 2d711642...,.*a false fork" "$T/ve5.out" &&
	! grep -q "line-3 seq 5: fork" "$T/ve5.out" || { cat "$T/ve5.out"; fail "a false fork ($rc)"; }
# credential claims: a cred_commitments row changed, an ssids row deleted, an SSID given a second
# row (its primary key dropped), an ssid conflict's first claimant moved to the next entry
m1=$(sql "SELECT seq || ' ' || commitment FROM cred_commitments WHERE station_id = 'demo-station-1' AND kind = 'matter' ORDER BY seq LIMIT 1")
s2=$(sql "SELECT seq || ' ' || ssid FROM ssids WHERE station_id = 'line-2' ORDER BY seq LIMIT 1")
susql "ALTER TABLE cred_commitments DISABLE TRIGGER USER; ALTER TABLE ssids DISABLE TRIGGER USER;
	UPDATE cred_commitments SET commitment = repeat('ab', 32) WHERE station_id = 'demo-station-1' AND seq = ${m1%% *};
	DELETE FROM ssids WHERE station_id = 'line-2' AND seq = ${s2%% *};
	ALTER TABLE ssids DROP CONSTRAINT ssids_pkey;
	INSERT INTO ssids(ssid, station_id, seq) VALUES ('$ssid1', 'line-4', 1);
	ALTER TABLE cred_commitments ENABLE TRIGGER USER; ALTER TABLE ssids ENABLE TRIGGER USER;
	ALTER TABLE conflicts DISABLE TRIGGER USER;
	UPDATE conflicts SET first_seq = first_seq + 1 WHERE what = 'ssid' AND second_station = 'line-4';
	ALTER TABLE conflicts ENABLE TRIGGER USER;" || fail "the superuser's credential edits"
rc=0; "$S" fleet verify $REG >"$T/ve6.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq ${m1%% *}: the cred_commitment claim row (matter/abab.*) differs from what the entry claims (matter/${m1#* })" "$T/ve6.out" &&
	grep -q "^PROBLEM: station line-2 seq ${s2%% *}: it claims ssid ${s2#* }, but no claim row, no conflicts row" "$T/ve6.out" &&
	grep -q "^PROBLEM: station demo-station-1 seq $((w1seq + 1)): conflict [0-9]* names it as the first claimant of ssid $ssid1, which it does not claim" "$T/ve6.out" &&
	grep -q "^PROBLEM: ssid $ssid1 is claimed by 2 rows: the table's uniqueness was broken" "$T/ve6.out" ||
	{ cat "$T/ve6.out"; fail "edited credential claims ($rc)"; }
ok "an entry edited with its leaf (checkpoint range named), one without (line-2 seq 3), a claim row (line-3 seq 1), a conflict hidden behind a second claim row ($key), a false fork, a cred_commitments row edited, an ssids row deleted, an SSID claimed twice, an ssid conflict's claimant moved: verify exits 7"

echo "-- usage"
rc=0; "$S" fleet verify >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "verify without a registry: $rc"
rc=0; "$S" fleet status --registry "host=$R port=5432 dbname=nosuch user=fleet" >"$T/nodb.out" 2>&1 || rc=$?
[ "$rc" = 5 ] && grep -q "cannot connect to the fleet registry" "$T/nodb.out" || { cat "$T/nodb.out"; fail "an unreachable registry ($rc)"; }
"$S" fleet export --help | grep -q "^usage: station fleet export" || fail "export --help"
ok "no registry: 2; an unreachable one: 5"

echo "-- a registry of schema 4 (no credential tables)"
# made from this one by its superuser: the tables of schema 5 dropped, its version set back
susql "DROP TABLE cred_commitments, ssids; ALTER TABLE fleet_schema DISABLE TRIGGER USER;
	UPDATE fleet_schema SET version = 4; ALTER TABLE fleet_schema ENABLE TRIGGER USER;" || fail "schema 4"
"$S" fleet export $REG --format bundle --out "$T/ex-4" >"$T/ex-4.out" 2>&1 || { cat "$T/ex-4.out"; fail "export of a schema-4 registry"; }
[ -e "$T/ex-4/cred_commitments.jsonl" ] && [ ! -s "$T/ex-4/cred_commitments.jsonl" ] && [ ! -s "$T/ex-4/ssids.jsonl" ] &&
	[ "$(jq .schema "$T/ex-4/manifest.json")" = 4 ] || fail "a schema-4 export's credential tables"
rc=0; "$S" fleet verify $REG >"$T/v4.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "^PROBLEM: station demo-station-1 seq $w1seq: it claims cred_commitment wifi/$wc1, but no claim row" "$T/v4.out" &&
	! grep -q "cannot read" "$T/v4.out" || { cat "$T/v4.out"; fail "verify of a schema-4 registry ($rc)"; }
ok "export: empty credential tables; verify: the credential entries named as claims without a row"
