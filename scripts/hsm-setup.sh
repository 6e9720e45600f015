#!/bin/sh
# hsm-setup.sh DIR: the embedded-default HSM for a station under DIR (idempotent):
# DIR/softhsm2.conf (its own token directory; never the system token), random user and SO PINs
# in mode-600 files, and a token labelled 'station-demo' initialised through PKCS#11 by
# station-signer (so no PIN ever appears on a command line). Prints the SOFTHSM2_CONF to export.
set -eu
dir=$1
# station-signer: $BIN, else next to this script (installed: PREFIX/libexec/station/), else the
# build tree's
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${BIN:-}" ]; then
	bin=$BIN
elif [ -x "$here/station-signer" ]; then
	bin=$here
else
	bin=$(cd "$here/.." && pwd)/build/bin
fi
mkdir -p "$dir/tokens"
chmod 700 "$dir"
conf="$dir/softhsm2.conf"
if [ ! -f "$conf" ]; then
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$(cd "$dir" && pwd)" > "$conf"
fi
export SOFTHSM2_CONF="$conf"
umask 077
for f in hsm-user.pin hsm-so.pin; do
	# never through a link (in service mode the directory is station-signer's)
	if [ -L "$dir/$f" ]; then
		echo "hsm-setup.sh: $dir/$f is a symbolic link; refusing" >&2
		exit 1
	fi
	[ -s "$dir/$f" ] || { rm -f "$dir/$f"; (set -C; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$dir/$f"); }
done
"$bin/station-signer" token-init --profile "$dir/profile.ini" --so-pin-file "$dir/hsm-so.pin"
