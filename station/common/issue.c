/*
 * issue.c: the certificate issuance policy (PRODUCT §3 step 6): its error codes and the reasons
 * for people that every issue*.c file writes. The policy itself, one concern per file:
 * issue-template.c (subject and SAN from the profile), issue-key.c (key policy), issue-csr.c
 * (the board's CSR), issue-sign.c (CA signature through the signer's callback), issue-cert.c
 * (the device certificate), issue-lint.c (post-signing check), issue-crl.c, issue-ca.c.
 */
#include "issue-int.h"

#include <stdarg.h>
#include <stdio.h>

const char *
issue_strerror(int rc)
{
	switch (rc) {
	case ISSUE_OK: return "success";
	case ISSUE_ERR_CSR_PARSE: return "CSR is not a DER PKCS#10 request";
	case ISSUE_ERR_CSR_SIG: return "CSR self-signature does not verify";
	case ISSUE_ERR_KEY_TYPE: return "key type not allowed by the profile";
	case ISSUE_ERR_KEY_WEAK: return "key size below policy";
	case ISSUE_ERR_NONCE: return "CSR does not carry the station nonce";
	case ISSUE_ERR_CSR_ATTR: return "CSR carries an unexpected attribute or critical extension";
	case ISSUE_ERR_TEMPLATE: return "profile template expands to an invalid value";
	case ISSUE_ERR_SIGN: return "CA signature failed";
	case ISSUE_ERR_LINT: return "signed certificate failed the post-signing check";
	case ISSUE_ERR_NOMEM: return "out of memory";
	case ISSUE_ERR_INTERNAL: return "internal error";
	case ISSUE_ERR_CSR_DIGEST: return "CSR signed with a digest weaker than SHA-256";
	case ISSUE_ERR_CSR_NOT_CANONICAL: return "CSR is not in canonical DER";
	}
	return "unknown issuance error";
}

