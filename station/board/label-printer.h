/*
 * label-printer.h: the label printer helper. The board-facing station has no network (its
 * sandbox refuses every TCP connect) and may not read a label back (labels hold passwords):
 * printing is done by a small process forked before the sandbox, which holds the printer
 * connection and nothing else (docs/threat-model.md B5). It reads a label from the spool only
 * when the station names its serial, sends it to [label] output (label-out.h), and removes the
 * spool files once the printer has taken it; a label the printer did not take stays for
 * `station label reprint`.
 *
 * Requests and replies are one datagram each on a SOCK_SEQPACKET socketpair, in ASCII:
 *   request  "PRINT <serial>"        (serial: 1..CAP_SERIAL of A-Z a-z 0-9 '-' '_')
 *   reply    "OK"                    printed; the spool copy is gone
 *            "KEPT <reason>"         not printed; kept in the spool (reason: printable text)
 * Anything else is refused by either side (label_printer_dec_req: fuzz-printreq).
 * After a printer failure, requests within [label] timeout are answered KEPT at once with the
 * same reason: a printer that is off costs the line one timeout, not one per board.
 * Thread-safe: fixtures take turns (one printer).
 */
#ifndef LABEL_PRINTER_H
#define LABEL_PRINTER_H

#include <stddef.h>

#include "caps.h"
#include "profile.h"

#define LABEL_PRINTER_MSG 512 /* one request or reply datagram */

struct label_printer;

/* Forks the helper for p ([label] output other than dir). In the child, confine(arg) runs
 * first (drop privileges, sandbox; non-zero: the child exits), with every descriptor but its
 * end of the socket and stdin/out/err closed; the child then serves until the socket closes.
 * Call before any thread exists. 0 with *out set, or -1 with why. */
int label_printer_start(const struct profile *p, int (*confine)(void *arg, char *why, size_t cap),
    void *arg, struct label_printer **out, char *why, size_t cap);

/* Prints serial's spooled label. 0: printed (removed from the spool); 1: kept, note says why;
 * -1: the helper is gone (note says so; the label is kept). */
int label_printer_print(struct label_printer *lp, const char *serial, char *note, size_t cap);

/* The helper's pid (for tests), -1 when none. */
int label_printer_pid(const struct label_printer *lp);

/* Closes the socket and reaps the helper. NULL is a no-op. */
void label_printer_stop(struct label_printer *lp);

/* Decodes a request datagram (n bytes, from the station: untrusted here). 0 with serial
 * (cap >= CAP_SERIAL + 1) set, or -1. */
int label_printer_dec_req(const char *buf, size_t n, char *serial, size_t cap);

/* One print done in this process (`station label reprint`): sends serial's spooled label to
 * p's output and removes it from the spool once the printer took it. 0 printed; 1 not printed
 * (why), the label kept; 2 no such label in the spool. */
int label_printer_once(const struct profile *p, const char *serial, char *why, size_t cap);

#endif
