/*
 * cli-profile.c: `station profile check FILE`: loads and validates a profile as every command
 * and the signer would (profile_load), and checks the label directory as `station run` does
 * before its first board, without starting the signer or touching the HSM. Every problem is
 * printed as "file:line: reason" so that a bad profile is fixed before any serial is spent.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "label.h"
#include "privsep.h"
#include "profile.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station profile check FILE\n"
	    "check: loads FILE as `station run` and the signer would and checks it, printing every\n"
	    "       problem as FILE:LINE: reason, or 'profile FILE: ok'. It refuses what would make\n"
	    "       every board fail after its serial is spent: an unknown template variable (only\n"
	    "       {serial}, {chip}, {model}, {product}) or an unbalanced brace; a [product] name,\n"
	    "       model or serial_prefix with anything but letters, digits, '-' and '_' (they go\n"
	    "       into label file names and ZPL); unknown keys, bad numbers, missing required keys.\n"
	    "       It also checks [station] label_dir: it must exist, be a directory (not a link),\n"
	    "       belong to this user, root or the '" PRIVSEP_USER_STATION "' user, not be group- or\n"
	    "       world-writable, and be writable by this user.\n"
	    "       The [label] layout is drawn once with the longest serial and password: a QR\n"
	    "       code with modules under 2 dots or 0.25 mm, or a text running off the label, is\n"
	    "       named at its field's line ('station label sample' shows the label).\n"
	    "       The signer is not started: the HSM, the database and the CA are not checked.\n"
	    "exit: 0 ok, 2 usage, 3 the profile or its label directory has a problem\n");
}

int
cli_profile(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	char err[CAP_REASON * 8];
	struct profile *prof = NULL;
	struct label_kit *kit = NULL;
	struct passwd *pw;
	long station_uid = -1;
	const char *path;
	int c, rc = EXIT_PROFILE, bad = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind + 2 != argc || strcmp(argv[optind], "check") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind + 1];
	if ((prof = calloc(1, sizeof(*prof))) == NULL) {
		fprintf(stderr, "station profile: out of memory\n");
		return EXIT_FAIL;
	}
	if (profile_load_all(path, prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		/* Only the label directory is left to check, and where it is may be what is wrong. */
		goto out;
	}
	/* In service mode the board-facing process runs as the station user and owns the labels. */
	if ((pw = getpwnam(PRIVSEP_USER_STATION)) != NULL)
		station_uid = (long)pw->pw_uid;
	if (profile_check_label_dir(prof, station_uid, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		bad = 1;
	}
	if (label_kit_load(prof, &kit, err, sizeof(err)) != 0 ||
	    label_check(prof, kit, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		bad = 1;
	}
	label_kit_free(kit);
	if (!bad) {
		printf("profile %s: ok\n", path);
		rc = EXIT_OK;
	}
out:
	free(prof);
	return rc;
}
