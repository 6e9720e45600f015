#!/bin/sh
# bench-audit.sh [N]: audit verification speed (tests/bench/bench-audit.c) against the release
# libraries: Merkle root over 1,000,000 leaf hashes, hashing + root of 1,000,000 entries, and the
# whole `verify` of an N-entry (default 100,000) synthetic log. Run `make all` first.
set -eu
cd "$(dirname "$0")/.."
B=build/release
[ -f $B/libstation.a ] || { echo "bench-audit: run 'make all' first" >&2; exit 2; }
PKGS="openssl sqlite3 libserialport inih jansson"
dir=$(mktemp -d /tmp/bench-audit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Istation -Ihsm -Ifirmware-stub/core \
	$(pkg-config --cflags $PKGS) tests/bench/bench-audit.c $B/libstation.a $B/libcore.a \
	$(pkg-config --libs $PKGS) -lpthread -ldl -o "$dir/bench-audit"
"$dir/bench-audit" "$dir" "${1:-100000}"
