/*
 * test-telnet.c: the Telnet / RFC 2217 stream state machine (firmware-stub/core/telnet.h), both
 * sides: data escaping, an IAC split across reads, option negotiation and refusal,
 * subnegotiations (the server's acknowledgements and notifications, the client's settings),
 * an overlong subnegotiation, and a client and a server talking to each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

#include "telnet.h"

#define IAC TELNET_IAC

/* Feeds in to t; returns the rc, data into out (*n). */
static int
feed(struct telnet *t, const uint8_t *in, size_t len, uint8_t *out, size_t *n)
{
	return telnet_input(t, in, len, out, len > 0 ? len : 1, n);
}

static void
test_escape(void **state)
{
	static const uint8_t in[] = { 0x01, 0xff, 0x02, 0xff, 0xff };
	static const uint8_t want[] = { 0x01, 0xff, 0xff, 0x02, 0xff, 0xff, 0xff, 0xff };
	uint8_t out[16];
	size_t used = 0, k;

	k = telnet_escape(in, sizeof(in), out, sizeof(out), &used);
	assert_int_equal(k, sizeof(want));
	assert_int_equal(used, sizeof(in));
	assert_memory_equal(out, want, sizeof(want));
	/* an 0xFF that does not fit whole is left for the next call, never split */
	k = telnet_escape(in, sizeof(in), out, 2, &used);
	assert_int_equal(k, 1);
	assert_int_equal(used, 1);
	k = telnet_escape(in, sizeof(in), out, 3, &used);
	assert_int_equal(k, 3);
	assert_int_equal(used, 2);
}

static void
test_unescape_and_split_iac(void **state)
{
	static const uint8_t a[] = { 'a', IAC }, b[] = { IAC, 'b', IAC }, c[] = { TELNET_NOP, 'c' };
	struct telnet t;
	uint8_t out[8];
	size_t n = 0;

	telnet_init(&t, 0);
	assert_int_equal(feed(&t, a, sizeof(a), out, &n), TELNET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'a');
	assert_int_equal(feed(&t, b, sizeof(b), out, &n), TELNET_OK); /* IAC | IAC: one 0xFF */
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0xff);
	assert_int_equal(out[1], 'b');
	assert_int_equal(feed(&t, c, sizeof(c), out, &n), TELNET_OK); /* IAC | NOP: ignored */
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'c');
	assert_int_equal(t.outlen, 0);
}

static void
test_refuse_unknown_options(void **state)
{
	/* WILL ECHO, DO TERMINAL-TYPE (24), split after WILL; then their refusals: no answer */
	static const uint8_t a[] = { IAC, TELNET_WILL }, b[] = { 1, IAC, TELNET_DO, 24 },
	    c[] = { IAC, TELNET_WONT, 1, IAC, TELNET_DONT, 24 };
	static const uint8_t want[] = { IAC, TELNET_DONT, 1, IAC, TELNET_WONT, 24 };
	struct telnet t;
	uint8_t out[8];
	size_t n = 0;

	telnet_init(&t, 0);
	assert_int_equal(feed(&t, a, sizeof(a), out, &n), TELNET_OK);
	assert_int_equal(feed(&t, b, sizeof(b), out, &n), TELNET_OK);
	assert_int_equal(n, 0);
	assert_int_equal(t.outlen, sizeof(want));
	assert_memory_equal(t.out, want, sizeof(want));
	assert_int_equal(t.refused, 2);
	t.outlen = 0;
	assert_int_equal(feed(&t, c, sizeof(c), out, &n), TELNET_OK);
	assert_int_equal(t.outlen, 0);
}

