/*
 * test-sigproto.c: the station-signer codec (sigproto.h, sigproto-codec.c) and its framing and
 * code names (sigproto.c), against docs/signer-protocol.md §9. Keep the hex strings identical to
 * the document: a vector that does not encode to its hex prints the bytes it did encode.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "proto.h"
#include "sigproto.h"

#define MAXV 256 /* bytes of the longest vector below */

static void
print_hex(const char *id, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s:", id);
	for (i = 0; i < n; i++)
		printf(" %02x", p[i]);
	printf("\n");
}

/* ---- the vectors of §9.3: fields as the document lists them ---- */

static const uint8_t CHIP[8] = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18 };
/* Illustrative DER-shaped bytes: the codec carries them, the signer would parse them. */
static const uint8_t CSR[5] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
static const uint8_t CERT[5] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
static const uint8_t CRL[5] = { 0x30, 0x03, 0x02, 0x01, 0x02 };
static const char INFO_JSON[] = "{\"mode\":\"run\",\"protocol\":2}";
static const char NOTE[] = "factory-log\n1234\nq83s\n";
/* LOOKUP challenge c0 c1 .. df; CHECKED proof, illustrative DER-shaped bytes. */
static const uint8_t PROOF[8] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02 };

struct vmsg {
	struct sigp_req q;
	struct sigp_rsp p;
};

static void
chip(struct vmsg *m)
{
	memcpy(m->q.board.chip, CHIP, sizeof(CHIP));
	m->q.board.chip_len = sizeof(CHIP);
}

static void
lot(struct sigp_lot *l, const char *name, uint8_t closed, uint32_t quota, uint32_t used,
    uint32_t pquota, uint32_t pused, uint32_t recovered)
{
	strcpy(l->lot, name);
	l->closed = closed;
	l->quota = quota;
	l->used = used;
	l->product_quota = pquota;
	l->product_used = pused;
	l->recovered = recovered;
}

static void
refusal(struct vmsg *m, uint8_t status, uint8_t detail, const char *text)
{
	m->p.status = status;
	m->p.detail = detail;
	strcpy(m->p.text, text);
}

static void v_ok(struct vmsg *m) { m->p.status = SIGST_OK; }
static void v_hello_q(struct vmsg *m) { m->q.op = SIGOP_HELLO; m->q.version = SIGP_VERSION; }

static void
v_hello_p(struct vmsg *m)
{
	m->p.version = SIGP_VERSION;
	m->p.mode = SIGMODE_RUN;
	m->p.separated = 1;
	strcpy(m->p.ident, "signer-line3");
}

static void
v_session_q(struct vmsg *m)
{
	m->q.op = SIGOP_SESSION;
	strcpy(m->q.lot, "LOT-2024-0042");
	strcpy(m->q.operator_name, "alice");
}

static void v_session_p(struct vmsg *m) { lot(&m->p.lot, "LOT-2024-0042", 0, 1000, 17, 100000, 5230, 1); }

static void
v_board_q(struct vmsg *m)
{
	struct sigp_board *b = &m->q.board;
	size_t i;

	m->q.op = SIGOP_BOARD;
	chip(m);
	strcpy(b->model, "thermostat-v2");
	strcpy(b->hw_rev, "B");
	strcpy(b->fw_version, "1.4.2");
	for (i = 0; i < MSG_DIGEST_LEN; i++)
		b->fw_digest[i] = (uint8_t)i;
	b->proto_version = 1;
	b->state = ST_BLANK;
	b->debug_locked = 0;
	strcpy(b->fixture, "fixture-3");
}

static void
v_board_new(struct vmsg *m)
{
	m->p.disposition = SIGB_NEW;
	strcpy(m->p.serial, "SN-000123");
}

static void
v_board_resume(struct vmsg *m)
{
	m->p.disposition = SIGB_RESUME;
	strcpy(m->p.serial, "SN-000123");
	strcpy(m->p.cert_serial, "7d3c9a0e51b2f4a6");
}

static void
v_commit_q(struct vmsg *m)
{
	m->q.op = SIGOP_COMMIT_PW;
	chip(m);
	strcpy(m->q.password, "correct horse 42");
}

static void
v_cred_wifi_q(struct vmsg *m)
{
	m->q.op = SIGOP_COMMIT_CRED;
	chip(m);
	m->q.cred_kind = SIGC_WIFI;
	strcpy(m->q.cred_public, "TH2-7KQ4XW");
	strcpy(m->q.cred_secret, "correct horse 42");
}

static void
v_cred_matter_q(struct vmsg *m)
{
	m->q.op = SIGOP_COMMIT_CRED;
	chip(m);
	m->q.cred_kind = SIGC_MATTER;
	strcpy(m->q.cred_public, "3840");
	strcpy(m->q.cred_secret, "20202021");
}

static void
v_issue_q(struct vmsg *m)
{
	size_t i;

	m->q.op = SIGOP_ISSUE;
	chip(m);
	for (i = 0; i < 16; i++)
		m->q.nonce[i] = (uint8_t)(0x10 + i);
	m->q.nonce_len = 16;
	m->q.csr = CSR;
	m->q.csr_len = sizeof(CSR);
}

static void
v_issue_p(struct vmsg *m)
{
	m->p.blob = CERT;
	m->p.blob_len = sizeof(CERT);
	strcpy(m->p.cert_serial, "7d3c9a0e51b2f4a6");
}

static void v_verified_q(struct vmsg *m) { m->q.op = SIGOP_VERIFIED; chip(m); }
static void
v_pass_q(struct vmsg *m)
{
	m->q.op = SIGOP_PASS;
	chip(m);
	m->q.resumed = 0;
	m->q.label = SIGL_PRINTED;
}

static void
v_fail_q(struct vmsg *m)
{
	m->q.op = SIGOP_FAIL;
	chip(m);
	strcpy(m->q.step, "certificate");
	strcpy(m->q.code, "E_CSR");
	strcpy(m->q.reason, "CSR signature does not verify");
	m->q.label = SIGL_NONE;
}

static void
v_fail_nochip_q(struct vmsg *m)
{
	m->q.op = SIGOP_FAIL;
	strcpy(m->q.step, "identify");
	strcpy(m->q.code, "E_NO_ANSWER");
	strcpy(m->q.reason, "no answer to HELLO");
}

static void
v_fixture_q(struct vmsg *m)
{
	m->q.op = SIGOP_FIXTURE_ERROR;
	strcpy(m->q.board.fixture, "fixture-3");
	strcpy(m->q.reason, "port /dev/ttyUSB3 went away");
}

static void v_cert_q(struct vmsg *m) { m->q.op = SIGOP_CERT; chip(m); }
static void v_cert_p(struct vmsg *m) { m->p.blob = CERT; m->p.blob_len = sizeof(CERT); }
static void v_stop_q(struct vmsg *m) { m->q.op = SIGOP_STOP; m->q.npass = 41; m->q.nfail = 2; }
static void v_lot_open_q(struct vmsg *m) { m->q.op = SIGOP_LOT_OPEN; strcpy(m->q.lot, "LOT-2024-0043"); }
static void v_lot_open_p(struct vmsg *m) { lot(&m->p.lot, "LOT-2024-0043", 0, 500, 0, 100000, 5247, 0); }
static void v_lot_close_q(struct vmsg *m) { m->q.op = SIGOP_LOT_CLOSE; strcpy(m->q.lot, "LOT-2024-0042"); }
static void v_lot_close_p(struct vmsg *m) { lot(&m->p.lot, "LOT-2024-0042", 1, 1000, 58, 100000, 5247, 0); }
static void v_lot_status_q(struct vmsg *m) { m->q.op = SIGOP_LOT_STATUS; strcpy(m->q.lot, "LOT-2024-0042"); }
static void v_lot_status_p(struct vmsg *m) { lot(&m->p.lot, "LOT-2024-0042", 0, 1000, 58, 100000, 5247, 0); }
static void v_info_q(struct vmsg *m) { m->q.op = SIGOP_INFO; }

