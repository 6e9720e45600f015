/*
 * forward.h: the forwarder of a station's local record to the fleet registry (forward.c,
 * docs/fleet.md). Run as `station-signer forward --profile FILE [--once]`, under the signer's
 * identity; the signer starts it (and starts it again when it dies) when the profile has [fleet].
 */
#ifndef FORWARD_H
#define FORWARD_H

#include <stddef.h>

struct profile;

/* The registry's connection string of the profile's [fleet] section ("registry", or the one
 * line of "registry_file") into out. 0, or -1 with why (no [fleet], an unreadable or empty
 * file). out may hold a password: the caller wipes it. */
int forward_conninfo(const struct profile *p, char *out, size_t cap, char *why, size_t wcap);

/* Ships the local record to the registry until SIGTERM/SIGINT (once: until nothing is left, or
 * the first failure). Exit status: 0; 1 the registry could not be reached or failed (once);
 * 2 the configuration or the local record cannot be opened; 3 shipping stopped for good (the
 * local record does not verify, or the registry recorded a fork of this station). */
int forward_run(const struct profile *prof, int once);

#endif
