#!/bin/sh
# The station line console in a real terminal (issue #11): the real station, signer and
# simulated fixtures in a tmux pane, read back with capture-pane at known moments: the tiles of
# 4 fixtures, PASS and FAIL with its one-line remedy, a board taken out (READY again), pause and
# resume, a resize to one row per fixture and back, and the quit key (graceful: exit 0,
# station.stop and a stop checkpoint recorded). As root, the same console again in service mode
# (the station has dropped root, left its controlling terminal and entered its sandbox).
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "SKIP test-line-console: needs tmux"; exit 0; }
db=$T/station.db
S=$T/slots F=$T/flash
mkdir -p "$S" "$F"
# The tmux socket lives apart: service-dir.sh below gives $T to the service users.
TS=$(mktemp -d /tmp/station-tmux.XXXXXX)
sock=$TS/tmux
trap 'tmux -S "$sock" kill-server >/dev/null 2>&1 || :; rm -rf "$TS"; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
tm() { tmux -S "$sock" "$@"; }
put() { printf '%s\n' "$2" >"$S/.t$1" && mv "$S/.t$1" "$S/slot-$1"; }
shot() { tm capture-pane -p -t t >"$T/screen"; }
show() { echo "--- screen ($1)"; cat "$T/screen"; echo "---"; tail -n 5 "$T/line.log" 2>/dev/null; }
wait_for() { # wait_for TEXT [what]: until TEXT is on the screen (20 s)
	wi=0
	while :; do
		shot
		grep -qF -- "$1" "$T/screen" && return 0
		wi=$((wi + 1))
		[ $wi -lt 200 ] || { show "waiting for '$1'"; fail "${2:-'$1' never appeared}"; }
		sleep 0.1
	done
}
count() { grep -oF -- "$1" "$T/screen" | wc -l; }

# line ENV...: the line in a fresh tmux pane (100x30), its exit status in $T/rc
runs=0
line() {
	rm -f "$T/rc"
	tm kill-server >/dev/null 2>&1 || :
	runs=$((runs + 1))
	sock=$TS/tmux.$runs # a server of its own: the last one may still be going away
	tm new-session -d -s t -x 100 -y 30 "env $* SOFTHSM2_CONF=$SOFTHSM2_CONF \
	    $BIN/firmware-stub sim --boards 4 --slots $S --dir $F -- \
	    $BIN/station line --profile $PROFILE --log $T/line.log 2>$T/line.err; echo \$? >$T/rc.new; mv $T/rc.new $T/rc; sleep 600"
}
quit() { # q, then the exit status must be 0
	tm send-keys -t t q
	wi=0
	while [ ! -s "$T/rc" ]; do
		wi=$((wi + 1))
		[ $wi -lt 200 ] || { shot; show "after q"; fail "the line did not stop after q"; }
		sleep 0.1
	done
	[ "$(cat "$T/rc")" = 0 ] || { cat "$T/line.err"; tail "$T/line.log"; fail "line after q: exit $(cat "$T/rc")"; }
}

for i in 0 1 2 3; do put $i ""; done
line "STATION_MODE=${STATION_MODE:-}"
wait_for "1-1.4" "the fixture tiles never appeared"
wait_for "lot LOT-DEMO-1"
wi=0
while shot; [ "$(count "READY")" -lt 4 ]; do
	wi=$((wi + 1)); [ $wi -lt 100 ] || { show "start"; fail "4 READY tiles expected"; }
	sleep 0.1
done
ok "4 fixture tiles, READY, titled by USB position; header with the lot"

put 0 "board good0"
put 1 "board bad1 --firmware-not-allowed"
wait_for "#PASS"
wait_for "!FAIL E_FIRMWARE"
wait_for "flash the release" "the FAIL tile does not show its remedy"
grep -q "TH2-" "$T/screen" || { show "PASS"; fail "the PASS tile shows no serial"; }
ok "PASS with its serial and FAIL E_FIRMWARE with its remedy, as the operator guide says"

put 0 ""
wi=0
while shot; grep -q "#PASS" "$T/screen"; do
	wi=$((wi + 1)); [ $wi -lt 100 ] || { show "after removal"; fail "the PASS tile stayed after the board was taken out"; }
	sleep 0.1
done
ok "board taken out: its fixture is READY again"

tm send-keys -t t p
wait_for "PAUSED"
put 2 "board good2"
sleep 1.5
shot
grep -q "#PASS" "$T/screen" && { show "paused"; fail "a board started while paused"; }
grep -q "PAUSED" "$T/screen" || { show "paused"; fail "no PAUSED on the screen"; }
tm send-keys -t t r
wait_for "#PASS" "the paused board did not start after r"
ok "p pauses (a seated board waits), r resumes (it passes)"

tm resize-window -t t -x 50 -y 14
wi=0
while shot; ! grep -q "^! 1-1.2" "$T/screen"; do
	wi=$((wi + 1)); [ $wi -lt 100 ] || { show "50x14"; fail "no one-row-per-fixture list at 50x14"; }
	sleep 0.1
done
awk 'length($0) > 50 { exit 1 }' "$T/screen" || { show "50x14"; fail "a line wider than 50 columns"; }
tm resize-window -t t -x 100 -y 30
wait_for "!FAIL E_FIRMWARE" "the tiles did not come back at 100x30"
ok "resized to 50x14 (one row per fixture) and back (tiles)"

quit
grep -q "stopped:" "$T/line.log" || fail "the log has no stop line"
[ "$(sqlite3 "$db" "SELECT kind FROM log WHERE kind IN ('station.start','station.stop') ORDER BY seq DESC LIMIT 1")" = station.stop ] ||
	fail "station.stop not recorded"
grep -q "last checkpoint [0-9]" "$T/line.log" || fail "no stop checkpoint: $(tail -n 1 "$T/line.log")"
ok "q: boards finished, station.stop and a stop checkpoint recorded, exit 0"

if [ "$(id -u)" = 0 ]; then
	echo "-- the console in service mode"
	getent passwd station >/dev/null || "$top/scripts/users.sh"
	chmod 755 "$T"
	"$top/scripts/service-dir.sh" "$T"
	chown station "$S" "$F" "$F"/* 2>/dev/null || :
	put 0 ""; put 1 ""; put 2 ""; put 3 ""
	line STATION_TEST_PRIVSEP=1 STATION_MODE=
	wait_for "1-1.4" "service mode: the fixture tiles never appeared"
	put 3 "board svc3"
	wait_for "#PASS" "service mode: no PASS"
	quit
	grep -q "sandboxed" "$T/line.log" || { cat "$T/line.log"; fail "service mode: not sandboxed"; }
	ok "service mode (dropped to user station, sandboxed): tiles, PASS, q"
fi
echo "PASS test-line-console"
