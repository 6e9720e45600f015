#!/bin/sh
# Issue #16, onboarding credentials: boards provisioned with a password, a Wi-Fi access-point
# credential and a Matter setup code. The label's QR codes are decoded with a real decoder
# (zbarimg) and checked against what each board stores: the passphrase itself (WPA3/transition)
# or the PSK computed independently by `openssl kdf` (WPA2), and the SPAKE2+ verifier recomputed
# from the passcode the Matter QR code carries (build/tests/cred-probe). No credential's
# plaintext may reach the database, the log lines or the JSON events; `station audit verify`
# checks the commitments and catches an edited or deleted cred_commits row.
. "$(dirname "$0")/lib.sh"
: "${CRED_PROBE:?CRED_PROBE must point at the cred-probe test program}"
command -v zbarimg >/dev/null || fail "zbarimg missing (Debian package zbar-tools; scripts/deps.sh)"
db=$T/station.db
labels=$T/labels

# The default layout grows to fit the codes: the demo profile's fixed 60 x 30 mm goes.
sed -i '/^width_mm = /d; /^height_mm = /d' "$PROFILE"
# A prefix with every character the WIFI: format escapes (\ ; , " :) and passphrases from the
# whole printable alphabet: the label's escaping is exercised on every board.
cat >>"$PROFILE" <<'EOF'

[wifi]
ssid_prefix = TH2\;"Set,up:
ssid_suffix = 6
security = wpa2-wpa3
length = 24
alphabet = printable

[matter]
vendor_id = 0xFFF1
product_id = 0x8001
discovery = ble, on-network
iterations = 1000
salt_length = 32
EOF
mkdir -p -m 700 "$labels"
"$BIN/station" profile check "$PROFILE" >/dev/null || { "$BIN/station" profile check "$PROFILE"; fail "profile"; }

