/*
 * label-qr.h: the label's QR code, made with libqrencode (8-bit mode, error correction level M:
 * a scratched label still scans). Only the module matrix is kept: the ZPL and PNG renderers draw
 * the same modules, so both labels carry the same code.
 */
#ifndef LABEL_QR_H
#define LABEL_QR_H

#include <stddef.h>
#include <stdint.h>

#define LABEL_QR_MAX_MODULES 177 /* version 40 */

struct label_qr {
	unsigned modules;                    /* side, in modules (21..177) */
	uint8_t dark[LABEL_QR_MAX_MODULES * LABEL_QR_MAX_MODULES]; /* row-major, 1 = dark */
};

/* Encodes payload (len bytes, 1..CAP_LABEL_QR) into *q. 0; -1 when libqrencode refuses it
 * (too long for version 40, out of memory: errno says). *q is written only on success. */
int label_qr_encode(const char *payload, size_t len, struct label_qr *q);

#endif
