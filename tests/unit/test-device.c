/*
 * test-device.c: the portable board core (firmware-stub/core/device.c) driven through its only
 * input, dev_input(), with whole wire frames, on a scripted platform whose every hook can be made
 * to fail. Covers the state table of docs/protocol.md §4 (every request in every state), each
 * failure path ("no effect", §3.10), idempotent retransmission (P-9), the wiping of secrets from
 * every buffer of the core (P-42) and the stored record (§4.1).
 *
 * The platform's hashes are OpenSSL's (SHA-256, PBKDF2): the core's own logic is what is tested,
 * with real digests so that INSTALL's digest check and CONFIRM_PASSWORD are the real ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "helpers.h"

#include "cursor.h"
#include "device.h"
#include "hcrypto.h"
#include "issue.h"
#include "frame.h"
#include "msg.h"
#include "proto.h"
#include "conform-vectors.h"

#define PW "correct horse 42"
/* docs/protocol.md §7.6, kept identical to the document */
#define KAT_V1 \
    "54 c7 59 de 27 aa 6d ce 8f 0e 1a 6f 0f 14 57 c1 f0 31 ca e4 b3 51 7a 19 34 57 51 ea b9 ea " \
    "28 6a"
#define KAT_V1000 \
    "96 bf 32 09 dd 8f 12 7e c0 22 84 39 25 92 ff b3 2c c6 41 76 cc 20 11 64 9f 88 55 8b 7a 48 " \
    "f2 a3"
#define KAT_V100000 \
    "1f c2 3e 48 47 59 fc 73 b1 28 fe a7 c5 82 ab 39 44 af 33 50 d1 48 74 d4 65 ed 7a 6c 41 c6 " \
    "f1 df"
#define KAT_CSR_INFO \
    "30 81 ae 02 01 00 30 1b 31 19 30 17 06 03 55 04 03 0c 10 61 31 62 32 63 33 64 34 65 35 66 " \
    "36 30 37 31 38 30 59 30 13 06 07 2a 86 48 ce 3d 02 01 06 08 2a 86 48 ce 3d 03 01 07 03 42 " \
    "00 04 60 fe d4 ba 25 5a 9d 31 c9 61 eb 74 c6 35 6d 68 c0 49 b8 92 3b 61 fa 6c e6 69 62 2e " \
    "60 f2 9f b6 79 03 fe 10 08 b8 bc 99 a4 1a e9 e9 56 28 bc 64 f2 f1 b2 0c 2d 7e 9f 51 77 a3 " \
    "c2 94 d4 46 22 99 a0 31 30 2f 06 09 2a 86 48 86 f7 0d 01 09 07 31 22 13 20 31 30 31 31 31 " \
    "32 31 33 31 34 31 35 31 36 31 37 31 38 31 39 31 61 31 62 31 63 31 64 31 65 31 66"
#define KAT_CSR \
    "30 82 01 08 30 81 ae 02 01 00 30 1b 31 19 30 17 06 03 55 04 03 0c 10 61 31 62 32 63 33 64 " \
    "34 65 35 66 36 30 37 31 38 30 59 30 13 06 07 2a 86 48 ce 3d 02 01 06 08 2a 86 48 ce 3d 03 " \
    "01 07 03 42 00 04 60 fe d4 ba 25 5a 9d 31 c9 61 eb 74 c6 35 6d 68 c0 49 b8 92 3b 61 fa 6c " \
    "e6 69 62 2e 60 f2 9f b6 79 03 fe 10 08 b8 bc 99 a4 1a e9 e9 56 28 bc 64 f2 f1 b2 0c 2d 7e " \
    "9f 51 77 a3 c2 94 d4 46 22 99 a0 31 30 2f 06 09 2a 86 48 86 f7 0d 01 09 07 31 22 13 20 31 " \
    "30 31 31 31 32 31 33 31 34 31 35 31 36 31 37 31 38 31 39 31 61 31 62 31 63 31 64 31 65 31 " \
    "66 30 0a 06 08 2a 86 48 ce 3d 04 03 02 03 49 00 30 46 02 21 00 9a 46 94 23 8e cc 20 fa 77 " \
    "67 96 09 81 e0 73 fe 4c 99 65 38 b4 b1 2c 46 f7 53 25 c3 b4 32 5b 14 02 21 00 e8 71 72 98 " \
    "ec e2 fd fa 93 5a 22 b8 e0 4a 4e 26 98 e9 9b 91 d5 59 4e 61 d9 d5 3f 89 e6 67 32 44"
#define KAT_PROVE_MSG "53 50 76 31 2d 50 52 4f 56 45 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf"
#define KAT_PROVE_DIGEST \
    "ce 5a 71 aa c9 90 57 04 0b 95 e0 9b da c7 1a d0 00 42 31 37 73 5d 69 de 8a 93 bf 31 3e 90 " \
    "cc df"
#define KAT_PROVE_SIG \
    "30 45 02 20 1b e0 ce 8e c4 dc 85 53 78 48 8a 68 f0 06 0d f0 b4 eb e1 64 b0 d6 f2 a5 1c 83 " \
    "c3 b5 52 18 16 f4 02 21 00 ba 8a 4d c1 14 d4 63 ec ea 8d 50 15 80 d0 69 f5 6a e8 95 46 fa " \
    "53 66 e9 f6 2d 98 59 2f e7 08 13"
#define PW2 "battery staple 77"

/* The scripted platform: a flash that keeps the last stored record, a debug fuse, the line. */
struct fake {
	int fail_rng, fail_pw_hash, fail_keygen, fail_csr, fail_sign, fail_sha, fail_store;
	int fail_lock;
	int keygen_overlong;
	int chain_rc; /* what chain_check answers */
	unsigned keygen_n;
	unsigned stores;
	int have_flash;
	struct dev_persist flash;
	int fuse;
	int fuse_unreadable; /* debug_state answers -1 */
	uint8_t tx[4 * FRAME_MAX_WIRE];
	size_t tx_len;
};

static struct fake fk;
static struct dev dv;
static struct dev_identity ident;
static struct dev_platform plat;
static uint16_t next_seq = 1;

static int
f_rng(void *ctx, uint8_t *out, size_t n)
{
	size_t i;

	if (fk.fail_rng)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(0x5a + i);
	return 0;
}

static int
f_sha256(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN])
{
	if (fk.fail_sha)
		return -1;
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int
f_pw_hash(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN])
{
	if (fk.fail_pw_hash)
		return -1;
	return PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)saltlen, (int)iterations, EVP_sha256(),
	    MSG_DIGEST_LEN, out) == 1 ? 0 : -1;
}

/* A "key" is 40 bytes "KEY<n>...": each generation differs, so a replaced key can be seen. */
static int
f_keygen(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen)
{
	size_t i;

	if (fk.fail_keygen)
		return -1;
	fk.keygen_n++;
	if (cap < 40)
		return -1;
	for (i = 0; i < 40; i++)
		key[i] = (uint8_t)(0x40 + fk.keygen_n * 7 + i + key_type);
	*keylen = fk.keygen_overlong ? cap + 1 : 40;
	return 0;
}

/* The "CSR" is "CSR:" + the nonce hex + the key's first byte: bound to both. */
static int
f_csr(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex, const char *chip_hex,
    uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = strlen(nonce_hex);

	if (fk.fail_csr || cap < n + 5)
		return -1;
	memcpy(out, "CSR:", 4);
	memcpy(out + 4, nonce_hex, n);
	out[4 + n] = key[0];
	*outlen = n + 5;
	return 0;
}

static int
f_sign(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t cap, size_t *siglen)
{
	if (fk.fail_sign || cap < 8)
		return -1;
	memcpy(sig, "SIG", 3);
	sig[3] = key[0];
	sig[4] = msg[0];
	sig[5] = msg[n - 1];
	sig[6] = (uint8_t)n;
	sig[7] = 0x01;
	*siglen = 8;
	return 0;
}

static int
f_chain_check(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain, size_t n)
{
	return fk.chain_rc;
}

static int
f_store(void *ctx, const struct dev_persist *ps)
{
	if (fk.fail_store)
		return -1;
	fk.stores++;
	fk.flash = *ps;
	fk.have_flash = 1;
	return 0;
}

static int
f_lock_debug(void *ctx)
{
	if (fk.fail_lock)
		return -1;
	fk.fuse = 1;
	return 0;
}

static int
f_debug_state(void *ctx)
{
	return fk.fuse_unreadable ? -1 : fk.fuse;
}

static int
f_send(void *ctx, const uint8_t *p, size_t n)
{
	assert_true(fk.tx_len + n <= sizeof(fk.tx));
	memcpy(fk.tx + fk.tx_len, p, n);
	fk.tx_len += n;
	return 0;
}

static void
board_new(void)
{
	memset(&fk, 0, sizeof(fk));
	memset(&ident, 0, sizeof(ident));
	strcpy(ident.model, "TH2-TEST");
	strcpy(ident.hw_rev, "B");
	strcpy(ident.fw_version, "1.4.2");
	memcpy(ident.chip_id, "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18", 8);
	ident.chip_id_len = 8;
	memset(ident.fw_digest, 0x11, sizeof(ident.fw_digest));
	ident.caps = CAP_KEY_EC_P256 | CAP_KEY_EC_P384 | CAP_DEBUG_LOCK | CAP_CRED_WIFI | CAP_CRED_MATTER;
	ident.max_payload = FRAME_MAX_PAYLOAD;
	plat = (struct dev_platform){ .ctx = &fk, .rng = f_rng, .sha256 = f_sha256,
		.pw_hash = f_pw_hash, .keygen = f_keygen, .csr = f_csr, .sign = f_sign,
		.chain_check = f_chain_check, .store = f_store, .lock_debug = f_lock_debug,
		.send = f_send, .debug_state = f_debug_state };
	dev_init(&dv, &ident, &plat, NULL);
	next_seq = 1;
}

/* One reply as the station's receiver sees it. */
struct reply {
	int n; /* frames received */
	uint8_t type;
	uint16_t seq;
	uint8_t payload[FRAME_MAX_PAYLOAD];
	size_t len;
	unsigned err; /* the code of an ERROR reply, 0 otherwise */
};

static void
parse_tx(struct reply *r)
{
	static struct frame_rx rx;
	struct frame f;
	struct msg_error e;
	size_t i;

	memset(r, 0, sizeof(*r));
	frame_rx_init(&rx);
	for (i = 0; i < fk.tx_len; i++) {
		if (frame_rx_push(&rx, fk.tx[i], &f) != 1)
			continue;
		r->n++;
		r->type = f.type;
		r->seq = f.seq;
		r->len = f.len;
		memcpy(r->payload, f.payload, f.len);
	}
	if (r->n == 1 && r->type == MSG_ERROR) {
		assert_int_equal(msg_dec_error(r->payload, r->len, &e), PRC_OK);
		r->err = e.code;
	}
}

/* Sends one request with the given seq; the board's answer is parsed into r (when r != NULL). */
static void
send_seq(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len, struct reply *r)
{
	uint8_t wire[FRAME_MAX_WIRE];
	size_t wl = 0;

	assert_int_equal(frame_encode(type, seq, payload, len, wire, sizeof(wire), &wl), PRC_OK);
	fk.tx_len = 0;
	dev_input(&dv, wire, wl);
	if (r != NULL) {
		parse_tx(r);
		assert_int_equal(r->n, 1);
		assert_int_equal(r->seq, seq);
	}
}

static void
send_req(uint8_t type, const uint8_t *payload, size_t len, struct reply *r)
{
	send_seq(type, next_seq++, payload, len, r);
}

