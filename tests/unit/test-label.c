/*
 * test-label.c: the label (issue #13): the QR content, the layout in dots, the ZPL and the PNG
 * drawn from one layout (the ZPL's ^GFA and the PNG's pixels hold the same QR modules), what
 * label_check refuses at the field's line, spool files created new and never written through,
 * the ~HS status parser, the printer helper's request decoder, and one print to a device file
 * through the helper process. Issue #16: the onboarding credentials' fields (several QR codes
 * on one label, decoded back with zbarimg), the Matter code's grouping, the default layout
 * with the credentials, and what the profile and label_check refuse about them; the Wi-Fi
 * passphrase as text (wifi_passphrase), ^FH-escaped in the ZPL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "label-layout.h"
#include "label-png.h"
#include "label-printer.h"
#include "label-zhs.h"
#include "label-zpl.h"
#include "label.h"
#include "profile-int.h"
#include "profile.h"

static char dir[64], path[128];
static struct profile *prof;

static const char base[] =
    "[station]\ndatabase = station.db\nlabel_dir = labels\n[hsm]\ntoken = pkcs11:token=t\n"
    "ca_key = pkcs11:token=t;object=ca\ncommit_key = pkcs11:token=t;object=c\nca_cert = ca.pem\n"
    "[product]\nserial_prefix = TH2-\nname = thermostat-v2\nmodel = TH2\n[firmware]\n"
    "allow = 1.4.2 sha256:9569b8b18a02db118a3a551f428c5c205162a609b17beb17d61a689dbabca802\n"
    "[certificate]\nsubject_cn = {serial}\n[label]\nsupport_end = 2031-12-31\n"
    "report_url = https://example.com/security\n";

/* Loads base + extra ([label] keys) into prof; line 20 is the first extra line. */
static void
load(const char *extra)
{
	char err[1024];
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(base, f);
	fputs(extra, f);
	assert_int_equal(fclose(f), 0);
	if (profile_load(path, prof, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int
setup(void **state)
{
	char ld[96];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test-label.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	snprintf(ld, sizeof(ld), "%s/labels", dir);
	assert_int_equal(mkdir(ld, 0700), 0);
	assert_non_null(prof = calloc(1, sizeof(*prof)));
	load("");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(prof);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct label_values vals = { "thermostat-v2", "TH2", "TH2-00000042", "k7Hq2mWx9pZr",
	NULL, NULL, NULL, NULL, NULL };

static void
test_qr_payload(void **state)
{
	char out[128];
	size_t n = 0;

	(void)state;
	assert_int_equal(label_qr_payload(&prof->label, &vals, out, sizeof(out), &n), 0);
	assert_string_equal(out, "WIFI:T:WPA;S:TH2-00000042;P:k7Hq2mWx9pZr;;");
	assert_int_equal(n, strlen(out));
	load("qr_content = https://example.com/s#{product}/{model}/{serial}/{password}\n");
	assert_int_equal(label_qr_payload(&prof->label, &vals, out, sizeof(out), &n), 0);
	assert_string_equal(out, "https://example.com/s#thermostat-v2/TH2/TH2-00000042/k7Hq2mWx9pZr");
	assert_int_equal(label_qr_payload(&prof->label, &vals, out, 20, &n), -1);
}

static void
test_layout(void **state)
{
	struct label_layout *l = NULL;
	char why[256];
	int line = -1;
	unsigned i;

	(void)state;
	assert_int_equal(label_layout_build(&prof->label, &vals, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(l->width, 480); /* 60 mm at 203 dpi */
	assert_int_equal(l->height, 240);
	assert_int_equal(l->nitem, 7);
	for (i = 0; i < l->nitem; i++) {
		if (l->item[i].kind == LABEL_F_PASSWORD) {
			assert_string_equal(l->item[i].text, "Password k7Hq2mWx9pZr");
			assert_true(l->item[i].mono);
			assert_int_equal(l->item[i].x, 16);
			assert_int_equal(l->item[i].y, 100);
		}
		if (l->item[i].kind == LABEL_F_SUPPORT)
			assert_string_equal(l->item[i].text, "Security updates until 2031-12-31");
		if (l->item[i].kind == LABEL_F_QR) {
			assert_int_equal(l->ncode, 1);
			assert_int_equal(l->code[l->item[i].code].qr.modules, 29); /* 43 bytes: version 3 at level M */
			assert_int_equal(l->item[i].module, 144 / 37);
		}
	}
	label_layout_free(l);
	/* a QR code whose modules would be under 2 dots: refused at the field's line */
	load("field = serial 1 1 3\nfield = password 1 5 3\nfield = qr 40 1 8\n");
	assert_int_equal(label_layout_build(&prof->label, &vals, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 22);
	assert_non_null(strstr(why, "make the qr field at least"));
}

/* The ^GFA field of the ZPL, decoded, is the layout's QR code, module for module. */
static void
test_zpl(void **state)
{
	struct label_layout *l = NULL;
	char why[256], *z = malloc(CAP_LABEL_ZPL), *g, hex[3] = "";
	const struct label_qr *qr;
	unsigned total, tot2, row, x, y, m, mod = 0, bit;
	size_t n = 0;
	int line = 0, off = 0;
	uint8_t byte = 0;

	(void)state;
	assert_non_null(z);
	assert_int_equal(label_layout_build(&prof->label, &vals, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_zpl(l, z, CAP_LABEL_ZPL, &n), 0);
	assert_int_equal(strlen(z), n);
	assert_int_equal(strncmp(z, "^XA\n", 4), 0);
	assert_non_null(strstr(z, "^PW480\n^LL240\n"));
	assert_non_null(strstr(z, "^AEN,24,12^FDPassword k7Hq2mWx9pZr^FS"));
	assert_non_null(strstr(z, "^AEN,22,11^FDS/N TH2-00000042^FS"));
	assert_non_null(strstr(z, "^A0N,24,24^FDthermostat-v2^FS"));
	assert_non_null(strstr(z, "^FDReport vulnerabilities: https://example.com/security^FS"));
	assert_int_equal(strcmp(z + n - 4, "^XZ\n"), 0);
	for (x = 0; x < l->nitem; x++)
		if (l->item[x].kind == LABEL_F_QR)
			mod = l->item[x].module;
	qr = &l->code[0].qr;
	assert_non_null(g = strstr(z, "^GFA,"));
	assert_int_equal(sscanf(g, "^GFA,%u,%u,%u,%n", &total, &tot2, &row, &off), 3);
	m = qr->modules;
	assert_int_equal(row, (m * mod + 7) / 8);
	assert_int_equal(total, row * m * mod);
	g += off;
	for (y = 0; y < m * mod; y++)
		for (x = 0; x < row * 8; x++) {
			if (x % 8 == 0) {
				memcpy(hex, g + 2 * (y * row + x / 8), 2);
				byte = (uint8_t)strtoul(hex, NULL, 16);
			}
			bit = (byte >> (7 - x % 8)) & 1;
			assert_int_equal(bit, x < m * mod ? qr->dark[(y / mod) * m + x / mod] : 0);
		}
	assert_int_equal(strncmp(g + 2 * total, "^FS", 3), 0);
	/* a ZPL control character in a text is refused, and a buffer too small */
	assert_int_equal(label_zpl(l, z, 100, &n), -1);
	assert_int_equal(errno, ENOSPC);
	snprintf(l->item[0].text, sizeof(l->item[0].text), "x^XZ");
	assert_int_equal(label_zpl(l, z, CAP_LABEL_ZPL, &n), -1);
	assert_int_equal(errno, EINVAL);
	label_layout_free(l);
	free(z);
}

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static cairo_status_t
rd(void *arg, unsigned char *out, unsigned int len)
{
	struct rd *r = arg;

	if (len > r->n - r->off)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(out, r->p + r->off, len);
	r->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* The PNG, read back, has the layout's size and the same QR modules as the layout. */
static void
test_png(void **state)
{
	struct label_layout *l = NULL;
	struct label_fonts *f = NULL;
	const struct label_item *it = NULL;
	cairo_surface_t *s;
	struct rd r;
	uint8_t *png = NULL;
	const uint32_t *px;
	size_t n = 0;
	char why[256];
	unsigned i, x, y, m;
	int line = 0, stride;

	(void)state;
	assert_int_equal(label_fonts_load(prof->label.font, prof->label.mono_font, &f, why,
	    sizeof(why)), 0);
	assert_int_equal(label_layout_build(&prof->label, &vals, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_png(f, l, &png, &n, why, sizeof(why)), 0);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	r.p = png;
	r.n = n;
	r.off = 0;
	s = cairo_image_surface_create_from_png_stream(rd, &r);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_image_surface_get_width(s), 480);
	assert_int_equal(cairo_image_surface_get_height(s), 240);
	px = (const uint32_t *)cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s) / 4;
	for (i = 0; i < l->nitem; i++)
		if (l->item[i].kind == LABEL_F_QR)
			it = &l->item[i];
	assert_non_null(it);
	m = l->code[it->code].qr.modules;
	for (y = 0; y < m; y++)
		for (x = 0; x < m; x++) {
			/* the centre of each module: black when dark, white when light */
			uint32_t v = px[(it->y + (4 + y) * it->module + it->module / 2) * (unsigned)stride +
			    it->x + (4 + x) * it->module + it->module / 2] & 0xffffff;

			assert_int_equal(v, l->code[it->code].qr.dark[y * m + x] ? 0 : 0xffffff);
		}
	/* the quiet zone is white */
	assert_int_equal(px[(it->y + 1) * (unsigned)stride + it->x + 1] & 0xffffff, 0xffffff);
	assert_int_equal(label_png_text_width(f, 1, 24, "WWWW"), 4 * label_png_text_width(f, 1, 24,
	    "W"));
	cairo_surface_destroy(s);
	free(png);
	label_layout_free(l);
	label_fonts_free(f);
}

static void
test_check(void **state)
{
	struct label_kit *k = NULL;
	char err[512], want[160];

	(void)state;
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	if (label_check(prof, k, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* a password of 40 characters runs off the default layout */
	prof->pw_length = 40;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(default layout): the password text runs"));
	/* a text past the right edge, named at its line */
	load("field = serial 1 1 3\nfield = password 40 5 3\n");
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:21: the password text runs", path);
	assert_non_null(strstr(err, want));
	label_kit_free(k);
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	label_kit_free(k);
}

/* Spool files: 0600, created new; a planted file or link is never written through and a
 * failed label leaves nothing behind; unspool removes both. */
static void
test_spool(void **state)
{
	struct label_kit *k = NULL;
	char err[512], p1[256], pv[256], f[256], victim[256], why[256];
	struct stat st;
	struct label_values v = vals;

	(void)state;
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	assert_int_equal(label_spool(prof, k, &v, p1, sizeof(p1), pv, sizeof(pv), why, sizeof(why)), 0);
	snprintf(f, sizeof(f), "%s/labels/TH2-00000042.zpl", dir);
	assert_string_equal(p1, f);
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pv, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the same serial again */
	assert_int_equal(label_spool(prof, k, &v, p1, sizeof(p1), pv, sizeof(pv), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "File exists"));
	/* a link planted as the PNG: the ZPL made first is taken back, the link stays */
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(f, sizeof(f), "%s/labels/TH2-00000043.png", dir);
	assert_int_equal(symlink(victim, f), 0);
	v.serial = "TH2-00000043";
	assert_int_equal(label_spool(prof, k, &v, p1, sizeof(p1), pv, sizeof(pv), why, sizeof(why)), -1);
	assert_int_equal(access(victim, F_OK), -1);
	assert_int_equal(lstat(f, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(f, sizeof(f), "%s/labels/TH2-00000043.zpl", dir);
	assert_int_equal(access(f, F_OK), -1);
	/* a serial that would leave the directory */
	v.serial = "../x";
	assert_int_equal(label_spool(prof, k, &v, p1, sizeof(p1), pv, sizeof(pv), why, sizeof(why)), -1);
	assert_int_equal(label_unspool(prof->label_dir, "TH2-00000042"), 0);
	snprintf(f, sizeof(f), "%s/labels/TH2-00000042.zpl", dir);
	assert_int_equal(access(f, F_OK), -1);
	label_kit_free(k);
}

static void
test_zhs(void **state)
{
	static const char ok[] = "\x02" "030,0,0,0245,000,0,0,0,000,0,0,0\x03\r\n"
	    "\x02" "001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x02" "1234,0\x03\r\n";
	char buf[600];
	struct label_zhs st;

	(void)state;
	assert_int_equal(label_zhs_parse((const uint8_t *)ok, strlen(ok), &st), 0);
	assert_null(label_zhs_problem(&st));
	assert_int_equal(st.formats, 0);
	assert_int_equal(st.remaining, 0);
	/* every prefix is a correct beginning */
	assert_int_equal(label_zhs_parse((const uint8_t *)ok, 40, &st), 1);
	assert_int_equal(label_zhs_parse((const uint8_t *)ok, 0, &st), 1);
	snprintf(buf, sizeof(buf), "%s", ok);
	buf[5] = '1';
	buf[7] = '1'; /* paper out, paused */
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, strlen(buf), &st), 0);
	assert_string_equal(label_zhs_problem(&st), "paper out");
	snprintf(buf, sizeof(buf), "\x02" "030,0,0,0245,002,0,0,1,000,0,0,0\x03\r\n"
	    "\x02" "001,0,1,0,1,2,6,0,00000003,1,000\x03\r\n\x02" "1234,0\x03\r\n");
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, strlen(buf), &st), 0);
	assert_int_equal(st.formats, 2);
	assert_int_equal(st.remaining, 3);
	assert_true(st.partial);
	assert_string_equal(label_zhs_problem(&st), "print head open");
	/* not ~HS: too few fields, a letter, an empty field, bytes outside, trailing bytes */
	assert_int_equal(label_zhs_parse((const uint8_t *)"\x02" "1,2\x03", 5, &st), -1);
	assert_int_equal(label_zhs_parse((const uint8_t *)"\x02" "030,a,0,0,0,0,0,0,0,0,0,0\x03", 27,
	    &st), -1);
	assert_int_equal(label_zhs_parse((const uint8_t *)"\x02,,\x03", 4, &st), -1);
	assert_int_equal(label_zhs_parse((const uint8_t *)"HTTP/1.1", 8, &st), -1);
	snprintf(buf, sizeof(buf), "%sX", ok);
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, strlen(buf), &st), -1);
	/* 25 fields: more than kept */
	snprintf(buf, sizeof(buf), "\x02" "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1\x03");
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, strlen(buf), &st), -1);
	/* a number of 9 digits */
	snprintf(buf, sizeof(buf), "\x02" "123456789,0,0,0,0,0,0,0,0,0,0,0\x03");
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, strlen(buf), &st), -1);
	memset(buf, '\r', sizeof(buf));
	assert_int_equal(label_zhs_parse((const uint8_t *)buf, sizeof(buf), &st), -1);
}

static void
test_request(void **state)
{
	char s[CAP_SERIAL + 1];

	(void)state;
	assert_int_equal(label_printer_dec_req("PRINT TH2-00000001", 18, s, sizeof(s)), 0);
	assert_string_equal(s, "TH2-00000001");
	assert_int_equal(label_printer_dec_req("PRINT ../x", 10, s, sizeof(s)), -1);
	assert_int_equal(label_printer_dec_req("PRINT ", 6, s, sizeof(s)), -1);
	assert_int_equal(label_printer_dec_req("PRINT a b", 9, s, sizeof(s)), -1);
	assert_int_equal(label_printer_dec_req("PRINT a\0b", 9, s, sizeof(s)), -1);
	assert_int_equal(label_printer_dec_req("print TH2", 9, s, sizeof(s)), -1);
	assert_int_equal(label_printer_dec_req("PRINT 012345678901234567890123456789012", 39, s,
	    sizeof(s)), -1);
}

static void *
drain(void *arg)
{
	char buf[4096];
	int fd = open(arg, O_RDONLY), *n = malloc(sizeof(int));
	ssize_t got;

	*n = 0;
	while (fd >= 0 && (got = read(fd, buf, sizeof(buf))) > 0)
		*n += (int)got;
	if (fd >= 0)
		close(fd);
	return n;
}

/* The helper process prints a spooled label to a device file (a FIFO here) and removes it;
 * a label that is not there, or a printer nobody reads, keeps it. */
static void
test_helper(void **state)
{
	struct label_printer *lp = NULL;
	struct label_kit *k = NULL;
	char err[512], p1[256], pv[256], fifo[128], extra[256], note[256];
	pthread_t t;
	void *got;
	struct stat st;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/lp0", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(extra, sizeof(extra), "output = device:%s\ntimeout = 2000\n", fifo);
	load(extra);
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	assert_int_equal(label_spool(prof, k, &vals, p1, sizeof(p1), pv, sizeof(pv), err,
	    sizeof(err)), 0);
	assert_int_equal(label_printer_start(prof, NULL, NULL, &lp, err, sizeof(err)), 0);
	/* nobody reads the printer: kept */
	assert_int_equal(label_printer_print(lp, vals.serial, note, sizeof(note)), 1);
	assert_non_null(strstr(note, "nothing reads it"));
	assert_int_equal(stat(p1, &st), 0);
	/* within the timeout, the next request is answered at once with the same reason */
	assert_int_equal(label_printer_print(lp, vals.serial, note, sizeof(note)), 1);
	assert_non_null(strstr(note, "tried"));
	label_printer_stop(lp);
	assert_int_equal(label_printer_start(prof, NULL, NULL, &lp, err, sizeof(err)), 0);
	assert_int_equal(pthread_create(&t, NULL, drain, fifo), 0);
	usleep(100000);
	assert_int_equal(label_printer_print(lp, vals.serial, note, sizeof(note)), 0);
	assert_int_equal(stat(p1, &st), -1);
	assert_int_equal(stat(pv, &st), -1);
	assert_int_equal(label_printer_print(lp, "TH2-00000099", note, sizeof(note)), 1);
	assert_non_null(strstr(note, "no label of TH2-00000099"));
	label_printer_stop(lp);
	assert_int_equal(pthread_join(t, &got), 0);
	assert_true(*(int *)got > 1000);
	free(got);
	label_kit_free(k);
}

/* CUPS (libcups): a cupsd that cannot be reached keeps the label, with a reason that says so.
 * (No cupsd is started here: a job accepted by one is not tested.) */
static void
test_cups_unreachable(void **state)
{
	struct label_kit *k = NULL;
	char err[512], p1[256], pv[256], sock[128];
	struct stat st;

	(void)state;
	snprintf(sock, sizeof(sock), "%s/no-cupsd.sock", dir);
	assert_int_equal(setenv("CUPS_SERVER", sock, 1), 0);
	load("output = cups:zebra\ntimeout = 1000\n");
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	assert_int_equal(label_spool(prof, k, &vals, p1, sizeof(p1), pv, sizeof(pv), err,
	    sizeof(err)), 0);
	assert_int_equal(label_printer_once(prof, vals.serial, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "CUPS"));
	assert_int_equal(stat(p1, &st), 0);
	assert_int_equal(label_printer_once(prof, "TH2-00000077", err, sizeof(err)), 2);
	unsetenv("CUPS_SERVER");
	label_kit_free(k);
}

/* A board's credentials, with every character the WIFI: form escapes. */
static const char wifi_ssid[] = "Caf;e:K3Q9PZ";
static const char wifi_qr[] = "WIFI:T:WPA;S:Caf\\;e\\:K3Q9PZ;P:p\\\\a\\\"s\\,s;;";
static const char matter_qr[] = "MT:Y.K9042C00KA0648G00";

static struct label_values
cvals(void)
{
	struct label_values v = vals;

	v.wifi_ssid = wifi_ssid;
	v.wifi_qr = wifi_qr;
	v.matter_qr = matter_qr;
	v.matter_code = "34970112332";
	return v;
}

/* Appends a field as a 'field' line would (tenths of a millimetre; the [wifi] / [matter] parser
 * is not this test's, so no profile file can declare them). */
static void
add_field(unsigned kind, unsigned x, unsigned y, unsigned size, const char *caption, int line)
{
	struct label_field *f = &prof->label.field[prof->label.nfield++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->x = x;
	f->y = y;
	f->size = size;
	snprintf(f->caption, sizeof(f->caption), "%s", caption);
	f->line = line;
}

/* Declares [wifi] and [matter] in prof as their parser would. */
static void
declare(int wifi, int matter)
{
	memset(&prof->wifi, 0, sizeof(prof->wifi));
	memset(&prof->matter, 0, sizeof(prof->matter));
	if (wifi) {
		prof->wifi.enabled = 1;
		snprintf(prof->wifi.ssid_prefix, sizeof(prof->wifi.ssid_prefix), "Thermo-");
		prof->wifi.ssid_suffix = 6;
		prof->wifi.security = WIFI_SEC_WPA2_WPA3;
		prof->wifi.length = 16;
		prof->wifi.alphabet = WIFI_ALPHA_PLAIN;
	}
	if (matter) {
		prof->matter.enabled = 1;
		prof->matter.vendor_id = 0xfff1;
		prof->matter.product_id = 0x8000;
		prof->matter.iterations = 1000;
		prof->matter.salt_len = 32;
	}
}

/* profile_label_finish on prof as loaded, as at the end of profile_load: the number of
 * problems, their report in rep. */
static unsigned
finish(char *rep, size_t cap, int l_width, int l_height, int l_qr_content)
{
	struct pctx c;

	memset(&c, 0, sizeof(c));
	c.p = prof;
	c.report = rep;
	c.repcap = cap;
	c.l_width = l_width;
	c.l_height = l_height;
	c.l_qr_content = l_qr_content;
	rep[0] = '\0';
	profile_label_finish(&c);
	return c.nproblems;
}

static void
test_matter_code(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(label_matter_code("34970112332", out, sizeof(out)), 0);
	assert_string_equal(out, "3497-011-2332");
	assert_int_equal(label_matter_code("749701123365521327694", out, sizeof(out)), 0);
	assert_string_equal(out, "7497-011-2336-55213-27694");
	assert_int_equal(label_matter_code("34970112332", out, 14), 0);
	assert_int_equal(label_matter_code("34970112332", out, 13), -1);
	assert_int_equal(label_matter_code("3497011233", out, sizeof(out)), -1);
	assert_int_equal(label_matter_code("349701123321", out, sizeof(out)), -1);
	assert_int_equal(label_matter_code("3497-011-23", out, sizeof(out)), -1);
	assert_int_equal(label_matter_code("3497011233x", out, sizeof(out)), -1);
	assert_int_equal(label_matter_code("7497011233655213276940", out, sizeof(out)), -1);
	assert_int_equal(label_matter_code("", out, sizeof(out)), -1);
}

/* A layout of the legacy qr field and the two credential codes, their texts, on 80 x 40 mm. */
static void
three_codes(void)
{
	load("width_mm = 80\nheight_mm = 40\nfield = serial 2 2 3\nfield = password 2 6 3\n"
	    "field = qr 2 12 22\n");
	declare(1, 1);
	add_field(LABEL_F_WIFI_QR, 270, 120, 240, "Wi-Fi", 30);
	add_field(LABEL_F_MATTER_QR, 540, 120, 220, "Matter", 31);
	add_field(LABEL_F_MATTER_CODE, 420, 20, 25, "Setup code", 32);
	add_field(LABEL_F_WIFI_SSID, 420, 60, 25, "Wi-Fi", 33);
}

/* Several QR codes: one code each, in the items' order, with their payloads; the texts. */
static void
test_creds_layout(void **state)
{
	struct label_layout *l = NULL;
	struct label_values v = cvals();
	char why[256];
	int line = -1;
	unsigned i, seen = 0;

	(void)state;
	three_codes();
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(l->ncode, 3);
	for (i = 0; i < l->nitem; i++) {
		const struct label_item *it = &l->item[i];

		switch (it->kind) {
		case LABEL_F_QR:
			assert_string_equal(l->code[it->code].payload,
			    "WIFI:T:WPA;S:TH2-00000042;P:k7Hq2mWx9pZr;;");
			assert_string_equal(it->text, "");
			assert_int_equal(it->csize, 0);
			seen |= 1;
			break;
		case LABEL_F_WIFI_QR:
			assert_string_equal(l->code[it->code].payload, wifi_qr);
			assert_int_equal(l->code[it->code].len, strlen(wifi_qr));
			assert_string_equal(it->text, "Wi-Fi");
			assert_int_equal(it->csize, label_dots(LABEL_QR_CAPTION, 203));
			assert_int_equal(it->side, (l->code[it->code].qr.modules + 8) * it->module);
			assert_true(it->side <= it->size);
			seen |= 2;
			break;
		case LABEL_F_MATTER_QR:
			assert_string_equal(l->code[it->code].payload, matter_qr);
			assert_int_equal(l->code[it->code].qr.modules, 25); /* 22 bytes: version 2 */
			assert_string_equal(it->text, "Matter");
			seen |= 4;
			break;
		case LABEL_F_MATTER_CODE:
			assert_string_equal(it->text, "Setup code 3497-011-2332");
			assert_true(it->mono);
			seen |= 8;
			break;
		case LABEL_F_WIFI_SSID:
			assert_string_equal(it->text, "Wi-Fi Caf;e:K3Q9PZ");
			assert_true(it->mono);
			seen |= 16;
			break;
		default:
			break;
		}
	}
	assert_int_equal(seen, 31);
	/* the codes differ: each item draws its own */
	assert_int_not_equal(l->code[0].qr.modules == l->code[1].qr.modules &&
	    memcmp(l->code[0].qr.dark, l->code[1].qr.dark, l->code[0].qr.modules *
	    l->code[0].qr.modules) == 0, 1);
	label_layout_free(l);

	/* a credential the board does not have: refused at the field's line */
	v.matter_qr = NULL;
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 31);
	assert_non_null(strstr(why, "matter_qr field shows a credential this board does not have"));
	v = cvals();
	v.wifi_ssid = NULL;
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 33);
	/* a Matter code of another length */
	v = cvals();
	v.matter_code = "349701123321";
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 32);
	assert_non_null(strstr(why, "not 11 or 21 digits"));
	/* a wifi_qr field too small for its code, at its line, with what to do */
	v = cvals();
	prof->label.field[3].size = 60;
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 30);
	assert_non_null(strstr(why, "make the wifi_qr field at least"));
}

