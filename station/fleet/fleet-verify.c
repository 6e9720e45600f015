/* fleet-verify.c: the auditor's streaming check of a fleet registry or its export; see
 * fleet-verify.h. */
#include "fleet-verify.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-entry.h"
#include "caps.h"
#include "merkle.h"
#include "note.h"

/* The claim tables, in this order; their conflicts.what, the tables, the columns of the claim's
 * station and seq (after its key columns) */
enum { C_CHIP, C_SERIAL, C_CERT_SERIAL, C_PUBKEY, C_PW, C_CRED, C_SSID, NCLAIM };
static const char *const claim_what[NCLAIM] = { "chip", "serial", "cert_serial", "pubkey",
	"pw_commitment", "cred_commitment", "ssid" };
static const enum fleet_table claim_tab[NCLAIM] = { FT_CHIPS, FT_SERIALS, FT_CERT_SERIALS,
	FT_PUBKEYS, FT_PW_COMMITMENTS, FT_CRED_COMMITMENTS, FT_SSIDS };
static const int claim_stcol[NCLAIM] = { 2, 2, 2, 1, 1, 2, 1 };
static const int claim_nkey[NCLAIM] = { 2, 2, 2, 1, 1, 2, 1 };

/* A value an entry claims: its table and key columns as the claim row holds them */
struct claimv {
	int t; /* C_* */
	const char *k[2];
	char ckey[2 * CAP_FLEET_FIELD + 2]; /* as conflicts.key: "a/b" for two-column keys */
	int matched;
};

struct conflict {
	long long id, seq1, seq2;
	int what; /* C_* */
	char *key, *st1, *st2;
	int seen1, seen2;
};

struct pending {
	int t;
	char *k[2];
	char *station;
	long long seq;
	int resolved;
};

/* A fork the registry recorded: what it says it holds at the position, checked in the pass */
struct fork {
	char *station;
	long long id, pos; /* entry: its seq; checkpoint: its size */
	int checkpoint;
	uint8_t held[32];
	int seen;
};

struct cpt {
	long long size;
	uint8_t root[32];
	int ok; /* signature verified, size and root as in the note */
};

struct peek {
	struct fleet_cur *c;
	const char *const *row; /* NULL at the end */
};

struct vstate {
	struct fleet_src *src;
	fleet_verify_report report;
	void *ctx;
	struct fleet_verify_sum *sum;
	char *why;
	size_t cap;
	struct peek entries, cps, keys, claims[NCLAIM];
	struct conflict *conf;
	size_t nconf;
	struct conflict **by1, **by2;
	size_t i1, i2;
	struct pending *pend;
	size_t npend, cappend;
	struct fork *fk;
	size_t nfk, ifk, fk0, fk1; /* fk0..fk1: the current station's, sorted by position */
	/* the station being read */
	char station[CAP_FLEET_FIELD + 1];
	EVP_PKEY *key[CAP_FLEET_KEYS];
	size_t nkeys;
	struct cpt *cp;
	size_t ncp, capcp, icp;
	struct merkle_stream ms;
	long long next;
	long long cp_good; /* the last checkpoint size whose root matched */
	int cp_bad;        /* a checkpoint root differed */
	int leaf_bad;      /* an entry's fields did not hash to its leaf */
	struct claimv cv[2]; /* the values of the entry being read (large: not on the stack) */
};

