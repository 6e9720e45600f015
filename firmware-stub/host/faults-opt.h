/*
 * faults-opt.h: the fault-injection options of firmware-stub (docs/protocol.md §8) as one table
 * and one value parser, shared by the command line (main.c, through getopt_long) and the slot
 * control files (slots.c, through faults_opt_parse: no getopt state, safe on any thread).
 */
#ifndef FAULTS_OPT_H
#define FAULTS_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "faults.h"

/* getopt_long codes of the fault options: every code >= FAULTS_OPT_FIRST is one of ours. */
enum {
	FAULTS_OPT_FIRST = 256, OPT_FAULT_BOARD = FAULTS_OPT_FIRST, OPT_DROP, OPT_CORRUPT, OPT_SEED,
	OPT_HANGUP, OPT_NEVER, OPT_LATE, OPT_REBOOT, OPT_CSR_SIG, OPT_CSR_TYPE, OPT_CSR_WEAK,
	OPT_CSR_OTHER, OPT_CSR_NONCE, OPT_DUP, OPT_FW, OPT_REFUSE_LOCK, OPT_FAKE_LOCK, OPT_OVERSIZED,
	OPT_TRUNCATED, OPT_GARBAGE, OPT_AT, OPT_LINE_RATE,
	OPT_ROTATE,      /* a hostile board showing a new chip ID at every HELLO */
	OPT_SHORT_CHUNKS, /* a slow board: one byte of each READ_OBJECT chunk */
	OPT_NO_CRED,      /* no onboarding credentials announced (P-53) */
	OPT_LYING_CRED,   /* credentials acknowledged, never stored, always "confirmed" */
	OPT_SMALL_MATTER  /* CAP_CRED_MATTER announced with max_payload 128 (P-6 violated) */
};

/* The fault options, in getopt_long form, ending with an all-zero entry. */
extern const struct option faults_opt_table[];
/* Entries of faults_opt_table before its terminator. */
extern const size_t faults_opt_count;

/* Applies one fault option (code from faults_opt_table, arg its value or NULL) to fc. Returns 0,
 * or -1 with a message on stderr that names the option and its accepted values (fc may then
 * hold a partial value of that option only). */
int faults_opt_apply(struct faults_cfg *fc, int code, const char *arg);

/*
 * Parses words[0..n-1] as fault options ("--name", "--name VALUE" or "--name=VALUE") into fc,
 * with faults_opt_apply. Reentrant (no getopt state). Returns 0, or -1 with a message on stderr
 * for an unknown option, a missing value, a value given to a flag, or a bad value; fc is then
 * partly updated and must not be used.
 */
int faults_opt_parse(struct faults_cfg *fc, char *const words[], size_t n);

/* Decodes hex string s (even length, 2..2*max digits) into out. 0 with *n set, or -1. */
int faults_opt_unhex(const char *s, uint8_t *out, size_t max, size_t *n);

#endif
