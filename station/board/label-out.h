/*
 * label-out.h: sends one label to the printer of [label] output (profile.h): a raw TCP port
 * (label-out-tcp.c: 9100, as Zebra printers are driven on a network), a CUPS queue
 * (label-out-cups.c, libcups: raw for ZPL, image/png for PNG) or a device file (label-out.c:
 * /dev/usb/lp0, a character device or a FIFO; never a regular file). Each backend is one ops
 * struct. Used by the printer helper (label-printer.h) and `station label reprint`.
 *
 * "The printer took it" means: tcp, every byte acknowledged by the printer's TCP stack (with
 * [label] status = zebra: the printer reports the label printed, its buffer empty and no paper,
 * head, ribbon or pause problem); cups, cupsd accepted the job (CUPS then owns it); device, every
 * byte written. Everything is bounded by [label] timeout.
 */
#ifndef LABEL_OUT_H
#define LABEL_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct label_out_ops {
	const char *name;
	/* Sends buf[0..n) to lp's printer. 0 when it took it, -1 with why for people. */
	int (*send)(const struct label_profile *lp, const uint8_t *buf, size_t n, char *why,
	    size_t cap);
};

extern const struct label_out_ops label_out_tcp, label_out_cups, label_out_device;

/* The backend of lp->output; NULL for dir (nothing is sent). */
const struct label_out_ops *label_out_for(const struct label_profile *lp);

/* Where labels go, for people: "tcp:printer-3:9100", "cups:zebra", "/dev/usb/lp0", "dir". */
void label_out_describe(const struct label_profile *lp, char *out, size_t cap);

/* Milliseconds left until deadline (util_ms() based), 0 when past. */
unsigned label_out_left(uint64_t deadline);

#endif
