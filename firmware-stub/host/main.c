/*
 * main.c: firmware-stub, the reference board for the host.
 *   firmware-stub sim --boards N [--dir DIR] [identity options] -- COMMAND [ARGS...]
 *       N boards behind emulated USB-serial adapters (umockdev); COMMAND (e.g. the station)
 *       sees them as /dev/ttyUSB0.. through an unmodified libserialport.
 *   firmware-stub attach --tty DEVICE --flash FILE [identity options]
 *       one board on a real serial line (e.g. a USB-serial adapter wired to the station's).
 *   firmware-stub serve --boards N --listen HOST:PORT [--rfc2217] [--dir DIR] [-- COMMAND...]
 *       N boards behind a simulated Ethernet serial device server, board i on PORT+i.
 */
#include <dirent.h>
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
#include "faults-opt.h"
#include "serve.h"
#include "sim.h"
#include "slots.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: firmware-stub sim --boards N [--dir DIR] [options] -- COMMAND [ARGS...]\n"
	    "       firmware-stub sim --boards N [--dir DIR] [options]     (until Ctrl-C or SIGTERM;\n"
	    "                                            prints UMOCKDEV_DIR=... on stdout)\n"
	    "       firmware-stub sim --boards N --slots CTLDIR [--dir DIR] [--usb-slots K] [options] ..."
	    "\n"
	    "       firmware-stub attach --tty DEVICE --flash FILE [options]\n"
	    "       firmware-stub serve --boards N --listen HOST:PORT [--rfc2217] [--dir DIR] [options]\n"
	    "                           [-- COMMAND [ARGS...]]\n"
	    "       firmware-stub show --flash FILE\n"
	    "       firmware-stub prove --flash FILE --challenge HEX\n"
	    "       firmware-stub check-password --flash FILE    (the password on stdin)\n\n"
	    "sim     N boards (1..64) behind emulated FTDI USB-serial adapters; COMMAND runs with\n"
	    "        them visible as /dev/ttyUSB0.. (USB path 1-1.1..). Board i keeps its flash in\n"
	    "        DIR/board-<i>.flash (a new DIR means new boards with random chip ids).\n"
	    "        --usb: the boards speak on USB bulk instead (1209:0001, interface FF/50/01,\n"
	    "        station name usb:1-1.<i+1>). --usb-slots K: only the last K of the N are.\n"
	    "        --slots CTLDIR: what sits in each fixture changes while COMMAND runs. Every\n"
	    "        100 ms the harness reads CTLDIR/slot-<i> (write it atomically: temporary file,\n"
	    "        then rename; one line, at most 512 bytes):\n"
	    "          missing or empty   adapter plugged in, no board: the line is silent (what\n"
	    "                             the station sends is read and dropped); a USB bulk slot\n"
	    "                             is then absent\n"
	    "          board NAME [FLAGS] board NAME is seated, its flash in DIR/NAME.flash (new:\n"
	    "                             random chip id); FLAGS are the fault options below, for\n"
	    "                             this board only (not --fault-board). A USB bulk slot\n"
	    "                             enumerates. NAME: 1..64 of A-Z a-z 0-9 . _ -\n"
	    "          unplugged          the adapter is removed (gone from sysfs and /dev; an open\n"
	    "                             port hangs up); anything else plugs it back in with the\n"
	    "                             same node, USB path and serial\n"
	    "        A new content takes the old board away (it stops answering; its state is on\n"
	    "        flash) and seats the new one from power-on. Bad content is reported on stderr\n"
	    "        and leaves the slot as it was. Boards without FLAGS get the command-line faults.\n"
	    "attach  one board on a real serial line.\n"
	    "serve   N boards (1..256) behind a simulated Ethernet serial device server (Moxa NPort,\n"
	    "        Lantronix, ser2net): board i listens on TCP PORT+i of HOST (an address, [IPv6]\n"
	    "        or a name), the station's fixture tcp:HOST:PORT+i (or, with --rfc2217,\n"
	    "        rfc2217:HOST:PORT+i: Telnet Com Port Control, line settings acknowledged).\n"
	    "        One connection per board at a time: a new one drops the open one, as a device\n"
	    "        server does. Flash in DIR/board-<i>.flash, as for sim. Once every port\n"
	    "        listens, runs COMMAND and exits with its status; without COMMAND, prints one\n"
	    "        line \"listening HOST:PORT-LAST\" on stdout and runs until SIGINT or SIGTERM.\n"
	    "        --hang-up-at drops the TCP connection mid-step; the board then takes the next\n"
	    "        connection and goes on from its flash state. --line-rate paces its transmit.\n"
	    "show    print a board's persisted state as one JSON object (state, serial, chip id,\n"
	    "        public key) whose \"credentials\" member holds each stored onboarding\n"
	    "        credential, secrets in hex (a test tool on emulated flash; a real board never\n"
	    "        gives them back): \"wifi\":{\"ssid\",\"akm\",\"secret\"} and\n"
	    "        \"matter\":{\"discriminator\",\"iterations\",\"salt\",\"verifier\"}.\n"
	    "prove   print in hex the signature the board answers to PROVE with that challenge\n"
	    "        (16..64 bytes; P-40), as a test acting as a station needs it.\n"
	    "check-password  read one line from stdin and check it against the password verifier\n"
	    "        the board stores (as CONFIRM_PASSWORD does); prints {\"match\":true|false};\n"
	    "        exit 0 match, 1 no match, 2 no verifier or bad input. (A label's password.)\n\n"
	    "options:\n"
	    "  --model M            board model (default TH2-DEMO)\n"
	    "  --hw-rev R           hardware revision (default B)\n"
	    "  --max-payload N      largest request payload the board accepts, 128..1024 (P-6)\n"
	    "  --fw-version V       firmware version (default 1.4.2)\n"
	    "  --fw-digest HEX      firmware SHA-256 (default: digest of the reference image)\n"
	    "  --chip-id HEX        chip unique id, 4..32 bytes (default random; attach only)\n"
	    "  --factory-reset      wipe the board back to BLANK first (host build only)\n"
	    "  --baud B             line rate for attach (default 115200)\n"
	    "  --listen HOST:PORT   serve: where board 0 listens (board i: PORT+i)\n"
	    "  --rfc2217            serve: speak RFC 2217 (Telnet Com Port Control), not raw TCP\n"
	    "  --keygen-ms MS       sim, attach, serve: key generation takes MS ms more (an MCU)\n"
	    "  --flash-nosync       flash writes are not fsync'd: a board's state survives a crash\n"
	    "                       of the stub but not of the machine (make bench: the simulated\n"
	    "                       boards then cost less CPU than the station they feed)\n"
	    "  --usb                sim: boards on USB bulk instead of behind serial adapters\n"
	    "  --usb-slots K        sim: the last K of the N boards on USB bulk, the others behind\n"
	    "                       serial adapters, in one testbed\n"
	    "  --slots CTLDIR       sim: fixture slots driven by control files (see sim above)\n"
	    "  -h, --help           this help\n\n"
	    "fault injection (sim, attach and serve; docs/protocol.md section 8). STEP is one of hello,\n"
	    "set-identity, gen-key, read, write, install, prove, confirm, lock, set-credential,\n"
	    "confirm-credential:\n"
	    "  --fault-board I      apply the faults to board I only (default every board)\n"
	    "  --drop-rate P        drop each byte sent or received with probability P (0..1)\n"
	    "  --corrupt-rate P     flip one bit of each byte sent or received with probability P\n"
	    "  --seed N             seed of the drop/corrupt generator (default 1; reproducible)\n"
	    "  --hang-up-at STEP    close the line when that step's request arrives\n"
	    "  --never-reply-at STEP  swallow that step's requests, never answer them\n"
	    "  --reply-late MS      delay every reply by MS milliseconds\n"
	    "  --reboot-at STEP     do that step's work, then reboot before replying (volatile\n"
	    "                       state and the retransmission cache are lost; once)\n"
	    "  --csr-bad-signature  CSR whose self-signature does not verify\n"
	    "  --csr-wrong-key-type generate P-384 when P-256 is asked (and P-256 otherwise)\n"
	    "  --csr-weak-key       generate an RSA-1024 key\n"
	    "  --csr-other-key      CSR of a key other than the one the board holds\n"
	    "  --csr-wrong-nonce    CSR carrying another nonce than the station's\n"
	    "  --duplicate-chip-id HEX  report this chip id (boards share it)\n"
	    "  --rotate-chip-id     report another chip id at every HELLO (a hostile board)\n"
	    "  --short-chunks       answer READ_OBJECT with one byte of each chunk (a slow board)\n"
	    "  --firmware-not-allowed   report a firmware digest that no allow-list holds\n"
	    "  --refuse-lock        answer LOCK with an error (the debug fuse does not blow)\n"
	    "  --fake-lock          claim LOCKED but keep accepting writes\n"
	    "  --oversized-frames   send a block longer than the maximum before each reply\n"
	    "  --garbage-frames     send line noise before each reply\n"
	    "  --truncated-frames   send the first half of each reply instead of the reply\n"
	    "  --at STEP            the three above only at STEP (repeatable; default every step)\n"
	    "  --line-rate BAUD     transmit no faster than BAUD (8N1: 10 bits per byte)\n"
	    "  --no-credentials     announce no onboarding credential (CAP_CRED_WIFI, CAP_CRED_MATTER)\n"
	    "                       and refuse SET/CONFIRM_CREDENTIAL with UNSUPPORTED, as a\n"
	    "                       firmware built without them (DEV_CFG_CRED 0); by default both\n"
	    "                       kinds are announced (Matter only with --max-payload >= 137)\n"
	    "  --lying-credentials  acknowledge SET_CREDENTIAL without storing it and answer every\n"
	    "                       CONFIRM_CREDENTIAL with match = 1 (a hostile or broken board)\n"
	    "  --small-matter       announce CAP_CRED_MATTER with max_payload 128, below the 137\n"
	    "                       bytes of a Matter credential (a firmware that breaks P-6)\n");
}

