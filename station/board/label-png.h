/*
 * label-png.h: a label layout as a PNG image at the printer's resolution, with cairo: for
 * preview (make demo, station label sample) and for printers that take images. Texts are drawn
 * with FreeType from two TrueType files read once before the sandbox ([label] font and
 * mono_font; DejaVu Sans and DejaVu Sans Mono by default: in the mono font 0 is slashed and 1, l
 * and I differ); fontconfig is not used. The QR code is drawn module by module on whole dots,
 * as on the ZPL label.
 *
 * Thread-safe: drawing is serialised (one FreeType face per font is shared).
 */
#ifndef LABEL_PNG_H
#define LABEL_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "label-layout.h"

struct label_fonts;

/* Loads the two font files into memory and prepares them (call before the sandbox). 0 with
 * *out set, or -1 with why set (a file cannot be read, is over 16 MiB, or FreeType cannot
 * read it). */
int label_fonts_load(const char *regular, const char *mono, struct label_fonts **out, char *why,
    size_t cap);
/* NULL is a no-op. */
void label_fonts_free(struct label_fonts *f);

/* Width in dots of text drawn at size dots (mono: the mono font). -1 when it cannot be told. */
int label_png_text_width(struct label_fonts *f, int mono, unsigned size, const char *text);

/* Draws l and encodes it as PNG into a new buffer (*out, *len; free() it after wiping: it shows
 * the password). 0, or -1 with why set (cairo's status text; over CAP_LABEL_PNG bytes). */
int label_png(struct label_fonts *f, const struct label_layout *l, uint8_t **out, size_t *len,
    char *why, size_t cap);

#endif
