/* faults-opt.c: the fault options' table and value parser; see faults-opt.h. */
#include "faults-opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

const struct option faults_opt_table[] = {
	{ "fault-board", required_argument, NULL, OPT_FAULT_BOARD },
	{ "drop-rate", required_argument, NULL, OPT_DROP },
	{ "corrupt-rate", required_argument, NULL, OPT_CORRUPT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "hang-up-at", required_argument, NULL, OPT_HANGUP },
	{ "never-reply-at", required_argument, NULL, OPT_NEVER },
	{ "reply-late", required_argument, NULL, OPT_LATE },
	{ "reboot-at", required_argument, NULL, OPT_REBOOT },
	{ "csr-bad-signature", no_argument, NULL, OPT_CSR_SIG },
	{ "csr-wrong-key-type", no_argument, NULL, OPT_CSR_TYPE },
	{ "csr-weak-key", no_argument, NULL, OPT_CSR_WEAK },
	{ "csr-other-key", no_argument, NULL, OPT_CSR_OTHER },
	{ "csr-wrong-nonce", no_argument, NULL, OPT_CSR_NONCE },
	{ "duplicate-chip-id", required_argument, NULL, OPT_DUP },
	{ "firmware-not-allowed", no_argument, NULL, OPT_FW },
	{ "refuse-lock", no_argument, NULL, OPT_REFUSE_LOCK },
	{ "fake-lock", no_argument, NULL, OPT_FAKE_LOCK },
	{ "oversized-frames", no_argument, NULL, OPT_OVERSIZED },
	{ "truncated-frames", no_argument, NULL, OPT_TRUNCATED },
	{ "garbage-frames", no_argument, NULL, OPT_GARBAGE },
	{ "at", required_argument, NULL, OPT_AT },
	{ "line-rate", required_argument, NULL, OPT_LINE_RATE },
	{ "rotate-chip-id", no_argument, NULL, OPT_ROTATE },
	{ "short-chunks", no_argument, NULL, OPT_SHORT_CHUNKS },
	{ "no-credentials", no_argument, NULL, OPT_NO_CRED },
	{ "lying-credentials", no_argument, NULL, OPT_LYING_CRED },
	{ "small-matter", no_argument, NULL, OPT_SMALL_MATTER },
	{ NULL, 0, NULL, 0 }
};

const size_t faults_opt_count = sizeof(faults_opt_table) / sizeof(faults_opt_table[0]) - 1;

