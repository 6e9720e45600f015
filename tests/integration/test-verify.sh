#!/bin/sh
# station verify (end-of-line QA, issue #11): boards the record has as PASS are checked against
# it (certificate, CA chain, fresh key-possession proof, lock) and recorded as board.checked;
# a board whose certificate or lock state disagrees with the record fails E_MISMATCH; a board
# never provisioned fails E_NOT_PROVISIONED; nothing is provisioned or changed.
. "$(dirname "$0")/lib.sh"
db=$T/station.db
verify() { # verify NAME STUB-ARGS...: station verify on the boards in $T/b (or as the args say)
	name=$1
	shift
	rc=0
	"$BIN/firmware-stub" sim "$@" -- "$BIN/station" verify --profile "$PROFILE" --json \
		>"$T/$name.json" 2>"$T/$name.err" || rc=$?
}
results() { jq -r 'select(.event == "result") | "\(.fixture) \(.result) \(.code)"' "$T/$1.json" | sort | tr '\n' ';'; }

stub 2 "$T/b" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run.json" 2>"$T/run.err" ||
	{ cat "$T/run.json" "$T/run.err"; fail "provisioning run"; }
c0=$("$BIN/firmware-stub" show --flash "$T/b/board-0.flash" | jq -r .chip_id)
c1=$("$BIN/firmware-stub" show --flash "$T/b/board-1.flash" | jq -r .chip_id)
entries=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind NOT IN ('board.checked','hsm.login','station.stop','checkpoint.signed')")
certs=$(sqlite3 "$db" "SELECT COUNT(*) FROM certs")

verify good --boards 2 --dir "$T/b"
[ "$rc" = 0 ] || { cat "$T/good.json" "$T/good.err"; fail "verify of two good boards: exit $rc"; }
[ "$(results good)" = "1-1.1 DONE ;1-1.2 DONE ;" ] || fail "verify of two good boards: $(results good)"
[ "$(jq -r 'select(.event == "start") | .mode' "$T/good.json")" = verify ] || fail "no start event of mode verify"
# issue #13: the start event names the build (the same object as `station version --json`).
[ "$(jq -c 'select(.event == "start") | .build' "$T/good.json")" = "$("$BIN/station" version --json)" ] ||
	fail "the start event's build object is not station version --json's"
[ "$(jq -r 'select(.event == "start") | [.version, .build.git, .build.openssl, .build.sqlite, .build.libusb] |
	map(select(. != null and . != "")) | length' "$T/good.json")" = 5 ] || fail "start event: version fields missing"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.checked' AND json_extract(body,'$.result')='PASS' AND
	json_extract(body,'$.proof')='verified'")" = 2 ] || fail "the checks were not recorded with a verified proof"
ok "two provisioned boards: DONE, recorded as board.checked with \"proof\":\"verified\""

