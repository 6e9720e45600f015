/* ceremony.c: demo key ceremony; see ceremony.h. */
#include "ceremony.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issue.h"
#include "log.h"
#include "srv.h"
#include "util.h"

/* KIND_SIGNING: EC P-256 unless the profile asks for Ed25519 (the audit key: signed notes know
 * both). P-256 is the default because OpenSSL's PKCS#11 engine (libp11 0.4.12, Debian 12) finds
 * no key at all on a token that also holds an Ed25519 key, and operators use it on this token. */
enum key_kind { KIND_EC, KIND_SIGNING, KIND_HMAC };

/* PRODUCT §7: HSM failures are recorded, the ceremony's too. */
static void
key_failed(struct srv *s, const struct audit_who *w, const char *uri, const char *purpose)
{
	log_error("cannot generate the %s in the token", purpose);
	(void)audit_log(s->audit, w, "hsm.error", NULL, NULL, json_pack("{s:s,s:s,s:s,s:s}",
	    "operation", "key.generate", "purpose", purpose, "uri", uri, "reason",
	    "the HSM did not generate the key (see the signer's message)"));
}

/* Whether obj's CKA_x is true; a missing or secret attribute counts as false. */
static int
attr_true(struct srv *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	int v = 0;

	return p11_get_bool_attr(s->p11, obj, type, &v) == 0 && v;
}

/*
 * A key that is already on the token is adopted only if the token says it was made there and
 * never left it: sensitive, not extractable, always sensitive, never extractable, and CKA_LOCAL
 * (generated on the token, not imported) unless [hsm] allow_imported_keys = yes (a key restored
 * from a wrapped backup). Recorded as key.adopted with what the token says, so a planted key is
 * refused or at least on the record.
 */
static int
adopt_key(struct srv *s, const struct audit_who *w, const char *uri, enum key_kind kind,
    const char *purpose)
{
	CK_OBJECT_CLASS cls = kind == KIND_HMAC ? CKO_SECRET_KEY : CKO_PRIVATE_KEY;
	CK_OBJECT_HANDLE h;
	uint8_t id[CAP_P11_URI_VALUE];
	char idhex[2 * CAP_P11_URI_VALUE + 1] = "";
	size_t idlen = 0;
	int sens, extr, asens, nextr, local;
	json_t *b;

	if (p11_find(s->p11, uri, cls, &h) != 0)
		return 4;
	sens = attr_true(s, h, CKA_SENSITIVE);
	extr = attr_true(s, h, CKA_EXTRACTABLE);
	asens = attr_true(s, h, CKA_ALWAYS_SENSITIVE);
	nextr = attr_true(s, h, CKA_NEVER_EXTRACTABLE);
	local = attr_true(s, h, CKA_LOCAL);
	if (p11_get_id(s->p11, h, id, sizeof(id), &idlen) == 0)
		util_hex(id, idlen, idhex, sizeof(idhex));
	if (!sens || extr || !asens || !nextr) {
		log_error("the %s '%s' on the token is not one that never left it (sensitive %d, "
		    "extractable %d, always sensitive %d, never extractable %d): refused; generate a "
		    "new key in the token under another label", purpose, uri, sens, extr, asens, nextr);
		(void)audit_log(s->audit, w, "hsm.error", NULL, NULL, json_pack("{s:s,s:s,s:s,s:s}",
		    "operation", "key.adopt", "purpose", purpose, "uri", uri, "reason",
		    "the key may have left the token"));
		return 4;
	}
	if (!local && !s->prof.allow_imported_keys) {
		log_error("the %s '%s' was imported into the token (CKA_LOCAL false), not generated "
		    "there: refused. A key restored from a wrapped backup is adopted with [hsm] "
		    "allow_imported_keys = yes; otherwise generate a new key under another label",
		    purpose, uri);
		(void)audit_log(s->audit, w, "hsm.error", NULL, NULL, json_pack("{s:s,s:s,s:s,s:s}",
		    "operation", "key.adopt", "purpose", purpose, "uri", uri, "reason",
		    "the key was imported, not generated in the token"));
		return 4;
	}
	printf("  %-22s present  %s (id %s%s)\n", purpose, uri, idhex[0] ? idhex : "none",
	    local ? "" : ", imported");
	b = json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b}", "purpose", purpose, "uri", uri, "id",
	    idhex, "sensitive", sens, "extractable", extr, "always_sensitive", asens,
	    "never_extractable", nextr, "local", local);
	return b != NULL && audit_log(s->audit, w, "key.adopted", NULL, NULL, b) == 0 ? 0 : 5;
}

