/* audit-entry.c: canonical entry bytes and leaf hash; see audit-entry.h. */
#include "audit-entry.h"

#include <stdio.h>
#include <stdlib.h>

int
audit_entry_bytes(int64_t seq, const char *time, const char *station, const char *op,
    const char *lot, const char *kind, const char *chip, const char *serial, const char *body,
    uint8_t **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return AUDIT_ERR_NOMEM;
	fprintf(f, "SPLOG1\n%lld\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s", (long long)seq, time, station, op,
	    lot, kind, chip, serial, body);
	if (fclose(f) != 0) {
		free(buf);
		return AUDIT_ERR_NOMEM;
	}
	*out = (uint8_t *)buf;
	*outlen = len;
	return AUDIT_OK;
}

int
audit_entry_leaf(int64_t seq, const char *time, const char *station, const char *op,
    const char *lot, const char *kind, const char *chip, const char *serial, const char *body,
    merkle_hash out)
{
	uint8_t *b = NULL;
	size_t n = 0;
	int r;

	if ((r = audit_entry_bytes(seq, time, station, op, lot, kind, chip, serial, body, &b,
	         &n)) != AUDIT_OK)
		return r;
	r = merkle_leaf_hash(b, n, out) == 0 ? AUDIT_OK : AUDIT_ERR_NOMEM;
	free(b);
	return r;
}