static void
v_info_p(struct vmsg *m)
{
	m->p.blob = (const uint8_t *)INFO_JSON;
	m->p.blob_len = strlen(INFO_JSON);
}

static void v_crl_q(struct vmsg *m) { m->q.op = SIGOP_CRL; }
static void v_crl_p(struct vmsg *m) { m->p.total = sizeof(CRL); m->p.blob = CRL; m->p.blob_len = sizeof(CRL); }

static void
v_cp_q(struct vmsg *m)
{
	m->q.op = SIGOP_CHECKPOINT;
	m->q.force = 1;
	strcpy(m->q.trigger, "lot-close");
}

static void
v_cp_p(struct vmsg *m)
{
	m->p.signed_now = 1;
	m->p.size_hi = 0;
	m->p.size_lo = 1234;
	m->p.blob = (const uint8_t *)NOTE;
	m->p.blob_len = strlen(NOTE);
}

static void
v_cp_due_q(struct vmsg *m)
{
	m->q.op = SIGOP_CHECKPOINT;
	m->q.force = 0;
	strcpy(m->q.trigger, "interval");
}

static void
v_cp_due_p(struct vmsg *m)
{
	m->p.signed_now = 0;
	m->p.size_hi = 0;
	m->p.size_lo = 1234;
}

static void
e_firmware(struct vmsg *m)
{
	refusal(m, SIGST_POLICY, SIGR_FIRMWARE,
	    "firmware 1.2.0 is not on the allow-list of profile 'thermostat-v2'");
}

static void e_canonical(struct vmsg *m) { refusal(m, SIGST_POLICY, SIGR_NOT_CANONICAL, "CSR is not in canonical DER"); }
static void e_closed(struct vmsg *m) { refusal(m, SIGST_QUOTA, SIGR_LOT_CLOSED, "lot LOT-2024-0042 is closed"); }
static void e_sequence(struct vmsg *m) { refusal(m, SIGST_STATE, SIGR_SEQUENCE, "PASS before VERIFIED"); }
static void e_mode(struct vmsg *m) { refusal(m, SIGST_STATE, SIGR_MODE, "LOT_OPEN needs an admin signer"); }
static void e_request(struct vmsg *m) { refusal(m, SIGST_REQUEST, SIGR_NONE, "unknown op 21"); }
static void e_hsm(struct vmsg *m) { refusal(m, SIGST_HSM, SIGR_NONE, ""); }
static void v_lookup_q(struct vmsg *m) { m->q.op = SIGOP_LOOKUP; chip(m); }

static void
v_lookup_pass(struct vmsg *m)
{
	m->p.kind = SIGREC_PASS;
	strcpy(m->p.serial, "SN-000123");
	strcpy(m->p.cert_serial, "7d3c9a0e51b2f4a6");
	m->p.blob = CERT;
	m->p.blob_len = sizeof(CERT);
	for (size_t i = 0; i < SIGP_CHALLENGE; i++)
		m->p.challenge[i] = (uint8_t)(0xc0 + i);
	m->p.challenge_len = SIGP_CHALLENGE;
}

static void v_lookup_none(struct vmsg *m) { m->p.kind = SIGREC_NONE; }

static void
v_lookup_quarantined(struct vmsg *m)
{
	v_lookup_pass(m);
	m->p.kind = SIGREC_QUARANTINED;
	memset(m->p.challenge, 0, sizeof(m->p.challenge));
	m->p.challenge_len = 0;
	strcpy(m->p.reason, "E_LOCK: lock not confirmed");
}

static void
v_checked_q(struct vmsg *m)
{
	m->q.op = SIGOP_CHECKED;
	chip(m);
	m->q.ok = 1;
	strcpy(m->q.board.fixture, "eol-1");
	memcpy(m->q.sig, PROOF, sizeof(PROOF));
	m->q.sig_len = sizeof(PROOF);
}

static void
v_checked_fail_q(struct vmsg *m)
{
	m->q.op = SIGOP_CHECKED;
	chip(m);
	m->q.ok = 0;
	strcpy(m->q.board.fixture, "eol-1");
	strcpy(m->q.code, "E_RESUME");
	strcpy(m->q.reason, "installed certificate is not the recorded one");
}

static void
v_release_q(struct vmsg *m)
{
	m->q.op = SIGOP_RELEASE;
	chip(m);
	strcpy(m->q.reason, "re-flashed and re-tested");
}

static void e_quarantined(struct vmsg *m) { refusal(m, SIGST_POLICY, SIGR_QUARANTINED, "board SN-000123 is quarantined"); }
static void e_proof(struct vmsg *m) { refusal(m, SIGST_POLICY, SIGR_PROOF, "proof for SN-000123 does not verify"); }
static void e_lookups(struct vmsg *m) { refusal(m, SIGST_QUOTA, SIGR_LOOKUPS, "1000 LOOKUPs found no record"); }

enum dir { REQ, RSP };

