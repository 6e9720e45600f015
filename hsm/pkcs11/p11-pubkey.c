/*
 * p11-pubkey.c: the public half of an EC or Ed25519 key on the token as a DER
 * SubjectPublicKeyInfo. CKA_EC_PARAMS and CKA_EC_POINT come from the module and are checked like
 * any untrusted input; OpenSSL checks that the point is on the curve.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "log.h"
#include "p11-int.h"

/*
 * The EC point from CKA_EC_POINT: normally a DER OCTET STRING around the encoded point
 * (PKCS#11 v2.40), but some modules return the bare point. fb = field size in bytes.
 * Accepts only lengths a point on this curve can have. *pt points into buf.
 */
static int
unwrap_ec_point(const uint8_t *buf, size_t len, size_t fb, const uint8_t **pt, size_t *ptlen)
{
	size_t hdr, inner;

	if (len >= 2 && buf[0] == 0x04) {
		if (buf[1] < 0x80) {
			hdr = 2;
			inner = buf[1];
		} else if (buf[1] == 0x81 && len >= 3 && buf[2] >= 0x80) {
			hdr = 3;
			inner = buf[2];
		} else
			hdr = inner = 0;
		/* Compare with what remains; never form buf + inner first. */
		if (hdr != 0 && inner == len - hdr &&
		    (inner == 1 + 2 * fb || inner == 1 + fb)) {
			*pt = buf + hdr;
			*ptlen = inner;
			return 0;
		}
	}
	if ((len == 1 + 2 * fb && buf[0] == 0x04) ||
	    (len == 1 + fb && (buf[0] == 0x02 || buf[0] == 0x03))) {
		*pt = buf;
		*ptlen = len;
		return 0;
	}
	return -1;
}

/*
 * An Ed25519 public key from CKA_EC_PARAMS (id-Ed25519 OID, or the PrintableString
 * "edwards25519" of PKCS#11 3.0) and CKA_EC_POINT (32 bytes, bare or in a DER OCTET STRING).
 * NULL, with the reason logged, for anything else.
 */
static EVP_PKEY *
ed25519_pub(const uint8_t *params, size_t plen, const uint8_t *point, size_t len)
{
	static const uint8_t oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	static const uint8_t name[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5',
		'5', '1', '9' };
	EVP_PKEY *k;

	if (!(plen == sizeof(oid) && memcmp(params, oid, plen) == 0) &&
	    !(plen == sizeof(name) && memcmp(params, name, plen) == 0)) {
		log_error("HSM Edwards key is not on edwards25519 (only Ed25519 is supported)");
		return NULL;
	}
	if (len == 34 && point[0] == 0x04 && point[1] == 32)
		point += 2;
	else if (len != 32) {
		log_error("HSM Ed25519 key has a malformed CKA_EC_POINT (%zu bytes)", len);
		return NULL;
	}
	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, point, 32)) == NULL)
		log_openssl(LOG_ERROR, "HSM Ed25519 public key is not valid");
	return k;
}

