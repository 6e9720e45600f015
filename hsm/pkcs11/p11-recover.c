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

/* Finds every registered key again; none is loaded in a fresh login. */
static int
refind(struct p11 *p)
{
	size_t i;
	int r;

	p->nloaded = 0;
	for (i = 0; i < p->nkeys; i++) {
		p->keys[i].loaded = 0;
		if ((r = p11_find_quiet(p, p->keys[i].uri, p->keys[i].cls, &p->keys[i].cur)) != P11_OK) {
			log_error("key '%s' is no longer on HSM token '%s' after logging in again",
			    p->keys[i].uri, p->shown);
			return r;
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
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return p11_ckr_fail(rv, "C_Login to HSM token '%s' again failed", p->shown);
	return refind(p);
}

int
p11_make_room(struct p11 *p, const struct p11_key *k)
{
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
		p->nloaded++;
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

	if (!p->have_pin || p->token_uri == NULL)
		return P11_ERR_DEVICE;
	if (attempt == 0 && p->have_sess) {
		/* first: a fresh login (also what a full TPM needs) */
		log_warn("HSM token '%s' failed; logging in again (attempt 1 of %d)", p->shown,
		    P11_RECOVER_TRIES);
		if ((r = relogin(p)) == P11_OK) {
			p->recoveries++;
			return P11_OK;
		}
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
	if ((r = p11_module_reset(p)) != P11_OK ||
	    (r = p11_login(p, p->token_uri, p->pin, p->pin_len)) != P11_OK ||
	    (r = refind(p)) != P11_OK)
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
