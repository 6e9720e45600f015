/* export.c: CSV, JSON and bundle exports; see export.h. */
#include "export.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "util.h"

/* n digits at s as a number, -1 when they are not all digits. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
export_parse_time(const char *in, char *out, size_t cap, char *why, size_t wcap)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = in;
	struct tm tm;
	time_t t;
	int y, mo, d, h, mi, sec, ms = 0, nf = 0, off = 0, oh, om;
	char b[32];

	if (strlen(in) < 10 || (y = digits(p, 4)) < 0 || p[4] != '-' || (mo = digits(p + 5, 2)) < 1 ||
	    mo > 12 || p[7] != '-' || (d = digits(p + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		goto bad;
	p += 10;
	if (*p == '\0') {
		if (snprintf(out, cap, "%.10s", in) >= (int)cap)
			goto bad;
		return 0;
	}
	if ((*p != 'T' && *p != 't' && *p != ' ') || (h = digits(p + 1, 2)) < 0 || h > 23 ||
	    p[3] != ':' || (mi = digits(p + 4, 2)) < 0 || mi > 59 || p[6] != ':' ||
	    (sec = digits(p + 7, 2)) < 0 || sec > 60)
		goto bad;
	p += 9;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nf++)
			if (nf < 3)
				ms = ms * 10 + (*p - '0');
		if (nf == 0)
			goto bad;
		for (; nf < 3; nf++)
			ms *= 10;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && (oh = digits(p + 1, 2)) >= 0 && oh <= 23 &&
	    p[3] == ':' && (om = digits(p + 4, 2)) >= 0 && om <= 59 && p[6] == '\0')
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	t = timegm(&tm) - off;
	if (gmtime_r(&t, &tm) == NULL || strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    snprintf(out, cap, "%s.%03dZ", b, ms) >= (int)cap)
		goto bad;
	return 0;
bad:
	snprintf(why, wcap, "is not an RFC 3339 date (2026-11-01) or date-time "
	    "(2026-11-01T08:00:00Z, 2026-11-01T09:00:00+01:00)");
	return -1;
}

/* RFC 4180: quote when the field holds a comma, quote, CR or LF (or edge spaces); double
 * quotes inside. */
static void
csv_field(FILE *f, const char *s, int last)
{
	size_t n = strlen(s);

	if (strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

static int
selected(const struct rec_entry *e, const struct export_opts *o)
{
	if (o->lot != NULL && strcmp(e->lot, o->lot) != 0)
		return 0;
	if (o->since != NULL && strcmp(e->time, o->since) < 0)
		return 0;
	if (o->until != NULL && strcmp(e->time, o->until) >= 0)
		return 0;
	return 1;
}

static json_t *
entry_json(const struct rec_entry *e, int verbatim)
{
	char hex[65];
	json_t *o, *b;

	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "seq", (json_int_t)e->seq, "time",
	    e->time, "station", e->station, "operator", e->op, "lot", e->lot, "kind", e->kind,
	    "chip_id", e->chip, "serial", e->serial, "leaf",
	    e->leaf_ok ? util_hex(e->leaf, 32, hex, sizeof(hex)) : "");
	if (o == NULL)
		return NULL;
	/* The bundle keeps the body text byte for byte (it is hashed); people get an object. */
	if (verbatim || (b = json_loads(e->body, 0, NULL)) == NULL)
		b = json_string(e->body);
	json_object_set_new(o, "body", b);
	return o;
}

static int
csv(const struct record *rc, const struct export_opts *o, FILE *f)
{
	static const char *const head[] = { "seq", "time", "station", "operator", "lot", "kind",
		"chip_id", "serial", "body", "leaf" };
	char num[24], hex[65];
	size_t i, k;

	for (k = 0; k < 10; k++)
		csv_field(f, head[k], k == 9);
	for (i = 0; i < rc->ne; i++) {
		const struct rec_entry *e = &rc->e[i];

		if (!selected(e, o))
			continue;
		snprintf(num, sizeof(num), "%lld", (long long)e->seq);
		csv_field(f, num, 0);
		csv_field(f, e->time, 0);
		csv_field(f, e->station, 0);
		csv_field(f, e->op, 0);
		csv_field(f, e->lot, 0);
		csv_field(f, e->kind, 0);
		csv_field(f, e->chip, 0);
		csv_field(f, e->serial, 0);
		csv_field(f, e->body, 0);
		csv_field(f, e->leaf_ok ? util_hex(e->leaf, 32, hex, sizeof(hex)) : "", 1);
	}
	return ferror(f) ? -1 : 0;
}

static int
dump(json_t *o, FILE *f)
{
	int r = o == NULL ? -1 : json_dumpf(o, f, JSON_INDENT(1) | JSON_ENSURE_ASCII);

	json_decref(o);
	fputc('\n', f);
	return r == 0 && !ferror(f) ? 0 : -1;
}

static int
people_json(const struct record *rc, const struct export_opts *o, FILE *f)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < rc->ne; i++)
		if (selected(&rc->e[i], o) && json_array_append_new(a, entry_json(&rc->e[i], 0)) != 0) {
			json_decref(a);
			return -1;
		}
	return dump(a, f);
}

