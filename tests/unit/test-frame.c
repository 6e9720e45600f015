/*
 * test-frame.c: CRC-32, COBS, frame encode/decode and the streaming receiver (frame.h), against
 * the vectors of docs/protocol.md §7.1-§7.4. Keep the hex strings identical to the document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "cursor.h"
#include "frame.h"
#include "proto.h"


/* §7.3: every message type, as (type, seq, payload, wire). */
struct fvec {
	const char *name;
	uint8_t type;
	uint16_t seq;
	uint32_t crc;
	const char *payload;
	const char *wire;
};

static const struct fvec fvecs[] = {
	{ "V-1 HELLO req", 0x01, 0x0001, 0x463c3181u, "",
	    "03 01 01 02 01 01 05 46 3c 31 81 00" },
	{ "V-2 HELLO rsp", 0x81, 0x0001, 0x3fc9133eu,
	    "01 00 00 00 00 01 01 04 00 0d 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 01 42 05 31 2e 34 2e 32 00 08 a1 b2 c3 d4 e5 f6 07 18 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f",
	    "03 01 81 02 01 03 49 01 01 01 01 04 01 01 04 17 0d 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 01 42 05 31 2e 34 2e 32 0a 08 a1 b2 c3 d4 e5 f6 07 18 24 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 3f c9 13 3e 00" },
	{ "V-3 SET_IDENTITY req", 0x02, 0x0002, 0x13f4a52fu,
	    "09 53 4e 2d 30 30 30 31 32 33 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 00 01 86 a0",
	    "03 01 02 02 02 1d 1f 09 53 4e 2d 30 30 30 31 32 33 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 08 01 86 a0 13 f4 a5 2f 00" },
	{ "V-4 SET_IDENTITY rsp", 0x82, 0x0002, 0xb23c459au, "",
	    "03 01 82 02 02 01 05 b2 3c 45 9a 00" },
	{ "V-5 GEN_KEY req", 0x03, 0x0003, 0xa8f6b08cu,
	    "01 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f",
	    "03 01 03 02 03 18 12 01 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f a8 f6 b0 8c 00" },
	{ "V-6 GEN_KEY rsp", 0x83, 0x0003, 0xd09bc7c8u, "01 85",
	    "03 01 83 02 03 08 02 01 85 d0 9b c7 c8 00" },
	{ "V-7 READ_OBJECT req", 0x04, 0x0004, 0xbba4db95u, "01 00 00 01 80 03 f0",
	    "03 01 04 02 04 03 07 01 01 09 01 80 03 f0 bb a4 db 95 00" },
	{ "V-8 READ_OBJECT rsp", 0x84, 0x0004, 0x6187b4b0u,
	    "01 00 00 01 85 00 00 01 80 00 05 de ad be ef 00",
	    "03 01 84 02 04 03 10 01 01 03 01 85 01 03 01 80 06 05 de ad be ef 05 61 87 b4 b0 00" },
	{ "V-9 WRITE_OBJECT req", 0x05, 0x0005, 0x20087ec9u,
	    "02 00 00 03 f4 00 00 03 f0 00 04 a0 a1 a2 a3",
	    "03 01 05 02 05 03 0f 02 01 03 03 f4 01 03 03 f0 0a 04 a0 a1 a2 a3 20 08 7e c9 00" },
	{ "V-10 WRITE_OBJECT rsp", 0x85, 0x0005, 0x16cfaae9u, "00 00 03 f4",
	    "03 01 85 02 05 02 04 01 07 03 f4 16 cf aa e9 00" },
	{ "V-11 INSTALL req", 0x06, 0x0006, 0x67c603a1u,
	    "02 00 00 03 f4 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f",
	    "03 01 06 02 06 03 25 02 01 27 03 f4 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 67 c6 03 a1 00" },
	{ "V-12 INSTALL rsp", 0x86, 0x0006, 0xe5a77232u, "03 00",
	    "03 01 86 02 06 03 02 03 05 e5 a7 72 32 00" },
	{ "V-13 PROVE req", 0x07, 0x0007, 0x78060a9fu,
	    "10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf",
	    "03 01 07 02 07 17 11 10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf 78 06 0a 9f 00" },
	{ "V-14 PROVE rsp", 0x87, 0x0007, 0x69c9d43bu, "00 08 30 06 02 01 01 02 01 02",
	    "03 01 87 02 07 02 0a 0e 08 30 06 02 01 01 02 01 02 69 c9 d4 3b 00" },
	{ "V-15 CONFIRM_PASSWORD req", 0x08, 0x0008, 0x09c9529bu,
	    "10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32",
	    "03 01 08 02 08 17 11 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 09 c9 52 9b 00" },
	{ "V-16 CONFIRM_PASSWORD rsp", 0x88, 0x0008, 0x62506b47u, "01",
	    "03 01 88 02 08 07 01 01 62 50 6b 47 00" },
	{ "V-17 LOCK req", 0x09, 0x0009, 0x785f2bf8u, "",
	    "03 01 09 02 09 01 05 78 5f 2b f8 00" },
	{ "V-18 LOCK rsp", 0x89, 0x0009, 0xa9f9335bu, "04 01",
	    "03 01 89 02 09 08 02 04 01 a9 f9 33 5b 00" },
	{ "V-19 LOCK req again", 0x09, 0x000a, 0x7a1995a1u, "",
	    "03 01 09 02 0a 01 05 7a 19 95 a1 00" },
	{ "V-20 ERROR LOCKED", 0xff, 0x000a, 0xc9dce380u,
	    "00 04 09 30 62 6f 61 72 64 20 69 73 20 6c 6f 63 6b 65 64 3b 20 70 72 6f 76 69 73 69 6f 6e 69 6e 67 20 77 72 69 74 65 73 20 61 72 65 20 72 65 66 75 73 65 64",
	    "03 01 ff 02 0a 02 34 38 04 09 30 62 6f 61 72 64 20 69 73 20 6c 6f 63 6b 65 64 3b 20 70 72 6f 76 69 73 69 6f 6e 69 6e 67 20 77 72 69 74 65 73 20 61 72 65 20 72 65 66 75 73 65 64 c9 dc e3 80 00" },
	{ "V-21 unknown type", 0x42, 0x000b, 0x54f896ceu, "",
	    "03 01 42 02 0b 01 05 54 f8 96 ce 00" },
	{ "V-22 ERROR UNKNOWN_TYPE", 0xff, 0x000b, 0x96dbe61fu,
	    "00 01 42 14 75 6e 6b 6e 6f 77 6e 20 72 65 71 75 65 73 74 20 74 79 70 65",
	    "03 01 ff 02 0b 02 18 1c 01 42 14 75 6e 6b 6e 6f 77 6e 20 72 65 71 75 65 73 74 20 74 79 70 65 96 db e6 1f 00" },
	{ "V-23 HELLO req seq ffff", 0x01, 0xffff, 0x276369aau, "",
	    "05 01 01 ff ff 01 05 27 63 69 aa 00" },
};
#define NFVECS (sizeof(fvecs) / sizeof(fvecs[0]))

