/*
 * test-msg.c: payload codecs (msg.h) and cursors (cursor.h), against the payloads of
 * docs/protocol.md §7.3 and §7.5. Keep the hex strings identical to the document.
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
#include "msg.h"
#include "proto.h"
#include "conform-vectors.h"


/* ---- one dispatcher over every codec, for the generic checks ---- */

enum kind {
	K_EMPTY, K_HELLO, K_SET_ID, K_GEN_KEY, K_GEN_KEY_RSP, K_READ, K_READ_RSP, K_WRITE,
	K_WRITE_RSP, K_INSTALL, K_STATE_RSP, K_PROVE, K_PROVE_RSP, K_CONFIRM, K_CONFIRM_RSP,
	K_ERROR, K_CRED, K_COUNT
};

union anymsg {
	struct msg_hello hello;
	struct msg_set_identity set_id;
	struct msg_gen_key gen_key;
	struct msg_gen_key_rsp gen_key_rsp;
	struct msg_read_obj read;
	struct msg_read_obj_rsp read_rsp;
	struct msg_write_obj write;
	struct msg_write_obj_rsp write_rsp;
	struct msg_install install;
	struct msg_state_rsp state_rsp;
	struct msg_prove prove;
	struct msg_prove_rsp prove_rsp;
	struct msg_confirm_pw confirm;
	struct msg_confirm_pw_rsp confirm_rsp;
	struct msg_error error;
	struct msg_cred cred;
};

static int
dec_any(enum kind k, const uint8_t *p, size_t n, union anymsg *m)
{
	switch (k) {
	case K_EMPTY: return msg_dec_empty(p, n);
	case K_HELLO: return msg_dec_hello(p, n, &m->hello);
	case K_SET_ID: return msg_dec_set_identity(p, n, &m->set_id);
	case K_GEN_KEY: return msg_dec_gen_key(p, n, &m->gen_key);
	case K_GEN_KEY_RSP: return msg_dec_gen_key_rsp(p, n, &m->gen_key_rsp);
	case K_READ: return msg_dec_read_obj(p, n, &m->read);
	case K_READ_RSP: return msg_dec_read_obj_rsp(p, n, &m->read_rsp);
	case K_WRITE: return msg_dec_write_obj(p, n, &m->write);
	case K_WRITE_RSP: return msg_dec_write_obj_rsp(p, n, &m->write_rsp);
	case K_INSTALL: return msg_dec_install(p, n, &m->install);
	case K_STATE_RSP: return msg_dec_state_rsp(p, n, &m->state_rsp);
	case K_PROVE: return msg_dec_prove(p, n, &m->prove);
	case K_PROVE_RSP: return msg_dec_prove_rsp(p, n, &m->prove_rsp);
	case K_CONFIRM: return msg_dec_confirm_pw(p, n, &m->confirm);
	case K_CONFIRM_RSP: return msg_dec_confirm_pw_rsp(p, n, &m->confirm_rsp);
	case K_ERROR: return msg_dec_error(p, n, &m->error);
	case K_CRED: return msg_dec_cred(p, n, &m->cred);
	default: fail(); return -1;
	}
}

static int
enc_any(enum kind k, const union anymsg *m, uint8_t *out, size_t cap, size_t *len)
{
	switch (k) {
	case K_EMPTY: *len = 0; return PRC_OK;
	case K_HELLO: return msg_enc_hello(&m->hello, out, cap, len);
	case K_SET_ID: return msg_enc_set_identity(&m->set_id, out, cap, len);
	case K_GEN_KEY: return msg_enc_gen_key(&m->gen_key, out, cap, len);
	case K_GEN_KEY_RSP: return msg_enc_gen_key_rsp(&m->gen_key_rsp, out, cap, len);
	case K_READ: return msg_enc_read_obj(&m->read, out, cap, len);
	case K_READ_RSP: return msg_enc_read_obj_rsp(&m->read_rsp, out, cap, len);
	case K_WRITE: return msg_enc_write_obj(&m->write, out, cap, len);
	case K_WRITE_RSP: return msg_enc_write_obj_rsp(&m->write_rsp, out, cap, len);
	case K_INSTALL: return msg_enc_install(&m->install, out, cap, len);
	case K_STATE_RSP: return msg_enc_state_rsp(&m->state_rsp, out, cap, len);
	case K_PROVE: return msg_enc_prove(&m->prove, out, cap, len);
	case K_PROVE_RSP: return msg_enc_prove_rsp(&m->prove_rsp, out, cap, len);
	case K_CONFIRM: return msg_enc_confirm_pw(&m->confirm, out, cap, len);
	case K_CONFIRM_RSP: return msg_enc_confirm_pw_rsp(&m->confirm_rsp, out, cap, len);
	case K_ERROR: return msg_enc_error(&m->error, out, cap, len);
	case K_CRED: return msg_enc_cred(&m->cred, out, cap, len);
	default: fail(); return -1;
	}
}

/* §7.3 payloads, with the codec that reads them. */
static const struct {
	const char *name;
	enum kind k;
	const char *payload;
} pvecs[] = {
	{ "V-1 HELLO req", K_EMPTY, "" },
	{ "V-2 HELLO rsp", K_HELLO,
	    "01 00 00 00 00 01 01 04 00 0d 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 01 42 05 31 2e 34 2e 32 00 08 a1 b2 c3 d4 e5 f6 07 18 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f" },
	{ "V-3 SET_IDENTITY req", K_SET_ID,
	    "09 53 4e 2d 30 30 30 31 32 33 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 00 01 86 a0" },
	{ "V-4 SET_IDENTITY rsp", K_EMPTY, "" },
	{ "V-5 GEN_KEY req", K_GEN_KEY, "01 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f" },
	{ "V-6 GEN_KEY rsp", K_GEN_KEY_RSP, "01 85" },
	{ "V-7 READ_OBJECT req", K_READ, "01 00 00 01 80 03 f0" },
	{ "V-8 READ_OBJECT rsp", K_READ_RSP, "01 00 00 01 85 00 00 01 80 00 05 de ad be ef 00" },
	{ "V-9 WRITE_OBJECT req", K_WRITE, "02 00 00 03 f4 00 00 03 f0 00 04 a0 a1 a2 a3" },
	{ "V-10 WRITE_OBJECT rsp", K_WRITE_RSP, "00 00 03 f4" },
	{ "V-11 INSTALL req", K_INSTALL,
	    "02 00 00 03 f4 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f" },
	{ "V-12 INSTALL rsp", K_STATE_RSP, "03 00" },
	{ "V-13 PROVE req", K_PROVE, "10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf" },
	{ "V-14 PROVE rsp", K_PROVE_RSP, "00 08 30 06 02 01 01 02 01 02" },
	{ "V-15 CONFIRM_PASSWORD req", K_CONFIRM,
	    "10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32" },
	{ "V-16 CONFIRM_PASSWORD rsp", K_CONFIRM_RSP, "01" },
	{ "V-17 LOCK req", K_EMPTY, "" },
	{ "V-18 LOCK rsp", K_STATE_RSP, "04 01" },
	{ "V-20 ERROR LOCKED", K_ERROR,
	    "00 04 09 30 62 6f 61 72 64 20 69 73 20 6c 6f 63 6b 65 64 3b 20 70 72 6f 76 69 73 69 6f 6e 69 6e 67 20 77 72 69 74 65 73 20 61 72 65 20 72 65 66 75 73 65 64" },
	{ "V-22 ERROR UNKNOWN_TYPE", K_ERROR,
	    "00 01 42 14 75 6e 6b 6e 6f 77 6e 20 72 65 71 75 65 73 74 20 74 79 70 65" },
	{ "V-24 SET_CREDENTIAL req wifi", K_CRED,
	    "01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 "
	    "32" },
	{ "V-25 SET_CREDENTIAL rsp", K_EMPTY,
	    "" },
	{ "V-26 SET_CREDENTIAL req matter", K_CRED,
	    "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 01 02 03 04 "
	    "05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 04 40 "
	    "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d "
	    "5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a "
	    "7b 7c 7d 7e 7f" },
	{ "V-27 SET_CREDENTIAL rsp", K_EMPTY,
	    "" },
	{ "V-28 CONFIRM_CREDENTIAL req wifi", K_CRED,
	    "01 0a 54 48 32 2d 37 4b 33 4d 39 51 03 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 "
	    "32" },
	{ "V-29 CONFIRM_CREDENTIAL rsp", K_CONFIRM_RSP,
	    "01" },
	{ "V-30 CONFIRM_CREDENTIAL req matter", K_CRED,
	    "02 0f 00 00 00 03 e8 10 53 50 41 4b 45 32 50 20 4b 65 79 20 53 61 6c 74 00 01 02 03 04 "
	    "05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 04 40 "
	    "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 51 52 53 54 55 56 57 58 59 5a 5b 5c 5d "
	    "5e 5f 60 61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a "
	    "7b 7c 7d 7e 7f" },
	{ "V-31 CONFIRM_CREDENTIAL rsp", K_CONFIRM_RSP,
	    "01" },
};
#define NPVECS (sizeof(pvecs) / sizeof(pvecs[0]))

