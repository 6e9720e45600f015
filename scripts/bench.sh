#!/bin/sh
# bench.sh: `make bench` (issue #14). Every figure of PRODUCT §9 from this one run, printed as one
# table (also written to build/bench/table.md) after the machine and the versions, each figure
# next to its target and "MISSED" where it is missed. Performance targets live here, never in
# timed tests. BENCH_QUICK=1: a smaller run for development (same rows, fewer boards).
#
# Harness: `firmware-stub serve` (boards on TCP ports, station fixtures tcp:HOST:P1-P2) when the
# stub has it, else `firmware-stub sim` (umockdev; its emulation costs far more CPU than the
# station and caps a run at 48 fixtures here). The station's and the signer's CPU and memory come
# from the `summary` event of `station run --json` (cpu_ms, rss_kib: their own getrusage), so the
# harness is counted in neither.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
B=$top/build/release
QUICK=${BENCH_QUICK:-0}
OUT=$top/build/bench
T=$(mktemp -d /tmp/station-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T" # service mode: the station and signer users reach their directory below it
export BIN
mkdir -p "$OUT"
ROWS=$T/rows
: >"$ROWS"

if [ "$QUICK" = 1 ]; then
	FAST_N=16 ROUNDS=1 PEER_N=16 FLOOR_N=300 AUDIT_N=100000
else
	FAST_N=48 ROUNDS=3 PEER_N=48 FLOOR_N=2000 AUDIT_N=
fi

log() { printf '%s\n' "$*" >&2; }
# row WHAT VALUE TARGET VERDICT
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }
# verdict VALUE ge|le LIMIT: ok or MISSED ("-" when VALUE is not a number)
verdict() {
	case $1 in '' | *[!0-9.]*) echo "-"; return ;; esac
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = op == "ge" ? v >= l : v <= l; print ok ? "ok" : "MISSED" }'
}
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# --- machine and versions ---------------------------------------------------------------------
{
	echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
	echo "versions: $(openssl version | cut -d' ' -f1-2), SQLite $(sqlite3 --version | cut -d' ' -f1), SoftHSM2 $(softhsm2-util --version 2>/dev/null || echo '?'), engine_pkcs11 $(dpkg-query -W -f '${Version}' libengine-pkcs11-openssl 2>/dev/null || echo '?')"
	echo "station: $("$BIN/station" --version | head -1)"
} >"$T/head"
cat "$T/head"

# --- the station under test -------------------------------------------------------------------
# Labels as ZPL only (the PNG preview is for people), PBKDF2 on the board lowered to 1 iteration
# so that the board's own compute does not hide the station's.
S=$T/st
mkdir -p "$S"
sed -e 's/^verifier_iterations = .*/verifier_iterations = 1/' -e 's/^formats = .*/formats = zpl/' \
	"$top/scripts/demo-profile.ini" >"$S/profile.ini"
"$top/scripts/hsm-setup.sh" "$S" >/dev/null
export SOFTHSM2_CONF="$S/softhsm2.conf"
# As root: service mode, as a line runs (two users, the station sandboxed).
"$top/scripts/service-dir.sh" "$S"
[ "$(id -u)" != 0 ] || export STATION_TEST_PRIVSEP=1
"$BIN/station" ca init --profile "$S/profile.ini" >/dev/null
"$BIN/station" lot open --profile "$S/profile.ini" >/dev/null

# The stub's `serve` (TCP) when it has one: today's stub prints its general usage, exit 0, for
# any subcommand's --help, so its help must also describe serve.
if "$BIN/firmware-stub" serve --help >"$T/serve-help" 2>&1 && grep -q -- '--listen' "$T/serve-help"; then
	HARNESS=tcp MAXFIX=256
else
	HARNESS=umockdev MAXFIX=48
fi
echo "harness: $HARNESS ($([ $HARNESS = tcp ] && echo 'firmware-stub serve, fixtures tcp:127.0.0.1:P1-P2' || echo 'firmware-stub sim: emulated USB-serial adapters; no TCP transport in this firmware-stub'))"
# below the kernel's ephemeral ports (32768 and up), which outgoing connections may hold; the
# runs use about 1,000 ports from here
PORT=$((20000 + $$ % 10000))

