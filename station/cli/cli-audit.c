/*
 * cli-audit.c: `station audit verify|export|proof|check-proof|consistency|checkpoint`: the audit
 * record for auditors (docs/auditor-guide.md). Everything but `checkpoint` works offline, without
 * the HSM. Exit codes (cli.h): EXIT_OK verified / done, EXIT_VERIFY verification failed (the
 * first problem is named on stderr, and in --json), EXIT_USAGE, EXIT_PROFILE, EXIT_DB cannot read
 * the input (or write the output), EXIT_HSM signer/HSM error.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "audit-entry.h"
#include "caps.h"
#include "cli.h"
#include "export.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "profile.h"
#include "proof.h"
#include "record.h"
#include "signer.h"
#include "util.h"
#include "verify.h"

static const char EXITS[] =
    "exit: 0 verified/done, 2 usage, 3 profile, 4 signer/HSM, 5 cannot read the input,\n"
    "      7 verification failed\n";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station audit <subcommand> [options]   (station audit <subcommand> --help)\n\n"
	    "  verify       recompute and check the whole audit record offline\n"
	    "  export       CSV/JSON for people, or a self-contained bundle for auditors\n"
	    "  proof        inclusion proofs (tlog-proof) for every entry of one device\n"
	    "  check-proof  verify one tlog-proof file offline\n"
	    "  consistency  consistency proof between two checkpoint files\n"
	    "  checkpoint   ask the signer (HSM) to sign a checkpoint now\n\n%s", EXITS);
}

static int
db_from_profile(const char *profile, char *db, size_t cap)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[CAP_REASON * 2];
	int r = -1;

	if (p == NULL)
		return -1;
	if (profile_load(profile, p, err, sizeof(err)) != 0)
		fprintf(stderr, "station audit: %s\n", err);
	else if (snprintf(db, cap, "%s", p->database) < (int)cap)
		r = 0;
	free(p);
	return r;
}

static char *
read_text(const char *path, size_t cap, size_t *len)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *t;

	if (util_read_file(path, cap, &b, &n) != 0)
		return NULL;
	if ((t = realloc(b, n + 1)) == NULL) {
		free(b);
		return NULL;
	}
	t[n] = '\0';
	if (len != NULL)
		*len = n;
	return t;
}

static EVP_PKEY *
load_key(const char *path)
{
	size_t n = 0;
	char *pem = read_text(path, CAP_PEM, &n);
	EVP_PKEY *k = pem ? note_load_pubkey_pem(pem, n) : NULL;

	free(pem);
	return k;
}

/* ---- verify ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds one --checkpoint argument to o: a file, or a directory whose *.checkpoint files are all
 * added (sorted by name). Paths made here go into owned[*nowned] (the caller frees them).
 * Returns 0, or EXIT_USAGE after saying why. */
