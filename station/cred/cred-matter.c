/* cred-matter.c: Matter setup passcode and discriminator; see cred-matter.h. */
#include "cred-matter.h"

#include "cred-rand.h"

int
matter_passcode_valid(uint32_t passcode)
{
	/* Matter Core 5.1.7.1; connectedhomeip PayloadContents::IsValidSetupPIN. */
	static const uint32_t trivial[] = {
		11111111, 22222222, 33333333, 44444444, 55555555, 66666666, 77777777, 88888888,
		12345678, 87654321,
	};
	size_t i;

	if (passcode == 0 || passcode > MATTER_PASSCODE_MAX)
		return 0;
	for (i = 0; i < sizeof(trivial) / sizeof(trivial[0]); i++)
		if (passcode == trivial[i])
			return 0;
	return 1;
}

int
matter_passcode_generate(uint32_t *passcode)
{
	uint32_t r;

	/* Uniform over 1..99999998, redrawn (not moved to a neighbour, which would favour the
	 * successors of the trivial values) until valid: uniform over the valid passcodes. */
	do {
		if (cred_rand_below(MATTER_PASSCODE_MAX, &r) != 0)
			return -1;
		r += 1;
	} while (!matter_passcode_valid(r));
	*passcode = r;
	return 0;
}

int
matter_discriminator_generate(uint16_t *d)
{
	uint32_t r;

	if (cred_rand_below(MATTER_DISCRIMINATOR_MAX + 1, &r) != 0)
		return -1;
	*d = (uint16_t)r;
	return 0;
}