/* §7.4: invalid frames, each on a fresh receiver. */
static const struct {
	const char *name;
	const char *wire;
	int rc;
} xvecs[] = {
	{ "X-1", "03 01 01 02 01 01 05 46 3c 31 80 00", PRC_CRC },
	{ "X-2", "03 02 01 02 01 01 05 c0 a8 43 2f 00", PRC_VERSION },
	{ "X-3", "01 02 01 02 01 01 05 8d 60 e2 24 00", PRC_VERSION },
	{ "X-4", "05 01 02 00", PRC_COBS },
	{ "X-5", "03 01 01 00", PRC_SHORT },
	{ "X-6", "03 01 01 02 01 06 01 31 3b 01 17 00", PRC_SHORT },
	{ "X-7", "03 01 01 02 01 01 06 46 3c 31 81 55 00", PRC_TRAILING },
	{ "X-8", "03 01 01 08 01 04 01 55 57 c4 13 00", PRC_TOO_LONG },
};

static void
test_crc_vectors(void **state)
{
	uint8_t b[16];
	size_t n;

	(void)state;
	assert_int_equal(crc32_ieee(NULL, 0), 0x00000000u);
	assert_int_equal(crc32_ieee((const uint8_t *)"123456789", 9), 0xcbf43926u);
	n = helpers_hex("01 01 00 01 00 00", b, sizeof(b));
	assert_int_equal(crc32_ieee(b, n), 0x463c3181u);
}

