/* password.c: CSPRNG passwords with unbiased sampling; see password.h. */
#include "password.h"

#include "cred-rand.h"

int
password_generate(char *out, size_t cap, size_t len)
{
	return cred_rand_string(PASSWORD_ALPHABET, len, out, cap);
}
