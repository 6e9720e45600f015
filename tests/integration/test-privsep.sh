#!/bin/sh
# Privilege separation and the sandbox against the simulated fixtures (station/sandbox/privsep.h,
# station/sandbox/sandbox.h, firmware-stub/host/sim-privsep.c). As root, with STATION_TEST_PRIVSEP=1,
# privsep-probe lists the fixtures (as station run does before it starts the signer), drops to
# the system user "station", enters the sandbox with the paths the station passes, lists the
# fixtures again and gets a HELLO from every board: serial adapters and USB bulk. Needs root
# (skipped otherwise) and the users of scripts/users.sh (created if missing).
set -eu
: "${BIN:?BIN must point at the bin directory of the build}"
: "${PRIVSEP_PROBE:?PRIVSEP_PROBE must point at the privsep-probe program}"
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP test-privsep: needs root (the station drops root only when started as root)"
	exit 0
fi
if ! getent passwd station >/dev/null || ! getent passwd station-signer >/dev/null; then
	"$top/scripts/users.sh"
fi
uid=$(id -u station)
# The usual umask: the modes checked below are the ones the station sets.
umask 022
T=$(mktemp -d /tmp/station-itest.XXXXXX)
trap 'rm -rf "$T"' EXIT

for kind in serial usb; do
	opt=""
	[ $kind = usb ] && opt=--usb
	rc=0
	STATION_TEST_PRIVSEP=1 "$BIN/firmware-stub" sim $opt --boards 3 --dir "$T/$kind" -- \
	    "$PRIVSEP_PROBE" --list-first >"$T/$kind.out" 2>&1 || rc=$?
	[ $rc = 0 ] || { cat "$T/$kind.out"; fail "$kind: probe exited $rc"; }
	grep -q "^ids: uid $uid euid $uid " "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: did not drop"; }
	grep -q "^sandbox: success" "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: no sandbox"; }
	grep -q "^answered: 3 of 3$" "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: boards"; }
	ok "$kind: as user station (uid $uid) in the sandbox, 3 boards listed and answered HELLO"
done

# Without the harness's help the dropped station cannot even list the fixtures.
rc=0
"$BIN/firmware-stub" sim --boards 1 --dir "$T/serial" -- "$PRIVSEP_PROBE" \
    >"$T/closed.out" 2>&1 || rc=$?
[ $rc != 0 ] || { cat "$T/closed.out"; fail "a root-owned testbed was usable after the drop"; }
ok "without STATION_TEST_PRIVSEP the testbed stays root's"

echo "-- a provisioning run in service mode (started as root)"
S=$T/svc
mkdir -p "$S"
cp "$top/scripts/demo-profile.ini" "$S/profile.ini"
"$top/scripts/hsm-setup.sh" "$S" >"$T/svc-setup.log" 2>&1 || { cat "$T/svc-setup.log"; fail "hsm setup"; }
export SOFTHSM2_CONF="$S/softhsm2.conf"
# The signer's files are the signer user's; the policy is root's; the labels are the station's.
"$top/scripts/service-dir.sh" "$S"
chmod 755 "$T"
P=$S/profile.ini
"$BIN/station" ca init --profile "$P" >"$T/svc-ca.log" 2>&1 || { cat "$T/svc-ca.log"; fail "ca init in service mode"; }
"$BIN/station" lot open --profile "$P" >"$T/svc-lot.log" 2>&1 || { cat "$T/svc-lot.log"; fail "lot open in service mode"; }
[ "$(stat -c %U "$S/station.db")" = station-signer ] || fail "the database is not the signer user's: $(ls -l "$S/station.db")"
ok "ceremony and lot open as root: the signer ran as station-signer (it owns station.db)"
rc=0
STATION_TEST_PRIVSEP=1 STATION_TEST_PROBE_OPEN="$S/hsm-user.pin:$S/tokens:$P:$top/README.md:$S/station.db:$S/station.db-wal:$S/station.db-shm" \
    STATION_TEST_PROBE_WRITE="$S/station.db" \
    "$BIN/firmware-stub" sim --boards 3 --dir "$T/svc-boards" -- "$BIN/station" run --profile "$P" --json \
    >"$T/svc.json" 2>"$T/svc.err" || rc=$?