/* §7.5 invalid payloads: the shared table of station/conform/conform-vectors.c, each with the
 * type of the message whose decoder refuses it. */
static enum kind
kind_of(uint8_t type)
{
	switch (type) {
	case MSG_HELLO: case MSG_LOCK: return K_EMPTY;
	case MSG_SET_IDENTITY: return K_SET_ID;
	case MSG_GEN_KEY: return K_GEN_KEY;
	case MSG_READ_OBJECT: return K_READ;
	case MSG_WRITE_OBJECT: return K_WRITE;
	case MSG_INSTALL: return K_INSTALL;
	case MSG_PROVE: return K_PROVE;
	case MSG_CONFIRM_PASSWORD: return K_CONFIRM;
	case MSG_READ_OBJECT | MSG_RESPONSE: return K_READ_RSP;
	case MSG_INSTALL | MSG_RESPONSE: case MSG_LOCK | MSG_RESPONSE: return K_STATE_RSP;
	case MSG_CONFIRM_PASSWORD | MSG_RESPONSE: return K_CONFIRM_RSP;
	case MSG_SET_CRED: case MSG_CONFIRM_CRED: return K_CRED;
	case MSG_CONFIRM_CRED | MSG_RESPONSE: return K_CONFIRM_RSP;
	case MSG_ERROR: return K_ERROR;
	default: return K_COUNT;
	}
}

/* ---- vectors: decode to the documented fields, encode back to the same bytes ---- */

