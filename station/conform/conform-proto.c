/*
 * conform-proto.c: the checks that need no lifecycle: the tool's own codec against the 72
 * vectors of docs/protocol.md section 7, HELLO, the request vectors sent to the board byte for
 * byte, invalid frames (silence, P-32) and invalid payloads (P-31), unknown types (P-10),
 * resynchronisation (P-3), the payload limit (P-6) and retransmission of a read (P-9).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "conform-int.h"
#include "conform-vectors.h"
#include "util.h"

/* ---- the codec against the vectors (offline: the tool checks itself first) ---- */

static int
cobs_case(const uint8_t *in, size_t n, const uint8_t *want, size_t wn)
{
	uint8_t enc[600], dec[600];
	size_t el = 0, dl = 0;

	return cobs_encode(in, n, enc, sizeof(enc), &el) == PRC_OK && el == wn &&
	    memcmp(enc, want, wn) == 0 && cobs_decode(enc, el, dec, sizeof(dec), &dl) == PRC_OK &&
	    dl == n && (n == 0 || memcmp(dec, in, n) == 0);
}

/* The long COBS vectors of section 7.2: runs of 254 and 255 bytes. */
static unsigned
cobs_long(unsigned *bad)
{
	uint8_t in[300], want[300];
	unsigned ok = 0;
	size_t i;

	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 1);
	want[0] = 0xff;
	memcpy(want + 1, in, 254);
	ok += (unsigned)cobs_case(in, 254, want, 255);
	in[254] = 0xff;
	want[255] = 0x02;
	want[256] = 0xff;
	ok += (unsigned)cobs_case(in, 255, want, 257);
	for (i = 0; i < 255; i++)
		in[i] = (uint8_t)i;
	want[0] = 0x01;
	want[1] = 0xff;
	for (i = 0; i < 254; i++)
		want[2 + i] = (uint8_t)(i + 1);
	ok += (unsigned)cobs_case(in, 255, want, 256);
	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 2);
	in[254] = 0;
	want[0] = 0xff;
	memcpy(want + 1, in, 254);
	want[255] = 0x01;
	want[256] = 0x01;
	ok += (unsigned)cobs_case(in, 255, want, 257);
	for (i = 0; i < 253; i++)
		in[i] = (uint8_t)(i + 3);
	in[253] = 0;
	in[254] = 1;
	want[0] = 0xfe;
	memcpy(want + 1, in, 253);
	want[254] = 0x02;
	want[255] = 0x01;
	ok += (unsigned)cobs_case(in, 255, want, 256);
	*bad += 5 - ok;
	return 5;
}

static int
frame_case(const struct cv_frame *v)
{
	uint8_t pay[FRAME_MAX_PAYLOAD], wire[FRAME_MAX_WIRE], out[FRAME_MAX_WIRE], raw[FRAME_MAX];
	size_t pn, wn, ol = 0, rl = 0;
	struct frame f;

	pn = cv_hex(v->payload, pay, sizeof(pay));
	wn = cv_hex(v->wire, wire, sizeof(wire));
	if (pn == CV_HEX_BAD || wn == CV_HEX_BAD || wn < 2)
		return 0;
	if (frame_encode(v->type, v->seq, pay, pn, out, sizeof(out), &ol) != PRC_OK || ol != wn ||
	    memcmp(out, wire, wn) != 0)
		return 0;
	if (cobs_decode(wire, wn - 1, raw, sizeof(raw), &rl) != PRC_OK || rl < 4 ||
	    crc32_ieee(raw, rl - 4) != v->crc)
		return 0;
	if (frame_decode(wire, wn - 1, raw, sizeof(raw), &f) != PRC_OK || f.type != v->type ||
	    f.seq != v->seq || f.len != pn || (pn != 0 && memcmp(f.payload, pay, pn) != 0))
		return 0;
	return 1;
}

/* Feeds wire to a fresh receiver; the result at the last byte. */
static int
rx_result(const uint8_t *w, size_t n, struct frame *f)
{
	static struct frame_rx rx;
	int r = 0;
	size_t i;

	frame_rx_init(&rx);
	for (i = 0; i < n; i++)
		r = frame_rx_push(&rx, w[i], f);
	return r;
}