struct sim_ctx {
	struct board *boards;
};

static void
sim_board(struct sim_adapter *a, void *arg)
{
	struct sim_ctx *c = arg;

	if (board_serve(&c->boards[a->index], a->fd, a->stop) == 1)
		a->fd = -1; /* the board unplugged itself (--hang-up-at) */
}

/* The directory of n boards' flash files: dir as given (created if missing), or a new
 * temporary one from tmpl (*made_tmp set). --chip-id is for one board only. 0, or the exit
 * code after a message. */
static int
boards_dir(unsigned n, const struct board_opts *o, const char **dir, char *tmpl, int *made_tmp)
{
	if (n > 1 && o->chip_id_len) {
		fprintf(stderr, "firmware-stub: --chip-id needs --boards 1 (chip ids are unique)\n");
		return 2;
	}
	if (*dir == NULL) {
		if ((*dir = mkdtemp(tmpl)) == NULL) {
			perror("firmware-stub: mkdtemp");
			return 1;
		}
		*made_tmp = 1;
	} else if (mkdir(*dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "firmware-stub: cannot create %s: %s\n", *dir, strerror(errno));
		return 1;
	}
	return 0;
}

/* Removes a temporary flash directory and the files the boards left in it (*.flash and their
 * .stats and .tmp files); anything else keeps it, reported. */
