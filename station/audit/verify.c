/* verify.c: offline verification of the audit record; see verify.h. */
#include "verify.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit-entry.h"
#include "caps.h"
#include "merkle.h"
#include "note.h"
#include "record.h"
#include "util.h"
#include "verify-int.h"

/* Every message leaves the verifier as printable ASCII: it quotes the record's strings (and
 * the checkpoint notes'), and an edited serial must not reach the auditor's terminal as an
 * escape sequence, whatever path formatted it (issue #12). */
static char *
scrub(char *s)
{
	char *p;

	for (p = s; p != NULL && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return s;
}

/* Keeps text among the first CAP_VERIFY_PROBLEMS in (phase, arrival) order: the one pass
 * over the log runs several checks side by side, and each keeps its place in the report. When
 * the list is full, a problem of an earlier phase takes the place of the last one of the latest
 * phase held. Returns 0 when kept (s is then owned by r). */
static int
keep(char **list, unsigned char *ph, size_t *n, int phase, char *s)
{
	size_t i, at = *n, worst = 0;

	if (*n >= CAP_VERIFY_PROBLEMS) {
		for (i = 0; i < *n; i++)
			if (ph[i] >= ph[worst])
				worst = i; /* the last of the latest phase */
		if (ph[worst] <= phase)
			return -1;
		free(list[worst]);
		memmove(list + worst, list + worst + 1, (*n - worst - 1) * sizeof(*list));
		memmove(ph + worst, ph + worst + 1, (*n - worst - 1) * sizeof(*ph));
		(*n)--;
	}
	/* after the last of the same or an earlier phase */
	for (at = *n; at > 0 && ph[at - 1] > phase; at--)
		;
	memmove(list + at + 1, list + at, (*n - at) * sizeof(*list));
	memmove(ph + at + 1, ph + at, (*n - at) * sizeof(*ph));
	list[at] = s;
	ph[at] = (unsigned char)phase;
	(*n)++;
	return 0;
}

void
verify_problem(struct verify_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	r->nproblems_all++;
	r->phase_all[r->phase & 15]++;
	if (r->nproblems >= CAP_VERIFY_PROBLEMS &&
	    r->problem_phase[r->nproblems - 1] <= r->phase)
		return; /* cheap exit: nothing later in the report is held */
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL && keep(r->problems, r->problem_phase, &r->nproblems, r->phase, scrub(s)) != 0)
		free(s);
}

static void __attribute__((format(printf, 2, 3)))
warning(struct verify_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (r->nwarnings >= CAP_VERIFY_PROBLEMS &&
	    r->warning_phase[r->nwarnings - 1] <= r->phase)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL && keep(r->warnings, r->warning_phase, &r->nwarnings, r->phase, scrub(s)) != 0)
		free(s);
}

void
verify_result_free(struct verify_result *r)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i]);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	r->nproblems = r->nwarnings = 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- helpers ---- */

static int
read_small(const char *path, char **out)
{
	uint8_t *b = NULL;
	size_t n = 0;

	if (util_read_file(path, CAP_PEM, &b, &n) != 0)
		return -1;
	if ((*out = realloc(b, n + 1)) == NULL) {
		free(b);
		return -1;
	}
	(*out)[n] = '\0';
	return 0;
}

