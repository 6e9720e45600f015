/*
 * cpsched.h: when the station has the audit log checkpointed during a run (PRODUCT §7,
 * docs/auditor-guide.md §4): every `entries` new log entries and every `interval` seconds in
 * which entries were added ([audit] checkpoint_entries / checkpoint_interval; 0 turns a trigger
 * off), plus the explicit ones (station stop, lot end). The signer signs; this only decides when.
 *
 * One thread asks the signer once a second, and at once when cpsched_poke() says entries were
 * added (a board finished), to sign a checkpoint if one is due; the signer decides from its own
 * record (the station cannot read the database in service mode). A checkpoint that fails
 * (HSM away) is reported and retried no sooner than a minute later; the boards are recorded
 * either way and the next checkpoint covers them.
 */
#ifndef CPSCHED_H
#define CPSCHED_H

#include <stdint.h>

#include "signer.h"

struct cpsched;

/* Called after every checkpoint signed or failed, from the scheduler thread or cpsched_now()'s
 * caller: trigger is "due" or the caller's; on success text is the note and size its tree size,
 * on failure text is the reason. */
typedef void (*cpsched_report)(void *arg, const char *trigger, int ok, uint64_t size,
    const char *text);

/* Starts the thread (none when both triggers of the profile are 0). sig must outlive the
 * scheduler. */
int cpsched_start(struct cpsched **out, struct signer *sig, unsigned long entries,
    unsigned long interval, cpsched_report report, void *arg);
/* Entries were added: check the triggers now. NULL is a no-op. */
void cpsched_poke(struct cpsched *c);
/* Stops and joins the thread; NULL is a no-op. */
void cpsched_stop(struct cpsched *c);

/* Signs one checkpoint now, labelled trigger, and reports it (report may be NULL). 0 when
 * signed. Independent of any scheduler; the signer serialises concurrent requests. */
int cpsched_now(struct signer *sig, const char *trigger, cpsched_report report, void *arg);

#endif
