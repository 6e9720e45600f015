/*
 * test-note.c: station/common/note.c: checkpoint bodies, strict parsing of untrusted note text, and
 * signature verification (Ed25519, signed-note type 0x01, with the Go sumdb/note key-ID vector;
 * ECDSA P-256, type 0x02) with keys made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"

static EVP_PKEY *
newkey(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A signed checkpoint of (origin, size, root) by key. */
static void
make(EVP_PKEY *k, const char *origin, uint64_t size, char *out, size_t cap)
{
	uint8_t root[32], sig[128], id[4];
	char body[256];
	size_t bl, sl = sizeof(sig), nl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	memset(root, 0xab, sizeof(root));
	assert_int_equal(note_body(origin, size, root, body, sizeof(body), &bl), 0);
	/* Ed25519 signs the text itself; ECDSA signs its SHA-256. */
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)body, bl), 1);
	EVP_MD_CTX_free(md);
	assert_int_equal(note_key_id(k, origin, id), 0);
	assert_int_equal(note_assemble(body, origin, id, sig, sl, out, cap, &nl), 0);
	assert_int_equal(strlen(out), nl);
}

static void
test_roundtrip(void **st)
{
	struct note_checkpoint cp;
	EVP_PKEY *k = newkey(), *other = newkey();
	char n[1024], why[128];
	uint8_t root[32];

	memset(root, 0xab, 32);
	make(k, "station/line-1", 52, n, sizeof(n));
	assert_memory_equal(n, "station/line-1\n52\n", 18);
	assert_int_equal(note_parse(n, strlen(n), &cp, why, sizeof(why)), 0);
	assert_string_equal(cp.origin, "station/line-1");
	assert_int_equal(cp.size, 52);
	assert_memory_equal(cp.root, root, 32);
	assert_int_equal(cp.nsigs, 1);
	assert_int_equal(note_verify(n, &cp, k), 0);
	/* Another key: its name matches but its ID does not, so it is unknown: NOKEY. */
	assert_int_equal(note_verify(n, &cp, other), NOTE_ERR_NOKEY);
	/* Any change of the signed text breaks the signature. */
	n[16] = '3';
	assert_int_equal(note_parse(n, strlen(n), &cp, why, sizeof(why)), 0);
	assert_int_equal(note_verify(n, &cp, k), NOTE_ERR_SIG);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static EVP_PKEY *
newed(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(k);
	return k;
}

/* Key ID known answer: golang.org/x/mod/sumdb/note's example verifier key
 * "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW" (0x01 || public key). */
static void
test_ed25519_key_id_vector(void **st)
{
	static const char vkey[] = "ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	static const uint8_t want[4] = { 0xc7, 0x4f, 0x20, 0xa3 };
	uint8_t raw[40], id[4];
	EVP_PKEY *k;

	(void)st;
	assert_int_equal(note_b64dec(vkey, strlen(vkey), raw, sizeof(raw)), 33);
	assert_int_equal(raw[0], NOTE_SIG_ED25519);
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw + 1, 32);
	assert_non_null(k);
	assert_int_equal(note_key_id(k, "PeterNeumann", id), 0);
	assert_memory_equal(id, want, 4);
	/* The name is part of an Ed25519 key ID; an empty one is refused. */
	assert_int_equal(note_key_id(k, "PeterNeumann2", id), 0);
	assert_memory_not_equal(id, want, 4);
	assert_int_equal(note_key_id(k, "", id), NOTE_ERR_ARG);
	EVP_PKEY_free(k);
}

