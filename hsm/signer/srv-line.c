/*
 * srv-line.c: the signer's line-mode requests (issue #11): LOOKUP (what the record says of a
 * chip), CHECKED (an end-of-line re-verification of a provisioned board, recorded) and RELEASE
 * (an admin lifts a quarantine); and the quarantine itself, which FAIL enters for a board that
 * failed at or after its lock (srv_quarantine). See srv.h and docs/signer-protocol.md S-25..S-29.
 */
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prove.h"
#include "registry.h"
#include "util.h"

#define CHIP_HEX (2 * MSG_MAX_CHIP_ID + 1)

static void
db_error(struct sigp_rsp *p, const char *what)
{
	p->status = SIGST_LOG;
	p->detail = SIGR_NONE;
	snprintf(p->text, sizeof(p->text), "cannot %s in the audit database", what);
}

int
srv_quarantine(struct srv *s, const char *chip, const char *serial, const char *cert_serial,
    const char *code, const char *reason)
{
	char qs[CAP_SERIAL + 1], qc[SIGP_MAX_CODE + 1], qr[8], since[40];
	char ds[CAP_SERIAL + 1] = "", dcs[SIGP_MAX_CERT_SERIAL + 1] = "", st[16] = "";
	int r;

	if ((r = reg_quarantine_find(s->audit, s->prof.cert.product, chip, qs, sizeof(qs), qc,
	         sizeof(qc), qr, sizeof(qr), since, sizeof(since))) != 0)
		return r < 0 ? r : 0; /* already in quarantine: the FAIL alone is recorded */
	if ((r = reg_device_find(s->audit, s->prof.cert.product, chip, ds, sizeof(ds), dcs,
	         sizeof(dcs), st, sizeof(st))) < 0)
		return r;
	/* A device row names the board's serial and certificate; without one (a failure before
	 * VERIFIED), the attempt's, which FAIL voided already. */
	if (r == 1)
		return reg_quarantine(s->audit, &s->who, s->prof.cert.product, chip, ds, dcs, code,
		    reason);
	return reg_quarantine(s->audit, &s->who, s->prof.cert.product, chip, serial ? serial : "",
	    cert_serial ? cert_serial : "", code, reason);
}

static int
kind_of(const char *status)
{
	if (strcmp(status, "verified") == 0)
		return SIGREC_VERIFIED;
	if (strcmp(status, "pass") == 0)
		return SIGREC_PASS;
	return SIGREC_QUARANTINED;
}

/* S-30: 1 (p is the refusal) when this session's LOOKUPs found no record CAP_LOOKUP_MISSES
 * times: the first refusal is logged, the later ones only counted (s->lookups), so guessing chip
 * IDs can neither go on nor flood the record. 0 otherwise. */
static int
lookups_spent(struct srv *s, const char *chip, struct sigp_rsp *p)
{
	static const char why[] = "%lu LOOKUPs of this session found no record: no more are answered "
	    "(a station guessing chip IDs?); call the engineer, then restart the station";

	if (s->lookup_misses < CAP_LOOKUP_MISSES)
		return 0;
	if (!s->lookups_refused) {
		s->lookups_refused = 1;
		srv_refuse(s, p, "request.refused", SIGOP_LOOKUP, chip, NULL, SIGST_QUOTA, SIGR_LOOKUPS,
		    why, s->lookup_misses);
		return 1;
	}
	p->status = SIGST_QUOTA;
	p->detail = SIGR_LOOKUPS;
	snprintf(p->text, sizeof(p->text), why, s->lookup_misses);
	return 1;
}

static void
lookup(struct srv *s, const char *chip, struct sigp_rsp *p, uint8_t **der)
{
	char status[16] = "", code[SIGP_MAX_CODE + 1] = "", why[SIGP_MAX_TEXT + 1] = "";
	char since[40], qserial[CAP_SERIAL + 1] = "";
	int r, q;

	s->lookups++;
	if (lookups_spent(s, chip, p))
		return;
	r = reg_device_find(s->audit, s->prof.cert.product, chip, p->serial, sizeof(p->serial),
	    p->cert_serial, sizeof(p->cert_serial), status, sizeof(status));
	if (r < 0)
		return db_error(p, "read the board's record");
	if (r == 1) {
		p->kind = (uint8_t)kind_of(status);
		if (p->cert_serial[0] != '\0') {
			if (reg_cert_der(s->audit, p->cert_serial, der, &p->blob_len) != 0)
				return db_error(p, "read the board's certificate");
			p->blob = *der;
		}
	}
	/* Quarantined without a device row (a failure before VERIFIED) is in the log only. */
	q = reg_quarantine_find(s->audit, s->prof.cert.product, chip, qserial, sizeof(qserial), code,
	    sizeof(code), why, sizeof(why), since, sizeof(since));
	if (q < 0)
		return db_error(p, "read the board's quarantine");
	if (q == 1) {
		if (r == 0)
			memcpy(p->serial, qserial, sizeof(p->serial));
		p->kind = SIGREC_QUARANTINED;
		util_why(p->reason, sizeof(p->reason), "%s: %s", code, why);
	}
	if (p->kind == SIGREC_NONE)
		s->lookup_misses++;
	/* S-29: a PASS board is re-checked by proving its key over the signer's own challenge. */
	if (p->kind == SIGREC_PASS) {
		if (srv_chal_new(s, chip, p->challenge) != 0) {
			p->status = SIGST_INTERNAL;
			p->detail = SIGR_NONE;
			snprintf(p->text, sizeof(p->text), "the signer's random generator failed");
			return;
		}
		p->challenge_len = SIGP_CHALLENGE;
	}
}