static const struct {
	const char *in;
	const char *out;
} cobs_short[] = {
	{ "", "01" },
	{ "00", "01 01" },
	{ "00 00", "01 01 01" },
	{ "11 22 00 33", "03 11 22 02 33" },
	{ "11 22 33 44", "05 11 22 33 44" },
	{ "11 00 00 00", "02 11 01 01 01" },
};

static void
check_cobs(const uint8_t *in, size_t n, const uint8_t *want, size_t wn)
{
	uint8_t enc[600], dec[600];
	size_t el = 0, dl = 0;

	assert_int_equal(cobs_encode(in, n, enc, sizeof(enc), &el), PRC_OK);
	assert_int_equal(el, wn);
	assert_memory_equal(enc, want, wn);
	assert_null(memchr(enc, 0, el));
	assert_int_equal(cobs_decode(enc, el, dec, sizeof(dec), &dl), PRC_OK);
	assert_int_equal(dl, n);
	if (n != 0)
		assert_memory_equal(dec, in, n);
}

static void
test_cobs_vectors(void **state)
{
	uint8_t in[300], want[300];
	size_t i, n, wn;

	(void)state;
	for (i = 0; i < sizeof(cobs_short) / sizeof(cobs_short[0]); i++) {
		n = helpers_hex(cobs_short[i].in, in, sizeof(in));
		wn = helpers_hex(cobs_short[i].out, want, sizeof(want));
		check_cobs(in, n, want, wn);
	}
	/* 254 bytes 01..fe -> ff 01..fe: canonical, no trailing empty group. */
	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 1);
	want[0] = 0xff;
	memcpy(want + 1, in, 254);
	check_cobs(in, 254, want, 255);
	/* 255 bytes 01..ff -> ff 01..fe 02 ff */
	for (i = 0; i < 255; i++)
		in[i] = (uint8_t)(i + 1);
	want[0] = 0xff;
	memcpy(want + 1, in, 254);
	want[255] = 0x02;
	want[256] = 0xff;
	check_cobs(in, 255, want, 257);
	/* 255 bytes 00..fe -> 01 ff 01..fe */
	for (i = 0; i < 255; i++)
		in[i] = (uint8_t)i;
	want[0] = 0x01;
	want[1] = 0xff;
	for (i = 0; i < 254; i++)
		want[2 + i] = (uint8_t)(i + 1);
	check_cobs(in, 255, want, 256);
	/* 255 bytes 02..ff 00 -> ff 02..ff 01 01 */
	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 2);
	in[254] = 0;
	want[0] = 0xff;
	memcpy(want + 1, in, 254);
	want[255] = 0x01;
	want[256] = 0x01;
	check_cobs(in, 255, want, 257);
	/* 255 bytes 03..ff 00 01 -> fe 03..ff 02 01 */
	for (i = 0; i < 253; i++)
		in[i] = (uint8_t)(i + 3);
	in[253] = 0;
	in[254] = 1;
	want[0] = 0xfe;
	memcpy(want + 1, in, 253);
	want[254] = 0x02;
	want[255] = 0x01;
	check_cobs(in, 255, want, 256);
}

static void
test_cobs_invalid(void **state)
{
	uint8_t in[32], out[64];
	size_t n, ol = 1234;

	(void)state;
	n = helpers_hex("05 01 02", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, sizeof(out), &ol), PRC_COBS);
	n = helpers_hex("02 00 01", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, sizeof(out), &ol), PRC_COBS);
	n = helpers_hex("ff 01 01 01 01 01 01 01 01 01 01", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, sizeof(out), &ol), PRC_COBS);
	n = helpers_hex("00", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, sizeof(out), &ol), PRC_COBS);
	assert_int_equal(ol, 1234); /* untouched on failure */
	/* Output too small, on data and on an implied zero. */
	n = helpers_hex("05 11 22 33 44", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, 3, &ol), PRC_SPACE);
	n = helpers_hex("01 01 01", in, sizeof(in));
	assert_int_equal(cobs_decode(in, n, out, 1, &ol), PRC_SPACE);
	assert_int_equal(cobs_decode(in, n, out, 2, &ol), PRC_OK);
	assert_int_equal(ol, 2);
}

