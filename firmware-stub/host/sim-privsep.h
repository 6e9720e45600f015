/*
 * sim-privsep.h: lets a station that drops root (station/sandbox/privsep.h, service mode) reach the
 * simulated fixtures. Test harness only: enabled by STATION_TEST_PRIVSEP=1 when the harness
 * runs as root (sim.c calls it after the testbed is built, before the station starts).
 */
#ifndef SIM_PRIVSEP_H
#define SIM_PRIVSEP_H

#include <stddef.h>

/* The user the station drops to (station/sandbox/privsep.h PRIVSEP_USER_STATION; made by
 * scripts/users.sh). */
#define SIM_PRIVSEP_USER "station"

/* 1 when STATION_TEST_PRIVSEP is "1" and this process is root, else 0. */
int sim_privsep_wanted(void);

/*
 * Gives SIM_PRIVSEP_USER (and its group) the testbed directory root and everything in it
 * (lchown, symbolic links not followed), and each of the n descriptors in fds (the pty slaves
 * behind the emulated ttys, fchown). Returns 0, or -1 with a message on stderr (the user is
 * missing: run scripts/users.sh; or a chown failed).
 */
int sim_privsep_prepare(const char *root, const int *fds, size_t n);

#endif
