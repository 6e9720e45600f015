/* label-zhs.c: the ~HS host status of a Zebra printer; see label-zhs.h. */
#include "label-zhs.h"

#include <string.h>

#include "caps.h"

#define STX 0x02
#define ETX 0x03
#define MAX_FIELDS 24

/* Splits one string (p[0..n), between STX and ETX) into numbers. The count, or -1 when a field
 * is empty, holds anything but digits, or is above 99999999. */
static int
fields(const uint8_t *p, size_t n, unsigned long *v, int cap)
{
	size_t i, digits = 0;
	int k = 0;

	v[0] = 0;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == ',') {
			if (digits == 0)
				return -1;
			k++;
			digits = 0;
			if (i < n) {
				if (k >= cap)
					return -1;
				v[k] = 0;
			}
			continue;
		}
		if (p[i] < '0' || p[i] > '9' || ++digits > 8)
			return -1;
		v[k] = v[k] * 10 + (unsigned long)(p[i] - '0');
	}
	return k;
}

int
label_zhs_parse(const uint8_t *buf, size_t len, struct label_zhs *st)
{
	static const int need[3] = { 12, 11, 1 };
	unsigned long v[3][MAX_FIELDS];
	size_t i = 0, start;
	int s = 0, n;

	if (len > CAP_PRINTER_REPLY)
		return -1;
	while (s < 3) {
		while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
			i++;
		if (i == len)
			return 1;
		if (buf[i] != STX)
			return -1;
		start = ++i;
		while (i < len && buf[i] != ETX && buf[i] != STX)
			i++;
		if (i == len)
			return 1;
		if (buf[i] == STX)
			return -1;
		if ((n = fields(buf + start, i - start, v[s], MAX_FIELDS)) < need[s])
			return -1;
		i++;
		s++;
	}
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i != len)
		return -1;
	memset(st, 0, sizeof(*st));
	st->paper_out = v[0][1] != 0;
	st->paused = v[0][2] != 0;
	st->formats = v[0][4];
	st->buffer_full = v[0][5] != 0;
	st->partial = v[0][7] != 0;
	st->head_up = v[1][2] != 0;
	st->ribbon_out = v[1][3] != 0;
	st->remaining = v[1][8];
	return 0;
}

const char *
label_zhs_problem(const struct label_zhs *st)
{
	if (st->paper_out)
		return "paper out";
	if (st->head_up)
		return "print head open";
	if (st->ribbon_out)
		return "ribbon out";
	if (st->paused)
		return "paused";
	if (st->buffer_full)
		return "receive buffer full";
	return NULL;
}
