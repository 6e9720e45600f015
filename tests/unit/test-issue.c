/*
 * test-issue.c: the issuance policy (station/common/issue*.c, hsm/issue/issue-*.c). CSRs are made here with OpenSSL; the CA
 * is a demo root plus an issuing key in software, and a callback stands in for the HSM signer.
 * Set ISSUE_SAMPLE_DIR to write a sample certificate and its chain for the openssl CLI.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "log.h"

static const uint8_t NONCE[16] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03,
	0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0xff };
static const char NONCE_HEX[] = "deadbeef000102030405060708090aff";

enum sign_mode { SIGN_OK, SIGN_GARBAGE, SIGN_FAIL, SIGN_OTHER_KEY, SIGN_RAW };

struct signer {
	EVP_PKEY *key;
	EVP_PKEY *other;
	enum sign_mode mode;
};

/* The whole fixture: an EC P-256 CA from issue_demo_ca, an RSA CA, device keys. */
static struct {
	EVP_PKEY *ca_key, *rsa_ca_key, *dev, *dev2, *p384, *rsa1024, *rsa2048;
	X509 *root, *ca, *rsa_ca;
	struct signer signer, rsa_signer;
	struct issue_ca ica, rsa_ica;
} F;

static const struct issue_subject SUBJ = { "SN-000042", "00c0ffee12345678", "tx-1" };

static struct issue_profile
profile(void)
{
	struct issue_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.product, sizeof(p.product), "thermostat");
	snprintf(p.subject_cn, sizeof(p.subject_cn), "{serial}");
	snprintf(p.subject_o, sizeof(p.subject_o), "Acme Devices");
	snprintf(p.subject_serial, sizeof(p.subject_serial), "{chip}");
	snprintf(p.san_uri, sizeof(p.san_uri), "urn:dev:{model}:{serial}");
	p.validity_days = 3650;
	p.key_types = ISSUE_KEY_EC_P256;
	p.rsa_min_bits = 2048;
	p.eku_client_auth = 1;
	return p;
}

/* The fake HSM: DER ECDSA (or PKCS#1 v1.5) over SHA-256 of the TBS, or a chosen fault. */
static int
sign_cb(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	struct signer *s = ctx;
	EVP_MD_CTX *md;
	size_t len = *siglen;
	int ok;

	if (s->mode == SIGN_FAIL)
		return -1;
	if (s->mode == SIGN_GARBAGE) {
		memset(sig, 0x5a, 70);
		*siglen = 70;
		return 0;
	}
	md = EVP_MD_CTX_new();
	ok = md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	    s->mode == SIGN_OTHER_KEY ? s->other : s->key) == 1 &&
	    EVP_DigestSign(md, sig, &len, tbs, tbslen) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return -1;
	if (s->mode == SIGN_RAW) { /* a signer that forgot the r||s -> DER conversion */
		memset(sig, 0x11, 64);
		len = 64;
	}
	*siglen = len;
	return 0;
}

static EVP_PKEY *
keygen(const char *type, const char *curve, size_t bits)
{
	EVP_PKEY *k = curve != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type, bits);

	assert_non_null(k);
	return k;
}

struct csr_opts {
	const char *nonce; /* challengePassword, NULL = none */
	int two_values; /* challengePassword with two values */
	int extra_attr;
	const char *ext_nid_value; /* "critical,CA:FALSE" etc. for basicConstraints */
	const char *san;           /* requested subjectAltName */
	int flip_sig;
	const EVP_MD *md;          /* signature digest; NULL = SHA-256 */
};