static int
payload_case(const struct cv_bad_payload *v)
{
	uint8_t p[256];
	union {
		struct msg_cred cd;
		struct msg_set_identity si;
		struct msg_gen_key gk;
		struct msg_read_obj rd;
		struct msg_read_obj_rsp rdr;
		struct msg_write_obj wr;
		struct msg_install in;
		struct msg_state_rsp st;
		struct msg_prove pr;
		struct msg_confirm_pw_rsp cr;
		struct msg_error er;
	} m;
	size_t n = cv_hex(v->payload, p, sizeof(p));
	int r;

	if (n == CV_HEX_BAD)
		return 0;
	switch (v->type) {
	case MSG_HELLO: r = msg_dec_empty(p, n); break;
	case MSG_SET_IDENTITY: r = msg_dec_set_identity(p, n, &m.si); break;
	case MSG_GEN_KEY: r = msg_dec_gen_key(p, n, &m.gk); break;
	case MSG_READ_OBJECT: r = msg_dec_read_obj(p, n, &m.rd); break;
	case MSG_WRITE_OBJECT: r = msg_dec_write_obj(p, n, &m.wr); break;
	case MSG_INSTALL: r = msg_dec_install(p, n, &m.in); break;
	case MSG_PROVE: r = msg_dec_prove(p, n, &m.pr); break;
	case MSG_READ_OBJECT | MSG_RESPONSE: r = msg_dec_read_obj_rsp(p, n, &m.rdr); break;
	case MSG_INSTALL | MSG_RESPONSE: r = msg_dec_state_rsp(p, n, &m.st); break;
	case MSG_CONFIRM_PASSWORD | MSG_RESPONSE: r = msg_dec_confirm_pw_rsp(p, n, &m.cr); break;
	case MSG_SET_CRED: case MSG_CONFIRM_CRED: r = msg_dec_cred(p, n, &m.cd); break;
	case MSG_CONFIRM_CRED | MSG_RESPONSE: r = msg_dec_confirm_pw_rsp(p, n, &m.cr); break;
	case MSG_ERROR: r = msg_dec_error(p, n, &m.er); break;
	default: return 0;
	}
	return r == v->rc;
}

static void
codec_line(struct cx *c, const char *name, const char *what, unsigned n, unsigned bad)
{
	cx_report(c, name, bad == 0 ? CONFORM_PASS : CONFORM_FAIL, what, "%u of %u vectors as "
	    "documented%s", n - bad, n, bad == 0 ? "" : ": this build of the tool is broken");
}

