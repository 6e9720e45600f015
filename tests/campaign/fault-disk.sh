#!/bin/sh
# Fault (issue #12): the disk is full. The database, its WAL, the signer's state file and the
# checkpoint files live on a small tmpfs (root only: the script says so and stops otherwise),
# which a file then fills to the last byte.
#   start   full when the station starts: exit 4 before any board; stderr says what to do:
#           "the file system that holds the database is full" (SQLite's own text is "disk I/O
#           error" when the WAL or -shm file cannot grow, "database or disk is full" otherwise);
#   mid     filled during a run of boards at 2400 baud: a board whose write fails ends FAIL
#           E_DB ("... audit database"); a result that could not be recorded makes the run exit
#           5 saying "could not be recorded", and its attempt is recorded void at the next start
#           (crash.recovered); with every result recorded the exit is 1.
#   batch   filled with 16 boards in flight, so that the signer's group commits (issue #14) meet
#           the full disk: every board PASS or E_DB, a lost group commit refuses the rest.
# Each: nothing lost; with the space freed the same boards run again to PASS. FAULT_QUICK=1
# runs only the start case (make test).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-faults.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP fault-disk: needs root to mount a small tmpfs"; exit 0; }
M=$T/dbfs
mkdir -p "$M"
mount -t tmpfs -o size=8m,mode=0700 station-campaign "$M" || fail "cannot mount a tmpfs on $M"
# on failure the tmpfs is copied out before it is unmounted
trap 'if [ -n "${KEEP:-}" ]; then cp -a "$M" "$T/dbfs-copy" 2>/dev/null; fi; umount "$M" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
mv "$T"/station.db* "$T/checkpoints" "$T/audit-key.pem" "$M"/
cp "$T/ca.pem" "$M"/
sed -i "s|^database = .*|database = $M/station.db|" "$PROFILE"
db=$M/station.db
fill() { dd if=/dev/zero of="$M/filler" bs=4k >/dev/null 2>&1 || true; }
unfill() { rm -f "$M/filler"; }
run warm 1
[ "$rc" = 0 ] || { show_run warm; fail "warm-up run on the tmpfs: exit $rc"; }

# start: full when the station starts
fill
run start 2
unfill
[ "$rc" = 4 ] || { show_run start; fail "start: exit $rc, expected 4"; }
grep -q 'file system that holds the database is full' "$T/start.err" ||
	{ show_run start; fail "start: stderr does not say 'the file system that holds the database is full'"; }
[ -z "$(results start)" ] || fail "start: a board was started on a full disk"
ok "start: exit 4: $(grep -m1 'database is full' "$T/start.err" | cut -c1-110)..."
figure disk_start_message "$(grep -m1 'database is full' "$T/start.err" | cut -c1-240)"
nothing_lost start
recovers start 2
if [ -n "${FAULT_QUICK:-}" ]; then
	echo "PASS fault-disk (quick)"
	exit 0
fi

# mid: filled during a run
start_run mid 3 --line-rate 2400
sleep 0.3
fill
[ -z "$(results mid)" ] || { end_run; unfill; fail "mid: a board finished before the disk was full"; }
end_run
unfill
mid_rc=$rc
f=$(results mid | grep -c '"code":"E_DB"' || true)
p=$(results mid | grep -c '"result":"PASS"' || true)
[ $((f + p)) = 3 ] || { show_run mid; fail "mid: $f E_DB + $p PASS of 3 boards"; }
[ "$f" -gt 0 ] || { show_run mid; fail "mid: the full disk failed no board"; }
unrec=$(results mid | grep -c '"recorded":false' || true)
if [ "$unrec" -gt 0 ]; then
	[ "$rc" = 5 ] && grep -q 'could not be recorded' "$T/mid.err" ||
		{ show_run mid; fail "mid: $unrec result(s) not recorded: exit $rc (expected 5) or no 'could not be recorded'"; }
else
	[ "$rc" = 1 ] || { show_run mid; fail "mid: exit $rc, expected 1"; }
fi
results mid | grep '"code":"E_DB"' | jq -r .reason | grep -qv 'audit database' &&
	{ show_run mid; fail "mid: an E_DB reason that does not name the audit database"; }
grep -q 'file system that holds the database is full' "$T/mid.err" || { show_run mid; fail "mid: no hint on stderr"; }
nothing_lost mid "$T/mid"
[ -n "${SHOW:-}" ] && show_run mid
recovers mid 3
ok "mid: the disk filled during a run: $f board(s) FAIL E_DB ($unrec not recorded then, void at the next start), $p PASS; exit $mid_rc; nothing lost; all PASS after"
figure disk_mid "$f E_DB ($unrec unrecorded until the next start), $p PASS, exit $mid_rc; recovered"
figure disk_mid_reason "$(results mid | grep -m1 '"code":"E_DB"' | jq -r .reason)"
figure disk_mid_stderr "$(grep -m1 'database is full' "$T/mid.err" | cut -c1-240)"

# batch: the disk fills while 16 boards are recorded together (the signer's group commit, issue
# #14): every board ends PASS or E_DB; when a group commit was lost the signer answered all its
# requests E_DB and refused everything after ("lost a group commit"); nothing lost either way;
# all PASS after the space is freed
unfill
start_run batch 16 --line-rate 9600
sleep 0.4
fill
end_run
unfill
batch_rc=$rc
f=$(results batch | grep -c '"code":"E_DB"' || true)
p=$(results batch | grep -c '"result":"PASS"' || true)
[ $((f + p)) = 16 ] || { show_run batch; fail "batch: $f E_DB + $p PASS of 16 boards"; }
[ "$f" -gt 0 ] || { show_run batch; fail "batch: the full disk failed no board"; }
lost=$(grep -c 'group commit' "$T/batch.err" || true)
nothing_lost batch "$T/batch"
recovers batch 16
ok "batch: the disk filled with 16 boards in flight: $f E_DB, $p PASS, exit $batch_rc; group commit lost: $([ "$lost" -gt 0 ] && echo yes || echo no); nothing lost; all PASS after"
figure disk_batch "$f E_DB, $p PASS, exit $batch_rc, group commit lost: $([ "$lost" -gt 0 ] && echo yes || echo no); recovered"
echo "PASS fault-disk"
