/*
 * conform-int.h: what the files of the conformance tool share (conform.h is the interface):
 * the session with the board (conform-session.c), the run context and its report
 * (conform.c), the protocol checks (conform-proto.c), the lifecycle checks (conform-flow.c)
 * and the certificate side (conform-x509.c).
 */
#ifndef CONFORM_INT_H
#define CONFORM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "conform.h"
#include "frame.h"
#include "msg.h"
#include "xport.h"

/* ---- session: frames to and from one board (conform-session.c) ---- */

enum cs_rc {
	CS_OK = 0,       /* a frame with the awaited seq arrived (s->rtype, s->rpay, s->rlen) */
	CS_SILENT = 1,   /* nothing with that seq within the time */
	CS_HANGUP = -1,  /* the line went away: the run cannot go on */
	CS_IO = -2
};

struct cs_timing {
	unsigned long max_ms;   /* slowest reply to a first transmission */
	unsigned long n;        /* requests of this type timed */
	unsigned long late;     /* first transmissions not answered within the step timeout */
	unsigned long late_ms;  /* time the slowest late one took (all tries) */
};

#define CS_NTYPES (MSG_CONFIRM_CRED + 1) /* request types 1..11, and 0 for the others */

struct cs {
	struct xport *x;
	struct frame_rx rx;
	uint8_t in[512];
	size_t in_off, in_len;
	uint16_t seq;                    /* last seq used */
	const struct step_timeouts *to;
	unsigned long bad;               /* bad blocks received while a reply was awaited */
	unsigned long retransmits;       /* retransmissions needed (P-25) */
	unsigned long stale;             /* replies with another seq (late answers) */
	int lost;                        /* the line hung up or failed: nothing more can be sent */
	struct cs_timing tm[CS_NTYPES];  /* by request type 1..11 */
	/* the last frame received with the awaited seq */
	uint8_t rtype;
	uint16_t rseq;
	uint8_t rpay[FRAME_MAX_PAYLOAD];
	size_t rlen;
	unsigned long rms;               /* how long it took */
	uint8_t tx[FRAME_MAX_WIRE];      /* the last request sent by cs_call, for retransmission */
	size_t txlen;
	uint8_t txtype;
};

/* Step timeout (ms) for a request type (P-25, the profile's [timeouts]). */
unsigned cs_timeout(const struct cs *s, uint8_t type);
/* Writes n raw bytes. CS_OK, CS_HANGUP or CS_IO (s->lost set). */
int cs_send_raw(struct cs *s, const uint8_t *p, size_t n);
/* Waits up to ms for a frame with seq; frames with another seq are dropped (counted stale).
 * CS_OK (reply in s->r*), CS_SILENT, CS_HANGUP, CS_IO. */
int cs_wait(struct cs *s, uint16_t seq, unsigned ms);
/* Sends a request with the next seq (or with seq when use_seq) and waits for its reply with the
 * step's timeout, retransmitting the same bytes up to the profile's retries (P-25); times the
 * first transmission in s->tm. CS_OK, CS_SILENT (no answer to any try), CS_HANGUP, CS_IO. */
int cs_call(struct cs *s, uint8_t type, const uint8_t *p, size_t n);
int cs_call_seq(struct cs *s, uint16_t seq, uint8_t type, const uint8_t *p, size_t n);
/* Sends the last request of cs_call again, byte for byte, and waits for its reply once
 * (no retries): the P-9 retransmission. */
int cs_resend(struct cs *s);
/* Listens for ms: CS_SILENT when no complete frame came (bad blocks are counted in *bad when
 * not NULL, not in s->bad), CS_OK when one did (in s->r*). */
int cs_listen(struct cs *s, unsigned ms, unsigned long *bad);

/* What the last cs_* call saw, for a report: "response 0x83, 2 bytes", "ERROR BAD_STATE (3)",
 * "no answer in 600 ms x3", "the line hung up". */
void cs_describe(const struct cs *s, int rc, char *out, size_t cap);
/* 1 when rc is CS_OK and the reply is an ERROR with this code and req_type. */
int cs_is_error(const struct cs *s, int rc, uint16_t code, uint8_t req_type);
/* 1 when rc is CS_OK and the reply is the response to type (type | 0x80). */
int cs_is_response(const struct cs *s, int rc, uint8_t type);

/* ---- the run (conform.c) ---- */

#define CX_MAX_CHAIN MSG_MAX_CHAIN

