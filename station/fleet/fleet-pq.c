/* fleet-pq.c: libpq loaded at run time for the fleet commands; see fleet-pq.h. */
#define FLEET_PQ_IMPL
#include "fleet-pq.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct fleet_pq fleet_pq;

int
fleet_pq_load(char *why, size_t cap)
{
	static void *h;
	struct fleet_pq t;
	static const char *const names[] = { "PQconnectdbParams", "PQstatus", "PQerrorMessage",
		"PQfinish", "PQexec", "PQexecParams", "PQresultStatus", "PQclear", "PQntuples",
		"PQnfields", "PQgetisnull", "PQgetvalue", "PQgetlength" };
	void *sym[sizeof(names) / sizeof(names[0])];
	size_t i;

	_Static_assert(sizeof(t) == sizeof(sym), "one pointer per name, in order");
	if (fleet_pq.connectdbParams != NULL)
		return 0;
	if (h == NULL && (h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, cap, "the PostgreSQL client library libpq.so.5 cannot be loaded (install "
		    "Debian's libpq5): %s", dlerror());
		return -1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((sym[i] = dlsym(h, names[i])) == NULL) {
			snprintf(why, cap, "libpq.so.5 has no %s", names[i]);
			return -1;
		}
	/* object pointers to function pointers: POSIX dlsym's contract */
	memcpy(&t, sym, sizeof(t));
	fleet_pq = t;
	return 0;
}