static size_t
make_csr(EVP_PKEY *key, const struct csr_opts *o, uint8_t *out, size_t cap)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	X509_ATTRIBUTE *attr;
	unsigned char *der = NULL;
	int len;

	assert_non_null(req);
	assert_true(X509_REQ_set_version(req, X509_REQ_VERSION_1));
	assert_true(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_ASC, (const unsigned char *)"evil", -1, -1, 0));
	assert_true(X509_REQ_set_pubkey(req, key));
	if (o->nonce != NULL) {
		/* OpenSSL 3 refuses a repeated attribute type; a second value it does take. */
		attr = X509_ATTRIBUTE_create_by_NID(NULL, NID_pkcs9_challengePassword,
		    MBSTRING_ASC, (const unsigned char *)o->nonce, -1);
		assert_non_null(attr);
		if (o->two_values)
			assert_true(X509_ATTRIBUTE_set1_data(attr, MBSTRING_ASC,
			    (const unsigned char *)o->nonce, -1));
		assert_true(X509_REQ_add1_attr(req, attr));
		X509_ATTRIBUTE_free(attr);
	}
	if (o->extra_attr)
		assert_true(X509_REQ_add1_attr_by_NID(req, NID_pkcs9_unstructuredName,
		    MBSTRING_ASC, (const unsigned char *)"x", -1));
	if (o->ext_nid_value != NULL) {
		ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_basic_constraints, o->ext_nid_value);
		assert_non_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
	}
	if (o->san != NULL) {
		ext = X509V3_EXT_nconf_nid(NULL, NULL, NID_subject_alt_name, o->san);
		assert_non_null(ext);
		sk_X509_EXTENSION_push(exts, ext);
	}
	if (sk_X509_EXTENSION_num(exts) > 0)
		assert_true(X509_REQ_add_extensions(req, exts));
	assert_true(X509_REQ_sign(req, key, o->md ? o->md : EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &der);
	assert_true(len > 0 && (size_t)len <= cap);
	memcpy(out, der, (size_t)len);
	if (o->flip_sig)
		out[len - 1] ^= 0x01; /* last byte of the signature value */
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return (size_t)len;
}

static size_t
good_csr(EVP_PKEY *key, uint8_t *out)
{
	struct csr_opts o = { .nonce = NONCE_HEX };

	return make_csr(key, &o, out, CAP_CSR_DER);
}

static int
setup(void **state)
{
	unsigned char *spki = NULL;
	char why[CAP_REASON];
	int len;

	log_init("test-issue", LOG_ERROR);
	F.ca_key = keygen("EC", "P-256", 0);
	F.dev = keygen("EC", "P-256", 0);
	F.dev2 = keygen("EC", "P-256", 0);
	F.p384 = keygen("EC", "P-384", 0);
	F.rsa1024 = keygen("RSA", NULL, 1024);
	F.rsa2048 = keygen("RSA", NULL, 2048);
	F.rsa_ca_key = keygen("RSA", NULL, 2048);
	len = i2d_PUBKEY(F.ca_key, &spki);
	assert_true(len > 0);
	assert_int_equal(issue_demo_ca("Acme Root", "Acme Issuing", "Acme", spki, (size_t)len, 10,
	    &F.root, &F.ca, why, sizeof(why)), ISSUE_OK);
	OPENSSL_free(spki);
	F.signer.key = F.ca_key;
	F.signer.other = F.dev2;
	F.ica.cert = F.ca;
	F.ica.sign = sign_cb;
	F.ica.sign_ctx = &F.signer;

	/* An RSA issuing CA, self-signed, with no SKI: AKI must then come from its key. */
	F.rsa_ca = X509_new();
	X509_set_version(F.rsa_ca, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(F.rsa_ca), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(F.rsa_ca), "CN", MBSTRING_ASC,
	    (const unsigned char *)"RSA CA", -1, -1, 0);
	X509_set_issuer_name(F.rsa_ca, X509_get_subject_name(F.rsa_ca));
	X509_gmtime_adj(X509_getm_notBefore(F.rsa_ca), -60);
	X509_gmtime_adj(X509_getm_notAfter(F.rsa_ca), 86400);
	X509_set_pubkey(F.rsa_ca, F.rsa_ca_key);
	assert_true(X509_sign(F.rsa_ca, F.rsa_ca_key, EVP_sha256()) > 0);
	F.rsa_signer.key = F.rsa_ca_key;
	F.rsa_ica.cert = F.rsa_ca;
	F.rsa_ica.sign = sign_cb;
	F.rsa_ica.sign_ctx = &F.rsa_signer;
	return 0;
}

static int
teardown(void **state)
{
	EVP_PKEY_free(F.ca_key);
	EVP_PKEY_free(F.rsa_ca_key);
	EVP_PKEY_free(F.dev);
	EVP_PKEY_free(F.dev2);
	EVP_PKEY_free(F.p384);
	EVP_PKEY_free(F.rsa1024);
	EVP_PKEY_free(F.rsa2048);
	X509_free(F.root);
	X509_free(F.ca);
	X509_free(F.rsa_ca);
	return 0;
}

static X509 *
decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	return x;
}

static int
build(const struct issue_profile *prof, const struct issue_ca *ca, const uint8_t *csr,
    size_t csrlen, uint8_t **der, size_t *derlen, char **hex, char *why)
{
	return issue_build(prof, ca, &SUBJ, csr, csrlen, NONCE, sizeof(NONCE), der, derlen, hex,
	    why, CAP_REASON);
}