/* Makes sure the key named by uri exists; generates it when absent, with the URI's id or, when
 * it gives none, a random 8-byte CKA_ID (so tools pair the key with its certificate). */
static int
ensure_key(struct srv *s, const struct audit_who *w, const char *uri, enum key_kind kind,
    const char *purpose)
{
	struct p11_uri u;
	int exists = 0, gen = 0, sign = 0;
	const char *curve = "prime256v1", *type = "EC P-256";
	char idhex[2 * sizeof(u.id) + 1];
	json_t *b;

	if (p11_uri_parse(uri, &u) != 0 || u.object[0] == '\0') {
		log_error("key URI '%s' must name the key with object=<label>", uri);
		return 3;
	}
	if (p11_exists(s->p11, uri, kind == KIND_HMAC ? CKO_SECRET_KEY : CKO_PRIVATE_KEY,
	        &exists) != 0)
		return 4;
	if (exists)
		return adopt_key(s, w, uri, kind, purpose);
	if (kind == KIND_SIGNING && strcmp(s->prof.audit_key_type, "ed25519") == 0) {
		if (p11_mech_ok(s->p11, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, &gen) != 0 ||
		    p11_mech_ok(s->p11, CKM_EDDSA, CKF_SIGN, &sign) != 0)
			return 4;
		if (!gen || !sign) {
			log_error("the HSM module does not offer Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN and "
			    "CKM_EDDSA); set [hsm] audit_key_type = ec-p256 (or auto)");
			return 4;
		}
		curve = "ed25519";
		type = "Ed25519";
		log_warn("an Ed25519 key on token '%s' hides every key of that token from OpenSSL's "
		    "PKCS#11 engine (libp11 0.4.12); keep it on a token of its own if operators use "
		    "that engine", u.token);
	}
	if (kind == KIND_HMAC)
		type = "HMAC-SHA-256 secret";
	if (u.id_len == 0) {
		u.id_len = 8;
		if (RAND_bytes(u.id, (int)u.id_len) != 1) {
			log_error("no random bytes for the key's CKA_ID");
			return 4;
		}
	}
	util_hex(u.id, u.id_len, idhex, sizeof(idhex));
	if ((kind == KIND_HMAC ? p11_gen_hmac_key(s->p11, u.object, u.id, u.id_len) :
	                         p11_gen_ec(s->p11, curve, u.object, u.id, u.id_len)) != 0) {
		key_failed(s, w, uri, purpose);
		return 4;
	}
	printf("  %-22s created  %s (%s, id %s)\n", purpose, uri, type, idhex);
	b = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "purpose", purpose, "uri", uri, "type", type,
	    "id", idhex, "extractable", 0, "sensitive", 1);
	if (b == NULL || audit_log(s->audit, w, "key.generated", NULL, NULL, b) != 0)
		return 5;
	return 0;
}