/* Reads the ^GFA field starting at g back into a module matrix and compares it with q. */
static void
gfa_is(const char *g, const struct label_qr *q, unsigned mod)
{
	unsigned total, tot2, row, x, y, m = q->modules, bit;
	char hex[3] = "";
	uint8_t byte = 0;
	int off = 0;

	assert_int_equal(sscanf(g, "^GFA,%u,%u,%u,%n", &total, &tot2, &row, &off), 3);
	assert_int_equal(row, (m * mod + 7) / 8);
	g += off;
	for (y = 0; y < m * mod; y++)
		for (x = 0; x < m * mod; x++) {
			if (x % 8 == 0) {
				memcpy(hex, g + 2 * (y * row + x / 8), 2);
				byte = (uint8_t)strtoul(hex, NULL, 16);
			}
			bit = (byte >> (7 - x % 8)) & 1;
			assert_int_equal(bit, q->dark[(y / mod) * m + x / mod]);
		}
}

/* The ZPL has one ^GFA per code, each its own code's modules, captions centred under them. */
static void
test_creds_zpl(void **state)
{
	struct label_layout *l = NULL;
	struct label_values v = cvals();
	char why[256], *z = malloc(CAP_LABEL_ZPL), *g, want[96];
	const struct label_item *it;
	size_t n = 0;
	unsigned i, ngfa = 0;
	int line = 0;

	(void)state;
	assert_non_null(z);
	three_codes();
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_zpl(l, z, CAP_LABEL_ZPL, &n), 0);
	g = z;
	for (i = 0; i < l->nitem; i++) {
		it = &l->item[i];
		if (!LABEL_F_IS_QR(it->kind))
			continue;
		snprintf(want, sizeof(want), "^FO%u,%u^GFA,", it->x + 4 * it->module,
		    it->y + 4 * it->module);
		assert_non_null(g = strstr(g, want));
		gfa_is(strstr(g, "^GFA,"), &l->code[it->code].qr, it->module);
		ngfa++;
		if (it->text[0]) {
			snprintf(want, sizeof(want), "^FO%u,%u^A0N,%u,%u^FB%u,1,0,C^FD%s^FS", it->x,
			    it->y + it->side, it->csize, it->csize, it->side, it->text);
			assert_non_null(strstr(z, want));
		}
	}
	assert_int_equal(ngfa, 3);
	assert_non_null(strstr(z, "^AEN,20,10^FDSetup code 3497-011-2332^FS"));
	assert_non_null(strstr(z, "^FDWi-Fi Caf;e:K3Q9PZ^FS"));
	label_layout_free(l);
	free(z);
}

