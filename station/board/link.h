/*
 * link.h: request/response with one board over a transport (docs/protocol.md P-8, P-9):
 * frames each request with a fresh sequence number, waits for the matching reply, retransmits
 * with the same sequence number on timeout (the board replays its cached reply, so a step never
 * runs twice), and ignores stale or garbled frames.
 */
#ifndef LINK_H
#define LINK_H

#include "frame.h"
#include "msg.h"
#include "xport.h"

enum link_rc {
	LINK_OK = 0,
	LINK_ERR_TIMEOUT = -1, /* no valid reply after all retries */
	LINK_ERR_HANGUP = -2,  /* board/adapter went away */
	LINK_ERR_IO = -3,
	LINK_ERR_REFUSED = -4, /* board answered with an error reply; see link->err */
	LINK_ERR_PROTO = -5    /* reply of the wrong type */
};

struct link {
	struct xport *x;
	uint16_t seq;
	struct frame_rx rx;
	uint8_t tx[FRAME_MAX_WIRE];
	uint8_t rsp[FRAME_MAX_PAYLOAD];
	size_t rsplen;
	uint8_t in[512];            /* bytes read but not yet pushed through rx */
	size_t in_off, in_len;
	struct msg_error err;       /* the last error reply */
	unsigned long retransmits;  /* for diagnostics and benchmarks */
	unsigned long bad_frames;
};

/* x is borrowed. The first sequence number is random so that a board's cached reply from an
 * earlier session can never be mistaken for the answer to a new request. */
void link_init(struct link *l, struct xport *x, uint16_t first_seq);

/* Sends one request and waits for its reply. On LINK_OK, *rsp and *rsplen give the reply payload
 * (valid until the next call). timeout_ms applies per attempt; retries is the number of
 * retransmissions after the first attempt. */
int link_call(struct link *l, uint8_t type, const uint8_t *req, size_t reqlen,
    unsigned timeout_ms, unsigned retries, const uint8_t **rsp, size_t *rsplen);

const char *link_strerror(int rc);

#endif
