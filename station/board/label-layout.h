/*
 * label-layout.h: one label, placed in printer dots from the profile's [label] section
 * (profile.h struct label_profile) and one board's values. The ZPL (label-zpl.h) and PNG
 * (label-png.h) renderers draw this, and only this, so the two never disagree.
 *
 * The qr field's content is [label] qr_content with {serial}, {password}, {model} and {product}
 * replaced (default "WIFI:T:WPA;S:{serial};P:{password};;", the Wi-Fi network form phone
 * cameras read; docs/scripting-guide.md "The label"). A product with [wifi] / [matter] (issue
 * #16) has its board's own codes in wifi_qr and matter_qr fields, each a QR code of its own, and
 * matter_code prints the manual setup code grouped as buyers type it (4-3-4, 4-3-4-5-5).
 * A layout holds the password and the credentials: label_layout_free wipes it.
 */
#ifndef LABEL_LAYOUT_H
#define LABEL_LAYOUT_H

#include <stddef.h>

#include "caps.h"
#include "label-qr.h"
#include "profile.h"

/* One board's values (all printable ASCII, checked by the profile or the flow). The
 * credentials are NULL when the product does not declare their section; a field that shows one
 * then fails the layout (the profile refuses such a field at load). */
struct label_values {
	const char *product, *model, *serial, *password;
	const char *wifi_ssid;      /* NULL when the product has no [wifi] */
	const char *wifi_qr;        /* the WIFI: payload */
	const char *wifi_passphrase; /* as text (0x21..0x7E, '^', '~' and '\' among them: the ZPL
	                             * escapes them, label-zpl.h); NULL without [wifi] */
	const char *matter_qr;      /* "MT:..." ; NULL without [matter] */
	const char *matter_code;    /* 11 (or 21) digits, shown grouped 4-3-4 (4-3-4-5-5) */
};

/* One QR code of the label: its payload and its modules. */
struct label_code {
	char payload[CAP_LABEL_QR + 1];
	size_t len;
	struct label_qr qr;
};

struct label_item {
	unsigned kind;              /* enum label_field_kind */
	unsigned x, y;              /* dots from the top-left corner */
	unsigned size;              /* text: character height in dots; QR: the whole side */
	unsigned module;            /* QR: dots per module (the code starts 4 modules in) */
	unsigned code;              /* QR: its code, l->code[code] */
	unsigned side;              /* QR: the code drawn with its quiet zone, (modules + 8) * module
	                             * dots (<= size); the caption is centred under it */
	unsigned csize;             /* QR: the caption's character height in dots */
	int mono;                   /* serial, password, wifi_ssid, wifi_passphrase, matter_code: a
	                             * font where 0/O and 1/l/I differ */
	char text[CAP_LABEL_TEXT + 48]; /* caption, a space, the value; QR: the caption ("": none) */
	int line;                   /* the profile line of the field (0: default layout) */
};

struct label_layout {
	unsigned width, height, dpi; /* dots, dots, dots per inch */
	struct label_item item[CAP_LABEL_FIELDS];
	unsigned nitem;
	struct label_code code[CAP_LABEL_CODES]; /* one per QR item, in the items' order */
	unsigned ncode;
};

/* Tenths of a millimetre to dots at dpi (rounded to the nearest dot). */
unsigned label_dots(unsigned tenths_mm, unsigned dpi);

/* Expands [label] qr_content with v into out (cap bytes). 0, or -1 when it does not fit or a
 * value is missing. */
int label_qr_payload(const struct label_profile *lp, const struct label_values *v, char *out,
    size_t cap, size_t *len);

/* The manual setup code digits (11 or 21) grouped with '-' as buyers type it: 4-3-4
 * ("3497-011-2332") or 4-3-4-5-5. 0, or -1 when digits is not 11 or 21 digits or out (cap
 * bytes) is too small. */
int label_matter_code(const char *digits, char *out, size_t cap);

/* Builds *out (allocated; free with label_layout_free) from lp and v. 0, or -1 with why (for
 * the engineer) and *line (the profile line of the field at fault, 0 for the default layout)
 * set: a QR content is too long, or its modules would be smaller than 2 dots or 0.25 mm; a
 * field shows a credential v does not have (NULL) or a Matter code that is not 11 or 21 digits;
 * a text too long; out of memory (*line 0). */
int label_layout_build(const struct label_profile *lp, const struct label_values *v,
    struct label_layout **out, int *line, char *why, size_t cap);

/* Wipes (it holds the password and the credentials) and frees; NULL is a no-op. */
void label_layout_free(struct label_layout *l);

#endif
