/*
 * fleet-driver.c: the fleet registry's client (hsm/fleet/fleet-registry.h) driven from a shell
 * test (tests/integration/test-fleet-pg.sh), against a real PostgreSQL:
 *   fleet-driver open CONNINFO
 *       fleet_open twice (the second finds the schema made), prints "open ok schema=N" each time
 *   fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY
 *       one entry (time 2025-01-01T00:00:00.<seq%1000>Z, operator "op", lot "lot-1") with its leaf
 *       computed as audit-entry.h says; prints "ingest ok held=H conflicts=C"
 *   fleet-driver checkpoint CONNINFO STATION SIZE good|bad
 *       a checkpoint over the station's first SIZE entries held, its root computed here (merkle.c)
 *       from the leaves the registry holds (bad: one bit flipped); prints "checkpoint ok held=H"
 *   fleet-driver next-seq CONNINFO STATION          prints "next N"
 *   fleet-driver lot CONNINFO STATION LOT QUOTA     prints "lot quota=Q" (the quota held)
 *   fleet-driver lease serials|quota CONNINFO STATION SCOPE COUNT
 *       prints "lease id=I first=F count=C"
 *   fleet-driver ingest-db CONNINFO DB
 *       a real station's local record pushed as its forwarder would: the rows of DB's `log`
 *       table from the registry's next seq on, in batches (fleet_ingest_batch), then the rows of
 *       its `checkpoints` table (fleet_ingest_checkpoint), after registering <DB dir>/audit-key.pem
 *       (fleet_station_key); prints "ingest-db ok station=S entries=N held=H checkpoints=C
 *       conflicts=K"
 *   fleet-driver synth CONNINFO STATION FIRST NDEV CPEVERY KEYFILE
 *       a synthetic station (load generator, scripts/bench-fleet.sh): station.start, then for
 *       each device d in [FIRST, FIRST+NDEV) serial.allocated, password.committed, cert.issued,
 *       board.verified and board.pass with values derived from d (the same d at two stations
 *       claims the same values: conflicts), ingested in batches of 1000; a checkpoint every
 *       CPEVERY entries and at the end, signed as a station signs them (c2sp note, origin
 *       station/STATION) with the Ed25519 key in KEYFILE (PEM, made when absent), whose public key
 *       is registered; resumes a station from the registry's next seq; prints "synth ok
 *       entries=N checkpoints=C conflicts=K seconds=S"
 *   fleet-driver synth-export DIR NSTATIONS NDEV CPEVERY KEYFILE
 *       NSTATIONS synthetic stations of NDEV devices each (as synth makes them, disjoint) written
 *       straight into DIR in the layout of `station fleet export --format json` (no server), for
 *       measuring `station fleet verify --from` at a million devices; prints "synth-export ok
 *       stations=N devices=D entries=E"
 * Exit 0 on success, 3 for FLEET_ERR_FORK, 4 for FLEET_ERR_SCHEMA, 5 for FLEET_ERR_EXHAUSTED,
 * 6 for FLEET_ERR_NOLOT, 1 for any other error (the message on stderr), 2 for usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <time.h>

#include "audit-entry.h"
#include "fleet-registry.h"
#include "log.h"
#include "merkle.h"
#include "note.h"
#include "util.h"

static int
status(int r)
{
	if (r == FLEET_ERR_FORK)
		return 3;
	if (r == FLEET_ERR_SCHEMA)
		return 4;
	if (r == FLEET_ERR_EXHAUSTED)
		return 5;
	if (r == FLEET_ERR_NOLOT)
		return 6;
	return r == FLEET_OK ? 0 : 1;
}

static int
open_twice(const char *conninfo)
{
	char why[512];
	struct fleet *f = NULL;
	int i, r, v = 0;

	for (i = 0; i < 2; i++) {
		if ((r = fleet_open(conninfo, &f, why, sizeof(why))) != FLEET_OK) {
			fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
			return status(r);
		}
		r = fleet_schema_version(f, &v, why, sizeof(why));
		fleet_close(f);
		f = NULL;
		if (r != FLEET_OK) {
			fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
			return status(r);
		}
		printf("open ok schema=%d\n", v);
	}
	return 0;
}

static int
ingest(char **av)
{
	char why[512], time[32];
	struct fleet_entry e;
	struct fleet *f = NULL;
	char *end;
	int r, held = 0, conf = 0;

	memset(&e, 0, sizeof(e));
	e.station = av[1];
	e.seq = strtoll(av[2], &end, 10);
	if (*av[2] == '\0' || *end != '\0' || e.seq < 0) {
		fprintf(stderr, "fleet-driver: SEQ must be a non-negative number\n");
		return 2;
	}
	snprintf(time, sizeof(time), "2025-01-01T00:00:00.%03dZ", (int)(e.seq % 1000));
	e.time = time;
	e.operator_name = "op";
	e.lot = "lot-1";
	e.kind = av[3];
	e.chip_id = av[4];
	e.serial = av[5];
	e.body = av[6];
	if (audit_entry_leaf(e.seq, e.time, e.station, e.operator_name, e.lot, e.kind, e.chip_id,
	        e.serial, e.body, e.leaf) != AUDIT_OK) {
		fprintf(stderr, "fleet-driver: out of memory\n");
		return 1;
	}
	if ((r = fleet_open(av[0], &f, why, sizeof(why))) != FLEET_OK) {
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
		return status(r);
	}
	r = fleet_ingest_entry(f, &e, &held, &conf, why, sizeof(why));
	fleet_close(f);
	if (r != FLEET_OK) {
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
		return status(r);
	}
	printf("ingest ok held=%d conflicts=%d\n", held, conf);
	return 0;
}

static int
opened(const char *conninfo, struct fleet **f)
{
	char why[512];
	int r;

	if ((r = fleet_open(conninfo, f, why, sizeof(why))) != FLEET_OK)
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
	return r;
}

static int
done(struct fleet *f, int r, const char *why)
{
	fleet_close(f);
	if (r != FLEET_OK)
		fprintf(stderr, "fleet-driver: %s (%s)\n", why, fleet_strerror(r));
	return status(r);
}

/* The root over the first n leaves the registry holds, computed here with a libpq query of
 * its own (the test's own reading, independent of the server's frontier). */
