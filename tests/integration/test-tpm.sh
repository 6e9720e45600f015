#!/bin/sh
# The second PKCS#11 module (issue #12): tpm2-pkcs11 on a software TPM (swtpm), set up by
# scripts/tpm-setup.sh like a TPM-backed station PC. The ceremony (per-key sessions, the HMAC key
# made by tpm2_ptool adopted by URI), a provisioning run with its checkpoints, the CRL and audit
# verify; the TPM lost mid-run and back (module re-initialised, recorded), lost for good (a clear
# error) and back again; the TPM's dictionary-attack lockout named as such. Nothing left loaded
# in the TPM at the end.
STATION_HSM=tpm
. "$(dirname "$0")/lib.sh"
S=$BIN/station
db=$T/station.db
tcti_ok() { tpm2_getcap handles-transient >"$T/transient" 2>/dev/null; }

echo "-- ceremony"
grep -q "issuing CA key *created .*(EC P-256, id [0-9a-f]*)" "$T/ceremony.log" &&
grep -q "audit signing key *created .*(EC P-256, id [0-9a-f]*)" "$T/ceremony.log" &&
grep -q "password commitment key present" "$T/ceremony.log" &&
grep -q "CA certificate on token created" "$T/ceremony.log" || { cat "$T/ceremony.log"; fail "ceremony on the TPM"; }
"$S" ca init --profile "$PROFILE" >"$T/ceremony2.log" 2>&1 || { cat "$T/ceremony2.log"; fail "second ca init"; }
[ "$(grep -c ' present ' "$T/ceremony2.log")" = 5 ] || { cat "$T/ceremony2.log"; fail "second ca init is not idempotent"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='key.generated'")" = 2 ] || fail "key.generated entries"
ok "ca init on tpm2-pkcs11: CA and audit keys generated (EC P-256, CKA_ID), the tpm2_ptool HMAC key adopted, CA certificate stored; again: all present"

echo "-- a run, its checkpoints, the CRL, audit verify"
stub 6 "$T/b1" -- "$S" run --profile "$PROFILE" --json >"$T/r1.json" 2>"$T/r1.err" || { cat "$T/r1.err"; fail "run on the TPM"; }
[ "$(jq -r 'select(.event=="result") | .result' "$T/r1.json" | grep -c PASS)" = 6 ] || { cat "$T/r1.json"; fail "not 6 PASS"; }
jq -r 'select(.event=="checkpoint" and .trigger=="stop") | .ok' "$T/r1.json" | grep -qx true || { cat "$T/r1.err"; fail "no stop checkpoint signed on the TPM"; }
"$S" audit verify --db "$db" --checkpoint "$T/checkpoints" >"$T/v1.out" 2>&1 || { cat "$T/v1.out"; fail "audit verify"; }
grep -q "^not covered by a signed checkpoint: 0 of" "$T/v1.out" || { cat "$T/v1.out"; fail "entries left uncovered"; }
"$S" ca crl --profile "$PROFILE" --out "$T/crl.der" >"$T/crl.out" 2>&1 || { cat "$T/crl.out"; fail "ca crl"; }
openssl crl -inform DER -in "$T/crl.der" -CAfile "$T/ca.pem" -noout >"$T/crl.v" 2>&1 || { cat "$T/crl.v"; fail "the CRL does not verify"; }
ok "6 PASS, stop checkpoint signed by the TPM's audit key, CRL verifies, audit verify with the checkpoint files: every entry covered"

echo "-- the TPM lost mid-run and back"
stub 12 "$T/b2" -- "$S" run --profile "$PROFILE" --json >"$T/r2.json" 2>"$T/r2.err" &
sim=$!
# once the signer has logged in (the start event), before the boards are signed for
i=0
until grep -q '"event":"start"' "$T/r2.json" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "the run did not start"; sleep 0.02
done
kill "$(cat "$T/swtpm.pid")"
sleep 0.4
"$top/scripts/tpm-setup.sh" "$T" >"$T/setup2.log" 2>&1 || { cat "$T/setup2.log"; fail "swtpm restart"; }
rc=0; wait $sim || rc=$?
[ "$rc" = 0 ] || { cat "$T/r2.err"; fail "run across a lost TPM exited $rc"; }
[ "$(jq -r 'select(.event=="result") | .result' "$T/r2.json" | grep -c PASS)" = 12 ] || { cat "$T/r2.json"; fail "not 12 PASS"; }
grep -q "re-initialising PKCS#11 module" "$T/r2.err" && grep -q "is back (module re-initialised)" "$T/r2.err" ||
	{ cat "$T/r2.err"; fail "no recovery message"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='hsm.recovered'")" -ge 1 ] || fail "no hsm.recovered entry"
