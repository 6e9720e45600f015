/*
 * test-link.c: the station's link layer (link.h) over a fake transport that injects short reads,
 * timeouts, bit flips, stale and duplicated frames and hang-ups (docs/protocol.md P-9, P-10,
 * P-25, P-32). The fake answers instantly, so timeouts cost no wall-clock time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "link.h"
#include "msg.h"
#include "util.h"
#include "xport.h"

#define MAX_EV 32
#define MAX_WR 16

enum ev_kind { EV_DATA, EV_TIMEOUT, EV_HANGUP };

struct ev {
	enum ev_kind kind;
	uint8_t data[FRAME_MAX_WIRE];
	size_t len, off;
	size_t chunk; /* bytes per read (short reads); 0 = as many as fit */
};

/* The fake transport: reads pop scripted events (an empty script reads as a timeout), writes are
 * recorded. The ops pointer comes first, as xport.c expects of every backend. */
struct xport {
	const struct xport_ops *ops;
	struct ev ev[MAX_EV];
	unsigned nev, cur;
	uint8_t wr[MAX_WR][FRAME_MAX_WIRE];
	size_t wrlen[MAX_WR];
	unsigned nwr;
	int write_rc; /* returned by every write when non-zero */
};

static int
fake_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	if (x->write_rc != 0)
		return x->write_rc;
	assert_true(x->nwr < MAX_WR);
	assert_true(n <= FRAME_MAX_WIRE);
	memcpy(x->wr[x->nwr], p, n);
	x->wrlen[x->nwr++] = n;
	return XPORT_OK;
}

static int
fake_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	struct ev *e;
	size_t n;

	if (x->cur >= x->nev)
		return XPORT_ERR_TIMEOUT;
	e = &x->ev[x->cur];
	if (e->kind != EV_DATA) {
		x->cur++;
		return e->kind == EV_TIMEOUT ? XPORT_ERR_TIMEOUT : XPORT_ERR_HANGUP;
	}
	n = e->len - e->off;
	if (e->chunk && n > e->chunk)
		n = e->chunk;
	if (n > cap)
		n = cap;
	memcpy(p, e->data + e->off, n);
	e->off += n;
	if (e->off == e->len)
		x->cur++;
	*got = n;
	return XPORT_OK;
}

static void
fake_close(struct xport *x)
{
}

static const struct xport_ops fake_ops = { "fake", NULL, fake_write, fake_read, fake_close };

static struct xport *
fake_new(void)
{
	struct xport *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->ops = &fake_ops;
	return x;
}

static struct ev *
push(struct xport *x, enum ev_kind k)
{
	assert_true(x->nev < MAX_EV);
	x->ev[x->nev].kind = k;
	return &x->ev[x->nev++];
}

/* Scripts a reply frame (type, seq, payload); flip >= 0 flips that bit of the wire bytes. */
static void
push_frame(struct xport *x, uint8_t type, uint16_t seq, const uint8_t *pl, size_t len,
    size_t chunk, long flip)
{
	struct ev *e = push(x, EV_DATA);

	assert_int_equal(frame_encode(type, seq, pl, len, e->data, sizeof(e->data), &e->len), 0);
	if (flip >= 0) {
		assert_true((size_t)(flip / 8) < e->len - 1);
		e->data[flip / 8] ^= (uint8_t)(1u << (flip % 8));
	}
	e->chunk = chunk;
}

static const uint8_t pong[] = { 0x01, 0x02, 0x03 };
static const uint8_t other[] = { 0x0a, 0x0b };

#define SEQ0 0x4321
#define REQ_SEQ (SEQ0 + 1) /* link_call uses first_seq + 1 for its first request */

static int
call(struct link *l, const uint8_t **rsp, size_t *rl)
{
	return link_call(l, MSG_PROVE, pong, sizeof(pong), 100, 3, rsp, rl);
}

/* A lost reply: the same frame, byte for byte (same seq), is sent again until a reply comes. */
static void
retransmit_same_seq(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0;

	push(x, EV_TIMEOUT);
	push(x, EV_TIMEOUT);
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, -1);
	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
	assert_int_equal(x->nwr, 3);
	assert_int_equal(l.retransmits, 2);
	assert_int_equal(x->wrlen[1], x->wrlen[0]);
	assert_memory_equal(x->wr[1], x->wr[0], x->wrlen[0]);
	assert_memory_equal(x->wr[2], x->wr[0], x->wrlen[0]);
	assert_int_equal(rl, sizeof(pong));
	assert_memory_equal(rsp, pong, sizeof(pong));
	free(x);
}

/* The board's cached reply (P-9) to a retransmission arrives after the first, late, copy: the
 * duplicate is not taken as the answer to the next request. */
static void
cached_reply_duplicate(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0;

	push(x, EV_TIMEOUT);
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, -1);
	/* second request: first the replayed reply to the first one, then the real answer */
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, -1);
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ + 1, other, sizeof(other), 0, -1);
	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
	assert_memory_equal(rsp, pong, sizeof(pong));
	assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
	assert_int_equal(rl, sizeof(other));
	assert_memory_equal(rsp, other, sizeof(other));
	assert_int_equal(x->nwr, 3);
	assert_int_equal(l.retransmits, 1);
	free(x);
}

