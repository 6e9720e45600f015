#!/bin/sh
# bench-fleet.sh: load figures of the fleet registry (issue #15, docs/fleet.md "Measured"), run by
# hand (not in make test: its timings depend on the machine). Needs a build (make, and
# build/release/tests/fleet-driver: make build/release/tests/fleet-driver) and PostgreSQL 15.
#   1. ingest: synthetic stations (fleet-driver synth: valid leaves, checkpoints signed with a
#      software Ed25519 key registered in station_keys, batches of 1000 through
#      fleet_ingest_batch) into a private cluster (scripts/pg-setup.sh): 1, 2 and 4 stations in
#      parallel, RATE_DEV devices each (5 entries per device); entries/s;
#   2. `station fleet verify` against that registry (time, peak RSS), then after growing it by
#      GROW_DEV devices (2 loaders in parallel); `station fleet export --format bundle` and
#      `verify --from` of it;
#   3. `station fleet verify --from` of exports written straight in the export layout (fleet-driver
#      synth-export: 10 stations) of EXPORT_DEVICES devices each size: how time and memory grow to
#      a million devices without hours of ingest;
#   4. `station fleet verify` against a registry of BULK_DEVICES devices (0: skipped), its rows
#      bulk-loaded from such an export by the cluster's superuser with session_replication_role =
#      replica (the tables' triggers and foreign keys skipped, their CHECKs kept: the leaf check
#      runs on every entry), in a database of its own: the registry-side figure at a size the
#      ingest path cannot reach in minutes.
# RATE_DEV=0 skips 1 and 2, EXPORT_DEVICES="" skips 3.
# Everything runs under nice -n 10. Prints one line per figure; nothing is written to the tree.
#   RATE_DEV=2000 GROW_DEV=40000 EXPORT_DEVICES="100000 300000 1000000" BULK_DEVICES=0 \
#     scripts/bench-fleet.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
DRV=${FLEET_DRIVER:-$top/build/release/tests/fleet-driver}
RATE_DEV=${RATE_DEV:-2000}
GROW_DEV=${GROW_DEV:-40000}
EXPORT_DEVICES=${EXPORT_DEVICES-"100000 300000 1000000"}
BULK_DEVICES=${BULK_DEVICES:-0}
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
for x in "$BIN/station" "$DRV"; do [ -x "$x" ] || { echo "bench-fleet.sh: build $x first" >&2; exit 2; }; done
T=$(mktemp -d /tmp/station-benchfleet.XXXXXX)
trap 'PG_STOP=1 "$top/scripts/pg-setup.sh" "$T" >/dev/null 2>&1 || :; rm -rf "$T"' EXIT
conn=$("$top/scripts/pg-setup.sh" "$T")
admin=$(PG_ROLE=fleet_admin "$top/scripts/pg-setup.sh" "$T")
audit=$(PG_ROLE=fleet_audit "$top/scripts/pg-setup.sh" "$T")
N="nice -n 10"
now() { date +%s.%N; }
# measure LABEL CMD...: wall seconds and peak RSS of one command
measure() {
	label=$1
	shift
	$N /usr/bin/time -f "%e %M" -o "$T/time" "$@" >"$T/out" 2>"$T/err" || {
		rc=$?
		[ "$rc" = 10 ] || { cat "$T/out" "$T/err"; echo "bench-fleet.sh: $label failed ($rc)" >&2; exit 1; }
	}
	set -- $(tail -n 1 "$T/time")
	echo "$label: $1 s, peak RSS $(($2 / 1024)) MiB; $(tail -n 1 "$T/out")"
}

echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
"$DRV" open "$admin" >/dev/null # the schema, made by its owner
s=0
[ "$RATE_DEV" -gt 0 ] || GROW_DEV=0
for p in 1 2 4; do
	[ "$RATE_DEV" -gt 0 ] || break
	t0=$(now)
	i=0
	while [ $i -lt $p ]; do
		$N "$DRV" synth "$conn" "rate-$p-$i" $((s * RATE_DEV)) "$RATE_DEV" 1000 "$T/key.pem" >"$T/synth-$p-$i.out" &
		i=$((i + 1))
		s=$((s + 1))
	done
	wait
	t1=$(now)
	e=$((p * (1 + 5 * RATE_DEV)))
	echo "ingest, $p station(s) in parallel: $e entries in $(echo "$t1 - $t0" | bc | cut -c1-6) s: $(echo "$e / ($t1 - $t0)" | bc) entries/s"
