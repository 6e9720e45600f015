/*
 * cli.h: the station's subcommands. Each takes main's argc/argv shifted so that argv[0] is
 * the subcommand name, and returns the process exit code (enum cli_exit below).
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>

/* `station ports [--json]`: lists serial ports (cli-ports.c). */
int cli_ports(int argc, char **argv);

/* `station run`: provisions the boards on the fixtures (cli-run.c). */
int cli_run(int argc, char **argv);
int cli_line(int argc, char **argv);
int cli_verify(int argc, char **argv);
/* `station ca init|info|crl` (cli-ca.c). */
int cli_ca(int argc, char **argv);

/* `station profile check FILE` (cli-profile.c). */
int cli_profile(int argc, char **argv);

/* `station lot status|close` (cli-lot.c). */
int cli_lot(int argc, char **argv);

/* `station board release`: lifts a board's quarantine (cli-board.c). */
int cli_board(int argc, char **argv);

/* `station label reprint|list|sample` (cli-label.c). */
int cli_label(int argc, char **argv);

/* `station audit verify|export|proof|check-proof|consistency|checkpoint` (cli-audit.c). */
int cli_audit(int argc, char **argv);

/* `station conform`: a board against the protocol's checks (cli-conform.c). */
int cli_conform(int argc, char **argv);

/* `station fleet status|verify|export`: the central fleet registry (cli-fleet.c). */
int cli_fleet(int argc, char **argv);

/* `station version [--json]`, also `station --version` (cli-version.c). */
int cli_version(int argc, char **argv);
struct json_t;
/* The build object of `station version --json` and of the start event: version, git, openssl,
 * sqlite, libusb, libserialport (strings). A new reference (the caller owns it), NULL when out
 * of memory. */
struct json_t *cli_version_json(void);

struct signer;
struct profile;
/* Decides the privilege-separation mode once (privsep.h): service when run as root (unless root
 * sets STATION_MODE=developer), else developer. Prints why and returns -1 on failure. */
int cli_privsep(const char *cmd);
/* 1 in service mode. */
int cli_service_mode(void);
/* In a child about to exec station-signer: becomes the signer user in service mode. */
int cli_become_signer(void);
/* `station run`, after the signer started and before any board byte or thread: drops to the
 * station user and enters the sandbox (service mode) with connecting to TCP ports[0..nports)
 * only (network fixtures), hardens the process (both modes). Prints
 * why and returns -1 when it could not: the caller must not go on. */
int cli_confine(const char *cmd, const struct profile *prof, const unsigned *ports, size_t nports);
struct label_printer;
/* `station run`/`line`, before cli_confine: forks the label printer helper (label-printer.h),
 * confined by confine_printer (service mode: the station user, its own sandbox with the
 * printer's port), when [label] output is not dir (*out NULL then). Prints why and returns -1
 * when it cannot. */
int cli_printer_start(const char *cmd, const struct profile *prof, struct label_printer **out);
/* Test hook: what this process can reach (STATION_TEST_PROBE_OPEN / _WRITE); see cli-launch.c. */
void cli_probe(int signer_pid);
/* Test hook: TCP connects to the ports of STATION_TEST_PROBE_TCP, as `who`; see cli-launch.c. */
void cli_probe_tcp(const char *who);
/* Starts the signer for profile in mode (SIGMODE_RUN / SIGMODE_ADMIN / SIGMODE_VERIFY) as this command's launcher
 * (cli-launch.c); operator_name (may be NULL) names who runs an admin command. On failure prints
 * "cmd: the signer did not start: why" and returns -1. */
int cli_signer(const char *cmd, const char *profile, int mode, const char *operator_name,
    struct signer **out);

/* Exit codes shared by every command (docs/scripting-guide.md, docs/auditor-guide.md). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,      /* at least one board failed; other commands: failed for no reason below */
	EXIT_USAGE = 2,
	EXIT_PROFILE = 3,   /* profile / configuration error */
	EXIT_HSM = 4,       /* signer or HSM error */
	EXIT_DB = 5,        /* audit database error: the record (database, bundle, key, CA, proof or
	                     * checkpoint file) cannot be read or written */
	EXIT_NOFIXTURE = 6, /* no fixture to work on */
	EXIT_VERIFY = 7,    /* station audit: the record, a proof or a checkpoint does not verify */
	EXIT_INTERRUPTED = 8, /* station line: a second stop signal abandoned the boards in flight */
	EXIT_NOT_TEST = 9,    /* station conform: the board carries a product identity (refused) */
	EXIT_FLEET_FINDINGS = 10 /* station fleet verify: the registry holds together, but records
	                          * conflicts or forks (docs/fleet.md) */
};

#endif
