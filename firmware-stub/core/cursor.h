/*
 * cursor.h: checked readers and bounded writers for untrusted bytes (big-endian).
 * Every getter checks the length it needs against what remains before touching memory and
 * returns PRC_SHORT (or PRC_TOO_LONG for a length above its maximum) without moving on failure.
 * Writers are sticky: the first overflow sets ->err = PRC_SPACE and later writes do nothing.
 */
#ifndef CURSOR_H
#define CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

struct wcur {
	uint8_t *p;
	size_t cap;
	size_t off;
	int err;
};

void cur_init(struct cur *c, const uint8_t *p, size_t len);
size_t cur_left(const struct cur *c);
int cur_u8(struct cur *c, uint8_t *v);
int cur_u16(struct cur *c, uint16_t *v);
int cur_u32(struct cur *c, uint32_t *v);
/* n raw bytes; *out points into the input (not copied). */
int cur_bytes(struct cur *c, size_t n, const uint8_t **out);
/* u8 length then bytes; length must be in [min, max]. */
int cur_lbytes8(struct cur *c, size_t min, size_t max, const uint8_t **out, size_t *n);
/* u16 length then bytes; length must be in [min, max]. */
int cur_lbytes16(struct cur *c, size_t min, size_t max, const uint8_t **out, size_t *n);
/* u8 length then printable ASCII (0x20..0x7e) copied into dst (cap >= max+1) and NUL-terminated. */
int cur_str(struct cur *c, size_t min, size_t max, char *dst, size_t cap);
/* PRC_OK when every byte was consumed, PRC_TRAILING otherwise. */
int cur_end(const struct cur *c);

void wcur_init(struct wcur *w, uint8_t *p, size_t cap);
void wcur_u8(struct wcur *w, uint8_t v);
void wcur_u16(struct wcur *w, uint16_t v);
void wcur_u32(struct wcur *w, uint32_t v);
void wcur_bytes(struct wcur *w, const void *p, size_t n);
void wcur_lbytes8(struct wcur *w, const void *p, size_t n);  /* n > 255 sets PRC_TOO_LONG */
void wcur_lbytes16(struct wcur *w, const void *p, size_t n); /* n > 65535 sets PRC_TOO_LONG */
/* Writes a NUL-terminated string with a u8 length; non-printable bytes set PRC_CHARSET. */
void wcur_str(struct wcur *w, const char *s);

/* Freestanding helpers (the core links no libc). */
void core_memcpy(void *dst, const void *src, size_t n);
void core_memset(void *dst, int v, size_t n);
size_t core_strnlen(const char *s, size_t max);
/* Constant-time comparison: 0 when equal. */
int core_memcmp_ct(const void *a, const void *b, size_t n);

#endif
