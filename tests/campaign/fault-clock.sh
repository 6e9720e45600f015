#!/bin/sh
# Fault (issue #12): the clock steps backwards. libfaketime (Debian's faketime package) runs
# under the signer, where every recorded time comes from ($STATION_SIGNER is a wrapper that
# preloads it; the wall clock only: CLOCK_MONOTONIC, which the station's timeouts use, goes on).
# Its offset is read from a file at each call, so it is stepped while a run goes on.
#   small   0.5 s back during a run: absorbed (an entry then takes its predecessor's time),
#           every board PASS;
#   mid     2 h back during a run of boards at 2400 baud: the signer records and issues
#           nothing more; each board ends FAIL E_DB, stderr says "behind the last audit entry"
#           and what to do; the run exits 5 when a result could not be recorded, else 1;
#   start   still 2 h back at the next start: an error event and exit 4 or 5 (the first write
#           the signer tries: start-up recovery or its log-in entry) before any board, the same
#           message on stderr.
# Each: nothing lost, and the log's times never go backwards; with the clock set right the
# boards run again to PASS. FAULT_QUICK=1: only a start with the clock 2 h back (make test).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-faults.sh"
ft=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -f "$ft" ] || ft=$(find /usr/lib -name libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$ft" ] && [ -f "$ft" ] || fail "libfaketime not found (apt-get install faketime)"
cat >"$T/signer-faketime" <<EOS
#!/bin/sh
export LD_PRELOAD=$ft FAKETIME_TIMESTAMP_FILE=$T/faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
exec "$BIN/station-signer" "\$@"
EOS
chmod +x "$T/signer-faketime"
export STATION_SIGNER="$T/signer-faketime"
step() { echo "$1" >"$T/faketime"; }
backwards() { sqlite3 "$db" "SELECT COUNT(*) FROM log a JOIN log b ON b.seq = a.seq + 1 WHERE b.time < a.time"; }
step +0
run warm 1
[ "$rc" = 0 ] || { show_run warm; fail "warm-up run under libfaketime: exit $rc"; }

if [ -n "${FAULT_QUICK:-}" ]; then
	step -2h
	run start 2
	{ [ "$rc" = 4 ] || [ "$rc" = 5 ]; } && grep -q 'behind the last audit entry' "$T/start.err" ||
		{ show_run start; fail "start: exit $rc (expected 4 or 5) or no 'behind the last audit entry'"; }
	[ -z "$(results start)" ] || fail "start: a board was started with the clock 2 h back"
	start_rc=$rc
	step +0
	recovers start 2
	[ "$(backwards)" = 0 ] || fail "the log's times go backwards"
	ok "the clock 2 h back at the start: exit $start_rc before any board; set right: PASS"
	echo "PASS fault-clock (quick)"
	exit 0
fi

# small: a step back within the signer's slack
start_run small 3 --line-rate 9600
sleep 0.4
step -0.5
end_run
[ "$rc" = 0 ] && [ "$(results small | grep -c '"result":"PASS"')" = 3 ] ||
	{ show_run small; fail "small: a 0.5 s step back failed the run (exit $rc)"; }
[ "$(backwards)" = 0 ] || fail "small: the log's times go backwards"
nothing_lost small "$T/small"
ok "small: the clock 0.5 s back during a run: absorbed, 3 PASS, the log's times never go back"
figure clock_small "0.5 s back during a run: 3 of 3 PASS, log times monotonic"

# mid: 2 h back during a run
step +0
start_run mid 3 --line-rate 2400
sleep 1
step -2h
[ -z "$(results mid)" ] || { end_run; step +0; fail "mid: a board finished before the clock stepped"; }
end_run
mid_rc=$rc
f=$(results mid | grep -c '"code":"E_DB"' || true)
p=$(results mid | grep -c '"result":"PASS"' || true)
[ $((f + p)) = 3 ] && [ "$f" -gt 0 ] || { show_run mid; fail "mid: $f E_DB + $p PASS of 3 boards"; }
grep -q 'behind the last audit entry' "$T/mid.err" || { show_run mid; fail "mid: stderr does not say 'behind the last audit entry'"; }
unrec=$(results mid | grep -c '"recorded":false' || true)
if [ "$unrec" -gt 0 ]; then
	[ "$rc" = 5 ] && grep -q 'could not be recorded' "$T/mid.err" ||
		{ show_run mid; fail "mid: $unrec result(s) not recorded: exit $rc (expected 5)"; }
else
	[ "$rc" = 1 ] || { show_run mid; fail "mid: exit $rc, expected 1"; }
fi
[ "$(backwards)" = 0 ] || fail "mid: the log's times go backwards"
nothing_lost mid "$T/mid"
ok "mid: the clock 2 h back during a run: $f board(s) FAIL E_DB ($unrec not recorded then), $p PASS, exit $mid_rc"
figure clock_mid "2 h back during a run: $f E_DB ($unrec unrecorded until the next start), $p PASS, exit $mid_rc"
figure clock_message "$(grep -m1 'behind the last audit entry' "$T/mid.err" | cut -c1-300)"

# start: still back when the station starts
run start 2
{ [ "$rc" = 4 ] || [ "$rc" = 5 ]; } && grep -q 'behind the last audit entry' "$T/start.err" ||
	{ show_run start; fail "start: exit $rc (expected 4 or 5) or no 'behind the last audit entry'"; }
grep -q '"event":"error"' "$T/start.json" || fail "start: no error event"
[ -z "$(results start)" ] || fail "start: a board was started with the clock 2 h back"
ok "start: the clock still 2 h back: exit $rc before any board ($(jq -r 'select(.event == "error") | .message' "$T/start.json"))"
figure clock_start "still 2 h back at the start: exit $rc before any board: $(jq -r 'select(.event == "error") | .message' "$T/start.json")"

# the clock set right: everything runs again
step +0
recovers mid 3
recovers start 2
[ "$(backwards)" = 0 ] || fail "the log's times go backwards after the recovery"
ok "the clock set right: the boards PASS; the log's times never went backwards"
echo "PASS fault-clock"
