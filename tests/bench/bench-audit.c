/*
 * bench-audit.c: audit verification speed and memory (PRODUCT §9: >= 1,000,000 entries/s for
 * the Merkle recomputation; issue #14: `verify` of a 6,000,000-entry record in <= 10 s and
 * <= 256 MiB). A benchmark, not a test: run scripts/bench-audit.sh. Three modes, each its own
 * process so that the peak RSS of `verify` is its own:
 *
 *   bench-audit merkle
 *       the root over 1,000,000 given leaf hashes; hashing 1,000,000 canonical entries + root.
 *   bench-audit gen DIR N
 *       writes DIR/station.db: a synthetic but valid record of N entries, boards of six
 *       (board.seen, serial.allocated, password.committed, cert.issued with a ~300-byte
 *       certificate, board.verified, board.pass), the serials, pw_commits, devices and counters
 *       rows the signer would write with them, a software-signed checkpoint every
 *       1,000,000 entries and at the end, and DIR/audit-key.pem. One transaction, prepared
 *       statements. The certs table stays empty: certificate signatures are a separate cost
 *       (one ECDSA verification per certificate, see docs/auditor-guide.md §8).
 *   bench-audit verify DIR
 *       verify_run on DIR/station.db; prints the time, the Merkle part and the peak RSS.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit-entry.h"
#include "merkle.h"
#include "note.h"
#include "verify.h"

#define CP_EVERY 1000000L

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
sign_cp(sqlite3 *db, EVP_PKEY *k, uint64_t size, const merkle_hash root)
{
	uint8_t sig[128], id[4];
	char b[256], note[1024];
	size_t bl, sl = sizeof(sig), nl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (md == NULL || note_body("station/bench-1", size, root, b, sizeof(b), &bl) != 0 ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &sl, (uint8_t *)b, bl) != 1 ||
	    note_key_id(k, "station/bench-1", id) != 0 ||
	    note_assemble(b, "station/bench-1", id, sig, sl, note, sizeof(note), &nl) != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO checkpoints(size,root,note,time) VALUES(?,?,?,"
	        "'2026-11-29T00:00:00.000Z')", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	EVP_MD_CTX_free(md);
	return r;
}

static int
exec1(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	fprintf(stderr, "bench: %s: %s\n", sql, sqlite3_errmsg(db));
	return -1;
}

static int
gen(const char *dir, long n)
{
	static const char *const kinds[6] = { "board.seen", "serial.allocated", "password.committed",
		"cert.issued", "board.verified", "board.pass" };
	char path[512], serial[32], chip[32], hex[601], c[65], pk[65], fw[65], tm[32];
	char body[1024];
	struct audit *a = NULL;
	sqlite3 *db;
	sqlite3_stmt *ins = NULL, *sser = NULL, *spw = NULL, *sdev = NULL, *supd = NULL;
	merkle_hash *leaves = NULL;
	EVP_PKEY *k = NULL;
	FILE *f;
	long i, nalloc = 0;
	int r = -1;

	snprintf(path, sizeof(path), "%s/station.db", dir);
	unlink(path);
	if (audit_open(path, &a) != 0)
		return -1;
	db = audit_db(a);
	if ((leaves = malloc((size_t)(n ? n : 1) * sizeof(*leaves))) == NULL ||
	    (k = EVP_EC_gen("P-256")) == NULL)
		goto out;
	if (exec1(db, "PRAGMA synchronous=OFF") != 0 || exec1(db, "BEGIN IMMEDIATE") != 0)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO log(seq,time,station,operator,lot,kind,chip_id,"
	        "serial,body,leaf) VALUES(?,?,'bench-1','op','LOT-B',?,?,?,?,?)", -1, &ins,
	        NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO serials(serial,product,chip_id,lot,status,seq) "
	        "VALUES(?,'p',?,'LOT-B','allocated',?)", -1, &sser, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE serials SET status='used' WHERE serial=?", -1, &supd,
	        NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO pw_commits(commitment,serial,seq) VALUES(?,?,?)", -1,
	        &spw, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO devices(product,chip_id,serial,lot,cert_serial,"
	        "fw_version,fw_digest,seq,status) VALUES('p',?,?,'LOT-B',?,'1.0.0',?,?,?)", -1, &sdev,
	        NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	memset(hex, 'a', 600);
	hex[600] = '\0';
	for (i = 0; i < n; i++) {
		long b = i / 6;
		int step = (int)(i % 6);

		snprintf(serial, sizeof(serial), "SN-%08ld", b);
		snprintf(chip, sizeof(chip), "%016lx", (unsigned long)b * 2654435761UL);
		snprintf(c, sizeof(c), "%064lx", (unsigned long)b);
		snprintf(pk, sizeof(pk), "%056lx%08lx", (unsigned long)b, 0xfeedUL);
		snprintf(fw, sizeof(fw), "%064x", 0x9f3c);
		snprintf(tm, sizeof(tm), "2026-11-%02ldT%02ld:%02ld:%02ld.%03ldZ", 1 + (i / 86400000L) % 28,
		    (i / 3600000L) % 24, (i / 60000L) % 60, (i / 1000L) % 60, i % 1000);
		switch (step) {
		case 0:
			snprintf(body, sizeof(body), "{\"fixture\":\"1-1.%ld\",\"fw_sha256\":\"%s\","
			    "\"fw_version\":\"1.0.0\",\"model\":\"p\",\"state\":\"BLANK\"}", b % 8, fw);
			break;
		case 1: snprintf(body, sizeof(body), "{\"product\":\"p\"}"); break;
		case 2: snprintf(body, sizeof(body), "{\"commitment\":\"%s\"}", c); break;
		case 3:
			snprintf(body, sizeof(body), "{\"cert_serial\":\"%s\",\"der_hex\":\"%s\",\"issuer\":"
			    "\"ab\",\"product\":\"p\",\"pubkey_sha256\":\"%s\"}", c, hex, pk);
			break;
		case 4:
			snprintf(body, sizeof(body), "{\"cert_serial\":\"%s\",\"checks\":[\"chain_sha256_"
			    "installed\",\"key_proven\",\"password_verified\"],\"fw_sha256\":\"%s\","
			    "\"fw_version\":\"1.0.0\",\"product\":\"p\"}", c, fw);
			break;
		default: snprintf(body, sizeof(body), "{\"label\":\"printed\",\"product\":\"p\"}"); break;
		}
		if (audit_entry_leaf(i, tm, "bench-1", "op", "LOT-B", kinds[step], chip,
		        step == 0 ? "" : serial, body, leaves[i]) != AUDIT_OK)
			goto out;
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, i);
		sqlite3_bind_text(ins, 2, tm, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, kinds[step], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, chip, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, step == 0 ? "" : serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, body, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 7, leaves[i], 32, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto sqlerr;
		if (step == 1) {
			sqlite3_reset(sser);
			sqlite3_bind_text(sser, 1, serial, -1, SQLITE_STATIC);
			sqlite3_bind_text(sser, 2, chip, -1, SQLITE_STATIC);
			sqlite3_bind_int64(sser, 3, i);
			if (sqlite3_step(sser) != SQLITE_DONE)
				goto sqlerr;
			nalloc++;
		} else if (step == 2) {
			sqlite3_reset(spw);
			sqlite3_bind_text(spw, 1, c, -1, SQLITE_STATIC);
			sqlite3_bind_text(spw, 2, serial, -1, SQLITE_STATIC);
			sqlite3_bind_int64(spw, 3, i);
			if (sqlite3_step(spw) != SQLITE_DONE)
				goto sqlerr;
		} else if (step == 4) {
			sqlite3_reset(supd);
			sqlite3_bind_text(supd, 1, serial, -1, SQLITE_STATIC);
			sqlite3_reset(sdev);
			sqlite3_bind_text(sdev, 1, chip, -1, SQLITE_STATIC);
			sqlite3_bind_text(sdev, 2, serial, -1, SQLITE_STATIC);
			sqlite3_bind_text(sdev, 3, c, -1, SQLITE_STATIC);
			sqlite3_bind_text(sdev, 4, fw, -1, SQLITE_STATIC);
			sqlite3_bind_int64(sdev, 5, i);
			/* pass once its board.pass is written (the last board may stop short) */
			sqlite3_bind_text(sdev, 6, i + 1 < n ? "pass" : "verified", -1, SQLITE_STATIC);
			if (sqlite3_step(supd) != SQLITE_DONE || sqlite3_step(sdev) != SQLITE_DONE)
				goto sqlerr;
		}
		if ((i + 1) % CP_EVERY == 0 || i + 1 == n) {
			merkle_hash root;

			if (merkle_root(leaves, (uint64_t)i + 1, root) != 0 ||
			    sign_cp(db, k, (uint64_t)i + 1, root) != 0)
				goto sqlerr;
		}
	}
	if (nalloc > 0) {
		char sql[128];

		snprintf(sql, sizeof(sql), "INSERT INTO counters(name,value) VALUES('serial:p',%ld)",
		    nalloc - 1);
		if (exec1(db, sql) != 0)
			goto out;
	}
	if (exec1(db, "COMMIT") != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/audit-key.pem", dir);
	if ((f = fopen(path, "w")) == NULL)
		goto out;
	if (PEM_write_PUBKEY(f, k) != 1) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		goto out;
	r = 0;
	goto out;
sqlerr:
	fprintf(stderr, "bench: entry %ld: %s\n", i, sqlite3_errmsg(db));
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(sser);
	sqlite3_finalize(spw);
	sqlite3_finalize(sdev);
	sqlite3_finalize(supd);
	EVP_PKEY_free(k);
	free(leaves);
	audit_close(a);
	return r;
}