static void
expect_ok(uint8_t type, const struct reply *r)
{
	if (r->type != (type | MSG_RESPONSE))
		fail_msg("request %02x answered %02x (error %u)", type, r->type, r->err);
}

static void
expect_err(unsigned code, const struct reply *r)
{
	if (r->type != MSG_ERROR || r->err != code)
		fail_msg("expected error %u, got type %02x error %u", code, r->type, r->err);
}

static size_t
enc_set_identity(const char *serial, const char *pw, uint32_t iter, uint8_t *out)
{
	struct msg_set_identity m;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	strcpy(m.serial, serial);
	strcpy(m.password, pw);
	m.pw_iterations = iter;
	assert_int_equal(msg_enc_set_identity(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static size_t
enc_gen_key(uint8_t key_type, uint8_t nonce0, uint8_t *out)
{
	struct msg_gen_key m;
	size_t len = 0, i;

	m.key_type = key_type;
	m.nonce_len = 16;
	for (i = 0; i < 16; i++)
		m.nonce[i] = (uint8_t)(nonce0 + i);
	assert_int_equal(msg_enc_gen_key(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static size_t
enc_read(uint8_t obj, uint32_t off, uint16_t max, uint8_t *out)
{
	struct msg_read_obj m = { obj, off, max };
	size_t len = 0;

	assert_int_equal(msg_enc_read_obj(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static const uint8_t chain_bytes[] = "a chain of certificates, as the fake platform sees it";
#define CHAIN_LEN (sizeof(chain_bytes) - 1)

static size_t
enc_write(uint32_t total, uint32_t off, const uint8_t *data, uint16_t n, uint8_t *out)
{
	struct msg_write_obj m = { OBJ_CHAIN, total, off, data, n };
	size_t len = 0;

	assert_int_equal(msg_enc_write_obj(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static size_t
enc_install(const uint8_t *chain, size_t n, uint8_t *out)
{
	struct msg_install m;
	size_t len = 0;

	m.obj = OBJ_CHAIN;
	m.total = (uint32_t)n;
	assert_int_equal(EVP_Digest(chain, n, m.sha256, NULL, EVP_sha256(), NULL), 1);
	assert_int_equal(msg_enc_install(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static size_t
enc_prove(uint8_t *out)
{
	struct msg_prove m;
	size_t len = 0;

	m.challenge_len = 16;
	memset(m.challenge, 0xc0, 16);
	assert_int_equal(msg_enc_prove(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

static size_t
enc_confirm(const char *pw, uint8_t *out)
{
	struct msg_confirm_pw m;
	size_t len = 0;

	memset(&m, 0, sizeof(m));
	strcpy(m.password, pw);
	assert_int_equal(msg_enc_confirm_pw(&m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

/* The credentials of the tests (P-53): a Wi-Fi passphrase and a Matter verifier, each with a
 * variant for replacement and mismatch (WIFI_PP2 shares no 6 bytes with WIFI_PP). */
#define WIFI_SSID "TH2-7K3M9Q"
#define WIFI_PP "wifi passphrase 4 the test"
#define WIFI_PP2 "another Wi-Fi secret, number 2"

static void
cred_wifi(struct msg_cred *m, uint8_t akm, const char *ssid, const char *secret)
{
	memset(m, 0, sizeof(*m));
	m->kind = CRED_WIFI;
	strcpy(m->wifi.ssid, ssid);
	m->wifi.akm = akm;
	m->wifi.secret_len = (uint8_t)strlen(secret);
	memcpy(m->wifi.secret, secret, m->wifi.secret_len);
}

/* Matter: salt 0x30.., w0 0x90.. with its last byte v, L = 04 || 0xd0... */
static void
cred_matter(struct msg_cred *m, uint8_t v)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->kind = CRED_MATTER;
	m->matter.discriminator = 3840;
	m->matter.iterations = 1000;
	m->matter.salt_len = 32;
	for (i = 0; i < 32; i++)
		m->matter.salt[i] = (uint8_t)(0x30 + i);
	for (i = 0; i < MSG_MATTER_W0_LEN; i++)
		m->matter.verifier[i] = (uint8_t)(0x90 + i);
	m->matter.verifier[MSG_MATTER_W0_LEN - 1] = v;
	m->matter.verifier[MSG_MATTER_W0_LEN] = 0x04;
	for (i = MSG_MATTER_W0_LEN + 1; i < MSG_MATTER_VERIFIER_LEN; i++)
		m->matter.verifier[i] = (uint8_t)(0xd0 + i);
}

static size_t
enc_cred(const struct msg_cred *m, uint8_t *out)
{
	size_t len = 0;

	assert_int_equal(msg_enc_cred(m, out, FRAME_MAX_PAYLOAD, &len), PRC_OK);
	return len;
}

/* Sends SET_CREDENTIAL (or CONFIRM_CREDENTIAL) of m; the reply in r. */
static void
send_cred(uint8_t type, const struct msg_cred *m, struct reply *r)
{
	uint8_t p[FRAME_MAX_PAYLOAD];

	send_req(type, p, enc_cred(m, p), r);
}

/* CONFIRM_CREDENTIAL of m: its match (asserts a normal response). */
static int
confirm_cred(const struct msg_cred *m)
{
	struct msg_confirm_pw_rsp c;
	struct reply r;

	send_cred(MSG_CONFIRM_CRED, m, &r);
	expect_ok(MSG_CONFIRM_CRED, &r);
	assert_int_equal(msg_dec_confirm_pw_rsp(r.payload, r.len, &c), PRC_OK);
	return c.match;
}

static void
step_set_cred(const struct msg_cred *m)
{
	struct reply r;

	send_cred(MSG_SET_CRED, m, &r);
	expect_ok(MSG_SET_CRED, &r);
	assert_int_equal(r.len, 0);
}

/* Steps of a run; each asserts success. */
static void
step_identity(const char *serial, const char *pw)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct reply r;

	send_req(MSG_SET_IDENTITY, p, enc_set_identity(serial, pw, 10, p), &r);
	expect_ok(MSG_SET_IDENTITY, &r);
}

static void
step_gen_key(uint8_t nonce0)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct reply r;

	send_req(MSG_GEN_KEY, p, enc_gen_key(KEY_EC_P256, nonce0, p), &r);
	expect_ok(MSG_GEN_KEY, &r);
}

static void
step_write_chain(void)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct reply r;

	send_req(MSG_WRITE_OBJECT, p, enc_write(CHAIN_LEN, 0, chain_bytes, CHAIN_LEN, p), &r);
	expect_ok(MSG_WRITE_OBJECT, &r);
}

static void
step_install(void)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct reply r;

	step_write_chain();
	send_req(MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p), &r);
	expect_ok(MSG_INSTALL, &r);
}

static void
step_lock(void)
{
	struct reply r;

	send_req(MSG_LOCK, NULL, 0, &r);
	expect_ok(MSG_LOCK, &r);
}

/* A fresh board brought to state st by the normal path. */
static void
board_in(unsigned st)
{
	board_new();
	if (st >= ST_IDENTIFIED)
		step_identity("SN-000123", PW);
	if (st >= ST_KEYED)
		step_gen_key(0x10);
	if (st >= ST_CERTIFIED)
		step_install();
	if (st >= ST_LOCKED)
		step_lock();
	assert_int_equal(dv.ps.state, st);
}

static void
hello(struct msg_hello *h)
{
	struct reply r;

	send_req(MSG_HELLO, NULL, 0, &r);
	expect_ok(MSG_HELLO, &r);
	assert_int_equal(msg_dec_hello(r.payload, r.len, h), PRC_OK);
}

/* Reads OBJ_CSR (or the chain) whole; returns its length, 0 when absent. */
static size_t
read_obj(uint8_t obj, uint8_t *out, size_t cap)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct msg_read_obj_rsp rsp;
	struct reply r;

	send_req(MSG_READ_OBJECT, p, enc_read(obj, 0, MSG_MAX_CHUNK, p), &r);
	if (r.type == MSG_ERROR) {
		expect_err(PERR_NO_OBJECT, &r);
		return 0;
	}
	assert_int_equal(msg_dec_read_obj_rsp(r.payload, r.len, &rsp), PRC_OK);
	assert_true(rsp.total <= cap && rsp.data_len == rsp.total);
	memcpy(out, rsp.data, rsp.data_len);
	return rsp.data_len;
}

/* Does needle occur anywhere in hay? */
static int
contains(const void *hay, size_t n, const void *needle, size_t m)
{
	const uint8_t *h = hay;
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(h + i, needle, m) == 0)
			return 1;
	return 0;
}

/* Any 6-byte window of pw anywhere in the core's RAM (the whole struct dev)? */
static int
ram_holds(const char *pw)
{
	size_t n = strlen(pw), i;

	for (i = 0; i + 6 <= n; i++)
		if (contains(&dv, sizeof(dv), pw + i, 6))
			return 1;
	return 0;
}

/* Any 6-byte window of s[0..n) in the core's RAM outside the stored record (which legitimately
 * holds the Wi-Fi secret and the Matter verifier)? */
static int
ram_outside_record_holds(const void *s, size_t n)
{
	const uint8_t *base = (const uint8_t *)&dv, *needle = s;
	size_t before = (size_t)((const uint8_t *)&dv.ps - base), after = before + sizeof(dv.ps), i;

	for (i = 0; i + 6 <= n; i++)
		if (contains(base, before, needle + i, 6) ||
		    contains(base + after, sizeof(dv) - after, needle + i, 6))
			return 1;
	return 0;
}

/* ... or anywhere in the core's RAM, the record included (a replaced or refused secret). */
static int
ram_anywhere_holds(const void *s, size_t n)
{
	size_t i;

	for (i = 0; i + 6 <= n; i++)
		if (contains(&dv, sizeof(dv), (const uint8_t *)s + i, 6))
			return 1;
	return 0;
}

/* ---- the state table (§4, P-20, P-21) ---- */

enum verdict { OK, B, L, NOOBJ };

static const char *const req_names[] = { "", "HELLO", "SET_IDENTITY", "GEN_KEY", "READ_OBJECT",
	"WRITE_OBJECT", "INSTALL", "PROVE", "CONFIRM_PASSWORD", "LOCK", "SET_CREDENTIAL",
	"CONFIRM_CREDENTIAL" };

/* Rows: request type 1..11; columns: BLANK IDENTIFIED KEYED CERTIFIED LOCKED (docs/protocol.md §4). */
static const enum verdict table[12][5] = {
	[MSG_HELLO] = { OK, OK, OK, OK, OK },
	[MSG_SET_IDENTITY] = { OK, OK, OK, OK, L },
	[MSG_GEN_KEY] = { B, OK, OK, B, L },
	[MSG_READ_OBJECT] = { NOOBJ, NOOBJ, OK, OK, OK },
	[MSG_WRITE_OBJECT] = { B, B, OK, B, L },
	[MSG_INSTALL] = { B, B, OK, B, L },
	[MSG_PROVE] = { B, B, B, OK, OK },
	[MSG_CONFIRM_PASSWORD] = { B, OK, OK, OK, OK },
	[MSG_LOCK] = { B, B, B, OK, L },
	[MSG_SET_CRED] = { B, OK, OK, OK, L },
	[MSG_CONFIRM_CRED] = { B, OK, OK, OK, OK },
};

/* A valid request of type t, encoded into p. */
static size_t
valid_request(uint8_t t, uint8_t *p)
{
	switch (t) {
	case MSG_SET_IDENTITY: return enc_set_identity("SN-999", PW2, 10, p);
	case MSG_GEN_KEY: return enc_gen_key(KEY_EC_P256, 0x20, p);
	case MSG_READ_OBJECT: return enc_read(OBJ_CSR, 0, MSG_MAX_CHUNK, p);
	case MSG_WRITE_OBJECT: return enc_write(CHAIN_LEN, 0, chain_bytes, CHAIN_LEN, p);
	case MSG_INSTALL: return enc_install(chain_bytes, CHAIN_LEN, p);
	case MSG_PROVE: return enc_prove(p);
	case MSG_CONFIRM_PASSWORD: return enc_confirm(PW, p);
	case MSG_SET_CRED:
	case MSG_CONFIRM_CRED: {
		struct msg_cred m;

		cred_wifi(&m, AKM_WPA3_SAE, WIFI_SSID, WIFI_PP);
		return enc_cred(&m, p);
	}
	default: return 0;
	}
}

static void
test_state_table(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct dev_persist before;
	struct reply r;
	unsigned st, t;

	for (st = ST_BLANK; st <= ST_LOCKED; st++) {
		for (t = MSG_HELLO; t <= MSG_CONFIRM_CRED; t++) {
			board_in(st);
			if (t == MSG_INSTALL && st == ST_KEYED)
				step_write_chain();
			before = dv.ps;
			send_req((uint8_t)t, p, valid_request((uint8_t)t, p), &r);
			switch (table[t][st]) {
			case OK:
				if (r.type != (t | MSG_RESPONSE))
					fail_msg("%s in %s: refused with %u", req_names[t],
					    proto_statename(st), r.err);
				break;
			case NOOBJ:
				expect_err(PERR_NO_OBJECT, &r);
				break;
			case B:
			case L:
				if (r.type != MSG_ERROR ||
				    r.err != (table[t][st] == B ? PERR_BAD_STATE : PERR_LOCKED))
					fail_msg("%s in %s: expected %s, got %02x/%u", req_names[t],
					    proto_statename(st), table[t][st] == B ? "BAD_STATE" :
					    "LOCKED", r.type, r.err);
				/* §3.10: a refused request has no effect */
				assert_memory_equal(&before, &dv.ps, sizeof(before));
				break;
			}
		}
	}
}

/* Types that are not requests, in every state: UNKNOWN_TYPE, no effect (P-10). */
static void
test_unknown_types(void **state)
{
	static const uint8_t types[] = { 0x00, 0x0c, 0x42, 0x7f, 0x81, 0x89, 0x8a, 0x8b, 0xfe, 0xff };
	struct dev_persist before;
	struct reply r;
	unsigned st, i;

	for (st = ST_BLANK; st <= ST_LOCKED; st++) {
		board_in(st);
		before = dv.ps;
		for (i = 0; i < sizeof(types); i++) {
			send_req(types[i], NULL, 0, &r);
			expect_err(PERR_UNKNOWN_TYPE, &r);
		}
		assert_memory_equal(&before, &dv.ps, sizeof(before));
	}
}

/* ---- secrets (P-42, P-19) ---- */

/* The password is in no buffer of the core once the reply to SET_IDENTITY went out. */
static void
test_wipe_after_set_identity(void **state)
{
	board_new();
	step_identity("SN-000123", PW);
	if (ram_holds(PW))
		fail_msg("the SET_IDENTITY password is still in the core's RAM after the reply");
}

/* ... nor after CONFIRM_PASSWORD, matching or not. */
static void
test_wipe_after_confirm(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct msg_confirm_pw_rsp c;
	struct reply r;

	board_in(ST_KEYED);
	send_req(MSG_CONFIRM_PASSWORD, p, enc_confirm(PW, p), &r);
	expect_ok(MSG_CONFIRM_PASSWORD, &r);
	assert_int_equal(msg_dec_confirm_pw_rsp(r.payload, r.len, &c), PRC_OK);
	assert_int_equal(c.match, 1);
	assert_false(ram_holds(PW));
	send_req(MSG_CONFIRM_PASSWORD, p, enc_confirm(PW2, p), &r);
	assert_int_equal(msg_dec_confirm_pw_rsp(r.payload, r.len, &c), PRC_OK);
	assert_int_equal(c.match, 0);
	assert_false(ram_holds(PW2));
}

/* ... nor after the next HELLO (the P-42 finding: it stayed in the receive buffers). */
static void
test_wipe_after_next_hello(void **state)
{
	struct msg_hello h;

	board_new();
	step_identity("SN-000123", PW);
	hello(&h);
	assert_false(ram_holds(PW));
}

/* ... nor when its frame was dropped as bad (one bit flipped: the CRC fails, no reply). */
static void
test_wipe_after_bad_frame(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], wire[FRAME_MAX_WIRE];
	size_t len, wl = 0;

	board_new();
	len = enc_set_identity("SN-1", PW, 10, p);
	assert_int_equal(frame_encode(MSG_SET_IDENTITY, 7, p, len, wire, sizeof(wire), &wl), PRC_OK);
	wire[wl - 3] ^= 0x01; /* in the CRC */
	fk.tx_len = 0;
	assert_int_equal(dev_input(&dv, wire, wl), 0);
	assert_int_equal(fk.tx_len, 0);
	assert_false(ram_holds(PW));
	/* ... or refused after decoding (a write in LOCKED). */
	board_in(ST_LOCKED);
	send_req(MSG_SET_IDENTITY, p, enc_set_identity("SN-1", PW2, 10, p), NULL);
	assert_false(ram_holds(PW2));
	/* ... or refused for its length (max_payload, P-6) */
	board_new();
	ident.max_payload = 64; /* below MSG_MIN_MAX_PAYLOAD: only to have SET_IDENTITY refused */
	send_req(MSG_SET_IDENTITY, p, enc_set_identity("SN-1",
	    "0123456789012345678901234567890123456789012345678901234567890123", 10, p), NULL);
	assert_false(ram_holds("0123456789012345678901234567890123456789012345678901234567890123"));
}

/* A replaced key leaves no trace in RAM (SET_IDENTITY erases it; GEN_KEY replaces it). */
static void
test_wipe_replaced_key(void **state)
{
	uint8_t old[40];

	board_in(ST_KEYED);
	memcpy(old, dv.ps.key, sizeof(old));
	step_gen_key(0x30);
	assert_false(contains(&dv, sizeof(dv), old, sizeof(old)));
	memcpy(old, dv.ps.key, sizeof(old));
	step_identity("SN-2", PW2);
	assert_false(contains(&dv, sizeof(dv), old, sizeof(old)));
	assert_false(contains(&fk.flash, sizeof(fk.flash), old, sizeof(old)));
}

/* ---- "no effect" on a failed step (§3.10) ---- */

/* Runs request (t, p, len) on a board in state st with one hook failing; expects code and no
 * change to the record, in RAM or in flash, and a board that still answers as before. */
static void
expect_no_effect(unsigned st, int *hook, uint8_t t, const uint8_t *p, size_t len, unsigned code)
{
	struct dev_persist before, flash_before;
	uint8_t csr1[MSG_MAX_CSR], csr2[MSG_MAX_CSR];
	size_t n1, n2;
	struct msg_hello h;
	struct reply r;

	n1 = read_obj(OBJ_CSR, csr1, sizeof(csr1));
	before = dv.ps;
	flash_before = fk.flash;
	*hook = 1;
	send_req(t, p, len, &r);
	*hook = 0;
	expect_err(code, &r);
	assert_int_equal(dv.ps.state, st);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	assert_memory_equal(&flash_before, &fk.flash, sizeof(flash_before));
	hello(&h);
	assert_int_equal(h.state, st);
	assert_string_equal(h.serial, before.serial);
	n2 = read_obj(OBJ_CSR, csr2, sizeof(csr2));
	assert_int_equal(n1, n2);
	assert_memory_equal(csr1, csr2, n1);
}

static void
test_set_identity_rng_fails_in_keyed(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];

	board_in(ST_KEYED);
	expect_no_effect(ST_KEYED, &fk.fail_rng, MSG_SET_IDENTITY, p,
	    enc_set_identity("SN-NEW", PW2, 10, p), PERR_CRYPTO);
}

static void
test_set_identity_failures(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	unsigned st;

	for (st = ST_BLANK; st <= ST_CERTIFIED; st++) {
		board_in(st);
		expect_no_effect(st, &fk.fail_rng, MSG_SET_IDENTITY, p,
		    enc_set_identity("SN-NEW", PW2, 10, p), PERR_CRYPTO);
		expect_no_effect(st, &fk.fail_pw_hash, MSG_SET_IDENTITY, p,
		    enc_set_identity("SN-NEW", PW2, 10, p), PERR_CRYPTO);
		expect_no_effect(st, &fk.fail_store, MSG_SET_IDENTITY, p,
		    enc_set_identity("SN-NEW", PW2, 10, p), PERR_STORAGE);
		/* and then it works */
		step_identity("SN-NEW", PW2);
		assert_string_equal(dv.ps.serial, "SN-NEW");
	}
}

static void
test_gen_key_csr_fails(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];

	board_in(ST_KEYED);
	expect_no_effect(ST_KEYED, &fk.fail_csr, MSG_GEN_KEY, p, enc_gen_key(KEY_EC_P256, 0x40, p),
	    PERR_CRYPTO);
}

static void
test_gen_key_failures(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	unsigned st;

	for (st = ST_IDENTIFIED; st <= ST_KEYED; st++) {
		board_in(st);
		expect_no_effect(st, &fk.fail_keygen, MSG_GEN_KEY, p,
		    enc_gen_key(KEY_EC_P256, 0x40, p), PERR_CRYPTO);
		expect_no_effect(st, &fk.keygen_overlong, MSG_GEN_KEY, p,
		    enc_gen_key(KEY_EC_P256, 0x40, p), PERR_CRYPTO);
		expect_no_effect(st, &fk.fail_csr, MSG_GEN_KEY, p, enc_gen_key(KEY_EC_P256, 0x40, p),
		    PERR_CRYPTO);
		expect_no_effect(st, &fk.fail_store, MSG_GEN_KEY, p,
		    enc_gen_key(KEY_EC_P256, 0x40, p), PERR_STORAGE);
		step_gen_key(0x50);
		assert_int_equal(dv.ps.state, ST_KEYED);
	}
}

static void
test_gen_key_unsupported(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct dev_persist before;
	struct reply r;

	board_in(ST_IDENTIFIED);
	before = dv.ps;
	send_req(MSG_GEN_KEY, p, enc_gen_key(KEY_RSA_2048, 0x10, p), &r);
	expect_err(PERR_UNSUPPORTED, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	assert_int_equal(fk.keygen_n, 0);
}

static void
test_install_failures(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct dev_persist before;
	struct reply r;
	int dummy = 0;

	board_in(ST_KEYED);
	step_write_chain();
	expect_no_effect(ST_KEYED, &fk.fail_sha, MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p),
	    PERR_CRYPTO);
	expect_no_effect(ST_KEYED, &fk.fail_store, MSG_INSTALL, p,
	    enc_install(chain_bytes, CHAIN_LEN, p), PERR_STORAGE);
	fk.chain_rc = PERR_KEY_MISMATCH;
	expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p),
	    PERR_KEY_MISMATCH);
	fk.chain_rc = PERR_CHAIN_INVALID;
	expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p),
	    PERR_CHAIN_INVALID);
	fk.chain_rc = -1; /* any other failure of the platform's check */
	expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p),
	    PERR_CHAIN_INVALID);
	fk.chain_rc = 0;
	/* a digest that is not the staged bytes' */
	expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, enc_install((const uint8_t *)"x", 1, p),
	    PERR_BAD_ARG);
	{
		struct msg_install m;
		size_t len = 0;

		m.obj = OBJ_CHAIN;
		m.total = CHAIN_LEN;
		memset(m.sha256, 0xee, sizeof(m.sha256));
		assert_int_equal(msg_enc_install(&m, p, sizeof(p), &len), PRC_OK);
		expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, len, PERR_CHAIN_INVALID);
	}
	/* the staging survived every refusal: INSTALL now succeeds */
	before = dv.ps;
	send_req(MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p), &r);
	expect_ok(MSG_INSTALL, &r);
	assert_int_equal(dv.ps.state, ST_CERTIFIED);
	assert_int_equal(fk.flash.chain_len, CHAIN_LEN);
	(void)before;
}

static void
test_lock_failures(void **state)
{
	struct dev_persist before;
	struct msg_hello h;
	struct reply r;

	/* the fuse does not blow: nothing changed */
	board_in(ST_CERTIFIED);
	before = dv.ps;
	fk.fail_lock = 1;
	send_req(MSG_LOCK, NULL, 0, &r);
	expect_err(PERR_STORAGE, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	assert_int_equal(fk.fuse, 0);
	hello(&h);
	assert_int_equal(h.state, ST_CERTIFIED);
	assert_int_equal(h.debug_locked, 0);
}

static void
test_prove_failures(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	int dummy = 0;

	board_in(ST_CERTIFIED);
	expect_no_effect(ST_CERTIFIED, &fk.fail_sign, MSG_PROVE, p, enc_prove(p), PERR_CRYPTO);
	board_in(ST_LOCKED);
	expect_no_effect(ST_LOCKED, &fk.fail_sign, MSG_PROVE, p, enc_prove(p), PERR_CRYPTO);
	(void)dummy;
}

static void
test_confirm_failures(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];

	board_in(ST_IDENTIFIED);
	expect_no_effect(ST_IDENTIFIED, &fk.fail_pw_hash, MSG_CONFIRM_PASSWORD, p, enc_confirm(PW, p),
	    PERR_CRYPTO);
	assert_false(ram_holds(PW));
}

/* ---- objects, arguments, lengths ---- */

static void
test_objects(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], buf[MSG_MAX_CHAIN];
	struct msg_read_obj_rsp rsp;
	struct msg_write_obj_rsp w;
	struct reply r;
	int dummy = 0;

	board_in(ST_KEYED);
	/* the CSR carries the nonce as hex (P-41, here through the fake platform) */
	assert_int_equal(read_obj(OBJ_CSR, buf, sizeof(buf)), 4 + 32 + 1);
	assert_memory_equal(buf, "CSR:101112131415161718191a1b1c1d1e1f", 36);
	/* a chunk from an offset; offset == total gives an empty chunk; beyond is BAD_ARG */
	send_req(MSG_READ_OBJECT, p, enc_read(OBJ_CSR, 30, 4, p), &r);
	expect_ok(MSG_READ_OBJECT, &r);
	assert_int_equal(msg_dec_read_obj_rsp(r.payload, r.len, &rsp), PRC_OK);
	assert_int_equal(rsp.total, 37);
	assert_int_equal(rsp.data_len, 4);
	send_req(MSG_READ_OBJECT, p, enc_read(OBJ_CSR, 37, 4, p), &r);
	expect_ok(MSG_READ_OBJECT, &r);
	expect_no_effect(ST_KEYED, &dummy, MSG_READ_OBJECT, p, enc_read(OBJ_CSR, 38, 4, p),
	    PERR_BAD_ARG);
	/* no chain before INSTALL */
	send_req(MSG_READ_OBJECT, p, enc_read(OBJ_CHAIN, 0, 4, p), &r);
	expect_err(PERR_NO_OBJECT, &r);
	/* the CSR is read-only */
	{
		struct msg_write_obj m = { OBJ_CSR, 4, 0, (const uint8_t *)"abcd", 4 };
		size_t len = 0;

		assert_int_equal(msg_enc_write_obj(&m, p, sizeof(p), &len), PRC_OK);
		expect_no_effect(ST_KEYED, &dummy, MSG_WRITE_OBJECT, p, len, PERR_BAD_ARG);
	}
	/* chunks in order (P-16): a gap is refused and the staging stays */
	send_req(MSG_WRITE_OBJECT, p, enc_write(CHAIN_LEN, 0, chain_bytes, 10, p), &r);
	expect_ok(MSG_WRITE_OBJECT, &r);
	send_req(MSG_WRITE_OBJECT, p, enc_write(CHAIN_LEN, 11, chain_bytes + 11, 5, p), &r);
	expect_err(PERR_BAD_ARG, &r);
	send_req(MSG_WRITE_OBJECT, p, enc_write(CHAIN_LEN + 1, 10, chain_bytes + 10, 5, p), &r);
	expect_err(PERR_BAD_ARG, &r);
	send_req(MSG_WRITE_OBJECT, p, enc_write(CHAIN_LEN, 10, chain_bytes + 10, CHAIN_LEN - 10, p),
	    &r);
	expect_ok(MSG_WRITE_OBJECT, &r);
	assert_int_equal(msg_dec_write_obj_rsp(r.payload, r.len, &w), PRC_OK);
	assert_int_equal(w.held, CHAIN_LEN);
	/* INSTALL with the wrong total is BAD_ARG; then the right one */
	{
		struct msg_install m;
		size_t len = 0;

		m.obj = OBJ_CHAIN;
		m.total = CHAIN_LEN - 1;
		memset(m.sha256, 0, sizeof(m.sha256));
		assert_int_equal(msg_enc_install(&m, p, sizeof(p), &len), PRC_OK);
		expect_no_effect(ST_KEYED, &dummy, MSG_INSTALL, p, len, PERR_BAD_ARG);
	}
	send_req(MSG_INSTALL, p, enc_install(chain_bytes, CHAIN_LEN, p), &r);
	expect_ok(MSG_INSTALL, &r);
	assert_int_equal(read_obj(OBJ_CHAIN, buf, sizeof(buf)), CHAIN_LEN);
	assert_memory_equal(buf, chain_bytes, CHAIN_LEN);
}