static int
write_pem(const char *path, X509 *x)
{
	char *buf = NULL;
	long n;
	BIO *m;
	int r = -1;

	if ((m = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(m, x) != 1)
		goto out;
	n = BIO_get_mem_data(m, &buf);
	r = util_write_file(path, buf, (size_t)n, 0644);
out:
	BIO_free(m);
	return r;
}

static void
fingerprint(X509 *x, char *out, size_t cap)
{
	unsigned char md[32];
	unsigned int n = 0;

	X509_digest(x, EVP_sha256(), md, &n);
	util_hex(md, n, out, cap);
}

static int
certify(struct srv *s, const struct audit_who *w)
{
	uint8_t *spki = NULL;
	size_t sl = 0;
	CK_OBJECT_HANDLE pub;
	X509 *root = NULL, *ca = NULL;
	char why[CAP_REASON], cn1[128], cn2[128], fr[65], fc[65];
	json_t *b;
	int r = 4;

	if (p11_find(s->p11, s->prof.ca_key_uri, CKO_PUBLIC_KEY, &pub) != 0 ||
	    p11_ec_pubkey_spki(s->p11, pub, &spki, &sl) != 0) {
		log_error("cannot read the issuing CA public key from the token");
		goto out;
	}
	if (access(s->prof.ca_cert, F_OK) == 0) {
		X509 *have = NULL;
		FILE *f = fopen(s->prof.ca_cert, "r");
		const unsigned char *p = spki;
		EVP_PKEY *tok = d2i_PUBKEY(NULL, &p, (long)sl);

		have = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		r = (have && tok && EVP_PKEY_eq(X509_get0_pubkey(have), tok) == 1) ? 0 : 4;
		if (r != 0)
			log_error("'%s' does not certify the token's issuing CA key; move it away and "
			    "re-run the ceremony, or point [hsm] ca_cert at the right file", s->prof.ca_cert);
		else
			printf("  %-22s present  %s\n", "CA certificate", s->prof.ca_cert);
		X509_free(have);
		EVP_PKEY_free(tok);
		goto out;
	}
	snprintf(cn1, sizeof(cn1), "%s Demo Root CA", s->prof.cert.product);
	snprintf(cn2, sizeof(cn2), "%s Issuing CA", s->prof.cert.product);
	/* The demo root's private key lives only inside issue_demo_ca and is gone when it returns:
	 * nothing can issue another intermediate under this root. */
	if (issue_demo_ca(cn1, cn2, s->prof.cert.subject_o[0] ? s->prof.cert.subject_o : "Demo",
	        spki, sl, 20, &root, &ca, why, sizeof(why)) != 0) {
		log_error("cannot certify the issuing CA: %s", why);
		goto out;
	}
	if ((s->prof.root_cert[0] && write_pem(s->prof.root_cert, root) != 0) ||
	    write_pem(s->prof.ca_cert, ca) != 0) {
		log_error("cannot write the CA certificates next to '%s'", s->prof.ca_cert);
		r = 3;
		goto out;
	}
	fingerprint(root, fr, sizeof(fr));
	fingerprint(ca, fc, sizeof(fc));
	printf("  %-22s created  %s (sha256 %.16s...)\n", "CA certificate", s->prof.ca_cert, fc);
	b = json_pack("{s:s,s:s,s:s,s:s}", "root_sha256", fr, "issuing_ca_sha256", fc,
	    "root_key", "generated in memory for the demo and destroyed after signing",
	    "issuing_ca_key", s->prof.ca_key_uri);
	r = (b != NULL && audit_log(s->audit, w, "ca.certified", NULL, NULL, b) == 0) ? 0 : 5;
out:
	free(spki);
	X509_free(root);
	X509_free(ca);
	return r;
}

/* The issuing CA certificate stored on the token beside its key (same label and CKA_ID), so
 * pkcs11-tool, p11tool and OpenSSL's engine show the pair. A module that refuses certificate
 * objects only costs that convenience: a warning. */
static void
pair_cert(struct srv *s)
{
	struct p11_uri u;
	CK_OBJECT_HANDLE key;
	uint8_t id[sizeof(u.id)], *der = NULL, *sub = NULL;
	size_t idlen = 0;
	int dl, sl, created = 0;
	FILE *f;
	X509 *x = NULL;

	if (p11_uri_parse(s->prof.ca_key_uri, &u) != 0 || (f = fopen(s->prof.ca_cert, "r")) == NULL)
		return;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || (dl = i2d_X509(x, &der)) <= 0 ||
	    (sl = i2d_X509_NAME(X509_get_subject_name(x), &sub)) <= 0 ||
	    p11_find(s->p11, s->prof.ca_key_uri, CKO_PRIVATE_KEY, &key) != 0 ||
	    p11_get_id(s->p11, key, id, sizeof(id), &idlen) != 0 ||
	    p11_put_cert(s->p11, der, (size_t)dl, sub, (size_t)sl, u.object, id, idlen,
	        &created) != 0)
		log_warn("the issuing CA certificate is not stored on the token beside its key; "
		    "tools will list the key without it (the station does not need it there)");
	else
		printf("  %-22s %s  pkcs11:token=%s;object=%s;type=cert\n", "CA certificate on token",
		    created ? "created" : "present", u.token, u.object);
	OPENSSL_free(der);
	OPENSSL_free(sub);
	X509_free(x);
}

