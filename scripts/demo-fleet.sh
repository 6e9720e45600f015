#!/bin/sh
# demo-fleet.sh: `make demo-fleet` (issue #15, docs/fleet.md): two stations, each with its own
# SoftHSM2 token, CA and record under var/demo-fleet/, provisioning simulated boards over TCP
# fixtures against one private PostgreSQL fleet registry (scripts/pg-setup.sh, Unix socket only,
# in /tmp/station-demo-fleet: the cluster's user must reach it). Then the forwarders' last
# shipment and the fleet as the registry holds it. Run it again: same stations, new boards. The
# registry keeps running: PG_STOP=1 scripts/pg-setup.sh /tmp/station-demo-fleet stops it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
DEMO=${DEMO_DIR:-$top/var/demo-fleet}
PGDIR=${DEMO_PG_DIR:-/tmp/station-demo-fleet}
BOARDS=${DEMO_BOARDS:-3}
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "demo-fleet: needs PostgreSQL 15 (scripts/deps.sh installs it)" >&2; exit 1; }
# one user for station and signer (the service-mode split is `make demo`'s)
[ "$(id -u)" != 0 ] || export STATION_MODE=developer
mkdir -p "$DEMO" "$PGDIR"

echo "== the fleet registry (private PostgreSQL in $PGDIR)"
PG_ROLE=fleet_admin "$top/scripts/pg-setup.sh" "$PGDIR" >"$DEMO/admin.conn"
chmod 600 "$DEMO/admin.conn"
conn=$("$top/scripts/pg-setup.sh" "$PGDIR")
"$BIN/station-signer" fleet-init --registry-file "$DEMO/admin.conn"

for id in line-1 line-2; do
	d=$DEMO/$id
	mkdir -p "$d/boards"
	if [ ! -f "$d/profile.ini" ]; then
		sed -e "s/^id = .*/id = $id/" -e "s/^lot = .*/lot = LOT-FLEET-DEMO/" \
			"$top/scripts/demo-profile.ini" >"$d/profile.ini"
		printf '\n[fleet]\nregistry = %s\nserial_block = 10\nquota_lease = 5\n' "$conn" >>"$d/profile.ini"
	fi
	echo "== $id: token, CA, lot (idempotent)"
	"$top/scripts/hsm-setup.sh" "$d" >"$d/setup.log"
	SOFTHSM2_CONF=$d/softhsm2.conf "$BIN/station" ca init --profile "$d/profile.ini" >"$d/ca.log"
	SOFTHSM2_CONF=$d/softhsm2.conf "$BIN/station" lot open --profile "$d/profile.ini" >"$d/lot.log"
done

base=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
echo "== line-1 and line-2 provision $BOARDS boards each, at the same time"
pids=
for id in line-1 line-2; do
	d=$DEMO/$id
	p=$base
	[ "$id" = line-1 ] || p=$((base + 300))
	(SOFTHSM2_CONF=$d/softhsm2.conf "$BIN/firmware-stub" serve --boards "$BOARDS" --listen "127.0.0.1:$p" \
		--dir "$d/boards/run-$$" -- "$BIN/station" run --profile "$d/profile.ini" \
		--port "tcp:127.0.0.1:$p-$((p + BOARDS - 1))" 2>&1 | sed "s/^/[$id] /") &
	pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done

echo "== the forwarders' last shipment"
for id in line-1 line-2; do
	SOFTHSM2_CONF=$DEMO/$id/softhsm2.conf "$BIN/station-signer" forward --profile "$DEMO/$id/profile.ini" --once
done
echo "== the fleet, as the registry holds it"
if "$BIN/station" fleet --help >/dev/null 2>&1; then
	"$BIN/station" fleet status --registry "$conn"
else
	/usr/lib/postgresql/15/bin/psql -X -q "$conn" -c "SELECT station_id, count(*) AS entries,
		count(*) FILTER (WHERE kind = 'board.pass') AS devices FROM entries GROUP BY 1 ORDER BY 1"
fi
echo "registry: $conn   (stop it: PG_STOP=1 scripts/pg-setup.sh $PGDIR)"
exit $rc
