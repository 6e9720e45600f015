#!/bin/sh
# Issue #12: a record nobody edits quietly. Edits of the tables derived from the log, made with
# the sqlite3 CLI on a copy (triggers dropped), must each make `station audit verify` exit 7 and
# name the table; --checkpoint takes directories and several files; what verify prints from the
# record is sanitised; unterminated runs are reported; the newest entries deleted with their
# checkpoint rows are found with the checkpoint files and counted; export --since refuses a date
# it cannot read.
. "$(dirname "$0")/lib.sh"
S="$BIN/station"
db=$T/station.db

stub 2 "$T/boards" -- "$S" run --profile "$PROFILE" >"$T/run1.out" 2>"$T/run1.err" ||
	{ cat "$T/run1.out" "$T/run1.err"; fail "run did not pass"; }
"$S" audit verify --db "$db" >"$T/v.out" 2>"$T/v.err" || { cat "$T/v.out" "$T/v.err"; fail "verify of an untouched record"; }
ok "2 boards PASS, the untouched record verifies"
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null

expect() { grep -q -- "$2" "$T/case-$1/err" || { cat "$T/case-$1/err"; fail "$1: stderr lacks '$2'"; }; }

tamper counter "UPDATE counters SET value=value+5"
expect counter "counters row serial:"
ok "an edited counters.value is named"

tamper devlot "UPDATE devices SET lot='LOT-OTHER' WHERE rowid=(SELECT MIN(rowid) FROM devices)"
expect devlot "devices row .*: lot is 'LOT-OTHER' but log entry #"
ok "an edited devices.lot is named"

tamper devfw "UPDATE devices SET fw_digest='00' WHERE rowid=(SELECT MIN(rowid) FROM devices)"
expect devfw "devices row .*: fw_digest is '00' but log entry #"
ok "an edited devices.fw_digest is named"

tamper serprod "UPDATE serials SET product='other' WHERE rowid=(SELECT MIN(rowid) FROM serials)"
expect serprod "serials row .*: product is 'other' but log entry #"
ok "an edited serials.product is named"

tamper certprod "UPDATE certs SET product='other' WHERE rowid=(SELECT MIN(rowid) FROM certs)"
expect certprod "certs row .*: product is 'other' but log entry #"
ok "an edited certs.product is named"

tamper serstatus "UPDATE serials SET status='void' WHERE rowid=(SELECT MIN(rowid) FROM serials)"
expect serstatus "serials row .*: status is 'void' but log entry #"
ok "an edited serials.status is named"

# An escape sequence in an edited serial never reaches the auditor's terminal.
tamper escape "UPDATE serials SET serial='SN'||char(27)||'[2J'||char(27)||']0;pwned'||char(7) WHERE rowid=(SELECT MIN(rowid) FROM serials); UPDATE devices SET serial='DV'||char(27)||'[31m'||char(155)||'2J' WHERE rowid=(SELECT MIN(rowid) FROM devices)"
esc=$(printf '\033')
bel=$(printf '\007')
if grep -q "$esc" "$T/case-escape/err" "$T/case-escape/out" || grep -q "$bel" "$T/case-escape/err" "$T/case-escape/out"; then
	fail "escape: a control byte from the database reached the output"
fi
expect escape "serial"
"$S" audit verify --db "$T/case-escape/station.db" --json >"$T/case-escape/json" 2>&1 || true
grep -q "$esc" "$T/case-escape/json" && fail "escape: ESC in --json output"
LC_ALL=C grep -q "$(printf '\233')" "$T/case-escape/err" && fail "escape: a C1 CSI byte reached the output"
ok "an escape sequence in an edited serial does not reach the output"

# --checkpoint: a directory, several files, and a shell glob (the auditor guide's form).
stub 1 "$T/boards2" -- "$S" run --profile "$PROFILE" >"$T/run2.out" 2>"$T/run2.err" ||
	{ cat "$T/run2.out" "$T/run2.err"; fail "second run did not pass"; }
