/*
 * serve.h: simulated boards behind an Ethernet serial device server (Moxa NPort, Lantronix,
 * ser2net): board i listens on TCP port + i, raw (the bytes are the line) or RFC 2217 (Telnet
 * Com Port Control through the core's telnet.c, server side). One connection at a time per
 * board, as on a device server: a new connection drops the one that was open. The board keeps
 * its flash (and its volatile state) across connections, like a board powered in its fixture
 * while its device server is reconnected.
 */
#ifndef SERVE_H
#define SERVE_H

#include "board.h"

#define SERVE_MAX_BOARDS 256

struct serve_cfg {
	const char *host;            /* address to listen on: IPv4/IPv6 literal or a name */
	unsigned port;               /* board 0's port; board i has port + i (<= 65535) */
	unsigned n;                  /* boards, 1..SERVE_MAX_BOARDS */
	int rfc2217;                 /* speak RFC 2217 instead of raw bytes */
	const char *dir;             /* board i's flash: DIR/board-<i>.flash */
	const struct board_opts *o;
	const struct faults_cfg *fc;
};

/*
 * Opens the boards, listens on every port (raising the soft RLIMIT_NOFILE as far as needed),
 * starts one thread per board. Then, with argv,
 * runs it (argv[0] looked up in PATH) as a child, forwarding SIGINT/SIGTERM to it, and waits
 * for it; without, prints "listening HOST:PORT-LAST" ("listening HOST:PORT" for one board) on
 * stdout and runs until SIGINT or SIGTERM. Stops and joins the boards' threads (their
 * fault counters written, board_end) and closes every socket. Call from the main thread before
 * any other thread exists.
 * Returns 0 with *status the child's exit code (128 + signal if killed; 0 without argv), or -1
 * with a message on stderr when a board, a port or the child cannot be set up.
 */
int serve_run(const struct serve_cfg *cfg, char *const argv[], int *status);

#endif
