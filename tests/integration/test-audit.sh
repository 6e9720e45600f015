#!/bin/sh
# Audit record tamper evidence, end to end: real signer (SoftHSM2), real database, the station's
# own checkpoints; then every kind of edit an insider could make with the sqlite3 CLI or a hex
# editor, each of which `station audit verify` must catch and name. Also bundles verified with no
# HSM, inclusion proofs and consistency proofs, and their altered forms.
. "$(dirname "$0")/lib.sh"
S="$BIN/station"
db=$T/station.db

stub 3 "$T/boards" -- "$S" run --profile "$PROFILE" --json >"$T/run1.json" 2>"$T/run1.err" ||
	{ cat "$T/run1.json" "$T/run1.err"; fail "first run did not pass"; }
grep -q '"event":"checkpoint"' "$T/run1.json" || { cat "$T/run1.json" "$T/run1.err"; fail "no checkpoint event"; }
s1=$(sqlite3 "$db" 'SELECT MAX(size) FROM checkpoints')
[ "$s1" = "$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')" ] || fail "checkpoint $s1 does not cover the whole log"
[ -s "$T/checkpoints/$s1.checkpoint" ] && [ -s "$T/audit-key.pem" ] || fail "checkpoint file or audit-key.pem missing"
ok "3 boards PASS, checkpoint of size $s1 signed after station.stop"

# A second run gives a second checkpoint, so an edit can be localised between the two.
stub 1 "$T/boards2" -- "$S" run --profile "$PROFILE" >"$T/run2.out" 2>"$T/run2.err" ||
	{ cat "$T/run2.out" "$T/run2.err"; fail "second run did not pass"; }
grep -q "^record sealed: checkpoint signed over " "$T/run2.out" || { cat "$T/run2.out"; fail "no checkpoint line in text mode"; }
"$S" audit checkpoint --profile "$PROFILE" >"$T/cp.out" 2>&1 || { cat "$T/cp.out"; fail "audit checkpoint"; }
head -1 "$T/cp.out" | grep -q '^station/' || { cat "$T/cp.out"; fail "audit checkpoint printed no note"; }
s2=$(sqlite3 "$db" 'SELECT MAX(size) FROM checkpoints')
n=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
[ "$s2" = "$n" ] && [ "$s2" -gt "$s1" ] || fail "second checkpoint $s2 (log $n, first $s1)"
"$S" audit verify --db "$db" >"$T/v.out" 2>"$T/v.err" || { cat "$T/v.out" "$T/v.err"; fail "verify of an untouched record"; }
"$S" audit verify --db "$db" --json --checkpoint "$T/checkpoints/$s1.checkpoint" >"$T/v.json" 2>&1 ||
	{ cat "$T/v.json"; fail "verify --json --checkpoint"; }
grep -q '"verified":true' "$T/v.json" || fail "json verify"
ok "verify passes on the untouched record ($n entries, checkpoints $s1 and $s2)"

sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
expect() { grep -q -- "$2" "$T/case-$1/err" || { cat "$T/case-$1/err"; fail "$1: stderr lacks '$2'"; }; }

c=$(sqlite3 "$db" "SELECT MIN(seq) FROM log WHERE kind='cert.issued'")
tamper body "DROP TRIGGER log_no_update; UPDATE log SET operator='mallory' WHERE seq=$c"
expect body "entry #$c (cert.issued"
expect body "edited after it was written"
ok "an edited entry is named (#$c)"

# Body and leaf rewritten together: only the checkpoints can tell, and they localise it.
e=$((s1 + 1))
set -- $(sqlite3 -separator ' ' "$db" "SELECT seq FROM log WHERE seq=$e")
sqlite3 -newline '' "$db" "SELECT 'SPLOG1'||char(10)||seq||char(10)||time||char(10)||station||char(10)||'mallory'||char(10)||lot||char(10)||kind||char(10)||chip_id||char(10)||serial||char(10)||body FROM log WHERE seq=$e" >"$T/entry.bin"
leaf=$({ printf '\000'; cat "$T/entry.bin"; } | sha256sum | cut -c1-64)
tamper leaf "DROP TRIGGER log_no_update; UPDATE log SET operator='mallory', leaf=X'$leaf' WHERE seq=$e"
expect leaf "an entry in #$s1..#$((s2 - 1)) was altered"
ok "an entry rewritten with its leaf is localised to #$s1..#$((s2 - 1)) by the checkpoints"

tamper delete "DROP TRIGGER log_no_delete; DELETE FROM log WHERE seq=$c"
expect delete "entry #$c is missing"
ok "a deleted entry is named"

