/*
 * slow-p11.c: a bench instrument (issue #14, PRODUCT §9 "with a slow HSM"), never a station code
 * path. A PKCS#11 module that passes every call through to SoftHSM2 (dlopen'd from
 * $SLOW_P11_MODULE, default /usr/lib/softhsm/libsofthsm2.so) except that signatures are
 * rate-limited to $SLOW_P11_RATE per second (default 50, or -DSLOW_P11_RATE=N) across the
 * process, like a network HSM's licence.
 *
 * What is limited: every signature the module makes, C_Sign and C_SignFinal, whatever the
 * mechanism (ECDSA certificates and checkpoints, and the HMAC of the password commitment, which
 * PKCS#11 also runs through C_Sign on CKM_SHA256_HMAC): a network HSM meters operations, not
 * algorithms. A length query (pSignature NULL) is not a signature and passes at once.
 *
 * How: a mutex and the next allowed time; a signature waits (holding the mutex, so callers
 * queue in order) until then, and the next allowed time moves 1/rate on. No burst.
 * scripts/bench.sh builds it as a shared object and points the station's [hsm] module at it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#ifndef SLOW_P11_RATE
#define SLOW_P11_RATE 50 /* the bench compiles its rate in: the signer may not see its environment */
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST real, wrap; /* real: SoftHSM2's table (copied); wrap: ours */
static int loaded;
static double next_at;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for this signature's turn. */
static void
meter(void)
{
	const char *e = getenv("SLOW_P11_RATE");
	double rate = e != NULL && atof(e) > 0 ? atof(e) : (double)SLOW_P11_RATE, t, d;
	struct timespec ts;

	pthread_mutex_lock(&lock);
	t = now();
	if (next_at > t) {
		d = next_at - t;
		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) != 0)
			;
		t = next_at;
	}
	next_at = t + 1.0 / rate;
	pthread_mutex_unlock(&lock);
}

static CK_RV
w_sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	if (sig != NULL)
		meter();
	return real.C_Sign(s, data, len, sig, siglen);
}

static CK_RV
w_sign_final(CK_SESSION_HANDLE s, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	if (sig != NULL)
		meter();
	return real.C_SignFinal(s, sig, siglen);
}

static CK_RV w_get_function_list(CK_FUNCTION_LIST_PTR_PTR pp);

static int
load(void)
{
	const char *path = getenv("SLOW_P11_MODULE");
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST_PTR f = NULL;
	void *h;

	if (loaded)
		return 0;
	if ((h = dlopen(path != NULL ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (gfl = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList")) == NULL || gfl(&f) != CKR_OK ||
	    f == NULL) {
		fprintf(stderr, "slow-p11: cannot load the module behind it: %s\n", dlerror());
		return -1;
	}
	real = *f;
	wrap = *f;
	wrap.C_GetFunctionList = w_get_function_list;
	wrap.C_Sign = w_sign;
	wrap.C_SignFinal = w_sign_final;
	loaded = 1;
	return 0;
}

static CK_RV
w_get_function_list(CK_FUNCTION_LIST_PTR_PTR pp)
{
	CK_RV rv = CKR_GENERAL_ERROR;

	if (pp == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lock);
	if (load() == 0) {
		*pp = &wrap;
		rv = CKR_OK;
	}
	pthread_mutex_unlock(&lock);
	return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	return w_get_function_list(pp);
}
