/*
 * signer-driver.c: a station as a compromised one could be, for tests/integration/test-signer.sh
 * and test-hostile.sh. Links only the station's side (libstation, libcore: no PKCS#11) and
 * speaks the signer protocol (sigproto.h) to a real station-signer, sending whatever it is told.
 *
 *   signer-driver script PROFILE [run|admin|verify]
 *       starts the signer in that mode (default run) and reads one command per line on stdin:
 *         session LOT OPERATOR              board CHIP [model=M] [fw=VER] [digest=HEX] [state=N]
 *         commit CHIP [PASSWORD]            issue CHIP NONCEHEX CSR.der OUT.der
 *         verified CHIP                     pass CHIP
 *         fail CHIP|- STEP CODE             cert CHIP OUT.der
 *         lot-open LOT | lot-close LOT | lot-status LOT
 *         checkpoint [force]                stop
 *         lookup CHIP [OUT.der]             checked CHIP pass|E_CODE [FIXTURE] [sig=HEX|sigfile=F]
 *         release CHIP REASON-WORD          cred CHIP KIND PUBLIC SECRET (COMMIT_CRED)
 *         raw HEX                           (a request body sent as is, past the encoder)
 *       CHIP is hex; model and firmware default to the profile's first allow-list entry.
 *       lookup prints the signer's challenge in hex (challenge=, empty unless PASS); checked
 *       sends the board's proof given in hex or as a file of raw bytes (none when not given).
 *       Each command prints one line: "ok ..." or "refused <status> <REFUSAL>: <text>".
 *       exit 0 when the commands ran (whatever the signer said), 4 when the signer did not start.
 *   signer-driver maps PROFILE [HOLD_SECONDS]
 *       starts the signer, prints "driver <pid>" and "signer <pid>", checks that this process maps
 *       no PKCS#11 module and that the signer does; then optionally sleeps (for ps sampling).
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "profile.h"
#include "sigproto.h"
#include "signer.h"
#include "util.h"

static int
read_all(const char *path, uint8_t **out, size_t *len)
{
	return util_read_file(path, CAP_SIGNER_MSG, out, len);
}

static int
chip_arg(const char *hex, struct sigp_board *b)
{
	int n = util_unhex(hex, b->chip, sizeof(b->chip));

	if (strcmp(hex, "-") == 0) {
		b->chip_len = 0;
		return 0;
	}
	if (n < 0)
		return -1;
	b->chip_len = (uint8_t)n;
	return 0;
}

static void
refused(const struct signer_err *se)
{
	printf("refused %s %s: %s\n", sigp_status_name(se->status), sigp_refusal_name(se->detail),
	    se->text);
}

/* One scripted command; prints its outcome. */
static void
command(struct signer *s, const struct profile *prof, char *line)
{
	char *argv[16], *tok, *save = NULL;
	int argc = 0, i;
	struct sigp_req *q = calloc(1, sizeof(*q));
	struct sigp_rsp *p = calloc(1, sizeof(*p));
	struct signer_err se;
	uint8_t *blob = NULL, *csr = NULL;
	size_t n = 0;

	for (tok = strtok_r(line, " \t\n", &save); tok != NULL && argc < 16;
	     tok = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = tok;
	if (argc == 0 || q == NULL || p == NULL)
		goto out;
	memset(&se, 0, sizeof(se));
	/* Defaults: what an honest board of this profile would say. */
	snprintf(q->board.model, sizeof(q->board.model), "%s", prof->model);
	snprintf(q->board.fw_version, sizeof(q->board.fw_version), "%s", prof->allow[0].version);
	memcpy(q->board.fw_digest, prof->allow[0].digest, 32);
	q->board.proto_version = PROTO_VERSION;
	q->board.state = ST_BLANK;
	snprintf(q->board.fixture, sizeof(q->board.fixture), "driver");
	if (strcmp(argv[0], "raw") == 0 && argc == 2) {
		uint8_t body[CAP_SIGNER_MSG];
		int bl = util_unhex(argv[1], body, sizeof(body));

		if (bl <= 0)
			printf("bad hex\n");
		else if (signer_raw(s, body, (size_t)bl, p, &se) != 0)
			refused(&se);
		else
			printf("ok\n");
		goto out;
	}
	if (argc >= 2 && strcmp(argv[0], "session") != 0 && strncmp(argv[0], "lot-", 4) != 0 &&
	    strcmp(argv[0], "checkpoint") != 0 && chip_arg(argv[1], &q->board) != 0) {
		printf("bad chip %s\n", argv[1]);
		goto out;
	}
	if (strcmp(argv[0], "session") == 0 && argc == 3) {
		q->op = SIGOP_SESSION;
		snprintf(q->lot, sizeof(q->lot), "%s", argv[1]);
		snprintf(q->operator_name, sizeof(q->operator_name), "%s", argv[2]);
	} else if (strcmp(argv[0], "board") == 0 && argc >= 2) {
		q->op = SIGOP_BOARD;
		for (i = 2; i < argc; i++) {
			if (strncmp(argv[i], "model=", 6) == 0)
				snprintf(q->board.model, sizeof(q->board.model), "%s", argv[i] + 6);
			else if (strncmp(argv[i], "fw=", 3) == 0)
				snprintf(q->board.fw_version, sizeof(q->board.fw_version), "%s", argv[i] + 3);
			else if (strncmp(argv[i], "digest=", 7) == 0)
				(void)util_unhex(argv[i] + 7, q->board.fw_digest, 32);
			else if (strncmp(argv[i], "state=", 6) == 0)
				q->board.state = (uint8_t)atoi(argv[i] + 6);
		}
	} else if (strcmp(argv[0], "commit") == 0 && argc >= 2) {
		q->op = SIGOP_COMMIT_PW;
		if (argc >= 3)
			snprintf(q->password, sizeof(q->password), "%s", argv[2]);
		else {
			uint8_t r[12];
			char hex[25];

			if (RAND_bytes(r, sizeof(r)) != 1)
				goto out;
			snprintf(q->password, sizeof(q->password), "%s", util_hex(r, sizeof(r), hex,
			    sizeof(hex)));
		}
	} else if (strcmp(argv[0], "cred") == 0 && argc == 5) {
		/* cred CHIP KIND PUBLIC SECRET: COMMIT_CRED as a compromised station may send it */
		q->op = SIGOP_COMMIT_CRED;
		q->cred_kind = (uint8_t)atoi(argv[2]);
		snprintf(q->cred_public, sizeof(q->cred_public), "%s", argv[3]);
		snprintf(q->cred_secret, sizeof(q->cred_secret), "%s", argv[4]);
	} else if (strcmp(argv[0], "issue") == 0 && argc == 5) {
		int nl;

		q->op = SIGOP_ISSUE;
		if ((nl = util_unhex(argv[2], q->nonce, sizeof(q->nonce))) < 0 ||
		    read_all(argv[3], &csr, &n) != 0) {
			printf("bad nonce or CSR file\n");
			goto out;
		}
		q->nonce_len = (uint8_t)nl;
		q->csr = csr;
		q->csr_len = n;
	} else if (strcmp(argv[0], "verified") == 0 && argc == 2)
		q->op = SIGOP_VERIFIED;
	else if (strcmp(argv[0], "pass") == 0 && argc == 2)
		q->op = SIGOP_PASS;
	else if (strcmp(argv[0], "cert") == 0 && argc == 3)
		q->op = SIGOP_CERT;
	else if (strcmp(argv[0], "fail") == 0 && argc == 4) {
		q->op = SIGOP_FAIL;
		snprintf(q->step, sizeof(q->step), "%s", argv[2]);
		snprintf(q->code, sizeof(q->code), "%s", argv[3]);
		snprintf(q->reason, sizeof(q->reason), "reported by the test driver");
	} else if (strncmp(argv[0], "lot-", 4) == 0 && argc == 2) {
		q->op = strcmp(argv[0], "lot-open") == 0 ? SIGOP_LOT_OPEN :
		    strcmp(argv[0], "lot-close") == 0 ? SIGOP_LOT_CLOSE : SIGOP_LOT_STATUS;
		snprintf(q->lot, sizeof(q->lot), "%s", argv[1]);
	} else if (strcmp(argv[0], "checkpoint") == 0) {
		q->op = SIGOP_CHECKPOINT;
		q->force = argc >= 2 && strcmp(argv[1], "force") == 0;
		snprintf(q->trigger, sizeof(q->trigger), "driver");
	} else if (strcmp(argv[0], "stop") == 0)
		q->op = SIGOP_STOP;
	else if (strcmp(argv[0], "lookup") == 0 && argc >= 2)
		q->op = SIGOP_LOOKUP;
	else if (strcmp(argv[0], "checked") == 0 && argc >= 3) {
		q->op = SIGOP_CHECKED;
		q->ok = strcmp(argv[2], "pass") == 0;
		snprintf(q->code, sizeof(q->code), "%s", q->ok ? "" : argv[2]);
		snprintf(q->board.fixture, sizeof(q->board.fixture), "eol-1");
		snprintf(q->reason, sizeof(q->reason), "%s", q->ok ? "" : "re-check failed (test driver)");
		for (i = 3; i < argc; i++) {
			if (strncmp(argv[i], "sig=", 4) == 0) {
				int sl = util_unhex(argv[i] + 4, q->sig, sizeof(q->sig));

				if (sl < 0) {
					printf("bad signature hex\n");
					goto out;
				}
				q->sig_len = (uint16_t)sl;
			} else if (strncmp(argv[i], "sigfile=", 8) == 0) {
				if (read_all(argv[i] + 8, &blob, &n) != 0 || n > sizeof(q->sig)) {
					printf("bad signature file\n");
					goto out;
				}
				memcpy(q->sig, blob, n);
				q->sig_len = (uint16_t)n;
				free(blob);
				blob = NULL;
			} else
				snprintf(q->board.fixture, sizeof(q->board.fixture), "%s", argv[i]);
		}
	} else if (strcmp(argv[0], "release") == 0 && argc == 3) {
		q->op = SIGOP_RELEASE;
		snprintf(q->reason, sizeof(q->reason), "%s", argv[2]);
	} else {
		printf("unknown command %s\n", argv[0]);
		goto out;
	}
	if (signer_call(s, q, p, &blob, &se) != 0) {
		refused(&se);
		goto out;
	}
	switch (q->op) {
	case SIGOP_SESSION:
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS:
		printf("ok lot %s closed=%u used=%u/%u product=%u/%u recovered=%u\n", p->lot.lot,
		    p->lot.closed, p->lot.used, p->lot.quota, p->lot.product_used, p->lot.product_quota,
		    p->lot.recovered);
		break;
	case SIGOP_BOARD:
		printf("ok %s %s %s\n", p->disposition == SIGB_NEW ? "new" : "resume", p->serial,
		    p->cert_serial);
		break;
	case SIGOP_ISSUE:
	case SIGOP_CERT:
		if (util_write_file(argv[q->op == SIGOP_ISSUE ? 4 : 2], blob, p->blob_len, 0644) != 0) {
			printf("cannot write the certificate\n");
			break;
		}
		printf("ok issued %s\n", p->cert_serial);
		break;
	case SIGOP_CHECKPOINT:
		printf("ok checkpoint signed=%u size=%u\n", p->signed_now, p->size_lo);
		break;
	case SIGOP_LOOKUP:
		if (argc >= 3 && p->blob_len > 0 && util_write_file(argv[2], blob, p->blob_len, 0644) != 0) {
			printf("cannot write the certificate\n");
			break;
		}
		{
			char ch[2 * SIGP_CHALLENGE + 1];

			printf("ok lookup %s serial=%s cert=%s der=%zu challenge=%s reason=%s\n",
			    p->kind == SIGREC_NONE ? "NONE" : p->kind == SIGREC_VERIFIED ? "VERIFIED" :
			    p->kind == SIGREC_PASS ? "PASS" : "QUARANTINED", p->serial, p->cert_serial,
			    p->blob_len, util_hex(p->challenge, p->challenge_len, ch, sizeof(ch)),
			    p->reason);
		}
		break;
	default: printf("ok\n"); break;
	}
out:
	if (q != NULL)
		util_wipe(q, sizeof(*q));
	free(q);
	free(p);
	free(blob);
	free(csr);
	fflush(stdout);
}

static int
maps(const char *profile, int hold)
{
	struct signer_opts o = { 0 };
	struct signer *s = NULL;
	struct signer_err se;
	char path[64], line[1024];
	FILE *f;
	int self_dirty = 0, signer_has = 0;

	o.mode = SIGMODE_ADMIN;
	o.station_uid = (long)getuid();
	if (signer_start(profile, &o, &s, &se) != 0) {
		fprintf(stderr, "signer-driver: %s\n", se.text);
		return 4;
	}
	printf("driver %d\nsigner %d\n", (int)getpid(), signer_pid(s));
	if ((f = fopen("/proc/self/maps", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "softhsm") || strstr(line, "pkcs11") || strstr(line, "p11-kit"))
				self_dirty = 1;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", signer_pid(s));
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "libsofthsm2"))
				signer_has = 1;
		fclose(f);
	}
	printf("driver-maps %s\n", self_dirty ? "DIRTY" : "clean");
	printf("signer-maps %s\n", signer_has ? "libsofthsm2" : "none");
	fflush(stdout);
	if (hold > 0)
		sleep((unsigned)hold);
	signer_stop(s);
	return !self_dirty && signer_has ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct signer_opts o = { 0 };
	struct profile *prof;
	struct signer *s = NULL;
	struct signer_err se;
	char err[CAP_REASON * 2], line[4096];

	log_init("signer-driver", LOG_WARN);
	if (argc >= 3 && strcmp(argv[1], "maps") == 0)
		return maps(argv[2], argc >= 4 ? atoi(argv[3]) : 0);
	if (argc < 3 || strcmp(argv[1], "script") != 0) {
		fprintf(stderr, "usage: signer-driver script PROFILE [run|admin|verify] < commands\n"
		                "       signer-driver maps PROFILE [HOLD_SECONDS]\n");
		return 2;
	}
	if ((prof = calloc(1, sizeof(*prof))) == NULL ||
	    profile_load(argv[2], prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "signer-driver: %s\n", prof ? err : "out of memory");
		return 3;
	}
	o.mode = argc >= 4 && strcmp(argv[3], "admin") == 0 ? SIGMODE_ADMIN :
	    argc >= 4 && strcmp(argv[3], "verify") == 0 ? SIGMODE_VERIFY : SIGMODE_RUN;
	o.station_uid = (long)getuid();
	if (signer_start(argv[2], &o, &s, &se) != 0) {
		printf("start-failed %s: %s\n", sigp_status_name(se.status), se.text);
		free(prof);
		return 4;
	}
	while (fgets(line, sizeof(line), stdin) != NULL)
		command(s, prof, line);
	signer_stop(s);
	free(prof);
	return 0;
}