[ $rc = 0 ] && [ "$(grep -c '"result":"PASS"' "$T/svc.json")" = 3 ] || { cat "$T/svc.err" "$T/svc.json"; fail "service run: exit $rc"; }
ok "3 boards PASS in service mode: $(grep -m1 'sandboxed' "$T/svc.err")"
probe() { grep -q "^probe: $1$" "$T/svc.err" || { cat "$T/svc.err"; fail "probe: expected '$1'"; }; ok "board-facing process: $1"; }
probe "uid $uid euid $uid"
probe "read $S/hsm-user.pin: Permission denied"
probe "read $S/tokens: Permission denied"
probe "write $S/station.db: Permission denied"
# the signer holds the database while the station runs: its -wal and -shm exist, and the
# board-facing process can read none of the three (their modes and its sandbox both refuse)
probe "read $S/station.db: Permission denied"
probe "read $S/station.db-wal: Permission denied"
probe "read $S/station.db-shm: Permission denied"
probe "read $P: ok"
probe "read $top/README.md: Permission denied"
grep -q "^probe: ptrace signer [0-9]*: Operation not permitted$" "$T/svc.err" || { cat "$T/svc.err"; fail "ptrace of the signer"; }
ok "board-facing process: ptrace of the signer: Operation not permitted"
label=$S/labels/$(ls "$S/labels" | head -n 1)
[ "$(stat -c %U "$label")" = station ] || fail "labels are not the station's"
# A second run's board-facing process writes new labels but cannot read the earlier ones (they
# hold passwords), nor create files in /dev.
rc=0
STATION_TEST_PRIVSEP=1 STATION_TEST_PROBE_OPEN="$label" STATION_TEST_PROBE_WRITE="/dev/shm/station-probe" \
    "$BIN/firmware-stub" sim --boards 1 --dir "$T/svc-boards2" -- "$BIN/station" run --profile "$P" --json \
    >"$T/svc2.json" 2>"$T/svc.err" || rc=$?
[ $rc = 0 ] || { cat "$T/svc.err"; fail "second service run: exit $rc"; }
probe "read $label: Permission denied"
[ ! -e /dev/shm/station-probe ] || { rm -f /dev/shm/station-probe; fail "the station created a file in /dev/shm"; }
probe "write /dev/shm/station-probe: Permission denied"
sep=$(sqlite3 "$S/station.db" "SELECT json_extract(body,'\$.separation') FROM log WHERE kind='hsm.login' ORDER BY seq DESC LIMIT 1")
[ "$sep" = service ] || fail "hsm.login separation: $sep"
"$BIN/station" ca info --profile "$P" >"$T/svc-info.json" || fail "ca info"
[ "$(jq -r .separation "$T/svc-info.json")" = service ] && [ "$(jq -r .signer_uid "$T/svc-info.json")" = "$(id -u station-signer)" ] ||
	fail "ca info: $(cat "$T/svc-info.json")"
ok "ca info: separation service, signer uid $(id -u station-signer); hsm.login records it"
"$BIN/station" audit verify --db "$S/station.db" >"$T/svc-verify.out" 2>&1 || { cat "$T/svc-verify.out"; fail "verify"; }
ok "$(cat "$T/svc-verify.out")"

# File modes (issue #12), service mode: the record (database, -wal, -shm) and the signer's own
# files are station-signer's, 0600; the checkpoint notes and the audit public key are public
# (0644). -wal and -shm exist while the signer holds the database: a line with no fixture holds
# it until SIGTERM.
STATION_MODE= "$BIN/station" line --profile "$P" --json >"$T/modes.json" 2>"$T/modes.err" &
lpid=$!
w=0
while ! grep -q '"event":"start"' "$T/modes.json" && [ $w -lt 300 ]; do
	w=$((w + 1))
	sleep 0.1
done
db=$S/station.db
stat -c '%a %U %n' "$db" "$db-wal" "$db-shm" "$db.lock" >"$T/modes.live" 2>&1 || :
kill -TERM $lpid
rc=0
wait $lpid || rc=$?
[ $w -lt 300 ] && [ $rc = 0 ] || { cat "$T/modes.json" "$T/modes.err"; fail "modes: the line did not start, or did not stop on SIGTERM (exit $rc)"; }
grep -q '"separated":true' "$T/modes.json" || { cat "$T/modes.json"; fail "modes: the line was not in service mode"; }
for f in "$db" "$db-wal" "$db-shm" "$db.lock"; do
	grep -qx "600 station-signer $f" "$T/modes.live" || { cat "$T/modes.live"; fail "modes: $f is not station-signer's 0600 while the signer runs"; }
