/*
 * main.c: firmware-stub, the reference board for the host.
 *   firmware-stub sim --boards N [--dir DIR] [identity options] -- COMMAND [ARGS...]
 *       N boards behind emulated USB-serial adapters (umockdev); COMMAND (e.g. the station)
 *       sees them as /dev/ttyUSB0.. through an unmodified libserialport.
 *   firmware-stub attach --tty DEVICE --flash FILE [identity options]
 *       one board on a real serial line (e.g. a USB-serial adapter wired to the station's).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <fcntl.h>
#include <unistd.h>

#include "board.h"
#include "sim.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: firmware-stub sim --boards N [--dir DIR] [options] -- COMMAND [ARGS...]\n"
	    "       firmware-stub sim --boards N [--dir DIR] [options]     (until Ctrl-C)\n"
	    "       firmware-stub attach --tty DEVICE --flash FILE [options]\n"
	    "       firmware-stub show --flash FILE\n\n"
	    "sim     N boards (1..64) behind emulated FTDI USB-serial adapters; COMMAND runs with\n"
	    "        them visible as /dev/ttyUSB0.. (USB path 1-1.1..). Board i keeps its flash in\n"
	    "        DIR/board-<i>.flash (a new DIR means new boards with random chip ids).\n"
	    "attach  one board on a real serial line.\n"
	    "show    print a board's persisted state as JSON (state, serial, chip id, public key).\n\n"
	    "options:\n"
	    "  --model M            board model (default TH2-DEMO)\n"
	    "  --hw-rev R           hardware revision (default B)\n"
	    "  --fw-version V       firmware version (default 1.4.2)\n"
	    "  --fw-digest HEX      firmware SHA-256 (default: digest of the reference image)\n"
	    "  --chip-id HEX        chip unique id, 4..32 bytes (default random; attach only)\n"
	    "  --factory-reset      wipe the board back to BLANK first (host build only)\n"
	    "  --baud B             line rate for attach (default 115200)\n"
	    "  -h, --help           this help\n");
}

static int
unhex(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t len = strlen(s), i;
	unsigned v;

	if (len % 2 || len / 2 > max || len == 0)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

struct sim_ctx {
	struct board *boards;
};

static void
sim_board(struct sim_adapter *a, void *arg)
{
	struct sim_ctx *c = arg;

	board_serve(&c->boards[a->index], a->fd, a->stop);
}

static volatile int attach_stop;

static void
on_signal(int sig)
{
	attach_stop = 1;
}

static int
attach(const char *tty, const char *flash, const struct board_opts *o, unsigned baud)
{
	struct board *b = calloc(1, sizeof(*b));
	struct termios t;
	int fd;

	if (b == NULL || board_open(b, flash, o) != 0)
		return 1;
	if ((fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "firmware-stub: cannot open %s: %s\n", tty, strerror(errno));
		return 1;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetspeed(&t, baud == 9600 ? B9600 : baud == 57600 ? B57600 : baud == 230400 ?
		    B230400 : baud == 921600 ? B921600 : B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "firmware-stub: board on %s (flash %s); Ctrl-C stops\n", tty, flash);
	board_serve(b, fd, &attach_stop);
	close(fd);
	free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "boards", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' }, { "model", required_argument, NULL, 'm' },
		{ "hw-rev", required_argument, NULL, 'r' },
		{ "fw-version", required_argument, NULL, 'V' },
		{ "fw-digest", required_argument, NULL, 'D' },
		{ "chip-id", required_argument, NULL, 'c' }, { "tty", required_argument, NULL, 't' },
		{ "flash", required_argument, NULL, 'f' }, { "baud", required_argument, NULL, 'b' },
		{ "factory-reset", no_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct board_opts o;
	const char *dir = NULL, *tty = NULL, *flash = NULL, *cmd;
	char tmpl[] = "/tmp/firmware-stub.XXXXXX", path[600];
	struct sim_ctx ctx;
	unsigned n = 4, baud = 115200, i;
	size_t dl = 0;
	int c, status = 0, made_tmp = 0;

	board_default_opts(&o);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	/* '+': stop at the first non-option so COMMAND's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'd': dir = optarg; break;
		case 'm': o.model = optarg; break;
		case 'r': o.hw_rev = optarg; break;
		case 'V': o.fw_version = optarg; break;
		case 'D':
			if (unhex(optarg, o.fw_digest, 32, &dl) != 0 || dl != 32) {
				fprintf(stderr, "firmware-stub: --fw-digest takes 64 hex digits\n");
				return 2;
			}
			break;
		case 'c':
			if (unhex(optarg, o.chip_id, MSG_MAX_CHIP_ID, &o.chip_id_len) != 0 ||
			    o.chip_id_len < MSG_MIN_CHIP_ID) {
				fprintf(stderr, "firmware-stub: --chip-id takes 8..64 hex digits\n");
				return 2;
			}
			break;
		case 't': tty = optarg; break;
		case 'f': flash = optarg; break;
		case 'b': baud = (unsigned)atoi(optarg); break;
		case 'R': o.factory_reset = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strlen(o.model) > MSG_MAX_STR || strlen(o.hw_rev) > MSG_MAX_STR ||
	    strlen(o.fw_version) > MSG_MAX_STR) {
		fprintf(stderr, "firmware-stub: model, hw-rev and fw-version are at most %d characters\n",
		    MSG_MAX_STR);
		return 2;
	}
	if (strcmp(cmd, "show") == 0) {
		if (flash == NULL || optind != argc) {
			usage(stderr);
			return 2;
		}
		return board_show(flash);
	}
	if (strcmp(cmd, "attach") == 0) {
		if (tty == NULL || flash == NULL || optind != argc) {
			usage(stderr);
			return 2;
		}
		return attach(tty, flash, &o, baud);
	}
	if (strcmp(cmd, "sim") != 0 || n < 1 || n > SIM_MAX_ADAPTERS) {
		usage(stderr);
		return 2;
	}
	if (n > 1 && o.chip_id_len) {
		fprintf(stderr, "firmware-stub: --chip-id needs --boards 1 (chip ids are unique)\n");
		return 2;
	}
	if (dir == NULL) {
		if ((dir = mkdtemp(tmpl)) == NULL) {
			perror("firmware-stub: mkdtemp");
			return 1;
		}
		made_tmp = 1;
	} else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "firmware-stub: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if ((ctx.boards = calloc(n, sizeof(*ctx.boards))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/board-%u.flash", dir, i);
		if (board_open(&ctx.boards[i], path, &o) != 0)
			return 1;
	}
	if (sim_run(n, sim_board, &ctx, optind < argc ? argv + optind : NULL, &status) != 0)
		status = 1;
	if (made_tmp) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/board-%u.flash", dir, i);
			unlink(path);
		}
		rmdir(dir);
	}
	free(ctx.boards);
	return status;
}
