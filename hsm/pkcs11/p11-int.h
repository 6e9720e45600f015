/*
 * p11-int.h: internal to hsm/pkcs11/p11-*.c (the PKCS#11 layer, one concern per file); not for
 * other callers, who use p11.h. The handle and the helpers the files share (limits: caps.h).
 * Everything a module returns (counts, lengths, strings) is untrusted and checked; every failure
 * is logged where it happens with its CKR_* name and what to do, then mapped to P11_ERR_*.
 */
#ifndef P11_INT_H
#define P11_INT_H

#include <stddef.h>
#include <stdint.h>

#include "p11.h"


/* The strings that identify a token in CK_TOKEN_INFO: trimmed, raw bytes (for URI checks). */
struct p11_tokid {
	char label[33], manuf[33], model[17], serial[17];
};

/* What a module is known to need (p11-quirk.c), found from C_GetInfo's manufacturer. */
struct p11_quirks {
	const char *name;       /* "tpm2-pkcs11", or NULL for a module with no known quirks */
	int max_loaded;         /* keys it can hold in use at once (0 = no limit) */
	int tpm;                /* a TPM behind it: dictionary-attack lockout, no secret-key gen */
};

/* A private or secret key p11_find handed out: found again (same URI) after a re-login or a
 * re-initialised module, where the module may number it differently. */
struct p11_key {
	char *uri;
	CK_OBJECT_CLASS cls;
	CK_OBJECT_HANDLE given;         /* the handle the caller holds */
	CK_OBJECT_HANDLE cur;           /* the handle in the current login */
	int loaded;                     /* used since the last login */
	uint8_t kcv[32];                /* a secret key's HMAC of a fixed text: the same key after */
	int have_kcv;                   /* a re-login (a swapped key is refused) */
};

struct p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	char *path;                     /* module path, for messages */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE sess;
	int have_sess;
	struct p11_tokid tok;           /* of the logged-in token */
	struct p11_tokid pinned;        /* of the first login: the only token logged in to again */
	int have_pinned;
	char shown[33];                 /* label for messages (control characters replaced) */
	struct p11_quirks q;
	/* for logging in again (p11-recover.c): the token URI and the PIN (wiped by p11_close) */
	char *token_uri;
	char pin[CAP_PIN];
	size_t pin_len;
	int have_pin;
	struct p11_key keys[CAP_P11_KEYS];
	size_t nkeys;
	int max_loaded;                 /* the quirk's, or the profile's [hsm] max_loaded_keys */
	int nloaded;                    /* keys used since the last login */
	unsigned recoveries;            /* successful re-logins and re-initialisations */
	int broken;                     /* a key was swapped: nothing more is signed */
};

/* PKCS#11 prototypes lack const on input buffers; modules do not write through them. */
static inline void *
p11_unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

/* p11-ckr.c: logs "<what> (CKR_X); <advice for people>" and returns the P11_ERR_* that rv maps
 * to (P11_ERR_DEVICE, _PIN, _NOMEM, _KEY, _ARG, else P11_ERR_FUNC). */
int p11_ckr_fail(CK_RV rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* p11-session.c: P11_OK when p has a logged-in session, else logs an internal error naming fn
 * and returns P11_ERR_ARG. */
int p11_need_session(const struct p11 *p, const char *fn);

/* p11-token.c: id gets the four identifying strings of ti (cannot fail). */
void p11_tokid_read(const CK_TOKEN_INFO *ti, struct p11_tokid *id);
/* p11-token.c: bounded copy of src for messages: at most cap - 1 bytes, NUL-terminated (cap 0
 * writes nothing), control characters replaced by '?'. */
void p11_display_copy(char *dst, size_t cap, const char *src);
/* p11-token.c: "label 'x', serial 'y', slot-id 3" (or "any token") into buf, truncated to cap. */
void p11_describe_token(const struct p11_uri *u, char *buf, size_t cap);
/* p11-token.c: 1 when every token attribute u gives equals the token's (id, slot), else 0. */
int p11_token_matches(const struct p11_uri *u, CK_SLOT_ID slot, const struct p11_tokid *id);

/* p11-object.c: "private key", "public key", ... for messages. */
const char *p11_class_name(CK_OBJECT_CLASS cls);
/* p11-object.c: runs a find with template t; on P11_OK *count gets the number of matches (it
 * stops counting at CAP_P11_FIND) and *first the first one when there is any. A failed C_Find* call
 * is logged and mapped; finding nothing is not an error and is not logged (callers do, with
 * context). */
int p11_find_objects(struct p11 *p, CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE *first,
    CK_ULONG *count);
/* p11-object.c: a CK_ULONG attribute (class, key type) of obj into *out; a failed call is
 * logged and mapped, a value that is not a CK_ULONG is P11_ERR_FUNC. *out set only on P11_OK. */
int p11_get_ulong_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
    CK_ULONG *out);

/* p11-sign.c: one C_SignInit + C_Sign with key handle key, no recovery; *rv gets the module's
 * answer (CKR_OK on success). Failures are logged and mapped. */
int p11_sign_once(struct p11 *p, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen, CK_RV *rv);
/* p11-recover.c: k->kcv computed (secret keys: HMAC-SHA-256 of a fixed text); P11_OK, or the
 * error of the failed signature (logged). */
int p11_key_check_value(struct p11 *p, struct p11_key *k, uint8_t out[32]);
/* p11-quirk.c: p->q from C_GetInfo (a module that cannot say is a module with no quirks). */
void p11_quirks_read(struct p11 *p);
/* p11-module.c: C_Finalize and C_Initialize the module again when p is its only user in this
 * process (the state a lost device leaves behind goes with it); P11_OK, or P11_ERR_MODULE when
 * C_Initialize fails (logged). With other users it does nothing and returns P11_OK. */
int p11_module_reset(struct p11 *p);
/* p11-object.c: p11_find without registering the key and without logging a miss. */
int p11_find_quiet(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out);
/* p11-recover.c: the registered key for the handle a caller holds (NULL: not registered);
 * p11_make_room logs in again first when key k (NULL: a key about to be generated, which needs
 * every slot free) would not fit beside the keys in use; call p11_key_used after each use. */
struct p11_key *p11_key_of(struct p11 *p, CK_OBJECT_HANDLE given);
int p11_make_room(struct p11 *p, const struct p11_key *k);
void p11_key_used(struct p11 *p, struct p11_key *k);
/* p11-recover.c: whether a failed call's rv may mean the device or its state was lost (worth
 * logging in again or re-initialising), and doing so: *attempt counts up from 0; P11_OK when
 * the session is back (keys found again), else the last error. Bounded: P11_RECOVER_TRIES. */
int p11_recoverable(CK_RV rv);
int p11_recover(struct p11 *p, int attempt);
#define P11_RECOVER_TRIES 4

#endif
