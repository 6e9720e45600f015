/*
 * conform.h: the conformance tool (`station conform`, docs/conformance.md): runs one board
 * through the checks of docs/protocol.md over any transport the station has (serial, USB bulk,
 * raw TCP, RFC 2217) and reports each check as PASS, FAIL or SKIP with what was expected and
 * what was seen. It never talks to the signer, the HSM or the audit record: the certificate it
 * installs comes from a throwaway CA made in memory for the run. It sends LOCK only when the
 * caller allows it (LOCK is irreversible on real hardware).
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "proto.h"

enum conform_verdict { CONFORM_PASS = 0, CONFORM_FAIL = 1, CONFORM_SKIP = 2 };

/* One line of the report. Strings are printable ASCII (board strings are escaped). */
struct conform_result {
	const char *name;     /* stable check name, e.g. "csr.challenge" (docs/conformance.md) */
	int verdict;          /* enum conform_verdict */
	char expected[160];
	char seen[240];
	unsigned long ms;     /* time the check took */
};

/* Test serials written by conform start with this; a board carrying another serial is not
 * overwritten unless conform_opts.erase_identity is set. */
#define CONFORM_SERIAL_PREFIX "CONFORM-"

struct conform_opts {
	const char *port;             /* xport name: /dev/ttyUSB0, usb:1-1.2, tcp:HOST:PORT, ... */
	const struct profile *prof;   /* the test profile: model, firmware allow-list, key type,
	                               * PBKDF2 iterations, timeouts, baud */
	const char *only;             /* comma-separated check names or group prefixes ("csr",
	                               * "state.KEYED"), NULL = all */
	int allow_lock;               /* LOCK may be sent (the board is thrown away afterwards) */
	int erase_identity;           /* a board with a serial not set by conform may be rewritten */
	/* Called once per check, in order. */
	void (*emit)(void *arg, const struct conform_result *r);
	void *arg;
};

struct conform_summary {
	unsigned pass, fail, skip;
	int refused;                  /* nothing was run: the board is not a test board (why) */
	int no_board;                 /* the port did not open or no board answered HELLO */
	char why[240];
	char model[MSG_MAX_STR * 4 + 1], fw_version[MSG_MAX_STR * 4 + 1];
	char chip_hex[2 * MSG_MAX_CHIP_ID + 1];
	unsigned state_before, state_after; /* lifecycle states (P-20); 255 when unknown */
};

/*
 * Runs the checks against the board on opts->port and reports each through opts->emit. Returns
 * 0 when the run ended (*sum says how many passed, failed, were skipped); CONFORM_ERR_REFUSED
 * when the board is not a test board (its serial was not set by conform and erase_identity is
 * off: nothing written); CONFORM_ERR_PORT when the port does not open (sum->why says why);
 * CONFORM_ERR_ARG on a bad argument (an unknown name in only); CONFORM_ERR_INTERNAL when OpenSSL
 * could not make the run's test CA (nothing written to the board).
 */
#define CONFORM_ERR_REFUSED (-1)
#define CONFORM_ERR_PORT (-2)
#define CONFORM_ERR_ARG (-3)
#define CONFORM_ERR_INTERNAL (-4)
int conform_run(const struct conform_opts *opts, struct conform_summary *sum);

/* The check names in run order (NULL-terminated), for --list and --only. */
extern const char *const conform_checks[];

/* 1 when name is selected by only (NULL or empty selects everything): a list entry equal to the
 * name, or a prefix of it followed by '.'. */
int conform_selected(const char *only, const char *name);

#endif