static void
problem(struct vstate *v, const char *station, long long seq, const char *fmt, ...)
{
	char m[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	v->sum->problems++;
	v->report(v->ctx, FV_PROBLEM, station ? station : "", seq, m);
}

/* Decimal int64 >= 0, whole string. */
static int
num(const char *s, long long *out)
{
	char *end;
	long long x;

	if (s == NULL || *s < '0' || *s > '9' || strlen(s) > 19)
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	*out = x;
	return 0;
}

static int
advance(struct vstate *v, struct peek *p)
{
	int r = fleet_read_next(p->c, &p->row, v->why, v->cap);

	if (r == 0)
		p->row = NULL;
	return r < 0 ? r : FR_OK;
}

/* (station, seq) order, as the rows are sorted: station in byte order, then seq */
static int
poscmp(const char *s1, long long q1, const char *s2, long long q2)
{
	int c = strcmp(s1, s2);

	return c != 0 ? c : (q1 > q2) - (q1 < q2);
}

/* ---- conflicts, forks, lots and leases: small tables, held in memory ---- */

static int
cmp_by2(const void *a, const void *b)
{
	const struct conflict *x = *(struct conflict *const *)a, *y = *(struct conflict *const *)b;

	return poscmp(x->st2, x->seq2, y->st2, y->seq2);
}

static int
cmp_by1(const void *a, const void *b)
{
	const struct conflict *x = *(struct conflict *const *)a, *y = *(struct conflict *const *)b;

	return poscmp(x->st1, x->seq1, y->st1, y->seq1);
}

static int
load_conflicts(struct vstate *v)
{
	struct fleet_cur *c = NULL;
	const char *const *row;
	size_t capn = 0, i;
	int r, w;

	if ((r = fleet_read_cursor(v->src, FT_CONFLICTS, &c, v->why, v->cap)) != FR_OK)
		return r;
	while ((r = fleet_read_next(c, &row, v->why, v->cap)) == 1) {
		struct conflict *k;

		if (v->nconf == capn) {
			struct conflict *n;

			if (capn >= CAP_FLEET_CONFLICTS) {
				snprintf(v->why, v->cap, "more than %d conflicts: beyond what a verification "
				    "holds (CAP_FLEET_CONFLICTS)", CAP_FLEET_CONFLICTS);
				r = FR_ERR_NOMEM;
				goto out;
			}
			capn = capn ? 2 * capn : 64;
			if ((n = realloc(v->conf, capn * sizeof(*n))) == NULL) {
				r = FR_ERR_NOMEM;
				goto out;
			}
			v->conf = n;
		}
		k = &v->conf[v->nconf];
		memset(k, 0, sizeof(*k));
		for (w = 0; w < NCLAIM && (row[1] == NULL || strcmp(row[1], claim_what[w]) != 0); w++)
			;
		if (num(row[0], &k->id) != 0 || w == NCLAIM || row[2] == NULL || row[3] == NULL ||
		    num(row[4], &k->seq1) != 0 || row[5] == NULL || num(row[6], &k->seq2) != 0) {
			problem(v, "", -1, "a conflicts row (id %.20s) is malformed", row[0] ? row[0] : "?");
			continue;
		}
		k->what = w;
		if ((k->key = strdup(row[2])) == NULL || (k->st1 = strdup(row[3])) == NULL ||
		    (k->st2 = strdup(row[5])) == NULL) {
			v->nconf++;
			r = FR_ERR_NOMEM;
			goto out;
		}
		v->nconf++;
	}
	if (r < 0)
		goto out;
	if (v->nconf > 0 && ((v->by1 = malloc(v->nconf * sizeof(*v->by1))) == NULL ||
	                        (v->by2 = malloc(v->nconf * sizeof(*v->by2))) == NULL)) {
		r = FR_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < v->nconf; i++)
		v->by1[i] = v->by2[i] = &v->conf[i];
	if (v->nconf > 0) {
		qsort(v->by1, v->nconf, sizeof(*v->by1), cmp_by1);
		qsort(v->by2, v->nconf, sizeof(*v->by2), cmp_by2);
	}
	v->sum->conflicts = (long long)v->nconf;
	for (i = 0; i < v->nconf; i++) {
		char m[CAP_FLEET_FIELD + 256];

		snprintf(m, sizeof(m), "conflict %lld: %s %.200s claimed by station %.100s entry %lld, "
		    "then by station %.100s entry %lld", v->conf[i].id, claim_what[v->conf[i].what],
		    v->conf[i].key, v->conf[i].st1, v->conf[i].seq1, v->conf[i].st2, v->conf[i].seq2);
		v->report(v->ctx, FV_CONFLICT, v->conf[i].st2, v->conf[i].seq2, m);
	}
	r = FR_OK;
out:
	fleet_read_cursor_close(c);
	return r;
}

static int
cmp_fork(const void *a, const void *b)
{
	const struct fork *x = a, *y = b;

	return poscmp(x->station, x->pos, y->station, y->pos);
}

/* The forks of the station at position pos (an entry's seq, or the tree size just reached)
 * against what the pass computed there: the registry said it held `held`. */
static void
check_forks(struct vstate *v, int checkpoint, long long pos, const merkle_hash h)
{
	size_t i;

	for (i = v->ifk; i < v->fk1 && v->fk[i].pos <= pos; i++) {
		struct fork *k = &v->fk[i];

		if (k->pos != pos || k->checkpoint != checkpoint || k->seen)
			continue;
		k->seen = 1;
		if (memcmp(k->held, h, 32) != 0)
			problem(v, v->station, checkpoint ? pos - 1 : pos, "fork %lld says the registry held "
			    "%s %lld with hash %02x%02x%02x%02x..., which is not what the entries give: a false "
			    "fork", k->id, checkpoint ? "a checkpoint of size" : "entry", pos, k->held[0],
			    k->held[1], k->held[2], k->held[3]);
	}
	while (v->ifk < v->fk1 && v->fk[v->ifk].pos < pos)
		v->ifk++;
}

static int
report_forks(struct vstate *v)
{
	struct fleet_cur *c = NULL;
	const char *const *row;
	long long pos;
	int r;

	if ((r = fleet_read_cursor(v->src, FT_FORKS, &c, v->why, v->cap)) != FR_OK)
		return r;
	while ((r = fleet_read_next(c, &row, v->why, v->cap)) == 1) {
		char m[512];

		if (row[1] == NULL || row[2] == NULL || num(row[3], &pos) != 0 || row[4] == NULL ||
		    row[5] == NULL) {
			problem(v, "", -1, "a forks row (id %.20s) is malformed", row[0] ? row[0] : "?");
			continue;
		}
		if (v->nfk % 64 == 0) {
			struct fork *n = realloc(v->fk, (v->nfk + 64) * sizeof(*n));

			if (n == NULL) {
				r = FR_ERR_NOMEM;
				break;
			}
			v->fk = n;
		}
		memset(&v->fk[v->nfk], 0, sizeof(v->fk[0]));
		if (num(row[0], &v->fk[v->nfk].id) != 0 || fleet_read_unhex32(row[4], v->fk[v->nfk].held) != 0 ||
		    (v->fk[v->nfk].station = strdup(row[1])) == NULL) {
			problem(v, row[1], -1, "a forks row (id %.20s) is malformed", row[0] ? row[0] : "?");
			continue;
		}
		v->fk[v->nfk].pos = pos;
		v->fk[v->nfk].checkpoint = strcmp(row[2], "entry") != 0;
		v->nfk++;
		v->sum->forks++;
		snprintf(m, sizeof(m), "fork %.20s: station %.100s offered %s %lld (hash %.16s...) where "
		    "the registry holds %.16s...; the registry takes nothing more from it", row[0], row[1],
		    strcmp(row[2], "entry") == 0 ? "another entry" : "another checkpoint root of size",
		    pos, row[5], row[4]);
		v->report(v->ctx, FV_FORK, row[1], strcmp(row[2], "entry") == 0 ? pos : -1, m);
	}
	fleet_read_cursor_close(c);
	if (r >= 0 && v->nfk > 0)
		qsort(v->fk, v->nfk, sizeof(*v->fk), cmp_fork);
	return r < 0 ? r : FR_OK;
}

struct lease {
	char *kind, *scope, *station;
	long long first, count;
};

static int
cmp_lease(const void *a, const void *b)
{
	const struct lease *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);

	if (c == 0)
		c = strcmp(x->scope, y->scope);
	return c != 0 ? c : (x->first > y->first) - (x->first < y->first);
}

