/*
 * issue-csr.c: the board's CSR, untrusted input: one DER PKCS#10 request with no trailing bytes,
 * a SHA-256-or-stronger self-signature that verifies, a key the profile allows, this session's
 * nonce in challengePassword, and no other attribute or critical extension request. Also the
 * canonical (re-encoded) form of a CSR.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "log.h"

static int
csr_parse(const uint8_t *csr, size_t csrlen, X509_REQ **out, char *why, size_t whycap)
{
	const unsigned char *p = csr;
	X509_REQ *req = NULL;

	if (csrlen == 0 || csrlen > CAP_CSR_DER) {
		util_why(why, whycap, "the board sent a %zu-byte CSR (1 to %d expected); re-run the "
		    "board; if it repeats, the board's firmware is faulty", csrlen, CAP_CSR_DER);
		return ISSUE_ERR_CSR_PARSE;
	}
	/* DER decoders must consume the whole input: trailing bytes are an error (STYLE). */
	req = d2i_X509_REQ(NULL, &p, (long)csrlen);
	if (req == NULL || (size_t)(p - csr) != csrlen ||
	    X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		log_openssl(LOG_DEBUG, "CSR rejected by the decoder");
		X509_REQ_free(req);
		util_why(why, whycap, "the board's CSR is not one well-formed DER PKCS#10 v1 "
		    "request (%zu bytes); re-run the board; if it repeats, the board's firmware is "
		    "faulty", csrlen);
		return ISSUE_ERR_CSR_PARSE;
	}
	*out = req;
	return ISSUE_OK;
}

/* The DER encoding of req, its certificationRequestInfo re-encoded too (OpenSSL keeps it as
 * received), so that a non-DER inner encoding no longer compares equal (its signature then fails
 * as well). *der gets the encoding (caller frees with OPENSSL_free) and *len its length. */
static int
csr_encode(X509_REQ *req, unsigned char **der, int *len)
{
	unsigned char *out = NULL;
	int n;

	if (i2d_re_X509_REQ_tbs(req, NULL) <= 0 || (n = i2d_X509_REQ(req, &out)) <= 0) {
		log_openssl(LOG_ERROR, "re-encoding a CSR");
		return ISSUE_ERR_INTERNAL;
	}
	*der = out; /* owned by caller */
	*len = n;
	return ISSUE_OK;
}

static int
check_nonce(const X509_ATTRIBUTE *attr, const uint8_t *nonce, size_t noncelen, char *why,
    size_t whycap)
{
	static const char hex[] = "0123456789abcdef";
	char want[2 * CAP_CSR_NONCE];
	const ASN1_TYPE *t;
	size_t i;

	for (i = 0; i < noncelen; i++) {
		want[2 * i] = hex[nonce[i] >> 4];
		want[2 * i + 1] = hex[nonce[i] & 0x0f];
	}
	/* PKCS#9 challengePassword is a single-valued DirectoryString; the board uses one of the
	 * two types a nonce in lower-case hex can take. */
	if (X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(issue_unconst(attr), 0)) == NULL ||
	    (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING) ||
	    (size_t)ASN1_STRING_length(t->value.asn1_string) != 2 * noncelen ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(t->value.asn1_string), want, 2 * noncelen) != 0) {
		util_why(why, whycap, "the CSR does not carry this session's nonce (replayed or "
		    "stale CSR); re-run the board");
		return ISSUE_ERR_NONCE;
	}
	return ISSUE_OK;
}

/* Requested extensions are ignored for the certificate, but a critical one means the board
 * expects something the profile will not give it: refuse rather than issue a surprise. */
static int
check_ext_req(const X509_ATTRIBUTE *attr, char *why, size_t whycap)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const unsigned char *p;
	const ASN1_TYPE *t;
	char name[80];
	int i, r = ISSUE_ERR_CSR_ATTR;

	if (X509_ATTRIBUTE_count(attr) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(issue_unconst(attr), 0)) == NULL ||
	    t->type != V_ASN1_SEQUENCE) {
		util_why(why, whycap, "the CSR's extensionRequest attribute is malformed; the "
		    "board's firmware is faulty");
		return ISSUE_ERR_CSR_ATTR;
	}
	p = t->value.sequence->data;
	exts = d2i_X509_EXTENSIONS(NULL, &p, t->value.sequence->length);
	if (exts == NULL || p != t->value.sequence->data + t->value.sequence->length) {
		log_openssl(LOG_DEBUG, "extensionRequest rejected by the decoder");
		util_why(why, whycap, "the CSR's extensionRequest attribute is malformed; the "
		    "board's firmware is faulty");
		goto out;
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		const X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);

		if (X509_EXTENSION_get_critical(ext)) {
			OBJ_obj2txt(name, sizeof(name),
			    X509_EXTENSION_get_object(issue_unconst(ext)), 0);
			util_why(why, whycap, "the CSR requests a critical %s extension; certificates "
			    "are built from the profile only, so the board's firmware expects "
			    "something it will not get", name);
			goto out;
		}
	}
	r = ISSUE_OK;
out:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

static int
csr_attrs(const X509_REQ *req, const uint8_t *nonce, size_t noncelen, char *why,
    size_t whycap)
{
	const X509_ATTRIBUTE *attr;
	int i, nid, seen_pw = 0, seen_ext = 0, r;
	char name[80];

	for (i = 0; i < X509_REQ_get_attr_count(req); i++) {
		attr = X509_REQ_get_attr(req, i);
		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(issue_unconst(attr)));
		if ((nid == NID_pkcs9_challengePassword && seen_pw++ > 0) ||
		    (nid == NID_ext_req && seen_ext++ > 0)) {
			util_why(why, whycap, "the CSR repeats the %s attribute; the board's "
			    "firmware is faulty", OBJ_nid2sn(nid));
			return ISSUE_ERR_CSR_ATTR;
		}
		if (nid == NID_pkcs9_challengePassword)
			r = check_nonce(attr, nonce, noncelen, why, whycap);
		else if (nid == NID_ext_req)
			r = check_ext_req(attr, why, whycap);
		else {
			OBJ_obj2txt(name, sizeof(name),
			    X509_ATTRIBUTE_get0_object(issue_unconst(attr)), 0);
			util_why(why, whycap, "the CSR carries an unexpected %s attribute (only "
			    "challengePassword and extensionRequest are accepted); the board's "
			    "firmware is not the approved one", name);
			r = ISSUE_ERR_CSR_ATTR;
		}
		if (r != ISSUE_OK)
			return r;
	}
	if (!seen_pw) {
		util_why(why, whycap, "the CSR does not carry this session's nonce (no "
		    "challengePassword); re-run the board; if it repeats, the board's firmware is "
		    "faulty");
		return ISSUE_ERR_NONCE;
	}
	return ISSUE_OK;
}

/* The CSR's proof of possession must use SHA-256 or stronger (protocol P-41): a SHA-1 or MD5
 * self-signature is refused even where OpenSSL would still verify it. */
static int
sig_digest_check(const X509_REQ *req, char *why, size_t whycap)
{
	int md = NID_undef, pk = NID_undef, nid = X509_REQ_get_signature_nid(req);

	if (OBJ_find_sigid_algs(nid, &md, &pk) == 1 &&
	    (md == NID_sha256 || md == NID_sha384 || md == NID_sha512))
		return ISSUE_OK;
	util_why(why, whycap, "the board's CSR is signed with %s; the protocol asks for SHA-256 or "
	    "stronger: the board's firmware is faulty or outdated", nid == NID_undef ? "an unknown "
	    "algorithm" : OBJ_nid2sn(nid));
	return ISSUE_ERR_CSR_DIGEST;
}

/* Parses and checks a CSR; *out gets the request on success. */
int
issue_csr_load(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, X509_REQ **out, char *why, size_t whycap)
{
	return issue_csr_load_ex(prof, csr, csrlen, nonce, noncelen, 0, out, why, whycap);
}

/* 1 when req (parsed from csr) re-encodes to exactly csr's bytes. The re-encoding leaves req's
 * content as it was: what follows checks the same request. */
static int
csr_same_encoding(X509_REQ *req, const uint8_t *csr, size_t csrlen)
{
	unsigned char *der = NULL;
	int len = 0, same;

	if (csr_encode(req, &der, &len) != ISSUE_OK)
		return 0;
	same = (size_t)len == csrlen && memcmp(der, csr, csrlen) == 0;
	OPENSSL_free(der);
	return same;
}

int
issue_csr_load_ex(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, int canonical, X509_REQ **out, char *why, size_t whycap)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk;
	int r = ISSUE_ERR_INTERNAL;

	if (prof == NULL || csr == NULL || nonce == NULL || noncelen == 0 ||
	    noncelen > CAP_CSR_NONCE) {
		util_why(why, whycap, "internal error: CSR check called without a profile, CSR or "
		    "a 1..%d byte nonce", CAP_CSR_NONCE);
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = csr_parse(csr, csrlen, &req, why, whycap)) != ISSUE_OK)
		return r;
	/* The signer takes only the canonical form the station sends: another DER encoding of the
	 * same request would be a second input to every check below. */
	if (canonical && !csr_same_encoding(req, csr, csrlen)) {
		util_why(why, whycap, "the CSR is not in canonical DER");
		r = ISSUE_ERR_CSR_NOT_CANONICAL;
		goto out;
	}
	/* The key policy first: it is cheap and keeps odd keys away from the verifier. */
	pk = X509_REQ_get0_pubkey(req);
	if ((r = issue_key_check(prof, pk, why, whycap)) != ISSUE_OK)
		goto out;
	if ((r = sig_digest_check(req, why, whycap)) != ISSUE_OK)
		goto out;
	if (X509_REQ_verify(req, pk) != 1) {
		log_openssl(LOG_DEBUG, "CSR self-signature check");
		util_why(why, whycap, "the board's CSR is signed with a key it does not hold "
		    "(signature check failed); re-run the board; if it repeats, the board's firmware "
		    "is faulty");
		r = ISSUE_ERR_CSR_SIG;
		goto out;
	}
	if ((r = csr_attrs(req, nonce, noncelen, why, whycap)) != ISSUE_OK)
		goto out;
	*out = req;
	req = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	X509_REQ_free(req);
	return r;
}

