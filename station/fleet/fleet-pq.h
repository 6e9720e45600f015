/*
 * fleet-pq.h: libpq for `station fleet`, loaded at run time (dlopen) by the fleet commands only.
 * The board-facing `station` process must not map libpq: Debian's libpq pulls in LDAP, Kerberos
 * and GnuTLS, and GnuTLS pulls in p11-kit, a PKCS#11 loader (test-signer checks that `station`
 * links no PKCS#11 library; the HSM is the signer's alone). Files that include this header call
 * the PQ* functions they use through the table below, by their usual names.
 */
#ifndef FLEET_PQ_H
#define FLEET_PQ_H

#include <libpq-fe.h>
#include <stddef.h>

struct fleet_pq {
	PGconn *(*connectdbParams)(const char *const *, const char *const *, int);
	ConnStatusType (*status)(const PGconn *);
	char *(*errorMessage)(const PGconn *);
	void (*finish)(PGconn *);
	PGresult *(*exec)(PGconn *, const char *);
	PGresult *(*execParams)(PGconn *, const char *, int, const Oid *, const char *const *,
	    const int *, const int *, int);
	ExecStatusType (*resultStatus)(const PGresult *);
	void (*clear)(PGresult *);
	int (*ntuples)(const PGresult *);
	int (*nfields)(const PGresult *);
	int (*getisnull)(const PGresult *, int, int);
	char *(*getvalue)(const PGresult *, int, int);
	int (*getlength)(const PGresult *, int, int);
};

/* Filled by fleet_pq_load; all NULL before. */
extern struct fleet_pq fleet_pq;

/* Loads libpq.so.5 once (idempotent): 0, or -1 with why (not installed, or a symbol missing). */
int fleet_pq_load(char *why, size_t cap);

/* PQclear(NULL) is a no-op, also before libpq is loaded (an export's cursors). */
static inline void
fleet_pq_clear(PGresult *r)
{
	if (r != NULL)
		fleet_pq.clear(r);
}

#ifndef FLEET_PQ_IMPL
#define PQconnectdbParams (fleet_pq.connectdbParams)
#define PQstatus (fleet_pq.status)
#define PQerrorMessage (fleet_pq.errorMessage)
#define PQfinish (fleet_pq.finish)
#define PQexec (fleet_pq.exec)
#define PQexecParams (fleet_pq.execParams)
#define PQresultStatus (fleet_pq.resultStatus)
#define PQclear fleet_pq_clear
#define PQntuples (fleet_pq.ntuples)
#define PQnfields (fleet_pq.nfields)
#define PQgetisnull (fleet_pq.getisnull)
#define PQgetvalue (fleet_pq.getvalue)
#define PQgetlength (fleet_pq.getlength)
#endif

#endif
