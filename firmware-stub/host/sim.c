/*
 * sim.c: umockdev harness behind sim.h.
 *
 * How the pieces fit (umockdev 0.17):
 *  - The testbed is a /tmp/umockdev.XXXXXX directory with a fake /sys and /dev. A tty device
 *    node is backed by a pty: the station's open("/dev/ttyUSB3") lands on the pty slave,
 *    the testbed keeps the master, which we hand to the board thread.
 *  - libserialport's sp_open needs TIOCMGET, which a pty does not implement (ENOTTY), so
 *    an ioctl handler is attached to every node. umockdev runs handlers on one worker
 *    thread with a private GMainContext that the testbed owns (umockdev.h: "do not block
 *    this context"); we need no main loop of our own. Handlers must therefore answer at
 *    once: every ioctl, read() and write() of the station on these nodes makes a round
 *    trip to that single thread (a 64 B echo takes ~0.3-0.45 ms; ~5000 round trips/s in
 *    total, shared by all adapters).
 *  - The station process runs with LD_PRELOAD=libumockdev-preload.so.0 and UMOCKDEV_DIR,
 *    which redirect its /sys and /dev to the testbed.
 *  - This harness itself does not need the preload: creating the testbed, the ptys and the
 *    ioctl sockets are plain file operations on the testbed directory. Verified both ways
 *    (tests/integration/README-sim.txt). Only uevents (hotplug) would need it (the sender
 *    looks devices up through libudev in its own /sys); see sim_ensure_preload.
 *  - A station started as root drops to the user "station" (station/sandbox/privsep.h) and cannot use a
 *    testbed root made; with STATION_TEST_PRIVSEP=1 the harness (as root) gives it the testbed
 *    and the pty slaves first (sim-privsep.c says what breaks otherwise).
 *
 * Line ownership: the testbed would close its pty master when it is freed, but a board must
 * be able to close the line itself to simulate an unplug, and the station only sees a
 * hang-up when no master fd is left. So the board gets the only master fd (a dup) and the
 * testbed's descriptor number is pointed at /dev/null. The harness also keeps a slave fd
 * open, so that the board does not see EIO whenever the station has the port closed (a
 * real board does not notice the station closing its adapter either).
 */
#include "sim.h"
#include "sim-privsep.h"
#include "sim-usb.h"

#include <umockdev.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define PRELOAD_LIB "libumockdev-preload.so.0"
#define REEXEC_GUARD "SIM_PRELOAD_REEXEC"
#define SYS_HUB "/devices/pci0000:00/0000:00:14.0/usb1/1-1"

extern char **environ;

struct sim_line {
	struct sim_adapter pub;      /* handed to the board function */
	struct sim_run *run;
	struct sim_usb *usb;         /* USB bulk board (sim-usb.c) instead of an adapter */
	UMockdevIoctlBase *handler;
	pthread_t thread;
	int thread_started;
	int slave_fd;                /* our hold on the line, see the file comment */
	int modem_lines;             /* TIOCM_* as the station sees them; worker thread only */
	int ready;                   /* sim_ready called (or the board function returned) */
};

struct sim_run {
	UMockdevTestbed *tb;
	char *root;                  /* testbed directory (g_malloc'd) */
	struct sim_line *lines;
	unsigned n;
	sim_board_fn fn;
	void *arg;
	unsigned usb_from;           /* lines from this index on are boards on USB bulk */
	int hotplug;                 /* sim_plug/sim_unplug allowed (sim_cfg.hotplug) */
	int uevents;                 /* this process runs under the preload: send uevents */
	pthread_mutex_t mu;          /* the testbed's files, slave_fd, ready, nready */
	pthread_cond_t ready_cv;
	unsigned nready;
	volatile int stop;
};

static void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int preloaded(void);

