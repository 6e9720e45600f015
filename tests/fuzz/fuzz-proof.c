/*
 * fuzz-proof.c: libFuzzer target for the tlog-proof parser (station/audit/proof.c), which reads proof
 * files that customers and auditors hand back (`station audit check-proof`), untrusted. A parsed
 * proof must re-format to the same bytes (the parser accepts only the canonical form), and its
 * checkpoint part goes through the note parser and verification with fixed keys, which must
 * fail cleanly.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *ec, *ed;
	struct note_checkpoint *cp = NULL;
	struct proof p;
	char *text, *again = NULL;

	if (ec == NULL)
		ec = EVP_EC_gen("P-256");
	if (ed == NULL)
		ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (proof_parse(text, size, &p, NULL, 0) == 0) {
		if (p.npath > MERKLE_MAX_PROOF || p.note < text || p.note + p.note_len != text + size)
			abort();
		if (proof_format(p.index, p.extra, p.extra_len, (const merkle_hash *)p.path, p.npath,
		        p.note, &again) != 0 || strlen(again) != size || memcmp(again, text, size) != 0)
			abort();
		if ((cp = malloc(sizeof(*cp))) != NULL &&
		    note_parse(p.note, p.note_len, cp, NULL, 0) == NOTE_OK) {
			if (note_verify(p.note, cp, ec) == NOTE_OK || note_verify(p.note, cp, ed) == NOTE_OK)
				abort(); /* nobody holds these keys' private halves but this process */
		}
		free(cp);
		free(again);
		proof_clear(&p);
	}
	free(text);
	return 0;
}
