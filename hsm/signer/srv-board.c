/*
 * srv-board.c: the signer's per-board requests; see srv.h. The station reports what it saw at
 * the board; every decision (which serial, whether a certificate may be issued, what it says)
 * is taken here from the product policy and the recorded state, never from the request.
 *
 * A board's attempt: serial 'allocated' to its chip (BOARD) -> password commitment (COMMIT_PW)
 * and one commitment per declared onboarding credential (COMMIT_CRED, srv-cred.c) ->
 * certificate 'issued' (ISSUE) -> device 'verified', serial 'used', certificate 'confirmed'
 * (VERIFIED) -> device 'pass' (PASS). FAIL, or a refusal after BOARD, voids what the attempt
 * consumed. Until VERIFIED the attempt's state is the signer's own memory (srv-attempt.c), not
 * rows of the database; the run-mode signer holds the station lock of its database and its
 * SESSION voided every older attempt in the record.
 */
#include "srv.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"
#include "log.h"
#include "registry.h"
#include "util.h"

#define CHIP_HEX (2 * MSG_MAX_CHIP_ID + 1)

/* Records the board's failure with the refusal, voiding its open attempt (serial and, when one
 * was issued, its certificate), then sets the reply. The board failed at step. */
static void __attribute__((format(printf, 7, 8)))
refuse_board(struct srv *s, struct sigp_rsp *p, const char *chip, const char *step, int status,
    int detail, const char *fmt, ...)
{
	struct srv_attempt *at = srv_att_find(s, chip);
	char text[SIGP_MAX_TEXT + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (reg_fail(s->audit, &s->who, s->prof.cert.product, chip, at ? at->serial : NULL,
	        at ? at->cert_serial : NULL, step, sigp_refusal_ecode(detail), text, 0, SIGL_NONE) != 0) {
		p->status = SIGST_LOG;
		p->detail = (uint8_t)detail;
		snprintf(p->text, sizeof(p->text), "cannot record a refusal in the audit database; stop "
		    "the line and call the engineer");
		return;
	}
	srv_att_void(s, at);
	p->status = (uint8_t)status;
	p->detail = (uint8_t)detail;
	memcpy(p->text, text, sizeof(text));
}

/* Quota, product total and per-chip limit: the rules every certificate must pass. */
static int
limits(struct srv *s, struct sigp_rsp *p, const char *chip, const char *step)
{
	unsigned long chip_used = 0;
	char why[CAP_REASON];
	int closed = 0;

	/* The lot is read each time: an engineer may close it while the run goes on. */
	if (reg_lot_closed(s->audit, s->lot, &closed, NULL, 0) != 0 ||
	    reg_chip_certs(s->audit, s->prof.cert.product, chip, &chip_used) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot read the quota from the audit database; "
		    "nothing issued");
		return -1;
	}
	if (closed) {
		refuse_board(s, p, chip, step, SIGST_QUOTA, SIGR_LOT_CLOSED, "lot %s was closed and "
		    "takes no more boards; an engineer opens the next lot", s->lot);
		return -1;
	}
	if (chip_used >= s->prof.certs_per_chip) {
		refuse_board(s, p, chip, step, SIGST_POLICY, SIGR_CHIP_LIMIT, "chip %.16s already "
		    "received %lu certificates (limit %lu); set the board aside for an engineer",
		    chip, chip_used, s->prof.certs_per_chip);
		return -1;
	}
	if (s->lot_used >= s->prof.quota) {
		refuse_board(s, p, chip, step, SIGST_QUOTA, SIGR_QUOTA_LOT, "lot %s has used its quota "
		    "of %lu certificates; close the lot", s->lot, s->prof.quota);
		return -1;
	}
	if (srv_fleet_quota(s, why, sizeof(why)) != 0) {
		refuse_board(s, p, chip, step, SIGST_QUOTA, SIGR_QUOTA_LOT, "%s", why);
		return -1;
	}
	if (s->product_used >= s->prof.total) {
		refuse_board(s, p, chip, step, SIGST_QUOTA, SIGR_QUOTA_PRODUCT, "product %s has "
		    "reached its total of %lu certificates; raise [product] total with a recorded "
		    "approval", s->prof.cert.product, s->prof.total);
		return -1;
	}
	return 0;
}

