/*
 * test-p11.c: the PKCS#11 layer against a real SoftHSM2 token in a private temp directory
 * (own softhsm2.conf via SOFTHSM2_CONF; the system token store is never touched).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "log.h"
#include "p11.h"

#define MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN_URI "pkcs11:token=p11test"
#define PIN "1234"

extern char **environ;

static char tmpdir[] = "/tmp/test-p11.XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
run(char *const argv[])
{
	pid_t pid;
	int st, devnull, r;
	posix_spawn_file_actions_t fa;

	posix_spawn_file_actions_init(&fa);
	if ((devnull = open("/dev/null", O_WRONLY)) != -1)
		posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (devnull != -1)
		close(devnull);
	if (r != 0)
		return -1;
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
group_setup(void **state)
{
	char path[256], tokens[256];
	char *argv[] = { "softhsm2-util", "--init-token", "--free", "--label", "p11test",
	    "--pin", PIN, "--so-pin", "5678", NULL };
	FILE *f;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(tokens, sizeof(tokens), "%s/tokens", tmpdir);
	if (mkdir(tokens, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
	    tokens);
	fclose(f);
	/* Before any p11_open: SoftHSM2 reads its config in C_Initialize. */
	if (setenv("SOFTHSM2_CONF", path, 1) != 0)
		return -1;
	if (run(argv) != 0) {
		fprintf(stderr, "softhsm2-util --init-token failed\n");
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct p11 *
open_login(void)
{
	struct p11 *p = NULL;

	assert_int_equal(p11_open(MODULE, &p), P11_OK);
	assert_non_null(p);
	assert_int_equal(p11_login(p, TOKEN_URI, PIN, strlen(PIN)), P11_OK);
	return p;
}

static void
test_open_errors(void **state)
{
	struct p11 *p = NULL;

	assert_int_equal(p11_open("/nonexistent/libnothere.so", &p), P11_ERR_MODULE);
	assert_null(p);
	assert_int_equal(p11_open("", &p), P11_ERR_MODULE);
	assert_int_equal(p11_open(NULL, &p), P11_ERR_MODULE);
	/* a shared object that is not a PKCS#11 module */
	assert_int_equal(p11_open("libz.so.1", &p), P11_ERR_MODULE);
	assert_null(p);
	p11_close(NULL);
}

static void
test_login_errors(void **state)
{
	struct p11 *p = NULL;

	assert_int_equal(p11_open(MODULE, &p), P11_OK);
	assert_int_equal(p11_login(p, "pkcs11:token=no-such-token", PIN, strlen(PIN)),
	    P11_ERR_TOKEN);
	assert_int_equal(p11_login(p, "pkcs11:token=p11test;serial=0000", PIN, strlen(PIN)),
	    P11_ERR_TOKEN);
	assert_int_equal(p11_login(p, "pkcs11:token=p11test?pin-value=1234", PIN, strlen(PIN)),
	    P11_ERR_URI);
	assert_int_equal(p11_login(p, TOKEN_URI, "9999", 4), P11_ERR_PIN);
	/* the handle is still usable after failures */
	assert_int_equal(p11_login(p, TOKEN_URI, PIN, strlen(PIN)), P11_OK);
	assert_int_equal(p11_login(p, TOKEN_URI, PIN, strlen(PIN)), P11_ERR_ARG);
	p11_close(p);
}

/* Token fields are matched after trimming the space padding; uninitialized slots are skipped. */
static void
test_login_match(void **state)
{
	static const char *const uris[] = {
		"pkcs11:",
		"pkcs11:manufacturer=SoftHSM%20project;token=p11test",
		"PKCS11:model=SoftHSM%20v2;type=private",
	};
	struct p11 *p = NULL;
	size_t i;

	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		assert_int_equal(p11_open(MODULE, &p), P11_OK);
		if (p11_login(p, uris[i], PIN, strlen(PIN)) != P11_OK)
			fail_msg("login failed: %s", uris[i]);
		p11_close(p);
	}
	assert_int_equal(p11_open(MODULE, &p), P11_OK);
	assert_int_equal(p11_login(p, "pkcs11:token=p11tes", PIN, strlen(PIN)), P11_ERR_TOKEN);
	assert_int_equal(p11_login(p, "pkcs11:token=p11test;slot-id=1", PIN, strlen(PIN)),
	    P11_ERR_TOKEN);
	p11_close(p);
}

