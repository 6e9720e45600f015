/*
 * p11-quirk.c: what a module is known to need, found from C_GetInfo. One row per module family,
 * each measured (shared/notes/second-pkcs11-module.md); a module not listed has no quirks.
 */
#include <string.h>

#include "log.h"
#include "p11-int.h"

static const struct {
	const char *manufacturer;       /* C_GetInfo manufacturerID, a prefix */
	struct p11_quirks q;
} known[] = {
	/*
	 * tpm2-pkcs11 keeps every key it has used loaded in the TPM until C_Logout, and a TPM
	 * with no resource manager in front (swtpm: 3 object slots, one of them taken during
	 * C_Login and key generation) holds two: a third fails with TPM_RC_OBJECT_MEMORY, seen as
	 * CKR_GENERAL_ERROR. Wrong PINs count toward the TPM's dictionary-attack lockout.
	 */
	{ "tpm2-software", { "tpm2-pkcs11", 2, 1 } },
};

void
p11_quirks_read(struct p11 *p)
{
	CK_INFO info;
	char man[sizeof(info.manufacturerID) + 1];
	size_t i, n;

	memset(&p->q, 0, sizeof(p->q));
	if (p->f->C_GetInfo == NULL || p->f->C_GetInfo(&info) != CKR_OK)
		return;
	/* blank-padded, not NUL-terminated */
	memcpy(man, info.manufacturerID, sizeof(info.manufacturerID));
	man[sizeof(info.manufacturerID)] = '\0';
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		n = strlen(known[i].manufacturer);
		if (strncmp(man, known[i].manufacturer, n) == 0) {
			p->q = known[i].q;
			log_debug("PKCS#11 module '%s' is %s: at most %d keys in use at once", p->path,
			    p->q.name, p->q.max_loaded);
			break;
		}
	}
	p->max_loaded = p->q.max_loaded;
}