static void
board(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	const struct sigp_board *b = &q->board;
	char fw[65], serial[CAP_SERIAL + 1] = "", cs[65] = "", status[16] = "";
	char why[CAP_REASON];
	int64_t pos = 0, number = 0, lease = 0;
	char qcode[SIGP_MAX_CODE + 1] = "", qwhy[8], since[40] = "";
	unsigned long fails = 0;
	struct srv_attempt *at;
	json_t *body;
	int r;

	util_hex(b->fw_digest, sizeof(b->fw_digest), fw, sizeof(fw));
	body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:b}", "fixture", b->fixture, "model",
	    b->model, "hw_rev", b->hw_rev, "fw_version", b->fw_version, "fw_sha256", fw, "protocol",
	    b->proto_version, "state", proto_statename(b->state), "debug_locked", b->debug_locked);
	if (audit_log(s->audit, &s->who, "board.seen", chip, NULL, body) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot write to the audit database; stop the line "
		    "and call the engineer");
		return;
	}
	/* First, before any refusal that voids: within one session every attempt ends in PASS or
	 * FAIL before its board is seen again; an open attempt now means a second board with the
	 * same chip ID is on another fixture. The first keeps its attempt; this one is refused
	 * (recorded, nothing voided). */
	if (srv_att_find(s, chip) != NULL) {
		snprintf(p->text, sizeof(p->text), "another board with chip %.16s is being provisioned "
		    "now: two boards share a chip id; quarantine both", chip);
		p->status = SIGST_POLICY;
		p->detail = SIGR_DUPLICATE;
		if (reg_fail(s->audit, &s->who, s->prof.cert.product, chip, NULL, NULL, "identify",
		        "E_DUPLICATE", p->text, 0, SIGL_NONE) != 0)
			p->status = SIGST_LOG;
		return;
	}
	/* S-26: a board in quarantine is never provisioned again until an engineer releases it. */
	r = reg_quarantine_find(s->audit, s->prof.cert.product, chip, serial, sizeof(serial), qcode,
	    sizeof(qcode), qwhy, sizeof(qwhy), since, sizeof(since));
	if (r < 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot read the audit database");
		return;
	}
	if (r == 1)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_QUARANTINED, "this board "
		    "(%s %s) is quarantined since %s: %s; it must never ship: red bin. An engineer may "
		    "release it with 'station board release'", serial[0] ? "serial" : "chip",
		    serial[0] ? serial : chip, since, qcode);
	if (b->proto_version != PROTO_VERSION)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_PROTOCOL, "the board "
		    "speaks protocol version %u, this station %d; flash the release firmware",
		    b->proto_version, PROTO_VERSION);
	if (strcmp(b->model, s->prof.model) != 0)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_MODEL, "board model "
		    "'%s' is not made on this line (profile '%s' makes '%s'); put it in the right "
		    "fixture", b->model, s->prof.cert.product, s->prof.model);
	/* ETSI EN 303 645 5.7: only firmware on the allow-list leaves the factory. */
	if (profile_fw_allowed(&s->prof, b->fw_version, b->fw_digest) < 0)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_FIRMWARE, "board "
		    "firmware %s (sha256 %.12s...) is not on the allow-list of profile '%s'; flash "
		    "the release image and re-insert", b->fw_version, fw, s->prof.cert.product);
	r = reg_device_find(s->audit, s->prof.cert.product, chip, serial, sizeof(serial), cs,
	    sizeof(cs), status, sizeof(status));
	if (r < 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot read the audit database");
		return;
	}
	if (r == 1 && strcmp(status, "verified") == 0) {
		/* Verified and recorded, but the lock was not confirmed (interrupted): finish it,
		 * unless it failed CAP_RESUME_FAILS times since (S-25). */
		if (reg_fails_since_verified(s->audit, s->prof.cert.product, chip, &fails) != 0) {
			p->status = SIGST_LOG;
			snprintf(p->text, sizeof(p->text), "cannot read the audit database");
			return;
		}
		if (fails >= CAP_RESUME_FAILS) {
			s->voided++;
			if (srv_quarantine(s, chip, serial, cs, "E_LOCK", "its lock was never confirmed: "
			        "it failed every time it was seated again") != 0) {
				p->status = SIGST_LOG;
				snprintf(p->text, sizeof(p->text), "cannot record the quarantine; put the "
				    "board in the red bin and call the engineer");
				return;
			}
			refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_QUARANTINED, "this board "
			    "(serial %s) failed to confirm its lock %lu times: quarantined; it must never "
			    "ship: red bin", serial, fails);
			return;
		}
		/* Like an open attempt (above): a second board finishing the same chip now means
		 * two boards share a chip ID; the first keeps its resume, this one is refused. */
		if (srv_pending_has(s, chip)) {
			snprintf(p->text, sizeof(p->text), "another board with chip %.16s is being "
			    "finished now: two boards share a chip id; quarantine both", chip);
			p->status = SIGST_POLICY;
			p->detail = SIGR_DUPLICATE;
			if (reg_fail(s->audit, &s->who, s->prof.cert.product, chip, NULL, NULL,
			        "identify", "E_DUPLICATE", p->text, 0, SIGL_NONE) != 0)
				p->status = SIGST_LOG;
			return;
		}
		if (srv_pending_add(s, chip) != 0)
			return srv_refuse(s, p, "request.refused", q->op, chip, serial, SIGST_STATE,
			    SIGR_SEQUENCE, "%d boards await their lock already; finish or fail them first",
			    CAP_ATTEMPTS);
		p->disposition = SIGB_RESUME;
		snprintf(p->serial, sizeof(p->serial), "%s", serial);
		snprintf(p->cert_serial, sizeof(p->cert_serial), "%s", cs);
		return;
	}
	if (r == 1)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_DUPLICATE, "this board "
		    "(chip %.16s) was already provisioned as %s; it is not provisioned twice", chip,
		    serial);
	if (b->state == ST_LOCKED)
		return refuse_board(s, p, chip, "identify", SIGST_POLICY, SIGR_LOCKED_UNKNOWN, "the "
		    "board is already locked but this station has no record of it; quarantine it");
	if (limits(s, p, chip, "serial") != 0)
		return;
	if (s->voided >= CAP_VOID_ATTEMPTS)
		return refuse_board(s, p, chip, "serial", SIGST_QUOTA, SIGR_FAILURES, "%u attempts of "
		    "this run ended void; no more serials are allocated: stop the line "
		    "and call the engineer", s->voided);
	if (srv_att_new(s, chip, "") == NULL)
		return refuse_board(s, p, chip, "serial", SIGST_STATE, SIGR_SEQUENCE, "%d boards are "
		    "in progress already; finish or fail them first", CAP_ATTEMPTS);
	if (srv_fleet_serial(s, &pos, &number, &lease, why, sizeof(why)) != 0) {
		srv_att_drop(srv_att_find(s, chip));
		return refuse_board(s, p, chip, "serial", SIGST_QUOTA, SIGR_QUOTA_LOT, "%s", why);
	}
	if (reg_serial_alloc(s->audit, &s->who, s->prof.cert.product, s->prof.serial_prefix,
	        s->prof.serial_digits, chip, pos, number, lease, p->serial, sizeof(p->serial)) != 0) {
		srv_att_drop(srv_att_find(s, chip));
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot allocate a product serial; stop the line "
		    "and call the engineer");
		return;
	}
	at = srv_att_find(s, chip);
	memcpy(at->serial, p->serial, sizeof(at->serial));
	p->disposition = SIGB_NEW;
}

