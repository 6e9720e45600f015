/* srv.c: the signer's state opened and closed, and each request handed to its handler (srv.h). */
#include "srv.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "sigproto.h"
#include "util.h"

#define PIN_ENV "STATION_HSM_PIN"

static int
load_cert(const char *path, X509 **out)
{
	FILE *f;
	X509 *x;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		return -1;
	*out = x;
	return 0;
}

static void
key_id_hex(X509 *x, char *out, size_t cap)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);

	if (ski != NULL)
		util_hex(ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski), out, cap);
	else
		snprintf(out, cap, "unknown");
}

int
srv_open(const char *profile_path, int need_keys, struct srv **out, char *why, size_t cap)
{
	struct srv *s;
	char pin[CAP_PIN + 1], err[CAP_REASON * 2];
	size_t pinlen = 0;
	CK_ULONG kt = 0;
	int r = -1;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	if (profile_load(profile_path, &s->prof, err, sizeof(err)) != 0) {
		snprintf(why, cap, "%s", err);
		goto out;
	}
	if (p11_read_pin(s->prof.pin_file[0] ? s->prof.pin_file : NULL, PIN_ENV, pin, sizeof(pin),
	        &pinlen) != 0) {
		snprintf(why, cap, "no HSM PIN: set [hsm] pin_file in the profile (mode 600), or %s, "
		    "or run on a terminal to be asked", PIN_ENV);
		goto out;
	}
	if (p11_open(s->prof.module, &s->p11) != 0) {
		snprintf(why, cap, "cannot load the PKCS#11 module '%s' (see the message above)",
		    s->prof.module);
		goto out;
	}
	if (s->prof.max_loaded_set)
		p11_set_max_loaded(s->p11, (int)s->prof.max_loaded_keys);
	if (p11_login(s->p11, s->prof.token_uri, pin, pinlen) != 0) {
		snprintf(why, cap, "cannot log in to the HSM token '%s' (see the message above)",
		    s->prof.token_uri);
		goto out;
	}
	if (audit_open(s->prof.database, &s->audit) != 0) {
		snprintf(why, cap, "cannot open the audit database '%s'", s->prof.database);
		goto out;
	}
	if (need_keys) {
		if (p11_find(s->p11, s->prof.ca_key_uri, CKO_PRIVATE_KEY, &s->ca_key) != 0 ||
		    p11_find(s->p11, s->prof.commit_key_uri, CKO_SECRET_KEY, &s->commit_key) != 0) {
			snprintf(why, cap, "the CA or commitment key is missing from the token; run "
			    "'station ca init --profile %s' first", profile_path);
			goto out;
		}
		if (s->prof.audit_key_uri[0]) {
			if (p11_find(s->p11, s->prof.audit_key_uri, CKO_PRIVATE_KEY, &s->audit_key) != 0) {
				snprintf(why, cap, "the audit signing key is missing from the token; run "
				    "'station ca init --profile %s' first", profile_path);
				goto out;
			}
			if (p11_key_type(s->p11, s->audit_key, &kt) != 0 ||
			    (kt != CKK_EC && kt != CKK_EC_EDWARDS)) {
				snprintf(why, cap, "the audit signing key must be an Ed25519 or EC P-256 "
				    "key; check [hsm] audit_key");
				goto out;
			}
			s->audit_is_ed25519 = kt == CKK_EC_EDWARDS;
			s->have_audit_key = 1;
		}
		if (load_cert(s->prof.ca_cert, &s->ca_cert) != 0) {
			snprintf(why, cap, "cannot read the CA certificate '%s'; run 'station ca init' "
			    "or fix [hsm] ca_cert", s->prof.ca_cert);
			goto out;
		}
		s->ca_is_ec = EVP_PKEY_get_base_id(X509_get0_pubkey(s->ca_cert)) == EVP_PKEY_EC;
		key_id_hex(s->ca_cert, s->issuer, sizeof(s->issuer));
	}
	s->mode = SIGMODE_ADMIN;
	s->who.station = s->prof.station_id;
	s->who.operator_name = s->prof.operator_name;
	s->who.lot = s->prof.lot;
	s->last_cp_ms = util_ms();
	*out = s;
	s = NULL;
	r = 0;
out:
	util_wipe(pin, sizeof(pin));
	srv_close(s);
	return r;
}

void
srv_close(struct srv *s)
{
	if (s == NULL)
		return;
	p11_close(s->p11);
	X509_free(s->ca_cert);
	audit_close(s->audit);
	free(s->crl);
	free(s);
}