void
cx_codec(struct cx *c)
{
	uint8_t in[1200], want[64];
	unsigned n, bad;
	struct frame f;
	size_t i, k, wn;

	cx_begin(c);
	bad = 0;
	bad += crc32_ieee(NULL, 0) != 0;
	bad += crc32_ieee((const uint8_t *)"123456789", 9) != 0xcbf43926u;
	k = cv_hex("01 01 00 01 00 00", in, sizeof(in));
	bad += k == CV_HEX_BAD || crc32_ieee(in, k) != 0x463c3181u;
	codec_line(c, "codec.crc", "the tool's CRC-32 gives section 7.1", 3, bad);

	bad = 0;
	n = 0;
	for (i = 0; i < cv_ncobs_short; i++, n++) {
		k = cv_hex(cv_cobs_short[i].in, in, sizeof(in));
		wn = cv_hex(cv_cobs_short[i].out, want, sizeof(want));
		bad += k == CV_HEX_BAD || wn == CV_HEX_BAD || !cobs_case(in, k, want, wn);
	}
	n += cobs_long(&bad);
	{
		static const char *const inval[] = { "05 01 02", "02 00 01",
			"ff 01 01 01 01 01 01 01 01 01 01" };
		uint8_t out[64];
		size_t ol;

		for (i = 0; i < 3; i++, n++) {
			k = cv_hex(inval[i], in, sizeof(in));
			bad += k == CV_HEX_BAD || cobs_decode(in, k, out, sizeof(out), &ol) != PRC_COBS;
		}
	}
	codec_line(c, "codec.cobs", "the tool's COBS gives section 7.2", n, bad);

	bad = 0;
	for (i = 0; i < cv_nframes; i++)
		bad += !frame_case(&cv_frames[i]);
	codec_line(c, "codec.frames", "the tool's framing gives V-1..V-31 (section 7.3)",
	    (unsigned)cv_nframes, bad);

	bad = 0;
	n = 0;
	for (i = 0; i < cv_nbad_frames; i++, n++) {
		k = cv_hex(cv_bad_frames[i].wire, in, sizeof(in));
		bad += k == CV_HEX_BAD || rx_result(in, k, &f) != cv_bad_frames[i].rc;
	}
	in[0] = 0; /* */
	bad += rx_result(in, 1, &f) != 0;
	n++;
	{
		static struct frame_rx rx;
		uint8_t v1[16];
		size_t vn = cv_hex(cv_frames[0].wire, v1, sizeof(v1));
		int r10 = 0, r11 = 0, last = 0;

		frame_rx_init(&rx); /* */
		(void)frame_rx_push(&rx, 0xff, &f);
		(void)frame_rx_push(&rx, 0xff, &f);
		r10 = frame_rx_push(&rx, 0x00, &f);
		for (k = 0; k < vn; k++)
			last = frame_rx_push(&rx, v1[k], &f);
		bad += r10 != PRC_COBS || last != 1;
		frame_rx_init(&rx); /* */
		for (k = 0; k < FRAME_MAX_WIRE + 1; k++)
			(void)frame_rx_push(&rx, 0x01, &f);
		r11 = frame_rx_push(&rx, 0x00, &f);
		for (k = 0; k < vn; k++)
			last = frame_rx_push(&rx, v1[k], &f);
		bad += r11 != PRC_TOO_LONG || last != 1;
		n += 2;
	}
	codec_line(c, "codec.invalid-frames", "the tool's receiver gives X-1..X-11 (section 7.4)", n,
	    bad);

	bad = 0;
	for (i = 0; i < cv_nbad_payloads; i++)
		bad += !payload_case(&cv_bad_payloads[i]);
	codec_line(c, "codec.invalid-payloads", "the tool's decoders give Y-1..Y-35 (section 7.5)",
	    (unsigned)cv_nbad_payloads, bad);
}

/* ---- HELLO ---- */

static void
esc(const char *s, char *out, size_t cap)
{
	util_sanitize(s, strlen(s), out, cap);
}

