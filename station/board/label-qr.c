/* label-qr.c: QR codes with libqrencode; see label-qr.h. */
#include "label-qr.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "caps.h"
#include "util.h"

int
label_qr_encode(const char *payload, size_t len, struct label_qr *q)
{
	QRcode *c;
	char buf[CAP_LABEL_QR + 1];
	int i, n, r = -1;

	if (len == 0 || len > CAP_LABEL_QR || memchr(payload, '\0', len) != NULL)
		return errno = EINVAL, -1;
	memcpy(buf, payload, len);
	buf[len] = '\0';
	/* 8-bit mode: the payload is encoded byte for byte, whatever its characters. */
	c = QRcode_encodeString8bit(buf, 0, QR_ECLEVEL_M);
	util_wipe(buf, sizeof(buf));
	if (c == NULL)
		return -1;
	if (c->width < 21 || c->width > LABEL_QR_MAX_MODULES) {
		errno = ERANGE;
		goto out;
	}
	n = c->width * c->width;
	q->modules = (unsigned)c->width;
	for (i = 0; i < n; i++)
		q->dark[i] = c->data[i] & 1; /* bit 0: dark module (qrencode.h) */
	r = 0;
out:
	util_wipe(c->data, (size_t)c->width * (size_t)c->width);
	QRcode_free(c);
	return r;
}
