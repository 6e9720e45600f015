/*
 * cli-lot.c: `station lot open|status|close`: a production lot's life. Lots are the signer's
 * (PRODUCT §4): this command starts the signer in admin mode and asks; the signer records
 * lot.opened / lot.closed and a provisioning run works only on a lot it opened and not closed.
 * Closing has the signer sign a checkpoint covering the lot (PRODUCT §7: a checkpoint at lot end).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "profile.h"
#include "signer.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station lot open   --profile FILE [--lot LOT] [--operator NAME] [--json]\n"
	    "       station lot status --profile FILE [--lot LOT] [--json]\n"
	    "       station lot close  --profile FILE [--lot LOT] [--operator NAME] [--json]\n"
	    "open:   the signer opens the lot (lot.opened): provisioning runs take only an open lot;\n"
	    "        opening an open lot changes nothing; a closed lot is never reopened. Either\n"
	    "        way a checkpoint is signed over the record as it stands.\n"
	    "status: whether the lot is open or closed, its quota and the product's total.\n"
	    "close:  ends the lot: records lot.closed with its counts and signs a checkpoint of\n"
	    "        the audit log through the HSM. A closed lot takes no more boards, even in a\n"
	    "        run that is going on; closing a closed lot changes nothing (exit 0).\n"
	    "  --lot LOT          the lot (default: [station] lot of the profile)\n"
	    "  --operator NAME    who closes it (default: [station] operator)\n"
	    "  --json             one JSON object on stdout\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never argv.\n"
	    "exit: 0 ok, 2 usage, 3 profile, 4 HSM, 5 database\n");
}

static void
print(int json, const struct sigp_lot *l, uint64_t cp_size)
{
	json_t *o;
	char *t;

	if (!json) {
		printf("lot %s: %s\n  certificates: %lu of a quota of %lu\n  product: %lu of a total "
		    "of %lu\n", l->lot, l->closed ? "closed" : "open", (unsigned long)l->used,
		    (unsigned long)l->quota, (unsigned long)l->product_used,
		    (unsigned long)l->product_quota);
		if (cp_size)
			printf("  checkpoint: size %llu\n", (unsigned long long)cp_size);
		return;
	}
	o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "lot", l->lot, "state", l->closed ? "closed" :
	    "open", "quota", (json_int_t)l->quota, "certificates", (json_int_t)l->used,
	    "product_total", (json_int_t)l->product_quota, "product_certificates",
	    (json_int_t)l->product_used);
	if (o != NULL && cp_size)
		json_object_set_new(o, "checkpoint_size", json_integer((json_int_t)cp_size));
	if (o != NULL && (t = json_dumps(o, JSON_COMPACT)) != NULL) {
		puts(t);
		free(t);
	}
	json_decref(o);
}

int
cli_lot(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "lot", required_argument, NULL, 'l' }, { "operator", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *profile_path = NULL, *lot = NULL, *op = NULL, *sub;
	char err[CAP_REASON * 2], *note = NULL;
	struct profile *prof = NULL;
	struct signer *sig = NULL;
	struct signer_err se;
	struct sigp_lot l;
	uint64_t size = 0;
	uint8_t sop;
	int c, json = 0, rc = EXIT_USAGE;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "status") == 0)
		sop = SIGOP_LOT_STATUS;
	else if (strcmp(sub, "open") == 0)
		sop = SIGOP_LOT_OPEN;
	else if (strcmp(sub, "close") == 0)
		sop = SIGOP_LOT_CLOSE;
	else {
		fprintf(stderr, "station lot: unknown command '%s'\n", sub);
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_path = optarg; break;
		case 'l': lot = optarg; break;
		case 'o': op = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (profile_path == NULL || optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return EXIT_FAIL;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "station: %s\n", err);
		rc = EXIT_PROFILE;
		goto out;
	}
	if (profile_override(prof, lot, op) != 0) {
		fprintf(stderr, "station lot: --lot and --operator take printable text of 1 to 64 "
		    "characters\n");
		rc = EXIT_USAGE;
		goto out;
	}
	rc = EXIT_HSM;
	if (cli_signer("station lot", profile_path, SIGMODE_ADMIN, prof->operator_name, &sig) != 0)
		goto out;
	if (signer_lot(sig, sop, prof->lot, &l, &se) != 0) {
		if (sop == SIGOP_LOT_CLOSE && se.detail == SIGR_LOT_CLOSED) {
			if (!json)
				printf("lot %s was already closed; nothing changed\n", prof->lot);
			if (signer_lot(sig, SIGOP_LOT_STATUS, prof->lot, &l, &se) == 0)
				print(json, &l, 0);
			rc = EXIT_OK;
			goto out;
		}
		fprintf(stderr, "station lot %s: %s\n", sub, se.text);
		rc = se.status == SIGST_LOG ? EXIT_DB : se.status == SIGST_QUOTA ? EXIT_PROFILE : EXIT_HSM;
		goto out;
	}
	if (sop == SIGOP_LOT_CLOSE && signer_checkpoint(sig, 1, "lot-end", &note, &size, &se) != 0) {
		fprintf(stderr, "station: lot %s is closed, but no checkpoint was signed: %s; run "
		    "'station audit checkpoint --profile %s'\n", prof->lot, se.text, profile_path);
		print(json, &l, 0);
		goto out;
	}
	/* Opening signs a checkpoint too: a record with none fails `audit verify`, and a station
	 * killed in its first run, before its stop checkpoint, must leave a record that verifies
	 * (PRODUCT §7; found by issue #12's kill campaign). */
	if (sop == SIGOP_LOT_OPEN && signer_checkpoint(sig, 1, "lot-start", &note, &size, &se) != 0) {
		fprintf(stderr, "station: lot %s is open, but no checkpoint was signed: %s; run "
		    "'station audit checkpoint --profile %s'\n", prof->lot, se.text, profile_path);
		print(json, &l, 0);
		goto out;
	}
	print(json, &l, size);
	rc = EXIT_OK;
out:
	free(note);
	signer_stop(sig);
	free(prof);
	return rc;
}
