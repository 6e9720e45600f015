/*
 * p11.c: load a PKCS#11 v2.40 module, log in to one token, find keys, sign, generate keys.
 *
 * Only standard PKCS#11 calls: any conforming module must work (SoftHSM2 is just the default).
 * Everything a module returns (counts, lengths, strings) is treated as untrusted and checked.
 * Every failure is logged here with its CKR_* name and what to do, then mapped to P11_ERR_*.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "log.h"
#include "p11.h"

#define SLOTS_MAX 1024          /* more slots than this is a broken module */
#define FIND_MAX 1000           /* stop counting matches here */
#define PIN_MAX 256             /* longest PIN handed to C_Login */
#define LABEL_MAX (P11_URI_FIELD - 1)   /* labels we create must be findable by URI */
#define EC_PARAMS_MAX 256       /* a named-curve OID is ~10 bytes */
#define EC_POINT_MAX 512        /* uncompressed P-521 in an OCTET STRING is 136 bytes */
#define SIG_MAX 16384           /* to finish a C_Sign that said CKR_BUFFER_TOO_SMALL */
#define SECRET_ATTRS 7          /* attributes secret_attrs sets at most */
#define MODULE_HINT "check the path in the profile's [hsm] module= " \
	"(SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)"
#define DEVICE_HINT "check the HSM connection/token (cable or network, token inserted, HSM " \
	"powered), then restart the signer"

/* The strings that identify a token in CK_TOKEN_INFO: trimmed, raw bytes (for URI checks). */
struct p11_tokid {
	char label[33], manuf[33], model[17], serial[17];
};

struct p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	char *path;                     /* module path, for messages */
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE sess;
	int have_sess;
	struct p11_tokid tok;           /* of the logged-in token */
	char shown[33];                 /* label for messages (control characters replaced) */
};

/*
 * C_Initialize/C_Finalize are per process, but there is one struct p11 per thread: count the
 * users of each loaded module and finalize only when the last one closes, and only if we
 * initialized it (CKR_CRYPTOKI_ALREADY_INITIALIZED means another library in this process did).
 */
struct p11_module {
	CK_FUNCTION_LIST_PTR f;
	int refs;
	int ours;
	struct p11_module *next;
};
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *modules;

/* PKCS#11 prototypes lack const on input buffers; modules do not write through them. */
static void *
unconst(const void *p)
{
	return (void *)(uintptr_t)p;
}

static int
is_device_loss(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_ERROR;
}

static int
map_rv(CK_RV rv)
{
	if (is_device_loss(rv))
		return P11_ERR_DEVICE;
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
	case CKR_USER_PIN_NOT_INITIALIZED:
		return P11_ERR_PIN;
	case CKR_HOST_MEMORY:
		return P11_ERR_NOMEM;
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return P11_ERR_KEY;
	case CKR_BUFFER_TOO_SMALL:
		return P11_ERR_ARG;
	default:
		return P11_ERR_FUNC;
	}
}

static const char *
ckr_advice(CK_RV rv)
{
	if (is_device_loss(rv))
		return "the HSM session or device was lost; " DEVICE_HINT;
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "check the PIN file; after too many tries the token locks";
	case CKR_PIN_LOCKED:
		return "the user PIN is locked after too many wrong tries; the security officer "
		    "must reset it with the HSM's administration tool";
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return "the token does not accept a PIN of this length or with these characters; "
		    "check the PIN file (one line, no extra spaces)";
	case CKR_PIN_EXPIRED:
		return "the user PIN has expired; set a new one with the HSM's administration tool";
	case CKR_USER_PIN_NOT_INITIALIZED:
		return "the token has no user PIN yet; initialize it (see the key ceremony in "
		    "docs/)";
	case CKR_HOST_MEMORY:
		return "the station is out of memory; check the machine's memory use";
	case CKR_DEVICE_MEMORY:
		return "the HSM is out of memory; remove unused objects from the token";
	case CKR_CANT_LOCK:
		return "the module cannot use OS locking, so it is unsafe for the multi-threaded "
		    "signer; use a module that supports CKF_OS_LOCKING_OK";
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
		return "the token does not support this mechanism; check the HSM model and "
		    "firmware";
	case CKR_CURVE_NOT_SUPPORTED:
	case CKR_DOMAIN_PARAMS_INVALID:
		return "the token does not support this curve; try prime256v1 or check the HSM "
		    "model";
	case CKR_KEY_HANDLE_INVALID:
	case CKR_OBJECT_HANDLE_INVALID:
		return "the key object no longer exists; check the key URI and the token contents";
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
		return "the key's type or attributes do not allow this operation (is CKA_SIGN "
		    "set?); check the key URI";
	case CKR_TEMPLATE_INCOMPLETE:
	case CKR_TEMPLATE_INCONSISTENT:
	case CKR_ATTRIBUTE_TYPE_INVALID:
	case CKR_ATTRIBUTE_VALUE_INVALID:
		return "the token rejected the key attributes; check that this HSM supports "
		    "sensitive, non-extractable token keys of this kind";
	case CKR_ATTRIBUTE_SENSITIVE:
		return "the token keeps this attribute secret; check that the URI names the "
		    "right object";
	case CKR_TOKEN_WRITE_PROTECTED:
	case CKR_SESSION_READ_ONLY:
		return "the token is write-protected; check the HSM's policy or use another token";
	case CKR_USER_NOT_LOGGED_IN:
		return "the session is no longer logged in (did another process log out?); "
		    "restart the signer";
	case CKR_SESSION_COUNT:
		return "the token has no free sessions; stop other programs using the HSM";
	case CKR_OPERATION_ACTIVE:
		return "another operation is still active on this session (one session per "
		    "thread); restart the signer";
	case CKR_FUNCTION_NOT_SUPPORTED:
		return "the module does not implement this function; use a module with full "
		    "PKCS#11 v2.40 support";
	case CKR_TOKEN_NOT_RECOGNIZED:
		return "the module does not recognize the token; check the HSM and its firmware";
	default:
		return "see the HSM vendor's documentation for this return value";
	}
}