int
cx_identify(struct cx *c)
{
	const struct profile *p = c->o->prof;
	struct msg_hello h2;
	char why[CAP_REASON], a[MSG_MAX_STR * 4 + 1], b[MSG_MAX_STR * 4 + 1], dg[65];
	struct msg_hello *h = &c->hello;

	cx_begin(c);
	if (cx_hello(c, h, why, sizeof(why)) != 0) {
		cx_report(c, "hello.decode", CONFORM_FAIL, "a HELLO response the codec accepts, "
		    "proto_version 1 (P-12)", "%s", why);
		util_why(c->sum->why, sizeof(c->sum->why), "no HELLO answer: %s", why);
		return -1;
	}
	c->have_hello = 1;
	c->max_payload = h->max_payload;
	esc(h->model, c->sum->model, sizeof(c->sum->model));
	esc(h->fw_version, c->sum->fw_version, sizeof(c->sum->fw_version));
	util_hex(h->chip_id, h->chip_id_len, c->sum->chip_hex, sizeof(c->sum->chip_hex));
	cx_report(c, "hello.decode", h->proto_version == PROTO_VERSION ? CONFORM_PASS : CONFORM_FAIL,
	    "a HELLO response the codec accepts, proto_version 1 (P-12)", "proto_version %u, %s, "
	    "model '%s', firmware '%s', chip %s, max_payload %u, caps %08x",
	    h->proto_version, proto_statename(h->state), c->sum->model, c->sum->fw_version,
	    c->sum->chip_hex, h->max_payload, (unsigned)h->caps);

	cx_begin(c);
	esc(p->model, a, sizeof(a));
	cx_report(c, "hello.model", strcmp(h->model, p->model) == 0 ? CONFORM_PASS : CONFORM_FAIL,
	    "the profile's [product] model", "'%s' (profile: '%s')", c->sum->model, a);

	cx_begin(c);
	util_hex(h->fw_digest, sizeof(h->fw_digest), dg, sizeof(dg));
	cx_report(c, "hello.firmware", profile_fw_allowed(p, h->fw_version, h->fw_digest) >= 0 ?
	    CONFORM_PASS : CONFORM_FAIL, "firmware version and SHA-256 on the profile's allow-list",
	    "%s sha256:%s", c->sum->fw_version, dg);

	cx_begin(c);
	if (cx_hello(c, &h2, why, sizeof(why)) != 0) {
		cx_report(c, "hello.stable", CONFORM_FAIL, "a second HELLO describes the same board",
		    "%s", why);
		return 0;
	}
	util_hex(h2.chip_id, h2.chip_id_len, b, sizeof(b));
	if (h2.chip_id_len != h->chip_id_len || memcmp(h2.chip_id, h->chip_id, h->chip_id_len) != 0 ||
	    strcmp(h2.model, h->model) != 0 || strcmp(h2.fw_version, h->fw_version) != 0 ||
	    memcmp(h2.fw_digest, h->fw_digest, sizeof(h->fw_digest)) != 0 || h2.state != h->state ||
	    strcmp(h2.serial, h->serial) != 0 || h2.caps != h->caps ||
	    h2.max_payload != h->max_payload)
		cx_report(c, "hello.stable", CONFORM_FAIL, "a second HELLO describes the same board "
		    "(chip id, model, firmware, state: P-12 changes nothing)", "chip %s then %s",
		    c->sum->chip_hex, b);
	else
		cx_report(c, "hello.stable", CONFORM_PASS, "a second HELLO describes the same board "
		    "(chip id, model, firmware, state: P-12 changes nothing)", "identical");
	return 0;
}

/* ---- the vectors sent to the board ---- */

#define vec cv_find

/* Sends the wire bytes of a vector and waits for the reply to its seq. */
int
cx_send_vec(struct cx *c, const struct cv_frame *v)
{
	uint8_t w[FRAME_MAX_WIRE];
	size_t n = v != NULL ? cv_hex(v->wire, w, sizeof(w)) : CV_HEX_BAD;
	int r;

	if (v == NULL || n == CV_HEX_BAD)
		return CS_IO;
	if ((r = cs_send_raw(&c->s, w, n)) != CS_OK)
		return r;
	return cs_wait(&c->s, v->seq, cs_timeout(&c->s, v->type));
}

static void
vec_requests(struct cx *c)
{
	const struct cv_frame *v;
	struct msg_hello h;
	char seen[160];
	int r;

	if (!cx_sel(c, "vector.V-1"))
		goto v21;
	cx_begin(c);
	v = vec("V-1");
	r = cx_send_vec(c, v);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "vector.V-1", cs_is_response(&c->s, r, MSG_HELLO) &&
	    msg_dec_hello(c->s.rpay, c->s.rlen, &h) == PRC_OK ? CONFORM_PASS : CONFORM_FAIL,
	    "V-1 byte for byte: a HELLO response with seq 0001", "%s", seen);

v21:
	if (!cx_sel(c, "vector.V-21"))
		goto v23;
	cx_begin(c);
	v = vec("V-21");
	r = cx_send_vec(c, v);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "vector.V-21", cs_is_error(&c->s, r, PERR_UNKNOWN_TYPE, 0x42) ? CONFORM_PASS :
	    CONFORM_FAIL, "V-22's code: ERROR UNKNOWN_TYPE (1) to type 0x42, seq 000b", "%s", seen);

