/* cred-rand.c: unbiased draws from the CSPRNG; see cred-rand.h. */
#include "cred-rand.h"

#include <openssl/rand.h>
#include <string.h>

#include "util.h"

int
cred_rand_below(uint32_t n, uint32_t *out)
{
	/* Draws below (2^32 mod n) are redrawn: what remains, [2^32 mod n, 2^32), holds a whole
	 * number of each residue (OpenBSD arc4random_uniform). */
	const uint32_t min = n == 0 ? 0 : (uint32_t)(0u - n) % n;
	unsigned char b[4];
	uint32_t r;

	if (n == 0)
		return -1;
	do {
		if (RAND_priv_bytes(b, sizeof(b)) != 1) {
			util_wipe(b, sizeof(b));
			return -1;
		}
		r = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	} while (r < min);
	*out = r % n;
	util_wipe(b, sizeof(b));
	return 0;
}

int
cred_rand_string(const char *alphabet, size_t len, char *out, size_t cap)
{
	const size_t n = alphabet == NULL ? 0 : strlen(alphabet);
	/* Largest multiple of n not above 256: bytes at or above it are redrawn, so byte % n is
	 * uniform. One byte per character; a batch of 64 per call to the CSPRNG. */
	const unsigned limit = n == 0 ? 0 : 256 - 256 % (unsigned)n;
	unsigned char buf[64];
	size_t have = 0, i = 0;

	if (n == 0 || n > 256 || len == 0 || len >= cap)
		return -1;
	while (have < len) {
		if (i == 0 && RAND_priv_bytes(buf, sizeof(buf)) != 1) {
			util_wipe(buf, sizeof(buf));
			util_wipe(out, cap);
			return -1;
		}
		if (buf[i] < limit)
			out[have++] = alphabet[buf[i] % n];
		i = (i + 1) % sizeof(buf);
	}
	out[len] = '\0';
	util_wipe(buf, sizeof(buf));
	return 0;
}
