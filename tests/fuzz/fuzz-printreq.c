/*
 * fuzz-printreq.c: libFuzzer target for the label printer helper's request decoder
 * (station/board/label-printer.c label_printer_dec_req), which reads what the board-facing
 * station sends it (untrusted there: that process parses hostile boards). A decoded serial must
 * be 1..CAP_SERIAL characters of A-Z a-z 0-9 '-' '_' (it names a file in the spool).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "label-printer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char serial[CAP_SERIAL + 1];
	size_t n;

	memset(serial, 0x5a, sizeof(serial));
	if (label_printer_dec_req((const char *)data, size, serial, sizeof(serial)) != 0)
		return 0;
	n = strnlen(serial, sizeof(serial));
	if (n == 0 || n > CAP_SERIAL || strspn(serial, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789-_") != n || n + 6 != size)
		abort();
	return 0;
}