/* Malformed payloads: P-31's mapping, no effect. */
static void
test_bad_payloads(void **state)
{
	static const uint8_t trailing[] = { 0x00 }, short_key[] = { 0x01, 0x10, 0x10 };
	static const uint8_t bad_type[] = { 0x04, 0x10, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
		0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
	int dummy = 0;

	board_in(ST_IDENTIFIED);
	expect_no_effect(ST_IDENTIFIED, &dummy, MSG_HELLO, trailing, 1, PERR_BAD_LENGTH);
	expect_no_effect(ST_IDENTIFIED, &dummy, MSG_LOCK, trailing, 1, PERR_BAD_LENGTH);
	expect_no_effect(ST_IDENTIFIED, &dummy, MSG_GEN_KEY, short_key, sizeof(short_key),
	    PERR_BAD_LENGTH);
	expect_no_effect(ST_IDENTIFIED, &dummy, MSG_GEN_KEY, bad_type, sizeof(bad_type),
	    PERR_BAD_ARG);
}

/* P-6: a request above max_payload is refused with BAD_LENGTH, not executed. */
static void
test_max_payload(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct dev_persist before;
	struct reply r;

	board_in(ST_KEYED);
	ident.max_payload = 128;
	before = dv.ps;
	memset(p, 'x', sizeof(p));
	send_req(MSG_WRITE_OBJECT, p, enc_write(200, 0, p + 300, 129 - 11, p), &r);
	expect_err(PERR_BAD_LENGTH, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	send_req(MSG_WRITE_OBJECT, p, enc_write(200, 0, p + 300, 128 - 11, p), &r);
	expect_ok(MSG_WRITE_OBJECT, &r);
	/* P-23: the length is checked before the type */
	send_req(0x42, p, 129, &r);
	expect_err(PERR_BAD_LENGTH, &r);
	send_req(0x42, p, 128, &r);
	expect_err(PERR_UNKNOWN_TYPE, &r);
}

/* P-9: a retransmission (same seq and type) gets the same bytes and is not executed again;
 * the same seq with another type is a new request. */
static void
test_retransmission(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], first[FRAME_MAX_WIRE];
	size_t len, fl;
	unsigned long ex;
	unsigned n;
	struct reply r;

	board_in(ST_IDENTIFIED);
	len = enc_gen_key(KEY_EC_P256, 0x60, p);
	send_seq(MSG_GEN_KEY, 500, p, len, &r);
	expect_ok(MSG_GEN_KEY, &r);
	memcpy(first, fk.tx, fk.tx_len);
	fl = fk.tx_len;
	n = fk.keygen_n;
	ex = dv.executed;
	send_seq(MSG_GEN_KEY, 500, p, len, &r);
	assert_int_equal(fk.tx_len, fl);
	assert_memory_equal(fk.tx, first, fl);
	assert_int_equal(fk.keygen_n, n);
	assert_int_equal(dv.executed, ex);
	/* an error reply is replayed too */
	send_seq(MSG_LOCK, 501, NULL, 0, &r);
	expect_err(PERR_BAD_STATE, &r);
	send_seq(MSG_LOCK, 501, NULL, 0, &r);
	expect_err(PERR_BAD_STATE, &r);
	assert_int_equal(dv.executed, ex + 1);
	/* same seq, other type: executed */
	send_seq(MSG_HELLO, 501, NULL, 0, &r);
	expect_ok(MSG_HELLO, &r);
	assert_int_equal(dv.executed, ex + 2);
	/* a reboot forgets the cache: the retransmission is executed again (P-9) */
	dev_reboot(&dv);
	send_seq(MSG_GEN_KEY, 500, p, len, &r);
	expect_ok(MSG_GEN_KEY, &r);
	assert_int_equal(fk.keygen_n, n + 1);
}

/* LOCKED is final across a reboot: the record read back from flash gives LOCKED. */
static void
test_locked_survives_reboot(void **state)
{
	struct msg_hello h;
	struct dev_persist flash;
	struct reply r;

	board_in(ST_LOCKED);
	assert_int_equal(fk.fuse, 1);
	flash = fk.flash;
	dev_init(&dv, &ident, &plat, &flash);
	hello(&h);
	assert_int_equal(h.state, ST_LOCKED);
	assert_int_equal(h.debug_locked, 1);
	assert_string_equal(h.serial, "SN-000123");
	send_req(MSG_LOCK, NULL, 0, &r);
	expect_err(PERR_LOCKED, &r);
}

/* ---- LOCK, the debug fuse and the stored record (P-22, §4.1) ---- */

/* The record write fails after the fuse blew: PERR_STORAGE, but the board is LOCKED (the one
 * exception to §3.10), and the next boot writes LOCKED from the hardware's word. */
static void
test_lock_record_write_fails(void **state)
{
	struct dev_persist flash;
	struct msg_hello h;
	struct reply r;

	board_in(ST_CERTIFIED);
	fk.fail_store = 1;
	send_req(MSG_LOCK, NULL, 0, &r);
	expect_err(PERR_STORAGE, &r);
	assert_int_equal(fk.fuse, 1);
	assert_int_equal(dv.ps.state, ST_LOCKED);
	assert_int_equal(fk.flash.state, ST_CERTIFIED);
	send_req(MSG_WRITE_OBJECT, NULL, 0, &r);
	expect_err(PERR_BAD_LENGTH, &r);
	{
		uint8_t p[FRAME_MAX_PAYLOAD];

		send_req(MSG_SET_IDENTITY, p, enc_set_identity("SN-X", PW2, 10, p), &r);
		expect_err(PERR_LOCKED, &r);
	}
	/* reboot: the record says CERTIFIED, the fuse says closed */
	fk.fail_store = 0;
	flash = fk.flash;
	dev_init(&dv, &ident, &plat, &flash);
	assert_int_equal(dv.boot, DEV_BOOT_LOCK_DONE);
	assert_int_equal(dv.ps.state, ST_LOCKED);
	assert_int_equal(fk.flash.state, ST_LOCKED);
	assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
	hello(&h);
	assert_int_equal(h.state, ST_LOCKED);
	assert_int_equal(h.debug_locked, 1);
}

/* A part that resets when its option bytes are written never answers LOCK: at the next boot the
 * core finds CERTIFIED and a closed fuse, and completes the LOCK (P-22). A blown fuse beside an
 * erased record or one of an earlier state (rolled back or rewritten: the fuse is only blown
 * from CERTIFIED) boots LOCKED and refuses writes, nothing stored (§4.1). */
static void
test_lock_part_resets(void **state)
{
	struct dev_persist flash;
	unsigned st;

	for (st = ST_BLANK; st <= ST_CERTIFIED; st++) {
		board_in(st);
		flash = fk.flash;
		fk.fuse = 1; /* blown, and the chip reset before the record was written */
		dev_init(&dv, &ident, &plat, st == ST_BLANK ? NULL : &flash);
		assert_int_equal(dv.ps.state, ST_LOCKED);
		assert_int_equal(dv.boot, st == ST_CERTIFIED ? DEV_BOOT_LOCK_DONE : DEV_BOOT_DAMAGED);
	}
}

/* The red team's rollback: a valid IDENTIFIED record written over a locked board's; the fuse is
 * blown: SET_IDENTITY must be refused, nothing stored. */
static void
test_rolled_back_record_refused(void **state)
{
	struct dev_persist flash;
	struct reply r;
	uint8_t p[256];
	unsigned stores;

	(void)state;
	board_in(ST_IDENTIFIED);
	flash = fk.flash;
	fk.fuse = 1;
	dev_init(&dv, &ident, &plat, &flash);
	assert_int_equal(dv.ps.state, ST_LOCKED);
	stores = fk.stores;
	send_req(MSG_SET_IDENTITY, p, enc_set_identity("ATTACKER-1", "hunter2hunter2", 10, p), &r);
	assert_int_equal(r.type, MSG_ERROR);
	assert_int_not_equal(r.err, 0);
	assert_int_equal(fk.stores, stores);
	assert_int_equal(dv.ps.state, ST_LOCKED);
}

/* HELLO's debug_locked is the hardware's (P-12), the record's copy only when it cannot be read. */
static void
test_debug_locked_from_hardware(void **state)
{
	struct msg_hello h;

	board_in(ST_LOCKED);
	fk.fuse = 0; /* e.g. a part whose protection was undone */
	hello(&h);
	assert_int_equal(h.state, ST_LOCKED);
	assert_int_equal(h.debug_locked, 0);
	fk.fuse_unreadable = 1;
	hello(&h);
	assert_int_equal(h.debug_locked, 1);
	plat.debug_state = NULL;
	hello(&h);
	assert_int_equal(h.debug_locked, 1);
}

/* dev_record_check: each kind of damage, found in the documented order. */
static void
test_record_check(void **state)
{
	struct dev_persist ps;

	board_in(ST_CERTIFIED);
	ps = fk.flash;
	assert_int_equal(dev_record_check(&ps), DEV_REC_OK);
	assert_int_equal(ps.layout, DEV_PERSIST_LAYOUT);
	assert_int_equal(ps.size, sizeof(ps));
	assert_int_equal(ps.crc, crc32_ieee((const uint8_t *)&ps, offsetof(struct dev_persist, crc)));
	ps.chain[100] ^= 0x20; /* one bit anywhere */
	assert_int_equal(dev_record_check(&ps), DEV_REC_CRC);
	ps = fk.flash;
	ps.crc ^= 1;
	assert_int_equal(dev_record_check(&ps), DEV_REC_CRC);
	ps = fk.flash;
	ps.layout = 1;
	assert_int_equal(dev_record_check(&ps), DEV_REC_LAYOUT);
	ps = fk.flash;
	ps.size -= 4;
	assert_int_equal(dev_record_check(&ps), DEV_REC_LAYOUT);
	memset(&ps, 0xff, sizeof(ps)); /* erased flash */
	assert_int_equal(dev_record_check(&ps), DEV_REC_ERASED);
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(dev_record_check(&ps), DEV_REC_ERASED);
	/* sealed, but inconsistent: each is refused even with a right CRC */
	ps = fk.flash;
	ps.state = 5;
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
	ps = fk.flash;
	ps.key_len = DEV_MAX_KEY + 1;
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
	ps = fk.flash;
	memset(ps.serial, 'A', sizeof(ps.serial));
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
	ps = fk.flash;
	ps.chain_len = 0; /* CERTIFIED without a chain */
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
	ps = fk.flash;
	ps.pw_iterations = 0;
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
	ps = fk.flash;
	ps.debug_locked = 2;
	dev_record_seal(&ps);
	assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS);
}

