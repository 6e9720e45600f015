#!/bin/sh
# Boards on USB bulk (docs/protocol.md P-8): unmodified libusb in the station, usbdevfs emulated
# by the stub's harness (umockdev). Listing, selecting fixtures by physical path, provisioning,
# and the record, as over serial. Every fault case over USB: test-faults-usb.sh.
. "$(dirname "$0")/lib.sh"
db=$T/station.db

"$BIN/firmware-stub" sim --usb --boards 3 --dir "$T/b" -- "$BIN/station" ports --json >"$T/ports.json" 2>"$T/ports.err" ||
	{ cat "$T/ports.err"; fail "station ports"; }
[ "$(jq -r '[.[] | select(.transport == "usb-bulk")] | length' "$T/ports.json")" = 3 ] || { cat "$T/ports.json"; fail "3 USB boards expected"; }
[ "$(jq -r '[.[] | select(.transport == "usb-bulk") | .name] | join(" ")' "$T/ports.json")" = "usb:1-1.1 usb:1-1.2 usb:1-1.3" ] ||
	fail "names: $(jq -c '[.[].name]' "$T/ports.json")"
[ "$(jq -r '.[0].vid + ":" + .[0].pid' "$T/ports.json")" = "1209:0001" ] || fail "VID:PID: $(jq -c '.[0]' "$T/ports.json")"
ok "station ports lists 3 USB bulk boards by physical path: usb:1-1.1 usb:1-1.2 usb:1-1.3"

"$BIN/firmware-stub" sim --usb --boards 3 --dir "$T/b" -- "$BIN/station" run --profile "$PROFILE" \
	--port usb:1-1.2 --port usb:1-1.3 --json >"$T/r1.json" 2>"$T/r1.err" || { cat "$T/r1.json" "$T/r1.err"; fail "run on two fixtures"; }
[ "$(jq -r 'select(.event == "result" and .result == "PASS") | .fixture' "$T/r1.json" | sort | tr '\n' ' ')" = "1-1.2 1-1.3 " ] ||
	{ cat "$T/r1.json"; fail "expected PASS on 1-1.2 and 1-1.3"; }
for i in 1 2; do
	"$BIN/firmware-stub" show --flash "$T/b/board-$i.flash" | jq -e '.state == "LOCKED" and .debug_locked' >/dev/null ||
		fail "board $i not locked"
done
"$BIN/firmware-stub" show --flash "$T/b/board-0.flash" | jq -e '.state == "BLANK"' >/dev/null || fail "board 0 was touched"
ok "--port usb:1-1.2 --port usb:1-1.3: those two PASS and are LOCKED; the board on 1-1.1 untouched"

rc=0
"$BIN/firmware-stub" sim --usb --boards 3 --dir "$T/b" -- "$BIN/station" run --profile "$PROFILE" --json \
	>"$T/r2.json" 2>"$T/r2.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/r2.json" "$T/r2.err"; fail "second run: exit $rc"; }
[ "$(jq -r 'select(.event == "result" and .fixture == "1-1.1") | .result' "$T/r2.json")" = PASS ] || fail "1-1.1 did not PASS"
[ "$(jq -r 'select(.event == "result" and .result == "DONE") | .fixture' "$T/r2.json" | wc -l)" = 2 ] || fail "locked boards not verified again"
ok "every fixture by default: the new board PASS, the two locked ones DONE (verified against the record)"

[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE status='pass'")" = 3 ] || fail "3 devices expected"
"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify"; }
ok "3 devices recorded; $(cat "$T/v.out")"
echo "PASS test-usb"
