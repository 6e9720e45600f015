#!/bin/sh
# campaign-report.sh DIR: docs/reliability.md (on stdout) from the figures scripts/campaign.sh
# left in DIR (default build/campaign). Only what the files say: a part that did not run, or
# did not finish, is reported as such, and a budget that was not reached is named.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$top/build/campaign}
KILLS=${CAMPAIGN_KILLS:-1000}
FUZZ_CPU=${CAMPAIGN_FUZZ_CPU_SECONDS:-1800}

# sum KEY FILES...: the sum of KEY over the result files
sum() {
	k=$1
	shift
	cat "$@" 2>/dev/null | awk -v k="$k" '$1 == k { s += $2 } END { print s + 0 }'
}
# val KEY FILE: the value of KEY (the rest of its line)
val() { sed -n "s/^$1 //p" "$2" 2>/dev/null | head -n 1; }
# status NAME: the part's outcome
status() {
	if [ ! -f "$OUT/$1.status" ]; then
		echo "did not finish (no exit status)"
	elif [ "$(cat "$OUT/$1.status")" = 0 ]; then
		echo "passed"
	else
		echo "FAILED (exit $(cat "$OUT/$1.status"); see build/campaign/$1.log)"
	fi
}
commit() { [ -f "$OUT/commit-$1" ] && cat "$OUT/commit-$1" || echo "?"; }
ver() { "$@" 2>/dev/null | head -n 1 || echo "not installed"; }
dpkgv() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }

cat <<EOF
# Reliability campaign

