/*
 * sim.h: puts simulated boards behind emulated USB-serial adapters (umockdev), so that an
 * unmodified station process finds and opens them through libserialport exactly like real
 * FTDI adapters in real fixtures: sp_list_ports shows /dev/ttyUSB<i>, 0403:6001, serial
 * SIM<i>, physical port 1-1.<i+1>.
 *
 * Linux only; needs libumockdev and libumockdev-preload.so.0 at run time.
 *
 * Limits of umockdev 0.17.16 (measured, tests/integration/README-sim.txt):
 *  - One client process can have at most 50 emulated device fds open at the same time
 *    (the preload's FD_MAP_MAX); the 51st open aborts it with "fd_map_add(): overflow".
 *    All 64 adapters can be listed and used, but not all held open by one process.
 *  - All adapters share one umockdev worker thread, which every read()/write()/ioctl()
 *    of the station passes through: ~0.3-0.45 ms per 64 B request/echo round trip with
 *    one fixture busy, ~5000 round trips/s in total however many are busy (10 ms per
 *    round trip with 50 busy). Give simulated boards generous protocol timeouts.
 *  - A station still using an emulated port when the testbed goes away is aborted by the
 *    preload (its ioctl socket hits EOF); only matters with argv == NULL.
 */
#ifndef SIM_H
#define SIM_H

#define SIM_MAX_ADAPTERS 64

struct sim_adapter {
	unsigned index;     /* 0..n-1 */
	/* pty master: the board's end of the line (read requests, write replies). Owned by the
	 * harness. To simulate an unplug, the board may close(fd) and then set fd = -1; the
	 * station then sees a hang-up. Whatever is still open is closed by the harness after
	 * the board function has returned. */
	int fd;
	char devnode[32];   /* "/dev/ttyUSB<index>" as the station sees it */
	char usb_path[32];  /* "1-1.<index+1>" physical port shown to the technician */
	char serial[32];    /* adapter USB serial, "SIM<4-digit index>" */
	volatile int *stop; /* becomes non-zero when the harness is shutting down */
	int usb;            /* a board on USB bulk (fd is a socketpair end), not a serial adapter */
	int plugged;        /* present in the testbed; changed by sim_plug/sim_unplug only */
};

/*
 * Runs on its own thread per adapter. It must return soon after *a->stop becomes non-zero
 * (poll with a timeout of ~100 ms) or when fd reports hang-up/EIO: on shutdown the harness
 * also closes its own hold on the line, so a board blocked in read() gets EIO.
 * It must not install signal handlers; SIGINT/SIGTERM/SIGCHLD are blocked on its thread.
 */
typedef void (*sim_board_fn)(struct sim_adapter *a, void *arg);

/*
 * Creates a umockdev testbed with n (1..SIM_MAX_ADAPTERS) FTDI FT232R adapters (0403:6001)
 * under one hub (or, with usb != 0, n boards on USB bulk at /dev/bus/usb/001/003.. on the
 * same hub ports, sim-usb.h; a->fd is then a socketpair end, and a->devnode the usbfs node),
 * answers their modem-control ioctls (TIOCMGET/SET/BIS/BIC; everything else runs on the real
 * pty in the client), starts fn on one thread per adapter, then runs argv
 * (argv[0] looked up in PATH) as a child process with UMOCKDEV_DIR set and
 * libumockdev-preload.so.0 appended to LD_PRELOAD (appended: an ASan runtime or a shim
 * must stay first), and waits for it. SIGINT/SIGTERM sent to this process with kill() are
 * forwarded to the child (terminal-generated ones already reach it through its process
 * group). If argv is NULL, runs until SIGINT/SIGTERM and prints how to reach the testbed.
 * Then stops and joins the board threads and removes the testbed (its /tmp/umockdev.*
 * directory).
 *
 * With STATION_TEST_PRIVSEP=1, when run as root, the testbed and the pty slaves are given to the
 * user "station" before argv starts (sim-privsep.h), for a station that drops root.
 *
 * Must be called from the main thread before any other thread exists, at most one run at
 * a time (umockdev keeps the testbed in the environment). The calling process does not need
 * the umockdev preload (tty emulation needs no uevents); see sim.c.
 *
 * Returns 0 with *status = the child's exit code (128+signal if it was killed; 0 when argv
 * is NULL), or -1 with a message on stderr when the testbed or the child cannot be set up.
 */
int sim_run(unsigned n, int usb, sim_board_fn fn, void *arg, char *const argv[], int *status);

struct sim_cfg {
	unsigned n;       /* lines, 1..SIM_MAX_ADAPTERS */
	unsigned usb;     /* the last `usb` of them (0..n) are boards on USB bulk, the others FTDI
	                   * adapters; one testbed holds both */
	int hotplug;      /* the board functions plug and unplug their lines (sim_plug, sim_unplug);
	                   * USB bulk lines then start unplugged, and argv is started only once every
	                   * board function has called sim_ready (or returned), at most 5 s later */
};

/* sim_run with a mix of serial adapters and USB bulk boards, and hotplug. Same contract. */
int sim_run_cfg(const struct sim_cfg *cfg, sim_board_fn fn, void *arg, char *const argv[],
    int *status);

/* Hotplug runs: the board function of a says it has set its line up (see sim_cfg.hotplug). */
void sim_ready(struct sim_adapter *a);

/*
 * Hotplug runs, from a's own board function: removes the line from the testbed as an unplug
 * does. The board's end (a->fd) is closed and set to -1 first, so a station holding the port
 * open sees a hang-up (serial: read() returns 0/EIO; USB: LIBUSB_ERROR_NO_DEVICE), then the
 * sysfs devices, the device node and its /sys/dev link go, so listing no longer shows it (a
 * "remove" uevent is sent when this process runs under the umockdev preload). Idempotent.
 * Returns 0, or -1 when the harness is shutting down or the run is not a hotplug run.
 */
int sim_unplug(struct sim_adapter *a);

/*
 * Hotplug runs, from a's own board function: plugs the line back in, with the same devnode,
 * USB path and serial: a new pty (serial) or a new board line on the same usbfs node (USB; a
 * client that had the old device open keeps getting ENODEV, as after a real re-enumeration).
 * a->fd is the board's new end. Unplugs first when the line is plugged but dead (a->fd < 0:
 * the board closed it). Returns 0, or -1 (logged) when the line cannot be made or the harness
 * is shutting down; the line is then unplugged.
 */
int sim_plug(struct sim_adapter *a);

/*
 * If this process is not running under the umockdev preload, re-executes it (/proc/self/exe,
 * same argv) with libumockdev-preload.so.0 appended to LD_PRELOAD. Returns 0 when already
 * preloaded, -1 (message on stderr) when the re-exec failed or did not bring the preload in.
 * Call it first thing in main. sim_run does not need it; it is for harnesses that emit
 * uevents or touch emulated devices themselves.
 */
int sim_ensure_preload(char *const argv[]);

#endif