static void
commit_pw(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	struct srv_attempt *at = srv_att_find(s, chip);
	uint8_t mac[32];
	char hex[65];
	size_t ml = sizeof(mac);
	int r;

	if (at == NULL || at->committed)
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE,
		    at != NULL ? SIGR_SEQUENCE : SIGR_NOT_ALLOCATED, "%s", at != NULL ? "this board's "
		    "password is already committed" : "no serial is allocated to this chip in this "
		    "session");
	if (p11_sign(s->p11, s->commit_key, CKM_SHA256_HMAC, (const uint8_t *)q->password,
	        strlen(q->password), mac, &ml) != 0 || ml != sizeof(mac)) {
		p->status = SIGST_HSM;
		snprintf(p->text, sizeof(p->text), "the HSM could not compute the password commitment");
		return;
	}
	r = reg_pw_commit(s->audit, &s->who, at->serial, chip, util_hex(mac, sizeof(mac), hex,
	    sizeof(hex)));
	if (r == 0)
		at->committed = 1;
	util_wipe(mac, sizeof(mac));
	if (r == AUDIT_ERR_CONSTRAINT) {
		/* Two boards would share a password: the station draws again. Logged, so that a
		 * station testing guesses against recorded commitments leaves evidence. */
		srv_refuse(s, p, "request.refused", q->op, chip, at->serial, SIGST_POLICY, SIGR_COLLISION,
		    "password commitment already recorded; draw again");
	} else if (r != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot record the password commitment");
	}
}