static void
test_token_info(void **state)
{
	char label[33], manuf[33], model[17], serial[17];
	struct p11 *p = open_login();

	assert_int_equal(p11_token_info(p, label, manuf, model, serial, 17), P11_OK);
	assert_string_equal(label, "p11test");
	assert_string_equal(manuf, "SoftHSM project");
	assert_true(strlen(serial) > 0);
	p11_close(p);
}

/* Verify a raw r||s ECDSA signature over dg with an SPKI. */
static int
verify_raw(const uint8_t *spki, size_t spkilen, const uint8_t *dg, size_t dglen,
    const uint8_t *sig, size_t siglen)
{
	const unsigned char *q = spki;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &q, (long)spkilen);
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int derlen, ok = -1;

	assert_non_null(pk);
	assert_ptr_equal(q, spki + spkilen);
	assert_non_null(es);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)siglen / 2, NULL),
	    BN_bin2bn(sig + siglen / 2, (int)siglen / 2, NULL)), 1);
	derlen = i2d_ECDSA_SIG(es, &der);
	assert_true(derlen > 0);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
	ok = EVP_PKEY_verify(ctx, der, (size_t)derlen, dg, dglen);
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(pk);
	return ok;
}

static void
ec_roundtrip(const char *curve, const char *label, const uint8_t id[2], const char *priv_uri,
    const char *pub_uri, int bits)
{
	uint8_t dg[SHA256_DIGEST_LENGTH], sig[256], *spki = NULL;
	size_t siglen, spkilen = 0;
	CK_OBJECT_HANDLE priv, pub;
	int v = -1;
	struct p11 *p = open_login();

	assert_int_equal(p11_gen_ec(p, curve, label, id, 2), P11_OK);
	/* the same label again would make the URI ambiguous */
	assert_int_equal(p11_gen_ec(p, curve, label, NULL, 0), P11_ERR_KEY);
	assert_int_equal(p11_find(p, priv_uri, CKO_PRIVATE_KEY, &priv), P11_OK);
	assert_int_equal(p11_get_bool_attr(p, priv, CKA_EXTRACTABLE, &v), P11_OK);
	assert_int_equal(v, 0);
	assert_int_equal(p11_get_bool_attr(p, priv, CKA_SENSITIVE, &v), P11_OK);
	assert_int_equal(v, 1);
	assert_int_equal(p11_get_bool_attr(p, priv, CKA_SIGN, &v), P11_OK);
	assert_int_equal(v, 1);
	assert_int_equal(p11_find(p, pub_uri, CKO_PUBLIC_KEY, &pub), P11_OK);
	assert_int_equal(p11_ec_pubkey_spki(p, pub, &spki, &spkilen), P11_OK);
	assert_true(spkilen > 0);
	/* an SPKI of a private key is refused */
	assert_int_equal(p11_ec_pubkey_spki(p, priv, &spki, &spkilen), P11_ERR_KEY);

	SHA256((const unsigned char *)"tbs certificate", 15, dg);
	siglen = sizeof(sig);
	assert_int_equal(p11_sign(p, priv, CKM_ECDSA, dg, sizeof(dg), sig, &siglen), P11_OK);
	assert_int_equal(siglen, (size_t)(2 * ((bits + 7) / 8)));
	assert_int_equal(verify_raw(spki, spkilen, dg, sizeof(dg), sig, siglen), 1);
	sig[3] ^= 1;
	assert_int_not_equal(verify_raw(spki, spkilen, dg, sizeof(dg), sig, siglen), 1);

	/* too small a buffer: P11_ERR_ARG, and the session can still sign */
	siglen = 8;
	assert_int_equal(p11_sign(p, priv, CKM_ECDSA, dg, sizeof(dg), sig, &siglen), P11_ERR_ARG);
	assert_int_equal(siglen, 8);
	siglen = sizeof(sig);
	assert_int_equal(p11_sign(p, priv, CKM_ECDSA, dg, sizeof(dg), sig, &siglen), P11_OK);
	assert_int_equal(verify_raw(spki, spkilen, dg, sizeof(dg), sig, siglen), 1);
	/* a public key cannot sign */
	siglen = sizeof(sig);
	assert_int_not_equal(p11_sign(p, pub, CKM_ECDSA, dg, sizeof(dg), sig, &siglen), P11_OK);
	free(spki);
	p11_close(p);
}