/* The one-parse forms (issue #14): the station checks and re-encodes from one parse
 * (issue_csr_check_canonical), the signer's issue_build refuses a non-canonical CSR first. */
static void
test_csr_one_parse(void **state)
{
	struct issue_profile prof = profile();
	uint8_t csr[CAP_CSR_DER], loose[CAP_CSR_DER], out[CAP_CSR_DER], *der = NULL;
	size_t len, hdr, body, outlen = 0, derlen = 0;
	char why[CAP_REASON];

	len = good_csr(F.dev, csr);
	hdr = 2 + (csr[1] & 0x7f);
	body = len - hdr;
	loose[0] = 0x30;
	loose[1] = 0x83;
	loose[2] = 0x00;
	loose[3] = (uint8_t)(body >> 8);
	loose[4] = (uint8_t)(body & 0xff);
	memcpy(loose + 5, csr + hdr, body);
	/* checked on the bytes received, re-encoded to the DER form */
	assert_int_equal(issue_csr_check_canonical(&prof, loose, body + 5, NONCE, sizeof(NONCE), out,
	                     sizeof(out), &outlen, why, sizeof(why)), ISSUE_OK);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, csr, len);
	/* the checks still apply: another nonce is refused */
	assert_int_equal(issue_csr_check_canonical(&prof, csr, len, (const uint8_t *)"other-nonce-1234",
	                     16, out, sizeof(out), &outlen, why, sizeof(why)), ISSUE_ERR_NONCE);
	/* too small a buffer for the re-encoding */
	assert_int_equal(issue_csr_check_canonical(&prof, csr, len, NONCE, sizeof(NONCE), out,
	                     len - 1, &outlen, why, sizeof(why)), ISSUE_ERR_INTERNAL);
	/* the signer: the loose encoding is refused before anything else, the DER one issued */
	assert_int_equal(build(&prof, &F.ica, loose, body + 5, &der, &derlen, NULL, why),
	    ISSUE_ERR_CSR_NOT_CANONICAL);
	assert_null(der);
	assert_int_equal(build(&prof, &F.ica, csr, len, &der, &derlen, NULL, why), ISSUE_OK);
	OPENSSL_free(der);
}

/* ---- templates ---- */

