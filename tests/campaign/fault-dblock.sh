#!/bin/sh
# Fault (issue #12): the database is locked by another process: a sqlite3 shell holding
# BEGIN EXCLUSIVE (in WAL mode readers go on; every writer waits). The signer waits up to its
# busy timeout (10 s) for each write.
#   short   a lock of 3 s during a run: the signer waits, every board PASS;
#   start   a lock held while the station starts: exit 4, "database is locked" and what
#           to do ("another process has held a lock") on stderr, no board started;
#   mid     a lock held for DBLOCK_HOLD (25) s during a run of boards at 2400 baud: a board whose write
#           waited past 10 s ends FAIL E_DB ("... audit database"), recorded when a later
#           write gets through; else the run exits 5 ("could not be recorded") and the attempt
#           is recorded void at the next start; the others PASS after the wait.
# Each: nothing lost; with the lock released the boards run again to PASS. FAULT_QUICK=1 runs
# only the short case (make test).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-faults.sh"
HOLD=${DBLOCK_HOLD:-25}

# lock_db: another process holds the database's write lock until unlock_db (lock_ready first
# starts that sqlite3 shell, so that lock_db is quick on a loaded machine)
lock_ready() {
	rm -f "$T/lock.fifo"
	mkfifo "$T/lock.fifo"
	sqlite3 "$db" <"$T/lock.fifo" >"$T/lock.out" 2>&1 &
	lk=$!
	exec 8>"$T/lock.fifo"
}
lock_db() {
	[ -n "${lk:-}" ] || lock_ready
	echo 'BEGIN EXCLUSIVE;' >&8
	w=0
	while sqlite3 -cmd '.timeout 0' "$db" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; do
		w=$((w + 1))
		[ $w -lt 500 ] || fail "the sqlite3 shell did not take the lock"
		sleep 0.01
	done
}
unlock_db() {
	exec 8>&-
	wait "$lk" || true
	lk=""
}

# short: the signer waits for a lock shorter than its busy timeout
start_run short 3 --line-rate 9600
lock_db
sleep 3
unlock_db
end_run
[ "$rc" = 0 ] && [ "$(results short | grep -c '"result":"PASS"')" = 3 ] ||
	{ show_run short; fail "short: a 3 s lock failed the run (exit $rc)"; }
nothing_lost short "$T/short"
ok "short: a 3 s lock during the run: the signer waited, 3 PASS"
figure dblock_short "3 s lock during a run: 3 of 3 boards PASS"
if [ -n "${FAULT_QUICK:-}" ]; then
	echo "PASS fault-dblock (quick)"
	exit 0
fi

# start: locked when the station starts
lock_db
run start 2
unlock_db
[ "$rc" = 4 ] || { show_run start; fail "start: exit $rc, expected 4"; }
grep -q 'database is locked' "$T/start.err" && grep -q 'another process has held a lock' "$T/start.err" ||
	{ show_run start; fail "start: stderr does not say 'database is locked' and what to do"; }
[ -z "$(results start)" ] || fail "start: a board was started on a locked database"
ok "start: exit 4: $(grep -m1 'database is locked' "$T/start.err" | cut -c1-120)..."
figure dblock_start_message "$(grep -m1 'database is locked' "$T/start.err" | cut -c1-240)"
nothing_lost start
recovers start 2

# mid: locked for longer than the busy timeout during a run
lock_ready
start_run mid 3 --line-rate 2400
lock_db
[ -z "$(results mid)" ] || { unlock_db; end_run; fail "mid: a board finished before the lock was taken (machine too slow?)"; }
sleep $HOLD
unlock_db
end_run
mid_rc=$rc
f=$(results mid | grep -c '"code":"E_DB"' || true)
p=$(results mid | grep -c '"result":"PASS"' || true)
[ $((f + p)) = 3 ] || { show_run mid; fail "mid: $f E_DB + $p PASS of 3 boards"; }
[ "$f" -gt 0 ] || { show_run mid; fail "mid: a ${HOLD} s lock failed no board"; }
unrec=$(results mid | grep -c '"recorded":false' || true)
if [ "$unrec" -gt 0 ]; then
	[ "$rc" = 5 ] && grep -q 'could not be recorded' "$T/mid.err" ||
		{ show_run mid; fail "mid: $unrec result(s) not recorded: exit $rc (expected 5) or no 'could not be recorded'"; }
elif [ "$f" -gt 0 ]; then
	[ "$rc" = 1 ] || { show_run mid; fail "mid: exit $rc, expected 1"; }
fi
if [ "$f" -gt 0 ]; then
	results mid | grep '"code":"E_DB"' | jq -r .reason | grep -qv 'audit database' &&
		{ show_run mid; fail "mid: an E_DB reason that does not name the audit database"; }
	grep -q 'another process has held a lock' "$T/mid.err" || { show_run mid; fail "mid: no hint on stderr"; }
fi
nothing_lost mid "$T/mid"
recovers mid 3
ok "mid: a ${HOLD} s lock during a run: $f board(s) FAIL E_DB ($unrec not recorded then), $p PASS after the wait, exit $mid_rc; nothing lost; all PASS after"
figure dblock_mid "${HOLD} s lock during a run: $f E_DB ($unrec unrecorded until the next start), $p PASS, exit $mid_rc; recovered"
figure dblock_mid_reason "$(results mid | grep -m1 '"code":"E_DB"' | jq -r .reason)"
echo "PASS fault-dblock"
