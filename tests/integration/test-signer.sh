#!/bin/sh
# The signer process on real components: station-signer with a SoftHSM2 token, OpenSSL, SQLite.
# Requests come from signer-driver (station-side code only, as the board-facing station) or from
# the station CLI. Checks issuance fields, CSR refusals, the lot quota across restarts, HSM
# start-up errors, PIN hygiene, privilege separation (who maps the PKCS#11 module) and the CRL.
. "$(dirname "$0")/lib.sh"
: "${SIGNER_DRIVER:?SIGNER_DRIVER must point at the signer-driver test program}"
export STATION_SIGNER="$BIN/station-signer"
DRV=$SIGNER_DRIVER
db=$T/station.db
PIN=$(cat "$T/hsm-user.pin")
SOPIN=$(cat "$T/hsm-so.pin")
[ ${#PIN} -ge 16 ] || fail "user PIN file looks empty"

# Test profile next to the demo one (same token, CA and database): quota 3, RSA allowed (so
# RSA-1024 is refused as weak, not as a wrong type).
P=$T/signer.ini
sed -e 's/^quota = .*/quota = 3/' -e 's/^key_types = .*/key_types = ec-p256, rsa/' "$PROFILE" >"$P"
grep -q '^quota = 3$' "$P" && grep -q '^key_types = ec-p256, rsa$' "$P" || fail "test profile not made"

rhex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
# mkcsr KEY NONCEHEX OUT [DIGEST]: a board's CSR (DER) with the nonce as challengePassword
mkcsr() {
	printf '[req]\nprompt=no\ndistinguished_name=dn\nattributes=att\n[dn]\nCN=chosen-by-the-board\n[att]\nchallengePassword=%s\n' \
		"$2" >"$T/req.cnf"
	openssl req -new -key "$1" -config "$T/req.cnf" ${4:+"-$4"} -outform DER -out "$3" 2>/dev/null || fail "openssl req"
}
# issue LOT CHIP NONCE CSR OUT: one board's attempt (session, board, commit, issue) through a
# freshly started signer; prints "issued SERIAL CERT_SERIAL" (exit 0) or the first refusal (exit 1)
issue() {
	printf 'session %s drv\nboard %s\ncommit %s\nissue %s %s %s %s\n' "$1" "$2" "$2" "$2" "$3" "$4" "$5" |
		"$DRV" script "$P" >"$T/drv.out" 2>>"$T/driver.err"
	r=$(grep -m1 '^refused\|^start-failed' "$T/drv.out") && { echo "$r"; return 1; }
	echo "issued $(sed -n 's/^ok new \([^ ]*\).*/\1/p' "$T/drv.out") $(sed -n 's/^ok issued //p' "$T/drv.out")"
}
for l in LOT-OK LOT-BAD LOT-Q LOT-Q2 LOT-CRL; do
	"$BIN/station" lot open --profile "$P" --lot $l >/dev/null 2>"$T/open.err" || fail "lot open $l: $(cat "$T/open.err")"
done
logcount() { sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE $1"; }

echo "-- issuance"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/k1.pem"
chip=$(rhex 8); nonce=$(rhex 16)
mkcsr "$T/k1.pem" "$nonce" "$T/c1.csr"
out=$(issue LOT-OK "$chip" "$nonce" "$T/c1.csr" "$T/c1.der") || fail "valid CSR refused: $out"
set -- $out; serial=$2; cserial=$3
openssl x509 -inform DER -in "$T/c1.der" -out "$T/c1.pem" || fail "certificate is not DER X.509"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/c1.pem" >/dev/null ||
	fail "certificate does not verify under root.pem + ca.pem"
ok "valid CSR: certificate issued ($cserial) and openssl verify accepts it (root + issuing CA)"
subj=$(openssl x509 -in "$T/c1.pem" -noout -subject -nameopt RFC2253)
[ "$subj" = "subject=serialNumber=$chip,CN=$serial,O=Example Thermostats Ltd" ] || fail "subject: $subj"
ok "subject CN = serial, O = profile, serialNumber = chip id (CSR subject ignored)"
openssl x509 -in "$T/c1.pem" -noout -ext subjectAltName | grep -qx "    URI:urn:example:device:TH2-DEMO:$serial" ||
	fail "SAN: $(openssl x509 -in "$T/c1.pem" -noout -ext subjectAltName)"
ok "SAN URI urn:example:device:TH2-DEMO:$serial"
bc=$(openssl x509 -in "$T/c1.pem" -noout -ext basicConstraints | tr -s ' \n' ' ')
[ "$bc" = "X509v3 Basic Constraints: critical CA:FALSE " ] || fail "basicConstraints: $bc"
ku=$(openssl x509 -in "$T/c1.pem" -noout -ext keyUsage | tr -s ' \n' ' ')
[ "$ku" = "X509v3 Key Usage: critical Digital Signature " ] || fail "keyUsage: $ku"
eku=$(openssl x509 -in "$T/c1.pem" -noout -ext extendedKeyUsage | tr -s ' \n' ' ')
[ "$eku" = "X509v3 Extended Key Usage: TLS Web Client Authentication " ] || fail "EKU: $eku"
ok "basicConstraints CA:FALSE critical, keyUsage digitalSignature critical, EKU clientAuth"
# serial: the INTEGER after tbsCertificate's [0] version; positive, 16 content bytes from 128
# random bits with the top bit cleared (15 when the top random byte is 0: 1 in 128).
sl=$(openssl asn1parse -inform DER -in "$T/c1.der" | sed -n '5p')
echo "$sl" | grep -q 'd=2 .* prim: INTEGER' || fail "no serial INTEGER: $sl"
slen=$(echo "$sl" | sed 's/.* l= *\([0-9]*\) prim.*/\1/')
shex=$(echo "$sl" | sed 's/.*INTEGER *://')
case $shex in -*) fail "negative serial $shex" ;; esac
[ "$slen" = 16 ] || { [ "$slen" = 15 ] && echo "  note: 15-byte serial (top random byte 0)"; } ||
	fail "serial is $slen bytes: $shex"
[ "$shex" = "$cserial" ] || fail "signer reported serial $cserial, certificate has $shex"
# 128 random bits with the top bit cleared: a full 16-byte value starts below 0x80 (a shorter
# one, whose top random byte was 0, may start with any byte: DER then prefixes 00)
[ ${#shex} -lt 32 ] || [ "$(printf %d "0x$(echo "$shex" | cut -c1-2)")" -lt 128 ] || fail "serial top bit set: $shex"
ok "serial $shex: positive, $slen bytes, reported to the station unchanged"
aki=$(openssl x509 -in "$T/c1.pem" -noout -ext authorityKeyIdentifier | sed -n 2p | tr -d ' :' | sed 's/^keyid//')
ski=$(openssl x509 -in "$T/ca.pem" -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' :')
[ -n "$ski" ] && [ "$aki" = "$ski" ] || fail "AKI $aki is not the CA SKI $ski"
ok "AKI keyid = issuing CA SKI ($ski)"
k1=$(openssl pkey -in "$T/k1.pem" -pubout -outform DER | sha256sum | cut -c1-64)
kc=$(openssl x509 -in "$T/c1.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
[ "$k1" = "$kc" ] || fail "certificate key is not the CSR key"
[ "$(sqlite3 "$db" "SELECT status||','||pubkey_sha256 FROM certs WHERE cert_serial='$cserial'")" = "issued,$k1" ] ||
	fail "certs row missing or wrong for $cserial"
[ "$(logcount "kind='cert.issued' AND chip_id='$chip' AND serial='$serial'")" = 1 ] || fail "no cert.issued entry"
ok "certificate carries the CSR key; certs row and cert.issued entry recorded"

echo "-- refused CSRs"
# refuse NAME CSR NONCE EXPECTED_TEXT: refused by policy with its reason and a cert.refused entry
refuse() {
	c=$(rhex 8)
	rc=0
	out=$(issue LOT-BAD "$c" "$3" "$2" "$T/none.der") || rc=$?
	[ "$rc" = 1 ] || fail "$1: expected refusal (exit 1), got exit $rc: $out"
	case $out in "refused refused by policy CSR: "*) ;; *) fail "$1: not a policy refusal: $out" ;; esac
	[ ! -e "$T/none.der" ] || fail "$1: a certificate was written"
	code=$(sqlite3 "$db" "SELECT json_extract(body,'\$.reason') FROM log WHERE kind='cert.refused' AND chip_id='$c'")
	case $code in "$4"*) ;; *) fail "$1: cert.refused entry reason '$code', expected '$4'" ;; esac
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM serials WHERE chip_id='$c' AND status='void'")" = 1 ] ||
		fail "$1: the refused attempt's serial is not void"
	ok "$1: refused (${out#refused refused by policy CSR: }); cert.refused logged, serial void"
	i=$((i + 1))
}
i=1
cp "$T/c1.csr" "$T/badsig.csr"
# flip the last byte: inside the CSR's signature value
last=$(tail -c 1 "$T/c1.csr" | od -An -tu1 | tr -d ' ')
head -c -1 "$T/c1.csr" >"$T/badsig.csr"
printf "\\$(printf %o $((last ^ 1)))" >>"$T/badsig.csr"
cmp -s "$T/c1.csr" "$T/badsig.csr" && fail "bad-signature CSR not altered"
refuse "bad signature" "$T/badsig.csr" "$nonce" "CSR self-signature does not verify"
openssl ecparam -name secp384r1 -genkey -noout -out "$T/k384.pem"
n=$(rhex 16); mkcsr "$T/k384.pem" "$n" "$T/p384.csr"
refuse "wrong key type (EC P-384)" "$T/p384.csr" "$n" "key type not allowed by the profile"
openssl genpkey -algorithm ed25519 -out "$T/ked.pem" 2>/dev/null
n=$(rhex 16); mkcsr "$T/ked.pem" "$n" "$T/ed.csr"
refuse "wrong key type (Ed25519)" "$T/ed.csr" "$n" "key type not allowed by the profile"
openssl genrsa -out "$T/k1024.pem" 1024 2>/dev/null
n=$(rhex 16); mkcsr "$T/k1024.pem" "$n" "$T/rsa1024.csr"
refuse "weak key (RSA-1024)" "$T/rsa1024.csr" "$n" "key size below policy"
n=$(rhex 16); mkcsr "$T/k1.pem" "$n" "$T/sha1.csr" sha1
refuse "SHA-1 self-signature" "$T/sha1.csr" "$n" "CSR signed with a digest weaker than SHA-256"
n=$(rhex 16); mkcsr "$T/k1.pem" "$n" "$T/nonce.csr"
refuse "wrong nonce" "$T/nonce.csr" "$(rhex 16)" "CSR does not carry the station nonce"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE lot='LOT-BAD'")" = 0 ] || fail "a refused CSR left a certificate"
ok "no certificate recorded for any refused CSR"

