/*
 * frame.c: framing of protocol v1 (docs/protocol.md §2): CRC-32, COBS, frame encode/decode and a
 * streaming receiver. Portable C99, freestanding, no heap; the encoder streams straight into the
 * caller's buffer so a board needs no second frame-sized buffer on its stack.
 */
#include "frame.h"

#include "cursor.h"

/* Nibble table of the reflected polynomial 0xEDB88320: 64 bytes of ROM instead of 1 KiB. */
static const uint32_t crc_tab[16] = {
	0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
	0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
	0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
	0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu
};

static uint32_t
crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_tab[crc & 15];
		crc = (crc >> 4) ^ crc_tab[crc & 15];
	}
	return crc;
}

uint32_t
crc32_ieee(const uint8_t *p, size_t n)
{
	if (p == NULL)
		n = 0;
	return crc_update(0xffffffffu, p, n) ^ 0xffffffffu;
}

/*
 * Streaming COBS encoder. A group's code byte is reserved when the group opens and filled in when
 * it closes. After a full group (code 0xFF) the next group is opened only if another byte comes,
 * so the output is the canonical encoding (no trailing 0x01 after a final full group).
 */
struct cobs_enc {
	uint8_t *out;
	size_t cap;
	size_t off;
	size_t code_pos;
	uint8_t code;
	int open; /* a code byte is reserved at code_pos */
	int err;
};

static void
ce_open(struct cobs_enc *e)
{
	if (e->off >= e->cap) {
		e->err = PRC_SPACE;
		return;
	}
	e->code_pos = e->off++;
	e->code = 1;
	e->open = 1;
}

static void
ce_init(struct cobs_enc *e, uint8_t *out, size_t cap)
{
	e->out = out;
	e->cap = out == NULL ? 0 : cap;
	e->off = 0;
	e->code_pos = 0;
	e->code = 1;
	e->open = 0;
	e->err = PRC_OK;
	ce_open(e);
}

static void
ce_put(struct cobs_enc *e, uint8_t b)
{
	if (e->err != PRC_OK)
		return;
	if (!e->open) {
		ce_open(e);
		if (e->err != PRC_OK)
			return;
	}
	if (b == 0) {
		e->out[e->code_pos] = e->code;
		ce_open(e);
		return;
	}
	if (e->off >= e->cap) {
		e->err = PRC_SPACE;
		return;
	}
	e->out[e->off++] = b;
	if (++e->code == 0xff) {
		e->out[e->code_pos] = e->code;
		e->open = 0;
	}
}

static void
ce_write(struct cobs_enc *e, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && e->err == PRC_OK; i++)
		ce_put(e, p[i]);
}

static int
ce_finish(struct cobs_enc *e)
{
	if (e->err != PRC_OK)
		return e->err;
	if (e->open)
		e->out[e->code_pos] = e->code;
	e->open = 0;
	return PRC_OK;
}

int
cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	struct cobs_enc e;
	int r;

	ce_init(&e, out, cap);
	ce_write(&e, in, in == NULL ? 0 : n);
	if ((r = ce_finish(&e)) != PRC_OK)
		return r;
	*outlen = e.off;
	return PRC_OK;
}

int
cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t i = 0, o = 0, k;
	uint8_t code, b;

	if (in == NULL)
		n = 0;
	if (out == NULL)
		cap = 0;
	while (i < n) {
		code = in[i++];
		if (code == 0)
			return PRC_COBS;
		for (k = 1; k < code; k++) {
			if (i >= n)
				return PRC_COBS;
			if ((b = in[i++]) == 0)
				return PRC_COBS;
			if (o >= cap)
				return PRC_SPACE;
			out[o++] = b;
		}
		/* A group shorter than 254 stands for its data and a zero, except the last one. */
		if (code != 0xff && i < n) {
			if (o >= cap)
				return PRC_SPACE;
			out[o++] = 0;
		}
	}
	*outlen = o;
	return PRC_OK;
}