static void
test_vectors_decode(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	union anymsg m;
	size_t n, i;

	(void)state;
	/* V-2 */
	n = helpers_hex(pvecs[1].payload, p, sizeof(p));
	assert_int_equal(msg_dec_hello(p, n, &m.hello), PRC_OK);
	assert_int_equal(m.hello.proto_version, 1);
	assert_int_equal(m.hello.state, ST_BLANK);
	assert_int_equal(m.hello.debug_locked, 0);
	assert_int_equal(m.hello.caps, CAP_KEY_EC_P256 | CAP_DEBUG_LOCK);
	assert_int_equal(m.hello.max_payload, 1024);
	assert_string_equal(m.hello.model, "thermostat-v2");
	assert_string_equal(m.hello.hw_rev, "B");
	assert_string_equal(m.hello.fw_version, "1.4.2");
	assert_string_equal(m.hello.serial, "");
	assert_int_equal(m.hello.chip_id_len, 8);
	assert_memory_equal(m.hello.chip_id, "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8);
	for (i = 0; i < MSG_DIGEST_LEN; i++)
		assert_int_equal(m.hello.fw_digest[i], i);
	/* V-3 */
	n = helpers_hex(pvecs[2].payload, p, sizeof(p));
	assert_int_equal(msg_dec_set_identity(p, n, &m.set_id), PRC_OK);
	assert_string_equal(m.set_id.serial, "SN-000123");
	assert_string_equal(m.set_id.password, "correct horse 42");
	assert_int_equal(m.set_id.pw_iterations, 100000);
	/* V-5 */
	n = helpers_hex(pvecs[4].payload, p, sizeof(p));
	assert_int_equal(msg_dec_gen_key(p, n, &m.gen_key), PRC_OK);
	assert_int_equal(m.gen_key.key_type, KEY_EC_P256);
	assert_int_equal(m.gen_key.nonce_len, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(m.gen_key.nonce[i], 0x10 + i);
	/* V-6 */
	n = helpers_hex(pvecs[5].payload, p, sizeof(p));
	assert_int_equal(msg_dec_gen_key_rsp(p, n, &m.gen_key_rsp), PRC_OK);
	assert_int_equal(m.gen_key_rsp.csr_len, 389);
	/* V-7 */
	n = helpers_hex(pvecs[6].payload, p, sizeof(p));
	assert_int_equal(msg_dec_read_obj(p, n, &m.read), PRC_OK);
	assert_int_equal(m.read.obj, OBJ_CSR);
	assert_int_equal(m.read.offset, 384);
	assert_int_equal(m.read.max, MSG_MAX_CHUNK);
	/* V-8 */
	n = helpers_hex(pvecs[7].payload, p, sizeof(p));
	assert_int_equal(msg_dec_read_obj_rsp(p, n, &m.read_rsp), PRC_OK);
	assert_int_equal(m.read_rsp.obj, OBJ_CSR);
	assert_int_equal(m.read_rsp.total, 389);
	assert_int_equal(m.read_rsp.offset, 384);
	assert_int_equal(m.read_rsp.data_len, 5);
	assert_ptr_equal(m.read_rsp.data, p + 11);
	assert_memory_equal(m.read_rsp.data, "\xde\xad\xbe\xef\x00", 5);
	/* V-9 */
	n = helpers_hex(pvecs[8].payload, p, sizeof(p));
	assert_int_equal(msg_dec_write_obj(p, n, &m.write), PRC_OK);
	assert_int_equal(m.write.obj, OBJ_CHAIN);
	assert_int_equal(m.write.total, 1012);
	assert_int_equal(m.write.offset, 1008);
	assert_int_equal(m.write.data_len, 4);
	assert_memory_equal(m.write.data, "\xa0\xa1\xa2\xa3", 4);
	/* V-10 */
	n = helpers_hex(pvecs[9].payload, p, sizeof(p));
	assert_int_equal(msg_dec_write_obj_rsp(p, n, &m.write_rsp), PRC_OK);
	assert_int_equal(m.write_rsp.held, 1012);
	/* V-11 */
	n = helpers_hex(pvecs[10].payload, p, sizeof(p));
	assert_int_equal(msg_dec_install(p, n, &m.install), PRC_OK);
	assert_int_equal(m.install.obj, OBJ_CHAIN);
	assert_int_equal(m.install.total, 1012);
	for (i = 0; i < MSG_DIGEST_LEN; i++)
		assert_int_equal(m.install.sha256[i], 0x20 + i);
	/* V-12, V-18 */
	n = helpers_hex(pvecs[11].payload, p, sizeof(p));
	assert_int_equal(msg_dec_state_rsp(p, n, &m.state_rsp), PRC_OK);
	assert_int_equal(m.state_rsp.state, ST_CERTIFIED);
	assert_int_equal(m.state_rsp.debug_locked, 0);
	n = helpers_hex(pvecs[17].payload, p, sizeof(p));
	assert_int_equal(msg_dec_state_rsp(p, n, &m.state_rsp), PRC_OK);
	assert_int_equal(m.state_rsp.state, ST_LOCKED);
	assert_int_equal(m.state_rsp.debug_locked, 1);
	/* V-13 */
	n = helpers_hex(pvecs[12].payload, p, sizeof(p));
	assert_int_equal(msg_dec_prove(p, n, &m.prove), PRC_OK);
	assert_int_equal(m.prove.challenge_len, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(m.prove.challenge[i], 0xc0 + i);
	/* V-14 */
	n = helpers_hex(pvecs[13].payload, p, sizeof(p));
	assert_int_equal(msg_dec_prove_rsp(p, n, &m.prove_rsp), PRC_OK);
	assert_int_equal(m.prove_rsp.sig_len, 8);
	assert_memory_equal(m.prove_rsp.sig, "\x30\x06\x02\x01\x01\x02\x01\x02", 8);
	/* V-15, V-16 */
	n = helpers_hex(pvecs[14].payload, p, sizeof(p));
	assert_int_equal(msg_dec_confirm_pw(p, n, &m.confirm), PRC_OK);
	assert_string_equal(m.confirm.password, "correct horse 42");
	n = helpers_hex(pvecs[15].payload, p, sizeof(p));
	assert_int_equal(msg_dec_confirm_pw_rsp(p, n, &m.confirm_rsp), PRC_OK);
	assert_int_equal(m.confirm_rsp.match, 1);
	/* V-20, V-22 */
	n = helpers_hex(pvecs[18].payload, p, sizeof(p));
	assert_int_equal(msg_dec_error(p, n, &m.error), PRC_OK);
	assert_int_equal(m.error.code, PERR_LOCKED);
	assert_int_equal(m.error.req_type, MSG_LOCK);
	assert_string_equal(m.error.text, "board is locked; provisioning writes are refused");
	n = helpers_hex(pvecs[19].payload, p, sizeof(p));
	assert_int_equal(msg_dec_error(p, n, &m.error), PRC_OK);
	assert_int_equal(m.error.code, PERR_UNKNOWN_TYPE);
	assert_int_equal(m.error.req_type, 0x42);
	assert_string_equal(m.error.text, "unknown request type");
	/* V-1 */
	assert_int_equal(msg_dec_empty(NULL, 0), PRC_OK);
}

/* Every vector: decode, encode again, same bytes (the encoding is canonical). */
static void
test_vectors_roundtrip(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], out[FRAME_MAX_PAYLOAD];
	union anymsg m;
	size_t n, ol, i;

	(void)state;
	for (i = 0; i < NPVECS; i++) {
		n = helpers_hex(pvecs[i].payload, p, sizeof(p));
		memset(&m, 0, sizeof(m));
		assert_int_equal(dec_any(pvecs[i].k, p, n, &m), PRC_OK);
		ol = 0;
		assert_int_equal(enc_any(pvecs[i].k, &m, out, sizeof(out), &ol), PRC_OK);
		assert_int_equal(ol, n);
		if (n != 0)
			assert_memory_equal(out, p, n);
	}
}

/* Encoding from hand-filled structs gives the documented bytes. */
static void
test_vectors_encode(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], out[FRAME_MAX_PAYLOAD];
	uint8_t tail[5] = { 0xde, 0xad, 0xbe, 0xef, 0x00 }, sig[8] = { 0x30, 6, 2, 1, 1, 2, 1, 2 };
	struct msg_hello h;
	struct msg_set_identity si;
	struct msg_read_obj_rsp rr;
	struct msg_prove_rsp pr;
	struct msg_error e;
	size_t n, ol, i;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.proto_version = 1;
	h.caps = CAP_KEY_EC_P256 | CAP_DEBUG_LOCK;
	h.max_payload = 1024;
	strcpy(h.model, "thermostat-v2");
	strcpy(h.hw_rev, "B");
	strcpy(h.fw_version, "1.4.2");
	memcpy(h.chip_id, "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8);
	h.chip_id_len = 8;
	for (i = 0; i < MSG_DIGEST_LEN; i++)
		h.fw_digest[i] = (uint8_t)i;
	n = helpers_hex(pvecs[1].payload, p, sizeof(p));
	assert_int_equal(msg_enc_hello(&h, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);

	memset(&si, 0, sizeof(si));
	strcpy(si.serial, "SN-000123");
	strcpy(si.password, "correct horse 42");
	si.pw_iterations = 100000;
	n = helpers_hex(pvecs[2].payload, p, sizeof(p));
	assert_int_equal(msg_enc_set_identity(&si, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);

	rr.obj = OBJ_CSR;
	rr.total = 389;
	rr.offset = 384;
	rr.data = tail;
	rr.data_len = 5;
	n = helpers_hex(pvecs[7].payload, p, sizeof(p));
	assert_int_equal(msg_enc_read_obj_rsp(&rr, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);

	pr.sig = sig;
	pr.sig_len = 8;
	n = helpers_hex(pvecs[13].payload, p, sizeof(p));
	assert_int_equal(msg_enc_prove_rsp(&pr, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);

	memset(&e, 0, sizeof(e));
	e.code = PERR_UNKNOWN_TYPE;
	e.req_type = 0x42;
	strcpy(e.text, "unknown request type");
	n = helpers_hex(pvecs[19].payload, p, sizeof(p));
	assert_int_equal(msg_enc_error(&e, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);
}

/* Truncated at every byte: PRC_SHORT. One more byte: PRC_TRAILING. Out-param untouched. */
static void
test_truncated_and_trailing(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD + 1];
	union anymsg m, sentinel;
	size_t n, i, k;

	(void)state;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (i = 0; i < NPVECS; i++) {
		n = helpers_hex(pvecs[i].payload, p, sizeof(p));
		for (k = 0; k < n; k++) {
			memcpy(&m, &sentinel, sizeof(m));
			if (dec_any(pvecs[i].k, p, k, &m) != PRC_SHORT)
				fail_msg("%s truncated to %zu: not PRC_SHORT", pvecs[i].name, k);
			assert_memory_equal(&m, &sentinel, sizeof(m));
		}
		p[n] = 0x00;
		memcpy(&m, &sentinel, sizeof(m));
		assert_int_equal(dec_any(pvecs[i].k, p, n + 1, &m), PRC_TRAILING);
		assert_memory_equal(&m, &sentinel, sizeof(m));
	}
}

static void
test_invalid_payloads(void **state)
{
	uint8_t p[128];
	union anymsg m;
	size_t n, i;
	int r;

	(void)state;
	assert_int_equal(cv_nbad_payloads, 35);
	for (i = 0; i < cv_nbad_payloads; i++) {
		n = helpers_hex(cv_bad_payloads[i].payload, p, sizeof(p));
		r = dec_any(kind_of(cv_bad_payloads[i].type), p, n, &m);
		if (r != cv_bad_payloads[i].rc)
			fail_msg("%s: got %d want %d", cv_bad_payloads[i].name, r, cv_bad_payloads[i].rc);
	}
	/* Y-15: INSTALL total 4097 */
	memset(p, 0, sizeof(p));
	n = helpers_hex("02 00 00 10 01", p, sizeof(p)) + 32;
	assert_int_equal(msg_dec_install(p, n, &m.install), PRC_VALUE);
	/* Y-16: PROVE challenge of 15 */
	p[0] = 0x0f;
	memset(p + 1, 0xc0, 15);
	assert_int_equal(msg_dec_prove(p, 16, &m.prove), PRC_VALUE);
}

/* Encoders never write past cap and do not set *len on failure. */
static void
test_encode_overflow(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], out[FRAME_MAX_PAYLOAD + 16];
	union anymsg m;
	size_t n, i, cap, ol, j;

	(void)state;
	for (i = 0; i < NPVECS; i++) {
		if (pvecs[i].k == K_EMPTY)
			continue;
		n = helpers_hex(pvecs[i].payload, p, sizeof(p));
		assert_int_equal(dec_any(pvecs[i].k, p, n, &m), PRC_OK);
		for (cap = 0; cap < n; cap++) {
			memset(out, GUARD, sizeof(out));
			ol = 7777;
			assert_int_equal(enc_any(pvecs[i].k, &m, out, cap, &ol), PRC_SPACE);
			assert_int_equal(ol, 7777);
			for (j = cap; j < sizeof(out); j++)
				assert_int_equal(out[j], GUARD);
		}
	}
}

static void
fill_str(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* Range checks on the encoding side: a station cannot send what a board refuses. */
static void
test_encode_ranges(void **state)
{
	uint8_t out[FRAME_MAX_PAYLOAD], data[MSG_MAX_CHUNK + 1];
	union anymsg m;
	size_t ol;

	(void)state;
	memset(data, 0x11, sizeof(data));

	/* HELLO */
	memset(&m, 0, sizeof(m));
	m.hello.proto_version = 1;
	m.hello.max_payload = MSG_MIN_MAX_PAYLOAD;
	fill_str(m.hello.model, MSG_MAX_STR, 'm');
	fill_str(m.hello.hw_rev, MSG_MAX_STR, 'h');
	fill_str(m.hello.fw_version, MSG_MAX_STR, 'f');
	fill_str(m.hello.serial, MSG_MAX_STR, 's');
	m.hello.chip_id_len = MSG_MAX_CHIP_ID;
	m.hello.state = ST_LOCKED;
	m.hello.debug_locked = 1;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_OK);
	m.hello.state = 5;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.state = ST_BLANK;
	m.hello.debug_locked = 2;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.debug_locked = 0;
	m.hello.max_payload = MSG_MIN_MAX_PAYLOAD - 1;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.max_payload = FRAME_MAX_PAYLOAD + 1;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.max_payload = FRAME_MAX_PAYLOAD;
	m.hello.chip_id_len = MSG_MIN_CHIP_ID - 1;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.chip_id_len = MSG_MAX_CHIP_ID + 1;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.hello.chip_id_len = MSG_MIN_CHIP_ID;
	m.hello.proto_version = 0;
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.proto_version = 1;
	m.hello.model[0] = '\0';
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_VALUE);
	m.hello.model[0] = '\n';
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_CHARSET);
	/* not NUL-terminated within its array */
	memset(m.hello.model, 'x', sizeof(m.hello.model));
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_TOO_LONG);
	fill_str(m.hello.model, 1, 'x');
	m.hello.serial[0] = '\0';
	assert_int_equal(msg_enc_hello(&m.hello, out, sizeof(out), &ol), PRC_OK);

	/* SET_IDENTITY */
	memset(&m, 0, sizeof(m));
	fill_str(m.set_id.serial, MSG_MAX_STR, 'S');
	fill_str(m.set_id.password, MSG_MAX_PASSWORD, 'p');
	m.set_id.pw_iterations = MSG_MAX_PW_ITER;
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_OK);
	m.set_id.pw_iterations = MSG_MAX_PW_ITER + 1;
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_VALUE);
	m.set_id.pw_iterations = 0;
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_VALUE);
	m.set_id.pw_iterations = MSG_MIN_PW_ITER;
	fill_str(m.set_id.password, MSG_MIN_PASSWORD - 1, 'p');
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_VALUE);
	memset(m.set_id.password, 'p', sizeof(m.set_id.password));
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_TOO_LONG);
	fill_str(m.set_id.password, MSG_MIN_PASSWORD, 'p');
	m.set_id.serial[0] = '\0';
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_VALUE);
	m.set_id.serial[0] = (char)0xc3;
	m.set_id.serial[1] = '\0';
	assert_int_equal(msg_enc_set_identity(&m.set_id, out, sizeof(out), &ol), PRC_CHARSET);

	/* GEN_KEY */
	memset(&m, 0, sizeof(m));
	m.gen_key.key_type = KEY_RSA_2048;
	m.gen_key.nonce_len = MSG_MAX_NONCE;
	assert_int_equal(msg_enc_gen_key(&m.gen_key, out, sizeof(out), &ol), PRC_OK);
	m.gen_key.key_type = 0;
	assert_int_equal(msg_enc_gen_key(&m.gen_key, out, sizeof(out), &ol), PRC_VALUE);
	m.gen_key.key_type = 4;
	assert_int_equal(msg_enc_gen_key(&m.gen_key, out, sizeof(out), &ol), PRC_VALUE);
	m.gen_key.key_type = KEY_EC_P384;
	m.gen_key.nonce_len = MSG_MIN_NONCE - 1;
	assert_int_equal(msg_enc_gen_key(&m.gen_key, out, sizeof(out), &ol), PRC_VALUE);
	m.gen_key.nonce_len = MSG_MAX_NONCE + 1;
	assert_int_equal(msg_enc_gen_key(&m.gen_key, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.gen_key_rsp.csr_len = 0;
	assert_int_equal(msg_enc_gen_key_rsp(&m.gen_key_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.gen_key_rsp.csr_len = MSG_MAX_CSR + 1;
	assert_int_equal(msg_enc_gen_key_rsp(&m.gen_key_rsp, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.gen_key_rsp.csr_len = MSG_MAX_CSR;
	assert_int_equal(msg_enc_gen_key_rsp(&m.gen_key_rsp, out, sizeof(out), &ol), PRC_OK);

	/* READ_OBJECT */
	m.read.obj = OBJ_CHAIN;
	m.read.offset = 0xffffffffu;
	m.read.max = MSG_MAX_CHUNK;
	assert_int_equal(msg_enc_read_obj(&m.read, out, sizeof(out), &ol), PRC_OK);
	m.read.max = 0;
	assert_int_equal(msg_enc_read_obj(&m.read, out, sizeof(out), &ol), PRC_VALUE);
	m.read.max = MSG_MAX_CHUNK + 1;
	assert_int_equal(msg_enc_read_obj(&m.read, out, sizeof(out), &ol), PRC_VALUE);
	m.read.max = 1;
	m.read.obj = 0;
	assert_int_equal(msg_enc_read_obj(&m.read, out, sizeof(out), &ol), PRC_VALUE);

	m.read_rsp.obj = OBJ_CHAIN;
	m.read_rsp.total = MSG_MAX_CHAIN;
	m.read_rsp.offset = MSG_MAX_CHAIN - MSG_MAX_CHUNK;
	m.read_rsp.data = data;
	m.read_rsp.data_len = MSG_MAX_CHUNK;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, 11 + MSG_MAX_CHUNK);
	m.read_rsp.data_len = MSG_MAX_CHUNK + 1;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.read_rsp.data_len = MSG_MAX_CHUNK;
	m.read_rsp.offset++;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.read_rsp.obj = OBJ_CSR; /* CSR total above MSG_MAX_CSR */
	m.read_rsp.offset = 0;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.read_rsp.total = 10;
	m.read_rsp.offset = 10;
	m.read_rsp.data_len = 0;
	m.read_rsp.data = NULL;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_OK);
	m.read_rsp.offset = 0xffffffffu;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.read_rsp.offset = 0;
	m.read_rsp.data_len = 1;
	assert_int_equal(msg_enc_read_obj_rsp(&m.read_rsp, out, sizeof(out), &ol), PRC_VALUE);

	/* WRITE_OBJECT */
	m.write.obj = OBJ_CHAIN;
	m.write.total = MSG_MAX_CHAIN;
	m.write.offset = MSG_MAX_CHAIN - 1;
	m.write.data = data;
	m.write.data_len = 1;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_OK);
	m.write.data_len = 2;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write.offset = 0;
	m.write.data_len = MSG_MAX_CHUNK + 1;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.write.data_len = 1;
	m.write.total = MSG_MAX_CHAIN + 1;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write.total = 0;
	m.write.data_len = 0;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write.total = 1;
	m.write.offset = 0xffffffffu;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write.offset = 0;
	m.write.obj = 7;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write.obj = OBJ_CHAIN;
	m.write.data = NULL;
	m.write.data_len = 1;
	assert_int_equal(msg_enc_write_obj(&m.write, out, sizeof(out), &ol), PRC_VALUE);
	m.write_rsp.held = MSG_MAX_CHAIN + 1;
	assert_int_equal(msg_enc_write_obj_rsp(&m.write_rsp, out, sizeof(out), &ol), PRC_VALUE);

	/* INSTALL, state replies */
	memset(&m, 0, sizeof(m));
	m.install.obj = OBJ_CHAIN;
	m.install.total = MSG_MAX_CHAIN + 1;
	assert_int_equal(msg_enc_install(&m.install, out, sizeof(out), &ol), PRC_VALUE);
	m.install.total = 0;
	assert_int_equal(msg_enc_install(&m.install, out, sizeof(out), &ol), PRC_VALUE);
	m.state_rsp.state = 5;
	m.state_rsp.debug_locked = 0;
	assert_int_equal(msg_enc_state_rsp(&m.state_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.state_rsp.state = 4;
	m.state_rsp.debug_locked = 2;
	assert_int_equal(msg_enc_state_rsp(&m.state_rsp, out, sizeof(out), &ol), PRC_VALUE);

	/* PROVE */
	memset(&m, 0, sizeof(m));
	m.prove.challenge_len = MSG_MAX_CHALLENGE;
	assert_int_equal(msg_enc_prove(&m.prove, out, sizeof(out), &ol), PRC_OK);
	m.prove.challenge_len = MSG_MAX_CHALLENGE + 1;
	assert_int_equal(msg_enc_prove(&m.prove, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.prove.challenge_len = MSG_MIN_CHALLENGE - 1;
	assert_int_equal(msg_enc_prove(&m.prove, out, sizeof(out), &ol), PRC_VALUE);
	m.prove_rsp.sig = data;
	m.prove_rsp.sig_len = MSG_MAX_SIG + 1;
	assert_int_equal(msg_enc_prove_rsp(&m.prove_rsp, out, sizeof(out), &ol), PRC_TOO_LONG);
	m.prove_rsp.sig_len = 0;
	assert_int_equal(msg_enc_prove_rsp(&m.prove_rsp, out, sizeof(out), &ol), PRC_VALUE);
	m.prove_rsp.sig_len = MSG_MAX_SIG;
	assert_int_equal(msg_enc_prove_rsp(&m.prove_rsp, out, sizeof(out), &ol), PRC_OK);
	m.prove_rsp.sig = NULL;
	assert_int_equal(msg_enc_prove_rsp(&m.prove_rsp, out, sizeof(out), &ol), PRC_VALUE);

	/* CONFIRM_PASSWORD */
	memset(&m, 0, sizeof(m));
	fill_str(m.confirm.password, MSG_MIN_PASSWORD - 1, 'z');
	assert_int_equal(msg_enc_confirm_pw(&m.confirm, out, sizeof(out), &ol), PRC_VALUE);
	fill_str(m.confirm.password, MSG_MAX_PASSWORD, 'z');
	assert_int_equal(msg_enc_confirm_pw(&m.confirm, out, sizeof(out), &ol), PRC_OK);
	m.confirm.password[3] = 0x7f;
	assert_int_equal(msg_enc_confirm_pw(&m.confirm, out, sizeof(out), &ol), PRC_CHARSET);
	m.confirm_rsp.match = 2;
	assert_int_equal(msg_enc_confirm_pw_rsp(&m.confirm_rsp, out, sizeof(out), &ol), PRC_VALUE);

	/* ERROR */
	memset(&m, 0, sizeof(m));
	m.error.code = 0;
	assert_int_equal(msg_enc_error(&m.error, out, sizeof(out), &ol), PRC_VALUE);
	m.error.code = 999; /* unknown codes pass: newer boards */
	fill_str(m.error.text, MSG_MAX_ERRTEXT, 't');
	assert_int_equal(msg_enc_error(&m.error, out, sizeof(out), &ol), PRC_OK);
	memset(m.error.text, 't', sizeof(m.error.text));
	assert_int_equal(msg_enc_error(&m.error, out, sizeof(out), &ol), PRC_TOO_LONG);
}

/* Round trips of every message at its limits. */
static void
test_roundtrip_limits(void **state)
{
	uint8_t out[FRAME_MAX_PAYLOAD], data[MSG_MAX_CHUNK];
	union anymsg a, b;
	size_t ol, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);

	memset(&a, 0, sizeof(a));
	a.hello.proto_version = 255;
	a.hello.state = ST_KEYED;
	a.hello.debug_locked = 1;
	a.hello.caps = 0xffffffffu;
	a.hello.max_payload = MSG_MIN_MAX_PAYLOAD;
	fill_str(a.hello.model, MSG_MAX_STR, '~');
	fill_str(a.hello.hw_rev, 1, ' ');
	fill_str(a.hello.fw_version, MSG_MAX_STR, '0');
	fill_str(a.hello.serial, MSG_MAX_STR, 'Z');
	a.hello.chip_id_len = MSG_MAX_CHIP_ID;
	memset(a.hello.chip_id, 0, MSG_MAX_CHIP_ID);
	memset(a.hello.fw_digest, 0xff, MSG_DIGEST_LEN);
	assert_int_equal(msg_enc_hello(&a.hello, out, sizeof(out), &ol), PRC_OK);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(msg_dec_hello(out, ol, &b.hello), PRC_OK);
	assert_memory_equal(&a.hello, &b.hello, sizeof(a.hello));

	memset(&a, 0, sizeof(a));
	fill_str(a.set_id.serial, 1, 'x');
	fill_str(a.set_id.password, MSG_MAX_PASSWORD, '!');
	a.set_id.pw_iterations = 1;
	assert_int_equal(msg_enc_set_identity(&a.set_id, out, sizeof(out), &ol), PRC_OK);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(msg_dec_set_identity(out, ol, &b.set_id), PRC_OK);
	assert_memory_equal(&a.set_id, &b.set_id, sizeof(a.set_id));

	memset(&a, 0, sizeof(a));
	a.gen_key.key_type = KEY_EC_P384;
	a.gen_key.nonce_len = MSG_MAX_NONCE;
	memcpy(a.gen_key.nonce, data, MSG_MAX_NONCE);
	assert_int_equal(msg_enc_gen_key(&a.gen_key, out, sizeof(out), &ol), PRC_OK);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(msg_dec_gen_key(out, ol, &b.gen_key), PRC_OK);
	assert_memory_equal(&a.gen_key, &b.gen_key, sizeof(a.gen_key));

	a.read_rsp.obj = OBJ_CSR;
	a.read_rsp.total = MSG_MAX_CSR;
	a.read_rsp.offset = MSG_MAX_CSR - MSG_MAX_CHUNK;
	a.read_rsp.data = data;
	a.read_rsp.data_len = MSG_MAX_CHUNK;
	assert_int_equal(msg_enc_read_obj_rsp(&a.read_rsp, out, sizeof(out), &ol), PRC_OK);
	assert_true(ol <= FRAME_MAX_PAYLOAD);
	assert_int_equal(msg_dec_read_obj_rsp(out, ol, &b.read_rsp), PRC_OK);
	assert_int_equal(b.read_rsp.obj, OBJ_CSR);
	assert_int_equal(b.read_rsp.total, MSG_MAX_CSR);
	assert_int_equal(b.read_rsp.offset, MSG_MAX_CSR - MSG_MAX_CHUNK);
	assert_int_equal(b.read_rsp.data_len, MSG_MAX_CHUNK);
	assert_memory_equal(b.read_rsp.data, data, MSG_MAX_CHUNK);

	a.write.obj = OBJ_CHAIN;
	a.write.total = MSG_MAX_CHUNK;
	a.write.offset = 0;
	a.write.data = data;
	a.write.data_len = MSG_MAX_CHUNK;
	assert_int_equal(msg_enc_write_obj(&a.write, out, sizeof(out), &ol), PRC_OK);
	assert_true(ol <= FRAME_MAX_PAYLOAD);
	assert_int_equal(msg_dec_write_obj(out, ol, &b.write), PRC_OK);
	assert_int_equal(b.write.total, MSG_MAX_CHUNK);
	assert_int_equal(b.write.data_len, MSG_MAX_CHUNK);
	assert_memory_equal(b.write.data, data, MSG_MAX_CHUNK);

	a.write_rsp.held = MSG_MAX_CHAIN;
	assert_int_equal(msg_enc_write_obj_rsp(&a.write_rsp, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(msg_dec_write_obj_rsp(out, ol, &b.write_rsp), PRC_OK);
	assert_int_equal(b.write_rsp.held, MSG_MAX_CHAIN);

	memset(&a, 0, sizeof(a));
	a.install.obj = OBJ_CHAIN;
	a.install.total = MSG_MAX_CHAIN;
	memcpy(a.install.sha256, data, MSG_DIGEST_LEN);
	assert_int_equal(msg_enc_install(&a.install, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(msg_dec_install(out, ol, &b.install), PRC_OK);
	assert_memory_equal(&a.install, &b.install, sizeof(a.install));

	memset(&a, 0, sizeof(a));
	a.prove.challenge_len = MSG_MAX_CHALLENGE;
	memcpy(a.prove.challenge, data, MSG_MAX_CHALLENGE);
	assert_int_equal(msg_enc_prove(&a.prove, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(msg_dec_prove(out, ol, &b.prove), PRC_OK);
	assert_memory_equal(&a.prove, &b.prove, sizeof(a.prove));

	a.prove_rsp.sig = data;
	a.prove_rsp.sig_len = MSG_MAX_SIG;
	assert_int_equal(msg_enc_prove_rsp(&a.prove_rsp, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(msg_dec_prove_rsp(out, ol, &b.prove_rsp), PRC_OK);
	assert_int_equal(b.prove_rsp.sig_len, MSG_MAX_SIG);
	assert_memory_equal(b.prove_rsp.sig, data, MSG_MAX_SIG);

	memset(&a, 0, sizeof(a));
	fill_str(a.confirm.password, MSG_MIN_PASSWORD, 'q');
	assert_int_equal(msg_enc_confirm_pw(&a.confirm, out, sizeof(out), &ol), PRC_OK);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(msg_dec_confirm_pw(out, ol, &b.confirm), PRC_OK);
	assert_memory_equal(&a.confirm, &b.confirm, sizeof(a.confirm));

	a.confirm_rsp.match = 0;
	assert_int_equal(msg_enc_confirm_pw_rsp(&a.confirm_rsp, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(msg_dec_confirm_pw_rsp(out, ol, &b.confirm_rsp), PRC_OK);
	assert_int_equal(b.confirm_rsp.match, 0);

	memset(&a, 0, sizeof(a));
	a.error.code = PERR_INTERNAL;
	a.error.req_type = 0xff;
	assert_int_equal(msg_enc_error(&a.error, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, 4);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(msg_dec_error(out, ol, &b.error), PRC_OK);
	assert_memory_equal(&a.error, &b.error, sizeof(a.error));
}

/* Decoders: a string of every single non-printable byte is refused. */
static void
test_charset(void **state)
{
	uint8_t p[64];
	union anymsg m;
	unsigned c;
	size_t n;

	(void)state;
	for (c = 0; c < 256; c++) {
		n = helpers_hex("00 01 42 03 61 61 61", p, sizeof(p));
		p[5] = (uint8_t)c;
		if (c >= 0x20 && c <= 0x7e)
			assert_int_equal(msg_dec_error(p, n, &m.error), PRC_OK);
		else
			assert_int_equal(msg_dec_error(p, n, &m.error), PRC_CHARSET);
	}
}

/* ---- cursor.h ---- */

/* ---- SET_CREDENTIAL / CONFIRM_CREDENTIAL (P-53, P-54) ---- */

static const struct msg_cred *
cred_wifi(uint8_t akm, const char *ssid, const void *secret, size_t n)
{
	static struct msg_cred m;

	memset(&m, 0, sizeof(m));
	m.kind = CRED_WIFI;
	/* 33 characters fill the field with no terminator: the encoder's PRC_TOO_LONG */
	memcpy(m.wifi.ssid, ssid, strlen(ssid) < sizeof(m.wifi.ssid) ? strlen(ssid) : sizeof(m.wifi.ssid));
	m.wifi.akm = akm;
	memcpy(m.wifi.secret, secret, n);
	m.wifi.secret_len = (uint8_t)n;
	return &m;
}

static const struct msg_cred *
cred_matter(uint16_t disc, uint32_t iter, size_t salt_len)
{
	static struct msg_cred m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.kind = CRED_MATTER;
	m.matter.discriminator = disc;
	m.matter.iterations = iter;
	for (i = 0; i < salt_len && i < sizeof(m.matter.salt); i++)
		m.matter.salt[i] = (uint8_t)(0x80 + i);
	m.matter.salt_len = (uint8_t)salt_len;
	for (i = 0; i < MSG_MATTER_VERIFIER_LEN; i++)
		m.matter.verifier[i] = (uint8_t)i;
	m.matter.verifier[MSG_MATTER_W0_LEN] = 0x04;
	return &m;
}

/* Encodes m, decodes it back: the same fields, the same bytes. Returns the encoder's result. */
static int
cred_rt(const struct msg_cred *m)
{
	uint8_t p[FRAME_MAX_PAYLOAD], q[FRAME_MAX_PAYLOAD];
	struct msg_cred back;
	size_t n = 0, k = 0;
	int r;

	if ((r = msg_enc_cred(m, p, sizeof(p), &n)) != PRC_OK)
		return r;
	memset(&back, 0x5a, sizeof(back));
	assert_int_equal(msg_dec_cred(p, n, &back), PRC_OK);
	assert_int_equal(back.kind, m->kind);
	if (m->kind == CRED_WIFI) {
		assert_int_equal(n, 1 + 1 + strlen(m->wifi.ssid) + 1 + 1 + m->wifi.secret_len);
		assert_string_equal(back.wifi.ssid, m->wifi.ssid);
		assert_int_equal(back.wifi.akm, m->wifi.akm);
		assert_int_equal(back.wifi.secret_len, m->wifi.secret_len);
		assert_memory_equal(back.wifi.secret, m->wifi.secret, m->wifi.secret_len);
	} else {
		assert_int_equal(n, 1 + 2 + 4 + 1 + m->matter.salt_len + MSG_MATTER_VERIFIER_LEN);
		assert_int_equal(back.matter.discriminator, m->matter.discriminator);
		assert_int_equal(back.matter.iterations, m->matter.iterations);
		assert_int_equal(back.matter.salt_len, m->matter.salt_len);
		assert_memory_equal(back.matter.salt, m->matter.salt, m->matter.salt_len);
		assert_memory_equal(back.matter.verifier, m->matter.verifier, MSG_MATTER_VERIFIER_LEN);
	}
	assert_int_equal(msg_enc_cred(&back, q, sizeof(q), &k), PRC_OK);
	assert_int_equal(k, n);
	assert_memory_equal(q, p, n);
	return PRC_OK;
}

/* V-24, V-26: the documented fields. */
static void
test_cred_vectors(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], out[FRAME_MAX_PAYLOAD];
	const struct cv_frame *v;
	struct msg_cred m;
	size_t n, ol = 0, i;

	(void)state;
	assert_non_null(v = cv_find("V-24"));
	n = helpers_hex(v->payload, p, sizeof(p));
	assert_int_equal(msg_dec_cred(p, n, &m), PRC_OK);
	assert_int_equal(m.kind, CRED_WIFI);
	assert_string_equal(m.wifi.ssid, "TH2-7K3M9Q");
	assert_int_equal(m.wifi.akm, AKM_WPA2_WPA3);
	assert_int_equal(m.wifi.secret_len, 16);
	assert_memory_equal(m.wifi.secret, "correct horse 42", 16);
	assert_int_equal(msg_enc_cred(cred_wifi(AKM_WPA2_WPA3, "TH2-7K3M9Q", "correct horse 42", 16),
	    out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, n);
	assert_memory_equal(out, p, n);
	/* V-28 is the same payload as a CONFIRM_CREDENTIAL */
	assert_non_null(v = cv_find("V-28"));
	assert_int_equal(helpers_hex(v->payload, out, sizeof(out)), n);
	assert_memory_equal(out, p, n);

	assert_non_null(v = cv_find("V-26"));
	n = helpers_hex(v->payload, p, sizeof(p));
	assert_int_equal(msg_dec_cred(p, n, &m), PRC_OK);
	assert_int_equal(m.kind, CRED_MATTER);
	assert_int_equal(m.matter.discriminator, 3840);
	assert_int_equal(m.matter.iterations, 1000);
	assert_int_equal(m.matter.salt_len, 16);
	assert_memory_equal(m.matter.salt, "SPAKE2P Key Salt", 16);
	for (i = 0; i < MSG_MATTER_W0_LEN; i++)
		assert_int_equal(m.matter.verifier[i], i);
	assert_int_equal(m.matter.verifier[MSG_MATTER_W0_LEN], 0x04);
	for (i = 0; i < 64; i++)
		assert_int_equal(m.matter.verifier[MSG_MATTER_W0_LEN + 1 + i], 0x40 + i);
	assert_int_equal(n, 121);
}

/* Every limit of P-53 on both sides of it, through the encoder (a station cannot send what a
 * board refuses) and the decoder. */
static void
test_cred_ranges(void **state)
{
	uint8_t psk[MSG_WIFI_PSK_LEN], pp[MSG_MAX_WIFI_SECRET + 1], out[FRAME_MAX_PAYLOAD];
	char ssid[MSG_MAX_SSID + 2];
	struct msg_cred m;
	size_t ol = 0, i;

	(void)state;
	for (i = 0; i < sizeof(psk); i++)
		psk[i] = (uint8_t)(i * 37); /* zero, 0x7f and bytes above it: raw */
	memset(pp, 'p', sizeof(pp));
	fill_str(ssid, MSG_MAX_SSID, 'S');
	/* Wi-Fi: limits that pass */
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, "A", psk, 32)), PRC_OK);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, ssid, psk, 32)), PRC_OK);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA3_SAE, "A", pp, 8)), PRC_OK);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_WPA3, ssid, pp, 63)), PRC_OK);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA3_SAE, "a b~", " ~ ~ ~ ~ ", 9)), PRC_OK);
	/* ... and each violation */
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, "", psk, 32)), PRC_VALUE);
	fill_str(ssid, MSG_MAX_SSID + 1, 'S');
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, ssid, psk, 32)), PRC_TOO_LONG);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, "A\x7f", psk, 32)), PRC_CHARSET);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, "A", psk, 31)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_PSK, "A", pp, 33)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA3_SAE, "A", pp, 7)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA3_SAE, "A", pp, 64)), PRC_TOO_LONG);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA3_SAE, "A", psk, 32)), PRC_CHARSET);
	assert_int_equal(cred_rt(cred_wifi(AKM_WPA2_WPA3, "A", "passwor\x1f", 8)), PRC_CHARSET);
	assert_int_equal(cred_rt(cred_wifi(0, "A", pp, 8)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_wifi(4, "A", pp, 8)), PRC_VALUE);
	/* Matter */
	assert_int_equal(cred_rt(cred_matter(0, MSG_MIN_MATTER_ITER, MSG_MIN_MATTER_SALT)), PRC_OK);
	assert_int_equal(cred_rt(cred_matter(4095, MSG_MAX_MATTER_ITER, MSG_MAX_MATTER_SALT)), PRC_OK);
	assert_int_equal(cred_rt(cred_matter(4096, 1000, 16)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_matter(0, 999, 16)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_matter(0, 100001, 16)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_matter(0, 1000, 15)), PRC_VALUE);
	assert_int_equal(cred_rt(cred_matter(0, 1000, 33)), PRC_TOO_LONG);
	memcpy(&m, cred_matter(1, 1000, 16), sizeof(m));
	m.matter.verifier[MSG_MATTER_W0_LEN] = 0x02; /* a compressed point */
	assert_int_equal(msg_enc_cred(&m, out, sizeof(out), &ol), PRC_VALUE);
	/* an unknown kind */
	memcpy(&m, cred_matter(1, 1000, 16), sizeof(m));
	m.kind = 0;
	assert_int_equal(msg_enc_cred(&m, out, sizeof(out), &ol), PRC_VALUE);
	m.kind = 3;
	assert_int_equal(msg_enc_cred(&m, out, sizeof(out), &ol), PRC_VALUE);
	assert_int_equal(msg_dec_cred((const uint8_t *)"\x00", 1, &m), PRC_VALUE);
	assert_int_equal(msg_dec_cred(NULL, 0, &m), PRC_SHORT);
}

