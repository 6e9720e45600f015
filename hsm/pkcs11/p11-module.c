/*
 * p11-module.c: load a PKCS#11 v2.40 module (dlopen, C_GetFunctionList, C_Initialize) and
 * unload it again, counting the users of each module in this process.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "p11-int.h"

#define MODULE_HINT "check the path in the profile's [hsm] module= " \
	"(SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)"

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

/* The registered module with function list f, or NULL; modules_lock held. */
static struct p11_module *
module_find(CK_FUNCTION_LIST_PTR f)
{
	struct p11_module *m;

	for (m = modules; m != NULL; m = m->next) {
		if (m->f == f)
			return m;
	}
	return NULL;
}

/*
 * C_Initialize with CKF_OS_LOCKING_OK, which is required: with C_Initialize(NULL) SoftHSM2 (and
 * others) turn their mutexes off, and concurrent sessions crash
 * (notes/hsm-signing-and-costs.md #1).
 */
static CK_RV
module_init(CK_FUNCTION_LIST_PTR f)
{
	CK_C_INITIALIZE_ARGS args;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	return f->C_Initialize(&args);
}

/* Registry of initialized modules; see struct p11_module. */
static int
module_acquire(struct p11 *p)
{
	struct p11_module *m;
	CK_RV rv;
	int r = P11_ERR_MODULE;

	pthread_mutex_lock(&modules_lock);
	if ((m = module_find(p->f)) != NULL) {
		m->refs++;
		r = P11_OK;
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		log_error("out of memory loading PKCS#11 module '%s'", p->path);
		r = P11_ERR_NOMEM;
		goto out;
	}
	rv = module_init(p->f);
	if (rv == CKR_OK)
		m->ours = 1;
	else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
		log_debug("PKCS#11 module '%s' was already initialized in this process", p->path);
	else if (rv == CKR_GENERAL_ERROR || rv == CKR_DEVICE_ERROR) {
		/* a module that cannot reach its device fails here (tpm2-pkcs11: no TPM) */
		log_error("C_Initialize of PKCS#11 module '%s' failed (%s): the module cannot reach "
		    "its HSM. Check that the HSM is connected and powered%s%s%s", p->path,
		    p11_ckr_name(rv), getenv("TPM2_PKCS11_TCTI") != NULL ? "; tpm2-pkcs11: the TPM "
		    "at TPM2_PKCS11_TCTI=" : "", getenv("TPM2_PKCS11_TCTI") != NULL ?
		    getenv("TPM2_PKCS11_TCTI") : "", getenv("TPM2_PKCS11_TCTI") != NULL ?
		    " must answer (a TPM chip, or swtpm for tests)" : "");
		free(m);
		r = P11_ERR_MODULE;
		goto out;
	} else {
		p11_ckr_fail(rv, "C_Initialize of PKCS#11 module '%s' failed", p->path);
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
p11_module_reset(struct p11 *p)
{
	struct p11_module *m;
	CK_RV rv;
	int r = P11_OK;

	pthread_mutex_lock(&modules_lock);
	m = module_find(p->f);
	if (m != NULL && m->refs == 1 && m->ours) {
		(void)p->f->C_Finalize(NULL);
		if ((rv = module_init(p->f)) != CKR_OK &&
		    rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
			r = p11_ckr_fail(rv, "C_Initialize of PKCS#11 module '%s' failed again",
			    p->path) == P11_ERR_NOMEM ? P11_ERR_NOMEM : P11_ERR_MODULE;
	}
	pthread_mutex_unlock(&modules_lock);
	return r;
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
		p11_ckr_fail(rv, "C_GetFunctionList of PKCS#11 module '%s' failed%s", module_path,
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
	p11_quirks_read(p);
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
	size_t i;

	if (p == NULL)
		return;
	if (p->f != NULL)
		module_release(p);
	if (p->dl != NULL)
		module_unload(p->dl);
	free(p->path);
	free(p->token_uri);
	for (i = 0; i < p->nkeys; i++)
		free(p->keys[i].uri);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}