static void
test_ec_p256(void **state)
{
	ec_roundtrip("prime256v1", "ca", (const uint8_t *)"\x01\xca",
	    "pkcs11:token=p11test;object=ca;type=private",
	    "pkcs11:token=p11test;object=ca;type=public", 256);
}

static void
test_ec_p384(void **state)
{
	ec_roundtrip("secp384r1", "ca384", (const uint8_t *)"\x03\x84",
	    "pkcs11:object=ca384;id=%03%84",
	    "pkcs11:object=ca384;type=public", 384);
}

/* Ed25519 (the audit key where the module offers it): mechanisms advertised, key generated
 * protected, its SPKI, and a CKM_EDDSA signature that OpenSSL verifies over the message. */
static void
test_ed25519(void **state)
{
	static const char msg[] = "station/line-1\n7\nq83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80=\n";
	uint8_t sig[128], *spki = NULL;
	const unsigned char *q;
	size_t siglen = sizeof(sig), spkilen = 0;
	CK_OBJECT_HANDLE priv, pub;
	CK_ULONG kt = 0;
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	int v = -1, gen = 0, sign = 0, bogus = 1;
	struct p11 *p = open_login();

	(void)state;
	assert_int_equal(p11_mech_ok(p, CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, &gen),
	    P11_OK);
	assert_int_equal(p11_mech_ok(p, CKM_EDDSA, CKF_SIGN, &sign), P11_OK);
	assert_true(gen && sign); /* SoftHSM2 2.6 offers both */
	assert_int_equal(p11_mech_ok(p, CKM_EDDSA, CKF_ENCRYPT, &bogus), P11_OK);
	assert_int_equal(bogus, 0);
	assert_int_equal(p11_mech_ok(p, 0x7fff1234UL, CKF_SIGN, &bogus), P11_OK);
	assert_int_equal(bogus, 0);

	assert_int_equal(p11_gen_ec(p, "ed25519", "audit-ed", (const uint8_t *)"\xed\x01", 2),
	    P11_OK);
	assert_int_equal(p11_find(p, "pkcs11:object=audit-ed;type=private", CKO_PRIVATE_KEY,
	    &priv), P11_OK);
	assert_int_equal(p11_key_type(p, priv, &kt), P11_OK);
	assert_int_equal(kt, CKK_EC_EDWARDS);
	assert_int_equal(p11_get_bool_attr(p, priv, CKA_EXTRACTABLE, &v), P11_OK);
	assert_int_equal(v, 0);
	assert_int_equal(p11_find(p, "pkcs11:object=audit-ed;type=public", CKO_PUBLIC_KEY, &pub),
	    P11_OK);
	assert_int_equal(p11_ec_pubkey_spki(p, pub, &spki, &spkilen), P11_OK);
	assert_int_equal(spkilen, 44); /* RFC 8410: 12-byte header + 32-byte key */
	q = spki;
	pk = d2i_PUBKEY(NULL, &q, (long)spkilen);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_ED25519);

	assert_int_equal(p11_sign(p, priv, CKM_EDDSA, (const uint8_t *)msg, strlen(msg), sig,
	    &siglen), P11_OK);
	assert_int_equal(siglen, 64);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(md, sig, siglen, (const uint8_t *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	sig[10] ^= 1;
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk), 1);
	assert_int_not_equal(EVP_DigestVerify(md, sig, siglen, (const uint8_t *)msg, strlen(msg)),
	    1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	free(spki);
	p11_close(p);
}