int
faults_opt_unhex(const char *s, uint8_t *out, size_t max, size_t *n)
{
	size_t len = strlen(s), i;
	unsigned v;

	if (len % 2 || len / 2 > max || len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

static int
parse_rate(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

static int
parse_step(const char *s, unsigned *out, const char *opt)
{
	int t = faults_step(s);

	if (t < 0) {
		fprintf(stderr, "firmware-stub: %s: unknown step '%.40s' (hello, set-identity, gen-key, "
		    "read, write, install, prove, confirm, lock, set-credential, confirm-credential)\n", opt, s);
		return -1;
	}
	*out = (unsigned)t;
	return 0;
}

static int
parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out, const char *opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr, "firmware-stub: %s takes a number in %lu..%lu\n", opt, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
faults_opt_apply(struct faults_cfg *fc, int c, const char *arg)
{
	unsigned long v = 0;
	unsigned t = 0;

	switch (c) {
	case OPT_FAULT_BOARD:
		if (parse_uint(arg, 0, SIM_MAX_ADAPTERS - 1, &v, "--fault-board") != 0)
			return -1;
		fc->board = (int)v;
		return 0;
	case OPT_DROP:
	case OPT_CORRUPT:
		if (parse_rate(arg, c == OPT_DROP ? &fc->drop_rate : &fc->corrupt_rate) != 0) {
			fprintf(stderr, "firmware-stub: a rate is a probability, 0..1\n");
			return -1;
		}
		return 0;
	case OPT_SEED:
		if (parse_uint(arg, 0, 0xffffffffUL, &v, "--seed") != 0)
			return -1;
		fc->seed = v;
		return 0;
	case OPT_HANGUP: return parse_step(arg, &fc->hang_up_at, "--hang-up-at");
	case OPT_NEVER: return parse_step(arg, &fc->never_reply_at, "--never-reply-at");
	case OPT_REBOOT: return parse_step(arg, &fc->reboot_at, "--reboot-at");
	case OPT_AT:
		if (parse_step(arg, &t, "--at") != 0)
			return -1;
		fc->at_mask |= 1u << t;
		return 0;
	case OPT_LATE:
		if (parse_uint(arg, 0, 600000, &v, "--reply-late") != 0)
			return -1;
		fc->reply_late_ms = (unsigned)v;
		return 0;
	case OPT_LINE_RATE:
		if (parse_uint(arg, 300, 12000000, &v, "--line-rate") != 0)
			return -1;
		fc->line_rate = (unsigned)v;
		return 0;
	case OPT_DUP:
		if (faults_opt_unhex(arg, fc->dup_chip_id, MSG_MAX_CHIP_ID, &fc->dup_chip_len) != 0 ||
		    fc->dup_chip_len < MSG_MIN_CHIP_ID) {
			fc->dup_chip_len = 0;
			fprintf(stderr, "firmware-stub: --duplicate-chip-id takes 8..64 hex digits\n");
			return -1;
		}
		return 0;
	case OPT_CSR_SIG: fc->csr_bad_sig = 1; return 0;
	case OPT_CSR_TYPE: fc->csr_wrong_key_type = 1; return 0;
	case OPT_CSR_WEAK: fc->csr_weak_key = 1; return 0;
	case OPT_CSR_OTHER: fc->csr_other_key = 1; return 0;
	case OPT_CSR_NONCE: fc->csr_wrong_nonce = 1; return 0;
	case OPT_FW: fc->fw_not_allowed = 1; return 0;
	case OPT_REFUSE_LOCK: fc->refuse_lock = 1; return 0;
	case OPT_FAKE_LOCK: fc->fake_lock = 1; return 0;
	case OPT_OVERSIZED: fc->oversized = 1; return 0;
	case OPT_TRUNCATED: fc->truncated = 1; return 0;
	case OPT_GARBAGE: fc->garbage = 1; return 0;
	case OPT_ROTATE: fc->rotate_chip = 1; return 0;
	case OPT_SHORT_CHUNKS: fc->short_chunks = 1; return 0;
	case OPT_NO_CRED: fc->no_credentials = 1; return 0;
	case OPT_LYING_CRED: fc->lying_credentials = 1; return 0;
	case OPT_SMALL_MATTER: fc->small_matter = 1; return 0;
	default: return -1;
	}
}

int
faults_opt_parse(struct faults_cfg *fc, char *const words[], size_t n)
{
	const struct option *o;
	const char *w, *val;
	size_t i, k, namelen;

	for (i = 0; i < n; i++) {
		w = words[i];
		if (strncmp(w, "--", 2) != 0) {
			fprintf(stderr, "firmware-stub: '%.40s' is not an option (--name)\n", w);
			return -1;
		}
		w += 2;
		val = strchr(w, '=');
		namelen = val != NULL ? (size_t)(val - w) : strlen(w);
		o = NULL;
		for (k = 0; k < faults_opt_count; k++)
			if (strlen(faults_opt_table[k].name) == namelen &&
			    strncmp(faults_opt_table[k].name, w, namelen) == 0)
				o = &faults_opt_table[k];
		if (o == NULL) {
			fprintf(stderr, "firmware-stub: unknown fault option '--%.*s'\n",
			    (int)(namelen > 40 ? 40 : namelen), w);
			return -1;
		}
		if (o->has_arg == no_argument && val != NULL) {
			fprintf(stderr, "firmware-stub: --%s takes no value\n", o->name);
			return -1;
		}
		if (o->has_arg == required_argument && val == NULL) {
			if (i + 1 >= n) {
				fprintf(stderr, "firmware-stub: --%s needs a value\n", o->name);
				return -1;
			}
			val = words[++i];
		} else if (val != NULL)
			val++;
		if (faults_opt_apply(fc, o->val, val) != 0)
			return -1;
	}
	return 0;
}