int
p11_ec_pubkey_spki(struct p11 *p, CK_OBJECT_HANDLE pub, uint8_t **der, size_t *derlen)
{
	uint8_t params[CAP_EC_PARAMS], point[CAP_EC_POINT], *out = NULL, *q;
	CK_ATTRIBUTE a[2] = {
		{ CKA_EC_PARAMS, NULL, 0 },
		{ CKA_EC_POINT, NULL, 0 },
	};
	CK_ULONG cls = 0, kt = 0;
	ASN1_OBJECT *obj = NULL;
	EC_GROUP *grp = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	const unsigned char *pp;
	const uint8_t *pt;
	const char *sn;
	size_t ptlen;
	int nid, deg, len, r = P11_ERR_FUNC;
	CK_RV rv;

	if ((r = p11_need_session(p, "p11_ec_pubkey_spki")) != P11_OK)
		return r;
	if (der == NULL || derlen == NULL)
		return P11_ERR_ARG;
	if ((r = p11_get_ulong_attr(p, pub, CKA_CLASS, &cls)) != P11_OK ||
	    (r = p11_get_ulong_attr(p, pub, CKA_KEY_TYPE, &kt)) != P11_OK)
		goto out;
	if (cls != CKO_PUBLIC_KEY || (kt != CKK_EC && kt != CKK_EC_EDWARDS)) {
		log_error("HSM object is a %s of key type 0x%lx, not an EC or Ed25519 public key; "
		    "use type=public in the URI of such a key", p11_class_name(cls),
		    (unsigned long)kt);
		r = P11_ERR_KEY;
		goto out;
	}
	/* Sizes first; everything the token says is checked against our buffers. */
	if ((rv = p->f->C_GetAttributeValue(p->sess, pub, a, 2)) != CKR_OK) {
		r = p11_ckr_fail(rv, "C_GetAttributeValue(CKA_EC_PARAMS, CKA_EC_POINT) failed");
		goto out;
	}
	if (a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION || a[0].ulValueLen == 0 ||
	    a[0].ulValueLen > sizeof(params) ||
	    a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION || a[1].ulValueLen == 0 ||
	    a[1].ulValueLen > sizeof(point)) {
		log_error("HSM EC public key has implausible CKA_EC_PARAMS (%lu bytes) or "
		    "CKA_EC_POINT (%lu bytes); check that the URI names an EC public key",
		    (unsigned long)a[0].ulValueLen, (unsigned long)a[1].ulValueLen);
		r = P11_ERR_KEY;
		goto out;
	}
	a[0].pValue = params;
	a[1].pValue = point;
	if ((rv = p->f->C_GetAttributeValue(p->sess, pub, a, 2)) != CKR_OK) {
		r = p11_ckr_fail(rv, "C_GetAttributeValue(CKA_EC_PARAMS, CKA_EC_POINT) failed");
		goto out;
	}
	if (a[0].ulValueLen > sizeof(params) || a[1].ulValueLen > sizeof(point)) {
		log_error("HSM returned more EC key bytes than it announced; the PKCS#11 module "
		    "is broken");
		r = P11_ERR_FUNC;
		goto out;
	}
	if (kt == CKK_EC_EDWARDS) {
		if ((pk = ed25519_pub(params, a[0].ulValueLen, point, a[1].ulValueLen)) == NULL) {
			r = P11_ERR_KEY;
			goto out;
		}
		goto encode;
	}
	/* Only named curves: a DER OBJECT IDENTIFIER filling CKA_EC_PARAMS exactly. */
	pp = params;
	if (a[0].ulValueLen < 3 || params[0] != 0x06 || params[1] >= 0x80 ||
	    (size_t)params[1] != a[0].ulValueLen - 2 ||
	    (obj = d2i_ASN1_OBJECT(NULL, &pp, (long)a[0].ulValueLen)) == NULL ||
	    pp != params + a[0].ulValueLen ||
	    (nid = OBJ_obj2nid(obj)) == NID_undef || (sn = OBJ_nid2sn(nid)) == NULL) {
		ERR_clear_error();
		log_error("HSM EC key uses explicit or unknown curve parameters; only named curves "
		    "(e.g. prime256v1, secp384r1) are supported");
		r = P11_ERR_KEY;
		goto out;
	}
	if ((grp = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    (deg = EC_GROUP_get_degree(grp)) <= 0) {
		ERR_clear_error();
		log_error("HSM EC key uses curve %s, which OpenSSL does not support here; use "
		    "prime256v1 or secp384r1", sn);
		r = P11_ERR_KEY;
		goto out;
	}
	if (unwrap_ec_point(point, a[1].ulValueLen, ((size_t)deg + 7) / 8, &pt, &ptlen) != 0) {
		log_error("HSM EC key has a malformed CKA_EC_POINT (%lu bytes for curve %s); "
		    "check the key on the token", (unsigned long)a[1].ulValueLen, sn);
		r = P11_ERR_KEY;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, sn, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen) ||
	    (prm = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0) {
		log_openssl(LOG_ERROR, "cannot set up an EC public key");
		r = P11_ERR_NOMEM;
		goto out;
	}
	/* The import decodes the point and checks that it is on the curve. */
	if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, prm) <= 0) {
		log_openssl(LOG_ERROR, "HSM EC public key is not a valid point on %s; check the "
		    "key on the token", sn);
		r = P11_ERR_KEY;
		goto out;
	}
encode:
	if ((len = i2d_PUBKEY(pk, NULL)) <= 0) {
		log_openssl(LOG_ERROR, "cannot encode the HSM EC public key");
		r = P11_ERR_FUNC;
		goto out;
	}
	if ((out = malloc((size_t)len)) == NULL) {
		log_error("out of memory encoding the HSM EC public key");
		r = P11_ERR_NOMEM;
		goto out;
	}
	q = out;
	if (i2d_PUBKEY(pk, &q) != len) {
		log_openssl(LOG_ERROR, "cannot encode the HSM EC public key");
		r = P11_ERR_FUNC;
		goto out;
	}
	*der = out;
	*derlen = (size_t)len;
	out = NULL; /* owned by caller */
	r = P11_OK;
 out:
	free(out);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(bld);
	EC_GROUP_free(grp);
	ASN1_OBJECT_free(obj);
	return r;
}
