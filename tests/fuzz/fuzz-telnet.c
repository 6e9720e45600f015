/*
 * fuzz-telnet.c: libFuzzer target for the Telnet / RFC 2217 stream parser (telnet.h), both
 * sides. The first byte picks the side and how the input is cut into calls (an IAC and a
 * subnegotiation split across reads); the rest is fed through telnet_input. Checked: data never
 * exceeds the input, the subnegotiation and reply buffers stay in bounds, the same stream cut
 * differently yields the same data and the same state; abort() otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the stream through t in pieces of step bytes; the data into out (*n). 0, or the error. */
static int
run(struct telnet *t, int server, const uint8_t *p, size_t size, size_t step, uint8_t *out,
    size_t *n)
{
	uint8_t buf[TELNET_FEED_MAX];
	size_t off = 0, k, got;
	int r;

	telnet_init(t, server);
	*n = 0;
	while (off < size) {
		k = size - off < step ? size - off : step;
		got = (size_t)-1;
		r = telnet_input(t, p + off, k, buf, sizeof(buf), &got);
		if (got > k || t->sblen > TELNET_SB_MAX || t->outlen > TELNET_OUT_MAX)
			abort();
		memcpy(out + *n, buf, got);
		*n += got;
		t->outlen = 0; /* sent */
		if (r != TELNET_OK) {
			if (r != TELNET_ERR_SB_LONG)
				abort();
			return r;
		}
		off += k;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out1[65536], out2[65536], esc[2 * 65536];
	static struct telnet a, b;
	size_t n1 = 0, n2 = 0, used = 0, k, step;
	int server, r1, r2;

	if (size < 1 || size > sizeof(out1))
		return 0;
	server = data[0] & 1;
	step = (size_t)(data[0] >> 1) % TELNET_FEED_MAX + 1;
	data++;
	size--;
	r1 = run(&a, server, data, size, TELNET_FEED_MAX, out1, &n1);
	r2 = run(&b, server, data, size, step, out2, &n2);
	if (r1 != r2)
		abort();
	if (r1 == 0 && (n1 != n2 || memcmp(out1, out2, n1) != 0 || a.state != b.state ||
	                a.baud != b.baud || a.acks != b.acks || a.refused != b.refused))
		abort();
	if (n1 > size)
		abort();
	/* what decodes, escaped again, decodes to itself */
	k = telnet_escape(out1, n1, esc, sizeof(esc), &used);
	if (used != n1 || k < n1 || k > 2 * n1)
		abort();
	if (run(&a, 0, esc, k, TELNET_FEED_MAX, out2, &n2) != 0 || n2 != n1 ||
	    memcmp(out1, out2, n1) != 0)
		abort();
	return 0;
}
