/*
 * events.h: what `station run`, `station line` and `station verify` tell scripts and people:
 * one JSON object per line on stdout (--json; schema in docs/scripting-guide.md, "Events") or
 * plain text lines. Every JSON event carries "event" and "time" (RFC 3339, UTC, milliseconds).
 * Thread-safe: lines from different fixtures never interleave.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <jansson.h>
#include <stdio.h>
#include <stdint.h>

#include "flow.h"

/* Chooses JSON (1) or text (0) for this process; text lines get a local "HH:MM:SS " prefix
 * when stamp is set (the line's log; a batch run keeps its bare lines). */
void events_init(int json, int stamp);
int events_json(void);

/* Text lines go to f instead of stdout (the console owns the terminal: they go to its log
 * file). NULL restores stdout. */
void events_text_to(FILE *f);

/* Emits {"event": name, "time": ..., fields...} (fields is stolen; NULL is an empty object).
 * Nothing in text mode. */
void events_emit(const char *name, json_t *fields);

/* A text line (text mode only), with the time prefix when asked. */
void events_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A failure before (or instead of) any board: {"event":"error","exit":code,"message":...} in
 * JSON mode, "station: message" on stderr in both modes. */
void events_error(int exit_code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One board's outcome: the "result" event, or one short text line:
 *   1-1.3      PASS  TH2-00000002  84 ms
 *   1-1.4      FAIL  E_FIRMWARE at identify: flash the release firmware, then re-seat
 * (the full reason goes to the JSON event and, in text mode, to stderr with -v). */
void events_result(const char *fixture, const char *port, const struct flow_result *r,
    int recorded);

/* The "checkpoint" event of a checkpoint signed (ok: size, note) or not (text is the reason);
 * the caller tells people in its own words. */
void events_checkpoint(const char *trigger, int ok, uint64_t size, const char *text);

/* "84 ms" below a second, "2.3 s" above. */
const char *events_duration(uint64_t ms, char *buf, size_t cap);

#endif