static void
test_expand(void **state)
{
	struct issue_subject bad = { "SN\n1", "ab", "m" };
	char out[64];

	assert_int_equal(issue_expand("urn:dev:{model}:{serial}/{chip}/{product}", &SUBJ, "thermo",
	    out, sizeof(out)), ISSUE_OK);
	assert_string_equal(out, "urn:dev:tx-1:SN-000042/00c0ffee12345678/thermo");
	assert_int_equal(issue_expand("", &SUBJ, "p", out, sizeof(out)), ISSUE_OK);
	assert_string_equal(out, "");
	strcpy(out, "untouched");
	assert_int_equal(issue_expand("{nope}", &SUBJ, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("{serial", &SUBJ, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("serial}", &SUBJ, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("{{serial}}", &SUBJ, "p", out, sizeof(out)),
	    ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("{}", &SUBJ, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
	assert_string_equal(out, "untouched"); /* out-params set only on success */
	assert_int_equal(issue_expand("{serial}", &SUBJ, "p", out, 9), ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("{serial}", &SUBJ, "p", out, 10), ISSUE_OK);
	assert_int_equal(issue_expand("{serial}", &bad, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
	assert_int_equal(issue_expand("a\tb", &SUBJ, "p", out, sizeof(out)), ISSUE_ERR_TEMPLATE);
}

/* ---- CSR classes ---- */

static void
expect_csr(const struct issue_profile *prof, const uint8_t *csr, size_t len, int want)
{
	EVP_PKEY *pub = (EVP_PKEY *)(uintptr_t)0x1;
	char why[CAP_REASON] = "";

	assert_int_equal(issue_csr_check(prof, csr, len, NONCE, sizeof(NONCE), &pub, why,
	    sizeof(why)), want);
	if (want == ISSUE_OK) {
		assert_non_null(pub);
		EVP_PKEY_free(pub);
	} else {
		assert_ptr_equal(pub, (EVP_PKEY *)(uintptr_t)0x1); /* untouched */
		assert_true(strlen(why) > 20);
	}
}

static void
test_csr_good(void **state)
{
	struct issue_profile prof = profile();
	uint8_t csr[CAP_CSR_DER];
	size_t len = good_csr(F.dev, csr);
	EVP_PKEY *pub = NULL;
	char why[CAP_REASON];

	assert_int_equal(issue_csr_check(&prof, csr, len, NONCE, sizeof(NONCE), &pub, why,
	    sizeof(why)), ISSUE_OK);
	assert_int_equal(EVP_PKEY_eq(pub, F.dev), 1);
	EVP_PKEY_free(pub);
	assert_int_equal(issue_csr_check(&prof, csr, len, NONCE, sizeof(NONCE), NULL, why,
	    sizeof(why)), ISSUE_OK);
}

static void
test_csr_bad(void **state)
{
	struct issue_profile prof = profile(), rsa = profile(), all = profile();
	uint8_t csr[CAP_CSR_DER + 1], junk[300];
	struct csr_opts o;
	size_t len, i;

	rsa.key_types = ISSUE_KEY_EC_P256 | ISSUE_KEY_RSA;
	all.key_types = ISSUE_KEY_EC_P256 | ISSUE_KEY_EC_P384 | ISSUE_KEY_RSA;

	memset(&o, 0, sizeof(o));
	o.nonce = "deadbeef000102030405060708090afe";
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_NONCE);
	o.nonce = "DEADBEEF000102030405060708090AFF"; /* upper case is not the agreed form */
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_NONCE);
	o.nonce = NULL;
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_NONCE);

	memset(&o, 0, sizeof(o));
	o.nonce = NONCE_HEX;
	o.flip_sig = 1;
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_CSR_SIG);
	o.flip_sig = 0;
	o.md = EVP_sha1(); /* a valid signature, but SHA-1 */
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_CSR_DIGEST);
	o.md = EVP_sha384();
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_OK);
	o.md = NULL;
	o.extra_attr = 1;
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_CSR_ATTR);
	o.extra_attr = 0;
	o.two_values = 1;
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_NONCE);
	o.two_values = 0;
	o.ext_nid_value = "critical,CA:FALSE";
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_ERR_CSR_ATTR);
	o.ext_nid_value = "CA:FALSE"; /* a non-critical request is ignored, not refused */
	expect_csr(&prof, csr, make_csr(F.dev, &o, csr, sizeof(csr)), ISSUE_OK);

	len = good_csr(F.rsa1024, csr);
	expect_csr(&rsa, csr, len, ISSUE_ERR_KEY_WEAK);
	expect_csr(&prof, csr, len, ISSUE_ERR_KEY_TYPE);
	rsa.rsa_min_bits = 1024; /* a profile cannot go below the 2048-bit floor */
	expect_csr(&rsa, csr, len, ISSUE_ERR_KEY_WEAK);
	len = good_csr(F.rsa2048, csr);
	expect_csr(&rsa, csr, len, ISSUE_OK);
	rsa.rsa_min_bits = 3072;
	expect_csr(&rsa, csr, len, ISSUE_ERR_KEY_WEAK);
	len = good_csr(F.p384, csr);
	expect_csr(&prof, csr, len, ISSUE_ERR_KEY_TYPE);
	expect_csr(&all, csr, len, ISSUE_OK);

	len = good_csr(F.dev, csr);
	csr[len] = 0;
	expect_csr(&prof, csr, len + 1, ISSUE_ERR_CSR_PARSE);
	for (i = 1; i < len; i += 37)
		expect_csr(&prof, csr, i, ISSUE_ERR_CSR_PARSE); /* truncated */
	expect_csr(&prof, csr, 0, ISSUE_ERR_CSR_PARSE);
	expect_csr(&prof, csr, CAP_CSR_DER + 1, ISSUE_ERR_CSR_PARSE);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	expect_csr(&prof, junk, sizeof(junk), ISSUE_ERR_CSR_PARSE);
	junk[0] = 0x30;
	junk[1] = 0x82;
	expect_csr(&prof, junk, sizeof(junk), ISSUE_ERR_CSR_PARSE);
}

/* ---- canonical form ---- */

