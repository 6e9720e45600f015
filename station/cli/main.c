/*
 * main.c: the station command: a table of subcommands, each in its own cli-*.c file.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "line", cli_line, "the always-on line: boards picked up as they are seated, console" },
	{ "run", cli_run, "provision the boards on the fixtures now, once (a batch)" },
	{ "verify", cli_verify, "check provisioned boards against the record (end-of-line QA)" },
	{ "ports", cli_ports, "list the serial ports (fixtures) with their USB location" },
	{ "ca", cli_ca, "key ceremony, CA information and revocation list (init|info|crl)" },
	{ "profile", cli_profile, "check a profile and its label directory before a run (check)" },
	{ "lot", cli_lot, "a production lot's state, and its end (status|close)" },
	{ "board", cli_board, "a quarantined board released by an engineer (release)" },
	{ "label", cli_label, "labels kept for reprint, reprint, a sample (reprint|list|sample)" },
	{ "conform", cli_conform, "a board against the protocol's conformance checks (firmware)" },
	{ "audit", cli_audit, "verify, export and prove the audit record (offline)" },
	{ "fleet", cli_fleet, "the central fleet registry: status, verify, export" },
	{ "version", cli_version, "release, git revision and library versions (also --version)" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: station <command> [options]   (station <command> --help for details)\n"
	           "       station --version\n\n"
	           "Factory provisioning station: gives each board a unique password, a key pair\n"
	           "it generated itself and an HSM-signed certificate, locks it, and records it all.\n\n"
	           "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nexit codes: 0 ok, 1 a board failed, 2 usage, 3 profile, 4 HSM/signer,\n"
	           "5 audit database, 6 no fixture, 7 audit verification failed,\n"
	           "8 line stopped by a second signal, 9 conform: not a test board,\n"
	           "10 fleet verify: conflicts or forks recorded.\n"
	           "See station(1) and docs/scripting-guide.md.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	log_init("station", LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cli_version(argc - 1, argv + 1);
	fprintf(stderr, "station: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
