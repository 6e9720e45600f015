/*
 * verify-state.c: what the record says of each board, read twice: the log's own order (a board
 * accepted only after its serial, commitment and certificate; one PASS per chip and release)
 * and the tables against the log (each row has the entry that wrote it). See verify-int.h.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify-int.h"

/* ---- uniqueness and per-board order ---- */

enum { F_ALLOC = 1, F_PW = 2, F_CERT = 4, F_PASS = 8 };

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
	if ((*st & need) != need)
		verify_problem(r, "%s: board accepted without %s%s%sbefore it for that serial",
		    verify_describe(e, d, sizeof(d)), *st & F_ALLOC ? "" : "serial.allocated ",
		    *st & F_PW ? "" : "password.committed ", *st & F_CERT ? "" : "cert.issued ");
	*st |= flag;
}

void
verify_tables(struct vctx *x)
{
	struct record *rc = x->rc;
	struct vmap *m = x->m;
	struct verify_result *r = x->r;
	char key[2 * CAP_AUDIT_FIELD + 2], c1[80];
	size_t i;

	for (i = 0; i < rc->nd; i++) {
		const struct rec_device *d = &rc->d[i];
		const struct rec_entry *e = verify_entry_at(rc, d->seq, &x->eb);

		snprintf(key, sizeof(key), "%s/%s", d->product, d->chip);
		/* A released row stays for the record; one row per chip is live (schema 6). */
		if (strcmp(d->status, "released") != 0)
			uniq(m, r, "t.dev", key, d->seq, "device (product/chip ID) in the devices table");
		if (*d->status && strcmp(d->status, "verified") != 0 && strcmp(d->status, "pass") != 0 &&
		    strcmp(d->status, "quarantined") != 0 && strcmp(d->status, "released") != 0)
			verify_problem(r, "device %s (serial %s) has the unknown status '%s': the devices row "
			    "was edited", verify_clean(d->chip, c1, sizeof(c1)), d->serial, d->status);
		uniq(m, r, "t.dserial", d->serial, d->seq, "product serial in the devices table");
		/* The device row is written with board.verified (before LOCK) or board.pass. */
		if (e == NULL || (strcmp(e->kind, "board.pass") != 0 &&
		                     strcmp(e->kind, "board.verified") != 0) || strcmp(e->chip, d->chip) != 0 ||
		    strcmp(e->serial, d->serial) != 0)
			verify_problem(r, "device %s (serial %s) has no matching board.verified/board.pass log entry #%lld: "
			    "the devices row was edited or inserted", verify_clean(d->chip, c1, sizeof(c1)),
			    d->serial, (long long)d->seq);
	}
	for (i = 0; i < rc->ns; i++) {
		const struct rec_serial *s = &rc->s[i];
		const struct rec_entry *e = verify_entry_at(rc, s->seq, &x->eb);

		uniq(m, r, "t.serial", s->serial, s->seq, "product serial in the serials table");
		if (e == NULL || strcmp(e->kind, "serial.allocated") != 0 ||
		    strcmp(e->serial, s->serial) != 0 || strcmp(e->chip, s->chip) != 0)
			verify_problem(r, "serial %s has no matching serial.allocated log entry #%lld: the "
			    "serials row was edited or inserted", verify_clean(s->serial, c1, sizeof(c1)),
			    (long long)s->seq);
	}
	for (i = 0; i < rc->nc; i++) {
		snprintf(key, sizeof(key), "%s/%s", rc->c[i].issuer, rc->c[i].cert_serial);
		uniq(m, r, "t.cs", key, rc->c[i].seq, "certificate serial in the certs table");
		uniq(m, r, "t.pk", rc->c[i].pubkey, rc->c[i].seq, "public key in the certs table");
	}
	for (i = 0; i < rc->np; i++) {
		const struct rec_pw *p = &rc->p[i];
		const struct rec_entry *e = verify_entry_at(rc, p->seq, &x->eb);
		int ok;

		uniq(m, r, "t.pw", p->commitment, p->seq, "password commitment in pw_commits");
		uniq(m, r, "t.pwserial", p->serial, p->seq, "serial in pw_commits");
		vbody_parse(&x->body2, e ? e->body : NULL);
		ok = e != NULL && strcmp(e->kind, "password.committed") == 0 &&
		    strcmp(e->serial, p->serial) == 0 &&
		    strcmp(vbody_get(&x->body2, "commitment"), p->commitment) == 0;
		if (!ok)
			verify_problem(r, "password commitment of serial %s has no matching password.committed "
			    "log entry #%lld: the pw_commits row was edited or inserted",
			    verify_clean(p->serial, c1, sizeof(c1)), (long long)p->seq);
	}
}

