#!/bin/sh
# deps.sh: make sure the Debian 12 packages the build, the demo and the tests need are installed
# (the line of debhelper is for `make deb` and tests/package/: debhelper, lintian, man-page lint,
# systemd-analyze, udevadm; the last line for the fleet registry: its client library and the private
# PostgreSQL of scripts/pg-setup.sh).
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

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

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
echo "deps: done" >&2
