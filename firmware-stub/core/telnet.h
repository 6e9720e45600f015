/*
 * telnet.h: the Telnet byte stream of RFC 2217 (Telnet Com Port Control) as a pure state machine
 * over buffers: no I/O, no heap, no stdio (portable C99, freestanding, like the rest of the core),
 * so that it can be fuzzed and shared: the station's client side (station/board/xport-rfc2217.c)
 * and the firmware stub's device-server side (firmware-stub/host/serve.c) both use it.
 *
 * What it does (RFC 854 commands, RFC 855 subnegotiation, RFC 1143-style option states):
 *  - splits the stream into data (IAC IAC is one 0xFF) and commands, across any split of the
 *    input into calls (an IAC at the end of one call and its command in the next);
 *  - negotiates BINARY (RFC 856), SUPPRESS-GO-AHEAD (RFC 858) and COM-PORT-OPTION (RFC 2217,
 *    option 44) in both directions and refuses every other option (WILL x -> DONT x, DO x ->
 *    WONT x); a refusal or an acknowledgement is never answered (no negotiation loops);
 *  - collects subnegotiations into a buffer of TELNET_SB_MAX bytes: a longer one is an error
 *    (TELNET_ERR_SB_LONG), never an overflow; subnegotiations of other options are ignored;
 *  - client side: records the server's acknowledgements (codes 100..112) and the values it
 *    reports, and counts and ignores NOTIFY-LINESTATE / NOTIFY-MODEMSTATE and flow-control
 *    suspend/resume; server side: applies SET-BAUDRATE, -DATASIZE, -PARITY, -STOPSIZE and
 *    -CONTROL (or answers a query with the current value) and acknowledges each (code + 100).
 * Replies go to t->out (escaped, ready to send); the caller sends and empties it (outlen = 0)
 * after each telnet_input call.
 */
#ifndef TELNET_H
#define TELNET_H

#include <stddef.h>
#include <stdint.h>

#define TELNET_IAC 255
#define TELNET_DONT 254
#define TELNET_DO 253
#define TELNET_WONT 252
#define TELNET_WILL 251
#define TELNET_SB 250
#define TELNET_GA 249
#define TELNET_NOP 241
#define TELNET_SE 240

#define TELNET_OPT_BINARY 0
#define TELNET_OPT_SGA 3
#define TELNET_OPT_COMPORT 44

/* RFC 2217 commands, client to server; the server answers with the code + 100. */
enum telnet_cpo {
	CPO_SIGNATURE = 0, CPO_SET_BAUDRATE = 1, CPO_SET_DATASIZE = 2, CPO_SET_PARITY = 3,
	CPO_SET_STOPSIZE = 4, CPO_SET_CONTROL = 5, CPO_NOTIFY_LINESTATE = 6,
	CPO_NOTIFY_MODEMSTATE = 7, CPO_FLOWCONTROL_SUSPEND = 8, CPO_FLOWCONTROL_RESUME = 9,
	CPO_SET_LINESTATE_MASK = 10, CPO_SET_MODEMSTATE_MASK = 11, CPO_PURGE_DATA = 12,
	CPO_SERVER = 100
};
#define CPO_PARITY_NONE 1
#define CPO_STOPSIZE_1 1
#define CPO_CONTROL_NO_FLOW 1 /* SET-CONTROL value: no outbound flow control */
#define CPO_CONTROL_DTR_ON 8
#define CPO_CONTROL_RTS_ON 11

#define TELNET_SB_MAX 64     /* one subnegotiation, option byte included (RFC 2217 needs ~10) */
#define TELNET_OUT_MAX 1024  /* queued replies; enough for TELNET_FEED_MAX bytes of input */
#define TELNET_FEED_MAX 256  /* input per telnet_input call, so that its replies always fit */

enum telnet_rc {
	TELNET_OK = 0,
	TELNET_ERR_SB_LONG = -1, /* a subnegotiation longer than TELNET_SB_MAX */
	TELNET_ERR_FULL = -2,    /* the reply queue is full (the caller did not empty it) */
	TELNET_ERR_ARG = -3      /* NULL, more than TELNET_FEED_MAX bytes, or data cap < n */
};

/* Option states (RFC 1143 without the queue bit). */
enum telnet_q { TQ_NO = 0, TQ_YES = 1, TQ_WANTYES = 2, TQ_WANTNO = 3 };

struct telnet {
	uint8_t server;          /* 1: device-server side (applies SET-*), 0: client (station) */
	uint8_t state;           /* parser state (telnet.c) */
	uint8_t cmd;             /* WILL/WONT/DO/DONT being read */
	uint8_t us[3], him[3];   /* enum telnet_q of BINARY, SGA, COMPORT: ours, the peer's */
	uint8_t denied[3];       /* the peer refused what we asked for (DONT/WONT to our WILL/DO) */
	uint8_t sb[TELNET_SB_MAX];
	size_t sblen;
	uint8_t out[TELNET_OUT_MAX]; /* escaped replies to send; the caller empties it */
	size_t outlen;
	/* the serial line as set (server) or as the server reported it (client) */
	uint32_t baud;
	uint8_t datasize, parity, stopsize, control;
	uint32_t acks;           /* client: bit c when the server's answer 100 + c (c <= 12) came */
	uint32_t notifies;       /* NOTIFY-LINESTATE/-MODEMSTATE seen and ignored */
	uint32_t refused;        /* options we refused */
	uint32_t ignored;        /* commands and subnegotiations ignored (other options, bad lengths) */
};

/* Starts t on a new connection (all options off; the line 115200 8N1 on the server side). */
void telnet_init(struct telnet *t, int server);

/*
 * Feeds n (at most TELNET_FEED_MAX) bytes received into t: data bytes are appended to
 * data[0..*dlen) (cap must be >= n: data never grows), replies are queued in t->out.
 * Returns TELNET_OK, TELNET_ERR_SB_LONG (the connection is then unusable: close it),
 * TELNET_ERR_FULL or TELNET_ERR_ARG. *dlen is set in every case (data before the error).
 */
int telnet_input(struct telnet *t, const uint8_t *in, size_t n, uint8_t *data, size_t cap,
    size_t *dlen);

/* Asks for an option: cmd TELNET_WILL (we will) or TELNET_DO (the peer should); queues the
 * request unless the option is already on or asked for. TELNET_OK, TELNET_ERR_FULL,
 * TELNET_ERR_ARG (another cmd, or an option we do not support). */
int telnet_request(struct telnet *t, uint8_t cmd, uint8_t opt);

/* Queues IAC SB COM-PORT-OPTION code value[0..n) IAC SE (value escaped), n <= 16.
 * TELNET_OK, TELNET_ERR_FULL, TELNET_ERR_ARG. */
int telnet_comport(struct telnet *t, uint8_t code, const uint8_t *value, size_t n);

/* 1 when opt is on, ours (local != 0) or the peer's; 0 otherwise (also for other options). */
int telnet_on(const struct telnet *t, int local, uint8_t opt);

/*
 * Escapes data for the stream: copies in[0..n) to out, doubling each 0xFF, as far as it fits in
 * cap. *used gets the input bytes taken, the return value the output bytes written.
 */
size_t telnet_escape(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *used);

#endif