tamper swap "DROP TRIGGER log_no_update; UPDATE log SET seq=-1 WHERE seq=$c; UPDATE log SET seq=$c WHERE seq=$((c + 1)); UPDATE log SET seq=$((c + 1)) WHERE seq=-1"
expect swap "entry #$c "
ok "two swapped entries are named"

tamper truncate "DROP TRIGGER log_no_delete; DELETE FROM log WHERE seq>=$((n - 3))"
expect truncate "the log has $((n - 3)) entries but checkpoint .* covers $n: entries were removed"
ok "truncation is detected"

tamper certder "UPDATE certs SET der=substr(der,1,150)||X'5A'||substr(der,152) WHERE rowid=(SELECT MIN(rowid) FROM certs)"
expect certder "certificate"
ok "an edited certificate row is detected"

tamper dupserial "CREATE TABLE d2 AS SELECT * FROM devices; DROP TABLE devices; ALTER TABLE d2 RENAME TO devices; INSERT INTO devices SELECT * FROM devices LIMIT 1"
expect dupserial "appears twice"
ok "a duplicated device/serial is detected although the schema's UNIQUE was removed"

tamper orphan "DROP TRIGGER log_no_delete; DELETE FROM log WHERE seq=(SELECT MIN(seq) FROM log WHERE kind='password.committed')"
expect orphan "missing"
ok "a removed password entry is detected"

# Raw byte edits of the file, inside the log table's own pages (the same bytes also sit in the
# log_kind_lot index, whose edit changes no entry): fail cleanly (1 or 3), never crash.
psz=$(sqlite3 "$db" 'PRAGMA page_size')
logpages=" $(sqlite3 "$db" "SELECT pageno FROM dbstat WHERE name='log'" | tr '\n' ' ') "
i=0
for pat in profile_sha256 cert.issued serial.allocated station.stop; do
	off=
	for o in $(grep -boa "$pat" "$db" | cut -d: -f1); do
		case "$logpages" in *" $((o / psz + 1)) "*) off=$o; break ;; esac
	done
	[ -n "$off" ] || continue
	d=$T/raw-$i
	mkdir -p "$d"
	cp "$db" "$d/station.db"
	cp "$T/audit-key.pem" "$T/ca.pem" "$d/"
	printf 'X' | dd of="$d/station.db" bs=1 seek=$((off + 2)) conv=notrunc 2>/dev/null
	rc=0
	"$S" audit verify --db "$d/station.db" >"$d/out" 2>"$d/err" || rc=$?
	[ "$rc" = 7 ] || [ "$rc" = 5 ] || { cat "$d/err"; fail "raw edit of '$pat': verify exited $rc"; }
	i=$((i + 1))
done
[ $i -eq 4 ] || fail "only $i of 4 raw edits found their pattern in a log page"
ok "$i raw byte edits of the database file fail cleanly"

# Bundle: verified with no HSM at all.
"$S" audit export --format bundle --db "$db" --out "$T/bundle.json" 2>"$T/exp.err" || { cat "$T/exp.err"; fail "export bundle"; }
mkdir -p "$T/nohsm"
SOFTHSM2_CONF=$T/nohsm/none.conf "$S" audit verify --bundle "$T/bundle.json" >"$T/vb.out" 2>&1 ||
	{ cat "$T/vb.out"; fail "bundle does not verify without the HSM"; }
sed 's/"operator": "demo-operator"/"operator": "mallory"/' "$T/bundle.json" >"$T/bundle-bad.json"
rc=0
"$S" audit verify --bundle "$T/bundle-bad.json" >/dev/null 2>"$T/vbb.err" || rc=$?
[ "$rc" = 7 ] && grep -q "edited after it was written" "$T/vbb.err" || { cat "$T/vbb.err"; fail "tampered bundle: rc $rc"; }
"$S" audit export --format csv --db "$db" --lot LOT-DEMO-1 --out "$T/log.csv" || fail "export csv"
[ "$(head -1 "$T/log.csv" | tr -d '\r')" = "seq,time,station,operator,lot,kind,chip_id,serial,body,leaf" ] || fail "csv header"
"$S" audit export --format json --db "$db" >"$T/log.json" || fail "export json"
ok "bundle verifies without an HSM; an edited bundle does not; CSV and JSON export"

# Inclusion proofs for one device.
serial=$(sqlite3 "$db" "SELECT serial FROM devices LIMIT 1")
mkdir -p "$T/proofs"
"$S" audit proof --serial "$serial" --db "$db" --out "$T/proofs" >"$T/proofs.lst" 2>"$T/proofs.err" ||
	{ cat "$T/proofs.err"; fail "audit proof"; }
