/* srv.c: the signer's request handlers; see srv.h. */
#include "srv.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "issue.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
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
	free(s);
}

int
srv_ecdsa_sign(struct srv *s, CK_OBJECT_HANDLE key, const uint8_t *msg, size_t n, uint8_t *sig,
    size_t *siglen)
{
	uint8_t dg[32], raw[132];
	size_t rl = sizeof(raw);
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = sig;
	int len, r = -1;

	if (EVP_Digest(msg, n, dg, NULL, EVP_sha256(), NULL) != 1 ||
	    p11_sign(s->p11, key, CKM_ECDSA, dg, sizeof(dg), raw, &rl) != 0)
		return -1;
	/* PKCS#11 gives r||s; X.509 and signed notes want a DER Ecdsa-Sig-Value. */
	if (rl == 0 || rl % 2 != 0 || (es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)(rl / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + rl / 2, (int)(rl / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL; /* owned by es */
	if ((len = i2d_ECDSA_SIG(es, NULL)) <= 0 || (size_t)len > *siglen)
		goto out;
	*siglen = (size_t)i2d_ECDSA_SIG(es, &p);
	r = 0;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
srv_sign_cb(void *ctx, const uint8_t *tbs, size_t tbslen, uint8_t *sig, size_t *siglen)
{
	struct srv *s = ctx;

	if (!s->ca_is_ec) {
		/* RSA: the module hashes (CKM_SHA256_RSA_PKCS); its output is the X.509 value. */
		return p11_sign(s->p11, s->ca_key, CKM_SHA256_RSA_PKCS, tbs, tbslen, sig, siglen) ==
		    0 ? 0 : -1;
	}
	return srv_ecdsa_sign(s, s->ca_key, tbs, tbslen, sig, siglen);
}

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

static void
do_info(struct srv *s, struct sigp_rsp *p, char **js)
{
	char label[65] = "", manuf[65] = "", model[65] = "", serial[65] = "";
	char subj[256] = "";
	json_t *o;

	(void)p11_token_info(s->p11, label, manuf, model, serial, sizeof(label));
	if (s->ca_cert != NULL)
		X509_NAME_oneline(X509_get_subject_name(s->ca_cert), subj, sizeof(subj));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "module", s->prof.module,
	    "token_label", label, "token_manufacturer", manuf, "token_model", model,
	    "token_serial", serial, "ca_key", s->prof.ca_key_uri, "audit_key",
	    s->prof.audit_key_uri, "audit_key_type", !s->have_audit_key ? "none" :
	    s->audit_is_ed25519 ? "ed25519" : "ec-p256", "commit_key", s->prof.commit_key_uri, "ca_subject", subj,
	    "ca_key_id", s->issuer, "quota_per_lot", (json_int_t)s->prof.quota);
	if (o != NULL) {
		json_object_set_new(o, "product_total", json_integer((json_int_t)s->prof.total));
		json_object_set_new(o, "certs_per_chip", json_integer((json_int_t)s->prof.certs_per_chip));
		json_object_set_new(o, "signer_uid", json_integer((json_int_t)getuid()));
		json_object_set_new(o, "separation", json_string(s->separated ? "service" :
		    "developer"));
	}
	*js = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (*js == NULL) {
		p->status = SIGST_INTERNAL;
		snprintf(p->text, sizeof(p->text), "out of memory");
		return;
	}
	p->blob = (const uint8_t *)*js;
	p->blob_len = strlen(*js);
}

static void
do_crl(struct srv *s, struct sigp_rsp *p, uint8_t **out)
{
	struct issue_revoked *rev = NULL;
	struct reg_cert_serial *serials = NULL;
	char why[CAP_REASON];
	size_t n = 0, i, dl = 0;
	uint8_t *der = NULL;
	struct issue_ca ca;

	/* A CRL that silently misses entries (busy or failing database, out of memory) would be
	 * signed and published as complete: refuse instead. */
	if (reg_void_certs(s->audit, s->issuer, &serials, &n) != 0) {
		p->status = SIGST_LOG;
		snprintf(p->text, sizeof(p->text), "cannot read the void certificates from the audit "
		    "database; no CRL signed");
		goto out;
	}
	if (n > 0 && (rev = calloc(n, sizeof(*rev))) == NULL) {
		p->status = SIGST_INTERNAL;
		snprintf(p->text, sizeof(p->text), "out of memory; no CRL signed");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rev[i].serial_hex = serials[i].hex;
		rev[i].revoked_at = (int64_t)time(NULL);
	}
	ca.cert = s->ca_cert;
	ca.sign = srv_sign_cb;
	ca.sign_ctx = s;
	if (issue_crl(&ca, rev, n, (unsigned long)time(NULL), 7, &der, &dl, why, sizeof(why)) != 0) {
		p->status = SIGST_HSM;
		snprintf(p->text, sizeof(p->text), "%s", why);
		goto out;
	}
	if (dl > SIGP_MAX_BLOB || (*out = malloc(dl)) == NULL) {
		p->status = SIGST_INTERNAL;
		snprintf(p->text, sizeof(p->text), "the CRL of %zu bytes does not fit one reply", dl);
		goto out;
	}
	memcpy(*out, der, dl);
	p->blob = *out;
	p->blob_len = dl;
out:
	free(serials);
	free(rev);
	OPENSSL_free(der);
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
	if ((r = sigp_dec_req(req, reqlen, q)) != 0) {
		srv_refuse(s, p, "request.refused", reqlen ? req[0] : 0, NULL, NULL, SIGST_REQUEST, SIGR_NONE,
		    "malformed %s request (%s)", sigp_op_name(reqlen ? req[0] : 0), proto_strerror(r));
		goto encode;
	}
	/* S-20: a run session does nothing before SESSION; an admin session provisions nothing. */
	if (s->mode == SIGMODE_RUN && !s->session && q->op != SIGOP_HELLO && q->op != SIGOP_SESSION) {
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
	case SIGOP_INFO: do_info(s, p, &text); break;
	case SIGOP_CRL: do_crl(s, p, &owned); break;
	case SIGOP_CHECKPOINT: srv_checkpoint(s, q, p, &text); break;
	default: srv_board(s, q, p, &owned); break;
	}
encode:
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
	if (q != NULL)
		util_wipe(q->password, sizeof(q->password));
	free(q);
	free(p);
	free(owned);
	free(text);
}
