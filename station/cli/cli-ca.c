/*
 * cli-ca.c: `station ca init|info|crl`. The station never touches PKCS#11 itself: init runs the
 * signer program's ceremony; info and crl ask a started signer.
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "profile.h"
#include "signer.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: station ca init --profile FILE    create the CA, audit and commitment keys in the\n"
	    "                                         token and certify the issuing CA (idempotent)\n"
	    "       station ca info --profile FILE    token, key URIs, CA certificate and quota (JSON)\n"
	    "       station ca crl  --profile FILE [--out FILE] [--pem]\n"
	    "                                         revocation list of void certificates, signed\n"
	    "                                         through PKCS#11 (DER, or PEM with --pem)\n"
	    "The HSM PIN comes from [hsm] pin_file, $STATION_HSM_PIN or a prompt; never argv.\n"
	    "exit: 0 ok, 2 usage, 3 profile, 4 HSM, 5 database\n");
}

static int
run_ceremony(const char *profile)
{
	char prog[CAP_PATH + 64];
	pid_t pid;
	int st = 0;

	if (signer_program(prog, sizeof(prog)) != 0) {
		fprintf(stderr, "station: cannot find the station-signer program; reinstall or set "
		    "STATION_SIGNER\n");
		return EXIT_HSM;
	}
	fflush(stdout);
	if ((pid = fork()) < 0)
		return EXIT_HSM;
	if (pid == 0) {
		/* Service mode: the ceremony's token objects and records belong to the signer user. */
		if (cli_become_signer() != 0)
			_exit(EXIT_HSM);
		execl(prog, "station-signer", "ca-init", "--profile", profile, (char *)NULL);
		fprintf(stderr, "station: cannot run %s: %s\n", prog, strerror(errno));
		_exit(EXIT_HSM);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_HSM;
}

static int
write_out(const char *path, const uint8_t *p, size_t n)
{
	if (path == NULL)
		return fwrite(p, 1, n, stdout) == n ? 0 : -1;
	return util_write_file(path, p, n, 0644);
}

static int
crl(struct signer *s, const char *out, int pem)
{
	struct signer_err se;
	uint8_t *der = NULL;
	size_t n = 0;
	int rc = EXIT_HSM;

	if (signer_crl(s, &der, &n, &se) != 0) {
		fprintf(stderr, "station: no CRL: %s\n", se.text);
		return EXIT_HSM;
	}
	if (pem) {
		const unsigned char *p = der;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)n);
		BIO *m = BIO_new(BIO_s_mem());
		char *txt = NULL;
		long tl;

		if (c != NULL && m != NULL && PEM_write_bio_X509_CRL(m, c) == 1) {
			tl = BIO_get_mem_data(m, &txt);
			rc = write_out(out, (const uint8_t *)txt, (size_t)tl) == 0 ? EXIT_OK : EXIT_DB;
		}
		X509_CRL_free(c);
		BIO_free(m);
	} else
		rc = write_out(out, der, n) == 0 ? EXIT_OK : EXIT_DB;
	free(der);
	return rc;
}

int
cli_ca(int argc, char **argv)
{
	static const struct option opts[] = { { "profile", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' }, { "pem", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *profile = NULL, *out = NULL, *sub;
	struct signer *s = NULL;
	struct signer_err se;
	char *info = NULL;
	int c, pem = 0, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	sub = argv[1];
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': profile = optarg; break;
		case 'o': out = optarg; break;
		case 'P': pem = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (profile == NULL || optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Profile errors are the engineer's (exit 3, file:line), not the HSM's: check here first. */
	{
		struct profile *prof = calloc(1, sizeof(*prof));
		char err[512];

		if (prof == NULL)
			return EXIT_FAIL;
		rc = profile_load(profile, prof, err, sizeof(err));
		free(prof);
		if (rc != 0) {
			fprintf(stderr, "station: %s\n", err);
			return EXIT_PROFILE;
		}
	}
	if (strcmp(sub, "init") == 0)
		return cli_privsep("station ca init") != 0 ? EXIT_HSM : run_ceremony(profile);
	if (strcmp(sub, "info") != 0 && strcmp(sub, "crl") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cli_signer("station", profile, SIGMODE_ADMIN, NULL, &s) != 0)
		return EXIT_HSM;
	if (strcmp(sub, "info") == 0) {
		if ((rc = signer_info(s, &info, &se)) == 0)
			printf("%s\n", info);
		else
			fprintf(stderr, "station: %s\n", se.text);
		rc = rc == 0 ? EXIT_OK : EXIT_HSM;
		free(info);
	} else
		rc = crl(s, out, pem);
	signer_stop(s);
	return rc;
}