static void
test_cobs_encode_space(void **state)
{
	uint8_t in[300], out[320];
	size_t n, cap, ol, need = 0, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i % 7 == 0 ? 0 : i);
	n = sizeof(in);
	assert_int_equal(cobs_encode(in, n, out, sizeof(out), &need), PRC_OK);
	for (cap = 0; cap < need; cap++) {
		memset(out, GUARD, sizeof(out));
		ol = 4321;
		assert_int_equal(cobs_encode(in, n, out, cap, &ol), PRC_SPACE);
		assert_int_equal(ol, 4321);
		for (i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], GUARD);
	}
}

static void
test_frame_vectors(void **state)
{
	uint8_t payload[FRAME_MAX_PAYLOAD], wire[FRAME_MAX_WIRE], out[FRAME_MAX_WIRE];
	uint8_t scratch[FRAME_MAX], raw[FRAME_MAX];
	struct frame f;
	size_t i, pn, wn, ol, rl, k;
	static struct frame_rx rx;
	int r;

	(void)state;
	for (i = 0; i < NFVECS; i++) {
		pn = helpers_hex(fvecs[i].payload, payload, sizeof(payload));
		wn = helpers_hex(fvecs[i].wire, wire, sizeof(wire));
		/* encode */
		assert_int_equal(frame_encode(fvecs[i].type, fvecs[i].seq, payload, pn, out,
		    sizeof(out), &ol), PRC_OK);
		assert_int_equal(ol, wn);
		assert_memory_equal(out, wire, wn);
		/* the CRC printed in the document */
		assert_int_equal(cobs_decode(wire, wn - 1, raw, sizeof(raw), &rl), PRC_OK);
		assert_int_equal(rl, FRAME_HDR_LEN + pn + FRAME_CRC_LEN);
		assert_int_equal(crc32_ieee(raw, rl - 4), fvecs[i].crc);
		/* decode */
		memset(&f, 0, sizeof(f));
		assert_int_equal(frame_decode(wire, wn - 1, scratch, sizeof(scratch), &f), PRC_OK);
		assert_int_equal(f.version, 1);
		assert_int_equal(f.type, fvecs[i].type);
		assert_int_equal(f.seq, fvecs[i].seq);
		assert_int_equal(f.len, pn);
		if (pn != 0)
			assert_memory_equal(f.payload, payload, pn);
		/* streaming: nothing until the delimiter, then exactly one frame */
		frame_rx_init(&rx);
		for (k = 0; k < wn; k++) {
			r = frame_rx_push(&rx, wire[k], &f);
			assert_int_equal(r, k + 1 == wn ? 1 : 0);
		}
		assert_int_equal(f.type, fvecs[i].type);
		assert_int_equal(f.seq, fvecs[i].seq);
		assert_int_equal(f.len, pn);
		assert_true(f.payload >= rx.dec && f.payload <= rx.dec + sizeof(rx.dec));
		if (pn != 0)
			assert_memory_equal(f.payload, payload, pn);
		assert_int_equal(rx.bad, 0);
	}
}

/* Every strict prefix of every vector is refused, and the receiver then takes the full frame. */
static void
test_frame_truncated(void **state)
{
	uint8_t wire[FRAME_MAX_WIRE], scratch[FRAME_MAX];
	struct frame f;
	static struct frame_rx rx;
	size_t i, wn, k, j;
	int r;

	(void)state;
	for (i = 0; i < NFVECS; i++) {
		wn = helpers_hex(fvecs[i].wire, wire, sizeof(wire));
		for (k = 0; k + 1 < wn; k++) {
			assert_int_not_equal(frame_decode(wire, k, scratch, sizeof(scratch), &f),
			    PRC_OK);
			frame_rx_init(&rx);
			for (j = 0; j < k; j++)
				assert_int_equal(frame_rx_push(&rx, wire[j], &f), 0);
			r = frame_rx_push(&rx, 0x00, &f);
			assert_true(k == 0 ? r == 0 : r < 0);
			for (j = 0; j < wn; j++)
				r = frame_rx_push(&rx, wire[j], &f);
			assert_int_equal(r, 1);
			assert_int_equal(f.seq, fvecs[i].seq);
		}
	}
}

