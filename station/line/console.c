/*
 * console.c: the line console on the terminal (console.h), with ncursesw. It owns the terminal's
 * modes and what is drawn where; the words and the geometry are console-layout.c's. Everything is
 * drawn on stdscr from the last view copy, so a resize or the help overlay redraws from it.
 */
#include <curses.h>
#include <langinfo.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "console-layout.h"
#include "console.h"
#include "util.h"

enum { PAIR_PASS = 1, PAIR_FAIL, PAIR_DONE, PAIR_ALERT, PAIR_WORKING };

struct console {
	SCREEN *scr;
	int color;          /* colours in use (has_colors, and NO_COLOR not set) */
	int help;           /* the help overlay is shown */
	int drawn;          /* last holds a view */
	int gone;           /* the terminal hung up: nothing more is drawn or read */
	uint64_t last_now;  /* now_ms of the last draw */
	const char *dash;   /* an em dash in a UTF-8 locale, else "-" */
	struct line_view last; /* what is on the screen (its lock is never used) */
};

static const char *const help_text[] = {
	"Keys",
	"  p  pause: boards in the fixtures finish, none start",
	"  r  resume",
	"  q  quit: boards in flight finish, then it stops",
	"     (Ctrl-C too)",
	"  h  this help (h or Esc closes it)",
	"Tiles (the border says it without colour too)",
	"  READY       insert a board",
	"  WORKING     leave it in; the bar is its progress",
	"  PASS   ###  take it out, with its label",
	"  DONE   ***  already provisioned: take it out",
	"  FAIL   !!!  do what the tile says, take it out",
	"  NO ADAPTER  ...  the adapter is unplugged",
	"  PAUSED      the station is paused: r resumes",
	"Header: PAUSED or STOPPING when set; HSM should be ok",
};

/* The attribute of a tile or row of look, for its whole area (fill) and its state words. */
static chtype
look_fill(const struct console *c, int look)
{
	if (!c->color)
		return look == CONSOLE_LOOK_OFF ? A_DIM : A_NORMAL;
	switch (look) {
	case CONSOLE_LOOK_PASS:
		return COLOR_PAIR(PAIR_PASS);
	case CONSOLE_LOOK_FAIL:
		return COLOR_PAIR(PAIR_FAIL);
	case CONSOLE_LOOK_DONE:
		return COLOR_PAIR(PAIR_DONE);
	case CONSOLE_LOOK_PAUSED:
		return COLOR_PAIR(PAIR_ALERT);
	case CONSOLE_LOOK_OFF:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

static chtype
look_word(const struct console *c, int look)
{
	switch (look) {
	case CONSOLE_LOOK_PASS:
	case CONSOLE_LOOK_FAIL:
	case CONSOLE_LOOK_DONE:
		/* large: bold, and reversed when there is no colour to fill the tile with */
		return A_BOLD | (c->color ? 0 : A_REVERSE);
	case CONSOLE_LOOK_WORKING:
		return A_BOLD | (c->color ? COLOR_PAIR(PAIR_WORKING) : 0);
	case CONSOLE_LOOK_OFF:
		return A_DIM;
	default:
		return A_BOLD;
	}
}

/* The terminal's size from the output fd, applied when it changed: SIGWINCH may never come (the
 * station may have dropped its controlling terminal with TIOCNOTTY). Returns 1 when resized. */
static int
poll_size(struct console *c)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return 0;
	if (ws.ws_row == LINES && ws.ws_col == COLS)
		return 0;
	resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE); /* repaint all: the terminal may have reflowed what was there */
	return 1;
}

static void
draw_tile(struct console *c, const struct fx_view *fx, int y, int x, int w, int h)
{
	struct console_tile t;
	chtype fill, word;
	char title[CAP_XPORT_NAME + 2];
	char name[CAP_XPORT_NAME];
	int i;

	console_layout_tile(&t, fx, w - 2, h - 2, c->last_now, c->dash);
	fill = look_fill(c, t.look);
	word = look_word(c, t.look);
	for (i = 0; i < h; i++)
		mvhline(y + i, x, ' ' | fill, w);
	if (t.mark == 0) {
		mvaddch(y, x, ACS_ULCORNER | fill);
		mvhline(y, x + 1, ACS_HLINE | fill, w - 2);
		mvaddch(y, x + w - 1, ACS_URCORNER | fill);
		mvvline(y + 1, x, ACS_VLINE | fill, h - 2);
		mvvline(y + 1, x + w - 1, ACS_VLINE | fill, h - 2);
		mvaddch(y + h - 1, x, ACS_LLCORNER | fill);
		mvhline(y + h - 1, x + 1, ACS_HLINE | fill, w - 2);
		mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER | fill);
	} else {
		/* the marker all round: reads without colour and in a screen capture */
		mvhline(y, x, (chtype)(unsigned char)t.mark | fill, w);
		mvhline(y + h - 1, x, (chtype)(unsigned char)t.mark | fill, w);
		mvvline(y + 1, x, (chtype)(unsigned char)t.mark | fill, h - 2);
		mvvline(y + 1, x + w - 1, (chtype)(unsigned char)t.mark | fill, h - 2);
	}
	util_sanitize(fx->name, sizeof(fx->name), name, sizeof(name));
	snprintf(title, sizeof(title), " %s ", name);
	attrset(fill | A_BOLD);
	mvaddnstr(y, x + 2, title, w - 4);
	for (i = 0; i < t.n; i++) {
		attrset(fill | (i < t.nword ? word : 0));
		mvaddstr(y + 1 + i, x + 1, t.line[i]);
	}
	attrset(A_NORMAL);
}

