/*
 * verify-rows.c: every row of the tables the signer derives from the log, column by column
 * (issue #12). Each row names the entry that wrote it (its seq): the columns that entry
 * carries are compared with it; the status columns are rebuilt by replaying the later entries
 * that change them (hsm/record/registry*.c: board.verified, board.pass, board.fail,
 * board.quarantined, board.released, crash.recovered); counters are rebuilt from the
 * serial.allocated entries. An edit made with the triggers dropped shows here, named by table,
 * row and entry. See docs/auditor-guide.md "What verify checks, table by table".
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "verify-int.h"

enum { ST_NONE = 0, ST_ALLOCATED, ST_USED, ST_VOID, ST_ISSUED, ST_CONFIRMED, ST_VERIFIED, ST_PASS,
	ST_QUARANTINED, ST_RELEASED };

static const char *const st_name[] = { "", "allocated", "used", "void", "issued", "confirmed",
	"verified", "pass", "quarantined", "released" };

static int64_t *
at(struct vmap *m, const char *ns, const char *key)
{
	int isnew;

	return vmap_at(m, ns, key, &isnew);
}

static int64_t *
at_seq(struct vmap *m, const char *ns, int64_t seq)
{
	char k[24];

	snprintf(k, sizeof(k), "%lld", (long long)seq);
	return at(m, ns, k);
}

/* One column that disagrees with its entry: table, row key, column, both values, entry. */
static void
mismatch(struct verify_result *r, const char *table, const char *row, const char *col,
    const char *have, const char *want, int64_t seq)
{
	char k[80], h[80], w[80];

	verify_problem(r, "%s row %s: %s is '%s' but log entry #%lld says '%s': the row was edited",
	    table, verify_clean(row, k, sizeof(k)), col, verify_clean(have, h, sizeof(h)),
	    (long long)seq, verify_clean(want, w, sizeof(w)));
}

static void
check_col(struct verify_result *r, const char *table, const char *row, const char *col,
    const char *have, const char *want, int64_t seq)
{
	if (strcmp(have, want) != 0)
		mismatch(r, table, row, col, have, want, seq);
}

/* Replays one entry: statuses, the product of each serial, the count per product, and the
 * first serial.allocated of each product (for the counters). */
void
verify_replay_entry(struct vctx *x, const struct rec_entry *e)
{
	struct vmap *m = x->m;
	char key[2 * CAP_AUDIT_FIELD + 2];
	const char *product, *cs;
	int64_t *v, *w;
	int ok = 0;

	if (x->stop_rows)
		return;
	product = vbody_get(&x->body, "product");
	cs = vbody_get(&x->body, "cert_serial");
	/* The first entry naming a product for a serial (serial.allocated from now on). */
	if (*e->serial && *product) {
		if ((v = at(m, "r.sprod", e->serial)) == NULL)
			goto out;
		if (*v == 0)
			*v = e->seq + 1;
	}
	snprintf(key, sizeof(key), "%s/%s", product, e->chip);
	if (strcmp(e->kind, "serial.allocated") == 0) {
		int isnew;

		if ((v = at(m, "r.sst", e->serial)) == NULL)
			goto out;
		*v = ST_ALLOCATED;
		if (*product) {
			if ((v = at(m, "r.count", product)) == NULL)
				goto out;
			(*v)++;
		} else if ((v = at(m, "r.legacy", "serial.allocated")) != NULL)
			*v = 1; /* written before the entry named its product */
		/* counters: the first serial.allocated of each product, in log order */
		if ((v = vmap_at(m, "r.cfirst", product, &isnew)) == NULL)
			goto out;
		if (isnew) {
			if (x->ncp == x->cpcap) {
				size_t nc = x->cpcap ? x->cpcap * 2 : 16;
				char **np = realloc(x->cprod, nc * sizeof(*np));
				int64_t *ns;

				if (np == NULL)
					goto out;
				x->cprod = np;
				if ((ns = realloc(x->cseq, nc * sizeof(*ns))) == NULL)
					goto out;
				x->cseq = ns;
				x->cpcap = nc;
			}
			if ((x->cprod[x->ncp] = strdup(product)) == NULL)
				goto out;
			x->cseq[x->ncp++] = e->seq;
		}
	} else if (strcmp(e->kind, "cert.issued") == 0) {
		if ((v = at(m, "r.cst", cs)) == NULL)
			goto out;
		*v = ST_ISSUED;
	} else if (strcmp(e->kind, "board.verified") == 0) {
		if ((v = at(m, "r.sst", e->serial)) == NULL)
			goto out;
		*v = ST_USED;
		if ((v = at(m, "r.cst", cs)) == NULL)
			goto out;
		if (*v != ST_NONE)
			*v = ST_CONFIRMED;
		if ((v = at(m, "r.dlive", key)) == NULL)
			goto out;
		*v = e->seq + 1;
		if ((v = at_seq(m, "r.dst", e->seq)) == NULL)
			goto out;
		*v = ST_VERIFIED;
	} else if (strcmp(e->kind, "board.pass") == 0) {
		if ((w = at(m, "r.dlive", key)) == NULL)
			goto out;
		if (*w == 0) {
			/* Schema 1-2: the row was written with the pass. */
			*w = e->seq + 1;
			if ((v = at_seq(m, "r.dst", e->seq)) == NULL)
				goto out;
			*v = ST_PASS;
		} else {
			if ((v = at_seq(m, "r.dst", *w - 1)) == NULL)
				goto out;
			if (*v == ST_VERIFIED)
				*v = ST_PASS;
		}
	} else if (strcmp(e->kind, "board.fail") == 0 || strcmp(e->kind, "crash.recovered") == 0) {
		if (*e->serial) {
			if ((v = at(m, "r.sst", e->serial)) == NULL)
				goto out;
			if (*v == ST_ALLOCATED)
				*v = ST_VOID;
		}
		if (*cs) {
			if ((v = at(m, "r.cst", cs)) == NULL)
				goto out;
			if (*v == ST_ISSUED)
				*v = ST_VOID;
		}
	} else if (strcmp(e->kind, "board.quarantined") == 0 ||
	    strcmp(e->kind, "board.released") == 0) {
		int q = e->kind[6] == 'q';

		if ((w = at(m, "r.dlive", key)) == NULL)
			goto out;
		if (*w != 0) {
			if ((v = at_seq(m, "r.dst", *w - 1)) == NULL)
				goto out;
			if (q && *v == ST_VERIFIED)
				*v = ST_QUARANTINED;
			else if (!q && *v == ST_QUARANTINED) {
				*v = ST_RELEASED;
				*w = 0;
			}
		}
		if (q && *cs) {
			if ((v = at(m, "r.cst", cs)) == NULL)
				goto out;
			if (*v != ST_NONE)
				*v = ST_VOID;
		}
	}
	ok = 1;
out:
	if (!ok)
		x->stop_rows = 1;
}