/* Quota leases of a lot within its declared quota; serial blocks of a product disjoint. */
static int
check_leases(struct vstate *v)
{
	struct fleet_cur *c = NULL;
	const char *const *row;
	struct lease *l = NULL;
	json_t *lots = json_object();
	size_t n = 0, capn = 0, i, j;
	int r;

	if (lots == NULL)
		return FR_ERR_NOMEM;
	if ((r = fleet_read_cursor(v->src, FT_LOTS, &c, v->why, v->cap)) != FR_OK)
		goto out;
	while ((r = fleet_read_next(c, &row, v->why, v->cap)) == 1) {
		long long q;

		if (row[0] == NULL || num(row[1], &q) != 0 || q <= 0) {
			problem(v, "", -1, "a lots row (%.100s) is malformed", row[0] ? row[0] : "?");
			continue;
		}
		json_object_set_new(lots, row[0], json_integer(q));
	}
	fleet_read_cursor_close(c);
	c = NULL;
	if (r < 0 || (r = fleet_read_cursor(v->src, FT_LEASES, &c, v->why, v->cap)) != FR_OK)
		goto out;
	while ((r = fleet_read_next(c, &row, v->why, v->cap)) == 1) {
		if (n == capn) {
			struct lease *nl;

			capn = capn ? 2 * capn : 64;
			if ((nl = realloc(l, capn * sizeof(*nl))) == NULL) {
				r = FR_ERR_NOMEM;
				goto out;
			}
			l = nl;
		}
		memset(&l[n], 0, sizeof(l[n]));
		if (row[1] == NULL || row[2] == NULL || row[3] == NULL || num(row[4], &l[n].first) != 0 ||
		    num(row[5], &l[n].count) != 0 || l[n].count <= 0 ||
		    (strcmp(row[2], "serials") != 0 && strcmp(row[2], "quota") != 0)) {
			problem(v, row[1], -1, "a leases row (id %.20s) is malformed", row[0] ? row[0] : "?");
			continue;
		}
		if ((l[n].kind = strdup(row[2])) == NULL || (l[n].scope = strdup(row[3])) == NULL ||
		    (l[n].station = strdup(row[1])) == NULL) {
			n++;
			r = FR_ERR_NOMEM;
			goto out;
		}
		n++;
	}
	if (r < 0)
		goto out;
	if (n > 0)
		qsort(l, n, sizeof(*l), cmp_lease);
	for (i = 0; i < n; i = j) {
		long long total = 0, end = 0;

		for (j = i; j < n && strcmp(l[j].kind, l[i].kind) == 0 &&
		            strcmp(l[j].scope, l[i].scope) == 0; j++) {
			total += l[j].count;
			if (strcmp(l[j].kind, "serials") == 0 && j > i && l[j].first < end)
				problem(v, l[j].station, -1, "serial block %lld..%lld of %.100s overlaps the "
				    "block before it", l[j].first, l[j].first + l[j].count - 1, l[j].scope);
			if (l[j].first + l[j].count > end)
				end = l[j].first + l[j].count;
		}
		if (strcmp(l[i].kind, "quota") == 0) {
			json_t *q = json_object_get(lots, l[i].scope);

			if (q == NULL)
				problem(v, l[i].station, -1, "quota leased of lot %.100s, which has no fleet "
				    "quota declared", l[i].scope);
			else if (total > json_integer_value(q))
				problem(v, l[i].station, -1, "lot %.100s: %lld certificates of quota leased, "
				    "more than its fleet quota %lld", l[i].scope, total,
				    (long long)json_integer_value(q));
		}
	}
	r = FR_OK;
out:
	fleet_read_cursor_close(c);
	for (i = 0; i < n; i++) {
		free(l[i].kind);
		free(l[i].scope);
		free(l[i].station);
	}
	free(l);
	json_decref(lots);
	return r;
}

/* ---- claim values claimed twice (registry only) ---- */

struct dupctx {
	struct vstate *v;
	int t;
};

static int
on_dup(void *ctx, const char *const *row)
{
	struct dupctx *d = ctx;

	problem(d->v, "", -1, "%s %.200s%s%.100s is claimed by %.20s rows: the table's uniqueness was "
	    "broken (an edited registry)", claim_what[d->t], row[0] ? row[0] : "",
	    row[1] != NULL ? "/" : "", row[1] != NULL ? row[1] : "", row[2] ? row[2] : "?");
	return 0;
}

/* Each claim table holds each value once (its primary key, which an owner can drop). The pass
 * checks each row against its entry, not values against each other: the server groups them.
 * An export is not checked for this (docs/fleet.md). */