static const struct vec {
	const char *id;
	enum dir dir;
	uint8_t op; /* RSP: the op answered */
	void (*build)(struct vmsg *);
	const char *hex;
} vecs[] = {
	{ "V-1", REQ, SIGOP_HELLO, v_hello_q, "01 04" },
	{ "V-2", RSP, SIGOP_HELLO, v_hello_p, "00 04 01 01 0c 73 69 67 6e 65 72 2d 6c 69 6e 65 33" },
	{ "V-3", REQ, SIGOP_SESSION, v_session_q, "02 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 05 61 6c 69 63 65" },
	{ "V-4", RSP, SIGOP_SESSION, v_session_p,
	    "00 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 00 00 00 03 e8 00 00 00 11 00 01 86 a0 00 00 14 6e 00 00 00 01" },
	{ "V-5", REQ, SIGOP_BOARD, v_board_q,
	    "03 08 a1 b2 c3 d4 e5 f6 07 18 0d 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 01 42 05 31 2e 34 2e 32 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 01 00 00 09 66 69 78 74 75 72 65 2d 33" },
	{ "V-6", RSP, SIGOP_BOARD, v_board_new, "00 01 09 53 4e 2d 30 30 30 31 32 33 00" },
	{ "V-7", RSP, SIGOP_BOARD, v_board_resume,
	    "00 02 09 53 4e 2d 30 30 30 31 32 33 10 37 64 33 63 39 61 30 65 35 31 62 32 66 34 61 36" },
	{ "V-8", REQ, SIGOP_COMMIT_PW, v_commit_q,
	    "04 08 a1 b2 c3 d4 e5 f6 07 18 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32" },
	{ "V-9", RSP, SIGOP_COMMIT_PW, v_ok, "00" },
	{ "V-10", REQ, SIGOP_ISSUE, v_issue_q,
	    "05 08 a1 b2 c3 d4 e5 f6 07 18 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 00 05 30 03 02 01 00" },
	{ "V-11", RSP, SIGOP_ISSUE, v_issue_p,
	    "00 00 05 30 03 02 01 01 10 37 64 33 63 39 61 30 65 35 31 62 32 66 34 61 36" },
	{ "V-12", REQ, SIGOP_VERIFIED, v_verified_q, "06 08 a1 b2 c3 d4 e5 f6 07 18" },
	{ "V-13", RSP, SIGOP_VERIFIED, v_ok, "00" },
	{ "V-14", REQ, SIGOP_PASS, v_pass_q, "07 08 a1 b2 c3 d4 e5 f6 07 18 00 02" },
	{ "V-15", RSP, SIGOP_PASS, v_ok, "00" },
	{ "V-16", REQ, SIGOP_FAIL, v_fail_q,
	    "08 08 a1 b2 c3 d4 e5 f6 07 18 0b 63 65 72 74 69 66 69 63 61 74 65 05 45 5f 43 53 52 00 1d 43 53 52 20 73 69 67 6e 61 74 75 72 65 20 64 6f 65 73 20 6e 6f 74 20 76 65 72 69 66 79 00" },
	{ "V-17", REQ, SIGOP_FAIL, v_fail_nochip_q,
	    "08 00 08 69 64 65 6e 74 69 66 79 0b 45 5f 4e 4f 5f 41 4e 53 57 45 52 00 12 6e 6f 20 61 6e 73 77 65 72 20 74 6f 20 48 45 4c 4c 4f 00" },
	{ "V-18", RSP, SIGOP_FAIL, v_ok, "00" },
	{ "V-19", REQ, SIGOP_FIXTURE_ERROR, v_fixture_q,
	    "09 09 66 69 78 74 75 72 65 2d 33 00 1b 70 6f 72 74 20 2f 64 65 76 2f 74 74 79 55 53 42 33 20 77 65 6e 74 20 61 77 61 79" },
	{ "V-20", RSP, SIGOP_FIXTURE_ERROR, v_ok, "00" },
	{ "V-21", REQ, SIGOP_CERT, v_cert_q, "0a 08 a1 b2 c3 d4 e5 f6 07 18" },
	{ "V-22", RSP, SIGOP_CERT, v_cert_p, "00 00 05 30 03 02 01 01" },
	{ "V-23", REQ, SIGOP_STOP, v_stop_q, "0b 00 00 00 29 00 00 00 02" },
	{ "V-24", RSP, SIGOP_STOP, v_ok, "00" },
	{ "V-25", REQ, SIGOP_LOT_OPEN, v_lot_open_q, "0c 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 33" },
	{ "V-26", RSP, SIGOP_LOT_OPEN, v_lot_open_p,
	    "00 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 33 00 00 00 01 f4 00 00 00 00 00 01 86 a0 00 00 14 7f 00 00 00 00" },
	{ "V-27", REQ, SIGOP_LOT_CLOSE, v_lot_close_q, "0d 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32" },
	{ "V-28", RSP, SIGOP_LOT_CLOSE, v_lot_close_p,
	    "00 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 01 00 00 03 e8 00 00 00 3a 00 01 86 a0 00 00 14 7f 00 00 00 00" },
	{ "V-29", REQ, SIGOP_LOT_STATUS, v_lot_status_q, "0e 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32" },
	{ "V-30", RSP, SIGOP_LOT_STATUS, v_lot_status_p,
	    "00 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 00 00 00 03 e8 00 00 00 3a 00 01 86 a0 00 00 14 7f 00 00 00 00" },
	{ "V-31", REQ, SIGOP_INFO, v_info_q, "0f" },
	{ "V-32", RSP, SIGOP_INFO, v_info_p,
	    "00 00 1b 7b 22 6d 6f 64 65 22 3a 22 72 75 6e 22 2c 22 70 72 6f 74 6f 63 6f 6c 22 3a 32 7d" },
	{ "V-33", REQ, SIGOP_CRL, v_crl_q, "10 00 00 00 00" },
	{ "V-34", RSP, SIGOP_CRL, v_crl_p, "00 00 00 00 05 00 05 30 03 02 01 02" },
	{ "V-35", REQ, SIGOP_CHECKPOINT, v_cp_q, "11 01 09 6c 6f 74 2d 63 6c 6f 73 65" },
	{ "V-36", RSP, SIGOP_CHECKPOINT, v_cp_p,
	    "00 01 00 00 00 00 00 00 04 d2 00 16 66 61 63 74 6f 72 79 2d 6c 6f 67 0a 31 32 33 34 0a 71 38 33 73 0a" },
	{ "V-37", REQ, SIGOP_CHECKPOINT, v_cp_due_q, "11 00 08 69 6e 74 65 72 76 61 6c" },
	{ "V-38", RSP, SIGOP_CHECKPOINT, v_cp_due_p, "00 00 00 00 00 00 00 00 04 d2 00 00" },
	{ "V-39", RSP, SIGOP_BOARD, e_firmware,
	    "01 07 00 42 66 69 72 6d 77 61 72 65 20 31 2e 32 2e 30 20 69 73 20 6e 6f 74 20 6f 6e 20 74 68 65 20 61 6c 6c 6f 77 2d 6c 69 73 74 20 6f 66 20 70 72 6f 66 69 6c 65 20 27 74 68 65 72 6d 6f 73 74 61 74 2d 76 32 27" },
	{ "V-40", RSP, SIGOP_ISSUE, e_canonical,
	    "01 11 00 1b 43 53 52 20 69 73 20 6e 6f 74 20 69 6e 20 63 61 6e 6f 6e 69 63 61 6c 20 44 45 52" },
	{ "V-41", RSP, SIGOP_SESSION, e_closed,
	    "02 02 00 1b 6c 6f 74 20 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 20 69 73 20 63 6c 6f 73 65 64" },
	{ "V-42", RSP, SIGOP_PASS, e_sequence,
	    "08 10 00 14 50 41 53 53 20 62 65 66 6f 72 65 20 56 45 52 49 46 49 45 44" },
	{ "V-43", RSP, SIGOP_LOT_OPEN, e_mode,
	    "08 0e 00 1e 4c 4f 54 5f 4f 50 45 4e 20 6e 65 65 64 73 20 61 6e 20 61 64 6d 69 6e 20 73 69 67 6e 65 72" },
	{ "V-44", RSP, 21, e_request, "05 00 00 0d 75 6e 6b 6e 6f 77 6e 20 6f 70 20 32 31" },
	{ "V-45", RSP, SIGOP_ISSUE, e_hsm, "03 00 00 00" },
	{ "V-46", REQ, SIGOP_LOOKUP, v_lookup_q, "12 08 a1 b2 c3 d4 e5 f6 07 18" },
	{ "V-47", RSP, SIGOP_LOOKUP, v_lookup_pass,
	    "00 02 09 53 4e 2d 30 30 30 31 32 33 10 37 64 33 63 39 61 30 65 35 31 62 32 66 34 61 36 00 05 30 03 02 01 01 00 00 "
	    "20 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df" },
	{ "V-48", RSP, SIGOP_LOOKUP, v_lookup_none, "00 00 00 00 00 00 00 00 00" },
	{ "V-49", RSP, SIGOP_LOOKUP, v_lookup_quarantined,
	    "00 03 09 53 4e 2d 30 30 30 31 32 33 10 37 64 33 63 39 61 30 65 35 31 62 32 66 34 61 36 00 05 30 03 02 01 01 00 1a 45 5f 4c 4f 43 4b 3a 20 6c 6f 63 6b 20 6e 6f 74 20 63 6f 6e 66 69 72 6d 65 64 00" },
	{ "V-50", REQ, SIGOP_CHECKED, v_checked_q,
	    "13 08 a1 b2 c3 d4 e5 f6 07 18 01 05 65 6f 6c 2d 31 00 00 00 00 08 30 06 02 01 01 02 01 02" },
	{ "V-51", REQ, SIGOP_CHECKED, v_checked_fail_q,
	    "13 08 a1 b2 c3 d4 e5 f6 07 18 00 05 65 6f 6c 2d 31 08 45 5f 52 45 53 55 4d 45 00 2d 69 6e 73 74 61 6c 6c 65 64 20 63 65 72 74 69 66 69 63 61 74 65 20 69 73 20 6e 6f 74 20 74 68 65 20 72 65 63 6f 72 64 65 64 20 6f 6e 65 00 00" },
	{ "V-52", RSP, SIGOP_CHECKED, v_ok, "00" },
	{ "V-53", REQ, SIGOP_RELEASE, v_release_q,
	    "14 08 a1 b2 c3 d4 e5 f6 07 18 00 18 72 65 2d 66 6c 61 73 68 65 64 20 61 6e 64 20 72 65 2d 74 65 73 74 65 64" },
	{ "V-54", RSP, SIGOP_RELEASE, v_ok, "00" },
	{ "V-55", RSP, SIGOP_BOARD, e_quarantined,
	    "01 13 00 1e 62 6f 61 72 64 20 53 4e 2d 30 30 30 31 32 33 20 69 73 20 71 75 61 72 61 6e 74 69 6e 65 64" },
	{ "V-56", RSP, SIGOP_CHECKED, e_proof,
	    "01 14 00 23 70 72 6f 6f 66 20 66 6f 72 20 53 4e 2d 30 30 30 31 32 33 20 64 6f 65 73 20 6e 6f 74 20 76 65 72 69 66 79" },
	{ "V-57", RSP, SIGOP_LOOKUP, e_lookups, "02 15 00 1c 31 30 30 30 20 4c 4f 4f 4b 55 50 73 20 66 6f 75 6e 64 20 6e 6f 20 72 65 63 6f 72 64" },
	{ "V-58", REQ, SIGOP_COMMIT_CRED, v_cred_wifi_q,
	    "15 08 a1 b2 c3 d4 e5 f6 07 18 01 0a 54 48 32 2d 37 4b 51 34 58 57 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32" },
	{ "V-59", REQ, SIGOP_COMMIT_CRED, v_cred_matter_q,
	    "15 08 a1 b2 c3 d4 e5 f6 07 18 02 04 33 38 34 30 08 32 30 32 30 32 30 32 31" },
	{ "V-60", RSP, SIGOP_COMMIT_CRED, v_ok, "00" },
};
#define NVECS (sizeof(vecs) / sizeof(vecs[0]))

