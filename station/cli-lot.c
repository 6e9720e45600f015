/*
 * cli-lot.c: `station lot status|close`: where a production lot stands, and its end. Closing a
 * lot records lot.closed with the lot's counts and has the signer sign a checkpoint covering it
 * (PRODUCT §7: a checkpoint at lot end); a closed lot takes no more boards, in this station and
 * in the signer.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cpsched.h"
#include "log.h"
#include "profile.h"
#include "registry.h"
#include "signer.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station lot status --profile FILE [--lot LOT] [--json]\n"
	    "       station lot close  --profile FILE [--lot LOT] [--operator NAME] [--json]\n"
	    "status: whether the lot is open or closed, its quota and what it produced.\n"
	    "close:  ends the lot: records lot.closed with its counts and signs a checkpoint of\n"
	    "        the audit log through the HSM. A closed lot takes no more boards; closing a\n"
	    "        closed lot changes nothing (exit 0). Stop the station first.\n"
	    "  --lot LOT          the lot (default: [station] lot of the profile)\n"
	    "  --operator NAME    who closes it (default: [station] operator)\n"
	    "  --json             one JSON object on stdout\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never argv.\n"
	    "exit: 0 ok, 2 usage, 3 profile, 4 HSM, 5 database\n");
}

static void
print(int json, const char *lot, const char *state, const char *when, unsigned long quota,
    const struct reg_lot_summary *s, uint64_t cp_size)
{
	json_t *o;
	char *t;

	if (!json) {
		printf("lot %s: %s%s%s\n  devices: %lu PASS, %lu awaiting lock confirmation; %lu failed "
		    "attempt(s)\n  certificates: %lu issued of a quota of %lu (%lu void)\n", lot, state,
		    when[0] ? " at " : "", when, s->devices_pass, s->devices_verified, s->failures,
		    s->certs, quota, s->certs_void);
		if (cp_size)
			printf("  checkpoint: size %llu\n", (unsigned long long)cp_size);
		return;
	}
	o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "lot", lot, "state", state,
	    "closed_at", when, "quota", (json_int_t)quota, "certificates", (json_int_t)s->certs,
	    "certificates_void", (json_int_t)s->certs_void, "devices_pass",
	    (json_int_t)s->devices_pass, "devices_verified", (json_int_t)s->devices_verified,
	    "failures", (json_int_t)s->failures);
	if (o != NULL && cp_size)
		json_object_set_new(o, "checkpoint_size", json_integer((json_int_t)cp_size));
	if (o != NULL && (t = json_dumps(o, JSON_COMPACT)) != NULL) {
		puts(t);
		free(t);
	}
	json_decref(o);
}

struct cp_out {
	uint64_t size;
	char why[CAP_REASON];
};

static void
on_checkpoint(void *arg, const char *trigger, int ok, uint64_t size, const char *text)
{
	struct cp_out *c = arg;

	(void)trigger;
	if (ok)
		c->size = size;
	else
		snprintf(c->why, sizeof(c->why), "%s", text);
}

int
cli_lot(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "lot", required_argument, NULL, 'l' }, { "operator", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *profile_path = NULL, *lot = NULL, *op = NULL, *sub;
	char err[CAP_REASON * 2], when[40] = "";
	struct profile *prof = NULL;
	struct audit *db = NULL;
	struct audit_who who;
	struct reg_lot_summary sum;
	struct signer *sig = NULL;
	struct signer_err se;
	struct cp_out cp;
	int c, json = 0, closed = 0, rc = EXIT_USAGE, lockfd = -1, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "status") != 0 && strcmp(sub, "close") != 0) {
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
	who.station = prof->station_id;
	who.operator_name = prof->operator_name;
	who.lot = prof->lot;
	rc = EXIT_DB;
	/* Closing writes: one station per database, and not while a run is on. */
	if (strcmp(sub, "close") == 0 && (lockfd = audit_station_lock(prof->database)) < 0)
		goto out;
	if (audit_open(prof->database, &db) != 0 ||
	    reg_lot_closed(db, prof->lot, &closed, when, sizeof(when)) != 0 ||
	    reg_lot_summary(db, prof->lot, &sum) != 0)
		goto out;
	if (strcmp(sub, "status") == 0 || closed) {
		if (closed && strcmp(sub, "close") == 0 && !json)
			printf("lot %s was already closed; nothing changed\n", prof->lot);
		print(json, prof->lot, closed ? "closed" : "open", when, prof->quota, &sum, 0);
		rc = EXIT_OK;
		goto out;
	}
	/* The HSM first: a lot is not closed without its checkpoint. */
	if (signer_start(profile_path, &sig, &se) != 0) {
		fprintf(stderr, "station: the signer did not start: %s; the lot stays open\n", se.text);
		(void)audit_log(db, &who, "hsm.error", NULL, NULL, json_pack("{s:s}", "reason", se.text));
		rc = EXIT_HSM;
		goto out;
	}
	if ((r = reg_lot_close(db, &who, prof->quota, &sum)) != 0) {
		fprintf(stderr, "station: cannot record the end of lot %s: %s\n", prof->lot,
		    audit_strerror(r));
		goto out;
	}
	/* The time shown is the one recorded in lot.closed. */
	(void)reg_lot_closed(db, prof->lot, &closed, when, sizeof(when));
	memset(&cp, 0, sizeof(cp));
	if (cpsched_now(sig, "lot-end", on_checkpoint, &cp) != 0) {
		fprintf(stderr, "station: lot %s is closed, but no checkpoint was signed: %s; run "
		    "'station audit checkpoint --profile %s'\n", prof->lot, cp.why, profile_path);
		print(json, prof->lot, "closed", when, prof->quota, &sum, 0);
		rc = EXIT_HSM;
		goto out;
	}
	print(json, prof->lot, "closed", when, prof->quota, &sum, cp.size);
	rc = EXIT_OK;
out:
	signer_stop(sig);
	audit_close(db);
	free(prof);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
