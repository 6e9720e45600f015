#!/bin/sh
# bench-audit.sh [N]: audit verification speed (tests/bench/bench-audit.c) against the release
# libraries: Merkle root over 1,000,000 leaf hashes, hashing + root of 1,000,000 entries, and the
# whole `verify` of an N-entry (default 100,000) synthetic log; then a checkpoint of that log
# signed through SoftHSM2 and the write-lock wait of an append during it. Part of `make bench`.
set -eu
cd "$(dirname "$0")/.."
B=build/release
[ -f $B/libstation.a ] || { echo "bench-audit: run 'make all' first" >&2; exit 2; }
PKGS="openssl sqlite3 libserialport libusb-1.0 inih jansson"
dir=$(mktemp -d /tmp/bench-audit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE $(for d in station/*/ hsm/*/; do printf -- "-I%s " "${d%/}"; done) \
	-Ifirmware-stub/core $(pkg-config --cflags $PKGS) tests/bench/bench-audit.c $B/libhsm.a $B/libstation.a \
	$B/libcommon.a $B/libcore.a \
	$(pkg-config --libs $PKGS) -lpthread -ldl -o "$dir/bench-audit"
"$dir/bench-audit" "$dir" "${1:-100000}"

# The signer's checkpoint over that log, through SoftHSM2: total time, and how long an append
# waits for the write lock meanwhile (the tree is built on a read snapshot; only the insert
# locks). Appends are what the station's workers do between boards.
BIN=${BIN:-$PWD/build/bin}
# The cost of a checkpoint, not the boundary: as root, keep one uid (the directory is root's).
export STATION_MODE=developer
sed -e 's/^id = .*/id = bench-1/' scripts/demo-profile.ini >"$dir/profile.ini"
scripts/hsm-setup.sh "$dir" >/dev/null
export SOFTHSM2_CONF="$dir/softhsm2.conf"
"$BIN/station" ca init --profile "$dir/profile.ini" >/dev/null 2>&1
n=$(sqlite3 "$dir/station.db" 'SELECT COUNT(*) FROM log')
t0=$(date +%s.%N)
"$BIN/station" audit checkpoint --profile "$dir/profile.ini" >/dev/null 2>"$dir/cp.err" &
cp=$!
sleep 0.2
w0=$(date +%s.%N)
sqlite3 -cmd ".timeout 60000" "$dir/station.db" "BEGIN IMMEDIATE; COMMIT;"
w1=$(date +%s.%N)
wait $cp || { cat "$dir/cp.err"; echo "bench-audit: checkpoint failed" >&2; exit 1; }
t1=$(date +%s.%N)
awk -v n="$n" -v t0="$t0" -v t1="$t1" -v w0="$w0" -v w1="$w1" 'BEGIN { printf "checkpoint of a %d-entry log: %.2f s; an append 0.2 s into it waited %.3f s for the write lock\n", n, t1 - t0, w1 - w0 }'
