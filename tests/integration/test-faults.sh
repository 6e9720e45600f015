#!/bin/sh
# Fault injection (docs/protocol.md §8): every fault flag of the reference stub, one case each,
# with the boards behind USB-serial adapters (or, with STUB_USB=1, on USB bulk:
# test-faults-usb.sh).
# The station must end each board in a clean FAIL with a specific code (or a PASS where the
# protocol recovers: noise, late replies, resynchronisation), within the step's timeout budget
# (no hang), and leave nothing half-recorded: a serial or certificate the attempt consumed is
# void, and no device row exists (except after LOCK was sent: the board was recorded 'verified'
# before LOCK, PRODUCT §7, and stays so until it is re-inserted; a lock that failed puts it in
# quarantine, docs/signer-protocol.md S-25, until 'station board release').
. "$(dirname "$0")/lib.sh"
db=$T/station.db

# Short timeouts keep the whole script well under a minute; the bound of each case is computed
# from them (a "no hang" bound, not a performance assertion).
sed -i '/^\[timeouts\]/,$d' "$PROFILE"
cat >>"$PROFILE" <<'EOF'
[timeouts]
hello = 200
set_identity = 1500
gen_key = 3000
object = 250
install = 600
prove = 600
confirm_password = 1500
lock = 300
retries = 2
EOF
TRIES=3
to() { sed -n "/^\[timeouts\]/,\$s/^$1 = //p" "$PROFILE"; }
# Worst case of one step: every try times out.
budget() { echo $((TRIES * $(to "$1"))); }
# Everything else a board does in a run (signer, database, PBKDF2...) fits in this allowance.
SLACK=6000

# run NAME NBOARDS STUB-ARGS... : one station run on fresh boards in $T/NAME
run() {
	name=$1 nb=$2
	shift 2
	rc=0
	t0=$(date +%s%N)
	"$BIN/firmware-stub" sim ${STUB_USB:+--usb} --boards "$nb" --dir "$T/$name" "$@" -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$T/$name.json" 2>"$T/$name.err" || rc=$?
	wall=$((($(date +%s%N) - t0) / 1000000))
}
res() { grep '"event":"result"' "$T/$name.json" | sed -n "${1:-1}p"; }
field() { res "${2:-1}" | jq -r ".$1"; }
show() { cat "$T/$name.json" "$T/$name.err" >&2; }

# expect NAME CODE STEP BOUND_MS [REASON-REGEX]: one board failed with CODE at STEP, quickly
expect_fail() {
	code=$1 stp=$2 bound=$3 why=${4:-}
	[ "$rc" = 1 ] || { show; fail "$name: station exit $rc, expected 1"; }
	[ "$(field result)" = FAIL ] || { show; fail "$name: expected FAIL"; }
	[ "$(field code)" = "$code" ] || { show; fail "$name: code $(field code), expected $code"; }
	[ "$(field step)" = "$stp" ] || { show; fail "$name: step $(field step), expected $stp"; }
	el=$(field elapsed_ms)
	[ "$el" -le "$bound" ] || { show; fail "$name: took $el ms, bound $bound ms"; }
	[ "$wall" -le $((bound + SLACK)) ] || fail "$name: run took $wall ms, bound $((bound + SLACK))"
	if [ -n "$why" ]; then
		field reason | grep -Eqi -- "$why" || { show; fail "$name: reason does not match '$why'"; }
	fi
	db_clean "${5:-none}"
	ok "$name: $code at '$stp' in $el ms ($(field reason | cut -c1-70)...)"
}

