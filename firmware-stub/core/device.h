/*
 * device.h: the portable board side of protocol v1 (docs/protocol.md). C99, no heap, no stdio:
 * a firmware engineer ports this file and implements struct dev_platform for the chip.
 *
 * The core owns the lifecycle (P-20), the request dispatch, idempotent retransmission (P-9) and the
 * persisted record; the platform owns crypto, randomness, storage and the line.
 */
#ifndef DEVICE_H
#define DEVICE_H

#include "frame.h"
#include "msg.h"

#define DEV_MAX_KEY 1280/* private key blob (DER) as the platform stores it */
#define DEV_SALT_LEN 16
#define DEV_PERSIST_MAGIC 0x53505631u /* "SPV1" */

/* Fixed at manufacture (ROM/OTP on a real board). */
struct dev_identity {
	char model[MSG_MAX_STR + 1];
	char hw_rev[MSG_MAX_STR + 1];
	char fw_version[MSG_MAX_STR + 1];
	uint8_t chip_id[MSG_MAX_CHIP_ID];
	uint8_t chip_id_len;
	uint8_t fw_digest[MSG_DIGEST_LEN];
	uint32_t caps;
	uint16_t max_payload;
};

/* What survives a power cycle. Written whole through dev_platform.store after every change. */
struct dev_persist {
	uint32_t magic;
	uint8_t state;
	uint8_t debug_locked;
	uint8_t key_type;
	uint8_t pad0;
	char serial[MSG_MAX_STR + 1];
	uint8_t pw_salt[DEV_SALT_LEN];
	uint8_t pw_verifier[MSG_DIGEST_LEN];
	uint32_t pw_iterations;
	uint16_t key_len;
	uint16_t csr_len;
	uint16_t chain_len;
	uint8_t key[DEV_MAX_KEY];
	uint8_t csr[MSG_MAX_CSR];
	uint8_t chain[MSG_MAX_CHAIN];
};

/* Platform services. Each returns 0 on success; a non-zero return becomes an error reply
 * (PERR_CRYPTO / PERR_STORAGE / the PERR_* code returned, when it is one). */
struct dev_platform {
	void *ctx;
	int (*rng)(void *ctx, uint8_t *out, size_t n);
	int (*sha256)(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN]);
	/* PBKDF2-HMAC-SHA-256, 32-byte output. */
	int (*pw_hash)(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
	    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN]);
	/* Generate a key pair of key_type; the private key blob goes to key (cap bytes). */
	int (*keygen)(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen);
	/* DER PKCS#10 request signed by key, challengePassword = nonce_hex, subject CN = chip hex. */
	int (*csr)(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
	    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen);
	/* DER signature over msg (ECDSA/SHA-256 for EC keys). */
	int (*sign)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
	    uint8_t *sig, size_t cap, size_t *siglen);
	/* Check the chain: first certificate's key is ours and it verifies under the next one.
	 * Returns 0, PERR_KEY_MISMATCH or PERR_CHAIN_INVALID. */
	int (*chain_check)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain,
	    size_t n);
	int (*store)(void *ctx, const struct dev_persist *ps);
	/* Close the physical debug port (JTAG/SWD fuses). */
	int (*lock_debug)(void *ctx);
	/* Send bytes on the line. */
	int (*send)(void *ctx, const uint8_t *p, size_t n);
};

struct dev {
	const struct dev_identity *id;
	const struct dev_platform *pf;
	struct dev_persist ps;
	/* volatile state: lost on reboot */
	struct frame_rx rx;
	uint8_t staging[MSG_MAX_CHAIN];
	uint32_t staging_len;
	uint32_t staging_total;
	int have_last;
	uint16_t last_seq;
	uint8_t last_type;
	size_t last_len;
	uint8_t last_reply[FRAME_MAX_WIRE];
	uint8_t out[FRAME_MAX_PAYLOAD];
	unsigned long executed; /* requests executed (not replayed), for tests */
};

/* Initialise a board. flash (may be NULL) is the persisted record read back from storage; it is
 * used only when its magic and fields are consistent, otherwise the board starts BLANK. */
void dev_init(struct dev *d, const struct dev_identity *id, const struct dev_platform *pf,
    const struct dev_persist *flash);
/* Feed bytes received from the line; replies go out through pf->send. Never fails on bad input:
 * bad frames are dropped (P-3), bad requests get an error reply (P-30). Returns the number of
 * requests handled in this call. */
int dev_input(struct dev *d, const uint8_t *p, size_t n);
/* Forget volatile state (simulates a reboot); the persisted record stays. */
void dev_reboot(struct dev *d);
/* Host-build only (tests): back to BLANK, as a factory reset. */
void dev_factory_reset(struct dev *d);

#endif
