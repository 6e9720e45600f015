/*
 * cli-version.c: `station version` (and `station --version`): the release, the git revision it
 * was built from and the versions of the libraries loaded at run time (issue #13). The same
 * object goes into the start event of run, line and verify (docs/scripting-guide.md).
 *
 * The git revision comes from git-rev.h, which the Makefile writes into the build directory
 * (`git describe --always --dirty`, or "unknown" outside a git checkout, e.g. from a tarball);
 * the library versions are asked of the libraries themselves, so that a station runs with what
 * the package manager installed, not what the headers said at build time.
 */
#include <getopt.h>
#include <jansson.h>
#include <libserialport.h>
#include <libusb.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "git-rev.h"
#include "version.h"

/* libusb's numbers as "1.0.26.11724" (nano is its build number). */
static void
libusb_text(char *out, size_t cap)
{
	const struct libusb_version *v = libusb_get_version();

	snprintf(out, cap, "%u.%u.%u.%u", (unsigned)v->major, (unsigned)v->minor, (unsigned)v->micro,
	    (unsigned)v->nano);
}

json_t *
cli_version_json(void)
{
	char usb[64];

	libusb_text(usb, sizeof(usb));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "version", STATION_VERSION, "git",
	    STATION_GIT_REV, "openssl", OpenSSL_version(OPENSSL_VERSION), "sqlite",
	    sqlite3_libversion(), "libusb", usb, "libserialport", sp_get_package_version_string());
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station version [--json]     (also: station --version)\n"
	    "Prints the station's release, the git revision it was built from ('unknown' when\n"
	    "built outside a git checkout) and the versions of OpenSSL, SQLite, libusb and\n"
	    "libserialport it runs with. --json: one JSON object, the start event's 'build' field\n"
	    "(docs/scripting-guide.md).\n"
	    "exit: 0, 2 usage\n");
}

int
cli_version(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	char usb[64], *s;
	json_t *o;
	int c, json = 0;

	/* `station --version` arrives here as argv[0] = "--version": getopt starts at argv[1]. */
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (json) {
		if ((o = cli_version_json()) == NULL ||
		    (s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT)) == NULL) {
			json_decref(o);
			fprintf(stderr, "station version: out of memory\n");
			return EXIT_FAIL;
		}
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return EXIT_OK;
	}
	libusb_text(usb, sizeof(usb));
	printf("station %s (git %s)\n", STATION_VERSION, STATION_GIT_REV);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("SQLite %s\n", sqlite3_libversion());
	printf("libusb %s\n", usb);
	printf("libserialport %s\n", sp_get_package_version_string());
	return EXIT_OK;
}
