/*
 * test-profile.c: station/common/profile.c: what a profile must not get past profile_load (issue
 * #12: each would spend a serial per board before failing, or write outside the label
 * directory, or inject ZPL), the file:line of each problem, the label directory check, and the
 * [label] section (issue #13): every value checked at load at its own line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"

/* A valid profile; line numbers below (one a line: subject_cn is line 16). */
static const char *const good[] = {
	"[station]",                                          /* 1 */
	"database = station.db",                              /* 2 */
	"label_dir = labels",                                 /* 3 */
	"[hsm]",                                              /* 4 */
	"token = pkcs11:token=t",                             /* 5 */
	"ca_key = pkcs11:token=t;object=ca",                  /* 6 */
	"commit_key = pkcs11:token=t;object=c",               /* 7 */
	"ca_cert = ca.pem",                                   /* 8 */
	"[product]",                                          /* 9 */
	"serial_prefix = TH2-",                               /* 10 */
	"name = thermostat-v2",                               /* 11 */
	"model = TH2_DEMO",                                   /* 12 */
	"[firmware]",                                         /* 13 */
	"allow = 1.4.2 sha256:9569b8b18a02db118a3a551f428c5c205162a609b17beb17d61a689dbabca802",
	"[certificate]",                                      /* 15 */
	"subject_cn = {serial}",                              /* 16 */
	"san_uri = urn:example:device:{model}:{serial}:{chip}:{product}", /* 17 */
	NULL,
};
/* lines of good[]: an appended section starts at line NLINES + 1 */
#define NLINES ((int)(sizeof(good) / sizeof(good[0]) - 1))


static char dir[64], path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-profile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes the good profile with line `at` (counted as in good[]) replaced by repl (NULL: as is)
 * and extra appended. */
static void
write_profile(int at, const char *repl, const char *extra)
{
	FILE *f = fopen(path, "w");
	int i;

	assert_non_null(f);
	for (i = 0; good[i] != NULL; i++) {
		fprintf(f, "%s\n", i + 1 == at && repl != NULL ? repl : good[i]);
	}
	if (extra != NULL)
		fputs(extra, f);
	assert_int_equal(fclose(f), 0);
}

/* Loads and expects a refusal whose first line starts "path:line: " and holds want. */
static void
refused(int line, const char *want)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[2048], pre[160];

	assert_non_null(p);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), -1);
	snprintf(pre, sizeof(pre), "%s:%d: ", path, line);
	if (strncmp(err, pre, strlen(pre)) != 0 || strstr(err, want) == NULL)
		fail_msg("want '%s...%s', got '%s'", pre, want, err);
	assert_null(strchr(err, '\n'));
	free(p);
}

static void
test_good(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(p->serial_prefix, "TH2-");
	assert_string_equal(p->cert.subject_cn, "{serial}");
	free(p);
}

static void
test_unknown_variable(void **state)
{
	(void)state;
	write_profile(16, "subject_cn = {serail}", NULL);
	refused(16, "unknown variable {serail}");
	write_profile(17, "san_uri = urn:x:{lot}", NULL);
	refused(17, "unknown variable {lot}");
	write_profile(16, "subject_cn = {}", NULL);
	refused(16, "unknown variable {}");
}

static void
test_unbalanced(void **state)
{
	(void)state;
	write_profile(16, "subject_cn = {serial", NULL);
	refused(16, "without its '}'");
	write_profile(16, "subject_cn = {se{rial}", NULL);
	refused(16, "without its '}'");
	write_profile(16, "subject_cn = serial}", NULL);
	refused(16, "without its '{'");
}

static void
test_prefix(void **state)
{
	static const char *const bad[] = { "serial_prefix = ../../PWN-", "serial_prefix = a/b",
		"serial_prefix = ..", "serial_prefix = TH2^XA", "serial_prefix = TH~2",
		"serial_prefix = TH 2", "serial_prefix = TH.2", "serial_prefix = TH2\x01" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_profile(10, bad[i], NULL);
		refused(10, "'serial_prefix' may hold only letters, digits, '-' and '_'");
	}
	write_profile(11, "name = thermo^FS", NULL);
	refused(11, "'name' may hold only");
	write_profile(12, "model = ../x", NULL);
	refused(12, "'model' may hold only");
}

