/*
 * cli-run.c: `station run`: provisions the boards present on the fixtures, one worker thread per
 * fixture, and prints one line per board (or JSON events) and a summary.
 */
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int json_out;
static struct cpsched *sched; /* periodic checkpoints of this run, NULL when off */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station run --profile FILE [options]\n"
	    "Provisions every board present on the fixtures, in parallel, and records each outcome.\n\n"
	    "  --profile FILE     product profile (required; see docs/scripting-guide.md)\n"
	    "  --port NAME        use this fixture (repeatable): a serial port, or usb:<path> for a\n"
	    "                     board on USB bulk; default: every USB serial adapter and USB board\n"
	    "  --lot LOT          production lot (default: [station] lot)\n"
	    "  --operator NAME    operator logged on (default: [station] operator)\n"
	    "  --json             one JSON event per line on stdout instead of text\n"
	    "  -v, --verbose      more diagnostics on stderr\n"
	    "  -h, --help         this help\n\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never the command line.\n"
	    "exit: 0 all PASS, 1 a board failed, 2 usage, 3 profile, 4 HSM, 5 database, 6 no fixture\n");
}

/* "84 ms" below a second, "2.3 s" above: a fast board must not read "0.0 s". */
static const char *
duration(uint64_t ms, char *buf, size_t cap)
{
	if (ms < 1000)
		snprintf(buf, cap, "%llu ms", (unsigned long long)ms);
	else
		snprintf(buf, cap, "%.1f s", (double)ms / 1000.0);
	return buf;
}

/* Prints one JSON event line (reference stolen). */
static void
emit(json_t *o)
{
	char *s;

	if (o == NULL)
		return;
	pthread_mutex_lock(&out_lock);
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		puts(s);
		free(s);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	json_decref(o);
}

static void
on_step(void *arg, const char *fixture, const char *step, unsigned pct)
{
	if (!json_out)
		return;
	emit(json_pack("{s:s,s:s,s:s,s:i}", "event", "step", "fixture", fixture, "step", step,
	    "progress", (int)pct));
}

static void
print_result(const struct worker *w)
{
	const struct flow_result *r = &w->res;
	char dbuf[32];

	if (json_out) {
		emit(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b}", "event", "result",
		    "fixture", w->fixture, "port", w->port.name, "result", r->pass ? "PASS" : "FAIL",
		    "step", r->step, "code", r->code, "reason", r->reason, "chip_id", r->chip_hex,
		    "serial", r->serial, "cert_serial", r->cert_serial, "elapsed_ms",
		    (json_int_t)r->elapsed_ms, "retransmits", (json_int_t)r->retransmits, "recorded",
		    w->recorded));
		return;
	}
	pthread_mutex_lock(&out_lock);
	if (r->pass) {
		printf("fixture %-10s PASS  chip %.16s  serial %s  (%s)\n", w->fixture,
		    r->chip_hex, r->serial, duration(r->elapsed_ms, dbuf, sizeof(dbuf)));
	} else {
		printf("fixture %-10s FAIL  chip %.16s  serial %s  [%s] %s: %s\n", w->fixture,
		    r->chip_hex[0] ? r->chip_hex : "-", r->serial[0] ? r->serial : "-", r->step,
		    r->code, r->reason);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
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
		snprintf(w->res.reason, sizeof(w->res.reason), "cannot open %s; check the fixture's "
		    "USB cable", w->port.name);
		memset(&q, 0, sizeof(q));
		q.op = SIGOP_FIXTURE_ERROR;
		memcpy(q.board.fixture, w->fixture, strnlen(w->fixture, SIGP_MAX_NAME)); /* q is zeroed */
		snprintf(q.reason, sizeof(q.reason), "%s", w->res.reason);
		w->recorded = signer_report(w->env->signer, &q, &se) == 0;
		goto out;
	}
	w->recorded = flow_provision(w->env, x, w->fixture, &w->res) == 0;
	cpsched_poke(sched);
