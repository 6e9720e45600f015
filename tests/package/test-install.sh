#!/bin/sh
# `make install` like a product (issue #13), staged as an ordinary package build does it:
# make install DESTDIR=... PREFIX=/usr puts programs, man pages, docs, the example profile, the
# systemd unit, the udev rules and the logrotate file where Debian 12 looks for them. The unit
# passes `systemd-analyze verify` (its man pages found in the staged tree) and keeps its
# hardening; as root, the udev rules give an emulated adapter its fixture name and group, and a
# provisioning run works in service mode under the unit's capability bounding set and
# no_new_privs.
set -eu
: "${BIN:?BIN must point at the build's bin directory}"
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
T=$(mktemp -d /tmp/station-ptest.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
D=$T/root

# As root, the staged install runs as nobody, on a copy of the tree and its release build (an
# ordinary user builds and stages a package): nothing in it may need root.
src=$top
as=""
if [ "$(id -u)" = 0 ]; then
	src=$T/src
	mkdir -p "$src" "$D"
	(cd "$top" && tar -cf - --exclude=./build --exclude=./var --exclude=./.git . &&
	    tar -cf - --exclude=build/release/tests --exclude=build/release/replay \
	    --exclude=build/release/freestanding build/release build/bin) | tar -C "$src" -xif -
	chown -R nobody "$src" "$D"
	chmod 755 "$T"
	as="setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=$T"
fi
rev=$(sed -n 's/^#define STATION_GIT_REV "\(.*\)"$/\1/p' "$top/build/release/gen/git-rev.h")
$as make -s -C "$src" install DESTDIR="$D" PREFIX=/usr GIT_REV="$rev" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install DESTDIR=... PREFIX=/usr${as:+ as nobody}"; }
for f in usr/bin/station usr/bin/firmware-stub usr/libexec/station/station-signer \
    usr/libexec/station/users.sh usr/libexec/station/service-dir.sh usr/libexec/station/hsm-setup.sh; do
	[ -f "$D/$f" ] && [ "$(stat -c %a "$D/$f")" = 755 ] || fail "$f missing or not mode 755"
done
for f in $(cd "$top/docs/man" && ls *.1) ; do
	[ -f "$D/usr/share/man/man1/$f" ] || fail "man page $f not installed"
done
for f in README.md operator-guide.md scripting-guide.md auditor-guide.md examples/profile.ini \
    examples/station.env; do
	[ -f "$D/usr/share/doc/factory-station/$f" ] || fail "doc $f not installed"
done
for f in lib/systemd/system/station@.service lib/udev/rules.d/70-factory-station.rules \
    etc/logrotate.d/factory-station; do
	[ -f "$D/$f" ] && [ "$(stat -c %a "$D/$f")" = 644 ] || fail "$f missing or not mode 644"
done
[ -d "$D/var/lib/station" ] || fail "/var/lib/station not made"
unit=$D/lib/systemd/system/station@.service
! grep -n '@[A-Z]*@' "$unit" || fail "the unit keeps a placeholder"
grep -q '^ExecStart=/usr/bin/station line ' "$unit" || fail "ExecStart is not /usr/bin/station line"
"$D/usr/bin/station" --version | grep -q '^station ' || fail "the installed station does not run"
ok "make install DESTDIR PREFIX=/usr (as $(if [ -n "$as" ]; then echo nobody; else id -un; fi)): programs, $(ls "$D/usr/share/man/man1" | wc -l) man pages, docs, example profile, unit, udev rules, logrotate"

# systemd-analyze verify: on the staged unit, the program path pointed into the stage and the
# man pages of Documentation= looked up there. Any output is a finding.
mkdir -p "$T/unit"
sed "s|^ExecStart=/usr/bin/|ExecStart=$D/usr/bin/|" "$unit" >"$T/unit/station@.service"
out=$(cd "$T/unit" && MANPATH=$D/usr/share/man systemd-analyze verify ./station@.service ./station@th2.service 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
for k in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes ProtectHome=yes DevicePolicy=closed \
    'CapabilityBoundingSet=CAP_SETUID CAP_SETGID' KillMode=mixed RestrictSUIDSGID=yes \
    ProtectKernelTunables=yes ProtectKernelModules=yes SystemCallArchitectures=native; do
	grep -qx "$k" "$unit" || fail "the unit lost $k"
done
grep -q '^SystemCallFilter=@system-service .*landlock_restrict_self.*seccomp' "$unit" ||
	fail "SystemCallFilter does not let the station build its own sandbox"
score=$(cd "$T/unit" && systemd-analyze security --offline=yes ./station@.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
if [ -n "$score" ]; then
	awk "BEGIN { exit !($score <= 3.0) }" || fail "systemd-analyze security: exposure $score > 3.0"
	ok "systemd-analyze verify: clean (station@.service, station@th2.service); exposure $score"
else
	ok "systemd-analyze verify: clean (station@.service, station@th2.service)"
fi

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "  skip: udev rules and the unit's capability set (need root and mount namespaces)"
	exit 0
fi

# udevadm test on an emulated FTDI adapter (firmware-stub sim), with the rules in a private /run
# and a private /dev (udevadm test makes the links it reports).
cat >"$T/udevtest.sh" <<'EOS'
set -e
mount -t tmpfs none /run
mkdir -p /run/udev/rules.d
cp "$1" /run/udev/rules.d/
mount -t tmpfs none /dev
udevadm test --action=add "$2" 2>&1
EOS
"$BIN/firmware-stub" sim --boards 1 --dir "$T/udev-boards" -- unshare -m --propagation private \
    sh "$T/udevtest.sh" "$D/lib/udev/rules.d/70-factory-station.rules" /sys/class/tty/ttyUSB0 \
    >"$T/udev.log" 2>&1 || { cat "$T/udev.log"; fail "udevadm test"; }
! grep '70-factory-station.rules:[0-9]* [A-Z]' "$T/udev.log" | grep -v ' \(GROUP\|MODE\|LINK\) ' ||
	fail "udevadm reports a problem in the rules"
dialout=$(getent group dialout | cut -d: -f3)
for want in "GROUP $dialout" "MODE 0660" "LINK 'station/fixture-1-1.1'"; do
	grep -q "70-factory-station.rules:[0-9]* $want" "$T/udev.log" || { cat "$T/udev.log"; fail "udev: no $want"; }
done
ok "udev: the adapter at USB position 1-1.1 is /dev/station/fixture-1-1.1, group dialout, 0660"

# Service mode under the unit's CapabilityBoundingSet and NoNewPrivileges (setpriv), as a
# provisioning run of one board: root needs no more than those capabilities to start the signer
# as station-signer and drop to station. The test harness adds CAP_DAC_READ_SEARCH: its testbed
# is a 0700 directory of the station user, which root lists before the drop (a line PC's /sys
# is world-readable).
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
S=$T/svc
mkdir -p "$S" && chmod 755 "$T"
cp "$top/scripts/demo-profile.ini" "$S/profile.ini"
"$D/usr/libexec/station/hsm-setup.sh" "$S" >"$T/svc.log" 2>&1 || { cat "$T/svc.log"; fail "hsm-setup.sh (installed)"; }
"$D/usr/libexec/station/service-dir.sh" "$S" >>"$T/svc.log" 2>&1 || { cat "$T/svc.log"; fail "service-dir.sh (installed)"; }
export SOFTHSM2_CONF=$S/softhsm2.conf
confined() { setpriv --bounding-set=-all,$caps --inh-caps=-all --no-new-privs "$D/usr/bin/station" "$@"; }
confined ca init --profile "$S/profile.ini" >>"$T/svc.log" 2>&1 || { cat "$T/svc.log"; fail "ca init"; }
confined lot open --profile "$S/profile.ini" >>"$T/svc.log" 2>&1 || { cat "$T/svc.log"; fail "lot open"; }
STATION_TEST_PRIVSEP=1 "$BIN/firmware-stub" sim --boards 1 --dir "$T/svc-boards" -- \
    setpriv --bounding-set=-all,$caps,+dac_read_search --inh-caps=-all --no-new-privs \
    "$D/usr/bin/station" run --profile "$S/profile.ini" --json >"$T/svc.json" 2>"$T/svc.err" ||
	{ cat "$T/svc.json" "$T/svc.err"; fail "station run under the unit's capabilities"; }
grep -q '^station: service: .*sandboxed' "$T/svc.err" || { cat "$T/svc.err"; fail "not in service mode"; }
[ "$(jq -r 'select(.event == "result") | .result' "$T/svc.json")" = PASS ] || fail "the board did not pass"
ok "service mode under CapabilityBoundingSet=$(echo "$caps" | tr -d +) + no_new_privs: signer and sandbox up, PASS"
