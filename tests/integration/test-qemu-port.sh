#!/bin/sh
# The mps2-an386 reference port (issue #17, docs/port-mps2.md) on qemu-system-arm, provisioned by an
# unmodified station over QEMU's serial port on a TCP socket (--port tcp:HOST:PORT): real SoftHSM2,
# real signer, the port's own Mbed TLS crypto. Checks: PASS; the certificate verifies against the
# CA and carries the board's key; the board reports LOCKED with its debug port closed; after QEMU
# is killed and started again the board has its record (same chip, LOCKED, verified by the station:
# DONE); a damaged or torn newest slot leaves the previous record, whose interrupted LOCK the
# board finishes from its blown fuse; and station conform passes against a new QEMU board.
# Skips (exit 0, says why) without qemu-system-arm or the arm-none-eabi toolchain.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v qemu-system-arm >/dev/null 2>&1; then
	echo "SKIP test-qemu-port: qemu-system-arm not installed (scripts/deps.sh installs qemu-system-arm)"
	exit 0
fi
if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
	echo "SKIP test-qemu-port: arm-none-eabi-gcc not installed (scripts/deps.sh installs gcc-arm-none-eabi)"
	exit 0
fi
elf=${PORT_ELF:-$top/build/port-mps2/mps2-an386.elf}
if [ ! -f "$elf" ] || [ ! -f "${elf%.elf}.sha256" ]; then
	make -C "$top" --no-print-directory port-qemu >"${TMPDIR:-/tmp}/port-qemu.$$.log" 2>&1 ||
		{ cat "${TMPDIR:-/tmp}/port-qemu.$$.log"; rm -f "${TMPDIR:-/tmp}/port-qemu.$$.log"; echo "FAIL: make port-qemu" >&2; exit 1; }
	rm -f "${TMPDIR:-/tmp}/port-qemu.$$.log"
fi
if [ ! -f "$elf" ]; then
	echo "SKIP test-qemu-port: make port-qemu built nothing (no newlib? scripts/deps.sh installs libnewlib-arm-none-eabi)"
	exit 0
fi
digest=$(cat "${elf%.elf}.sha256")
. "$(dirname "$0")/lib.sh"
db=$T/station.db
qpid=
trap '[ -z "$qpid" ] || kill "$qpid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# a random port below the kernel's ephemeral range (see test-tcp.sh)
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
flash=$T/board.flash

# The product of the port: its model and its measured firmware image on the allow-list.
# Step timeouts for an emulated board on a shared machine (the demo profile's are for the host
# stub): QEMU's speed varies tenfold with the machine's load; nothing here measures time.
sed -i -e 's/^model = .*/model = MPS2-AN386/' \
	-e "s/^allow = .*/allow = 1.0.0 sha256:$digest/" \
	-e 's/^hello = .*/hello = 5000\nset_identity = 30000\nobject = 10000\ninstall = 30000\nprove = 30000\nconfirm_password = 30000\nlock = 20000/' \
	-e 's/^gen_key = .*/gen_key = 60000/' "$PROFILE"

# qemu_start N: boot the board (its flash is $flash) with its UART on 127.0.0.1:$port; waits for
# its boot lines (semihosting console, $T/qemu-N.out)
qemu_start() {
	_try=0
	while :; do
		# the console on a file chardev: QEMU's own stdout is block-buffered in a file
		qemu-system-arm -M mps2-an386 -display none -monitor none -kernel "$elf" \
			-chardev "file,id=con,path=$T/qemu-$1.out" \
			-semihosting-config "enable=on,target=native,chardev=con,arg=mps2-an386,arg=flash=$flash,arg=trace" \
			-serial "tcp:127.0.0.1:$port,server=on,wait=off,nodelay=on" >"$T/qemu-$1.log" 2>"$T/qemu-$1.err" &
		qpid=$!
		_w=0
		until grep -q "state=" "$T/qemu-$1.out" 2>/dev/null || ! kill -0 "$qpid" 2>/dev/null; do
			_w=$((_w + 1))
			[ $_w -lt 300 ] || { cat "$T/qemu-$1.out" "$T/qemu-$1.err"; fail "QEMU run $1 did not boot in 30 s"; }
			sleep 0.1
		done
		kill -0 "$qpid" 2>/dev/null && return 0
		qpid=
		# the random port was taken: another one, at the first boot only (a restarted board
		# must be where the station found it)
		_try=$((_try + 1))
		if [ "$1" != 1 ] || [ $_try -ge 5 ] || ! grep -q "Address already in use" "$T/qemu-$1.err"; then
			cat "$T/qemu-$1.err"
			fail "QEMU run $1 stopped before booting"
		fi
		port=$((port + 1))
	done
}
qemu_stop() {
	kill -9 "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
	qpid=
}
bootline() { sed -n "s/^mps2-an386: \(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" "$T/qemu-$1.out" | head -1; }

