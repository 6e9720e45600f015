#!/bin/sh
# users.sh: creates the two system users of privilege separation (station/sandbox/privsep.h), once.
#   station-signer  runs station-signer: holds the HSM PIN and session, writes the audit database
#   station         runs the board-facing station process after it drops root; member of dialout
#                   (USB-serial adapters) and plugdev (boards on USB bulk) when those groups exist
# Both: system accounts, own group, no home directory, no login shell. Idempotent: an existing
# user or group is left as it is (only the missing fixture groups are added to `station`).
# Needs root; run as another user it says so and exits 0 (a developer's `make install` into a
# private PREFIX has no use for these users: a station started without root keeps one uid).
#   scripts/users.sh --one NAME COMMENT   creates that one system user the same way (the private
#                                         PostgreSQL of scripts/pg-setup.sh runs as one)
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "users.sh: not root: no system users created (only a station started as root, as a" \
	    "service, needs them; run 'sudo scripts/users.sh' on the station PC)" >&2
	exit 0
fi

nologin=/usr/sbin/nologin
[ -x "$nologin" ] || nologin=/bin/false

mkuser() {
	u=$1
	comment=${2:-provisioning station ($u)}
	if ! getent group "$u" >/dev/null; then
		groupadd --system "$u"
		echo "users.sh: created system group $u" >&2
	fi
	if ! getent passwd "$u" >/dev/null; then
		useradd --system --gid "$u" --no-create-home --home-dir /nonexistent \
		    --shell "$nologin" --comment "$comment" "$u"
		echo "users.sh: created system user $u" >&2
	fi
}

if [ "${1:-}" = --one ]; then
	mkuser "$2" "$3"
	exit 0
fi
mkuser station-signer
mkuser station

for g in dialout plugdev; do
	getent group "$g" >/dev/null || continue
	if ! id -nG station | tr ' ' '\n' | grep -qx "$g"; then
		usermod -a -G "$g" station
		echo "users.sh: added station to group $g" >&2
	fi
done
