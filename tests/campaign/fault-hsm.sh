#!/bin/sh
# Fault (issue #12): the HSM is lost. SoftHSM2 keeps each token in a directory of files and
# checks them again at every operation: with the token directory moved away during a run,
# C_SignInit on the key handles the signer holds fails with CKR_OBJECT_HANDLE_INVALID (SoftHSM2
# does notice; it does not serve the keys from memory). HSM_CASES (default 1) runs of boards at
# 2400 baud, the token taken away at a random instant of each (0.1 to 1.5 s after the start);
# then one start with no token at all.
# Clear error: each board that needed the HSM then ends FAIL E_HSM with "the HSM failed" in its
# reason, the signer names the CKR_ value on stderr, the station exits 1 (each failure
# recorded); with no token at start the station exits 4: the signer did not start, with the
# CKR_ value. Nothing lost, and with the token back the boards run again to PASS.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib-faults.sh"
N=${HSM_CASES:-1}
tok=$T/tokens
rnd() { d=$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); echo $((d % $1)); }

hsmfail=0 pass=0 i=0
while [ $i -lt "$N" ]; do
	i=$((i + 1))
	start_run hsm$i 3 --line-rate 2400
	sleep "$(awk "BEGIN{printf \"%.3f\", (100 + $(rnd 1400))/1000}")"
	mv "$tok" "$tok.gone"
	[ -z "$(results hsm$i)" ] || { end_run; mv "$tok.gone" "$tok"; fail "hsm$i: a board finished before the token went"; }
	end_run
	mv "$tok.gone" "$tok"
	f=$(results hsm$i | grep -c '"code":"E_HSM"' || true)
	p=$(results hsm$i | grep -c '"result":"PASS"' || true)
	[ $((f + p)) = 3 ] || { show_run hsm$i; fail "hsm$i: $f E_HSM + $p PASS of 3 boards"; }
	if [ "$f" -gt 0 ]; then
		[ "$rc" = 1 ] || { show_run hsm$i; fail "hsm$i: exit $rc, expected 1"; }
		results hsm$i | grep '"code":"E_HSM"' | jq -r .reason | grep -qv 'the HSM failed' &&
			{ show_run hsm$i; fail "hsm$i: an E_HSM reason without 'the HSM failed'"; }
		[ "$(results hsm$i | grep '"code":"E_HSM"' | jq -r .recorded | sort -u)" = true ] ||
			fail "hsm$i: an E_HSM failure not recorded"
		grep -q 'CKR_[A-Z_]*' "$T/hsm$i.err" || { show_run hsm$i; fail "hsm$i: no CKR_ value on stderr"; }
	fi
	hsmfail=$((hsmfail + f)) pass=$((pass + p))
	nothing_lost hsm$i "$T/hsm$i"
	recovers hsm$i 3
done
ok "$N run(s) with the token taken away: $hsmfail board(s) FAIL E_HSM ('the HSM failed', CKR_ value named), $pass finished before; nothing lost; all PASS with the token back"
figure hsm_lost_runs "$N"
figure hsm_lost_boards_e_hsm "$hsmfail"
figure hsm_lost_boards_pass "$pass"
figure hsm_ckr "$(grep -oh 'CKR_[A-Z_]*' "$T"/hsm*.err | sort | uniq -c | awk '{printf "%s%s×%s", s, $2, $1; s=","}')"

# No token when the station starts: exit 4 before any board, naming the token.
mv "$tok" "$tok.gone"
run nohsm 2
mv "$tok.gone" "$tok"
[ "$rc" = 4 ] || { show_run nohsm; fail "nohsm: exit $rc, expected 4"; }
# (SoftHSM2 without its token directory fails C_Initialize itself: CKR_GENERAL_ERROR)
grep -q 'the signer did not start' "$T/nohsm.err" && grep -q 'CKR_[A-Z_]*' "$T/nohsm.err" ||
	{ show_run nohsm; fail "nohsm: stderr does not say 'the signer did not start' with a CKR_ value"; }
grep -q '"event":"error","exit":4' "$T/nohsm.json" || fail "nohsm: no error event with exit 4"
[ -z "$(results nohsm)" ] || fail "nohsm: a board was started without the HSM"
ok "no token at start: exit 4 ($(grep -m1 CKR_ "$T/nohsm.err" | cut -c1-110)...)"
figure hsm_absent_message "$(grep -m1 CKR_ "$T/nohsm.err" | cut -c1-200)"
nothing_lost nohsm
recovers nohsm 2
ok "token back: the boards PASS"
echo "PASS fault-hsm"
