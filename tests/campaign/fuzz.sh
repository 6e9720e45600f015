#!/bin/sh
# Campaign fuzzing (issue #12): every libFuzzer target tests/fuzz/fuzz-*.c for
# CAMPAIGN_FUZZ_CPU_SECONDS (default 1800) of CPU time, not wall time: the machine may be shared,
# so a watchdog reads the target's utime+stime from /proc and interrupts it (SIGINT: libFuzzer
# prints its final stats) when the budget is spent; `ulimit -t` is the backstop. Targets run at
# nice 19, CAMPAIGN_FUZZ_JOBS (default 2) at a time, each on build/fuzz/corpus-<name> seeded from
# tests/fuzz/corpus/<name>. CAMPAIGN_FUZZ_TARGETS="frame msg" runs only those.
#
# Results, one line per target (a target run again replaces its line), in
# $CAMPAIGN_OUT/fuzz/results (default build/campaign):
#   <target> <cpu-seconds> <execs> <corpus-before> <corpus-after> <findings> <exit> ok|FINDING
# A crash, leak, timeout or out-of-memory input libFuzzer leaves is copied to
# tests/fuzz/corpus/<name>/campaign-<kind>-<sha1> (replayed by `make test` from then on, so it
# fails until the bug is fixed) and the script exits 1.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
N=${CAMPAIGN_FUZZ_CPU_SECONDS:-1800}
JOBS=${CAMPAIGN_FUZZ_JOBS:-2}
OUT=build/fuzz
RES=${CAMPAIGN_OUT:-$top/build/campaign}/fuzz
mkdir -p "$RES"
touch "$RES/results"
tck=$(getconf CLK_TCK)

echo "campaign-fuzz: building the targets (scripts/fuzz.sh, FUZZ_BUILD_ONLY=1)"
FUZZ_BUILD_ONLY=1 nice -n 19 scripts/fuzz.sh >"$RES/build.log" 2>&1 || {
	cat "$RES/build.log" >&2
	echo "campaign-fuzz: build failed" >&2
	exit 2
}

# one TARGET: run it for N CPU-seconds (CAMPAIGN_FUZZ_RESUME=1: what its line in the results
# lacks of N; the line then adds both rounds up), and write its line in the results
one() {
	t=$1 name=${1#fuzz-}
	corpus=$OUT/corpus-$name
	mkdir -p "$corpus"
	cp -p "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
	before=$(find "$corpus" -type f | wc -l)
	pcpu=0 pexecs=0 pfound=0
	if [ -n "${CAMPAIGN_FUZZ_RESUME:-}" ] && prev=$(grep "^$t " "$RES/results"); then
		# shellcheck disable=SC2086
		set -- $prev
		pcpu=$2 pexecs=$3 before=$4 pfound=$6
		[ "$pcpu" -lt "$N" ] || { echo "campaign-fuzz: $t: $pcpu of $N CPU-s already"; return 0; }
	fi
	budget=$((N - pcpu))
	rm -f "$RES/$t"-crash-* "$RES/$t"-leak-* "$RES/$t"-timeout-* "$RES/$t"-oom-*
	# exec keeps the pid: $! is the fuzzer itself
	(ulimit -t $((budget + 120)) && exec nice -n 19 "./$OUT/$t" -max_total_time=$((N * 100)) -max_len=2048 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$RES/$t-" "$corpus") >"$RES/$t.log" 2>&1 &
	pid=$!
	cpu=0
	while :; do
		st=$(cut -d' ' -f3,14,15 "/proc/$pid/stat" 2>/dev/null) || break
		set -- $st
		cpu=$(($2 + $3))
		[ "$1" != Z ] || break
		[ "$cpu" -lt $((budget * tck)) ] || kill -INT "$pid" 2>/dev/null || true
		sleep 2
	done
	rc=0
	wait "$pid" || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$RES/$t.log" | tail -n 1)
	# killed by the backstop: the last status line ("#12345  pulse ...") is the count
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$RES/$t.log" | tail -n 1)
	after=$(find "$corpus" -type f | wc -l)
	found=0
	for a in "$RES/$t"-crash-* "$RES/$t"-leak-* "$RES/$t"-timeout-* "$RES/$t"-oom-*; do
		[ -e "$a" ] || continue
		found=$((found + 1))
		kind=$(basename "$a" | sed "s/^$t-\([a-z]*\)-.*/\1/")
		cp "$a" "tests/fuzz/corpus/$name/campaign-$kind-$(sha1sum <"$a" | cut -c1-16)"
	done
	verdict=ok
	[ "$found" = 0 ] || verdict=FINDING
	# 72: libFuzzer's exit after SIGINT (the budget was spent); 0: it ran out of max_total_time
	[ "$rc" = 72 ] || [ "$rc" = 0 ] || verdict=FINDING
	cpu=$((pcpu + cpu / tck)) execs=$((pexecs + ${execs:-0})) found=$((pfound + found))
	[ "$found" = 0 ] || verdict=FINDING
	# one line per target: appended whole (O_APPEND), the old one dropped under a lock
	(
		flock 9
		grep -v "^$t " "$RES/results" >"$RES/results.new" || true
		echo "$t $cpu $execs $before $after $found $rc $verdict" >>"$RES/results.new"
		mv "$RES/results.new" "$RES/results"
	) 9>"$RES/results.lock"
	echo "campaign-fuzz: $t: $cpu CPU-s, $execs execs, corpus $before -> $after, $verdict (exit $rc)"
}

targets=${CAMPAIGN_FUZZ_TARGETS:-$(ls tests/fuzz/fuzz-*.c | sed 's|.*/fuzz-\(.*\)\.c|\1|')}
n=0
for name in $targets; do
	one "fuzz-$name" &
	n=$((n + 1))
	[ $((n % JOBS)) != 0 ] || wait
done
wait
! grep -q ' FINDING$' "$RES/results" || { echo "campaign-fuzz: findings, see $RES" >&2; exit 1; }
echo "campaign-fuzz: done, $(wc -l <"$RES/results") targets, results in $RES/results"