# srun NAME PROFILE N [stub options...]: one `station run --json` over N fresh boards; its events
# in $T/NAME.json, the summary in $T/NAME.sum. Fails only when the harness or station cannot run.
srun() {
	name=$1 prof=$2 n=$3
	shift 3
	if [ $HARNESS = tcp ]; then
		PORT=$((PORT + n + 1))
		/usr/bin/time -f "%U %S" -o "$T/$name.time" \
			"$BIN/firmware-stub" serve --boards "$n" --listen "127.0.0.1:$PORT" --dir "$T/b-$name" --flash-nosync "$@" -- \
			"$BIN/station" run --profile "$prof" --json --port "tcp:127.0.0.1:$PORT-$((PORT + n - 1))" \
			>"$T/$name.json" 2>"$T/$name.err" || true
	else
		/usr/bin/time -f "%U %S" -o "$T/$name.time" \
			"$BIN/firmware-stub" sim --boards "$n" --dir "$T/b-$name" --flash-nosync "$@" -- \
			"$BIN/station" run --profile "$prof" --json >"$T/$name.json" 2>"$T/$name.err" || true
	fi
	jq -c 'select(.event == "summary")' "$T/$name.json" >"$T/$name.sum" 2>/dev/null || true
	if [ ! -s "$T/$name.sum" ]; then
		log "bench: run $name ($n boards) gave no summary; its stderr:"
		tail -5 "$T/$name.err" >&2
	fi
}
# sget NAME JQ-EXPR: a figure of a run's summary ("" when none)
sget() { [ -s "$T/$1.sum" ] && jq -r "$2 // empty" "$T/$1.sum" || true; }
# cpu_split NAME: where a run's CPU went, in CPU-seconds over its wall time: the station, the
# signer (their summary) and the simulated boards (the harness process tree's user+system time
# from /usr/bin/time, less those two). On this 2-core machine the boards compete with the station.
cpu_split() {
	[ -s "$T/$1.time" ] || { echo "CPU split not measured"; return; }
	awk -v st="$(sget "$1" .cpu_ms.station)" -v sg="$(sget "$1" .cpu_ms.signer)" \
		-v e="$(sget "$1" .elapsed_ms)" '{ u = $1; k = $2 } END { t = (u + k) * 1000
		printf "CPU-s: station %.2f, signer %.2f, simulated boards %.2f, in %.2f s wall", st / 1000,
			sg / 1000, (t - st - sg) / 1000, e / 1000 }' "$T/$1.time"
}
rate() { # boards/s of a run: PASS / elapsed
	p=$(sget "$1" .pass) e=$(sget "$1" .elapsed_ms)
	[ -n "$p" ] && [ -n "$e" ] && [ "$e" -gt 0 ] && calc "$p * 1000 / $e" 1 || true
}

# --- 1. the peer: a shell-script station given its best shot -----------------------------------
# openssl CLI + sqlite3 CLI (WAL, synchronous=FULL, one insert per board), the CA key P-256 in its
# own SoftHSM2 token through engine_pkcs11, the PIN in a mode-600 OpenSSL config file loaded for
# the signing command only, an empty trust store for `openssl x509`. The boards' CSRs are made
# before the clock starts (a board's work, not the station's). Per board: `openssl x509 -req`
# (checks the CSR's self-signature, signs in the HSM), a password (`openssl rand`), one durable
# insert.
P=$T/peer
mkdir -p "$P"
sed -e 's/station-demo/peer-ca/g' "$top/scripts/demo-profile.ini" >"$P/profile.ini"
(
	export STATION_MODE=developer SOFTHSM2_CONF="$P/softhsm2.conf"
	unset STATION_TEST_PRIVSEP
	"$top/scripts/hsm-setup.sh" "$P" >/dev/null
	"$BIN/station" ca init --profile "$P/profile.ini" >/dev/null 2>"$P/init.err"
) || { cat "$P/init.err" >&2; exit 1; }
umask_old=$(umask)
umask 077
{
	printf 'openssl_conf = openssl_init\n[openssl_init]\nengines = engine_section\n'
	printf '[engine_section]\npkcs11 = pkcs11_section\n[pkcs11_section]\nengine_id = pkcs11\n'
	printf 'dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so\n'
	printf 'MODULE_PATH = /usr/lib/softhsm/libsofthsm2.so\nPIN = %s\ninit = 0\n' "$(cat "$P/hsm-user.pin")"
} >"$P/engine.cnf"
umask "$umask_old"
: >"$P/empty.pem"
sqlite3 "$P/db" "PRAGMA journal_mode=WAL; CREATE TABLE d(serial TEXT UNIQUE, cert BLOB, pw TEXT);" >/dev/null
i=0
while [ $i -lt "$PEER_N" ]; do
	i=$((i + 1))
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null \
		-subj "/CN=SN$i" -out "$P/r$i" 2>/dev/null
