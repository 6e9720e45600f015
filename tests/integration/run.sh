#!/bin/sh
# run.sh: `make integration`: every tests/integration/test-*.sh, ITEST_JOBS at a time (default 2:
# the tests mostly wait on emulated boards, timeouts and child processes, so one at a time used
# under half of this 2-core machine). Each test runs in its own directory (lib.sh) with its own
# token, database, PostgreSQL and TPM; the system users that some of them would create on a
# fresh machine are made once, first (as root), so that two never race on /etc/passwd. The
# slowest tests start first. A test's output is printed whole when it ends, with its time; the
# first failure stops new tests from starting and fails the run. ITEST_ONLY="crash line" runs
# only those. The environment (BIN, SIGNER_DRIVER, ...) is the Makefile's.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
jobs=${ITEST_JOBS:-2}
out=$top/build/itest
mkdir -p "$out"

# one NAME: runs test-NAME.sh; exit 255 on failure makes xargs start no more tests
one() {
	n=$1
	log=$out/$n.log
	s=$(date +%s)
	rc=0
	sh "tests/integration/test-$n.sh" >"$log" 2>&1 || rc=$?
	t=$(($(date +%s) - s))
	# one test's output at a time
	{
		flock 9
		echo "  ITEST   tests/integration/test-$n.sh"
		cat "$log"
		if [ "$rc" = 0 ]; then
			echo "  ITEST   tests/integration/test-$n.sh: $t s"
		else
			echo "  ITEST   tests/integration/test-$n.sh: FAILED (exit $rc) after $t s"
			echo "$n" >>"$out/failed"
		fi
	} 9>"$out/.print-lock"
	[ "$rc" = 0 ] || exit 255
}
if [ "${1:-}" = --one ]; then
	one "$2"
	exit $?
fi

rm -f "$out"/*.log "$out/failed"

if [ "$(id -u)" = 0 ]; then
	scripts/users.sh >/dev/null 2>&1 &&
	scripts/users.sh --one station-pg "private PostgreSQL of the station's tests" >/dev/null 2>&1 ||
		{ echo "run.sh: cannot create the test system users (scripts/users.sh)" >&2; exit 1; }
fi

slow="crash line conform faults-usb faults qemu-port fleet signer fleet-pg faults-campaign"
list=""
for n in $slow; do
	[ -f "tests/integration/test-$n.sh" ] && list="$list $n"
done
for f in tests/integration/test-*.sh; do
	n=${f#tests/integration/test-}
	n=${n%.sh}
	case " $list " in *" $n "*) ;; *) list="$list $n" ;; esac
done
if [ -n "${ITEST_ONLY:-}" ]; then
	want=$list
	list=""
	for n in $want; do
		case " $ITEST_ONLY " in *" $n "*) list="$list $n" ;; esac
	done
fi

s0=$(date +%s)
# shellcheck disable=SC2086
printf '%s\n' $list | xargs -P "$jobs" -n 1 sh "$top/tests/integration/run.sh" --one
rc=$?
if [ -s "$out/failed" ] || [ "$rc" != 0 ]; then
	echo "integration: FAILED: $(tr '\n' ' ' <"$out/failed" 2>/dev/null)(logs in ${out#$top/})" >&2
	exit 1
fi
echo "integration: $(echo $list | wc -w) tests passed in $(($(date +%s) - s0)) s ($jobs at a time)"
