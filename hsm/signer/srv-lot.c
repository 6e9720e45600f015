/*
 * srv-lot.c: the signer's session and lot requests; see srv.h. Lots are opened and closed only
 * in an admin session (`station lot open|close`, started by the launcher, never by the
 * board-facing process); a run session names the lot it works on, and the signer accepts only
 * a lot it has opened and not closed.
 */
#include "srv.h"

#include <stdio.h>
#include <string.h>

#include "registry.h"
#include "util.h"

static uint32_t
clamp32(unsigned long v)
{
	return v > 0xffffffffUL ? 0xffffffffU : (uint32_t)v;
}

/* Lot state of lot for a reply (counts from the record). 0 or an AUDIT_* code. */
static int
lot_state(struct srv *s, const char *lot, struct sigp_lot *l)
{
	unsigned long used = 0, prod = 0;
	int closed = 0, r;

	if ((r = reg_lot_closed(s->audit, lot, &closed, NULL, 0)) != 0 ||
	    (r = reg_quota_used(s->audit, lot, &used)) != 0 ||
	    (r = reg_product_certs(s->audit, s->prof.cert.product, &prod)) != 0)
		return r;
	snprintf(l->lot, sizeof(l->lot), "%s", lot);
	l->closed = closed != 0;
	l->quota = clamp32(s->prof.quota);
	l->used = clamp32(used);
	l->product_quota = clamp32(s->prof.total);
	l->product_used = clamp32(prod);
	return 0;
}

static void
db_error(struct sigp_rsp *p, const char *what)
{
	p->status = SIGST_LOG;
	snprintf(p->text, sizeof(p->text), "cannot %s in the audit database", what);
}

static void
session(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p)
{
	char hex[65], creds[16];
	unsigned recovered = 0;
	int opened = 0, closed = 0;

	if (s->mode != SIGMODE_RUN)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE, SIGR_MODE,
		    "an admin session provisions no boards");
	if (s->session)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE,
		    SIGR_SEQUENCE, "this session already works on lot %s", s->lot);
	/* The session's lot stamps its entries, the refusal of this request included. */
	snprintf(s->lot, sizeof(s->lot), "%s", q->lot);
	snprintf(s->operator_name, sizeof(s->operator_name), "%s", q->operator_name);
	s->who.lot = s->lot;
	s->who.operator_name = s->operator_name;
	if (reg_lot_opened(s->audit, q->lot, &opened) != 0 ||
	    reg_lot_closed(s->audit, q->lot, &closed, NULL, 0) != 0)
		return db_error(p, "read the lot's state");
	if (!opened)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_QUOTA,
		    SIGR_LOT_NOT_OPEN, "lot %s was never opened; an engineer opens it with "
		    "'station lot open'", q->lot);
	if (closed)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_QUOTA,
		    SIGR_LOT_CLOSED, "lot %s is closed and takes no more boards; an engineer opens "
		    "the next lot", q->lot);
	/* PRODUCT §7: attempts a crash interrupted are recorded void before any new work. */
	if (reg_recover(s->audit, &s->who, &recovered) != 0)
		return db_error(p, "record interrupted attempts");
	srv_cred_list(srv_cred_needed(s), creds, sizeof(creds));
	if (reg_station_start(s->audit, &s->who, s->prof.path, util_hex(s->prof.digest, 32, hex,
	        sizeof(hex)), creds) != 0 ||
	    audit_log(s->audit, &s->who, "operator.logon", NULL, NULL, json_pack("{s:s}",
	        "operator", s->operator_name)) != 0)
		return db_error(p, "record the start");
	if (lot_state(s, s->lot, &p->lot) != 0 ||
	    reg_quota_used(s->audit, s->lot, &s->lot_used) != 0 ||
	    reg_product_certs(s->audit, s->prof.cert.product, &s->product_used) != 0 ||
	    srv_fleet_session(s) != 0)
		return db_error(p, "read the lot's state");
	p->lot.recovered = recovered;
	s->session = 1;
}

static void
lot_admin(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p)
{
	struct reg_lot_summary sum;
	struct audit_who w = s->who;
	int r;

	if (s->mode != SIGMODE_ADMIN)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE, SIGR_MODE,
		    "lots are opened and closed only by 'station lot', never by a provisioning run");
	w.lot = q->lot;
	if (q->op == SIGOP_LOT_OPEN) {
		int closed = 0;

		if (reg_lot_closed(s->audit, q->lot, &closed, NULL, 0) != 0)
			return db_error(p, "read the lot's state");
		if (closed)
			return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_QUOTA,
			    SIGR_LOT_CLOSED, "lot %s was closed; a closed lot is never reopened: use a "
			    "new lot name", q->lot);
		if (reg_lot_open(s->audit, &w, s->prof.quota) != 0)
			return db_error(p, "open the lot");
	} else {
		int opened = 0;

		if (reg_lot_opened(s->audit, q->lot, &opened) != 0)
			return db_error(p, "read the lot's state");
		if (!opened)
			return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_QUOTA,
			    SIGR_LOT_NOT_OPEN, "lot %s was never opened", q->lot);
		if ((r = reg_lot_close(s->audit, &w, s->prof.quota, &sum)) == AUDIT_ERR_CONSTRAINT)
			return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_QUOTA,
			    SIGR_LOT_CLOSED, "lot %s is already closed", q->lot);
		if (r != 0)
			return db_error(p, "close the lot");
	}
	if (lot_state(s, q->lot, &p->lot) != 0)
		return db_error(p, "read the lot's state");
}

void
srv_lot(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p)
{
	switch (q->op) {
	case SIGOP_SESSION: session(s, q, p); break;
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE: lot_admin(s, q, p); break;
	case SIGOP_LOT_STATUS:
		if (lot_state(s, q->lot, &p->lot) != 0)
			db_error(p, "read the lot's state");
		break;
	case SIGOP_STOP:
		if (s->mode != SIGMODE_VERIFY && (s->mode != SIGMODE_RUN || !s->session))
			return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE,
			    SIGR_NO_SESSION, "no run or verify session to stop");
		/* The station's counts, and the signer's own of its LOOKUPs (S-30). */
		if (audit_log(s->audit, &s->who, "station.stop", NULL, NULL, json_pack("{s:I,s:I,s:I,s:I}",
		        "pass", (json_int_t)q->npass, "fail", (json_int_t)q->nfail, "lookups",
		        (json_int_t)s->lookups, "lookup_misses", (json_int_t)s->lookup_misses)) != 0)
			db_error(p, "record the stop");
		break;
	case SIGOP_FIXTURE_ERROR:
		if (audit_log(s->audit, &s->who, "fixture.error", NULL, NULL, json_pack("{s:s,s:s}",
		        "fixture", q->board.fixture, "reason", q->reason)) != 0)
			db_error(p, "record the fixture error");
		break;
	default: break;
	}
}
