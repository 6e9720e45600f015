#!/bin/sh
# Fixtures behind Ethernet serial device servers (issue #14): boards served by the firmware stub
# over raw TCP and over RFC 2217 (firmware-stub serve), provisioned by an unmodified station
# through --port tcp:HOST:P1-P2 / rfc2217:HOST:P1-P2; a server that drops the connection
# mid-step; a port where nothing listens. Real SoftHSM2, real signer, real stub.
. "$(dirname "$0")/lib.sh"
db=$T/station.db
srv=
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
# a random base, so that parallel runs do not clash, below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range, 32768 and up), where any outgoing connection may hold a port;
# the test uses base .. base+450
base=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
serve() { "$BIN/firmware-stub" serve --listen "127.0.0.1:$1" "$@"; }
results() { jq -r 'select(.event == "result") | .result' "$1" | sort | uniq -c | awk '{printf "%s%s ", $1, $2}'; }

# 1. Raw TCP: three boards on three ports, one range name.
p=$base
rc=0
"$BIN/firmware-stub" serve --boards 3 --listen "127.0.0.1:$p" --dir "$T/raw" -- \
	"$BIN/station" run --profile "$PROFILE" --port "tcp:127.0.0.1:$p-$((p + 2))" --json \
	>"$T/r1.json" 2>"$T/r1.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/r1.json" "$T/r1.err"; fail "raw TCP run: exit $rc"; }
[ "$(results "$T/r1.json")" = "3PASS " ] || { cat "$T/r1.json"; fail "raw TCP: 3 PASS expected"; }
[ "$(jq -r 'select(.event == "start") | .fixtures' "$T/r1.json")" = 3 ] || fail "the range is not 3 fixtures"
for i in 0 1 2; do
	"$BIN/firmware-stub" show --flash "$T/raw/board-$i.flash" | jq -e '.state == "LOCKED"' >/dev/null ||
		fail "raw TCP board $i not LOCKED"
done
ok "raw TCP: --port tcp:127.0.0.1:$p-$((p + 2)) is 3 fixtures; 3 PASS, boards LOCKED"

# 2. RFC 2217: two boards, the line set over Telnet; one board generates its key slowly and
#    transmits at 115200 baud (--line-rate paces it over TCP too).
p=$((base + 10))
rc=0
"$BIN/firmware-stub" serve --boards 2 --rfc2217 --listen "127.0.0.1:$p" --dir "$T/rfc" --keygen-ms 300 \
	--fault-board 1 --line-rate 115200 -- \
	"$BIN/station" run --profile "$PROFILE" --port "rfc2217:127.0.0.1:$p-$((p + 1))" --json -v \
	>"$T/r2.json" 2>"$T/r2.err" || rc=$?
[ "$rc" = 0 ] || { cat "$T/r2.json" "$T/r2.err"; fail "RFC 2217 run: exit $rc"; }
[ "$(results "$T/r2.json")" = "2PASS " ] || { cat "$T/r2.json"; fail "RFC 2217: 2 PASS expected"; }
grep -q "RFC 2217 line set to 115200 baud 8N1" "$T/r2.err" || { cat "$T/r2.err"; fail "the line was not set over RFC 2217"; }
ok "RFC 2217: 2 PASS; the line set to the profile's 115200 8N1 and acknowledged; --keygen-ms, --line-rate"

# 3. A device server that drops the connection mid-step: the board FAILs cleanly, the server
#    takes the next connection, and a rerun (the fault gone) ends PASS from the board's flash.
p=$((base + 20))
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$p" --dir "$T/hup" --hang-up-at gen-key >"$T/srv.out" 2>"$T/srv.err" &
srv=$!
n=0
until grep -q "^listening 127.0.0.1:$p$" "$T/srv.out" 2>/dev/null; do
	n=$((n + 1)); [ $n -lt 100 ] || { cat "$T/srv.out" "$T/srv.err"; fail "the server did not start"; }; sleep 0.05
done
for k in 1 2; do
	rc=0
	"$BIN/station" run --profile "$PROFILE" --port "tcp:127.0.0.1:$p" --json >"$T/h$k.json" 2>"$T/h$k.err" || rc=$?
	[ "$rc" = 1 ] || { cat "$T/h$k.json" "$T/h$k.err"; fail "dropped connection (run $k): exit $rc, expected 1"; }
	[ "$(jq -r 'select(.event == "result") | .result + " " + .code + " " + .step' "$T/h$k.json")" = "FAIL E_DISCONNECTED key" ] ||
		{ cat "$T/h$k.json"; fail "dropped connection (run $k): FAIL E_DISCONNECTED at key expected"; }
