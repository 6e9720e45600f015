/*
 * cli-line.c: `station line`: the always-on station a technician works at for a shift
 * (station/line/line.h; docs/operator-guide.md "The shift").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-station.h"
#include "console.h"
#include "events.h"
#include "line.h"
#include "log.h"
#include "util.h"

/* The console's log file: path, or station-line.log next to the audit database; appended,
 * 0640. NULL with why when it cannot be opened. */
static FILE *
open_log(const char *path, const struct profile *prof, char *why, size_t cap)
{
	char def[CAP_PATH];
	FILE *f;
	int fd;

	if (path == NULL) {
		if (util_sibling(prof->database, "station-line.log", def, sizeof(def)) != 0) {
			snprintf(why, cap, "the log file path is too long; give one with --log");
			return NULL;
		}
		path = def;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0 ||
	    (f = fdopen(fd, "a")) == NULL) {
		util_why(why, cap, "cannot open the log file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station line --profile FILE [options]\n"
	    "Runs the line until stopped: every fixture picks up a board when it is seated,\n"
	    "provisions it (or checks it again if the record already has it as PASS: DONE), shows\n"
	    "the result until the board is taken out, and is ready for the next. Adapters and USB\n"
	    "boards may be plugged in and out while it runs.\n\n"
	    "  --profile FILE     product profile (required; see docs/scripting-guide.md)\n"
	    "  --port NAME        only this fixture (repeatable): a serial port, its USB position\n"
	    "                     (1-1.3), usb:<path> for a board on USB bulk, tcp:HOST:PORT or\n"
	    "                     rfc2217:HOST:PORT for a device server's port (tcp:HOST:P1-P2:\n"
	    "                     one fixture per port; names resolved once at start; always\n"
	    "                     shown, connected again and again while nothing answers);\n"
	    "                     default: every USB serial adapter and USB board, as they come\n"
	    "                     and go\n"
	    "  --lot LOT          production lot (default: [station] lot); it must be open\n"
	    "  --operator NAME    operator logged on (default: [station] operator)\n"
	    "  --json             JSON events on stdout (docs/scripting-guide.md), no console\n"
	    "  --no-console       plain log lines even on a terminal\n"
	    "  --log FILE         with the console: where its log lines and diagnostics go\n"
	    "                     (default: station-line.log next to the audit database)\n"
	    "  -v, --verbose      more diagnostics on stderr (each FAIL's full reason)\n"
	    "  -h, --help         this help\n\n"
	    "On a terminal the console shows one tile per fixture; keys: p pause, r resume,\n"
	    "q quit (boards in progress finish first), h help. SIGTERM or SIGINT stop the same way;\n"
	    "a second one abandons the boards in progress (their attempts are recorded void).\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never the command line.\n"
	    "Each board's label goes to [label] output before its lock; a tile says LABEL VOID when\n"
	    "its board then failed, NO LABEL when the printer did not take it ('station label\n"
	    "reprint'; docs/operator-guide.md \"Labels\").\n"
	    "exit: 0 stopped, 2 usage, 3 profile or lot, 4 HSM/signer, 5 database,\n"
	    "      8 stopped by a second signal\n");
}

int
cli_line(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' }, { "lot", required_argument, NULL, 'l' },
		{ "operator", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "no-console", no_argument, NULL, 'n' }, { "log", required_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *log_path = NULL;
	FILE *logf = NULL;
	struct cli_station_args a;
	char why[CAP_REASON + CAP_PATH];
	struct console *con = NULL;
	struct cli_station st;
	struct line_cfg cfg;
	sigset_t set;
	int c, r, plain = 0, rc;

	memset(&st, 0, sizeof(st));
	memset(&a, 0, sizeof(a));
	events_init(cli_station_wants_json(argc, argv), 1);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if ((r = cli_station_option(&a, c, optarg)) < 0) {
			cli_station_args_end(&a);
			return EXIT_USAGE;
		}
		if (r == 1)
			continue;
		switch (c) {
		case 'n': plain = 1; break;
		case 'L': log_path = optarg; break;
		case 'h':
			usage(stdout);
			cli_station_args_end(&a);
			return EXIT_OK;
		default:
			usage(stderr);
			events_error(EXIT_USAGE, "unknown option or missing value; see --help");
			cli_station_args_end(&a);
			return EXIT_USAGE;
		}
	}
	if (a.profile_path == NULL || optind != argc) {
		usage(stderr);
		events_error(EXIT_USAGE, "%s", a.profile_path == NULL ? "--profile is required" :
		    "unexpected argument");
		cli_station_args_end(&a);
		return EXIT_USAGE;
	}
	/* SIGINT and SIGTERM are waited for by the line's loop: blocked in every thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if ((rc = cli_station_prepare(&st, "line", a.profile_path, a.lot, a.operator_name,
	         SIGMODE_RUN)) != EXIT_OK)
		goto out;
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* The console loads what it needs from the terminal database before the sandbox, and
	 * owns the terminal: log lines and diagnostics go to a file opened now (before the
	 * sandbox, so the station user need not be able to open it). */
	if (!a.json && !plain && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		if ((logf = open_log(log_path, st.prof, why, sizeof(why))) == NULL) {
			fprintf(stderr, "station: no console: %s; plain log lines follow\n", why);
		} else if ((void)setlocale(LC_CTYPE, ""), console_open(&con, why, sizeof(why)) != 0) {
			fprintf(stderr, "station: no console (%s); plain log lines follow\n", why);
			con = NULL;
		} else {
			fflush(stderr);
			(void)dup2(fileno(logf), STDERR_FILENO);
			events_text_to(logf);
		}
	}
	if ((rc = cli_station_net(&st, &a)) != EXIT_OK || (rc = cli_station_enter(&st, 0)) != EXIT_OK)
		goto out;
	if (con == NULL)
		events_text("station %s: line for lot %s, operator %s: seat boards in the fixtures; "
		    "SIGTERM or Ctrl-C stops", st.prof->station_id, st.prof->lot,
		    st.prof->operator_name);
	memset(&cfg, 0, sizeof(cfg));
	cfg.env = &st.env;
	cfg.ports = a.ports;
	cfg.nports = a.nports;
	cfg.console = con;
	rc = line_run(&cfg);
out:
	console_close(con);
	cli_station_end(&st);
	cli_station_args_end(&a);
	events_text_to(NULL);
	if (logf != NULL)
		fclose(logf);
	return rc;
}