# wifi_field QR KEY: the unescaped value of KEY (S or P) in a WIFI: payload
wifi_field() {
	python3 - "$1" "$2" <<'PY'
import sys
q, key = sys.argv[1], sys.argv[2]
assert q.startswith("WIFI:") and q.endswith(";;"), q
body, fields, cur, i = q[5:-1], {}, "", 0
while i < len(body):
    c = body[i]
    if c == "\\":
        cur += body[i + 1]; i += 2; continue
    if c == ";":
        k, _, v = cur.partition(":"); fields[k] = v; cur = ""
    else:
        cur += c
    i += 1
sys.stdout.write(fields[key])
PY
}
# flash_of SERIAL DIR: the flash file of the board that got SERIAL
flash_of() {
	for f in "$2"/*.flash; do
		[ "$("$BIN/firmware-stub" show --flash "$f" | jq -r .serial)" = "$1" ] && { echo "$f"; return; }
	done
	fail "no board in $2 has serial $1"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# zpl_pass ZPL: the text of the label's one ^FH field (the wifi_passphrase field), its _XX hex
# escapes undone; fails on a '^' or '~' inside it (a ZPL command) or on a label that is not one
# ^XA ... ^XZ
zpl_pass() {
	python3 - "$1" <<'PY'
import re, sys
z = open(sys.argv[1], encoding="ascii").read()
assert z.startswith("^XA\n") and z.endswith("^XZ\n") and z.count("^XA") == 1 and z.count("^XZ") == 1, "not one label"
assert z.count("^FH") == 1, "not one ^FH field"
data = z.split("^FH_^FD", 1)[1].split("^FS", 1)[0]
assert "^" not in data and "~" not in data and "\n" not in data, "a ZPL command in the field"
sys.stdout.write(re.sub(r"_([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), data))
PY
}

# check_run JSON DIR SECURITY [CAPTION]: every PASS board's label against the board's stored
# credentials; with CAPTION, the ZPL's wifi_passphrase field must read "CAPTION passphrase" (the
# passphrase the Wi-Fi QR code carries); the passphrases and setup codes of the run go to
# $T/secrets
check_run() {
	n=0
	pcap=${4:-}
	for serial in $(jq -r 'select(.event == "result" and .result == "PASS") | .serial' "$1"); do
		png=$(jq -r "select(.event == \"label\" and .serial == \"$serial\") | .preview" "$1")
		[ -f "$png" ] || fail "no PNG label for $serial"
		zbarimg -q --raw --nodbus "$png" >"$T/qr.txt" 2>/dev/null || fail "zbarimg read nothing in $png"
		wq=$(grep '^WIFI:' "$T/qr.txt") || fail "no Wi-Fi QR code on the label of $serial: $(cat "$T/qr.txt")"
		mq=$(grep '^MT:' "$T/qr.txt") || fail "no Matter QR code on the label of $serial"
		ssid=$(wifi_field "$wq" S)
		pass=$(wifi_field "$wq" P)
		case "$ssid" in 'TH2\;"Set,up:'??????) ;; *) fail "SSID '$ssid' is not the prefix and 6 characters" ;; esac
		[ ${#pass} = 24 ] || fail "passphrase of ${#pass} characters, not 24"
		if [ -n "$pcap" ]; then
			ptext=$(zpl_pass "$labels/$serial.zpl") || fail "the ZPL label of $serial: no sound wifi_passphrase field"
			[ "$ptext" = "$pcap $pass" ] || fail "the ZPL label of $serial reads '$ptext' in its wifi_passphrase field, not '$pcap' and the passphrase of its Wi-Fi QR code"
		else
			! grep -q '\^FH' "$labels/$serial.zpl" || fail "a wifi_passphrase field in the default layout"
		fi
		flash=$(flash_of "$serial" "$2")
		"$BIN/firmware-stub" show --flash "$flash" >"$T/show.json"
		[ "$(jq -r .credentials.wifi.ssid "$T/show.json")" = "$ssid" ] || fail "$serial stores another SSID"
		stored=$(jq -r .credentials.wifi.secret "$T/show.json")
		if [ "$3" = wpa2 ]; then
			[ "$(jq -r .credentials.wifi.akm "$T/show.json")" = 1 ] || fail "$serial: akm is not WPA2-PSK"
			psk=$(openssl kdf -keylen 32 -kdfopt digest:SHA1 -kdfopt "pass:$pass" -kdfopt "salt:$ssid" \
				-kdfopt iter:4096 PBKDF2 | tr -d ':\n' | tr 'A-F' 'a-f')
			[ "$stored" = "$psk" ] || fail "$serial stores $stored, the PSK of its label is $psk"
			[ "$stored" != "$(hex "$pass")" ] || fail "$serial stores the passphrase"
		else
			[ "$stored" = "$(hex "$pass")" ] || fail "$serial does not store the passphrase of its label"
		fi
		set -- "$1" "$2" "$3" $("$CRED_PROBE" matter-decode "$mq")
		[ "$4 $5 $6 $7 $8" = "version=0 vendor=0xfff1 product=0x8001 flow=0 rendezvous=6" ] ||
			fail "the Matter QR code of $serial says '$4 $5 $6 $7 $8'"
		disc=${9#discriminator=}
		code=${10#passcode=}
		[ "$(jq -r .credentials.matter.discriminator "$T/show.json")" = "$disc" ] || fail "$serial advertises another discriminator"
		salt=$(jq -r .credentials.matter.salt "$T/show.json")
		[ ${#salt} = 64 ] && [ "$(jq -r .credentials.matter.iterations "$T/show.json")" = 1000 ] || fail "$serial: salt or iterations"
		ver=$("$CRED_PROBE" matter-verifier "$code" "$salt" 1000)
		[ "$(jq -r .credentials.matter.verifier "$T/show.json")" = "$ver" ] ||
			fail "$serial stores a verifier that is not the one of the passcode on its label"
		manual=$("$CRED_PROBE" manual-code "$mq")
		grouped=$(echo "$manual" | sed 's/^\(....\)\(...\)\(....\)$/\1-\2-\3/')
		grep -q -- "$grouped" "$labels/$serial.zpl" || fail "the ZPL label of $serial lacks the setup code $grouped"
		printf '%s\n%08d\n%s\n' "$pass" "$code" "$manual" >>"$T/secrets"
		echo "$ssid" >>"$T/ssids"
		n=$((n + 1))
	done
	echo $n
}

echo "-- 3 boards, WPA2/WPA3 transition: the board keeps the passphrase"
: >"$T/secrets"
: >"$T/ssids"
stub 3 "$T/b1" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run1.json" 2>"$T/run1.err" ||
	{ cat "$T/run1.json" "$T/run1.err"; fail "run 1"; }
n=$(check_run "$T/run1.json" "$T/b1" wpa2-wpa3) || exit 1
[ "$n" = 3 ] || { cat "$T/run1.json"; fail "expected 3 PASS, got $n"; }
ok "3 boards: zbarimg reads a WIFI: and an MT: code from each label; each board stores its label's SSID and passphrase, the discriminator and the SPAKE2+ verifier of its label's passcode; the ZPL shows the setup code"

echo "-- 2 boards, WPA2 only: the board keeps the PSK, not the passphrase; a layout of its own with the passphrase as text"
sed -i 's/^security = .*/security = wpa2/' "$PROFILE"
# explicit fields (mm) after the [label] section's last key: the passphrase printed beside its
# code, for a device that cannot scan it
sed -i '/^output = dir$/a\
width_mm = 80\
height_mm = 55\
field = serial 2 2 3\
field = password 2 6 3\
field = wifi_ssid 2 10 2.5\
field = wifi_passphrase 2 14 2.5\
field = matter_code 2 18 2.5\
field = wifi_qr 2 24 24\
field = matter_qr 30 24 22' "$PROFILE"
"$BIN/station" profile check "$PROFILE" >/dev/null || { "$BIN/station" profile check "$PROFILE"; fail "profile with fields"; }
stub 2 "$T/b2" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run2.json" 2>"$T/run2.err" ||
	{ cat "$T/run2.json" "$T/run2.err"; fail "run 2"; }
n=$(check_run "$T/run2.json" "$T/b2" wpa2 "Wi-Fi key") || exit 1
[ "$n" = 2 ] || { cat "$T/run2.json"; fail "expected 2 PASS, got $n"; }
[ "$(sort -u "$T/ssids" | wc -l)" = 5 ] || fail "two boards share an SSID"
[ "$(sort -u "$T/secrets" | wc -l)" = 15 ] || fail "two boards share a passphrase, passcode or code"
ok "2 boards: each stores the PSK that openssl kdf computes from its label's passphrase and SSID; each ZPL label's wifi_passphrase field (^FH-escaped) reads 'Wi-Fi key' and the passphrase its QR code carries; 5 SSIDs, 5 passphrases, 5 passcodes all different"

echo "-- no plaintext in the database, the logs or the events"
sqlite3 "$db" .dump >"$T/dump.sql"
for f in "$T/dump.sql" "$db" "$db-wal" "$T/run1.json" "$T/run1.err" "$T/run2.json" "$T/run2.err"; do
	[ -f "$f" ] || continue
	while IFS= read -r s; do
		case "$s" in
		*[!0-9]*) ! grep -aqF -- "$s" "$f" || fail "'$s' (a credential) is in $f" ;;
		*)	# a passcode or manual code: digits, not inside a hex string or a longer number
			! grep -aqE -- "(^|[^0-9a-fA-F])$s(\$|[^0-9a-fA-F])" "$f" || fail "'$s' (a credential) is in $f" ;;
		esac
	done <"$T/secrets"
