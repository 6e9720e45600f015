/*
 * verify-state.c: what the record says of each board, read twice: the log's own order (a board
 * accepted only after its serial, commitment and certificate; one PASS per chip and release)
 * and the tables against the log (each row has the entry that wrote it). See verify-int.h.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "verify-int.h"

/* ---- uniqueness and per-board order ---- */

enum { F_ALLOC = 1, F_PW = 2, F_CERT = 4, F_PASS = 8, F_WIFI = 16, F_MATTER = 32 };

/* The state flag of an onboarding credential kind, 0 for a kind this verifier does not know. */
static int64_t
cred_flag(const char *kind)
{
	return strcmp(kind, "wifi") == 0 ? F_WIFI : strcmp(kind, "matter") == 0 ? F_MATTER : 0;
}

/* The kinds of a list "wifi,matter" (F_WIFI|F_MATTER); -1 when it names another or is too long. */
static int64_t
cred_kinds(const char *list)
{
	char buf[64], *w, *save = NULL;
	int64_t k = 0;

	if (strlen(list) >= sizeof(buf))
		return -1;
	memcpy(buf, list, strlen(list) + 1);
	for (w = strtok_r(buf, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
		if (cred_flag(w) == 0)
			return -1;
		k |= cred_flag(w);
	}
	return k;
}

/* cert.issued names the credentials committed for its serial ("wifi,matter"): each must have
 * its credential.committed entry before it, and every kind the session's station.start
 * declared must be among them (S-33). */
static void
check_cert_creds(struct verify_result *r, const struct rec_entry *e, const char *list,
    int64_t have, int64_t declared)
{
	char d[256], c[80];
	int64_t k = cred_kinds(list);

	if (k < 0) {
		verify_problem(r, "%s: the certificate's credentials '%s' name an unknown kind",
		    verify_describe(e, d, sizeof(d)), verify_clean(list, c, sizeof(c)));
		return;
	}
	if ((k & have) != k)
		verify_problem(r, "%s: the certificate names %s credential, but no credential.committed "
		    "of that kind precedes it for that serial", verify_describe(e, d, sizeof(d)),
		    (k & ~have) == F_WIFI ? "the wifi" : (k & ~have) == F_MATTER ? "the matter" :
		    "a");
	if ((k & declared) != declared)
		verify_problem(r, "%s: the session's station.start declares %s credentials, but the "
		    "certificate names only '%s': a board certified without them",
		    verify_describe(e, d, sizeof(d)), declared == (F_WIFI | F_MATTER) ? "wifi and matter" :
		    declared == F_WIFI ? "wifi" : "matter", verify_clean(list, c, sizeof(c)));
}

static void
uniq(struct vmap *m, struct verify_result *r, const char *ns, const char *key, int64_t seq,
    const char *what)
{
	char k[80];
	int isnew = 0;
	int64_t *v;

	if (*key == '\0')
		return;
	if ((v = vmap_at(m, ns, key, &isnew)) == NULL)
		return;
	if (isnew)
		*v = seq;
	else
		verify_problem(r, "%s %s appears twice: entries/rows #%lld and #%lld", what,
		    verify_clean(key, k, sizeof(k)), (long long)*v, (long long)seq);
}

void
verify_log_entry(struct vctx *x, const struct rec_entry *e)
{
	struct vmap *m = x->mlog;
	struct verify_result *r = x->r;
	const struct vbody *b = &x->body;
	char d[256], key[2 * CAP_AUDIT_FIELD + 2];
	int64_t *st, flag = 0, need = 0;
	int isnew;

	if (x->stop_sem)
		return;
	/* S-27: a released chip may be provisioned again: its next board.verified and
	 * board.pass belong to a new generation of that product/chip. */
	if (strcmp(e->kind, "board.released") == 0) {
		snprintf(key, sizeof(key), "%s/%s", vbody_get(b, "product"), e->chip);
		if ((st = vmap_at(m, "released", key, &isnew)) == NULL) {
			x->stop_sem = 1;
			return;
		}
		*st = isnew ? 1 : *st + 1;
		return;
	}
	if (strcmp(e->kind, "station.start") == 0) {
		int64_t k = cred_kinds(vbody_get(b, "credentials"));

		if (k < 0)
			verify_problem(r, "%s: declares credentials of an unknown kind",
			    verify_describe(e, d, sizeof(d)));
		x->declared = k < 0 ? 0 : k;
		return;
	}
	if (*e->serial == '\0')
		return;
	/* uniq() may grow the map: look the board's state up only after it. */
	if (strcmp(e->kind, "serial.allocated") == 0) {
		uniq(m, r, "log.serial", e->serial, e->seq, "product serial (serial.allocated)");
		flag = F_ALLOC;
	} else if (strcmp(e->kind, "password.committed") == 0) {
		uniq(m, r, "log.pw", vbody_get(b, "commitment"), e->seq,
		    "password commitment (password.committed)");
		flag = F_PW;
	} else if (strcmp(e->kind, "credential.committed") == 0) {
		const char *kind = vbody_get(b, "kind");

		x->ncred++;
		if ((flag = cred_flag(kind)) == 0) {
			verify_problem(r, "%s: unknown credential kind '%s'", verify_describe(e, d,
			    sizeof(d)), verify_clean(kind, key, sizeof(key)));
			return;
		}
		snprintf(key, sizeof(key), "%s/%s", kind, vbody_get(b, "commitment"));
		uniq(m, r, "log.cred", key, e->seq, "credential commitment (credential.committed)");
		if (flag == F_WIFI)
			uniq(m, r, "log.ssid", vbody_get(b, "public"), e->seq,
			    "Wi-Fi SSID (credential.committed)");
		need = F_ALLOC;
	} else if (strcmp(e->kind, "cert.issued") == 0) {
		uniq(m, r, "log.pk", vbody_get(b, "pubkey_sha256"), e->seq,
		    "public key (cert.issued)");
		snprintf(key, sizeof(key), "%s/%s", vbody_get(b, "issuer"), vbody_get(b, "cert_serial"));
		uniq(m, r, "log.cs", key, e->seq, "certificate serial (cert.issued)");
		flag = F_CERT;
	} else if (strcmp(e->kind, "board.pass") == 0 || strcmp(e->kind, "board.verified") == 0) {
		int pass = e->kind[6] == 'p';
		int64_t g;

		snprintf(key, sizeof(key), "%s/%s", vbody_get(b, "product"), e->chip);
		/* the generation: the releases of the chip so far (looked up, never added) */
		g = vmap_get(m, "released", key);
		snprintf(key + strlen(key), sizeof(key) - strlen(key), "#%lld", (long long)g);
		/* One board.verified and one board.pass per device (and release) at most. */
		uniq(m, r, pass ? "log.dev" : "log.vdev", key, e->seq, pass ?
		    "chip ID of the product (board.pass)" : "chip ID of the product (board.verified)");
		uniq(m, r, pass ? "log.pass" : "log.vpass", e->serial, e->seq, pass ?
		    "product serial (board.pass)" : "product serial (board.verified)");
		flag = F_PASS;
		need = F_ALLOC | F_PW | F_CERT;
	}
	if (flag == 0)
		return;
	if ((st = vmap_at(m, "state", e->serial, &isnew)) == NULL) {
		x->stop_sem = 1;
		return;
	}
	if ((flag == F_WIFI || flag == F_MATTER) && ((*st & flag) || (*st & F_CERT)))
		verify_problem(r, "%s: a second credential of that kind, or one after the certificate, "
		    "for that serial", verify_describe(e, d, sizeof(d)));
	if (flag == F_CERT)
		check_cert_creds(r, e, vbody_get(b, "credentials"), *st, x->declared);
	if (flag == F_WIFI || flag == F_MATTER) {
		if (!(*st & F_ALLOC))
			verify_problem(r, "%s: a credential for a serial never allocated",
			    verify_describe(e, d, sizeof(d)));
	} else if ((*st & need) != need)
		verify_problem(r, "%s: board accepted without %s%s%sbefore it for that serial",
		    verify_describe(e, d, sizeof(d)), *st & F_ALLOC ? "" : "serial.allocated ",
		    *st & F_PW ? "" : "password.committed ", *st & F_CERT ? "" : "cert.issued ");
	*st |= flag;
}

/* ---- uniqueness in the tables, by sorting ---- */

/* The table checks hold every row already: a duplicate is found by sorting the rows by key,
 * not with a map entry per row (a million-device record has five such keys per device). */
#define NO_ROW ((size_t)-1)

struct rowkey {
	const char *k;
	size_t i;
};

static int
cmp_rowkey(const void *a, const void *b)
{
	const struct rowkey *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* first[i] = the first row (in row order) with row i's key when that is another row, else
 * NO_ROW; keys[i] NULL or "" is no key (uniq() skips it). NULL when out of memory. */
static size_t *
dup_first(const char *const *keys, size_t n)
{
	struct rowkey *rk = NULL;
	size_t *first = NULL, i, j, m = 0;

	if ((first = malloc((n ? n : 1) * sizeof(*first))) == NULL ||
	    (rk = malloc((n ? n : 1) * sizeof(*rk))) == NULL) {
		free(first);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		first[i] = NO_ROW;
		if (keys[i] != NULL && *keys[i] != '\0') {
			rk[m].k = keys[i];
			rk[m++].i = i;
		}
	}
	qsort(rk, m, sizeof(*rk), cmp_rowkey);
	for (i = 0; i < m; i = j)
		for (j = i + 1; j < m && strcmp(rk[j].k, rk[i].k) == 0; j++)
			first[rk[j].i] = rk[i].i;
	free(rk);
	return first;
}

/* Keys "a/b" cut as the map cut them (511 bytes), in one block (*mem, caller frees). */
static const char **
joined_keys(size_t n, const char *(*part)(const struct record *, size_t, int),
    const struct record *rc, char **mem)
{
	const char **k = malloc((n ? n : 1) * sizeof(*k));
	size_t i, total = 0, at = 0;
	char *p;

	*mem = NULL;
	if (k == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t l = strlen(part(rc, i, 0)) + 1 + strlen(part(rc, i, 1));
		total += (l > 2 * CAP_AUDIT_FIELD + 1 ? 2 * CAP_AUDIT_FIELD + 1 : l) + 1;
	}
	if ((p = malloc(total ? total : 1)) == NULL) {
		free(k);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		char key[2 * CAP_AUDIT_FIELD + 2];
		size_t l;

		snprintf(key, sizeof(key), "%s/%s", part(rc, i, 0), part(rc, i, 1));
		l = strlen(key) + 1;
		memcpy(p + at, key, l);
		k[i] = p + at;
		at += l;
	}
	*mem = p;
	return k;
}

static const char *
dev_part(const struct record *rc, size_t i, int second)
{
	return second ? rc->d[i].chip : rc->d[i].product;
}

static const char *
cert_part(const struct record *rc, size_t i, int second)
{
	return second ? rc->c[i].cert_serial : rc->c[i].issuer;
}

/* uniq() of row i: from first[] when the sort could be done, else with the map. */
static void
uniq_row(struct vmap *m, struct verify_result *r, const size_t *first, const char *ns,
    const char *key, size_t i, int64_t first_seq, int64_t seq, const char *what)
{
	char k[80];

	if (first == NULL) {
		uniq(m, r, ns, key, seq, what);
		return;
	}
	if (*key != '\0' && first[i] != NO_ROW)
		verify_problem(r, "%s %s appears twice: entries/rows #%lld and #%lld", what,
		    verify_clean(key, k, sizeof(k)), (long long)first_seq, (long long)seq);
}

static const char *
cred_commit_part(const struct record *rc, size_t i, int second)
{
	return second ? rc->cr[i].commitment : rc->cr[i].kind;
}

static const char *
cred_serial_part(const struct record *rc, size_t i, int second)
{
	return second ? rc->cr[i].serial : rc->cr[i].kind;
}

#define FIRST_SEQ(f, arr) ((f) != NULL && (f)[i] != NO_ROW ? (arr)[(f)[i]].seq : 0)
/* cred_commits (issue #16): kind/commitment, kind/serial and the Wi-Fi SSIDs unique; each row
 * has the credential.committed entry that wrote it, column by column; as many rows as entries
 * (a deleted row would let a later board reuse a secret). */
static void
verify_cred_rows(struct vctx *x)
{
	struct record *rc = x->rc;
	struct verify_result *r = x->r;
	const char **k1 = NULL, **k2 = NULL, **k3 = NULL;
	char *mem1 = NULL, *mem2 = NULL, c1[80], key[2 * CAP_AUDIT_FIELD + 2];
	size_t *f1 = NULL, *f2 = NULL, *f3 = NULL, i, n = rc->ncr;

	if ((k1 = joined_keys(n, cred_commit_part, rc, &mem1)) != NULL &&
	    (k2 = joined_keys(n, cred_serial_part, rc, &mem2)) != NULL &&
	    (k3 = malloc((n ? n : 1) * sizeof(*k3))) != NULL) {
		for (i = 0; i < n; i++)
			k3[i] = strcmp(rc->cr[i].kind, "wifi") == 0 ? rc->cr[i].public : "";
		if ((f1 = dup_first(k1, n)) == NULL || (f2 = dup_first(k2, n)) == NULL ||
		    (f3 = dup_first(k3, n)) == NULL) {
			free(f1), free(f2), free(f3);
			f1 = f2 = f3 = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		const struct rec_cred *c = &rc->cr[i];
		const struct rec_entry *e = verify_entry_at(rc, c->seq, &x->eb);
		int ok;

		snprintf(key, sizeof(key), "%s/%s", c->kind, c->commitment);
		uniq_row(x->m, r, f1, "t.cred", key, i, FIRST_SEQ(f1, rc->cr), c->seq,
		    "credential commitment in cred_commits");
		snprintf(key, sizeof(key), "%s/%s", c->kind, c->serial);
		uniq_row(x->m, r, f1 != NULL ? f2 : NULL, "t.credserial", key, i,
		    FIRST_SEQ(f2, rc->cr), c->seq, "credential kind of a serial in cred_commits");
		if (strcmp(c->kind, "wifi") == 0)
			uniq_row(x->m, r, f1 != NULL ? f3 : NULL, "t.ssid", c->public, i,
			    FIRST_SEQ(f3, rc->cr), c->seq, "Wi-Fi SSID in cred_commits");
		vbody_parse(&x->body2, e ? e->body : NULL);
		ok = e != NULL && strcmp(e->kind, "credential.committed") == 0 &&
		    strcmp(e->serial, c->serial) == 0 &&
		    strcmp(vbody_get(&x->body2, "kind"), c->kind) == 0 &&
		    strcmp(vbody_get(&x->body2, "commitment"), c->commitment) == 0 &&
		    strcmp(vbody_get(&x->body2, "public"), c->public) == 0;
		if (!ok)
			verify_problem(r, "%s credential of serial %s has no matching credential.committed "
			    "log entry #%lld: the cred_commits row was edited or inserted",
			    verify_clean(c->kind, key, sizeof(key)), verify_clean(c->serial, c1,
			    sizeof(c1)), (long long)c->seq);
	}
	if (!x->stop_sem && (int64_t)n != x->ncred)
		verify_problem(r, "the log has %lld credential.committed entries but cred_commits has "
		    "%zu rows: rows were deleted or inserted", (long long)x->ncred, n);
	free(f1), free(f2), free(f3), free(k1), free(k2), free(k3), free(mem1), free(mem2);
}
#undef FIRST_SEQ

void
verify_tables(struct vctx *x)
{
	struct record *rc = x->rc;
	struct vmap *m = x->m;
	struct verify_result *r = x->r;
	char key[2 * CAP_AUDIT_FIELD + 2], c1[80];
	const char **keys = NULL, **keys2 = NULL;
	size_t *f1 = NULL, *f2 = NULL, i, n;
	char *mem = NULL;

#define FIRST_SEQ(f, arr) ((f) != NULL && (f)[i] != NO_ROW ? (arr)[(f)[i]].seq : 0)
	/* devices: product/chip among the rows not released; serial */
	n = rc->nd;
	if ((keys = joined_keys(n, dev_part, rc, &mem)) != NULL &&
	    (keys2 = malloc((n ? n : 1) * sizeof(*keys2))) != NULL) {
		for (i = 0; i < n; i++) {
			if (strcmp(rc->d[i].status, "released") == 0)
				keys[i] = NULL;
			keys2[i] = rc->d[i].serial;
		}
		if ((f1 = dup_first(keys, n)) == NULL || (f2 = dup_first(keys2, n)) == NULL) {
			free(f1);
			f1 = NULL;
		}
	}
	for (i = 0; i < rc->nd; i++) {
		const struct rec_device *d = &rc->d[i];
		const struct rec_entry *e = verify_entry_at(rc, d->seq, &x->eb);

		snprintf(key, sizeof(key), "%s/%s", d->product, d->chip);
		/* A released row stays for the record; one row per chip is live (schema 6). */
		if (strcmp(d->status, "released") != 0)
			uniq_row(m, r, f1, "t.dev", key, i, FIRST_SEQ(f1, rc->d), d->seq,
			    "device (product/chip ID) in the devices table");
		if (*d->status && strcmp(d->status, "verified") != 0 && strcmp(d->status, "pass") != 0 &&
		    strcmp(d->status, "quarantined") != 0 && strcmp(d->status, "released") != 0)
			verify_problem(r, "device %s (serial %s) has the unknown status '%s': the devices row "
			    "was edited", verify_clean(d->chip, c1, sizeof(c1)), d->serial, d->status);
		uniq_row(m, r, f1 != NULL ? f2 : NULL, "t.dserial", d->serial, i,
		    FIRST_SEQ(f2, rc->d), d->seq, "product serial in the devices table");
		/* The device row is written with board.verified (before LOCK) or board.pass. */
		if (e == NULL || (strcmp(e->kind, "board.pass") != 0 &&
		                     strcmp(e->kind, "board.verified") != 0) || strcmp(e->chip, d->chip) != 0 ||
		    strcmp(e->serial, d->serial) != 0)
			verify_problem(r, "device %s (serial %s) has no matching board.verified/board.pass log entry #%lld: "
			    "the devices row was edited or inserted", verify_clean(d->chip, c1, sizeof(c1)),
			    d->serial, (long long)d->seq);
	}
	free(f1), free(f2), free(keys), free(keys2), free(mem);
	f1 = f2 = NULL, keys = keys2 = NULL, mem = NULL;
	/* serials: serial */
	n = rc->ns;
	if ((keys = malloc((n ? n : 1) * sizeof(*keys))) != NULL) {
		for (i = 0; i < n; i++)
			keys[i] = rc->s[i].serial;
		f1 = dup_first(keys, n);
	}
	for (i = 0; i < rc->ns; i++) {
		const struct rec_serial *s = &rc->s[i];
		const struct rec_entry *e = verify_entry_at(rc, s->seq, &x->eb);

		uniq_row(m, r, f1, "t.serial", s->serial, i, FIRST_SEQ(f1, rc->s), s->seq,
		    "product serial in the serials table");
		if (e == NULL || strcmp(e->kind, "serial.allocated") != 0 ||
		    strcmp(e->serial, s->serial) != 0 || strcmp(e->chip, s->chip) != 0)
			verify_problem(r, "serial %s has no matching serial.allocated log entry #%lld: the "
			    "serials row was edited or inserted", verify_clean(s->serial, c1, sizeof(c1)),
			    (long long)s->seq);
	}
	free(f1), free(keys);
	f1 = NULL, keys = NULL;
	/* certs: issuer/cert_serial; public key */
	n = rc->nc;
	if ((keys = joined_keys(n, cert_part, rc, &mem)) != NULL &&
	    (keys2 = malloc((n ? n : 1) * sizeof(*keys2))) != NULL) {
		for (i = 0; i < n; i++)
			keys2[i] = rc->c[i].pubkey;
		if ((f1 = dup_first(keys, n)) == NULL || (f2 = dup_first(keys2, n)) == NULL) {
			free(f1);
			f1 = NULL;
		}
	}
	for (i = 0; i < rc->nc; i++) {
		snprintf(key, sizeof(key), "%s/%s", rc->c[i].issuer, rc->c[i].cert_serial);
		uniq_row(m, r, f1, "t.cs", key, i, FIRST_SEQ(f1, rc->c), rc->c[i].seq,
		    "certificate serial in the certs table");
		uniq_row(m, r, f1 != NULL ? f2 : NULL, "t.pk", rc->c[i].pubkey, i,
		    FIRST_SEQ(f2, rc->c), rc->c[i].seq, "public key in the certs table");
	}
	free(f1), free(f2), free(keys), free(keys2), free(mem);
	f1 = f2 = NULL, keys = keys2 = NULL, mem = NULL;
	/* pw_commits: commitment; serial */
	n = rc->np;
	if ((keys = malloc((n ? n : 1) * sizeof(*keys))) != NULL &&
	    (keys2 = malloc((n ? n : 1) * sizeof(*keys2))) != NULL) {
		for (i = 0; i < n; i++) {
			keys[i] = rc->p[i].commitment;
			keys2[i] = rc->p[i].serial;
		}
		if ((f1 = dup_first(keys, n)) == NULL || (f2 = dup_first(keys2, n)) == NULL) {
			free(f1);
			f1 = NULL;
		}
	}
	for (i = 0; i < rc->np; i++) {
		const struct rec_pw *p = &rc->p[i];
		const struct rec_entry *e = verify_entry_at(rc, p->seq, &x->eb);
		int ok;

		uniq_row(m, r, f1, "t.pw", p->commitment, i, FIRST_SEQ(f1, rc->p), p->seq,
		    "password commitment in pw_commits");
		uniq_row(m, r, f1 != NULL ? f2 : NULL, "t.pwserial", p->serial, i,
		    FIRST_SEQ(f2, rc->p), p->seq, "serial in pw_commits");
		vbody_parse(&x->body2, e ? e->body : NULL);
		ok = e != NULL && strcmp(e->kind, "password.committed") == 0 &&
		    strcmp(e->serial, p->serial) == 0 &&
		    strcmp(vbody_get(&x->body2, "commitment"), p->commitment) == 0;
		if (!ok)
			verify_problem(r, "password commitment of serial %s has no matching password.committed "
			    "log entry #%lld: the pw_commits row was edited or inserted",
			    verify_clean(p->serial, c1, sizeof(c1)), (long long)p->seq);
	}
	free(f1), free(f2), free(keys), free(keys2);
	f1 = f2 = NULL, keys = keys2 = NULL;
	verify_cred_rows(x);
#undef FIRST_SEQ
}