done
peer_board() {
	SSL_CERT_FILE=$P/empty.pem OPENSSL_CONF=$P/engine.cnf SOFTHSM2_CONF=$P/softhsm2.conf \
		openssl x509 -req -in "$P/r$1" -CA "$P/ca.pem" -CAkeyform engine -engine pkcs11 \
		-CAkey "pkcs11:token=peer-ca;object=issuing-ca;type=private" -set_serial "$1" -days 30 \
		-out "$P/c" 2>"$P/x509.err" || { cat "$P/x509.err" >&2; return 1; }
	pw=$(openssl rand -base64 9)
	sqlite3 "$P/db" "PRAGMA synchronous=FULL; INSERT INTO d VALUES('SN$1', readfile('$P/c'), '$pw');"
}
peer_board 0 2>/dev/null || true # first use (engine, token) outside the clock; SN0 is not a board
start=$(date +%s%N)
i=0
while [ $i -lt "$PEER_N" ]; do
	i=$((i + 1))
	peer_board $i
done
end=$(date +%s%N)
peer=$(calc "$PEER_N * 1e9 / ($end - $start)" 1)
log "peer: $PEER_N boards in $(((end - start) / 1000000)) ms"
row "peer: shell station (openssl+sqlite3 CLI, WAL, CA key in SoftHSM2 via engine_pkcs11)" "$peer boards/s" "(baseline)" ""

# --- 2. station throughput on fast boards -----------------------------------------------------
best=0
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	srun "fast$r" "$S/profile.ini" "$FAST_N"
	x=$(rate "fast$r")
	log "station: round $r: $(sget "fast$r" .pass)/$FAST_N PASS, $x boards/s"
	[ -z "$x" ] || best=$(awk -v a="$x" -v b="$best" 'BEGIN { m = (a + 0 > b + 0) ? a : b; print m }')
done
ratio=$(calc "$best / $peer" 1)
row "station throughput, $FAST_N fixtures, fast boards (best of $ROUNDS)" "$best boards/s" "" ""
row "  ratio to the peer" "${ratio}x" ">= 50x" "$(verdict "$ratio" ge 50)"

# --- 3. CPU per board against the crypto floor -------------------------------------------------
# Per board = (CPU of the N-board run - CPU of a 1-board run) / (N - 1): start-up (HSM login,
# database open, the stop checkpoint) is paid once per run, not per board.
srun one "$S/profile.ini" 1
PKGS="openssl sqlite3 libserialport libusb-1.0 inih jansson"
# shellcheck disable=SC2046,SC2086
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE $(for d in "$top"/station/*/ "$top"/hsm/*/; do printf -- "-I%s " "${d%/}"; done) \
	-I"$top/firmware-stub/core" $(pkg-config --cflags p11-kit-1 $PKGS) "$top/tests/bench/bench-floor.c" \
	$B/libhsm.a $B/libstation.a $B/libcommon.a $B/libcore.a $(pkg-config --libs $PKGS) -lpthread -ldl \
	-o "$T/bench-floor"
