#!/bin/sh
# The conformance tool (station conform, docs/conformance.md, issue #17) against the reference
# board: it passes on the host stub over serial (umockdev adapters), USB bulk, raw TCP and
# RFC 2217; it refuses a profile that is not a test one and a board with a product identity
# (nothing written); LOCK is sent only with --allow-lock; and against the stub with each fault
# flag of docs/protocol.md section 8 it FAILS and names the check that catches the fault (or,
# for the flags that leave a conforming board, passes, as the document says). Real stub, real
# transports; no signer, HSM or database (the tool opens none).
set -eu
: "${BIN:?BIN must point at the build's bin directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/station-conform.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
# as in lib.sh: one uid for the tests run as root (service mode is test-privsep's)
[ "$(id -u)" != 0 ] || export STATION_MODE=developer
base=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))

# The test profile: the demo profile, marked as a test one, short timeouts, fast PBKDF2.
PROFILE=$T/profile.ini
cp "$top/scripts/demo-profile.ini" "$PROFILE"
sed -i -e 's/^verifier_iterations = .*/verifier_iterations = 1000/' -e '/^\[timeouts\]/,/^$/d' "$PROFILE"
cat >>"$PROFILE" <<'EOF'

[timeouts]
hello = 400
set_identity = 1500
gen_key = 1500
object = 600
install = 800
prove = 800
confirm_password = 1500
lock = 400
retries = 2

[conform]
test = yes
EOF
station() { "$BIN/station" "$@"; }
# The lifecycle checks only: what the fault cases need, without the silences of the X vectors
# (one HELLO timeout each) that make a full run take seconds.
FAST="--only hello,state,step,confirm,retransmit,refuse,csr,prove,timing,line,vector.V-5,vector.V-9,vector.V-11,vector.V-19"

# conform NAME RC STUB-MODE STUB-ARGS... [-- CONFORM-ARGS...]: one fresh board in $T/NAME, the
# tool's JSON in $T/NAME.json; the exit status must be RC.
conform() {
	name=$1 want=$2 mode=$3
	shift 3
	sargs=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	[ $# = 0 ] || shift
	rc=0
	case $mode in
	tcp)
		port=$base
		base=$((base + 1))
		# shellcheck disable=SC2086
		"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/$name" $sargs -- \
			"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$PROFILE" --json "$@" \
			>"$T/$name.json" 2>"$T/$name.err" || rc=$? ;;
	rfc2217)
		port=$base
		base=$((base + 1))
		# shellcheck disable=SC2086
		"$BIN/firmware-stub" serve --rfc2217 --boards 1 --listen "127.0.0.1:$port" --dir "$T/$name" \
			$sargs -- "$BIN/station" conform --port "rfc2217:127.0.0.1:$port" --profile "$PROFILE" \
			--json "$@" >"$T/$name.json" 2>"$T/$name.err" || rc=$? ;;
	serial)
		# shellcheck disable=SC2086
		"$BIN/firmware-stub" sim --boards 1 --dir "$T/$name" $sargs -- \
			"$BIN/station" conform --port /dev/ttyUSB0 --profile "$PROFILE" --json "$@" \
			>"$T/$name.json" 2>"$T/$name.err" || rc=$? ;;
	usb)
		# shellcheck disable=SC2086
		"$BIN/firmware-stub" sim --usb --boards 1 --dir "$T/$name" $sargs -- \
			"$BIN/station" conform --port usb:1-1.1 --profile "$PROFILE" --json "$@" \
			>"$T/$name.json" 2>"$T/$name.err" || rc=$? ;;
	esac
	[ "$rc" = "$want" ] || { show; fail "$name: exit $rc, expected $want"; }
}
show() { cat "$T/$name.json" "$T/$name.err" >&2; }
# verdict CHECK: PASS, FAIL or SKIP of one check in the last run ("" when not reported)
verdict() { jq -r --arg n "$1" 'select(.event == "check" and .name == $n) | .result' "$T/$name.json"; }
count() { jq -r --arg v "$1" 'select(.event == "check" and .result == $v) | .name' "$T/$name.json" | wc -l; }
fails() { jq -r 'select(.event == "check" and .result == "FAIL") | .name' "$T/$name.json" | tr '\n' ' '; }
summary() { jq -r "select(.event == \"summary\") | .$1" "$T/$name.json"; }
# the first line of show is the record as JSON; the credential lines follow it
state() { "$BIN/firmware-stub" show --flash "$T/$name/board-0.flash" | jq -r .state; }
# every line of the output is one JSON object with an event
json_ok() { jq -e 'has("event")' "$T/$name.json" >/dev/null || { show; fail "$name: not JSON lines"; }; }

