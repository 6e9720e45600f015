/* label-out-cups.c: a CUPS queue through libcups; see label-out.h. */
#include "label-out.h"

#include <cups/cups.h>
#include <stdio.h>

#include "util.h"

/* One job: ZPL raw (the queue passes it to the printer untouched), PNG as image/png. The job
 * is titled with nothing but "label" (its content holds the password; so may CUPS's spool: see
 * docs/operator-guide.md on PreserveJobFiles). */
static int
cups_send(const struct label_profile *lp, const uint8_t *buf, size_t n, char *why, size_t cap)
{
	const char *format = lp->send == LABEL_FMT_PNG ? "image/png" : CUPS_FORMAT_RAW;
	http_t *http;
	int job, r = -1;

	if ((http = httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1,
	         (int)lp->timeout, NULL)) == NULL) {
		util_why(why, cap, "cannot reach CUPS at %s: %s", cupsServer(), cupsLastErrorString());
		return -1;
	}
	httpSetTimeout(http, (double)lp->timeout / 1000.0, NULL, NULL);
	if ((job = cupsCreateJob(http, lp->printer, "label", 0, NULL)) == 0) {
		util_why(why, cap, "CUPS refused a job on queue %s: %s", lp->printer,
		    cupsLastErrorString());
		goto out;
	}
	if (cupsStartDocument(http, lp->printer, job, "label", format, 1) != HTTP_STATUS_CONTINUE ||
	    cupsWriteRequestData(http, (const char *)buf, n) != HTTP_STATUS_CONTINUE ||
	    cupsFinishDocument(http, lp->printer) != IPP_STATUS_OK) {
		util_why(why, cap, "CUPS did not take the label on queue %s: %s", lp->printer,
		    cupsLastErrorString());
		(void)cupsCancelJob2(http, lp->printer, job, 0);
		goto out;
	}
	r = 0;
out:
	httpClose(http);
	return r;
}

const struct label_out_ops label_out_cups = { "cups", cups_send };
