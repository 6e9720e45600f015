#!/bin/sh
# deps.sh: make sure the Debian 12 packages the build, the demo and the tests need are installed
# (the line of debhelper is for `make deb` and tests/package/: debhelper, lintian, man-page lint,
# systemd-analyze, udevadm; the last line for the fleet registry: its client library and the private
# PostgreSQL of scripts/pg-setup.sh).
# OPT_PKGS are for the mps2-an386 reference port (make port-qemu, tests/integration/test-qemu-port.sh):
# optional: when they cannot be installed this says so and goes on (the build and the other tests
# do not need them; the port target and its test then skip with a message).
# Idempotent and silent when everything is present. Installs what is missing when run as root,
# otherwise says exactly what to run. Only Debian's package archive is contacted.
set -eu

PKGS="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3 libserialport-dev
libusb-1.0-0-dev softhsm2 umockdev libumockdev-dev libcmocka-dev libinih-dev libjansson-dev
libqrencode-dev libp11-kit-dev libseccomp-dev libncurses-dev tmux procps jq
opensc libengine-pkcs11-openssl swtpm swtpm-tools tpm2-tools libtpm2-pkcs11-1 libtpm2-pkcs11-tools
libtss2-tcti-swtpm0 tpm2-abrmd libtss2-tcti-tabrmd0 dbus iproute2
debhelper lintian mandoc groff-base systemd udev
libcairo2-dev libfreetype-dev fonts-dejavu-core libcups2-dev zbar-tools python3 faketime
postgresql libpq-dev"

OPT_PKGS="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"

absent() {
	for p in "$@"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*"install ok installed"*) ;;
		*) printf ' %s' "$p" ;;
		esac
	done
}
missing=$(absent $PKGS)
opt_missing=$(absent $OPT_PKGS)
[ -z "$missing" ] && [ -z "$opt_missing" ] && exit 0

# The optional group: tried after the required one, never an error.
opt_install() {
	[ -n "$opt_missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: optional (mps2-an386 port under QEMU) not installed:$opt_missing;" \
			"sudo apt-get install -y$opt_missing" >&2
		return 0
	fi
	echo "deps: installing$opt_missing (optional: the QEMU reference port)" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $opt_missing >>/tmp/station-deps.log 2>&1 ||
		{ apt-get update -qq >>/tmp/station-deps.log 2>&1 &&
		apt-get install -y -qq --no-install-recommends $opt_missing >>/tmp/station-deps.log 2>&1; } ||
		echo "deps: the optional packages did not install (see /tmp/station-deps.log); make port-qemu" \
			"and test-qemu-port will skip" >&2
}
if [ -z "$missing" ]; then
	opt_install
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them with:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing (from Debian's archive)" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have empty package lists; update once, quietly.
if ! apt-get install -y -qq $missing >/tmp/station-deps.log 2>&1; then
	apt-get update -qq >>/tmp/station-deps.log 2>&1
	apt-get install -y -qq $missing >>/tmp/station-deps.log 2>&1 || {
		echo "deps: apt-get install failed; see /tmp/station-deps.log" >&2
		exit 1
	}
fi
opt_install
echo "deps: done" >&2
