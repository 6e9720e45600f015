/* label-zpl.c: ZPL II labels; see label-zpl.h. */
#include "label-zpl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct zbuf {
	char *p;
	size_t cap, n;
	int err;
};

static void zput(struct zbuf *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
zput(struct zbuf *z, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (z->err)
		return;
	va_start(ap, fmt);
	k = vsnprintf(z->p + z->n, z->cap - z->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= z->cap - z->n) {
		z->err = ENOSPC;
		return;
	}
	z->n += (size_t)k;
}

/* A text field's data: "^FD" and the text, or for the Wi-Fi passphrase (any of 0x21..0x7E)
 * "^FH_^FD" and the text with '^', '~' (ZPL's command prefixes), '\' and '_' (the ^FH
 * indicator) written as _5E, _7E, _5C, _5F, which the printer prints as those characters. */
static void
zdata(struct zbuf *z, const struct label_item *it)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *s;

	if (it->kind != LABEL_F_WIFI_PASSPHRASE) {
		zput(z, "^FD%s", it->text);
		return;
	}
	zput(z, "^FH_^FD");
	for (s = it->text; *s != '\0' && !z->err; s++) {
		if (z->cap - z->n < 4) {
			z->err = ENOSPC;
			return;
		}
		if (*s == '^' || *s == '~' || *s == '\\' || *s == '_') {
			z->p[z->n++] = '_';
			z->p[z->n++] = hex[(unsigned char)*s >> 4];
			z->p[z->n++] = hex[*s & 15];
		} else
			z->p[z->n++] = *s;
	}
	if (!z->err)
		z->p[z->n] = '\0';
}

/* A QR code as ^GFA: one bit a dot, rows padded to whole bytes, in hex; its caption under it,
 * centred on the code with its quiet zone (^FB of that width, one line, C). */
static void
zqr(struct zbuf *z, const struct label_layout *l, const struct label_item *it)
{
	static const char hex[] = "0123456789ABCDEF";
	const struct label_qr *q = &l->code[it->code].qr;
	unsigned side = q->modules * it->module, row = (side + 7) / 8, x, y, b;
	uint8_t byte;

	zput(z, "^FO%u,%u^GFA,%u,%u,%u,", it->x + 4 * it->module, it->y + 4 * it->module,
	    row * side, row * side, row);
	for (y = 0; y < side && !z->err; y++) {
		if (z->cap - z->n < 2 * (size_t)row + 1) {
			z->err = ENOSPC;
			return;
		}
		for (b = 0; b < row; b++) {
			byte = 0;
			for (x = b * 8; x < b * 8 + 8; x++)
				if (x < side && q->dark[(y / it->module) * q->modules + x / it->module])
					byte |= (uint8_t)(0x80 >> (x % 8));
			z->p[z->n++] = hex[byte >> 4];
			z->p[z->n++] = hex[byte & 15];
		}
	}
	if (!z->err)
		z->p[z->n] = '\0';
	zput(z, "^FS\n");
	if (it->text[0] != '\0')
		zput(z, "^FO%u,%u^A0N,%u,%u^FB%u,1,0,C^FD%s^FS\n", it->x, it->y + it->side, it->csize,
		    it->csize, it->side, it->text);
}

int
label_zpl(const struct label_layout *l, char *buf, size_t cap, size_t *len)
{
	struct zbuf z = { buf, cap < CAP_LABEL_ZPL ? cap : CAP_LABEL_ZPL, 0, 0 };
	const struct label_item *it;
	unsigned i;

	if (z.cap == 0)
		return errno = ENOSPC, -1;
	for (i = 0; i < l->nitem; i++)
		if (l->item[i].kind != LABEL_F_WIFI_PASSPHRASE && strpbrk(l->item[i].text, "^~") != NULL)
			return errno = EINVAL, -1;
	/* ^CI28: UTF-8 (the texts are ASCII); ^PW/^LL: the label's size; ^LH0,0: no offset. */
	zput(&z, "^XA\n^CI28\n^PW%u\n^LL%u\n^LH0,0\n", l->width, l->height);
	for (i = 0; i < l->nitem; i++) {
		it = &l->item[i];
		if (LABEL_F_IS_QR(it->kind)) {
			if (it->code >= l->ncode)
				return errno = EINVAL, -1;
			zqr(&z, l, it);
			continue;
		}
		/* OCR-B (font E) is a bitmap font: the printer rounds to a whole multiple of its
		 * 28 x 15 dot cell (8 dots/mm); ^A0 scales freely. */
		if (it->mono)
			zput(&z, "^FO%u,%u^AEN,%u,%u", it->x, it->y, it->size, it->size * 15 / 28);
		else
			zput(&z, "^FO%u,%u^A0N,%u,%u", it->x, it->y, it->size, it->size);
		zdata(&z, it);
		zput(&z, "^FS\n");
	}
	zput(&z, "^PQ1\n^XZ\n");
	if (z.err)
		return errno = z.err, -1;
	*len = z.n;
	return 0;
}