# expect_pass [fast]: no FAIL, the steps up to CERTIFIED passed (and, unless fast, the vectors)
expect_pass() {
	json_ok
	[ "$(count FAIL)" = 0 ] || { show; fail "$name: FAIL in $(fails)"; }
	v="vector.V-21 vector.X-11 vector.Y-16 types.unknown resync.truncated vector.Y-22 vector.Y-29
	   cred.set cred.confirm cred.mismatch cred.replace cred.refuse cred.keyed cred.certified"
	[ "${1:-}" != fast ] || v=
	for c in hello.decode step.set-identity step.gen-key csr.challenge step.install prove.signature \
		confirm.match state.KEYED state.CERTIFIED retransmit.prove line.clean $v; do
		[ "$(verdict $c)" = PASS ] || { show; fail "$name: $c is '$(verdict $c)', expected PASS"; }
	done
	[ "$(summary result)" = PASS ] || { show; fail "$name: summary not PASS"; }
	[ "$(jq -r 'select(.event == "start") | .mode' "$T/$name.json")" = conform ] || { show; fail "$name: no start event"; }
}

# 1. A conforming board on each transport.
conform serial 0 serial
expect_pass
[ "$(state)" = CERTIFIED ] || fail "serial: the board is $(state), expected CERTIFIED"
ok "serial (umockdev adapter): $(count PASS) PASS, $(count SKIP) SKIP, 0 FAIL; board CERTIFIED"
# the credentials the tool set (P-53) are on the board's flash: `show` prints them (its
# "credentials" member), the replaced ones (cred.replace: a WPA2 PSK, the shorter Matter salt)
"$BIN/firmware-stub" show --flash "$T/serial/board-0.flash" >"$T/serial.show"
jq -r '.credentials.wifi | "ssid=\(.ssid) akm=\(.akm) secret=\(.secret)"' "$T/serial.show" |
	grep -Eq '^ssid=CONFORM-[0-9A-F]{4}-2 akm=1 secret=[0-9a-f]{64}$' ||
	{ cat "$T/serial.show"; fail "serial: show does not print the Wi-Fi credential"; }
jq -r '.credentials.matter | "discriminator=\(.discriminator) iterations=\(.iterations) salt=\(.salt) verifier=\(.verifier)"' \
	"$T/serial.show" | grep -Eq '^discriminator=0 iterations=1000 salt=[0-9a-f]{32} verifier=[0-9a-f]{64}04[0-9a-f]{128}$' ||
	{ cat "$T/serial.show"; fail "serial: show does not print the Matter credential"; }
ok "serial: firmware-stub show prints the Wi-Fi and the Matter credential the tool set"
conform usb 0 usb
expect_pass
ok "USB bulk: $(count PASS) PASS, $(count SKIP) SKIP, 0 FAIL"
conform tcp 0 tcp
expect_pass
[ "$(verdict step.lock)" = SKIP ] || fail "tcp: LOCK was not skipped without --allow-lock"
ok "raw TCP: $(count PASS) PASS, $(count SKIP) SKIP, 0 FAIL; LOCK skipped"
conform rfc 0 rfc2217 --max-payload 128
expect_pass
[ "$(verdict size.max-payload)" = PASS ] || { show; fail "rfc: size.max-payload not PASS"; }
# P-6: at 128 the stub announces Wi-Fi only; Matter is then refused UNSUPPORTED
[ "$(verdict cred.unsupported)" = PASS ] || { show; fail "rfc: cred.unsupported not PASS"; }
ok "RFC 2217, a board of max_payload 128: $(count PASS) PASS, 0 FAIL (size.max-payload, cred.unsupported PASS)"
# A board without credentials (--no-credentials: no caps bits 9, 10): every cred.* check and
# the credential vectors skipped, the rest passes
conform nocred 0 tcp --no-credentials -- --only hello,state,step,confirm,cred,vector.Y-22
for c in cred.blank cred.set cred.refuse cred.keyed cred.unsupported vector.Y-22; do
	[ "$(verdict $c)" = SKIP ] || { show; fail "nocred: $c is '$(verdict $c)', expected SKIP"; }
