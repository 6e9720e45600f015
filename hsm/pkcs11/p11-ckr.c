/*
 * p11-ckr.c: PKCS#11 v2.40 return values: their names, what each means for the people running
 * the station (p11_ckr_fail logs that), and the P11_ERR_* code each maps to; names of our codes.
 */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "p11-int.h"

#define DEVICE_HINT "check the HSM connection/token (cable or network, token inserted, HSM " \
	"powered), then restart the signer"

struct ckr_name {
	CK_RV rv;
	const char *name;
};

#define E(x) { x, #x }
/* Every CKR_* value of PKCS#11 v2.40 (section 5.1 of the base specification), in numeric order. */
static const struct ckr_name ckr_names[] = {
	E(CKR_OK),
	E(CKR_CANCEL),
	E(CKR_HOST_MEMORY),
	E(CKR_SLOT_ID_INVALID),
	E(CKR_GENERAL_ERROR),
	E(CKR_FUNCTION_FAILED),
	E(CKR_ARGUMENTS_BAD),
	E(CKR_NO_EVENT),
	E(CKR_NEED_TO_CREATE_THREADS),
	E(CKR_CANT_LOCK),
	E(CKR_ATTRIBUTE_READ_ONLY),
	E(CKR_ATTRIBUTE_SENSITIVE),
	E(CKR_ATTRIBUTE_TYPE_INVALID),
	E(CKR_ATTRIBUTE_VALUE_INVALID),
	E(CKR_ACTION_PROHIBITED),
	E(CKR_DATA_INVALID),
	E(CKR_DATA_LEN_RANGE),
	E(CKR_DEVICE_ERROR),
	E(CKR_DEVICE_MEMORY),
	E(CKR_DEVICE_REMOVED),
	E(CKR_ENCRYPTED_DATA_INVALID),
	E(CKR_ENCRYPTED_DATA_LEN_RANGE),
	E(CKR_FUNCTION_CANCELED),
	E(CKR_FUNCTION_NOT_PARALLEL),
	E(CKR_FUNCTION_NOT_SUPPORTED),
	E(CKR_KEY_HANDLE_INVALID),
	E(CKR_KEY_SIZE_RANGE),
	E(CKR_KEY_TYPE_INCONSISTENT),
	E(CKR_KEY_NOT_NEEDED),
	E(CKR_KEY_CHANGED),
	E(CKR_KEY_NEEDED),
	E(CKR_KEY_INDIGESTIBLE),
	E(CKR_KEY_FUNCTION_NOT_PERMITTED),
	E(CKR_KEY_NOT_WRAPPABLE),
	E(CKR_KEY_UNEXTRACTABLE),
	E(CKR_MECHANISM_INVALID),
	E(CKR_MECHANISM_PARAM_INVALID),
	E(CKR_OBJECT_HANDLE_INVALID),
	E(CKR_OPERATION_ACTIVE),
	E(CKR_OPERATION_NOT_INITIALIZED),
	E(CKR_PIN_INCORRECT),
	E(CKR_PIN_INVALID),
	E(CKR_PIN_LEN_RANGE),
	E(CKR_PIN_EXPIRED),
	E(CKR_PIN_LOCKED),
	E(CKR_SESSION_CLOSED),
	E(CKR_SESSION_COUNT),
	E(CKR_SESSION_HANDLE_INVALID),
	E(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	E(CKR_SESSION_READ_ONLY),
	E(CKR_SESSION_EXISTS),
	E(CKR_SESSION_READ_ONLY_EXISTS),
	E(CKR_SESSION_READ_WRITE_SO_EXISTS),
	E(CKR_SIGNATURE_INVALID),
	E(CKR_SIGNATURE_LEN_RANGE),
	E(CKR_TEMPLATE_INCOMPLETE),
	E(CKR_TEMPLATE_INCONSISTENT),
	E(CKR_TOKEN_NOT_PRESENT),
	E(CKR_TOKEN_NOT_RECOGNIZED),
	E(CKR_TOKEN_WRITE_PROTECTED),
	E(CKR_UNWRAPPING_KEY_HANDLE_INVALID),
	E(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	E(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	E(CKR_USER_ALREADY_LOGGED_IN),
	E(CKR_USER_NOT_LOGGED_IN),
	E(CKR_USER_PIN_NOT_INITIALIZED),
	E(CKR_USER_TYPE_INVALID),
	E(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	E(CKR_USER_TOO_MANY_TYPES),
	E(CKR_WRAPPED_KEY_INVALID),
	E(CKR_WRAPPED_KEY_LEN_RANGE),
	E(CKR_WRAPPING_KEY_HANDLE_INVALID),
	E(CKR_WRAPPING_KEY_SIZE_RANGE),
	E(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	E(CKR_RANDOM_SEED_NOT_SUPPORTED),
	E(CKR_RANDOM_NO_RNG),
	E(CKR_DOMAIN_PARAMS_INVALID),
	E(CKR_CURVE_NOT_SUPPORTED),
	E(CKR_BUFFER_TOO_SMALL),
	E(CKR_SAVED_STATE_INVALID),
	E(CKR_INFORMATION_SENSITIVE),
	E(CKR_STATE_UNSAVEABLE),
	E(CKR_CRYPTOKI_NOT_INITIALIZED),
	E(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	E(CKR_MUTEX_BAD),
	E(CKR_MUTEX_NOT_LOCKED),
	E(CKR_NEW_PIN_MODE),
	E(CKR_NEXT_OTP),
	E(CKR_EXCEEDED_MAX_ITERATIONS),
	E(CKR_FIPS_SELF_TEST_FAILED),
	E(CKR_LIBRARY_LOAD_FAILED),
	E(CKR_PIN_TOO_WEAK),
	E(CKR_PUBLIC_KEY_INVALID),
	E(CKR_FUNCTION_REJECTED),
	E(CKR_VENDOR_DEFINED),
};
#undef E

const char *
p11_ckr_name(CK_RV rv)
{
	static _Thread_local char unknown[32];
	size_t i;

	for (i = 0; i < sizeof(ckr_names) / sizeof(ckr_names[0]); i++) {
		if (ckr_names[i].rv == rv)
			return ckr_names[i].name;
	}
	/* Per-thread buffer: safe to call from each signer thread. */
	snprintf(unknown, sizeof(unknown), "CKR_0x%08lx", (unsigned long)rv);
	return unknown;
}

const char *
p11_strerror(int rc)
{
	switch (rc) {
	case P11_OK:
		return "success";
	case P11_ERR_MODULE:
		return "PKCS#11 module could not be loaded or initialized";
	case P11_ERR_TOKEN:
		return "no single HSM token matches the pkcs11: URI";
	case P11_ERR_PIN:
		return "HSM refused the PIN (incorrect, locked or invalid)";
	case P11_ERR_KEY:
		return "HSM key not found, ambiguous or of the wrong type";
	case P11_ERR_URI:
		return "malformed or refused pkcs11: URI";
	case P11_ERR_DEVICE:
		return "HSM device or session lost";
	case P11_ERR_FUNC:
		return "PKCS#11 call failed";
	case P11_ERR_ARG:
		return "invalid argument to the PKCS#11 layer";
	case P11_ERR_NOMEM:
		return "out of memory";
	case P11_ERR_PINSRC:
		return "HSM PIN could not be read from any source";
	default:
		return "unknown PKCS#11 layer error";
	}
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

int
p11_ckr_fail(CK_RV rv, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_error("%s (%s); %s", what, p11_ckr_name(rv), ckr_advice(rv));
	return map_rv(rv);
}
