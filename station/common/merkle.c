/* merkle.c: RFC 6962 / RFC 9162 Merkle trees; see merkle.h. */
#include "merkle.h"

#include <openssl/evp.h>
#include <string.h>

/* One digest context reused for every hash of a call: allocating a context per node would cost
 * more than the hash itself. */
struct hasher {
	EVP_MD_CTX *ctx;
	EVP_MD *md;
};

static int
hasher_init(struct hasher *h)
{
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (h->md == NULL || h->ctx == NULL) {
		EVP_MD_free(h->md);
		EVP_MD_CTX_free(h->ctx);
		return MERKLE_ERR_CRYPTO;
	}
	return MERKLE_OK;
}

static void
hasher_done(struct hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
}

static int
hash2(struct hasher *h, const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out)
{
	if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 || EVP_DigestUpdate(h->ctx, a, al) != 1 ||
	    (bl > 0 && EVP_DigestUpdate(h->ctx, b, bl) != 1) ||
	    EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
		return MERKLE_ERR_CRYPTO;
	return MERKLE_OK;
}

/* SHA-256(0x01 || l || r) into out (out may alias l or r). */
static int
node(struct hasher *h, const uint8_t *l, const uint8_t *r, uint8_t *out)
{
	uint8_t buf[1 + 2 * MERKLE_HASH];

	buf[0] = 0x01;
	memcpy(buf + 1, l, MERKLE_HASH);
	memcpy(buf + 1 + MERKLE_HASH, r, MERKLE_HASH);
	return hash2(h, buf, sizeof(buf), NULL, 0, out);
}

int
merkle_leaf_hash(const uint8_t *entry, size_t len, merkle_hash out)
{
	static const uint8_t zero = 0x00;
	struct hasher h;
	int r;

	if ((r = hasher_init(&h)) != 0)
		return r;
	r = hash2(&h, &zero, 1, entry, len, out);
	hasher_done(&h);
	return r;
}

static int
empty_root(struct hasher *h, merkle_hash out)
{
	return hash2(h, (const uint8_t *)"", 0, NULL, 0, out);
}

/*
 * The iterative root: after leaf i is pushed, the stack holds the roots of the perfect subtrees
 * given by the binary digits of i+1 (largest first). Merging while the count's low bits are 0
 * keeps that invariant; folding the stack right to left gives MTH, because RFC 6962's split
 * (largest power of two below n) is exactly that decomposition.
 */
struct stack {
	merkle_hash h[65];
	unsigned n;
};

/* The stack is sh[0..*sn) (room for 65): struct stack here, struct merkle_stream outside. */
static int
push_hash(struct hasher *h, merkle_hash *sh, unsigned *sn, const uint8_t *leaf, uint64_t count)
{
	int r;

	memcpy(sh[(*sn)++], leaf, MERKLE_HASH);
	for (; (count & 1) == 0; count >>= 1) {
		(*sn)--;
		if ((r = node(h, sh[*sn - 1], sh[*sn], sh[*sn - 1])) != 0)
			return r;
	}
	return MERKLE_OK;
}

static int
fold_hashes(struct hasher *h, const merkle_hash *sh, unsigned sn, merkle_hash out)
{
	merkle_hash acc;
	unsigned i;
	int r;

	if (sn == 0)
		return empty_root(h, out);
	memcpy(acc, sh[sn - 1], MERKLE_HASH);
	for (i = sn - 1; i-- > 0;)
		if ((r = node(h, sh[i], acc, acc)) != 0)
			return r;
	memcpy(out, acc, MERKLE_HASH);
	return MERKLE_OK;
}

static int
stack_push(struct hasher *h, struct stack *s, const uint8_t *leaf, uint64_t count)
{
	return push_hash(h, s->h, &s->n, leaf, count);
}

static int
stack_fold(struct hasher *h, const struct stack *s, merkle_hash out)
{
	return fold_hashes(h, s->h, s->n, out);
}

static int
root_with(struct hasher *h, const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	struct stack s;
	uint64_t i;
	int r;

	s.n = 0;
	for (i = 0; i < n; i++)
		if ((r = stack_push(h, &s, leaves[i], i + 1)) != 0)
			return r;
	return stack_fold(h, &s, out);
}

int
merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	struct hasher h;
	int r;

	if (n > 0 && leaves == NULL)
		return MERKLE_ERR_ARG;
	if ((r = hasher_init(&h)) != 0)
		return r;
	r = root_with(&h, leaves, n, out);
	hasher_done(&h);
	return r;
}