static void
test_csr_canonical(void **state)
{
	uint8_t csr[CAP_CSR_DER + 1], loose[CAP_CSR_DER], out[CAP_CSR_DER];
	size_t len, hdr, body, outlen;

	/* What OpenSSL writes is DER: already canonical. */
	len = good_csr(F.dev, csr);
	assert_int_equal(issue_csr_is_canonical(csr, len), 1);
	outlen = 0;
	assert_int_equal(issue_csr_canonical(csr, len, out, sizeof(out), &outlen), ISSUE_OK);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, csr, len);
	/* An exact fit. */
	assert_int_equal(issue_csr_canonical(csr, len, out, len, &outlen), ISSUE_OK);

	/* The same request with the outer SEQUENCE length in three bytes, the first a zero: valid
	 * BER, parsed like the DER one, but not canonical; re-encoding gives the DER bytes back. */
	assert_int_equal(csr[0], 0x30);
	assert_true(csr[1] == 0x81 || csr[1] == 0x82);
	hdr = 2 + (csr[1] & 0x7f);
	body = len - hdr;
	loose[0] = 0x30;
	loose[1] = 0x83;
	loose[2] = 0x00;
	loose[3] = (uint8_t)(body >> 8);
	loose[4] = (uint8_t)(body & 0xff);
	memcpy(loose + 5, csr + hdr, body);
	assert_int_equal(issue_csr_is_canonical(loose, body + 5), 0);
	outlen = 0;
	assert_int_equal(issue_csr_canonical(loose, body + 5, out, sizeof(out), &outlen), ISSUE_OK);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, csr, len);

	/* A trailing byte: not one request at all. Out-parameters stay untouched on failure. */
	csr[len] = 0x00;
	assert_int_equal(issue_csr_is_canonical(csr, len + 1), 0);
	memset(out, 0xee, sizeof(out));
	outlen = 12345;
	assert_int_equal(issue_csr_canonical(csr, len + 1, out, sizeof(out), &outlen),
	    ISSUE_ERR_CSR_PARSE);
	assert_int_equal(outlen, 12345);
	assert_int_equal(out[0], 0xee);

	/* Does not fit the caller's buffer. */
	assert_int_equal(issue_csr_canonical(csr, len, out, len - 1, &outlen), ISSUE_ERR_INTERNAL);
	assert_int_equal(outlen, 12345);
	assert_int_equal(out[0], 0xee);

	/* Truncated, empty, over the cap, garbage. */
	assert_int_equal(issue_csr_is_canonical(csr, len - 1), 0);
	assert_int_equal(issue_csr_is_canonical(csr, 0), 0);
	assert_int_equal(issue_csr_is_canonical(NULL, 0), 0);
	assert_int_equal(issue_csr_canonical(csr, len - 1, out, sizeof(out), &outlen),
	    ISSUE_ERR_CSR_PARSE);
	assert_int_equal(issue_csr_canonical(csr, 0, out, sizeof(out), &outlen),
	    ISSUE_ERR_CSR_PARSE);
	assert_int_equal(issue_csr_canonical(csr, CAP_CSR_DER + 1, out, sizeof(out), &outlen),
	    ISSUE_ERR_CSR_PARSE);
	memset(loose, 0x5a, sizeof(loose));
	assert_int_equal(issue_csr_is_canonical(loose, 300), 0);
	assert_int_equal(issue_csr_canonical(loose, 300, out, sizeof(out), &outlen),
	    ISSUE_ERR_CSR_PARSE);
	assert_int_equal(outlen, 12345);
}

/* ---- issuance ---- */

static int
has_text(X509 *x, const char *needle)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int found;

	X509_print_ex(b, x, XN_FLAG_ONELINE, 0);
	BIO_write(b, "", 1);
	n = BIO_get_mem_data(b, &p);
	found = n > 0 && strstr(p, needle) != NULL;
	BIO_free(b);
	return found;
}

