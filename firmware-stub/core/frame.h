/*
 * frame.h: framing of protocol v1 (docs/protocol.md §2).
 * A frame is  version u8 | type u8 | seq u16 | len u16 | payload[len] | crc32 u32  (big-endian),
 * CRC-32/IEEE over everything before it, then COBS-encoded and terminated by one 0x00 byte.
 * A receiver resynchronises at the next 0x00 after noise (P-3).
 */
#ifndef FRAME_H
#define FRAME_H

#include "proto.h"

struct frame {
	uint8_t version;
	uint8_t type;
	uint16_t seq;
	uint16_t len;
	const uint8_t *payload; /* points into the decoder's buffer; valid until the next push */
};

/* CRC-32/IEEE (reflected, poly 0xEDB88320, init and xorout 0xFFFFFFFF). crc32("123456789") = 0xCBF43926. */
uint32_t crc32_ieee(const uint8_t *p, size_t n);

/* COBS encode n bytes into out (no delimiter). Returns PRC_SPACE when cap is too small. */
int cobs_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);
/* COBS decode a block (without its delimiter). PRC_COBS on a zero byte or a code running past
 * the end; PRC_SPACE when cap is too small. */
int cobs_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/* Build one wire frame (COBS + trailing 0x00) into out. len <= FRAME_MAX_PAYLOAD or PRC_TOO_LONG;
 * PRC_SPACE when cap is too small (FRAME_MAX_WIRE always suffices). */
int frame_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len, uint8_t *out,
    size_t cap, size_t *outlen);

/* Decode one COBS block (delimiter removed) into f; payload points into scratch.
 * Checks, in order: COBS, minimum size, length field against the block, version, CRC.
 * Returns PRC_OK, PRC_COBS, PRC_SHORT, PRC_TOO_LONG, PRC_TRAILING, PRC_VERSION or PRC_CRC. */
int frame_decode(const uint8_t *block, size_t n, uint8_t *scratch, size_t cap, struct frame *f);

/* Streaming receiver: feed bytes as they come; no allocation. */
struct frame_rx {
	uint8_t wire[FRAME_MAX_WIRE];
	uint8_t dec[FRAME_MAX];
	size_t n;
	int overflow;      /* block longer than FRAME_MAX_WIRE: dropped up to the next delimiter */
	unsigned long bad; /* frames dropped (CRC, COBS, size, version) since init */
};

void frame_rx_init(struct frame_rx *rx);
/* Zeroes both buffers (the last frame's payload included; f->payload is then gone). A board
 * calls it once a request was handled: a request may carry a password (P-44). The receiver
 * already wipes a block's wire bytes when it ends, and its decoded bytes when it is dropped. */
void frame_rx_wipe(struct frame_rx *rx);
/* Push one byte. Returns 1 and fills f when a valid frame ended with this byte, 0 when more bytes
 * are needed (or an empty block was seen), or a negative PRC_* when a block was dropped as bad.
 * f->payload stays valid until the next call. */
int frame_rx_push(struct frame_rx *rx, uint8_t byte, struct frame *f);

#endif