static int
checkpoint(char **av)
{
	char why[512], sql[160], note[64];
	long long n = atoll(av[2]);
	merkle_hash *leaves = NULL, root;
	struct fleet *f = NULL;
	PGconn *c;
	PGresult *res;
	int r, i, held = 0;

	if (n <= 0 || (leaves = calloc((size_t)n, sizeof(*leaves))) == NULL)
		return 2;
	c = PQconnectdb(av[0]);
	snprintf(sql, sizeof(sql), "SELECT encode(leaf,'hex') FROM entries WHERE station_id=$1"
	    " AND seq < %lld ORDER BY seq", n);
	res = PQexecParams(c, sql, 1, NULL, (const char *const *)&av[1], NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != n) {
		fprintf(stderr, "fleet-driver: reading %lld leaves: %s\n", n, PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
		free(leaves);
		return 1;
	}
	for (i = 0; i < (int)n; i++)
		for (r = 0; r < 32; r++)
			sscanf(PQgetvalue(res, i, 0) + 2 * r, "%2hhx", &leaves[i][r]);
	PQclear(res);
	PQfinish(c);
	r = merkle_root((const merkle_hash *)leaves, (uint64_t)n, root);
	free(leaves);
	if (r != MERKLE_OK)
		return 1;
	if (strcmp(av[3], "bad") == 0)
		root[7] ^= 0x20;
	snprintf(note, sizeof(note), "test note %lld", n);
	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	r = fleet_ingest_checkpoint(f, av[1], (uint64_t)n, root, note, &held, why, sizeof(why));
	if (r == FLEET_OK)
		printf("checkpoint ok held=%d\n", held);
	return done(f, r, why);
}

static int
next_seq(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	int64_t next = -1;
	int r;

	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	if ((r = fleet_next_seq(f, av[1], &next, why, sizeof(why))) == FLEET_OK)
		printf("next %lld\n", (long long)next);
	return done(f, r, why);
}

static int
lot(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	int64_t held = 0;
	int r;

	if ((r = opened(av[0], &f)) != FLEET_OK)
		return status(r);
	if ((r = fleet_declare_lot(f, av[1], av[2], atoll(av[3]), &held, why, sizeof(why))) == 0)
		printf("lot quota=%lld\n", (long long)held);
	return done(f, r, why);
}

static int
lease(char **av)
{
	char why[512];
	struct fleet *f = NULL;
	struct fleet_lease l;
	int r;

	if ((r = opened(av[1], &f)) != FLEET_OK)
		return status(r);
	if (strcmp(av[0], "serials") == 0)
		r = fleet_lease_serials(f, av[2], av[3], atoll(av[4]), 3600, &l, why, sizeof(why));
	else
		r = fleet_lease_quota(f, av[2], av[3], atoll(av[4]), 3600, &l, why, sizeof(why));
	if (r == FLEET_OK)
		printf("lease id=%lld first=%lld count=%lld\n", (long long)l.id, (long long)l.first,
		    (long long)l.count);
	return done(f, r, why);
}

/* ---- a station's real record, and synthetic stations ---- */

#define BATCH 1000

/* Signs a checkpoint of (size, root) as the signer does (note.h) with key; note into out. */
static int
sign_note(EVP_PKEY *key, const char *station, uint64_t size, const uint8_t root[32], char *out,
    size_t cap)
{
	char origin[CAP_ORIGIN + 1], body[512];
	uint8_t id[4], sig[128];
	size_t blen = 0, slen = sizeof(sig), len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md != NULL && note_origin(station, origin, sizeof(origin)) == NOTE_OK &&
	    note_body(origin, size, root, body, sizeof(body), &blen) == NOTE_OK &&
	    note_key_id(key, origin, id) == NOTE_OK &&
	    EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &slen, (const uint8_t *)body, blen) == 1 &&
	    note_assemble(body, origin, id, sig, slen, out, cap, &len) == NOTE_OK;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* KEYFILE's Ed25519 key, made (and written, mode 0600) when absent; its public PEM into pem. */
static EVP_PKEY *
synth_key(const char *path, char *pem, size_t cap)
{
	EVP_PKEY *k = NULL;
	FILE *fp;
	BIO *b;
	long n;
	char *p;

	if ((fp = fopen(path, "r")) != NULL) {
		k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
	} else if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL) {
		if ((fp = fopen(path, "wx")) == NULL ||
		    PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL) != 1) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		if (fp != NULL)
			fclose(fp);
	}
	if (k == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return k;
	if (PEM_write_bio_PUBKEY(b, k) != 1 || (n = BIO_get_mem_data(b, &p)) <= 0 ||
	    (size_t)n >= cap) {
		BIO_free(b);
		EVP_PKEY_free(k);
		return NULL;
	}
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	BIO_free(b);
	return k;
}

