/*
 * p11-keygen.c: generate keys on the token (key ceremony): EC/Ed25519 signing key pairs and HMAC
 * secrets, always sensitive and non-extractable, with a label and id that a URI can name.
 */
#include <string.h>

#include "log.h"
#include "p11-int.h"

#define SECRET_ATTRS 7          /* attributes secret_attrs sets at most */

/* Reject a label/id that could never be found by URI, or that is already in use for cls. */
static int
check_new_key(struct p11 *p, CK_OBJECT_CLASS cls, const char *label, const uint8_t *id,
    size_t idlen)
{
	CK_ATTRIBUTE t[2];
	CK_OBJECT_HANDLE h;
	CK_ULONG count = 0;
	char shown[CAP_P11_URI_VALUE + 1];
	size_t ll;
	int r;

	if (label == NULL || (ll = strlen(label)) == 0 || ll > CAP_P11_URI_VALUE ||
	    (id == NULL && idlen != 0) || idlen > sizeof(((struct p11_uri *)0)->id)) {
		log_error("new HSM key needs a label of 1..%d bytes and an id of at most %zu "
		    "bytes (so a pkcs11: URI can name it)", CAP_P11_URI_VALUE,
		    sizeof(((struct p11_uri *)0)->id));
		return P11_ERR_ARG;
	}
	p11_display_copy(shown, sizeof(shown), label);
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_LABEL;
	t[1].pValue = p11_unconst(label);
	t[1].ulValueLen = ll;
	if ((r = p11_find_objects(p, t, 2, &h, &count)) != P11_OK)
		return r;
	if (count == 0 && idlen != 0) {
		t[1].type = CKA_ID;
		t[1].pValue = p11_unconst(id);
		t[1].ulValueLen = idlen;
		if ((r = p11_find_objects(p, t, 2, &h, &count)) != P11_OK)
			return r;
	}
	if (count != 0) {
		log_error("a %s with label '%s' or the same id already exists on HSM token '%s'; "
		    "choose another label and id (a key URI must match exactly one key)",
		    p11_class_name(cls), shown, p->shown);
		return P11_ERR_KEY;
	}
	return P11_OK;
}

/*
 * The attributes of the secret half of every key generated here, written to t[0..SECRET_ATTRS):
 * a private token object that the HSM never reveals (sensitive, not extractable) and that can
 * sign, named by label and id. Returns how many are set: CKA_ID is left out when there is none.
 * t points to yes, no, label and id afterwards.
 */
static CK_ULONG
secret_attrs(CK_ATTRIBUTE *t, CK_BBOOL *yes, CK_BBOOL *no, const char *label, const uint8_t *id,
    size_t idlen)
{
	CK_ATTRIBUTE a[SECRET_ATTRS] = {
		{ CKA_TOKEN, yes, sizeof(*yes) },
		{ CKA_PRIVATE, yes, sizeof(*yes) },
		{ CKA_SENSITIVE, yes, sizeof(*yes) },
		{ CKA_EXTRACTABLE, no, sizeof(*no) },
		{ CKA_SIGN, yes, sizeof(*yes) },
		{ CKA_LABEL, p11_unconst(label), strlen(label) },
		{ CKA_ID, p11_unconst(id), idlen },
	};

	memcpy(t, a, sizeof(a));
	return SECRET_ATTRS - (idlen == 0);
}

/* After generation: a key that is not sensitive and non-extractable is destroyed. */
static int
check_protected(struct p11 *p, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, const char *label)
{
	int sens = 0, extr = 1, r;

	if ((r = p11_get_bool_attr(p, priv, CKA_SENSITIVE, &sens)) != P11_OK ||
	    (r = p11_get_bool_attr(p, priv, CKA_EXTRACTABLE, &extr)) != P11_OK)
		goto bad;
	if (sens && !extr)
		return P11_OK;
	log_error("HSM created key '%s' without CKA_SENSITIVE=TRUE and CKA_EXTRACTABLE=FALSE "
	    "despite the template; the key was destroyed; use an HSM that honours these "
	    "attributes", label);
	r = P11_ERR_FUNC;
 bad:
	(void)p->f->C_DestroyObject(p->sess, priv);
	if (pub != CK_INVALID_HANDLE)
		(void)p->f->C_DestroyObject(p->sess, pub);
	return r;
}