static void
pubkey_sha256_hex(const uint8_t *der, size_t len, char *out, size_t cap)
{
	const unsigned char *p = der;
	unsigned char *spki = NULL;
	uint8_t dg[32];
	X509 *x;
	int n;

	out[0] = '\0';
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return;
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki)) > 0 &&
	    EVP_Digest(spki, (size_t)n, dg, NULL, EVP_sha256(), NULL) == 1)
		util_hex(dg, sizeof(dg), out, cap);
	OPENSSL_free(spki);
	X509_free(x);
}

static void
issue_cert(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p,
    uint8_t **der, char **cert_serial)
{
	char why[CAP_REASON], pkh[65], creds[16];
	struct srv_attempt *at = srv_att_find(s, chip);
	struct issue_ca ca;
	struct issue_subject subj;
	size_t derlen = 0;
	int r;

	if (at == NULL || !at->committed || at->cert_serial[0] != '\0')
		return srv_refuse(s, p, "cert.refused", q->op, chip, at ? at->serial : NULL,
		    SIGST_STATE, at == NULL ? SIGR_NOT_ALLOCATED : SIGR_SEQUENCE, "%s", at == NULL ?
		    "no serial is allocated to this chip in this session; nothing issued" :
		    !at->committed ? "the board's password is not committed yet; nothing issued" :
		    "this attempt already has a certificate; nothing issued");
	/* Every credential the product declares is on the record before the board is certified */
	if ((at->creds & srv_cred_needed(s)) != srv_cred_needed(s))
		return srv_refuse(s, p, "cert.refused", q->op, chip, at->serial, SIGST_STATE,
		    SIGR_SEQUENCE, "the board's onboarding credentials are not all committed yet; "
		    "nothing issued");
	srv_cred_list(at->creds, creds, sizeof(creds));
	if (limits(s, p, chip, "certificate") != 0)
		return;
	ca.cert = s->ca_cert;
	ca.sign = srv_sign_cb;
	ca.sign_ctx = s;
	/* The identity is the signer's: its serial, the chip it bound it to, the profile's model. */
	subj.serial = at->serial;
	subj.chip_hex = chip;
	subj.model = s->prof.model;
	why[0] = '\0';
	r = issue_build(&s->prof.cert, &ca, &subj, q->csr, q->csr_len, q->nonce, q->nonce_len, der,
	    &derlen, cert_serial, why, sizeof(why));
	/* The station sends the CSR it parsed and re-encoded; another DER encoding of the same
	 * request would be a second input to every check (issue_build refuses it first). */
	if (r == ISSUE_ERR_CSR_NOT_CANONICAL) {
		(void)srv_refuse(s, p, "cert.refused", q->op, chip, at->serial, SIGST_POLICY,
		    SIGR_NOT_CANONICAL, "the CSR is not in canonical DER");
		return refuse_board(s, p, chip, "certificate", SIGST_POLICY, SIGR_NOT_CANONICAL,
		    "certificate refused: the CSR is not in canonical DER");
	}
	if (r != ISSUE_OK) {
		(void)srv_refuse(s, p, "cert.refused", q->op, chip, at->serial, SIGST_POLICY, SIGR_CSR,
		    "%s: %s", issue_strerror(r), why);
		return refuse_board(s, p, chip, "certificate", r == ISSUE_ERR_SIGN ? SIGST_HSM :
		    SIGST_POLICY, SIGR_CSR, "certificate refused: %s", why);
	}
	pubkey_sha256_hex(*der, derlen, pkh, sizeof(pkh));
	/* Log before release (PRODUCT §3.6): the certificate leaves this process only after its
	 * issuance entry is committed. */
	if ((r = reg_cert_issued(s->audit, &s->who, s->issuer, *cert_serial, s->prof.cert.product,
	         chip, at->serial, pkh, *der, derlen, creds, NULL)) != 0) {
		if (r == AUDIT_ERR_CONSTRAINT)
			return refuse_board(s, p, chip, "certificate", SIGST_POLICY, SIGR_COLLISION,
			    "this public key or certificate serial is already in the record; the board "
			    "must make a new key");
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot write the issuance to the audit database; "
		    "certificate withheld");
		return;
	}
	s->lot_used++;
	s->product_used++;
	p->blob = *der;
	p->blob_len = derlen;
	snprintf(p->cert_serial, sizeof(p->cert_serial), "%s", *cert_serial);
	memcpy(at->cert_serial, p->cert_serial, sizeof(at->cert_serial));
}

