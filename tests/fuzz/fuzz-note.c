/*
 * fuzz-note.c: libFuzzer target for the checkpoint parser (station/common/note.c), which reads
 * checkpoint files and notes from databases and bundles, all untrusted. A parsed note is also
 * run through verification with fixed P-256 and Ed25519 keys (which must fail cleanly) and
 * re-encoded.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key, *ed;
	struct note_checkpoint *cp;
	char *text, body[CAP_ORIGIN + 96];
	size_t bl;

	if (key == NULL)
		key = EVP_EC_gen("P-256");
	if (ed == NULL)
		ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if ((text = malloc(size + 1)) == NULL || (cp = malloc(sizeof(*cp))) == NULL) {
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if (note_parse(text, size, cp, NULL, 0) == NOTE_OK) {
		if (cp->text_len > size || cp->nsigs == 0 || cp->nsigs > CAP_NOTE_SIGS)
			abort();
		if (note_verify(text, cp, key) == NOTE_OK || note_verify(text, cp, ed) == NOTE_OK)
			abort(); /* nobody holds these keys' private halves but this process */
		/* The body re-encodes to the signed text byte for byte. */
		if (note_body(cp->origin, cp->size, cp->root, body, sizeof(body), &bl) != NOTE_OK ||
		    bl != cp->text_len || memcmp(body, text, bl) != 0)
			abort();
	}
	free(cp);
	free(text);
	return 0;
}