/* §4.1: a damaged record is BLANK when the debug port is known to be open, LOCKED otherwise
 * (it may have been a LOCKED one: P-21 must not be escaped by corrupting flash). */
static void
test_damaged_record_at_boot(void **state)
{
	struct dev_persist bad;
	struct msg_hello h;
	struct reply r;
	uint8_t p[FRAME_MAX_PAYLOAD];
	int mode;

	for (mode = 0; mode < 4; mode++) {
		board_in(ST_LOCKED);
		bad = fk.flash;
		bad.serial[0] ^= 1; /* CRC now wrong */
		fk.fuse = mode == 0 ? 0 : 1;
		fk.fuse_unreadable = mode == 2;
		if (mode == 3)
			plat.debug_state = NULL;
		dev_init(&dv, &ident, &plat, &bad);
		assert_int_equal(dv.boot, DEV_BOOT_DAMAGED);
		hello(&h);
		assert_string_equal(h.serial, "");
		send_req(MSG_SET_IDENTITY, p, enc_set_identity("SN-AGAIN", PW2, 10, p), &r);
		if (mode == 0) {
			assert_int_equal(h.state, ST_BLANK);
			expect_ok(MSG_SET_IDENTITY, &r);
		} else {
			assert_int_equal(h.state, ST_LOCKED);
			assert_int_equal(h.debug_locked, mode == 1);
			expect_err(PERR_LOCKED, &r);
		}
	}
	/* another layout is damaged too (the port migrates before dev_init, §4.1) */
	board_in(ST_KEYED);
	bad = fk.flash;
	bad.layout = DEV_PERSIST_LAYOUT + 1;
	dev_init(&dv, &ident, &plat, &bad);
	assert_int_equal(dv.boot, DEV_BOOT_DAMAGED);
	assert_int_equal(dv.ps.state, ST_BLANK);
	/* a sound record is read as it was */
	board_in(ST_KEYED);
	bad = fk.flash;
	dev_init(&dv, &ident, &plat, &bad);
	assert_int_equal(dv.boot, DEV_BOOT_RECORD);
	assert_memory_equal(&dv.ps, &bad, sizeof(bad));
}

