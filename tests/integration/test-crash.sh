#!/bin/sh
# Crash safety (PRODUCT §7, issues #5 and #12): kill -9 the station at random instants while it
# provisions fresh boards, CRASH_KILLS times (default 100 in `make test`; `make campaign` does 1000, checking
# after every kill). Every CRASH_CHECK_EVERY-th kill (default 20) and after the last: the
# database opens and passes integrity_check, `station audit verify` passes, no board holds a
# certificate that the log does not hold, no serial is issued twice, and the killed run's
# boards, simply run again, end PASS (or DONE: already recorded PASS); at the end, no board of
# any run holds a certificate outside the log. The loop and the checks: tests/campaign/kill.sh.
KILLS=${CRASH_KILLS:-100} CHECK_EVERY=${CRASH_CHECK_EVERY:-20} exec sh "$(dirname "$0")/../campaign/kill.sh" station