echo "-- quota (3 per lot; every driver call starts a new signer process)"
for q in 1 2 3; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/q$q.pem"
	n=$(rhex 16); mkcsr "$T/q$q.pem" "$n" "$T/q$q.csr"
	out=$(issue LOT-Q "$(rhex 8)" "$n" "$T/q$q.csr" "$T/q$q.der") || fail "quota: issue $q refused: $out"
done
for q in 4 5; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/q$q.pem"
	n=$(rhex 16); mkcsr "$T/q$q.pem" "$n" "$T/q$q.csr"
	rc=0
	out=$(issue LOT-Q "$(rhex 8)" "$n" "$T/q$q.csr" "$T/q$q.der") || rc=$?
	[ "$rc" = 1 ] || fail "quota: request $q should be refused, got exit $rc: $out"
	case $out in "refused quota reached QUOTA: lot LOT-Q has used its quota of 3"*) ;; *) fail "quota: $out" ;; esac
	[ ! -e "$T/q$q.der" ] || fail "quota: certificate $q written"
done
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE lot='LOT-Q'")" = 3 ] || fail "quota: lot holds other than 3 certificates"
[ "$(logcount "kind='board.fail' AND lot='LOT-Q' AND json_extract(body,'\$.code')='E_QUOTA'")" = 2 ] ||
	fail "quota: refusals not logged"
