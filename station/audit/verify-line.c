/*
 * verify-line.c: quarantines and releases (docs/signer-protocol.md S-25..S-27) in the log and
 * the tables agree: every certificate a board.quarantined names is void (it is on the CRL); a
 * chip whose last quarantine is not followed by a release has its device row 'quarantined';
 * a board.released follows the hsm.login of an admin session. The tables are what the signer
 * and the CRL read; an edit that lifts a quarantine or takes a certificate off the CRL shows
 * here. (An insider who appends entries with their leaves can forge the login too; only a
 * checkpoint signed before and kept off the station shows that.)
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "verify-int.h"

/* Keeps an event for verify_quarantines; -1 when out of memory. */
static int
add_event(struct vctx *x, const struct rec_entry *e, const char *cs)
{
	char d[256];
	struct vqev *q;

	if (x->nqev == x->qevcap) {
		size_t nc = x->qevcap ? x->qevcap * 2 : 16;
		struct vqev *nq = realloc(x->qev, nc * sizeof(*nq));

		if (nq == NULL)
			return -1;
		x->qev = nq;
		x->qevcap = nc;
	}
	q = &x->qev[x->nqev];
	q->desc = strdup(verify_describe(e, d, sizeof(d)));
	q->cs = cs != NULL ? strdup(cs) : NULL;
	q->chip = strdup(e->chip);
	if (q->desc == NULL || (cs != NULL && q->cs == NULL) || q->chip == NULL) {
		free(q->desc), free(q->cs), free(q->chip);
		return -1;
	}
	x->nqev++;
	return 0;
}

/* The log, entry by entry: admin log-ins, releases, quarantines and the certificates they
 * name (checked against the certs table by verify_quarantines, in this order). */
void
verify_quarantine_entry(struct vctx *x, const struct rec_entry *e)
{
	struct vmap *m = x->m;
	const struct vbody *b = &x->body;
	char key[2 * CAP_AUDIT_FIELD + 2];
	const char *cs, *product;
	int64_t *v;
	int isnew;

	if (x->stop_q)
		return;
	if (strcmp(e->kind, "hsm.login") == 0) {
		x->admin |= strcmp(vbody_get(b, "mode"), "admin") == 0;
		return;
	}
	if (strcmp(e->kind, "board.quarantined") != 0 && strcmp(e->kind, "board.released") != 0)
		return;
	product = vbody_get(b, "product");
	snprintf(key, sizeof(key), "%s/%s", product, e->chip);
	if ((v = vmap_at(m, "q.state", key, &isnew)) == NULL) {
		x->stop_q = 1;
		return;
	}
	if (e->kind[6] == 'r') {
		if (!x->admin && add_event(x, e, NULL) != 0)
			x->stop_q = 1;
		*v = -1;
		if ((v = vmap_at(m, "q.nrel", key, &isnew)) != NULL)
			(*v)++;
		return;
	}
	*v = e->seq + 1;
	/* the last pass reads each board.quarantined again by its seq */
	if (x->nq == x->qcap) {
		size_t nc = x->qcap ? x->qcap * 2 : 64;
		int64_t *nq = realloc(x->qseq, nc * sizeof(*nq));

		if (nq == NULL) {
			x->stop_q = 1;
			return;
		}
		x->qseq = nq;
		x->qcap = nc;
	}
	x->qseq[x->nq++] = e->seq;
	cs = vbody_get(b, "cert_serial");
	if (*cs != '\0' && add_event(x, e, cs) != 0)
		x->stop_q = 1;
}

void
verify_quarantines_free(struct vctx *x)
{
	size_t i;

	for (i = 0; i < x->nqev; i++)
		free(x->qev[i].desc), free(x->qev[i].cs), free(x->qev[i].chip);
	free(x->qev);
	free(x->qseq);
	x->qev = NULL;
	x->qseq = NULL;
	x->nqev = x->qevcap = x->nq = x->qcap = 0;
}

