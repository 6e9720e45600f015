/*
 * test-label.c: the label (issue #13): the QR content, the layout in dots, the ZPL and the PNG
 * drawn from one layout (the ZPL's ^GFA and the PNG's pixels hold the same QR modules), what
 * label_check refuses at the field's line, spool files created new and never written through,
 * the ~HS status parser, the printer helper's request decoder, and one print to a device file
 * through the helper process.
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
	NULL, NULL, NULL, NULL };

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
