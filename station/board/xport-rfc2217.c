/*
 * xport-rfc2217.c: the RFC 2217 backend of xport.h (Telnet Com Port Control): a fixture behind
 * a device server in RFC 2217 mode (ser2net "telnet" with rfc2217, Moxa "RFC 2217 mode",
 * Lantronix), named "rfc2217:HOST:PORT". Unlike raw TCP the station sets the line itself: the
 * profile's baud, 8 data bits, no parity, 1 stop bit, no flow control, DTR and RTS on.
 *
 * The Telnet stream is parsed by the core's telnet.c (a pure state machine, fuzzed by
 * tests/fuzz/fuzz-telnet.c); this file only moves its bytes. What is negotiated and what is
 * ignored: docs/protocol.md "Transports".
 */
#include "xport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "telnet.h"
#include "util.h"
#include "xport-net.h"

#define NEGOTIATE_MS 2000u /* for the server's answer to WILL COM-PORT-OPTION, then its acks */
#define SEND_MS 1000u      /* for sending negotiation replies */
/* acknowledgements expected after the line settings (bits of struct telnet.acks) */
#define LINE_ACKS (1u << CPO_SET_BAUDRATE | 1u << CPO_SET_DATASIZE | 1u << CPO_SET_PARITY | \
	1u << CPO_SET_STOPSIZE | 1u << CPO_SET_CONTROL)

struct xport {
	const struct xport_ops *ops; /* must be first: xport.c dispatches through it */
	int fd;
	struct telnet tn;
	char name[CAP_XPORT_NAME];   /* printable copy, for log messages */
};

/* Sends the replies and requests the parser queued. */
static int
flush_out(struct xport *x)
{
	int r;

	if (x->tn.outlen == 0)
		return XPORT_OK;
	r = xport_net_send(x->fd, x->name, x->tn.out, x->tn.outlen, SEND_MS);
	x->tn.outlen = 0;
	return r;
}

/*
 * One receive (waiting until deadline for it) through the parser: data into p[0..*got) (cap
 * bytes at most; may be 0 bytes when only commands came), replies sent. XPORT_OK,
 * XPORT_ERR_TIMEOUT, XPORT_ERR_HANGUP, XPORT_ERR_IO (also: a malformed Telnet stream).
 */
static int
pump(struct xport *x, uint64_t deadline, uint8_t *p, size_t cap, size_t *got)
{
	uint8_t raw[TELNET_FEED_MAX];
	size_t n = 0, m = cap < sizeof(raw) ? cap : sizeof(raw);
	int r;

	if ((r = xport_net_recv(x->fd, x->name, raw, m, &n, (unsigned)xport_net_left(deadline))) !=
	    XPORT_OK)
		return r;
	if ((r = telnet_input(&x->tn, raw, n, p, cap, got)) != TELNET_OK) {
		log_error("%s: the device server sent a malformed Telnet stream (%s); check that the "
		    "port is in RFC 2217 mode", x->name, r == TELNET_ERR_SB_LONG ?
		    "a subnegotiation longer than we accept" : "too many negotiation requests");
		return XPORT_ERR_IO;
	}
	return flush_out(x);
}

/* Reads and discards data until cond(x) or the deadline; 0 when cond held. */
static int
await_cond(struct xport *x, int (*cond)(const struct xport *), int *rc)
{
	uint64_t deadline = util_ms() + NEGOTIATE_MS;
	uint8_t junk[TELNET_FEED_MAX];
	size_t got;
	int r;

	while (!cond(x)) {
		got = 0;
		r = pump(x, deadline, junk, sizeof(junk), &got);
		if (r == XPORT_ERR_TIMEOUT)
			return -1;
		if (r != XPORT_OK) {
			*rc = r == XPORT_ERR_HANGUP ? XPORT_ERR_OPEN : r;
			return -2;
		}
		if (got > 0)
			log_debug("%s: %zu byte(s) from the line before it was set up, dropped", x->name,
			    got);
		/* A server that never stops sending (data, or negotiation it keeps changing) must
		 * not hold the open past the deadline: pump only times out on silence (red team
		 * #14: a flood kept a fixture in here for as long as it lasted). */
		if (!cond(x) && xport_net_left(deadline) == 0)
			return -1;
	}
	return 0;
}

static int
comport_answered(const struct xport *x)
{
	return x->tn.us[2] != TQ_WANTYES; /* index 2: COM-PORT-OPTION (telnet.c) */
}

static int
line_acked(const struct xport *x)
{
	return (x->tn.acks & LINE_ACKS) == LINE_ACKS;
}