/* Every record the core stores is sealed, and the RAM copy is sealed between requests. */
static void
test_records_sealed(void **state)
{
	unsigned st;

	for (st = ST_BLANK; st <= ST_LOCKED; st++) {
		board_in(st);
		assert_int_equal(dev_record_check(&dv.ps), DEV_REC_OK);
		if (st > ST_BLANK)
			assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
	}
}

/* Host build only (P-21): back to BLANK, key and credentials gone from RAM and flash. */
static void
test_factory_reset(void **state)
{
	uint8_t key[40];
	struct msg_cred w;

	board_in(ST_CERTIFIED);
	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	step_set_cred(&w);
	step_lock();
	memcpy(key, dv.ps.key, sizeof(key));
	dev_factory_reset(&dv);
	/* the credentials go too */
	assert_int_equal(dv.ps.cred_stored, 0);
	assert_int_equal(fk.flash.cred_stored, 0);
	assert_false(ram_anywhere_holds(WIFI_PP, strlen(WIFI_PP)));
	assert_false(contains(&fk.flash, sizeof(fk.flash), WIFI_PP, strlen(WIFI_PP)));
	assert_int_equal(dv.ps.state, ST_BLANK);
	assert_int_equal(fk.flash.state, ST_BLANK);
	assert_false(contains(&dv, sizeof(dv), key, sizeof(key)));
	assert_false(contains(&fk.flash, sizeof(fk.flash), key, sizeof(key)));
}

/* ---- onboarding credentials (P-53, P-54) ---- */

/* Set, confirm, a mismatch of each kind; the state does not change and the record is stored. */
static void
test_cred_set_confirm(void **state)
{
	struct msg_cred w, w2, mt, mt2;
	unsigned st;
	uint32_t stores;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x11);
	for (st = ST_IDENTIFIED; st <= ST_CERTIFIED; st++) {
		board_in(st);
		/* nothing stored yet: a normal response, no match */
		assert_int_equal(confirm_cred(&w), 0);
		assert_int_equal(confirm_cred(&mt), 0);
		stores = fk.stores;
		step_set_cred(&w);
		assert_int_equal(fk.stores, stores + 1);
		assert_int_equal(dv.ps.state, st);
		assert_int_equal(fk.flash.state, st);
		assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
		assert_int_equal(fk.flash.cred_stored, DEV_CRED_WIFI);
		assert_string_equal(fk.flash.wifi_ssid, WIFI_SSID);
		assert_int_equal(fk.flash.wifi_akm, AKM_WPA2_WPA3);
		assert_int_equal(fk.flash.wifi_secret_len, strlen(WIFI_PP));
		assert_memory_equal(fk.flash.wifi_secret, WIFI_PP, strlen(WIFI_PP));
		assert_int_equal(confirm_cred(&w), 1);
		assert_int_equal(confirm_cred(&mt), 0); /* the other kind is still not stored */
		step_set_cred(&mt);
		assert_int_equal(fk.flash.cred_stored, DEV_CRED_WIFI | DEV_CRED_MATTER);
		assert_int_equal(fk.flash.matter_discriminator, 3840);
		assert_int_equal(fk.flash.matter_iterations, 1000);
		assert_int_equal(fk.flash.matter_salt_len, 32);
		assert_memory_equal(fk.flash.matter_verifier, mt.matter.verifier, MSG_MATTER_VERIFIER_LEN);
		assert_int_equal(confirm_cred(&w), 1);
		assert_int_equal(confirm_cred(&mt), 1);
		/* mismatches: each a normal response with match 0, nothing changed */
		cred_wifi(&w2, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP2);
		assert_int_equal(confirm_cred(&w2), 0);
		cred_wifi(&w2, AKM_WPA3_SAE, WIFI_SSID, WIFI_PP);
		assert_int_equal(confirm_cred(&w2), 0);
		cred_wifi(&w2, AKM_WPA2_WPA3, "TH2-7K3M9R", WIFI_PP);
		assert_int_equal(confirm_cred(&w2), 0);
		cred_matter(&mt2, 0x12);
		assert_int_equal(confirm_cred(&mt2), 0);
		assert_int_equal(dv.ps.state, st);
		assert_int_equal(dev_record_check(&dv.ps), DEV_REC_OK);
		/* the record survives a reboot with them (dev_init reads them back) */
		dev_init(&dv, &ident, &plat, &fk.flash);
		assert_int_equal(dv.boot, DEV_BOOT_RECORD);
		assert_int_equal(confirm_cred(&w), 1);
		assert_int_equal(confirm_cred(&mt), 1);
	}
}

/* A second SET_CREDENTIAL of a kind replaces the first (a station that crashed draws new
 * ones): the old secret is gone from RAM and from the record, bytes past the new length zero. */
