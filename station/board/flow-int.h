/*
 * flow-int.h: the state of one board's flow and the steps shared by provisioning (flow.c) and
 * re-verification of an already provisioned board (reverify.c). Internal to station/board.
 */
#ifndef FLOW_INT_H
#define FLOW_INT_H

#include "flow.h"
#include "link.h"
#include "msg.h"

/* A board's onboarding credentials while it is provisioned (flow-cred.c): wiped with the flow. */
struct fl_cred {
	char ssid[33], passphrase[64];  /* [wifi] */
	uint8_t psk[32];
	char wifi_qr[256];              /* WIFI:T:...;S:...;P:...;; (escapes double at worst) */
	uint32_t passcode;              /* [matter] */
	uint16_t discriminator;
	uint8_t salt[32], salt_len;
	uint8_t verifier[97];           /* w0 || L */
	char matter_qr[32], matter_code[24];
};

struct label_values;

struct fl {
	const struct flow_env *env;
	const struct profile *prof;
	const char *fixture;
	const uint8_t *expect_chip; /* the chip a presence probe saw, NULL: any */
	size_t expect_len;
	struct flow_result *res;
	struct link link;
	struct msg_hello hello;
	char fw_hex[65];
	char password[MSG_MAX_PASSWORD + 1];
	struct fl_cred cred;
	uint8_t csr[MSG_MAX_CSR];
	size_t csr_len;
	uint8_t *cert;
	size_t cert_len;
	int verified; /* board.verified is recorded: a later failure is not a void attempt */
	int recorded; /* the signer refused and recorded this board's failure itself */
	int again; /* recorded PASS: verified again, not provisioned (reverify.c) */
	int resume; /* board recorded 'verified': only the lock remains to be done and confirmed */
	/* Why the last step failed, for decisions (res->code is only the E_* output for scripts). */
	int link_rc;   /* LINK_* of the board exchange that failed (call()), LINK_OK when none */
	int signer_st; /* SIGST_* of the signer reply that failed the board, SIGST_OK when none */
	uint8_t buf[FRAME_MAX_PAYLOAD];
};

/* The signer's refusal se of the step what as this board's failure; returns -1. */
int flow_refused(struct fl *f, const struct signer_err *se, const char *what);
/* flow-cred.c: the onboarding credentials the profile declares. flow_set_creds draws each,
 * has the signer commit it and gives the board its form (after SET_IDENTITY); flow_check_creds
 * has the board confirm each, and refuse it with a secret byte changed (before the label); both
 * 0 when the profile declares none, or -1 with the result set (E_CREDENTIAL: the board lacks
 * the capability; E_CREDENTIAL_CHECK: it does not hold what it was given, or confirms what it
 * was not given; E_RANDOM, E_COLLISION, the signer's or the link's).
 * flow_cred_label points v's credential fields at f's (NULL for kinds not declared). */
int flow_set_creds(struct fl *f);
int flow_check_creds(struct fl *f);
void flow_cred_label(const struct fl *f, struct label_values *v);

/* Sets the result's code and reason; returns -1 (for `return flow_fail(...)`). */
int flow_fail(struct fl *f, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Names the current step (the console's progress). */
void flow_step(struct fl *f, const char *name, unsigned pct);
/* One board request; 0, or -1 with the result saying why in the words of the current step. */
int flow_call(struct fl *f, uint8_t type, size_t reqlen, unsigned timeout, const uint8_t **rsp,
    size_t *rl);
/* Reads a board object (OBJ_*) in chunks into out[0..cap); 0 or -1 (result set). */
int flow_read_object(struct fl *f, uint8_t obj, uint8_t *out, size_t cap, size_t *outlen);
/* The board signs challenge (clen: MSG_MIN_CHALLENGE..MSG_MAX_CHALLENGE bytes) with the key of
 * f->cert (P-40) and the station checks it (prove_check). When sig is not NULL it receives the
 * board's signature (at most sigcap bytes) and *siglen its length, set only on success. 0, or -1
 * with the result set: E_PROVE (the proof does not verify), E_PROTOCOL, E_INTERNAL, or the
 * link's failure (f->link_rc). */
int flow_prove(struct fl *f, const uint8_t *challenge, size_t clen, uint8_t *sig, size_t sigcap,
    size_t *siglen);
/* A fresh hello says LOCKED with the debug port closed and the same chip, and a harmless write
 * is refused; 0 or -1 (E_LOCK, E_LOCK_WRITES, E_NO_ANSWER). */
int flow_lock_confirm(struct fl *f);
/* An already provisioned board (record PASS): checks it against its record (reverify.c). */
int flow_reverify(struct fl *f, const struct signer_record *rec);

#endif
