/*
 * sim-privsep.c: behind sim-privsep.h.
 *
 * Measured with umockdev 0.17.16 (tests/integration/privsep-probe.c, a station cut down to
 * drop + sandbox + list + HELLO): a station started as root under the preload that switches to
 * the user "station" cannot use a testbed this harness (root) made, because
 *  - the testbed directory /tmp/umockdev.XXXXXX is mode 0700 root: every /sys and /dev path the
 *    preload redirects there fails with EACCES, so not even listing works;
 *  - the per-device ioctl sockets ($root/ioctl/dev/...) are 0755 root: connect() needs write
 *    permission, and the preload exits the process ("Failed to connect to ioctl socket");
 *  - /dev/ttyUSB<i> is a symbolic link to a real pty slave /dev/pts/<n>, owned by root (mode
 *    0600 or 0620 group tty, depending on how devpts is mounted): open() fails with EACCES;
 *  - a USB bulk board's node $root/dev/bus/usb/001/<n> is a regular file 0644 root: no O_RDWR;
 *  - libusb_init's uevent monitor is a netlink socket that the preload replaces by a UNIX
 *    socket bound at $root/event<fd>, so the station must be able to create (and unlink stale)
 *    entries in the testbed directory itself; otherwise libusb_init fails and no USB board is
 *    listed.
 * Giving the station user the whole tree and the pty slaves is what makes all of this work; it
 * is only a test testbed, and the harness, being root, keeps full access to it. The /sys files
 * stay 0644 and the directories 0755.
 */
#include "sim-privsep.h"

#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* nftw's callback takes no argument: the ids live here for the duration of one walk. */
static uid_t walk_uid;
static gid_t walk_gid;

static int
own(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (lchown(path, walk_uid, walk_gid) != 0) {
		fprintf(stderr, "sim: cannot give %s to user %s: %s\n", path, SIM_PRIVSEP_USER,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sim_privsep_wanted(void)
{
	const char *v = getenv("STATION_TEST_PRIVSEP");

	return v != NULL && strcmp(v, "1") == 0 && geteuid() == 0;
}

int
sim_privsep_prepare(const char *root, const int *fds, size_t n)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	size_t i;
	int e;

	if ((e = getpwnam_r(SIM_PRIVSEP_USER, &pw, buf, sizeof(buf), &res)) != 0 || res == NULL) {
		fprintf(stderr, "sim: STATION_TEST_PRIVSEP=1 but there is no user '%s'%s%s; create it "
		    "with scripts/users.sh (as root)\n", SIM_PRIVSEP_USER, e ? ": " : "",
		    e ? strerror(e) : "");
		return -1;
	}
	walk_uid = pw.pw_uid;
	walk_gid = pw.pw_gid;
	if (nftw(root, own, 16, FTW_PHYS) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (fds[i] >= 0 && fchown(fds[i], walk_uid, walk_gid) != 0) {
			fprintf(stderr, "sim: cannot give pty slave %zu to user %s: %s\n", i,
			    SIM_PRIVSEP_USER, strerror(errno));
			return -1;
		}
	}
	return 0;
}