# db_clean none|verified [N]: nothing half-recorded for result line N
db_clean() {
	chip=$(field chip_id "${2:-1}") serial=$(field serial "${2:-1}") cs=$(field cert_serial "${2:-1}")
	if [ -n "$serial" ]; then
		st=$(sqlite3 "$db" "SELECT status FROM serials WHERE serial='$serial'")
		want=void
		[ "$1" = verified ] || [ "$1" = quarantined ] && want=used
		[ "$st" = "$want" ] || fail "$name: serial $serial is '$st', expected $want"
	fi
	if [ -n "$cs" ]; then
		st=$(sqlite3 "$db" "SELECT status FROM certs WHERE cert_serial='$cs'")
		want=void
		[ "$1" = verified ] && want=confirmed
		[ "$st" = "$want" ] || fail "$name: certificate $cs is '$st', expected $want"
	fi
	[ -n "$chip" ] || return 0
	if [ "$1" = existing ]; then
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE chip_id='$chip'")" = 1 ] ||
			fail "$name: the refused duplicate changed the device record"
		return 0
	fi
	dev=$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$chip'")
	if [ "$1" = verified ] || [ "$1" = quarantined ]; then
		[ "$dev" = "$1" ] || fail "$name: device row '$dev', expected '$1' (not pass)"
	else
		[ -z "$dev" ] || fail "$name: a device row '$dev' was recorded for a failed board"
	fi
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND chip_id='$chip'")" -ge 1 ] ||
		fail "$name: no board.fail entry for chip $chip"
}

expect_pass() {
	[ "$rc" = 0 ] || { show; fail "$name: station exit $rc, expected 0"; }
	[ "$(grep -c '"result":"PASS"' "$T/$name.json")" = "${1:-1}" ] || { show; fail "$name: expected PASS"; }
	el=$(field elapsed_ms)
	ok "$name: PASS in $el ms, $(field retransmits) retransmission(s)"
}

# stat KEY: a counter of board 0's last faulty session (firmware-stub show)
stat() { "$BIN/firmware-stub" show --flash "$T/$name/board-${2:-0}.flash" | jq -r ".$1"; }

# --- the line ------------------------------------------------------------------------------
run hangup 1 --hang-up-at gen-key
expect_fail E_DISCONNECTED key $(($(budget gen_key) + SLACK)) disconnected

run hangup-lock 1 --hang-up-at lock
expect_fail E_DISCONNECTED lock $(($(budget lock) + SLACK)) disconnected verified

run never 1 --never-reply-at install
expect_fail E_NO_ANSWER install $(($(budget install) + SLACK)) "no answer.*install"

# A board sending one byte of each READ_OBJECT chunk would hold its fixture for hours at the
# object timeout per byte: the first short chunk fails it (P-15).
run short 1 --short-chunks
expect_fail E_PROTOCOL key $(($(budget object) + $(budget gen_key) + SLACK)) "inconsistent object chunk"

# P-6: a board that accepts payloads of 128 bytes only is sent certificate chunks that fit.
run small-payload 1 --max-payload 128
expect_pass

run never-hello 1 --never-reply-at hello
expect_fail E_NO_ANSWER identify $(($(budget hello) + SLACK)) "no answer"

run late-ok 1 --reply-late 120
expect_pass
run late 1 --reply-late 700
expect_fail E_NO_ANSWER identify $(($(budget hello) + SLACK)) "no answer"

run reboot-install 1 --reboot-at install
expect_fail E_INSTALL install $(($(budget install) + SLACK)) "refused"
# The first chunk (offset 0) restarts the staging: its re-execution after the reboot is harmless.
run reboot-write 1 --reboot-at write
expect_pass
# A reboot after GEN_KEY's work: the retransmission is executed again (a new key, a new CSR
# for it): the protocol recovers, the board executed one request more than it was sent.
run reboot-genkey 1 --reboot-at gen-key
expect_pass
[ "$(stat executed)" = $(($(stat requests) + 1)) ] || fail "reboot-genkey: expected one re-execution"
ok "reboot-genkey: GEN_KEY re-executed once after the reboot ($(stat executed) executed)"