ok "3 issued; 4th and 5th refused (each by a newly started signer): '${out#refused quota reached QUOTA: }'"
"$BIN/station" ca info --profile "$P" >"$T/info.json" 2>"$T/info.err" || fail "ca info: $(cat "$T/info.err")"
n=$(rhex 16); mkcsr "$T/q5.pem" "$n" "$T/q5.csr"
out=$(issue LOT-Q "$(rhex 8)" "$n" "$T/q5.csr" "$T/q6.der") && fail "quota: issued after restart"
case $out in "refused quota reached"*) ;; *) fail "quota after restart: $out" ;; esac
out=$(issue LOT-Q2 "$(rhex 8)" "$n" "$T/q5.csr" "$T/q7.der") || fail "quota: another lot refused: $out"
ok "after 'station ca info' restarted the signer again: LOT-Q still refused, LOT-Q2 issues"

echo "-- a closed lot (the signer's own check, not only the station's)"
"$BIN/station" lot close --profile "$P" --lot LOT-Q2 --json >"$T/close.json" 2>"$T/close.err" ||
	fail "lot close: $(cat "$T/close.err")"
grep -q '"state":"closed"' "$T/close.json" || fail "lot close: $(cat "$T/close.json")"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/q8.pem"
n=$(rhex 16); mkcsr "$T/q8.pem" "$n" "$T/q8.csr"
rc=0
out=$(issue LOT-Q2 "$(rhex 8)" "$n" "$T/q8.csr" "$T/q8.der") || rc=$?
[ "$rc" = 1 ] || fail "closed lot: expected a refusal (exit 1), got $rc: $out"
case $out in *"lot LOT-Q2 is closed"*) ;; *) fail "closed lot: $out" ;; esac
[ ! -e "$T/q8.der" ] || fail "closed lot: certificate written"
[ "$(logcount "kind='request.refused' AND lot='LOT-Q2' AND json_extract(body,'\$.code')='LOT_CLOSED'")" = 1 ] ||
	fail "closed lot: refusal not logged"
