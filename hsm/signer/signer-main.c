/*
 * signer-main.c: station-signer, the only program that loads PKCS#11 (PRODUCT §4, §6).
 *   station-signer serve --fd N [--channels K] --profile FILE
 *                                               serve sigproto.h requests on fds N..N+K-1 (the
 *                                               station starts this; K sockets, one request in
 *                                               flight on each, docs/signer-protocol.md)
 *   station-signer ca-init --profile FILE        key ceremony on the configured token
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "ceremony.h"
#include "cursor.h"
#include "fleet-registry.h"
#include "forward.h"
#include "log.h"
#include "sigproto.h"
#include "srv.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: station-signer serve --fd N [--channels K] --profile FILE\n"
	           "                            [--mode run|admin|verify] [--station-uid UID]\n"
	           "                            [--operator NAME]\n"
	           "       station-signer ca-init --profile FILE\n"
	           "       station-signer token-init --profile FILE --so-pin-file FILE\n"
	           "       station-signer fleet-init --registry-file FILE\n"
	           "           creates or migrates the fleet registry's schema (the registry owner's\n"
	           "           connection string on the file's one line; docs/fleet.md)\n"
	           "       station-signer forward --profile FILE [--once]\n"
	           "           ships the local record to the [fleet] registry (the signer starts it\n"
	           "           itself; --once: until nothing is left, exit 0, 1 registry failed,\n"
	           "           2 configuration, 3 stopped: the record or the registry disagrees)\n"
	           "The station starts 'serve' itself; run 'station ca init' rather than ca-init.\n");
}

/* Service mode (PRODUCT §4): the station runs under another uid, so this process must not take
 * its policy from a file that uid (or anyone but root and this user) could have written. */
static int
profile_trusted(const char *path, char *why, size_t cap)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(why, cap, "cannot read the profile %s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, cap, "the profile %s may be written by another user than root or the "
		    "signer; the signer takes its policy only from a file they alone can write "
		    "(chown root and chmod go-w)", path);
		return -1;
	}
	return 0;
}

/* PRODUCT §7: HSM log-in failures are recorded, by this process (the station cannot write). */
static void
log_startup_failure(const char *profile, const char *why)
{
	struct profile *prof = calloc(1, sizeof(*prof));
	struct audit *a = NULL;
	struct audit_who w;
	char err[CAP_REASON];

	if (prof != NULL && profile_load(profile, prof, err, sizeof(err)) == 0 &&
	    audit_open(prof->database, &a) == 0) {
		w.station = prof->station_id;
		w.operator_name = prof->operator_name;
		w.lot = prof->lot;
		(void)audit_log(a, &w, "hsm.error", NULL, NULL, json_pack("{s:s}", "reason", why));
	}
	audit_close(a);
	free(prof);
}

/* One signer socket of the station (signer.h: a channel per request in flight). */
struct chan {
	int fd;
	int ready;   /* a request was read and waits for its reply */
	int batch;   /* ... and it may share a group commit (srv_batchable) */
	int done;    /* ... and its reply is made */
	size_t n, rl;
	uint8_t req[CAP_SIGNER_MSG], rsp[CAP_SIGNER_MSG];
};

/*
 * Serves the station's requests on its nch channels until it closes them. Requests that arrive
 * together on several channels are handled one after the other as always, but the per-board
 * ones among them share one durable commit (audit_batch_begin/end; issue #14), and no reply of
 * a batch is sent before that commit returned: a board is never told PASS (nor given its
 * certificate) before the record holds it. A lost group commit answers each of its requests
 * SIGST_LOG and the signer refuses everything after (srv_batch_lost). Returns when the station
 * closed a channel, sent a malformed stream, or a reply could not be sent.
 */
