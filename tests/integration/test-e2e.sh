#!/bin/sh
# End to end on real components: SoftHSM2 via PKCS#11 (in the signer process), OpenSSL, SQLite,
# libserialport through umockdev-emulated USB-serial adapters, and the firmware stub.
# Checks from the outside what issue #2 asks.
. "$(dirname "$0")/lib.sh"

stub 2 "$T/boards" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run1.json" 2>"$T/run1.err" ||
	{ cat "$T/run1.json" "$T/run1.err"; fail "first run did not pass"; }
[ "$(grep -c '"result":"PASS"' "$T/run1.json")" = 2 ] || { cat "$T/run1.json"; fail "expected 2 PASS"; }
ok "2 boards PASS"

db=$T/station.db
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM devices')" = 2 ] || fail "devices table should hold 2 rows"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.pass' AND json_extract(body,'\$.lock.debug_locked')=1 AND json_extract(body,'\$.lock.write_refused')=1")" = 2 ] ||
	fail "board.pass entries do not record the lock confirmation"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.verified' AND json_array_length(body,'\$.checks')=3")" = 2 ] ||
	fail "board.verified entries do not list their checks"
ok "database holds 2 device records; their log entries record the checks and the lock confirmation"

for i in 0 1; do
	show=$("$BIN/firmware-stub" show --flash "$T/boards/board-$i.flash")
	chip=$(echo "$show" | sed 's/.*"chip_id":"\([0-9a-f]*\)".*/\1/')
	pk=$(echo "$show" | sed 's/.*"pubkey_sha256":"\([0-9a-f]*\)".*/\1/')
	echo "$show" | grep -q '"state":"LOCKED"' || fail "board $i not LOCKED: $show"
	echo "$show" | grep -q '"debug_locked":true' || fail "board $i debug port open"
	sqlite3 "$db" "SELECT hex(der) FROM certs WHERE chip_id='$chip'" | xxd -r -p >"$T/dev$i.der"
	[ -s "$T/dev$i.der" ] || fail "no certificate recorded for chip $chip"
	openssl x509 -inform DER -in "$T/dev$i.der" -out "$T/dev$i.pem"
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/dev$i.pem" >/dev/null ||
		fail "certificate of board $i does not verify against the CA"
	certpk=$(openssl x509 -in "$T/dev$i.pem" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
	[ "$certpk" = "$pk" ] || fail "board $i: certificate key $certpk is not the board's key $pk"
done
ok "certificates verify against the CA and carry the keys the boards generated"

# The same (locked) boards seated again are checked against the record, not provisioned twice.
rc=0
stub 2 "$T/boards" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run2.json" 2>"$T/run2.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/run2.json" "$T/run2.err"; fail "second run should exit 0 (DONE), got $rc"; }
[ "$(jq -r 'select(.event == "result") | .result' "$T/run2.json" | sort | tr '\n' ' ')" = "DONE DONE " ] ||
	{ cat "$T/run2.json"; fail "expected DONE twice"; }
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM devices')" = 2 ] || fail "a second device was recorded"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.checked' AND json_extract(body,'$.result')='PASS'")" = 2 ] ||
	fail "the checks were not recorded as board.checked"
ok "locked boards seated again are verified against their record (DONE, board.checked), not provisioned twice"

# The plaintext password goes to the label and nowhere else.
n=0
for lab in "$T"/labels/*.zpl; do
	pw=$(sed -n 's/.*\^FDPassword \([^^]*\)\^FS.*/\1/p' "$lab")
	[ ${#pw} -ge 12 ] || fail "label $lab holds no password"
	for f in "$db" "$db-wal" "$T"/run1.json "$T"/run1.err "$T"/run2.json "$T"/run2.err "$T"/boards/*.flash; do
		[ -f "$f" ] || continue
		if grep -aq -- "$pw" "$f"; then fail "password of $lab found in $f"; fi
	done
	n=$((n + 1))
done
[ $n = 2 ] || fail "expected 2 labels, found $n"
ok "passwords appear only on the labels"

# Password commitments are unique and present for every serial.
[ "$(sqlite3 "$db" 'SELECT COUNT(DISTINCT commitment) FROM pw_commits')" -ge 2 ] || fail "commitments missing"
sqlite3 "$db" "UPDATE log SET kind='x'" 2>/dev/null && fail "log accepted an UPDATE"
sqlite3 "$db" "DELETE FROM log" 2>/dev/null && fail "log accepted a DELETE"
ok "audit log refuses UPDATE and DELETE"
# A LOCKED board stays locked until a factory reset, which only the host build offers, behind
# an explicit flag. The reset board is BLANK again, but its chip ID is on record: refused.
chip0=$("$BIN/firmware-stub" show --flash "$T/boards/board-0.flash" | jq -r .chip_id)
rc=0
stub 1 "$T/boards" --factory-reset -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run3.json" 2>"$T/run3.err" || rc=$?
show=$("$BIN/firmware-stub" show --flash "$T/boards/board-0.flash")
[ "$(echo "$show" | jq -r .state)" = BLANK ] || fail "factory reset did not blank the board: $show"
[ "$(echo "$show" | jq -r .chip_id)" = "$chip0" ] || fail "factory reset changed the chip ID"
[ "$rc" = 1 ] && grep -q '"code":"E_DUPLICATE"' "$T/run3.json" || { cat "$T/run3.json"; fail "reset board: exit $rc"; }
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM devices')" = 2 ] || fail "the reset board was recorded again"
ok "a factory-reset board (BLANK, same chip) is refused: E_DUPLICATE"
echo "PASS test-e2e"
