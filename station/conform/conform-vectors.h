/*
 * conform-vectors.h: the test vectors of docs/protocol.md section 7 (CRC, COBS, frames V-1..V-31,
 * invalid frames X-1..X-8, invalid payloads Y-1..Y-35) as hex strings, shared by the unit tests
 * of the codec and by `station conform`. Together with the CRC and long COBS vectors built in
 * code, and X-9..X-11, they are the 94 vectors of the document.
 */
#ifndef CONFORM_VECTORS_H
#define CONFORM_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct cv_frame {
	const char *name;
	uint8_t type;
	uint16_t seq;
	uint32_t crc;
	const char *payload; /* hex, "" when empty */
	const char *wire;    /* hex, COBS and the delimiter included */
};

struct cv_bad_frame {
	const char *name;
	const char *wire;
	int rc; /* what a fresh receiver reports at the delimiter (PRC_*) */
};

struct cv_bad_payload {
	const char *name;
	uint8_t type; /* the message whose decoder refuses it (request types 0x01..0x0b: a board's) */
	const char *payload;
	int rc;       /* the decoder's PRC_* */
};

struct cv_cobs {
	const char *in, *out;
};

extern const struct cv_frame cv_frames[];
extern const size_t cv_nframes;
extern const struct cv_bad_frame cv_bad_frames[];
extern const size_t cv_nbad_frames;
extern const struct cv_bad_payload cv_bad_payloads[];
extern const size_t cv_nbad_payloads;
extern const struct cv_cobs cv_cobs_short[];
extern const size_t cv_ncobs_short;

/* The frame vector whose name starts with id and a space ("V-9"), or NULL. */
const struct cv_frame *cv_find(const char *id);

#define CV_HEX_BAD ((size_t)-1)
/* Parses "03 01 ff" (spaces anywhere between byte pairs) into out[0..cap). Returns the byte
 * count, or CV_HEX_BAD on a character that is not hex, an odd digit or more than cap bytes. */
size_t cv_hex(const char *s, uint8_t *out, size_t cap);

#endif
