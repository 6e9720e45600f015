/*
 * line.c: the line's supervisor; see line.h. It lists the ports every LINE_SCAN_MS and starts
 * one thread per fixture the first time it is seen (fixture.c), counts what the fixtures
 * finish, keeps the header (quota, checkpoint, HSM) current, draws the console or leaves the
 * text lines to the fixtures, and handles pause, resume and the two-stage stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "console.h"
#include "cpsched.h"
#include "events.h"
#include "line-int.h"
#include "log.h"
#include "remedy.h"
#include "sigproto.h"
#include "util.h"

#define TICK_MS 100u
#define QUOTA_EVERY_MS 5000u

/* Progress from a fixture's flow: its tile and, in JSON mode, a step event. */
static void
on_step(void *arg, const char *fixture, const char *step, unsigned pct)
{
	struct line *ln = arg;
	unsigned i;

	pthread_mutex_lock(&ln->view.lock);
	for (i = 0; i < ln->view.n; i++) {
		if (strcmp(ln->view.fx[i].name, fixture) == 0) {
			snprintf(ln->view.fx[i].step, sizeof(ln->view.fx[i].step), "%s", step);
			ln->view.fx[i].pct = pct;
			break;
		}
	}
	pthread_mutex_unlock(&ln->view.lock);
	events_emit("step", json_pack("{s:s,s:s,s:i}", "fixture", fixture, "step", step,
	    "progress", (int)pct));
}

void
line_finished(struct line *ln, struct fixture *fx, const struct flow_result *r, int recorded)
{
	struct fx_view *v = &ln->view.fx[fx->idx];

	pthread_mutex_lock(&ln->view.lock);
	v->state = r->pass ? (r->again ? FX_DONE : FX_PASS) : FX_FAIL;
	snprintf(v->serial, sizeof(v->serial), "%s", r->serial);
	snprintf(v->step, sizeof(v->step), "%s", r->step);
	snprintf(v->code, sizeof(v->code), "%s", r->code);
	snprintf(v->remedy, sizeof(v->remedy), "%s", r->pass ? "" : remedy_for(r->code));
	snprintf(v->label, sizeof(v->label), "%s", r->label_void ? VIEW_LABEL_VOID :
	    r->label_state == SIGL_KEPT ? VIEW_LABEL_KEPT : "");
	v->pct = r->pass ? 100 : v->pct;
	v->elapsed_ms = r->elapsed_ms;
	v->boards++;
	if (r->pass && r->again)
		ln->view.ndone++;
	else if (r->pass)
		ln->view.npass++;
	else
		ln->view.nfail++;
	if (!recorded || strcmp(r->code, "E_HSM") == 0 || strcmp(r->code, "E_SIGNER") == 0)
		snprintf(ln->view.hsm, sizeof(ln->view.hsm), "%s", recorded ? "FAULT" : "NOT RECORDING");
	/* A station problem or a finished lot: no more boards until an engineer has looked. */
	if (!r->pass && (remedy_stops_line(r->code) || !recorded) && !ln->view.paused) {
		ln->view.paused = 1;
		snprintf(ln->view.message, sizeof(ln->view.message), "PAUSED after %s on %s: %s; "
		    "press r to resume when fixed", r->code[0] ? r->code : "a failure", v->name,
		    remedy_for(r->code));
	}
	pthread_mutex_unlock(&ln->view.lock);
	cpsched_poke(ln->sched); /* entries were added: a checkpoint may be due */
}

static int
wanted(const struct line *ln, const struct xport_info *p)
{
	size_t j;

	if (ln->cfg->nports == 0)
		return p->is_usb;
	for (j = 0; j < ln->cfg->nports; j++)
		if (strcmp(ln->cfg->ports[j], p->name) == 0 ||
		    (p->usb_path[0] && strcmp(ln->cfg->ports[j], p->usb_path) == 0))
			return 1;
	return 0;
}

/* The fixture named name (created, with its thread, the first time); NULL when full. */
static struct fixture *
fixture_for(struct line *ln, const char *name)
{
	struct fixture *fx;
	unsigned i;

	for (i = 0; i < ln->view.n; i++)
		if (strcmp(ln->view.fx[i].name, name) == 0)
			return &ln->fx[i];
	if (ln->view.n >= CAP_FIXTURES)
		return NULL;
	fx = &ln->fx[ln->view.n];
	fx->ln = ln;
	fx->idx = ln->view.n;
	snprintf(ln->view.fx[fx->idx].name, sizeof(ln->view.fx[fx->idx].name), "%s", name);
	ln->view.n++;
	return fx;
}

