#!/bin/sh
# Privilege separation and the sandbox against the simulated fixtures (station/privsep.h,
# station/sandbox.h, firmware-stub/host/sim-privsep.c). As root, with STATION_TEST_PRIVSEP=1,
# privsep-probe lists the fixtures (as station run does before it starts the signer), drops to
# the system user "station", enters the sandbox with the paths the station passes, lists the
# fixtures again and gets a HELLO from every board: serial adapters and USB bulk. Needs root
# (skipped otherwise) and the users of scripts/users.sh (created if missing).
set -eu
: "${BIN:?BIN must point at the bin directory of the build}"
: "${PRIVSEP_PROBE:?PRIVSEP_PROBE must point at the privsep-probe program}"
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP test-privsep: needs root (the station drops root only when started as root)"
	exit 0
fi
if ! getent passwd station >/dev/null || ! getent passwd station-signer >/dev/null; then
	"$top/scripts/users.sh"
fi
uid=$(id -u station)
T=$(mktemp -d /tmp/station-itest.XXXXXX)
trap 'rm -rf "$T"' EXIT

for kind in serial usb; do
	opt=""
	[ $kind = usb ] && opt=--usb
	rc=0
	STATION_TEST_PRIVSEP=1 "$BIN/firmware-stub" sim $opt --boards 3 --dir "$T/$kind" -- \
	    "$PRIVSEP_PROBE" --umockdev --list-first >"$T/$kind.out" 2>&1 || rc=$?
	[ $rc = 0 ] || { cat "$T/$kind.out"; fail "$kind: probe exited $rc"; }
	grep -q "^ids: uid $uid euid $uid " "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: did not drop"; }
	grep -q "^sandbox: success" "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: no sandbox"; }
	grep -q "^answered: 3 of 3$" "$T/$kind.out" || { cat "$T/$kind.out"; fail "$kind: boards"; }
	ok "$kind: as user station (uid $uid) in the sandbox, 3 boards listed and answered HELLO"
done

# Without the harness's help the dropped station cannot even list the fixtures.
rc=0
"$BIN/firmware-stub" sim --boards 1 --dir "$T/serial" -- "$PRIVSEP_PROBE" --umockdev \
    >"$T/closed.out" 2>&1 || rc=$?
[ $rc != 0 ] || { cat "$T/closed.out"; fail "a root-owned testbed was usable after the drop"; }
ok "without STATION_TEST_PRIVSEP the testbed stays root's"
echo "PASS test-privsep"