ok "after 'station lot close': the signer refuses LOT-Q2 and logs LOT_CLOSED"

echo "-- start-up errors"
sed 's/^pin_file = .*/pin_file = wrong.pin/' "$P" >"$T/badpin.ini"
(umask 077 && echo "not-the-pin-0000" >"$T/wrong.pin")
sed 's/station-demo/no-such-token/g' "$P" >"$T/notoken.ini"
sed 's#^module = .*#module = /nonexistent/lib/libmissing-pkcs11.so#' "$P" >"$T/nomod.ini"
# starterr PROFILE WHAT PATTERN...: 'station ca info' exits 4 (HSM) and stderr names the cause
starterr() {
	p=$1; what=$2; shift 2
	rc=0
	"$BIN/station" ca info --profile "$p" >"$T/se.out" 2>"$T/se.err" || rc=$?
	[ "$rc" = 4 ] || fail "$what: exit $rc, expected 4 (HSM); $(cat "$T/se.err")"
	[ ! -s "$T/se.out" ] || fail "$what: printed on stdout"
	for pat in "$@"; do
		grep -qF -- "$pat" "$T/se.err" || fail "$what: stderr lacks '$pat': $(cat "$T/se.err")"
	done
	ok "$what: exit 4, '$(grep -F -- "$1" "$T/se.err" | head -1)'"
}
starterr "$T/badpin.ini" "wrong PIN" "CKR_PIN_INCORRECT" "check the PIN file" "the signer did not start"
starterr "$T/notoken.ini" "missing token" "no HSM token matches label 'no-such-token'" "tokens present: 'station-demo'"
starterr "$T/nomod.ini" "missing module" "cannot load PKCS#11 module '/nonexistent/lib/libmissing-pkcs11.so'" "[hsm] module="
# the same through 'station run' (one simulated board): stops before touching the board
rc=0
stub 1 "$T/badpin-boards" -- "$BIN/station" run --profile "$T/badpin.ini" --json >"$T/badpin-run.json" 2>"$T/badpin-run.err" || rc=$?
[ "$rc" = 4 ] || fail "station run with a wrong PIN: exit $rc, expected 4: $(cat "$T/badpin-run.err")"
grep -q CKR_PIN_INCORRECT "$T/badpin-run.err" || fail "station run: no CKR_PIN_INCORRECT: $(cat "$T/badpin-run.err")"
ok "station run with a wrong PIN: exit 4, CKR_PIN_INCORRECT on stderr"
[ "$(logcount "kind='hsm.error' AND body LIKE '%cannot log in to the HSM token%'")" -ge 1 ] ||
	fail "station run: the failed HSM log-in is not in the audit record"