/* P-11's order on the decoder side: a length above its maximum or below its minimum is refused
 * as such even when the payload ends right after the length byte. */
static void
test_cred_check_order(void **state)
{
	static const struct {
		const char *hex;
		int rc;
	} c[] = {
		{ "01 21", PRC_TOO_LONG },             /* ssid 33, nothing after */
		{ "01 00", PRC_VALUE },                /* ssid 0 */
		{ "01 02 41", PRC_SHORT },             /* ssid 2, one byte */
		{ "01 01 41 02 40", PRC_TOO_LONG },    /* secret 64 */
		{ "01 01 41 02 07", PRC_VALUE },       /* secret 7 */
		{ "01 01 41 02 08 61", PRC_SHORT },    /* secret 8, one byte */
		{ "01 01 41 02 08 61 61 61 61 61 61 61 61", PRC_OK },
		{ "01 01 41 09 08 61 61 61 61 61 61 61 61", PRC_VALUE }, /* akm 9: after the lengths */
		{ "01 01 41 09 08 61 61 61 61 61 61 61", PRC_SHORT },    /* ... which come first */
		{ "02 0f ff ff ff ff ff 21", PRC_TOO_LONG }, /* salt 33 before the values */
		{ "02 0f ff ff ff ff ff 0f", PRC_VALUE },    /* salt 15 */
		{ "02 0f ff ff ff ff ff 10 00", PRC_SHORT },
		{ "02 0f", PRC_SHORT },
		{ "05 00 00", PRC_VALUE },             /* unknown kind: nothing else read */
	};
	uint8_t p[64];
	struct msg_cred m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = helpers_hex(c[i].hex, p, sizeof(p));
		if (msg_dec_cred(p, n, &m) != c[i].rc)
			fail_msg("%s: got %d want %d", c[i].hex, msg_dec_cred(p, n, &m), c[i].rc);
	}
}