run reboot-setid 1 --reboot-at set-identity
expect_pass
# Steps without lasting effect on the board are simply executed again after the reboot; PROVE
# signs the same challenge afresh, and the station checks that new signature.
for s in hello read prove confirm; do
	run reboot-$s 1 --reboot-at $s
	expect_pass
	[ "$(stat executed)" = $(($(stat requests) + 1)) ] || fail "reboot-$s: expected one re-execution"
	ok "reboot-$s: re-executed once after the reboot ($(stat executed) executed for $(stat requests) sent)"
done
# The board locked, then reset before its reply (real boards often reset after burning lock
# fuses): the retransmitted LOCK is refused as LOCKED, the confirmation (fresh HELLO, refused
# write) proves the lock, and the board passes.
run reboot-lock 1 --reboot-at lock
expect_pass
[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$(field chip_id)'")" = pass ] ||
	fail "reboot-lock: device not recorded pass"

# --- noise: idempotent replay makes these pass -----------------------------------------------
run drop 1 --drop-rate 0.01 --seed 7
expect_pass
[ "$(stat executed)" = "$(stat requests)" ] || fail "drop: the board executed $(stat executed) requests for $(stat requests) sent"
ok "drop: the board executed each of its $(stat requests) requests once ($(stat bytes_dropped) bytes dropped)"
run drop5 1 --drop-rate 0.05 --seed 1
expect_pass
[ "$(stat executed)" = "$(stat requests)" ] || fail "drop5: a request was executed twice"
ok "drop5: each of $(stat requests) requests executed once ($(stat bytes_dropped) bytes dropped)"
run corrupt 1 --corrupt-rate 0.05 --seed 1
expect_pass
[ "$(stat executed)" = "$(stat requests)" ] || fail "corrupt: a request was executed twice"
ok "corrupt: each request executed once ($(stat bytes_corrupted) bytes flipped)"
run garbage 1 --garbage-frames
expect_pass
run oversized 1 --oversized-frames --at read --at lock
expect_pass
run truncated 1 --truncated-frames --at prove
expect_fail E_NO_ANSWER prove $(($(budget prove) + SLACK)) "no answer"
run line-rate 1 --line-rate 115200
expect_pass

# --- the CSR (E_CSR carries the signer's reason) -------------------------------------------
B=$(($(budget gen_key) + $(budget object) + SLACK))
run csr-sig 1 --csr-bad-signature
expect_fail E_CSR certificate $B "signature"
run csr-type 1 --csr-wrong-key-type
expect_fail E_CSR certificate $B "key type"
run csr-weak 1 --csr-weak-key
expect_fail E_CSR certificate $B "weak|bits|key type"
run csr-nonce 1 --csr-wrong-nonce
expect_fail E_CSR certificate $B "nonce"
run csr-other 1 --csr-other-key
expect_fail E_INSTALL install $(($(budget install) + SLACK)) "certificate does not match"

# --- identity ------------------------------------------------------------------------------
run fw 1 --firmware-not-allowed
expect_fail E_FIRMWARE identify $(($(budget hello) + SLACK)) "allow-list"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM serials WHERE chip_id='$(field chip_id)'")" = 0 ] ||
	fail "fw: a serial was allocated for a refused firmware"

# Two boards sharing a chip id in one run: one PASS, one FAIL.
chip=c0ffee0000000000000000a1
run dup2 2 --duplicate-chip-id $chip
[ "$rc" = 1 ] || { show; fail "dup2: station exit $rc, expected 1"; }
[ "$(grep -c '"result":"PASS"' "$T/dup2.json")" = 1 ] || { show; fail "dup2: expected one PASS"; }
failed=$(grep '"event":"result"' "$T/dup2.json" | grep -n '"result":"FAIL"' | cut -d: -f1)
[ "$(field code "$failed")" = E_DUPLICATE ] || { show; fail "dup2: expected E_DUPLICATE"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE chip_id='$chip'")" = 1 ] || fail "dup2: device rows"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM serials WHERE chip_id='$chip' AND status='allocated'")" = 0 ] || fail "dup2: serial of the loser not void"
ok "dup2: two boards with chip $chip in one run: one PASS, one E_DUPLICATE ($(field reason "$failed" | cut -c1-60)...)"
# A later board with the already-PASSed chip id is refused before anything is allocated.
run dup 1 --duplicate-chip-id $chip
expect_fail E_DUPLICATE identify $(($(budget hello) + SLACK)) "already provisioned" existing