static int
enc(const struct vec *v, const struct vmsg *m, uint8_t *out, size_t cap, size_t *len)
{
	return v->dir == REQ ? sigp_enc_req(&m->q, out, cap, len) :
	    sigp_enc_rsp(v->op, &m->p, out, cap, len);
}

static int
dec(const struct vec *v, const uint8_t *p, size_t n, struct vmsg *m)
{
	return v->dir == REQ ? sigp_dec_req(p, n, &m->q) : sigp_dec_rsp(v->op, p, n, &m->p);
}

static void
build(const struct vec *v, struct vmsg *m)
{
	memset(m, 0, sizeof(*m));
	v->build(m);
}

/* The decoders zero their struct first, so two messages compare as memory once the pointers
 * into the encoded bytes are compared by content. */
static int
same(const struct vec *v, const struct vmsg *a, const struct vmsg *b)
{
	struct sigp_req qa, qb;
	struct sigp_rsp pa, pb;

	if (v->dir == REQ) {
		memcpy(&qa, &a->q, sizeof(qa)); /* padding included */
		memcpy(&qb, &b->q, sizeof(qb));
		if (qa.csr_len != qb.csr_len ||
		    (qa.csr_len != 0 && memcmp(qa.csr, qb.csr, qa.csr_len) != 0))
			return 0;
		qa.csr = qb.csr = NULL;
		return memcmp(&qa, &qb, sizeof(qa)) == 0;
	}
	memcpy(&pa, &a->p, sizeof(pa));
	memcpy(&pb, &b->p, sizeof(pb));
	if (pa.blob_len != pb.blob_len ||
	    (pa.blob_len != 0 && memcmp(pa.blob, pb.blob, pa.blob_len) != 0))
		return 0;
	pa.blob = pb.blob = NULL;
	return memcmp(&pa, &pb, sizeof(pa)) == 0;
}

/* Encoding the documented fields gives the documented bytes. */
static void
test_vectors_encode(void **state)
{
	uint8_t want[MAXV], out[MAXV];
	struct vmsg m;
	size_t i, n, ol;
	int bad = 0;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		build(&vecs[i], &m);
		ol = 0;
		assert_int_equal(enc(&vecs[i], &m, out, sizeof(out), &ol), PRC_OK);
		n = helpers_hex(vecs[i].hex, want, sizeof(want));
		if (ol != n || memcmp(out, want, n) != 0) {
			print_hex(vecs[i].id, out, ol);
			bad++;
		}
	}
	if (bad != 0)
		fail_msg("%d vectors do not encode to their documented bytes (printed above)", bad);
}

/* Decoding the documented bytes gives the documented fields, and they encode back to the same
 * bytes (the encoding is canonical, S-11). */
static void
test_vectors_decode(void **state)
{
	uint8_t p[MAXV], out[MAXV];
	struct vmsg want, got;
	size_t i, n, ol;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		build(&vecs[i], &want);
		n = helpers_hex(vecs[i].hex, p, sizeof(p));
		memset(&got, 0x77, sizeof(got));
		if (dec(&vecs[i], p, n, &got) != PRC_OK)
			fail_msg("%s does not decode", vecs[i].id);
		if (!same(&vecs[i], &want, &got))
			fail_msg("%s decodes to other fields than documented", vecs[i].id);
		ol = 0;
		assert_int_equal(enc(&vecs[i], &got, out, sizeof(out), &ol), PRC_OK);
		assert_int_equal(ol, n);
		assert_memory_equal(out, p, n);
	}
}

/* Spot checks of decoded fields, independent of the builders above. */
static void
test_vectors_fields(void **state)
{
	uint8_t p[MAXV];
	struct sigp_req q;
	struct sigp_rsp r;
	size_t n;

	(void)state;
	n = helpers_hex(vecs[4].hex, p, sizeof(p)); /* V-5 BOARD */
	assert_int_equal(sigp_dec_req(p, n, &q), PRC_OK);
	assert_int_equal(q.op, SIGOP_BOARD);
	assert_int_equal(q.board.chip_len, 8);
	assert_memory_equal(q.board.chip, CHIP, 8);
	assert_string_equal(q.board.model, "thermostat-v2");
	assert_string_equal(q.board.fixture, "fixture-3");
	assert_int_equal(q.board.fw_digest[31], 0x1f);
	n = helpers_hex(vecs[9].hex, p, sizeof(p)); /* V-10 ISSUE: the CSR points into the input */
	assert_int_equal(sigp_dec_req(p, n, &q), PRC_OK);
	assert_int_equal(q.csr_len, sizeof(CSR));
	assert_ptr_equal(q.csr, p + n - sizeof(CSR));
	n = helpers_hex(vecs[16].hex, p, sizeof(p)); /* V-17 FAIL without chip */
	assert_int_equal(sigp_dec_req(p, n, &q), PRC_OK);
	assert_int_equal(q.board.chip_len, 0);
	assert_string_equal(q.code, "E_NO_ANSWER");
	n = helpers_hex(vecs[3].hex, p, sizeof(p)); /* V-4 lot state */
	assert_int_equal(sigp_dec_rsp(SIGOP_SESSION, p, n, &r), PRC_OK);
	assert_string_equal(r.lot.lot, "LOT-2024-0042");
	assert_int_equal(r.lot.product_used, 5230);
	assert_int_equal(r.lot.recovered, 1);
	n = helpers_hex(vecs[38].hex, p, sizeof(p)); /* V-39 refusal */
	assert_int_equal(sigp_dec_rsp(SIGOP_BOARD, p, n, &r), PRC_OK);
	assert_int_equal(r.status, SIGST_POLICY);
	assert_int_equal(r.detail, SIGR_FIRMWARE);
	assert_string_equal(sigp_refusal_name(r.detail), "FIRMWARE");
	assert_string_equal(sigp_refusal_ecode(r.detail), "E_FIRMWARE");
	assert_int_equal(r.disposition, 0);
	assert_string_equal(r.serial, "");
}