struct proof_arg {
	const uint8_t *der, *sig;
	size_t der_len, sig_len;
};

static int
proves(void *arg, const uint8_t *c)
{
	const struct proof_arg *a = arg;

	return prove_check(a->der, a->der_len, c, SIGP_CHALLENGE, a->sig, a->sig_len) == PROVE_OK;
}

/* S-29: a pass is recorded only with the board's proof over a challenge the signer gave for
 * this chip (spent: used once), checked with the key of the recorded certificate cs. 0 when it
 * verifies; otherwise p is the refusal (logged) or the record failure, and -1. */
static int
proof(struct srv *s, const struct sigp_req *q, const char *chip, const char *serial,
    const char *cs, struct sigp_rsp *p)
{
	struct proof_arg a = { NULL, q->sig, 0, q->sig_len };
	uint8_t *der = NULL;
	int r;

	if (cs[0] == '\0' || reg_cert_der(s->audit, cs, &der, &a.der_len) != 0) {
		db_error(p, "read the board's certificate");
		return -1;
	}
	a.der = der;
	r = srv_chal_use(s, chip, proves, &a);
	free(der);
	if (r < 0)
		srv_refuse(s, p, "request.refused", q->op, chip, serial, SIGST_STATE, SIGR_SEQUENCE,
		    "no challenge is outstanding for chip %.16s: LOOKUP first (a challenge proves one "
		    "re-check)", chip);
	else if (r == 0)
		srv_refuse(s, p, "request.refused", q->op, chip, serial, SIGST_POLICY, SIGR_PROOF,
		    "the proof given for serial %s does not verify under its recorded certificate %.40s "
		    "over the signer's challenge; not recorded as checked", serial, cs);
	return r == 1 ? 0 : -1;
}

static void
checked(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	char serial[CAP_SERIAL + 1] = "", cs[SIGP_MAX_CERT_SERIAL + 1] = "", status[16] = "";
	int r;

	if (s->mode != SIGMODE_RUN && s->mode != SIGMODE_VERIFY)
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE, SIGR_MODE,
		    "re-verifications are recorded only by a run or verify session");
	if ((q->ok != 0) != (q->code[0] == '\0'))
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_REQUEST, SIGR_NONE,
		    "%s", q->ok ? "a passed re-check carries no failure code" : "a failed re-check "
		    "needs its failure code (E_*)");
	r = reg_device_find(s->audit, s->prof.cert.product, chip, serial, sizeof(serial), cs,
	    sizeof(cs), status, sizeof(status));
	if (r < 0)
		return db_error(p, "read the board's record");
	if (r == 0 || strcmp(status, "pass") != 0)
		return srv_refuse(s, p, "request.refused", q->op, chip, r ? serial : NULL, SIGST_STATE,
		    SIGR_SEQUENCE, "chip %.16s is %s; only a provisioned (PASS) board is re-checked",
		    chip, r == 0 ? "not provisioned on this record" : strcmp(status, "verified") == 0 ?
		    "recorded verified with its lock pending" : "in quarantine");
	if (q->ok && proof(s, q, chip, serial, cs, p) != 0)
		return;
	if (reg_checked(s->audit, &s->who, s->prof.cert.product, chip, serial, cs, q->ok,
	        q->ok ? "verified" : "none", q->board.fixture, q->code, q->reason) != 0)
		return db_error(p, "record the re-check");
}

static void
release(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	char serial[CAP_SERIAL + 1] = "", code[SIGP_MAX_CODE + 1], why[8], since[40];
	int r;

	if (s->mode != SIGMODE_ADMIN)
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE, SIGR_MODE,
		    "a quarantine is lifted only by an admin session ('station board release')");
	r = reg_quarantine_find(s->audit, s->prof.cert.product, chip, serial, sizeof(serial), code,
	    sizeof(code), why, sizeof(why), since, sizeof(since));
	if (r < 0)
		return db_error(p, "read the board's quarantine");
	if (r == 0)
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE,
		    SIGR_SEQUENCE, "chip %.16s is not in quarantine; nothing released", chip);
	if (reg_release(s->audit, &s->who, s->prof.cert.product, chip, serial, q->reason) != 0)
		return db_error(p, "record the release");
}

void
srv_line(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **owned)
{
	char chip[CHIP_HEX] = "";

	util_hex(q->board.chip, q->board.chip_len, chip, sizeof(chip));
	switch (q->op) {
	case SIGOP_LOOKUP: lookup(s, chip, p, owned); break;
	case SIGOP_CHECKED: checked(s, q, chip, p); break;
	case SIGOP_RELEASE: release(s, q, chip, p); break;
	default: break;
	}
}