# --- the lock ------------------------------------------------------------------------------
# A lock that failed (or was faked) puts the board in quarantine: device 'quarantined', its
# certificate void (on the CRL), its serial spent, board.quarantined logged.
run refuse-lock 1 --refuse-lock
expect_fail E_LOCK lock $(($(budget lock) + SLACK)) "refused" quarantined
qchip=$(field chip_id) qserial=$(field serial) qcs=$(field cert_serial)
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.quarantined' AND chip_id='$qchip' AND
	serial='$qserial' AND json_extract(body,'\$.code')='E_LOCK' AND json_extract(body,'\$.cert_serial')='$qcs'")" = 1 ] ||
	fail "refuse-lock: no board.quarantined entry for $qchip"
[ "$(sqlite3 "$db" "SELECT status FROM certs WHERE cert_serial='$qcs'")" = void ] || fail "refuse-lock: certificate not void"
ok "refuse-lock: board $qserial quarantined, certificate $qcs void"
run fake-lock 1 --fake-lock
expect_fail E_LOCK_WRITES lock $(($(budget lock) + $(budget hello) + $(budget object) + SLACK)) "accepts writes" quarantined
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE status='pass' AND chip_id='$(field chip_id)'")" = 0 ] ||
	fail "fake-lock: recorded PASS"

# The quarantined board comes back: refused E_QUARANTINED (recorded), whatever the fixture.
run refuse-lock 1
[ "$rc" = 1 ] && [ "$(field result)" = FAIL ] && [ "$(field code)" = E_QUARANTINED ] ||
	{ show; fail "quarantined board re-inserted: not refused E_QUARANTINED"; }
field reason | grep -q "is quarantined since .*E_LOCK.*red bin.*station board release" ||
	{ show; fail "quarantine refusal text: $(field reason)"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND chip_id='$qchip' AND
	json_extract(body,'\$.code')='E_QUARANTINED'")" = 1 ] || fail "quarantine refusal not recorded"
ok "re-inserted quarantined board: E_QUARANTINED ($(field reason | cut -c1-60)...)"
# A board that goes silent after LOCK looks like a power cut: it is resumed on re-insert, but
# after CAP_RESUME_FAILS (3) failures since its VERIFIED it is quarantined instead.
for k in 1 2 3; do
	run silent-lock 1 --never-reply-at lock
	[ "$(field code)" = E_NO_ANSWER ] || { show; fail "silent-lock $k: $(field code), expected E_NO_ANSWER"; }