/* The PNG with the three codes, decoded by a real reader (zbarimg): each payload exactly. */
static void
test_creds_zbar(void **state)
{
	struct label_layout *l = NULL;
	struct label_fonts *f = NULL;
	struct label_values v = cvals();
	char why[256], file[128], cmd[256], line_buf[512], *got[8];
	const char *want[3] = { wifi_qr, matter_qr, "WIFI:T:WPA;S:TH2-00000042;P:k7Hq2mWx9pZr;;" };
	uint8_t *png = NULL;
	size_t n = 0, i, j, ngot = 0;
	int line = 0, fd, found;
	FILE *p;

	(void)state;
	three_codes();
	assert_int_equal(label_fonts_load(prof->label.font, prof->label.mono_font, &f, why,
	    sizeof(why)), 0);
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_png(f, l, &png, &n, why, sizeof(why)), 0);
	snprintf(file, sizeof(file), "%s/three.png", dir);
	assert_true((fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, png, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	snprintf(cmd, sizeof(cmd), "zbarimg -q --raw --nodbus '%s'", file);
	if ((p = popen(cmd, "r")) == NULL)
		fail_msg("cannot run zbarimg (Debian package zbar-tools; scripts/deps.sh)");
	while (fgets(line_buf, sizeof(line_buf), p) != NULL && ngot < 8) {
		line_buf[strcspn(line_buf, "\n")] = '\0';
		assert_non_null(got[ngot++] = strdup(line_buf));
	}
	if (pclose(p) != 0)
		fail_msg("zbarimg failed on %s (installed? Debian package zbar-tools)", file);
	assert_int_equal(ngot, 3);
	for (i = 0; i < 3; i++) {
		for (j = 0, found = 0; j < ngot; j++)
			found += strcmp(got[j], want[i]) == 0;
		if (found != 1)
			fail_msg("zbarimg did not read '%s' back exactly once", want[i]);
	}
	for (j = 0; j < ngot; j++)
		free(got[j]);
	free(png);
	label_layout_free(l);
	label_fonts_free(f);
}

/* The profile's checks of the credential fields, each at its line or saying what to add. */
static void
test_creds_profile(void **state)
{
	char err[1024], rep[1024];
	FILE *f;

	(void)state;
	/* a credential field for a section the product does not declare: at the field's line */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%sfield = serial 2 2 3\nfield = password 2 6 3\nfield = wifi_qr 30 2 22\n"
	    "field = matter_code 2 10 3\n", base);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(profile_load_all(path, prof, err, sizeof(err)), -1);
	snprintf(rep, sizeof(rep), "%s:22: the wifi_qr field shows the board's Wi-Fi credential, "
	    "but the product declares no [wifi]", path);
	assert_non_null(strstr(err, rep));
	snprintf(rep, sizeof(rep), "%s:23: the matter_code field shows the board's Matter setup "
	    "code, but the product declares no [matter]", path);
	assert_non_null(strstr(err, rep));
	/* a caption under a credential's code, and none under the qr field's */
	load("field = serial 2 2 3\nfield = password 2 6 3\n");
	declare(1, 1);
	add_field(LABEL_F_WIFI_QR, 30, 2, 220, "Wi-Fi", 22);
	add_field(LABEL_F_MATTER_QR, 2, 10, 180, "Matter", 23);
	assert_int_equal(finish(rep, sizeof(rep), 0, 0, 0), 0);
	/* its caption takes the code off the label's bottom */
	prof->label.field[3].y = 110;
	assert_int_equal(finish(rep, sizeof(rep), 0, 0, 0), 1);
	assert_non_null(strstr(rep, ":23: the matter_qr field, with its caption under the code, "
	    "runs off the label"));
	/* declared and not shown: says what to add */
	load("field = serial 2 2 3\nfield = password 2 6 3\n");
	declare(1, 1);
	assert_int_equal(finish(rep, sizeof(rep), 0, 0, 0), 2);
	assert_non_null(strstr(rep, "declares [wifi] but the label has no wifi_qr field"));
	assert_non_null(strstr(rep, "add 'field = matter_qr X Y 22' and 'field = matter_code"));
	/* the Matter code alone is enough for Matter; a Wi-Fi SSID is not enough for Wi-Fi */
	add_field(LABEL_F_MATTER_CODE, 2, 10, 30, "Setup code", 22);
	add_field(LABEL_F_WIFI_SSID, 2, 14, 30, "Wi-Fi", 23);
	assert_int_equal(finish(rep, sizeof(rep), 0, 0, 0), 1);
	assert_non_null(strstr(rep, "no wifi_qr field"));
	/* the passphrase as text needs [wifi] too, at its line */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%sfield = serial 2 2 3\nfield = password 2 6 3\nfield = wifi_passphrase 2 10 3\n",
	    base);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(profile_load_all(path, prof, err, sizeof(err)), -1);
	snprintf(rep, sizeof(rep), "%s:22: the wifi_passphrase field shows the board's Wi-Fi "
	    "credential, but the product declares no [wifi]", path);
	assert_non_null(strstr(err, rep));
}

