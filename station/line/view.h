/*
 * view.h: what the line shows, as data. The line engine (line.c, fixture.c) writes it under
 * view->lock; the console (console.c) and the plain log read a copy (view_snapshot) and draw it.
 * Nothing here talks to a board or the signer.
 */
#ifndef VIEW_H
#define VIEW_H

#include <pthread.h>
#include <stdint.h>

#include "caps.h"

#define VIEW_NAME 65 /* station, product, lot, operator names with their NUL */

/* What one fixture is doing, as the technician reads it. */
enum fx_state {
	FX_NO_ADAPTER = 0, /* the fixture's adapter is not plugged in (or was unplugged) */
	FX_EMPTY,          /* adapter present, no board seated: ready for the next board */
	FX_WORKING,        /* a board is being provisioned or verified (step, pct) */
	FX_PASS,           /* provisioned and locked: take it out (label printed) */
	FX_DONE,           /* already provisioned and verified again: take it out, it is good */
	FX_FAIL,           /* failed: code and remedy say what to do; take it out */
	FX_PAUSED          /* the station is paused; boards are not started */
};

/* The operator guide's words for a label (docs/operator-guide.md "Labels"). */
#define VIEW_LABEL_VOID "LABEL VOID: throw its label away"
#define VIEW_LABEL_KEPT "NO LABEL: printer fault; keep the board for its reprint"

struct fx_view {
	char name[CAP_XPORT_NAME];     /* physical position, e.g. "1-1.3" (the tile's title) */
	char port[CAP_XPORT_NAME];     /* what the station opens, e.g. "/dev/ttyUSB2" */
	enum fx_state state;
	char serial[CAP_SERIAL + 1];   /* the board's product serial, "" before one is known */
	char step[24];                 /* current (or failed) step */
	unsigned pct;                  /* progress of the current board, 0..100 */
	uint64_t started_ms;           /* util_ms() when the current board started, 0 when idle */
	uint64_t elapsed_ms;           /* of the finished board (PASS/DONE/FAIL) */
	char code[32];                 /* E_* of a FAIL */
	char remedy[96];               /* one short line of what to do (remedy.h), FAIL only */
	char label[64];                /* what to do about the board's label, "" when nothing
	                                * (VIEW_LABEL_VOID, VIEW_LABEL_KEPT) */
	unsigned boards;               /* boards finished on this fixture since the start */
};

struct line_view {
	pthread_mutex_t lock;
	char station[VIEW_NAME];
	char product[VIEW_NAME];
	char lot[VIEW_NAME];
	char operator_name[VIEW_NAME];
	unsigned long npass, nfail, ndone; /* since the start of this line session */
	uint64_t started_ms;               /* util_ms() at the start, for the rate per hour */
	unsigned long quota, quota_used;   /* the lot's, as the signer last reported */
	char hsm[32];                      /* "ok", or what is wrong ("signer lost") */
	char last_checkpoint[32];          /* local time "14:03:22" of the last signed one, "" none */
	int paused;                        /* 'p' pressed: boards already started finish */
	int stopping;                      /* quit/SIGTERM: in-flight boards finish, no new ones */
	char message[CAP_REASON];          /* one line for everyone ("stopping: 2 boards left") */
	unsigned n;                        /* fixtures known (seen at least once), <= CAP_FIXTURES */
	struct fx_view fx[CAP_FIXTURES];
};

/*
 * Copies everything but the lock from src to dst, holding src->lock for the copy (dst->lock is
 * neither used nor touched). dst->n is at most CAP_FIXTURES. The console and the plain log draw
 * the copy, so the engine's mutex is held only for a memcpy.
 */
void view_snapshot(struct line_view *dst, struct line_view *src);

#endif
