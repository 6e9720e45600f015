#!/bin/sh
# fuzz.sh: build every libFuzzer target tests/fuzz/fuzz-*.c with clang and run each for
# FUZZ_SECONDS (default 60) on a copy of its seed corpus.
#
#   scripts/fuzz.sh            all targets
#   scripts/fuzz.sh frame      only tests/fuzz/fuzz-frame.c (also accepts "fuzz-frame")
#
# A target links firmware-stub/core/*.c plus the library sources of station/*/ and hsm/*/ (every file
# but the program entry points), through an archive so it pulls in only what it uses. Output goes
# to build/fuzz/: the binaries, the working corpora build/fuzz/corpus-<name> (seeded from
# tests/fuzz/corpus/<name>; new inputs found stay there, copy the useful ones back by hand) and
# crash files build/fuzz/fuzz-<name>-crash-*. Exits non-zero when a build fails or a target
# finds a crash; every crash found must become a file under tests/fuzz/corpus/<name>/.
# FUZZ_BUILD_ONLY=1 builds the targets and runs none (tests/campaign/fuzz.sh runs them by CPU time).
set -eu

cd "$(dirname "$0")/.."

CC=${FUZZ_CC:-clang}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
OUT=build/fuzz
# the Makefile's PKGS: a library file left out for want of a header fails its target's link
PKGS="openssl sqlite3 libserialport libusb-1.0 inih jansson libseccomp ncursesw cairo cairo-ft freetype2 libqrencode libpq"

case "$SECONDS_PER_TARGET" in
''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;;
esac
command -v "$CC" >/dev/null 2>&1 || { echo "fuzz: $CC not found (install clang)" >&2; exit 2; }

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# shellcheck disable=SC2086
PKG_CFLAGS="$(pkg-config --cflags $PKGS 2>/dev/null || true) $(pkg-config --cflags p11-kit-1 2>/dev/null || true)"
# shellcheck disable=SC2086
PKG_LIBS="$(pkg-config --libs $PKGS 2>/dev/null || true)"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Ifirmware-stub/core $(for d in station/*/ hsm/*/; do printf -- "-I%s " "${d%/}"; done) $PKG_CFLAGS"

targets=""
if [ $# -gt 0 ]; then
	name=${1#fuzz-}
	name=${name%.c}
	[ -f "tests/fuzz/fuzz-$name.c" ] || { echo "fuzz: no target tests/fuzz/fuzz-$name.c" >&2; exit 2; }
	targets="tests/fuzz/fuzz-$name.c"
else
	targets=$(ls tests/fuzz/fuzz-*.c 2>/dev/null || true)
fi
[ -n "$targets" ] || { echo "fuzz: no tests/fuzz/fuzz-*.c" >&2; exit 2; }

mkdir -p "$OUT/obj"

# Library sources, compiled once with coverage instrumentation (fuzzer-no-link). A file that
# does not compile is reported and left out: a target that needs it then fails to link, loudly,
# while the others still run.
rm -f "$OUT/libfuzzdeps.a"
libsrc=""
for f in firmware-stub/core/*.c station/*/*.c hsm/*/*.c; do
	[ -f "$f" ] || continue
	case "$f" in
	station/cli/*|hsm/signer/signer-main.c) continue ;;
	esac
	libsrc="$libsrc $f"
done
objs=""
for f in $libsrc; do
	o="$OUT/obj/$(echo "$f" | tr '/' '_' | sed 's/\.c$/.o/')"
	# shellcheck disable=SC2086
	if $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$f" -o "$o" 2>"$o.log"; then
		objs="$objs $o"
	else
		echo "fuzz: warning: $f does not compile, left out (see $o.log)" >&2
	fi
done
# shellcheck disable=SC2086
ar rcs "$OUT/libfuzzdeps.a" $objs

# Artifacts libFuzzer left for target $1 (crash, leak, timeout, out-of-memory inputs).
artifacts() {
	for a in "$OUT/$1"-crash-* "$OUT/$1"-leak-* "$OUT/$1"-timeout-* "$OUT/$1"-oom-*; do
		[ -e "$a" ] && echo "$a"
	done
	return 0
}

status=0
summary=""
for src in $targets; do
	t=$(basename "$src" .c)   # fuzz-frame
	name=${t#fuzz-}           # frame
	echo "fuzz: building $t"
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS $SAN -fsanitize=fuzzer "$src" "$OUT/libfuzzdeps.a" $PKG_LIBS -ldl -lpthread \
	    -o "$OUT/$t"; then
		echo "fuzz: $t: build failed" >&2
		status=1
		summary="$summary
  $t: BUILD FAILED"
		continue
	fi
	if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then
		summary="$summary
  $t: built"
		continue
	fi
	corpus="$OUT/corpus-$name"
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -p "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	else
		echo "fuzz: warning: no seed corpus tests/fuzz/corpus/$name" >&2
	fi
	before=$(artifacts "$t" | wc -l)
	echo "fuzz: running $t for ${SECONDS_PER_TARGET}s on $corpus"
	rc=0
	"./$OUT/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$OUT/$t-" "$corpus" >"$OUT/$t.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -n 1)
	after=$(artifacts "$t" | wc -l)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		status=1
		echo "fuzz: $t FAILED (exit $rc); artifacts:" >&2
		artifacts "$t" | sed 's|^|  |' >&2
		grep -m 20 'ERROR\|SUMMARY\|runtime error\|==ABORTING\|deadly signal' "$OUT/$t.log" >&2 || true
		summary="$summary
  $t: FAILED, ${execs:-?} execs (log $OUT/$t.log)"
	else
		summary="$summary
  $t: ok, ${execs:-?} execs, corpus $(find "$corpus" -type f | wc -l) files"
	fi
done

echo "fuzz: summary:$summary"
exit $status