static void
write_sample(X509 *x)
{
	const char *dir = getenv("ISSUE_SAMPLE_DIR");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/device.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_X509(f, F.ca);
	PEM_write_X509(f, F.root);
	fclose(f);
	snprintf(path, sizeof(path), "%s/root.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_X509(f, F.root);
	fclose(f);
	snprintf(path, sizeof(path), "%s/issuing.pem", dir);
	assert_non_null(f = fopen(path, "w"));
	PEM_write_X509(f, F.ca);
	fclose(f);
}

static void
chain_verifies(X509 *x, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();

	assert_true(X509_STORE_add_cert(store, F.root));
	sk_X509_push(untrusted, F.ca);
	assert_true(X509_STORE_CTX_init(ctx, store, x, untrusted));
	if (purpose != 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
}

static void
test_build_good(void **state)
{
	struct issue_profile prof = profile();
	struct csr_opts o = { .nonce = NONCE_HEX, .san = "DNS:evil.example" };
	uint8_t csr[CAP_CSR_DER], *der = NULL;
	size_t len = make_csr(F.dev, &o, csr, sizeof(csr)), derlen = 0;
	char why[CAP_REASON], *hex = NULL, *x_hex;
	X509 *x;
	BIGNUM *bn;
	GENERAL_NAMES *san;
	const ASN1_STRING *uri;
	int type;

	assert_int_equal(build(&prof, &F.ica, csr, len, &der, &derlen, &hex, why), ISSUE_OK);
	x = decode(der, derlen);
	assert_int_equal(X509_verify(x, F.ca_key), 1);
	chain_verifies(x, X509_PURPOSE_SSL_CLIENT);
	write_sample(x);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), F.dev), 1);
	/* Subject and SAN from the profile; nothing from the CSR. */
	assert_true(has_text(x, "CN = SN-000042"));
	assert_true(has_text(x, "O = Acme Devices"));
	assert_true(has_text(x, "serialNumber = 00c0ffee12345678"));
	assert_false(has_text(x, "evil"));
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	uri = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(san, 0), &type);
	assert_int_equal(type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(uri), "urn:dev:tx-1:SN-000042");
	GENERAL_NAMES_free(san);
	assert_false(X509_get_extension_flags(x) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	    X509_get0_subject_key_id(F.ca)), 0);
	assert_int_equal(X509_check_issued(F.ca, x), X509_V_OK);
	assert_int_equal(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
	/* The serial reported is the serial in the certificate. */
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	x_hex = BN_bn2hex(bn);
	assert_string_equal(hex, x_hex);
	assert_false(BN_is_negative(bn));
	OPENSSL_free(x_hex);
	BN_free(bn);
	/* The stand-alone lint agrees. */
	assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen, &SUBJ, NULL, why, sizeof(why)),
	    ISSUE_OK);
	X509_free(x);
	OPENSSL_free(der);
	OPENSSL_free(hex);
}

static void
test_build_variants(void **state)
{
	struct issue_profile prof = profile();
	uint8_t csr[CAP_CSR_DER], *der = NULL;
	size_t len, derlen;
	char why[CAP_REASON];
	X509 *x;
	ASN1_TIME *never = ASN1_TIME_new();

	/* No expiry, no EKU, both EKUs, a DNS SAN, an RSA device key, an RSA CA. */
	prof.validity_days = 0;
	prof.eku_client_auth = 0;
	prof.san_uri[0] = '\0';
	snprintf(prof.san_dns, sizeof(prof.san_dns), "{serial}.{model}.devices.example");
	prof.key_types = ISSUE_KEY_RSA;
	len = good_csr(F.rsa2048, csr);
	assert_int_equal(build(&prof, &F.ica, csr, len, &der, &derlen, NULL, why), ISSUE_OK);
	x = decode(der, derlen);
	ASN1_TIME_set_string_X509(never, "99991231235959Z");
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), never), 0);
	assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	assert_true(has_text(x, "DNS:SN-000042.tx-1.devices.example"));
	chain_verifies(x, 0);
	X509_free(x);
	OPENSSL_free(der);

	prof = profile();
	prof.eku_server_auth = 1;
	len = good_csr(F.dev, csr);
	assert_int_equal(build(&prof, &F.rsa_ica, csr, len, &der, &derlen, NULL, why), ISSUE_OK);
	x = decode(der, derlen);
	assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
	assert_int_equal(X509_verify(x, F.rsa_ca_key), 1);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_CLIENT | XKU_SSL_SERVER);
	X509_free(x);
	OPENSSL_free(der);
	ASN1_TIME_free(never);
}

static void
test_serials_unique(void **state)
{
	struct issue_profile prof = profile();
	uint8_t csr[CAP_CSR_DER], *der;
	size_t len = good_csr(F.dev, csr), derlen, i, j;
	char why[CAP_REASON], *hex[100];

	for (i = 0; i < 100; i++) {
		assert_int_equal(build(&prof, &F.ica, csr, len, &der, &derlen, &hex[i], why),
		    ISSUE_OK);
		OPENSSL_free(der);
		/* at most 16 bytes, top bit clear: the DER needs no sign pad */
		assert_true(strlen(hex[i]) <= 32 && strlen(hex[i]) % 2 == 0);
		assert_true(strlen(hex[i]) < 32 || strchr("01234567", hex[i][0]) != NULL);
		for (j = 0; j < i; j++)
			assert_string_not_equal(hex[i], hex[j]);
	}
	for (i = 0; i < 100; i++)
		OPENSSL_free(hex[i]);
}