v23:
	if (!cx_sel(c, "vector.V-23"))
		return;
	cx_begin(c);
	v = vec("V-23");
	r = cx_send_vec(c, v);
	cs_describe(&c->s, r, seen, sizeof(seen));
	if (!cs_is_response(&c->s, r, MSG_HELLO)) {
		cx_report(c, "vector.V-23", CONFORM_FAIL, "V-23: a HELLO response with seq ffff, then "
		    "one with seq 0000 (P-26)", "%s", seen);
		return;
	}
	{
		uint8_t w[32];
		size_t wl = 0;

		if (frame_encode(MSG_HELLO, 0x0000, NULL, 0, w, sizeof(w), &wl) != PRC_OK ||
		    (r = cs_send_raw(&c->s, w, wl)) != CS_OK || (r = cs_wait(&c->s, 0x0000,
		        cs_timeout(&c->s, MSG_HELLO))) != CS_OK)
			r = r == CS_OK ? CS_IO : r;
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "vector.V-23", cs_is_response(&c->s, r, MSG_HELLO) ? CONFORM_PASS :
		    CONFORM_FAIL, "V-23: a HELLO response with seq ffff, then one with seq 0000 "
		    "(P-26)", "seq ffff answered; seq 0000: %s", seen);
	}
}

/* After an invalid frame: silence for the HELLO timeout, then a HELLO is answered. */
static void
expect_silence(struct cx *c, const char *name, const char *what, const uint8_t *w, size_t n,
    const struct cv_frame *then)
{
	unsigned long bad = 0;
	char seen[160];
	int r;

	cx_begin(c);
	if ((r = cs_send_raw(&c->s, w, n)) != CS_OK) {
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, name, CONFORM_FAIL, what, "%s", seen);
		return;
	}
	if (then != NULL) {
		/* the vector's own frame follows: it is answered, nothing else is */
		r = cx_send_vec(c, then);
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, name, cs_is_response(&c->s, r, MSG_HELLO) ? CONFORM_PASS : CONFORM_FAIL,
		    what, "after the noise, V-1: %s", seen);
		return;
	}
	r = cs_listen(&c->s, cs_timeout(&c->s, MSG_HELLO), &bad);
	if (r != CS_SILENT) {
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, name, CONFORM_FAIL, what, "%s (seq %04x)", seen, c->s.rseq);
		return;
	}
	r = cs_call(&c->s, MSG_HELLO, NULL, 0);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, name, cs_is_response(&c->s, r, MSG_HELLO) ? CONFORM_PASS : CONFORM_FAIL, what,
	    "no reply (%lu bad blocks from the board); the next HELLO: %s", bad, seen);
}

static void
vec_frames(struct cx *c)
{
	static uint8_t big[FRAME_MAX_WIRE + 2];
	uint8_t w[64];
	char name[32];
	size_t i, n;

	for (i = 0; i < cv_nbad_frames; i++) {
		snprintf(name, sizeof(name), "vector.%s", cv_bad_frames[i].name);
		if (!cx_sel(c, name))
			continue;
		n = cv_hex(cv_bad_frames[i].wire, w, sizeof(w));
		if (n == CV_HEX_BAD)
			continue;
		expect_silence(c, name, "no reply to an invalid frame, then in step at the next "
		    "delimiter (P-3, P-32)", w, n, NULL);
	}
	if (cx_sel(c, "vector.X-9")) {
		w[0] = 0;
		expect_silence(c, "vector.X-9", "an empty block is ignored (P-3)", w, 1, NULL);
	}
	if (cx_sel(c, "vector.X-10")) {
		w[0] = w[1] = 0xff;
		w[2] = 0;
		expect_silence(c, "vector.X-10", "noise, a delimiter, then V-1 is answered (P-3)", w, 3,
		    vec("V-1"));
	}
	if (cx_sel(c, "vector.X-11")) {
		memset(big, 0x01, FRAME_MAX_WIRE + 1);
		big[FRAME_MAX_WIRE + 1] = 0;
		expect_silence(c, "vector.X-11", "a block of 1041 bytes is dropped up to its "
		    "delimiter, then V-1 is answered (P-3)", big, FRAME_MAX_WIRE + 2, vec("V-1"));
	}
}