done
entries=$("$BIN/station" fleet status --registry "$audit" --json | jq .totals.entries)
[ "$RATE_DEV" = 0 ] || measure "verify, registry of $entries entries" "$BIN/station" fleet verify --registry "$audit"
if [ "$GROW_DEV" -gt 0 ]; then
	t0=$(now)
	for i in 0 1; do
		$N "$DRV" synth "$conn" "grow-$i" $(((s + i) * RATE_DEV + i * GROW_DEV)) $((GROW_DEV / 2)) 1000 "$T/key.pem" >"$T/grow-$i.out" &
	done
	wait
	t1=$(now)
	echo "ingest, 2 stations in parallel: $((2 * (1 + 5 * (GROW_DEV / 2)))) entries in $(echo "$t1 - $t0" | bc | cut -c1-6) s"
	entries=$("$BIN/station" fleet status --registry "$audit" --json | jq .totals.entries)
	measure "verify, registry of $entries entries" "$BIN/station" fleet verify --registry "$audit"
fi
if [ "$RATE_DEV" -gt 0 ]; then
	measure "export bundle, $entries entries" "$BIN/station" fleet export --registry "$audit" --format bundle --out "$T/bundle"
	measure "verify --from bundle ($(du -sh "$T/bundle" | cut -f1))" "$BIN/station" fleet verify --from "$T/bundle"
	rm -rf "$T/bundle"
fi
for d in $EXPORT_DEVICES; do
	mkdir "$T/x"
	$N "$DRV" synth-export "$T/x" 10 $((d / 10)) 1000 "$T/key.pem" >/dev/null
	measure "verify --from, $d devices ($((d * 5 + 10)) entries, $(du -sh "$T/x" | cut -f1))" "$BIN/station" fleet verify --from "$T/x"
	rm -rf "$T/x"
done

# 4. a registry bulk-loaded from a synthetic export
if [ "$BULK_DEVICES" -gt 0 ]; then
	su="host=$T port=5432 dbname=fleet_bulk user=pgadmin"
	bulk="host=$T port=5432 dbname=fleet_bulk user=fleet_audit"
	"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "host=$T port=5432 dbname=postgres user=pgadmin" \
		-c "CREATE DATABASE fleet_bulk OWNER fleet_admin"
	"$DRV" open "host=$T port=5432 dbname=fleet_bulk user=fleet_admin" >/dev/null
	mkdir "$T/x"
	chmod 755 "$T/x"
	$N "$DRV" synth-export "$T/x" 10 $((BULK_DEVICES / 10)) 1000 "$T/key.pem" >/dev/null
	# each file through a one-column table: csv with quote and delimiter bytes that never occur
	# takes every line as it is
	load() { # TABLE COLUMNS EXPRESSIONS
		printf '%s\n' "TRUNCATE j;" \
			"\\copy j FROM '$T/x/$1.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" \
			"INSERT INTO $1($2) SELECT $3 FROM (SELECT line::json AS l FROM j) s;"
	}
	{
		echo "SET session_replication_role = replica; CREATE TEMP TABLE j(line text);"
		load stations "station_id, first_seen, last_contact" \
			"l->>'station_id', (l->>'first_seen')::timestamptz, (l->>'last_contact')::timestamptz"
		load entries "station_id, seq, time, operator, lot, kind, chip_id, serial, body, leaf, received" \
			"l->>'station_id', (l->>'seq')::bigint, l->>'time', l->>'operator', l->>'lot', l->>'kind', l->>'chip_id', l->>'serial', l->>'body', decode(l->>'leaf', 'hex'), (l->>'received')::timestamptz"
		load checkpoints "station_id, size, root, note, received" \
			"l->>'station_id', (l->>'size')::bigint, decode(l->>'root', 'hex'), l->>'note', (l->>'received')::timestamptz"
		load station_keys "station_id, pem, sha256, first_seen" \
			"l->>'station_id', l->>'pem', decode(l->>'sha256', 'hex'), (l->>'first_seen')::timestamptz"
		load chips "product, chip_id, station_id, seq" "l->>'product', l->>'chip_id', l->>'station_id', (l->>'seq')::bigint"
		load serials "serial, product, station_id, seq" "l->>'serial', l->>'product', l->>'station_id', (l->>'seq')::bigint"
		load cert_serials "issuer, cert_serial, station_id, seq" "l->>'issuer', l->>'cert_serial', l->>'station_id', (l->>'seq')::bigint"
		load pubkeys "pubkey_sha256, station_id, seq" "l->>'pubkey_sha256', l->>'station_id', (l->>'seq')::bigint"
		load pw_commitments "commitment, station_id, seq" "l->>'commitment', l->>'station_id', (l->>'seq')::bigint"
		echo "ANALYZE;"
	} >"$T/bulk.sql"
	t0=$(now)
	$N "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$su" -f "$T/bulk.sql"
	t1=$(now)
	rm -rf "$T/x"
	echo "bulk load of $BULK_DEVICES devices ($((BULK_DEVICES * 5 + 10)) entries, superuser, triggers off): $(echo "$t1 - $t0" | bc | cut -c1-7) s; database $("$pgbin/psql" -X -tA "$su" -c "SELECT pg_size_pretty(pg_database_size('fleet_bulk'))")"
	measure "verify, registry of $BULK_DEVICES devices ($((BULK_DEVICES * 5 + 10)) entries)" "$BIN/station" fleet verify --registry "$bulk"
fi
