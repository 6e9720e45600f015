/*
 * sim-echo.c: proves the simulation chain (throwaway-quality test driver).
 *   sim-echo [-n N] [-p] CLIENT [ARGS...]
 * puts N (default 4) echo boards behind emulated FTDI adapters and runs CLIENT under the
 * testbed; exits with CLIENT's status. -p re-executes itself under the umockdev preload
 * first (to show the harness works both ways).
 * Board protocol: every line "X\n" is answered "<adapter serial>:X\n"; "HANGUP\n" makes the
 * board close its end of the line (an unplug, as far as the station can tell).
 */
#include "sim.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 8192

static int
write_all(struct sim_adapter *a, const char *p, size_t n)
{
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		if (*a->stop)
			return -1;
		pfd.fd = a->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((w = write(a->fd, p, n)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
echo_board(struct sim_adapter *a, void *arg)
{
	static char line[SIM_MAX_ADAPTERS][LINE_MAX_BYTES + 40];
	char *buf = line[a->index], *nl;
	size_t have = 0, pre;
	struct pollfd pfd;
	ssize_t got;

	pre = (size_t)snprintf(buf, 40, "%s:", a->serial);
	while (!*a->stop) {
		pfd.fd = a->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((got = read(a->fd, buf + pre + have, LINE_MAX_BYTES - have)) <= 0) {
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			return; /* hang-up: harness shutting down */
		}
		have += (size_t)got;
		while ((nl = memchr(buf + pre, '\n', have)) != NULL) {
			size_t len = (size_t)(nl - (buf + pre)) + 1;

			if (len == 7 && memcmp(buf + pre, "HANGUP\n", 7) == 0) {
				close(a->fd);
				a->fd = -1;
				return;
			}
			if (write_all(a, buf, pre + len) != 0)
				return;
			have -= len;
			memmove(buf + pre, buf + pre + len, have);
		}
		if (have == LINE_MAX_BYTES)
			have = 0; /* overlong line: drop it */
	}
}

int
main(int argc, char **argv)
{
	unsigned n = 4;
	int c, status = 1, pre = 0;

	while ((c = getopt(argc, argv, "+n:p")) != -1) {
		switch (c) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			pre = 1;
			break;
		default:
			fprintf(stderr, "usage: sim-echo [-n N] [-p] CLIENT [ARGS...]\n");
			return 2;
		}
	}
	if (pre && sim_ensure_preload(argv) != 0)
		return 1;
	if (sim_run(n, 0, echo_board, NULL, optind < argc ? argv + optind : NULL, &status) != 0)
		return 1;
	fprintf(stderr, "sim-echo: client exited with %d\n", status);
	return status;
}
