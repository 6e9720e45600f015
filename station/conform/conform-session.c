/*
 * conform-session.c: frames to and from the board under test, lower than link.c: the
 * conformance checks send raw bytes (invalid frames, vectors with their own seq), retransmit a
 * request on purpose, listen for silence and time every reply. Every byte from the board goes
 * through the core's streaming receiver (frame_rx_push, fuzzed by tests/fuzz/fuzz-frame.c).
 */
#include <stdio.h>
#include <string.h>

#include "conform-int.h"
#include "util.h"

unsigned
cs_timeout(const struct cs *s, uint8_t type)
{
	switch (type) {
	case MSG_HELLO: return s->to->hello;
	case MSG_SET_IDENTITY: return s->to->set_identity;
	case MSG_GEN_KEY: return s->to->gen_key;
	case MSG_READ_OBJECT:
	case MSG_WRITE_OBJECT: return s->to->object;
	case MSG_INSTALL: return s->to->install;
	case MSG_PROVE: return s->to->prove;
	case MSG_CONFIRM_PASSWORD: return s->to->confirm;
	case MSG_LOCK: return s->to->lock;
	/* P-25: the station's steps for the credentials use these two */
	case MSG_SET_CRED: return s->to->set_identity;
	case MSG_CONFIRM_CRED: return s->to->confirm;
	default: return s->to->hello; /* unknown types: answered at once, like HELLO */
	}
}

int
cs_send_raw(struct cs *s, const uint8_t *p, size_t n)
{
	int r;

	if (s->lost)
		return CS_HANGUP;
	r = xport_write(s->x, p, n, 2000);
	if (r == XPORT_OK)
		return CS_OK;
	s->lost = 1;
	return r == XPORT_ERR_HANGUP ? CS_HANGUP : CS_IO;
}

/* Reads frames until one with seq or the deadline; bad blocks go to *bad. */
static int
await(struct cs *s, uint16_t seq, uint64_t deadline, unsigned long *bad)
{
	struct frame f;
	uint64_t now;
	size_t got;
	int r;

	if (s->lost)
		return CS_HANGUP;
	for (;;) {
		if (s->in_off == s->in_len) {
			now = util_ms();
			if (now >= deadline)
				return CS_SILENT;
			got = 0;
			r = xport_read(s->x, s->in, sizeof(s->in), &got, (unsigned)(deadline - now));
			if (r == XPORT_ERR_TIMEOUT)
				return CS_SILENT;
			if (r != XPORT_OK) {
				s->lost = 1;
				return r == XPORT_ERR_HANGUP ? CS_HANGUP : CS_IO;
			}
			s->in_off = 0;
			s->in_len = got;
		}
		while (s->in_off < s->in_len) {
			r = frame_rx_push(&s->rx, s->in[s->in_off++], &f);
			if (r < 0 && bad != NULL)
				(*bad)++;
			if (r != 1)
				continue;
			if (f.seq != seq) {
				s->stale++;
				continue;
			}
			s->rtype = f.type;
			s->rseq = f.seq;
			memcpy(s->rpay, f.payload, f.len);
			s->rlen = f.len;
			return CS_OK;
		}
	}
}

int
cs_wait(struct cs *s, uint16_t seq, unsigned ms)
{
	uint64_t t0 = util_ms();
	int r;

	r = await(s, seq, t0 + ms, &s->bad);
	s->rms = (unsigned long)(util_ms() - t0);
	return r;
}

int
cs_listen(struct cs *s, unsigned ms, unsigned long *bad)
{
	struct frame f;
	uint64_t deadline = util_ms() + ms, now;
	size_t got;
	int r;

	if (s->lost)
		return CS_HANGUP;
	for (;;) {
		while (s->in_off < s->in_len) {
			r = frame_rx_push(&s->rx, s->in[s->in_off++], &f);
			if (r < 0 && bad != NULL)
				(*bad)++;
			if (r == 1) {
				s->rtype = f.type;
				s->rseq = f.seq;
				memcpy(s->rpay, f.payload, f.len);
				s->rlen = f.len;
				return CS_OK;
			}
		}
		now = util_ms();
		if (now >= deadline)
			return CS_SILENT;
		got = 0;
		r = xport_read(s->x, s->in, sizeof(s->in), &got, (unsigned)(deadline - now));
		if (r == XPORT_ERR_TIMEOUT)
			return CS_SILENT;
		if (r != XPORT_OK) {
			s->lost = 1;
			return r == XPORT_ERR_HANGUP ? CS_HANGUP : CS_IO;
		}
		s->in_off = 0;
		s->in_len = got;
	}
}

