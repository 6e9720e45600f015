/*
 * fuzz-bundle.c: libFuzzer target for the audit bundle loader (station/common/record.c), the parser an
 * auditor runs on a file from elsewhere. A loaded record is also verified in memory as far as
 * possible without files: every entry's leaf is recomputed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record *rc = NULL;
	merkle_hash h;
	char why[256];
	size_t i;

	if (record_load_bundle(data, size, &rc, why, sizeof(why)) != REC_OK)
		return 0;
	for (i = 0; i < rc->ne; i++)
		(void)record_entry_leaf(&rc->e[i], h);
	record_free(rc);
	return 0;
}
