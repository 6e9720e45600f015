/*
 * fuzz-matter-qr.c: libFuzzer target for the Matter QR payload decoder (station/cred/
 * cred-matter-qr.c, matter_qr_decode), which reads "MT:..." text a label scan or a person
 * gives, untrusted. A decoded payload must re-encode to the very text (the encoding is
 * canonical), carry a valid passcode, and give a manual pairing code whose last digit is its
 * Verhoeff check digit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cred-matter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct matter_setup s;
	char *text, again[MATTER_QR_LEN + 1], code[MATTER_CODE_LONG + 1];
	size_t n;
	int check;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (matter_qr_decode(text, &s) == 0) {
		if (strlen(text) != MATTER_QR_LEN || s.version != 0 || s.flow > MATTER_FLOW_CUSTOM ||
		    s.discriminator > MATTER_DISCRIMINATOR_MAX || !matter_passcode_valid(s.passcode))
			abort();
		if (matter_qr_payload(&s, again, sizeof(again)) != 0 || strcmp(again, text) != 0)
			abort();
		if (matter_manual_code(&s, code, sizeof(code)) != 0)
			abort();
		n = strlen(code);
		if (n != (s.flow == MATTER_FLOW_CUSTOM ? MATTER_CODE_LONG : MATTER_CODE_SHORT) ||
		    strspn(code, "0123456789") != n)
			abort();
		check = code[n - 1];
		code[n - 1] = '\0';
		if (matter_verhoeff(code) != check)
			abort();
	}
	free(text);
	return 0;
}
