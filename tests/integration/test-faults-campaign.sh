#!/bin/sh
# The campaign's faults (issue #12), one quick case each (`make campaign` runs them in full):
# the HSM token taken away during a run and absent at start (fault-hsm.sh), a lock of 3 s held
# by a sqlite3 shell during a run (fault-dblock.sh), a full disk at start (fault-disk.sh, as
# root), the signer's clock 2 h back at start (fault-clock.sh), SIGTERM at 5 random instants
# of `station run`, one of them doubled (fault-sigterm.sh). Each: a clear error, nothing lost,
# recovery once the fault is removed.
set -eu
d=$(dirname "$0")/../campaign
HSM_CASES=1 sh "$d/fault-hsm.sh"
FAULT_QUICK=1 sh "$d/fault-dblock.sh"
FAULT_QUICK=1 sh "$d/fault-disk.sh"
FAULT_QUICK=1 sh "$d/fault-clock.sh"
SIGTERMS=5 sh "$d/fault-sigterm.sh"
echo "PASS test-faults-campaign"
