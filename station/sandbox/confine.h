/*
 * confine.h: how the board-facing station gives up what it does not need before it reads a
 * byte from a board (PRODUCT §4; docs/threat-model.md B2): in service mode it leaves the
 * operator's controlling terminal, drops to the station user (privsep.h) and enters its sandbox
 * (sandbox.h) with the station's rules; in developer mode it only hardens itself.
 */
#ifndef CONFINE_H
#define CONFINE_H

#include <stddef.h>

#include "privsep.h"

/* The paths the station keeps (all others are refused by Landlock). */
struct confine_paths {
	const char *profile;   /* read */
	const char *ca_cert;   /* read */
	const char *label_dir; /* spool: new files only, never read back (labels hold passwords) */
	const unsigned *ports; /* TCP ports of the network fixtures (xport_net_prepare), or NULL */
	size_t nports;         /* 0..CAP_SANDBOX_PORTS */
};

/*
 * Confines the calling process (main thread, no other thread yet, signer already started):
 * service mode: TIOCNOTTY on the controlling terminal (a terminal it no longer controls cannot
 * be fed input), privsep_drop_station, then sandbox_enter with: read /usr /lib /lib64 /etc
 * /proc/self /sys /run/udev and paths->profile, ->ca_cert; devices /dev and /dev/pts; spool
 * paths->label_dir; under the umockdev test harness only, its testbed read-write; and
 * connecting to TCP paths->ports only (the device servers of network fixtures; none without).
 * Developer mode: privsep_drop_station (hardening only).
 * Returns 0; 1 when the kernel has no Landlock (seccomp only; why says so: warn); a negative
 * PRIVSEP_ERR_* or SANDBOX_ERR_* code with why set when the caller must exit.
 */
int confine_station(const struct privsep *ps, const struct confine_paths *paths, char *why,
    size_t cap);

/* What the label printer helper keeps (label-printer.h). */
struct confine_printer_paths {
	const char *label_dir; /* read a label, remove it once printed */
	const char *device;    /* output = device: the printer's device file, else NULL */
	unsigned port;         /* output = tcp: the printer's port; cups: IPP's; 0: none */
};

/*
 * Confines the label printer helper, a child forked by the station before its own sandbox
 * (single-threaded): service mode, privsep_switch to the station user and privsep_harden, then
 * sandbox_enter_ports with: read /usr /lib /lib64 /etc (name resolution, CUPS's client.conf);
 * labels pp->label_dir; devices pp->device; connecting to TCP pp->port only. Developer mode:
 * privsep_harden. 0; 1 without Landlock (why says so); negative with why: the child must exit.
 */
int confine_printer(const struct privsep *ps, const struct confine_printer_paths *pp, char *why,
    size_t cap);

#endif
