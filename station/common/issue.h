/*
 * issue.h: certificate issuance policy (PRODUCT §3 step 6). Validates a board's CSR and builds the
 * device certificate from the product profile and the board's identity, never from CSR fields.
 * Pure OpenSSL 3 code: no PKCS#11 here. The CA signature comes through a callback that the signer
 * process implements over PKCS#11. Used by the signer (authoritative) and the station (pre-check).
 */
#ifndef ISSUE_H
#define ISSUE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "caps.h"

/* Key types a profile may allow (bit mask). */
#define ISSUE_KEY_EC_P256 (1u << 0)
#define ISSUE_KEY_EC_P384 (1u << 1)
#define ISSUE_KEY_RSA (1u << 2) /* RSA >= rsa_min_bits */

/* The certificate template of a product profile. Templates expand {serial}, {chip} (lower-case
 * hex chip id), {model} and {product}; anything else in braces is an error. */
struct issue_profile {
	char product[64];
	char subject_cn[CAP_TEMPLATE]; /* e.g. "{serial}" */
	char subject_o[CAP_TEMPLATE];  /* "" = omit */
	char subject_ou[CAP_TEMPLATE];
	char subject_serial[CAP_TEMPLATE]; /* subject serialNumber attribute, e.g. "{chip}"; "" = omit */
	char san_uri[CAP_TEMPLATE];    /* e.g. "urn:dev:{model}:{serial}"; "" = omit */
	char san_dns[CAP_TEMPLATE];    /* "" = omit */
	unsigned validity_days;        /* 1..36500; notAfter = notBefore + days (99991231235959Z if 0) */
	unsigned key_types;            /* ISSUE_KEY_* */
	unsigned rsa_min_bits;         /* >= 2048 */
	int eku_client_auth;           /* extendedKeyUsage clientAuth */
	int eku_server_auth;
};

/* A board's identity as the station established it (all strings already charset-checked). */
struct issue_subject {
	const char *serial;   /* product serial allocated by the station */
	const char *chip_hex; /* chip unique id, lower-case hex */
	const char *model;
};

/* Signs the DER tbsCertificate / tbsCertList tbs with the CA key. Writes an X.509-ready signature
 * (DER Ecdsa-Sig-Value for EC, raw PKCS#1 v1.5 for RSA) into sig (*siglen: in cap, out length).
 * Returns 0 or a negative error; a failure must leave a logged reason. */
typedef int (*issue_sign_fn)(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig,
    size_t *siglen);

struct issue_ca {
	X509 *cert;          /* issuing CA certificate (borrowed) */
	issue_sign_fn sign;
	void *sign_ctx;
};

enum issue_rc {
	ISSUE_OK = 0,
	ISSUE_ERR_CSR_PARSE = -1,  /* not a DER PKCS#10 request, or trailing bytes */
	ISSUE_ERR_CSR_SIG = -2,    /* self-signature does not verify (no proof of possession) */
	ISSUE_ERR_KEY_TYPE = -3,   /* key algorithm/curve not on the profile's allow-list */
	ISSUE_ERR_KEY_WEAK = -4,   /* key size below policy */
	ISSUE_ERR_NONCE = -5,      /* challengePassword missing or not the station's nonce */
	ISSUE_ERR_CSR_ATTR = -6,   /* an unexpected attribute or critical extension request */
	ISSUE_ERR_TEMPLATE = -7,   /* a template expands to something invalid */
	ISSUE_ERR_SIGN = -8,       /* the CA signature failed */
	ISSUE_ERR_LINT = -9,       /* the signed certificate does not verify or does not match the profile */
	ISSUE_ERR_NOMEM = -10,
	ISSUE_ERR_INTERNAL = -11,
	ISSUE_ERR_CSR_DIGEST = -12, /* self-signature uses a digest weaker than SHA-256 */
	ISSUE_ERR_CSR_NOT_CANONICAL = -13 /* issue_build: the CSR is not in canonical DER */
};

const char *issue_strerror(int rc);

/* Validates a CSR (DER, csrlen <= CAP_CSR_DER): parse with no trailing bytes, verify its
 * self-signature (SHA-256 or stronger), key type/size against the profile, challengePassword equal to lower-case hex of
 * nonce, no attributes other than challengePassword and extensionRequest, no critical requested
 * extension. On success *pub (if not NULL) gets the CSR's public key (caller frees). On failure
 * why gets a sentence for people. */
int issue_csr_check(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, EVP_PKEY **pub, char *why, size_t whycap);

