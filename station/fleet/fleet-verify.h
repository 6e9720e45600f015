/*
 * fleet-verify.h: an auditor's check of the whole fleet registry, or of an export of it
 * (`station fleet verify`, docs/fleet.md, docs/auditor-guide.md "Verifying a fleet"), in one
 * streaming pass that keeps per-station state only:
 *   - every entry's leaf recomputed from its fields (audit-entry.h) and compared with the leaf
 *     held; each station's seqs contiguous from 0;
 *   - the RFC 6962 root of each station's log recomputed (from the recomputed leaves) at every
 *     checkpoint size and compared with the checkpoint's root; every checkpoint note parsed and
 *     its signature verified with one of the station's keys in station_keys (whose SHA-256 is
 *     checked too), its origin "station/<id>", its size and root those of the row;
 *   - the claim tables (chips, serials, cert_serials, pubkeys, pw_commitments) against the
 *     entries: each claim row points at an entry held, of the kind that claims it, with the same
 *     value; every claiming entry has its claim row, or a conflicts row naming it as the second
 *     claimant of that value, or (a released chip provisioned anew) an earlier claim row of the
 *     same station; each conflicts row's two entries claim the value it names;
 *   - quota leases of a lot within its declared quota, serial blocks of a product not
 *     overlapping.
 * Conflicts and forks the registry recorded are reported as findings (not as problems: the
 * registry did what it must), with both claimants; a fork whose held hash is not what the
 * entries give at its position (a false fork, which a station's writer could record against
 * itself) is a problem.
 * Memory: per station (its checkpoints and keys), plus the conflicts (at most CAP_FLEET_CONFLICTS),
 * forks, lots and leases, plus claims awaiting the end of the pass (at most CAP_FLEET_PENDING).
 */
#ifndef FLEET_VERIFY_H
#define FLEET_VERIFY_H

#include <stddef.h>

#include "fleet-read.h"

enum fleet_finding {
	FV_PROBLEM,  /* the registry (or export) does not hold together: edited, damaged, forged */
	FV_CONFLICT, /* a value claimed by two stations, recorded in conflicts */
	FV_FORK      /* a station's history forked, recorded in forks */
};

struct fleet_verify_sum {
	long long stations, entries, checkpoints, keys, claims, conflicts, forks, problems;
};

/* What is reported, one call per finding: station ("" when none), seq (-1 when none), and a
 * sentence for people. */
typedef void (*fleet_verify_report)(void *ctx, enum fleet_finding kind, const char *station,
    long long seq, const char *what);

/* Runs the whole check over src; every finding through report. FR_OK when the pass ran to the
 * end (sum->problems says whether it verified), else an FR_ERR_* (the source could not be read,
 * or more than a CAP_FLEET_* ceiling) with why; sum is filled as far as it got. */
int fleet_verify_run(struct fleet_src *src, fleet_verify_report report, void *ctx,
    struct fleet_verify_sum *sum, char *why, size_t cap);

#endif
