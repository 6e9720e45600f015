/*
 * bench-floor.c PROFILE [BOARDS]: the crypto floor of one board (PRODUCT §9, issue #14), measured
 * with the station's own HSM, keys, module and library calls, in CPU time (getrusage user +
 * system), not wall time. Per board the station cannot do less than:
 *   - sign: one ECDSA P-256 signature by the CA key in the HSM: SHA-256 of a TBS certificate,
 *     then C_SignInit + C_Sign (CKM_ECDSA) through hsm/pkcs11 (p11_sign), and r||s to DER, as
 *     srv_ecdsa_sign does (hsm/signer/srv-sign.c);
 *   - csr: the CSR self-signature check, X509_REQ_verify on a P-256 / SHA-256 request, as
 *     issue_csr_load does (station/common/issue-csr.c) - once: the station and the signer both
 *     check it, the second check is overhead, not floor;
 *   - prove: the key-possession proof, EVP_DigestVerifyInit + EVP_DigestVerify over
 *     "SPv1-PROVE" || challenge (32 bytes), as prove_check does (station/common/prove.c);
 *   - hmac: the password commitment, C_SignInit + C_Sign (CKM_SHA256_HMAC) with the commit key
 *     over a 12-character password, as commit_pw does (hsm/signer/srv-board.c).
 * Parsing (CSR, certificate) is left out: it is not crypto and a lean path avoids most of it.
 * Prints machine-readable lines: "floor-<part>-ms X" per operation and "floor-ms X" (their sum).
 * The PIN comes from the profile's pin_file (or $STATION_HSM_PIN), never the command line.
 * A benchmark, not a test: scripts/bench.sh builds and runs it.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "p11.h"
#include "profile.h"
#include "proto.h"

static double
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

struct ctx {
	struct p11 *p11;
	CK_OBJECT_HANDLE ca_key, commit_key;
	X509_REQ *req;
	EVP_PKEY *board; /* the board's key pair (its public half verifies) */
	uint8_t tbs[420], msg[PROVE_PREFIX_LEN + 32], sig[80];
	size_t siglen;
};

static int
op_sign(struct ctx *c)
{
	uint8_t dg[32], raw[132], der[80], *p = der;
	size_t rl = sizeof(raw);
	ECDSA_SIG *es;
	int ok;

	c->tbs[0]++; /* a new certificate body each time */
	if (EVP_Digest(c->tbs, sizeof(c->tbs), dg, NULL, EVP_sha256(), NULL) != 1 ||
	    p11_sign(c->p11, c->ca_key, CKM_ECDSA, dg, sizeof(dg), raw, &rl) != 0 || rl != 64 ||
	    (es = ECDSA_SIG_new()) == NULL)
		return -1;
	ok = ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)) == 1 &&
	    i2d_ECDSA_SIG(es, &p) > 0;
	ECDSA_SIG_free(es);
	return ok ? 0 : -1;
}

static int
op_csr(struct ctx *c)
{
	return X509_REQ_verify(c->req, X509_REQ_get0_pubkey(c->req)) == 1 ? 0 : -1;
}

static int
op_prove(struct ctx *c)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, c->board) == 1 &&
	    EVP_DigestVerify(md, c->sig, c->siglen, c->msg, sizeof(c->msg)) == 1;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int
op_hmac(struct ctx *c)
{
	uint8_t mac[32];
	size_t ml = sizeof(mac);

	return p11_sign(c->p11, c->commit_key, CKM_SHA256_HMAC, (const uint8_t *)"Xk4-pq7R-m2Tz",
	    12, mac, &ml) == 0 && ml == 32 ? 0 : -1;
}

/* The board's side, once: its key, its CSR and a proof over a challenge. */
static int
board_make(struct ctx *c)
{
	EVP_MD_CTX *md = NULL;
	X509_NAME *n;
	int ok = 0;

	memcpy(c->msg, PROVE_PREFIX, PROVE_PREFIX_LEN);
	memset(c->msg + PROVE_PREFIX_LEN, 0x5a, 32);
	memset(c->tbs, 0x30, sizeof(c->tbs));
	c->siglen = sizeof(c->sig);
	if ((c->board = EVP_EC_gen("P-256")) == NULL || (c->req = X509_REQ_new()) == NULL ||
	    (n = X509_REQ_get_subject_name(c->req)) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"chip-0011223344",
	        -1, -1, 0) != 1 ||
	    X509_REQ_set_pubkey(c->req, c->board) != 1 ||
	    X509_REQ_sign(c->req, c->board, EVP_sha256()) <= 0 || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->board) != 1 ||
	    EVP_DigestSign(md, c->sig, &c->siglen, c->msg, sizeof(c->msg)) != 1)
		goto out;
	ok = 1;
out:
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctx *);
	} ops[] = { { "sign", op_sign }, { "csr", op_csr }, { "prove", op_prove }, { "hmac", op_hmac } };
	static struct profile prof;
	struct ctx c;
	char err[512], pin[256];
	size_t pinlen = 0, i;
	long n = argc > 2 ? atol(argv[2]) : 1000, k;
	double total = 0, t0;
	int rc = 1;

	memset(&c, 0, sizeof(c));
	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: bench-floor PROFILE [BOARDS]\n");
		return 2;
	}
	if (profile_load(argv[1], &prof, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-floor: %s\n", err);
		return 1;
	}
	if (p11_read_pin(prof.pin_file[0] ? prof.pin_file : NULL, "STATION_HSM_PIN", pin,
	        sizeof(pin), &pinlen) != 0 || p11_open(prof.module, &c.p11) != 0 ||
	    p11_login(c.p11, prof.token_uri, pin, pinlen) != 0 ||
	    p11_find(c.p11, prof.ca_key_uri, CKO_PRIVATE_KEY, &c.ca_key) != 0 ||
	    p11_find(c.p11, prof.commit_key_uri, CKO_SECRET_KEY, &c.commit_key) != 0) {
		fprintf(stderr, "bench-floor: cannot use the HSM of %s (see above)\n", argv[1]);
		goto out;
	}
	if (board_make(&c) != 0) {
		fprintf(stderr, "bench-floor: cannot make the board's CSR and proof\n");
		goto out;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (k = 0; k < 20; k++) /* warm-up: first-use costs are start-up, not per board */
			if (ops[i].fn(&c) != 0)
				goto fail;
		t0 = cpu_ms();
		for (k = 0; k < n; k++)
			if (ops[i].fn(&c) != 0)
				goto fail;
		t0 = (cpu_ms() - t0) / (double)n;
		total += t0;
		printf("floor-%s-ms %.4f\n", ops[i].name, t0);
	}
	printf("floor-ms %.4f\n", total);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench-floor: %s failed\n", ops[i].name);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	X509_REQ_free(c.req);
	EVP_PKEY_free(c.board);
	p11_close(c.p11);
	return rc;
}
