/*
 * fuzz-zhs.c: libFuzzer target for the Zebra ~HS status parser (station/board/label-zhs.c),
 * which reads what a network printer answers. A prefix of a complete answer parses as complete
 * only when all that is cut off is line ends; a parsed status gives a problem or none.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "label-zhs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct label_zhs st;
	size_t i, j;
	int r = label_zhs_parse(data, size, &st);

	if (r != 0 && r != 1 && r != -1)
		abort();
	if (r != 0)
		return 0;
	(void)label_zhs_problem(&st);
	for (i = 0; i < size; i++) {
		if (label_zhs_parse(data, i, &st) != 0)
			continue;
		for (j = i; j < size; j++)
			if (data[j] != '\r' && data[j] != '\n')
				abort();
	}
	return 0;
}
