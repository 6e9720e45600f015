/*
 * p11-recover.c: keep the keys a signer found usable for as long as it runs.
 *  - A module that can hold only so many keys in use at once (a TPM) gets a fresh login before
 *    a key that would not fit: logging out unloads every key (p11_make_room).
 *  - A call that fails as a lost device would (CKR_DEVICE_*, a closed session, or the catch-all
 *    CKR_GENERAL_ERROR that tpm2-pkcs11 reports for a lost TPM connection) is retried after
 *    logging in again and then after re-initialising the module, a bounded number of times with
 *    a growing pause (p11_recover). Keys are found again by their URIs each time.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "p11-int.h"

struct p11_key *
p11_key_of(struct p11 *p, CK_OBJECT_HANDLE given)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		if (p->keys[i].given == given)
			return &p->keys[i];
	}
	return NULL;
}

#define KCV_TEXT "station key check value v1"

int
p11_key_check_value(struct p11 *p, struct p11_key *k, uint8_t out[32])
{
	size_t l = 32;
	CK_RV rv;
	int r;

	if ((r = p11_sign_once(p, k->cur, CKM_SHA256_HMAC, (const uint8_t *)KCV_TEXT,
	    sizeof(KCV_TEXT) - 1, out, &l, &rv)) != P11_OK)
		return r;
	p11_key_used(p, k);
	return l == 32 ? P11_OK : P11_ERR_FUNC;
}

/*
 * Finds every registered key again (none is loaded in a fresh login). A secret key must give the
 * check value it gave when it was first found: a key replaced under the same label and id (by
 * someone with the PIN) is refused, never used. (The CA and audit keys need no such check: every
 * certificate, CRL and checkpoint is verified under the public key the signer started with.)
 */
static int
refind(struct p11 *p)
{
	uint8_t kcv[32];
	size_t i;
	int r;

	p->nloaded = 0;
	for (i = 0; i < p->nkeys; i++)
		p->keys[i].loaded = 0;
	for (i = 0; i < p->nkeys; i++) {
		if ((r = p11_find_quiet(p, p->keys[i].uri, p->keys[i].cls, &p->keys[i].cur)) != P11_OK) {
			log_error("key '%s' is no longer on HSM token '%s' after logging in again",
			    p->keys[i].uri, p->shown);
			return r;
		}
		if (!p->keys[i].have_kcv)
			continue;
		if ((r = p11_make_room(p, &p->keys[i])) != P11_OK ||
		    (r = p11_key_check_value(p, &p->keys[i], kcv)) != P11_OK)
			return r;
		if (memcmp(kcv, p->keys[i].kcv, sizeof(kcv)) != 0) {
			log_error("key '%s' on HSM token '%s' is not the key the signer started with (its "
			    "check value changed after logging in again): someone replaced it; stop the "
			    "line and check the token", p->keys[i].uri, p->shown);
			p->broken = 1;
			return P11_ERR_KEY;
		}
	}
	return P11_OK;
}

/* C_Logout and C_Login on the same session: the module unloads the keys it had in use. */
static int
relogin(struct p11 *p)
{
	CK_RV rv;

	if (!p->have_pin) {
		log_error("cannot log in to HSM token '%s' again: its PIN is entered on the HSM "
		    "(protected authentication path); set [hsm] max_loaded_keys = 0", p->shown);
		return P11_ERR_PIN;
	}
	rv = p->f->C_Logout(p->sess);
	if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
		return p11_ckr_fail(rv, "C_Logout from HSM token '%s' failed", p->shown);
	rv = p->f->C_Login(p->sess, CKU_USER, (CK_UTF8CHAR_PTR)p->pin, (CK_ULONG)p->pin_len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		if (p11_ckr_fail(rv, "C_Login to HSM token '%s' again failed", p->shown) == P11_ERR_PIN) {
			/* never again with this PIN: each try counts toward a lockout */
			p->have_pin = 0;
			return P11_ERR_PIN;
		}
		return P11_ERR_DEVICE;
	}
	return refind(p);
}

int
p11_make_room(struct p11 *p, const struct p11_key *k)
{
	if (p->broken)
		return P11_ERR_KEY;
	if (p->max_loaded <= 0 || (k != NULL && k->loaded))
		return P11_OK;
	/* a key generation (k NULL) needs a second free slot for a moment (measured on swtpm) */
	if (k != NULL ? p->nloaded < p->max_loaded : p->nloaded == 0)
		return P11_OK;
	log_debug("HSM token '%s' holds %d key(s) in use: logging in again to unload them",
	    p->shown, p->nloaded);
	return relogin(p);
}

void
p11_key_used(struct p11 *p, struct p11_key *k)
{
	if (k == NULL) {
		/* a key generated just now: on a TPM it holds more than one slot until logout */
		p->nloaded = p->max_loaded > 0 ? p->max_loaded : p->nloaded + 1;
	} else if (!k->loaded) {
		k->loaded = 1;
		p->nloaded++;
	}
}

int
p11_recoverable(CK_RV rv)
{
	return rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED ||
	    rv == CKR_DEVICE_MEMORY || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

int
p11_recover(struct p11 *p, int attempt)
{
	struct timespec ts;
	long ms;
	int r;

	if (p->broken)
		return P11_ERR_KEY;
	if (!p->have_pin || p->token_uri == NULL)
		return P11_ERR_PIN;
	/*
	 * First, except on a TPM: a fresh login on the same session. On a TPM a lost connection
	 * leaves the module's TPM session broken, and a login through it can fail the unseal with
	 * the PIN and count toward the dictionary-attack lockout; a full TPM is avoided there by
	 * p11_make_room instead.
	 */
	if (attempt == 0 && p->have_sess && !p->q.tpm) {
		log_warn("HSM token '%s' failed; logging in again (attempt 1 of %d)", p->shown,
		    P11_RECOVER_TRIES);
		if ((r = relogin(p)) == P11_OK) {
			p->recoveries++;
			return P11_OK;
		}
		if (r == P11_ERR_PIN || r == P11_ERR_KEY)
			return r;
	}
	/* then: the module re-initialised, after 0.25 s, 0.5 s, 1 s, 2 s */
	ms = 250L << attempt;
	log_warn("HSM token '%s' lost; re-initialising PKCS#11 module '%s' in %ld ms (attempt %d "
	    "of %d)", p->shown, p->path, ms, attempt + 1, P11_RECOVER_TRIES);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	if (p->have_sess) {
		(void)p->f->C_CloseSession(p->sess);
		p->have_sess = 0;
	}
	/* p11_login logs in only to the token of the first login (p->pinned) */
	if ((r = p11_module_reset(p)) != P11_OK)
		return r;
	if ((r = p11_login(p, p->token_uri, p->pin, p->pin_len)) != P11_OK) {
		if (r == P11_ERR_PIN)
			p->have_pin = 0;
		return r;
	}
	if ((r = refind(p)) != P11_OK)
		return r;
	p->recoveries++;
	log_warn("HSM token '%s' is back (module re-initialised)", p->shown);
	return P11_OK;
}

unsigned
p11_recoveries(const struct p11 *p)
{
	return p == NULL ? 0 : p->recoveries;
}

void
p11_set_max_loaded(struct p11 *p, int n)
{
	if (p != NULL && n >= 0)
		p->max_loaded = n;
}