/* Asks for the options and sets the line; logs what to check. */
static int
negotiate(struct xport *x, unsigned baud)
{
	uint8_t v[4] = { (uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
		(uint8_t)baud };
	static const uint8_t eight = 8, none = CPO_PARITY_NONE, one = CPO_STOPSIZE_1,
	    noflow = CPO_CONTROL_NO_FLOW, dtr = CPO_CONTROL_DTR_ON, rts = CPO_CONTROL_RTS_ON;
	int r = XPORT_ERR_OPEN, w;

	telnet_init(&x->tn, 0);
	if (telnet_request(&x->tn, TELNET_WILL, TELNET_OPT_COMPORT) != TELNET_OK ||
	    telnet_request(&x->tn, TELNET_WILL, TELNET_OPT_BINARY) != TELNET_OK ||
	    telnet_request(&x->tn, TELNET_DO, TELNET_OPT_BINARY) != TELNET_OK ||
	    telnet_request(&x->tn, TELNET_WILL, TELNET_OPT_SGA) != TELNET_OK ||
	    telnet_request(&x->tn, TELNET_DO, TELNET_OPT_SGA) != TELNET_OK)
		return XPORT_ERR_ARG;
	if ((r = flush_out(x)) != XPORT_OK)
		return r == XPORT_ERR_HANGUP ? XPORT_ERR_OPEN : r;
	if ((w = await_cond(x, comport_answered, &r)) == -2)
		return r;
	if (w == -1) {
		log_error("%s: no Telnet answer within %u ms: the device server's port is not in RFC "
		    "2217 mode (for a raw TCP port name the fixture tcp:...)", x->name, NEGOTIATE_MS);
		return XPORT_ERR_OPEN;
	}
	if (!telnet_on(&x->tn, 1, TELNET_OPT_COMPORT)) {
		log_error("%s: the device server refuses COM-PORT-OPTION (RFC 2217): set the port to "
		    "RFC 2217 mode, or name the fixture tcp:... and set the line on the server", x->name);
		return XPORT_ERR_OPEN;
	}
	if (telnet_comport(&x->tn, CPO_SET_BAUDRATE, v, 4) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_DATASIZE, &eight, 1) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_PARITY, &none, 1) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_STOPSIZE, &one, 1) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_CONTROL, &noflow, 1) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_CONTROL, &dtr, 1) != TELNET_OK ||
	    telnet_comport(&x->tn, CPO_SET_CONTROL, &rts, 1) != TELNET_OK)
		return XPORT_ERR_ARG;
	if ((r = flush_out(x)) != XPORT_OK)
		return r == XPORT_ERR_HANGUP ? XPORT_ERR_OPEN : r;
	if ((w = await_cond(x, line_acked, &r)) == -2)
		return r;
	/* Some servers acknowledge late or not at all; the boards' answers will tell. */
	if (w == -1)
		log_warn("%s: the device server did not acknowledge every line setting within %u ms; "
		    "going on", x->name, NEGOTIATE_MS);
	else if (x->tn.baud != baud)
		log_warn("%s: asked for %u baud, the device server reports %lu", x->name, baud,
		    (unsigned long)x->tn.baud);
	if (!telnet_on(&x->tn, 1, TELNET_OPT_BINARY) || !telnet_on(&x->tn, 0, TELNET_OPT_BINARY))
		log_warn("%s: the device server refused BINARY transmission; frames may be altered",
		    x->name);
	return XPORT_OK;
}

static int
rfc2217_open(const char *name, unsigned baud, struct xport **out)
{
	struct xport *x;
	int r;

	if (strnlen(name, CAP_XPORT_NAME) >= CAP_XPORT_NAME || baud == 0)
		return XPORT_ERR_ARG;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return XPORT_ERR_NOMEM;
	x->ops = &xport_rfc2217_ops;
	util_sanitize(name, strlen(name), x->name, sizeof(x->name));
	if ((r = xport_net_connect(name, &x->fd)) != XPORT_OK) {
		free(x);
		return r;
	}
	if ((r = negotiate(x, baud)) != XPORT_OK) {
		close(x->fd);
		free(x);
		return r;
	}
	log_debug("%s: RFC 2217 line set to %u baud 8N1, no flow control (%u notification(s) "
	    "ignored)", x->name, baud, (unsigned)x->tn.notifies);
	*out = x; /* owned by caller */
	return XPORT_OK;
}

static int
rfc2217_write(struct xport *x, const uint8_t *p, size_t n, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	uint8_t buf[1024];
	size_t used = 0, k;
	int r;

	while (n > 0) {
		k = telnet_escape(p, n, buf, sizeof(buf), &used);
		if ((r = xport_net_send(x->fd, x->name, buf, k, (unsigned)xport_net_left(deadline))) !=
		    XPORT_OK)
			return r;
		p += used;
		n -= used;
	}
	return XPORT_OK;
}

static int
rfc2217_read(struct xport *x, uint8_t *p, size_t cap, size_t *got, unsigned timeout_ms)
{
	uint64_t deadline = util_ms() + timeout_ms;
	size_t n;
	int r;

	for (;;) {
		n = 0;
		if ((r = pump(x, deadline, p, cap, &n)) != XPORT_OK)
			return r;
		if (n > 0) {
			*got = n;
			return XPORT_OK;
		}
		/* only Telnet commands came (a notification, an acknowledgement): wait on */
		if (xport_net_left(deadline) == 0)
			return XPORT_ERR_TIMEOUT;
	}
}

static void
rfc2217_close(struct xport *x)
{
	if (x == NULL)
		return;
	close(x->fd);
	free(x);
}

const struct xport_ops xport_rfc2217_ops = {
	.scheme = "rfc2217",
	.open = rfc2217_open,
	.write = rfc2217_write,
	.read = rfc2217_read,
	.close = rfc2217_close,
};