done
run silent-lock 1 --never-reply-at lock
[ "$(field code)" = E_QUARANTINED ] || { show; fail "silent-lock 4: $(field code), expected E_QUARANTINED"; }
slchip=$(field chip_id)
slcs=$(sqlite3 "$db" "SELECT cert_serial FROM devices WHERE chip_id='$slchip'")
[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$slchip'")" = quarantined ] &&
	[ "$(sqlite3 "$db" "SELECT status FROM certs WHERE cert_serial='$slcs'")" = void ] ||
	fail "silent-lock: not quarantined with its certificate void"
ok "a board silent after LOCK: resumed and failed 3 times, then quarantined (certificate $slcs void)"
# An insider who edits the tables to lift the quarantine (device back to 'pass') or to take
# the certificate off the CRL (back to 'confirmed') is named by audit verify.
cp "$db" "$T/q-edit.db"
[ ! -f "$db-wal" ] || cp "$db-wal" "$T/q-edit.db-wal"
sqlite3 "$T/q-edit.db" "UPDATE devices SET status='pass' WHERE chip_id='$qchip'; UPDATE certs SET status='confirmed' WHERE cert_serial='$qcs'"
rc=0; "$BIN/station" audit verify --db "$T/q-edit.db" --ca "$T/ca.pem" >"$T/q-edit.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "taken off the CRL" "$T/q-edit.out" && grep -q "never released it" "$T/q-edit.out" ||
	{ cat "$T/q-edit.out"; fail "audit verify did not name the edits lifting a quarantine (exit $rc)"; }
for edit in "UPDATE devices SET status='released' WHERE chip_id='$qchip'" \
	"DELETE FROM devices WHERE chip_id='$qchip'" "UPDATE devices SET product='other' WHERE chip_id='$qchip'"; do
	cp "$db" "$T/q-edit.db"
	[ ! -f "$db-wal" ] || cp "$db-wal" "$T/q-edit.db-wal"
	sqlite3 "$T/q-edit.db" "$edit"
	rc=0; "$BIN/station" audit verify --db "$T/q-edit.db" --ca "$T/ca.pem" >"$T/q-edit.out" 2>&1 || rc=$?
	[ "$rc" = 7 ] || { cat "$T/q-edit.out"; fail "audit verify missed: $edit"; }
done
rm -f "$T/q-edit.db" "$T/q-edit.db-wal"
ok "tables edited to lift the quarantine (pass, released, row deleted, product renamed) or take its certificate off the CRL: audit verify names each"
# Releasing is refused for a board that is not in quarantine, and needs a reason.
rc=0; "$BIN/station" board release --profile "$PROFILE" --chip 0011223344556677 --reason x \
	>"$T/rel0.out" 2>"$T/rel0.err" || rc=$?
[ "$rc" = 1 ] && grep -q "not in quarantine" "$T/rel0.err" || fail "release of an unknown chip: exit $rc $(cat "$T/rel0.err")"
rc=0; "$BIN/station" board release --profile "$PROFILE" --chip "$qchip" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "release without --reason: exit $rc, expected 2"
"$BIN/station" board release --profile "$PROFILE" --chip "$qchip" --reason "lock examined, board re-flashed" \
	--operator qa-eng >"$T/rel.out" 2>"$T/rel.err" || fail "board release: $(cat "$T/rel.err")"
grep -q "released chip $qchip (serial $qserial)" "$T/rel.out" || fail "board release said: $(cat "$T/rel.out")"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.released' AND chip_id='$qchip' AND
	json_extract(body,'\$.operator')='qa-eng' AND json_extract(body,'\$.reason')='lock examined, board re-flashed'")" = 1 ] ||
	fail "no board.released entry with operator and reason"