static int
add_checkpoint(struct verify_opts *o, const char *arg, char **owned, size_t *nowned)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	size_t first = *nowned, len, k;
	int rc = 0;

	if (stat(arg, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		if (o->ncheckpoints >= CAP_VERIFY_FILES) {
			fprintf(stderr, "station audit verify: at most %d checkpoint files\n", CAP_VERIFY_FILES);
			return EXIT_USAGE;
		}
		o->checkpoints[o->ncheckpoints++] = arg;
		return 0;
	}
	if ((d = opendir(arg)) == NULL) {
		fprintf(stderr, "station audit verify: cannot read the directory %s: %s\n", arg,
		    strerror(errno));
		return EXIT_USAGE;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 11 || strcmp(de->d_name + len - 11, ".checkpoint") != 0)
			continue;
		if (o->ncheckpoints + (*nowned - first) >= CAP_VERIFY_FILES) {
			fprintf(stderr, "station audit verify: more than %d checkpoint files (in %s)\n",
			    CAP_VERIFY_FILES, arg);
			rc = EXIT_USAGE;
			break;
		}
		if (asprintf(&owned[*nowned], "%s/%s", arg, de->d_name) < 0) {
			fprintf(stderr, "station audit verify: out of memory\n");
			rc = EXIT_USAGE;
			break;
		}
		(*nowned)++;
	}
	closedir(d);
	if (rc != 0)
		return rc;
	if (*nowned == first) {
		fprintf(stderr, "station audit verify: no *.checkpoint file in the directory %s\n", arg);
		return EXIT_USAGE;
	}
	qsort(owned + first, *nowned - first, sizeof(*owned), cmp_str);
	for (k = first; k < *nowned; k++)
		o->checkpoints[o->ncheckpoints++] = owned[k];
	return 0;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
		{ "bundle", required_argument, NULL, 'b' }, { "checkpoint", required_argument, NULL, 'c' },
		{ "ca", required_argument, NULL, 'a' }, { "audit-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct verify_opts o;
	struct verify_result r;
	char **owned = NULL;
	const char *cpargs[CAP_VERIFY_FILES];
	size_t ncpargs = 0, nowned = 0;
	int c, json = 0, rc;
	size_t i;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 'b': o.bundle = optarg; break;
		case 'c':
			if (ncpargs >= CAP_VERIFY_FILES) {
				fprintf(stderr, "station audit verify: at most %d --checkpoint arguments\n",
				    CAP_VERIFY_FILES);
				return EXIT_USAGE;
			}
			cpargs[ncpargs++] = optarg;
			break;
		case 'a': o.ca = optarg; break;
		case 'k': o.audit_key = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: station audit verify (--db FILE | --bundle FILE)\n"
			       "                            [--checkpoint FILE|DIR [FILE...]]... [--ca FILE]\n"
			       "                            [--audit-key FILE] [--json]\n"
			       "--checkpoint takes a file or a directory (every *.checkpoint in it), may be given\n"
			       "several times, and takes the files a shell glob adds after it\n"
			       "(--checkpoint copy/checkpoints/*.checkpoint).\n"
			       "Recomputes every leaf and the Merkle tree, checks every checkpoint (stored and\n"
			       "given) with the audit public key, every certificate against the CA and the log,\n"
			       "uniqueness of chip IDs, serials, certificate serials, public keys and password\n"
			       "commitments, and that each board.pass follows its serial, password and\n"
			       "certificate entries. Keys default to audit-key.pem and ca.pem next to the\n"
			       "database, or to those in the bundle. Needs no HSM. Only checkpoint files kept\n"
			       "off the station show entries deleted from the end of the log together with\n"
			       "their checkpoints ('entries were removed').\n%s", EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if ((o.db == NULL) == (o.bundle == NULL)) {
		fprintf(stderr, "station audit verify: give exactly one of --db FILE or --bundle FILE\n");
		return EXIT_USAGE;
	}
	/* A shell glob after --checkpoint gives the files after the first as operands. */
	if (optind != argc && ncpargs == 0) {
		fprintf(stderr, "station audit verify: unexpected argument '%s' (checkpoint files "
		    "follow --checkpoint)\n", argv[optind]);
		return EXIT_USAGE;
	}
	for (; optind < argc; optind++) {
		if (ncpargs >= CAP_VERIFY_FILES) {
			fprintf(stderr, "station audit verify: at most %d checkpoint files\n",
			    CAP_VERIFY_FILES);
			return EXIT_USAGE;
		}
		cpargs[ncpargs++] = argv[optind];
	}
	if ((owned = calloc(CAP_VERIFY_FILES, sizeof(*owned))) == NULL) {
		fprintf(stderr, "station audit verify: out of memory\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < ncpargs; i++)
		if ((rc = add_checkpoint(&o, cpargs[i], owned, &nowned)) != 0) {
			for (i = 0; i < nowned; i++)
				free(owned[i]);
			free(owned);
			return rc;
		}
	rc = verify_run(&o, &r);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	if (rc == VERIFY_ERR_INPUT)
		fprintf(stderr, "station audit verify: %s\n", r.input_error);
	for (i = 0; i < r.nproblems; i++)
		fprintf(stderr, "%s %s\n", i == 0 ? "FAILED:" : "  also:", r.problems[i]);
	if (r.nproblems_all > r.nproblems)
		fprintf(stderr, "  ... and %zu more problems\n", r.nproblems_all - r.nproblems);
	for (i = 0; i < r.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", r.warnings[i]);
	if (json) {
		json_t *o2 = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:f,s:f}", "event", "verify",
		    "verified", rc == VERIFY_OK, "entries", (json_int_t)r.entries, "checkpoints",
		    (json_int_t)r.checkpoints, "certificates", (json_int_t)r.certs, "devices",
		    (json_int_t)r.devices, "covered", (json_int_t)r.covered, "seconds",
		    r.seconds_total, "merkle_seconds", r.seconds_merkle);
		json_t *pa = json_array(), *wa = json_array();
		char *s;

		if (o2 != NULL) {
			json_object_set_new(o2, "uncovered", json_integer((json_int_t)r.uncovered));
			json_object_set_new(o2, "removed", json_integer((json_int_t)r.removed));
			json_object_set_new(o2, "checkpoint_files",
			    json_integer((json_int_t)o.ncheckpoints));
			json_object_set_new(o2, "unterminated_runs",
			    json_integer((json_int_t)r.unterminated));
		}

		for (i = 0; i < r.nproblems; i++)
			json_array_append_new(pa, json_string(r.problems[i]));
		for (i = 0; i < r.nwarnings; i++)
			json_array_append_new(wa, json_string(r.warnings[i]));
		if (o2 != NULL) {
			json_object_set_new(o2, "problems", pa);
			json_object_set_new(o2, "warnings", wa);
			if (rc == VERIFY_ERR_INPUT)
				json_object_set_new(o2, "input_error", json_string(r.input_error));
			if (r.nproblems > 0)
				json_object_set_new(o2, "first_problem", json_string(r.problems[0]));
			if ((s = json_dumps(o2, JSON_COMPACT)) != NULL)
				puts(s);
			free(s);
		}
		json_decref(o2);
	} else if (rc == VERIFY_OK) {
		printf("verified: %llu entries, %llu checkpoints (largest covers %llu entries), "
		       "%llu certificates, %llu devices in %.3f s\n", (unsigned long long)r.entries,
		    (unsigned long long)r.checkpoints, (unsigned long long)r.covered,
		    (unsigned long long)r.certs, (unsigned long long)r.devices, r.seconds_total);
	}
	if (!json && rc != VERIFY_ERR_INPUT) {
		printf("not covered by a signed checkpoint: %llu of %llu entries\n",
		    (unsigned long long)r.uncovered, (unsigned long long)r.entries);
		if (r.removed > 0)
			printf("removed: %llu of the %llu entries a signed checkpoint covers\n",
			    (unsigned long long)r.removed, (unsigned long long)(r.entries + r.removed));
		/* What the count cannot show (issue #12): the newest entries deleted together with
		 * the checkpoints that covered them leave a record consistent with itself. */
		if (o.ncheckpoints == 0)
			printf("no --checkpoint file given: entries deleted from the end of the log together "
			       "with their checkpoints would not show; give the checkpoint files kept off "
			       "the station\n");
		if (r.unterminated > 0)
			printf("unterminated runs: %llu (see the warnings)\n",
			    (unsigned long long)r.unterminated);
	}
	verify_result_free(&r);
	return rc == VERIFY_OK ? EXIT_OK : rc == VERIFY_FAIL ? EXIT_VERIFY : EXIT_DB;
}

/* ---- export ---- */

static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
		{ "lot", required_argument, NULL, 'l' }, { "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' }, { "out", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'd' }, { "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *fmt = NULL, *out = NULL, *db = NULL, *profile = NULL;
	char dbp[CAP_PATH], why[512], p[CAP_PATH + 32], since[40], until[40];
	char *ca = NULL, *root = NULL, *key = NULL, *chain = NULL;
	struct export_opts o;
	struct record *rc = NULL;
	FILE *f = stdout;
	int c, r = EXIT_DB;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'l': o.lot = optarg; break;
		case 's':
		case 'u':
			/* The log's times are UTC text: a date it cannot read would silently select
			 * nothing or everything. */
			if (export_parse_time(optarg, c == 's' ? since : until, sizeof(since), why,
			        sizeof(why)) != 0) {
				util_sanitize(optarg, strlen(optarg), p, sizeof(p));
				fprintf(stderr, "station audit export: --%s '%s' %s\n", c == 's' ? "since" :
				    "until", p, why);
				return EXIT_USAGE;
			}
			if (c == 's')
				o.since = since;
			else
				o.until = until;
			break;
		case 'o': out = optarg; break;
		case 'd': db = optarg; break;
		case 'p': profile = optarg; break;
		case 'h':
			printf("usage: station audit export --format csv|json|bundle [--lot L] [--since T]\n"
			       "           [--until T] [--out FILE] (--db FILE | --profile FILE)\n"
			       "csv/json: entries for people (filters: lot; time, since inclusive, until\n"
			       "exclusive; an RFC 3339 date or date-time: 2026-11-01, 2026-11-01T08:00:00Z,\n"
			       "2026-11-01T09:00:00+01:00). bundle: the whole record (filters ignored) with\n"
			       "the checkpoints, CA chain and audit public key, for 'station audit verify\n"
			       "--bundle'.\n%s",
			    EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (fmt == NULL || optind != argc || (db == NULL) == (profile == NULL)) {
		fprintf(stderr, "station audit export: give --format and one of --db or --profile\n");
		return EXIT_USAGE;
	}
	if (strcmp(fmt, "csv") == 0)
		o.format = EXPORT_CSV;
	else if (strcmp(fmt, "json") == 0)
		o.format = EXPORT_JSON;
	else if (strcmp(fmt, "bundle") == 0)
		o.format = EXPORT_BUNDLE;
	else {
		fprintf(stderr, "station audit export: --format is csv, json or bundle\n");
		return EXIT_USAGE;
	}
	if (profile != NULL) {
		if (db_from_profile(profile, dbp, sizeof(dbp)) != 0)
			return EXIT_PROFILE;
		db = dbp;
	}
	if (record_load_db(db, &rc, why, sizeof(why)) != 0) {
		fprintf(stderr, "station audit export: %s\n", why);
		return EXIT_DB;
	}
	if (o.format == EXPORT_BUNDLE) {
		if (util_sibling(db, "ca.pem", p, sizeof(p)) == 0)
			ca = read_text(p, CAP_PEM, NULL);
		if (util_sibling(db, "root.pem", p, sizeof(p)) == 0)
			root = read_text(p, CAP_PEM, NULL);
		if (util_sibling(db, "audit-key.pem", p, sizeof(p)) == 0)
			key = read_text(p, CAP_PEM, NULL);
		if (ca != NULL && asprintf(&chain, "%s%s", ca, root ? root : "") < 0)
			chain = NULL;
		o.ca_pem = chain;
		o.audit_key_pem = key;
		if (chain == NULL || key == NULL)
			fprintf(stderr, "station audit export: warning: %s next to the database; the "
			    "auditor will need it separately\n", chain == NULL ? "no ca.pem" : "no audit-key.pem");
	}
	if (out != NULL && (f = fopen(out, "w")) == NULL) {
		fprintf(stderr, "station audit export: cannot write %s: %s\n", out, strerror(errno));
		goto done;
	}
	if (export_write(rc, &o, f) != 0 || fflush(f) != 0) {
		fprintf(stderr, "station audit export: writing failed (disk full?)\n");
		r = EXIT_DB;
	} else
		r = EXIT_OK;
	if (out != NULL && fclose(f) != 0)
		r = EXIT_DB;
done:
	record_free(rc);
	free(ca), free(root), free(key), free(chain);
	return r;
}

/* ---- proofs ---- */

/* Leaves recomputed from the record, each checked against the stored one. */
static int
checked_leaves(const struct record *rc, merkle_hash **out)
{
	merkle_hash *l = malloc((rc->ne ? rc->ne : 1) * sizeof(*l));
	size_t i;

	if (l == NULL)
		return -1;
	for (i = 0; i < rc->ne; i++)
		if (rc->e[i].seq != (int64_t)i || rc->e[i].bad != NULL || !rc->e[i].leaf_ok ||
		    record_entry_leaf(&rc->e[i], l[i]) != 0 || memcmp(l[i], rc->e[i].leaf, 32) != 0) {
			fprintf(stderr, "station audit: entry #%zu does not match its leaf hash or is out "
			    "of sequence; run 'station audit verify' first\n", i);
			free(l);
			return -1;
		}
	*out = l;
	return 0;
}

static int
cmd_proof(int argc, char **argv)
{
	static const struct option opts[] = { { "serial", required_argument, NULL, 's' },
		{ "chip", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *serial = NULL, *chip = NULL, *db = "station.db", *out = NULL;
	struct note_checkpoint *cp = NULL;
	struct record *rc = NULL;
	merkle_hash *leaves = NULL, root, path[MERKLE_MAX_PROOF];
	const struct rec_checkpoint *k;
	char why[512];
	size_t i, np, count = 0;
	int c, r = EXIT_DB;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': serial = optarg; break;
		case 'c': chip = optarg; break;
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: station audit proof (--serial S | --chip ID) [--db FILE] [--out DIR]\n"
			       "For each log entry of that device, a c2sp.org/tlog-proof@v1 text against the\n"
			       "latest stored checkpoint; the entry's canonical bytes are the 'extra' line.\n"
			       "Without --out the proofs go to stdout one after another; with --out DIR each is\n"
			       "written to DIR/<seq>.tlog-proof. Check one with 'station audit check-proof'.\n%s",
			    EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc || (serial == NULL) == (chip == NULL)) {
		fprintf(stderr, "station audit proof: give one of --serial or --chip\n");
		return EXIT_USAGE;
	}
	if (record_load_db(db, &rc, why, sizeof(why)) != 0) {
		fprintf(stderr, "station audit proof: %s\n", why);
		return EXIT_DB;
	}
	if (rc->nk == 0) {
		fprintf(stderr, "station audit proof: no checkpoint in %s; run 'station audit "
		    "checkpoint' first\n", db);
		goto out;
	}
	k = &rc->k[rc->nk - 1];
	if ((cp = malloc(sizeof(*cp))) == NULL || checked_leaves(rc, &leaves) != 0)
		goto out;
	if (note_parse(k->note, strlen(k->note), cp, why, sizeof(why)) != 0 || cp->size > rc->ne ||
	    merkle_root(leaves, cp->size, root) != 0 || memcmp(root, cp->root, 32) != 0) {
		fprintf(stderr, "station audit proof: the latest checkpoint does not match the log; run "
		    "'station audit verify'\n");
		r = EXIT_VERIFY;
		goto out;
	}
	if (out != NULL && mkdir(out, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "station audit proof: cannot create the directory %s: %s\n", out,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < rc->ne; i++) {
		const struct rec_entry *e = &rc->e[i];
		uint8_t *bytes = NULL;
		size_t blen = 0;
		char *text = NULL, file[CAP_PATH + 32];

		if ((serial && strcmp(e->serial, serial) != 0) || (chip && strcmp(e->chip, chip) != 0))
			continue;
		count++;
		if ((uint64_t)i >= cp->size) {
			char kind[64];

			util_sanitize(e->kind, strlen(e->kind), kind, sizeof(kind));
			fprintf(stderr, "station audit proof: entry #%zu (%s) is not covered by the latest "
			    "checkpoint (size %llu) yet; run 'station audit checkpoint'\n", i, kind,
			    (unsigned long long)cp->size);
			r = EXIT_VERIFY;
			continue;
		}
		if (merkle_inclusion_proof(leaves, cp->size, i, path, MERKLE_MAX_PROOF, &np) != 0 ||
		    merkle_inclusion_verify(i, cp->size, leaves[i], (const merkle_hash *)path, np,
		        cp->root) != 0 ||
		    audit_entry_bytes(e->seq, e->time, e->station, e->op, e->lot, e->kind, e->chip,
		        e->serial, e->body, &bytes, &blen) != 0 ||
		    proof_format(i, bytes, blen, (const merkle_hash *)path, np, k->note, &text) != 0) {
			free(bytes);
			fprintf(stderr, "station audit proof: cannot build the proof of entry #%zu\n", i);
			goto out;
		}
		free(bytes);
		if (out == NULL) {
			fputs(text, stdout);
		} else {
			snprintf(file, sizeof(file), "%s/%zu.tlog-proof", out, i);
			if (util_write_file(file, text, strlen(text), 0644) != 0) {
				fprintf(stderr, "station audit proof: cannot write %s: %s\n", file,
				    strerror(errno));
				free(text);
				goto out;
			}
			printf("%s\n", file);
		}
		free(text);
	}
	if (count == 0) {
		fprintf(stderr, "station audit proof: no entry for that device in %s\n", db);
		r = EXIT_VERIFY;
	} else if (r == EXIT_DB)
		r = EXIT_OK;
out:
	free(cp);
	free(leaves);
	record_free(rc);
	return r;
}

static int
cmd_check_proof(int argc, char **argv)
{
	static const struct option opts[] = { { "audit-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *keyp = NULL;
	char *text = NULL, kp[CAP_PATH + 32], why[256], shown[600];
	struct note_checkpoint *cp = NULL;
	struct proof p;
	merkle_hash leaf;
	EVP_PKEY *key = NULL;
	size_t len = 0, nl;
	int c, r = EXIT_DB;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keyp = optarg; break;
		case 'h':
			printf("usage: station audit check-proof FILE [--audit-key FILE]\n"
			       "Verifies a tlog-proof offline: the entry (extra line) hashes to the leaf, the path\n"
			       "leads to the checkpoint's root, and the checkpoint is signed by the audit key\n"
			       "(default: audit-key.pem next to FILE).\n%s", EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "station audit check-proof: give one proof FILE\n");
		return EXIT_USAGE;
	}
	memset(&p, 0, sizeof(p));
	if ((text = read_text(argv[optind], CAP_PROOF_FILE, &len)) == NULL) {
		fprintf(stderr, "station audit check-proof: cannot read %s\n", argv[optind]);
		goto out;
	}
	if (keyp == NULL && util_sibling(argv[optind], "audit-key.pem", kp, sizeof(kp)) == 0)
		keyp = kp;
	if (keyp == NULL || (key = load_key(keyp)) == NULL) {
		fprintf(stderr, "station audit check-proof: cannot read the audit public key %s; give "
		    "--audit-key\n", keyp ? keyp : "");
		goto out;
	}
	r = EXIT_VERIFY;
	if (strlen(text) != len || proof_parse(text, len, &p, why, sizeof(why)) != 0) {
		fprintf(stderr, "FAILED: %s is not a valid proof: %s\n", argv[optind], strlen(text) != len ?
		    "holds a NUL byte" : why);
		goto out;
	}
	if ((cp = malloc(sizeof(*cp))) == NULL)
		goto out;
	if (note_parse(p.note, p.note_len, cp, why, sizeof(why)) != 0) {
		fprintf(stderr, "FAILED: the checkpoint in the proof is not valid: %s\n", why);
		goto out;
	}
	if (note_verify(p.note, cp, key) != 0) {
		fprintf(stderr, "FAILED: the checkpoint in the proof is not signed by the audit key\n");
		goto out;
	}
	if (merkle_leaf_hash(p.extra, p.extra_len, leaf) != 0 ||
	    merkle_inclusion_verify(p.index, cp->size, leaf, (const merkle_hash *)p.path, p.npath,
	        cp->root) != 0) {
		fprintf(stderr, "FAILED: entry #%llu is not in checkpoint %s of size %llu: the entry or "
		    "the proof was altered\n", (unsigned long long)p.index, cp->origin,
		    (unsigned long long)cp->size);
		goto out;
	}
	/* The entry's own seq (second line of its canonical bytes) must be the index. */
	{
		char num[24];
		int n = snprintf(num, sizeof(num), "SPLOG1\n%llu\n", (unsigned long long)p.index);
		if (n <= 0 || p.extra_len < (size_t)n || memcmp(p.extra, num, (size_t)n) != 0) {
			fprintf(stderr, "FAILED: the entry's sequence number is not the proof's index\n");
			goto out;
		}
	}
	nl = p.extra_len < 300 ? p.extra_len : 300;
	util_sanitize((const char *)p.extra, nl, shown, sizeof(shown));
	printf("verified: entry #%llu is in checkpoint %s of size %llu\nentry: %s%s\n",
	    (unsigned long long)p.index, cp->origin, (unsigned long long)cp->size, shown,
	    p.extra_len > nl ? "..." : "");
	r = EXIT_OK;
out:
	proof_clear(&p);
	free(cp);
	free(text);
	EVP_PKEY_free(key);
	return r;
}

static int
cmd_consistency(int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
		{ "audit-key", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *db = NULL, *keyp = NULL;
	char *t[2] = { NULL, NULL }, dbguess[CAP_PATH + 32], kp[CAP_PATH + 32], why[256], h[45];
	struct note_checkpoint *cp = NULL;
	struct record *rc = NULL;
	merkle_hash *leaves = NULL, path[MERKLE_MAX_PROOF];
	EVP_PKEY *key = NULL;
	size_t n[2], np, i;
	int c, r = EXIT_DB;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': keyp = optarg; break;
		case 'h':
			printf("usage: station audit consistency OLD NEW [--db FILE] [--audit-key FILE]\n"
			       "Builds the RFC 9162 consistency proof from checkpoint file OLD to NEW out of the\n"
			       "log, prints it and verifies it, with both signatures. The database defaults to\n"
			       "station.db in the directory above OLD (<dir>/checkpoints/<size>.checkpoint).\n%s",
			    EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "station audit consistency: give OLD and NEW checkpoint files\n");
		return EXIT_USAGE;
	}
	if ((cp = calloc(2, sizeof(*cp))) == NULL)
		return EXIT_DB;
	for (i = 0; i < 2; i++)
		if ((t[i] = read_text(argv[optind + i], CAP_NOTE, &n[i])) == NULL) {
			fprintf(stderr, "station audit consistency: cannot read %s\n", argv[optind + i]);
			goto out;
		}
	/* <dir>/checkpoints/<size>.checkpoint: the database is <dir>/station.db */
	if (db == NULL && util_sibling(argv[optind], "../station.db", dbguess, sizeof(dbguess)) == 0)
		db = dbguess;
	if (keyp == NULL && db != NULL && util_sibling(db, "audit-key.pem", kp, sizeof(kp)) == 0)
		keyp = kp;
	if (db == NULL || keyp == NULL || (key = load_key(keyp)) == NULL) {
		fprintf(stderr, "station audit consistency: cannot read the audit public key %s; give "
		    "--audit-key\n", keyp ? keyp : "");
		goto out;
	}
	if (record_load_db(db, &rc, why, sizeof(why)) != 0) {
		fprintf(stderr, "station audit consistency: %s\n", why);
		goto out;
	}
	r = EXIT_VERIFY;
	for (i = 0; i < 2; i++)
		if (strlen(t[i]) != n[i] || note_parse(t[i], n[i], &cp[i], why, sizeof(why)) != 0 ||
		    note_verify(t[i], &cp[i], key) != 0) {
			fprintf(stderr, "FAILED: checkpoint %s is not a valid checkpoint signed by the audit "
			    "key\n", argv[optind + i]);
			goto out;
		}
	if (cp[0].size > cp[1].size || cp[1].size > rc->ne || cp[0].size == 0) {
		fprintf(stderr, "FAILED: sizes %llu -> %llu do not fit a log of %zu entries (OLD must be "
		    "non-empty and not larger than NEW)\n", (unsigned long long)cp[0].size,
		    (unsigned long long)cp[1].size, rc->ne);
		goto out;
	}
	if (checked_leaves(rc, &leaves) != 0)
		goto out;
	if (merkle_consistency_proof(leaves, cp[1].size, cp[0].size, path, MERKLE_MAX_PROOF, &np) != 0)
		goto out;
	printf("consistency proof from size %llu to size %llu (%zu hashes):\n",
	    (unsigned long long)cp[0].size, (unsigned long long)cp[1].size, np);
	for (i = 0; i < np; i++) {
		note_b64enc(path[i], 32, h, sizeof(h));
		printf("%s\n", h);
	}
	if (merkle_consistency_verify(cp[0].size, cp[1].size, cp[0].root, cp[1].root,
	        (const merkle_hash *)path, np) != 0) {
		fprintf(stderr, "FAILED: checkpoint %s is not a prefix of %s in this log: the log or a "
		    "checkpoint was altered\n", argv[optind], argv[optind + 1]);
		goto out;
	}
	printf("verified: checkpoint of size %llu is consistent with checkpoint of size %llu\n",
	    (unsigned long long)cp[0].size, (unsigned long long)cp[1].size);
	r = EXIT_OK;
out:
	free(t[0]), free(t[1]), free(cp), free(leaves);
	EVP_PKEY_free(key);
	record_free(rc);
	return r;
}

static int
cmd_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *profile = NULL;
	struct signer *sig = NULL;
	struct signer_err se;
	char *note = NULL;
	uint64_t size = 0;
	int c, r = EXIT_HSM;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 'h':
			printf("usage: station audit checkpoint --profile FILE\n"
			       "Asks the signer to sign a checkpoint of the whole log now with the audit key;\n"
			       "prints the note (also stored in the database and in <db dir>/checkpoints/).\n%s",
			    EXITS);
			return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (profile == NULL || optind != argc) {
		fprintf(stderr, "station audit checkpoint: --profile FILE is required\n");
		return EXIT_USAGE;
	}
	if (cli_signer("station audit checkpoint", profile, SIGMODE_ADMIN, NULL, &sig) != 0)
		return EXIT_HSM;
	if (signer_checkpoint(sig, 1, "manual", &note, &size, &se) != 0)
		fprintf(stderr, "station audit checkpoint: %s\n", se.text);
	else {
		fputs(note, stdout);
		r = EXIT_OK;
	}
	free(note);
	signer_stop(sig);
	return r;
}

int
cli_audit(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} sub[] = { { "verify", cmd_verify }, { "export", cmd_export }, { "proof", cmd_proof },
		{ "check-proof", cmd_check_proof }, { "consistency", cmd_consistency },
		{ "checkpoint", cmd_checkpoint } };
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(argv[1], sub[i].name) == 0)
			return sub[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "station audit: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