static void
test_find_errors(void **state)
{
	CK_OBJECT_HANDLE h = 77;
	struct p11 *p = open_login();

	assert_int_equal(p11_gen_ec(p, "prime256v1", "dup-a", (const uint8_t *)"\x07", 1), P11_OK);
	assert_int_equal(p11_gen_ec(p, "prime256v1", "dup-b", (const uint8_t *)"\x08", 1), P11_OK);
	/* 0 matches */
	assert_int_equal(p11_find(p, "pkcs11:object=missing;type=private", CKO_PRIVATE_KEY, &h),
	    P11_ERR_KEY);
	/* type in the URI contradicts the class asked for */
	assert_int_equal(p11_find(p, "pkcs11:object=dup-a;type=public", CKO_PRIVATE_KEY, &h),
	    P11_ERR_KEY);
	/* no object and no id */
	assert_int_equal(p11_find(p, "pkcs11:token=p11test;type=private", CKO_PRIVATE_KEY, &h),
	    P11_ERR_URI);
	/* another token */
	assert_int_equal(p11_find(p, "pkcs11:token=other;object=dup-a", CKO_PRIVATE_KEY, &h),
	    P11_ERR_TOKEN);
	assert_int_equal(p11_find(p, "pkcs11:object=dup-a?pin-value=1", CKO_PRIVATE_KEY, &h),
	    P11_ERR_URI);
	assert_int_equal(h, 77);
	/* id selects one of several keys */
	assert_int_equal(p11_find(p, "pkcs11:id=%08;type=private", CKO_PRIVATE_KEY, &h), P11_OK);
	/* bad arguments */
	assert_int_equal(p11_gen_ec(p, "secp256k1", "x", NULL, 0), P11_ERR_ARG);
	assert_int_equal(p11_gen_ec(p, "prime256v1", "", NULL, 0), P11_ERR_ARG);
	assert_int_equal(p11_gen_ec(p, "prime256v1",
	    "01234567890123456789012345678901234567890123456789012345678901234", NULL, 0),
	    P11_ERR_ARG);
	p11_close(p);
}

static void
test_ambiguous(void **state)
{
	CK_OBJECT_HANDLE h;
	struct p11 *p = open_login();

	/* same label, different id: find by label alone is ambiguous, p11_gen_ec refuses it */
	assert_int_equal(p11_gen_ec(p, "prime256v1", "twin", (const uint8_t *)"\x21", 1), P11_OK);
	assert_int_equal(p11_gen_ec(p, "prime256v1", "twin2", (const uint8_t *)"\x21", 1),
	    P11_ERR_KEY);
	assert_int_equal(p11_gen_ec(p, "prime256v1", "twin3", (const uint8_t *)"\x22", 1), P11_OK);
	assert_int_equal(p11_gen_hmac_key(p, "twin", (const uint8_t *)"\x21", 1), P11_OK);
	/* the secret key shares label and id with the EC key: class keeps them apart */
	assert_int_equal(p11_find(p, "pkcs11:object=twin", CKO_PRIVATE_KEY, &h), P11_OK);
	assert_int_equal(p11_find(p, "pkcs11:object=twin", CKO_SECRET_KEY, &h), P11_OK);
	p11_close(p);
	(void)h;
}