# 1. A new board: BLANK, provisioned end to end.
qemu_start 1
[ "$(bootline 1 state)" = BLANK ] || { cat "$T/qemu-1.out"; fail "a new board should boot BLANK"; }
grep -q "sha256=$digest" "$T/qemu-1.out" || { cat "$T/qemu-1.out"; fail "the board does not measure its image as ${elf%.elf}.sha256 says"; }
chip=$(bootline 1 "boot chip")
rc=0
"$BIN/station" run --profile "$PROFILE" --port "tcp:127.0.0.1:$port" --json >"$T/run1.json" 2>"$T/run1.err" || rc=$?
[ "$rc" = 0 ] && [ "$(jq -r 'select(.event == "result") | .result' "$T/run1.json")" = PASS ] ||
	{ cat "$T/run1.json" "$T/run1.err" "$T/qemu-1.out" "$T/qemu-1.err"; fail "provisioning the QEMU board: exit $rc"; }
ok "QEMU mps2-an386 board (chip $chip) provisioned over tcp:127.0.0.1:$port: PASS"

# 2. Its certificate verifies against the CA and carries the key of the CSR the board made.
sqlite3 "$db" "SELECT hex(der) FROM certs WHERE chip_id='$chip'" | xxd -r -p >"$T/dev.der"
[ -s "$T/dev.der" ] || fail "no certificate recorded for chip $chip"
openssl x509 -inform DER -in "$T/dev.der" -out "$T/dev.pem"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca.pem" "$T/dev.pem" >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out"; fail "the QEMU board's certificate does not verify against the CA"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.pass' AND json_extract(body,'\$.lock.debug_locked')=1 AND json_extract(body,'\$.lock.write_refused')=1")" = 1 ] ||
	fail "the board did not confirm its lock (LOCKED, debug port closed, writes refused)"
ok "certificate verifies against the CA ($(openssl x509 -in "$T/dev.pem" -noout -subject | cut -c1-60)); lock confirmed"

# 3. Kill QEMU (no clean shutdown) and start it again: the record is there.
qemu_stop
qemu_start 2
[ "$(bootline 2 "boot chip")" = "$chip" ] || { cat "$T/qemu-2.out"; fail "the chip ID changed across a restart"; }
[ "$(bootline 2 state)" = LOCKED ] || { cat "$T/qemu-2.out"; fail "after a restart the board is not LOCKED"; }
grep -q "debug=locked" "$T/qemu-2.out" || fail "after a restart the debug fuse reads open"
rc=0
"$BIN/station" run --profile "$PROFILE" --port "tcp:127.0.0.1:$port" --json >"$T/run2.json" 2>"$T/run2.err" || rc=$?
[ "$rc" = 0 ] && [ "$(jq -r 'select(.event == "result") | .result' "$T/run2.json")" = DONE ] ||
	{ cat "$T/run2.json" "$T/run2.err"; fail "the restarted board: exit $rc, DONE expected (checked against its record)"; }
[ "$(sqlite3 "$db" 'SELECT COUNT(*) FROM devices')" = 1 ] || fail "the restarted board was recorded twice"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='board.checked' AND json_extract(body,'$.result')='PASS'")" = 1 ] ||
	fail "the check of the restarted board was not recorded"
ok "QEMU killed and restarted: same chip, LOCKED, record slot $(bootline 2 "record slot") seq $(bootline 2 seq); the station checks it: DONE"

