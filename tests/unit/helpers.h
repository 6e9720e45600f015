/*
 * helpers.h: what several unit tests share (helpers.c, linked into every tests/unit/test-*
 * binary): hex vectors written as in the docs, and running a check in a forked child.
 * Include after <cmocka.h>.
 */
#ifndef HELPERS_H
#define HELPERS_H

#include <stddef.h>
#include <stdint.h>

/* Fills the bytes around an output buffer, to catch a codec writing past what it reported. */
#define GUARD 0xa5

/* Parses "03 01 ff" (spaces anywhere between byte pairs) into out and returns the byte count.
 * The test strings are trusted: malformed hex, or more than cap bytes, fails the test. */
size_t helpers_hex(const char *s, uint8_t *out, size_t cap);

/* Runs fn in a forked child and returns its exit status, or -1 (after saying so) when it died
 * of a signal. For checks that change the process for good (privileges, sandbox). */
int helpers_in_child(int (*fn)(void));

#endif
