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
#include "xport.h"

struct cli_station {
	const char *cmd;          /* "run", "line", "verify": messages and the start event */
	const char *profile_path;
	struct profile *prof;
	struct signer *sig;
	uint8_t *ca_der;          /* the issuing CA certificate (DER), sent with each device cert */
	size_t ca_len;
	struct flow_env env;      /* prof, signer and CA for the flows; labels and printer (run) */
	unsigned net_ports[CAP_SANDBOX_PORTS]; /* TCP ports of the network fixtures (sandbox) */
	size_t n_net_ports;
};

/* The options run, line and verify share: --profile (p), --port (P, repeatable), --lot (l),
 * --operator (o), --json (j), --verbose (v). */
struct cli_station_args {
	const char *profile_path, *lot, *operator_name;
	char *ports[CAP_FIXTURES];
	size_t nports;
	int json;
	char (*expanded)[CAP_XPORT_NAME]; /* names a port range expanded to (heap; ports point
	                                   * into it); freed by cli_station_args_end */
	size_t nexpanded;
};

/* Frees what cli_station_option allocated; a zeroed or NULL a is fine. */
void cli_station_args_end(struct cli_station_args *a);

/* 1 when argv holds --json (looked for before the options are parsed, so that even a usage
 * error is reported as an event). */
int cli_station_wants_json(int argc, char **argv);

/* Takes option c (getopt's) with its argument: 1 when it was one of the shared ones, 0 when it
 * is the caller's, -1 after a usage error it reported (too many --port, a malformed network
 * fixture name). A network range "tcp:HOST:P1-P2" / "rfc2217:HOST:P1-P2" becomes one --port per
 * port (xport_net_expand). */
int cli_station_option(struct cli_station_args *a, int c, char *arg);

/* Loads the profile (with --lot/--operator overrides, either may be NULL) and the CA
 * certificate and starts the signer in mode (SIGMODE_RUN or SIGMODE_VERIFY). Returns EXIT_OK
 * or the exit code of what failed (reported). */
int cli_station_prepare(struct cli_station *st, const char *cmd, const char *profile_path,
    const char *lot, const char *operator_name, int mode);

/* Before cli_station_enter: resolves the network fixtures among a's ports once (names are not
 * resolved again; the sandbox would refuse it) and keeps their TCP ports for the sandbox.
 * EXIT_OK; EXIT_USAGE (a malformed name); EXIT_NOFIXTURE (a name that does not resolve);
 * reported. */
int cli_station_net(struct cli_station *st, const struct cli_station_args *a);

/* Gives up what the station does not need (cli_confine), then, in run mode, names the lot to
 * the signer (SESSION); emits the start event. EXIT_OK or the exit code (reported). */
int cli_station_enter(struct cli_station *st, unsigned fixtures);

/* Stops the signer and frees everything; safe after a failed prepare. */
void cli_station_end(struct cli_station *st);

#endif