int
issue_csr_check(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, EVP_PKEY **pub, char *why, size_t whycap)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pk = NULL;
	int r;

	if ((r = issue_csr_load(prof, csr, csrlen, nonce, noncelen, &req, why, whycap)) != ISSUE_OK)
		return r;
	if (pub != NULL && (pk = X509_REQ_get_pubkey(req)) == NULL) {
		log_openssl(LOG_ERROR, "CSR public key");
		util_why(why, whycap, "internal error reading the CSR's public key; see the log");
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	if (pub != NULL) {
		*pub = pk;
		pk = NULL; /* owned by caller */
	}
	r = ISSUE_OK;
out:
	EVP_PKEY_free(pk);
	X509_REQ_free(req);
	return r;
}

/* Parses csr as issue_csr_check does and re-encodes it (csr_encode). */
static int
csr_reencode(const uint8_t *csr, size_t csrlen, unsigned char **der, int *len)
{
	X509_REQ *req = NULL;
	int r;

	if ((r = csr_parse(csr, csrlen, &req, NULL, 0)) != ISSUE_OK)
		return r;
	r = csr_encode(req, der, len);
	X509_REQ_free(req);
	return r;
}

/* der (len bytes, from csr_encode) into out (cap bytes): ISSUE_OK or ISSUE_ERR_INTERNAL. */
static int
csr_copy_out(const unsigned char *der, int len, uint8_t *out, size_t cap, size_t *outlen)
{
	if ((size_t)len > cap) {
		log_error("a CSR re-encodes to %d bytes, more than the %zu-byte buffer (internal "
		    "error)", len, cap);
		return ISSUE_ERR_INTERNAL;
	}
	memcpy(out, der, (size_t)len);
	*outlen = (size_t)len;
	return ISSUE_OK;
}

int
issue_csr_check_canonical(const struct issue_profile *prof, const uint8_t *csr, size_t csrlen,
    const uint8_t *nonce, size_t noncelen, uint8_t *out, size_t cap, size_t *outlen, char *why,
    size_t whycap)
{
	X509_REQ *req = NULL;
	unsigned char *der = NULL;
	int len = 0, r;

	if (out == NULL || outlen == NULL) {
		util_why(why, whycap, "internal error: no output for the canonical CSR");
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = issue_csr_load(prof, csr, csrlen, nonce, noncelen, &req, why, whycap)) != ISSUE_OK)
		return r;
	/* re-encoded after the checks: the signature was verified over the bytes received */
	if ((r = csr_encode(req, &der, &len)) == ISSUE_OK &&
	    (r = csr_copy_out(der, len, out, cap, outlen)) != ISSUE_OK)
		util_why(why, whycap, "internal error: the CSR re-encodes to %d bytes", len);
	else if (r != ISSUE_OK)
		util_why(why, whycap, "internal error re-encoding the CSR; see the log");
	OPENSSL_free(der);
	X509_REQ_free(req);
	return r;
}

int
issue_csr_canonical(const uint8_t *csr, size_t csrlen, uint8_t *out, size_t cap, size_t *outlen)
{
	unsigned char *der = NULL;
	int len = 0, r;

	if (csr == NULL || out == NULL || outlen == NULL) {
		log_error("issue_csr_canonical: no CSR or no output (internal error)");
		return ISSUE_ERR_INTERNAL;
	}
	if ((r = csr_reencode(csr, csrlen, &der, &len)) == ISSUE_OK)
		r = csr_copy_out(der, len, out, cap, outlen);
	OPENSSL_free(der);
	return r;
}

int
issue_csr_is_canonical(const uint8_t *csr, size_t csrlen)
{
	unsigned char *der = NULL;
	int len = 0, same;

	if (csr == NULL || csr_reencode(csr, csrlen, &der, &len) != ISSUE_OK)
		return 0;
	same = (size_t)len == csrlen && memcmp(der, csr, csrlen) == 0;
	OPENSSL_free(der);
	return same;
}
