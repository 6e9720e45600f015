/*
 * cli-station.h: what `station run`, `station line` and `station verify` share before the first
 * board: the profile, the CA certificate, the signer, the sandbox and the session, each failure
 * reported once (text on stderr, and an "error" event with the same exit code under --json).
 */
#ifndef CLI_STATION_H
#define CLI_STATION_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "profile.h"
#include "signer.h"

struct cli_station {
	const char *cmd;          /* "run", "line", "verify": messages and the start event */
	const char *profile_path;
	struct profile *prof;
	struct signer *sig;
	uint8_t *ca_der;          /* the issuing CA certificate (DER), sent with each device cert */
	size_t ca_len;
	struct flow_env env;      /* prof, signer and CA for the flows; labels and printer (run) */
};

/* The options run, line and verify share: --profile (p), --port (P, repeatable), --lot (l),
 * --operator (o), --json (j), --verbose (v). */
struct cli_station_args {
	const char *profile_path, *lot, *operator_name;
	char *ports[CAP_FIXTURES];
	size_t nports;
	int json;
};

/* 1 when argv holds --json (looked for before the options are parsed, so that even a usage
 * error is reported as an event). */
int cli_station_wants_json(int argc, char **argv);

/* Takes option c (getopt's) with its argument: 1 when it was one of the shared ones, 0 when it
 * is the caller's, -1 after a usage error it reported (too many --port). */
int cli_station_option(struct cli_station_args *a, int c, char *arg);

/* Loads the profile (with --lot/--operator overrides, either may be NULL) and the CA
 * certificate and starts the signer in mode (SIGMODE_RUN or SIGMODE_VERIFY). Returns EXIT_OK
 * or the exit code of what failed (reported). */
int cli_station_prepare(struct cli_station *st, const char *cmd, const char *profile_path,
    const char *lot, const char *operator_name, int mode);

/* Gives up what the station does not need (cli_confine), then, in run mode, names the lot to
 * the signer (SESSION); emits the start event. EXIT_OK or the exit code (reported). */
int cli_station_enter(struct cli_station *st, unsigned fixtures);

/* Stops the signer and frees everything; safe after a failed prepare. */
void cli_station_end(struct cli_station *st);

#endif