/* Port p is there: its fixture (made the first time) is listed and its thread started. */
static void
present(struct line *ln, int *seen, const struct xport_info *p)
{
	struct fixture *fx;
	int net = xport_is_net(p->name);

	pthread_mutex_lock(&ln->view.lock);
	/* Technicians know slots by their physical USB position, not by ttyUSB numbers. */
	fx = fixture_for(ln, p->usb_path[0] ? p->usb_path : p->name);
	if (fx != NULL) {
		seen[fx->idx] = 1;
		if (!fx->listed)
			events_text("%-10s %s on %s", ln->view.fx[fx->idx].name, p->is_bulk ?
			    "USB board connected" : net ? "device server port named" :
			    "adapter connected", p->name);
		if (!fx->listed)
			events_emit("fixture", json_pack("{s:s,s:s,s:b,s:b}", "fixture",
			    ln->view.fx[fx->idx].name, "port", p->name, "present", 1, "usb_bulk",
			    p->is_bulk));
		snprintf(fx->port, sizeof(fx->port), "%s", p->name);
		snprintf(ln->view.fx[fx->idx].port, sizeof(ln->view.fx[fx->idx].port), "%s", p->name);
		if (!fx->listed && ln->view.fx[fx->idx].state == FX_NO_ADAPTER)
			ln->view.fx[fx->idx].state = FX_EMPTY; /* until its thread knows more */
		fx->listed = 1;
		fx->bulk = p->is_bulk;
	}
	pthread_mutex_unlock(&ln->view.lock);
	if (fx != NULL && !fx->started) {
		fx->started = pthread_create(&fx->tid, NULL, fixture_main, fx) == 0;
		if (!fx->started)
			log_error("fixture %s: cannot start its thread", ln->view.fx[fx->idx].name);
	}
}

/* Lists the ports and tells each fixture whether its adapter (or USB board) is there. A network
 * fixture (tcp:, rfc2217:) is not discovered: named, it is always there (its thread connects
 * until the device server answers). */
static void
scan(struct line *ln, struct xport_info *all)
{
	int seen[CAP_FIXTURES] = { 0 };
	struct xport_info net;
	size_t total = 0, i;
	unsigned k;

	if (xport_list(all, CAP_XPORT_LIST, &total) != 0)
		return;
	if (total > CAP_XPORT_LIST)
		total = CAP_XPORT_LIST;
	for (i = 0; i < total; i++)
		if (wanted(ln, &all[i]))
			present(ln, seen, &all[i]);
	for (i = 0; i < ln->cfg->nports; i++) {
		if (!xport_is_net(ln->cfg->ports[i]))
			continue;
		memset(&net, 0, sizeof(net));
		snprintf(net.name, sizeof(net.name), "%s", ln->cfg->ports[i]);
		net.usb_vid = net.usb_pid = -1;
		present(ln, seen, &net);
	}
	pthread_mutex_lock(&ln->view.lock);
	for (k = 0; k < ln->view.n; k++) {
		if (seen[k] || !ln->fx[k].listed)
			continue;
		ln->fx[k].listed = 0;
		events_text("%-10s %s", ln->view.fx[k].name, ln->fx[k].bulk ? "USB board gone" :
		    "adapter unplugged");
		events_emit("fixture", json_pack("{s:s,s:s,s:b,s:b}", "fixture", ln->view.fx[k].name,
		    "port", ln->view.fx[k].port, "present", 0, "usb_bulk", ln->fx[k].bulk));
	}
	pthread_mutex_unlock(&ln->view.lock);
}

static void
on_checkpoint(void *arg, const char *trigger, int ok, uint64_t size, const char *text)
{
	struct line *ln = arg;
	struct tm tm;
	time_t t = time(NULL);

	if (!ok) {
		events_text("checkpoint not signed (%s): %s", trigger, text);
		events_checkpoint(trigger, 0, 0, text);
		return;
	}
	pthread_mutex_lock(&ln->view.lock);
	localtime_r(&t, &tm);
	strftime(ln->view.last_checkpoint, sizeof(ln->view.last_checkpoint), "%H:%M:%S", &tm);
	pthread_mutex_unlock(&ln->view.lock);
	events_checkpoint(trigger, 1, size, text);
}

