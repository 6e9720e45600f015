#!/bin/sh
# Fault (issue #12; PRODUCT §8): SIGTERM at random instants of `station run`, SIGTERMS times
# (default 100): uniform over 0..350 ms from the moment the station process appears (its
# start, the signer's start, every step of 3 boards, the stop). SIGTERM stops gracefully: the
# boards in progress finish and are recorded, then station.stop and the stop checkpoint.
#   one TERM   exit 0, every board PASS, "stopping (SIGTERM)" (stopping event) when it came
#              while boards were in progress; the run's last entry is its station.stop and a
#              checkpoint covers it; nothing left open (no certificate 'issued', no serial
#              'allocated') without any re-run. A TERM that lands before the station blocks it
#              (its first instants, before the signer exists) ends it with nothing recorded.
#   two TERMs  every 5th time, on boards at 9600 baud, a second TERM 150 ms after the first:
#              the boards in progress are abandoned: exit 8, "abandoned" on stderr; their
#              attempts are recorded void at the next start and the boards, run again, PASS.
# Each time: nothing lost (audit verify, no certificate outside the log, no serial twice).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-faults.sh"
N=${SIGTERMS:-100}
rnd() { d=$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); echo $((d % $1)); }
entries() { sqlite3 "$db" 'SELECT COUNT(*) FROM log'; }

i=0 early=0 during=0 after=0 abandoned=0 abandon_late=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	double=0 rate=""
	[ $((i % 5)) != 0 ] || { double=1; rate="--line-rate 9600"; }
	n0=$(entries)
	# shellcheck disable=SC2086
	"$BIN/firmware-stub" sim --boards 3 --dir "$T/t$i" $rate -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$T/t$i.json" 2>"$T/t$i.err" &
	run_pid=$!
	st="" w=0
	while [ -z "$st" ] && [ $w -lt 1000 ] && kill -0 "$run_pid" 2>/dev/null; do
		w=$((w + 1))
		st=$(station_pid)
		[ -n "$st" ] || sleep 0.005
	done
	[ -n "$st" ] || fail "t$i: no station process appeared"
	if [ "$double" = 1 ]; then
		# after the start: the boards are in progress
		while ! grep -q '"event":"start"' "$T/t$i.json" && kill -0 "$st" 2>/dev/null; do sleep 0.01; done
		sleep "0.$(rnd 5)"
	else
		sleep "$(awk "BEGIN{printf \"%.3f\", $(rnd 350)/1000}")"
	fi
	kill -TERM "$st" 2>/dev/null || true
	[ "$double" = 0 ] || { sleep 0.15; kill -TERM "$st" 2>/dev/null || true; }
	end_run
	if [ "$rc" = 143 ]; then
		# killed before it blocked the signal: nothing may have been recorded
		[ "$(entries)" = "$n0" ] || fail "t$i: the station died of SIGTERM after recording something"
		early=$((early + 1))
	elif [ "$rc" = 8 ]; then
		[ "$double" = 1 ] && grep -q 'abandoned' "$T/t$i.err" || { show_run t$i; fail "t$i: exit 8 without 'abandoned'"; }
		abandoned=$((abandoned + 1))
		nothing_lost t$i "$T/t$i"
		recovers t$i 3
	elif [ "$rc" = 0 ]; then
		[ "$(results t$i | grep -c '"result":"PASS"')" = 3 ] || { show_run t$i; fail "t$i: exit 0 but not 3 PASS"; }
		if grep -q '"event":"stopping"' "$T/t$i.json"; then
			grep -q 'stopping (SIGTERM)' "$T/t$i.json" "$T/t$i.err" ||
				grep -q '"reason":"SIGTERM"' "$T/t$i.json" || fail "t$i: stopping event without SIGTERM"
			during=$((during + 1))
		else
			after=$((after + 1))
		fi
		[ "$double" = 0 ] || abandon_late=$((abandon_late + 1))
		[ "$(sqlite3 "$db" 'SELECT kind FROM log ORDER BY seq DESC LIMIT 1')" = station.stop ] ||
			fail "t$i: the run's last entry is not its station.stop"
		[ "$(sqlite3 "$db" 'SELECT MAX(size) FROM checkpoints')" = "$(entries)" ] ||
			fail "t$i: no checkpoint covers the stop"
		[ "$(sqlite3 "$db" "SELECT (SELECT COUNT(*) FROM certs WHERE status='issued') + (SELECT COUNT(*) FROM serials WHERE status='allocated')")" = 0 ] ||
			fail "t$i: a certificate 'issued' or a serial 'allocated' left after a graceful stop"
		nothing_lost t$i "$T/t$i"
	else
		show_run t$i
		fail "t$i: exit $rc after SIGTERM"
	fi
done
ok "$N runs, SIGTERM at a random instant: $during while boards were in progress (they finished: PASS, stop and checkpoint recorded), $after after the boards, $early before the station blocked it (nothing recorded); $abandoned abandoned by a second SIGTERM (exit 8, completed by a re-run), $abandon_late second SIGTERMs came after the boards"
figure sigterm_runs "$N"
figure sigterm_during "$during"
figure sigterm_after "$after"
figure sigterm_early "$early"
figure sigterm_abandoned "$abandoned"
figure sigterm_abandon_late "$abandon_late"
echo "PASS fault-sigterm"