/* Every item of a layout lies inside the label (texts measured with the PNG fonts). */
static void
inside(const struct label_layout *l, struct label_kit *k)
{
	struct label_fonts *f = NULL;
	const struct label_item *it;
	char why[256];
	unsigned i;
	int w;

	(void)k;
	assert_int_equal(label_fonts_load(prof->label.font, prof->label.mono_font, &f, why,
	    sizeof(why)), 0);
	for (i = 0; i < l->nitem; i++) {
		it = &l->item[i];
		if (LABEL_F_IS_QR(it->kind)) {
			assert_true(it->x + it->size <= l->width);
			assert_true(it->y + it->side + it->csize <= l->height);
			continue;
		}
		assert_true((w = label_png_text_width(f, it->mono, it->size, it->text)) > 0);
		if (it->x + (unsigned)w > l->width || it->y + it->size > l->height)
			fail_msg("'%s' (%u, %u, %d x %u) leaves the %u x %u label", it->text, it->x, it->y,
			    w, it->size, l->width, l->height);
	}
	label_fonts_free(f);
}

/* The default layout with credentials: their codes and the Matter code in a band, the label
 * grown to hold it, every item inside, label_check content with the longest values at every
 * printer resolution; a size the profile gives that is too small says what it needs. */
static void
test_creds_default(void **state)
{
	static const unsigned dpis[] = { 152, 203, 300, 600 };
	struct label_layout *l = NULL;
	struct label_kit *k = NULL;
	struct label_values v = cvals();
	char err[1024], rep[1024];
	unsigned i, d, kinds = 0;
	int line = 0;

	(void)state;
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	for (d = 0; d < sizeof(dpis) / sizeof(dpis[0]); d++) {
		load("");
		prof->label.dpi = dpis[d];
		prof->label.nfield = 0;
		declare(1, 1);
		assert_int_equal(finish(rep, sizeof(rep), 0, 0, 0), 0);
		assert_int_equal(prof->label.width, 600);
		assert_int_equal(prof->label.height, 580);
		for (i = 0, kinds = 0; i < prof->label.nfield; i++)
			kinds |= 1u << prof->label.field[i].kind;
		/* the qr_content default (a Wi-Fi form too) gives way to the product's Wi-Fi code */
		assert_int_equal(kinds, (1u << LABEL_F_PRODUCT) | (1u << LABEL_F_MODEL) |
		    (1u << LABEL_F_SERIAL) | (1u << LABEL_F_PASSWORD) | (1u << LABEL_F_SUPPORT) |
		    (1u << LABEL_F_REPORT) | (1u << LABEL_F_WIFI_QR) | (1u << LABEL_F_MATTER_QR) |
		    (1u << LABEL_F_MATTER_CODE));
		if (label_check(prof, k, err, sizeof(err)) != 0)
			fail_msg("%u dpi: %s", dpis[d], err);
		assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, err, sizeof(err)), 0);
		inside(l, k);
		label_layout_free(l);
		/* the longest Wi-Fi payload there is (version 10) and a 21-digit Matter code */
		snprintf(prof->wifi.ssid_prefix, sizeof(prof->wifi.ssid_prefix), "A;b,c:d\"e\\f;g,h:i;j,k:");
		prof->wifi.ssid_suffix = 8;
		prof->wifi.length = 63;
		prof->wifi.alphabet = WIFI_ALPHA_PRINTABLE;
		prof->matter.flow = 2;
		if (label_check(prof, k, err, sizeof(err)) != 0)
			fail_msg("%u dpi, longest values: %s", dpis[d], err);
	}
	/* Wi-Fi only: a lower band, the qr_content the profile gives stays */
	load("qr_content = https://example.com/s#{serial}/{password}\n");
	prof->label.nfield = 0;
	declare(1, 0);
	assert_int_equal(finish(rep, sizeof(rep), 0, 0, 20), 0);
	assert_int_equal(prof->label.height, 550);
	for (i = 0, kinds = 0; i < prof->label.nfield; i++)
		kinds |= 1u << prof->label.field[i].kind;
	assert_true(kinds & (1u << LABEL_F_QR));
	assert_true(kinds & (1u << LABEL_F_WIFI_QR));
	assert_false(kinds & (1u << LABEL_F_MATTER_CODE));
	v.matter_qr = v.matter_code = NULL;
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, err, sizeof(err)), 0);
	assert_int_equal(l->ncode, 2);
	inside(l, k);
	label_layout_free(l);
	assert_int_equal(label_check(prof, k, err, sizeof(err)), 0);
	/* a height the profile gives (line 20) is kept, and too small */
	load("");
	prof->label.nfield = 0;
	declare(0, 1);
	assert_int_equal(finish(rep, sizeof(rep), 0, 20, 0), 1);
	assert_int_equal(prof->label.height, 300);
	assert_non_null(strstr(rep, ":20: [label] the default layout with the credentials' codes "
	    "needs a label of 60 x 58 mm (this one is 60.0 x 30.0 mm)"));
	/* without credentials the default stays 60 x 30 mm */
	load("");
	assert_int_equal(prof->label.height, 300);
	label_kit_free(k);
}