done
[ "$(count FAIL)" = 0 ] && [ "$(verdict step.install)" = PASS ] || { show; fail "nocred: $(fails)"; }
ok "--no-credentials: the cred.* checks and the credential vectors skipped, no FAIL"

# 2. The same board again (it carries the serial conform gave it): runs, BLANK skipped.
name=tcp
port=$base
base=$((base + 1))
rc=0
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/tcp" -- \
	"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$PROFILE" --json $FAST \
	>"$T/tcp.json" 2>"$T/tcp.err" || rc=$?
[ "$rc" = 0 ] || { show; fail "second run on a conform board: exit $rc"; }
[ "$(verdict state.BLANK)" = SKIP ] || fail "second run: state.BLANK not skipped"
[ "$(summary state_before)" = CERTIFIED ] || fail "second run: the board was not CERTIFIED before"
ok "a board left by conform runs again (CERTIFIED -> CERTIFIED)"

# 2b. A flash file of the stub before the credentials (SPSTUB02: record layout 2, docs/protocol.md
#     §4.1) is migrated when the board starts: the same CERTIFIED board, no credentials, written
#     back as layout 3; the credential checks then pass on it.
python3 - "$T/tcp/board-0.flash" <<'PY' || fail "cannot make a layout-2 flash file"
import struct, sys, zlib
path = sys.argv[1]
d = open(path, "rb").read()
assert d[:8] == b"SPSTUB03"
hdr = d.index(struct.pack("<IH", 0x53505631, 3), 8)   # the record: magic SPV1, layout 3
rec_size = struct.unpack_from("<I", d, hdr + 8)[0]      # its own size field
assert hdr + rec_size == len(d)
l2 = rec_size - 240                                     # layout 2: no credential block
rec = bytearray(d[hdr:hdr + l2 - 4])
struct.pack_into("<H", rec, 4, 2)
struct.pack_into("<I", rec, 8, l2)
rec += struct.pack("<I", zlib.crc32(bytes(rec)) & 0xffffffff)
open(path, "wb").write(b"SPSTUB02" + d[8:hdr] + bytes(rec))
PY
"$BIN/firmware-stub" show --flash "$T/tcp/board-0.flash" >"$T/l2.show" || fail "show: a layout-2 file not read"
[ "$(jq -r .state "$T/l2.show")" = CERTIFIED ] && [ "$(jq -c .credentials "$T/l2.show")" = "{}" ] ||
	{ cat "$T/l2.show"; fail "a layout-2 file: not CERTIFIED without credentials"; }
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/tcp" -- \
	"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$PROFILE" --json --only hello,cred \
	>"$T/tcp.json" 2>"$T/tcp.err" || { show; fail "conform on a migrated board"; }
grep -q 'record of layout 2 migrated to layout 3' "$T/tcp.err" || { show; fail "no migration reported"; }
[ "$(head -c 8 "$T/tcp/board-0.flash")" = SPSTUB03 ] || fail "the migrated record was not written back"
[ "$(summary state_before)" = CERTIFIED ] && [ "$(verdict cred.certified)" = PASS ] ||
	{ show; fail "the migrated board: $(summary state_before), cred.certified $(verdict cred.certified)"; }
"$BIN/firmware-stub" show --flash "$T/tcp/board-0.flash" | jq -r .credentials.wifi.ssid | grep -q '^CONFORM-' ||
	fail "the migrated board does not keep the credential set on it"
ok "a flash file of record layout 2: migrated at start (CERTIFIED, no credentials), written back as layout 3; cred.* PASS on it"

# 3. Text output: one line per check, a summary; --list; --only.
port=$base
base=$((base + 1))
rc=0
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/text" -- \
	"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$PROFILE" >"$T/text.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/text.out"; fail "text run: exit $rc"; }