out:
	xport_close(x);
	print_result(w);
	return NULL;
}

static int
load_ca_der(const char *path, uint8_t **der, size_t *len)
{
	FILE *f = fopen(path, "r");
	unsigned char *p = NULL;
	X509 *x;
	int n;

	if (f == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (n = i2d_X509(x, &p)) <= 0) {
		X509_free(x);
		return -1;
	}
	X509_free(x);
	*der = p;
	*len = (size_t)n;
	return 0;
}

/* PRODUCT §7: checkpoints at stop, lot end and every N entries / M minutes (cpsched.h). A
 * failure is a warning: the boards are recorded; the next checkpoint covers them. */
static void
on_checkpoint(void *arg, const char *trigger, int ok, uint64_t size, const char *text)
{
	(void)arg;
	if (!ok) {
		fprintf(stderr, "station: warning: no checkpoint signed (%s): %s; run 'station audit "
		    "checkpoint' later\n", trigger, text);
		if (json_out)
			emit(json_pack("{s:s,s:s,s:b,s:s}", "event", "checkpoint", "trigger", trigger,
			    "ok", 0, "reason", text));
		return;
	}
	if (json_out)
		emit(json_pack("{s:s,s:s,s:b,s:I,s:s}", "event", "checkpoint", "trigger", trigger,
		    "ok", 1, "size", (json_int_t)size, "note", text));
	else if (strcmp(trigger, "stop") == 0)
		printf("checkpoint: size %llu\n", (unsigned long long)size);
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

int
cli_run(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' }, { "lot", required_argument, NULL, 'l' },
		{ "operator", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *profile_path = NULL, *lot = NULL, *op = NULL;
	char *ports[CAP_FIXTURES], err[CAP_REASON * 2];
	size_t nports = 0, nw = 0, i, npass = 0;
	struct profile *prof = NULL;
	struct worker *w = NULL;
	struct signer *sig = NULL;
	struct signer_err se;
	struct sigp_lot lot_state;
	struct sigp_req stop;
	struct flow_env env;
	uint8_t *ca_der = NULL;
	size_t ca_len = 0;
	uint64_t t0;
	int c, rc = EXIT_USAGE;
	char dbuf[32];

	json_out = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile_path = optarg; break;
		case 'P':
			if (nports >= CAP_FIXTURES) {
				fprintf(stderr, "station run: at most %d ports\n", CAP_FIXTURES);
				return EXIT_USAGE;
			}
			ports[nports++] = optarg;
			break;
		case 'l': lot = optarg; break;
		case 'o': op = optarg; break;
		case 'j': json_out = 1; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (profile_path == NULL || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL || (w = calloc(CAP_FIXTURES, sizeof(*w))) == NULL)
		goto out;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "station: %s\n", err);
		rc = EXIT_PROFILE;
		goto out;
	}
	if (profile_override(prof, lot, op) != 0) {
		fprintf(stderr, "station: --lot and --operator take printable text of 1 to 64 "
		    "characters\n");
		goto out;
	}
	if (load_ca_der(prof->ca_cert, &ca_der, &ca_len) != 0) {
		fprintf(stderr, "station: cannot read the CA certificate '%s'; run 'station ca init "
		    "--profile %s' first\n", prof->ca_cert, profile_path);
		rc = EXIT_PROFILE;
		goto out;
	}
	if (select_ports(ports, nports, w, CAP_FIXTURES, &nw) != 0 || nw == 0) {
		fprintf(stderr, "station: no fixture found: no USB serial adapter or USB board is connected%s; "
		    "check the fixture cables ('station ports' lists what is seen)\n",
		    nports ? " under the given --port names" : "");
		rc = EXIT_NOFIXTURE;
		goto out;
	}
	/* The signer owns the record, the lot and the HSM (PRODUCT §4): start it, then name the lot
	 * to work on; it refuses a lot it never opened or has closed. This process then gives up
	 * what it does not need before it talks to any board: root (service mode), ptrace, core
	 * files, and (service mode) every file but its fixtures, profile and labels. */
	if (cli_signer("station", profile_path, SIGMODE_RUN, NULL, &sig) != 0) {
		rc = EXIT_HSM;
		goto out;
	}
	if (cli_confine("station", prof) != 0) {
		rc = EXIT_HSM;
		goto out;
	}
	cli_probe(signer_pid(sig));
	if (!signer_separated(sig))
		fprintf(stderr, "station: developer mode: station and signer run under one user, so "
		    "the trust boundary between them is weaker than in service mode (start as root)\n");
	if (signer_session(sig, prof->lot, prof->operator_name, &lot_state, &se) != 0) {
		fprintf(stderr, "station: %s\n", se.text);
		rc = se.status == SIGST_QUOTA ? EXIT_PROFILE : se.status == SIGST_LOG ? EXIT_DB :
		    EXIT_HSM;
		goto out;
	}
	if (lot_state.recovered > 0)
		fprintf(stderr, "station: recorded %u interrupted attempt(s) from an earlier run as "
		    "void; those boards can simply be run again\n", (unsigned)lot_state.recovered);
	memset(&env, 0, sizeof(env));
	env.prof = prof;
	env.signer = sig;
	env.ca_der = ca_der;
	env.ca_len = ca_len;
	env.on_step = on_step;
	if (!json_out)
		printf("station %s: lot %s, operator %s, %zu fixture(s)\n", prof->station_id, prof->lot,
		    prof->operator_name, nw);
	if (cpsched_start(&sched, sig, prof->checkpoint_entries,
	        prof->checkpoint_interval, on_checkpoint, NULL) != 0)
		fprintf(stderr, "station: warning: periodic checkpoints are off for this run (see the "
		    "message above); the stop checkpoint is still signed\n");
	t0 = util_ms();
	for (i = 0; i < nw; i++) {
		w[i].env = &env;
		w[i].prof = prof;
		w[i].started = pthread_create(&w[i].tid, NULL, work, &w[i]) == 0;
		if (!w[i].started)
			work(&w[i]);
	}
	rc = EXIT_OK;
	for (i = 0; i < nw; i++) {
		if (w[i].started)
			pthread_join(w[i].tid, NULL);
		if (w[i].res.pass)
			npass++;
		else
			rc = EXIT_FAIL;
	}
	cpsched_stop(sched);
	sched = NULL;
	memset(&stop, 0, sizeof(stop));
	stop.op = SIGOP_STOP;
	stop.npass = (uint32_t)npass;
	stop.nfail = (uint32_t)(nw - npass);
	if (signer_report(sig, &stop, &se) != 0)
		fprintf(stderr, "station: warning: the stop was not recorded: %s\n", se.text);
	(void)cpsched_now(sig, "stop", on_checkpoint, NULL);
	if (signer_lot(sig, SIGOP_LOT_STATUS, prof->lot, &lot_state, &se) != 0)
		fprintf(stderr, "station: warning: %s\n", se.text);
	if (json_out) {
		emit(json_pack("{s:s,s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "event", "summary", "boards",
		    (json_int_t)nw, "pass", (json_int_t)npass, "fail", (json_int_t)(nw - npass),
		    "elapsed_ms", (json_int_t)(util_ms() - t0), "lot", prof->lot, "quota_used",
		    (json_int_t)lot_state.used, "quota", (json_int_t)lot_state.quota));
	} else {
		printf("%zu board(s): %zu PASS, %zu FAIL in %s; lot %s quota %lu of %lu used\n", nw,
		    npass, nw - npass, duration(util_ms() - t0, dbuf, sizeof(dbuf)), prof->lot,
		    (unsigned long)lot_state.used, (unsigned long)lot_state.quota);
	}
out:
	cpsched_stop(sched);
	sched = NULL;
	signer_stop(sig);
	OPENSSL_free(ca_der);
	free(prof);
	free(w);
	return rc;
}