static void
refresh_quota(struct line *ln)
{
	struct sigp_lot lot;
	struct signer_err se;

	if (signer_lot(ln->env.signer, SIGOP_LOT_STATUS, ln->env.prof->lot, &lot, &se) != 0) {
		pthread_mutex_lock(&ln->view.lock);
		snprintf(ln->view.hsm, sizeof(ln->view.hsm), "%s", se.status == SIGST_INTERNAL ?
		    "SIGNER LOST" : "FAULT");
		if (se.status == SIGST_INTERNAL && !ln->signer_lost) {
			/* Nothing can be recorded any more: no board may start. */
			ln->signer_lost = 1;
			ln->view.paused = 1;
			snprintf(ln->view.message, sizeof(ln->view.message), "STOPPED RECORDING: the "
			    "signer stopped answering; press q and call the engineer");
			events_text("the signer stopped answering: %s; no board starts; stop the line "
			    "and call the engineer", se.text);
			events_emit("signer_lost", json_pack("{s:s}", "reason", se.text));
		}
		pthread_mutex_unlock(&ln->view.lock);
		return;
	}
	pthread_mutex_lock(&ln->view.lock);
	ln->view.quota = lot.quota;
	ln->view.quota_used = lot.used;
	pthread_mutex_unlock(&ln->view.lock);
}

/* Waits up to ms for SIGINT/SIGTERM (blocked in every thread); the signal number or 0. */
static int
signal_within(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	sigset_t set;
	int s;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	s = sigtimedwait(&set, NULL, &ts);
	return s > 0 ? s : 0;
}

static void
set_message(struct line *ln, const char *text)
{
	pthread_mutex_lock(&ln->view.lock);
	snprintf(ln->view.message, sizeof(ln->view.message), "%s", text);
	pthread_mutex_unlock(&ln->view.lock);
}

/* Quit key or signal: the first stops taking boards, the second abandons the ones in flight. */
static void
request_stop(struct line *ln, const char *why)
{
	char msg[CAP_REASON];
	unsigned busy;
	int first;

	pthread_mutex_lock(&ln->view.lock);
	first = !ln->view.stopping;
	ln->view.stopping = 1;
	busy = ln->busy;
	if (!first)
		ln->abandon = 1;
	pthread_mutex_unlock(&ln->view.lock);
	if (first) {
		snprintf(msg, sizeof(msg), "STOPPING (%s): %u board(s) in progress finish; no new "
		    "boards. Again to abandon them.", why, busy);
		set_message(ln, msg);
		events_text("stopping (%s): %u board(s) in progress finish first; %s again abandons "
		    "them", why, busy, why);
		events_emit("stopping", json_pack("{s:s,s:i}", "reason", why, "in_progress", (int)busy));
	}
}

/* The main loop: scans, keys, signals, header; returns when stopped (or abandoned). */
static void
supervise(struct line *ln, struct xport_info *all)
{
	struct line_view *snap = NULL;
	uint64_t next_scan = 0, next_quota = 0, now;
	unsigned long finished = 0, seen;
	int sig, key, done = 0;

	if (ln->cfg->console != NULL && (snap = calloc(1, sizeof(*snap))) == NULL)
		return;
	while (!done) {
		now = util_ms();
		if (now >= next_scan && !ln->view.stopping) {
			scan(ln, all);
			next_scan = now + LINE_SCAN_MS;
		}
		pthread_mutex_lock(&ln->view.lock);
		seen = ln->view.npass + ln->view.nfail + ln->view.ndone;
		pthread_mutex_unlock(&ln->view.lock);
		if (now >= next_quota || seen != finished) {
			finished = seen;
			refresh_quota(ln);
			next_quota = now + QUOTA_EVERY_MS;
		}
		if (ln->cfg->console != NULL) {
			view_snapshot(snap, &ln->view);
			console_draw(ln->cfg->console, snap, util_ms());
			key = console_key(ln->cfg->console, TICK_MS);
			sig = signal_within(0);
		} else {
			key = CONSOLE_NONE;
			sig = signal_within(TICK_MS);
		}
		if (sig != 0)
			request_stop(ln, sig == SIGINT ? "SIGINT" : "SIGTERM");
		if (key == CONSOLE_QUIT)
			request_stop(ln, "quit key");
		pthread_mutex_lock(&ln->view.lock);
		if (key == CONSOLE_PAUSE && !ln->view.paused) {
			ln->view.paused = 1;
			snprintf(ln->view.message, sizeof(ln->view.message), "PAUSED: boards in progress "
			    "finish; no new boards start. Press r to resume.");
		} else if (key == CONSOLE_RESUME && ln->view.paused && !ln->signer_lost) {
			ln->view.paused = 0;
			ln->view.message[0] = '\0';
			snprintf(ln->view.hsm, sizeof(ln->view.hsm), "ok");
		}
		done = ln->abandon || (ln->view.stopping && ln->busy == 0);
		pthread_mutex_unlock(&ln->view.lock);
	}
	if (snap != NULL) {
		view_snapshot(snap, &ln->view);
		console_draw(ln->cfg->console, snap, util_ms());
	}
	free(snap);
}

