#!/bin/sh
# tpm-setup.sh DIR: the second PKCS#11 module, tpm2-pkcs11 on a software TPM (swtpm), for a
# station under DIR (idempotent; the same steps as a TPM-backed station PC, with swtpm standing in
# for the TPM chip):
#   - swtpm on Unix sockets in DIR (mode 600), state in DIR/tpm, PID in DIR/swtpm.pid; reused
#     when already running; the TPM's owner and lockout authorisations set to random values kept
#     in DIR/tpm-owner.auth and DIR/tpm-lockout.auth (mode 600);
#   - DIR/tpm.env: TPM2_PKCS11_TCTI and TPM2_PKCS11_STORE (the module's token store, DIR/tpm-store)
#     for whoever loads the module; source it;
#   - random user and SO PINs in mode-600 files (DIR/hsm-user.pin, DIR/hsm-so.pin), and a token
#     labelled as the profile's [hsm] token, initialised through PKCS#11 by station-signer;
#   - the password commitment key (HMAC-SHA-256), which tpm2-pkcs11 cannot generate through
#     PKCS#11 (C_GenerateKey is not implemented): made with the module's own tpm2_ptool, behind a
#     private tpm2-abrmd that is stopped again afterwards. `station ca init` then adopts it by URI.
# DIR/profile.ini must exist and name the module, token and commit_key. The PINs never appear on
# a command line: tpm2_ptool gets the user PIN inside its own process. tpm2_ptool itself, though,
# hands values derived from the PIN (the unseal authorisation of the token's wrapping key) to the
# tpm2-tools it runs, on their command lines, for the moments they run: make the key at the
# ceremony, with nobody else on the machine, or with /proc mounted hidepid=2 (a warning says so).
#   TPM_STOP=1 tpm-setup.sh DIR   stops this DIR's swtpm (by its PID file) and nothing else.
set -eu
dir=$(cd "$1" && pwd)
bin=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
die() { echo "tpm-setup.sh: $*" >&2; exit 1; }

# our_pid FILE: the PID in FILE when it is a live process whose command line names this DIR
our_pid() {
	[ -s "$1" ] || return 1
	p=$(cat "$1")
	case "$p" in '' | *[!0-9]*) return 1 ;; esac
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$dir/" || return 1
	echo "$p"
}
stop_pid() {
	p=$(our_pid "$1") || { rm -f "$1"; return 0; }
	kill "$p" 2>/dev/null || true
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null || true
	rm -f "$1"
}

if [ -n "${TPM_STOP:-}" ]; then
	# an orderly shutdown first: a TPM counts an unorderly one toward its lockout
	[ ! -f "$dir/tpm.env" ] || (. "$dir/tpm.env"; tpm2_shutdown >/dev/null 2>&1) || true
	stop_pid "$dir/swtpm.pid"
	exit 0
fi
for c in swtpm tpm2_flushcontext tpm2_getcap tpm2-abrmd dbus-daemon; do
	command -v "$c" >/dev/null 2>&1 || die "$c is missing; run scripts/deps.sh as root"
done
module=$(sed -n 's/^module *= *//p' "$dir/profile.ini")
[ -f "$module" ] || die "the profile's module '$module' is missing; run scripts/deps.sh as root"
umask 077
chmod 700 "$dir"
mkdir -p "$dir/tpm" "$dir/tpm-store"

if ! our_pid "$dir/swtpm.pid" >/dev/null; then
	rm -f "$dir/swtpm.pid" "$dir/swtpm.sock" "$dir/swtpm.sock.ctrl"
	# Unix sockets in this mode-700 directory, mode 600: no other local user reaches the TPM
	# (on TCP anyone could clear it, destroying every key)
	swtpm socket --tpm2 --tpmstate dir="$dir/tpm" \
		--server type=unixio,path="$dir/swtpm.sock",mode=0600 \
		--ctrl type=unixio,path="$dir/swtpm.sock.ctrl",mode=0600 \
		--flags not-need-init,startup-clear --pid file="$dir/swtpm.pid" \
		--log file="$dir/swtpm.log",level=1 --daemon || die "swtpm did not start; see $dir/swtpm.log"
fi
tcti="swtpm:path=$dir/swtpm.sock"
printf "export TPM2_PKCS11_TCTI='%s'\nexport TPM2_PKCS11_STORE='%s'\nexport TPM2TOOLS_TCTI='%s'\n" \
	"$tcti" "$dir/tpm-store" "$tcti" >"$dir/tpm.env"
. "$dir/tpm.env"
i=0
until tpm2_getcap properties-fixed >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || die "swtpm does not answer on $tcti; see $dir/swtpm.log"
	sleep 0.1
done

