/* verify-map.c: the string -> int64 map of the verifier; see verify-int.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "verify-int.h"


static uint64_t
fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static int
vmap_grow(struct vmap *m)
{
	struct vmap nm;
	size_t i;

	nm.cap = m->cap ? m->cap * 2 : 4096;
	nm.n = m->n;
	if ((nm.k = calloc(nm.cap, sizeof(*nm.k))) == NULL ||
	    (nm.v = calloc(nm.cap, sizeof(*nm.v))) == NULL) {
		free(nm.k);
		return -1;
	}
	for (i = 0; i < m->cap; i++)
		if (m->k[i] != NULL) {
			size_t j = fnv(m->k[i]) & (nm.cap - 1);
			while (nm.k[j] != NULL)
				j = (j + 1) & (nm.cap - 1);
			nm.k[j] = m->k[i];
			nm.v[j] = m->v[i];
		}
	free(m->k);
	free(m->v);
	*m = nm;
	return 0;
}

int64_t *
vmap_at(struct vmap *m, const char *a, const char *b, int *isnew)
{
	char key[2 * CAP_AUDIT_FIELD + 8];
	size_t j;

	snprintf(key, sizeof(key), "%s\x1f%s", a, b);
	if ((m->n + 1) * 2 > m->cap && vmap_grow(m) != 0)
		return NULL;
	for (j = fnv(key) & (m->cap - 1); m->k[j] != NULL; j = (j + 1) & (m->cap - 1))
		if (strcmp(m->k[j], key) == 0) {
			*isnew = 0;
			return &m->v[j];
		}
	if ((m->k[j] = strdup(key)) == NULL)
		return NULL;
	m->v[j] = 0;
	m->n++;
	*isnew = 1;
	return &m->v[j];
}

void
vmap_free(struct vmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
}

