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
#include "port-config.h"

#define DEV_MAX_KEY DEV_CFG_MAX_KEY     /* private key blob as the platform stores it */
#define DEV_MAX_CSR DEV_CFG_MAX_CSR     /* the CSR the board keeps, <= MSG_MAX_CSR */
#define DEV_MAX_CHAIN DEV_CFG_MAX_CHAIN /* the chain (and staging) the board keeps, <= MSG_MAX_CHAIN */
#define DEV_MAX_SIG DEV_CFG_MAX_SIG     /* a PROVE signature, <= MSG_MAX_SIG */
#define DEV_SALT_LEN 16
#define DEV_PERSIST_MAGIC 0x53505631u /* "SPV1" */
/* Layout of struct dev_persist (§4.1 of docs/protocol.md). 1 was the unversioned record without
 * a CRC; 2 adds layout, size and CRC; 3 adds the onboarding credentials after the chain (P-53).
 * Bumped whenever a field moves. */
#define DEV_PERSIST_LAYOUT 3
/* Bytes of struct dev_persist besides key, CSR and chain (checked at compile time): layout 2's
 * 116 and the 240 bytes of the credentials. */
#define DEV_PERSIST_FIXED 356
#define DEV_PERSIST_CRED 240
/* The size of a layout-2 record of this configuration (dev_record_migrate). */
#define DEV_PERSIST_L2_SIZE (116 + DEV_MAX_KEY + DEV_MAX_CSR + DEV_MAX_CHAIN)
/* dev_persist.cred_stored bits: 1u << (kind - 1). */
#define DEV_CRED_WIFI (1u << (CRED_WIFI - 1))
#define DEV_CRED_MATTER (1u << (CRED_MATTER - 1))

/* Fixed at manufacture (ROM/OTP on a real board). */
struct dev_identity {
	char model[MSG_MAX_STR + 1];
	char hw_rev[MSG_MAX_STR + 1];
	char fw_version[MSG_MAX_STR + 1];
	uint8_t chip_id[MSG_MAX_CHIP_ID];
	uint8_t chip_id_len;
	uint8_t fw_digest[MSG_DIGEST_LEN];
	uint32_t caps;
	uint16_t max_payload; /* MSG_MIN_MAX_PAYLOAD..FRAME_MAX_PAYLOAD (P-6) */
};

/*
 * What survives a power cycle: the stored record (docs/protocol.md §4.1, P-46). Written whole through
 * dev_platform.store after every change, sealed first (magic, layout, size, CRC). It is stored in
 * the MCU's own byte order and is read back only by the same firmware (or one that migrates it,
 * §4.1): it is not an interchange format. Every field is naturally aligned and every padding
 * byte is an explicit reserved field (0), so the CRC covers no indeterminate byte.
 * Bytes past key_len, csr_len and chain_len carry no meaning (a wiped key is zero).
 */
struct dev_persist {
	uint32_t magic;  /* DEV_PERSIST_MAGIC */
	uint16_t layout; /* DEV_PERSIST_LAYOUT */
	uint16_t reserved0;
	uint32_t size;   /* sizeof(struct dev_persist) in the configuration that wrote it */
	uint8_t state;
	uint8_t debug_locked; /* the record's copy; the hardware's word wins (dev_platform.debug_state) */
	uint8_t key_type;
	uint8_t reserved1;
	uint32_t pw_iterations;
	uint16_t key_len;
	uint16_t csr_len;
	uint16_t chain_len;
	uint16_t reserved2;
	uint8_t pw_salt[DEV_SALT_LEN];
	uint8_t pw_verifier[MSG_DIGEST_LEN];
	char serial[MSG_MAX_STR + 1];
	uint8_t reserved3[3];
	uint8_t key[DEV_MAX_KEY];
	uint8_t csr[DEV_MAX_CSR];
	uint8_t chain[DEV_MAX_CHAIN];
	/* Layout 3: the onboarding credentials (P-53), DEV_PERSIST_CRED bytes. A kind not stored
	 * has all its fields zero; bytes past a length are zero. */
	uint8_t cred_stored;      /* DEV_CRED_WIFI | DEV_CRED_MATTER */
	uint8_t wifi_akm;         /* enum cred_akm */
	uint8_t wifi_secret_len;
	uint8_t matter_salt_len;
	uint16_t matter_discriminator;
	uint16_t reserved4;
	uint32_t matter_iterations;
	char wifi_ssid[MSG_MAX_SSID + 1];           /* NUL-terminated */
	uint8_t wifi_secret[MSG_MAX_WIFI_SECRET];   /* the PSK or the passphrase */
	uint8_t matter_salt[MSG_MAX_MATTER_SALT];
	uint8_t matter_verifier[MSG_MATTER_VERIFIER_LEN];
	uint8_t reserved5[3];
	uint32_t crc; /* CRC-32/IEEE (P-5) of every byte before it */
};