done
kill "$srv"; wait "$srv" 2>/dev/null || true; srv=
rc=0
"$BIN/firmware-stub" serve --boards 1 --listen "127.0.0.1:$p" --dir "$T/hup" -- \
	"$BIN/station" run --profile "$PROFILE" --port "tcp:127.0.0.1:$p" --json >"$T/h3.json" 2>"$T/h3.err" || rc=$?
[ "$rc" = 0 ] && [ "$(results "$T/h3.json")" = "1PASS " ] || { cat "$T/h3.json" "$T/h3.err"; fail "rerun after the drop: exit $rc"; }
ok "connection dropped at gen-key: FAIL E_DISCONNECTED (exit 1), twice on the same server (it takes the next connection); a rerun PASS"

# 4. Nothing listens: the fixture FAILs with E_PORT and a message saying what to check.
p=$((base + 30))
rc=0
"$BIN/station" run --profile "$PROFILE" --port "rfc2217:127.0.0.1:$p" --json >"$T/n.json" 2>"$T/n.err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/n.json" "$T/n.err"; fail "nothing listening: exit $rc, expected 1"; }
[ "$(jq -r 'select(.event == "result") | .code' "$T/n.json")" = E_PORT ] || { cat "$T/n.json"; fail "E_PORT expected"; }
grep -q "connection refused: nothing listens on port $p of 127.0.0.1; check the device server" "$T/n.err" ||
	{ cat "$T/n.err"; fail "no clear message for a refused connection"; }
ok "nothing listening on $p: FAIL E_PORT (exit 1): $(grep -o 'connection refused[^;]*' "$T/n.err" | head -1)"

# 4b. Hostile device servers (red team of issue #14): one that floods data and never answers the
#     negotiation, one that agrees and then negotiates without end while reading every answer.
#     The open is bounded by its 2 s (it was not while bytes kept coming); the board steps by
#     their budgets. A station that hangs is killed by timeout (exit 124).
for m in flood storm; do
	p=$((p + 1))
	python3 "$(dirname "$0")/hostile-telnet.py" "$p" "$m" >"$T/hostile-$m.out" 2>&1 &
	hs=$!
	n=0
	until grep -q "^listening" "$T/hostile-$m.out" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 100 ] || fail "the hostile server did not start"; sleep 0.05
	done
	rc=0
	t0=$(date +%s)
	timeout 40 "$BIN/station" run --profile "$PROFILE" --port "rfc2217:127.0.0.1:$p" --json \
		>"$T/hostile-$m.json" 2>"$T/hostile-$m.err" || rc=$?
	el=$(($(date +%s) - t0))
	kill "$hs" 2>/dev/null || true
	wait "$hs" 2>/dev/null || true
	[ "$rc" = 1 ] || { tail -5 "$T/hostile-$m.err"; fail "hostile server ($m): exit $rc after ${el} s, expected 1 (124: the station hung)"; }
	code=$(jq -r 'select(.event == "result") | .code' "$T/hostile-$m.json")
	case "$m:$code" in
	flood:E_PORT) [ "$el" -le 6 ] || fail "flood: the open took ${el} s (bounded by 2 s; 9 s and more before the fix)" ;;
	storm:E_NO_ANSWER) [ "$el" -le 15 ] || fail "storm: FAIL after ${el} s (2 s of open and the identify budget; 26 s before the fix)" ;;
	*) cat "$T/hostile-$m.json"; fail "hostile server ($m): $code" ;;
	esac
	ok "hostile RFC 2217 server ($m): FAIL $code in ${el} s"
done

# 5. Malformed names are usage errors; an unresolvable name is 'no fixture' (exit 6).
for bad in "tcp:127.0.0.1" "tcp:127.0.0.1:0" "tcp:127.0.0.1:9-3" "rfc2217:[::1:5" "tcp:a_b:1" "tcp:127.0.0.1:1-300"; do
	rc=0
	"$BIN/station" run --profile "$PROFILE" --port "$bad" >/dev/null 2>"$T/bad.err" || rc=$?
	[ "$rc" = 2 ] || { cat "$T/bad.err"; fail "--port $bad: exit $rc, expected 2"; }
