/*
 * label.h: the product label (PRODUCT §3 step 10): serial, password and a QR code, as ZPL for
 * the thermal printers factories use. The label is the only place the plaintext password goes;
 * the spool file is created mode 0600 and should live on the printer host or a tmpfs.
 */
#ifndef LABEL_H
#define LABEL_H

#include <stddef.h>

/* Writes <dir>/<serial>.zpl, created new (O_EXCL|O_NOFOLLOW, mode 0600): an existing file or
 * link of that name makes it fail (EEXIST/ELOOP) without touching it. path (if not NULL) gets
 * the file name. 0 or -1 (errno). */
int label_write_zpl(const char *dir, const char *product, const char *serial,
    const char *password, char *path, size_t cap);

#endif
