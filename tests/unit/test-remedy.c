/*
 * test-remedy.c: the one-line remedies the station shows (station/board/remedy.c) are the words
 * of the operator guide's table (docs/operator-guide.md, "FAIL: what to do"): every code of the
 * table is in the guide with exactly its remedy, every code the guide lists is in the table, and
 * each remedy fits a fixture tile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remedy.h"

#define GUIDE "docs/operator-guide.md"
#define MAX_ROWS 64

struct row {
	char codes[256];
	char what[256];
};

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Rows "| E_A, E_B | meaning | what to do |" of the guide's remedy table. */
static size_t
guide_rows(struct row *rows, size_t cap)
{
	FILE *f = fopen(GUIDE, "r");
	char line[1024], *cells[4], *p;
	size_t n = 0, k;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL && n < cap) {
		if (strncmp(line, "| E_", 4) != 0)
			continue;
		p = line + 1;
		for (k = 0; k < 4 && p != NULL; k++) {
			cells[k] = p;
			if ((p = strchr(p, '|')) != NULL)
				*p++ = '\0';
		}
		assert_int_equal(k, 4);
		snprintf(rows[n].codes, sizeof(rows[n].codes), "%s", trim(cells[0]));
		snprintf(rows[n].what, sizeof(rows[n].what), "%s", trim(cells[2]));
		n++;
	}
	fclose(f);
	return n;
}

/* The guide's remedy for code, or NULL when the guide does not list it. */
static const char *
guide_remedy(const struct row *rows, size_t n, const char *code)
{
	char buf[256], *tok, *save = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(buf, rows[i].codes, sizeof(buf));
		for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
			if (strcmp(tok, code) == 0)
				return rows[i].what;
	}
	return NULL;
}

static void
table_matches_guide(void **state)
{
	static struct row rows[MAX_ROWS];
	const char *code, *g;
	size_t n = guide_rows(rows, MAX_ROWS), i;

	(void)state;
	assert_true(n >= 10);
	for (i = 0; (code = remedy_code_at(i)) != NULL; i++) {
		g = guide_remedy(rows, n, code);
		if (g == NULL)
			fail_msg("%s is not in the table of %s", code, GUIDE);
		if (strcmp(g, remedy_for(code)) != 0)
			fail_msg("%s: the station says '%s', %s says '%s'", code, remedy_for(code), GUIDE, g);
		assert_true(strlen(remedy_for(code)) <= 60);
	}
	assert_true(i >= 20);
}

static void
guide_lists_only_known_codes(void **state)
{
	static struct row rows[MAX_ROWS];
	char buf[256], *tok, *save = NULL;
	size_t n = guide_rows(rows, MAX_ROWS), i, j;
	int known;

	(void)state;
	for (i = 0; i < n; i++) {
		memcpy(buf, rows[i].codes, sizeof(buf));
		for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
			known = 0;
			for (j = 0; remedy_code_at(j) != NULL; j++)
				known |= strcmp(remedy_code_at(j), tok) == 0;
			if (!known)
				fail_msg("%s lists %s, which the station never shows", GUIDE, tok);
		}
	}
}

static void
unknown_code_has_a_remedy(void **state)
{
	(void)state;
	assert_non_null(remedy_for("E_NEVER_HEARD_OF"));
	assert_non_null(remedy_for(NULL));
	assert_false(remedy_stops_line("E_NO_ANSWER"));
	assert_true(remedy_stops_line("E_HSM"));
	assert_true(remedy_stops_line("E_LOT"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_matches_guide),
		cmocka_unit_test(guide_lists_only_known_codes),
		cmocka_unit_test(unknown_code_has_a_remedy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
