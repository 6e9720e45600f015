/*
 * cli-ports.c: `station ports [--json]`, the serial ports a technician can assign to
 * fixtures. Table for people (stdout), one JSON array for scripts.
 */
#include "cli.h"

#include "log.h"
#include "xport.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station ports [--json]\n"
	    "Lists the fixtures the station can reach: USB serial adapters and boards on USB\n"
	    "bulk (named usb:<path>) first, sorted by physical USB port path (stable across\n"
	    "re-plugging, unlike /dev/ttyUSB numbers), then other serial ports.\n"
	    "Fixtures behind an Ethernet serial device server are not discovered: name them\n"
	    "with --port tcp:HOST:PORT or rfc2217:HOST:PORT (a range: tcp:HOST:P1-P2) on\n"
	    "'station run', 'line' and 'verify'.\n"
	    "  --json   one JSON array of objects {name, transport, usb_path, vid, pid,\n"
	    "           serial, manufacturer, product}; transport is \"serial\" or\n"
	    "           \"usb-bulk\"; vid/pid are 4-digit hex strings, absent values are null\n"
	    "  --help   this text\n");
}

/* JSON string, or null for "" (absent). Returns NULL only when out of memory. */
static json_t *
str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
hex4_or_null(int v)
{
	char buf[8];

	if (v < 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%04x", (unsigned)v & 0xffff);
	return json_string(buf);
}

static int
print_json(const struct xport_info *in, size_t n)
{
	json_t *arr = NULL, *o;
	char *text = NULL;
	size_t i;
	int r = EXIT_FAIL;

	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((o = json_object()) == NULL || json_array_append_new(arr, o) != 0)
			goto out;
		/* json_object_set_new steals the value even on failure, so no leak on NULL */
		if (json_object_set_new(o, "name", json_string(in[i].name)) != 0 ||
		    json_object_set_new(o, "transport", json_string(in[i].is_bulk ? "usb-bulk" :
		        "serial")) != 0 ||
		    json_object_set_new(o, "usb_path", str_or_null(in[i].usb_path)) != 0 ||
		    json_object_set_new(o, "vid", hex4_or_null(in[i].usb_vid)) != 0 ||
		    json_object_set_new(o, "pid", hex4_or_null(in[i].usb_pid)) != 0 ||
		    json_object_set_new(o, "serial", str_or_null(in[i].serial)) != 0 ||
		    json_object_set_new(o, "manufacturer", str_or_null(in[i].manufacturer)) != 0 ||
		    json_object_set_new(o, "product", str_or_null(in[i].product)) != 0)
			goto out;
	}
	if ((text = json_dumps(arr, JSON_INDENT(2))) == NULL)
		goto out;
	if (printf("%s\n", text) < 0 || fflush(stdout) != 0)
		goto out;
	r = EXIT_OK;
out:
	if (r != 0)
		log_error("cannot produce the JSON port list (out of memory or stdout closed)");
	free(text);
	json_decref(arr);
	return r;
}

static void
widen(int *w, const char *s)
{
	size_t l = strlen(s);

	if (l > (size_t)*w)
		*w = (int)l;
}

static int
print_table(const struct xport_info *in, size_t n)
{
	int wn = 4, wp = 8, ws = 6, wm = 12; /* at least the header widths */
	char vp[16];
	size_t i;

	for (i = 0; i < n; i++) {
		widen(&wn, in[i].name);
		widen(&wp, in[i].usb_path);
		widen(&ws, in[i].serial);
		widen(&wm, in[i].manufacturer);
	}
	printf("%-*s  %-*s  %-9s  %-*s  %-*s  %s\n", wn, "NAME", wp, "USB PATH", "VID:PID",
	    ws, "SERIAL", wm, "MANUFACTURER", "PRODUCT");
	for (i = 0; i < n; i++) {
		if (in[i].usb_vid >= 0 && in[i].usb_pid >= 0)
			snprintf(vp, sizeof(vp), "%04x:%04x", (unsigned)in[i].usb_vid & 0xffff,
			    (unsigned)in[i].usb_pid & 0xffff);
		else
			snprintf(vp, sizeof(vp), "-");
		printf("%-*s  %-*s  %-9s  %-*s  %-*s  %s\n", wn, in[i].name,
		    wp, in[i].usb_path[0] != '\0' ? in[i].usb_path : "-", vp,
		    ws, in[i].serial[0] != '\0' ? in[i].serial : "-",
		    wm, in[i].manufacturer[0] != '\0' ? in[i].manufacturer : "-",
		    in[i].product[0] != '\0' ? in[i].product : "-");
	}
	if (fflush(stdout) != 0) {
		log_error("cannot write the port list to stdout");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * `station ports [--json] [--help]`. Returns EXIT_OK (also when no port exists), EXIT_FAIL when
 * the ports cannot be listed or printed, EXIT_USAGE on a usage error (usage on stderr).
 */
int
cli_ports(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xport_info *in = NULL;
	size_t n = 0, shown;
	int c, json = 0, r = EXIT_FAIL;

	optind = 0; /* glibc: full re-initialisation, main may have run getopt already */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "station ports: unknown option '%s'\n",
			    optind > 0 && optind <= argc ? argv[optind - 1] : "?");
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "station ports: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((in = calloc(CAP_XPORT_LIST, sizeof(*in))) == NULL) {
		log_error("out of memory");
		goto out;
	}
	if ((c = xport_list(in, CAP_XPORT_LIST, &n)) != XPORT_OK) {
		log_error("cannot list serial ports: %s", xport_strerror(c));
		goto out;
	}
	shown = n < CAP_XPORT_LIST ? n : CAP_XPORT_LIST;
	if (n > shown)
		log_warn("%zu serial ports found, showing the first %zu", n, shown);
	if (json)
		r = print_json(in, shown);
	else if (shown == 0) {
		fprintf(stderr, "no serial ports found\n");
		r = EXIT_OK;
	} else
		r = print_table(in, shown);
	if (!json)
		fprintf(stderr, "(fixtures behind a network device server are not discovered: name them "
		    "with --port tcp:HOST:PORT or rfc2217:HOST:PORT)\n");
out:
	free(in);
	return r;
}