# 4. Damaged slots. The newest slot (the LOCK's store) with one bit of its body flipped fails its
#    CRC: the board boots the previous record (CERTIFIED, one sequence number back), and since the
#    debug fuse reads blown (the core blows it before it stores LOCKED), that is an interrupted
#    LOCK, which the core finishes at boot (docs/protocol.md, LOCK): LOCKED, stored anew. Then a
#    store torn before its header was programmed (the newest slot's header erased, as a power loss
#    between body and header leaves it): again the previous record, again LOCKED from the fuse.
qemu_stop
slot=$(bootline 2 "record slot")
seq=$(bootline 2 seq)
off=$(bootline 2 "slot$slot")
# patch OFFSET HEX-BYTES-or-XOR: write bytes at OFFSET of the flash file, or xor one byte with 1
patch() {
	python3 -c "
import sys
off, what = int(sys.argv[2]), sys.argv[3]
with open(sys.argv[1], 'r+b') as f:
    f.seek(off)
    data = bytes([f.read(1)[0] ^ 1]) if what == 'xor' else bytes.fromhex(what)
    f.seek(off); f.write(data)" "$flash" "$1" "$2"
}
patch $((off + 64 + 200)) xor
qemu_start 3
[ "$(bootline 3 seq)" = $((seq - 1)) ] && [ "$(bootline 3 state)" = LOCKED ] && grep -q "debug=locked" "$T/qemu-3.out" ||
	{ cat "$T/qemu-3.out"; fail "newest slot's body damaged: the previous record (seq $((seq - 1))) loaded and its LOCK finished from the fuse expected"; }
[ "$(bootline 3 "boot chip")" = "$chip" ] || fail "the chip ID changed"
qemu_stop
qemu_start 4
[ "$(bootline 4 seq)" = "$seq" ] && [ "$(bootline 4 state)" = LOCKED ] ||
	{ cat "$T/qemu-4.out"; fail "after the finished LOCK: a newest record (seq $seq, LOCKED) expected"; }
qemu_stop
ok "newest slot's body damaged (CRC): the board boots the previous record (seq $((seq - 1)), CERTIFIED) and, its fuse blown, finishes the LOCK; next boot: seq $seq, LOCKED"
slot=$(bootline 4 "record slot")
off=$(bootline 4 "slot$slot")
patch "$off" "$(printf 'ff%.0s' $(seq 1 64))"
qemu_start 5
[ "$(bootline 5 seq)" = $((seq - 1)) ] && [ "$(bootline 5 state)" = LOCKED ] ||
	{ cat "$T/qemu-5.out"; fail "a torn newest slot: the previous record (seq $((seq - 1))) and the LOCK finished expected"; }
[ "$(bootline 5 "boot chip")" = "$chip" ] || fail "the chip ID changed"
qemu_stop
ok "newest slot torn before its header: the board boots the previous record (slot $(bootline 5 "record slot"), seq $((seq - 1))) and finishes the LOCK from the fuse"

# 5. The conformance tool (station conform, docs/conformance.md) against a second, new QEMU board,
#    LOCK included (a throw-away board): every check passes or is skipped (exit 0).
flash=$T/conform.flash
cp "$PROFILE" "$T/conform.ini"
printf '\n[conform]\ntest = yes\n' >>"$T/conform.ini"
qemu_start 6
rc=0
"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$T/conform.ini" --allow-lock --json \
	>"$T/conform.json" 2>"$T/conform.err" || rc=$?
qemu_stop
[ "$rc" = 0 ] && [ "$(jq -r 'select(.event == "summary") | .result' "$T/conform.json")" = PASS ] ||
	{ jq -c 'select(.event == "check" and .result == "FAIL")' "$T/conform.json"; cat "$T/conform.err"; fail "station conform against the QEMU board: exit $rc"; }
ok "station conform against a new QEMU board, LOCK included: $(jq -r 'select(.event == "summary") | "\(.pass) PASS, \(.skip) SKIP, \(.fail) FAIL; \(.state_before) -> \(.state_after)"' "$T/conform.json")"

# The board's own time per request on QEMU (TCG on this host, not an M4's cycles) and its memory
# high-water marks, from its trace lines: for docs/port-mps2.md, not asserted.
awk 'BEGIN { split("HELLO SET_IDENTITY GEN_KEY READ_OBJECT WRITE_OBJECT INSTALL PROVE CONFIRM_PASSWORD LOCK", nm, " ") }
	/request 0x/ { split($4, t, "="); printf "%s %.1f ms, ", nm[substr($3, 3) + 0], t[2] / 1000 }
	/high-water/ { heap = $4; stack = $8 }
	END { printf "heap high-water %s bytes, stack %s bytes\n", heap, stack }' "$T/qemu-1.out" |
	fold -s -w 110 | sed 's/^/  board: /'
echo "PASS test-qemu-port"
