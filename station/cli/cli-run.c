/*
 * cli-run.c: `station run`: provisions the boards present on the fixtures, one worker thread per
 * fixture, and prints one line per board (or JSON events) and a summary.
 */
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "cli-station.h"
#include "events.h"
#include "cpsched.h"
#include "flow.h"
#include "log.h"
#include "profile.h"
#include "signer.h"
#include "util.h"
#include "xport.h"

struct worker {
	pthread_t tid;
	struct xport_info port;
	char fixture[CAP_XPORT_NAME * 2];
	struct flow_result res;
	int recorded;
	const struct flow_env *env;
	const struct profile *prof;
	int started;
};

static struct cpsched *sched; /* periodic checkpoints of this run, NULL when off */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t busy; /* boards in progress */

static void
usage_verify(FILE *f)
{
	fprintf(f,
	    "usage: station verify --profile FILE [options]\n"
	    "End-of-line QA: checks every board present on the fixtures against the record, without\n"
	    "changing it: the certificate it holds is the recorded one and chains to the CA, it proves\n"
	    "it holds that key now, and it is locked. Each check is recorded (board.checked).\n\n"
	    "  --profile FILE     product profile (required)\n"
	    "  --port NAME        check this fixture only (repeatable; as for 'station run', also\n"
	    "                     tcp:HOST:PORT[-LAST] and rfc2217:HOST:PORT[-LAST])\n"
	    "  --operator NAME    who checks (default: [station] operator)\n"
	    "  --json             one JSON event per line (docs/scripting-guide.md)\n"
	    "  -v, --verbose      more diagnostics on stderr\n"
	    "  -h, --help         this help\n\n"
	    "A board that matches its record is DONE; FAIL codes: E_MISMATCH (locked, but not what\n"
	    "the record says: quarantine), E_NOT_PROVISIONED, E_QUARANTINED, E_LOCK_WRITES, and the\n"
	    "board's communication failures (E_NO_ANSWER, E_DISCONNECTED).\n"
	    "exit: 0 every board DONE, 1 a board failed, 2 usage, 3 profile, 4 HSM, 6 no fixture\n");
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station run --profile FILE [options]\n"
	    "Provisions every board present on the fixtures, in parallel, and records each outcome.\n\n"
	    "  --profile FILE     product profile (required; see docs/scripting-guide.md)\n"
	    "  --port NAME        use this fixture (repeatable): a serial port, usb:<path> for a\n"
	    "                     board on USB bulk, tcp:HOST:PORT (raw TCP) or rfc2217:HOST:PORT\n"
	    "                     for a device server's port; tcp:HOST:P1-P2 is one fixture per\n"
	    "                     port (HOST an address, [IPv6] or a name, resolved once at start);\n"
	    "                     default: every USB serial adapter and USB board\n"
	    "  --lot LOT          production lot (default: [station] lot)\n"
	    "  --operator NAME    operator logged on (default: [station] operator)\n"
	    "  --json             one JSON event per line on stdout instead of text\n"
	    "  -v, --verbose      more diagnostics on stderr\n"
	    "  -h, --help         this help\n\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never the command line.\n"
	    "A board the record already has as PASS is checked again (DONE), not provisioned twice.\n"
	    "Each board's label goes to [label] output before its lock; a label the printer did not\n"
	    "take is kept for 'station label reprint' (docs/scripting-guide.md \"The label\").\n"
	    "For a shift at the line, with boards picked up as they are seated, see 'station line'.\n"
	    "SIGTERM or SIGINT: the boards in progress finish and are recorded, then the run stops;\n"
	    "a second one abandons them (exit 8; their attempts are recorded void at the next start).\n"
	    "A device server that refuses or does not answer fails its fixture (E_PORT, exit 1).\n"
	    "exit: 0 every board PASS or DONE, 1 a board failed, 2 usage, 3 profile, 4 HSM (or the\n"
	    "      signer stopped answering), 5 database (also: a result could not be recorded),\n"
	    "      6 no fixture (also: a device server's name does not resolve), 8 abandoned by a\n"
	    "      second signal\n");
}

