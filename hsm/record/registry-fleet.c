/* registry-fleet.c: what the local record holds of the fleet registry's leases (docs/fleet.md):
 * fleet.lease entries, and where a product's serial counter stands; see registry.h. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "registry-int.h"
#include "registry.h"

int
reg_serial_next(struct audit *a, const char *product, int64_t *n)
{
	char name[128];
	const char *args[] = { name, NULL };
	sqlite3_stmt *st = NULL;
	int r, sr;

	snprintf(name, sizeof(name), "serial:%s", product);
	if ((r = reg_prep(a, "SELECT value FROM counters WHERE name=?", &st, args)) != 0)
		return r;
	sr = sqlite3_step(st);
	if (sr == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0);

		/* the counter holds the count of serials allocated minus one */
		if (v < 0) {
			audit_finalize(a, st);
			log_error("the serial counter of %s is negative: the record was edited; run "
			    "`station audit verify`", product);
			return AUDIT_ERR_CORRUPT;
		}
		*n = v + 2;
	} else if (sr == SQLITE_DONE)
		*n = 1;
	else
		return reg_st_fail(a, st, "reading the serial counter");
	audit_finalize(a, st);
	return AUDIT_OK;
}

int
reg_fleet_leases(struct audit *a, int (*fn)(void *ctx, const struct reg_lease *l), void *ctx)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	int r, sr;

	if ((r = reg_prep(a, "SELECT seq, time, body FROM log WHERE kind='fleet.lease' ORDER BY seq",
	         &st, NULL)) != 0)
		return r;
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 2);
		const char *time = (const char *)sqlite3_column_text(st, 1);
		struct reg_lease l;
		json_t *j = body ? json_loads(body, JSON_REJECT_DUPLICATES, &jerr) : NULL;
		const char *kind = json_string_value(json_object_get(j, "kind"));
		const char *scope = json_string_value(json_object_get(j, "scope"));
		json_t *first = json_object_get(j, "first"), *count = json_object_get(j, "count");
		json_t *ttl = json_object_get(j, "ttl_s"), *id = json_object_get(j, "lease");

		memset(&l, 0, sizeof(l));
		if (kind == NULL || scope == NULL || strlen(scope) >= sizeof(l.scope) || time == NULL ||
		    strlen(time) >= sizeof(l.time) || !json_is_integer(first) ||
		    !json_is_integer(count) || !json_is_integer(ttl) || !json_is_integer(id) ||
		    json_integer_value(first) < 0 || json_integer_value(count) <= 0 ||
		    json_integer_value(ttl) <= 0 ||
		    (strcmp(kind, "serials") != 0 && strcmp(kind, "quota") != 0)) {
			log_error("log entry #%lld (fleet.lease) is malformed: the record was edited; run "
			    "`station audit verify`", (long long)sqlite3_column_int64(st, 0));
			json_decref(j);
			audit_finalize(a, st);
			return AUDIT_ERR_CORRUPT;
		}
		l.quota = strcmp(kind, "quota") == 0;
		memcpy(l.scope, scope, strlen(scope) + 1);
		memcpy(l.time, time, strlen(time) + 1);
		l.id = json_integer_value(id);
		l.first = json_integer_value(first);
		l.count = json_integer_value(count);
		l.ttl_s = json_integer_value(ttl);
		json_decref(j);
		if ((r = fn(ctx, &l)) != 0) {
			audit_finalize(a, st);
			return r;
		}
	}
	if (sr != SQLITE_DONE)
		return reg_st_fail(a, st, "reading the fleet leases");
	audit_finalize(a, st);
	return AUDIT_OK;
}
