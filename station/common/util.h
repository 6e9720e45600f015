/*
 * util.h: small helpers shared by the station and the signer (hex, time, files, printable text).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Lower-case hex of n bytes into out (cap >= 2n+1). Returns out. */
char *util_hex(const uint8_t *p, size_t n, char *out, size_t cap);
/* Decodes a hex string of any even length <= 2*max.
 * Returns the byte count, or -1 on a bad digit, odd length or overflow. */
int util_unhex(const char *s, uint8_t *out, size_t max);
/* Value 0..15 of one hex digit (either case); -1 when c is not one. */
int util_hexdigit(int c);
/* 1 when every byte is printable ASCII 0x20..0x7e. */
int util_printable(const char *s);
/* Copies s into out, replacing bytes outside 0x20..0x7e by '?' (for showing untrusted text). */
void util_sanitize(const char *s, size_t n, char *out, size_t cap);
/* Reads a whole file of at most cap bytes into a malloc'd buffer. -1 on I/O error (errno set),
 * -2 when larger than cap. */
int util_read_file(const char *path, size_t cap, uint8_t **buf, size_t *n);
/* Writes a file atomically (temp + fsync + rename + fsync dir), mode as given. 0 or -1 (errno). */
int util_write_file(const char *path, const void *buf, size_t n, unsigned mode);
/* All n bytes of buf to fd, through EINTR and short writes: 0, or -1 with errno (EIO when the
 * file takes no byte). */
int util_write_all(int fd, const void *buf, size_t n);
/* Formats a sentence for people into why (cap bytes; NULL or 0 ignores it): the "why" out-parameter
 * of every function that explains its failure. */
void util_why(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Calls fn(ctx, line) on each line of the text file at path, without its '\n' (a line of
 * CAP_LINE bytes or more arrives in pieces), until fn returns non-zero. Returns fn's last return
 * (0 when every line was read), or -1 when the file cannot be opened or read (errno set). */
int util_each_line(const char *path, int (*fn)(void *ctx, const char *line), void *ctx);
/* The path of name in the directory of path ("dir/name"; just name when path has no '/'), as
 * for a file next to the database or the profile. 0, or -1 when it does not fit in cap (out is
 * then unchanged). */
int util_sibling(const char *path, const char *name, char *out, size_t cap);
/* UTC time as "2026-11-22T10:11:12.345Z" into out (cap >= 25). */
void util_utc_now(char *out, size_t cap);
/* Monotonic milliseconds. */
uint64_t util_ms(void);
/* Wipes secrets (not optimised away). */
void util_wipe(void *p, size_t n);
/* Directory of the running executable (from /proc/self/exe), without trailing slash. */
int util_exe_dir(char *out, size_t cap);

#endif
