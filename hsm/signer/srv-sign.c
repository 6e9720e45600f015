/*
 * srv-sign.c: signatures made with the HSM's keys, for the other srv-*.c files: the CA
 * signature callback of issue.h (certificates, CRLs) and ECDSA over SHA-256 with PKCS#11's raw
 * r||s turned into the DER that X.509 and signed notes want (the CA key, the audit key).
 */
#include "srv.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>


int
srv_ecdsa_sign(struct srv *s, CK_OBJECT_HANDLE key, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t *siglen)
{
	uint8_t dg[32], raw[132];
	size_t rl = sizeof(raw);
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = sig;
	int len, r = -1;

	if (EVP_Digest(msg, n, dg, NULL, EVP_sha256(), NULL) != 1 ||
	    p11_sign(s->p11, key, CKM_ECDSA, dg, sizeof(dg), raw, &rl) != 0)
		return -1;
	/* PKCS#11 gives r||s; X.509 and signed notes want a DER Ecdsa-Sig-Value. */
	if (rl == 0 || rl % 2 != 0 || (es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)(rl / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + rl / 2, (int)(rl / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL; /* owned by es */
	if ((len = i2d_ECDSA_SIG(es, NULL)) <= 0 || (size_t)len > *siglen)
		goto out;
	*siglen = (size_t)i2d_ECDSA_SIG(es, &p);
	r = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
srv_sign_cb(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	struct srv *s = ctx;

	if (!s->ca_is_ec) {
		/* RSA: the module hashes (CKM_SHA256_RSA_PKCS); its output is the X.509 value. */
		return p11_sign(s->p11, s->ca_key, CKM_SHA256_RSA_PKCS, tbs, tbslen, sig, siglen) ==
		    0 ? 0 : -1;
	}
	return srv_ecdsa_sign(s, s->ca_key, tbs, tbslen, sig, siglen);
}
