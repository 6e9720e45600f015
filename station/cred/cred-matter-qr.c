/*
 * cred-matter-qr.c: the Matter QR payload (Matter Core 5.1.3; connectedhomeip
 * QRCodeSetupPayloadGenerator.cpp, Base38Encode.cpp) and its decoder; see cred-matter.h.
 * The fields are packed least significant bit first into an 88-bit little-endian integer:
 *   version 3 | vendor 16 | product 16 | flow 2 | rendezvous 8 | discriminator 12 |
 *   passcode 27 | padding 4 (zero)
 * and its 11 bytes written in base 38, 3 bytes (read little-endian) to 5 characters and the last
 * 2 bytes to 4, least significant digit first.
 */
#include "cred-matter.h"

#include <string.h>

#include "util.h"

#define PACKED_LEN 11
#define B38_LEN 19
#define PREFIX "MT:"
#define PREFIX_LEN 3

static const char b38[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.";

/* The fields in packing order: bit width of each. */
enum { W_VERSION = 3, W_VENDOR = 16, W_PRODUCT = 16, W_FLOW = 2, W_RV = 8, W_DISC = 12, W_PASS = 27,
	W_PAD = 4 };

static void
put_bits(uint8_t *p, unsigned *off, uint32_t v, unsigned width)
{
	unsigned i;

	for (i = 0; i < width; i++, (*off)++)
		if (v >> i & 1)
			p[*off / 8] |= (uint8_t)(1u << (*off % 8));
}

static uint32_t
get_bits(const uint8_t *p, unsigned *off, unsigned width)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < width; i++, (*off)++)
		v |= (uint32_t)(p[*off / 8] >> (*off % 8) & 1) << i;
	return v;
}

int
matter_qr_payload(const struct matter_setup *s, char *out, size_t cap)
{
	uint8_t p[PACKED_LEN];
	unsigned off = 0, i, j, nb, nc;
	uint32_t v;
	char *o;

	if (s == NULL || out == NULL || cap <= MATTER_QR_LEN || s->version != 0 || s->flow > MATTER_FLOW_CUSTOM ||
	    s->discriminator > MATTER_DISCRIMINATOR_MAX || !matter_passcode_valid(s->passcode))
		return -1;
	memset(p, 0, sizeof(p));
	put_bits(p, &off, s->version, W_VERSION);
	put_bits(p, &off, s->vendor_id, W_VENDOR);
	put_bits(p, &off, s->product_id, W_PRODUCT);
	put_bits(p, &off, s->flow, W_FLOW);
	put_bits(p, &off, s->rendezvous, W_RV);
	put_bits(p, &off, s->discriminator, W_DISC);
	put_bits(p, &off, s->passcode, W_PASS);
	put_bits(p, &off, 0, W_PAD);
	memcpy(out, PREFIX, PREFIX_LEN);
	o = out + PREFIX_LEN;
	for (i = 0; i < PACKED_LEN; i += nb) {
		nb = PACKED_LEN - i >= 3 ? 3 : PACKED_LEN - i;
		nc = nb == 3 ? 5 : nb == 2 ? 4 : 2;
		for (v = 0, j = 0; j < nb; j++)
			v |= (uint32_t)p[i + j] << (8 * j);
		for (j = 0; j < nc; j++, v /= 38)
			*o++ = b38[v % 38];
	}
	*o = '\0';
	util_wipe(p, sizeof(p));
	return 0;
}

int
matter_qr_decode(const char *payload, struct matter_setup *s)
{
	uint8_t p[PACKED_LEN];
	struct matter_setup d;
	const char *c, *hit;
	unsigned off = 0, i, j, nb, nc;
	uint32_t v, pad;
	int r = -1;

	if (payload == NULL || s == NULL || strnlen(payload, MATTER_QR_LEN + 1) != MATTER_QR_LEN ||
	    memcmp(payload, PREFIX, PREFIX_LEN) != 0)
		return -1;
	c = payload + PREFIX_LEN;
	for (i = 0; i < PACKED_LEN; i += nb) {
		nb = PACKED_LEN - i >= 3 ? 3 : PACKED_LEN - i;
		nc = nb == 3 ? 5 : nb == 2 ? 4 : 2;
		/* Most significant digit last: read the chunk backwards. */
		for (v = 0, j = nc; j-- > 0;) {
			if (c[j] == '\0' || (hit = strchr(b38, c[j])) == NULL)
				goto out;
			v = v * 38 + (uint32_t)(hit - b38);
		}
		/* 5 digits reach 38^5 > 2^24 and 4 reach 38^4 > 2^16: a chunk above its bytes is
		 * not an encoding. (v stays below 38^5 < 2^32.) */
		if (v >> (8 * nb) != 0)
			goto out;
		for (j = 0; j < nb; j++)
			p[i + j] = (uint8_t)(v >> (8 * j));
		c += nc;
	}
	d.version = (uint8_t)get_bits(p, &off, W_VERSION);
	d.vendor_id = (uint16_t)get_bits(p, &off, W_VENDOR);
	d.product_id = (uint16_t)get_bits(p, &off, W_PRODUCT);
	d.flow = (uint8_t)get_bits(p, &off, W_FLOW);
	d.rendezvous = (uint8_t)get_bits(p, &off, W_RV);
	d.discriminator = (uint16_t)get_bits(p, &off, W_DISC);
	d.passcode = get_bits(p, &off, W_PASS);
	pad = get_bits(p, &off, W_PAD);
	if (d.version != 0 || d.flow > MATTER_FLOW_CUSTOM || pad != 0 || !matter_passcode_valid(d.passcode))
		goto out;
	*s = d;
	r = 0;
out:
	util_wipe(p, sizeof(p));
	util_wipe(&d, sizeof(d));
	return r;
}
