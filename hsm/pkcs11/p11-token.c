/*
 * p11-token.c: tokens: the strings that identify one (CK_TOKEN_INFO), matching them against the
 * token part of a pkcs11: URI, describing them for people, and the key ceremony's token set-up
 * (C_InitToken, C_InitPIN).
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "p11-int.h"

/* A fixed-size, space-padded CK_TOKEN_INFO field as a C string (out holds n + 1 bytes). */
static void
fixed_str(const unsigned char *f, size_t n, char *out)
{
	memcpy(out, f, n);
	out[n] = '\0';
	/* Some modules pad with NULs instead of spaces. */
	n = strnlen(out, n);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

void
p11_tokid_read(const CK_TOKEN_INFO *ti, struct p11_tokid *id)
{
	fixed_str(ti->label, sizeof(ti->label), id->label);
	fixed_str(ti->manufacturerID, sizeof(ti->manufacturerID), id->manuf);
	fixed_str(ti->model, sizeof(ti->model), id->model);
	fixed_str(ti->serialNumber, sizeof(ti->serialNumber), id->serial);
}

/* Bounded copy for display: control characters (from a token or a profile) become '?'. */
void
p11_display_copy(char *dst, size_t cap, const char *src)
{
	size_t i;

	if (cap == 0)
		return;
	for (i = 0; i < cap - 1 && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* "label 'x', serial 'y', slot-id 3": what a token URI asks for, for messages. */
void
p11_describe_token(const struct p11_uri *u, char *buf, size_t cap)
{
	char v[CAP_P11_URI_VALUE + 1];
	size_t used = 0;
	int n;

#define ADD(field, name) do { \
	if (u->field[0] != '\0' && used < cap) { \
		p11_display_copy(v, sizeof(v), u->field); \
		n = snprintf(buf + used, cap - used, "%s" name " '%s'", used ? ", " : "", v); \
		used += n > 0 ? (size_t)n : 0; \
	} \
} while (0)
	buf[0] = '\0';
	ADD(token, "label");
	ADD(manufacturer, "manufacturer");
	ADD(model, "model");
	ADD(serial, "serial");
#undef ADD
	if (u->slot_id != -1 && used < cap) {
		n = snprintf(buf + used, cap - used, "%sslot-id %ld", used ? ", " : "", u->slot_id);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used == 0)
		snprintf(buf, cap, "any token");
}

int
p11_token_matches(const struct p11_uri *u, CK_SLOT_ID slot, const struct p11_tokid *id)
{
	return (u->token[0] == '\0' || strcmp(u->token, id->label) == 0) &&
	    (u->manufacturer[0] == '\0' || strcmp(u->manufacturer, id->manuf) == 0) &&
	    (u->model[0] == '\0' || strcmp(u->model, id->model) == 0) &&
	    (u->serial[0] == '\0' || strcmp(u->serial, id->serial) == 0) &&
	    (u->slot_id == -1 || (CK_SLOT_ID)u->slot_id == slot);
}

/* Slot of the initialised token labelled label (*found = 1), else the first slot holding an
 * uninitialised token (*found = 0, *slot set), else P11_ERR_TOKEN. */
static int
token_slot(struct p11 *p, const char *label, CK_SLOT_ID *slot, int *found)
{
	CK_SLOT_ID slots[CAP_P11_SLOTS];
	CK_ULONG n = CAP_P11_SLOTS, i;
	CK_TOKEN_INFO ti;
	char l[33];
	int have_free = 0;
	CK_RV rv;

	if ((rv = p->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)
		return p11_ckr_fail(rv, "C_GetSlotList of PKCS#11 module '%s' failed", p->path);
	*found = 0;
	for (i = 0; i < n && i < CAP_P11_SLOTS; i++) {
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		fixed_str(ti.label, sizeof(ti.label), l);
		if ((ti.flags & CKF_TOKEN_INITIALIZED) && strcmp(l, label) == 0) {
			*slot = slots[i];
			*found = 1;
			return P11_OK;
		}
		if (!(ti.flags & CKF_TOKEN_INITIALIZED) && !have_free) {
			*slot = slots[i];
			have_free = 1;
		}
	}
	if (have_free)
		return P11_OK;
	log_error("no initialised token labelled '%s' and no free slot in module '%s'", label,
	    p->path);
	return P11_ERR_TOKEN;
}

int
p11_init_token(struct p11 *p, const char *label, const char *so_pin, size_t so_len,
    const char *user_pin, size_t user_len, int *created)
{
	CK_UTF8CHAR lab[32];
	CK_SESSION_HANDLE s = 0;
	CK_SLOT_ID slot = 0;
	int found = 0, r, open = 0, in = 0;
	CK_RV rv;

	if (p == NULL || p->f == NULL || label == NULL || strlen(label) > sizeof(lab) ||
	    so_len == 0 || user_len == 0 || so_len > CAP_PIN || user_len > CAP_PIN)
		return P11_ERR_ARG;
	*created = 0;
	if ((r = token_slot(p, label, &slot, &found)) != P11_OK || found)
		return r;
	memset(lab, ' ', sizeof(lab));
	memcpy(lab, label, strlen(label));
	if ((rv = p->f->C_InitToken(slot, (CK_UTF8CHAR_PTR)p11_unconst(so_pin), so_len,
	    lab)) != CKR_OK)
		return p11_ckr_fail(rv, "C_InitToken of a new token '%s' failed", label);
	/* Some modules (SoftHSM2) move a freshly initialised token to a new slot id. */
	if ((r = token_slot(p, label, &slot, &found)) != P11_OK)
		return r;
	if (!found) {
		log_error("token '%s' is not visible after C_InitToken", label);
		return P11_ERR_TOKEN;
	}
	r = P11_ERR_FUNC;
	if ((rv = p->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	         &s)) != CKR_OK) {
		r = p11_ckr_fail(rv, "C_OpenSession on the new token failed");
		goto out;
	}
	open = 1;
	if ((rv = p->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)p11_unconst(so_pin),
	    so_len)) != CKR_OK) {
		r = p11_ckr_fail(rv, "security-officer log-in to the new token failed");
		goto out;
	}
	in = 1;
	if ((rv = p->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)p11_unconst(user_pin), user_len)) != CKR_OK) {
		r = p11_ckr_fail(rv, "C_InitPIN (setting the user PIN) failed");
		goto out;
	}
	*created = 1;
	r = P11_OK;
out:
	if (in)
		(void)p->f->C_Logout(s);
	if (open)
		(void)p->f->C_CloseSession(s);
	return r;
}
