/*
 * p11.h: the only code that loads a PKCS#11 module (v2.40+). Used by the signer process and the
 * key ceremony tooling, never by the board-facing station process.
 * One struct p11 = one loaded module + one logged-in session on one token (one per thread).
 * Every failure is logged (stderr, via log_msg) with the CKR_* name and what to do, then mapped to P11_ERR_*.
 */
#ifndef P11_H
#define P11_H

#include <stddef.h>
#include <stdint.h>
#include <p11-kit/pkcs11.h>

#include "caps.h"

enum p11_rc {
	P11_OK = 0,
	P11_ERR_MODULE = -1,    /* module missing / not a PKCS#11 module / C_Initialize failed */
	P11_ERR_TOKEN = -2,     /* no token matches the URI */
	P11_ERR_PIN = -3,       /* CKR_PIN_INCORRECT / LOCKED / LEN_RANGE ... */
	P11_ERR_KEY = -4,       /* key not found / ambiguous / wrong type */
	P11_ERR_URI = -5,       /* malformed pkcs11: URI */
	P11_ERR_DEVICE = -6,    /* session or device lost (CKR_DEVICE_REMOVED, SESSION_HANDLE_INVALID ...) */
	P11_ERR_FUNC = -7,      /* any other CKR_* */
	P11_ERR_ARG = -8,
	P11_ERR_NOMEM = -9,
	P11_ERR_PINSRC = -10    /* PIN file unreadable / empty / too long */
};

/* RFC 7512 URI, the attributes we use (percent-decoded). Empty string / -1 = not given. */
struct p11_uri {
	char token[CAP_P11_URI_VALUE + 1];        /* token label */
	char manufacturer[CAP_P11_URI_VALUE + 1];
	char serial[CAP_P11_URI_VALUE + 1];
	char model[CAP_P11_URI_VALUE + 1];
	char object[CAP_P11_URI_VALUE + 1];       /* CKA_LABEL */
	uint8_t id[CAP_P11_URI_VALUE];    /* CKA_ID */
	size_t id_len;                    /* 0 = not given */
	int type;                         /* -1, or CKO_PRIVATE_KEY/CKO_PUBLIC_KEY/CKO_SECRET_KEY/CKO_CERTIFICATE */
	long slot_id;                     /* -1 = not given */
};

/* Parse an RFC 7512 "pkcs11:" URI (path attributes; query attributes such as pin-source and
 * module-path are refused with P11_ERR_URI so a PIN can never ride in a URI). */
int p11_uri_parse(const char *s, struct p11_uri *out);

struct p11;

/* dlopen the module, C_GetFunctionList, C_Initialize with CKF_OS_LOCKING_OK. */
int p11_open(const char *module_path, struct p11 **out);
/* Find the single token matching uri, open an R/W session, C_Login(CKU_USER) with the PIN. */
int p11_login(struct p11 *p, const char *token_uri, const char *pin, size_t pin_len);
void p11_close(struct p11 *p); /* logout, close session, C_Finalize, dlclose. NULL is a no-op. */

/* How many times a lost HSM session was brought back (logged in again or the module
 * re-initialised) since p11_open: callers record it. */
unsigned p11_recoveries(const struct p11 *p);
/* Keys the token may hold in use at once (0 = no limit); the module's known limit is the
 * default (tpm2-pkcs11: 2), [hsm] max_loaded_keys overrides it. Making room logs the process out
 * and in again, so a limit assumes one handle per module in the process (the signer's case). */
void p11_set_max_loaded(struct p11 *p, int n);

/* Find exactly one object matching uri (object/id/type) with class cls. */
int p11_find(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out);
/* Generic single-part C_SignInit + C_Sign. *siglen is in: capacity, out: length. */
int p11_sign(struct p11 *p, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen);
/* Generate a token EC key pair (curve "prime256v1", "secp384r1", or "ed25519" through
 * CKM_EC_EDWARDS_KEY_PAIR_GEN): private key CKA_SENSITIVE,
 * !CKA_EXTRACTABLE, CKA_SIGN, CKA_TOKEN, CKA_PRIVATE; label and id on both halves. */
int p11_gen_ec(struct p11 *p, const char *curve, const char *label, const uint8_t *id, size_t idlen);
/* Generate a 32-byte generic secret for CKM_SHA256_HMAC: sensitive, non-extractable, token. */
int p11_gen_hmac_key(struct p11 *p, const char *label, const uint8_t *id, size_t idlen);
/* Public key of an EC or Ed25519 public-key object as DER SubjectPublicKeyInfo (malloc'd,
 * caller frees). */
int p11_ec_pubkey_spki(struct p11 *p, CK_OBJECT_HANDLE pub, uint8_t **der, size_t *derlen);
/* Read a CK_BBOOL attribute (e.g. CKA_SENSITIVE, CKA_EXTRACTABLE) of obj: *out = 0 or 1.
 * P11_ERR_KEY if the object has no such attribute or keeps it secret. */
int p11_get_bool_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, int *out);
/* CKA_KEY_TYPE of obj (CKK_EC, CKK_EC_EDWARDS, CKK_RSA, ...). */
int p11_key_type(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ULONG *kt);
/* Whether the token's slot offers mechanism mech with all of the flags need (e.g. CKF_SIGN):
 * *ok = 1 or 0; CKR_MECHANISM_INVALID is a plain 0, not an error. Needs a logged-in session. */
int p11_mech_ok(struct p11 *p, CK_MECHANISM_TYPE mech, CK_FLAGS need, int *ok);
/* CKA_ID of obj into id (cap bytes at most): *len = 0 when the object has an empty one. */
int p11_get_id(struct p11 *p, CK_OBJECT_HANDLE obj, uint8_t *id, size_t cap, size_t *len);
/* Store an X.509 certificate (DER, with its DER subject) on the token as a public token object
 * labelled label with CKA_ID id, unless a certificate with that label is there already
 * (*created = 0). A module that refuses certificate objects fails with its CKR_* logged. */
int p11_put_cert(struct p11 *p, const uint8_t *der, size_t derlen, const uint8_t *subject,
    size_t sublen, const char *label, const uint8_t *id, size_t idlen, int *created);
/* Token info for display: label, manufacturer, model, serial (NUL-terminated, trimmed). */
int p11_token_info(struct p11 *p, char *label, char *manuf, char *model, char *serial, size_t cap);

/* Ceremony tooling: makes sure an initialised token labelled label exists. When none does,
 * initialises the first free token (C_InitToken with the SO PIN) and sets the user PIN
 * (C_InitPIN); *created tells which. Standard PKCS#11; needs only p11_open, no login. */
int p11_init_token(struct p11 *p, const char *label, const char *so_pin, size_t so_len,
    const char *user_pin, size_t user_len, int *created);
/* Whether any object of class cls matches uri (no error is logged when none does). */
int p11_exists(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, int *exists);

/* CKR_* name of rv, e.g. "CKR_PIN_INCORRECT"; "CKR_0x%08lx" form for unknown codes is written
 * into a static buffer (not thread-safe for unknown codes only). */
const char *p11_ckr_name(CK_RV rv);
const char *p11_strerror(int rc);

/* PIN sources (never argv): a file (first line, trailing newline stripped; must not be group/world
 * readable), else the environment variable env_name (unset after reading), else a prompt on
 * /dev/tty when interactive. pin gets cap bytes max; wipe it with OPENSSL_cleanse after use. */
int p11_read_pin(const char *pin_file, const char *env_name, char *pin, size_t cap, size_t *len);

#endif