struct cx {
	const struct conform_opts *o;
	struct conform_summary *sum;
	struct cs s;
	uint64_t t0;                  /* start of the current check */
	int lost_before;              /* the line was lost before the current check began */
	struct msg_hello hello;       /* the first HELLO */
	int have_hello;
	uint16_t max_payload;
	uint8_t key_type;             /* asked of the board (the profile's, P-14) */
	char serial[MSG_MAX_STR + 1];
	char password[MSG_MAX_PASSWORD + 1];
	uint8_t nonce[MSG_MAX_NONCE];
	size_t nonce_len;
	uint8_t csr[MSG_MAX_CSR];
	size_t csr_len;
	EVP_PKEY *csr_pub;            /* the CSR's key, when it parsed */
	uint8_t chain[CX_MAX_CHAIN];  /* device certificate || CA certificate */
	size_t chain_len, cert_len;
	EVP_PKEY *ca_key;             /* the run's throwaway CA (conform-x509.c) */
	uint8_t ca_der[2048];
	size_t ca_len;
	int state;                    /* last state the board reported, -1 unknown */
	struct msg_cred cred[3];      /* by kind: the credential the board holds (cred.*) */
	int have_cred[3];             /* ... when it was set */
	int keyed, certified, locked; /* steps that succeeded */
};

/* Starts a check: its clock. */
void cx_begin(struct cx *c);
/* 1 when the check (or a check of the group) is selected by --only. */
int cx_sel(const struct cx *c, const char *name);
/* Reports a check. seen is formatted; expected is plain. */
void cx_report(struct cx *c, const char *name, int verdict, const char *expected,
    const char *seen_fmt, ...) __attribute__((format(printf, 5, 6)));
/* Reports SKIP with a reason. */
void cx_skip(struct cx *c, const char *name, const char *why);
/* A HELLO now; 0 with c->state updated (and *h filled when not NULL), -1 otherwise (why set). */
int cx_hello(struct cx *c, struct msg_hello *h, char *why, size_t cap);

/* ---- the checks ---- */

/* conform-proto.c: codec self-check, HELLO, the vectors sent to the board, unknown types,
 * resynchronisation, size limits, retransmission of a read. */
void cx_codec(struct cx *c);
int cx_identify(struct cx *c);   /* -1: no board, the run stops */
void cx_proto(struct cx *c);
struct cv_frame;
/* Sends a vector's wire bytes as they are (its own seq) and waits for the reply to that seq. */
int cx_send_vec(struct cx *c, const struct cv_frame *v);
/* conform-flow.c: the lifecycle, its state table, refusals, the CSR, INSTALL, PROVE,
 * CONFIRM_PASSWORD and (when allowed) LOCK. */
void cx_flow(struct cx *c);
/* conform-cred.c: SET_CREDENTIAL and CONFIRM_CREDENTIAL (P-53, P-54) of each kind the board
 * announces; every cred.* check skipped when it announces none. cx_cred_blank in BLANK;
 * cx_cred_identified right after SET_IDENTITY (set, confirm, mismatch, replace, refuse,
 * unsupported); cx_cred_state with "cred.keyed", "cred.certified" or "cred.locked" later. */
void cx_cred_blank(struct cx *c);
void cx_cred_identified(struct cx *c);
void cx_cred_state(struct cx *c, const char *name);
/* conform.c: the timing of each step and the cleanliness of the line. */
void cx_timing(struct cx *c);

/* conform-x509.c: the run's throwaway CA (EC P-256, in memory). 0 or -1 (why set). */
int cx_ca_init(struct cx *c, char *why, size_t cap);
/* A certificate for pub signed by the run's CA (or, with bad_sig, with a signature that does not
 * verify), and the chain device || CA into out. 0 or -1 (why set). */
int cx_chain(struct cx *c, EVP_PKEY *pub, int bad_sig, uint8_t *out, size_t cap, size_t *len,
    size_t *cert_len, char *why, size_t wcap);
/* CSR checks (P-41): each fills seen and returns 1 (pass) or 0. */
int cx_csr_parse(const uint8_t *der, size_t n, EVP_PKEY **pub, char *seen, size_t cap);
int cx_csr_signature(const uint8_t *der, size_t n, char *seen, size_t cap);
int cx_csr_key_type(EVP_PKEY *pub, uint8_t key_type, char *seen, size_t cap);
int cx_csr_subject(const uint8_t *der, size_t n, const uint8_t *chip, size_t chip_len, char *seen,
    size_t cap);
int cx_csr_challenge(const uint8_t *der, size_t n, const uint8_t *nonce, size_t nonce_len,
    char *seen, size_t cap);
int cx_csr_attributes(const uint8_t *der, size_t n, char *seen, size_t cap);
/* A fresh EC key of the type (for a certificate the board must refuse: KEY_MISMATCH). */
EVP_PKEY *cx_other_key(void);

#endif
