/*
 * verify.h: offline verification of the audit record (PRODUCT §7, docs/auditor-guide.md).
 * Recomputes every leaf and the whole tree, checks every checkpoint (stored, given as files, or in
 * a bundle) against the tree and the audit public key, every certificate against the CA and the
 * log, uniqueness of chip IDs, serials, certificate serials, public keys and password
 * commitments (in the log and in the tables: the schema is not trusted), and the order of each
 * board's entries. Needs no HSM. Library code: results are returned, nothing is printed.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"

enum verify_rc {
	VERIFY_OK = 0,        /* everything verified */
	VERIFY_FAIL = 1,      /* at least one problem (problems[0] is the first) */
	VERIFY_ERR_INPUT = 3, /* the input cannot be read (input_error says why) */
};

struct verify_opts {
	const char *db;       /* database path, or */
	const char *bundle;   /* bundle path */
	const char *checkpoints[CAP_VERIFY_FILES];
	size_t ncheckpoints;  /* extra checkpoint files */
	const char *ca;       /* CA certificate(s) PEM; default ca.pem next to the DB, or bundle */
	const char *audit_key; /* audit public key PEM; default audit-key.pem next to the DB, or bundle */
};

struct verify_result {
	char *problems[CAP_VERIFY_PROBLEMS];
	size_t nproblems;     /* stored (at most CAP_VERIFY_PROBLEMS) */
	size_t nproblems_all; /* found */
	char *warnings[CAP_VERIFY_PROBLEMS];
	size_t nwarnings;
	char input_error[512];
	uint64_t entries, checkpoints, certs, devices;
	uint64_t covered;     /* entries covered by the largest verified checkpoint */
	uint64_t uncovered;   /* entries no verified checkpoint covers (entries - covered) */
	uint64_t removed;     /* entries a signature-verified checkpoint covers that the log no
	                       * longer holds (its largest size - entries; each such checkpoint is
	                       * also a problem) */
	uint64_t unterminated; /* station.start entries with no station.stop before the next start
	                        * or the end of the log (each is also a warning) */
	double seconds_total, seconds_merkle; /* seconds_merkle: leaf hashing and tree building,
	                                       * sampled in the one pass over the log */
	/* internal: the check each kept problem/warning came from (report order) */
	int phase;
	uint64_t phase_all[16]; /* problems found in each phase */
	unsigned char problem_phase[CAP_VERIFY_PROBLEMS];
	unsigned char warning_phase[CAP_VERIFY_PROBLEMS];
};

/* Runs every check. Returns a verify_rc; res is always filled (free with verify_result_free). */
int verify_run(const struct verify_opts *o, struct verify_result *res);
void verify_result_free(struct verify_result *res);

#endif
