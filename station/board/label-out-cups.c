/*
 * label-out-cups.c: a CUPS queue through libcups; see label-out.h.
 *
 * libcups is loaded with dlopen when a label first goes to CUPS, in the printer helper (or
 * `station label reprint`), never linked: it pulls in GnuTLS and with it p11-kit, a PKCS#11
 * module loader, and the station binary holds no PKCS#11 code (test-signer checks its ldd).
 */
#include "label-out.h"

#include <cups/cups.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define LIBCUPS "libcups.so.2"

static struct {
	http_t *(*connect2)(const char *, int, http_addrlist_t *, int, http_encryption_t, int, int,
	    int *);
	const char *(*server)(void);
	int (*ipp_port)(void);
	http_encryption_t (*encryption)(void);
	const char *(*last_error)(void);
	void (*set_timeout)(http_t *, double, http_timeout_cb_t, void *);
	int (*create_job)(http_t *, const char *, const char *, int, cups_option_t *);
	http_status_t (*start_document)(http_t *, const char *, int, const char *, const char *, int);
	http_status_t (*write_data)(http_t *, const char *, size_t);
	ipp_status_t (*finish_document)(http_t *, const char *);
	int (*cancel_job)(http_t *, const char *, int, int);
	void (*close)(http_t *);
} cups;
static char cups_error[CAP_REASON];
static pthread_once_t cups_once = PTHREAD_ONCE_INIT;

/* dlsym's object pointer as a function pointer (POSIX guarantees the conversion). */
static int
sym(void *h, const char *name, void *fp, size_t size)
{
	void *p = dlsym(h, name);

	if (p == NULL) {
		snprintf(cups_error, sizeof(cups_error), "libcups has no %s", name);
		return -1;
	}
	memcpy(fp, &p, size);
	return 0;
}

static void
cups_load(void)
{
	void *h = dlopen(LIBCUPS, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		snprintf(cups_error, sizeof(cups_error), "cannot load %s (install libcups2): %s",
		    LIBCUPS, dlerror());
		return;
	}
	if (sym(h, "httpConnect2", &cups.connect2, sizeof(cups.connect2)) != 0 ||
	    sym(h, "cupsServer", &cups.server, sizeof(cups.server)) != 0 ||
	    sym(h, "ippPort", &cups.ipp_port, sizeof(cups.ipp_port)) != 0 ||
	    sym(h, "cupsEncryption", &cups.encryption, sizeof(cups.encryption)) != 0 ||
	    sym(h, "cupsLastErrorString", &cups.last_error, sizeof(cups.last_error)) != 0 ||
	    sym(h, "httpSetTimeout", &cups.set_timeout, sizeof(cups.set_timeout)) != 0 ||
	    sym(h, "cupsCreateJob", &cups.create_job, sizeof(cups.create_job)) != 0 ||
	    sym(h, "cupsStartDocument", &cups.start_document, sizeof(cups.start_document)) != 0 ||
	    sym(h, "cupsWriteRequestData", &cups.write_data, sizeof(cups.write_data)) != 0 ||
	    sym(h, "cupsFinishDocument", &cups.finish_document, sizeof(cups.finish_document)) != 0 ||
	    sym(h, "cupsCancelJob2", &cups.cancel_job, sizeof(cups.cancel_job)) != 0 ||
	    sym(h, "httpClose", &cups.close, sizeof(cups.close)) != 0) {
		memset(&cups, 0, sizeof(cups));
		return; /* the handle stays: what was resolved may be referenced nowhere, harmless */
	}
}

/* One job: ZPL raw (the queue passes it to the printer untouched), PNG as image/png. The job
 * is titled with nothing but "label" (its content holds the password; so may CUPS's spool: see
 * docs/scripting-guide.md on PreserveJobFiles). */
static int
cups_send(const struct label_profile *lp, const uint8_t *buf, size_t n, char *why, size_t cap)
{
	const char *format = lp->send == LABEL_FMT_PNG ? "image/png" : CUPS_FORMAT_RAW;
	http_t *http;
	int job, r = -1;

	pthread_once(&cups_once, cups_load);
	if (cups.close == NULL) {
		util_why(why, cap, "CUPS: %s", cups_error);
		return -1;
	}
	if ((http = cups.connect2(cups.server(), cups.ipp_port(), NULL, AF_UNSPEC, cups.encryption(),
	         1, (int)lp->timeout, NULL)) == NULL) {
		util_why(why, cap, "cannot reach CUPS at %s: %s", cups.server(), cups.last_error());
		return -1;
	}
	cups.set_timeout(http, (double)lp->timeout / 1000.0, NULL, NULL);
	if ((job = cups.create_job(http, lp->printer, "label", 0, NULL)) == 0) {
		util_why(why, cap, "CUPS refused a job on queue %s: %s", lp->printer, cups.last_error());
		goto out;
	}
	if (cups.start_document(http, lp->printer, job, "label", format, 1) != HTTP_STATUS_CONTINUE ||
	    cups.write_data(http, (const char *)buf, n) != HTTP_STATUS_CONTINUE ||
	    cups.finish_document(http, lp->printer) != IPP_STATUS_OK) {
		util_why(why, cap, "CUPS did not take the label on queue %s: %s", lp->printer,
		    cups.last_error());
		(void)cups.cancel_job(http, lp->printer, job, 0);
		goto out;
	}
	r = 0;
out:
	cups.close(http);
	return r;
}

const struct label_out_ops label_out_cups = { "cups", cups_send };
