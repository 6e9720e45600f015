/*
 * console-layout.c: the line console's geometry and words (console-layout.h); no curses here, so
 * tests can read exactly what a tile says.
 */
#include <stdio.h>
#include <string.h>

#include "console-layout.h"
#include "util.h"

/* How each state reads. A state line is "WORD", or "WORD - joined" with the caller's dash; a
 * note is a line of its own under it. */
struct state_words {
	const char *word;
	const char *joined;
	const char *note;
	char mark;
	int look;
};

static const struct state_words states[] = {
	[FX_NO_ADAPTER] = { "NO ADAPTER", NULL, "plug in the fixture's adapter", '.', CONSOLE_LOOK_OFF },
	[FX_EMPTY] = { "READY", "insert a board", NULL, 0, CONSOLE_LOOK_PLAIN },
	[FX_WORKING] = { "WORKING", NULL, NULL, 0, CONSOLE_LOOK_WORKING },
	[FX_PASS] = { "PASS", NULL, "take it out, with its label", '#', CONSOLE_LOOK_PASS },
	[FX_DONE] = { "DONE", "already provisioned", "take it out: it is good", '*', CONSOLE_LOOK_DONE },
	[FX_FAIL] = { "FAIL", NULL, NULL, '!', CONSOLE_LOOK_FAIL },
	[FX_PAUSED] = { "PAUSED", NULL, "boards are not started", 0, CONSOLE_LOOK_PAUSED },
};
/* A state the engine should never write (a torn or corrupt view) is shown, not trusted. */
static const struct state_words unknown = { "UNKNOWN STATE", NULL, NULL, '?', CONSOLE_LOOK_PLAIN };

static const struct state_words *
words_of(enum fx_state s)
{
	if ((unsigned)s >= sizeof(states) / sizeof(states[0]))
		return &unknown;
	return &states[s];
}

#define CLEAN(out, field) util_sanitize((field), sizeof(field), (out), sizeof(out))

size_t
console_layout_fit(const char *s, int width)
{
	size_t i = 0, end = 0;
	int cols = 0;

	while (s[i] != '\0') {
		size_t k = i + 1;

		/* one column per character: its lead byte and any continuation bytes */
		while (((unsigned char)s[k] & 0xc0) == 0x80)
			k++;
		if (++cols > width)
			break;
		end = i = k;
	}
	return end;
}

/* Copies what of s fits in width columns into out (cap bytes), never cutting a UTF-8 sequence. */
static void
put(char *out, size_t cap, const char *s, int width)
{
	size_t k = console_layout_fit(s, width);

	while (k > 0 && (k >= cap || ((unsigned char)s[k] & 0xc0) == 0x80))
		k--;
	memcpy(out, s, k);
	out[k] = '\0';
}

/* Word-wraps s into t's lines from *i up to (not including) line limit, each at most width
 * columns; the last allowed line ends in "..." when s does not fit. */
static void
wrap(struct console_tile *t, int *i, int limit, const char *s, int width)
{
	while (*s == ' ')
		s++;
	while (*s != '\0' && *i < limit) {
		char *line = t->line[*i];
		size_t k = console_layout_fit(s, width);

		if (k == 0)
			return;
		if (s[k] != '\0' && *i == limit - 1) {
			/* the last line and more to say: cut it visibly */
			k = console_layout_fit(s, width > 3 ? width - 3 : 0);
			memcpy(line, s, k);
			memcpy(line + k, "...", 4);
			line[console_layout_fit(line, width)] = '\0';
			(*i)++;
			return;
		}
		if (s[k] != '\0' && s[k] != ' ') {
			size_t b = k;

			while (b > 0 && s[b - 1] != ' ')
				b--;
			if (b > 0)
				k = b; /* break at the last space; a word longer than the line is cut */
		}
		memcpy(line, s, k);
		line[k] = '\0';
		while (k > 0 && line[k - 1] == ' ')
			line[--k] = '\0';
		(*i)++;
		s += strlen(line);
		while (*s == ' ')
			s++;
	}
}

