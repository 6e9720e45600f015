#!/bin/sh
# pg-setup.sh DIR: a private PostgreSQL cluster for the fleet registry's tests and demo (issue #15),
# idempotent: run it again and the running cluster is reused.
#   - the cluster in DIR/pg (initdb with Debian's postgresql 15: /usr/lib/postgresql/15/bin, or
#     PG_BIN), its log in DIR/pg.log;
#   - no TCP port at all (listen_addresses = ''): a Unix socket in DIR only, mode 700, so only the
#     cluster's user (and root) can connect; authentication is "trust" on that socket, which the
#     socket's mode makes private (a private test cluster, not how a production registry is run:
#     docs/fleet.md);
#   - a superuser "pgadmin" for set-up; the database "fleet" owned by "fleet_admin" (migrations:
#     `station-signer fleet-init`); "fleet", a station's login (group fleet_writer: may append,
#     never update, delete or own: it cannot switch the append-only triggers off), and
#     "fleet_audit", an auditor's (group fleet_reader: may read); none is a superuser;
#   - PostgreSQL refuses to run as root: run as root, the cluster runs as the system user
#     station-pg (created once, like scripts/users.sh), and DIR is given to its group (mode 770).
# Prints the libpq connection string on stdout ("host=DIR port=5432 dbname=fleet user=fleet";
# PG_ROLE=fleet_admin or fleet_audit: that role's),
# once the server accepts connections; says what went wrong, with the server log's tail, if not.
#   PG_STOP=1 pg-setup.sh DIR   stops this DIR's cluster (fast shutdown) and nothing else.
set -eu
[ $# = 1 ] || { echo "usage: pg-setup.sh DIR   (PG_STOP=1 to stop)" >&2; exit 2; }
die() { echo "pg-setup.sh: $*" >&2; exit 1; }
[ -d "$1" ] || die "$1 is not a directory"
dir=$(cd "$1" && pwd)
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
data=$dir/pg
port=5432
pguser=station-pg

# a Unix socket path holds at most 107 bytes (sun_path)
[ ${#dir} -le 90 ] || die "DIR '$dir' is too long for a Unix socket path (at most 90 characters)"
for c in initdb pg_ctl pg_isready psql; do
	[ -x "$pgbin/$c" ] || die "$pgbin/$c is missing; run scripts/deps.sh as root (package postgresql)"
done

# as_pg CMD...: CMD as the cluster's user (station-pg when we are root, else ourselves)
if [ "$(id -u)" = 0 ]; then
	as_pg() { (cd / && runuser -u "$pguser" -- "$@"); }
else
	as_pg() { "$@"; }
fi

if [ -n "${PG_STOP:-}" ]; then
	[ -f "$data/PG_VERSION" ] || exit 0
	if as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null ||
			die "the cluster in $data did not stop; see $dir/pg.log"
	fi
	exit 0
fi

if [ "$(id -u)" = 0 ]; then
	"$(dirname "$0")/users.sh" --one "$pguser" "private PostgreSQL of the station's tests"
	chgrp "$pguser" "$dir"
	chmod 770 "$dir"
	as_pg test -x "$dir" -a -w "$dir" ||
		die "$pguser cannot reach $dir (a parent directory is closed to it); use a DIR under /tmp"
fi

if [ ! -f "$data/PG_VERSION" ]; then
	rm -rf "$data"
	mkdir -m 700 "$data"
	[ "$(id -u)" != 0 ] || chown "$pguser:$pguser" "$data"
	# --no-sync: initdb's own files are not fsync'd (seconds on a busy machine); a test or demo
	# cluster caught by a power cut during initdb is made again (remove DIR/pg). The server runs
	# with fsync on.
	as_pg "$pgbin/initdb" -D "$data" --username=pgadmin --auth=trust --encoding=UTF8 --locale=C --no-sync \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# settings of this cluster, after the defaults initdb wrote (the last one wins)
	cat >>"$data/postgresql.conf" <<EOF
# pg-setup.sh: a private cluster, Unix socket only
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
fsync = on
EOF
fi

if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
	# the log file is the cluster user's: it appends to it
	[ -e "$dir/pg.log" ] || { : >"$dir/pg.log"; [ "$(id -u)" != 0 ] || chown "$pguser" "$dir/pg.log"; }
	as_pg "$pgbin/pg_ctl" -D "$data" -l "$dir/pg.log" -w -t 30 start >/dev/null 2>&1 || {
		tail -n 20 "$dir/pg.log" >&2
		die "the server in $data did not start (its log's tail above, in full: $dir/pg.log)"
	}
fi
i=0
until "$pgbin/pg_isready" -q -h "$dir" -p "$port" -d postgres -U pgadmin; do
	i=$((i + 1))
	if [ $i -ge 300 ]; then
		tail -n 20 "$dir/pg.log" >&2
		die "the server in $data does not accept connections on $dir after 30 s (its log's tail above)"
	fi
	sleep 0.1
done

# the registry's roles and database, once (docs/fleet.md "Roles"): fleet_admin owns the database
# and its schema (it migrates, and could disable triggers: the registry's administrator);
# fleet_writer and fleet_reader are the groups the migrations grant to (append, read); fleet is a
# station's login (a writer), fleet_audit an auditor's (a reader). Nobody but the owner (and the
# superuser pgadmin) may create objects.
psql_admin() { PGOPTIONS="-c client_min_messages=warning" "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U pgadmin "$@"; }
role() { # NAME ATTRIBUTES [GROUP]
	if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$1'")" != 1 ]; then
		psql_admin -d postgres -c "CREATE ROLE $1 $2 NOSUPERUSER NOCREATEDB NOCREATEROLE" ||
			die "cannot create the role $1"
	fi
	[ -z "${3:-}" ] || psql_admin -d postgres -c "GRANT $3 TO $1" >/dev/null || die "cannot add $1 to $3"
}
role fleet_admin LOGIN
role fleet_writer NOLOGIN
role fleet_reader NOLOGIN
role fleet LOGIN fleet_writer
role fleet_audit LOGIN fleet_reader
if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='fleet'")" != 1 ]; then
	psql_admin -d postgres -c "CREATE DATABASE fleet OWNER fleet_admin ENCODING 'UTF8' TEMPLATE template0" ||
		die "cannot create the database fleet"
fi
# (a cluster made by an earlier pg-setup.sh had fleet own everything: given to fleet_admin)
psql_admin -d fleet -c "ALTER DATABASE fleet OWNER TO fleet_admin; REASSIGN OWNED BY fleet TO fleet_admin;
	ALTER SCHEMA public OWNER TO fleet_admin; REVOKE ALL ON SCHEMA public FROM PUBLIC;
	GRANT USAGE ON SCHEMA public TO fleet_writer, fleet_reader" >/dev/null ||
	die "cannot restrict the database fleet"
# PG_ROLE=fleet_admin (or fleet_audit): the connection string of that role instead of a station's
echo "host=$dir port=$port dbname=fleet user=${PG_ROLE:-fleet}"
