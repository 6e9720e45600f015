/*
 * profile-label.c: the [label] section of the profile (profile.h struct label_profile): the
 * label's size and resolution, where each field goes, the QR code's content, what UK PSTI asks
 * the buyer to be told, the onboarding credentials of a product that declares [wifi] or [matter]
 * (issue #16), and where labels are printed. Everything is checked here, at load, with
 * the line of the key at fault; what only drawing can tell (a QR code too small for its content,
 * a text running off the label) is checked by label_check (station/board/label-layout.h)
 * before the first board, at the field's line.
 */
#include "profile-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kind_names[LABEL_F_COUNT] = {
	"product", "model", "serial", "password", "qr", "support", "report",
	"wifi_ssid", "wifi_qr", "matter_qr", "matter_code", "wifi_passphrase"
};
#define KIND_LIST "product, model, serial, password, qr, support, report, wifi_ssid, wifi_qr, " \
	"matter_qr, matter_code, wifi_passphrase"

const char *
profile_label_kind(unsigned kind)
{
	return kind < LABEL_F_COUNT ? kind_names[kind] : "?";
}

/* What a text field prints before its value (a QR code under it) when the profile gives no
 * caption: words for the buyer. */
static const char *const default_caption[LABEL_F_COUNT] = {
	"", "Model", "S/N", "Password", "", "Security updates until", "Report vulnerabilities:",
	"Wi-Fi", "Wi-Fi", "Matter", "Setup code", "Wi-Fi key"
};

/* The layout used when [label] has no 'field' line: a 60 x 30 mm label (fields in tenths of a
 * millimetre: kind, x, y, size). support and report only when their values are given. */
static const unsigned default_layout[][4] = {
	{ LABEL_F_PRODUCT, 20, 15, 30 },
	{ LABEL_F_MODEL, 20, 50, 24 },
	{ LABEL_F_SERIAL, 20, 85, 28 },
	{ LABEL_F_PASSWORD, 20, 125, 30 },
	{ LABEL_F_QR, 410, 15, 180 },
	{ LABEL_F_SUPPORT, 20, 205, 20 },
	{ LABEL_F_REPORT, 20, 245, 18 },
};

/* A product with [wifi] or [matter] gets a band under that layout: its QR codes, side by side,
 * each 22 mm (a Wi-Fi code of the longest SSID and a 63-character passphrase, every character
 * escaped, is version 10: 65 modules with the quiet zone, 2 dots each even at 152 dpi), the
 * caption under each, and the Matter setup code (21 digits fit the 60 mm width). The label
 * grows to hold it unless width_mm / height_mm say otherwise. */
#define BAND_Y 285
#define BAND_QR 220
#define BAND_CODE_Y (BAND_Y + BAND_QR + LABEL_QR_CAPTION + 10)
#define BAND_CODE_SIZE 24
#define DEFAULT_W 600
#define DEFAULT_H 300
#define DEFAULT_H_WIFI (BAND_Y + BAND_QR + LABEL_QR_CAPTION + 21)
#define DEFAULT_H_MATTER (BAND_CODE_Y + BAND_CODE_SIZE + 17)

#define DEFAULT_QR "WIFI:T:WPA;S:{serial};P:{password};;"
#define DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define DEFAULT_MONO "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

void
profile_label_defaults(struct label_profile *l)
{
	memset(l, 0, sizeof(*l));
	l->width = 600;
	l->height = 300;
	l->dpi = 203;
	l->formats = LABEL_FMT_ZPL | LABEL_FMT_PNG;
	l->send = LABEL_FMT_ZPL;
	snprintf(l->qr_content, sizeof(l->qr_content), "%s", DEFAULT_QR);
	snprintf(l->font, sizeof(l->font), "%s", DEFAULT_FONT);
	snprintf(l->mono_font, sizeof(l->mono_font), "%s", DEFAULT_MONO);
	l->output = LABEL_OUT_DIR;
	l->status = LABEL_STATUS_NONE;
	l->timeout = 5000;
}

