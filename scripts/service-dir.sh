#!/bin/sh
# service-dir.sh DIR: gives a station directory (made by hsm-setup.sh) to the users of service
# mode (station/sandbox/privsep.h), idempotently. Needs root; as another user it does nothing.
#   DIR and everything in it (PIN files, token store, CA files, database): station-signer
#   DIR/profile.ini: root, 0644 (the signer refuses a policy the station could write)
#   DIR/labels: station (the board-facing process writes the labels)
#   DIR itself: 0755, so that the station can reach its profile, the CA certificate and labels
set -eu
dir=$1
[ "$(id -u)" = 0 ] || exit 0
# The directory belongs to station-signer after the first call: a link it planted must not make
# root chown or chmod something else (chown -R does not follow links; chmod would).
for f in "$dir/profile.ini" "$dir/labels"; do
	if [ -L "$f" ]; then
		echo "service-dir.sh: $f is a symbolic link; refusing (remove it and run again)" >&2
		exit 1
	fi
done
"$(dirname "$0")/users.sh"
mkdir -p "$dir/labels"
chown -R station-signer:station-signer "$dir"
chmod 755 "$dir"
if [ -f "$dir/profile.ini" ]; then
	chown root:root "$dir/profile.ini"
	chmod 644 "$dir/profile.ini"
fi
chown -R station:station "$dir/labels"
chmod 750 "$dir/labels"