done
rc=0
"$BIN/station" run --profile "$PROFILE" --port "tcp:no-such-host.invalid:4001" >/dev/null 2>"$T/dns.err" || rc=$?
[ "$rc" = 6 ] || { cat "$T/dns.err"; fail "unresolvable host: exit $rc, expected 6"; }
ok "malformed --port names exit 2; an unresolvable device server exits 6 ($(grep -o "cannot be resolved[^;]*" "$T/dns.err" | head -1))"

# 6. The fixture cap (CAP_FIXTURES, 256) in one range: one stub, 256 boards, 256 connections.
#    512 threads on a shared 2-core machine (and ASan builds) are slow: generous timeouts.
p=$((base + 100))
nb=256
# under ASan (make asan) 512 instrumented threads take minutes on 2 cores: a quarter of the cap
if grep -q __asan_init "$BIN/station"; then nb=64; fi
sed -e 's/^hello = .*/hello = 5000\nset_identity = 30000\nobject = 10000\ninstall = 30000\nprove = 30000\nconfirm_password = 30000\nlock = 20000/' \
	-e 's/^gen_key = .*/gen_key = 60000/' "$PROFILE" >"$T/big.ini"
rc=0
"$BIN/firmware-stub" serve --boards $nb --listen "127.0.0.1:$p" --dir "$T/big" -- \
	"$BIN/station" run --profile "$T/big.ini" --port "tcp:127.0.0.1:$p-$((p + nb - 1))" --json >"$T/big.json" 2>"$T/big.err" || rc=$?
[ "$rc" = 0 ] && [ "$(results "$T/big.json")" = "${nb}PASS " ] || { tail -5 "$T/big.err"; fail "$nb fixtures: exit $rc, $(results "$T/big.json"); FAIL codes: $(jq -r 'select(.event == "result" and .result == "FAIL") | .code + "@" + .step' "$T/big.json" | sort | uniq -c | tr '\n' ' ')"; }
ok "$nb fixtures in one range (the cap is 256): $nb PASS in $(jq -r 'select(.event == "summary") | .elapsed_ms' "$T/big.json") ms"

[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM devices WHERE status='pass'")" = $((nb + 6)) ] || fail "$((nb + 6)) devices expected"
"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "audit verify"; }
ok "$((nb + 6)) devices recorded; audit verify: $(tail -1 "$T/v.out")"
# 7. station line over TCP: two served boards end PASS; a third fixture names a port where
#    nothing listens (a device server switched off): its tries back off (0.5, 1, 2, 4, then every
#    8 s), so its "connection refused" lines stay few; SIGTERM stops the line with exit 0.
p=$((base + 400))
dead=$((base + 450))
"$BIN/firmware-stub" serve --boards 2 --listen "127.0.0.1:$p" --dir "$T/line" >"$T/lsrv.out" 2>&1 &
srv=$!
wait_file "$T/lsrv.out" listening || fail "line: the stub did not listen"
"$BIN/station" line --profile "$PROFILE" --json --port "tcp:127.0.0.1:$p-$((p + 1))" \
	--port "tcp:127.0.0.1:$dead" >"$T/line.json" 2>"$T/line.err" &
lp=$!
t0=$(date +%s)
w=0
until [ "$(jq -r 'select(.event == "result") | .result' "$T/line.json" 2>/dev/null | grep -c PASS)" = 2 ]; do
	w=$((w + 1))
	[ $w -lt 600 ] || { kill "$lp"; cat "$T/line.json" "$T/line.err"; fail "line over TCP: no 2 PASS in 60 s"; }
	kill -0 "$lp" 2>/dev/null || { cat "$T/line.err"; fail "line over TCP stopped by itself"; }
	sleep 0.1
done
sleep 2
kill -TERM "$lp"
rc=0
wait "$lp" || rc=$?
secs=$(($(date +%s) - t0))
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null || true
srv=
[ "$rc" = 0 ] || { cat "$T/line.err"; fail "line over TCP: exit $rc after SIGTERM, expected 0"; }
tries=$(grep -c "127.0.0.1:$dead: connection refused" "$T/line.err" || true)
[ "$tries" -ge 1 ] || { cat "$T/line.err"; fail "line: the dead fixture's port was never tried"; }
[ "$tries" -le $((5 + secs / 8)) ] ||
	{ cat "$T/line.err"; fail "line: $tries tries of the dead device server in $secs s: no back-off"; }
ok "station line over TCP: 2 PASS; a dead device server tried $tries times in $secs s (back-off); SIGTERM: exit 0"
echo "PASS test-tcp"