/* Millimetres with at most one decimal ("12", "12.5") -> tenths in min..max. */
static int
parse_mm(const char *v, unsigned min, unsigned max, unsigned *out)
{
	unsigned long whole = 0, tenth = 0;
	const char *q = v;
	size_t n = 0;

	while (*q >= '0' && *q <= '9' && n < 6) {
		whole = whole * 10 + (unsigned long)(*q++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	if (*q == '.') {
		q++;
		if (*q < '0' || *q > '9')
			return -1;
		tenth = (unsigned long)(*q++ - '0');
	}
	if (*q != '\0' || whole * 10 + tenth < min || whole * 10 + tenth > max)
		return -1;
	*out = (unsigned)(whole * 10 + tenth);
	return 0;
}

static int
set_mm(struct pctx *c, unsigned *dst, const char *v, unsigned min, unsigned max, const char *key)
{
	if (parse_mm(v, min, max, dst) != 0) {
		snprintf(c->err, sizeof(c->err), "'%s' must be millimetres from %u.%u to %u.%u with at "
		    "most one decimal (e.g. 50 or 12.5), not '%.32s'", key, min / 10, min % 10, max / 10,
		    max % 10, v);
		return 0;
	}
	return 1;
}

/* Printable ASCII that ZPL prints as it is: no '^' or '~' (ZPL commands) nor '\'. */
static int
zpl_text(const char *v)
{
	const unsigned char *q;

	for (q = (const unsigned char *)v; *q != '\0'; q++)
		if (*q < 0x20 || *q > 0x7e || *q == '^' || *q == '~' || *q == '\\')
			return 0;
	return 1;
}

static int
find_kind(const char *name, size_t n)
{
	int k;

	for (k = 0; k < LABEL_F_COUNT; k++)
		if (strlen(kind_names[k]) == n && memcmp(kind_names[k], name, n) == 0)
			return k;
	return -1;
}

/* "KIND X Y SIZE [CAPTION]" (millimetres). */
static int
add_field(struct pctx *c, const char *v)
{
	struct label_profile *l = &c->p->label;
	struct label_field f;
	char word[4][16];
	const char *q = v, *start;
	size_t n, i;
	unsigned k;
	int kind, qr;
	char key[32];

	if (l->nfield >= CAP_LABEL_FIELDS) {
		snprintf(c->err, sizeof(c->err), "too many 'field' lines (max %d)", CAP_LABEL_FIELDS);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	for (i = 0; i < 4; i++) {
		while (*q == ' ' || *q == '\t')
			q++;
		start = q;
		while (*q != '\0' && *q != ' ' && *q != '\t')
			q++;
		n = (size_t)(q - start);
		if (n == 0 || n >= sizeof(word[i])) {
			snprintf(c->err, sizeof(c->err), "'field' must read 'KIND X Y SIZE [CAPTION]' "
			    "(millimetres; KIND one of " KIND_LIST "), not '%.48s'", v);
			return 0;
		}
		memcpy(word[i], start, n);
		word[i][n] = '\0';
	}
	while (*q == ' ' || *q == '\t')
		q++;
	if ((kind = find_kind(word[0], strlen(word[0]))) < 0) {
		snprintf(c->err, sizeof(c->err), "unknown label field '%s' (known: " KIND_LIST ")",
		    word[0]);
		return 0;
	}
	for (k = 0; k < l->nfield; k++)
		if (l->field[k].kind == (unsigned)kind) {
			snprintf(c->err, sizeof(c->err), "the label has a '%s' field already (line %d)",
			    word[0], l->field[k].line);
			return 0;
		}
	f.kind = (unsigned)kind;
	qr = LABEL_F_IS_QR(f.kind);
	snprintf(key, sizeof(key), "%s field SIZE", kind_names[kind]);
	if (!set_mm(c, &f.x, word[1], 0, CAP_LABEL_MM, "field X") ||
	    !set_mm(c, &f.y, word[2], 0, CAP_LABEL_MM, "field Y") ||
	    !set_mm(c, &f.size, word[3], qr ? 50 : 10, qr ? 1000 : 300, qr ? key : "field SIZE"))
		return 0;
	if (kind == LABEL_F_QR && *q != '\0') {
		snprintf(c->err, sizeof(c->err), "the qr field takes no caption");
		return 0;
	}
	if (*q == '\0')
		snprintf(f.caption, sizeof(f.caption), "%s", default_caption[kind]);
	else if (strcmp(q, "-") == 0)
		f.caption[0] = '\0';
	else if (strlen(q) >= sizeof(f.caption) || !zpl_text(q)) {
		snprintf(c->err, sizeof(c->err), "a field caption is printable text of at most %zu "
		    "characters without '^', '~' or '\\' ('-' for none), not '%.40s'",
		    sizeof(f.caption) - 1, q);
		return 0;
	} else
		snprintf(f.caption, sizeof(f.caption), "%s", q);
	f.line = c->lineno;
	l->field[l->nfield++] = f;
	return 1;
}

/* YYYY-MM-DD, a real date. */
static int
valid_date(const char *v)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d;
	int used = 0;

	if (strlen(v) != 10 || sscanf(v, "%4u-%2u-%2u%n", &y, &m, &d, &used) != 3 || used != 10 ||
	    v[4] != '-' || v[7] != '-' || strspn(v, "0123456789-") != 10)
		return 0;
	if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

static int
set_formats(struct pctx *c, const char *v, unsigned *dst, int list, const char *key)
{
	char buf[64], *tok, *save = NULL;
	unsigned mask = 0, n = 0;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save), n++) {
		if (strcmp(tok, "zpl") == 0)
			mask |= LABEL_FMT_ZPL;
		else if (strcmp(tok, "png") == 0)
			mask |= LABEL_FMT_PNG;
		else
			goto bad;
	}
	if (mask == 0 || (!list && n != 1))
		goto bad;
	*dst = mask;
	return 1;
bad:
	snprintf(c->err, sizeof(c->err), "'%s' must be %s, not '%.40s'", key, list ?
	    "zpl, png or both ('zpl, png')" : "zpl or png", v);
	return 0;
}

/* A host name or address: letters, digits, '.', '-', ':' inside [ ] for IPv6. */
static int
valid_host(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	if (h[0] == '[')
		return n > 2 && h[n - 1] == ']' && strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '.' || h[i] == '-'))
			return 0;
	return h[0] != '-' && h[0] != '.';
}

