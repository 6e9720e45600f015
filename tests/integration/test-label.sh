#!/bin/sh
# Issue #13, the label: one layout drawn as PNG and ZPL, printed through a raw TCP port (a
# printer simulated by printer-sim.py), kept for reprint when the printer is off or out of
# paper, announced void when its board then fails, never written through an existing file.
# The QR codes are decoded with a real decoder (zbarimg) and the password they carry is checked
# against the verifier the board stores (firmware-stub check-password).
. "$(dirname "$0")/lib.sh"
command -v zbarimg >/dev/null || fail "zbarimg missing (Debian package zbar-tools; scripts/deps.sh)"
db=$T/station.db
labels=$T/labels
sim=$top/tests/integration/printer-sim.py
sim_pid=""
trap '[ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# printer MODE: a printer on an ephemeral port, its jobs in $T/jobs-<n>; sets $port and $jobs
printer() {
	[ -z "$sim_pid" ] || { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; }
	jobs=$T/jobs-$(date +%s%N)
	mkdir -p "$jobs"
	rm -f "$T/port"
	python3 "$sim" serve "$T/port" "$jobs" "$1" &
	sim_pid=$!
	w=0
	while [ ! -s "$T/port" ]; do
		w=$((w + 1)); [ $w -lt 500 ] || fail "printer-sim did not start"; sleep 0.02
	done
	port=$(cat "$T/port")
}
# profile NAME OUTPUT [STATUS]: $PROFILE with [label] output (and status) changed
profile() {
	if [ -n "${3:-}" ]; then
		sed -e "s#^output = .*#output = $2\\nstatus = $3\\ntimeout = 3000#" "$PROFILE" >"$T/$1.ini"
	else
		sed -e "s#^output = .*#output = $2#" "$PROFILE" >"$T/$1.ini"
	fi
	echo "$T/$1.ini"
}
# flash_of SERIAL DIR: the flash file of the board that got SERIAL
flash_of() {
	for f in "$2"/*.flash; do
		[ "$("$BIN/firmware-stub" show --flash "$f" | jq -r .serial)" = "$1" ] && { echo "$f"; return; }
	done
	fail "no board in $2 has serial $1"
}
# pw_ok FLASH PW: the board's verifier accepts PW
pw_ok() { echo "$2" | "$BIN/firmware-stub" check-password --flash "$1" >/dev/null; }
# qr_fields TEXT: "SERIAL PASSWORD" from the QR content WIFI:T:WPA;S:<serial>;P:<password>;;
qr_fields() { echo "$1" | sed -n 's/^WIFI:T:WPA;S:\([^;]*\);P:\([^;]*\);;$/\1 \2/p'; }

echo "-- PNG labels (output = dir): the QR code, decoded, carries the board's serial and password"
stub 2 "$T/b1" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run1.json" 2>"$T/run1.err" ||
	{ cat "$T/run1.json" "$T/run1.err"; fail "run 1"; }
n=0
for serial in $(jq -r 'select(.event == "result" and .result == "PASS") | .serial' "$T/run1.json"); do
	png=$(jq -r "select(.event == \"label\" and .serial == \"$serial\") | .preview" "$T/run1.json")
	[ -f "$png" ] && [ "$(stat -c %a "$png")" = 600 ] || fail "no PNG label of mode 600 for $serial: '$png'"
	[ "$(jq -r "select(.event == \"label\" and .serial == \"$serial\") | .state" "$T/run1.json")" = spooled ] ||
		fail "label event of $serial is not 'spooled'"
	qr=$(zbarimg -q --raw "$png" 2>/dev/null) || fail "zbarimg cannot decode the QR code of $png"
	set -- $(qr_fields "$qr")
	[ "${1:-}" = "$serial" ] || fail "QR code of $serial holds serial '${1:-}' ($qr)"
	flash=$(flash_of "$serial" "$T/b1")
	pw_ok "$flash" "$2" || fail "the board $serial does not accept the password of its QR code"
	! pw_ok "$flash" "${2}x" || fail "check-password accepts any password"
	grep -q "\\^FDPassword $2\\^FS" "$labels/$serial.zpl" || fail "the ZPL label of $serial has another password"
	n=$((n + 1))
done
[ $n = 2 ] || { cat "$T/run1.json"; fail "expected 2 PASS, got $n"; }
ok "2 PNG labels: zbarimg reads serial and password from each QR code, and each board accepts that password"

echo "-- a raw TCP printer (port 9100 style): the ZPL it receives"
printer none
P=$(profile tcp "tcp:127.0.0.1:$port")
stub 1 "$T/b2" -- "$BIN/station" run --profile "$P" --json >"$T/run2.json" 2>"$T/run2.err" ||
	{ cat "$T/run2.json" "$T/run2.err"; fail "run 2"; }
serial=$(jq -r 'select(.event == "result") | .serial' "$T/run2.json")
[ "$(jq -r 'select(.event == "result") | .label_state' "$T/run2.json")" = printed ] || { cat "$T/run2.json"; fail "not printed"; }
w=0; while [ ! -f "$jobs/job-1.zpl" ]; do w=$((w + 1)); [ $w -lt 200 ] || fail "the printer got no job"; sleep 0.02; done
job=$jobs/job-1.zpl
fields=$(grep -o '\^FD[^^]*\^FS' "$job" | sed 's/^\^FD//; s/\^FS$//')
echo "$fields" | grep -qx "S/N $serial" || fail "the printed ZPL has no 'S/N $serial' field: $fields"
pw=$(echo "$fields" | sed -n 's/^Password //p')
pw_ok "$(flash_of "$serial" "$T/b2")" "$pw" || fail "the board does not accept the printed password"
echo "$fields" | grep -qx "Security updates until 2031-12-31" || fail "no PSTI support period: $fields"
echo "$fields" | grep -qx "Report vulnerabilities: https://example.com/security" || fail "no PSTI contact: $fields"
head -1 "$job" | grep -qx '\^XA' && grep -q '\^PW480' "$job" && grep -q '\^LL240' "$job" || fail "not a 60 x 30 mm label at 203 dpi"
python3 "$sim" gfa2pbm <"$job" >"$T/qr.pbm"
set -- $(qr_fields "$(zbarimg -q --raw "$T/qr.pbm" 2>/dev/null)")
[ "${1:-}" = "$serial" ] && [ "${2:-}" = "$pw" ] || fail "the ZPL label's QR code does not carry its serial and password"
[ ! -e "$labels/$serial.zpl" ] && [ ! -e "$labels/$serial.png" ] || fail "a printed label stayed in the spool"
[ "$(sqlite3 "$db" "SELECT json_extract(body,'\$.label') FROM log WHERE kind='board.pass' AND serial='$serial'")" = printed ] ||
	fail "board.pass of $serial does not record the label printed"
ok "ZPL on the TCP port: S/N, password (accepted by the board), PSTI lines, the QR code (decoded from ^GFA); spool emptied; board.pass label printed"

echo "-- the printer is off: the label is kept, the board passes, 'station label reprint' prints it"
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
stub 1 "$T/b3" -- "$BIN/station" run --profile "$P" --json >"$T/run3.json" 2>"$T/run3.err" ||
	{ cat "$T/run3.json" "$T/run3.err"; fail "run 3: a printer that is off must not fail the board"; }
serial=$(jq -r 'select(.event == "result") | .serial' "$T/run3.json")
[ "$(jq -r 'select(.event == "result") | .result' "$T/run3.json")" = PASS ] || fail "run 3 not PASS"
[ "$(jq -r 'select(.event == "label") | .state' "$T/run3.json")" = kept ] || { cat "$T/run3.json"; fail "label not kept"; }
jq -r 'select(.event == "label") | .reason' "$T/run3.json" | grep -q "cannot reach the printer 127.0.0.1:$port" ||
	fail "the label event does not say why: $(jq -c 'select(.event == "label")' "$T/run3.json")"
[ -f "$labels/$serial.zpl" ] || fail "the kept label is not in the spool"
[ "$(sqlite3 "$db" "SELECT json_extract(body,'\$.label') FROM log WHERE kind='board.pass' AND serial='$serial'")" = kept ] ||
	fail "board.pass of $serial does not record the label kept"
"$BIN/station" label list --profile "$P" | grep -qx "$serial" || fail "label list does not name $serial"
printer none
P=$(profile tcp "tcp:127.0.0.1:$port")
"$BIN/station" label reprint "$serial" --profile "$P" >"$T/reprint.out" 2>&1 || { cat "$T/reprint.out"; fail "reprint"; }
grep -q "^label $serial: printed" "$T/reprint.out" || fail "reprint said: $(cat "$T/reprint.out")"
w=0; while [ ! -f "$jobs/job-1.zpl" ]; do w=$((w + 1)); [ $w -lt 200 ] || fail "the reprint reached no printer"; sleep 0.02; done
pw=$(grep -o '\^FDPassword [^^]*\^FS' "$jobs/job-1.zpl" | sed 's/^\^FDPassword //; s/\^FS$//')
pw_ok "$(flash_of "$serial" "$T/b3")" "$pw" || fail "the reprinted password is not the board's"
[ ! -e "$labels/$serial.zpl" ] || fail "the reprinted label stayed in the spool"
rc=0; "$BIN/station" label reprint "$serial" --profile "$P" --json >"$T/reprint2.out" 2>&1 || rc=$?
[ $rc = 1 ] && [ "$(jq -r .state "$T/reprint2.out")" = missing ] || { cat "$T/reprint2.out"; fail "a second reprint: exit $rc"; }
ok "printer off: PASS with the label kept (board.pass label kept); reprint prints the board's password and empties the spool; a printed label cannot be reprinted (exit 1)"

echo "-- the printer is out of paper (Zebra ~HS): kept, as for a printer that is off"
printer paper-out
Z=$(profile zebra "tcp:127.0.0.1:$port" zebra)
stub 1 "$T/b4" -- "$BIN/station" run --profile "$Z" --json >"$T/run4.json" 2>"$T/run4.err" ||
	{ cat "$T/run4.json" "$T/run4.err"; fail "run 4"; }
jq -r 'select(.event == "label") | .state + " " + .reason' "$T/run4.json" | grep -q "^kept .*reports paper out" ||
	{ cat "$T/run4.json"; fail "paper out: label not kept"; }
serial=$(jq -r 'select(.event == "result") | .serial' "$T/run4.json")
printer ok
Z=$(profile zebra "tcp:127.0.0.1:$port" zebra)
"$BIN/station" label reprint "$serial" --profile "$Z" >"$T/reprint3.out" 2>&1 || { cat "$T/reprint3.out"; fail "reprint with paper"; }
ok "paper out (~HS): label kept with the printer's reason; reprinted once the printer reports ready"

echo "-- a board that fails at its lock: the label printed for it is announced void"
printer none
P=$(profile tcp "tcp:127.0.0.1:$port")
rc=0
stub 1 "$T/b5" --refuse-lock -- "$BIN/station" run --profile "$P" --json >"$T/run5.json" 2>"$T/run5.err" || rc=$?
[ $rc = 1 ] || { cat "$T/run5.json" "$T/run5.err"; fail "refuse-lock: exit $rc"; }
serial=$(jq -r 'select(.event == "result") | .serial' "$T/run5.json")
[ "$(jq -r 'select(.event == "result") | .code' "$T/run5.json")" = E_LOCK ] || fail "not E_LOCK"
[ "$(jq -c 'select(.event == "label") | [.serial, .state, .void]' "$T/run5.json")" = "[\"$serial\",\"printed\",true]" ] ||
	{ cat "$T/run5.json"; fail "no void label event"; }
[ "$(jq -r 'select(.event == "result") | .label_void' "$T/run5.json")" = true ] || fail "result without label_void"
[ -f "$jobs/job-1.zpl" ] || fail "the label was not printed before the lock"
chip=$(jq -r 'select(.event == "result") | .chip_id' "$T/run5.json")
[ "$(sqlite3 "$db" "SELECT json_extract(body,'\$.label') FROM log WHERE kind='board.fail' AND chip_id='$chip'")" = printed ] ||
	fail "board.fail of $serial does not record its printed label"
# the same in text mode, with the label directory as output: the technician's line, the file gone
rc=0
stub 1 "$T/b6" --refuse-lock -- "$BIN/station" run --profile "$PROFILE" >"$T/run6.out" 2>"$T/run6.err" || rc=$?
serial=$(grep -o 'TH2-[0-9]*' "$T/run6.out" | head -1)
grep -q "LABEL $serial VOID: its board failed" "$T/run6.out" || { cat "$T/run6.out"; fail "no VOID line for the technician"; }
[ ! -e "$labels/$serial.zpl" ] && [ ! -e "$labels/$serial.png" ] || fail "the void label stayed in the label directory"
ok "E_LOCK after printing: label event void (printed), result label_void, board.fail label printed; text mode says VOID and the void label leaves the directory"

echo "-- a label file already there is never written through"
next=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='serial.allocated'")
i=$((next + 1))
ln -s "$T/victim" "$labels/$(printf 'TH2-%08d' $i).png"
echo planted >"$labels/$(printf 'TH2-%08d' $((i + 1))).zpl"
rc=0
stub 2 "$T/b7" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/run7.json" 2>"$T/run7.err" || rc=$?
[ $rc = 1 ] || { cat "$T/run7.json"; fail "planted: exit $rc"; }
[ "$(jq -r 'select(.event == "result") | .code' "$T/run7.json" | sort | tr '\n' ' ')" = "E_LABEL E_LABEL " ] ||
	{ cat "$T/run7.json"; fail "planted: expected E_LABEL twice"; }
[ ! -e "$T/victim" ] && [ -L "$labels/$(printf 'TH2-%08d' $i).png" ] || fail "a planted link was written through or removed"
[ "$(cat "$labels/$(printf 'TH2-%08d' $((i + 1))).zpl")" = planted ] || fail "a planted file was overwritten"
[ ! -e "$labels/$(printf 'TH2-%08d' $i).zpl" ] || fail "the half-made label of a refused serial stayed"
ok "a planted link (PNG) and a planted file (ZPL) under the next serials: E_LABEL, neither touched, nothing half-made left"
echo "-- the onboarding credentials ([wifi], [matter]): station label sample draws their codes"
# The default layout (the profile's 60 x 30 mm size left out: the label grows for the band).
C=$T/creds.ini
sed -e '/^width_mm = /d' -e '/^height_mm = /d' "$PROFILE" >"$C"
printf '\n[wifi]\nssid_prefix = Thermo-\n\n[matter]\nvendor_id = 65521\nproduct_id = 32768\n' >>"$C"
mkdir -p "$T/sample"
rc=0; "$BIN/station" label sample --profile "$C" --out "$T/sample" >"$T/sample.out" 2>&1 || rc=$?
if [ $rc = 3 ] && grep -Eq "unknown (key '[a-z_]*' in )?section \[(wifi|matter)\]" "$T/sample.out"; then
	# before the [wifi] / [matter] parser (issue #16): tests/unit/test-label.c draws and decodes them
	echo "  skipped: this build does not parse [wifi] / [matter] yet ($(head -1 "$T/sample.out"))"
else
	[ $rc = 0 ] || { cat "$T/sample.out"; fail "label sample with [wifi] and [matter]: exit $rc"; }
	png=$T/sample/sample.png
	zpl=$T/sample/sample.zpl
	want=$(printf '%s\n' 'MT:Y.K9042C00KA0648G00' 'WIFI:T:WPA;S:Thermo-SAMPLE;P:SAMPLExx23456789;;' | sort)
	got=$(zbarimg -q --raw --nodbus "$png" | sort) || fail "zbarimg cannot read the sample's codes"
	[ "$got" = "$want" ] || fail "the sample PNG's codes are '$got', not '$want'"
	got=$(for i in 0 1; do python3 "$sim" gfa2pbm $i <"$zpl" >"$T/q$i.pbm" &&
		zbarimg -q --raw --nodbus "$T/q$i.pbm"; done | sort)
	[ "$got" = "$want" ] || fail "the sample ZPL's ^GFA codes are '$got', not '$want'"
	grep -q '\^FDSetup code 3497-011-2332\^FS' "$zpl" || fail "no grouped Matter setup code in the ZPL"
	ok "label sample with [wifi] and [matter]: the Wi-Fi and Matter codes read back from the PNG and from each ^GFA, the setup code grouped"
fi
echo "PASS test-label"
