/*
 * label-zhs.h: a Zebra printer's answer to the ZPL host status query ~HS (ZPL II Programming
 * Guide, "~HS"): three strings, each STX ... ETX CR LF, of comma-separated numbers:
 *   1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l    b paper out, c pause, eee formats in the receive
 *                                          buffer, f buffer full, h partial format
 *   2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www    o head up, p ribbon out, uuuuuuuu labels remaining
 *   3: xxxx,y
 * The bytes come from the network: everything is bounded and checked (fuzz-zhs).
 */
#ifndef LABEL_ZHS_H
#define LABEL_ZHS_H

#include <stddef.h>
#include <stdint.h>

struct label_zhs {
	int paper_out, paused, head_up, ribbon_out, buffer_full, partial;
	unsigned long formats, remaining; /* formats waiting in the buffer, labels left to print */
};

/* Parses buf[0..len). 0: three strings, *st set; 1: a correct beginning, more bytes needed;
 * -1: not a ~HS answer (or longer than CAP_PRINTER_REPLY). */
int label_zhs_parse(const uint8_t *buf, size_t len, struct label_zhs *st);

/* What stops the printer, for people ("paper out", "paused", "print head open", "ribbon out",
 * "receive buffer full"), NULL when nothing does. */
const char *label_zhs_problem(const struct label_zhs *st);

#endif