/* The response of CONFIRM_CREDENTIAL is CONFIRM_PASSWORD's codec; SET_CREDENTIAL's is empty. */
static void
test_cred_responses(void **state)
{
	struct msg_confirm_pw_rsp r;
	uint8_t b;

	(void)state;
	b = 0;
	assert_int_equal(msg_dec_confirm_pw_rsp(&b, 1, &r), PRC_OK);
	assert_int_equal(r.match, 0);
	b = 2;
	assert_int_equal(msg_dec_confirm_pw_rsp(&b, 1, &r), PRC_VALUE);
	assert_int_equal(msg_dec_empty(&b, 1), PRC_TRAILING);
}

/* docs/protocol.md §7.3 and §7.5 hold the vectors of conform-vectors.c: each frame's payload and
 * wire bytes, and each invalid payload of fewer than 16 bytes, which the table spells out whole
 * (the longer ones are written there as a prefix and "+ ..."), whitespace aside. Runs from the top of the tree (make unit). */
static char *
squeeze(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < cap; s++)
		if (*s != ' ' && *s != '\n' && *s != '`')
			out[n++] = *s;
	out[n] = '\0';
	return out;
}

static void
test_vectors_in_doc(void **state)
{
	static char doc[400000], flat[400000], want[4096];
	FILE *f;
	size_t n, i, whole = 0;

	(void)state;
	assert_non_null(f = fopen("docs/protocol.md", "r"));
	n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	squeeze(doc, flat, sizeof(flat));
	for (i = 0; i < cv_nframes; i++) {
		if (cv_frames[i].payload[0] != '\0' &&
		    strstr(flat, squeeze(cv_frames[i].payload, want, sizeof(want))) == NULL)
			fail_msg("docs/protocol.md §7.3 lacks %s's payload", cv_frames[i].name);
		if (strstr(flat, squeeze(cv_frames[i].wire, want, sizeof(want))) == NULL)
			fail_msg("docs/protocol.md §7.3 lacks %s's wire bytes", cv_frames[i].name);
	}
	for (i = 0; i < cv_nbad_payloads; i++) {
		char row[64];

		snprintf(row, sizeof(row), "|%s|", cv_bad_payloads[i].name);
		if (strstr(flat, row) == NULL)
			fail_msg("docs/protocol.md §7.5 lacks %s", cv_bad_payloads[i].name);
		if (strlen(cv_bad_payloads[i].payload) >= 3 * 16 - 1)
			continue;
		whole++;
		if (strstr(flat, squeeze(cv_bad_payloads[i].payload, want, sizeof(want))) == NULL)
			fail_msg("docs/protocol.md §7.5 lacks %s's payload", cv_bad_payloads[i].name);
	}
	assert_true(whole >= 20);
}

