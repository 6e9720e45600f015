/*
 * fleet-status.h: the fleet registry's state for people and scripts (`station fleet status`,
 * docs/fleet.md): per station its first and last contact, entries held, last checkpoint, forks,
 * conflicts and leases (serial blocks; quota per lot, granted and used); the lots; fleet totals;
 * every conflict and fork with both sides. Read from one snapshot of the registry.
 */
#ifndef FLEET_STATUS_H
#define FLEET_STATUS_H

#include <stddef.h>

#include "fleet-read.h"

struct json_t;

/* The status as a JSON object (the shape of `station fleet status --json`, docs/fleet.md):
 *   { "schema": the registry's version, "now": T,
 *     "stations": [ { "station", "first_seen", "last_contact", "last_contact_age_s", "entries",
 *                     "last_checkpoint": null | { "size", "received", "age_s" },
 *                     "forks", "refused", "conflicts",
 *                     "serial_blocks": [ { "product", "first", "count", "granted" } ],
 *                     "quota": [ { "lot", "granted", "used" } ] } ],
 *     "lots": [ { "lot", "quota", "declared_by", "leased" } ],
 *     "totals": { "stations", "entries", "devices", "conflicts", "forks" },
 *     "conflicts": [ { "id", "what", "key", "first": { "station", "seq" },
 *                      "second": { "station", "seq" }, "detected" } ],
 *     "forks": [ { "id", "station", "what", "position", "held", "offered", "detected" } ] }
 * src must read a registry. FR_OK and *out (a new reference, the caller's), or an FR_ERR_* with
 * why. */
int fleet_status_get(struct fleet_src *src, struct json_t **out, char *why, size_t cap);

#endif
