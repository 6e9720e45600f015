# lib-faults.sh: what the fault scripts of the campaign (tests/campaign/fault-*.sh) share. Source
# it after tests/integration/lib.sh. Each fault script injects its fault into real components
# (SoftHSM2's token files, the file system under the database, SQLite's locks, the clock, a
# signal) while `station run` provisions boards behind the firmware-stub simulator, and checks:
#   - a clear error: the station's exit code and a message grepped for (named in each script);
#   - nothing lost: `station audit verify` passes, no board holds a certificate the log lacks,
#     no serial or certificate serial was issued twice;
#   - recovery: with the fault removed, the same boards simply run again end PASS (or DONE).
# Figures go to RESULT (default $T/result), one "key value" line each.
RESULT=${RESULT:-$T/result}
db=$T/station.db
: >"$RESULT"
fail() { KEEP=1; echo "FAIL: $* (kept $T)" >&2; exit 1; }
figure() { echo "$1 $2" >>"$RESULT"; }

# start_run NAME NBOARDS [STUB-ARGS...]: a `station run --json` in the background on fresh boards
# in $T/NAME (or the boards in $boards, when set), output in $T/NAME.json and $T/NAME.err;
# returns once its start event is out (or the run is over). $run_pid is the simulator's pid.
start_run() {
	name=$1 nb=$2
	shift 2
	"$BIN/firmware-stub" sim --boards "$nb" --dir "${boards:-$T/$name}" "$@" -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$T/$name.json" 2>"$T/$name.err" &
	run_pid=$!
	w=0
	while ! grep -q '"event":"start"' "$T/$name.json" 2>/dev/null && kill -0 "$run_pid" 2>/dev/null; do
		w=$((w + 1))
		[ $w -lt 3000 ] || fail "$name: the run did not start in 30 s"
		sleep 0.01
	done
}
# end_run: waits for the run started last; $rc is its exit status
end_run() {
	rc=0
	wait "$run_pid" || rc=$?
}
# run NAME NBOARDS [STUB-ARGS...]: one run in the foreground; $rc
run() {
	start_run "$@"
	end_run
}
show_run() { cat "$T/$1.json" "$T/$1.err" >&2; }
results() { grep '"event":"result"' "$T/$1.json" || true; }
# station_pid: the station process under the simulator started last (empty when none)
station_pid() {
	for c in $(cat /proc/"$run_pid"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" != station ] || { echo "$c"; return 0; }
	done
}

# nothing_lost WHAT DIR...: the record verifies, holds every certificate the boards in DIR...
# hold, and no serial was issued twice
nothing_lost() {
	what=$1
	shift
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "$what: database integrity check failed"
	"$BIN/station" audit verify --db "$db" >"$T/verify.out" 2>&1 ||
		{ cat "$T/verify.out" >&2; fail "$what: audit verify failed"; }
	for d in "$@"; do
		for fl in "$d"/board-*.flash; do
			[ -f "$fl" ] || continue
			show=$("$BIN/firmware-stub" show --flash "$fl")
			[ "$(echo "$show" | jq -r .chain_len)" != 0 ] || continue
			pk=$(echo "$show" | jq -r .pubkey_sha256)
			[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='cert.issued' AND json_extract(body,'\$.pubkey_sha256')='$pk'")" = 1 ] ||
				fail "$what: board $fl holds a certificate for key $pk that the log lacks"
		done
	done
	[ "$(sqlite3 "$db" "SELECT (SELECT COUNT(*) - COUNT(DISTINCT serial) FROM log WHERE kind='serial.allocated')
		+ (SELECT COUNT(*) - COUNT(DISTINCT serial) FROM serials) + (SELECT COUNT(*) - COUNT(DISTINCT cert_serial) FROM certs)")" = 0 ] ||
		fail "$what: a serial or certificate serial was issued twice"
}

# recovers NAME NBOARDS: the boards of run NAME, simply run again, all end PASS or DONE, and
# nothing is left open (no certificate 'issued', no serial 'allocated')
recovers() {
	boards=$T/$1
	run "$1-again" "$2"
	boards=""
	[ "$rc" = 0 ] || { show_run "$1-again"; fail "$1: the re-run after the fault exited $rc"; }
	n=$(results "$1-again" | grep -c '"result":"\(PASS\|DONE\)"' || true)
	[ "$n" = "$2" ] || { show_run "$1-again"; fail "$1: $n of $2 boards PASS or DONE after the fault"; }
	[ "$(sqlite3 "$db" "SELECT (SELECT COUNT(*) FROM certs WHERE status='issued') + (SELECT COUNT(*) FROM serials WHERE status='allocated')")" = 0 ] ||
		fail "$1: a certificate 'issued' or a serial 'allocated' left after the re-run"
	nothing_lost "$1 (after the re-run)" "$T/$1"
}
