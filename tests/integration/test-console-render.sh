#!/bin/sh
# The line console (station/line/console.c) as the technician sees it: console-demo draws a
# scripted view (8 fixtures: READY, WORKING at 40 %, PASS, FAIL with its remedy, DONE, NO ADAPTER,
# WORKING, READY) in a tmux pane, and the screen is read back with capture-pane. capture-pane
# drops colour and attributes, so every check here is also a check that the states read without
# colour. The demo runs under setsid (no controlling terminal, so no SIGWINCH, as in the station
# after TIOCNOTTY): a resize is seen only by the console's own size poll. Checked: header fields,
# each tile's title with its state words and marker border, the footer, p/r/h/q and Ctrl-C, a
# resize to 60x20 (one row per fixture, nothing left of the tiles) and back, 16 fixtures in
# 120x40, 8 in 80x24, in the C and C.UTF-8 locales; the errors without a terminal or terminfo
# entry; and no leak under valgrind when it is installed.
set -eu
: "${CONSOLE_DEMO:?CONSOLE_DEMO must point at the console-demo program}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

for t in tmux setsid; do
	command -v $t >/dev/null || { echo "SKIP test-console-render: needs $t"; exit 0; }
done
T=$(mktemp -d /tmp/station-console.XXXXXX)
runs=0
sock=$T/tmux.0
trap 'tmux -S "$sock" kill-server >/dev/null 2>&1 || :; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
tm() { tmux -S "$sock" "$@"; }