int
p11_gen_ec(struct p11 *p, const char *curve, const char *label, const uint8_t *id, size_t idlen)
{
	/* DER OIDs of the named curves (RFC 5480). */
	static const uint8_t oid_p256[] = {
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
	};
	static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	/* id-Ed25519 (RFC 8410), the form PKCS#11 3.0 §2.3.10 and SoftHSM2 take. */
	static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	CK_ATTRIBUTE priv[SECRET_ATTRS];
	const uint8_t *oid;
	CK_ULONG oidlen, npub, npriv;
	char shown[CAP_P11_URI_VALUE + 1];
	CK_RV rv;
	int r;

	if ((r = p11_need_session(p, "p11_gen_ec")) != P11_OK)
		return r;
	if (curve != NULL && strcmp(curve, "prime256v1") == 0) {
		oid = oid_p256;
		oidlen = sizeof(oid_p256);
	} else if (curve != NULL && strcmp(curve, "secp384r1") == 0) {
		oid = oid_p384;
		oidlen = sizeof(oid_p384);
	} else if (curve != NULL && strcmp(curve, "ed25519") == 0) {
		m.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		oid = oid_ed25519;
		oidlen = sizeof(oid_ed25519);
	} else {
		log_error("unsupported curve for an HSM key; use prime256v1, secp384r1 or ed25519");
		return P11_ERR_ARG;
	}
	if ((r = check_new_key(p, CKO_PRIVATE_KEY, label, id, idlen)) != P11_OK)
		return r;
	p11_display_copy(shown, sizeof(shown), label);
	{
		CK_ATTRIBUTE pub[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_EC_PARAMS, p11_unconst(oid), oidlen },
			{ CKA_LABEL, p11_unconst(label), strlen(label) },
			{ CKA_ID, p11_unconst(id), idlen },
		};

		/* Leave CKA_ID out when there is none. */
		npub = sizeof(pub) / sizeof(pub[0]) - (idlen == 0);
		npriv = secret_attrs(priv, &yes, &no, label, id, idlen);
		/* a new key stays in use: a module with few slots logs in again first */
		if ((r = p11_make_room(p, NULL)) != P11_OK)
			return r;
		rv = p->f->C_GenerateKeyPair(p->sess, &m, pub, npub, priv, npriv, &hpub, &hpriv);
	}
	if (rv != CKR_OK)
		return p11_ckr_fail(rv, "C_GenerateKeyPair (%s) for key '%s' failed", curve, shown);
	p11_key_used(p, NULL);
	if ((r = check_protected(p, hpriv, hpub, shown)) != P11_OK)
		return r;
	log_info("generated %s key pair '%s' on HSM token '%s'", curve, shown, p->shown);
	return P11_OK;
}

int
p11_gen_hmac_key(struct p11 *p, const char *label, const uint8_t *id, size_t idlen)
{
	CK_MECHANISM m = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG vlen = 32, n;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ATTRIBUTE t[4 + SECRET_ATTRS] = { /* its own four, then secret_attrs */
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
	};
	char shown[CAP_P11_URI_VALUE + 1];
	CK_RV rv;
	int r;

	if ((r = p11_need_session(p, "p11_gen_hmac_key")) != P11_OK)
		return r;
	if ((r = check_new_key(p, CKO_SECRET_KEY, label, id, idlen)) != P11_OK)
		return r;
	p11_display_copy(shown, sizeof(shown), label);
	n = 4 + secret_attrs(t + 4, &yes, &no, label, id, idlen);
	if ((r = p11_make_room(p, NULL)) != P11_OK)
		return r;
	rv = p->f->C_GenerateKey(p->sess, &m, t, n, &h);
	if (rv == CKR_FUNCTION_NOT_SUPPORTED || rv == CKR_MECHANISM_INVALID) {
		/* tpm2-pkcs11 has no C_GenerateKey: its own tool makes secret keys */
		log_error("PKCS#11 module '%s' cannot generate an HMAC key (C_GenerateKey: %s). "
		    "Create it with the module's own tool, labelled '%s' on token '%s'%s, then run "
		    "'station ca init' again: it adopts a key it finds by the profile's URI "
		    "(docs/key-ceremony.md)", p->path, p11_ckr_name(rv), shown, p->shown, p->q.tpm ?
		    " (tpm2-pkcs11: tpm2_ptool addkey --algorithm hmac:sha256 --key-label LABEL "
		    "--label TOKEN, behind tpm2-abrmd; scripts/tpm-setup.sh does it)" : "");
		return P11_ERR_FUNC;
	}
	if (rv != CKR_OK)
		return p11_ckr_fail(rv, "C_GenerateKey (HMAC secret) for key '%s' failed", shown);
	p11_key_used(p, NULL);
	if ((r = check_protected(p, h, CK_INVALID_HANDLE, shown)) != P11_OK)
		return r;
	log_info("generated HMAC key '%s' on HSM token '%s'", shown, p->shown);
	return P11_OK;
}