int
merkle_prefix_roots(const merkle_hash *leaves, uint64_t n, const uint64_t *sizes,
    size_t nsizes, merkle_hash *roots)
{
	struct hasher h;
	struct stack s;
	uint64_t i = 0;
	size_t k;
	int r;

	for (k = 0; k < nsizes; k++)
		if (sizes[k] > n || (k > 0 && sizes[k] < sizes[k - 1]))
			return MERKLE_ERR_ARG;
	if ((r = hasher_init(&h)) != 0)
		return r;
	s.n = 0;
	for (k = 0; k < nsizes; k++) {
		for (; i < sizes[k]; i++)
			if ((r = stack_push(&h, &s, leaves[i], i + 1)) != 0)
				goto out;
		if ((r = stack_fold(&h, &s, roots[k])) != 0)
			goto out;
	}
	r = MERKLE_OK;
out:
	hasher_done(&h);
	return r;
}

int
merkle_stream_init(struct merkle_stream *s)
{
	struct hasher h;
	int r;

	s->n = 0;
	s->count = 0;
	s->ctx = NULL;
	s->md = NULL;
	if ((r = hasher_init(&h)) != 0)
		return r;
	s->ctx = h.ctx;
	s->md = h.md;
	return MERKLE_OK;
}

int
merkle_stream_push(struct merkle_stream *s, const merkle_hash leaf)
{
	struct hasher h = { s->ctx, s->md };
	int r;

	if (s->ctx == NULL || s->n >= 64)
		return MERKLE_ERR_ARG; /* 2^64 leaves: never */
	if ((r = push_hash(&h, s->h, &s->n, leaf, s->count + 1)) != 0)
		return r;
	s->count++;
	return MERKLE_OK;
}

int
merkle_stream_root(struct merkle_stream *s, merkle_hash out)
{
	struct hasher h = { s->ctx, s->md };

	if (s->ctx == NULL)
		return MERKLE_ERR_ARG;
	return fold_hashes(&h, (const merkle_hash *)s->h, s->n, out);
}

int
merkle_stream_leaf(struct merkle_stream *s, const void *const *parts, const size_t *lens,
    size_t n, merkle_hash out)
{
	static const uint8_t zero = 0x00;
	size_t i;

	if (s->ctx == NULL)
		return MERKLE_ERR_ARG;
	if (EVP_DigestInit_ex(s->ctx, s->md, NULL) != 1 || EVP_DigestUpdate(s->ctx, &zero, 1) != 1)
		return MERKLE_ERR_CRYPTO;
	for (i = 0; i < n; i++)
		if (lens[i] > 0 && EVP_DigestUpdate(s->ctx, parts[i], lens[i]) != 1)
			return MERKLE_ERR_CRYPTO;
	return EVP_DigestFinal_ex(s->ctx, out, NULL) == 1 ? MERKLE_OK : MERKLE_ERR_CRYPTO;
}

void
merkle_stream_done(struct merkle_stream *s)
{
	EVP_MD_CTX_free(s->ctx);
	EVP_MD_free(s->md);
	s->ctx = NULL;
	s->md = NULL;
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* RFC 6962 §2.1.1 PATH(m, D[n]); hashes are appended leaf-side first. */
static int
path(struct hasher *h, const merkle_hash *d, uint64_t n, uint64_t m, merkle_hash *proof,
    size_t cap, size_t *len)
{
	uint64_t k;
	int r;

	if (n <= 1)
		return MERKLE_OK;
	k = split(n);
	if (m < k)
		r = path(h, d, k, m, proof, cap, len);
	else
		r = path(h, d + k, n - k, m - k, proof, cap, len);
	if (r != 0)
		return r;
	if (*len >= cap)
		return MERKLE_ERR_ARG;
	if (m < k)
		r = root_with(h, d + k, n - k, proof[*len]);
	else
		r = root_with(h, d, k, proof[*len]);
	if (r == 0)
		(*len)++;
	return r;
}

int
merkle_inclusion_proof(const merkle_hash *leaves, uint64_t size, uint64_t index,
    merkle_hash *proof, size_t cap, size_t *len)
{
	struct hasher h;
	size_t n = 0;
	int r;

	if (index >= size || leaves == NULL)
		return MERKLE_ERR_ARG;
	if ((r = hasher_init(&h)) != 0)
		return r;
	if ((r = path(&h, leaves, size, index, proof, cap, &n)) == 0)
		*len = n;
	hasher_done(&h);
	return r;
}

/* RFC 6962 §2.1.2 SUBPROOF(m, D[n], b). */
static int
subproof(struct hasher *h, const merkle_hash *d, uint64_t n, uint64_t m, int b,
    merkle_hash *proof, size_t cap, size_t *len)
{
	uint64_t k;
	int r;

	if (m == n) {
		if (b)
			return MERKLE_OK;
		if (*len >= cap)
			return MERKLE_ERR_ARG;
		if ((r = root_with(h, d, n, proof[*len])) == 0)
			(*len)++;
		return r;
	}
	k = split(n);
	if (m <= k) {
		r = subproof(h, d, k, m, b, proof, cap, len);
		if (r == 0 && *len >= cap)
			r = MERKLE_ERR_ARG;
		if (r == 0 && (r = root_with(h, d + k, n - k, proof[*len])) == 0)
			(*len)++;
	} else {
		r = subproof(h, d + k, n - k, m - k, 0, proof, cap, len);
		if (r == 0 && *len >= cap)
			r = MERKLE_ERR_ARG;
		if (r == 0 && (r = root_with(h, d, k, proof[*len])) == 0)
			(*len)++;
	}
	return r;
}

int
merkle_consistency_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof, size_t cap, size_t *len)
{
	struct hasher h;
	size_t k = 0;
	int r;

	if (m == 0 || m > n || leaves == NULL)
		return MERKLE_ERR_ARG;
	if (m == n) {
		*len = 0;
		return MERKLE_OK;
	}
	if ((r = hasher_init(&h)) != 0)
		return r;
	if ((r = subproof(&h, leaves, n, m, 1, proof, cap, &k)) == 0)
		*len = k;
	hasher_done(&h);
	return r;
}