static void
test_hmac(void **state)
{
	static const char msg[] = "board 42 password commitment";
	uint8_t m1[64], m2[64];
	size_t l1 = sizeof(m1), l2 = sizeof(m2);
	CK_OBJECT_HANDLE k;
	int v = -1;
	struct p11 *p = open_login();

	assert_int_equal(p11_gen_hmac_key(p, "hmac", (const uint8_t *)"\x02", 1), P11_OK);
	assert_int_equal(p11_gen_hmac_key(p, "hmac", NULL, 0), P11_ERR_KEY);
	assert_int_equal(p11_find(p, "pkcs11:token=p11test;object=hmac;type=secret-key",
	    CKO_SECRET_KEY, &k), P11_OK);
	assert_int_equal(p11_get_bool_attr(p, k, CKA_EXTRACTABLE, &v), P11_OK);
	assert_int_equal(v, 0);
	assert_int_equal(p11_get_bool_attr(p, k, CKA_SENSITIVE, &v), P11_OK);
	assert_int_equal(v, 1);
	assert_int_equal(p11_sign(p, k, CKM_SHA256_HMAC, (const uint8_t *)msg, strlen(msg), m1,
	    &l1), P11_OK);
	assert_int_equal(p11_sign(p, k, CKM_SHA256_HMAC, (const uint8_t *)msg, strlen(msg), m2,
	    &l2), P11_OK);
	assert_int_equal(l1, 32);
	assert_int_equal(l2, 32);
	assert_memory_equal(m1, m2, 32);
	l2 = sizeof(m2);
	assert_int_equal(p11_sign(p, k, CKM_SHA256_HMAC, (const uint8_t *)"other", 5, m2, &l2),
	    P11_OK);
	assert_memory_not_equal(m1, m2, 32);
	p11_close(p);
}

/* A token that holds one key in use at a time (like a TPM without a resource manager): the
 * layer logs in again before each switch, finds the keys again, and every signature is good. */
static void
test_max_loaded(void **state)
{
	static const char msg[] = "switch keys";
	uint8_t m[64], first[64], dg[SHA256_DIGEST_LENGTH], sig[128];
	size_t l, sl;
	CK_OBJECT_HANDLE k, e;
	int i;
	struct p11 *p = open_login();

	assert_int_equal(p11_gen_hmac_key(p, "hmac-ml", (const uint8_t *)"\x31", 1), P11_OK);
	assert_int_equal(p11_gen_ec(p, "prime256v1", "ec-ml", (const uint8_t *)"\x32", 1), P11_OK);
	assert_int_equal(p11_find(p, "pkcs11:token=p11test;object=hmac-ml", CKO_SECRET_KEY, &k), P11_OK);
	assert_int_equal(p11_find(p, "pkcs11:token=p11test;object=ec-ml", CKO_PRIVATE_KEY, &e), P11_OK);
	p11_set_max_loaded(p, 1);
	SHA256((const unsigned char *)msg, strlen(msg), dg);
	for (i = 0; i < 4; i++) {
		l = sizeof(m);
		assert_int_equal(p11_sign(p, k, CKM_SHA256_HMAC, (const uint8_t *)msg, strlen(msg), m,
		    &l), P11_OK);
		assert_int_equal(l, 32);
		if (i == 0)
			memcpy(first, m, 32);
		assert_memory_equal(m, first, 32);      /* the same key each time */
		sl = sizeof(sig);
		assert_int_equal(p11_sign(p, e, CKM_ECDSA, dg, sizeof(dg), sig, &sl), P11_OK);
		assert_int_equal(sl, 64);
	}
	/* making room is not a recovery */
	assert_int_equal(p11_recoveries(p), 0);
	p11_close(p);
}

/* Two handles in one process: C_Initialize once, finalize with the last close. */
static void
test_two_handles(void **state)
{
	CK_OBJECT_HANDLE h;
	struct p11 *a = open_login(), *b = open_login();

	p11_close(a);
	assert_int_equal(p11_find(b, "pkcs11:object=ca;type=private", CKO_PRIVATE_KEY, &h),
	    P11_OK);
	p11_close(b);
	a = open_login();
	p11_close(a);
}

/* One handle per thread, signing concurrently (needs CKF_OS_LOCKING_OK in SoftHSM2). */
static void *
sign_thread(void *arg)
{
	uint8_t dg[32] = { 1 }, sig[128];
	size_t siglen;
	CK_OBJECT_HANDLE k;
	struct p11 *p = NULL;
	int i, *ok = arg;

	*ok = 0;
	if (p11_open(MODULE, &p) != P11_OK || p11_login(p, TOKEN_URI, PIN, strlen(PIN)) != P11_OK ||
	    p11_find(p, "pkcs11:object=ca;type=private", CKO_PRIVATE_KEY, &k) != P11_OK)
		goto out;
	for (i = 0; i < 200; i++) {
		siglen = sizeof(sig);
		if (p11_sign(p, k, CKM_ECDSA, dg, sizeof(dg), sig, &siglen) != P11_OK ||
		    siglen != 64)
			goto out;
	}
	*ok = 1;
 out:
	p11_close(p);
	return NULL;
}

