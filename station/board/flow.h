/*
 * flow.h: provisioning of one board (PRODUCT §3): identify, duplicate check, serial, password,
 * key + CSR, certificate, install, prove, lock, label, commit. Every refusal ends in a FAIL with
 * the step, a stable code for scripts (docs/scripting-guide.md) and a plain reason for the
 * technician; every failure after serial allocation voids the serial (and the certificate, if
 * one was issued) in the record.
 */
#ifndef FLOW_H
#define FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "profile.h"
#include "signer.h"
#include "xport.h"

struct label_kit;
struct label_printer;

struct flow_env {
	const struct profile *prof;
	struct signer *signer;
	const uint8_t *ca_der; /* issuing CA certificate, sent after the device certificate */
	size_t ca_len;
	struct label_kit *labels;       /* fonts for the label (label.h), loaded before the sandbox */
	struct label_printer *printer;  /* the printer helper (label-printer.h); NULL: output = dir */
	/* Progress for the console: called at the start of each step (pct 0..100). */
	void (*on_step)(void *arg, const char *fixture, const char *step, unsigned pct);
	void *arg;
	/* `station verify`: only boards the record has as PASS are checked again; nothing is
	 * provisioned (the signer's verify session refuses it anyway). */
	int verify_only;
};

struct flow_result {
	int pass;
	int again;               /* with pass: already provisioned, verified again (DONE) */
	int void_serial;         /* FAIL: the serial given to this attempt is void (spent) */
	char step[24];           /* step that failed (or "done") */
	char code[32];           /* E_* for scripts, "" on PASS */
	char reason[CAP_REASON]; /* for people */
	char chip_hex[2 * 32 + 1];
	char serial[CAP_SERIAL + 1];
	char cert_serial[SIGP_MAX_CERT_SERIAL + 1];
	char fw_version[33];
	char label[CAP_PATH];    /* the spooled label ([label] send format), "" when none was made */
	char preview[CAP_PATH];  /* its PNG, "" when not rendered */
	int label_state;         /* enum sig_label: spooled (output = dir), printed, kept, none */
	int label_void;          /* FAIL: a label was made (or printed in an earlier attempt) for
	                          * the serial this attempt voided: throw it away */
	char label_note[CAP_REASON]; /* kept: why the printer did not take it */
	unsigned long retransmits;
	uint64_t elapsed_ms;
};

/* Provisions the board on x, reporting each step to the signer, which records it. With chip
 * (chip_len bytes; NULL: any), the board must still be the one a presence probe saw: another
 * chip ID at identify fails E_DISCONNECTED before anything is asked of the signer. Returns 0
 * when the outcome (PASS or FAIL) is durably recorded, -1 when even the failure could not be
 * recorded (res still says FAIL and why). */
int flow_provision(const struct flow_env *env, struct xport *x, const char *fixture,
    const uint8_t *chip, size_t chip_len, struct flow_result *res);


#endif