/* Sends s->tx and waits, with retries; times the first try. */
static int
transact(struct cs *s, uint16_t seq, uint8_t type)
{
	struct cs_timing *tm = &s->tm[type >= 1 && type < CS_NTYPES ? type : 0];
	unsigned to = cs_timeout(s, type), attempt;
	uint64_t t0 = util_ms();
	int r = CS_SILENT;

	for (attempt = 0; attempt <= s->to->retries; attempt++) {
		if (attempt > 0)
			s->retransmits++;
		if ((r = cs_send_raw(s, s->tx, s->txlen)) != CS_OK)
			break;
		r = await(s, seq, util_ms() + to, &s->bad);
		if (r != CS_SILENT)
			break;
	}
	s->rms = (unsigned long)(util_ms() - t0);
	if (r == CS_OK || r == CS_SILENT) {
		tm->n++;
		if (r == CS_OK && attempt == 0) {
			if (s->rms > tm->max_ms)
				tm->max_ms = s->rms;
		} else {
			tm->late++;
			if (s->rms > tm->late_ms)
				tm->late_ms = s->rms;
		}
	}
	return r;
}

int
cs_call_seq(struct cs *s, uint16_t seq, uint8_t type, const uint8_t *p, size_t n)
{
	if (s->lost)
		return CS_HANGUP;
	if (frame_encode(type, seq, p, n, s->tx, sizeof(s->tx), &s->txlen) != PRC_OK)
		return CS_IO;
	s->txtype = type;
	s->seq = seq;
	return transact(s, seq, type);
}

int
cs_call(struct cs *s, uint8_t type, const uint8_t *p, size_t n)
{
	return cs_call_seq(s, (uint16_t)(s->seq + 1u), type, p, n);
}

int
cs_resend(struct cs *s)
{
	int r;

	if ((r = cs_send_raw(s, s->tx, s->txlen)) != CS_OK)
		return r;
	return cs_wait(s, s->seq, cs_timeout(s, s->txtype));
}

void
cs_describe(const struct cs *s, int rc, char *out, size_t cap)
{
	struct msg_error e;

	switch (rc) {
	case CS_OK:
		if (s->rtype == MSG_ERROR) {
			if (msg_dec_error(s->rpay, s->rlen, &e) == PRC_OK)
				snprintf(out, cap, "ERROR %s (%u) to type 0x%02x", proto_errname(e.code),
				    e.code, e.req_type);
			else
				snprintf(out, cap, "a malformed ERROR reply (%zu bytes)", s->rlen);
		} else {
			snprintf(out, cap, "reply type 0x%02x, %zu bytes", s->rtype, s->rlen);
		}
		break;
	case CS_SILENT:
		snprintf(out, cap, "no answer in %lu ms", s->rms);
		break;
	case CS_HANGUP:
		snprintf(out, cap, "the line hung up");
		break;
	default:
		snprintf(out, cap, "I/O error on the line");
		break;
	}
}

int
cs_is_error(const struct cs *s, int rc, uint16_t code, uint8_t req_type)
{
	struct msg_error e;

	return rc == CS_OK && s->rtype == MSG_ERROR && msg_dec_error(s->rpay, s->rlen, &e) == PRC_OK &&
	    e.code == code && e.req_type == req_type;
}

int
cs_is_response(const struct cs *s, int rc, uint8_t type)
{
	return rc == CS_OK && s->rtype == (uint8_t)(type | MSG_RESPONSE);
}