int
ceremony_init(const char *profile_path)
{
	struct audit_who w;
	struct srv *s = NULL;
	char why[CAP_REASON * 2];
	int r;

	if (srv_open(profile_path, 0, &s, why, sizeof(why)) != 0) {
		log_error("%s", why);
		return 4;
	}
	w.station = s->prof.station_id;
	w.operator_name = s->prof.operator_name;
	w.lot = "ceremony";
	/* PRODUCT §7: HSM log-ins are recorded, the ceremony's too. */
	(void)audit_log(s->audit, &w, "hsm.login", NULL, NULL, json_pack("{s:s,s:s,s:s}", "module",
	    s->prof.module, "token", s->prof.token_uri, "purpose", "ceremony"));
	printf("key ceremony for product '%s' on %s\n", s->prof.cert.product, s->prof.token_uri);
	if ((r = ensure_key(s, &w, s->prof.ca_key_uri, KIND_EC, "issuing CA key")) != 0 ||
	    (s->prof.audit_key_uri[0] &&
	        (r = ensure_key(s, &w, s->prof.audit_key_uri, KIND_SIGNING, "audit signing key")) != 0) ||
	    (r = ensure_key(s, &w, s->prof.commit_key_uri, KIND_HMAC, "password commitment key")) != 0 ||
	    (r = certify(s, &w)) != 0)
		goto out;
	pair_cert(s);
	printf("ceremony complete\n");
out:
	srv_close(s);
	return r;
}

int
ceremony_token(const char *profile_path, const char *so_pin_file)
{
	struct profile *prof = NULL;
	struct p11 *p = NULL;
	struct p11_uri u;
	char pin[CAP_PIN + 1], so[CAP_PIN + 1], err[CAP_REASON * 2];
	size_t pl = 0, sl = 0;
	int created = 0, r = 3;

	if ((prof = calloc(1, sizeof(*prof))) == NULL)
		return 1;
	if (profile_load(profile_path, prof, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (p11_uri_parse(prof->token_uri, &u) != 0 || u.token[0] == '\0') {
		log_error("[hsm] token must name the token by label: pkcs11:token=<label>");
		goto out;
	}
	r = 4;
	if (p11_read_pin(prof->pin_file[0] ? prof->pin_file : NULL, "STATION_HSM_PIN", pin,
	        sizeof(pin), &pl) != 0 ||
	    p11_read_pin(so_pin_file, "STATION_HSM_SO_PIN", so, sizeof(so), &sl) != 0)
		goto out;
	if (p11_open(prof->module, &p) != 0 ||
	    p11_init_token(p, u.token, so, sl, pin, pl, &created) != 0)
		goto out;
	printf("token '%s' %s\n", u.token, created ? "initialised" : "present");
	r = 0;
out:
	util_wipe(pin, sizeof(pin));
	util_wipe(so, sizeof(so));
	p11_close(p);
	free(prof);
	return r;
}
