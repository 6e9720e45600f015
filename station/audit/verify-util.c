/* verify-util.c: small helpers shared by the verifier's files; see verify-int.h. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify-int.h"

const char *
verify_clean(const char *s, char *buf, size_t cap)
{
	util_sanitize(s, strlen(s), buf, cap);
	return buf;
}

/* "entry #17 (cert.issued, chip ab.., serial X, 2026-..)" */
const char *
verify_describe(const struct rec_entry *e, char *buf, size_t cap)
{
	char k[64], c[48], s[48], t[40];

	snprintf(buf, cap, "entry #%lld (%s%s%s%s%s, %s)", (long long)e->seq,
	    verify_clean(e->kind, k, sizeof(k)), *e->chip ? ", chip " : "", verify_clean(e->chip, c, sizeof(c)),
	    *e->serial ? ", serial " : "", verify_clean(e->serial, s, sizeof(s)), verify_clean(e->time, t, sizeof(t)));
	return buf;
}

const struct rec_entry *
verify_entry_at(struct record *rc, int64_t seq, struct rec_entry *buf)
{
	return record_entry_at(rc, seq, buf);
}
