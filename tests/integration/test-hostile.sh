#!/bin/sh
# A compromised station against the real signer (PRODUCT §4; docs/threat-model.md T-1..T-9):
# signer-driver speaks the signer protocol with the station's own code and sends what an
# attacker with code execution in the board-facing process would send. Every attack must be
# refused by the signer and logged in the record; nothing may be issued around it.
. "$(dirname "$0")/lib.sh"
: "${SIGNER_DRIVER:?SIGNER_DRIVER must point at the signer-driver test program}"
export STATION_SIGNER="$BIN/station-signer"
DRV=$SIGNER_DRIVER
db=$T/station.db
# quota 3 per lot, 4 per product, 2 certificates per chip: small enough to reach
P=$T/hostile.ini
sed -e 's/^quota = .*/quota = 3\ntotal = 4\ncerts_per_chip = 2/' "$PROFILE" >"$P"
grep -q '^total = 4$' "$P" || fail "test profile not made"
rhex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
mkcsr() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/k.pem"
	printf '[req]\nprompt=no\ndistinguished_name=dn\nattributes=att\n[dn]\nCN=admin\n[att]\nchallengePassword=%s\n' \
		"$1" >"$T/req.cnf"
	openssl req -new -key "$T/k.pem" -config "$T/req.cnf" -outform DER -out "$2" 2>/dev/null || fail "openssl req"
}
# drive MODE < script: the driver's output in $T/d.out
drive() { "$DRV" script "$P" "${1:-run}" >"$T/d.out" 2>"$T/d.err" || { cat "$T/d.out" "$T/d.err"; fail "driver"; }; }
line() { sed -n "${1}p" "$T/d.out"; }
expect() { # expect N PATTERN WHAT: line N of the driver's output matches
	case $(line "$1") in $2) ok "$3: $(line "$1" | cut -c1-150)" ;; *) cat "$T/d.out"; fail "$3: line $1" ;; esac
}
logged() { # logged KIND CODE WHAT: the record holds the refusal
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='$1' AND json_extract(body,'\$.code')='$2'")" -ge 1 ] ||
		fail "$3: no $1 entry with code $2"
}
certs() { sqlite3 "$db" 'SELECT COUNT(*) FROM certs'; }
# attempt CHIP: a well-behaved board's attempt up to its certificate (for the harvesting test)
# (one CSR file per attempt: the driver may read its script after the next attempt was written)
attempt() { n=$(rhex 16); mkcsr "$n" "$T/a-$n.csr"; printf 'board %s\ncommit %s\nissue %s %s %s %s\n' "$1" "$1" "$1" "$n" "$T/a-$n.csr" "$T/a-$n.der"; }

echo "-- lots: invented, closed, and opened by a provisioning session"
"$BIN/station" lot open --profile "$P" --lot LOT-A >/dev/null || fail "lot open LOT-A"
printf 'session LOT-INVENTED x\nsession LOT-A x\nlot-open LOT-EVIL\nlot-close LOT-A\n' | drive
expect 1 'refused quota reached LOT_NOT_OPEN: lot LOT-INVENTED was never opened*' "an invented lot"
logged request.refused LOT_NOT_OPEN "invented lot"
expect 2 'ok lot LOT-A closed=0*' "the opened lot"
expect 3 'refused out of sequence MODE: *' "a run session opening a lot"
expect 4 'refused out of sequence MODE: *' "a run session closing a lot"
logged request.refused MODE "lot requests from a run session"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot='LOT-EVIL'")" = 0 ] || fail "LOT-EVIL opened"

