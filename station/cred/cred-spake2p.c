/*
 * cred-spake2p.c: Matter's SPAKE2+ verifier (Matter Core 3.10; connectedhomeip
 * Spake2pVerifier::Generate in src/crypto/CHIPCryptoPAL.cpp); see cred-matter.h. OpenSSL 3
 * without deprecated calls: PKCS5_PBKDF2_HMAC, BN, EC_GROUP and EC_POINT (not EC_KEY).
 */
#include "cred-matter.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <string.h>

#include "util.h"

#define WS_HALF 40 /* bytes of w0s and of w1s: the P-256 order's 32 bytes + 8, so mod n is near uniform */
#define FE_LEN 32
#define POINT_LEN 65

int
matter_spake2p_verifier(uint32_t passcode, const uint8_t *salt, size_t salt_len, uint32_t iterations,
    uint8_t out[MATTER_VERIFIER_LEN])
{
	uint8_t pin[4], ws[2 * WS_HALF], v[MATTER_VERIFIER_LEN];
	EC_GROUP *g = NULL;
	EC_POINT *l = NULL;
	BN_CTX *ctx = NULL;
	BIGNUM *w0 = NULL, *w1 = NULL;
	const BIGNUM *n;
	int r = -1;

	if (!matter_passcode_valid(passcode) || salt == NULL || salt_len < MATTER_SALT_MIN ||
	    salt_len > MATTER_SALT_MAX || iterations < MATTER_ITER_MIN || iterations > MATTER_ITER_MAX || out == NULL)
		return -1;
	pin[0] = (uint8_t)passcode;
	pin[1] = (uint8_t)(passcode >> 8);
	pin[2] = (uint8_t)(passcode >> 16);
	pin[3] = (uint8_t)(passcode >> 24);
	if (PKCS5_PBKDF2_HMAC((const char *)pin, sizeof(pin), salt, (int)salt_len, (int)iterations, EVP_sha256(),
	    sizeof(ws), ws) != 1)
		goto out;
	if ((g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL || (n = EC_GROUP_get0_order(g)) == NULL ||
	    (ctx = BN_CTX_secure_new()) == NULL || (w0 = BN_secure_new()) == NULL || (w1 = BN_secure_new()) == NULL ||
	    (l = EC_POINT_new(g)) == NULL)
		goto out;
	/* w0s and w1s are big-endian integers. */
	if (BN_bin2bn(ws, WS_HALF, w0) == NULL || BN_bin2bn(ws + WS_HALF, WS_HALF, w1) == NULL ||
	    BN_nnmod(w0, w0, n, ctx) != 1 || BN_nnmod(w1, w1, n, ctx) != 1 || BN_is_zero(w0) || BN_is_zero(w1))
		goto out;
	BN_set_flags(w1, BN_FLG_CONSTTIME);
	if (BN_bn2binpad(w0, v, FE_LEN) != FE_LEN || EC_POINT_mul(g, l, w1, NULL, NULL, ctx) != 1 ||
	    EC_POINT_point2oct(g, l, POINT_CONVERSION_UNCOMPRESSED, v + FE_LEN, POINT_LEN, ctx) != POINT_LEN)
		goto out;
	memcpy(out, v, sizeof(v));
	r = 0;
out:
	util_wipe(pin, sizeof(pin));
	util_wipe(ws, sizeof(ws));
	util_wipe(v, sizeof(v));
	BN_clear_free(w0);
	BN_clear_free(w1);
	EC_POINT_clear_free(l);
	BN_CTX_free(ctx);
	EC_GROUP_free(g);
	return r;
}