static void
vec_payloads(struct cx *c)
{
	char name[32], exp[128], seen[160];
	uint8_t p[256];
	uint16_t code;
	size_t i, n;
	int r;

	for (i = 0; i < cv_nbad_payloads; i++) {
		const struct cv_bad_payload *v = &cv_bad_payloads[i];

		if (v->type & MSG_RESPONSE) /* a reply decoder's vector: codec.invalid-payloads */
			continue;
		snprintf(name, sizeof(name), "vector.%s", v->name);
		if (!cx_sel(c, name))
			continue;
		cx_begin(c);
		/* P-53: the credential requests are checked on a board that announces a kind */
		if ((v->type == MSG_SET_CRED || v->type == MSG_CONFIRM_CRED) &&
		    !(c->hello.caps & (CAP_CRED_WIFI | CAP_CRED_MATTER))) {
			cx_skip(c, name, "the board announces no credential kind (HELLO caps bits 9, 10)");
			continue;
		}
		if ((n = cv_hex(v->payload, p, sizeof(p))) == CV_HEX_BAD)
			continue;
		code = v->rc == PRC_VALUE ? PERR_BAD_ARG : PERR_BAD_LENGTH;
		snprintf(exp, sizeof(exp), "ERROR %s (%u) to type 0x%02x (%s, P-31)",
		    proto_errname(code), code, v->type, proto_strerror(v->rc));
		r = cs_call(&c->s, v->type, p, n);
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, name, cs_is_error(&c->s, r, code, v->type) ? CONFORM_PASS : CONFORM_FAIL,
		    exp, "%s", seen);
	}
}

static void
unknown_types(struct cx *c)
{
	static const uint8_t types[] = { 0x00, 0x0c, 0x42, 0x7f, 0x80, 0x81, 0x85, 0x89, 0x8b,
		0xfe, 0xff };
	char seen[160] = "all refused";
	size_t i;
	int r;

	cx_begin(c);
	for (i = 0; i < sizeof(types); i++) {
		r = cs_call(&c->s, types[i], NULL, 0);
		if (!cs_is_error(&c->s, r, PERR_UNKNOWN_TYPE, types[i])) {
			char d[120];

			cs_describe(&c->s, r, d, sizeof(d));
			snprintf(seen, sizeof(seen), "type 0x%02x: %s", types[i], d);
			cx_report(c, "types.unknown", CONFORM_FAIL, "ERROR UNKNOWN_TYPE (1) echoing the "
			    "type, for 0x00 0x0c 0x42 0x7f 0x80 0x81 0x85 0x89 0x8b 0xfe 0xff (P-10)", "%s",
			    seen);
			return;
		}
	}
	cx_report(c, "types.unknown", CONFORM_PASS, "ERROR UNKNOWN_TYPE (1) echoing the type, for "
	    "0x00 0x0c 0x42 0x7f 0x80 0x81 0x85 0x89 0x8b 0xfe 0xff (P-10)", "%s", seen);
}

static void
resync(struct cx *c)
{
	uint8_t w[128 + FRAME_MAX_WIRE];
	size_t i, n = 0, hl = 0;
	char seen[160];
	int r;

	if (cx_sel(c, "resync.noise")) {
		cx_begin(c);
		(void)RAND_bytes(w, 64);
		for (i = 0; i < 64; i++)
			if (w[i] == 0)
				w[i] = 0x5a;
		w[64] = 0;
		if ((r = cs_send_raw(&c->s, w, 65)) == CS_OK)
			r = cs_call(&c->s, MSG_HELLO, NULL, 0);
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "resync.noise", cs_is_response(&c->s, r, MSG_HELLO) ? CONFORM_PASS :
		    CONFORM_FAIL, "64 bytes of noise and a delimiter cost nothing: the next HELLO is "
		    "answered (P-3)", "%s", seen);
	}
	if (cx_sel(c, "resync.truncated")) {
		uint16_t seq = (uint16_t)(c->s.seq + 1u);

		cx_begin(c);
		c->s.seq = seq; /* the half frame uses a seq of its own, never answered */
		if (frame_encode(MSG_HELLO, seq, NULL, 0, w, sizeof(w), &hl) != PRC_OK)
			return;
		n = hl / 2;
		w[n++] = 0;
		if ((r = cs_send_raw(&c->s, w, n)) == CS_OK) {
			unsigned long bad = 0;

			r = cs_listen(&c->s, cs_timeout(&c->s, MSG_HELLO), &bad);
			if (r == CS_OK) {
				cs_describe(&c->s, r, seen, sizeof(seen));
				cx_report(c, "resync.truncated", CONFORM_FAIL, "half a frame and a "
				    "delimiter: no reply; the next HELLO is answered (P-3)",
				    "the half frame was answered: %s", seen);
				return;
			}
			if (r == CS_SILENT)
				r = cs_call(&c->s, MSG_HELLO, NULL, 0);
		}
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, "resync.truncated", cs_is_response(&c->s, r, MSG_HELLO) ? CONFORM_PASS :
		    CONFORM_FAIL, "half a frame and a delimiter: no reply; the next HELLO is answered "
		    "(P-3)", "%s", seen);
	}
}