static void
remove_flash_dir(const char *dir)
{
	char path[600];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strstr(e->d_name, ".flash") == NULL ||
			    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
				continue;
			(void)unlink(path);
		}
		closedir(d);
	}
	if (rmdir(dir) != 0)
		fprintf(stderr, "firmware-stub: cannot remove %s: %s\n", dir, strerror(errno));
}

static volatile int attach_stop;

static void
on_signal(int sig)
{
	attach_stop = 1;
}

static int
attach(const char *tty, const char *flash, const struct board_opts *o, unsigned baud,
    const struct faults_cfg *fc)
{
	struct board *b = calloc(1, sizeof(*b));
	struct termios t;
	int fd;

	if (b == NULL || board_open(b, flash, o) != 0)
		return 1;
	board_faults(b, fc, 0);
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
	if (board_serve(b, fd, &attach_stop) == 0)
		close(fd);
	free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option general[] = { { "boards", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' }, { "model", required_argument, NULL, 'm' },
		{ "hw-rev", required_argument, NULL, 'r' },
		{ "fw-version", required_argument, NULL, 'V' },
		{ "fw-digest", required_argument, NULL, 'D' },
		{ "chip-id", required_argument, NULL, 'c' }, { "tty", required_argument, NULL, 't' },
		{ "flash", required_argument, NULL, 'f' }, { "baud", required_argument, NULL, 'b' },
		{ "factory-reset", no_argument, NULL, 'R' }, { "help", no_argument, NULL, 'h' },
		{ "usb", no_argument, NULL, 'U' }, { "usb-slots", required_argument, NULL, 'K' },
		{ "slots", required_argument, NULL, 'S' },
		{ "challenge", required_argument, NULL, 'C' },
		{ "max-payload", required_argument, NULL, 'P' },
		{ "listen", required_argument, NULL, 'L' }, { "rfc2217", no_argument, NULL, 'T' },
		{ "keygen-ms", required_argument, NULL, 'G' },
		{ "flash-nosync", no_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 } };
	struct faults_cfg fc = { .board = -1, .seed = 1 };
	struct board_opts o;
	const char *dir = NULL, *tty = NULL, *flash = NULL, *cmd, *slots = NULL, *listen = NULL;
	struct serve_cfg svc;
	char lhost[256];
	unsigned long lport = 0;
	int rfc2217 = 0;
	struct sim_cfg sc = { 0, 0, 0 };
	struct slots_cfg slc;
	long usb_slots = -1;
	char *end;
	char tmpl[] = "/tmp/firmware-stub.XXXXXX", path[600];
	struct sim_ctx ctx;
	unsigned n = 4, baud = 115200, i;
	uint8_t challenge[MSG_MAX_CHALLENGE];
	size_t dl = 0, clen = 0;
	int c, r, status = 0, made_tmp = 0, usb = 0;
	/* the general options, then the fault options (faults-opt.h), then the terminator */
	struct option opts[sizeof(general) / sizeof(general[0]) + 32];
	size_t ng = sizeof(general) / sizeof(general[0]) - 1;

	if (ng + faults_opt_count + 1 > sizeof(opts) / sizeof(opts[0])) {
		fprintf(stderr, "firmware-stub: internal error: option table too small\n");
		return 1;
	}
	memcpy(opts, general, ng * sizeof(general[0]));
	memcpy(opts + ng, faults_opt_table, (faults_opt_count + 1) * sizeof(general[0]));
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
		case 'P':
			o.max_payload = (unsigned)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o.max_payload < MSG_MIN_MAX_PAYLOAD ||
			    o.max_payload > FRAME_MAX_PAYLOAD) {
				fprintf(stderr, "firmware-stub: --max-payload takes %d..%d\n", MSG_MIN_MAX_PAYLOAD,
				    FRAME_MAX_PAYLOAD);
				return 2;
			}
			break;
		case 'V': o.fw_version = optarg; break;
		case 'D':
			if (faults_opt_unhex(optarg, o.fw_digest, 32, &dl) != 0 || dl != 32) {
				fprintf(stderr, "firmware-stub: --fw-digest takes 64 hex digits\n");
				return 2;
			}
			break;
		case 'c':
			if (faults_opt_unhex(optarg, o.chip_id, MSG_MAX_CHIP_ID, &o.chip_id_len) != 0 ||
			    o.chip_id_len < MSG_MIN_CHIP_ID) {
				fprintf(stderr, "firmware-stub: --chip-id takes 8..64 hex digits\n");
				return 2;
			}
			break;
		case 't': tty = optarg; break;
		case 'f': flash = optarg; break;
		case 'b': baud = (unsigned)atoi(optarg); break;
		case 'R': o.factory_reset = 1; break;
		case 'U': usb = 1; break;
		case 'S': slots = optarg; break;
		case 'C':
			if (faults_opt_unhex(optarg, challenge, sizeof(challenge), &clen) != 0) {
				fprintf(stderr, "firmware-stub: --challenge takes 32..128 hex digits\n");
				return 2;
			}
			break;
		case 'K':
			usb_slots = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || usb_slots < 0 || usb_slots > SIM_MAX_ADAPTERS) {
				fprintf(stderr, "firmware-stub: --usb-slots takes a number in 0..%d\n",
				    SIM_MAX_ADAPTERS);
				return 2;
			}
			break;
		case 'L': listen = optarg; break;
		case 'T': rfc2217 = 1; break;
		case 'G':
			lport = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || lport > 600000) {
				fprintf(stderr, "firmware-stub: --keygen-ms takes 0..600000\n");
				return 2;
			}
			o.keygen_ms = (unsigned)lport;
			break;
		case 'Y': o.flash_nosync = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			if (c >= FAULTS_OPT_FIRST) {
				if (faults_opt_apply(&fc, c, optarg) != 0)
					return 2;
				break;
			}
			usage(stderr);
			return 2;
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
	if (strcmp(cmd, "check-password") == 0) {
		char pw[MSG_MAX_PASSWORD + 3];

		if (flash == NULL || optind != argc) {
			usage(stderr);
			return 2;
		}
		/* stdin, not argv: a password is never a command-line argument */
		if (fgets(pw, sizeof(pw), stdin) == NULL)
			return 2;
		pw[strcspn(pw, "\r\n")] = '\0';
		status = board_check_password(flash, pw);
		memset(pw, 0, sizeof(pw));
		return status;
	}
	if (strcmp(cmd, "prove") == 0) {
		if (flash == NULL || clen == 0 || optind != argc) {
			usage(stderr);
			return 2;
		}
		return board_prove(flash, challenge, clen);
	}
	if (strcmp(cmd, "attach") == 0) {
		if (tty == NULL || flash == NULL || optind != argc) {
			usage(stderr);
			return 2;
		}
		return attach(tty, flash, &o, baud, &fc);
	}
	if (strcmp(cmd, "serve") == 0) {
		const char *colon;

		if (listen == NULL || n < 1 || n > SERVE_MAX_BOARDS) {
			fprintf(stderr, "firmware-stub: serve needs --listen HOST:PORT and --boards 1..%d\n",
			    SERVE_MAX_BOARDS);
			return 2;
		}
		if (listen[0] == '[') {
			colon = strchr(listen, ']');
			if (colon == NULL || colon[1] != ':')
				colon = NULL;
			else
				colon++;
		} else {
			colon = strrchr(listen, ':');
		}
		lport = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
		if (colon == NULL || colon == listen || colon[1] == '\0' || *end != '\0' || lport < 1 ||
		    lport + n - 1 > 65535 || (size_t)(colon - listen) >= sizeof(lhost)) {
			fprintf(stderr, "firmware-stub: --listen takes HOST:PORT ([IPv6]:PORT), the ports "
			    "PORT..PORT+N-1 within 1..65535\n");
			return 2;
		}
		if (listen[0] == '[')
			snprintf(lhost, sizeof(lhost), "%.*s", (int)(colon - listen - 2), listen + 1);
		else
			snprintf(lhost, sizeof(lhost), "%.*s", (int)(colon - listen), listen);
		if ((r = boards_dir(n, &o, &dir, tmpl, &made_tmp)) != 0)
			return r;
		svc = (struct serve_cfg){ lhost, (unsigned)lport, n, rfc2217, dir, &o, &fc };
		if (serve_run(&svc, optind < argc ? argv + optind : NULL, &status) != 0)
			status = 1;
		if (made_tmp)
			remove_flash_dir(dir);
		return status;
	}
	if (strcmp(cmd, "sim") != 0 || n < 1 || n > SIM_MAX_ADAPTERS) {
		usage(stderr);
		return 2;
	}
	if ((r = boards_dir(n, &o, &dir, tmpl, &made_tmp)) != 0)
		return r;
	sc.n = n;
	sc.usb = usb ? n : usb_slots > 0 ? (unsigned)usb_slots : 0;
	if (sc.usb > n) {
		fprintf(stderr, "firmware-stub: --usb-slots %u is more than --boards %u\n", sc.usb, n);
		return 2;
	}
	ctx.boards = NULL;
	if (slots != NULL) {
		/* Uevents for hot-plugging need this process under the preload (sim.c). */
		if (sim_ensure_preload(argv) != 0)
			return 1;
		sc.hotplug = 1;
		slc = (struct slots_cfg){ slots, dir, &o, &fc };
		if (sim_run_cfg(&sc, slots_board, &slc, optind < argc ? argv + optind : NULL,
		        &status) != 0)
			status = 1;
	} else {
		if ((ctx.boards = calloc(n, sizeof(*ctx.boards))) == NULL)
			return 1;
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/board-%u.flash", dir, i);
			if (board_open(&ctx.boards[i], path, &o) != 0)
				return 1;
			board_faults(&ctx.boards[i], &fc, i);
		}
		if (sim_run_cfg(&sc, sim_board, &ctx, optind < argc ? argv + optind : NULL,
		        &status) != 0)
			status = 1;
	}
	if (made_tmp)
		remove_flash_dir(dir);
	free(ctx.boards);
	return status;
}