static void
sim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Worker thread (the testbed's GMainContext): modem-control ioctls are emulated per line,
 * everything else (termios, flush, drain, ...) is executed on the real pty in the client.
 */
static gboolean
on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer ud)
{
	struct sim_line *l = ud;
	gulong req = umockdev_ioctl_client_get_request(c);
	UMockdevIoctlData *d;
	GError *err = NULL;
	int *v, e = 0, r;

	if (req == TIOCMGET || req == TIOCMSET || req == TIOCMBIS || req == TIOCMBIC) {
		d = umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(c), 0, sizeof(int),
		    &err);
		if (d == NULL) {
			g_clear_error(&err);
			umockdev_ioctl_client_complete(c, -1, EFAULT);
			return TRUE;
		}
		v = (int *)(void *)d->data; /* written back to the client on complete */
		if (req == TIOCMGET)
			*v = l->modem_lines;
		else if (req == TIOCMSET)
			l->modem_lines = *v;
		else if (req == TIOCMBIS)
			l->modem_lines |= *v;
		else
			l->modem_lines &= ~*v;
		g_object_unref(d);
		umockdev_ioctl_client_complete(c, 0, 0);
		return TRUE;
	}
	r = umockdev_ioctl_client_execute(c, &e, &err);
	if (err != NULL) {
		g_clear_error(&err);
		r = -1;
		e = EIO;
	}
	umockdev_ioctl_client_complete(c, r, e);
	return TRUE;
}

