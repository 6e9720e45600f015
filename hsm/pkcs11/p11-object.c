/*
 * p11-object.c: objects on the logged-in token: find the one a key URI names (C_FindObjects*),
 * and read its fixed-size attributes (class, key type, CK_BBOOL flags).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "p11-int.h"

const char *
p11_class_name(CK_OBJECT_CLASS cls)
{
	switch (cls) {
	case CKO_PRIVATE_KEY:
		return "private key";
	case CKO_PUBLIC_KEY:
		return "public key";
	case CKO_SECRET_KEY:
		return "secret key";
	case CKO_CERTIFICATE:
		return "certificate";
	case CKO_DATA:
		return "data";
	default:
		return "unknown-class";
	}
}

/*
 * Run a find with template t; *count gets the number of matches (stops at CAP_P11_FIND) and
 * *first the first one. Does not log "not found": callers do, with context.
 */
int
p11_find_objects(struct p11 *p, CK_ATTRIBUTE *t, CK_ULONG nt, CK_OBJECT_HANDLE *first,
    CK_ULONG *count)
{
	CK_OBJECT_HANDLE h[16];
	CK_ULONG got, total = 0;
	CK_RV rv;
	int r = P11_ERR_FUNC;

	if ((rv = p->f->C_FindObjectsInit(p->sess, t, nt)) != CKR_OK)
		return p11_ckr_fail(rv, "C_FindObjectsInit failed");
	for (;;) {
		got = 0;
		if ((rv = p->f->C_FindObjects(p->sess, h, 16, &got)) != CKR_OK) {
			r = p11_ckr_fail(rv, "C_FindObjects failed");
			goto out;
		}
		if (got > 16) {
			log_error("C_FindObjects returned %lu handles for a 16-entry buffer; the "
			    "PKCS#11 module is broken", (unsigned long)got);
			r = P11_ERR_FUNC;
			goto out;
		}
		if (got == 0)
			break;
		if (total == 0)
			*first = h[0];
		total += got;
		if (total >= CAP_P11_FIND)
			break;
	}
	*count = total;
	r = P11_OK;
 out:
	if ((rv = p->f->C_FindObjectsFinal(p->sess)) != CKR_OK && r == P11_OK)
		r = p11_ckr_fail(rv, "C_FindObjectsFinal failed");
	return r;
}

/* Run a find for the objects of class cls that the object part of u names (object=, id=). */
static int
find_uri(struct p11 *p, struct p11_uri *u, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *first,
    CK_ULONG *count)
{
	CK_ATTRIBUTE t[3];
	CK_ULONG nt = 0;

	t[nt].type = CKA_CLASS;
	t[nt].pValue = &cls;
	t[nt++].ulValueLen = sizeof(cls);
	if (u->object[0] != '\0') {
		t[nt].type = CKA_LABEL;
		t[nt].pValue = u->object;
		t[nt++].ulValueLen = strlen(u->object);
	}
	if (u->id_len != 0) {
		t[nt].type = CKA_ID;
		t[nt].pValue = u->id;
		t[nt++].ulValueLen = u->id_len;
	}
	return p11_find_objects(p, t, nt, first, count);
}

/* The token fields of a key URI must name the token we are logged in to. */
static int
check_uri_token(const struct p11 *p, const struct p11_uri *u, const char *uri)
{
	char wanted[400];

	if (p11_token_matches(u, p->slot, &p->tok))
		return P11_OK;
	p11_describe_token(u, wanted, sizeof(wanted));
	log_error("key URI '%s' asks for %s, but the signer is logged in to token '%s' "
	    "(slot %lu); make the key URI and [hsm] token= name the same token", uri, wanted,
	    p->shown, (unsigned long)p->slot);
	return P11_ERR_TOKEN;
}

/* Registers a key p11_find handed out, so p11-recover.c can find it again. */
static int
remember(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE h)
{
	struct p11_key *k;

	if (p11_key_of(p, h) != NULL)
		return P11_OK;
	if (p->nkeys >= CAP_P11_KEYS) {
		log_error("more than %d HSM keys in use (internal error)", CAP_P11_KEYS);
		return P11_ERR_ARG;
	}
	k = &p->keys[p->nkeys];
	if ((k->uri = strdup(uri)) == NULL) {
		log_error("out of memory finding an HSM key");
		return P11_ERR_NOMEM;
	}
	k->cls = cls;
	k->given = k->cur = h;
	k->loaded = 0;
	p->nkeys++;
	/* a secret key's check value, to know it again after a re-login (p11-recover.c); a key
	 * that cannot HMAC has none and is found again by its URI alone */
	if (cls == CKO_SECRET_KEY) {
		if (p11_make_room(p, k) == P11_OK && p11_key_check_value(p, k, k->kcv) == P11_OK)
			k->have_kcv = 1;
		else
			log_warn("no check value for key '%s': after a re-login it is found by its URI "
			    "alone", uri);
	}
	return P11_OK;
}

