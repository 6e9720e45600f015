/* audit-entry.c: canonical entry bytes and leaf hash; see audit-entry.h. */
#include "audit-entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
audit_entry_leaf_with(struct merkle_stream *s, int64_t seq, const char *time,
    const char *station, const char *op, const char *lot, const char *kind, const char *chip,
    const char *serial, const char *body, merkle_hash out)
{
	const char *f[9] = { time, station, op, lot, kind, chip, serial, body, NULL };
	const void *parts[20];
	size_t lens[20], n = 0, i;
	char num[24];

	/* exactly audit_entry_bytes: "SPLOG1\n<seq>" then "\n<field>" for each field */
	snprintf(num, sizeof(num), "%lld", (long long)seq);
	parts[n] = "SPLOG1\n", lens[n++] = 7;
	parts[n] = num, lens[n++] = strlen(num);
	for (i = 0; i < 8; i++) {
		parts[n] = "\n", lens[n++] = 1;
		parts[n] = f[i], lens[n++] = strlen(f[i]);
	}
	return merkle_stream_leaf(s, parts, lens, n, out) == 0 ? AUDIT_OK : AUDIT_ERR_NOMEM;
}