static int
cmp_seq(const void *a, const void *b)
{
	const struct rec_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- checkpoints ---- */

struct cpt {
	char src[CAP_PATH + 32];
	uint64_t size;
	uint8_t root[32];
	int ok; /* parsed and signature verified */
};

static int
cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static int
cmp_cpt(const void *a, const void *b)
{
	const struct cpt *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Parses and verifies one note; fills c. */
static void
check_note(struct verify_result *r, const char *text, struct cpt *c, EVP_PKEY *key,
    const char *want_origin, struct note_checkpoint *cp)
{
	char why[160];
	int v;

	c->ok = 0;
	if (note_parse(text, strlen(text), cp, why, sizeof(why)) != NOTE_OK) {
		verify_problem(r, "checkpoint %s is not a valid checkpoint: %s", c->src, why);
		return;
	}
	c->size = cp->size;
	memcpy(c->root, cp->root, 32);
	if (want_origin[0] && strcmp(cp->origin, want_origin) != 0)
		warning(r, "checkpoint %s names log '%s', not '%s'", c->src, cp->origin, want_origin);
	if ((v = note_verify(text, cp, key)) != NOTE_OK) {
		verify_problem(r, "checkpoint %s: %s (key name %s)", c->src,
		    v == NOTE_ERR_NOKEY ? "no signature by the audit key" :
		    "signature does not verify with the audit key: forged or altered", cp->origin);
		return;
	}
	c->ok = 1;
}

/* The checkpoints to check: every stored one and every --checkpoint file, parsed and their
 * signatures verified before the pass over the log, which records the root at each size. */
struct cps {
	struct cpt *c;
	size_t nc;
	uint64_t *sizes;      /* the sizes of the verified ones, ascending */
	merkle_hash *roots;   /* the recomputed root at each (filled by the pass) */
	size_t nv, next;      /* next: the first size the pass has not reached */
	int none;             /* no checkpoint at all, or no key: reported, nothing to compare */
};

static void
cps_free(struct cps *p)
{
	free(p->c);
	free(p->sizes);
	free(p->roots);
}

/* Phase VP_CHECKPOINTS, first half. -1 when out of memory. */
static int
cps_prepare(const struct verify_opts *o, struct record *rc, const char *origin, EVP_PKEY *key,
    struct verify_result *r, struct cps *p)
{
	struct note_checkpoint *cp = NULL;
	struct cpt *c = NULL;
	size_t nc = 0, i, total = rc->nk + o->ncheckpoints;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (total == 0) {
		verify_problem(r, "no signed checkpoint: nothing proves the log was not rewritten as a "
		    "whole; run 'station audit checkpoint' and keep the checkpoint files off the station");
		p->none = 1;
		return 0;
	}
	if (key == NULL) {
		verify_problem(r, "no audit public key to check the checkpoints with (give --audit-key)");
		p->none = 1;
		return 0;
	}
	if ((cp = malloc(sizeof(*cp))) == NULL || (c = calloc(total, sizeof(*c))) == NULL)
		goto out;
	for (i = 0; i < rc->nk; i++) {
		struct rec_checkpoint *k = &rc->k[i];

		snprintf(c[nc].src, sizeof(c[nc].src), "stored #%zu", i);
		check_note(r, k->note, &c[nc], key, origin, cp);
		if (c[nc].ok && (k->size != (int64_t)c[nc].size || !k->root_ok ||
		                    memcmp(k->root, c[nc].root, 32) != 0)) {
			verify_problem(r, "checkpoint %s: its size/root columns disagree with its signed note",
			    c[nc].src);
			c[nc].ok = 0;
		}
		nc++;
	}
	for (i = 0; i < o->ncheckpoints; i++) {
		char *text = NULL;
		uint8_t *b = NULL;
		size_t n = 0;

		snprintf(c[nc].src, sizeof(c[nc].src), "%s", o->checkpoints[i]);
		if (util_read_file(o->checkpoints[i], CAP_NOTE, &b, &n) != 0 ||
		    (text = realloc(b, n + 1)) == NULL) {
			free(b);
			verify_problem(r, "cannot read checkpoint file %s (missing, or larger than a checkpoint)",
			    o->checkpoints[i]);
			nc++;
			continue;
		}
		text[n] = '\0';
		if (strlen(text) != n)
			verify_problem(r, "checkpoint %s holds a NUL byte", c[nc].src);
		else
			check_note(r, text, &c[nc], key, origin, cp);
		free(text);
		nc++;
	}
	/* The pass records the root at every verified size; sizes past the end of the log are
	 * found after it (truncation). */
	if ((p->sizes = calloc(nc ? nc : 1, sizeof(*p->sizes))) == NULL ||
	    (p->roots = calloc(nc ? nc : 1, sizeof(*p->roots))) == NULL)
		goto out;
	for (i = 0; i < nc; i++)
		if (c[i].ok)
			p->sizes[p->nv++] = c[i].size;
	qsort(p->sizes, p->nv, sizeof(*p->sizes), cmp_u64);
	p->c = c;
	p->nc = nc;
	c = NULL;
	ret = 0;
out:
	free(cp);
	free(c);
	return ret;
}

/* The root of the first s->count leaves is due for every verified size equal to it. */
static int
cps_reached(struct cps *p, struct merkle_stream *s)
{
	merkle_hash root;
	int have = 0;

	while (p->next < p->nv && p->sizes[p->next] == s->count) {
		if (!have && merkle_stream_root(s, root) != 0)
			return -1;
		have = 1;
		memcpy(p->roots[p->next++], root, 32);
	}
	return 0;
}

/* The recomputed root at size (a verified size the pass reached), NULL if none. */
static const uint8_t *
cps_root(const struct cps *p, uint64_t size)
{
	size_t lo = 0, hi = p->next;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->sizes[mid] < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->next && p->sizes[lo] == size ? p->roots[lo] : NULL;
}

/* Phase VP_CHECKPOINTS, second half: after the pass, ne entries. */
static void
cps_finish(struct cps *p, size_t ne, struct verify_result *r)
{
	struct cpt *c = p->c;
	size_t nc = p->nc, i;
	uint64_t good = 0;
	int have_good = 0;

	if (p->none)
		return;
	/* Truncation first: a checkpoint larger than the log. Deleting the newest entries with
	 * their checkpoint rows leaves a database consistent with itself; only a checkpoint kept
	 * elsewhere (--checkpoint) shows it, and says how many went (issue #12). */
	for (i = 0; i < nc; i++)
		if (c[i].ok && c[i].size > ne) {
			uint64_t gone = c[i].size - ne;
			char range[80]; /* 20 + 20 + 20 digits and the words */

			if (gone == 1)
				snprintf(range, sizeof(range), "1 entry: #%zu", ne);
			else
				snprintf(range, sizeof(range), "%llu entries: #%zu..#%llu",
				    (unsigned long long)gone, ne, (unsigned long long)(c[i].size - 1));
			verify_problem(r, "the log has %zu entries but checkpoint %s covers %llu: entries were "
			    "removed (%s)", ne, c[i].src, (unsigned long long)c[i].size, range);
			if (gone > r->removed)
				r->removed = gone;
			c[i].ok = 0;
		}
	qsort(c, nc, sizeof(*c), cmp_cpt);
	for (i = 0; i < nc; i++) {
		const uint8_t *root;

		if (!c[i].ok)
			continue;
		if ((root = cps_root(p, c[i].size)) == NULL) {
			verify_problem(r, "cannot compute the tree roots");
			return;
		}
		if (memcmp(root, c[i].root, 32) == 0) {
			if (!have_good || c[i].size > good)
				good = c[i].size;
			have_good = 1;
			continue;
		}
		/* Localise: the largest good checkpoint below this one bounds the altered range. */
		{
			/* sorted by size: good is the largest verified size below this one */
			uint64_t lo;

			lo = have_good ? good : 0;
			verify_problem(r, "checkpoint %s (size %llu) does not match the log: an entry in #%llu..#%llu "
			    "was altered, or entries were removed, reordered or inserted there",
			    c[i].src, (unsigned long long)c[i].size, (unsigned long long)lo,
			    (unsigned long long)(c[i].size ? c[i].size - 1 : 0));
			c[i].ok = 0;
		}
	}
	/* (as before the one pass: problems of the entries and the checkpoints only) */
	if (!have_good && r->phase_all[VP_ENTRIES] + r->phase_all[VP_CHECKPOINTS] == 0)
		verify_problem(r, "no checkpoint verified");
	r->covered = good;
	if (good < ne)
		warning(r, "%llu entries (#%llu..#%zu) are not covered by any signed checkpoint: "
		    "nothing proves they were not rewritten; run 'station audit checkpoint'",
		    (unsigned long long)(ne - good), (unsigned long long)good, ne - 1);
	r->checkpoints = nc;
}

/* ---- certificates ---- */

static const char *
body_str(json_t *b, const char *k)
{
	json_t *v = json_object_get(b, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static STACK_OF(X509) *
load_cas(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b;
	X509 *x;

	if (sk == NULL || pem == NULL || (b = BIO_new_mem_buf(pem, (int)strlen(pem))) == NULL) {
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) <= 0)
			X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

static void
check_certs(struct vctx *vx, STACK_OF(X509) *cas)
{
	struct record *rc = vx->rc;
	struct verify_result *r = vx->r;
	char cs[80], ch[48], hex[2 * CAP_CERT_DER + 1];
	size_t i;
	int j;

	for (i = 0; i < rc->nc; i++) {
		const struct rec_cert *c = &rc->c[i];
		const struct rec_entry *e = verify_entry_at(rc, c->seq, &vx->eb);
		const unsigned char *p = c->der;
		X509 *x = NULL;
		json_t *b = NULL;
		int verified = 0;

		verify_clean(c->cert_serial, cs, sizeof(cs));
		verify_clean(c->chip, ch, sizeof(ch));
		if (c->der == NULL || c->derlen == 0 ||
		    (x = d2i_X509(NULL, &p, (long)c->derlen)) == NULL || p != c->der + c->derlen) {
			verify_problem(r, "certificate %s (chip %s): its DER does not parse", cs, ch);
			X509_free(x);
			ERR_clear_error();
			continue;
		}
		for (j = 0; cas != NULL && j < sk_X509_num(cas); j++) {
			X509 *ca = sk_X509_value(cas, j);
			if (X509_NAME_cmp(X509_get_subject_name(ca), X509_get_issuer_name(x)) == 0 &&
			    X509_verify(x, X509_get0_pubkey(ca)) == 1)
				verified = 1;
		}
		ERR_clear_error();
		if (!verified)
			verify_problem(r, "certificate %s (chip %s): signature does not verify against the CA "
			    "certificate: forged or altered", cs, ch);
		/* Nothing released without a log entry: the entry of that seq holds the same DER. */
		util_hex(c->der, c->derlen, hex, sizeof(hex));
		if (e == NULL || strcmp(e->kind, "cert.issued") != 0 ||
		    (b = json_loads(e->body, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		    strcmp(body_str(b, "der_hex"), hex) != 0 ||
		    strcmp(body_str(b, "cert_serial"), c->cert_serial) != 0 ||
		    strcmp(e->chip, c->chip) != 0 || strcmp(e->serial, c->serial) != 0)
			verify_problem(r, "certificate %s (chip %s, row seq %lld) has no matching cert.issued "
			    "log entry with the same DER: released without a log entry, or its row was "
			    "edited", cs, ch, (long long)c->seq);
		json_decref(b);
		X509_free(x);
	}
}

/* ---- the one pass over the log ---- */

struct pass {
	struct vctx *x;
	struct cps *cps;
	struct merkle_stream ms;
	int64_t expect;          /* the next seq */
	/* runs: the open station.start */
	int open;
	char open_d[256];
	int64_t open_seq;
	double t_merkle;         /* sampled */
	int err;                 /* hashing failed (out of memory in OpenSSL) */
};

/* Entry kinds whose body a check reads (any entry with a serial too: the replay). */
static int
body_needed(const struct rec_entry *e)
{
	static const char *const kinds[] = { "board.released", "password.committed", "cert.issued",
		"credential.committed", "station.start",
		"board.pass", "board.verified", "hsm.login", "board.quarantined", "serial.allocated",
		"board.fail", "crash.recovered" };
	size_t i;

	if (*e->serial)
		return 1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(e->kind, kinds[i]) == 0)
			return 1;
	return 0;
}

/* A run is station.start .. station.stop; a start with no stop before the next start (or the
 * end of the log) is a station that crashed, lost power or is still running. e NULL: the end. */
static void
run_step(struct pass *p, const struct rec_entry *e)
{
	struct verify_result *r = p->x->r;
	int start = e != NULL && strcmp(e->kind, "station.start") == 0;

	if (e != NULL && strcmp(e->kind, "station.stop") == 0) {
		p->open = 0;
		return;
	}
	if ((start || e == NULL) && p->open) {
		r->unterminated++;
		if (e != NULL)
			warning(r, "unterminated run: %s has no station.stop before the next "
			    "station.start (#%lld): the station crashed or lost power",
			    p->open_d, (long long)e->seq);
		else
			warning(r, "unterminated run: %s has no station.stop before the end of the "
			    "log: the station is still running, crashed or lost power", p->open_d);
	}
	if (start) {
		p->open = 1;
		p->open_seq = e->seq;
		verify_describe(e, p->open_d, sizeof(p->open_d));
	}
}

/* seq runs 0,1,2,...; the leaf recomputed and compared; the tree grows by it. */
static int
entry_step(struct pass *p, const struct rec_entry *e)
{
	struct verify_result *r = p->x->r;
	merkle_hash leaf;
	char d[256];
	int timed = (p->ms.count & 15) == 0;
	double t0 = timed ? now_s() : 0;

	if (e->seq > p->expect) {
		if (e->seq == p->expect + 1)
			verify_problem(r, "entry #%lld is missing", (long long)p->expect);
		else
			verify_problem(r, "entries #%lld..#%lld are missing", (long long)p->expect,
			    (long long)e->seq - 1);
	} else if (e->seq < p->expect)
		verify_problem(r, "entry #%lld appears more than once", (long long)e->seq);
	p->expect = e->seq + 1;
	if (audit_entry_leaf_with(&p->ms, e->seq, e->time, e->station, e->op, e->lot, e->kind,
	        e->chip, e->serial, e->body, leaf) != AUDIT_OK ||
	    merkle_stream_push(&p->ms, leaf) != 0 || cps_reached(p->cps, &p->ms) != 0)
		return -1;
	if (timed)
		p->t_merkle += 16 * (now_s() - t0);
	if (e->bad != NULL)
		verify_problem(r, "%s: %s", verify_describe(e, d, sizeof(d)), e->bad);
	else if (!e->leaf_ok)
		verify_problem(r, "%s: has no leaf hash", verify_describe(e, d, sizeof(d)));
	else if (memcmp(e->leaf, leaf, 32) != 0)
		verify_problem(r, "%s: content does not match its leaf hash: edited after it "
		    "was written", verify_describe(e, d, sizeof(d)));
	return 0;
}

/* Every check that reads the log, in its own phase, for one entry. */
static int
on_entry(void *arg, const struct rec_entry *e)
{
	struct pass *p = arg;
	struct vctx *x = p->x;

	x->r->phase = VP_ENTRIES;
	if (entry_step(p, e) != 0) {
		p->err = 1;
		return 1;
	}
	x->r->phase = VP_RUNS;
	run_step(p, e);
	vbody_parse(&x->body, body_needed(e) ? e->body : NULL);
	x->r->phase = VP_SEMANTICS;
	verify_log_entry(x, e);
	x->r->phase = VP_QUARANTINES;
	verify_quarantine_entry(x, e);
	x->r->phase = VP_ROWS;
	verify_replay_entry(x, e);
	return 0;
}

/* The station of the first entry (the log's origin), "" when the log is empty. */
struct first {
	char station[CAP_AUDIT_FIELD + 1];
	int seen;
};

static int
on_first(void *arg, const struct rec_entry *e)
{
	struct first *f = arg;

	snprintf(f->station, sizeof(f->station), "%s", e->station);
	f->seen = 1;
	return 1;
}

int
verify_run(const struct verify_opts *o, struct verify_result *r)
{
	struct record *rc = NULL;
	char path[CAP_PATH + 32], *pem = NULL, *capem = NULL;
	char origin[CAP_ORIGIN + 1] = "";
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *cas = NULL;
	struct vmap m, mlog;
	struct vctx x;
	struct pass p;
	struct cps cps;
	struct first first;
	double t0 = now_s();
	size_t ne = 0, i;
	int rc_ = VERIFY_ERR_INPUT, lr;

	memset(r, 0, sizeof(*r));
	memset(&m, 0, sizeof(m));
	memset(&mlog, 0, sizeof(mlog));
	memset(&x, 0, sizeof(x));
	memset(&p, 0, sizeof(p));
	memset(&cps, 0, sizeof(cps));
	if (o->bundle != NULL) {
		uint8_t *buf = NULL;
		size_t n = 0;
		int fr = util_read_file(o->bundle, CAP_BUNDLE, &buf, &n);

		if (fr != 0) {
			snprintf(r->input_error, sizeof(r->input_error), "cannot read the bundle '%s': %s",
			    o->bundle, fr == -2 ? "larger than 1 GiB" : "missing or unreadable");
			goto out;
		}
		lr = record_load_bundle(buf, n, &rc, r->input_error, sizeof(r->input_error));
		free(buf);
	} else
		lr = record_open_db(o->db, &rc, r->input_error, sizeof(r->input_error));
	if (lr != 0)
		goto out;
	/* Keys: given, else next to the database, else from the bundle. */
	if (o->audit_key != NULL) {
		if (read_small(o->audit_key, &pem) != 0 ||
		    (key = note_load_pubkey_pem(pem, strlen(pem))) == NULL) {
			snprintf(r->input_error, sizeof(r->input_error), "cannot read an EC public key "
			    "(PEM) from '%s'", o->audit_key);
			goto out;
		}
	} else if (o->db != NULL) {
		if (util_sibling(o->db, "audit-key.pem", path, sizeof(path)) == 0 &&
		    read_small(path, &pem) == 0)
			key = note_load_pubkey_pem(pem, strlen(pem));
	} else if (rc->audit_key_pem != NULL)
		key = note_load_pubkey_pem(rc->audit_key_pem, strlen(rc->audit_key_pem));
	if (o->ca != NULL) {
		if (read_small(o->ca, &capem) != 0 || (cas = load_cas(capem)) == NULL) {
			snprintf(r->input_error, sizeof(r->input_error), "cannot read a CA certificate "
			    "(PEM) from '%s'", o->ca);
			goto out;
		}
	} else if (o->db != NULL) {
		if (util_sibling(o->db, "ca.pem", path, sizeof(path)) == 0 &&
		    read_small(path, &capem) == 0)
			cas = load_cas(capem);
	} else
		cas = load_cas(rc->ca_pem);
	if (cas == NULL && rc->ncerts > 0) {
		snprintf(r->input_error, sizeof(r->input_error), "no CA certificate to check the %zu "
		    "certificates with (give --ca)", rc->ncerts);
		goto out;
	}
	if (o->bundle != NULL)
		qsort(rc->e, rc->ne, sizeof(*rc->e), cmp_seq);
	x.rc = rc;
	x.m = &m;
	x.mlog = &mlog;
	x.r = r;
	p.x = &x;
	p.cps = &cps;
	/* Checkpoints first (their sizes are where the pass records the root), named after the
	 * log's origin: the station of its first entry. */
	first.station[0] = '\0';
	first.seen = 0;
	if (record_each_entry(rc, on_first, &first, &ne, r->input_error,
	        sizeof(r->input_error)) < 0)
		goto out;
	if (first.seen)
		(void)note_origin(first.station, origin, sizeof(origin));
	r->phase = VP_CHECKPOINTS;
	if (cps_prepare(o, rc, origin, key, r, &cps) != 0 ||
	    merkle_stream_init(&p.ms) != 0) {
		snprintf(r->input_error, sizeof(r->input_error), "out of memory");
		goto out;
	}
	/* The one pass: entries, tree, runs, order per board, quarantines, replay. */
	lr = record_each_entry(rc, on_entry, &p, &ne, r->input_error, sizeof(r->input_error));
	if (p.err) {
		snprintf(r->input_error, sizeof(r->input_error), "out of memory");
		goto out;
	}
	if (lr != 0)
		goto out;
	r->entries = ne;
	r->seconds_merkle = p.t_merkle;
	vmap_free(&mlog); /* the log's uniqueness and order state: done with */
	/* The tables, now that the log's own state is gone (one of the two at a time). */
	if (record_load_rows(rc, o->db, r->input_error, sizeof(r->input_error)) != 0)
		goto out;
	r->certs = rc->nc;
	r->devices = rc->nd;
	r->phase = VP_CHECKPOINTS;
	cps_finish(&cps, ne, r);
	r->uncovered = ne - r->covered;
	r->phase = VP_RUNS;
	run_step(&p, NULL);
	r->phase = VP_CERTS;
	check_certs(&x, cas);
	r->phase = VP_TABLES;
	verify_tables(&x);
	r->phase = VP_QUARANTINES;
	verify_quarantines(&x);
	r->phase = VP_ROWS;
	verify_rows(&x);
	rc_ = r->nproblems_all ? VERIFY_FAIL : VERIFY_OK;
out:
	(void)scrub(r->input_error);
	r->seconds_total = now_s() - t0;
	merkle_stream_done(&p.ms);
	cps_free(&cps);
	vmap_free(&m);
	vmap_free(&mlog);
	record_entry_clear(&x.eb);
	record_entry_clear(&x.eb2);
	vbody_free(&x.body);
	vbody_free(&x.body2);
	for (i = 0; i < x.ncp; i++)
		free(x.cprod[i]);
	free(x.cprod);
	free(x.cseq);
	verify_quarantines_free(&x);
	free(pem);
	free(capem);
	EVP_PKEY_free(key);
	sk_X509_pop_free(cas, X509_free);
	record_free(rc);
	return rc_;
}
