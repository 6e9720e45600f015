/*
 * view.c: the one operation on a line view that is not the engine's: a consistent copy.
 */
#include <stddef.h>
#include <string.h>

#include "view.h"

/* The copy below skips exactly the lock. */
_Static_assert(offsetof(struct line_view, lock) == 0, "the lock is the first field of a line view");

void
view_snapshot(struct line_view *dst, struct line_view *src)
{
	/* Everything after the lock, in one copy: the fields are plain data (no pointers). */
	const size_t off = offsetof(struct line_view, station);

	pthread_mutex_lock(&src->lock);
	memcpy((char *)dst + off, (const char *)src + off, sizeof(*dst) - off);
	pthread_mutex_unlock(&src->lock);
	if (dst->n > CAP_FIXTURES)
		dst->n = CAP_FIXTURES;
}
