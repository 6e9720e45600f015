/* verify-map.c: the string -> int64 map of the verifier; see verify-int.h. Keys live in one
 * arena and a slot is 8 bytes (arena offset and a hash tag), so a key costs its bytes and two
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
key_eq(const struct vmap *m, uint64_t k, const char *a, const char *b)
{
	const char *key = m->arena + ((k >> TAG_BITS) - 1);
	size_t la = strlen(a);

	return strncmp(key, a, la) == 0 && key[la] == '\x1f' && strcmp(key + la + 1, b) == 0;
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
	const char *sep = strchr(key, '\x1f');
	char a[64];
	size_t la = (size_t)(sep - key);

	memcpy(a, key, la);
	a[la] = '\0';
	return key_hash(a, sep + 1);
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
find(const struct vmap *m, const char *a, const char *b, uint64_t h, int *found)
{
	size_t j, mask = m->cap - 1;
	uint64_t tag = h >> (64 - TAG_BITS);

	for (j = home(h, log2_of(m->cap)); m->s[j].k != 0; j = (j + 1) & mask)
		if ((m->s[j].k & TAG_MASK) == tag && key_eq(m, m->s[j].k, a, b)) {
			*found = 1;
			return j;
		}
	*found = 0;
	return j;
}

/* The key (a, b) as "a\x1fb" held at most KEY_MAX bytes: a longer b is cut (two fields of
 * CAP_AUDIT_FIELD and a separator fit). */
#define KEY_MAX (2 * CAP_AUDIT_FIELD + 7)

int64_t *
vmap_at(struct vmap *m, const char *a, const char *b, int *isnew)
{
	char cut[KEY_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), need, j;
	uint64_t h;
	int found;

	if (la >= 64)
		return NULL; /* namespaces are ours */
	if (la + 1 + lb > KEY_MAX) {
		lb = KEY_MAX - la - 1;
		memcpy(cut, b, lb);
		cut[lb] = '\0';
		b = cut;
	}
	h = key_hash(a, b);
	if ((m->n + 1) * 2 > m->cap && vmap_grow(m) != 0)
		return NULL;
	j = find(m, a, b, h, &found);
	if (found) {
		*isnew = 0;
		return &m->s[j].v;
	}
	need = la + lb + 2;
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
	memcpy(m->arena + m->alen, a, la);
	m->arena[m->alen + la] = '\x1f';
	memcpy(m->arena + m->alen + la + 1, b, lb + 1);
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
	size_t j;
	int found;

	char cut[KEY_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (m->cap == 0 || la >= 64)
		return 0;
	if (la + 1 + lb > KEY_MAX) {
		lb = KEY_MAX - la - 1;
		memcpy(cut, b, lb);
		cut[lb] = '\0';
		b = cut;
	}
	j = find(m, a, b, key_hash(a, b), &found);
	return found ? m->s[j].v : 0;
}

void
vmap_free(struct vmap *m)
{
	free(m->s);
	free(m->arena);
	memset(m, 0, sizeof(*m));
}
