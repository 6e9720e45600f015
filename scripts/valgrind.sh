#!/bin/sh
# valgrind.sh [N]: N (default 2) simulated boards provisioned with both the station and its
# signer under valgrind memcheck (definite leaks are errors), then `station audit verify` under
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
for f in "$T"/signer.*.log; do
	[ -s "$f" ] && { cat "$f"; echo "valgrind.sh: signer errors ($f)" >&2; exit 1; }
done
# shellcheck disable=SC2086
$VG "$BIN/station" audit verify --db "$T/station.db" || { echo "valgrind.sh: verify" >&2; exit 1; }
echo "valgrind.sh: station, signer and verifier clean"
