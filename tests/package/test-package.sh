#!/bin/sh
# The Debian package (issue #13), as `make deb` built it ($DEB): its control fields and
# dependencies, its contents (programs, every man page, docs, example profile, unit, udev rules,
# logrotate conffile), its maintainer script, a program run from the unpacked package, and
# lintian: no error (E:); warnings are printed.
set -eu
: "${DEB:?DEB must point at the package made by make deb}"
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
T=$(mktemp -d /tmp/station-ptest.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
[ -f "$DEB" ] || fail "no package $DEB (make deb)"

version=$(sed -n 's/^#define STATION_VERSION "\(.*\)"$/\1/p' "$top/station/common/version.h")
[ "$(dpkg-deb -f "$DEB" Package)" = factory-station ] || fail "package name"
[ "$(dpkg-deb -f "$DEB" Version)" = "$version" ] ||
	fail "package version $(dpkg-deb -f "$DEB" Version), station $version: update scripts/debian/changelog"
deps=$(dpkg-deb -f "$DEB" Depends)
for d in libc6 libssl3 libsqlite3-0 libusb-1.0-0 libserialport0 libseccomp2 passwd; do
	case ", $deps," in *", $d "*|*", $d,"*) ;; *) fail "Depends lacks $d: $deps" ;; esac
done
ok "factory-station $version, Depends from shlibs: $(echo "$deps" | tr -d ' ' | tr ',' '\n' | sed 's/(.*//' | tr '\n' ' ')"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
want() { grep -qx "$1" "$T/contents" || fail "the package lacks $1"; }
for f in /usr/bin/station /usr/bin/firmware-stub /usr/libexec/station/station-signer \
    /usr/libexec/station/users.sh /usr/libexec/station/service-dir.sh /usr/libexec/station/hsm-setup.sh \
    /lib/systemd/system/station@.service /lib/udev/rules.d/70-factory-station.rules \
    /etc/logrotate.d/factory-station /usr/share/doc/factory-station/copyright \
    /usr/share/doc/factory-station/changelog.gz /usr/share/doc/factory-station/examples/profile.ini \
    /usr/share/doc/factory-station/examples/station.env /var/lib/station/; do
	want "$f"
done
for f in "$top"/docs/*.md "$top/README.md"; do want "/usr/share/doc/factory-station/$(basename "$f")"; done
for f in "$top"/docs/man/*.1; do want "/usr/share/man/man1/$(basename "$f").gz"; done
! grep -q '^/usr/share/doc/factory-station/LICENSE$' "$T/contents" || fail "LICENSE next to copyright"
dpkg-deb -e "$DEB" "$T/control"
grep -qx /etc/logrotate.d/factory-station "$T/control/conffiles" || fail "logrotate file is not a conffile"
sh -n "$T/control/postinst" || fail "postinst: syntax"
grep -q '^	/usr/libexec/station/users.sh$' "$T/control/postinst" || fail "postinst does not make the users"
ok "contents: $(wc -l <"$T/contents") entries: programs, $(ls "$top"/docs/man/*.1 | wc -l) man pages, docs, example profile, unit, udev rules, logrotate (conffile); postinst makes the users"

dpkg-deb -x "$DEB" "$T/x"
"$T/x/usr/bin/station" --version >"$T/version" || fail "the packaged station does not run"
head -n 1 "$T/version" | grep -q "^station $version (git [^)]*)$" || fail "packaged version: $(head -n 1 "$T/version")"
! grep -q '(git unknown)' "$T/version" || ! [ -e "$top/.git" ] || fail "the package lost the git revision"
ok "the packaged station runs: $(head -n 1 "$T/version")"

# lintian (as root it says so on stderr; that line is not a finding)
rc=0
lintian --fail-on error "$DEB" >"$T/lintian" 2>"$T/lintian.err" || rc=$?
grep -v 'running with root privileges' "$T/lintian.err" >&2 || true
sed 's/^/    /' "$T/lintian"
! grep -q '^E:' "$T/lintian" || fail "lintian reports errors"
[ "$rc" = 0 ] || fail "lintian exited $rc"
ok "lintian: no error ($(grep -c '^W:' "$T/lintian" || true) warnings, $(grep -c '^[IPXO]:' "$T/lintian" || true) other tags)"
