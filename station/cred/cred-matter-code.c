/*
 * cred-matter-code.c: the Matter manual pairing code (Matter Core 5.1.4; connectedhomeip
 * ManualSetupPayloadGenerator.cpp) and its Verhoeff check digit (connectedhomeip
 * src/lib/support/verhoeff/Verhoeff10.cpp); see cred-matter.h.
 *   digit 1      (vid_pid_present << 2) | (short discriminator >> 2)
 *   digits 2-6   ((short discriminator & 3) << 14) | (passcode & 0x3FFF), 5 digits
 *   digits 7-10  passcode >> 14, 4 digits
 *   [digits 11-20 vendor ID, product ID, 5 digits each: custom flow only]
 *   last digit   Verhoeff check digit of the others
 * where the short discriminator is the discriminator's upper 4 bits.
 */
#include "cred-matter.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define VERHOEFF_MAX 32

int
matter_verhoeff(const char *digits)
{
	/* The dihedral group D5: d[j][k] = j * k; p[i] = p[1]^i; inv[j] = j^-1. */
	static const uint8_t d[10][10] = {
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	};
	static const uint8_t p[8][10] = {
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 8, 7, 6, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	};
	static const uint8_t inv[10] = {0, 4, 3, 2, 1, 5, 6, 7, 8, 9};
	size_t n, i;
	unsigned c = 0;

	if (digits == NULL || (n = strnlen(digits, VERHOEFF_MAX + 1)) == 0 || n > VERHOEFF_MAX)
		return -1;
	/* From the rightmost digit, which gets p[1] (the check digit to come gets p[0]). */
	for (i = 0; i < n; i++) {
		char ch = digits[n - 1 - i];

		if (ch < '0' || ch > '9')
			return -1;
		c = d[c][p[(i + 1) % 8][ch - '0']];
	}
	return '0' + inv[c];
}

int
matter_manual_code(const struct matter_setup *s, char *out, size_t cap)
{
	char code[MATTER_CODE_LONG + 1];
	unsigned shortd, longcode;
	int n, check;

	if (s == NULL || out == NULL || s->flow > MATTER_FLOW_CUSTOM || s->discriminator > MATTER_DISCRIMINATOR_MAX ||
	    !matter_passcode_valid(s->passcode))
		return -1;
	longcode = s->flow == MATTER_FLOW_CUSTOM;
	if (cap <= (longcode ? MATTER_CODE_LONG : MATTER_CODE_SHORT))
		return -1;
	shortd = s->discriminator >> 8;
	n = snprintf(code, sizeof(code), "%01u%05u%04u", longcode << 2 | shortd >> 2,
	    (shortd & 3) << 14 | (unsigned)(s->passcode & 0x3FFF), (unsigned)(s->passcode >> 14));
	if (n == MATTER_CODE_SHORT - 1 && longcode)
		n += snprintf(code + n, sizeof(code) - (size_t)n, "%05u%05u", (unsigned)s->vendor_id,
		    (unsigned)s->product_id);
	if (n != (longcode ? MATTER_CODE_LONG : MATTER_CODE_SHORT) - 1 || (check = matter_verhoeff(code)) < 0) {
		util_wipe(code, sizeof(code));
		return -1; /* not reached: every field fits its digits */
	}
	code[n] = (char)check;
	code[n + 1] = '\0';
	memcpy(out, code, (size_t)n + 2);
	util_wipe(code, sizeof(code));
	return 0;
}