/* issue_csr_check, then the canonical form (issue_csr_canonical) of the request it parsed and
 * checked, into out: one parse for both (issue #14). The return codes of both. */
int issue_csr_check_canonical(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, uint8_t *out, size_t cap, size_t *outlen, char *why,
    size_t whycap);

/* The canonical form of a CSR: parses csr as issue_csr_check does (one DER PKCS#10 v1 request,
 * csrlen <= CAP_CSR_DER, no trailing bytes; nothing else is checked) and writes its
 * DER re-encoding into out (cap bytes), the certificationRequestInfo included (OpenSSL would
 * keep it as received: i2d_re_X509_REQ_tbs forces it), so a non-DER request never compares
 * equal. Returns ISSUE_OK with *outlen set, ISSUE_ERR_CSR_PARSE, or ISSUE_ERR_INTERNAL when the
 * encoding does not fit cap (or an argument is NULL, or the encoder fails). out and *outlen are
 * written only on success. */
int issue_csr_canonical(const uint8_t *csr, size_t csrlen, uint8_t *out, size_t cap,
    size_t *outlen);

/* 1 when csr is already in that canonical form (re-encoding gives exactly these csrlen bytes),
 * 0 otherwise, including when csr does not parse. */
int issue_csr_is_canonical(const uint8_t *csr, size_t csrlen);

/* Builds and signs the device certificate from a CSR in canonical DER (issue_csr_canonical's
 * form; ISSUE_ERR_CSR_NOT_CANONICAL before any other check otherwise) that passes the checks of
 * issue_csr_check: version 3, 128-bit CSPRNG positive serial (top bit
 * cleared, non-zero), issuer = CA subject, subject and SAN from templates, validity, public key
 * from the CSR, basicConstraints CA:FALSE critical, keyUsage digitalSignature critical, EKU per
 * profile, SKI (SHA-1 of key), AKI keyid = CA SKI. Signs through ca->sign, then lints: decodes
 * the DER again, verifies under the CA public key, checks fields against the profile.
 * *der gets a malloc'd certificate (caller frees with OPENSSL_free); *serial_hex (if not NULL)
 * gets the certificate serial in upper-case hex (caller frees with OPENSSL_free). */
int issue_build(const struct issue_profile *prof, const struct issue_ca *ca,
    const struct issue_subject *subj, const uint8_t *csr, size_t csrlen, const uint8_t *nonce,
    size_t noncelen, uint8_t **der, size_t *derlen, char **serial_hex, char *why, size_t whycap);

/* Post-signing lint, run by issue_build on every certificate it signs: decodes der, verifies it
 * under the CA public key and checks its fields against the profile and subj; when pub is not
 * NULL, also that the certificate's public key equals pub (the key of the CSR it was issued
 * for). ISSUE_OK, ISSUE_ERR_LINT (why says which check), ISSUE_ERR_TEMPLATE when the profile's
 * templates themselves are invalid, ISSUE_ERR_INTERNAL on a NULL argument. */
int issue_lint_pub(const struct issue_profile *prof, X509 *ca_cert, const uint8_t *der,
    size_t derlen, const struct issue_subject *subj, const EVP_PKEY *pub, char *why,
    size_t whycap);

/* Expands a template into out. ISSUE_ERR_TEMPLATE on an unknown {field}, an unbalanced brace or
 * when the result does not fit. */
int issue_expand(const char *tmpl, const struct issue_subject *subj, const char *product,
    char *out, size_t cap);

/* A revoked-certificate entry for a CRL. */
struct issue_revoked {
	const char *serial_hex; /* upper-case hex */
	int64_t revoked_at;     /* unix seconds */
};

/* Builds and signs a v2 CRL over the given entries: issuer = CA subject, thisUpdate = now,
 * nextUpdate = now + next_days, CRL number crl_number, AKI. Returns DER (caller frees). */
int issue_crl(const struct issue_ca *ca, const struct issue_revoked *rev, size_t nrev,
    unsigned long crl_number, unsigned next_days, uint8_t **der, size_t *derlen, char *why,
    size_t whycap);

/* Key ceremony helpers (demo CA). Builds a self-signed root with a fresh software EC P-256 key that
 * exists only in memory (freed before return) and uses it to certify the issuing CA public key
 * issuing_spki (DER SubjectPublicKeyInfo): pathlen:0, keyCertSign|cRLSign, validity years.
 * Returns both certificates (caller frees). */
int issue_demo_ca(const char *root_cn, const char *issuing_cn, const char *org,
    const uint8_t *issuing_spki, size_t spkilen, unsigned years, X509 **root, X509 **issuing,
    char *why, size_t whycap);

#endif
