/*
 * fixture.c: one fixture's cycle in line mode; see line.h. A fixture is its adapter's physical
 * position. Its thread opens the adapter while it is listed and then, over and over: waits for a
 * board (a HELLO probe every LINE_PROBE_MS: harmless in any board state, and never sent while a
 * board is being worked on), provisions it, shows the result until the board is taken out
 * (LINE_GONE_PROBES silent probes in a row, or another chip answering), and is ready again.
 * A hang-up (adapter or USB board unplugged) closes the port; it is opened again when the
 * supervisor lists it again.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "line-int.h"
#include "link.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* What a probe (or two) found: the line hung up, nothing answered, a board answered, or two
 * probes in a row got different chip IDs (a board swapped that moment, or one that changes
 * its identity: not started). */
enum presence { GONE_LINE = -1, SILENT = 0, PRESENT = 1, UNSTABLE = 2 };

static void
nap(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Sets the tile's state (and clears what belongs to a finished board when it becomes idle). */
static void
show(struct fixture *fx, enum fx_state st)
{
	struct fx_view *v = &fx->ln->view.fx[fx->idx];

	pthread_mutex_lock(&fx->ln->view.lock);
	if (v->state != st && (st == FX_EMPTY || st == FX_NO_ADAPTER || st == FX_PAUSED)) {
		v->serial[0] = v->step[0] = v->code[0] = v->remedy[0] = '\0';
		v->pct = 0;
		v->started_ms = v->elapsed_ms = 0;
	}
	v->state = st;
	pthread_mutex_unlock(&fx->ln->view.lock);
}

/* Is a board answering? One HELLO, no retransmission. PRESENT fills chip (the board's ID). */
static enum presence
probe(struct link *l, struct xport *x, uint8_t *chip, size_t *chip_len)
{
	struct msg_hello h;
	const uint8_t *rsp;
	uint16_t seq = 0;
	size_t rl = 0;
	int r;

	(void)RAND_bytes((unsigned char *)&seq, sizeof(seq));
	link_init(l, x, seq);
	r = link_call(l, MSG_HELLO, NULL, 0, LINE_PROBE_MS, 0, &rsp, &rl);
	if (r == LINK_ERR_HANGUP || r == LINK_ERR_IO)
		return GONE_LINE;
	if (r == LINK_ERR_REFUSED)
		return PRESENT; /* it answered; the flow will say what is wrong with it */
	if (r != LINK_OK || msg_dec_hello(rsp, rl, &h) != 0) {
		*chip_len = 0;
		return r == LINK_OK ? PRESENT : SILENT;
	}
	memcpy(chip, h.chip_id, h.chip_id_len);
	*chip_len = h.chip_id_len;
	return PRESENT;
}

static int
stopping(struct fixture *fx)
{
	int s;

	pthread_mutex_lock(&fx->ln->view.lock);
	s = fx->ln->view.stopping || fx->ln->abandon;
	pthread_mutex_unlock(&fx->ln->view.lock);
	return s;
}

/* 1 when new boards may start here: listed, not paused, not stopping. */
static int
may_start(struct fixture *fx)
{
	int ok;

	pthread_mutex_lock(&fx->ln->view.lock);
	ok = !fx->ln->view.paused && !fx->ln->view.stopping && !fx->ln->abandon;
	if (ok)
		fx->ln->busy++;
	pthread_mutex_unlock(&fx->ln->view.lock);
	return ok;
}

/* Provisions (or verifies again) the board whose chip the probes saw: 1 when it passed, -1 when
 * it failed having spent something bounded (a serial, or a LOOKUP miss: E_LOCKED_UNKNOWN), 0
 * when it failed without. */
static int
work(struct fixture *fx, struct xport *x, const uint8_t *chip, size_t chip_len)
{
	struct fx_view *v = &fx->ln->view.fx[fx->idx];
	struct flow_result *res;
	char name[CAP_XPORT_NAME], port[CAP_XPORT_NAME];
	int recorded, pass;

	if ((res = calloc(1, sizeof(*res))) == NULL) {
		nap(LINE_PROBE_MS);
		return 0;
	}
	pthread_mutex_lock(&fx->ln->view.lock);
	memcpy(name, v->name, sizeof(name));
	memcpy(port, fx->port, sizeof(port));
	v->state = FX_WORKING;
	v->serial[0] = v->code[0] = v->remedy[0] = v->label[0] = '\0';
	snprintf(v->step, sizeof(v->step), "identify");
	v->pct = 0;
	v->started_ms = util_ms();
	pthread_mutex_unlock(&fx->ln->view.lock);
	recorded = flow_provision(&fx->ln->env, x, name, chip_len ? chip : NULL, chip_len, res) == 0;
	line_finished(fx->ln, fx, res, recorded);
	events_result(name, port, res, recorded);
	/* A locked board with no record costs a LOOKUP miss, which the signer bounds per session:
	 * it counts like a spent serial. */
	pass = res->pass ? 1 : res->void_serial || strcmp(res->code, "E_LOCKED_UNKNOWN") == 0 ?
	    -1 : 0;
	free(res);
	return pass;
}

/* A board counts as seated when two probes LINE_SETTLE_MS apart get the same chip ID. */
static enum presence
seated(struct link *l, struct xport *x, uint8_t *chip, size_t *chip_len)
{
	uint8_t again[MSG_MAX_CHIP_ID];
	size_t again_len = 0;
	enum presence p;

	if ((p = probe(l, x, chip, chip_len)) != PRESENT)
		return p;
	nap(LINE_SETTLE_MS);
	if ((p = probe(l, x, again, &again_len)) != PRESENT)
		return p;
	return again_len == *chip_len && memcmp(again, chip, again_len) == 0 ? PRESENT : UNSTABLE;
}

/* After a result: waits until the board is taken out (or the line stops). GONE_LINE when the
 * port hung up, SILENT when the fixture is empty, PRESENT when another chip answered (a board
 * swapped at once) unless hold: then only an empty fixture ends the wait. */
static enum presence
wait_removed(struct fixture *fx, struct link *l, struct xport *x, const uint8_t *chip,
    size_t chip_len, int hold)
{
	uint8_t now[MSG_MAX_CHIP_ID];
	size_t now_len = 0;
	int silent = 0;
	enum presence p;

	while (!stopping(fx)) {
		p = probe(l, x, now, &now_len);
		if (p == GONE_LINE)
			return GONE_LINE;
		if (p == SILENT && ++silent >= LINE_GONE_PROBES)
			return SILENT;
		if (p == PRESENT) {
			silent = 0;
			if (!hold && now_len != 0 && chip_len != 0 &&
			    (now_len != chip_len || memcmp(now, chip, chip_len) != 0))
				return PRESENT;
			nap(LINE_PROBE_MS);
		}
	}
	return SILENT;
}

/* How long a fixture must have been empty before it starts a board again, after streak boards
 * in a row failed there having spent their serials: none below LINE_FAIL_STREAK, then
 * LINE_HOLD_MS, doubling, at most LINE_HOLD_MAX_MS. */
static uint64_t
hold_ms(unsigned streak)
{
	uint64_t ms = LINE_HOLD_MS;
	unsigned k;

	if (streak < LINE_FAIL_STREAK)
		return 0;
	for (k = LINE_FAIL_STREAK; k < streak && ms < LINE_HOLD_MAX_MS; k++)
		ms *= 2;
	return ms < LINE_HOLD_MAX_MS ? ms : LINE_HOLD_MAX_MS;
}

/* A board seated too soon after a run of failures: the tile says how long to leave the fixture
 * empty, and the fixture waits for it to be taken out. */
static void
held(struct fixture *fx, unsigned streak, uint64_t need)
{
	struct fx_view *v = &fx->ln->view.fx[fx->idx];

	pthread_mutex_lock(&fx->ln->view.lock);
	v->state = FX_FAIL;
	snprintf(v->code, sizeof(v->code), "HELD");
	snprintf(v->remedy, sizeof(v->remedy), "%u failures in a row: leave the fixture empty %llu s",
	    streak, (unsigned long long)(need / 1000));
	pthread_mutex_unlock(&fx->ln->view.lock);
	events_emit("held", json_pack("{s:s,s:i,s:I}", "fixture", v->name, "failures", (int)streak,
	    "empty_ms", (json_int_t)need));
	events_text("%-10s HELD  %u failures in a row: leave the fixture empty for %llu s", v->name,
	    streak, (unsigned long long)(need / 1000));
}

/* The cycle on an open port until it hangs up or the line stops. After LINE_FAIL_STREAK boards
 * in a row failed on this fixture having spent their serials (a faulty fixture, or a hostile
 * board that changes its chip ID while it is out of the fixture for a moment), a board starts
 * only when the fixture was empty for hold_ms() before it was seated; a pass ends the streak. A
 * failed board stays shown until it is taken out; while a streak holds, another chip answering
 * does not count as a swap. */
static void
cycle(struct fixture *fx, struct xport *x, struct link *l)
{
	uint8_t chip[MSG_MAX_CHIP_ID];
	size_t chip_len = 0;
	uint64_t empty_since = util_ms(), need;
	unsigned streak = 0;
	enum presence p;
	int r;

	show(fx, FX_EMPTY);
	while (!stopping(fx)) {
		if ((p = seated(l, x, chip, &chip_len)) == GONE_LINE)
			return;
		if (p == SILENT) {
			if (empty_since == 0)
				empty_since = util_ms();
			show(fx, FX_EMPTY);
			continue; /* the probe itself waited LINE_PROBE_MS */
		}
		if (p == UNSTABLE)
			continue;
		if ((need = hold_ms(streak)) != 0 &&
		    (empty_since == 0 || util_ms() - empty_since < need)) {
			held(fx, streak, need);
			empty_since = 0;
			if ((p = wait_removed(fx, l, x, chip, chip_len, 1)) == GONE_LINE)
				return;
			empty_since = util_ms();
			continue;
		}
		if (!may_start(fx)) {
			if (!stopping(fx))
				show(fx, FX_PAUSED);
			nap(LINE_PROBE_MS);
			continue;
		}
		empty_since = 0;
		r = work(fx, x, chip, chip_len);
		streak = r > 0 ? 0 : r < 0 ? streak + 1 : streak;
		pthread_mutex_lock(&fx->ln->view.lock);
		fx->ln->busy--;
		pthread_mutex_unlock(&fx->ln->view.lock);
		p = wait_removed(fx, l, x, chip, chip_len, hold_ms(streak) != 0);
		if (p == GONE_LINE)
			return;
		if (p == SILENT)
			empty_since = util_ms();
		if (stopping(fx))
			return;
		events_emit("removed", json_pack("{s:s,s:b}", "fixture",
		    fx->ln->view.fx[fx->idx].name, "swapped", p == PRESENT));
		show(fx, FX_EMPTY);
	}
}

void *
fixture_main(void *arg)
{
	struct fixture *fx = arg;
	struct xport *x = NULL;
	struct link *l;
	char port[CAP_XPORT_NAME];
	unsigned fails = 0, w;
	int listed, bulk;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	while (!stopping(fx)) {
		pthread_mutex_lock(&fx->ln->view.lock);
		listed = fx->listed;
		bulk = fx->bulk;
		memcpy(port, fx->port, sizeof(port));
		pthread_mutex_unlock(&fx->ln->view.lock);
		if (!listed) {
			/* A USB board is its own device: gone means the fixture is empty. */
			show(fx, bulk ? FX_EMPTY : FX_NO_ADAPTER);
			nap(LINE_SCAN_MS / 2);
			continue;
		}
		if (xport_open(xport_ops_for(port), port, fx->ln->env.prof->baud, &x) != 0) {
			log_debug("fixture %s: cannot open %s yet", fx->ln->view.fx[fx->idx].name, port);
			/* A device server that is off or unreachable: tried again after 0.5, 1, 2,
			 * 4, then every 8 s, so that its log line does not fill the log every
			 * half second (each try says why); the tile shows no adapter meanwhile. */
			if (xport_is_net(port)) {
				show(fx, FX_NO_ADAPTER);
				for (w = 0; w < (LINE_SCAN_MS << (fails < 4 ? fails : 4)) && !stopping(fx);
				     w += LINE_SCAN_MS / 5)
					nap(LINE_SCAN_MS / 5);
				fails++;
			} else
				nap(LINE_SCAN_MS);
			continue;
		}
		fails = 0;
		cycle(fx, x, l);
		xport_close(x);
		x = NULL;
		/* Hung up: unplugged, or a USB board taken out; the next scan says which. */
		nap(LINE_SCAN_MS);
	}
	free(l);
	return NULL;
}