/* What label_check refuses about the credentials' fields, at the field's line. */
static void
test_creds_check(void **state)
{
	struct label_kit *k = NULL;
	char err[1024], want[256];

	(void)state;
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	three_codes();
	if (label_check(prof, k, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* a caption wider than its code */
	snprintf(prof->label.field[4].caption, sizeof(prof->label.field[4].caption),
	    "Scan me with your phone camera");
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:31: the caption 'Scan me with your phone camera' under the "
	    "matter_qr code", path);
	assert_non_null(strstr(err, want));
	snprintf(prof->label.field[4].caption, sizeof(prof->label.field[4].caption), "Matter");
	/* an SSID prefix with a ZPL command character, in a wifi_ssid text */
	snprintf(prof->wifi.ssid_prefix, sizeof(prof->wifi.ssid_prefix), "Th^XZ");
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:33: the wifi_ssid text would hold '^'", path);
	assert_non_null(strstr(err, want));
	/* the longest SSID runs off the label: measured with W in every suffix place */
	snprintf(prof->wifi.ssid_prefix, sizeof(prof->wifi.ssid_prefix), "ThermostatLivingRoom");
	prof->wifi.ssid_suffix = 8;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:33: the wifi_ssid text runs", path);
	assert_non_null(strstr(err, want));
	/* a 21-digit code (custom flow) that does not fit where 11 digits do */
	declare(1, 1);
	assert_int_equal(label_check(prof, k, err, sizeof(err)), 0);
	prof->matter.flow = 2;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:32: the matter_code text runs", path);
	assert_non_null(strstr(err, want));
	/* a Wi-Fi code too small for the longest passphrase, escaped */
	declare(1, 1);
	prof->label.field[3].size = 150;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), 0);
	prof->wifi.length = 63;
	prof->wifi.alphabet = WIFI_ALPHA_PRINTABLE;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:30: the Wi-Fi QR code has", path);
	assert_non_null(strstr(err, want));
	/* a label whose ZPL would not fit its cap: refused before any board */
	load("width_mm = 85\nheight_mm = 85\ndpi = 600\nfield = serial 1 1 3\n"
	    "field = password 1 5 3\nfield = qr 4 4 80\n");
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the ZPL label would be larger than 256 KiB"));
	label_kit_free(k);
}

