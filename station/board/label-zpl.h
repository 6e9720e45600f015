/*
 * label-zpl.h: a label layout as ZPL II, the language of the thermal printers factories use.
 * Texts are printer-font fields (^A0, the scalable font; serial and password in font E, OCR-B,
 * whose 0/O and 1/I/l differ) so that a printer draws them sharp and a script can read them
 * from ^FD; the QR code is a ^GFA graphic field of libqrencode's modules, the same code as on
 * the PNG. One label: ^XA ... ^XZ with ^PW/^LL set to the layout's size. The Wi-Fi
 * passphrase (any printable character) is the one text written with ^FH: its '^', '~', '\' and
 * '_' as _5E, _7E, _5C, _5F hex escapes, so that it prints as it is and commands nothing.
 */
#ifndef LABEL_ZPL_H
#define LABEL_ZPL_H

#include <stddef.h>

#include "label-layout.h"

/* Writes the ZPL of l into buf (cap bytes, at most CAP_LABEL_ZPL used). 0 with *len set, or
 * -1 when it does not fit (ENOSPC) or a text other than the passphrase holds a ZPL control
 * character '^' or '~' (EINVAL: the profile and the flow refuse those, so this is a bug).
 * buf holds the password and the credentials: wipe it. */
int label_zpl(const struct label_layout *l, char *buf, size_t cap, size_t *len);

#endif
