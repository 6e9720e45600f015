/* confine.c: the station's own confinement; see confine.h. */
#include "confine.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

/* The umockdev test harness redirects /dev and /sys into its testbed; its preload is then in
 * this process's maps (tests/integration/README-sim.txt). */
static int
preload_line(void *ctx, const char *line)
{
	(void)ctx;
	return strstr(line, "libumockdev-preload") != NULL;
}

static int
under_umockdev(void)
{
	return getenv("UMOCKDEV_DIR") != NULL &&
	    util_each_line("/proc/self/maps", preload_line, NULL) == 1;
}

/* Leaves the controlling terminal (root's, when a technician or engineer started the station):
 * TIOCSTI on it would type commands into a root shell. Not being a session leader, only this
 * process loses it; the terminal stays open for output. */
static void
leave_terminal(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0) {
		(void)ioctl(fd, TIOCNOTTY);
		close(fd);
	}
}

int
confine_station(const struct privsep *ps, const struct confine_paths *paths, char *why,
    size_t cap)
{
	struct sandbox_rule rules[16];
	size_t n = 0;
	int r;

	if (ps->mode == PRIVSEP_SERVICE)
		leave_terminal();
	if ((r = privsep_drop_station(ps, why, cap)) != 0)
		return r;
	if (ps->mode != PRIVSEP_SERVICE)
		return 0;
	rules[n++] = (struct sandbox_rule){ "/usr", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/lib", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/lib64", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/etc", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/proc/self", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/sys", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/run/udev", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ paths->profile, SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ paths->ca_cert, SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/dev", SANDBOX_DEVICES };
	/* beneath /dev on a station; a real pty outside the testbed's /dev under umockdev */
	rules[n++] = (struct sandbox_rule){ "/dev/pts", SANDBOX_DEVICES };
	rules[n++] = (struct sandbox_rule){ paths->label_dir, SANDBOX_SPOOL };
	if (under_umockdev())
		rules[n++] = (struct sandbox_rule){ getenv("UMOCKDEV_DIR"), SANDBOX_RW };
	r = sandbox_enter_ports(rules, n, paths->ports, paths->nports, why, cap);
	return r == SANDBOX_ERR_NOLANDLOCK ? 1 : r;
}

int
confine_printer(const struct privsep *ps, const struct confine_printer_paths *pp, char *why,
    size_t cap)
{
	struct sandbox_rule rules[8];
	unsigned ports[1];
	size_t n = 0;
	int r;

	if (ps->mode != PRIVSEP_SERVICE)
		return privsep_harden(why, cap);
	if ((r = privsep_switch(&ps->station)) != 0) {
		util_why(why, cap, "cannot become the station user: %s", privsep_strerror(r));
		return r;
	}
	if ((r = privsep_harden(why, cap)) != 0)
		return r;
	rules[n++] = (struct sandbox_rule){ "/usr", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/lib", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/lib64", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ "/etc", SANDBOX_READ };
	rules[n++] = (struct sandbox_rule){ pp->label_dir, SANDBOX_LABELS };
	if (pp->device != NULL)
		rules[n++] = (struct sandbox_rule){ pp->device, SANDBOX_DEVICES };
	ports[0] = pp->port;
	/* the printer's name is resolved for each label: UDP to the name server */
	r = sandbox_enter_net(rules, n, ports, pp->port ? 1 : 0, 1, why, cap);
	return r == SANDBOX_ERR_NOLANDLOCK ? 1 : r;
}