static void
test_ed25519_roundtrip(void **st)
{
	struct note_checkpoint cp;
	EVP_PKEY *k = newed(), *other = newed(), *ec = newkey();
	char n[1024], e[1024], why[128];

	(void)st;
	make(k, "station/line-1", 7, n, sizeof(n));
	assert_int_equal(note_parse(n, strlen(n), &cp, why, sizeof(why)), 0);
	assert_int_equal(cp.nsigs, 1);
	assert_int_equal(cp.sigs[0].sig_len, 64);
	assert_int_equal(note_verify(n, &cp, k), 0);
	assert_int_equal(note_verify(n, &cp, other), NOTE_ERR_NOKEY);
	assert_int_equal(note_verify(n, &cp, ec), NOTE_ERR_NOKEY);
	/* Type 0x02 is P-256 only: a P-384 key has no key ID and verifies nothing. */
	{
		EVP_PKEY *p384 = EVP_EC_gen("P-384");
		uint8_t kid[4];

		assert_non_null(p384);
		assert_int_equal(note_key_id(p384, "station/line-1", kid), NOTE_ERR_ARG);
		assert_int_equal(note_verify(n, &cp, p384), NOTE_ERR_ARG);
		EVP_PKEY_free(p384);
	}
	/* A signature of another size under this key's ID is a bad signature, not unknown. */
	cp.sigs[0].sig_len = 63;
	assert_int_equal(note_verify(n, &cp, k), NOTE_ERR_SIG);
	/* Changed text. */
	memcpy(e, n, sizeof(e));
	e[15] = '8';
	assert_int_equal(note_parse(e, strlen(e), &cp, why, sizeof(why)), 0);
	assert_int_equal(note_verify(e, &cp, k), NOTE_ERR_SIG);
	/* The key loads from PEM like the verifier's audit-key.pem. */
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *pem;
		long pl;
		EVP_PKEY *back;

		assert_non_null(b);
		assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
		pl = BIO_get_mem_data(b, &pem);
		back = note_load_pubkey_pem(pem, (size_t)pl);
		assert_non_null(back);
		assert_int_equal(note_parse(n, strlen(n), &cp, why, sizeof(why)), 0);
		assert_int_equal(note_verify(n, &cp, back), 0);
		EVP_PKEY_free(back);
		BIO_free(b);
	}
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ec);
}

static void
test_unknown_sigs_ignored(void **st)
{
	struct note_checkpoint cp;
	EVP_PKEY *k = newkey();
	char n[2048], extra[2300];

	make(k, "station/a", 1, n, sizeof(n));
	/* A foreign signature line first: ignored. */
	{
		char *sep = strstr(n, "\n\n");
		size_t head = (size_t)(sep - n) + 2;
		snprintf(extra, sizeof(extra), "%.*s\xe2\x80\x94 witness.example/w AAAAAAAAAAA=\n%s",
		    (int)head, n, n + head);
	}
	assert_int_equal(note_parse(extra, strlen(extra), &cp, NULL, 0), 0);
	assert_int_equal(cp.nsigs, 2);
	assert_int_equal(note_verify(extra, &cp, k), 0);
	EVP_PKEY_free(k);
}

static void
test_strict(void **st)
{
	static const char *const bad[] = {
		"",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",            /* no sig */
		"station/a\n01\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n-1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6t=\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\nx\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n- a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a+b AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAA\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=",
		"station/a\r\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/a\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80 a AAAAAAA=\n",
		"station/a\n99999999999999999999\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n",
		"station/\xc3\xa9\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n",
	};
	static const char good[] =
	    "station/a\n0\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 a AAAAAAA=\n";
	struct note_checkpoint cp;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (note_parse(bad[i], strlen(bad[i]), &cp, why, sizeof(why)) != NOTE_ERR_SYNTAX) {
			fprintf(stderr, "case %zu accepted\n", i);
			fail();
		}
		assert_true(i == 0 || why[0] != '\0');
	}
	assert_int_equal(note_parse(good, strlen(good), &cp, why, sizeof(why)), 0);
	assert_int_equal(cp.size, 0);
	/* Trailing/embedded NUL bytes within len are control characters. */
	assert_int_equal(note_parse(good, sizeof(good), &cp, why, sizeof(why)), NOTE_ERR_SYNTAX);
}

static void
test_origin_and_b64(void **st)
{
	char o[CAP_ORIGIN + 8], b[16];
	uint8_t d[8];

	assert_int_equal(note_origin("line-1", o, sizeof(o)), 0);
	assert_string_equal(o, "station/line-1");
	assert_int_equal(note_origin("line 1", o, sizeof(o)), NOTE_ERR_ARG);
	assert_int_equal(note_origin("a+b", o, sizeof(o)), NOTE_ERR_ARG);
	assert_int_equal(note_origin("", o, sizeof(o)), NOTE_ERR_ARG);
	assert_int_equal(note_b64enc((const uint8_t *)"fo", 2, b, sizeof(b)), 4);
	assert_string_equal(b, "Zm8=");
	assert_int_equal(note_b64dec("Zm8=", 4, d, sizeof(d)), 2);
	assert_int_equal(note_b64dec("Zm9=", 4, d, sizeof(d)), -1); /* non-zero pad bits */
	assert_int_equal(note_b64dec("Zm8", 3, d, sizeof(d)), -1);
	assert_int_equal(note_b64dec("Z=8=", 4, d, sizeof(d)), -1);
	assert_int_equal(note_b64dec("Zm9vYmFy", 8, d, 5), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ed25519_key_id_vector),
		cmocka_unit_test(test_ed25519_roundtrip),
		cmocka_unit_test(test_unknown_sigs_ignored),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_origin_and_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