static void
test_threads(void **state)
{
	pthread_t t[4];
	int ok[4], i;

	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sign_thread, &ok[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(ok[i], 1);
	}
}

static void
write_file(const char *path, const char *content, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_read_pin(void **state)
{
	char path[256], pin[64], small[5];
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	write_file(path, "1234\r\nsecond line\n", 0644);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_ERR_PINSRC);
	write_file(path, "1234\r\nsecond line\n", 0640);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_ERR_PINSRC);
	write_file(path, "1234\r\nsecond line\n", 0600);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_OK);
	assert_int_equal(len, 4);
	assert_string_equal(pin, "1234");
	write_file(path, "12345", 0400);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_OK);
	assert_int_equal(len, 5);
	/* exactly cap - 1 fits, one more does not */
	assert_int_equal(p11_read_pin(path, NULL, small, sizeof(small), &len), P11_ERR_PINSRC);
	write_file(path, "1234", 0600);
	assert_int_equal(p11_read_pin(path, NULL, small, sizeof(small), &len), P11_OK);
	assert_string_equal(small, "1234");
	write_file(path, "\n1234\n", 0600);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_ERR_PINSRC);
	write_file(path, "", 0600);
	assert_int_equal(p11_read_pin(path, NULL, pin, sizeof(pin), &len), P11_ERR_PINSRC);
	/* a missing file and a directory are errors, not a fallback to the environment */
	setenv("TEST_P11_PIN", "5555", 1);
	assert_int_equal(p11_read_pin("/nonexistent/pin", "TEST_P11_PIN", pin, sizeof(pin), &len),
	    P11_ERR_PINSRC);
	assert_int_equal(p11_read_pin(tmpdir, "TEST_P11_PIN", pin, sizeof(pin), &len),
	    P11_ERR_PINSRC);
	unlink(path);

	/* the environment: read, then removed */
	assert_int_equal(p11_read_pin(NULL, "TEST_P11_PIN", pin, sizeof(pin), &len), P11_OK);
	assert_string_equal(pin, "5555");
	assert_int_equal(len, 4);
	assert_null(getenv("TEST_P11_PIN"));
	setenv("TEST_P11_PIN", "123456", 1);
	assert_int_equal(p11_read_pin(NULL, "TEST_P11_PIN", small, sizeof(small), &len),
	    P11_ERR_PINSRC);
	assert_null(getenv("TEST_P11_PIN"));
	setenv("TEST_P11_PIN", "", 1);
	assert_int_equal(p11_read_pin(NULL, "TEST_P11_PIN", pin, sizeof(pin), &len),
	    P11_ERR_PINSRC);
	assert_int_equal(p11_read_pin(NULL, NULL, pin, 1, &len), P11_ERR_ARG);
}

/* Without a file, a set variable or a terminal there is no PIN source. */
static void
test_no_pin_source(void **state)
{
	char pin[64];
	size_t len;
	int fd;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd != -1) {
		close(fd);
		skip();
	}
	unsetenv("TEST_P11_PIN");
	assert_int_equal(p11_read_pin(NULL, "TEST_P11_PIN", pin, sizeof(pin), &len),
	    P11_ERR_PINSRC);
	assert_int_equal(p11_read_pin(NULL, NULL, pin, sizeof(pin), &len), P11_ERR_PINSRC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_login_errors),
		cmocka_unit_test(test_login_match),
		cmocka_unit_test(test_token_info),
		cmocka_unit_test(test_ec_p256),
		cmocka_unit_test(test_ec_p384),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_find_errors),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_max_loaded),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_read_pin),
		cmocka_unit_test(test_no_pin_source),
	};

	/* Many tests fail on purpose and log; TEST_VERBOSE=1 shows the messages. */
	log_init("test-p11", getenv("TEST_VERBOSE") != NULL ? LOG_DEBUG : -1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