/* A single flipped bit anywhere in the frame is detected (CRC-32 catches every 1-bit error). */
static void
test_frame_bitflip(void **state)
{
	uint8_t wire[FRAME_MAX_WIRE], raw[FRAME_MAX], enc[FRAME_MAX_WIRE], scratch[FRAME_MAX];
	struct frame f;
	size_t i, wn, rl, el, b;

	(void)state;
	for (i = 0; i < NFVECS; i++) {
		wn = helpers_hex(fvecs[i].wire, wire, sizeof(wire));
		assert_int_equal(cobs_decode(wire, wn - 1, raw, sizeof(raw), &rl), PRC_OK);
		for (b = 0; b < rl * 8; b++) {
			raw[b / 8] ^= (uint8_t)(1u << (b % 8));
			assert_int_equal(cobs_encode(raw, rl, enc, sizeof(enc), &el), PRC_OK);
			assert_int_not_equal(frame_decode(enc, el, scratch, sizeof(scratch), &f),
			    PRC_OK);
			raw[b / 8] ^= (uint8_t)(1u << (b % 8));
		}
	}
}

static void
test_frame_invalid(void **state)
{
	uint8_t wire[64];
	struct frame f;
	static struct frame_rx rx;
	size_t i, wn, k;
	int r = 0;

	(void)state;
	for (i = 0; i < sizeof(xvecs) / sizeof(xvecs[0]); i++) {
		wn = helpers_hex(xvecs[i].wire, wire, sizeof(wire));
		frame_rx_init(&rx);
		for (k = 0; k < wn; k++) {
			r = frame_rx_push(&rx, wire[k], &f);
			if (k + 1 < wn)
				assert_int_equal(r, 0);
		}
		if (r != xvecs[i].rc)
			fail_msg("%s: got %d want %d", xvecs[i].name, r, xvecs[i].rc);
		assert_int_equal(rx.bad, 1);
	}
}

static void
push_all(struct frame_rx *rx, const uint8_t *p, size_t n, int *last, struct frame *f)
{
	size_t k;

	for (k = 0; k < n; k++)
		*last = frame_rx_push(rx, p[k], f);
}

static void
test_rx_empty_and_noise(void **state)
{
	uint8_t hello[16];
	size_t hn;
	struct frame f;
	static struct frame_rx rx;
	int r;

	(void)state;
	hn = helpers_hex(fvecs[0].wire, hello, sizeof(hello));
	frame_rx_init(&rx);
	/* empty blocks are ignored, not counted. */
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), 0);
	assert_int_equal(rx.bad, 0);
	/* noise, then a frame. */
	assert_int_equal(frame_rx_push(&rx, 0xff, &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0xff, &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), PRC_COBS);
	assert_int_equal(rx.bad, 1);
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
	assert_int_equal(f.type, MSG_HELLO);
	/* Two frames back to back, with a flush delimiter between. */
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), 0);
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
	assert_int_equal(rx.bad, 1);
}

static void
test_rx_oversize(void **state)
{
	uint8_t hello[16];
	size_t hn, k;
	struct frame f;
	static struct frame_rx rx;
	int r;

	(void)state;
	hn = helpers_hex(fvecs[0].wire, hello, sizeof(hello));
	/* a block of FRAME_MAX_WIRE + 1 bytes overflows and is reported once. */
	frame_rx_init(&rx);
	for (k = 0; k < FRAME_MAX_WIRE + 1; k++)
		assert_int_equal(frame_rx_push(&rx, 0x01, &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), PRC_TOO_LONG);
	assert_int_equal(rx.bad, 1);
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
	assert_int_equal(f.seq, 1);
	/* A much longer run of noise with a complete frame inside is still one bad block, and
	 * the frame inside is lost with it (it had no delimiter before it). */
	for (k = 0; k < 5000; k++)
		assert_int_equal(frame_rx_push(&rx, (uint8_t)(k % 255 + 1), &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), PRC_TOO_LONG);
	assert_int_equal(rx.bad, 2);
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
	/* Exactly FRAME_MAX_WIRE bytes fit the buffer: decoded and refused, not an overflow. */
	for (k = 0; k < FRAME_MAX_WIRE; k++)
		assert_int_equal(frame_rx_push(&rx, 0x01, &f), 0);
	assert_int_equal(frame_rx_push(&rx, 0x00, &f), PRC_TOO_LONG);
	assert_int_equal(rx.overflow, 0);
	assert_int_equal(rx.bad, 3);
	push_all(&rx, hello, hn, &r, &f);
	assert_int_equal(r, 1);
}

