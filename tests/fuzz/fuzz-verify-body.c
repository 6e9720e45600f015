/*
 * fuzz-verify-body.c: libFuzzer target for the verifier's entry-body reader
 * (station/audit/verify-body.c), which reads bodies an insider may have edited. Differential: every
 * member it returns must equal what json_loads(body, 0) + json_object_get give; a difference
 * aborts. The input is one body (NUL-terminated copy; bytes after a NUL are what the database
 * reader would have refused).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "product", "cert_serial", "commitment",
		"pubkey_sha256", "issuer", "mode", "fw_version", "fw_sha256" };
	struct vbody b;
	json_t *j;
	char *s;
	size_t i;

	if (size > CAP_AUDIT_BODY || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&b, 0, sizeof(b));
	vbody_parse(&b, s);
	j = json_loads(s, 0, NULL);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(j, keys[i]);

		if (strcmp(vbody_get(&b, keys[i]), json_is_string(v) ? json_string_value(v) : "") != 0)
			abort();
	}
	json_decref(j);
	vbody_free(&b);
	free(s);
	return 0;
}
