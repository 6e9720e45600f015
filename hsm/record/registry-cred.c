/*
 * registry-cred.c: the onboarding credentials of a board besides its password (issue #16): one
 * credential.committed entry and one cred_commits row per credential, holding the kind, the
 * HMAC commitment of its secret and its public part (the SSID a board broadcasts, the
 * discriminator it advertises). See registry.h.
 */
#include <jansson.h>
#include <stdio.h>

#include "registry-int.h"
#include "registry.h"

int
reg_cred_commit(struct audit *a, const struct audit_who *w, const char *serial,
    const char *chip, const char *kind, const char *public, const char *commit_hex)
{
	json_t *body;
	char seqs[24];
	int64_t seq = 0;
	int r;

	if ((body = json_pack("{s:s,s:s,s:s}", "kind", kind, "commitment", commit_hex, "public",
	         public)) == NULL)
		return AUDIT_ERR_NOMEM;
	if ((r = audit_begin(a)) != 0) {
		json_decref(body);
		return r;
	}
	r = audit_append(a, w, "credential.committed", chip, serial, body, &seq);
	json_decref(body);
	if (r == 0) {
		const char *ins[] = { kind, commit_hex, serial, public, seqs, NULL };

		snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
		r = reg_run(a, "INSERT INTO cred_commits(kind,commitment,serial,public,seq)"
		    " VALUES(?,?,?,?,?)", ins, "recording a credential commitment");
	}
	return reg_finish(a, r);
}