for f in hsm-user.pin hsm-so.pin; do
	[ ! -L "$dir/$f" ] || die "$dir/$f is a symbolic link; refusing"
	[ -s "$dir/$f" ] || { rm -f "$dir/$f"; (set -C; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/$f"); }
done
"$bin/station-signer" token-init --profile "$dir/profile.ini" --so-pin-file "$dir/hsm-so.pin" >"$dir/token-init.log" 2>&1 ||
	{ cat "$dir/token-init.log" >&2; die "token-init failed"; }
# tpm2-pkcs11 1.9 leaves a new token's primary key loaded (a transient copy of the persistent
# 0x81000001); with no resource manager in front of the TPM that slot would stay taken.
tpm2_flushcontext -t >/dev/null 2>&1 || true

token=$(sed -n 's/^token *= *pkcs11:token=//p' "$dir/profile.ini")
commit=$(sed -n 's/^commit_key *= *//p' "$dir/profile.ini")
klabel=$(echo "$commit" | sed -n 's/.*object=\([^;]*\).*/\1/p')
[ -n "$token" ] && [ -n "$klabel" ] || die "the profile needs [hsm] token = pkcs11:token=LABEL and commit_key with object=LABEL"
if [ ! -f "$dir/tpm-store/commit-key.made" ]; then
	# tpm2_ptool drives tpm2-tools, which leak TPM objects: it needs a resource manager. A private
	# D-Bus bus and tpm2-abrmd, both stopped (by PID) when the key is made.
	trap 'stop_pid "$dir/abrmd.pid"; stop_pid "$dir/dbus.pid"; rm -f "$dir/dbus.sock"' EXIT
	dbus-daemon --config-file=/usr/share/dbus-1/session.conf --address="unix:path=$dir/dbus.sock" \
		--nofork --nopidfile --print-pid=1 >"$dir/dbus.pid.tmp" 2>"$dir/dbus.log" &
	i=0
	while [ ! -S "$dir/dbus.sock" ]; do i=$((i + 1)); [ $i -lt 50 ] || die "dbus-daemon did not start"; sleep 0.1; done
	echo $! >"$dir/dbus.pid"
	DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/dbus.sock" tpm2-abrmd --session --allow-root --flush-all \
		--tcti="$tcti" >"$dir/abrmd.log" 2>&1 &
	echo $! >"$dir/abrmd.pid"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/dbus.sock"
	i=0
	until TPM2TOOLS_TCTI=tabrmd:bus_type=session tpm2_getcap handles-persistent >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "tpm2-abrmd did not come up: $(cat "$dir/abrmd.log")"
		sleep 0.1
	done
	grep -q "^proc /proc proc .*hidepid=\(2\|invisible\)" /proc/mounts ||
		echo "tpm-setup.sh: warning: tpm2_ptool puts PIN-derived values on tpm2-tools' command lines" \
			"for a moment; /proc is not mounted hidepid=2, so other local users could read them" >&2
	# the user PIN is read inside tpm2_ptool's own process: never on its command line
	TPM2TOOLS_TCTI=tabrmd:bus_type=session PTOOL_PIN_FILE="$dir/hsm-user.pin" /usr/bin/python3 - \
		"$token" "$klabel" "$dir/tpm-store" >"$dir/addkey.log" 2>&1 <<'EOF' ||
import os, sys
from importlib.metadata import entry_points
token, label, store = sys.argv[1:4]
with open(os.environ.pop("PTOOL_PIN_FILE")) as f:
    pin = f.readline().strip()
sys.argv = ["tpm2_ptool", "addkey", "--label", token, "--key-label", label, "--id", "03",
            "--algorithm", "hmac:sha256", "--path", store, "--userpin", pin]
ep = [e for e in entry_points(group="console_scripts") if e.name == "tpm2_ptool"][0]
sys.exit(ep.load()())
EOF
		{ cat "$dir/addkey.log" >&2; die "tpm2_ptool addkey failed"; }
	stop_pid "$dir/abrmd.pid"
	stop_pid "$dir/dbus.pid"
	rm -f "$dir/dbus.sock" "$dir/dbus.pid.tmp"
	trap - EXIT
	tpm2_flushcontext -t >/dev/null 2>&1 || true
	tpm2_flushcontext -l >/dev/null 2>&1 || true
	echo "$klabel" >"$dir/tpm-store/commit-key.made"
	echo "tpm-setup.sh: HMAC-SHA-256 key '$klabel' made with tpm2_ptool in token '$token'"
fi
# The TPM's owner and lockout authorisations: random, mode 600, so nobody without them can clear
# the TPM (destroying the keys) or reset its dictionary-attack lockout. A fresh TPM has empty ones;
# set last: the token and its keys are made under the owner hierarchy.
for h in owner lockout; do
	[ -s "$dir/tpm-$h.auth" ] && continue
	rm -f "$dir/tpm-$h.auth"
	(set -C; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/tpm-$h.auth")
	tpm2_changeauth -c "$h" "file:$dir/tpm-$h.auth" >/dev/null 2>&1 ||
		die "cannot set the TPM's $h authorisation (was it set before? keep $dir/tpm-$h.auth)"
done
echo "tpm-setup.sh: swtpm on $tcti (PID $(cat "$dir/swtpm.pid")); source $dir/tpm.env"
