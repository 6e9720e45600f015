/*
 * conform-x509.c: the certificate side of the conformance tool: the CSR checks of P-41, one at a
 * time so that the report names the one that fails, and the run's throwaway CA (an EC P-256
 * key and a self-signed certificate that exist only in this process's memory) which certifies
 * the board's key for INSTALL. Nothing here touches the HSM or the record: a certificate made
 * here is no product certificate (its issuer is "conformance test CA ...", valid for a day).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conform-int.h"
#include "issue-int.h"
#include "issue.h"
#include "util.h"

static X509_REQ *
req_parse(const uint8_t *der, size_t n)
{
	const unsigned char *p = der;
	X509_REQ *req;

	if (n == 0 || n > MSG_MAX_CSR)
		return NULL;
	if ((req = d2i_X509_REQ(NULL, &p, (long)n)) == NULL)
		return NULL;
	if ((size_t)(p - der) != n) { /* trailing bytes */
		X509_REQ_free(req);
		return NULL;
	}
	return req;
}

int
cx_csr_parse(const uint8_t *der, size_t n, EVP_PKEY **pub, char *seen, size_t cap)
{
	X509_REQ *req = req_parse(der, n);
	long v;

	ERR_clear_error();
	if (req == NULL) {
		snprintf(seen, cap, "%zu bytes that are not one DER PKCS#10 request (or trailing bytes)",
		    n);
		return 0;
	}
	v = X509_REQ_get_version(req);
	if (v != 0) {
		snprintf(seen, cap, "version field %ld (v1 is 0)", v);
		X509_REQ_free(req);
		return 0;
	}
	*pub = X509_REQ_get_pubkey(req);
	X509_REQ_free(req);
	if (*pub == NULL) {
		snprintf(seen, cap, "a request whose public key OpenSSL cannot read");
		return 0;
	}
	snprintf(seen, cap, "one DER PKCS#10 v1 request of %zu bytes", n);
	return 1;
}

int
cx_csr_signature(const uint8_t *der, size_t n, char *seen, size_t cap)
{
	X509_REQ *req = req_parse(der, n);
	const X509_ALGOR *alg = NULL;
	const ASN1_BIT_STRING *sig = NULL;
	int nid, md = NID_undef, pk = NID_undef, ok;

	if (req == NULL) {
		snprintf(seen, cap, "no request to check");
		return 0;
	}
	X509_REQ_get0_signature(req, &sig, &alg);
	nid = OBJ_obj2nid(alg->algorithm);
	if (OBJ_find_sigid_algs(nid, &md, &pk) != 1 ||
	    (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)) {
		snprintf(seen, cap, "signature algorithm %s (SHA-256 or stronger required)",
		    nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
		X509_REQ_free(req);
		return 0;
	}
	ok = X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) == 1;
	ERR_clear_error();
	snprintf(seen, cap, "%s, %s", OBJ_nid2sn(nid), ok ? "verifies under the request's key" :
	    "does not verify under the request's key");
	X509_REQ_free(req);
	return ok;
}

int
cx_csr_key_type(EVP_PKEY *pub, uint8_t key_type, char *seen, size_t cap)
{
	char desc[64];
	unsigned kind, want;

	if (pub == NULL) {
		snprintf(seen, cap, "no key to check");
		return 0;
	}
	kind = issue_key_kind(pub, desc, sizeof(desc));
	want = key_type == KEY_EC_P256 ? ISSUE_KEY_EC_P256 : key_type == KEY_EC_P384 ?
	    ISSUE_KEY_EC_P384 : ISSUE_KEY_RSA;
	snprintf(seen, cap, "%s", desc);
	if (kind != want)
		return 0;
	return kind != ISSUE_KEY_RSA || EVP_PKEY_get_bits(pub) == 2048;
}

int
cx_csr_subject(const uint8_t *der, size_t n, const uint8_t *chip, size_t chip_len, char *seen,
    size_t cap)
{
	X509_REQ *req = req_parse(der, n);
	char want[2 * MSG_MAX_CHIP_ID + 1], cn[256];
	X509_NAME *name;
	int len, ok;

	if (req == NULL) {
		snprintf(seen, cap, "no request to check");
		return 0;
	}
	util_hex(chip, chip_len, want, sizeof(want));
	name = X509_REQ_get_subject_name(req);
	len = X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof(cn));
	ok = len >= 0 && X509_NAME_entry_count(name) == 1 && strcmp(cn, want) == 0;
	if (len < 0)
		snprintf(seen, cap, "no CN in a subject of %d attributes", X509_NAME_entry_count(name));
	else {
		char e[256];

		util_sanitize(cn, strlen(cn), e, sizeof(e));
		snprintf(seen, cap, "CN=%s (%d attributes)", e, X509_NAME_entry_count(name));
	}
	X509_REQ_free(req);
	return ok;
}

int
cx_csr_challenge(const uint8_t *der, size_t n, const uint8_t *nonce, size_t nonce_len,
    char *seen, size_t cap)
{
	X509_REQ *req = req_parse(der, n);
	char want[2 * MSG_MAX_NONCE + 1], got[2 * 64 + 1];
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int i, ok = 0;

	if (req == NULL) {
		snprintf(seen, cap, "no request to check");
		return 0;
	}
	util_hex(nonce, nonce_len, want, sizeof(want));
	if ((i = X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1)) < 0 ||
	    (a = X509_REQ_get_attr(req, i)) == NULL || X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL) {
		snprintf(seen, cap, "no challengePassword attribute with one value");
		X509_REQ_free(req);
		return 0;
	}
	if (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING &&
	    t->type != V_ASN1_IA5STRING) {
		snprintf(seen, cap, "challengePassword of ASN.1 type %d, not a string", t->type);
	} else {
		util_sanitize((const char *)t->value.asn1_string->data,
		    (size_t)t->value.asn1_string->length, got, sizeof(got));
		ok = (size_t)t->value.asn1_string->length == strlen(want) &&
		    memcmp(t->value.asn1_string->data, want, strlen(want)) == 0;
		snprintf(seen, cap, "challengePassword '%s'", got);
	}
	X509_REQ_free(req);
	return ok;
}

