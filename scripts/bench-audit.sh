#!/bin/sh
# bench-audit.sh [N]: audit verification speed and memory (tests/bench/bench-audit.c) against the
# release build. Part of `make bench`.
#   1. Merkle: the root over 1,000,000 given leaf hashes; hashing 1,000,000 entries + root.
#   2. A synthetic but valid record of N entries (default $BENCH_AUDIT_ENTRIES, else 6,000,000:
#      a one-million-device record at six entries per board, with its serials, pw_commits,
#      devices and counters rows; no certificates, see docs/auditor-guide.md §8), then the
#      whole `station audit verify --db` of it under /usr/bin/time: seconds, peak RSS, and the
#      Merkle part (leaf hashing + tree) in entries/s.
#   3. A checkpoint of a 1,000,000-entry record signed through SoftHSM2, and the write-lock wait
#      of an append during it.
# Set BENCH_AUDIT_DIR to keep the generated record there and reuse it (a 6,000,000-entry record
# is 2.4 GB and takes a few minutes to write). Besides the text, three lines for the `make bench`
# table, on stdout:
#   audit-merkle-eps <entries/s>   (target >= 1000000)
#   audit-verify-s <seconds>       (target <= 10)
#   audit-verify-rss-mib <MiB>     (target <= 256)
# A target missed prints MISSED after the figure (the script still exits 0: a benchmark, not a
# test).
set -eu
cd "$(dirname "$0")/.."
B=build/release
BIN=${BIN:-$PWD/build/bin}
[ -f $B/libstation.a ] && [ -x "$BIN/station" ] || { echo "bench-audit: run 'make all' first" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-audit: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
N=${1:-${BENCH_AUDIT_ENTRIES:-6000000}}
PKGS="openssl sqlite3 libserialport libusb-1.0 inih jansson"
dir=$(mktemp -d /tmp/bench-audit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE $(for d in station/*/ hsm/*/; do printf -- "-I%s " "${d%/}"; done) \
	-Ifirmware-stub/core $(pkg-config --cflags $PKGS) tests/bench/bench-audit.c $B/libhsm.a $B/libstation.a \
	$B/libcommon.a $B/libcore.a \
	$(pkg-config --libs $PKGS) -lpthread -ldl -o "$dir/bench-audit"
"$dir/bench-audit" merkle

rec=${BENCH_AUDIT_DIR:-$dir/record}
mkdir -p "$rec"
if [ "$(cat "$rec/entries" 2>/dev/null)" != "$N" ] || [ ! -f "$rec/station.db" ]; then
	rm -f "$rec/entries" "$rec/station.db" "$rec/station.db-wal" "$rec/station.db-shm"
	"$dir/bench-audit" gen "$rec" "$N"
	sqlite3 "$rec/station.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	echo "$N" >"$rec/entries"
else
	echo "reusing the $N-entry record in $rec"
fi
/usr/bin/time -f '%e %M' -o "$dir/time" "$BIN/station" audit verify --db "$rec/station.db" --json \
	>"$dir/verify.json" 2>"$dir/verify.err" || { cat "$dir/verify.err"; echo "bench-audit: verify failed" >&2; exit 1; }
read -r secs kib <"$dir/time"
merkle=$(jq -r '.merkle_seconds' "$dir/verify.json")
entries=$(jq -r '.entries' "$dir/verify.json")
awk -v n="$entries" -v s="$secs" -v k="$kib" -v m="$merkle" 'BEGIN {
	eps = m > 0 ? n / m : 0; rss = k / 1024
	printf "station audit verify of a %d-entry record: %.2f s (%.0f entries/s), peak RSS %.1f MiB; Merkle part %.3f s\n", n, s, n / s, rss, m
	printf "audit-merkle-eps %.0f%s\n", eps, (eps >= 1000000 ? "" : " MISSED")
	printf "  target >= 1000000 entries/s (leaf hashing + tree, inside verify)\n"
	printf "audit-verify-s %.2f%s\n", s, (s <= 10 ? "" : " MISSED")
	printf "  target <= 10 s\n"
	printf "audit-verify-rss-mib %.1f%s\n", rss, (rss <= 256 ? "" : " MISSED")
	printf "  target <= 256 MiB\n"
}'

# The signer's checkpoint over a 1,000,000-entry log, through SoftHSM2: total time, and how long
# an append waits for the write lock meanwhile (the tree is built on a read snapshot; only the
# insert locks). Appends are what the station's workers do between boards.
# The cost of a checkpoint, not the boundary: as root, keep one uid (the directory is root's).
export STATION_MODE=developer
"$dir/bench-audit" gen "$dir" 1000000 >/dev/null
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