# The signer's own key files: in service mode they are station-signer's (root reads them).
"$T/bench-floor" "$S/profile.ini" "$FLOOR_N" >"$T/floor" 2>"$T/floor.err" || cat "$T/floor.err" >&2
fget() { sed -n "s/^$1 //p" "$T/floor"; }
floor=$(fget floor-ms)
row "crypto floor per board, this run (CPU: HSM ECDSA $(fget floor-sign-ms) + CSR verify $(fget floor-csr-ms) + proof verify $(fget floor-prove-ms) + HSM HMAC $(fget floor-hmac-ms) ms)" "${floor:-?} ms" "" ""
cpu_st=$(awk -v a="$(sget fast1 .cpu_ms.station)" -v b="$(sget one .cpu_ms.station)" -v n="$FAST_N" 'BEGIN { if (a != "" && b != "") printf "%.3f", (a - b) / (n - 1) }')
cpu_sg=$(awk -v a="$(sget fast1 .cpu_ms.signer)" -v b="$(sget one .cpu_ms.signer)" -v n="$FAST_N" 'BEGIN { if (a != "" && b != "") printf "%.3f", (a - b) / (n - 1) }')
for who in station signer; do
	eval "v=\$cpu_$( [ $who = station ] && echo st || echo sg)"
	x=$( [ -n "$v" ] && [ -n "$floor" ] && calc "$v / $floor" || true)
	row "CPU per board, $who process" "${v:-?} ms = ${x:-?}x floor" "<= 1.5x" "$(verdict "$x" le 1.5)"
done
x=$( [ -n "$cpu_st" ] && [ -n "$cpu_sg" ] && [ -n "$floor" ] && calc "($cpu_st + $cpu_sg) / $floor" || true)
row "CPU per board, station + signer" "$( [ -n "$x" ] && calc "$cpu_st + $cpu_sg" 3) ms = ${x:-?}x floor" "<= 1.5x" "$(verdict "$x" le 1.5)"

# --- 4. scaling ------------------------------------------------------------------------------
# Boards that take realistic time of their own: a 300 ms key generation (where the stub has
# --keygen-ms) and a 115,200-baud line. Throughput at N fixtures against the ideal N / board-time,
# board-time = a board's own elapsed time when it is alone (below).
if grep -q -- '--keygen-ms' "$T/serve-help" 2>/dev/null ||
	"$BIN/firmware-stub" --help 2>&1 | grep -q -- '--keygen-ms'; then
	SCALE_OPTS="--keygen-ms 300 --line-rate 115200"
else
	SCALE_OPTS="--line-rate 115200"
fi
SCALE_NS=$([ "$QUICK" = 1 ] && echo "1 8" || echo "1 8 48 64 128 256")
# The boards' own time, from their result events: the run's start-up (signer, HSM log-in,
# connections) and its stop (station.stop, the stop checkpoint) are per run, not per board, and
# vary from run to run. board-time = the median of three boards alone; a run of N boards, which
# all start together, takes as long as its slowest board.
# bmax NAME: the longest board of a run (ms; "" when none ended PASS)
bmax() { jq -r 'select(.event == "result" and .result == "PASS") | .elapsed_ms' "$T/$1.json" 2>/dev/null | sort -n | tail -1; }
for i in 1 2 3; do
	srun "scale-bt$i" "$S/profile.ini" 1 $SCALE_OPTS
done
bt=$( (bmax scale-bt1; bmax scale-bt2; bmax scale-bt3) | sort -n | sed -n 2p)
row "board-time, one board alone, median of 3 ($SCALE_OPTS)" "${bt:-?} ms" "" ""
for n in $SCALE_NS; do
	[ $n != 48 ] || [ $HARNESS = umockdev ] || continue
	if [ $n -gt $MAXFIX ]; then
		row "scaling at $n fixtures" "not measured: needs the TCP harness" ">= 0.9" "-"
		continue
	fi
	srun "scale$n" "$S/profile.ini" $n $SCALE_OPTS
	m=$(bmax "scale$n")
	x=$([ -n "$m" ] && [ "$(sget "scale$n" .pass)" = "$n" ] && calc "$n * 1000 / $m" 1 || true)
	f=$([ -n "$x" ] && [ -n "$bt" ] && calc "$x / ($n * 1000 / $bt)" || true)
	row "scaling at $n fixtures: ${x:-?} boards/s ($(sget "scale$n" .pass)/$n PASS; $(cpu_split "scale$n"))" "${f:-?} of N / board-time" ">= 0.9" "$(verdict "$f" ge 0.9)"