# S-29: a PASS is recorded only with the board's proof over the signer's own challenge. A station
# acting on its own (the driver) with a genuine proof over a challenge of its choice, another
# board's proof, or a proof already used gets a refusal, recorded, and no PASS.
passes() { sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.checked' AND json_extract(body,'$.result')='PASS'"; }
refusals() { sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND json_extract(body,'$.request')='CHECKED' AND json_extract(body,'$.code')='$1'"; }
prove() { "$BIN/firmware-stub" prove --flash "$T/b/board-$1.flash" --challenge "$2" || fail "firmware-stub prove"; }
expect() { case $out in "$1"*) ;; *) fail "$2: $out" ;; esac; }
p0=$(passes) r0=$(refusals PROOF) s0=$(refusals SEQUENCE)
own=$(prove 0 "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')")
driver_open verify
driver_do checked "$c0" pass "sig=$own"
expect "refused out of sequence SEQUENCE: no challenge is outstanding" "CHECKED pass without a LOOKUP"
driver_do lookup "$c0"
ch=$(challenge "$out")
[ ${#ch} = 64 ] || fail "LOOKUP of a PASS board: no challenge: $out"
driver_do checked "$c0" pass "sig=$own"
expect "refused refused by policy PROOF" "CHECKED pass with a proof over the station's own challenge"
driver_do checked "$c0" pass "sig=$own"
expect "refused out of sequence SEQUENCE" "a second try on a spent challenge"
driver_do lookup "$c0"
good=$(prove 0 "$(challenge "$out")")
driver_do checked "$c0" pass "sig=$good"
expect "ok" "CHECKED pass with the board's proof over the signer's challenge"
i=0
while [ $i -lt 10 ]; do
	driver_do checked "$c0" pass "sig=$good"
	expect "refused out of sequence SEQUENCE" "replay $i of a used proof"
	i=$((i + 1))
done
driver_do lookup "$c0"
driver_do checked "$c0" pass "sig=$good"
expect "refused refused by policy PROOF" "a used proof against a new challenge"
driver_do lookup "$c0"
driver_do checked "$c0" pass "sig=$(prove 1 "$(challenge "$out")")"
expect "refused refused by policy PROOF" "another board's proof for chip $c0"
# The codec (Y-39..Y-41): a pass without a proof, a failure with one, a proof above 512 bytes.
hc=$(printf '%02x' $((${#c0} / 2)))$c0
driver_do raw "13${hc}0105656f6c2d31000000""0000"
expect "refused malformed request" "CHECKED pass without a proof"
driver_do raw "13${hc}0005656f6c2d310145000000""0130"
expect "refused malformed request" "CHECKED failure with a proof"
driver_do raw "13${hc}0105656f6c2d31000000""0201$(printf '5a%.0s' $(seq 513))"
expect "refused malformed request" "CHECKED with a proof of 513 bytes"
driver_do stop
driver_close || fail "driver"
[ "$(passes)" = $((p0 + 1)) ] || fail "PASS entries: $(passes), expected $((p0 + 1))"
[ "$(refusals PROOF)" = $((r0 + 3)) ] && [ "$(refusals SEQUENCE)" = $((s0 + 12)) ] ||
	fail "refusals: PROOF $(refusals PROOF) (was $r0), SEQUENCE $(refusals SEQUENCE) (was $s0)"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND json_extract(body,'$.request')='CHECKED' AND
	json_extract(body,'$.reason') LIKE 'malformed CHECKED request%'")" = 3 ] || fail "malformed CHECKED not recorded"
ok "CHECKED pass: without LOOKUP, over the station's challenge, replayed (10x), another board's: refused and recorded; one PASS"
entries=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind NOT IN ('board.checked','hsm.login','station.stop','checkpoint.signed')")

# Board 0 claims board 1's chip ID: it holds board 0's certificate, not the one recorded for it.
verify swapped --boards 2 --dir "$T/b" --fault-board 0 --duplicate-chip-id "$c1"
[ "$rc" = 1 ] || fail "certificate mismatch: exit $rc"
[ "$(results swapped)" = "1-1.1 FAIL E_MISMATCH;1-1.2 DONE ;" ] || { cat "$T/swapped.json"; fail "certificate mismatch: $(results swapped)"; }
jq -r 'select(.event == "result" and .code == "E_MISMATCH") | .reason' "$T/swapped.json" | grep -q "not the one recorded" ||
	fail "mismatch reason: $(jq -r 'select(.code == "E_MISMATCH") | .reason' "$T/swapped.json")"
ok "a locked board holding another certificate than recorded for its chip: E_MISMATCH"

# A blank board with a recorded chip ID: the record says locked, the board does not.
verify blank --boards 1 --dir "$T/blank" --duplicate-chip-id "$c0"
[ "$rc" = 1 ] && [ "$(results blank)" = "1-1.1 FAIL E_MISMATCH;" ] || { cat "$T/blank.json"; fail "lock state mismatch: $(results blank)"; }
ok "an unlocked board with a provisioned chip ID: E_MISMATCH ($(jq -r 'select(.code == "E_MISMATCH") | .reason' "$T/blank.json" | cut -c1-60)...)"

verify new --boards 1 --dir "$T/new"
[ "$rc" = 1 ] && [ "$(results new)" = "1-1.1 FAIL E_NOT_PROVISIONED;" ] || { cat "$T/new.json"; fail "new board: $(results new)"; }
[ "$("$BIN/firmware-stub" show --flash "$T/new/board-0.flash" | jq -r .state)" = BLANK ] || fail "verify changed a new board"
ok "a board never provisioned: E_NOT_PROVISIONED, left BLANK"
stopbody() { sqlite3 "$db" "SELECT json_extract(body,'$.lookups')||'/'||json_extract(body,'$.lookup_misses') FROM log WHERE kind='station.stop' ORDER BY seq DESC LIMIT 1"; }
[ "$(stopbody)" = 1/1 ] || fail "station.stop of the verify of a new board: lookups/misses $(stopbody), expected 1/1"
ok "station.stop counts the session's LOOKUPs and those that found no record (1/1)"

[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind NOT IN ('board.checked','hsm.login','station.stop','checkpoint.signed')")" = "$entries" ] &&
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs")" = "$certs" ] || fail "verify changed the record beyond its checks"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.checked' AND json_extract(body,'$.result')='FAIL'")" -ge 2 ] ||
	fail "failed checks not recorded"
"$BIN/station" verify --profile "$PROFILE" --lot X >/dev/null 2>&1 && fail "verify accepted --lot"

# S-30: LOOKUPs of guessed chip IDs are bounded and recorded: after 1000 misses in a session every
# LOOKUP is refused (QUOTA/LOOKUPS, logged once), and station.stop carries the counts.
{ seq 1 1001 | awk '{ printf "lookup feed%012x\n", $1 }'; printf 'lookup %s\nstop\n' "$c0"; } |
	STATION_SIGNER="$BIN/station-signer" "$SIGNER_DRIVER" script "$PROFILE" verify >"$T/enum.out" 2>&1 ||
	{ tail "$T/enum.out"; fail "driver"; }
[ "$(grep -c '^ok lookup NONE' "$T/enum.out")" = 1000 ] || fail "misses answered: $(grep -c '^ok lookup NONE' "$T/enum.out")"
sed -n 1001p "$T/enum.out" | grep -q "^refused quota reached LOOKUPS: 1000 LOOKUPs of this session found no record" ||
	fail "1001st miss: $(sed -n 1001p "$T/enum.out")"
sed -n 1002p "$T/enum.out" | grep -q "^refused quota reached LOOKUPS" || fail "LOOKUP of a PASS chip after the bound: $(sed -n 1002p "$T/enum.out")"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND json_extract(body,'$.code')='LOOKUPS'")" = 1 ] ||
	fail "LOOKUPS refusals logged: $(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND json_extract(body,'$.code')='LOOKUPS'"), expected 1"
[ "$(stopbody)" = 1002/1000 ] || fail "station.stop after the enumeration: lookups/misses $(stopbody), expected 1002/1000"
ok "1000 LOOKUP misses answered, the 1001st and later refused LOOKUPS (logged once); station.stop: 1002 lookups, 1000 misses"

# A compromised station names a shipped board's chip (or an unseen one) in a lock failure: the
# signer quarantines, and so revokes, only a board whose lock is pending in that very session.
cs0=$(sqlite3 "$db" "SELECT cert_serial FROM devices WHERE chip_id='$c0'")
printf 'session LOT-DEMO-1 mallory\nfail %s lock E_LOCK\nfail deadbeefcafe0001 lock E_LOCK_WRITES\nstop\n' "$c0" |
	STATION_SIGNER="$BIN/station-signer" "$SIGNER_DRIVER" script "$PROFILE" run >"$T/drv.out" 2>&1 ||
	{ cat "$T/drv.out"; fail "driver"; }
[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$c0'")" = pass ] &&
	[ "$(sqlite3 "$db" "SELECT status FROM certs WHERE cert_serial='$cs0'")" = confirmed ] &&
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.quarantined'")" = 0 ] ||
	fail "a FAIL E_LOCK for a board not in the session quarantined it: $(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$c0'")"
verify after --boards 2 --dir "$T/b"
[ "$(results after)" = "1-1.1 DONE ;1-1.2 DONE ;" ] || fail "after the forged lock failures: $(results after)"
ok "FAIL E_LOCK named by a station for a shipped or unseen chip: logged only; the board stays PASS, its certificate valid"
"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "audit verify"; }
ok "verify records only its checks; audit verify OK"
echo "PASS test-verify"
