/*
 * cli-conform.c: `station conform`: a board against the protocol, for firmware engineers
 * porting firmware-stub/core (docs/conformance.md). One line per check and a summary, or JSON
 * events for scripts. It runs only with a test profile ([conform] test = yes), never opens the
 * signer, the HSM or the audit record, and sends LOCK only with --allow-lock.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cli.h"
#include "conform.h"
#include "events.h"
#include "log.h"
#include "profile.h"
#include "util.h"
#include "version.h"
#include "xport.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station conform --port PORT --profile FILE [--json] [--only CHECKS]\n"
	    "                       [--allow-lock] [--erase-identity] [-v]\n"
	    "       station conform --list\n"
	    "Runs one board through the conformance checks of docs/protocol.md: the test vectors,\n"
	    "invalid frames and payloads, unknown types, resynchronisation, retransmission (P-9),\n"
	    "the state table in every state the board reaches, each step's refusals, the CSR,\n"
	    "PROVE and CONFIRM_PASSWORD crypto, error codes (never texts) and the timing of each\n"
	    "step against the profile's [timeouts]. One line per check: PASS, FAIL or SKIP, its\n"
	    "name, what was expected and what was seen; then a summary (docs/conformance.md).\n"
	    "The board is left CERTIFIED with a test identity (serial " CONFORM_SERIAL_PREFIX "...,\n"
	    "a certificate of a CA made in memory for the run), or LOCKED with --allow-lock.\n"
	    "  --port PORT       the board: /dev/ttyUSB0, usb:1-1.2 (USB bulk), tcp:HOST:PORT or\n"
	    "                    rfc2217:HOST:PORT (an Ethernet serial device server)\n"
	    "  --profile FILE    a test profile: [conform] test = yes; its [product] model,\n"
	    "                    [firmware] allow-list, [certificate] key_types (the first),\n"
	    "                    [password] verifier_iterations, [timeouts] and [station] baud\n"
	    "                    are used; its database and HSM are never opened\n"
	    "  --json            JSON events on stdout: one \"check\" per check, a \"summary\"\n"
	    "  --only CHECKS     only these checks, comma-separated names or groups (csr,\n"
	    "                    state.KEYED, vector); the steps they need still run, unreported\n"
	    "  --allow-lock      send LOCK (irreversible on real hardware: a board meant to be\n"
	    "                    thrown away) and check the LOCKED state; without it LOCK is never\n"
	    "                    sent, not even as a refused request\n"
	    "  --erase-identity  run on a board that carries a serial not set by conform (it is\n"
	    "                    erased); without it such a board is refused, nothing written\n"
	    "  --list            the check names, in run order\n"
	    "  -v                debug log on stderr\n"
	    "exit: 0 every check passed or was skipped, 1 a check failed, 2 usage, 3 profile (or not\n"
	    "      a test profile), 6 the port did not open or no board answered HELLO,\n"
	    "      9 the board carries a product identity (refused, nothing written)\n");
}

static const char *const verdict_names[] = { "PASS", "FAIL", "SKIP" };

static void
emit(void *arg, const struct conform_result *r)
{
	(void)arg;
	if (events_json()) {
		events_emit("check", json_pack("{s:s,s:s,s:s,s:s,s:I}", "name", r->name, "result",
		    verdict_names[r->verdict], "expected", r->expected, "seen", r->seen, "ms",
		    (json_int_t)r->ms));
		return;
	}
	if (r->verdict == CONFORM_SKIP)
		printf("SKIP  %-22s %s\n", r->name, r->seen);
	else
		printf("%s  %-22s expected %s; seen %s\n", verdict_names[r->verdict], r->name,
		    r->expected, r->seen);
	fflush(stdout);
}

static const char *
state_name(unsigned s)
{
	return s <= ST_LOCKED ? proto_statename(s) : "unknown";
}

int
cli_conform(int argc, char **argv)
{
	static const struct option opts[] = { { "port", required_argument, NULL, 'P' },
		{ "profile", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'O' }, { "allow-lock", no_argument, NULL, 'L' },
		{ "erase-identity", no_argument, NULL, 'E' }, { "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct conform_opts o;
	struct conform_summary sum;
	struct profile *prof = NULL;
	char err[CAP_REASON * 2], why[CAP_REASON + CAP_XPORT_NAME];
	unsigned ports[CAP_SANDBOX_PORTS];
	size_t nports = 0, i;
	const char *profile_path = NULL;
	char *names[1];
	int c, json = 0, list = 0, r, rc = EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'P': o.port = optarg; break;
		case 'p': profile_path = optarg; break;
		case 'j': json = 1; break;
		case 'O': o.only = optarg; break;
		case 'L': o.allow_lock = 1; break;
		case 'E': o.erase_identity = 1; break;
		case 'l': list = 1; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (list) {
		for (i = 0; conform_checks[i] != NULL; i++)
			puts(conform_checks[i]);
		return EXIT_OK;
	}
	events_init(json, 0);
	if (o.port == NULL || profile_path == NULL || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return EXIT_FAIL;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		events_error(EXIT_PROFILE, "%s", err);
		rc = EXIT_PROFILE;
		goto out;
	}
	if (!prof->conform_test) {
		events_error(EXIT_PROFILE, "%s is not a test profile: station conform writes a test "
		    "identity into the board (and locks it with --allow-lock); give it a profile with "
		    "[conform] test = yes, never the production one", profile_path);
		rc = EXIT_PROFILE;
		goto out;
	}
	o.prof = prof;
	/* Network fixtures are resolved before the sandbox, as for station run (P-43). */
	names[0] = (char *)(uintptr_t)o.port;
	if ((r = xport_net_prepare(names, 1, ports, CAP_SANDBOX_PORTS, &nports, why,
	         sizeof(why))) != 0) {
		rc = r == XPORT_ERR_ARG ? EXIT_USAGE : EXIT_NOFIXTURE;
		events_error(rc, "--port: %s", why);
		goto out;
	}
	if (cli_confine("station conform", prof, ports, nports) != 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	cli_probe(0); /* test hook (test-conform.sh): what the confined process can reach */
	if (events_json()) {
		char digest[65];

		util_hex(prof->digest, sizeof(prof->digest), digest, sizeof(digest));
		events_emit("start", json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:b,s:b,s:s}", "mode", "conform",
		    "version", STATION_VERSION, "build", cli_version_json(), "profile", profile_path,
		    "profile_sha256", digest, "port", o.port, "allow_lock", o.allow_lock,
		    "erase_identity", o.erase_identity, "only", o.only != NULL ? o.only : ""));
	}
	o.emit = emit;
	r = conform_run(&o, &sum);
	if (r == CONFORM_ERR_ARG) {
		events_error(EXIT_USAGE, "%s", sum.why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r == CONFORM_ERR_PORT) {
		events_error(EXIT_NOFIXTURE, "%s", sum.why);
		rc = EXIT_NOFIXTURE;
		goto out;
	}
	if (r == CONFORM_ERR_INTERNAL) {
		events_error(EXIT_FAIL, "%s", sum.why);
		rc = EXIT_FAIL;
		goto out;
	}
	if (r == CONFORM_ERR_REFUSED) {
		events_error(EXIT_NOT_TEST, "%s", sum.why);
		rc = EXIT_NOT_TEST;
		goto out;
	}
	rc = sum.no_board ? EXIT_NOFIXTURE : sum.fail != 0 ? EXIT_FAIL : EXIT_OK;
	if (events_json())
		events_emit("summary", json_pack("{s:s,s:s,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:i}",
		    "result", rc == EXIT_OK ? "PASS" : "FAIL", "port", o.port, "pass", (int)sum.pass,
		    "fail", (int)sum.fail, "skip", (int)sum.skip, "model", sum.model, "fw_version",
		    sum.fw_version, "chip_id", sum.chip_hex, "state_before",
		    state_name(sum.state_before), "state_after", state_name(sum.state_after), "exit",
		    rc));
	else
		printf("conform %s: %s: %u passed, %u failed, %u skipped (board %s, firmware %s, "
		    "chip %s; %s -> %s)%s%s\n", o.port, rc == EXIT_OK ? "PASS" : "FAIL", sum.pass,
		    sum.fail, sum.skip, sum.model[0] ? sum.model : "?",
		    sum.fw_version[0] ? sum.fw_version : "?", sum.chip_hex[0] ? sum.chip_hex : "?",
		    state_name(sum.state_before), state_name(sum.state_after),
		    sum.no_board ? ": " : "", sum.no_board ? sum.why : "");
out:
	free(prof);
	return rc;
}
