/* srv-refuse.c: a refusal is a reply and evidence (srv_refuse); see srv.h. */
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void
srv_refuse(struct srv *s, struct sigp_rsp *p, const char *kind, int op, const char *chip,
    const char *serial, int status, int detail, const char *fmt, ...)
{
	va_list ap;

	p->status = (uint8_t)status;
	p->detail = (uint8_t)detail;
	va_start(ap, fmt);
	vsnprintf(p->text, sizeof(p->text), fmt, ap);
	va_end(ap);
	/* Every refusal is evidence (a compromised station probing the signer shows up here). */
	if (audit_log(s->audit, &s->who, kind, chip, serial, json_pack("{s:s,s:s,s:s}", "request",
	        sigp_op_name(op), "code", sigp_refusal_name(detail), "reason", p->text)) != 0)
		log_error("cannot record a refusal: %s", p->text);
}
