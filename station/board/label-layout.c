/* label-layout.c: a label placed in dots; see label-layout.h. */
#include "label-layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

unsigned
label_dots(unsigned tenths_mm, unsigned dpi)
{
	return (unsigned)(((unsigned long)tenths_mm * dpi + 127) / 254);
}

int
label_qr_payload(const struct label_profile *lp, const struct label_values *v, char *out,
    size_t cap, size_t *len)
{
	const char *q = lp->qr_content, *end, *val;
	size_t n = 0, k;

	while (*q != '\0') {
		if (*q != '{') {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *q++;
			continue;
		}
		/* the profile checked the braces and the names (profile-label.c) */
		if ((end = strchr(q, '}')) == NULL)
			return -1;
		k = (size_t)(end - q - 1);
		val = k == 6 && memcmp(q + 1, "serial", 6) == 0 ? v->serial :
		    k == 8 && memcmp(q + 1, "password", 8) == 0 ? v->password :
		    k == 5 && memcmp(q + 1, "model", 5) == 0 ? v->model :
		    k == 7 && memcmp(q + 1, "product", 7) == 0 ? v->product : NULL;
		if (val == NULL || n + strlen(val) >= cap)
			return -1;
		memcpy(out + n, val, strlen(val));
		n += strlen(val);
		q = end + 1;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

int
label_matter_code(const char *digits, char *out, size_t cap)
{
	static const unsigned g11[] = { 4, 3, 4 }, g21[] = { 4, 3, 4, 5, 5 };
	size_t n = strnlen(digits, 22), ng = n == 11 ? 3 : 5, i, k, o = 0, d = 0;
	const unsigned *g = n == 11 ? g11 : g21;

	if ((n != 11 && n != 21) || strspn(digits, "0123456789") != n || cap < n + ng)
		return -1;
	for (i = 0; i < ng; i++) {
		if (i > 0)
			out[o++] = '-';
		for (k = 0; k < g[i]; k++)
			out[o++] = digits[d++];
	}
	out[o] = '\0';
	return 0;
}

static const char *
value_of(const struct label_profile *lp, const struct label_values *v, unsigned kind)
{
	switch (kind) {
	case LABEL_F_PRODUCT: return v->product;
	case LABEL_F_MODEL: return v->model;
	case LABEL_F_SERIAL: return v->serial;
	case LABEL_F_PASSWORD: return v->password;
	case LABEL_F_SUPPORT: return lp->support_end;
	case LABEL_F_REPORT: return lp->report_url;
	case LABEL_F_WIFI_SSID: return v->wifi_ssid;
	case LABEL_F_WIFI_PASSPHRASE: return v->wifi_passphrase;
	case LABEL_F_WIFI_QR: return v->wifi_qr;
	case LABEL_F_MATTER_QR: return v->matter_qr;
	case LABEL_F_MATTER_CODE: return v->matter_code;
	default: return "";
	}
}

/* Encodes f's QR code into l->code[l->ncode] and places it in it. 0, or -1 with why. */
static int
place_qr(const struct label_profile *lp, const struct label_values *v,
    const struct label_field *f, struct label_layout *l, struct label_item *it, unsigned min_module,
    char *why, size_t cap)
{
	struct label_code *c;
	const char *src;
	unsigned need;

	if (l->ncode >= CAP_LABEL_CODES) {
		util_why(why, cap, "more than %d QR codes on one label", CAP_LABEL_CODES);
		return -1;
	}
	c = &l->code[l->ncode];
	if (f->kind == LABEL_F_QR) {
		if (label_qr_payload(lp, v, c->payload, sizeof(c->payload), &c->len) != 0 ||
		    label_qr_encode(c->payload, c->len, &c->qr) != 0) {
			util_why(why, cap, "the QR code content is too long (%zu bytes); shorten "
			    "[label] qr_content", c->len);
			return -1;
		}
	} else {
		if ((src = value_of(lp, v, f->kind)) == NULL) {
			util_why(why, cap, "the %s field shows a credential this board does not have (the "
			    "product declares no [%s])", profile_label_kind(f->kind),
			    f->kind == LABEL_F_WIFI_QR ? "wifi" : "matter");
			return -1;
		}
		c->len = strnlen(src, sizeof(c->payload));
		if (c->len == 0 || c->len >= sizeof(c->payload) ||
		    label_qr_encode(src, c->len, &c->qr) != 0) {
			util_why(why, cap, "the %s content (%zu bytes) cannot be a QR code",
			    profile_label_kind(f->kind), c->len);
			return -1;
		}
		memcpy(c->payload, src, c->len);
		c->payload[c->len] = '\0';
	}
	it->code = l->ncode++;
	it->module = it->size / (c->qr.modules + 8);
	if (it->module < min_module) {
		need = (min_module * (c->qr.modules + 8) * 254 + lp->dpi - 1) / lp->dpi;
		util_why(why, cap, "the %sQR code has %u modules (%u with its quiet zone): in %u.%u mm "
		    "at %u dpi a module is %u dots, under %u dots (0.25 mm); make the %s field at least "
		    "%u.%u mm%s", f->kind == LABEL_F_WIFI_QR ? "Wi-Fi " : f->kind == LABEL_F_MATTER_QR ?
		    "Matter " : "", c->qr.modules, c->qr.modules + 8,
		    f->size / 10, f->size % 10, lp->dpi, it->module, min_module,
		    profile_label_kind(f->kind), need / 10, need % 10, f->kind == LABEL_F_QR ?
		    " or shorten qr_content" : f->kind == LABEL_F_WIFI_QR ? " or shorten [wifi] "
		    "ssid_prefix or length" : "");
		return -1;
	}
	it->side = (c->qr.modules + 8) * it->module;
	snprintf(it->text, sizeof(it->text), "%s", f->caption);
	it->csize = f->caption[0] ? label_dots(LABEL_QR_CAPTION, lp->dpi) : 0;
	return 0;
}

int
label_layout_build(const struct label_profile *lp, const struct label_values *v,
    struct label_layout **out, int *line, char *why, size_t cap)
{
	struct label_layout *l;
	struct label_item *it;
	const struct label_field *f;
	const char *val;
	char code[32];
	unsigned i, min_module;

	*line = 0;
	int r = -1;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		util_why(why, cap, "out of memory");
		return -1;
	}
	l->dpi = lp->dpi;
	l->width = label_dots(lp->width, lp->dpi);
	l->height = label_dots(lp->height, lp->dpi);
	/* 0.25 mm, and never under 2 dots: smaller modules do not scan reliably. */
	min_module = (lp->dpi * 25 + 2539) / 2540;
	if (min_module < 2)
		min_module = 2;
	for (i = 0; i < lp->nfield && i < CAP_LABEL_FIELDS; i++) {
		f = &lp->field[i];
		it = &l->item[l->nitem++];
		it->kind = f->kind;
		it->x = label_dots(f->x, lp->dpi);
		it->y = label_dots(f->y, lp->dpi);
		it->size = label_dots(f->size, lp->dpi);
		it->line = f->line;
		it->mono = f->kind == LABEL_F_SERIAL || f->kind == LABEL_F_PASSWORD ||
		    f->kind == LABEL_F_WIFI_SSID || f->kind == LABEL_F_WIFI_PASSPHRASE ||
		    f->kind == LABEL_F_MATTER_CODE;
		*line = f->line;
		if (LABEL_F_IS_QR(f->kind)) {
			if (place_qr(lp, v, f, l, it, min_module, why, cap) != 0)
				goto out;
			continue;
		}
		if ((val = value_of(lp, v, f->kind)) == NULL) {
			util_why(why, cap, "the %s field shows a credential this board does not have (the "
			    "product declares no [%s])", profile_label_kind(f->kind),
			    f->kind == LABEL_F_WIFI_SSID || f->kind == LABEL_F_WIFI_PASSPHRASE ? "wifi" :
			    "matter");
			goto out;
		}
		if (f->kind == LABEL_F_MATTER_CODE) {
			if (label_matter_code(val, code, sizeof(code)) != 0) {
				util_why(why, cap, "the board's Matter manual code is not 11 or 21 digits");
				goto out;
			}
			val = code;
		}
		if (snprintf(it->text, sizeof(it->text), "%s%s%s", f->caption, f->caption[0] ? " " : "",
		        val) >= (int)sizeof(it->text)) {
			util_why(why, cap, "the %s field's text is too long for a label",
			    profile_label_kind(f->kind));
			goto out;
		}
	}
	*line = 0;
	*out = l;
	l = NULL; /* owned by the caller */
	r = 0;
out:
	util_wipe(code, sizeof(code)); /* a setup code */
	label_layout_free(l);
	return r;
}

void
label_layout_free(struct label_layout *l)
{
	if (l == NULL)
		return;
	util_wipe(l, sizeof(*l));
	free(l);
}
