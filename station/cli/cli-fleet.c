/*
 * cli-fleet.c: `station fleet status|verify|export`: the central fleet registry (issue #15,
 * docs/fleet.md) for people, scripts and auditors. Read-only: one REPEATABLE READ READ ONLY
 * transaction on the registry (libpq), or an export directory. The connection string comes from
 * --registry CONNINFO, --registry-file FILE (a file holding it, as it may hold a password: never
 * put a password in argv) or a profile's [fleet] registry / registry_file (--profile FILE).
 * Exit codes (cli.h): EXIT_OK, EXIT_USAGE, EXIT_PROFILE (the profile does not load or has no
 * [fleet]), EXIT_DB (the registry or the export cannot be read, or the export cannot be written),
 * EXIT_VERIFY (verify: a problem), EXIT_FLEET_FINDINGS (verify: everything holds, but the registry
 * records conflicts or forks).
 */
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cli.h"
#include "fleet-export.h"
#include "fleet-read.h"
#include "fleet-status.h"
#include "fleet-verify.h"
#include "profile.h"

static const char EXITS[] =
    "exit: 0 ok (verify: everything holds, no conflict, no fork), 2 usage, 3 profile,\n"
    "      5 the registry or export cannot be read (or the export cannot be written),\n"
    "      7 verify: a problem (each named on stderr: station, seq, what),\n"
    "     10 verify: everything holds, but the registry records conflicts or forks\n";

static const char REGISTRY_HELP[] =
    "  --registry CONNINFO     the registry's libpq connection string (no password in it:\n"
    "                          use --registry-file, or a ~/.pgpass / PGPASSFILE)\n"
    "  --registry-file FILE    a file whose first line is the connection string (mode 0600)\n"
    "  --profile FILE          a station profile: its [fleet] registry or registry_file\n";

static void
usage(FILE *f)
{
	fprintf(f, "usage: station fleet <subcommand> [options]   (station fleet <subcommand> --help)\n\n"
	           "  status   each station's contact, entries, checkpoints, forks, conflicts and\n"
	           "           leases; the fleet's totals, conflicts and forks\n"
	           "  verify   an auditor's check of the whole registry (or of an export, offline)\n"
	           "  export   the registry into files: json, csv, or a bundle that verifies offline\n\n"
	           "%s", EXITS);
}

/* Options common to the subcommands; *conninfo malloc'd (wiped and freed by the caller). */
struct fopts {
	const char *registry, *registry_file, *profile, *from, *out, *format;
	int json;
};

