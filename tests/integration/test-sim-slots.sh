#!/bin/sh
# firmware-stub sim --slots (firmware-stub/host/slots.h): control files seat and remove boards
# and unplug adapters while a station-side client runs under the testbed: an empty slot does not
# answer HELLO, a seated board does (and another board seated in the same slot is another chip),
# fault flags in a slot file apply to that board, `unplugged` hangs up an open port and takes it
# out of `station ports`, re-plugging brings it back under the same name, and a USB bulk slot
# (--usb-slots) appears when a board is seated and disappears when it is not. No HSM needed.
set -eu
: "${BIN:?BIN must point at the build's bin directory}"
: "${SLOT_PROBE:?SLOT_PROBE must point at the slot-probe program}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
T=$(mktemp -d /tmp/station-itest.XXXXXX)
C=$T/ctl
mkdir -p "$C"
pid=""
cleanup() {
	# SIGTERM: an asynchronous command of sh ignores SIGINT
	[ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# slot-0 seated from the start; slot-3 is the USB one
echo "board b0" >"$C/slot-0"
"$BIN/firmware-stub" sim --boards 4 --usb-slots 1 --slots "$C" --dir "$T/flash" >"$T/sim.out" 2>"$T/sim.err" &
pid=$!
i=0
while ! grep -q '^UMOCKDEV_DIR=' "$T/sim.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat "$T/sim.err"; fail "the harness did not start"; }
	sleep 0.1
done
D=$(sed -n 's/^UMOCKDEV_DIR=//p' "$T/sim.out")
under() { UMOCKDEV_DIR=$D LD_PRELOAD=${LD_PRELOAD:+$LD_PRELOAD:}libumockdev-preload.so.0 "$@"; }
names() { under "$BIN/station" ports --json | jq -r '[.[].name] | join(" ")'; }
set_slot() { printf '%s\n' "$2" >"$C/slot-$1.tmp" && mv "$C/slot-$1.tmp" "$C/slot-$1"; }
# waits up to 2 s for `station ports` to list exactly $1
wait_names() {
	i=0
	while [ "$(names)" != "$1" ]; do
		i=$((i + 1)); [ $i -lt 20 ] || fail "ports: '$(names)', expected '$1'"
		sleep 0.1
	done
}

[ "$(names)" = "/dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2" ] || fail "at start: $(names)"
ok "at start: 3 serial adapters listed, the empty USB slot absent"

under "$SLOT_PROBE" hello /dev/ttyUSB0 500 >"$T/h0" || { cat "$T/h0" "$T/sim.err"; fail "seated board b0 did not answer"; }
rc=0; under "$SLOT_PROBE" hello /dev/ttyUSB1 300 >"$T/h1" || rc=$?
[ $rc = 1 ] && grep -q "no answer\|No answer" "$T/h1" || { cat "$T/h1"; fail "an empty slot answered (rc $rc)"; }
ok "board b0 answers HELLO; the empty slot 1 is silent ($(cat "$T/h1"))"

under "$SLOT_PROBE" seat /dev/ttyUSB1 "$C/slot-1" "board b1" >"$T/seat" || { cat "$T/seat" "$T/sim.err"; fail "seating b1"; }
chip1=$(awk '{print $2}' "$T/seat")
[ -f "$T/flash/b1.flash" ] || fail "no flash file for b1"
[ "$("$BIN/firmware-stub" show --flash "$T/flash/b1.flash" | jq -r .chip_id)" = "$chip1" ] || fail "b1's chip id"
ok "seating b1 in slot 1: answers after $(awk '{print $3, $4}' "$T/seat"), chip $chip1 as in b1.flash"

set_slot 1 "board b2 --firmware-not-allowed"
sleep 0.3
under "$SLOT_PROBE" hello /dev/ttyUSB1 500 >"$T/h2" || { cat "$T/h2"; fail "b2 did not answer"; }
chip2=$(awk '{print $2}' "$T/h2")
[ "$chip2" != "$chip1" ] || fail "b2 answered with b1's chip id"
set_slot 1 "board b1"
sleep 0.3
under "$SLOT_PROBE" hello /dev/ttyUSB1 500 >"$T/h3" || fail "b1 back: no answer"
[ "$(awk '{print $2}' "$T/h3")" = "$chip1" ] || fail "b1 re-seated is not chip $chip1: $(cat "$T/h3")"
ok "swapping boards: b2 (chip $chip2) replaces b1, then b1 comes back with its own chip id"

set_slot 2 "board b9 --no-such-flag"
sleep 0.3
grep -q "slot 2: .*bad fault flags" "$T/sim.err" || { cat "$T/sim.err"; fail "a bad slot file was not reported"; }
set_slot 2 "$(head -c 600 /dev/zero | tr '\0' x)"
sleep 0.3
grep -q "slot 2: .*longer than 512" "$T/sim.err" || { cat "$T/sim.err"; fail "an overlong slot file was not reported"; }
ok "a bad flag and an overlong control file are reported; the slot stays as it was"

under "$SLOT_PROBE" hangup /dev/ttyUSB0 "$C/slot-0" >"$T/hup" || { cat "$T/hup"; fail "no hang-up on unplug"; }
wait_names "/dev/ttyUSB1 /dev/ttyUSB2"
ok "unplugged: the open port hung up after $(awk '{print $(NF-1), $NF}' "$T/hup"); /dev/ttyUSB0 left station ports"

set_slot 0 "board b0"
wait_names "/dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2"
under "$BIN/station" ports --json | jq -e '.[0] | .usb_path == "1-1.1" and .serial == "SIM0000"' >/dev/null ||
	fail "re-plugged adapter: $(under "$BIN/station" ports --json | jq -c '.[0]')"
under "$SLOT_PROBE" hello /dev/ttyUSB0 500 >"$T/h4" || { cat "$T/h4" "$T/sim.err"; fail "b0 after re-plug"; }
ok "re-plugged: /dev/ttyUSB0 back at 1-1.1 with serial SIM0000, b0 answers"

set_slot 3 "board u3"
wait_names "/dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2 usb:1-1.4"
under "$SLOT_PROBE" hello usb:1-1.4 500 >"$T/u1" || { cat "$T/u1" "$T/sim.err"; fail "USB board u3 did not answer"; }
set_slot 3 ""
wait_names "/dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2"
set_slot 3 "board u3"
wait_names "/dev/ttyUSB0 /dev/ttyUSB1 /dev/ttyUSB2 usb:1-1.4"
under "$SLOT_PROBE" hello usb:1-1.4 500 >"$T/u2" || { cat "$T/u2" "$T/sim.err"; fail "u3 after re-enumeration"; }
[ "$(awk '{print $2}' "$T/u1")" = "$(awk '{print $2}' "$T/u2")" ] || fail "u3 changed chip id"
ok "USB slot: usb:1-1.4 enumerates with u3 seated, goes when emptied, comes back and answers"

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
[ $rc = 0 ] || { cat "$T/sim.err"; fail "harness exit $rc"; }
[ ! -d "$D" ] || fail "testbed $D left behind"
echo "PASS test-sim-slots"