static void
test_cred_replace(void **state)
{
	uint8_t psk[MSG_WIFI_PSK_LEN];
	struct msg_cred w, p, mt, mt2;
	size_t i;

	board_in(ST_KEYED);
	cred_wifi(&w, AKM_WPA3_SAE, WIFI_SSID, "a passphrase of sixty-three characters, the longest allowed: 63");
	assert_int_equal(w.wifi.secret_len, 63);
	step_set_cred(&w);
	for (i = 0; i < sizeof(psk); i++)
		psk[i] = (uint8_t)(0xa0 + i);
	memset(&p, 0, sizeof(p));
	p.kind = CRED_WIFI;
	strcpy(p.wifi.ssid, "other");
	p.wifi.akm = AKM_WPA2_PSK;
	memcpy(p.wifi.secret, psk, sizeof(psk));
	p.wifi.secret_len = sizeof(psk);
	step_set_cred(&p);
	assert_int_equal(confirm_cred(&p), 1);
	assert_int_equal(confirm_cred(&w), 0);
	assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
	for (i = sizeof(psk); i < MSG_MAX_WIFI_SECRET; i++)
		assert_int_equal(fk.flash.wifi_secret[i], 0);
	assert_false(ram_anywhere_holds(w.wifi.secret, w.wifi.secret_len));
	assert_false(contains(&fk.flash, sizeof(fk.flash), "passphrase of", 13));
	cred_matter(&mt, 0x21);
	cred_matter(&mt2, 0x22);
	mt2.matter.salt_len = 16;
	memset(mt2.matter.salt + 16, 0, 16);
	step_set_cred(&mt);
	step_set_cred(&mt2);
	assert_int_equal(confirm_cred(&mt2), 1);
	assert_int_equal(confirm_cred(&mt), 0);
	assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
	assert_int_equal(confirm_cred(&p), 1); /* the other kind is untouched */
}

/* BLANK refuses both (BAD_STATE); LOCKED refuses SET (LOCKED), still answers CONFIRM of a
 * Wi-Fi credential and refuses CONFIRM of a Matter one (LOCKED, whether it matches or not:
 * no passcode oracle on a shipped board, P-54). */
static void
test_cred_states(void **state)
{
	struct msg_cred w, mt;
	struct dev_persist before;
	struct reply r;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x31);
	board_new();
	before = dv.ps;
	send_cred(MSG_SET_CRED, &mt, &r);
	expect_err(PERR_BAD_STATE, &r);
	send_cred(MSG_CONFIRM_CRED, &w, &r);
	expect_err(PERR_BAD_STATE, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	board_in(ST_CERTIFIED);
	step_set_cred(&w);
	step_set_cred(&mt);
	step_lock();
	assert_int_equal(confirm_cred(&w), 1);
	send_cred(MSG_CONFIRM_CRED, &mt, &r);
	expect_err(PERR_LOCKED, &r);
	cred_matter(&mt, 0x32);
	send_cred(MSG_CONFIRM_CRED, &mt, &r);
	expect_err(PERR_LOCKED, &r);
	before = dv.ps;
	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP2);
	send_cred(MSG_SET_CRED, &w, &r);
	expect_err(PERR_LOCKED, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	assert_int_equal(confirm_cred(&w), 0);
	assert_false(ram_anywhere_holds(WIFI_PP2, strlen(WIFI_PP2)));
}

/* A kind the board does not announce: UNSUPPORTED for both requests, after the state check. */
static void
test_cred_unsupported(void **state)
{
	struct msg_cred w, mt;
	struct msg_hello h;
	struct reply r;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x41);
	board_in(ST_IDENTIFIED);
	ident.caps &= ~(uint32_t)CAP_CRED_WIFI;
	hello(&h);
	assert_int_equal(h.caps & (CAP_CRED_WIFI | CAP_CRED_MATTER), CAP_CRED_MATTER);
	send_cred(MSG_SET_CRED, &w, &r);
	expect_err(PERR_UNSUPPORTED, &r);
	send_cred(MSG_CONFIRM_CRED, &w, &r);
	expect_err(PERR_UNSUPPORTED, &r);
	step_set_cred(&mt);
	assert_int_equal(confirm_cred(&mt), 1);
	ident.caps &= ~(uint32_t)CAP_CRED_MATTER;
	send_cred(MSG_SET_CRED, &mt, &r);
	expect_err(PERR_UNSUPPORTED, &r);
	send_cred(MSG_CONFIRM_CRED, &mt, &r);
	expect_err(PERR_UNSUPPORTED, &r);
	/* P-23: the state comes first */
	board_new();
	ident.caps &= ~(uint32_t)(CAP_CRED_WIFI | CAP_CRED_MATTER);
	send_cred(MSG_SET_CRED, &w, &r);
	expect_err(PERR_BAD_STATE, &r);
}

/* Bad payloads (§7.5's Y-22..Y-34 among them): P-31's codes, no effect, in every state. */
static void
test_cred_bad_payloads(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct dev_persist before;
	struct reply r;
	size_t i, n;
	unsigned st;
	int seen = 0;

	for (st = ST_BLANK; st <= ST_LOCKED; st++) {
		board_in(st);
		before = dv.ps;
		for (i = 0; i < cv_nbad_payloads; i++) {
			if (cv_bad_payloads[i].type != MSG_SET_CRED &&
			    cv_bad_payloads[i].type != MSG_CONFIRM_CRED)
				continue;
			seen++;
			n = cv_hex(cv_bad_payloads[i].payload, p, sizeof(p));
			send_req(cv_bad_payloads[i].type, p, n, &r);
			expect_err(cv_bad_payloads[i].rc == PRC_VALUE ? PERR_BAD_ARG : PERR_BAD_LENGTH,
			    &r);
			/* the other request type has the same decoder */
			send_req(cv_bad_payloads[i].type ^ (MSG_SET_CRED ^ MSG_CONFIRM_CRED), p, n, &r);
			expect_err(cv_bad_payloads[i].rc == PRC_VALUE ? PERR_BAD_ARG : PERR_BAD_LENGTH,
			    &r);
		}
		send_req(MSG_SET_CRED, NULL, 0, &r);
		expect_err(PERR_BAD_LENGTH, &r);
		assert_memory_equal(&before, &dv.ps, sizeof(before));
	}
	assert_int_equal(seen, 5 * 13);
}

/* §3.10: a failed store leaves the record (and the replaced credential) as it was. */
static void
test_cred_store_fails(void **state)
{
	struct msg_cred w, w2;
	struct dev_persist before, flash;
	struct reply r;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_wifi(&w2, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP2);
	board_in(ST_CERTIFIED);
	step_set_cred(&w);
	before = dv.ps;
	flash = fk.flash;
	fk.fail_store = 1;
	send_cred(MSG_SET_CRED, &w2, &r);
	expect_err(PERR_STORAGE, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	assert_memory_equal(&flash, &fk.flash, sizeof(flash));
	fk.fail_store = 0;
	assert_int_equal(confirm_cred(&w), 1);
	assert_int_equal(confirm_cred(&w2), 0);
	assert_false(ram_outside_record_holds(WIFI_PP2, strlen(WIFI_PP2)));
	assert_false(ram_anywhere_holds(WIFI_PP2, strlen(WIFI_PP2)));
}

/* SET_IDENTITY starts over without credentials (P-13, P-53); a failed one keeps them. */
static void
test_cred_set_identity_clears(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD];
	struct msg_cred w, mt;
	struct dev_persist before;
	struct reply r;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x51);
	board_in(ST_CERTIFIED);
	step_set_cred(&w);
	step_set_cred(&mt);
	before = dv.ps;
	fk.fail_store = 1;
	send_req(MSG_SET_IDENTITY, p, enc_set_identity("SN-2", PW2, 10, p), &r);
	expect_err(PERR_STORAGE, &r);
	assert_memory_equal(&before, &dv.ps, sizeof(before));
	fk.fail_store = 0;
	step_identity("SN-2", PW2);
	assert_int_equal(dv.ps.cred_stored, 0);
	assert_int_equal(fk.flash.cred_stored, 0);
	assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
	assert_int_equal(confirm_cred(&w), 0);
	assert_int_equal(confirm_cred(&mt), 0);
	assert_false(ram_anywhere_holds(WIFI_PP, strlen(WIFI_PP)));
	assert_false(ram_anywhere_holds(mt.matter.verifier, MSG_MATTER_VERIFIER_LEN));
	assert_false(contains(&fk.flash, sizeof(fk.flash), WIFI_PP, strlen(WIFI_PP)));
}

/* P-54: every byte of every field takes part in the comparison (the compare runs over whole
 * buffers and ORs the differences; a change anywhere is a mismatch, the unchanged request a
 * match). Constant time itself is by construction (core_memcmp_ct, no early return). */
static void
test_cred_every_field(void **state)
{
	struct msg_cred w, mt, x;
	size_t i;

	board_in(ST_KEYED);
	cred_wifi(&w, AKM_WPA2_WPA3, "SSID-OF-32-CHARACTERS-1234567890", "passphrase of 20 chr");
	cred_matter(&mt, 0x61);
	step_set_cred(&w);
	step_set_cred(&mt);
	for (i = 0; i < strlen(w.wifi.ssid); i++) {
		x = w;
		x.wifi.ssid[i] ^= 0x01;
		assert_int_equal(confirm_cred(&x), 0);
	}
	for (i = 0; i < w.wifi.secret_len; i++) {
		x = w;
		x.wifi.secret[i] ^= 0x01;
		assert_int_equal(confirm_cred(&x), 0);
	}
	x = w;
	x.wifi.secret[x.wifi.secret_len++] = 'x'; /* one more character */
	assert_int_equal(confirm_cred(&x), 0);
	x = w;
	x.wifi.secret[--x.wifi.secret_len] = 0;   /* one less */
	assert_int_equal(confirm_cred(&x), 0);
	x = w;
	x.wifi.ssid[31] = '\0';                    /* a prefix of the SSID */
	assert_int_equal(confirm_cred(&x), 0);
	x = w;
	x.wifi.akm = AKM_WPA3_SAE;
	assert_int_equal(confirm_cred(&x), 0);
	for (i = 0; i < mt.matter.salt_len; i++) {
		x = mt;
		x.matter.salt[i] ^= 0x80;
		assert_int_equal(confirm_cred(&x), 0);
	}
	for (i = 0; i < MSG_MATTER_VERIFIER_LEN; i++) {
		if (i == MSG_MATTER_W0_LEN)
			continue; /* 04: anything else is refused by the decoder */
		x = mt;
		x.matter.verifier[i] ^= 0x01;
		assert_int_equal(confirm_cred(&x), 0);
	}
	x = mt;
	x.matter.discriminator ^= 1;
	assert_int_equal(confirm_cred(&x), 0);
	x = mt;
	x.matter.iterations++;
	assert_int_equal(confirm_cred(&x), 0);
	x = mt;
	x.matter.salt[--x.matter.salt_len] = 0;
	assert_int_equal(confirm_cred(&x), 0);
	assert_int_equal(confirm_cred(&w), 1);
	assert_int_equal(confirm_cred(&mt), 1);
}

