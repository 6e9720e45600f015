#!/bin/sh
# The audit (checkpoint) key: EC P-256 by default (auto), Ed25519 when [hsm] audit_key_type =
# ed25519 and the module offers EdDSA. Each kind signs checkpoints that the station's verifier and
# the auditor guide's plain OpenSSL recipe both accept, and that the other key does not. On the
# default token the CA key stays usable from OpenSSL's PKCS#11 engine and is paired (CKA_ID,
# label) with the CA certificate stored beside it.
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

# mkprof NAME TYPE: a profile beside $PROFILE with its own audit key and database
mkprof() {
	mkdir -p "$T/$1"
	sed -e "s/object=audit-log/object=audit-$1/" -e "s/^audit_key_type = .*/audit_key_type = $2/" \
		-e "s#^database = .*#database = $T/$1/station.db#" -e "s#^pin_file = .*#pin_file = $T/hsm-user.pin#" \
		-e "s#^ca_cert = .*#ca_cert = $T/ca.pem#" -e "s#^root_cert = .*#root_cert = $T/root.pem#" \
		-e "s#^label_dir = .*#label_dir = $T/$1/labels#" "$PROFILE" >"$T/$1/profile.ini"
	grep -q "^audit_key_type = $2\$" "$T/$1/profile.ini" || fail "$1 profile not made"
}

echo "-- default (auto): EC P-256"
grep -q "audit signing key .*(EC P-256, id [0-9a-f]*)" "$T/ceremony.log" || { cat "$T/ceremony.log"; fail "ceremony did not make an EC P-256 audit key"; }
"$BIN/station" ca info --profile "$PROFILE" >"$T/info.json" 2>"$T/info.err" || fail "ca info: $(cat "$T/info.err")"
[ "$(jq -r .audit_key_type "$T/info.json")" = ec-p256 ] || fail "ca info: $(cat "$T/info.json")"
s=$(run_one "$PROFILE" "$T/ec")
cp_ec=$T/checkpoints/$s.checkpoint
sig_of "$cp_ec" "$T/ec.sig"
head -3 "$cp_ec" >"$T/ec.body"
openssl dgst -sha256 -verify "$T/audit-key.pem" -signature "$T/ec.sig" "$T/ec.body" >"$T/ossl.out" 2>&1 ||
	{ cat "$T/ossl.out"; fail "OpenSSL does not verify the ECDSA checkpoint"; }
printf 'x' >>"$T/ec.body"
openssl dgst -sha256 -verify "$T/audit-key.pem" -signature "$T/ec.sig" "$T/ec.body" >/dev/null 2>&1 &&
	fail "OpenSSL verifies an altered body"
"$BIN/station" audit verify --db "$T/station.db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify (P-256)"; }
ok "ca init made an EC P-256 key; checkpoint of size $s: DER ECDSA signature, verified by 'openssl dgst' and by audit verify"

echo "-- OpenSSL's PKCS#11 engine signs with the CA key; the key and its certificate are paired"
cnf=$T/engine.cnf
(umask 077; printf 'openssl_conf = oc\n[oc]\nengines = es\n[es]\npkcs11 = p11\n[p11]\nengine_id = pkcs11\nMODULE_PATH = %s\nPIN = %s\ninit = 0\n' \
	"$(sed -n 's/^module = //p' "$PROFILE")" "$(cat "$T/hsm-user.pin")" >"$cnf")
key="org.openssl.engine:pkcs11:pkcs11:token=station-demo;object=issuing-ca;type=private"
OPENSSL_CONF=$cnf openssl req -new -key "$key" -subj /CN=engine-check -out "$T/engine.csr" >"$T/engine.out" 2>&1 ||
	{ cat "$T/engine.out"; fail "OpenSSL's PKCS#11 engine cannot use the CA key on the demo token"; }
