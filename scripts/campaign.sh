#!/bin/sh
# campaign.sh: the reliability campaign (issue #12, `make campaign`), then docs/reliability.md.
#
#   scripts/campaign.sh                  everything: kills and fuzzing side by side, then faults, then the report
#   scripts/campaign.sh kill faults      only those parts (then `scripts/campaign.sh report`);
#                                        kill-station and kill-signer are each half of kill
#
# Parts (each writes its figures under CAMPAIGN_OUT, default build/campaign):
#   kill     tests/campaign/kill.sh: CAMPAIGN_KILLS (default 1000) kill -9 of the station and as
#            many of the signer, each target in CAMPAIGN_SHARDS (default 2) independent station
#            directories run side by side (the runs wait on the simulated boards more than
#            they compute); every property is checked after every kill; nice 10
#   fuzz     tests/campaign/fuzz.sh: every fuzz target for CAMPAIGN_FUZZ_CPU_SECONDS (default
#            1800) CPU-seconds, nice 19; runs alongside the kills
#   faults   tests/campaign/fault-*.sh, one after the other: HSM lost (CAMPAIGN_HSM_CASES runs,
#            default 5), disk full, database locked, clock stepped back, SIGTERM at random
#            instants (CAMPAIGN_SIGTERMS, default 100); CAMPAIGN_FAULTS="dblock disk" runs only those
#   report   scripts/campaign-report.sh: docs/reliability.md from the figures found
# Exit: 0 when every part that ran passed; the report is written either way and says which failed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OUT=${CAMPAIGN_OUT:-$top/build/campaign}
KILLS=${CAMPAIGN_KILLS:-1000}
SHARDS=${CAMPAIGN_SHARDS:-2}
export CAMPAIGN_OUT=$OUT BIN=$top/build/bin
export SIGTERMS=${CAMPAIGN_SIGTERMS:-100} HSM_CASES=${CAMPAIGN_HSM_CASES:-5}
[ "$(id -u)" != 0 ] || export STATION_MODE=developer
parts=${*:-kill fuzz faults report}
mkdir -p "$OUT"
want() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# part NAME CMD...: run CMD in the background, its log and exit status under $OUT
part() {
	name=$1
	shift
	echo "campaign: $(stamp) start $name"
	(
		rc=0
		"$@" >"$OUT/$name.log" 2>&1 || rc=$?
		echo "$rc" >"$OUT/$name.status"
		echo "campaign: $(stamp) end $name: exit $rc"
	) &
}

# The programs under test are copied, so that a rebuild during a long campaign changes nothing
# under it; each part notes the commit (and whether the tree had changes) it ran on.
tag=$(echo "$parts" | tr ' ' '-')
if [ -n "$(echo " $parts " | grep -E ' (kill|kill-station|kill-signer|fuzz|faults) ')" ]; then
	make --no-print-directory CI=1 all >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 2; }
	rm -rf "$OUT/bin-$tag"
	cp -a build/bin "$OUT/bin-$tag"
	BIN=$OUT/bin-$tag
	v="$(git describe --always --dirty 2>/dev/null || echo unknown) $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	for p in $parts; do
		# a rerun of some faults keeps the commit of the full faults run; each fault has its own
		[ "$p" = faults ] && [ -n "${CAMPAIGN_FAULTS:-}" ] || echo "$v" >"$OUT/commit-$p"
	done
fi
echo "started $(stamp): $parts" >>"$OUT/times"
targets=""
! want kill && ! want kill-station || targets="station"
! want kill && ! want kill-signer || targets="$targets signer"
if [ -n "$targets" ]; then
	for t in $targets; do
		rm -f "$OUT"/kill-$t-*.result "$OUT"/kill-$t-*.status
	done
	for t in $targets; do
		s=1
		while [ "$s" -le "$SHARDS" ]; do
			k=$((KILLS / SHARDS))
			[ "$s" != 1 ] || k=$((k + KILLS % SHARDS))
			part "kill-$t-$s" env KILLS=$k RESULT="$OUT/kill-$t-$s.result" nice -n 10 sh tests/campaign/kill.sh $t
			s=$((s + 1))
		done
	done
fi
if want fuzz; then
	rm -f "$OUT/fuzz.status"
	part fuzz nice -n 19 sh tests/campaign/fuzz.sh
fi
wait
if want faults; then
	[ -n "${CAMPAIGN_FAULTS:-}" ] || rm -f "$OUT"/fault-*.result "$OUT"/fault-*.status
	for n in ${CAMPAIGN_FAULTS:-$(ls tests/campaign/fault-*.sh | sed 's|.*/\(.*\)\.sh|\1|')}; do
		n=fault-${n#fault-}
		f=tests/campaign/$n.sh
		echo "$v" >"$OUT/commit-$n"
		part "$n" env RESULT="$OUT/$n.result" nice -n 10 sh "$f"
		wait
	done
fi
echo "finished $(stamp): $parts" >>"$OUT/times"
if want report; then
	sh scripts/campaign-report.sh "$OUT" >docs/reliability.md
	echo "campaign: docs/reliability.md written"
fi
bad=$(grep -lv '^0$' "$OUT"/*.status 2>/dev/null || true)
[ -z "$bad" ] || { echo "campaign: failed: $(echo "$bad" | sed 's|.*/||; s|\.status||' | tr '\n' ' ')" >&2; exit 1; }
echo "campaign: every part passed"