/* Truncated at every byte: PRC_SHORT. One byte more: PRC_TRAILING. */
static void
test_truncated_and_trailing(void **state)
{
	uint8_t p[MAXV + 1];
	struct vmsg m;
	size_t i, k, n;
	int r;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		n = helpers_hex(vecs[i].hex, p, sizeof(p));
		for (k = 0; k < n; k++)
			if ((r = dec(&vecs[i], p, k, &m)) != PRC_SHORT)
				fail_msg("%s truncated to %zu: %d, not PRC_SHORT", vecs[i].id, k, r);
		p[n] = 0x00;
		if ((r = dec(&vecs[i], p, n + 1, &m)) != PRC_TRAILING)
			fail_msg("%s with a byte more: %d, not PRC_TRAILING", vecs[i].id, r);
	}
}

/* Encoders never write past cap and leave *len alone on failure. */
static void
test_encode_overflow(void **state)
{
	uint8_t out[MAXV + 16];
	struct vmsg m;
	size_t i, cap, n, ol, j;

	(void)state;
	for (i = 0; i < NVECS; i++) {
		build(&vecs[i], &m);
		assert_int_equal(enc(&vecs[i], &m, out, sizeof(out), &n), PRC_OK);
		for (cap = 0; cap < n; cap++) {
			memset(out, GUARD, sizeof(out));
			ol = 7777;
			assert_int_equal(enc(&vecs[i], &m, out, cap, &ol), PRC_SPACE);
			assert_int_equal(ol, 7777);
			for (j = cap; j < sizeof(out); j++)
				assert_int_equal(out[j], GUARD);
		}
	}
}

/* ---- §9.5 refused bodies ---- */