/* inih goes on after a bad line: the first problem keeps its own line and key. */
static void
test_wrong_key_line(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[2048], want[512];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, "[extra]\nfoo=1\nbar=2\n");
	refused(19, "unknown key 'foo' in section [extra]");
	assert_int_equal(profile_load_all(path, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:19: unknown key 'foo' in section [extra]\n"
	    "%s:20: unknown key 'bar' in section [extra]", path, path);
	assert_string_equal(err, want);
	free(p);
}

static void
test_label_dir(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024], ld[160];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	snprintf(ld, sizeof(ld), "%s/labels", dir);
	assert_string_equal(p->label_dir, ld);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1); /* missing */
	assert_non_null(strstr(err, "cannot be used"));
	assert_int_equal(mkdir(ld, 0700), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), 0);
	assert_int_equal(chmod(ld, 0770), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by its group or by everyone"));
	assert_int_equal(chmod(ld, 0500), 0);
	if (geteuid() != 0) { /* root may write anyway */
		assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not writable"));
	}
	assert_int_equal(chmod(ld, 0700), 0);
	assert_int_equal(rmdir(ld), 0);
	assert_int_equal(symlink(dir, ld), 0);
	assert_int_equal(profile_check_label_dir(p, -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a directory"));
	free(p);
}

/* [label] (profile-label.c): a full section loads; the good profile gets the default layout. */
static void
test_label_section(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->label.width, 600);
	assert_int_equal(p->label.height, 300);
	assert_int_equal(p->label.dpi, 203);
	assert_int_equal(p->label.output, LABEL_OUT_DIR);
	assert_int_equal(p->label.formats, LABEL_FMT_ZPL | LABEL_FMT_PNG);
	assert_int_equal(p->label.nfield, 5); /* no support_end, report_url: no PSTI lines */
	assert_string_equal(p->label.qr_content, "WIFI:T:WPA;S:{serial};P:{password};;");
	write_profile(0, NULL, "[label]\nwidth_mm = 50.5\nheight_mm = 25\ndpi = 300\n"
	    "formats = zpl\nfield = serial 1 1 3\nfield = password 1.5 5 3.5 Kennwort\n"
	    "field = qr 30 1 20\nfield = support 1 20 2\nfield = report 1 22.5 2 -\n"
	    "qr_content = https://example.com/setup#s={serial}&p={password}&m={model}\n"
	    "support_end = 2032-02-29\nreport_url = security@example.com\n"
	    "output = tcp:[fe80::1]:9100\nstatus = zebra\ntimeout = 2500\n");
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p->label.width, 505);
	assert_int_equal(p->label.dpi, 300);
	assert_int_equal(p->label.formats, LABEL_FMT_ZPL);
	assert_int_equal(p->label.nfield, 5);
	assert_int_equal(p->label.field[1].kind, LABEL_F_PASSWORD);
	assert_int_equal(p->label.field[1].x, 15);
	assert_int_equal(p->label.field[1].size, 35);
	assert_int_equal(p->label.field[1].line, 24);
	assert_string_equal(p->label.field[1].caption, "Kennwort");
	assert_string_equal(p->label.field[0].caption, "S/N");
	assert_string_equal(p->label.field[4].caption, "");
	assert_int_equal(p->label.output, LABEL_OUT_TCP);
	assert_string_equal(p->label.printer, "[fe80::1]");
	assert_int_equal(p->label.port, 9100);
	assert_int_equal(p->label.status, LABEL_STATUS_ZEBRA);
	assert_int_equal(p->label.timeout, 2500);
	write_profile(0, NULL, "[label]\noutput = cups:zebra-1\nsend = zpl\n");
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->label.output, LABEL_OUT_CUPS);
	assert_string_equal(p->label.printer, "zebra-1");
	write_profile(0, NULL, "[label]\noutput = device:/dev/usb/lp0\nformats = zpl, png\n"
	    "send = png\n");
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->label.output, LABEL_OUT_DEVICE);
	assert_string_equal(p->label.printer, "/dev/usb/lp0");
	assert_int_equal(p->label.send, LABEL_FMT_PNG);
	free(p);
}

