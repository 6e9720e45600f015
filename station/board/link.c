/* link.c: request/response over a transport; see link.h. */
#include "link.h"

#include <string.h>

#include "log.h"
#include "util.h"

void
link_init(struct link *l, struct xport *x, uint16_t first_seq)
{
	memset(l, 0, sizeof(*l));
	l->x = x;
	l->seq = first_seq;
	frame_rx_init(&l->rx);
}

/* Waits until deadline for the reply to (type, seq). */
static int
await(struct link *l, uint8_t type, uint64_t deadline)
{
	struct frame f;
	size_t got;
	uint64_t now;
	int r;

	for (;;) {
		if (l->in_off == l->in_len) {
			now = util_ms();
			if (now >= deadline)
				return LINK_ERR_TIMEOUT;
			got = 0;
			r = xport_read(l->x, l->in, sizeof(l->in), &got, (unsigned)(deadline - now));
			if (r == XPORT_ERR_TIMEOUT)
				return LINK_ERR_TIMEOUT;
			if (r == XPORT_ERR_HANGUP)
				return LINK_ERR_HANGUP;
			if (r != XPORT_OK)
				return LINK_ERR_IO;
			l->in_off = 0;
			l->in_len = got;
		}
		while (l->in_off < l->in_len) {
			r = frame_rx_push(&l->rx, l->in[l->in_off++], &f);
			if (r < 0)
				l->bad_frames++;
			if (r != 1)
				continue;
			/* A stale reply (an earlier seq) is dropped: P-9. */
			if (f.seq != l->seq)
				continue;
			/* P-10: a response of another type is a protocol failure. A request-typed frame
			 * (our own request echoed by a looped-back line) is not an answer: ignored. */
			if (f.type != (uint8_t)(type | MSG_RESPONSE) && f.type != MSG_ERROR) {
				if (f.type & MSG_RESPONSE)
					return LINK_ERR_PROTO;
				continue;
			}
			memcpy(l->rsp, f.payload, f.len);
			l->rsplen = f.len;
			if (f.type == MSG_ERROR) {
				if (msg_dec_error(l->rsp, l->rsplen, &l->err) != 0)
					return LINK_ERR_PROTO;
				return LINK_ERR_REFUSED;
			}
			return LINK_OK;
		}
	}
}

int
link_call(struct link *l, uint8_t type, const uint8_t *req, size_t reqlen,
    unsigned timeout_ms, unsigned retries, const uint8_t **rsp, size_t *rsplen)
{
	size_t wl = 0;
	unsigned attempt;
	int r;

	l->seq++;
	memset(&l->err, 0, sizeof(l->err));
	if (frame_encode(type, l->seq, req, reqlen, l->tx, sizeof(l->tx), &wl) != 0)
		return LINK_ERR_PROTO;
	for (attempt = 0; attempt <= retries; attempt++) {
		if (attempt > 0)
			l->retransmits++;
		r = xport_write(l->x, l->tx, wl, timeout_ms);
		if (r == XPORT_ERR_HANGUP)
			return LINK_ERR_HANGUP;
		if (r != XPORT_OK && r != XPORT_ERR_TIMEOUT)
			return LINK_ERR_IO;
		r = await(l, type, util_ms() + timeout_ms);
		if (r != LINK_ERR_TIMEOUT) {
			if (r == LINK_OK) {
				*rsp = l->rsp;
				*rsplen = l->rsplen;
			}
			return r;
		}
		log_debug("no reply to request type 0x%02x seq %u (attempt %u of %u)", type,
		    l->seq, attempt + 1, retries + 1);
	}
	return LINK_ERR_TIMEOUT;
}

const char *
link_strerror(int rc)
{
	switch (rc) {
	case LINK_OK: return "success";
	case LINK_ERR_TIMEOUT: return "no answer from the board";
	case LINK_ERR_HANGUP: return "the board was disconnected";
	case LINK_ERR_IO: return "serial line error";
	case LINK_ERR_REFUSED: return "the board refused the request";
	case LINK_ERR_PROTO: return "the board sent a malformed reply";
	default: return "unknown link error";
	}
}
