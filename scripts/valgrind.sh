#!/bin/sh
# valgrind.sh [N]: N (default 2) simulated boards provisioned with both the station and its
# signer under valgrind memcheck (definite leaks are errors), checked again with `station verify`,
# then `station line` with two fixtures until SIGTERM, then `station audit verify` under
# valgrind. Suppressions (tests/valgrind.supp) cover only the umockdev test harness and a
# SoftHSM2 leak. Exits non-zero on any valgrind error. Run `make all` first.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
command -v valgrind >/dev/null || { echo "valgrind.sh: install valgrind (apt-get install valgrind)" >&2; exit 2; }
T=$(mktemp -d /tmp/station-valgrind.XXXXXX)
trap 'rm -rf "$T"' EXIT
# Memory checking, not the trust boundary: as root keep one uid (service mode is test-privsep's).
export STATION_MODE=developer
VG="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$top/tests/valgrind.supp"
cp "$top/scripts/demo-profile.ini" "$T/profile.ini"
"$top/scripts/hsm-setup.sh" "$T" >/dev/null
export SOFTHSM2_CONF="$T/softhsm2.conf"
"$BIN/station" ca init --profile "$T/profile.ini" >/dev/null 2>&1
"$BIN/station" lot open --profile "$T/profile.ini" >/dev/null
printf '#!/bin/sh\nexec %s --log-file=%s/signer.%%p.log %s "$@"\n' "$VG" "$T" "$BIN/station-signer" >"$T/signer"
chmod +x "$T/signer"
rc=0
# shellcheck disable=SC2086
STATION_SIGNER="$T/signer" "$BIN/firmware-stub" sim --boards "${1:-2}" --dir "$T/boards" -- \
	$VG "$BIN/station" run --profile "$T/profile.ini" >"$T/run.out" 2>"$T/run.err" || rc=$?
cat "$T/run.out"
if [ "$rc" != 0 ] || grep -q "==[0-9]*==" "$T/run.err"; then
	cat "$T/run.err"; echo "valgrind.sh: station run: exit $rc" >&2; exit 1
fi
# The same boards again: `station verify` (DONE); then `station line` with two fresh boards
# until SIGTERM.
rc=0
# shellcheck disable=SC2086
STATION_SIGNER="$T/signer" "$BIN/firmware-stub" sim --boards "${1:-2}" --dir "$T/boards" -- \
	$VG "$BIN/station" verify --profile "$T/profile.ini" >"$T/verify.out" 2>"$T/verify.err" || rc=$?
if [ "$rc" != 0 ] || grep -q "==[0-9]*==" "$T/verify.err"; then
	cat "$T/verify.out" "$T/verify.err"; echo "valgrind.sh: station verify: exit $rc" >&2; exit 1
fi
mkdir -p "$T/slots"
echo "board b0" >"$T/slots/slot-0"
echo "board fresh" >"$T/slots/slot-1"
# shellcheck disable=SC2086
STATION_SIGNER="$T/signer" "$BIN/firmware-stub" sim --boards 2 --slots "$T/slots" --dir "$T/line" -- \
	$VG "$BIN/station" line --profile "$T/profile.ini" --json >"$T/line.json" 2>"$T/line.err" &
pid=$!
i=0
while [ "$(grep -c '"event":"result"' "$T/line.json" || true)" -lt 2 ] && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [ "$rc" != 0 ] || grep -q "==[0-9]*==" "$T/line.err" || [ "$(grep -c '"result":"PASS"' "$T/line.json")" != 2 ]; then
	cat "$T/line.json" "$T/line.err"; echo "valgrind.sh: station line: exit $rc" >&2; exit 1
fi
for f in "$T"/signer.*.log; do
	[ -s "$f" ] && { cat "$f"; echo "valgrind.sh: signer errors ($f)" >&2; exit 1; }
done
# shellcheck disable=SC2086
$VG "$BIN/station" audit verify --db "$T/station.db" || { echo "valgrind.sh: verify" >&2; exit 1; }
echo "valgrind.sh: station (run, verify, line), signer and verifier clean"
