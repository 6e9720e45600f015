/*
 * cli-label.c: `station label reprint|list|sample` (issue #13). The password of a board exists
 * only on its label: the station keeps a label in its spool (the label directory) until the
 * printer has taken it, so a label the printer failed to take can be printed again; a label
 * that was printed has left the spool and cannot (docs/operator-guide.md "Labels").
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cred-wifi.h"
#include "label-out.h"
#include "label-printer.h"
#include "label.h"
#include "msg.h"
#include "profile.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station label reprint SERIAL --profile FILE [--json]\n"
	    "       station label list --profile FILE [--json]\n"
	    "       station label sample --profile FILE [--out DIR]\n"
	    "reprint: sends the label of SERIAL kept in the label directory to [label] output and\n"
	    "         removes it once the printer took it. A label is kept only while it has not\n"
	    "         been printed (the printer was off, jammed or out of paper); a printed label\n"
	    "         is gone: the password is stored nowhere else (docs/operator-guide.md).\n"
	    "list:    the labels in the label directory: with a printer, those waiting for a\n"
	    "         reprint; with output = dir, every label not yet taken away.\n"
	    "sample:  draws the profile's label with a made-up serial and password, and Wi-Fi\n"
	    "         and Matter codes for [wifi] / [matter] (never a board's), as\n"
	    "         DIR/sample.zpl and DIR/sample.png (default DIR: .), to check a\n"
	    "         layout; they must not exist yet. The layout is checked as 'station run'\n"
	    "         checks it (QR code size, texts inside the label).\n"
	    "  --profile FILE     product profile (required)\n"
	    "  --json             one JSON object on stdout\n"
	    "exit: 0 done, 1 not printed (kept) or no such label, 2 usage, 3 profile\n");
}

static int
serial_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= CAP_SERIAL && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789-_") == n;
}

static void
emit(int json, const char *serial, const char *state, const char *text)
{
	json_t *o;
	char *t;

	if (!json) {
		printf("label %s: %s%s%s\n", serial, state, text[0] ? ": " : "", text);
		return;
	}
	if ((o = json_pack("{s:s,s:s,s:s}", "serial", serial, "state", state, "reason", text)) != NULL &&
	    (t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) != NULL) {
		puts(t);
		free(t);
	}
	json_decref(o);
}

static int
reprint(const struct profile *p, const char *serial, int json)
{
	char why[CAP_REASON + CAP_PATH + 64] = "", where[CAP_PATH + 16];
	int r;

	if (p->label.output == LABEL_OUT_DIR) {
		fprintf(stderr, "station label: [label] output = dir: labels are not sent anywhere; "
		    "the label of %s, if any, is in %s\n", serial, p->label_dir);
		return EXIT_USAGE;
	}
	label_out_describe(&p->label, where, sizeof(where));
	r = label_printer_once(p, serial, why, sizeof(why));
	if (r == 0) {
		snprintf(why, sizeof(why), "sent to %s and removed from the label directory", where);
		emit(json, serial, "printed", why);
		return EXIT_OK;
	}
	if (r == 2) {
		emit(json, serial, "missing", "no kept label of this serial in the label directory: it "
		    "was printed (or voided) and is gone; the password is stored nowhere else. Do not "
		    "ship the board without its label: see docs/operator-guide.md \"Labels\"");
		return EXIT_FAIL;
	}
	emit(json, serial, "kept", why);
	return EXIT_FAIL;
}

static int
list(const struct profile *p, int json)
{
	const char *ext = p->label.send == LABEL_FMT_PNG ? ".png" : ".zpl";
	json_t *arr = json ? json_array() : NULL;
	struct dirent *e;
	char name[CAP_SERIAL + 8], *t;
	size_t n;
	DIR *d;

	if ((d = opendir(p->label_dir)) == NULL) {
		fprintf(stderr, "station label: cannot read the label directory %s: %s\n", p->label_dir,
		    strerror(errno));
		json_decref(arr);
		return EXIT_PROFILE;
	}
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (n <= 4 || n - 4 > CAP_SERIAL || strcmp(e->d_name + n - 4, ext) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 4), e->d_name);
		if (!serial_ok(name))
			continue;
		if (arr != NULL)
			json_array_append_new(arr, json_string(name));
		else
			printf("%s\n", name);
	}
	closedir(d);
	if (arr != NULL) {
		if ((t = json_dumps(arr, JSON_COMPACT)) != NULL)
			puts(t);
		free(t);
		json_decref(arr);
	}
	return EXIT_OK;
}

/* Writes buf as path, created new (O_EXCL): a sample never replaces a file. */
static int
write_sample(const char *path, const void *buf, size_t n)
{
	if (label_write_new(path, buf, n) != 0) {
		fprintf(stderr, "station label: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	printf("%s\n", path);
	return 0;
}

/* The made-up credentials of a sample label ([wifi] / [matter] declared). */
struct sample_creds {
	char ssid[48], pass[72], wifi_qr[320], matter_code[24];
};

static void
sample_creds(const struct profile *p, struct sample_creds *c, struct label_values *v)
{
	static const char fake[] = "SAMPLExx23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";

	if (p->wifi.enabled) {
		snprintf(c->ssid, sizeof(c->ssid), "%s%.*s", p->wifi.ssid_prefix,
		    (int)(p->wifi.ssid_suffix < 8 ? p->wifi.ssid_suffix : 8), "SAMPLE23");
		snprintf(c->pass, sizeof(c->pass), "%.*s", (int)p->wifi.length, fake);
		if (wifi_qr_payload(c->ssid, c->pass, p->wifi.security, c->wifi_qr,
		        sizeof(c->wifi_qr)) != 0)
			c->wifi_qr[0] = '\0'; /* cannot happen: the buffer holds the longest */
		v->wifi_ssid = c->ssid;
		v->wifi_qr = c->wifi_qr;
		v->wifi_passphrase = c->pass;
	}
	if (p->matter.enabled) {
		/* the Matter specification's example code (vendor 0xFFF1, a test vendor) */
		v->matter_qr = "MT:Y.K9042C00KA0648G00";
		snprintf(c->matter_code, sizeof(c->matter_code), "%s", p->matter.flow == 2 ?
		    "349701123326552132768" : "34970112332");
		v->matter_code = c->matter_code;
	}
}

static int
sample(const struct profile *p, const char *out)
{
	static const char fake[] = "SAMPLExx23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";
	char serial[CAP_SERIAL + 1], password[MSG_MAX_PASSWORD + 1], err[CAP_REASON * 2];
	char path[CAP_PATH + 16], *zpl = NULL;
	struct label_kit *kit = NULL;
	struct label_values v;
	struct sample_creds creds;
	struct stat st;
	uint8_t *png = NULL;
	size_t zlen = 0, plen = 0, i;
	int rc = EXIT_PROFILE;

	snprintf(serial, sizeof(serial), "%s", p->serial_prefix);
	for (i = strlen(serial); i < strlen(p->serial_prefix) + p->serial_digits && i < CAP_SERIAL; i++)
		serial[i] = '0';
	serial[i] = '\0';
	snprintf(password, sizeof(password), "%.*s", (int)p->pw_length, fake);
	v.product = p->cert.product;
	v.model = p->model;
	v.serial = serial;
	v.password = password;
	v.wifi_ssid = v.wifi_qr = v.wifi_passphrase = v.matter_qr = v.matter_code = NULL;
	sample_creds(p, &creds, &v);
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "station label: %s is not a directory\n", out);
		return EXIT_USAGE;
	}
	if (label_kit_load(p, &kit, err, sizeof(err)) != 0 ||
	    label_check(p, kit, err, sizeof(err)) != 0 ||
	    label_draw(p, kit, &v, LABEL_FMT_ZPL | LABEL_FMT_PNG, &zpl, &zlen, &png, &plen, err,
	        sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	rc = EXIT_FAIL;
	snprintf(path, sizeof(path), "%s/sample.zpl", out);
	if (write_sample(path, zpl, zlen) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/sample.png", out);
	if (write_sample(path, png, plen) != 0)
		goto out;
	rc = EXIT_OK;
out:
	free(zpl);
	free(png);
	label_kit_free(kit);
	return rc;
}

int
cli_label(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' }, { "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *profile_path = NULL, *out = ".", *cmd;
	char err[CAP_REASON * 2];
	struct profile *prof = NULL;
	int c, json = 0, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_path = optarg; break;
		case 'j': json = 1; break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc || profile_path == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "reprint") == 0 ? optind + 2 != argc || !serial_ok(argv[optind + 1]) :
	    (strcmp(cmd, "list") != 0 && strcmp(cmd, "sample") != 0) || optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return EXIT_FAIL;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		free(prof);
		return EXIT_PROFILE;
	}
	rc = strcmp(cmd, "reprint") == 0 ? reprint(prof, argv[optind + 1], json) :
	    strcmp(cmd, "list") == 0 ? list(prof, json) : sample(prof, out);
	free(prof);
	return rc;
}
