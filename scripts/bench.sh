#!/bin/sh
# bench.sh: `make bench`. Measures, in one run on this machine:
#   1. the station: boards/s provisioning simulated boards through umockdev adapters (every board
#      durably committed before PASS; PBKDF2 on the board lowered to 1 iteration so the board's
#      own compute does not dominate), and CPU per board;
#   2. a shell-script station "given its best shot" (openssl CLI + sqlite3 CLI in WAL mode, an
#      empty trust store, a software CA key file — which flatters it: no HSM), boards/s.
# Prints the figures and the ratio. Performance targets live here, never in timed tests.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
N=${BENCH_BOARDS:-32}
ROUNDS=${BENCH_ROUNDS:-3}
T=$(mktemp -d /tmp/station-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export BIN
# labels as ZPL only: the PNG preview is for people, not for a throughput figure
sed -e 's/^verifier_iterations = .*/verifier_iterations = 1/' -e 's/^formats = .*/formats = zpl/' \
	"$top/scripts/demo-profile.ini" >"$T/profile.ini"
"$top/scripts/hsm-setup.sh" "$T" >/dev/null
export SOFTHSM2_CONF="$T/softhsm2.conf"
# As root: service mode, as a line runs (two users, the station sandboxed).
"$top/scripts/service-dir.sh" "$T"
[ "$(id -u)" != 0 ] || export STATION_TEST_PRIVSEP=1
"$BIN/station" ca init --profile "$T/profile.ini" >/dev/null
"$BIN/station" lot open --profile "$T/profile.ini" >/dev/null

echo "station: $ROUNDS rounds of $N simulated boards"
best=0
r=0
while [ $r -lt $ROUNDS ]; do
	r=$((r + 1))
	/usr/bin/time -f "%e %U %S" -o "$T/time" "$BIN/firmware-stub" sim --boards "$N" --dir "$T/b$r" -- \
		"$BIN/station" run --profile "$T/profile.ini" --json >"$T/run$r.json" 2>"$T/run$r.err"
	pass=$(grep -c '"result":"PASS"' "$T/run$r.json" || true)
	ms=$(jq -r 'select(.event == "summary") | .elapsed_ms' "$T/run$r.json")
	rate=$(awk "BEGIN{printf \"%.1f\", $pass*1000/($ms>0?$ms:1)}")
	cpu=$(awk '{printf "%.2f", ($2+$3)*1000}' "$T/time")
	echo "  round $r: $pass/$N PASS in $ms ms = $rate boards/s; CPU (station+signer+stub) $cpu ms = $(awk "BEGIN{printf \"%.2f\", $cpu/$N}") ms/board"
	best=$(awk "BEGIN{print ($rate>$best)?$rate:$best}")
done

echo "shell-script station (openssl + sqlite3 CLI, WAL, empty trust store, software CA key):"
sh_dir=$T/sh
mkdir -p "$sh_dir"
: >"$sh_dir/empty.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$sh_dir/ca.key" 2>/dev/null
openssl req -new -x509 -key "$sh_dir/ca.key" -subj "/CN=bench CA" -days 30 -out "$sh_dir/ca.pem" 2>/dev/null
sqlite3 "$sh_dir/db" "PRAGMA journal_mode=WAL; CREATE TABLE d(serial TEXT UNIQUE, cert BLOB);" >/dev/null
SSL_CERT_FILE=$sh_dir/empty.pem
export SSL_CERT_FILE
start=$(date +%s%N)
i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	openssl ecparam -name prime256v1 -genkey -noout -out "$sh_dir/k" 2>/dev/null
	openssl req -new -key "$sh_dir/k" -subj "/CN=SN$i" -out "$sh_dir/r" 2>/dev/null
	openssl x509 -req -in "$sh_dir/r" -CA "$sh_dir/ca.pem" -CAkey "$sh_dir/ca.key" -set_serial $i -days 30 -out "$sh_dir/c" 2>/dev/null
	pw=$(openssl rand -base64 9)
	sqlite3 "$sh_dir/db" "PRAGMA synchronous=FULL; INSERT INTO d VALUES('SN$i', readfile('$sh_dir/c'));"
done
end=$(date +%s%N)
sh_rate=$(awk "BEGIN{printf \"%.1f\", $N*1e9/($end-$start)}")
echo "  $N boards in $(( (end - start) / 1000000 )) ms = $sh_rate boards/s"
echo "ratio station/shell: $(awk "BEGIN{printf \"%.2f\", $best/$sh_rate}")x (target in PRODUCT §9: >= 50x)"
