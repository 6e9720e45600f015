/* registry-lot.c: lots and the start of a run in the record; see registry.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"
#include "registry-int.h"
#include "util.h"

int
reg_lot_closed(struct audit *a, const char *lot, int *closed, char *when, size_t wcap)
{
	const char *args[] = { lot, NULL };
	sqlite3_stmt *st = NULL;
	int r;

	*closed = 0;
	if ((r = reg_prep(a, "SELECT time FROM log WHERE kind='lot.closed' AND lot=? ORDER BY seq LIMIT 1",
	         &st, args)) != 0)
		return r;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*closed = 1;
		if (when != NULL)
			reg_copy_col(st, 0, when, wcap);
	} else if (r != SQLITE_DONE)
		return reg_st_fail(a, st, "reading the lot's state");
	audit_finalize(a, st);
	return AUDIT_OK;
}

int
reg_station_start(struct audit *a, const struct audit_who *w, const char *profile,
    const char *digest_hex, const char *credentials)
{
	char last[80] = "";
	sqlite3_stmt *st = NULL;
	json_t *body;
	int r, x;

	if ((r = audit_begin(a)) != 0)
		return r;
	r = reg_prep(a, "SELECT json_extract(body,'$.profile_sha256') FROM log WHERE kind='station.start' "
	            "ORDER BY seq DESC LIMIT 1", &st, NULL);
	if (r == 0) {
		if ((x = sqlite3_step(st)) == SQLITE_ROW) {
			reg_copy_col(st, 0, last, sizeof(last));
			audit_finalize(a, st);
		} else if (x == SQLITE_DONE)
			audit_finalize(a, st);
		else
			r = reg_st_fail(a, st, "reading the last station.start");
	}
	if (r == 0 && last[0] != '\0' && strcmp(last, digest_hex) != 0) {
		body = json_pack("{s:s,s:s,s:s}", "profile", profile, "from_sha256", last, "to_sha256",
		    digest_hex);
		r = body ? audit_append(a, w, "profile.changed", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	if (r == 0) {
		body = json_pack("{s:s,s:s}", "profile", profile, "profile_sha256", digest_hex);
		if (body != NULL && credentials != NULL && *credentials != '\0')
			json_object_set_new(body, "credentials", json_string(credentials));
		r = body ? audit_append(a, w, "station.start", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return reg_finish(a, r);
}

int
reg_lot_open(struct audit *a, const struct audit_who *w, unsigned long quota)
{
	const char *args[] = { w->lot, NULL };
	unsigned long n = 0;
	json_t *body;
	int r;

	if ((r = audit_begin(a)) != 0)
		return r;
	r = reg_count(a, "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot=?", args, &n);
	if (r == 0 && n == 0) {
		body = json_pack("{s:I}", "quota", (json_int_t)quota);
		r = body ? audit_append(a, w, "lot.opened", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return reg_finish(a, r);
}

int
reg_lot_summary(struct audit *a, const char *lot, struct reg_lot_summary *s)
{
	const char *args[] = { lot, NULL };
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = reg_count(a, "SELECT COUNT(*) FROM certs WHERE lot=?", args, &s->certs)) != 0 ||
	    (r = reg_count(a, "SELECT COUNT(*) FROM certs WHERE lot=? AND status='void'", args,
	         &s->certs_void)) != 0 ||
	    (r = reg_count(a, "SELECT COUNT(*) FROM devices WHERE lot=? AND status='pass'", args,
	         &s->devices_pass)) != 0 ||
	    (r = reg_count(a, "SELECT COUNT(*) FROM devices WHERE lot=? AND status='verified'", args,
	         &s->devices_verified)) != 0 ||
	    (r = reg_count(a, "SELECT COUNT(*) FROM log WHERE kind='board.fail' AND lot=?", args,
	         &s->failures)) != 0)
		return r;
	return AUDIT_OK;
}

int
reg_lot_close(struct audit *a, const struct audit_who *w, unsigned long quota,
    struct reg_lot_summary *s)
{
	json_t *body;
	int closed = 0, r;

	if ((r = audit_begin(a)) != 0)
		return r;
	if ((r = reg_lot_closed(a, w->lot, &closed, NULL, 0)) == 0 && closed)
		r = AUDIT_ERR_CONSTRAINT;
	if (r == 0)
		r = reg_lot_summary(a, w->lot, s);
	if (r == 0) {
		body = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "quota", (json_int_t)quota,
		    "certificates", (json_int_t)s->certs, "certificates_void", (json_int_t)s->certs_void,
		    "devices_pass", (json_int_t)s->devices_pass, "devices_verified",
		    (json_int_t)s->devices_verified, "failures", (json_int_t)s->failures);
		r = body ? audit_append(a, w, "lot.closed", NULL, NULL, body, NULL) : AUDIT_ERR_NOMEM;
		json_decref(body);
	}
	return reg_finish(a, r);
}

int
reg_lot_opened(struct audit *a, const char *lot, int *opened)
{
	const char *args[] = { lot, NULL };
	unsigned long n = 0;
	int r;

	if ((r = reg_count(a, "SELECT COUNT(*) FROM log WHERE kind='lot.opened' AND lot=?", args, &n)) != 0)
		return r;
	*opened = n > 0;
	return AUDIT_OK;
}