static const struct {
	const char *id;
	enum dir dir;
	uint8_t op; /* RSP: the op answered */
	const char *hex;
	int rc;
} yvecs[] = {
	{ "Y-1", REQ, 0, "", PRC_SHORT },
	{ "Y-2", REQ, 0, "01 03 00", PRC_TRAILING },
	{ "Y-3", REQ, 0, "04 08 a1 b2 c3 d4 e5 f6 07 18 10 63 6f 72 72 65 63 74 20 68 6f 72 73 65 20 34 32 00",
	    PRC_TRAILING },
	{ "Y-4", REQ, 0, "16", PRC_VALUE },
	{ "Y-5", REQ, 0, "00", PRC_VALUE },
	{ "Y-6", REQ, 0, "02 41 4c", PRC_TOO_LONG },
	{ "Y-7", REQ, 0, "02 02 4c 7f 05 61 6c 69 63 65", PRC_CHARSET },
	{ "Y-8", REQ, 0, "09 09 66 69 78 74 75 72 65 2d 33 00 02 6f 0a", PRC_CHARSET },
	{ "Y-9", REQ, 0, "06 03 a1 b2 c3", PRC_VALUE },
	{ "Y-10", REQ, 0, "08 03 a1 b2 c3 08 69 64 65 6e 74 69 66 79 05 45 5f 4e 4f 41 00 00", PRC_VALUE },
	{ "Y-11", REQ, 0, "07 08 a1 b2 c3 d4 e5 f6 07 18 02", PRC_VALUE },
	{ "Y-12", REQ, 0, "11 02 08 69 6e 74 65 72 76 61 6c", PRC_VALUE },
	{ "Y-13", REQ, 0, "04 08 a1 b2 c3 d4 e5 f6 07 18 07 73 68 6f 72 74 21 21", PRC_VALUE },
	{ "Y-14", REQ, 0, "05 08 a1 b2 c3 d4 e5 f6 07 18 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e",
	    PRC_VALUE },
	{ "Y-15", REQ, 0,
	    "05 08 a1 b2 c3 d4 e5 f6 07 18 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 00 00",
	    PRC_VALUE },
	{ "Y-16", REQ, 0,
	    "05 08 a1 b2 c3 d4 e5 f6 07 18 10 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 08 01",
	    PRC_TOO_LONG },
	{ "Y-17", REQ, 0, "0b 00 00 00 29 00 00", PRC_SHORT },
	{ "Y-18", RSP, SIGOP_BOARD, "00 03 09 53 4e 2d 30 30 30 31 32 33 00", PRC_VALUE },
	{ "Y-19", RSP, SIGOP_BOARD, "00 01 00 00", PRC_VALUE },
	{ "Y-20", RSP, SIGOP_LOT_STATUS,
	    "00 0d 4c 4f 54 2d 32 30 32 34 2d 30 30 34 32 02 00 00 03 e8 00 00 00 3a 00 01 86 a0 00 00 14 7f 00 00 00 00",
	    PRC_VALUE },
	{ "Y-21", RSP, SIGOP_HELLO, "00 02 01 02 01 41", PRC_VALUE },
	{ "Y-22", RSP, 22, "00", PRC_VALUE },
	{ "Y-23", RSP, SIGOP_PASS, "08 10 00 02 6f 0a", PRC_CHARSET },
	{ "Y-24", RSP, SIGOP_PASS, "08 10 01 00", PRC_TOO_LONG },
	{ "Y-25", RSP, SIGOP_COMMIT_PW, "00 00", PRC_TRAILING },
	{ "Y-26", RSP, SIGOP_COMMIT_PW, "", PRC_SHORT },
	{ "Y-27", RSP, SIGOP_CERT, "00 10 01", PRC_TOO_LONG },
	{ "Y-28", RSP, SIGOP_INFO, "00 00 00", PRC_VALUE },
	{ "Y-29", REQ, 0, "12 03 a1 b2 c3", PRC_VALUE },
	{ "Y-30", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 02 05 65 6f 6c 2d 31 00 00 00", PRC_VALUE },
	{ "Y-31", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 01 00 00 00 00", PRC_VALUE },
	{ "Y-32", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 01 05 65 6f 6c 2d 31 20", PRC_TOO_LONG },
	{ "Y-33", REQ, 0, "14 08 a1 b2 c3 d4 e5 f6 07 18 00 00", PRC_VALUE },
	{ "Y-34", REQ, 0, "14 08 a1 b2 c3 d4 e5 f6 07 18 00 01 0a", PRC_CHARSET },
	{ "Y-35", RSP, SIGOP_LOOKUP, "00 04 00 00 00 00 00 00", PRC_VALUE },
	{ "Y-36", RSP, SIGOP_LOOKUP, "00 02 00 00 10 01", PRC_TOO_LONG },
	{ "Y-37", RSP, SIGOP_CHECKED, "00 00", PRC_TRAILING },
	{ "Y-38", RSP, SIGOP_RELEASE, "", PRC_SHORT },
	{ "Y-39", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 01 05 65 6f 6c 2d 31 00 00 00 00 00", PRC_VALUE },
	{ "Y-40", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 00 05 65 6f 6c 2d 31 01 45 00 00 00 01 30", PRC_VALUE },
	{ "Y-41", REQ, 0, "13 08 a1 b2 c3 d4 e5 f6 07 18 01 05 65 6f 6c 2d 31 00 00 00 02 01", PRC_TOO_LONG },
	{ "Y-42", RSP, SIGOP_LOOKUP, "00 02 00 00 00 05 30 03 02 01 01 00 00 00", PRC_VALUE },
	{ "Y-43", RSP, SIGOP_LOOKUP, "00 00 00 00 00 00 00 00 20 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df", PRC_VALUE },
	{ "Y-44", RSP, SIGOP_LOOKUP, "00 02 00 00 00 00 00 00 21", PRC_TOO_LONG },
	{ "Y-45", RSP, SIGOP_LOOKUP, "00 02 00 00 00 00 00 00 10 c0 c1 c2 c3 c4 c5 c6 c7 c8 c9 ca cb cc cd ce cf", PRC_VALUE },
	{ "Y-46", REQ, 0, "07 08 a1 b2 c3 d4 e5 f6 07 18 00 04", PRC_VALUE },
	{ "Y-47", REQ, 0, "07 08 a1 b2 c3 d4 e5 f6 07 18 00", PRC_SHORT },
	{ "Y-48", REQ, 0, "15 08 a1 b2 c3 d4 e5 f6 07 18 00 00 08 32 30 32 30 32 30 32 31", PRC_VALUE },
	{ "Y-49", REQ, 0, "15 08 a1 b2 c3 d4 e5 f6 07 18 03 00 08 32 30 32 30 32 30 32 31", PRC_VALUE },
	{ "Y-50", REQ, 0, "15 08 a1 b2 c3 d4 e5 f6 07 18 02 04 33 38 34 30 00", PRC_VALUE },
};
#define NYVECS (sizeof(yvecs) / sizeof(yvecs[0]))

static void
test_refused(void **state)
{
	uint8_t p[MAXV];
	struct sigp_req q;
	struct sigp_rsp r;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < NYVECS; i++) {
		n = helpers_hex(yvecs[i].hex, p, sizeof(p));
		rc = yvecs[i].dir == REQ ? sigp_dec_req(p, n, &q) : sigp_dec_rsp(yvecs[i].op, p, n, &r);
		if (rc != yvecs[i].rc)
			fail_msg("%s: got %d (%s), want %d (%s)", yvecs[i].id, rc, proto_strerror(rc),
			    yvecs[i].rc, proto_strerror(yvecs[i].rc));
	}
}

/* ---- encoders refuse what a decoder refuses (S-10) ---- */

static void
fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

static int
encq(const struct sigp_req *q)
{
	uint8_t out[CAP_SIGNER_MSG];
	size_t ol = 0;
	int r;

	if ((r = sigp_enc_req(q, out, sizeof(out), &ol)) == PRC_OK) {
		struct sigp_req back;

		/* What an encoder accepts, the decoder accepts. */
		assert_int_equal(sigp_dec_req(out, ol, &back), PRC_OK);
	}
	return r;
}

static int
encp(uint8_t op, const struct sigp_rsp *p)
{
	uint8_t out[CAP_SIGNER_MSG];
	size_t ol = 0;
	int r;

	if ((r = sigp_enc_rsp(op, p, out, sizeof(out), &ol)) == PRC_OK) {
		struct sigp_rsp back;

		assert_int_equal(sigp_dec_rsp(op, out, ol, &back), PRC_OK);
	}
	return r;
}

static void
test_encode_request_limits(void **state)
{
	static uint8_t csr[CAP_CSR_DER + 1];
	struct vmsg m;

	(void)state;
	/* SESSION / LOT_*: lot and operator 1..64 printable */
	build(&vecs[2], &m);
	fill(m.q.lot, SIGP_MAX_NAME, 'L');
	fill(m.q.operator_name, SIGP_MAX_NAME, 'o');
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.lot[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	memset(m.q.lot, 'L', sizeof(m.q.lot)); /* 65 bytes, no NUL within the array */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.lot, 1, '\n');
	assert_int_equal(encq(&m.q), PRC_CHARSET);
	fill(m.q.lot, 1, 'L');
	m.q.operator_name[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.op = SIGOP_LOT_CLOSE;
	m.q.lot[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);

	/* COMMIT_PW: password 8..64, chip 4..32 */
	build(&vecs[7], &m);
	fill(m.q.password, MSG_MIN_PASSWORD - 1, 'p');
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.password, MSG_MIN_PASSWORD, 'p');
	assert_int_equal(encq(&m.q), PRC_OK);
	fill(m.q.password, MSG_MAX_PASSWORD, 'p');
	assert_int_equal(encq(&m.q), PRC_OK);
	memset(m.q.password, 'p', sizeof(m.q.password));
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.password, MSG_MIN_PASSWORD, 'p');
	m.q.board.chip_len = MSG_MIN_CHIP_ID - 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.board.chip_len = MSG_MAX_CHIP_ID + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.board.chip_len = 0;
	assert_int_equal(encq(&m.q), PRC_VALUE);

	/* COMMIT_CRED: kind 1..2, public 0..32, secret 1..63 */
	memset(&m, 0, sizeof(m));
	v_cred_wifi_q(&m);
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.cred_kind = 0;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.cred_kind = SIGC_MAX + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.cred_kind = SIGC_MATTER;
	fill(m.q.cred_public, SIGP_MAX_CRED_PUBLIC, 'S');
	fill(m.q.cred_secret, SIGP_MAX_CRED_SECRET, 's');
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.cred_public[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_OK);
	memset(m.q.cred_public, 'S', sizeof(m.q.cred_public));
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.cred_public[0] = '\0';
	memset(m.q.cred_secret, 's', sizeof(m.q.cred_secret));
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.cred_secret[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);

	/* ISSUE: nonce 16..32, CSR 1..CAP_CSR_DER */
	build(&vecs[9], &m);
	m.q.csr = csr;
	m.q.csr_len = 0;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.csr_len = CAP_CSR_DER + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.csr_len = CAP_CSR_DER;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.nonce_len = MSG_MIN_NONCE - 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.nonce_len = MSG_MAX_NONCE + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.nonce_len = MSG_MAX_NONCE;
	assert_int_equal(encq(&m.q), PRC_OK);

	/* BOARD: model and fw_version 1..32, hw_rev 0..32, fixture 1..64, debug_locked a flag */
	build(&vecs[4], &m);
	m.q.board.hw_rev[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_OK);
	memset(m.q.board.hw_rev, 'h', sizeof(m.q.board.hw_rev)); /* 33 bytes, no NUL */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.board.hw_rev, MSG_MAX_STR, 'h');
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.board.model[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.board.model, "thermostat-v2");
	m.q.board.fw_version[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.board.fw_version, "1.4.2");
	m.q.board.fixture[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.board.fixture, SIGP_MAX_NAME, 'f');
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.board.debug_locked = 2;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.board.debug_locked = 1;
	m.q.board.state = 0xff; /* a fact, not checked by the codec */
	m.q.board.proto_version = 0xff;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.board.model[3] = (char)0xc3;
	assert_int_equal(encq(&m.q), PRC_CHARSET);

	/* PASS / CHECKPOINT flags */
	build(&vecs[13], &m);
	m.q.resumed = 1;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.resumed = 2;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	build(&vecs[34], &m);
	m.q.force = 2;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.force = 0;
	m.q.trigger[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	memset(m.q.trigger, 't', sizeof(m.q.trigger)); /* 32 bytes, no NUL */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.trigger, SIGP_MAX_CODE, 't');
	assert_int_equal(encq(&m.q), PRC_OK);

	/* FAIL: chip empty or 4..32, step and code 1..31, reason 0..255 printable */
	build(&vecs[15], &m);
	m.q.board.chip_len = 3;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.board.chip_len = 0;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.step[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	memset(m.q.step, 's', sizeof(m.q.step)); /* 32 bytes, no NUL */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.step, "certificate");
	m.q.code[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	memset(m.q.code, 'E', sizeof(m.q.code)); /* 32 bytes, no NUL */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.code, "E_CSR");
	m.q.reason[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_OK);
	memset(m.q.reason, 'r', sizeof(m.q.reason)); /* 256 bytes, no NUL within the array */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.reason, SIGP_MAX_TEXT, 'r');
	assert_int_equal(encq(&m.q), PRC_OK);
	strcpy(m.q.reason, "two\nlines");
	assert_int_equal(encq(&m.q), PRC_CHARSET);
	strcpy(m.q.reason, "caf\xc3\xa9");
	assert_int_equal(encq(&m.q), PRC_CHARSET);

	/* FIXTURE_ERROR */
	build(&vecs[18], &m);
	m.q.board.fixture[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.board.fixture, "fixture-3");
	strcpy(m.q.reason, "tab\there");
	assert_int_equal(encq(&m.q), PRC_CHARSET);

	/* LOOKUP / CHECKED / RELEASE: chip 4..32; CHECKED ok a flag, fixture 1..64, code 0..31;
	 * RELEASE reason 1..255 printable */
	build(&vecs[45], &m);
	m.q.board.chip_len = 3;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	build(&vecs[49], &m);
	assert_int_equal(encq(&m.q), PRC_OK);
	/* CHECKED's proof: 1..SIGP_MAX_SIG bytes with ok 1 (S-29), none with ok 0 */
	m.q.sig_len = 0;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.sig_len = SIGP_MAX_SIG;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.sig_len = SIGP_MAX_SIG + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.sig_len = 1;
	m.q.ok = 0;
	strcpy(m.q.code, "E_PROVE");
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.sig_len = 0;
	assert_int_equal(encq(&m.q), PRC_OK);
	m.q.code[0] = '\0';
	m.q.ok = 2;
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.ok = 0;
	m.q.board.fixture[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.board.fixture, "eol-1");
	memset(m.q.code, 'E', sizeof(m.q.code)); /* 32 bytes, no NUL */
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.code, SIGP_MAX_CODE, 'E');
	assert_int_equal(encq(&m.q), PRC_OK);
	strcpy(m.q.reason, "tab\there");
	assert_int_equal(encq(&m.q), PRC_CHARSET);
	build(&vecs[52], &m);
	m.q.reason[0] = '\0';
	assert_int_equal(encq(&m.q), PRC_VALUE);
	fill(m.q.reason, SIGP_MAX_TEXT, 'r');
	assert_int_equal(encq(&m.q), PRC_OK);
	memset(m.q.reason, 'r', sizeof(m.q.reason));
	assert_int_equal(encq(&m.q), PRC_VALUE);
	strcpy(m.q.reason, "new\nline");
	assert_int_equal(encq(&m.q), PRC_CHARSET);

	/* Unknown ops */
	memset(&m, 0, sizeof(m));
	assert_int_equal(encq(&m.q), PRC_VALUE);
	m.q.op = SIGOP_MAX + 1;
	assert_int_equal(encq(&m.q), PRC_VALUE);
}