Written by \`make campaign\` (\`scripts/campaign.sh\`, issue #12) from the figures of its last run;
\`scripts/campaign-report.sh\` only copies what the campaign's result files say. The campaign
is the long form of what \`make test\` checks briefly (tests/integration/test-crash.sh,
test-crash-signer.sh, test-faults-campaign.sh).

- written: $(date -u +%Y-%m-%dT%H:%M:%SZ), on $(uname -srm), $(nproc) cores (shared: the figures are CPU seconds where CPU matters)
- parts and the commit each ran on (\`git describe --dirty\`, start time):
EOF
for p in kill kill-station kill-signer faults fuzz; do
	[ -f "$OUT/commit-$p" ] && echo "  - \`$p\`: $(commit "$p")"
done
# the last start and end of each set of parts (an interrupted attempt is superseded)
[ -f "$OUT/times" ] && awk '{ k = $1 " " $3; l[k] = $0; if (!(k in o)) { o[k] = n++ } }
	END { for (k in l) print o[k], l[k] }' "$OUT/times" | sort -n | cut -d' ' -f2- | sed 's/^/  - /'
cat <<EOF

| component | version |
|---|---|
| OpenSSL | $(ver openssl version) |
| SQLite | $(ver sqlite3 --version | cut -d' ' -f1,2) |
| SoftHSM2 | $(ver softhsm2-util --version) (Debian $(dpkgv softhsm2)) |
| clang / libFuzzer | $(ver clang --version) |
| libfaketime | $(dpkgv libfaketime) |
| umockdev | $(dpkgv umockdev) |
| kernel | $(uname -r) |

EOF

# --- kills ---------------------------------------------------------------------------------
for t in station signer; do
	files=$(ls "$OUT"/kill-$t-*.result 2>/dev/null || true)
	logs=$(ls "$OUT"/kill-$t-[0-9]*.log 2>/dev/null || true)
	if [ "$t" = station ]; then
		echo "## kill -9 of the station"
		echo
		echo "\`tests/campaign/kill.sh station\`: \`station run\` provisions 3 fresh boards (firmware-stub"
		echo "simulator, real SoftHSM2, real signer); the station process is killed with SIGKILL at an"
		echo "instant drawn uniformly over the first 220 ms after it appears (its start, the signer's"
		echo "start-up recovery, every step of the boards, the stop checkpoint)."
	else
		echo "## kill -9 of the signer"
		echo
		echo "\`tests/campaign/kill.sh signer\`: the same runs; the \`station-signer\` process that"
		echo "\`station run\` spawned is killed with SIGKILL at an instant drawn over the first 200 ms after"
		echo "it appears. The station must then say so and exit 4 (or exit 0 when the stop was already"
		echo "recorded), never hang."
	fi
	echo
	echo "After **every** kill: the database opens and passes \`PRAGMA integrity_check\`; \`station audit"
	echo "verify --db\` exits 0; no board of the killed run holds a certificate the log lacks, and a"
	echo "serial a board holds was allocated to its chip; no serial, serial row or certificate serial"
	echo "is issued twice; the killed run's boards, run again, all end PASS or DONE and leave no"
	echo "certificate \`issued\` or serial \`allocated\`."
	echo
	if [ -z "$files" ] && [ -z "$logs" ]; then
		echo "Not run."
		echo
		continue
	fi
	n=$(sum kills $files)
	c=kill
	[ ! -f "$OUT/commit-kill-$t" ] || c=kill-$t
	echo "Ran on commit $(commit "$c")."
	echo
	echo "| figure | value |"
	echo "|---|---|"
	echo "| kills (SIGKILL that hit a live $t) | **$n** of $KILLS asked, in $(echo $files | wc -w) independent station directories |"
	echo "| tries that missed (the $t had already exited) | $(sum misses $files) |"
	echo "| checks after a kill (all of the above) | $(sum checks $files) |"
	mean=0
	c=$(sum checks $files)
	[ "$c" = 0 ] || mean=$(cat $files | awk '$1 == "checks" { c = $2 } $1 == "verify_mean_ms" { s += $2 * c } END { printf "%d", s / '"$c"' }')
	echo "| \`audit verify\` after a kill: mean / max | $mean ms / $(cat $files 2>/dev/null | awk '$1 == "verify_max_ms" && $2 > m { m = $2 } END { print m + 0 }') ms |"
	echo "| boards holding a certificate right after a kill (all in the log) | $(sum held_certs $files) |"
	echo "| boards completed by the re-run (PASS) / already PASS (DONE) | $(sum rerun_pass $files) / $(sum rerun_done $files) |"
	echo "| \`crash.recovered\` entries (interrupted attempts voided at the next start) | $(sum crash_recovered $files) |"
	echo "| log entries at the end (all shards) | $(sum log_entries $files) |"
	if [ "$t" = signer ]; then
		echo "| station exit 4, \"the signer stopped answering\" + \`signer_lost\` (during the boards) | $(sum station_exit4 $files) |"
		echo "| station exit 4, \"the signer process stopped answering\" + \`error\` event (before the first board) | $(sum station_exit4_startup $files) |"
		echo "| station exit 4 after the stop was recorded: the stop checkpoint unsigned (\`checkpoint\` event, ok false) | $(sum station_exit4_stop_checkpoint $files) |"
		echo "| station exit 4 not explained by the above (reported, not failed) | $(sum station_exit4_unexplained $files) |"
		echo "| station exit 0 (the kill came after the stop was recorded) | $(sum station_exit0 $files) |"
		echo "| SoftHSM2 \`token.object\` left empty by the kill (restored from a copy; see below) | $(sum softhsm_token_truncated $files) |"
	fi
	echo "| wall time (shards side by side) | $(cat $files 2>/dev/null | awk '$1 == "wall_ms" && $2 > m { m = $2 } END { printf "%.0f min", m / 60000 }') |"
	echo
	echo "Where the kills landed (the run's last event before the kill):"
	echo
	echo "| phase | kills |"
	echo "|---|---|"
	cat $files 2>/dev/null | awk '/^phase\./ { sub(/^phase\./, "", $1); s[$1] += $2 } END { for (k in s) print k, s[k] }' |
		sort | while read -r k v; do echo "| $k | $v |"; done
	echo
	echo "Outcome:"
	for f in $logs; do
		nm=$(basename "$f" .log)
		last=$(grep '^  \.\.\. ' "$f" 2>/dev/null | tail -n 1 | sed 's/^  \.\.\. //')
		echo "- \`$nm\`: $(status "$nm")$([ -f "$OUT/$nm.result" ] || echo "; its last progress line: ${last:-none}")"
	done
	echo
done

# --- faults --------------------------------------------------------------------------------
echo "## Faults"
echo
echo "Each fault in its own script under \`tests/campaign/\`, on real components. Each checks a clear"
echo "error (the exit code and the text grepped for), that nothing is lost (\`audit verify\` passes, no"
echo "certificate outside the log, no serial issued twice) and recovery (with the fault removed,"
echo "the same boards run again to PASS)."
echo
for f in hsm disk dblock clock sigterm; do
	r=$OUT/fault-$f.result
	case $f in
	hsm) echo "### HSM lost (\`fault-hsm.sh\`)" ;;
	disk) echo "### Disk full (\`fault-disk.sh\`)" ;;
	dblock) echo "### Database locked by another process (\`fault-dblock.sh\`)" ;;
	clock) echo "### Clock stepped backwards (\`fault-clock.sh\`)" ;;
	sigterm) echo "### SIGTERM at random instants (\`fault-sigterm.sh\`)" ;;
	esac
	echo
	echo '```text'
	sed -n '2,/^\. /p' "$top/tests/campaign/fault-$f.sh" | grep '^#' | sed 's/^# \{0,1\}//'
	echo '```'
	echo
	if [ -f "$r" ]; then
		echo "Figures of this run:"
		echo
		sed 's/^\([^ ]*\) \(.*\)$/- `\1`: \2/' "$r"
		echo
	fi
	c=faults
	[ ! -f "$OUT/commit-fault-$f" ] || c=fault-$f
	echo "Outcome: $(status "fault-$f"), on commit $(commit "$c")"
	echo
