/*
 * issue-key.c: the key policy: which key types and sizes a profile allows (board keys in CSRs and
 * certificates), and the name of a key for people.
 */
#include "issue-int.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>

/* Maps a key to its profile bit (0 if no profile can allow it) and a name for people. */
unsigned
issue_key_kind(const EVP_PKEY *pk, char *desc, size_t cap)
{
	char group[64];
	size_t glen;
	int id = EVP_PKEY_get_base_id(pk);

	if (id == EVP_PKEY_RSA) {
		snprintf(desc, cap, "RSA-%d", EVP_PKEY_get_bits(pk));
		return ISSUE_KEY_RSA;
	}
	if (id != EVP_PKEY_EC) {
		snprintf(desc, cap, "%s", id == NID_undef ? "(unknown)" : OBJ_nid2sn(id));
		return 0;
	}
	/* Explicit curve parameters have no name and are never allowed (RFC 5480 §2.1.1). */
	if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen))
		snprintf(group, sizeof(group), "with explicit parameters");
	if (strcmp(group, "prime256v1") == 0) {
		snprintf(desc, cap, "EC P-256");
		return ISSUE_KEY_EC_P256;
	}
	if (strcmp(group, "secp384r1") == 0) {
		snprintf(desc, cap, "EC P-384");
		return ISSUE_KEY_EC_P384;
	}
	snprintf(desc, cap, "EC %s", group);
	return 0;
}

/* "EC P-256, RSA >= 2048 bits" for reasons. */
static void
allowed_list(unsigned types, unsigned rsa_min, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s%s%s", types & ISSUE_KEY_EC_P256 ? "EC P-256" : "",
	    (types & ISSUE_KEY_EC_P256) && (types & ~ISSUE_KEY_EC_P256 & 7) ? ", " : "",
	    types & ISSUE_KEY_EC_P384 ? "EC P-384" : "",
	    (types & ISSUE_KEY_EC_P384) && (types & ISSUE_KEY_RSA) ? ", " : "",
	    types & ISSUE_KEY_RSA ? "RSA" : "");
	if (types & ISSUE_KEY_RSA)
		snprintf(out + strlen(out), cap - strlen(out), " >= %u bits", rsa_min);
	if ((types & 7) == 0)
		snprintf(out, cap, "none");
}

int
issue_key_check(const struct issue_profile *prof, const EVP_PKEY *pk, char *why, size_t whycap)
{
	unsigned kind, min = prof->rsa_min_bits > RSA_FLOOR ? prof->rsa_min_bits : RSA_FLOOR;
	char desc[96], allowed[64];

	if (pk == NULL) {
		util_why(why, whycap, "the CSR's public key uses an algorithm this station cannot "
		    "decode; profile '%s' must allow the board's key type", prof->product);
		return ISSUE_ERR_KEY_TYPE;
	}
	kind = issue_key_kind(pk, desc, sizeof(desc));
	if (kind == 0 || (prof->key_types & kind) == 0) {
		allowed_list(prof->key_types, min, allowed, sizeof(allowed));
		util_why(why, whycap, "key type %s is not allowed by profile '%s' (allowed: %s); "
		    "check the board firmware's key settings", desc, prof->product, allowed);
		return ISSUE_ERR_KEY_TYPE;
	}
	if (kind == ISSUE_KEY_RSA && EVP_PKEY_get_bits(pk) < (int)min) {
		util_why(why, whycap, "key %s is weaker than profile '%s' allows (RSA keys need at "
		    "least %u bits); check the board firmware's key settings", desc, prof->product,
		    min);
		return ISSUE_ERR_KEY_WEAK;
	}
	return ISSUE_OK;
}