static void
test_negotiate_supported(void **state)
{
	static const uint8_t ask[] = { IAC, TELNET_WILL, TELNET_OPT_COMPORT };
	static const uint8_t yes[] = { IAC, TELNET_DO, TELNET_OPT_COMPORT, IAC, TELNET_WILL,
		TELNET_OPT_BINARY, IAC, TELNET_DO, TELNET_OPT_SGA };
	static const uint8_t want[] = { IAC, TELNET_DO, TELNET_OPT_BINARY, IAC, TELNET_WILL,
		TELNET_OPT_SGA };
	static const uint8_t no[] = { IAC, TELNET_DONT, TELNET_OPT_COMPORT };
	struct telnet t;
	uint8_t out[16];
	size_t n = 0;

	telnet_init(&t, 0);
	assert_int_equal(telnet_request(&t, TELNET_WILL, TELNET_OPT_COMPORT), TELNET_OK);
	assert_int_equal(telnet_request(&t, TELNET_WILL, TELNET_OPT_COMPORT), TELNET_OK);
	assert_int_equal(t.outlen, sizeof(ask)); /* asked once */
	assert_memory_equal(t.out, ask, sizeof(ask));
	assert_int_equal(telnet_request(&t, TELNET_WILL, 24), TELNET_ERR_ARG);
	t.outlen = 0;
	/* the answer to our request is not answered; the server's own offers are agreed to */
	assert_int_equal(feed(&t, yes, sizeof(yes), out, &n), TELNET_OK);
	assert_true(telnet_on(&t, 1, TELNET_OPT_COMPORT));
	assert_true(telnet_on(&t, 0, TELNET_OPT_BINARY));
	assert_true(telnet_on(&t, 1, TELNET_OPT_SGA));
	assert_int_equal(t.outlen, sizeof(want));
	assert_memory_equal(t.out, want, sizeof(want));
	/* a refusal of an option that was on turns it off, acknowledged once */
	t.outlen = 0;
	assert_int_equal(feed(&t, no, sizeof(no), out, &n), TELNET_OK);
	assert_false(telnet_on(&t, 1, TELNET_OPT_COMPORT));
	assert_int_equal(t.outlen, 3);
	assert_int_equal(t.out[1], TELNET_WONT);
	/* refused outright when asked */
	telnet_init(&t, 0);
	assert_int_equal(telnet_request(&t, TELNET_WILL, TELNET_OPT_COMPORT), TELNET_OK);
	t.outlen = 0;
	assert_int_equal(feed(&t, no, sizeof(no), out, &n), TELNET_OK);
	assert_false(telnet_on(&t, 1, TELNET_OPT_COMPORT));
	assert_int_equal(t.denied[2], 1);
	assert_int_equal(t.outlen, 0);
}

