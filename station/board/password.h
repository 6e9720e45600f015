/*
 * password.h: per-device passwords (ETSI EN 303 645 5.1-1, 5.1-2). Drawn from the OS CSPRNG
 * (RAND_priv_bytes) with rejection sampling (station/cred/cred-rand.h), so every character is
 * uniform over an alphabet without look-alikes (no 0/O, 1/l/I): 56 symbols, 5.81 bits each;
 * 12 characters = 69.7 bits.
 * Never derived from a serial, MAC, chip id or counter.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stddef.h>

#define PASSWORD_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"

/* Writes len characters and a NUL into out (cap > len). 0, or -1 when the CSPRNG fails. */
int password_generate(char *out, size_t cap, size_t len);

#endif