static void
expect_build(const struct issue_profile *prof, const struct issue_ca *ca, int want)
{
	uint8_t csr[CAP_CSR_DER], *der = (uint8_t *)(uintptr_t)0x1;
	size_t len = good_csr(F.dev, csr), derlen = 7;
	char why[CAP_REASON] = "", *hex = (char *)(uintptr_t)0x1;

	assert_int_equal(build(prof, ca, csr, len, &der, &derlen, &hex, why), want);
	assert_ptr_equal(der, (uint8_t *)(uintptr_t)0x1);
	assert_ptr_equal(hex, (char *)(uintptr_t)0x1);
	assert_int_equal(derlen, 7);
	assert_true(strlen(why) > 20);
}

static void
test_build_templates(void **state)
{
	struct issue_profile prof = profile();

	snprintf(prof.subject_cn, sizeof(prof.subject_cn), "{serial}-{lot}");
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	snprintf(prof.subject_cn, sizeof(prof.subject_cn), "{serial");
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	/* 65 characters: over the commonName upper bound (RFC 5280 ub-common-name) */
	snprintf(prof.subject_cn, sizeof(prof.subject_cn), "%065d", 0);
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	prof = profile();
	prof.subject_cn[0] = '\0';
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	prof = profile();
	snprintf(prof.subject_serial, sizeof(prof.subject_serial), "chip*{chip}"); /* not printable */
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	prof = profile();
	snprintf(prof.san_dns, sizeof(prof.san_dns), "{serial}_x.example");
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	prof = profile();
	snprintf(prof.san_uri, sizeof(prof.san_uri), "no scheme {serial}");
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
	prof = profile();
	prof.validity_days = 36501;
	expect_build(&prof, &F.ica, ISSUE_ERR_TEMPLATE);
}

static void
test_sign_faults(void **state)
{
	struct issue_profile prof = profile();

	F.signer.mode = SIGN_FAIL;
	expect_build(&prof, &F.ica, ISSUE_ERR_SIGN);
	F.signer.mode = SIGN_GARBAGE;
	expect_build(&prof, &F.ica, ISSUE_ERR_SIGN);
	F.signer.mode = SIGN_RAW;
	expect_build(&prof, &F.ica, ISSUE_ERR_SIGN);
	F.signer.mode = SIGN_OTHER_KEY; /* valid DER, wrong key: only the lint can tell */
	expect_build(&prof, &F.ica, ISSUE_ERR_LINT);
	F.signer.mode = SIGN_OK;
}

