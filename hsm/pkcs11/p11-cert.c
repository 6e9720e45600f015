/*
 * p11-cert.c: a key's CKA_ID, and the certificate object that pairs with a key on the token
 * (same CKA_ID and label), so standard tools (pkcs11-tool, p11tool, OpenSSL's engine) show a key
 * with its certificate.
 */
#include <string.h>

#include "log.h"
#include "p11-int.h"

int
p11_get_id(struct p11 *p, CK_OBJECT_HANDLE obj, uint8_t *id, size_t cap, size_t *len)
{
	CK_ATTRIBUTE a = { CKA_ID, NULL, 0 };
	CK_RV rv;
	int r;

	if ((r = p11_need_session(p, "p11_get_id")) != P11_OK)
		return r;
	if ((rv = p->f->C_GetAttributeValue(p->sess, obj, &a, 1)) != CKR_OK)
		return p11_ckr_fail(rv, "reading CKA_ID of an HSM object failed");
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > cap) {
		log_error("the HSM object's CKA_ID is longer than %zu bytes", cap);
		return P11_ERR_KEY;
	}
	a.pValue = id;
	if ((rv = p->f->C_GetAttributeValue(p->sess, obj, &a, 1)) != CKR_OK)
		return p11_ckr_fail(rv, "reading CKA_ID of an HSM object failed");
	if (a.ulValueLen > cap)
		return P11_ERR_FUNC;
	*len = (size_t)a.ulValueLen;
	return P11_OK;
}

int
p11_put_cert(struct p11 *p, const uint8_t *der, size_t derlen, const uint8_t *subject,
    size_t sublen, const char *label, const uint8_t *id, size_t idlen, int *created)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE find[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, p11_unconst(label), strlen(label) },
	};
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &no, sizeof(no) },
		{ CKA_LABEL, p11_unconst(label), strlen(label) },
		{ CKA_SUBJECT, p11_unconst(subject), sublen },
		{ CKA_VALUE, p11_unconst(der), derlen },
		{ CKA_ID, p11_unconst(id), idlen },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG count = 0;
	CK_RV rv;
	int r;

	*created = 0;
	if ((r = p11_need_session(p, "p11_put_cert")) != P11_OK)
		return r;
	if ((r = p11_find_objects(p, find, 2, &h, &count)) != P11_OK || count != 0)
		return r;
	if (p->f->C_CreateObject == NULL)
		return P11_ERR_FUNC;
	/* CKA_ID left out when the key has none */
	rv = p->f->C_CreateObject(p->sess, t, sizeof(t) / sizeof(t[0]) - (idlen == 0), &h);
	if (rv != CKR_OK)
		return p11_ckr_fail(rv, "storing the certificate '%s' on HSM token '%s' failed", label,
		    p->shown);
	*created = 1;
	return P11_OK;
}
