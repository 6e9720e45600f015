/*
 * telnet.c: the Telnet / RFC 2217 stream state machine; see telnet.h.
 * Portable C99, freestanding: no libc.
 */
#include "telnet.h"

#include "cursor.h"

enum { S_DATA, S_IAC, S_OPT, S_SB_OPT, S_SB, S_SB_IAC };

static const uint8_t sig[] = "RFC2217 board"; /* the server's SIGNATURE answer */

/* Index of a supported option in us/him/denied, -1 otherwise. */
static int
opt_index(uint8_t opt)
{
	switch (opt) {
	case TELNET_OPT_BINARY: return 0;
	case TELNET_OPT_SGA: return 1;
	case TELNET_OPT_COMPORT: return 2;
	default: return -1;
	}
}

void
telnet_init(struct telnet *t, int server)
{
	core_memset(t, 0, sizeof(*t));
	t->server = server ? 1 : 0;
	t->state = S_DATA;
	if (server) {
		t->baud = 115200;
		t->datasize = 8;
		t->parity = CPO_PARITY_NONE;
		t->stopsize = CPO_STOPSIZE_1;
		t->control = CPO_CONTROL_NO_FLOW;
	}
}

static int
put(struct telnet *t, const uint8_t *p, size_t n)
{
	if (n > sizeof(t->out) - t->outlen)
		return TELNET_ERR_FULL;
	core_memcpy(t->out + t->outlen, p, n);
	t->outlen += n;
	return TELNET_OK;
}

static int
put_cmd(struct telnet *t, uint8_t cmd, uint8_t opt)
{
	uint8_t b[3];

	b[0] = TELNET_IAC;
	b[1] = cmd;
	b[2] = opt;
	return put(t, b, 3);
}

size_t
telnet_escape(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *used)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == TELNET_IAC) {
			if (cap - k < 2)
				break;
			out[k++] = TELNET_IAC;
		} else if (cap - k < 1) {
			break;
		}
		out[k++] = in[i];
	}
	if (used != 0)
		*used = i;
	return k;
}

int
telnet_comport(struct telnet *t, uint8_t code, const uint8_t *value, size_t n)
{
	uint8_t b[3 + 2 + 2 * 16 + 2];
	size_t k = 0, used = 0;

	if (t == 0 || n > 16 || (n > 0 && value == 0))
		return TELNET_ERR_ARG;
	b[k++] = TELNET_IAC;
	b[k++] = TELNET_SB;
	b[k++] = TELNET_OPT_COMPORT;
	k += telnet_escape(&code, 1, b + k, sizeof(b) - k, &used);
	k += telnet_escape(value, n, b + k, sizeof(b) - k, &used);
	b[k++] = TELNET_IAC;
	b[k++] = TELNET_SE;
	return put(t, b, k);
}

int
telnet_request(struct telnet *t, uint8_t cmd, uint8_t opt)
{
	int i = opt_index(opt);
	uint8_t *q;

	if (t == 0 || i < 0 || (cmd != TELNET_WILL && cmd != TELNET_DO))
		return TELNET_ERR_ARG;
	q = cmd == TELNET_WILL ? &t->us[i] : &t->him[i];
	if (*q == TQ_YES || *q == TQ_WANTYES)
		return TELNET_OK;
	*q = TQ_WANTYES;
	return put_cmd(t, cmd, opt);
}

int
telnet_on(const struct telnet *t, int local, uint8_t opt)
{
	int i = opt_index(opt);

	if (t == 0 || i < 0)
		return 0;
	return (local ? t->us[i] : t->him[i]) == TQ_YES;
}

/*
 * One WILL/WONT/DO/DONT from the peer (RFC 1143): WILL/WONT are about the peer's side (him),
 * DO/DONT about ours (us). Agreeing or refusing answers a request; an answer to our own request
 * (or a refusal of something off) is never answered, so two ends cannot loop.
 */