static void
test_cursor_readers(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	struct cur c;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	const uint8_t *p;
	size_t n;
	char s[8];

	(void)state;
	cur_init(&c, b, sizeof(b));
	assert_int_equal(cur_u32(&c, &v32), PRC_OK);
	assert_int_equal(v32, 0x01020304u);
	assert_int_equal(cur_u16(&c, &v16), PRC_OK);
	assert_int_equal(v16, 0x0506);
	assert_int_equal(cur_u16(&c, &v16), PRC_SHORT);
	assert_int_equal(cur_u32(&c, &v32), PRC_SHORT);
	assert_int_equal(cur_left(&c), 1);
	assert_int_equal(cur_end(&c), PRC_TRAILING);
	assert_int_equal(cur_u8(&c, &v8), PRC_OK);
	assert_int_equal(v8, 7);
	assert_int_equal(cur_u8(&c, &v8), PRC_SHORT);
	assert_int_equal(cur_end(&c), PRC_OK);
	assert_int_equal(cur_bytes(&c, 0, &p), PRC_OK);
	assert_int_equal(cur_bytes(&c, 1, &p), PRC_SHORT);

	/* length above max is PRC_TOO_LONG even when the bytes are missing; no move on failure */
	cur_init(&c, b, sizeof(b));
	assert_int_equal(cur_lbytes8(&c, 0, 0, &p, &n), PRC_TOO_LONG);
	assert_int_equal(c.off, 0);
	assert_int_equal(cur_lbytes8(&c, 2, 9, &p, &n), PRC_VALUE);
	assert_int_equal(c.off, 0);
	assert_int_equal(cur_lbytes16(&c, 0, 0x0102, &p, &n), PRC_SHORT);
	assert_int_equal(c.off, 0);
	assert_int_equal(cur_lbytes16(&c, 0, 0x0101, &p, &n), PRC_TOO_LONG);
	assert_int_equal(cur_lbytes8(&c, 1, 1, &p, &n), PRC_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 0x02);
	assert_int_equal(c.off, 2);
	/* 03 04 05 06: a string of 3 non-printable bytes */
	assert_int_equal(cur_str(&c, 0, 8, s, sizeof(s)), PRC_CHARSET);
	assert_int_equal(c.off, 2);
	assert_int_equal(cur_str(&c, 0, 8, s, 3), PRC_SPACE);
	assert_int_equal(c.off, 2);

	cur_init(&c, (const uint8_t *)"\x02hi", 3);
	assert_int_equal(cur_str(&c, 0, 2, s, 3), PRC_OK);
	assert_string_equal(s, "hi");
	assert_int_equal(cur_end(&c), PRC_OK);
	cur_init(&c, NULL, 5);
	assert_int_equal(cur_left(&c), 0);
}