static void
test_lint(void **state)
{
	struct issue_profile prof = profile(), other = profile();
	struct issue_subject subj2 = SUBJ;
	uint8_t csr[CAP_CSR_DER], *der;
	size_t len = good_csr(F.dev, csr), derlen, i;
	char why[CAP_REASON];

	assert_int_equal(build(&prof, &F.ica, csr, len, &der, &derlen, NULL, why), ISSUE_OK);
	/* Any single flipped byte is caught (decode, signature or a field check). */
	for (i = 0; i < derlen; i++) {
		der[i] ^= 0x01;
		assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen, &SUBJ, NULL, why, sizeof(why)),
		    ISSUE_ERR_LINT);
		der[i] ^= 0x01;
	}
	assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen, &SUBJ, F.dev, why, sizeof(why)),
	    ISSUE_OK);
	assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen, &SUBJ, F.dev2, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	subj2.serial = "SN-000043";
	assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen, &subj2, NULL, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	other.eku_server_auth = 1;
	assert_int_equal(issue_lint_pub(&other, F.ca, der, derlen, &SUBJ, NULL, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	other = profile();
	other.validity_days = 365;
	assert_int_equal(issue_lint_pub(&other, F.ca, der, derlen, &SUBJ, NULL, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	assert_int_equal(issue_lint_pub(&prof, F.rsa_ca, der, derlen, &SUBJ, NULL, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	assert_int_equal(issue_lint_pub(&prof, F.ca, der, derlen - 1, &SUBJ, NULL, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	OPENSSL_free(der);
}

/* ---- CRL and demo CA ---- */

static void
test_crl(void **state)
{
	static const char *serials[] = { "7A00000000000000000000000000001F", "01",
		"3B9ACA00DEADBEEF" };
	struct issue_revoked rev[3];
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t derlen = 0, i;
	char why[CAP_REASON];
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *sk;
	BIGNUM *bn;
	char *hex;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *aki;

	for (i = 0; i < 3; i++) {
		rev[i].serial_hex = serials[i];
		rev[i].revoked_at = 1700000000 + (int64_t)i;
	}
	assert_int_equal(issue_crl(&F.ica, rev, 3, 42, 7, &der, &derlen, why, sizeof(why)),
	    ISSUE_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)derlen);
	assert_non_null(crl);
	assert_ptr_equal(p, der + derlen);
	assert_int_equal(X509_CRL_verify(crl, F.ca_key), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(F.ca)), 0);
	AUTHORITY_KEYID_free(aki);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(num), 42);
	ASN1_INTEGER_free(num);
	sk = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(sk), 3);
	/* sorted by serial */
	for (i = 0; i < 3; i++) {
		bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sk,
		    (int)i)), NULL);
		hex = BN_bn2hex(bn);
		assert_string_equal(hex, serials[i == 0 ? 1 : i == 1 ? 2 : 0]);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	X509_CRL_free(crl);
	OPENSSL_free(der);

	/* empty, RSA CA, bad entries */
	assert_int_equal(issue_crl(&F.rsa_ica, NULL, 0, 1, 7, &der, &derlen, why, sizeof(why)),
	    ISSUE_OK);
	p = der;
	crl = d2i_X509_CRL(NULL, &p, (long)derlen);
	assert_int_equal(X509_CRL_verify(crl, F.rsa_ca_key), 1);
	X509_CRL_free(crl);
	OPENSSL_free(der);
	rev[1].serial_hex = "12G4";
	assert_int_equal(issue_crl(&F.ica, rev, 3, 43, 7, &der, &derlen, why, sizeof(why)),
	    ISSUE_ERR_INTERNAL);
	rev[1].serial_hex = serials[0];
	assert_int_equal(issue_crl(&F.ica, rev, 3, 43, 7, &der, &derlen, why, sizeof(why)),
	    ISSUE_ERR_INTERNAL);
	rev[1].serial_hex = serials[1];
	F.signer.mode = SIGN_OTHER_KEY;
	assert_int_equal(issue_crl(&F.ica, rev, 3, 43, 7, &der, &derlen, why, sizeof(why)),
	    ISSUE_ERR_LINT);
	F.signer.mode = SIGN_OK;
}

static void
test_demo_ca(void **state)
{
	EVP_PKEY *k = keygen("EC", "P-256", 0);
	unsigned char *spki = NULL;
	X509 *root = NULL, *iss = NULL;
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	BASIC_CONSTRAINTS *bc;
	char why[CAP_REASON];
	int len = i2d_PUBKEY(k, &spki);

	assert_int_equal(issue_demo_ca("Demo Root", "Demo Issuing", "Demo", spki, (size_t)len, 5,
	    &root, &iss, why, sizeof(why)), ISSUE_OK);
	assert_int_equal(X509_verify(root, X509_get0_pubkey(root)), 1);
	assert_int_equal(X509_verify(iss, X509_get0_pubkey(root)), 1);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(iss), k), 1);
	assert_true(X509_get_extension_flags(iss) & EXFLAG_CA);
	assert_int_equal(X509_get_key_usage(iss), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	bc = X509_get_ext_d2i(iss, NID_basic_constraints, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(iss),
	    X509_get0_subject_key_id(root)), 0);
	assert_true(X509_STORE_add_cert(store, root));
	assert_true(X509_STORE_CTX_init(ctx, store, iss, NULL));
	assert_int_equal(X509_verify_cert(ctx), 1);
	/* a key in a wrapper with trailing bytes is refused */
	assert_int_equal(issue_demo_ca("R", "I", "O", spki, (size_t)len - 1, 5, &root, &iss, why,
	    sizeof(why)), ISSUE_ERR_INTERNAL);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(root);
	X509_free(iss);
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_csr_good),
		cmocka_unit_test(test_csr_bad),
		cmocka_unit_test(test_csr_canonical),
		cmocka_unit_test(test_build_good),
		cmocka_unit_test(test_build_variants),
		cmocka_unit_test(test_serials_unique),
		cmocka_unit_test(test_build_templates),
		cmocka_unit_test(test_csr_one_parse),
		cmocka_unit_test(test_sign_faults),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_demo_ca),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