ncp=$(ls "$T/checkpoints"/*.checkpoint | wc -l)
[ "$ncp" -ge 2 ] || fail "expected two checkpoint files, found $ncp"
stored=$(sqlite3 "$db" 'SELECT COUNT(*) FROM checkpoints')
"$S" audit verify --db "$db" --json --checkpoint "$T/checkpoints" >"$T/vdir.json" 2>&1 || { cat "$T/vdir.json"; fail "--checkpoint DIR"; }
grep -q "\"checkpoints\":$((stored + ncp))," "$T/vdir.json" || { cat "$T/vdir.json"; fail "--checkpoint DIR did not read $ncp files"; }
set -- "$T/checkpoints"/*.checkpoint
"$S" audit verify --db "$db" --json --checkpoint "$1" --checkpoint "$2" >"$T/vtwo.json" 2>&1 || { cat "$T/vtwo.json"; fail "two --checkpoint"; }
grep -q "\"checkpoints\":$((stored + 2))," "$T/vtwo.json" || { cat "$T/vtwo.json"; fail "two --checkpoint files not both read"; }
"$S" audit verify --db "$db" --json --checkpoint "$T/checkpoints"/*.checkpoint >"$T/vglob.json" 2>&1 || { cat "$T/vglob.json"; fail "--checkpoint glob"; }
grep -q "\"checkpoints\":$((stored + ncp))," "$T/vglob.json" || { cat "$T/vglob.json"; fail "--checkpoint glob did not read $ncp files"; }
mkdir -p "$T/cpbad"
sed '2s/^./X/' "$1" >"$T/cpbad/1.checkpoint"
rc=0
"$S" audit verify --db "$db" --checkpoint "$T/cpbad" >/dev/null 2>"$T/vbad.err" || rc=$?
[ "$rc" = 7 ] && grep -q "cpbad/1.checkpoint" "$T/vbad.err" || { cat "$T/vbad.err"; fail "a bad checkpoint in a directory: rc $rc"; }
ok "--checkpoint takes a directory ($ncp files), several files and a shell glob; a bad file in a directory is named"

# Coverage and unterminated runs: a station.start appended with its leaf (as a station that
# died right after starting leaves it) is outside every checkpoint and has no station.stop.
d=$T/case-open
mkdir -p "$d"
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
cp "$db" "$d/station.db"
cp "$T/audit-key.pem" "$T/ca.pem" "$d/"
n=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
sqlite3 -newline '' "$db" "SELECT 'SPLOG1'||char(10)||$n||char(10)||time||char(10)||station||char(10)||operator||char(10)||lot||char(10)||'station.start'||char(10)||''||char(10)||''||char(10)||'{}' FROM log WHERE seq=$((n - 1))" >"$d/entry.bin"
leaf=$({ printf '\000'; cat "$d/entry.bin"; } | sha256sum | cut -c1-64)
sqlite3 "$d/station.db" "INSERT INTO log(seq,time,station,operator,lot,kind,chip_id,serial,body,leaf) SELECT $n,time,station,operator,lot,'station.start','','','{}',X'$leaf' FROM log WHERE seq=$((n - 1))"
"$S" audit verify --db "$d/station.db" >"$d/out" 2>"$d/err" || { cat "$d/out" "$d/err"; fail "open run: verify failed"; }
grep -q "^not covered by a signed checkpoint: 1 of $((n + 1)) entries" "$d/out" || { cat "$d/out"; fail "open run: no coverage line"; }
grep -q "unterminated run: entry #$n (station.start" "$d/err" || { cat "$d/err"; fail "open run: not reported"; }
"$S" audit verify --db "$d/station.db" --json >"$d/json" 2>/dev/null || fail "open run: verify --json"
grep -q '"uncovered":1' "$d/json" && grep -q '"unterminated_runs":1' "$d/json" || { cat "$d/json"; fail "open run: json fields"; }
grep -q "^not covered by a signed checkpoint: 0 of " "$T/v.out" || { cat "$T/v.out"; fail "no coverage line on a sealed record"; }
ok "the entries no checkpoint covers are counted, and a run with no station.stop is named (#$n)"

# Truncation (issue #12): the newest entries deleted together with the checkpoint rows that
# cover them (and the rows those entries wrote) leave a database consistent with itself:
# `verify --db` passes, and must say how many entries no signed checkpoint covers and that it
# saw no checkpoint file. The files written as each checkpoint was signed, kept off the station,
# show the cut: exit 7 (verification failed, docs/auditor-guide.md §8) and how many went.
n=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
last=$(sqlite3 "$db" 'SELECT MAX(size) FROM checkpoints')
cut=$(sqlite3 "$db" "SELECT MAX(size) FROM checkpoints WHERE size<$n")
[ "$last" = "$n" ] && [ -n "$cut" ] && [ -s "$T/checkpoints/$n.checkpoint" ] ||
	fail "truncation: expected stored checkpoints below and at $n (largest $last, below: '$cut')"
# cutsql K: the SQL an insider runs to delete the entries from #K on and every trace of them
cutsql() {
	echo "DROP TRIGGER log_no_delete; DROP TRIGGER checkpoints_no_delete;
	    DELETE FROM log WHERE seq>=$1; DELETE FROM checkpoints WHERE size>$1;
	    DELETE FROM devices WHERE seq>=$1; DELETE FROM certs WHERE seq>=$1;
	    DELETE FROM serials WHERE seq>=$1; DELETE FROM pw_commits WHERE seq>=$1;
	    UPDATE counters SET value=(SELECT COUNT(*)-1 FROM log WHERE kind='serial.allocated')
	    WHERE name LIKE 'serial:%'"
}
outhas() { grep -q -- "$2" "$T/case-$1/out" || { cat "$T/case-$1/out" "$T/case-$1/err"; fail "$1: stdout lacks '$2'"; }; }
nofiles="^no --checkpoint file given: entries deleted from the end of the log together with their checkpoints would not show"

# The whole second run (#$cut..#$((n - 1))), cut at the first run's checkpoint.
tamper cut "$(cutsql "$cut")" 0
outhas cut "^verified: $cut entries"
outhas cut "^not covered by a signed checkpoint: 0 of $cut entries$"
outhas cut "$nofiles"
[ ! -s "$T/case-cut/err" ] || { cat "$T/case-cut/err"; fail "cut: verify --db warned"; }
tamper cut-dir "$(cutsql "$cut")" 7 --checkpoint "$T/checkpoints"
expect cut-dir "^FAILED: the log has $cut entries but checkpoint $T/checkpoints/$n.checkpoint covers $n: entries were removed ($((n - cut)) entries: #$cut..#$((n - 1)))"
outhas cut-dir "^not covered by a signed checkpoint: 0 of $cut entries$"
outhas cut-dir "^removed: $((n - cut)) of the $n entries a signed checkpoint covers$"
grep -q -- "$nofiles" "$T/case-cut-dir/out" && fail "cut-dir: says no checkpoint file was given"
"$S" audit verify --db "$T/case-cut-dir/station.db" --json --checkpoint "$T/checkpoints" >"$T/case-cut-dir/json" 2>/dev/null && fail "cut-dir: --json passed"
for f in '"uncovered":0,' "\"removed\":$((n - cut))," "\"checkpoint_files\":$(ls "$T/checkpoints" | wc -l),"; do
	grep -q "$f" "$T/case-cut-dir/json" || { cat "$T/case-cut-dir/json"; fail "cut-dir: json lacks $f"; }
done
ok "the newest $((n - cut)) entries cut with their checkpoint row: verify --db passes (exit 0, no warning) and says it saw no checkpoint file; with the checkpoint directory: exit 7, '$(sed -n 's/^removed: //p' "$T/case-cut-dir/out")'"

# Only the newest entry (station.stop, which wrote no row), with the checkpoint over it.
[ "$(sqlite3 "$db" "SELECT kind FROM log WHERE seq=$((n - 1))")" = station.stop ] || fail "entry #$((n - 1)) is not station.stop"
tamper cut1 "$(cutsql $((n - 1)))" 0
outhas cut1 "^not covered by a signed checkpoint: $((n - 1 - cut)) of $((n - 1)) entries$"
expect cut1 "^warning: $((n - 1 - cut)) entries (#$cut..#$((n - 2))) are not covered by any signed checkpoint"
expect cut1 "^warning: unterminated run: entry #$(sqlite3 "$db" "SELECT MAX(seq) FROM log WHERE kind='station.start'") (station.start"
tamper cut1-glob "$(cutsql $((n - 1)))" 7 --checkpoint "$T/checkpoints"/*.checkpoint
expect cut1-glob "covers $n: entries were removed (1 entry: #$((n - 1)))"
outhas cut1-glob "^not covered by a signed checkpoint: $((n - 1 - cut)) of $((n - 1)) entries$"
outhas cut1-glob "^removed: 1 of the $n entries a signed checkpoint covers$"
ok "the newest entry cut with its checkpoint row: verify --db counts the $((n - 1 - cut)) entries no checkpoint covers; with the checkpoint files: exit 7, 1 removed"

# export --since/--until: RFC 3339 dates and date-times only.
for bad in yesterday 2026-13-01 2026-02-30 2026-11-01T25:00:00Z 2026-11-01T08:00:00 "2026-11-01 junk" ""; do
	rc=0
	"$S" audit export --format csv --db "$db" --since "$bad" >/dev/null 2>"$T/since.err" || rc=$?
	[ "$rc" = 2 ] && grep -q "is not an RFC 3339 date" "$T/since.err" || { cat "$T/since.err"; fail "export --since '$bad': exit $rc"; }
done
rc=0
"$S" audit export --format csv --db "$db" --until tomorrow >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "export --until tomorrow: exit $rc"
all=$("$S" audit export --format csv --db "$db" | wc -l)
[ "$("$S" audit export --format csv --db "$db" --since 2000-01-01 | wc -l)" = "$all" ] || fail "--since 2000-01-01 dropped entries"
[ "$("$S" audit export --format csv --db "$db" --since 2000-01-01T00:00:00.5+02:00 | wc -l)" = "$all" ] || fail "--since with an offset"
[ "$("$S" audit export --format csv --db "$db" --since 2999-01-01T00:00:00Z | wc -l)" = 1 ] || fail "--since in the future kept entries"
[ "$("$S" audit export --format csv --db "$db" --until 2000-01-01 | wc -l)" = 1 ] || fail "--until 2000-01-01 kept entries"
ok "export --since/--until take RFC 3339 dates and date-times; 'yesterday' and friends are a usage error (exit 2)"

# File modes (issue #12), developer mode, umask 022 (lib.sh): the record (database, -wal, -shm)
# and the signer's own files are 0600; the checkpoint notes and the audit public key are public
# (0644: nothing in them is secret, and they are meant to leave the station). -wal and -shm
# exist while the signer holds the database: a line with no fixture holds it until SIGTERM.
"$S" line --profile "$PROFILE" --json >"$T/modes.json" 2>"$T/modes.err" &
lpid=$!
started=0
wait_file "$T/modes.json" '"event":"start"' && started=1
stat -c '%a %n' "$db" "$db-wal" "$db-shm" "$db.lock" >"$T/modes.live" 2>&1 || :
kill -TERM $lpid
rc=0
wait $lpid || rc=$?
[ $started = 1 ] && [ $rc = 0 ] || { cat "$T/modes.json" "$T/modes.err"; fail "modes: the line did not start, or did not stop on SIGTERM (exit $rc)"; }
for f in "$db" "$db-wal" "$db-shm" "$db.lock"; do
	grep -qx "600 $f" "$T/modes.live" || { cat "$T/modes.live"; fail "modes: $f is not 0600 while the signer runs"; }
done
mode() { [ "$(stat -c %a "$1")" = "$2" ] || fail "modes: $1 is $(stat -c %a "$1"), expected $2"; }
mode "$db" 600
mode "$db.signer-state" 600
mode "$T/checkpoints" 755
for f in "$T/checkpoints"/*.checkpoint "$T/audit-key.pem" "$T/ca.pem"; do mode "$f" 644; done
ok "file modes, developer mode: station.db, -wal, -shm (live), .lock, .signer-state 0600; checkpoints/ 0755, $(ls "$T/checkpoints" | wc -l) checkpoint files, audit-key.pem, ca.pem 0644"