/* P-44: the request's copies of a credential are wiped; only the record keeps it. */
static void
test_wipe_after_cred(void **state)
{
	uint8_t p[FRAME_MAX_PAYLOAD], wire[FRAME_MAX_WIRE];
	struct msg_cred w, mt, bad;
	size_t len, wl = 0;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x71);
	board_in(ST_IDENTIFIED);
	step_set_cred(&w);
	assert_false(ram_outside_record_holds(WIFI_PP, strlen(WIFI_PP)));
	step_set_cred(&mt);
	assert_false(ram_outside_record_holds(mt.matter.verifier, MSG_MATTER_VERIFIER_LEN));
	assert_true(ram_anywhere_holds(mt.matter.verifier, MSG_MATTER_VERIFIER_LEN)); /* the record */
	assert_int_equal(confirm_cred(&w), 1);
	assert_int_equal(confirm_cred(&mt), 1);
	assert_false(ram_outside_record_holds(WIFI_PP, strlen(WIFI_PP)));
	assert_false(ram_outside_record_holds(mt.matter.verifier, MSG_MATTER_VERIFIER_LEN));
	/* a wrong secret confirmed is nowhere, the record included */
	cred_wifi(&bad, AKM_WPA2_WPA3, WIFI_SSID, "a wrong guess, not stored");
	assert_int_equal(confirm_cred(&bad), 0);
	assert_false(ram_anywhere_holds(bad.wifi.secret, bad.wifi.secret_len));
	cred_matter(&bad, 0x72);
	memset(bad.matter.verifier + 40, 0xee, 40);
	assert_int_equal(confirm_cred(&bad), 0);
	assert_false(ram_anywhere_holds(bad.matter.verifier + 40, 40));
	/* ... nor one whose frame was dropped as bad, or refused for its payload */
	cred_wifi(&bad, AKM_WPA2_WPA3, WIFI_SSID, "dropped frame secret");
	len = enc_cred(&bad, p);
	assert_int_equal(frame_encode(MSG_SET_CRED, 900, p, len, wire, sizeof(wire), &wl), PRC_OK);
	wire[wl - 3] ^= 0x01;
	fk.tx_len = 0;
	assert_int_equal(dev_input(&dv, wire, wl), 0);
	assert_false(ram_anywhere_holds(bad.wifi.secret, bad.wifi.secret_len));
	p[len] = 0; /* a byte after the last field */
	send_req(MSG_SET_CRED, p, len + 1, NULL);
	assert_false(ram_anywhere_holds(bad.wifi.secret, bad.wifi.secret_len));
}

/* §4.1: the credential fields of a stored record are checked at boot. */
static void
test_record_cred_fields(void **state)
{
	struct msg_cred w, mt;
	struct dev_persist ps, good;

	cred_wifi(&w, AKM_WPA2_WPA3, WIFI_SSID, WIFI_PP);
	cred_matter(&mt, 0x81);
	board_in(ST_KEYED);
	step_set_cred(&w);
	step_set_cred(&mt);
	good = fk.flash;
	assert_int_equal(dev_record_check(&good), DEV_REC_OK);
#define BAD_FIELD(stmt) do { ps = good; stmt; dev_record_seal(&ps); \
		assert_int_equal(dev_record_check(&ps), DEV_REC_FIELDS); } while (0)
	BAD_FIELD(ps.cred_stored |= 4);
	BAD_FIELD(ps.wifi_akm = 4);
	BAD_FIELD(ps.wifi_akm = AKM_WPA2_PSK);                /* a PSK is 32 bytes */
	BAD_FIELD(ps.wifi_secret_len = 7);
	BAD_FIELD(ps.wifi_secret_len = 64);
	BAD_FIELD(ps.wifi_secret[62] = 'x');                  /* past the length */
	BAD_FIELD(memset(ps.wifi_ssid, 'S', sizeof(ps.wifi_ssid)));
	BAD_FIELD(ps.wifi_ssid[0] = '\0');
	BAD_FIELD(ps.matter_discriminator = 4096);
	BAD_FIELD(ps.matter_iterations = 999);
	BAD_FIELD(ps.matter_salt_len = 33);
	BAD_FIELD(ps.matter_salt_len = 15);
	BAD_FIELD(ps.matter_verifier[MSG_MATTER_W0_LEN] = 0x02);
	BAD_FIELD(ps.cred_stored = DEV_CRED_MATTER);          /* Wi-Fi fields without the bit */
	BAD_FIELD(ps.cred_stored = DEV_CRED_WIFI);            /* Matter fields without the bit */
	BAD_FIELD(ps.state = ST_BLANK; ps.key_len = ps.csr_len = 0); /* BLANK holds none */
#undef BAD_FIELD
	/* a layout-3 record with none is fine in any state */
	board_in(ST_IDENTIFIED);
	assert_int_equal(dev_record_check(&fk.flash), DEV_REC_OK);
}

/* Builds, in ps's memory, the layout-2 record of the layout-3 record src (which holds no
 * credentials): the same bytes up to the chain, then layout 2's CRC. Returns its size. */
static size_t
make_layout2(struct dev_persist *ps, const struct dev_persist *src)
{
	uint8_t *p = (uint8_t *)ps;
	uint32_t crc;

	memset(ps, 0xa5, sizeof(*ps)); /* the bytes past a layout-2 record are whatever */
	memcpy(ps, src, DEV_PERSIST_L2_SIZE - 4);
	ps->layout = 2;
	ps->size = DEV_PERSIST_L2_SIZE;
	crc = crc32_ieee(p, DEV_PERSIST_L2_SIZE - 4);
	memcpy(p + DEV_PERSIST_L2_SIZE - 4, &crc, 4);
	return DEV_PERSIST_L2_SIZE;
}

/* §4.1: a layout-2 record migrates to layout 3 with no credentials; anything else is left. */
static void
test_record_migrate(void **state)
{
	struct dev_persist l2, l3, keep;
	unsigned st;
	size_t n;

	assert_int_equal(DEV_PERSIST_L2_SIZE + DEV_PERSIST_CRED, sizeof(struct dev_persist));
	for (st = ST_BLANK; st <= ST_LOCKED; st++) {
		board_in(st);
		l3 = dv.ps;
		n = make_layout2(&l2, &l3);
		assert_int_equal(dev_record_check(&l2), DEV_REC_LAYOUT);
		assert_int_equal(dev_record_migrate(&l2, n), 1);
		assert_int_equal(dev_record_check(&l2), DEV_REC_OK);
		assert_int_equal(l2.layout, 3);
		assert_int_equal(l2.cred_stored, 0);
		/* the same record, field for field: the layout-3 record had no credentials */
		assert_memory_equal(&l2, &l3, sizeof(l3));
		fk.fuse = st == ST_LOCKED;
		dev_init(&dv, &ident, &plat, &l2);
		assert_int_equal(dv.boot, DEV_BOOT_RECORD);
		assert_int_equal(dv.ps.state, st);
	}
	/* a damaged layout-2 record is not migrated (and is then damaged for dev_init) */
	board_in(ST_KEYED);
	l3 = dv.ps;
	n = make_layout2(&l2, &l3);
	l2.serial[0] ^= 1;
	keep = l2;
	assert_int_equal(dev_record_migrate(&l2, n), 0);
	assert_memory_equal(&keep, &l2, sizeof(l2));
	fk.fuse = 1;
	dev_init(&dv, &ident, &plat, &l2);
	assert_int_equal(dv.boot, DEV_BOOT_DAMAGED);
	assert_int_equal(dv.ps.state, ST_LOCKED);
	/* nor one of another size, nor a layout-3 record, nor erased flash */
	n = make_layout2(&l2, &l3);
	keep = l2;
	assert_int_equal(dev_record_migrate(&l2, n - 4), 0);
	assert_int_equal(dev_record_migrate(&l2, sizeof(l2)), 0);
	l2.size += 4;
	assert_int_equal(dev_record_migrate(&l2, n), 0);
	keep = l3;
	assert_int_equal(dev_record_migrate(&l3, sizeof(l3)), 0);
	assert_int_equal(dev_record_migrate(&l3, DEV_PERSIST_L2_SIZE), 0);
	assert_memory_equal(&keep, &l3, sizeof(l3));
	memset(&l2, 0xff, sizeof(l2));
	assert_int_equal(dev_record_migrate(&l2, n), 0);
}

/* ---- crypto known-answer vectors (docs/protocol.md §7.6), against the reference crypto ---- */

/* K-1: PBKDF2-HMAC-SHA-256 verifiers (P-42) of V-3's password with salt 00 01 .. 0f. */
static const struct {
	uint32_t iter;
	const char *verifier;
} kat_pw[] = {
	{ 1, KAT_V1 },
	{ 1000, KAT_V1000 },
	{ 100000, KAT_V100000 },
};

/* K-2/K-3: the P-256 key of RFC 6979 §A.2.5 as SEC1 DER (x = c9af..6721). */
#define KAT_KEY "30 77 02 01 01 04 20 c9 af a9 d8 45 ba 75 16 6b 5c 21 57 67 b1 d6 93 4e 50 c3 db 36 " \
    "e8 9b 12 7b 8a 62 2b 12 0f 67 21 a0 0a 06 08 2a 86 48 ce 3d 03 01 07 a1 44 03 42 00 04 60 fe d4 " \
    "ba 25 5a 9d 31 c9 61 eb 74 c6 35 6d 68 c0 49 b8 92 3b 61 fa 6c e6 69 62 2e 60 f2 9f b6 79 03 " \
    "fe 10 08 b8 bc 99 a4 1a e9 e9 56 28 bc 64 f2 f1 b2 0c 2d 7e 9f 51 77 a3 c2 94 d4 46 22 99"
#define KAT_NONCE_HEX "101112131415161718191a1b1c1d1e1f" /* V-5 */
#define KAT_CHIP_HEX "a1b2c3d4e5f60718"                   /* V-2 */

static EVP_PKEY *
kat_key(uint8_t *der, size_t cap, size_t *len)
{
	EVP_PKEY *k;

	*len = helpers_hex(KAT_KEY, der, cap);
	assert_non_null(k = hcrypto_load_key(der, *len));
	return k;
}

static size_t
hex_of(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
	if (n > 0)
		out[3 * n - 1] = '\0';
	return n;
}

/* KAT_PRINT=1 prints the vectors as §7.6 shows them (the signatures are fresh each time). */
static void
kat_print(const char *name, const uint8_t *p, size_t n)
{
	char buf[3 * 2048 + 1];

	if (getenv("KAT_PRINT") == NULL)
		return;
	hex_of(p, n, buf);
	printf("%s (%zu bytes):\n%s\n", name, n, buf);
}

static void
test_kat_verifier(void **state)
{
	uint8_t salt[16], v[32], want[32];
	size_t i;

	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < sizeof(kat_pw) / sizeof(kat_pw[0]) && getenv("KAT_PRINT") != NULL; i++) {
		assert_int_equal(hcrypto_pw_hash(NULL, PW, strlen(PW), salt, sizeof(salt), kat_pw[i].iter,
		    v), 0);
		kat_print("K-1 verifier", v, sizeof(v));
	}
	for (i = 0; i < sizeof(kat_pw) / sizeof(kat_pw[0]); i++) {
		assert_int_equal(hcrypto_pw_hash(NULL, PW, strlen(PW), salt, sizeof(salt), kat_pw[i].iter,
		    v), 0);
		assert_int_equal(helpers_hex(kat_pw[i].verifier, want, sizeof(want)), 32);
		assert_memory_equal(v, want, 32);
	}
}

/* The certificationRequestInfo (what is signed) of a DER CSR. */
static size_t
csr_tbs(const uint8_t *csr, size_t n, uint8_t *out, size_t cap)
{
	const unsigned char *p = csr;
	unsigned char *q = out;
	X509_REQ *rq;
	int len;

	assert_non_null(rq = d2i_X509_REQ(NULL, &p, (long)n));
	assert_true(p == csr + n);
	len = i2d_re_X509_REQ_tbs(rq, NULL);
	assert_true(len > 0 && (size_t)len <= cap);
	assert_int_equal(i2d_re_X509_REQ_tbs(rq, &q), len);
	X509_REQ_free(rq);
	return (size_t)len;
}