rc=0; "$BIN/station" board release --profile "$PROFILE" --chip "$qchip" --reason again >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a second release: exit $rc, expected 1 (not in quarantine)"
ok "station board release: board.released (operator qa-eng); a second release changes nothing"
# Released: provisioned again from scratch, with a new serial.
run refuse-lock 1 --factory-reset
expect_pass
nserial=$(field serial)
[ -n "$nserial" ] && [ "$nserial" != "$qserial" ] || fail "released board: serial '$nserial' (was $qserial)"
[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$qchip' ORDER BY seq" | tr '\n' ' ')" = "released pass " ] ||
	fail "device rows of $qchip: $(sqlite3 "$db" "SELECT serial, status FROM devices WHERE chip_id='$qchip'")"
ok "released board provisioned again: PASS as $nserial (was $qserial)"
# LOOKUP and CHECKED, in a verify-mode signer (as 'station verify' would use it): a pass goes
# with the board's proof over the challenge of the LOOKUP (S-29).
ncs=$(sqlite3 "$db" "SELECT cert_serial FROM devices WHERE chip_id='$qchip' AND status='pass'")
driver_open verify
driver_do lookup "$qchip" "$T/lookup.der"
l1=$out ch=$(challenge "$out")
[ "$l1" = "ok lookup PASS serial=$nserial cert=$ncs der=$(wc -c <"$T/lookup.der") challenge=$ch reason=" ] &&
	[ ${#ch} = 64 ] || fail "lookup: $l1"
[ "$(sqlite3 "$db" "SELECT hex(der) FROM certs WHERE cert_serial='$ncs'")" = "$(od -An -tx1 "$T/lookup.der" | tr -d ' \n' | tr a-f A-F)" ] ||
	fail "lookup: not the recorded certificate"
sig=$("$BIN/firmware-stub" prove --flash "$T/refuse-lock/board-0.flash" --challenge "$ch") || fail "firmware-stub prove"
driver_do checked "$qchip" pass "sig=$sig"
l2=$out
driver_do checked "$qchip" E_RESUME
[ "$l2 $out" = "ok ok" ] || fail "checked: $l2 / $out"
driver_do lookup 0011223344556677
[ "$out" = "ok lookup NONE serial= cert= der=0 challenge= reason=" ] || fail "lookup unknown: $out"
driver_do board "$qchip"
case $out in "refused out of sequence MODE"*) ;; *) fail "BOARD in verify mode: $out" ;; esac
driver_do checked 0011223344556677 pass "sig=$sig"
case $out in "refused out of sequence SEQUENCE"*) ;; *) fail "CHECKED unknown chip: $out" ;; esac
driver_close || fail "driver: $(cat "$T/drv.log" "$T/drv.err")"
[ "$(sqlite3 "$db" "SELECT group_concat(json_extract(body,'\$.result')||'/'||json_extract(body,'\$.proof')||'/'||json_extract(body,'\$.code')||'/'||json_extract(body,'\$.fixture')||'/'||json_extract(body,'\$.cert_serial')) FROM log WHERE kind='board.checked' AND chip_id='$qchip' AND serial='$nserial'")" = \
	"PASS/verified//eol-1/$ncs,FAIL/none/E_RESUME/eol-1/$ncs" ] || fail "board.checked entries"
ok "verify mode: LOOKUP gives PASS with the recorded certificate; CHECKED logs board.checked; BOARD refused (MODE)"
"$BIN/station" audit verify --db "$db" --ca "$T/ca.pem" >"$T/av.out" 2>&1 || { cat "$T/av.out"; fail "audit verify after quarantine and release"; }
ok "station audit verify passes with quarantined, released and re-provisioned boards"
# Tampering still shows: a released row made live again is a second device for the chip.
cp "$db" "$T/tamper.db"
sqlite3 "$T/tamper.db" "DROP INDEX devices_chip; UPDATE devices SET status='pass' WHERE chip_id='$qchip' AND status='released'"
rc=0; "$BIN/station" audit verify --db "$T/tamper.db" --ca "$T/ca.pem" >"$T/avt.out" 2>&1 || rc=$?
[ "$rc" = 7 ] && grep -q "appears twice" "$T/avt.out" || { cat "$T/avt.out"; fail "audit verify missed a released device made live (exit $rc)"; }
ok "audit verify detects a released device row edited back to 'pass'"

# --fault-board: only that board is faulty.
run one-board 2 --fault-board 1 --csr-wrong-nonce
[ "$rc" = 1 ] && [ "$(grep -c '"result":"PASS"' "$T/one-board.json")" = 1 ] &&
	[ "$(grep -c '"code":"E_CSR"' "$T/one-board.json")" = 1 ] || { show; fail "one-board"; }
ok "one-board: --fault-board 1 fails board 1 only"

[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "database integrity"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE status='issued'")" = 0 ] || fail "a certificate left 'issued'"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM serials WHERE status='allocated'")" = 0 ] || fail "a serial left 'allocated'"
ok "no certificate left 'issued', no serial left 'allocated'"
echo "PASS test-faults${STUB_USB:+-usb}"
