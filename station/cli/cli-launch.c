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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "confine.h"
#include "label-printer.h"
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

int
cli_confine(const char *cmd, const struct profile *prof, const unsigned *ports, size_t nports)
{
	struct confine_paths paths;
	char why[CAP_REASON], desc[CAP_REASON];
	int r;

	if (cli_privsep(cmd) != 0)
		return -1;
	/* Rules attach to what exists now: the label directory must. */
	if (ps.mode == PRIVSEP_SERVICE && mkdir(prof->label_dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create the label directory %s: %s\n", cmd, prof->label_dir,
		    strerror(errno));
		return -1;
	}
	paths.profile = prof->path;
	paths.ca_cert = prof->ca_cert;
	paths.label_dir = prof->label_dir;
	paths.ports = ports;
	paths.nports = nports;
	if ((r = confine_station(&ps, &paths, why, sizeof(why))) < 0) {
		fprintf(stderr, "%s: cannot confine the board-facing process: %s\n", cmd, why);
		return -1;
	}
	if (r == 1)
		fprintf(stderr, "%s: warning: %s\n", cmd, why);
	if (ps.mode == PRIVSEP_SERVICE) {
		privsep_describe(&ps, desc, sizeof(desc));
		fprintf(stderr, "%s: %s; sandboxed (Landlock ABI %d, seccomp)\n", cmd, desc,
		    sandbox_landlock_abi());
	}
	return 0;
}

/* In the printer helper, before it serves: as confine_printer says (confine.h). */
static const struct profile *printer_prof; /* the helper's profile, for printer_confine */

static int
printer_confine(void *arg, char *why, size_t cap)
{
	const struct profile *p = printer_prof;
	struct confine_printer_paths pp;
	char dir[CAP_PATH], *slash;
	int r;

	(void)arg;
	memset(&pp, 0, sizeof(pp));
	pp.label_dir = p->label_dir;
	if (p->label.output == LABEL_OUT_DEVICE) {
		/* the directory: a printer plugged in later is a new node there */
		snprintf(dir, sizeof(dir), "%s", p->label.printer);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
			*slash = '\0';
		pp.device = dir;
	}
	pp.port = p->label.output == LABEL_OUT_TCP ? p->label.port :
	    p->label.output == LABEL_OUT_CUPS ? 631 : 0;
	if ((r = confine_printer(&ps, &pp, why, cap)) < 0)
		return r;
	cli_probe_tcp("printer helper");
	return r;
}

int
cli_printer_start(const char *cmd, const struct profile *prof, struct label_printer **out)
{
	char why[CAP_REASON];

	*out = NULL;
	if (prof->label.output == LABEL_OUT_DIR)
		return 0;
	if (cli_privsep(cmd) != 0)
		return -1;
	printer_prof = prof;
	if (label_printer_start(prof, printer_confine, NULL, out, why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: %s\n", cmd, why);
		return -1;
	}
	return 0;
}

/* Test hook (tests/integration/test-privsep.sh): STATION_TEST_PROBE_TCP lists TCP ports on
 * 127.0.0.1, separated by ':', to connect to; one line per attempt on stderr:
 * "probe: <who> uid N: tcp 127.0.0.1:<port>: ok" or the errno text. */
void
cli_probe_tcp(const char *who)
{
	const char *list = getenv("STATION_TEST_PROBE_TCP");
	char buf[256], *p, *save = NULL;
	struct sockaddr_in in;
	int fd, r;

	if (list == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", list);
	for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons((uint16_t)atoi(p));
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = -1;
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
			r = connect(fd, (struct sockaddr *)&in, sizeof(in));
			close(fd);
		}
		fprintf(stderr, "probe: %s uid %d: tcp 127.0.0.1:%s: %s\n", who, (int)geteuid(), p,
		    r == 0 ? "ok" : strerror(errno));
	}
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

	cli_probe_tcp("station");
	if (lists[0] == NULL && lists[1] == NULL)
		return;
	fprintf(stderr, "probe: uid %d euid %d\n", (int)getuid(), (int)geteuid());
	for (i = 0; i < 2; i++) {
		if (lists[i] == NULL)
			continue;
		snprintf(buf, sizeof(buf), "%s", lists[i]);
		for (p = strtok_r(buf, ":", &save); p != NULL; p = strtok_r(NULL, ":", &save)) {
			fd = open(p, i == 0 ? O_RDONLY : O_RDWR | O_CREAT, 0600);
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
