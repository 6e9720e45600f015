/*
 * cred-probe.c: the station's credential library (station/cred/) from the shell, for the
 * integration tests (a label read back by zbarimg, a board's stored verifier):
 *   cred-probe matter-decode MT:...      prints "version=V vendor=0xVVVV product=0xPPPP flow=F
 *                                        rendezvous=R discriminator=D passcode=P" (hex in lower
 *                                        case, the rest in decimal) on one line
 *   cred-probe matter-verifier PASSCODE SALT_HEX ITERATIONS
 *                                        prints the 97-byte SPAKE2+ verifier (w0 || L) in lower-case
 *                                        hex
 *   cred-probe manual-code MT:...        prints the manual pairing code of the decoded payload
 * Exit 0; 1 with a message on stderr when the input is refused; 2 on a usage error.
 * (A test tool: the passcode is in argv here, which the station itself never does.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cred-matter.h"
#include "util.h"

/* A decimal number of 1..10 digits that fits in 32 bits; -1 otherwise. */
static int
parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
		return -1;
	for (i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
decode(const char *payload, struct matter_setup *s)
{
	char shown[64];

	if (matter_qr_decode(payload, s) != 0) {
		util_sanitize(payload, strnlen(payload, sizeof(shown) - 1), shown, sizeof(shown));
		fprintf(stderr, "cred-probe: \"%s\" is not a Matter QR payload this station reads "
		    "(MT: and 19 base-38 characters, version 0, a valid passcode)\n", shown);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct matter_setup s;
	uint8_t salt[MATTER_SALT_MAX], v[MATTER_VERIFIER_LEN];
	char hex[2 * MATTER_VERIFIER_LEN + 1], code[MATTER_CODE_LONG + 1];
	uint32_t pin, iter;
	int sl;

	if (argc == 3 && strcmp(argv[1], "matter-decode") == 0) {
		if (decode(argv[2], &s) != 0)
			return 1;
		printf("version=%u vendor=0x%04x product=0x%04x flow=%u rendezvous=%u discriminator=%u passcode=%u\n",
		    s.version, s.vendor_id, s.product_id, s.flow, s.rendezvous, s.discriminator, (unsigned)s.passcode);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "manual-code") == 0) {
		if (decode(argv[2], &s) != 0)
			return 1;
		if (matter_manual_code(&s, code, sizeof(code)) != 0) {
			fprintf(stderr, "cred-probe: no manual code for this payload\n");
			return 1;
		}
		printf("%s\n", code);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "matter-verifier") == 0) {
		if (parse_u32(argv[2], &pin) != 0 || !matter_passcode_valid(pin)) {
			fprintf(stderr, "cred-probe: the passcode must be 1..99999998 and not a trivial one\n");
			return 1;
		}
		if ((sl = util_unhex(argv[3], salt, sizeof(salt))) < MATTER_SALT_MIN) {
			fprintf(stderr, "cred-probe: the salt must be %d..%d bytes of hex\n", MATTER_SALT_MIN,
			    MATTER_SALT_MAX);
			return 1;
		}
		if (parse_u32(argv[4], &iter) != 0 || iter < MATTER_ITER_MIN || iter > MATTER_ITER_MAX) {
			fprintf(stderr, "cred-probe: the iterations must be %u..%u\n", MATTER_ITER_MIN,
			    MATTER_ITER_MAX);
			return 1;
		}
		if (matter_spake2p_verifier(pin, salt, (size_t)sl, iter, v) != 0) {
			fprintf(stderr, "cred-probe: the verifier could not be computed (OpenSSL)\n");
			return 1;
		}
		printf("%s\n", util_hex(v, sizeof(v), hex, sizeof(hex)));
		util_wipe(v, sizeof(v));
		util_wipe(hex, sizeof(hex));
		return 0;
	}
	fprintf(stderr, "usage: cred-probe matter-decode MT:...\n"
	    "       cred-probe manual-code MT:...\n"
	    "       cred-probe matter-verifier PASSCODE SALT_HEX ITERATIONS\n");
	return 2;
}
