/*
 * p11-sign.c: sign with a key on the token (single-part C_SignInit + C_Sign: ECDSA, EdDSA, RSA,
 * HMAC alike), and ask the slot whether it offers a mechanism.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "p11-int.h"

int
p11_sign_once(struct p11 *p, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen, CK_RV *rvp)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ULONG l, need;
	uint8_t *tmp;
	CK_RV rv;

	/* PKCS#11 needs a C_SignInit for every single-part signature. */
	if ((*rvp = rv = p->f->C_SignInit(p->sess, &m, key)) != CKR_OK)
		return p11_ckr_fail(rv, "C_SignInit (mechanism 0x%lx) failed", (unsigned long)mech);
	l = (CK_ULONG)*siglen;
	*rvp = rv = p->f->C_Sign(p->sess, p11_unconst(in), (CK_ULONG)inlen, sig, &l);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		/*
		 * CKR_BUFFER_TOO_SMALL leaves the operation active; finish it into a scratch
		 * buffer so the session can sign again.
		 */
		need = l;
		if (need > 0 && need <= CAP_P11_SIG && (tmp = malloc(need)) != NULL) {
			(void)p->f->C_Sign(p->sess, p11_unconst(in), (CK_ULONG)inlen, tmp, &l);
			OPENSSL_cleanse(tmp, need);
			free(tmp);
		}
		log_error("signature buffer of %zu bytes is too small: the HSM needs %lu "
		    "(CKR_BUFFER_TOO_SMALL); this is an internal error", *siglen,
		    (unsigned long)need);
		return P11_ERR_ARG;
	}
	if (rv != CKR_OK)
		return p11_ckr_fail(rv, "C_Sign (mechanism 0x%lx) failed", (unsigned long)mech);
	if (l == 0 || l > (CK_ULONG)*siglen) {
		log_error("C_Sign returned a %lu-byte signature for a %zu-byte buffer; the PKCS#11 "
		    "module is broken", (unsigned long)l, *siglen);
		return P11_ERR_FUNC;
	}
	*siglen = (size_t)l;
	return P11_OK;
}

int
p11_sign(struct p11 *p, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen)
{
	struct p11_key *k;
	size_t cap;
	CK_RV rv;
	int r, attempt = 0;

	if ((r = p11_need_session(p, "p11_sign")) != P11_OK)
		return r;
	if ((in == NULL && inlen != 0) || sig == NULL || siglen == NULL || *siglen == 0) {
		log_error("p11_sign: bad arguments (internal error)");
		return P11_ERR_ARG;
	}
	k = p11_key_of(p, key);
	cap = *siglen;
	for (;;) {
		rv = CKR_OK;
		*siglen = cap;
		if ((r = p11_make_room(p, k)) != P11_OK) {
			if (r == P11_ERR_PIN || r == P11_ERR_KEY)
				return r;       /* a wrong PIN or a swapped key: never retried */
			rv = CKR_DEVICE_ERROR;  /* the login to make room failed: recover */
		}
		else if ((r = p11_sign_once(p, k != NULL ? k->cur : key, mech, in, inlen, sig, siglen,
		    &rv)) == P11_OK) {
			p11_key_used(p, k);
			return P11_OK;
		}
		if (!p11_recoverable(rv))
			return r;
		/* possibly a lost device: log in again, then re-initialise the module (bounded) */
		for (;;) {
			if (attempt >= P11_RECOVER_TRIES) {
				log_error("HSM token '%s' did not come back after %d attempts; check the "
				    "HSM (or TPM) and its connection, then start again", p->shown,
				    P11_RECOVER_TRIES);
				return P11_ERR_DEVICE;
			}
			if ((r = p11_recover(p, attempt++)) == P11_OK)
				break;
			if (r == P11_ERR_PIN || r == P11_ERR_KEY)
				return r;
		}
	}
}

int
p11_mech_ok(struct p11 *p, CK_MECHANISM_TYPE mech, CK_FLAGS need, int *ok)
{
	CK_MECHANISM_INFO info;
	CK_RV rv;
	int r;

	if ((r = p11_need_session(p, "p11_mech_ok")) != P11_OK)
		return r;
	memset(&info, 0, sizeof(info));
	rv = p->f->C_GetMechanismInfo(p->slot, mech, &info);
	if (rv == CKR_MECHANISM_INVALID) {
		*ok = 0;
		return P11_OK;
	}
	if (rv != CKR_OK)
		return p11_ckr_fail(rv, "C_GetMechanismInfo(0x%lx) failed", (unsigned long)mech);
	*ok = (info.flags & need) == need;
	return P11_OK;
}