static void
draw_rows(struct console *c, const struct line_view *v, const struct console_grid *g)
{
	char row[CONSOLE_LINE];
	unsigned i;
	int look;

	for (i = 0; i < g->shown; i++) {
		int y = g->top + (int)i % g->rows, x = (int)i / g->rows * g->w;

		console_layout_row(row, sizeof(row), &look, &v->fx[i], g->w - 1, c->last_now);
		attrset(look_fill(c, look) | (look == CONSOLE_LOOK_PASS || look == CONSOLE_LOOK_FAIL ? A_BOLD : 0));
		mvaddstr(y, x, row);
	}
	attrset(A_NORMAL);
	if (g->shown < v->n) {
		snprintf(row, sizeof(row), "+%u more: enlarge the window", v->n - g->shown);
		mvaddnstr(g->top + (int)g->shown % g->rows, (int)g->shown / g->rows * g->w, row, g->w - 1);
	}
}

static void
draw_help(struct console *c)
{
	int n = (int)(sizeof(help_text) / sizeof(help_text[0])), w = 0, i, y, x, h;

	for (i = 0; i < n; i++)
		if ((int)strlen(help_text[i]) > w)
			w = (int)strlen(help_text[i]);
	w += 4;
	h = n + 2;
	if (w > COLS)
		w = COLS;
	if (h > LINES)
		h = LINES;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	for (i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	if (w >= 2 && h >= 2) {
		mvaddch(y, x, ACS_ULCORNER);
		mvhline(y, x + 1, ACS_HLINE, w - 2);
		mvaddch(y, x + w - 1, ACS_URCORNER);
		mvvline(y + 1, x, ACS_VLINE, h - 2);
		mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
		mvaddch(y + h - 1, x, ACS_LLCORNER);
		mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
		mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
		mvaddnstr(y, x + 2, " HELP ", w - 4);
	}
	for (i = 0; i < n && i < h - 2; i++) {
		attrset(help_text[i][0] != ' ' ? A_BOLD : A_NORMAL);
		mvaddnstr(y + 1 + i, x + 2, help_text[i], w - 4);
	}
	attrset(A_NORMAL);
}

/* Draws c->last on a blank screen and sends the difference to the terminal. */
static void
render(struct console *c)
{
	const struct line_view *v = &c->last;
	struct console_grid g;
	char line[CONSOLE_LINE];
	const char *alert = console_layout_alert(v);
	int x = 0;
	unsigned i;

	erase();
	console_layout_grid(&g, v->n, COLS, LINES);
	if (g.small) {
		snprintf(line, sizeof(line), "window too small (%dx%d): enlarge it", COLS, LINES);
		mvaddnstr(0, 0, line, COLS);
		goto out;
	}
	attrset(A_BOLD);
	console_layout_header(line, sizeof(line), 0, v, COLS, c->last_now);
	mvaddstr(0, 0, line);
	attrset(A_NORMAL);
	console_layout_header(line, sizeof(line), 1, v, COLS, c->last_now);
	mvaddstr(1, 0, line);
	if (alert != NULL) {
		snprintf(line, sizeof(line), " *** %s *** ", alert);
		attrset(A_BOLD | A_REVERSE | (c->color ? COLOR_PAIR(PAIR_ALERT) : 0));
		mvaddnstr(2, 0, line, COLS);
		attrset(A_NORMAL);
		x = (int)strlen(line) + 1;
	}
	if (x < COLS) {
		util_sanitize(v->message, sizeof(v->message), line, sizeof(line));
		mvaddnstr(2, x, line, COLS - x);
	}

	if (v->n == 0)
		mvaddnstr(g.top, 0, "no fixture seen yet: plug in a fixture's adapter", COLS);
	else if (g.compact)
		draw_rows(c, v, &g);
	else
		for (i = 0; i < v->n; i++)
			draw_tile(c, &v->fx[i], g.top + (int)i / g.cols * g.h, (int)i % g.cols * g.w, g.w, g.h);

	attrset(A_REVERSE);
	mvhline(LINES - 1, 0, ' ' | A_REVERSE, COLS);
	mvaddnstr(LINES - 1, 0, " p pause  r resume  q quit (graceful)  h help", COLS);
	attrset(A_NORMAL);
	if (c->help)
		draw_help(c);
out:
	wnoutrefresh(stdscr);
	doupdate();
}

/* 1 when the terminal hung up (ssh dropped): reading it would return at once, forever. */
static int
hung_up(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int
console_open(struct console **out, char *why, size_t cap)
{
	struct console *c = NULL;
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		util_why(why, cap, "the line console needs a terminal, and %s is not one: run it at the station's "
			 "terminal (over ssh: ssh -t), or use the plain log", isatty(STDIN_FILENO) ? "stdout" : "stdin");
		return -1;
	}
	if (term == NULL || term[0] == '\0') {
		util_why(why, cap, "TERM is not set, so the console does not know how to draw on this terminal: "
			 "set it (e.g. TERM=xterm-256color or TERM=linux)");
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		util_why(why, cap, "out of memory opening the line console");
		return -1;
	}
	/* newterm, unlike initscr, reports an unknown terminal instead of exiting */
	if ((c->scr = newterm(NULL, stdout, stdin)) == NULL) {
		util_why(why, cap, "terminal type '%.64s' is not in this system's terminfo database: set TERM to "
			 "one it has (e.g. xterm-256color, linux, vt100)", term);
		free(c);
		return -1;
	}
	set_term(c->scr);
	raw(); /* Ctrl-C arrives as a key: quitting is the engine's decision, gracefully */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors() && getenv("NO_COLOR") == NULL && start_color() == OK) {
		short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;

		init_pair(PAIR_PASS, COLOR_BLACK, COLOR_GREEN);
		init_pair(PAIR_FAIL, COLOR_WHITE, COLOR_RED);
		init_pair(PAIR_DONE, COLOR_WHITE, COLOR_BLUE);
		init_pair(PAIR_ALERT, COLOR_BLACK, COLOR_YELLOW);
		init_pair(PAIR_WORKING, COLOR_YELLOW, bg);
		c->color = 1;
	}
	c->dash = MB_CUR_MAX > 1 && strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "\xe2\x80\x94" : "-";
	*out = c; /* owned by the caller: console_close */
	return 0;
}

