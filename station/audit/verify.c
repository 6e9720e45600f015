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

void
verify_problem(struct verify_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	r->nproblems_all++;
	if (r->nproblems >= CAP_VERIFY_PROBLEMS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		r->problems[r->nproblems++] = scrub(s);
}

static void __attribute__((format(printf, 2, 3)))
warning(struct verify_result *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (r->nwarnings >= CAP_VERIFY_PROBLEMS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s != NULL)
		r->warnings[r->nwarnings++] = scrub(s);
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

static void
check_checkpoints(const struct verify_opts *o, struct record *rc, const merkle_hash *leaves,
    EVP_PKEY *key, struct verify_result *r)
{
	struct note_checkpoint *cp = NULL;
	struct cpt *c = NULL;
	uint64_t *sizes = NULL;
	merkle_hash *roots = NULL;
	char origin[CAP_ORIGIN + 1] = "";
	size_t nc = 0, i, nv = 0, total = rc->nk + o->ncheckpoints;
	uint64_t good = 0;
	int have_good = 0;

	if (rc->ne > 0)
		(void)note_origin(rc->e[0].station, origin, sizeof(origin));
	if (total == 0) {
		verify_problem(r, "no signed checkpoint: nothing proves the log was not rewritten as a "
		    "whole; run 'station audit checkpoint' and keep the checkpoint files off the station");
		return;
	}
	if (key == NULL) {
		verify_problem(r, "no audit public key to check the checkpoints with (give --audit-key)");
		return;
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
	/* Truncation first: a checkpoint larger than the log. Deleting the newest entries with
	 * their checkpoint rows leaves a database consistent with itself; only a checkpoint kept
	 * elsewhere (--checkpoint) shows it, and says how many went (issue #12). */
	for (i = 0; i < nc; i++)
		if (c[i].ok && c[i].size > rc->ne) {
			uint64_t gone = c[i].size - rc->ne;
			char range[80]; /* 20 + 20 + 20 digits and the words */

			if (gone == 1)
				snprintf(range, sizeof(range), "1 entry: #%zu", rc->ne);
			else
				snprintf(range, sizeof(range), "%llu entries: #%zu..#%llu",
				    (unsigned long long)gone, rc->ne, (unsigned long long)(c[i].size - 1));
			verify_problem(r, "the log has %zu entries but checkpoint %s covers %llu: entries were "
			    "removed (%s)", rc->ne, c[i].src, (unsigned long long)c[i].size, range);
			if (gone > r->removed)
				r->removed = gone;
			c[i].ok = 0;
		}
	qsort(c, nc, sizeof(*c), cmp_cpt);
	if ((sizes = calloc(nc, sizeof(*sizes))) == NULL || (roots = calloc(nc, sizeof(*roots))) == NULL)
		goto out;
	for (i = 0; i < nc; i++)
		if (c[i].ok)
			sizes[nv++] = c[i].size;
	if (merkle_prefix_roots(leaves, rc->ne, sizes, nv, roots) != 0) {
		verify_problem(r, "cannot compute the tree roots");
		goto out;
	}
	nv = 0;
	for (i = 0; i < nc; i++) {
		if (!c[i].ok)
			continue;
		if (memcmp(roots[nv++], c[i].root, 32) == 0) {
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
	if (!have_good && r->nproblems_all == 0)
		verify_problem(r, "no checkpoint verified");
	r->covered = good;
	if (good < rc->ne)
		warning(r, "%llu entries (#%llu..#%zu) are not covered by any signed checkpoint: "
		    "nothing proves they were not rewritten; run 'station audit checkpoint'",
		    (unsigned long long)(rc->ne - good), (unsigned long long)good, rc->ne - 1);
	r->checkpoints = nc;
out:
	free(cp);
	free(c);
	free(sizes);
	free(roots);
}

/* ---- certificates ---- */

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
check_certs(struct record *rc, STACK_OF(X509) *cas, struct verify_result *r)
{
	char cs[80], ch[48], hex[2 * CAP_CERT_DER + 1];
	size_t i;
	int j;

	for (i = 0; i < rc->nc; i++) {
		const struct rec_cert *c = &rc->c[i];
		const struct rec_entry *e = verify_entry_at(rc, c->seq);
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
		    strcmp(verify_body_get(b, "der_hex"), hex) != 0 ||
		    strcmp(verify_body_get(b, "cert_serial"), c->cert_serial) != 0 ||
		    strcmp(e->chip, c->chip) != 0 || strcmp(e->serial, c->serial) != 0)
			verify_problem(r, "certificate %s (chip %s, row seq %lld) has no matching cert.issued "
			    "log entry with the same DER: released without a log entry, or its row was "
			    "edited", cs, ch, (long long)c->seq);
		json_decref(b);
		X509_free(x);
	}
}

/* ---- runs ---- */

/* A run is station.start .. station.stop; a start with no stop before the next start (or the
 * end of the log) is a station that crashed, lost power or is still running. */
static void
check_runs(struct record *rc, struct verify_result *r)
{
	const struct rec_entry *open = NULL;
	char d[256];
	size_t i;

	for (i = 0; i <= rc->ne; i++) {
		const struct rec_entry *e = i < rc->ne ? &rc->e[i] : NULL;
		int start = e != NULL && strcmp(e->kind, "station.start") == 0;

		if (e != NULL && strcmp(e->kind, "station.stop") == 0) {
			open = NULL;
			continue;
		}
		if ((start || e == NULL) && open != NULL) {
			r->unterminated++;
			if (e != NULL)
				warning(r, "unterminated run: %s has no station.stop before the next "
				    "station.start (#%lld): the station crashed or lost power",
				    verify_describe(open, d, sizeof(d)), (long long)e->seq);
			else
				warning(r, "unterminated run: %s has no station.stop before the end of the "
				    "log: the station is still running, crashed or lost power",
				    verify_describe(open, d, sizeof(d)));
		}
		if (start)
			open = e;
	}
}

/* ---- entries ---- */

static int
check_entries(struct record *rc, merkle_hash *leaves, struct verify_result *r)
{
	char d[256];
	int64_t expect = 0;
	size_t i;

	for (i = 0; i < rc->ne; i++) {
		const struct rec_entry *e = &rc->e[i];

		if (e->seq > expect) {
			if (e->seq == expect + 1)
				verify_problem(r, "entry #%lld is missing", (long long)expect);
			else
				verify_problem(r, "entries #%lld..#%lld are missing", (long long)expect,
				    (long long)e->seq - 1);
		} else if (e->seq < expect)
			verify_problem(r, "entry #%lld appears more than once", (long long)e->seq);
		expect = e->seq + 1;
		if (record_entry_leaf(e, leaves[i]) != 0)
			return -1;
		if (e->bad != NULL)
			verify_problem(r, "%s: %s", verify_describe(e, d, sizeof(d)), e->bad);
		else if (!e->leaf_ok)
			verify_problem(r, "%s: has no leaf hash", verify_describe(e, d, sizeof(d)));
		else if (memcmp(e->leaf, leaves[i], 32) != 0)
			verify_problem(r, "%s: content does not match its leaf hash: edited after it "
			    "was written", verify_describe(e, d, sizeof(d)));
	}
	return 0;
}

int
verify_run(const struct verify_opts *o, struct verify_result *r)
{
	struct record *rc = NULL;
	merkle_hash *leaves = NULL, root;
	char path[CAP_PATH + 32], *pem = NULL, *capem = NULL;
	EVP_PKEY *key = NULL;
	STACK_OF(X509) *cas = NULL;
	struct vmap m;
	double t0 = now_s(), t1;
	int rc_ = VERIFY_ERR_INPUT, lr;

	memset(r, 0, sizeof(*r));
	memset(&m, 0, sizeof(m));
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
		lr = record_load_db(o->db, &rc, r->input_error, sizeof(r->input_error));
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
	if (cas == NULL && rc->nc > 0) {
		snprintf(r->input_error, sizeof(r->input_error), "no CA certificate to check the %zu "
		    "certificates with (give --ca)", rc->nc);
		goto out;
	}
	if (o->bundle != NULL)
		qsort(rc->e, rc->ne, sizeof(*rc->e), cmp_seq);
	r->entries = rc->ne;
	r->certs = rc->nc;
	r->devices = rc->nd;
	if ((leaves = malloc((rc->ne ? rc->ne : 1) * sizeof(*leaves))) == NULL) {
		snprintf(r->input_error, sizeof(r->input_error), "out of memory");
		goto out;
	}
	if (check_entries(rc, leaves, r) != 0) {
		snprintf(r->input_error, sizeof(r->input_error), "out of memory");
		goto out;
	}
	t1 = now_s();
	(void)merkle_root(leaves, rc->ne, root);
	r->seconds_merkle = now_s() - t1;
	check_checkpoints(o, rc, leaves, key, r);
	r->uncovered = rc->ne - r->covered;
	check_runs(rc, r);
	check_certs(rc, cas, r);
	verify_log_semantics(rc, &m, r);
	verify_tables(rc, &m, r);
	verify_quarantines(rc, &m, r);
	verify_rows(rc, &m, r);
	rc_ = r->nproblems_all ? VERIFY_FAIL : VERIFY_OK;
out:
	(void)scrub(r->input_error);
	r->seconds_total = now_s() - t0;
	vmap_free(&m);
	free(leaves);
	free(pem);
	free(capem);
	EVP_PKEY_free(key);
	sk_X509_pop_free(cas, X509_free);
	record_free(rc);
	return rc_;
}
