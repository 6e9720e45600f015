/* srv.c: the signer's request handlers; see srv.h. */
#include "srv.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char pin[CAP_PIN], err[CAP_REASON * 2];
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

/* Reply helpers. */
static void
reply_err(uint8_t *out, size_t cap, size_t *outlen, int status, int detail, const char *text)
{
	struct wcur w;

	wcur_init(&w, out, cap);
	wcur_u8(&w, (uint8_t)status);
	wcur_u8(&w, (uint8_t)detail);
	wcur_lbytes16(&w, text, strlen(text));
	*outlen = w.err ? 0 : w.off;
}

static void
log_refusal(struct srv *s, const struct audit_who *w, const char *chip, const char *serial,
    const char *code, const char *reason)
{
	json_t *b = json_pack("{s:s,s:s}", "code", code, "reason", reason);

	if (b != NULL)
		(void)audit_log(s->audit, w, "cert.refused", chip, serial, b);
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
do_issue(struct srv *s, struct cur *c, uint8_t *out, size_t cap, size_t *outlen)
{
	char lot[65], op[65], chip[2 * MSG_MAX_CHIP_ID + 1], serial[CAP_SERIAL + 1], model[33];
	char why[CAP_REASON], *cert_serial = NULL, pkh[65];
	const uint8_t *nonce, *csr;
	size_t nl = 0, cl = 0, derlen = 0;
	uint8_t *der = NULL;
	unsigned long used = 0;
	int closed = 0;
	struct audit_who w;
	struct issue_ca ca;
	struct issue_subject subj;
	struct wcur wc;
	int r;

	if (cur_str(c, 1, 64, lot, sizeof(lot)) != 0 || cur_str(c, 1, 64, op, sizeof(op)) != 0 ||
	    cur_str(c, 2 * MSG_MIN_CHIP_ID, 2 * MSG_MAX_CHIP_ID, chip, sizeof(chip)) != 0 ||
	    cur_str(c, 1, CAP_SERIAL, serial, sizeof(serial)) != 0 ||
	    cur_str(c, 1, 32, model, sizeof(model)) != 0 ||
	    cur_lbytes8(c, MSG_MIN_NONCE, MSG_MAX_NONCE, &nonce, &nl) != 0 ||
	    cur_lbytes16(c, 1, CAP_CSR_DER, &csr, &cl) != 0 || cur_end(c) != 0) {
		reply_err(out, cap, outlen, SIGST_REQUEST, 0, "malformed issuance request");
		return;
	}
	w.station = s->prof.station_id;
	w.operator_name = op;
	w.lot = lot;
	/* Over-production control: the quota is counted from the durable record, so it holds
	 * across restarts. */
	if (reg_quota_used(s->audit, lot, &used) != 0) {
		reply_err(out, cap, outlen, SIGST_LOG, 0, "cannot read the lot's quota from the audit database");
		return;
	}
	if (reg_lot_closed(s->audit, lot, &closed, NULL, 0) != 0) {
		reply_err(out, cap, outlen, SIGST_LOG, 0, "cannot read the lot's state from the audit database");
		return;
	}
	if (closed) {
		snprintf(why, sizeof(why), "lot %s is closed and takes no more boards; start the next "
		    "lot", lot);
		log_refusal(s, &w, chip, serial, "LOT_CLOSED", why);
		reply_err(out, cap, outlen, SIGST_QUOTA, 0, why);
		return;
	}
	if (used >= s->prof.quota) {
		snprintf(why, sizeof(why), "lot %s has used its quota of %lu certificates; close the "
		    "lot, or raise [product] quota with a recorded approval", lot, s->prof.quota);
		log_refusal(s, &w, chip, serial, "QUOTA", why);
		reply_err(out, cap, outlen, SIGST_QUOTA, 0, why);
		return;
	}
	ca.cert = s->ca_cert;
	ca.sign = srv_sign_cb;
	ca.sign_ctx = s;
	subj.serial = serial;
	subj.chip_hex = chip;
	subj.model = model;
	why[0] = '\0';
	r = issue_build(&s->prof.cert, &ca, &subj, csr, cl, nonce, nl, &der, &derlen, &cert_serial,
	    why, sizeof(why));
	if (r != ISSUE_OK) {
		log_refusal(s, &w, chip, serial, issue_strerror(r), why);
		reply_err(out, cap, outlen, r == ISSUE_ERR_SIGN ? SIGST_HSM : SIGST_POLICY, -r, why);
		goto out;
	}
	pubkey_sha256_hex(der, derlen, pkh, sizeof(pkh));
	/* Log before release (PRODUCT §3.6): the certificate leaves this process only after its
	 * issuance entry is committed. */
	if ((r = reg_cert_issued(s->audit, &w, s->issuer, cert_serial, s->prof.cert.product, chip,
	         serial, pkh, der, derlen, NULL)) != 0) {
		reply_err(out, cap, outlen, SIGST_LOG, 0, r == AUDIT_ERR_CONSTRAINT ?
		    "this public key or certificate serial is already in the record; the board must make a new key" :
		    "cannot write the issuance to the audit database; certificate withheld");
		goto out;
	}
	wcur_init(&wc, out, cap);
	wcur_u8(&wc, SIGST_OK);
	wcur_lbytes16(&wc, der, derlen);
	wcur_str(&wc, cert_serial);
	*outlen = wc.err ? 0 : wc.off;
out:
	OPENSSL_free(der);
	OPENSSL_free(cert_serial);
}

static void
do_commit_pw(struct srv *s, struct cur *c, uint8_t *out, size_t cap, size_t *outlen)
{
	char pw[MSG_MAX_PASSWORD + 1];
	uint8_t mac[32];
	size_t ml = sizeof(mac);
	struct wcur w;

	if (cur_str(c, MSG_MIN_PASSWORD, MSG_MAX_PASSWORD, pw, sizeof(pw)) != 0 || cur_end(c) != 0) {
		reply_err(out, cap, outlen, SIGST_REQUEST, 0, "malformed commitment request");
		goto out;
	}
	if (p11_sign(s->p11, s->commit_key, CKM_SHA256_HMAC, (const uint8_t *)pw, strlen(pw), mac,
	        &ml) != 0 || ml != sizeof(mac)) {
		reply_err(out, cap, outlen, SIGST_HSM, 0, "the HSM could not compute the password commitment");
		goto out;
	}
	wcur_init(&w, out, cap);
	wcur_u8(&w, SIGST_OK);
	wcur_bytes(&w, mac, sizeof(mac));
	*outlen = w.err ? 0 : w.off;
out:
	util_wipe(pw, sizeof(pw));
}

static void
do_info(struct srv *s, uint8_t *out, size_t cap, size_t *outlen)
{
	char label[65] = "", manuf[65] = "", model[65] = "", serial[65] = "", *js;
	char subj[256] = "";
	struct wcur w;
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
	js = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (js == NULL) {
		reply_err(out, cap, outlen, SIGST_INTERNAL, 0, "out of memory");
		return;
	}
	wcur_init(&w, out, cap);
	wcur_u8(&w, SIGST_OK);
	wcur_lbytes16(&w, js, strlen(js));
	*outlen = w.err ? 0 : w.off;
	free(js);
}

static void
do_crl(struct srv *s, uint8_t *out, size_t cap, size_t *outlen)
{
	struct issue_revoked *rev = NULL;
	char **serials = NULL, why[CAP_REASON];
	sqlite3_stmt *st = NULL;
	size_t n = 0, alloc = 0, i, dl = 0;
	uint8_t *der = NULL;
	struct issue_ca ca;
	struct wcur w;
	int rc;

	if (sqlite3_prepare_v2(audit_db(s->audit),
	        "SELECT cert_serial FROM certs WHERE status='void' AND issuer=? ORDER BY cert_serial",
	        -1, &st, NULL) != SQLITE_OK) {
		reply_err(out, cap, outlen, SIGST_LOG, 0, "cannot read void certificates");
		return;
	}
	sqlite3_bind_text(st, 1, s->issuer, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			char **ns = realloc(serials, na * sizeof(*ns));
			struct issue_revoked *nr;

			if (ns == NULL)
				break;
			serials = ns;
			if ((nr = realloc(rev, na * sizeof(*nr))) == NULL)
				break;
			rev = nr;
			alloc = na;
		}
		if ((serials[n] = strdup(t ? t : "")) == NULL)
			break;
		rev[n].serial_hex = serials[n];
		rev[n].revoked_at = (int64_t)time(NULL);
		n++;
	}
	/* A CRL that silently misses entries (busy or failing database, out of memory) would be
	 * signed and published as complete: refuse instead. */
	if (rc != SQLITE_DONE) {
		log_error("cannot read the void certificates for the CRL: %s",
		    rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(audit_db(s->audit)));
		reply_err(out, cap, outlen, SIGST_LOG, 0, "cannot read the void certificates from the "
		    "audit database; no CRL signed");
		goto out;
	}
	ca.cert = s->ca_cert;
	ca.sign = srv_sign_cb;
	ca.sign_ctx = s;
	if (issue_crl(&ca, rev, n, (unsigned long)time(NULL), 7, &der, &dl, why, sizeof(why)) != 0) {
		reply_err(out, cap, outlen, SIGST_HSM, 0, why);
		goto out;
	}
	wcur_init(&w, out, cap);
	wcur_u8(&w, SIGST_OK);
	wcur_lbytes16(&w, der, dl);
	*outlen = w.err ? 0 : w.off;
	if (w.err)
		reply_err(out, cap, outlen, SIGST_INTERNAL, 0, "CRL too large for one reply");
out:
	sqlite3_finalize(st);
	for (i = 0; i < n; i++)
		free(serials[i]);
	free(serials);
	free(rev);
	OPENSSL_free(der);
}