/* Log "<what> (CKR_X); <advice>" and return the mapped P11_ERR_*. */
static int ckr_fail(CK_RV rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
ckr_fail(CK_RV rv, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_error("%s (%s); %s", what, p11_ckr_name(rv), ckr_advice(rv));
	return map_rv(rv);
}

/* A fixed-size, space-padded CK_TOKEN_INFO field as a C string (out holds n + 1 bytes). */
static void
fixed_str(const unsigned char *f, size_t n, char *out)
{
	memcpy(out, f, n);
	out[n] = '\0';
	/* Some modules pad with NULs instead of spaces. */
	n = strnlen(out, n);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void
tokid_read(const CK_TOKEN_INFO *ti, struct p11_tokid *id)
{
	fixed_str(ti->label, sizeof(ti->label), id->label);
	fixed_str(ti->manufacturerID, sizeof(ti->manufacturerID), id->manuf);
	fixed_str(ti->model, sizeof(ti->model), id->model);
	fixed_str(ti->serialNumber, sizeof(ti->serialNumber), id->serial);
}

/* Bounded copy for display: control characters (from a token or a profile) become '?'. */
static void
display_copy(char *dst, size_t cap, const char *src)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < cap - 1 && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static const char *
class_name(CK_OBJECT_CLASS cls)
{
	switch (cls) {
	case CKO_PRIVATE_KEY:
		return "private key";
	case CKO_PUBLIC_KEY:
		return "public key";
	case CKO_SECRET_KEY:
		return "secret key";
	case CKO_CERTIFICATE:
		return "certificate";
	case CKO_DATA:
		return "data";
	default:
		return "unknown-class";
	}
}

static int
need_session(const struct p11 *p, const char *fn)
{
	if (p == NULL || !p->have_sess) {
		log_error("%s: no logged-in HSM session; call p11_login first (internal error)",
		    fn);
		return P11_ERR_ARG;
	}
	return P11_OK;
}

/* Registry of initialized modules; see struct p11_module. */
static int
module_acquire(struct p11 *p)
{
	CK_C_INITIALIZE_ARGS args;
	struct p11_module *m;
	CK_RV rv;
	int r = P11_ERR_MODULE;

	pthread_mutex_lock(&modules_lock);
	for (m = modules; m != NULL; m = m->next) {
		if (m->f == p->f) {
			m->refs++;
			r = P11_OK;
			goto out;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_error("out of memory loading PKCS#11 module '%s'", p->path);
		r = P11_ERR_NOMEM;
		goto out;
	}
	/*
	 * CKF_OS_LOCKING_OK is required: with C_Initialize(NULL) SoftHSM2 (and others) turn
	 * their mutexes off, and concurrent sessions crash (notes/hsm-signing-and-costs.md #1).
	 */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	if (rv == CKR_OK)
		m->ours = 1;
	else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
		log_debug("PKCS#11 module '%s' was already initialized in this process", p->path);
	else {
		ckr_fail(rv, "C_Initialize of PKCS#11 module '%s' failed", p->path);
		free(m);
		r = P11_ERR_MODULE;
		goto out;
	}
	m->f = p->f;
	m->refs = 1;
	m->next = modules;
	modules = m;
	r = P11_OK;
 out:
	pthread_mutex_unlock(&modules_lock);
	return r;
}

/* Close p's session (logging out first if p is the module's last user) and release the module. */
static void
module_release(struct p11 *p)
{
	struct p11_module **mp, *m;
	CK_RV rv;

	pthread_mutex_lock(&modules_lock);
	for (mp = &modules; (m = *mp) != NULL; mp = &m->next) {
		if (m->f == p->f)
			break;
	}
	if (p->have_sess) {
		/* Login state is shared by all sessions of the process: last one logs out. */
		if (m == NULL || m->refs == 1) {
			rv = p->f->C_Logout(p->sess);
			if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
				log_debug("C_Logout: %s", p11_ckr_name(rv));
		}
		if ((rv = p->f->C_CloseSession(p->sess)) != CKR_OK)
			log_debug("C_CloseSession: %s", p11_ckr_name(rv));
		p->have_sess = 0;
	}
	if (m != NULL && --m->refs == 0) {
		*mp = m->next;
		if (m->ours && (rv = p->f->C_Finalize(NULL)) != CKR_OK)
			log_debug("C_Finalize: %s", p11_ckr_name(rv));
		free(m);
	}
	pthread_mutex_unlock(&modules_lock);
}

int
p11_open(const char *module_path, struct p11 **out)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	struct p11 *p = NULL;
	CK_FUNCTION_LIST_PTR f = NULL;
	const char *err;
	CK_RV rv;
	int r = P11_ERR_MODULE;

	if (out == NULL)
		return P11_ERR_ARG;
	if (module_path == NULL || *module_path == '\0') {
		log_error("no PKCS#11 module configured; set [hsm] module= in the profile "
		    "(SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)");
		return P11_ERR_MODULE;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->path = strdup(module_path)) == NULL) {
		log_error("out of memory loading PKCS#11 module '%s'", module_path);
		r = P11_ERR_NOMEM;
		goto out;
	}
	if ((p->dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		log_error("cannot load PKCS#11 module '%s': %s; " MODULE_HINT, module_path,
		    err != NULL ? err : "unknown dlopen error");
		goto out;
	}
	dlerror();
	get_list = (CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(p->dl, "C_GetFunctionList");
	if (get_list == NULL) {
		err = dlerror();
		log_error("'%s' is not a PKCS#11 module (no C_GetFunctionList: %s); " MODULE_HINT,
		    module_path, err != NULL ? err : "symbol is NULL");
		goto out;
	}
	if ((rv = get_list(&f)) != CKR_OK || f == NULL) {
		ckr_fail(rv, "C_GetFunctionList of PKCS#11 module '%s' failed%s", module_path,
		    rv == CKR_OK ? " (no function list)" : "");
		r = P11_ERR_MODULE;
		goto out;
	}
	if (f->version.major < 2) {
		log_error("PKCS#11 module '%s' implements version %u.%u; v2.40 or later is needed; "
		    MODULE_HINT, module_path, f->version.major, f->version.minor);
		goto out;
	}
	if (f->C_Initialize == NULL || f->C_Finalize == NULL || f->C_GetSlotList == NULL ||
	    f->C_GetTokenInfo == NULL || f->C_OpenSession == NULL || f->C_CloseSession == NULL ||
	    f->C_Login == NULL || f->C_Logout == NULL || f->C_FindObjectsInit == NULL ||
	    f->C_FindObjects == NULL || f->C_FindObjectsFinal == NULL ||
	    f->C_GetAttributeValue == NULL || f->C_SignInit == NULL || f->C_Sign == NULL ||
	    f->C_GenerateKey == NULL || f->C_GenerateKeyPair == NULL ||
	    f->C_DestroyObject == NULL) {
		log_error("PKCS#11 module '%s' has an incomplete function list; use a module with "
		    "full PKCS#11 v2.40 support", module_path);
		goto out;
	}
	p->f = f;
	if ((r = module_acquire(p)) != P11_OK) {
		p->f = NULL;
		goto out;
	}
	*out = p;
	p = NULL; /* owned by caller */
	r = P11_OK;
 out:
	if (p != NULL) {
		if (p->dl != NULL)
			dlclose(p->dl);
		free(p->path);
		free(p);
	}
	return r;
}

/*
 * Sanitizer builds keep modules mapped: LeakSanitizer reports at exit, and a leak inside an
 * unloaded module has no module name to match tests/lsan.supp against (SoftHSM2 2.6.1 leaks
 * 37 bytes per CKM_EDDSA signature). Release builds unload as usual.
 */
static void
module_unload(void *dl)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)dl;
#else
	dlclose(dl);
#endif
}

void
p11_close(struct p11 *p)
{
	if (p == NULL)
		return;
	if (p->f != NULL)
		module_release(p);
	if (p->dl != NULL)
		module_unload(p->dl);
	free(p->path);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

/* "label 'x', serial 'y', slot-id 3": what a token URI asks for, for messages. */
static void
describe_token(const struct p11_uri *u, char *buf, size_t cap)
{
	char v[P11_URI_FIELD];
	size_t used = 0;
	int n;

#define ADD(field, name) do { \
	if (u->field[0] != '\0' && used < cap) { \
		display_copy(v, sizeof(v), u->field); \
		n = snprintf(buf + used, cap - used, "%s" name " '%s'", used ? ", " : "", v); \
		used += n > 0 ? (size_t)n : 0; \
	} \
} while (0)
	buf[0] = '\0';
	ADD(token, "label");
	ADD(manufacturer, "manufacturer");
	ADD(model, "model");
	ADD(serial, "serial");
#undef ADD
	if (u->slot_id != -1 && used < cap) {
		n = snprintf(buf + used, cap - used, "%sslot-id %ld", used ? ", " : "", u->slot_id);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used == 0)
		snprintf(buf, cap, "any token");
}

static int
token_matches(const struct p11_uri *u, CK_SLOT_ID slot, const struct p11_tokid *id)
{
	return (u->token[0] == '\0' || strcmp(u->token, id->label) == 0) &&
	    (u->manufacturer[0] == '\0' || strcmp(u->manufacturer, id->manuf) == 0) &&
	    (u->model[0] == '\0' || strcmp(u->model, id->model) == 0) &&
	    (u->serial[0] == '\0' || strcmp(u->serial, id->serial) == 0) &&
	    (u->slot_id == -1 || (CK_SLOT_ID)u->slot_id == slot);
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
	if (pin_len > PIN_MAX) {
		log_error("HSM PIN is longer than %d bytes; check the PIN file", PIN_MAX);
		return P11_ERR_PIN;
	}
	if ((r = p11_uri_parse(token_uri, &u)) != P11_OK)
		return r;
	describe_token(&u, wanted, sizeof(wanted));

	/* The slot count can change between the two calls (hot-plug): retry a few times. */
	for (tries = 0;; tries++) {
		if ((rv = p->f->C_GetSlotList(CK_TRUE, NULL, &nslots)) != CKR_OK) {
			r = ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed", p->path);
			goto out;
		}
		if (nslots == 0) {
			log_error("no token present in any slot of PKCS#11 module '%s' (looking "
			    "for %s); check that the HSM is connected and the token initialized",
			    p->path, wanted);
			r = P11_ERR_TOKEN;
			goto out;
		}
		if (nslots > SLOTS_MAX) {
			log_error("PKCS#11 module '%s' reports %lu slots (more than %d); check the "
			    "module", p->path, (unsigned long)nslots, SLOTS_MAX);
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
			r = ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed", p->path);
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
		tokid_read(&ti, &id);
		if (used < sizeof(present)) {
			display_copy(shown, sizeof(shown), id.label);
			n = snprintf(present + used, sizeof(present) - used, "%s'%s' (slot %lu%s)",
			    used ? ", " : "", shown, (unsigned long)slots[i],
			    (ti.flags & CKF_TOKEN_INITIALIZED) ? "" : ", not initialized");
			used += n > 0 ? (size_t)n : 0;
		}
		/* An uninitialized token (e.g. SoftHSM2's free slot) cannot be logged in to. */
		if (!(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    !token_matches(&u, slots[i], &id))
			continue;
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
	tokid_read(&found_ti, &id);
	display_copy(shown, sizeof(shown), id.label);
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
		r = ckr_fail(rv, "C_OpenSession on HSM token '%s' failed", shown);
		goto out;
	}
	have_sess = 1;
	/* A NULL PIN with a protected authentication path: the PIN is entered on the HSM's pad. */
	rv = p->f->C_Login(sess, CKU_USER, unconst(pin), (CK_ULONG)pin_len);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		if (rv == CKR_PIN_INCORRECT)
			r = ckr_fail(rv, "HSM refused the PIN");
		else
			r = ckr_fail(rv, "C_Login to HSM token '%s' failed", shown);
		goto out;
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

/*
 * Run a find with template t; *count gets the number of matches (stops at FIND_MAX) and
 * *first the first one. Does not log "not found": callers do, with context.
 */
static int
find_objects(struct p11 *p, CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE *first,
    CK_ULONG *count)
{
	CK_OBJECT_HANDLE h[16];
	CK_ULONG got, total = 0;
	CK_RV rv;
	int r = P11_ERR_FUNC;

	if ((rv = p->f->C_FindObjectsInit(p->sess, t, nt)) != CKR_OK)
		return ckr_fail(rv, "C_FindObjectsInit failed");
	for (;;) {
		got = 0;
		if ((rv = p->f->C_FindObjects(p->sess, h, 16, &got)) != CKR_OK) {
			r = ckr_fail(rv, "C_FindObjects failed");
			goto out;
		}
		if (got > 16) {
			log_error("C_FindObjects returned %lu handles for a 16-entry buffer; the "
			    "PKCS#11 module is broken", (unsigned long)got);
			r = P11_ERR_FUNC;
			goto out;
		}
		if (got == 0)
			break;
		if (total == 0)
			*first = h[0];
		total += got;
		if (total >= FIND_MAX)
			break;
	}
	*count = total;
	r = P11_OK;
 out:
	if ((rv = p->f->C_FindObjectsFinal(p->sess)) != CKR_OK && r == P11_OK)
		r = ckr_fail(rv, "C_FindObjectsFinal failed");
	return r;
}

/* Run a find for the objects of class cls that the object part of u names (object=, id=). */
static int
find_uri(struct p11 *p, struct p11_uri *u, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *first,
    CK_ULONG *count)
{
	CK_ATTRIBUTE t[3];
	CK_ULONG nt = 0;

	t[nt].type = CKA_CLASS;
	t[nt].pValue = &cls;
	t[nt++].ulValueLen = sizeof(cls);
	if (u->object[0] != '\0') {
		t[nt].type = CKA_LABEL;
		t[nt].pValue = u->object;
		t[nt++].ulValueLen = strlen(u->object);
	}
	if (u->id_len != 0) {
		t[nt].type = CKA_ID;
		t[nt].pValue = u->id;
		t[nt++].ulValueLen = u->id_len;
	}
	return find_objects(p, t, nt, first, count);
}

/* The token fields of a key URI must name the token we are logged in to. */
static int
check_uri_token(const struct p11 *p, const struct p11_uri *u, const char *uri)
{
	char wanted[400];

	if (token_matches(u, p->slot, &p->tok))
		return P11_OK;
	describe_token(u, wanted, sizeof(wanted));
	log_error("key URI '%s' asks for %s, but the signer is logged in to token '%s' "
	    "(slot %lu); make the key URI and [hsm] token= name the same token", uri, wanted,
	    p->shown, (unsigned long)p->slot);
	return P11_ERR_TOKEN;
}

int
p11_find(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out)
{
	struct p11_uri u;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	int r;

	if ((r = need_session(p, "p11_find")) != P11_OK)
		return r;
	if (uri == NULL || out == NULL)
		return P11_ERR_ARG;
	if ((r = p11_uri_parse(uri, &u)) != P11_OK)
		return r;
	/* Parsed: no query part, only URI characters, so the URI is safe to print. */
	if (u.type != -1 && (CK_OBJECT_CLASS)u.type != cls) {
		log_error("key URI '%s' names a %s object but a %s is needed here; fix type= in "
		    "the URI", uri, class_name((CK_OBJECT_CLASS)u.type), class_name(cls));
		return P11_ERR_KEY;
	}
	if (u.object[0] == '\0' && u.id_len == 0) {
		log_error("key URI '%s' has neither object= nor id=; name the key, e.g. "
		    "pkcs11:token=factory-ca;object=ca;type=private", uri);
		return P11_ERR_URI;
	}
	if ((r = check_uri_token(p, &u, uri)) != P11_OK ||
	    (r = find_uri(p, &u, cls, &h, &count)) != P11_OK)
		return r;
	if (count != 1) {
		if (count == 0)
			log_error("no %s on the HSM matches key URI '%s' (0 found); check "
			    "object=/id= in the profile, or create the key (key ceremony)",
			    class_name(cls), uri);
		else
			log_error("%s%lu %s objects on the HSM match key URI '%s'; it must name "
			    "exactly one: add id= or give the keys unique labels",
			    count >= FIND_MAX ? "at least " : "", (unsigned long)count,
			    class_name(cls), uri);
		return P11_ERR_KEY;
	}
	*out = h;
	return P11_OK;
}

int
p11_sign(struct p11 *p, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const uint8_t *in,
    size_t inlen, uint8_t *sig, size_t *siglen)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ULONG l, need;
	uint8_t *tmp;
	CK_RV rv;
	int r;

	if ((r = need_session(p, "p11_sign")) != P11_OK)
		return r;
	if ((in == NULL && inlen != 0) || sig == NULL || siglen == NULL || *siglen == 0) {
		log_error("p11_sign: bad arguments (internal error)");
		return P11_ERR_ARG;
	}
	/* PKCS#11 needs a C_SignInit for every single-part signature. */
	if ((rv = p->f->C_SignInit(p->sess, &m, key)) != CKR_OK)
		return ckr_fail(rv, "C_SignInit (mechanism 0x%lx) failed", (unsigned long)mech);
	l = (CK_ULONG)*siglen;
	rv = p->f->C_Sign(p->sess, unconst(in), (CK_ULONG)inlen, sig, &l);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		/*
		 * CKR_BUFFER_TOO_SMALL leaves the operation active; finish it into a scratch
		 * buffer so the session can sign again.
		 */
		need = l;
		if (need > 0 && need <= SIG_MAX && (tmp = malloc(need)) != NULL) {
			(void)p->f->C_Sign(p->sess, unconst(in), (CK_ULONG)inlen, tmp, &l);
			OPENSSL_cleanse(tmp, need);
			free(tmp);
		}
		log_error("signature buffer of %zu bytes is too small: the HSM needs %lu "
		    "(CKR_BUFFER_TOO_SMALL); this is an internal error", *siglen,
		    (unsigned long)need);
		return P11_ERR_ARG;
	}
	if (rv != CKR_OK)
		return ckr_fail(rv, "C_Sign (mechanism 0x%lx) failed", (unsigned long)mech);
	if (l == 0 || l > (CK_ULONG)*siglen) {
		log_error("C_Sign returned a %lu-byte signature for a %zu-byte buffer; the PKCS#11 "
		    "module is broken", (unsigned long)l, *siglen);
		return P11_ERR_FUNC;
	}
	*siglen = (size_t)l;
	return P11_OK;
}

/*
 * Read one fixed-size attribute (CK_BBOOL, CK_ULONG) of obj into v (len bytes) and check the
 * size the module reports; kind names it in messages. *rvp gets the module's return value.
 */
static int
get_fixed_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, void *v,
    CK_ULONG len, const char *kind, CK_RV *rvp)
{
	CK_ATTRIBUTE a = { type, v, len };

	if ((*rvp = p->f->C_GetAttributeValue(p->sess, obj, &a, 1)) != CKR_OK)
		return ckr_fail(*rvp, "C_GetAttributeValue(attribute 0x%lx) failed",
		    (unsigned long)type);
	if (a.ulValueLen != len) {
		log_error("HSM returned a %lu-byte value for %s 0x%lx; the PKCS#11 module is "
		    "broken", (unsigned long)a.ulValueLen, kind, (unsigned long)type);
		return P11_ERR_FUNC;
	}
	return P11_OK;
}

int
p11_get_bool_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, int *out)
{
	CK_BBOOL b = CK_FALSE;
	CK_RV rv = CKR_OK;
	int r;

	if ((r = need_session(p, "p11_get_bool_attr")) != P11_OK)
		return r;
	if (out == NULL)
		return P11_ERR_ARG;
	if ((r = get_fixed_attr(p, obj, type, &b, sizeof(b), "boolean attribute", &rv)) != P11_OK)
		return r == P11_ERR_FUNC && (rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_ATTRIBUTE_SENSITIVE) ? P11_ERR_KEY : r;
	*out = b != CK_FALSE;
	return P11_OK;
}

