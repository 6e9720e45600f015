/* cli-station.c: set-up shared by run, line and verify; see cli-station.h. */
#include "cli-station.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "events.h"
#include "label-printer.h"
#include "label.h"
#include "label-out.h"
#include "log.h"
#include "util.h"
#include "version.h"

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

int
cli_station_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	return 0;
}

/* --port tcp:HOST:PORT[-LAST] / rfc2217:...: one fixture per port, in the shared store. */
static int
net_option(struct cli_station_args *a, const char *arg)
{
	char why[CAP_REASON];
	size_t n = 0, i;

	if (a->expanded == NULL && (a->expanded = calloc(CAP_FIXTURES, sizeof(*a->expanded))) == NULL) {
		events_error(EXIT_FAIL, "out of memory");
		return -1;
	}
	if (xport_net_expand(arg, a->expanded + a->nexpanded, CAP_FIXTURES - a->nexpanded, &n, why,
	        sizeof(why)) != 0) {
		events_error(EXIT_USAGE, "--port %s (at most %d fixtures in all)", why, CAP_FIXTURES);
		return -1;
	}
	if (a->nports + n > CAP_FIXTURES) {
		events_error(EXIT_USAGE, "at most %d fixtures (--port names and ranges)", CAP_FIXTURES);
		return -1;
	}
	for (i = 0; i < n; i++)
		a->ports[a->nports++] = a->expanded[a->nexpanded + i];
	a->nexpanded += n;
	return 1;
}

void
cli_station_args_end(struct cli_station_args *a)
{
	if (a == NULL)
		return;
	free(a->expanded);
	a->expanded = NULL;
	a->nexpanded = 0;
}

int
cli_station_net(struct cli_station *st, const struct cli_station_args *a)
{
	char why[CAP_REASON + CAP_XPORT_NAME];
	int r;

	st->n_net_ports = 0;
	if ((r = xport_net_prepare(a->ports, a->nports, st->net_ports, CAP_SANDBOX_PORTS,
	         &st->n_net_ports, why, sizeof(why))) == 0)
		return EXIT_OK;
	if (r == XPORT_ERR_NOTFOUND) {
		events_error(EXIT_NOFIXTURE, "%s", why);
		return EXIT_NOFIXTURE;
	}
	events_error(r == XPORT_ERR_ARG ? EXIT_USAGE : EXIT_FAIL, "--port: %s",
	    r == XPORT_ERR_NOMEM ? "out of memory" : why);
	return r == XPORT_ERR_ARG ? EXIT_USAGE : EXIT_FAIL;
}

int
cli_station_option(struct cli_station_args *a, int c, char *arg)
{
	switch (c) {
	case 'p': a->profile_path = arg; return 1;
	case 'l': a->lot = arg; return 1;
	case 'o': a->operator_name = arg; return 1;
	case 'j': a->json = 1; return 1;
	case 'v': log_set_level(LOG_DEBUG); return 1;
	case 'P':
		if (xport_is_net(arg))
			return net_option(a, arg);
		if (a->nports >= CAP_FIXTURES) {
			events_error(EXIT_USAGE, "at most %d --port options", CAP_FIXTURES);
			return -1;
		}
		a->ports[a->nports++] = arg;
		return 1;
	default: return 0;
	}
}

int
cli_station_prepare(struct cli_station *st, const char *cmd, const char *profile_path,
    const char *lot, const char *operator_name, int mode)
{
	char err[CAP_REASON * 2];

	memset(st, 0, sizeof(*st));
	st->cmd = cmd;
	st->profile_path = profile_path;
	if ((st->prof = calloc(1, sizeof(*st->prof))) == NULL) {
		events_error(EXIT_FAIL, "out of memory");
		return EXIT_FAIL;
	}
	if (profile_load(profile_path, st->prof, err, sizeof(err)) != 0) {
		events_error(EXIT_PROFILE, "%s", err);
		return EXIT_PROFILE;
	}
	if (profile_override(st->prof, lot, operator_name) != 0) {
		events_error(EXIT_USAGE, "--lot and --operator take printable text of 1 to 64 "
		    "characters");
		return EXIT_USAGE;
	}
	if (load_ca_der(st->prof->ca_cert, &st->ca_der, &st->ca_len) != 0) {
		events_error(EXIT_PROFILE, "cannot read the CA certificate '%s'; run 'station ca init "
		    "--profile %s' first", st->prof->ca_cert, profile_path);
		return EXIT_PROFILE;
	}
	/* The label's fonts are read now (the sandbox would refuse them later), and its layout is
	 * drawn once with the longest values: a QR code too small or a text off the label is a
	 * profile error before any serial is spent. */
	if (mode == SIGMODE_RUN && (label_kit_load(st->prof, &st->env.labels, err, sizeof(err)) != 0 ||
	        label_check(st->prof, st->env.labels, err, sizeof(err)) != 0)) {
		events_error(EXIT_PROFILE, "%s", err);
		return EXIT_PROFILE;
	}
	/* The signer owns the record, the lot and the HSM (PRODUCT §4). */
	if (cli_signer("station", profile_path, mode, NULL, &st->sig) != 0) {
		events_error(EXIT_HSM, "the signer did not start (see the message above)");
		return EXIT_HSM;
	}
	st->env.prof = st->prof;
	st->env.signer = st->sig;
	st->env.ca_der = st->ca_der;
	st->env.ca_len = st->ca_len;
	st->env.verify_only = mode != SIGMODE_RUN;
	return EXIT_OK;
}