/* Every [label] value is checked at load, each at its own line (the section is line 18). */
static void
test_label_refused(void **state)
{
	static const struct {
		const char *lines;
		int line;
		const char *want;
	} bad[] = {
		{ "dpi = 250\n", 19, "'dpi' must be the printer's resolution" },
		{ "width_mm = 5\n", 19, "'width_mm' must be millimetres from 10.0 to 150.0" },
		{ "height_mm = 30.25\n", 19, "at most one decimal" },
		{ "formats = pdf\n", 19, "'formats' must be zpl, png or both" },
		{ "send = zpl, png\n", 19, "'send' must be zpl or png" },
		{ "field = barcode 1 1 3\n", 19, "unknown label field 'barcode'" },
		{ "field = serial 1 1\n", 19, "'field' must read 'KIND X Y SIZE [CAPTION]'" },
		{ "field = serial 1 1 0.5\n", 19, "'field SIZE' must be millimetres from 1.0" },
		{ "field = qr 1 1 3\n", 19, "'qr field SIZE' must be millimetres from 5.0" },
		{ "field = serial 1 1 3 S/N^FS\n", 19, "a field caption is printable text" },
		{ "field = qr 1 1 20 caption\n", 19, "the qr field takes no caption" },
		{ "field = serial 1 1 3\nfield = serial 1 5 3\n", 20, "has a 'serial' field already "
		    "(line 19)" },
		{ "field = serial 1 1 3\nfield = password 1 28 3\n", 20, "the password field runs "
		    "off the label" },
		{ "field = serial 1 1 3\nfield = password 1 5 3\nfield = support 1 9 2\n", 21,
		    "the support field needs [label] support_end" },
		{ "qr_content = WIFI:S:{serial};;\n", 19, "must hold {serial} and {password}" },
		{ "qr_content = {serial}{password}{chip}\n", 19, "unknown variable {chip}" },
		{ "support_end = 2031-02-29\n", 19, "'support_end' must be the last day" },
		{ "support_end = 31.12.2031\n", 19, "YYYY-MM-DD" },
		{ "report_url = https://example.com/a b\n", 19, "'report_url' must be where to report" },
		{ "report_url = https://x^XA\n", 19, "'report_url' must be" },
		{ "output = tcp:printer\n", 19, "'output' must be dir, tcp:HOST:PORT" },
		{ "output = tcp:printer:0\n", 19, "'output' must be" },
		{ "output = tcp:-x:9100\n", 19, "'output' must be" },
		{ "output = cups:a/b\n", 19, "'output' must be" },
		{ "output = device:lp0\n", 19, "'output' must be" },
		{ "output = lpr\n", 19, "'output' must be" },
		{ "status = zebra\n", 19, "status = zebra needs output = tcp" },
		{ "status = maybe\n", 19, "'status' must be none or zebra" },
		{ "timeout = 10\n", 19, "'timeout' must be a whole number from 100 to 60000" },
		{ "formats = zpl\nsend = png\n", 20, "send = png is not among the formats" },
		{ "output = tcp:p:9100\nsend = png\n", 20, "a raw printer port takes ZPL" },
		{ "font = /nonexistent/font.ttf\n", 19, "is not a readable font file" },
		{ "colour = red\n", 19, "unknown key 'colour' in section [label]" },
	};
	char extra[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(extra, sizeof(extra), "[label]\n%s", bad[i].lines);
		write_profile(0, NULL, extra);
		refused(bad[i].line, bad[i].want);
	}
}

/* A label without a password or serial field, or a default layout on a smaller label: refused
 * without a field line of its own (the second at the width_mm line). */
static void
test_label_layout_missing(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[2048];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, "[label]\nfield = serial 1 1 3\n");
	assert_int_equal(profile_load(path, p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "[label] has no password field"));
	write_profile(0, NULL, "[label]\nwidth_mm = 40\n");
	assert_int_equal(profile_load(path, p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the default layout needs a label of 60 x 30 mm"));
	free(p);
}

/* [fleet] (docs/fleet.md): read as given, defaults, and what is refused at its line. */
static void
test_fleet(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->fleet, 0);
	write_profile(0, NULL, "[fleet]\nregistry = host=/run/reg dbname=fleet user=line-7\n"
	    "serial_block = 20\nlease_ttl = 2h\n");
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p->fleet, 1);
	assert_string_equal(p->fleet_registry, "host=/run/reg dbname=fleet user=line-7");
	assert_int_equal(p->fleet_serial_block, 20);
	assert_int_equal(p->fleet_quota_lease, 50);
	assert_int_equal(p->fleet_lease_ttl, 7200);
	free(p);
	write_profile(0, NULL, "[fleet]\nregistry = host=reg user=l7 password=hunter2\n");
	refused(NLINES + 2, "must not hold a password");
	write_profile(0, NULL, "[fleet]\nlease_ttl = 0\n");
	refused(NLINES + 2, "lease_ttl must be above 0");
	write_profile(0, NULL, "[fleet]\nserial_block = 0\n");
	refused(NLINES + 2, "serial_block");
}