openssl req -in "$T/engine.csr" -noout -verify >/dev/null 2>&1 || fail "the engine's CSR does not verify"
[ "$(openssl req -in "$T/engine.csr" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
  "$(openssl x509 -in "$T/ca.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" ] ||
	fail "the engine signed with a key other than the issuing CA's"
id=$(sed -n 's/.*issuing CA key .*created.*id \([0-9a-f]*\)).*/\1/p' "$T/ceremony.log")
[ -n "$id" ] || { cat "$T/ceremony.log"; fail "ceremony did not print the CA key's CKA_ID"; }
pkcs11-tool --module "$(sed -n 's/^module = //p' "$PROFILE")" --token-label station-demo --list-objects --type cert \
	>"$T/certs.out" 2>&1 || { cat "$T/certs.out"; fail "pkcs11-tool --list-objects"; }
grep -A4 "label: *issuing-ca" "$T/certs.out" | grep -q "ID: *$id" || { cat "$T/certs.out"; fail "no certificate with the CA key's label and CKA_ID $id on the token"; }
ok "the engine signs a CSR with the CA key (PIN from a mode-600 config, not argv); certificate 'issuing-ca' on the token carries the key's CKA_ID $id"

echo "-- a key planted in the token (imported, not generated there) is not adopted"
M=$(sed -n 's/^module = //p' "$PROFILE")
openssl ecparam -name prime256v1 -genkey -noout -out "$T/planted.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$T/planted.pem" -outform DER -out "$T/planted.der"
# the insider's own tool, with the PIN on its command line (the station never does this)
pkcs11-tool --module "$M" --token-label station-demo --login --pin "$(cat "$T/hsm-user.pin")" \
	--write-object "$T/planted.der" --type privkey --label planted-ca --id 99 >"$T/plant.out" 2>&1 ||
	{ cat "$T/plant.out"; fail "could not plant a key"; }
mkdir -p "$T/planted"
sed -e 's/object=issuing-ca/object=planted-ca/' -e "s#^database = .*#database = $T/planted/station.db#" \
	-e "s#^pin_file = .*#pin_file = $T/hsm-user.pin#" -e "s#^ca_cert = .*#ca_cert = $T/planted/ca.pem#" \
	-e "s#^root_cert = .*#root_cert = $T/planted/root.pem#" "$PROFILE" >"$T/planted/profile.ini"
rc=0
"$BIN/station" ca init --profile "$T/planted/profile.ini" >"$T/planted/ceremony.log" 2>&1 || rc=$?
[ "$rc" = 4 ] || { cat "$T/planted/ceremony.log"; fail "a planted key: ca init exited $rc, not 4"; }
grep -q "issuing CA key 'pkcs11:token=station-demo;object=planted-ca' .*refused" "$T/planted/ceremony.log" ||
	{ cat "$T/planted/ceremony.log"; fail "no refusal naming the planted key"; }
[ ! -e "$T/planted/ca.pem" ] || fail "a CA certificate was made over the planted key"
[ "$(sqlite3 "$T/planted/station.db" "SELECT COUNT(*) FROM log WHERE kind='hsm.error' AND body LIKE '%key.adopt%'")" = 1 ] ||
	fail "the refusal is not recorded"
[ "$(sqlite3 "$T/station.db" "SELECT COUNT(*) FROM log WHERE kind='key.adopted'")" = 0 ] || fail "key.adopted on a fresh ceremony"
"$BIN/station" ca init --profile "$PROFILE" >"$T/again.log" 2>&1 || { cat "$T/again.log"; fail "second ca init"; }
[ "$(sqlite3 "$T/station.db" "SELECT COUNT(*) FROM log WHERE kind='key.adopted' AND body LIKE '%\"local\":true%'")" = 3 ] ||
	fail "the second ceremony did not record its three keys as adopted"
ok "a planted key: refused ($(grep -o 'not one that never left it\|imported into the token' "$T/planted/ceremony.log" | head -1)), hsm.error recorded, no CA certificate; keys made in the token: key.adopted with their attributes"

echo "-- [hsm] audit_key_type = ed25519"
mkprof ed ed25519
P=$T/ed/profile.ini
"$BIN/station" ca init --profile "$P" >"$T/ed/ceremony.log" 2>&1 || { cat "$T/ed/ceremony.log"; fail "ca init (ed25519)"; }
"$BIN/station" lot open --profile "$P" >>"$T/ed/ceremony.log" 2>&1 || { cat "$T/ed/ceremony.log"; fail "lot open (ed25519)"; }
grep -q "audit signing key .*(Ed25519" "$T/ed/ceremony.log" || { cat "$T/ed/ceremony.log"; fail "no Ed25519 audit key made"; }
grep -q "hides every key of that token from OpenSSL's PKCS#11 engine" "$T/ed/ceremony.log" ||
	{ cat "$T/ed/ceremony.log"; fail "no warning about the PKCS#11 engine"; }
"$BIN/station" ca info --profile "$P" | jq -e '.audit_key_type == "ed25519"' >/dev/null || fail "ca info (ed25519)"
s=$(run_one "$P" "$T/ed/b")
cp_ed=$T/ed/checkpoints/$s.checkpoint
sig_of "$cp_ed" "$T/ed.sig"
[ "$(wc -c <"$T/ed.sig")" = 64 ] || fail "Ed25519 signature of $(wc -c <"$T/ed.sig") bytes"
head -3 "$cp_ed" >"$T/ed.body"
openssl pkeyutl -verify -pubin -inkey "$T/ed/audit-key.pem" -rawin -in "$T/ed.body" -sigfile "$T/ed.sig" \
	>"$T/ossl.out" 2>&1 || { cat "$T/ossl.out"; fail "OpenSSL does not verify the Ed25519 checkpoint"; }
printf 'x' >>"$T/ed.body"
openssl pkeyutl -verify -pubin -inkey "$T/ed/audit-key.pem" -rawin -in "$T/ed.body" -sigfile "$T/ed.sig" \
	>/dev/null 2>&1 && fail "OpenSSL verifies an altered body"
"$BIN/station" audit verify --db "$T/ed/station.db" --ca "$T/ca.pem" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify (ed25519)"; }
ok "ca init made an Ed25519 key (with a warning); checkpoint of size $s: 64-byte signature, verified by 'openssl pkeyutl -rawin' and by audit verify"

echo "-- each key refuses the other's checkpoints"
rc=0
"$BIN/station" audit verify --db "$T/ed/station.db" --ca "$T/ca.pem" --audit-key "$T/audit-key.pem" >"$T/x.out" 2>&1 || rc=$?
[ "$rc" = 7 ] || { cat "$T/x.out"; fail "Ed25519 log verified with the P-256 key: exit $rc"; }
rc=0
"$BIN/station" audit verify --db "$T/station.db" --audit-key "$T/ed/audit-key.pem" >"$T/y.out" 2>&1 || rc=$?
[ "$rc" = 7 ] || { cat "$T/y.out"; fail "P-256 log verified with the Ed25519 key: exit $rc"; }
ok "audit verify with the wrong audit key: exit 7 ('$(grep -m1 -i checkpoint "$T/x.out" | cut -c1-100)')"

rc=0
sed 's/^audit_key_type = .*/audit_key_type = rsa/' "$P" >"$T/bad.ini"
"$BIN/station" ca info --profile "$T/bad.ini" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "bad.ini:.*audit_key_type" "$T/bad.out" || { cat "$T/bad.out"; fail "bad audit_key_type: exit $rc"; }
ok "an unknown audit_key_type is refused with file:line (exit 3)"
echo "PASS test-audit-key"
