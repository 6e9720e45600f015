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
#include "conform-vectors.h"


/* §7.3 frames and §7.4 invalid frames: the shared tables of station/conform/conform-vectors.c
 * (the same vectors `station conform` runs). */
#define fvecs cv_frames
#define NFVECS cv_nframes
#define xvecs cv_bad_frames

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

#define cobs_short cv_cobs_short

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
	for (i = 0; i < cv_ncobs_short; i++) {
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
	/* the shared tables hold every vector of the document */
	assert_int_equal(NFVECS, 31);
	assert_int_equal(cv_nbad_frames, 8);
	assert_int_equal(cv_ncobs_short, 6);
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
	for (i = 0; i < cv_nbad_frames; i++) {
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