static void
test_encode_reply_limits(void **state)
{
	static uint8_t blob[SIGP_MAX_BLOB + 1];
	struct vmsg m;

	(void)state;
	/* HELLO: ident 1..64, separated a flag */
	build(&vecs[1], &m);
	m.p.ident[0] = '\0';
	assert_int_equal(encp(SIGOP_HELLO, &m.p), PRC_VALUE);
	fill(m.p.ident, SIGP_MAX_NAME, 'i');
	assert_int_equal(encp(SIGOP_HELLO, &m.p), PRC_OK);
	m.p.separated = 2;
	assert_int_equal(encp(SIGOP_HELLO, &m.p), PRC_VALUE);

	/* lot state: closed a flag, lot 1..64 */
	build(&vecs[3], &m);
	m.p.lot.closed = 2;
	assert_int_equal(encp(SIGOP_SESSION, &m.p), PRC_VALUE);
	m.p.lot.closed = 1;
	m.p.lot.lot[0] = '\0';
	assert_int_equal(encp(SIGOP_LOT_OPEN, &m.p), PRC_VALUE);

	/* BOARD: disposition NEW or RESUME, serial 1..32, cert serial 0..64 */
	build(&vecs[6], &m);
	fill(m.p.serial, CAP_SERIAL, 's');
	fill(m.p.cert_serial, SIGP_MAX_CERT_SERIAL, 'c');
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_OK);
	m.p.serial[0] = '\0';
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_VALUE);
	memset(m.p.serial, 's', sizeof(m.p.serial));
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_VALUE);
	strcpy(m.p.serial, "SN-000123");
	m.p.disposition = 0;
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_VALUE);
	m.p.disposition = SIGB_RESUME + 1;
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_VALUE);

	/* ISSUE / CERT: certificate 1..CAP_CERT_DER; ISSUE cert serial 1..64 */
	build(&vecs[10], &m);
	m.p.blob = blob;
	m.p.blob_len = CAP_CERT_DER;
	assert_int_equal(encp(SIGOP_ISSUE, &m.p), PRC_OK);
	assert_int_equal(encp(SIGOP_CERT, &m.p), PRC_OK);
	m.p.blob_len = CAP_CERT_DER + 1;
	assert_int_equal(encp(SIGOP_ISSUE, &m.p), PRC_VALUE);
	assert_int_equal(encp(SIGOP_CERT, &m.p), PRC_VALUE);
	m.p.blob_len = 0;
	assert_int_equal(encp(SIGOP_ISSUE, &m.p), PRC_VALUE);
	assert_int_equal(encp(SIGOP_CERT, &m.p), PRC_VALUE);
	m.p.blob_len = 1;
	m.p.cert_serial[0] = '\0';
	assert_int_equal(encp(SIGOP_ISSUE, &m.p), PRC_VALUE);

	/* INFO / CRL chunk 1..SIGP_MAX_BLOB (a CRL chunk within total, total 1..CAP_CRL),
	 * checkpoint note 0..SIGP_MAX_BLOB */
	memset(&m, 0, sizeof(m));
	m.p.blob = blob;
	m.p.blob_len = SIGP_MAX_BLOB;
	m.p.total = SIGP_MAX_BLOB - 1;
	assert_int_equal(encp(SIGOP_CRL, &m.p), PRC_VALUE);
	m.p.total = CAP_CRL + 1;
	assert_int_equal(encp(SIGOP_CRL, &m.p), PRC_VALUE);
	m.p.total = CAP_CRL;
	assert_int_equal(encp(SIGOP_INFO, &m.p), PRC_OK);
	assert_int_equal(encp(SIGOP_CRL, &m.p), PRC_OK);
	assert_int_equal(encp(SIGOP_CHECKPOINT, &m.p), PRC_OK);
	m.p.blob_len = SIGP_MAX_BLOB + 1;
	assert_int_equal(encp(SIGOP_INFO, &m.p), PRC_VALUE);
	assert_int_equal(encp(SIGOP_CHECKPOINT, &m.p), PRC_VALUE);
	m.p.blob_len = 0;
	assert_int_equal(encp(SIGOP_CRL, &m.p), PRC_VALUE);
	assert_int_equal(encp(SIGOP_CHECKPOINT, &m.p), PRC_OK);
	m.p.signed_now = 2;
	assert_int_equal(encp(SIGOP_CHECKPOINT, &m.p), PRC_VALUE);

	/* Error replies: text 0..255 printable, for any op */
	build(&vecs[38], &m);
	fill(m.p.text, SIGP_MAX_TEXT, 't');
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_OK);
	assert_int_equal(encp(0xee, &m.p), PRC_OK);
	memset(m.p.text, 't', sizeof(m.p.text));
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_VALUE);
	strcpy(m.p.text, "line\n");
	assert_int_equal(encp(SIGOP_BOARD, &m.p), PRC_CHARSET);

	/* LOOKUP: kind 0..3, serial 0..32, cert serial 0..64, cert 0..CAP_CERT_DER, reason text */
	build(&vecs[46], &m);
	m.p.kind = SIGREC_MAX + 1;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.kind = SIGREC_QUARANTINED;
	m.p.challenge_len = 0;
	m.p.blob = blob;
	m.p.blob_len = CAP_CERT_DER;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_OK);
	m.p.blob_len = CAP_CERT_DER + 1;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.blob_len = 0;
	memset(m.p.serial, 's', sizeof(m.p.serial));
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.serial[0] = '\0';
	memset(m.p.reason, 'r', sizeof(m.p.reason));
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	strcpy(m.p.reason, "line\n");
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_CHARSET);
	/* LOOKUP's challenge: SIGP_CHALLENGE bytes with a PASS record, none with any other (S-29) */
	build(&vecs[46], &m);
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_OK);
	m.p.challenge_len = 0;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.challenge_len = SIGP_CHALLENGE - 1;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.challenge_len = SIGP_CHALLENGE + 1;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.challenge_len = SIGP_CHALLENGE;
	m.p.kind = SIGREC_VERIFIED;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_VALUE);
	m.p.challenge_len = 0;
	assert_int_equal(encp(SIGOP_LOOKUP, &m.p), PRC_OK);

	/* An OK reply to an unknown op */
	memset(&m, 0, sizeof(m));
	assert_int_equal(encp(0, &m.p), PRC_VALUE);
	assert_int_equal(encp(SIGOP_MAX + 1, &m.p), PRC_VALUE);
}