void
console_draw(struct console *c, const struct line_view *v, uint64_t now_ms)
{
	const size_t off = offsetof(struct line_view, station);
	unsigned n;
	size_t len;
	int resized;

	if (c == NULL || v == NULL || c->gone)
		return;
	n = v->n > CAP_FIXTURES ? CAP_FIXTURES : v->n;
	len = offsetof(struct line_view, fx) - off + n * sizeof(v->fx[0]);
	resized = poll_size(c);
	/* the screen shows whole seconds: same view, same second, same size is the same picture */
	if (!resized && c->drawn && now_ms / 1000 == c->last_now / 1000 && c->last.n == n &&
	    memcmp((const char *)v + off, (const char *)&c->last + off, len) == 0)
		return;
	memcpy((char *)&c->last + off, (const char *)v + off, len);
	c->last.n = n;
	c->last_now = now_ms;
	c->drawn = 1;
	render(c);
}

int
console_key(struct console *c, unsigned timeout_ms)
{
	int ch;

	if (c == NULL || c->gone) {
		poll(NULL, 0, timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);
		return CONSOLE_NONE;
	}
	if (poll_size(c) && c->drawn)
		render(c);
	timeout(timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);
	ch = getch();
	switch (ch) {
	case 'p':
	case 'P':
		return CONSOLE_PAUSE;
	case 'r':
	case 'R':
		return CONSOLE_RESUME;
	case 'q':
	case 'Q':
	case 3: /* Ctrl-C in raw mode */
		return CONSOLE_QUIT;
	case 'h':
	case 'H':
	case '?':
		c->help = !c->help;
		break;
	case 27: /* Esc */
		if (!c->help)
			return CONSOLE_NONE;
		c->help = 0;
		break;
	case 12: /* Ctrl-L: repaint everything */
		clearok(curscr, TRUE);
		break;
	case KEY_RESIZE:
		poll_size(c);
		clearok(curscr, TRUE);
		break;
	case ERR:
		if (hung_up()) {
			/* never spin the engine on a dead terminal: wait as a key wait would */
			c->gone = 1;
			poll(NULL, 0, timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);
		}
		return CONSOLE_NONE;
	default:
		return CONSOLE_NONE;
	}
	if (c->drawn)
		render(c);
	return CONSOLE_NONE;
}

void
console_close(struct console *c)
{
	if (c == NULL)
		return;
	set_term(c->scr);
	endwin();
	delscreen(c->scr);
	free(c);
}
