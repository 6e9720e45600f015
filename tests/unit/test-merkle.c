/*
 * test-merkle.c: station/common/merkle.c against the RFC 6962 reference vectors (transparency-dev/merkle
 * testonly/constants.go, the certificate-transparency test data), and against a naive recursive
 * MTH/PATH/PROOF written straight from RFC 6962 §2.1 for every size 1..64, every index and every
 * (m, n) pair; altered proofs must fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

#define N 64

static const char *const INPUTS[] = { "", "00", "10", "2021", "3031", "40414243",
	"5051525354555657", "606162636465666768696a6b6c6d6e6f" };
static const char *const ROOTS[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static merkle_hash ref_leaves[8];

static void
ref_setup(void)
{
	uint8_t buf[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = helpers_hex(INPUTS[i], buf, sizeof(buf));
		assert_int_equal(merkle_leaf_hash(buf, n, ref_leaves[i]), 0);
	}
}

static void
test_vectors_roots(void **st)
{
	merkle_hash r, want;
	uint64_t n;

	ref_setup();
	for (n = 0; n <= 8; n++) {
		helpers_hex(ROOTS[n], want, MERKLE_HASH);
		assert_int_equal(merkle_root(ref_leaves, n, r), 0);
		assert_memory_equal(r, want, 32);
	}
}

/* Inclusion and consistency vectors of the same test data set. */
static void
test_vectors_proofs(void **st)
{
	static const struct {
		uint64_t index, size;
		const char *p[3];
		size_t n;
	} inc[] = {
		{ 0, 8, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }, 3 },
		{ 5, 8, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }, 3 },
	};
	static const struct {
		uint64_t m, n;
		const char *p[3];
		size_t np;
	} con[] = {
		{ 2, 8, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" }, 2 },
		{ 6, 8, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" }, 3 },
		{ 2, 5, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" }, 2 },
	};
	merkle_hash proof[MERKLE_MAX_PROOF], want[3], r1, r2;
	size_t i, j, len;

	ref_setup();
	for (i = 0; i < sizeof(inc) / sizeof(inc[0]); i++) {
		for (j = 0; j < inc[i].n; j++)
			helpers_hex(inc[i].p[j], want[j], MERKLE_HASH);
		assert_int_equal(merkle_inclusion_proof(ref_leaves, inc[i].size, inc[i].index, proof,
		    MERKLE_MAX_PROOF, &len), 0);
		assert_int_equal(len, inc[i].n);
		assert_memory_equal(proof, want, 32 * len);
		helpers_hex(ROOTS[inc[i].size], r1, MERKLE_HASH);
		assert_int_equal(merkle_inclusion_verify(inc[i].index, inc[i].size,
		    ref_leaves[inc[i].index], (const merkle_hash *)want, len, r1), 0);
	}
	for (i = 0; i < sizeof(con) / sizeof(con[0]); i++) {
		for (j = 0; j < con[i].np; j++)
			helpers_hex(con[i].p[j], want[j], MERKLE_HASH);
		assert_int_equal(merkle_consistency_proof(ref_leaves, con[i].n, con[i].m, proof,
		    MERKLE_MAX_PROOF, &len), 0);
		assert_int_equal(len, con[i].np);
		assert_memory_equal(proof, want, 32 * len);
		helpers_hex(ROOTS[con[i].m], r1, MERKLE_HASH);
		helpers_hex(ROOTS[con[i].n], r2, MERKLE_HASH);
		assert_int_equal(merkle_consistency_verify(con[i].m, con[i].n, r1, r2,
		    (const merkle_hash *)want, len), 0);
	}
}

/* Naive RFC 6962 §2.1, recursive, with its own hashing. */
static void
sha(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *c, size_t cl,
    uint8_t *out)
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	assert_non_null(x);
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, a, al);
	EVP_DigestUpdate(x, b, bl);
	EVP_DigestUpdate(x, c, cl);
	EVP_DigestFinal_ex(x, out, NULL);
	EVP_MD_CTX_free(x);
}

static uint64_t
k_of(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void
mth(const merkle_hash *d, uint64_t n, uint8_t *out)
{
	static const uint8_t one = 1;
	uint8_t l[32], r[32];
	uint64_t k;

	if (n == 0) {
		sha(NULL, 0, NULL, 0, NULL, 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], 32);
		return;
	}
	k = k_of(n);
	mth(d, k, l);
	mth(d + k, n - k, r);
	sha(&one, 1, l, 32, r, 32, out);
}

static void
naive_path(const merkle_hash *d, uint64_t n, uint64_t m, merkle_hash *p, size_t *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = k_of(n);
	if (m < k) {
		naive_path(d, k, m, p, len);
		mth(d + k, n - k, p[(*len)++]);
	} else {
		naive_path(d + k, n - k, m - k, p, len);
		mth(d, k, p[(*len)++]);
	}
}

