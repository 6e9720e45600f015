#!/bin/sh
# Issue #12: what would make every board fail, or write where it must not, is refused before any
# serial is spent: `station profile check` names each problem with file:line (exit 3); `station
# run` refuses a label directory it could not use (exit 3, no serial allocated); a label file
# that already exists is never written through (the board fails E_LABEL).
. "$(dirname "$0")/lib.sh"
db=$T/station.db
labels=$T/labels
serials() { sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='serial.allocated'"; }

rm -rf "$labels"
mkdir -m 700 "$labels"
out=$("$BIN/station" profile check "$PROFILE") || fail "profile check of the good profile: $out"
[ "$out" = "profile $PROFILE: ok" ] || fail "profile check printed '$out'"
ok "a good profile passes 'station profile check'"

# bad NAME 'KEY = VALUE' REASON: the good profile with KEY's line replaced is refused at that line
bad() {
	key=${2%% =*}
	line=$(grep -n "^$key = " "$PROFILE" | head -1 | cut -d: -f1)
	[ -n "$line" ] || fail "no '$key' in the profile"
	awk -v n="$line" -v v="$2" 'NR == n { print v; next } { print }' "$PROFILE" >"$T/$1.ini"
	rc=0
	"$BIN/station" profile check "$T/$1.ini" >"$T/$1.out" 2>"$T/$1.err" || rc=$?
	[ "$rc" = 3 ] || { cat "$T/$1.err"; fail "$1: profile check exit $rc, expected 3"; }
	grep -qF "$T/$1.ini:$line: $3" "$T/$1.err" || { cat "$T/$1.err"; fail "$1: no '$T/$1.ini:$line: $3'"; }
	! grep -q ": ok" "$T/$1.out" || fail "$1: reported ok"
	# every command refuses it, the signer included (station lot status starts one)
	rc=0
	"$BIN/station" lot status --profile "$T/$1.ini" >/dev/null 2>"$T/$1.lot" || rc=$?
	[ "$rc" = 3 ] || { cat "$T/$1.lot"; fail "$1: lot status exit $rc, expected 3"; }
	ok "$1: refused at line $line"
}
bad unknown-var 'subject_cn = {serail}' "'subject_cn' uses the unknown variable {serail}"
bad unbalanced 'san_uri = urn:x:{serial' "'san_uri' has a '{' without its '}'"
bad prefix-slash 'serial_prefix = ../../PWN-' "'serial_prefix' may hold only letters, digits"
bad prefix-dot 'serial_prefix = TH2.' "'serial_prefix' may hold only letters, digits"
bad prefix-zpl 'serial_prefix = TH2^XA' "'serial_prefix' may hold only letters, digits"
bad prefix-tilde 'serial_prefix = TH2~' "'serial_prefix' may hold only letters, digits"
bad name-zpl 'name = thermo^FS' "'name' may hold only letters, digits"
bad label-dpi 'dpi = 250' "'dpi' must be the printer's resolution: 152, 203, 300 or 600"
bad label-support 'support_end = 2031-02-30' "'support_end' must be the last day of security updates"
bad label-output 'output = tcp:printer' "'output' must be dir, tcp:HOST:PORT"
bad label-url 'report_url = https://x.example/^XA' "'report_url' must be where to report vulnerabilities"

# Issue #13: what only drawing the label tells (a QR code too small for its content, a text off
# the label) is named at its field's line by profile check, and run refuses to start on it.
sed 's/^output = dir$/output = dir\nfield = serial 2 2 3\nfield = password 2 6 3\nfield = qr 50 2 8/' \
	"$PROFILE" >"$T/qr.ini"
line=$(grep -n '^field = qr' "$T/qr.ini" | cut -d: -f1)
rc=0
"$BIN/station" profile check "$T/qr.ini" 2>"$T/qr.err" || rc=$?
[ "$rc" = 3 ] && grep -qF "$T/qr.ini:$line: the QR code has 29 modules" "$T/qr.err" ||
	{ cat "$T/qr.err"; fail "a QR code of 1-dot modules: exit $rc"; }
rc=0
stub 1 "$T/qrrun" -- "$BIN/station" run --profile "$T/qr.ini" >/dev/null 2>"$T/qrrun.err" || rc=$?
[ "$rc" = 3 ] && grep -qF "$T/qr.ini:$line: the QR code" "$T/qrrun.err" ||
	{ cat "$T/qrrun.err"; fail "run with a QR code of 1-dot modules: exit $rc"; }
[ "$(serials)" = 0 ] || fail "run with a bad label layout allocated a serial"
ok "a QR code too small for its content: profile check and run name the field's line (exit 3), no serial spent"

# Two bad keys: each at its own line (inih goes on after the first).
cp "$PROFILE" "$T/extra.ini"
printf '[extra]\nfoo = 1\nbar = 2\n' >>"$T/extra.ini"
n=$(wc -l <"$T/extra.ini")
rc=0
"$BIN/station" profile check "$T/extra.ini" 2>"$T/extra.err" || rc=$?
[ "$rc" = 3 ] || fail "extra: exit $rc"
grep -qxF "$T/extra.ini:$((n - 1)): unknown key 'foo' in section [extra]" "$T/extra.err" &&
	grep -qxF "$T/extra.ini:$n: unknown key 'bar' in section [extra]" "$T/extra.err" ||
	{ cat "$T/extra.err"; fail "extra: wrong line or key"; }
ok "each unknown key is reported at its own line"

# The label directory: group-writable (caught even as root), missing, a file.
chmod 770 "$labels"
rc=0
"$BIN/station" profile check "$PROFILE" 2>"$T/gw.err" || rc=$?
[ "$rc" = 3 ] && grep -q "writable by its group or by everyone" "$T/gw.err" ||
	{ cat "$T/gw.err"; fail "profile check of a group-writable label directory: exit $rc"; }
rc=0
stub 1 "$T/gw" -- "$BIN/station" run --profile "$PROFILE" >"$T/gw.json" 2>"$T/gw.run" || rc=$?
[ "$rc" = 3 ] || { cat "$T/gw.run"; fail "run with a group-writable label directory: exit $rc, expected 3"; }
grep -q "writable by its group or by everyone" "$T/gw.run" || { cat "$T/gw.run"; fail "run: no reason"; }
[ "$(serials)" = 0 ] || fail "run with a bad label directory allocated $(serials) serial(s)"
rmdir "$labels"
: >"$labels"
rc=0
stub 1 "$T/file" -- "$BIN/station" run --profile "$PROFILE" >"$T/file.json" 2>"$T/file.run" || rc=$?
[ "$rc" = 3 ] && grep -q "not a directory" "$T/file.run" ||
	{ cat "$T/file.run"; fail "run with a file as label directory: exit $rc, expected 3"; }
[ "$(serials)" = 0 ] || fail "run with a file as label directory allocated a serial"
ok "station run refuses an unusable label directory (exit 3) and spends no serial"

# A label file planted for the next serials is not overwritten: the board fails E_LABEL.
rm -f "$labels"
mkdir -m 700 "$labels"
i=0
while [ $i -le 20 ]; do
	echo planted >"$labels/$(printf 'TH2-%08d' $i).zpl"
	i=$((i + 1))
done
rc=0
stub 1 "$T/planted" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/planted.json" \
	2>"$T/planted.err" || rc=$?
[ "$rc" = 1 ] || { cat "$T/planted.json" "$T/planted.err"; fail "planted: exit $rc, expected 1"; }
code=$(grep '"event":"result"' "$T/planted.json" | jq -r .code)
[ "$code" = E_LABEL ] || { cat "$T/planted.json"; fail "planted: code $code, expected E_LABEL"; }
[ "$(serials)" = 1 ] || fail "planted: $(serials) serials allocated, expected 1"
for f in "$labels"/*; do
	[ "$(cat "$f")" = planted ] || fail "$f was overwritten"
done
[ "$(ls "$labels" | wc -l)" = 21 ] || fail "a label file was added or removed"
ok "a pre-existing label file is never written through (E_LABEL)"
