/* cpsched.c: checkpoint triggers during a run; see cpsched.h. */
#include "cpsched.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
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
	sqlite3 *db;
	unsigned long entries, interval;
	cpsched_report report;
	void *arg;
};

int
cpsched_now(struct signer *sig, const char *trigger, cpsched_report report, void *arg)
{
	struct signer_err se;
	char *note = NULL, *nl;
	uint64_t size = 0;

	if (signer_checkpoint(sig, &note, &se) != 0) {
		if (report != NULL)
			report(arg, trigger, 0, 0, se.text);
		return -1;
	}
	/* The note's second line is the tree size (c2sp.org/tlog-checkpoint). */
	if ((nl = strchr(note, '\n')) != NULL)
		size = strtoull(nl + 1, NULL, 10);
	if (report != NULL)
		report(arg, trigger, 1, size, note);
	free(note);
	return 0;
}

/* Log size (entries) and size of the largest checkpoint; -1 when the database cannot say. */
static int
sizes(sqlite3 *db, uint64_t *log_size, uint64_t *cp_size)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT COALESCE(MAX(seq)+1,0) FROM log),"
	        " (SELECT COALESCE(MAX(size),0) FROM checkpoints)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= 0 &&
	    sqlite3_column_int64(st, 1) >= 0) {
		*log_size = (uint64_t)sqlite3_column_int64(st, 0);
		*cp_size = (uint64_t)sqlite3_column_int64(st, 1);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static void *
loop(void *arg)
{
	struct cpsched *c = arg;
	uint64_t last_ms = util_ms(), retry_at = 0, n, cp, now;
	struct timespec ts;
	const char *why;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->poked) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			(void)pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
		c->poked = 0;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		now = util_ms();
		why = NULL;
		if (now >= retry_at && sizes(c->db, &n, &cp) == 0 && n > cp) {
			if (c->entries && n - cp >= c->entries)
				why = "entries";
			else if (c->interval && now - last_ms >= c->interval * 1000u)
				why = "interval";
		}
		if (why != NULL) {
			if (cpsched_now(c->sig, why, c->report, c->arg) == 0) {
				last_ms = util_ms();
				retry_at = 0;
			} else {
				retry_at = util_ms() + RETRY_AFTER_MS;
			}
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
cpsched_start(struct cpsched **out, struct signer *sig, const char *db_path,
    unsigned long entries, unsigned long interval, cpsched_report report, void *arg)
{
	struct cpsched *c;

	*out = NULL;
	if (entries == 0 && interval == 0)
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->sig = sig;
	c->entries = entries;
	c->interval = interval;
	c->report = report;
	c->arg = arg;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (sqlite3_open_v2(db_path, &c->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, 5000) != SQLITE_OK) {
		log_error("audit database %s: %s", db_path, c->db ? sqlite3_errmsg(c->db) : "no memory");
		goto fail;
	}
	if (pthread_create(&c->tid, NULL, loop, c) != 0) {
		log_error("cannot start the checkpoint thread: %s", strerror(errno));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	sqlite3_close(c->db);
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
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
