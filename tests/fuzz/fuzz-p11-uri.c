/*
 * fuzz-p11-uri.c: libFuzzer target for the RFC 7512 pkcs11: URI parser (untrusted profile text).
 * Corpus: tests/fuzz/corpus/p11-uri/ (replayed by `make test`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct p11_uri u;
	const char *q;
	char *s;

	if (!quiet) {
		/* Rejections log by design; silence them so the fuzzer's output stays readable. */
		log_init("fuzz-p11-uri", -1);
		quiet = 1;
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (p11_uri_parse(s, &u) == P11_OK) {
		/* Invariants of a parsed URI; any query attribute is refused, so none is left. */
		if (memchr(u.token, '\0', sizeof(u.token)) == NULL ||
		    memchr(u.manufacturer, '\0', sizeof(u.manufacturer)) == NULL ||
		    memchr(u.serial, '\0', sizeof(u.serial)) == NULL ||
		    memchr(u.model, '\0', sizeof(u.model)) == NULL ||
		    memchr(u.object, '\0', sizeof(u.object)) == NULL ||
		    u.id_len > sizeof(u.id) || u.slot_id < -1 ||
		    ((q = strchr(s, '?')) != NULL && q[1] != '\0'))
			abort();
	}
	free(s);
	return 0;
}
