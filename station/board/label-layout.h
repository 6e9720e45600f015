/*
 * label-layout.h: one label, placed in printer dots from the profile's [label] section
 * (profile.h struct label_profile) and one board's values. The ZPL (label-zpl.h) and PNG
 * (label-png.h) renderers draw this, and only this, so the two never disagree.
 *
 * The QR code's content is [label] qr_content with {serial}, {password}, {model} and {product}
 * replaced (default "WIFI:T:WPA;S:{serial};P:{password};;", the Wi-Fi network form phone
 * cameras read; docs/scripting-guide.md "The label").
 * A layout holds the password: label_layout_free wipes it.
 */
#ifndef LABEL_LAYOUT_H
#define LABEL_LAYOUT_H

#include <stddef.h>

#include "caps.h"
#include "label-qr.h"
#include "profile.h"

/* One board's values (all printable ASCII, checked by the profile or the flow). */
struct label_values {
	const char *product, *model, *serial, *password;
};

struct label_item {
	unsigned kind;              /* enum label_field_kind */
	unsigned x, y;              /* dots from the top-left corner */
	unsigned size;              /* text: character height in dots; qr: the whole side */
	unsigned module;            /* qr: dots per module (the code starts 4 modules in) */
	int mono;                   /* serial, password: a font where 0/O and 1/l/I differ */
	char text[CAP_LABEL_TEXT + 48]; /* caption, a space, the value */
	int line;                   /* the profile line of the field (0: default layout) */
};

struct label_layout {
	unsigned width, height, dpi; /* dots, dots, dots per inch */
	struct label_item item[CAP_LABEL_FIELDS];
	unsigned nitem;
	char qr_payload[CAP_LABEL_QR + 1];
	size_t qr_len;
	struct label_qr qr;         /* valid when a qr item is present */
};

/* Tenths of a millimetre to dots at dpi (rounded to the nearest dot). */
unsigned label_dots(unsigned tenths_mm, unsigned dpi);

/* Expands [label] qr_content with v into out (cap bytes). 0, or -1 when it does not fit or a
 * value is missing. */
int label_qr_payload(const struct label_profile *lp, const struct label_values *v, char *out,
    size_t cap, size_t *len);

/* Builds *out (allocated; free with label_layout_free) from lp and v. 0, or -1 with why (for
 * the engineer) and *line (the profile line of the field at fault, 0 for the default layout)
 * set: the QR content is too long, or its modules would be smaller than 2 dots or 0.25 mm; out
 * of memory (*line 0). */
int label_layout_build(const struct label_profile *lp, const struct label_values *v,
    struct label_layout **out, int *line, char *why, size_t cap);

/* Wipes (it holds the password) and frees; NULL is a no-op. */
void label_layout_free(struct label_layout *l);

#endif