static void
on_step(void *arg, const char *fixture, const char *step, unsigned pct)
{
	events_emit("step", json_pack("{s:s,s:s,s:i}", "fixture", fixture, "step", step,
	    "progress", (int)pct));
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct xport *x = NULL;
	struct sigp_req q;
	struct signer_err se;

	if (xport_open(xport_ops_for(w->port.name), w->port.name, w->prof->baud, &x) != 0) {
		snprintf(w->res.code, sizeof(w->res.code), "E_PORT");
		snprintf(w->res.step, sizeof(w->res.step), "connect");
		if (xport_is_net(w->port.name))
			snprintf(w->res.reason, sizeof(w->res.reason), "cannot connect to %s; check the "
			    "device server's address and port, that it is powered, and its network "
			    "cable", w->port.name);
		else
			snprintf(w->res.reason, sizeof(w->res.reason), "cannot open %s; check the "
			    "fixture's USB cable", w->port.name);
		memset(&q, 0, sizeof(q));
		q.op = SIGOP_FIXTURE_ERROR;
		memcpy(q.board.fixture, w->fixture, strnlen(w->fixture, SIGP_MAX_NAME)); /* q is zeroed */
		snprintf(q.reason, sizeof(q.reason), "%s", w->res.reason);
		w->recorded = signer_report(w->env->signer, &q, &se) == 0;
		goto out;
	}
	w->recorded = flow_provision(w->env, x, w->fixture, NULL, 0, &w->res) == 0;
	cpsched_poke(sched);
out:
	xport_close(x);
	events_result(w->fixture, w->port.name, &w->res, w->recorded);
	pthread_mutex_lock(&busy_lock);
	busy--;
	pthread_mutex_unlock(&busy_lock);
	return NULL;
}

static size_t
in_progress(void)
{
	size_t n;

	pthread_mutex_lock(&busy_lock);
	n = busy;
	pthread_mutex_unlock(&busy_lock);
	return n;
}

/* PRODUCT §8: SIGTERM/SIGINT (blocked in every thread) stop gracefully: the boards in progress
 * finish and are recorded, then the stop and its checkpoint. A second signal abandons them:
 * the process exits at once (EXIT_INTERRUPTED) and the signer, seeing the connection close,
 * leaves their attempts open for start-up recovery to record void. Returns when no board is in
 * progress. */
static void
wait_boards(const sigset_t *stopset)
{
	struct timespec ts = { 0, 100 * 1000000L };
	const char *why;
	int s, stopping = 0;

	while (in_progress() > 0) {
		if ((s = sigtimedwait(stopset, NULL, &ts)) <= 0)
			continue;
		why = s == SIGINT ? "SIGINT" : "SIGTERM";
		if (!stopping) {
			stopping = 1;
			events_text("stopping (%s): %zu board(s) in progress finish first; %s again "
			    "abandons them", why, in_progress(), why);
			events_emit("stopping", json_pack("{s:s,s:I}", "reason", why, "in_progress",
			    (json_int_t)in_progress()));
			continue;
		}
		fprintf(stderr, "station: abandoned %zu board(s) in progress (%s again): nothing "
		    "recorded is lost; their attempts are recorded void when the station starts again; "
		    "run those boards again\n", in_progress(), why);
		fflush(NULL);
		_exit(EXIT_INTERRUPTED);
	}
}

/* PRODUCT §7: checkpoints at stop, lot end and every N entries / M minutes (cpsched.h). A
 * failure is a warning: the boards are recorded; the next checkpoint covers them. */