ok "station run records the failed log-in (hsm.error)"

# regression: with stdin closed the signer's socket end is already fd 3 in the child; it must
# still reach the signer (signer-client.c used to leave FD_CLOEXEC set on it)
"$BIN/station" ca info --profile "$P" <&- >"$T/info-noin.json" 2>"$T/info-noin.err" ||
	fail "ca info with stdin closed: $(cat "$T/info-noin.err")"
grep -q '"quota_per_lot":3' "$T/info-noin.json" || fail "ca info with stdin closed: $(cat "$T/info-noin.json")"
ok "station ca info with stdin closed starts the signer (socket already at fd 3)"
[ "$(logcount "kind='hsm.login' AND json_extract(body,'\$.purpose')='ceremony'")" -ge 1 ] ||
	fail "the ceremony's HSM log-in is not recorded"
[ "$(logcount "kind='key.generated'")" = 3 ] && [ "$(logcount "kind='ca.certified'")" = 1 ] ||
	fail "ceremony entries: $(sqlite3 "$db" "SELECT kind FROM log WHERE lot='ceremony'")"
ok "ceremony recorded hsm.login (purpose ceremony), 3 key.generated, 1 ca.certified"

echo "-- privilege separation and PIN hygiene"
ldd "$BIN/station" >"$T/ldd.txt"
if grep -Ei 'pkcs11|softhsm|p11-kit|libp11' "$T/ldd.txt"; then fail "station links a PKCS#11 library"; fi
if ldd "$DRV" | grep -Ei 'pkcs11|softhsm|p11-kit|libp11'; then fail "driver links a PKCS#11 library"; fi
ok "ldd: station (and the driver) link no pkcs11/softhsm/p11-kit library"
"$DRV" maps "$P" 3 >"$T/maps.out" 2>"$T/maps.err" &
mp=$!
sleep 1.5
ps -eo args >"$T/ps1.txt"
wait $mp || fail "driver maps check: $(cat "$T/maps.out" "$T/maps.err")"
grep -q '^driver-maps clean$' "$T/maps.out" && grep -q '^signer-maps .*libsofthsm2' "$T/maps.out" || fail "maps: $(cat "$T/maps.out")"
grep -q 'station-signer serve --fd 3' "$T/ps1.txt" || fail "ps sample missed the signer"
ok "driver (station code) maps no PKCS#11 module; its signer (pid $(sed -n 's/^signer //p' "$T/maps.out")) maps libsofthsm2"
# station run on 4 boards (demo profile): sample ps and both processes' maps while it runs.
# A run takes well under a second, so poll without sleeping and try again (new boards) if a
# run ended before both processes were caught.
seen_st=0; seen_sg=0; k=0; att=0
: >"$T/ps2.txt"
while [ $seen_st -eq 0 ] || [ $seen_sg -eq 0 ]; do
	att=$((att + 1))
	[ $att -le 3 ] || fail "station run: caught the station's maps $seen_st times and the signer's $seen_sg times in 3 runs"
	stub 4 "$T/boards$att" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run$att.json" 2>"$T/run$att.err" &
	rp=$!
	while kill -0 $rp 2>/dev/null; do
		ps -eo pid,args >"$T/ps.now" 2>/dev/null || true
		cat "$T/ps.now" >>"$T/ps2.txt"
		sp=$(awk -v p="$PROFILE" '$2 ~ /\/station$/ && $3 == "run" && index($0, p) {print $1; exit}' "$T/ps.now")
		gp=$(awk -v p="$PROFILE" '$2 == "station-signer" && $3 == "serve" && index($0, p) {print $1; exit}' "$T/ps.now")
		if [ -n "$sp" ] && cp "/proc/$sp/maps" "$T/st.maps" 2>/dev/null && [ -s "$T/st.maps" ]; then
			if grep -Ei 'softhsm|pkcs11|p11-kit' "$T/st.maps"; then fail "station run maps a PKCS#11 module"; fi
			seen_st=$((seen_st + 1))
		fi
		if [ -n "$gp" ] && cp "/proc/$gp/maps" "$T/sg.maps" 2>/dev/null && [ -s "$T/sg.maps" ] &&
			grep -q libsofthsm2 "$T/sg.maps"; then
			seen_sg=$((seen_sg + 1))
		fi
		k=$((k + 1))
	done
	rc=0; wait $rp || rc=$?
	[ "$rc" = 0 ] || fail "station run: exit $rc: $(cat "$T/run$att.err")"
	[ "$(grep -c '"result":"PASS"' "$T/run$att.json")" = 4 ] || fail "station run: expected 4 PASS"
