/*
 * fuzz-msg.c: libFuzzer target for the payload codecs (msg.h). The first input byte selects the
 * decoder, the rest is the payload. A payload that decodes must encode back to exactly the same
 * bytes (the encoding is canonical, docs/protocol.md P-11) and decode again to the same fields;
 * abort() on any mismatch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	default: abort();
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
	default: abort();
	}
}

static int
blob_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/* Field by field: the decoders zero their structs, so the fixed ones compare as memory; the
 * ones holding pointers into the payload compare by content. */
static int
same(enum kind k, const union anymsg *a, const union anymsg *b)
{
	switch (k) {
	case K_EMPTY: return 1;
	case K_READ_RSP:
		return a->read_rsp.obj == b->read_rsp.obj && a->read_rsp.total == b->read_rsp.total &&
		    a->read_rsp.offset == b->read_rsp.offset &&
		    a->read_rsp.data_len == b->read_rsp.data_len &&
		    blob_eq(a->read_rsp.data, b->read_rsp.data, a->read_rsp.data_len);
	case K_WRITE:
		return a->write.obj == b->write.obj && a->write.total == b->write.total &&
		    a->write.offset == b->write.offset && a->write.data_len == b->write.data_len &&
		    blob_eq(a->write.data, b->write.data, a->write.data_len);
	case K_PROVE_RSP:
		return a->prove_rsp.sig_len == b->prove_rsp.sig_len &&
		    blob_eq(a->prove_rsp.sig, b->prove_rsp.sig, a->prove_rsp.sig_len);
	case K_HELLO: return memcmp(&a->hello, &b->hello, sizeof(a->hello)) == 0;
	case K_SET_ID: return memcmp(&a->set_id, &b->set_id, sizeof(a->set_id)) == 0;
	case K_GEN_KEY: return memcmp(&a->gen_key, &b->gen_key, sizeof(a->gen_key)) == 0;
	case K_GEN_KEY_RSP: return a->gen_key_rsp.csr_len == b->gen_key_rsp.csr_len;
	case K_READ:
		return a->read.obj == b->read.obj && a->read.offset == b->read.offset &&
		    a->read.max == b->read.max;
	case K_WRITE_RSP: return a->write_rsp.held == b->write_rsp.held;
	case K_INSTALL: return memcmp(&a->install, &b->install, sizeof(a->install)) == 0;
	case K_STATE_RSP:
		return a->state_rsp.state == b->state_rsp.state &&
		    a->state_rsp.debug_locked == b->state_rsp.debug_locked;
	case K_PROVE: return memcmp(&a->prove, &b->prove, sizeof(a->prove)) == 0;
	case K_CONFIRM: return memcmp(&a->confirm, &b->confirm, sizeof(a->confirm)) == 0;
	case K_CONFIRM_RSP: return a->confirm_rsp.match == b->confirm_rsp.match;
	case K_ERROR: return memcmp(&a->error, &b->error, sizeof(a->error)) == 0;
	case K_CRED: return memcmp(&a->cred, &b->cred, sizeof(a->cred)) == 0;
	default: abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[FRAME_MAX_PAYLOAD + 64];
	union anymsg a, b;
	enum kind k;
	size_t n, ol = 0, cap;
	const uint8_t *p;
	int r;

	if (size < 1)
		return 0;
	k = (enum kind)(data[0] % K_COUNT);
	p = data + 1;
	n = size - 1;
	memset(&a, 0, sizeof(a));
	r = dec_any(k, p, n, &a);
	if (r != PRC_OK) {
		if (r > 0 || r < PRC_VALUE)
			abort();
		return 0;
	}
	/* Every valid payload fits a frame. */
	if (n > FRAME_MAX_PAYLOAD)
		abort();
	if (enc_any(k, &a, out, sizeof(out), &ol) != PRC_OK || ol != n ||
	    (n != 0 && memcmp(out, p, n) != 0))
		abort();
	memset(&b, 0x77, sizeof(b));
	if (dec_any(k, out, ol, &b) != PRC_OK)
		abort();
	if (k != K_EMPTY && !same(k, &a, &b))
		abort();
	/* One byte short of room must fail cleanly and leave the rest of the buffer alone. */
	if (n != 0) {
		cap = n - 1;
		memset(out, 0xa5, sizeof(out));
		if (enc_any(k, &a, out, cap, &ol) != PRC_SPACE)
			abort();
		for (; cap < sizeof(out); cap++)
			if (out[cap] != 0xa5)
				abort();
	}
	return 0;
}