/* Reject a label/id that could never be found by URI, or that is already in use for cls. */
static int
check_new_key(struct p11 *p, CK_OBJECT_CLASS cls, const char *label, const uint8_t *id,
    size_t idlen)
{
	CK_ATTRIBUTE t[2];
	CK_OBJECT_HANDLE h;
	CK_ULONG count = 0;
	char shown[P11_URI_FIELD];
	size_t ll;
	int r;

	if (label == NULL || (ll = strlen(label)) == 0 || ll > LABEL_MAX ||
	    (id == NULL && idlen != 0) || idlen > sizeof(((struct p11_uri *)0)->id)) {
		log_error("new HSM key needs a label of 1..%d bytes and an id of at most %zu "
		    "bytes (so a pkcs11: URI can name it)", LABEL_MAX,
		    sizeof(((struct p11_uri *)0)->id));
		return P11_ERR_ARG;
	}
	display_copy(shown, sizeof(shown), label);
	t[0].type = CKA_CLASS;
	t[0].pValue = &cls;
	t[0].ulValueLen = sizeof(cls);
	t[1].type = CKA_LABEL;
	t[1].pValue = unconst(label);
	t[1].ulValueLen = ll;
	if ((r = find_objects(p, t, 2, &h, &count)) != P11_OK)
		return r;
	if (count == 0 && idlen != 0) {
		t[1].type = CKA_ID;
		t[1].pValue = unconst(id);
		t[1].ulValueLen = idlen;
		if ((r = find_objects(p, t, 2, &h, &count)) != P11_OK)
			return r;
	}
	if (count != 0) {
		log_error("a %s with label '%s' or the same id already exists on HSM token '%s'; "
		    "choose another label and id (a key URI must match exactly one key)",
		    class_name(cls), shown, p->shown);
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
		{ CKA_LABEL, unconst(label), strlen(label) },
		{ CKA_ID, unconst(id), idlen },
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
	char shown[P11_URI_FIELD];
	CK_RV rv;
	int r;

	if ((r = need_session(p, "p11_gen_ec")) != P11_OK)
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
	display_copy(shown, sizeof(shown), label);
	{
		CK_ATTRIBUTE pub[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_EC_PARAMS, unconst(oid), oidlen },
			{ CKA_LABEL, unconst(label), strlen(label) },
			{ CKA_ID, unconst(id), idlen },
		};

		/* Leave CKA_ID out when there is none. */
		npub = sizeof(pub) / sizeof(pub[0]) - (idlen == 0);
		npriv = secret_attrs(priv, &yes, &no, label, id, idlen);
		rv = p->f->C_GenerateKeyPair(p->sess, &m, pub, npub, priv, npriv, &hpub, &hpriv);
	}
	if (rv != CKR_OK)
		return ckr_fail(rv, "C_GenerateKeyPair (%s) for key '%s' failed", curve, shown);
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
	char shown[P11_URI_FIELD];
	CK_RV rv;
	int r;

	if ((r = need_session(p, "p11_gen_hmac_key")) != P11_OK)
		return r;
	if ((r = check_new_key(p, CKO_SECRET_KEY, label, id, idlen)) != P11_OK)
		return r;
	display_copy(shown, sizeof(shown), label);
	n = 4 + secret_attrs(t + 4, &yes, &no, label, id, idlen);
	if ((rv = p->f->C_GenerateKey(p->sess, &m, t, n, &h)) != CKR_OK)
		return ckr_fail(rv, "C_GenerateKey (HMAC secret) for key '%s' failed", shown);
	if ((r = check_protected(p, h, CK_INVALID_HANDLE, shown)) != P11_OK)
		return r;
	log_info("generated HMAC key '%s' on HSM token '%s'", shown, p->shown);
	return P11_OK;
}