static void
on_checkpoint(void *arg, const char *trigger, int ok, uint64_t size, const char *text)
{
	int *unsealed = arg;

	if (!ok) {
		/* the run's own record left unsealed is an HSM failure for scripts (exit 4) */
		if (unsealed != NULL && strcmp(trigger, "stop") == 0)
			*unsealed = 1;
		fprintf(stderr, "station: warning: no checkpoint signed (%s): %s; run 'station audit "
		    "checkpoint' later\n", trigger, text);
		events_checkpoint(trigger, 0, 0, text);
		return;
	}
	events_checkpoint(trigger, 1, size, text);
	if (strcmp(trigger, "stop") == 0)
		events_text("record sealed: checkpoint signed over its first %llu entries",
		    (unsigned long long)size);
}

static int
select_ports(char **names, size_t nnames, struct worker *w, size_t cap, size_t *n)
{
	struct xport_info *all;
	size_t total = 0, i, k = 0;

	if ((all = calloc(CAP_XPORT_LIST, sizeof(*all))) == NULL)
		return -1;
	if (xport_list(all, CAP_XPORT_LIST, &total) != 0) {
		free(all);
		return -1;
	}
	if (total > CAP_XPORT_LIST)
		total = CAP_XPORT_LIST;
	for (i = 0; i < total && k < cap; i++) {
		size_t j;
		int want = nnames == 0 ? all[i].is_usb : 0;

		for (j = 0; j < nnames; j++)
			if (strcmp(names[j], all[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		w[k].port = all[i];
		/* Technicians know slots by their physical USB position, not by ttyUSB numbers. */
		snprintf(w[k].fixture, sizeof(w[k].fixture), "%s",
		    all[i].usb_path[0] ? all[i].usb_path : all[i].name);
		k++;
	}
	/* A named port that is not listed (a plain tty) is still used as given. */
	for (i = 0; i < nnames && k < cap; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < k; j++)
			if (strcmp(w[j].port.name, names[i]) == 0)
				found = 1;
		if (!found) {
			snprintf(w[k].port.name, sizeof(w[k].port.name), "%s", names[i]);
			snprintf(w[k].fixture, sizeof(w[k].fixture), "%s", names[i]);
			k++;
		}
	}
	free(all);
	*n = k;
	return 0;
}

/* Issue #14: the summary's resource usage, so that a benchmark measures the station and not its
 * simulator: "cpu_ms" (user + system) and "rss_kib" (peak resident set) of this process and of
 * the signer, each over its whole life. Stops the signer (st->sig is NULL after); a signer that
 * could not be waited for reports null. fields gets both objects. */
static void
add_usage(json_t *fields, struct cli_station *st)
{
	struct rusage self, sig;
	int have_sig;

	have_sig = signer_end(st->sig, &sig) == 0;
	st->sig = NULL;
	st->env.signer = NULL;
	if (fields == NULL || getrusage(RUSAGE_SELF, &self) != 0)
		return;
#define CPU_MS(ru) json_real((double)((ru).ru_utime.tv_sec + (ru).ru_stime.tv_sec) * 1e3 + \
	    (double)((ru).ru_utime.tv_usec + (ru).ru_stime.tv_usec) / 1e3)
	json_object_set_new(fields, "cpu_ms", json_pack("{s:o,s:o}", "station", CPU_MS(self),
	    "signer", have_sig ? CPU_MS(sig) : json_null()));
#undef CPU_MS
	json_object_set_new(fields, "rss_kib", json_pack("{s:I,s:o}", "station",
	    (json_int_t)self.ru_maxrss, "signer", have_sig ? json_integer((json_int_t)sig.ru_maxrss) :
	    json_null()));
}

/* run and verify: every board present now, once, in parallel. */
static int
batch_with(int argc, char **argv, int verify, struct cli_station_args *ap)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' }, { "lot", required_argument, NULL, 'l' },
		{ "operator", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	size_t nw = 0, i, npass = 0, ndone = 0, nlost = 0;
	struct worker *w = NULL;
	struct cli_station st;
	struct signer_err se;
	struct sigp_lot lot_state;
	struct sigp_req stop;
	uint64_t t0;
	sigset_t stopset;
	json_t *fields;
	int c, r, rc = EXIT_USAGE, unsealed = 0;
	char dbuf[32];

	memset(&st, 0, sizeof(st));
	events_init(cli_station_wants_json(argc, argv), 0);
	/* Before the signer and the workers exist, so that every thread inherits it: a stop
	 * signal that comes while the signer starts waits for wait_boards(). */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stopset, NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if ((r = cli_station_option(ap, c, optarg)) < 0)
			return EXIT_USAGE;
		if (r == 1)
			continue;
		if (c == 'h') {
			(verify ? usage_verify : usage)(stdout);
			return EXIT_OK;
		}
		(verify ? usage_verify : usage)(stderr);
		events_error(EXIT_USAGE, "unknown option or missing value; see --help");
		return EXIT_USAGE;
	}
	if (ap->profile_path == NULL || optind != argc || (verify && ap->lot != NULL)) {
		(verify ? usage_verify : usage)(stderr);
		events_error(EXIT_USAGE, "%s", ap->profile_path == NULL ? "--profile is required" :
		    "unexpected argument");
		return EXIT_USAGE;
	}
	if ((w = calloc(CAP_FIXTURES, sizeof(*w))) == NULL) {
		events_error(EXIT_FAIL, "out of memory");
		return EXIT_FAIL;
	}
	if ((rc = cli_station_prepare(&st, verify ? "verify" : "run", ap->profile_path, ap->lot, ap->operator_name,
	         verify ? SIGMODE_VERIFY : SIGMODE_RUN)) != EXIT_OK)
		goto out;
	if (select_ports(ap->ports, ap->nports, w, CAP_FIXTURES, &nw) != 0 || nw == 0) {
		rc = EXIT_NOFIXTURE;
		events_error(rc, "no fixture found: no USB serial adapter or USB board is connected%s; "
		    "check the fixture cables ('station ports' lists what is seen)",
		    ap->nports ? " under the given --port names" : "");
		goto out;
	}
	if ((rc = cli_station_net(&st, ap)) != EXIT_OK ||
	    (rc = cli_station_enter(&st, (unsigned)nw)) != EXIT_OK)
		goto out;
	st.env.on_step = on_step;
	if (verify)
		events_text("station %s: verifying the boards on %zu fixture(s) against the record",
		    st.prof->station_id, nw);
	else
		events_text("station %s: lot %s, operator %s, %zu fixture(s)", st.prof->station_id,
		    st.prof->lot, st.prof->operator_name, nw);
	if (cpsched_start(&sched, st.sig, st.prof->checkpoint_entries,
	        st.prof->checkpoint_interval, on_checkpoint, NULL) != 0)
		fprintf(stderr, "station: warning: periodic checkpoints are off for this run (see the "
		    "message above); the stop checkpoint is still signed\n");
	t0 = util_ms();
	busy = nw;
	for (i = 0; i < nw; i++) {
		w[i].env = &st.env;
		w[i].prof = st.prof;
		w[i].started = pthread_create(&w[i].tid, NULL, work, &w[i]) == 0;
		if (!w[i].started)
			work(&w[i]);
	}
	wait_boards(&stopset);
	rc = EXIT_OK;
	for (i = 0; i < nw; i++) {
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
		if (w[i].res.pass && w[i].res.again)
			ndone++;
		else if (w[i].res.pass)
			npass++;
		else
			rc = EXIT_FAIL;
	}
	cpsched_stop(sched);
	sched = NULL;
	memset(&stop, 0, sizeof(stop));
	stop.op = SIGOP_STOP;
	stop.npass = (uint32_t)(npass + ndone);
	stop.nfail = (uint32_t)(nw - npass - ndone);
	for (i = 0; i < nw; i++)
		nlost += !w[i].recorded;
	if (signer_report(st.sig, &stop, &se) != 0) {
		if (se.status == SIGST_INTERNAL) {
			/* Killed or crashed: nothing more can be recorded, and a run that ends with
			 * exit 1 would claim each failure is (docs/scripting-guide.md). */
			events_emit("signer_lost", json_pack("{s:s,s:I}", "reason", se.text,
			    "unrecorded", (json_int_t)nlost));
			fprintf(stderr, "station: the signer stopped answering: %s; %zu of %zu board "
			    "result(s) could not be recorded. Nothing recorded is lost: the interrupted "
			    "attempts are recorded void when the station starts again; restart it and run "
			    "those boards again\n", se.text, nlost, nw);
			rc = EXIT_HSM;
			goto out;
		}
		fprintf(stderr, "station: warning: the stop was not recorded: %s\n", se.text);
		if (se.status == SIGST_LOG)
			rc = EXIT_DB;
	}
	/* The record could not be written (a full disk, a lock held too long): exit 1 would say
	 * every failure is recorded. */
	if (nlost > 0) {
		fprintf(stderr, "station: %zu of %zu board result(s) could not be recorded: the audit "
		    "database could not be written (see the signer's message above). Nothing recorded "
		    "is lost: the interrupted attempts are recorded void when the station starts again; "
		    "fix the cause, then run those boards again\n", nlost, nw);
		rc = EXIT_DB;
	}
	(void)cpsched_now(st.sig, "stop", on_checkpoint, &unsealed);
	if (unsealed && rc == EXIT_OK)
		rc = EXIT_HSM;
	memset(&lot_state, 0, sizeof(lot_state));
	if (verify) {
		fields = json_pack("{s:I,s:I,s:I,s:I}", "boards", (json_int_t)nw, "done",
		    (json_int_t)ndone, "fail", (json_int_t)(nw - npass - ndone), "elapsed_ms",
		    (json_int_t)(util_ms() - t0));
		add_usage(fields, &st);
		events_emit("summary", fields);
		events_text("%zu board(s): %zu DONE (match their record), %zu FAIL in %s", nw, ndone,
		    nw - npass - ndone, events_duration(util_ms() - t0, dbuf, sizeof(dbuf)));
		goto out;
	}
	if (signer_lot(st.sig, SIGOP_LOT_STATUS, st.prof->lot, &lot_state, &se) != 0)
		fprintf(stderr, "station: warning: %s\n", se.text);
	fields = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "boards", (json_int_t)nw, "pass",
	    (json_int_t)npass, "done", (json_int_t)ndone, "fail", (json_int_t)(nw - npass - ndone),
	    "elapsed_ms", (json_int_t)(util_ms() - t0), "lot", st.prof->lot, "quota_used",
	    (json_int_t)lot_state.used, "quota", (json_int_t)lot_state.quota);
	add_usage(fields, &st);
	events_emit("summary", fields);
	events_text("%zu board(s): %zu PASS, %zu DONE (already provisioned), %zu FAIL in %s; lot %s: "
	    "%lu of %lu certificates used", nw, npass, ndone, nw - npass - ndone,
	    events_duration(util_ms() - t0, dbuf, sizeof(dbuf)), st.prof->lot,
	    (unsigned long)lot_state.used, (unsigned long)lot_state.quota);
out:
	cpsched_stop(sched);
	sched = NULL;
	cli_station_end(&st);
	free(w);
	return rc;
}

/* batch_with, with the --port names it expanded freed on every path. */
static int
batch(int argc, char **argv, int verify)
{
	struct cli_station_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = batch_with(argc, argv, verify, &a);
	cli_station_args_end(&a);
	return rc;
}

int
cli_run(int argc, char **argv)
{
	return batch(argc, argv, 0);
}

int
cli_verify(int argc, char **argv)
{
	return batch(argc, argv, 1);
}
