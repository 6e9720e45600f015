/*
 * console.h: the technician's screen of `station line` (ncursesw). It draws a copy of the line
 * view (view.h: header, one tile per fixture, footer) and reads the keys; it decides nothing.
 * Not thread-safe: one thread (the engine's) makes every call.
 *
 * What the tiles say and why it reads without colour: docs/operator-guide.md "The line console".
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

/* What console_key returns. */
enum console_key_code {
	CONSOLE_NONE = 0,   /* no key within the timeout, or one the console handled or ignores */
	CONSOLE_PAUSE = 1,  /* 'p': start no new boards */
	CONSOLE_RESUME = 2, /* 'r': start boards again */
	CONSOLE_QUIT = 3,   /* 'q' or Ctrl-C (raw mode): finish the boards in flight, then stop */
	CONSOLE_HELP = 4    /* 'h' or '?': handled inside (help overlay), never returned */
};

struct console;

/*
 * Opens the console on the process's terminal: stdin and stdout must be ttys. Loads terminfo
 * (call it before the process sandboxes itself), puts the terminal in raw mode with no echo and
 * a hidden cursor. Install the process's own SIGINT/SIGTERM/SIGTSTP/SIGWINCH handlers first:
 * ncurses adds its terminal-restoring ones only where a signal still has its default action.
 * The console writes to stdout only; anything else written to the terminal (a log on stderr)
 * garbles the screen until the next redraw. Box lines use the terminal's line drawing (ACS);
 * other text is printable ASCII, except an em dash when LC_CTYPE is UTF-8.
 * Returns 0 and *out (owned by the caller, console_close frees it), or -1 with a sentence in
 * why (cap bytes) when stdin or stdout is not a terminal, the terminal type is unknown, or
 * memory runs out; *out is then unchanged.
 */
int console_open(struct console **out, char *why, size_t cap);

/*
 * Draws v (a copy the caller made with view_snapshot) as of now_ms (util_ms()), adapting to the
 * terminal's current size. Cheap when nothing visible changed since the last call: it compares
 * the view and the displayed second and touches neither curses nor the terminal.
 */
void console_draw(struct console *c, const struct line_view *v, uint64_t now_ms);

/*
 * Waits at most timeout_ms for a key (plus ncurses' escape delay of 25 ms after an Esc) and
 * returns an enum console_key_code. 'h'/'?' toggles the help overlay (Esc closes it) and a
 * resize redraws the last view; both return CONSOLE_NONE, as does any other key.
 */
int console_key(struct console *c, unsigned timeout_ms);

/* Restores the terminal (cooked mode, cursor, main screen) and frees c. NULL is a no-op. */
void console_close(struct console *c);

#endif
