/*
 * cli-board.c: `station board release`: an engineer lifts a board's quarantine (issue #11).
 * A board that failed at or after its lock (E_LOCK, E_LOCK_WRITES, E_RESUME) is put in
 * quarantine by the signer and refused by every later run (E_QUARANTINED). Releasing is an admin
 * act: this command starts the signer in admin mode, which records board.released with the
 * reason and the operator; the board is then provisioned again from scratch (a new serial).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "profile.h"
#include "signer.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station board release --profile FILE --chip HEX --reason TEXT [--operator NAME]\n"
	    "                             [--json]\n"
	    "release: lifts the quarantine of the board with this chip ID. A board the station\n"
	    "         failed at or after its lock step (E_LOCK, E_LOCK_WRITES, E_RESUME) is in\n"
	    "         quarantine: every run refuses it (E_QUARANTINED) and its certificate is\n"
	    "         revoked. Release it only once it has been examined and re-flashed; the next\n"
	    "         run provisions it from scratch with a new serial (the old serial stays spent,\n"
	    "         the old certificate still counts against [product] certs_per_chip).\n"
	    "         The signer records board.released with the reason and the operator.\n"
	    "  --chip HEX         the board's chip ID (8 to 64 hex digits, as in the report)\n"
	    "  --reason TEXT      why it may be released (1 to 255 printable characters; required)\n"
	    "  --operator NAME    who releases it (default: [station] operator)\n"
	    "  --json             one JSON object on stdout\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never argv.\n"
	    "exit: 0 released, 1 not in quarantine (nothing changed), 2 usage, 3 profile,\n"
	    "      4 HSM/signer, 5 database\n");
}

static const char *
kind_name(int kind)
{
	switch (kind) {
	case SIGREC_VERIFIED: return "recorded verified with its lock pending (re-insert it to finish)";
	case SIGREC_PASS: return "provisioned (PASS)";
	case SIGREC_QUARANTINED: return "in quarantine";
	default: return "not in the record";
	}
}

static int
release(const char *profile_path, const struct profile *prof, const uint8_t *chip, size_t n,
    const char *hex, const char *reason, int json)
{
	struct signer *sig = NULL;
	struct signer_record rec;
	struct signer_err se;
	json_t *o;
	char *t;
	int rc = EXIT_HSM;

	memset(&rec, 0, sizeof(rec));
	if (cli_signer("station board release", profile_path, SIGMODE_ADMIN, prof->operator_name,
	        &sig) != 0)
		goto out;
	if (signer_lookup(sig, chip, n, &rec, &se) != 0) {
		fprintf(stderr, "station board release: %s\n", se.text);
		rc = se.status == SIGST_LOG ? EXIT_DB : EXIT_HSM;
		goto out;
	}
	if (rec.kind != SIGREC_QUARANTINED) {
		fprintf(stderr, "station board release: chip %s is not in quarantine: it is %s%s%s; "
		    "nothing released\n", hex, kind_name(rec.kind), rec.serial[0] ? " as " : "",
		    rec.serial);
		rc = EXIT_FAIL;
		goto out;
	}
	if (signer_release(sig, chip, n, reason, &se) != 0) {
		fprintf(stderr, "station board release: %s\n", se.text);
		rc = se.status == SIGST_LOG ? EXIT_DB : se.status == SIGST_STATE ? EXIT_FAIL : EXIT_HSM;
		goto out;
	}
	if (!json)
		printf("released chip %s (serial %s), quarantined for %s\n  the next run provisions it "
		    "from scratch with a new serial\n", hex, rec.serial[0] ? rec.serial : "none",
		    rec.reason);
	else if ((o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "chip", hex, "serial", rec.serial,
	              "quarantined_for", rec.reason, "reason", reason, "operator",
	              prof->operator_name)) != NULL) {
		if ((t = json_dumps(o, JSON_COMPACT)) != NULL)
			puts(t);
		free(t);
		json_decref(o);
	}
	rc = EXIT_OK;
out:
	free(rec.cert);
	signer_stop(sig);
	return rc;
}

int
cli_board(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "chip", required_argument, NULL, 'c' }, { "reason", required_argument, NULL, 'r' },
		{ "operator", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *profile_path = NULL, *hex = NULL, *reason = NULL, *op = NULL;
	char err[CAP_REASON * 2];
	uint8_t chip[MSG_MAX_CHIP_ID];
	struct profile *prof = NULL;
	int c, n, json = 0, rc = EXIT_USAGE;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "release") != 0) {
		fprintf(stderr, "station board: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_path = optarg; break;
		case 'c': hex = optarg; break;
		case 'r': reason = optarg; break;
		case 'o': op = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (profile_path == NULL || hex == NULL || reason == NULL || optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	n = strlen(hex) <= 2 * MSG_MAX_CHIP_ID ? util_unhex(hex, chip, sizeof(chip)) : -1;
	if (n < MSG_MIN_CHIP_ID || (size_t)n * 2 != strlen(hex)) {
		fprintf(stderr, "station board release: --chip takes the chip ID in hex, %d to %d "
		    "bytes (e.g. a1b2c3d4e5f60718)\n", MSG_MIN_CHIP_ID, MSG_MAX_CHIP_ID);
		return EXIT_USAGE;
	}
	if (*reason == '\0' || strlen(reason) > SIGP_MAX_TEXT || !util_printable(reason)) {
		fprintf(stderr, "station board release: --reason takes 1 to %d printable characters "
		    "(what was examined and done), one line\n", SIGP_MAX_TEXT);
		return EXIT_USAGE;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return EXIT_FAIL;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "station: %s\n", err);
		rc = EXIT_PROFILE;
		goto out;
	}
	if (profile_override(prof, NULL, op) != 0) {
		fprintf(stderr, "station board release: --operator takes printable text of 1 to 64 "
		    "characters\n");
		goto out;
	}
	rc = release(profile_path, prof, chip, (size_t)n, hex, reason, json);
out:
	free(prof);
	return rc;
}