done
[ "$(sqlite3 "$db" "SELECT count(*) FROM log WHERE kind = 'credential.committed'")" = 10 ] || fail "credential.committed entries"
[ "$(sqlite3 "$db" "SELECT count(*) FROM cred_commits WHERE kind = 'wifi'") $(sqlite3 "$db" "SELECT count(*) FROM cred_commits WHERE kind = 'matter'")" = "5 5" ] ||
	fail "cred_commits rows"
sqlite3 "$db" "SELECT body FROM log WHERE kind = 'cert.issued'" | grep -c '"credentials":"wifi,matter"' | grep -qx 5 ||
	fail "cert.issued does not name the credentials"
ok "15 secrets (passphrases, passcodes, manual codes) in none of the database, its WAL, the JSON events or the logs; 10 credential.committed entries, 10 cred_commits rows; cert.issued names wifi,matter"

echo "-- audit verify: the commitments, and a record edited outside the station"
"$BIN/station" audit verify --db "$db" >"$T/verify.out" 2>&1 || { cat "$T/verify.out"; fail "verify"; }
tamper cred-edit "UPDATE cred_commits SET commitment = '00' || substr(commitment, 3) WHERE rowid = 1"
grep -q "cred_commits row was edited or inserted" "$T/case-cred-edit/err" || { cat "$T/case-cred-edit/err"; fail "edit not named"; }
tamper cred-delete "DELETE FROM cred_commits WHERE rowid = 2"
grep -q "credential.committed entries but cred_commits has 9 rows" "$T/case-cred-delete/err" || { cat "$T/case-cred-delete/err"; fail "delete not named"; }
tamper cred-ssid "DROP INDEX cred_ssid; UPDATE cred_commits SET public = (SELECT public FROM cred_commits WHERE kind = 'wifi' LIMIT 1) WHERE rowid = (SELECT max(rowid) FROM cred_commits WHERE kind = 'wifi')"
grep -q "Wi-Fi SSID in cred_commits" "$T/case-cred-ssid/err" || { cat "$T/case-cred-ssid/err"; fail "a shared SSID not named"; }
tamper cred-cert "DROP TRIGGER log_no_update; UPDATE log SET body = replace(body, '\"credentials\":\"wifi,matter\"', '\"credentials\":\"wifi\"') WHERE seq = (SELECT max(seq) FROM log WHERE kind = 'cert.issued')"
grep -q "declares wifi and matter credentials, but the certificate names only 'wifi': a board certified without them" "$T/case-cred-cert/err" ||
	{ cat "$T/case-cred-cert/err"; fail "a certificate without a declared credential not named"; }