grep -Eq '^PASS  csr\.challenge +expected .*; seen ' "$T/text.out" || { cat "$T/text.out"; fail "text: no check line"; }
grep -Eq '^conform tcp:.*: PASS: [0-9]+ passed, 0 failed, [0-9]+ skipped' "$T/text.out" ||
	{ cat "$T/text.out"; fail "text: no summary"; }
n=$(station conform --list | wc -l)
[ "$(grep -cE '^(PASS|FAIL|SKIP)  ' "$T/text.out")" = "$n" ] || fail "text: not one line per check of --list ($n)"
conform only 0 tcp -- --only csr,vector.V-5
[ "$(jq -r 'select(.event == "check") | .name' "$T/only.json" | grep -vc '^csr\.\|^vector\.V-5$')" = 0 ] ||
	{ show; fail "--only reported other checks"; }
[ "$(count PASS)" = 8 ] || { show; fail "--only csr,vector.V-5: $(count PASS) PASS, expected 8"; }
ok "text: one line per check ($n), summary; --only csr,vector.V-5: 8 checks"

# 4. Usage and refusals: nothing is written to a board that is not a test board.
rc=0; station conform --profile "$PROFILE" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "no --port: exit $rc, expected 2"
rc=0; station conform --port /dev/null --profile "$PROFILE" --only nosuch >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--only nosuch: exit $rc, expected 2"
grep -v '^\[conform\]\|^test = yes' "$PROFILE" >"$T/prod.ini"
rc=0; station conform --port tcp:127.0.0.1:1 --profile "$T/prod.ini" --json >"$T/prod.json" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$T/prod.json"; fail "a production profile: exit $rc, expected 3"; }
grep -q 'not a test profile' "$T/prod.json" || fail "a production profile: no reason given"
rc=0; station conform --port tcp:127.0.0.1:1 --profile "$PROFILE" >/dev/null 2>&1 || rc=$?
[ "$rc" = 6 ] || fail "nothing listening: exit $rc, expected 6"
# A board with a product serial (IDENTIFIED by a station-like SET_IDENTITY): refused, untouched.
mkidentity() { python3 - "$1" <<'EOF'
import socket, struct, sys, zlib
def cobs(data):
    out, idx, code = bytearray([0]), 0, 1
    for x in data:
        if x == 0:
            out[idx] = code; idx = len(out); out.append(0); code = 1
        else:
            out.append(x); code += 1
            if code == 0xff:
                out[idx] = code; idx = len(out); out.append(0); code = 1
    out[idx] = code
    return bytes(out)
def frame(t, seq, p):
    f = struct.pack(">BBHH", 1, t, seq, len(p)) + p
    return cobs(f + struct.pack(">I", zlib.crc32(f))) + b"\0"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
s.settimeout(3)
p = bytes([12]) + b"TH2-00000042" + bytes([12]) + b"Hjk4-Mnp7-Qr" + struct.pack(">I", 1000)
s.sendall(frame(2, 0x4242, p))
r = b""
while not r.endswith(b"\0"):
    r += s.recv(64)
# the reply's type, the second byte of the frame: COBS keeps it in place (no zero before it)
sys.exit(0 if r[2] == 0x82 else 1)
EOF
}
name=prod
port=$base
base=$((base + 1))
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/prod" >"$T/srv.out" &
srv=$!
i=0
until grep -q listening "$T/srv.out" 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || fail "serve did not listen"; sleep 0.1; done
mkidentity "$port" || { kill $srv; fail "could not give the board a product identity"; }
rc=0
station conform --port "tcp:127.0.0.1:$port" --profile "$PROFILE" --json >"$T/prod.json" 2>"$T/prod.err" || rc=$?
kill $srv; wait $srv 2>/dev/null || true
[ "$rc" = 9 ] || { show; fail "a board with a product serial: exit $rc, expected 9"; }
jq -r 'select(.event == "error") | .message' "$T/prod.json" | grep -q "serial 'TH2-00000042'" ||
	{ show; fail "the refusal does not name the board's serial"; }
"$BIN/firmware-stub" show --flash "$T/prod/board-0.flash" | jq -e '.state == "IDENTIFIED" and .serial == "TH2-00000042"' \
	>/dev/null || fail "the refused board was changed"
ok "refused: no --port (2), unknown --only (2), a profile without [conform] test (3), no board (6),"
ok "  a board with serial TH2-00000042 (9, the board untouched)"

