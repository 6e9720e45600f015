/*
 * cred-rand.h: uniform draws from the OS CSPRNG (OpenSSL RAND_priv_bytes) for everything the
 * station makes up per board: passwords (station/board/password.c), Wi-Fi SSID suffixes and
 * passphrases (cred-wifi.c), Matter passcodes and discriminators (cred-matter.c).
 * Uniformity comes from rejection sampling: a draw that would make "r % n" favour the small
 * residues is thrown away and drawn again, never folded (no modulo bias).
 */
#ifndef CRED_RAND_H
#define CRED_RAND_H

#include <stddef.h>
#include <stdint.h>

/* An integer uniform over [0, n) into *out (1 <= n). 0, or -1 when n is 0 or the CSPRNG fails
 * (*out is then unchanged). */
int cred_rand_below(uint32_t n, uint32_t *out);

/* len characters, each alphabet[k] with k uniform over [0, strlen(alphabet)) (1..255 symbols;
 * list each once), and a NUL into out (cap > len). 0, or -1 when len is 0, len >= cap,
 * the alphabet is empty (out unchanged) or the CSPRNG fails (out wiped: it may hold a secret). */
int cred_rand_string(const char *alphabet, size_t len, char *out, size_t cap);

#endif