done

# --- fuzzing -------------------------------------------------------------------------------
echo "## Fuzzing"
echo
echo "\`tests/campaign/fuzz.sh\`: every libFuzzer target \`tests/fuzz/fuzz-*.c\` (ASan + UBSan), budget"
echo "$FUZZ_CPU CPU-seconds each, measured as the target's utime+stime from /proc (the machine was"
echo "shared; wall time says nothing), nice 19, on \`build/fuzz/corpus-<name>\` seeded from"
echo "\`tests/fuzz/corpus/<name>\`. A crash, leak, timeout or out-of-memory input would be copied to"
echo "\`tests/fuzz/corpus/<name>/campaign-*\` and fail the part."
echo
res=$OUT/fuzz/results
if [ -f "$res" ]; then
	echo "| target | CPU s | execs | execs / CPU s | corpus before → after | findings | outcome |"
	echo "|---|---|---|---|---|---|---|"
	for src in "$top"/tests/fuzz/fuzz-*.c; do
		t=$(basename "$src" .c)
		l=$(grep "^$t " "$res" || true)
		if [ -z "$l" ]; then
			cpu=""
			[ -f "$OUT/fuzz/$t.log" ] && cpu=" (was running; last status line: $(grep '^#' "$OUT/fuzz/$t.log" | tail -n 1 | cut -d' ' -f1))"
			echo "| $t | — | — | — | — | — | not finished$cpu |"
			continue
		fi
		# shellcheck disable=SC2086
		set -- $l
		note=$8
		[ "$2" -ge "$FUZZ_CPU" ] || note="$8, **$2 of $FUZZ_CPU CPU-s**"
		echo "| $t | $2 | $3 | $(($3 / ($2 > 0 ? $2 : 1))) | $4 → $5 | $6 | $note |"
	done
	echo
	echo "Total: $(awk '{ c += $2; e += $3 } END { printf "%d CPU-s, %.0f execs", c, e }' "$res") over $(wc -l <"$res") target(s)."
else
	echo "Not run."
fi
echo

# What whoever ran the campaign noted about this run (build/campaign/notes.md), if anything.
[ ! -f "$OUT/notes.md" ] || { cat "$OUT/notes.md"; echo; }
# What the campaign found when it was built (a fixed text, kept with the tests).
[ ! -f "$top/tests/campaign/findings.md" ] || cat "$top/tests/campaign/findings.md"
