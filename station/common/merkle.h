/*
 * merkle.h: RFC 6962 / RFC 9162 Merkle tree hashing over leaf hashes (SHA-256).
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 * Split rule: the left subtree holds the largest power of two strictly below n (RFC 6962 §2.1).
 * Roots are computed iteratively (one pass, a stack of at most 64 subtree hashes); proofs follow
 * RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency). Every function returns 0 or a negative
 * MERKLE_ERR_* code and writes its outputs only on success.
 */
#ifndef MERKLE_H
#define MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH 32
/* A proof for a tree of at most 2^63 leaves never has more hashes than this. */
#define MERKLE_MAX_PROOF 128

enum merkle_rc {
	MERKLE_OK = 0,
	MERKLE_ERR_ARG = -1,   /* index/size out of range, proof too long, capacity too small */
	MERKLE_ERR_PROOF = -2, /* the proof does not verify */
	MERKLE_ERR_CRYPTO = -3 /* SHA-256 unavailable / out of memory in OpenSSL */
};

typedef uint8_t merkle_hash[MERKLE_HASH];

/* Leaf hash of entry bytes (len may be 0). */
int merkle_leaf_hash(const uint8_t *entry, size_t len, merkle_hash out);

/* Root (MTH) of the n leaf hashes leaves[0..n). n = 0 gives SHA-256(""). */
int merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out);

/* Roots of the prefixes leaves[0..sizes[i]) for every i, in one pass over the leaves.
 * sizes must be non-decreasing and each <= n; roots gets nsizes hashes. */
int merkle_prefix_roots(const merkle_hash *leaves, uint64_t n, const uint64_t *sizes,
    size_t nsizes, merkle_hash *roots);

/* The root of a tree whose leaves arrive one at a time (a verifier streaming a log): a stack
 * of at most 64 subtree hashes, O(log n) memory whatever the size. Zero-initialise, then
 * merkle_stream_init; merkle_stream_done releases it (also after a failed init; a zeroed or
 * done stream is a no-op). Each function returns 0 or MERKLE_ERR_CRYPTO. */
struct evp_md_ctx_st;
struct evp_md_st;
struct merkle_stream {
	merkle_hash h[65];
	unsigned n;
	uint64_t count;             /* leaves pushed */
	struct evp_md_ctx_st *ctx;  /* one digest context for every hash of the stream */
	struct evp_md_st *md;
};
int merkle_stream_init(struct merkle_stream *s);
/* Appends one leaf hash. */
int merkle_stream_push(struct merkle_stream *s, const merkle_hash leaf);
/* The root (MTH) of the s->count leaves pushed so far; the stream goes on unchanged. */
int merkle_stream_root(struct merkle_stream *s, merkle_hash out);
/* The leaf hash SHA-256(0x00 || parts[0] || ... || parts[n-1]) with the stream's context (no
 * allocation): for hashing entries as they are read. */
int merkle_stream_leaf(struct merkle_stream *s, const void *const *parts, const size_t *lens,
    size_t n, merkle_hash out);
void merkle_stream_done(struct merkle_stream *s);

/* Inclusion proof (RFC 6962 PATH) of leaf index in the tree of the first size leaves.
 * proof has room for cap hashes; *len gets the count. MERKLE_ERR_ARG if index >= size,
 * size > n... (the caller passes the leaves of that tree: n = size). */
int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t size, uint64_t index,
    merkle_hash *proof, size_t cap, size_t *len);
/* RFC 9162 §2.1.3.2: 0 when proof shows leaf at index in the tree of size with root. */
int merkle_inclusion_verify(uint64_t index, uint64_t size, const merkle_hash leaf,
    const merkle_hash *proof, size_t len, const merkle_hash root);

/* Consistency proof (RFC 6962 PROOF(m, D[n])) between the trees of the first m and n leaves
 * of leaves (0 < m <= n; m == n gives an empty proof). */
int merkle_consistency_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof, size_t cap, size_t *len);
/* RFC 9162 §2.1.4.2: 0 when proof shows the tree (m, root_m) is a prefix of (n, root_n).
 * m == n needs an empty proof and equal roots; m == 0 needs an empty proof. */
int merkle_consistency_verify(uint64_t m, uint64_t n, const merkle_hash root_m,
    const merkle_hash root_n, const merkle_hash *proof, size_t len);

const char *merkle_strerror(int rc);

#endif
