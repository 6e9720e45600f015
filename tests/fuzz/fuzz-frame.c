/*
 * fuzz-frame.c: libFuzzer target for the framing layer (frame.h): the whole input as one block
 * for frame_decode, then byte by byte through the streaming receiver. Every frame that decodes is
 * encoded again and must decode to the same fields; abort() on any mismatch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(const struct frame *f)
{
	static uint8_t wire[FRAME_MAX_WIRE], scratch[FRAME_MAX];
	struct frame g;
	size_t wl = 0;

	if (f->version != PROTO_VERSION || f->len > FRAME_MAX_PAYLOAD)
		abort();
	if (frame_encode(f->type, f->seq, f->payload, f->len, wire, sizeof(wire), &wl) != PRC_OK)
		abort();
	if (wl < 2 || wl > FRAME_MAX_WIRE || wire[wl - 1] != 0x00 || memchr(wire, 0, wl - 1) != NULL)
		abort();
	if (frame_decode(wire, wl - 1, scratch, sizeof(scratch), &g) != PRC_OK)
		abort();
	if (g.version != f->version || g.type != f->type || g.seq != f->seq || g.len != f->len ||
	    (f->len != 0 && memcmp(g.payload, f->payload, f->len) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t scratch[FRAME_MAX];
	static struct frame_rx rx;
	struct frame f;
	unsigned long rejected = 0;
	size_t i;
	int r;

	r = frame_decode(data, size, scratch, sizeof(scratch), &f);
	if (r == PRC_OK)
		check_roundtrip(&f);
	else if (r > 0 || r < PRC_VALUE)
		abort();

	frame_rx_init(&rx);
	for (i = 0; i <= size; i++) {
		/* a final delimiter flushes whatever is left */
		r = frame_rx_push(&rx, i < size ? data[i] : 0x00, &f);
		if (r == 1)
			check_roundtrip(&f);
		else if (r < 0)
			rejected++;
		else if (r != 0)
			abort();
		if (rx.n > sizeof(rx.wire))
			abort();
	}
	if (rejected != rx.bad || rx.n != 0 || rx.overflow != 0)
		abort();
	return 0;
}
