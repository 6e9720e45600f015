#!/bin/sh
# Crash safety (PRODUCT §7, issue #5): kill -9 the station at random instants while it
# provisions fresh boards, CRASH_KILLS times (default 200; raise it for a campaign). Afterwards:
# the database opens and passes integrity_check, no board holds a certificate that the log
# does not hold, and every board is either recorded PASS or passes when simply run again.
. "$(dirname "$0")/lib.sh"
N=${CRASH_KILLS:-200}
db=$T/station.db

rnd_ms() { d=$(od -An -N2 -tu2 /dev/urandom | tr -d ' '); echo $((d % $1)); }

i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	"$BIN/firmware-stub" sim --boards 3 --dir "$T/b$i" -- \
		"$BIN/station" run --profile "$PROFILE" --json >"$T/k.out" 2>"$T/k.err" &
	sim=$!
	ms=$(rnd_ms 160)
	sleep "$(awk "BEGIN{printf \"%.3f\", $ms/1000}")"
	pkill -9 -P $sim -x station 2>/dev/null || true
	wait $sim 2>/dev/null || true
done
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "database integrity check failed"
ok "$N kills: database opens and passes integrity_check"

# No certificate outside the log: every board that holds a chain holds a key whose
# certificate is recorded (certs row and cert.issued entry commit in one transaction).
outside=0 held=0
for f in "$T"/b*/board-*.flash; do
	show=$("$BIN/firmware-stub" show --flash "$f")
	case "$show" in *'"chain_len":0'*) continue ;; esac
	held=$((held + 1))
	pk=$(echo "$show" | sed 's/.*"pubkey_sha256":"\([0-9a-f]*\)".*/\1/')
	n=$(sqlite3 "$db" "SELECT COUNT(*) FROM log WHERE kind='cert.issued' AND body LIKE '%\"pubkey_sha256\":\"$pk\"%'")
	[ "$n" = 1 ] || { echo "board $f holds a certificate for key $pk that the log lacks" >&2; outside=$((outside + 1)); }
done
[ $outside = 0 ] || fail "$outside certificate(s) outside the log"
ok "$held boards hold a certificate; 0 outside the log"

# Every board is recorded PASS or can simply be run again: rerun a sample of the
# interrupted runs to completion (recovery voids what the crashes left open).
j=0
for d in "$T"/b*; do
	j=$((j + 1))
	[ $((j % 10)) = 0 ] || continue
	stub 3 "$d" -- "$BIN/station" run --profile "$PROFILE" --json >"$T/re.out" 2>"$T/re.err" || true
	bad=$(jq -r 'select(.event == "result" and .result != "PASS" and .result != "DONE") | .fixture' "$T/re.out" | grep -c . || true)
	[ "$bad" = 0 ] || { cat "$T/re.out" "$T/re.err"; fail "a board in $d could not be completed"; }
done
ok "re-run boards all end PASS (or were already PASS: DONE)"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certs WHERE status='issued'")" = 0 ] ||
	fail "certificates left 'issued' after recovery"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after recovery"
if "$BIN/station" audit verify --help >/dev/null 2>&1; then
	"$BIN/station" audit verify --db "$db" >"$T/v.out" 2>&1 || { cat "$T/v.out"; fail "audit verify after the crash campaign"; }
	ok "audit verify passes after the crash campaign"
fi
echo "PASS test-crash"
