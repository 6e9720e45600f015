#!/bin/sh
# demo.sh: `make demo`: the main job on the embedded default. Creates once, under var/demo/, a
# SoftHSM2 token with the CA, audit and commitment keys generated inside it, the CA certificate
# and the audit database; then starts simulated boards behind emulated USB-serial adapters, then
# two on USB bulk, and lets the station provision every one. Then the same for a product that
# also gives each board a Wi-Fi access-point credential and a Matter setup code (issue #16),
# under var/demo/cred/ (its own token, CA and database). Run it again: same CA and database, new
# boards.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
DEMO=${DEMO_DIR:-$top/var/demo}
BOARDS=${DEMO_BOARDS:-4}
# DEMO_CRED=1: the credential product's part (its profile: the demo's, with [wifi] and [matter])
CRED=${DEMO_CRED:-0}
export BIN

mkdir -p "$DEMO"
# The profile is copied only when it changed, so the record shows when configuration moved.
if [ "$CRED" = 1 ]; then
	# the default label grows to fit the codes: the fixed 60 x 30 mm goes
	{
		sed '/^width_mm = /d; /^height_mm = /d' "$top/scripts/demo-profile.ini"
		printf '\n[wifi]\nssid_prefix = TH2-Setup-\nsecurity = wpa2-wpa3\n'
		printf '\n[matter]\nvendor_id = 0xFFF1\nproduct_id = 0x8001\ndiscovery = ble\n'
	} >"$DEMO/profile.new"
	if cmp -s "$DEMO/profile.new" "$DEMO/profile.ini" 2>/dev/null; then
		rm -f "$DEMO/profile.new"
	else
		mv "$DEMO/profile.new" "$DEMO/profile.ini"
	fi
else
	cmp -s "$top/scripts/demo-profile.ini" "$DEMO/profile.ini" 2>/dev/null ||
		cp "$top/scripts/demo-profile.ini" "$DEMO/profile.ini"
fi
"$top/scripts/hsm-setup.sh" "$DEMO"
export SOFTHSM2_CONF="$DEMO/softhsm2.conf"
# As root, the demo runs as a service would: the signer as station-signer, the board-facing
# station as station (system users made here), the station sandboxed. The emulated fixtures are
# handed to the station user by the harness (STATION_TEST_PRIVSEP). As another user: one uid.
if [ "$(id -u)" = 0 ]; then
	"$top/scripts/service-dir.sh" "$DEMO"
	export STATION_TEST_PRIVSEP=1
	echo "== service mode: signer as station-signer, station as station (sandboxed)"
fi

echo "== key ceremony (idempotent)"
"$BIN/station" ca init --profile "$DEMO/profile.ini"
echo "== open the lot (the signer opens lots; a run works only on an open lot)"
"$BIN/station" lot open --profile "$DEMO/profile.ini"

mkdir -p "$DEMO/boards"
run="$DEMO/boards/run-$(date -u +%Y%m%dT%H%M%SZ)-$$"
: >"$DEMO/boards/.labels-since"
echo "== provisioning $BOARDS simulated boards (flash files in ${run#$top/})"
rc=0
"$BIN/firmware-stub" sim --boards "$BOARDS" --dir "$run" -- \
	"$BIN/station" run --profile "$DEMO/profile.ini" || rc=$?
if [ "$CRED" = 0 ]; then
	echo "== provisioning 2 simulated boards on USB bulk (no serial adapter; fixtures usb:1-1.<n>)"
	"$BIN/firmware-stub" sim --usb --boards 2 --dir "$run-usb" -- \
		"$BIN/station" run --profile "$DEMO/profile.ini" || rc=$?
fi
echo "== lot status"
"$BIN/station" lot status --profile "$DEMO/profile.ini" || rc=$?
echo "== labels (the only place passwords go): ${DEMO#$top/}/labels/ (ZPL for the printer, PNG to look at)"
find "$DEMO/labels" -name '*.png' -newer "$DEMO/boards/.labels-since" 2>/dev/null | sort |
	sed "s#^$top/#   preview: #"
echo "   (a made-up one: build/bin/station label sample --profile ${DEMO#$top/}/profile.ini --out DIR)"
echo "== audit database: ${DEMO#$top/}/station.db"
if [ "$CRED" = 0 ] && [ "${DEMO_CRED_PART:-1}" = 1 ]; then
	echo
	echo "== a product with onboarding credentials (issue #16): each board also gets a Wi-Fi"
	echo "   access-point passphrase and a Matter setup code, drawn here, committed by the signer"
	echo "   (an HMAC in the HSM), only their board form on the board, the codes on its label"
	DEMO_DIR="$DEMO/cred" DEMO_BOARDS=2 DEMO_CRED=1 "$0" || rc=$?
fi
exit $rc