echo "-- identity: the signer's, never the caller's"
c1=$(rhex 8)
n=$(rhex 16); mkcsr "$n" "$T/c1.csr"
{
	echo "session LOT-A x"
	echo "issue $c1 $n $T/c1.csr $T/x.der"          # no BOARD: nothing allocated
	echo "board $c1 model=EVIL-MODEL"                # a foreign model
	echo "board $c1 fw=6.6.6"                        # firmware not on the allow-list
	echo "board $c1 state=4"                         # locked board with no record
	echo "raw 0303aabbcc"                            # BOARD with a 3-byte chip ID, past the encoder
	echo "board $c1"
	echo "issue $c1 $n $T/c1.csr $T/x.der"          # before the password commitment
	echo "commit $c1"
	echo "commit $c1"                                # a second commitment
	echo "verified $c1"                              # no certificate yet
	echo "issue $c1 $n $T/c1.csr $T/c1.der"
	echo "issue $c1 $n $T/c1.csr $T/c2.der"          # a second certificate for the attempt
	echo "pass $c1"                                  # lock confirmed before verified
	echo "verified $c1"
	echo "pass $c1"
} | drive
expect 2 'refused out of sequence NOT_ALLOCATED: *' "ISSUE for a chip with no allocated serial"
logged cert.refused NOT_ALLOCATED "unallocated"
expect 3 'refused refused by policy MODEL: *' "a foreign model"
expect 4 'refused refused by policy FIRMWARE: *' "firmware off the allow-list"
expect 5 'refused refused by policy LOCKED_UNKNOWN: *' "a locked board with no record"
expect 6 'refused malformed request NONE: malformed BOARD request*' "a malformed (3-byte) chip ID"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND json_extract(body,'\$.reason') LIKE 'malformed BOARD request%'")" -ge 1 ] ||
	fail "the malformed request is not logged"
expect 7 'ok new TH2-* ' "an honest board gets a serial the signer chose"
serial=$(line 7 | cut -d' ' -f3)
expect 8 'refused out of sequence SEQUENCE: *password*' "ISSUE before the password commitment"
expect 9 'ok' "the commitment"
expect 10 'refused out of sequence SEQUENCE: *' "a second commitment"
expect 11 'refused out of sequence SEQUENCE: *' "VERIFIED without a certificate"
expect 12 'ok issued *' "the certificate"
expect 13 'refused out of sequence SEQUENCE: *' "a second certificate for one attempt"
expect 14 'refused out of sequence SEQUENCE: *' "PASS before VERIFIED"
expect 15 'ok' "VERIFIED after the certificate"
expect 16 'ok' "PASS after VERIFIED"
[ ! -e "$T/x.der" ] && [ ! -e "$T/c2.der" ] || fail "a refused request produced a certificate"
subj=$(openssl x509 -inform DER -in "$T/c1.der" -noout -subject -nameopt RFC2253)
[ "$subj" = "subject=serialNumber=$c1,CN=$serial,O=Example Thermostats Ltd" ] || fail "subject: $subj"
ok "the certificate names the signer's serial $serial and chip (the CSR asked for CN=admin): $subj"
for k in MODEL FIRMWARE LOCKED_UNKNOWN; do
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND chip_id='$c1' AND json_extract(body,'\$.code')='E_$k'")" = 1 ] ||
		fail "the $k refusal is not recorded as the board's failure"
done
logged request.refused SEQUENCE "out-of-sequence requests"
ok "each refusal is in the record (board.fail, cert.refused, request.refused with its code)"

echo "-- the same board again: duplicate, then certificate harvesting by re-insertion"
printf 'session LOT-A x\nboard %s\n' "$c1" | drive
expect 2 'refused refused by policy DUPLICATE: *' "a provisioned chip presented again"
c2=$(rhex 8)
{ echo "session LOT-A x"; attempt "$c2"; echo "fail $c2 install E_INSTALL"; attempt "$c2"; } | drive
before=$(certs)
{ echo "session LOT-A x"; attempt "$c2"; } | drive
expect 2 'refused refused by policy CHIP_LIMIT: *' "a third certificate for one chip (limit 2)"
[ "$(certs)" = "$before" ] || fail "harvesting issued a certificate"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE chip_id='$c2'")" = 2 ] || fail "chip $c2 holds other than 2 certificates"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE chip_id='$c2' AND status='void'")" = 2 ] ||
	fail "the harvested certificates are not void (on the CRL)"
logged board.fail E_CHIP_LIMIT "harvesting"
ok "re-insertion after a failure after issuance: both certificates void, the third refused"