/* The Wi-Fi passphrase as text (for a device that cannot scan the code): a passphrase of the
 * printable alphabet with every ZPL command character and the ^FH indicator. */
static const char nasty_pass[] = "^XZ~JR\\_5E^FDx~~^^\\\\__a";

/* three_codes with a wifi_passphrase field under them (line 34), default caption. */
static void
pass_layout(void)
{
	three_codes();
	add_field(LABEL_F_WIFI_PASSPHRASE, 20, 365, 25, "Wi-Fi key", 34);
}

static struct label_values
pvals(const char *pass)
{
	struct label_values v = cvals();

	v.wifi_passphrase = pass;
	return v;
}

/* Its text, in the mono font; refused at its line without the credential. */
static void
test_pass_layout(void **state)
{
	struct label_layout *l = NULL;
	struct label_values v = pvals("K3q9PZr7wXm2Hb4T");
	char why[256], rep[1024];
	int line = -1;
	unsigned i, seen = 0;
	FILE *f;

	(void)state;
	pass_layout();
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	for (i = 0; i < l->nitem; i++)
		if (l->item[i].kind == LABEL_F_WIFI_PASSPHRASE) {
			assert_string_equal(l->item[i].text, "Wi-Fi key K3q9PZr7wXm2Hb4T");
			assert_true(l->item[i].mono);
			assert_int_equal(l->item[i].line, 34);
			seen++;
		}
	assert_int_equal(seen, 1);
	label_layout_free(l);
	v.wifi_passphrase = NULL;
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), -1);
	assert_int_equal(line, 34);
	assert_non_null(strstr(why, "wifi_passphrase field shows a credential this board does not "
	    "have (the product declares no [wifi])"));
	/* the profile's default caption, and the field parsed from its line */
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%sfield = serial 2 2 3\nfield = password 2 6 3\nfield = wifi_passphrase 2 10 3\n"
	    "field = wifi_qr 30 2 22\n[wifi]\nssid_prefix = W\n",
	    base);
	assert_int_equal(fclose(f), 0);
	if (profile_load(path, prof, rep, sizeof(rep)) != 0)
		fail_msg("%s", rep);
	assert_int_equal(prof->label.nfield, 4);
	assert_int_equal(prof->label.field[2].kind, LABEL_F_WIFI_PASSPHRASE);
	assert_string_equal(prof->label.field[2].caption, "Wi-Fi key");
	assert_int_equal(prof->label.field[2].line, 22);
	assert_string_equal(profile_label_kind(LABEL_F_WIFI_PASSPHRASE), "wifi_passphrase");
}