void
srv_handle(struct srv *s, const uint8_t *req, size_t reqlen, uint8_t *out, size_t cap,
    size_t *outlen)
{
	struct cur c;
	uint8_t op = 0;
	struct wcur w;

	*outlen = 0;
	cur_init(&c, req, reqlen);
	if (cur_u8(&c, &op) != 0) {
		reply_err(out, cap, outlen, SIGST_REQUEST, 0, "empty request");
		return;
	}
	switch (op) {
	case SIGOP_HELLO:
		wcur_init(&w, out, cap);
		wcur_u8(&w, SIGST_OK);
		wcur_str(&w, "station-signer 1");
		*outlen = w.off;
		break;
	case SIGOP_ISSUE: do_issue(s, &c, out, cap, outlen); break;
	case SIGOP_COMMIT_PW: do_commit_pw(s, &c, out, cap, outlen); break;
	case SIGOP_INFO: do_info(s, out, cap, outlen); break;
	case SIGOP_CRL: do_crl(s, out, cap, outlen); break;
	case SIGOP_CHECKPOINT: srv_checkpoint(s, out, cap, outlen); break;
	default: reply_err(out, cap, outlen, SIGST_REQUEST, 0, "unknown request"); break;
	}
	if (*outlen == 0)
		reply_err(out, cap, outlen, SIGST_INTERNAL, 0, "reply did not fit");
}