echo "-- quota per lot and product total"
# LOT-A holds 2 certificates of c2 and 1 of c1: quota 3 is used up
{ echo "session LOT-A x"; attempt "$(rhex 8)"; } | drive
expect 2 'refused quota reached QUOTA: lot LOT-A has used its quota of 3*' "the lot quota"
"$BIN/station" lot open --profile "$P" --lot LOT-B >/dev/null || fail "lot open LOT-B"
{ echo "session LOT-B x"; attempt "$(rhex 8)"; attempt "$(rhex 8)"; } | drive
expect 4 'ok issued *' "a new lot issues"
before=$(certs)
expect 5 'refused quota reached PRODUCT_TOTAL: product thermostat-v2 has reached its total of 4*' "the product total across lots"
[ "$(certs)" = "$before" ] || fail "a certificate beyond the product total"
logged board.fail E_QUOTA "quota"
ok "opening more lots gives no more certificates than [product] total"

echo "-- burning serials: BOARD and FAIL without end"
i=0
{
	echo "session LOT-DEMO-1 x"
	while [ $i -lt 1001 ]; do
		c=$(printf '00c0ffee%08x' $i)
		echo "board $c"
		echo "fail $c key E_NO_ANSWER"
		i=$((i + 1))
	done
} | "$DRV" script "$PROFILE" >"$T/burn.out" 2>"$T/burn.err" || fail "driver"
[ "$(grep -c '^ok new' "$T/burn.out")" = 1000 ] || fail "burn: $(grep -c '^ok new' "$T/burn.out") serials allocated"
tail -n 2 "$T/burn.out" | head -n 1 | grep -q '^refused quota reached FAILURES: 1000 attempts of this run ended void' ||
	{ tail -n 3 "$T/burn.out"; fail "the 1001st allocation was not refused"; }
ok "a run session allocates no serial after 1000 attempts ended void before a certificate (FAILURES); a new session needs the launcher"
echo "-- certificates voided by quarantines count toward the 1000 too"
# 10 boards verified then failed E_LOCK (each quarantined, its certificate voided), then BOARD
# and FAIL until refused: exactly 990 more serials (review of 2026-11-30, second pass, finding 1).
i=0
{
	echo "session LOT-DEMO-1 x"
	while [ $i -lt 10 ]; do
		c=$(printf '00beef00%08x' $i)
		attempt "$c"
		echo "verified $c"
		echo "fail $c lock E_LOCK"
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 991 ]; do
		c=$(printf '00c0de00%08x' $i)
		echo "board $c"
		echo "fail $c key E_NO_ANSWER"
		i=$((i + 1))
	done
} | "$DRV" script "$PROFILE" >"$T/burnq.out" 2>"$T/burnq.err" || fail "driver"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.quarantined' AND chip_id LIKE '00beef00%'")" = 10 ] ||
	fail "burnq: the 10 lock failures were not quarantined"
[ "$(grep -c '^ok new' "$T/burnq.out")" = 1000 ] ||
	fail "burnq: $(grep -c '^ok new' "$T/burnq.out") serials allocated, expected 10 + 990"
grep -q '^refused quota reached FAILURES' "$T/burnq.out" || fail "burnq: no FAILURES refusal"
ok "10 quarantines (certificates voided) + 990 other void attempts: the next serial is refused"

