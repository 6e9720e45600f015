/*
 * issue-int.h: internal to the issuance policy, one concern per file: station/common/issue*.c
 * (key policy, CSR checks: both programs need them) and hsm/issue/issue-*.c (templates, CA
 * signing, certificate, lint, CRL, demo CA: the signer's); not for other callers, who use
 * issue.h. The helpers the files share (their limits are in caps.h).
 */
#ifndef ISSUE_INT_H
#define ISSUE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "issue.h"

#define SERIAL_BYTES 16           /* 128 bits from the CSPRNG, top bit cleared */
#define RSA_FLOOR 2048            /* no profile may go below this */
#define CLOCK_SKEW 300            /* seconds a freshly issued notBefore may lead this clock */

/* OpenSSL 3.0 lacks setters for the signature AlgorithmIdentifiers of an X509 or X509_CRL (notes
 * §5.6): both are owned by the object and writable, only their getters return const. Some
 * attribute and extension getters take non-const pointers they do not write through. */
static inline void *
issue_unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

/* issue-template.c: *out gets the subject name profile prof prescribes for subj (caller frees).
 * ISSUE_ERR_TEMPLATE (with a reason in why) when a template is invalid or expands to a value the
 * attribute does not allow; ISSUE_ERR_NOMEM. */
int issue_make_subject(const struct issue_profile *prof, const struct issue_subject *subj,
    X509_NAME **out, char *why, size_t whycap);
/* issue-template.c: *out gets the subjectAltName prof prescribes for subj (caller frees), or
 * NULL when the profile has none. ISSUE_ERR_TEMPLATE (with a reason in why) when a SAN template
 * is invalid or does not expand to a valid URI or host name; ISSUE_ERR_NOMEM. */
int issue_make_san(const struct issue_profile *prof, const struct issue_subject *subj,
    GENERAL_NAMES **out, char *why, size_t whycap);

/* issue-key.c: the ISSUE_KEY_* bit of pk (0 when no profile can allow it), and a name for
 * people in desc (e.g. "EC P-256", "RSA-2048"). */
unsigned issue_key_kind(const EVP_PKEY *pk, char *desc, size_t cap);
/* issue-key.c: ISSUE_OK when prof allows pk's type and size; else ISSUE_ERR_KEY_TYPE (pk NULL,
 * or a type or curve the profile does not list) or ISSUE_ERR_KEY_WEAK (RSA below the profile's
 * minimum or RSA_FLOOR), with a reason in why. */
int issue_key_check(const struct issue_profile *prof, const EVP_PKEY *pk, char *why, size_t whycap);

/* issue-csr.c: the checks of issue_csr_check; on ISSUE_OK *out gets the parsed request (caller
 * frees). The same return codes as issue_csr_check, with a reason in why. */
int issue_csr_load(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, X509_REQ **out, char *why, size_t whycap);
/* issue_csr_load; with canonical != 0, ISSUE_ERR_CSR_NOT_CANONICAL first when csr is not in
 * issue_csr_canonical's form (checked on the one parse). */
int issue_csr_load_ex(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, int canonical, X509_REQ **out, char *why,
    size_t whycap);

/*
 * issue-sign.c (certificate, CRL and demo-CA code share them). issue_rand_serial: 128-bit CSPRNG
 * serial, top bit cleared, non-zero (ISSUE_ERR_INTERNAL when the CSPRNG fails, ISSUE_ERR_NOMEM).
 * issue_ca_keyid: the CA's SKI, or SHA-1 of its key if it has none (caller frees;
 * ISSUE_ERR_NOMEM). issue_sigalg: sets alg to the signature algorithm of the CA key
 * (ISSUE_ERR_SIGN if unsupported, ISSUE_ERR_NOMEM). issue_sign_tbs: signs tbs through ca->sign
 * and stores the signature in sig (ISSUE_ERR_SIGN when the signer fails or returns something
 * that is not an X.509 signature, ISSUE_ERR_NOMEM).
 */
int issue_rand_serial(ASN1_INTEGER *serial);
int issue_ca_keyid(X509 *ca_cert, ASN1_OCTET_STRING **keyid);
int issue_sigalg(const X509 *ca_cert, X509_ALGOR *alg, char *why, size_t whycap);
int issue_sign_tbs(const struct issue_ca *ca, const uint8_t *tbs, size_t tbslen,
    ASN1_BIT_STRING *sig, char *why, size_t whycap);

#endif