done
ok "station run (4 PASS, $att run(s)): its maps had no PKCS#11 module in $seen_st samples; the signer's had libsofthsm2 in $seen_sg ($k polls)"
for f in "$T"/ps1.txt "$T"/ps2.txt "$T"/*.log "$T"/*.err "$T"/*.out "$T"/*.json "$db" "$db-wal" "$db-shm"; do
	[ -f "$f" ] || continue
	if grep -aqF -- "$PIN" "$f"; then fail "the user PIN appears in $f"; fi
	if grep -aqF -- "$SOPIN" "$f"; then fail "the SO PIN appears in $f"; fi
done
ok "neither PIN appears in ps samples ($(wc -l <"$T/ps2.txt") lines), logs, stdout/stderr, or the DB/WAL files"

echo "-- CRL"
c2=$(rhex 8); n=$(rhex 16)
openssl ecparam -name prime256v1 -genkey -noout -out "$T/k2.pem"
mkcsr "$T/k2.pem" "$n" "$T/c2.csr"
printf 'session LOT-CRL drv\nboard %s\ncommit %s\nissue %s %s %s %s\nfail %s install E_INSTALL\n' "$c2" "$c2" "$c2" "$n" \
	"$T/c2.csr" "$T/c2.der" "$c2" | "$DRV" script "$P" >"$T/crl-drv.out" || fail "CRL: driver"
void2=$(sed -n 's/^ok issued //p' "$T/crl-drv.out")
[ -n "$void2" ] && [ "$(tail -n 1 "$T/crl-drv.out")" = ok ] || fail "CRL: issue and fail: $(cat "$T/crl-drv.out")"
voids=$(sqlite3 "$db" "SELECT cert_serial FROM certs WHERE status='void' ORDER BY cert_serial")
[ "$(echo "$voids" | wc -l)" -ge 2 ] || fail "CRL: expected at least 2 void certificates: $voids"
"$BIN/station" ca crl --profile "$P" --pem --out "$T/crl.pem" 2>"$T/crl.err" || fail "ca crl: $(cat "$T/crl.err")"
openssl crl -in "$T/crl.pem" -CAfile "$T/ca.pem" -noout 2>&1 | grep -qx 'verify OK' || fail "CRL does not verify under ca.pem"
listed=$(openssl crl -in "$T/crl.pem" -noout -text | sed -n 's/^ *Serial Number: *//p' | sort)
[ "$listed" = "$(echo "$voids" | sort)" ] || fail "CRL lists '$listed', void certificates are '$voids'"
echo "$listed" | grep -qx "$void2" || fail "CRL does not list $void2, voided by a FAIL after issuance"
# 'station run' above recorded the driver's earlier certificates (issued, never confirmed by a
# board) as interrupted attempts, so they are void too; the boards that passed are not.
confirmed=$(sqlite3 "$db" "SELECT cert_serial FROM certs WHERE status='confirmed'")
[ "$(echo "$confirmed" | wc -w)" -ge 2 ] || fail "CRL: no confirmed certificates to compare"
for c in $confirmed; do echo "$listed" | grep -qx "$c" && fail "CRL lists the valid certificate $c"; done
openssl crl -in "$T/crl.pem" -noout -issuer -nameopt RFC2253 | grep -qx 'issuer=CN=thermostat-v2 Issuing CA,O=Example Thermostats Ltd' || fail "CRL issuer"
ok "ca crl --pem: verifies under ca.pem, lists exactly the $(echo "$voids" | wc -l) void certificates (incl. $void2), no confirmed one"
echo "-- a CRL larger than one signer reply (sent in chunks of one signed CRL)"
i=0
{
	echo "session LOT-DEMO-1 drv"
	while [ $i -lt 480 ]; do
		c=$(printf 'c41c%012x' $i); n=$(printf '%032x' $((i + 1)))
		printf '[req]\nprompt=no\ndistinguished_name=dn\nattributes=att\n[dn]\nCN=x\n[att]\nchallengePassword=%s\n' \
			"$n" >"$T/crl.cnf"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null \
			-config "$T/crl.cnf" -outform DER -out "$T/crl-$i.csr" 2>/dev/null || fail "openssl req"
		printf 'board %s\ncommit %s\nissue %s %s %s %s\nfail %s install E_INSTALL\n' "$c" "$c" "$c" "$n" \
			"$T/crl-$i.csr" "$T/crl-$i.der" "$c"
		i=$((i + 1))
	done
} | "$DRV" script "$PROFILE" >"$T/crl-many.out" 2>"$T/crl-many.err" || fail "CRL: driver"
[ "$(grep -c '^ok issued' "$T/crl-many.out")" = 480 ] || { grep -m3 '^refused' "$T/crl-many.out"; fail "CRL: 480 issued"; }
"$BIN/station" ca crl --profile "$PROFILE" --out "$T/big.crl" 2>"$T/big.err" || fail "ca crl (big): $(cat "$T/big.err")"
size=$(wc -c <"$T/big.crl")
[ "$size" -gt 16320 ] || fail "CRL of $size bytes: not larger than one reply"
openssl crl -inform DER -in "$T/big.crl" -CAfile "$T/ca.pem" -noout 2>&1 | grep -qx 'verify OK' || fail "big CRL does not verify"
listed=$(openssl crl -inform DER -in "$T/big.crl" -noout -text | grep -c 'Serial Number:')
voids=$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE status='void'")
[ "$listed" = "$voids" ] || fail "the big CRL lists $listed certificates, the record has $voids void"
ok "ca crl: $size bytes ($listed void certificates) in chunks; one signature, verifies under ca.pem"
echo "PASS test-signer"
