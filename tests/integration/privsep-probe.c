/*
 * privsep-probe.c: the board-facing half of the station, cut down to what privilege separation
 * and the sandbox can break: confine_station (drop to the station user when run as root, leave
 * the terminal, enter the sandbox with the station's own rules: confine.h), then list the
 * fixtures and say HELLO to every board through the station's own transport and link code.
 * Run under the simulator:
 *   firmware-stub sim --boards N [--usb] -- privsep-probe [--no-confine] [--list-first]
 * --list-first lists the fixtures once before the drop, as `station run` does (select_ports
 * comes before signer_start): libusb_init's event thread must be gone again by sandbox_enter.
 * Prints one line per step; exit 0 when every board answered.
 *
 * Under umockdev (measured with 0.17.16): the preload also redirects the sandbox's own rule paths,
 * so the rules for "/sys" and "/dev" land on $UMOCKDEV_DIR/sys and $UMOCKDEV_DIR/dev by
 * themselves; /dev/pts is needed because $UMOCKDEV_DIR/dev/ttyUSB<i> is a symbolic link to a
 * real pty slave, and the testbed read-write because libusb_init's uevent monitor becomes a UNIX
 * socket bound there (confine_station adds it under umockdev only).
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
#include "confine.h"
#include "privsep.h"
#include "sandbox.h"
#include "xport.h"

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
	static const struct option opts[] = { { "no-confine", no_argument, NULL, 'c' },
		{ "list-first", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	/* No profile, CA certificate or labels of its own: those rules are skipped. */
	static const struct confine_paths paths = { "/nonexistent/profile.ini",
		"/nonexistent/ca.pem", "/nonexistent/labels", NULL, 0 };
	struct xport_info *ports;
	struct privsep ps;
	char why[CAP_REASON * 2], mode[CAP_REASON];
	size_t n = 0, i, ok = 0;
	int c, confine = 1, first = 0, r, rc = 1;

	log_init("privsep-probe", getenv("PROBE_VERBOSE") ? LOG_DEBUG : LOG_WARN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': confine = 0; break;
		case 'l': first = 1; break;
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
	if (confine) {
		r = confine_station(&ps, &paths, why, sizeof(why));
		printf("sandbox: %s (Landlock ABI %d)%s%s\n", r == 0 ? "success" : r == 1 ?
		    "no Landlock" : "failed", sandbox_landlock_abi(), r != 0 ? ": " : "",
		    r != 0 ? why : "");
		if (r < 0)
			goto out;
	}
	printf("ids: uid %u euid %u gid %u\n", (unsigned)getuid(), (unsigned)geteuid(),
	    (unsigned)getgid());
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