static void
test_frame_max_payload(void **state)
{
	static uint8_t payload[FRAME_MAX_PAYLOAD + 1], wire[FRAME_MAX_WIRE + 8];
	static struct frame_rx rx;
	struct frame f;
	size_t wl = 0, i;
	int fill, r;

	(void)state;
	for (fill = 0; fill < 3; fill++) {
		for (i = 0; i < sizeof(payload); i++)
			payload[i] = fill == 0 ? 0x00 : fill == 1 ? 0xff : (uint8_t)i;
		assert_int_equal(frame_encode(0x05, 0x1234, payload, FRAME_MAX_PAYLOAD, wire,
		    FRAME_MAX_WIRE, &wl), PRC_OK);
		assert_true(wl <= FRAME_MAX_WIRE);
		assert_int_equal(wire[wl - 1], 0x00);
		assert_null(memchr(wire, 0, wl - 1));
		frame_rx_init(&rx);
		push_all(&rx, wire, wl, &r, &f);
		assert_int_equal(r, 1);
		assert_int_equal(f.len, FRAME_MAX_PAYLOAD);
		assert_memory_equal(f.payload, payload, FRAME_MAX_PAYLOAD);
	}
	assert_int_equal(frame_encode(0x05, 1, payload, FRAME_MAX_PAYLOAD + 1, wire,
	    sizeof(wire), &wl), PRC_TOO_LONG);
}

static void
test_frame_encode_space(void **state)
{
	uint8_t payload[64], out[128];
	size_t i, cap, need = 0, ol;

	(void)state;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 37);
	assert_int_equal(frame_encode(0x84, 7, payload, sizeof(payload), out, sizeof(out), &need),
	    PRC_OK);
	for (cap = 0; cap < need; cap++) {
		memset(out, GUARD, sizeof(out));
		ol = 999;
		assert_int_equal(frame_encode(0x84, 7, payload, sizeof(payload), out, cap, &ol),
		    PRC_SPACE);
		assert_int_equal(ol, 999);
		for (i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], GUARD);
	}
}

static void
test_frame_decode_small_scratch(void **state)
{
	uint8_t wire[128], scratch[FRAME_MAX];
	struct frame f;
	size_t wn;

	(void)state;
	wn = helpers_hex(fvecs[1].wire, wire, sizeof(wire));
	assert_int_equal(frame_decode(wire, wn - 1, scratch, 20, &f), PRC_TOO_LONG);
	assert_int_equal(frame_decode(wire, 0, scratch, sizeof(scratch), &f), PRC_SHORT);
}

static void
test_names(void **state)
{
	int rc;
	unsigned c;

	(void)state;
	for (rc = 0; rc >= -11; rc--)
		assert_non_null(proto_strerror(rc));
	assert_string_equal(proto_strerror(PRC_CRC), "frame CRC mismatch");
	assert_string_equal(proto_strerror(12345), "unknown codec error");
	for (c = 0; c < 20; c++)
		assert_non_null(proto_errname(c));
	assert_string_equal(proto_errname(PERR_BAD_STATE), "BAD_STATE");
	assert_string_equal(proto_errname(PERR_INTERNAL), "INTERNAL");
	assert_string_equal(proto_errname(0), "UNKNOWN");
	assert_string_equal(proto_statename(ST_LOCKED), "LOCKED");
	assert_string_equal(proto_statename(ST_BLANK), "BLANK");
	assert_string_equal(proto_statename(5), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_vectors),
		cmocka_unit_test(test_cobs_vectors),
		cmocka_unit_test(test_cobs_invalid),
		cmocka_unit_test(test_cobs_encode_space),
		cmocka_unit_test(test_frame_vectors),
		cmocka_unit_test(test_frame_truncated),
		cmocka_unit_test(test_frame_bitflip),
		cmocka_unit_test(test_frame_invalid),
		cmocka_unit_test(test_rx_empty_and_noise),
		cmocka_unit_test(test_rx_oversize),
		cmocka_unit_test(test_frame_max_payload),
		cmocka_unit_test(test_frame_encode_space),
		cmocka_unit_test(test_frame_decode_small_scratch),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