tpm2_getcap properties-variable >"$T/pv.out" 2>&1 || fail "tpm2_getcap"
# killing swtpm is a power loss: a TPM counts one failure for a shutdown that was not orderly
# (TPM 2.0 part 1, dictionary attack protection); the signer's recovery must add none
grep -q "TPM2_PT_LOCKOUT_COUNTER: 0x[01]$" "$T/pv.out" || { cat "$T/pv.out"; fail "the recovery counted toward the TPM's lockout"; }
ok "swtpm killed and restarted during 12 boards: the module re-initialised, 12 PASS, hsm.recovered recorded, lockout counter $(sed -n 's/TPM2_PT_LOCKOUT_COUNTER: //p' "$T/pv.out") (the power loss)"

echo "-- the TPM lost for good, then back"
TPM_STOP=1 "$top/scripts/tpm-setup.sh" "$T"
rc3=0
stub 1 "$T/b3" -- "$S" run --profile "$PROFILE" --json >"$T/r3.json" 2>"$T/r3.err" || rc3=$?
[ "$rc3" = 4 ] || fail "a run without its TPM exited $rc3, not 4"
grep -q "the module cannot reach its HSM.*tpm2-pkcs11: the TPM at TPM2_PKCS11_TCTI=swtpm:" "$T/r3.err" ||
	{ cat "$T/r3.err"; fail "no clear message without the TPM"; }
"$top/scripts/tpm-setup.sh" "$T" >"$T/setup3.log" 2>&1 || { cat "$T/setup3.log"; fail "swtpm restart"; }
rc=0; stub 1 "$T/b4" -- "$S" run --profile "$PROFILE" --json >"$T/r4.json" 2>"$T/r4.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/r4.err"; fail "run after the TPM came back: exit $rc"; }
ok "without the TPM: exit $rc3 ('$(grep -m1 -o "the module cannot reach its HSM[^;]*" "$T/r3.err")'); back: the board passes"

echo "-- the TPM's dictionary-attack lockout"
(umask 077; printf 'not-the-pin' >"$T/bad.pin")
sed "s#^pin_file = .*#pin_file = $T/bad.pin#" "$PROFILE" >"$T/bad.ini"
"$S" ca info --profile "$T/bad.ini" >"$T/l1.out" 2>&1 && fail "a wrong PIN was taken"
grep -q "refused the PIN (CKR_PIN_INCORRECT); check the PIN file before trying again" "$T/l1.out" || { cat "$T/l1.out"; fail "wrong PIN message"; }
i=0
until grep -q "dictionary-attack lockout (CKR_PIN_LOCKED)" "$T/l2.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 5 ] || { cat "$T/l2.out"; fail "no lockout message after $i wrong PINs"; }
	"$S" ca info --profile "$T/bad.ini" >"$T/l2.out" 2>&1 || true
done
"$S" ca info --profile "$PROFILE" >"$T/l3.out" 2>&1 && fail "the right PIN worked during a TPM lockout"
grep -q "tpm2_dictionarylockout --clear-lockout" "$T/l3.out" || { cat "$T/l3.out"; fail "lockout advice"; }
tpm2_dictionarylockout --clear-lockout -p "file:$T/tpm-lockout.auth" || fail "clearing the lockout"
"$S" ca info --profile "$PROFILE" >"$T/l4.out" 2>&1 || { cat "$T/l4.out"; fail "the right PIN after clearing the lockout"; }
ok "a wrong PIN says so; the lockout is named with how to end it (not an SO PIN reset); cleared, the PIN works"

tpm2_clear -c l >/dev/null 2>&1 && fail "the TPM was cleared without its lockout authorisation"
tcti_ok || fail "tpm2_getcap"
[ ! -s "$T/transient" ] || { cat "$T/transient"; fail "objects left loaded in the TPM"; }
"$S" audit checkpoint --profile "$PROFILE" >"$T/cp.out" 2>&1 || { cat "$T/cp.out"; fail "audit checkpoint"; }
"$S" audit verify --db "$db" --checkpoint "$T/checkpoints" >"$T/v2.out" 2>&1 || { cat "$T/v2.out"; fail "final audit verify"; }
grep -q "^not covered by a signed checkpoint: 0 of" "$T/v2.out" || { cat "$T/v2.out"; fail "entries left uncovered at the end"; }
ok "nothing left loaded in the TPM; the record verifies"
echo "PASS test-tpm"