static void
naive_sub(const merkle_hash *d, uint64_t n, uint64_t m, int b, merkle_hash *p, size_t *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			mth(d, n, p[(*len)++]);
		return;
	}
	k = k_of(n);
	if (m <= k) {
		naive_sub(d, k, m, b, p, len);
		mth(d + k, n - k, p[(*len)++]);
	} else {
		naive_sub(d + k, n - k, m - k, 0, p, len);
		mth(d, k, p[(*len)++]);
	}
}

static merkle_hash L[N];

static void
make_leaves(void)
{
	uint8_t e[2];
	int i;

	for (i = 0; i < N; i++) {
		e[0] = (uint8_t)i;
		e[1] = (uint8_t)(i * 7);
		assert_int_equal(merkle_leaf_hash(e, 2, L[i]), 0);
	}
}

static void
test_roots_all_sizes(void **st)
{
	merkle_hash a, b, pr[N + 1];
	uint64_t n, sizes[N + 1];

	make_leaves();
	for (n = 0; n <= N; n++) {
		assert_int_equal(merkle_root(L, n, a), 0);
		mth(L, n, b);
		assert_memory_equal(a, b, 32);
		sizes[n] = n;
	}
	assert_int_equal(merkle_prefix_roots(L, N, sizes, N + 1, pr), 0);
	for (n = 0; n <= N; n++) {
		mth(L, n, b);
		assert_memory_equal(pr[n], b, 32);
	}
	sizes[0] = 3;
	sizes[1] = 2;
	assert_int_equal(merkle_prefix_roots(L, N, sizes, 2, pr), MERKLE_ERR_ARG);
	sizes[0] = N + 1;
	assert_int_equal(merkle_prefix_roots(L, N, sizes, 1, pr), MERKLE_ERR_ARG);
}

/* The streaming root (the verifier's) equals the full computation and the naive MTH at every
 * size, powers of two and not, and its leaf hash equals merkle_leaf_hash over the joined parts. */
static void
test_stream_all_sizes(void **st)
{
	struct merkle_stream s;
	merkle_hash a, b, c;
	const void *parts[3];
	size_t lens[3];
	uint8_t e[2];
	uint64_t n;

	make_leaves();
	memset(&s, 0, sizeof(s));
	assert_int_equal(merkle_stream_init(&s), 0);
	assert_int_equal(merkle_stream_root(&s, a), 0);
	mth(L, 0, b);
	assert_memory_equal(a, b, 32);
	for (n = 1; n <= N; n++) {
		assert_int_equal(merkle_stream_push(&s, L[n - 1]), 0);
		assert_int_equal(s.count, n);
		assert_int_equal(merkle_stream_root(&s, a), 0);
		assert_int_equal(merkle_root(L, n, b), 0);
		mth(L, n, c);
		assert_memory_equal(a, b, 32);
		assert_memory_equal(a, c, 32);
	}
	e[0] = 0x41;
	e[1] = 0x42;
	parts[0] = e;
	lens[0] = 1;
	parts[1] = "";
	lens[1] = 0;
	parts[2] = e + 1;
	lens[2] = 1;
	assert_int_equal(merkle_stream_leaf(&s, parts, lens, 3, a), 0);
	assert_int_equal(merkle_leaf_hash(e, 2, b), 0);
	assert_memory_equal(a, b, 32);
	merkle_stream_done(&s);
	merkle_stream_done(&s); /* done twice: a no-op */
}

