/*
 * test-console-layout.c: station/line/console-layout.c and view.c: which layout fits which
 * terminal (8 fixtures in 80x24 and 16 in 120x40 as tiles, else one row per fixture), what each
 * tile and row says (words, not colour), how untrusted text and UTF-8 are fitted, and that a
 * snapshot copies everything but the lock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "console-layout.h"
#include "view.h"

#define EM "\xe2\x80\x94"

static void
check_tiles(unsigned n, int width, int height)
{
	struct console_grid g;

	console_layout_grid(&g, n, width, height);
	assert_int_equal(g.compact, 0);
	assert_int_equal(g.small, 0);
	assert_int_equal(g.shown, n);
	assert_true((unsigned)(g.cols * g.rows) >= n);
	assert_true(g.w >= CONSOLE_TILE_MIN_W && g.h >= CONSOLE_TILE_MIN_H);
	assert_true(g.cols * g.w <= width);
	assert_true(g.top + g.rows * g.h <= height - CONSOLE_FOOTER_ROWS);
}

static void
test_grid(void **state)
{
	struct console_grid g;

	(void)state;
	check_tiles(8, 80, 24);
	check_tiles(16, 120, 40);
	check_tiles(8, 100, 30);
	check_tiles(1, 80, 24);
	/* 8 in 60x20: no tile of the minimum size fits, one row each */
	console_layout_grid(&g, 8, 60, 20);
	assert_int_equal(g.compact, 1);
	assert_int_equal(g.shown, 8);
	assert_int_equal(g.cols, 1);
	/* 64 in 80x24: two columns of 20 rows, the last slot says how many are not shown */
	console_layout_grid(&g, 64, 80, 24);
	assert_int_equal(g.compact, 1);
	assert_int_equal(g.cols, 2);
	assert_int_equal(g.shown, 39);
	/* too small for anything */
	console_layout_grid(&g, 8, 10, 3);
	assert_int_equal(g.small, 1);
}

static void
fixture(struct fx_view *fx, const char *name, enum fx_state s)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->name, sizeof(fx->name), "%s", name);
	fx->state = s;
}

/* 1 when some line of t contains s. */
static int
says(const struct console_tile *t, const char *s)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (strstr(t->line[i], s) != NULL)
			return 1;
	return 0;
}

static void
test_tile_words(void **state)
{
	struct fx_view fx;
	struct console_tile t;
	int i;

	(void)state;
	fixture(&fx, "1-1.4", FX_FAIL);
	snprintf(fx.code, sizeof(fx.code), "E_FIRMWARE");
	snprintf(fx.remedy, sizeof(fx.remedy), "flash the release image and re-insert");
	snprintf(fx.serial, sizeof(fx.serial), "TH2-00000004");
	fx.elapsed_ms = 1234;
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_int_equal(t.n, 4);
	assert_int_equal(t.mark, '!');
	assert_int_equal(t.look, CONSOLE_LOOK_FAIL);
	assert_string_equal(t.line[0], "FAIL E_FIRMWARE");
	assert_int_equal(t.nword, 1);
	assert_string_equal(t.line[1], "flash the release image");
	assert_string_equal(t.line[2], "and re-insert");
	assert_string_equal(t.line[3], "TH2-00000004        1.2s");
	for (i = 0; i < t.n; i++)
		assert_true(strlen(t.line[i]) <= 24);

	/* a remedy longer than the room ends visibly cut */
	snprintf(fx.remedy, sizeof(fx.remedy), "%s", "one two three four five six seven eight nine ten eleven twelve");
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_non_null(strstr(t.line[2], "..."));

	fixture(&fx, "1-1.5", FX_DONE);
	console_layout_tile(&t, &fx, 24, 4, 0, EM);
	assert_int_equal(t.mark, '*');
	assert_string_equal(t.line[0], "DONE " EM " already");
	assert_string_equal(t.line[1], "provisioned");
	assert_int_equal(t.nword, 2);
	console_layout_tile(&t, &fx, 31, 6, 0, EM);
	assert_string_equal(t.line[0], "DONE " EM " already provisioned");

	fixture(&fx, "1-1.1", FX_EMPTY);
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_int_equal(t.mark, 0);
	assert_string_equal(t.line[0], "READY - insert a board");

	fixture(&fx, "1-1.2", FX_WORKING);
	fx.pct = 40;
	fx.started_ms = 1000;
	snprintf(fx.step, sizeof(fx.step), "keygen");
	console_layout_tile(&t, &fx, 24, 4, 13500, "-");
	assert_string_equal(t.line[0], "WORKING");
	assert_string_equal(t.line[1], "serial -");
	assert_string_equal(t.line[2], "step keygen");
	assert_string_equal(t.line[3], "[#####.........] 40% 12s");

	fixture(&fx, "1-1.6", FX_NO_ADAPTER);
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_int_equal(t.mark, '.');
	assert_string_equal(t.line[0], "NO ADAPTER");

	fixture(&fx, "1-1.3", FX_PASS);
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_int_equal(t.mark, '#');
	assert_string_equal(t.line[0], "PASS");
	assert_true(says(&t, "label"));

	/* issue #13: a PASS whose label the printer did not take, a FAIL whose label is void */
	snprintf(fx.label, sizeof(fx.label), VIEW_LABEL_KEPT);
	console_layout_tile(&t, &fx, 30, 6, 0, "-");
	assert_true(says(&t, "NO LABEL: printer fault;"));
	assert_true(says(&t, "reprint"));
	fixture(&fx, "1-1.4", FX_FAIL);
	snprintf(fx.code, sizeof(fx.code), "E_LOCK");
	snprintf(fx.remedy, sizeof(fx.remedy), "red bin: it must never ship");
	snprintf(fx.label, sizeof(fx.label), VIEW_LABEL_VOID);
	console_layout_tile(&t, &fx, 30, 6, 0, "-");
	assert_string_equal(t.line[1], "red bin: it must never ship");
	assert_string_equal(t.line[2], "LABEL VOID: throw its label");
	assert_string_equal(t.line[3], "away");

	/* a state the engine never writes is shown as such */
	fixture(&fx, "x", (enum fx_state)77);
	console_layout_tile(&t, &fx, 24, 4, 0, "-");
	assert_string_equal(t.line[0], "UNKNOWN STATE");
}