[ "$(wc -l <"$T/proofs.lst")" -ge 4 ] || fail "expected at least 4 entries for $serial"
cp "$T/audit-key.pem" "$T/proofs/"
for p in $(cat "$T/proofs.lst"); do
	"$S" audit check-proof "$p" >/dev/null 2>&1 || fail "proof $p does not verify"
done
p=$(head -1 "$T/proofs.lst")
# One hash altered (the first path line, line 4), then the checkpoint's root altered.
awk 'NR==4{ $0 = (substr($0,1,1)=="A" ? "B" : "A") substr($0,2) } {print}' "$p" >"$T/proofs/bad1.tlog-proof"
rc=0; "$S" audit check-proof "$T/proofs/bad1.tlog-proof" >/dev/null 2>&1 || rc=$?
[ "$rc" = 7 ] || fail "a proof with an altered hash verified (rc $rc)"
hl=$(awk 'NF==0{print NR+3; exit}' "$p")
awk -v L="$hl" 'NR==L{ $0 = (substr($0,1,1)=="A" ? "B" : "A") substr($0,2) } {print}' "$p" >"$T/proofs/bad2.tlog-proof"
rc=0; "$S" audit check-proof "$T/proofs/bad2.tlog-proof" >/dev/null 2>&1 || rc=$?
[ "$rc" = 7 ] || fail "a proof with an altered checkpoint verified (rc $rc)"
ok "inclusion proofs verify offline; altered hash or checkpoint fails"

"$S" audit consistency "$T/checkpoints/$s1.checkpoint" "$T/checkpoints/$s2.checkpoint" >"$T/cons.out" 2>&1 ||
	{ cat "$T/cons.out"; fail "consistency proof"; }
grep -q "^verified" "$T/cons.out" || fail "consistency output"
# the root's first character changed (A<->B; a root starting with "A" made the old sed a no-op
# one run in 64)
awk 'NR==3{ $0 = (substr($0,1,1)=="A" ? "B" : "A") substr($0,2) } {print}' \
	"$T/checkpoints/$s2.checkpoint" >"$T/bad.checkpoint"
cmp -s "$T/bad.checkpoint" "$T/checkpoints/$s2.checkpoint" && fail "test did not alter the checkpoint"
rc=0; "$S" audit consistency --db "$db" "$T/checkpoints/$s1.checkpoint" "$T/bad.checkpoint" >/dev/null 2>&1 || rc=$?
[ "$rc" = 7 ] || fail "consistency with an altered checkpoint passed (rc $rc)"
rc=0; "$S" audit verify --db "$db" --checkpoint "$T/bad.checkpoint" >/dev/null 2>"$T/vbad.err" || rc=$?
[ "$rc" = 7 ] || fail "verify accepted an altered checkpoint file"
ok "consistency proof between the two checkpoints verifies; an altered checkpoint fails"

# The signer refuses to sign over a log whose leaf column disagrees with its rows.
cp "$db" "$T/db.bak"
sqlite3 "$db" "DROP TRIGGER log_no_update; UPDATE log SET operator='mallory' WHERE seq=$c"
rc=0; "$S" audit checkpoint --profile "$PROFILE" >"$T/cp2.out" 2>&1 || rc=$?
[ "$rc" = 4 ] && grep -q "entry #$c" "$T/cp2.out" || { cat "$T/cp2.out"; fail "signer signed an edited log (rc $rc)"; }
ok "the signer refuses to checkpoint an edited log"

# ... and a truncated one: a checkpoint larger than the log was signed before.
cp "$T/db.bak" "$db"
rm -f "$db-wal" "$db-shm"
sqlite3 "$db" "DROP TRIGGER log_no_delete; DELETE FROM log WHERE seq>=(SELECT MAX(seq)-2 FROM log)"
rc=0; "$S" audit checkpoint --profile "$PROFILE" >"$T/cp3.out" 2>&1 || rc=$?
[ "$rc" = 4 ] && grep -q "entries were removed" "$T/cp3.out" || { cat "$T/cp3.out"; fail "signer signed a truncated log (rc $rc)"; }
ok "the signer refuses to checkpoint a truncated log: $(grep -m1 -o 'the log has.*removed' "$T/cp3.out")"

for sub in verify export proof check-proof consistency checkpoint; do
	"$S" audit $sub --help >/dev/null || fail "audit $sub --help"
done
rc=0; "$S" audit verify >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "usage error should exit 2"
rc=0; "$S" audit verify --db "$T/none/x.db" >/dev/null 2>&1 || rc=$?
[ "$rc" = 5 ] || fail "unreadable input should exit 5, got $rc"
echo "PASS test-audit"
