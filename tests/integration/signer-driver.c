/*
 * signer-driver.c: test driver for tests/integration/test-signer.sh. Links only the station's
 * side (libstation, libcore: no PKCS#11) and talks to the real station-signer through signer.h,
 * as the board-facing station does.
 *
 *   signer-driver issue PROFILE LOT CHIPHEX SERIAL MODEL NONCEHEX CSR.der OUT.der
 *       exit 0 + "issued <cert_serial>"; 1 + "refused <status> <detail>: <text>"; 4 start failure
 *   signer-driver maps PROFILE [HOLD_SECONDS]
 *       starts the signer, prints "driver <pid>" and "signer <pid>", checks that this process maps
 *       no PKCS#11 module and that the signer does; then optionally sleeps (for ps sampling).
 *       exit 0 when both hold, 1 otherwise, 4 start failure
 *   signer-driver void DB PRODUCT LOT CHIPHEX SERIAL CERT_SERIAL
 *       records a failure after issuance with the registry API (the certificate becomes void)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "registry.h"
#include "sigproto.h"
#include "signer.h"

static int
read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	size_t n = 0;

	if (f == NULL || (b = malloc(CAP_SIGNER_MSG)) == NULL) {
		if (f)
			fclose(f);
		return -1;
	}
	n = fread(b, 1, CAP_SIGNER_MSG, f);
	fclose(f);
	*out = b;
	*len = n;
	return 0;
}

static int
unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t i, n = strlen(s);

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* 1 when /proc/<pid>/maps ("self" when pid is 0) maps a PKCS#11 module, 0 when not, -1 on error. */
static int
maps_pkcs11(int pid, char *hit, size_t cap)
{
	char path[64], line[1024];
	FILE *f;
	int found = 0;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/maps");
	else
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "softhsm") || strstr(line, "pkcs11") || strstr(line, "p11-kit") ||
		    strstr(line, "libp11")) {
			if (!found)
				snprintf(hit, cap, "%s", line);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int
do_issue(char **av)
{
	struct signer *s = NULL;
	struct signer_err se;
	struct signer_issue rq;
	uint8_t nonce[64], *csr = NULL, *cert = NULL;
	size_t nl = 0, cl = 0, certlen = 0;
	char cs[128];
	FILE *f;
	int rc = 1;

	if (unhex(av[5], nonce, sizeof(nonce), &nl) != 0 || read_all(av[6], &csr, &cl) != 0) {
		fprintf(stderr, "signer-driver: bad nonce or unreadable CSR\n");
		return 2;
	}
	if (signer_start(av[0], &s, &se) != 0) {
		printf("start-failed %s: %s\n", sigp_status_name(se.status), se.text);
		free(csr);
		return 4;
	}
	memset(&rq, 0, sizeof(rq));
	rq.lot = av[1];
	rq.operator_name = "itest-operator";
	rq.chip_hex = av[2];
	rq.serial = av[3];
	rq.model = av[4];
	rq.nonce = nonce;
	rq.nonce_len = nl;
	rq.csr = csr;
	rq.csr_len = cl;
	if (signer_issue(s, &rq, &cert, &certlen, cs, sizeof(cs), &se) != 0) {
		printf("refused %s %d: %s\n", sigp_status_name(se.status), se.detail, se.text);
		goto out;
	}
	if ((f = fopen(av[7], "wb")) == NULL || fwrite(cert, 1, certlen, f) != certlen) {
		if (f)
			fclose(f);
		fprintf(stderr, "signer-driver: cannot write %s\n", av[7]);
		rc = 2;
		goto out;
	}
	fclose(f);
	printf("issued %s\n", cs);
	rc = 0;
out:
	free(cert);
	free(csr);
	signer_stop(s);
	return rc;
}

static int
do_maps(const char *profile, unsigned hold)
{
	struct signer *s = NULL;
	struct signer_err se;
	char hit[1024] = "";
	int self, child, rc = 0;

	if (signer_start(profile, &s, &se) != 0) {
		printf("start-failed %s: %s\n", sigp_status_name(se.status), se.text);
		return 4;
	}
	printf("driver %d\nsigner %d\n", (int)getpid(), signer_pid(s));
	self = maps_pkcs11(0, hit, sizeof(hit));
	if (self != 0) {
		printf("FAIL driver maps a PKCS#11 module: %s", hit);
		rc = 1;
	} else
		printf("driver-maps clean\n");
	child = maps_pkcs11(signer_pid(s), hit, sizeof(hit));
	if (child != 1) {
		printf("FAIL signer maps no PKCS#11 module (%d)\n", child);
		rc = 1;
	} else
		printf("signer-maps %s", hit);
	fflush(stdout);
	if (hold > 0)
		sleep(hold);
	signer_stop(s);
	return rc;
}

static int
do_void(char **av)
{
	struct audit *a = NULL;
	struct audit_who w;
	int r;

	if (audit_open(av[0], &a) != 0) {
		fprintf(stderr, "signer-driver: cannot open %s\n", av[0]);
		return 5;
	}
	w.station = "itest-station";
	w.operator_name = "itest-operator";
	w.lot = av[2];
	r = reg_fail(a, &w, av[1], av[3], av[4], av[5], "install", "E_TEST",
	    "test: board failed after issuance");
	audit_close(a);
	if (r != 0) {
		fprintf(stderr, "signer-driver: reg_fail: %d\n", r);
		return 5;
	}
	printf("void %s\n", av[5]);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("signer-driver", LOG_INFO);
	if (argc == 10 && strcmp(argv[1], "issue") == 0)
		return do_issue(argv + 2);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "maps") == 0)
		return do_maps(argv[2], argc == 4 ? (unsigned)atoi(argv[3]) : 0);
	if (argc == 8 && strcmp(argv[1], "void") == 0)
		return do_void(argv + 2);
	fprintf(stderr, "usage: signer-driver issue PROFILE LOT CHIPHEX SERIAL MODEL NONCEHEX CSR OUT\n"
	                "       signer-driver maps PROFILE [HOLD_SECONDS]\n"
	                "       signer-driver void DB PRODUCT LOT CHIPHEX SERIAL CERT_SERIAL\n");
	return 2;
}