int
cli_station_enter(struct cli_station *st, unsigned fixtures)
{
	struct sigp_lot lot;
	struct signer_err se;
	char digest[65], where[CAP_PATH + 16];
	int rc;

	if (!st->env.verify_only && !cli_service_mode() && mkdir(st->prof->label_dir, 0700) != 0 &&
	    errno != EEXIST) {
		events_error(EXIT_PROFILE, "%s: cannot create the label directory '%s': %s",
		    st->profile_path, st->prof->label_dir, strerror(errno));
		return EXIT_PROFILE;
	}
	/* The printer helper holds the one network connection the station makes, so that the
	 * board-facing process keeps none (docs/threat-model.md B5); forked before threads. */
	if (!st->env.verify_only && cli_printer_start("station", st->prof, &st->env.printer) != 0) {
		events_error(EXIT_HSM, "the label printer helper did not start (see the message above)");
		return EXIT_HSM;
	}
	/* This process gives up what it does not need before it talks to any board: root
	 * (service mode), ptrace, core files, and (service mode) every file but its fixtures,
	 * profile and labels. */
	if (cli_confine("station", st->prof, st->net_ports, st->n_net_ports) != 0) {
		events_error(EXIT_HSM, "cannot confine the station (see the message above)");
		return EXIT_HSM;
	}
	/* Issue #12: a label directory the boards could not write would cost each a serial and a
	 * certificate before E_LABEL. Checked as the user that writes the labels (after the drop
	 * in service mode), before the session: the signer has allocated nothing yet. */
	if (!st->env.verify_only) {
		char err[CAP_REASON * 2];

		if (profile_check_label_dir(st->prof, -1, err, sizeof(err)) != 0) {
			events_error(EXIT_PROFILE, "%s", err);
			return EXIT_PROFILE;
		}
	}
	cli_probe(signer_pid(st->sig));
	if (!signer_separated(st->sig))
		fprintf(stderr, "station: developer mode: station and signer run under one user, so "
		    "the trust boundary between them is weaker than in service mode (start as root)\n");
	memset(&lot, 0, sizeof(lot));
	if (!st->env.verify_only) {
		/* The signer refuses a lot it never opened or has closed. */
		if (signer_session(st->sig, st->prof->lot, st->prof->operator_name, &lot, &se) != 0) {
			rc = se.status == SIGST_QUOTA ? EXIT_PROFILE : se.status == SIGST_LOG ? EXIT_DB :
			    EXIT_HSM;
			events_error(rc, "%s", se.text);
			return rc;
		}
		if (lot.recovered > 0)
			fprintf(stderr, "station: recorded %u interrupted attempt(s) from an earlier run "
			    "as void; those boards can simply be run again\n", (unsigned)lot.recovered);
	}
	util_hex(st->prof->digest, sizeof(st->prof->digest), digest, sizeof(digest));
	/* "version" stays the release string it always was (fields are only ever added); "build"
	 * (issue #13) adds the git revision and the library versions this process runs with. */
	label_out_describe(&st->prof->label, where, sizeof(where));
	events_emit("start", json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b,s:I,s:I,s:s}",
	    "mode", st->cmd, "version", STATION_VERSION, "build", cli_version_json(), "station",
	    st->prof->station_id, "product", st->prof->cert.product, "lot",
	    st->env.verify_only ? "" : st->prof->lot, "operator", st->prof->operator_name, "profile",
	    st->profile_path, "profile_sha256", digest, "fixtures", (int)fixtures, "separated",
	    signer_separated(st->sig), "quota", (json_int_t)lot.quota, "quota_used",
	    (json_int_t)lot.used, "labels", where));
	return EXIT_OK;
}

void
cli_station_end(struct cli_station *st)
{
	signer_stop(st->sig);
	label_printer_stop(st->env.printer);
	label_kit_free(st->env.labels);
	OPENSSL_free(st->ca_der);
	free(st->prof);
	memset(st, 0, sizeof(*st));
}
