#!/bin/sh
# Checkpoints during a run and at lot end (PRODUCT §7, docs/auditor-guide.md): every N entries,
# every M seconds with new entries, at station stop and at `station lot close`; each one signed,
# stored in the database and written out as a file, consistent with the ones before it. A closed
# lot takes no more boards, at the station and at the signer.
. "$(dirname "$0")/lib.sh"
db=$T/station.db

# audit_cfg ENTRIES INTERVAL: replace the profile's [audit] section
audit_cfg() {
	sed -i '/^\[audit\]/,/^\[/{/^\[audit\]/d;/^checkpoint_/d}' "$PROFILE"
	printf '[audit]\ncheckpoint_entries = %s\ncheckpoint_interval = %s\n' "$1" "$2" >>"$PROFILE"
}
# checkpoints FILE TRIGGER: sizes of the signed checkpoints of that trigger in a run's JSON
checkpoints() { jq -r "select(.event==\"checkpoint\" and .trigger==\"$2\" and .ok) | .size" "$1"; }

echo "-- every N entries"
audit_cfg 5 0
"$BIN/firmware-stub" sim --boards 6 --dir "$T/n" -- "$BIN/station" run --profile "$PROFILE" --json \
	>"$T/n.json" 2>"$T/n.err" || { cat "$T/n.err"; fail "run with checkpoint_entries = 5"; }
sizes=$(checkpoints "$T/n.json" due)
[ -n "$sizes" ] || { cat "$T/n.json"; fail "no checkpoint was signed for every 5 entries"; }
prev=0
for s in $sizes; do
	[ "$s" -ge $((prev + 5)) ] || fail "checkpoint of size $s only $((s - prev)) entries after $prev"
	prev=$s
done
stop=$(checkpoints "$T/n.json" stop)
total=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
[ "$stop" = "$total" ] || fail "the stop checkpoint covers $stop of $total entries"
for s in $sizes $stop; do
	[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM checkpoints WHERE size=$s")" = 1 ] || fail "checkpoint $s not stored"
	[ -s "$T/checkpoints/$s.checkpoint" ] || fail "checkpoint $s not written out"
done
ok "entries: checkpoints at sizes $(echo $sizes | tr '\n' ' ')then $stop at stop, stored and written out"

first=$(echo "$sizes" | head -n 1)
"$BIN/station" audit consistency "$T/checkpoints/$first.checkpoint" "$T/checkpoints/$stop.checkpoint" \
	>"$T/cons.out" 2>&1 || { cat "$T/cons.out"; fail "consistency $first -> $stop"; }
ok "the periodic checkpoint $first is consistent with the stop checkpoint $stop"

echo "-- every M seconds"
audit_cfg 0 1s
# Late replies stretch one board over a few seconds, so the 1 s trigger has entries to cover.
"$BIN/firmware-stub" sim --boards 2 --dir "$T/m" --reply-late 200 -- \
	"$BIN/station" run --profile "$PROFILE" --json >"$T/m.json" 2>"$T/m.err" || { cat "$T/m.err"; fail "run with interval"; }
isz=$(checkpoints "$T/m.json" due)
[ -n "$isz" ] || { cat "$T/m.json"; fail "no checkpoint signed every second"; }
ok "interval: checkpoints at sizes $(echo $isz | tr '\n' ' ')within a run of $(jq -r 'select(.event=="summary") | .elapsed_ms' "$T/m.json") ms"

# The profile changed between the runs: profile.changed names both digests, before station.start.
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='profile.changed'")" = 1 ] || fail "profile change not recorded once"
to=$(sqlite3 "$db" "SELECT json_extract(body,'\$.to_sha256') FROM log WHERE kind='profile.changed'")
[ "$to" = "$(sha256sum "$PROFILE" | cut -d' ' -f1)" ] || fail "profile.changed to_sha256 $to"
[ "$(sqlite3 "$db" "SELECT kind FROM log WHERE seq=(SELECT seq+1 FROM log WHERE kind='profile.changed')")" = station.start ] ||
	fail "profile.changed must precede station.start"