# 5. LOCK: never without --allow-lock (a board that hangs up at LOCK passes), with it checked.
conform nolock 0 tcp --hang-up-at lock -- $FAST
expect_pass fast
conform lock 0 tcp -- --allow-lock $FAST,cred
expect_pass fast
for c in step.lock state.LOCKED vector.V-19 timing.lock cred.set cred.locked; do
	[ "$(verdict $c)" = PASS ] || { show; fail "lock: $c is '$(verdict $c)'"; }
done
[ "$(state)" = LOCKED ] || fail "lock: the board is $(state)"
[ "$(summary state_after)" = LOCKED ] || fail "lock: summary state_after"
# the locked board again: nothing can be written, the lifecycle checks are skipped
conform lock 0 tcp -- --allow-lock $FAST
[ "$(summary state_before)" = LOCKED ] && [ "$(verdict step.set-identity)" = SKIP ] ||
	{ show; fail "a LOCKED board: not skipped"; }
ok "without --allow-lock no LOCK is ever sent; with it LOCK, the LOCKED row, V-19 and cred.locked PASS;"
ok "  a LOCKED board: $(count PASS) PASS, the lifecycle skipped"

# 5b. Service mode (started as root, as `station run`): the tool drops to the station user and
#     enters the sandbox before it talks to the board, which reaches the board's TCP port only.
if [ "$(id -u)" = 0 ]; then
	getent passwd station >/dev/null && getent passwd station-signer >/dev/null || "$top/scripts/users.sh"
	uid=$(id -u station)
	S=$T/svc
	mkdir -p "$S"
	chmod 755 "$T" "$S"
	cp "$PROFILE" "$S/profile.ini"
	chmod 644 "$S/profile.ini"
	echo 123456 >"$S/hsm-user.pin"
	chmod 600 "$S/hsm-user.pin"
	name=svc
	port=$base
	base=$((base + 2))
	rc=0
	env -u STATION_MODE STATION_TEST_PROBE_TCP="$port:$((port + 1))" STATION_TEST_PROBE_OPEN="$S/hsm-user.pin" \
		"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$port" --dir "$T/svc-board" -- \
		"$BIN/station" conform --port "tcp:127.0.0.1:$port" --profile "$S/profile.ini" --json $FAST \
		>"$T/svc.json" 2>"$T/svc.err" || rc=$?
	[ "$rc" = 0 ] || { show; fail "service mode: exit $rc"; }
	expect_pass fast
	for p in "uid $uid euid $uid" "station uid $uid: tcp 127.0.0.1:$port: ok" \
		"station uid $uid: tcp 127.0.0.1:$((port + 1)): Permission denied" "read $S/hsm-user.pin: Permission denied"; do
		grep -q "^probe: $p$" "$T/svc.err" || { show; fail "service mode: no probe line '$p'"; }
	done
	ok "service mode: as user station (uid $uid), sandboxed: the board's port only, no PIN file; PASS"
else
	echo "  skip: service mode (needs root)"
fi