int
cx_csr_attributes(const uint8_t *der, size_t n, char *seen, size_t cap)
{
	X509_REQ *req = req_parse(der, n);
	STACK_OF(X509_EXTENSION) *ext;
	int i, nid, cnt, ok = 1;

	if (req == NULL) {
		snprintf(seen, cap, "no request to check");
		return 0;
	}
	cnt = X509_REQ_get_attr_count(req);
	snprintf(seen, cap, "%d attribute(s)", cnt);
	for (i = 0; i < cnt; i++) {
		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(X509_REQ_get_attr(req, i)));
		if (nid != NID_pkcs9_challengePassword && nid != NID_ext_req) {
			snprintf(seen, cap, "attribute %s", nid == NID_undef ? "(unknown OID)" :
			    OBJ_nid2sn(nid));
			ok = 0;
		}
	}
	if (ok && (ext = X509_REQ_get_extensions(req)) != NULL) {
		for (i = 0; i < sk_X509_EXTENSION_num(ext); i++)
			if (X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(ext, i))) {
				snprintf(seen, cap, "a critical requested extension");
				ok = 0;
			}
		sk_X509_EXTENSION_pop_free(ext, X509_EXTENSION_free);
	}
	ERR_clear_error();
	X509_REQ_free(req);
	return ok;
}

EVP_PKEY *
cx_other_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A certificate: subject CN, key pub, issuer, signed by key (or, bad, its signature spoilt). */
static X509 *
make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *key, int ca, int bad)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	ASN1_INTEGER *sn = NULL;
	X509V3_CTX v3;
	X509_EXTENSION *e;
	uint8_t r[16];
	BIGNUM *bn = NULL;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	int ok = 0;

	if (x == NULL || RAND_bytes(r, sizeof(r)) != 1)
		goto out;
	r[0] &= 0x7f;
	r[0] |= 0x01;
	if ((bn = BN_bin2bn(r, sizeof(r), NULL)) == NULL || (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)
		goto out;
	if ((name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
	        0))
		goto out;
	if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, sn) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || !X509_set_pubkey(x, pub))
		goto out;
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	         "critical,CA:FALSE")) == NULL || !X509_add_ext(x, e, -1)) {
		X509_EXTENSION_free(e);
		goto out;
	}
	X509_EXTENSION_free(e);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	         "critical,digitalSignature")) == NULL || !X509_add_ext(x, e, -1)) {
		X509_EXTENSION_free(e);
		goto out;
	}
	X509_EXTENSION_free(e);
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto out;
	if (bad) {
		/* flip a bit of the signature value: the structure stays valid DER */
		X509_get0_signature(&sig, &alg, x);
		if (sig == NULL || sig->length < 8)
			goto out;
		((ASN1_BIT_STRING *)(uintptr_t)sig)->data[sig->length - 3] ^= 0x01;
	}
	ok = 1;
out:
	ERR_clear_error();
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
to_der(X509 *x, uint8_t *out, size_t cap, size_t *len)
{
	int n = i2d_X509(x, NULL);
	unsigned char *p = out;

	if (n <= 0 || (size_t)n > cap)
		return -1;
	if (i2d_X509(x, &p) != n)
		return -1;
	*len = (size_t)n;
	return 0;
}

int
cx_ca_init(struct cx *c, char *why, size_t cap)
{
	char cn[64], hex[17];
	uint8_t r[8];
	X509 *ca = NULL;
	int rc = -1;

	if (RAND_bytes(r, sizeof(r)) != 1 || (c->ca_key = EVP_EC_gen("P-256")) == NULL) {
		util_why(why, cap, "no random or no EC key from OpenSSL");
		goto out;
	}
	snprintf(cn, sizeof(cn), "conformance test CA %s", util_hex(r, sizeof(r), hex, sizeof(hex)));
	if ((ca = make_cert(cn, c->ca_key, NULL, c->ca_key, 1, 0)) == NULL ||
	    to_der(ca, c->ca_der, sizeof(c->ca_der), &c->ca_len) != 0) {
		util_why(why, cap, "OpenSSL could not make the test CA certificate");
		goto out;
	}
	rc = 0;
out:
	X509_free(ca);
	ERR_clear_error();
	return rc;
}

int
cx_chain(struct cx *c, EVP_PKEY *pub, int bad_sig, uint8_t *out, size_t cap, size_t *len,
    size_t *cert_len, char *why, size_t wcap)
{
	const unsigned char *p = c->ca_der;
	char cn[2 * MSG_MAX_CHIP_ID + 1];
	X509 *ca = NULL, *dev = NULL;
	size_t n = 0;
	int rc = -1;

	util_hex(c->hello.chip_id, c->hello.chip_id_len, cn, sizeof(cn));
	if ((ca = d2i_X509(NULL, &p, (long)c->ca_len)) == NULL ||
	    (dev = make_cert(cn[0] ? cn : "conformance", pub, ca, c->ca_key, 0, bad_sig)) == NULL ||
	    to_der(dev, out, cap, &n) != 0 || n + c->ca_len > cap) {
		util_why(why, wcap, "OpenSSL could not make the device certificate");
		goto out;
	}
	memcpy(out + n, c->ca_der, c->ca_len);
	*cert_len = n;
	*len = n + c->ca_len;
	rc = 0;
out:
	X509_free(dev);
	X509_free(ca);
	ERR_clear_error();
	return rc;
}
