/*
 * board.h: a simulated board for the host build: the portable core (device.c) plus a platform
 * made of OpenSSL (key generation, CSR, signatures, PBKDF2) and a flash file, so that state
 * survives a restart like a power cycle. The flash file is a host format (raw structs), not
 * portable between machines.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#include "device.h"
#include "faults.h"

struct board_opts {
	const char *model, *hw_rev, *fw_version;
	uint8_t fw_digest[32];
	uint8_t chip_id[MSG_MAX_CHIP_ID];
	size_t chip_id_len; /* 0 = random (kept in the flash file) */
	int factory_reset;  /* host build only: wipe the persisted record to BLANK first */
	unsigned max_payload; /* announced in HELLO and enforced (P-6); 0 = FRAME_MAX_PAYLOAD */
	unsigned keygen_ms;   /* extra time GEN_KEY takes, like an MCU's key generation (0: none) */
	int flash_nosync;     /* a benchmark instrument: flash writes are not fsync'd (make bench) */
};

struct board {
	struct dev_identity id;
	struct dev_platform pf;
	struct dev dev;
	char flash_path[512];
	int fd; /* the line */
	int fuse; /* the simulated debug fuse (flash_image.fuse) */
	int faulty;       /* fx is attached (board_faults) */
	struct faults fx;
	unsigned keygen_ms;
	int flash_nosync;
	/* When set, the board's transmit goes through tx (e.g. Telnet escaping, serve.c) instead of
	 * straight to fd; 0 or -1 like a write of everything. */
	int (*tx)(void *ctx, const uint8_t *p, size_t n);
	void *tx_ctx;
};

/* Writes all n bytes to fd (EINTR and short writes handled): 0, or -1 (errno set; EPIPE
 * needs SIGPIPE ignored). */
int board_write_all(int fd, const uint8_t *p, size_t n);
/* Opens or creates the board whose flash lives at flash_path. An existing flash file keeps its
 * identity (chip id); a new one gets the options' identity. A file of record layout 2
 * (SPSTUB02) is migrated to layout 3 without credentials and written back before the core
 * starts (docs/protocol.md §4.1). Both credential kinds are announced (Matter only when
 * max_payload >= 137, P-6). 0, or -1 with a message. */
int board_open(struct board *b, const char *flash_path, const struct board_opts *o);
/* Injects the faults of cfg (docs/protocol.md §8) into board index, when cfg has any for it.
 * Call after board_open. */
void board_faults(struct board *b, const struct faults_cfg *cfg, unsigned index);
/* Serves requests on fd until *stop is set or the line hangs up for good. Returns 1 when the
 * board closed fd itself (an injected hang-up), 0 otherwise. With faults injected, writes the
 * board's counters to "<flash>.stats" (read by board_show) before returning. */
int board_serve(struct board *b, int fd, volatile int *stop);
/* Like board_serve, but returns after ms milliseconds at most (0: no limit) and leaves the session
 * open: call it again to go on serving, and board_end when the board goes away. Returns 1 when
 * the board closed fd itself (an injected hang-up: do not call it again on that fd), 0 otherwise. */
int board_serve_for(struct board *b, int fd, volatile int *stop, unsigned ms);
/* For a harness that reads the line itself (serve.c): feeds n bytes received into the board
 * (through its faults, when injected); its replies go to b->fd (or b->tx), which the caller
 * sets. Returns 1 when the board must drop its line now (an injected hang-up, --hang-up-at: the
 * caller closes it; the board keeps its state and may be given a new line), 0 otherwise. */
int board_feed(struct board *b, const uint8_t *p, size_t n);
/* Ends a session served with board_serve_for: writes "<flash>.stats" when faults are injected.
 * The persisted state needs nothing more (every change is committed when it happens). */
void board_end(struct board *b);
/* Prints the persisted state of the board at flash_path as one JSON line on stdout: state,
 * serial, chip id, debug lock, SHA-256 of the public key (DER SubjectPublicKeyInfo) and the
 * installed chain's length; with "<flash>.stats" present, also the counters of the last served
 * session with faults (requests executed, distinct requests, faults fired); and "credentials",
 * each stored onboarding credential, secrets in hex (a test tool: "wifi" {ssid, akm, secret},
 * "matter" {discriminator, iterations, salt, verifier}). One JSON object on one line.
 * A flash file of record layout 2 is read migrated (in memory). Returns a process exit code. */
int board_show(const char *flash_path);
/* Prints, as one line of hex on stdout, the signature the board at flash_path would answer to a
 * PROVE with challenge (clen: MSG_MIN_CHALLENGE..MSG_MAX_CHALLENGE bytes): what a test acting as
 * a station needs to present a genuine proof to the signer. Returns a process exit code (1 when
 * the file is not a board's flash, the board holds no key or the length is out of range). */
int board_prove(const char *flash_path, const uint8_t *challenge, size_t clen);
/* Checks pw against the password verifier the board at flash_path stores (its salt, its
 * iterations, PBKDF2-HMAC-SHA-256, as CONFIRM_PASSWORD does) and prints {"match":true|false}.
 * Returns 0 match, 1 no match, 2 when the file is not a board's flash, it holds no verifier or
 * pw's length is out of MSG_MIN_PASSWORD..MSG_MAX_PASSWORD. */
int board_check_password(const char *flash_path, const char *pw);
/* Default firmware identity of the stub (what the demo profile allows). */
void board_default_opts(struct board_opts *o);

#endif