static void
test_client_subnegotiation(void **state)
{
	/* SET-BAUDRATE ack 115200 = 0x0001C200, split inside; NOTIFY-LINESTATE; an ack with 0xFF
	 * doubled inside (a baud of 0x0000FF00); PARITY ack; another option's SB (ignored) */
	static const uint8_t a[] = { 'x', IAC, TELNET_SB, 44, 101, 0x00, 0x01 };
	static const uint8_t b[] = { 0xc2, 0x00, IAC, TELNET_SE, 'y', IAC, TELNET_SB, 44, 106, 0x60,
		IAC, TELNET_SE };
	static const uint8_t c[] = { IAC, TELNET_SB, 44, 101, 0, 0, IAC, IAC, 0, IAC, TELNET_SE,
		IAC, TELNET_SB, 44, 103, 1, IAC, TELNET_SE, IAC, TELNET_SB, 24, 0, 'v', 't', IAC,
		TELNET_SE, 'z' };
	struct telnet t;
	uint8_t out[64];
	size_t n = 0;

	telnet_init(&t, 0);
	assert_int_equal(feed(&t, a, sizeof(a), out, &n), TELNET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(feed(&t, b, sizeof(b), out, &n), TELNET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'y');
	assert_int_equal(t.baud, 115200);
	assert_true(t.acks & (1u << CPO_SET_BAUDRATE));
	assert_int_equal(t.notifies, 1);
	assert_int_equal(feed(&t, c, sizeof(c), out, &n), TELNET_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'z');
	assert_int_equal(t.baud, 0xff00);
	assert_int_equal(t.parity, CPO_PARITY_NONE);
	assert_true(t.acks & (1u << CPO_SET_PARITY));
	assert_int_equal(t.ignored, 1);
	assert_int_equal(t.outlen, 0); /* a client answers no acknowledgement */
}

static void
test_overlong_subnegotiation(void **state)
{
	uint8_t in[TELNET_SB_MAX + 8], out[sizeof(in)];
	struct telnet t;
	size_t n = 0;

	memset(in, 'A', sizeof(in));
	in[0] = IAC;
	in[1] = TELNET_SB;
	in[2] = 44;
	telnet_init(&t, 0);
	assert_int_equal(feed(&t, in, sizeof(in), out, &n), TELNET_ERR_SB_LONG);
	assert_true(t.sblen <= TELNET_SB_MAX);
	/* exactly the maximum is fine */
	telnet_init(&t, 0);
	in[TELNET_SB_MAX + 2] = IAC;
	in[TELNET_SB_MAX + 3] = TELNET_SE;
	assert_int_equal(feed(&t, in, TELNET_SB_MAX + 4, out, &n), TELNET_OK);
	assert_int_equal(t.state, 0);
}

static void
test_bad_arguments(void **state)
{
	uint8_t in[TELNET_FEED_MAX + 1], out[sizeof(in)];
	struct telnet t;
	size_t n = 7;

	memset(in, 0, sizeof(in));
	telnet_init(&t, 0);
	assert_int_equal(telnet_input(&t, in, sizeof(in), out, sizeof(out), &n), TELNET_ERR_ARG);
	assert_int_equal(n, 0);
	assert_int_equal(telnet_input(&t, in, 4, out, 3, &n), TELNET_ERR_ARG);
	assert_int_equal(telnet_comport(&t, 1, in, 17), TELNET_ERR_ARG);
	/* a full reply queue is reported, not overrun */
	while (telnet_comport(&t, CPO_PURGE_DATA, in, 1) == TELNET_OK)
		;
	assert_true(t.outlen <= TELNET_OUT_MAX);
	assert_int_equal(telnet_comport(&t, CPO_PURGE_DATA, in, 1), TELNET_ERR_FULL);
}

/* A client and a server through the parser only: the station's settings are applied and
 * acknowledged, data crosses both ways with 0xFF intact. */
static void
test_client_server(void **state)
{
	static const uint8_t baud[4] = { 0, 0, 0x25, 0x80 }, eight = 8, noflow = 1;
	static const uint8_t data[] = { 0x00, 0xff, 0x10, 0xff, 0xff };
	struct telnet cl, sv;
	uint8_t out[TELNET_OUT_MAX], wire[TELNET_FEED_MAX];
	size_t n = 0, k, used;

	telnet_init(&cl, 0);
	telnet_init(&sv, 1);
	assert_int_equal(telnet_request(&cl, TELNET_WILL, TELNET_OPT_COMPORT), TELNET_OK);
	assert_int_equal(telnet_request(&cl, TELNET_DO, TELNET_OPT_BINARY), TELNET_OK);
	assert_int_equal(telnet_input(&sv, cl.out, cl.outlen, out, sizeof(out), &n), TELNET_OK);
	cl.outlen = 0;
	assert_int_equal(telnet_input(&cl, sv.out, sv.outlen, out, sizeof(out), &n), TELNET_OK);
	sv.outlen = 0;
	assert_true(telnet_on(&cl, 1, TELNET_OPT_COMPORT));
	assert_true(telnet_on(&cl, 0, TELNET_OPT_BINARY));
	assert_int_equal(cl.outlen, 0);
	assert_int_equal(telnet_comport(&cl, CPO_SET_BAUDRATE, baud, 4), TELNET_OK);
	assert_int_equal(telnet_comport(&cl, CPO_SET_DATASIZE, &eight, 1), TELNET_OK);
	assert_int_equal(telnet_comport(&cl, CPO_SET_CONTROL, &noflow, 1), TELNET_OK);
	assert_int_equal(telnet_input(&sv, cl.out, cl.outlen, out, sizeof(out), &n), TELNET_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sv.baud, 9600);
	cl.outlen = 0;
	assert_int_equal(telnet_input(&cl, sv.out, sv.outlen, out, sizeof(out), &n), TELNET_OK);
	sv.outlen = 0;
	assert_int_equal(cl.baud, 9600);
	assert_int_equal(cl.acks & 0x26u, 0x26u);
	k = telnet_escape(data, sizeof(data), wire, sizeof(wire), &used);
	assert_int_equal(used, sizeof(data));
	assert_int_equal(telnet_input(&sv, wire, k, out, sizeof(out), &n), TELNET_OK);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(out, data, sizeof(data));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_unescape_and_split_iac),
		cmocka_unit_test(test_refuse_unknown_options),
		cmocka_unit_test(test_negotiate_supported),
		cmocka_unit_test(test_client_subnegotiation),
		cmocka_unit_test(test_overlong_subnegotiation),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_client_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