void
srv_handle(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct sigp_req *q = NULL;
	struct sigp_rsp *p = NULL;
	uint8_t *owned = NULL;
	char *text = NULL;
	int r;

	*outlen = 0;
	if ((q = calloc(1, sizeof(*q))) == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		p = NULL;
		goto fallback;
	}
	if (s->record_lost && reqlen > 0 && req[0] != SIGOP_HELLO) {
		q->op = req[0];
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "the audit database lost a group commit (see the "
		    "signer's messages); nothing unrecorded was released. Fix the disk, then restart "
		    "the station");
		goto encode;
	}
	if ((r = sigp_dec_req(req, reqlen, q)) != 0) {
		srv_refuse(s, p, "request.refused", reqlen ? req[0] : 0, NULL, NULL, SIGST_REQUEST, SIGR_NONE,
		    "malformed %s request (%s)", sigp_op_name(reqlen ? req[0] : 0), proto_strerror(r));
		goto encode;
	}
	/* S-20: a run session does nothing before SESSION (but read the record: LOOKUP); an admin
	 * session provisions nothing; a verify session only reads and records re-checks. */
	if (s->mode == SIGMODE_VERIFY && q->op != SIGOP_HELLO && q->op != SIGOP_INFO &&
	    q->op != SIGOP_LOOKUP && q->op != SIGOP_CHECKED && q->op != SIGOP_CHECKPOINT &&
	    q->op != SIGOP_STOP) {
		srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE, SIGR_MODE,
		    "%s is not allowed in a verify session", sigp_op_name(q->op));
		goto encode;
	}
	if (s->mode == SIGMODE_RUN && !s->session && q->op != SIGOP_HELLO && q->op != SIGOP_SESSION &&
	    q->op != SIGOP_LOOKUP) {
		srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE, SIGR_NO_SESSION,
		    "no session: the station must name an open lot first");
		goto encode;
	}
	if (s->mode == SIGMODE_ADMIN && (q->op == SIGOP_STOP || q->op == SIGOP_FIXTURE_ERROR)) {
		srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_STATE, SIGR_MODE,
		    "an admin session provisions no boards");
		goto encode;
	}
	switch (q->op) {
	case SIGOP_HELLO:
		p->version = SIGP_VERSION;
		p->mode = (uint8_t)s->mode;
		p->separated = (uint8_t)(s->separated != 0);
		snprintf(p->ident, sizeof(p->ident), "station-signer %d", SIGP_VERSION);
		if (q->version != SIGP_VERSION)
			srv_refuse(s, p, "request.refused", q->op, NULL, NULL, SIGST_REQUEST, SIGR_NONE,
			    "the station speaks signer protocol %u, this signer %d; install matching "
			    "programs", q->version, SIGP_VERSION);
		break;
	case SIGOP_SESSION:
	case SIGOP_LOT_OPEN:
	case SIGOP_LOT_CLOSE:
	case SIGOP_LOT_STATUS:
	case SIGOP_STOP:
	case SIGOP_FIXTURE_ERROR: srv_lot(s, q, p); break;
	case SIGOP_INFO: srv_info(s, p, &text); break;
	case SIGOP_CRL: srv_crl(s, q, p); break;
	case SIGOP_CHECKPOINT: srv_checkpoint(s, q, p, &text); break;
	case SIGOP_LOOKUP:
	case SIGOP_CHECKED:
	case SIGOP_RELEASE: srv_line(s, q, p, &owned); break;
	default: srv_board(s, q, p, &owned); break;
	}
encode:
	if (p11_recoveries(s->p11) != s->hsm_recoveries) {
		/* PRODUCT §7: a lost HSM that came back is on the record, like one that did not */
		s->hsm_recoveries = p11_recoveries(s->p11);
		(void)audit_log(s->audit, &s->who, "hsm.recovered", NULL, NULL, json_pack("{s:s,s:i}",
		    "operation", sigp_op_name(q->op), "recoveries", (json_int_t)s->hsm_recoveries));
	}
	if (sigp_enc_rsp(q->op, p, out, cap, outlen) != 0) {
		log_error("the reply to %s did not encode", sigp_op_name(q->op));
		goto fallback;
	}
	goto out;
fallback:
	{
		static const struct sigp_rsp oom = { .status = SIGST_INTERNAL, .text = "reply failed" };

		(void)sigp_enc_rsp(0, &oom, out, cap, outlen);
	}
out:
	if (q != NULL) {
		util_wipe(q->password, sizeof(q->password));
		util_wipe(q->cred_secret, sizeof(q->cred_secret));
	}
	free(q);
	free(p);
	free(owned);
	free(text);
}

int
srv_batchable(const uint8_t *req, size_t reqlen)
{
	if (reqlen == 0)
		return 0;
	switch (req[0]) {
	case SIGOP_BOARD:
	case SIGOP_COMMIT_PW:
	case SIGOP_COMMIT_CRED:
	case SIGOP_ISSUE:
	case SIGOP_VERIFIED:
	case SIGOP_PASS:
	case SIGOP_FAIL:
	case SIGOP_CERT:
	case SIGOP_LOOKUP:
	case SIGOP_CHECKED: return 1;
	default: return 0;
	}
}

void
srv_batch_lost(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct sigp_rsp *p = calloc(1, sizeof(*p));
	static const struct sigp_rsp oom = { .status = SIGST_LOG, .text = "not recorded" };

	s->record_lost = 1;
	*outlen = 0;
	if (p != NULL) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot write to the audit database (a group commit "
		    "failed; see the signer's messages): nothing of this request is recorded or "
		    "released. Fix the disk, then restart the station");
	}
	if (sigp_enc_rsp(reqlen ? req[0] : 0, p != NULL ? p : &oom, out, cap, outlen) != 0)
		(void)sigp_enc_rsp(0, &oom, out, cap, outlen);
	free(p);
}