static int
check_unique(struct vstate *v)
{
	static const char *const q[NCLAIM] = {
		"SELECT product, chip_id, count(*) FROM chips GROUP BY product, chip_id"
		" HAVING count(*) > 1",
		"SELECT serial, NULL, count(*) FROM serials GROUP BY serial HAVING count(*) > 1",
		"SELECT issuer, cert_serial, count(*) FROM cert_serials GROUP BY issuer, cert_serial"
		" HAVING count(*) > 1",
		"SELECT pubkey_sha256, NULL, count(*) FROM pubkeys GROUP BY pubkey_sha256"
		" HAVING count(*) > 1",
		"SELECT commitment, NULL, count(*) FROM pw_commitments GROUP BY commitment"
		" HAVING count(*) > 1",
		"SELECT kind, commitment, count(*) FROM cred_commitments GROUP BY kind, commitment"
		" HAVING count(*) > 1",
		"SELECT ssid, NULL, count(*) FROM ssids GROUP BY ssid HAVING count(*) > 1",
	};
	struct dupctx d = { v, 0 };
	int r;

	if (!fleet_read_is_registry(v->src))
		return FR_OK;
	for (d.t = 0; d.t < NCLAIM; d.t++)
		if ((d.t < C_CRED || fleet_read_schema(v->src) >= 5) && /* schema 5's tables */
		    (r = fleet_read_query(v->src, q[d.t], 0, NULL, 3, on_dup, &d, v->why, v->cap)) != 0)
			return r;
	return FR_OK;
}

/* ---- one station: its keys and checkpoints ---- */

static void
station_reset(struct vstate *v)
{
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		EVP_PKEY_free(v->key[i]);
	v->nkeys = 0;
	v->ncp = v->icp = 0;
	v->next = 0;
	v->cp_good = 0;
	v->cp_bad = 0;
	v->leaf_bad = 0;
	merkle_stream_done(&v->ms);
	memset(&v->ms, 0, sizeof(v->ms));
}

static int
load_keys(struct vstate *v)
{
	const char *const *row;
	uint8_t md[32], want[32];
	unsigned mdlen = 0;
	int r, c;

	while (v->keys.row != NULL && (c = strcmp(v->keys.row[0] ? v->keys.row[0] : "",
	                                   v->station)) <= 0) {
		row = v->keys.row;
		if (c < 0) {
			problem(v, row[0], -1, "a station key is registered for a station with no entry held");
		} else if (row[1] == NULL || fleet_read_unhex32(row[2], want) != 0 ||
		           EVP_Digest(row[1], strlen(row[1]), md, &mdlen, EVP_sha256(), NULL) != 1 ||
		           memcmp(md, want, 32) != 0) {
			problem(v, v->station, -1, "a station key's SHA-256 (%.16s...) is not that of its PEM: "
			    "edited", row[2] ? row[2] : "?");
		} else if (v->nkeys >= CAP_FLEET_KEYS) {
			problem(v, v->station, -1, "more than %d checkpoint keys registered", CAP_FLEET_KEYS);
		} else if ((v->key[v->nkeys] = note_load_pubkey_pem(row[1], strlen(row[1]))) == NULL) {
			problem(v, v->station, -1, "a station key (sha256 %.16s...) is not an EC P-256 or "
			    "Ed25519 public key", row[2]);
		} else {
			v->nkeys++;
			v->sum->keys++;
		}
		if ((r = advance(v, &v->keys)) != FR_OK)
			return r;
	}
	return FR_OK;
}

/* A checkpoint row of the station: its note parsed, its signature verified by one of the keys */
static void
check_cp(struct vstate *v, const char *const *row, struct cpt *k)
{
	char origin[CAP_ORIGIN + 1], why[160];
	struct note_checkpoint *cp = malloc(sizeof(*cp));
	size_t i;
	int s = NOTE_ERR_NOKEY;

	memset(k, 0, sizeof(*k));
	if (cp == NULL || num(row[1], &k->size) != 0 || k->size <= 0 ||
	    fleet_read_unhex32(row[2], k->root) != 0 || row[3] == NULL) {
		problem(v, v->station, -1, "a checkpoint row (size %.20s) is malformed",
		    row[1] ? row[1] : "?");
		free(cp);
		return;
	}
	if (note_parse(row[3], strlen(row[3]), cp, why, sizeof(why)) != NOTE_OK) {
		problem(v, v->station, k->size - 1, "checkpoint of size %lld: its note is not a signed "
		    "checkpoint: %s", k->size, why);
		free(cp);
		return;
	}
	if (note_origin(v->station, origin, sizeof(origin)) != NOTE_OK ||
	    strcmp(origin, cp->origin) != 0)
		problem(v, v->station, k->size - 1, "checkpoint of size %lld names the log '%.100s', not "
		    "this station's", k->size, cp->origin);
	else if ((long long)cp->size != k->size || memcmp(cp->root, k->root, 32) != 0)
		problem(v, v->station, k->size - 1, "checkpoint of size %lld: the size or root held "
		    "differs from its signed note's (%llu): edited", k->size,
		    (unsigned long long)cp->size);
	else if (v->nkeys == 0)
		problem(v, v->station, k->size - 1, "checkpoint of size %lld: no key registered for the "
		    "station in station_keys: its signature cannot be checked", k->size);
	else {
		for (i = 0; i < v->nkeys && (s = note_verify(row[3], cp, v->key[i])) != NOTE_OK; i++)
			;
		if (s != NOTE_OK)
			problem(v, v->station, k->size - 1, "checkpoint of size %lld: %s", k->size,
			    s == NOTE_ERR_NOKEY ? "no signature by any of the station's registered keys" :
			    "its signature does not verify: forged or altered");
		else
			k->ok = 1;
	}
	free(cp);
}

