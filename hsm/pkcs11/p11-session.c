/*
 * p11-session.c: log in to the one token a pkcs11: URI names (one R/W session per struct p11,
 * i.e. per thread), the check every operation makes that it has such a session, and what the
 * token of the session is (p11_token_info).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "p11-int.h"

int
p11_need_session(const struct p11 *p, const char *fn)
{
	if (p == NULL || !p->have_sess) {
		log_error("%s: no logged-in HSM session; call p11_login first (internal error)",
		    fn);
		return P11_ERR_ARG;
	}
	return P11_OK;
}

static int
tokid_same(const struct p11_tokid *a, const struct p11_tokid *b)
{
	return strcmp(a->label, b->label) == 0 && strcmp(a->manuf, b->manuf) == 0 &&
	    strcmp(a->model, b->model) == 0 && strcmp(a->serial, b->serial) == 0;
}

int
p11_login(struct p11 *p, const char *token_uri, const char *pin, size_t pin_len)
{
	struct p11_uri u;
	CK_SLOT_ID *slots = NULL, slot = 0;
	CK_TOKEN_INFO ti, found_ti;
	CK_SESSION_HANDLE sess = 0;
	CK_ULONG nslots = 0, i, nmatch = 0;
	struct p11_tokid id;
	char shown[33], present[512] = "", wanted[400];
	size_t used = 0;
	int have_sess = 0, tries, n, r = P11_ERR_FUNC;
	CK_RV rv;

	if (p == NULL || p->f == NULL || token_uri == NULL || (pin == NULL && pin_len != 0)) {
		log_error("p11_login: bad arguments (internal error)");
		return P11_ERR_ARG;
	}
	if (p->have_sess) {
		log_error("p11_login: this HSM handle is already logged in; open one handle per "
		    "thread (internal error)");
		return P11_ERR_ARG;
	}
	if (pin_len > CAP_PIN) {
		log_error("HSM PIN is longer than %d bytes; check the PIN file", CAP_PIN);
		return P11_ERR_PIN;
	}
	if ((r = p11_uri_parse(token_uri, &u)) != P11_OK)
		return r;
	p11_describe_token(&u, wanted, sizeof(wanted));

	/* The slot count can change between the two calls (hot-plug): retry a few times. */
	for (tries = 0;; tries++) {
		if ((rv = p->f->C_GetSlotList(CK_TRUE, NULL, &nslots)) != CKR_OK) {
			r = p11_ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed",
			    p->path);
			goto out;
		}
		if (nslots == 0) {
			log_error("no token present in any slot of PKCS#11 module '%s' (looking "
			    "for %s); check that the HSM is connected and the token initialized",
			    p->path, wanted);
			r = P11_ERR_TOKEN;
			goto out;
		}
		if (nslots > CAP_P11_SLOTS) {
			log_error("PKCS#11 module '%s' reports %lu slots (more than %d); check the "
			    "module", p->path, (unsigned long)nslots, CAP_P11_SLOTS);
			r = P11_ERR_FUNC;
			goto out;
		}
		free(slots);
		if ((slots = calloc(nslots, sizeof(*slots))) == NULL) {
			log_error("out of memory listing HSM slots");
			r = P11_ERR_NOMEM;
			goto out;
		}
		rv = p->f->C_GetSlotList(CK_TRUE, slots, &nslots);
		if (rv == CKR_BUFFER_TOO_SMALL && tries < 3)
			continue;
		if (rv != CKR_OK) {
			r = p11_ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed",
			    p->path);
			goto out;
		}
		break;
	}

	for (i = 0; i < nslots; i++) {
		if ((rv = p->f->C_GetTokenInfo(slots[i], &ti)) != CKR_OK) {
			/* Removed in between, or a broken slot: it cannot be the one we want. */
			log_warn("skipping HSM slot %lu: C_GetTokenInfo returned %s",
			    (unsigned long)slots[i], p11_ckr_name(rv));
			continue;
		}
		p11_tokid_read(&ti, &id);
		if (used < sizeof(present)) {
			p11_display_copy(shown, sizeof(shown), id.label);
			n = snprintf(present + used, sizeof(present) - used, "%s'%s' (slot %lu%s)",
			    used ? ", " : "", shown, (unsigned long)slots[i],
			    (ti.flags & CKF_TOKEN_INITIALIZED) ? "" : ", not initialized");
			used += n > 0 ? (size_t)n : 0;
		}
		/* An uninitialized token (e.g. SoftHSM2's free slot) cannot be logged in to. */
		if (!(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    !p11_token_matches(&u, slots[i], &id))
			continue;
		/* logging in again (p11-recover.c): only to the token of the first login, so the
		 * PIN never goes to another token that took its label */
		if (p->have_pinned && !tokid_same(&id, &p->pinned)) {
			p11_display_copy(shown, sizeof(shown), p->pinned.serial);
			log_warn("HSM token in slot %lu matches %s but is not the token the signer "
			    "started with (serial '%s'); not logging in to it", (unsigned long)slots[i],
			    wanted, shown);
			continue;
		}
		if (nmatch++ == 0) {
			slot = slots[i];
			found_ti = ti;
		}
	}
	if (nmatch != 1) {
		/* The URI parser allows 64 bytes; CK_TOKEN_INFO has 32 (label) or 16 (model). */
		log_error("%s HSM token matches %s in module '%s'; tokens present: %s; check "
		    "[hsm] token= in the profile%s", nmatch == 0 ? "no" : "more than one", wanted,
		    p->path, used ? present : "none readable",
		    strlen(u.token) > sizeof(ti.label) || strlen(u.manufacturer) >
		    sizeof(ti.manufacturerID) || strlen(u.model) > sizeof(ti.model) ||
		    strlen(u.serial) > sizeof(ti.serialNumber) ? " (token labels and "
		    "manufacturers have at most 32 bytes, models and serials 16)" : "");
		r = P11_ERR_TOKEN;
		goto out;
	}
	p11_tokid_read(&found_ti, &id);
	p11_display_copy(shown, sizeof(shown), id.label);
	if (found_ti.flags & CKF_USER_PIN_LOCKED) {
		log_error("the user PIN of HSM token '%s' is locked (CKF_USER_PIN_LOCKED); the "
		    "security officer must reset it with the HSM's administration tool", shown);
		r = P11_ERR_PIN;
		goto out;
	}
	if (pin == NULL && !(found_ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH)) {
		log_error("no PIN given for HSM token '%s'; give a PIN file, the environment "
		    "variable or the prompt", shown);
		r = P11_ERR_PINSRC;
		goto out;
	}
	if ((rv = p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	    &sess)) != CKR_OK) {
		r = p11_ckr_fail(rv, "C_OpenSession on HSM token '%s' failed", shown);
		goto out;
	}
	have_sess = 1;
	/* A NULL PIN with a protected authentication path: the PIN is entered on the HSM's pad. */
	rv = p->f->C_Login(sess, CKU_USER, p11_unconst(pin), (CK_ULONG)pin_len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		if (rv == CKR_PIN_LOCKED && p->q.tpm) {
			log_error("the TPM behind HSM token '%s' is in its dictionary-attack lockout "
			    "(CKR_PIN_LOCKED): it refuses every PIN, the right one too, until it "
			    "recovers by itself (tpm2_getcap properties-variable: inLockout, "
			    "TPM2_PT_LOCKOUT_RECOVERY seconds) or the TPM owner clears it "
			    "(tpm2_dictionarylockout --clear-lockout -p <lockout authorisation>). Fix the "
			    "PIN file first; a "
			    "security officer's PIN reset does not end a TPM lockout", shown);
			r = P11_ERR_PIN;
		} else if (rv == CKR_PIN_INCORRECT && p->q.tpm) {
			log_error("the TPM behind HSM token '%s' refused the PIN (CKR_PIN_INCORRECT); "
			    "check the PIN file before trying again: each wrong PIN counts toward the "
			    "TPM's dictionary-attack lockout, which then refuses even the right PIN",
			    shown);
			r = P11_ERR_PIN;
		} else if (rv == CKR_PIN_INCORRECT)
			r = p11_ckr_fail(rv, "HSM refused the PIN");
		else
			r = p11_ckr_fail(rv, "C_Login to HSM token '%s' failed", shown);
		goto out;
	}
	/* kept for logging in again (p11-recover.c); wiped by p11_close */
	if (p->token_uri != token_uri) {
		free(p->token_uri);
		if ((p->token_uri = strdup(token_uri)) == NULL) {
			log_error("out of memory logging in to HSM token '%s'", shown);
			r = P11_ERR_NOMEM;
			goto out;
		}
	}
	if (pin != NULL && pin != p->pin)
		memcpy(p->pin, pin, pin_len);
	p->pin_len = pin_len;
	p->have_pin = pin != NULL;
	if (!p->have_pinned) {
		p->pinned = id;
		p->have_pinned = 1;
	}
	p->slot = slot;
	p->sess = sess;
	p->have_sess = 1;
	have_sess = 0; /* owned by p */
	p->tok = id;
	memcpy(p->shown, shown, sizeof(p->shown));
	log_debug("logged in to HSM token '%s' in slot %lu", shown, (unsigned long)slot);
	r = P11_OK;
 out:
	if (have_sess)
		p->f->C_CloseSession(sess);
	free(slots);
	return r;
}

int
p11_token_info(struct p11 *p, char *label, char *manuf, char *model, char *serial, size_t cap)
{
	CK_TOKEN_INFO ti;
	struct p11_tokid id;
	CK_RV rv;
	int r;

	if ((r = p11_need_session(p, "p11_token_info")) != P11_OK)
		return r;
	if (cap == 0)
		return P11_ERR_ARG;
	if ((rv = p->f->C_GetTokenInfo(p->slot, &ti)) != CKR_OK)
		return p11_ckr_fail(rv, "C_GetTokenInfo for slot %lu failed",
		    (unsigned long)p->slot);
	p11_tokid_read(&ti, &id);
	/* For display: bounded by cap, control characters replaced. NULL = not wanted. */
	if (label != NULL)
		p11_display_copy(label, cap, id.label);
	if (manuf != NULL)
		p11_display_copy(manuf, cap, id.manuf);
	if (model != NULL)
		p11_display_copy(model, cap, id.model);
	if (serial != NULL)
		p11_display_copy(serial, cap, id.serial);
	return P11_OK;
}