/* P-6: a request longer than the board's max_payload is refused with BAD_LENGTH, in any state
 * (here a WRITE_OBJECT that would otherwise be well-formed). */
static void
max_payload(struct cx *c)
{
	static uint8_t p[FRAME_MAX_PAYLOAD + 16], data[MSG_MAX_CHUNK];
	struct msg_write_obj m;
	char seen[160];
	size_t n = 0;
	int r;

	cx_begin(c);
	if (c->max_payload >= FRAME_MAX_PAYLOAD) {
		cx_skip(c, "size.max-payload", "max_payload is 1024: a longer frame is vector.X-8");
		return;
	}
	if (c->max_payload + 1u - 11u > MSG_MAX_CHUNK) {
		cx_skip(c, "size.max-payload", "max_payload above 1018: one byte more does not fit a "
		    "WRITE_OBJECT chunk");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.obj = OBJ_CHAIN;
	m.total = MSG_MAX_CHAIN;
	m.offset = 0;
	m.data = data; /* any bytes: the request is refused before they matter */
	m.data_len = (uint16_t)(c->max_payload + 1u - 11u);
	if (msg_enc_write_obj(&m, p, sizeof(p), &n) != PRC_OK || n != c->max_payload + 1u)
		return;
	r = cs_call(&c->s, MSG_WRITE_OBJECT, p, n);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, "size.max-payload", cs_is_error(&c->s, r, PERR_BAD_LENGTH, MSG_WRITE_OBJECT) ?
	    CONFORM_PASS : CONFORM_FAIL, "a request of max_payload + 1 bytes: ERROR BAD_LENGTH (2) "
	    "(P-6)", "%zu bytes: %s", n, seen);
}

/* P-9 on a read and on a refusal: the same seq and type give the same reply, byte for byte. */
static void
retransmit(struct cx *c, const char *name, uint8_t type, const char *what)
{
	uint8_t first[FRAME_MAX_PAYLOAD];
	uint8_t ftype;
	size_t flen;
	char seen[160];
	int r;

	cx_begin(c);
	r = cs_call(&c->s, type, NULL, 0);
	if (r != CS_OK) {
		cs_describe(&c->s, r, seen, sizeof(seen));
		cx_report(c, name, CONFORM_FAIL, what, "first transmission: %s", seen);
		return;
	}
	ftype = c->s.rtype;
	flen = c->s.rlen;
	memcpy(first, c->s.rpay, flen);
	r = cs_resend(&c->s);
	cs_describe(&c->s, r, seen, sizeof(seen));
	cx_report(c, name, r == CS_OK && c->s.rtype == ftype && c->s.rlen == flen &&
	    memcmp(first, c->s.rpay, flen) == 0 ? CONFORM_PASS : CONFORM_FAIL, what,
	    "retransmission: %s%s", seen, r == CS_OK && (c->s.rtype != ftype || c->s.rlen != flen ||
	    memcmp(first, c->s.rpay, flen) != 0) ? ", not the same reply" : ", the same reply");
}

void
cx_proto(struct cx *c)
{
	vec_requests(c);
	vec_frames(c);
	vec_payloads(c);
	if (cx_sel(c, "types.unknown"))
		unknown_types(c);
	resync(c);
	if (cx_sel(c, "size.max-payload"))
		max_payload(c);
	if (cx_sel(c, "retransmit.hello"))
		retransmit(c, "retransmit.hello", MSG_HELLO, "a HELLO sent again with its seq gets "
		    "the same reply (P-9)");
	if (cx_sel(c, "retransmit.error"))
		retransmit(c, "retransmit.error", 0x42, "a refused request sent again with its seq "
		    "gets the same ERROR reply (P-9)");
}
