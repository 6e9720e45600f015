/*
 * conform.c: the run of the conformance tool (conform.h): opens the board's port, refuses a
 * board that is not a test board, runs the checks in order and reports each one; the timing
 * and line checks that close the run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "conform-int.h"
#include "util.h"

const char *const conform_checks[] = {
	"codec.crc", "codec.cobs", "codec.frames", "codec.invalid-frames", "codec.invalid-payloads",
	"hello.decode", "hello.model", "hello.firmware", "hello.stable",
	"vector.V-1", "vector.V-21", "vector.V-23",
	"vector.X-1", "vector.X-2", "vector.X-3", "vector.X-4", "vector.X-5", "vector.X-6",
	"vector.X-7", "vector.X-8", "vector.X-9", "vector.X-10", "vector.X-11",
	"vector.Y-1", "vector.Y-2", "vector.Y-3", "vector.Y-4", "vector.Y-5", "vector.Y-6",
	"vector.Y-7", "vector.Y-8", "vector.Y-9", "vector.Y-10", "vector.Y-11", "vector.Y-12",
	"vector.Y-13", "vector.Y-14", "vector.Y-15", "vector.Y-16", "vector.Y-22", "vector.Y-23",
	"vector.Y-24", "vector.Y-25", "vector.Y-26", "vector.Y-27", "vector.Y-28", "vector.Y-29",
	"vector.Y-30", "vector.Y-31", "vector.Y-32", "vector.Y-33", "vector.Y-34",
	"types.unknown", "resync.noise", "resync.truncated", "size.max-payload", "retransmit.hello",
	"retransmit.error",
	"state.BLANK", "cred.blank", "step.set-identity", "state.IDENTIFIED", "confirm.match",
	"confirm.mismatch", "cred.set", "cred.confirm", "cred.mismatch", "cred.replace", "cred.refuse",
	"cred.unsupported", "retransmit.gen-key", "vector.V-5", "refuse.gen-key", "step.gen-key", "step.read-csr",
	"csr.der", "csr.canonical", "csr.signature", "csr.key-type", "csr.subject", "csr.challenge",
	"csr.attributes", "state.KEYED", "cred.keyed", "vector.V-9", "vector.V-11", "refuse.read", "refuse.write",
	"step.write-chain", "refuse.install-digest", "refuse.install-chain", "refuse.install-key",
	"step.install", "step.read-chain", "prove.signature", "retransmit.prove", "state.CERTIFIED",
	"cred.certified", "step.lock", "state.LOCKED", "vector.V-19", "cred.locked",
	"timing.hello", "timing.set-identity", "timing.gen-key", "timing.read", "timing.write",
	"timing.install", "timing.prove", "timing.confirm", "timing.lock", "timing.set-credential",
	"timing.confirm-credential",
	"line.clean",
	NULL
};

int
conform_selected(const char *only, const char *name)
{
	const char *p, *e;
	size_t n;

	if (only == NULL || *only == '\0')
		return 1;
	for (p = only; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n != 0 && strncmp(name, p, n) == 0 && (name[n] == '\0' || name[n] == '.'))
			return 1;
	}
	return 0;
}

/* Every entry of only selects at least one check. */
static int
only_valid(const char *only, char *why, size_t cap)
{
	char tok[64];
	const char *p, *e;
	size_t n, i;

	if (only == NULL)
		return 0;
	for (p = only; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(tok)) {
			util_why(why, cap, "--only takes check names or groups separated by commas");
			return -1;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		for (i = 0; conform_checks[i] != NULL; i++)
			if (conform_selected(tok, conform_checks[i]))
				break;
		if (conform_checks[i] == NULL) {
			util_why(why, cap, "--only: no check is named '%s' (station conform --list)", tok);
			return -1;
		}
	}
	return 0;
}

void
cx_begin(struct cx *c)
{
	c->t0 = util_ms();
	c->lost_before = c->s.lost;
}

int
cx_sel(const struct cx *c, const char *name)
{
	return conform_selected(c->o->only, name);
}

static void
emit(struct cx *c, const char *name, int verdict, const char *expected, const char *seen)
{
	struct conform_result r;

	if (!cx_sel(c, name))
		return;
	/* after a hang-up every check would fail the same way: the one that saw it says so */
	if (verdict == CONFORM_FAIL && c->lost_before) {
		verdict = CONFORM_SKIP;
		expected = "-";
		seen = "the line was lost in an earlier check";
	}
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.verdict = verdict;
	snprintf(r.expected, sizeof(r.expected), "%s", expected);
	util_sanitize(seen, strlen(seen), r.seen, sizeof(r.seen));
	r.ms = (unsigned long)(util_ms() - c->t0);
	if (verdict == CONFORM_PASS)
		c->sum->pass++;
	else if (verdict == CONFORM_FAIL)
		c->sum->fail++;
	else
		c->sum->skip++;
	if (c->o->emit != NULL)
		c->o->emit(c->o->arg, &r);
	c->t0 = util_ms();
	c->lost_before = c->s.lost;
}

void
cx_report(struct cx *c, const char *name, int verdict, const char *expected, const char *seen_fmt,
    ...)
{
	char seen[sizeof(((struct conform_result *)0)->seen)];
	va_list ap;

	va_start(ap, seen_fmt);
	vsnprintf(seen, sizeof(seen), seen_fmt, ap);
	va_end(ap);
	emit(c, name, verdict, expected, seen);
}

void
cx_skip(struct cx *c, const char *name, const char *why)
{
	emit(c, name, CONFORM_SKIP, "-", why);
}

