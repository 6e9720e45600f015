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
# wait_file FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE (default 30 s); 1 on timeout
wait_file() {
	_w=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		_w=$((_w + 1))
		[ $_w -lt "${3:-300}" ] || return 1
		sleep 0.1
	done
}
cp "$top/scripts/demo-profile.ini" "$PROFILE"
# The usual umask, so that tests see the modes the station gives its files (a stricter one would
# hide a file the station leaves world-readable).
umask 022
export BIN
# Run as root, the other tests keep one uid (STATION_MODE=developer); service mode, with its two
# users and the sandbox, is test-privsep's.
[ "$(id -u)" != 0 ] || export STATION_MODE=developer
if [ "${STATION_HSM:-softhsm2}" = tpm ]; then
	# the second module: tpm2-pkcs11 on a private swtpm (stopped with the test)
	sed -i -e 's#^module = .*#module = /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so#' \
		-e 's#station-demo#station-tpm#g' "$PROFILE"
	trap 'TPM_STOP=1 "$top/scripts/tpm-setup.sh" "$T"; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
	"$top/scripts/tpm-setup.sh" "$T" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "tpm setup"; }
	. "$T/tpm.env"
else
	"$top/scripts/hsm-setup.sh" "$T" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "hsm setup"; }
	export SOFTHSM2_CONF="$T/softhsm2.conf"
fi
"$BIN/station" ca init --profile "$PROFILE" >"$T/ceremony.log" 2>&1 || { cat "$T/ceremony.log"; fail "ca init"; }
"$BIN/station" lot open --profile "$PROFILE" >"$T/lot-open.log" 2>&1 || { cat "$T/lot-open.log"; fail "lot open"; }
# stub N DIR -- station args...: boards behind emulated adapters, station as the child
stub() { n=$1; d=$2; shift 2; "$BIN/firmware-stub" sim --boards "$n" --dir "$d" "$@"; }
# A signer-driver session fed one command at a time, for tests that answer what the signer said
# (sign its LOOKUP challenge with a board's key): driver_open MODE; driver_do COMMAND... sets
# $out to the driver's one-line answer (call it in this shell, not in $(...)); driver_close ends
# the session (the driver's exit status).
driver_open() {
	: "${SIGNER_DRIVER:?SIGNER_DRIVER must point at the signer-driver test program}"
	rm -f "$T/drv.fifo"
	mkfifo "$T/drv.fifo"
	# made here: the driver opens it only after the fifo, which driver_do may beat (a load flake)
	: >"$T/drv.log"
	STATION_SIGNER="$BIN/station-signer" "$SIGNER_DRIVER" script "$PROFILE" "$1" \
		<"$T/drv.fifo" >"$T/drv.log" 2>"$T/drv.err" &
	drv_pid=$!
	exec 7>"$T/drv.fifo"
	drv_n=0
}
driver_do() {
	echo "$*" >&7
	drv_n=$((drv_n + 1))
	drv_w=0
	while [ "$(wc -l <"$T/drv.log")" -lt "$drv_n" ]; do
		drv_w=$((drv_w + 1))
		[ "$drv_w" -lt 1000 ] || { cat "$T/drv.log" "$T/drv.err" >&2; fail "signer-driver: no answer to '$*'"; }
		sleep 0.01
	done
	out=$(sed -n "${drv_n}p" "$T/drv.log")
}
driver_close() { exec 7>&-; wait "$drv_pid"; }
# challenge LINE: the challenge in the driver's answer to a lookup
challenge() { echo "$1" | sed -n 's/.* challenge=\([0-9a-f]*\) reason=.*/\1/p'; }
# tamper NAME SQL [RC [ARG...]]: SQL run on a fresh copy of $db (keys beside it, no checkpoint
# files); `station audit verify --db copy ARG...` must exit RC (default 7: verification failed).
# The copy, its output and errors stay in $T/case-NAME.
tamper() {
	t_name=$1
	d=$T/case-$1
	t_sql=$2
	t_want=${3:-7}
	shift 2
	[ $# = 0 ] || shift
	mkdir -p "$d"
	cp "$db" "$d/station.db"
	cp "$T/audit-key.pem" "$T/ca.pem" "$d/"
	sqlite3 "$d/station.db" "$t_sql" || fail "$t_name: sqlite3 refused the edit"
	rc=0
	"$BIN/station" audit verify --db "$d/station.db" "$@" >"$d/out" 2>"$d/err" || rc=$?
	[ "$rc" = "$t_want" ] || { cat "$d/out" "$d/err"; fail "$t_name: verify exited $rc, expected $t_want"; }
}