/* Undoes the ^FH_ escapes of a field's data from s up to its ^FS into out; -1 on a '^' or '~'
 * in it (a command) or a bad escape. */
static int
unfh(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	char hex[3] = "";

	for (; strncmp(s, "^FS", 3) != 0; s++) {
		if (*s == '\0' || *s == '^' || *s == '~' || n + 1 >= cap)
			return -1;
		if (*s == '_') {
			if (strspn(s + 1, "0123456789ABCDEF") < 2)
				return -1;
			memcpy(hex, s + 1, 2);
			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 2;
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

/* A passphrase full of ^, ~, \ and _ prints exactly those characters (^FH hex escapes) and
 * commands nothing: its field is one ^FH_^FD ... ^FS with no '^' or '~' inside, the label still
 * one ^XA ... ^XZ, the other texts unescaped. */
static void
test_pass_zpl(void **state)
{
	struct label_layout *l = NULL;
	struct label_values v = pvals(nasty_pass);
	char why[256], *z = malloc(CAP_LABEL_ZPL), *g, got[160], want[160];
	size_t n = 0;
	int line = 0;
	unsigned i;

	(void)state;
	assert_non_null(z);
	pass_layout();
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_zpl(l, z, CAP_LABEL_ZPL, &n), 0);
	assert_int_equal(strlen(z), n);
	for (i = 0; i < l->nitem && l->item[i].kind != LABEL_F_WIFI_PASSPHRASE; i++)
		;
	assert_true(i < l->nitem);
	snprintf(want, sizeof(want), "^FO%u,%u^AEN,%u,%u^FH_^FD", l->item[i].x, l->item[i].y,
	    l->item[i].size, l->item[i].size * 15 / 28);
	assert_non_null(g = strstr(z, want));
	assert_int_equal(unfh(g + strlen(want), got, sizeof(got)), 0);
	snprintf(want, sizeof(want), "Wi-Fi key %s", nasty_pass);
	assert_string_equal(got, want);
	/* the exact escapes: ^ _5E, ~ _7E, \ _5C, _ _5F */
	assert_non_null(strstr(z, "^FH_^FDWi-Fi key _5EXZ_7EJR_5C_5F5E_5EFDx_7E_7E_5E_5E_5C_5C_5F_5Fa"
	    "^FS\n"));
	/* one label, one field per item, one ^FH */
	assert_int_equal(strncmp(z, "^XA\n", 4), 0);
	assert_int_equal(strcmp(z + n - 4, "^XZ\n"), 0);
	assert_null(strstr(z + 4, "^XA"));
	assert_ptr_equal(strstr(z, "^XZ"), z + n - 4);
	assert_null(strchr(z, '~'));
	assert_ptr_equal(strstr(z, "^FH"), strrchr(z, 'H') - 2);
	assert_non_null(strstr(z, "^FDWi-Fi Caf;e:K3Q9PZ^FS"));
	/* any other text with a command character is still refused */
	snprintf(l->item[0].text, sizeof(l->item[0].text), "x~JR");
	assert_int_equal(label_zpl(l, z, CAP_LABEL_ZPL, &n), -1);
	assert_int_equal(errno, EINVAL);
	/* a buffer that ends inside the escapes */
	label_layout_free(l);
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_zpl(l, z, (size_t)(g - z) + 20, &n), -1);
	assert_int_equal(errno, ENOSPC);
	label_layout_free(l);
	free(z);
}

/* The PNG draws the passphrase (its pixels, in the mono font where every character is as wide
 * as a W, which label_check measures with). */
static void
test_pass_png(void **state)
{
	struct label_layout *l = NULL;
	struct label_fonts *f = NULL;
	struct label_values v = pvals(nasty_pass);
	cairo_surface_t *s;
	struct rd r;
	uint8_t *png = NULL;
	const uint32_t *px;
	const struct label_item *it = NULL;
	size_t n = 0;
	char why[256], one[2] = "";
	unsigned i, x, y, dark = 0;
	int line = 0, stride, w;

	(void)state;
	pass_layout();
	assert_int_equal(label_fonts_load(prof->label.font, prof->label.mono_font, &f, why,
	    sizeof(why)), 0);
	assert_int_equal(label_layout_build(&prof->label, &v, &l, &line, why, sizeof(why)), 0);
	assert_int_equal(label_png(f, l, &png, &n, why, sizeof(why)), 0);
	r.p = png;
	r.n = n;
	r.off = 0;
	s = cairo_image_surface_create_from_png_stream(rd, &r);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	px = (const uint32_t *)cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s) / 4;
	for (i = 0; i < l->nitem; i++)
		if (l->item[i].kind == LABEL_F_WIFI_PASSPHRASE)
			it = &l->item[i];
	assert_non_null(it);
	w = label_png_text_width(f, 1, it->size, it->text);
	assert_true(w > 0 && it->x + (unsigned)w <= l->width && it->y + it->size <= l->height);
	/* ink in the passphrase's part of the text (after "Wi-Fi key ") */
	for (y = it->y; y < it->y + it->size; y++)
		for (x = it->x + (unsigned)w / 2; x < it->x + (unsigned)w; x++)
			dark += (px[y * (unsigned)stride + x] & 0xff) < 0x80;
	assert_true(dark > 20);
	for (i = 0x21; i <= 0x7e; i++) {
		one[0] = (char)i;
		assert_int_equal(label_png_text_width(f, 1, 24, one), label_png_text_width(f, 1, 24,
		    "W"));
	}
	cairo_surface_destroy(s);
	free(png);
	label_layout_free(l);
	label_fonts_free(f);
}

