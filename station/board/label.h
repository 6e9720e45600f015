/*
 * label.h: the product label of one board (PRODUCT §3 step 10, §11): drawn from the profile's
 * [label] layout (label-layout.h) as ZPL (label-zpl.h) and PNG (label-png.h), and spooled into
 * the label directory as <serial>.zpl and <serial>.png, each created new (O_CREAT|O_EXCL|
 * O_NOFOLLOW, mode 0600, fsynced). The label is the only place the plaintext password (and the
 * onboarding credentials, struct label_values) goes: the spool holds it until the printer has it
 * (label-printer.h) or, with output = dir, for whatever prints from that directory.
 */
#ifndef LABEL_H
#define LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "label-layout.h"
#include "profile.h"

/* What drawing needs that is read from files: loaded once, before the sandbox. */
struct label_kit;

/* Loads p's fonts. 0 with *out set, or -1 with err ("file: what; what to do"). */
int label_kit_load(const struct profile *p, struct label_kit **out, char *err, size_t cap);
/* NULL is a no-op. */
void label_kit_free(struct label_kit *k);

/* Draws p's layout with the longest values a board can get (the serial's digits, a password of
 * [password] length; with [wifi] the SSID prefix and suffix length and a Wi-Fi code of [wifi]
 * length with every escapable character escaped, with [matter] a 22-byte payload and a 21-digit
 * code for the custom flow, else 11) and checks what only drawing tells: each QR code's modules
 * are at least 2 dots and 0.25 mm, every text ends inside the label (measured with the PNG
 * fonts; the ZPL printer fonts are close), a QR caption fits under its code, no text holds a
 * ZPL command character, and the label drawn in each of [label] formats fits its size cap
 * (CAP_LABEL_ZPL, CAP_LABEL_PNG). 0, or -1 with err "file:line: reason" (the field's line). */
int label_check(const struct profile *p, struct label_kit *k, char *err, size_t cap);

/* The spool file of serial in format LABEL_FMT_ZPL or _PNG: "<dir>/<serial>.zpl|.png".
 * 0, or -1 when it does not fit cap. */
int label_path(const char *dir, const char *serial, unsigned fmt, char *out, size_t cap);

/* Draws v's label and writes [label] formats into p's label directory, each file created new
 * (a file or link already there makes it fail without touching it: EEXIST/ELOOP). path (cap
 * bytes) gets the file that is sent to the printer ([label] send), preview the PNG ("" when
 * not rendered). On failure nothing is left in the spool. 0, or -1 with why (for the engineer). */
int label_spool(const struct profile *p, struct label_kit *k, const struct label_values *v,
    char *path, size_t cap, char *preview, size_t pcap, char *why, size_t wcap);

/* Draws v's label in formats (LABEL_FMT_*): *zpl (CAP_LABEL_ZPL bytes allocated, *zlen used)
 * and *png (*plen), NULL for a format not asked. The caller wipes and frees both (they show the
 * password). 0, or -1 with why. */
int label_draw(const struct profile *p, struct label_kit *k, const struct label_values *v,
    unsigned formats, char **zpl, size_t *zlen, uint8_t **png, size_t *plen, char *why,
    size_t wcap);

/* Creates path, which must not exist (a file or link planted there is never written through:
 * EEXIST, ELOOP), mode 0600, and fsyncs it; a partial file is removed. 0 or -1 (errno). */
int label_write_new(const char *path, const void *buf, size_t n);

/* Removes serial's spool files (every format). 0 when none is left, -1 (errno) otherwise. */
int label_unspool(const char *dir, const char *serial);

#endif
