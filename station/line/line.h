/*
 * line.h: `station line`, the always-on station (docs/operator-guide.md "The shift"). Every
 * fixture runs its own cycle (fixture.c): wait for a board, provision it (or verify it again
 * when the record has it as PASS), show the result until the board is taken out, ready again.
 * Fixtures come and go: the ports are listed again every LINE_SCAN_MS, so a hot-plugged adapter
 * or a board enumerating on USB is picked up, and an unplugged one is shown as such.
 *
 * Stop (SIGTERM, SIGINT, the console's quit): no new boards; boards in flight finish within
 * their step timeouts; then station.stop and a checkpoint are recorded and line_run returns 0.
 * A second signal abandons the boards in flight at once (EXIT_INTERRUPTED): nothing recorded is
 * lost, and the signer records their open attempts as void at its next session.
 */
#ifndef LINE_H
#define LINE_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define LINE_SCAN_MS 500u    /* ports listed again (hot-plug latency) */
#define LINE_PROBE_MS 400u   /* presence probe (HELLO) of an empty or finished fixture */
#define LINE_GONE_PROBES 2   /* silent probes in a row before a board counts as taken out */
#define LINE_SETTLE_MS 100u  /* between the two probes that must see the same chip to start */
#define LINE_FAIL_STREAK 3   /* boards in a row failed with their serial spent: the fixture holds */
#define LINE_HOLD_MS 5000u   /* ...until it was empty this long before the next board, doubling */
#define LINE_HOLD_MAX_MS 60000u /* with each further failure, up to this */

struct console;

struct line_cfg {
	const struct flow_env *env;   /* profile, signer, CA; env->on_step is set by line_run */
	char *const *ports;           /* --port names (NULL/0: every USB adapter and USB board) */
	size_t nports;
	struct console *console;      /* NULL: text lines (or JSON events) instead */
};

/* Runs the line until it is stopped; returns the process exit code: EXIT_OK after a graceful
 * stop, EXIT_HSM when the signer stopped answering during the line (it pauses itself then, and
 * says so, until it is stopped); after a second signal it does not return but exits
 * EXIT_INTERRUPTED.
 * SIGINT and SIGTERM must be blocked in every thread before the call (line_run waits for them
 * itself). */
int line_run(const struct line_cfg *cfg);

#endif