static int
bundle(const struct record *rc, const struct export_opts *o, FILE *f)
{
	json_t *root = json_object(), *ents = json_array(), *certs = json_array();
	json_t *devs = json_array(), *sers = json_array(), *pws = json_array(), *cps = json_array();
	json_t *crs = json_array();
	char *hex = malloc(2 * CAP_CERT_DER + 1);
	size_t i;
	int bad = root == NULL || ents == NULL || certs == NULL || devs == NULL || sers == NULL ||
	    pws == NULL || cps == NULL || crs == NULL || hex == NULL;

	for (i = 0; !bad && i < rc->ne; i++)
		bad |= json_array_append_new(ents, entry_json(&rc->e[i], 1)) != 0;
	for (i = 0; !bad && i < rc->nc; i++) {
		const struct rec_cert *c = &rc->c[i];
		bad |= json_array_append_new(certs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
		    "issuer", c->issuer, "cert_serial", c->cert_serial, "product", c->product, "chip_id",
		    c->chip, "serial", c->serial, "lot", c->lot, "pubkey_sha256", c->pubkey, "status",
		    c->status, "seq", (json_int_t)c->seq, "der_hex",
		    c->der ? util_hex(c->der, c->derlen, hex, 2 * CAP_CERT_DER + 1) : "")) != 0;
	}
	for (i = 0; !bad && i < rc->nd; i++) {
		const struct rec_device *d = &rc->d[i];
		bad |= json_array_append_new(devs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
		    "product", d->product, "chip_id", d->chip, "serial", d->serial, "lot", d->lot,
		    "cert_serial", d->cert_serial, "fw_version", d->fw_version, "fw_digest",
		    d->fw_digest, "seq", (json_int_t)d->seq, "status", d->status)) != 0;
	}
	for (i = 0; !bad && i < rc->ns; i++) {
		const struct rec_serial *s = &rc->s[i];
		bad |= json_array_append_new(sers, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "serial",
		    s->serial, "product", s->product, "chip_id", s->chip, "lot", s->lot, "status",
		    s->status, "seq", (json_int_t)s->seq)) != 0;
	}
	for (i = 0; !bad && i < rc->np; i++)
		bad |= json_array_append_new(pws, json_pack("{s:s,s:s,s:I}", "commitment",
		    rc->p[i].commitment, "serial", rc->p[i].serial, "seq", (json_int_t)rc->p[i].seq)) != 0;
	for (i = 0; !bad && i < rc->ncr; i++)
		bad |= json_array_append_new(crs, json_pack("{s:s,s:s,s:s,s:s,s:I}", "kind",
		    rc->cr[i].kind, "commitment", rc->cr[i].commitment, "serial", rc->cr[i].serial,
		    "public", rc->cr[i].public, "seq", (json_int_t)rc->cr[i].seq)) != 0;
	for (i = 0; !bad && i < rc->nk; i++)
		bad |= json_array_append_new(cps, json_string(rc->k[i].note)) != 0;
	free(hex);
	if (bad) {
		json_decref(root), json_decref(ents), json_decref(certs), json_decref(devs);
		json_decref(sers), json_decref(pws), json_decref(cps), json_decref(crs);
		return -1;
	}
	json_object_set_new(root, "format", json_string("station-audit-bundle/1"));
	json_object_set_new(root, "entries", ents);
	json_object_set_new(root, "certs", certs);
	json_object_set_new(root, "devices", devs);
	json_object_set_new(root, "serials", sers);
	json_object_set_new(root, "pw_commits", pws);
	json_object_set_new(root, "cred_commits", crs);
	json_object_set_new(root, "checkpoints", cps);
	if (o->ca_pem != NULL)
		json_object_set_new(root, "ca_chain_pem", json_string(o->ca_pem));
	if (o->audit_key_pem != NULL)
		json_object_set_new(root, "audit_key_pem", json_string(o->audit_key_pem));
	return dump(root, f);
}

int
export_write(const struct record *rc, const struct export_opts *o, FILE *out)
{
	switch (o->format) {
	case EXPORT_CSV: return csv(rc, o, out);
	case EXPORT_JSON: return people_json(rc, o, out);
	case EXPORT_BUNDLE: return bundle(rc, o, out);
	default: return -1;
	}
}
