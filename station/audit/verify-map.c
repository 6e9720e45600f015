/* verify-map.c: the string -> int64 map of the verifier; see verify-int.h. Keys live in one
 * arena (a namespace number and the key's bytes) and a slot is two words (arena offset with a
 * hash tag, and the value), filled to at most 3/4, so a key costs its bytes and about three
 * words, not an allocation (a million-device record holds millions of them; issue #14). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "verify-int.h"

#define TAG_BITS 24
#define TAG_MASK ((1ULL << TAG_BITS) - 1)

/* FNV-1a over a, 0x1f, b, then a final mix (the low bits index the table). */
static uint64_t
key_hash(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a; a++)
		h = (h ^ (uint8_t)*a) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (uint8_t)*b) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static int
key_eq(const struct vmap *m, uint64_t k, unsigned id, const char *b)
{
	const char *key = m->arena + ((k >> TAG_BITS) - 1);

	return (unsigned char)key[0] == id && strcmp(key + 1, b) == 0;
}

/* The number of namespace a (1..63), added when new; 0 when there is no room (never: the
 * verifier has about twenty). */
static unsigned
ns_id(struct vmap *m, const char *a)
{
	unsigned i;

	for (i = 0; i < m->nns; i++)
		if (m->ns[i] == a)
			return i + 1;
	for (i = 0; i < m->nns; i++)
		if (strcmp(m->ns[i], a) == 0)
			return i + 1;
	if (m->nns >= 63)
		return 0;
	m->ns[m->nns++] = a;
	return m->nns;
}

static unsigned
ns_find(const struct vmap *m, const char *a)
{
	unsigned i;

	for (i = 0; i < m->nns; i++)
		if (m->ns[i] == a || strcmp(m->ns[i], a) == 0)
			return i + 1;
	return 0;
}

static unsigned
log2_of(size_t cap)
{
	unsigned b = 0;

	while (((size_t)1 << b) < cap)
		b++;
	return b;
}

/* The home slot of hash h in a table of 2^bits slots: its top bits, so that a table of at
 * most 2^TAG_BITS slots rehashes from the tags alone, without reading a key. */
static size_t
home(uint64_t h, unsigned bits)
{
	return bits == 0 ? 0 : (size_t)(h >> (64 - bits));
}

static uint64_t
slot_hash(const struct vmap *m, uint64_t k)
{
	const char *key = m->arena + ((k >> TAG_BITS) - 1);

	return key_hash(m->ns[(unsigned char)key[0] - 1], key + 1);
}

static int
vmap_grow(struct vmap *m)
{
	struct vmap_slot *ns;
	size_t nc = m->cap ? m->cap * 2 : 4096, i, j, mask = nc - 1;
	unsigned bits = log2_of(nc);

	if ((ns = calloc(nc, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < m->cap; i++)
		if (m->s[i].k != 0) {
			uint64_t h;

			if (bits <= TAG_BITS)
				h = (m->s[i].k & TAG_MASK) << (64 - TAG_BITS);
			else
				h = slot_hash(m, m->s[i].k);
			for (j = home(h, bits); ns[j].k != 0; j = (j + 1) & mask)
				;
			ns[j] = m->s[i];
		}
	free(m->s);
	m->s = ns;
	m->cap = nc;
	return 0;
}

static size_t
find(const struct vmap *m, unsigned id, const char *b, uint64_t h, int *found)
{
	size_t j, mask = m->cap - 1;
	uint64_t tag = h >> (64 - TAG_BITS);

	for (j = home(h, log2_of(m->cap)); m->s[j].k != 0; j = (j + 1) & mask)
		if ((m->s[j].k & TAG_MASK) == tag && key_eq(m, m->s[j].k, id, b)) {
			*found = 1;
			return j;
		}
	*found = 0;
	return j;
}

/* The key (a, b) as "a\x1fb" held at most KEY_MAX bytes: a longer b is cut (two fields of
 * CAP_AUDIT_FIELD and a separator fit). */
#define KEY_MAX (2 * CAP_AUDIT_FIELD + 7)

/* b cut as the key "a\x1fb" held at most KEY_MAX bytes (into cut); NULL for a namespace that
 * is not ours. */
static const char *
cut_key(const char *a, const char *b, char *cut)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 64)
		return NULL;
	if (la + 1 + lb > KEY_MAX) {
		lb = KEY_MAX - la - 1;
		memcpy(cut, b, lb);
		cut[lb] = '\0';
		return cut;
	}
	return b;
}

int64_t *
vmap_at(struct vmap *m, const char *a, const char *b, int *isnew)
{
	char cut[KEY_MAX + 1];
	size_t lb, need, j;
	unsigned id;
	uint64_t h;
	int found;

	if ((b = cut_key(a, b, cut)) == NULL || (id = ns_id(m, a)) == 0)
		return NULL;
	lb = strlen(b);
	h = key_hash(a, b);
	if ((m->n + 1) * 4 > m->cap * 3 && vmap_grow(m) != 0)
		return NULL;
	j = find(m, id, b, h, &found);
	if (found) {
		*isnew = 0;
		return &m->s[j].v;
	}
	need = lb + 2;
	if (m->alen + need > m->acap) {
		size_t nc = m->acap ? m->acap : 1 << 16;
		char *na;

		while (nc < m->alen + need)
			nc *= 2;
		if (nc >> (64 - TAG_BITS) != 0 || (na = realloc(m->arena, nc)) == NULL)
			return NULL;
		m->arena = na;
		m->acap = nc;
	}
	m->arena[m->alen] = (char)id;
	memcpy(m->arena + m->alen + 1, b, lb + 1);
	m->s[j].k = ((uint64_t)(m->alen + 1) << TAG_BITS) | (h >> (64 - TAG_BITS));
	m->s[j].v = 0;
	m->alen += need;
	m->n++;
	*isnew = 1;
	return &m->s[j].v;
}

int64_t
vmap_get(const struct vmap *m, const char *a, const char *b)
{
	char cut[KEY_MAX + 1];
	unsigned id;
	size_t j;
	int found;

	if (m->cap == 0 || (b = cut_key(a, b, cut)) == NULL || (id = ns_find(m, a)) == 0)
		return 0;
	j = find(m, id, b, key_hash(a, b), &found);
	return found ? m->s[j].v : 0;
}

void
vmap_free(struct vmap *m)
{
	free(m->s);
	free(m->arena);
	memset(m, 0, sizeof(*m));
}
