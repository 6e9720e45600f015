/* password.c: CSPRNG passwords with unbiased sampling; see password.h. */
#include "password.h"

#include <openssl/rand.h>
#include <string.h>

#include "util.h"

int
password_generate(char *out, size_t cap, size_t len)
{
	static const char alpha[] = PASSWORD_ALPHABET;
	const unsigned n = sizeof(alpha) - 1;
	/* Largest multiple of n below 256: bytes at or above it are redrawn, so byte % n is
	 * uniform (no modulo bias). */
	const unsigned limit = 256 - 256 % n;
	unsigned char buf[64];
	size_t have = 0, i = 0;

	if (len == 0 || len >= cap)
		return -1;
	while (have < len) {
		if (i == 0 && RAND_priv_bytes(buf, sizeof(buf)) != 1) {
			util_wipe(out, cap);
			return -1;
		}
		if (buf[i] < limit)
			out[have++] = alpha[buf[i] % n];
		i = (i + 1) % sizeof(buf);
	}
	out[len] = '\0';
	util_wipe(buf, sizeof(buf));
	return 0;
}