static void
hex_of(const char *s, char out[65])
{
	uint8_t h[32];
	int i;

	EVP_Digest(s, strlen(s), h, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* The leaves the registry holds of station, pushed into ms (a resumed synthetic station). */
static int
stream_held(const char *conninfo, const char *station, int64_t n, struct merkle_stream *ms)
{
	PGconn *c = PQconnectdb(conninfo);
	const char *p[1] = { station };
	PGresult *res;
	merkle_hash h;
	int i, j, ok;

	res = PQexecParams(c, "SELECT encode(leaf,'hex') FROM entries WHERE station_id=$1 ORDER BY seq",
	    1, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == n;
	for (i = 0; ok && i < n; i++) {
		for (j = 0; j < 32; j++)
			sscanf(PQgetvalue(res, i, 0) + 2 * j, "%2hhx", &h[j]);
		ok = merkle_stream_push(ms, h) == MERKLE_OK;
	}
	PQclear(res);
	PQfinish(c);
	return ok ? 0 : -1;
}

struct synth_e {
	char time[32], chip[32], serial[32], body[320];
	char h1[65], h2[65], cs[24]; /* commitment, public key hash, certificate serial */
	const char *kind;
};

/* Entry seq of a synthetic station whose devices start at first: station.start, then five per
 * device d: serial.allocated, password.committed, cert.issued, board.verified, board.pass. */
static void
synth_entry(long long first, int64_t seq, struct synth_e *x)
{
	long long d = first + (seq - 1) / 5;
	char tmp[64];

	snprintf(x->time, sizeof(x->time), "2026-01-01T00:00:%02d.%03dZ", (int)(seq / 1000 % 60),
	    (int)(seq % 1000));
	x->chip[0] = x->serial[0] = '\0';
	snprintf(x->body, sizeof(x->body), "{}");
	if (seq == 0) {
		x->kind = "station.start";
		return;
	}
	snprintf(x->chip, sizeof(x->chip), "chip-%08lld", d);
	snprintf(x->serial, sizeof(x->serial), "SN%08lld", d);
	switch ((seq - 1) % 5) {
	case 0:
		x->kind = "serial.allocated";
		snprintf(x->body, sizeof(x->body), "{\"product\":\"thermo\"}");
		break;
	case 1:
		x->kind = "password.committed";
		snprintf(tmp, sizeof(tmp), "pw-%lld", d);
		hex_of(tmp, x->h1);
		snprintf(x->body, sizeof(x->body), "{\"commitment\":\"%s\"}", x->h1);
		break;
	case 2:
		x->kind = "cert.issued";
		snprintf(tmp, sizeof(tmp), "pk-%lld", d);
		hex_of(tmp, x->h2);
		snprintf(x->cs, sizeof(x->cs), "%llx", d + 4096);
		snprintf(x->body, sizeof(x->body), "{\"cert_serial\":\"%s\",\"issuer\":\"k1\","
		    "\"product\":\"thermo\",\"pubkey_sha256\":\"%s\"}", x->cs, x->h2);
		break;
	case 3:
		x->kind = "board.verified";
		snprintf(x->body, sizeof(x->body), "{\"product\":\"thermo\"}");
		break;
	default:
		x->kind = "board.pass";
		snprintf(x->body, sizeof(x->body), "{\"product\":\"thermo\"}");
		break;
	}
}

static int
synth(char **av)
{
	char why[512], pem[1024], note[1024], t0[32];
	long long first = atoll(av[2]), ndev = atoll(av[3]), every = atoll(av[4]);
	struct synth_e *se = NULL;
	struct fleet_entry *e = NULL;
	struct merkle_stream ms;
	struct fleet *f = NULL;
	EVP_PKEY *key = NULL;
	merkle_hash root;
	struct timespec a, b;
	int64_t next = 0, seq, last_cp = 0, total;
	long long ncp = 0, nent = 0;
	size_t n = 0;
	int r = FLEET_ERR_ARG, conf = 0;

	memset(&ms, 0, sizeof(ms));
	if (ndev < 0 || every <= 0 || first < 0)
		return 2;
	log_init("fleet-driver", LOG_ERROR); /* conflicts are the point here, not news */
	if ((key = synth_key(av[5], pem, sizeof(pem))) == NULL) {
		fprintf(stderr, "fleet-driver: cannot load or make the key %s\n", av[5]);
		return 1;
	}
	if ((se = calloc(BATCH, sizeof(*se))) == NULL || (e = calloc(BATCH, sizeof(*e))) == NULL ||
	    merkle_stream_init(&ms) != MERKLE_OK)
		goto out;
	if ((r = opened(av[0], &f)) != FLEET_OK)
		goto out;
	if ((r = fleet_station_key(f, av[1], pem, why, sizeof(why))) != FLEET_OK ||
	    (r = fleet_next_seq(f, av[1], &next, why, sizeof(why))) != FLEET_OK)
		goto out;
	if (next > 0 && stream_held(av[0], av[1], next, &ms) != 0) {
		snprintf(why, sizeof(why), "cannot read the leaves held of %s", av[1]);
		r = FLEET_ERR_DB;
		goto out;
	}
	last_cp = next;
	/* entry 0 is station.start; device d's entries are 1 + 5 (d - first) .. +4 */
	total = 1 + 5 * ndev;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (seq = next; seq < total; seq++) {
		struct synth_e *x = &se[n];

		synth_entry(first, seq, x);
		e[n].station = av[1];
		e[n].seq = seq;
		e[n].time = x->time;
		e[n].operator_name = "op";
		e[n].lot = "lot-1";
		e[n].kind = x->kind;
		e[n].chip_id = x->chip;
		e[n].serial = x->serial;
		e[n].body = x->body;
		if (audit_entry_leaf_with(&ms, seq, x->time, av[1], "op", "lot-1", x->kind, x->chip,
		        x->serial, x->body, e[n].leaf) != AUDIT_OK ||
		    merkle_stream_push(&ms, e[n].leaf) != MERKLE_OK) {
			r = FLEET_ERR_NOMEM;
			goto out;
		}
		n++;
		if (n == BATCH || seq + 1 == total || seq + 1 - last_cp >= every) {
			size_t held = 0;

			if ((r = fleet_ingest_batch(f, e, n, &held, &conf, why, sizeof(why))) != FLEET_OK)
				goto out;
			nent += (long long)n;
			n = 0;
			if (seq + 1 - last_cp >= every || seq + 1 == total) {
				if (merkle_stream_root(&ms, root) != MERKLE_OK ||
				    sign_note(key, av[1], (uint64_t)(seq + 1), root, note, sizeof(note)) != 0) {
					snprintf(why, sizeof(why), "cannot sign a checkpoint");
					r = FLEET_ERR_ARG;
					goto out;
				}
				if ((r = fleet_ingest_checkpoint(f, av[1], (uint64_t)(seq + 1), root, note, NULL,
				         why, sizeof(why))) != FLEET_OK)
					goto out;
				ncp++;
				last_cp = seq + 1;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	snprintf(t0, sizeof(t0), "%.3f", (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	printf("synth ok entries=%lld checkpoints=%lld conflicts=%d seconds=%s\n", nent, ncp, conf, t0);
	r = FLEET_OK;
out:
	merkle_stream_done(&ms);
	EVP_PKEY_free(key);
	free(se);
	free(e);
	return done(f, r, why);
}

/* s as a JSON string (quotes, backslashes and control characters escaped) */
static void
jput(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", *s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static FILE *
xopen(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.jsonl", dir, name);
	return fopen(path, "wx");
}

/* An export (`station fleet export --format json` layout, no manifest) of NST synthetic stations
 * written directly, for measuring `station fleet verify --from` at sizes the ingest path would
 * take hours to build: each station as synth makes it (devices [i*NDEV, (i+1)*NDEV)), its claims,
 * its checkpoints signed with KEYFILE's key, the key registered. */
static int
synth_export(char **av)
{
	static const char *const names[] = { "stations", "entries", "checkpoints", "station_keys",
		"chips", "serials", "cert_serials", "pubkeys", "pw_commitments", "conflicts", "forks",
		"lots", "leases" };
	enum { F_ST, F_E, F_CP, F_K, F_CHIP, F_SER, F_CERT, F_PK, F_PW, F_N = 13 };
	const char *dir = av[0], *rcv = "2026-01-01T00:00:00Z";
	long long nst = atoll(av[1]), ndev = atoll(av[2]), every = atoll(av[3]), i;
	char pem[1024], note[1024], station[32], hex[65], pemsha[65];
	FILE *f[F_N];
	struct merkle_stream ms;
	struct synth_e x;
	EVP_PKEY *key;
	merkle_hash leaf, root;
	int64_t seq, total;
	int k, ok = 1;

	memset(&ms, 0, sizeof(ms));
	if (nst <= 0 || nst > 999 || ndev < 0 || every <= 0)
		return 2;
	if ((key = synth_key(av[4], pem, sizeof(pem))) == NULL) {
		fprintf(stderr, "fleet-driver: cannot load or make the key %s\n", av[4]);
		return 1;
	}
	hex_of(pem, pemsha);
	for (k = 0; k < F_N; k++)
		if ((f[k] = xopen(dir, names[k])) == NULL) {
			fprintf(stderr, "fleet-driver: cannot write %s/%s.jsonl\n", dir, names[k]);
			return 1;
		}
	for (i = 0; i < nst && ok; i++) {
		snprintf(station, sizeof(station), "synth-%03lld", i);
		fprintf(f[F_ST], "{\"station_id\":\"%s\",\"first_seen\":\"%s\",\"last_contact\":\"%s\"}\n",
		    station, rcv, rcv);
		fprintf(f[F_K], "{\"station_id\":\"%s\",\"pem\":", station);
		jput(f[F_K], pem);
		fprintf(f[F_K], ",\"sha256\":\"%s\",\"first_seen\":\"%s\"}\n", pemsha, rcv);
		if (merkle_stream_init(&ms) != MERKLE_OK)
			return 1;
		total = 1 + 5 * ndev;
		for (seq = 0; seq < total && ok; seq++) {
			synth_entry(i * ndev, seq, &x);
			if (audit_entry_leaf_with(&ms, seq, x.time, station, "op", "lot-1", x.kind, x.chip,
			        x.serial, x.body, leaf) != AUDIT_OK ||
			    merkle_stream_push(&ms, leaf) != MERKLE_OK) {
				ok = 0;
				break;
			}
			for (k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", leaf[k]);
			fprintf(f[F_E], "{\"station_id\":\"%s\",\"seq\":\"%lld\",\"time\":\"%s\",\"operator\":"
			    "\"op\",\"lot\":\"lot-1\",\"kind\":\"%s\",\"chip_id\":\"%s\",\"serial\":\"%s\","
			    "\"body\":", station, (long long)seq, x.time, x.kind, x.chip, x.serial);
			jput(f[F_E], x.body);
			fprintf(f[F_E], ",\"leaf\":\"%s\",\"received\":\"%s\"}\n", hex, rcv);
			switch (seq == 0 ? -1 : (int)((seq - 1) % 5)) {
			case 0:
				fprintf(f[F_SER], "{\"serial\":\"%s\",\"product\":\"thermo\",\"station_id\":\"%s\","
				    "\"seq\":\"%lld\"}\n", x.serial, station, (long long)seq);
				break;
			case 1:
				fprintf(f[F_PW], "{\"commitment\":\"%s\",\"station_id\":\"%s\",\"seq\":\"%lld\"}\n",
				    x.h1, station, (long long)seq);
				break;
			case 2:
				fprintf(f[F_CERT], "{\"issuer\":\"k1\",\"cert_serial\":\"%s\",\"station_id\":"
				    "\"%s\",\"seq\":\"%lld\"}\n", x.cs, station, (long long)seq);
				fprintf(f[F_PK], "{\"pubkey_sha256\":\"%s\",\"station_id\":\"%s\",\"seq\":"
				    "\"%lld\"}\n", x.h2, station, (long long)seq);
				break;
			case 3:
				fprintf(f[F_CHIP], "{\"product\":\"thermo\",\"chip_id\":\"%s\",\"station_id\":"
				    "\"%s\",\"seq\":\"%lld\"}\n", x.chip, station, (long long)seq);
				break;
			default: break;
			}
			if ((seq + 1) % every == 0 || seq + 1 == total) {
				if (merkle_stream_root(&ms, root) != MERKLE_OK ||
				    sign_note(key, station, (uint64_t)(seq + 1), root, note, sizeof(note)) != 0) {
					ok = 0;
					break;
				}
				for (k = 0; k < 32; k++)
					snprintf(hex + 2 * k, 3, "%02x", root[k]);
				fprintf(f[F_CP], "{\"station_id\":\"%s\",\"size\":\"%lld\",\"root\":\"%s\","
				    "\"note\":", station, (long long)(seq + 1), hex);
				jput(f[F_CP], note);
				fprintf(f[F_CP], ",\"received\":\"%s\"}\n", rcv);
			}
		}
		merkle_stream_done(&ms);
		memset(&ms, 0, sizeof(ms));
	}
	for (k = 0; k < F_N; k++)
		if (fclose(f[k]) != 0)
			ok = 0;
	EVP_PKEY_free(key);
	if (!ok) {
		fprintf(stderr, "fleet-driver: synth-export failed\n");
		return 1;
	}
	printf("synth-export ok stations=%lld devices=%lld entries=%lld\n", nst, nst * ndev,
	    nst * (1 + 5 * ndev));
	return 0;
}

static char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

static void
free_entries(struct fleet_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)(uintptr_t)e[i].station);
		free((char *)(uintptr_t)e[i].time);
		free((char *)(uintptr_t)e[i].operator_name);
		free((char *)(uintptr_t)e[i].lot);
		free((char *)(uintptr_t)e[i].kind);
		free((char *)(uintptr_t)e[i].chip_id);
		free((char *)(uintptr_t)e[i].serial);
		free((char *)(uintptr_t)e[i].body);
	}
}

static int
ingest_db(char **av)
{
	char why[512], station[256] = "", pemp[4096], *dir;
	uint8_t *pem = NULL;
	size_t pemlen = 0, n = 0, held = 0, totheld = 0;
	struct fleet_entry *e = NULL;
	struct fleet *f = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long nent = 0, ncp = 0;
	int64_t next = 0;
	int r = FLEET_ERR_DB, conf = 0, s;

	snprintf(pemp, sizeof(pemp), "%s", av[1]);
	dir = strrchr(pemp, '/');
	snprintf(dir ? dir + 1 : pemp, sizeof(pemp) - (size_t)(dir ? dir + 1 - pemp : 0),
	    "audit-key.pem");
	if (sqlite3_open_v2(av[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT station FROM log WHERE seq = 0", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, sizeof(why), "%s: no log entry 0: %s", av[1], sqlite3_errmsg(db));
		goto out;
	}
	snprintf(station, sizeof(station), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	if (util_read_file(pemp, 65536, &pem, &pemlen) != 0) {
		snprintf(why, sizeof(why), "cannot read %.400s", pemp);
		goto out;
	}
	{
		char *p = realloc(pem, pemlen + 1);

		if (p == NULL)
			goto out;
		pem = (uint8_t *)p;
		pem[pemlen] = '\0';
	}
	if ((e = calloc(BATCH, sizeof(*e))) == NULL || (r = opened(av[0], &f)) != FLEET_OK)
		goto out;
	if ((r = fleet_station_key(f, station, (const char *)pem, why, sizeof(why))) != FLEET_OK ||
	    (r = fleet_next_seq(f, station, &next, why, sizeof(why))) != FLEET_OK)
		goto out;
	r = FLEET_ERR_DB;
	if (sqlite3_prepare_v2(db, "SELECT seq, time, station, operator, lot, kind, chip_id, serial,"
	                           " body FROM log WHERE seq >= ? ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, next);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct fleet_entry *x = &e[n];

		x->seq = sqlite3_column_int64(st, 0);
		x->time = col(st, 1);
		x->station = col(st, 2);
		x->operator_name = col(st, 3);
		x->lot = col(st, 4);
		x->kind = col(st, 5);
		x->chip_id = col(st, 6);
		x->serial = col(st, 7);
		x->body = col(st, 8);
		n++;
		if (audit_entry_leaf(x->seq, x->time, x->station, x->operator_name, x->lot, x->kind,
		        x->chip_id, x->serial, x->body, x->leaf) != AUDIT_OK) {
			r = FLEET_ERR_NOMEM;
			goto out;
		}
		if (n == BATCH) {
			if ((r = fleet_ingest_batch(f, e, n, &held, &conf, why, sizeof(why))) != FLEET_OK)
				goto out;
			nent += (long long)n;
			totheld += held;
			free_entries(e, n);
			n = 0;
		}
	}
	if (s != SQLITE_DONE) {
		snprintf(why, sizeof(why), "%s: %s", av[1], sqlite3_errmsg(db));
		goto out;
	}
	if (n > 0) {
		if ((r = fleet_ingest_batch(f, e, n, &held, &conf, why, sizeof(why))) != FLEET_OK)
			goto out;
		nent += (long long)n;
		totheld += held;
		free_entries(e, n);
		n = 0;
	}
	sqlite3_finalize(st);
	st = NULL;
	r = FLEET_ERR_DB;
	if (sqlite3_prepare_v2(db, "SELECT size, root, note FROM checkpoints ORDER BY size", -1, &st,
	        NULL) != SQLITE_OK)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != 32) {
			snprintf(why, sizeof(why), "%s: a checkpoint root is not 32 bytes", av[1]);
			goto out;
		}
		if ((r = fleet_ingest_checkpoint(f, station, (uint64_t)sqlite3_column_int64(st, 0),
		         sqlite3_column_blob(st, 1), (const char *)sqlite3_column_text(st, 2), NULL, why,
		         sizeof(why))) != FLEET_OK)
			goto out;
		ncp++;
	}
	printf("ingest-db ok station=%s entries=%lld held=%zu checkpoints=%lld conflicts=%d\n",
	    station, nent, totheld, ncp, conf);
	r = FLEET_OK;
out:
	if (e != NULL)
		free_entries(e, n);
	free(e);
	free(pem);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return done(f, r, why);
}

int
main(int argc, char **argv)
{
	log_init("fleet-driver", LOG_WARN);
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return open_twice(argv[2]);
	if (argc == 9 && strcmp(argv[1], "ingest") == 0)
		return ingest(argv + 2);
	if (argc == 6 && strcmp(argv[1], "checkpoint") == 0)
		return checkpoint(argv + 2);
	if (argc == 4 && strcmp(argv[1], "next-seq") == 0)
		return next_seq(argv + 2);
	if (argc == 6 && strcmp(argv[1], "lot") == 0)
		return lot(argv + 2);
	if (argc == 7 && strcmp(argv[1], "lease") == 0)
		return lease(argv + 2);
	if (argc == 4 && strcmp(argv[1], "ingest-db") == 0)
		return ingest_db(argv + 2);
	if (argc == 8 && strcmp(argv[1], "synth") == 0)
		return synth(argv + 2);
	if (argc == 7 && strcmp(argv[1], "synth-export") == 0)
		return synth_export(argv + 2);
	fprintf(stderr, "usage: fleet-driver open CONNINFO\n"
	                "       fleet-driver ingest CONNINFO STATION SEQ KIND CHIP SERIAL BODY\n"
	                "       fleet-driver checkpoint CONNINFO STATION SIZE good|bad\n"
	                "       fleet-driver next-seq CONNINFO STATION\n"
	                "       fleet-driver lot CONNINFO STATION LOT QUOTA\n"
	                "       fleet-driver lease serials|quota CONNINFO STATION SCOPE COUNT\n"
	                "       fleet-driver ingest-db CONNINFO DB\n"
	                "       fleet-driver synth CONNINFO STATION FIRST NDEV CPEVERY KEYFILE\n"
	                "       fleet-driver synth-export DIR NSTATIONS NDEV CPEVERY KEYFILE\n");
	return 2;
}