done

# --- 5. link efficiency at 115,200 baud ---------------------------------------------------------
# One board alone behind `--line-rate 115200`. The stub counts, per board (its .stats file, read
# with `firmware-stub show`): wire bytes each way, the frame payloads among them, and its own
# compute (time handling what it received, its paced transmission excluded). The bytes that must
# cross are the payloads (framing is the protocol's cost); their raw time is 10 bits per byte
# (8N1). The stub paces only what it transmits, so the wire time of what the station sends it is
# added to the measured exchange (a real UART delays both ways; requests and replies alternate).
# Exchange time = the board's `elapsed_ms` in its result event (HELLO to lock and record).
LINK_BAUD=115200
srun link "$S/profile.ini" 1 --line-rate $LINK_BAUD
lf=$(ls "$T/b-link/"*.flash 2>/dev/null | head -1)
"$BIN/firmware-stub" show --flash "$lf" >"$T/link.show" 2>/dev/null || true
lt=$(jq -r 'select(.event == "result" and .result == "PASS") | .elapsed_ms' "$T/link.json" 2>/dev/null | head -1)
if [ -n "$lt" ] && jq -e .payload_rx "$T/link.show" >/dev/null 2>&1; then
	eval "$(jq -r '"brx=\(.bytes_rx) btx=\(.bytes_tx) prx=\(.payload_rx) ptx=\(.payload_tx) cus=\(.compute_us)"' "$T/link.show")"
	meas=$(calc "$lt + $brx * 10000 / $LINK_BAUD" 1)
	ideal=$(calc "($prx + $ptx) * 10000 / $LINK_BAUD + $cus / 1000" 1)
	x=$(calc "$meas / $ideal")
	row "link at $LINK_BAUD baud: exchange $meas ms vs payload $prx+$ptx B ($(calc "($prx + $ptx) * 10000 / $LINK_BAUD" 1) ms) + board compute $(calc "$cus / 1000" 1) ms; wire $brx+$btx B" "${x}x" "<= 1.25x" "$(verdict "$x" le 1.25)"
else
	row "link at $LINK_BAUD baud" "not measured: no PASS or no byte counts from the stub" "<= 1.25x" "-"
fi

# --- 6. a slow HSM ------------------------------------------------------------------------------
# tests/bench/slow-p11.c in front of SoftHSM2: every signature (C_Sign/C_SignFinal, ECDSA and
# HMAC alike: a network HSM meters operations) rate-limited to SLOW_RATE/s across the signer.
# A board takes 2 (its certificate, its password commitment); checkpoints add theirs, counted
# from the run's checkpoint events. Ideal = SLOW_RATE / (signatures per board).
SLOW_RATE=${SLOW_P11_RATE:-50}
SLOW_N=$([ "$QUICK" = 1 ] && echo 24 || echo $([ $MAXFIX -ge 128 ] && echo 128 || echo 48))
cc -std=c11 -O2 -fPIC -shared -DSLOW_P11_RATE="$SLOW_RATE" $(pkg-config --cflags p11-kit-1) \
	"$top/tests/bench/slow-p11.c" -o "$T/slow-p11.so" -ldl -lpthread
sed -e "s|^module = .*|module = $T/slow-p11.so|" "$S/profile.ini" >"$S/profile-slow.ini"
[ "$(id -u)" != 0 ] || chmod 644 "$S/profile-slow.ini"
srun slow "$S/profile-slow.ini" "$SLOW_N"
x=$(rate slow)
pass=$(sget slow .pass)
ncp=$(jq -s '[.[] | select(.event == "checkpoint" and .ok)] | length' "$T/slow.json" 2>/dev/null || echo 0)
if [ -n "$x" ] && [ "${pass:-0}" -gt 0 ]; then
	spb=$(calc "(2 * $pass + $ncp) / $pass" 3)
	f=$(calc "$x / ($SLOW_RATE / $spb)")
	row "slow HSM ($SLOW_RATE signatures/s), $SLOW_N fixtures: $x boards/s at $spb signatures/board" "$f of the HSM's rate" ">= 0.9" "$(verdict "$f" ge 0.9)"