static void
issue(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p,
    uint8_t **owned)
{
	uint8_t *der = NULL;
	char *cert_serial = NULL;

	issue_cert(s, q, chip, p, &der, &cert_serial);
	if (p->status == SIGST_OK && (*owned = malloc(p->blob_len)) != NULL) {
		memcpy(*owned, der, p->blob_len);
		p->blob = *owned;
	} else if (p->status == SIGST_OK) {
		p->status = SIGST_INTERNAL;
		snprintf(p->text, sizeof(p->text), "out of memory");
	}
	OPENSSL_free(der);
	OPENSSL_free(cert_serial);
}

static void
verified(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	char ver[MSG_MAX_STR + 1] = "", fw[65] = "";
	struct srv_attempt *at = srv_att_find(s, chip);
	int r;

	if (at == NULL || at->cert_serial[0] == '\0')
		return srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE,
		    SIGR_SEQUENCE, "this board has no issued certificate to confirm");
	if (srv_pending_add(s, chip) != 0)
		return srv_refuse(s, p, "request.refused", q->op, chip, at->serial, SIGST_STATE,
		    SIGR_SEQUENCE, "%d boards await their lock already; finish or fail them first",
		    CAP_ATTEMPTS);
	if (reg_last_seen_fw(s->audit, chip, ver, sizeof(ver), fw, sizeof(fw)) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot read the board's firmware from the record");
		return;
	}
	r = reg_verified(s->audit, &s->who, s->prof.cert.product, chip, at->serial, at->cert_serial,
	    ver, fw);
	if (r != 0)
		(void)srv_pending_take(s, chip);
	if (r == AUDIT_ERR_CONSTRAINT)
		return refuse_board(s, p, chip, "record", SIGST_POLICY, SIGR_DUPLICATE, "another board "
		    "with chip %.16s was recorded while this one was provisioned: two boards share a "
		    "chip id; quarantine both", chip);
	if (r != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot record the board; it is not released");
		return;
	}
	srv_att_drop(at); /* the device row, 'verified', carries it to PASS */
}

/* The device row of chip when it is 'verified' (lock pending): 1 with serial and cs set; else
 * 0 with the refusal of request q logged and set in p (or the database error). */