/* station.stop, a stop checkpoint, and the summary. */
static void
finish(struct line *ln, uint64_t t0, int abandoned)
{
	struct sigp_req stop;
	struct signer_err se;
	char d[32];

	memset(&stop, 0, sizeof(stop));
	stop.op = SIGOP_STOP;
	stop.npass = (uint32_t)(ln->view.npass + ln->view.ndone);
	stop.nfail = (uint32_t)ln->view.nfail;
	if (signer_report(ln->env.signer, &stop, &se) != 0)
		events_text("warning: the stop was not recorded: %s", se.text);
	if (!abandoned)
		(void)cpsched_now(ln->env.signer, "stop", on_checkpoint, ln);
	refresh_quota(ln);
	events_emit("summary", json_pack("{s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:b}", "pass",
	    (json_int_t)ln->view.npass, "done", (json_int_t)ln->view.ndone, "fail",
	    (json_int_t)ln->view.nfail, "elapsed_ms", (json_int_t)(util_ms() - t0), "lot",
	    ln->env.prof->lot, "quota_used", (json_int_t)ln->view.quota_used, "quota",
	    (json_int_t)ln->view.quota, "abandoned", abandoned));
	events_text("stopped%s: %lu PASS, %lu DONE (already provisioned), %lu FAIL in %s; lot %s: "
	    "%lu of %lu certificates used; last checkpoint %s", abandoned ? " (boards in progress "
	    "abandoned)" : "", ln->view.npass, ln->view.ndone, ln->view.nfail,
	    events_duration(util_ms() - t0, d, sizeof(d)), ln->env.prof->lot, ln->view.quota_used,
	    ln->view.quota, ln->view.last_checkpoint[0] ? ln->view.last_checkpoint : "none");
}

int
line_run(const struct line_cfg *cfg)
{
	struct xport_info *all = NULL;
	struct line *ln;
	uint64_t t0 = util_ms();
	unsigned i;
	int abandoned, rc;

	if ((ln = calloc(1, sizeof(*ln))) == NULL ||
	    (all = calloc(CAP_XPORT_LIST, sizeof(*all))) == NULL) {
		free(ln);
		events_error(EXIT_FAIL, "out of memory");
		return EXIT_FAIL;
	}
	pthread_mutex_init(&ln->view.lock, NULL);
	ln->cfg = cfg;
	ln->env = *cfg->env;
	ln->env.on_step = on_step;
	ln->env.arg = ln;
	snprintf(ln->view.station, sizeof(ln->view.station), "%s", ln->env.prof->station_id);
	snprintf(ln->view.product, sizeof(ln->view.product), "%s", ln->env.prof->cert.product);
	snprintf(ln->view.lot, sizeof(ln->view.lot), "%s", ln->env.prof->lot);
	snprintf(ln->view.operator_name, sizeof(ln->view.operator_name), "%s",
	    ln->env.prof->operator_name);
	snprintf(ln->view.hsm, sizeof(ln->view.hsm), "ok");
	ln->view.started_ms = t0;
	if (cpsched_start(&ln->sched, ln->env.signer, ln->env.prof->checkpoint_entries,
	        ln->env.prof->checkpoint_interval, on_checkpoint, ln) != 0)
		events_text("warning: periodic checkpoints are off (see above); the stop checkpoint "
		    "is still signed");
	supervise(ln, all);
	abandoned = ln->abandon;
	if (!abandoned) {
		/* No board is in flight: the fixtures only probe, and stop within LINE_PROBE_MS. */
		for (i = 0; i < ln->view.n; i++)
			if (ln->fx[i].started)
				pthread_join(ln->fx[i].tid, NULL);
		cpsched_stop(ln->sched);
		ln->sched = NULL;
	}
	finish(ln, t0, abandoned);
	free(all);
	if (abandoned) {
		/* Fixture threads may be inside a flow: they are not waited for, and nothing they
		 * hold may be freed under them. The record is safe: every entry is committed. */
		console_close(cfg->console);
		fflush(NULL);
		_exit(EXIT_INTERRUPTED);
	}
	rc = ln->signer_lost ? EXIT_HSM : EXIT_OK;
	pthread_mutex_destroy(&ln->view.lock);
	free(ln);
	return rc;
}