/* Appends fmt to *s (a growing g_malloc'd string). */
static void dev_add(GString *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
dev_add(GString *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(s, fmt, ap);
	va_end(ap);
}

/*
 * umockdev description of adapter i: tty -> usb-serial port -> interface -> USB device on
 * port i+1 of hub 1-1. Children first; the "device" link is what libserialport follows to
 * find the USB attributes, and the directory names give the physical path.
 */
static void
describe_adapter(GString *s, unsigned i, int with_node)
{
	unsigned port = i + 1;

	dev_add(s, "P: " SYS_HUB "/1-1.%u/1-1.%u:1.0/ttyUSB%u/tty/ttyUSB%u\n", port, port, i, i);
	/* umockdev makes the pty for an N: line, once per run and node (it keeps the master by
	 * name and refuses a second one); a re-plugged adapter gets its pty from plug_line */
	if (with_node)
		dev_add(s, "N: ttyUSB%u\n", i);
	dev_add(s, "E: DEVNAME=/dev/ttyUSB%u\nE: SUBSYSTEM=tty\nE: MAJOR=188\nE: MINOR=%u\n"
	    "A: dev=188:%u\nL: device=../../../ttyUSB%u\n\n", i, i, i, i);
	dev_add(s, "P: " SYS_HUB "/1-1.%u/1-1.%u:1.0/ttyUSB%u\nE: SUBSYSTEM=usb-serial\n"
	    "E: DRIVER=ftdi_sio\nA: port_number=0\n\n", port, port, i);
	dev_add(s, "P: " SYS_HUB "/1-1.%u/1-1.%u:1.0\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n"
	    "E: DRIVER=ftdi_sio\nA: bInterfaceNumber=00\nA: bInterfaceClass=ff\n\n", port, port);
	dev_add(s, "P: " SYS_HUB "/1-1.%u\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n"
	    "E: BUSNUM=001\nE: DEVNUM=%03u\nA: busnum=1\nA: devnum=%u\nA: devpath=1.%u\n"
	    "A: idVendor=0403\nA: idProduct=6001\nA: bcdDevice=0600\nA: speed=12\n"
	    "A: manufacturer=FTDI\nA: product=FT232R USB UART\nA: serial=SIM%04u\n\n",
	    port, i + 3, i + 3, port, i);
}

/* USB 2.0 hub 05e3:0608 and root hub 1d6b:0002: device descriptor, then the configuration
 * (one hub interface, one interrupt IN endpoint). */
#define HUB_DESCRIPTORS "1201000209000140E305080600010001000109021900010100E000090400" \
	"0001090000000705810301000C"
#define ROOT_HUB_DESCRIPTORS "12010002090001406B1D020006060302010109021900010100E000090400" \
	"0001090000000705810304000C"

/* The hubs carry their descriptors too: libusb enumerates them to learn each board's
 * parent, which is how it builds the physical path 1-1.<port>. */
static void
describe_hub(GString *s)
{
	dev_add(s, "P: " SYS_HUB "\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: BUSNUM=001\n"
	    "E: DEVNUM=002\nA: busnum=1\nA: devnum=2\nA: devpath=1\nA: idVendor=05e3\n"
	    "A: idProduct=0608\nA: bDeviceClass=09\nA: speed=480\nA: product=USB2.0 Hub\n"
	    "H: descriptors=%s\n\n", HUB_DESCRIPTORS);
	dev_add(s, "P: /devices/pci0000:00/0000:00:14.0/usb1\nE: SUBSYSTEM=usb\n"
	    "E: DEVTYPE=usb_device\nE: BUSNUM=001\nE: DEVNUM=001\nA: busnum=1\nA: devnum=1\n"
	    "A: devpath=0\nA: idVendor=1d6b\nA: idProduct=0002\nA: bDeviceClass=09\n"
	    "A: speed=480\nA: product=xHCI Host Controller\n"
	    "H: descriptors=%s\n\n", ROOT_HUB_DESCRIPTORS);
}

/*
 * Takes the line's pty master away from the testbed (see the file comment), makes both
 * ends raw (the slave stays raw until the station configures it, so nothing is echoed),
 * and opens our slave hold. Returns 0 or -1 (logged).
 */
static int
setup_line(struct sim_run *run, struct sim_line *l)
{
	char slave[64];
	struct termios t;
	int tbfd, nullfd = -1, r = -1;

	if ((tbfd = umockdev_testbed_get_dev_fd(run->tb, l->pub.devnode)) < 0) {
		sim_log("%s: testbed has no pty for it", l->pub.devnode);
		goto out;
	}
	if ((l->pub.fd = fcntl(tbfd, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup3(nullfd, tbfd, O_CLOEXEC) < 0) {
		sim_log("%s: cannot take over the pty master: %s", l->pub.devnode, strerror(errno));
		goto out;
	}
	if (ptsname_r(l->pub.fd, slave, sizeof(slave)) != 0 ||
	    (l->slave_fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		sim_log("%s: cannot open the pty slave: %s", l->pub.devnode, strerror(errno));
		goto out;
	}
	if (tcgetattr(l->slave_fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(l->slave_fd, TCSANOW, &t);
	}
	if (tcgetattr(l->pub.fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(l->pub.fd, TCSANOW, &t);
	}
	r = 0;
out:
	if (nullfd >= 0)
		close(nullfd);
	return r;
}

static void *
board_main(void *p)
{
	struct sim_line *l = p;

	l->run->fn(&l->pub, l->run->arg);
	sim_ready(&l->pub);
	return NULL;
}

/* The sim_line of a board function's adapter (pub is its first member). */
static struct sim_line *
line_of(struct sim_adapter *a)
{
	return (struct sim_line *)(void *)a;
}

void
sim_ready(struct sim_adapter *a)
{
	struct sim_line *l = line_of(a);

	pthread_mutex_lock(&l->run->mu);
	if (!l->ready) {
		l->ready = 1;
		l->run->nready++;
		pthread_cond_signal(&l->run->ready_cv);
	}
	pthread_mutex_unlock(&l->run->mu);
}

/* Waits up to 5 s until every board function is ready (hotplug runs). */
static void
wait_ready(struct sim_run *run)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&run->mu);
	while (run->nready < run->n)
		if (pthread_cond_timedwait(&run->ready_cv, &run->mu, &until) != 0)
			break;
	if (run->nready < run->n)
		sim_log("%u of %u boards not ready after 5 s; starting anyway", run->n - run->nready,
		    run->n);
	pthread_mutex_unlock(&run->mu);
}

#define SYSPATH_MAX 192

/* The sysfs devices of line l, children first (what describe_adapter/sim_usb_describe add).
 * Returns how many. */
static unsigned
line_syspaths(const struct sim_line *l, char paths[4][SYSPATH_MAX])
{
	unsigned i = l->pub.index, port = i + 1;

	if (l->pub.usb) {
		snprintf(paths[0], SYSPATH_MAX, "/sys" SYS_HUB "/1-1.%u", port);
		return 1;
	}
	snprintf(paths[0], SYSPATH_MAX, "/sys" SYS_HUB "/1-1.%u/1-1.%u:1.0/ttyUSB%u/tty/ttyUSB%u",
	    port, port, i, i);
	snprintf(paths[1], SYSPATH_MAX, "/sys" SYS_HUB "/1-1.%u/1-1.%u:1.0/ttyUSB%u", port, port, i);
	snprintf(paths[2], SYSPATH_MAX, "/sys" SYS_HUB "/1-1.%u/1-1.%u:1.0", port, port);
	snprintf(paths[3], SYSPATH_MAX, "/sys" SYS_HUB "/1-1.%u", port);
	return 4;
}

/* Unplugs l; run->mu held. The board's end goes first, so that the station sees the hang-up
 * even while the files are being removed. */
static void
unplug_line(struct sim_run *run, struct sim_line *l)
{
	char paths[4][SYSPATH_MAX];
	unsigned k, np;

	if (l->pub.fd >= 0) {
		close(l->pub.fd);
		l->pub.fd = -1;
	}
	if (l->slave_fd >= 0) {
		close(l->slave_fd);
		l->slave_fd = -1;
	}
	if (!l->pub.plugged)
		return;
	np = line_syspaths(l, paths);
	if (run->uevents)
		for (k = 0; k < np; k++)
			umockdev_testbed_uevent(run->tb, paths[k], "remove");
	for (k = 0; k < np; k++)
		umockdev_testbed_remove_device(run->tb, paths[k]);
	l->pub.plugged = 0;
}

/* A new pty for a re-plugged adapter, as umockdev makes one: the master is the board's end,
 * the testbed's device node a symbolic link to the slave. 0 or -1 (logged). */
static int
new_pty(struct sim_run *run, struct sim_line *l)
{
	char slave[64], node[PATH_MAX];
	struct termios t;
	int m;

	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || grantpt(m) != 0 ||
	    unlockpt(m) != 0 || ptsname_r(m, slave, sizeof(slave)) != 0) {
		sim_log("%s: cannot make a pty: %s", l->pub.devnode, strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	if ((l->slave_fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		sim_log("%s: cannot open the pty slave %s: %s", l->pub.devnode, slave, strerror(errno));
		close(m);
		return -1;
	}
	if (tcgetattr(l->slave_fd, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(l->slave_fd, TCSANOW, &t);
	}
	if (tcgetattr(m, &t) == 0) {
		cfmakeraw(&t);
		(void)tcsetattr(m, TCSANOW, &t);
	}
	if (snprintf(node, sizeof(node), "%s%s", run->root, l->pub.devnode) >= (int)sizeof(node) ||
	    ((void)unlink(node), symlink(slave, node) != 0)) {
		sim_log("%s: cannot make the device node: %s", l->pub.devnode, strerror(errno));
		close(m);
		return -1;
	}
	l->pub.fd = m;
	return 0;
}

/* Plugs l in; run->mu held. 0 or -1 (logged; l is then unplugged). */
static int
plug_line(struct sim_run *run, struct sim_line *l)
{
	char paths[4][SYSPATH_MAX];
	GString *desc = g_string_new(NULL);
	GError *err = NULL;
	unsigned k, np, i = l->pub.index;
	int r = -1;

	if (l->pub.plugged)
		unplug_line(run, l); /* plugged but dead: the board closed its end */
	if (l->pub.usb) {
		sim_usb_describe(desc, SYS_HUB, i + 1, i + 3, i);
		if (sim_usb_replug(l->usb, &l->pub.fd) != 0)
			goto out;
	} else
		describe_adapter(desc, i, 0);
	if (!umockdev_testbed_add_from_string(run->tb, desc->str, &err)) {
		sim_log("%s: cannot plug it back in: %s", l->pub.devnode, err != NULL ? err->message : "?");
		goto out;
	}
	l->pub.plugged = 1;
	if (!l->pub.usb && new_pty(run, l) != 0)
		goto out;
	if (sim_privsep_wanted() && sim_privsep_prepare(run->root, &l->slave_fd, 1) != 0)
		goto out;
	np = line_syspaths(l, paths);
	if (run->uevents)
		for (k = np; k-- > 0;)
			umockdev_testbed_uevent(run->tb, paths[k], "add");
	r = 0;
out:
	if (r != 0)
		unplug_line(run, l);
	g_clear_error(&err);
	g_string_free(desc, TRUE);
	return r;
}

int
sim_unplug(struct sim_adapter *a)
{
	struct sim_line *l = line_of(a);
	int r = -1;

	pthread_mutex_lock(&l->run->mu);
	if (l->run->hotplug && !l->run->stop) {
		unplug_line(l->run, l);
		r = 0;
	}
	pthread_mutex_unlock(&l->run->mu);
	return r;
}

int
sim_plug(struct sim_adapter *a)
{
	struct sim_line *l = line_of(a);
	int r = -1;

	pthread_mutex_lock(&l->run->mu);
	if (l->run->hotplug && !l->run->stop)
		r = l->pub.plugged && l->pub.fd >= 0 ? 0 : plug_line(l->run, l);
	pthread_mutex_unlock(&l->run->mu);
	return r;
}

/* Environment of the child: ours, with UMOCKDEV_DIR and the preload appended to LD_PRELOAD. */
static char **
child_env(const char *root)
{
	const char *old = getenv("LD_PRELOAD");
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 3, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
		    strncmp(environ[i], "UMOCKDEV_DIR=", 13) != 0 &&
		    strncmp(environ[i], REEXEC_GUARD "=", sizeof(REEXEC_GUARD)) != 0)
			env[k++] = environ[i]; /* borrowed */
	}
	if (old != NULL && strstr(old, "libumockdev-preload") != NULL)
		env[k] = g_strdup_printf("LD_PRELOAD=%s", old);
	else if (old != NULL && old[0] != '\0')
		env[k] = g_strdup_printf("LD_PRELOAD=%s:" PRELOAD_LIB, old);
	else
		env[k] = g_strdup("LD_PRELOAD=" PRELOAD_LIB);
	env[k + 1] = g_strdup_printf("UMOCKDEV_DIR=%s", root);
	return env;
}

static void
free_child_env(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	/* the two entries we made are the last two */
	for (i = 0; env[i] != NULL; i++) {
		if (env[i + 1] == NULL || env[i + 2] == NULL)
			g_free(env[i]);
	}
	free(env);
}

static int
spawn_child(char *const argv[], const char *root, const sigset_t *child_mask, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def;
	char **env;
	int e, r = -1;

	if ((env = child_env(root)) == NULL) {
		sim_log("out of memory");
		return -1;
	}
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* The child must not inherit a master fd (it would keep the line up after the board
	 * closes it) or umockdev's sockets. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setsigmask(&at, child_mask);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if ((e = posix_spawnp(pid, argv[0], &fa, &at, argv, env)) != 0)
		sim_log("cannot run '%s': %s", argv[0], strerror(e));
	else
		r = 0;
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free_child_env(env);
	return r;
}

/*
 * Waits for the child (or, without one, for SIGINT/SIGTERM). Signals SIGINT/SIGTERM/SIGCHLD
 * are blocked in every thread, so they are taken here synchronously.
 */
static int
wait_child(pid_t pid, int *status)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	siginfo_t si;
	sigset_t set;
	pid_t w;
	int sig, st;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		if (pid > 0) {
			/* polled as well: a SIGCHLD may have been merged with an earlier one */
			if ((w = waitpid(pid, &st, WNOHANG)) == pid) {
				if (WIFEXITED(st))
					*status = WEXITSTATUS(st);
				else if (WIFSIGNALED(st))
					*status = 128 + WTERMSIG(st);
				else
					continue;
				return 0;
			}
			if (w < 0 && errno != EINTR) {
				sim_log("waitpid: %s", strerror(errno));
				return -1;
			}
		}
		if ((sig = sigtimedwait(&set, &si, &tick)) < 0)
			continue; /* EAGAIN (tick) or EINTR */
		if (sig == SIGCHLD)
			continue;
		if (pid <= 0) {
			*status = 0;
			return 0;
		}
		/* A terminal's ^C (SI_KERNEL) already reached the child through the process
		 * group; only pass on what was sent to us alone. */
		if (si.si_code != SI_KERNEL)
			kill(pid, sig);
	}
}

/* Stops the boards, joins them, closes the lines. Safe on a partly set up run. */
static void
stop_boards(struct sim_run *run)
{
	unsigned i;

	__atomic_store_n(&run->stop, 1, __ATOMIC_SEQ_CST);
	/* With the station gone, dropping our slave hold hangs up the line from the master's
	 * side, which wakes a board blocked in read() with EIO. */
	pthread_mutex_lock(&run->mu);
	for (i = 0; i < run->n; i++) {
		if (run->lines[i].slave_fd >= 0) {
			close(run->lines[i].slave_fd);
			run->lines[i].slave_fd = -1;
		}
		sim_usb_shutdown(run->lines[i].usb);
	}
	pthread_mutex_unlock(&run->mu);
	for (i = 0; i < run->n; i++) {
		if (run->lines[i].thread_started)
			pthread_join(run->lines[i].thread, NULL);
		run->lines[i].thread_started = 0;
		if (run->lines[i].pub.fd >= 0)
			close(run->lines[i].pub.fd);
		run->lines[i].pub.fd = -1;
	}
}

int
sim_run(unsigned n, int usb, sim_board_fn fn, void *arg, char *const argv[], int *status)
{
	struct sim_cfg cfg = { n, usb ? n : 0, 0 };

	return sim_run_cfg(&cfg, fn, arg, argv, status);
}

/* See sim.h. Setup failures are logged with the umockdev/OS detail and unwound fully. */
int
sim_run_cfg(const struct sim_cfg *cfg, sim_board_fn fn, void *arg, char *const argv[], int *status)
{
	struct sim_run run;
	unsigned n = cfg != NULL ? cfg->n : 0;
	struct sim_line *l;
	sigset_t block, oldmask;
	GString *desc = NULL;
	GError *err = NULL;
	pid_t pid = -1;
	unsigned i;
	int e, r = -1, st = 0;

	if (n < 1 || n > SIM_MAX_ADAPTERS || cfg->usb > n || fn == NULL || status == NULL ||
	    (argv != NULL && argv[0] == NULL)) {
		sim_log("sim_run: bad arguments (n=%u, 1..%d adapters)", n, SIM_MAX_ADAPTERS);
		return -1;
	}
	memset(&run, 0, sizeof(run));
	run.fn = fn;
	run.arg = arg;
	run.usb_from = n - cfg->usb;
	run.hotplug = cfg->hotplug;
	run.uevents = cfg->hotplug && preloaded();
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.ready_cv, NULL);
	if ((run.lines = calloc(n, sizeof(*run.lines))) == NULL) {
		sim_log("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		l = &run.lines[i];
		l->run = &run;
		l->slave_fd = -1;
		l->pub.fd = -1;
		l->pub.index = i;
		l->pub.stop = &run.stop;
		l->pub.usb = i >= run.usb_from;
		l->pub.plugged = 1;
		/* the station asserts DTR/RTS itself; the board side says "present" */
		l->modem_lines = TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
		if (l->pub.usb)
			snprintf(l->pub.devnode, sizeof(l->pub.devnode), "/dev/bus/usb/001/%03u", i + 3);
		else
			snprintf(l->pub.devnode, sizeof(l->pub.devnode), "/dev/ttyUSB%u", i);
		snprintf(l->pub.usb_path, sizeof(l->pub.usb_path), "1-1.%u", i + 1);
		snprintf(l->pub.serial, sizeof(l->pub.serial), l->pub.usb ? "SIMUSB%04u" : "SIM%04u", i);
	}
	run.n = n;

	/* Before any thread exists (umockdev's worker is started by attach_ioctl), so that
	 * every thread inherits the mask and only wait_child takes these signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	if ((e = pthread_sigmask(SIG_BLOCK, &block, &oldmask)) != 0) {
		sim_log("pthread_sigmask: %s", strerror(e));
		free(run.lines);
		return -1;
	}

	/* A board writing to a USB line whose harness end is gone must get EPIPE, not die. */
	signal(SIGPIPE, SIG_IGN);
	run.tb = umockdev_testbed_new(); /* aborts the process if /tmp is unusable */
	run.root = umockdev_testbed_get_root_dir(run.tb); /* a copy, ours to free */
	desc = g_string_new(NULL);
	for (i = 0; i < n; i++) {
		if (run.lines[i].pub.usb)
			sim_usb_describe(desc, SYS_HUB, i + 1, i + 3, i);
		else
			describe_adapter(desc, i, 1);
	}
	describe_hub(desc);
	if (!umockdev_testbed_add_from_string(run.tb, desc->str, &err)) {
		sim_log("cannot build the testbed: %s", err != NULL ? err->message : "?");
		goto out;
	}
	for (i = 0; i < n; i++) {
		l = &run.lines[i];
		if (l->pub.usb) {
			if (sim_usb_attach(run.tb, l->pub.devnode, &l->usb, &l->pub.fd) != 0)
				goto out;
			/* a USB board is its own device: absent until its board function plugs it */
			if (run.hotplug)
				unplug_line(&run, l);
			continue;
		}
		l->handler = g_object_new(UMOCKDEV_TYPE_IOCTL_BASE, NULL);
		g_signal_connect(l->handler, "handle-ioctl", G_CALLBACK(on_ioctl), l);
		if (!umockdev_testbed_attach_ioctl(run.tb, l->pub.devnode, l->handler, &err)) {
			sim_log("%s: cannot attach the ioctl handler: %s", l->pub.devnode,
			    err != NULL ? err->message : "?");
			goto out;
		}
		if (setup_line(&run, l) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		l = &run.lines[i];
		if ((e = pthread_create(&l->thread, NULL, board_main, l)) != 0) {
			sim_log("cannot start board thread %u: %s", i, strerror(e));
			goto out;
		}
		l->thread_started = 1;
	}
	if (run.hotplug)
		wait_ready(&run);
	if (sim_privsep_wanted()) {
		int fds[SIM_MAX_ADAPTERS];

		for (i = 0; i < n; i++)
			fds[i] = run.lines[i].slave_fd;
		if (sim_privsep_prepare(run.root, fds, n) != 0)
			goto out;
	}
	if (argv != NULL) {
		if (spawn_child(argv, run.root, &oldmask, &pid) != 0)
			goto out;
	} else {
		sim_log("%u simulated %s on %s..%s; reach them with:", n, run.usb_from == 0 ?
		    "USB bulk boards" : run.usb_from < n ? "adapters and USB bulk boards" : "adapters",
		    run.lines[0].pub.devnode, run.lines[n - 1].pub.devnode);
		/* for scripts: a line of its own on stdout, flushed */
		printf("UMOCKDEV_DIR=%s\n", run.root);
		fflush(stdout);
		sim_log("  UMOCKDEV_DIR=%s LD_PRELOAD=" PRELOAD_LIB " station ports", run.root);
		sim_log("stop with SIGINT or SIGTERM");
	}
	if (wait_child(pid, &st) != 0)
		goto out;
	*status = st;
	r = 0;
out:
	if (r != 0 && pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	stop_boards(&run);
	/* Frees the worker thread and removes /tmp/umockdev.*; the handlers and lines it
	 * points at must outlive it. */
	if (run.tb != NULL)
		g_object_unref(run.tb);
	for (i = 0; i < n; i++) {
		if (run.lines[i].handler != NULL)
			g_object_unref(run.lines[i].handler);
		sim_usb_free(run.lines[i].usb);
	}
	g_free(run.root);
	if (err != NULL)
		g_error_free(err);
	if (desc != NULL)
		g_string_free(desc, TRUE);
	free(run.lines);
	pthread_cond_destroy(&run.ready_cv);
	pthread_mutex_destroy(&run.mu);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	return r;
}

/* 1 when libumockdev-preload is mapped into this process. */
static int
preloaded(void)
{
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "libumockdev-preload") != NULL;
	fclose(f);
	return found;
}

/* See sim.h. Guarded by SIM_PRELOAD_REEXEC so that a missing library cannot loop. */
int
sim_ensure_preload(char *const argv[])
{
	const char *old = getenv("LD_PRELOAD");
	char *val;

	if (preloaded()) {
		unsetenv(REEXEC_GUARD);
		return 0;
	}
	/* Once only: if the loader could not find the library, do not loop. */
	if (getenv(REEXEC_GUARD) != NULL) {
		sim_log("re-executed with LD_PRELOAD=%s but %s is not loaded; install umockdev",
		    old != NULL ? old : "", PRELOAD_LIB);
		return -1;
	}
	if (old != NULL && old[0] != '\0')
		val = g_strdup_printf("%s:" PRELOAD_LIB, old);
	else
		val = g_strdup(PRELOAD_LIB);
	if (setenv("LD_PRELOAD", val, 1) != 0 || setenv(REEXEC_GUARD, "1", 1) != 0) {
		sim_log("setenv: %s", strerror(errno));
		g_free(val);
		return -1;
	}
	g_free(val);
	execv("/proc/self/exe", argv);
	sim_log("cannot re-execute /proc/self/exe: %s", strerror(errno));
	return -1;
}