/*
 * Platform services (docs/porting.md gives each hook's full contract). Each is called from
 * dev_input() or dev_init(), in the caller's context, and blocks until done; none is called
 * re-entrantly. Each returns 0 on success; a non-zero return becomes an error reply (PERR_CRYPTO
 * / PERR_STORAGE / the PERR_* code returned, when it is one) and the request has no effect
 * (§3.10), except where LOCK says otherwise. Secrets handed to a hook (password, private key)
 * must not be kept by it; the core wipes its own copies.
 */
struct dev_platform {
	void *ctx;
	/* Cryptographically secure random bytes (§4.2: a DRBG seeded from a true entropy source);
	 * fails rather than returns weak bytes. */
	int (*rng)(void *ctx, uint8_t *out, size_t n);
	int (*sha256)(void *ctx, const uint8_t *p, size_t n, uint8_t out[MSG_DIGEST_LEN]);
	/* PBKDF2-HMAC-SHA-256, 32-byte output. Up to 10 000 000 iterations: feed the watchdog. */
	int (*pw_hash)(void *ctx, const char *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
	    uint32_t iterations, uint8_t out[MSG_DIGEST_LEN]);
	/* Generate a key pair of key_type; the private key blob goes to key (cap bytes). */
	int (*keygen)(void *ctx, uint8_t key_type, uint8_t *key, size_t cap, size_t *keylen);
	/* DER PKCS#10 request (P-41) signed by key, challengePassword = nonce_hex, subject CN =
	 * chip hex. */
	int (*csr)(void *ctx, const uint8_t *key, size_t keylen, const char *nonce_hex,
	    const char *chip_hex, uint8_t *out, size_t cap, size_t *outlen);
	/* DER signature over msg (ECDSA/SHA-256 for EC keys, P-40). */
	int (*sign)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t n,
	    uint8_t *sig, size_t cap, size_t *siglen);
	/* Check the chain (P-17, P-24): first certificate's key is ours and it verifies under the
	 * next one. Returns 0, PERR_KEY_MISMATCH or PERR_CHAIN_INVALID. */
	int (*chain_check)(void *ctx, const uint8_t *key, size_t keylen, const uint8_t *chain,
	    size_t n);
	/* Commit the record, all or nothing (§4.1): 0 means the new record is what the next boot
	 * reads; non-zero means the previous record still is. */
	int (*store)(void *ctx, const struct dev_persist *ps);
	/* Close the physical debug port (JTAG/SWD fuses, option bytes) for good (P-22). A part that
	 * resets while doing so never returns: dev_init completes the LOCK at the next boot. */
	int (*lock_debug)(void *ctx);
	/* Send bytes on the line. */
	int (*send)(void *ctx, const uint8_t *p, size_t n);
	/* Optional (NULL: the record's copy is used): the debug lock as the hardware reports it now,
	 * 1 closed, 0 open, negative when it cannot be read. HELLO's and the state replies'
	 * debug_locked come from here (P-12). */
	int (*debug_state)(void *ctx);
};

