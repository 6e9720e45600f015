/*
 * srv-ca.c: the requests about the signer's token and CA rather than a board: SIGOP_INFO (the
 * token, the key URIs, the CA subject and the quotas, as JSON) and SIGOP_CRL (the revocation list
 * of the void certificates, signed with the CA key).
 */
#include "srv.h"

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issue.h"
#include "registry.h"

void
srv_info(struct srv *s, struct sigp_rsp *p, char **js)
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

/* Signs a new CRL into s->crl. 0, or -1 with p set. */
static int
crl_sign(struct srv *s, struct sigp_rsp *p)
{
	struct issue_revoked *rev = NULL;
	struct reg_cert_serial *serials = NULL;
	char why[CAP_REASON];
	size_t n = 0, i, dl = 0;
	uint8_t *der = NULL;
	struct issue_ca ca;
	int r = -1;

	free(s->crl);
	s->crl = NULL;
	s->crl_len = 0;
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
	if (dl == 0 || dl > CAP_CRL || (s->crl = malloc(dl)) == NULL) {
		p->status = SIGST_INTERNAL;
		snprintf(p->text, sizeof(p->text), "the CRL of %zu bytes is above %ld", dl, CAP_CRL);
		goto out;
	}
	memcpy(s->crl, der, dl);
	s->crl_len = dl;
	r = 0;
out:
	free(serials);
	free(rev);
	OPENSSL_free(der);
	return r;
}

void
srv_crl(struct srv *s, const struct sigp_req *q, struct sigp_rsp *p)
{
	size_t n;

	/* One signature per CRL: the chunks of one transfer are slices of the same bytes. */
	if (q->offset == 0 && crl_sign(s, p) != 0)
		return;
	if (s->crl == NULL || q->offset >= s->crl_len) {
		p->status = SIGST_STATE;
		p->detail = SIGR_SEQUENCE;
		snprintf(p->text, sizeof(p->text), "no CRL holds offset %lu; ask from offset 0",
		    (unsigned long)q->offset);
		return;
	}
	n = s->crl_len - q->offset;
	if (n > SIGP_MAX_BLOB)
		n = SIGP_MAX_BLOB;
	p->total = (uint32_t)s->crl_len;
	p->blob = s->crl + q->offset;
	p->blob_len = n;
}
