/* issue-canon.c: temporary home of issue_csr_canonical until issue.c is split. */
#include <openssl/x509.h>
#include <string.h>

#include "issue.h"

int
issue_csr_canonical(const uint8_t *csr, size_t csrlen, uint8_t *out, size_t cap, size_t *outlen)
{
	const unsigned char *in = csr;
	unsigned char *der = NULL;
	X509_REQ *req;
	int n, r = ISSUE_ERR_CSR_PARSE;

	if (csrlen == 0 || csrlen > CAP_CSR_DER ||
	    (req = d2i_X509_REQ(NULL, &in, (long)csrlen)) == NULL)
		return ISSUE_ERR_CSR_PARSE;
	if (in != csr + csrlen)
		goto out;
	r = ISSUE_ERR_INTERNAL;
	if ((n = i2d_X509_REQ(req, &der)) <= 0 || (size_t)n > cap)
		goto out;
	memcpy(out, der, (size_t)n);
	*outlen = (size_t)n;
	r = ISSUE_OK;
out:
	OPENSSL_free(der);
	X509_REQ_free(req);
	return r;
}

int
issue_csr_is_canonical(const uint8_t *csr, size_t csrlen)
{
	uint8_t buf[CAP_CSR_DER];
	size_t n = 0;

	return issue_csr_canonical(csr, csrlen, buf, sizeof(buf), &n) == ISSUE_OK && n == csrlen &&
	    memcmp(buf, csr, n) == 0;
}