# 6. Fault flags (docs/protocol.md section 8): FAIL, naming the check.
# fault NAME MODE CHECK... -- STUB-ARGS [-- CONFORM-ARGS]: exit 1, each CHECK is FAIL
fault() {
	fname=$1 fmode=$2
	shift 2
	fwant=
	while [ "$1" != -- ]; do fwant="$fwant $1"; shift; done
	shift
	case " $* " in
	*" --only "*) conform "$fname" 1 "$fmode" "$@" ;;
	*" -- "*) conform "$fname" 1 "$fmode" "$@" $FAST ;;
	*) conform "$fname" 1 "$fmode" "$@" -- $FAST ;;
	esac
	json_ok
	for c in $fwant; do
		[ "$(verdict "$c")" = FAIL ] || { show; fail "$fname: $c is '$(verdict "$c")', expected FAIL (failed: $(fails))"; }
	done
	ok "$fname: FAIL in$fwant (all failed: $(fails | cut -c1-90))"
}
fault drop tcp line.clean -- --drop-rate 0.1 --seed 7
fault corrupt tcp line.clean -- --corrupt-rate 0.1 --seed 7
fault hang-up tcp state.BLANK -- --hang-up-at gen-key
grep -q 'hung up' "$T/hang-up.json" || fail "hang-up: the failing check does not say the line hung up"
[ "$(count FAIL)" = 1 ] || { show; fail "hang-up: the checks after the hang-up are not skipped"; }
fault never tcp state.BLANK step.lock timing.lock -- --never-reply-at lock -- --allow-lock
fault late tcp timing.hello -- --reply-late 500 -- --only hello.decode,timing.hello
fault reboot tcp timing.gen-key line.clean -- --reboot-at gen-key
fault reboot-prove tcp timing.prove -- --reboot-at prove
fault csr-sig tcp csr.signature -- --csr-bad-signature
fault csr-type tcp csr.key-type -- --csr-wrong-key-type
fault csr-weak tcp csr.key-type -- --csr-weak-key
fault csr-other tcp step.install -- --csr-other-key
fault csr-nonce tcp csr.challenge vector.V-5 -- --csr-wrong-nonce
fault rotate tcp hello.stable -- --rotate-chip-id
fault short tcp step.read-csr vector.V-5 -- --short-chunks
fault firmware tcp hello.firmware -- --firmware-not-allowed
fault refuse-lock tcp step.lock -- --refuse-lock -- --allow-lock
fault fake-lock tcp state.BLANK -- --fake-lock -- --allow-lock
fault oversized tcp line.clean -- --oversized-frames
fault garbage tcp line.clean -- --garbage-frames --at install
fault truncated tcp hello.decode -- --truncated-frames
fault keygen tcp timing.gen-key -- --keygen-ms 1700
fault serial-garbage serial line.clean -- --garbage-frames
fault usb-csr usb csr.challenge -- --csr-wrong-nonce
# The profile's key type is the one asked: EC P-384 (the stub then makes P-256 with
# --csr-wrong-key-type).
sed 's/^key_types = .*/key_types = ec-p384/' "$PROFILE" >"$T/p384.ini"
P256=$PROFILE
PROFILE=$T/p384.ini
conform p384 0 tcp -- $FAST
expect_pass fast
[ "$(jq -r 'select(.name == "csr.key-type") | .seen' "$T/p384.json")" = "EC P-384" ] || { show; fail "p384: key type"; }
fault p384-type tcp csr.key-type -- --csr-wrong-key-type
PROFILE=$P256
# Flags that leave a conforming board: a paced line fits the timeouts; a shared chip ID is a
# fleet property the record catches (E_DUPLICATE), not something one board can show.
conform paced 0 tcp --line-rate 115200 -- $FAST
expect_pass fast
conform dup 0 tcp --duplicate-chip-id a1b2c3d4e5f60718 -- $FAST
expect_pass fast
ok "--line-rate 115200 and --duplicate-chip-id: PASS (docs/conformance.md says why)"

# 7. The vectors the tool sends are the document's: every wire string of the shared table
#    (station/conform/conform-vectors.c, also the unit tests') is in docs/protocol.md.
python3 - "$top/station/conform/conform-vectors.c" "$top/docs/protocol.md" <<'PY' || fail "conform-vectors.c and docs/protocol.md differ"
import re, sys
src = open(sys.argv[1]).read()
doc = re.sub(r"\s+", " ", open(sys.argv[2]).read())
# adjacent literals concatenated, as the compiler does
src = re.sub(r'"\s*\n\s*"', "", src)
hexes = [h for h in re.findall(r'"([0-9a-f]{2}(?: [0-9a-f]{2})+)"', src)]
def described(h):
    # Y-15 and Y-16 are written "`02 00 00 10 01` + 32 bytes `00`": a prefix and a run
    t = h.split(" ")
    n = len(t)
    while n > 1 and t[n - 1] == t[-1]:
        n -= 1
    return "`%s` + %d bytes `%s`" % (" ".join(t[:n]), len(t) - n, t[-1]) in doc
missing = [h for h in hexes if h not in doc and not described(h)]
print("  %d hex strings of the table, %d not in the document" % (len(hexes), len(missing)))
for h in missing:
    print("    missing: " + h[:80])
sys.exit(1 if missing or len(hexes) < 60 else 0)
PY
ok "the vectors of the table are the document's"
