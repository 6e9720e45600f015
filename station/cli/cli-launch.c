/*
 * cli-launch.c: how every command starts the signer and how `station run` confines itself
 * (PRODUCT §4 privilege separation; station/sandbox/privsep.h, station/sandbox/sandbox.h). The launcher runs
 * before any board byte is read: it names the profile and the mode. In service mode (started as
 * root) the signer becomes the system user station-signer between fork and exec, and the
 * board-facing process drops to the system user station and enters its sandbox.
 *
 * STATION_MODE=developer, given by root, keeps one uid as for an ordinary user: for test suites
 * and bench work run as root, never on a line (docs/operator-guide.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "privsep.h"
#include "profile.h"
#include "sandbox.h"
#include "signer.h"
#include "util.h"

static struct privsep ps;
static int ps_ready;

int
cli_privsep(const char *cmd)
{
	char why[CAP_REASON];
	const char *m = getenv("STATION_MODE");

	if (ps_ready)
		return 0;
	if (geteuid() == 0 && m != NULL && strcmp(m, "developer") == 0) {
		memset(&ps, 0, sizeof(ps));
		ps.mode = PRIVSEP_DEVELOPER;
		ps.uid = getuid();
	} else if (privsep_init(&ps, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, why);
		return -1;
	}
	ps_ready = 1;
	return 0;
}

int
cli_service_mode(void)
{
	return ps_ready && ps.mode == PRIVSEP_SERVICE;
}

int
cli_become_signer(void)
{
	return ps_ready ? privsep_become_signer(&ps) : 0;
}

int
cli_signer(const char *cmd, const char *profile, int mode, const char *operator_name,
    struct signer **out)
{
	struct signer_opts o = { 0 };
	struct signer_err se;

	if (cli_privsep(cmd) != 0)
		return -1;
	o.mode = mode;
	o.station_uid = (long)privsep_station_uid(&ps);
	o.operator_name = operator_name;
	if (ps.mode == PRIVSEP_SERVICE) {
		o.become = privsep_become_signer_cb;
		o.become_arg = &ps;
	}
	if (signer_start(profile, &o, out, &se) != 0) {
		fprintf(stderr, "%s: the signer did not start: %s\n", cmd, se.text);
		return -1;
	}
	return 0;
}

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

int
cli_confine(const char *cmd, const struct profile *prof)
{
	const char *ro[CAP_SANDBOX_PATHS], *rw[CAP_SANDBOX_PATHS];
	char why[CAP_REASON], desc[CAP_REASON];
	size_t nro = 0, nrw = 0;
	int r;

	if (cli_privsep(cmd) != 0)
		return -1;
	if ((r = privsep_drop_station(&ps, why, sizeof(why))) != 0) {
		fprintf(stderr, "%s: cannot drop privileges: %s\n", cmd, why);
		return -1;
	}
	if (ps.mode != PRIVSEP_SERVICE)
		return 0;
	/* What the board-facing process needs: libraries and configuration, its profile and the
	 * CA certificate, the fixtures under /dev and /sys, its label output. Not the PIN file,
	 * the token store or the database: those are the signer's. */
	ro[nro++] = "/usr";
	ro[nro++] = "/lib";
	ro[nro++] = "/lib64";
	ro[nro++] = "/etc";
	ro[nro++] = "/proc/self";
	ro[nro++] = "/sys";
	ro[nro++] = "/run/udev";
	ro[nro++] = prof->path;
	ro[nro++] = prof->ca_cert;
	rw[nrw++] = "/dev";
	rw[nrw++] = "/dev/pts";
	/* Rules attach to what exists now: the label directory must. */
	if (mkdir(prof->label_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create the label directory %s: %s\n", cmd, prof->label_dir,
		    strerror(errno));
		return -1;
	}
	rw[nrw++] = prof->label_dir;
	if (under_umockdev())
		rw[nrw++] = getenv("UMOCKDEV_DIR");
	r = sandbox_enter(ro, nro, rw, nrw, why, sizeof(why));
	if (r == SANDBOX_ERR_NOLANDLOCK)
		fprintf(stderr, "%s: warning: %s\n", cmd, why);
	else if (r != 0) {
		fprintf(stderr, "%s: cannot enter the sandbox: %s\n", cmd, why);
		return -1;
	}
	privsep_describe(&ps, desc, sizeof(desc));
	fprintf(stderr, "%s: %s; sandboxed (Landlock ABI %d, seccomp)\n", cmd, desc,
	    sandbox_landlock_abi());
	return 0;
}

/* Test hook (tests/integration/test-privsep.sh): what a board that took over this process could
 * reach. STATION_TEST_PROBE_OPEN lists paths to open for reading, STATION_TEST_PROBE_WRITE
 * paths to open for writing, separated by ':'; the signer is traced with PTRACE_ATTACH. One line
 * per attempt on stderr: "probe: <what> <path>: ok" or the errno text. */
void
cli_probe(int signer_pid)
{
	const char *lists[2] = { getenv("STATION_TEST_PROBE_OPEN"), getenv("STATION_TEST_PROBE_WRITE") };
	char buf[CAP_PATH * 4], *p, *save = NULL;
	int i, fd;

	if (lists[0] == NULL && lists[1] == NULL)
		return;
	fprintf(stderr, "probe: uid %d euid %d\n", (int)getuid(), (int)geteuid());
	for (i = 0; i < 2; i++) {
		if (lists[i] == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s", lists[i]);
		for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
			fd = open(p, i == 0 ? O_RDONLY : O_RDWR);
			fprintf(stderr, "probe: %s %s: %s\n", i == 0 ? "read" : "write", p,
			    fd >= 0 ? "ok" : strerror(errno));
			if (fd >= 0)
				close(fd);
		}
	}
	if (signer_pid > 0) {
		long r = ptrace(PTRACE_ATTACH, (pid_t)signer_pid, NULL, NULL);

		fprintf(stderr, "probe: ptrace signer %d: %s\n", signer_pid, r == 0 ? "ok" :
		    strerror(errno));
		if (r == 0)
			(void)ptrace(PTRACE_DETACH, (pid_t)signer_pid, NULL, NULL);
	}
}