static int
merkle(void)
{
	long i, big = 1000000;
	merkle_hash *l = malloc((size_t)big * sizeof(*l)), root;
	char entry[300];
	double t;

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
	return 0;
}

static int
verify(const char *dir)
{
	struct verify_opts o;
	struct verify_result r;
	struct rusage ru;
	char db[512];
	int rc;

	memset(&o, 0, sizeof(o));
	snprintf(db, sizeof(db), "%s/station.db", dir);
	o.db = db;
	rc = verify_run(&o, &r);
	getrusage(RUSAGE_SELF, &ru);
	printf("verify of a %llu-entry log: %s, %.3f s total = %.0f entries/s; Merkle part %.4f s = "
	       "%.0f entries/s; peak RSS %.1f MiB\n", (unsigned long long)r.entries,
	    rc == VERIFY_OK ? "verified" : "FAILED", r.seconds_total,
	    (double)r.entries / r.seconds_total, r.seconds_merkle,
	    r.seconds_merkle > 0 ? (double)r.entries / r.seconds_merkle : 0.0,
	    (double)ru.ru_maxrss / 1024.0);
	if (rc != VERIFY_OK)
		fprintf(stderr, "%s %s\n", r.input_error, r.nproblems ? r.problems[0] : "");
	verify_result_free(&r);
	return rc == VERIFY_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "merkle") == 0)
		return merkle();
	if (argc == 4 && strcmp(argv[1], "gen") == 0) {
		double t = now();
		long n = atol(argv[3]);

		if (n < 0 || gen(argv[2], n) != 0) {
			fprintf(stderr, "bench: cannot build the synthetic log in %s\n", argv[2]);
			return 1;
		}
		printf("built a %ld-entry record in %.1f s\n", n, now() - t);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return verify(argv[2]);
	fprintf(stderr, "usage: bench-audit merkle | gen DIR N | verify DIR\n");
	return 2;
}
