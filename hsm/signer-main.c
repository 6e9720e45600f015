/*
 * signer-main.c: station-signer, the only program that loads PKCS#11 (PRODUCT §4, §6).
 *   station-signer serve --fd N --profile FILE   serve sigproto.h requests on fd N (the station starts this)
 *   station-signer ca-init --profile FILE        key ceremony on the configured token
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"
#include "ceremony.h"
#include "cursor.h"
#include "log.h"
#include "sigproto.h"
#include "srv.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: station-signer serve --fd N --profile FILE\n"
	           "       station-signer ca-init --profile FILE\n"
	           "       station-signer token-init --profile FILE --so-pin-file FILE\n"
	           "The station starts 'serve' itself; run 'station ca init' rather than ca-init.\n");
}

static int
serve(int fd, const char *profile)
{
	static uint8_t req[CAP_SIGNER_MSG], rsp[CAP_SIGNER_MSG];
	char why[CAP_REASON * 2];
	struct srv *s = NULL;
	struct audit_who w;
	size_t n = 0, rl = 0;
	struct wcur wc;
	int r;

	if (srv_open(profile, 1, &s, why, sizeof(why)) != 0) {
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
	w.station = s->prof.station_id;
	w.operator_name = s->prof.operator_name;
	w.lot = s->prof.lot;
	(void)audit_log(s->audit, &w, "hsm.login", NULL, NULL,
	    json_pack("{s:s,s:s}", "module", s->prof.module, "token", s->prof.token_uri));
	for (;;) {
		r = sigp_recv(fd, req, sizeof(req), &n);
		if (r == -1 && errno == 0)
			break; /* the station closed the socket */
		if (r != 0) {
			log_error("malformed request stream from the station; stopping");
			break;
		}
		srv_handle(s, req, n, rsp, sizeof(rsp), &rl);
		util_wipe(req, n);
		if (sigp_send(fd, rsp, rl) != 0)
			break;
	}
	srv_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *profile = NULL, *so_pin_file = NULL;
	int fd = -1, i;

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
	if (profile == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "serve") == 0 && fd >= 0)
		return serve(fd, profile);
	if (strcmp(argv[1], "token-init") == 0 && so_pin_file != NULL)
		return ceremony_token(profile, so_pin_file);
	if (strcmp(argv[1], "ca-init") == 0)
		return ceremony_init(profile);
	usage(stderr);
	return 2;
}
