# lib.sh: shared set-up for integration tests: a private station directory with its own
# SoftHSM2 token, CA and database (real components, nothing mocked). Source it; it defines
#   T (the directory), PROFILE, fail(), ok(), station(), stub()
set -eu
: "${BIN:?BIN must point at the build's bin directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/station-itest.XXXXXX)
PROFILE=$T/profile.ini
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
cp "$top/scripts/demo-profile.ini" "$PROFILE"
export BIN
# Run as root, the other tests keep one uid (STATION_MODE=developer); service mode, with its two
# users and the sandbox, is test-privsep's.
[ "$(id -u)" != 0 ] || export STATION_MODE=developer
"$top/scripts/hsm-setup.sh" "$T" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "hsm setup"; }
export SOFTHSM2_CONF="$T/softhsm2.conf"
"$BIN/station" ca init --profile "$PROFILE" >"$T/ceremony.log" 2>&1 || { cat "$T/ceremony.log"; fail "ca init"; }
"$BIN/station" lot open --profile "$PROFILE" >"$T/lot-open.log" 2>&1 || { cat "$T/lot-open.log"; fail "lot open"; }
# stub N DIR -- station args...: boards behind emulated adapters, station as the child
stub() { n=$1; d=$2; shift 2; "$BIN/firmware-stub" sim --boards "$n" --dir "$d" "$@"; }