static void
serve_channels(struct srv *s, struct chan *ch, unsigned nch)
{
	struct pollfd pf[CAP_SIGNER_CHANNELS];
	unsigned i, nb;
	int r;

	for (i = 0; i < nch; i++)
		pf[i] = (struct pollfd){ .fd = ch[i].fd, .events = POLLIN };
	for (;;) {
		int np = poll(pf, nch, srv_fleet_wait_ms(s));

		srv_fleet_tick(s);
		if (np < 0) {
			if (errno == EINTR)
				continue;
			log_error("waiting for the station's requests: %s; stopping", strerror(errno));
			return;
		}
		for (i = 0, nb = 0; i < nch; i++) {
			ch[i].ready = ch[i].batch = ch[i].done = 0;
			if (pf[i].revents == 0)
				continue;
			r = sigp_recv(ch[i].fd, ch[i].req, sizeof(ch[i].req), &ch[i].n);
			if (r == -1 && errno == 0)
				return; /* the station closed the socket */
			if (r != 0) {
				log_error("malformed request stream from the station; stopping");
				return;
			}
			ch[i].ready = 1;
			ch[i].batch = srv_batchable(ch[i].req, ch[i].n);
			nb += ch[i].batch != 0;
		}
		if (nb >= 2 && !s->record_lost && audit_batch_begin(s->audit) == 0) {
			for (i = 0; i < nch; i++)
				if (ch[i].batch)
					srv_handle(s, ch[i].req, ch[i].n, ch[i].rsp, sizeof(ch[i].rsp),
					    &ch[i].rl);
			r = audit_batch_end(s->audit);
			for (i = 0; i < nch; i++) {
				if (!ch[i].batch)
					continue;
				if (r != 0)
					srv_batch_lost(s, ch[i].req, ch[i].n, ch[i].rsp, sizeof(ch[i].rsp),
					    &ch[i].rl);
				ch[i].done = 1;
			}
		}
		for (i = 0; i < nch; i++)
			if (ch[i].ready && !ch[i].done)
				srv_handle(s, ch[i].req, ch[i].n, ch[i].rsp, sizeof(ch[i].rsp), &ch[i].rl);
		for (i = 0; i < nch; i++) {
			if (!ch[i].ready)
				continue;
			util_wipe(ch[i].req, ch[i].n); /* a request may hold a password */
			if (sigp_send(ch[i].fd, ch[i].rsp, ch[i].rl) != 0)
				return;
		}
	}
}

/* The station's sockets are fds fd .. fd+nch-1, inherited at exec (signer-client.c): each
 * must be a socket, or the signer would read requests from whatever file sits there. */
static int
channels_ok(int fd, unsigned nch)
{
	struct stat st;
	unsigned i;

	for (i = 0; i < nch; i++)
		if (fstat(fd + (int)i, &st) != 0 || !S_ISSOCK(st.st_mode)) {
			log_error("fd %d is not the station's socket; the station starts this program "
			    "itself", fd + (int)i);
			return -1;
		}
	return 0;
}

static int
serve(int fd, unsigned nch, const char *profile, int mode, long station_uid,
    const char *operator_name)
{
	static uint8_t req[CAP_SIGNER_MSG], rsp[CAP_SIGNER_MSG];
	char why[CAP_REASON * 2];
	struct srv *s = NULL;
	struct chan *ch;
	size_t n = 0;
	struct wcur wc;
	unsigned i;
	int untrusted;

	why[0] = '\0';
	untrusted = station_uid >= 0 && (uid_t)station_uid != getuid() &&
	    profile_trusted(profile, why, sizeof(why)) != 0;
	if (untrusted || srv_open(profile, 1, &s, why, sizeof(why)) != 0) {
		/* Recorded in the profile's database, except when the profile is not to be trusted
		 * (its database path would be the writer's choice). A profile that does not load
		 * records nothing; a missing key or PIN is recorded. */
		if (!untrusted && why[0] != '\0')
			log_startup_failure(profile, why);
		/* Tell the station why, in answer to its HELLO, then stop. */
		if (sigp_recv(fd, req, sizeof(req), &n) == 0) {
			wcur_init(&wc, rsp, sizeof(rsp));
			wcur_u8(&wc, SIGST_STARTUP);
			wcur_u8(&wc, 0);
			wcur_lbytes16(&wc, why, strlen(why));
			(void)sigp_send(fd, rsp, wc.off);
		}
		return 4;
	}
	s->mode = mode;
	if (operator_name != NULL && *operator_name != '\0' && strlen(operator_name) <= SIGP_MAX_NAME &&
	    util_printable(operator_name))
		s->who.operator_name = operator_name;
	s->separated = station_uid >= 0 && (uid_t)station_uid != getuid();
	if (mode == SIGMODE_RUN && audit_station_lock(s->prof.database) < 0) {
		/* one run session per database: start-up recovery must never void another's attempts */
		if (sigp_recv(fd, req, sizeof(req), &n) == 0) {
			static const char msg[] = "another station is running on this audit database; "
			    "stop it first";
			wcur_init(&wc, rsp, sizeof(rsp));
			wcur_u8(&wc, SIGST_STARTUP);
			wcur_u8(&wc, 0);
			wcur_lbytes16(&wc, msg, sizeof(msg) - 1);
			(void)sigp_send(fd, rsp, wc.off);
		}
		srv_close(s);
		return 4;
	}
	(void)audit_log(s->audit, &s->who, "hsm.login", NULL, NULL,
	    json_pack("{s:s,s:s,s:s,s:s}", "module", s->prof.module, "token", s->prof.token_uri,
	    "mode", mode == SIGMODE_RUN ? "run" : mode == SIGMODE_VERIFY ? "verify" : "admin",
	    "separation", s->separated ? "service" :
	    "developer"));
	/* The station decides when to stop and records station.stop first: a Ctrl-C or SIGTERM
	 * sent to the whole process group (a terminal, a service manager) must not end the
	 * record under it. The signer stops when its station closes the socket (SIGKILL works). */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	if ((ch = calloc(nch, sizeof(*ch))) == NULL) {
		log_error("out of memory for %u channels; stopping", nch);
		srv_close(s);
		return 4;
	}
	for (i = 0; i < nch; i++)
		ch[i].fd = fd + (int)i;
	if (mode == SIGMODE_RUN)
		srv_fleet_start(s);
	serve_channels(s, ch, nch);
	srv_fleet_stop(s);
	for (i = 0; i < nch; i++)
		util_wipe(ch[i].req, sizeof(ch[i].req));
	free(ch);
	srv_close(s);
	return 0;
}