/* label_check: the longest passphrase of [wifi] length, every character the widest, runs off
 * at the field's line; a printable passphrase's '^' / '~' are no reason to refuse (escaped). */
static void
test_pass_check(void **state)
{
	struct label_kit *k = NULL;
	char err[1024], want[256];

	(void)state;
	assert_int_equal(label_kit_load(prof, &k, err, sizeof(err)), 0);
	pass_layout();
	if (label_check(prof, k, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	prof->wifi.alphabet = WIFI_ALPHA_PRINTABLE;
	if (label_check(prof, k, err, sizeof(err)) != 0)
		fail_msg("printable: %s", err);
	prof->wifi.length = 63;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:34: the wifi_passphrase text runs", path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "with a passphrase of 63 characters"));
	/* a smaller text holds it */
	prof->label.field[prof->label.nfield - 1].size = 15;
	if (label_check(prof, k, err, sizeof(err)) != 0)
		fail_msg("63 at 1.5 mm: %s", err);
	/* the plain alphabet's widest, W, measured the same way */
	prof->wifi.alphabet = WIFI_ALPHA_PLAIN;
	prof->label.field[prof->label.nfield - 1].size = 25;
	assert_int_equal(label_check(prof, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, want));
	label_kit_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qr_payload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zpl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_png, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zhs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cups_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matter_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_zpl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_zbar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creds_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_zpl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_png, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