done
mode() { [ "$(stat -c '%a %U' "$1")" = "$2" ] || fail "modes: $1 is $(stat -c '%a %U' "$1"), expected $2"; }
mode "$db" "600 station-signer"
mode "$db.signer-state" "600 station-signer"
mode "$S/checkpoints" "755 station-signer"
for f in "$S/checkpoints"/*.checkpoint "$S/audit-key.pem"; do mode "$f" "644 station-signer"; done
ok "file modes, service mode: station.db, -wal, -shm (live), .lock, .signer-state station-signer 0600; checkpoints/ 0755, checkpoint files and audit-key.pem 0644"

echo "-- labels in service mode: the printer helper prints, the board-facing process has no network"
mkdir -p "$T/jobs"
rm -f "$T/port"
python3 "$top/tests/integration/printer-sim.py" serve "$T/port" "$T/jobs" none &
sim_pid=$!
w=0; while [ ! -s "$T/port" ]; do w=$((w + 1)); [ $w -lt 500 ] || fail "printer-sim"; sleep 0.02; done
port=$(cat "$T/port")
# another listener the helper must not reach: only the printer's port is its
python3 "$top/tests/integration/printer-sim.py" serve "$T/port2" "$T/jobs2" none &
sim2_pid=$!
mkdir -p "$T/jobs2"
w=0; while [ ! -s "$T/port2" ]; do w=$((w + 1)); [ $w -lt 500 ] || fail "printer-sim 2"; sleep 0.02; done
port2=$(cat "$T/port2")
sed "s#^output = dir#output = tcp:127.0.0.1:$port#" "$P" >"$S/tcp.ini"
chown root:root "$S/tcp.ini" && chmod 644 "$S/tcp.ini"
rc=0
STATION_TEST_PRIVSEP=1 STATION_TEST_PROBE_TCP="$port:$port2" \
    "$BIN/firmware-stub" sim --boards 1 --dir "$T/svc-boards3" -- "$BIN/station" run --profile "$S/tcp.ini" --json \
    >"$T/svc3.json" 2>"$T/svc.err" || rc=$?
kill "$sim_pid" "$sim2_pid" 2>/dev/null || true
[ $rc = 0 ] && [ "$(jq -r 'select(.event == "label") | .state' "$T/svc3.json")" = printed ] ||
	{ cat "$T/svc.err" "$T/svc3.json"; fail "service run with a TCP printer: exit $rc"; }
[ -n "$(ls "$T/jobs")" ] || fail "the printer got nothing"
probe "station uid $uid: tcp 127.0.0.1:$port: Permission denied"
probe "station uid $uid: tcp 127.0.0.1:$port2: Permission denied"
probe "printer helper uid $uid: tcp 127.0.0.1:$port: ok"
probe "printer helper uid $uid: tcp 127.0.0.1:$port2: Permission denied"
ok "the label printed through the helper (uid $uid), which reaches only its printer's port"

echo "-- network fixtures in service mode: the sandbox grants exactly their TCP ports"
tp=$((30000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
rc=0
STATION_TEST_PROBE_TCP="$tp:$port2" "$BIN/firmware-stub" serve --boards 2 --listen "127.0.0.1:$tp" --dir "$T/svc-net" -- \
    "$BIN/station" run --profile "$P" --port "tcp:127.0.0.1:$tp-$((tp + 1))" --json >"$T/svc4.json" 2>"$T/svc.err" || rc=$?
[ $rc = 0 ] && [ "$(grep -c '"result":"PASS"' "$T/svc4.json")" = 2 ] || { cat "$T/svc.err" "$T/svc4.json"; fail "service run over TCP: exit $rc"; }
probe "station uid $uid: tcp 127.0.0.1:$tp: ok"
probe "station uid $uid: tcp 127.0.0.1:$port2: Permission denied"
ok "2 boards PASS over tcp:127.0.0.1:$tp-$((tp + 1)) in the sandbox, which reaches only those ports"

echo "-- what the station user cannot do"
cp "$P" "$S/evil.ini" && chown station "$S/evil.ini"
rc=0; "$BIN/station" ca info --profile "$S/evil.ini" >/dev/null 2>"$T/evil.err" || rc=$?
[ $rc = 4 ] && grep -q "may be written by another user" "$T/evil.err" || { cat "$T/evil.err"; fail "a station-writable profile: exit $rc"; }
ok "a profile the station user can write is refused by the signer (exit 4)"
rc=0
setpriv --reuid=station --regid=station --init-groups env -u STATION_MODE "$BIN/station" ca info --profile "$P" \
    >/dev/null 2>"$T/own.err" || rc=$?
[ $rc = 4 ] || { cat "$T/own.err"; fail "the station user started its own signer: exit $rc"; }
ok "the station user starting its own signer gets no HSM session: $(grep -m1 -o 'no HSM PIN[^;]*\|cannot[^;]*' "$T/own.err")"

echo "-- a provisioning run as an ordinary user (developer mode)"
U=$T/user
mkdir -p "$U" && chown nobody:nogroup "$U" && chmod 755 "$U"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups env -u STATION_MODE -u SOFTHSM2_CONF HOME="$U" \
    BIN="$BIN" top="$top" U="$U" sh -c '
	set -e
	cp "$top/scripts/demo-profile.ini" "$U/profile.ini"
	"$top/scripts/hsm-setup.sh" "$U" >"$U/setup.log" 2>&1
	export SOFTHSM2_CONF="$U/softhsm2.conf"
	"$BIN/station" ca init --profile "$U/profile.ini" >"$U/ca.log" 2>&1
	"$BIN/station" lot open --profile "$U/profile.ini" >"$U/lot.log" 2>&1
	"$BIN/firmware-stub" sim --boards 2 --dir "$U/b" -- "$BIN/station" run --profile "$U/profile.ini" --json \
	    >"$U/run.json" 2>"$U/run.err"' || rc=$?
[ $rc = 0 ] && [ "$(grep -c '"result":"PASS"' "$U/run.json")" = 2 ] || { cat "$U"/*.log "$U/run.err" 2>/dev/null; fail "user run: exit $rc"; }
grep -q "developer mode" "$U/run.err" || fail "developer mode not said"
ok "2 boards PASS as user nobody; the station says: $(grep -m1 -o 'developer mode: [^,]*' "$U/run.err")"
echo "PASS test-privsep"
