/*
 * reverify.c: an already provisioned board seated again (a good board left in its fixture, or
 * end-of-line QA with `station verify`) is checked against its record instead of being
 * provisioned twice: the certificate it holds is the recorded one and chains to the CA, it
 * proves it holds that certificate's key now, and it is locked. The outcome is recorded
 * (board.checked). A board that is LOCKED but disagrees with its record fails E_MISMATCH.
 *
 * The proof is over the challenge the signer gave with the record (LOOKUP, S-29), and the
 * board's signature goes to the signer with the pass (CHECKED), which verifies it itself before
 * it records a PASS: the station checks it too, for the operator's message.
 */
#include "flow-int.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* 1 when der is a certificate issued by the CA certificate ca_der (name and signature). */
static int
chains_to_ca(const uint8_t *der, size_t len, const uint8_t *ca_der, size_t ca_len)
{
	const unsigned char *p = der, *q = ca_der;
	X509 *x = d2i_X509(NULL, &p, (long)len), *ca = d2i_X509(NULL, &q, (long)ca_len);
	int ok = 0;

	if (x != NULL && ca != NULL && p == der + len)
		ok = X509_check_issued(ca, x) == X509_V_OK &&
		    X509_verify(x, X509_get0_pubkey(ca)) == 1;
	X509_free(x);
	X509_free(ca);
	return ok;
}

/* 0 when the board agrees with rec, with its proof over rec's challenge in sig (*siglen);
 * -1 with the result set. */
static int
check(struct fl *f, const struct signer_record *rec, uint8_t *sig, size_t sigcap, size_t *siglen)
{
	uint8_t chain[MSG_MAX_CHAIN];
	size_t n = 0;

	flow_step(f, "verify", 30);
	if (f->hello.state != ST_LOCKED)
		return flow_fail(f, "E_MISMATCH", "the record has serial %s as provisioned and locked, "
		    "but the board says %s", rec->serial, proto_statename(f->hello.state));
	if (rec->cert == NULL || rec->cert_len == 0 || rec->cert_len > CAP_CERT_DER)
		return flow_fail(f, "E_MISMATCH", "the record of serial %s holds no certificate; call "
		    "the engineer", rec->serial);
	if (rec->challenge_len != SIGP_CHALLENGE)
		return flow_fail(f, "E_SIGNER", "the signer gave no challenge with the record of serial "
		    "%s; stop the line and call the engineer", rec->serial);
	if (flow_read_object(f, OBJ_CHAIN, chain, sizeof(chain), &n) != 0)
		return -1;
	if (n < rec->cert_len || memcmp(chain, rec->cert, rec->cert_len) != 0)
		return flow_fail(f, "E_MISMATCH", "the certificate on the board is not the one recorded "
		    "for serial %s", rec->serial);
	if (!chains_to_ca(rec->cert, rec->cert_len, f->env->ca_der, f->env->ca_len))
		return flow_fail(f, "E_MISMATCH", "the certificate of serial %s does not chain to this "
		    "station's CA", rec->serial);
	if ((f->cert = malloc(rec->cert_len)) == NULL)
		return flow_fail(f, "E_INTERNAL", "out of memory");
	memcpy(f->cert, rec->cert, rec->cert_len);
	f->cert_len = rec->cert_len;
	flow_step(f, "prove", 60);
	if (flow_prove(f, rec->challenge, rec->challenge_len, sig, sigcap, siglen) != 0) {
		if (f->link_rc == LINK_OK)
			snprintf(f->res->code, sizeof(f->res->code), "E_MISMATCH");
		return -1;
	}
	flow_step(f, "lock", 85);
	return flow_lock_confirm(f);
}

int
flow_reverify(struct fl *f, const struct signer_record *rec)
{
	uint8_t sig[SIGP_MAX_SIG];
	struct signer_err se;
	size_t sl = 0;
	int r = check(f, rec, sig, sizeof(sig), &sl);

	if (signer_checked(f->env->signer, f->hello.chip_id, f->hello.chip_id_len, r == 0,
	        f->fixture, r == 0 ? "" : f->res->code, r == 0 ? "" : f->res->reason, sig,
	        r == 0 ? sl : 0, &se) == 0)
		f->recorded = 1;
	else if (r == 0 && se.status == SIGST_POLICY && se.detail == SIGR_PROOF) {
		/* The signer refused the proof the station accepted, and recorded the refusal. */
		f->recorded = 1;
		f->signer_st = se.status;
		return flow_fail(f, "E_MISMATCH", "the signer did not accept the board's proof: %s",
		    se.text);
	} else
		log_error("fixture %s: cannot record the re-verification: %s", f->fixture, se.text);
	if (r == 0 && !f->recorded)
		return flow_fail(f, "E_DB", "the board is good but its check could not be recorded; "
		    "re-seat it");
	return r;
}