static int
pending(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p,
    char *serial, char *cs)
{
	char status[16] = "";
	int r;

	r = reg_device_find(s->audit, s->prof.cert.product, chip, serial, CAP_SERIAL + 1, cs, 65,
	    status, sizeof(status));
	if (r == 1 && strcmp(status, "verified") == 0)
		return 1;
	srv_refuse(s, p, "request.refused", q->op, chip, NULL, SIGST_STATE,
	    r < 0 ? SIGR_NONE : SIGR_SEQUENCE, "this board is not recorded as verified with its lock "
	    "pending");
	return 0;
}

static void
pass(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	char serial[CAP_SERIAL + 1] = "", cs[65] = "";

	if (!pending(s, q, chip, p, serial, cs))
		return;
	(void)srv_pending_take(s, chip);
	if (reg_pass(s->audit, &s->who, s->prof.cert.product, chip, serial, cs, q->resumed,
	        q->label, NULL) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot record the PASS; re-insert the board to "
		    "finish it");
	}
}

static void
fail(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p)
{
	struct srv_attempt *at = chip[0] != '\0' ? srv_att_find(s, chip) : NULL;
	char serial[CAP_SERIAL + 1] = "", cs[SIGP_MAX_CERT_SERIAL + 1] = "";
	int lock_pending = srv_pending_take(s, chip);

	if (at != NULL) {
		memcpy(serial, at->serial, sizeof(serial));
		memcpy(cs, at->cert_serial, sizeof(cs));
	}
	/* An open attempt is voided; a board recorded 'verified' keeps its record (the lock is
	 * finished on re-insert) unless it failed at or after its lock in this session (S-25:
	 * quarantine); anything else is only logged. */
	if (reg_fail(s->audit, &s->who, s->prof.cert.product, chip, at ? at->serial : NULL,
	        at ? at->cert_serial : NULL, q->step, q->code, q->reason, lock_pending, q->label) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot record the failure");
		return;
	}
	srv_att_void(s, at);
	if (!lock_pending || !sigp_quarantine_code(q->code))
		return;
	/* A quarantine voids the certificate: it counts toward the session's voided attempts. */
	s->voided++;
	if (srv_quarantine(s, chip, serial, cs, q->code, q->reason) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "the failure is recorded but the quarantine is not: "
		    "put the board in the red bin and call the engineer");
	}
}

static void
cert(struct srv *s, const struct sigp_req *q, const char *chip, struct sigp_rsp *p,
    uint8_t **der)
{
	char serial[CAP_SERIAL + 1] = "", cs[65] = "";

	if (!pending(s, q, chip, p, serial, cs))
		return;
	if (reg_cert_der(s->audit, cs, der, &p->blob_len) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "the record of this board's certificate is missing");
		return;
	}
	p->blob = *der;
}

void
srv_board(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p, uint8_t **owned)
{
	char chip[CHIP_HEX] = "";

	if (s->mode != SIGMODE_RUN || !s->session)
		return srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE,
		    s->mode != SIGMODE_RUN ? SIGR_MODE : SIGR_NO_SESSION, "%s",
		    s->mode != SIGMODE_RUN ? "boards are provisioned only in a run session" :
		    "no session: the station must name an open lot first");
	/* The chip ID arrives as bytes; its hex form, the one every record uses, is made here. */
	util_hex(q->board.chip, q->board.chip_len, chip, sizeof(chip));
	switch (q->op) {
	case SIGOP_BOARD: board(s, q, chip, p); break;
	case SIGOP_COMMIT_PW: commit_pw(s, q, chip, p); break;
	case SIGOP_COMMIT_CRED: srv_commit_cred(s, q, chip, p); break;
	case SIGOP_ISSUE: issue(s, q, chip, p, owned); break;
	case SIGOP_VERIFIED: verified(s, q, chip, p); break;
	case SIGOP_PASS: pass(s, q, chip, p); break;
	case SIGOP_FAIL: fail(s, q, chip, p); break;
	case SIGOP_CERT: cert(s, q, chip, p, owned); break;
	default: break;
	}
}
