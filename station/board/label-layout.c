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
	default: return "";
	}
}

int
label_layout_build(const struct label_profile *lp, const struct label_values *v,
    struct label_layout **out, int *line, char *why, size_t cap)
{
	struct label_layout *l;
	struct label_item *it;
	const struct label_field *f;
	unsigned i, min_module, need;

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
		it->mono = f->kind == LABEL_F_SERIAL || f->kind == LABEL_F_PASSWORD;
		if (f->kind != LABEL_F_QR) {
			if (snprintf(it->text, sizeof(it->text), "%s%s%s", f->caption, f->caption[0] ?
			        " " : "", value_of(lp, v, f->kind)) >= (int)sizeof(it->text)) {
				util_why(why, cap, "the %s field's text is too long for a label",
				    f->caption);
				*line = f->line;
				goto out;
			}
			continue;
		}
		if (label_qr_payload(lp, v, l->qr_payload, sizeof(l->qr_payload), &l->qr_len) != 0 ||
		    label_qr_encode(l->qr_payload, l->qr_len, &l->qr) != 0) {
			util_why(why, cap, "the QR code content is too long (%zu bytes); shorten "
			    "[label] qr_content", l->qr_len);
			*line = f->line;
			goto out;
		}
		it->module = it->size / (l->qr.modules + 8);
		if (it->module < min_module) {
			need = (min_module * (l->qr.modules + 8) * 254 + lp->dpi - 1) / lp->dpi;
			util_why(why, cap, "the QR code has %u modules (%u with its quiet zone): in %u.%u "
			    "mm at %u dpi a module is %u dots, under %u dots (0.25 mm); make the qr field "
			    "at least %u.%u mm or shorten qr_content", l->qr.modules, l->qr.modules + 8,
			    f->size / 10, f->size % 10, lp->dpi, it->module, min_module, need / 10,
			    need % 10);
			*line = f->line;
			goto out;
		}
	}
	*out = l;
	l = NULL; /* owned by the caller */
	r = 0;
out:
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