/* Read a CK_ULONG attribute (class, key type) and check its size. */
static int
get_ulong_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
	CK_ULONG v = 0;
	CK_RV rv;
	int r;

	if ((r = get_fixed_attr(p, obj, type, &v, sizeof(v), "attribute", &rv)) != P11_OK)
		return r;
	*out = v;
	return P11_OK;
}

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
	uint8_t params[EC_PARAMS_MAX], point[EC_POINT_MAX], *out = NULL, *q;
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

	if ((r = need_session(p, "p11_ec_pubkey_spki")) != P11_OK)
		return r;
	if (der == NULL || derlen == NULL)
		return P11_ERR_ARG;
	if ((r = get_ulong_attr(p, pub, CKA_CLASS, &cls)) != P11_OK ||
	    (r = get_ulong_attr(p, pub, CKA_KEY_TYPE, &kt)) != P11_OK)
		goto out;
	if (cls != CKO_PUBLIC_KEY || (kt != CKK_EC && kt != CKK_EC_EDWARDS)) {
		log_error("HSM object is a %s of key type 0x%lx, not an EC or Ed25519 public key; "
		    "use type=public in the URI of such a key", class_name(cls), (unsigned long)kt);
		r = P11_ERR_KEY;
		goto out;
	}
	/* Sizes first; everything the token says is checked against our buffers. */
	if ((rv = p->f->C_GetAttributeValue(p->sess, pub, a, 2)) != CKR_OK) {
		r = ckr_fail(rv, "C_GetAttributeValue(CKA_EC_PARAMS, CKA_EC_POINT) failed");
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
		r = ckr_fail(rv, "C_GetAttributeValue(CKA_EC_PARAMS, CKA_EC_POINT) failed");
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

int
p11_key_type(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ULONG *kt)
{
	int r;

	if ((r = need_session(p, "p11_key_type")) != P11_OK)
		return r;
	return get_ulong_attr(p, obj, CKA_KEY_TYPE, kt);
}

int
p11_mech_ok(struct p11 *p, CK_MECHANISM_TYPE mech, CK_FLAGS need, int *ok)
{
	CK_MECHANISM_INFO info;
	CK_RV rv;
	int r;

	if ((r = need_session(p, "p11_mech_ok")) != P11_OK)
		return r;
	memset(&info, 0, sizeof(info));
	rv = p->f->C_GetMechanismInfo(p->slot, mech, &info);
	if (rv == CKR_MECHANISM_INVALID) {
		*ok = 0;
		return P11_OK;
	}
	if (rv != CKR_OK)
		return ckr_fail(rv, "C_GetMechanismInfo(0x%lx) failed", (unsigned long)mech);
	*ok = (info.flags & need) == need;
	return P11_OK;
}

int
p11_token_info(struct p11 *p, char *label, char *manuf, char *model, char *serial, size_t cap)
{
	CK_TOKEN_INFO ti;
	struct p11_tokid id;
	CK_RV rv;
	int r;

	if ((r = need_session(p, "p11_token_info")) != P11_OK)
		return r;
	if (cap == 0)
		return P11_ERR_ARG;
	if ((rv = p->f->C_GetTokenInfo(p->slot, &ti)) != CKR_OK)
		return ckr_fail(rv, "C_GetTokenInfo for slot %lu failed", (unsigned long)p->slot);
	tokid_read(&ti, &id);
	/* For display: bounded by cap, control characters replaced. NULL = not wanted. */
	if (label != NULL)
		display_copy(label, cap, id.label);
	if (manuf != NULL)
		display_copy(manuf, cap, id.manuf);
	if (model != NULL)
		display_copy(model, cap, id.model);
	if (serial != NULL)
		display_copy(serial, cap, id.serial);
	return P11_OK;
}

/* Slot of the initialised token labelled label (*found = 1), else the first slot holding an
 * uninitialised token (*found = 0, *slot set), else P11_ERR_TOKEN. */
static int
token_slot(struct p11 *p, const char *label, CK_SLOT_ID *slot, int *found)
{
	CK_SLOT_ID slots[SLOTS_MAX];
	CK_ULONG n = SLOTS_MAX, i;
	CK_TOKEN_INFO ti;
	char l[33];
	int have_free = 0;
	CK_RV rv;

	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed", p->path);
	*found = 0;
	for (i = 0; i < n && i < SLOTS_MAX; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		fixed_str(ti.label, sizeof(ti.label), l);
		if ((ti.flags & CKF_TOKEN_INITIALIZED) && strcmp(l, label) == 0) {
			*slot = slots[i];
			*found = 1;
			return P11_OK;
		}
		if (!(ti.flags & CKF_TOKEN_INITIALIZED) && !have_free) {
			*slot = slots[i];
			have_free = 1;
		}
	}
	if (have_free)
		return P11_OK;
	log_error("no initialised token labelled '%s' and no free slot in module '%s'", label,
	    p->path);
	return P11_ERR_TOKEN;
}

int
p11_init_token(struct p11 *p, const char *label, const char *so_pin, size_t so_len,
    const char *user_pin, size_t user_len, int *created)
{
	CK_UTF8CHAR lab[32];
	CK_SESSION_HANDLE s = 0;
	CK_SLOT_ID slot = 0;
	int found = 0, r, open = 0, in = 0;
	CK_RV rv;

	if (p == NULL || p->f == NULL || label == NULL || strlen(label) > sizeof(lab) ||
	    so_len == 0 || user_len == 0 || so_len > PIN_MAX || user_len > PIN_MAX)
		return P11_ERR_ARG;
	*created = 0;
	if ((r = token_slot(p, label, &slot, &found)) != P11_OK || found)
		return r;
	memset(lab, ' ', sizeof(lab));
	memcpy(lab, label, strlen(label));
	if ((rv = p->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)unconst(so_pin), so_len, lab)) != CKR_OK)
		return ckr_fail(rv, "C_InitToken of a new token '%s' failed", label);
	/* Some modules (SoftHSM2) move a freshly initialised token to a new slot id. */
	if ((r = token_slot(p, label, &slot, &found)) != P11_OK)
		return r;
	if (!found) {
		log_error("token '%s' is not visible after C_InitToken", label);
		return P11_ERR_TOKEN;
	}
	r = P11_ERR_FUNC;
	if ((rv = p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	         &s)) != CKR_OK) {
		r = ckr_fail(rv, "C_OpenSession on the new token failed");
		goto out;
	}
	open = 1;
	if ((rv = p->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)unconst(so_pin), so_len)) != CKR_OK) {
		r = ckr_fail(rv, "security-officer log-in to the new token failed");
		goto out;
	}
	in = 1;
	if ((rv = p->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)unconst(user_pin), user_len)) != CKR_OK) {
		r = ckr_fail(rv, "C_InitPIN (setting the user PIN) failed");
		goto out;
	}
	*created = 1;
	r = P11_OK;
out:
	if (in)
		(void)p->f->C_Logout(s);
	if (open)
		(void)p->f->C_CloseSession(s);
	return r;
}

int
p11_exists(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, int *exists)
{
	struct p11_uri u;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	int r;

	if ((r = need_session(p, "p11_exists")) != P11_OK)
		return r;
	if ((r = p11_uri_parse(uri, &u)) != P11_OK)
		return r;
	if (u.object[0] == '\0' && u.id_len == 0)
		return P11_ERR_URI;
	if ((r = find_uri(p, &u, cls, &h, &count)) != P11_OK)
		return r;
	*exists = count > 0;
	return P11_OK;
}