static void
test_cursor_writers(void **state)
{
	uint8_t b[8];
	struct wcur w;
	char big[300];

	(void)state;
	memset(b, GUARD, sizeof(b));
	wcur_init(&w, b, 6);
	wcur_u32(&w, 0x01020304u);
	wcur_u16(&w, 0x0506);
	assert_int_equal(w.err, PRC_OK);
	assert_int_equal(w.off, 6);
	wcur_u8(&w, 7);
	assert_int_equal(w.err, PRC_SPACE);
	wcur_u8(&w, 7); /* sticky */
	assert_int_equal(w.off, 6);
	assert_int_equal(b[6], GUARD);
	assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06", 6);

	memset(b, GUARD, sizeof(b));
	wcur_init(&w, b, 4);
	wcur_lbytes8(&w, "abcd", 4); /* needs 5: nothing written */
	assert_int_equal(w.err, PRC_SPACE);
	assert_int_equal(w.off, 0);
	assert_int_equal(b[0], GUARD);

	wcur_init(&w, b, sizeof(b));
	wcur_str(&w, "a\tb");
	assert_int_equal(w.err, PRC_CHARSET);
	assert_int_equal(w.off, 0);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wcur_init(&w, b, sizeof(b));
	wcur_str(&w, big);
	assert_int_equal(w.err, PRC_TOO_LONG);
	wcur_init(&w, b, sizeof(b));
	wcur_lbytes8(&w, big, 256);
	assert_int_equal(w.err, PRC_TOO_LONG);
	wcur_init(&w, b, sizeof(b));
	wcur_lbytes16(&w, big, 0x10000);
	assert_int_equal(w.err, PRC_TOO_LONG);
	wcur_init(&w, b, sizeof(b));
	wcur_lbytes16(&w, "xyz", 3);
	wcur_str(&w, "ok");
	assert_int_equal(w.err, PRC_OK);
	assert_memory_equal(b, "\x00\x03xyz\x02ok", 8);
}

static void
test_core_helpers(void **state)
{
	uint8_t a[16], b[16];

	(void)state;
	core_memset(a, 0x42, sizeof(a));
	core_memcpy(b, a, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(core_memcmp_ct(a, b, sizeof(a)), 0);
	b[15] ^= 1;
	assert_int_not_equal(core_memcmp_ct(a, b, sizeof(a)), 0);
	assert_int_equal(core_memcmp_ct(a, b, 0), 0);
	assert_int_equal(core_strnlen("abc", 10), 3);
	assert_int_equal(core_strnlen("abc", 2), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_decode),
		cmocka_unit_test(test_vectors_roundtrip),
		cmocka_unit_test(test_vectors_encode),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_invalid_payloads),
		cmocka_unit_test(test_encode_overflow),
		cmocka_unit_test(test_encode_ranges),
		cmocka_unit_test(test_roundtrip_limits),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_vectors_in_doc),
		cmocka_unit_test(test_cred_vectors),
		cmocka_unit_test(test_cred_ranges),
		cmocka_unit_test(test_cred_check_order),
		cmocka_unit_test(test_cred_responses),
		cmocka_unit_test(test_cursor_readers),
		cmocka_unit_test(test_cursor_writers),
		cmocka_unit_test(test_core_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
