/*
 * console-layout.h: what the line console puts where, as text and without curses (console.c
 * draws it): the grid of tiles or the compact list that fits a terminal, and the words of the
 * header, of each tile and of each list row. Every string from the view is shown as printable
 * ASCII ('?' for anything else); the only other character is the caller's dash.
 */
#ifndef CONSOLE_LAYOUT_H
#define CONSOLE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

#define CONSOLE_HEADER_ROWS 3 /* identity; counts; PAUSED/STOPPING and the message */
#define CONSOLE_FOOTER_ROWS 1 /* the keys */
#define CONSOLE_TILE_MIN_W 26 /* "READY - insert a board" and a bar fit inside the border */
#define CONSOLE_TILE_MIN_H 6  /* state, serial (or remedy), step, bar */
#define CONSOLE_TILE_MAX_W 60
#define CONSOLE_TILE_MAX_H 12
#define CONSOLE_TILE_LINES (CONSOLE_TILE_MAX_H - 2)
#define CONSOLE_LIST_MIN_W 40 /* one column of the compact list */
#define CONSOLE_LINE 512      /* bytes of one formatted line; wider terminals are drawn to this */

/* How a tile or row is drawn: colour with colours, attributes without. */
enum console_look {
	CONSOLE_LOOK_PLAIN = 0, /* READY */
	CONSOLE_LOOK_WORKING,
	CONSOLE_LOOK_PASS,      /* green */
	CONSOLE_LOOK_DONE,      /* blue */
	CONSOLE_LOOK_FAIL,      /* red */
	CONSOLE_LOOK_OFF,       /* NO ADAPTER: dim */
	CONSOLE_LOOK_PAUSED     /* yellow */
};

struct console_grid {
	int compact;     /* 0: tiles; 1: one row per fixture (tiles of the minimum size do not fit) */
	int top;         /* first screen row of the tiles or rows */
	int cols, rows;  /* tiles across and down; compact: columns of rows, rows per column */
	int w, h;        /* one tile with its border; compact: one column's width, h = 1 */
	unsigned shown;  /* fixtures drawn; < n only when compact rows do not fit (the last slot then
	                  * says how many are not shown) */
	int small;       /* 1: the terminal is too small for anything but a request to enlarge it */
};

/* The lines inside one tile's border. */
struct console_tile {
	int look;   /* enum console_look */
	char mark;  /* the border's character, the monochrome marker: 0 = line drawing (READY,
	             * WORKING, PAUSED), '#' PASS, '*' DONE, '!' FAIL, '.' NO ADAPTER */
	int nword;  /* the first nword lines are the state in words (drawn large: bold, reversed) */
	int n;      /* lines, = the inner height given: blank ones in the middle */
	char line[CONSOLE_TILE_LINES][CONSOLE_LINE];
};

/* Chooses the layout of n fixtures on a width x height terminal into *g: tiles of at least the
 * minimum size, shaped to read well (about three columns of text per row), else the compact list. */
void console_layout_grid(struct console_grid *g, unsigned n, int width, int height);

/* Fills *t with the inside of fx's tile, iw x ih characters (ih <= CONSOLE_TILE_LINES, iw <
 * CONSOLE_LINE / 3), as of now_ms: the state in words first, then (FAIL) the code's remedy, the
 * serial and the step as room allows, and on the last line the progress bar and elapsed time
 * (WORKING), the serial and time (finished) or the fixture's board count (idle). */
void console_layout_tile(struct console_tile *t, const struct fx_view *fx, int iw, int ih, uint64_t now_ms,
			 const char *dash);

/* One row of the compact list for fx, at most width columns, into out (cap bytes); *look as for
 * a tile. The row starts with the tile's marker and the state's word. */
void console_layout_row(char *out, size_t cap, int *look, const struct fx_view *fx, int width, uint64_t now_ms);

/* Header row 0 (station, product, lot, operator) or 1 (PASS/FAIL/DONE counts, rate per hour,
 * quota left, HSM, last checkpoint) into out, at most width columns. */
void console_layout_header(char *out, size_t cap, int row, const struct line_view *v, int width, uint64_t now_ms);

/* "STOPPING" or "PAUSED" when the line is so (stopping wins), else NULL. */
const char *console_layout_alert(const struct line_view *v);

/* The byte length of the longest prefix of s that takes at most width columns (a UTF-8
 * sequence counts as one column and is never cut). */
size_t console_layout_fit(const char *s, int width);

#endif
