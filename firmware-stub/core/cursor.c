/*
 * cursor.c: checked big-endian readers and sticky bounded writers (cursor.h).
 * Portable C99, freestanding: the helpers below stand in for the libc the core does not link.
 */
#include "cursor.h"

#include "proto.h"

/*
 * The byte loops write through volatile pointers: it keeps the compiler from turning them back
 * into calls to memcpy/memset (which a freestanding core does not have), and it keeps a wipe of a
 * secret from being optimised away.
 */
void
core_memcpy(void *dst, const void *src, size_t n)
{
	volatile uint8_t *d = dst;
	const uint8_t *s = src;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i];
}

void
core_memset(void *dst, int v, size_t n)
{
	volatile uint8_t *d = dst;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = (uint8_t)v;
}

size_t
core_strnlen(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i] != '\0'; i++)
		;
	return i;
}

int
core_memcmp_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t acc = 0;
	size_t i;

	/* No early exit: the time taken must not depend on where the first difference is. */
	for (i = 0; i < n; i++)
		acc |= (uint8_t)(x[i] ^ y[i]);
	return acc != 0;
}

void
cur_init(struct cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p == NULL ? 0 : len;
	c->off = 0;
}

size_t
cur_left(const struct cur *c)
{
	/* off never exceeds len, but a caller-damaged cursor must not underflow. */
	return c->off <= c->len ? c->len - c->off : 0;
}

int
cur_u8(struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return PRC_SHORT;
	*v = c->p[c->off];
	c->off += 1;
	return PRC_OK;
}

int
cur_u16(struct cur *c, uint16_t *v)
{
	const uint8_t *q;

	if (cur_left(c) < 2)
		return PRC_SHORT;
	q = c->p + c->off;
	*v = (uint16_t)(((unsigned)q[0] << 8) | q[1]);
	c->off += 2;
	return PRC_OK;
}

int
cur_u32(struct cur *c, uint32_t *v)
{
	const uint8_t *q;

	if (cur_left(c) < 4)
		return PRC_SHORT;
	q = c->p + c->off;
	*v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
	c->off += 4;
	return PRC_OK;
}

int
cur_bytes(struct cur *c, size_t n, const uint8_t **out)
{
	if (n > cur_left(c))
		return PRC_SHORT;
	*out = c->p + c->off;
	c->off += n;
	return PRC_OK;
}

/*
 * Shared tail of the length-prefixed readers: the length is checked against its maximum first
 * (P-11), then against its minimum, and only then against what remains, so a hostile length is
 * never added to a pointer. On failure the cursor goes back to before the length field.
 */
static int
lbytes_tail(struct cur *c, size_t start, size_t l, size_t min, size_t max, const uint8_t **out,
    size_t *n)
{
	if (l > max) {
		c->off = start;
		return PRC_TOO_LONG;
	}
	if (l < min) {
		c->off = start;
		return PRC_VALUE;
	}
	if (l > cur_left(c)) {
		c->off = start;
		return PRC_SHORT;
	}
	*out = c->p + c->off;
	*n = l;
	c->off += l;
	return PRC_OK;
}

int
cur_lbytes8(struct cur *c, size_t min, size_t max, const uint8_t **out, size_t *n)
{
	size_t start = c->off;
	uint8_t l;
	int r;

	if ((r = cur_u8(c, &l)) != PRC_OK)
		return r;
	return lbytes_tail(c, start, l, min, max, out, n);
}

int
cur_lbytes16(struct cur *c, size_t min, size_t max, const uint8_t **out, size_t *n)
{
	size_t start = c->off;
	uint16_t l;
	int r;

	if ((r = cur_u16(c, &l)) != PRC_OK)
		return r;
	return lbytes_tail(c, start, l, min, max, out, n);
}

int
cur_str(struct cur *c, size_t min, size_t max, char *dst, size_t cap)
{
	size_t start = c->off, n = 0, i;
	const uint8_t *s = NULL;
	int r;

	if ((r = cur_lbytes8(c, min, max, &s, &n)) != PRC_OK)
		return r;
	if (n >= cap) {
		c->off = start;
		return PRC_SPACE;
	}
	/* P-11: printable ASCII only, so a board string is safe to log and to compare. */
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			c->off = start;
			return PRC_CHARSET;
		}
	}
	core_memcpy(dst, s, n);
	dst[n] = '\0';
	return PRC_OK;
}

int
cur_end(const struct cur *c)
{
	return cur_left(c) == 0 ? PRC_OK : PRC_TRAILING;
}

void
wcur_init(struct wcur *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->off = 0;
	w->err = PRC_OK;
}

/* Sticky: the first error wins and nothing is written after it. */
static void
wcur_fail(struct wcur *w, int err)
{
	if (w->err == PRC_OK)
		w->err = err;
}

static int
wcur_room(struct wcur *w, size_t n)
{
	if (w->err != PRC_OK)
		return 0;
	if (w->off > w->cap || n > w->cap - w->off) {
		wcur_fail(w, PRC_SPACE);
		return 0;
	}
	return 1;
}

void
wcur_u8(struct wcur *w, uint8_t v)
{
	if (!wcur_room(w, 1))
		return;
	w->p[w->off++] = v;
}

void
wcur_u16(struct wcur *w, uint16_t v)
{
	if (!wcur_room(w, 2))
		return;
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

void
wcur_u32(struct wcur *w, uint32_t v)
{
	if (!wcur_room(w, 4))
		return;
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

void
wcur_bytes(struct wcur *w, const void *p, size_t n)
{
	if (!wcur_room(w, n))
		return;
	if (n != 0)
		core_memcpy(w->p + w->off, p, n);
	w->off += n;
}

void
wcur_lbytes8(struct wcur *w, const void *p, size_t n)
{
	if (w->err != PRC_OK)
		return;
	if (n > 0xff) {
		wcur_fail(w, PRC_TOO_LONG);
		return;
	}
	/* Check room for the whole field first, so a failed write leaves no dangling length. */
	if (!wcur_room(w, 1 + n))
		return;
	wcur_u8(w, (uint8_t)n);
	wcur_bytes(w, p, n);
}

void
wcur_lbytes16(struct wcur *w, const void *p, size_t n)
{
	if (w->err != PRC_OK)
		return;
	if (n > 0xffff) {
		wcur_fail(w, PRC_TOO_LONG);
		return;
	}
	if (!wcur_room(w, 2 + n))
		return;
	wcur_u16(w, (uint16_t)n);
	wcur_bytes(w, p, n);
}

void
wcur_str(struct wcur *w, const char *s)
{
	size_t n, i;

	if (w->err != PRC_OK)
		return;
	n = core_strnlen(s, 0x100);
	if (n > 0xff) {
		wcur_fail(w, PRC_TOO_LONG);
		return;
	}
	for (i = 0; i < n; i++) {
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] > 0x7e) {
			wcur_fail(w, PRC_CHARSET);
			return;
		}
	}
	wcur_lbytes8(w, s, n);
}