static int
parse(const char *cmd, int argc, char **argv, struct fopts *o, const char *help)
{
	static const struct option opts[] = { { "registry", required_argument, NULL, 'r' },
		{ "registry-file", required_argument, NULL, 'R' }, { "json", no_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'F' }, { "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' }, { "profile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->registry = optarg; break;
		case 'R': o->registry_file = optarg; break;
		case 'j': o->json = 1; break;
		case 'F': o->from = optarg; break;
		case 'o': o->out = optarg; break;
		case 'f': o->format = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'h':
			printf("%s%s%s", help, REGISTRY_HELP, EXITS);
			return -1;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "station fleet %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

/* The source: an export directory (from), or the registry. Prints why on failure. */
static int
open_src(const char *cmd, const struct fopts *o, struct fleet_src **src)
{
	char why[1024], *conninfo = NULL;
	int r;

	if (o->from != NULL) {
		if (o->registry != NULL || o->registry_file != NULL || o->profile != NULL) {
			fprintf(stderr, "station fleet %s: --from reads an export: no --registry or "
			    "--profile\n", cmd);
			return EXIT_USAGE;
		}
		if ((r = fleet_read_open_dir(o->from, src, why, sizeof(why))) != FR_OK) {
			fprintf(stderr, "station fleet %s: %s\n", cmd, why);
			return r == FR_ERR_CORRUPT || r == FR_ERR_SCHEMA ? EXIT_VERIFY : EXIT_DB;
		}
		return 0;
	}
	if (o->profile != NULL) {
		struct profile *p;
		char err[CAP_REASON * 2];

		if (o->registry != NULL || o->registry_file != NULL) {
			fprintf(stderr, "station fleet %s: give the registry by --profile, --registry or "
			    "--registry-file, not several\n", cmd);
			return EXIT_USAGE;
		}
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			fprintf(stderr, "station fleet %s: out of memory\n", cmd);
			return EXIT_DB;
		}
		err[0] = '\0';
		if (profile_load(o->profile, p, err, sizeof(err)) != 0 || !p->fleet) {
			if (err[0] == '\0')
				snprintf(err, sizeof(err), "the profile %s has no [fleet] registry or "
				    "registry_file", o->profile);
			fprintf(stderr, "station fleet %s: %s\n", cmd, err);
			free(p);
			return EXIT_PROFILE;
		}
		r = p->fleet_registry[0] != '\0' ?
		    fleet_read_conninfo(p->fleet_registry, NULL, &conninfo, why, sizeof(why)) :
		    fleet_read_conninfo(NULL, p->fleet_registry_file, &conninfo, why, sizeof(why));
		free(p);
		if (r != 0) {
			fprintf(stderr, "station fleet %s: %s\n", cmd, why);
			return EXIT_PROFILE;
		}
	} else if (fleet_read_conninfo(o->registry, o->registry_file, &conninfo, why,
	               sizeof(why)) != 0) {
		fprintf(stderr, "station fleet %s: %s\n", cmd, why);
		return EXIT_USAGE;
	}
	r = fleet_read_open_registry(conninfo, src, why, sizeof(why));
	OPENSSL_cleanse(conninfo, strlen(conninfo));
	free(conninfo);
	if (r != FR_OK) {
		fprintf(stderr, "station fleet %s: %s\n", cmd, why);
		return EXIT_DB;
	}
	return 0;
}

/* ---- status ---- */

static long long
ji(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static void
age(char *out, size_t cap, long long s)
{
	if (s < 0)
		snprintf(out, cap, "in the future");
	else if (s < 120)
		snprintf(out, cap, "%llds ago", s);
	else if (s < 7200)
		snprintf(out, cap, "%lldmin ago", s / 60);
	else if (s < 172800)
		snprintf(out, cap, "%lldh ago", s / 3600);
	else
		snprintf(out, cap, "%lldd ago", s / 86400);
}

static void
print_status(json_t *st)
{
	json_t *tot = json_object_get(st, "totals"), *s, *x;
	size_t i, j;
	char a[32], b[48];

	printf("fleet registry (schema %lld) at %s: %lld stations, %lld entries, %lld devices "
	       "(board.pass), %lld conflicts, %lld forks\n\n",
	    ji(st, "schema"), js(st, "now"), ji(tot, "stations"), ji(tot, "entries"),
	    ji(tot, "devices"), ji(tot, "conflicts"), ji(tot, "forks"));
	printf("%-20s %-20s %-30s %10s %-24s %5s %-7s %9s\n", "STATION", "FIRST SEEN",
	    "LAST CONTACT", "ENTRIES", "LAST CHECKPOINT", "FORKS", "REFUSED", "CONFLICTS");
	json_array_foreach(json_object_get(st, "stations"), i, s) {
		json_t *cp = json_object_get(s, "last_checkpoint");
		char lc[64];

		age(a, sizeof(a), ji(s, "last_contact_age_s"));
		snprintf(lc, sizeof(lc), "%s (%s)", js(s, "last_contact"), a);
		if (json_is_object(cp)) {
			age(a, sizeof(a), ji(cp, "age_s"));
			snprintf(b, sizeof(b), "%lld (%s)", ji(cp, "size"), a);
		} else {
			snprintf(b, sizeof(b), "none");
		}
		printf("%-20s %-20s %-30s %10lld %-24s %5lld %-7s %9lld\n", js(s, "station"),
		    js(s, "first_seen"), lc, ji(s, "entries"), b, ji(s, "forks"),
		    json_is_true(json_object_get(s, "refused")) ? "yes" : "no", ji(s, "conflicts"));
	}
	printf("\nleases:\n");
	json_array_foreach(json_object_get(st, "stations"), i, s) {
		json_array_foreach(json_object_get(s, "serial_blocks"), j, x) {
			printf("  %-20s serials %s %lld..%lld (granted %s, ttl %llds)\n", js(s, "station"),
			    js(x, "product"), ji(x, "first"), ji(x, "first") + ji(x, "count") - 1,
			    js(x, "granted"), ji(x, "ttl_s"));
		}
		json_array_foreach(json_object_get(s, "quota"), j, x) {
			printf("  %-20s quota of lot %s: %lld granted, %lld used (cert.issued held)\n",
			    js(s, "station"), js(x, "lot"), ji(x, "granted"), ji(x, "used"));
		}
	}
	printf("\nlots:\n");
	json_array_foreach(json_object_get(st, "lots"), i, x) {
		printf("  %-20s fleet quota %lld, declared by %s, %lld leased\n", js(x, "lot"),
		    ji(x, "quota"), js(x, "declared_by"), ji(x, "leased"));
	}
	printf("\nconflicts (a value claimed by two stations):%s\n",
	    json_array_size(json_object_get(st, "conflicts")) ? "" : " none");
	json_array_foreach(json_object_get(st, "conflicts"), i, x) {
		json_t *f = json_object_get(x, "first"), *g = json_object_get(x, "second");

		printf("  #%lld %s %s: first station %s entry %lld, then station %s entry %lld "
		       "(detected %s)\n", ji(x, "id"), js(x, "what"), js(x, "key"), js(f, "station"),
		    ji(f, "seq"), js(g, "station"), ji(g, "seq"), js(x, "detected"));
	}
	printf("\nforks (a station offered another history; nothing more is taken from it):%s\n",
	    json_array_size(json_object_get(st, "forks")) ? "" : " none");
	json_array_foreach(json_object_get(st, "forks"), i, x) {
		printf("  #%lld station %s %s %lld: held %.16s..., offered %.16s... (detected %s)\n",
		    ji(x, "id"), js(x, "station"), js(x, "what"), ji(x, "position"), js(x, "held"),
		    js(x, "offered"), js(x, "detected"));
	}
}

static int
cmd_status(int argc, char **argv)
{
	static const char help[] =
	    "usage: station fleet status (--registry CONNINFO | --registry-file FILE | --profile FILE)\n"
	    "                            [--json]\n"
	    "Per station: first seen, last contact, entries held (its last seq + 1), its last\n"
	    "checkpoint (size, age), forks (and whether the registry refuses it), the conflicts it is\n"
	    "part of, its leases (serial blocks; quota per lot: granted, and used = its cert.issued\n"
	    "entries of that lot held). The lots, the fleet's totals (devices = board.pass entries),\n"
	    "every conflict with both claimants and every fork. --json: one object (docs/fleet.md).\n";
	struct fleet_src *src = NULL;
	struct fopts o;
	json_t *st = NULL;
	char why[1024];
	int rc;

	if ((rc = parse("status", argc, argv, &o, help)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (o.from != NULL || o.out != NULL || o.format != NULL) {
		fprintf(stderr, "station fleet status: reads the registry only (--registry or "
		    "--registry-file)\n");
		return EXIT_USAGE;
	}
	if ((rc = open_src("status", &o, &src)) != 0)
		return rc;
	if (fleet_status_get(src, &st, why, sizeof(why)) != FR_OK) {
		fprintf(stderr, "station fleet status: %s\n", why);
		fleet_read_close(src);
		return EXIT_DB;
	}
	fleet_read_close(src);
	if (o.json) {
		json_dumpf(st, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_status(st);
	}
	json_decref(st);
	return EXIT_OK;
}

/* ---- verify ---- */

struct vout {
	int json;
	long long listed;
	json_t *problems, *findings;
};

static void
on_finding(void *ctx, enum fleet_finding kind, const char *station, long long seq,
    const char *what)
{
	struct vout *v = ctx;
	json_t *o;

	if (kind == FV_PROBLEM && v->listed++ >= CAP_FLEET_PROBLEMS)
		return;
	if (v->json) {
		o = json_pack("{s:s s:s s:o s:s}", "kind", kind == FV_PROBLEM ? "problem" :
		    kind == FV_CONFLICT ? "conflict" : "fork", "station", station, "seq",
		    seq >= 0 ? json_integer(seq) : json_null(), "what", what);
		if (o != NULL)
			json_array_append_new(kind == FV_PROBLEM ? v->problems : v->findings, o);
		return;
	}
	if (kind != FV_PROBLEM) {
		printf("%s: %s\n", kind == FV_CONFLICT ? "conflict" : "fork", what);
		return;
	}
	if (seq >= 0)
		fprintf(stderr, "PROBLEM: station %s seq %lld: %s\n", station, seq, what);
	else if (*station)
		fprintf(stderr, "PROBLEM: station %s: %s\n", station, what);
	else
		fprintf(stderr, "PROBLEM: %s\n", what);
}

static int
cmd_verify(int argc, char **argv)
{
	static const char help[] =
	    "usage: station fleet verify (--registry CONNINFO | --registry-file FILE |\n"
	    "                             --profile FILE | --from DIR) [--json]\n"
	    "An auditor's check of the whole fleet, from the registry (one snapshot, read-only) or\n"
	    "from an export (--from DIR, made by `station fleet export --format json|bundle`; a\n"
	    "bundle's manifest is checked first), with no trust in the registry's own checks:\n"
	    "  - every entry's leaf recomputed from its fields; each station's seqs contiguous;\n"
	    "  - each station's RFC 6962 root recomputed at every checkpoint size and compared;\n"
	    "    every checkpoint note's signature verified with the station's keys (station_keys);\n"
	    "  - the claim tables against the entries: each claim row points at an entry of the\n"
	    "    right kind with the same value; every claiming entry has its claim row, a conflicts\n"
	    "    row, or an earlier claim of its own station; each conflict's entries claim its value;\n"
	    "  - quota leases within each lot's fleet quota, serial blocks not overlapping.\n"
	    "Conflicts and forks are listed (stdout). Each problem is named on stderr (station,\n"
	    "seq, what), the first " "1000 of them; --json: one object with all of it.\n"
	    "Streams the entries: memory grows with one station's checkpoints, not the fleet.\n";
	struct fleet_verify_sum sum;
	struct fleet_src *src = NULL;
	struct vout v;
	struct fopts o;
	char why[1024];
	int rc, r;

	if ((rc = parse("verify", argc, argv, &o, help)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (o.out != NULL || o.format != NULL) {
		fprintf(stderr, "station fleet verify: --out and --format are export's\n");
		return EXIT_USAGE;
	}
	memset(&v, 0, sizeof(v));
	v.json = o.json;
	if ((rc = open_src("verify", &o, &src)) != 0) {
		if (o.json)
			printf("{\"verified\":false,\"error\":\"%s\"}\n",
			    rc == EXIT_VERIFY ? "export-damaged" : "cannot-read");
		return rc;
	}
	if (o.json && ((v.problems = json_array()) == NULL || (v.findings = json_array()) == NULL)) {
		fprintf(stderr, "station fleet verify: out of memory\n");
		fleet_read_close(src);
		return EXIT_DB;
	}
	why[0] = '\0';
	r = fleet_verify_run(src, on_finding, &v, &sum, why, sizeof(why));
	fleet_read_close(src);
	if (r != FR_OK) {
		fprintf(stderr, "station fleet verify: %s%s%s\n", fleet_read_strerror(r), *why ? ": " : "",
		    why);
		rc = r == FR_ERR_CORRUPT ? EXIT_VERIFY : EXIT_DB;
	} else {
		rc = sum.problems > 0 ? EXIT_VERIFY :
		    sum.conflicts + sum.forks > 0 ? EXIT_FLEET_FINDINGS : EXIT_OK;
	}
	if (o.json) {
		json_t *out = json_pack("{s:b s:b s:I s:I s:I s:I s:I s:I s:I s:I s:I s:O s:O}",
		    "verified", r == FR_OK && sum.problems == 0, "complete", r == FR_OK,
		    "stations", (json_int_t)sum.stations, "entries", (json_int_t)sum.entries,
		    "checkpoints", (json_int_t)sum.checkpoints, "keys", (json_int_t)sum.keys,
		    "claims", (json_int_t)sum.claims, "conflicts", (json_int_t)sum.conflicts,
		    "forks", (json_int_t)sum.forks, "problems_total", (json_int_t)sum.problems,
		    "exit", (json_int_t)rc, "problems", v.problems, "findings", v.findings);

		if (out != NULL) {
			json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			putchar('\n');
		}
		json_decref(out);
	} else if (r == FR_OK) {
		if (sum.problems > (long long)CAP_FLEET_PROBLEMS)
			fprintf(stderr, "... and %lld more problems\n", sum.problems - CAP_FLEET_PROBLEMS);
		printf("%s: %lld stations, %lld entries, %lld checkpoints (%lld keys), %lld claims; "
		       "%lld conflicts, %lld forks; %lld problems\n",
		    sum.problems ? "fleet verification FAILED" : "fleet verified", sum.stations,
		    sum.entries, sum.checkpoints, sum.keys, sum.claims, sum.conflicts, sum.forks,
		    sum.problems);
	}
	json_decref(v.problems);
	json_decref(v.findings);
	return rc;
}

/* ---- export ---- */

static int
cmd_export(int argc, char **argv)
{
	static const char help[] =
	    "usage: station fleet export (--registry CONNINFO | --registry-file FILE | --profile FILE)\n"
	    "                            --format json|csv|bundle --out DIR [--json]\n"
	    "Dumps every table of the registry (stations, entries, checkpoints, station_keys, the\n"
	    "claims chips/serials/cert_serials/pubkeys/pw_commitments, conflicts, forks, lots,\n"
	    "leases) from one snapshot into DIR (made, or empty), one file per table, streamed:\n"
	    "  json    <table>.jsonl, one object per row (values strings or null)\n"
	    "  csv     <table>.csv (RFC 4180, a header line) for people\n"
	    "  bundle  the json files and manifest.json (rows and SHA-256 of each file)\n"
	    "A json or bundle export verifies offline: station fleet verify --from DIR.\n"
	    "--json: {\"out\",\"format\",\"rows\":{table:n}} on stdout.\n";
	enum fleet_export_format fmt;
	struct fleet_src *src = NULL;
	long long rows[FT_N];
	struct fopts o;
	char why[1024];
	int rc, t;

	if ((rc = parse("export", argc, argv, &o, help)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (o.out == NULL || o.format == NULL || o.from != NULL) {
		fprintf(stderr, "station fleet export: give --format json|csv|bundle and --out DIR "
		    "(and the registry)\n");
		return EXIT_USAGE;
	}
	if (strcmp(o.format, "json") == 0)
		fmt = FE_JSON;
	else if (strcmp(o.format, "csv") == 0)
		fmt = FE_CSV;
	else if (strcmp(o.format, "bundle") == 0)
		fmt = FE_BUNDLE;
	else {
		fprintf(stderr, "station fleet export: --format is json, csv or bundle, not '%s'\n",
		    o.format);
		return EXIT_USAGE;
	}
	if ((rc = open_src("export", &o, &src)) != 0)
		return rc;
	rc = fleet_export_run(src, fmt, o.out, rows, why, sizeof(why));
	fleet_read_close(src);
	if (rc != FR_OK) {
		fprintf(stderr, "station fleet export: %s\n", why);
		return EXIT_DB;
	}
	if (o.json) {
		json_t *r = json_object(), *out;

		for (t = 0; t < FT_N && r != NULL; t++)
			json_object_set_new(r, fleet_read_spec((enum fleet_table)t)->name,
			    json_integer(rows[t]));
		out = json_pack("{s:s s:s s:o}", "out", o.out, "format", o.format, "rows", r);
		if (out != NULL) {
			json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			putchar('\n');
		}
		json_decref(out);
	} else {
		printf("exported to %s (%s):", o.out, o.format);
		for (t = 0; t < FT_N; t++)
			printf(" %s %lld%s", fleet_read_spec((enum fleet_table)t)->name, rows[t],
			    t + 1 < FT_N ? "," : "\n");
	}
	return EXIT_OK;
}

int
cli_fleet(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	fprintf(stderr, "station fleet: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
