/*
 * privsep-probe.c: the board-facing half of the station, cut down to what privilege separation
 * and the sandbox can break: drop to the station user (privsep.h, when run as root), enter the
 * sandbox (sandbox.h) with the paths the station passes, then list the fixtures and say HELLO to
 * every board through the station's own transport and link code. Run under the simulator:
 *   firmware-stub sim --boards N [--usb] -- privsep-probe [--no-drop] [--no-sandbox]
 *       [--ro PATH]... [--rw PATH]... [--umockdev] [--list-first]
 * --list-first lists the fixtures once before the drop, as `station run` does (select_ports
 * comes before signer_start): libusb_init's event thread must be gone again by sandbox_enter.
 * Prints one line per step; exit 0 when every board answered.
 *
 * Under umockdev (measured with 0.17.16): the preload also redirects the sandbox's own rule paths,
 * so the rules for "/sys" and "/dev" land on $UMOCKDEV_DIR/sys and $UMOCKDEV_DIR/dev by
 * themselves. Two more read-write paths are needed, which --umockdev adds:
 *  - /dev/pts: $UMOCKDEV_DIR/dev/ttyUSB<i> is a symbolic link to a real pty slave /dev/pts/<n>,
 *    outside the redirected /dev, and Landlock checks the file the link leads to (on a real
 *    station /dev/pts is beneath /dev: passing it always costs nothing);
 *  - $UMOCKDEV_DIR: libusb_init's uevent monitor becomes a UNIX socket the station binds at
 *    $UMOCKDEV_DIR/event<fd> (without it, no USB board is listed).
 * The ioctl sockets under $UMOCKDEV_DIR/ioctl need no rule: Landlock (ABI <= 7) does not check
 * connect() to a pathname socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "privsep.h"
#include "sandbox.h"
#include "xport.h"

/* What every station process reads (sandbox.h): libraries, /etc, its own /proc entry, and the
 * trees libserialport and libusb/libudev enumerate; /dev read-write for the fixtures. */
static const char *ro[CAP_SANDBOX_PATHS] = { "/usr", "/lib", "/lib64", "/etc", "/proc/self",
	"/sys", "/run/udev" };
static size_t nro = 7;
static const char *rw[CAP_SANDBOX_PATHS] = { "/dev" };
static size_t nrw = 1;

static int
hello(const struct xport_info *p)
{
	struct xport *x = NULL;
	struct link *l;
	struct msg_hello h;
	const uint8_t *rsp;
	size_t rl;
	int r;

	if ((r = xport_open(xport_ops_for(p->name), p->name, 115200, &x)) != 0) {
		printf("open %s: %s (errno %s)\n", p->name, xport_strerror(r), strerror(errno));
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		xport_close(x);
		return -1;
	}
	link_init(l, x, 0x1234);
	r = link_call(l, MSG_HELLO, NULL, 0, 2000, 2, &rsp, &rl);
	if (r == 0 && msg_dec_hello(rsp, rl, &h) == 0)
		printf("hello %s: ok, model %s, state %u\n", p->name, h.model, h.state);
	else
		printf("hello %s: %s\n", p->name, link_strerror(r));
	free(l);
	xport_close(x);
	return r == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "no-drop", no_argument, NULL, 'd' },
		{ "no-sandbox", no_argument, NULL, 's' }, { "ro", required_argument, NULL, 'r' },
		{ "rw", required_argument, NULL, 'w' }, { "umockdev", no_argument, NULL, 'u' },
		{ "list-first", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	struct xport_info *ports;
	struct privsep ps;
	char why[CAP_REASON * 2], mode[CAP_REASON];
	size_t n = 0, i, ok = 0;
	int c, drop = 1, sandbox = 1, first = 0, r, rc = 1;
	const char *tb;

	log_init("privsep-probe", getenv("PROBE_VERBOSE") ? LOG_DEBUG : LOG_WARN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': drop = 0; break;
		case 's': sandbox = 0; break;
		case 'r': if (nro < CAP_SANDBOX_PATHS) ro[nro++] = optarg; break;
		case 'w': if (nrw < CAP_SANDBOX_PATHS) rw[nrw++] = optarg; break;
		case 'l': first = 1; break;
		case 'u':
			if ((tb = getenv("UMOCKDEV_DIR")) != NULL && nrw + 2 <= CAP_SANDBOX_PATHS) {
				rw[nrw++] = tb;
				rw[nrw++] = "/dev/pts";
			}
			break;
		default: return 2;
		}
	}
	if ((ports = calloc(CAP_XPORT_LIST, sizeof(*ports))) == NULL)
		return 1;
	if (first) {
		r = xport_list(ports, CAP_XPORT_LIST, &n);
		printf("list before the drop: %s, %zu port(s)\n", xport_strerror(r), n);
	}
	if (privsep_init(&ps, why, sizeof(why)) != 0) {
		printf("privsep_init: %s\n", why);
		goto out;
	}
	privsep_describe(&ps, mode, sizeof(mode));
	printf("mode: %s\n", mode);
	if (drop && privsep_drop_station(&ps, why, sizeof(why)) != 0) {
		printf("drop: %s\n", why);
		goto out;
	}
	printf("ids: uid %u euid %u gid %u\n", (unsigned)getuid(), (unsigned)geteuid(),
	    (unsigned)getgid());
	if (sandbox) {
		r = sandbox_enter(ro, nro, rw, nrw, why, sizeof(why));
		printf("sandbox: %s (Landlock ABI %d)%s%s\n", sandbox_strerror(r), sandbox_landlock_abi(),
		    r != 0 ? ": " : "", r != 0 ? why : "");
		if (r != 0 && r != SANDBOX_ERR_NOLANDLOCK)
			goto out;
	}
	if ((r = xport_list(ports, CAP_XPORT_LIST, &n)) != 0) {
		printf("list: %s\n", xport_strerror(r));
		goto out;
	}
	printf("list: %zu port(s)\n", n);
	for (i = 0; i < n && i < CAP_XPORT_LIST; i++)
		if (hello(&ports[i]) == 0)
			ok++;
	printf("answered: %zu of %zu\n", ok, n);
	rc = n > 0 && ok == n ? 0 : 1;
out:
	free(ports);
	return rc;
}