static int
negotiate(struct telnet *t, uint8_t cmd, uint8_t opt)
{
	int i = opt_index(opt), peer = cmd == TELNET_WILL || cmd == TELNET_WONT;
	int yes = cmd == TELNET_WILL || cmd == TELNET_DO;
	uint8_t agree = peer ? TELNET_DO : TELNET_WILL, refuse = peer ? TELNET_DONT : TELNET_WONT;
	uint8_t *q;

	if (i < 0) {
		/* not ours to support: refuse any offer or request, ignore the peer's refusals */
		if (!yes)
			return TELNET_OK;
		t->refused++;
		return put_cmd(t, refuse, opt);
	}
	q = peer ? &t->him[i] : &t->us[i];
	switch (*q) {
	case TQ_NO:
		if (!yes)
			return TELNET_OK;
		*q = TQ_YES;
		return put_cmd(t, agree, opt);
	case TQ_YES:
		if (yes)
			return TELNET_OK;
		*q = TQ_NO;
		return put_cmd(t, refuse, opt);
	case TQ_WANTYES:
		/* the answer to our request */
		*q = yes ? TQ_YES : TQ_NO;
		if (!yes)
			t->denied[i] = 1;
		return TELNET_OK;
	default: /* TQ_WANTNO: we never ask to turn an option off; treat as the answer */
		*q = TQ_NO;
		return TELNET_OK;
	}
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Server side: one RFC 2217 command from the client, answered with code + 100. */
static int
comport_server(struct telnet *t, uint8_t code, const uint8_t *v, size_t n)
{
	uint8_t b[4], *field = 0;

	switch (code) {
	case CPO_SIGNATURE:
		/* a client's own signature is information only; an empty one asks for ours */
		if (n > 0)
			return TELNET_OK;
		return telnet_comport(t, CPO_SERVER + CPO_SIGNATURE, sig, sizeof(sig) - 1);
	case CPO_SET_BAUDRATE:
		if (n != 4)
			break;
		if (be32(v) != 0)
			t->baud = be32(v);
		b[0] = (uint8_t)(t->baud >> 24);
		b[1] = (uint8_t)(t->baud >> 16);
		b[2] = (uint8_t)(t->baud >> 8);
		b[3] = (uint8_t)t->baud;
		return telnet_comport(t, CPO_SERVER + code, b, 4);
	case CPO_SET_DATASIZE: field = &t->datasize; break;
	case CPO_SET_PARITY: field = &t->parity; break;
	case CPO_SET_STOPSIZE: field = &t->stopsize; break;
	case CPO_SET_CONTROL:
		if (n != 1)
			break;
		/* 1..3 (outbound flow control) are kept; queries and DTR/RTS/BREAK are echoed */
		if (v[0] >= 1 && v[0] <= 3)
			t->control = v[0];
		b[0] = v[0] == 0 ? t->control : v[0];
		return telnet_comport(t, CPO_SERVER + code, b, 1);
	case CPO_SET_LINESTATE_MASK:
	case CPO_SET_MODEMSTATE_MASK:
	case CPO_PURGE_DATA:
		if (n != 1)
			break;
		return telnet_comport(t, (uint8_t)(CPO_SERVER + code), v, 1);
	default:
		break; /* NOTIFY-* and FLOWCONTROL-* from a client mean nothing to a server */
	}
	if (field == 0 || n != 1) {
		t->ignored++;
		return TELNET_OK;
	}
	if (v[0] != 0)
		*field = v[0];
	b[0] = *field;
	return telnet_comport(t, (uint8_t)(CPO_SERVER + code), b, 1);
}

/* Client side: the server's answers and notifications. */
static int
comport_client(struct telnet *t, uint8_t code, const uint8_t *v, size_t n)
{
	if (code < CPO_SERVER || code > CPO_SERVER + CPO_PURGE_DATA) {
		t->ignored++;
		return TELNET_OK;
	}
	code = (uint8_t)(code - CPO_SERVER);
	switch (code) {
	case CPO_NOTIFY_LINESTATE:
	case CPO_NOTIFY_MODEMSTATE:
	case CPO_FLOWCONTROL_SUSPEND:
	case CPO_FLOWCONTROL_RESUME:
		/* the line's state is not ours to act on: a board only answers */
		t->notifies++;
		return TELNET_OK;
	case CPO_SET_BAUDRATE:
		if (n != 4)
			break;
		t->baud = be32(v);
		t->acks |= 1u << code;
		return TELNET_OK;
	case CPO_SET_DATASIZE:
	case CPO_SET_PARITY:
	case CPO_SET_STOPSIZE:
	case CPO_SET_CONTROL:
		if (n != 1)
			break;
		if (code == CPO_SET_DATASIZE)
			t->datasize = v[0];
		else if (code == CPO_SET_PARITY)
			t->parity = v[0];
		else if (code == CPO_SET_STOPSIZE)
			t->stopsize = v[0];
		else if (v[0] >= 1 && v[0] <= 3)
			t->control = v[0];
		t->acks |= 1u << code;
		return TELNET_OK;
	default:
		t->acks |= 1u << code;
		return TELNET_OK;
	}
	t->ignored++;
	return TELNET_OK;
}

/* A complete subnegotiation in t->sb[0..sblen): option byte, then its content. */
static int
subneg(struct telnet *t)
{
	if (t->sblen < 2 || t->sb[0] != TELNET_OPT_COMPORT) {
		t->ignored++;
		return TELNET_OK;
	}
	return t->server ? comport_server(t, t->sb[1], t->sb + 2, t->sblen - 2) :
	    comport_client(t, t->sb[1], t->sb + 2, t->sblen - 2);
}

static int
sb_add(struct telnet *t, uint8_t c)
{
	if (t->sblen >= sizeof(t->sb))
		return TELNET_ERR_SB_LONG;
	t->sb[t->sblen++] = c;
	return TELNET_OK;
}

/* The byte after IAC (in the data stream, or ending a subnegotiation wrongly). */
static int
after_iac(struct telnet *t, uint8_t c, uint8_t *data, size_t *k)
{
	switch (c) {
	case TELNET_IAC:
		data[(*k)++] = c;
		t->state = S_DATA;
		return TELNET_OK;
	case TELNET_WILL:
	case TELNET_WONT:
	case TELNET_DO:
	case TELNET_DONT:
		t->cmd = c;
		t->state = S_OPT;
		return TELNET_OK;
	case TELNET_SB:
		t->sblen = 0;
		t->state = S_SB;
		return TELNET_OK;
	default:
		/* NOP, GA, DM, BRK, IP, AO, AYT, EC, EL and a stray SE: nothing for a byte pipe */
		t->ignored++;
		t->state = S_DATA;
		return TELNET_OK;
	}
}

int
telnet_input(struct telnet *t, const uint8_t *in, size_t n, uint8_t *data, size_t cap,
    size_t *dlen)
{
	size_t i, k = 0;
	uint8_t c;
	int r = TELNET_OK;

	if (dlen != 0)
		*dlen = 0;
	if (t == 0 || (in == 0 && n > 0) || data == 0 || dlen == 0 || n > TELNET_FEED_MAX || cap < n)
		return TELNET_ERR_ARG;
	for (i = 0; i < n && r == TELNET_OK; i++) {
		c = in[i];
		switch (t->state) {
		case S_DATA:
			if (c == TELNET_IAC)
				t->state = S_IAC;
			else
				data[k++] = c;
			break;
		case S_IAC:
			r = after_iac(t, c, data, &k);
			break;
		case S_OPT:
			t->state = S_DATA;
			r = negotiate(t, t->cmd, c);
			break;
		case S_SB:
			if (c == TELNET_IAC)
				t->state = S_SB_IAC;
			else
				r = sb_add(t, c);
			break;
		case S_SB_IAC:
			if (c == TELNET_IAC) {
				t->state = S_SB;
				r = sb_add(t, c);
			} else if (c == TELNET_SE) {
				t->state = S_DATA;
				r = subneg(t);
			} else {
				/* RFC 855 leaves IAC <other> inside SB undefined: the subnegotiation is
				 * dropped and the byte read as a command after IAC */
				t->ignored++;
				t->sblen = 0;
				r = after_iac(t, c, data, &k);
			}
			break;
		default:
			t->state = S_DATA;
			break;
		}
	}
	*dlen = k;
	return r;
}