static int
load_cps(struct vstate *v)
{
	const char *const *row;
	int r, c;

	while (v->cps.row != NULL &&
	       (c = strcmp(v->cps.row[0] ? v->cps.row[0] : "", v->station)) <= 0) {
		row = v->cps.row;
		if (c < 0) {
			problem(v, row[0], -1, "a checkpoint (size %.20s) of a station with no entry held",
			    row[1] ? row[1] : "?");
		} else {
			if (v->ncp == v->capcp) {
				struct cpt *n;

				if (v->capcp >= CAP_FLEET_CHECKPOINTS) {
					snprintf(v->why, v->cap, "station %.100s has more than %d checkpoints",
					    v->station, CAP_FLEET_CHECKPOINTS);
					return FR_ERR_NOMEM;
				}
				v->capcp = v->capcp ? 2 * v->capcp : 64;
				if ((n = realloc(v->cp, v->capcp * sizeof(*n))) == NULL)
					return FR_ERR_NOMEM;
				v->cp = n;
			}
			check_cp(v, row, &v->cp[v->ncp]);
			v->sum->checkpoints++;
			if (v->cp[v->ncp].size > 0 &&
			    (v->ncp == 0 || v->cp[v->ncp].size > v->cp[v->ncp - 1].size))
				v->ncp++;
		}
		if ((r = advance(v, &v->cps)) != FR_OK)
			return r;
	}
	return FR_OK;
}

/* ---- claims ---- */

static const char *
body_str(json_t *b, const char *name)
{
	return json_string_value(json_object_get(b, name));
}

/* The values entry e claims (by kind: fleet-ingest.c), into cv; *n of them. -1 when a field
 * its kind claims is missing (reported). */
static int
entry_claims(struct vstate *v, const char *const *e, long long seq, json_t **body,
    struct claimv *cv, int *n)
{
	const char *kind = e[5], *chip = e[6], *serial = e[7];
	json_error_t jerr;
	int i;