void
verify_quarantines(struct vctx *x)
{
	struct record *rc = x->rc;
	struct vmap *m = x->m;
	struct verify_result *r = x->r;
	char key[2 * CAP_AUDIT_FIELD + 2], c1[80], c2[80], d[256];
	int64_t *v;
	size_t i;
	int isnew;

	if (x->stop_q)
		return;
	/* The certificate rows the quarantines name: the last row of each serial, by index + 1
	 * (only those serials are looked up). */
	for (i = 0; i < x->nqev; i++)
		if (x->qev[i].cs != NULL) {
			if ((v = vmap_at(m, "q.cert", x->qev[i].cs, &isnew)) == NULL)
				return;
			*v = -1; /* wanted; no row yet */
		}
	for (i = 0; i < rc->nc; i++)
		if (vmap_get(m, "q.cert", rc->c[i].cert_serial) != 0 &&
		    (v = vmap_at(m, "q.cert", rc->c[i].cert_serial, &isnew)) != NULL)
			*v = (int64_t)i + 1;
	for (i = 0; i < x->nqev; i++) {
		const struct vqev *q = &x->qev[i];
		int64_t c;

		if (q->cs == NULL) {
			verify_problem(r, "%s: a release with no admin session logged in before it: "
			    "forged", q->desc);
			continue;
		}
		c = vmap_get(m, "q.cert", q->cs);
		if (c <= 0)
			verify_problem(r, "%s names certificate %s, which the certs table does not "
			    "hold: its row was deleted", q->desc, verify_clean(q->cs, c1, sizeof(c1)));
		else if (strcmp(rc->c[c - 1].status, "void") != 0)
			verify_problem(r, "certificate %s of quarantined chip %s is '%s' in the certs "
			    "table, not void: it was taken off the CRL by an edit",
			    verify_clean(q->cs, c1, sizeof(c1)), verify_clean(q->chip, c2, sizeof(c2)),
			    rc->c[c - 1].status);
	}
	/* The live (not released) device row of each product/chip, by index + 1. */
	for (i = 0; i < rc->nd; i++) {
		const struct rec_device *dv = &rc->d[i];

		snprintf(key, sizeof(key), "%s/%s", dv->product, dv->chip);
		if (strcmp(dv->status, "released") == 0) {
			/* Each released row needs its own board.released in the log. */
			int64_t *nrel, *nrows;

			if ((nrows = vmap_at(m, "q.relrows", key, &isnew)) == NULL)
				return;
			(*nrows)++;
			if ((nrel = vmap_at(m, "q.nrel", key, &isnew)) == NULL)
				return;
			if (*nrows > *nrel)
				verify_problem(r, "device %s (serial %s) is 'released' in the devices table, "
				    "but the log holds fewer board.released entries for the chip: the row "
				    "was edited", verify_clean(dv->chip, c1, sizeof(c1)),
				    verify_clean(dv->serial, c2, sizeof(c2)));
			continue;
		}
		/* only the chips the log quarantined or released are looked up */
		if (vmap_get(m, "q.state", key) == 0)
			continue;
		if ((v = vmap_at(m, "q.row", key, &isnew)) == NULL)
			return;
		*v = (int64_t)i + 1;
	}
	/* Each chip quarantined and not released since: its row is there and says so. The last
	 * board.quarantined of a chip is the one its q.state names. */
	for (i = 0; i < x->nq; i++) {
		const struct rec_entry *e = verify_entry_at(rc, x->qseq[i], &x->eb);
		const struct rec_device *dv;
		int64_t *row;

		if (e == NULL || strcmp(e->kind, "board.quarantined") != 0)
			continue;
		vbody_parse(&x->body2, e->body);
		snprintf(key, sizeof(key), "%s/%s", vbody_get(&x->body2, "product"), e->chip);
		if ((v = vmap_at(m, "q.state", key, &isnew)) == NULL ||
		    (row = vmap_at(m, "q.row", key, &isnew)) == NULL)
			return;
		if (*v != e->seq + 1)
			continue; /* released since, or quarantined again later */
		if (*row == 0) {
			verify_problem(r, "%s: the chip has no device row any more (deleted, or its "
			    "product or chip changed): the devices table was edited",
			    verify_describe(e, d, sizeof(d)));
			continue;
		}
		dv = &rc->d[*row - 1];
		if (dv->seq < e->seq && strcmp(dv->status, "quarantined") != 0)
			verify_problem(r, "device %s (serial %s) is '%s' in the devices table, but the "
			    "log quarantined it (entry #%lld) and never released it: the row was edited",
			    verify_clean(dv->chip, c1, sizeof(c1)), verify_clean(dv->serial, c2,
			    sizeof(c2)), dv->status, (long long)e->seq);
	}
}