static int
eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, MERKLE_HASH) == 0;
}

int
merkle_inclusion_verify(uint64_t index, uint64_t size, const merkle_hash leaf,
    const merkle_hash *proof, size_t len, const merkle_hash root)
{
	struct hasher h;
	merkle_hash r;
	uint64_t fn, sn;
	size_t i;
	int rc = MERKLE_ERR_PROOF;

	if (index >= size || len > MERKLE_MAX_PROOF)
		return MERKLE_ERR_PROOF;
	if ((rc = hasher_init(&h)) != 0)
		return rc;
	rc = MERKLE_ERR_PROOF;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, MERKLE_HASH);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			goto out;
		if ((fn & 1) || fn == sn) {
			if (node(&h, proof[i], r, r) != 0) {
				rc = MERKLE_ERR_CRYPTO;
				goto out;
			}
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (node(&h, r, proof[i], r) != 0) {
			rc = MERKLE_ERR_CRYPTO;
			goto out;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn == 0 && eq(r, root))
		rc = MERKLE_OK;
out:
	hasher_done(&h);
	return rc;
}

static int
is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

int
merkle_consistency_verify(uint64_t m, uint64_t n, const merkle_hash root_m,
    const merkle_hash root_n, const merkle_hash *proof, size_t len)
{
	struct hasher h;
	merkle_hash fr, sr;
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i, start;
	int rc;

	if (m > n || len > MERKLE_MAX_PROOF)
		return MERKLE_ERR_PROOF;
	if (m == n)
		return len == 0 && eq(root_m, root_n) ? MERKLE_OK : MERKLE_ERR_PROOF;
	if (m == 0)
		return len == 0 ? MERKLE_OK : MERKLE_ERR_PROOF;
	if (len == 0)
		return MERKLE_ERR_PROOF;
	if ((rc = hasher_init(&h)) != 0)
		return rc;
	rc = MERKLE_ERR_PROOF;
	/* RFC 9162 §2.1.4.2 step 2: when m is a power of two the old root starts the path. */
	if (is_pow2(m)) {
		memcpy(fr, root_m, MERKLE_HASH);
		start = 0;
	} else {
		memcpy(fr, proof[0], MERKLE_HASH);
		start = 1;
	}
	memcpy(sr, fr, MERKLE_HASH);
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (i = start; i < len; i++) {
		c = proof[i];
		if (sn == 0)
			goto out;
		if ((fn & 1) || fn == sn) {
			if (node(&h, c, fr, fr) != 0 || node(&h, c, sr, sr) != 0) {
				rc = MERKLE_ERR_CRYPTO;
				goto out;
			}
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (node(&h, sr, c, sr) != 0) {
			rc = MERKLE_ERR_CRYPTO;
			goto out;
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn == 0 && eq(fr, root_m) && eq(sr, root_n))
		rc = MERKLE_OK;
out:
	hasher_done(&h);
	return rc;
}

const char *
merkle_strerror(int rc)
{
	switch (rc) {
	case MERKLE_OK: return "success";
	case MERKLE_ERR_ARG: return "Merkle tree index or size out of range";
	case MERKLE_ERR_PROOF: return "Merkle proof does not verify";
	case MERKLE_ERR_CRYPTO: return "SHA-256 unavailable";
	default: return "unknown Merkle error";
	}
}
