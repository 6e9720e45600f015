/*
 * slots.h: fixture slots driven by control files, for `firmware-stub sim --slots DIR`: which
 * board is seated in each adapter's fixture, and whether the adapter is plugged in, change
 * while the station runs (tests of the station's line mode: boards seated and removed, adapters
 * hot-plugged).
 *
 * For line i the harness reads DIR/slot-<i> every SLOTS_POLL_MS (write it atomically: a
 * temporary file, then rename). The content is one line (SLOTS_MAX_LINE bytes at most):
 *   (missing or empty)         serial adapter: plugged in, no board seated: the line is silent
 *                              (what the station sends is read and discarded);
 *                              USB bulk slot: the device is absent
 *   board NAME [FAULT FLAGS]   the board whose flash is FLASHDIR/NAME.flash is seated (made
 *                              with a random chip id when new); the flags are the command-line
 *                              fault options (faults-opt.h), for this board only
 *   unplugged                  the adapter (or USB board) is removed from the testbed
 * NAME is 1..64 of [A-Za-z0-9._-], not starting with '.'. A changed content takes the old board
 * away (its state is on flash already; with faults, its counters go to <flash>.stats) and seats
 * the new one from power-on. A content that does not parse is reported once on stderr and leaves
 * the slot as it was.
 */
#ifndef SLOTS_H
#define SLOTS_H

#include "board.h"
#include "faults.h"
#include "sim.h"

#define SLOTS_POLL_MS 100
#define SLOTS_MAX_LINE 512   /* bytes of a control file, newline included */
#define SLOTS_MAX_WORDS 32
#define SLOTS_MAX_NAME 64

struct slots_cfg {
	const char *dir;                /* the control files */
	const char *flash_dir;          /* FLASHDIR of the boards' flash files */
	const struct board_opts *opts;  /* identity of boards made new */
	const struct faults_cfg *faults; /* command-line faults: for a board with no flags of its
	                                  * own, when they apply to its line (--fault-board) */
};

/* The board function (sim_board_fn) of a hotplug run (sim_cfg.hotplug) whose arg is a struct
 * slots_cfg: runs slot a->index until the harness stops. Failures (a flash file that cannot be
 * made, a line that cannot be plugged) are reported on stderr and leave the slot empty. */
void slots_board(struct sim_adapter *a, void *arg);

#endif