int
cx_hello(struct cx *c, struct msg_hello *h, char *why, size_t cap)
{
	struct msg_hello tmp;
	int r;

	if (h == NULL)
		h = &tmp;
	r = cs_call(&c->s, MSG_HELLO, NULL, 0);
	if (!cs_is_response(&c->s, r, MSG_HELLO)) {
		cs_describe(&c->s, r, why, cap);
		return -1;
	}
	if ((r = msg_dec_hello(c->s.rpay, c->s.rlen, h)) != PRC_OK) {
		util_why(why, cap, "a HELLO response the codec refuses: %s", proto_strerror(r));
		return -1;
	}
	c->state = h->state;
	return 0;
}

static const char *const step_names[CS_NTYPES] = { "", "hello", "set-identity", "gen-key", "read",
	"write", "install", "prove", "confirm", "lock", "set-credential", "confirm-credential" };

void
cx_timing(struct cx *c)
{
	char name[32], exp[96];
	const struct cs_timing *tm;
	unsigned t;

	for (t = 1; t < CS_NTYPES; t++) {
		snprintf(name, sizeof(name), "timing.%s", step_names[t]);
		cx_begin(c);
		tm = &c->s.tm[t];
		snprintf(exp, sizeof(exp), "every reply within the step timeout, %u ms (P-25)",
		    cs_timeout(&c->s, (uint8_t)t));
		if (tm->n == 0)
			cx_skip(c, name, "no request of this step was sent");
		else if (tm->late != 0)
			cx_report(c, name, CONFORM_FAIL, exp, "%lu of %lu requests not answered in time "
			    "(the slowest took %lu ms with retransmissions)", tm->late, tm->n,
			    tm->late_ms);
		else
			cx_report(c, name, CONFORM_PASS, exp, "%lu requests, slowest %lu ms", tm->n,
			    tm->max_ms);
	}
	cx_begin(c);
	if (c->s.bad != 0 || c->s.retransmits != 0)
		cx_report(c, "line.clean", CONFORM_FAIL, "nothing but well-formed replies on the line, "
		    "no retransmission needed (P-1, P-32)", "%lu bad blocks received, %lu "
		    "retransmissions needed", c->s.bad, c->s.retransmits);
	else
		cx_report(c, "line.clean", CONFORM_PASS, "nothing but well-formed replies on the line, "
		    "no retransmission needed (P-1, P-32)", "no bad block, no retransmission");
}

/* A board that is neither blank nor locked nor carrying a serial set by conform is a board
 * with a product identity: SET_IDENTITY would erase it. */
static int
test_board(const struct cx *c)
{
	const struct msg_hello *h = &c->hello;

	return h->state == ST_BLANK || h->state == ST_LOCKED ||
	    strncmp(h->serial, CONFORM_SERIAL_PREFIX, strlen(CONFORM_SERIAL_PREFIX)) == 0;
}

int
conform_run(const struct conform_opts *o, struct conform_summary *sum)
{
	static struct cx cx; /* large (buffers of the board's objects): one run at a time */
	struct cx *c = &cx;
	char why[CAP_REASON];
	uint16_t seq0 = 0;
	struct msg_hello h;
	int r, rc = 0;

	memset(sum, 0, sizeof(*sum));
	sum->state_before = sum->state_after = 255;
	if (o == NULL || o->port == NULL || o->prof == NULL)
		return CONFORM_ERR_ARG;
	if (only_valid(o->only, sum->why, sizeof(sum->why)) != 0)
		return CONFORM_ERR_ARG;
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->sum = sum;
	c->state = -1;
	c->s.to = &o->prof->to;
	c->key_type = o->prof->key_type != 0 ? o->prof->key_type : KEY_EC_P256;
	frame_rx_init(&c->s.rx);
	(void)RAND_bytes((unsigned char *)&seq0, sizeof(seq0));
	/* away from the vectors' own seqs (1..11, 0xffff), so none is taken for a retransmission */
	c->s.seq = (uint16_t)(0x1000u + seq0 % 0xd000u);

	cx_begin(c);
	cx_codec(c);
	if ((r = xport_open(xport_ops_for(o->port), o->port, o->prof->baud, &c->s.x)) != XPORT_OK) {
		util_why(sum->why, sizeof(sum->why), "%s: %s", o->port, xport_strerror(r));
		sum->no_board = 1;
		return CONFORM_ERR_PORT;
	}
	if (cx_identify(c) != 0) {
		/* bytes that were not a reply are a board that answers badly, not no board */
		sum->no_board = c->s.bad == 0;
		goto out;
	}
	sum->state_before = c->hello.state;
	if (!test_board(c) && !o->erase_identity) {
		util_sanitize(c->hello.serial, strlen(c->hello.serial), why, sizeof(why));
		util_why(sum->why, sizeof(sum->why), "the board is %s with serial '%s', not set by "
		    "conform: it may be a product; nothing was written (--erase-identity on a test "
		    "board)", proto_statename(c->hello.state), why);
		sum->refused = 1;
		rc = CONFORM_ERR_REFUSED;
		goto out;
	}
	if (cx_ca_init(c, why, sizeof(why)) != 0) {
		util_why(sum->why, sizeof(sum->why), "the run's test CA: %s", why);
		rc = CONFORM_ERR_INTERNAL;
		goto out;
	}
	cx_proto(c);
	cx_flow(c);
	cx_timing(c);
	if (!c->s.lost && cx_hello(c, &h, why, sizeof(why)) == 0)
		sum->state_after = h.state;
out:
	xport_close(c->s.x);
	c->s.x = NULL;
	EVP_PKEY_free(c->csr_pub);
	EVP_PKEY_free(c->ca_key);
	c->csr_pub = c->ca_key = NULL;
	util_wipe(c->password, sizeof(c->password));
	return rc;
}