/* [wifi] and [matter] (issue #16): declared by their required key, defaults, each bad value at
 * its line, what only the whole section tells at the section's line. */
static void
test_credentials(void **state)
{
	struct profile *p = calloc(1, sizeof(*p));
	char err[1024];

	(void)state;
	assert_non_null(p);
	write_profile(0, NULL, NULL);
	assert_int_equal(profile_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->wifi.enabled, 0);
	assert_int_equal(p->matter.enabled, 0);
	write_profile(0, NULL, "[wifi]\nssid_prefix = TH2;Setup-\n[matter]\nvendor_id = 0xFFF1\n"
	    "product_id = 32769\ndiscovery = ble, on-network\n");
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p->wifi.enabled, 1);
	assert_string_equal(p->wifi.ssid_prefix, "TH2;Setup-");
	assert_int_equal(p->wifi.ssid_suffix, 6);
	assert_int_equal(p->wifi.security, WIFI_SEC_WPA2_WPA3);
	assert_int_equal(p->wifi.length, 16);
	assert_int_equal(p->wifi.alphabet, WIFI_ALPHA_PLAIN);
	assert_int_equal(p->matter.enabled, 1);
	assert_int_equal(p->matter.vendor_id, 0xFFF1);
	assert_int_equal(p->matter.product_id, 0x8001);
	assert_int_equal(p->matter.rendezvous, 6);
	assert_int_equal(p->matter.flow, 0);
	assert_int_equal(p->matter.iterations, 1000);
	assert_int_equal(p->matter.salt_len, 32);
	write_profile(0, NULL, "[wifi]\nssid_prefix = W\nsecurity = wpa2\nlength = 63\n"
	    "alphabet = printable\nssid_suffix = 8\n");
	if (profile_load(path, p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(p->wifi.security, WIFI_SEC_WPA2);
	assert_int_equal(p->wifi.length, 63);
	assert_int_equal(p->wifi.alphabet, WIFI_ALPHA_PRINTABLE);
	assert_int_equal(p->matter.enabled, 0);
	free(p);
	write_profile(0, NULL, "[wifi]\nlength = 20\n");
	refused(NLINES + 2, "[wifi] needs ssid_prefix");
	write_profile(0, NULL, "[wifi]\nssid_prefix = W\nlength = 7\n");
	refused(NLINES + 3, "'length' must be a whole number from 8 to 63");
	write_profile(0, NULL, "[wifi]\nssid_prefix = W\nsecurity = wep\n");
	refused(NLINES + 3, "unknown security 'wep'");
	write_profile(0, NULL, "[wifi]\nssid_prefix = 0123456789abcdefghijklmn\nssid_suffix = 9\n");
	refused(NLINES + 3, "ssid_suffix");
	write_profile(0, NULL, "[wifi]\nssid_prefix = 0123456789abcdefghijklmno\n");
	refused(NLINES + 2, "'ssid_prefix' must be 1 to 24 printable");
	write_profile(0, NULL, "[matter]\nvendor_id = 0xFFF1\n");
	refused(NLINES + 2, "[matter] needs vendor_id and product_id");
	write_profile(0, NULL, "[matter]\nvendor_id = 0x10000\nproduct_id = 1\n");
	refused(NLINES + 2, "'vendor_id' must be a number");
	write_profile(0, NULL, "[matter]\nvendor_id = 1\nproduct_id = 1\niterations = 999\n");
	refused(NLINES + 4, "'iterations' must be a whole number from 1000 to 100000");
	write_profile(0, NULL, "[matter]\nvendor_id = 1\nproduct_id = 1\nsalt_length = 33\n");
	refused(NLINES + 4, "salt_length");
	write_profile(0, NULL, "[matter]\nvendor_id = 1\nproduct_id = 1\ndiscovery = nfc\n");
	refused(NLINES + 4, "one or more of softap, ble, on-network");
	write_profile(0, NULL, "[matter]\nvendor_id = 1\nproduct_id = 1\nflow = manual\n");
	refused(NLINES + 4, "unknown flow 'manual'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbalanced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_layout_missing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