ok "the edited profile is recorded: profile.changed to sha256 ${to%"${to#????????????}"}..."

echo "-- both off"
audit_cfg 0 0
"$BIN/firmware-stub" sim --boards 2 --dir "$T/o" -- "$BIN/station" run --profile "$PROFILE" --json \
	>"$T/o.json" 2>"$T/o.err" || { cat "$T/o.err"; fail "run with checkpoints off"; }
[ "$(jq -r 'select(.event=="checkpoint") | .trigger' "$T/o.json")" = stop ] || fail "only the stop checkpoint expected"
ok "checkpoint_entries = 0 and checkpoint_interval = 0: only the stop checkpoint"

echo "-- bad values are refused with the line"
cp "$PROFILE" "$T/bad.ini"
sed -i 's/^checkpoint_interval = .*/checkpoint_interval = 10 minutes/' "$T/bad.ini"
rc=0; "$BIN/station" lot status --profile "$T/bad.ini" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "bad.ini:[0-9]*:.*checkpoint_interval.*90s, 10m or 2h" "$T/bad.out" ||
	{ cat "$T/bad.out"; fail "a bad checkpoint_interval: exit $rc"; }
ok "checkpoint_interval = '10 minutes' refused: $(head -c 110 "$T/bad.out")..."

echo "-- lot end"
lot=$(sed -n 's/^lot = //p' "$PROFILE")
"$BIN/station" lot status --profile "$PROFILE" --json >"$T/st.json" || fail "lot status"
[ "$(jq -r .state "$T/st.json")" = open ] || fail "lot not open: $(cat "$T/st.json")"
[ "$(jq -r .certificates "$T/st.json")" = "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE lot='$lot'")" ] ||
	fail "lot status counts: $(cat "$T/st.json")"
"$BIN/station" lot open --profile "$PROFILE" >/dev/null || fail "opening an open lot must be harmless"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot='$lot'")" = 1 ] ||
	fail "lot.opened must be recorded once"
"$BIN/station" lot close --profile "$PROFILE" --operator "line-lead" --json >"$T/close.json" 2>"$T/close.err" ||
	{ cat "$T/close.err"; fail "lot close"; }
total=$(sqlite3 "$db" 'SELECT COUNT(*) FROM log')
[ "$(jq -r .state "$T/close.json")" = closed ] && [ "$(jq -r .checkpoint_size "$T/close.json")" = "$total" ] ||
	fail "lot close: $(cat "$T/close.json") (log has $total entries)"
[ "$(sqlite3 "$db" "SELECT operator FROM log WHERE kind='lot.closed' AND lot='$lot'")" = line-lead ] ||
	fail "lot.closed not recorded with its operator"
[ -s "$T/checkpoints/$total.checkpoint" ] || fail "lot-end checkpoint not written out"
ok "lot close: lot.closed by line-lead and a checkpoint of all $total entries"
"$BIN/station" lot close --profile "$PROFILE" >"$T/close2.out" 2>&1 || fail "closing a closed lot must be harmless"
grep -q "already closed" "$T/close2.out" || fail "closing twice: $(cat "$T/close2.out")"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='lot.closed' AND lot='$lot'")" = 1 ] || fail "lot closed twice"
ok "closing it again changes nothing"
rc=0
boards=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind LIKE 'board.%'")
"$BIN/firmware-stub" sim --boards 1 --dir "$T/c" -- "$BIN/station" run --profile "$PROFILE" \
	>"$T/c.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "lot $lot is closed" "$T/c.out" || { cat "$T/c.out"; fail "a run on the closed lot: exit $rc"; }
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind LIKE 'board.%'")" = "$boards" ] ||
	fail "the refused run touched a board"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='request.refused' AND lot='$lot' AND
	json_extract(body,'\$.code')='LOT_CLOSED' AND json_extract(body,'\$.request')='SESSION'")" = 1 ] || fail "the signer did not log the refused session"
ok "a run on the closed lot is refused by the signer before any board is touched (exit 3), and logged"
rc=0
"$BIN/firmware-stub" sim --boards 1 --dir "$T/d" -- "$BIN/station" run --profile "$PROFILE" --lot LOT-NEXT \
	>"$T/d.out" 2>&1 || rc=$?
[ "$rc" = 3 ] && grep -q "lot LOT-NEXT was never opened" "$T/d.out" || { cat "$T/d.out"; fail "a run on an unopened lot: exit $rc"; }
ok "a run on a lot nobody opened is refused (exit 3)"
"$BIN/station" lot open --profile "$PROFILE" --lot LOT-NEXT >"$T/d.out" 2>&1 || { cat "$T/d.out"; fail "lot open"; }
"$BIN/firmware-stub" sim --boards 1 --dir "$T/d2" -- "$BIN/station" run --profile "$PROFILE" --lot LOT-NEXT \
	>"$T/d.out" 2>&1 || { cat "$T/d.out"; fail "a run on the next lot"; }
ok "the next lot runs"
"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "verify"; }
ok "$(cat "$T/v.out")"
echo "PASS test-checkpoint"
