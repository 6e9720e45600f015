#!/bin/sh
# Crash safety of the signer (issue #12): kill -9 the station-signer process that `station run`
# spawned, at random instants, CRASH_SIGNER_KILLS times (default 12; `make campaign` does
# 1000), with every check after every kill: the station says "the signer stopped answering"
# and exits 4 (or 0 when its stop was already recorded) and never hangs; the database opens
# and verifies; no certificate outside the log; no serial issued twice; the boards, run
# again, end PASS or DONE. The loop and the checks: tests/campaign/kill.sh.
KILLS=${CRASH_SIGNER_KILLS:-12} CHECK_EVERY=1 exec sh "$(dirname "$0")/../campaign/kill.sh" signer