/* A larger stream against merkle_root at sizes around powers of two up to 2^16 + 3. */
static void
test_stream_large(void **st)
{
	enum { BIG = 65539 };
	merkle_hash *l = malloc(BIG * sizeof(*l)), a, b;
	struct merkle_stream s;
	uint64_t i;

	assert_non_null(l);
	for (i = 0; i < BIG; i++) {
		memset(l[i], 0, 32);
		memcpy(l[i], &i, sizeof(i));
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(merkle_stream_init(&s), 0);
	for (i = 0; i < BIG; i++) {
		uint64_t n = i + 1;

		assert_int_equal(merkle_stream_push(&s, l[i]), 0);
		if ((n & (n - 1)) == 0 || ((n + 1) & n) == 0 || ((n - 1) & (n - 2)) == 0 ||
		    n % 1000 == 7 || n == BIG) {
			assert_int_equal(merkle_stream_root(&s, a), 0);
			assert_int_equal(merkle_root(l, n, b), 0);
			assert_memory_equal(a, b, 32);
		}
	}
	merkle_stream_done(&s);
	free(l);
}

static void
test_inclusion_all(void **st)
{
	merkle_hash p[MERKLE_MAX_PROOF], q[MERKLE_MAX_PROOF], root, bad;
	uint64_t n, i;
	size_t len, nl, j;

	make_leaves();
	for (n = 1; n <= N; n++) {
		mth(L, n, root);
		for (i = 0; i < n; i++) {
			nl = 0;
			naive_path(L, n, i, q, &nl);
			assert_int_equal(merkle_inclusion_proof(L, n, i, p, MERKLE_MAX_PROOF, &len), 0);
			assert_int_equal(len, nl);
			assert_memory_equal(p, q, 32 * len);
			assert_int_equal(merkle_inclusion_verify(i, n, L[i], (const merkle_hash *)p, len,
			    root), 0);
			/* Wrong leaf, index, size (i), root, a flipped bit in each hash, short/long proof. */
			assert_int_not_equal(merkle_inclusion_verify(i, n, L[(i + 1) % N],
			    (const merkle_hash *)p, len, root), 0);
			if (n > 1) {
				assert_int_not_equal(merkle_inclusion_verify((i + 1) % n, n, L[i],
				    (const merkle_hash *)p, len, root), 0);
			}
			assert_int_not_equal(merkle_inclusion_verify(i, i, L[i],
			    (const merkle_hash *)p, len, root), 0);
			memcpy(bad, root, 32);
			bad[31] ^= 1;
			assert_int_not_equal(merkle_inclusion_verify(i, n, L[i],
			    (const merkle_hash *)p, len, bad), 0);
			for (j = 0; j < len; j++) {
				p[j][j % 32] ^= 0x40;
				assert_int_not_equal(merkle_inclusion_verify(i, n, L[i],
				    (const merkle_hash *)p, len, root), 0);
				p[j][j % 32] ^= 0x40;
			}
			if (len > 0)
				assert_int_not_equal(merkle_inclusion_verify(i, n, L[i],
				    (const merkle_hash *)p, len - 1, root), 0);
			memcpy(p[len], L[0], 32);
			assert_int_not_equal(merkle_inclusion_verify(i, n, L[i],
			    (const merkle_hash *)p, len + 1, root), 0);
		}
	}
	assert_int_equal(merkle_inclusion_proof(L, 4, 4, p, MERKLE_MAX_PROOF, &len), MERKLE_ERR_ARG);
	assert_int_equal(merkle_inclusion_proof(L, 64, 3, p, 2, &len), MERKLE_ERR_ARG);
}

static void
test_consistency_all(void **st)
{
	merkle_hash p[MERKLE_MAX_PROOF], q[MERKLE_MAX_PROOF], r1, r2;
	uint64_t n, m;
	size_t len, nl, j;

	make_leaves();
	for (n = 1; n <= N; n++) {
		mth(L, n, r2);
		for (m = 1; m <= n; m++) {
			mth(L, m, r1);
			nl = 0;
			if (m < n)
				naive_sub(L, n, m, 1, q, &nl);
			assert_int_equal(merkle_consistency_proof(L, n, m, p, MERKLE_MAX_PROOF, &len), 0);
			assert_int_equal(len, nl);
			assert_memory_equal(p, q, 32 * len);
			assert_int_equal(merkle_consistency_verify(m, n, r1, r2, (const merkle_hash *)p,
			    len), 0);
			if (m == n)
				continue;
			/* (A proof may also fit a neighbouring size with the same tree shape: the size is bound by
			 * the signed checkpoint, not by the proof.) Swapped roots, wrong old size, altered hashes, truncated proof. */
			assert_int_not_equal(merkle_consistency_verify(m, n, r2, r1,
			    (const merkle_hash *)p, len), 0);
			if (m > 1)
				assert_int_not_equal(merkle_consistency_verify(m - 1, n, r1, r2,
				    (const merkle_hash *)p, len), 0);
			for (j = 0; j < len; j++) {
				p[j][(j * 5) % 32] ^= 0x01;
				assert_int_not_equal(merkle_consistency_verify(m, n, r1, r2,
				    (const merkle_hash *)p, len), 0);
				p[j][(j * 5) % 32] ^= 0x01;
			}
			assert_int_not_equal(merkle_consistency_verify(m, n, r1, r2,
			    (const merkle_hash *)p, len - 1), 0);
		}
	}
	mth(L, 5, r1);
	assert_int_equal(merkle_consistency_verify(5, 5, r1, r1, NULL, 0), 0);
	mth(L, 6, r2);
	assert_int_not_equal(merkle_consistency_verify(5, 5, r1, r2, NULL, 0), 0);
	assert_int_not_equal(merkle_consistency_verify(6, 5, r1, r2, NULL, 0), 0);
	assert_int_equal(merkle_consistency_proof(L, 5, 0, p, MERKLE_MAX_PROOF, &len), MERKLE_ERR_ARG);
	assert_int_equal(merkle_consistency_proof(L, 5, 6, p, MERKLE_MAX_PROOF, &len), MERKLE_ERR_ARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_roots),
		cmocka_unit_test(test_vectors_proofs),
		cmocka_unit_test(test_roots_all_sizes),
		cmocka_unit_test(test_stream_all_sizes),
		cmocka_unit_test(test_stream_large),
		cmocka_unit_test(test_inclusion_all),
		cmocka_unit_test(test_consistency_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