static void
test_row_and_text(void **state)
{
	struct fx_view fx;
	char row[CONSOLE_LINE];
	int look;

	(void)state;
	fixture(&fx, "1-1.4\x1b[2J", FX_FAIL);
	snprintf(fx.code, sizeof(fx.code), "E_NO_ANSWER");
	snprintf(fx.remedy, sizeof(fx.remedy), "re-insert the board");
	console_layout_row(row, sizeof(row), &look, &fx, 60, 0);
	assert_int_equal(look, CONSOLE_LOOK_FAIL);
	assert_string_equal(row, "! 1-1.4?[2J FAIL       E_NO_ANSWER re-insert the board");
	console_layout_row(row, sizeof(row), &look, &fx, 20, 0);
	assert_int_equal(strlen(row), 20);

	assert_int_equal(console_layout_fit("ab" EM "cd", 3), 5);
	assert_int_equal(console_layout_fit("ab" EM "cd", 2), 2);
	assert_int_equal(console_layout_fit("ab", 10), 2);
}

static void
test_header(void **state)
{
	static struct line_view v;
	char out[CONSOLE_LINE];

	(void)state;
	snprintf(v.station, sizeof(v.station), "line-1");
	snprintf(v.lot, sizeof(v.lot), "LOT-A");
	v.npass = 10;
	v.nfail = 1;
	v.ndone = 1;
	v.started_ms = 1000;
	v.quota = 100;
	v.quota_used = 12;
	snprintf(v.hsm, sizeof(v.hsm), "ok");
	console_layout_header(out, sizeof(out), 0, &v, 200, 0);
	assert_string_equal(out, "station line-1  product -  lot LOT-A  operator -");
	/* 12 boards in 10 minutes: 72 per hour */
	console_layout_header(out, sizeof(out), 1, &v, 200, 1000 + 600000);
	assert_string_equal(out, "PASS 10  FAIL 1  DONE 1  rate 72/h  quota left 88  HSM ok  checkpoint none");
	assert_null(console_layout_alert(&v));
	v.paused = 1;
	assert_string_equal(console_layout_alert(&v), "PAUSED");
	v.stopping = 1;
	assert_string_equal(console_layout_alert(&v), "STOPPING");
}

static void
test_snapshot(void **state)
{
	static struct line_view src, dst;

	(void)state;
	pthread_mutex_init(&src.lock, NULL);
	snprintf(src.lot, sizeof(src.lot), "LOT-B");
	src.n = 3;
	src.fx[2].state = FX_PASS;
	src.fx[CAP_FIXTURES - 1].pct = 7;
	view_snapshot(&dst, &src);
	assert_string_equal(dst.lot, "LOT-B");
	assert_int_equal(dst.n, 3);
	assert_int_equal(dst.fx[2].state, FX_PASS);
	assert_int_equal(dst.fx[CAP_FIXTURES - 1].pct, 7);
	/* the lock is free again, and a count beyond the array is clamped */
	assert_int_equal(pthread_mutex_trylock(&src.lock), 0);
	pthread_mutex_unlock(&src.lock);
	src.n = CAP_FIXTURES + 5;
	view_snapshot(&dst, &src);
	assert_int_equal(dst.n, CAP_FIXTURES);
	pthread_mutex_destroy(&src.lock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid),
		cmocka_unit_test(test_tile_words),
		cmocka_unit_test(test_row_and_text),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
