/*
 * fuzz-sigproto.c: libFuzzer target for the station-signer codec (sigproto.h). Every input is
 * decoded twice: whole, as a request (its first byte is the op), and, after its first byte, as
 * the reply to the op that byte names. A body that decodes must encode back to exactly the same
 * bytes (the encoding is canonical, docs/signer-protocol.md S-11) and decode again to the same
 * fields; an encoder given one byte less room must fail with PRC_SPACE and write nothing past it.
 * The same bytes are then taken a third way, as the memory image of a request (and, after the
 * first byte, of a reply) to encode: whatever an encoder accepts, the decoder must accept and
 * encode back to the same bytes (S-10: encoders refuse what the decoders refuse). The images
 * depend on the struct layout, so such corpus files are only meaningful on one ABI; elsewhere
 * they are ordinary inputs. abort() on any mismatch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 0xa5

/* The decoders zero their struct first, so two messages compare as memory once the pointers
 * into the encoded bytes are compared by content. */
static int
same_req(const struct sigp_req *a, const struct sigp_req *b)
{
	struct sigp_req x, y;

	memcpy(&x, a, sizeof(x)); /* padding included */
	memcpy(&y, b, sizeof(y));
	if (x.csr_len != y.csr_len || (x.csr_len != 0 && memcmp(x.csr, y.csr, x.csr_len) != 0))
		return 0;
	x.csr = y.csr = NULL;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static int
same_rsp(const struct sigp_rsp *a, const struct sigp_rsp *b)
{
	struct sigp_rsp x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	if (x.blob_len != y.blob_len ||
	    (x.blob_len != 0 && memcmp(x.blob, y.blob, x.blob_len) != 0))
		return 0;
	x.blob = y.blob = NULL;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* A decoder returns 0 or one of the codec's negative results, nothing else. */
static void
check_rc(int r)
{
	if (r != PRC_OK && r != PRC_SHORT && r != PRC_TOO_LONG && r != PRC_TRAILING &&
	    r != PRC_CHARSET && r != PRC_SPACE && r != PRC_VALUE)
		abort();
}

static void
guarded(const uint8_t *out, size_t from, size_t cap)
{
	for (; from < cap; from++)
		if (out[from] != GUARD)
			abort();
}

static void
fuzz_req(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	struct sigp_req a, b;
	size_t ol = 0;
	int r;

	r = sigp_dec_req(p, n, &a);
	check_rc(r);
	if (r != PRC_OK)
		return;
	/* S-6: every valid message fits the frame limit. */
	if (n > CAP_SIGNER_MSG)
		abort();
	if (sigp_enc_req(&a, out, cap, &ol) != PRC_OK || ol != n || memcmp(out, p, n) != 0)
		abort();
	memset(&b, 0x77, sizeof(b));
	if (sigp_dec_req(out, ol, &b) != PRC_OK || !same_req(&a, &b))
		abort();
	memset(out, GUARD, cap);
	ol = 7777;
	if (sigp_enc_req(&a, out, n - 1, &ol) != PRC_SPACE || ol != 7777)
		abort();
	guarded(out, n - 1, cap);
}

static void
fuzz_rsp(uint8_t op, const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	struct sigp_rsp a, b;
	size_t ol = 0;
	int r;

	r = sigp_dec_rsp(op, p, n, &a);
	check_rc(r);
	if (r != PRC_OK)
		return;
	if (n > CAP_SIGNER_MSG)
		abort();
	if (sigp_enc_rsp(op, &a, out, cap, &ol) != PRC_OK || ol != n || memcmp(out, p, n) != 0)
		abort();
	memset(&b, 0x77, sizeof(b));
	if (sigp_dec_rsp(op, out, ol, &b) != PRC_OK || !same_rsp(&a, &b))
		abort();
	memset(out, GUARD, cap);
	ol = 7777;
	if (sigp_enc_rsp(op, &a, out, n - 1, &ol) != PRC_SPACE || ol != 7777)
		abort();
	guarded(out, n - 1, cap);
}

/* Room for any CSR or blob length an encoder could accept, so a pointer is never read past. */
static uint8_t payload[SIGP_MAX_BLOB + 1];
static uint8_t enc1[CAP_SIGNER_MSG], enc2[CAP_SIGNER_MSG];

static void
fuzz_req_image(const uint8_t *data, size_t size)
{
	struct sigp_req q, back;
	size_t n1 = 0, n2 = 0;
	int r;

	memset(&q, 0, sizeof(q));
	memcpy(&q, data, size < sizeof(q) ? size : sizeof(q));
	q.csr = payload;
	if (sigp_enc_req(&q, enc1, sizeof(enc1), &n1) != PRC_OK)
		return;
	r = sigp_dec_req(enc1, n1, &back);
	if (r != PRC_OK || sigp_enc_req(&back, enc2, sizeof(enc2), &n2) != PRC_OK || n2 != n1 ||
	    memcmp(enc1, enc2, n1) != 0)
		abort();
}

static void
fuzz_rsp_image(uint8_t op, const uint8_t *data, size_t size)
{
	struct sigp_rsp p, back;
	size_t n1 = 0, n2 = 0;
	int r;

	memset(&p, 0, sizeof(p));
	memcpy(&p, data, size < sizeof(p) ? size : sizeof(p));
	p.blob = payload;
	if (sigp_enc_rsp(op, &p, enc1, sizeof(enc1), &n1) != PRC_OK)
		return;
	r = sigp_dec_rsp(op, enc1, n1, &back);
	if (r != PRC_OK || sigp_enc_rsp(op, &back, enc2, sizeof(enc2), &n2) != PRC_OK || n2 != n1 ||
	    memcmp(enc1, enc2, n1) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;

	/* Exactly the input's size plus one: a longer encoding fails (PRC_SPACE, then abort) and
	 * a write past it is caught by AddressSanitizer. */
	if ((out = malloc(size + 1)) == NULL)
		return 0;
	fuzz_req(data, size, out, size + 1);
	if (size >= 1)
		fuzz_rsp(data[0], data + 1, size - 1, out, size + 1);
	free(out);
	fuzz_req_image(data, size);
	if (size >= 1)
		fuzz_rsp_image(data[0], data + 1, size - 1);
	return 0;
}