/* How long the fixture's board has taken: running while WORKING, the recorded time after. */
static uint64_t
elapsed(const struct fx_view *fx, uint64_t now_ms)
{
	if (fx->state == FX_WORKING)
		return fx->started_ms != 0 && now_ms > fx->started_ms ? now_ms - fx->started_ms : 0;
	return fx->elapsed_ms;
}

/* Whole seconds for a running board (so the screen changes once a second), tenths for a
 * finished one under 10 s. */
static void
fmt_time(char *out, size_t cap, uint64_t ms, int tenths)
{
	unsigned long long s = ms / 1000;

	if (tenths && ms < 10000)
		snprintf(out, cap, "%llu.%llus", s, (unsigned long long)(ms % 1000 / 100));
	else if (s < 60)
		snprintf(out, cap, "%llus", s);
	else if (s < 3600)
		snprintf(out, cap, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(out, cap, "%lluh%02llum", s / 3600, s / 60 % 60);
}

/* "[####......]" of width columns (>= 3). */
static void
fmt_bar(char *out, size_t cap, unsigned pct, int width)
{
	int inner = width - 2, fill, j;

	if (pct > 100)
		pct = 100;
	if (inner < 1 || (size_t)width >= cap) {
		out[0] = '\0';
		return;
	}
	fill = inner * (int)pct / 100;
	out[0] = '[';
	for (j = 0; j < inner; j++)
		out[1 + j] = j < fill ? '#' : '.';
	out[width - 1] = ']';
	out[width] = '\0';
}

/* "left" and "right" on one line of width columns, right-aligned when both fit. */
static void
fmt_ends(char *out, size_t cap, const char *left, const char *right, int width)
{
	int rl = (int)strlen(right), room = width - rl - 1;
	size_t k;

	if (room < 1) {
		put(out, cap, right, width);
		return;
	}
	k = console_layout_fit(left, room);
	snprintf(out, cap, "%.*s%*s %s", (int)k, left, room - (int)k, "", right);
}

void
console_layout_tile(struct console_tile *t, const struct fx_view *fx, int iw, int ih, uint64_t now_ms,
		    const char *dash)
{
	const struct state_words *sw = words_of(fx->state);
	char serial[CAP_SERIAL + 1], step[sizeof(fx->step)], code[sizeof(fx->code)], remedy[sizeof(fx->remedy)];
	char port[64], buf[CONSOLE_LINE], tm[32], bar[CONSOLE_LINE / 2], label[sizeof(fx->label)];
	int i = 0, mid;

	memset(t, 0, sizeof(*t));
	if (ih > CONSOLE_TILE_LINES)
		ih = CONSOLE_TILE_LINES;
	if (iw > CONSOLE_LINE / 3 - 1)
		iw = CONSOLE_LINE / 3 - 1;
	t->look = sw->look;
	t->mark = sw->mark;
	if (ih < 1 || iw < 1)
		return;
	t->n = ih;
	mid = ih > 1 ? ih - 1 : 1; /* lines above the bottom one */
	CLEAN(serial, fx->serial);
	CLEAN(step, fx->step);
	CLEAN(code, fx->code);
	CLEAN(remedy, fx->remedy);
	CLEAN(port, fx->port);
	CLEAN(label, fx->label);

	if (fx->state == FX_FAIL)
		snprintf(buf, sizeof(buf), "FAIL%s%s", code[0] ? " " : "", code);
	else if (sw->joined != NULL)
		snprintf(buf, sizeof(buf), "%s %s %s", sw->word, dash, sw->joined);
	else
		snprintf(buf, sizeof(buf), "%s", sw->word);
	wrap(t, &i, mid < 2 ? mid : 2, buf, iw);
	t->nword = i;

	switch (fx->state) {
	case FX_FAIL:
		/* the remedy before anything else: it is what the technician acts on */
		wrap(t, &i, mid < i + 3 ? mid : i + 3, remedy, iw);
		/* a label printed for it is void: next, before where it failed */
		if (label[0] != '\0')
			wrap(t, &i, mid < i + 2 ? mid : i + 2, label, iw);
		if (step[0] != '\0') {
			snprintf(buf, sizeof(buf), "failed at: %s", step);
			wrap(t, &i, i + 1 <= mid ? i + 1 : mid, buf, iw);
		}
		break;
	case FX_WORKING:
		snprintf(buf, sizeof(buf), "serial %s", serial[0] ? serial : "-");
		wrap(t, &i, i + 1 <= mid ? i + 1 : mid, buf, iw);
		snprintf(buf, sizeof(buf), "step %s", step[0] ? step : "-");
		wrap(t, &i, i + 1 <= mid ? i + 1 : mid, buf, iw);
		break;
	case FX_NO_ADAPTER:
		wrap(t, &i, i + 1 <= mid ? i + 1 : mid, sw->note, iw);
		if (port[0] != '\0') {
			snprintf(buf, sizeof(buf), "port %s", port);
			wrap(t, &i, i + 1 <= mid ? i + 1 : mid, buf, iw);
		}
		break;
	default:
		/* a PASS whose label the printer did not take: that, not the usual note */
		if (label[0] != '\0')
			wrap(t, &i, mid < i + 2 ? mid : i + 2, label, iw);
		else if (sw->note != NULL)
			wrap(t, &i, mid < i + 2 ? mid : i + 2, sw->note, iw);
		break;
	}
	if (ih < 2)
		return;

	/* the bottom line */
	switch (fx->state) {
	case FX_WORKING: {
		int bw;

		fmt_time(tm, sizeof(tm), elapsed(fx, now_ms), 0);
		snprintf(buf, sizeof(buf), "%u%% %s", fx->pct > 100 ? 100 : fx->pct, tm);
		bw = iw - (int)strlen(buf) - 1;
		if (bw >= 5) {
			fmt_bar(bar, sizeof(bar), fx->pct, bw);
			snprintf(buf, sizeof(buf), "%s %u%% %s", bar, fx->pct > 100 ? 100 : fx->pct, tm);
		}
		put(t->line[ih - 1], sizeof(t->line[0]), buf, iw);
		break;
	}
	case FX_PASS:
	case FX_DONE:
	case FX_FAIL:
		fmt_time(tm, sizeof(tm), elapsed(fx, now_ms), 1);
		fmt_ends(t->line[ih - 1], sizeof(t->line[0]), serial[0] ? serial : "serial -", tm, iw);
		break;
	default:
		snprintf(buf, sizeof(buf), "boards %u", fx->boards);
		put(t->line[ih - 1], sizeof(t->line[0]), buf, iw);
		break;
	}
}

void
console_layout_row(char *out, size_t cap, int *look, const struct fx_view *fx, int width, uint64_t now_ms)
{
	const struct state_words *sw = words_of(fx->state);
	char name[CAP_XPORT_NAME], serial[CAP_SERIAL + 1], step[sizeof(fx->step)], code[sizeof(fx->code)];
	char remedy[sizeof(fx->remedy)], tm[32], bar[16], detail[256], buf[CONSOLE_LINE];
	char label[sizeof(fx->label)];

	CLEAN(name, fx->name);
	CLEAN(label, fx->label);
	CLEAN(serial, fx->serial);
	CLEAN(step, fx->step);
	CLEAN(code, fx->code);
	CLEAN(remedy, fx->remedy);
	*look = sw->look;
	switch (fx->state) {
	case FX_WORKING:
		fmt_time(tm, sizeof(tm), elapsed(fx, now_ms), 0);
		fmt_bar(bar, sizeof(bar), fx->pct, 12);
		snprintf(detail, sizeof(detail), "%s %u%% %s  %s  %s", bar, fx->pct > 100 ? 100 : fx->pct, tm,
			 serial[0] ? serial : "-", step);
		break;
	case FX_PASS:
	case FX_DONE:
		fmt_time(tm, sizeof(tm), elapsed(fx, now_ms), 1);
		snprintf(detail, sizeof(detail), "%s%s%s %s%s%s", sw->joined ? sw->joined : "",
			 sw->joined ? "  " : "", serial[0] ? serial : "-", tm, label[0] ? "  " : "", label);
		break;
	case FX_FAIL:
		snprintf(detail, sizeof(detail), "%s %s%s%s", code, remedy, label[0] ? "; " : "", label);
		break;
	default:
		snprintf(detail, sizeof(detail), "%s", sw->joined ? sw->joined : "");
		break;
	}
	snprintf(buf, sizeof(buf), "%c %-8.40s %-10s %s", sw->mark ? sw->mark : ' ', name, sw->word, detail);
	put(out, cap, buf, width);
}

void
console_layout_header(char *out, size_t cap, int row, const struct line_view *v, int width, uint64_t now_ms)
{
	char a[VIEW_NAME], b[VIEW_NAME], c[VIEW_NAME], d[VIEW_NAME], hsm[sizeof(v->hsm)];
	char ck[sizeof(v->last_checkpoint)], rate[32], left[32], buf[CONSOLE_LINE];

	if (row == 0) {
		CLEAN(a, v->station);
		CLEAN(b, v->product);
		CLEAN(c, v->lot);
		CLEAN(d, v->operator_name);
		snprintf(buf, sizeof(buf), "station %s  product %s  lot %s  operator %s", a[0] ? a : "-",
			 b[0] ? b : "-", c[0] ? c : "-", d[0] ? d : "-");
	} else {
		unsigned long long fin = (unsigned long long)v->npass + v->nfail + v->ndone;

		CLEAN(hsm, v->hsm);
		CLEAN(ck, v->last_checkpoint);
		if (v->started_ms != 0 && now_ms > v->started_ms)
			snprintf(rate, sizeof(rate), "%llu/h",
				 (fin * 3600000ULL + (now_ms - v->started_ms) / 2) / (now_ms - v->started_ms));
		else
			snprintf(rate, sizeof(rate), "-/h");
		if (v->quota == 0)
			snprintf(left, sizeof(left), "-");
		else
			snprintf(left, sizeof(left), "%lu", v->quota_used < v->quota ? v->quota - v->quota_used : 0);
		snprintf(buf, sizeof(buf), "PASS %lu  FAIL %lu  DONE %lu  rate %s  quota left %s  HSM %s  checkpoint %s",
			 v->npass, v->nfail, v->ndone, rate, left, hsm[0] ? hsm : "-", ck[0] ? ck : "none");
	}
	put(out, cap, buf, width);
}

const char *
console_layout_alert(const struct line_view *v)
{
	if (v->stopping)
		return "STOPPING";
	if (v->paused)
		return "PAUSED";
	return NULL;
}

void
console_layout_grid(struct console_grid *g, unsigned n, int width, int height)
{
	int avail = height - CONSOLE_HEADER_ROWS - CONSOLE_FOOTER_ROWS, best = -1, k, maxk;
	unsigned c;

	memset(g, 0, sizeof(*g));
	g->top = CONSOLE_HEADER_ROWS;
	if (width < 20 || avail < 1) {
		g->small = 1;
		return;
	}
	if (n > CAP_FIXTURES)
		n = CAP_FIXTURES; /* a view holds no more */
	for (c = 1; c <= n; c++) {
		int r = (int)((n + c - 1) / c), w = width / (int)c, h = r > 0 ? avail / r : avail, score;

		if (w < CONSOLE_TILE_MIN_W)
			break; /* narrower with every column more */
		if (h < CONSOLE_TILE_MIN_H)
			continue;
		if (w > CONSOLE_TILE_MAX_W)
			w = CONSOLE_TILE_MAX_W;
		if (h > CONSOLE_TILE_MAX_H)
			h = CONSOLE_TILE_MAX_H;
		/* a character cell is about twice as tall as wide and a tile holds short lines: tiles
		 * about three columns wide per row read best; fewer columns win a tie */
		score = w < 3 * h ? w : 3 * h;
		if (score > best) {
			best = score;
			g->cols = (int)c;
			g->rows = r;
			g->w = w;
			g->h = h;
			g->shown = n;
		}
	}
	if (best >= 0)
		return;
	g->compact = 1;
	g->h = 1;
	g->rows = avail;
	k = (int)((n + (unsigned)avail - 1) / (unsigned)avail);
	maxk = width / CONSOLE_LIST_MIN_W;
	if (maxk < 1)
		maxk = 1;
	if (k < 1)
		k = 1;
	if (k > maxk)
		k = maxk;
	g->cols = k;
	g->w = width / k;
	g->shown = n <= (unsigned)(k * avail) ? n : (unsigned)(k * avail - 1);
}
