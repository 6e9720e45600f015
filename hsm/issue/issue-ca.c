/*
 * issue-ca.c: the demo key ceremony (PRODUCT §6: an offline root signs the issuing CA). The root
 * key is a software key that lives only inside issue_demo_ca; a real deployment does this step on
 * an offline HSM, as docs/ describes.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "log.h"


static int
ca_name(const char *cn, const char *org, X509_NAME **out)
{
	X509_NAME *name = X509_NAME_new();

	if (name == NULL ||
	    !X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
	    (const unsigned char *)org, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(name);
		return ISSUE_ERR_TEMPLATE;
	}
	*out = name;
	return ISSUE_OK;
}

static int
add_conf_ext(X509 *issuer, X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	/* The ceremony runs once; the config-string form reads best here. */
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A CA certificate for pub, signed by signkey; issuer NULL means self-signed (the root). */
static int
ca_cert(const char *cn, const char *org, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signkey,
    unsigned years, X509 **out)
{
	X509_NAME *name = NULL;
	X509 *x = NULL;
	time_t now = time(NULL);
	int r;

	if ((r = ca_name(cn, org, &name)) != ISSUE_OK)
		return r;
	r = ISSUE_ERR_NOMEM;
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    issue_rand_serial(X509_get_serialNumber(x)) != ISSUE_OK ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
	    ASN1_TIME_adj(X509_getm_notBefore(x), now, 0, 0) == NULL ||
	    ASN1_TIME_adj(X509_getm_notAfter(x), now, (int)(years * 365 + years / 4), 0) == NULL ||
	    !X509_set_pubkey(x, pub) ||
	    !add_conf_ext(issuer != NULL ? issuer : x, x, NID_basic_constraints,
	    issuer != NULL ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE") ||
	    !add_conf_ext(issuer != NULL ? issuer : x, x, NID_key_usage,
	    "critical,keyCertSign,cRLSign") ||
	    !add_conf_ext(issuer != NULL ? issuer : x, x, NID_subject_key_identifier, "hash") ||
	    (issuer != NULL && !add_conf_ext(issuer, x, NID_authority_key_identifier,
	    "keyid:always")) ||
	    X509_sign(x, signkey, EVP_sha256()) <= 0) {
		r = ISSUE_ERR_INTERNAL;
		goto out;
	}
	*out = x;
	x = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	X509_free(x);
	X509_NAME_free(name);
	return r;
}

static int
demo_args_ok(const char *root_cn, const char *issuing_cn, const char *org,
    const uint8_t *spki, size_t spkilen, unsigned years, X509 **root, X509 **issuing)
{
	return root_cn != NULL && *root_cn != '\0' && issuing_cn != NULL && *issuing_cn != '\0' &&
	    org != NULL && *org != '\0' && strcmp(root_cn, issuing_cn) != 0 && spki != NULL &&
	    spkilen > 0 && spkilen <= CAP_CERT_DER && years >= 1 && years <= CAP_CA_YEARS &&
	    root != NULL && issuing != NULL;
}

int
issue_demo_ca(const char *root_cn, const char *issuing_cn, const char *org,
    const uint8_t *issuing_spki, size_t spkilen, unsigned years, X509 **root, X509 **issuing,
    char *why, size_t whycap)
{
	const unsigned char *p = issuing_spki;
	EVP_PKEY *rootkey = NULL, *ipub = NULL;
	X509 *rc = NULL, *ic = NULL;
	int r = ISSUE_ERR_INTERNAL;

	if (!demo_args_ok(root_cn, issuing_cn, org, issuing_spki, spkilen, years, root,
	    issuing)) {
		util_why(why, whycap, "the demo CA needs distinct root and issuing names, an "
		    "organization, the issuing key and 1..%d years", CAP_CA_YEARS);
		return ISSUE_ERR_INTERNAL;
	}
	if ((ipub = d2i_PUBKEY(NULL, &p, (long)spkilen)) == NULL ||
	    (size_t)(p - issuing_spki) != spkilen) {
		log_openssl(LOG_ERROR, "issuing CA public key");
		util_why(why, whycap, "the issuing CA public key is not one DER "
		    "SubjectPublicKeyInfo; export it from the HSM again");
		goto out;
	}
	if ((rootkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		log_openssl(LOG_ERROR, "generating the root key");
		util_why(why, whycap, "could not generate the demo root key; see the log");
		goto out;
	}
	if ((r = ca_cert(root_cn, org, rootkey, NULL, rootkey, years, &rc)) != ISSUE_OK ||
	    (r = ca_cert(issuing_cn, org, ipub, rc, rootkey, years, &ic)) != ISSUE_OK) {
		log_openssl(LOG_ERROR, "building the demo CA certificates");
		util_why(why, whycap, "could not build the demo CA certificates (names too long "
		    "or invalid?); see the log");
		goto out;
	}
	*root = rc;
	*issuing = ic;
	rc = ic = NULL; /* owned by caller */
	r = ISSUE_OK;
out:
	EVP_PKEY_free(rootkey); /* the root key never outlives the ceremony */
	EVP_PKEY_free(ipub);
	X509_free(rc);
	X509_free(ic);
	return r;
}