# start LOCALE WIDTH HEIGHT [demo args]: the demo in a fresh pane; its exit status lands in $T/rc
start() {
	loc=$1 w=$2 h=$3
	shift 3
	rm -f "$T/rc"
	tm kill-server >/dev/null 2>&1 || :
	runs=$((runs + 1))
	sock=$T/tmux.$runs # a server of its own: the last one may still be going away
	tm new-session -d -s t -x "$w" -y "$h" \
	    "LC_ALL=$loc ${WRAP:-} setsid -w $CONSOLE_DEMO $* 2>$T/err; echo \$? >$T/rc.new; mv $T/rc.new $T/rc; sleep 600"
}
shot() { tm capture-pane -p -t t >"$T/screen"; }
show() { echo "--- screen ($1)"; cat "$T/screen"; echo "---"; }
# wait_for TEXT [TENTHS]: until TEXT is on the screen (default 5 s)
wait_for() {
	i=0
	while :; do
		shot
		grep -qF -- "$1" "$T/screen" && return 0
		i=$((i + 1))
		[ $i -lt "${2:-50}" ] || { show "waiting for '$1'"; fail "'$1' never appeared"; }
		sleep 0.1
	done
}
gone_for() { # until TEXT is no longer on the screen
	i=0
	while :; do
		shot
		grep -qF -- "$1" "$T/screen" || return 0
		i=$((i + 1))
		[ $i -lt 50 ] || { show "waiting for '$1' to go"; fail "'$1' stayed"; }
		sleep 0.1
	done
}
has() { grep -qF -- "$1" "$T/screen" || { show "$2"; fail "$2: '$1' is not on the screen"; }; }
hasnt() { ! grep -qF -- "$1" "$T/screen" || { show "$2"; fail "$2: '$1' is on the screen"; }; }
exit_status() { # the demo's exit status, after it exited (within 5 s)
	i=0
	while [ ! -s "$T/rc" ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "$1: the demo did not exit"
		sleep 0.1
	done
	cat "$T/rc"
}
# in_tile TITLE TEXT: TEXT is inside the tile titled TITLE (ASCII screens only: the line below the
# title, from the tile's left border for the tile's width)
in_tile() {
	awk -v t=" $1 " -v want="$2" '
		found { if (index(substr($0, c, 33), want)) ok = 1; if (++rows >= 8) found = 0 }
		!found && !ok && (p = index($0, t)) { found = 1; c = p - 2; rows = 0 }
		END { exit ok ? 0 : 1 }' "$T/screen" || { show "tile $1"; fail "tile $1 does not say '$2'"; }
}

header_ok() {
	# the footer is the last line drawn: a capture taken in the middle of a redraw (seen once
	# on a loaded machine: the tiles there, the footer not yet) is taken again
	wait_for "h help"
	for s in "station line-1" "product thermostat-v2" "lot LOT-2026-11-22-A" "operator A. Smith" \
	    "PASS 11" "FAIL 1" "DONE 1" "rate 26/h" "quota left 9188" "HSM ok" "checkpoint 14:03:22" \
	    "p pause" "r resume" "q quit" "h help"; do
		has "$s" "$1: header/footer"
	done
}

# 1. 100x30, C locale (ASCII and the terminal's line drawing): 8 tiles, each saying its state.
start C 100 30
wait_for "1-1.8"
header_ok "100x30"
[ "$(grep -c ' 1-1\.[1-8] ' "$T/screen")" -ge 3 ] || { show tiles; fail "tiles are not in a grid"; }
in_tile 1-1.1 "READY - insert a board"
in_tile 1-1.2 "WORKING"
in_tile 1-1.2 "serial TH2-00000012"
in_tile 1-1.2 "step keygen"
in_tile 1-1.2 "] 40% 1"
in_tile 1-1.3 "PASS"
in_tile 1-1.3 "TH2-00000011"
in_tile 1-1.4 "FAIL E_FIRMWARE"
in_tile 1-1.4 "flash the release image"
in_tile 1-1.4 "re-insert"
in_tile 1-1.5 "DONE - already provisioned"
in_tile 1-1.6 "NO ADAPTER"
in_tile 1-1.7 "75%"
in_tile 1-1.8 "READY"
# the monochrome markers: the border of a PASS, FAIL, DONE and NO ADAPTER tile
for m in "## 1-1.3 ###" "!! 1-1.4 !!!" "** 1-1.5 ***" ".. 1-1.6 ..."; do has "$m" "markers"; done
ok "100x30: header, footer and 8 tiles with their state words and border markers"

tm send-keys -t t p
wait_for "*** PAUSED ***"
has "paused by the operator" "pause"
tm send-keys -t t r
gone_for "*** PAUSED ***"
ok "p shows PAUSED in the header, r clears it"

tm send-keys -t t h
wait_for " HELP "
has "pause: boards in the fixtures finish" "help"
has "FAIL   !!!" "help"
tm send-keys -t t h
gone_for " HELP "
ok "h opens and closes the help overlay"

# 2. A resize the demo hears of only by polling: one row per fixture, nothing left of the tiles.
tm resize-window -t t -x 60 -y 20
wait_for "1-1.3    PASS"
for r in "  1-1.1    READY      insert a board" "  1-1.2    WORKING    [####......] 40%" \
    "# 1-1.3    PASS       TH2-00000011" "! 1-1.4    FAIL       E_FIRMWARE flash the release" \
    "* 1-1.5    DONE       already provisioned" ". 1-1.6    NO ADAPTER" "  1-1.8    READY"; do
	has "$r" "60x20 rows"
done
for g in "############" "!!!" "***" "............" "qqq" "lq " "xx"; do hasnt "$g" "60x20: left of the tiles"; done
[ "$(grep -c . "$T/screen")" -le 12 ] || { show "60x20"; fail "60x20: more lines than header, rows and footer"; }
awk 'length($0) > 60 { exit 1 }' "$T/screen" || fail "60x20: a line wider than the window"
has "h help" "60x20 footer"
ok "resized to 60x20 (no SIGWINCH): one readable row per fixture, no garbage"
tm resize-window -t t -x 100 -y 30
wait_for "## 1-1.3 ###"
in_tile 1-1.4 "FAIL E_FIRMWARE"
ok "resized back to 100x30: tiles again"

tm send-keys -t t q
wait_for "*** STOPPING ***"
has "stopping: 2 boards left" "stopping"
rc=$(exit_status q)
[ "$rc" = 42 ] || { cat "$T/err"; fail "q: the demo exited $rc, not 42"; }
ok "q shows STOPPING, then the demo exits 42"

# 3. Other sizes: 8 fixtures in 80x24 and 16 in 120x40 are tiles; Ctrl-C quits (raw mode).
start C 80 24
wait_for "1-1.8"
has "## 1-1.3 #" "80x24"
in_tile 1-1.4 "FAIL E_FIRMWARE"
tm send-keys -t t C-c
rc=$(exit_status Ctrl-C)
[ "$rc" = 42 ] || fail "Ctrl-C: the demo exited $rc, not 42"
ok "80x24: 8 tiles; Ctrl-C arrives as a key and quits"
start C 120 40 --fixtures 16 --linger-ms 0
wait_for "1-2.8"
for f in 1 2 3 4 5 6 7 8; do has " 1-1.$f " "16 tiles"; has " 1-2.$f " "16 tiles"; done
has "## 1-2.3 #" "16 tiles"
in_tile 1-2.4 "FAIL E_FIRMWARE"
tm send-keys -t t q
[ "$(exit_status q16)" = 42 ] || fail "16 fixtures: q"
ok "120x40: 16 tiles"

# 4. A UTF-8 locale: the same words, with the em dash.
start C.UTF-8 100 30 --linger-ms 0
wait_for "1-1.8"
header_ok "UTF-8"
for s in "READY — insert a board" "DONE — already provisioned" "FAIL E_FIRMWARE" "NO ADAPTER" "## 1-1.3 #"; do
	has "$s" "UTF-8"
done
tm send-keys -t t q
[ "$(exit_status utf8)" = 42 ] || fail "UTF-8: q"
ok "C.UTF-8: the same screen with em dashes"

# 5. Errors are reported, not fatal: no terminal; a terminal type terminfo does not know.
rc=0
"$CONSOLE_DEMO" </dev/null >/dev/null 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "needs a terminal, and stdin is not one" "$T/err" || { cat "$T/err"; fail "no tty: rc $rc"; }
WRAP="TERM=no-such-terminal" start C 80 24
rc=$(exit_status "unknown TERM")
[ "$rc" = 2 ] && grep -q "'no-such-terminal' is not in this system's terminfo" "$T/err" ||
	{ cat "$T/err"; fail "unknown TERM: rc $rc"; }
ok "without a terminal, or with an unknown TERM, the console says why and the demo exits 2"

# 6. No leak beyond ncurses' own still-reachable memory (skipped in sanitizer builds).
if command -v valgrind >/dev/null && ! grep -q __asan_init "$CONSOLE_DEMO"; then
	WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
	    --log-file=$T/vg" start C 100 30 --linger-ms 200
	wait_for "1-1.8" 300
	tm send-keys -t t h
	wait_for " HELP " 100
	tm send-keys -t t Escape
	gone_for " HELP "
	tm resize-window -t t -x 60 -y 20
	wait_for "1-1.3    PASS" 100
	tm send-keys -t t q
	i=0
	while [ ! -s "$T/rc" ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
	rc=$(cat "$T/rc" 2>/dev/null || echo none)
	[ "$rc" = 42 ] || { cat "$T/vg" "$T/err"; fail "valgrind: exited $rc (9: a leak or memory error)"; }
	ok "valgrind: no leak, no memory error"
else
	echo "  skip: valgrind (not installed, or a sanitizer build)"
fi