echo "-- a chip resumed twice at once; failures a station only names"
# verified, then the session ends: its lock is pending for the next session
mkv() { { echo "session LOT-DEMO-1 x"; attempt "$1"; echo "verified $1"; echo stop; } |
	"$DRV" script "$PROFILE" >"$T/mkv.out" 2>&1 || fail "driver"
	[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$1'")" = verified ] || { cat "$T/mkv.out"; fail "mkv $1"; }; }
A=00a0a0a0a0a0a0a0
mkv $A
printf 'session LOT-DEMO-1 x\nboard %s\nboard %s\nfail %s lock E_LOCK\nstop\n' $A $A $A | "$DRV" script "$PROFILE" >"$T/rr.out" 2>&1 ||
	fail "driver"
sed -n 2p "$T/rr.out" | grep -q '^ok resume' && sed -n 3p "$T/rr.out" | grep -q 'DUPLICATE' ||
	{ cat "$T/rr.out"; fail "a second RESUME of a chip whose lock is pending was not refused DUPLICATE"; }
[ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$A'")" = quarantined ] ||
	fail "the resumed board's lock failure did not quarantine it"
ok "a second board resuming the same chip at once: refused DUPLICATE; the first board's E_LOCK still quarantines"
B=00b0b0b0b0b0b0b0
mkv $B
printf 'session LOT-DEMO-1 x\nfail %s identify E_NO_ANSWER\nfail %s identify E_NO_ANSWER\nfail %s identify E_NO_ANSWER\nboard %s\nstop\n' \
	$B $B $B $B | "$DRV" script "$PROFILE" >"$T/nf.out" 2>&1 || fail "driver"
sed -n 5p "$T/nf.out" | grep -q '^ok resume' && [ "$(sqlite3 "$db" "SELECT status FROM devices WHERE chip_id='$B'")" = verified ] ||
	{ cat "$T/nf.out"; fail "failures a station only named pushed a board into quarantine"; }
ok "three failures named without the board (lock not pending) do not count toward CAP_RESUME_FAILS"

echo "-- a profile path from the caller"
h=$(find "$top/station" -name sigproto.h)
[ -n "$h" ] && ! grep -q 'char [a-z_]*\(path\|profile\)' "$h" || fail "a signer request carries a path"
ok "no signer request carries a profile or a path (sigproto.h); the policy is the launcher's, and in service mode the signer refuses a profile the station can write (test-privsep)"

echo "-- the signer dies in the middle of a run"
"$BIN/station" lot open --profile "$PROFILE" >/dev/null || fail "lot open"
before=$(certs)
rc=0
"$BIN/firmware-stub" sim --boards 2 --dir "$T/die" --reply-late 300 -- \
    "$BIN/station" run --profile "$PROFILE" --json >"$T/die.json" 2>"$T/die.err" &
rp=$!
k=0
while ! pgrep -f "station-signer serve .*$PROFILE" >/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
sleep 0.5
pkill -9 -f "station-signer serve .*$PROFILE" || fail "no signer to kill"
wait $rp || rc=$?
[ $rc != 0 ] || { cat "$T/die.err"; fail "the run passed without its signer"; }
grep -q "the signer process stopped answering" "$T/die.err" "$T/die.json" || { cat "$T/die.err" "$T/die.json"; fail "no plain reason"; }
[ "$(grep -c '"result":"PASS"' "$T/die.json")" = 0 ] || fail "a board PASSed without its signer"
printf 'checkpoint force\n' | drive admin
expect 1 'ok checkpoint signed=1 *' "a checkpoint after the kill"
"$BIN/station" audit verify --db "$db" >"$T/die-verify.out" 2>&1 || { cat "$T/die-verify.out"; fail "verify after the signer died"; }
ok "killed signer: the run fails (exit $rc), no board PASSes, 'the signer process stopped answering', the record verifies ($(($(certs) - before)) certificate(s) issued before the kill, all recorded)"
echo "-- a checkpoint over a rewritten log whose checkpoint rows were deleted"
printf 'checkpoint force\n' | drive admin
expect 1 'ok checkpoint signed=1 size=*' "a checkpoint"
k=$(sqlite3 "$db" "SELECT seq FROM log WHERE kind='board.seen' ORDER BY seq LIMIT 1")
sqlite3 "$db" "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints; DROP TRIGGER log_no_update;" || fail "insider edit"
f() { sqlite3 "$db" "SELECT $1 FROM log WHERE seq=$k"; }
body=$(f body | sed 's/"fw_version":"[^"]*"/"fw_version":"9.9.9"/')
leaf=$({ printf '\000SPLOG1'; printf '\n%s' "$k" "$(f time)" "$(f station)" "$(f operator)" "$(f lot)" "$(f kind)" \
	"$(f chip_id)" "$(f serial)" "$body"; } | openssl dgst -sha256 -binary | od -An -tx1 | tr -d ' \n')
sqlite3 "$db" "UPDATE log SET body='$body', leaf=X'$leaf' WHERE seq=$k" || fail "insider rewrite"
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM checkpoints')" = 0 ] || fail "checkpoints not deleted"
printf 'checkpoint force\n' | drive admin
expect 1 'refused audit record failure *rewritten*' "the signer refuses to sign over the rewritten log"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='checkpoint.refused'")" -ge 1 ] || fail "refusal not logged"
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM checkpoints')" = 0 ] || fail "a checkpoint was stored"
ok "its own state (<db>.signer-state) still holds the root it signed; the refusal is logged"
rm "$db.signer-state"
printf 'checkpoint force\n' | drive admin
expect 1 'refused audit record failure *rewritten*' "the same with the state file deleted (the newest signed checkpoint file stands in)"
echo "PASS test-hostile"