	*n = 0;
	if (strcmp(kind, "serial.allocated") != 0 && strcmp(kind, "password.committed") != 0 &&
	    strcmp(kind, "credential.committed") != 0 && strcmp(kind, "cert.issued") != 0 &&
	    strcmp(kind, "board.verified") != 0)
		return 0;
	if ((*body = json_loads(e[8], JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(*body)) {
		problem(v, v->station, seq, "a %s entry whose body is not a JSON object", kind);
		return -1;
	}
	memset(cv, 0, 2 * sizeof(*cv));
	if (strcmp(kind, "serial.allocated") == 0) {
		cv[0].t = C_SERIAL;
		cv[0].k[0] = *serial ? serial : NULL;
		cv[0].k[1] = body_str(*body, "product");
		*n = 1;
	} else if (strcmp(kind, "password.committed") == 0) {
		cv[0].t = C_PW;
		cv[0].k[0] = body_str(*body, "commitment");
		*n = 1;
	} else if (strcmp(kind, "credential.committed") == 0) {
		/* as fleet-ingest.c claims it: (kind, commitment), and a Wi-Fi SSID; the registry
		 * takes no other kind, nor one without its public part */
		const char *ck = body_str(*body, "kind"), *pub = body_str(*body, "public");

		if (ck == NULL || pub == NULL || (strcmp(ck, "wifi") != 0 && strcmp(ck, "matter") != 0)) {
			problem(v, v->station, seq, "a %s entry lacks a field its kind claims, or names a "
			    "credential kind other than wifi or matter", kind);
			return -1;
		}
		cv[0].t = C_CRED;
		cv[0].k[0] = ck;
		cv[0].k[1] = body_str(*body, "commitment");
		*n = 1;
		if (strcmp(ck, "wifi") == 0) {
			cv[1].t = C_SSID;
			cv[1].k[0] = pub;
			*n = 2;
		}
	} else if (strcmp(kind, "cert.issued") == 0) {
		cv[0].t = C_CERT_SERIAL;
		cv[0].k[0] = body_str(*body, "issuer");
		cv[0].k[1] = body_str(*body, "cert_serial");
		cv[1].t = C_PUBKEY;
		cv[1].k[0] = body_str(*body, "pubkey_sha256");
		*n = 2;
	} else {
		cv[0].t = C_CHIP;
		cv[0].k[0] = body_str(*body, "product");
		cv[0].k[1] = *chip ? chip : NULL;
		*n = 1;
	}
	for (i = 0; i < *n; i++) {
		if (cv[i].k[0] == NULL || (claim_nkey[cv[i].t] == 2 && cv[i].k[1] == NULL)) {
			problem(v, v->station, seq, "a %s entry lacks a field its kind claims", kind);
			*n = 0;
			return -1;
		}
		/* conflicts.key: "a/b" for two-column keys; the serial alone (its product is not
		 * part of its key) */
		if (claim_nkey[cv[i].t] == 2 && cv[i].t != C_SERIAL)
			snprintf(cv[i].ckey, sizeof(cv[i].ckey), "%s/%s", cv[i].k[0], cv[i].k[1]);
		else
			snprintf(cv[i].ckey, sizeof(cv[i].ckey), "%s", cv[i].k[0]);
	}
	return 0;
}

static int
add_pending(struct vstate *v, const struct claimv *c, long long seq)
{
	struct pending *p;

	if (v->npend == v->cappend) {
		struct pending *n;

		if (v->cappend >= CAP_FLEET_PENDING) {
			snprintf(v->why, v->cap, "more than %d claims without a claim row of their own",
			    CAP_FLEET_PENDING);
			return FR_ERR_NOMEM;
		}
		v->cappend = v->cappend ? 2 * v->cappend : 64;
		if ((n = realloc(v->pend, v->cappend * sizeof(*n))) == NULL)
			return FR_ERR_NOMEM;
		v->pend = n;
	}
	p = &v->pend[v->npend];
	memset(p, 0, sizeof(*p));
	p->t = c->t;
	p->seq = seq;
	if ((p->k[0] = strdup(c->k[0])) == NULL ||
	    (c->k[1] != NULL && claim_nkey[c->t] == 2 && (p->k[1] = strdup(c->k[1])) == NULL) ||
	    (p->station = strdup(v->station)) == NULL) {
		free(p->k[0]);
		free(p->k[1]);
		return FR_ERR_NOMEM;
	}
	v->npend++;
	return FR_OK;
}

/* The claim rows pointing at (station, seq), and the conflicts naming it, against the entry's
 * claimed values cv[0..n). */
static int
match_claims(struct vstate *v, long long seq, const char *kind, struct claimv *cv, int n)
{
	int t, i, r;

	for (t = 0; t < NCLAIM; t++) {
		struct peek *p = &v->claims[t];
		int sc = claim_stcol[t], hits = 0;

		while (p->row != NULL) {
			long long cs;
			int c;

			if (p->row[sc] == NULL || num(p->row[sc + 1], &cs) != 0) {
				problem(v, p->row[sc], -1, "a %s claim row is malformed",
				    fleet_read_spec(claim_tab[t])->name);
			} else if ((c = poscmp(p->row[sc], cs, v->station, seq)) > 0) {
				break;
			} else if (c < 0) {
				problem(v, p->row[sc], cs, "a %s claim (%.100s%s%.100s) points at an entry the "
				    "registry does not hold", claim_what[t], p->row[0] ? p->row[0] : "",
				    claim_nkey[t] == 2 ? "/" : "", claim_nkey[t] == 2 && p->row[1] ? p->row[1] : "");
			} else {
				for (i = 0; i < n && cv[i].t != t; i++)
					;
				if (i == n)
					problem(v, v->station, seq, "a %s claim (%.100s%s%.100s) points at a %s "
					    "entry, which claims no %s", claim_what[t], p->row[0] ? p->row[0] : "",
					    claim_nkey[t] == 2 ? "/" : "",
					    claim_nkey[t] == 2 && p->row[1] ? p->row[1] : "", kind, claim_what[t]);
				else if (hits++ > 0)
					problem(v, v->station, seq, "a second %s claim row points at the entry",
					    claim_what[t]);
				else if (p->row[0] == NULL || strcmp(p->row[0], cv[i].k[0]) != 0 ||
				         p->row[1] == NULL ||
				         (claim_nkey[t] == 2 && strcmp(p->row[1], cv[i].k[1]) != 0) ||
				         /* serials: the product column is not part of the key */
				         (t == C_SERIAL && strcmp(p->row[1], cv[i].k[1]) != 0))
				{
					problem(v, v->station, seq, "the %s claim row (%.100s%s%.100s) differs "
					    "from what the entry claims (%.200s): edited", claim_what[t],
					    p->row[0] ? p->row[0] : "", claim_nkey[t] == 2 ? "/" : "",
					    claim_nkey[t] == 2 && p->row[1] ? p->row[1] : "", cv[i].ckey);
					cv[i].matched = 1; /* reported once */
				}
				else {
					cv[i].matched = 1;
					v->sum->claims++;
				}
			}
			if ((r = advance(v, p)) != FR_OK)
				return r;
		}
	}
	/* conflicts naming the entry as the second claimant */
	while (v->i2 < v->nconf && poscmp(v->by2[v->i2]->st2, v->by2[v->i2]->seq2, v->station, seq) < 0)
		v->i2++; /* the entry is not held: reported at the end (seen2 unset) */
	for (; v->i2 < v->nconf &&
	       poscmp(v->by2[v->i2]->st2, v->by2[v->i2]->seq2, v->station, seq) == 0; v->i2++) {
		struct conflict *k = v->by2[v->i2];

		for (i = 0; i < n; i++)
			if (cv[i].t == k->what && strcmp(cv[i].ckey, k->key) == 0) {
				k->seen2 = 1;
				cv[i].matched = 1;
			}
	}
	while (v->i1 < v->nconf && poscmp(v->by1[v->i1]->st1, v->by1[v->i1]->seq1, v->station, seq) < 0)
		v->i1++;
	for (; v->i1 < v->nconf &&
	       poscmp(v->by1[v->i1]->st1, v->by1[v->i1]->seq1, v->station, seq) == 0; v->i1++) {
		struct conflict *k = v->by1[v->i1];

		for (i = 0; i < n; i++)
			if (cv[i].t == k->what && strcmp(cv[i].ckey, k->key) == 0)
				k->seen1 = 1;
	}
	for (i = 0; i < n; i++)
		if (!cv[i].matched && (r = add_pending(v, &cv[i], seq)) != FR_OK)
			return r;
	return FR_OK;
}

/* ---- entries ---- */

static int
check_entry(struct vstate *v, const char *const *e)
{
	struct claimv *cv = v->cv;
	uint8_t held[32];
	merkle_hash leaf, root;
	json_t *body = NULL;
	long long seq;
	int i, n = 0, r;

	for (i = 0; i < 10; i++)
		if (e[i] == NULL) {
			problem(v, v->station, -1, "an entry has no %s", fleet_read_spec(FT_ENTRIES)->cols[i]);
			return FR_OK;
		}
	if (num(e[1], &seq) != 0) {
		problem(v, v->station, -1, "an entry's seq '%.20s' is not a number", e[1]);
		return FR_OK;
	}
	v->sum->entries++;
	if (seq != v->next) {
		problem(v, v->station, seq, "entries are not contiguous: entry %lld follows entry %lld",
		    seq, v->next - 1);
		v->next = seq;
	}
	v->next++;
	if (audit_entry_leaf_with(&v->ms, seq, e[2], e[0], e[3], e[4], e[5], e[6], e[7], e[8],
	        leaf) != AUDIT_OK)
		return FR_ERR_NOMEM;
	if (fleet_read_unhex32(e[9], held) != 0)
		problem(v, v->station, seq, "its leaf hash is malformed");
	else if (memcmp(held, leaf, 32) != 0 && ++v->leaf_bad)
		problem(v, v->station, seq, "its fields (%s) do not hash to the leaf held: the entry was "
		    "edited", e[5]);
	/* the tree is built from the recomputed leaves: an entry edited together with its leaf
	 * still changes the root its checkpoints signed */
	if (merkle_stream_push(&v->ms, leaf) != MERKLE_OK)
		return FR_ERR_NOMEM;
	if (v->fk0 < v->fk1) {
		check_forks(v, 0, seq, leaf);
		if (merkle_stream_root(&v->ms, root) != MERKLE_OK)
			return FR_ERR_NOMEM;
		check_forks(v, 1, (long long)v->ms.count, root);
	}
	while (v->icp < v->ncp && v->cp[v->icp].size <= (long long)v->ms.count) {
		struct cpt *k = &v->cp[v->icp++];

		if (k->size != (long long)v->ms.count)
			continue; /* a gap made the stream skip it: reported as the gap */
		if (merkle_stream_root(&v->ms, root) != MERKLE_OK)
			return FR_ERR_NOMEM;
		if (memcmp(root, k->root, 32) == 0) {
			if (!v->cp_bad)
				v->cp_good = k->size;
		} else if (!v->cp_bad++) {
			problem(v, v->station, k->size - 1, "checkpoint of size %lld%s: its root is not the "
			    "root of the entries held: an entry of seq %lld..%lld was changed after it was "
			    "signed%s", k->size, k->ok ? " (signature valid)" : "", v->cp_good, k->size - 1,
			    v->leaf_bad ? " (see the entries above whose fields do not hash to their leaf)" :
			    " (the leaf held was changed with it)");
		} else {
			problem(v, v->station, k->size - 1, "checkpoint of size %lld: its root differs too "
			    "(it covers the change above)", k->size);
		}
	}
	if (entry_claims(v, e, seq, &body, cv, &n) != 0)
		n = 0;
	r = match_claims(v, seq, e[5], cv, n);
	json_decref(body);
	return r;
}

static int
end_station(struct vstate *v)
{
	for (; v->icp < v->ncp; v->icp++)
		problem(v, v->station, -1, "checkpoint of size %lld covers entries the registry does not "
		    "hold (it holds %lld)", v->cp[v->icp].size, (long long)v->ms.count);
	return FR_OK;
}

/* ---- claims awaiting the end: a same-station re-claim has an earlier row of that station ---- */

static int
cmp_pend(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int c = x->t - y->t;

	if (c == 0)
		c = strcmp(x->k[0], y->k[0]);
	if (c == 0 && x->k[1] && y->k[1])
		c = strcmp(x->k[1], y->k[1]);
	return c;
}

static void
resolve_one(struct vstate *v, int t, const char *k0, const char *k1, const char *st, long long seq)
{
	struct pending key, *p;

	memset(&key, 0, sizeof(key));
	key.t = t;
	key.k[0] = (char *)(uintptr_t)k0;
	key.k[1] = claim_nkey[t] == 2 ? (char *)(uintptr_t)k1 : NULL;
	if (key.k[0] == NULL || (claim_nkey[t] == 2 && key.k[1] == NULL))
		return;
	if ((p = bsearch(&key, v->pend, v->npend, sizeof(*p), cmp_pend)) == NULL)
		return;
	/* every pending with this value: walk to the first */
	while (p > v->pend && cmp_pend(p - 1, &key) == 0)
		p--;
	for (; p < v->pend + v->npend && cmp_pend(p, &key) == 0; p++)
		if (strcmp(p->station, st) == 0 && seq < p->seq)
			p->resolved = 1;
}

static int
resolve_pending(struct vstate *v)
{
	size_t i;
	int t, r;

	if (v->npend == 0)
		return FR_OK;
	qsort(v->pend, v->npend, sizeof(*v->pend), cmp_pend);
	for (t = 0; t < NCLAIM; t++) {
		struct fleet_cur *c = NULL;
		const char *const *row;
		int sc = claim_stcol[t];
		long long cs;

		for (i = 0; i < v->npend && v->pend[i].t != t; i++)
			;
		if (i == v->npend)
			continue;
		if ((r = fleet_read_cursor(v->src, claim_tab[t], &c, v->why, v->cap)) != FR_OK)
			return r;
		while ((r = fleet_read_next(c, &row, v->why, v->cap)) == 1)
			if (row[sc] != NULL && num(row[sc + 1], &cs) == 0)
				resolve_one(v, t, row[0], row[1], row[sc], cs);
		fleet_read_cursor_close(c);
		if (r < 0)
			return r;
	}
	for (i = 0; i < v->npend; i++)
		if (!v->pend[i].resolved)
			problem(v, v->pend[i].station, v->pend[i].seq, "it claims %s %.200s%s%.100s, but no "
			    "claim row, no conflicts row and no earlier claim of the station records it: "
			    "a claim row was edited or removed", claim_what[v->pend[i].t], v->pend[i].k[0],
			    v->pend[i].k[1] ? "/" : "", v->pend[i].k[1] ? v->pend[i].k[1] : "");
	return FR_OK;
}

/* ---- the pass ---- */

static int
open_peek(struct vstate *v, enum fleet_table t, struct peek *p)
{
	int r;

	if ((r = fleet_read_cursor(v->src, t, &p->c, v->why, v->cap)) != FR_OK)
		return r;
	return advance(v, p);
}

static void
close_peek(struct peek *p)
{
	fleet_read_cursor_close(p->c);
	p->c = NULL;
}

static int
pass(struct vstate *v)
{
	const char *const *e;
	size_t i;
	int r, t;

	if ((r = open_peek(v, FT_ENTRIES, &v->entries)) != FR_OK ||
	    (r = open_peek(v, FT_CHECKPOINTS, &v->cps)) != FR_OK ||
	    (r = open_peek(v, FT_STATION_KEYS, &v->keys)) != FR_OK)
		return r;
	for (t = 0; t < NCLAIM; t++)
		if ((r = open_peek(v, claim_tab[t], &v->claims[t])) != FR_OK)
			return r;
	while ((e = v->entries.row) != NULL) {
		if (e[0] == NULL || strlen(e[0]) > CAP_FLEET_FIELD) {
			snprintf(v->why, v->cap, "an entry has no station");
			return FR_ERR_CORRUPT;
		}
		if (v->sum->stations > 0 && strcmp(e[0], v->station) <= 0) {
			snprintf(v->why, v->cap, "the entries are not in station order (%.100s after %.100s)",
			    e[0], v->station);
			return FR_ERR_CORRUPT;
		}
		snprintf(v->station, sizeof(v->station), "%s", e[0]);
		v->sum->stations++;
		station_reset(v);
		if (merkle_stream_init(&v->ms) != MERKLE_OK)
			return FR_ERR_NOMEM;
		if ((r = load_keys(v)) != FR_OK || (r = load_cps(v)) != FR_OK)
			return r;
		/* the station's forks: after the previous station's, those of stations between are
		 * never seen (reported at the end) */
		for (v->fk0 = v->fk1; v->fk0 < v->nfk && strcmp(v->fk[v->fk0].station, v->station) < 0;
		     v->fk0++)
			;
		for (v->fk1 = v->fk0; v->fk1 < v->nfk && strcmp(v->fk[v->fk1].station, v->station) == 0;
		     v->fk1++)
			;
		v->ifk = v->fk0;
		while ((e = v->entries.row) != NULL && e[0] != NULL && strcmp(e[0], v->station) == 0) {
			if ((r = check_entry(v, e)) != FR_OK || (r = advance(v, &v->entries)) != FR_OK)
				return r;
		}
		end_station(v);
	}
	station_reset(v);
	/* rows left: of stations after the last one with entries (0xff sorts after every byte of
	 * ASCII or UTF-8 text) */
	v->station[0] = '\xff';
	v->station[1] = '\0';
	if ((r = load_keys(v)) != FR_OK || (r = load_cps(v)) != FR_OK ||
	    (r = match_claims(v, 0, "", NULL, 0)) != FR_OK)
		return r;
	for (i = 0; i < v->nfk; i++)
		if (!v->fk[i].seen)
			problem(v, v->fk[i].station, v->fk[i].checkpoint ? -1 : v->fk[i].pos, "fork %lld names "
			    "%s %lld, which the registry does not hold", v->fk[i].id,
			    v->fk[i].checkpoint ? "a checkpoint of size" : "entry", v->fk[i].pos);
	for (i = 0; i < v->nconf; i++) {
		struct conflict *k = &v->conf[i];

		if (!k->seen1)
			problem(v, k->st1, k->seq1, "conflict %lld names it as the first claimant of %s "
			    "%.200s, which it does not claim (or it is not held)", k->id, claim_what[k->what],
			    k->key);
		if (!k->seen2)
			problem(v, k->st2, k->seq2, "conflict %lld names it as the second claimant of %s "
			    "%.200s, which it does not claim (or it is not held)", k->id, claim_what[k->what],
			    k->key);
		if (strcmp(k->st1, k->st2) == 0)
			problem(v, k->st1, k->seq2, "conflict %lld names the same station twice", k->id);
	}
	return FR_OK;
}

int
fleet_verify_run(struct fleet_src *src, fleet_verify_report report, void *ctx,
    struct fleet_verify_sum *sum, char *why, size_t cap)
{
	struct vstate *v;
	size_t i;
	int r, t;

	memset(sum, 0, sizeof(*sum));
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return FR_ERR_NOMEM;
	v->src = src;
	v->report = report;
	v->ctx = ctx;
	v->sum = sum;
	v->why = why;
	v->cap = cap;
	if ((r = load_conflicts(v)) == FR_OK && (r = report_forks(v)) == FR_OK &&
	    (r = check_leases(v)) == FR_OK && (r = check_unique(v)) == FR_OK &&
	    (r = pass(v)) == FR_OK) {
		close_peek(&v->entries);
		close_peek(&v->cps);
		close_peek(&v->keys);
		for (t = 0; t < NCLAIM; t++)
			close_peek(&v->claims[t]);
		r = resolve_pending(v);
	}
	close_peek(&v->entries);
	close_peek(&v->cps);
	close_peek(&v->keys);
	for (t = 0; t < NCLAIM; t++)
		close_peek(&v->claims[t]);
	station_reset(v);
	free(v->cp);
	for (i = 0; i < v->nconf; i++) {
		free(v->conf[i].key);
		free(v->conf[i].st1);
		free(v->conf[i].st2);
	}
	free(v->conf);
	for (i = 0; i < v->nfk; i++)
		free(v->fk[i].station);
	free(v->fk);
	free(v->by1);
	free(v->by2);
	for (i = 0; i < v->npend; i++) {
		free(v->pend[i].k[0]);
		free(v->pend[i].k[1]);
		free(v->pend[i].station);
	}
	free(v->pend);
	free(v);
	return r;
}
