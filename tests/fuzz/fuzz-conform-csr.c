/*
 * fuzz-conform-csr.c: libFuzzer target for the CSR checks of `station conform`
 * (station/conform/conform-x509.c), which walk a board's PKCS#10 bytes one property at a time:
 * parse and version, signature algorithm and self-signature, key type, subject, the
 * challengePassword's string value, attributes and requested extensions. The chip id and nonce
 * are fixed (the nonce of tests/fuzz/fuzz-csr.c, so its corpus carries the right
 * challengePassword).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "conform-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
	static const uint8_t chip[8] = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18 };
	EVP_PKEY *pub = NULL;
	char seen[240];
	int parsed;

	parsed = cx_csr_parse(data, size, &pub, seen, sizeof(seen));
	if (!parsed && pub != NULL)
		abort(); /* the key only comes with a request that parsed */
	(void)cx_csr_signature(data, size, seen, sizeof(seen));
	(void)cx_csr_key_type(pub, KEY_EC_P256, seen, sizeof(seen));
	(void)cx_csr_key_type(pub, KEY_RSA_2048, seen, sizeof(seen));
	(void)cx_csr_subject(data, size, chip, sizeof(chip), seen, sizeof(seen));
	(void)cx_csr_challenge(data, size, nonce, sizeof(nonce), seen, sizeof(seen));
	(void)cx_csr_attributes(data, size, seen, sizeof(seen));
	EVP_PKEY_free(pub);
	return 0;
}
