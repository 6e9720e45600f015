/* line-int.h: state shared by the line's supervisor (line.c) and its fixtures (fixture.c). */
#ifndef LINE_INT_H
#define LINE_INT_H

#include <pthread.h>

#include "line.h"
#include "view.h"
#include "xport.h"

struct line;

struct fixture {
	struct line *ln;
	unsigned idx;                 /* in ln->view.fx and ln->fx */
	pthread_t tid;
	int started;
	/* Written by the supervisor under ln->view.lock, read by the fixture under it: */
	char port[CAP_XPORT_NAME];    /* what to open now (a re-plugged adapter may get another) */
	int listed;                   /* seen in the last scan */
	int bulk;                     /* a board on USB bulk: it is its own device, no adapter */
};

struct line {
	const struct line_cfg *cfg;
	struct flow_env env;          /* cfg->env with the line's progress callback */
	struct line_view view;        /* view.lock guards view and the fixtures' shared fields */
	struct fixture fx[CAP_FIXTURES];
	struct cpsched *sched;        /* periodic checkpoints, NULL when off */
	unsigned busy;                /* boards in flight */
	volatile int abandon;         /* second signal: stop probing and waiting at once */
	int signer_lost;              /* the signer stopped answering: nothing can be recorded */
};

/* The fixture's thread: its cycle until ln->view.stopping (boards in flight finish first). */
void *fixture_main(void *arg);

/* Counts a finished board and shows it on its tile; also pauses the line after a failure that
 * needs an engineer (remedy_stops_line). Takes the view lock. */
void line_finished(struct line *ln, struct fixture *fx, const struct flow_result *r, int recorded);

#endif
