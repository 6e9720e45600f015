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
key_eq(const struct vmap *m, uint64_t s, const char *a, const char *b)
{
	const char *k = m->arena + ((s >> TAG_BITS) - 1);
	size_t la = strlen(a);

	return strncmp(k, a, la) == 0 && k[la] == '\x1f' && strcmp(k + la + 1, b) == 0;
}

static int
vmap_grow(struct vmap *m)
{
	uint64_t *ns;
	int64_t *nv;
	size_t nc = m->cap ? m->cap * 2 : 4096, i, mask = nc - 1;

	if ((ns = calloc(nc, sizeof(*ns))) == NULL || (nv = calloc(nc, sizeof(*nv))) == NULL) {
		free(ns);
		return -1;
	}
	for (i = 0; i < m->cap; i++)
		if (m->slot[i] != 0) {
			const char *k = m->arena + ((m->slot[i] >> TAG_BITS) - 1);
			const char *sep = strchr(k, '\x1f');
			char a[64];
			size_t j, la = (size_t)(sep - k);
			uint64_t h;

			/* the namespace is one of ours (short); the rest is the key */
			memcpy(a, k, la);
			a[la] = '\0';
			h = key_hash(a, sep + 1);
			for (j = h & mask; ns[j] != 0; j = (j + 1) & mask)
				;
			ns[j] = m->slot[i];
			nv[j] = m->v[i];
		}
	free(m->slot);
	free(m->v);
	m->slot = ns;
	m->v = nv;
	m->cap = nc;
	return 0;
}

static size_t
find(const struct vmap *m, const char *a, const char *b, uint64_t h, int *found)
{
	size_t j, mask = m->cap - 1;

	for (j = h & mask; m->slot[j] != 0; j = (j + 1) & mask)
		if ((m->slot[j] & TAG_MASK) == (h >> (64 - TAG_BITS)) && key_eq(m, m->slot[j], a, b)) {
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
		return &m->v[j];
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
	m->slot[j] = ((uint64_t)(m->alen + 1) << TAG_BITS) | (h >> (64 - TAG_BITS));
	m->alen += need;
	m->v[j] = 0;
	m->n++;
	*isnew = 1;
	return &m->v[j];
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
	return found ? m->v[j] : 0;
}

void
vmap_free(struct vmap *m)
{
	free(m->slot);
	free(m->v);
	free(m->arena);
	memset(m, 0, sizeof(*m));
}