int
frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len, uint8_t *out,
    size_t cap, size_t *outlen)
{
	struct cobs_enc e;
	uint8_t hdr[FRAME_HDR_LEN], tail[FRAME_CRC_LEN];
	uint32_t crc;
	int r;

	if (len > FRAME_MAX_PAYLOAD)
		return PRC_TOO_LONG;
	if (payload == NULL && len != 0)
		return PRC_VALUE;
	/* P-2: version, type, seq, len, payload, CRC over all of it; big-endian. */
	hdr[0] = PROTO_VERSION;
	hdr[1] = type;
	hdr[2] = (uint8_t)(seq >> 8);
	hdr[3] = (uint8_t)seq;
	hdr[4] = (uint8_t)(len >> 8);
	hdr[5] = (uint8_t)len;
	crc = crc_update(0xffffffffu, hdr, sizeof(hdr));
	crc = crc_update(crc, payload, len) ^ 0xffffffffu;
	tail[0] = (uint8_t)(crc >> 24);
	tail[1] = (uint8_t)(crc >> 16);
	tail[2] = (uint8_t)(crc >> 8);
	tail[3] = (uint8_t)crc;

	ce_init(&e, out, cap);
	ce_write(&e, hdr, sizeof(hdr));
	ce_write(&e, payload, len);
	ce_write(&e, tail, sizeof(tail));
	if ((r = ce_finish(&e)) != PRC_OK)
		return r;
	/* P-2: the delimiter ends the frame. */
	if (e.off >= e.cap)
		return PRC_SPACE;
	out[e.off++] = 0x00;
	*outlen = e.off;
	return PRC_OK;
}

int
frame_decode(const uint8_t *block, size_t n, uint8_t *scratch, size_t cap, struct frame *f)
{
	struct cur c;
	size_t dl = 0;
	uint8_t version, type;
	uint16_t seq, len;
	uint32_t crc, want;
	const uint8_t *payload;
	int r;

	if ((r = cobs_decode(block, n, scratch, cap, &dl)) != PRC_OK)
		return r == PRC_SPACE ? PRC_TOO_LONG : r;
	if (dl < FRAME_HDR_LEN + FRAME_CRC_LEN)
		return PRC_SHORT;
	cur_init(&c, scratch, dl);
	if ((r = cur_u8(&c, &version)) != PRC_OK || (r = cur_u8(&c, &type)) != PRC_OK ||
	    (r = cur_u16(&c, &seq)) != PRC_OK || (r = cur_u16(&c, &len)) != PRC_OK)
		return r;
	/* P-2: the length field must account for the block exactly. */
	if (len > FRAME_MAX_PAYLOAD)
		return PRC_TOO_LONG;
	if ((size_t)len + FRAME_CRC_LEN > cur_left(&c))
		return PRC_SHORT;
	if ((size_t)len + FRAME_CRC_LEN < cur_left(&c))
		return PRC_TRAILING;
	if (version != PROTO_VERSION)
		return PRC_VERSION;
	if ((r = cur_bytes(&c, len, &payload)) != PRC_OK || (r = cur_u32(&c, &crc)) != PRC_OK)
		return r;
	want = crc32_ieee(scratch, FRAME_HDR_LEN + (size_t)len);
	if (crc != want)
		return PRC_CRC;
	f->version = version;
	f->type = type;
	f->seq = seq;
	f->len = len;
	f->payload = payload;
	return PRC_OK;
}

void
frame_rx_wipe(struct frame_rx *rx)
{
	core_memset(rx->wire, 0, sizeof(rx->wire));
	core_memset(rx->dec, 0, sizeof(rx->dec));
}

void
frame_rx_init(struct frame_rx *rx)
{
	rx->n = 0;
	rx->overflow = 0;
	rx->bad = 0;
}

int
frame_rx_push(struct frame_rx *rx, uint8_t byte, struct frame *f)
{
	int r;

	if (byte != 0x00) {
		if (rx->overflow)
			return 0;
		if (rx->n >= sizeof(rx->wire)) {
			/* P-3: too long to be a frame; drop everything up to the next delimiter. */
			rx->overflow = 1;
			core_memset(rx->wire, 0, rx->n);
			rx->n = 0;
			return 0;
		}
		rx->wire[rx->n++] = byte;
		return 0;
	}
	/* P-3: every 0x00 ends a block, so the receiver is back in step after any noise. */
	if (rx->overflow) {
		rx->overflow = 0;
		rx->n = 0;
		rx->bad++;
		return PRC_TOO_LONG;
	}
	if (rx->n == 0)
		return 0;
	r = frame_decode(rx->wire, rx->n, rx->dec, sizeof(rx->dec), f);
	/* P-44: the wire bytes are decoded (or refused); a secret in them goes now. */
	core_memset(rx->wire, 0, rx->n);
	rx->n = 0;
	if (r != PRC_OK) {
		core_memset(rx->dec, 0, sizeof(rx->dec));
		rx->bad++;
		return r;
	}
	return 1;
}