/* The product the log gives a serial ("" when no entry names one); *seq is that entry. */
static const char *
serial_product(struct vctx *x, const char *serial, int64_t *seq, char *buf, size_t cap)
{
	const struct rec_entry *e;
	int64_t *v = at(x->m, "r.sprod", serial);
	struct vbody b;

	buf[0] = '\0';
	if (v == NULL || *v == 0 || (e = verify_entry_at(x->rc, *v - 1, &x->eb2)) == NULL)
		return buf;
	memset(&b, 0, sizeof(b));
	vbody_parse(&b, e->body);
	snprintf(buf, cap, "%s", vbody_get(&b, "product"));
	vbody_free(&b);
	*seq = e->seq;
	return buf;
}

static void
check_status(struct verify_result *r, struct vmap *m, const char *table, const char *row,
    const char *ns, const char *key, const char *have, int64_t seq)
{
	int64_t *v = at(m, ns, key);

	if (v == NULL || *v == ST_NONE || *have == '\0')
		return;
	if (strcmp(have, st_name[*v]) != 0)
		mismatch(r, table, row, "status", have, st_name[*v], seq);
}

void
verify_rows(struct vctx *x)
{
	struct record *rc = x->rc;
	struct vmap *m = x->m;
	struct verify_result *r = x->r;
	char prod[CAP_AUDIT_FIELD + 1], k[24], c1[80];
	size_t i;

	if (x->stop_rows) {
		verify_problem(r, "out of memory while rebuilding the tables from the log");
		return;
	}
	for (i = 0; i < rc->ns; i++) {
		const struct rec_serial *s = &rc->s[i];
		const struct rec_entry *e = verify_entry_at(rc, s->seq, &x->eb);
		int64_t ps = s->seq;

		if (e == NULL || strcmp(e->kind, "serial.allocated") != 0)
			continue; /* verify_tables names it */
		check_col(r, "serials", s->serial, "lot", s->lot, e->lot, e->seq);
		if (*serial_product(x, s->serial, &ps, prod, sizeof(prod)))
			check_col(r, "serials", s->serial, "product", s->product, prod, ps);
		check_status(r, m, "serials", s->serial, "r.sst", s->serial, s->status, s->seq);
	}
	for (i = 0; i < rc->nd; i++) {
		const struct rec_device *d = &rc->d[i];
		const struct rec_entry *e = verify_entry_at(rc, d->seq, &x->eb);
		char row[2 * CAP_AUDIT_FIELD + 2];
		struct vbody *b = &x->body2;

		if (e == NULL || (strcmp(e->kind, "board.verified") != 0 &&
		                     strcmp(e->kind, "board.pass") != 0))
			continue; /* verify_tables names it */
		snprintf(row, sizeof(row), "%s/%s", d->product, d->chip);
		vbody_parse(b, e->body);
		check_col(r, "devices", row, "product", d->product, vbody_get(b, "product"), e->seq);
		check_col(r, "devices", row, "lot", d->lot, e->lot, e->seq);
		check_col(r, "devices", row, "cert_serial", d->cert_serial,
		    vbody_get(b, "cert_serial"), e->seq);
		if (strcmp(e->kind, "board.verified") == 0) {
			check_col(r, "devices", row, "fw_version", d->fw_version,
			    vbody_get(b, "fw_version"), e->seq);
			check_col(r, "devices", row, "fw_digest", d->fw_digest,
			    vbody_get(b, "fw_sha256"), e->seq);
		}
		snprintf(k, sizeof(k), "%lld", (long long)d->seq);
		check_status(r, m, "devices", row, "r.dst", k, d->status, d->seq);
	}
	for (i = 0; i < rc->nc; i++) {
		const struct rec_cert *c = &rc->c[i];
		const struct rec_entry *e = verify_entry_at(rc, c->seq, &x->eb);
		char row[2 * CAP_AUDIT_FIELD + 2];
		const char *want;
		int64_t ps = c->seq;
		struct vbody *b = &x->body2;

		if (e == NULL || strcmp(e->kind, "cert.issued") != 0)
			continue; /* check_certs names it */
		snprintf(row, sizeof(row), "%s/%s", c->issuer, c->cert_serial);
		vbody_parse(b, e->body);
		check_col(r, "certs", row, "issuer", c->issuer, vbody_get(b, "issuer"), e->seq);
		check_col(r, "certs", row, "pubkey_sha256", c->pubkey,
		    vbody_get(b, "pubkey_sha256"), e->seq);
		check_col(r, "certs", row, "lot", c->lot, e->lot, e->seq);
		want = vbody_get(b, "product");
		if (*want)
			check_col(r, "certs", row, "product", c->product, want, e->seq);
		else if (*serial_product(x, c->serial, &ps, prod, sizeof(prod)))
			check_col(r, "certs", row, "product", c->product, prod, ps);
		check_status(r, m, "certs", row, "r.cst", c->cert_serial, c->status, c->seq);
	}
	/* counters: "serial:<product>" holds the number of serials allocated to it, minus one. */
	if (!rc->have_counters)
		return;
	{
		int64_t *legacy = at(m, "r.legacy", "serial.allocated");

		if (legacy != NULL && *legacy)
			return; /* the log predates products in serial.allocated: nothing to rebuild */
	}
	for (i = 0; i < rc->nn; i++) {
		const struct rec_counter *n = &rc->n[i];
		int64_t *v, *seen;

		if (strncmp(n->name, "serial:", 7) != 0) {
			verify_problem(r, "counters row %s: no log entry writes such a counter: the row "
			    "was inserted", verify_clean(n->name, c1, sizeof(c1)));
			continue;
		}
		if ((v = at(m, "r.count", n->name + 7)) == NULL || (seen = at(m, "r.cseen", n->name + 7)) == NULL)
			return;
		*seen = 1;
		if (*v == 0)
			verify_problem(r, "counters row %s: value %lld, but the log allocated no serial of "
			    "product '%s': the row was edited or inserted", verify_clean(n->name, c1,
			    sizeof(c1)), (long long)n->value, verify_clean(n->name + 7, prod, sizeof(prod)));
		else if (n->value != *v - 1)
			verify_problem(r, "counters row %s: value %lld, but the log holds %lld "
			    "serial.allocated entries for the product (value %lld): the row was edited",
			    verify_clean(n->name, c1, sizeof(c1)), (long long)n->value, (long long)*v,
			    (long long)(*v - 1));
	}
	/* Each product some serial.allocated names needs its row; the first such entry is named. */
	for (i = 0; i < x->ncp; i++) {
		int64_t *seen;

		snprintf(prod, sizeof(prod), "%s", x->cprod[i]);
		if ((seen = at(m, "r.cseen", prod)) == NULL)
			return;
		if (*seen == 0) {
			verify_problem(r, "counters: no row serial:%s, but log entry #%lld allocated a "
			    "serial of that product: the row was deleted", verify_clean(prod, c1,
			    sizeof(c1)), (long long)x->cseq[i]);
			*seen = 1;
		}
	}
}