ok "verify passes; an edited commitment, a deleted row, a duplicated SSID and a certificate naming fewer credentials than station.start declared each fail it (exit 7), named"

echo "-- a board whose firmware takes no credentials"
rc=0
stub 1 "$T/b3" --no-credentials -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run3.json" 2>"$T/run3.err" || rc=$?
[ "$(jq -r 'select(.event == "result") | .code' "$T/run3.json")" = E_CREDENTIAL ] ||
	{ cat "$T/run3.json" "$T/run3.err"; fail "expected E_CREDENTIAL"; }
[ "$rc" != 0 ] || fail "run 3 exited 0 with a failed board"
"$BIN/station" audit verify --db "$db" >"$T/verify2.out" 2>&1 || { cat "$T/verify2.out"; fail "verify after E_CREDENTIAL"; }
ok "a board without CAP_CRED_*: E_CREDENTIAL (exit $rc), nothing issued, the record still verifies"
echo "-- a compromised station's COMMIT_CRED: the profile's rules, one per kind, collisions logged"
: "${SIGNER_DRIVER:?SIGNER_DRIVER must point at the signer-driver test program}"
a=a1a1a1a1a1a1a1a1
b=b2b2b2b2b2b2b2b2
pw24=abcdefghijkmnpqrstuvwxyz
ssid='TH2\;"Set,up:ABCDEF'
{
	echo "session LOT-DEMO-1 x"
	echo "board $a"
	echo "cred $a 2 100 00000000"
	echo "cred $a 2 100 12345678"
	echo "cred $a 2 100 99999999"
	echo "cred $a 1 FreeWiFi-ABCDEF $pw24"
	echo "cred $a 1 $ssid short-pass"
	echo "cred $a 2 100 20202021"
	echo "cred $a 2 101 20202022"
	echo "board $b"
	echo "cred $b 2 100 20202021"
	echo "cred $b 2 200 20202021"
	echo "cred $b 1 $ssid $pw24"
	echo "fail $a credentials E_TEST"
	echo "fail $b credentials E_TEST"
} >"$T/drv.in"
STATION_SIGNER="$BIN/station-signer" "$SIGNER_DRIVER" script "$PROFILE" run <"$T/drv.in" >"$T/drv.out" 2>"$T/drv.err" ||
	{ cat "$T/drv.out" "$T/drv.err"; fail "signer-driver"; }
