#!/bin/sh
# The audit (checkpoint) key: Ed25519 where the module offers it (SoftHSM2 does), EC P-256 when
# [hsm] audit_key_type = ec-p256 or the module lacks EdDSA. Each kind signs checkpoints that the
# station's verifier and the auditor guide's plain OpenSSL recipe both accept, and that the
# other key does not.
. "$(dirname "$0")/lib.sh"

# sig_of NOTE OUT: the signature bytes (after the 4-byte key ID) of the note's signature line
sig_of() { tail -1 "$1" | cut -d' ' -f3 | base64 -d | tail -c +5 >"$2"; }

# run_one PROFILE DIR: one board provisioned; prints the stop checkpoint's file
run_one() {
	"$BIN/firmware-stub" sim --boards 1 --dir "$2" -- "$BIN/station" run --profile "$1" --json \
		>"$2.json" 2>"$2.err" || { cat "$2.err"; fail "run with $1"; }
	s=$(jq -r 'select(.event=="checkpoint" and .trigger=="stop" and .ok) | .size' "$2.json")
	[ -n "$s" ] || { cat "$2.json"; fail "no stop checkpoint"; }
	echo "$s"
}

echo "-- default (auto): Ed25519"
grep -q "audit signing key .*(Ed25519)" "$T/ceremony.log" || { cat "$T/ceremony.log"; fail "ceremony did not make an Ed25519 audit key"; }
"$BIN/station" ca info --profile "$PROFILE" >"$T/info.json" 2>"$T/info.err" || fail "ca info: $(cat "$T/info.err")"
[ "$(jq -r .audit_key_type "$T/info.json")" = ed25519 ] || fail "ca info: $(cat "$T/info.json")"
s=$(run_one "$PROFILE" "$T/ed")
cp_ed=$T/checkpoints/$s.checkpoint
sig_of "$cp_ed" "$T/ed.sig"
[ "$(wc -c <"$T/ed.sig")" = 64 ] || fail "Ed25519 signature of $(wc -c <"$T/ed.sig") bytes"
head -3 "$cp_ed" >"$T/ed.body"
openssl pkeyutl -verify -pubin -inkey "$T/audit-key.pem" -rawin -in "$T/ed.body" -sigfile "$T/ed.sig" \
	>"$T/ossl.out" 2>&1 || { cat "$T/ossl.out"; fail "OpenSSL does not verify the Ed25519 checkpoint"; }
printf 'x' >>"$T/ed.body"
openssl pkeyutl -verify -pubin -inkey "$T/audit-key.pem" -rawin -in "$T/ed.body" -sigfile "$T/ed.sig" \
	>/dev/null 2>&1 && fail "OpenSSL verifies an altered body"
"$BIN/station" audit verify --db "$T/station.db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify (Ed25519)"; }
ok "ca init made an Ed25519 key; checkpoint of size $s: 64-byte signature, verified by 'openssl pkeyutl -rawin' and by audit verify"

echo "-- [hsm] audit_key_type = ec-p256"
P=$T/p256/profile.ini
mkdir -p "$T/p256"
sed -e 's/object=audit-log/object=audit-p256/' -e 's/^audit_key_type = .*/audit_key_type = ec-p256/' \
	-e "s#^database = .*#database = $T/p256/station.db#" -e "s#^pin_file = .*#pin_file = $T/hsm-user.pin#" \
	-e "s#^ca_cert = .*#ca_cert = $T/ca.pem#" -e "s#^root_cert = .*#root_cert = $T/root.pem#" \
	-e "s#^label_dir = .*#label_dir = $T/p256/labels#" "$PROFILE" >"$P"
grep -q '^audit_key_type = ec-p256$' "$P" || fail "p256 profile not made"
"$BIN/station" ca init --profile "$P" >"$T/p256/ceremony.log" 2>&1 || { cat "$T/p256/ceremony.log"; fail "ca init (p256)"; }
"$BIN/station" lot open --profile "$P" >>"$T/p256/ceremony.log" 2>&1 || { cat "$T/p256/ceremony.log"; fail "lot open (p256)"; }
grep -q "audit signing key .*(EC P-256)" "$T/p256/ceremony.log" || { cat "$T/p256/ceremony.log"; fail "no P-256 audit key made"; }
"$BIN/station" ca info --profile "$P" | jq -e '.audit_key_type == "ec-p256"' >/dev/null || fail "ca info (p256)"
s=$(run_one "$P" "$T/p256/b")
cp_ec=$T/p256/checkpoints/$s.checkpoint
sig_of "$cp_ec" "$T/ec.sig"
head -3 "$cp_ec" >"$T/ec.body"
openssl dgst -sha256 -verify "$T/p256/audit-key.pem" -signature "$T/ec.sig" "$T/ec.body" >"$T/ossl.out" 2>&1 ||
	{ cat "$T/ossl.out"; fail "OpenSSL does not verify the ECDSA checkpoint"; }
"$BIN/station" audit verify --db "$T/p256/station.db" --ca "$T/ca.pem" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify (p256)"; }
ok "ca init made an EC P-256 key; checkpoint of size $s: DER ECDSA signature, verified by 'openssl dgst' and by audit verify"

echo "-- each key refuses the other's checkpoints"
rc=0
"$BIN/station" audit verify --db "$T/p256/station.db" --ca "$T/ca.pem" --audit-key "$T/audit-key.pem" >"$T/x.out" 2>&1 || rc=$?
[ "$rc" = 7 ] || { cat "$T/x.out"; fail "P-256 log verified with the Ed25519 key: exit $rc"; }
rc=0
"$BIN/station" audit verify --db "$T/station.db" --audit-key "$T/p256/audit-key.pem" >"$T/y.out" 2>&1 || rc=$?
[ "$rc" = 7 ] || { cat "$T/y.out"; fail "Ed25519 log verified with the P-256 key: exit $rc"; }
ok "audit verify with the wrong audit key: exit 7 ('$(grep -m1 -i checkpoint "$T/x.out" | cut -c1-100)')"

rc=0
sed 's/^audit_key_type = .*/audit_key_type = rsa/' "$P" >"$T/bad.ini"
"$BIN/station" ca info --profile "$T/bad.ini" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "bad.ini:.*audit_key_type" "$T/bad.out" || { cat "$T/bad.out"; fail "bad audit_key_type: exit $rc"; }
ok "an unknown audit_key_type is refused with file:line (exit 3)"
echo "PASS test-audit-key"
