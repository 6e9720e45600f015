/*
 * faults.h: fault injection around the portable board core, for the host build only (the core
 * stays free of test hooks). A struct faults sits between the line and the core:
 *  - on the receive side it may drop or flip bytes, then parses the frames itself and decides,
 *    per request, to pass it to the core (re-encoded, byte-identical), to swallow it, to hang up
 *    or to reboot the core mid-step;
 *  - it wraps the platform callbacks (keygen, csr, lock_debug, send...) to produce bad CSRs, a
 *    refused or fake lock, late, noisy, slow or malformed replies;
 *  - it shows the core a modified identity (duplicate chip id, firmware not on the allow-list).
 * docs/protocol.md §8 lists the flags and what the station is expected to report for each.
 */
#ifndef FAULTS_H
#define FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* Steps are named by their request type (1..11): hello, set-identity, gen-key, read, write,
 * install, prove, confirm, lock, set-credential, confirm-credential. */
#define FAULTS_LAST_STEP 11
#define FAULTS_ALL_STEPS 0xffeu /* bits 1..11 */

struct faults_cfg {
	double drop_rate, corrupt_rate;  /* per frame, both directions, 0..1 (faults.c) */
	unsigned long seed;
	unsigned hang_up_at;             /* request type, 0 = off */
	unsigned never_reply_at;         /* request type, 0 = off */
	unsigned reboot_at;              /* request type, 0 = off */
	unsigned reply_late_ms;
	unsigned line_rate;              /* baud, 0 = instantaneous */
	int csr_bad_sig, csr_wrong_key_type, csr_weak_key, csr_other_key, csr_wrong_nonce;
	uint8_t dup_chip_id[MSG_MAX_CHIP_ID];
	size_t dup_chip_len;             /* 0 = off */
	int fw_not_allowed;
	int refuse_lock, fake_lock;
	int oversized, truncated, garbage;
	int rotate_chip;                 /* a new chip ID at every HELLO */
	int short_chunks;                /* READ_OBJECT replies carry one byte of their chunk */
	int no_credentials;              /* CAP_CRED_* not announced (a firmware without them) */
	int lying_credentials;           /* SET_CREDENTIAL acknowledged and dropped, CONFIRM_CREDENTIAL
	                                    always answered match = 1 */
	int small_matter;                /* CAP_CRED_MATTER announced with max_payload 128 */
	unsigned at_mask;                /* steps the malformed frames apply to */
	int board;                       /* board index the faults apply to, -1 = every board */
};

struct faults {
	struct faults_cfg cfg;
	struct dev *dev;
	struct dev_platform inner;       /* the platform being wrapped */
	struct dev_identity shown;       /* what the core reports in HELLO */
	uint64_t rng;
	struct frame_rx rx;
	uint8_t wire[FRAME_MAX_WIRE];
	uint8_t pay[FRAME_MAX_PAYLOAD];
	uint8_t tx[FRAME_MAX_WIRE + 64];
	uint8_t last_key_type;
	uint8_t cur_type;                /* request being answered */
	int suppress;                    /* replies are lost (reboot mid-step) */
	int reboot_done, fake_locked;
	int have_prev;
	unsigned long rx_pos;            /* bytes since the last delimiter received */
	long rx_drop_at, rx_flip_at;     /* countdown to the faulty byte, -1 = none */
	uint16_t prev_seq;
	uint8_t prev_type;
	/* statistics, written next to the flash file (board.c) */
	unsigned long requests;          /* distinct requests passed to the core */
	unsigned long bytes_dropped, bytes_corrupted, fired;
	/* the link (make bench, link efficiency): bytes on the wire each way, the frame payloads
	 * among them, and the board's own compute (time handling what it received, its paced
	 * transmission and --reply-late excluded) */
	unsigned long bytes_rx, bytes_tx, payload_rx, payload_tx;
	double compute_s, paced_s;
};

enum faults_rc { FAULTS_OK = 0, FAULTS_HANGUP = 1 };

/* Request type of a step name ("gen-key" -> 3), or -1. */
int faults_step(const char *name);
/* Name of a step (request type 1..9), "?" otherwise. */
const char *faults_stepname(unsigned type);
/* 1 when cfg asks for any fault on board index. */
int faults_active(const struct faults_cfg *cfg, unsigned index);

/* Puts fx between the core d and its platform pf (modified in place: pf->ctx becomes fx) and
 * shows d a modified copy of id. fx, pf and id must outlive d. */
void faults_attach(struct faults *fx, const struct faults_cfg *cfg, unsigned index,
    struct dev *d, struct dev_platform *pf);
/* Feeds bytes received from the line through the faults into the core. Returns FAULTS_HANGUP
 * when the board must close its line now (--hang-up-at), FAULTS_OK otherwise. */
int faults_input(struct faults *fx, const uint8_t *p, size_t n);

#endif