/* The forwarder (hsm/fleet/forward.c), under this identity: the profile must be one this user
 * may trust, as for serve. */
static int
forward(const char *profile, int once)
{
	static struct profile prof;
	char err[CAP_REASON * 2];

	if (profile_load(profile, &prof, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 2;
	}
	return forward_run(&prof, once);
}

/* The registry's schema made or migrated by its owner (a station's writer role may not). */
static int
fleet_init(const char *file)
{
	char conninfo[4096], why[1024];
	uint8_t *buf = NULL;
	size_t n = 0;
	struct fleet *f = NULL;
	int r, v = 0;

	if (util_read_file(file, sizeof(conninfo) - 1, &buf, &n) != 0) {
		log_error("cannot read %s: %s", file, strerror(errno));
		return 2;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	memcpy(conninfo, buf, n);
	conninfo[n] = '\0';
	util_wipe(buf, n);
	free(buf);
	r = fleet_open(conninfo, &f, why, sizeof(why));
	util_wipe(conninfo, sizeof(conninfo));
	if (r == FLEET_OK)
		r = fleet_schema_version(f, &v, why, sizeof(why));
	fleet_close(f);
	if (r != FLEET_OK) {
		log_error("%s", why);
		return 1;
	}
	printf("fleet registry schema %d\n", v);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *profile = NULL, *so_pin_file = NULL;
	const char *operator_name = NULL, *registry_file = NULL;
	long station_uid = -1;
	int fd = -1, i, mode = SIGMODE_RUN, once = 0;
	long nch = 1;

	log_init("station-signer", LOG_INFO);
	/* The PIN and the HSM session live in this process: no core dumps, no ptrace by peers. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile = argv[++i];
		else if (strcmp(argv[i], "--so-pin-file") == 0 && i + 1 < argc)
			so_pin_file = argv[++i];
		else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc)
			fd = atoi(argv[++i]);
		else if (strcmp(argv[i], "--channels") == 0 && i + 1 < argc) {
			nch = strtol(argv[++i], NULL, 10);
			if (nch < 1 || nch > CAP_SIGNER_CHANNELS) {
				usage(stderr);
				return 2;
			}
		}
		else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "run") == 0)
				mode = SIGMODE_RUN;
			else if (strcmp(argv[i], "admin") == 0)
				mode = SIGMODE_ADMIN;
			else if (strcmp(argv[i], "verify") == 0)
				mode = SIGMODE_VERIFY;
			else {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--operator") == 0 && i + 1 < argc)
			operator_name = argv[++i];
		else if (strcmp(argv[i], "--station-uid") == 0 && i + 1 < argc)
			station_uid = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--registry-file") == 0 && i + 1 < argc)
			registry_file = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "-v") == 0)
			log_set_level(LOG_DEBUG);
		else {
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "fleet-init") == 0 && registry_file != NULL)
		return fleet_init(registry_file);
	if (profile == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0 && fd >= 0) {
		if (channels_ok(fd, (unsigned)nch) != 0)
			return 2;
		return serve(fd, (unsigned)nch, profile, mode, station_uid, operator_name);
	}
	if (strcmp(argv[1], "forward") == 0)
		return forward(profile, once);
	if (strcmp(argv[1], "token-init") == 0 && so_pin_file != NULL)
		return ceremony_token(profile, so_pin_file);
	if (strcmp(argv[1], "ca-init") == 0)
		return ceremony_init(profile);
	usage(stderr);
	return 2;
}