int
p11_find(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out)
{
	struct p11_uri u;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	int r;

	if ((r = p11_need_session(p, "p11_find")) != P11_OK)
		return r;
	if (uri == NULL || out == NULL)
		return P11_ERR_ARG;
	if ((r = p11_uri_parse(uri, &u)) != P11_OK)
		return r;
	/* Parsed: no query part, only URI characters, so the URI is safe to print. */
	if (u.type != -1 && (CK_OBJECT_CLASS)u.type != cls) {
		log_error("key URI '%s' names a %s object but a %s is needed here; fix type= in "
		    "the URI", uri, p11_class_name((CK_OBJECT_CLASS)u.type), p11_class_name(cls));
		return P11_ERR_KEY;
	}
	if (u.object[0] == '\0' && u.id_len == 0) {
		log_error("key URI '%s' has neither object= nor id=; name the key, e.g. "
		    "pkcs11:token=factory-ca;object=ca;type=private", uri);
		return P11_ERR_URI;
	}
	if ((r = check_uri_token(p, &u, uri)) != P11_OK ||
	    (r = find_uri(p, &u, cls, &h, &count)) != P11_OK)
		return r;
	if (count != 1) {
		if (count == 0)
			log_error("no %s on the HSM matches key URI '%s' (0 found); check "
			    "object=/id= in the profile, or create the key (key ceremony)",
			    p11_class_name(cls), uri);
		else
			log_error("%s%lu %s objects on the HSM match key URI '%s'; it must name "
			    "exactly one: add id= or give the keys unique labels",
			    count >= CAP_P11_FIND ? "at least " : "", (unsigned long)count,
			    p11_class_name(cls), uri);
		return P11_ERR_KEY;
	}
	if ((cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) && (r = remember(p, uri, cls, h)) != P11_OK)
		return r;
	*out = h;
	return P11_OK;
}

/* How many objects of class cls the key URI uri names (it must name them by object= or id=),
 * and the first; nothing is logged for a miss. */
static int
count_uri(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *h,
    CK_ULONG *count)
{
	struct p11_uri u;
	int r;

	if ((r = p11_uri_parse(uri, &u)) != P11_OK)
		return r;
	if (u.object[0] == '\0' && u.id_len == 0)
		return P11_ERR_URI;
	return find_uri(p, &u, cls, h, count);
}

int
p11_find_quiet(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	int r;

	if ((r = count_uri(p, uri, cls, &h, &count)) != P11_OK)
		return r;
	if (count != 1)
		return P11_ERR_KEY;
	*out = h;
	return P11_OK;
}

int
p11_exists(struct p11 *p, const char *uri, CK_OBJECT_CLASS cls, int *exists)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG count = 0;
	int r;

	if ((r = p11_need_session(p, "p11_exists")) != P11_OK)
		return r;
	if ((r = count_uri(p, uri, cls, &h, &count)) != P11_OK)
		return r;
	*exists = count > 0;
	return P11_OK;
}

/*
 * Read one fixed-size attribute (CK_BBOOL, CK_ULONG) of obj into v (len bytes) and check the
 * size the module reports; kind names it in messages. *rvp gets the module's return value.
 */
static int
get_fixed_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, void *v,
    CK_ULONG len, const char *kind, CK_RV *rvp)
{
	CK_ATTRIBUTE a = { type, v, len };

	if ((*rvp = p->f->C_GetAttributeValue(p->sess, obj, &a, 1)) != CKR_OK)
		return p11_ckr_fail(*rvp, "C_GetAttributeValue(attribute 0x%lx) failed",
		    (unsigned long)type);
	if (a.ulValueLen != len) {
		log_error("HSM returned a %lu-byte value for %s 0x%lx; the PKCS#11 module is "
		    "broken", (unsigned long)a.ulValueLen, kind, (unsigned long)type);
		return P11_ERR_FUNC;
	}
	return P11_OK;
}

int
p11_get_bool_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, int *out)
{
	CK_BBOOL b = CK_FALSE;
	CK_RV rv = CKR_OK;
	int r;

	if ((r = p11_need_session(p, "p11_get_bool_attr")) != P11_OK)
		return r;
	if (out == NULL)
		return P11_ERR_ARG;
	if ((r = get_fixed_attr(p, obj, type, &b, sizeof(b), "boolean attribute", &rv)) != P11_OK)
		return r == P11_ERR_FUNC && (rv == CKR_ATTRIBUTE_TYPE_INVALID ||
		    rv == CKR_ATTRIBUTE_SENSITIVE) ? P11_ERR_KEY : r;
	*out = b != CK_FALSE;
	return P11_OK;
}

/* Read a CK_ULONG attribute (class, key type) and check its size. */
int
p11_get_ulong_attr(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
	CK_ULONG v = 0;
	CK_RV rv;
	int r;

	if ((r = get_fixed_attr(p, obj, type, &v, sizeof(v), "attribute", &rv)) != P11_OK)
		return r;
	*out = v;
	return P11_OK;
}

int
p11_key_type(struct p11 *p, CK_OBJECT_HANDLE obj, CK_ULONG *kt)
{
	int r;

	if ((r = p11_need_session(p, "p11_key_type")) != P11_OK)
		return r;
	return p11_get_ulong_attr(p, obj, CKA_KEY_TYPE, kt);
}