static int
csr_verifies(const uint8_t *csr, size_t n, EVP_PKEY *k)
{
	const unsigned char *p = csr;
	X509_REQ *rq = d2i_X509_REQ(NULL, &p, (long)n);
	int ok = rq != NULL && X509_REQ_verify(rq, k) == 1;

	X509_REQ_free(rq);
	return ok;
}

/* The station's own CSR check (the signer's, canonical form): what a port's CSR must pass. */
static void
station_accepts(const uint8_t *csr, size_t n)
{
	struct issue_profile prof;
	uint8_t nonce[16];
	char why[256] = "";
	size_t i;

	memset(&prof, 0, sizeof(prof));
	prof.key_types = ISSUE_KEY_EC_P256;
	for (i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0x10 + i);
	if (issue_csr_check(&prof, csr, n, nonce, sizeof(nonce), NULL, why, sizeof(why)) != 0)
		fail_msg("the station refuses the CSR: %s", why);
	assert_true(issue_csr_is_canonical(csr, n));
}

static void
test_kat_csr(void **state)
{
	uint8_t der[256], csr[MSG_MAX_CSR], tbs[MSG_MAX_CSR], want[MSG_MAX_CSR];
	size_t kl, cl = 0, tl, wl;
	EVP_PKEY *k = kat_key(der, sizeof(der), &kl);

	/* the reference board's CSR for this key, nonce and chip: exactly K-2's request info */
	assert_int_equal(hcrypto_csr(NULL, der, kl, KAT_NONCE_HEX, KAT_CHIP_HEX, csr, sizeof(csr),
	    &cl), 0);
	kat_print("K-2 CSR", csr, cl);
	tl = csr_tbs(csr, cl, tbs, sizeof(tbs));
	kat_print("K-2 certificationRequestInfo", tbs, tl);
	wl = helpers_hex(KAT_CSR_INFO, want, sizeof(want));
	assert_int_equal(tl, wl);
	assert_memory_equal(tbs, want, wl);
	assert_true(csr_verifies(csr, cl, k));
	station_accepts(csr, cl);
	/* the example CSR of K-2: same request info, a signature that verifies, accepted */
	wl = helpers_hex(KAT_CSR, want, sizeof(want));
	tl = csr_tbs(want, wl, tbs, sizeof(tbs));
	assert_int_equal(tl, helpers_hex(KAT_CSR_INFO, csr, sizeof(csr)));
	assert_memory_equal(tbs, csr, tl);
	assert_true(csr_verifies(want, wl, k));
	station_accepts(want, wl);
	EVP_PKEY_free(k);
}

static int
sig_verifies(EVP_PKEY *k, const uint8_t *msg, size_t n, const uint8_t *sig, size_t sl)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(md, sig, sl, msg, n) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void
test_kat_prove(void **state)
{
	uint8_t der[256], msg[PROVE_PREFIX_LEN + 16], want[128], sig[DEV_MAX_SIG], dg[32];
	size_t kl, sl = 0, wl, i;
	EVP_PKEY *k = kat_key(der, sizeof(der), &kl);

	/* P-40: the signed message of V-13's challenge c0 .. cf */
	memcpy(msg, PROVE_PREFIX, PROVE_PREFIX_LEN);
	for (i = 0; i < 16; i++)
		msg[PROVE_PREFIX_LEN + i] = (uint8_t)(0xc0 + i);
	assert_int_equal(hcrypto_sha256(NULL, msg, sizeof(msg), dg), 0);
	kat_print("K-3 SHA-256 of the message", dg, sizeof(dg));
	assert_int_equal(hcrypto_sign(NULL, der, kl, msg, sizeof(msg), sig, sizeof(sig), &sl), 0);
	kat_print("K-3 signature", sig, sl);
	wl = helpers_hex(KAT_PROVE_MSG, want, sizeof(want));
	assert_int_equal(wl, sizeof(msg));
	assert_memory_equal(msg, want, wl);
	assert_int_equal(helpers_hex(KAT_PROVE_DIGEST, want, sizeof(want)), 32);
	assert_memory_equal(dg, want, 32);
	/* the reference board's signature verifies; so does K-3's example */
	assert_true(sig_verifies(k, msg, sizeof(msg), sig, sl));
	wl = helpers_hex(KAT_PROVE_SIG, want, sizeof(want));
	assert_true(sig_verifies(k, msg, sizeof(msg), want, wl));
	/* ... and not over another challenge */
	msg[sizeof(msg) - 1] ^= 1;
	assert_false(sig_verifies(k, msg, sizeof(msg), want, wl));
	EVP_PKEY_free(k);
}

/* ---- the chain check (P-17, P-24) of the reference crypto: one or more CA certificates ---- */

static X509 *
make_cert(EVP_PKEY *subject, EVP_PKEY *issuer_key, X509 *issuer, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn,
	    -1, -1, 0), 1);
	assert_int_equal(X509_set_subject_name(x, nm), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : nm),
	    1);
	assert_int_equal(X509_set_pubkey(x, subject), 1);
	assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
	X509_NAME_free(nm);
	return x;
}

static size_t
cat_der(uint8_t *out, size_t off, X509 *x)
{
	unsigned char *p = out + off;
	int n = i2d_X509(x, &p);

	assert_true(n > 0);
	return off + (size_t)n;
}

static void
test_chain_check(void **state)
{
	uint8_t der[256], chain[MSG_MAX_CHAIN];
	size_t kl, n;
	EVP_PKEY *dev = kat_key(der, sizeof(der), &kl);
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *root = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *xroot, *xca, *xdev, *xother, *xforged;

	assert_non_null(ca);
	assert_non_null(root);
	assert_non_null(other);
	xroot = make_cert(root, root, NULL, "root");
	xca = make_cert(ca, root, xroot, "issuing CA");
	xdev = make_cert(dev, ca, xca, KAT_CHIP_HEX);
	xother = make_cert(other, ca, xca, "another board");
	xforged = make_cert(dev, other, xca, KAT_CHIP_HEX); /* names say the CA, the key does not */
	/* device + issuing CA (what the station sends), and with the root after it */
	n = cat_der(chain, cat_der(chain, 0, xdev), xca);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), 0);
	n = cat_der(chain, n, xroot);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), 0);
	/* a byte after the last certificate, or a truncated one */
	chain[n] = 0x30;
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n + 1), PERR_CHAIN_INVALID);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n - 1), PERR_CHAIN_INVALID);
	/* the device certificate alone: no CA to verify it under */
	n = cat_der(chain, 0, xdev);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), PERR_CHAIN_INVALID);
	/* another board's certificate; a certificate the CA did not sign */
	n = cat_der(chain, cat_der(chain, 0, xother), xca);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), PERR_KEY_MISMATCH);
	n = cat_der(chain, cat_der(chain, 0, xforged), xca);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), PERR_CHAIN_INVALID);
	/* CA certificates in the wrong order: the second is not the issuer */
	n = cat_der(chain, cat_der(chain, cat_der(chain, 0, xdev), xroot), xca);
	assert_int_equal(hcrypto_chain_check(NULL, der, kl, chain, n), PERR_CHAIN_INVALID);
	X509_free(xroot);
	X509_free(xca);
	X509_free(xdev);
	X509_free(xother);
	X509_free(xforged);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(root);
	EVP_PKEY_free(other);
}

/* P-4: the one non-canonical COBS form (an empty group after a final 255-group) is accepted by
 * the decoder, as the same bytes; a frame carried that way is taken (its CRC decides). */
static void
test_cobs_noncanonical(void **state)
{
	uint8_t in[256], out[300], enc[300];
	size_t i, n = 0, el = 0;

	for (i = 0; i < 254; i++)
		in[i] = (uint8_t)(i + 1);
	assert_int_equal(cobs_encode(in, 254, enc, sizeof(enc), &el), PRC_OK);
	assert_int_equal(el, 255); /* canonical: no trailing group */
	enc[el++] = 0x01;          /* the non-canonical form */
	assert_int_equal(cobs_decode(enc, el, out, sizeof(out), &n), PRC_OK);
	assert_int_equal(n, 254);
	assert_memory_equal(out, in, 254);
}

/* docs/protocol.md §7.6 holds the same hex strings as this file (whitespace aside). The unit
 * tests run from the top of the tree (make unit). */
static void
test_kat_in_doc(void **state)
{
	static const char *const vecs[] = { KAT_V1, KAT_V1000, KAT_V100000, KAT_KEY, KAT_CSR_INFO,
		KAT_CSR, KAT_PROVE_MSG, KAT_PROVE_DIGEST, KAT_PROVE_SIG };
	static char doc[400000];
	char want[8192];
	size_t n = 0, i, j, o;
	FILE *f;
	int c, sp = 0;

	assert_non_null(f = fopen("docs/protocol.md", "r"));
	/* whitespace runs become one space; backquotes and table bars are separators too */
	while ((c = fgetc(f)) != EOF && n + 1 < sizeof(doc)) {
		if (c == ' ' || c == '\n' || c == '\t' || c == '`' || c == '|') {
			if (!sp)
				doc[n++] = ' ';
			sp = 1;
		} else {
			doc[n++] = (char)c;
			sp = 0;
		}
	}
	doc[n] = '\0';
	fclose(f);
	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		for (j = 0, o = 0; vecs[i][j] != '\0' && o + 1 < sizeof(want); j++)
			if (vecs[i][j] != ' ' || (o > 0 && want[o - 1] != ' '))
				want[o++] = vecs[i][j];
		while (o > 0 && want[o - 1] == ' ')
			o--;
		want[o] = '\0';
		if (strstr(doc, want) == NULL)
			fail_msg("docs/protocol.md §7.6 does not hold vector %zu: %.40s...", i, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_wipe_after_set_identity),
		cmocka_unit_test(test_cred_set_confirm),
		cmocka_unit_test(test_cred_replace),
		cmocka_unit_test(test_cred_states),
		cmocka_unit_test(test_cred_unsupported),
		cmocka_unit_test(test_cred_bad_payloads),
		cmocka_unit_test(test_cred_store_fails),
		cmocka_unit_test(test_cred_set_identity_clears),
		cmocka_unit_test(test_cred_every_field),
		cmocka_unit_test(test_wipe_after_cred),
		cmocka_unit_test(test_record_cred_fields),
		cmocka_unit_test(test_record_migrate),
		cmocka_unit_test(test_wipe_after_confirm),
		cmocka_unit_test(test_wipe_after_next_hello),
		cmocka_unit_test(test_wipe_after_bad_frame),
		cmocka_unit_test(test_wipe_replaced_key),
		cmocka_unit_test(test_set_identity_rng_fails_in_keyed),
		cmocka_unit_test(test_set_identity_failures),
		cmocka_unit_test(test_gen_key_csr_fails),
		cmocka_unit_test(test_gen_key_failures),
		cmocka_unit_test(test_gen_key_unsupported),
		cmocka_unit_test(test_install_failures),
		cmocka_unit_test(test_lock_failures),
		cmocka_unit_test(test_prove_failures),
		cmocka_unit_test(test_confirm_failures),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_max_payload),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_locked_survives_reboot),
		cmocka_unit_test(test_lock_record_write_fails),
		cmocka_unit_test(test_lock_part_resets),
		cmocka_unit_test(test_rolled_back_record_refused),
		cmocka_unit_test(test_debug_locked_from_hardware),
		cmocka_unit_test(test_record_check),
		cmocka_unit_test(test_damaged_record_at_boot),
		cmocka_unit_test(test_records_sealed),
		cmocka_unit_test(test_factory_reset),
		cmocka_unit_test(test_kat_verifier),
		cmocka_unit_test(test_kat_csr),
		cmocka_unit_test(test_kat_prove),
		cmocka_unit_test(test_kat_in_doc),
		cmocka_unit_test(test_chain_check),
		cmocka_unit_test(test_cobs_noncanonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
