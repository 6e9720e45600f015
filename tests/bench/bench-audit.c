/*
 * bench-audit.c: audit verification speed (PRODUCT §9: >= 1,000,000 entries/s for the Merkle
 * recomputation). Builds a synthetic log of N entries (default 100,000: boards of five entries
 * each, ~300-byte certificate bodies) with a software-signed checkpoint, then times:
 *   - the root over 1,000,000 given leaf hashes,
 *   - hashing 1,000,000 canonical entries + the root,
 *   - the whole `verify_run` on the N-entry database, and its Merkle part.
 * A benchmark, not a test: run scripts/bench-audit.sh.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "merkle.h"
#include "note.h"
#include "record.h"
#include "registry.h"
#include "util.h"
#include "verify.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
build(const char *dir, long n)
{
	char path[512], serial[32], chip[32], hex[600], c[65];
	struct audit_who w = { "bench-1", "op", "LOT-B" };
	struct audit *a;
	long i;

	snprintf(path, sizeof(path), "%s/station.db", dir);
	unlink(path);
	if (audit_open(path, &a) != 0 || audit_begin(a) != 0)
		return -1;
	memset(hex, 'a', 576);
	hex[576] = '\0';
	for (i = 0; i < n; i++) {
		long b = i / 5;
		json_t *body = NULL;
		const char *kind;

		snprintf(serial, sizeof(serial), "SN-%08ld", b);
		snprintf(chip, sizeof(chip), "%016lx", (unsigned long)b * 2654435761UL);
		snprintf(c, sizeof(c), "%064lx", (unsigned long)b);
		switch (i % 5) {
		case 0: kind = "serial.allocated"; break;
		case 1: kind = "password.committed"; body = json_pack("{s:s}", "commitment", c); break;
		case 2:
			kind = "cert.issued";
			body = json_pack("{s:s,s:s,s:s,s:s}", "issuer", "ab", "cert_serial", c,
			    "pubkey_sha256", c, "der_hex", hex);
			break;
		case 3: kind = "board.verified"; body = json_pack("{s:s}", "product", "p"); break;
		default: kind = "board.pass"; body = json_pack("{s:s}", "product", "p"); break;
		}
		if (audit_append(a, &w, kind, chip, serial, body, NULL) != 0)
			return -1;
		json_decref(body);
	}
	if (audit_commit(a) != 0)
		return -1;
	{
		/* A checkpoint over everything, signed by a software key written as audit-key.pem. */
		EVP_PKEY *k = EVP_EC_gen("P-256");
		merkle_hash *l = NULL, root;
		uint64_t m = 0;
		uint8_t sig[128], id[4];
		char b[256], note[1024], why[256];
		size_t bl, sl = sizeof(sig), nl;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		FILE *f;

		if (record_leaves(audit_db(a), &l, &m, why, sizeof(why)) != 0 ||
		    merkle_root(l, m, root) != 0 ||
		    note_body("station/bench-1", m, root, b, sizeof(b), &bl) != 0 ||
		    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(md, sig, &sl, (uint8_t *)b, bl) != 1 || note_key_id(k, "station/bench-1", id) != 0 ||
		    note_assemble(b, "station/bench-1", id, sig, sl, note, sizeof(note), &nl) != 0)
			return -1;
		if (reg_cp_store(a, 0, m, root, note, sizeof(note)) != 0)
			return -1;
		snprintf(path, sizeof(path), "%s/audit-key.pem", dir);
		if ((f = fopen(path, "w")) == NULL || PEM_write_PUBKEY(f, k) != 1)
			return -1;
		fclose(f);
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(k);
		free(l);
	}
	audit_close(a);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	long n = argc > 2 ? atol(argv[2]) : 100000, i, big = 1000000;
	merkle_hash *l = malloc((size_t)big * sizeof(*l)), root;
	struct verify_opts o;
	struct verify_result r;
	char db[512], entry[300];
	double t;
	int rc;

	if (l == NULL)
		return 1;
	for (i = 0; i < big; i++) {
		memset(l[i], 0, 32);
		memcpy(l[i], &i, sizeof(i));
	}
	t = now();
	merkle_root(l, (uint64_t)big, root);
	t = now() - t;
	printf("merkle root of %ld given leaf hashes: %.3f s = %.0f leaves/s\n", big, t, big / t);
	memset(entry, 'x', sizeof(entry));
	t = now();
	for (i = 0; i < big; i++) {
		memcpy(entry, &i, sizeof(i));
		merkle_leaf_hash((uint8_t *)entry, 256, l[i]);
	}
	merkle_root(l, (uint64_t)big, root);
	t = now() - t;
	printf("hashing %ld 256-byte entries + root: %.3f s = %.0f entries/s\n", big, t, big / t);
	free(l);

	if (build(dir, n) != 0) {
		fprintf(stderr, "bench: cannot build the synthetic log in %s\n", dir);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	snprintf(db, sizeof(db), "%s/station.db", dir);
	o.db = db;
	rc = verify_run(&o, &r);
	printf("verify of a %ld-entry log: %s, %.3f s total = %.0f entries/s; Merkle part %.4f s = "
	       "%.0f entries/s\n", n, rc == VERIFY_OK ? "verified" : "FAILED", r.seconds_total,
	    n / r.seconds_total, r.seconds_merkle, n / r.seconds_merkle);
	if (rc != VERIFY_OK)
		fprintf(stderr, "%s %s\n", r.input_error, r.nproblems ? r.problems[0] : "");
	verify_result_free(&r);
	return rc == VERIFY_OK ? 0 : 1;
}
