/* prove.c: a board's key-possession proof checked against its certificate; see prove.h. */
#include "prove.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "proto.h"

int
prove_check(const uint8_t *cert, size_t cert_len, const uint8_t *challenge, size_t clen,
    const uint8_t *sig, size_t sig_len)
{
	uint8_t msg[PROVE_PREFIX_LEN + MSG_MAX_CHALLENGE];
	const unsigned char *p = cert;
	EVP_MD_CTX *md = NULL;
	X509 *x = NULL;
	int r = PROVE_ERR_CERT;

	if (clen < MSG_MIN_CHALLENGE || clen > MSG_MAX_CHALLENGE || cert_len == 0 ||
	    cert_len > (size_t)0x7fffffff)
		return PROVE_ERR_CERT;
	/* P-40: domain-separated, exactly as the board builds it (firmware-stub/core/device.c). */
	memcpy(msg, PROVE_PREFIX, PROVE_PREFIX_LEN);
	memcpy(msg + PROVE_PREFIX_LEN, challenge, clen);
	if ((x = d2i_X509(NULL, &p, (long)cert_len)) == NULL || p != cert + cert_len ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)) != 1)
		goto out;
	r = sig_len > 0 && EVP_DigestVerify(md, sig, sig_len, msg, PROVE_PREFIX_LEN + clen) == 1 ?
	    PROVE_OK : PROVE_ERR_SIG;
out:
	EVP_MD_CTX_free(md);
	X509_free(x);
	ERR_clear_error(); /* a bad signature is an answer, not an error to report later */
	return r;
}
