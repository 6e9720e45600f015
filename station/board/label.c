/* label.c: one board's label, drawn and spooled; see label.h. */
#include "label.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cred-wifi.h"
#include "label-png.h"
#include "label-zpl.h"
#include "msg.h"
#include "util.h"

struct label_kit {
	struct label_fonts *fonts;
};

int
label_kit_load(const struct profile *p, struct label_kit **out, char *err, size_t cap)
{
	struct label_kit *k;
	char why[CAP_REASON];

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		util_why(err, cap, "out of memory");
		return -1;
	}
	if (label_fonts_load(p->label.font, p->label.mono_font, &k->fonts, why, sizeof(why)) != 0) {
		util_why(err, cap, "%s: [label] fonts: %s", p->path, why);
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

void
label_kit_free(struct label_kit *k)
{
	if (k == NULL)
		return;
	label_fonts_free(k->fonts);
	free(k);
}

/* "file:line: why", or "file: [label] (default layout): why" for line 0. */
static void
where(char *out, size_t cap, const char *path, int line, const char *why)
{
	if (line > 0)
		util_why(out, cap, "%s:%d: %s", path, line, why);
	else
		util_why(out, cap, "%s: [label] (default layout): %s", path, why);
}

/* The longest values a board of p can get (label_check). */
struct worst {
	char serial[CAP_SERIAL + 1], password[MSG_MAX_PASSWORD + 1];
	char ssid[48], pass[64], passtext[64], wifi_qr[320], matter_qr[32], matter_code[32];
};

/* The widest character a passphrase of the alphabet can have in the mono font: 'W' for the
 * plain one (the password's), and for the printable one (0x21..0x7E) the widest the font has
 * (a monospace font gives all the same width; a font that does not is measured). */
static char
widest_pass_char(const struct profile *p, struct label_kit *k)
{
	char c, s[2] = { 0, 0 }, best = 'W';
	int w, bw = -1;

	if (p->wifi.alphabet != WIFI_ALPHA_PRINTABLE)
		return 'W';
	for (c = 0x21; c <= 0x7E; c++) {
		s[0] = c;
		if ((w = label_png_text_width(k->fonts, 1, 100, s)) > bw) {
			bw = w;
			best = c;
		}
	}
	return best;
}

/* w gets them and v points at them (the credentials of undeclared sections NULL). */
static void
worst_values(const struct profile *p, struct label_kit *k, struct worst *w,
    struct label_values *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	/* The widest: every digit an 8, every password character a W (the mono font gives all
	 * the same width; the regular one is not used for passwords). */
	snprintf(w->serial, sizeof(w->serial), "%s", p->serial_prefix);
	for (i = strlen(w->serial); i < strlen(p->serial_prefix) + p->serial_digits && i < CAP_SERIAL;
	    i++)
		w->serial[i] = '8';
	w->serial[i] = '\0';
	memset(w->password, 'W', p->pw_length);
	w->password[p->pw_length] = '\0';
	v->product = p->cert.product;
	v->model = p->model;
	v->serial = w->serial;
	v->password = w->password;
	if (p->wifi.enabled) {
		snprintf(w->ssid, sizeof(w->ssid), "%.24s%.*s", p->wifi.ssid_prefix,
		    (int)(p->wifi.ssid_suffix < 8 ? p->wifi.ssid_suffix : 8), "WWWWWWWW");
		/* The longest payload, made as a board's is (cred-wifi.h): the prefix escaped as it
		 * will be, and with the printable alphabet every passphrase character one that
		 * needs escaping (";"). */
		i = p->wifi.length < sizeof(w->pass) ? p->wifi.length : sizeof(w->pass) - 1;
		memset(w->pass, p->wifi.alphabet == WIFI_ALPHA_PRINTABLE ? ';' : 'W', i);
		w->pass[i] = '\0';
		if (wifi_qr_payload(w->ssid, w->pass, p->wifi.security, w->wifi_qr,
		        sizeof(w->wifi_qr)) != 0)
			w->wifi_qr[0] = '\0'; /* cannot happen: the buffer holds the longest */
		v->wifi_ssid = w->ssid;
		v->wifi_qr = w->wifi_qr;
		/* the passphrase as text: as long, every character the widest */
		memset(w->passtext, widest_pass_char(p, k), i);
		w->passtext[i] = '\0';
		v->wifi_passphrase = w->passtext;
	}
	if (p->matter.enabled) {
		/* the QR payload is always "MT:" and 19 base-38 characters; the manual code has
		 * 21 digits (vendor and product ID in it) with the custom commissioning flow */
		snprintf(w->matter_qr, sizeof(w->matter_qr), "MT:%s", "YYYYYYYYYYYYYYYYYYY");
		snprintf(w->matter_code, sizeof(w->matter_code), "%.*s", p->matter.flow == 2 ? 21 : 11,
		    "888888888888888888888");
		v->matter_qr = w->matter_qr;
		v->matter_code = w->matter_code;
	}
}

int
label_check(const struct profile *p, struct label_kit *k, char *err, size_t cap)
{
	struct worst wv;
	char why[CAP_REASON], *zpl = NULL;
	struct label_values v;
	struct label_layout *l = NULL;
	const struct label_item *it;
	const char *bad;
	uint8_t *png = NULL;
	size_t zlen = 0, plen = 0;
	unsigned i;
	int line = 0, w, r = -1;

	memset(&wv, 0, sizeof(wv));
	worst_values(p, k, &wv, &v);
	if (label_layout_build(&p->label, &v, &l, &line, why, sizeof(why)) != 0) {
		where(err, cap, p->path, line, why);
		return -1;
	}
	for (i = 0; i < l->nitem; i++) {
		it = &l->item[i];
		/* a value the profile checks elsewhere may bring them ([wifi] ssid_prefix); the
		 * passphrase, of any printable character, is hex-escaped in the ZPL (label-zpl.h) */
		if ((p->label.formats & LABEL_FMT_ZPL) && it->kind != LABEL_F_WIFI_PASSPHRASE &&
		    (bad = strpbrk(it->text, "^~")) != NULL) {
			snprintf(why, sizeof(why), "the %s text would hold '%c', a ZPL command character "
			    "the label cannot print (from [wifi] ssid_prefix?); remove it there or drop "
			    "the field", profile_label_kind(it->kind), *bad);
			where(err, cap, p->path, it->line, why);
			goto out;
		}
		if (LABEL_F_IS_QR(it->kind)) {
			if (it->text[0] == '\0')
				continue;
			if ((w = label_png_text_width(k->fonts, 0, it->csize, it->text)) < 0) {
				where(err, cap, p->path, it->line, "cannot measure a text with the PNG fonts");
				goto out;
			}
			if ((unsigned)w > it->side || it->y + it->side + it->csize > l->height) {
				snprintf(why, sizeof(why), "the caption '%s' under the %s code (%d dots wide, "
				    "%u dots high) does not fit %s; shorten it ('-' for none) or make the "
				    "field larger", it->text, profile_label_kind(it->kind), w, it->csize,
				    (unsigned)w > it->side ? "the code's width" : "above the label's bottom edge");
				where(err, cap, p->path, it->line, why);
				goto out;
			}
			continue;
		}
		if ((w = label_png_text_width(k->fonts, it->mono, it->size, it->text)) < 0) {
			where(err, cap, p->path, it->line, "cannot measure a text with the PNG fonts");
			goto out;
		}
		if (it->x + (unsigned)w > l->width) {
			snprintf(why, sizeof(why), "the %s text runs %u dots past the label's right edge "
			    "(%u dots at %u dpi) with a %s of %zu characters; make it smaller, move it "
			    "left or use a wider label", profile_label_kind(it->kind),
			    it->x + (unsigned)w - l->width, l->width, l->dpi,
			    it->kind == LABEL_F_PASSWORD ? "password" :
			    it->kind == LABEL_F_WIFI_PASSPHRASE ? "passphrase" : "value",
			    it->kind == LABEL_F_PASSWORD ? strlen(wv.password) :
			    it->kind == LABEL_F_WIFI_PASSPHRASE ? strlen(wv.passtext) : strlen(it->text));
			where(err, cap, p->path, it->line, why);
			goto out;
		}
	}
	/* and in every format drawn: each has a size cap (the ZPL's QR codes are dot by dot) */
	if (label_draw(p, k, &v, p->label.formats, &zpl, &zlen, &png, &plen, err, cap) != 0)
		goto out;
	r = 0;
out:
	if (zpl != NULL) {
		util_wipe(zpl, CAP_LABEL_ZPL);
		free(zpl);
	}
	free(png);
	label_layout_free(l);
	return r;
}

int
label_path(const char *dir, const char *serial, unsigned fmt, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s.%s", dir, serial, fmt == LABEL_FMT_PNG ? "png" : "zpl");

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
label_write_new(const char *path, const void *buf, size_t n)
{
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (util_write_all(fd, buf, n) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return errno = saved, -1;
}

/* The directory entry of a new file is durable only once the directory is synced. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
label_draw(const struct profile *p, struct label_kit *k, const struct label_values *v,
    unsigned formats, char **zpl, size_t *zlen, uint8_t **png, size_t *plen, char *why,
    size_t wcap)
{
	struct label_layout *l = NULL;
	char lwhy[CAP_REASON], *z = NULL;
	uint8_t *g = NULL;
	size_t zl = 0, gl = 0;
	int line = 0, r = -1;

	if (label_layout_build(&p->label, v, &l, &line, lwhy, sizeof(lwhy)) != 0) {
		where(why, wcap, p->path, line, lwhy);
		return -1;
	}
	if ((formats & LABEL_FMT_ZPL) && ((z = malloc(CAP_LABEL_ZPL)) == NULL ||
	        label_zpl(l, z, CAP_LABEL_ZPL, &zl) != 0)) {
		if (z != NULL && errno == ENOSPC)
			util_why(why, wcap, "the ZPL label would be larger than %ld KiB (each QR code is "
			    "sent dot by dot); make the QR fields smaller or lower dpi",
			    (long)CAP_LABEL_ZPL / 1024);
		else
			util_why(why, wcap, "cannot draw the ZPL label: %s", strerror(errno));
		goto out;
	}
	if ((formats & LABEL_FMT_PNG) && label_png(k->fonts, l, &g, &gl, lwhy, sizeof(lwhy)) != 0) {
		util_why(why, wcap, "cannot draw the PNG label: %s", lwhy);
		goto out;
	}
	*zpl = z;
	*zlen = zl;
	*png = g;
	*plen = gl;
	z = NULL; /* owned by the caller */
	g = NULL;
	r = 0;
out:
	if (z != NULL) {
		util_wipe(z, CAP_LABEL_ZPL);
		free(z);
	}
	label_layout_free(l);
	return r;
}

int
label_spool(const struct profile *p, struct label_kit *k, const struct label_values *v,
    char *path, size_t cap, char *preview, size_t pcap, char *why, size_t wcap)
{
	const struct label_profile *lp = &p->label;
	char zfile[CAP_PATH], pfile[CAP_PATH], *zpl = NULL;
	uint8_t *png = NULL;
	size_t zlen = 0, plen = 0;
	int made_zpl = 0, r = -1;

	if (strpbrk(v->serial, "/^~") != NULL || v->serial[0] == '.' ||
	    label_path(p->label_dir, v->serial, LABEL_FMT_ZPL, zfile, sizeof(zfile)) != 0 ||
	    label_path(p->label_dir, v->serial, LABEL_FMT_PNG, pfile, sizeof(pfile)) != 0) {
		util_why(why, wcap, "the serial '%s' cannot name a label file", v->serial);
		return -1;
	}
	if (label_draw(p, k, v, lp->formats, &zpl, &zlen, &png, &plen, why, wcap) != 0)
		return -1;
	if (zpl != NULL) {
		if (label_write_new(zfile, zpl, zlen) != 0) {
			util_why(why, wcap, "cannot create the label %s: %s", zfile, strerror(errno));
			goto out;
		}
		made_zpl = 1;
	}
	if (png != NULL && label_write_new(pfile, png, plen) != 0) {
		util_why(why, wcap, "cannot create the label %s: %s", pfile, strerror(errno));
		goto out;
	}
	sync_dir(p->label_dir);
	snprintf(path, cap, "%s", lp->send == LABEL_FMT_PNG ? pfile : zfile);
	snprintf(preview, pcap, "%s", (lp->formats & LABEL_FMT_PNG) ? pfile : "");
	r = 0;
out:
	if (r != 0 && made_zpl)
		unlink(zfile);
	if (zpl != NULL) {
		util_wipe(zpl, CAP_LABEL_ZPL);
		free(zpl);
	}
	if (png != NULL) {
		util_wipe(png, plen);
		free(png);
	}
	return r;
}

int
label_unspool(const char *dir, const char *serial)
{
	static const unsigned fmts[] = { LABEL_FMT_ZPL, LABEL_FMT_PNG };
	char path[CAP_PATH];
	size_t i;
	int r = 0, saved = 0;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if (label_path(dir, serial, fmts[i], path, sizeof(path)) != 0)
			return errno = ENAMETOOLONG, -1;
		if (unlink(path) != 0 && errno != ENOENT) {
			saved = errno;
			r = -1;
		}
	}
	if (r == 0)
		sync_dir(dir);
	return r == 0 ? 0 : (errno = saved, -1);
}
