#!/bin/sh
# Man pages (issue #13): every page in docs/man/ passes mandoc's lint at warning level and groff
# (man -l's renderer) renders it without a warning; every command of `station --help` is listed
# in station(1) and has its own page (but `version`, which station(1) describes), and every long
# option of a command's --help is in that page, so that pages and programs cannot drift apart.
set -eu
: "${BIN:?BIN must point at the build's bin directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
man=$top/docs/man
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

n=0
for f in "$man"/*.1; do
	out=$(mandoc -Tlint -W warning "$f" 2>&1) || fail "mandoc -Tlint: $out"
	# what `man --warnings -l` runs, without man-db's pipeline around it (4x faster under load)
	out=$(groff -mandoc -Tutf8 -ww -z "$f" 2>&1) || fail "groff -mandoc $f failed: $out"
	[ -z "$out" ] || fail "groff -mandoc (man -l) $f: $out"
	n=$((n + 1))
done
ok "$n pages: no mandoc -Tlint warning or error, groff -mandoc -ww (man -l) renders them cleanly"

# an option NAME (without --) is in page P as `.Fl -NAME`
has_opt() { grep -Eq "(^\.|[[:space:]])Fl -$1([[:space:]]|$)" "$2"; }
opts() { grep -o -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | grep -vx help | sort -u; }

cmds=$("$BIN/station" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || fail "no command found in station --help"
for c in $cmds; do
	grep -q "^\.It Cm $c\( \|$\)" "$man/station.1" || fail "station(1) does not list command $c"
	[ "$c" = version ] && continue
	page=$man/station-$c.1
	[ -f "$page" ] || fail "command $c has no man page docs/man/station-$c.1"
	grep -q "^\.Xr station-$c 1" "$man/station.1" || fail "station(1) has no cross reference to station-$c(1)"
	if [ "$c" = audit ]; then
		help=$(for s in verify export proof check-proof consistency checkpoint; do
			"$BIN/station" audit $s --help 2>&1; done)
	elif [ "$c" = fleet ]; then
		help=$(for s in status verify export; do "$BIN/station" fleet $s --help 2>&1; done)
	else
		help=$("$BIN/station" $c --help 2>&1 || true)
	fi
	for o in $(printf '%s\n' "$help" | opts); do
		has_opt "$o" "$page" || fail "station $c --help has --$o, station-$c.1 does not"
	done
done
ok "every command of station --help ($(echo $cmds | tr ' ' ',')) in station(1) with its page and options"
for o in $("$BIN/station" version --help | opts); do has_opt "$o" "$man/station.1" || fail "station.1: no --$o"; done
for o in $("$BIN/firmware-stub" --help 2>&1 | opts); do
	has_opt "$o" "$man/firmware-stub.1" || fail "firmware-stub --help has --$o, firmware-stub.1 does not"
done
ok "firmware-stub(1) names every option of firmware-stub --help"