else
	row "slow HSM ($SLOW_RATE signatures/s), $SLOW_N fixtures" "run failed" ">= 0.9" "MISSED"
fi

# --- 7. memory --------------------------------------------------------------------------------
if [ $MAXFIX -lt 64 ]; then # what the harness allows, from the throughput run: not the target's 64
	row "peak RSS at $FAST_N fixtures (harness cap; the target is at 64)" "station $(calc "$(sget fast1 .rss_kib.station) / 1024" 1) MiB, signer $(calc "$(sget fast1 .rss_kib.signer) / 1024" 1) MiB" "" ""
fi
for n in 64 256; do
	if [ $n -gt $MAXFIX ]; then
		row "peak RSS at $n fixtures" "not measured: needs the TCP harness" "$([ $n = 64 ] && echo '<= 32 MiB' || echo '')" "-"
		continue
	fi
	srun "mem$n" "$S/profile.ini" $n
	a=$(sget "mem$n" .rss_kib.station) b=$(sget "mem$n" .rss_kib.signer)
	for who in station signer; do
		v=$([ $who = station ] && echo "$a" || echo "$b")
		m=$([ -n "$v" ] && calc "$v / 1024" 1 || true)
		row "peak RSS at $n fixtures, $who" "${m:-?} MiB" "$([ $n = 64 ] && echo '<= 32 MiB')" "$([ $n = 64 ] && verdict "$m" le 32 || echo '')"
	done
done

# --- 8. audit (scripts/bench-audit.sh; its machine-readable lines when it prints them) ---------
# shellcheck disable=SC2086
"$top/scripts/bench-audit.sh" $AUDIT_N >"$T/audit" 2>&1 || log "bench: bench-audit.sh failed (see below)"
# the figure only: bench-audit.sh appends its own " MISSED"; the verdict is this table's
aget() { sed -n "s/^$1 \([^ ]*\).*/\1/p" "$T/audit" | head -1; }
v=$(aget audit-merkle-eps)
row "audit: Merkle recomputation" "${v:-not measured} ${v:+entries/s}" ">= 1,000,000/s" "$(verdict "$v" ge 1000000)"
v=$(aget audit-verify-s)
row "audit: full verify of a ${AUDIT_N:-6000000}-entry record" "${v:-not measured}${v:+ s}" "<= 10 s" "$(verdict "$v" le 10)"
v=$(aget audit-verify-rss-mib)
row "audit: its peak RSS" "${v:-not measured}${v:+ MiB}" "<= 256 MiB" "$(verdict "$v" le 256)"
grep -v '^audit-' "$T/audit" | sed 's/^/  bench-audit: /' >&2 || true

# --- the table --------------------------------------------------------------------------------
{
	cat "$T/head"
	echo "harness: $HARNESS"
	echo
	awk -F'\t' '
		{ for (i = 1; i <= 4; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END {
			h[1] = "what"; h[2] = "value"; h[3] = "target"; h[4] = "verdict"
			for (i = 1; i <= 4; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
			printf "| %-*s | %-*s | %-*s | %-*s |\n", w[1], h[1], w[2], h[2], w[3], h[3], w[4], h[4]
			printf "|"; for (i = 1; i <= 4; i++) { s = ""; while (length(s) < w[i] + 2) s = s "-"; printf "%s|", s }; printf "\n"
			for (r = 1; r <= NR; r++)
				printf "| %-*s | %-*s | %-*s | %-*s |\n", w[1], c[r, 1], w[2], c[r, 2], w[3], c[r, 3], w[4], c[r, 4]
		}' "$ROWS"
} >"$OUT/table.md"
echo
sed -n '/^$/,$p' "$OUT/table.md" | sed 1d
echo "(also in $OUT/table.md)"
