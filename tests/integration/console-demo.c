/*
 * console-demo: the line console (station/line/console.c) on a scripted line view, for
 * tests/integration/test-console-render.sh (which runs it in tmux and reads the screen).
 *
 *   console-demo [--fixtures 8|16] [--linger-ms N]
 *
 * The view: fixtures 1-1.1 ... in every state a technician sees (READY, WORKING at 40 % and
 * 75 %, PASS, FAIL E_FIRMWARE with its remedy, DONE, NO ADAPTER), header of station line-1.
 * Keys act as the engine would: p sets paused, r clears it, q (or Ctrl-C) sets stopping with a
 * message, keeps drawing for --linger-ms (default 1500) and exits 42. Exit 2 (with why on
 * stderr) when the console cannot open.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "util.h"
#include "view.h"

#define EXIT_QUIT 42

static struct line_view shared; /* the engine's view, written under its lock */
static struct line_view copy;   /* what the console draws */

static void
fixture(unsigned i, const char *name, enum fx_state s, const char *serial, const char *step, unsigned pct)
{
	struct fx_view *fx = &shared.fx[i];

	snprintf(fx->name, sizeof(fx->name), "%s", name);
	snprintf(fx->port, sizeof(fx->port), "/dev/ttyUSB%u", i);
	fx->state = s;
	snprintf(fx->serial, sizeof(fx->serial), "%s", serial);
	snprintf(fx->step, sizeof(fx->step), "%s", step);
	fx->pct = pct;
	fx->boards = i;
}

static void
scene(unsigned n, uint64_t now)
{
	static const char *const hubs[] = { "1-1", "1-2" };
	unsigned i;

	snprintf(shared.station, sizeof(shared.station), "line-1");
	snprintf(shared.product, sizeof(shared.product), "thermostat-v2");
	snprintf(shared.lot, sizeof(shared.lot), "LOT-2026-11-22-A");
	snprintf(shared.operator_name, sizeof(shared.operator_name), "A. Smith");
	shared.npass = 11;
	shared.nfail = 1;
	shared.ndone = 1;
	shared.started_ms = now - 30 * 60 * 1000; /* 13 boards in 30 minutes: 26 per hour */
	shared.quota = 10000;
	shared.quota_used = 812;
	snprintf(shared.hsm, sizeof(shared.hsm), "ok");
	snprintf(shared.last_checkpoint, sizeof(shared.last_checkpoint), "14:03:22");
	for (i = 0; i < n; i++) {
		char name[16];
		struct fx_view *fx = &shared.fx[i];

		snprintf(name, sizeof(name), "%s.%u", hubs[i / 8 % 2], i % 8 + 1);
		switch (i % 8) {
		case 0:
			fixture(i, name, FX_EMPTY, "", "", 0);
			break;
		case 1:
			fixture(i, name, FX_WORKING, "TH2-00000012", "keygen", 40);
			fx->started_ms = now - 12000;
			break;
		case 2:
			fixture(i, name, FX_PASS, "TH2-00000011", "done", 100);
			fx->elapsed_ms = 8400;
			break;
		case 3:
			fixture(i, name, FX_FAIL, "", "identify", 10);
			snprintf(fx->code, sizeof(fx->code), "E_FIRMWARE");
			snprintf(fx->remedy, sizeof(fx->remedy), "flash the release image and re-insert");
			fx->elapsed_ms = 900;
			break;
		case 4:
			fixture(i, name, FX_DONE, "TH2-00000007", "verify", 100);
			fx->elapsed_ms = 3100;
			break;
		case 5:
			fixture(i, name, FX_NO_ADAPTER, "", "", 0);
			break;
		case 6:
			fixture(i, name, FX_WORKING, "TH2-00000013", "install cert", 75);
			fx->started_ms = now - 61000;
			break;
		default:
			fixture(i, name, FX_EMPTY, "", "", 0);
			break;
		}
	}
	shared.n = n;
}

int
main(int argc, char **argv)
{
	struct console *c = NULL;
	char why[256];
	unsigned n = 8, linger = 1500;
	uint64_t quit_at = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc)
			n = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--linger-ms") == 0 && i + 1 < argc)
			linger = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: console-demo [--fixtures N] [--linger-ms N]\n");
			return 1;
		}
	}
	if (n > CAP_FIXTURES)
		n = CAP_FIXTURES;
	setlocale(LC_CTYPE, ""); /* as the station's main does: UTF-8 when the terminal's locale is */
	pthread_mutex_init(&shared.lock, NULL);
	pthread_mutex_init(&copy.lock, NULL);
	scene(n, util_ms());
	if (console_open(&c, why, sizeof(why)) != 0) {
		fprintf(stderr, "console-demo: %s\n", why);
		return 2;
	}
	for (;;) {
		uint64_t now = util_ms();
		int k;

		if (quit_at != 0 && now >= quit_at)
			break;
		view_snapshot(&copy, &shared);
		console_draw(c, &copy, now);
		k = console_key(c, 100);
		pthread_mutex_lock(&shared.lock);
		if (k == CONSOLE_PAUSE) {
			shared.paused = 1;
			snprintf(shared.message, sizeof(shared.message), "paused by the operator: 2 boards finishing");
		} else if (k == CONSOLE_RESUME) {
			shared.paused = 0;
			snprintf(shared.message, sizeof(shared.message), "resumed");
		} else if (k == CONSOLE_QUIT && quit_at == 0) {
			shared.stopping = 1;
			snprintf(shared.message, sizeof(shared.message), "stopping: 2 boards left");
			quit_at = now + linger;
		}
		pthread_mutex_unlock(&shared.lock);
	}
	console_close(c);
	pthread_mutex_destroy(&copy.lock);
	pthread_mutex_destroy(&shared.lock);
	return EXIT_QUIT;
}
