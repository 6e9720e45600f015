/*
 * fuzz-csr.c: libFuzzer target for the CSR check (station/common/issue-csr.c), the parser that sees a
 * board's PKCS#10 bytes. A permissive profile lets every key branch run; the nonce is fixed so
 * that corpus files can carry the right challengePassword:
 * 000102030405060708090a0b0c0d0e0f. The canonical form of a CSR that parses must be canonical
 * itself, and equal the input when the input says it is canonical.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	static const struct issue_profile prof = {
		.product = "fuzz",
		.subject_cn = "{serial}",
		.validity_days = 1,
		.key_types = ISSUE_KEY_EC_P256 | ISSUE_KEY_EC_P384 | ISSUE_KEY_RSA,
		.rsa_min_bits = 2048,
	};
	EVP_PKEY *pub = NULL;
	char why[CAP_REASON];
	uint8_t canon[CAP_CSR_DER];
	size_t len = 0;
	int is = issue_csr_is_canonical(data, size);

	if (issue_csr_check(&prof, data, size, nonce, sizeof(nonce), &pub, why, sizeof(why)) ==
	    ISSUE_OK)
		EVP_PKEY_free(pub);
	if (issue_csr_canonical(data, size, canon, sizeof(canon), &len) == ISSUE_OK) {
		if (issue_csr_is_canonical(canon, len) != 1 ||
		    (is && (len != size || memcmp(canon, data, size) != 0)))
			abort();
	} else if (is)
		abort();
	return 0;
}