/* dir | tcp:HOST:PORT | cups:QUEUE | device:/PATH */
static int
set_output(struct pctx *c, const char *v)
{
	struct label_profile *l = &c->p->label;
	const char *colon;
	unsigned port = 0;
	char *end;
	unsigned long x;

	if (strcmp(v, "dir") == 0) {
		l->output = LABEL_OUT_DIR;
		l->printer[0] = '\0';
	} else if (strncmp(v, "tcp:", 4) == 0) {
		if ((colon = strrchr(v + 4, ':')) == NULL || !valid_host(v + 4, (size_t)(colon - v - 4)))
			goto bad;
		x = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || x < 1 || x > 65535)
			goto bad;
		port = (unsigned)x;
		l->output = LABEL_OUT_TCP;
		snprintf(l->printer, sizeof(l->printer), "%.*s", (int)(colon - v - 4), v + 4);
		l->port = port;
	} else if (strncmp(v, "cups:", 5) == 0) {
		/* CUPS printer names: printable, no space, '/', '#' or '\' (lpadmin(8)). */
		if (v[5] == '\0' || strlen(v + 5) > 127 || strspn(v + 5, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@") != strlen(v + 5))
			goto bad;
		l->output = LABEL_OUT_CUPS;
		snprintf(l->printer, sizeof(l->printer), "%s", v + 5);
	} else if (strncmp(v, "device:/", 8) == 0) {
		if (strlen(v + 7) >= sizeof(l->printer) || !zpl_text(v + 7) || strchr(v, ' ') != NULL)
			goto bad;
		l->output = LABEL_OUT_DEVICE;
		snprintf(l->printer, sizeof(l->printer), "%s", v + 7);
	} else
		goto bad;
	c->p->label.line_output = c->lineno;
	return 1;
bad:
	snprintf(c->err, sizeof(c->err), "'output' must be dir, tcp:HOST:PORT (a raw printer port, "
	    "9100 for Zebra), cups:QUEUE (a raw CUPS queue) or device:/PATH (e.g. /dev/usb/lp0), not "
	    "'%.64s'", v);
	return 0;
}

static int
set_font(struct pctx *c, char *dst, size_t cap, const char *v, const char *key)
{
	char tmp[CAP_PATH];
	struct stat st;

	if (!profile_set_path(c, tmp, sizeof(tmp), v, key))
		return 0;
	if (stat(tmp, &st) != 0 || !S_ISREG(st.st_mode) || access(tmp, R_OK) != 0) {
		snprintf(c->err, sizeof(c->err), "'%s': '%.128s' is not a readable font file (install "
		    "fonts-dejavu-core, or name a TrueType file)", key, tmp);
		return 0;
	}
	return profile_set_str(c, dst, cap, tmp, key);
}

int
profile_label_kv(struct pctx *c, const char *name, const char *v)
{
	static const char *const qr_vars[] = { "serial", "password", "model", "product" };
	struct label_profile *l = &c->p->label;
	unsigned long x;

	if (strcmp(name, "width_mm") == 0) {
		c->l_width = c->lineno;
		return set_mm(c, &l->width, v, 100, CAP_LABEL_MM, name);
	}
	if (strcmp(name, "height_mm") == 0) {
		c->l_height = c->lineno;
		return set_mm(c, &l->height, v, 100, CAP_LABEL_MM, name);
	}
	if (strcmp(name, "dpi") == 0) {
		x = strtoul(v, NULL, 10);
		if (strspn(v, "0123456789") != strlen(v) || (x != 152 && x != 203 && x != 300 &&
		    x != 600)) {
			snprintf(c->err, sizeof(c->err), "'dpi' must be the printer's resolution: 152, "
			    "203, 300 or 600 (dots per inch), not '%.16s'", v);
			return 0;
		}
		l->dpi = (unsigned)x;
		return 1;
	}
	if (strcmp(name, "formats") == 0) {
		c->l_formats = c->lineno;
		return set_formats(c, v, &l->formats, 1, name);
	}
	if (strcmp(name, "send") == 0) {
		c->l_send = c->lineno;
		return set_formats(c, v, &l->send, 0, name);
	}
	if (strcmp(name, "field") == 0)
		return add_field(c, v);
	if (strcmp(name, "qr_content") == 0) {
		c->l_qr_content = c->lineno;
		if (!profile_check_template(c, v, name, qr_vars, sizeof(qr_vars) / sizeof(qr_vars[0])))
			return 0;
		if (strstr(v, "{serial}") == NULL || strstr(v, "{password}") == NULL) {
			snprintf(c->err, sizeof(c->err), "'qr_content' must hold {serial} and {password} "
			    "(the QR code is how a phone or the device's setup reads them)");
			return 0;
		}
		return profile_set_str(c, l->qr_content, sizeof(l->qr_content), v, name);
	}
	if (strcmp(name, "support_end") == 0) {
		if (!valid_date(v)) {
			snprintf(c->err, sizeof(c->err), "'support_end' must be the last day of security "
			    "updates as YYYY-MM-DD (UK PSTI), not '%.32s'", v);
			return 0;
		}
		return profile_set_str(c, l->support_end, sizeof(l->support_end), v, name);
	}
	if (strcmp(name, "report_url") == 0) {
		if (strlen(v) < 4 || strlen(v) >= sizeof(l->report_url) || !zpl_text(v) ||
		    strchr(v, ' ') != NULL) {
			snprintf(c->err, sizeof(c->err), "'report_url' must be where to report "
			    "vulnerabilities (a URL or address of 4 to %zu printable characters, no "
			    "spaces, '^', '~' or '\\'), not '%.40s'", sizeof(l->report_url) - 1, v);
			return 0;
		}
		return profile_set_str(c, l->report_url, sizeof(l->report_url), v, name);
	}
	if (strcmp(name, "font") == 0)
		return set_font(c, l->font, sizeof(l->font), v, name);
	if (strcmp(name, "mono_font") == 0)
		return set_font(c, l->mono_font, sizeof(l->mono_font), v, name);
	if (strcmp(name, "output") == 0)
		return set_output(c, v);
	if (strcmp(name, "status") == 0) {
		c->l_status = c->lineno;
		if (strcmp(v, "none") == 0 || strcmp(v, "zebra") == 0) {
			l->status = v[0] == 'z' ? LABEL_STATUS_ZEBRA : LABEL_STATUS_NONE;
			return 1;
		}
		snprintf(c->err, sizeof(c->err), "'status' must be none or zebra (~HS status query), not "
		    "'%.32s'", v);
		return 0;
	}
	if (strcmp(name, "timeout") == 0)
		return profile_set_u(c, &l->timeout, v, 100, 60000, name);
	return -1;
}

/* Appends one field of the default layout, with its default caption. */
static void
add_default(struct label_profile *l, unsigned kind, unsigned x, unsigned y, unsigned size)
{
	struct label_field *f = &l->field[l->nfield++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->x = x;
	f->y = y;
	f->size = size;
	snprintf(f->caption, sizeof(f->caption), "%s", default_caption[kind]);
}

/* The default layout into l (empty): default_layout, and the band of the declared credentials
 * under it; *w x *h the label it needs (tenths of a millimetre). */
static void
default_fields(struct pctx *c, unsigned *w, unsigned *h)
{
	struct label_profile *l = &c->p->label;
	int wifi = c->p->wifi.enabled, matter = c->p->matter.enabled;
	unsigned i, k;

	*w = DEFAULT_W;
	*h = DEFAULT_H;
	for (i = 0; i < sizeof(default_layout) / sizeof(default_layout[0]); i++) {
		k = default_layout[i][0];
		if ((k == LABEL_F_SUPPORT && l->support_end[0] == '\0') ||
		    (k == LABEL_F_REPORT && l->report_url[0] == '\0'))
			continue;
		/* qr_content's default is a Wi-Fi network form as well (an access point named by the
		 * serial): beside the product's own Wi-Fi code it would offer a network that is not
		 * there. A qr_content the profile gives is kept. */
		if (k == LABEL_F_QR && wifi && c->l_qr_content == 0)
			continue;
		add_default(l, k, default_layout[i][1], default_layout[i][2], default_layout[i][3]);
	}
	if (wifi) {
		add_default(l, LABEL_F_WIFI_QR, 20, BAND_Y, BAND_QR);
		*h = DEFAULT_H_WIFI;
	}
	if (matter) {
		add_default(l, LABEL_F_MATTER_QR, wifi ? 40 + BAND_QR : 20, BAND_Y, BAND_QR);
		add_default(l, LABEL_F_MATTER_CODE, 20, BAND_CODE_Y, BAND_CODE_SIZE);
		*h = DEFAULT_H_MATTER;
	}
}

void
profile_label_finish(struct pctx *c)
{
	struct label_profile *l = &c->p->label;
	const struct profile *p = c->p;
	const struct label_field *f;
	char why[CAP_REASON];
	unsigned i, have = 0, right, bottom, need_w = 0, need_h = 0;
	int deflt = l->nfield == 0, too_small = 0, creds = p->wifi.enabled || p->matter.enabled;
	unsigned long wd, hd;

	if (deflt) {
		default_fields(c, &need_w, &need_h);
		/* a size the profile does not give grows to what the layout needs */
		if (c->l_width == 0 && l->width < need_w)
			l->width = need_w;
		if (c->l_height == 0 && l->height < need_h)
			l->height = need_h;
		if (l->width < need_w || l->height < need_h) {
			snprintf(why, sizeof(why), "[label] the default layout%s needs a label of %u x %u "
			    "mm (this one is %u.%u x %u.%u mm); give 'field' lines%s", creds ? " with the "
			    "credentials' codes" : "", need_w / 10, need_h / 10, l->width / 10,
			    l->width % 10, l->height / 10, l->height % 10, creds ? " or leave width_mm "
			    "and height_mm out (the label then grows to fit)" : "");
			profile_problem(c, l->width < need_w ? c->l_width : c->l_height, why);
			too_small = 1;
		}
	}
	wd = (unsigned long)l->width * l->dpi / 254;
	hd = (unsigned long)l->height * l->dpi / 254;
	if (wd * hd > (unsigned long)CAP_LABEL_PIXELS) {
		snprintf(why, sizeof(why), "[label] %lu x %lu dots is more than a label may have; make "
		    "it smaller or lower dpi", wd, hd);
		profile_problem(c, 0, why);
	}
	for (i = 0; i < l->nfield; i++) {
		f = &l->field[i];
		have |= 1u << f->kind;
		right = LABEL_F_IS_QR(f->kind) ? f->x + f->size : f->x;
		/* a QR code's caption goes under it */
		bottom = f->y + f->size + (LABEL_F_IS_QR(f->kind) && f->caption[0] ? LABEL_QR_CAPTION :
		    0);
		if ((right > l->width || bottom > l->height) && !too_small) {
			snprintf(why, sizeof(why), "the %s field%s runs off the label (%u.%u x %u.%u mm)",
			    kind_names[f->kind], LABEL_F_IS_QR(f->kind) && f->caption[0] ? ", with its "
			    "caption under the code," : "", l->width / 10, l->width % 10, l->height / 10,
			    l->height % 10);
			profile_problem(c, f->line, why);
		}
		if (f->kind == LABEL_F_SUPPORT && l->support_end[0] == '\0')
			profile_problem(c, f->line, "the support field needs [label] support_end");
		if (f->kind == LABEL_F_REPORT && l->report_url[0] == '\0')
			profile_problem(c, f->line, "the report field needs [label] report_url");
		if ((f->kind == LABEL_F_WIFI_SSID || f->kind == LABEL_F_WIFI_QR ||
		        f->kind == LABEL_F_WIFI_PASSPHRASE) && !p->wifi.enabled) {
			snprintf(why, sizeof(why), "the %s field shows the board's Wi-Fi credential, but "
			    "the product declares no [wifi]; add a [wifi] section or remove the field",
			    kind_names[f->kind]);
			profile_problem(c, f->line, why);
		}
		if ((f->kind == LABEL_F_MATTER_QR || f->kind == LABEL_F_MATTER_CODE) &&
		    !p->matter.enabled) {
			snprintf(why, sizeof(why), "the %s field shows the board's Matter setup code, but "
			    "the product declares no [matter]; add a [matter] section or remove the field",
			    kind_names[f->kind]);
			profile_problem(c, f->line, why);
		}
	}
	/* The label is the only place a board's credentials go (as its password): a declared
	 * credential the label does not show could never be used. */
	if (p->wifi.enabled && !(have & (1u << LABEL_F_WIFI_QR)))
		profile_problem(c, 0, "[label] the product declares [wifi] but the label has no wifi_qr "
		    "field, the only place its passphrase goes; add one, e.g. 'field = wifi_qr X Y 22' "
		    "(millimetres; wifi_ssid prints the network's name beside it)");
	if (p->matter.enabled && !(have & ((1u << LABEL_F_MATTER_QR) | (1u << LABEL_F_MATTER_CODE))))
		profile_problem(c, 0, "[label] the product declares [matter] but the label shows "
		    "neither its Matter QR code nor its setup code; add 'field = matter_qr X Y 22' and "
		    "'field = matter_code X Y 2.4' (millimetres; at least one of them)");
	if (!(have & (1u << LABEL_F_PASSWORD)) || !(have & (1u << LABEL_F_SERIAL))) {
		snprintf(why, sizeof(why), "[label] has no %s field: the label is the only place the "
		    "password goes, and its serial says which board it belongs to",
		    !(have & (1u << LABEL_F_PASSWORD)) ? "password" : "serial");
		profile_problem(c, 0, why);
	}
	if (!(l->formats & l->send)) {
		snprintf(why, sizeof(why), "[label] send = %s is not among the formats rendered "
		    "('formats')", l->send == LABEL_FMT_PNG ? "png" : "zpl");
		profile_problem(c, c->l_send ? c->l_send : c->l_formats, why);
	}
	if (l->status == LABEL_STATUS_ZEBRA && l->output != LABEL_OUT_TCP)
		profile_problem(c, c->l_status, "[label] status = zebra needs output = tcp:HOST:PORT "
		    "(the status query is answered on the printer's port)");
	if (l->send == LABEL_FMT_PNG && l->output == LABEL_OUT_TCP)
		profile_problem(c, c->l_send, "[label] a raw printer port takes ZPL: send = png needs "
		    "output = cups:QUEUE or device:/PATH");
}