/* How dev_init found the record (for the port's log; the protocol does not show it). */
enum dev_boot {
	DEV_BOOT_ERASED = 0,  /* no record: BLANK */
	DEV_BOOT_RECORD,      /* the record was read */
	DEV_BOOT_DAMAGED,     /* a record was there but unusable (§4.1): BLANK or LOCKED, see there */
	DEV_BOOT_LOCK_DONE    /* CERTIFIED with the debug lock closed: LOCKED written (P-22) */
};

/* dev_record_check results. */
enum dev_rec {
	DEV_REC_OK = 0,
	DEV_REC_ERASED = -1, /* no magic: erased or never written */
	DEV_REC_LAYOUT = -2, /* another layout version or size: needs the port's migration */
	DEV_REC_CRC = -3,    /* CRC mismatch */
	DEV_REC_FIELDS = -4  /* CRC right, a field out of range */
};

struct dev {
	const struct dev_identity *id;
	const struct dev_platform *pf;
	struct dev_persist ps; /* always sealed between requests */
	/* volatile state: lost on reboot */
	struct frame_rx rx;
	uint8_t staging[DEV_MAX_CHAIN]; /* WRITE_OBJECT chunks; GEN_KEY's and SET_IDENTITY's scratch */
	uint32_t staging_len;
	uint32_t staging_total;
	int have_last;
	uint16_t last_seq;
	uint8_t last_type;
	size_t last_len;
	uint8_t last_reply[FRAME_MAX_WIRE];
	uint8_t out[FRAME_MAX_PAYLOAD];
	uint8_t boot;           /* enum dev_boot */
	unsigned long executed; /* requests executed (not replayed), for tests */
};

/* Initialise a board. flash (may be NULL) is the stored record read back from storage; it is
 * used when dev_record_check accepts it, otherwise the board starts as §4.1 says (BLANK, or
 * LOCKED when the record is damaged and the debug lock is not known to be open). A CERTIFIED
 * record on a board whose debug lock reads closed is moved to LOCKED and stored (P-22).
 * Sets d->boot. Calls pf->debug_state and, in that last case, pf->store. */
void dev_init(struct dev *d, const struct dev_identity *id, const struct dev_platform *pf,
    const struct dev_persist *flash);
/* Feed bytes received from the line; replies go out through pf->send. Never fails on bad input:
 * bad frames are dropped (P-3), bad requests get an error reply (P-30). Every receive buffer is
 * wiped once a frame has been handled or dropped (P-44). Returns the number of requests handled
 * in this call. */
int dev_input(struct dev *d, const uint8_t *p, size_t n);
/* Forget volatile state (simulates a reboot); the persisted record stays. */
void dev_reboot(struct dev *d);
/* Checks a stored record: DEV_REC_OK or the first problem found (enum dev_rec), in the order
 * magic, layout and size, CRC, fields. Reads only *ps. */
int dev_record_check(const struct dev_persist *ps);
/* Sets magic, layout, size and reserved fields and computes the CRC: what the core does before
 * every store. For a port's migration code (§4.1). */
void dev_record_seal(struct dev_persist *ps);
/* For a port's migration (§4.1): ps holds, from its first byte, the n bytes read from storage
 * (n <= sizeof(*ps)). When they are a layout-2 record of this configuration (magic, layout 2, its
 * size, its own CRC right), rewrites ps in place as layout 3 with no credentials, sealed, and
 * returns 1: the port stores it (P-48) and passes it to dev_init. Returns 0, ps untouched, for
 * anything else (a layout-3 record, erased flash, a damaged layout-2 record: dev_init judges it). */
int dev_record_migrate(struct dev_persist *ps, size_t n);
#ifdef DEV_HOST_BUILD
/* Host build only (tests, the reference stub's --factory-reset): back to BLANK. Production and
 * freestanding builds do not have it (P-21); `make freestanding` checks the symbol is absent. */
void dev_factory_reset(struct dev *d);
#endif

#endif