/* Frames with an earlier or unrelated seq are ignored; the matching one is taken. */
static void
stale_seq_ignored(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0;

	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ - 1, other, sizeof(other), 0, -1);
	push_frame(x, MSG_ERROR, REQ_SEQ - 7, other, sizeof(other), 0, -1);
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, -1);
	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
	assert_int_equal(x->nwr, 1);
	assert_memory_equal(rsp, pong, sizeof(pong));
	free(x);
}

/* A reply trickling in one byte per read, with noise and a delimiter before it. */
static void
short_reads(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	struct ev *e;
	const uint8_t *rsp = NULL;
	size_t rl = 0;

	e = push(x, EV_DATA);
	memcpy(e->data, "\xff\x13\x37\x00", 4);
	e->len = 4;
	e->chunk = 1;
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 1, -1);
	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
	assert_int_equal(x->nwr, 1);
	assert_int_equal(l.bad_frames, 1);
	assert_memory_equal(rsp, pong, sizeof(pong));
	free(x);
}

/* Every single bit flip of the reply is caught (CRC, COBS or size), dropped without an answer,
 * and the retransmission's clean reply is taken. */
static void
bit_flips(void **state)
{
	struct xport *x;
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0, wl = 0;
	uint8_t w[FRAME_MAX_WIRE];
	long bit;

	assert_int_equal(frame_encode(MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), w,
	                     sizeof(w), &wl), 0);
	for (bit = 0; bit < (long)(wl - 1) * 8; bit++) {
		x = fake_new();
		push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, bit);
		push(x, EV_TIMEOUT);
		push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ, pong, sizeof(pong), 0, -1);
		link_init(&l, x, SEQ0);
		assert_int_equal(call(&l, &rsp, &rl), LINK_OK);
		assert_memory_equal(rsp, pong, sizeof(pong));
		/* a flip that creates a delimiter splits the block in two bad ones */
		assert_true(l.bad_frames >= 1);
		assert_int_equal(x->nwr, 2);
		free(x);
	}
}

/* No reply at all: retries + 1 transmissions, then a timeout. */
static void
timeout_after_retries(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0;

	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_ERR_TIMEOUT);
	assert_int_equal(x->nwr, 4);
	assert_int_equal(l.retransmits, 3);
	free(x);
}

/* A hang-up is reported at once: no retransmission, no waiting out the retries. */
static void
hangup_prompt(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	const uint8_t *rsp = NULL;
	size_t rl = 0;
	uint64_t t0;

	push(x, EV_HANGUP);
	link_init(&l, x, SEQ0);
	t0 = util_ms();
	assert_int_equal(link_call(&l, MSG_GEN_KEY, pong, sizeof(pong), 10000, 3, &rsp, &rl),
	    LINK_ERR_HANGUP);
	assert_true(util_ms() - t0 < 1000);
	assert_int_equal(x->nwr, 1);
	assert_int_equal(l.retransmits, 0);
	/* in the middle of a reply */
	x->nev = x->cur = 0;
	x->nwr = 0;
	push_frame(x, MSG_PROVE | MSG_RESPONSE, REQ_SEQ + 1, pong, sizeof(pong), 3, -1);
	x->ev[0].len -= 4;
	push(x, EV_HANGUP);
	assert_int_equal(call(&l, &rsp, &rl), LINK_ERR_HANGUP);
	assert_int_equal(x->nwr, 1);
	/* on the write side */
	x->write_rc = XPORT_ERR_HANGUP;
	assert_int_equal(call(&l, &rsp, &rl), LINK_ERR_HANGUP);
	free(x);
}

/* An error reply is a refusal with its code; a response of another type is a protocol failure
 * (P-10); our own request echoed back is ignored. */
static void
refused_and_wrong_type(void **state)
{
	struct xport *x = fake_new();
	struct link l;
	struct msg_error e = { 0 };
	uint8_t pl[128];
	const uint8_t *rsp = NULL;
	size_t rl = 0, len = 0;

	e.code = PERR_LOCKED;
	e.req_type = MSG_PROVE;
	snprintf(e.text, sizeof(e.text), "locked");
	assert_int_equal(msg_enc_error(&e, pl, sizeof(pl), &len), 0);
	push_frame(x, MSG_PROVE, REQ_SEQ, pong, sizeof(pong), 0, -1); /* echo */
	push_frame(x, MSG_ERROR, REQ_SEQ, pl, len, 0, -1);
	push_frame(x, MSG_LOCK | MSG_RESPONSE, REQ_SEQ + 1, pong, sizeof(pong), 0, -1);
	link_init(&l, x, SEQ0);
	assert_int_equal(call(&l, &rsp, &rl), LINK_ERR_REFUSED);
	assert_int_equal(l.err.code, PERR_LOCKED);
	assert_int_equal(call(&l, &rsp, &rl), LINK_ERR_PROTO);
	assert_int_equal(x->nwr, 2);
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(retransmit_same_seq),
		cmocka_unit_test(cached_reply_duplicate),
		cmocka_unit_test(stale_seq_ignored),
		cmocka_unit_test(short_reads),
		cmocka_unit_test(bit_flips),
		cmocka_unit_test(timeout_after_retries),
		cmocka_unit_test(hangup_prompt),
		cmocka_unit_test(refused_and_wrong_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
