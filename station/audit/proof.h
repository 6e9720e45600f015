/*
 * proof.h: per-entry inclusion proofs in the C2SP tlog-proof@v1 (draft) text form:
 *   c2sp.org/tlog-proof@v1
 *   extra <base64 of the entry's canonical bytes (audit.h)>
 *   index <n>
 *   <base64 hash>            (inclusion path, leaf side first, zero or more lines)
 *   <blank line>
 *   <checkpoint note, verbatim>
 * The entry travels in the extra line, so the proof is checkable alone: leaf = SHA-256(0x00 ||
 * extra), the path leads to the checkpoint's root, and the checkpoint is signed by the audit key.
 */
#ifndef PROOF_H
#define PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

struct proof {
	uint8_t *extra; /* malloc'd entry bytes */
	size_t extra_len;
	uint64_t index;
	merkle_hash path[MERKLE_MAX_PROOF];
	size_t npath;
	const char *note; /* points into the parsed text */
	size_t note_len;
};

/* Formats a proof into a malloc'd NUL-terminated text (*out). 0 or -1. */
int proof_format(uint64_t index, const uint8_t *entry, size_t elen, const merkle_hash *path,
    size_t npath, const char *note, char **out);
/* Parses text (len <= CAP_PROOF_FILE) strictly. 0, or -1 with why filled. p->extra is
 * malloc'd (proof_clear frees it); p->note points into text. */
int proof_parse(const char *text, size_t len, struct proof *p, char *why, size_t wcap);
void proof_clear(struct proof *p);

#endif