dexpect() {
	case $(sed -n "${1}p" "$T/drv.out") in $2) ;; *) cat "$T/drv.out"; fail "$3 (line $1)" ;; esac
}
dexpect 3 'refused*passcode the specification forbids*' "passcode 00000000 committed"
dexpect 4 'refused*passcode the specification forbids*' "passcode 12345678 committed"
dexpect 5 'refused*passcode the specification forbids*' "passcode 99999999 committed"
dexpect 6 "refused*not the profile's prefix*" "an SSID outside the profile's form committed"
dexpect 7 "refused*profile's length and alphabet*" "a passphrase shorter than the profile's committed"
dexpect 8 'ok*' "a valid Matter credential refused"
dexpect 9 'refused*SEQUENCE*' "a second Matter credential for one attempt"
dexpect 11 'refused*COLLISION*' "another board's setup code (discriminator and passcode) committed again"
dexpect 12 'ok*' "the same passcode with another discriminator (another setup code) refused"
dexpect 13 'ok*' "a valid Wi-Fi credential refused"
[ "$(sqlite3 "$db" "SELECT count(*) FROM log WHERE kind = 'request.refused' AND body LIKE '%COLLISION%'")" -ge 1 ] ||
	fail "the collision (an answer to a guess) is not in the record"
"$BIN/station" audit verify --db "$db" >"$T/verify4.out" 2>&1 || { cat "$T/verify4.out"; fail "verify after the driver"; }
ok "passcodes Matter forbids, an SSID or passphrase outside the profile's form refused; one per kind; a setup code already recorded refused COLLISION and logged, its passcode with another discriminator taken"

echo "-- a board that stores no credential and confirms any"
rc=0
stub 1 "$T/b4" --lying-credentials -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run4.json" 2>"$T/run4.err" || rc=$?
[ "$(jq -r 'select(.event == "result") | .code' "$T/run4.json")" = E_CREDENTIAL_CHECK ] ||
	{ cat "$T/run4.json" "$T/run4.err"; fail "a board that confirms a credential it was not given was not failed E_CREDENTIAL_CHECK"; }
[ "$rc" != 0 ] || fail "run 4 exited 0 with a failed board"
"$BIN/station" audit verify --db "$db" >"$T/verify3.out" 2>&1 || { cat "$T/verify3.out"; fail "verify after E_CREDENTIAL_CHECK"; }
ok "a board that answers match = 1 to every CONFIRM_CREDENTIAL: E_CREDENTIAL_CHECK (exit $rc), no PASS, the record still verifies"
echo "-- a board that announces Matter credentials but takes only 128-byte payloads"
rc=0
n0=$(sqlite3 "$db" "SELECT count(*) FROM log WHERE kind = 'credential.committed'")
stub 1 "$T/b5" --small-matter -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run5.json" 2>"$T/run5.err" || rc=$?
[ "$(jq -r 'select(.event == "result") | .code' "$T/run5.json")" = E_CREDENTIAL ] ||
	{ cat "$T/run5.json" "$T/run5.err"; fail "a Matter credential sent above the board's max_payload (P-6)"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM log WHERE kind = 'credential.committed'")" = "$n0" ] ||
	fail "credentials committed for a board that cannot take them"
ok "CAP_CRED_MATTER with max_payload 128: E_CREDENTIAL (exit $rc) before anything is drawn or committed"
echo "PASS test-cred"
