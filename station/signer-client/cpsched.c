/* cpsched.c: checkpoint triggers during a run; see cpsched.h. */
#include "cpsched.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define RETRY_AFTER_MS 60000u

struct cpsched {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, poked;
	struct signer *sig;
	cpsched_report report;
	void *arg;
};

/* Reports one checkpoint request: 0 signed, 1 not due, -1 failed. */
static int
ask(struct signer *sig, int force, const char *trigger, cpsched_report report, void *arg)
{
	struct signer_err se;
	char *note = NULL;
	uint64_t size = 0;
	int r;

	if ((r = signer_checkpoint(sig, force, trigger, &note, &size, &se)) < 0) {
		if (report != NULL)
			report(arg, trigger, 0, 0, se.text);
		return -1;
	}
	if (r == 0 && report != NULL)
		report(arg, trigger, 1, size, note);
	free(note);
	return r;
}

int
cpsched_now(struct signer *sig, const char *trigger, cpsched_report report, void *arg)
{
	return ask(sig, 1, trigger, report, arg) == 0 ? 0 : -1;
}

static void *
loop(void *arg)
{
	struct cpsched *c = arg;
	uint64_t retry_at = 0;
	struct timespec ts;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->poked) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += 1;
			(void)pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
		c->poked = 0;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		/* The signer applies [audit] checkpoint_entries / checkpoint_interval to its own
		 * record; this thread only gives it the occasion. */
		if (util_ms() >= retry_at)
			retry_at = ask(c->sig, 0, "due", c->report, c->arg) < 0 ?
			    util_ms() + RETRY_AFTER_MS : 0;
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
cpsched_start(struct cpsched **out, struct signer *sig, unsigned long entries,
    unsigned long interval, cpsched_report report, void *arg)
{
	struct cpsched *c;
	pthread_condattr_t ca;

	*out = NULL;
	if (entries == 0 && interval == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->sig = sig;
	c->report = report;
	c->arg = arg;
	pthread_mutex_init(&c->mu, NULL);
	/* Monotonic: a wall clock stepped back (NTP, an operator) must not stall the wait by the
	 * size of the step (issue #12's campaign). */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&c->tid, NULL, loop, c) != 0) {
		log_error("cannot start the checkpoint thread: %s", strerror(errno));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return -1;
}

void
cpsched_poke(struct cpsched *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->poked = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void
cpsched_stop(struct cpsched *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->tid, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