/* S-6: the largest message of each kind fits CAP_SIGNER_MSG. */
static void
test_largest_fit(void **state)
{
	static uint8_t blob[SIGP_MAX_BLOB], out[CAP_SIGNER_MSG];
	struct vmsg m;
	size_t ol;

	(void)state;
	build(&vecs[9], &m);
	m.q.nonce_len = MSG_MAX_NONCE;
	m.q.board.chip_len = MSG_MAX_CHIP_ID;
	m.q.csr = blob;
	m.q.csr_len = CAP_CSR_DER;
	assert_int_equal(sigp_enc_req(&m.q, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, 1 + 33 + 33 + 2 + CAP_CSR_DER);
	memset(&m, 0, sizeof(m));
	m.p.signed_now = 1;
	m.p.blob = blob;
	m.p.blob_len = SIGP_MAX_BLOB;
	assert_int_equal(sigp_enc_rsp(SIGOP_CHECKPOINT, &m.p, out, sizeof(out), &ol), PRC_OK);
	assert_int_equal(ol, 1 + 1 + 8 + 2 + SIGP_MAX_BLOB);
	assert_true(ol <= CAP_SIGNER_MSG);
}

/* ---- framing (S-5) ---- */

static void
test_framing(void **state)
{
	static uint8_t big[CAP_SIGNER_MSG + 1];
	uint8_t buf[16], in[CAP_SIGNER_MSG];
	size_t n = 0;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* F-1: V-1 framed */
	assert_int_equal(sigp_send(sv[0], (const uint8_t *)"\x01\x03", 2), 0);
	assert_int_equal(read(sv[1], buf, 6), 6);
	assert_memory_equal(buf, "\x00\x00\x00\x02\x01\x03", 6);
	assert_int_equal(write(sv[0], buf, 6), 6);
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(in, "\x01\x03", 2);
	/* the largest body (a socketpair buffers it whole) */
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(sigp_send(sv[0], big, CAP_SIGNER_MSG), 0);
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), 0);
	assert_int_equal(n, CAP_SIGNER_MSG);
	assert_memory_equal(in, big, CAP_SIGNER_MSG);
	/* S-5: the sender refuses what the receiver would refuse */
	errno = 0;
	assert_int_equal(sigp_send(sv[0], big, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	errno = 0;
	assert_int_equal(sigp_send(sv[0], big, CAP_SIGNER_MSG + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* length 0 */
	assert_int_equal(write(sv[0], "\x00\x00\x00\x00", 4), 4);
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), -2);
	/* length CAP_SIGNER_MSG + 1 */
	assert_int_equal(write(sv[0], "\x00\x00\x40\x01", 4), 4);
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), -2);
	/* the peer closes inside the body */
	assert_int_equal(write(sv[0], "\x00\x00\x00\x02\x01", 5), 5);
	close(sv[0]);
	errno = EINVAL;
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), -1);
	assert_int_equal(errno, 0);
	/* EOF before a header */
	errno = EINVAL;
	assert_int_equal(sigp_recv(sv[1], in, sizeof(in), &n), -1);
	assert_int_equal(errno, 0);
	assert_int_equal(n, CAP_SIGNER_MSG); /* untouched by the failures */
	close(sv[1]);
}

/* ---- names of §5 ---- */

static void
test_names(void **state)
{
	static const char *const ops[] = { "UNKNOWN", "HELLO", "SESSION", "BOARD", "COMMIT_PW",
		"ISSUE", "VERIFIED", "PASS", "FAIL", "FIXTURE_ERROR", "CERT", "STOP", "LOT_OPEN",
		"LOT_CLOSE", "LOT_STATUS", "INFO", "CRL", "CHECKPOINT", "LOOKUP", "CHECKED", "RELEASE",
		"COMMIT_CRED", "UNKNOWN" };
	static const struct {
		int detail;
		const char *name, *ecode;
	} rf[] = {
		{ SIGR_NONE, "NONE", "E_REFUSED" },
		{ SIGR_LOT_NOT_OPEN, "LOT_NOT_OPEN", "E_LOT" },
		{ SIGR_LOT_CLOSED, "LOT_CLOSED", "E_LOT" },
		{ SIGR_QUOTA_LOT, "QUOTA", "E_QUOTA" },
		{ SIGR_QUOTA_PRODUCT, "PRODUCT_TOTAL", "E_QUOTA" },
		{ SIGR_CHIP_LIMIT, "CHIP_LIMIT", "E_CHIP_LIMIT" },
		{ SIGR_MODEL, "MODEL", "E_MODEL" },
		{ SIGR_FIRMWARE, "FIRMWARE", "E_FIRMWARE" },
		{ SIGR_PROTOCOL, "PROTOCOL", "E_PROTOCOL" },
		{ SIGR_DUPLICATE, "DUPLICATE", "E_DUPLICATE" },
		{ SIGR_LOCKED_UNKNOWN, "LOCKED_UNKNOWN", "E_LOCKED_UNKNOWN" },
		{ SIGR_NOT_ALLOCATED, "NOT_ALLOCATED", "E_REFUSED" },
		{ SIGR_COLLISION, "COLLISION", "E_DUPLICATE" },
		{ SIGR_CSR, "CSR", "E_CSR" },
		{ SIGR_MODE, "MODE", "E_REFUSED" },
		{ SIGR_NO_SESSION, "NO_SESSION", "E_REFUSED" },
		{ SIGR_SEQUENCE, "SEQUENCE", "E_REFUSED" },
		{ SIGR_NOT_CANONICAL, "NOT_CANONICAL", "E_CSR" },
		{ SIGR_FAILURES, "FAILURES", "E_FAILURES" },
		{ SIGR_QUARANTINED, "QUARANTINED", "E_QUARANTINED" },
		{ SIGR_PROOF, "PROOF", "E_MISMATCH" },
		{ SIGR_LOOKUPS, "LOOKUPS", "E_REFUSED" },
		{ 22, "UNKNOWN", "E_REFUSED" },
		{ -1, "UNKNOWN", "E_REFUSED" },
	};
	static const char *const st[] = { "ok", "refused by policy", "quota reached", "HSM failure",
		"audit record failure", "malformed request", "internal signer error",
		"signer start-up failure", "out of sequence", "internal signer error" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		assert_string_equal(sigp_op_name((int)i), ops[i]);
	assert_string_equal(sigp_op_name(-1), "UNKNOWN");
	for (i = 0; i < sizeof(rf) / sizeof(rf[0]); i++) {
		assert_string_equal(sigp_refusal_name(rf[i].detail), rf[i].name);
		assert_string_equal(sigp_refusal_ecode(rf[i].detail), rf[i].ecode);
	}
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		assert_string_equal(sigp_status_name((int)i), st[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_encode),
		cmocka_unit_test(test_vectors_decode),
		cmocka_unit_test(test_vectors_fields),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_encode_overflow),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_encode_request_limits),
		cmocka_unit_test(test_encode_reply_limits),
		cmocka_unit_test(test_largest_fit),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
